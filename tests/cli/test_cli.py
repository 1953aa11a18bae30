"""The installed ``fieldcrm`` console script, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FIELDCRM_LANG": "en", **(env or {})},
    )


def test_help_lists_only_working_commands() -> None:
    out = run("--help").stdout
    for command in ("import", "export", "demo-data", "search", "info"):
        assert command in out


def test_version() -> None:
    from app import __version__

    assert run("--version").stdout.strip().endswith(__version__)


def test_demo_export_import_search(tmp_path: Path) -> None:
    profile = str(tmp_path / "p")
    done = run("--profile", profile, "demo-data", "--size", "small", "--seed", "3")
    assert done.returncode == 0, done.stderr
    assert "customers: 200" in done.stdout
    again = run("--profile", profile, "demo-data")
    assert again.returncode == 1 and "already has data" in again.stderr
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"customers.{fmt}"
        assert run("--profile", profile, "export", "customers", str(out)).returncode == 0
        back = run("--profile", profile, "import", "customers", str(out))
        assert back.returncode == 0 and "created 0, updated 0, unchanged 200" in back.stdout
    found = run("--profile", profile, "search", "科技", "--limit", "3")
    assert found.returncode == 0 and len(found.stdout.splitlines()) == 3


def test_profile_from_environment_and_bad_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,phone\n甲公司,123\n乙公司,13800001111\n", encoding="utf-8")
    result = run("import", "customers", str(bad), env={"FIELDCRM_PROFILE": str(tmp_path / "e")})
    assert result.returncode == 1
    assert "row 2, column phone" in result.stderr and "nothing was written" in result.stderr
    assert (tmp_path / "e" / "fieldcrm.db").exists()
    info = run("info", env={"FIELDCRM_PROFILE": str(tmp_path / "e")})
    assert "customers: 0" in info.stdout


def test_chinese_messages(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\n甲公司,x@\n", encoding="utf-8")
    result = run("--profile", str(tmp_path / "p"), "--lang", "zh", "import", "customers", str(bad))
    assert result.returncode == 1 and "第2行 email" in result.stderr and "导入失败" in result.stderr


def test_corrupt_profile_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "fieldcrm.db").write_bytes(b"garbage" * 500)
    result = run("--profile", str(tmp_path / "p"), "info")
    assert result.returncode == 2 and "damaged" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["export", "customers", "x.txt"], ["import", "deals", "x.csv"]])
def test_usage_errors(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "x.csv").write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "app", "--profile", str(tmp_path / "p"), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr


def test_demo_without_window_signs_in_and_syncs(tmp_path: Path) -> None:
    env = {
        "FIELDCRM_DEMO_DIR": str(tmp_path / "demo"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
    }
    first = run("demo", "--no-window", env=env)
    assert first.returncode == 0, first.stderr
    assert (
        "Demo server: http://127.0.0.1:" in first.stdout and "0 change(s) pending" in first.stdout
    )
    profile = tmp_path / "demo" / "profiles" / "demo-rep"
    info = run("--profile", str(profile), "info")
    customers = int(
        next(line for line in info.stdout.splitlines() if line.startswith("customers")).split(":")[
            1
        ]
    )
    assert customers > 50  # the rep's share of the demo data arrived by sync
    again = run("demo", "--no-window", "--user", "demo-lead", env=env)  # new port, same data
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize(
    ("lang", "says"), [("en", "pip install 'fieldcrm[server]'"), ("zh", "请安装 fieldcrm[server]")]
)
def test_demo_without_the_server_extra_says_what_to_install(
    tmp_path: Path, lang: str, says: str
) -> None:
    # A client installed without the extra: importing FastAPI fails, as it would there.
    without_fastapi = (
        "import sys; sys.modules['fastapi'] = None; from app.cli import main; main(sys.argv[1:])"
    )
    result = subprocess.run(
        [sys.executable, "-c", without_fastapi, "--lang", lang, "demo", "--no-window"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FIELDCRM_DEMO_DIR": str(tmp_path / "demo")},
    )
    assert result.returncode == 1
    assert says in result.stderr and "fastapi" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "demo").exists()  # nothing was started or written


def test_foreign_files_are_refused_or_converted_on_request(tmp_path: Path) -> None:
    profile = str(tmp_path / "p")
    big5 = tmp_path / "big5.csv"
    big5.write_bytes("客戶名稱,備註\n台北輕鹿傢俱有限公司,客戶認可樣板間方案\n".encode("big5"))
    refused = run("--profile", profile, "import", "customers", str(big5))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "Big5" in refused.stderr and "--convert-traditional" in refused.stderr
    done = run("--profile", profile, "import", "customers", str(big5), "--convert-traditional")
    assert done.returncode == 0, done.stderr
    assert "read as Big5" in done.stdout and "created 1" in done.stdout
    found = run("--profile", profile, "search", "轻鹿家具")
    assert "台北轻鹿家具有限公司" in found.stdout
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_text("name\n甲公司\n", encoding="utf-8")
    result = run("--profile", profile, "--lang", "zh", "import", "customers", str(renamed))
    assert result.returncode == 1 and "不是 Excel 工作簿" in result.stderr
    assert "Traceback" not in result.stderr and "第0行" not in result.stderr


def test_a_profile_is_encrypted_and_a_lost_key_is_a_clear_error(tmp_path: Path) -> None:
    from app.store.crypto import forget_key
    from app.store.service import Store

    profile = tmp_path / "p"
    done = run("--profile", str(profile), "demo-data", "--size", "small", "--seed", "5")
    assert done.returncode == 0, done.stderr
    assert "encrypted: yes" in run("--profile", str(profile), "info").stdout
    store = Store(profile)  # the key the program made is in the same (test) keyring
    assert store.key is not None and store.search("有限公司")
    store.close()
    forget_key(profile)
    for lang, text in (("en", "keyring does not hold"), ("zh", "钥匙串中没有它的密钥")):
        result = run("--profile", str(profile), "--lang", lang, "info")
        assert result.returncode == 2 and text in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
