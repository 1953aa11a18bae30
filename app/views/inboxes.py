"""Lists a rep and a team lead work through: follow-ups due, leads, approvals, alerts (T2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.store.duplicates import DuplicateHit
from app.store.service import Change
from app.views import agenda_ops
from app.views import operations as ops
from app.views.context import AppContext
from app.views.errors import known_message, show_refusal
from app.views.followup_form import FollowUpForm
from app.views.i18n import current, say
from app.views.lead_board import AlertInbox, LeadDashboard
from app.views.leads import (
    DuplicatesDialog,
    LeadDialog,
    PoolPanel,
    channel_name,
    countdown,
    status_name,
)
from app.views.widgets import (
    ErrorLabel,
    ReloadingScreen,
    fill_table,
    heading,
    make_table,
    money,
    selected_id,
    stage_name,
    when,
)

DUE_HORIZON_DAYS = 7


class ListScreen(ReloadingScreen):
    """A titled table that reloads itself when relevant records change (later, if hidden)."""

    open_record = Signal(str, str)
    ENTITIES: tuple[str, ...] = ()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[dict[str, Any]] = []

    def reload(self) -> None:
        raise NotImplementedError

    def on_changed(self, changes: list[Change]) -> None:
        if any(c.entity in (*self.ENTITIES, "sync") for c in changes):
            self.reload_when_seen()

    def selected_row(self, table: QTableWidget) -> dict[str, Any] | None:
        rid = selected_id(table)
        return next((r for r in self.rows if r["id"] == rid), None)


class FollowupsDueScreen(ListScreen):
    """A worklist of next actions due within a week: overdue first (in red), grouped by rep
    with counts for a team lead. An item is done by logging the follow-up (its new next action
    replaces it) or snoozed for a few days."""

    ENTITIES = ("followup", "customer")
    SNOOZE_DAYS = (1, 3, 7)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("followupsDueScreen")
        self.mine = QCheckBox(self.tr("Only my customers"))
        # A lead's work is the team's list; a rep's is their own customers.
        self.mine.setChecked(ctx.session.known and not ctx.session.leads_team)
        self.mine.setVisible(ctx.session.known)
        self.mine.toggled.connect(self.reload)
        self.log = QPushButton(self.tr("Log follow-up (done)"))
        self.log.setObjectName("logDueFollowUp")
        self.log.setToolTip(self.tr("Log what happened; its next action replaces this one"))
        self.log.clicked.connect(self.log_followup)
        self.snooze_days = QComboBox()
        self.snooze_days.setObjectName("snoozeDays")
        for days, label in zip(
            self.SNOOZE_DAYS, (self.tr("1 day"), self.tr("3 days"), self.tr("1 week")), strict=True
        ):
            self.snooze_days.addItem(label, days)
        self.snooze = QPushButton(self.tr("Snooze"))
        self.snooze.setObjectName("snoozeDue")
        self.snooze.setToolTip(self.tr("Take the item off the list until then (this device)"))
        self.snooze.clicked.connect(self.snooze_selected)
        self.make_task = QPushButton(self.tr("Make task"))
        self.make_task.setObjectName("dueMakeTask")
        self.make_task.setToolTip(self.tr("Put the next action on the agenda as a task"))
        self.make_task.clicked.connect(self.make_task_of_selected)
        self.count = QLabel()
        self.count.setObjectName("dueCount")
        bar = QHBoxLayout()
        bar.addWidget(heading(self.tr("Follow-ups due")))
        bar.addStretch(1)
        bar.addWidget(self.mine)
        bar.addWidget(self.snooze_days)
        bar.addWidget(self.snooze)
        bar.addWidget(self.make_task)
        bar.addWidget(self.log)
        self.table = make_table(
            [
                self.tr("Due"),
                self.tr("Customer"),
                self.tr("Next action"),
                self.tr("Priority"),
                self.tr("Type"),
                self.tr("Owner"),
            ]
        )
        self.table.setObjectName("dueTable")
        self.table.activated.connect(self._open)
        self.table.doubleClicked.connect(self._open)
        self.table.itemSelectionChanged.connect(self._selection)
        self.empty = QLabel(self.tr("Nothing due this week. Well done."))
        self.empty.setStyleSheet("color:#757575; padding:8px;")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.count)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self.due: ops.DueList | None = None
        self.reload()

    def reload(self) -> None:
        owner = self.ctx.session.user_id if self.mine.isChecked() else None
        until = (self.ctx.today() + timedelta(days=DUE_HORIZON_DAYS)).isoformat()
        self.ctx.runner.read(
            lambda s: ops.followups_due(s, owner, until), self.show_due, owner=self
        )

    def grouped(self) -> bool:
        return not self.mine.isChecked() and len(self.due.per_owner) > 1 if self.due else False

    def show_due(self, due: ops.DueList) -> None:
        self.due = due
        rows = due.items
        if self.grouped():
            # By rep (the most overdue first), overdue items first within each rep.
            order = sorted(due.per_owner, key=lambda k: (-due.per_owner[k][2], due.per_owner[k][0]))
            rank = {k: i for i, k in enumerate(order)}
            rows = sorted(rows, key=lambda r: rank[str(r.get("owner") or "")])
        self.rows = rows
        types = {t.key: say(t.label) for t in self.ctx.rules.followup.types}
        names = {"high": self.tr("High"), "medium": self.tr("Medium"), "low": self.tr("Low")}
        table_rows: list[list[Any]] = []
        ids: list[str] = []
        heads: list[int] = []
        last_owner: str | None = None
        for r in rows:
            owner = str(r.get("owner") or "")
            if self.grouped() and owner != last_owner:
                name, n, late = due.per_owner[owner]
                heads.append(len(table_rows))
                table_rows.append(
                    [
                        self.tr("%1 · %2 due, %3 overdue")
                        .replace("%1", name or self.tr("(no owner)"))
                        .replace("%2", str(n))
                        .replace("%3", str(late))
                    ]
                )
                ids.append("")
                last_owner = owner
            late = r["due_on"] < due.today
            table_rows.append(
                [
                    (self.tr("overdue · %1") if late else "%1").replace("%1", r["due_on"]),
                    r["customer_name"],
                    r["next_action"],
                    names.get(r.get("priority") or "", r.get("priority")),
                    types.get(r["type"], r["type"]),
                    r.get("owner_name"),
                ]
            )
            ids.append(str(r["id"]))
        self.table.clearSpans()
        fill_table(self.table, table_rows, ids)
        for i, rid in enumerate(ids):
            row = next((r for r in rows if r["id"] == rid), None)
            if row is not None and row["due_on"] < due.today:
                for c in range(self.table.columnCount()):
                    item = self.table.item(i, c)
                    if item is not None:
                        item.setForeground(QColor("#c62828"))
        for i in heads:
            self.table.setSpan(i, 0, 1, self.table.columnCount())
            item = self.table.item(i, 0)
            if item is not None:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
                item.setBackground(QColor("#eceff1"))
        self.table.setColumnHidden(5, not self.grouped() and self.mine.isChecked())
        overdue = sum(1 for r in rows if r["due_on"] < due.today)
        summary = (
            self.tr("%1 due within a week, %2 overdue")
            .replace("%1", str(len(rows)))
            .replace("%2", str(overdue))
        )
        if self.grouped():
            per_rep = [
                self.tr("%1: %2 (%3 overdue)")
                .replace("%1", name or self.tr("(no owner)"))
                .replace("%2", str(n))
                .replace("%3", str(late))
                for name, n, late in sorted(due.per_owner.values(), key=lambda v: -v[2])
            ]
            summary += " — " + " · ".join(per_rep)
        self.count.setText(summary)
        self.count.setWordWrap(True)
        self.empty.setVisible(not rows)
        self._selection()

    def _selection(self) -> None:
        chosen = self.selected_row(self.table) is not None
        self.log.setEnabled(chosen)
        self.snooze.setEnabled(chosen)
        self.make_task.setEnabled(chosen)

    def _open(self) -> None:
        row = self.selected_row(self.table)
        if row:
            self.open_record.emit("customer", row["customer_id"])

    def log_followup(self) -> FollowUpForm | None:
        """Done = the follow-up is logged; its own next action takes this item's place."""
        row = self.selected_row(self.table)
        if row is None:
            return None
        form = FollowUpForm(
            self.ctx,
            row["customer_id"],
            customer_name=str(row["customer_name"]),
            parent=self,
        )
        form.open()
        return form

    def make_task_of_selected(self) -> None:
        """One click: the next action becomes a task (a second click finds the same task)."""
        row = self.selected_row(self.table)
        if row is None:
            return
        followup_id = str(row["id"])
        self.ctx.runner.write(
            lambda s: agenda_ops.task_from_followup(s, followup_id),
            lambda _tid: self.count.setText(
                self.tr("Task made: %1").replace("%1", row["next_action"])
            ),
            owner=self,
        )

    def snooze_selected(self) -> None:
        row = self.selected_row(self.table)
        if row is None:
            return
        followup_id, days = str(row["id"]), int(self.snooze_days.currentData())
        self.ctx.runner.write(lambda s: ops.snooze_followup(s, followup_id, days), owner=self)


class LeadsScreen(ListScreen):
    """Open leads with a live countdown to their response deadline (L3), the acts on a lead
    (accept, mark contacted, log the first contact, convert), and the team pool (L5)."""

    ENTITIES = ("lead",)
    DUE_COLUMN = 7

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("leadsScreen")
        self.lead_dialog: LeadDialog | None = None
        self.duplicates_dialog: DuplicatesDialog | None = None
        self.followup_form: FollowUpForm | None = None
        self.sort = QComboBox()
        self.sort.addItem(self.tr("Response deadline first"), "due")
        self.sort.addItem(self.tr("Highest score first"), "score")
        self.sort.addItem(self.tr("Newest first"), "created")
        self.sort.currentIndexChanged.connect(self.reload)
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.setObjectName("leadOpen")
        self.open_button.clicked.connect(self.open_selected)
        self.accept_button = QPushButton(self.tr("Accept"))
        self.accept_button.setObjectName("leadAccept")
        self.accept_button.setToolTip(
            self.tr("Counts from now, also offline: sent with the next sync")
        )
        self.accept_button.clicked.connect(lambda: self._on_selected(self.accept_lead, False))
        self.contacted_button = QPushButton(self.tr("Mark contacted"))
        self.contacted_button.setObjectName("leadContacted")
        self.contacted_button.clicked.connect(lambda: self._on_selected(self.accept_lead, True))
        self.log_button = QPushButton(self.tr("Log first contact"))
        self.log_button.setObjectName("leadLogContact")
        self.log_button.setToolTip(self.tr("Converts the lead first if it has no customer yet"))
        self.log_button.clicked.connect(lambda: self._on_selected(self.log_first_contact))
        self.convert_button = QPushButton(self.tr("Convert"))
        self.convert_button.setObjectName("leadConvert")
        self.convert_button.setToolTip(
            self.tr("Customer + key contact + deal, after a duplicate check")
        )
        self.convert_button.clicked.connect(lambda: self._on_selected(self.convert))
        bar = QHBoxLayout()
        bar.addWidget(heading(self.tr("Leads")))
        bar.addStretch(1)
        bar.addWidget(self.sort)
        acts = QHBoxLayout()
        for b in (
            self.open_button,
            self.accept_button,
            self.contacted_button,
            self.log_button,
            self.convert_button,
        ):
            acts.addWidget(b)
        acts.addStretch(1)
        self.table = make_table(
            [
                self.tr("Name"),
                self.tr("Company"),
                self.tr("Mobile"),
                self.tr("Channel"),
                self.tr("Score"),
                self.tr("Status"),
                self.tr("Owner"),
                self.tr("Respond within"),
            ]
        )
        self.table.setObjectName("leadTable")
        self.table.activated.connect(lambda _i: self.open_selected())
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.itemSelectionChanged.connect(self._selection)
        self.empty = QLabel(self.tr("No open leads. New leads appear here after a sync."))
        self.empty.setStyleSheet("color:#757575; padding:8px;")
        self.notice = QLabel()
        self.notice.setObjectName("leadNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color:#1565c0;")
        self.notice.hide()
        self.problem = ErrorLabel()
        self.problem.setObjectName("leadProblem")
        mine = QWidget()
        mine_layout = QVBoxLayout(mine)
        mine_layout.setContentsMargins(0, 0, 0, 0)
        mine_layout.addLayout(acts)
        mine_layout.addWidget(self.notice)
        mine_layout.addWidget(self.problem)
        mine_layout.addWidget(self.empty)
        mine_layout.addWidget(self.table, 1)
        self.pool = PoolPanel(ctx)
        self.pool.claimed.connect(lambda _rid: self._say(self.pool.result.text()))
        self.tabs = QTabWidget()
        self.tabs.setObjectName("leadTabs")
        self.tabs.addTab(mine, self.tr("Leads"))
        self.tabs.addTab(self.pool, self.tr("公海 Pool"))
        # A team lead's tabs: the reps at a glance, and the alerts to work through.
        self.dashboard: LeadDashboard | None = None
        self.inbox: AlertInbox | None = None
        if ctx.session.leads_team:
            self.dashboard = LeadDashboard(ctx)
            self.inbox = AlertInbox(ctx)
            self.inbox.open_record.connect(self._open_from_inbox)
            self.tabs.addTab(self.dashboard, self.tr("Dashboard"))
            self.tabs.addTab(self.inbox, self.tr("Alert inbox"))
        self.tabs.currentChanged.connect(self._tab_changed)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)
        # The countdown ticks while the screen is visible.
        self.ticker = QTimer(self)
        self.ticker.setInterval(30_000)
        self.ticker.timeout.connect(self._tick)
        self._selection()
        self.reload()

    def reload(self) -> None:
        sort = str(self.sort.currentData())
        self.ctx.runner.read(lambda s: ops.open_leads(s, sort), self.show_rows, owner=self)

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        chosen = selected_id(self.table)
        self.rows = rows
        self.empty.setVisible(not rows)
        fill_table(
            self.table,
            [
                [
                    r["name"],
                    r.get("company"),
                    r.get("mobile"),
                    channel_name(r.get("channel")),
                    r.get("score"),
                    self._status(r),
                    r.get("owner_name"),
                    "",
                ]
                for r in rows
            ],
            [r["id"] for r in rows],
        )
        if chosen is not None:
            for i, r in enumerate(rows):
                if r["id"] == chosen:
                    self.table.selectRow(i)
        self._tick()
        self._selection()

    def _status(self, row: dict[str, Any]) -> str:
        text = status_name(row.get("status"))
        # Accepted here but not yet at the server: say so, the server may still refuse it.
        return text + self.tr(" (not sent yet)") if row.get("pending") else text

    def _tick(self) -> None:
        now = self.ctx.clock()
        for i, r in enumerate(self.rows):
            item = self.table.item(i, self.DUE_COLUMN)
            if item is None or r.get("status") in ("contacted", "accepted"):
                continue
            text, colour = countdown(r.get("response_due"), now)
            item.setText(text)
            if colour:
                item.setForeground(QColor(colour))

    def _selection(self) -> None:
        row = self.selected_row(self.table)
        status = (row or {}).get("status")
        self.open_button.setEnabled(row is not None)
        # Only the owner answers for a lead's response time (the server refuses others).
        mine = row is not None and (
            not self.ctx.session.known or row.get("owner") == self.ctx.session.user_id
        )
        self.accept_button.setEnabled(mine and status not in ("accepted", "contacted"))
        self.contacted_button.setEnabled(mine and status != "contacted")
        self.log_button.setEnabled(row is not None)
        self.convert_button.setEnabled(row is not None and not (row or {}).get("customer_id"))

    def _on_selected(self, act: Any, *args: Any) -> None:
        row = self.selected_row(self.table)
        if row is not None:
            act(str(row["id"]), *args)

    def _tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is self.pool:
            self.pool.load()
        elif widget is self.dashboard and self.dashboard is not None:
            self.dashboard.reload()
        elif widget is self.inbox and self.inbox is not None:
            self.inbox.reload()

    def _open_from_inbox(self, entity: str, record_id: str) -> None:
        if entity == "lead":
            self.open_lead(record_id)
        else:
            self.open_record.emit(entity, record_id)

    def _say(self, text: str) -> None:
        self.problem.show_message(None)
        self.notice.setText(text)
        self.notice.setVisible(bool(text))
        if self.lead_dialog is not None:
            self.lead_dialog.show_note(text)

    def _refused(self, exc: BaseException) -> None:
        msg = known_message(exc)
        if msg is None:
            self.ctx.runner.report_error(exc)
            return
        self.notice.setText("")
        self.notice.hide()
        self.problem.show_message(msg)
        if self.lead_dialog is not None:
            self.lead_dialog.show_note(say(msg))

    def _changed(self, text: str) -> None:
        self._say(text)
        self.reload()
        if self.lead_dialog is not None:
            self.lead_dialog.reload()

    # ---- the acts (the lead page calls these too) ------------------------------------------
    def open_selected(self) -> LeadDialog | None:
        row = self.selected_row(self.table)
        return self.open_lead(str(row["id"])) if row else None

    def open_lead(self, lead_id: str) -> LeadDialog:
        """The lead's page: details, score reasons, why assigned, the deadline ticking."""
        if self.lead_dialog is not None:
            self.lead_dialog.close()
        dialog = LeadDialog(self.ctx, self, lead_id, parent=self)
        dialog.finished.connect(lambda _r: self._forget_dialog(dialog))
        self.lead_dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, dialog: LeadDialog) -> None:
        if self.lead_dialog is dialog:
            self.lead_dialog = None

    def accept_lead(self, lead_id: str, contacted: bool = False) -> None:
        """Accept (or mark contacted) now: kept here, shown at once, sent by the next sync."""
        text = (
            self.tr("Marked contacted; sent to the server with the next sync.")
            if contacted
            else self.tr("Accepted; sent to the server with the next sync.")
        )
        self.ctx.runner.write(
            lambda s: ops.accept_lead(s, lead_id, contacted),
            lambda _r: self._changed(text),
            on_error=self._refused,
            owner=self,
        )

    def convert(self, lead_id: str, then: Any = None) -> None:
        """Duplicate check first; then customer + key contact + deal, and the lead linked."""
        self.ctx.runner.read(
            lambda s: ops.lead_duplicates(s, lead_id),
            lambda hits: self._checked(lead_id, hits, then),
            on_error=self._refused,
            owner=self,
        )

    def _checked(self, lead_id: str, hits: list[DuplicateHit], then: Any) -> None:
        if not hits:
            self._do_convert(lead_id, then)
            return
        dialog = DuplicatesDialog(hits, parent=self)
        self.duplicates_dialog = dialog

        def chosen(_result: int) -> None:
            self.duplicates_dialog = None
            if dialog.choice == "create":
                self._do_convert(lead_id, then)
            elif dialog.choice == "open":
                hit = dialog.chosen_hit()
                if self.lead_dialog is not None:
                    self.lead_dialog.close()
                self.open_record.emit("customer", hit.customer_id)

        dialog.finished.connect(chosen)
        dialog.open()

    def _do_convert(self, lead_id: str, then: Any) -> None:
        def done(made: Any) -> None:
            self._changed(
                self.tr("Converted: a customer, its key contact and a deal were created.")
            )
            if then is not None:
                then(made)
            else:
                self.open_record.emit("customer", made.customer_id)

        self.ctx.runner.write(
            lambda s: ops.convert_lead(s, lead_id), done, on_error=self._refused, owner=self
        )

    def log_first_contact(self, lead_id: str) -> None:
        """The follow-up form on the lead's customer; a lead without one is converted first.
        Saving the follow-up marks the lead contacted (if it was not yet)."""
        row = next((r for r in self.rows if r["id"] == lead_id), None)
        detail = self.lead_dialog.detail if self.lead_dialog is not None else None
        lead = detail.lead if detail is not None and detail.lead["id"] == lead_id else row
        if lead is None:
            return
        name = str(lead.get("company") or lead["name"])
        if lead.get("customer_id"):
            self._open_followup(lead_id, str(lead["customer_id"]), name, None)
            return
        self.convert(
            lead_id,
            then=lambda made: self._open_followup(
                lead_id, made.customer_id, name, (made.deal_id, f"{name} 商机")
            ),
        )

    def _open_followup(
        self, lead_id: str, customer_id: str, name: str, deal: tuple[str, str] | None
    ) -> FollowUpForm:
        form = FollowUpForm(
            self.ctx,
            customer_id,
            customer_name=name,
            deals=[deal] if deal else None,
            deal_id=deal[0] if deal else None,
            parent=self,
        )
        form.saved.connect(lambda _fid: self._first_contact_logged(lead_id))
        self.followup_form = form
        form.open()
        return form

    def _first_contact_logged(self, lead_id: str) -> None:
        row = next((r for r in self.rows if r["id"] == lead_id), None)
        if row is not None and row.get("status") == "contacted":
            self._changed(self.tr("First contact logged."))
            return
        self.accept_lead(lead_id, contacted=True)

    def showEvent(self, event: Any) -> None:
        self.ticker.start()
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:
        self.ticker.stop()
        super().hideEvent(event)


class ApprovalsScreen(ListScreen):
    """Approval requests (P4): the lead approves or rejects with a comment; approving applies
    the stage move. Works offline: the verdict syncs later."""

    ENTITIES = ("approval",)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("approvalsScreen")
        self.show_all = QCheckBox(self.tr("Include decided requests"))
        self.show_all.toggled.connect(self.reload)
        bar = QHBoxLayout()
        bar.addWidget(heading(self.tr("Approvals")))
        bar.addStretch(1)
        bar.addWidget(self.show_all)
        self.table = make_table(
            [
                self.tr("Deal"),
                self.tr("Customer"),
                self.tr("Amount"),
                self.tr("Move"),
                self.tr("Requested by"),
                self.tr("Requested"),
                self.tr("Status"),
                self.tr("Request note"),
                self.tr("Lead's comment"),
            ]
        )
        self.table.setObjectName("approvalTable")
        self.table.itemSelectionChanged.connect(self._selection)
        self.table.doubleClicked.connect(self._open)
        self.comment = QLineEdit()
        self.comment.setObjectName("approvalComment")
        self.comment.setPlaceholderText(self.tr("Comment (required when rejecting)"))
        self.approve = QPushButton(self.tr("Approve"))
        self.approve.setObjectName("approveButton")
        self.reject = QPushButton(self.tr("Reject"))
        self.reject.setObjectName("rejectButton")
        self.approve.clicked.connect(lambda: self.decide(True))
        self.reject.clicked.connect(lambda: self.decide(False))
        self.error = ErrorLabel()
        self.error.setObjectName("approvalError")
        self.note = QLabel()
        self.note.setStyleSheet("color:#757575;")
        if not ctx.session.may_approve:
            self.note.setText(self.tr("Your team lead decides these requests."))
        actions = QHBoxLayout()
        actions.addWidget(self.comment, 1)
        actions.addWidget(self.approve)
        actions.addWidget(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        self.reload()

    def reload(self) -> None:
        pending_only = not self.show_all.isChecked()
        self.ctx.runner.read(lambda s: ops.approvals(s, pending_only), self.show_rows, owner=self)

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        rules = self.ctx.rules
        states = {
            "pending": self.tr("Pending"),
            "approved": self.tr("Approved"),
            "rejected": self.tr("Rejected"),
        }
        fill_table(
            self.table,
            [
                [
                    r.get("deal_title"),
                    r.get("customer_name"),
                    money(r.get("amount")),
                    f"{stage_name(rules, r['from_stage'])} → {stage_name(rules, r['to_stage'])}",
                    r.get("requested_by_name"),
                    when(r.get("requested_at")),
                    states.get(r.get("status") or "", r.get("status")),
                    r.get("reason") or "",
                    _decided(r, r.get("comment") or ""),
                ]
                for r in rows
            ],
            [r["id"] for r in rows],
        )
        if rows and self.table.currentRow() < 0:
            self.table.selectRow(0)
        self._selection()

    def _selection(self) -> None:
        row = self.selected_row(self.table)
        me = self.ctx.session
        can = (
            me.may_approve
            and row is not None
            and row["status"] == "pending"
            and (row.get("requested_by") != me.user_id or me.role in (None, "admin"))
        )
        self.approve.setEnabled(can)
        self.reject.setEnabled(can)
        self.comment.setEnabled(can)

    def decide(self, approve: bool) -> None:
        row = self.selected_row(self.table)
        if row is None:
            return
        comment = self.comment.text().strip()
        approval_id = row["id"]
        self.ctx.runner.write(
            lambda s: ops.decide_approval(s, approval_id, approve, comment),
            lambda _r: self._decided(),
            on_error=self._refused,
            owner=self,
        )

    def _decided(self) -> None:
        self.comment.clear()
        self.error.show_message(None)

    def _refused(self, exc: BaseException) -> None:
        show_refusal(exc, self.ctx.runner.report_error, status=self.error)

    def _open(self) -> None:
        row = self.selected_row(self.table)
        if row:
            self.open_record.emit("deal", row["deal_id"])


def _decided(row: dict[str, Any], comment: str) -> str:
    """The lead's comment with who decided, for a decided request."""
    if row.get("status") == "pending":
        return ""
    who = str(row.get("decided_by_name") or "")
    return f"{who}: {comment}" if who and comment else who or comment


class AlertsScreen(ListScreen):
    """Open alerts: deals stagnating beyond the configured hours (P5), late lead responses."""

    ENTITIES = ("alert", "followup", "deal")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("alertsScreen")
        refresh = QPushButton(self.tr("Check now"))
        refresh.setToolTip(
            self.tr("Recompute stagnation alerts from follow-up times on this device")
        )
        refresh.clicked.connect(self.recompute)
        self.done = QPushButton(self.tr("Done"))
        self.done.setObjectName("alertDone")
        self.done.setToolTip(self.tr("Take the selected alert off the list (on every device)"))
        self.done.clicked.connect(self.resolve)
        bar = QHBoxLayout()
        bar.addWidget(heading(self.tr("Alerts")))
        bar.addStretch(1)
        bar.addWidget(self.done)
        bar.addWidget(refresh)
        self.table = make_table(
            [
                self.tr("Raised"),
                self.tr("Kind"),
                self.tr("Customer"),
                self.tr("Owner"),
                self.tr("Message"),
            ]
        )
        self.table.setObjectName("alertTable")
        self.table.activated.connect(self._open)
        self.table.doubleClicked.connect(self._open)
        self.empty = QLabel(self.tr("Nothing needs attention."))
        self.empty.setStyleSheet("color:#757575; padding:8px;")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self.reload()

    def reload(self) -> None:
        self.ctx.runner.read(ops.open_alerts, self.show_rows, owner=self)

    def recompute(self) -> None:
        self.ctx.runner.write(ops.refresh_alerts, owner=self)

    def resolve(self) -> None:
        row = self.selected_row(self.table)
        if row is not None:
            alert_id = str(row["id"])
            self.ctx.runner.write(lambda s: ops.resolve_alert(s, alert_id), owner=self)

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.empty.setVisible(not rows)
        kinds = {
            "stagnation": self.tr("Stagnating deal"),
            "lead_response": self.tr("Lead not answered"),
            "journey": self.tr("Customer journey"),
            "approval": self.tr("Approval decided"),
            "unreadable": self.tr("Record could not be read"),
        }
        message = "message_zh" if current() == "zh" else "message_en"
        fill_table(
            self.table,
            [
                [
                    when(r["created_at"]),
                    kinds.get(r["kind"], r["kind"]),
                    r.get("customer_name"),
                    r.get("owner_name"),
                    r.get(message),
                ]
                for r in rows
            ],
            [r["id"] for r in rows],
        )

    def _open(self) -> None:
        row = self.selected_row(self.table)
        if row is None:
            return
        if row["kind"] in ("stagnation", "approval") and row.get("record_id"):
            self.open_record.emit("deal", row["record_id"])
        elif row.get("customer_id"):
            self.open_record.emit("customer", row["customer_id"])
