"""Errors raised by the OCR engine, each carrying a bilingual message for the user.

    OcrError                 base class; ``.msg`` is a :class:`~app.domain.messages.Msg`
    ├── EngineMissing        the tesseract program cannot be found or does not run
    │   └── LanguageMissing  tesseract runs but lacks the data of a language in use
    ├── InputError           one file cannot be read: missing, empty, corrupt, too large,
    │                        unsupported type (per file: a batch goes on with the next one)
    └── Cancelled            the caller's cancel check returned True

EngineMissing is an environment problem that affects every file, so a batch stops on it;
InputError concerns one file only.
"""

from __future__ import annotations

from app.domain.messages import Msg

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"


class OcrError(Exception):
    """Base class for every error this package raises on purpose."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(str(msg))
        self.msg = msg

    def __reduce__(self) -> tuple[type[OcrError], tuple[Msg]]:
        # Keeps the Msg when the error crosses a process boundary in a batch.
        return (type(self), (self.msg,))


class EngineMissing(OcrError):
    """Tesseract is not installed where FieldCRM looks, or fails to start."""


class LanguageMissing(EngineMissing):
    """Tesseract lacks the data of a language in use (chi_sim and eng unless configured)."""


class InputError(OcrError):
    """A single input file cannot be read (the batch goes on with the others)."""


class Cancelled(OcrError):
    """The work was cancelled by the caller."""

    def __init__(self, msg: Msg | None = None) -> None:
        super().__init__(msg or Msg("已取消识别", "Recognition was cancelled"))
