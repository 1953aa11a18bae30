"""The HTTP API (FastAPI): sign-in, push, pull, attachments, rules and the user directory.

Every error answer has the same shape — ``{"code": …, "message": {"zh": …, "en": …}}`` — and
every path except ``/health`` and ``/auth/*`` needs a bearer access token. The OpenAPI schema is
served at ``/openapi.json``.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select, text
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

import app as app_package
from app import __version__
from app.domain.text import load_tables
from app.sync.pack import MEDIA_TYPE as PACK_MEDIA_TYPE
from server import auth
from server.admin import current_rules
from server.attachments import BlobStore, UploadError
from server.config import Settings
from server.db import make_engine, teams, users
from server.history import MAX_IDS as MAX_HISTORY_IDS
from server.history import record_history
from server.leads.api import router as leads_router
from server.leads.jobs import Scheduler
from server.packs import PackMaker
from server.pull import BadCursor, ResyncRequired, pull_json
from server.push import ID_PATTERN, TooManyOperations, check_json, push_json
from server.records import Viewer
from server.reports.api import router as reports_router

log = logging.getLogger("fieldcrm.server.api")

SHA_PATTERN = r"^[0-9a-f]{64}$"


class ApiError(Exception):
    """An expected failure answered with a status, a code and a bilingual message."""

    def __init__(
        self,
        status: int,
        code: str,
        zh: str,
        en: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.zh, self.en = status, code, zh, en
        self.headers = headers
        self.extra = extra


def _safe_text(value: str) -> str:
    check_json(value)
    return value


SafeStr = Annotated[str, AfterValidator(_safe_text)]


class Message(BaseModel):
    zh: str
    en: str


class ErrorBody(BaseModel):
    code: str
    message: Message


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: SafeStr = Field(min_length=1, max_length=100)
    password: SafeStr = Field(min_length=1, max_length=1000)
    device: SafeStr = Field(default="unknown", max_length=100)


class RefreshBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: SafeStr = Field(min_length=1, max_length=200)


class UserOut(BaseModel):
    id: str
    name: str
    display_name: str
    role: str
    team_id: str | None


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    refresh_expires_in: int
    device_id: str = Field(
        description="this sign-in's device, as `fieldcrm-server device` lists it"
    )
    user: UserOut


class PackBody(BaseModel):
    """A page of the feed asked for as a pack (app.sync.pack), encrypted with ``key``."""

    model_config = ConfigDict(extra="forbid")
    cursor: SafeStr | None = Field(default=None, max_length=40)
    limit: int = Field(default=20_000, ge=1, le=100_000)
    key: str = Field(pattern=r"^[0-9a-f]{64}$", description="256-bit key, hex, for this pack only")
    # The next pack's key and size: the server makes it while this one is stored.
    next_key: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    next_limit: int | None = Field(default=None, ge=1, le=100_000)


class PushBody(BaseModel):
    """A batch of operations from one device; each operation is checked on its own, so a
    malformed one is rejected in its result instead of failing the batch."""

    model_config = ConfigDict(extra="forbid")
    device: str = Field(pattern=ID_PATTERN)
    ops: list[dict[str, Any]] = Field(max_length=500)


class HistoryBody(BaseModel):
    """Records whose change history is wanted (a customer and its contacts and deals)."""

    model_config = ConfigDict(extra="forbid")
    ids: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(max_length=MAX_HISTORY_IDS)


class HistoryOut(BaseModel):
    entries: list[dict[str, Any]]


class OpResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    op_id: str | None
    status: str = Field(description="applied | merged | conflict | rejected")
    code: str | None = None
    message: Message | None = None


class PushOut(BaseModel):
    results: list[OpResult]


class PullOut(BaseModel):
    changes: list[dict[str, Any]]
    cursor: str
    more: bool
    rules_version: int


class UploadOut(BaseModel):
    have: bool
    received: int


class RulesOut(BaseModel):
    version: int
    rules: dict[str, Any]


class TeamOut(BaseModel):
    id: str
    name: str


class DirectoryOut(BaseModel):
    users: list[UserOut]
    teams: list[TeamOut]


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody} for s in (400, 401, 403, 404, 409, 413, 422, 429)
}

_bearer = HTTPBearer(auto_error=False)


def _unauthenticated() -> ApiError:
    return ApiError(
        401,
        "unauthenticated",
        "请先登录",
        "Sign in first",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _session_expired() -> ApiError:
    return ApiError(
        401,
        "session_expired",
        "登录已过期,请重新登录",
        "The session has expired; sign in again",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _device_revoked() -> ApiError:
    return ApiError(
        401,
        "device_revoked",
        "管理员已停用此设备:本机的 FieldCRM 数据将被删除,未同步的修改无法保留",
        "An administrator revoked this device: FieldCRM's data on it is deleted, and edits "
        "not yet synced are lost",
        headers={"WWW-Authenticate": "Bearer"},
        action="wipe",
    )


def refused(engine: Engine, exc: auth.AuthError) -> ApiError:
    """The answer to a refused token: a wipe order for a revoked device (recorded as sent),
    else "session expired"."""
    if isinstance(exc, auth.DeviceRevoked):
        auth.note_wipe_sent(engine, exc.device_id)
        return _device_revoked()
    return _session_expired()


def client_ip(request: Request) -> str:
    """The client's address; behind a trusted proxy, the one its X-Forwarded-For names."""
    peer = request.client.host if request.client else "unknown"
    settings: Settings = request.app.state.settings
    return auth.client_address(
        peer, request.headers.getlist("x-forwarded-for"), settings.trusted_proxies
    )


def bearer_token(
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token sent with the request, not yet checked (401 when there is none or it
    cannot be a token). The sync calls check it inside their own transaction."""
    if creds is None or creds.scheme.lower() != "bearer":
        raise _unauthenticated()
    try:
        check_json(creds.credentials)
    except ValueError:
        raise _session_expired() from None
    return creds.credentials


def current_viewer(request: Request, token: Annotated[str, Depends(bearer_token)]) -> Viewer:
    """The user whose bearer access token came with the request (401 otherwise)."""
    try:
        return auth.authenticate(request.app.state.engine, token)
    except auth.AuthError as exc:
        raise refused(request.app.state.engine, exc) from None


Me = Annotated[Viewer, Depends(current_viewer)]
Token = Annotated[str, Depends(bearer_token)]
Sha = Annotated[str, Path(pattern=SHA_PATTERN)]


class BodyLimit:
    """Refuse request bodies above a size before they are read into memory (413)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send)
            return
        seen = 0
        refused = False

        async def limited() -> MutableMapping[str, Any]:
            # A body sent in chunks (no Content-Length) is counted as it arrives. Past the
            # limit the 413 is answered here and the application is told the client left:
            # an error raised into it would come back as FastAPI's 400 "error parsing the body".
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    refused = True
                    await _too_large(send)
                    return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: MutableMapping[str, Any]) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited, unless_refused)
        except Exception:
            if not refused:
                raise
            # The application gave up on the body it was denied; the 413 is already sent.


async def _too_large(send: Callable[[MutableMapping[str, Any]], Awaitable[None]]) -> None:
    body = json.dumps(
        {"code": "too_large", "message": {"zh": "请求过大", "en": "The request is too large"}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _error(status: int, code: str, zh: str, en: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": code, "message": {"zh": zh, "en": en}, **extra}, status)


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The ASGI application; it creates (and disposes of) its own engine unless given one."""
    own_engine = engine is None
    db = engine or make_engine(settings.database_url, pool_size=settings.pool_size)
    store = BlobStore(settings.blob_dir, settings.max_attachment_bytes)
    packer = PackMaker(db)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Writes derive sort keys and search documents (app.domain.derived): load the pinyin
        # and conversion tables now, not in the first push a user waits for.
        threading.Thread(target=load_tables, name="fieldcrm-load-tables", daemon=True).start()
        # The lead engine's time-based rules (server.leads.jobs); off unless configured.
        scheduler = Scheduler(db, settings.job_tick_s) if settings.job_tick_s > 0 else None
        if scheduler is not None:
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.stop()
        packer.close()
        if own_engine:
            db.dispose()

    api = FastAPI(
        title="FieldCRM sync server",
        version=app_package.__version__,
        description="Authoritative rules, idempotent push and gap-free scoped pull for "
        "FieldCRM clients. See docs/SYNC.md.",
        lifespan=lifespan,
    )
    api.state.engine = db
    api.state.settings = settings
    api.state.blobs = store

    @api.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError) -> JSONResponse:
        resp = _error(exc.status, exc.code, exc.zh, exc.en, **exc.extra)
        if exc.headers:
            resp.headers.update(exc.headers)
        return resp

    @api.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()[:20]
        ]
        return _error(
            422, "invalid_request", "请求格式错误", "The request is malformed", detail=detail
        )

    @api.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(
            exc.status_code,
            f"http_{exc.status_code}",
            "请求无法处理",
            str(exc.detail),
        )

    @api.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        """Liveness: the service answers and reaches its database; and which version runs."""
        with db.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    @api.post("/auth/signin", response_model=Tokens, tags=["auth"], responses=ERRORS)
    def sign_in(body: SignIn, request: Request) -> JSONResponse:
        """Exchange a user name and password for an access and a refresh token."""
        ip = client_ip(request)
        try:
            pair = auth.sign_in(
                db, settings, body.username, body.password, device=body.device, ip=ip
            )
        except auth.Throttled as exc:
            wait = max(1, math.ceil(exc.retry_after))
            raise ApiError(
                429,
                "throttled",
                f"尝试次数过多,请 {wait} 秒后再试",
                f"Too many attempts; try again in {wait} s",
                headers={"Retry-After": str(wait)},
                retry_after=wait,
            ) from None
        except auth.AuthError:
            raise ApiError(
                401, "bad_credentials", "用户名或密码错误", "Wrong user name or password"
            ) from None
        return JSONResponse(pair.as_dict())

    @api.post("/auth/refresh", response_model=Tokens, tags=["auth"], responses=ERRORS)
    def refresh(body: RefreshBody, request: Request) -> JSONResponse:
        """Swap a refresh token for a new pair (each refresh token works once; a retry within
        a short grace window gets the same pair again)."""
        try:
            pair = auth.refresh(db, settings, body.refresh_token, ip=client_ip(request))
        except auth.AuthError as exc:
            raise refused(db, exc) from None
        return JSONResponse(pair.as_dict())

    @api.post("/auth/signout", status_code=204, tags=["auth"], responses=ERRORS)
    def sign_out(body: RefreshBody) -> Response:
        """End the session a refresh token belongs to."""
        auth.sign_out(db, body.refresh_token)
        return Response(status_code=204)

    @api.get("/me", response_model=UserOut, tags=["directory"], responses=ERRORS)
    def me(user: Me) -> dict[str, Any]:
        """The signed-in user."""
        return {
            "id": user.id,
            "name": user.name,
            "display_name": user.display_name,
            "role": user.role,
            "team_id": user.team_id,
        }

    @api.get("/directory", response_model=DirectoryOut, tags=["directory"], responses=ERRORS)
    def directory(user: Me) -> dict[str, Any]:
        """Users and teams the signed-in user may see (own team; everything for admins)."""
        with db.connect() as conn:
            uq = select(
                users.c.id, users.c.name, users.c.display_name, users.c.role, users.c.team_id
            ).order_by(users.c.name)
            tq = select(teams.c.id, teams.c.name).order_by(teams.c.name)
            if user.role != "admin":
                uq = uq.where((users.c.team_id == user.team_id) | (users.c.id == user.id))
                tq = tq.where(teams.c.id == user.team_id)
            return {
                "users": [dict(r._mapping) for r in conn.execute(uq)],
                "teams": [dict(r._mapping) for r in conn.execute(tq)],
            }

    @api.post("/history", response_model=HistoryOut, tags=["sync"], responses=ERRORS)
    def history(body: HistoryBody, user: Me) -> dict[str, Any]:
        """Every device's changes to the given records the user may see, oldest first."""
        with db.connect() as conn:
            return {"entries": record_history(conn, user, body.ids)}

    @api.get("/rules", response_model=RulesOut, tags=["rules"], responses=ERRORS)
    def rules(_user: Me) -> dict[str, Any]:
        """The stage and follow-up rule data in force (clients cache it by version)."""
        with db.connect() as conn:
            r = current_rules(conn)
        return {"version": r.version, "rules": r.raw}

    @api.post("/sync/push", response_model=PushOut, tags=["sync"], responses=ERRORS)
    def sync_push(body: PushBody, token: Token) -> Response:
        """Apply a device's operations; each gets its own result (see docs/SYNC.md)."""
        try:
            answer = push_json(db, token, body.device, body.ops, max_ops=settings.max_ops_per_push)
        except auth.AuthError as exc:
            raise refused(db, exc) from None
        except TooManyOperations:
            raise ApiError(
                413, "too_many_ops", "单次推送的操作过多", "Too many operations at once"
            ) from None
        return Response(answer, media_type="application/json")

    @contextmanager
    def feed_refusals() -> Iterator[None]:
        """What reading the feed (as pages or packs) refuses, as the API's errors."""
        try:
            yield
        except auth.AuthError as exc:
            raise refused(db, exc) from None
        except BadCursor:
            raise ApiError(400, "bad_cursor", "同步位置无效", "Unknown cursor") from None
        except ResyncRequired:
            raise ApiError(
                410,
                "resync_required",
                "离线太久,需要完整重新同步",
                "Offline for too long: a full resync is needed",
            ) from None

    @api.get(
        "/sync/pull",
        response_model=PullOut,
        tags=["sync"],
        responses={
            **ERRORS,
            410: {"model": ErrorBody, "description": "the device must resync fully"},
        },
    )
    def sync_pull(
        token: Token,
        cursor: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    ) -> Response:
        """Changes in the user's scope after ``cursor``, oldest first."""
        with feed_refusals():
            answer = pull_json(db, token, cursor, min(limit, settings.max_pull_limit))
        return Response(answer, media_type="application/json")

    @api.post(
        "/sync/pack",
        tags=["sync"],
        response_class=Response,
        responses={
            **ERRORS,
            200: {"content": {PACK_MEDIA_TYPE: {}}, "description": "the page as a pack"},
            410: {"model": ErrorBody, "description": "the device must resync fully"},
        },
    )
    def sync_pack(token: Token, body: PackBody) -> Response:
        """The page ``/sync/pull`` would answer, laid out in the device store's columns as an
        encrypted SQLite file (for a first sync: see app.sync.pack)."""
        limit = min(body.limit, settings.max_pack_limit)
        ahead = None
        if body.next_key is not None:
            ahead = (
                min(body.next_limit or limit, settings.max_pack_limit),
                bytes.fromhex(body.next_key),
            )
        with feed_refusals():
            content = packer.make(token, body.cursor, limit, bytes.fromhex(body.key), ahead)
        return Response(content, media_type=PACK_MEDIA_TYPE)

    @api.get(
        "/attachments/{sha256}/upload",
        response_model=UploadOut,
        tags=["attachments"],
        responses=ERRORS,
    )
    def upload_state(sha256: Sha, user: Me) -> dict[str, Any]:
        """How much of a file the server has (``have`` true: no need to upload). Files the user
        neither uploaded nor sees attached to a record are reported as not held."""
        state = store.state(db, user, sha256)
        return {"have": state.have, "received": state.received}

    @api.put(
        "/attachments/{sha256}",
        response_model=UploadOut,
        tags=["attachments"],
        responses=ERRORS,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        },
    )
    async def upload(
        sha256: Sha,
        user: Me,
        request: Request,
        offset: Annotated[int, Query(ge=0, le=2**40)] = 0,
        size: Annotated[int, Query(ge=1, le=2**40)] = 1,
    ) -> dict[str, Any]:
        """Upload one chunk of a file at ``offset``; ``size`` is the whole file's size."""
        if size > settings.max_attachment_bytes:
            mib = settings.max_attachment_bytes / (1024 * 1024)
            raise ApiError(
                413,
                "too_large",
                f"附件超过大小上限({mib:.0f} MB)",
                f"The file is larger than the limit of {mib:.0f} MB",
                limit=settings.max_attachment_bytes,
            )
        chunks = []
        total = 0
        async for part in request.stream():
            total += len(part)
            if total > settings.max_chunk_bytes:
                raise ApiError(
                    413,
                    "chunk_too_large",
                    "单块数据过大",
                    "The chunk is too large",
                    limit=settings.max_chunk_bytes,
                )
            chunks.append(part)
        try:
            state = await run_in_threadpool(
                store.append, db, sha256, offset, size, b"".join(chunks), viewer=user
            )
        except UploadError as exc:
            raise ApiError(exc.status, exc.code, exc.zh, exc.en, None, **exc.extra) from None
        return {"have": state.have, "received": state.received}

    @api.get(
        "/attachments/{sha256}",
        tags=["attachments"],
        response_class=FileResponse,
        responses={**ERRORS, 200: {"content": {"application/octet-stream": {}}}},
    )
    def download(sha256: Sha, user: Me) -> FileResponse:
        """Download a file (HTTP ranges resume a broken download). Only files of attachments
        in the user's scope; anything else is "not found"."""
        found = store.readable(db, user, sha256)
        if found is None:
            raise ApiError(
                404, "not_found", "附件不存在或无权访问", "No such attachment in your records"
            )
        path, mime, name = found
        return FileResponse(
            path,
            media_type=mime,
            filename=name,
            content_disposition_type="attachment",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    api.include_router(leads_router)
    api.include_router(reports_router)
    api.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return api
