"""Pulled pages written into a real store: derived columns and the search index stay right."""

from __future__ import annotations

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
