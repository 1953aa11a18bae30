"""What the operations of one push share: the locked records, the signed-in user, the rule data,
and the look-ups and bookkeeping every action makes (scope, references, audit, conflicts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from app.domain.audit import entry_hash
from app.domain.merge import MISSING, FieldConflict
from app.domain.messages import Msg
from app.domain.rules import ProcessRules
from server.db import dumps, records
from server.push import rejections as R
from server.push.wire import Operation
from server.records import Directory, Rec, Viewer, Workspace

CONFLICT_ENTITY = "conflict"
MERGE_ENTITY = "merge"
_CONFLICT_NS = uuid.UUID("6f1c3a52-3f43-4c59-9a57-6d1a0d1f7e21")


@dataclass
class Batch:
    """State shared by the operations of one push."""

    ws: Workspace
    viewer: Viewer
    device: str
    rules: ProcessRules
    deal_files: dict[str, set[tuple[str, str | None]]] = field(default_factory=dict)
    approvals: dict[str, list[Rec]] = field(default_factory=dict)
    blobs_present: set[str] = field(default_factory=set)
    # Files the server holds that the user uploaded or sees attached to a record.
    usable_blobs: set[str] = field(default_factory=set)
    # Records the user may act on although they are outside their scope: the survivors of
    # merges of records the user sees, named by an operation made before the merge (§11).
    granted: set[str] = field(default_factory=set)
    # The survivor an operation of this batch was redirected to → the merged id it named.
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def directory(self) -> Directory:
        return self.ws.directory

    def actor(self, op: Operation) -> dict[str, Any]:
        """Who made a change, for the audit chain (the signed-in user, never the device's
        claim)."""
        return {"actor": self.viewer.id, "device": op.device or self.device, "op_id": op.op_id}

    def index_child(self, rec: Rec) -> None:
        """Remember a deal's attachment or approval (the stage rules ask about them)."""
        if rec.deal_id is None or rec.deleted:
            return
        if rec.entity == "attachment":
            self.deal_files.setdefault(rec.deal_id, set()).add(
                (str(rec.data.get("kind")), rec.blob_sha256)
            )
        elif rec.entity == "approval":
            bucket = self.approvals.setdefault(rec.deal_id, [])
            if rec not in bucket:
                bucket.append(rec)

    def deal_attachment_kinds(self, deal_id: str) -> set[str]:
        """Kinds of the deal's attachments whose file the server holds (a row alone proves
        nothing: the lock is about a document, not a claim that one exists)."""
        return {
            kind for kind, sha in self.deal_files.get(deal_id, set()) if sha in self.blobs_present
        }

    # ---- scope and references

    def visible(self, rec: Rec | None, entity_name: str | None = None) -> Rec:
        """The record if it exists (of that kind) and the user may see it; otherwise the same
        "not found" for every case, so ids cannot be probed."""
        if rec is None or not (
            self.directory.can_see(self.viewer, rec.scope_owner)
            or rec.id in self.granted
            or self._moved_by_merge(rec)
        ):
            raise R.NOT_FOUND()
        if entity_name is not None and rec.entity != entity_name:
            raise R.NOT_FOUND()
        return rec

    def _moved_by_merge(self, rec: Rec) -> bool:
        """Whether a merge moved ``rec`` out of the user's sight from a record they see (their
        edits made before they heard of the merge still land)."""
        if rec.customer_id is None:
            return False
        for m in self.ws.load_where(
            records.c.entity == MERGE_ENTITY, records.c.customer_id == rec.customer_id, lock=False
        ):
            if rec.id not in (m.data.get("moved") or []):
                continue
            merged_ids = [str(i) for i in m.data.get("merged_ids") or []]
            self.ws.load(merged_ids, lock=False)
            merged = [self.ws.get(i) for i in merged_ids]
            if any(
                o is not None and self.directory.can_see(self.viewer, o.scope_owner) for o in merged
            ):
                self.granted.add(rec.id)
                return True
        return False

    def customer(self, customer_id: Any) -> Rec:
        """The live customer a record names, if the user may see it."""
        rec = self.visible(
            self.ws.get(customer_id if isinstance(customer_id, str) else None), "customer"
        )
        if rec.deleted:
            raise R.CUSTOMER_DELETED()
        return rec

    def same_customer(self, ref: Any, entity_name: str, customer_id: str, label: Msg) -> None:
        """A reference (``deal_id``, ``contact_id``, …) names a live record of the customer."""
        if ref is None:
            return
        rec = self.ws.get(str(ref))
        if rec is None:
            self.ws.load([str(ref)], lock=False)
            rec = self.ws.get(str(ref))
        if (
            rec is None
            or rec.entity != entity_name
            or rec.customer_id != customer_id
            or rec.deleted
        ):
            raise R.BAD_REFERENCE.format(zh=label.zh, en=label.en.lower())()

    def owner_for_new(self, requested: Any) -> str:
        """The owner of a new customer, lead or alert: the user unless they may assign."""
        owner = requested if isinstance(requested, str) and requested else self.viewer.id
        if not self.directory.can_assign_to(self.viewer, owner):
            raise R.FORBIDDEN_OWNER()
        return owner

    def check_owner_under(self, owner: Any, customer: Rec | None) -> None:
        """A deal's or alert's owner: the customer's owner, or a user the signed-in user may
        assign to (never someone of another team)."""
        if owner is None or (customer is not None and owner == customer.data.get("owner")):
            return
        if not self.directory.can_assign_to(self.viewer, str(owner)):
            raise R.FORBIDDEN_OWNER()

    # ---- bookkeeping

    def conflict_record(
        self,
        op: Operation,
        rec: Rec,
        c: FieldConflict,
        kind: str,
        *,
        lost_by: str | None = None,
        scope_owner: str | None = None,
    ) -> dict[str, Any]:
        """Keep a losing value as a ``conflict`` record that syncs to everyone who sees
        ``rec``; returns the entry for the result's ``conflicts``."""
        key = f"{op.op_id}:{c.field}:{c.key}"
        conflict_id = str(uuid.uuid5(_CONFLICT_NS, key))
        data = {
            "kind": kind,
            "entity": rec.entity,
            "record_id": rec.id,
            "field": c.field,
            "key": c.key,
            "kept": None if c.kept is MISSING else c.kept,
            "kept_missing": c.kept is MISSING,
            "lost": None if c.lost is MISSING else c.lost,
            "lost_missing": c.lost is MISSING,
            "base": None if c.base is MISSING else c.base,
            "lost_by": lost_by or self.viewer.id,
            "lost_device": op.device or self.device,
            "op_id": op.op_id,
            "record_version": rec.version,
            "resolved": False,
            "resolved_by": None,
            "created_at": self.ws.stamp,
        }
        self.ws.create(
            CONFLICT_ENTITY,
            conflict_id,
            data,
            customer_id=rec.customer_id,
            # A user acting on a merge's survivor they cannot see keeps the value in sight.
            scope_owner=scope_owner
            or (
                rec.scope_owner
                if self.directory.can_see(self.viewer, rec.scope_owner)
                else self.viewer.id
            ),
            actor=self.viewer.id,
            device=op.device or self.device,
            op_id=op.op_id,
            audited=False,  # derived from the operation, which is kept itself
        )
        return {
            "conflict_id": conflict_id,
            "field": c.field,
            "key": c.key,
            "kept": data["kept"],
            "lost": data["lost"],
        }

    def store_device_audit(self, op: Operation, rec: Rec) -> None:
        """Keep the device's own audit entries, each marked valid or not by its hash."""
        rows = []
        for e in op.audit:
            ok = (
                isinstance(e.get("hash"), str)
                and entry_hash(e, str(e.get("prev_hash"))) == e["hash"]
            )
            # An operation redirected from a merged record keeps the entries it made there.
            named = rec.id if e.get("record_id") == rec.id else self.aliases.get(rec.id)
            ok = ok and named is not None and e.get("record_id") == named
            rows.append(
                {
                    "source": "device",
                    "entity": rec.entity,
                    "record_id": named if ok and named else rec.id,
                    "field": str(e.get("field"))[:64],
                    "old": dumps(e.get("old")),
                    "new": dumps(e.get("new")),
                    "actor": str(e.get("actor"))[:64],
                    "device": str(e.get("device"))[:100],
                    "at": str(e.get("at"))[:40],
                    "prev_hash": str(e.get("prev_hash"))[:64],
                    "hash": str(e.get("hash"))[:64],
                    "valid": ok,
                    "op_id": op.op_id,
                    "received_at": self.ws.now,
                }
            )
        self.ws.device_audit(rows)
