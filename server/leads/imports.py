"""``fieldcrm-server leads import FILE``: leads from a .csv or .xlsx file, through intake.

The whole file is checked first: one bad row refuses the file (every problem listed as
``row N, column C: reason``), as the desktop's own import does; then each row is stored as an
intake lead of the ``import`` channel (or the channel column's), idempotent on ``external_id``
— a row without one gets an id derived from its name, company, mobile and e-mail, so importing
a file twice stores its leads once.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from app.domain.schema import entity
from app.store.import_files import UnreadableFile, read_table
from server.leads.intake import (
    FLAG_FACTS,
    NUMBER_FACTS,
    check_lead,
    derived_external_id,
    store_leads,
)

_YES = {"1", "true", "yes", "y", "是", "有", "√"}
_NO = {"0", "false", "no", "n", "否", "无", ""}


def _row_values(header: list[str], cells: list[str]) -> dict[str, Any]:
    labels = {f.label.zh: f.name for f in entity("lead").fields}
    out: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=False):
        key = labels.get(name, name)
        text = cell.strip()
        if not text:
            continue
        if key in NUMBER_FACTS:
            try:
                number: Any = float(text.replace(",", ""))
            except ValueError:
                number = text
            if isinstance(number, float) and math.isfinite(number) and number.is_integer():
                number = int(number)
            out[key] = number
        elif key in FLAG_FACTS:
            low = text.lower()
            out[key] = True if low in _YES else False if low in _NO else text
        else:
            out[key] = text
    return out


def import_leads(
    engine: Engine, path: Path, team_id: str, channel: str = "import"
) -> tuple[list[str], list[dict[str, Any]]]:
    """(problems, outcomes): problems non-empty means nothing was stored."""
    try:
        table = read_table(path)
    except UnreadableFile as exc:
        return [f"{exc.message.zh} / {exc.message.en}"], []
    header, body = table.header, table.rows
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    for number, cells in body:
        values = _row_values(header, cells)
        if not values.get("external_id"):
            values["external_id"] = derived_external_id(values)
        row_channel = str(values.get("channel") or channel)
        values["channel"] = row_channel
        _, _, errors, ignored = check_lead(values, row_channel)
        for field_name, msg in errors.items():
            problems.append(f"row {number}, column {field_name}: {msg['zh']} / {msg['en']}")
        for field_name in ignored:
            problems.append(f"row {number}, column {field_name}: unknown column")
        rows.append(values)
    if problems:
        return problems, []
    outcomes: list[dict[str, Any]] = []
    for values in rows:
        outcomes.extend(
            store_leads(engine, str(values["channel"]), team_id, [values], actor_device="import")
        )
    return [], outcomes
