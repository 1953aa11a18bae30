"""Lead intake (SPEC L6, L1): channels post leads with their key; imports and the CLI use the same
path. Each lead is checked on its own and stored in its own transaction — record, score,
assignment and bookkeeping together or not at all — so one bad lead never blocks the rest and
nothing is half-stored. A lead whose ``(channel, external_id)`` was seen before is answered
with the stored lead and changes nothing.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.domain.leads import LeadRules, is_high_intent, parse_lead_rules, score_lead
from app.domain.messages import Msg
from app.domain.schema import LEAD_CHANNELS, validate_values
from server.db import lead_state, loads, records, write_tx
from server.leads.assignment import TeamSnapshot, assign
from server.leads.common import (
    lead_rules,
    lock_team,
    raise_alert,
    user_names,
)
from server.records import Directory, Rec, Workspace, derived_memo, iso

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


@dataclass
class _Job:
    """One checked lead waiting for its turn under the team lock."""

    index: int
    clean: dict[str, Any]
    facts: dict[str, Any]
    channel: str
    team_id: str
    now: float
    device: str
    rules: LeadRules = field(default_factory=lambda: parse_lead_rules(None))
    lead_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    values: dict[str, Any] = field(default_factory=dict)
    high: bool = False
    derived: Any = None
    result: dict[str, Any] | None = None
    error: BaseException | None = None
    leads: bool = False
    wake: threading.Event = field(default_factory=threading.Event)


def _prepare(job: _Job) -> None:
    """The lead's record values, score and search text: all the work that needs no lock."""
    rules = job.rules
    score, reasons = score_lead({**job.clean, **job.facts}, rules)
    job.high = is_high_intent(score, rules)
    stamp_now = iso(job.now)
    job.values = {
        **job.clean,
        "score": score,
        "status": "new",
        "score_reasons": {
            "score": score,
            "high_intent": job.high,
            "factors": [r.as_dict() for r in reasons],
        },
        "created_at": stamp_now,
        "updated_at": stamp_now,
    }
    job.derived = derived_memo("lead", job.values)


class _GroupAssigner:
    """Assignment by group commit, per team and per process.

    Every assignment of a team holds the team lock until its transaction commits, so the
    commit (a disk flush) and each round trip made under the lock are time every other intake
    of the team waits. Leads that arrive while a transaction is under way queue here; the next
    transaction takes all of them under one lock and one commit. Under a light load a batch is
    one lead; under a burst the batches grow and the lock is taken far less often. Each lead
    still gets its own dedupe check, record, assignment and state row, all committed together
    or not at all; the request that led a batch hands the lead of the next to a waiting one,
    so no request serves the queue for longer than its own batch.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._queues: dict[tuple[int, str], list[_Job]] = {}
        self._leading: set[tuple[int, str]] = set()

    def run(self, engine: Engine, job: _Job) -> dict[str, Any]:
        key = (id(engine), job.team_id)
        with self._mutex:
            queue = self._queues.setdefault(key, [])
            queue.append(job)
            if key not in self._leading:
                self._leading.add(key)
                job.leads = True
        if not job.leads:
            job.wake.wait()
        if job.leads:
            with self._mutex:
                batch = list(queue)
                queue.clear()
            try:
                _store_batch(engine, batch)
            except BaseException as exc:  # every lead of the batch hears why
                for j in batch:
                    j.error = exc
            finally:
                with self._mutex:
                    if queue:
                        queue[0].leads = True
                        queue[0].wake.set()
                    else:
                        self._leading.discard(key)
                        self._queues.pop(key, None)
                for j in batch:
                    if j is not job:
                        j.wake.set()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result


_ASSIGNER = _GroupAssigner()


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
    job = _Job(index, clean, facts, channel, team_id, now, device)
    with engine.connect() as conn:
        job.rules = lead_rules(conn)
    _prepare(job)
    return _ASSIGNER.run(engine, job)


def _store_batch(engine: Engine, batch: list[_Job]) -> None:
    """Store and assign a batch of leads of one team in one transaction under the team lock.

    Tried again when another process stored one of the external ids between our check and
    insert (the next attempt answers it as a duplicate), and when the database broke a deadlock
    or a lock wait by aborting this transaction (a scheduled job updating the same reps' rows).
    """
    attempts = 6
    for attempt in range(attempts):
        try:
            with write_tx(engine) as conn:
                _store_in(conn, batch)
            return
        except IntegrityError:
            # Each collision makes the colliding id known, so every attempt gets further; a
            # batch that two processes take at once can collide on several of its ids in turn.
            if attempt == attempts - 1:
                raise
        except DBAPIError as exc:
            if attempt == attempts - 1 or not _retryable(exc):
                raise
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))


def _retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40001", "40P01") or "database is locked" in str(exc.orig).lower()


def _store_in(conn: Connection, batch: list[_Job]) -> None:
    team_id = batch[0].team_id
    for job in batch:
        job.result = None  # a retried batch answers afresh
    channel_ids = [(j.channel, j.clean["external_id"]) for j in batch]
    known: dict[tuple[str, str], str] = {}
    for channel in sorted({c for c, _ in channel_ids}):
        ext = sorted({e for c, e in channel_ids if c == channel})
        rows = conn.execute(
            select(lead_state.c.external_id, lead_state.c.lead_id).where(
                lead_state.c.channel == channel, lead_state.c.external_id.in_(ext)
            )
        )
        known.update({(channel, str(r.external_id)): str(r.lead_id) for r in rows})
    directory = Directory.load(conn)
    leads_of_team = sorted(
        m.id
        for m in directory.members.values()
        if m.role == "lead" and m.team_id == team_id and m.active
    )
    fresh = [j for j in batch if (j.channel, j.clean["external_id"]) not in known]
    team: TeamSnapshot | None = None
    if fresh:
        lock_team(conn, team_id)
        team = TeamSnapshot.read(conn, team_id, max(j.now for j in fresh), fresh[0].rules)
    before = {r.user_id: r.credit for r in team.reps} if team else {}
    # One workspace, so the batch is written in one round trip; each lead keeps its own times.
    ws = Workspace(conn, max(j.now for j in batch), directory)
    in_batch: dict[tuple[str, str], _Job] = {}
    created: list[tuple[_Job, Rec]] = []
    for job in batch:
        key = (job.channel, job.clean["external_id"])
        if key in known:
            job.result = _outcome(conn, job.index, known[key], "duplicate")
            continue
        if key in in_batch:
            continue  # answered once the first copy is stored
        in_batch[key] = job
        ws.now = job.now
        rec = ws.create(
            "lead",
            job.lead_id,
            dict(job.values),
            customer_id=None,
            scope_owner=leads_of_team[0] if leads_of_team else None,
            actor="system",
            device=job.device,
            op_id=None,
        )
        rec.derived_memo = job.derived
        state: dict[str, Any] = {
            "lead_id": job.lead_id,
            "team_id": team_id,
            "channel": job.channel,
            "external_id": job.clean["external_id"],
            "score": job.values["score"],
            "high_intent": job.high,
            "status": "waiting",
            "owner_id": None,
            "created_at": job.now,
        }
        choice = assign(ws, rec, state, job.rules, job.now, team=team)
        if choice.user_id is None:
            name = job.clean["name"]
            why = ", ".join(f"{s.user_id}: {s.reason}" for s in choice.skipped) or "-"
            for lead_user in leads_of_team:
                raise_alert(
                    ws,
                    kind="lead_unassigned",
                    owner=lead_user,
                    record_id=job.lead_id,
                    key=job.lead_id,
                    message=Msg(
                        f"线索「{name}」没有可分配的销售({why})",
                        f"No rep can take lead {name} ({why})",
                    ),
                )
        # Written in the same round trip as the records (server.records flush).
        ws.insert_later(lead_state, [state])
        created.append((job, rec))
    if team is not None:
        team.write(conn, before)
    ws.flush()
    for job, rec in created:
        owner = directory.members.get(str(rec.data.get("owner")))
        job.result = {
            "index": job.index,
            "external_id": job.clean["external_id"],
            "id": job.lead_id,
            "outcome": "created",
            "status": rec.data.get("status"),
            "owner": owner.name if owner else None,
            "score": job.values["score"],
            "response_due": rec.data.get("response_due"),
        }
    for job in batch:
        if job.result is None:
            first = in_batch[(job.channel, job.clean["external_id"])]
            assert first.result is not None
            job.result = {**first.result, "index": job.index, "outcome": "duplicate"}


def count_outcomes(leads: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Counts of outcomes in a batch answer."""
    counts: dict[str, int] = {}
    for item in leads:
        counts[item["outcome"]] = counts.get(item["outcome"], 0) + 1
    return counts
