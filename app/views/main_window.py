"""The main window: navigation, the screens, record pages, the status bar (SPEC D4, T1, T2).

Screens never call each other. They emit ``open_record(entity, id)``; the window opens the
page. The runner's ``changed`` signal reaches every screen through :meth:`_connect_signals`, the
one place where wiring lives, and each screen decides whether it needs to redraw.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.config import Config
from app.domain.messages import Msg
from app.store.service import Change
from app.store.sheets import Sheet
from app.sync.api import SyncService, SyncState
from app.views import agenda_ops
from app.views import operations as ops
from app.views.account import AccountHooks, SettingsScreen
from app.views.agenda import AgendaScreen
from app.views.cockpit import CockpitScreen
from app.views.conflicts import ConflictsScreen
from app.views.context import AppContext
from app.views.customer_page import CustomerPage
from app.views.customers import CustomersScreen
from app.views.deal_page import DealPage
from app.views.duplicates import DuplicatesScreen
from app.views.errors import join_messages, log, log_file
from app.views.export import SheetExport, table_sheet
from app.views.forms import RecordDialog
from app.views.health import HealthScreen
from app.views.i18n import say
from app.views.inboxes import AlertsScreen, ApprovalsScreen, FollowupsDueScreen, LeadsScreen
from app.views.live import LiveUpdates
from app.views.pipeline import PipelineScreen
from app.views.reminders import ReminderService, TrayPresence
from app.views.renewals import RenewalsScreen, SuccessScreen
from app.views.status import PROGRESS_DELAY_MS, SyncStatus
from app.views.tasks import Task
from app.views.widgets import Banner

NAV_MIN_WIDTH = 176
NAV = (
    "customers",
    "leads",
    "deals",
    "cockpit",
    "due",
    "agenda",
    "renewals",
    "success",
    "approvals",
    "alerts",
    "conflicts",
    "duplicates",
    "health",
    "settings",
)
PROBLEM_SHOWN_MS = 15_000


class MainWindow(QMainWindow):
    """Everything a rep or a lead works in, over one profile's store."""

    language_chosen = Signal(str)
    # The duplicate list asks to merge a group ("customer"/"contact", ids): the merge screen's.
    merge_requested = Signal(str, list)
    config_changed = Signal(object)  # Config the user saved in Settings

    def __init__(
        self,
        ctx: AppContext,
        sync: SyncService,
        *,
        account: AccountHooks | None = None,
        profile_dir: Path | None = None,
        config: Config | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.sync_service = sync
        ctx.sync = sync
        self.account = account or AccountHooks()
        self.config = config or ctx.config
        ctx.config = self.config
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("FieldCRM"))
        self.resize(1280, 800)
        self._busy: list[Task] = []
        # Live updates from the server, when the app runs signed in (see attach_live).
        self.live: LiveUpdates | None = None
        self.last_export: SheetExport | None = None

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(NAV_MIN_WIDTH)
        self.nav.setIconSize(QSize(18, 18))
        # The column grows to fit its longest title with a count; it never scrolls sideways.
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.nav.setStyleSheet(
            "QListWidget { background:#263238; color:#eceff1; border:none; font-size:11pt; }"
            "QListWidget::item { padding:10px 12px; }"
            "QListWidget::item:selected { background:#1565c0; color:white; }"
        )
        self.nav_titles = {
            "customers": self.tr("Customers"),
            "leads": self.tr("Leads"),
            "deals": self.tr("Deals"),
            "cockpit": self.tr("Cockpit"),
            "due": self.tr("Follow-ups due"),
            "agenda": self.tr("Agenda"),
            "renewals": self.tr("Renewals"),
            "success": self.tr("Customer success"),
            "approvals": self.tr("Approvals"),
            "alerts": self.tr("Alerts"),
            "conflicts": self.tr("Conflicts"),
            "duplicates": self.tr("Duplicates"),
            "health": self.tr("Data health"),
            "settings": self.tr("Settings"),
        }
        for key in NAV:
            item = QListWidgetItem(self.nav_titles[key])
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)
            # The success manager's start page is theirs alone; the cockpit is the team's
            # figures, a lead's and an admin's screen.
            item.setHidden(
                (key == "success" and ctx.session.role != "csm")
                or (key == "cockpit" and not ctx.session.leads_team)
            )
        who = QLabel(
            f"<b>{ctx.session.display_name}</b>"
            + (f"<br/><span style='color:#90a4ae'>{self._role_name()}</span>")
        )
        who.setStyleSheet("background:#263238; color:#eceff1; padding:12px;")
        side = QWidget()
        side.setStyleSheet("background:#263238;")
        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.setSpacing(0)
        app_name = QLabel("FieldCRM")
        app_name.setStyleSheet(
            "background:#263238; color:white; font-size:15pt; font-weight:bold; padding:12px;"
        )
        sl.addWidget(app_name)
        sl.addWidget(self.nav, 1)
        self.export_button = QPushButton(self.tr("Export list…"))
        self.export_button.setObjectName("exportList")
        self.export_button.setToolTip(
            self.tr("Save the rows and columns shown to an Excel file (Ctrl+E)")
        )
        self.export_button.setStyleSheet(
            "QPushButton { background:#37474f; color:#eceff1; border:none; padding:8px 12px;"
            " text-align:left; } QPushButton:hover { background:#455a64; }"
            " QPushButton:disabled { color:#78909c; }"
        )
        self.export_button.clicked.connect(self.export_list)
        sl.addWidget(self.export_button)
        sl.addWidget(who)

        self.customers = CustomersScreen(ctx)
        self.leads = LeadsScreen(ctx)
        self.pipeline = PipelineScreen(ctx)
        self.cockpit = CockpitScreen(ctx)
        self.due = FollowupsDueScreen(ctx)
        self.agenda = AgendaScreen(ctx)
        self.renewals = RenewalsScreen(ctx)
        self.success = SuccessScreen(ctx)
        self.approvals = ApprovalsScreen(ctx)
        self.alerts = AlertsScreen(ctx)
        self.conflicts = ConflictsScreen(ctx)
        self.duplicates = DuplicatesScreen(ctx)
        self.duplicates.open_record.connect(self.open_record)
        self.duplicates.merge_requested.connect(self.merge_requested)
        self.merge_requested.connect(self._open_merge)
        self.health = HealthScreen(ctx)
        self.health.exported.connect(lambda path: self.statusBar().showMessage(path, 8000))
        self.settings = SettingsScreen(
            ctx, self.account, profile_dir, log_file(), config=self.config
        )
        self.screens: dict[str, QWidget] = {
            "customers": self.customers,
            "leads": self.leads,
            "deals": self.pipeline,
            "cockpit": self.cockpit,
            "due": self.due,
            "agenda": self.agenda,
            "renewals": self.renewals,
            "success": self.success,
            "approvals": self.approvals,
            "alerts": self.alerts,
            "conflicts": self.conflicts,
            "duplicates": self.duplicates,
            "health": self.health,
            "settings": self.settings,
        }
        self.stack = QStackedWidget()
        for key in NAV:
            self.stack.addWidget(self.screens[key])
        self.record_pages: list[QWidget] = []

        self.back = QPushButton("← " + self.tr("Back"))
        self.back.setObjectName("backToList")
        self.back.setFlat(True)
        self.back.clicked.connect(self.go_back)
        self.crumb = QLabel()
        self.crumb.setStyleSheet("color:#616161;")
        self.record_bar = QWidget()
        bar = QHBoxLayout(self.record_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.back)
        bar.addWidget(self.crumb, 1)
        self.record_bar.hide()
        self.problem = Banner()
        self.problem.setObjectName("problemBanner")
        self.problem_timer = QTimer(self)
        self.problem_timer.setSingleShot(True)
        self.problem_timer.timeout.connect(self.problem.hide)

        main = QWidget()
        ml = QVBoxLayout(main)
        ml.addWidget(self.problem)
        ml.addWidget(self.record_bar)
        ml.addWidget(self.stack, 1)
        central = QWidget()
        cl = QHBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(side)
        cl.addWidget(main, 1)
        self.setCentralWidget(central)

        self.sync_status = SyncStatus(
            ctx, sync, auto_sync_ms=self.config.sync_interval_minutes * 60_000
        )
        self.busy_label = QLabel()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setFixedWidth(100)
        self.busy_label.hide()
        self.busy_bar.hide()
        self.statusBar().addWidget(self.busy_label)
        self.statusBar().addWidget(self.busy_bar)
        self.statusBar().addPermanentWidget(self.sync_status)
        self.busy_timer = QTimer(self)
        self.busy_timer.setSingleShot(True)
        self.busy_timer.setInterval(PROGRESS_DELAY_MS)
        self.busy_timer.timeout.connect(self._show_busy)

        # Task reminders from the local store (offline too), and the tray.
        self.reminders = ReminderService(ctx, self)
        self.tray = TrayPresence(self, self)

        self._connect_signals()
        self.nav.setCurrentRow(NAV.index("success") if ctx.session.role == "csm" else 0)
        self.reminders.start()
        ctx.runner.read(agenda_ops.reminder_settings, self._reminder_settings, owner=self)
        self.sync_status.refresh()
        self.refresh_counts()
        if self.config.problems:
            # The app runs on safe values; IT's file still needs fixing, so say where.
            problems = join_messages([p.message() for p in self.config.problems])
            log.warning("settings: %s", problems.en)
            self.show_problem(problems)

    def _role_name(self) -> str:
        role = self.ctx.session.role
        return {
            "lead": self.tr("Team lead"),
            "rep": self.tr("Sales rep"),
            "admin": self.tr("Administrator"),
            "csm": self.tr("Customer success"),
        }.get(role or "", self.tr("Local profile"))

    # ---- wiring (the one place) ------------------------------------------------------------------
    def _connect_signals(self) -> None:
        runner = self.ctx.runner
        runner.changed.connect(self.on_changed)
        runner.problem.connect(self.show_problem)
        runner.task_started.connect(self._task_started)
        runner.task_finished.connect(self._task_finished)
        self.nav.currentRowChanged.connect(self._nav_changed)
        for screen in self.screens.values():
            signal = getattr(screen, "open_record", None)
            if signal is not None:
                signal.connect(self.open_record)
        self.customers.new_customer.connect(self.new_customer)
        self.sync_status.open_conflicts.connect(lambda: self.show_screen("conflicts"))
        self.sync_status.message.connect(self.show_status_message)
        self.sync_status.state_changed.connect(self._sync_state)
        self.settings.language_chosen.connect(self.language_chosen)
        self.settings.signed_in_or_out.connect(self.sync_status.refresh)
        self.settings.config_changed.connect(self._config_changed)
        runner.changed.connect(self.reminders.on_changed)
        self.reminders.reminded.connect(
            lambda title, text: self.show_status_message(f"{title} {text}", False)
        )
        self.agenda.reminder_settings_saved.connect(self._reminder_settings)
        QShortcut(QKeySequence("F5"), self, self.sync_status.sync_now)
        QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        QShortcut(QKeySequence("Alt+Left"), self, self.go_back)
        QShortcut(QKeySequence("Ctrl+E"), self, self.export_list)
        self.stack.currentChanged.connect(self._export_possible)
        for i, _key in enumerate(NAV):
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, lambda i=i: self.nav.setCurrentRow(i))

    def on_changed(self, changes: list[Change]) -> None:
        """Hand every change to every screen and open page; each decides whether to redraw."""
        for screen in self.screens.values():
            handler = getattr(screen, "on_changed", None)
            if handler is not None:
                handler(changes)
        for page in self.record_pages:
            page.on_changed(changes)  # type: ignore[attr-defined]
        self.sync_status.on_changed(changes)
        self.refresh_counts()

    # ---- navigation ------------------------------------------------------------------------------
    def _nav_changed(self, row: int) -> None:
        if row < 0:
            return
        self._drop_record_pages()
        self.stack.setCurrentWidget(self.screens[NAV[row]])
        self._refresh_on_show(NAV[row])

    def _refresh_on_show(self, key: str) -> None:
        # These two scan the whole copy: worked out when shown, not on every change.
        if key in ("duplicates", "health"):
            self.screens[key].refresh()  # type: ignore[attr-defined]

    def _open_merge(self, kind: str, ids: list[str]) -> None:
        """The merge screen for a suspect group; the list is scanned again once merged."""
        from app.views.merge_dialog import open_merge

        dialog = open_merge(self.ctx, kind, ids, self)
        dialog.merged.connect(lambda _survivor: self.duplicates.refresh())

    def show_screen(self, key: str) -> None:
        self.nav.setCurrentRow(NAV.index(key))
        self._drop_record_pages()
        self.stack.setCurrentWidget(self.screens[key])

    def open_record(self, entity: str, record_id: str) -> QWidget:
        """Open a customer or deal page on top of the current screen (Back returns)."""
        page: CustomerPage | DealPage
        if entity == "customer":
            page = CustomerPage(self.ctx, record_id)
        else:
            page = DealPage(self.ctx, record_id)
        page.open_record.connect(self.open_record)
        self.record_pages.append(page)
        self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)
        self.record_bar.show()
        current = self.nav.currentItem()
        self.crumb.setText(current.text() if current is not None else "")
        return page

    def go_back(self) -> None:
        if not self.record_pages:
            return
        page = self.record_pages.pop()
        self.stack.removeWidget(page)
        page.deleteLater()
        if self.record_pages:
            self.stack.setCurrentWidget(self.record_pages[-1])
        else:
            self.record_bar.hide()
            self.stack.setCurrentWidget(self.screens[NAV[max(self.nav.currentRow(), 0)]])

    def _drop_record_pages(self) -> None:
        while self.record_pages:
            page = self.record_pages.pop()
            self.stack.removeWidget(page)
            page.deleteLater()
        self.record_bar.hide()

    def current_page(self) -> QWidget | None:
        return self.stack.currentWidget()

    # ---- export --------------------------------------------------------------------------------
    def _exportable(self) -> QWidget | None:
        screen = self.stack.currentWidget()
        if screen is None or screen in self.record_pages:
            return None
        if hasattr(screen, "export_sheet") or isinstance(
            getattr(screen, "table", None), QTableView
        ):
            return screen
        return None

    def _export_possible(self) -> None:
        self.export_button.setEnabled(self._exportable() is not None)

    def export_list(self) -> None:
        """Save the current list, as shown, to an Excel file (one operation for every list)."""
        screen = self._exportable()
        if screen is None:
            return
        if hasattr(screen, "export_sheet"):
            screen.export_sheet(self._save_sheet)
            return
        key = next((k for k, w in self.screens.items() if w is screen), "")
        self._save_sheet(table_sheet(self.nav_titles.get(key, ""), screen.table))  # type: ignore[attr-defined]

    def _save_sheet(self, sheet: Sheet) -> None:
        self.last_export = SheetExport(
            self.ctx.runner, sheet, self, on_done=lambda m: self.statusBar().showMessage(m, 8000)
        )
        self.last_export.start()

    def focus_search(self) -> None:
        self.show_screen("customers")
        self.customers.search.setFocus()
        self.customers.search.selectAll()

    def new_customer(self) -> RecordDialog:
        dialog = RecordDialog(
            self.ctx,
            "customer",
            ("name", "credit_code", "phone", "email", "address", "industry", "region", "owner"),
            {},
            self.tr("New customer"),
            self,
        )
        if self.ctx.session.known:
            dialog.form.set_values({"owner": self.ctx.session.user_id})
        dialog.created.connect(lambda cid: self.open_record("customer", cid))
        dialog.open_existing.connect(self.open_record)
        dialog.open()
        return dialog

    # ---- badges, problems, progress --------------------------------------------------------------
    def refresh_counts(self) -> None:
        me = self.ctx.session
        until = (self.ctx.today() + timedelta(days=7)).isoformat()
        self.ctx.runner.read(
            lambda s: {**ops.inbox_counts(s, me, until), **agenda_ops.badges(s, me.user_id)},
            self._show_counts,
            owner=self,
        )

    def _show_counts(self, counts: dict[str, int]) -> None:
        for row, key in enumerate(NAV):
            item = self.nav.item(row)
            n = counts.get(key, 0)
            item.setText(self.nav_titles[key] + (f"  ({n:,})" if n else ""))
        self._fit_nav()

    def _fit_nav(self) -> None:
        self.nav.ensurePolished()
        metrics = self.nav.fontMetrics()
        widest = max(
            metrics.horizontalAdvance(self.nav.item(r).text()) for r in range(self.nav.count())
        )
        # Item padding (12 px a side), the frame and a margin for the selection.
        self.nav.setFixedWidth(max(NAV_MIN_WIDTH, widest + 2 * 12 + 16))

    def _config_changed(self, config: Config) -> None:
        self.config = self.ctx.config = config
        self.sync_status.set_auto_sync_minutes(config.sync_interval_minutes)
        if self.account.apply_config is not None:
            self.account.apply_config(config)
        self.config_changed.emit(config)

    def _sync_state(self, state: SyncState) -> None:
        self.settings.show_state(state)

    def show_problem(self, msg: Msg | str) -> None:
        """A known problem (offline, disk full, invalid input…): say it; nothing is lost."""
        text = say(msg) if isinstance(msg, Msg) else msg
        self.problem.show_text(text, "error")
        self.problem_timer.start(PROBLEM_SHOWN_MS)

    def show_status_message(self, text: str, is_problem: bool) -> None:
        if is_problem:
            self.show_problem(text)
        else:
            self.statusBar().showMessage(text, 8000)

    def _task_started(self, task: Task) -> None:
        self._busy.append(task)
        if not self.busy_timer.isActive():
            self.busy_timer.start()

    def _task_finished(self, task: Task) -> None:
        if task in self._busy:
            self._busy.remove(task)
        if not self._busy:
            self.busy_timer.stop()
            self.busy_label.hide()
            self.busy_bar.hide()

    def _show_busy(self) -> None:
        if self._busy:
            self.busy_label.setText(self._busy[-1].label + "…")
            self.busy_label.show()
            self.busy_bar.show()

    def attach_live(self, live: LiveUpdates) -> None:
        """Let ``live`` see every change (it looks for new leads after a sync) and show what
        it announces; it is stopped when the window closes."""
        self.live = live
        live.host = self
        self.ctx.runner.changed.connect(live.on_changed)
        live.announced.connect(
            lambda title, text: self.show_status_message(f"{title} {text}", False)
        )

    def _reminder_settings(self, settings: agenda_ops.ReminderSettings) -> None:
        self.tray.keep_running = settings.keep_in_tray
        self.reminders.tray = self.tray.icon

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.tray.hides_on_close():
            event.ignore()
            self.hide()  # reminders keep coming from the tray
            return
        self.reminders.stop()
        if self.live is not None:
            self.live.stop()
        self.sync_status.poll.stop()
        self.sync_status.auto.stop()
        super().closeEvent(event)


__all__ = ["NAV", "MainWindow"]
