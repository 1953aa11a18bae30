"""The daily data-health brief of each team (SPEC C3), a scheduled job.

Once a day (the ``health_brief`` row of ``jobs``) each team's records are read, the brief is
built with the desktop's own function (:func:`app.domain.health.build_brief`) and its summary
goes to every lead of the team as an alert; the lead's desktop shows the full brief from the
same data. The alert's id comes from the team and the day, so the job never tells a lead twice
about one day, however many server processes tick.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from app.domain.health import Brief, build_brief
from server.admin import current_rules
from server.db import fields_of, records, teams
from server.duplicates import load_team
from server.leads.common import raise_alert
from server.records import Directory, Workspace

ALERT_KIND = "health_brief"


def team_brief(conn: Connection, directory: Directory, team_id: str, now: float) -> Brief:
    """The brief of one team's data as of ``now``."""
    members = sorted(m.id for m in directory.members.values() if m.team_id == team_id)
    rows: dict[str, list[dict[str, Any]]] = {"customer": [], "contact": [], "lead": [], "deal": []}
    for r in conn.execute(
        select(records.c.id, records.c.entity, records.c.data).where(
            records.c.entity.in_(tuple(rows)),
            records.c.deleted.is_(False),
            records.c.scope_owner.in_(members),
        )
    ):
        fields = fields_of(r.data, r.id)
        if fields is None:
            continue
        data = dict(fields)
        data["id"] = r.id
        rows[r.entity].append(data)
    last: dict[str, str] = {}
    ids = [d["id"] for d in rows["deal"]]
    for i in range(0, len(ids), 500):
        for row in conn.execute(
            select(records.c.deal_id, func.max(records.c.created_at))
            .where(records.c.entity == "followup", records.c.deal_id.in_(ids[i : i + 500]))
            .group_by(records.c.deal_id)
        ):
            last[str(row[0])] = datetime.fromtimestamp(float(row[1]), UTC).isoformat()
    book = load_team(conn, directory, team_id)
    names = {m.id: m.name for m in directory.members.values()}
    return build_brief(
        now=datetime.fromtimestamp(now, UTC),
        rules=current_rules(conn),
        users=names,
        customers=rows["customer"],
        contacts=rows["contact"],
        leads=rows["lead"],
        deals=rows["deal"],
        last_followups=last,
        customer_groups=book.customers.groups(book.contacts),
        contact_groups=book.contacts.groups(),
    )


def run_health_briefs(conn: Connection, now: float) -> int:
    """Send each team's leads the day's brief; returns how many alerts were raised."""
    directory = Directory.load(conn)
    day = datetime.fromtimestamp(now, UTC).date().isoformat()
    raised = 0
    ws = Workspace(conn, now, directory)
    for (team_id,) in conn.execute(select(teams.c.id).order_by(teams.c.id)):
        leads = sorted(
            m.id
            for m in directory.members.values()
            if m.team_id == team_id and m.role == "lead" and m.active
        )
        if not leads:
            continue
        brief = team_brief(conn, directory, str(team_id), now)
        for lead in leads:
            if raise_alert(
                ws,
                kind=ALERT_KIND,
                owner=lead,
                record_id=str(team_id),
                key=f"{team_id}:{day}",
                message=brief.summary(),
            ):
                raised += 1
    ws.flush()
    return raised
