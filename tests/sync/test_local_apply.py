"""Pulled pages written into a real store: derived columns and the search index stay right."""

from __future__ import annotations

from typing import Any

from app.domain.derived import VERSION, derive
from app.store.service import Store
from app.sync.local import RemoteRecord, apply_remote, read_page


def customer(cid: str, name: str) -> RemoteRecord:
    return RemoteRecord("customer", cid, 1, False, {"name": name, "owner": "u-rep"})


def followup(
    fid: str, cid: str, at: str, *, version: int = 1, deleted: bool = False
) -> RemoteRecord:
    values = {
        "customer_id": cid,
        "type": "visit",
        "conclusion": "客户认可方案",
        "next_action": "报价",
        "due_on": "2026-12-01",
        "contact_ids": ["c-1"],
        "created_at": at,
    }
    return RemoteRecord("followup", fid, version, deleted, {} if deleted else values)


def last_followup(store: Store, cid: str) -> str | None:
    return store.require("customer", cid)["last_followup_at"]  # type: ignore[no-any-return]


def test_last_followup_follows_new_late_and_deleted_followups(store: Store) -> None:
    apply_remote(
        store, [customer("k-1", "轻鹿家居"), followup("f-1", "k-1", "2026-11-01T09:00:00")]
    )
    assert last_followup(store, "k-1") == "2026-11-01T09:00:00"
    # An older one arriving later does not move it back; a newer one moves it on.
    apply_remote(store, [followup("f-0", "k-1", "2026-10-01T09:00:00")])
    assert last_followup(store, "k-1") == "2026-11-01T09:00:00"
    apply_remote(store, [followup("f-2", "k-1", "2026-11-05T09:00:00")])
    assert last_followup(store, "k-1") == "2026-11-05T09:00:00"
    # Deleting the newest goes back to the one before.
    apply_remote(store, [followup("f-2", "k-1", "", version=2, deleted=True)])
    assert last_followup(store, "k-1") == "2026-11-01T09:00:00"
    # Follow-ups can arrive before their customer (it entered this user's scope later).
    apply_remote(store, [followup("f-9", "k-2", "2026-09-09T09:00:00")])
    apply_remote(store, [customer("k-2", "東方實業")])
    assert last_followup(store, "k-2") == "2026-09-09T09:00:00"
    assert store.require("customer", "k-2")["name_key"] == "东方实业"


def test_pulled_records_are_searchable_and_json_fields_round_trip(store: Store) -> None:
    page = read_page(
        {
            "changes": [
                {
                    "entity": "customer",
                    "id": "k-1",
                    "version": 1,
                    "deleted": False,
                    "fields": {"name": "轻鹿家居", "owner": "u-rep", "phone": "0571-88886666"},
                },
                {
                    "entity": "followup",
                    "id": "f-1",
                    "version": 1,
                    "deleted": False,
                    "fields": followup("f-1", "k-1", "2026-11-01T09:00:00").values,
                },
                {"entity": "customer", "id": "k-0", "removed": True},
            ],
            "cursor": "7.1",
            "more": False,
            "rules_version": 3,
        }
    )
    assert [r.id for r in page.records] == ["k-1", "f-1"] and page.removals == [("customer", "k-0")]
    assert (page.cursor, page.more, page.rules_version) == ("7.1", False, 3)
    apply_remote(store, page.records)
    assert store.require("followup", "f-1")["contact_ids"] == ["c-1"]
    assert [h.record_id for h in store.search("鹿家")] == ["k-1"]
    assert [h.record_id for h in store.search("8888")] == ["k-1"]
    assert [h.record_id for h in store.search("方案")] == ["f-1"]


def served(entity: str, rid: str, fields: dict[str, Any], derived_from: dict[str, Any]) -> Any:
    """A feed item as the server sends it, with what it derived from ``derived_from``."""
    return {
        "entity": entity,
        "id": rid,
        "version": 1,
        "deleted": False,
        "fields": fields,
        "derived": derive(entity, derived_from),
    }


def page_of(*items: Any, version: int = 1) -> list[RemoteRecord]:
    return read_page({"changes": list(items), "cursor": f"{version}.1", "more": False}).records


def test_records_are_stored_with_what_the_server_derived(store: Store) -> None:
    # The server's derived values are stored as they come (here deliberately those of another
    # name, to tell them from values computed on the device), and the index stays consistent.
    fields = {"name": "轻鹿家居", "owner": "u-rep"}
    apply_remote(store, page_of(served("customer", "k-1", fields, {"name": "云杉科技"})))
    row = store.require("customer", "k-1")
    assert (row["name_key"], row["name_sort"]) == ("云杉科技", "yun shan ke ji")
    assert [h.record_id for h in store.search("云杉")] == ["k-1"]
    assert store.search("鹿家") == []
    # The next version comes without derived values: derived on the device, old entry gone.
    renamed = {"name": "杭州轻鹿家居有限公司", "owner": "u-rep"}
    apply_remote(store, [RemoteRecord("customer", "k-1", 2, False, renamed)])
    assert store.require("customer", "k-1")["name_key"] == "轻鹿家居"
    assert store.search("云杉") == []
    assert [h.record_id for h in store.search("鹿家")] == ["k-1"]


def test_a_record_sent_again_unchanged_is_not_written_again(store: Store) -> None:
    fields = {"name": "轻鹿家居", "owner": "u-rep", "notes": "老客户"}
    apply_remote(store, page_of(served("customer", "k-1", fields, fields)))
    docs = store.connection().execute("SELECT rowid, body FROM search_docs").fetchall()
    # The server confirms an edit of a field that is not searched, then echoes the record.
    edited = fields | {"notes": "续约"}
    changes = apply_remote(store, [RemoteRecord("customer", "k-1", 2, False, edited)])
    assert [(c.action, c.fields) for c in changes] == [("update", ("notes",))]
    assert store.connection().execute("SELECT rowid, body FROM search_docs").fetchall() == docs
    assert apply_remote(store, [RemoteRecord("customer", "k-1", 2, False, edited)]) == []
    assert apply_remote(store, [RemoteRecord("customer", "k-1", 3, False, edited)]) == []
    row = store.require("customer", "k-1")
    assert (row["notes"], row["_version"]) == ("续约", 3)
    # A change to a searched field is indexed again.
    apply_remote(store, [RemoteRecord("customer", "k-1", 4, False, edited | {"phone": "88886666"})])
    assert [h.record_id for h in store.search("8888")] == ["k-1"]
    assert [h.record_id for h in store.search("鹿家")] == ["k-1"]


def test_derived_values_of_another_version_are_derived_again(store: Store) -> None:
    item = served("customer", "k-1", {"name": "轻鹿家居"}, {"name": "云杉科技"})
    item["derived"]["v"] = VERSION + 1
    apply_remote(store, page_of(item))
    assert store.require("customer", "k-1")["name_key"] == "轻鹿家居"
    assert [h.record_id for h in store.search("qljj")] == ["k-1"]


def test_a_pending_rename_is_not_overwritten_by_the_servers_derived_values(store: Store) -> None:
    apply_remote(store, [customer("k-1", "轻鹿家居")])
    store.update("customer", "k-1", {"name": "云杉科技"})  # not yet pushed
    server_side = {"name": "轻鹿家居", "owner": "u-rep", "phone": "0571-88886666"}
    item = served("customer", "k-1", server_side, server_side) | {"version": 2}
    apply_remote(store, page_of(item, version=2))
    row = store.require("customer", "k-1")
    assert (row["name"], row["phone"]) == ("云杉科技", "0571-88886666")
    assert (row["name_key"], row["name_sort"]) == ("云杉科技", "yun shan ke ji")
    assert [h.record_id for h in store.search("云杉 8888")] == ["k-1"]
    assert store.search("鹿家") == []


def test_an_update_without_local_edits_uses_the_servers_derived_values(store: Store) -> None:
    apply_remote(store, [customer("k-1", "轻鹿家居")])
    renamed = {"name": "北京云杉科技有限公司", "owner": "u-rep"}
    apply_remote(store, page_of(served("customer", "k-1", renamed, renamed) | {"version": 2}))
    row = store.require("customer", "k-1")
    assert row["name_key"] == "云杉科技"
    assert [h.record_id for h in store.search("云杉")] == ["k-1"]
    assert store.search("鹿家") == []
