"""Import runs the duplicate check (SPEC C1): refuse naming rows, skip or keep them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.store.service import Store
from app.store.transfer import ImportFailed, import_file

HEADER = "name,credit_code,phone,email,owner\n"


@pytest.fixture
def existing(store: Store) -> str:
    return store.create(
        "customer",
        {"name": "杭州云峰科技股份有限公司", "owner": "u-rep", "phone": "0571-88881234"},
    )


def csv_file(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


BODY = (
    "宁波安泰机械有限公司,,,,\n"  # row 2: new
    "雲峰科技(杭州)有限公司,,,,\n"  # row 3: the existing customer, traditional + bracket
    "苏州云峰科技有限公司,,,,\n"  # row 4: another city, another company
    "宁波安泰机械,,,,\n"  # row 5: row 2 again, inside the file
)


def count(store: Store) -> int:
    return int(store.connection().execute("SELECT count(*) FROM customers").fetchone()[0])


def test_refused_by_default_naming_every_suspect_row(
    store: Store, existing: str, tmp_path: Path
) -> None:
    with pytest.raises(ImportFailed) as failed:
        import_file(store, "customer", csv_file(tmp_path, BODY))
    problems = failed.value.problems
    assert [p.row for p in problems] == [3, 5]
    assert existing in problems[0].text("en") and "杭州云峰科技股份有限公司" in problems[0].text(
        "en"
    )
    assert "legal form" in problems[0].text("en")
    assert "row 2 of this file" in problems[1].text("en")
    assert "第3行" in problems[0].text("zh")
    assert count(store) == 1  # nothing written


def test_skip_leaves_suspects_out_and_lists_them(
    store: Store, existing: str, tmp_path: Path
) -> None:
    result = import_file(store, "customer", csv_file(tmp_path, BODY), duplicates="skip")
    assert (result.created, result.skipped) == (2, 2)
    assert [p.row for p in result.suspects] == [3, 5]
    names = {r[0] for r in store.connection().execute("SELECT name FROM customers")}
    assert names == {"杭州云峰科技股份有限公司", "宁波安泰机械有限公司", "苏州云峰科技有限公司"}


def test_keep_imports_them_and_lists_them(store: Store, existing: str, tmp_path: Path) -> None:
    result = import_file(store, "customer", csv_file(tmp_path, BODY), duplicates="keep")
    assert (result.created, result.skipped) == (4, 0)
    assert [p.row for p in result.suspects] == [3, 5]
    assert count(store) == 5


def test_contacts_with_masked_mobiles_import_and_match(
    store: Store, existing: str, tmp_path: Path
) -> None:
    store.create("contact", {"customer_id": existing, "name": "陈静怡", "mobile": "13812341234"})
    header = "customer_id,name,mobile\n"
    body = f"{existing},陳靜怡,138****1234\n{existing},刘海涛,139****0000\n"
    with pytest.raises(ImportFailed) as failed:
        import_file(store, "contact", csv_file(tmp_path, body, header))
    assert [p.row for p in failed.value.problems] == [2]
    assert "masked" in failed.value.problems[0].text("en")
    result = import_file(store, "contact", csv_file(tmp_path, body, header), duplicates="keep")
    assert result.created == 2
    stored = {
        r[0]: r[1]
        for r in store.connection().execute(
            "SELECT name, mobile FROM contacts WHERE mobile LIKE '%*%'"
        )
    }
    assert stored == {"陳靜怡": "138****1234", "刘海涛": "139****0000"}
