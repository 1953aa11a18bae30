"""Release hygiene: the version has one home, the changelog knows it, and the commands and
screens that show it read it from there."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from click.testing import CliRunner

from app import __version__
from app.cli import cli
from app.sync.http import ApiClient

ROOT = Path(__file__).resolve().parents[2]


def test_pyproject_takes_the_version_from_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "version" in project["project"]["dynamic"]
    assert "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "app.__version__"}


def test_no_other_file_spells_the_version() -> None:
    spelled = re.compile(rf"['\"]{re.escape(__version__)}['\"]")
    sources = [*ROOT.joinpath("app").rglob("*.py"), *ROOT.joinpath("server").rglob("*.py")]
    found = [p for p in sources if spelled.search(p.read_text("utf-8"))]
    assert found == [ROOT / "app" / "__init__.py"]


def test_version_shown_by_the_command_line_and_the_sync_client() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.output.strip() == f"fieldcrm, version {__version__}"
    api = ApiClient("https://crm.example.cn")
    try:
        assert api.http.headers["User-Agent"] == f"FieldCRM/{__version__}"
    finally:
        api.close()


def test_changelog_has_the_current_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    heading = rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$"
    assert re.search(heading, changelog, re.M)
    assert "## [Unreleased]" in changelog
