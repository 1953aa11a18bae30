"""A profile is encrypted at rest and private to its user (SPEC S8)."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from app.demo import generate
from app.demo.local import load_into
from app.paths import STORE_FILE
from app.store import cipherdb
from app.store.crypto import KEY_SERVICE, forget_key, load_key, profile_id
from app.store.errors import StoreLocked, StoreUnavailable
from app.store.files import MAGIC, SEALED_META
from app.store.service import Store
from app.views.errors import known_message

CARD = "名片 轻鹿家居有限公司 陈思远 13812345678 chen@qinglu.cn".encode()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _every_file(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def _plain_profile(folder: Path, card: Path) -> tuple[str, str]:
    """A profile as an earlier FieldCRM left it: plain file, plain attachments."""
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        store = Store(folder, actor="u1")
        assert store.key is None
        cid = store.create(
            "customer", {"name": "轻鹿家居有限公司", "phone": "13812345678", "owner": "u1"}
        )
        att = store.files.attach(card, "business_card", customer_id=cid)
        sha = str(store.require("attachment", att)["sha256"])
        store.close()
    finally:
        keyring.set_keyring(previous)
    assert cipherdb.file_state(folder / STORE_FILE) == "plain"
    # What the encryption tests look for is there to find in a plain profile.
    assert "轻鹿家居有限公司".encode() in (folder / STORE_FILE).read_bytes()
    assert store.files.path(sha).read_bytes() == CARD
    return cid, sha


def test_demo_profile_gives_away_no_name_or_phone(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    store = Store(profile, actor="u1")
    data = generate("small", seed=11, owner="u1")
    load_into(store, data)
    card = tmp_path / "card.txt"
    card.write_bytes(CARD)
    first = data.customers[0]["id"]
    sha = str(
        store.require("attachment", store.files.attach(card, "business_card", customer_id=first))[
            "sha256"
        ]
    )
    assert store.search(data.customers[3]["name"])  # the search index works on the cipher
    wal = profile / (STORE_FILE + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # unflushed pages are checked too
    secrets = [c["name"] for c in data.customers[:20]]
    secrets += [c["mobile"] for c in data.contacts[:20] if c.get("mobile")]
    secrets += [c["phone"] for c in data.customers[:20] if c.get("phone")]
    secrets += ["轻鹿家居有限公司", "陈思远", "13812345678"]
    assert any(s.isascii() for s in secrets) and any(not s.isascii() for s in secrets)
    # The store (its file, WAL and shared memory) and the files folder, byte by byte.
    for path in _every_file(profile):
        blob = path.read_bytes()
        for secret in secrets:
            assert secret.encode("utf-8") not in blob, (path.name, secret)
    assert store.files.read(sha) == CARD  # and the user still reads it all
    store.close()
    reopened = Store(profile)
    assert reopened.get("customer", first) is not None
    reopened.close()


def test_profile_folders_and_files_are_private(tmp_path: Path) -> None:
    store = Store(tmp_path / "p", actor="u1")
    cid = store.create("customer", {"name": "安泰机械", "owner": "u1"})
    card = tmp_path / "card.txt"
    card.write_bytes(CARD)
    sha = str(
        store.require("attachment", store.files.attach(card, "other", customer_id=cid))["sha256"]
    )
    profile = store.profile_dir
    private = [profile, store.files.root, store.files.path(sha).parent]
    assert all(_mode(d) == 0o700 for d in private)
    for name in (STORE_FILE, STORE_FILE + "-wal", STORE_FILE + "-shm", "store.id"):
        assert _mode(profile / name) == 0o600, name
    assert _mode(store.files.path(sha)) == 0o600
    store.close()


def test_an_existing_open_profile_is_made_private_on_open(tmp_path: Path) -> None:
    _cid, sha = _plain_profile(tmp_path / "p", _card(tmp_path))
    profile = tmp_path / "p"
    os.chmod(profile, 0o755)
    os.chmod(profile / STORE_FILE, 0o644)
    os.chmod(profile / "files", 0o755)
    store = Store(profile)
    assert _mode(profile) == 0o700 and _mode(profile / STORE_FILE) == 0o600
    assert _mode(profile / "files") == 0o700 and _mode(store.files.path(sha)) == 0o600
    store.close()


def _card(tmp_path: Path) -> Path:
    card = tmp_path / "card.txt"
    card.write_bytes(CARD)
    return card


def test_a_plain_profile_is_encrypted_in_place_with_its_files(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    cid, sha = _plain_profile(profile, _card(tmp_path))
    store = Store(profile)
    assert store.key is not None and cipherdb.file_state(profile / STORE_FILE) == "encrypted"
    assert store.require("customer", cid)["phone"] == "13812345678"
    assert [h.record_id for h in store.search("轻鹿")] == [cid]
    assert store.journal.pending_count() == 2  # the queued edits survived the move
    assert store.files.path(sha).read_bytes().startswith(MAGIC)
    assert store.files.read(sha) == CARD
    assert store.meta(SEALED_META) == "1"
    assert not (profile / (STORE_FILE + cipherdb.ENCRYPTING_SUFFIX)).exists()
    store.close()


def test_a_crash_while_encrypting_leaves_the_plain_store_and_the_next_open_finishes(
    tmp_path: Path,
) -> None:
    profile = tmp_path / "p"
    cid, sha = _plain_profile(profile, _card(tmp_path))
    path = profile / STORE_FILE
    # Cut short after writing part of the encrypted copy, before the rename.
    key = bytes(range(32))
    done = tmp_path / "done.db"
    conn = cipherdb.connect(done, key)
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(path),))
    conn.execute("SELECT sqlcipher_export('main', 'plain')").fetchone()
    conn.commit()
    conn.close()
    half = done.read_bytes()[: done.stat().st_size // 2]
    (profile / (STORE_FILE + cipherdb.ENCRYPTING_SUFFIX)).write_bytes(half)
    assert cipherdb.file_state(path) == "plain"  # what a reader finds at that moment
    store = Store(profile)
    assert store.key is not None and store.require("customer", cid)["name"] == "轻鹿家居有限公司"
    assert cipherdb.file_state(path) == "encrypted"
    assert not (profile / (STORE_FILE + cipherdb.ENCRYPTING_SUFFIX)).exists()
    assert store.files.read(sha) == CARD
    store.close()


def test_a_crash_after_the_rename_seals_the_files_on_the_next_open(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    cid, sha = _plain_profile(profile, _card(tmp_path))
    path = profile / STORE_FILE
    # The store was encrypted and renamed, then the process died before sealing any file;
    # one file's sealed copy was half written.
    lock_key = cipherdb.unlock(path)
    assert lock_key is not None and cipherdb.file_state(path) == "encrypted"
    assert not store_file_sealed(profile, sha)
    stray = profile / "files" / sha[:2] / (sha + ".123-abcd.seal")
    stray.write_bytes(MAGIC + b"cut")
    os.utime(stray, (time.time() - 3600, time.time() - 3600))
    store = Store(profile)
    assert store_file_sealed(profile, sha) and store.files.read(sha) == CARD
    assert not stray.exists()
    assert store.require("customer", cid)["phone"] == "13812345678"
    store.close()


def store_file_sealed(profile: Path, sha: str) -> bool:
    return (profile / "files" / sha[:2] / sha).read_bytes().startswith(MAGIC)


def test_a_wrong_key_is_a_clear_message_and_opens_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "p", actor="u1")
    store.create("customer", {"name": "安泰机械", "owner": "u1"})
    store.close()
    before = (tmp_path / "p" / STORE_FILE).read_bytes()
    forget_key(tmp_path / "p")
    pid = profile_id(tmp_path / "p")
    keyring.set_password(KEY_SERVICE, str(pid), bytes(32).hex())
    with pytest.raises(StoreLocked) as info:
        Store(tmp_path / "p")
    msg = info.value.message
    assert "does not match" in msg.en and "不符" in msg.zh
    assert known_message(info.value) == msg  # the desktop shows it, no crash dialog
    assert (tmp_path / "p" / STORE_FILE).read_bytes() == before  # nothing rewritten


def test_a_missing_key_is_a_clear_message(tmp_path: Path) -> None:
    store = Store(tmp_path / "p", actor="u1")
    store.close()
    forget_key(tmp_path / "p")
    assert load_key(tmp_path / "p") is None
    with pytest.raises(StoreLocked) as info:
        Store(tmp_path / "p")
    assert "keyring does not hold" in info.value.message.en and "钥匙串" in info.value.message.zh
    with pytest.raises(StoreLocked):
        cipherdb.open_existing(tmp_path / "p" / STORE_FILE)


def test_without_a_keyring_an_encrypted_profile_is_locked_and_a_new_one_stays_plain(
    tmp_path: Path,
) -> None:
    Store(tmp_path / "enc").close()
    keyring.set_keyring(NoKeyring())
    # The cached key was forgotten with the keyring entry only; a new process has neither.
    forget_key(tmp_path / "enc")
    with pytest.raises(StoreLocked):
        Store(tmp_path / "enc")
    plain = Store(tmp_path / "plain")
    assert plain.key is None and _mode(tmp_path / "plain") == 0o700
    plain.close()


def test_a_tampered_attachment_is_refused_with_a_message(tmp_path: Path) -> None:
    store = Store(tmp_path / "p", actor="u1")
    cid = store.create("customer", {"name": "安泰机械", "owner": "u1"})
    sha = str(
        store.require("attachment", store.files.attach(_card(tmp_path), "other", customer_id=cid))[
            "sha256"
        ]
    )
    path = store.files.path(sha)
    blob = bytearray(path.read_bytes())
    blob[-20] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(StoreUnavailable) as info:
        store.files.read(sha)
    assert "damaged" in info.value.message.en and "损坏" in info.value.message.zh
    store.close()


def test_open_copies_are_plain_and_private(tmp_path: Path) -> None:
    store = Store(tmp_path / "p", actor="u1")
    cid = store.create("customer", {"name": "安泰机械", "owner": "u1"})
    att = store.files.attach(_card(tmp_path), "other", customer_id=cid)
    row = store.require("attachment", att)
    copies = store.files.open_copies([row])
    copy = copies[str(row["sha256"])]
    assert copy.name == "card.txt" and copy.read_bytes() == CARD
    assert _mode(copy.parent) == 0o700
    store.close()


def test_big_files_round_trip_in_segments(tmp_path: Path) -> None:
    store = Store(tmp_path / "p", actor="u1")
    big = tmp_path / "contract.pdf"
    big.write_bytes(os.urandom(3 * (1 << 20) + 5))
    sha, size = store.files.keep(big)
    assert size == big.stat().st_size
    assert store.files.read(sha) == big.read_bytes()
    store.close()
