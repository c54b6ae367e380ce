"""The load generator: wrk on loopback when installed (it costs the 2-core machine least),
else an asyncio client on httpx; plus the server-side count of SQL statements per request.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOME = """query Home { employerHome { establishmentName officeName unreadMessageCount
  activePostings { category postingCount hiringCount } } }"""

POSTINGS = """query Postings($first: Int!) { postings(first: $first) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node { id status postingNumber referralDeadline createdAt
    content { jobTitle category workStyle numberToHire baseWageMin baseWageMax }
    history { action actorPortal } } } } }"""

APPLICATIONS = """query Applications($first: Int!) { applications(first: $first) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node { id status source createdAt
    applicant { profileId desiredJob desiredPrefecture experience }
    posting { id postingNumber content { jobTitle } }
    statusHistory { actorPortal at fromStatus toStatus reason } } } } }"""

MESSAGES = """query Messages($thread: ID!, $first: Int!) {
  messages(threadId: $thread, first: $first) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node { id body sender createdAt readAt } } } }"""

LOGIN = """mutation Login($input: LoginInput!) { login(input: $input) {
  session { token expiresAt } errors { code } } }"""


@dataclass(frozen=True)
class Scenario:
    """One request the load repeats: a GraphQL document and its variables, and what the
    answer must hold (checked once before the load)."""

    name: str
    query: str
    variables: dict[str, Any]
    raw_path: str
    """The route of the raw baseline that answers the same."""
    check: Callable[[dict[str, Any]], None]
    authenticated: bool = True

    def body(self) -> bytes:
        return json.dumps({"query": self.query, "variables": self.variables}).encode()


def edges(path: str, expected: int) -> Callable[[dict[str, Any]], None]:
    def check(data: dict[str, Any]) -> None:
        found = len(data[path]["edges"])
        if found != expected:
            raise AssertionError(f"{path}: {found} edges, expected {expected}")

    return check


def has(path: str) -> Callable[[dict[str, Any]], None]:
    def check(data: dict[str, Any]) -> None:
        if not data.get(path):
            raise AssertionError(f"{path} missing: {data}")

    return check


def logged_in(data: dict[str, Any]) -> None:
    if not (data["login"].get("session") or {}).get("token"):
        raise AssertionError(f"login failed: {data}")


@dataclass
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    tool: str
    statements_per_request: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "errors": self.errors,
            "tool": self.tool,
            "statements_per_request": self.statements_per_request,
            **self.extra,
        }


def headers(token: str | None) -> dict[str, str]:
    found = {"Content-Type": "application/json"}
    if token:
        found["Authorization"] = f"Bearer {token}"
    return found


async def check_once(base_url: str, path: str, scenario: Scenario, token: str | None) -> None:
    """One request, whose answer must have no errors and pass the scenario's check."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        response = await client.post(path, content=scenario.body(), headers=headers(token))
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise AssertionError(f"{scenario.name} at {base_url}{path}: {body['errors']}")
    scenario.check(body["data"])


async def statements_per_request(
    base_url: str, path: str, scenario: Scenario, token: str | None, requests: int = 10
) -> float:
    """Statements the server sent for `requests` sequential requests, per request.

    Every request goes over one kept-alive connection, so to one process of a server with
    several workers (each counts its own statements); the answers name the process, and a
    count from another process than the one switched on fails."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        switched = (await client.post("/__bench/statements", params={"on": "1"})).json()
        for _ in range(requests):
            response = await client.post(path, content=scenario.body(), headers=headers(token))
            response.raise_for_status()
        counted = (await client.get("/__bench/statements")).json()
        await client.post("/__bench/statements", params={"on": "0"})
    if counted["pid"] != switched["pid"]:
        raise AssertionError(f"{base_url}: the connection moved to another worker while counting")
    statements: int = counted["statements"]
    return statements / requests


_WRK_SCRIPT = """
local f = assert(io.open("{body}", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {{\\"requests\\": %d, \\"duration_us\\": %d, \\"status_errors\\": %d, "
    .. "\\"socket_errors\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d}}\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    base_url: str,
    path: str,
    scenario: Scenario,
    token: str | None,
    *,
    seconds: float,
    connections: int,
) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp, "body.json")
        body.write_bytes(scenario.body())
        header_lines = "\n".join(
            f'wrk.headers["{name}"] = "{value}"' for name, value in headers(token).items()
        )
        script = Path(tmp, "script.lua")
        script.write_text(_WRK_SCRIPT.format(body=body, headers=header_lines))
        completed = subprocess.run(  # noqa: S603 - wrk with our own arguments
            [
                shutil.which("wrk") or "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(script),
                base_url + path,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULT "))
    found = json.loads(line.removeprefix("RESULT "))
    return LoadResult(
        requests=found["requests"],
        seconds=found["duration_us"] / 1e6,
        errors=found["status_errors"] + found["socket_errors"],
        p50_ms=found["p50_us"] / 1000,
        p99_ms=found["p99_us"] / 1000,
        tool=f"wrk -t1 -c{connections}",
    )


async def run_python(
    base_url: str,
    path: str,
    scenario: Scenario,
    token: str | None,
    *,
    seconds: float,
    connections: int,
) -> LoadResult:
    """`connections` clients in a loop for `seconds`; every latency kept."""
    latencies: list[float] = []
    errors = 0
    body = scenario.body()
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await client.post(path, content=body, headers=headers(token))
                if response.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        errors=errors,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        tool=f"httpx x{connections}",
    )


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(pct) - 1]


async def run_load(
    base_url: str,
    path: str,
    scenario: Scenario,
    token: str | None,
    *,
    seconds: float,
    connections: int,
) -> LoadResult:
    if wrk_available():
        return await asyncio.to_thread(
            run_wrk, base_url, path, scenario, token, seconds=seconds, connections=connections
        )
    return await run_python(
        base_url, path, scenario, token, seconds=seconds, connections=connections
    )
