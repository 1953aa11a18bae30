"""A lead's page and the team pool (SPEC L1–L5): score and why, who it went to and why, the
response deadline ticking down, and the pool (公海) with its claims.

The acts themselves (accept, convert, log the first contact) belong to the Leads screen, which
both its table and this page call, so they behave the same from either place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.messages import Msg
from app.store.duplicates import DuplicateHit
from app.sync.errors import NotSignedIn, Offline, ServerTrouble, SessionExpired
from app.views import operations as ops
from app.views.context import AppContext
from app.views.duplicates import hit_text
from app.views.errors import known_message
from app.views.i18n import say
from app.views.widgets import ErrorLabel, fill_table, heading, make_table, selected_id, when

OVERDUE = "#c62828"
SOON = "#e65100"


def countdown(due: str | None, now: datetime, *, seconds: bool = False) -> tuple[str, str | None]:
    """The time left to respond, as text and a colour (None: no colour). With ``seconds`` the
    last hour counts down as mm:ss (the lead's page); the table shows minutes."""
    if not due:
        return "", None
    moment = datetime.fromisoformat(due)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    left = int((moment - now).total_seconds())
    minutes = left // 60
    if left < 0:
        return QCoreApplication.translate("Leads", "overdue by %1 min").replace(
            "%1", str(max(1, -left // 60))
        ), OVERDUE
    if seconds and left < 3600:
        text = QCoreApplication.translate("Leads", "%1 left").replace(
            "%1", f"{minutes:02d}:{left % 60:02d}"
        )
        return text, SOON
    if minutes < 120:
        return QCoreApplication.translate("Leads", "%1 min").replace("%1", str(minutes)), SOON
    return QCoreApplication.translate("Leads", "%1 h %2 min").replace(
        "%1", str(minutes // 60)
    ).replace("%2", str(minutes % 60)), (None)


def status_name(status: str | None) -> str:
    names = {
        "new": QCoreApplication.translate("Leads", "New"),
        "assigned": QCoreApplication.translate("Leads", "Assigned"),
        "accepted": QCoreApplication.translate("Leads", "Accepted"),
        "contacted": QCoreApplication.translate("Leads", "Contacted"),
        "pooled": QCoreApplication.translate("Leads", "In shared pool"),
        "converted": QCoreApplication.translate("Leads", "Converted"),
        "discarded": QCoreApplication.translate("Leads", "Discarded"),
    }
    return names.get(status or "new", status or "")


def channel_name(channel: str | None) -> str:
    names = {
        "web_form": QCoreApplication.translate("Leads", "Web form"),
        "douyin": QCoreApplication.translate("Leads", "Douyin"),
        "wechat": QCoreApplication.translate("Leads", "WeChat"),
        "trade_show": QCoreApplication.translate("Leads", "Trade show"),
        "import": QCoreApplication.translate("Leads", "Import"),
        "referral": QCoreApplication.translate("Leads", "Referral"),
        "other": QCoreApplication.translate("Leads", "Other"),
    }
    return names.get(channel or "", channel or "")


class LeadActions(Protocol):
    """What the lead page asks of the screen that opened it (the Leads screen)."""

    def accept_lead(self, lead_id: str, contacted: bool) -> None: ...
    def log_first_contact(self, lead_id: str) -> None: ...
    def convert(self, lead_id: str) -> None: ...


class LeadDialog(QDialog):
    """One lead: contact facts, score and its reasons, why it was assigned, the deadline."""

    def __init__(
        self,
        ctx: AppContext,
        actions: LeadActions,
        lead_id: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.acts, self.lead_id = ctx, actions, lead_id
        self.detail: ops.LeadDetail | None = None
        self.setObjectName("leadDialog")
        self.setWindowTitle(self.tr("Lead"))
        self.resize(900, 620)
        self.title = heading("")
        self.title.setObjectName("leadTitle")
        self.facts = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for key, label in (
            ("company", self.tr("Company")),
            ("title", self.tr("Job title")),
            ("mobile", self.tr("Mobile")),
            ("email", self.tr("E-mail")),
            ("channel", self.tr("Channel")),
            ("status", self.tr("Status")),
            ("owner", self.tr("Owner")),
            ("assigned_at", self.tr("Assigned at")),
            ("response_due", self.tr("Respond by")),
        ):
            value = QLabel()
            value.setObjectName(f"lead_{key}")
            value.setTextInteractionFlags(value.textInteractionFlags())
            self.values[key] = value
            self.facts.addRow(label, value)
        self.countdown = QLabel()
        self.countdown.setObjectName("leadCountdown")
        self.countdown.setStyleSheet("font-size:14pt; font-weight:bold;")
        self.facts.addRow(self.tr("Time left"), self.countdown)

        self.score = QLabel()
        self.score.setObjectName("leadScore")
        self.factors = make_table([self.tr("Factor"), self.tr("Value"), self.tr("Points")])
        self.factors.setObjectName("scoreFactors")
        _fit_columns(self.factors)
        score_box = QGroupBox(self.tr("Score"))
        score_layout = QVBoxLayout(score_box)
        score_layout.addWidget(self.score)
        score_layout.addWidget(self.factors)

        self.why = QLabel()
        self.why.setObjectName("assignmentWhy")
        self.why.setWordWrap(True)
        self.candidates = make_table(
            [
                self.tr("Rep"),
                self.tr("Response speed"),
                self.tr("Conversion"),
                self.tr("Load health"),
                self.tr("Weight"),
            ]
        )
        self.candidates.setObjectName("assignmentCandidates")
        _fit_columns(self.candidates)
        why_box = QGroupBox(self.tr("Why assigned"))
        why_layout = QVBoxLayout(why_box)
        why_layout.addWidget(self.why)
        why_layout.addWidget(self.candidates)

        self.accept_button = QPushButton(self.tr("Accept"))
        self.accept_button.setObjectName("leadAccept")
        self.accept_button.clicked.connect(lambda: self.acts.accept_lead(self.lead_id, False))
        self.contacted_button = QPushButton(self.tr("Mark contacted"))
        self.contacted_button.setObjectName("leadContacted")
        self.contacted_button.clicked.connect(lambda: self.acts.accept_lead(self.lead_id, True))
        self.log_button = QPushButton(self.tr("Log first contact"))
        self.log_button.setObjectName("leadLogContact")
        self.log_button.clicked.connect(lambda: self.acts.log_first_contact(self.lead_id))
        self.convert_button = QPushButton(self.tr("Convert to customer"))
        self.convert_button.setObjectName("leadConvert")
        self.convert_button.clicked.connect(lambda: self.acts.convert(self.lead_id))
        self.note = QLabel()
        self.note.setObjectName("leadNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color:#1565c0;")
        buttons = QHBoxLayout()
        for b in (
            self.accept_button,
            self.contacted_button,
            self.log_button,
            self.convert_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.close)
        buttons.addWidget(close)

        top = QHBoxLayout()
        facts = QWidget()
        facts.setLayout(self.facts)
        top.addWidget(facts, 2)
        top.addWidget(score_box, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(top)
        layout.addWidget(why_box, 1)
        layout.addWidget(self.note)
        layout.addLayout(buttons)

        # The deadline counts down by the second while the page is open.
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.refresh_countdown)
        self.ticker.start()
        self.reload()

    def reload(self) -> None:
        self.ctx.runner.read(
            lambda s: ops.lead_detail(s, self.lead_id), self.show_detail, owner=self
        )

    def show_note(self, text: str) -> None:
        self.note.setText(text)

    def show_detail(self, detail: ops.LeadDetail) -> None:
        self.detail = detail
        lead = detail.lead
        company = lead.get("company") or ""
        self.title.setText(f"{lead['name']}  {company}".strip())
        status = status_name(lead.get("status"))
        if detail.pending:
            status += self.tr(" (not sent yet)")
        texts = {
            "company": company,
            "title": lead.get("title") or "",
            "mobile": lead.get("mobile") or "",
            "email": lead.get("email") or "",
            "channel": channel_name(lead.get("channel")),
            "status": status,
            "owner": detail.owner_name or self.tr("Not assigned yet"),
            "assigned_at": when(lead.get("assigned_at")),
            "response_due": when(lead.get("response_due")),
        }
        for key, text in texts.items():
            self.values[key].setText(text)
        score = lead.get("score")
        reasons = lead.get("score_reasons") or {}
        high = isinstance(reasons, dict) and reasons.get("high_intent")
        self.score.setText(
            self.tr("Score %1").replace("%1", "-" if score is None else str(score))
            + ("  " + self.tr("High intent") if high else "")
        )
        fill_table(
            self.factors,
            [[_label(f), _factor_value(f), f.get("points")] for f in detail.factors],
        )
        self._show_assignment(detail.assignment)
        closed = lead.get("status") in ("converted", "discarded")
        done = lead.get("status") in ("accepted", "contacted") or closed
        session = self.ctx.session
        mine = not session.known or lead.get("owner") == session.user_id
        self.accept_button.setEnabled(mine and not done)
        self.contacted_button.setEnabled(mine and lead.get("status") != "contacted" and not closed)
        self.convert_button.setEnabled(not lead.get("customer_id"))
        self.refresh_countdown()

    def _show_assignment(self, why: dict[str, Any] | None) -> None:
        if not why:
            self.why.setText(self.tr("Not assigned by the server (imported or created by hand)."))
            fill_table(self.candidates, [])
            return
        candidates = list(why.get("candidates") or [])
        names = {
            # The directory's display name; the server's note has the login name.
            c["user_id"]: _known(self.ctx.user_name(c["user_id"]), c)
            for c in (*candidates, *(why.get("skipped") or []))
        }
        chosen = why.get("chosen")
        if chosen:
            text = self.tr(
                "Chosen: %1, by weighted choice among %n eligible rep(s).", "", len(candidates)
            ).replace("%1", names.get(chosen, chosen))
        else:
            text = self.tr("Waiting: no rep of the team could take it.")
        reasons = {
            "disabled": self.tr("disabled"),
            "on_leave": self.tr("on leave"),
            "at_cap": self.tr("at the customer cap"),
        }
        skipped = [
            f"{names.get(s['user_id'], s['user_id'])} ({reasons.get(s['reason'], s['reason'])})"
            for s in why.get("skipped") or []
        ]
        if skipped:
            text += " " + self.tr("Skipped: %1.").replace("%1", ", ".join(skipped))
        self.why.setText(text)
        fill_table(
            self.candidates,
            [
                [
                    ("★ " if c["user_id"] == chosen else "") + names[c["user_id"]],
                    f"{c.get('speed', 0):.2f}",
                    f"{c.get('conversion', 0):.2f}",
                    f"{c.get('load_health', 0):.2f}",
                    f"{c.get('weight', 0):.2f}",
                ]
                for c in candidates
            ],
        )

    def refresh_countdown(self) -> None:
        """Redraw the time left from the context's clock (the ticker calls this)."""
        lead = self.detail.lead if self.detail else {}
        if lead.get("status") in ("accepted", "contacted", "converted", "discarded"):
            self.countdown.setText(self.tr("Responded"))
            self.countdown.setStyleSheet("font-size:14pt; font-weight:bold; color:#2e7d32;")
            return
        text, colour = countdown(lead.get("response_due"), self.ctx.clock(), seconds=True)
        self.countdown.setText(text or self.tr("No deadline"))
        self.countdown.setStyleSheet(
            "font-size:14pt; font-weight:bold;" + (f" color:{colour};" if colour else "")
        )

    def closeEvent(self, event: Any) -> None:
        self.ticker.stop()
        super().closeEvent(event)


def _fit_columns(table: QTableWidget) -> None:
    """The first column takes the room left; the others fit their contents (no scrolling)."""
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)


def _known(display: str, part: dict[str, Any]) -> str:
    return display if display != part["user_id"] else str(part.get("name") or display)


def _label(factor: dict[str, Any]) -> str:
    label = factor.get("label")
    if isinstance(label, dict):
        return say(Msg(str(label.get("zh", "")), str(label.get("en", ""))))
    return str(factor.get("factor") or "")


def _factor_value(factor: dict[str, Any]) -> str:
    value = factor.get("value")
    if factor.get("factor") == "channel" and isinstance(value, str):
        return channel_name(value)
    return _value(value)


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return (
            QCoreApplication.translate("Leads", "Yes")
            if value
            else QCoreApplication.translate("Leads", "No")
        )
    return str(value)


class DuplicatesDialog(QDialog):
    """The duplicate check before converting: open the existing record (the default), or
    create the customer anyway."""

    def __init__(self, hits: list[DuplicateHit], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hits = hits
        self.choice: str | None = None
        self.setObjectName("leadDuplicates")
        self.setWindowTitle(self.tr("Possible duplicates"))
        self.resize(560, 320)
        intro = QLabel(
            self.tr(
                "This lead may already be a customer on this device. Open the existing one, "
                "or create a new customer anyway."
            )
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("duplicateList")
        for hit in hits:
            item = QListWidgetItem(hit_text(hit))
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self._choose("open"))
        box = QDialogButtonBox()
        self.open_existing = box.addButton(
            self.tr("Open the existing one"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.open_existing.setObjectName("openExisting")
        self.open_existing.setDefault(True)
        self.open_existing.clicked.connect(lambda: self._choose("open"))
        self.create_anyway = box.addButton(
            self.tr("Create anyway"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.create_anyway.setObjectName("createAnyway")
        self.create_anyway.setAutoDefault(False)
        self.create_anyway.clicked.connect(lambda: self._choose("create"))
        cancel = box.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(box)

    def chosen_hit(self) -> DuplicateHit:
        return self.hits[max(0, self.list.currentRow())]

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()


class _Line(QLabel):
    """A line of text that takes no room while it is empty."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.hide()

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setVisible(bool(text))


NO_NETWORK = Msg(
    "离线:公海在服务器上,查看和认领都需要联网",
    "Offline: the pool is on the server; seeing it and claiming need the network",
)


class PoolPanel(QWidget):
    """The team pool (公海) as the server has it now, with a Claim button (first claim wins)."""

    claimed = Signal(str)  # record id won

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[dict[str, Any]] = []
        self.setObjectName("poolPanel")
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.refresh_button.setObjectName("poolRefresh")
        self.refresh_button.clicked.connect(lambda: self.load())
        self.claim_button = QPushButton(self.tr("Claim"))
        self.claim_button.setObjectName("poolClaim")
        self.claim_button.setEnabled(False)
        self.claim_button.clicked.connect(self.claim_selected)
        self.status = _Line()
        self.status.setObjectName("poolStatus")
        self.result = _Line()
        self.result.setObjectName("poolResult")
        self.result.setStyleSheet("color:#2e7d32;")
        self.problem = ErrorLabel()
        self.problem.setObjectName("poolProblem")
        bar = QHBoxLayout()
        bar.addWidget(
            QLabel(self.tr("Leads and customers nobody kept; the first rep to claim one gets it."))
        )
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.claim_button)
        self.table = make_table(
            [
                self.tr("Name"),
                self.tr("Company"),
                self.tr("Kind"),
                self.tr("Score"),
                self.tr("Why in the pool"),
                self.tr("Former owner"),
                self.tr("In the pool since"),
            ]
        )
        self.table.setObjectName("poolTable")
        self.table.itemSelectionChanged.connect(self._selection)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(self.result)
        layout.addWidget(self.problem)
        layout.addWidget(self.table, 1)
        self.loaded = False

    def load(self, *, clear: bool = True) -> None:
        """Ask the server (on the network lane; the store worker is not held up)."""
        if clear:
            self.problem.show_message(None)
            self.result.setText("")
        self.status.setText(self.tr("Loading the pool…"))
        sync = self.ctx.sync
        self.ctx.runner.background(
            "network",
            lambda _p, _c: ops.team_pool(sync),
            self.show_rows,
            on_error=self._failed,
            owner=self,
        )

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        self.loaded = True
        self.rows = rows
        self.status.setText(
            self.tr("The pool is empty.") if not rows else self.tr("%n in the pool", "", len(rows))
        )
        kinds = {"lead": self.tr("Lead"), "customer": self.tr("Customer")}
        reasons = {
            "not_accepted": self.tr("Not accepted in time"),
            "idle": self.tr("No follow-up for too long"),
        }
        fill_table(
            self.table,
            [
                [
                    r.get("name"),
                    r.get("company"),
                    kinds.get(r.get("entity") or "", r.get("entity")),
                    r.get("score"),
                    reasons.get(r.get("reason") or "", r.get("reason")),
                    r.get("former_owner"),
                    when(r.get("pooled_at")),
                ]
                for r in rows
            ],
            [r["id"] for r in rows],
        )
        self._selection()

    def _selection(self) -> None:
        self.claim_button.setEnabled(selected_id(self.table) is not None)

    def claim_selected(self) -> None:
        record_id = selected_id(self.table)
        if record_id is None:
            return
        self.problem.show_message(None)
        self.result.setText("")
        sync = self.ctx.sync
        self.claim_button.setEnabled(False)
        self.ctx.runner.background(
            "network",
            lambda _p, _c: ops.claim_from_pool(sync, record_id),
            self._claimed,
            on_error=self._failed,
            owner=self,
        )

    def _claimed(self, answer: dict[str, Any]) -> None:
        if answer.get("outcome") == "won":
            self.result.setText(self.tr("Claimed: it arrives with the next sync."))
            self.claimed.emit(str(answer.get("id")))
        else:
            message = answer.get("message") or {}
            self.problem.show_message(
                say(Msg(message.get("zh", ""), message.get("en", "")))
                if message
                else self.tr("Someone else claimed it first.")
            )
        self.load(clear=False)

    def _failed(self, exc: BaseException) -> None:
        self.loaded = False
        self._selection()
        self.status.setText("")
        if isinstance(exc, Offline | ServerTrouble | NotSignedIn | SessionExpired):
            self.problem.show_message(say(NO_NETWORK))
            return
        msg = known_message(exc)
        if msg is None:
            self.ctx.runner.report_error(exc)
            return
        self.problem.show_message(say(msg))
