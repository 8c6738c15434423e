"""What the API reads of a request before FastAPI validates it: a JSON body whose objects give a
key twice, or a query giving a parameter twice, is refused (422, naming it) rather than read as
its last value.

FastAPI parses the body with `Request.json()`; the routes of bot/api use `StrictRoute`, whose
requests parse it with an `object_pairs_hook` that notes every repeated key, for the whole body.
"""

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from bot.api import messages


class _StrictRequest(Request):
    """A request whose JSON body keeps count of the keys an object gives twice."""

    repeated: list[tuple[Any, ...]]

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            seen: dict[int, list[str]] = {}
            # Every object made stays alive until the paths are read: one a repeated key threw
            # away would free its id for a later object, whose path would then be named.
            made_so_far: list[dict[str, Any]] = []

            def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
                made: dict[str, Any] = {}
                made_so_far.append(made)
                for key, value in items:
                    if key in made:
                        seen.setdefault(id(made), []).append(key)
                    made[key] = value
                return made

            body = await self.body()
            self._json = json.loads(body, object_pairs_hook=pairs)
            self.repeated = list(_paths(self._json, seen, ())) if seen else []
            made_so_far.clear()
        return self._json


def _paths(value: Any, seen: dict[int, list[str]], at: tuple[Any, ...]) -> Any:
    """The path (as pydantic's `loc`, under "body") of each key given twice, in body order."""
    if isinstance(value, dict):
        for key in dict.fromkeys(seen.get(id(value), [])):
            yield ("body", *at, key)
        for key, inner in value.items():
            yield from _paths(inner, seen, (*at, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, seen, (*at, index))


GIVEN_TWICE = "given_twice"


def _twice(loc: tuple[Any, ...], says: str) -> dict[str, Any]:
    return {"type": GIVEN_TWICE, "loc": loc, "msg": says, "input": None}


class StrictRoute(APIRoute):
    """An APIRoute that refuses a key given twice, in the JSON body or the query."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            strict_request = _StrictRequest(request.scope, request.receive)
            errors = [
                _twice(("query", name), messages.given_twice(name))
                for name in _repeated_parameters(strict_request)
            ]
            body: Any = None
            if await strict_request.body() and _is_json(strict_request):
                try:
                    body = await strict_request.json()
                except ValueError:
                    pass  # not JSON at all: FastAPI says where it broke (400)
                else:
                    errors += [
                        _twice(loc, messages.given_twice(str(loc[-1])))
                        for loc in strict_request.repeated
                    ]
            if errors:
                raise RequestValidationError(errors, body=body)
            return await handler(strict_request)

        return strict


def _repeated_parameters(request: Request) -> list[str]:
    names = [name for name, _ in request.query_params.multi_items()]
    return list(dict.fromkeys(name for name in names if names.count(name) > 1))


def _is_json(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )
