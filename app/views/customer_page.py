"""One customer: editable details, contacts, deals, follow-up timeline, attachments, history."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.domain.schema import ENTITIES
from app.store.service import Change
from app.views import operations as ops
from app.views.attachments import AttachmentPane
from app.views.context import AppContext
from app.views.errors import show_refusal
from app.views.followup_form import FollowUpForm
from app.views.forms import EntityForm, RecordDialog
from app.views.i18n import say
from app.views.merge_dialog import MergeWithDialog, open_merge
from app.views.widgets import (
    Banner,
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

DETAIL_FIELDS = (
    "name",
    "credit_code",
    "phone",
    "email",
    "address",
    "industry",
    "region",
    "website",
    "source",
    "owner",
    "notes",
)
CONTACT_FIELDS = ("name", "title", "mobile", "phone", "email", "wechat", "is_key")


def timeline_html(ctx: AppContext, rows: list[dict[str, Any]], empty: str) -> str:
    """Follow-ups as a readable timeline, newest first."""
    if not rows:
        return f"<p style='color:#757575'>{html.escape(empty)}</p>"
    types = {t.key: say(t.label) for t in ctx.rules.followup.types}
    parts = []
    for r in rows:
        extra = ""
        if r.get("competitor_comparison"):
            extra = f"<br/><i>{html.escape(str(r['competitor_comparison']))}</i>"
        parts.append(
            "<div style='margin-bottom:10px'>"
            f"<span style='color:#1565c0'><b>{html.escape(types.get(r['type'], r['type']))}</b>"
            f"</span> · {html.escape(when(r['created_at']))} · "
            f"{html.escape(str(r.get('author_name') or ''))}<br/>"
            f"{html.escape(str(r['conclusion']))}{extra}<br/>"
            f"<span style='color:#6d4c41'>→ {html.escape(str(r['next_action']))}"
            f" ({html.escape(str(r['due_on']))})</span></div>"
        )
    return "".join(parts)


class CustomerPage(ReloadingScreen):
    """The customer's whole story on one page; edits save through the store worker."""

    open_record = Signal(str, str)

    def __init__(self, ctx: AppContext, customer_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id = customer_id
        self.record_id = customer_id
        self.setObjectName("customerPage")
        self.card: ops.CustomerCard | None = None

        self.title = heading("", 15)
        self.subtitle = QLabel()
        self.subtitle.setStyleSheet("color:#616161;")
        log = QPushButton(self.tr("Log follow-up"))
        log.setObjectName("logFollowUp")
        log.setToolTip(self.tr("Ctrl+N"))
        log.clicked.connect(self.log_followup)
        QShortcut(QKeySequence("Ctrl+N"), self, self.log_followup)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        if ctx.session.leads_team:
            merge_with = QPushButton(self.tr("Merge with…"))
            merge_with.setObjectName("mergeWith")
            merge_with.setToolTip(self.tr("Merge a duplicate of this customer into one record"))
            merge_with.clicked.connect(self.merge_with)
            head.addWidget(merge_with)
        head.addWidget(log)

        # Details form (left).
        self.form = EntityForm("customer", DETAIL_FIELDS, users=ctx.users)
        self.save_button = QPushButton(self.tr("Save changes"))
        self.form.edited.connect(lambda: self.save_button.setEnabled(True))
        self.save_button.setObjectName("saveCustomer")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence("Ctrl+S"), self, self.save)
        self.saved_note = QLabel()
        self.saved_note.setStyleSheet("color:#2e7d32;")
        self.form_status = ErrorLabel()
        details = QWidget()
        dl = QVBoxLayout(details)
        dl.addWidget(heading(self.tr("Details"), 11))
        dl.addWidget(self.form)
        dl.addWidget(self.form_status)
        row = QHBoxLayout()
        row.addWidget(self.saved_note, 1)
        row.addWidget(self.save_button)
        dl.addLayout(row)
        dl.addStretch(1)

        # Tabs (right).
        self.tabs = QTabWidget()
        self.timeline = QTextBrowser()
        self.timeline.setObjectName("timeline")
        self.timeline.setOpenLinks(False)
        self.contacts = make_table(
            [
                self.tr("Name"),
                self.tr("Title"),
                self.tr("Mobile"),
                self.tr("E-mail"),
                self.tr("Key"),
            ]
        )
        add_contact = QPushButton(self.tr("Add contact"))
        add_contact.setObjectName("addContact")
        add_contact.clicked.connect(self.add_contact)
        self.deals = make_table(
            [self.tr("Deal"), self.tr("Stage"), self.tr("Amount"), self.tr("Expected close")]
        )
        self.deals.doubleClicked.connect(self._open_deal)
        self.deals.activated.connect(self._open_deal)
        add_deal = QPushButton(self.tr("New deal"))
        add_deal.setObjectName("addDeal")
        add_deal.clicked.connect(self.add_deal)
        self.attachments = AttachmentPane(ctx, customer_id)
        self.history = make_table(
            [
                self.tr("When"),
                self.tr("Who"),
                self.tr("Field"),
                self.tr("Old value"),
                self.tr("New value"),
                self.tr("Device"),
            ]
        )
        self.history.setObjectName("historyTable")
        self.history_banner = Banner()
        self.history_source = QLabel()
        self.history_source.setObjectName("historySource")
        self.history_source.setStyleSheet("color:#757575;")
        self.history_source.setWordWrap(True)
        self.remote_history: list[dict[str, Any]] | None = None
        self.conflict_marker = Banner()
        self.conflict_marker.setObjectName("conflictMarker")

        self.tabs.addTab(self.timeline, self.tr("Follow-ups"))
        contact_buttons = [add_contact]
        if ctx.session.leads_team:
            merge_contact = QPushButton(self.tr("Merge contact…"))
            merge_contact.setObjectName("mergeContact")
            merge_contact.clicked.connect(self.merge_contact)
            contact_buttons.insert(0, merge_contact)
        contacts_tab = self._with_button(self.contacts, *contact_buttons)
        self.tabs.addTab(contacts_tab, self.tr("Contacts"))
        self.tabs.addTab(self._with_button(self.deals, add_deal), self.tr("Deals"))
        self.tabs.addTab(self.attachments, self.tr("Attachments"))
        history = QWidget()
        hl = QVBoxLayout(history)
        hl.addWidget(self.history_banner)
        hl.addWidget(self.history_source)
        hl.addWidget(self.history)
        self.tabs.addTab(history, self.tr("History"))
        self.history_tab = history
        self.tabs.currentChanged.connect(self._tab_changed)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(details)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([420, 620])
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.conflict_marker)
        layout.addWidget(split, 1)
        self.reload()

    @staticmethod
    def _with_button(table: QWidget, *buttons: QPushButton) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in buttons:
            row.addWidget(button)
        layout.addLayout(row)
        layout.addWidget(table)
        return box

    # ---- loading ---------------------------------------------------------------------------------
    def reload(self) -> None:
        cid = self.customer_id
        self.ctx.runner.read(lambda s: ops.customer_card(s, cid), self.show_card, owner=self)

    def show_card(self, card: ops.CustomerCard) -> None:
        first = self.card is None
        self.card = card
        r = card.record
        self.title.setText(str(r["name"]))
        last = when(r.get("last_followup_at")) or self.tr("never")
        self.subtitle.setText(
            self.tr("Owner: %1 · Last follow-up: %2")
            .replace("%1", self.ctx.user_name(r.get("owner")))
            .replace("%2", last)
        )
        if first or not self.save_button.isEnabled():
            # Never overwrite what the user is typing with a refresh.
            self.form.set_values(r)
            self.save_button.setEnabled(False)
        self.timeline.setHtml(timeline_html(self.ctx, card.timeline, self.tr("No follow-ups yet.")))
        fill_table(
            self.contacts,
            [
                [
                    c["name"],
                    c.get("title"),
                    c.get("mobile") or c.get("phone"),
                    c.get("email"),
                    "★" if c.get("is_key") else "",
                ]
                for c in card.contacts
            ],
            [c["id"] for c in card.contacts],
        )
        fill_table(
            self.deals,
            [
                [
                    d["title"],
                    stage_name(self.ctx.rules, d["stage"]),
                    money(d.get("amount")),
                    d.get("expected_close"),
                ]
                for d in card.deals
            ],
            [d["id"] for d in card.deals],
        )
        self.attachments.show_attachments(card.attachments, card.files)
        self.show_history()
        if card.history_intact:
            self.history_banner.show_text(
                self.tr("History verified: every change is chained and untouched."), "ok"
            )
        else:
            self.history_banner.show_text(
                self.tr("Warning: this history was altered outside FieldCRM."), "error"
            )
        if card.open_conflicts:
            self.conflict_marker.show_text(
                self.tr(
                    "Open conflicts on this customer: %1. A field was changed in two places "
                    "at once; see Conflicts to keep or restore a value."
                ).replace("%1", str(card.open_conflicts)),
                "warn",
            )
        else:
            self.conflict_marker.show_text("")
        if self.tabs.currentWidget() is self.history_tab:
            self.fetch_history()
        self.tabs.setTabText(1, self.tr("Contacts (%1)").replace("%1", str(len(card.contacts))))
        self.tabs.setTabText(2, self.tr("Deals (%1)").replace("%1", str(len(card.deals))))
        self.tabs.setTabText(
            3, self.tr("Attachments (%1)").replace("%1", str(len(card.attachments)))
        )

    # ---- merging duplicates ----------------------------------------------------------------------
    def merge_with(self) -> None:
        """Find a duplicate of this customer and open the merge screen for the two."""
        self._merge_with("customer", self.customer_id)

    def merge_contact(self) -> None:
        """Merge the selected contact with another contact of this customer."""
        contact = selected_id(self.contacts)
        if contact is None:
            self.form_status.show_message(self.tr("Select the contact to merge first."))
            return
        self._merge_with("contact", contact)

    def _merge_with(self, kind: str, record_id: str) -> None:
        picker = MergeWithDialog(self.ctx, kind, record_id, self)
        picker.chosen.connect(lambda other: self._compare(kind, record_id, other))
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.open()
        self.merge_picker = picker

    def _compare(self, kind: str, record_id: str, other: str) -> None:
        dialog = open_merge(self.ctx, kind, [record_id, other], self)
        if kind == "customer":
            dialog.merged.connect(self._customer_merged)
        self.merge_dialog = dialog

    def _customer_merged(self, survivor: str) -> None:
        if survivor != self.customer_id:
            self.open_record.emit("customer", survivor)

    # ---- history ---------------------------------------------------------------------------------
    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.history_tab:
            self.fetch_history()

    def fetch_history(self) -> None:
        """Ask the server for every device's changes (this device's are shown meanwhile)."""
        service = self.ctx.sync
        if service is None:
            self._history_unavailable(None)
            return
        # Records merged into this one: their history is its history.
        ids = [self.customer_id, *(self.card.merged_ids if self.card else [])]
        self.ctx.runner.background(
            "sync",
            lambda _progress, _cancelled: service.history(ids),
            self._have_remote_history,
            on_error=self._history_unavailable,
            owner=self,
            label=self.tr("Loading the history"),
        )

    def _have_remote_history(self, entries: list[dict[str, Any]]) -> None:
        self.remote_history = entries
        self.show_history()

    def _history_unavailable(self, _exc: BaseException | None) -> None:
        self.remote_history = None
        self.show_history()

    def show_history(self) -> None:
        card = self.card
        if card is None:
            return
        names = {str(u["id"]): str(u["display_name"]) for u in card.users}
        rows = ops.merge_history(card.history, self.remote_history or [], names, card.device)
        labels = {f.name: say(f.label) for f in ENTITIES["customer"].fields}
        labels["*merged"] = self.tr("(duplicates merged in)")
        labels["*merged_into"] = labels["merged_into"] = self.tr("(merged into)")
        where = {"here": self.tr("this device"), "elsewhere": self.tr("another device")}
        fill_table(
            self.history,
            [
                [
                    when(h["at"]),
                    h.get("actor_name") or "",
                    self.tr("(created)") if created else labels.get(h["field"], h["field"]),
                    "" if created else _short(h.get("old")),
                    "" if created else _short(h.get("new")),
                    where.get(str(h.get("where")), ""),
                ]
                for h in rows
                for created in [h["field"] in ("*", "*created")]
            ],
        )
        if self.remote_history is None:
            self.history_source.setText(
                self.tr(
                    "Showing the changes made on this device. Changes from other devices "
                    "appear here when the server can be reached."
                )
            )
        else:
            self.history_source.setText(self.tr("Changes from every device."))

    def on_changed(self, changes: list[Change]) -> None:
        mine = {self.customer_id}
        if self.card is not None:
            mine |= {d["id"] for d in self.card.deals} | {c["id"] for c in self.card.contacts}
        relevant = any(
            c.record_id in mine
            or c.entity in ("followup", "attachment", "contact", "deal", "conflict", "sync")
            for c in changes
        )
        if relevant:
            self.reload_when_seen()

    # ---- actions ---------------------------------------------------------------------------------
    def save(self) -> None:
        if self.card is None:
            return
        changes = self.form.changes(self.card.record)
        if not changes:
            self.save_button.setEnabled(False)
            return
        if self.form.check_all(partial=True):
            return
        cid = self.customer_id
        self.ctx.runner.write(
            lambda s: ops.update_record(s, "customer", cid, changes),
            self._saved,
            on_error=self._refused,
            owner=self,
        )

    def _saved(self, _diff: Any) -> None:
        self.save_button.setEnabled(False)
        self.form_status.show_message(None)
        self.saved_note.setText(self.tr("Saved."))
        self.reload()

    def _refused(self, exc: BaseException) -> None:
        show_refusal(exc, self.ctx.runner.report_error, form=self.form, status=self.form_status)

    def log_followup(self) -> None:
        if self.card is None:
            return
        deals = [(d["id"], str(d["title"])) for d in self.card.deals]
        form = FollowUpForm(
            self.ctx,
            self.customer_id,
            customer_name=str(self.card.record["name"]),
            deals=deals,
            parent=self,
        )
        form.open()

    def add_contact(self) -> RecordDialog:
        dialog = RecordDialog(
            self.ctx,
            "contact",
            CONTACT_FIELDS,
            {"customer_id": self.customer_id},
            self.tr("Add contact"),
            self,
        )
        dialog.open_existing.connect(self.open_record.emit)
        dialog.open()
        return dialog

    def add_deal(self) -> RecordDialog:
        dialog = RecordDialog(
            self.ctx,
            "deal",
            ("title", "amount", "expected_close"),
            {"customer_id": self.customer_id},
            self.tr("New deal"),
            self,
        )
        dialog.created.connect(lambda did: self.open_record.emit("deal", did))
        dialog.open()
        return dialog

    def _open_deal(self) -> None:
        did = selected_id(self.deals)
        if did:
            self.open_record.emit("deal", did)


def _short(value: str | None, limit: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
