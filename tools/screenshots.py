"""Render every main screen in Chinese and English to PNG files.

    python -m tools.screenshots OUTDIR [--lang zh,en] [--size 1366x768]

A fresh demo profile (the "small" set) gets a few extra facts so every screen has something to
show: an approval request, a stagnation alert, a conflict, leads and a business-card image.
Everything runs synchronously on a fixed clock, so the pictures are the same every time.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.demo import DEMO_USERS, generate
from app.demo.local import load_into
from app.store import queries
from app.store.service import Store

DEMO_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LEAD = DEMO_USERS[0]["id"]
REP = DEMO_USERS[1]["id"]


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
    store.close()
    return profile, ids


Shot = tuple[str, Callable[[], object]]


def render(out: Path, langs: list[str], size: tuple[int, int] = (1360, 820)) -> list[Path]:
    """Write the PNGs for each language under ``out/<lang>/``; return their paths."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QWidget

    from app.views import i18n
    from app.views.account import AccountHooks, SignInDialog
    from app.views.application import DesktopApp, qt_app, wait_until_ready
    from app.views.errors import CrashDialog
    from app.views.followup_form import FollowUpForm
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
            for actor, role_shots in ((REP, "rep"), (LEAD, "lead")):
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
                else:
                    window.show_screen("deals")
                    window.pipeline.owner.setCurrentIndex(window.pipeline.owner.findData(None))
                    save(window, "08-pipeline-team", lang)
                    window.pipeline.mode.setCurrentIndex(1)
                    save(window, "08b-pipeline-table", lang)
                    window.show_screen("approvals")
                    save(window, "11-approvals", lang)
                    window.show_screen("alerts")
                    save(window, "12-alerts", lang)
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
