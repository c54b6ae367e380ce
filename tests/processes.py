"""Real processes and servers for the infrastructure tests: the CLI, uvicorn, an SMTP server.

Everything listens on loopback only, on ports the kernel hands out, and is stopped in
`finally` (or by a context manager) so that no process outlives its test.
"""

from __future__ import annotations

import asyncio
import email
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

REPO = Path(__file__).resolve().parent.parent
TEST_SECRET_KEY = "test-secret-key-of-sufficient-length-0123456789"

# Service settings never inherited from the environment of the test run.
_SERVICE_VARIABLES = (
    "APP_ENV",
    "APP_VAR_DIR",
    "DATABASE_URL",
    "REDIS_URL",
    "MAIL_URL",
    "MAIL_FROM",
    "SECRET_KEY",
    "BCRYPT_ROUNDS",
    "PORT",
    "MEDIA_ROOT",
    "DOCUMENT_ROOT",
    "RATE_LIMITS",
)


def free_port() -> int:
    """A loopback port that nothing listens on (the kernel's choice, released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def postgres_url_from_environment() -> str | None:
    """The PostgreSQL `DATABASE_URL` of the run (CI's second pass), else None."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def service_env(var_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a service process: its own var dir and SQLite file unless told."""
    env = {name: value for name, value in os.environ.items() if name not in _SERVICE_VARIABLES}
    env.update(
        APP_ENV="development",
        APP_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite://{var_dir / 'hellowork.sqlite3'}",
        SECRET_KEY=TEST_SECRET_KEY,
        BCRYPT_ROUNDS="4",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    return env


def run_app(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m app …` in a child process; never raises on a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_app_ok(env: dict[str, str], *args: str) -> str:
    result = run_app(env, *args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


class UvicornProcess:
    """`python -m uvicorn app.main:app` on a free loopback port, in a child process."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> UvicornProcess:
        command = [sys.executable, "-m", "uvicorn", "app.main:app"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "info"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            self._wait_until_listening()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_listening(self, timeout: float = 30) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"uvicorn exited with {self.process.returncode}:\n{self.log}")
            # uvicorn listens once the application has started (lifespan done).
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"uvicorn did not answer within {timeout}s:\n{self.log}")

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Ask for a graceful shutdown (SIGTERM), kill if it hangs; reap the child."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


@asynccontextmanager
async def two_processes(
    tmp_path: Path, database_url: str, **settings: str
) -> AsyncIterator[tuple[UvicornProcess, UvicornProcess]]:
    """Two uvicorn processes on one database (the test run's PostgreSQL when it has one, else
    `database_url`), each with `settings` (`REDIS_URL`, …); no traceback in their logs."""
    database = postgres_url_from_environment() or database_url
    processes = [
        UvicornProcess(
            service_env(tmp_path / f"var{i}", DATABASE_URL=database, **settings),
            tmp_path / f"uvicorn{i}.log",
        )
        for i in (1, 2)
    ]
    started: list[UvicornProcess] = []
    try:
        for process in processes:
            await asyncio.to_thread(process.__enter__)
            started.append(process)
        yield processes[0], processes[1]
    finally:
        for process in started:
            await asyncio.to_thread(process.stop)
        for process in started:
            # A publish failure is logged with its traceback on purpose; these are failures.
            for failure in ("Exception in ASGI application", "Exception in worker task"):
                assert failure not in process.log, process.log


# --- SMTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: bytes | None
    """The AUTH user name the client authenticated as, None without AUTH."""
    tls: bool
    """Whether the message came over a connection upgraded by STARTTLS."""
    peer: object = None
    """The client's address and port: the same for the mails of one connection."""

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, self.message
        content = part.get_content()
        assert isinstance(content, str)
        return content


class MailCatcher:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[ReceivedMail] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        mail = ReceivedMail(
            mail_from=str(envelope.mail_from),
            rcpt_tos=list(envelope.rcpt_tos),
            message=message,
            login=login if session.authenticated else None,
            tls=session.ssl is not None,
            peer=session.peer,
        )
        with self._lock:
            self._received.append(mail)
        return "250 Message accepted for delivery"

    @property
    def received(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._received)

    async def last_to(self, address: str, *, since: int = 0, within: float = 30) -> ReceivedMail:
        """The newest mail to `address` after the first `since` received, waited for: the
        service sends after it answers (and, while SMTP is away, retries with backoff)."""
        deadline = time.monotonic() + within
        while True:
            found = [mail for mail in self.received[since:] if address in mail.rcpt_tos]
            if found:
                return found[-1]
            got = [m.rcpt_tos for m in self.received]
            assert time.monotonic() < deadline, f"no mail to {address} within {within} s; got {got}"
            await asyncio.sleep(0.02)


class PasswordAuthenticator:
    """Accepts exactly one user name and password (AUTH PLAIN or LOGIN)."""

    def __init__(self, login: str, password: str) -> None:
        self.login = login.encode()
        self.password = password.encode()

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self.login
            and data.password == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


@contextmanager
def smtp_server(
    catcher: MailCatcher | None = None, port: int | None = None, **smtp_options: Any
) -> Iterator[tuple[MailCatcher, int]]:
    """A real SMTP server (aiosmtpd, in its own thread) on loopback; yields (catcher, port)."""
    catcher = catcher or MailCatcher()
    port = port or free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    try:
        yield catcher, port
    finally:
        controller.stop()
