"""Fuzz the GraphQL API of a live server with schemathesis, as a logged-in employer.

Starts uvicorn on a free loopback port over a fresh SQLite database and var dir, migrated and
with the demo data, makes a small world through the API (`fuzz_world`), then runs schemathesis
in GraphQL mode — queries and mutations — for a bounded time with the employer's session.
Arguments are fed, some of the time, from dictionaries: the world's global IDs (by the kind an
argument's name says), cursors, addresses and posting numbers, and edge values for the rest.
The run fails on any 5xx, any top-level error that is not a client's mistake (`fuzz_checks`),
any response that breaks the GraphQL response format, any error the server logged meanwhile
(an unhandled exception, strawberry's log of an unexpected error, a traceback), and when the
employer's session did not last the run. The server is always stopped.

Environment: FUZZ_SECONDS (schemathesis's time budget, default 180), FUZZ_WORKERS (default 2),
FUZZ_SEED (a fixed seed, to replay a run), FUZZ_REPORT_DIR (keep the server log and the
schemathesis reports there instead of discarding them).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import fuzz_checks
import fuzz_world
import httpx
from graphql import (
    GraphQLArgument,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)

REPO = Path(__file__).resolve().parent.parent
CI = REPO / ".ci"
PYTHON = sys.executable

# The service processes of the fuzz run are set up as the tests' are.
sys.path.insert(0, str(REPO))
from tests.malformed import (  # noqa: E402
    CONTROL_STRINGS,
    UNSTORABLE_STRINGS,
    malformed_cursors,
    malformed_ids,
)
from tests.processes import free_port, service_env  # noqa: E402

# `logout` would end the session the whole run uses; it takes no argument to fuzz.
EXCLUDED_OPERATIONS = ("Mutation.logout",)
# `coded_client_errors_only` (fuzz_checks.py) in place of `not_a_server_error`, which in GraphQL
# mode counts FORBIDDEN and UNAUTHENTICATED as server errors; it fails on any 5xx too.
CHECKS = ("coded_client_errors_only", "response_schema_conformance")
# How often a generated argument is replaced by a value that names a real object.
REAL_VALUE_PROBABILITY = 0.6

UNHANDLED = re.compile(r"Traceback \(most recent call last\)|Exception in ASGI application")


def fuzz_env(var_dir: Path) -> dict[str, str]:
    # Every request comes from one address: the fuzzer is not the throttle's subject.
    # EXECUTION=compare: every query runs through graphql-core and the compiled plan, and a
    # difference is logged as an error, which fails the run (`app.schema.execution`).
    return service_env(var_dir, RATE_LIMITS="off", EXPIRY_INTERVAL_SECONDS="0", EXECUTION="compare")


def run_app(env: dict[str, str], *args: str) -> str:
    """`python -m app …`; its output."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [PYTHON, "-m", "app", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        output = result.stdout + result.stderr
        raise fuzz_world.SetupError(f"python -m app {' '.join(args)}: {output}")
    return result.stdout


def log_config(errors_path: Path) -> dict[str, object]:
    """uvicorn's logging: everything to stderr, and ERROR and above also to `errors_path`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            },
            "errors": {
                "class": "logging.FileHandler",
                "formatter": "plain",
                "filename": str(errors_path),
                "encoding": "utf-8",
                "level": "ERROR",
            },
        },
        "loggers": {
            "uvicorn": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        },
        "root": {"level": "INFO", "handlers": ["stderr", "errors"]},
    }


class Server:
    """uvicorn serving `app.main:app` on a free loopback port, its output in `log_path`."""

    def __init__(self, env: dict[str, str], work: Path) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "server.log"
        self.errors_path = work / "server-errors.log"
        self.config_path = work / "logging.json"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.config_path.write_text(json.dumps(log_config(self.errors_path)), encoding="utf-8")
        command = [PYTHON, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--log-config", str(self.config_path)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("uvicorn did not answer /healthz within 60 s")

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it hangs; the exit status (None if never started)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        return self.process.returncode

    @property
    def log(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    @property
    def logged_errors(self) -> str:
        if not self.errors_path.exists():
            return ""
        return self.errors_path.read_text(encoding="utf-8", errors="replace")


# Values that name real things, or that pass the checks before the interesting part.
PAGE_SIZES = (0, 1, 2, 5, 20, 100)
PREFECTURES = ("東京都", "大阪府", "北海道", "東京都東京都東京都東京都X")
LONG_EMAIL = "x" * 101 + "@example.jp"
# Lone surrogates reach the server only inside JSON (`"\ud800"`): neither TOML nor a GraphQL
# literal can carry one, so they go as variables in `variables_pass`.
SURROGATE_FREE = tuple(
    text
    for text in (*UNSTORABLE_STRINGS, *CONTROL_STRINGS)
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
)
# Edges that random text seldom reaches: one past the usual length limits (50, 100, 1000,
# 2000), blanks, NUL and other control characters, full-width forms; and the edges of 32-bit
# and of the usual ranges.
EDGE_STRINGS = (
    "",
    "   ",
    "あ" * 51,
    "x" * 101,
    "a" * 1001,
    "あ" * 2001,
    *SURROGATE_FREE,
    "ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｊｐ",
    LONG_EMAIL,
)
EDGE_INTEGERS = (-1, 0, 1, 101, 10001, 2**31 - 1, -(2**31))
# How often any other String or Int argument takes an edge value.
EDGE_PROBABILITY = 0.15


def id_kind(argument: str) -> str:
    """What an ID argument names, by its name: `threadId` and `imageIds` name a thread and
    images; `id` and `challengeId` say nothing of the kind ("")."""
    return re.sub(r"Ids?$", "", argument).lower()


def dictionary_for(scalar: str, argument: str) -> str | None:
    """Which dictionary feeds an argument, from its scalar type and name."""
    name = argument.lower()
    if scalar == "ID":
        return f"ids_{id_kind(argument)}" if id_kind(argument) else "ids"
    if scalar == "Int" and name == "first":
        return "page_sizes"
    if scalar != "String":
        return None
    if name.endswith("email"):
        return "emails"
    if name == "postingnumber":
        return "posting_numbers"
    if name == "after":
        return "cursors"
    if name.endswith("prefecture"):
        return "prefectures"
    return None


def type_of(global_id: str) -> str:
    """The type name inside a global ID (base64 of `Type:id`)."""
    return base64.b64decode(global_id).decode().partition(":")[0]


def ids_of_kind(ids: set[str], kind: str) -> list[str]:
    """The IDs whose type's name ends with `kind` (`thread`: MessageThread), all when none;
    with IDs of those types that name no row (`tests.malformed`)."""
    matching = sorted(i for i in ids if type_of(i).lower().endswith(kind)) or sorted(ids)
    return matching + with_malformed_ids(matching)


def with_malformed_ids(ids: list[str]) -> list[str]:
    """Malformed IDs of each type among `ids`, the 5000-digit one but once."""
    types = sorted({type_of(i) for i in ids})
    found = [m for type_name in types for m in malformed_ids(type_name) if len(m) < 1000]
    return found + [m for m in malformed_ids(types[0]) if len(m) >= 1000] if types else found


def with_malformed_cursors(cursors: set[str]) -> list[str]:
    """The world's cursors, and cursors of each of their kinds with malformed numbers."""
    kinds = sorted({base64.urlsafe_b64decode(c).decode().partition(":")[0] for c in cursors})
    malformed = [m for kind in kinds for m in malformed_cursors(kind) if len(m) < 1000]
    return sorted(cursors) + malformed


def live_schema(url: str) -> GraphQLSchema:
    response = httpx.post(url, json={"query": get_introspection_query()}, timeout=30)
    response.raise_for_status()
    return build_client_schema(response.json()["data"])


def argument_bindings(url: str) -> dict[str, str]:
    """Binding keys (`Type.field.argument.path`) of the live schema's arguments that a
    dictionary feeds, with the dictionary's name; input objects are followed."""
    schema = live_schema(url)
    bindings: dict[str, str] = {}

    def walk(type_: GraphQLInputType, path: str, name: str, seen: frozenset[str]) -> None:
        while isinstance(type_, GraphQLNonNull | GraphQLList):
            if isinstance(type_, GraphQLList):
                path += "[*]"
            type_ = type_.of_type
        if isinstance(type_, GraphQLScalarType):
            dictionary = dictionary_for(type_.name, name)
            if dictionary is not None:
                bindings[path] = dictionary
        elif isinstance(type_, GraphQLInputObjectType) and type_.name not in seen:
            for field_name, field in type_.fields.items():
                walk(field.type, f"{path}.{field_name}", field_name, seen | {type_.name})

    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            for argument_name, argument in field.args.items():
                key = f"{type_name}.{field_name}.{argument_name}"
                walk(argument.type, key, argument_name, frozenset())
    return bindings


def toml_value(value: str | int) -> str:
    # A JSON string is a TOML basic string (both escape `"`, `\` and control characters), but
    # for DEL, which JSON leaves as it is and TOML takes only escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def schemathesis_config(url: str, world: fuzz_world.World) -> str:
    """schemathesis.toml: dictionaries of real values bound to the arguments that take them."""
    dictionaries: dict[str, list[str] | list[int]] = {
        "ids": sorted(world.ids) + with_malformed_ids(sorted(world.ids)),
        "emails": [*sorted(world.emails), LONG_EMAIL],
        "posting_numbers": [*sorted(world.posting_numbers), "13010-" + "9" * 30],
        "cursors": with_malformed_cursors(world.cursors),
        "page_sizes": list(PAGE_SIZES),
        "prefectures": list(PREFECTURES),
        "edge_strings": list(EDGE_STRINGS),
        "edge_integers": list(EDGE_INTEGERS),
    }
    bindings = argument_bindings(url)
    for dictionary in set(bindings.values()):
        if dictionary.startswith("ids_"):
            dictionaries[dictionary] = ids_of_kind(world.ids, dictionary.removeprefix("ids_"))
    # Nothing is kept between runs (schemathesis would keep a cache in the working directory).
    lines = ["[cache]", "enabled = false"]
    for name, values in sorted(dictionaries.items()):
        lines += [f"[dictionaries.{name}]", f"values = [{', '.join(map(toml_value, values))}]"]
    lines.append("[parameters]")
    for key, dictionary in sorted(bindings.items()):
        if dictionaries[dictionary]:
            binding = f'{{ dictionary = "{dictionary}", probability = {REAL_VALUE_PROBABILITY} }}'
            lines.append(f"{toml_value(key)} = {binding}")
    lines.append("[generation.dictionaries]")
    for type_key, dictionary in (("string", "edge_strings"), ("integer", "edge_integers")):
        binding = f'{{ dictionary = "{dictionary}", probability = {EDGE_PROBABILITY} }}'
        lines.append(f"{type_key} = {binding}")
    return "\n".join(lines) + "\n"


def answer_problem(response: httpx.Response) -> str | None:
    """What is wrong with an answer, as `fuzz_checks.coded_client_errors_only` judges it."""
    if response.status_code >= 500 or not response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        return f"HTTP {response.status_code} {response.headers.get('content-type')}"
    body = response.json()
    for error in (body.get("errors") if isinstance(body, dict) else None) or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in fuzz_checks.CLIENT_CODES:
            return f"top-level error with code {code!r}: {error}"
    return None


def has_default(argument: GraphQLArgument) -> bool:
    # A schema built from introspection keeps a default as `default` (graphql-core 3.3).
    return argument.default_value is not Undefined or argument.default is not None


def text_argument_documents(schema: GraphQLSchema) -> Iterator[tuple[str, str]]:
    """(label, document) for each String and ID argument of the root fields whose other
    arguments have defaults: the field with that argument as the variable `$v`."""
    for root, operation in ((schema.query_type, "query"), (schema.mutation_type, "mutation")):
        for field_name, field in (root.fields if root else {}).items():
            if root is None or f"{root.name}.{field_name}" in EXCLUDED_OPERATIONS:
                continue
            selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
            for name, argument in field.args.items():
                scalar = get_nullable_type(argument.type)
                if not (isinstance(scalar, GraphQLScalarType) and scalar.name in ("String", "ID")):
                    continue
                others = [a for n, a in field.args.items() if n != name]
                if any(is_non_null_type(a.type) and not has_default(a) for a in others):
                    continue
                call = f"{field_name}({name}: $v){selection}"
                yield f"{field_name}({name})", f"{operation} ($v: {argument.type}) {{ {call} }}"


def variables_pass(url: str, token: str) -> list[str]:
    """Every text argument (`text_argument_documents`) as a variable holding text no column
    takes or a control character, lone surrogates included (which only JSON carries); the
    failures: answers that are no client's error."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    failures = []
    for label, document in text_argument_documents(live_schema(f"{url}/graphql")):
        for text in (*UNSTORABLE_STRINGS, *CONTROL_STRINGS):
            body = json.dumps({"query": document, "variables": {"v": text}})
            response = httpx.post(f"{url}/graphql", content=body, headers=headers, timeout=30)
            problem = answer_problem(response)
            if problem:
                failures.append(f"{label} = {text!r}: {problem[:300]}")
    print(f"fuzz: variables pass: {len(failures)} failures", flush=True)
    return failures


def run_schemathesis(url: str, token: str, config: Path, reports: Path) -> int:
    seconds = int(os.environ.get("FUZZ_SECONDS", "180"))
    workers = os.environ.get("FUZZ_WORKERS", "2")
    command = [str(Path(PYTHON).parent / "schemathesis"), "--config-file", str(config)]
    command += ["--no-color", "run", f"{url}/graphql", "--max-time", str(seconds)]
    command += ["--workers", workers, "--checks", ",".join(CHECKS)]
    command += ["--header", f"Authorization: Bearer {token}", "--request-timeout", "30"]
    command += ["--generation-database", "none", "--continue-on-failure"]
    command += ["--report", "junit,ndjson", "--report-dir", str(reports)]
    for operation in EXCLUDED_OPERATIONS:
        command += ["--exclude-name", operation]
    if os.environ.get("FUZZ_SEED"):
        command += ["--seed", os.environ["FUZZ_SEED"]]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(CI / "fuzz_checks.py")}
    printable = [
        part if not part.startswith("Authorization") else "Authorization: …" for part in command
    ]
    print("fuzz: " + " ".join(printable), flush=True)
    return subprocess.run(command, env=env, cwd=REPO, check=False).returncode  # noqa: S603


def access_statuses(log: str) -> Counter[str]:
    """HTTP statuses of the GraphQL requests in uvicorn's access log."""
    statuses: Counter[str] = Counter()
    for match in re.finditer(r'"(?:GET|POST) /graphql[^"]*" (\d{3})', log):
        statuses[match.group(1)] += 1
    return statuses


def operations_summary(reports: Path) -> str:
    """Operations tested, by root type, and those that failed or errored, from the JUnit report."""
    found = sorted(reports.glob("junit-*.xml"))
    if not found:
        return "no report (schemathesis did not run to the end)"
    cases = ElementTree.parse(found[-1]).getroot().iter("testcase")  # noqa: S314 - our own file
    kinds: Counter[str] = Counter()
    failed = []
    for case in cases:
        name = case.get("name", "")
        kinds[name.partition(".")[0]] += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
    tested = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    return f"{sum(kinds.values())} tested ({tested}); failed: {', '.join(failed) or 'none'}"


def unhandled_in(log: str) -> Iterator[str]:
    """Lines of the log that start a traceback or report an unhandled exception."""
    for number, line in enumerate(log.splitlines(), 1):
        if UNHANDLED.search(line):
            yield f"server.log:{number}: {line}"


def fuzz(server: Server, work: Path) -> list[str]:
    """Migrate, load the demo, start the server, make the world, run schemathesis; failures."""
    run_app(server.env, "migrate")
    demo = run_app(server.env, "demo")
    code = re.search(r"アカウント作成コード\s*:\s*(\S+)", demo)
    if code is None:
        raise fuzz_world.SetupError(f"no account creation code in the demo output:\n{demo}")
    server.start()
    print(f"fuzz: server on {server.url}, var dir {work / 'var'}", flush=True)
    world = fuzz_world.build(server.url, work / "var" / "mail", code.group(1))
    print(f"fuzz: world made: {len(world.ids)} global IDs to try", flush=True)
    config = work / "schemathesis.toml"
    config.write_text(schemathesis_config(f"{server.url}/graphql", world), encoding="utf-8")
    status = run_schemathesis(server.url, world.employer_token, config, work / "reports")
    failures = [f"schemathesis exited with {status}"] if status != 0 else []
    failures += variables_pass(server.url, world.employer_token)
    if not still_logged_in(server.url, world.employer_token):
        # Everything after that point was fuzzed anonymously: an operation that ends the
        # session must join EXCLUDED_OPERATIONS.
        failures.append("the employer's session ended during the run")
    return failures


def still_logged_in(url: str, token: str) -> bool:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": "{ viewer { portal } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    viewer = (response.json().get("data") or {}).get("viewer")
    return response.status_code == 200 and viewer == {"portal": "EMPLOYER"}


def judge(server: Server, exit_status: int | None, work: Path) -> list[str]:
    """Read the stopped server's log; print the summary; the failures found there."""
    failures = []
    log = server.log
    statuses = access_statuses(log)
    server_errors = sum(n for status, n in statuses.items() if status.startswith("5"))
    if server_errors:
        failures.append(f"{server_errors} GraphQL requests answered 5xx")
    unhandled = list(unhandled_in(log))
    if unhandled:
        failures.append(f"{len(unhandled)} unhandled exceptions in the server log")
    logged = server.logged_errors
    if logged:
        failures.append("the server logged errors")
    # uvicorn ends with the signal it was stopped by, once it has shut down gracefully.
    if exit_status not in (0, -signal.SIGTERM, None):
        failures.append(f"the server exited with {exit_status}")
    print("\nfuzz: summary")
    print(f"  operations: {operations_summary(work / 'reports')}")
    print(f"  GraphQL requests: {sum(statuses.values())}", dict(sorted(statuses.items())))
    for line in unhandled[:20]:
        print(f"  {line}")
    if logged:
        print(f"  logged errors (first 4000 characters):\n{logged[:4000]}")
    return failures


def main() -> int:
    keep = os.environ.get("FUZZ_REPORT_DIR")
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    server = Server(fuzz_env(work / "var"), work)
    failures: list[str] = []
    try:
        failures += fuzz(server, work)
    except (fuzz_world.SetupError, RuntimeError, httpx.HTTPError) as exc:
        failures.append(f"setting up failed: {exc}")
        print(f"fuzz: last lines of the server log:\n{server.log[-4000:]}", file=sys.stderr)
    finally:
        exit_status = server.stop()
        failures += judge(server, exit_status, work)
        if keep:
            shutil.copytree(work, keep, dirs_exist_ok=True)
            print(f"  server log, schemathesis config and reports kept in {keep}")
        shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print(f"  FAIL: {failure}")
    if not failures:
        print("  OK: no 5xx, no unexpected GraphQL error, nothing logged as an error")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
