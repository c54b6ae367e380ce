"""The counter's page for staff (`/counter`): the page, its assets and headers over plain HTTP,
its operations against the live schema, and staff using it in a real browser (Debian's
chromium): log in with the mailed one-time password, work the review queue oldest first, watch
a posting an employer submits arrive without reload and a colleague take it, open it as the
printed 求人票 shows it, confirm 本登録 and accept it, return one with its reason, from the
keyboard; and a session that ends sends the page back to its login."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_schema, parse, validate
from playwright.async_api import Browser, Page, WebSocketRoute, expect

from app.middleware import DASHBOARD_CSP
from app.models import Establishment, EstablishmentImage, Posting, PostingEvent
from app.models.counter import EstablishmentPreRegistration, PreRegistrationStatus
from app.models.establishments import ReviewStatus
from app.models.postings import PostingAction, PostingStatus
from app.schema import schema as live_schema
from app.schema.context import SESSION_COOKIE
from app.schema.nodes import decode_id
from tests import flows
from tests.browser import Watched, chromium, screenshot, watched_page
from tests.conftest import (
    STAFF_PASSWORD,
    GraphQLClient,
    Server,
    create_staff,
    new_employer_of,
    new_establishment,
    new_staff,
)
from tests.page_dates import assert_dates_in_era, japanese_date, japanese_time
from tests.test_dashboard import DOCUMENT_CONSTANT, INTERPOLATION, ids_left_out, operation_names
from tests.test_establishment_settings import update
from tests.test_images import png, uploaded
from tests.test_pre_registration import entered
from tests.test_staff_postings import ACCEPT_NOTE_REQUIRED, entered_and_submitted

EMAIL = "hr@care.example.jp"
STAFF_EMAIL = "madoguchi@example.jp"
COLLEAGUE_EMAIL = "douryou@example.jp"

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "web" / "src" / "counter").glob("*.js"))

ASSETS = {
    "/static/counter/counter.js": "text/javascript",
    "/static/counter/counter.css": "text/css",
}

POSTING = """query ($id: ID!) {
  node(id: $id) { ... on Posting { id status postingNumber returnReason kyujinhyoPdfUrl } }
}"""

SESSION_ENDED = "セッションが終了しました。もう一度ログインしてください。"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


# --- Over plain HTTP ----------------------------------------------------------------------------


async def test_the_page_is_japanese_accessible_html_with_the_dashboards_policy(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/counter")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == DASHBOARD_CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert '<html lang="ja">' in html
    for field in ("email", "password", "otp", "accept-note", "return-reason", "search"):
        assert f'<label for="{field}"' in html
        assert f'id="{field}"' in html
    assert re.search(r'id="notices" role="log" aria-live="polite"', html)
    assert 'id="live-state" role="status"' in html
    # Nothing inline to run or style, nothing from elsewhere.
    assert "<script>" not in html
    assert "<style" not in html
    assert " style=" not in html
    assert " on" + "click" not in html
    assert "://" not in html


async def test_the_assets_are_served_with_revalidation(http: httpx.AsyncClient) -> None:
    for path, content_type in ASSETS.items():
        response = await http.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(content_type)
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-content-type-options"] == "nosniff"
        again = await http.get(path, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
    assert (await http.get("/static/counter/nothing.js")).status_code == 404


def counter_operations() -> dict[str, str]:
    """Every operation of the page's scripts, by the constant that holds it."""
    constants = {
        name: text
        for path in SOURCES
        for name, text in DOCUMENT_CONSTANT.findall(path.read_text(encoding="utf-8"))
    }

    def expand(text: str) -> str:
        return INTERPOLATION.sub(lambda match: expand(constants[match.group(1)]), text)

    return {
        name: expand(text)
        for name, text in constants.items()
        if re.match(r"\s*(?:query|mutation|subscription)\b", text)
    }


def test_the_pages_operations_are_valid_named_and_select_every_id() -> None:
    """Each operation validates against the live schema, is named `Counter…` (the server's log
    lines tell the page's requests apart) and asks for the `id` of every object that has one."""
    schema = build_schema(live_schema.as_str())
    operations = counter_operations()
    assert {"LOGIN", "QUEUE", "QUEUE_CHANGED", "ITEM", "POSTING_ACCEPT", "SEARCH"} <= set(
        operations
    )
    for constant, document in operations.items():
        assert validate(schema, parse(document)) == [], constant
        assert re.match(r"\s*(?:query|mutation|subscription)\s+Counter\w+", document), constant
        assert ids_left_out(schema, document) == [], constant


def test_the_pages_operation_names_are_its_own() -> None:
    names = [name for path in SOURCES for name in operation_names(path)]
    assert names
    assert len(set(names)) == len(names), names
    elsewhere = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    for folder in (ROOT / "clients", ROOT / "web" / "src"):
        elsewhere += [
            path
            for path in folder.rglob("*")
            if path.is_file() and "node_modules" not in path.parts and path not in SOURCES
        ]
    for path in elsewhere:
        assert not set(names) & set(operation_names(path)), path


# --- In the browser -----------------------------------------------------------------------------


async def log_in(page: Page, server: Server, email: str) -> None:
    """The page's login: the password, then the one-time password from the mail; the queue
    takes the focus and the live updates connect."""
    await page.goto(f"{server.url}/counter")
    await page.get_by_label("メールアドレス").fill(email)
    await page.get_by_label("パスワード", exact=True).fill(STAFF_PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    otp_field = page.get_by_label("ワンタイムパスワード")
    await expect(otp_field).to_be_visible()
    await otp_field.fill(await flows.otp_from_mail(server, email))
    await page.get_by_role("button", name="確認").click()
    await expect(page.locator("#queue-title")).to_be_focused()
    await expect(page.locator("#live-state")).to_have_text("リアルタイム更新: 接続済み")


async def submitted(employer: GraphQLClient, job_title: str) -> dict[str, Any]:
    posting = await flows.create_posting(employer, jobTitle=job_title)
    return await flows.posting_step(employer, "postingSubmit", {"id": posting["id"]})


async def status_of(posting: dict[str, Any]) -> PostingStatus:
    return (await Posting.get(id=decode_id(posting["id"], "Posting", "id"))).status


def queue_rows(page: Page) -> Any:
    return page.locator("#queue > li")


def row_of(page: Page, posting: dict[str, Any]) -> Any:
    return page.locator(f'#queue > li[data-item-id="{posting["id"]}"]')


def assert_clean(*watched: Watched) -> None:
    for one in watched:
        assert one.foreign_requests() == []
        assert one.console_errors == []


@contextlib.asynccontextmanager
async def two_pages(browser: Browser) -> AsyncIterator[tuple[Watched, Watched]]:
    async with watched_page(browser) as first, watched_page(browser) as second:
        yield first, second


async def test_a_submission_arrives_live_is_accepted_and_leaves_a_colleagues_queue(
    server: Server, browser: Browser, new_client: Any
) -> None:
    staff_api = await new_staff(server, new_client())
    await create_staff(server, email=STAFF_EMAIL)
    await create_staff(server, email=COLLEAGUE_EMAIL)
    employer = await new_employer_of(server, staff_api, new_client(), email=EMAIL)
    waiting = await submitted(employer, "介護職員")

    async with two_pages(browser) as (mine, colleagues):
        page, other = mine.page, colleagues.page
        await log_in(page, server, STAFF_EMAIL)
        await log_in(other, server, COLLEAGUE_EMAIL)
        await expect(page.locator("#account-office")).to_have_text("テスト13010公共職業安定所")
        for shown in (page, other):
            await expect(queue_rows(shown)).to_have_count(1)
            await expect(row_of(shown, waiting)).to_contain_text("求人（新規の申込み）")
            await expect(row_of(shown, waiting)).to_contain_text("ハローワークケア")
            await expect(row_of(shown, waiting)).to_contain_text("介護職員")
            await expect(row_of(shown, waiting)).to_contain_text("待機開始")
        await page.evaluate("window.stillTheSamePage = true")

        # The employer submits: it arrives on both pages, after the older one, announced.
        posting = await submitted(employer, "調理師")
        announced = "新しい審査待ち: 求人（新規の申込み） ハローワークケア 調理師"
        for shown in (page, other):
            await expect(queue_rows(shown)).to_have_count(2)
            await expect(queue_rows(shown).last).to_have_attribute("data-item-id", posting["id"])
            await expect(shown.locator("#notices")).to_contain_text(announced)

        # The colleague has it open too.
        await row_of(other, posting).get_by_role("button").click()
        await expect(other.locator("#item-title")).to_be_focused()
        await expect(other.get_by_role("button", name="受理")).to_be_visible()

        # Opened: the posting as its 求人票 heads it, its PDF, its history.
        await row_of(page, posting).get_by_role("button").click()
        await expect(page.locator("#item-title")).to_be_focused()
        await expect(page.locator("#item-title")).to_have_text(
            "求人（新規の申込み） ハローワークケア 調理師"
        )
        sections = page.locator(".form-section h4")
        await expect(sections).to_have_text(
            [
                "1　求人区分等",
                "2　事業所情報",
                "3　仕事内容",
                "4　賃金・手当",
                "5　労働時間",
                "6　保険・年金・定年等",
                "7　求人PR",
                "8　選考方法",
            ]
        )
        job = page.get_by_role("region", name="3　仕事内容")
        await expect(job.locator("dt", has_text="職種")).to_have_count(1)
        await expect(job).to_contain_text("調理師")
        await expect(page.get_by_role("region", name="2　事業所情報")).to_contain_text(
            "〒112-8577 東京都文京区後楽1-9-20"
        )
        seen = (await staff_api.execute(POSTING, {"id": posting["id"]}))["node"]
        link = page.get_by_role("link", name=re.compile("^求人票（PDF）"))
        assert await link.get_attribute("href") == seen["kyujinhyoPdfUrl"]
        response = await page.request.get(f"{server.url}{seen['kyujinhyoPdfUrl']}")
        assert response.status == 200
        assert (await response.body()).startswith(b"%PDF-")
        await expect(page.locator(".history li")).to_contain_text(["申込み（仮登録）（事業所）"])

        # Days and moments in the era, as the dashboard writes them; <time> keeps the ISO value.
        submitted_at = page.locator(f'#item-panel time[datetime="{posting["submittedAt"]}"]')
        await expect(submitted_at.first).to_have_text(japanese_time(posting["submittedAt"]))
        due_on = posting["counterRegistration"]["dueOn"]
        await expect(page.locator(f'#counter-due time[datetime="{due_on}"]')).to_have_text(
            japanese_date(due_on)
        )
        assert await assert_dates_in_era(page) > 2
        assert await assert_dates_in_era(other) > 1

        # Its first posting needs 本登録 first: the refusal in Japanese beside the form.
        await expect(page.locator("#counter-due")).to_contain_text("本登録が必要です")
        await page.get_by_role("button", name="受理").click()
        await expect(page.locator("#accept-errors")).to_contain_text("本登録")
        assert await status_of(posting) is PostingStatus.SUBMITTED
        await page.get_by_role("button", name="本登録を確認（窓口で確認済み）").click()
        await expect(page.locator("#notices")).to_contain_text("本登録を確認しました: ")
        await expect(page.locator("#counter-confirm-form")).to_be_hidden()

        # 受理: gone from the list, announced, the focus back in the list; active in the API.
        await page.get_by_label("確認メモ（任意）").fill("電話で確認済み")
        await page.get_by_role("button", name="受理").click()
        await expect(page.locator("#notices")).to_contain_text(
            "受理しました: 求人（新規の申込み） ハローワークケア 調理師"
        )
        await expect(queue_rows(page)).to_have_count(1)
        await expect(page.locator("#item-panel")).to_be_hidden()
        await expect(row_of(page, waiting).get_by_role("button")).to_be_focused()
        seen = (await staff_api.execute(POSTING, {"id": posting["id"]}))["node"]
        assert seen["status"] == "ACTIVE"
        assert seen["postingNumber"]
        # Its own TAKEN event came back: not announced as a colleague's.
        await expect(page.locator("#notices")).not_to_contain_text("他の職員が処理しました")

        # The colleague's page: gone from the list, their open item says so, announced.
        await expect(queue_rows(other)).to_have_count(1)
        await expect(other.locator("#item-gone")).to_have_text("この項目は他の職員が処理しました。")
        await expect(other.locator("#item-actions")).to_be_hidden()
        await expect(other.locator("#notices")).to_contain_text(
            "他の職員が処理しました: 求人（新規の申込み） ハローワークケア 調理師"
        )

        assert await page.evaluate("window.stillTheSamePage") is True
        await screenshot(page, "counter")
        await screenshot(other, "counter-colleague")

    assert_clean(mine, colleagues)


async def test_after_a_lost_connection_the_queue_resumes_from_its_last_event(
    server: Server, browser: Browser, new_client: Any
) -> None:
    """The connection lost (closed 1013, try again later) while a posting is submitted: on
    reconnecting the page resumes after the last event it had, so the posting submitted meanwhile
    arrives, and the one before is not delivered (nor announced) twice."""
    staff_api = await new_staff(server, new_client())
    await create_staff(server, email=STAFF_EMAIL)
    employer = await new_employer_of(server, staff_api, new_client(), email=EMAIL)
    connections: list[WebSocketRoute] = []
    away = asyncio.Event()

    async def through(socket: WebSocketRoute) -> None:
        if away.is_set():
            await socket.close(code=1013, reason="away")
            return
        socket.connect_to_server()
        connections.append(socket)

    async with watched_page(browser) as watched:
        page = watched.page
        await page.route_web_socket(re.compile(r"/graphql$"), through)
        await log_in(page, server, STAFF_EMAIL)
        notices = page.locator("#notices li")

        before = await submitted(employer, "調理師")
        await expect(row_of(page, before)).to_have_count(1)
        await expect(notices).to_have_count(1)

        away.set()
        await connections[-1].close(code=1013, reason="away")
        await expect(page.locator("#live-state")).not_to_have_text("リアルタイム更新: 接続済み")
        meanwhile = await submitted(employer, "介護職員")
        away.clear()

        await expect(row_of(page, meanwhile)).to_have_count(1, timeout=20_000)
        await expect(page.locator("#live-state")).to_have_text("リアルタイム更新: 接続済み")
        await expect(notices).to_have_count(2)
        texts = await notices.all_inner_texts()
        assert sum("調理師" in text for text in texts) == 1, texts
        assert sum("介護職員" in text for text in texts) == 1, texts
        assert len(connections) >= 2
        await expect(queue_rows(page)).to_have_count(2)

    assert watched.foreign_requests() == []


async def test_a_posting_staff_entered_is_accepted_with_its_note(
    server: Server, browser: Browser, new_client: Any
) -> None:
    """A posting entered from a paper 求人申込書 says so, and its 受理 needs the 確認メモ: the
    service's refusal beside the field, then accepted with it, the note in its history."""
    staff_api = await new_staff(server, new_client())
    await create_staff(server, email=STAFF_EMAIL)
    counter = await new_establishment(server, staff_api)
    posting = await entered_and_submitted(staff_api, counter, jobTitle="清掃スタッフ")

    async with watched_page(browser) as watched:
        page = watched.page
        await log_in(page, server, STAFF_EMAIL)
        await row_of(page, posting).get_by_role("button").click()
        await expect(page.locator(".entered-by-staff")).to_contain_text(
            "職員が求人申込書から入力した求人です"
        )
        note = page.get_by_label("確認メモ（必須：職員が入力した求人）")
        await expect(note).to_have_attribute("aria-required", "true")
        if await page.locator("#counter-confirm-form").is_visible():
            await page.get_by_role("button", name="本登録を確認（窓口で確認済み）").click()
            await expect(page.locator("#counter-confirm-form")).to_be_hidden()

        await page.get_by_role("button", name="受理").click()
        await expect(page.locator("#accept-errors")).to_have_text(ACCEPT_NOTE_REQUIRED)
        await expect(note).to_have_attribute("aria-invalid", "true")
        await expect(note).to_be_focused()
        assert await status_of(posting) is PostingStatus.SUBMITTED

        await note.fill("求人申込書の原本と照合済み")
        await page.get_by_role("button", name="受理").click()
        await expect(page.locator("#notices")).to_contain_text(
            re.compile(
                "受理しました: 求人（新規の申込み） ハローワークケア 清掃スタッフ（求人番号 "
            )
        )
        await expect(page.locator("#queue-empty")).to_be_visible()
        assert await status_of(posting) is PostingStatus.ACTIVE
        history = await PostingEvent.filter(action=PostingAction.ACCEPTED).values_list(
            "reason", flat=True
        )
        assert history == ["求人申込書の原本と照合済み"]

    assert_clean(watched)


async def tab_to(page: Page, selector: str, most: int = 40) -> None:
    """Press Tab until the element `selector` has the focus (at most `most` times)."""
    target = page.locator(selector)
    for _ in range(most):
        if await target.evaluate("element => element === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"{selector} not reached with Tab")


async def test_the_queue_is_worked_from_the_keyboard(
    server: Server, browser: Browser, new_client: Any
) -> None:
    """Tab reaches every item and action, Enter opens and sends; さらに表示 reads the next
    page; a 修正依頼 without its reason is refused in Japanese and nothing changes."""
    staff_api = await new_staff(server, new_client())
    await create_staff(server, email=STAFF_EMAIL)
    employer = await new_employer_of(server, staff_api, new_client(), email=EMAIL)
    postings = [await submitted(employer, f"職種{number:02d}") for number in range(21)]

    async with watched_page(browser) as watched:
        page = watched.page
        await log_in(page, server, STAFF_EMAIL)
        await expect(queue_rows(page)).to_have_count(20)
        await expect(queue_rows(page).first).to_contain_text("職種00")

        # さらに表示: the 21st, which takes the focus.
        await tab_to(page, "#queue-more")
        await page.keyboard.press("Enter")
        await expect(queue_rows(page)).to_have_count(21)
        await expect(page.locator("#queue-more")).to_be_hidden()
        await expect(row_of(page, postings[20]).get_by_role("button")).to_be_focused()

        # The oldest, opened with Enter.
        await page.locator("#queue-title").focus()
        await page.keyboard.press("Tab")
        first = row_of(page, postings[0]).get_by_role("button")
        await expect(first).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(page.locator("#item-title")).to_be_focused()
        await expect(page.locator("#item-title")).to_contain_text("職種00")
        await expect(first).to_have_attribute("aria-pressed", "true")

        # 修正依頼 without a reason: the service's message, the field marked, nothing changed.
        await tab_to(page, "#return-button")
        await page.keyboard.press("Enter")
        reason = page.get_by_label("修正依頼の理由（必須）")
        await expect(page.locator("#return-errors")).not_to_be_empty()
        await expect(reason).to_have_attribute("aria-invalid", "true")
        await expect(reason).to_be_focused()
        assert await status_of(postings[0]) is PostingStatus.SUBMITTED

        # With the reason: returned, announced, the focus on the next item.
        await page.keyboard.type("就業時間を具体的に記入してください。")
        await page.keyboard.press("Tab")
        await expect(page.locator("#return-button")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(page.locator("#notices")).to_contain_text("修正依頼しました: ")
        await expect(queue_rows(page)).to_have_count(20)
        await expect(row_of(page, postings[1]).get_by_role("button")).to_be_focused()
        seen = (await staff_api.execute(POSTING, {"id": postings[0]["id"]}))["node"]
        assert seen["status"] == "RETURNED"
        assert seen["returnReason"] == "就業時間を具体的に記入してください。"

        # The search form, from the keyboard too: an empty search is explained.
        await tab_to(page, "#search")
        await page.keyboard.press("Enter")
        await expect(page.locator("#search-errors")).to_contain_text("入力してください")

    assert_clean(watched)


async def test_an_ended_session_sends_the_page_back_to_its_login(
    server: Server, browser: Browser, new_client: Any
) -> None:
    staff_api = await new_staff(server, new_client())
    await create_staff(server, email=STAFF_EMAIL)
    employer = await new_employer_of(server, staff_api, new_client(), email=EMAIL)
    posting = await submitted(employer, "調理師")

    async with watched_page(browser) as watched:
        page = watched.page
        await log_in(page, server, STAFF_EMAIL)
        await expect(row_of(page, posting)).to_have_count(1)

        # Logged out elsewhere (the same session): the service closes the live connection
        # (or the next request finds the session gone), and the page shows its login.
        token = next(
            cookie["value"]
            for cookie in await page.context.cookies()
            if cookie["name"] == SESSION_COOKIE
        )
        elsewhere = new_client()
        elsewhere.token = token
        assert (await elsewhere.execute("mutation { logout { errors { code } } }"))["logout"][
            "errors"
        ] == []
        await expect(page.locator("#login-error")).to_have_text(SESSION_ENDED)
        await expect(page.get_by_label("メールアドレス")).to_be_focused()
        await expect(page.locator("#counter")).to_be_hidden()
        await expect(page.locator("#live-state")).to_have_text("リアルタイム更新: 未接続")

        # Back in, then out with the button.
        await log_in(page, server, STAFF_EMAIL)
        await page.get_by_role("button", name="ログアウト").click()
        await expect(page.locator("#login-error")).to_have_text("ログアウトしました。")
        await page.reload()
        await expect(page.get_by_label("メールアドレス")).to_be_visible()
        await expect(page.locator("#counter")).to_be_hidden()

    # Only the refused request of the ended session complains (as a console error of the 401
    # Chromium logs, if any); nothing left the machine.
    assert watched.foreign_requests() == []


async def test_images_profile_changes_and_pre_registrations_are_settled_and_establishments_found(
    server: Server, browser: Browser, new_client: Any
) -> None:
    """Each kind of item with its own words: an image 差戻し with its reason, a profile change
    承認 (what it changes side by side), a pre-registration 本登録 (its new number announced);
    then 事業所を探す finds the establishments of the office."""
    staff_api = await new_staff(server, new_client())
    await create_staff(server, email=STAFF_EMAIL)
    employer = await new_employer_of(server, staff_api, new_client(), email=EMAIL)
    image = await uploaded(employer, png(), "gaikan.png", caption="施設の外観")
    changed = await update(employer, name="ハローワークケア本社")
    assert changed["errors"] == [], changed
    await entered(server, new_client())

    async with watched_page(browser) as watched:
        page = watched.page
        await log_in(page, server, STAFF_EMAIL)
        # Waiting since the same moment: in the queue's order of kinds.
        await expect(queue_rows(page).locator(".kind")).to_have_text(
            ["画像", "事業所情報の変更", "事業所の仮登録"]
        )

        # The image: 差戻し needs its reason.
        await queue_rows(page).first.get_by_role("button").click()
        await expect(page.locator("#item-body")).to_contain_text("施設の外観")
        await expect(page.locator("#item-body")).to_contain_text("16 × 8 ピクセル")
        await page.get_by_role("button", name="差戻し").click()
        await expect(page.locator("#return-errors")).not_to_be_empty()
        assert (
            await EstablishmentImage.get(id=decode_id(image["id"], "EstablishmentImage", "id"))
        ).status is ReviewStatus.PENDING
        await page.get_by_label("差戻しの理由（必須）").fill("人物が写っているため")
        await page.get_by_role("button", name="差戻し").click()
        await expect(page.locator("#notices")).to_contain_text(
            "差戻ししました: 画像 ハローワークケア 施設の外観"
        )
        stored = await EstablishmentImage.get(id=decode_id(image["id"], "EstablishmentImage", "id"))
        assert stored.status is ReviewStatus.REJECTED

        # The profile change, opened from the keyboard: the focus is on it now.
        change_button = queue_rows(page).first.get_by_role("button")
        await expect(change_button).to_be_focused()
        await page.keyboard.press("Enter")
        row = page.get_by_role("row", name="事業所名 ハローワークケア ハローワークケア本社")
        await expect(row).to_be_visible()
        await page.get_by_role("button", name="承認").click()
        await expect(page.locator("#notices")).to_contain_text("承認しました: 事業所情報の変更")
        assert await Establishment.filter(name="ハローワークケア本社").exists()

        # The pre-registration: 本登録, with what was checked.
        await page.keyboard.press("Enter")
        await expect(page.locator("#item-body")).to_contain_text("株式会社しんき製作所")
        await expect(page.locator("#item-body")).to_contain_text(
            "〒101-0051 東京都千代田区神田神保町1-1"
        )
        await page.get_by_label("確認した内容（電話で確認した相手など）").fill("代表電話で確認済み")
        await page.get_by_role("button", name="本登録").click()
        await expect(page.locator("#notices")).to_contain_text(
            re.compile(
                "本登録しました: 事業所の仮登録 株式会社しんき製作所 受付番号 .*"
                "（事業所番号 \\d{4}-\\d{6}-\\d）"
            )
        )
        [entry] = await EstablishmentPreRegistration.all()
        assert entry.status is PreRegistrationStatus.CONFIRMED
        assert entry.review_note == "代表電話で確認済み"
        await expect(page.locator("#queue-empty")).to_be_visible()
        await expect(page.locator("#queue-title")).to_be_focused()

        # 事業所を探す: by kana (in hiragana), then by phone.
        await page.get_by_label("事業所番号・名称・フリガナ・電話番号").fill("しんき")
        await page.get_by_role("button", name="検索").click()
        results = page.locator("#search-results tr")
        await expect(results).to_have_count(1)
        await expect(results.first).to_contain_text("株式会社しんき製作所")
        await expect(page.locator("#search-summary")).to_have_text("「しんき」の検索結果：1 件")
        await page.get_by_label("事業所番号・名称・フリガナ・電話番号").fill("03-3812-0001")
        await page.get_by_role("button", name="検索").click()
        await expect(results).to_have_count(1)
        await expect(results.first).to_contain_text("ハローワークケア本社")
        await expect(results.first).to_contain_text("1301-123456-7")
        await page.get_by_label("事業所番号・名称・フリガナ・電話番号").fill("該当なし")
        await page.get_by_role("button", name="検索").click()
        await expect(page.locator("#search-summary")).to_have_text(
            "「該当なし」に当てはまる事業所はありません。"
        )
        await expect(page.locator("#search-table")).to_be_hidden()
        await screenshot(page, "counter-search")

    assert_clean(watched)
