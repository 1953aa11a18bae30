"""The directory brings each user's team, which a follow-up records as the department (F3)."""

from __future__ import annotations

from collections.abc import Callable

from helpers.syncing import Device

from app.views import operations as ops


def test_a_synced_rep_logs_follow_ups_under_their_team(make_device: Callable[..., Device]) -> None:
    device = make_device("rep")
    device.sync()
    cid = device.store.create("customer", {"name": "轻鹿家居有限公司", "owner": device.store.actor})
    assert ops.followup_setup(device.store, cid).department == "华东一组"
