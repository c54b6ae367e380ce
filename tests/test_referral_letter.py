"""The referral letter (`GET /applications/<id>/shokaijo.pdf`): what it shows, who may have it,
and the record of every time they do.

The PDFs are read back with pypdf; page 1 of a letter is drawn to
`artifacts/shokaijo-page1.png` with pypdfium2, for a person to look at.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from typing import Any

import httpx
import pypdfium2
import pytest
from strawberry import relay

from app.models import Application, PersonalDataAccess, Posting, SeekerProfile, User
from app.models.applications import ApplicationSource, ApplicationStatus, PersonalDataKind
from app.print_routes import referral_letter_path
from app.schema.nodes import decode_id
from app.settings import RateLimit, RateLimits
from app.throttle import MemoryCounter
from tests import flows
from tests import seeker_flows as sf
from tests.browser import ARTIFACTS
from tests.conftest import GraphQLClient, Seeker, Server, new_staff, user_of
from tests.test_printing import text_of

LETTER_NUMBER = "13010-2026-0042"
NOTE = "介護職の経験5年。\n面接は午前を希望。"
OFFICE_NAME = "テスト13010公共職業安定所"


async def fetch(client: GraphQLClient | httpx.AsyncClient, global_id: str) -> httpx.Response:
    """The letter as `client` asks for it: with its bearer token, or anonymous."""
    if isinstance(client, httpx.AsyncClient):
        return await client.get(referral_letter_path(global_id))
    headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
    return await client.http.get(referral_letter_path(global_id), headers=headers)


def assert_letter(response: httpx.Response, file_name: str) -> str:
    """A 200 PDF answer with the headers of a private, inline download; its text."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="{file_name}"'
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content.startswith(b"%PDF-")
    return text_of(response.content)


def pk(global_id: str, type_name: str = "Application") -> int:
    return decode_id(global_id, type_name, "id")


async def with_details(seeker: Seeker, **fields: Any) -> None:
    """The seeker's profile with the kana, birth date, address and phone the API keeps."""
    user = await User.get(email=seeker.email)
    values: dict[str, Any] = {
        "name_kana": "キュウショク タロウ",
        "birth_date": dt.date(1990, 4, 1),  # 36 on START (2026-11-25)
        "prefecture": "東京都",
        "city": "文京区",
        "phone_number": "090-1234-5678",
        **fields,
    }
    await SeekerProfile.filter(user_id=user.id).update(**values)


async def refer(
    staff: GraphQLClient,
    posting_id: str,
    seeker: Seeker,
    letter_number: str = LETTER_NUMBER,
    note: str = NOTE,
) -> str:
    """A referral by `staff` through the API (`referralCreate`); the application's global ID."""
    payload = await sf.mutate(
        staff,
        sf.REFERRAL_CREATE,
        "referralCreate",
        {
            "postingId": posting_id,
            "seekerId": seeker.profile_id,
            "referralLetterNumber": letter_number,
            "note": note,
        },
    )
    assert payload["errors"] == [], payload
    application_id: str = payload["application"]["id"]
    return application_id


_walk_ins = itertools.count(1)


async def walk_in(server: Server, posting_id: str, staff: User, **fields: Any) -> Application:
    """A referral of a person without a My Page (a walk-in at the counter), made directly."""
    posting = await Posting.get(id=pk(posting_id, "Posting"))
    n = next(_walk_ins)
    now = server.clock.now()
    values: dict[str, Any] = {
        "walk_in_name": "窓口 花子",
        "walk_in_kana": "マドグチ ハナコ",
        "walk_in_age": 52,
        "walk_in_phone": "03-5800-0000",
        "walk_in_email": "",
        "walk_in_prefecture": "東京都",
        "walk_in_city": "台東区",
        "referral_letter_number": f"13010-2026-9{n:03d}",
        "referral_note": "窓口での紹介",
        **fields,
    }
    return await Application.create(
        posting_id=posting.id,
        establishment_id=posting.establishment_id,
        seeker_id=None,
        source=ApplicationSource.REFERRAL,
        status=ApplicationStatus.APPLIED,
        referred_by_id=staff.id,
        created_at=now,
        updated_at=now,
        **values,
    )


async def letter_reads() -> list[PersonalDataAccess]:
    return await PersonalDataAccess.filter(kind=PersonalDataKind.REFERRAL_LETTER).order_by("id")


def draw_page_1(pdf: bytes) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        page.render(scale=2).to_pil().save(ARTIFACTS / "shokaijo-page1.png")
        page.close()
    finally:
        document.close()


async def test_the_letter_shows_the_referral_the_person_and_the_reply(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    posting = await flows.active_posting(employer, staff, acceptsOnlineApplications=False)
    await with_details(seeker)
    application_id = await refer(staff, posting["id"], seeker)

    response = await fetch(employer, application_id)
    text = assert_letter(response, f"shokaijo-{LETTER_NUMBER}.pdf")
    draw_page_1(response.content)
    for shown in (
        "紹介状",
        f"紹介状番号{LETTER_NUMBER}",
        "令和8年11月25日",  # 紹介日, the day of the referral in Tokyo
        "2026年11月25日",
        OFFICE_NAME,
        "安定所番号13010",
        "ハローワークケア御中",
        "1301-123456-7",
        f"求人番号{posting['postingNumber']}",
        "職種介護職員",
        "氏名求職太郎",
        "キュウショクタロウ",
        "年齢36歳",
        "介護職の経験5年。面接は午前を希望。",
        "選考結果のご連絡（事業所記入欄）",
        "採否採用・不採用・応募者辞退",
        "採用予定日",
        "不採用の理由",
        "ハローワークインターネットサービス求人者マイページで作成",
        "1/1",
    ):
        assert shown in text, shown
    # Contact details are the application's, not the letter's.
    assert "090-1234-5678" not in text


async def test_a_walk_in_is_shown_as_staff_entered_them(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    application = await walk_in(server, posting["id"], await user_of(server, staff))
    global_id = relay.to_base64("Application", application.id)
    text = assert_letter(
        await fetch(employer, global_id), f"shokaijo-{application.referral_letter_number}.pdf"
    )
    for shown in ("窓口花子", "マドグチハナコ", "年齢52歳", "窓口での紹介", OFFICE_NAME):
        assert shown in text, shown


async def test_each_fetch_by_the_establishment_or_its_office_is_recorded(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    seeker: Seeker,
    http: httpx.AsyncClient,
    new_client: Any,
) -> None:
    posting = await flows.active_posting(employer, staff, acceptsOnlineApplications=False)
    application_id = await refer(staff, posting["id"], seeker)
    file_name = f"shokaijo-{LETTER_NUMBER}.pdf"

    other_office = await new_staff(server, new_client(), office_code="27010")
    for outsider in (other_office, other_employer, seeker.client, http):
        response = await fetch(outsider, application_id)
        assert response.status_code == 404, outsider
        assert response.headers["content-type"].startswith("text/plain")
    assert await letter_reads() == []

    assert_letter(await fetch(employer, application_id), file_name)
    assert_letter(await fetch(employer, application_id), file_name)
    assert_letter(await fetch(staff, application_id), file_name)
    reads = await letter_reads()
    readers = [(await user_of(server, client)).id for client in (employer, employer, staff)]
    assert [read.reader_id for read in reads] == readers
    application = await Application.get(id=pk(application_id))
    for read in reads:
        assert read.application_id == application.id
        assert read.establishment_id == application.establishment_id
        assert read.posting_id == application.posting_id
        assert read.at == server.clock.now()


async def test_an_online_application_has_no_letter(
    staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    posting = await flows.active_posting(employer, staff)
    application = await sf.apply(seeker.client, posting["id"])
    for reader in (employer, staff):
        assert (await fetch(reader, application["id"])).status_code == 404
    assert await letter_reads() == []


@pytest.mark.parametrize(
    "global_id",
    [
        "nonsense",
        base64.b64encode(b"Posting:1").decode(),
        base64.b64encode(b"Application:abc").decode(),
        base64.b64encode(b"Application:0").decode(),
        base64.b64encode(b"Application:99999").decode(),
        "%00",
    ],
)
async def test_a_malformed_or_unknown_id_is_not_found(
    employer: GraphQLClient, global_id: str
) -> None:
    assert (await fetch(employer, global_id)).status_code == 404


async def test_letters_count_against_the_request_budget(
    server: Server, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    throttle = server.rt.throttle
    monkeypatch.setattr(throttle, "enabled", True)
    monkeypatch.setattr(throttle, "limits", RateLimits(requests_per_session=RateLimit(1, 60)))
    monkeypatch.setattr(throttle, "counter", MemoryCounter())
    unknown = relay.to_base64("Application", 1)
    assert (await fetch(http, unknown)).status_code == 404
    refused = await fetch(http, unknown)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
