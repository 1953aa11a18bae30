"""HTTP endpoints of the lead engine, under ``/api/v1`` (see docs/SYNC.md).

* ``POST /api/v1/intake/leads`` — a channel posts one lead or ``{"leads": [...]}`` with its
  intake key (``X-Intake-Key`` or ``Authorization: Bearer``); one outcome per lead.
* ``POST /api/v1/leads/{id}/accept`` — the owner accepts or marks a lead contacted, possibly
  long after doing so offline (``acted_at``/``sent_at`` from the device).
* ``GET /api/v1/pool`` and ``POST /api/v1/pool/{id}/claim`` — the team pool.
* ``GET /api/v1/reports/fairness`` — the fairness figures of a team (leads and admins).
* ``GET /api/v1/changes/wait`` — long polling: answers when the user's scope changed.

Errors have the API's usual shape: ``{"code", "message": {"zh", "en"}}``.
"""

from __future__ import annotations

import json
import math
import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from server import auth
from server.db import write_tx
from server.leads import keys
from server.leads.common import parse_time
from server.leads.intake import MAX_BATCH, count_outcomes, store_leads
from server.leads.live import wait_for_change
from server.leads.pool import claim, list_pool
from server.leads.report import fairness_report
from server.leads.response import Refused, accept
from server.records import Viewer

# Every refusal is a ``{"code", "message": {"zh", "en"}}`` body; the published schema lists
# the statuses these routes answer with, so clients and the schema fuzz test can rely on them.
_REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"description": "Refused: {code, message: {zh, en}}"}
    for status in (400, 401, 403, 404, 409, 413, 422, 429)
}
router = APIRouter(prefix="/api/v1", tags=["leads"], responses=_REFUSALS)
RECORD_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"


def _error(status: int, code: str, zh: str, en: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": code, "message": {"zh": zh, "en": en}, **extra}, status)


def _viewer(request: Request, authorization: str | None) -> Viewer | JSONResponse:
    token = (authorization or "").removeprefix("Bearer ").strip()
    if not token or len(token) > 200:
        return _error(401, "unauthenticated", "请先登录", "Sign in first")
    try:
        return auth.authenticate(request.app.state.engine, token)
    except auth.AuthError:
        return _error(401, "session_expired", "登录已过期,请重新登录", "The session has expired")


def _refused(exc: Refused) -> JSONResponse:
    return _error(exc.status, exc.code, exc.message.zh, exc.message.en, **exc.extra)


def _reject_constant(name: str) -> float:
    # NaN and Infinity are not JSON; read as NaN so that the lead they sit in is refused
    # with a reason while the rest of the batch goes on.
    return math.nan


@router.post("/intake/leads")
async def intake(
    request: Request,
    x_intake_key: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Take one lead or a batch from a channel (idempotent on ``external_id``)."""
    key_text = x_intake_key or (authorization or "").removeprefix("Bearer ").strip()
    engine = request.app.state.engine
    key = await run_in_threadpool(keys.check_key, engine, key_text) if key_text else None
    if key is None:
        return _error(
            401, "bad_intake_key", "接入密钥无效或已吊销", "Unknown or revoked intake key"
        )
    body = await request.body()
    try:
        payload = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return _error(400, "bad_json", "请求不是有效的 JSON", "The body is not valid JSON")
    if isinstance(payload, dict) and "leads" in payload:
        leads = payload["leads"]
        if not isinstance(leads, list):
            return _error(422, "invalid_request", "leads 应为数组", "leads must be an array")
    elif isinstance(payload, dict):
        leads = [payload]
    else:
        return _error(422, "invalid_request", "应为线索对象", "Expected a lead object")
    if len(leads) > MAX_BATCH:
        return _error(
            413,
            "too_many_leads",
            f"单次最多 {MAX_BATCH} 条线索",
            f"At most {MAX_BATCH} leads at once",
            limit=MAX_BATCH,
        )
    outcomes = await run_in_threadpool(store_leads, engine, key.channel, key.team_id, leads)
    return JSONResponse({"leads": outcomes, "counts": count_outcomes(outcomes)})


class AcceptBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(default="accepted", pattern="^(accepted|contacted)$")
    acted_at: str | None = Field(default=None, max_length=40)
    sent_at: str | None = Field(default=None, max_length=40)


@router.post("/leads/{lead_id}/accept")
def accept_lead(
    request: Request,
    body: AcceptBody,
    lead_id: Annotated[str, Path(pattern=RECORD_ID)],
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Accept (or mark contacted) a lead; judged by when the rep acted (docs/SYNC.md)."""
    viewer = _viewer(request, authorization)
    if isinstance(viewer, JSONResponse):
        return viewer
    received = time.time()
    try:
        acted = parse_time(body.acted_at)
        sent = parse_time(body.sent_at)
    except ValueError:
        return _error(422, "bad_time", "时间格式错误", "Malformed time")
    try:
        with write_tx(request.app.state.engine) as conn:
            answer = accept(
                conn,
                viewer,
                lead_id,
                action=body.action,
                device_acted=received if acted is None else acted,
                device_sent=sent,
                received=received,
            )
    except Refused as exc:
        return _refused(exc)
    return JSONResponse(answer)


@router.get("/pool")
def pool(request: Request, authorization: Annotated[str | None, Header()] = None) -> JSONResponse:
    """Unclaimed leads and customers in the signed-in user's team pool."""
    viewer = _viewer(request, authorization)
    if isinstance(viewer, JSONResponse):
        return viewer
    with request.app.state.engine.connect() as conn:
        return JSONResponse(list_pool(conn, viewer))


@router.post("/pool/{record_id}/claim")
def claim_entry(
    request: Request,
    record_id: Annotated[str, Path(pattern=RECORD_ID)],
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Claim a pool entry: 200 for the winner, 409 with the winner's name for the loser."""
    viewer = _viewer(request, authorization)
    if isinstance(viewer, JSONResponse):
        return viewer
    try:
        with write_tx(request.app.state.engine) as conn:
            answer = claim(conn, viewer, record_id, time.time())
    except Refused as exc:
        return _refused(exc)
    return JSONResponse(answer, 200 if answer["outcome"] == "won" else 409)


@router.get("/reports/fairness")
def fairness(
    request: Request,
    team: Annotated[str | None, Query(max_length=100)] = None,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Each rep's share of high-intent leads and new hires' first week (SPEC L4)."""
    viewer = _viewer(request, authorization)
    if isinstance(viewer, JSONResponse):
        return viewer
    if viewer.role not in ("lead", "admin"):
        return _error(403, "forbidden_role", "只有主管或管理员可以查看", "Leads and admins only")
    chosen = team if viewer.role == "admin" and team else viewer.team_id
    if chosen is None:
        return _error(422, "no_team", "请指定团队", "Name a team")
    now = time.time()
    try:
        report = fairness_report(request.app.state.engine, chosen, now - days * 86400, now)
    except LookupError:
        return _error(404, "not_found", "团队不存在", "No such team")
    return JSONResponse(report)


# Left out of the OpenAPI schema: a long poll holds its request open on purpose, which generic
# schema fuzzing reads as a hang. docs/SYNC.md describes it.
@router.get("/changes/wait", include_in_schema=False)
async def changes_wait(
    request: Request,
    since: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    timeout: Annotated[float, Query(ge=0, le=60)] = 25,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Answer when the user's scope changed after ``since`` (long polling; see docs/SYNC.md).
    Without ``since`` it answers at once with the current token."""
    viewer = await run_in_threadpool(_viewer, request, authorization)
    if isinstance(viewer, JSONResponse):
        return viewer
    changed, token = await wait_for_change(request.app.state.engine, viewer, since, timeout)
    return JSONResponse({"changed": changed, "token": token})
