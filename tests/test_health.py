"""`GET /healthz`: 200 when the database answers, 503 otherwise — and the service stays up."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from app.main import HEALTH_CHECK_TIMEOUT_SECONDS
from tests.processes import UvicornProcess, free_port, service_env

TERMS = {"query": "{ termsDocuments { kind version } }"}


async def test_healthz_is_ok_when_the_database_answers(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def unhealthy_service(tmp_path: Path, database_port: int) -> UvicornProcess:
    url = f"postgres://hellowork:secret@127.0.0.1:{database_port}/hellowork"
    return UvicornProcess(service_env(tmp_path / "var", DATABASE_URL=url), tmp_path / "uv.log")


@pytest.mark.slow
def test_healthz_is_503_when_the_database_refuses_connections(tmp_path: Path) -> None:
    # Nothing listens on the database port: the service must start all the same and say so.
    with (
        unhealthy_service(tmp_path, free_port()) as service,
        httpx.Client(base_url=service.url, timeout=30) as http,
    ):
        for _ in range(2):
            response = http.get("/healthz")
            assert response.status_code == 503, response.text
            assert response.json() == {"status": "unavailable", "database": "down"}

        # It keeps serving what needs no database, and does not crash-loop.
        response = http.post("/graphql", json=TERMS)
        assert response.status_code == 200, response.text
        assert len(response.json()["data"]["termsDocuments"]) == 2
        assert service.process is not None
        assert service.process.poll() is None


@pytest.mark.slow
def test_healthz_answers_in_time_when_the_database_hangs(tmp_path: Path) -> None:
    # A "database" that accepts TCP connections and never says a word.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        with (
            unhealthy_service(tmp_path, silent.getsockname()[1]) as service,
            httpx.Client(base_url=service.url, timeout=30) as http,
        ):
            started = time.monotonic()
            response = http.get("/healthz")
            elapsed = time.monotonic() - started

            assert response.status_code == 503, response.text
            assert elapsed < HEALTH_CHECK_TIMEOUT_SECONDS + 2, elapsed
            response = http.post("/graphql", json=TERMS)
            assert response.status_code == 200, response.text
