"""Load generated demo data straight into the server (an administrator's seeding step).

Demo and benchmark data describe a history: deals already in later stages, follow-ups written
months ago. That cannot be replayed through the sync API, which (rightly) lets a deal start only
in the first stage, so this loads the records directly, after the same field normalisation.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, func, select

from app.demo import DemoData, placeholder_file
from app.domain.schema import validate_values
from server.attachments import BlobStore
from server.config import Settings
from server.db import records, write_tx
from server.records import Directory, Workspace

_OWNER_FIELDS = ("owner", "author", "created_by")


def has_records(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(records)).scalar())


def seed(
    engine: Engine, settings: Settings, data: DemoData, owners: Mapping[str, str]
) -> dict[str, int]:
    """Write ``data`` with generator user ids mapped to server user ids through ``owners``."""
    blobs = BlobStore(settings.blob_dir, settings.max_attachment_bytes)
    owner_of: dict[str, str | None] = {}
    counts: dict[str, int] = {}
    # Files first (each in its own transaction), then every row in one.
    for kind in {str(a["kind"]) for a in data.attachments}:
        content = placeholder_file(kind)
        sha = hashlib.sha256(content).hexdigest()
        if not blobs.have(engine, sha):
            blobs.append(engine, sha, 0, len(content), content)
    with write_tx(engine) as conn:
        ws = Workspace(conn, time.time(), Directory.load(conn))
        for entity_name, rows in (
            ("customer", data.customers),
            ("contact", data.contacts),
            ("deal", data.deals),
            ("followup", data.followups),
            ("attachment", data.attachments),
        ):
            for row in rows:
                values: dict[str, Any] = {k: v for k, v in row.items() if k != "id"}
                for name in _OWNER_FIELDS:
                    if values.get(name) in owners:
                        values[name] = owners[values[name]]
                if entity_name == "attachment":
                    content = placeholder_file(str(values["kind"]))
                    values["sha256"] = hashlib.sha256(content).hexdigest()
                    values["size"] = len(content)
                clean, errors = validate_values(entity_name, values, allow_system=True)
                if errors:
                    raise ValueError(f"{entity_name} {row.get('id')}: {errors}")
                record_id = str(row.get("id") or hashlib.sha256(repr(row).encode()).hexdigest())
                customer_id = record_id if entity_name == "customer" else clean["customer_id"]
                if entity_name == "customer":
                    owner_of[record_id] = clean.get("owner")
                ws.create(
                    entity_name,
                    record_id,
                    clean,
                    customer_id=customer_id,
                    scope_owner=owner_of.get(customer_id),
                    actor="seed",
                    device="seed",
                    op_id=None,
                    audited=False,
                )
                counts[entity_name] = counts.get(entity_name, 0) + 1
        ws.flush()
    return counts
