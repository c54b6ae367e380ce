"""Outgoing mail against real servers: aiosmtpd for SMTP, a maildir on disk."""

from __future__ import annotations

import asyncio
import mailbox
import re
import shutil
import socket
import ssl
import subprocess
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from app.mail import MailDeliveryError, MaildirMailer, SmtpMailer, compose, mailer_from_url
from app.terms import TermsKind, current_version
from tests import flows
from tests.conftest import GraphQLClient
from tests.processes import (
    MailCatcher,
    PasswordAuthenticator,
    UvicornProcess,
    free_port,
    run_app_ok,
    service_env,
    smtp_server,
)

SENDER = "hellowork-mypage@example.jp"
SUBJECT = "パスワード登録申込受付通知"
BODY = "求人者マイページのパスワード登録申込を受け付けました。\n\n認証キー: ABCDEFGH23\n"


class RejectingRecipients(MailCatcher):
    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        return "550 5.1.1 <%s>: Recipient address rejected" % address  # noqa: UP031


# --- SMTP ------------------------------------------------------------------------------------


async def test_smtp_delivers_japanese_subject_and_body_in_utf8() -> None:
    with smtp_server() as (mails, port):
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER)
        await mailer.send("hr@example.jp", SUBJECT, BODY)
        await mailer.close()

    [mail] = mails.received
    assert mail.mail_from == SENDER
    assert mail.rcpt_tos == ["hr@example.jp"]
    assert mail.login is None
    assert not mail.tls
    assert mail.subject == SUBJECT
    assert mail.message["From"] == SENDER
    assert mail.message["To"] == "hr@example.jp"
    assert mail.message["Date"]
    assert mail.message["Message-ID"].endswith("@example.jp>")
    assert mail.message.get_content_charset() == "utf-8"
    assert mail.body == BODY


@pytest.fixture
def loopback_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1, trusted by this process's default contexts."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_smtp_upgrades_with_starttls_when_offered(
    loopback_certificate: ssl.SSLContext,
) -> None:
    # The server refuses to take mail before STARTTLS, so only an upgraded session succeeds.
    options = {"tls_context": loopback_certificate, "require_starttls": True}
    with smtp_server(**options) as (mails, port):
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER)
        await mailer.send("hr@example.jp", SUBJECT, BODY)
        await mailer.close()

    [mail] = mails.received
    assert mail.tls
    assert mail.body == BODY


async def test_smtp_authenticates_with_the_credentials_of_the_url() -> None:
    # Reserved characters of the password arrive percent-encoded in the URL.
    authenticator = PasswordAuthenticator("mailer", "p@ss:w/rd%")
    options = {"authenticator": authenticator, "auth_require_tls": False}
    with smtp_server(**options) as (mails, port):
        url = f"smtp://mailer:p%40ss%3Aw%2Frd%25@127.0.0.1:{port}"
        mailer = SmtpMailer(url, SENDER)
        await mailer.send("hr@example.jp", SUBJECT, BODY)
        await mailer.close()

        wrong = f"smtp://mailer:wrong@127.0.0.1:{port}"
        with pytest.raises(MailDeliveryError):
            await SmtpMailer(wrong, SENDER).send("other@example.jp", SUBJECT, BODY)

    [mail] = mails.received
    assert mail.login == b"mailer"
    assert mail.rcpt_tos == ["hr@example.jp"]


async def test_smtp_server_down_is_a_delivery_error() -> None:
    mailer = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout=5)
    with pytest.raises(MailDeliveryError):
        await mailer.send("hr@example.jp", SUBJECT, BODY)


async def test_smtp_server_that_never_answers_is_a_delivery_error() -> None:
    # Connections complete in the kernel's backlog, but no greeting ever comes.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=0.5)
        with pytest.raises(MailDeliveryError):
            await mailer.send("hr@example.jp", SUBJECT, BODY)


async def test_refused_recipient_is_a_delivery_error() -> None:
    with smtp_server(RejectingRecipients()) as (mails, port):
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER)
        with pytest.raises(MailDeliveryError, match="Recipient address rejected"):
            await mailer.send("nobody@example.jp", SUBJECT, BODY)
    assert mails.received == []


async def test_smtp_mail_after_mail_goes_over_one_connection() -> None:
    with smtp_server() as (mails, port):
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER)
        for n in range(3):
            await mailer.send(f"hr{n}@example.jp", SUBJECT, BODY)
        await mailer.close()
        await mailer.send("after-close@example.jp", SUBJECT, BODY)
        await mailer.close()

    received = mails.received
    assert [mail.rcpt_tos for mail in received] == [
        ["hr0@example.jp"],
        ["hr1@example.jp"],
        ["hr2@example.jp"],
        ["after-close@example.jp"],
    ]
    assert len({mail.peer for mail in received[:3]}) == 1, "one connection for the three"
    assert received[3].peer != received[0].peer, "a new connection after close"
    assert mailer.connections == 2


async def test_smtp_connection_the_server_dropped_is_replaced() -> None:
    port = free_port()
    with smtp_server(port=port) as (first, _):
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER)
        await mailer.send("before@example.jp", SUBJECT, BODY)
    # The server went away and came back: the kept connection answers no NOOP.
    with smtp_server(port=port) as (second, _):
        await mailer.send("after@example.jp", SUBJECT, BODY)
        await mailer.close()
    assert [m.rcpt_tos for m in first.received] == [["before@example.jp"]]
    assert [m.rcpt_tos for m in second.received] == [["after@example.jp"]]
    assert mailer.connections == 2


async def test_smtp_connection_idle_too_long_is_not_reused() -> None:
    with smtp_server() as (mails, port):
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, idle_seconds=0)
        await mailer.send("hr0@example.jp", SUBJECT, BODY)
        await mailer.send("hr1@example.jp", SUBJECT, BODY)
        await mailer.close()
    assert len(mails.received) == 2
    assert mailer.connections == 2


async def test_smtp_after_a_refused_mail_the_next_one_leaves() -> None:
    with smtp_server(RejectingRecipients()) as (_, port):
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER)
        with pytest.raises(MailDeliveryError):
            await mailer.send("nobody@example.jp", SUBJECT, BODY)
    with smtp_server(port=port) as (mails, _):
        await mailer.send("hr@example.jp", SUBJECT, BODY)
        await mailer.close()
    assert [m.rcpt_tos for m in mails.received] == [["hr@example.jp"]]


def test_mailer_from_url() -> None:
    smtp = mailer_from_url("smtp://user:secret@mail.example.jp:2525", SENDER)
    assert isinstance(smtp, SmtpMailer)
    assert (smtp.hostname, smtp.port, smtp.use_tls) == ("mail.example.jp", 2525, False)
    assert (smtp.username, smtp.password) == ("user", "secret")
    smtps = mailer_from_url("smtps://mail.example.jp", SENDER)
    assert isinstance(smtps, SmtpMailer)
    assert (smtps.port, smtps.use_tls, smtps.username) == (465, True, None)
    plain = mailer_from_url("smtp://mail.example.jp", SENDER)
    assert isinstance(plain, SmtpMailer)
    assert plain.port == 25

    relative = mailer_from_url("maildir://var/mail", SENDER)
    assert isinstance(relative, MaildirMailer)
    assert relative.directory == Path("var/mail")
    absolute = mailer_from_url("maildir:///srv/hellowork/mail", SENDER)
    assert isinstance(absolute, MaildirMailer)
    assert absolute.directory == Path("/srv/hellowork/mail")

    with pytest.raises(ValueError, match="MAIL_URL"):
        mailer_from_url("sendmail://localhost", SENDER)


# --- Maildir ---------------------------------------------------------------------------------


async def test_maildir_mailer_writes_a_readable_message(tmp_path: Path) -> None:
    directory = tmp_path / "var" / "mail"
    await MaildirMailer(directory, SENDER).send("hr@example.jp", SUBJECT, BODY)

    [name] = [p.name for p in (directory / "new").iterdir()]
    with (directory / "new" / name).open("rb") as file:
        message = BytesParser(policy=policy.default).parse(file)
    assert isinstance(message, EmailMessage)
    assert message["From"] == SENDER
    assert message["To"] == "hr@example.jp"
    assert message["Subject"] == SUBJECT
    assert message.get_content() == BODY

    box = mailbox.Maildir(directory, create=False)
    try:
        assert len(box) == 1
    finally:
        box.close()


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("hr@example.jp\nBcc: all@example.jp", SUBJECT),
        ("hr@example.jp", "お知らせ\r\nBcc: all@example.jp"),
    ],
)
def test_a_header_with_a_line_break_is_refused(to: str, subject: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        compose(SENDER, to, subject, BODY)


async def test_maildir_that_cannot_be_written_is_a_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the maildir should be", encoding="utf-8")
    with pytest.raises(MailDeliveryError):
        await MaildirMailer(blocker / "mail", SENDER).send("hr@example.jp", SUBJECT, BODY)


# --- Through the API -------------------------------------------------------------------------


@pytest.mark.slow
async def test_while_smtp_is_down_the_api_answers_and_the_mail_arrives_once_it_is_back(
    tmp_path: Path,
) -> None:
    """A change whose mail cannot be sent yet still succeeds; the mail waits in the outbox,
    is tried again with backoff and arrives, once, when the SMTP server is back. The key and
    the one-time password in it work."""
    smtp_port = free_port()
    env = service_env(
        tmp_path / "var", MAIL_URL=f"smtp://127.0.0.1:{smtp_port}", MAIL_INTERVAL_SECONDS="1"
    )
    run_app_ok(env, "migrate")
    demo = run_app_ok(env, "demo")
    code = re.search(r"アカウント作成コード\s*: (\S+)", demo)
    assert code, demo
    employer = "hr@care.example.jp"
    staff = "staff@iidabashi.example.jp"
    registration = {
        "input": {
            "email": employer,
            "emailConfirmation": employer,
            "establishmentNumber": "1301-123456-7",
            "phoneNumber": "03-3812-0001",
            "accountCreationCode": code.group(1),
            "agreedPrivacyPolicyVersion": current_version(TermsKind.PRIVACY_POLICY),
            "agreedTermsVersion": current_version(TermsKind.TERMS_OF_USE),
        }
    }
    login = {"input": {"portal": "STAFF", "email": staff, "password": "Counter#2026"}}

    service = UvicornProcess(env, tmp_path / "uvicorn.log")
    await asyncio.to_thread(service.__enter__)
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
            client = GraphQLClient(http)
            requested = (await client.execute(flows.REGISTRATION_REQUEST, registration))[
                "employerRegistrationRequest"
            ]
            assert requested["errors"] == [], requested
            challenge = (await client.execute(flows.LOGIN, login))["login"]
            assert challenge["errors"] == [], challenge
            # Both mails met the closed port once before the SMTP server starts.
            for _ in range(400):
                if service.log.count("not sent (attempt 1)") == 2:
                    break
                await asyncio.sleep(0.05)
            assert service.log.count("not sent (attempt 1)") == 2, service.log

            with smtp_server(port=smtp_port) as (mails, _):
                key = re.search(r"認証キー: (\S+)", (await mails.last_to(employer)).body)
                otp = re.search(r"ワンタイムパスワード: (\d{6})", (await mails.last_to(staff)).body)
                assert key
                assert otp
                completed = await flows.complete_registration(client, employer, key[1])
                assert completed["errors"] == [], completed
                verify = {"input": {"challengeId": challenge["otpChallenge"]["id"], "otp": otp[1]}}
                verified = (await client.execute(flows.VERIFY_OTP, verify))["loginVerifyOtp"]
                assert verified["errors"] == [], verified
    finally:
        await asyncio.to_thread(service.stop)
    assert sorted(m.subject for m in mails.received) == [
        "パスワード登録申込受付通知",
        "ワンタイムパスワードのお知らせ",
    ]
    assert "Traceback" not in service.log
    assert not (tmp_path / "var" / "mail").exists(), "no mail may fall back to the maildir"
