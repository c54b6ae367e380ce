"""A third-party JavaScript client against uvicorn in its own process: `clients/node/flow.mjs`
opens the employer's account with Apollo Client, reads the key and the one-time password from
the service's maildir, logs in and subscribes to `messageReceived` with graphql-ws, while this
test plays the counter (staff) and the seeker who writes.

The packages come from the npm registry through `.ci/clients` (`npm ci`). Without them the
test is skipped on a developer's machine and fails in CI (`CI` set).
"""

from __future__ import annotations

import asyncio
import json
import mailbox
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import flows
from tests import seeker_flows as sf
from tests.conftest import GraphQLClient, find_in_mail, mail_body
from tests.processes import (
    REPO,
    UvicornProcess,
    postgres_url_from_environment,
    run_app_ok,
    service_env,
)

NODE_CLIENT = REPO / "clients" / "node"

STAFF_EMAIL = "node.staff@iidabashi.example.jp"
STAFF_PASSWORD = "Counter#node1"
EMPLOYER_EMAIL = "node.hr@koraku.example.jp"
EMPLOYER_PASSWORD = "Koraku#node2026"
SEEKER_EMAIL = "node.seeker@example.jp"
ESTABLISHMENT_NUMBER = "1301-135790-2"
PHONE_NUMBER = "03-5684-0003"
BODY = "Node から届くはずのメッセージ"

MESSAGE_SEND = """mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { id body sender createdAt } errors { field code message } }
}"""

STEP_TIMEOUT = 60
"""Seconds to wait for each line of the Node client, and for its exit."""


@pytest.fixture(scope="module")
def node() -> str:
    """The `node` executable, once the client's packages are installed (`.ci/clients`)."""
    executable = shutil.which("node")
    if executable is None:
        missing = "node is not on PATH"
    elif not (NODE_CLIENT / "node_modules").is_dir():
        missing = "clients/node/node_modules is absent (run .ci/clients)"
    else:
        return executable
    if os.environ.get("CI"):
        pytest.fail(f"{missing}: the Node client test must run in CI")
    pytest.skip(missing)


@dataclass
class Service:
    url: str
    mail_dir: Path


@pytest.fixture
def service(tmp_path: Path, clean_database: None) -> Iterator[Service]:
    """Migrated database, a staff login from the CLI, uvicorn writing mail to a maildir.

    With `DATABASE_URL` on PostgreSQL (CI's second pass) the child process shares the test
    database, which `clean_database` has just emptied; otherwise it gets an SQLite file here.
    """
    mail_dir = tmp_path / "mail"
    settings = {"MAIL_URL": f"maildir://{mail_dir}"}
    postgres = postgres_url_from_environment()
    if postgres:
        settings["DATABASE_URL"] = postgres
    env = service_env(tmp_path / "var", **settings)
    run_app_ok(env, "migrate")
    run_app_ok(
        env,
        "staff",
        "create",
        "--office-code",
        "13010",
        "--office-name",
        "飯田橋公共職業安定所",
        "--email",
        STAFF_EMAIL,
        "--password",
        STAFF_PASSWORD,
    )
    with UvicornProcess(env, tmp_path / "uvicorn.log") as process:
        yield Service(process.url, mail_dir)


def mails_to(mail_dir: Path, address: str) -> list[Message]:
    box = mailbox.Maildir(mail_dir, create=True)
    try:
        found = sorted(
            ((key, m) for key, m in box.iteritems() if m["To"] == address),
            key=lambda pair: Path(mail_dir, "new", pair[0]).stat().st_mtime_ns,
        )
    finally:
        box.close()
    return [message for _, message in found]


def _matching(mail_dir: Path, address: str, pattern: str) -> list[Message]:
    return [m for m in mails_to(mail_dir, address) if re.search(pattern, mail_body(m))]


async def found_in_mail(
    mail_dir: Path, address: str, pattern: str, *, after: int = 0, within: float = 5
) -> str:
    """The group of `pattern` in the newest mail to `address` that has it, once more than
    `after` such mails have come: the service sends after it answers, so a mail asked for
    just now may not be there yet while an older one is."""
    for _ in range(int(within / 0.02)):
        matching = _matching(mail_dir, address, pattern)
        if len(matching) > after:
            return find_in_mail(matching[-1], pattern)
        await asyncio.sleep(0.02)
    raise AssertionError(f"no new mail to {address} with {pattern!r} within {within} s")


async def log_in(
    service: Service, client: GraphQLClient, portal: str, email: str, password: str
) -> None:
    """Password, then the one-time password from the service's maildir."""
    pattern = r"ワンタイムパスワード: (\d{6})"
    earlier = len(_matching(service.mail_dir, email, pattern))
    data = await client.execute(
        flows.LOGIN, {"input": {"portal": portal, "email": email, "password": password}}
    )
    login = data["login"]
    assert login["errors"] == [], login
    otp = await found_in_mail(service.mail_dir, email, pattern, after=earlier)
    data = await client.execute(
        flows.VERIFY_OTP, {"input": {"challengeId": login["otpChallenge"]["id"], "otp": otp}}
    )
    assert data["loginVerifyOtp"]["errors"] == [], data
    client.token = data["loginVerifyOtp"]["session"]["token"]


class NodeFlow:
    """`node flow.mjs` in a child process: its stdout read line by line, stderr to a file."""

    def __init__(self, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def event(self) -> dict[str, Any]:
        """The next JSON line the client prints."""
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), STEP_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"no line from node within {STEP_TIMEOUT}s:\n{self.log}") from None
        assert line, f"node ended its output (exit {self.process.returncode}):\n{self.log}"
        event: dict[str, Any] = json.loads(line)
        return event

    async def exit_status(self) -> tuple[int, bytes]:
        """Its exit status and whatever it printed after the last line read."""
        assert self.process.stdout is not None
        rest = await asyncio.wait_for(self.process.stdout.read(), STEP_TIMEOUT)
        status = await asyncio.wait_for(self.process.wait(), STEP_TIMEOUT)
        return status, rest


async def start_node(
    node: str, service: Service, counter: flows.Counter, log_path: Path
) -> NodeFlow:
    env = {
        **os.environ,
        "GRAPHQL_URL": f"{service.url}/graphql",
        "MAIL_DIR": str(service.mail_dir),
        "ACCOUNT_CREATION_CODE": counter.code,
        "ESTABLISHMENT_NUMBER": counter.establishment_number,
        "PHONE_NUMBER": counter.phone_number,
        "EMPLOYER_EMAIL": EMPLOYER_EMAIL,
        "EMPLOYER_PASSWORD": EMPLOYER_PASSWORD,
        "TIMEOUT_SECONDS": str(STEP_TIMEOUT * 2),
    }
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            node,
            "flow.mjs",
            cwd=NODE_CLIENT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
    return NodeFlow(process, log_path)


@pytest.mark.slow
async def test_node_client_opens_an_account_and_receives_the_seekers_message(
    node: str, service: Service, tmp_path: Path
) -> None:
    async with (
        httpx.AsyncClient(base_url=service.url, timeout=30) as staff_http,
        httpx.AsyncClient(base_url=service.url, timeout=30) as employer_http,
        httpx.AsyncClient(base_url=service.url, timeout=30) as seeker_http,
    ):
        staff = GraphQLClient(staff_http)
        await log_in(service, staff, "STAFF", STAFF_EMAIL, STAFF_PASSWORD)
        counter = await flows.register_at_counter(staff, ESTABLISHMENT_NUMBER, PHONE_NUMBER)

        flow = await start_node(node, service, counter, tmp_path / "node.log")
        try:
            # Node's subscription (`after: null`) delivers what is stored once the server has
            # started it from the subscribe message now on the socket; everything below comes
            # after that message, a dozen requests later on the same server.
            assert await flow.event() == {"event": "subscribed"}, flow.log

            # The employer's posting, accepted, and a seeker's application to write from.
            employer = GraphQLClient(employer_http)
            await log_in(service, employer, "EMPLOYER", EMPLOYER_EMAIL, EMPLOYER_PASSWORD)
            posting = await flows.active_posting(employer, staff)
            seeker = GraphQLClient(seeker_http)
            payload = await sf.register(seeker, SEEKER_EMAIL)
            assert payload["errors"] == [], payload
            key = await found_in_mail(service.mail_dir, SEEKER_EMAIL, r"認証キー: (\S+)")
            payload = await sf.verify(seeker, SEEKER_EMAIL, key)
            assert payload["errors"] == [], payload
            await log_in(service, seeker, "SEEKER", SEEKER_EMAIL, sf.SEEKER_PASSWORD)
            application = await sf.apply(seeker, posting["id"])

            data = await seeker.execute(
                MESSAGE_SEND, {"input": {"applicationId": application["id"], "body": BODY}}
            )
            sent = data["messageSend"]
            assert sent["errors"] == [], sent

            received = await flow.event()
            status, rest = await flow.exit_status()
        finally:
            if flow.process.returncode is None:
                flow.process.kill()
                await flow.process.wait()

    assert status == 0, flow.log
    assert received["event"] == "messageReceived", received
    assert received["message"] == sent["message"]
    assert received["cursor"]
    assert rest == b"", rest
    assert "flow: FAILED" not in flow.log
