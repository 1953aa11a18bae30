"""What a committed write tells the screens (one ``changed`` signal carries these)."""

from __future__ import annotations

from typing import NamedTuple


class Change(NamedTuple):
    """What one committed write did; the UI redraws from these (one ``changed`` signal)."""

    entity: str
    record_id: str
    action: str
    fields: tuple[str, ...]
