"""Capture from paper (SPEC O1–O3): business cards into contacts, contracts into deals.

OCR runs on its own lane ("ocr"), never on the GUI thread or the store's, reports progress and
can be cancelled. The user always confirms: every read value lands in an editable field, fields
read with low confidence are highlighted, and for cards the duplicate check (C1) runs against
the local customers and contacts before anything is saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.domain.messages import Msg
from app.domain.text import same_company
from app.ocr.results import CARD_FIELDS, CONTRACT_FIELDS
from app.store.capture import CONTRACT_DEAL_FIELDS
from app.store.duplicates import DuplicateHit
from app.views import operations as ops
from app.views.context import AppContext
from app.views.errors import show_refusal
from app.views.i18n import say
from app.views.widgets import Banner, ErrorLabel, field_label, money

LOW_CONFIDENCE = 0.8
LOW_STYLE = "QLineEdit { background: #fff4ce; border: 1px solid #e0a800; }"
_CARD_LABELS = {
    "name": ("contact", "name"),
    "title": ("contact", "title"),
    "company": ("customer", "name"),
    "mobile": ("contact", "mobile"),
    "phone": ("contact", "phone"),
    "email": ("contact", "email"),
    "website": ("customer", "website"),
    "address": ("customer", "address"),
    "wechat": ("contact", "wechat"),
}


def ocr_error_message(exc: BaseException) -> Msg:
    """The bilingual message of an OCR failure (missing engine, unreadable file…)."""
    msg = getattr(exc, "msg", None)
    if isinstance(msg, Msg):
        return msg
    return Msg("无法识别该文件:{e}", "Could not read the file: {e}").format(e=exc)


def show_engine_notice(banner: Banner, result: Any) -> None:
    """Say (once per process: the result carries it only then) that Tesseract read because
    PP-OCR could not be loaded."""
    notice = getattr(result, "notice", None)
    if isinstance(notice, Msg):
        banner.show_text(say(notice), "warn")


class ReadForm(QWidget):
    """Editable fields pre-filled from OCR, low-confidence ones highlighted."""

    edited = Signal()

    def __init__(
        self, names: tuple[str, ...], labels: dict[str, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, ErrorLabel] = {}
        form = QFormLayout(self)
        for name in names:
            edit = QLineEdit()
            edit.setObjectName(f"field_{name}")
            edit.textEdited.connect(lambda _t, e=edit: e.setStyleSheet(""))
            edit.textEdited.connect(lambda _t: self.edited.emit())
            error = ErrorLabel()
            box = QWidget()
            inner = QVBoxLayout(box)
            inner.setContentsMargins(0, 0, 0, 0)
            inner.setSpacing(2)
            inner.addWidget(edit)
            inner.addWidget(error)
            form.addRow(labels.get(name, name), box)
            self.edits[name], self.errors[name] = edit, error

    def fill(self, fields: dict[str, Any]) -> None:
        for name, edit in self.edits.items():
            found = fields.get(name)
            value = getattr(found, "value", None) if found is not None else None
            confidence = float(getattr(found, "confidence", 1.0)) if found is not None else 0.0
            edit.setText(value or "")
            low = value is not None and confidence < LOW_CONFIDENCE
            edit.setStyleSheet(LOW_STYLE if low else "")
            edit.setToolTip(
                self.tr("Read with %n% confidence: please check", "", round(confidence * 100))
                if low
                else ""
            )
            self.errors[name].show_message(None)

    def values(self) -> dict[str, str | None]:
        return {k: (e.text().strip() or None) for k, e in self.edits.items()}

    def show_errors(self, errors: dict[str, Msg]) -> None:
        for name, label in self.errors.items():
            label.show_message(errors.get(name))

    def low_confidence(self) -> list[str]:
        return [k for k, e in self.edits.items() if e.styleSheet() == LOW_STYLE]


def _intact_image(path: Path) -> bool:
    """Whether Pillow can read the whole file (Qt would print warnings for a broken one)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return False
    return True


class Preview(QScrollArea):
    """The scanned image, scaled to the pane's width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWidget(self.label)
        self.setWidgetResizable(True)
        # The image is scaled to the pane's width; only tall pages need a scroll bar.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(420)

    def show_file(self, path: Path) -> None:
        pixmap = QPixmap(str(path)) if _intact_image(path) else QPixmap()
        if pixmap.isNull():
            self.label.setText(self.tr("(no preview for this file)"))
            return
        self.label.setPixmap(
            pixmap.scaledToWidth(
                max(200, self.viewport().width() - 8), Qt.TransformationMode.SmoothTransformation
            )
        )


class CardCaptureDialog(QDialog):
    """Read a stack of business cards one by one: check, confirm, save (or skip)."""

    saved = Signal(str)  # contact id

    def __init__(self, ctx: AppContext, files: list[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.files = list(files)
        self.index = -1
        self.hits: list[DuplicateHit] = []
        self.task: Any = None
        self.read_by = ""  # the engine that read the card shown
        self.setObjectName("cardCapture")
        self.setWindowTitle(self.tr("Scan business cards"))
        self.resize(1080, 640)

        self.preview = Preview()
        labels = {k: field_label(*_CARD_LABELS[k]) for k in CARD_FIELDS}
        labels["company"] = self.tr("Company")
        labels["name"] = self.tr("Name")
        self.form = ReadForm(CARD_FIELDS, labels)
        self.form.edited.connect(self._schedule_duplicates)
        self.target = QComboBox()
        self.target.setObjectName("cardTarget")
        self.dupes = QListWidget()
        self.dupes.setObjectName("duplicates")
        self.dupes.setMaximumHeight(110)
        self.dupes_title = QLabel(self.tr("Possible duplicates"))
        self.dupes_title.setStyleSheet("color:#b45309; font-weight:bold;")
        self.status = QLabel()
        self.status.setObjectName("captureStatus")
        self.problem = ErrorLabel()
        self.engine_notice = Banner()
        self.engine_notice.setObjectName("engineNotice")
        self.counter = QLabel()
        self.cancel_read = QPushButton(self.tr("Stop reading"))
        self.cancel_read.clicked.connect(self._cancel_read)
        self.cancel_read.hide()

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            self.tr("Save contact"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("saveCard")
        self.skip_button = self.buttons.addButton(
            self.tr("Skip card"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.save_button.clicked.connect(self.save)
        self.skip_button.clicked.connect(self.next_card)
        self.buttons.rejected.connect(self.reject)

        right = QVBoxLayout()
        right.addWidget(self.engine_notice)
        right.addWidget(self.counter)
        right.addWidget(self.form)
        save_to = QHBoxLayout()
        save_to.addWidget(QLabel(self.tr("Save to")))
        save_to.addWidget(self.target, 1)
        right.addLayout(save_to)
        right.addWidget(self.dupes_title)
        right.addWidget(self.dupes)
        right.addWidget(self.problem)
        right.addStretch(1)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.cancel_read)
        right.addLayout(status_row)
        right.addWidget(self.buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addLayout(right, 1)

        self._dupe_timer = QTimer(self)
        self._dupe_timer.setSingleShot(True)
        self._dupe_timer.setInterval(250)
        self._dupe_timer.timeout.connect(self._check_duplicates)
        self.next_card()

    # ---- reading ---------------------------------------------------------------------------
    def next_card(self) -> None:
        self.index += 1
        if self.index >= len(self.files):
            self.accept()
            return
        path = self.files[self.index]
        self.counter.setText(
            self.tr("Card %1 of %2: %3")
            .replace("%1", str(self.index + 1))
            .replace("%2", str(len(self.files)))
            .replace("%3", path.name)
        )
        self.preview.show_file(path)
        self.form.fill({})
        self._set_hits([])
        self.problem.show_message(None)
        self.save_button.setEnabled(False)
        self.status.setText(self.tr("Reading the card…"))
        self.cancel_read.show()

        languages = self.ctx.config.ocr_languages
        engine = self.ctx.config.ocr_engine

        def read(progress: Any, cancelled: Any) -> Any:
            from app.ocr import read_card

            return read_card(
                path, languages=languages, engine=engine, cancel=cancelled, progress=progress
            )

        self.task = self.ctx.runner.background(
            "ocr",
            read,
            self._have_card,
            on_error=self._read_failed,
            on_progress=self._progress,
            owner=self,
            label=self.tr("Reading the card"),
        )

    def _progress(self, value: Any) -> None:
        stage = getattr(value, "stage", "")
        done, total = getattr(value, "done", 0), getattr(value, "total", 0)
        suffix = f" ({done}/{total})" if total else ""
        self.status.setText(self.tr("Reading the card…") + (f" {stage}{suffix}" if stage else ""))

    def _cancel_read(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _have_card(self, result: Any) -> None:
        self.cancel_read.hide()
        show_engine_notice(self.engine_notice, result)
        self.read_by = str(getattr(result, "engine", ""))
        self.form.fill(result.fields)
        low = self.form.low_confidence()
        self.status.setText(
            self.tr("Check the highlighted fields, then save.")
            if low
            else self.tr("Read. Check the fields, then save.")
        )
        self.save_button.setEnabled(True)
        self._check_duplicates()

    def _read_failed(self, exc: BaseException) -> None:
        self.cancel_read.hide()
        self.status.setText("")
        self.problem.show_message(ocr_error_message(exc))
        # Typing the card in is still possible: the image stays beside the form.
        self.save_button.setEnabled(True)

    # ---- duplicates ----------------------------------------------------------------------------
    def _schedule_duplicates(self) -> None:
        self._dupe_timer.start()

    def _check_duplicates(self) -> None:
        v = self.form.values()
        self.ctx.runner.read(
            lambda store: ops.card_duplicates(store, v),
            self._set_hits,
            owner=self,
        )

    def _set_hits(self, hits: list[DuplicateHit]) -> None:
        self.hits = hits
        self.dupes.clear()
        for h in hits:
            self.dupes.addItem(f"{h.label} — {say(h.reason)}")
        self.dupes.setVisible(bool(hits))
        self.dupes_title.setVisible(bool(hits))
        current = self.target.currentData()
        self.target.clear()
        company = self.form.values().get("company") or ""
        self.target.addItem(self.tr("New customer: %1").replace("%1", company), None)
        seen: set[str] = set()
        for h in hits:
            if h.customer_id not in seen:
                seen.add(h.customer_id)
                name = h.label.split(" · ")[-1]
                self.target.addItem(
                    self.tr("Existing customer: %1").replace("%1", name), h.customer_id
                )
        # A sure match (same credit code, mobile, e-mail or name) preselects that customer.
        exact = next((h.customer_id for h in hits if h.exact), None)
        pick = current if current in seen else exact
        if pick is not None:
            self.target.setCurrentIndex(max(0, self.target.findData(pick)))

    # ---- saving ----------------------------------------------------------------------------
    def save(self) -> None:
        values = self.form.values()
        customer_id = self.target.currentData()
        path = self.files[self.index]
        self.save_button.setEnabled(False)
        self.ctx.runner.write(
            lambda store: ops.save_card(store, values, path, customer_id),
            self._saved,
            on_error=self._refused,
            owner=self,
            label=self.tr("Saving the contact"),
        )

    def _saved(self, result: Any) -> None:
        self.saved.emit(result.contact_id)
        self.next_card()

    def _refused(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        show_refusal(exc, self.ctx.runner.report_error, form=self.form)


class ContractForm(QWidget):
    """Each value read from a contract beside the deal's value now, with a tick per deal field:
    only ticked fields change. The parties are checked against the deal's customer."""

    edited = Signal()

    def __init__(self, labels: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self.current: dict[str, QLabel] = {}
        self.ticks: dict[str, QCheckBox] = {}
        self.now: dict[str, Any] = {}
        self.customer_name = ""
        grid = QGridLayout(self)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 2)
        for col, text in enumerate(
            ("", self.tr("Read from the contract"), self.tr("On the deal now"), self.tr("Change"))
        ):
            head = QLabel(f"<b>{text}</b>")
            grid.addWidget(head, 0, col)
        for row, name in enumerate(CONTRACT_FIELDS, start=1):
            edit = QLineEdit()
            edit.setObjectName(f"field_{name}")
            edit.textEdited.connect(lambda _t, e=edit: e.setStyleSheet(""))
            edit.textEdited.connect(lambda _t, n=name: self._typed(n))
            error = ErrorLabel()
            box = QWidget()
            inner = QVBoxLayout(box)
            inner.setContentsMargins(0, 0, 0, 0)
            inner.setSpacing(2)
            inner.addWidget(edit)
            inner.addWidget(error)
            now = QLabel()
            now.setObjectName(f"now_{name}")
            now.setWordWrap(True)
            grid.addWidget(QLabel(labels.get(name, name)), row, 0)
            grid.addWidget(box, row, 1)
            grid.addWidget(now, row, 2)
            if name in CONTRACT_DEAL_FIELDS:
                tick = QCheckBox()
                tick.setObjectName(f"apply_{name}")
                tick.setToolTip(self.tr("Tick to write the read value into the deal"))
                grid.addWidget(tick, row, 3)
                self.ticks[name] = tick
            self.edits[name], self.errors[name], self.current[name] = edit, error, now

    def compare(self, current: dict[str, Any], customer_name: str) -> None:
        """Show the deal's values and its customer beside what was read."""
        self.now, self.customer_name = current, customer_name
        for name in CONTRACT_DEAL_FIELDS:
            value = current.get(name)
            text = money(value) if name == "amount" and value is not None else value
            self.current[name].setText(str(text) if text not in (None, "") else self.tr("(empty)"))
        self.check_parties()
        self._default_ticks()

    def fill(self, fields: dict[str, Any]) -> None:
        for name, edit in self.edits.items():
            found = fields.get(name)
            value = getattr(found, "value", None) if found is not None else None
            confidence = float(getattr(found, "confidence", 1.0)) if found is not None else 0.0
            edit.setText(value or "")
            low = value is not None and confidence < LOW_CONFIDENCE
            edit.setStyleSheet(LOW_STYLE if low else "")
            edit.setToolTip(
                self.tr("Read with %n% confidence: please check", "", round(confidence * 100))
                if low
                else ""
            )
            self.errors[name].show_message(None)
        self.check_parties()
        self._default_ticks()

    def customer_side(self) -> str | None:
        """ "party_a" or "party_b" when that party is the deal's customer, else None."""
        for name in ("party_a", "party_b"):
            if same_company(self.edits[name].text(), self.customer_name):
                return name
        return None

    def parties_read(self) -> bool:
        return any(self.edits[n].text().strip() for n in ("party_a", "party_b"))

    def check_parties(self) -> None:
        side = self.customer_side()
        for name in ("party_a", "party_b"):
            label = self.current[name]
            if not self.customer_name:
                label.setText("")
            elif side == name:
                label.setText("✔ " + self.tr("the deal's customer"))
                label.setStyleSheet("color:#2e7d32;")
            elif side is None and self.edits[name].text().strip():
                label.setText(
                    "⚠ " + self.tr("not the deal's customer (%1)").replace("%1", self.customer_name)
                )
                label.setStyleSheet("color:#c62828;")
            else:
                label.setText("")
                label.setStyleSheet("")

    def _default_ticks(self) -> None:
        """Tick a field only when it fills an empty deal field from the right contract; a value
        the deal already has is replaced only if the user ticks it."""
        trusted = self.customer_side() is not None or not self.parties_read()
        for name, tick in self.ticks.items():
            read = self.edits[name].text().strip()
            now = self.now.get(name)
            same = bool(read) and _same_value(name, read, now)
            tick.setEnabled(bool(read) and not same)
            tick.setChecked(bool(read) and not same and now in (None, "") and trusted)

    def _typed(self, name: str) -> None:
        if name in ("party_a", "party_b"):
            self.check_parties()
        elif name in self.ticks:
            tick = self.ticks[name]
            read = self.edits[name].text().strip()
            tick.setEnabled(bool(read))
            tick.setChecked(bool(read))  # typing a correction means "use this"
        self.edited.emit()

    def ticked(self) -> list[str]:
        return [n for n, t in self.ticks.items() if t.isChecked() and t.isEnabled()]

    def values(self) -> dict[str, str | None]:
        return {k: (e.text().strip() or None) for k, e in self.edits.items()}

    def show_errors(self, errors: dict[str, Msg]) -> None:
        for name, label in self.errors.items():
            label.show_message(errors.get(name))

    def low_confidence(self) -> list[str]:
        return [k for k, e in self.edits.items() if e.styleSheet() == LOW_STYLE]


def _same_value(name: str, read: str, now: Any) -> bool:
    if now in (None, ""):
        return False
    if name == "amount":
        try:
            return float(read.replace(",", "")) == float(now)
        except ValueError:
            return False
    return read == str(now)


class ContractDialog(QDialog):
    """Read a contract for a deal; show each read value beside the deal's, flag a contract
    whose parties do not include the deal's customer, attach it and change the ticked fields."""

    applied = Signal(str)  # attachment id

    def __init__(
        self, ctx: AppContext, deal_id: str, file: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.deal_id = deal_id
        self.file = file
        self.task: Any = None
        self.setObjectName("contractDialog")
        self.setWindowTitle(self.tr("Read contract"))
        self.resize(1100, 620)
        self.preview = Preview()
        labels = {
            "contract_no": field_label("deal", "contract_no"),
            "party_a": self.tr("Party A (甲方)"),
            "party_b": self.tr("Party B (乙方)"),
            "amount": field_label("deal", "amount"),
            "signed_on": field_label("deal", "signed_on"),
            "expires_on": field_label("deal", "expires_on"),
        }
        self.form = ContractForm(labels)
        self.form.edited.connect(self._check_parties)
        self.party_warning = Banner()
        self.party_warning.setObjectName("contractPartyWarning")
        self.engine_notice = Banner()
        self.engine_notice.setObjectName("engineNotice")
        self.status = QLabel(self.tr("Reading the contract…"))
        self.status.setWordWrap(True)
        self.problem = ErrorLabel()
        self.buttons = QDialogButtonBox()
        self.apply_button = self.buttons.addButton(
            self.tr("Attach and change ticked fields"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.apply_button.setObjectName("applyContract")
        self.apply_button.setEnabled(False)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self._cancel)
        right = QVBoxLayout()
        right.addWidget(QLabel(file.name))
        right.addWidget(self.engine_notice)
        right.addWidget(self.party_warning)
        right.addWidget(self.form)
        right.addWidget(self.problem)
        right.addStretch(1)
        right.addWidget(self.status)
        right.addWidget(self.buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.preview, 2)
        layout.addLayout(right, 3)
        self.preview.show_file(file)
        ctx.runner.read(lambda s: ops.contract_target(s, deal_id), self._have_deal, owner=self)

        languages = ctx.config.ocr_languages
        engine = ctx.config.ocr_engine

        def read(progress: Any, cancelled: Any) -> Any:
            from app.ocr import read_contract

            return read_contract(
                file, languages=languages, engine=engine, cancel=cancelled, progress=progress
            )

        self.task = ctx.runner.background(
            "ocr",
            read,
            self._have,
            on_error=self._failed,
            owner=self,
            label=self.tr("Reading the contract"),
        )

    def _have_deal(self, target: ops.ContractTarget) -> None:
        self.form.compare(target.current, target.customer_name)
        self._check_parties()

    def _have(self, result: Any) -> None:
        show_engine_notice(self.engine_notice, result)
        self.form.fill(result.fields)
        self._check_parties()
        self.status.setText(
            self.tr(
                "Check the read values (highlighted ones especially) against the deal's; only "
                "ticked fields change."
            )
        )
        self.apply_button.setEnabled(True)

    def _check_parties(self) -> None:
        form = self.form
        if form.customer_name and form.parties_read() and form.customer_side() is None:
            self.party_warning.show_text(
                self.tr(
                    "Neither party of this contract is the deal's customer %1. Is it the right "
                    "contract? Nothing is ticked: tick only what should change."
                ).replace("%1", form.customer_name),
                "error",
            )
        else:
            self.party_warning.show_text("")

    def _failed(self, exc: BaseException) -> None:
        self.status.setText("")
        self.problem.show_message(ocr_error_message(exc))
        self.apply_button.setEnabled(True)  # the fields can be typed from the preview

    def _cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.reject()

    def apply(self) -> None:
        values = self.form.values()
        ticked = self.form.ticked()
        deal_id, file = self.deal_id, self.file
        self.apply_button.setEnabled(False)
        self.ctx.runner.write(
            lambda store: ops.apply_contract(store, deal_id, values, file, ticked),
            self._applied,
            on_error=self._refused,
            owner=self,
            label=self.tr("Attaching the contract"),
        )

    def _applied(self, attachment_id: str) -> None:
        self.applied.emit(attachment_id)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.apply_button.setEnabled(True)
        show_refusal(exc, self.ctx.runner.report_error, form=self.form)
