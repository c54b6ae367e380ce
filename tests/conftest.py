"""Fixtures: a real database, a real uvicorn server on loopback, a movable clock, and the world
tests stand in (staff, establishments with their logins, seekers).

The database is SQLite in a temporary folder, or PostgreSQL when `DATABASE_URL` says so (CI).
One server runs for the whole session in the test event loop, so tests can move its clock.
Every test starts with empty tables (`clean_database`) and builds its own world.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import inspect
import mailbox
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from strawberry import relay
from tortoise import Tortoise, connections
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from app import models
from app.clock import MovableClock
from app.db import apply_migrations
from app.main import create_app
from app.models import (
    EmployerRegistration,
    MailStatus,
    OutgoingMail,
    SeekerProfile,
    SeekerRegistration,
    Session,
    User,
)
from app.resolvers import accounts, establishments, seekers
from app.resolvers.accounts import registration, sessions
from app.runtime import Runtime
from app.schema import execution
from app.schema.nodes import decode_id
from app.settings import Settings
from app.terms import TermsKind, current_version

START = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)  # 10:00 in Tokyo


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres_only: runs only against PostgreSQL")


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def settings(var_dir: Path) -> Settings:
    env = {
        "APP_ENV": "development",
        "APP_VAR_DIR": str(var_dir),
        "BCRYPT_ROUNDS": "4",
        # Tests run the expiry themselves, at the moments they choose.
        "EXPIRY_INTERVAL_SECONDS": "0",
        # The server sends its mail as soon as the change commits; without a short timer,
        # the outbox tests choose when a retry is made.
        "MAIL_INTERVAL_SECONDS": "3600",
        # Every test client is 127.0.0.1; tests/test_throttle.py runs the limits on.
        "RATE_LIMITS": "off",
        "SECRET_KEY": "test-secret-key-of-sufficient-length-0123456789",
        # Every query and subscription event runs through graphql-core and the compiled plan,
        # and `same_answers_both_ways` fails the test where they differ (`app.schema.execution`).
        "EXECUTION": "compare",
    }
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    return Settings.from_env(env)


async def _reset_postgres(url: str) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


@pytest.fixture(autouse=True)
def same_answers_both_ways() -> Iterator[None]:
    """Fails a test during which a compiled operation answered differently from graphql-core."""
    seen = len(execution.MISMATCHES)
    yield
    differences = execution.MISMATCHES[seen:]
    assert not differences, f"compiled execution differs from graphql-core: {differences}"


@pytest.fixture(scope="session")
def clock() -> MovableClock:
    return MovableClock(START)


@dataclass
class Server:
    url: str
    settings: Settings
    clock: MovableClock
    mail_dir: Path
    rt: Runtime
    _mails: dict[str, tuple[int, Message]] = field(default_factory=dict)
    """Every mail of the maildir read so far, by its file name: when it arrived, and the mail.
    A delivered file never changes, and the maildir grows for the whole session."""

    async def mail_settled(self, within: float = 5) -> None:
        """Wait until every mail committed so far has been sent, or has failed an attempt and
        is not due again yet (mail leaves after the answer, usually within milliseconds)."""
        deadline = time.monotonic() + within
        now = self.clock.now().astimezone(dt.UTC)
        unsettled = Q(attempts=0) | Q(next_attempt_at__lte=now)
        while await OutgoingMail.filter(unsettled, status=MailStatus.PENDING).exists():
            assert time.monotonic() < deadline, f"mail still waiting after {within} s"
            await asyncio.sleep(0.01)

    async def mails_to(self, address: str) -> list[Message]:
        """Every mail written to `address`, oldest first, once the outbox has settled."""
        await self.mail_settled()
        self._read_new_mail()
        found = sorted(
            (arrived, key)
            for key, (arrived, message) in self._mails.items()
            if message["To"] == address
        )
        return [self._mails[key][1] for _, key in found]

    def _read_new_mail(self) -> None:
        box = mailbox.Maildir(self.mail_dir, create=True)
        try:
            for key in box.iterkeys():
                if key not in self._mails:
                    arrived = Path(self.mail_dir, "new", key).stat().st_mtime_ns
                    self._mails[key] = (arrived, box.get_message(key))
        finally:
            box.close()

    async def last_mail_to(self, address: str) -> Message:
        found = await self.mails_to(address)
        assert found, f"no mail to {address}"
        return found[-1]


def mail_body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def find_in_mail(message: Message, pattern: str) -> str:
    match = re.search(pattern, mail_body(message))
    assert match, f"{pattern!r} not in mail"
    return match.group(1)


@pytest.fixture(scope="session")
async def server(settings: Settings, clock: MovableClock) -> AsyncIterator[Server]:
    if settings.uses_postgres:
        await _reset_postgres(settings.database_url)
    await apply_migrations(settings)
    app = create_app(settings, clock)
    # Longer than any wait of a test between two requests of one client: with uvicorn's 5 s,
    # the server may close an idle pooled connection just as the client sends on it again
    # (httpx.ReadError; seen in CI after 5 s of waiting for deliveries).
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        timeout_keep_alive=120,
    )
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = uv.servers[0].sockets[0].getsockname()[1]
    mail_dir = Path(settings.mail_url.removeprefix("maildir://"))
    yield Server(f"http://127.0.0.1:{port}", settings, clock, mail_dir, app.state.runtime)
    uv.should_exit = True
    await task


def _tables() -> list[str]:
    """Every table of the models, quoted (`user` is a reserved word in PostgreSQL)."""
    return sorted(
        f'"{cls._meta.db_table}"'
        for _, cls in inspect.getmembers(models, inspect.isclass)
        if issubclass(cls, Model) and cls.__module__.startswith("app.models")
    )


@pytest.fixture(autouse=True)
async def clean_database(server: Server) -> None:
    """Each test starts with empty tables and the clock at START."""
    server.clock.set(START)
    connection = connections.get("default")
    tables = _tables()
    if server.settings.uses_postgres:
        await connection.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        # The pragma outside the transaction, so it applies: rows go in any order. The deletes
        # in one transaction: one commit (a sync to disk) instead of one per table.
        statements = [f"DELETE FROM {table};" for table in tables]  # noqa: S608 - model names
        await connection.execute_script(
            "PRAGMA foreign_keys = OFF;\nBEGIN;\n"
            + "\n".join(statements)
            + "\nCOMMIT;\nPRAGMA foreign_keys = ON;"
        )
    assert Tortoise._inited


class GraphQLClient:
    """Posts GraphQL over real HTTP; keeps cookies like a browser when asked to."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token: str | None = None

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a response that must have no top-level errors."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


TLS = httpx.create_ssl_context()
"""The TLS settings of every test client. httpx builds new ones for each client unless given
them, reading the whole CA bundle (some 50 ms a client); the servers are plain HTTP anyway."""


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30, verify=TLS) as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture
async def new_client(server: Server) -> AsyncIterator[Any]:
    """A factory of further independent clients (another browser, another user)."""
    clients: list[httpx.AsyncClient] = []

    def make() -> GraphQLClient:
        client = httpx.AsyncClient(base_url=server.url, timeout=30, verify=TLS)
        clients.append(client)
        return GraphQLClient(client)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis of the run (`REDIS_URL`). Skipped without it on a developer's machine; in CI
    (`CI` set) a missing Redis fails, so the Redis tests can never silently not run there."""
    url = os.environ.get("REDIS_URL", "")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("REDIS_URL is not set in CI: the Redis tests must run there")
    pytest.skip("REDIS_URL is not set (start redis-server and set it to run the Redis tests)")


# --- The world: staff, establishments with their logins, seekers ------------------------------
#
# Made through the resolvers as the API makes them, without the requests, mails and waits of the
# way there: the tests of those steps (test_account_opening, test_registration, test_login,
# test_seekers, ...) take them through the API with tests/flows.py.

STAFF_PASSWORD = "Staff#pass1"
EMPLOYER_PASSWORD = "Employer#pass1"
SEEKER_PASSWORD = "Seeker#pass1"
EMPLOYER_EMAIL = "hr@care.example.jp"

LOOPBACK = "127.0.0.1"
"""The client address of every test client, recorded as the API records it."""

WORLD_KEY = "WORLDKEY00"
"""The key a world's registration is completed with instead of the mailed one, so building a
world never reads the maildir. The mail is still sent, as the API sends it, and the builders
wait until it has left: a test starts with nothing in the outbox."""


async def open_session(server: Server, client: GraphQLClient, user: User) -> str:
    """Log `client` in as `user` with a session opened by the function `loginVerifyOtp` opens
    it with (no password, OTP challenge or mail); sets and returns the bearer token."""
    async with in_transaction():
        opened = await sessions._open_session(server.rt, user, client=LOOPBACK, method="otp")
    client.token = opened.token
    return opened.token


async def reopen_session(server: Server, client: GraphQLClient) -> str:
    """Log `client` in again as the user of its session, live or not (sessions last hours;
    a test that moves the clock by days needs a new one); the new bearer token."""
    assert client.token is not None
    token_hash = server.rt.secret_hash(accounts.SESSION_PURPOSE, client.token)
    session = await Session.get(token_hash=token_hash).prefetch_related("user")
    return await open_session(server, client, session.user)


async def user_of(server: Server, client: GraphQLClient) -> User:
    """The user `client` is logged in as."""
    viewer = await accounts.viewer_for_token(server.rt, client.token)
    assert viewer.user is not None
    return viewer.user


async def create_staff(
    server: Server, office_code: str = "13010", email: str | None = None
) -> User:
    """A staff login of office `office_code` (created when new), as the command line makes it."""
    return await accounts.create_staff(
        server.rt,
        office_code=office_code,
        office_name=f"テスト{office_code}公共職業安定所",
        email=email or f"staff{office_code}@example.jp",
        password=STAFF_PASSWORD,
    )


async def new_staff(
    server: Server, client: GraphQLClient, office_code: str = "13010", email: str | None = None
) -> GraphQLClient:
    """`client` logged in as a new staff login of office `office_code`."""
    await open_session(server, client, await create_staff(server, office_code, email))
    return client


@dataclass
class Counter:
    """An establishment registered at the counter, with its code."""

    establishment_id: str
    establishment_number: str
    phone_number: str
    code: str


async def new_establishment(
    server: Server,
    staff: GraphQLClient,
    number: str = "1301-123456-7",
    phone: str = "03-3812-0001",
) -> Counter:
    """An establishment registered by `staff` under their office, and its first code."""
    viewer = await accounts.viewer_for_token(server.rt, staff.token)
    establishment = await establishments.register_establishment(
        server.rt,
        viewer,
        establishment_number=number,
        name="ハローワークケア",
        name_kana="ハローワークケア",
        phone_number=phone,
        postal_code="112-8577",
        address="東京都文京区後楽1-9-20",
    )
    issued = await establishments.issue_account_creation_code(
        server.rt, viewer, establishment_id=establishment.id
    )
    return Counter(relay.to_base64("Establishment", establishment.id), number, phone, issued.code)


async def new_code(server: Server, staff: GraphQLClient, counter: Counter) -> Counter:
    """The counter with a newly issued code (the previous one stops working)."""
    viewer = await accounts.viewer_for_token(server.rt, staff.token)
    establishment_id = decode_id(counter.establishment_id, "Establishment", "id")
    issued = await establishments.issue_account_creation_code(
        server.rt, viewer, establishment_id=establishment_id
    )
    return dataclasses.replace(counter, code=issued.code)


async def new_employer_login(
    server: Server,
    counter: Counter,
    email: str = EMPLOYER_EMAIL,
    password: str = EMPLOYER_PASSWORD,
) -> User:
    """The establishment's account opened with the counter's code (no session yet)."""
    rt = server.rt
    pending = await accounts.request_employer_registration(
        rt,
        email=email,
        email_confirmation=email,
        establishment_number=counter.establishment_number,
        phone_number=counter.phone_number,
        account_creation_code=counter.code,
        agreed_privacy_policy_version=current_version(TermsKind.PRIVACY_POLICY),
        agreed_terms_version=current_version(TermsKind.TERMS_OF_USE),
        client=LOOPBACK,
    )
    await EmployerRegistration.filter(id=pending.id).update(
        auth_key_hash=rt.secret_hash(registration.AUTH_KEY_PURPOSE, WORLD_KEY)
    )
    user = await accounts.complete_employer_registration(
        rt,
        email=email,
        auth_key=WORLD_KEY,
        password=password,
        password_confirmation=password,
        client=LOOPBACK,
    )
    await server.mail_settled()
    return user


async def new_employer(
    server: Server, client: GraphQLClient, counter: Counter, email: str = EMPLOYER_EMAIL
) -> str:
    """`client` logged in to the establishment's account, opened with the counter's code;
    the bearer token."""
    return await open_session(server, client, await new_employer_login(server, counter, email))


async def new_employer_of(
    server: Server,
    staff: GraphQLClient,
    client: GraphQLClient,
    number: str = "1301-123456-7",
    phone: str = "03-3812-0001",
    email: str = EMPLOYER_EMAIL,
) -> GraphQLClient:
    """`client` logged in to the first login of an establishment that `staff` register."""
    await new_employer(server, client, await new_establishment(server, staff, number, phone), email)
    return client


@dataclass
class Place:
    """An establishment registered at the counter by `staff`, its first login `owner` logged in."""

    counter: Counter
    staff: GraphQLClient
    owner: GraphQLClient


async def new_place(
    server: Server,
    new_client: Any,
    email: str = EMPLOYER_EMAIL,
    number: str = "1301-123456-7",
    phone: str = "03-3812-0001",
    office_code: str = "13010",
) -> Place:
    staff = await new_staff(server, new_client(), office_code)
    counter = await new_establishment(server, staff, number, phone)
    owner = new_client()
    await new_employer(server, owner, counter, email)
    return Place(counter, staff, owner)


@dataclass
class Seeker:
    """A seeker logged in with `client`; `profile_id` is the profile's global ID."""

    client: GraphQLClient
    email: str
    name: str
    profile_id: str


async def new_seeker(
    server: Server, client: GraphQLClient, email: str, name: str = "求職 太郎"
) -> Seeker:
    """`client` logged in as a seeker registered and verified, with an empty profile."""
    rt = server.rt
    pending = await seekers.register_seeker(
        rt,
        email=email,
        email_confirmation=email,
        password=SEEKER_PASSWORD,
        password_confirmation=SEEKER_PASSWORD,
        display_name=name,
        client=LOOPBACK,
    )
    await SeekerRegistration.filter(id=pending.id).update(
        verification_key_hash=rt.secret_hash(seekers.VERIFICATION_KEY_PURPOSE, WORLD_KEY)
    )
    user = await seekers.verify_seeker_email(rt, email=email, key=WORLD_KEY, client=LOOPBACK)
    await server.mail_settled()
    await open_session(server, client, user)
    profile = await SeekerProfile.get(user_id=user.id)
    return Seeker(client, email, name, relay.to_base64("SeekerProfile", profile.id))


@pytest.fixture
async def staff(server: Server, new_client: Any) -> GraphQLClient:
    """Staff of office 13010, logged in."""
    return await new_staff(server, new_client())


@pytest.fixture
async def counter(server: Server, staff: GraphQLClient) -> Counter:
    """Establishment 1301-123456-7, registered by `staff`, with its code."""
    return await new_establishment(server, staff)


@pytest.fixture
async def employer(server: Server, counter: Counter, new_client: Any) -> GraphQLClient:
    """The establishment's first login, hr@care.example.jp, logged in."""
    client: GraphQLClient = new_client()
    await new_employer(server, client, counter)
    return client


@pytest.fixture
async def other_employer(server: Server, staff: GraphQLClient, new_client: Any) -> GraphQLClient:
    """A second establishment of the same office, 1301-654321-0, its login hr@other.example.jp."""
    return await new_employer_of(
        server, staff, new_client(), "1301-654321-0", "03-3812-0002", "hr@other.example.jp"
    )


@pytest.fixture
async def seeker(server: Server, new_client: Any) -> Seeker:
    """Seeker taro@example.jp (求職 太郎), an empty profile, logged in."""
    return await new_seeker(server, new_client(), "taro@example.jp")
