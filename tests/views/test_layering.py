"""The screens never touch the database: they call the operations layer. Ruff's banned-api
rule (TID251, pyproject.toml) keeps ``app.store.queries`` out of them; this keeps the store's
connection out, which no import rule can see."""

from __future__ import annotations

import ast
from pathlib import Path

import app.views

VIEWS = Path(app.views.__file__).parent


def reaches_database(source: str) -> list[int]:
    """Lines of ``source`` that use a store's connection (``.db``, ``._db``, ``.connection()``)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and node.attr in {"db", "_db"}) or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "connection"
            and not node.args
            and not node.keywords
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_no_screen_or_operation_reaches_the_database() -> None:
    found = {
        path.name: lines
        for path in sorted(VIEWS.glob("*.py"))
        if (lines := reaches_database(path.read_text("utf-8")))
    }
    assert found == {}


def test_the_check_sees_each_way_in() -> None:
    assert reaches_database("rows = s.db.query('SELECT 1')") == [1]
    assert reaches_database("x = 1\nstore.connection().execute('x')") == [2]
    assert reaches_database("s._db") == [1]
    assert reaches_database("s.deals.move('d', 'x')\nself.connection.setText('')") == []
