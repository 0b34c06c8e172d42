"""The fleet page: its rows (pure join of plan, records and reports), its HTML (self-contained,
escaped, attention first) and `reconciler report --format html` on a file backend."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.cli.main import main
from reconciler.engine.backend.locks import HeldLock
from reconciler.engine.backend.records import STATUS_TAG, StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.manifests.model import Auth, DefaultIdp, Mfa, OidcIdp, SamlIdp, SecretRef, Tenant
from reconciler.reconcile.fleet_page import PageContext, fleet_page, sign_in_of
from reconciler.reconcile.plan import Desired, make_plan
from reconciler.report.html import CSP, FleetPage, SignIn, TenantRow, render_html
from reconciler.report.results import Outcome, Report, ResourceStep
from reconciler.report.status import Status
from tests.repo import REPO

PROGRAM = "abcdef0123456789" * 4
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def tenant(name: str, **fields: object) -> Tenant:
    return Tenant(name=name, owner="o@example.com", display_name=name.title(), **fields)  # type: ignore[arg-type]


def desired(name: str, fp: str = "f" * 64, **fields: object) -> Desired:
    return Desired(tenant(name, **fields), fp, True)


def stack(name: str, record: StackRecord, locked: bool = False, **fields: object) -> DeployedStack:
    return DeployedStack(name, record, locked, **fields)  # type: ignore[arg-type]


def test_sign_in_posture_names_each_provider_and_the_mfa_factors():
    secret = SecretRef(from_env="A_SECRET")
    t = tenant(
        "acme",
        auth=Auth(allow_password_signup=True, mfa=Mfa("MANDATORY", ("PHONE_SMS", "TOTP"))),
        identity_providers=(
            DefaultIdp("google.com", "id", secret),
            OidcIdp("oidc.okta", "Okta", "https://o.example.com", "c", enabled=False),
            SamlIdp("saml.adfs", "ADFS", "e", "https://s", ("cert",), "sp", "https://cb"),
        ),
    )
    assert sign_in_of(t) == SignIn(
        ("google.com", "oidc.okta (OIDC) (off)", "saml.adfs (SAML)"),
        "MANDATORY: PHONE_SMS, TOTP",
        True,
    )
    assert sign_in_of(tenant("bare")) == SignIn((), "DISABLED", False)


def test_rows_join_the_plan_the_records_the_locks_and_the_drift_report():
    lock = HeldLock(
        pid=41, username="ci", hostname="runner-7", taken=datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
    )
    deployed = {
        "aaa": stack(
            "aaa",
            StackRecord("f" * 64, "succeeded", True, program=PROGRAM[:12]),
            recorded_at=NOW.timestamp(),
        ),
        "bbb": stack(
            "bbb",
            StackRecord("0" * 64, "failed", True, program="000000000000"),
            locked=True,
            lock=lock,
        ),
    }
    plan = make_plan([desired("aaa"), desired("bbb"), desired("ccc")], deployed, 0.25, now=NOW)
    drift = Report(
        "drift",
        (
            Outcome(
                "aaa", "unchanged", Status.DRIFTED, "", steps=(ResourceStep("update", "t", "n"),)
            ),
        ),
    )
    page = fleet_page(plan, deployed, [drift], PageContext(PROGRAM, NOW, {"aaa": "1 canary"}))
    rows = {row.tenant: row for row in page.rows}

    assert (rows["aaa"].program, rows["aaa"].current, rows["aaa"].wave) == (
        PROGRAM[:12],
        True,
        "1 canary",
    )
    assert (
        rows["aaa"].drift == "drifted (1 resource(s))"
        and rows["aaa"].last_run == "2026-12-05 12:00 UTC"
    )
    assert (rows["bbb"].result, rows["bbb"].current, rows["bbb"].action) == (
        "failed",
        False,
        "retry",
    )
    assert "runner-7" in rows["bbb"].lock and "1h" in rows["bbb"].lock
    assert (rows["ccc"].action, rows["ccc"].result, rows["ccc"].drift) == (
        "create",
        "never applied",
        "not checked",
    )
    assert page.program == PROGRAM[:12]


def page_of(*rows: TenantRow) -> FleetPage:
    return FleetPage("Tenant fleet", "2026-12-05 12:00 UTC", "abcdef012345", rows)


def test_the_page_fetches_nothing_and_says_so_to_the_browser():
    text = render_html(page_of(TenantRow("aaa", sign_in=SignIn(("google.com",)))))
    assert f'content="{CSP}"' in text and "default-src 'none'" in CSP
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|src=|https?://", text, re.I)


def test_every_value_is_escaped():
    hostile = '<script>alert(1)</script>"'
    row = TenantRow(
        "aaa", display_name=hostile, reason=hostile, lock=hostile, labels={"x": hostile}
    )
    text = render_html(page_of(row))
    assert "<script>alert" not in text and "&lt;script&gt;" in text


def test_tenants_that_need_attention_come_first_and_are_marked():
    rows = [
        TenantRow("aaa", action="unchanged", result="succeeded"),
        TenantRow("bbb", action="retry", result="failed"),
        TenantRow("ccc", action="unchanged", drift="drifted (2 resource(s))"),
    ]
    text = render_html(page_of(*rows))
    order = [text.index(f'id="tenant-{name}"') for name in ("bbb", "ccc", "aaa")]
    assert order == sorted(order)
    assert text.count('class="attention"') == 2
    assert "<span>1 failed</span>" in text and "<span>1 drifted</span>" in text


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("schema", "tenants"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    state = tmp_path / "state"
    stacks = state / ".pulumi" / "stacks" / "mlaas-tenants"
    stacks.mkdir(parents=True)
    (state / ".pulumi" / "meta.yaml").write_text("version: 1\n")
    (stacks / "tenant-one.json").write_text("{}")
    record = StackRecord("f" * 64, "succeeded", True, program="0123456789ab")
    tags = {"version": 1, "tags": {STATUS_TAG: record.encode()}}
    (stacks / "tenant-one.pulumi-tags").write_text(json.dumps(tags))
    monkeypatch.setenv("RECONCILER_BACKEND_URL", state.as_uri())
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    return tmp_path


def test_report_format_html_writes_the_page_from_the_backend_and_a_drift_report(root, capsys):
    drift = root / "drift.json"
    report = Report("drift", (Outcome("tenant-one", "unchanged", Status.IN_SYNC, "no drift"),))
    drift.write_text(json.dumps(report.to_json()))
    out = root / "fleet.html"
    assert (
        main(["--root", str(root), "report", "--format", "html", "--out", str(out), str(drift)])
        == 0
    )
    text = out.read_text()
    assert 'id="tenant-tenant-one"' in text and 'id="tenant-tenant-two"' in text
    assert "<code>0123456789ab</code>" in text and "in sync" in text
    assert "Tenant-One" in text and "google.com" in text
    assert ">2 early</td>" in text and ">3 rest</td>" in text  # platform.yaml's rollout


def test_report_without_reports_and_without_html_is_a_usage_error(root, capsys):
    assert main(["--root", str(root), "report"]) == 2
    assert "give at least one JSON report" in capsys.readouterr().err
