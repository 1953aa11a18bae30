"""CSV and Excel import/export (SPEC T5; issue: IT bulk loads).

Import is an all-or-nothing upsert by id: every row is checked first, and a single bad row means
nothing is written and every problem is reported with its row number and column. Rows with an
empty or unknown id are created; rows with a known id change only the fields that differ, each
change audited and queued like a typed edit. Exporting and re-importing a file changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.domain.messages import Msg
from app.domain.schema import ENTITIES, Entity, validate_values
from app.store.errors import StoreError
from app.store.service import Store

IMPORTABLE = ("customer", "contact", "lead")
EXPORTABLE = ("customer", "contact", "deal", "followup", "lead")
ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")


@dataclass(frozen=True)
class RowProblem:
    """One problem in an import file; ``row`` counts like a spreadsheet (header = row 1)."""

    row: int
    column: str
    message: Msg

    def text(self, lang: str = "en") -> str:
        where = (
            f"第{self.row}行 {self.column}"
            if lang.startswith("zh")
            else (f"row {self.row}, column {self.column}")
        )
        return f"{where}: {self.message.text(lang)}"


class ImportFailed(StoreError):
    """The file was refused as a whole; ``problems`` lists every bad cell."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def columns_for(entity_name: str) -> list[str]:
    """The file columns of an entity: id, then every user field, then read-only extras."""
    ent = ENTITIES[entity_name]
    cols = ["id", *(f.name for f in ent.user_fields)]
    if entity_name in EXPORTABLE and entity_name not in IMPORTABLE:
        cols += [f.name for f in ent.fields if f.system]
    return cols


# ---- reading ---------------------------------------------------------------------------------
def _decode(raw: bytes) -> str:
    """UTF-8 with or without BOM, else GB18030 (what Excel writes on Chinese Windows)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


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
    return str(value)


def read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (row number, cells) of a .csv or .xlsx file, every cell as text.

    Blank rows are skipped but keep their place in the numbering, so a reported row number
    is the one the user sees in Excel.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = _decode(path.read_bytes())
        rows = list(csv.reader(io.StringIO(text, newline="")))
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [[_cell(v) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    else:
        raise ImportFailed(
            [
                RowProblem(
                    0,
                    "-",
                    Msg(
                        "不支持的文件类型 {s}:请使用 .csv 或 .xlsx",
                        "Unsupported file type {s}: use .csv or .xlsx",
                    ).format(s=suffix or "(none)"),
                )
            ]
        )
    if not rows:
        raise ImportFailed([RowProblem(1, "-", Msg("文件为空", "The file is empty"))])
    header = [h.strip() for h in rows[0]]
    body = [(i + 2, r) for i, r in enumerate(rows[1:]) if any(c.strip() for c in r)]
    return header, body


def _header_map(ent: Entity, header: Sequence[str]) -> tuple[list[str | None], list[RowProblem]]:
    """Map each header cell to a field name; Chinese labels are accepted too."""
    by_label = {f.label.zh: f.name for f in ent.user_fields}
    allowed = set(columns_for(ent.name))
    names: list[str | None] = []
    problems = []
    for h in header:
        key = h.strip().lower()
        name = key if key in allowed else by_label.get(h.strip())
        if name is None and h.strip():
            problems.append(RowProblem(1, h, Msg("未知列:{h}", "Unknown column: {h}").format(h=h)))
        names.append(name)
    if "name" in ent.field_names and "name" not in names and "id" not in names:
        problems.append(RowProblem(1, "name", Msg("缺少列:name", "Missing column: name")))
    return names, problems


def _valid_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


# ---- import ------------------------------------------------------------------------------
def import_file(store: Store, entity_name: str, path: Path) -> ImportResult:
    """Import customers, contacts or leads from ``path``; all rows or none."""
    if entity_name not in IMPORTABLE:
        raise ValueError(f"cannot import {entity_name}")
    ent = ENTITIES[entity_name]
    header, rows = read_table(path)
    names, problems = _header_map(ent, header)
    if problems:
        raise ImportFailed(problems)
    owners = store.user_ids_by_name()
    known_ids = set(owners.values())
    plan: list[tuple[str, str | None, dict[str, Any]]] = []  # (create|update, id, values)
    seen_ids: set[str] = set()
    for rowno, cells in rows:
        values: dict[str, Any] = {}
        for name, cell in zip(names, cells, strict=False):
            if name is not None:
                values[name] = cell.strip()
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names) :]):
            problems.append(
                RowProblem(rowno, "-", Msg("该行的列数多于表头", "More cells than header columns"))
            )
            continue
        rid = values.pop("id", "") or None
        if rid is not None:
            if not _valid_uuid(rid):
                problems.append(
                    RowProblem(rowno, "id", Msg("id 不是有效的 UUID", "id is not a valid UUID"))
                )
                continue
            if rid in seen_ids:
                problems.append(
                    RowProblem(rowno, "id", Msg("id 在文件中重复", "id appears twice in the file"))
                )
                continue
            seen_ids.add(rid)
        owner = values.get("owner")
        if owner:
            if owner in owners:
                values["owner"] = owners[owner]
            elif owner not in known_ids:
                problems.append(
                    RowProblem(
                        rowno, "owner", Msg("未知用户:{o}", "Unknown user: {o}").format(o=owner)
                    )
                )
                continue
        existing = store.get(entity_name, rid) if rid else None
        if existing is None:
            if (
                "owner" in ent.field_names
                and not values.get("owner")
                and ent.field("owner").required
            ):
                values["owner"] = store.actor
            if entity_name == "lead":
                if not values.get("status"):
                    values["status"] = "new"
                if not values.get("channel"):
                    values["channel"] = "import"
            clean, errors = validate_values(entity_name, values)
        else:
            clean, errors = validate_values(entity_name, values, partial=True)
        for field_name, msg in errors.items():
            problems.append(RowProblem(rowno, field_name, msg))
        if (
            "customer_id" in clean
            and clean["customer_id"]
            and not errors
            and store.get("customer", str(clean["customer_id"])) is None
        ):
            problems.append(
                RowProblem(
                    rowno,
                    "customer_id",
                    Msg("客户不存在:{c}", "No such customer: {c}").format(c=clean["customer_id"]),
                )
            )
        if not errors:
            plan.append(("update" if existing else "create", rid, clean))
    if problems:
        raise ImportFailed(problems)
    created = updated = unchanged = 0
    with store.db.atomic():
        for action, rid, clean in plan:
            if action == "create":
                store.create_checked(entity_name, clean, rid)
                created += 1
            elif store.update_checked(entity_name, str(rid), clean):
                updated += 1
            else:
                unchanged += 1
    return ImportResult(created, updated, unchanged)


# ---- export ------------------------------------------------------------------------------
def _export_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def export_rows(store: Store, entity_name: str) -> Iterator[list[str]]:
    """Header then one row per record, as the file will hold them."""
    ent = ENTITIES[entity_name]
    cols = columns_for(entity_name)
    names = store.user_names_by_id()
    yield cols
    order = "name_sort, id" if entity_name in ("customer", "contact") else "created_at, id"
    cursor = store.db.execute(
        f"SELECT {', '.join(cols)} FROM {ent.table} WHERE _deleted = 0 ORDER BY {order}"
    )
    for row in cursor:
        out = []
        for col, value in zip(cols, row, strict=True):
            if col in ("owner", "author") and value in names:
                value = names[value]
            out.append(_export_value(value))
        yield out


def export_file(store: Store, entity_name: str, path: Path, encoding: str = "utf-8-sig") -> int:
    """Write every record of an entity to .csv (in ``encoding``) or .xlsx; return the count."""
    if entity_name not in EXPORTABLE:
        raise ValueError(f"cannot export {entity_name}")
    rows = export_rows(store, entity_name)
    suffix = path.suffix.lower()
    count = -1
    tmp = path.with_name(path.name + ".part")
    if suffix == ".csv":
        with tmp.open("w", encoding=encoding, newline="") as f:
            writer = csv.writer(f)
            for row in rows:
                writer.writerow(row)
                count += 1
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(ENTITIES[entity_name].table)
        for row in rows:
            ws.append(row)  # every cell as text: phone numbers and ids must not become numbers
            count += 1
        wb.save(tmp)
    else:
        raise ValueError(f"unsupported export type {suffix or '(none)'}: use .csv or .xlsx")
    tmp.replace(path)  # a crash never leaves a half-written export under the real name
    return count
