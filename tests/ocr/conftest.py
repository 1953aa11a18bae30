"""Shared fixtures for the OCR tests: the committed samples and a small generated set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract is not installed"
)


def truth(path: Path) -> dict[str, Any]:
    """Ground-truth fields written beside a generated file."""
    data: dict[str, Any] = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return data["fields"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES
