"""The per-request context every field sees."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from app.resolvers import applicants
from app.runtime import Runtime
from app.schema.dataloaders import Loaders
from app.schema.execution import weakly
from app.viewer import Viewer

SESSION_COOKIE = "hw_session"
DEVICE_COOKIE = "hw_device"


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket
    rt: Runtime
    viewer: Viewer
    loaders: Loaders = field(default_factory=Loaders)

    def __post_init__(self) -> None:
        # Who applied depends on who asks, and each read is recorded for that login. The
        # viewer is read when the loader runs: a WebSocket's is set after connection_init.
        # Through a weak reference: the context holds its loaders, and a cycle would leave the
        # whole request to the garbage collector.
        self.loaders.read_persons = weakly(self._persons)

    def for_reference_run(self) -> Context:
        """This request's context with loaders of its own, for `EXECUTION=compare`'s second run
        (`app.schema.execution`): the reads come from the database again, except the applicants'
        persons, whose reads are recorded once, by the first run."""
        copy = dataclasses.replace(self, loaders=Loaders())
        copy.loaders.person_by_application_id = self.loaders.person_by_application_id
        return copy

    async def _persons(self, application_ids: list[int]) -> list[applicants.Person | None]:
        return await applicants.read_persons(self.rt, self.viewer, application_ids)

    @property
    def client_address(self) -> str | None:
        """The client's address as the ASGI server saw it; behind a proxy, uvicorn's
        `--proxy-headers` (with `--forwarded-allow-ips`) puts the forwarded one here."""
        client = self.request.client
        return client.host if client else None

    def set_cookie(self, name: str, value: str, max_age: int) -> None:
        if isinstance(self.response, Response):
            self.response.set_cookie(
                name,
                value,
                max_age=max_age,
                path="/",
                httponly=True,
                samesite="lax",
                secure=self.rt.settings.is_production,
            )

    def delete_cookie(self, name: str) -> None:
        if isinstance(self.response, Response):
            self.response.delete_cookie(
                name,
                path="/",
                httponly=True,
                samesite="lax",
                secure=self.rt.settings.is_production,
            )


Info = StrawberryInfo[Context, None]
