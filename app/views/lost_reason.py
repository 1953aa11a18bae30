"""The lost-reason picker: reasons come from the rule data, so losses can be counted; "Other"
takes the user's own words."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from app.domain.messages import Msg
from app.domain.rules import OTHER_REASON, OTHER_REASON_LABEL, ProcessRules, lost_reason
from app.views.i18n import say


class LostReasonPicker(QComboBox):
    """The list of lost reasons from the rules, then "Other"; none is chosen at first."""

    def __init__(self, rules: ProcessRules, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lostReason")
        self.addItem(self.tr("Choose a reason…"), None)
        for key, label in rules.lost_reasons:
            self.addItem(say(label), key)
        self.addItem(say(OTHER_REASON_LABEL) + self.tr(" (describe below)"), OTHER_REASON)

    def reason(self, details: str) -> tuple[str | None, Msg | None]:
        """The reason to store for the chosen entry and the details typed, or why not."""
        key = self.currentData()
        if key is None:
            return None, Msg("请从列表中选择输单原因", "Choose why the deal was lost from the list")
        if key == OTHER_REASON and not details.strip():
            return None, Msg("选择“其他”时请写明原因", "With “Other”, say what the reason was")
        return lost_reason(str(key), details), None


__all__ = ["LostReasonPicker"]
