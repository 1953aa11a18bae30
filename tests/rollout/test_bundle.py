"""The installer bundle as IT gets it (SPEC I1): built by ``scripts/build-app`` from this
checkout, then the frozen executable run headless with no Python, no venv and no Tesseract on
PATH: its version, OCR of sample cards on spawn workers with the bundled Tesseract, the main
window opened and closed offscreen with an IT file beside the program, and what the folder
holds. The build takes about a minute; the figures are printed at the end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app import __version__

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="CI builds the Linux bundle"),
]

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"
# The C/C++ runtime a bundle may take from the system (build.spec's BASE_SYSTEM).
BASE_SYSTEM = re.compile(
    r"^(linux-vdso|ld-linux[^/]*|libc|libm|libdl|libpthread|librt|libresolv|libutil"
    r"|libstdc\+\+|libgcc_s)\.so"
)


@dataclass
class Bundle:
    folder: Path
    program: Path
    home: Path
    build_s: float
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def internal(self) -> Path:
        return self.folder / "_internal"

    def env(self) -> dict[str, str]:
        """A machine without this checkout: no venv, no Tesseract on PATH, no user settings."""
        empty = self.home / "empty-path"
        empty.mkdir(exist_ok=True)
        keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR")}
        return {
            **keep,
            "PATH": str(empty),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "QT_QPA_PLATFORM": "offscreen",
        }

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.program), *args],
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=self.home,
            timeout=timeout,
            check=False,
        )


def _size_mb(folder: Path) -> float:
    # PyInstaller links some libraries into two places; count each file once.
    files = (f for f in folder.rglob("*") if f.is_file() and not f.is_symlink())
    return sum(f.stat().st_size for f in files) / 1e6


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bundle]:
    out = tmp_path_factory.mktemp("bundle")
    started = time.monotonic()
    build = subprocess.run(
        [
            str(ROOT / "scripts" / "build-app"),
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    folder = out / "dist" / "FieldCRM"
    home = out / "home"
    home.mkdir()
    made = Bundle(folder, folder / "fieldcrm", home, time.monotonic() - started)
    made.figures["build_s"] = round(made.build_s, 1)
    made.figures["size_mb"] = round(_size_mb(folder))
    yield made
    shutil.rmtree(out, ignore_errors=True)  # about 300 MB


def test_version_from_the_frozen_program(bundle: Bundle) -> None:
    started = time.perf_counter()
    result = bundle.run("--version")
    bundle.figures["first_start_version_s"] = round(time.perf_counter() - started, 2)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"fieldcrm, version {__version__}"
    starts = []
    for _ in range(3):
        started = time.perf_counter()
        bundle.run("--version")
        starts.append(time.perf_counter() - started)
    bundle.figures["warm_start_version_s"] = round(min(starts), 2)


def test_ocr_of_sample_cards_with_both_bundled_engines(bundle: Bundle) -> None:
    clean, scan = SAMPLES / "card-clean-0000.png", SAMPLES / "card-scan-0000.jpg"
    expected = json.loads(clean.with_suffix(".json").read_text("utf-8"))["fields"]["mobile"]
    started = time.perf_counter()
    # Two files on two workers: the frozen program must also start as a spawn worker.
    result = bundle.run("ocr", "card", str(clean), str(scan), "--json", "--workers", "2")
    bundle.figures["ocr_two_cards_s"] = round(time.perf_counter() - started, 2)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_file = {Path(line["file"]).name: line for line in lines}
    assert set(by_file) == {clean.name, scan.name}
    assert by_file[clean.name]["fields"]["mobile"]["value"] == expected
    assert "error" not in by_file[scan.name]
    assert by_file[clean.name]["engine"] == "ppocr"  # the bundled models, no download
    # The fallback engine, chosen by the setting, reads the same card.
    started = time.perf_counter()
    tess = bundle.run("--set", "ocr.engine=tesseract", "ocr", "card", str(clean), "--json")
    bundle.figures["ocr_tesseract_card_s"] = round(time.perf_counter() - started, 2)
    assert tess.returncode == 0, tess.stdout + tess.stderr
    (line,) = [json.loads(x) for x in tess.stdout.splitlines()]
    assert line["engine"] == "tesseract"
    assert line["fields"]["mobile"]["value"] == expected


def test_selftest_opens_the_window_with_it_settings_beside_the_program(bundle: Bundle) -> None:
    it_file = bundle.folder / "fieldcrm.toml"
    it_file.write_text(
        'locked = ["server.url"]\n\n[server]\nurl = "https://crm.example.cn"\n\n'
        "[sync]\ninterval_minutes = 7\n",
        "utf-8",
    )
    try:
        started = time.perf_counter()
        checks: dict[str, dict[str, Any]] = {}
        with subprocess.Popen(
            [str(bundle.program), "selftest"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=bundle.env(),
            cwd=bundle.home,
        ) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            for line in proc.stdout:
                check = json.loads(line)
                if check["check"] == "window":
                    bundle.figures["first_window_s"] = round(time.perf_counter() - started, 2)
                checks[check["check"]] = check
            stderr = proc.stderr.read()
            assert proc.wait(timeout=120) == 0, (checks, stderr)
    finally:
        it_file.unlink()
    assert all(c["ok"] for c in checks.values()), checks
    assert checks["version"]["version"] == __version__
    tesseract = checks["tesseract"]
    assert tesseract["source"] == "bundle" and tesseract["frozen"] is True
    assert tesseract["card_model"] == "chi_sim_std"
    assert Path(tesseract["cmd"]).is_relative_to(bundle.folder)
    assert checks["resources"]["translation"] and checks["resources"]["qt_translation"]
    window = checks["window"]
    assert window["shown"] and window["server_url"] == "https://crm.example.cn"
    assert window["server_url_locked"] and window["sync_interval_minutes"] == 7
    assert checks["window_closed"]["ok"]
    assert checks["config"]["origins"]["server.url"] == str(it_file)


def test_the_bundle_holds_what_it_needs_and_nothing_it_does_not(bundle: Bundle) -> None:
    internal = bundle.internal
    tessdata = internal / "tesseract" / "tessdata"
    for name in (
        "chi_sim.traineddata",
        "chi_sim_std.traineddata",
        "eng.traineddata",
        "configs/tsv",
    ):
        assert (tessdata / name).is_file(), name
    assert (internal / "app" / "resources" / "i18n" / "fieldcrm_zh_CN.qm").is_file()
    assert (internal / "app" / "resources" / "rules.json").is_file()
    # The bundled Tesseract resolves every library outside the C/C++ runtime to the bundle.
    ldd = subprocess.run(
        ["ldd", str(internal / "tesseract" / "tesseract")],
        capture_output=True,
        text=True,
        env={"LD_LIBRARY_PATH": str(internal), "PATH": os.environ.get("PATH", "")},
        check=True,
    )
    for line in ldd.stdout.splitlines():
        name, _, where = line.strip().partition(" => ")
        assert "not found" not in where, line
        if where and not BASE_SYSTEM.match(name):
            assert where.startswith(str(internal)), line
    names = {p.name for p in internal.rglob("*")}
    for unused in ("QtNetwork", "QtQml", "QtQuick", "libQt6Qml", "libQt6Quick", "libQt6Network"):
        assert not any(n.startswith(unused) for n in names), unused
    for left_out in ("server", "fastapi", "sqlalchemy", "pytest", "keyrings"):
        assert not (internal / left_out).exists(), left_out


def test_every_bundled_component_has_its_licence_listed(bundle: Bundle) -> None:
    notice = (bundle.internal / "THIRD_PARTY.md").read_text("utf-8").lower()
    manifest = (bundle.internal / "licenses" / "bundled-components.txt").read_text("utf-8")
    components = [line.split() for line in manifest.splitlines()]
    assert {kind for kind, _ in components} == {"python", "debian"}
    for kind, name in components:
        assert f"`{name.lower()}`" in notice, (kind, name)
        folder = bundle.internal / "licenses" / kind / name
        assert folder.is_dir() and any(folder.iterdir()), folder
    assert (bundle.internal / "licenses" / "python" / "Python" / "LICENSE.txt").is_file()


def test_report_bundle_figures(bundle: Bundle, capsys: pytest.CaptureFixture[str]) -> None:
    """Not a check: the figures for the release notes and for noticing growth."""
    with capsys.disabled():
        print("\nbundle:", json.dumps(bundle.figures))
    assert bundle.figures["size_mb"] > 0
