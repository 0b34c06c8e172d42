"""The fleet page in a real headless Chromium (Debian's `chromium`, which
`scripts/bootstrap --sandbox` installs): it renders, it lists every tenant, it fetches
nothing, and it can be photographed.

"Fetches nothing" is read from Chromium's own network log (`--log-net-log`): a request the
page starts carries the page's site (`file://`) in its network isolation key, which the
browser's own background requests do not; a page with one remote image proves the check
sees what it is looking for.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reconciler.cli.main import main
from reconciler.report.html import FleetPage, SignIn, TenantRow, render_html

pytestmark = pytest.mark.e2e

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail(
            "the Debian package chromium is missing: run scripts/bootstrap --sandbox "
            "(it installs it as root) or `sudo apt-get install -y chromium`",
            pytrace=False,
        )
    return found


def browse(page: Path, work: Path, *action: str) -> tuple[str, list[str]]:
    """Open `page`; what the browser printed (the DOM for --dump-dom), and every URL the
    page itself asked the network for."""
    profile = work / f"profile-{len(list(work.glob('profile-*')))}"
    profile.mkdir()
    net_log = profile.with_suffix(".netlog.json")
    argv = [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--log-net-log={net_log}"]
    done = subprocess.run(
        [*argv, "--window-size=1280,900", *action, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, page_requests(net_log, page)


def page_requests(net_log: Path, page: Path) -> list[str]:
    log = json.loads(net_log.read_text(encoding="utf-8"))
    names = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    found = []
    for event in log["events"]:
        params = event.get("params") or {}
        if names.get(event["type"]) != "URL_REQUEST_START_JOB" or "url" not in params:
            continue
        if str(params.get("network_isolation_key", "")).startswith("file://"):
            found.append(params["url"])
    return sorted({url for url in found if url != page.as_uri()})


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.ids += [v or "" for k, v in attrs if k == "id"]


def rows_in(dom: str) -> list[str]:
    parser = _Rows()
    parser.feed(dom)
    return parser.ids


def fleet(count: int) -> FleetPage:
    rows = tuple(
        TenantRow(
            f"tenant-{i:03d}",
            display_name=f"Tenant-{i:03d}",
            action=("unchanged", "update", "retry")[i % 3],
            result=("succeeded", "succeeded", "failed")[i % 3],
            program="0123456789ab" if i % 2 else "ba9876543210",
            current=bool(i % 2),
            wave=("1 canary", "2 early", "3 rest")[i % 3],
            drift=("in sync", "drifted (1 resource(s))")[i % 7 == 0],
            sign_in=SignIn(("google.com", "oidc.okta (OIDC)"), "ENABLED: TOTP", i % 2 == 0),
        )
        for i in range(count)
    )
    return FleetPage("Tenant fleet", "2026-12-05 12:00 UTC", "0123456789ab", rows)


def test_the_page_renders_every_tenant_and_fetches_nothing(tmp_path: Path):
    page = tmp_path / "fleet.html"
    page.write_text(render_html(fleet(120)), encoding="utf-8")

    dom, fetched = browse(page, tmp_path, "--dump-dom")

    assert sorted(rows_in(dom)) == [f"tenant-tenant-{i:03d}" for i in range(120)]
    assert "Tenant fleet" in dom and "120 tenants" in dom
    assert fetched == []


def test_the_network_check_sees_a_page_that_fetches(tmp_path: Path):
    page = tmp_path / "fetching.html"
    page.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/pixel.png"><p>x</p>')
    _, fetched = browse(page, tmp_path, "--dump-dom")
    assert fetched == ["http://127.0.0.1:9/pixel.png"]


def test_the_page_of_a_repository_lists_its_tenants_in_the_browser(tmp_path: Path, monkeypatch):
    from tests.repo import REPO

    for name in ("schema", "tenants"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    monkeypatch.setenv("RECONCILER_BACKEND_URL", (tmp_path / "state").as_uri())
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    page = tmp_path / "fleet.html"
    assert main(["--root", str(tmp_path), "report", "--format", "html", "--out", str(page)]) == 0

    dom, fetched = browse(page, tmp_path, "--dump-dom")

    assert sorted(rows_in(dom)) == ["tenant-tenant-one", "tenant-tenant-two"]
    assert fetched == []


def test_a_screenshot_of_the_page(tmp_path: Path):
    page = tmp_path / "fleet.html"
    page.write_text(render_html(fleet(12)), encoding="utf-8")
    shot = tmp_path / "fleet.png"

    browse(page, tmp_path, f"--screenshot={shot}", "--hide-scrollbars")

    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 900)
    assert len(data) > 20_000  # a rendered table, not a blank page
