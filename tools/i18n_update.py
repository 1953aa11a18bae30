"""Refresh the translation source and the compiled file (developers run this after editing
visible strings)::

    python -m tools.i18n_update

``pyside6-lupdate`` collects every ``self.tr()`` / ``QCoreApplication.translate()`` string of
``app/views`` into ``resources/i18n/fieldcrm_zh_CN.ts`` (keeping existing translations);
translators fill it in with Qt Linguist; ``pyside6-lrelease`` compiles it to the ``.qm`` the app
loads. English needs only its plurals (``fieldcrm_en.ts``, ``-pluralonly``): a source string
such as "%n customer(s)" gets the forms "1 customer" and "2 customers", filled in here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import app.views
from app.views.i18n import translations_dir

TS_FILE = "fieldcrm_zh_CN.ts"
PLURALS_FILE = "fieldcrm_en.ts"


def tool(name: str) -> str:
    """A Qt tool from the same environment as this Python (the venv's bin folder)."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


def english_plurals(ts: Path) -> None:
    """Fill the English numerus forms of "(s)" strings: singular without, plural with "s"."""
    import xml.etree.ElementTree as ET

    tree = ET.parse(ts)
    for message in tree.iter("message"):
        if message.get("numerus") != "yes":
            continue
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if translation is None:
            translation = ET.SubElement(message, "translation")
        for child in list(translation):
            translation.remove(child)
        translation.attrib.pop("type", None)
        translation.text = None
        for form in (source.replace("(s)", ""), source.replace("(s)", "s")):
            ET.SubElement(translation, "numerusform").text = form
    body = ET.tostring(tree.getroot(), encoding="unicode")
    ts.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n{body}\n', "utf-8")


def main() -> None:
    views = Path(app.views.__file__).resolve().parent
    sources = sorted(str(p) for p in views.glob("*.py"))
    ts = translations_dir() / TS_FILE
    plurals = translations_dir() / PLURALS_FILE
    lupdate = [tool("pyside6-lupdate"), *sources, "-no-obsolete", "-locations", "none"]
    subprocess.run([*lupdate, "-ts", str(ts)], check=True)
    subprocess.run(
        [*lupdate, "-pluralonly", "-target-language", "en", "-ts", str(plurals)], check=True
    )
    english_plurals(plurals)
    for path in (ts, plurals):
        subprocess.run(
            [tool("pyside6-lrelease"), str(path), "-qm", str(path.with_suffix(".qm"))], check=True
        )


if __name__ == "__main__":
    main()
