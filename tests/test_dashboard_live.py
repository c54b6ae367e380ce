"""The employer dashboard acting live, at a desktop's and a phone's width (issue 17): a new
application counted in the postings list and the applicants' caption without reload; every day
and moment in the Japanese era; nothing wider than a phone's screen, the applicants table
included; a posting staff accept appearing among the active ones without reload; a message
thread read page by page, replied to (coded errors in Japanese, read marks) and receiving a
seeker's message live. Screenshots of each step go to `artifacts/`."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, expect

from app.models import Message
from app.models.messages import MessageSender
from app.schema.nodes import decode_id
from tests import flows, seeker_flows
from tests.browser import Watched, chromium, screenshot
from tests.conftest import GraphQLClient, Server, new_employer_of, new_seeker, new_staff
from tests.page_dates import assert_dates_in_era, japanese_date, japanese_time
from tests.test_dashboard import EMAIL, log_in

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}

SEND = """mutation ($input: MessageSendInput!) {
  messageSend(input: $input) {
    message { id body createdAt thread { id } }
    errors { field code message }
  }
}"""

CREATED = """query ($id: ID!) { node(id: $id) { id ... on Application { createdAt } } }"""

HISTORY = 23
"""Messages in the thread before the page opens: a page of 20 and 3 older ones."""

PAGE_SIZE = 20  # as web/src/dashboard/threads.js pages a thread


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


@contextlib.asynccontextmanager
async def sized_page(browser: Browser, size: str) -> AsyncIterator[Watched]:
    """As `tests.browser.watched_page`, in a window of `VIEWPORTS[size]` (a phone: touch, and
    the page's own `width=device-width`)."""
    context = await browser.new_context(
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        viewport=VIEWPORTS[size],
        is_mobile=size == "phone",
        has_touch=size == "phone",
    )
    page = await context.new_page()
    watched = Watched(page)

    def on_request(request: Request) -> None:
        watched.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.console_errors.append(message.text)

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.console_errors.append(str(error)))
    try:
        yield watched
    finally:
        await context.close()


async def no_sideways_scroll(page: Page) -> None:
    """The page is no wider than the window: nothing to scroll sideways."""
    widths = await page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]"
    )
    assert widths[0] <= widths[1], widths
    assert widths[2] <= widths[1], widths


async def send(client: GraphQLClient, application_id: str, body: str) -> dict[str, Any]:
    data = await client.execute(SEND, {"input": {"applicationId": application_id, "body": body}})
    assert data["messageSend"]["errors"] == [], data
    message: dict[str, Any] = data["messageSend"]["message"]
    return message


@pytest.mark.parametrize("size", list(VIEWPORTS))
async def test_the_dashboard_follows_applications_postings_and_a_thread_live(
    server: Server, browser: Browser, new_client: Any, size: str
) -> None:
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, new_client(), email=EMAIL)
    applied_to = await flows.active_posting(employer, staff, jobTitle="介護職員")
    quiet = await flows.active_posting(employer, staff, jobTitle="調理補助")
    waiting = await flows.create_posting(employer, jobTitle="看護師")
    await flows.submit_and_register(employer, staff, waiting["id"])
    seeker = await new_seeker(
        server,
        new_client(),
        "a.rather.long.mail.address.of.a.seeker.who.applied@example.jp",
        name="応募 花子",
    )
    application = await seeker_flows.apply(seeker.client, applied_to["id"])
    # A history of 23 messages a minute apart, the seeker's last one unread.
    history = []
    for n in range(1, HISTORY + 1):
        server.clock.advance(minutes=1)
        writer = employer if n % 3 == 0 else seeker.client
        history.append(await send(writer, application["id"], f"メッセージ{n}番"))
    thread_pk = decode_id(history[0]["thread"]["id"], "MessageThread", "id")
    other = await new_seeker(server, new_client(), "jiro@example.jp", name="応募 次郎")

    async with sized_page(browser, size) as watched:
        page = watched.page
        await log_in(page, server)
        await expect(page.locator("#live-state")).to_have_text("リアルタイム更新: 接続済み")
        await page.evaluate("window.stillTheSamePage = true")

        # Each active posting with its applicants counted.
        postings = page.locator("#postings")
        quiet_item = postings.locator(f'li[data-posting-id="{quiet["id"]}"]')
        applied_item = postings.locator(f'li[data-posting-id="{applied_to["id"]}"]')
        await expect(applied_item.locator(".applicant-count")).to_have_text("応募者 1 人")
        await expect(quiet_item.locator(".applicant-count")).to_have_text("応募者 0 人")
        # Days in the era: the referral deadline, in a <time> that keeps the ISO day.
        deadline = quiet["referralDeadline"]
        await expect(quiet_item.locator(f'time[datetime="{deadline}"]')).to_have_text(
            japanese_date(deadline)
        )
        assert await assert_dates_in_era(page) > 5
        await no_sideways_scroll(page)
        await screenshot(page, f"dashboard-home-{size}")

        # --- A live application: counted in the caption and the list, without reload.
        await quiet_item.get_by_role("button").click()
        caption = page.locator("#applicants-caption")
        await expect(caption).to_have_text(
            f"求人番号 {quiet['postingNumber']} 調理補助 の応募者（0 人）"
        )
        second = await seeker_flows.apply(other.client, quiet["id"])
        await expect(caption).to_have_text(
            f"求人番号 {quiet['postingNumber']} 調理補助 の応募者（1 人）"
        )
        await expect(quiet_item.locator(".applicant-count")).to_have_text("応募者 1 人")
        row = page.locator(f'#applicants tr[data-application-id="{second["id"]}"]')
        await expect(row).to_contain_text("応募 次郎")
        await expect(page.locator("#notices")).to_contain_text(
            f"新しい応募（求人番号 {quiet['postingNumber']}"
        )
        # Its moment as the API gives it, in the era.
        created = (await employer.execute(CREATED, {"id": second["id"]}))["node"]["createdAt"]
        await expect(row.locator(f'time[datetime="{created}"]')).to_have_text(
            japanese_time(created)
        )

        # --- The applicants table on a phone: stacked, nothing to scroll sideways.
        await applied_item.get_by_role("button").click()
        table = page.locator("#applicants tr")
        await expect(table).to_have_count(1)
        await expect(table.first).to_contain_text("a.rather.long.mail.address")
        await no_sideways_scroll(page)
        await table.first.get_by_role("button", name="応募 花子").click()
        await expect(page.locator("#applicant-title")).to_be_focused()
        await no_sideways_scroll(page)
        assert await assert_dates_in_era(page) > 5
        await screenshot(page, f"dashboard-applicants-{size}")

        # --- Staff accept the posting that waited: it joins the active ones, live.
        checks = page.locator(f'#posting-checks li[data-posting-id="{waiting["id"]}"]')
        await expect(checks).to_contain_text("状態：仮登録")
        await expect(postings.locator(f'li[data-posting-id="{waiting["id"]}"]')).to_have_count(0)
        accepted = await flows.posting_step(staff, "postingAccept", {"id": waiting["id"]})
        joined = postings.locator(f'li[data-posting-id="{waiting["id"]}"]')
        await expect(joined).to_contain_text(f"{accepted['postingNumber']} 看護師")
        await expect(joined.locator(".applicant-count")).to_have_text("応募者 0 人")
        await expect(checks).to_contain_text("状態：受理")
        await expect(checks).to_contain_text(f"求人番号 {accepted['postingNumber']}")
        await expect(page.locator("#notice-unread-count")).not_to_have_text("0")
        general = page.get_by_role("row", name=re.compile("^一般"))
        await expect(general).to_contain_text("3 件")
        await no_sideways_scroll(page)
        await screenshot(page, f"dashboard-accepted-{size}")

        # --- The thread: the newest 20 oldest first, with sender, time and read state.
        thread_button = page.locator("#threads button").first
        await expect(thread_button).to_contain_text("未読")
        await thread_button.focus()
        await page.keyboard.press("Enter")
        await expect(page.locator("#thread-title")).to_be_focused()
        messages = page.locator("#messages > li")
        await expect(messages).to_have_count(PAGE_SIZE)
        await expect(messages.first.locator(".body")).to_have_text(
            f"メッセージ{HISTORY - PAGE_SIZE + 1}番"
        )
        await expect(messages.last.locator(".body")).to_have_text(f"メッセージ{HISTORY}番")
        newest = history[-1]
        await expect(messages.last.locator(".meta")).to_have_text(
            f"求職者 ・ {japanese_time(newest['createdAt'])} ・ 既読"
        )
        # The employer's own message: whether the seeker read it.
        await expect(
            page.locator(f'#messages li[data-message-id="{history[20]["id"]}"] .meta')
        ).to_have_text(f"事業所 ・ {japanese_time(history[20]['createdAt'])} ・ 相手は未読")
        await expect(page.locator("#unread-count")).to_have_text("0")
        assert not await Message.filter(
            thread_id=thread_pk, sender=MessageSender.SEEKER, read_at__isnull=True
        ).exists()

        # Older ones from the keyboard: the 3 before, above; the button gone.
        older = page.get_by_role("button", name="以前のメッセージを表示")
        await older.focus()
        await page.keyboard.press("Enter")
        await expect(messages).to_have_count(HISTORY)
        await expect(older).to_be_hidden()
        await expect(messages.first.locator(".body")).to_have_text("メッセージ1番")
        await expect(messages.nth(2)).to_be_focused()
        await expect(page.locator("#notices")).to_contain_text(
            "以前のメッセージを 3 件表示しました"
        )
        bodies = await messages.locator(".body").all_inner_texts()
        assert bodies == [f"メッセージ{n}番" for n in range(1, HISTORY + 1)]

        # A reply refused: empty, then too long, each with its coded Japanese error.
        reply = page.get_by_label("返信", exact=True)
        await reply.fill("   ")
        await reply.press("Control+Enter")
        errors = page.locator("#reply-form-errors")
        await expect(errors).to_have_text("メッセージを入力してください。")
        await expect(reply).to_have_attribute("aria-invalid", "true")
        await reply.fill("あ" * 2001)
        await expect(page.locator("#reply-length")).to_have_text("2001 / 2000 文字")
        await page.get_by_role("button", name="送信", exact=True).click()
        await expect(errors).to_contain_text("2000")
        await expect(messages).to_have_count(HISTORY)
        count = await Message.filter(thread_id=thread_pk).count()
        assert count == HISTORY

        # A seeker's message arrives live: at the end of the open thread, announced, unread.
        live = await send(seeker.client, application["id"], "面接の日程はいつ頃でしょうか。")
        await expect(messages).to_have_count(HISTORY + 1)
        await expect(messages.last.locator(".body")).to_have_text("面接の日程はいつ頃でしょうか。")
        await expect(messages.last.locator(".meta")).to_have_text(
            f"求職者 ・ {japanese_time(live['createdAt'])} ・ 未読"
        )
        await expect(page.locator("#notices")).to_contain_text("新着メッセージ（求職者 ")
        await expect(page.locator("#unread-count")).to_have_text("1")

        # The reply (2000 characters is the limit, not over it): sent, shown, and the
        # seeker's messages marked read, as opening the thread does.
        await reply.fill("ご連絡ありがとうございます。12月3日 14:00はいかがでしょうか。")
        await page.get_by_role("button", name="送信", exact=True).click()
        await expect(messages).to_have_count(HISTORY + 2)
        await expect(messages.last.locator(".body")).to_have_text(
            "ご連絡ありがとうございます。12月3日 14:00はいかがでしょうか。"
        )
        await expect(messages.last.locator(".meta")).to_contain_text("事業所 ・ ")
        await expect(messages.last.locator(".meta")).to_contain_text("相手は未読")
        await expect(errors).to_have_text("")
        await expect(reply).to_have_value("")
        await expect(reply).not_to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#notices")).to_contain_text("にメッセージを送信しました")
        await expect(page.locator("#unread-count")).to_have_text("0")
        await expect(messages.nth(HISTORY).locator(".meta")).to_contain_text("・ 既読")
        await expect(thread_button).not_to_contain_text("未読")
        await expect(thread_button).to_contain_text("ご連絡ありがとうございます。")
        sent = await Message.filter(thread_id=thread_pk).order_by("-id").first()
        assert sent is not None
        assert sent.sender is MessageSender.EMPLOYER
        assert sent.body == "ご連絡ありがとうございます。12月3日 14:00はいかがでしょうか。"
        assert not await Message.filter(
            thread_id=thread_pk, sender=MessageSender.SEEKER, read_at__isnull=True
        ).exists()

        # 2000 characters exactly is accepted.
        await reply.fill("い" * 2000)
        await expect(page.locator("#reply-length")).to_have_text("2000 / 2000 文字")
        await reply.press("Control+Enter")
        await expect(messages).to_have_count(HISTORY + 3)
        assert await Message.filter(thread_id=thread_pk, body="い" * 2000).exists()

        assert await assert_dates_in_era(page) > HISTORY
        await no_sideways_scroll(page)
        assert await page.evaluate("window.stillTheSamePage") is True
        await screenshot(page, f"dashboard-thread-{size}")

    assert watched.foreign_requests() == []
    assert watched.console_errors == []


def test_japanese_dates_are_written_in_the_era() -> None:
    """The tests' reading of the era agrees with what Chromium writes (令和 from 2019-05-01)."""
    assert japanese_date("2026-12-01") == "令和8年12月1日"
    assert japanese_date(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert japanese_date("2020-01-01") == "令和2年1月1日"
    assert japanese_time("2026-12-01T09:12:00+00:00") == "令和8年12月1日 18:12"
    assert japanese_time("2026-11-30T15:05:00Z") == "令和8年12月1日 0:05"
