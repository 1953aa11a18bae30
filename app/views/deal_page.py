"""One deal, with its action-locks made visible (SPEC P1–P4).

The stepper shows where the deal is. Under it, every lock between this stage and the next is
a row that says what is missing and carries the means to fix it right there: tick the action,
fill the field, attach a file of the right kind, confirm pain points, map the decision chain.
"Advance" is enabled only when every lock is met; until then the page lists the reasons. A
gated move files an approval request instead (offline too). Moving back and marking the deal
lost both ask for a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.domain.messages import Msg
from app.domain.process import LockStatus, approval_outcome_message
from app.domain.rules import LOST
from app.store.errors import MoveRefused
from app.store.service import Change, Store
from app.views import operations as ops
from app.views.attachments import AttachmentPane, dropped_files, kind_label
from app.views.capture import ContractDialog
from app.views.context import AppContext
from app.views.customer_page import timeline_html
from app.views.deal_state import DealBanner, deal_page_state
from app.views.errors import join_messages, show_refusal
from app.views.followup_form import FollowUpForm
from app.views.forms import EntityForm
from app.views.i18n import say
from app.views.lost_reason import LostReasonPicker
from app.views.widgets import (
    Banner,
    ErrorLabel,
    FitScrollArea,
    ReloadingScreen,
    StageStepper,
    heading,
    money,
    stage_name,
    when,
)

DEAL_FIELDS = ("title", "amount", "expected_close", "commit_amount", "contract_no")


StoreOp = Callable[[Store], Any]
OnError = Callable[[BaseException], None]


class LockRow(QFrame):
    """One action-lock: met or not, what is missing, and the widget that fixes it.

    The row knows its lock and the deal's values; each fix it makes is a store operation it
    hands out by ``write_requested`` (the page runs it), with the row's own error handler.
    """

    write_requested = Signal(object, object)  # (StoreOp, OnError | None)

    def __init__(
        self,
        ctx: AppContext,
        status: LockStatus,
        *,
        deal_id: str,
        record: dict[str, Any],
        contacts: list[dict[str, Any]],
        read_only: bool,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.status = status
        self.deal_id = deal_id
        self.record = record
        self.contacts = contacts
        lock = status.lock
        self.setObjectName(f"lock_{lock.key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        colour = "#e8f5e9" if status.met else "#fff3e0"
        self.setStyleSheet(f"LockRow {{ background:{colour}; border-radius:4px; }}")
        mark = QLabel("✔" if status.met else "✗")
        mark.setStyleSheet(
            f"color:{'#2e7d32' if status.met else '#c62828'}; font-size:14pt; font-weight:bold;"
        )
        mark.setFixedWidth(24)
        title = QLabel(f"<b>{say(lock.label)}</b>")
        self.detail = QLabel(say(status.detail) if status.detail else self.tr("Done"))
        self.detail.setObjectName("lockDetail")
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet("color:#616161;" if status.met else "color:#bf360c;")
        self.error = ErrorLabel()
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(title)
        text.addWidget(self.detail)
        self.fix_area = QVBoxLayout()
        text.addLayout(self.fix_area)
        text.addWidget(self.error)
        row = QHBoxLayout(self)
        row.addWidget(mark, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text, 1)
        self.fixer: QWidget | None = None
        builder = {
            "field": self._field_fix,
            "action": self._action_fix,
            "attachment": self._attachment_fix,
            "min_items": self._items_fix,
            "roles": self._roles_fix,
        }.get(lock.kind)
        if builder is not None and not read_only:
            builder()
        if lock.kind == "attachment" and not read_only:
            self.setAcceptDrops(True)

    def _write(self, op: StoreOp, on_error: OnError | None = None) -> None:
        self.write_requested.emit(op, on_error)

    # ---- fixes, one per lock kind ----------------------------------------------------------------
    def _field_fix(self) -> None:
        key = self.status.lock.key
        record = self.record
        line = QHBoxLayout()
        editor: QLineEdit | QComboBox
        if key == "primary_contact_id":
            combo = QComboBox()
            combo.addItem(self.tr("(choose a contact)"), None)
            for c in self.contacts:
                combo.addItem(_contact_label(c), c["id"])
            combo.setCurrentIndex(max(0, combo.findData(record.get(key))))
            editor = combo
        else:
            edit = QLineEdit("" if record.get(key) is None else str(record.get(key)))
            edit.setPlaceholderText(say(self.status.lock.label))
            edit.returnPressed.connect(lambda: self._save_field(key, edit.text()))
            editor = edit
        editor.setObjectName(f"fix_{key}")
        save = QPushButton(self.tr("Save"))
        save.setObjectName(f"save_{key}")

        def value() -> Any:
            return editor.currentData() if isinstance(editor, QComboBox) else editor.text()

        save.clicked.connect(lambda: self._save_field(key, value()))
        line.addWidget(editor, 1)
        line.addWidget(save)
        self.fix_area.addLayout(line)
        self.fixer = editor

    def _save_field(self, key: str, value: Any) -> None:
        deal_id = self.deal_id
        self._write(
            lambda s: ops.update_record(s, "deal", deal_id, {key: value}), on_error=self._show_error
        )

    def _action_fix(self) -> None:
        key = self.status.lock.key
        box = QCheckBox(self.tr("Done"))
        box.setObjectName(f"fix_{key}")
        box.setChecked(self.status.met)
        deal_id = self.deal_id
        box.toggled.connect(lambda on: self._write(lambda s: ops.tick_action(s, deal_id, key, on)))
        self.fix_area.addWidget(box)
        self.fixer = box

    def _attachment_fix(self) -> None:
        kind = self.status.lock.key
        line = QHBoxLayout()
        button = QPushButton(
            self.tr("Attach %1…").replace("%1", kind_label(kind))
            if not self.status.met
            else self.tr("Attach another…")
        )
        button.setObjectName(f"fix_{kind}")
        button.clicked.connect(self._choose_file)
        hint = QLabel(self.tr("or drop the file on this row"))
        hint.setStyleSheet("color:#757575;")
        line.addWidget(button)
        if kind == "contract":
            read = QPushButton(self.tr("Read a contract…"))
            read.setObjectName("readContract")
            read.setToolTip(
                self.tr("Attach a scanned contract and fill in its number, amount and dates")
            )
            read.clicked.connect(self._read_contract)
            line.addWidget(read)
        line.addWidget(hint, 1)
        self.fix_area.addLayout(line)
        self.fixer = button

    def _read_contract(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Read a contract"),
            "",
            self.tr("Contracts (*.pdf *.png *.jpg *.jpeg *.tif *.tiff)"),
        )
        if path:
            self.open_contract(Path(path))

    def open_contract(self, path: Path) -> ContractDialog:
        dialog = ContractDialog(self.ctx, self.deal_id, path, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _choose_file(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Attach %1").replace("%1", kind_label(self.status.lock.key))
        )
        self.attach([Path(p) for p in paths])

    def attach(self, paths: list[Path]) -> None:
        """Attach files with this lock's kind (the only kind that satisfies it)."""
        if not paths:
            return
        kind = self.status.lock.key
        customer_id = str(self.record["customer_id"])
        deal_id = self.deal_id

        def attach_all(store: Store) -> None:
            for path in paths:
                ops.attach(store, path, kind, customer_id, deal_id)

        self._write(attach_all, on_error=self._show_error)

    def _items_fix(self) -> None:
        key = self.status.lock.key
        record = self.record
        deal_id = self.deal_id
        for i, item in enumerate(record.get(key) or []):
            text = item.get("text") if isinstance(item, dict) else str(item)
            confirmed = bool(item.get("confirmed")) if isinstance(item, dict) else True
            box = QCheckBox(str(text))
            box.setChecked(confirmed)
            box.setToolTip(self.tr("Ticked = confirmed with the customer"))
            box.toggled.connect(
                lambda on, idx=i: self._write(lambda s: ops.confirm_pain_point(s, deal_id, idx, on))
            )
            self.fix_area.addWidget(box)
        line = QHBoxLayout()
        edit = QLineEdit()
        edit.setObjectName(f"fix_{key}")
        edit.setPlaceholderText(self.tr("Add a pain point the customer confirmed"))
        add = QPushButton(self.tr("Add"))
        add.setObjectName(f"add_{key}")

        def add_item() -> None:
            text = edit.text()
            if text.strip():
                self._write(lambda s: ops.add_pain_point(s, deal_id, text))

        add.clicked.connect(add_item)
        edit.returnPressed.connect(add_item)
        line.addWidget(edit, 1)
        line.addWidget(add)
        self.fix_area.addLayout(line)
        self.fixer = edit

    def _roles_fix(self) -> None:
        lock = self.status.lock
        record = self.record
        chain = record.get(lock.key) or {}
        grid = QGridLayout()
        deal_id = self.deal_id
        contacts = self.contacts
        self.role_boxes: dict[str, QComboBox] = {}
        for i, role in enumerate(lock.roles):
            label = self.ctx.rules.roles.get(role)
            combo = QComboBox()
            combo.setObjectName(f"role_{role}")
            combo.addItem(self.tr("(nobody yet)"), None)
            for c in contacts:
                combo.addItem(_contact_label(c), c["id"])
            combo.setCurrentIndex(max(0, combo.findData(chain.get(role))))
            combo.currentIndexChanged.connect(
                lambda _i, r=role, cb=combo: self._write(
                    lambda s: ops.set_decision_role(s, deal_id, r, cb.currentData())
                )
            )
            grid.addWidget(QLabel(say(label) if label else role), i // 2, (i % 2) * 2)
            grid.addWidget(combo, i // 2, (i % 2) * 2 + 1)
            self.role_boxes[role] = combo
        self.fix_area.addLayout(grid)

    def _show_error(self, exc: BaseException) -> None:
        show_refusal(exc, self.ctx.runner.report_error, status=self.error)

    # ---- drops on an attachment lock -------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_files(event)
        if paths:
            event.acceptProposedAction()
            self.attach(paths)


def _contact_label(c: dict[str, Any]) -> str:
    return f"{c['name']}" + (f" · {c['title']}" if c.get("title") else "")


class MoveDialog(QDialog):
    """Ask for a reason (and a target stage) for moving back, losing or reopening a deal; the
    store's refusal is shown here and what the user typed stays."""

    def __init__(
        self,
        ctx: AppContext,
        deal_id: str,
        title: str,
        prompt: str,
        targets: list[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.deal_id = deal_id
        self.setObjectName("moveDialog")
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.target = QComboBox()
        for key, label in targets:
            self.target.addItem(label, key)
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(80)
        self.reason.setPlaceholderText(
            self.tr("Why? (at least %1 characters)").replace("%1", str(ctx.rules.reason_min_length))
        )
        self.error = ErrorLabel()
        self.error.setObjectName("moveError")
        form = QFormLayout()
        if len(targets) > 1:
            form.addRow(self.tr("Move to"), self.target)
        # Losses are counted by reason: the reason is picked from the rules' list.
        self.lost_reason: LostReasonPicker | None = None
        if any(key == LOST for key, _ in targets):
            self.lost_reason = LostReasonPicker(ctx.rules)
            form.addRow(self.tr("Lost because"), self.lost_reason)
            self.reason.setPlaceholderText(self.tr("Details (required for “Other”)"))
        form.addRow(self.tr("Reason"), self.reason)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        prompt_label = QLabel(prompt)
        prompt_label.setWordWrap(True)
        layout.addWidget(prompt_label)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def submit(self) -> None:
        target = str(self.target.currentData())
        reason: str | None = self.reason.toPlainText().strip()
        if target == LOST and self.lost_reason is not None:
            reason, problem = self.lost_reason.reason(reason or "")
            if problem is not None:
                self.error.show_message(problem)
                return
        deal_id = self.deal_id
        self.ctx.runner.write(
            lambda s: ops.move_deal(s, deal_id, target, reason),
            lambda _d: self.accept(),
            on_error=self._refused,
            owner=self,
        )

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, MoveRefused):
            self.error.show_message(join_messages([p.message for p in exc.decision.problems]))
            return
        self.ctx.runner.report_error(exc)


class ApprovalRequestDialog(QDialog):
    """Ask the team lead to approve the next move, with a note saying why now."""

    def __init__(
        self, ctx: AppContext, deal_id: str, target: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.deal_id = deal_id
        self.setObjectName("approvalRequestDialog")
        self.setWindowTitle(self.tr("Request approval"))
        self.setMinimumWidth(440)
        prompt = QLabel(
            self.tr(
                "Moving to %1 needs the team lead's approval. Tell them why the deal is ready; "
                "the request is sent with the next sync."
            ).replace("%1", target)
        )
        prompt.setWordWrap(True)
        self.note = QPlainTextEdit()
        self.note.setObjectName("approvalNote")
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(90)
        self.note.setPlaceholderText(
            self.tr("e.g. The customer confirmed the quote; the contract draft is with legal")
        )
        self.error = ErrorLabel()
        self.error.setObjectName("approvalRequestError")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.send_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.send_button.setText(self.tr("Send request"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(QLabel(self.tr("Note for the team lead")))
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def submit(self) -> None:
        note = self.note.toPlainText()
        deal_id = self.deal_id
        self.ctx.runner.write(
            lambda s: ops.request_approval(s, deal_id, note),
            lambda _d: self.accept(),
            on_error=self._refused,
            owner=self,
        )

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, MoveRefused):
            self.error.show_message(join_messages([p.message for p in exc.decision.problems]))
            return
        show_refusal(exc, self.ctx.runner.report_error, status=self.error)


class DecisionBox(QFrame):
    """On the deal page of a team lead: the pending request, its note, approve or reject."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("decisionBox")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("DecisionBox { background:#fff8e1; border-radius:4px; }")
        self.request = QLabel()
        self.request.setObjectName("decisionRequest")
        self.request.setWordWrap(True)
        self.comment = QLineEdit()
        self.comment.setObjectName("decisionComment")
        self.comment.setPlaceholderText(self.tr("Comment (required when rejecting)"))
        self.approve = QPushButton(self.tr("Approve"))
        self.approve.setObjectName("dealApprove")
        self.reject = QPushButton(self.tr("Reject"))
        self.reject.setObjectName("dealReject")
        self.approve.clicked.connect(lambda: self.decide(True))
        self.reject.clicked.connect(lambda: self.decide(False))
        self.error = ErrorLabel()
        self.error.setObjectName("decisionError")
        line = QHBoxLayout()
        line.addWidget(self.comment, 1)
        line.addWidget(self.approve)
        line.addWidget(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.request)
        layout.addLayout(line)
        layout.addWidget(self.error)
        self.approval_id: str | None = None

    def show_request(self, approval: dict[str, Any], target: str) -> None:
        if approval["id"] != self.approval_id:
            self.comment.clear()
            self.error.show_message(None)
        self.approval_id = str(approval["id"])
        note = str(approval.get("reason") or "").strip() or self.tr("(no note)")
        self.request.setText(
            self.tr("%1 asks to move this deal to %2 (requested %3). Note: %4")
            .replace("%1", self.ctx.user_name(approval.get("requested_by")))
            .replace("%2", target)
            .replace("%3", when(approval.get("requested_at")))
            .replace("%4", note)
        )

    def decide(self, approve: bool) -> None:
        if self.approval_id is None:
            return
        approval_id, comment = self.approval_id, self.comment.text()
        self.ctx.runner.write(
            lambda s: ops.decide_approval(s, approval_id, approve, comment),
            lambda _r: self.comment.clear(),
            on_error=self._refused,
            owner=self,
        )

    def _refused(self, exc: BaseException) -> None:
        show_refusal(exc, self.ctx.runner.report_error, status=self.error)


class DealPage(ReloadingScreen):
    """Stepper, lock checklist with fixes, stage moves, deal fields, files and follow-ups."""

    open_record = Signal(str, str)

    def __init__(self, ctx: AppContext, deal_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.deal_id = deal_id
        self.record_id = deal_id
        self.setObjectName("dealPage")
        self.card: ops.DealCard | None = None
        self.read_only = False
        self.lock_rows: list[LockRow] = []

        self.title = heading("", 15)
        self.customer_link = QPushButton()
        self.customer_link.setFlat(True)
        self.customer_link.setStyleSheet("color:#1565c0; text-align:left;")
        self.customer_link.clicked.connect(self._open_customer)
        self.facts = QLabel()
        self.facts.setStyleSheet("color:#616161;")
        self.stepper = StageStepper()
        self.banner = Banner()
        self.banner.setObjectName("dealBanner")
        self.decision = DecisionBox(ctx)
        self.decision.hide()
        self.conflict_marker = Banner()
        self.conflict_marker.setObjectName("conflictMarker")

        self.checklist_box = QGroupBox()
        self.checklist_layout = QVBoxLayout(self.checklist_box)
        self.advance_button = QPushButton()
        self.advance_button.setObjectName("advanceButton")
        self.advance_button.clicked.connect(self.advance)
        self.reasons = QLabel()
        self.reasons.setObjectName("advanceReasons")
        self.reasons.setWordWrap(True)
        self.reasons.setStyleSheet("color:#bf360c;")
        self.back_button = QPushButton(self.tr("Move back…"))
        self.back_button.setObjectName("backButton")
        self.back_button.clicked.connect(self.move_back)
        self.lost_button = QPushButton(self.tr("Mark lost…"))
        self.lost_button.setObjectName("lostButton")
        self.lost_button.clicked.connect(self.mark_lost)
        self.reopen_button = QPushButton(self.tr("Reopen…"))
        self.reopen_button.clicked.connect(self.reopen)
        log = QPushButton(self.tr("Log follow-up"))
        log.clicked.connect(self.log_followup)
        moves = QHBoxLayout()
        moves.addWidget(self.advance_button)
        moves.addStretch(1)
        moves.addWidget(log)
        moves.addWidget(self.back_button)
        moves.addWidget(self.lost_button)
        moves.addWidget(self.reopen_button)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.addWidget(self.checklist_box)
        # The moves and what still blocks the next stage stay in view under the checklist,
        # which scrolls on its own when the screen is short (at 1366×768 the list fell below
        # the fold).
        scroll = FitScrollArea()
        scroll.setWidget(left)
        left_column = QWidget()
        lc = QVBoxLayout(left_column)
        lc.setContentsMargins(0, 0, 0, 0)
        lc.addWidget(scroll)
        lc.addLayout(moves)
        lc.addWidget(self.reasons)
        lc.addStretch(1)

        self.form = EntityForm("deal", DEAL_FIELDS)
        self.save_button = QPushButton(self.tr("Save changes"))
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_fields)
        self.form.edited.connect(lambda: self.save_button.setEnabled(True))
        fields = QWidget()
        fl = QVBoxLayout(fields)
        fl.addWidget(self.form)
        self.fields_status = ErrorLabel()
        self.fields_status.setObjectName("dealFieldsStatus")
        fl.addWidget(self.fields_status)
        fl.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignRight)
        fl.addStretch(1)
        self.attachments: AttachmentPane | None = None
        self.timeline = QTextBrowser()
        self.tabs = QTabWidget()
        self.tabs.addTab(fields, self.tr("Deal"))
        self.tabs.addTab(QWidget(), self.tr("Attachments"))
        self.tabs.addTab(self.timeline, self.tr("Follow-ups"))

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left_column)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([620, 420])
        head = QVBoxLayout()
        head.addWidget(self.title)
        line = QHBoxLayout()
        line.addWidget(self.customer_link)
        line.addWidget(self.facts, 1)
        head.addLayout(line)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.stepper)
        layout.addWidget(self.banner)
        layout.addWidget(self.decision)
        layout.addWidget(self.conflict_marker)
        layout.addWidget(split, 1)
        self.reload()

    # ---- loading and drawing ---------------------------------------------------------------------
    def reload(self) -> None:
        did = self.deal_id
        self.ctx.runner.read(lambda s: ops.deal_card(s, did), self.show_card, owner=self)

    def write(self, fn: StoreOp, on_error: OnError | None = None) -> None:
        """Run a fix on the store worker; the page redraws on the ``changed`` that follows."""
        self.ctx.runner.write(fn, on_error=on_error, owner=self)

    def show_card(self, card: ops.DealCard) -> None:
        first = self.card is None
        self.card = card
        rules = self.ctx.rules
        r = card.record
        stage = str(r["stage"])
        self.title.setText(str(r["title"]))
        self.customer_link.setText(card.customer_name)
        self.facts.setText(
            self.tr("%1 · owner %2 · in this stage since %3")
            .replace("%1", money(r.get("amount")) or self.tr("no amount yet"))
            .replace("%2", card.owner_name)
            .replace("%3", when(r.get("stage_entered_at")))
        )
        self.stepper.show_stage(rules, stage, r.get("lost_from"))
        state = deal_page_state(card, rules, self.ctx.session)
        self.read_only = state.read_only
        nxt = state.next_stage
        self._draw_checklist(card, nxt)

        self.advance_button.setVisible(nxt is not None)
        if nxt is not None:
            template = (
                self.tr("Request approval to move to %1")
                if state.advance_asks_approval
                else self.tr("Advance to %1")
            )
            self.advance_button.setText(template.replace("%1", stage_name(rules, nxt)))
        self.advance_button.setEnabled(state.advance_enabled)
        self.reasons.setText(
            self.tr("Advance is locked until:")
            + "\n"
            + "\n".join(f"• {say(m)}" for m in state.locked_by)
            if state.locked
            else ""
        )
        self.reasons.setVisible(state.locked)
        self.back_button.setVisible(state.may_move_back)
        self.lost_button.setVisible(state.may_mark_lost)
        self.reopen_button.setVisible(state.may_reopen)
        self._draw_banner(state.banner, card)
        if card.open_conflicts:
            self.conflict_marker.show_text(
                self.tr(
                    "Open conflicts on this deal: %1. A field was changed in two places "
                    "at once; see Conflicts to keep or restore a value."
                ).replace("%1", str(card.open_conflicts)),
                "warn",
            )
        else:
            self.conflict_marker.show_text("")
        if state.may_decide and card.pending_approval is not None and nxt is not None:
            self.decision.show_request(card.pending_approval, stage_name(rules, nxt))
        self.decision.setVisible(state.may_decide)

        if first or not self.save_button.isEnabled():
            self.form.set_values(r)
            self.save_button.setEnabled(False)
        if self.attachments is None:
            self.attachments = AttachmentPane(self.ctx, str(r["customer_id"]), self.deal_id)
            self.tabs.removeTab(1)
            self.tabs.insertTab(1, self.attachments, "")
        self.attachments.show_attachments(card.attachments, card.files)
        self.tabs.setTabText(
            1, self.tr("Attachments (%1)").replace("%1", str(len(card.attachments)))
        )
        self.timeline.setHtml(
            timeline_html(self.ctx, card.timeline, self.tr("No follow-ups on this deal yet."))
        )

    def _lock_row(self, card: ops.DealCard, status: LockStatus) -> LockRow:
        row = LockRow(
            self.ctx,
            status,
            deal_id=self.deal_id,
            record=card.record,
            contacts=card.contacts,
            read_only=self.read_only,
        )
        row.write_requested.connect(self.write)
        return row

    def _draw_checklist(self, card: ops.DealCard, nxt: str | None) -> None:
        """One row per lock between the deal's stage and ``nxt`` (none in the last stage)."""
        rules = self.ctx.rules
        while self.checklist_layout.count():
            item = self.checklist_layout.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        self.lock_rows = []
        if nxt is not None:
            self.checklist_box.setTitle(
                self.tr("To move on to %1").replace("%1", stage_name(rules, nxt))
            )
            if not card.checklist.items:
                note = QLabel(self.tr("No requirements for this step."))
                note.setStyleSheet("color:#757575;")
                self.checklist_layout.addWidget(note)
            for status in card.checklist.items:
                row = self._lock_row(card, status)
                self.lock_rows.append(row)
                self.checklist_layout.addWidget(row)
        self.checklist_box.setVisible(nxt is not None)

    def _draw_banner(self, banner: DealBanner, card: ops.DealCard) -> None:
        r, rules = card.record, self.ctx.rules
        pending, decision = card.pending_approval, card.last_decision
        if banner is DealBanner.LOST:
            self.banner.show_text(
                self.tr("Lost: %1").replace(
                    "%1", say(rules.lost_reason_label(r.get("lost_reason")))
                ),
                "error",
            )
        elif banner is DealBanner.WAITING and pending is not None:
            asked = str(pending.get("reason") or "").strip()
            self.banner.show_text(
                self.tr("Waiting for the team lead's approval to move to %1 (requested %2).")
                .replace("%1", stage_name(rules, card.next_stage))
                .replace("%2", when(pending.get("requested_at")))
                + (" " + self.tr("Note: %1").replace("%1", asked) if asked else ""),
                "warn",
            )
        elif banner is DealBanner.REJECTED and decision is not None:
            self.banner.show_text(self._verdict(decision, r), "error")
        elif banner is DealBanner.SIGNED:
            self.banner.show_text(self.tr("Signed. Handover is complete."), "ok")
        elif banner is DealBanner.APPROVED:
            self.banner.show_text(self.tr("Approved by the team lead: you may advance."), "ok")
        elif banner is DealBanner.DECIDED and decision is not None:
            self.banner.show_text(self._verdict(decision, r), "ok")
        else:
            self.banner.show_text("")

    def _verdict(self, decision: dict[str, Any], record: dict[str, Any]) -> str:
        """The team lead's decision on this deal, as its requester reads it."""
        msg = approval_outcome_message(
            str(record["title"]),
            self.ctx.rules.stage_label(str(decision["to_stage"])),
            decision["status"] == "approved",
            decision.get("decided_by_name"),
            decision.get("comment"),
        )
        return say(msg) + " (" + when(decision.get("decided_at")) + ")"

    def on_changed(self, changes: list[Change]) -> None:
        relevant = any(
            c.record_id == self.deal_id
            # Tasks too: a ``task_done`` lock turns green when its task is done elsewhere.
            or c.entity
            in ("attachment", "approval", "contact", "followup", "conflict", "sync", "task")
            for c in changes
        )
        if relevant:
            self.reload_when_seen()

    # ---- moves -----------------------------------------------------------------------------------
    def advance(self) -> None:
        """Move one stage on; a refusal lists every missing lock, a gated move asks the lead
        (with a note the rep writes in a dialog)."""
        card, rules = self.card, self.ctx.rules
        if card is not None and card.next_stage is not None and not card.approved_next:
            stage = str(card.record["stage"])
            if (stage, card.next_stage) in rules.approval_gates and not card.checklist.missing:
                dialog = ApprovalRequestDialog(
                    self.ctx, self.deal_id, stage_name(rules, card.next_stage), self
                )
                dialog.open()
                self.request_dialog = dialog
                return
        did = self.deal_id
        self.ctx.runner.write(
            lambda s: ops.advance_deal(s, did),
            self._advanced,
            on_error=self._advance_refused,
            owner=self,
            label=self.tr("Moving the deal"),
        )

    def _advanced(self, decision: Any) -> None:
        if decision.needs_approval and not decision.allowed:
            self.banner.show_text(
                self.tr(
                    "Approval requested. The deal moves on once the team lead approves; "
                    "the request is sent with the next sync."
                ),
                "warn",
            )

    def _advance_refused(self, exc: BaseException) -> None:
        if isinstance(exc, MoveRefused):
            problems: list[Msg] = [p.message for p in exc.decision.problems]
            self.reasons.setText(
                self.tr("Cannot advance yet:") + "\n" + "\n".join(f"• {say(m)}" for m in problems)
            )
            self.reasons.show()
            return
        self.ctx.runner.report_error(exc)

    def move_back(self, target: str | None = None) -> None:
        if self.card is None:
            return
        rules = self.ctx.rules
        stage = str(self.card.record["stage"])
        earlier = [(k, stage_name(rules, k)) for k in rules.stage_keys[: rules.index(stage)]]
        earlier.reverse()
        dialog = MoveDialog(
            self.ctx,
            self.deal_id,
            self.tr("Move the deal back"),
            self.tr("Moving back is allowed with a reason; it is kept in the history."),
            earlier,
            self,
        )
        if target is not None:
            dialog.target.setCurrentIndex(max(0, dialog.target.findData(target)))
        dialog.open()
        self.move_dialog = dialog

    def mark_lost(self) -> None:
        dialog = MoveDialog(
            self.ctx,
            self.deal_id,
            self.tr("Mark the deal lost"),
            self.tr("Say why the deal was lost (budget, competitor, project cancelled…)."),
            [(LOST, stage_name(self.ctx.rules, LOST))],
            self,
        )
        dialog.open()
        self.move_dialog = dialog

    def reopen(self) -> None:
        if self.card is None:
            return
        rules = self.ctx.rules
        limit = self.card.record.get("lost_from")
        keys = rules.stage_keys
        upto = rules.index(limit) if limit in keys else len(keys) - 2
        dialog = MoveDialog(
            self.ctx,
            self.deal_id,
            self.tr("Reopen the deal"),
            self.tr("A reopened deal returns to the stage it was lost in, or an earlier one."),
            [(k, stage_name(rules, k)) for k in keys[: upto + 1]],
            self,
        )
        dialog.open()
        self.move_dialog = dialog

    # ---- other actions ---------------------------------------------------------------------------
    def save_fields(self) -> None:
        if self.card is None:
            return
        changes = self.form.changes(self.card.record)
        if not changes or self.form.check_all(partial=True):
            return
        did = self.deal_id
        self.ctx.runner.write(
            lambda s: ops.update_record(s, "deal", did, changes),
            self._fields_saved,
            on_error=self._fields_refused,
            owner=self,
        )

    def _fields_saved(self, _diff: Any) -> None:
        self.save_button.setEnabled(False)
        self.fields_status.show_message(None)

    def _fields_refused(self, exc: BaseException) -> None:
        show_refusal(exc, self.ctx.runner.report_error, form=self.form, status=self.fields_status)

    def log_followup(self) -> None:
        if self.card is None:
            return
        r = self.card.record
        FollowUpForm(
            self.ctx,
            str(r["customer_id"]),
            customer_name=self.card.customer_name,
            deals=[(self.deal_id, str(r["title"]))],
            deal_id=self.deal_id,
            parent=self,
        ).open()

    def _open_customer(self) -> None:
        if self.card is not None:
            self.open_record.emit("customer", str(self.card.record["customer_id"]))

    def lock_row(self, key: str) -> LockRow | None:
        return next((r for r in self.lock_rows if r.status.lock.key == key), None)
