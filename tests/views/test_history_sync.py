"""A record's History shows every device's changes (who, when, old → new), read from the real
server; offline it shows this device's and says so."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from helpers.syncing import Device

from app.views.context import AppContext, load_context
from app.views.customer_page import CustomerPage
from app.views.tasks import TaskRunner


def history_rows(page: CustomerPage) -> list[list[str]]:
    t = page.history
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_history_has_the_changes_of_every_device(
    qtbot: Any, make_device: Callable[..., Device], file_keyring: None
) -> None:
    laptop, phone = make_device("laptop", "alice"), make_device("phone", "alice")
    cid = laptop.store.create(
        "customer",
        {"name": "杭州青禾家居有限公司", "owner": laptop.store.actor, "phone": "0571-88880000"},
    )
    laptop.sync()
    phone.sync()
    phone.store.update("customer", cid, {"phone": "0571-88881111", "region": "华东"})
    phone.sync()
    laptop.sync()

    runner = TaskRunner(laptop.store, synchronous=True)
    try:
        found: list[AppContext] = []
        load_context(runner, found.append)
        ctx = dataclasses.replace(found[0], sync=laptop.engine)
        page = CustomerPage(ctx, cid)
        qtbot.addWidget(page)
        page.show()
        headers = [page.history.horizontalHeaderItem(c).text() for c in range(6)]
        assert headers[3:5] == ["Old value", "New value"]
        page.tabs.setCurrentWidget(page.history_tab)  # opening the tab asks the server
        rows = history_rows(page)
        phone_edit = [r for r in rows if r[3] == "0571-88880000"]
        assert phone_edit and phone_edit[0][4] == "0571-88881111"
        assert phone_edit[0][1] == "张伟" and phone_edit[0][5] == "another device"
        assert any(r[4] == "华东" for r in rows)
        assert any(r[5] == "this device" for r in rows)  # the creation, made here
        assert "every device" in page.history_source.text()

        offline = CustomerPage(dataclasses.replace(ctx, sync=None), cid)
        qtbot.addWidget(offline)
        offline.show()
        offline.tabs.setCurrentWidget(offline.history_tab)
        assert all(r[5] == "this device" for r in history_rows(offline))
        assert "this device" in offline.history_source.text()
    finally:
        runner.close()
