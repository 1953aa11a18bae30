"""The ``ocr.languages`` setting reaches Tesseract: checks, card and contract passes, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import cli
from app.ocr import LanguageMissing, check_engine, read_card, read_cards
from app.ocr.engine import plan_languages

from .conftest import needs_tesseract, own_tesseract, truth

pytestmark = needs_tesseract


@pytest.fixture
def eng_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A Tesseract that has English data only, like a machine without the Chinese pack."""
    bundle = tmp_path / "eng-only"
    own_tesseract(monkeypatch, bundle, ["eng"])
    return bundle


def test_plans_for_the_usual_choices() -> None:
    install = check_engine()
    default = plan_languages(install, ["chi_sim", "eng"])
    assert default.lines.split("+")[0] == "chi_sim_std" and default.latin == "eng"
    assert default.document == "chi_sim"  # eng on contract pages turns numerals into garbage
    chinese = plan_languages(install, ["chi_sim"])
    assert chinese.latin is None and chinese.document == "chi_sim"
    english = plan_languages(install, ["eng"])
    assert (english.lines, english.latin, english.document) == ("eng", None, "eng")
    both = plan_languages(install, ["chi_tra", "chi_sim", "eng", "deu"])
    assert both.lines.startswith("chi_tra+chi_sim_std") and both.latin == "eng+deu"
    assert both.document == "chi_tra+chi_sim"


def test_a_language_tesseract_lacks_is_named_with_its_package() -> None:
    with pytest.raises(LanguageMissing) as err:
        check_engine(languages=["chi_sim", "xx_nowhere"])
    assert "xx_nowhere" in err.value.msg.en and "chi_sim," not in err.value.msg.en
    assert "apt-get install tesseract-ocr-xx-nowhere" in err.value.msg.en
    assert "tesseract-ocr-xx-nowhere" in err.value.msg.zh


@pytest.mark.slow
def test_english_only_machine_reads_cards_when_configured(eng_only: Path, samples: Path) -> None:
    card = samples / "card-clean-0000.png"
    expected = truth(card)
    with pytest.raises(LanguageMissing) as err:
        read_card(card, engine="tesseract")  # the default wants chi_sim, which it lacks
    assert f"chi_sim.traineddata → {eng_only / 'tessdata'}" in err.value.msg.en
    got = read_card(card, languages=["eng"], engine="tesseract").fields
    assert got["email"] is not None and got["email"].value == expected["email"]
    assert got["mobile"] is not None and got["mobile"].value == expected["mobile"]
    # Batches take the setting into their worker processes.
    (item,) = list(read_cards([card], languages=("eng",), engine="tesseract", workers=2))
    assert item.error is None and item.result is not None
    assert item.result.fields["email"] is not None
    assert item.result.fields["email"].value == expected["email"]


@pytest.mark.slow
def test_cli_reads_with_the_configured_languages(
    eng_only: Path, samples: Path, tmp_path: Path
) -> None:
    card = str(samples / "card-clean-0000.png")
    base = ["--lang", "en", "--profile", str(tmp_path / "p"), "--set", "ocr.engine=tesseract"]
    refused = CliRunner().invoke(cli, [*base, "ocr", "card", "--json", "--workers", "1", card])
    assert refused.exit_code == 2
    error = json.loads(refused.output.splitlines()[0])["error"]
    assert "chi_sim.traineddata" in error["en"]
    configured = CliRunner().invoke(
        cli,
        [*base, "--set", "ocr.languages=eng", "ocr", "card", "--json", "--workers", "1", card],
    )
    assert configured.exit_code == 0, configured.output
    fields = json.loads(configured.output.splitlines()[0])["fields"]
    assert fields["email"]["value"] == truth(samples / "card-clean-0000.png")["email"]


@pytest.mark.slow
def test_chinese_only_setting_reads_a_chinese_card(samples: Path) -> None:
    card = samples / "card-scan-0000.jpg"
    got = read_card(card, languages=["chi_sim"]).fields
    for name in ("name", "company", "mobile"):
        value = got[name]
        assert value is not None and value.value == truth(card)[name], name
