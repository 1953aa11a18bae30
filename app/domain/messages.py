"""Bilingual user-facing messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Msg:
    """A message in Simplified Chinese and English; ``format`` fills both alike."""

    zh: str
    en: str

    def format(self, **kwargs: Any) -> Msg:
        """Return a copy with ``{name}`` placeholders filled in both languages."""
        return Msg(self.zh.format(**kwargs), self.en.format(**kwargs))

    def text(self, lang: str = "zh") -> str:
        """The message in ``lang`` ("zh…" gives Chinese, anything else English)."""
        return self.zh if lang.lower().startswith("zh") else self.en

    def as_dict(self) -> dict[str, str]:
        """JSON-friendly form used by the CLI and the sync protocol."""
        return {"zh": self.zh, "en": self.en}

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"
