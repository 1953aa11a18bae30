"""CSV and Excel import/export (SPEC T5; issue: IT bulk loads).

Import is an all-or-nothing upsert by id: every row is checked first, and a single bad row means
nothing is written and every problem is reported with its row number and column. Rows with an
empty or unknown id are created; rows with a known id change only the fields that differ, each
change audited and queued like a typed edit. Exporting and re-importing a file changes nothing.
"""

from __future__ import annotations

import csv
import json
import math
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.domain.messages import Msg
from app.domain.schema import ENTITIES, Entity, validate_values
from app.store.errors import StoreError
from app.store.import_files import UnreadableFile, encoding_name, neutralise, read_table
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
        if self.row == 0:  # the file as a whole
            return self.message.text(lang)
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
    encoding: str | None = None  # what a .csv file was read as, by its usual name
    # Rows that look like a record already there (or an earlier row), and how many were left
    # out for it (``duplicates="skip"``).
    suspects: tuple[RowProblem, ...] = ()
    skipped: int = 0


def columns_for(entity_name: str) -> list[str]:
    """The file columns of an entity: id, then every user field, then read-only extras."""
    ent = ENTITIES[entity_name]
    cols = ["id", *(f.name for f in ent.user_fields)]
    if entity_name in EXPORTABLE and entity_name not in IMPORTABLE:
        cols += [f.name for f in ent.fields if f.system]
    return cols


# ---- reading ---------------------------------------------------------------------------------
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
DUPLICATE_POLICIES = ("refuse", "skip", "keep")


def import_file(
    store: Store,
    entity_name: str,
    path: Path,
    *,
    convert_traditional: bool = False,
    duplicates: str = "refuse",
) -> ImportResult:
    """Import customers, contacts or leads from ``path``; all rows or none.

    ``convert_traditional`` allows a Big5 .csv file, converted to simplified characters.
    New customers and contacts are checked for duplicates (SPEC C1): ``refuse`` refuses the
    file naming every suspect row and the record it resembles, ``skip`` leaves those rows out,
    ``keep`` imports them; the suspects are listed in the result either way.
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(duplicates)
    if entity_name not in IMPORTABLE:
        raise ValueError(f"cannot import {entity_name}")
    ent = ENTITIES[entity_name]
    try:
        table = read_table(path, convert_traditional=convert_traditional)
    except UnreadableFile as exc:
        raise ImportFailed([RowProblem(0, "-", exc.message)]) from exc
    header, rows = table.header, table.rows
    names, problems = _header_map(ent, header)
    if problems:
        raise ImportFailed(problems)
    owners = store.directory.ids_by_name()
    known_ids = set(owners.values())
    plan: list[tuple[str, str | None, dict[str, Any]]] = []  # (create|update, id, values)
    rownos: list[int] = []
    seen_ids: set[str] = set()
    for rowno, cells in rows:
        values: dict[str, Any] = {}
        refused = len(problems)
        for name, cell in zip(names, cells, strict=False):
            if name is not None:
                bad = _numeric_problem(ent, name, cell)
                if bad is not None:
                    problems.append(RowProblem(rowno, name, bad))
                else:
                    values[name] = cell
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
        if not errors and len(problems) == refused:
            plan.append(("update" if existing else "create", rid, clean))
            rownos.append(rowno)
    if problems:
        raise ImportFailed(problems)
    suspects = find_import_suspects(store, entity_name, plan, rownos)
    if suspects and duplicates == "refuse":
        raise ImportFailed([problem for _, problem in suspects])
    skipped = 0
    if duplicates == "skip":
        drop = {index for index, _ in suspects}
        skipped = len(drop)
        plan = [step for index, step in enumerate(plan) if index not in drop]
    created = updated = unchanged = 0
    with store.transaction():
        for action, rid, clean in plan:
            if action == "create":
                store.create_checked(entity_name, clean, rid)
                created += 1
            elif store.update_checked(entity_name, str(rid), clean):
                updated += 1
            else:
                unchanged += 1
    return ImportResult(
        created,
        updated,
        unchanged,
        table.encoding and encoding_name(table.encoding),
        tuple(problem for _, problem in suspects),
        skipped,
    )


_INT64 = 2**63


def _numeric_problem(ent: Entity, name: str, cell: str) -> Msg | None:
    """Why a number column's cell cannot be stored (infinite, not a number, out of range)."""
    if name not in ent.field_set or ent.field(name).kind not in _NUMERIC_KINDS or not cell:
        return None
    try:
        number = float(cell.replace(",", ""))
    except ValueError:
        return None  # not a number at all: the field's own check says so
    if not math.isfinite(number):
        return Msg(
            "{v} 不是有限的数字(无穷大、NaN 或超出范围)",
            "{v} is not a finite number (infinite, NaN or out of range)",
        ).format(v=cell[:40])
    if abs(number) >= _INT64:
        return Msg("{v} 超出可保存的范围", "{v} is out of range").format(v=cell[:40])
    return None


# ---- export ------------------------------------------------------------------------------
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_NUMERIC_KINDS = ("int", "decimal")


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
    names = store.directory.names_by_id()
    yield cols
    order = "name_sort, id" if entity_name in ("customer", "contact") else "created_at, id"
    cursor = store.connection().execute(
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
    count = 0
    tmp = path.with_name(path.name + ".part")
    if suffix == ".csv":
        with tmp.open("w", encoding=encoding, newline="") as f:
            writer = csv.writer(f)
            writer.writerow(next(rows))
            for row in rows:
                writer.writerow([neutralise(cell) for cell in row])
                count += 1
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(ENTITIES[entity_name].table)
        header = next(rows)
        numeric = [_is_numeric(entity_name, col) for col in header]
        ws.append([_xlsx_cell(ws, h, False) for h in header])
        for row in rows:
            ws.append([_xlsx_cell(ws, v, n) for v, n in zip(row, numeric, strict=True)])
            count += 1
        wb.save(tmp)
    else:
        raise ValueError(f"unsupported export type {suffix or '(none)'}: use .csv or .xlsx")
    tmp.replace(path)  # a crash never leaves a half-written export under the real name
    return count


def _is_numeric(entity_name: str, column: str) -> bool:
    ent = ENTITIES[entity_name]
    return column in ent.field_set and ent.field(column).kind in _NUMERIC_KINDS


def _xlsx_cell(ws: Any, text: str, numeric: bool) -> Any:
    """One typed .xlsx cell: a number for an amount or a count, else text, never a formula.

    Ids and phone numbers are text: as numbers Excel would round them and drop leading zeros.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if numeric and _NUMBER.fullmatch(text):
        return WriteOnlyCell(ws, value=Decimal(text) if "." in text else int(text))
    # Control characters cannot be stored in an .xlsx file at all.
    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"  # openpyxl would make text starting with "=" a formula
    return cell


def find_import_suspects(
    store: Store,
    entity_name: str,
    plan: list[tuple[str, str | None, dict[str, Any]]],
    rownos: list[int],
) -> list[tuple[int, RowProblem]]:
    """New rows that look like a saved record or an earlier row: (index in plan, problem)."""
    from app.domain.dedupe import ContactIndex, CustomerIndex
    from app.store.duplicates import contact_in, customer_in, local_book

    if entity_name not in ("customer", "contact"):
        return []
    book = local_book(store)
    earlier_customers = CustomerIndex()
    earlier_contacts = ContactIndex(book.customers)
    found: list[tuple[int, RowProblem]] = []
    for index, ((action, _rid, clean), rowno) in enumerate(zip(plan, rownos, strict=True)):
        if action != "create":
            continue
        key = f"\x00row{rowno}"
        if entity_name == "customer":
            rec = customer_in(key, clean)
            saved = book.customers.check(rec, 1)
            label = book.names.get(saved[0].id, "") if saved else ""
            earlier = [] if saved else earlier_customers.check(rec, 1)
            earlier_customers.add(rec)
        else:
            crec = contact_in(key, clean)
            saved = book.contacts.check(crec, 1)
            if saved:
                name, cid = book.contact_rows.get(saved[0].id, ("", ""))
                label = f"{name} · {book.names.get(cid, '')}"
            earlier = [] if saved else earlier_contacts.check(crec, 1)
            earlier_contacts.add(crec)
        match = saved or earlier
        if not match:
            continue
        if saved:
            like = Msg("「{label}」({id})", "“{label}” ({id})").format(label=label, id=match[0].id)
        else:
            like = Msg("本文件第{r}行", "row {r} of this file").format(
                r=match[0].id.removeprefix("\x00row")
            )
        reasons = match[0].reasons
        message = Msg(
            f"疑似重复,像{like.zh}:" + ";".join(r.zh for r in reasons),
            f"Suspected duplicate of {like.en}: " + "; ".join(r.en for r in reasons),
        )
        found.append((index, RowProblem(rowno, "-", message)))
    return found
