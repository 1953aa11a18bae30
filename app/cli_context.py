"""What every ``fieldcrm`` command receives: the profile, the message language, the settings.

The command modules (:mod:`app.cli` for the store commands, :mod:`app.sync.commands`,
:mod:`app.views.commands`) build on this module; it imports none of them, and :mod:`app.cli`
puts them together.
"""

from __future__ import annotations

import locale
import os
import sys
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import NoReturn

import click

from app.config import Config
from app.domain.messages import Msg
from app.store.errors import StoreUnavailable
from app.store.service import Store


def ui_language() -> str:
    """ "zh" on a Chinese locale (or FIELDCRM_LANG=zh), else "en"."""
    explicit = os.environ.get("FIELDCRM_LANG")
    if explicit:
        return explicit
    lang = os.environ.get("LC_ALL") or os.environ.get("LANG") or (locale.getlocale()[0] or "")
    return "zh" if lang.lower().startswith("zh") else "en"


@dataclass
class Context:
    """What every command receives: the profile folder, the message language, the settings."""

    profile: Path
    lang: str
    _: KW_ONLY
    # False when the default profile folder is in use (demo mode then keeps its own).
    profile_given: bool = True
    config: Config = field(default_factory=Config)

    def store(self) -> Store:
        try:
            return Store(self.profile)
        except StoreUnavailable as exc:
            self.fail(exc.message, code=2)

    def say(self, msg: Msg) -> str:
        return msg.text(self.lang)

    def fail(self, msg: Msg, code: int = 1) -> NoReturn:
        click.echo(self.say(msg), err=True)
        sys.exit(code)


pass_ctx = click.make_pass_decorator(Context)
