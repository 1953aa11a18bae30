"""Sign-in security over real HTTP: refresh-token families, throttling, device revocation.

Each attack is played against the running server first, then the defence is checked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from alembic import command
from click.testing import CliRunner
from helpers.world import PASSWORD, World
from sqlalchemy import Engine, func, select

from server import admin, auth, migrate
from server.api import create_app
from server.cli import main
from server.config import Settings, load_settings
from server.db import devices, signin_failures, tokens
from server.embedded import serve_in_thread
from server.maintenance import purge

Serve = Callable[..., Any]


@pytest.fixture
def serve(settings: Settings, engine: Engine) -> Iterator[Serve]:
    """Start the API on a loopback port with some settings changed; yields an HTTP client."""
    stack: list[tuple[Any, httpx.Client]] = []

    def start(**changes: Any) -> httpx.Client:
        s = settings.with_(**changes)
        handle = serve_in_thread(create_app(s, engine), settings=s)
        client = httpx.Client(base_url=handle.url, timeout=60)
        stack.append((handle, client))
        return client

    yield start
    for handle, client in stack:
        client.close()
        handle.stop()


def _sign_in(
    client: httpx.Client,
    name: str,
    password: str = PASSWORD,
    *,
    device: str = "unknown",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"username": name, "password": password, "device": device}
    return client.post("/auth/signin", json=body, headers=headers)


def _refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/auth/refresh", json={"refresh_token": token})


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


# ---------------------------------------------------------------- refresh-token families


def test_a_replayed_refresh_token_signs_out_both_sides(
    world: World, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    client = serve(refresh_grace_s=0.0)  # every reuse is outside the grace window
    first = _sign_in(client, "ra1").json()
    r1 = first["refresh_token"]
    device = _refresh(client, r1)  # R1 -> R2 on the device
    assert device.status_code == 200
    r2 = device.json()["refresh_token"]
    # The attack: a copy of R1 is replayed. Before, it was swapped for a fresh R3 and the
    # device's R2 stopped working, leaving the attacker in the session.
    with caplog.at_level(logging.WARNING, logger="fieldcrm.server.auth"):
        stolen = _refresh(client, r1)
    assert stolen.status_code == 401 and stolen.json()["code"] == "session_expired"
    assert "refresh_token" not in stolen.json()
    # The whole family is revoked: the device's refresh and access tokens are refused too.
    assert _refresh(client, r2).status_code == 401
    assert client.get("/me", headers=_bearer(device.json())).status_code == 401
    # The event is logged and kept on the device, and nothing secret is in the log.
    assert any("presented again" in r.getMessage() for r in caplog.records)
    assert not any(r1 in r.getMessage() or r2 in r.getMessage() for r in caplog.records)
    with world.engine.connect() as conn:
        reason = conn.execute(
            select(devices.c.ended_reason).where(devices.c.id == first["device_id"])
        ).scalar_one()
    assert reason == "refresh token reused"
    # Signing in again starts a new, unaffected session.
    again = _sign_in(client, "ra1").json()
    assert client.get("/me", headers=_bearer(again)).status_code == 200


def test_a_retry_within_the_grace_window_gets_the_same_successor(
    world: World, serve: Serve
) -> None:
    client = serve(refresh_grace_s=3600.0)
    first = _sign_in(client, "ra1").json()
    r1 = first["refresh_token"]
    answer = _refresh(client, r1).json()  # the device never received this
    keys = ("access_token", "refresh_token", "device_id")
    for _ in range(2):
        retry = _refresh(client, r1)
        assert retry.status_code == 200
        assert [retry.json()[k] for k in keys] == [answer[k] for k in keys]
    assert client.get("/me", headers=_bearer(answer)).json()["name"] == "ra1"
    with world.engine.connect() as conn:
        minted = conn.execute(
            select(func.count()).where(tokens.c.family == first["device_id"])
        ).scalar_one()
    assert minted == 4  # the sign-in's pair and one successor pair: retries mint nothing
    # Once the successor is used the device evidently has it: R1 again, even inside the
    # window, is a copy, and the whole family ends.
    r3 = _refresh(client, answer["refresh_token"]).json()["refresh_token"]
    assert _refresh(client, r1).status_code == 401
    assert _refresh(client, r3).status_code == 401


def test_parallel_retries_of_one_refresh_all_get_the_same_successor(
    world: World, serve: Serve
) -> None:
    client = serve(refresh_grace_s=3600.0)
    r1 = _sign_in(client, "ra1").json()["refresh_token"]
    start = threading.Barrier(8)

    def go(_i: int) -> httpx.Response:
        start.wait()
        return _refresh(client, r1)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(go, range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.json()["refresh_token"] for a in answers}) == 1


# ---------------------------------------------------------------- throttling


def test_parallel_guesses_are_counted_before_they_are_checked(world: World, serve: Serve) -> None:
    client = serve()
    limit = world.settings.throttle_user_failures
    start = threading.Barrier(30)

    def guess(i: int) -> int:
        start.wait()
        return _sign_in(client, "ra1", f"wrong guess {i}").status_code

    with ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(guess, range(30)))
    # Only as many guesses as the limit allows reach the password check; the rest are refused
    # unchecked. (The counter used to be read, then written after the check: all 30 ran.)
    assert codes.count(401) == limit and codes.count(429) == 30 - limit
    assert _sign_in(client, "ra1").status_code == 429  # even the right password, for now
    with world.engine.connect() as conn:
        counted = dict(
            conn.execute(select(signin_failures.c.key, signin_failures.c.failures)).all()
        )
    assert counted == {"user:ra1": limit, "ip:127.0.0.1": limit}


def test_signing_in_to_ones_own_account_does_not_clear_guesses_at_others(
    world: World, serve: Serve
) -> None:
    client = serve(throttle_ip_failures=6)
    assert _sign_in(client, "ra2").status_code == 200  # the guesser's own account
    for i in range(5):
        assert _sign_in(client, f"someone{i}", "guess").status_code == 401
    # Before, this success reset the address's count and the guessing could go on.
    assert _sign_in(client, "ra2").status_code == 200
    assert _sign_in(client, "someone5", "guess").status_code == 401  # the 6th: blocks
    assert _sign_in(client, "someone6", "guess").status_code == 429
    # Accounts never signed in from this address are blocked with it; the guesser's own
    # account, signed in from here before, still works (its own count protects it).
    assert _sign_in(client, "ra1").status_code == 429
    assert _sign_in(client, "ra2").status_code == 200


def test_behind_an_untrusted_proxy_failures_do_not_lock_everyone_out(
    world: World, serve: Serve
) -> None:
    # No proxy is configured: every client seems to come from the proxy (here, loopback),
    # whatever X-Forwarded-For claims.
    client = serve()
    for name in ("ra1", "ra2", "rb1"):
        assert _sign_in(client, name).status_code == 200
    limit = world.settings.throttle_ip_failures
    for i in range(limit):
        spoof = {"X-Forwarded-For": f"198.51.100.{i}"}
        assert _sign_in(client, f"nobody{i}", "guess", headers=spoof).status_code == 401
    assert _sign_in(client, "nobody", "guess").status_code == 429
    assert _sign_in(client, "la").status_code == 429  # never signed in here: waits
    for name in ("ra1", "ra2", "rb1"):  # the users who work here are not locked out
        assert _sign_in(client, name).status_code == 200
    # Guessing at one of them is still stopped by that user's own count.
    for _ in range(world.settings.throttle_user_failures):
        assert _sign_in(client, "ra1", "guess").status_code == 401
    assert _sign_in(client, "ra1").status_code == 429


def test_a_trusted_proxys_forwarded_address_is_counted(world: World, serve: Serve) -> None:
    client = serve(trusted_proxies=("127.0.0.0/8",), throttle_ip_failures=3)
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    for i in range(3):
        assert _sign_in(client, f"nobody{i}", "guess", headers=attacker).status_code == 401
    assert _sign_in(client, "la", headers=attacker).status_code == 429
    # What the attacker writes in front of the proxy's entry changes nothing.
    forged = {"X-Forwarded-For": "192.0.2.1, 203.0.113.9"}
    assert _sign_in(client, "la", headers=forged).status_code == 429
    # Another client behind the same proxy signs in.
    assert _sign_in(client, "la", headers={"X-Forwarded-For": "203.0.113.10"}).status_code == 200
    with world.engine.connect() as conn:
        keys = set(conn.execute(select(signin_failures.c.key)).scalars())
        where = conn.execute(select(devices.c.signed_in_from)).scalars().all()
    assert "ip:203.0.113.9" in keys and "ip:127.0.0.1" not in keys
    assert where == ["203.0.113.10"]


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("10.0.0.2", ["203.0.113.9"], "203.0.113.9"),
        ("10.0.0.2", ["192.0.2.1, 203.0.113.9"], "203.0.113.9"),
        ("10.0.0.2", ["203.0.113.9, 10.0.0.3"], "203.0.113.9"),  # two proxies in a row
        ("10.0.0.2", ["203.0.113.9", "10.0.0.3"], "203.0.113.9"),  # as two header lines
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["not-an-address"], "10.0.0.2"),
        ("10.0.0.2", ["10.0.0.7"], "10.0.0.7"),
        ("198.51.100.4", ["203.0.113.9"], "198.51.100.4"),  # not a trusted proxy
    ],
)
def test_client_address_walks_forwarded_hops_from_the_nearest(
    peer: str, header: list[str], expected: str
) -> None:
    assert auth.client_address(peer, header, ("10.0.0.0/8",)) == expected
    assert auth.client_address(peer, header, ()) == peer


# ---------------------------------------------------------------- devices


def _cli(world: World, *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(main, ["--db", world.settings.database_url, *args], input=stdin)


def test_a_revoked_device_gets_a_wipe_order_on_every_request(world: World, serve: Serve) -> None:
    client = serve()
    laptop = _sign_in(client, "ra1", device="laptop-1").json()
    desktop = _sign_in(client, "ra1", device="desktop-1").json()
    listed = _cli(world, "device", "list", "--user", "ra1")
    assert listed.exit_code == 0
    assert laptop["device_id"] in listed.output and desktop["device_id"] in listed.output
    assert listed.output.count("active") == 2

    # The confirmation says what is lost; answering no changes nothing.
    asked = _cli(world, "device", "revoke", laptop["device_id"], stdin="n\n")
    assert asked.exit_code == 1
    assert "have not been synced yet are lost, by design" in asked.output
    assert client.get("/me", headers=_bearer(laptop)).status_code == 200

    done = _cli(world, "device", "revoke", laptop["device_id"][:8], "--yes")
    assert done.exit_code == 0 and "revoked" in done.output
    h = _bearer(laptop)
    for answer in (
        client.get("/sync/pull", headers=h),
        client.post("/sync/push", json={"device": "laptop-1", "ops": []}, headers=h),
        client.get("/me", headers=h),
        _refresh(client, laptop["refresh_token"]),
    ):
        assert answer.status_code == 401
        body = answer.json()
        assert body["code"] == "device_revoked" and body["action"] == "wipe"
        assert body["message"]["zh"] and "revoked" in body["message"]["en"]
    # The user's other device carries on.
    assert client.get("/sync/pull", headers=_bearer(desktop)).status_code == 200
    state = {d.id: d.state for d in admin.list_devices(world.engine, "ra1")}
    assert state == {laptop["device_id"]: "revoked (wipe sent)", desktop["device_id"]: "active"}


def test_disabling_a_user_revokes_all_their_devices(world: World, serve: Serve) -> None:
    client = serve()
    a = _sign_in(client, "ra1").json()
    b = _sign_in(client, "ra1").json()
    other = _sign_in(client, "ra2").json()
    out = _cli(world, "user", "disable", "ra1")
    assert out.exit_code == 0 and "2 device(s) revoked" in out.output
    for t in (a, b):
        r = client.get("/sync/pull", headers=_bearer(t))
        assert r.status_code == 401 and r.json()["code"] == "device_revoked"
    # A password change ends sessions but is no wipe order.
    admin.set_password(world.engine, world.settings, "ra2", "a new password")
    r = client.get("/sync/pull", headers=_bearer(other))
    assert r.status_code == 401 and r.json()["code"] == "session_expired"


def test_a_replayed_token_is_no_wipe_order(world: World, serve: Serve) -> None:
    """An attacker replaying an old token must not be able to wipe the rightful device."""
    client = serve(refresh_grace_s=0.0)
    t = _sign_in(client, "ra1").json()
    _refresh(client, t["refresh_token"])
    r = _refresh(client, t["refresh_token"])
    assert r.status_code == 401 and r.json()["code"] == "session_expired"
    assert [d.state for d in admin.list_devices(world.engine, "ra1", include_ended=True)] == [
        "ended: refresh token reused"
    ]


def test_sessions_from_before_devices_become_revocable_devices(world: World, serve: Serve) -> None:
    client = serve()
    live = _sign_in(client, "ra1", device="old-laptop").json()
    gone = _sign_in(client, "ra2", device="old-desktop").json()
    client.post("/auth/signout", json={"refresh_token": gone["refresh_token"]})
    cfg = migrate._config()
    with world.engine.connect() as conn:
        conn.execution_options(fieldcrm_write=True)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
        if conn.in_transaction():
            conn.commit()
    migrate.upgrade(world.engine)
    (ra1,) = admin.list_devices(world.engine, "ra1")
    assert (ra1.id, ra1.label, ra1.state) == (live["device_id"], "old-laptop", "active")
    assert admin.list_devices(world.engine, "ra2") == []
    assert admin.list_devices(world.engine, "ra2", include_ended=True)[0].state == (
        "ended: signed out"
    )
    admin.revoke_device(world.engine, ra1.id)
    assert client.get("/sync/pull", headers=_bearer(live)).json()["code"] == "device_revoked"


def test_purge_keeps_the_tokens_of_a_revoked_device_until_it_is_told(
    world: World, serve: Serve
) -> None:
    client = serve()
    lost = _sign_in(client, "ra1").json()
    kept = _sign_in(client, "ra2").json()
    admin.revoke_device(world.engine, lost["device_id"])
    # Long after every token expired, the lost laptop comes online.
    later = time.time() + world.settings.refresh_ttl_s + 7 * 86400
    purge(world.engine, world.settings, now=later)
    with world.engine.connect() as conn:
        families = set(conn.execute(select(tokens.c.family)).scalars())
    assert families == {lost["device_id"]} and kept["device_id"] not in families
    r = _refresh(client, lost["refresh_token"])
    assert r.status_code == 401 and r.json()["code"] == "device_revoked"
    # Once told, its tokens go with the next purge.
    purge(world.engine, world.settings, now=later)
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tokens)).scalar_one() == 0


def test_a_mistyped_trusted_proxy_is_refused_with_its_name(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = _cli(world, "serve", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "10.0.0.300")
    assert bad.exit_code == 1 and "'10.0.0.300'" in bad.output
    monkeypatch.setenv("FIELDCRM_TRUSTED_PROXIES", "127.0.0.1, proxy.local")
    env = _cli(world, "check")
    assert env.exit_code == 1 and "FIELDCRM_TRUSTED_PROXIES" in env.output
    assert "'proxy.local'" in env.output
    monkeypatch.setenv("FIELDCRM_TRUSTED_PROXIES", "127.0.0.1, 10.1.2.3/8 ::1")
    assert load_settings(world.settings.database_url).trusted_proxies == (
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    )
