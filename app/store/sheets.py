"""Write what a list shows to an Excel sheet (SPEC T5): one writer for every list.

Cells hold typed values: numbers stay numbers, dates stay dates, and text stays text even when
it starts with ``=``, ``+``, ``-`` or ``@`` (a customer's note is never run as a formula when
the file is opened).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

# The characters openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE); kept here so that
# openpyxl is only imported when a file is written.
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


@dataclass(frozen=True)
class Sheet:
    """A list as the user sees it: its title, visible column titles and rows."""

    title: str
    headers: list[str]
    rows: list[list[Any]]


def _typed(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float):
        # A non-finite number has no Excel cell; it is written as the text it prints as.
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    # Control characters (a pasted form feed, a stray escape) have no place in an .xlsx cell:
    # openpyxl refuses the whole file for one of them, so they are dropped from the text.
    return _ILLEGAL.sub("", str(value))


def _sheet_title(title: str) -> str:
    # Excel refuses these characters in sheet names and more than 31 of them.
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Sheet")[:31]


def write_sheet(path: Path, sheet: Sheet) -> int:
    """Write ``sheet`` to ``path`` (.xlsx) and return how many rows were written."""
    return write_sheets(path, [sheet])


def write_sheets(path: Path, sheets: list[Sheet]) -> int:
    """Write each sheet to its own worksheet of one .xlsx file; returns the rows written."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell

    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"unsupported export type {path.suffix or '(none)'}: use .xlsx")
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    used: set[str] = set()
    for sheet in sheets:
        title = _sheet_title(sheet.title)
        while title in used:  # Excel needs distinct sheet names
            title = _sheet_title(title[:28] + f"_{len(used)}")
        used.add(title)
        ws = wb.create_sheet(title)
        for r, row in enumerate([sheet.headers, *sheet.rows], start=1):
            for c, value in enumerate(row, start=1):
                typed = _typed(value)
                cell: Cell = ws.cell(row=r, column=c)
                cell.value = typed
                if isinstance(typed, str):
                    cell.data_type = "s"  # openpyxl would take "=…" for a formula
        ws.freeze_panes = "A2"
        for c, header in enumerate(sheet.headers, start=1):
            widths = [len(str(header))] + [len(str(row[c - 1] or "")) for row in sheet.rows[:200]]
            ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = min(
                max(widths) * 1.6 + 2, 60
            )
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)  # a crash never leaves a half-written file under the real name
    return sum(len(s.rows) for s in sheets)


__all__ = ["Sheet", "write_sheet", "write_sheets"]
