"""Result types shared by card and contract reading (plain data, picklable, no Qt)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from app.domain.messages import Msg

CARD_FIELDS = (
    "name",
    "title",
    "company",
    "mobile",
    "phone",
    "email",
    "website",
    "address",
    "wechat",
)
CONTRACT_FIELDS = ("contract_no", "party_a", "party_b", "amount", "signed_on", "expires_on")


class Box(NamedTuple):
    """A rectangle in pixels of the prepared image: left, top, width, height."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def union(self, other: Box) -> Box:
        left, top = min(self.left, other.left), min(self.top, other.top)
        right, bottom = max(self.right, other.right), max(self.bottom, other.bottom)
        return Box(left, top, right - left, bottom - top)


@dataclass(frozen=True)
class Word:
    """One word as Tesseract read it, with its box and confidence (0..1)."""

    text: str
    box: Box
    confidence: float
    page: int = 0
    line_key: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class FieldValue:
    """An extracted value, normalised, with a confidence in 0..1 and where it was found."""

    value: str
    confidence: float
    box: Box | None = None
    page: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON form used by the CLI: value and confidence only."""
        return {"value": self.value, "confidence": round(self.confidence, 3)}


Fields = dict[str, FieldValue | None]


@dataclass
class CardResult:
    """What was read from one business card.

    ``fields`` has every name in :data:`CARD_FIELDS` (None when not found). Word boxes refer to
    the prepared image (cropped, straightened and scaled), whose size is ``image_size``.
    """

    fields: Fields
    text: str
    words: list[Word] = field(default_factory=list)
    image_size: tuple[int, int] = (0, 0)
    card_found: bool = False
    engine: str = "tesseract"  # which recogniser read it: "ppocr" or "tesseract"
    notice: Msg | None = None  # said once per process: PP-OCR could not run, Tesseract read

    def values(self) -> dict[str, str | None]:
        """Field values only, for filling a form."""
        return {k: (v.value if v else None) for k, v in self.fields.items()}


@dataclass
class ContractResult:
    """What was read from one contract (all pages).

    ``fields`` has every name in :data:`CONTRACT_FIELDS`; ``amount`` is a decimal string
    ("123000.00") and dates are ISO ("2026-03-05").
    """

    fields: Fields
    text: str
    pages: int
    words: list[Word] = field(default_factory=list)
    text_layer: bool = False
    engine: str = "tesseract"  # "ppocr", "tesseract", or "text" for a PDF's text layer
    notice: Msg | None = None

    def values(self) -> dict[str, str | None]:
        """Field values only."""
        return {k: (v.value if v else None) for k, v in self.fields.items()}


@dataclass(frozen=True)
class Progress:
    """A progress report: ``done`` of ``total`` steps, and what is happening now."""

    done: int
    total: int
    stage: str


ProgressCallback = Callable[[Progress], None]
CancelCheck = Callable[[], bool]
"""A callable that returns True once the user asked to stop, e.g. ``event.is_set``."""
