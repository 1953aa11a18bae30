"""Bad input and a broken engine give clear, bilingual errors, never a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from app.ocr import (
    EngineMissing,
    InputError,
    LanguageMissing,
    find_tesseract,
    read_card,
    read_contract,
)
from app.ocr.engine import check_engine

from .conftest import needs_tesseract

pytestmark = needs_tesseract


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_card(tmp_path / "nope.png")
    assert "file not found" in err.value.msg.en and "不存在" in err.value.msg.zh


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_card(path)


def test_unsupported_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not an image", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_card(path)
    assert "unsupported" in err.value.msg.en


def test_truncated_image(tmp_path: Path, samples: Path) -> None:
    data = (samples / "card-clean-0000.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[:400])
    with pytest.raises(InputError) as err:
        read_card(path)
    assert "damaged" in err.value.msg.en


def test_pixel_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    Image.new("1", (12_000, 12_000)).save(path)  # 144 megapixels in a few kilobytes
    assert path.stat().st_size < 100_000
    with pytest.raises(InputError) as err:
        read_card(path)
    assert "too large" in err.value.msg.en or "too many pixels" in err.value.msg.en


def test_tiny_image(tmp_path: Path) -> None:
    path = tmp_path / "tiny.png"
    Image.new("RGB", (10, 10), "white").save(path)
    with pytest.raises(InputError, match="too small"):
        read_card(path)


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    with pytest.raises(InputError) as err:
        read_contract(path)
    assert "PDF" in err.value.msg.en


def test_missing_tesseract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, samples: Path) -> None:
    monkeypatch.setenv("FIELDCRM_TESSERACT", str(tmp_path / "no" / "tesseract"))
    with pytest.raises(EngineMissing) as err:
        read_card(samples / "card-clean-0000.png", engine="tesseract")
    assert "apt-get install tesseract-ocr tesseract-ocr-chi-sim" in err.value.msg.en
    assert "FIELDCRM_TESSERACT" in err.value.msg.zh


def test_missing_language(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = find_tesseract()
    bundle = tmp_path / "bundle"
    (bundle / "tessdata").mkdir(parents=True)
    os.symlink(real.cmd, bundle / "tesseract")
    eng = Path("/usr/share/tesseract-ocr/5/tessdata/eng.traineddata")
    if not eng.exists():
        pytest.skip("needs the Debian eng.traineddata")
    os.symlink(eng, bundle / "tessdata" / "eng.traineddata")
    monkeypatch.setenv("FIELDCRM_TESSERACT", str(bundle))
    install = find_tesseract()
    assert install.source == "env" and install.tessdata == bundle / "tessdata"
    with pytest.raises(LanguageMissing) as err:
        check_engine(install)
    # A copy with its own data folder is told which file goes where; a system one, its package.
    assert f"chi_sim.traineddata → {bundle / 'tessdata'}" in err.value.msg.en
    assert "chi_sim.traineddata" in err.value.msg.zh


def test_frozen_bundle_is_preferred(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    real = find_tesseract()
    (tmp_path / "tesseract" / "tessdata").mkdir(parents=True)
    os.symlink(real.cmd, tmp_path / "tesseract" / "tesseract")
    monkeypatch.delenv("FIELDCRM_TESSERACT", raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    found = find_tesseract()
    assert found.source == "bundle"
    assert found.cmd == tmp_path / "tesseract" / "tesseract"
