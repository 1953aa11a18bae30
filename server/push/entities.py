"""Each kind of record's own rules for ``create`` and ``update``, beyond the schema's field checks:
where a new record belongs (its customer and scope owner), which values the server sets, which
references must name the same customer, and who may change an owner (docs/SYNC.md §2 and §4).

The actions (:mod:`server.push.create`, :mod:`server.push.update`) are the same for every kind
of record and ask the kind's :class:`EntityRules` at each step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from app.domain.followups import validate_followup
from app.domain.messages import Msg
from app.domain.schema import ENTITIES
from app.domain.tasks import validate_task
from server.leads import device as lead_device
from server.push import rejections as R
from server.push.approvals import check_request
from server.push.context import Batch
from server.push.fields import clean_fields, device_values, validation_error
from server.push.wire import Operation
from server.records import Rec

SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTACT = Msg("主要联系人", "Primary contact")


@dataclass(frozen=True)
class Placement:
    """Where a new record belongs: its customer (if any) and the owner deciding its scope."""

    customer: Rec | None
    customer_id: str | None
    scope_owner: str | None


class EntityRules:
    """The default: a record under a customer the user may see, stamped when created."""

    name: ClassVar[str]
    # Server-set times a new record gets (besides what :meth:`complete` adds).
    stamps: ClassVar[tuple[str, ...]] = ("created_at", "updated_at")
    # Whether ``customer_id`` may change in an update (a child never moves to another customer).
    customer_fixed: ClassVar[bool] = False
    # Whether ``owner`` decides the record's scope, so only a lead or an admin changes it.
    owner_is_scope: ClassVar[bool] = False
    # Whether ``owner`` is a person under the record's customer (deals, alerts): the customer's
    # owner or someone the user may assign to, never a user of another team.
    owner_under_customer: ClassVar[bool] = False

    def prepare(self, batch: Batch, fields: dict[str, Any]) -> None:
        """Adjust a create's raw values before validation."""

    def validate(self, batch: Batch, fields: dict[str, Any]) -> dict[str, Any]:
        """The create's validated values."""
        return clean_fields(self.name, fields, partial=False)

    def place(self, batch: Batch, op: Operation, clean: dict[str, Any]) -> Placement:
        customer = batch.customer(clean.get("customer_id"))
        return Placement(customer, customer.id, customer.scope_owner)

    def complete(self, batch: Batch, clean: dict[str, Any], where: Placement) -> None:
        """Check references and add the values the server sets on a new record."""

    def created(self, batch: Batch, op: Operation, rec: Rec, where: Placement) -> None:
        """Follow-on changes once the record exists."""

    def screen_update(self, batch: Batch, rec: Rec, fields: dict[str, Any]) -> dict[str, Any]:
        """An update's raw values before validation (refuse or drop what the kind forbids)."""
        return fields

    def updated(self, batch: Batch, op: Operation, rec: Rec, changes: dict[str, Any]) -> None:
        """Follow-on changes once an update was merged (``changes``: what it changed)."""

    def check_update(self, batch: Batch, rec: Rec, clean: dict[str, Any]) -> None:
        """Refuse an update this kind of record does not allow."""
        if (
            self.customer_fixed
            and "customer_id" in clean
            and clean["customer_id"] != rec.data.get("customer_id")
        ):
            raise R.IMMUTABLE_CUSTOMER()
        if (
            self.owner_under_customer
            and rec.customer_id is not None
            and "owner" in clean
            and clean["owner"] != rec.data.get("owner")
        ):
            batch.check_owner_under(clean["owner"], batch.ws.get(rec.customer_id))

    def moves_owner(self, batch: Batch, rec: Rec, clean: dict[str, Any]) -> bool:
        """Whether the update gives a scope-deciding record another owner (checked here)."""
        new_owner = clean.get("owner")
        if not self.owner_is_scope or "owner" not in clean or new_owner == rec.data.get("owner"):
            return False
        viewer = batch.viewer
        if viewer.role not in ("lead", "admin"):
            raise R.REASSIGN_NEEDS_LEAD()
        if not batch.directory.can_assign_to(viewer, str(new_owner)):
            raise R.FORBIDDEN_OWNER()
        return True


class OwnedRules(EntityRules):
    """Customers and leads: their own ``owner`` decides who sees them."""

    owner_is_scope = True

    def prepare(self, batch: Batch, fields: dict[str, Any]) -> None:
        fields["owner"] = batch.owner_for_new(fields.get("owner"))


class CustomerRules(OwnedRules):
    name = "customer"

    def place(self, batch: Batch, op: Operation, clean: dict[str, Any]) -> Placement:
        return Placement(None, op.record_id, clean["owner"])

    def created(self, batch: Batch, op: Operation, rec: Rec, where: Placement) -> None:
        from server.duplicates import recheck

        recheck(batch, rec)


class ContactRules(EntityRules):
    name = "contact"
    customer_fixed = True

    def created(self, batch: Batch, op: Operation, rec: Rec, where: Placement) -> None:
        from server.duplicates import recheck

        recheck(batch, rec)


class LeadRules(OwnedRules):
    """Leads: the lead engine scores and times a device's new lead and owns its values."""

    name = "lead"

    def prepare(self, batch: Batch, fields: dict[str, Any]) -> None:
        super().prepare(batch, fields)
        lead_device.prepare_create(fields)

    def place(self, batch: Batch, op: Operation, clean: dict[str, Any]) -> Placement:
        return Placement(None, None, clean["owner"])

    def complete(self, batch: Batch, clean: dict[str, Any], where: Placement) -> None:
        if clean.get("customer_id") is not None:
            batch.customer(clean["customer_id"])
        lead_device.complete_create(batch, clean)

    def created(self, batch: Batch, op: Operation, rec: Rec, where: Placement) -> None:
        lead_device.created(batch, op, rec)

    def screen_update(self, batch: Batch, rec: Rec, fields: dict[str, Any]) -> dict[str, Any]:
        return lead_device.screen_update(batch, rec, fields)

    def updated(self, batch: Batch, op: Operation, rec: Rec, changes: dict[str, Any]) -> None:
        lead_device.updated(batch, op, rec, changes)

    def check_update(self, batch: Batch, rec: Rec, clean: dict[str, Any]) -> None:
        if clean.get("customer_id") is not None:
            batch.customer(clean["customer_id"])


class DealRules(EntityRules):
    name = "deal"
    customer_fixed = True
    owner_under_customer = True

    def prepare(self, batch: Batch, fields: dict[str, Any]) -> None:
        # An honest device may send the first stage it set locally; any other is refused.
        if fields.get("stage") in (None, batch.rules.stages[0].key):
            fields.pop("stage", None)

    def complete(self, batch: Batch, clean: dict[str, Any], where: Placement) -> None:
        customer = where.customer
        assert customer is not None
        clean["stage"] = batch.rules.stages[0].key
        clean["stage_entered_at"] = batch.ws.stamp
        if clean.get("owner") is None:
            clean["owner"] = customer.data.get("owner")
        batch.check_owner_under(clean["owner"], customer)
        batch.same_customer(clean.get("primary_contact_id"), "contact", customer.id, _CONTACT)

    def check_update(self, batch: Batch, rec: Rec, clean: dict[str, Any]) -> None:
        super().check_update(batch, rec, clean)
        if "primary_contact_id" in clean:
            batch.same_customer(
                clean["primary_contact_id"], "contact", str(rec.customer_id), _CONTACT
            )


class FollowupRules(EntityRules):
    name = "followup"
    stamps = ()

    def validate(self, batch: Batch, fields: dict[str, Any]) -> dict[str, Any]:
        clean, errors = validate_followup(device_values(fields), batch.rules)
        if errors:
            raise validation_error(errors)
        return clean

    def complete(self, batch: Batch, clean: dict[str, Any], where: Placement) -> None:
        assert where.customer is not None
        batch.same_customer(clean.get("deal_id"), "deal", where.customer.id, Msg("商机", "Deal"))
        clean["author"] = batch.viewer.id
        clean["created_at"] = batch.ws.stamp

    def created(self, batch: Batch, op: Operation, rec: Rec, where: Placement) -> None:
        assert where.customer is not None
        batch.ws.change(where.customer, {"last_followup_at": batch.ws.stamp}, **batch.actor(op))


class AttachmentRules(EntityRules):
    name = "attachment"
    stamps = ()

    def complete(self, batch: Batch, clean: dict[str, Any], where: Placement) -> None:
        assert where.customer is not None
        if not SHA256.match(str(clean.get("sha256"))):
            raise R.BAD_SHA256(errors={"sha256": {"zh": "格式错误", "en": "Malformed"}})
        if clean["sha256"] not in batch.usable_blobs:
            # The same answer for a file nobody uploaded and for another scope's file.
            raise R.UNKNOWN_FILE()
        customer_id = where.customer.id
        batch.same_customer(clean.get("deal_id"), "deal", customer_id, Msg("商机", "Deal"))
        batch.same_customer(
            clean.get("contact_id"), "contact", customer_id, Msg("联系人", "Contact")
        )
        clean["created_by"] = batch.viewer.id
        clean["created_at"] = batch.ws.stamp


class ApprovalRules(EntityRules):
    name = "approval"
    stamps = ()

    def prepare(self, batch: Batch, fields: dict[str, Any]) -> None:
        if fields.pop("status", None) not in (None, "pending"):
            raise R.APPROVAL_STARTS_PENDING()
        fields.pop("comment", None)

    def complete(self, batch: Batch, clean: dict[str, Any], where: Placement) -> None:
        assert where.customer is not None
        check_request(batch, clean, where.customer.id)


class AlertRules(EntityRules):
    """An alert belongs to a customer, or (a late lead response) to its owner alone."""

    name = "alert"
    stamps = ("created_at",)
    customer_fixed = True
    owner_under_customer = True

    def prepare(self, batch: Batch, fields: dict[str, Any]) -> None:
        if not fields.get("customer_id"):
            fields["owner"] = batch.owner_for_new(fields.get("owner"))

    def place(self, batch: Batch, op: Operation, clean: dict[str, Any]) -> Placement:
        if not clean.get("customer_id"):
            return Placement(None, None, clean["owner"])
        return super().place(batch, op, clean)

    def complete(self, batch: Batch, clean: dict[str, Any], where: Placement) -> None:
        if where.customer is not None:
            batch.check_owner_under(clean.get("owner"), where.customer)

    def moves_owner(self, batch: Batch, rec: Rec, clean: dict[str, Any]) -> bool:
        # Without a customer the owner is the alert's scope: giving it away moves it.
        new_owner = clean.get("owner")
        if rec.customer_id is not None or "owner" not in clean:
            return False
        if new_owner == rec.data.get("owner"):
            return False
        if not batch.directory.can_assign_to(batch.viewer, str(new_owner)):
            raise R.FORBIDDEN_OWNER()
        return True


class TaskRules(EntityRules):
    """A task belongs to its owner (who sees it with their team lead); the records it names
    must be ones the user may see, so another team's ids are refused as not found."""

    name = "task"
    stamps = ("created_at", "updated_at")
    owner_is_scope = True

    def prepare(self, batch: Batch, fields: dict[str, Any]) -> None:
        fields["owner"] = batch.owner_for_new(fields.get("owner"))

    def validate(self, batch: Batch, fields: dict[str, Any]) -> dict[str, Any]:
        clean, errors = validate_task(device_values(fields))
        if errors:
            raise validation_error(errors)
        return clean

    def place(self, batch: Batch, op: Operation, clean: dict[str, Any]) -> Placement:
        return Placement(None, None, clean["owner"])

    def complete(self, batch: Batch, clean: dict[str, Any], where: Placement) -> None:
        self._check_references(batch, clean, clean)
        clean["created_by"] = batch.viewer.id

    def check_update(self, batch: Batch, rec: Rec, clean: dict[str, Any]) -> None:
        checked, errors = validate_task(clean, partial=True)
        if errors:
            raise validation_error(errors)
        clean.update(checked)
        self._check_references(batch, clean, {**rec.data, **clean})

    def moves_owner(self, batch: Batch, rec: Rec, clean: dict[str, Any]) -> bool:
        new_owner = clean.get("owner")
        if "owner" not in clean or new_owner == rec.data.get("owner"):
            return False
        if not batch.directory.can_assign_to(batch.viewer, str(new_owner)):
            raise R.FORBIDDEN_OWNER()
        return True

    @staticmethod
    def _check_references(batch: Batch, given: dict[str, Any], task: dict[str, Any]) -> None:
        """Each named record exists, is of its kind and is one the user may see; a deal
        named with a customer belongs to it."""
        if given.get("customer_id") is not None:
            batch.customer(given["customer_id"])
        deal_id = given.get("deal_id")
        if deal_id is not None:
            customer_id = task.get("customer_id")
            if customer_id is not None:
                batch.same_customer(deal_id, "deal", str(customer_id), Msg("商机", "Deal"))
            else:
                batch.ws.load([str(deal_id)], lock=False)
                batch.visible(batch.ws.get(str(deal_id)), "deal")
        for name, kind in (("lead_id", "lead"), ("source_id", None)):
            ref = given.get(name)
            if ref is not None:
                batch.ws.load([str(ref)], lock=False)
                batch.visible(batch.ws.get(str(ref)), kind)


RULES: dict[str, EntityRules] = {
    r.name: r
    for r in (
        CustomerRules(),
        ContactRules(),
        LeadRules(),
        DealRules(),
        FollowupRules(),
        AttachmentRules(),
        ApprovalRules(),
        AlertRules(),
        TaskRules(),
    )
}
assert set(RULES) == set(ENTITIES), "every synced entity needs its push rules"
