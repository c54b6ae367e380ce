"""GraphiQL (development only) is served by the service itself: its page, its bundled assets
and its Content-Security-Policy, a query run in a real browser (Debian's chromium), and a
subscription authenticated by the headers editor's token (its refusal shown at once)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from app.main import INVALID_TOKEN_REASON
from app.middleware import GRAPHIQL_CSP
from tests.browser import chromium, screenshot, watched_page
from tests.conftest import GraphQLClient, Server
from tests.test_notices import establishment_of, send_notice


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


def directives(policy: str) -> dict[str, str]:
    return dict(
        (directive.strip() + " ").split(" ", 1) for directive in policy.split(";") if directive
    )


async def test_the_page_loads_only_its_own_assets_and_no_inline_script(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = directives(response.headers["content-security-policy"])
    assert response.headers["content-security-policy"] == GRAPHIQL_CSP
    assert policy["default-src"].strip() == "'none'"
    assert policy["script-src"].strip() == "'self'"
    assert policy["connect-src"].strip() == "'self'"
    assert policy["frame-ancestors"].strip() == "'none'"
    assert "unsafe" not in response.headers["content-security-policy"]
    assert "<script>" not in response.text
    assert "https://" not in response.text

    for asset in ("/static/graphiql/graphiql.js", "/static/graphiql/graphiql.css"):
        assert f'"{asset}"' in response.text
        served = await http.get(asset)
        assert served.status_code == 200, asset
        assert served.headers["cache-control"] == "no-cache"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "unpkg.com" not in served.text
        again = await http.get(asset, headers={"If-None-Match": served.headers["etag"]})
        assert again.status_code == 304


async def test_a_query_runs_in_chromium_without_leaving_the_machine(
    server: Server, browser: Browser
) -> None:
    async with watched_page(browser) as watched:
        page = watched.page
        await page.goto(f"{server.url}/graphql")
        editor = page.locator(".graphiql-query-editor .CodeMirror")
        await expect(editor).to_be_visible()

        await editor.click()
        await page.keyboard.press("Control+A")
        await page.keyboard.press("Delete")
        await page.keyboard.type("{ termsDocuments { kind } }")
        await page.keyboard.press("Escape")  # closes the completion list, if open
        typed = await page.evaluate(
            "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
        )
        assert typed == "{ termsDocuments { kind } }"
        await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()

        result = page.locator(".graphiql-response .CodeMirror")
        await expect(result).to_contain_text('"PRIVACY_POLICY"')
        await expect(result).to_contain_text('"TERMS_OF_USE"')
        await screenshot(page, "graphiql")

    assert watched.foreign_requests() == []
    assert f"{server.url}/static/graphiql/graphiql.js" in watched.requests
    assert watched.console_errors == []


SET_EDITOR = """([selector, value]) => {
  document.querySelector(selector).CodeMirror.setValue(value);
}"""


PARSED = """(query) => {
  const editor = document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror;
  return editor.documentAST?.loc?.source.body === query;
}"""


async def run_in_graphiql(page: Page, server: Server, query: str, headers: str) -> Locator:
    """Open GraphiQL, put `query` and `headers` in its editors and run it; its response pane."""
    await page.goto(f"{server.url}/graphql")
    await expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
    await page.get_by_role("button", name="Headers", exact=True).click()
    shown = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
    await page.evaluate(SET_EDITOR, [shown, headers])
    await page.evaluate(SET_EDITOR, [".graphiql-query-editor .CodeMirror", query])
    # GraphiQL parses the query 100 ms after an edit; run before, it would run the old one.
    await page.wait_for_function(PARSED, arg=query)
    await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    return page.locator(".graphiql-response .CodeMirror")


async def test_a_subscription_with_the_token_in_the_headers_editor_receives_events(
    server: Server, browser: Browser, employer: GraphQLClient
) -> None:
    """The headers editor's `Authorization` reaches the socket as its `connectionParams`."""
    establishment = await establishment_of(server, employer)
    subscription = "subscription { noticeReceived { notice { title } } }"
    headers = f'{{"Authorization": "Bearer {employer.token}"}}'
    async with watched_page(browser) as watched:
        result = await run_in_graphiql(watched.page, server, subscription, headers)
        # Sent until one arrives: the socket opens and subscribes a moment after the click.
        for attempt in range(40):
            await send_notice(server, establishment, f"GraphiQLのお知らせ{attempt}")
            with contextlib.suppress(AssertionError):
                await expect(result).to_contain_text("GraphiQLのお知らせ", timeout=500)
                break
        await expect(result).to_contain_text('"noticeReceived"')
        await screenshot(watched.page, "graphiql-subscription")

    assert watched.console_errors == []


async def test_a_refused_subscription_says_why_at_once(server: Server, browser: Browser) -> None:
    """A token that opens no session: the socket's close reason is shown, no retrying."""
    subscription = "subscription { noticeReceived { notice { title } } }"
    async with watched_page(browser) as watched:
        result = await run_in_graphiql(
            watched.page, server, subscription, '{"Authorization": "Bearer not-a-session"}'
        )
        # The reason as GraphiQL shows it, in JSON (its quotes escaped).
        shown = INVALID_TOKEN_REASON.replace('"', '\\"')
        await expect(result).to_contain_text(f"Socket closed with event 4403 {shown}", timeout=5000)
