"""Alerts the device raises for its user (``store.alerts``): deals stuck in a stage (P5) and
the verdicts on the user's approval requests; and resolving an alert."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

import sqlite_utils

from app.domain.messages import Msg
from app.domain.process import (
    STAGNATION_ALERT_NS,
    approval_outcome_message,
    is_stagnant,
    stagnation_alert_id,
)
from app.domain.rules import LOST
from app.store.part import StorePart

if TYPE_CHECKING:
    pass

# Verdicts older than this are not announced (a profile that syncs for the first time, or after
# an update, would otherwise raise an alert for every request its user ever made).
APPROVAL_ALERT_DAYS = 14


class DealPace(NamedTuple):
    """A deal with what decides whether it is stuck in its stage."""

    deal_id: str
    customer_id: str
    owner: str | None
    title: str
    stage: str
    stage_entered_at: str | None
    last_followup: str | None
    open_alert: str | None


def deal_paces(db: sqlite_utils.Database) -> list[DealPace]:
    """Every visible deal with its last follow-up and its open stagnation alert, if any."""
    rows = db.execute(
        """SELECT d.id, d.customer_id, d.owner, d.title, d.stage, d.stage_entered_at,
                  (SELECT max(f.created_at) FROM followups f
                    WHERE f.deal_id = d.id AND f._deleted = 0) AS last_followup,
                  (SELECT a.id FROM alerts a WHERE a.record_id = d.id AND a.kind = 'stagnation'
                    AND a.resolved_at IS NULL AND a._deleted = 0) AS open_alert
           FROM deals d WHERE d._deleted = 0"""
    ).fetchall()
    return [DealPace(*r) for r in rows]


class Alerts(StorePart):
    """The alert operations of one store."""

    def _exists(self, alert_id: str) -> bool:
        return bool(self._db.execute("SELECT 1 FROM alerts WHERE id = ?", (alert_id,)).fetchone())

    def refresh_stagnation(self) -> tuple[int, int]:
        """Raise an alert per open deal with no follow-up in its stage for the configured hours
        (P5) and resolve alerts whose deal moved on; return (raised, resolved).

        Only the deal owner's device does this (the team lead receives the alerts by sync), and
        an alert's id comes from the deal and the time it entered its stage, so two devices
        that both raise it still make one record.
        """
        s = self._store
        rules = s.rules
        now = s.clock()
        final = {rules.stage_keys[-1], LOST}
        known_user = s.actor in s.directory.names_by_id()
        raised = resolved = 0
        for d in deal_paces(self._db):
            if known_user and d.owner != s.actor:
                continue
            stuck = (
                d.stage not in final
                and d.stage_entered_at is not None
                and is_stagnant(
                    datetime.fromisoformat(d.stage_entered_at),
                    datetime.fromisoformat(d.last_followup) if d.last_followup else None,
                    now,
                    rules,
                )
            )
            if stuck and not d.open_alert:
                assert d.stage_entered_at is not None  # stuck implies it
                alert_id = stagnation_alert_id(d.deal_id, d.stage_entered_at)
                if self._exists(alert_id):
                    continue  # raised before (and perhaps resolved by its owner)
                label = rules.stage_label(d.stage)
                msg = Msg(
                    "商机「{t}」在{s}阶段已超过{h}小时没有跟进",
                    'Deal "{t}" has had no follow-up in {se} for over {h} hours',
                ).format(t=d.title, s=label.zh, se=label.en, h=rules.stagnation_hours)
                self._raise("stagnation", d.customer_id, d.deal_id, d.owner, msg, alert_id)
                raised += 1
            elif d.open_alert and not stuck:
                s.update_checked("alert", d.open_alert, {"resolved_at": now.isoformat()})
                resolved += 1
        return raised, resolved

    def refresh_approvals(self) -> int:
        """Tell the requester how the team lead decided: one alert per decided request of
        this user (the verdict arrives by sync). The alert's id comes from the request, so a
        request is announced once however often this runs or on how many devices."""
        s = self._store
        rows = self._db.execute(
            """SELECT a.id, a.deal_id, a.customer_id, a.to_stage, a.status, a.comment,
                      d.title, d.owner, coalesce(u.display_name, u.name, a.decided_by)
               FROM approvals a JOIN deals d ON d.id = a.deal_id
               LEFT JOIN users u ON u.id = a.decided_by
               WHERE a.requested_by = ? AND a.status IN ('approved', 'rejected')
                 AND a.decided_at >= ? AND a._deleted = 0 AND d._deleted = 0""",
            (s.actor, (s.clock() - timedelta(days=APPROVAL_ALERT_DAYS)).isoformat()),
        ).fetchall()
        raised = 0
        for appr_id, deal_id, customer_id, to_stage, status, comment, title, owner, who in rows:
            alert_id = str(uuid.uuid5(STAGNATION_ALERT_NS, f"approval:{appr_id}"))
            if self._exists(alert_id):
                continue
            msg = approval_outcome_message(
                title, s.rules.stage_label(to_stage), status == "approved", who, comment
            )
            self._raise("approval", customer_id, deal_id, owner or s.actor, msg, alert_id)
            raised += 1
        return raised

    def _raise(
        self,
        kind: str,
        customer_id: str,
        deal_id: str,
        owner: str | None,
        msg: Msg,
        alert_id: str,
    ) -> None:
        self._store.create_checked(
            "alert",
            {
                "kind": kind,
                "customer_id": customer_id,
                "record_id": deal_id,
                "owner": owner,
                "message_zh": msg.zh,
                "message_en": msg.en,
            },
            alert_id,
        )

    def resolve(self, alert_id: str) -> None:
        """The user has dealt with an alert: it leaves the open list on every device."""
        s = self._store
        alert = s.require("alert", alert_id)
        if alert.get("resolved_at") is None:
            s.update_checked("alert", alert_id, {"resolved_at": s.clock().isoformat()})
