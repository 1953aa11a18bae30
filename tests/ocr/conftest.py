"""Shared fixtures for the OCR tests: the committed samples and a small generated set."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from app.ocr import find_tesseract

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
DEBIAN_DATA = Path("/usr/share/tesseract-ocr/5/tessdata")

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


def own_tesseract(monkeypatch: pytest.MonkeyPatch, folder: Path, languages: Sequence[str]) -> Path:
    """Configure (``FIELDCRM_TESSERACT``) a Tesseract in ``folder`` whose own data folder holds
    only ``languages``, linked from Debian's data; returns that data folder."""
    real = find_tesseract()
    data = folder / "tessdata"
    data.mkdir(parents=True)
    os.symlink(real.cmd, folder / "tesseract")
    for name in languages:
        src = DEBIAN_DATA / f"{name}.traineddata"
        if not src.exists():
            pytest.skip(f"needs the Debian {src.name}")
        os.symlink(src, data / src.name)
    monkeypatch.setenv("FIELDCRM_TESSERACT", str(folder))
    return data
