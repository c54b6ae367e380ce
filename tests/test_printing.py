"""The printed 求人票 (`GET /postings/<id>/kyujinhyo.pdf`): who may have it, and what it shows.

The PDFs are read back with pypdf; page 1 of the employer's draft is drawn to
`artifacts/kyujinhyo-page1.png` with pypdfium2, for a person to look at.
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import httpx
import pypdf
import pypdfium2
import pytest

from app.models.posting_form import ITEMS, Section
from tests import flows
from tests.browser import ARTIFACTS
from tests.conftest import GraphQLClient, Seeker, Server, new_staff

ESTABLISHMENT_NAME = "ハローワークケア"
ESTABLISHMENT_ADDRESS = "東京都文京区後楽1-9-20"


def pdf_path(global_id: str) -> str:
    return f"/postings/{global_id}/kyujinhyo.pdf"


async def fetch(client: GraphQLClient | httpx.AsyncClient, global_id: str) -> httpx.Response:
    """The PDF as `client` asks for it: with its bearer token, or anonymous."""
    if isinstance(client, httpx.AsyncClient):
        return await client.get(pdf_path(global_id))
    headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
    return await client.http.get(pdf_path(global_id), headers=headers)


def text_of(pdf: bytes) -> str:
    """The text of every page, without white space (a label may wrap in its cell)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_pdf(response: httpx.Response, file_name: str) -> str:
    """A 200 PDF answer with the headers of a private, inline download; its text."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="{file_name}"'
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content.startswith(b"%PDF-")
    return text_of(response.content)


def row_id(global_id: str) -> str:
    return base64.b64decode(global_id).decode().removeprefix("Posting:")


def draw_page_1(pdf: bytes) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        page.render(scale=2).to_pil().save(ARTIFACTS / "kyujinhyo-page1.png")
        page.close()
    finally:
        document.close()


async def test_an_employer_prints_its_draft_with_every_section_and_item(
    employer: GraphQLClient,
) -> None:
    draft = await flows.create_posting(employer)
    response = await fetch(employer, draft["id"])
    text = assert_pdf(response, f"kyujinhyo-{row_id(draft['id'])}.pdf")
    draw_page_1(response.content)

    assert "求人票" in text
    assert "未受理" in text
    for number, section in enumerate(Section, start=1):
        assert f"{number}{section.label}" in text, section
    for item in ITEMS:
        assert compact(item.label) in text, item.name
    for value in ("介護職員", "220,000円", "280,000円", "月給", "書類選考、面接", "人事課山田"):
        assert value in text, value
    assert ESTABLISHMENT_NAME in text
    assert compact(ESTABLISHMENT_ADDRESS) in text
    assert "1301-123456-7" in text  # 事業所番号
    assert "ハローワークインターネットサービス求人者マイページで作成" in text
    assert "1/" in text  # page numbers


async def test_a_long_text_flows_onto_further_pages(employer: GraphQLClient) -> None:
    # 60 lines: taller than a page, so the row goes on within itself on the next.
    description = "\n".join(f"{line}行目: 生活支援と介助。" for line in range(60))
    assert len(description) <= 1000
    draft = await flows.create_posting(employer, jobDescription=description)
    response = await fetch(employer, draft["id"])
    assert response.status_code == 200
    pages = [
        compact(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    ]
    first = next(number for number, page in enumerate(pages) if "仕事内容0行目:" in page)
    last = next(number for number, page in enumerate(pages) if "59行目:" in page)
    assert last > first
    assert all(f"{number + 1}/{len(pages)}" in page for number, page in enumerate(pages))


async def test_a_draft_is_for_its_establishment_and_its_office_only(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    seeker: Seeker,
    http: httpx.AsyncClient,
    new_client: Any,
) -> None:
    draft = await flows.create_posting(employer)
    assert_pdf(await fetch(staff, draft["id"]), f"kyujinhyo-{row_id(draft['id'])}.pdf")

    other_office = await new_staff(server, new_client(), office_code="27010")
    for outsider in (other_office, other_employer, seeker.client, http):
        response = await fetch(outsider, draft["id"])
        assert response.status_code == 404, outsider
        assert response.headers["content-type"].startswith("text/plain")


async def test_anyone_prints_an_active_posting_published_with_the_name(
    staff: GraphQLClient, employer: GraphQLClient, http: httpx.AsyncClient
) -> None:
    active = await flows.active_posting(employer, staff)
    text = assert_pdf(await fetch(http, active["id"]), f"kyujinhyo-{active['postingNumber']}.pdf")
    assert active["postingNumber"] in text
    assert ESTABLISHMENT_NAME in text
    assert compact(ESTABLISHMENT_ADDRESS) in text
    assert "介護職員" in text


async def test_a_seeker_prints_a_search_result_by_its_link(
    staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    limited = await flows.active_posting(
        employer,
        staff,
        publicationRange="NAME_TO_SEEKERS_ONLY",
        acceptsOnlineApplications=False,
    )
    data = await seeker.client.execute(
        "{ postingSearch(first: 5) { edges { node { postingNumber kyujinhyoPdfUrl } } } }"
    )
    [node] = [e["node"] for e in data["postingSearch"]["edges"]]
    assert node["postingNumber"] == limited["postingNumber"]
    headers = {"Authorization": f"Bearer {seeker.client.token}"}
    response = await seeker.client.http.get(node["kyujinhyoPdfUrl"], headers=headers)
    text = assert_pdf(response, f"kyujinhyo-{limited['postingNumber']}.pdf")
    assert ESTABLISHMENT_NAME in text
    # Limited to Hello Work's seekers: nobody else gets it, by either link.
    anonymous = await seeker.client.http.get(node["kyujinhyoPdfUrl"])
    assert anonymous.status_code == 404
    assert (await fetch(employer.http, limited["id"])).status_code == 404


async def test_without_the_name_nothing_names_or_locates_the_establishment(
    staff: GraphQLClient,
    employer: GraphQLClient,
    seeker: Seeker,
    http: httpx.AsyncClient,
) -> None:
    active = await flows.active_posting(employer, staff, publicationRange="WITHOUT_NAME")
    file_name = f"kyujinhyo-{active['postingNumber']}.pdf"
    for reader in (http, seeker.client):
        text = assert_pdf(await fetch(reader, active["id"]), file_name)
        assert "介護職員" in text
        assert "非公開" in text
        for hidden in (
            ESTABLISHMENT_NAME,
            "後楽1-9-20",
            "112-8577",
            "03-3812-0001",
            "1301-123456-7",
            "山田",
        ):
            assert hidden not in text, hidden

    # Its own establishment still has it whole.
    text = assert_pdf(await fetch(employer, active["id"]), file_name)
    assert ESTABLISHMENT_NAME in text
    assert "山田" in text


@pytest.mark.parametrize(
    "global_id",
    [
        "nonsense",
        base64.b64encode(b"Establishment:1").decode(),
        base64.b64encode(b"Posting:abc").decode(),
        base64.b64encode(b"Posting:0").decode(),
        base64.b64encode(b"Posting:99999").decode(),
        "%00",
    ],
)
async def test_a_malformed_or_unknown_id_is_not_found(
    employer: GraphQLClient, global_id: str
) -> None:
    response = await fetch(employer, global_id)
    assert response.status_code == 404
