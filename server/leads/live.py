"""Change notification for online devices (SPEC L6: a new lead visible within seconds).

Long polling: ``GET /api/v1/changes/wait?since=TOKEN`` answers as soon as something in the
user's scope has changed after ``TOKEN`` (or after ``timeout`` seconds with ``changed: false``),
and the device then pulls as usual. The token is the highest change sequence number the user
can see, read from the database, so it works whichever server process wrote the change. Long
polling rather than Server-Sent Events: it is a plain request that every proxy passes and that
the client's HTTP stack already retries; the answer only says "pull now", so nothing is lost
when a poll breaks — the next poll, or the sync timer, catches up.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import Engine, func, select
from starlette.concurrency import run_in_threadpool

from server.db import records, scope_changes
from server.pull import scope_clause
from server.records import Viewer

POLL_S = 1.0


def latest_position(engine: Engine, viewer: Viewer) -> int:
    """The newest change sequence number in ``viewer``'s scope (records and scope notices)."""
    with engine.connect() as conn:
        rec = conn.execute(select(func.max(records.c.seq)).where(scope_clause(viewer))).scalar()
        notice = conn.execute(
            select(func.max(scope_changes.c.seq)).where(scope_changes.c.user_id == viewer.id)
        ).scalar()
    return max(int(rec or 0), int(notice or 0))


async def wait_for_change(
    engine: Engine, viewer: Viewer, since: int | None, timeout: float
) -> tuple[bool, int]:
    """(changed, token): whether the scope moved past ``since`` before ``timeout`` elapsed."""
    end = time.monotonic() + timeout
    while True:
        token = await run_in_threadpool(latest_position, engine, viewer)
        if since is None or token > since:
            return since is not None, token
        if time.monotonic() >= end:
            return False, token
        await asyncio.sleep(POLL_S)
