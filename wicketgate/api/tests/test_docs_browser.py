"""The Swagger UI page, in a real browser, under the project's content security policy."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_it_renders_the_docs_page_under_the_csp_without_violations(live_server: Any) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = os.environ.get("WICKETGATE_CHROMIUM") or shutil.which("chromium")
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable)
        except sync_api.Error as exc:  # no browser on this machine
            pytest.skip(f"no headless Chromium: {exc}")
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
