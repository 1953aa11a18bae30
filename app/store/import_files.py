"""Reading an import file (.csv or .xlsx) into rows of text, safely.

A file to import comes from anywhere: Excel on a Chinese, Taiwanese, Japanese or Western
Windows, a text file renamed, a crafted workbook. What is read is bounded before the work
starts (file size, the sizes an .xlsx declares for its parts, the number of cells), and a .csv
file's encoding is named only when the bytes say so: a byte order mark, strict UTF-8, or one
legacy encoding whose decoding reads as plausible text in its language. When unsure the file
is refused with the reason, never imported as mojibake.

UnreadableFile   the file as a whole cannot be read (message for the user)
└── NeedsConsent the file is readable, but only by a change the user must agree to (Big5)
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.domain.messages import Msg
from app.domain.text import to_simplified
from app.store.errors import StoreError

MAX_CSV_BYTES = 64 << 20
# The uncompressed size of every part of a workbook together, as its zip directory declares it
# (the zip reader never returns more than that); a zip bomb is refused before it is inflated.
MAX_XLSX_BYTES = 128 << 20
MAX_CELLS = 1_000_000
MAX_ROWS = 1_048_576  # Excel's own limit

# Share of a decoding's hanzi that must be everyday characters for it to count as plausible.
_PLAUSIBLE = 0.9
_HANZI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_SAMPLE = 1 << 16  # characters: ample evidence, and Big5's check converts them all
# What Western text decoded as Windows-1252 holds beyond ASCII: accented letters and the
# typographic marks Word puts in (no ×, ÷ or the Latin-1 symbols legacy CJK bytes decode to).
_LATIN_EXTRA = re.compile(r"[À-ÖØ-öø-ÿŒœŠšŽžŸ€…‘’“”•–—™]")


class UnreadableFile(StoreError):
    """The file cannot be imported as it is; ``message`` says why, in both languages."""

    def __init__(self, message: Msg) -> None:
        self.message = message
        super().__init__(message.en)


class NeedsConsent(UnreadableFile):
    """Readable only through a conversion the user has to ask for (``encoding`` names it)."""

    def __init__(self, message: Msg, encoding: str) -> None:
        super().__init__(message)
        self.encoding = encoding


@dataclass(frozen=True)
class Table:
    """An import file read as text: the header, the non-blank rows with their spreadsheet row
    numbers (header = 1), and the encoding a .csv file was read in (None for .xlsx)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str | None = None


def read_table(path: Path, *, convert_traditional: bool = False) -> Table:
    """Read a .csv or .xlsx file; :class:`UnreadableFile` when it cannot be read honestly.

    Cells are trimmed. Blank rows are skipped but keep their place in the numbering, so a row
    number is the one the user sees in Excel. ``convert_traditional`` lets a Big5 (traditional
    Chinese) file be read and converted to simplified characters.
    """
    suffix = path.suffix.lower()
    encoding: str | None = None
    if suffix == ".csv":
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise UnreadableFile(_too_big(size, MAX_CSV_BYTES))
        text, encoding = decode(path.read_bytes(), convert_traditional=convert_traditional)
        # newline="": a line break inside a quoted cell stays in the cell.
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            rows = _limited(reader, quoted=True)
        except csv.Error as exc:  # a cell over the csv module's size limit (128 KiB)
            raise UnreadableFile(
                Msg(
                    "第 {n} 行附近无法读取:{e}。一个单元格是否缺少结尾的引号?",
                    "Cannot read the file near line {n}: {e}. Does a cell lack its closing quote?",
                ).format(n=reader.line_num, e=exc)
            ) from None
    elif suffix == ".xlsx":
        rows = _read_xlsx(path)
    else:
        raise UnreadableFile(
            Msg(
                "不支持的文件类型 {s}:请使用 .csv 或 .xlsx",
                "Unsupported file type {s}: use .csv or .xlsx",
            ).format(s=suffix or "(none)")
        )
    if not rows:
        raise UnreadableFile(Msg("文件为空", "The file is empty"))
    header = rows[0]
    body = [(i + 2, r) for i, r in enumerate(rows[1:]) if any(r)]
    return Table(header, body, encoding)


def _too_big(size: int, limit: int) -> Msg:
    return Msg(
        "文件过大({n} MB,上限 {m} MB):请分成几个文件导入",
        "The file is too large ({n} MB; the limit is {m} MB): import it in parts",
    ).format(n=round(size / 2**20), m=limit >> 20)


_TOO_MANY_CELLS = Msg(
    "文件的单元格过多(上限 {n} 个):请分成几个文件导入",
    "The file has too many cells (the limit is {n}): import it in parts",
).format(n=MAX_CELLS)


_TOO_MANY_ROWS = Msg(
    "文件的行数过多(上限 {n} 行):请分成几个文件导入",
    "The file has too many rows (the limit is {n}): import it in parts",
).format(n=MAX_ROWS)
_BLANK: list[str] = []


def _limited(rows: Iterable[Iterable[Any]], *, quoted: bool = False) -> list[list[str]]:
    """Rows as trimmed text, refusing the file once it holds more than :data:`MAX_CELLS`
    cells or :data:`MAX_ROWS` rows. ``quoted``: undo :func:`neutralise` (a .csv file)."""
    out: list[list[str]] = []
    cells = 0
    for row in rows:
        texts = [_cell(v) for v in row]
        if quoted:
            texts = [restore(t) for t in texts]
        cells += len(texts)
        if cells > MAX_CELLS:
            raise UnreadableFile(_TOO_MANY_CELLS)
        # One shared list for blank rows: a sheet may list a million of them in a few bytes.
        out.append(texts if any(texts) else _BLANK)
        if len(out) > MAX_ROWS:
            raise UnreadableFile(_TOO_MANY_ROWS)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 13812345678 as a float
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# ---- formulas ------------------------------------------------------------------------
# A spreadsheet runs a cell that starts with one of these as a formula (or DDE command) when a
# .csv is opened; OWASP's advice is to make such text cells start with a single quote instead.
_FORMULA_START = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def neutralise(text: str) -> str:
    """``text`` as a .csv cell that no spreadsheet runs as a formula; :func:`restore` undoes it.

    A leading quote is added when the text, after any quotes it already starts with, begins
    with a formula character, so text that really starts with quotes comes back unchanged too.
    Plain numbers such as ``-12.5`` stay as they are.
    """
    if text.lstrip("'")[:1] in _FORMULA_START and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore(cell: str) -> str:
    """The text a .csv cell held before :func:`neutralise`."""
    if cell.startswith("'") and cell.lstrip("'")[:1] in _FORMULA_START:
        return cell[1:]
    return cell


# ---- .xlsx -------------------------------------------------------------------------------
_NOT_A_WORKBOOK = Msg(
    "这不是 Excel 工作簿(.xlsx):可能是改了扩展名的文本文件、旧版 .xls 或加密的工作簿。"
    "请在 Excel 中另存为 .xlsx 或 .csv",
    "This is not an Excel workbook (.xlsx): perhaps a renamed text file, an old .xls or a "
    "password-protected workbook. Save it from Excel as .xlsx or .csv",
)


# What a damaged or foreign file makes the zip and XML readers raise. SyntaxError: the XML
# parsers' errors derive from it; NotImplementedError and RuntimeError: compression methods and
# encryption the zip module does not handle.
_BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    SyntaxError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    NotImplementedError,
    RuntimeError,
)


def _read_xlsx(path: Path) -> list[list[str]]:
    """The first sheet's rows, read streaming after the zip's declared sizes were checked."""
    try:
        with zipfile.ZipFile(path) as z:
            declared = sum(i.file_size for i in z.infolist())
    except _BROKEN:
        raise UnreadableFile(_NOT_A_WORKBOOK) from None
    if declared > MAX_XLSX_BYTES:
        raise UnreadableFile(_too_big(declared, MAX_XLSX_BYTES))
    from openpyxl import load_workbook

    # The file is opened here so that it is closed here: a refused sheet leaves openpyxl's
    # reader half-way through it.
    with path.open("rb") as f:
        try:
            wb = load_workbook(f, read_only=True, data_only=True)
        except _BROKEN:
            raise UnreadableFile(_NOT_A_WORKBOOK) from None
        try:
            if not wb.worksheets:
                return []
            sheet = wb.worksheets[0]
            # A sheet may declare any size; rows are not padded out to what it declares.
            sheet.reset_dimensions()
            return _limited(sheet.iter_rows(values_only=True))
        except _BROKEN:
            raise UnreadableFile(_NOT_A_WORKBOOK) from None
        finally:
            wb.close()


# ---- .csv encodings ---------------------------------------------------------------------
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its mark starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"\x84\x31\x95\x33", "gb18030"),
)
_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
    "gb18030": "GB18030",
    "cp950": "Big5",
    "cp932": "Shift-JIS",
    "cp1252": "Windows-1252",
}
_SAVE_AS_UTF8 = Msg(
    "请在 Excel 中另存为“CSV UTF-8(逗号分隔)”后再导入",
    'save it from Excel as "CSV UTF-8 (Comma delimited)" and import that',
)


def encoding_name(encoding: str) -> str:
    """The name a user knows an encoding by (``cp950`` is "Big5")."""
    return _NAMES.get(encoding, encoding)


def decode(raw: bytes, *, convert_traditional: bool = False) -> tuple[str, str]:
    """The text of a .csv file and the encoding it was read in.

    Raises :class:`UnreadableFile` when the encoding cannot be told for sure, and
    :class:`NeedsConsent` for Big5 unless ``convert_traditional``.
    """
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return _strict(raw, encoding), encoding
    utf16 = _utf16_without_bom(raw)
    if utf16 is not None:
        return _strict(raw, utf16), utf16
    if b"\x00" in raw:
        raise UnreadableFile(
            Msg(
                "文件含有二进制内容,不是文本表格:{s}",
                "The file holds binary data, not a text table: {s}",
            ).format(s=_SAVE_AS_UTF8)
        )
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Judged on lines with non-ASCII bytes (a line end never falls inside a legacy CJK
    # character), then the whole file is decoded once, strictly, in the one that fits.
    sample = _lines_beyond_ascii(raw)
    plausible = [enc for enc, text in _legacy_readings(sample) if _reads_as(enc, text)]
    try:
        if len(plausible) != 1:
            raise UnicodeError()
        encoding = plausible[0]
        text = raw.decode(encoding)
    except UnicodeError:
        raise UnreadableFile(
            Msg(
                "无法确定文件的编码(不是 UTF-8,也不像 GB18030、Big5 或 Windows-1252 文本):{s}",
                "Cannot tell the file's encoding (not UTF-8, and it does not read as GB18030, "
                "Big5 or Windows-1252 text): {s}",
            ).format(s=_SAVE_AS_UTF8)
        ) from None
    if encoding == "cp932":
        raise UnreadableFile(
            Msg(
                "文件似乎是日文 Shift-JIS 编码,FieldCRM 不导入该编码:{s}",
                "The file looks like Japanese text in Shift-JIS, which FieldCRM does not "
                "import: {s}",
            ).format(s=_SAVE_AS_UTF8)
        )
    if encoding == "cp950":
        if not convert_traditional:
            raise NeedsConsent(
                Msg(
                    "文件是繁体中文 Big5 编码。如需转换为简体中文后导入,请加上 "
                    "--convert-traditional;或{s}",
                    "The file is traditional Chinese in Big5. To import it converted to "
                    "simplified characters, add --convert-traditional; or {s}",
                ).format(s=_SAVE_AS_UTF8),
                encoding,
            )
        return to_simplified(text), encoding
    return text, encoding


def _strict(raw: bytes, encoding: str) -> str:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise UnreadableFile(
            Msg(
                "文件标明为 {e} 编码,但内容不符:{s}",
                "The file is marked as {e} but is not valid {e}: {s}",
            ).format(e=encoding_name(encoding), s=_SAVE_AS_UTF8)
        ) from None
    return text.removeprefix("\ufeff")


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le``/``-be`` when zero bytes fall on one side of the pairs, as the ASCII of a
    table (commas, line ends, digits, field names) puts them in UTF-16; else None."""
    sample = raw[:65536]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    pairs = len(sample) // 2
    if odd > pairs * 0.2 and even < odd * 0.05:
        return "utf-16-le"
    if even > pairs * 0.2 and odd < even * 0.05:
        return "utf-16-be"
    return None


def _lines_beyond_ascii(raw: bytes, limit: int = 1 << 18) -> bytes:
    """Up to ``limit`` bytes of the lines of ``raw`` that hold non-ASCII bytes."""
    found: list[bytes] = []
    size = pos = 0
    while size < limit and (m := _HIGH_BYTE.search(raw, pos)) is not None:
        start = raw.rfind(b"\n", 0, m.start()) + 1
        end = raw.find(b"\n", m.start())
        end = len(raw) if end < 0 else end
        found.append(raw[start:end])
        size += end - start
        pos = end + 1
    return b"\n".join(found)


def _legacy_readings(raw: bytes) -> Iterator[tuple[str, str]]:
    """The legacy encodings that decode ``raw`` without error, with their text."""
    for encoding in ("gb18030", "cp950", "cp932", "cp1252"):
        try:
            yield encoding, raw.decode(encoding)
        except UnicodeDecodeError:
            continue


def _reads_as(encoding: str, text: str) -> bool:
    """Whether ``text`` is plausible in the language ``encoding`` is for, judged on its first
    :data:`_SAMPLE` characters.

    Legacy CJK encodings decode one another's bytes (and Latin bytes) into real but random
    characters: text counts as GB18030 when nearly all its hanzi are GB2312 ones, as Big5 when
    nearly all their simplified forms are everyday characters, and as Shift-JIS when it has
    kana and everyday kanji.
    """
    beyond = _BEYOND_ASCII.findall(text, 0, _SAMPLE)
    if not beyond:
        return False  # pure ASCII is UTF-8, decided before
    hanzi = [c for c in beyond if _HANZI.match(c)]
    if encoding == "cp1252":
        return all(_LATIN_EXTRA.match(c) for c in beyond)
    if encoding == "cp932":
        return any(_KANA.match(c) for c in beyond) and _mostly(hanzi, _kanji_common)
    if not hanzi:
        return False
    if encoding == "gb18030":
        return _mostly(hanzi, _in_gb2312)
    # Each of GB2312's and Big5's characters decodes as one of the other's, mostly everyday
    # ones: what tells real traditional text is that its simplified forms are everyday too.
    return _mostly(list(to_simplified("".join(hanzi))), _simplified_everyday)


def _mostly(hanzi: list[str], common: Any) -> bool:
    if not hanzi:
        return True
    return sum(1 for c in hanzi if common(c)) >= _PLAUSIBLE * len(hanzi)


def _in_gb2312(c: str) -> bool:
    """One of GB2312's 6 763 simplified characters."""
    try:
        return c.encode("gb2312")[0] >= 0xB0
    except UnicodeEncodeError:
        return False


def _simplified_everyday(c: str) -> bool:
    """In GB2312's first level: the 3 755 most used simplified characters."""
    try:
        return 0xB0 <= c.encode("gb2312")[0] <= 0xD7
    except UnicodeEncodeError:
        return False


def _kanji_common(c: str) -> bool:
    """In JIS X 0208 level 1 (Shift-JIS 889F–9872)."""
    try:
        b = c.encode("cp932")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0x88 <= b[0] <= 0x98
