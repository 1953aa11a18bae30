"""OCR of business cards and contracts (SPEC O1–O3), with no Qt.

Public API::

    read_card(path_or_image, *, languages=LANGUAGES, cancel=None, progress=None, threads=None)
        -> CardResult
    read_contract(path_or_pages, *, languages=..., cancel=None, progress=None, threads=None)
        -> ContractResult
    read_cards(paths, *, languages=..., workers=None, cancel=None, progress=None)
        -> Iterator[BatchItem]
    read_contracts(paths, ...) -> Iterator[BatchItem]
    find_tesseract() -> TesseractInstall;  check_engine(languages=...) -> TesseractInstall

``languages`` are Tesseract names (the setting ``ocr.languages``; chi_sim and eng by default).
``threads``: how many Tesseract calls of one file may run at once (default: one per core).

Errors are described in :mod:`app.ocr.errors`.
"""

from app.ocr.batch import BatchItem, read_cards, read_contracts
from app.ocr.engine import LANGUAGES, TesseractInstall, check_engine, find_tesseract
from app.ocr.errors import Cancelled, EngineMissing, InputError, LanguageMissing, OcrError
from app.ocr.reader import read_card, read_contract
from app.ocr.results import (
    CARD_FIELDS,
    CONTRACT_FIELDS,
    Box,
    CardResult,
    ContractResult,
    FieldValue,
    Progress,
    Word,
)

__all__ = [
    "CARD_FIELDS",
    "CONTRACT_FIELDS",
    "LANGUAGES",
    "BatchItem",
    "Box",
    "Cancelled",
    "CardResult",
    "ContractResult",
    "EngineMissing",
    "FieldValue",
    "InputError",
    "LanguageMissing",
    "OcrError",
    "Progress",
    "TesseractInstall",
    "Word",
    "check_engine",
    "find_tesseract",
    "read_card",
    "read_cards",
    "read_contract",
    "read_contracts",
]
