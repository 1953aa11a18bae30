"""The shipped Chinese model: found beside the installed data, used for card lines, optional."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.ocr import read_card
from app.ocr.engine import (
    STANDARD_MODEL,
    _languages,
    find_tesseract,
    plan_languages,
    shipped_model,
)

from .conftest import DEBIAN_DATA, needs_tesseract, own_tesseract, truth

pytestmark = needs_tesseract

DATA = Path(__file__).parent / "data"


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setattr("app.ocr.engine.cache_root", lambda: folder)
    return folder


@pytest.fixture
def own_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A Tesseract configured with a data folder of its own that lacks the shipped model."""
    return own_tesseract(monkeypatch, tmp_path / "tess", ["chi_sim", "eng"])


def test_the_app_ships_the_model() -> None:
    model = shipped_model()
    assert model is not None and model.name == f"{STANDARD_MODEL}.traineddata"
    # Only the LSTM parts: the legacy engine's 40 MB would slow every Tesseract start.
    assert 1_000_000 < model.stat().st_size < 4_000_000


def test_card_lines_use_the_shipped_model_and_contracts_the_installed_one() -> None:
    install = find_tesseract()
    assert STANDARD_MODEL in _languages(install.cmd, install.tessdata)
    plan = plan_languages(install, ["chi_sim", "eng"])
    assert plan.lines.split("+")[0] == STANDARD_MODEL
    assert plan.document == "chi_sim"


def test_a_folder_of_links_joins_the_installed_data_and_the_model(
    own_data: Path, cache: Path
) -> None:
    install = find_tesseract()
    assert install.linked and install.tessdata is not None
    assert install.tessdata.parent == cache / "tessdata"
    names = {p.name for p in install.tessdata.iterdir()}
    assert names == {"chi_sim.traineddata", "eng.traineddata", f"{STANDARD_MODEL}.traineddata"}
    assert {"chi_sim", "eng", STANDARD_MODEL} <= _languages(install.cmd, install.tessdata)
    # Built once: the next lookup takes the same folder.
    assert find_tesseract().tessdata == install.tessdata
    # A language package added later gets a folder of its own that holds it too.
    os.symlink(DEBIAN_DATA / "osd.traineddata", own_data / "osd.traineddata")
    again = find_tesseract()
    assert again.tessdata != install.tessdata and again.tessdata is not None
    assert (again.tessdata / "osd.traineddata").exists()


def test_an_unwritable_cache_falls_back_to_the_installed_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr("app.ocr.engine.cache_root", lambda: blocker)
    install = find_tesseract()
    assert not install.linked
    assert plan_languages(install).lines.split("+")[0] == "chi_sim"
    assert "installed chi_sim" in caplog.text


def test_without_the_shipped_model_cards_read_with_the_installed_one(
    monkeypatch: pytest.MonkeyPatch, samples: Path
) -> None:
    monkeypatch.setattr("app.ocr.engine.shipped_model", lambda: None)
    install = find_tesseract()
    assert not install.linked
    assert plan_languages(install).lines.split("+")[0] == "chi_sim"
    path = samples / "card-clean-0000.png"
    assert read_card(path, engine="tesseract").values() == truth(path)


def test_a_company_glyph_the_fast_model_misreads() -> None:
    # On this office scan the installed fast model reads 睿达 as 容达.
    path = DATA / "card-scan-company-glyph.jpg"
    assert (
        read_card(path, engine="tesseract").values()["company"]
        == truth(path)["company"]
        == "南京睿达家居有限公司"
    )
