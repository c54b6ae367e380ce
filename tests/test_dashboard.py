"""The employer dashboard (`/dashboard`): the page, its assets and headers over plain HTTP, and
an employer using it in a real browser (Debian's chromium): log in with the mailed one-time
password, see the home figures, the applicants and the threads, and watch a seeker's message
and a status change arrive without reload; see each posting's check, its 本登録 due date and
its printed 求人票."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from app.middleware import DASHBOARD_CSP, HSTS
from tests import flows, seeker_flows
from tests.browser import chromium, screenshot, watched_page
from tests.conftest import GraphQLClient, Server, new_employer_of, new_seeker, new_staff
from tests.processes import UvicornProcess, run_app_ok, service_env, smtp_server

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


def test_the_dashboards_operation_names_are_its_own() -> None:
    """The server's log lines name the operation: a name of the dashboard's must not also be
    one of the guides', the README's, the third-party clients' or another page's."""
    dashboard = ROOT / "web" / "src" / "dashboard" / "dashboard.js"
    names = operation_names(dashboard)
    assert names
    assert len(set(names)) == len(names), names
    elsewhere = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    for folder in (ROOT / "clients", ROOT / "web" / "src"):
        elsewhere += [
            path
            for path in folder.rglob("*")
            if path.is_file() and "node_modules" not in path.parts and path != dashboard
        ]
    for path in elsewhere:
        assert not set(names) & set(operation_names(path)), path


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
        await screenshot(page, "dashboard")

    assert watched.foreign_requests() == []
    assert watched.console_errors == []


def japanese_date(day: str) -> str:
    date = dt.date.fromisoformat(day)
    return f"{date.year}年{date.month}月{date.day}日"


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
