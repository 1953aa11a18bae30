"""Lead intake (SPEC L6, L1): channels post leads with their key; imports and the CLI use the same
path. Each lead is checked on its own and stored in its own transaction — record, score,
assignment and bookkeeping together or not at all — so one bad lead never blocks the rest and
nothing is half-stored. A lead whose ``(channel, external_id)`` was seen before is answered
with the stored lead and changes nothing.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from app.domain.leads import is_high_intent, score_lead
from app.domain.messages import Msg
from app.domain.schema import LEAD_CHANNELS, validate_values
from server.db import lead_state, loads, records, write_tx
from server.leads.assignment import assign
from server.leads.common import (
    lead_rules,
    lock_team,
    raise_alert,
    user_names,
)
from server.records import Directory, Workspace

MAX_BATCH = 500
TEXT_LIMITS = {
    "name": 200,
    "company": 200,
    "title": 200,
    "mobile": 40,
    "email": 254,
    "notes": 2000,
    "region": 100,
    "product": 100,
}
# Scorecard facts that are not lead fields: kept in the score's reasons.
NUMBER_FACTS = {"company_size": 10_000_000, "timeline_urgency": 3}
FLAG_FACTS = ("budget_stated", "decision_maker")
KNOWN = {"external_id", "channel", *TEXT_LIMITS, *NUMBER_FACTS, *FLAG_FACTS}
# Text that a spreadsheet would run as a formula when the lead is exported.
_FORMULA = re.compile(r"^\s*(?:[=@]|[+\-](?![\d\s(]))")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _err(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def check_lead(
    raw: Any, channel: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, str]], list[str]]:
    """Check one posted lead: (lead fields, scorecard facts, errors by field, ignored keys)."""
    if not isinstance(raw, Mapping):
        return {}, {}, {"lead": _err("每条线索应为一个对象", "Each lead must be an object")}, []
    errors: dict[str, dict[str, str]] = {}
    ignored = sorted(str(k)[:64] for k in raw if k not in KNOWN)
    ext = raw.get("external_id")
    if isinstance(ext, int) and not isinstance(ext, bool):
        ext = str(ext)
    if not isinstance(ext, str) or not ext.strip():
        errors["external_id"] = _err("缺少外部编号 external_id", "external_id is required")
    elif len(ext) > 200 or _CONTROL.search(ext):
        errors["external_id"] = _err(
            "外部编号过长或含控制字符", "external_id is too long or malformed"
        )
    given = raw.get("channel")
    if given not in (None, "", channel):
        errors["channel"] = _err(
            f"此密钥属于渠道 {channel}", f"This key belongs to channel {channel}"
        )
    fields: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        value = raw.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            errors[name] = _err("应为文本", "Must be text")
            continue
        text = str(value)
        if len(text) > limit:
            errors[name] = _err(f"过长(上限 {limit} 字)", f"Too long (at most {limit} characters)")
        elif _CONTROL.search(text):
            errors[name] = _err("含有控制字符", "Contains control characters")
        elif name not in ("mobile", "email") and _FORMULA.match(text):
            errors[name] = _err(
                "不能以 = + - @ 开头(表格公式)",
                "Must not start with = + - @ (a spreadsheet formula)",
            )
        else:
            fields[name] = text
    clean, problems = validate_values("lead", {**fields, "channel": channel}, partial=True)
    for name, msg in problems.items():
        errors.setdefault(name, msg.as_dict())
    if not clean.get("name"):
        errors.setdefault("name", _err("姓名为必填项", "Name is required"))
    facts: dict[str, Any] = {}
    for name, top in NUMBER_FACTS.items():
        value = raw.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors[name] = _err("应为数字", "Must be a number")
        elif not math.isfinite(value):
            errors[name] = _err("不是有效数值", "Not a finite number")
        elif not 0 <= value <= top:
            errors[name] = _err(f"应在 0 到 {top} 之间", f"Must be between 0 and {top}")
        else:
            facts[name] = value
    for name in FLAG_FACTS:
        value = raw.get(name)
        if value is None:
            continue
        if not isinstance(value, bool):
            errors[name] = _err("应为 true 或 false", "Must be true or false")
        else:
            facts[name] = value
    if not errors:
        clean["external_id"] = str(ext).strip()
    return clean, facts, errors, ignored


def derived_external_id(fields: Mapping[str, Any]) -> str:
    """An external id for a lead that came without one (an imported row): the same row
    imported twice gets the same id."""
    key = "|".join(str(fields.get(k) or "") for k in ("name", "company", "mobile", "email"))
    return "row:" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _outcome(conn: Any, index: int, lead_id: str, outcome: str) -> dict[str, Any]:
    rec = conn.execute(select(records.c.data).where(records.c.id == lead_id)).first()
    data = loads(rec.data) if rec else {}
    owner = data.get("owner")
    names = user_names(conn, [owner])
    return {
        "index": index,
        "external_id": data.get("external_id"),
        "id": lead_id,
        "outcome": outcome,
        "status": data.get("status"),
        "owner": names[owner][0] if owner in names else None,
        "score": data.get("score"),
        "response_due": data.get("response_due"),
    }


def store_leads(
    engine: Engine,
    channel: str,
    team_id: str,
    leads: Sequence[Any],
    *,
    now: float | None = None,
    actor_device: str | None = None,
) -> list[dict[str, Any]]:
    """Store a batch of leads for ``team_id``; one outcome per lead, in order:
    ``created``, ``duplicate`` (seen before: the stored lead) or ``rejected`` (with errors)."""
    if channel not in LEAD_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    out = []
    for index, raw in enumerate(leads):
        clean, facts, errors, ignored = check_lead(raw, channel)
        if errors:
            out.append(
                {
                    "index": index,
                    "external_id": raw.get("external_id") if isinstance(raw, Mapping) else None,
                    "id": None,
                    "outcome": "rejected",
                    "errors": errors,
                }
            )
            continue
        result = _store_one(
            engine,
            index,
            clean,
            facts,
            channel,
            team_id,
            time.time() if now is None else now,
            actor_device or f"intake:{channel}",
        )
        if ignored:
            result["ignored"] = ignored
        out.append(result)
    return out


def _store_one(
    engine: Engine,
    index: int,
    clean: dict[str, Any],
    facts: dict[str, Any],
    channel: str,
    team_id: str,
    now: float,
    device: str,
) -> dict[str, Any]:
    external_id = clean["external_id"]
    seen = (lead_state.c.channel == channel) & (lead_state.c.external_id == external_id)
    for attempt in range(2):
        try:
            with write_tx(engine) as conn:
                lock_team(conn, team_id)
                existing = conn.execute(select(lead_state.c.lead_id).where(seen)).first()
                if existing is not None:
                    return _outcome(conn, index, str(existing.lead_id), "duplicate")
                rules = lead_rules(conn)
                score, reasons = score_lead({**clean, **facts}, rules)
                high = is_high_intent(score, rules)
                ws = Workspace(conn, now, Directory.load(conn))
                leads_of_team = sorted(
                    m.id
                    for m in ws.directory.members.values()
                    if m.role == "lead" and m.team_id == team_id and m.active
                )
                lead_id = str(uuid.uuid4())
                rec = ws.create(
                    "lead",
                    lead_id,
                    {
                        **clean,
                        "score": score,
                        "status": "new",
                        "score_reasons": {
                            "score": score,
                            "high_intent": high,
                            "factors": [r.as_dict() for r in reasons],
                        },
                        "created_at": ws.stamp,
                        "updated_at": ws.stamp,
                    },
                    customer_id=None,
                    scope_owner=leads_of_team[0] if leads_of_team else None,
                    actor="system",
                    device=device,
                    op_id=None,
                )
                state: dict[str, Any] = {
                    "lead_id": lead_id,
                    "team_id": team_id,
                    "channel": channel,
                    "external_id": external_id,
                    "score": score,
                    "high_intent": high,
                    "status": "waiting",
                    "owner_id": None,
                    "created_at": now,
                }
                choice = assign(ws, rec, state, rules, now)
                if choice.user_id is None:
                    why = ", ".join(f"{s.user_id}: {s.reason}" for s in choice.skipped) or "-"
                    for lead_user in leads_of_team:
                        raise_alert(
                            ws,
                            kind="lead_unassigned",
                            owner=lead_user,
                            record_id=lead_id,
                            key=lead_id,
                            message=Msg(
                                f"线索「{clean['name']}」没有可分配的销售({why})",
                                f"No rep can take lead {clean['name']} ({why})",
                            ),
                        )
                # Written in the same round trip as the record (server.records flush).
                ws.insert_later(lead_state, [state])
                ws.flush()
                owner = ws.directory.members.get(str(rec.data.get("owner")))
                return {
                    "index": index,
                    "external_id": external_id,
                    "id": lead_id,
                    "outcome": "created",
                    "status": rec.data.get("status"),
                    "owner": owner.name if owner else None,
                    "score": score,
                    "response_due": rec.data.get("response_due"),
                }
        except IntegrityError:
            # Another process stored the same external id between our check and insert.
            if attempt:
                raise
    raise AssertionError("unreachable")


def count_outcomes(leads: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Counts of outcomes in a batch answer."""
    counts: dict[str, int] = {}
    for item in leads:
        counts[item["outcome"]] = counts.get(item["outcome"], 0) + 1
    return counts
