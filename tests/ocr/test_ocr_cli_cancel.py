"""The ``ocr`` click group, progress reports and cancellation."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner

from app.config import Config
from app.ocr import Cancelled, Progress, read_card, read_cards
from app.ocr.commands import ocr

from .conftest import needs_tesseract, truth

pytestmark = needs_tesseract


def cli() -> click.Group:
    group = click.Group("fieldcrm")
    group.add_command(ocr)
    return group


@pytest.mark.slow
def test_card_json_with_a_bad_file(samples: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG but not really")
    good = samples / "card-clean-0000.png"
    result = CliRunner().invoke(cli(), ["ocr", "card", "--json", str(good), str(bad)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [d["file"] for d in lines] == [str(good), str(bad)]
    assert {k: (v["value"] if v else None) for k, v in lines[0]["fields"].items()} == truth(good)
    assert set(lines[1]["error"]) == {"zh", "en"}


@pytest.mark.slow
def test_contract_table(samples: Path) -> None:
    path = samples / "contract-0000.png"
    result = CliRunner().invoke(cli(), ["ocr", "contract", "--workers", "1", str(path)])
    assert result.exit_code == 0, result.output
    assert truth(path)["party_a"] in result.output
    assert "amount" in result.output


def test_missing_engine_exit_code(samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDCRM_TESSERACT", "/nonexistent/tesseract")
    path = str(samples / "card-clean-0000.png")
    args = ["ocr", "card", "--json", "--workers", "1", path]
    settings = SimpleNamespace(config=Config(ocr_engine="tesseract"))  # Tesseract's own failure
    result = CliRunner().invoke(cli(), args, obj=settings)
    assert result.exit_code == 2
    assert json.loads(result.output.splitlines()[0])["file"] == path


def test_cancel_before_start(samples: Path) -> None:
    stages: list[str] = []
    with pytest.raises(Cancelled):
        read_card(
            samples / "card-clean-0000.png",
            cancel=lambda: True,
            progress=lambda p: stages.append(p.stage),
        )
    assert "ocr" not in stages


def test_cancel_during_ocr_stops_before_extraction(samples: Path) -> None:
    flag = threading.Event()
    reports: list[Progress] = []

    def progress(p: Progress) -> None:
        reports.append(p)
        if p.stage == "ocr":
            flag.set()

    with pytest.raises(Cancelled):
        read_card(samples / "card-clean-0000.png", cancel=flag.is_set, progress=progress)
    assert [p.stage for p in reports] == ["load", "prepare", "ocr"]
    assert all(p.total == 4 for p in reports)


def test_progress_runs_to_completion(samples: Path) -> None:
    reports: list[Progress] = []
    read_card(samples / "card-clean-0000.png", progress=reports.append)
    assert reports[-1] == Progress(4, 4, "done")
    assert [p.done for p in reports] == sorted(p.done for p in reports)


@pytest.mark.slow
def test_batch_cancel_stops_early(samples: Path) -> None:
    paths = [samples / "card-clean-0000.png"] * 6
    flag = threading.Event()
    seen = []
    with pytest.raises(Cancelled):
        for item in read_cards(paths, workers=1, cancel=flag.is_set):
            seen.append(item)
            flag.set()
    assert len(seen) == 1
