"""The customer list: ids in memory, rows in batches, search and filters in SQL."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from app.store.service import Store
from app.views.context import AppContext
from app.views.customers import BATCH, CustomersScreen


def many_customers(store: Store, n: int = 250) -> None:
    rows = [{"name": f"客户{i:04d}贸易有限公司", "owner": "u-rep"} for i in range(n)]
    rows[7]["name"] = "轻鹿家居杭州分公司"
    rows[8]["owner"] = "u-lead"
    store.bulk_create("customer", rows)


def screen(qtbot: Any, ctx: AppContext) -> CustomersScreen:
    s = CustomersScreen(ctx)
    ctx.runner.changed.connect(s.on_changed)
    qtbot.addWidget(s)
    s.show()
    return s


def test_rows_arrive_in_batches(qtbot: Any, ctx: AppContext, store: Store) -> None:
    many_customers(store)
    s = screen(qtbot, ctx)
    model = s.model
    assert model.rowCount() == 250 and len(model.ids) == 250
    assert len(model._rows) == BATCH  # the first batch came with the ids
    last = model.index(249, 0)
    assert model.data(last) == "…"  # not fetched yet: asking fetches its batch
    assert model.data(last) == store.require("customer", model.ids[249])["name"]
    assert len(model._rows) == BATCH + 50  # rows 100–199 are still not fetched
    assert s.count.text() == "250 customers"


def test_instant_search_filters_and_sorting(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    many_customers(store)
    s = screen(qtbot, ctx)
    s.search.setText("鹿家")  # every keystroke queries; "鹿家" is inside two names
    names = {s.model.data(s.model.index(r, 0)) for r in range(s.model.rowCount())}
    assert names == {"轻鹿家居有限公司", "轻鹿家居杭州分公司"}
    s.search.setText("qljj")  # pinyin initials of 轻鹿家居
    assert s.model.rowCount() == 2
    s.search.clear()
    s.owner.setCurrentIndex(s.owner.findData("u-lead"))
    assert s.model.rowCount() == 1
    s.owner.setCurrentIndex(0)
    s.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert s.model.query.sort == "-name"
    assert s.model.data(s.model.index(0, 0)) == "轻鹿家居有限公司"


def test_stage_and_stale_filters(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str, deal_id: str, clock: Any
) -> None:
    other = store.create("customer", {"name": "安泰机械", "owner": "u-rep"})
    store.followups.add(
        {
            "customer_id": other,
            "type": "demo",
            "conclusion": "演示了自动排产,客户满意并要求报价",
            "next_action": "发送报价",
            "due_on": "2026-11-05",
        }
    )
    s = screen(qtbot, ctx)
    s.stage.setCurrentIndex(s.stage.findData("contact"))
    assert s.model.ids == [customer_id]
    s.stage.setCurrentIndex(0)
    s.stale.setChecked(True)
    assert s.model.ids == [customer_id]  # the other one was followed up today


def test_list_redraws_after_a_write_and_opens_records(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    s = screen(qtbot, ctx)
    assert s.model.rowCount() == 1
    ctx.runner.write(lambda st: st.create("customer", {"name": "北方重工", "owner": "u-rep"}))
    assert s.model.rowCount() == 2
    with qtbot.waitSignal(s.open_record) as opened:
        s.table.doubleClicked.emit(s.model.index(1, 0))
    assert opened.args == ["customer", customer_id]


def test_search_finds_what_people_type_and_says_why(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    shanghai = store.create(
        "customer", {"name": "上海轻鹿恒信科技有限公司", "phone": "021-59151234", "owner": "u-rep"}
    )
    store.create("contact", {"customer_id": customer_id, "name": "王海燕", "mobile": "13955556666"})
    s = screen(qtbot, ctx)

    qtbot.keyClicks(s.search, "qlhx")  # pinyin initials from the middle of the name
    assert s.model.ids == [shanghai]
    s.search.clear()
    qtbot.keyClicks(s.search, "0215915")  # digits typed straight across the area code
    assert s.model.ids == [shanghai]

    s.search.clear()
    qtbot.keyClicks(s.search, "5555")  # a contact's mobile: the list says which contact
    assert s.model.ids == [customer_id]
    found_in = s.model.COLUMNS.index("match")
    assert not s.table.isColumnHidden(found_in)
    assert s.model.data(s.model.index(0, found_in)) == "Contact: 王海燕"

    s.search.clear()
    s.search.insert("轻鹿")  # as an input method commits it; found by its own name
    assert s.table.isColumnHidden(found_in)

    s.search.clear()
    qtbot.keyClicks(s.search, "zzqx")
    assert s.model.rowCount() == 0
    assert "zzqx" in s.count.text() and "No customer" in s.count.text()


def test_enter_and_down_move_from_the_search_box_into_the_list(
    qtbot: Any, ctx: AppContext, store: Store, customer_id: str
) -> None:
    many_customers(store, 10)
    s = screen(qtbot, ctx)
    s.activateWindow()
    s.search.setFocus()
    s.search.insert("轻鹿")  # as an input method commits it
    qtbot.keyClick(s.search, Qt.Key.Key_Down)
    qtbot.waitUntil(s.table.hasFocus)
    assert s.table.currentIndex().row() == 0
    with qtbot.waitSignal(s.open_record) as opened:
        qtbot.keyClick(s.table, Qt.Key.Key_Return)  # Enter on the row opens the customer
    assert opened.args == ["customer", s.model.ids[0]]

    s.search.setFocus()
    qtbot.waitUntil(s.search.hasFocus)
    qtbot.keyClick(s.search, Qt.Key.Key_Return)
    qtbot.waitUntil(s.table.hasFocus)
