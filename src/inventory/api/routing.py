"""Routes as data (as Starlette has them): each route says its method, path, endpoint, whether it needs
the admin token, its body limit and its OpenAPI description. `resolve` finds the route of a request,
or the 404 or the 405 (with `allow`) once for every Worker; the runtime's `serve` does the rest.

An endpoint is `async def endpoint(call: Call) -> dict | Answer`: a dict is a 200 JSON answer.
A path segment in braces (`/api/vehicles/{vehicle}`) matches any one segment, given as `call.path`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .checks import MAX_BODY_BYTES, ApiError

JSON = "application/json"


@dataclass
class Answer:
    """An answer other than a plain 200 JSON object. `body` may be bytes, text, a JSON value, or an
    async iterator of text chunks (streamed as it is produced)."""

    body: object
    status: int = 200
    content_type: str = JSON
    headers: dict = field(default_factory=dict)


@dataclass
class Call:
    """What an endpoint is given: the Worker (settings, bindings, D1), the query, the JSON body, the
    path's {parameters}, the request's headers (lower-case names) and its URL."""

    worker: object
    query: dict = field(default_factory=dict)
    body: dict = field(default_factory=dict)
    path: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    url: str = ""


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
    cors: bool = False  # readable from the dealer's own pages (ALLOWED_ORIGINS), preflight included
    other_answers: tuple = ()  # (status, OpenAPI response) of non-error answers besides the 200


def path_parameters(template: str, path: str) -> dict | None:
    """The {parameters} of `path` under `template`, or None when it does not match."""
    wanted, given = template.split("/"), path.split("/")
    if len(wanted) != len(given):
        return None
    found = {}
    for part, value in zip(wanted, given, strict=True):
        if part.startswith("{") and part.endswith("}") and value:
            found[part[1:-1]] = value
        elif part != value:
            return None
    return found


def resolve(routes: list[Route], method: str, path: str) -> tuple[Route, dict]:
    """The route for this method and path with the path's parameters; ApiError 404 when no route has
    the path, 405 (with `allow`) when routes have it for other methods. A literal path wins over a
    template."""
    on_path = [(route, path_parameters(route.path, path)) for route in routes]
    on_path = sorted(((r, p) for r, p in on_path if p is not None), key=lambda found: len(found[1]))
    if not on_path:
        raise ApiError(404, f"no such endpoint: {path}")
    for route, parameters in on_path:
        if route.method == method:
            return route, parameters
    allowed = list(dict.fromkeys(route.method for route, _ in on_path))
    raise ApiError(405, f"method {method} not allowed here; use {' or '.join(allowed)}", allow=allowed)
