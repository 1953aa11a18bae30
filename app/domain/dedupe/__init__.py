"""Duplicate detection (SPEC C1): name folding (:mod:`.names`) and the matcher (:mod:`.match`)."""

from app.domain.dedupe.match import (
    THRESHOLD,
    ContactIn,
    ContactIndex,
    CustomerIn,
    CustomerIndex,
    Group,
    Match,
    Verdict,
)

__all__ = [
    "THRESHOLD",
    "ContactIn",
    "ContactIndex",
    "CustomerIn",
    "CustomerIndex",
    "Group",
    "Match",
    "Verdict",
]
