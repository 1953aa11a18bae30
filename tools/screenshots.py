"""Render every main screen in Chinese and English to PNG files.

    python -m tools.screenshots OUTDIR [--lang zh,en] [--size 1366x768]

A fresh demo profile (the "small" set) gets a few extra facts so every screen has something to
show: an approval request, a stagnation alert, a conflict, leads (some missed, with the
escalations a team lead works through), a business-card image and the last quarters' forecast
snapshots.
Everything runs synchronously on a fixed clock, so the pictures are the same every time.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from app.demo import DEMO_USERS, generate
from app.demo.local import load_into
from app.domain.reports import past_snapshots
from app.store import queries
from app.store.cockpit import load_team
from app.store.service import Store
from app.sync.forecasts import keep_snapshots

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from app.views.context import AppContext
    from app.views.merge_dialog import MergeDialog

DEMO_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LEAD = DEMO_USERS[0]["id"]
REP = DEMO_USERS[1]["id"]
CSM = "00000000-0000-4000-8000-0000000000c5"


def fixed_clock() -> datetime:
    return DEMO_NOW


def business_card(path: Path) -> Path:
    """A small business-card picture (drawn with Qt), to show a thumbnail."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    image = QImage(540, 320, QImage.Format.Format_RGB32)
    image.fill(QColor("#fdfdfd"))
    painter = QPainter(image)
    painter.fillRect(QRect(0, 0, 540, 40), QColor("#1565c0"))
    font = QFont()
    font.setPointSize(26)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#212121"))
    painter.drawText(QRect(30, 70, 480, 60), Qt.AlignmentFlag.AlignLeft, "陈思远")
    font.setPointSize(13)
    font.setBold(False)
    painter.setFont(font)
    lines = ["采购经理 · 轻鹿家居有限公司", "手机 138 1234 5678", "chen.sy@qinglu.cn"]
    for i, line in enumerate(lines):
        painter.drawText(QRect(30, 150 + i * 36, 480, 30), Qt.AlignmentFlag.AlignLeft, line)
    painter.end()
    image.save(str(path))
    return path


def past_accuracy(store: Store) -> None:
    """The snapshots the server keeps of the last four quarters, as its demo data has them,
    so the cockpit's accuracy history has something to show."""
    team = load_team(store, history=True)
    keep_snapshots(
        store,
        [
            {
                "id": f"{rep}:{period}:{kind}",
                "team_id": DEMO_USERS[0]["team_id"],
                "rep_id": rep,
                "period": period,
                "kind": kind,
                "taken_at": DEMO_NOW.isoformat(),
                "figures": figures,
            }
            for rep, period, kind, figures in past_snapshots(team, store.rules, DEMO_NOW.date())
        ],
    )


def demo_profile(root: Path) -> tuple[Path, dict[str, str]]:
    """A small demo profile plus the extra facts; returns it and the ids worth showing."""
    profile = root / "profile"
    store = Store(profile, actor=REP, clock=fixed_clock)
    load_into(store, generate("small", 7))
    ids: dict[str, str] = {}
    deals = store.query(queries.owned_deals, REP)
    # A deal in Needs diagnosis with locks missing: the deal page's main case.
    for d in deals:
        if d["stage"] == "needs_diagnosis" and store.deals.checklist(d["id"]).missing:
            ids["deal"] = d["id"]
            ids["customer"] = d["customer_id"]
            break
    # A proposal deal whose locks are met asks the lead for approval (P4).
    for d in deals:
        if d["stage"] == "proposal" and not store.deals.checklist(d["id"]).missing:
            store.deals.move(d["id"], "negotiation", "客户已确认方案,进入商务谈判")
            ids["approval_deal"] = d["id"]
            break
    store.alerts.refresh_stagnation()
    cid = ids["customer"]
    card = business_card(root / "名片-陈思远.png")
    store.files.attach(card, "business_card", customer_id=cid, mime="image/png")
    store.update("customer", cid, {"industry": "家居制造"})
    store.conflicts.record(
        "customer",
        cid,
        "industry",
        "家居制造",
        "智能家居",
        other_author=LEAD,
        other_at=(DEMO_NOW - timedelta(hours=3)).isoformat(),
    )
    store.conflicts.record(
        "customer",
        cid,
        "phone",
        "0571-88889999",
        "0571-86661234",
        other_author=DEMO_USERS[2]["id"],
        other_at=(DEMO_NOW - timedelta(hours=26)).isoformat(),
    )
    ids["duplicate"] = add_duplicate(store, cid)
    past_accuracy(store)
    for i, (name, company, mobile, channel, score, minutes) in enumerate(
        [
            ("周晓东", "宁波博远包装有限公司", "13957412308", "douyin", 86, 9),
            ("林佳琪", "苏州瑞丰电子有限公司", "18662035517", "web_form", 72, 150),
            ("Mark Chen", "Suzhou Huarui Materials", "13913580246", "trade_show", 91, -12),
        ]
    ):
        store.create(
            "lead",
            {
                "name": name,
                "company": company,
                "mobile": mobile,
                "channel": channel,
                "score": score,
                "status": "assigned",
                "owner": REP,
                "assigned_at": (DEMO_NOW - timedelta(minutes=30 + i)).isoformat(),
                "response_due": (DEMO_NOW + timedelta(minutes=minutes)).isoformat(),
            },
        )
    _agenda_and_journeys(store)
    # Two spellings of one customer and a masked mobile: the duplicate list and the brief.
    name = store.require("customer", cid)["name"]
    twin = store.create(
        "customer", {"name": f"{name}(集团)".replace("有限公司", ""), "owner": DEMO_USERS[2]["id"]}
    )
    store.create("contact", {"customer_id": twin, "name": "陳思遠", "mobile": "139****2046"})
    # Leads of a second rep that went unanswered, and the alerts a team lead then works.
    other = DEMO_USERS[2]["id"]
    missed = []
    for i, (name, company, hours) in enumerate(
        [
            ("赵磊", "杭州云帆科技有限公司", 30),
            ("孙悦", "嘉兴华光照明有限公司", 20),
            ("钱程", "绍兴新越纺织有限公司", 8),
        ]
    ):
        assigned = DEMO_NOW - timedelta(hours=hours)
        missed.append(
            store.create(
                "lead",
                {
                    "name": name,
                    "company": company,
                    "channel": "web_form",
                    "score": 88 - i,
                    "status": "assigned",
                    "owner": other,
                    "assigned_at": assigned.isoformat(),
                    "response_due": (assigned + timedelta(minutes=15)).isoformat(),
                },
            )
        )
    raised = []
    for lead_id in missed[:2]:
        raised.append(
            store.create(
                "alert",
                {
                    "kind": "lead_response",
                    "record_id": lead_id,
                    "owner": LEAD,
                    "message_zh": "李娜 未按时响应线索",
                    "message_en": "李娜 did not answer a lead in time",
                },
            )
        )
    store.create(
        "alert",
        {
            "kind": "rep_flagged",
            "record_id": other,
            "owner": LEAD,
            "message_zh": "李娜 连续 3 次未按时响应线索",
            "message_en": "李娜 missed 3 lead deadlines in a row",
        },
    )
    # The server raised them at the deadlines (the store stamps its own clock).
    for i, alert_id in enumerate(raised):
        when = (DEMO_NOW - timedelta(hours=(30, 20)[i], minutes=-15)).isoformat()
        store.connection().execute(
            "UPDATE alerts SET created_at = ? WHERE id = ?", [when, alert_id]
        )
    store.close()
    return profile, ids


def _agenda_and_journeys(store: Store) -> None:
    """Tasks on the rep's agenda, and a success manager with the journeys the server would
    have started for the signed deals (as a sync brings them)."""
    from app.domain.tasks import journey_rules, plan_journey
    from app.store import todo
    from app.sync.local import RemoteRecord, apply_remote

    team = DEMO_USERS[0].get("team_id")
    store.directory.upsert_users(
        [{"id": CSM, "name": "chenjing", "display_name": "陈静", "role": "csm", "team_id": team}]
    )
    todo.set_user_zone(store, "Asia/Shanghai")
    due = list(
        store.connection().query(
            "SELECT f.id FROM followups f JOIN customers c ON c.id = f.customer_id "
            "WHERE c.owner = ? AND f.created_at = c.last_followup_at ORDER BY f.due_on LIMIT 3",
            (REP,),
        )
    )
    for f in due:
        todo.task_from_followup(store, f["id"])
    customers = [
        r["id"]
        for r in store.connection().query(
            "SELECT id FROM customers WHERE owner = ? ORDER BY name_sort LIMIT 4", (REP,)
        )
    ]
    for i, (title, hours) in enumerate(
        [
            ("电话确认合同条款", 2),
            ("寄送修订报价", 6),
            ("准备季度业务回顾", 26),
            ("回访安装进度", 75),
        ]
    ):
        todo.add_task(
            store,
            {
                "title": title,
                "due_at": (DEMO_NOW + timedelta(hours=hours)).isoformat(),
                "customer_id": customers[i % len(customers)],
                "priority": "high" if i == 0 else "medium",
            },
        )
    todo.add_task(
        store,
        {
            "title": "补充招标文件",
            "due_at": (DEMO_NOW - timedelta(days=2)).isoformat(),
            "customer_id": customers[0],
        },
    )
    jr = journey_rules(store.rules.raw)
    signed = list(
        store.connection().query(
            "SELECT d.*, c.name AS customer_name FROM deals d JOIN customers c "
            "ON c.id = d.customer_id WHERE d.stage = 'signed' ORDER BY d.signed_on DESC LIMIT 8"
        )
    )
    records = []
    for n, d in enumerate(signed):
        if n == 5:
            continue  # a journey that never started: the scan lists it
        for p in plan_journey(d["id"], d, jr):
            done = p.step.key == "welcome" and n % 2 == 0
            records.append(
                RemoteRecord(
                    "task",
                    p.task_id,
                    1,
                    False,
                    {
                        "title": p.step.title.zh,
                        "kind": p.step.kind,
                        "status": "done" if done else "open",
                        "priority": p.step.priority,
                        "owner": CSM,
                        "due_at": p.due_at,
                        "customer_id": d["customer_id"],
                        "deal_id": d["id"],
                        "related_name": d["customer_name"],
                        "step": p.step.key,
                        "anchor": p.anchor,
                    },
                )
            )
    apply_remote(store, records)


def add_duplicate(store: Store, customer_id: str) -> str:
    """A second record of the same company, typed by another rep: the merge screen's case."""
    row = store.require("customer", customer_id)
    name = str(row["name"])
    dup = store.create(
        "customer",
        {
            "name": name.replace("有限公司", "股份有限公司")
            if "有限公司" in name
            else name + "(总部)",
            "phone": "0571-86661234",
            "email": "purchase@qinglu-home.cn",
            "industry": "智能家居",
            "region": row.get("region"),
            "address": "杭州市余杭区文一西路 998 号",
            "owner": DEMO_USERS[2]["id"],
        },
    )
    store.create("contact", {"customer_id": dup, "name": "王海燕", "title": "采购经理"})
    store.create("deal", {"customer_id": dup, "title": "门店样板间二期", "amount": "86000"})
    return dup


def render_merge(window: QWidget, ctx: AppContext, ids: dict[str, str]) -> MergeDialog:
    """The merge screen over the demo customer and its duplicate, a field picked from each."""
    from app.views.merge_dialog import open_merge

    dialog = open_merge(ctx, "customer", [ids["customer"], ids["duplicate"]], window)
    dialog.resize(1040, 600)
    for name in ("email", "address"):
        button = dialog.field_groups[name].button(1) if name in dialog.field_groups else None
        if button is not None:
            button.setChecked(True)
    return dialog


Shot = tuple[str, Callable[[], object]]


def render(out: Path, langs: list[str], size: tuple[int, int] = (1360, 820)) -> list[Path]:
    """Write the PNGs for each language under ``out/<lang>/``; return their paths."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.views import i18n
    from app.views.account import AccountHooks, SignInDialog
    from app.views.application import DesktopApp, qt_app, wait_until_ready
    from app.views.errors import CrashDialog
    from app.views.followup_form import FollowUpForm
    from app.views.forms import RecordDialog
    from app.views.tasks import TaskRunner

    app = qt_app()
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="fieldcrm-shots-") as tmp:
        profile, ids = demo_profile(Path(tmp))

        def settle() -> None:
            for _ in range(3):
                app.processEvents()

        def save(widget: QWidget, name: str, lang: str) -> None:
            settle()
            target = out / lang / f"{name}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            widget.grab().save(str(target))
            written.append(target)

        for lang in langs:
            for actor, role_shots in ((REP, "rep"), (LEAD, "lead"), (CSM, "csm")):
                store = Store(profile, actor=actor, clock=fixed_clock)
                runner = TaskRunner(store, synchronous=True)
                i18n.install(app, lang)
                desktop = DesktopApp(
                    profile,
                    lang,
                    runner=runner,
                    account=AccountHooks(
                        sign_in=lambda _u, _n, _p: None,
                        preset_url="https://crm.qinglu.cn",
                        preset_user="zhangwei",
                    ),
                )
                window = wait_until_ready(desktop)
                window.resize(*size)
                if role_shots == "rep":
                    window.show_screen("customers")
                    save(window, "01-customers", lang)
                    window.customers.search.setText("鹿家")
                    save(window, "02-customers-search", lang)
                    window.customers.search.setText("王海燕")  # a contact: the list says so
                    save(window, "02b-customers-search-contact", lang)
                    window.customers.search.clear()
                    page = window.open_record("customer", ids["customer"])
                    save(window, "03-customer", lang)
                    page.tabs.setCurrentIndex(3)  # type: ignore[attr-defined]
                    save(window, "04-customer-attachments", lang)
                    page.tabs.setCurrentIndex(4)  # type: ignore[attr-defined]
                    save(window, "05-customer-history", lang)
                    window.open_record("deal", ids["deal"])
                    save(window, "06-deal-locks", lang)
                    window.show_screen("deals")
                    save(window, "07-pipeline-mine", lang)
                    window.show_screen("due")
                    save(window, "09-followups-due", lang)
                    window.show_screen("leads")
                    save(window, "10-leads", lang)
                    window.show_screen("agenda")
                    window.agenda.tabs.setCurrentIndex(2)
                    save(window, "18-agenda-week", lang)
                    window.agenda.tabs.setCurrentIndex(3)
                    save(window, "19-agenda-month", lang)
                    window.show_screen("conflicts")
                    save(window, "13-conflicts", lang)
                    window.show_screen("settings")
                    save(window, "14-settings", lang)
                    assert desktop.ctx is not None
                    form = FollowUpForm(
                        desktop.ctx, ids["customer"], customer_name="轻鹿家居", parent=window
                    )
                    form.show()
                    form.type.setCurrentIndex(form.type.findData("price_negotiation"))
                    form.conclusion.setPlainText("客户希望降价8%,我方提出分期付款方案")
                    form.next_action.setPlainText("发送修订报价")
                    form.save()
                    save(form, "15-followup-form", lang)
                    form.close()
                    suspects = RecordDialog(
                        desktop.ctx, "customer", ("name", "phone", "owner"), {}, "新建客户", window
                    )
                    suspects.resize(620, 420)
                    suspects.show()
                    # The demo customer typed again the other way round: 杭州X有限公司 as
                    # X(杭州)有限公司.
                    known = str(store.require("customer", ids["customer"])["name"])
                    retyped = f"{known[2:].removesuffix('有限公司')}({known[:2]})有限公司"
                    suspects.form.set_values({"name": retyped, "owner": REP})
                    suspects.check_duplicates()
                    save(suspects, "15b-new-customer-suspects", lang)
                    suspects.close()
                    dialog = SignInDialog(
                        desktop.ctx,
                        lambda _u, _n, _p: None,
                        url="https://crm.qinglu.cn",
                        user="zhangwei",
                        parent=window,
                    )
                    dialog.show()
                    save(dialog, "16-sign-in", lang)
                    dialog.close()
                    crash = CrashDialog(
                        'Traceback (most recent call last):\n  File "…", line 1\n'
                        "ZeroDivisionError: division by zero\n",
                        profile / "fieldcrm.log",
                        window,
                    )
                    crash.show()
                    save(crash, "17-crash-dialog", lang)
                    crash.close()
                elif role_shots == "lead":
                    window.show_screen("deals")
                    window.pipeline.owner.setCurrentIndex(window.pipeline.owner.findData(None))
                    save(window, "08-pipeline-team", lang)
                    window.pipeline.mode.setCurrentIndex(1)
                    save(window, "08b-pipeline-table", lang)
                    window.show_screen("approvals")
                    save(window, "11-approvals", lang)
                    window.show_screen("alerts")
                    save(window, "12-alerts", lang)
                    window.show_screen("renewals")
                    save(window, "20-renewals", lang)
                    window.show_screen("duplicates")
                    save(window, "23-duplicates", lang)
                    window.show_screen("health")
                    save(window, "24-data-health", lang)
                    assert desktop.ctx is not None
                    merge = render_merge(window, desktop.ctx, ids)
                    save(merge, "22-merge-customers", lang)
                    merge.close()
                    window.show_screen("leads")
                    leads = window.leads
                    if leads.dashboard is not None and leads.inbox is not None:
                        leads.tabs.setCurrentWidget(leads.dashboard)
                        save(window, "25-lead-dashboard", lang)
                        leads.tabs.setCurrentWidget(leads.inbox)
                        save(window, "26-alert-inbox", lang)
                    window.show_screen("cockpit")
                    for i, name in enumerate(("forecast", "heatmap", "pipeline", "charts")):
                        window.cockpit.tabs.setCurrentIndex(i)
                        if name == "heatmap":
                            window.cockpit.heatmap.setCurrentCell(3, 1)
                            window.cockpit.show_cell_deals(3, 1)
                        save(window, f"27-cockpit-{name}", lang)
                elif role_shots == "csm":
                    save(window, "21-success-start", lang)
                desktop.close()
                QApplication.processEvents()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", default="zh,en")
    parser.add_argument("--size", default="1360x820", help="window size, e.g. 1366x768")
    args = parser.parse_args()
    width, _, height = args.size.partition("x")
    for path in render(args.out, args.lang.split(","), (int(width), int(height))):
        print(path)


if __name__ == "__main__":
    main()
