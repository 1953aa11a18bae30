"""Renewals and the customer-success start page (SPEC J1, J2).

:class:`RenewalsScreen`: contracts expiring in the next months with their value, owner and
journey state; "Renew" (R) makes the renewal deal in one click. Below, the journey scan: signed
customers whose journey never started or stalled.

:class:`SuccessScreen`: where a customer-success manager lands — their journey tasks, their
customers' health (last contact, open and overdue tasks, open alerts, contract expiry) and the
renewals coming up.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableWidget, QVBoxLayout, QWidget

from app.domain.tasks import STATE_LABELS, JourneyIssue, as_utc
from app.store.service import Change
from app.store.todo import Renewal
from app.views import agenda_ops
from app.views.agenda import kind_name
from app.views.context import AppContext
from app.views.i18n import current, say
from app.views.widgets import (
    ReloadingScreen,
    fill_table,
    heading,
    make_table,
    money,
    selected_id,
    when,
)

_STATE_COLOURS = {
    "stalled": "#c62828",
    "not_started": "#ef6c00",
    "on_track": "#2e7d32",
    "complete": "#616161",
}


def _paint_column(table: QTableWidget, column: int, colours: list[str | None]) -> None:
    for row, colour in enumerate(colours):
        item = table.item(row, column)
        if item is not None and colour:
            item.setForeground(QColor(colour))


def renewal_rows(rows: list[Renewal], owner: QWidget) -> list[list[Any]]:
    return [
        [
            r.expires_on,
            QCoreApplication.translate("Renewals", "%1 days").replace("%1", str(r.days_left)),
            r.customer_name,
            r.title,
            money(r.amount) if r.amount is not None else "",
            r.owner_name,
            say(STATE_LABELS[r.journey]),
            QCoreApplication.translate("Renewals", "renewal deal made") if r.renewed_by else "",
        ]
        for r in rows
    ]


def issue_rows(
    issues: list[JourneyIssue], ctx: AppContext, owner: QWidget, zone: Any
) -> list[list[Any]]:
    out = []
    for i in issues:
        late = i.late_task
        what = ""
        if late is not None:
            due = as_utc(late.get("due_at"))
            what = (
                QCoreApplication.translate("Renewals", "%1 due %2")
                .replace("%1", kind_name(str(late.get("kind"))))
                .replace("%2", due.astimezone(zone).strftime("%Y-%m-%d") if due else "")
            )
        out.append(
            [
                say(STATE_LABELS[i.state]),
                i.customer_name,
                i.signed_on or "",
                ctx.user_name(i.owner),
                what,
            ]
        )
    return out


class RenewalsScreen(ReloadingScreen):
    """The renewal pipeline and the journey scan."""

    open_record = Signal(str, str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("renewalsScreen")
        self.data: agenda_ops.RenewalsData | None = None
        self.title = heading(self.tr("Renewals"))
        self.renew_button = QPushButton(self.tr("Renew (R)"))
        self.renew_button.setObjectName("renewDeal")
        self.renew_button.setToolTip(self.tr("Make the renewal deal for the selected contract"))
        self.renew_button.clicked.connect(self.renew_selected)
        self.total = QLabel()
        self.total.setObjectName("renewalsTotal")
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addStretch(1)
        bar.addWidget(self.total)
        bar.addWidget(self.renew_button)
        self.table = make_table(
            [
                self.tr("Expires"),
                self.tr("Left"),
                self.tr("Customer"),
                self.tr("Contract"),
                self.tr("Value"),
                self.tr("Owner"),
                self.tr("Journey"),
                self.tr("Renewal"),
            ]
        )
        self.table.setObjectName("renewalsTable")
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.itemSelectionChanged.connect(self._buttons)
        self.empty = QLabel(self.tr("No contract expires in the coming months."))
        self.empty.setStyleSheet("color:#757575; padding:8px;")
        self.issues = make_table(
            [
                self.tr("State"),
                self.tr("Customer"),
                self.tr("Signed"),
                self.tr("Owner"),
                self.tr("Late step"),
            ]
        )
        self.issues.setObjectName("journeyIssues")
        self.issues.doubleClicked.connect(lambda _i: self.open_issue())
        self.status = QLabel()
        self.status.setObjectName("renewalsStatus")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(heading(self.tr("Journeys not started or stalled"), 11))
        layout.addWidget(self.issues, 1)
        layout.addWidget(self.status)
        self.table.installEventFilter(self)
        self.reload()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """R renews the selected contract, Enter opens it (before the table's letter search)."""
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and not event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            if event.key() == Qt.Key.Key_R:
                self.renew_selected()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.open_selected()
                return True
        return super().eventFilter(watched, event)

    def reload(self) -> None:
        owner = (
            None
            if self.ctx.session.leads_team or self.ctx.session.role == "csm"
            else self.ctx.session.user_id
        )
        self.ctx.runner.read(lambda s: agenda_ops.renewals(s, owner), self.show_data, owner=self)

    def on_changed(self, changes: list[Change]) -> None:
        if any(c.entity in ("deal", "task", "customer", "sync") for c in changes):
            self.reload_when_seen()

    def show_data(self, data: agenda_ops.RenewalsData) -> None:
        self.data = data
        rows = data.renewals
        fill_table(self.table, renewal_rows(rows, self), [r.deal_id for r in rows])
        _paint_column(self.table, 6, [_STATE_COLOURS.get(r.journey) for r in rows])
        _paint_column(self.table, 1, ["#c62828" if r.days_left <= 30 else None for r in rows])
        total = sum((r.amount for r in rows if r.amount is not None), start=0)
        self.total.setText(
            self.tr("%n contract(s) in the next %1 days, %2 in all", "", len(rows))
            .replace("%1", str(data.window_days))
            .replace("%2", money(total))
        )
        self.empty.setVisible(not rows)
        fill_table(
            self.issues,
            issue_rows(data.issues, self.ctx, self, data.zone),
            [i.deal_id for i in data.issues],
        )
        _paint_column(self.issues, 0, [_STATE_COLOURS.get(i.state) for i in data.issues])
        if rows and self.table.currentRow() < 0:
            self.table.selectRow(0)
        self._buttons()

    def selected(self) -> Renewal | None:
        rid = selected_id(self.table)
        return next(
            (r for r in (self.data.renewals if self.data else []) if r.deal_id == rid), None
        )

    def _buttons(self) -> None:
        row = self.selected()
        self.renew_button.setEnabled(row is not None and row.renewed_by is None and row.deal_known)

    def renew_selected(self) -> None:
        row = self.selected()
        if row is None or not row.deal_known:
            return
        deal_id, lang = row.deal_id, current()
        self.ctx.runner.write(
            lambda s: agenda_ops.renew(s, deal_id, lang),
            self._renewed,
            owner=self,
        )

    def _renewed(self, new_deal: str) -> None:
        self.status.setText(self.tr("Renewal deal made"))
        self.open_record.emit("deal", new_deal)

    def open_selected(self) -> None:
        row = self.selected()
        if row is not None and row.deal_known:
            self.open_record.emit("deal", row.renewed_by or row.deal_id)

    def open_issue(self) -> None:
        rid = selected_id(self.issues)
        if rid:
            self.open_record.emit("deal", rid)


class SuccessScreen(ReloadingScreen):
    """The customer-success manager's start page."""

    open_record = Signal(str, str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("successScreen")
        self.home: agenda_ops.SuccessHome | None = None
        self.greeting = heading(self.tr("Customer success"))
        self.summary = QLabel()
        self.summary.setObjectName("successSummary")
        self.tasks = make_table(
            [self.tr("Due"), self.tr("Step"), self.tr("Customer"), self.tr("Priority")]
        )
        self.tasks.setObjectName("successTasks")
        self.health = make_table(
            [
                self.tr("Customer"),
                self.tr("Last contact"),
                self.tr("Open tasks"),
                self.tr("Overdue"),
                self.tr("Open alerts"),
                self.tr("Contract expires"),
            ]
        )
        self.health.setObjectName("customerHealth")
        self.health.doubleClicked.connect(lambda _i: self._open(self.health, "customer"))
        self.renewals = make_table(
            [
                self.tr("Expires"),
                self.tr("Left"),
                self.tr("Customer"),
                self.tr("Contract"),
                self.tr("Value"),
                self.tr("Owner"),
                self.tr("Journey"),
                self.tr("Renewal"),
            ]
        )
        self.renewals.setObjectName("successRenewals")
        self.renewals.doubleClicked.connect(lambda _i: self._open(self.renewals, "deal"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.greeting)
        layout.addWidget(self.summary)
        layout.addWidget(heading(self.tr("My journey tasks"), 11))
        layout.addWidget(self.tasks, 2)
        layout.addWidget(heading(self.tr("My customers' health"), 11))
        layout.addWidget(self.health, 2)
        layout.addWidget(heading(self.tr("Renewals"), 11))
        layout.addWidget(self.renewals, 2)
        self.reload()

    def reload(self) -> None:
        me = self.ctx.session.user_id
        self.ctx.runner.read(lambda s: agenda_ops.success_home(s, me), self.show_home, owner=self)

    def on_changed(self, changes: list[Change]) -> None:
        if any(
            c.entity in ("deal", "task", "customer", "followup", "alert", "sync") for c in changes
        ):
            self.reload_when_seen()

    def show_home(self, home: agenda_ops.SuccessHome) -> None:
        self.home = home
        names = {"high": self.tr("High"), "medium": self.tr("Medium"), "low": self.tr("Low")}
        late: list[str | None] = []
        rows = []
        for t in home.tasks:
            due = as_utc(t["due_at"])
            late.append("#c62828" if due is not None and due < home.now else None)
            rows.append(
                [
                    due.astimezone(home.zone).strftime("%Y-%m-%d %H:%M") if due else "",
                    kind_name(str(t["kind"])),
                    t["customer_name"],
                    names.get(str(t["priority"]), t["priority"]),
                ]
            )
        fill_table(self.tasks, rows, [str(t["id"]) for t in home.tasks])
        for c in range(4):
            _paint_column(self.tasks, c, late)
        fill_table(
            self.health,
            [
                [
                    h.name,
                    when(h.last_contact)
                    if h.last_contact
                    else (self.tr("never") if h.known else "—"),
                    h.open_tasks,
                    h.overdue_tasks,
                    h.open_alerts,
                    h.expires_on or "",
                ]
                for h in home.health
            ],
            [h.customer_id for h in home.health],
        )
        _paint_column(self.health, 3, ["#c62828" if h.overdue_tasks else None for h in home.health])
        fill_table(
            self.renewals, renewal_rows(home.renewals, self), [r.deal_id for r in home.renewals]
        )
        _paint_column(self.renewals, 6, [_STATE_COLOURS.get(r.journey) for r in home.renewals])
        overdue = sum(1 for colour in late if colour)
        self.summary.setText(
            self.tr("%n journey task(s) open", "", len(home.tasks))
            + " "
            + self.tr("(%1 overdue) · %2 customers · %3 renewals coming up")
            .replace("%1", str(overdue))
            .replace("%2", str(len(home.health)))
            .replace("%3", str(len(home.renewals)))
        )

    def _open(self, table: QTableWidget, entity: str) -> None:
        rid = selected_id(table)
        if rid:
            self.open_record.emit(entity, rid)
