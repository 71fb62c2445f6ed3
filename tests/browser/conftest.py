"""Browser fixtures: the portal served by uvicorn on loopback, Debian's Chromium, axe-core."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from tests.net import running_portal

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if CHROMIUM is None and os.environ.get("CI") == "true":
    raise RuntimeError("CI needs Debian's chromium for the browser journeys (.ci/run installs it)")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None:
                item.add_marker(pytest.mark.skip(reason="chromium is not installed"))


@pytest.fixture
def server():
    with running_portal() as base:
        yield base


async def launch(playwright):
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


async def _timers_run(page) -> bool:
    """Whether the page runs scripts' timers (a context with JavaScript off doesn't)."""
    try:
        await asyncio.wait_for(page.evaluate(
            "new Promise(done => setTimeout(() => done(true), 0))"), timeout=5)
        return True
    except TimeoutError:
        return False


async def axe_violations(page) -> list[dict]:
    """Serious and critical WCAG 2.x A/AA violations on the page as it is now."""
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            raise RuntimeError("axe-core is missing: run make install (npm ci)")
        return []
    if not await _timers_run(page):
        # With JavaScript off, axe's own timers never fire (it would wait for ever): check the
        # same document, as the server sent it, in a sibling page with scripts on (same
        # cookies, size and address, so styles and the CSP are the real ones).
        html = await page.content()
        context = await page.context.browser.new_context(
            viewport=page.viewport_size, storage_state=await page.context.storage_state())
        try:
            twin = await context.new_page()
            await twin.goto(page.url)
            await twin.set_content(html)
            return await axe_violations(twin)
        finally:
            await context.close()
    # Evaluated through DevTools, which the page's Content-Security-Policy does not govern:
    # the pages are tested under their real CSP.
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})""")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [n["target"] for n in v["nodes"][:3]]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
