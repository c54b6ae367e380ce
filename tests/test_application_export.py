"""The export of applicants (`GET /exports/applications.csv`): its columns and cells, who may
have which, the file as Excel wants it (BOM, CRLF), cells that stay text, and a body streamed a
page at a time."""

from __future__ import annotations

import asyncio
import base64
import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from strawberry import relay

from app.clock import TOKYO
from app.export_routes import HEADERS, applications_export_path
from app.models import Application, PersonalDataAccess, Posting
from app.models.applications import (
    ApplicationSource,
    ApplicationStatus,
    NoticeMethod,
    PersonalDataKind,
    RejectionReason,
    ReportedResult,
)
from app.resolvers import applicants, exports
from app.schema.nodes import decode_id
from app.settings import RateLimit, RateLimits
from app.throttle import MemoryCounter
from tests import flows
from tests import seeker_flows as sf
from tests.conftest import GraphQLClient, Seeker, Server, new_seeker, new_staff, user_of
from tests.test_referral_letter import LETTER_NUMBER, refer, walk_in, with_details

BOM = b"\xef\xbb\xbf"

COLUMNS = [
    "応募ID",
    "求人番号",
    "職種",
    "応募日",
    "応募経路",
    "紹介状番号",
    "氏名",
    "氏名カナ",
    "年齢",
    "都道府県",
    "市区町村",
    "電話番号",
    "メールアドレス",
    "マイページ",
    "選考状況",
    "結果報告",
    "採用予定日",
    "労働条件の相違",
    "不採用理由",
    "不採用理由等の記載",
    "結果報告日",
    "結果連絡日",
    "連絡方法",
]


async def fetch(
    client: GraphQLClient | httpx.AsyncClient, posting_id: str | None = None
) -> httpx.Response:
    """The export as `client` asks for it: with its bearer token, or anonymous."""
    path = applications_export_path(posting_id)
    if isinstance(client, httpx.AsyncClient):
        return await client.get(path)
    headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
    return await client.http.get(path, headers=headers)


def rows_of(response: httpx.Response) -> list[dict[str, str]]:
    """A 200 CSV answer as Excel wants it (BOM, CRLF) with the headers of a private download;
    its rows by column."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    body = response.content
    assert body.startswith(BOM)
    assert not body.startswith(BOM * 2)
    lines = body[len(BOM) :].split(b"\r\n")
    assert lines[-1] == b""  # every record ends with CRLF
    assert all(b"\n" not in line for line in lines)  # no bare LF, in these tests' cells
    header, *records = list(csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8"), newline="")))
    assert header == COLUMNS
    return [dict(zip(header, record, strict=True)) for record in records]


def global_id(application: Application | int) -> str:
    pk = application if isinstance(application, int) else application.id
    return relay.to_base64("Application", pk)


def pk(global_id: str, type_name: str) -> int:
    return decode_id(global_id, type_name, "id")


async def export_reads() -> list[PersonalDataAccess]:
    return await PersonalDataAccess.filter(kind=PersonalDataKind.EXPORT).order_by("id")


def test_the_columns_are_the_documented_ones() -> None:
    assert list(HEADERS) == COLUMNS


async def test_an_employer_exports_a_postings_applicants_and_results(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    seeker: Seeker,
    new_client: Any,
) -> None:
    posting = await flows.active_posting(employer, staff)
    await with_details(seeker)
    referred = await refer(staff, posting["id"], seeker)
    applying = await new_seeker(server, new_client(), "hanako@example.jp", "応募 花子")
    await with_details(applying, name_kana="オウボ ハナコ", birth_date=None, city="台東区")
    online = (await sf.apply(applying.client, posting["id"]))["id"]
    counter = await walk_in(server, posting["id"], await user_of(server, staff))

    reported_at = dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC)  # 12/2 in Tokyo
    await Application.filter(id=pk(referred, "Application")).update(
        status=ApplicationStatus.HIRED,
        reported_result=ReportedResult.HIRED,
        hire_date=dt.date(2027, 1, 4),
        conditions_differ=True,
        reported_at=reported_at,
        notified_at=reported_at,
        notified_method=NoticeMethod.MESSAGE,
    )
    await Application.filter(id=pk(online, "Application")).update(
        status=ApplicationStatus.REJECTED,
        reported_result=ReportedResult.REJECTED,
        rejection_reason=RejectionReason.SKILLS,
        result_note="介護福祉士の資格が必要",
        reported_at=reported_at,
    )

    response = await fetch(employer, posting["id"])
    rows = rows_of(response)
    number = posting["postingNumber"]
    ascii_name = f"applications-{number}-20261125.csv"
    utf8_name = quote(f"応募者一覧_{number}_20261125.csv", safe="")
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8_name}"
    )
    assert [row["応募ID"] for row in rows] == [referred, online, global_id(counter)]
    common = {"求人番号": number, "職種": "介護職員", "応募日": "2026/11/25"}
    assert rows[0] == {
        **common,
        "応募ID": referred,
        "応募経路": "紹介",
        "紹介状番号": LETTER_NUMBER,
        "氏名": "求職 太郎",
        "氏名カナ": "キュウショク タロウ",
        "年齢": "36",
        "都道府県": "東京都",
        "市区町村": "文京区",
        "電話番号": "090-1234-5678",
        "メールアドレス": seeker.email,
        "マイページ": "あり",
        "選考状況": "採用",
        "結果報告": "採用",
        "採用予定日": "2027/01/04",
        "労働条件の相違": "あり",
        "不採用理由": "",
        "不採用理由等の記載": "",
        "結果報告日": "2026/12/02",
        "結果連絡日": "2026/12/02",
        "連絡方法": "メッセージ",
    }
    assert rows[1] == {
        **common,
        "応募ID": online,
        "応募経路": "オンライン自主応募",
        "紹介状番号": "",
        "氏名": "応募 花子",
        "氏名カナ": "オウボ ハナコ",
        "年齢": "",
        "都道府県": "東京都",
        "市区町村": "台東区",
        "電話番号": "090-1234-5678",
        "メールアドレス": "hanako@example.jp",
        "マイページ": "あり",
        "選考状況": "不採用",
        "結果報告": "不採用",
        "採用予定日": "",
        "労働条件の相違": "",
        "不採用理由": "必要な知識・技能・経験が不足",
        "不採用理由等の記載": "介護福祉士の資格が必要",
        "結果報告日": "2026/12/02",
        "結果連絡日": "",
        "連絡方法": "",
    }
    # A walk-in, referred at the counter without a My Page: as staff entered them.
    assert rows[2] == {
        **common,
        "応募ID": global_id(counter),
        "応募経路": "紹介",
        "紹介状番号": counter.referral_letter_number,
        "氏名": "窓口 花子",
        "氏名カナ": "マドグチ ハナコ",
        "年齢": "52",
        "都道府県": "東京都",
        "市区町村": "台東区",
        "電話番号": "03-5800-0000",
        "メールアドレス": "",
        "マイページ": "なし",
        "選考状況": "応募",
        "結果報告": "未報告",
        "採用予定日": "",
        "労働条件の相違": "",
        "不採用理由": "",
        "不採用理由等の記載": "",
        "結果報告日": "",
        "結果連絡日": "",
        "連絡方法": "",
    }

    [read] = await export_reads()
    assert read.reader_id == (await user_of(server, employer)).id
    assert read.posting_id == pk(posting["id"], "Posting")
    assert read.application_id is None
    assert read.establishment_id == counter.establishment_id
    assert read.at == server.clock.now()


async def test_an_employer_exports_every_posting_and_staff_one_of_their_office(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    seeker: Seeker,
    http: httpx.AsyncClient,
    new_client: Any,
) -> None:
    first = await flows.active_posting(employer, staff)
    second = await flows.active_posting(employer, staff, jobTitle="調理補助")
    staff_user = await user_of(server, staff)
    a = await walk_in(server, first["id"], staff_user)
    b = await walk_in(server, second["id"], staff_user)
    c = await walk_in(server, first["id"], staff_user)
    elsewhere = await flows.active_posting(other_employer, staff)
    await walk_in(server, elsewhere["id"], staff_user)

    everything = rows_of(await fetch(employer))
    assert [row["応募ID"] for row in everything] == [global_id(x) for x in (a, b, c)]
    assert [row["職種"] for row in everything] == ["介護職員", "調理補助", "介護職員"]
    response = await fetch(employer)
    assert 'filename="applications-all-20261125.csv"' in response.headers["content-disposition"]

    of_staff = rows_of(await fetch(staff, first["id"]))
    assert [row["応募ID"] for row in of_staff] == [global_id(a), global_id(c)]
    reads = await export_reads()
    assert [(r.reader_id, r.posting_id) for r in reads] == [
        ((await user_of(server, employer)).id, None),
        ((await user_of(server, employer)).id, None),
        (staff_user.id, pk(first["id"], "Posting")),
    ]

    # Staff name the posting; nobody else has any of them.
    assert (await fetch(staff)).status_code == 404
    other_office = await new_staff(server, new_client(), office_code="27010")
    for outsider in (other_office, other_employer, seeker.client, http):
        response = await fetch(outsider, first["id"])
        assert response.status_code == 404, outsider
        assert response.headers["content-type"].startswith("text/plain")
    for outsider in (seeker.client, http):
        assert (await fetch(outsider)).status_code == 404
    assert len(await export_reads()) == 3


@pytest.mark.parametrize(
    "posting",
    [
        "",
        "nonsense",
        base64.b64encode(b"Establishment:1").decode(),
        base64.b64encode(b"Posting:abc").decode(),
        base64.b64encode(b"Posting:99999").decode(),
    ],
)
async def test_a_malformed_or_unknown_posting_is_not_found(
    employer: GraphQLClient, posting: str
) -> None:
    headers = {"Authorization": f"Bearer {employer.token}"}
    response = await employer.http.get(
        "/exports/applications.csv", params={"posting": posting}, headers=headers
    )
    assert response.status_code == 404
    assert await export_reads() == []


async def test_a_cell_that_would_be_a_formula_stays_text(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    await walk_in(
        server,
        posting["id"],
        await user_of(server, staff),
        walk_in_name='=HYPERLINK("http://evil.example/","開く")',
        walk_in_kana="+カナ",
        walk_in_city="-1+2",
        walk_in_email="@SUM(1+1)",
        walk_in_phone="\t090",
        walk_in_prefecture="\r東京都",
    )
    await Application.filter().update(result_note='=1+1,"quoted"\r\n2行目')
    [row] = rows_of(await fetch(employer, posting["id"]))
    assert row["氏名"] == '\'=HYPERLINK("http://evil.example/","開く")'
    assert row["氏名カナ"] == "'+カナ"
    assert row["市区町村"] == "'-1+2"
    assert row["メールアドレス"] == "'@SUM(1+1)"
    assert row["電話番号"] == "'\t090"
    assert row["都道府県"] == "'\r東京都"
    assert row["不採用理由等の記載"] == '\'=1+1,"quoted"\r\n2行目'
    # Not a formula where the sign is inside.
    assert row["応募経路"] == "紹介"


def _walk_ins(posting: Posting, count: int, now: dt.datetime) -> Iterable[Application]:
    for n in range(count):
        yield Application(
            posting_id=posting.id,
            establishment_id=posting.establishment_id,
            seeker_id=None,
            source=ApplicationSource.REFERRAL,
            status=ApplicationStatus.APPLIED,
            walk_in_name=f"窓口 {n}号",
            walk_in_age=20 + n % 40,
            created_at=now,
            updated_at=now,
        )


async def test_the_body_is_streamed_a_page_at_a_time(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With pages of 4 rows, 10 rows are 3 pages; the header and the first page leave while
    the second page is being read (held here), and each page's persons are looked up alone."""
    posting_id = (await flows.active_posting(employer, staff))["id"]
    posting = await Posting.get(id=pk(posting_id, "Posting"))
    await Application.bulk_create(list(_walk_ins(posting, 10, server.clock.now())))
    monkeypatch.setattr(exports, "PAGE_ROWS", 4)
    looked_up: list[int] = []
    second_page = asyncio.Event()
    second_begun = asyncio.Event()
    persons = applicants.persons

    async def held_persons(
        applications: Iterable[Application], today: dt.date
    ) -> dict[int, applicants.Person]:
        rows = list(applications)
        looked_up.append(len(rows))
        if len(looked_up) == 2:
            second_begun.set()
            await second_page.wait()
        return await persons(rows, today)

    monkeypatch.setattr(applicants, "persons", held_persons)
    headers = {"Authorization": f"Bearer {employer.token}"}
    received = b""
    async with employer.http.stream(
        "GET", applications_export_path(posting_id), headers=headers
    ) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        chunks = response.aiter_raw()
        while "窓口 3号".encode() not in received:
            received += await asyncio.wait_for(anext(chunks), timeout=10)
        assert received.startswith(BOM + "応募ID,".encode())
        assert "窓口 4号".encode() not in received
        # The first page has left; the server reads the second one (it may still be on its way).
        await asyncio.wait_for(second_begun.wait(), timeout=10)
        assert looked_up == [4, 4]
        assert "窓口 4号".encode() not in received
        second_page.set()
        async for chunk in chunks:
            received += chunk
    assert looked_up == [4, 4, 2]
    records = list(csv.reader(io.StringIO(received[len(BOM) :].decode("utf-8"), newline="")))
    assert [record[6] for record in records[1:]] == [f"窓口 {n}号" for n in range(10)]


async def test_a_few_thousand_rows_arrive_in_many_chunks(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting_id = (await flows.active_posting(employer, staff))["id"]
    posting = await Posting.get(id=pk(posting_id, "Posting"))
    count = 3 * exports.PAGE_ROWS + 1
    await Application.bulk_create(list(_walk_ins(posting, count, server.clock.now())))
    headers = {"Authorization": f"Bearer {employer.token}"}
    chunks: list[bytes] = []
    async with employer.http.stream(
        "GET", applications_export_path(posting_id), headers=headers
    ) as response:
        assert response.headers.get("transfer-encoding") == "chunked"
        async for chunk in response.aiter_raw():
            chunks.append(chunk)
    body = b"".join(chunks)
    assert len(chunks) > 1
    assert body.count(b"\r\n") == count + 1
    records = list(csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8"), newline="")))
    ids = [pk(record[0], "Application") for record in records[1:]]
    assert ids == sorted(ids)
    assert len(set(ids)) == count
    assert all(
        record[3] == f"{server.clock.now().astimezone(TOKYO):%Y/%m/%d}" for record in records[1:]
    )


async def test_exports_count_against_the_request_budget(
    server: Server, employer: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    throttle = server.rt.throttle
    monkeypatch.setattr(throttle, "enabled", True)
    monkeypatch.setattr(throttle, "limits", RateLimits(requests_per_session=RateLimit(2, 60)))
    monkeypatch.setattr(throttle, "counter", MemoryCounter())
    assert (await fetch(employer)).status_code == 200
    assert (await fetch(employer)).status_code == 200
    refused = await fetch(employer)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert len(await export_reads()) == 2
