"""The UI language: Qt translators for widget text, :class:`Msg` for domain messages.

Widget strings are written in English with ``self.tr()`` and translated to Simplified Chinese
by ``resources/i18n/fieldcrm_zh_CN.qm`` (source: the ``.ts`` beside it, refreshed with
``python -m tools.i18n_update``). Messages from the domain (lock details, validation
errors) already carry both languages and are shown with :func:`say`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from app.domain.messages import Msg

LANGUAGES = ("zh", "en")
# Families that carry Simplified Chinese glyphs, best first, per platform.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
)

_state: dict[str, object] = {"lang": "zh", "translators": []}


def current() -> str:
    """The language in force ("zh" or "en")."""
    return str(_state["lang"])


def say(msg: Msg | None) -> str:
    """A domain message in the UI language."""
    return "" if msg is None else msg.text(current())


def translations_dir() -> Path:
    return Path(str(resources.files("app.resources").joinpath("i18n")))


def install(app: QCoreApplication, lang: str) -> None:
    """Switch the UI language (call before building widgets; rebuild them after a switch)."""
    for old in _state["translators"]:  # type: ignore[attr-defined]
        app.removeTranslator(old)
    installed: list[QTranslator] = []
    plurals = english_plurals(app)
    if plurals is not None:
        # Installed first, so it is asked last: Chinese answers every string it has.
        installed.append(plurals)
    if lang == "zh":
        ours = QTranslator(app)
        if ours.load(str(translations_dir() / "fieldcrm_zh_CN.qm")):
            installed.append(ours)
        # Qt's own strings: standard buttons (OK/Cancel), context menus, file dialogs.
        qt = QTranslator(app)
        qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt.load("qtbase_zh_CN", qt_dir):
            installed.append(qt)
        QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    else:
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    for t in installed:
        app.installTranslator(t)
    _state["translators"] = installed
    _state["lang"] = lang


def english_plurals(app: QCoreApplication) -> QTranslator | None:
    """The English plural forms ("1 customer", "2 customers") of "%n customer(s)" strings."""
    plurals = QTranslator(app)
    return plurals if plurals.load(str(translations_dir() / "fieldcrm_en.qm")) else None


def use_cjk_font(app: QApplication) -> str | None:
    """Make the UI font one that has hanzi, so no glyph falls back to a box; return it."""
    available = set(QFontDatabase.families())
    for family in CJK_FAMILIES:
        if family in available:
            font = QFont(app.font())
            font.setFamilies([family, *app.font().families()])
            app.setFont(font)
            return family
    return None


__all__ = [
    "LANGUAGES",
    "current",
    "english_plurals",
    "install",
    "say",
    "translations_dir",
    "use_cjk_font",
]
