"""Outgoing mail: a local maildir for development, SMTP (aiosmtplib) for production."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mailbox
import time
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

import aiosmtplib
import anyio.to_thread

log = logging.getLogger(__name__)


class MailDeliveryError(RuntimeError):
    """The mail could not be handed over; the outbox tries it again later."""


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...

    async def close(self) -> None:
        """Let go of what it holds open between mails (at shutdown)."""


def compose(sender: str, to: str, subject: str, body: str) -> Message:
    """A plain-text mail in UTF-8, its subject encoded (RFC 2047).

    Built with the `compat32` classes: `EmailMessage` parses every header it is given again
    through its header registry, about 1 ms of the 1.2 ms a mail took to compose and write
    out; these take 0.16 ms. They do not check the headers, so this does: no line break in
    any (a header injected into the mail)."""
    for name, value in (("From", sender), ("To", to), ("Subject", subject)):
        if "\n" in value or "\r" in value:
            raise ValueError(f"a line break in the {name} header of a mail")
    # As `EmailMessage.set_content` did: a text part ends with a line break.
    message = MIMEText(body if body.endswith("\n") else body + "\n", "plain", "utf-8")
    message["From"] = sender
    message["To"] = to
    message["Subject"] = Header(subject, "utf-8", header_name="Subject").encode()
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    return message


class MaildirMailer:
    """Writes every mail into a maildir folder and logs it; nothing leaves the machine."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    async def close(self) -> None:
        """Nothing is held open between mails."""

    async def send(self, to: str, subject: str, body: str) -> None:
        message = compose(self.sender, to, subject, body)
        try:
            key = await anyio.to_thread.run_sync(self._store, message)
        except OSError as exc:
            raise MailDeliveryError(str(exc)) from exc
        log.info(
            "mail to %s 「%s」 written to %s/new/%s\n%s",
            masked(to),
            subject,
            self.directory,
            key,
            body,
        )

    def _store(self, message: Message) -> str:
        # Maildir(create=True) makes only the last directory: make its parents (./var) too.
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(self.directory, create=True)
        try:
            return box.add(message)
        finally:
            box.close()


def masked(address: str) -> str:
    """An address as the log shows it: its domain, never whose it is (personal data)."""
    local, at, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if at else "***"


SMTP_IDLE_SECONDS = 30.0
"""A connection unused this long is not used again: the next mail opens a new one (relays drop
idle clients after a few minutes, RFC 5321 §4.5.3.2)."""


class SmtpMailer:
    """Sends through an SMTP server, with STARTTLS whenever the server offers it.

    One connection serves mail after mail while it answers: opening one (TCP, EHLO, STARTTLS,
    AUTH) costs several round trips and a TLS handshake per mail otherwise, which held a
    worker to a few dozen mails a second. Before reusing it, a NOOP checks that it still
    answers; one that does not, or that has idled `idle_seconds`, is replaced. A failed
    mail drops the connection (the outbox tries the mail again later). Mail goes out one at
    a time per mailer."""

    def __init__(
        self, url: str, sender: str, timeout: float = 15, idle_seconds: float = SMTP_IDLE_SECONDS
    ) -> None:
        parsed = urlparse(url)
        self.hostname = parsed.hostname or "localhost"
        self.use_tls = parsed.scheme == "smtps"
        self.port = parsed.port or (465 if self.use_tls else 25)
        self.username = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.sender = sender
        self.timeout = timeout
        self.idle_seconds = idle_seconds
        self.connections = 0
        """Connections opened so far."""
        self._client: aiosmtplib.SMTP | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._last_used = 0.0

    async def send(self, to: str, subject: str, body: str) -> None:
        message = compose(self.sender, to, subject, body)
        self._in_this_loop()
        async with self._lock:
            try:
                client = await self._connection()
                await client.send_message(message)
            except (aiosmtplib.SMTPException, OSError) as exc:
                await self._drop()
                raise MailDeliveryError(str(exc)) from exc
            self._last_used = time.monotonic()
        log.info(
            "mail to %s 「%s」 sent through %s:%s", masked(to), subject, self.hostname, self.port
        )

    async def close(self) -> None:
        """Say goodbye (QUIT) on the connection kept open, if any."""
        self._in_this_loop()
        async with self._lock:
            await self._drop()

    def _in_this_loop(self) -> None:
        """A connection and a lock belong to the event loop that made them: in another loop
        (a test's, a restarted one) start afresh."""
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return
        if self._client is not None:
            with contextlib.suppress(Exception):  # its loop may be closed already
                self._client.close()
        self._client, self._loop, self._lock = None, loop, asyncio.Lock()

    async def _connection(self) -> aiosmtplib.SMTP:
        client = self._client
        fresh = time.monotonic() - self._last_used < self.idle_seconds
        if client is not None and client.is_connected and fresh:
            try:
                await client.noop()
            except (aiosmtplib.SMTPException, OSError):
                pass
            else:
                return client
        await self._drop()
        client = aiosmtplib.SMTP(
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            timeout=self.timeout,
        )
        await client.connect()
        self.connections += 1
        self._client = client
        return client

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()


def mailer_from_url(url: str, sender: str) -> Mailer:
    parsed = urlparse(url)
    if parsed.scheme == "maildir":
        return MaildirMailer(Path(parsed.netloc + parsed.path), sender)
    if parsed.scheme in ("smtp", "smtps"):
        return SmtpMailer(url, sender)
    raise ValueError(f"MAIL_URL must be maildir:// or smtp://, got {url!r}")
