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

from app.domain.process import Checklist, Decision, next_stage
from app.domain.rules import LOST
from app.store import queries
from app.store.errors import NotFound
from app.store.queries import CustomerFilter, DealFilter
from app.store.service import Store
from app.sync.api import SyncService, SyncState

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
        return self.role in (None, "lead", "admin")

    @property
    def known(self) -> bool:
        return self.role is not None


def session(store: Store) -> Session:
    me = queries.user(store.db, store.actor)
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
    store.refresh_stagnation_alerts()
    return StartupInfo(session(store), queries.users(store.db), store.meta("ui_lang"))


# ---- customer list -------------------------------------------------------------------------------
def customer_ids(store: Store, f: CustomerFilter, search: str, sort: str) -> list[str]:
    """The ids the customer list shows: search first (any matching customer, contact or
    follow-up leads to its customer), then the filters and order in SQL."""
    if search.strip():
        hits = store.search(search, limit=SEARCH_LIMIT)
        wanted = tuple(dict.fromkeys(h.customer_id for h in hits if h.customer_id))
        if not wanted:
            return []
        f = CustomerFilter(f.owner, f.stage, f.stale_days, wanted)
    return queries.customer_ids(store.db, f, store.clock(), sort=sort)


def customer_rows(store: Store, ids: list[str]) -> dict[str, dict[str, Any]]:
    return queries.customer_rows(store.db, ids)


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


def customer_card(store: Store, customer_id: str) -> CustomerCard:
    record = store.require("customer", customer_id)
    atts = queries.attachments(store.db, customer_id=customer_id)
    return CustomerCard(
        record=record,
        contacts=queries.customer_contacts(store.db, customer_id),
        deals=queries.customer_deals(store.db, customer_id),
        timeline=queries.timeline(store.db, customer_id),
        attachments=atts,
        history=queries.audit_rows(store.db, [customer_id]),
        history_intact=not store.verify_audit(customer_id),
        users=queries.users(store.db),
        files=store.files.open_copies(atts),
    )


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


def deal_card(store: Store, deal_id: str) -> DealCard:
    record = store.require("deal", deal_id)
    header = queries.deal_header(store.db, deal_id) or {}
    stage = str(record["stage"])
    nxt = next_stage(stage, store.rules)
    atts = queries.attachments(store.db, deal_id=deal_id)
    return DealCard(
        record=record,
        customer_name=str(header.get("customer_name") or ""),
        owner_name=str(header.get("owner_name") or ""),
        checklist=store.deal_checklist(deal_id),
        next_stage=nxt,
        pending_approval=store.pending_approval(deal_id, nxt) if nxt else None,
        approved_next=bool(nxt) and store.approved(deal_id, stage, str(nxt)),
        contacts=queries.customer_contacts(store.db, str(record["customer_id"])),
        attachments=atts,
        timeline=queries.timeline(store.db, str(record["customer_id"]), deal_id=deal_id),
        files=store.files.open_copies(atts),
    )


def advance_deal(store: Store, deal_id: str) -> Decision:
    """Move a deal one stage on (raises MoveRefused with every missing lock)."""
    deal = store.require("deal", deal_id)
    target = next_stage(str(deal["stage"]), store.rules)
    if target is None:
        raise NotFound("stage", f"after {deal['stage']}")
    return store.move_deal(deal_id, target)


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
    return store.attach_file(path, kind, customer_id=customer_id, deal_id=deal_id)


# ---- pipeline ------------------------------------------------------------------------------------
@dataclass
class Board:
    stages: list[str]
    cards: dict[str, list[dict[str, Any]]]
    totals: dict[str, tuple[int, float]]


def board(store: Store, f: DealFilter, per_column: int = 200) -> Board:
    """Cards per stage (largest first) and each column's count and amount."""
    stages = [*store.rules.stage_keys, LOST]
    return Board(
        stages,
        {s: queries.deal_cards(store.db, f, stage=s, limit=per_column) for s in stages},
        queries.stage_totals(store.db, f),
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


# ---- sync ----------------------------------------------------------------------------------------
def sync_state(store: Store, service: SyncService) -> SyncState:
    """The status bar's facts. Read on the store worker: an offline service counts rows."""
    return service.state()


__all__ = [
    "Board",
    "CustomerCard",
    "DealCard",
    "Session",
    "StartupInfo",
    "add_pain_point",
    "advance_deal",
    "attach",
    "board",
    "confirm_pain_point",
    "customer_card",
    "customer_ids",
    "customer_rows",
    "deal_card",
    "period",
    "session",
    "set_decision_role",
    "startup",
    "sync_state",
    "tick_action",
]
