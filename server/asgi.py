"""ASGI entry point for uvicorn workers: ``uvicorn --factory server.asgi:app_factory``.

Settings come from the environment (``FIELDCRM_DATABASE_URL``, ``FIELDCRM_SERVER_DATA``), which
is how ``fieldcrm-server serve`` hands its options to worker processes.
"""

from __future__ import annotations

from fastapi import FastAPI

from server.api import create_app
from server.config import load_settings

SERVE_JOB_TICK_S = 5.0


def app_factory() -> FastAPI:
    # A serving process keeps time for the lead engine (deadlines, reclaims, stagnation).
    return create_app(load_settings().with_(job_tick_s=SERVE_JOB_TICK_S))
