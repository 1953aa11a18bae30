"""The team lead's reports over the local store (SPEC T3–T5): the synced deals read once into
:class:`app.domain.forecast.DealRow` values, then the shared pure functions compute the figures
the server computes from its own records (``server/reports``).

Each report is a JSON-ready dict (shapes in the README, "Reports"); :func:`report_sheets` turns
one into the tables an export writes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from app.domain.bulk import without_cycle_collector
from app.domain.forecast import STALL_BUCKETS, deal_row, forecast_rules
from app.domain.messages import Msg
from app.domain.process import done_tasks
from app.domain.reports import (
    TeamData,
    accuracy,
    current_period,
    forecast_report,
    heatmap_report,
    pipeline_report,
)
from app.domain.rules import ProcessRules
from app.store.service import Store
from app.store.sheets import Sheet

REPORTS = ("forecast", "pipeline", "heatmap")
_JSON_FIELDS = ("pain_points", "decision_chain", "checklist", "evidence", "stage_history")
_DEAL_COLUMNS = (
    "id",
    "owner",
    "stage",
    "amount",
    "commit_amount",
    "title",
    "customer_id",
    "expected_close",
    "signed_on",
    "created_at",
    "stage_entered_at",
    "lost_reason",
    "lost_from",
    "primary_contact_id",
    *_JSON_FIELDS,
)


def _loads(text: Any) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def load_team(store: Store, *, full: bool = True, history: bool = False) -> TeamData:
    """Every visible deal of the store, with its attachment kinds and last follow-up.

    ``full=False`` reads only what the forecast needs (no checklist, pain points, stage
    history or follow-ups; attachments only when a milestone is proved by one): the cockpit's
    first tab shows sooner, and the rest is read when another tab asks for it. With
    ``history`` as well, the stage history and last follow-ups are read too: what the
    pipeline needs beyond the forecast (still no checklist, pain points or tasks)."""
    # Tens of thousands of small objects, none in a cycle: without the cycle collector their
    # number does not set off full collections of the whole heap while they are made.
    with without_cycle_collector():
        return _load_team(store, full, history or full)


_LITE_SKIPPED = ("pain_points", "checklist", "stage_history", "primary_contact_id")
_HISTORY_SKIPPED = ("pain_points", "checklist", "primary_contact_id")


def _load_team(store: Store, full: bool, history: bool) -> TeamData:
    db = store.connection()
    kinds: dict[str, set[str]] = defaultdict(set)
    need_kinds = full or any(m.attachment for m in forecast_rules(store.rules).milestones)
    if need_kinds:
        for deal_id, kind in db.execute(
            "SELECT DISTINCT deal_id, kind FROM attachments "
            "WHERE deal_id IS NOT NULL AND _deleted = 0"
        ):
            kinds[deal_id].add(kind)
    # Done tasks, for the heatmap's ``task_done`` locks.
    tasks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if full:
        for deal_id, kind, step, status in db.execute(
            "SELECT deal_id, kind, step, status FROM tasks "
            "WHERE deal_id IS NOT NULL AND status = 'done' AND _deleted = 0"
        ):
            tasks[deal_id].append({"kind": kind, "step": step, "status": status})
    # Follow-ups are append-only (never deleted), so the (deal_id, created_at) index answers
    # this alone, without reading half a million rows.
    last: dict[str, str] = {}
    if history:
        # One seek per deal into the (deal_id, created_at) index for its latest entry, rather
        # than a walk over every follow-up's entry (twenty per deal on a team's laptop).
        last = {
            deal_id: at
            for deal_id, at in db.execute(
                "SELECT id, (SELECT max(f.created_at) FROM followups f WHERE f.deal_id = d.id) "
                "FROM deals d WHERE _deleted = 0"
            )
            if at is not None
        }
    deals = []
    skipped = () if full else _HISTORY_SKIPPED if history else _LITE_SKIPPED
    columns = [c for c in _DEAL_COLUMNS if c not in skipped]
    json_names = [c for c in columns if c in _JSON_FIELDS]
    # orjson: the JSON columns of every deal are most of the time this takes.
    loads = orjson.loads
    for row in db.execute(f"SELECT {', '.join(columns)} FROM deals WHERE _deleted = 0"):
        data = dict(zip(columns, row, strict=True))
        for name in json_names:
            text = data[name]
            if text:
                try:
                    data[name] = loads(text)
                except ValueError:
                    data[name] = None
        deals.append(
            deal_row(
                data,
                attachment_kinds=kinds.get(data["id"], ()),
                last_followup_at=last.get(data["id"]),
                done_tasks=done_tasks(tasks.get(data["id"], ())),
            )
        )
    reps, names, display = _team_users(store)
    return TeamData(deals, reps, names, display)


def team_without_deals(store: Store) -> TeamData:
    """The team's reps and their names, no deals (when the reports shown are kept ones)."""
    return TeamData([], *_team_users(store))


def _team_users(store: Store) -> tuple[list[str], dict[str, str], dict[str, str]]:
    db = store.connection()
    names: dict[str, str] = {}
    display: dict[str, str] = {}
    reps: list[str] = []
    me = db.execute(
        "SELECT role, team_id FROM users WHERE id = ?", (store.meta("user_id") or "",)
    ).fetchone()
    # A lead's reports cover their team's reps; an admin's (or a rep's own) every rep known.
    team_id = me[1] if me and me[0] == "lead" else None
    for uid, name, shown, role, team in db.execute(
        "SELECT id, name, coalesce(display_name, name), role, team_id FROM users "
        "WHERE active = 1 ORDER BY name"
    ):
        names[uid], display[uid] = name, shown
        if role == "rep" and (team_id is None or team == team_id):
            reps.append(uid)
    return reps, names, display


def snapshots(store: Store) -> list[dict[str, Any]]:
    """The forecast snapshots pulled from the server (app.sync.forecasts)."""
    return [
        {
            "rep_id": r[0],
            "period": r[1],
            "kind": r[2],
            "taken_at": r[3],
            "figures": _loads(r[4]) or {},
        }
        for r in store.connection().execute(
            "SELECT rep_id, period, kind, taken_at, figures FROM forecast_snapshots "
            "ORDER BY period, rep_id, kind"
        )
    ]


def build(
    store: Store, kind: str, period: str | None, *, now: datetime | None = None
) -> dict[str, Any]:
    """One report over the store's data (``kind`` one of :data:`REPORTS`)."""
    team = load_team(store)
    rules = store.rules
    if kind == "forecast":
        return forecast_report(team, rules, period or current_period(now), snapshots(store))
    if kind == "pipeline":
        return pipeline_report(team, rules, period, now)
    if kind == "heatmap":
        return heatmap_report(team, rules)
    raise ValueError(kind)


def deal_briefs(store: Store, ids: list[str]) -> list[dict[str, Any]]:
    """Title, customer, owner, stage and amount of some deals (the heatmap's click list)."""
    out: list[dict[str, Any]] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        out += [
            dict(zip(("id", "title", "customer", "owner", "stage", "amount"), r, strict=True))
            for r in store.connection().execute(
                "SELECT d.id, d.title, c.name, coalesce(u.display_name, u.name, d.owner), "
                "d.stage, d.amount FROM deals d LEFT JOIN customers c ON c.id = d.customer_id "
                f"LEFT JOIN users u ON u.id = d.owner WHERE d.id IN ({marks}) ORDER BY d.title",
                chunk,
            )
        ]
    return out


# ---- tables for export -------------------------------------------------------------------------

_T = {
    "rep": Msg("销售", "Rep"),
    "commit": Msg("承诺金额", "Commit"),
    "weighted": Msg("证据加权", "Evidence-weighted"),
    "best_case": Msg("最佳情况", "Best case"),
    "won": Msg("已赢单", "Won"),
    "gap": Msg("承诺与证据差额", "Commit − evidence"),
    "flag": Msg("差额过大", "Large gap"),
    "open": Msg("在途商机", "Open deals"),
    "no_evidence": Msg("无证据商机", "Without evidence"),
    "chain": Msg("决策链覆盖", "Decision chain"),
    "team": Msg("团队合计", "Team"),
    "stage": Msg("阶段", "Stage"),
    "lock": Msg("缺少事项", "Missing item"),
    "deals": Msg("商机数", "Deals"),
    "missing": Msg("缺少数", "Missing"),
    "share": Msg("缺少比例", "Share missing"),
    "from": Msg("从", "From"),
    "to": Msg("到", "To"),
    "entered": Msg("进入", "Entered"),
    "moved": Msg("推进", "Moved on"),
    "rate": Msg("转化率", "Rate"),
    "median": Msg("中位天数", "Median days"),
    "p90": Msg("P90 天数", "P90 days"),
    "period": Msg("期间", "Period"),
    "win_rate": Msg("赢单率", "Win rate"),
    "lost": Msg("输单", "Lost"),
    "reason": Msg("输单原因", "Loss reason"),
    "count": Msg("数量", "Count"),
    "days": Msg("停滞天数", "Days stalled"),
    "deal": Msg("商机", "Deal"),
    "amount": Msg("金额", "Amount"),
    "yes": Msg("是", "yes"),
    "forecast_title": Msg("预测", "Forecast"),
    "heatmap_title": Msg("阶段卡点", "Blockages"),
    "conversion_title": Msg("阶段转化", "Conversion"),
    "time_title": Msg("阶段停留", "Time in stage"),
    "win_title": Msg("赢单率", "Win rate"),
    "stalled_title": Msg("停滞商机", "Stalled deals"),
    "loss_title": Msg("输单原因", "Loss reasons"),
    "value_title": Msg("在途金额", "Pipeline value"),
    "accuracy_title": Msg("预测准确度", "Forecast accuracy"),
    "error": Msg("承诺误差", "Commit error"),
}


def label(key: str, lang: str) -> str:
    """A report heading in ``lang``."""
    return _T[key].text(lang)


def report_sheets(
    kind: str, data: Mapping[str, Any], rules: ProcessRules, lang: str
) -> list[Sheet]:
    """The tables of one report as exported (numbers stay numbers)."""

    def t(key: str) -> str:
        return label(key, lang)

    def stage(key: str) -> str:
        known = key in (*rules.stage_keys, "lost")
        return rules.stage_label(key).text(lang) if known else key

    if kind == "forecast":
        heads = [
            t(k)
            for k in (
                "rep",
                "commit",
                "weighted",
                "best_case",
                "won",
                "gap",
                "flag",
                "open",
                "no_evidence",
                "chain",
            )
        ]

        def line(name: str, f: Mapping[str, Any]) -> list[Any]:
            return [
                name,
                f["commit"],
                f["weighted"],
                f["best_case"],
                f["won"],
                f["gap"],
                t("yes") if f["gap_flag"] else "",
                f["open_deals"],
                f["no_evidence"],
                f["chain_coverage"],
            ]

        rows = [line(r.get("name") or r["rep"], r) for r in data["reps"]]
        rows.append(line(t("team"), data["team"]))
        sheets = [Sheet(f"{t('forecast_title')} {data['period']}", heads, rows)]
        if data.get("accuracy"):
            periods = [p["period"] for p in data["accuracy"][0]["periods"]]
            heads = [
                t("rep"),
                *(f"{p} {t('commit')}" for p in periods),
                *(f"{p} {t('won')}" for p in periods),
                t("error"),
            ]
            acc_rows = [
                [
                    a["name"],
                    *(p["commit"] for p in a["periods"]),
                    *(p["won"] for p in a["periods"]),
                    a["mean_commit_error"],
                ]
                for a in data["accuracy"]
            ]
            sheets.append(Sheet(t("accuracy_title"), heads, acc_rows))
        return sheets
    if kind == "heatmap":
        heads = [t(k) for k in ("stage", "lock", "deals", "missing", "share")]
        rows = [
            [
                stage(c["stage"]),
                Msg(**c["lock_label"]).text(lang),
                c["deals"],
                c["missing"],
                c["share"],
            ]
            for c in data["cells"]
        ]
        return [Sheet(t("heatmap_title"), heads, rows)]
    if kind == "pipeline":
        conv = Sheet(
            t("conversion_title"),
            [t(k) for k in ("from", "to", "entered", "moved", "rate")],
            [
                [stage(c["from"]), stage(c["to"]), c["entered"], c["moved_on"], c["rate"]]
                for c in data["conversion"]
            ],
        )
        tis = Sheet(
            t("time_title"),
            [t(k) for k in ("stage", "deals", "median", "p90")],
            [
                [stage(s), v["deals"], v["median_days"], v["p90_days"]]
                for s, v in data["time_in_stage"].items()
            ],
        )
        win = Sheet(
            t("win_title"),
            [t(k) for k in ("period", "won", "lost", "win_rate")],
            [[p["period"], p["won"], p["lost"], p["rate"]] for p in data["win_rate_trend"]]
            + [
                [f"{t('rep')} {r}", v["won"], v["lost"], v["rate"]]
                for r, v in data["win_rate_by_rep"].items()
            ],
        )
        stalled = Sheet(
            t("stalled_title"),
            [t(k) for k in ("deal", "rep", "stage", "days", "amount")],
            [
                [s["title"], s["rep"], stage(s["stage"]), s["days"], s["amount"]]
                for s in data["stalled"]
            ],
        )
        losses = Sheet(
            t("loss_title"),
            [t(k) for k in ("stage", "reason", "count")],
            [
                [stage(s), rules.lost_reason_label(r).text(lang), n]
                for s, reasons in data["loss_reasons"].items()
                for r, n in reasons.items()
            ],
        )
        open_stages = [s for s in rules.stage_keys if rules.is_open(s)]
        value = Sheet(
            t("value_title"),
            [t("rep"), *(stage(s) for s in open_stages)],
            [[rep, *(v.get(s, 0.0) for s in open_stages)] for rep, v in data["value"].items()],
        )
        return [conv, tis, win, stalled, losses, value]
    raise ValueError(kind)


__all__ = [
    "REPORTS",
    "STALL_BUCKETS",
    "TeamData",
    "accuracy",
    "build",
    "current_period",
    "deal_briefs",
    "forecast_report",
    "heatmap_report",
    "label",
    "load_team",
    "pipeline_report",
    "report_sheets",
    "snapshots",
    "team_without_deals",
]
