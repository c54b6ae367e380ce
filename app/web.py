"""The service's own web pages: the employer dashboard (`/dashboard`, 求人者ダッシュボード), the
counter's page for staff (`/counter`, 窓口 審査ページ) and, in development, GraphiQL at `/graphql`.

Their scripts and style sheets are bundled from npm packages by `web/` at build time into
`app/static/` (committed), and served from there: the pages load nothing from anywhere else,
so their Content-Security-Policy allows this origin only and no inline script at all.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

from app.middleware import DASHBOARD_CSP, GRAPHIQL_CSP

STATIC_DIR = Path(__file__).parent / "static"


class StaticAssets(StaticFiles):
    """Bundled assets, revalidated on every use: their names carry no content hash, so a
    browser must not keep an outdated bundle; unchanged files cost a 304."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = "no-cache"
        return response


class Page:
    """One HTML page of `app/static/<name>/index.html`, read once, sent with its policy."""

    def __init__(self, name: str, policy: str) -> None:
        self.html = (STATIC_DIR / name / "index.html").read_text(encoding="utf-8")
        self.policy = policy

    def response(self) -> HTMLResponse:
        return HTMLResponse(self.html, headers={"content-security-policy": self.policy})

    async def endpoint(self, request: Request) -> Response:
        return self.response()


@functools.cache
def _graphiql() -> Page:
    return Page("graphiql", GRAPHIQL_CSP)


def graphiql_page() -> HTMLResponse:
    """GraphiQL with its assets from this service (development only)."""
    return _graphiql().response()


def routes(*, production: bool) -> list[BaseRoute]:
    """The dashboard, the counter's page and their assets; GraphiQL's assets too outside
    production. The counter's page has the dashboard's policy: the same rules hold for both."""
    pages = ["dashboard", "counter"] if production else ["dashboard", "counter", "graphiql"]
    return [
        Route("/dashboard", Page("dashboard", DASHBOARD_CSP).endpoint, methods=["GET"]),
        Route("/counter", Page("counter", DASHBOARD_CSP).endpoint, methods=["GET"]),
        *(
            Mount(f"/static/{name}", app=StaticAssets(directory=STATIC_DIR / name), name=name)
            for name in pages
        ),
    ]
