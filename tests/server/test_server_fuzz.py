"""Schemathesis fuzzes every operation of the published OpenAPI schema: never a 5xx, and every
answer conforms to the schema (status codes, content types, headers, bodies, auth handling)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from helpers.world import World, customer, one, sign_in
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import CHECKS, load_all_checks
from sqlalchemy import Engine

from server.api import create_app
from server.config import Settings
from server.embedded import serve_in_thread

# Bounded: about 25 examples per operation, a few hundred in all.
EXAMPLES = 25

load_all_checks()
# Every check schemathesis has but one: "schema-valid data is accepted" cannot hold for input
# whose validity the schema cannot express and the server rightly refuses (a pull cursor it never
# issued, upload bytes that do not hash to the sha256 in the path, a user name with a NUL).
EXCLUDED = [c for c in CHECKS.get_all() if c.__name__ == "positive_data_acceptance"]


@pytest.fixture
def target(
    settings: Settings, engine: Engine, world: World
) -> Iterator[tuple[Any, str, dict[str, str]]]:
    one(engine, world.ra1, customer(world.ra1))
    app = create_app(settings, engine)
    handle = serve_in_thread(app, settings=settings)
    try:
        with httpx.Client(base_url=handle.url) as c:
            headers = sign_in(c, "ra1")
        yield schemathesis.openapi.from_dict(app.openapi()), handle.url, headers
    finally:
        handle.stop()


@pytest.mark.slow
def test_no_input_makes_the_server_fail(target: tuple[Any, str, dict[str, str]]) -> None:
    schema, url, headers = target
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    with httpx.Client(base_url=url, timeout=30) as http:
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def exercise(case: Any) -> None:
                kwargs = case.as_transport_kwargs(base_url=url, headers=headers)
                response = http.request(
                    kwargs["method"],
                    kwargs["url"],
                    params=kwargs.get("params"),
                    headers=kwargs.get("headers"),
                    content=_body(kwargs),
                )
                statuses.append(response.status_code)
                assert response.status_code < 500, (
                    f"{case.method} {case.path} -> {response.status_code}: {response.text[:300]}"
                )
                # ``headers`` tells the auth checks that the token was ours, not generated.
                case.validate_response(response, excluded_checks=EXCLUDED, headers=headers)

            exercise()
    assert len(statuses) >= 100


def _body(kwargs: dict[str, Any]) -> bytes | None:
    if "json" in kwargs:
        return json.dumps(kwargs["json"]).encode()
    data = kwargs.get("data")
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    return data if isinstance(data, bytes) else None
