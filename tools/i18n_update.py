"""Refresh the translation source and the compiled file (developers run this after editing
visible strings)::

    python -m tools.i18n_update

``pyside6-lupdate`` collects every ``self.tr()`` / ``QCoreApplication.translate()`` string of
``app/views`` into ``resources/i18n/fieldcrm_zh_CN.ts`` (keeping existing translations);
translators fill it in with Qt Linguist; ``pyside6-lrelease`` compiles it to the ``.qm`` the app
loads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import app.views
from app.views.i18n import translations_dir

TS_FILE = "fieldcrm_zh_CN.ts"


def tool(name: str) -> str:
    """A Qt tool from the same environment as this Python (the venv's bin folder)."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


def main() -> None:
    views = Path(app.views.__file__).resolve().parent
    ts = translations_dir() / TS_FILE
    sources = sorted(str(p) for p in views.glob("*.py"))
    subprocess.run(
        [tool("pyside6-lupdate"), *sources, "-ts", str(ts), "-no-obsolete", "-locations", "none"],
        check=True,
    )
    subprocess.run(
        [tool("pyside6-lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True
    )


if __name__ == "__main__":
    main()
