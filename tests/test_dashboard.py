"""The employer dashboard (`/dashboard`): the page, its assets and headers over plain HTTP, its
operations against `schema.graphql`, and an employer using it in a real browser (Debian's
chromium): log in with the mailed one-time password, see the home figures, the applicants and
the threads, and watch a seeker's message and a status change arrive without reload; see each
posting's check, its 本登録 due date and its printed 求人票; work on an applicant (who applied,
志望動機, status, result report and notice, interview, note) and the reports due; a walk-in
without My Page hired up to the number to hire, and the posting stopped; Hello Work's notices
paged, arriving live and read on opening, and logging out."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    get_named_type,
    parse,
    validate,
    visit,
)
from playwright.async_api import Browser, Page, expect

from app.clock import TOKYO
from app.middleware import DASHBOARD_CSP, HSTS
from app.models import Application, ApplicationNote, Interview, Message, Posting
from app.models.applications import ApplicationStatus, RejectionReason, ReportedResult
from app.models.counter import NoticeKind
from app.models.messages import MessageSender
from app.models.postings import PostingStatus
from app.schema.nodes import decode_id
from tests import flows, seeker_flows
from tests.browser import chromium, screenshot, watched_page
from tests.conftest import GraphQLClient, Server, new_employer_of, new_seeker, new_staff
from tests.page_dates import assert_dates_in_era, japanese_date
from tests.processes import UvicornProcess, run_app_ok, service_env, smtp_server
from tests.test_application_documents import pdf, uploaded
from tests.test_notices import establishment_of, mark_read, notice_id, send_notice

EMAIL = "hr@care.example.jp"

SEND = """mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { id body } errors { field code message } }
}"""

POSTING = """query ($id: ID!) {
  node(id: $id) {
    ... on Posting {
      id kyujinhyoPdfUrl counterRegistration { dueOn confirmedAt }
      check { errors { field code message } warnings { field code message } }
    }
  }
}"""

ASSETS = {
    "/static/dashboard/dashboard.js": "text/javascript",
    "/static/dashboard/dashboard.css": "text/css",
}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


# --- Over plain HTTP ----------------------------------------------------------------------------


async def test_the_page_is_japanese_accessible_html_with_a_strict_policy(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/dashboard")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == DASHBOARD_CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert '<html lang="ja">' in html
    assert "<main" in html
    assert "<header" in html
    # Every input has its label; new arrivals are announced politely.
    for field in ("email", "password", "otp"):
        assert f'<label for="{field}">' in html
        assert f'id="{field}"' in html
    assert re.search(r'id="notices" role="log" aria-live="polite"', html)
    assert 'role="status"' in html
    # Nothing inline to run, nothing from elsewhere.
    assert "<script>" not in html
    assert "onclick" not in html
    assert "://" not in html


async def test_the_assets_are_served_with_revalidation(http: httpx.AsyncClient) -> None:
    for path, content_type in ASSETS.items():
        response = await http.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(content_type)
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content
        again = await http.get(path, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
    assert (await http.get("/static/dashboard/nothing.js")).status_code == 404
    assert (await http.get("/static/../app/web.py")).status_code == 404


@pytest.mark.slow
async def test_production_serves_the_dashboard_but_not_graphiql(tmp_path: Path) -> None:
    with smtp_server() as (_mails, smtp_port):
        env = service_env(
            tmp_path / "var",
            APP_ENV="production",
            BCRYPT_ROUNDS="12",
            MAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            METRICS_TOKEN="metrics-token-of-sufficient-length-0123456789",
        )
        run_app_ok(env, "migrate")
        process = UvicornProcess(env, tmp_path / "uvicorn.log")
        await asyncio.to_thread(process.__enter__)
        try:
            async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
                page = await http.get("/dashboard")
                script = await http.get("/static/dashboard/dashboard.js")
                graphiql = await http.get("/static/graphiql/graphiql.js")
        finally:
            await asyncio.to_thread(process.stop)

    assert page.status_code == 200
    assert page.headers["content-security-policy"] == DASHBOARD_CSP
    assert page.headers["strict-transport-security"] == HSTS
    assert script.status_code == 200
    assert graphiql.status_code == 404


ROOT = Path(__file__).resolve().parents[1]

OPERATION_NAME = re.compile(r"\b(?:query|mutation|subscription)\s+([A-Za-z_]\w*)")


def operation_names(path: Path) -> list[str]:
    return OPERATION_NAME.findall(path.read_text(encoding="utf-8"))


DASHBOARD_SOURCES = sorted((ROOT / "web" / "src" / "dashboard").glob("*.js"))


def test_the_dashboards_operation_names_are_its_own() -> None:
    """The server's log lines name the operation: a name of the dashboard's must not also be
    one of the guides', the README's, the third-party clients' or another page's."""
    names = [name for path in DASHBOARD_SOURCES for name in operation_names(path)]
    assert names
    assert len(set(names)) == len(names), names
    elsewhere = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    for folder in (ROOT / "clients", ROOT / "web" / "src"):
        elsewhere += [
            path
            for path in folder.rglob("*")
            if path.is_file() and "node_modules" not in path.parts and path not in DASHBOARD_SOURCES
        ]
    for path in elsewhere:
        assert not set(names) & set(operation_names(path)), path


# A GraphQL document of the scripts: `const NAME = `…`;`, where `${OTHER}` is another one.
DOCUMENT_CONSTANT = re.compile(r"(?:export\s+)?const\s+([A-Z_]+)\s*=\s*`([^`]*)`;")
INTERPOLATION = re.compile(r"\$\{([A-Z_]+)\}")


def dashboard_operations() -> dict[str, str]:
    """Every operation of the dashboard's scripts, by the constant that holds it."""
    constants = {
        name: text
        for path in DASHBOARD_SOURCES
        for name, text in DOCUMENT_CONSTANT.findall(path.read_text(encoding="utf-8"))
    }

    def expand(text: str) -> str:
        return INTERPOLATION.sub(lambda match: expand(constants[match.group(1)]), text)

    return {
        name: expand(text)
        for name, text in constants.items()
        if re.match(r"\s*(?:query|mutation|subscription)\b", text)
    }


def ids_left_out(schema: GraphQLSchema, document: str) -> list[str]:
    """The fields whose object has an `id` the selection does not ask for."""
    missing: list[str] = []
    type_info = TypeInfo(schema)

    class Check(Visitor):
        def enter_selection_set(self, node: SelectionSetNode, *args: Any) -> None:
            parent = type_info.get_parent_type()
            if isinstance(args[1], InlineFragmentNode) or not isinstance(parent, GraphQLObjectType):
                return
            # An interface (`node`) or union is looked at through its fragments' own types.
            if parent in (schema.query_type, schema.mutation_type, schema.subscription_type):
                return
            selected = {getattr(selection, "name", None) for selection in node.selections}
            if "id" in parent.fields and not any(n and n.value == "id" for n in selected):
                missing.append(get_named_type(parent).name)

    visit(parse(document), TypeInfoVisitor(type_info, Check()))
    return missing


def test_the_dashboards_operations_are_valid_named_and_select_every_id() -> None:
    """Each operation validates against `schema.graphql` (a field renamed in the API fails
    here, not in the employer's browser), is named, and asks for the `id` of every object
    that has one, so that a page updated from different answers recognises the same thing."""
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    operations = dashboard_operations()
    assert {"APPLICANT", "STATUS_UPDATE", "RESULT_REPORT", "REPORTS_DUE"} <= set(operations)
    for constant, document in operations.items():
        assert validate(schema, parse(document)) == [], constant
        assert re.match(r"\s*(?:query|mutation|subscription)\s+Dashboard\w+", document), constant
        assert ids_left_out(schema, document) == [], constant


# --- In the browser -----------------------------------------------------------------------------


async def send_message(client: GraphQLClient, application_id: str, body: str) -> None:
    data = await client.execute(SEND, {"input": {"applicationId": application_id, "body": body}})
    assert data["messageSend"]["errors"] == [], data


async def log_in(page: Page, server: Server) -> None:
    """The dashboard's login: the password, then the one-time password from the mail."""
    await page.goto(f"{server.url}/dashboard")
    mails = await flows.mail_count(server, EMAIL)
    await page.get_by_label("メールアドレス").fill(EMAIL)
    await page.get_by_label("パスワード", exact=True).fill(flows.EMPLOYER_PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    otp_field = page.get_by_label("ワンタイムパスワード")
    await expect(otp_field).to_be_visible()
    assert await flows.mail_count(server, EMAIL) == mails + 1
    await otp_field.fill(await flows.otp_from_mail(server, EMAIL))
    await page.get_by_role("button", name="確認").click()


async def test_an_employer_watches_messages_and_status_changes_arrive(
    server: Server, browser: Browser, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, new_client(), email=EMAIL)
    posting = await flows.active_posting(employer, staff)
    seeker = await new_seeker(server, new_client(), "seeker@example.jp")
    application = await seeker_flows.apply(seeker.client, posting["id"])
    await send_message(seeker.client, application["id"], "応募いたしました。よろしくお願いします。")

    async with watched_page(browser) as watched:
        page = watched.page
        await log_in(page, server)

        # The home figures.
        await expect(page.locator("#establishment-name")).to_have_text("ハローワークケア")
        await expect(page.locator("#office-name")).to_have_text("テスト13010公共職業安定所")
        await expect(page.locator("#unread-count")).to_have_text("1")
        general = page.get_by_role("row", name=re.compile("^一般"))
        await expect(general).to_contain_text("1 件")
        await expect(general).to_contain_text("2 人")

        # The posting's applicants.
        await page.get_by_role("button", name=re.compile(posting["postingNumber"])).click()
        applicants = page.locator("#applicants tr")
        await expect(applicants).to_have_count(1)
        await expect(applicants.first).to_contain_text("オンライン自主応募")
        await expect(applicants.first.locator(".status")).to_have_text("応募")

        # The thread, read on opening.
        await page.locator("#threads button").first.click()
        await expect(page.locator("#messages li")).to_have_count(1)
        await expect(page.locator("#messages")).to_contain_text("よろしくお願いします")
        await expect(page.locator("#unread-count")).to_have_text("0")

        await expect(page.locator("#live-state")).to_have_text("リアルタイム更新: 接続済み")
        await page.evaluate("window.stillTheSamePage = true")

        # A seeker's message arrives, live.
        await send_message(seeker.client, application["id"], "面接日程の候補をお送りします。")
        await expect(page.locator("#messages li")).to_have_count(2)
        await expect(page.locator("#messages li").last).to_contain_text("面接日程の候補")
        await expect(page.locator("#notices")).to_contain_text("新着メッセージ（求職者")
        await expect(page.locator("#notices")).to_contain_text("面接日程の候補をお送りします。")
        await expect(page.locator("#unread-count")).to_have_text("1")

        # A status change arrives, live.
        moved = await seeker_flows.move(employer, application["id"], "SCREENING")
        assert moved["errors"] == [], moved
        await expect(applicants.first.locator(".status")).to_have_text("書類選考")
        await expect(page.locator("#notices")).to_contain_text("応募 → 書類選考")

        assert await page.evaluate("window.stillTheSamePage") is True
        assert await assert_dates_in_era(page) > 0
        await screenshot(page, "dashboard")

    assert watched.foreign_requests() == []
    assert watched.console_errors == []


async def test_an_employer_sees_each_postings_check_and_opens_its_printed_kyujinhyo(
    server: Server, browser: Browser, new_client: Any
) -> None:
    """Every posting with its status, its check (errors and warnings spelt out, not by colour
    alone), the 本登録 due date while it is needed, and the link to its 求人票 PDF, which the
    page's session cookie fetches."""
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, new_client(), email=EMAIL)
    submitted = await flows.create_posting(employer, jobTitle="調理師")
    submitted = await flows.posting_step(employer, "postingSubmit", {"id": submitted["id"]})
    warned = await flows.create_posting(employer, jobTitle="介護福祉士", baseWageMax=500000)
    incomplete = await flows.create_posting(employer, jobTitle="")
    seen = {
        posting["id"]: (await employer.execute(POSTING, {"id": posting["id"]}))["node"]
        for posting in (submitted, warned, incomplete)
    }
    assert [w["code"] for w in seen[warned["id"]]["check"]["warnings"]] == ["WIDE_WAGE_RANGE"]
    assert seen[warned["id"]]["check"]["errors"] == []
    assert ("content.jobTitle", "REQUIRED") in [
        (e["field"], e["code"]) for e in seen[incomplete["id"]]["check"]["errors"]
    ]
    due = seen[submitted["id"]]["counterRegistration"]
    assert due is not None
    assert due["confirmedAt"] is None

    async with watched_page(browser) as watched:
        page = watched.page
        await log_in(page, server)
        section = page.get_by_role("region", name="求人の確認結果と求人票")
        await expect(section).to_be_visible()
        items = section.locator("#posting-checks > li")
        await expect(items).to_have_count(3)

        def item_of(posting: dict[str, Any]) -> Any:
            return section.locator(f'li[data-posting-id="{posting["id"]}"]')

        # The draft with a warning: in orange, and spelt 「警告」 for whoever cannot see it.
        card = item_of(warned)
        await expect(card.get_by_role("heading", name="介護福祉士")).to_be_visible()
        await expect(card).to_contain_text("状態：一時保存")
        await expect(card.locator(".check-summary")).to_contain_text("エラー 0 件 ・ 警告 1 件")
        messages = card.get_by_role("list", name="介護福祉士 のエラーと警告").get_by_role(
            "listitem"
        )
        warning = seen[warned["id"]]["check"]["warnings"][0]
        await expect(messages).to_have_text([f"警告：{warning['message']}"])
        colour = await card.locator(".check-warning .check-label").evaluate(
            "label => getComputedStyle(label).color"
        )
        assert colour == "rgb(160, 74, 0)"

        # The draft with missing items: every error, in red, in the form's order.
        card = item_of(incomplete)
        await expect(card.get_by_role("heading", name="（職種未入力）")).to_be_visible()
        errors = seen[incomplete["id"]]["check"]["errors"]
        warnings = seen[incomplete["id"]]["check"]["warnings"]
        await expect(card.locator(".check-summary")).to_contain_text(
            f"エラー {len(errors)} 件 ・ 警告 {len(warnings)} 件"
        )
        await expect(card.locator(".check-items li")).to_have_text(
            [f"エラー：{e['message']}" for e in errors]
            + [f"警告：{w['message']}" for w in warnings]
        )
        colour = await card.locator(".check-error .check-label").first.evaluate(
            "label => getComputedStyle(label).color"
        )
        assert colour == "rgb(176, 0, 32)"

        # The submission (仮登録) waits for 本登録 at the counter by its due date.
        card = item_of(submitted)
        await expect(card).to_contain_text("状態：仮登録")
        await expect(card.locator(".check-summary")).to_contain_text("エラー・警告はありません")
        await expect(card.locator(".counter-due")).to_contain_text(
            f"本登録の期限：{japanese_date(due['dueOn'])}"
        )
        await expect(card.locator(f'.counter-due time[datetime="{due["dueOn"]}"]')).to_have_count(1)
        await expect(item_of(warned).locator(".counter-due")).to_have_count(0)

        # Each printed 求人票: the posting's own path, fetched with the page's session cookie.
        for posting in (submitted, warned, incomplete):
            link = item_of(posting).get_by_role("link", name=re.compile("^求人票（PDF）"))
            url = seen[posting["id"]]["kyujinhyoPdfUrl"]
            assert await link.get_attribute("href") == url
            assert await link.get_attribute("target") == "_blank"
            response = await page.request.get(f"{server.url}{url}")
            assert response.status == 200, url
            assert response.headers["content-type"] == "application/pdf"
            assert (await response.body()).startswith(b"%PDF-")
        assert any(cookie["httpOnly"] for cookie in await page.context.cookies())

        # From the keyboard: the link opens the PDF in a new tab, the dashboard stays.
        link = item_of(warned).get_by_role("link", name=re.compile("^求人票（PDF）"))
        await link.focus()
        async with page.context.expect_page() as opened:
            await page.keyboard.press("Enter")
        pdf_tab = await opened.value
        assert pdf_tab.url == f"{server.url}{seen[warned['id']]['kyujinhyoPdfUrl']}"
        await pdf_tab.close()
        await screenshot(page, "dashboard-postings")

        # Corrected elsewhere, the check is read again on request and the update announced.
        await flows.posting_step(
            employer,
            "postingUpdate",
            {"id": incomplete["id"], "content": flows.posting_content(jobTitle="看護師")},
        )
        refresh = section.get_by_role("button", name="確認結果を更新")
        await refresh.focus()
        await page.keyboard.press("Enter")
        await expect(page.locator("#notices")).to_contain_text(
            "求人の確認結果を更新しました（3 件）"
        )
        await expect(refresh).to_be_focused()
        card = item_of(incomplete)
        await expect(card.get_by_role("heading", name="看護師")).to_be_visible()
        await expect(card.locator(".check-error")).to_have_count(0)

    assert watched.foreign_requests() == []
    assert watched.console_errors == []


# --- Working on applicants -----------------------------------------------------------------------

APPLICATION = """query ($id: ID!) {
  node(id: $id) {
    ... on Application {
      id status
      statusHistory { fromStatus toStatus reason }
      resultReport { result rejectionReason note }
      resultNotice { method notifiedAt }
    }
  }
}"""

LETTER = """query ($id: ID!) {
  node(id: $id) { ... on Application { id url: referralLetterPdfUrl } }
}"""

REFERRAL = """mutation ($input: ReferralCreateInput!) {
  referralCreate(input: $input) { application { id } errors { field code message } }
}"""


def tokyo_input(moment: dt.datetime) -> str:
    """`moment` as a datetime-local field takes it, in Tokyo."""
    return moment.astimezone(dt.timezone(dt.timedelta(hours=9))).strftime("%Y-%m-%dT%H:%M")


async def application_as_seen(employer: GraphQLClient, application_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await employer.execute(APPLICATION, {"id": application_id}))["node"]
    return node


async def test_an_employer_works_through_an_applicant_from_the_dashboard(
    server: Server, browser: Browser, new_client: Any
) -> None:
    """Who applied and why, the status moved (a refused move explained beside its form), an
    interview and a note, 不採用 reported to Hello Work and told by message; the reports due
    list follows, a new applicant included, live. Each step is checked in the API or the
    database too, and announced once in the お知らせ."""
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, new_client(), email=EMAIL)
    posting = await flows.active_posting(employer, staff)
    seeker = await new_seeker(server, new_client(), "hanako@example.jp", name="応募 花子")
    await seeker_flows.update_profile(
        seeker.client,
        nameKana="オウボ ハナコ",
        birthDate="1990-04-01",
        prefecture="東京都",
        city="文京区",
        phoneNumber="090-1111-2222",
    )
    motivation = "介護福祉士として5年の経験を活かしたく応募しました。"
    application = await seeker_flows.apply(seeker.client, posting["id"], motivation=motivation)
    application_id = application["id"]
    application_pk = decode_id(application_id, "Application", "id")
    resume = pdf("応募 花子の履歴書")
    document = await uploaded(seeker.client, application_id, resume, "履歴書.pdf")

    async with watched_page(browser) as watched:
        page = watched.page
        await log_in(page, server)
        notices = page.locator("#notices")

        # Reports due: the applicant, while the posting is valid.
        due = page.locator("#reports-due tr")
        await expect(due).to_have_count(1)
        await expect(due.first).to_contain_text("応募 花子")
        await expect(due.first).to_contain_text(posting["postingNumber"])
        await expect(due.first).to_contain_text("求人の有効中")

        # The applicant as Hello Work shows them, then in detail.
        await page.get_by_role("button", name=re.compile(posting["postingNumber"])).click()
        row = page.locator("#applicants tr")
        await expect(row).to_have_count(1)
        for text in ("応募 花子", "オウボ ハナコ", "36 歳", "東京都文京区", "090-1111-2222"):
            await expect(row).to_contain_text(text)
        await expect(row).to_contain_text("hanako@example.jp")
        await expect(row).not_to_contain_text("マイページなし")
        await row.get_by_role("button", name="応募 花子").click()
        detail = page.get_by_role("region", name=re.compile("^応募 花子"))
        await expect(page.locator("#applicant-title")).to_be_focused()
        await expect(page.locator("#applicant-title")).to_have_text("応募 花子（応募）")
        await expect(detail.locator("#applicant-motivation")).to_have_text(motivation)
        await expect(detail.locator("#applicant-history li")).to_have_text(
            [re.compile("応募（求職者）$")]
        )
        await expect(detail.locator("#applicant-walk-in")).to_be_hidden()

        # The résumé, downloaded from the keyboard with the page's session cookie.
        link = detail.get_by_role("link", name=re.compile("^履歴書：履歴書.pdf"))
        assert await link.get_attribute("href") == document["downloadUrl"]
        await link.focus()
        async with page.expect_download() as downloading:
            await page.keyboard.press("Enter")
        downloaded = await downloading.value
        assert await asyncio.to_thread(Path(await downloaded.path()).read_bytes) == resume

        # A 辞退 needs its reason: the service's message beside the form, nothing changed.
        await page.get_by_label("変更後の選考状況").select_option("WITHDRAWN")
        await page.get_by_role("button", name="選考状況を変更").click()
        await expect(page.locator("#status-form-errors")).to_contain_text(
            "辞退を記録する場合は、理由"
        )
        await expect(page.get_by_label("変更の理由（辞退の場合は必須）")).to_have_attribute(
            "aria-invalid", "true"
        )
        assert (await application_as_seen(employer, application_id))["status"] == "APPLIED"

        # 書類選考: the row, the history and the API.
        await expect(page.locator("#live-state")).to_have_text("リアルタイム更新: 接続済み")
        await page.get_by_label("変更後の選考状況").select_option("SCREENING")
        await page.get_by_role("button", name="選考状況を変更").click()
        await expect(notices).to_contain_text(
            "応募 花子 さんの選考状況を「書類選考」に変更しました"
        )
        await expect(page.locator("#status-form-errors")).to_have_text("")
        await expect(row.locator(".status")).to_have_text("書類選考")
        await expect(detail.locator("#applicant-history li").last).to_contain_text(
            "応募 → 書類選考（事業所）"
        )
        seen = await application_as_seen(employer, application_id)
        assert seen["status"] == "SCREENING"
        assert seen["statusHistory"][-1]["toStatus"] == "SCREENING"

        # An interview, from the keyboard: Enter in a field sends the form.
        starts_at = (server.clock.now() + dt.timedelta(days=7)).replace(
            hour=5, minute=0, second=0, microsecond=0
        )  # 14:00 in Tokyo
        await page.get_by_label("面接日時").fill(tokyo_input(starts_at))
        await page.get_by_label("所要時間（分）").fill("45")
        await page.get_by_label("応募者への連絡事項").fill("履歴書の原本をお持ちください。")
        place = page.get_by_label("会場", exact=True)
        await place.fill("本社 2階 面接室")
        await place.press("Enter")
        interviews = detail.locator("#interviews li")
        await expect(interviews).to_have_count(1)
        await expect(interviews.first).to_contain_text("から 45 分")
        await expect(interviews.first).to_contain_text("会場：本社 2階 面接室")
        await expect(notices).to_contain_text("応募者にメッセージで通知しました")
        await expect(place).to_be_focused()
        await expect(place).to_have_value("")
        interview = await Interview.get(application_id=application_pk)
        assert interview.starts_at == starts_at
        assert (interview.duration_minutes, interview.place) == (45, "本社 2階 面接室")

        # An internal note.
        await page.get_by_label("メモ", exact=True).fill("電話の受け答えが丁寧。")
        await page.get_by_role("button", name="メモを追加").click()
        await expect(detail.locator("#notes li")).to_have_count(1)
        await expect(detail.locator("#notes li").first).to_contain_text("電話の受け答えが丁寧。")
        await expect(notices).to_contain_text("応募 花子 さんの社内メモを追加しました")
        note = await ApplicationNote.get(application_id=application_pk)
        assert note.body == "電話の受け答えが丁寧。"

        # 不採用: decided, then reported to Hello Work with its reason; the reports due empty.
        await page.get_by_label("変更後の選考状況").select_option("REJECTED")
        await page.get_by_role("button", name="選考状況を変更").click()
        await expect(row.locator(".status")).to_have_text("不採用")
        await expect(page.get_by_label("選考結果", exact=True)).to_have_value("REJECTED")
        await page.get_by_label("不採用の理由").select_option("SKILLS")
        await page.get_by_label("記載事項").fill("夜勤の経験が要件に満たないため")
        await page.get_by_role("button", name="結果を報告").click()
        await expect(notices).to_contain_text("選考結果（不採用）をハローワークに報告しました")
        await expect(page.locator("#report-current")).to_contain_text(
            "報告済み：不採用 ・ 理由 必要な知識・技能・経験が不足"
        )
        await expect(due).to_have_count(0)
        await expect(page.locator("#reports-due-empty")).to_be_visible()
        stored = await Application.get(id=application_pk)
        assert stored.status is ApplicationStatus.REJECTED
        assert stored.reported_result is ReportedResult.REJECTED
        assert stored.rejection_reason is RejectionReason.SKILLS
        assert stored.result_note == "夜勤の経験が要件に満たないため"

        # Told by message (the applicant has a My Page).
        await expect(page.get_by_label("連絡方法")).to_have_value("MESSAGE")
        told = "選考の結果、今回は採用を見送らせていただくことになりました。"
        await page.get_by_label("応募者へのメッセージ").fill(told)
        await page.get_by_role("button", name="メッセージを送信").click()
        await expect(notices).to_contain_text("応募 花子 さんに結果をメッセージで連絡しました")
        await expect(page.locator("#notify-current")).to_contain_text("連絡済み：メッセージ")
        seen = await application_as_seen(employer, application_id)
        assert seen["resultReport"] == {
            "result": "REJECTED",
            "rejectionReason": "SKILLS",
            "note": "夜勤の経験が要件に満たないため",
        }
        assert seen["resultNotice"]["method"] == "MESSAGE"
        assert await Message.filter(
            body=told, thread__seeker_id=stored.seeker_id, sender=MessageSender.EMPLOYER
        ).exists()

        # A new applicant arrives: the reports due list grows without reload.
        other = await new_seeker(server, new_client(), "jiro@example.jp", name="応募 次郎")
        await seeker_flows.apply(other.client, posting["id"])
        await expect(due).to_have_count(1)
        await expect(due.first).to_contain_text("応募 次郎")
        await expect(row).to_have_count(2)
        await expect(row.first).to_contain_text("応募 次郎")
        await expect(page.locator("#applicants-caption")).to_contain_text("の応募者（2 人）")
        await expect(notices).to_contain_text(f"新しい応募（求人番号 {posting['postingNumber']}")
        # Each change made here was announced once: the live events that came back for them
        # (before this later one) were not announced again.
        announced = await notices.locator("li").all_inner_texts()
        assert not [text for text in announced if "→" in text or "面接の設定" in text], announced
        assert await assert_dates_in_era(page) > 0
        await screenshot(page, "dashboard-applicant")

    assert watched.foreign_requests() == []
    assert watched.console_errors == []


async def test_a_walk_in_is_hired_up_to_the_number_to_hire_and_the_posting_stopped(
    server: Server, browser: Browser, new_client: Any
) -> None:
    """A person referred at the counter without a My Page is marked so and cannot be told by
    message; hiring them reaches the number to hire, which asks whether to stop recruiting:
    the posting stops on the employer's word only."""
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, new_client(), email=EMAIL)
    posting = await flows.active_posting(employer, staff, numberToHire=1)
    referred = await seeker_flows.mutate(
        staff,
        REFERRAL,
        "referralCreate",
        {
            "postingId": posting["id"],
            "referralLetterNumber": "13010-2026-0100",
            "note": "電話連絡を希望",
            "walkIn": {
                "name": "窓口 三郎",
                "kana": "マドグチ サブロウ",
                "age": 52,
                "phone": "03-5555-0101",
            },
        },
    )
    assert referred["errors"] == [], referred
    application_id = referred["application"]["id"]

    async with watched_page(browser) as watched:
        page = watched.page
        await log_in(page, server)
        await page.get_by_role("button", name=re.compile(posting["postingNumber"])).click()
        row = page.locator("#applicants tr")
        await expect(row).to_contain_text("マイページなし（電話・メールで連絡）")
        await expect(row).to_contain_text("紹介")
        await row.get_by_role("button", name="窓口 三郎").click()
        await expect(page.locator("#applicant-walk-in")).to_have_text(
            "マイページなし（電話・メールで連絡）"
        )
        await expect(page.locator("#applicant-referral")).to_contain_text(
            "紹介状番号 13010-2026-0100"
        )
        letter = page.get_by_role("link", name=re.compile("^紹介状（PDF）"))
        url = await letter.get_attribute("href")
        assert url == (await employer.execute(LETTER, {"id": application_id}))["node"]["url"]
        response = await page.request.get(f"{server.url}{url}")
        assert response.status == 200
        assert (await response.body()).startswith(b"%PDF-")
        methods = page.get_by_label("連絡方法").locator("option")
        await expect(methods).to_have_text(["電話", "メール", "郵送", "面談"])

        # 採用: the number to hire is reached; the question, and the posting still active.
        await page.get_by_label("変更後の選考状況").select_option("HIRED")
        await page.get_by_role("button", name="選考状況を変更").click()
        question = page.get_by_role("form", name=re.compile("採用予定人数に達しました"))
        await expect(question).to_contain_text("採用予定人数に達しました。募集を停止しますか？")
        await expect(page.locator("#stop-question-text")).to_be_focused()
        await expect(page.locator("#notices")).to_contain_text("募集を停止しますか？")
        posting_pk = decode_id(posting["id"], "Posting", "id")
        assert (await Posting.get(id=posting_pk)).status is PostingStatus.ACTIVE

        await question.get_by_role("button", name="募集を停止する").click()
        await expect(page.locator("#notices")).to_contain_text(
            f"求人番号 {posting['postingNumber']} の募集を停止しました"
        )
        await expect(question).to_be_hidden()
        await expect(page.locator("#postings-empty")).to_be_visible()
        stopped = await Posting.get(id=posting_pk)
        assert stopped.status is PostingStatus.INVALID
        assert stopped.stop_reason == "採用予定人数に達したため"

        # Told by phone: recorded now.
        await page.get_by_label("連絡方法").select_option("PHONE")
        await expect(page.get_by_label("応募者へのメッセージ")).to_be_hidden()
        await page.get_by_role("button", name="連絡を記録").click()
        await expect(page.locator("#notify-current")).to_contain_text("連絡済み：電話")
        seen = await application_as_seen(employer, application_id)
        assert seen["status"] == "HIRED"
        assert seen["resultNotice"]["method"] == "PHONE"

    assert watched.foreign_requests() == []
    assert watched.console_errors == []


# --- Hello Work's notices ------------------------------------------------------------------------

NOTICE_PAGE_SIZE = 10  # as web/src/dashboard/notices.js pages them

NEWEST_NOTICE = """query {
  employerHome { unreadNoticeCount }
  helloWorkNotices(first: 1) {
    totalCount
    edges { node { id title body createdAt readAt posting { id postingNumber } } }
  }
}"""


async def test_hello_works_notices_arrive_live_page_and_are_read_on_opening(
    server: Server, browser: Browser, new_client: Any
) -> None:
    """ハローワークからのお知らせ: the newest ten, older ones on 「さらに表示」 (from the keyboard,
    the focus on the first one added), a due date spelt out; staff accepting the posting makes
    its notice appear at the top without reload, marked 「未読」 in words, counted and announced;
    opening it shows its body and posting and marks it read, in the API too. Then logging out
    returns to the login form."""
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, new_client(), email=EMAIL)
    establishment = await establishment_of(server, employer)
    due_on = (server.clock.now() + dt.timedelta(days=14)).astimezone(TOKYO).date()
    older = [
        await send_notice(
            server,
            establishment,
            "選考結果のご登録のお願い",
            kind=NoticeKind.RESULT_REPORT_DUE,
            due_on=due_on,
        )
    ]
    for n in range(1, NOTICE_PAGE_SIZE + 1):
        older.append(await send_notice(server, establishment, f"過去のお知らせ{n}"))
    assert (await mark_read(employer, [notice_id(notice) for notice in older]))["errors"] == []
    posting = await flows.create_posting(employer, jobTitle="介護職員")
    await flows.submit_and_register(employer, staff, posting["id"])
    before = await employer.execute(NEWEST_NOTICE)
    assert before["employerHome"]["unreadNoticeCount"] == 0
    assert before["helloWorkNotices"]["totalCount"] == NOTICE_PAGE_SIZE + 1

    async with watched_page(browser) as watched:
        page = watched.page
        await log_in(page, server)
        panel = page.get_by_role("region", name="ハローワークからのお知らせ")
        items = panel.locator("#hw-notices > li")
        count = page.locator("#notice-unread-count")

        # The newest ten, all read: no 「未読」 anywhere.
        await expect(items).to_have_count(NOTICE_PAGE_SIZE)
        await expect(items.first).to_contain_text(f"過去のお知らせ{NOTICE_PAGE_SIZE}")
        await expect(count).to_have_text("0")
        await expect(panel.get_by_text("未読", exact=True)).to_have_count(0)

        # 「さらに表示」 from the keyboard: the oldest, with its due date; the button gone.
        more = panel.get_by_role("button", name="さらに表示")
        await more.focus()
        await page.keyboard.press("Enter")
        await expect(items).to_have_count(NOTICE_PAGE_SIZE + 1)
        await expect(more).to_be_hidden()
        oldest = items.last
        await expect(oldest.locator("button")).to_be_focused()
        await expect(oldest).to_contain_text("選考結果のご登録のお願い")
        await expect(oldest.locator("button")).to_contain_text(
            f"期限 {japanese_date(due_on.isoformat())}"
        )
        await page.keyboard.press("Enter")
        await expect(oldest.locator("button")).to_have_attribute("aria-expanded", "true")
        await expect(oldest.locator(".hw-notice-detail")).to_contain_text(
            "選考結果のご登録のお願いの本文"
        )
        await expect(
            oldest.locator(f'.notice-due time[datetime="{due_on.isoformat()}"]')
        ).to_have_count(1)

        # Staff accept the posting: its notice arrives live, unread, counted and announced.
        await expect(page.locator("#live-state")).to_have_text("リアルタイム更新: 接続済み")
        await page.evaluate("window.stillTheSamePage = true")
        accepted = await flows.posting_step(staff, "postingAccept", {"id": posting["id"]})
        await expect(items).to_have_count(NOTICE_PAGE_SIZE + 2)
        await expect(count).to_have_text("1")
        seen = await employer.execute(NEWEST_NOTICE)
        notice = seen["helloWorkNotices"]["edges"][0]["node"]
        assert seen["employerHome"]["unreadNoticeCount"] == 1
        assert notice["posting"] == {
            "id": posting["id"],
            "postingNumber": accepted["postingNumber"],
        }
        assert notice["readAt"] is None
        newest = items.first
        await expect(newest).to_have_attribute("data-notice-id", notice["id"])
        await expect(newest.locator("button")).to_contain_text(notice["title"])
        await expect(newest.get_by_text("未読", exact=True)).to_be_visible()
        await expect(newest.locator(f'time[datetime="{notice["createdAt"]}"]')).to_have_count(1)
        await expect(page.locator("#notices")).to_contain_text(
            f"ハローワークからのお知らせ: {notice['title']}"
        )

        # Opened from the keyboard: the body and the posting; read here and in the API.
        await newest.locator("button").focus()
        await page.keyboard.press("Enter")
        detail = newest.locator(".hw-notice-detail")
        await expect(detail).to_be_visible()
        await expect(detail).to_contain_text(notice["body"].splitlines()[0])
        await expect(detail).to_contain_text(
            f"対象の求人：求人番号 {accepted['postingNumber']} 介護職員"
        )
        await expect(count).to_have_text("0")
        await expect(newest.get_by_text("未読", exact=True)).to_have_count(0)
        seen = await employer.execute(NEWEST_NOTICE)
        assert seen["employerHome"]["unreadNoticeCount"] == 0
        assert seen["helloWorkNotices"]["edges"][0]["node"]["readAt"] is not None
        assert await page.evaluate("window.stillTheSamePage") is True
        await screenshot(page, "dashboard-notices")

        # Logging out: back to the login form.
        await page.get_by_role("button", name="ログアウト").click()
        await expect(page.locator("#login-error")).to_have_text("ログアウトしました。")
        await expect(page.get_by_label("メールアドレス")).to_be_focused()
        await expect(page.locator("#dashboard")).to_be_hidden()
        # Logged out, the account bar (logout, live status) is not shown.
        await expect(page.locator("#account")).to_be_hidden()
        await expect(page.get_by_role("button", name="ログアウト")).to_be_hidden()

    assert watched.foreign_requests() == []
    assert watched.console_errors == []
