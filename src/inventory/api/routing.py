"""Routes as data (as Starlette has them): each route says its method, path, endpoint, whether it needs
the admin token, its body limit and its OpenAPI description. `resolve` finds the route of a request,
or the 404 or the 405 (with `allow`) once for every Worker; the runtime's `serve` does the rest.

An endpoint is `async def endpoint(call: Call) -> dict | Answer`: a dict is a 200 JSON answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .checks import MAX_BODY_BYTES, ApiError

JSON = "application/json"


@dataclass
class Answer:
    """An answer other than a plain 200 JSON object."""

    body: object
    status: int = 200
    content_type: str = JSON


@dataclass
class Call:
    """What an endpoint is given: the Worker (settings, bindings, D1), the query and the JSON body."""

    worker: object
    query: dict = field(default_factory=dict)
    body: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    endpoint: Callable[[Call], Awaitable[object]]
    summary: str
    answer: dict  # the OpenAPI response of a 200: {"description", "content"}
    admin: bool = False  # needs `Authorization: Bearer <ADMIN_TOKEN>`
    body: dict | None = None  # the OpenAPI schema of the JSON body; None: no body is read
    body_limit: int = MAX_BODY_BYTES
    errors: tuple[int, ...] = ()  # statuses it may answer besides 200 (404/405/500 go without saying)
    parameters: tuple = ()
    tag: str = "public"
    description: str = ""


def resolve(routes: list[Route], method: str, path: str) -> Route:
    """The route for this method and path; ApiError 404 when no route has the path, 405 (with `allow`)
    when routes have it for other methods."""
    on_path = [route for route in routes if route.path == path]
    if not on_path:
        raise ApiError(404, f"no such endpoint: {path}")
    for route in on_path:
        if route.method == method:
            return route
    allowed = [route.method for route in on_path]
    raise ApiError(405, f"method {method} not allowed here; use {' or '.join(allowed)}", allow=allowed)
