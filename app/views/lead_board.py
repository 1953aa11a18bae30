"""A team lead's lead dashboard and alert inbox (SPEC L3, L4, P5), tabs of the Leads screen.

The dashboard lists each rep's open and overdue leads, misses in a row (flagged at the rules'
threshold), the share of high-intent leads over a chosen period and, from the server when
online, new hires' first-week leads against the team mean; it exports to Excel. The inbox
groups open alerts by rep or kind, sorts them by age or amount, says what happened since each
was raised, and dismisses or snoozes them. Everything runs through :mod:`app.store.lead_board`.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.lead_board import InboxItem, RepRow
from app.store import lead_board as lb
from app.store.sheets import write_sheet
from app.views.context import AppContext
from app.views.errors import known_message
from app.views.i18n import current
from app.views.widgets import ErrorLabel, fill_table, make_table, money, when

SORT_ROLE = Qt.ItemDataRole.UserRole


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _fraction(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


class LeadDashboard(QWidget):
    """Per rep: open leads, overdue, misses in a row with the flag, fairness; export."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("leadDashboard")
        self.dash: lb.Dashboard | None = None
        # Whether the new hires' figures shown came from the server.
        self.from_server = False
        self.period = QComboBox()
        self.period.setObjectName("dashPeriod")
        for days in lb.PERIODS:
            self.period.addItem(self.tr("Last %n day(s)", "", days), days)
        self.period.setCurrentIndex(lb.PERIODS.index(30))
        self.period.currentIndexChanged.connect(lambda _i: self.reload())
        self.export_button = QPushButton(self.tr("Export to Excel…"))
        self.export_button.setObjectName("dashExport")
        self.export_button.clicked.connect(self._ask_export)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Period")))
        bar.addWidget(self.period)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        self.table = make_table(self.headers())
        self.table.setObjectName("dashTable")
        self.note = QLabel()
        self.note.setObjectName("dashNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color:#616161;")
        self.problem = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.problem)
        ctx.runner.changed.connect(self._changed)

    def headers(self) -> list[str]:
        return [
            self.tr("Rep"),
            self.tr("Open"),
            self.tr("Overdue"),
            self.tr("Misses in a row"),
            self.tr("Flag"),
            self.tr("Leads"),
            self.tr("High intent"),
            self.tr("High-intent share"),
            self.tr("First-week leads"),
            self.tr("First week vs team mean"),
            self.tr("Below the bar"),
        ]

    def days(self) -> int:
        return int(self.period.currentData())

    def _changed(self, changes: list[Any]) -> None:
        if self.isVisible() and any(
            getattr(c, "entity", None) in ("lead", "alert", "sync") for c in changes
        ):
            self.reload()

    def reload(self) -> None:
        days = self.days()
        self.ctx.runner.read(lambda s: lb.dashboard(s, days), self._local, owner=self)

    def _local(self, dash: lb.Dashboard) -> None:
        self.from_server = False
        self.show_dashboard(dash)
        self.note.setText(self.tr("Asking the server for new hires' first week…"))
        sync = self.ctx.sync
        fetch = getattr(sync, "fairness", None)
        if not callable(fetch):
            self._no_server(None)
            return
        days = dash.days

        def merge(report: dict[str, Any]) -> None:
            self.ctx.runner.read(
                lambda s: lb.with_server_fairness(s, dash, report), self._merged, owner=self
            )

        self.ctx.runner.background(
            "network", lambda _p, _c: fetch(days), merge, on_error=self._no_server, owner=self
        )

    def _merged(self, dash: lb.Dashboard) -> None:
        self.from_server = True
        self.show_dashboard(dash)
        self.note.setText(
            self.tr(
                "New hires' first week from the server; flagged below %1 of the team mean."
            ).replace("%1", f"{dash.flag_below:.0%}")
        )

    def _no_server(self, _exc: BaseException | None) -> None:
        self.note.setText(
            self.tr(
                "Offline: new hires' first-week comparison needs the server "
                "(it knows when each rep joined)."
            )
        )

    def show_dashboard(self, dash: lb.Dashboard) -> None:
        self.dash = dash
        flag = self.tr("⚑ %n missed in a row", "", dash.misses_to_flag)
        rows: list[list[Any]] = []
        for r in dash.rows:
            rows.append(self._cells(r, dash, flag))
        fill_table(self.table, rows, [r.user_id for r in dash.rows])
        for i, r in enumerate(dash.rows):
            if r.flagged or r.first_week_flagged:
                for col in (4, 10):
                    item = self.table.item(i, col)
                    if item is not None and item.text():
                        item.setForeground(Qt.GlobalColor.red)

    def _cells(self, r: RepRow, dash: lb.Dashboard, flag: str) -> list[Any]:
        return [
            dash.names.get(r.user_id, r.user_id),
            r.open_leads,
            r.overdue,
            r.misses_in_row,
            flag if r.flagged else "",
            r.leads,
            r.high_intent,
            _fraction(r.share_high),
            "—" if r.first_week_leads is None else r.first_week_leads,
            _fraction(r.first_week_ratio),
            self.tr("Yes") if r.first_week_flagged else "",
        ]

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export the dashboard"), "leads-dashboard.xlsx", "Excel (*.xlsx)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write what the table shows to an .xlsx file (numbers stay numbers)."""
        if self.dash is None:
            return
        sheet = lb.dashboard_sheet(self.dash, self.headers())
        self.ctx.runner.background(
            "files",
            lambda _p, _c: write_sheet(path, sheet),
            lambda n: self.note.setText(self.tr("Exported %n rep(s).", "", int(n))),
            on_error=lambda exc: self.problem.show_message(known_message(exc) or str(exc)),
            owner=self,
        )


class AlertInbox(QWidget):
    """Open alerts a lead can work: grouped, sorted, dismissed, snoozed; what happened since."""

    open_record = Signal(str, str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("alertInbox")
        self.items: dict[str, InboxItem] = {}
        self.group = QComboBox()
        self.group.setObjectName("inboxGroup")
        self.group.addItem(self.tr("By rep"), "rep")
        self.group.addItem(self.tr("By kind"), "kind")
        self.sort = QComboBox()
        self.sort.setObjectName("inboxSort")
        self.sort.addItem(self.tr("Oldest first"), "days")
        self.sort.addItem(self.tr("Largest amount first"), "amount")
        self.snoozed = QCheckBox(self.tr("Show snoozed"))
        self.snoozed.setObjectName("inboxShowSnoozed")
        for box in (self.group, self.sort):
            box.currentIndexChanged.connect(lambda _i: self.reload())
        self.snoozed.toggled.connect(lambda _on: self.reload())
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.setObjectName("inboxOpen")
        self.open_button.clicked.connect(self._open)
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        self.dismiss_button.setObjectName("inboxDismiss")
        self.dismiss_button.setToolTip(self.tr("Take the alert off the list on every device"))
        self.dismiss_button.clicked.connect(self.dismiss)
        self.until = QDateEdit()
        self.until.setObjectName("inboxSnoozeUntil")
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("yyyy-MM-dd")
        self.snooze_button = QPushButton(self.tr("Snooze until"))
        self.snooze_button.setObjectName("inboxSnooze")
        self.snooze_button.setToolTip(self.tr("Hide the alert on this device until that day"))
        self.snooze_button.clicked.connect(self.snooze)
        bar = QHBoxLayout()
        bar.addWidget(self.group)
        bar.addWidget(self.sort)
        bar.addWidget(self.snoozed)
        bar.addStretch(1)
        bar.addWidget(self.open_button)
        bar.addWidget(self.dismiss_button)
        bar.addWidget(self.snooze_button)
        bar.addWidget(self.until)
        self.task_button = QPushButton(self.tr("Make a task for the rep"))
        self.task_button.setObjectName("inboxTask")
        self.task_button.setToolTip(self.tr("Put this on the rep's agenda as a task"))
        self.task_button.clicked.connect(self.make_task)
        bar.addWidget(self.task_button)
        self.tree = QTreeWidget()
        self.tree.setObjectName("inboxTree")
        self.tree.setHeaderLabels(
            [
                self.tr("Alert"),
                self.tr("Rep"),
                self.tr("Amount"),
                self.tr("Days"),
                self.tr("Since then"),
                self.tr("Message"),
            ]
        )
        self.tree.setRootIsDecorated(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemDoubleClicked.connect(lambda _i, _c: self._open())
        self.tree.setColumnWidth(0, 190)
        self.tree.setColumnWidth(1, 90)
        self.tree.setColumnWidth(2, 100)
        self.tree.setColumnWidth(3, 50)
        self.tree.setColumnWidth(4, 190)
        self.empty = QLabel(self.tr("Nothing needs attention."))
        self.empty.setStyleSheet("color:#757575; padding:8px;")
        self.problem = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.problem)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        ctx.runner.changed.connect(self._changed)

    def kind_name(self, kind: str) -> str:
        return {
            "stagnation": self.tr("Stagnating deal"),
            "lead_response": self.tr("Lead not answered"),
            "lead_unassigned": self.tr("Lead without a rep"),
            "rep_flagged": self.tr("Rep flagged"),
            "pool_claim_lost": self.tr("Pool claim lost"),
            "journey": self.tr("Customer journey"),
            "approval": self.tr("Approval decided"),
            "unreadable": self.tr("Record could not be read"),
            "health_brief": self.tr("Data-health brief"),
            "duplicate": self.tr("Possible duplicate"),
        }.get(kind, kind)

    def _changed(self, changes: list[Any]) -> None:
        if self.isVisible() and any(
            getattr(c, "entity", None) in ("lead", "alert", "deal", "sync") for c in changes
        ):
            self.reload()

    def reload(self) -> None:
        self.until.setMinimumDate(_qdate(self.ctx.today() + timedelta(days=1)))
        if self.until.date() <= self.until.minimumDate():
            self.until.setDate(_qdate(self.ctx.today() + timedelta(days=7)))
        sort, group, snoozed = (
            str(self.sort.currentData()),
            str(self.group.currentData()),
            self.snoozed.isChecked(),
        )
        self.ctx.runner.read(
            lambda s: lb.alert_inbox(s, sort=sort, group=group, show_snoozed=snoozed),
            self.show_groups,
            owner=self,
        )

    def show_groups(self, groups: list[tuple[str | None, list[InboxItem]]]) -> None:
        chosen = self.selected_id()
        self.tree.clear()
        self.items = {}
        zh = current() == "zh"
        by_rep = self.group.currentData() == "rep"
        for key, items in groups:
            if by_rep:
                title = self.ctx.user_name(key) if key else self.tr("(no rep)")
            else:
                title = self.kind_name(str(key))
            top = QTreeWidgetItem([f"{title} ({len(items)})"])
            top.setFirstColumnSpanned(False)
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
            for item in items:
                self.items[item.id] = item
                since = "; ".join(m.zh if zh else m.en for m in item.since)
                if item.snoozed_until:
                    since = (since + "; " if since else "") + self.tr("snoozed until %1").replace(
                        "%1", item.snoozed_until
                    )
                child = QTreeWidgetItem(
                    [
                        self.kind_name(item.kind) if by_rep else when(item.created_at),
                        self.ctx.user_name(item.rep) if item.rep else "—",
                        money(item.amount) if item.amount is not None else "",
                        f"{item.days:.0f}",
                        since or self.tr("Nothing yet"),
                        item.message.zh if zh else item.message.en,
                    ]
                )
                child.setData(0, SORT_ROLE, item.id)
                child.setToolTip(5, item.message.zh if zh else item.message.en)
                top.addChild(child)
                if item.id == chosen:
                    self.tree.setCurrentItem(child)
            top.setExpanded(True)
        self.empty.setVisible(not self.items)
        self.tree.setVisible(bool(self.items))

    def selected_id(self) -> str | None:
        item = self.tree.currentItem()
        value = item.data(0, SORT_ROLE) if item is not None else None
        return str(value) if value else None

    def dismiss(self) -> None:
        alert_id = self.selected_id()
        if alert_id is None:
            return
        self.ctx.runner.write(
            lambda s: lb.dismiss_alert(s, alert_id), lambda _r: self.reload(), owner=self
        )

    def snooze(self) -> None:
        alert_id = self.selected_id()
        if alert_id is None:
            return
        picked = self.until.date()
        until = date(picked.year(), picked.month(), picked.day())
        self.problem.show_message(None)
        self.ctx.runner.write(
            lambda s: lb.snooze_alert(s, alert_id, until),
            lambda _r: self.reload(),
            on_error=self._failed,
            owner=self,
        )

    def _failed(self, exc: BaseException) -> None:
        self.problem.show_message(known_message(exc) or str(exc))

    def make_task(self) -> None:
        alert_id = self.selected_id()
        if alert_id is not None:
            lang = current()
            self.ctx.runner.write(
                lambda s: lb.make_task(s, alert_id, lang),
                lambda _task: self.reload(),
                on_error=self._failed,
                owner=self,
            )

    def _open(self) -> None:
        alert_id = self.selected_id()
        item = self.items.get(alert_id or "")
        if item is None or not item.record_id:
            return
        if item.kind in ("lead_response", "lead_unassigned"):
            self.open_record.emit("lead", item.record_id)
        elif item.kind == "stagnation":
            self.open_record.emit("deal", item.record_id)
        elif item.customer_id:
            self.open_record.emit("customer", item.customer_id)
