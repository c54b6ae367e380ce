"""A WebSocket holds only as long as its session (issue 12): whichever way the session ends,
every socket opened with it is closed with 4403, and nothing sent over it runs any more.

Each way a session ends (logout, the login removed by another, a password reset, a
withdrawal, the idle and the absolute timeout) is tried on a socket with a subscription open,
one about to send a query and one about to send a mutation; on one server, and (for the
ends that are changes) on two processes sharing Redis, the session ended through one and the
sockets open on the other. A session ended without any notice (as when the notice is lost)
is refused at the socket's next operation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from app.models import MailedKey, Session
from app.resolvers.accounts import SESSION_PURPOSE
from app.security import keyed_hash
from tests import login_flows as lf
from tests.conftest import GraphQLClient, Server, new_place, open_session
from tests.processes import TEST_SECRET_KEY, two_processes
from tests.ws_client import Closed, GraphQLWebSocket

SECOND = "second@care.example.jp"
NEW_PASSWORD = "Renewed#pass2"

SUBSCRIPTION = "subscription { messageReceived { cursor message { body } } }"
QUERY = "query { viewer { email } employerHome { establishmentName } }"
MUTATION = f"""mutation ($input: EmployerLoginAddInput!) {{
  employerLoginAdd(input: $input) {{ {lf.PAYLOAD_FIELDS["employerLoginAdd"]} errors {{ code }} }}
}}"""
INVITED = "invited.again@care.example.jp"


async def two_logins(server: Server, new_client: Any) -> tuple[GraphQLClient, GraphQLClient]:
    """The owner of an establishment and a second login, SECOND, both logged in."""
    place = await new_place(server, new_client)
    await lf.add_login(server, place.owner, new_client(), SECOND)
    second = new_client()
    await open_session(server, second, await lf.user(SECOND))
    return place.owner, second


async def log_out(server: Server, owner: GraphQLClient, second: GraphQLClient) -> None:
    data = await second.execute("mutation { logout { errors { code } } }")
    assert data["logout"]["errors"] == []


async def removed_by_the_owner(server: Server, owner: GraphQLClient, second: GraphQLClient) -> None:
    payload = await lf.mutate(owner, "employerLoginRemove", userId=await lf.login_id(owner, SECOND))
    assert payload["errors"] == [], payload


async def password_reset(server: Server, owner: GraphQLClient, second: GraphQLClient) -> None:
    anonymous = GraphQLClient(owner.http)
    assert (await lf.mutate(anonymous, "passwordResetRequest", portal="EMPLOYER", email=SECOND))[
        "errors"
    ] == []
    payload = await lf.mutate(
        anonymous,
        "passwordResetComplete",
        portal="EMPLOYER",
        email=SECOND,
        key=await lf.key_from_mail(server, SECOND),
        password=NEW_PASSWORD,
        passwordConfirmation=NEW_PASSWORD,
    )
    assert payload["errors"] == [], payload


async def withdrawal(server: Server, owner: GraphQLClient, second: GraphQLClient) -> None:
    payload = await lf.mutate(second, "accountWithdraw", password=lf.PASSWORD)
    assert payload["errors"] == [], payload


async def idle_timeout(server: Server, owner: GraphQLClient, second: GraphQLClient) -> None:
    server.clock.advance(minutes=server.settings.session_idle_minutes, seconds=1)


async def absolute_timeout(server: Server, owner: GraphQLClient, second: GraphQLClient) -> None:
    """Used over a socket every 25 minutes, the session reaches its absolute end."""
    ttl = dt.timedelta(minutes=server.settings.session_ttl_minutes)
    step = dt.timedelta(minutes=25)
    session = await Session.filter(user__email=SECOND, ended_at__isnull=True).first()
    assert session is not None
    async with GraphQLWebSocket.connected(server.url, second.token or "") as ws:
        while server.clock.now() + step < session.expires_at:
            server.clock.advance(seconds=step.total_seconds())
            await ws.subscribe(QUERY)
            assert (await ws.receive())["type"] == "next"
            assert (await ws.receive())["type"] == "complete"
    assert session.expires_at - session.created_at == ttl
    server.clock.set(session.expires_at)


Ending = Callable[[Server, GraphQLClient, GraphQLClient], Awaitable[None]]
ENDINGS: dict[str, Ending] = {
    "logout": log_out,
    "login removed": removed_by_the_owner,
    "password reset": password_reset,
    "withdrawal": withdrawal,
    "idle timeout": idle_timeout,
    "absolute timeout": absolute_timeout,
}
CHANGES = ["logout", "login removed", "password reset", "withdrawal"]


async def closed_unanswered(ws: GraphQLWebSocket, within: float = 5) -> Closed:
    """The socket is closed by the server without answering anything meanwhile."""
    try:
        message = await ws.receive(within)
    except Closed as closed:
        return closed
    raise AssertionError(f"answered after its session ended: {message}")


async def try_operations_after(end: Callable[[], Awaitable[None]], url: str, token: str) -> None:
    """Sockets with a subscription, and ready to query and to mutate; `end` ends the session:
    every socket closes with 4403, and the query and mutation sent afterwards go unanswered."""
    async with (
        GraphQLWebSocket.connected(url, token) as subscribed,
        GraphQLWebSocket.connected(url, token) as querying,
        GraphQLWebSocket.connected(url, token) as mutating,
    ):
        await subscribed.subscribe(SUBSCRIPTION)
        # The subscription is running once a query sent after it on the same socket is answered.
        await subscribed.subscribe(QUERY)
        assert (await subscribed.receive())["type"] == "next"
        assert (await subscribed.receive())["type"] == "complete"

        await end()

        # Closed already, or about to be: either way nothing sent now may run.
        with contextlib.suppress(ConnectionClosed):
            await querying.subscribe(QUERY)
        with contextlib.suppress(ConnectionClosed):
            await mutating.subscribe(MUTATION, {"input": {"email": INVITED}})
        for ws in (subscribed, querying, mutating):
            closed = await closed_unanswered(ws)
            assert (closed.code, closed.reason) == (4403, "session ended")


@pytest.mark.parametrize("ending", ENDINGS)
async def test_every_socket_of_a_session_closes_when_the_session_ends(
    server: Server, new_client: Any, ending: str
) -> None:
    owner, second = await two_logins(server, new_client)
    assert second.token is not None

    await try_operations_after(
        lambda: ENDINGS[ending](server, owner, second), server.url, second.token
    )

    assert not await MailedKey.exists(email=INVITED), "the mutation ran"


@pytest.mark.parametrize("operation", ["query", "mutation", "subscription"])
async def test_an_operation_checks_its_session_though_no_notice_came(
    server: Server, new_client: Any, operation: str
) -> None:
    """The session ends in the database and nobody is told (a lost notice): the socket's next
    operation finds out, and the socket closes instead of answering."""
    _, second = await two_logins(server, new_client)
    assert second.token is not None
    async with GraphQLWebSocket.connected(server.url, second.token) as ws:
        token_hash = keyed_hash(TEST_SECRET_KEY, SESSION_PURPOSE, second.token)
        await Session.filter(token_hash=token_hash).update(ended_at=server.clock.now())

        if operation == "query":
            await ws.subscribe(QUERY)
        elif operation == "mutation":
            await ws.subscribe(MUTATION, {"input": {"email": INVITED}})
        else:
            await ws.subscribe(SUBSCRIPTION)

        assert (await closed_unanswered(ws)).code == 4403


async def test_operations_over_a_socket_keep_the_session_alive(
    server: Server, new_client: Any
) -> None:
    """The idle timeout counts from the last use, over a socket as over HTTP: 30 minutes after
    an operation the session holds; a moment later it has ended."""
    _, second = await two_logins(server, new_client)
    assert second.token is not None
    idle = dt.timedelta(minutes=server.settings.session_idle_minutes)
    async with GraphQLWebSocket.connected(server.url, second.token) as ws:
        for _ in range(3):
            server.clock.advance(seconds=idle.total_seconds() - 60)
            await ws.subscribe(QUERY)
            assert (await ws.receive())["type"] == "next"
            assert (await ws.receive())["type"] == "complete"
        # Last used at this exact moment:
        await ws.subscribe(QUERY)
        assert (await ws.receive())["type"] == "next"
        assert (await ws.receive())["type"] == "complete"
        last_use = server.clock.now()
        session = await Session.get(
            token_hash=keyed_hash(TEST_SECRET_KEY, SESSION_PURPOSE, second.token)
        )
        assert session.last_seen_at is not None
        assert last_use - session.last_seen_at < dt.timedelta(minutes=1)

        server.clock.set(session.last_seen_at + idle)
        await ws.nothing_within(1.5)  # at exactly 30 minutes the session still holds
        await ws.subscribe(QUERY)
        assert (await ws.receive())["type"] == "next"
        assert (await ws.receive())["type"] == "complete"

        session = await Session.get(id=session.id)
        assert session.last_seen_at is not None
        server.clock.set(session.last_seen_at + idle + dt.timedelta(seconds=1))
        assert (await closed_unanswered(ws)).code == 4403


async def test_a_socket_stays_open_while_its_session_is_used_elsewhere(
    server: Server, new_client: Any
) -> None:
    """Used over HTTP (or through another process), the session outlives the deadline the
    socket's process last saw: that process asks the database before closing anything, and
    closes the socket once the session really is idle."""
    _, second = await two_logins(server, new_client)
    assert second.token is not None
    idle = dt.timedelta(minutes=server.settings.session_idle_minutes)
    async with GraphQLWebSocket.connected(server.url, second.token) as ws:
        server.clock.advance(seconds=(idle - dt.timedelta(minutes=10)).total_seconds())
        assert (await second.post(QUERY)).status_code == 200  # not over the socket
        used_over_http = server.clock.now()

        # Past the socket's own last use by more than the idle timeout, not past the session's.
        server.clock.set(used_over_http + idle - dt.timedelta(seconds=1))
        await ws.nothing_within(1.5)
        await ws.subscribe(QUERY)
        assert (await ws.receive())["type"] == "next"
        assert (await ws.receive())["type"] == "complete"

        last_used = (
            await Session.get(token_hash=keyed_hash(TEST_SECRET_KEY, SESSION_PURPOSE, second.token))
        ).last_seen_at
        assert last_used is not None
        server.clock.set(last_used + idle + dt.timedelta(seconds=1))
        assert (await closed_unanswered(ws)).code == 4403


async def test_operations_over_a_socket_count_against_the_session_budget(
    server: Server, new_client: Any
) -> None:
    """`REQUESTS_PER_SESSION` counts every operation of the session, over HTTP or a socket."""
    _, second = await two_logins(server, new_client)
    assert second.token is not None
    throttle = server.rt.throttle
    limit = throttle.limits.requests_per_session
    throttle.enabled = True
    # Every test client shares 127.0.0.1: only the session's budget is counted here.
    try:
        # The budget's window is fixed: start at the beginning of one.
        window_start = (int(server.clock.now().timestamp()) // limit.seconds + 1) * limit.seconds
        server.clock.set(dt.datetime.fromtimestamp(window_start, dt.UTC))
        async with GraphQLWebSocket.connected(server.url, second.token) as ws:
            for _ in range(limit.count - 1):
                await ws.subscribe(QUERY)
                assert (await ws.receive())["type"] == "next"
                assert (await ws.receive())["type"] == "complete"
            response = await second.post(QUERY)  # the last one of the budget, over HTTP
            assert response.status_code == 200

            refused_id = await ws.subscribe(QUERY)
            refused = await ws.receive()
            assert (refused["id"], refused["type"]) == (refused_id, "error")
            assert [e["extensions"]["code"] for e in refused["payload"]] == ["THROTTLED"]
            assert (await second.post(QUERY)).status_code == 429

            server.clock.advance(seconds=limit.seconds)
            await ws.subscribe(QUERY)
            assert (await ws.receive())["type"] == "next"
    finally:
        throttle.enabled = False


# --- Two processes sharing Redis --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("ending", CHANGES)
async def test_a_session_ended_through_one_process_closes_its_sockets_on_the_other(
    server: Server, new_client: Any, tmp_path: Path, redis_url: str, ending: str
) -> None:
    # The processes run on the real clock: the world is made at today's time.
    server.clock.set(dt.datetime.now(dt.UTC))
    async with (
        two_processes(
            tmp_path,
            server.settings.database_url,
            REDIS_URL=redis_url,
            MAIL_URL=f"maildir://{server.mail_dir}",
        ) as (first, second_process),
        httpx.AsyncClient(base_url=first.url, timeout=30) as owner_http,
        httpx.AsyncClient(base_url=first.url, timeout=30) as second_http,
    ):
        owner, second = await two_logins(server, new_client)
        owner.http, second.http = owner_http, second_http
        assert second.token is not None

        await try_operations_after(
            lambda: ENDINGS[ending](server, owner, second), second_process.url, second.token
        )
