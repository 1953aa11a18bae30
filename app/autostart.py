"""Starting FieldCRM with the user's session (an option): the platform's own autostart entry.

* Linux and other XDG desktops: ``$XDG_CONFIG_HOME/autostart/fieldcrm.desktop``
  (``~/.config`` when unset), per the XDG Autostart specification.
* Windows: the ``FieldCRM`` value under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``.
* macOS: ``~/Library/LaunchAgents/cn.fieldcrm.desktop.plist`` with ``RunAtLoad``.

The command opens the app's window; its reminders then run while it sits in the tray.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import sys
from pathlib import Path

APP_ID = "fieldcrm"
MAC_LABEL = "cn.fieldcrm.desktop"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command() -> list[str]:
    """How this installation is started: the bundled executable, or Python with the module."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "app", "ui"]


def _platform() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "mac"
    return "xdg"


def xdg_entry_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / f"{APP_ID}.desktop"


def mac_entry_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{MAC_LABEL}.plist"


def desktop_entry(command: list[str]) -> str:
    """The XDG autostart file's text."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=FieldCRM\n"
        "Comment=FieldCRM reminders\n"
        f"Exec={shlex.join(command)}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def is_enabled(platform: str | None = None) -> bool:
    kind = platform or _platform()
    if kind == "xdg":
        return xdg_entry_path().exists()
    if kind == "mac":
        return mac_entry_path().exists()
    import winreg  # type: ignore[import-not-found,unused-ignore]

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:  # type: ignore[attr-defined,unused-ignore]
            winreg.QueryValueEx(key, "FieldCRM")  # type: ignore[attr-defined,unused-ignore]
    except OSError:
        return False
    return True


def enable(command: list[str] | None = None, platform: str | None = None) -> Path | str:
    """Write the autostart entry; returns where (a file, or the registry value's path)."""
    cmd = command or launch_command()
    kind = platform or _platform()
    if kind == "xdg":
        path = xdg_entry_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(desktop_entry(cmd), encoding="utf-8")
        return path
    if kind == "mac":
        path = mac_entry_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            plistlib.dumps({"Label": MAC_LABEL, "ProgramArguments": cmd, "RunAtLoad": True})
        )
        return path
    import subprocess
    import winreg  # type: ignore[import-not-found,unused-ignore]

    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:  # type: ignore[attr-defined,unused-ignore]
        winreg.SetValueEx(key, "FieldCRM", 0, winreg.REG_SZ, subprocess.list2cmdline(cmd))  # type: ignore[attr-defined,unused-ignore]
    return "HKCU\\" + RUN_KEY + "\\FieldCRM"


def disable(platform: str | None = None) -> None:
    """Remove the autostart entry (nothing when there is none)."""
    kind = platform or _platform()
    if kind == "xdg":
        xdg_entry_path().unlink(missing_ok=True)
        return
    if kind == "mac":
        mac_entry_path().unlink(missing_ok=True)
        return
    import winreg  # type: ignore[import-not-found,unused-ignore]

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:  # type: ignore[attr-defined,unused-ignore]
            winreg.DeleteValue(key, "FieldCRM")  # type: ignore[attr-defined,unused-ignore]
    except OSError:
        pass
