"""The viewer in a real browser: `gridtwin viewer` on 127.0.0.1, driven by Debian's chromium.

One server start, one browser session through every page: run a scenario, see the KPI cards
and the map, no Streamlit exception box anywhere, and no request leaves 127.0.0.1. Screenshots
are saved in the test's temporary folder; with ``GRIDTWIN_DOCS_SCREENSHOTS=1`` they are also
written to ``docs/`` for the README.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
DOCS = ROOT / "docs"

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """``gridtwin viewer`` on a free port; stopped by its own process handle at the end."""
    port = free_port()
    log = tmp_path_factory.mktemp("viewer") / "server.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("w") as out:
        # the viewer command execs the Streamlit server: this handle is the server's process
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gridtwin",
                "viewer",
                "--port",
                str(port),
                "--address",
                "127.0.0.1",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                    if reply.read() == b"ok":
                        break
            except OSError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the viewer did not start: " + log.read_text()
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode is not None


def settle(page: Page) -> None:
    """Wait for the script run to finish and the connection to be up."""
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute(
        "data-test-connection-state", "CONNECTED", timeout=30_000
    )
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=60_000
    )


def no_exception(page: Page, name: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, f"exception on {name}"


def test_viewer_in_a_browser(server, tmp_path):
    shots: list[Path] = []
    hosts: set[str] = set()

    def shoot(page: Page, name: str) -> None:
        time.sleep(1.0)  # let charts finish drawing
        path = tmp_path / f"viewer-{name}.png"
        page.screenshot(path=path)
        shots.append(path)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-default-apps",
                "--disable-extensions",
            ],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1700})
        context.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
        page = context.new_page()
        page.on("websocket", lambda ws: hosts.add(urlsplit(ws.url).netloc))
        try:
            page.goto(f"{server}/run?scenario=street&days=60&reps=5&seed=3")
            settle(page)
            no_exception(page, "run")
            run_button = page.get_by_role("button", name="Run", exact=True)
            run_button.click()  # a long run, cancelled on its way
            expect(page.get_by_text("replication 1 of 5")).to_be_visible(timeout=30_000)
            page.get_by_role("button", name="Cancel").click()
            expect(page.get_by_text("Run cancelled")).to_be_visible(timeout=30_000)
            settle(page)
            assert page.locator('[data-testid="stMetric"]').count() == 0
            for label, value in (("Days to simulate (days)", "7"), ("Replications", "2")):
                box = page.get_by_role("spinbutton", name=label)
                box.fill(value)
                box.press("Enter")
                settle(page)
            run_button.click()
            metrics = page.locator('[data-testid="stMetric"]')
            expect(metrics).to_have_count(11, timeout=120_000)
            settle(page)
            expect(page.get_by_text("95% CI").first).to_be_visible()
            expect(metrics.first).to_contain_text("%")
            no_exception(page, "run")
            shoot(page, "run")

            def visit(title: str, heading: str | None = None) -> None:
                page.get_by_role("link", name=title, exact=True).click()
                expect(page.get_by_role("heading", name=heading or title).first).to_be_visible(
                    timeout=30_000
                )
                settle(page)

            visit("Map")
            expect(page.locator('[data-testid="stDeckGlJsonChart"] canvas').first).to_be_visible(
                timeout=30_000
            )
            no_exception(page, "map")
            shoot(page, "map")

            visit("Dynamics")
            expect(page.locator(".js-plotly-plot")).to_have_count(5, timeout=30_000)
            no_exception(page, "dynamics")
            shoot(page, "dynamics")

            visit("Compare", "Compare policies")
            page.get_by_text("Add a policy").click()
            changes = page.get_by_role("textbox", name="Changes")
            changes.fill("policies.dispatch_accuracy=0.5")
            changes.press("Control+Enter")
            settle(page)
            page.get_by_role("button", name="Run this policy").click()
            expect(page.locator(".js-plotly-plot")).to_have_count(2, timeout=120_000)
            settle(page)
            no_exception(page, "compare")
            shoot(page, "compare")

            visit("Case journey")
            expect(page.get_by_text("Stage 1 of 9")).to_be_visible()
            page.get_by_role("button", name="Next ▶").click()
            expect(page.get_by_text("Stage 2 of 9")).to_be_visible(timeout=30_000)
            settle(page)
            no_exception(page, "journey")
            shoot(page, "journey")

            visit("Scenario")
            expect(page.get_by_role("tab", name="Routing (派单)")).to_be_visible()
            no_exception(page, "scenario")
            shoot(page, "scenario")

            visit("Overview", "gridtwin: a digital twin")
            expect(page.get_by_text("How to use the pages")).to_be_visible()
            no_exception(page, "overview")
            shoot(page, "overview")
        finally:
            context.close()
            browser.close()

    port = urlsplit(server).netloc
    assert hosts == {port}, f"requests outside the viewer: {sorted(hosts - {port})}"
    assert len(shots) == 7 and all(s.stat().st_size > 10_000 for s in shots)
    if os.environ.get("GRIDTWIN_DOCS_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        for shot in shots:
            shutil.copy(shot, DOCS / shot.name)
