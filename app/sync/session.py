"""Sign-in state of one account (SPEC S6).

The refresh token lives in the operating system's keyring (Windows Credential Manager, macOS
Keychain, Secret Service on Linux) under a service name per server, never in the database or a
plain file. The access token lives only in memory. Where no keyring exists, the refresh token is
kept in memory for this run only and the user is told why they must sign in again next time.
"""

from __future__ import annotations

import contextlib
import time

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from app.domain.messages import Msg

NO_KEYRING = Msg(
    "本机没有可用的系统钥匙串,登录只在本次运行中有效(不会把凭据写入文件)",
    "No system keyring is available: the sign-in lasts for this run only "
    "(credentials are never written to a file)",
)


def keyring_service(server_url: str) -> str:
    """The keyring service name for one server (one entry per server and user)."""
    return f"FieldCRM {server_url.rstrip('/')}"


def keyring_usable(backend: KeyringBackend | None = None) -> bool:
    """False when only keyring's "fail" backend is there (no OS keyring at all)."""
    kr = backend or keyring.get_keyring()
    return float(getattr(kr, "priority", 0)) > 0 and "fail" not in type(kr).__module__


class Session:
    """Tokens for one user on one server."""

    def __init__(
        self, server_url: str, user: str, *, backend: KeyringBackend | None = None
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.user = user
        self._backend = backend
        self.access_token: str | None = None
        self.access_expires = 0.0
        self._memory_refresh: str | None = None
        self.warning: Msg | None = None if self.persistent else NO_KEYRING

    @property
    def _kr(self) -> KeyringBackend:
        return self._backend or keyring.get_keyring()

    @property
    def persistent(self) -> bool:
        return keyring_usable(self._kr)

    def access(self) -> str | None:
        """The access token while it is still fresh (with a margin for clock drift)."""
        if self.access_token and time.monotonic() < self.access_expires - 30:
            return self.access_token
        return None

    def store_tokens(self, tokens: dict[str, object]) -> None:
        """Keep a freshly issued pair: access in memory, refresh in the keyring."""
        self.access_token = str(tokens["access_token"])
        self.access_expires = time.monotonic() + float(str(tokens.get("expires_in", 300)))
        self.save_refresh(str(tokens["refresh_token"]))

    def save_refresh(self, token: str) -> None:
        if self.persistent:
            try:
                self._kr.set_password(keyring_service(self.server_url), self.user, token)
                return
            except keyring.errors.KeyringError:
                self.warning = NO_KEYRING
        self._memory_refresh = token

    def refresh_token(self) -> str | None:
        if self._memory_refresh:
            return self._memory_refresh
        if not self.persistent:
            return None
        try:
            return self._kr.get_password(keyring_service(self.server_url), self.user)
        except keyring.errors.KeyringError:
            return None

    def forget(self) -> None:
        """Drop every token of this account (sign-out, revoked session)."""
        self.access_token = None
        self.access_expires = 0.0
        self._memory_refresh = None
        if self.persistent:
            # Nothing stored (or the keyring went away) means it is already forgotten.
            with contextlib.suppress(keyring.errors.KeyringError):
                self._kr.delete_password(keyring_service(self.server_url), self.user)
