"""The data-health brief (SPEC C3): what needs cleaning, per rep.

Duplicate suspects (the largest groups), customers nobody can call (no valid phone on the
customer or any of its contacts), masked numbers (138****1234: kept, never dialled), leads
untouched for 30 days and stagnating deals. The desktop builds it from the lead's copy, the
server from a team's data; both from the same rows with this one function.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.domain.dedupe import Group
from app.domain.messages import Msg
from app.domain.process import is_stagnant
from app.domain.rules import LOST, ProcessRules
from app.domain.validators import is_masked_mobile, normalize_landline, normalize_mobile

STALE_LEAD_DAYS = 30
OPEN_LEADS = ("new", "assigned", "accepted", "contacted")
TOP_GROUPS = 20

COLUMNS = (
    ("rep", Msg("负责人", "Rep")),
    ("suspects", Msg("疑似重复组", "Duplicate groups")),
    ("no_phone", Msg("无有效电话的客户", "Customers without a valid phone")),
    ("masked", Msg("隐藏号码", "Masked numbers")),
    ("stale_leads", Msg("30天未跟进线索", "Leads untouched 30 days")),
    ("stagnant_deals", Msg("停滞商机", "Stagnating deals")),
)


@dataclass
class RepRow:
    """One rep's counts (``rep`` is the display name; the totals row has it empty)."""

    rep: str
    suspects: int = 0
    no_phone: int = 0
    masked: int = 0
    stale_leads: int = 0
    stagnant_deals: int = 0

    def values(self) -> list[Any]:
        return [getattr(self, key) for key, _ in COLUMNS]


@dataclass(frozen=True)
class Item:
    """A record the brief names: kind, id, label, its owner's name and a detail."""

    kind: str
    record_id: str
    label: str
    rep: str
    detail: str = ""


@dataclass(frozen=True)
class SuspectGroup:
    kind: str  # "customers" or "contacts"
    ids: tuple[str, ...]
    labels: tuple[str, ...]
    score: float
    reasons: tuple[Msg, ...]


@dataclass
class Brief:
    """The brief of one day."""

    day: str
    reps: list[RepRow] = field(default_factory=list)
    total: RepRow = field(default_factory=lambda: RepRow(""))
    groups: list[SuspectGroup] = field(default_factory=list)
    no_phone: list[Item] = field(default_factory=list)
    masked: list[Item] = field(default_factory=list)
    stale_leads: list[Item] = field(default_factory=list)
    stagnant_deals: list[Item] = field(default_factory=list)

    def summary(self) -> Msg:
        t = self.total
        return Msg(
            "数据健康:疑似重复{s}组,无有效电话客户{p}个,隐藏号码{m}个,"
            "30天未跟进线索{l}条,停滞商机{d}个",
            "Data health: {s} duplicate group(s), {p} customer(s) without a valid phone, "
            "{m} masked number(s), {l} lead(s) untouched 30 days, {d} stagnating deal(s)",
        ).format(s=t.suspects, p=t.no_phone, m=t.masked, l=t.stale_leads, d=t.stagnant_deals)


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _callable(value: Any) -> bool:
    text = str(value or "")
    if not text or is_masked_mobile(text):
        return False
    return bool(normalize_mobile(text) or normalize_landline(text))


def build_brief(
    *,
    now: datetime,
    rules: ProcessRules,
    users: Mapping[str, str],
    customers: Sequence[Mapping[str, Any]],
    contacts: Sequence[Mapping[str, Any]],
    leads: Sequence[Mapping[str, Any]],
    deals: Sequence[Mapping[str, Any]],
    last_followups: Mapping[str, str],
    customer_groups: Iterable[Group],
    contact_groups: Iterable[Group],
) -> Brief:
    """The brief as of ``now``; ``last_followups`` maps a deal id to its latest follow-up."""
    brief = Brief(now.date().isoformat())
    owner_of: dict[str, str | None] = {c["id"]: c.get("owner") for c in customers}
    name_of = {c["id"]: str(c.get("name") or "") for c in customers}
    rows: dict[str, RepRow] = {}

    def rep(owner: str | None) -> RepRow:
        name = users.get(owner or "", owner or "—")
        return rows.setdefault(name, RepRow(name))

    def rep_name(owner: str | None) -> str:
        return users.get(owner or "", owner or "—")

    contact_label: dict[str, str] = {}
    reachable: set[str] = set()
    for k in contacts:
        cid = k.get("customer_id")
        contact_label[k["id"]] = f"{k.get('name') or ''} · {name_of.get(cid or '', '')}"
        if _callable(k.get("mobile")) or _callable(k.get("phone")):
            reachable.add(cid or "")
        for fname in ("mobile", "phone"):
            if is_masked_mobile(k.get(fname)):
                owner = owner_of.get(cid or "")
                rep(owner).masked += 1
                brief.masked.append(
                    Item("contact", k["id"], contact_label[k["id"]], rep_name(owner), k[fname])
                )
    for c in customers:
        if is_masked_mobile(c.get("phone")):
            rep(c.get("owner")).masked += 1
            brief.masked.append(
                Item("customer", c["id"], name_of[c["id"]], rep_name(c.get("owner")), c["phone"])
            )
        if not _callable(c.get("phone")) and c["id"] not in reachable:
            rep(c.get("owner")).no_phone += 1
            brief.no_phone.append(
                Item(
                    "customer",
                    c["id"],
                    name_of[c["id"]],
                    rep_name(c.get("owner")),
                    str(c.get("phone") or ""),
                )
            )
    cutoff = now - timedelta(days=STALE_LEAD_DAYS)
    for lead in leads:
        if lead.get("status") not in OPEN_LEADS:
            continue
        touched = _when(lead.get("updated_at")) or _when(lead.get("created_at"))
        if touched is not None and touched <= cutoff:
            rep(lead.get("owner")).stale_leads += 1
            brief.stale_leads.append(
                Item(
                    "lead",
                    lead["id"],
                    f"{lead.get('name') or ''} · {lead.get('company') or ''}",
                    rep_name(lead.get("owner")),
                    touched.date().isoformat(),
                )
            )
    final = {rules.stage_keys[-1], LOST} if rules.stage_keys else {LOST}
    for d in deals:
        entered = _when(d.get("stage_entered_at"))
        if d.get("stage") in final or entered is None:
            continue
        if is_stagnant(entered, _when(last_followups.get(d["id"])), now, rules):
            owner = d.get("owner") or owner_of.get(d.get("customer_id") or "")
            rep(owner).stagnant_deals += 1
            brief.stagnant_deals.append(
                Item(
                    "deal",
                    d["id"],
                    str(d.get("title") or ""),
                    rep_name(owner),
                    rules.stage_label(str(d.get("stage"))).zh,
                )
            )
    contact_customer = {k["id"]: k.get("customer_id") for k in contacts}
    groups: list[SuspectGroup] = []
    for kind, found in (("customers", customer_groups), ("contacts", contact_groups)):
        for g in found:
            if kind == "customers":
                labels = tuple(name_of.get(i, i) for i in g.ids)
                owners = {owner_of.get(i) for i in g.ids}
            else:
                labels = tuple(contact_label.get(i, i) for i in g.ids)
                owners = {owner_of.get(contact_customer.get(i) or "") for i in g.ids}
            for owner in owners:
                rep(owner).suspects += 1
            groups.append(SuspectGroup(kind, g.ids, labels, g.score, g.reasons))
    groups.sort(key=lambda g: (-len(g.ids), -g.score, g.labels))
    brief.groups = groups[:TOP_GROUPS]
    brief.reps = sorted(rows.values(), key=lambda r: r.rep)
    total = RepRow("")
    counts: Counter[str] = Counter()
    for r in brief.reps:
        for key, _ in COLUMNS[1:]:
            counts[key] += getattr(r, key)
    total.suspects = len(groups)
    total.no_phone = counts["no_phone"]
    total.masked = counts["masked"]
    total.stale_leads = counts["stale_leads"]
    total.stagnant_deals = counts["stagnant_deals"]
    brief.total = total
    return brief
