"""The guides in `docs/` are scenarios: every example in them runs against a real server.

A guide is read top to bottom (the convention is in `docs/README.md`): directives in HTML
comments name each step, and the fenced blocks after a directive are its operation, variables
and response, the WebSocket message, the status and headers of a plain GET, or the raw body
of a POST and its answer. Each guide
runs in its own clean database; what the server answers must equal the documented response,
except for placeholders such as `<posting-id>`, which must have their kind's shape and, when
named, the same value throughout the guide. Every `graphql` block in `docs/` must also be
valid against `schema.graphql`.

`DOCS_UPDATE=1 pytest tests/test_docs.py` writes the actual responses into the guides instead
of failing, keeping the placeholders that still match: review the diff before keeping it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import io
import json
import os
import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import graphql
import pytest
from pypdf import PdfWriter

from app.broker import InProcessBroker
from app.models import Portal, User
from app.resolvers import accounts
from tests import flows, seeker_flows
from tests.conftest import (
    STAFF_PASSWORD,
    GraphQLClient,
    Server,
    find_in_mail,
    new_employer,
    new_establishment,
    new_seeker,
    open_session,
)
from tests.ws_client import Closed, GraphQLWebSocket

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDES = [
    "account-opening.md",
    "postings.md",
    "applicants.md",
    "messages.md",
    "subscriptions.md",
    "counter.md",
    "frontend.md",
]
UPDATE = os.environ.get("DOCS_UPDATE") == "1"

STAFF_EMAIL = "staff@iidabashi.example.jp"
EMPLOYER_EMAIL = "hr@care.example.jp"
SEEKER_EMAIL = "taro@example.jp"


# --- Reading a guide ---------------------------------------------------------------------------

DIRECTIVE = re.compile(r"^(?:[→←] )?<!--\s*(example|setup|mail|ws|get|post):\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Block:
    language: str
    text: str
    start: int
    """Index of the first line of the block's content."""
    end: int
    """Index of the closing fence."""


@dataclass
class Step:
    kind: str
    head: str
    options: dict[str, str]
    line: int
    blocks: list[Block] = field(default_factory=list)

    def where(self, guide: str) -> str:
        return f"{guide}:{self.line + 1} ({self.kind}: {self.head})"


def parse_directive(text: str) -> tuple[str, dict[str, str]]:
    """`name, key: value, key: value` → the name and the options."""
    head, *rest = [part.strip() for part in text.split(",")]
    options = {}
    for part in rest:
        key, sep, value = part.partition(":")
        assert sep, f"option {part!r} is not `key: value`"
        options[key.strip()] = value.strip()
    return head, options


def read_blocks(lines: list[str]) -> list[Block]:
    blocks = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening:
            close = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            text = "\n".join(lines[index + 1 : close])
            blocks.append(Block(opening.group(1), text, index + 1, close))
            index = close
        index += 1
    return blocks


def read_guide(path: Path) -> list[Step]:
    """The directives of a guide, each with the graphql and json blocks that follow it."""
    lines = path.read_text().splitlines()
    blocks = read_blocks(lines)
    fenced = {i for block in blocks for i in range(block.start - 1, block.end + 1)}
    steps: list[Step] = []
    for index, text in enumerate(lines):
        match = DIRECTIVE.match(text)
        if match and index not in fenced:
            head, options = parse_directive(match.group(2))
            steps.append(Step(match.group(1), head, options, index))
    for block in blocks:
        if block.language not in ("graphql", "json"):
            continue
        owners = [s for s in steps if s.line < block.start]
        if owners:
            owners[-1].blocks.append(block)
    return steps


# --- Placeholders ------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"<([a-z][a-z0-9]*(?:-[a-z0-9]+)*)>")


def _global_id(value: str) -> bool:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    # `Type:key`, Type an object type with an `id` (a `Node`, or an object a client caches by
    # it: `TermsDocument:TERMS_OF_USE:2026-04-01`, `OtpChallenge:<uuid>`).
    type_name, _, key = decoded.partition(":")
    named = schema().get_type(type_name)
    return isinstance(named, graphql.GraphQLObjectType) and "id" in named.fields and bool(key)


def _cursor(value: str) -> bool:
    try:
        return bool(base64.urlsafe_b64decode(value.encode()).decode())
    except (binascii.Error, UnicodeDecodeError):
        return False


def _uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _datetime(value: str) -> bool:
    try:
        return dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _account_creation_code(value: str) -> bool:
    return all(re.search(p, value) for p in ("[A-Za-z]", "[0-9]", "[^A-Za-z0-9]"))


# The last word of a placeholder's name is its kind: a pattern and a check of its values.
KINDS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "id": (r"[A-Za-z0-9+/]+=*", _global_id),
    "uuid": (r"[0-9a-f-]{36}", _uuid),
    "token": (r"[A-Za-z0-9_-]{40,}", bool),
    "cursor": (r"[A-Za-z0-9_-]+=*", _cursor),
    "datetime": (r"[0-9T:.+-]+Z?", _datetime),
    "key": (r"[A-Z0-9]{10}", bool),
    "otp": (r"[0-9]{6}", bool),
    "code": (r"[!-~]{10}", _account_creation_code),
    "label": (r"求職者 [0-9A-F]{8}", bool),
    "receipt": (r"[0-9]{8}", bool),
}


def kind_of(name: str) -> str:
    kind = name.rsplit("-", 1)[-1]
    assert kind in KINDS, f"<{name}>: a placeholder's last word must be one of {sorted(KINDS)}"
    return kind


class Bindings(dict[str, str]):
    """Named placeholders and their values. A bare kind (`<id>`, `<cursor>`) binds nothing."""

    def bind(self, name: str, value: str) -> None:
        if name in KINDS:
            return
        assert self.setdefault(name, value) == value, f"<{name}> was {self[name]!r}, now {value!r}"

    def fill(self, value: Any) -> Any:
        """`value` with every bound placeholder in its strings replaced by its value."""
        if isinstance(value, dict):
            return {key: self.fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.fill(item) for item in value]
        if isinstance(value, str):

            def replace(match: re.Match[str]) -> str:
                assert match.group(1) in self, f"<{match.group(1)}> is used before it is bound"
                return self[match.group(1)]

            return PLACEHOLDER.sub(replace, value)
        return value

    def match_string(self, expected: str, actual: str) -> bool:
        """Whether `actual` reads as `expected` with its placeholders filled; binds them."""
        names = PLACEHOLDER.findall(expected)
        if not names:
            return expected == actual
        pattern = ""
        for literal, name in zip(PLACEHOLDER.split(expected)[::2], [*names, None], strict=True):
            pattern += re.escape(literal)
            if name is not None:
                value = re.escape(self[name]) if name in self else KINDS[kind_of(name)][0]
                pattern += f"({value})"
        found = re.fullmatch(pattern, actual)
        if found is None:
            return False
        values = found.groups()
        if not all(KINDS[kind_of(n)][1](v) for n, v in zip(names, values, strict=True)):
            return False
        for name, value in zip(names, values, strict=True):
            self.bind(name, value)
        return True

    def compare(self, expected: Any, actual: Any, path: str = "") -> list[str]:
        """The differences between the documented and the actual value; binds as it goes."""
        if isinstance(expected, dict) and isinstance(actual, dict):
            problems = [f"{path}.{key}: missing" for key in expected if key not in actual]
            problems += [f"{path}.{key}: not documented" for key in actual if key not in expected]
            for key in expected.keys() & actual.keys():
                problems += self.compare(expected[key], actual[key], f"{path}.{key}")
            return problems
        if isinstance(expected, list) and isinstance(actual, list):
            if len(expected) != len(actual):
                return [f"{path}: {len(expected)} items documented, {len(actual)} received"]
            problems = []
            for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
                problems += self.compare(e, a, f"{path}[{index}]")
            return problems
        if isinstance(expected, str) and isinstance(actual, str):
            if self.match_string(expected, actual):
                return []
        elif expected == actual and type(expected) is type(actual):
            return []
        return [f"{path}: documented {expected!r}, received {actual!r}"]

    def render(self, expected: Any, actual: Any) -> Any:
        """`actual` as the docs should show it: documented placeholders kept where they still
        match, and bound values written as their placeholder."""
        if isinstance(actual, dict):
            fields = expected if isinstance(expected, dict) else {}
            return {key: self.render(fields.get(key), item) for key, item in actual.items()}
        if isinstance(actual, list):
            items = expected if isinstance(expected, list) else []
            return [
                self.render(items[i] if i < len(items) else None, item)
                for i, item in enumerate(actual)
            ]
        if isinstance(actual, str):
            if isinstance(expected, str) and self.match_string(expected, actual):
                return expected
            named = [name for name, value in self.items() if value == actual]
            return f"<{named[0]}>" if named else actual
        return actual


# --- Running a guide ---------------------------------------------------------------------------


@cache
def schema() -> graphql.GraphQLSchema:
    return graphql.build_schema((ROOT / "schema.graphql").read_text())


def width(text: str) -> int:
    """Columns on screen: full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def dump(value: Any, indent: int = 0) -> str:
    """JSON as the docs show it: indented by two, each object or list on one line when it
    fits in 88 columns."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value or indent + width(flat) <= 88:
        return flat
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(key, ensure_ascii=False)}: {dump(item, indent + 2)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [inner + dump(item, indent + 2) for item in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def without_undocumented_extensions(expected: Any, actual: Any) -> Any:
    """`actual` without the response's top-level `extensions` (every answer carries its
    `cost`) where the documented response shows none; in a WebSocket message, its payload's."""
    if not isinstance(expected, dict) or not isinstance(actual, dict):
        return actual
    if "extensions" in actual and "extensions" not in expected and "data" in actual:
        actual = {key: value for key, value in actual.items() if key != "extensions"}
    if isinstance(actual.get("payload"), dict):
        payload = without_undocumented_extensions(expected.get("payload"), actual["payload"])
        actual = {**actual, "payload": payload}
    return actual


@dataclass
class Scenario:
    server: Server
    new_client: Callable[[], GraphQLClient]
    guide: str
    bindings: Bindings = field(default_factory=Bindings)
    clients: dict[str, GraphQLClient] = field(default_factory=dict)
    sockets: dict[str, tuple[GraphQLWebSocket, AsyncExitStack]] = field(default_factory=dict)
    subscriptions: set[tuple[str, str]] = field(default_factory=set)
    rewrites: list[tuple[Block, str]] = field(default_factory=list)

    def client(self, actor: str) -> GraphQLClient:
        if actor not in self.clients:
            self.clients[actor] = self.new_client()
        return self.clients[actor]

    def check(self, step: Step, block: Block, actual: Any) -> None:
        expected = json.loads(block.text)
        actual = without_undocumented_extensions(expected, actual)
        problems = self.bindings.compare(expected, actual)
        if UPDATE:
            self.rewrites.append((block, dump(self.bindings.render(expected, actual))))
        elif problems:
            pytest.fail(f"{step.where(self.guide)}: the response drifted:\n" + "\n".join(problems))

    async def run(self, step: Step) -> None:
        if step.kind != "ws":
            await self.until_subscriptions_listen()
        if step.kind == "example":
            await self.example(step)
        elif step.kind == "setup":
            await self.setup(step)
        elif step.kind == "mail":
            await self.mail(step)
        elif step.kind == "get":
            await self.get(step)
        elif step.kind == "post":
            await self.post(step)
        else:
            await self.websocket(step)

    async def example(self, step: Step) -> None:
        languages = [block.language for block in step.blocks]
        assert languages in (["graphql", "json"], ["graphql", "json", "json"]), (
            f"{step.where(self.guide)}: an example is a graphql block, its variables "
            f"(optional) and its response, not {languages}"
        )
        query = step.blocks[0].text
        variables = {}
        if len(languages) == 3:
            documented = json.loads(step.blocks[1].text)
            variables = self.bindings.fill(documented)
            if UPDATE:
                self.rewrites.append((step.blocks[1], dump(documented)))
        client = self.client(step.options["as"])
        response = await client.post(query, variables)
        assert response.status_code == 200, f"{step.where(self.guide)}: {response.text}"
        self.check(step, step.blocks[-1], response.json())
        if "authorize" in step.options:
            client.token = self.bindings[step.options["authorize"].strip("<>")]

    async def setup(self, step: Step) -> None:
        assert not step.blocks, f"{step.where(self.guide)}: a set-up has no blocks"
        bound = await SETUPS[step.head](self, step.options)
        declared = PLACEHOLDER.findall(step.options.get("binds", ""))
        assert sorted(declared) == sorted(bound), (
            f"{step.where(self.guide)}: declares binds {declared}, binds {sorted(bound)}"
        )
        for name, value in bound.items():
            assert KINDS[kind_of(name)][1](value), f"<{name}>: {value!r} has not its shape"
            self.bindings.bind(name, value)

    async def mail(self, step: Step) -> None:
        """`<!-- mail: <auth-key>, to: address -->`: the key or OTP in the latest mail."""
        name = step.head.strip("<>")
        pattern = {"key": r"(?:認証キー|解除キー): (\S+)", "otp": r"ワンタイムパスワード: (\d{6})"}
        message = await self.server.last_mail_to(step.options["to"])
        if "subject" in step.options:
            assert flows.mail_subject(message) == step.options["subject"], step.where(self.guide)
        self.bindings.bind(name, find_in_mail(message, pattern[kind_of(name)]))

    async def get(self, step: Step) -> None:
        """`<!-- get: PATH, as: ACTOR -->`: a plain HTTP GET of PATH with the actor's session;
        the json block is the status and the headers it names (a file is not JSON)."""
        assert [block.language for block in step.blocks] == ["json"], (
            f"{step.where(self.guide)}: a get is one json block, the status and headers"
        )
        client = self.client(step.options["as"])
        headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
        response = await client.http.get(self.bindings.fill(step.head), headers=headers)
        named = json.loads(step.blocks[0].text).get("headers", {})
        actual = {
            "status": response.status_code,
            "headers": {name: response.headers.get(name) for name in named},
        }
        self.check(step, step.blocks[0], actual)

    async def post(self, step: Step) -> None:
        """`<!-- post: PATH, as: ACTOR -->`: the first json block posted as it is (its
        placeholders filled) with the actor's session, as no GraphQL client would; the last is
        the response body, and a middle one, when there are three, the status and the headers
        it names (without it, the status must be 200)."""
        languages = [block.language for block in step.blocks]
        assert languages in (["json", "json"], ["json", "json", "json"]), (
            f"{step.where(self.guide)}: a post is a json block of the request body, the status "
            f"and headers (optional) and the response body, not {languages}"
        )
        client = self.client(step.options["as"])
        headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
        body = self.bindings.fill(json.loads(step.blocks[0].text))
        response = await client.http.post(self.bindings.fill(step.head), json=body, headers=headers)
        if len(step.blocks) == 3:
            named = json.loads(step.blocks[1].text).get("headers", {})
            actual = {
                "status": response.status_code,
                "headers": {name: response.headers.get(name) for name in named},
            }
            self.check(step, step.blocks[1], actual)
        else:
            assert response.status_code == 200, f"{step.where(self.guide)}: {response.text}"
        self.check(step, step.blocks[-1], response.json())

    async def websocket(self, step: Step) -> None:
        actor = step.options["as"]
        if step.head == "send":
            *operation, message_block = step.blocks
            message = self.bindings.fill(json.loads(message_block.text))
            if operation:
                assert graphql.print_ast(graphql.parse(operation[0].text)) == graphql.print_ast(
                    graphql.parse(message["payload"]["query"])
                ), f"{step.where(self.guide)}: the graphql block is not the message's query"
            ws = await self.socket(actor)
            await ws.send(message)
            if message["type"] == "subscribe":
                self.subscriptions.add((actor, message["id"]))
            if message["type"] == "complete":
                self.subscriptions.discard((actor, message["id"]))
        elif step.head == "receive":
            ws = self.sockets[actor][0]
            self.check(step, step.blocks[0], await ws.receive())
        elif step.head == "closed":
            ws = self.sockets[actor][0]
            with pytest.raises(Closed) as closed:
                await ws.receive()
            self.check(
                step, step.blocks[0], {"code": closed.value.code, "reason": closed.value.reason}
            )
            await self.close(actor)
        else:
            assert step.head == "close", f"{step.where(self.guide)}: unknown ws step"
            await self.close(actor)

    async def socket(self, actor: str) -> GraphQLWebSocket:
        if actor not in self.sockets:
            stack = AsyncExitStack()
            ws = await stack.enter_async_context(GraphQLWebSocket.open(self.server.url))
            self.sockets[actor] = (ws, stack)
        return self.sockets[actor][0]

    async def close(self, actor: str) -> None:
        _, stack = self.sockets.pop(actor)
        self.subscriptions = {s for s in self.subscriptions if s[0] != actor}
        await stack.aclose()

    async def until_subscriptions_listen(self) -> None:
        """Wait until every open subscription waits for the broker's next notice.

        A subscription started with `after: null` delivers what happens after it has started;
        the step that follows a `subscribe` must not run before that, or the guide would race.
        """
        broker = self.server.rt.broker
        assert isinstance(broker, InProcessBroker)
        async with asyncio.timeout(10):
            while True:
                listening = broker.listener_count
                if listening == broker.parked_count == len(self.subscriptions):
                    return
                await asyncio.sleep(0.01)

    async def finish(self) -> None:
        for actor in list(self.sockets):
            await self.close(actor)


# --- Set-ups: what other actors do, declared in the guides -------------------------------------


async def staff_login(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """Staff of 飯田橋公共職業安定所 (13010) log in."""
    user = await accounts.create_staff(
        scenario.server.rt,
        office_code="13010",
        office_name="飯田橋公共職業安定所",
        email=STAFF_EMAIL,
        password=STAFF_PASSWORD,
    )
    await open_session(scenario.server, scenario.client("staff"), user)
    return {}


async def staff_token(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """The staff member's session token (for their WebSocket; a browser sends its cookie)."""
    token = scenario.client("staff").token
    assert token is not None, "staff-token follows staff-login"
    return {"staff-token": token}


async def staff_back(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """The staff member logs in again (a session ends after 30 idle minutes)."""
    user = await User.get(email=STAFF_EMAIL, portal=Portal.STAFF)
    await open_session(scenario.server, scenario.client("staff"), user)
    return {}


async def counter(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """Staff register ハローワークケア (1301-123456-7, 03-3812-0001) and issue a code."""
    registered = await new_establishment(scenario.server, scenario.client("staff"))
    return {"account-creation-code": registered.code}


async def employer_login(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """The establishment registered at the counter, its account opened and logged in."""
    registered = await new_establishment(scenario.server, scenario.client("staff"))
    token = await new_employer(
        scenario.server, scenario.client("employer"), registered, EMPLOYER_EMAIL
    )
    return {"employer-token": token}


async def active_posting(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """A posting drafted, submitted and accepted (the postings guide shows these steps)."""
    posting = await flows.active_posting(scenario.client("employer"), scenario.client("staff"))
    return {"posting-id": posting["id"]}


async def staff_accepts(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """Staff accept (受理) `<posting-id>` from their review queue."""
    posting_id = scenario.bindings["posting-id"]
    await flows.posting_step(scenario.client("staff"), "postingAccept", {"id": posting_id})
    return {}


async def staff_returns(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """Staff return `<posting-id>` for correction (修正依頼) with `reason`."""
    posting_id = scenario.bindings["posting-id"]
    await flows.posting_step(
        scenario.client("staff"), "postingReturn", {"id": posting_id, "reason": options["reason"]}
    )
    return {}


async def seeker_applies(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """A seeker registers, fills in a profile and applies online to `<posting-id>`."""
    seeker = scenario.client("seeker")
    await new_seeker(scenario.server, seeker, SEEKER_EMAIL)
    await seeker_flows.update_profile(
        seeker,
        nameKana="キュウショク タロウ",
        birthDate="1990-04-02",
        prefecture="東京都",
        city="文京区",
    )
    await seeker_flows.apply(
        seeker,
        scenario.bindings["posting-id"],
        motivation="特別養護老人ホームでの5年の経験を、貴施設の個別ケアで活かしたいと考え応募しました。",
    )
    return {}


async def seeker_attaches(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """The seeker attaches a 履歴書 (`rirekisho.pdf`, one page) to `<application-id>`."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    pdf = io.BytesIO()
    writer.write(pdf)
    seeker = scenario.client("seeker")
    operations = {
        "query": """mutation AttachResume($input: ApplicationDocumentUploadInput!) {
          applicationDocumentUpload(input: $input) { errors { code } } }""",
        "variables": {
            "input": {
                "applicationId": scenario.bindings["application-id"],
                "kind": "RESUME",
                "file": None,
            }
        },
    }
    response = await seeker.http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": ("rirekisho.pdf", pdf.getvalue(), "application/pdf")},
        headers={"Authorization": f"Bearer {seeker.token}"},
    )
    assert response.json()["data"]["applicationDocumentUpload"]["errors"] == [], response.text
    return {}


async def seeker_writes(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """The seeker writes `body` about their application `<application-id>`."""
    data = await scenario.client("seeker").execute(
        "mutation ($input: MessageSendInput!) { messageSend(input: $input) { errors { code } } }",
        {"input": {"applicationId": scenario.bindings["application-id"], "body": options["body"]}},
    )
    assert data["messageSend"]["errors"] == [], data
    return {}


async def later(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """The clock moves on by `minutes` (less than the 30 that end an idle session)."""
    scenario.server.clock.advance(minutes=int(options["minutes"]))
    return {}


SETUPS: dict[str, Callable[[Scenario, dict[str, str]], Awaitable[dict[str, str]]]] = {
    "staff-login": staff_login,
    "staff-token": staff_token,
    "staff-back": staff_back,
    "counter": counter,
    "employer-login": employer_login,
    "active-posting": active_posting,
    "staff-accepts": staff_accepts,
    "staff-returns": staff_returns,
    "seeker-applies": seeker_applies,
    "seeker-attaches": seeker_attaches,
    "seeker-writes": seeker_writes,
    "later": later,
}


def write_back(path: Path, rewrites: list[tuple[Block, str]]) -> None:
    lines = path.read_text().splitlines()
    for block, text in sorted(rewrites, key=lambda pair: -pair[0].start):
        lines[block.start : block.end] = text.splitlines()
    path.write_text("\n".join(lines) + "\n")


# --- Tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("guide", GUIDES)
async def test_every_example_of_the_guide_runs_as_documented(
    server: Server, new_client: Callable[[], GraphQLClient], guide: str
) -> None:
    steps = read_guide(DOCS / guide)
    assert any(step.kind == "example" for step in steps), f"{guide} has no example"
    scenario = Scenario(server, new_client, guide)
    try:
        for step in steps:
            await scenario.run(step)
    finally:
        await scenario.finish()
        if scenario.rewrites:
            write_back(DOCS / guide, scenario.rewrites)


def test_every_graphql_block_in_the_docs_is_valid_against_the_schema() -> None:
    documents = []
    for path in sorted(DOCS.glob("*.md")):
        lines = path.read_text().splitlines()
        for block in read_blocks(lines):
            if block.language == "graphql":
                documents.append((f"{path.name}:{block.start}", block.text))
            elif block.language == "json":
                message = json.loads(block.text)
                if isinstance(message, dict) and message.get("type") == "subscribe":
                    documents.append((f"{path.name}:{block.start}", message["payload"]["query"]))
    assert len(documents) > 20
    for where, text in documents:
        errors = graphql.validate(schema(), graphql.parse(text))
        assert not errors, f"{where}: {[error.message for error in errors]}"


def test_the_index_links_every_guide_and_every_guide_has_a_title() -> None:
    index = (DOCS / "README.md").read_text()
    assert sorted(p.name for p in DOCS.glob("*.md") if p.name != "README.md") == sorted(GUIDES)
    for guide in GUIDES:
        assert f"({guide})" in index, f"docs/README.md does not link {guide}"
        assert (DOCS / guide).read_text().startswith("# "), guide


def test_placeholders_check_their_shape_and_keep_their_first_value() -> None:
    bindings = Bindings()
    posting = base64.b64encode(b"Posting:7").decode()
    assert bindings.compare({"id": "<posting-id>"}, {"id": posting}) == []
    assert bindings["posting-id"] == posting
    assert bindings.compare("<posting-id>", base64.b64encode(b"Posting:8").decode()) != []
    assert bindings.compare("<id>", base64.b64encode(b"NoSuchType:1").decode()) != []
    assert bindings.compare("<id>", base64.b64encode(b"Application:3").decode()) == []
    assert bindings.compare("<id>", base64.b64encode(b"Application:").decode()) != []
    assert bindings.compare("<id>", base64.b64encode(b"UserError:3").decode()) != []
    assert "id" not in bindings
    assert bindings.compare("<at-datetime>", "tomorrow") != []
    assert bindings.compare("Bearer <session-token>", "Bearer " + "x" * 43) == []
    assert bindings.fill({"authorization": "Bearer <session-token>"}) == {
        "authorization": "Bearer " + "x" * 43
    }
    with pytest.raises(AssertionError, match="before it is bound"):
        bindings.fill("<thread-id>")
    with pytest.raises(AssertionError, match="last word"):
        bindings.compare("<posting>", "anything")


def test_a_responses_extensions_are_compared_only_where_documented() -> None:
    cost = {"cost": {"requested": 4, "limit": 5000}}
    answer = {"data": {"a": 1}, "extensions": cost}
    assert without_undocumented_extensions({"data": {"a": 1}}, answer) == {"data": {"a": 1}}
    assert without_undocumented_extensions(answer, answer) == answer
    message = {"id": "1", "type": "next", "payload": answer}
    assert without_undocumented_extensions({"id": "1", "type": "next", "payload": {}}, message) == {
        "id": "1",
        "type": "next",
        "payload": {"data": {"a": 1}},
    }
