"""Applicants' documents (応募書類) over real HTTP: the seeker's multipart upload, what is
accepted by its bytes, the limits, who may download, the record of each read, and a document
that outlives a SIGKILL of the server."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import io
import json
import stat
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from PIL import Image
from pypdf import PdfWriter

from app.errors import ErrorCode, UserErrors
from app.file_routes import content_disposition
from app.models import ApplicationDocument, PersonalDataAccess
from app.models.applications import DocumentFormat, DocumentKind, PersonalDataKind
from app.resolvers.documents import (
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENT_PIXELS,
    MAX_DOCUMENTS_PER_APPLICATION,
    check_file,
    clean_file_name,
)
from app.schema.context import SESSION_COOKIE
from app.schema.nodes import decode_id
from app.settings import ConfigurationError, Settings
from tests import flows
from tests import seeker_flows as sf
from tests.conftest import (
    GraphQLClient,
    Seeker,
    Server,
    new_seeker,
    new_staff,
    reopen_session,
    user_of,
)
from tests.processes import UvicornProcess, service_env
from tests.test_images import image_bytes, png, png_of_size

DOCUMENT_FIELDS = "id kind fileFormat fileName size uploadedAt downloadUrl"

UPLOAD = f"""mutation ($input: ApplicationDocumentUploadInput!) {{
  applicationDocumentUpload(input: $input) {{
    document {{ {DOCUMENT_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

NODE = f"""query ($id: ID!) {{
  node(id: $id) {{ ... on ApplicationDocument {{ {DOCUMENT_FIELDS} }} }}
}}"""


# --- Test files -------------------------------------------------------------------------------


def pdf(title: str = "履歴書", pages: int = 1) -> bytes:
    """A PDF of blank A4 pages; another `title` gives other bytes."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    """Protected by an owner password only: it opens without one, and is still refused."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- The world and the requests -----------------------------------------------------------------


@dataclasses.dataclass
class Applied:
    """A seeker's online application to an active posting of `employer`'s establishment."""

    application_id: str
    seeker: Seeker
    employer: GraphQLClient
    staff: GraphQLClient


@pytest.fixture
async def applied(staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker) -> Applied:
    await sf.update_profile(seeker.client)
    posting = await flows.active_posting(employer, staff)
    application = await sf.apply(seeker.client, posting["id"])
    return Applied(application["id"], seeker, employer, staff)


async def post_upload(
    client: GraphQLClient,
    application_id: str,
    content: bytes,
    filename: str,
    kind: str = "RESUME",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """The GraphQL multipart request: `operations`, `map`, then the file as field `0`."""
    variables = {"input": {"applicationId": application_id, "kind": kind, "file": None}}
    if headers is None:
        headers = {"Authorization": f"Bearer {client.token}"}
    return await client.http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": UPLOAD, "variables": variables}),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        # The declared type says nothing: the bytes decide.
        files={"0": (filename, content, "application/octet-stream")},
        headers=headers,
    )


async def upload(
    client: GraphQLClient, application_id: str, content: bytes, filename: str, **kw: Any
) -> dict[str, Any]:
    response = await post_upload(client, application_id, content, filename, **kw)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"]["applicationDocumentUpload"]
    return payload


async def uploaded(
    client: GraphQLClient, application_id: str, content: bytes, filename: str, **kw: Any
) -> dict[str, Any]:
    payload = await upload(client, application_id, content, filename, **kw)
    assert payload["errors"] == [], payload
    document: dict[str, Any] = payload["document"]
    return document


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def download(client: GraphQLClient, url: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
    return await client.http.get(url, headers=headers)


def stored(server: Server) -> set[str]:
    """The names of the files under DOCUMENT_ROOT, temporary ones included."""
    root = server.settings.document_root
    return {path.name for path in root.iterdir()} if root.exists() else set()


def _pk(global_id: str) -> int:
    return decode_id(global_id, "ApplicationDocument", "id")


# --- Uploads: formats ---------------------------------------------------------------------------


async def test_a_pdf_a_jpeg_and_a_png_are_stored_as_sent_under_their_hash(
    server: Server, applied: Applied
) -> None:
    sent = [
        ("履歴書.pdf", pdf(), "PDF", "RESUME"),
        ("職務経歴書.jpg", image_bytes("JPEG"), "JPEG", "CAREER_HISTORY"),
        ("資格証明.png", png(), "PNG", "OTHER"),
    ]
    for filename, content, file_format, kind in sent:
        document = await uploaded(
            applied.seeker.client, applied.application_id, content, filename, kind=kind
        )
        assert document["fileFormat"] == file_format
        assert document["kind"] == kind
        assert document["fileName"] == filename
        assert document["size"] == len(content)
        assert document["downloadUrl"] == f"/applications/documents/{document['id']}"
        row = await ApplicationDocument.get(id=_pk(document["id"]))
        assert row.content_hash == hashlib.sha256(content).hexdigest()
        path = server.settings.document_root / row.content_hash
        assert path.read_bytes() == content
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, "personal data, the service's only"
    assert not [name for name in stored(server) if name.startswith(".upload-")]
    assert not server.settings.document_root.is_relative_to(server.settings.media_root)


async def test_the_bytes_decide_the_format_and_the_name_follows(applied: Applied) -> None:
    client, application_id = applied.seeker.client, applied.application_id
    renamed = await uploaded(client, application_id, png(), "履歴書.pdf")
    assert (renamed["fileFormat"], renamed["fileName"]) == ("PNG", "履歴書.png")
    as_image = await uploaded(client, application_id, pdf(), "scan.jpeg")
    assert (as_image["fileFormat"], as_image["fileName"]) == ("PDF", "scan.pdf")
    nameless = await uploaded(client, application_id, image_bytes("JPEG"), "...", kind="OTHER")
    assert (nameless["fileFormat"], nameless["fileName"]) == ("JPEG", "応募書類.jpg")


async def test_the_file_name_loses_its_path_and_invisible_characters_and_is_cut_to_100(
    applied: Applied,
) -> None:
    client, application_id = applied.seeker.client, applied.application_id
    document = await uploaded(client, application_id, pdf("a"), "C:\\Users\\山田\\履歴\u202e書.pdf")
    assert document["fileName"] == "履歴書.pdf"
    document = await uploaded(client, application_id, pdf("b"), "../../etc/passwd")
    assert document["fileName"] == "passwd.pdf"
    document = await uploaded(client, application_id, pdf("c"), "職" * 150 + ".PDF")
    assert document["fileName"] == "職" * 96 + ".PDF"
    assert len(document["fileName"]) == 100


@pytest.mark.parametrize(
    ("content", "filename", "code"),
    [
        (image_bytes("GIF"), "photo.gif", "UNSUPPORTED_FILE_TYPE"),
        (image_bytes("GIF"), "photo.png", "UNSUPPORTED_FILE_TYPE"),
        ("履歴書は後日郵送します。\n".encode(), "resume.pdf", "UNSUPPORTED_FILE_TYPE"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog", "broken.pdf", "DOCUMENT_INVALID"),
        (pdf()[:200], "truncated.pdf", "DOCUMENT_INVALID"),
        (encrypted_pdf(), "locked.pdf", "DOCUMENT_INVALID"),
        (pdf(pages=0), "empty.pdf", "DOCUMENT_INVALID"),
        (png()[:60], "truncated.png", "DOCUMENT_INVALID"),
        (image_bytes("JPEG")[:200], "truncated.jpg", "DOCUMENT_INVALID"),
        (b"", "nothing.pdf", "REQUIRED"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
async def test_what_is_no_pdf_jpeg_or_png_is_refused_and_nothing_is_stored(
    server: Server, applied: Applied, content: bytes, filename: str, code: str
) -> None:
    before = stored(server)
    payload = await upload(applied.seeker.client, applied.application_id, content, filename)
    assert payload["document"] is None
    assert codes(payload) == [code]
    assert payload["errors"][0]["field"] == "file"
    assert payload["errors"][0]["message"]
    assert await ApplicationDocument.all().count() == 0
    assert stored(server) == before


async def test_the_same_file_twice_is_refused(applied: Applied) -> None:
    await uploaded(applied.seeker.client, applied.application_id, pdf(), "履歴書.pdf")
    payload = await upload(applied.seeker.client, applied.application_id, pdf(), "copy.pdf")
    assert codes(payload) == ["ALREADY_EXISTS"]


# --- Uploads: limits --------------------------------------------------------------------------


async def test_five_documents_are_accepted_and_the_sixth_refused(
    server: Server, applied: Applied
) -> None:
    assert MAX_DOCUMENTS_PER_APPLICATION == 5
    client, application_id = applied.seeker.client, applied.application_id
    for n in range(5):  # the 4th and the 5th among them
        await uploaded(client, application_id, png(n), f"page{n}.png")
    before = stored(server)
    payload = await upload(client, application_id, png(5), "page5.png")
    assert payload["document"] is None
    assert codes(payload) == ["DOCUMENT_LIMIT_REACHED"]
    assert await ApplicationDocument.all().count() == 5
    assert stored(server) == before


async def test_concurrent_uploads_cannot_make_a_sixth(applied: Applied) -> None:
    client, application_id = applied.seeker.client, applied.application_id
    for n in range(3):
        await uploaded(client, application_id, png(n), f"page{n}.png")
    payloads = await asyncio.gather(
        *(upload(client, application_id, png(n), f"page{n}.png") for n in range(3, 7))
    )
    assert sorted(codes(payload) for payload in payloads) == [
        [],
        [],
        ["DOCUMENT_LIMIT_REACHED"],
        ["DOCUMENT_LIMIT_REACHED"],
    ]
    assert await ApplicationDocument.all().count() == 5


async def test_five_mebibytes_exactly_are_accepted_and_one_byte_more_is_refused(
    server: Server, applied: Applied
) -> None:
    assert MAX_DOCUMENT_BYTES == 5 * 1024 * 1024
    client, application_id = applied.seeker.client, applied.application_id
    document = await uploaded(client, application_id, png_of_size(MAX_DOCUMENT_BYTES), "a.png")
    assert document["size"] == MAX_DOCUMENT_BYTES
    before = stored(server)
    payload = await upload(client, application_id, png_of_size(MAX_DOCUMENT_BYTES + 1), "b.png")
    assert payload["document"] is None
    assert codes(payload) == ["FILE_TOO_LARGE"]
    assert stored(server) == before


# --- Who may upload -----------------------------------------------------------------------------


async def test_only_the_seeker_of_the_application_may_upload(
    server: Server, applied: Applied, new_client: Any
) -> None:
    other = await new_seeker(server, new_client(), "hanako@example.jp", "求職 花子")
    payload = await upload(other.client, applied.application_id, pdf(), "履歴書.pdf")
    assert codes(payload) == ["NOT_FOUND"]
    assert payload["errors"][0]["field"] == "applicationId"
    # An id that names nothing, or names no application, is answered alike.
    for application_id in ["QXBwbGljYXRpb246OTk5OTk=", applied.seeker.profile_id]:
        payload = await upload(applied.seeker.client, application_id, pdf(), "履歴書.pdf")
        assert codes(payload) == ["NOT_FOUND"]
    # Other portals are refused before the application is looked at.
    response = await post_upload(applied.employer, applied.application_id, pdf(), "履歴書.pdf")
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    anonymous = new_client()
    response = await post_upload(
        anonymous, applied.application_id, pdf(), "a.pdf", headers={"Apollo-Require-Preflight": "1"}
    )
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    assert await ApplicationDocument.all().count() == 0


async def test_a_multipart_request_with_the_cookie_needs_a_header_a_form_cannot_send(
    applied: Applied, new_client: Any
) -> None:
    """A cross-site form could post multipart with the session cookie: the cookie alone is not
    enough; `Apollo-Require-Preflight` (or a bearer token) makes browsers ask first."""
    browser = new_client()
    browser.http.cookies.set(SESSION_COOKIE, applied.seeker.client.token)
    response = await post_upload(browser, applied.application_id, pdf(), "a.pdf", headers={})
    assert response.status_code == 403  # app/middleware.py refuses it before strawberry reads it
    assert await ApplicationDocument.all().count() == 0
    response = await post_upload(
        browser,
        applied.application_id,
        pdf(),
        "a.pdf",
        headers={"Apollo-Require-Preflight": "true"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["applicationDocumentUpload"]["errors"] == []


# --- Who may download, and the record of each read ------------------------------------------------


async def test_the_establishment_and_its_office_download_it_and_each_read_is_recorded(
    server: Server, applied: Applied
) -> None:
    content = pdf()
    document = await uploaded(
        applied.seeker.client, applied.application_id, content, "履歴書_山田 太郎.pdf"
    )
    for reader in (applied.employer, applied.staff, applied.employer):
        response = await download(reader, document["downloadUrl"])
        assert response.status_code == 200, response.text
        assert response.content == content
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "private, no-store"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment; ")
        assert 'filename="document.pdf"' in disposition
        encoded = disposition.split("filename*=UTF-8''")[1]
        assert unquote(encoded) == "履歴書_山田 太郎.pdf"
        assert encoded.isascii()
        assert " " not in encoded
    reads = await PersonalDataAccess.all().order_by("id")
    employer = await user_of(server, applied.employer)
    staff = await user_of(server, applied.staff)
    assert [read.reader_id for read in reads] == [employer.id, staff.id, employer.id]
    row = await ApplicationDocument.get(id=_pk(document["id"]))
    for read in reads:
        assert read.kind is PersonalDataKind.DOCUMENT
        assert read.document_id == row.id
        assert read.application_id == row.application_id
        assert read.establishment_id == employer.establishment_id
        assert read.office_id == staff.office_id


async def test_the_seeker_downloads_their_own_without_a_record(
    applied: Applied, new_client: Any
) -> None:
    content = image_bytes("JPEG")
    document = await uploaded(applied.seeker.client, applied.application_id, content, "顔写真.jpg")
    response = await download(applied.seeker.client, document["downloadUrl"])
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-type"] == "image/jpeg"
    # By the session cookie too, as a browser follows the link.
    browser = new_client()
    browser.http.cookies.set(SESSION_COOKIE, applied.seeker.client.token)
    response = await download(browser, document["downloadUrl"])
    assert response.status_code == 200
    assert await PersonalDataAccess.all().count() == 0


async def test_nobody_else_is_told_the_document_is_there(
    server: Server, applied: Applied, other_employer: GraphQLClient, new_client: Any
) -> None:
    document = await uploaded(applied.seeker.client, applied.application_id, pdf(), "履歴書.pdf")
    url = document["downloadUrl"]
    other_office = await new_staff(server, new_client(), office_code="13020")
    other_seeker = await new_seeker(server, new_client(), "hanako@example.jp", "求職 花子")
    for outsider in (other_employer, other_office, other_seeker.client, new_client()):
        response = await download(outsider, url)
        assert response.status_code == 404
        assert response.text == "Not Found"
        data = await outsider.execute(NODE, {"id": document["id"]})
        assert data["node"] is None
    for unknown in [
        "QXBwbGljYXRpb25Eb2N1bWVudDo5OTk5OQ==",
        "Zm9vOjE=",
        "!!",
        applied.seeker.profile_id,
    ]:
        response = await download(applied.employer, f"/applications/documents/{unknown}")
        assert response.status_code == 404
    assert await PersonalDataAccess.all().count() == 0


async def test_a_document_is_a_node_for_those_who_may_see_it(applied: Applied) -> None:
    document = await uploaded(applied.seeker.client, applied.application_id, pdf(), "履歴書.pdf")
    for viewer in (applied.seeker.client, applied.employer, applied.staff):
        data = await viewer.execute(NODE, {"id": document["id"]})
        assert data["node"] == document


def test_control_characters_leave_the_file_name() -> None:
    """(Clients escape them in a multipart request's file name: they are tested here.)"""
    cleaned = clean_file_name("履\x00歴\t書\r\n\x7f.pdf", DocumentFormat.PDF, DocumentKind.RESUME)
    assert cleaned == "履歴書.pdf"
    assert (
        clean_file_name("\x1b", DocumentFormat.PNG, DocumentKind.CAREER_HISTORY) == "職務経歴書.png"
    )


def test_the_ascii_file_name_beside_the_utf8_one() -> None:
    assert content_disposition("attachment", "resume 2026.pdf") == (
        "attachment; filename=\"resume_2026.pdf\"; filename*=UTF-8''resume%202026.pdf"
    )
    assert content_disposition("attachment", "職務経歴書_Tanaka.png").startswith(
        'attachment; filename="Tanaka.png"; '
    )
    assert 'filename="document.jpg"' in content_disposition("attachment", "写真.jpg")
    assert 'filename="a_b.pdf"' in content_disposition("attachment", 'a"b;.pdf')
    # A plain ASCII name needs no second form.
    assert content_disposition("attachment", "cv.pdf") == 'attachment; filename="cv.pdf"'
    assert content_disposition("inline", "a.pdf", "b.pdf") == (
        "inline; filename=\"b.pdf\"; filename*=UTF-8''a.pdf"
    )


# --- Crash safety -------------------------------------------------------------------------------


@pytest.mark.slow
async def test_an_acknowledged_document_survives_a_sigkill(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker, tmp_path: Path
) -> None:
    # The world is made by this process on the shared database, at the real time the child
    # servers run by, so that its sessions and posting are live for them.
    server.clock.set(dt.datetime.now(dt.UTC))
    for client in (staff, employer, seeker.client):
        await reopen_session(server, client)
    await sf.update_profile(seeker.client)
    posting = await flows.active_posting(employer, staff)
    application_id = (await sf.apply(seeker.client, posting["id"]))["id"]
    env = service_env(
        tmp_path / "var",
        DATABASE_URL=server.settings.database_url,
        DOCUMENT_ROOT=str(tmp_path / "documents"),
        MAIL_URL=f"maildir://{server.mail_dir}",
        RATE_LIMITS="off",
    )
    acknowledged = pdf("送信済み")
    first = UvicornProcess(env, tmp_path / "first.log")
    await asyncio.to_thread(first.__enter__)
    try:
        async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
            remote = GraphQLClient(http)
            remote.token = seeker.client.token
            document = await uploaded(remote, application_id, acknowledged, "履歴書.pdf")
            in_flight = [
                asyncio.create_task(post_upload(remote, application_id, big, f"{n}.png"))
                for n, big in enumerate(png_of_size(MAX_DOCUMENT_BYTES - n) for n in range(3))
            ]
            await asyncio.sleep(0.05)
            assert first.process is not None
            first.process.kill()  # SIGKILL: no shutdown, uploads in flight
            await asyncio.to_thread(first.process.wait, 15)
            await asyncio.gather(*in_flight, return_exceptions=True)
    finally:
        await asyncio.to_thread(first.stop)
    assert "Traceback" not in first.log

    second = UvicornProcess(env, tmp_path / "second.log")
    await asyncio.to_thread(second.__enter__)
    try:
        async with httpx.AsyncClient(base_url=second.url, timeout=30) as http:
            remote = GraphQLClient(http)
            remote.token = employer.token
            response = await download(remote, document["downloadUrl"])
            assert response.status_code == 200, response.text
            assert response.content == acknowledged
    finally:
        await asyncio.to_thread(second.stop)
    assert "Traceback" not in second.log
    # Whatever else committed before the kill has its file, whole.
    for row in await ApplicationDocument.all():
        data = (tmp_path / "documents" / row.content_hash).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.content_hash
        assert len(data) == row.size


def test_document_root_defaults_under_the_var_dir_and_is_never_served() -> None:
    assert Settings.from_env({"APP_VAR_DIR": "/srv/hw"}).document_root == Path("/srv/hw/documents")
    assert Settings.from_env({"DOCUMENT_ROOT": "/data/d"}).document_root == Path("/data/d")
    for inside in ("/data/media", "/data/media/documents"):
        with pytest.raises(ConfigurationError, match="DOCUMENT_ROOT"):
            Settings.from_env({"MEDIA_ROOT": "/data/media", "DOCUMENT_ROOT": inside})


async def test_a_head_request_reads_nothing(server: Server, applied: Applied) -> None:
    """HEAD would read an applicant's document without anyone seeing it: refused, unrecorded."""
    document = await uploaded(applied.seeker.client, applied.application_id, pdf(), "cv.pdf")
    before = await PersonalDataAccess.all().count()
    response = await applied.employer.http.head(
        document["downloadUrl"], headers={"Authorization": f"Bearer {applied.employer.token}"}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert await PersonalDataAccess.all().count() == before


def test_an_image_of_at_most_forty_million_pixels() -> None:
    """8000 × 5000 is exactly the limit; 53 × 754,717 is one pixel more (the header decides,
    before any decoding)."""

    def png_of(width: int, height: int) -> bytes:
        out = io.BytesIO()
        Image.new("1", (width, height)).save(out, "PNG")
        return out.getvalue()

    assert 8000 * 5000 == MAX_DOCUMENT_PIXELS == 53 * 754_717 - 1
    assert check_file(png_of(8000, 5000)).file_format is DocumentFormat.PNG
    with pytest.raises(UserErrors) as refused:
        check_file(png_of(53, 754_717))
    assert [error.code for error in refused.value.errors] == [ErrorCode.FILE_TOO_LARGE]
