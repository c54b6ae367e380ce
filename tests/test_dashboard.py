"""The employer dashboard (`/dashboard`): the page, its assets and headers over plain HTTP, and
an employer using it in a real browser (Debian's chromium): log in with the mailed one-time
password, see the home figures, the applicants and the threads, and watch a seeker's message
and a status change arrive without reload."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from app.middleware import DASHBOARD_CSP, HSTS
from tests import flows, seeker_flows
from tests.browser import chromium, screenshot, watched_page
from tests.conftest import GraphQLClient, Server, new_employer_of, new_seeker, new_staff
from tests.processes import UvicornProcess, run_app_ok, service_env, smtp_server

EMAIL = "hr@care.example.jp"

SEND = """mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { id body } errors { field code message } }
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


# --- In the browser -----------------------------------------------------------------------------


async def send_message(client: GraphQLClient, application_id: str, body: str) -> None:
    data = await client.execute(SEND, {"input": {"applicationId": application_id, "body": body}})
    assert data["messageSend"]["errors"] == [], data


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
        await page.goto(f"{server.url}/dashboard")

        # Log in: the password, then the one-time password from the mail.
        mails = await flows.mail_count(server, EMAIL)
        await page.get_by_label("メールアドレス").fill(EMAIL)
        await page.get_by_label("パスワード", exact=True).fill(flows.EMPLOYER_PASSWORD)
        await page.get_by_role("button", name="ログイン").click()
        otp_field = page.get_by_label("ワンタイムパスワード")
        await expect(otp_field).to_be_visible()
        assert await flows.mail_count(server, EMAIL) == mails + 1
        await otp_field.fill(await flows.otp_from_mail(server, EMAIL))
        await page.get_by_role("button", name="確認").click()

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
