"""GraphiQL (development only) is served by the service itself: its page, its bundled assets
and its Content-Security-Policy, and a query run in a real browser (Debian's chromium)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, expect

from app.middleware import GRAPHIQL_CSP
from tests.browser import chromium, screenshot, watched_page
from tests.conftest import Server


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
