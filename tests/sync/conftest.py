"""A real FieldCRM server on loopback and real client profiles ("devices") that sync with it."""

from __future__ import annotations

import pytest
from helpers.keyrings import file_keyring
from helpers.server_fixtures import make_device, server

__all__ = ["file_keyring", "make_device", "server"]


@pytest.fixture(autouse=True)
def _tokens_in_a_file(file_keyring: None) -> None:
    """Every sync test keeps its tokens in keyring's file backend (see helpers.keyrings)."""
