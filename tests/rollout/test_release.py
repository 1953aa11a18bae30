"""Release hygiene: the version has one home, the changelog knows it, and the commands and
screens that show it read it from there."""

from __future__ import annotations

import ast
import importlib.util
import re
import tomllib
from pathlib import Path

from click.testing import CliRunner

from app import __version__
from app.cli import cli
from app.sync.http import ApiClient

ROOT = Path(__file__).resolve().parents[2]
# Folders of the repository that hold developer tools, never the product.
DEV = {"tools", "bench", "tests"}


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


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_product_never_imports_the_developer_tools() -> None:
    """tools/ and bench/ are not installed or bundled, so app/ and server/ must not need them."""
    sources = [*ROOT.joinpath("app").rglob("*.py"), *ROOT.joinpath("server").rglob("*.py")]
    reaching = {
        str(p.relative_to(ROOT)): sorted(m for m in _imported_modules(p) if m.split(".")[0] in DEV)
        for p in sources
    }
    assert {p: m for p, m in reaching.items() if m} == {}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    packages = project["tool"]["setuptools"]["packages"]
    assert not [p for p in packages if p.split(".")[0] in DEV]
    spec = (ROOT / "build.spec").read_text("utf-8")
    excludes = re.search(r"^EXCLUDES = \[(.*?)^\]", spec, re.M | re.S)
    assert excludes is not None
    assert {"tools", "bench"} <= set(re.findall(r'^\s*"([\w.]+)",', excludes.group(1), re.M))


def test_build_spec_names_files_and_modules_that_exist() -> None:
    """The bundle's explicit lists follow the tree: a moved file or module fails here, not in
    the slow build."""
    tree = ast.parse((ROOT / "build.spec").read_text("utf-8"))
    paths: list[Path] = []
    for node in ast.walk(tree):
        # ROOT / "a" / "b" with string parts only (globs are expanded by the build itself).
        parts: list[str] = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            if not (isinstance(node.right, ast.Constant) and isinstance(node.right.value, str)):
                break
            parts.insert(0, node.right.value)
            node = node.left
        else:
            if isinstance(node, ast.Name) and node.id == "ROOT" and parts:
                paths.append(ROOT.joinpath(*parts))
    assert ROOT / "resources" / "rules.json" in paths
    assert [p for p in paths if not p.exists()] == []
    hidden = next(
        kw.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "hiddenimports"
    )
    assert isinstance(hidden, ast.List) and hidden.elts
    for element in hidden.elts:
        assert isinstance(element, ast.Constant)
        assert importlib.util.find_spec(element.value) is not None, element.value


def test_every_python_package_is_installed() -> None:
    """A package missing from pyproject's list works from the checkout and breaks once installed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    listed = set(project["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("app", "server")
        for init in ROOT.joinpath(top).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert on_disk - listed == set()
