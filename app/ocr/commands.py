"""``fieldcrm ocr card|contract FILE...``: read files from the command line.

With ``--json`` each input gives one JSON object on its own line; a file that cannot be read
gives ``{"file": ..., "error": {"zh": ..., "en": ...}}`` and the rest are still read. The exit
status is 1 when any file failed, 2 when the OCR engine itself is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from app.ocr.batch import BatchItem, read_cards, read_contracts
from app.ocr.engine import LANGUAGES
from app.ocr.errors import EngineMissing
from app.ocr.results import CARD_FIELDS, CONTRACT_FIELDS, CardResult, ContractResult


def _languages(obj: Any) -> tuple[str, ...]:
    """The ``ocr.languages`` setting in force (IT file, user settings, ``--set``)."""
    config = getattr(obj, "config", None)
    return config.ocr_languages if config is not None else LANGUAGES


def _engine(obj: Any) -> str:
    """The ``ocr.engine`` setting in force."""
    config = getattr(obj, "config", None) if obj is not None else None
    return str(getattr(config, "ocr_engine", "auto"))


@click.group(name="ocr")
def ocr() -> None:
    """Read business cards and contracts with OCR (Tesseract, offline)."""


def _emit(
    items: Iterator[BatchItem[Any]], fields: tuple[str, ...], as_json: bool, order: list[str]
) -> None:
    by_file: dict[str, BatchItem[Any]] = {}
    failed = False
    try:
        for item in items:
            by_file[item.path] = item
    except EngineMissing as exc:
        # Every file fails alike; report each so that the output keeps one line per input.
        for name in order:
            if as_json:
                click.echo(
                    json.dumps({"file": name, "error": exc.msg.as_dict()}, ensure_ascii=False)
                )
        if not as_json:
            click.echo(str(exc.msg), err=True)
        raise SystemExit(2) from exc
    for name in order:
        item = by_file[name]
        if item.error is not None:
            failed = True
            if as_json:
                click.echo(
                    json.dumps(
                        {"file": name, "error": item.error.msg.as_dict()}, ensure_ascii=False
                    )
                )
            else:
                click.echo(f"== {name}\n   error: {item.error.msg}", err=False)
            continue
        result: CardResult | ContractResult | None = item.result
        assert result is not None
        if result.notice is not None:  # PP-OCR could not load: said once, on stderr
            click.echo(str(result.notice), err=True)
        if as_json:
            payload = {k: (v.as_dict() if (v := result.fields.get(k)) else None) for k in fields}
            line = {"file": name, "engine": result.engine, "fields": payload}
            click.echo(json.dumps(line, ensure_ascii=False))
        else:
            click.echo(f"== {name}")
            for k in fields:
                v = result.fields.get(k)
                shown = f"{v.value}  ({v.confidence:.2f})" if v else "-"
                click.echo(f"   {k:<12} {shown}")
    if failed:
        raise SystemExit(1)


@ocr.command("card")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file per line.")
@click.option("--workers", type=int, default=None, help="Processes (default: one per core).")
@click.pass_obj
def card_cmd(obj: Any, images: tuple[Path, ...], as_json: bool, workers: int | None) -> None:
    """Read business-card IMAGES: name, title, company, phones, e-mail, web, address, WeChat."""
    order = [str(p) for p in images]
    items = read_cards(order, languages=_languages(obj), engine=_engine(obj), workers=workers)
    _emit(items, CARD_FIELDS, as_json, order)


@ocr.command("contract")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file per line.")
@click.option("--workers", type=int, default=None, help="Processes (default: one per core).")
@click.pass_obj
def contract_cmd(obj: Any, files: tuple[Path, ...], as_json: bool, workers: int | None) -> None:
    """Read contract FILES (PDF or images): number, parties, amount, dates."""
    order = [str(p) for p in files]
    items = read_contracts(order, languages=_languages(obj), engine=_engine(obj), workers=workers)
    _emit(items, CONTRACT_FIELDS, as_json, order)
