"""IT's configuration files (SPEC I2): precedence, locks, and messages about broken files,
with real files in a temporary folder."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import certifi
import click
import pytest
from click.testing import CliRunner

import app.config as config_module
from app.cli import Context, cli
from app.config import (
    Config,
    InvalidSetting,
    check_value,
    load_config,
    save_user_settings,
    system_config_dir,
    user_values,
)
from app.views.errors import known_message

IT_FILE = """\
locked = ["server.url", "server.ca_bundle"]

[server]
url = "https://crm.example.cn/"
ca_bundle = "corp-root.pem"

[sync]
interval_minutes = 10

[ocr]
languages = ["chi_sim", "eng"]
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def it_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "etc"
    # Any valid PEM bundle stands in for the company's CA here; test_tls uses a real one.
    write(folder / "corp-root.pem", Path(certifi.where()).read_text("utf-8"))
    write(folder / "fieldcrm.toml", IT_FILE)
    return folder


def test_defaults_without_any_file(tmp_path: Path) -> None:
    config = load_config(it_files=[tmp_path / "none.toml"], user_file=tmp_path / "user.toml")
    assert config.server_url is None and config.ca_bundle is None
    assert config.sync_interval_minutes == 5
    assert config.ocr_languages == ("chi_sim", "eng")
    assert config.tls_verify() is True
    assert not config.locked and not config.problems


def test_it_file_presets_and_locks(it_dir: Path, tmp_path: Path) -> None:
    config = load_config(it_files=[it_dir / "fieldcrm.toml"], user_file=tmp_path / "user.toml")
    assert config.server_url == "https://crm.example.cn"  # trailing slash dropped
    assert config.ca_bundle == it_dir / "corp-root.pem"  # relative to IT's file
    assert not isinstance(config.tls_verify(), bool)
    (it_dir / "corp-root.pem").unlink()  # gone after start-up: a clear message, not a crash
    with pytest.raises(InvalidSetting) as gone:
        config.tls_verify()
    assert known_message(gone.value) == gone.value.reason
    assert "corp-root.pem" in gone.value.reason.en
    assert config.sync_interval_minutes == 10
    assert config.locked == {"server.url", "server.ca_bundle"}
    assert config.origins["server.url"] == str(it_dir / "fieldcrm.toml")
    assert not config.problems


def test_precedence_system_then_user_then_command_line(tmp_path: Path) -> None:
    beside = write(tmp_path / "bin" / "fieldcrm.toml", '[server]\nurl = "https://beside"\n')
    system = write(
        tmp_path / "etc" / "fieldcrm.toml",
        '[server]\nurl = "https://system"\n[sync]\ninterval_minutes = 20\n',
    )
    user = write(tmp_path / "user.toml", "[sync]\ninterval_minutes = 15\n")
    files = [beside, system]

    config = load_config(it_files=files, user_file=user)
    assert config.server_url == "https://system"  # the system-wide file wins over beside
    assert config.sync_interval_minutes == 15  # the user's setting wins over IT's
    assert config.origins["sync.interval_minutes"] == str(user)

    config = load_config(
        ["sync.interval_minutes=3", "server.url=https://cli"], it_files=files, user_file=user
    )
    assert config.sync_interval_minutes == 3 and config.server_url == "https://cli"
    assert config.origins["server.url"] == "command line"


def test_locked_settings_ignore_user_and_command_line(it_dir: Path, tmp_path: Path) -> None:
    user = write(
        tmp_path / "user.toml",
        '[server]\nurl = "https://mine"\n[sync]\ninterval_minutes = 2\n',
    )
    config = load_config(
        ["server.url=https://cli", "ocr.languages=eng"],
        it_files=[it_dir / "fieldcrm.toml"],
        user_file=user,
    )
    assert config.server_url == "https://crm.example.cn"
    assert config.sync_interval_minutes == 2  # not locked: the user's value
    assert config.ocr_languages == ("eng",)  # not locked: the command line's value
    # The user is told why their command-line value had no effect; the stale value in their
    # own file is silently outranked (IT may lock a setting after the user changed it).
    assert [(p.source, p.key) for p in config.problems] == [("command line", "server.url")]
    assert "locked" in str(config.problems[0])


def test_syntax_error_names_file_line_and_key_and_the_app_uses_defaults(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "fieldcrm.toml",
        'locked = ["server.url"]\n[server]\nurl = "https://crm.example.cn"\n'
        "[sync]\ninterval_minutes = 5 min\n",
    )
    config = load_config(it_files=[bad], user_file=tmp_path / "user.toml")
    assert config == Config(
        problems=config.problems,
        user_file=config.user_file,
        it_files=(bad,),
    )  # the whole file is dropped: defaults, nothing locked
    [problem] = config.problems
    assert (problem.source, problem.line, problem.key) == (str(bad), 5, "sync.interval_minutes")
    text = problem.message().en
    assert text.startswith(f"{bad}, line 5, key sync.interval_minutes: not valid TOML")
    assert "第 5 行" in problem.message().zh


def test_bad_values_drop_only_that_key(tmp_path: Path) -> None:
    text = (
        "[server]\n"
        'url = "crm.example.cn"\n'  # line 2: no scheme
        'ca_bundle = "missing.pem"\n'  # line 3: no such file
        "[sync]\n"
        "interval_minutes = 0\n"  # line 5: out of range
        "[ocr]\n"
        'languages = "chi_sim"\n'  # line 7: not a list
        "[sever]\n"
        'url = "https://typo"\n'  # line 9: unknown
    )
    path = write(tmp_path / "fieldcrm.toml", text)
    config = load_config(it_files=[path], user_file=tmp_path / "user.toml")
    assert config.server_url is None and config.ca_bundle is None
    assert config.sync_interval_minutes == 5 and config.ocr_languages == ("chi_sim", "eng")
    found = {(p.line, p.key) for p in config.problems}
    assert found == {
        (2, "server.url"),
        (3, "server.ca_bundle"),
        (5, "sync.interval_minutes"),
        (7, "ocr.languages"),
        (9, "sever.url"),
    }
    messages = "\n".join(p.message().en for p in config.problems)
    assert f"{path}, line 5, key sync.interval_minutes: must be a whole number" in messages
    assert "missing.pem" in messages and "unknown setting" in messages


def test_a_ca_bundle_must_be_pem(tmp_path: Path) -> None:
    write(tmp_path / "ca.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n")
    path = write(tmp_path / "fieldcrm.toml", '[server]\nca_bundle = "ca.pem"\n')
    config = load_config(it_files=[path], user_file=tmp_path / "user.toml")
    assert config.ca_bundle is None and config.tls_verify() is True
    [problem] = config.problems
    assert (problem.line, problem.key) == (2, "server.ca_bundle")
    assert "is not a PEM certificate file" in str(problem)


def test_only_it_may_lock_and_locks_must_name_settings(tmp_path: Path) -> None:
    it = write(tmp_path / "fieldcrm.toml", 'locked = ["server.adress"]\n')
    user = write(tmp_path / "user.toml", 'locked = ["server.url"]\n')
    config = load_config(it_files=[it], user_file=user)
    assert not config.locked
    assert [(p.source, p.line, p.key) for p in config.problems] == [
        (str(it), 1, "locked"),
        (str(user), 1, "locked"),
    ]


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "fieldcrm.toml"
    path.write_bytes(b"\xff\xfe[server]\n")
    config = load_config(it_files=[path], user_file=tmp_path / "user.toml")
    assert config.problems[0].source == str(path) and "cannot be read" in str(config.problems[0])


def test_command_line_values_are_checked(tmp_path: Path) -> None:
    config = load_config(
        ["sync.interval_minutes=often", "colour=blue", "ocr.languages=chi_sim+eng+jpn"],
        it_files=[],
        user_file=tmp_path / "user.toml",
    )
    assert config.ocr_languages == ("chi_sim", "eng", "jpn")
    assert {p.key for p in config.problems} == {"sync.interval_minutes", "colour"}
    with pytest.raises(InvalidSetting):
        check_value("sync.interval_minutes", True)  # TOML's true is not a number


def test_user_settings_round_trip(it_dir: Path, tmp_path: Path) -> None:
    user = tmp_path / "cfg" / "settings.toml"
    save_user_settings(
        user, {"sync.interval_minutes": 30, "ocr.languages": ["eng"], "server.url": None}
    )
    assert tomllib.loads(user.read_text("utf-8")) == {
        "sync": {"interval_minutes": 30},
        "ocr": {"languages": ["eng"]},
    }
    config = load_config(it_files=[it_dir / "fieldcrm.toml"], user_file=user)
    assert config.sync_interval_minutes == 30 and config.ocr_languages == ("eng",)
    assert user_values(config) == {"sync.interval_minutes": 30, "ocr.languages": ("eng",)}
    save_user_settings(user, {"server.ca_bundle": Path('C:\\certs\\"corp".pem')})
    assert tomllib.loads(user.read_text("utf-8"))["server"]["ca_bundle"] == 'C:\\certs\\"corp".pem'


def test_reload_reads_the_same_places_again(it_dir: Path, tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    config = load_config(["ocr.languages=eng"], it_files=[it_dir / "fieldcrm.toml"], user_file=user)
    write(user, "[sync]\ninterval_minutes = 45\n")
    again = config.reload()
    assert again.sync_interval_minutes == 45 and again.ocr_languages == ("eng",)
    assert again.server_url == "https://crm.example.cn"


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", Path("/etc/fieldcrm")),
        ("darwin", Path("/Library/Application Support/FieldCRM")),
        ("win32", Path("D:/PD") / "FieldCRM"),
    ],
)
def test_system_folder_per_platform(
    monkeypatch: pytest.MonkeyPatch, platform: str, expected: Path
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setenv("PROGRAMDATA", "D:/PD")
    assert system_config_dir() == expected


def test_it_files_are_beside_the_program_then_system_wide() -> None:
    beside, system = config_module.it_config_files()
    assert beside == Path(sys.executable).resolve().parent / "fieldcrm.toml"
    assert system == system_config_dir() / "fieldcrm.toml"


def test_cli_reports_problems_and_honours_locks(
    it_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = write(tmp_path / "beside" / "fieldcrm.toml", "[sync]\ninterval_minutes = -1\n")
    monkeypatch.setattr(
        config_module, "it_config_files", lambda: [broken, it_dir / "fieldcrm.toml"]
    )
    monkeypatch.setattr(config_module, "user_settings_file", lambda: tmp_path / "user.toml")
    seen: list[Config] = []

    @cli.command("show-config-for-test", hidden=True)
    def show() -> None:
        obj = click.get_current_context().find_object(Context)
        assert obj is not None
        seen.append(obj.config)

    try:
        result = CliRunner().invoke(
            cli,
            [
                "--lang",
                "en",
                "--profile",
                str(tmp_path / "p"),
                "--set",
                "server.url=https://elsewhere",
                "show-config-for-test",
            ],
        )
    finally:
        cli.commands.pop("show-config-for-test")
    assert result.exit_code == 0, result.output
    assert f"{broken}, line 2, key sync.interval_minutes: must be a whole number" in result.stderr
    assert "command line, key server.url: IT has locked this setting" in result.stderr
    assert seen[0].server_url == "https://crm.example.cn"
    assert seen[0].sync_interval_minutes == 10
