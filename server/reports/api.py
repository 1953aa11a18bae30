"""``GET /api/v1/reports/snapshots``: the forecast snapshots a user may see (a lead's team's,
an admin's all, a rep's own), fetched by the desktop with each sync for the accuracy history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from server.leads.api import _REFUSALS, _viewer
from server.reports.snapshots import visible_snapshots

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=_REFUSALS)


@router.get("/reports/snapshots")
async def snapshots(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> JSONResponse:
    """Forecast snapshots, newest period first: ``{"snapshots": [{id, team_id, rep_id, period,
    kind ("opening"|"closing"), taken_at, figures: {commit, weighted, best_case, won}}]}``."""
    viewer = _viewer(request, authorization)
    if isinstance(viewer, JSONResponse):
        return viewer

    def read() -> list[dict[str, object]]:
        with request.app.state.engine.connect() as conn:
            return visible_snapshots(conn, viewer)

    return JSONResponse({"snapshots": await run_in_threadpool(read)})
