"""Debian's chromium driven by Playwright, for the tests of the service's own web pages.

The browser is the system's (`/usr/bin/chromium`); Playwright's own browsers are never
downloaded. Without it the browser tests skip on a developer's machine and fail in CI.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, async_playwright

CHROMIUM = Path("/usr/bin/chromium")

# No sandbox (tests run as root in containers), and nothing that phones home.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
"""Screenshots of the browser tests (git-ignored; CI keeps them)."""

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


def require_chromium() -> None:
    """Skip without chromium; in CI (`CI` set) fail instead, so these tests always run there."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI: install Debian's chromium")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium to run the browser tests)")


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Watched:
    """Everything a page asked for and complained about."""

    page: Page
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requests that left the machine: any URL but loopback, `data:` and `blob:`."""
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in {"data", "blob"}
            and urlsplit(url).netloc.rsplit(":", 1)[0] not in LOOPBACK_HOSTS
        ]


@contextlib.asynccontextmanager
async def watched_page(browser: Browser) -> AsyncIterator[Watched]:
    """A page in a fresh context (no cookies, no storage) whose requests and console errors
    (Content-Security-Policy violations among them) are recorded."""
    context = await browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
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


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
