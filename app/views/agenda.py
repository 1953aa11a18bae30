"""The agenda (SPEC J2): tasks and follow-ups due in one list — overdue, today, this week — and
a month calendar, for the user or (a team lead) the team.

Keyboard first: Alt+1…4 switch the view, N adds a task, D marks the selected task done, T
makes the selected follow-up a task, Enter opens, Ctrl+Left/Right move the task a day, Ctrl+Up/
Down a week, PageUp/PageDown change the month, M switches between mine and the team's, arrows
walk the calendar's days. In the month
view a task is dragged from the day's list onto another day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QCoreApplication,
    QDate,
    QDateTime,
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import autostart
from app.domain.tasks import utc_text
from app.store.errors import ValidationFailed
from app.store.service import Change
from app.store.todo import AgendaItem
from app.views import agenda_ops
from app.views.context import AppContext
from app.views.errors import join_messages
from app.views.i18n import current
from app.views.widgets import ErrorLabel, ReloadingScreen, heading

TASK_MIME = "application/x-fieldcrm-task"
PERIODS = ("overdue", "today", "week", "month")
Index = QModelIndex | QPersistentModelIndex


def kind_name(kind: str) -> str:
    """A task's kind as the user reads it."""
    return {
        "manual": QCoreApplication.translate("Agenda", "Task"),
        "journey-welcome": QCoreApplication.translate("Agenda", "Welcome call"),
        "journey-health": QCoreApplication.translate("Agenda", "Health check"),
        "journey-renewal": QCoreApplication.translate("Agenda", "Renewal pack"),
        "followup": QCoreApplication.translate("Agenda", "Follow-up"),
        "alert": QCoreApplication.translate("Agenda", "Alert"),
    }.get(kind, kind)


def priority_name(key: str) -> str:
    return {
        "high": QCoreApplication.translate("Agenda", "High"),
        "medium": QCoreApplication.translate("Agenda", "Medium"),
        "low": QCoreApplication.translate("Agenda", "Low"),
    }.get(key, key)


def _qdt(moment: datetime) -> QDateTime:
    """A wall-clock time for a date-time editor (its zone is dropped: the editor shows it)."""
    return QDateTime(
        QDate(moment.year, moment.month, moment.day), QTime(moment.hour, moment.minute)
    )


def _task_mime(task_ids: list[str]) -> QMimeData:
    mime = QMimeData()
    mime.setData(TASK_MIME, QByteArray("\n".join(task_ids).encode()))
    return mime


def task_ids_of(mime: QMimeData) -> list[str]:
    if not mime.hasFormat(TASK_MIME):
        return []
    return [t for t in bytes(mime.data(TASK_MIME).data()).decode().split("\n") if t]


class ItemsModel(QAbstractTableModel):
    """Agenda items as rows; tasks can be dragged (onto a calendar day)."""

    COLUMNS = 6

    def __init__(self, view: QWidget) -> None:
        super().__init__(view)
        self.view = view
        self.items: list[AgendaItem] = []
        self.zone: Any = None
        self.today: date | None = None
        self.now: datetime | None = None
        self.show_date = True

    def set_items(self, items: list[AgendaItem], zone: Any, now: datetime, show_date: bool) -> None:
        self.beginResetModel()
        self.items, self.zone, self.show_date = items, zone, show_date
        self.now, self.today = now, now.astimezone(zone).date()
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (
            QCoreApplication.translate("Agenda", "Due"),
            QCoreApplication.translate("Agenda", "What"),
            QCoreApplication.translate("Agenda", "Customer"),
            QCoreApplication.translate("Agenda", "Kind"),
            QCoreApplication.translate("Agenda", "Priority"),
            QCoreApplication.translate("Agenda", "Owner"),
        )[section]

    def when(self, item: AgendaItem) -> str:
        local = item.due_at.astimezone(self.zone)
        day = local.strftime("%m-%d") if self.show_date or local.date() != self.today else ""
        hour = (
            QCoreApplication.translate("Agenda", "all day")
            if item.all_day
            else local.strftime("%H:%M")
        )
        return f"{day} {hour}".strip()

    def late(self, item: AgendaItem) -> bool:
        local_day = item.due_at.astimezone(self.zone).date()
        if item.all_day:
            return self.today is not None and local_day < self.today
        return self.now is not None and item.due_at < self.now

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        item = self.items[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                self.when(item),
                item.title,
                item.customer_name,
                kind_name(item.task_kind),
                priority_name(item.priority),
                item.owner_name,
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and self.late(item):
            return QColor("#c62828")
        if role == Qt.ItemDataRole.UserRole:
            return item
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and self.items[index.row()].kind == "task":
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return base

    def mimeTypes(self) -> list[str]:
        return [TASK_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        ids = []
        for i in indexes:
            item = self.items[i.row()]
            if item.kind == "task" and item.id not in ids:
                ids.append(item.id)
        return _task_mime(ids)

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction


class MonthModel(QAbstractTableModel):
    """Six weeks from the Monday before the first of the month; a task dropped on a day
    moves there (``dropped``)."""

    dropped = Signal(str, object)  # task id, date
    MAX_LINES = 3

    def __init__(self, view: QWidget) -> None:
        super().__init__(view)
        self.view = view
        self.first = date.today().replace(day=1)
        self.today = date.today()
        self.by_day: dict[date, list[AgendaItem]] = {}
        self.zone: Any = None

    def set_month(self, first: date, today: date, items: list[AgendaItem], zone: Any) -> None:
        self.beginResetModel()
        self.first, self.today, self.zone = first, today, zone
        self.by_day = {}
        for item in items:
            self.by_day.setdefault(item.due_at.astimezone(zone).date(), []).append(item)
        self.endResetModel()

    @property
    def start(self) -> date:
        return self.first - timedelta(days=self.first.weekday())

    def day_at(self, index: Index) -> date:
        return self.start + timedelta(days=index.row() * 7 + index.column())

    def index_of(self, day: date) -> QModelIndex:
        offset = (day - self.start).days
        if not 0 <= offset < 42:
            return QModelIndex()
        return self.index(offset // 7, offset % 7)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 6

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 7

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (
                QCoreApplication.translate("Agenda", "Mon"),
                QCoreApplication.translate("Agenda", "Tue"),
                QCoreApplication.translate("Agenda", "Wed"),
                QCoreApplication.translate("Agenda", "Thu"),
                QCoreApplication.translate("Agenda", "Fri"),
                QCoreApplication.translate("Agenda", "Sat"),
                QCoreApplication.translate("Agenda", "Sun"),
            )[section]
        return None

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        day = self.day_at(index)
        items = self.by_day.get(day, [])
        if role == Qt.ItemDataRole.DisplayRole:
            lines = [str(day.day)]
            for item in items[: self.MAX_LINES]:
                hour = "" if item.all_day else item.due_at.astimezone(self.zone).strftime("%H:%M ")
                lines.append(f"• {hour}{item.title}")
            if len(items) > self.MAX_LINES:
                lines.append(
                    QCoreApplication.translate("Agenda", "+%1 more").replace(
                        "%1", str(len(items) - self.MAX_LINES)
                    )
                )
            return "\n".join(lines)
        if role == Qt.ItemDataRole.ForegroundRole and day.month != self.first.month:
            return QColor("#9e9e9e")
        if role == Qt.ItemDataRole.BackgroundRole and day == self.today:
            return QColor("#e3f2fd")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        if role == Qt.ItemDataRole.UserRole:
            return day
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsDropEnabled

    def mimeTypes(self) -> list[str]:
        return [TASK_MIME]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        return bool(task_ids_of(data)) and parent.isValid()

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        ids = task_ids_of(data)
        if not ids or not parent.isValid():
            return False
        day = self.day_at(parent)
        for task_id in ids:
            self.dropped.emit(task_id, day)
        return True


class TaskDialog(QDialog):
    """A new task, or changes to one: title, due time, priority, owner, customer, notes."""

    saved = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        *,
        task: dict[str, Any] | None = None,
        customer_id: str | None = None,
        zone: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.task = ctx, task
        # Times are typed in the user's zone (the agenda's), else this computer's.
        self.zone = zone or datetime.now().astimezone().tzinfo
        self.setObjectName("taskDialog")
        self.setWindowTitle(self.tr("Edit task") if task else self.tr("New task"))
        self.title = QLineEdit()
        self.title.setObjectName("taskTitle")
        self.title.setMaxLength(200)
        self.due = QDateTimeEdit()
        self.due.setObjectName("taskDue")
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd HH:mm")
        tomorrow = datetime.combine(ctx.today() + timedelta(days=1), time(9))
        self.due.setDateTime(_qdt(tomorrow))
        self.priority = QComboBox()
        self.priority.setObjectName("taskPriority")
        for key in ("medium", "high", "low"):
            self.priority.addItem(priority_name(key), key)
        self.owner = QComboBox()
        self.owner.setObjectName("taskOwner")
        me = ctx.session.user_id
        self.owner.addItem(ctx.user_name(me) or me, me)
        if ctx.session.leads_team:
            for u in ctx.users:
                if u["id"] != me and u.get("active", 1):
                    self.owner.addItem(str(u["display_name"] or u["name"]), u["id"])
        self.customer = QComboBox()
        self.customer.setObjectName("taskCustomer")
        self.customer.setEditable(True)
        self.customer.addItem(self.tr("(none)"), None)
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("taskNotes")
        self.notes.setFixedHeight(70)
        self.error = ErrorLabel()
        form = QFormLayout()
        form.addRow(self.tr("Title"), self.title)
        form.addRow(self.tr("Due"), self.due)
        form.addRow(self.tr("Priority"), self.priority)
        form.addRow(self.tr("Owner"), self.owner)
        form.addRow(self.tr("Customer"), self.customer)
        form.addRow(self.tr("Notes"), self.notes)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveTask")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._customer_id = customer_id
        if task is not None:
            self.title.setText(str(task.get("title") or ""))
            due = datetime.fromisoformat(str(task["due_at"])).astimezone(self.zone)
            self.due.setDateTime(_qdt(due))
            self.priority.setCurrentIndex(max(0, self.priority.findData(task.get("priority"))))
            i = self.owner.findData(task.get("owner"))
            if i < 0:
                self.owner.addItem(ctx.user_name(task.get("owner")), task.get("owner"))
                i = self.owner.count() - 1
            self.owner.setCurrentIndex(i)
            self.notes.setPlainText(str(task.get("notes") or ""))
            self._customer_id = task.get("customer_id")
        ctx.runner.read(agenda_ops.customer_choices, self._fill_customers, owner=self)

    def _fill_customers(self, choices: list[tuple[str, str]]) -> None:
        for cid, name in choices:
            self.customer.addItem(name, cid)
        if self._customer_id:
            i = self.customer.findData(self._customer_id)
            if i < 0:
                self.customer.addItem(
                    str((self.task or {}).get("related_name") or self._customer_id),
                    self._customer_id,
                )
                i = self.customer.count() - 1
            self.customer.setCurrentIndex(i)

    def values(self) -> dict[str, Any]:
        local = self.due.dateTime().toPython()
        assert isinstance(local, datetime)
        return {
            "title": self.title.text().strip(),
            "due_at": utc_text(local.replace(tzinfo=self.zone)),
            "priority": self.priority.currentData(),
            "owner": self.owner.currentData(),
            "customer_id": self.customer.currentData()
            if self.customer.currentIndex() > 0
            else None,
            "notes": self.notes.toPlainText().strip() or None,
        }

    def save(self) -> None:
        values = self.values()
        if self.task is None:
            self.ctx.runner.write(
                lambda s: agenda_ops.add_task(s, values),
                self._done,
                on_error=self._failed,
                owner=self,
            )
        else:
            task_id = str(self.task["id"])
            changes = {k: v for k, v in values.items() if v != self.task.get(k)}
            self.ctx.runner.write(
                lambda s: agenda_ops.update_task(s, task_id, changes),
                lambda _r: self._done(task_id),
                on_error=self._failed,
                owner=self,
            )

    def _done(self, task_id: str) -> None:
        self.saved.emit(task_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationFailed):
            self.error.show_message(join_messages(list(exc.errors.values())))
        else:
            self.error.show_message(str(exc))


class ReminderSettingsDialog(QDialog):
    """Minutes before the due time for the early reminder, the user's time zone, keeping the
    app in the tray, and starting it with the session (the platform's autostart entry)."""

    saved = Signal(object)  # agenda_ops.ReminderSettings

    def __init__(
        self, ctx: AppContext, settings: agenda_ops.ReminderSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("reminderSettings")
        self.setWindowTitle(self.tr("Reminders"))
        self.minutes = QSpinBox()
        self.minutes.setObjectName("reminderMinutes")
        self.minutes.setRange(0, 7 * 24 * 60)
        self.minutes.setSuffix(self.tr(" min before"))
        self.minutes.setValue(settings.minutes)
        self.zone = QLineEdit(settings.zone)
        self.zone.setObjectName("timeZone")
        self.zone.setPlaceholderText(self.tr("this computer's zone, e.g. Asia/Shanghai"))
        self.tray = QCheckBox(self.tr("Keep running in the tray when the window is closed"))
        self.tray.setObjectName("keepInTray")
        self.tray.setChecked(settings.keep_in_tray)
        self.autostart = QCheckBox(self.tr("Start FieldCRM when I sign in to this computer"))
        self.autostart.setObjectName("autostart")
        self.autostart.setChecked(autostart.is_enabled())
        self.error = ErrorLabel()
        form = QFormLayout()
        form.addRow(self.tr("Remind me"), self.minutes)
        form.addRow(self.tr("Time zone"), self.zone)
        form.addRow(self.tray)
        form.addRow(self.autostart)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveReminderSettings")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save(self) -> None:
        settings = agenda_ops.ReminderSettings(
            self.minutes.value(), self.zone.text().strip(), self.tray.isChecked()
        )
        self.ctx.runner.write(
            lambda s: agenda_ops.save_reminder_settings(s, settings),
            lambda _r: self._saved(settings),
            on_error=lambda e: self.error.show_message(
                join_messages(list(e.errors.values()))
                if isinstance(e, ValidationFailed)
                else str(e)
            ),
            owner=self,
        )

    def _saved(self, settings: agenda_ops.ReminderSettings) -> None:
        try:
            if self.autostart.isChecked():
                autostart.enable()
            else:
                autostart.disable()
        except OSError as exc:
            self.error.show_message(str(exc))
            return
        self.saved.emit(settings)
        self.accept()


def _table(model: QAbstractTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setStretchLastSection(True)
    view.setWordWrap(False)
    return view


class AgendaScreen(ReloadingScreen):
    """Overdue, today, this week and the month, in one screen (see the module's keys)."""

    open_record = Signal(str, str)
    reminder_settings_saved = Signal(object)  # agenda_ops.ReminderSettings
    day_list: QTableView

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("agendaScreen")
        self.data: agenda_ops.AgendaData | None = None
        self.month: date = ctx.today().replace(day=1)
        self.selected_day: date = ctx.today()
        self.last_dialog: QDialog | None = None

        self.tabs = QTabBar()
        self.tabs.setObjectName("agendaPeriods")
        for label in (self.tr("Overdue"), self.tr("Today"), self.tr("This week"), self.tr("Month")):
            self.tabs.addTab(label)
        self.tabs.setCurrentIndex(1)
        self.tabs.currentChanged.connect(lambda _i: self.reload())
        self.team = QCheckBox(self.tr("My team"))
        self.team.setObjectName("agendaTeam")
        self.team.setVisible(ctx.session.leads_team)
        self.team.toggled.connect(lambda _on: self.reload())
        self.new_button = QPushButton(self.tr("New task (N)"))
        self.new_button.setObjectName("newTask")
        self.new_button.clicked.connect(self.new_task)
        self.done_button = QPushButton(self.tr("Done (D)"))
        self.done_button.setObjectName("taskDone")
        self.done_button.clicked.connect(self.mark_done)
        self.make_task_button = QPushButton(self.tr("Make task (T)"))
        self.make_task_button.setObjectName("makeTask")
        self.make_task_button.setToolTip(
            self.tr("Make the selected follow-up's next action a task")
        )
        self.make_task_button.clicked.connect(self.make_task)
        self.ics_button = QPushButton(self.tr("Export .ics…"))
        self.ics_button.setObjectName("exportIcs")
        self.ics_button.clicked.connect(self.export_ics)
        self.reminders_button = QPushButton(self.tr("Reminders…"))
        self.reminders_button.setObjectName("reminderSettingsButton")
        self.reminders_button.clicked.connect(self.reminder_settings)
        bar = QHBoxLayout()
        bar.addWidget(heading(self.tr("Agenda")))
        bar.addWidget(self.tabs)
        bar.addStretch(1)
        bar.addWidget(self.team)
        bar.addWidget(self.new_button)
        bar.addWidget(self.done_button)
        bar.addWidget(self.make_task_button)
        bar.addWidget(self.ics_button)
        bar.addWidget(self.reminders_button)

        self.items = ItemsModel(self)
        self.list = _table(self.items)
        self.list.setObjectName("agendaList")
        self.list.doubleClicked.connect(lambda _i: self.open_selected())
        self.list.selectionModel().selectionChanged.connect(lambda *_a: self._buttons())

        self.month_model = MonthModel(self)
        self.month_model.dropped.connect(self.move_task)
        self.calendar = QTableView()
        self.calendar.setObjectName("agendaMonth")
        self.calendar.setModel(self.month_model)
        self.calendar.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.calendar.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.calendar.verticalHeader().hide()
        self.calendar.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.calendar.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.calendar.setWordWrap(True)
        self.calendar.setAcceptDrops(True)
        self.calendar.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.calendar.setDropIndicatorShown(True)
        self.calendar.selectionModel().currentChanged.connect(self._day_chosen)
        self.calendar.doubleClicked.connect(lambda _i: self.day_list.setFocus())
        self.month_title = QLabel()
        self.month_title.setObjectName("monthTitle")
        self.month_title.setStyleSheet("font-size:12pt; font-weight:bold;")
        prev_month = QPushButton("◀")
        prev_month.setFixedWidth(36)
        prev_month.setToolTip(self.tr("Previous month (PageUp)"))
        prev_month.clicked.connect(lambda: self.change_month(-1))
        next_month = QPushButton("▶")
        next_month.setFixedWidth(36)
        next_month.setToolTip(self.tr("Next month (PageDown)"))
        next_month.clicked.connect(lambda: self.change_month(1))
        self.day_items = ItemsModel(self)
        self.day_list = _table(self.day_items)
        self.day_list.setObjectName("agendaDayList")
        self.day_list.setDragEnabled(True)
        self.day_list.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.day_list.doubleClicked.connect(lambda _i: self.open_selected())
        self.day_list.selectionModel().selectionChanged.connect(lambda *_a: self._buttons())
        self.day_title = QLabel()
        self.day_title.setObjectName("dayTitle")
        month_head = QHBoxLayout()
        month_head.addWidget(prev_month)
        month_head.addWidget(self.month_title)
        month_head.addWidget(next_month)
        month_head.addStretch(1)
        month_head.addWidget(QLabel(self.tr("Drag a task onto another day to move it")))
        self.month_panel = QWidget()
        mp = QVBoxLayout(self.month_panel)
        mp.setContentsMargins(0, 0, 0, 0)
        mp.addLayout(month_head)
        mp.addWidget(self.calendar, 3)
        mp.addWidget(self.day_title)
        mp.addWidget(self.day_list, 1)

        self.summary = QLabel()
        self.summary.setObjectName("agendaSummary")
        self.summary.setStyleSheet("color:#616161;")
        self.empty = QLabel(self.tr("Nothing here. Press N to add a task."))
        self.empty.setStyleSheet("color:#757575; padding:8px;")
        self.status = QLabel()
        self.status.setObjectName("agendaStatus")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.empty)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.month_panel, 1)
        layout.addWidget(self.status)
        self._shortcuts()
        self.reload()

    # ---- keys ------------------------------------------------------------------------------------
    def _shortcuts(self) -> None:
        for view in (self.list, self.day_list, self.calendar):
            view.installEventFilter(self)
        self.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The agenda's keys, on its lists and calendar (before the views' own letter search)."""
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        code, mods = event.key(), event.modifiers()
        ctrl = mods & Qt.KeyboardModifier.ControlModifier
        alt = mods & Qt.KeyboardModifier.AltModifier
        plain = not ctrl and not alt
        K = Qt.Key
        if alt and K.Key_1.value <= code <= K.Key_4.value:
            self.tabs.setCurrentIndex(code - K.Key_1.value)
            return True
        try:
            key = K(code)
        except ValueError:  # a key Qt has no name for: not one of ours
            return super().eventFilter(watched, event)
        moves = {K.Key_Left: -1, K.Key_Right: 1, K.Key_Up: -7, K.Key_Down: 7}
        if ctrl and key in moves:
            self.shift_selected(moves[key])
            return True
        acts: dict[Qt.Key, Callable[[], object]] = {
            K.Key_N: self.new_task,
            K.Key_D: self.mark_done,
            K.Key_T: self.make_task,
            K.Key_M: lambda: self.team.setChecked(not self.team.isChecked()),
            K.Key_Return: self.open_selected,
            K.Key_Enter: self.open_selected,
            K.Key_PageUp: lambda: self.change_month(-1),
            K.Key_PageDown: lambda: self.change_month(1),
        }
        if plain and key in acts:
            acts[key]()
            return True
        return super().eventFilter(watched, event)

    # ---- loading ---------------------------------------------------------------------------------
    @property
    def period(self) -> str:
        return PERIODS[max(self.tabs.currentIndex(), 0)]

    def owner(self) -> str | None:
        return None if self.team.isChecked() else self.ctx.session.user_id

    def reload(self) -> None:
        owner, period, month = self.owner(), self.period, self.month
        self.ctx.runner.read(
            lambda s: agenda_ops.load_agenda(s, owner, period, month), self.show_agenda, owner=self
        )

    def on_changed(self, changes: list[Change]) -> None:
        if any(c.entity in ("task", "followup", "customer", "sync") for c in changes):
            self.reload_when_seen()

    def show_agenda(self, data: agenda_ops.AgendaData) -> None:
        if data.period != self.period:
            return  # a tab changed meanwhile; its own load follows
        self.data = data
        month = data.period == "month"
        self.list.setVisible(not month)
        self.month_panel.setVisible(month)
        for i, name in enumerate(("overdue", "today", "week")):
            label = (self.tr("Overdue"), self.tr("Today"), self.tr("This week"))[i]
            n = data.counts.get(name, 0)
            self.tabs.setTabText(i, f"{label} ({n})" if n else label)
        if month:
            assert data.month is not None
            self.month_model.set_month(data.month, data.today, data.items, data.zone)
            self.month_title.setText(data.month.strftime("%Y-%m"))
            if not (data.month <= self.selected_day < _next_month(data.month)):
                self.selected_day = (
                    data.today if data.today.replace(day=1) == data.month else data.month
                )
            self.calendar.setCurrentIndex(self.month_model.index_of(self.selected_day))
            self._show_day()
            self.empty.hide()
        else:
            self.items.set_items(data.items, data.zone, data.now, data.period != "today")
            _fit_columns(self.list)
            self.empty.setVisible(not data.items)
            if data.items:
                self.list.selectRow(0)
        tasks = sum(1 for i in data.items if i.kind == "task")
        self.summary.setText(
            self.tr("%1 tasks, %2 follow-ups due")
            .replace("%1", str(tasks))
            .replace("%2", str(len(data.items) - tasks))
        )
        self._buttons()

    def _day_chosen(self, index: QModelIndex, _previous: QModelIndex) -> None:
        if index.isValid():
            self.selected_day = self.month_model.day_at(index)
            self._show_day()

    def _show_day(self) -> None:
        if self.data is None:
            return
        items = self.month_model.by_day.get(self.selected_day, [])
        self.day_items.set_items(items, self.data.zone, self.data.now, False)
        _fit_columns(self.day_list)
        self.day_title.setText(
            self.tr("%1: %2 items")
            .replace("%1", self.selected_day.isoformat())
            .replace("%2", str(len(items)))
        )
        if items:
            self.day_list.selectRow(0)
        self._buttons()

    def change_month(self, step: int) -> None:
        if self.period != "month":
            return
        first = self.month
        month = first.month - 1 + step
        self.month = date(first.year + month // 12, month % 12 + 1, 1)
        self.selected_day = self.month
        self.reload()

    # ---- selection and acts ----------------------------------------------------------------------
    def selected(self) -> AgendaItem | None:
        view = self.day_list if self.period == "month" else self.list
        index = view.currentIndex()
        if not index.isValid():
            return None
        item = view.model().data(index, Qt.ItemDataRole.UserRole)
        return item if isinstance(item, AgendaItem) else None

    def _buttons(self) -> None:
        item = self.selected()
        self.done_button.setEnabled(item is not None and item.kind == "task")
        self.make_task_button.setEnabled(item is not None and item.kind == "followup")

    def new_task(self) -> TaskDialog:
        dialog = TaskDialog(self.ctx, zone=self.data.zone if self.data else None, parent=self)
        if self.period == "month":
            dialog.due.setDateTime(_qdt(datetime.combine(self.selected_day, time(9))))
        dialog.saved.connect(lambda _tid: self.status.setText(self.tr("Task saved")))
        dialog.open()
        self.last_dialog = dialog
        return dialog

    def mark_done(self) -> None:
        item = self.selected()
        if item is None or item.kind != "task":
            return
        task_id = item.id
        self.ctx.runner.write(
            lambda s: agenda_ops.complete_task(s, task_id),
            lambda _r: self.status.setText(self.tr("Done: %1").replace("%1", item.title)),
            owner=self,
        )

    def make_task(self) -> None:
        item = self.selected()
        if item is None or item.kind != "followup":
            return
        followup_id = item.id
        self.ctx.runner.write(
            lambda s: agenda_ops.task_from_followup(s, followup_id),
            lambda _r: self.status.setText(self.tr("Task made: %1").replace("%1", item.title)),
            owner=self,
        )

    def move_task(self, task_id: str, day: date) -> None:
        self.selected_day = day
        self.ctx.runner.write(
            lambda s: agenda_ops.move_task(s, task_id, day),
            lambda _r: self.status.setText(self.tr("Moved to %1").replace("%1", day.isoformat())),
            owner=self,
        )

    def shift_selected(self, days: int) -> None:
        item = self.selected()
        if item is None or item.kind != "task":
            return
        task_id = item.id
        if self.period == "month" and self.data is not None:
            self.selected_day = item.due_at.astimezone(self.data.zone).date() + timedelta(days=days)
        self.ctx.runner.write(
            lambda s: agenda_ops.shift_task(s, task_id, days),
            lambda due: self.status.setText(self.tr("Moved to %1").replace("%1", str(due)[:10])),
            owner=self,
        )

    def open_selected(self) -> None:
        if self.period == "month" and self.calendar.hasFocus():
            self.day_list.setFocus()
            return
        item = self.selected()
        if item is None:
            return
        if item.kind == "followup" and item.customer_id:
            self.open_record.emit("customer", item.customer_id)
            return
        task_id = item.id

        def show(task: dict[str, Any] | None) -> None:
            if task is not None:
                zone = self.data.zone if self.data else None
                dialog = TaskDialog(self.ctx, task=task, zone=zone, parent=self)
                dialog.open()
                self.last_dialog = dialog

        self.ctx.runner.read(lambda s: agenda_ops.task(s, task_id), show, owner=self)

    def export_ics(self, path: Path | None = None) -> None:
        if path is None:
            name, _filter = QFileDialog.getSaveFileName(
                self, self.tr("Export agenda"), "fieldcrm.ics", self.tr("Calendar (*.ics)")
            )
            if not name:
                return
            path = Path(name)
        owner, lang, target = self.ctx.session.user_id, current(), path
        self.ctx.runner.read(
            lambda s: agenda_ops.export_ics(s, owner, target, lang),
            lambda n: self.status.setText(
                self.tr("%1 items saved to %2").replace("%1", str(n)).replace("%2", str(target))
            ),
            owner=self,
        )

    def reminder_settings(self) -> None:
        def show(settings: agenda_ops.ReminderSettings) -> None:
            dialog = ReminderSettingsDialog(self.ctx, settings, self)
            dialog.saved.connect(self.reminder_settings_saved)
            dialog.open()
            self.last_dialog = dialog

        self.ctx.runner.read(agenda_ops.reminder_settings, show, owner=self)


def _fit_columns(view: QTableView) -> None:
    """Columns as wide as their text; the title ("What") takes the room left."""
    view.resizeColumnsToContents()
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
