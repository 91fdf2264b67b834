"""The Swagger UI page, in a real browser, under the project's content security policy."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from wicketgate.testing.browser import launch_chromium

pytestmark = pytest.mark.browser


def test_it_renders_the_docs_page_under_the_csp_without_violations(live_server: Any) -> None:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            problems: list[str] = []
            # Chromium reports every CSP refusal as a console error.
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{live_server.url}/api/v1/docs")
            page.wait_for_selector(".opblock", timeout=15_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            browser.close()
    assert "/api/v1/prisoners/{prison_number}" in paths
    assert problems == []
