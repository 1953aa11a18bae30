"""Fill a local store with generated demo data through the normal write service."""

from __future__ import annotations

from app.demo.data import DemoData, placeholder_file
from app.store.service import Store


def load_into(store: Store, data: DemoData) -> dict[str, int]:
    """Write demo records into ``store`` (audited and queued like any other write)."""
    store.directory.upsert_users(data.users)
    counts = {
        "customers": store.bulk_create("customer", data.customers),
        "contacts": store.bulk_create("contact", data.contacts),
        "deals": store.bulk_create("deal", data.deals),
        "followups": store.bulk_create("followup", data.followups),
    }
    attachments = []
    for att in data.attachments:
        content = placeholder_file(att["kind"])
        digest = store.files.keep_bytes(content)
        attachments.append({**att, "sha256": digest, "size": len(content)})
    counts["attachments"] = store.bulk_create("attachment", attachments)
    return counts
