"""The list export writer: typed cells, never formulas, nothing half-written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.store.sheets import Sheet, write_sheet


def test_cells_keep_their_types_and_text_is_never_a_formula(tmp_path: Path) -> None:
    rows = [
        ["=SUM(A1:A9)", 1250000, Decimal("99.50"), date(2026, 11, 2), None],
        ["+86 138 1234 5678", float("nan"), float("inf"), "@cmd", "-2+3"],
    ]
    out = tmp_path / "list.xlsx"
    headers = ["名称", "金额", "折扣", "日期", "备注"]
    assert write_sheet(out, Sheet("客户/列表:*?", headers, rows)) == 2
    ws = load_workbook(out).active
    assert ws.title == "客户_列表___"
    assert [c.value for c in ws[1]] == ["名称", "金额", "折扣", "日期", "备注"]
    assert ws["A2"].value == "=SUM(A1:A9)" and ws["A2"].data_type == "s"
    assert ws["B2"].value == 1250000 and ws["C2"].value == 99.5
    assert ws["D2"].value.date() == date(2026, 11, 2)
    assert [ws["B3"].value, ws["C3"].value] == ["nan", "inf"]  # no cell can hold them
    assert all(ws[c].data_type == "s" for c in ("A3", "D3", "E3"))
    assert not list(tmp_path.glob("*.part"))


def test_only_xlsx_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="xlsx"):
        write_sheet(tmp_path / "list.csv", Sheet("x", ["a"], [[1]]))


def test_a_control_character_in_a_note_does_not_refuse_the_file(tmp_path: Path) -> None:
    out = tmp_path / "notes.xlsx"
    rows = [["客户\x0c甲", "line\x1bone\tand\ttabs"], ["正常", "ok"]]
    assert write_sheet(out, Sheet("notes", ["名称", "备注"], rows)) == 2
    ws = load_workbook(out).active
    assert [c.value for c in ws[2]] == ["客户甲", "lineone\tand\ttabs"]
    assert [c.value for c in ws[3]] == ["正常", "ok"]
