"""Starting with the session: the XDG autostart file (Linux) and the LaunchAgent (macOS) are
written where the platform looks for them, and removed again."""

from __future__ import annotations

import plistlib
import shlex
from pathlib import Path

import pytest

from app import autostart


def test_xdg_autostart_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert not autostart.is_enabled("xdg")
    command = ["/opt/FieldCRM/fieldcrm", "ui"]
    path = autostart.enable(command, "xdg")
    assert path == tmp_path / "cfg" / "autostart" / "fieldcrm.desktop"
    lines = dict(
        line.split("=", 1) for line in Path(path).read_text("utf-8").splitlines() if "=" in line
    )
    assert lines["Type"] == "Application" and shlex.split(lines["Exec"]) == command
    assert autostart.is_enabled("xdg")
    autostart.disable("xdg")
    assert not autostart.is_enabled("xdg")
    autostart.disable("xdg")  # nothing to remove: no error


def test_xdg_default_folder_and_launch_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert autostart.xdg_entry_path() == tmp_path / ".config" / "autostart" / "fieldcrm.desktop"
    assert autostart.launch_command()[-2:] == ["app", "ui"]


def test_mac_launch_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = autostart.enable(["/Applications/FieldCRM.app/Contents/MacOS/FieldCRM"], "mac")
    assert path == tmp_path / "Library" / "LaunchAgents" / "cn.fieldcrm.desktop.plist"
    agent = plistlib.loads(Path(path).read_bytes())
    assert agent["RunAtLoad"] is True and agent["Label"] == "cn.fieldcrm.desktop"
    assert autostart.is_enabled("mac")
    autostart.disable("mac")
    assert not autostart.is_enabled("mac")
