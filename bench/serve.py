"""The three servers the benchmark compares, as uvicorn factories (`uvicorn --factory`):

- `bench.serve:real`  — the service itself (`app.main.create_app`);
- `bench.serve:naive` — the obvious Strawberry implementation (`bench/naive.py`);
- `bench.serve:raw`   — hand-written SQL behind plain Starlette routes (`bench/raw.py`).

Each also answers `/__bench/statements`: GET returns how many SQL statements the process sent
since counting was last switched on, POST `?on=1|0` switches counting on (from zero) or off;
both name the process (`pid`), since with `uvicorn --workers` each worker counts its own.
Counting reads Tortoise's `tortoise.db_client` debug log, as tests/test_posting_queries.py
does, and is off while the load runs: building the log records costs time.
"""

from __future__ import annotations

import logging
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.settings import Settings

_STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class StatementCounter(logging.Handler):
    """Counts the statements in the records of Tortoise's database client logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count = 0
        self.logger = logging.getLogger("tortoise.db_client")

    def emit(self, record: logging.LogRecord) -> None:
        query = record.args[0] if isinstance(record.args, tuple) and record.args else record.msg
        if str(query).lstrip()[:6].upper().startswith(_STATEMENTS):
            self.count += 1

    def switch(self, on: bool) -> None:
        self.count = 0
        if on:
            self.logger.addHandler(self)
            self.logger.setLevel(logging.DEBUG)
        else:
            self.logger.removeHandler(self)
            self.logger.setLevel(logging.WARNING)


def with_counter(app: Starlette) -> Starlette:
    counter = StatementCounter()

    async def statements(request: Request) -> Response:
        if request.method == "POST":
            counter.switch(request.query_params.get("on") == "1")
        return JSONResponse({"statements": counter.count, "pid": os.getpid()})

    app.router.routes.append(Route("/__bench/statements", statements, methods=["GET", "POST"]))
    return app


def real() -> Starlette:
    from app.main import create_app

    return with_counter(create_app(Settings.from_env()))


def naive() -> Starlette:
    from bench.naive import create_naive_app

    return with_counter(create_naive_app(Settings.from_env()))


def raw() -> Starlette:
    from bench.raw import create_raw_app

    return with_counter(create_raw_app(Settings.from_env()))
