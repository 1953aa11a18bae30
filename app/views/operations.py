"""What the screens ask of the store, one small function per user action or page load.

Every function here runs on the store worker (see :mod:`app.views.tasks`) and takes the
:class:`Store` first; none touches a widget. Reads return plain dataclasses the screens draw;
writes go through the store's public API, so every change is validated, audited and queued.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from app.domain.approvals import may_decide
from app.domain.messages import Msg
from app.domain.process import Checklist, Decision, next_stage
from app.domain.rules import LOST
from app.store import capture, merging, queries
from app.store import leads as lead_convert
from app.store.capture import CONTRACT_DEAL_FIELDS
from app.store.duplicates import DuplicateHit, find_duplicates
from app.store.errors import NotFound, ValidationFailed

# The screens build these filters; they are re-exported so no screen imports the queries.
from app.store.queries import CustomerFilter as CustomerFilter
from app.store.queries import DealFilter as DealFilter
from app.store.service import Store
from app.sync import leads as lead_actions
from app.sync.api import PoolService, SyncService, SyncState
from app.sync.errors import NotSignedIn

SEARCH_LIMIT = 300  # search hits considered for the customer list (customers, contacts, notes)


@dataclass(frozen=True)
class Session:
    """Who is working: the store's actor and their role ("lead", "rep"; None when unknown,
    e.g. a local profile that never signed in, which may do everything)."""

    user_id: str
    display_name: str
    role: str | None

    @property
    def may_approve(self) -> bool:
        return may_decide(self.role)

    @property
    def known(self) -> bool:
        return self.role is not None

    @property
    def leads_team(self) -> bool:
        """A team lead (or admin) works on the team's customers, not only their own."""
        return self.role in ("lead", "admin")


def session(store: Store) -> Session:
    me = store.query(queries.user, store.actor)
    if me is None:
        return Session(store.actor, store.actor, None)
    return Session(store.actor, str(me["display_name"]), me["role"])


@dataclass
class StartupInfo:
    session: Session
    users: list[dict[str, Any]]
    ui_lang: str | None


def startup(store: Store) -> StartupInfo:
    """What the main window needs once: who is working, the user directory, the saved
    language; also refreshes stagnation alerts, which are computed locally (P5)."""
    store.alerts.refresh_stagnation()
    store.alerts.refresh_approvals()
    return StartupInfo(session(store), store.query(queries.users), store.meta("ui_lang"))


def remember_language(store: Store, lang: str) -> None:
    """Keep the user's choice of language in the profile (read by :func:`startup`)."""
    store.set_meta("ui_lang", lang)


def outbox_counts(store: Store) -> tuple[int, int, int]:
    """(changes waiting to be sent, open conflicts, edits the server refused)."""
    return store.journal.pending_count(), store.conflicts.count(), len(store.journal.rejected())


# ---- customer list -------------------------------------------------------------------------------
@dataclass
class CustomerIds:
    """What the customer list shows: ids in display order, and for a search, how customers
    found through another record were found (customer id → (entity, that record's label))."""

    ids: list[str]
    matched: dict[str, tuple[str, str]] = field(default_factory=dict)


def customer_ids(store: Store, f: CustomerFilter, search: str, sort: str) -> CustomerIds:
    """The ids the customer list shows: search first (any matching customer, contact or
    follow-up leads to its customer), then the filters and order in SQL."""
    matched: dict[str, tuple[str, str]] = {}
    if search.strip():
        hits = store.search(search, limit=SEARCH_LIMIT)
        wanted = tuple(dict.fromkeys(h.customer_id for h in hits if h.customer_id))
        if not wanted:
            return CustomerIds([])
        direct = {h.customer_id for h in hits if h.entity == "customer"}
        for h in hits:
            # A customer found by its own text needs no explanation; otherwise the first
            # record that matched (contacts come before leads and follow-ups) says why.
            if h.customer_id and h.customer_id not in direct:
                matched.setdefault(h.customer_id, (h.entity, h.label))
        f = CustomerFilter(f.owner, f.stage, f.stale_days, wanted)
    return CustomerIds(store.query(queries.customer_ids, f, store.clock(), sort=sort), matched)


def customer_rows(store: Store, ids: list[str]) -> dict[str, dict[str, Any]]:
    return store.query(queries.customer_rows, ids)


def reassign(store: Store, entity: str, ids: list[str], owner: str) -> int:
    """Give several customers or deals to another owner (a lead's bulk action); return how
    many really changed hands. Each change is audited and queued like a typed edit."""
    if entity not in ("customer", "deal"):
        raise ValueError(f"cannot reassign {entity}")
    if session(store).role == "rep":
        raise ValidationFailed(
            {"owner": Msg("只有主管可以批量转交", "Only a team lead can reassign in bulk")}
        )
    return sum(1 for rid in ids if store.update(entity, rid, {"owner": owner}))


# ---- records -------------------------------------------------------------------------------------
def create_record(store: Store, entity: str, values: dict[str, Any]) -> str:
    """Create a customer, contact or deal typed in a form (raises ValidationFailed, also when
    the customer it belongs to left this device while the form was open)."""
    customer_id = values.get("customer_id")
    if entity != "customer" and customer_id and store.get("customer", str(customer_id)) is None:
        raise ValidationFailed(
            {
                "customer_id": Msg(
                    "该客户已不在本机(可能已删除或转给他人),未保存",
                    "This customer is no longer on this device (deleted or reassigned); "
                    "nothing was saved",
                )
            }
        )
    return store.create(entity, values)


def update_record(
    store: Store, entity: str, record_id: str, changes: dict[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Save the fields a user changed on a record's page (raises ValidationFailed)."""
    return store.update(entity, record_id, changes)


# ---- customer page -------------------------------------------------------------------------------
@dataclass
class CustomerCard:
    record: dict[str, Any]
    contacts: list[dict[str, Any]]
    deals: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    history: list[dict[str, Any]]
    history_intact: bool
    users: list[dict[str, Any]]
    files: dict[str, Path] = field(default_factory=dict)
    device: str = ""
    open_conflicts: int = 0
    # Customers merged into this one (their history is its history).
    merged_ids: list[str] = field(default_factory=list)


def customer_card(store: Store, customer_id: str) -> CustomerCard:
    record = store.require("customer", customer_id)
    atts = store.query(queries.attachments, customer_id=customer_id)
    merged = merging.merged_into(store, customer_id)
    return CustomerCard(
        record=record,
        contacts=store.query(queries.customer_contacts, customer_id),
        deals=store.query(queries.customer_deals, customer_id),
        timeline=store.query(queries.timeline, customer_id),
        attachments=atts,
        history=store.query(queries.audit_rows, [customer_id, *merged]),
        history_intact=not store.journal.verify(customer_id),
        users=store.query(queries.users),
        files=store.files.open_copies(atts),
        device=store.device,
        open_conflicts=store.query(queries.open_conflict_count, customer_id),
        merged_ids=merged,
    )


def merge_history(
    local: list[dict[str, Any]],
    remote: list[dict[str, Any]],
    names: dict[str, str],
    device: str,
) -> list[dict[str, Any]]:
    """This device's audit entries plus every other device's (from the server), each change
    once, newest first; ``where`` says whether it was made here."""
    seen = {str(h.get("hash")) for h in local if h.get("hash")}
    out = [{**h, "where": "here"} for h in local]
    for e in remote:
        if e.get("hash") and str(e["hash"]) in seen:
            continue
        actor = str(e.get("actor") or "")
        out.append(
            {
                **e,
                "actor_name": names.get(actor, actor),
                "where": "here" if e.get("device") == device else "elsewhere",
            }
        )
    out.sort(key=lambda h: str(h.get("at") or ""), reverse=True)
    return out


# ---- deal page -----------------------------------------------------------------------------------
@dataclass
class DealCard:
    record: dict[str, Any]
    customer_name: str
    owner_name: str
    checklist: Checklist
    next_stage: str | None
    pending_approval: dict[str, Any] | None
    approved_next: bool
    contacts: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    files: dict[str, Path] = field(default_factory=dict)
    # The newest decided request that concerns the deal where it is now: a rejection of the
    # move out of this stage, or the approval that brought it here.
    last_decision: dict[str, Any] | None = None
    open_conflicts: int = 0


def _last_decision(store: Store, deal_id: str, stage: str) -> dict[str, Any] | None:
    for d in store.query(queries.deal_decisions, deal_id):
        if d["status"] == "rejected" and d["from_stage"] == stage:
            return d
        if d["status"] == "approved" and d["to_stage"] == stage:
            return d
        return None  # an older verdict concerns a stage the deal has left
    return None


def deal_card(store: Store, deal_id: str) -> DealCard:
    record = store.require("deal", deal_id)
    header = store.query(queries.deal_header, deal_id) or {}
    stage = str(record["stage"])
    nxt = next_stage(stage, store.rules)
    atts = store.query(queries.attachments, deal_id=deal_id)
    return DealCard(
        record=record,
        customer_name=str(header.get("customer_name") or ""),
        owner_name=str(header.get("owner_name") or ""),
        checklist=store.deals.checklist(deal_id),
        next_stage=nxt,
        pending_approval=store.deals.pending_approval(deal_id, nxt) if nxt else None,
        approved_next=bool(nxt) and store.deals.approved(deal_id, stage, str(nxt)),
        contacts=store.query(queries.customer_contacts, str(record["customer_id"])),
        attachments=atts,
        timeline=store.query(queries.timeline, str(record["customer_id"]), deal_id=deal_id),
        files=store.files.open_copies(atts),
        last_decision=_last_decision(store, deal_id, stage),
        open_conflicts=store.query(queries.open_conflict_count, deal_id),
    )


def advance_deal(store: Store, deal_id: str) -> Decision:
    """Move a deal one stage on (raises MoveRefused with every missing lock)."""
    deal = store.require("deal", deal_id)
    target = next_stage(str(deal["stage"]), store.rules)
    if target is None:
        raise NotFound("stage", f"after {deal['stage']}")
    return store.deals.move(deal_id, target)


def request_approval(store: Store, deal_id: str, note: str) -> Decision:
    """Ask the team lead to approve the deal's next (gated) move, with the rep's note."""
    note = note.strip()
    if len(note) < 2:
        raise ValidationFailed(
            {
                "reason": Msg(
                    "请写一句申请说明,让主管知道为什么现在推进",
                    "Add a note so the team lead knows why the deal should move on now",
                )
            }
        )
    deal = store.require("deal", deal_id)
    target = next_stage(str(deal["stage"]), store.rules)
    if target is None:
        raise NotFound("stage", f"after {deal['stage']}")
    return store.deals.move(deal_id, target, note)


def decide_approval(store: Store, approval_id: str, approve: bool, comment: str) -> None:
    """A team lead's verdict (a rejection needs a comment); approving moves the deal."""
    store.deals.decide_approval(approval_id, approve, comment.strip())


def approvals(store: Store, pending_only: bool) -> list[dict[str, Any]]:
    return store.query(queries.approvals, pending_only=pending_only)


def open_alerts(store: Store) -> list[dict[str, Any]]:
    return store.query(queries.open_alerts)


def refresh_alerts(store: Store) -> None:
    """Recompute the alerts this device raises: stagnating deals, verdicts on my requests."""
    store.alerts.refresh_stagnation()
    store.alerts.refresh_approvals()


def resolve_alert(store: Store, alert_id: str) -> None:
    store.alerts.resolve(alert_id)


def inbox_counts(store: Store, me: Session, due_until: str) -> dict[str, int]:
    """The navigation badges: what waits for this user (a rep decides no approvals; a lead's
    follow-ups due are the team's)."""
    return store.query(
        queries.inbox_counts,
        owner=me.user_id if me.known and not me.leads_team else None,
        due_until=due_until,
        approver=me.user_id,
        may_approve=me.may_approve,
        today=store.clock().date().isoformat(),
    )


@dataclass
class DueList:
    """The follow-ups-due worklist: items overdue first; per owner, how many and how late."""

    items: list[dict[str, Any]]
    today: str
    per_owner: dict[str, tuple[str, int, int]]  # owner id -> (name, due, overdue)


def followups_due(store: Store, owner: str | None, until: str) -> DueList:
    """Next actions due by ``until`` (snoozed ones left out), for one owner or everyone."""
    today = store.clock().date().isoformat()
    items = store.query(queries.followups_due, owner=owner, until=until, today=today)
    per: dict[str, tuple[str, int, int]] = {}
    for r in items:
        key = str(r.get("owner") or "")
        name, due, late = per.get(key, (str(r.get("owner_name") or ""), 0, 0))
        per[key] = (name, due + 1, late + (r["due_on"] < today))
    return DueList(items, today, per)


def snooze_followup(store: Store, followup_id: str, days: int) -> None:
    """Put a next action off for ``days`` days (it comes back on the list then)."""
    store.followups.snooze(followup_id, store.clock().date() + timedelta(days=days))


def open_conflicts(store: Store) -> list[dict[str, Any]]:
    return store.query(queries.open_conflicts)


def resolve_conflict(store: Store, conflict_id: str, restore_other: bool) -> None:
    """Keep the value in force, or restore the one kept aside (a new, synced edit)."""
    store.conflicts.resolve(conflict_id, restore_other=restore_other)


def move_deal(store: Store, deal_id: str, target: str, reason: str | None) -> Decision:
    """Move a deal (with the user's reason when moving back, marking lost or reopening);
    raises MoveRefused."""
    return store.deals.move(deal_id, target, reason)


def _update_json(
    store: Store, deal_id: str, name: str, change: Callable[[Any], Any]
) -> dict[str, tuple[Any, Any]]:
    """Read-modify-write of one structured deal field, inside the store worker (so two fixes
    made in quick succession never overwrite each other)."""
    current = store.require("deal", deal_id).get(name)
    return store.update("deal", deal_id, {name: change(current)})


def tick_action(store: Store, deal_id: str, key: str, done: bool) -> None:
    """Tick (or untick) a checklist action such as a handover step."""

    def change(checklist: Any) -> dict[str, Any]:
        new = dict(checklist or {})
        if done:
            new[key] = True
        else:
            new.pop(key, None)
        return new

    _update_json(store, deal_id, "checklist", change)


def add_pain_point(store: Store, deal_id: str, text: str) -> None:
    text = text.strip()
    if text:
        _update_json(
            store,
            deal_id,
            "pain_points",
            lambda items: [*(items or []), {"text": text, "confirmed": True}],
        )


def confirm_pain_point(store: Store, deal_id: str, index: int, confirmed: bool) -> None:
    def change(items: Any) -> list[Any]:
        new: list[dict[str, Any]] = [
            dict(i) if isinstance(i, dict) else {"text": str(i)} for i in items or []
        ]
        if 0 <= index < len(new):
            new[index]["confirmed"] = confirmed
        return new

    _update_json(store, deal_id, "pain_points", change)


def set_decision_role(store: Store, deal_id: str, role: str, contact_id: str | None) -> None:
    """Map one role of the decision chain (initiator, veto holder…) to a contact."""

    def change(chain: Any) -> dict[str, Any]:
        new = dict(chain or {})
        if contact_id:
            new[role] = contact_id
        else:
            new.pop(role, None)
        return new

    _update_json(store, deal_id, "decision_chain", change)


def attach(
    store: Store, path: Path, kind: str, customer_id: str, deal_id: str | None = None
) -> str:
    return store.files.attach(path, kind, customer_id=customer_id, deal_id=deal_id)


# ---- follow-up form ------------------------------------------------------------------------------
@dataclass
class FollowupSetup:
    """What the follow-up form offers: the customer's contacts and the user's department."""

    contacts: list[dict[str, Any]]
    department: str


def followup_setup(store: Store, customer_id: str) -> FollowupSetup:
    return FollowupSetup(
        store.query(queries.customer_contacts, customer_id),
        store.query(queries.department, store.actor),
    )


def log_followup(store: Store, values: dict[str, Any], files: list[Path]) -> str:
    """Record a follow-up and keep the files attached to it (under its customer and deal)."""
    followup_id = store.followups.add(values)
    for path in files:
        store.files.attach(
            path, "other", customer_id=str(values["customer_id"]), deal_id=values.get("deal_id")
        )
    return followup_id


@dataclass
class ContractTarget:
    """What a contract read for a deal is compared with: the deal's contract fields now and
    the name of its customer (who should be one of the contract's parties)."""

    current: dict[str, Any]
    customer_name: str


def card_duplicates(store: Store, fields: dict[str, Any]) -> list[DuplicateHit]:
    """Who a business card read may already be (by company, mobile, e-mail and name)."""
    return find_duplicates(
        store,
        company=fields.get("company"),
        mobile=fields.get("mobile"),
        email=fields.get("email"),
        person=fields.get("name"),
    )


def save_card(
    store: Store, fields: dict[str, Any], image: Path, customer_id: str | None
) -> capture.CardSaved:
    """Create the contact (and the customer, unless ``customer_id`` is given) from a card."""
    return capture.save_card(store, fields, image, customer_id=customer_id)


def contract_target(store: Store, deal_id: str) -> ContractTarget:
    deal = store.require("deal", deal_id)
    header = store.query(queries.deal_header, deal_id) or {}
    return ContractTarget(
        {k: deal.get(k) for k in CONTRACT_DEAL_FIELDS}, str(header.get("customer_name") or "")
    )


def apply_contract(
    store: Store, deal_id: str, values: dict[str, Any], document: Path, ticked: list[str]
) -> str:
    """Attach the contract; change only the deal fields the user ticked."""
    return capture.apply_contract(store, deal_id, values, document, only=ticked)


# ---- pipeline ------------------------------------------------------------------------------------
@dataclass
class Board:
    stages: list[str]
    cards: dict[str, list[dict[str, Any]]]
    totals: dict[str, tuple[int, float]]
    # 在途: deals still being worked, neither won (the last stage) nor lost.
    open_count: int = 0
    open_amount: float = 0.0


def board(store: Store, f: DealFilter, per_column: int = 200) -> Board:
    """Cards per stage (largest first) with their days in stage, each column's count and
    amount, and the open pipeline."""
    rules = store.rules
    stages = [*rules.stage_keys, LOST]
    today = store.clock().date()
    cards = {s: store.query(queries.deal_cards, f, stage=s, limit=per_column) for s in stages}
    for column in cards.values():
        for card in column:
            entered = str(card.get("stage_entered_at") or "")[:10]
            try:
                card["days_in_stage"] = (today - date.fromisoformat(entered)).days
            except ValueError:
                card["days_in_stage"] = None
            card["stalled"] = bool(card.get("stalled"))
            card["pending_approval"] = bool(card.get("pending_approval"))
    totals = store.query(queries.stage_totals, f)
    open_totals = [t for s, t in totals.items() if rules.is_open(s)]
    return Board(
        stages,
        cards,
        totals,
        sum(n for n, _ in open_totals),
        sum(amount for _, amount in open_totals),
    )


def period(kind: str, today: date) -> tuple[str | None, str | None]:
    """Expected-close window for a board period: "all", "month", "quarter"."""
    if kind == "month":
        start = today.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return start.isoformat(), end.isoformat()
    if kind == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        start = today.replace(month=first_month, day=1)
        end = (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
        return start.isoformat(), end.isoformat()
    return None, None


# ---- leads ---------------------------------------------------------------------------------------
@dataclass
class LeadDetail:
    """One lead as its page shows it: the record, its owner's name, the score's factors and
    why it went to its owner, and whether an acceptance made here still waits for the server."""

    lead: dict[str, Any]
    owner_name: str
    factors: list[dict[str, Any]]
    assignment: dict[str, Any] | None
    pending: bool


def open_leads(store: Store, sort: str) -> list[dict[str, Any]]:
    """The leads inbox: open leads with their owner, in the chosen order."""
    return store.query(queries.leads, sort=sort)


def lead_detail(store: Store, lead_id: str) -> LeadDetail:
    lead = store.require("lead", lead_id)
    owner = store.query(queries.user, lead["owner"]) if lead.get("owner") else None
    reasons = lead.get("score_reasons")
    factors = list(reasons.get("factors") or []) if isinstance(reasons, dict) else []
    assignment = lead.get("assignment")
    pending = store.query(queries.pending_lead_actions, lead_id)
    return LeadDetail(
        lead,
        str(owner["display_name"]) if owner else str(lead.get("owner") or ""),
        factors,
        assignment if isinstance(assignment, dict) else None,
        bool(pending),
    )


def accept_lead(store: Store, lead_id: str, contacted: bool = False) -> None:
    """Accept (or mark contacted) now; kept here and sent by the next sync, judged by now."""
    store.require("lead", lead_id)
    lead_actions.queue_action(store, lead_id, "contacted" if contacted else "accepted")


def lead_duplicates(store: Store, lead_id: str) -> list[DuplicateHit]:
    """What the lead may already be on this device (the check before converting)."""
    lead = store.require("lead", lead_id)
    if lead.get("customer_id"):
        raise ValidationFailed({"customer_id": lead_convert.ALREADY_CONVERTED})
    return lead_convert.lead_duplicates(store, lead)


def convert_lead(store: Store, lead_id: str) -> lead_convert.Converted:
    return lead_convert.convert(store, lead_id)


def assigned_leads(store: Store, user_id: str) -> list[dict[str, Any]]:
    """Leads given to this user and not yet accepted (what a notification announces)."""
    return [r for r in store.query(queries.leads, owner=user_id) if r.get("status") == "assigned"]


NO_POOL = Msg(
    "离线或未登录:公海只在联网时可见,认领也需要联网",
    "Offline or not signed in: the pool is on the server and claiming needs the network",
)


def team_pool(service: SyncService | None) -> list[dict[str, Any]]:
    """The team pool from the server (runs on a network lane, not the store worker)."""
    if not isinstance(service, PoolService):
        raise NotSignedIn(NO_POOL)
    return service.pool()


def claim_from_pool(service: SyncService | None, record_id: str) -> dict[str, Any]:
    """Claim from the pool: the first claim wins; a lost claim names the winner."""
    if not isinstance(service, PoolService):
        raise NotSignedIn(NO_POOL)
    return service.claim(record_id)


# ---- sync ----------------------------------------------------------------------------------------
def sync_state(store: Store, service: SyncService) -> SyncState:
    """The status bar's facts. Read on the store worker: an offline service counts rows."""
    return service.state()


__all__ = [
    "Board",
    "ContractTarget",
    "CustomerCard",
    "CustomerIds",
    "DealCard",
    "DueList",
    "FollowupSetup",
    "LeadDetail",
    "Session",
    "StartupInfo",
    "accept_lead",
    "add_pain_point",
    "advance_deal",
    "apply_contract",
    "approvals",
    "assigned_leads",
    "attach",
    "board",
    "claim_from_pool",
    "confirm_pain_point",
    "contract_target",
    "convert_lead",
    "create_record",
    "customer_card",
    "customer_ids",
    "customer_rows",
    "deal_card",
    "decide_approval",
    "followup_setup",
    "followups_due",
    "inbox_counts",
    "lead_detail",
    "lead_duplicates",
    "log_followup",
    "merge_history",
    "move_deal",
    "open_alerts",
    "open_conflicts",
    "period",
    "reassign",
    "refresh_alerts",
    "request_approval",
    "resolve_alert",
    "resolve_conflict",
    "session",
    "set_decision_role",
    "snooze_followup",
    "startup",
    "sync_state",
    "team_pool",
    "tick_action",
    "update_record",
]
