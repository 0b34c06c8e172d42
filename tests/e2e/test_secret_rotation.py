"""Secret rotation, end to end: a tenant whose client secret is `fromSecretManager` (latest)
is applied; a new version is added with `python -m sandbox secret put`; `plan` (no Pulumi
process) shows the rotation by comparing version ids with the sandbox's Secret Manager
stand-in; `apply` rolls it out without --force; `plan` is clean again. No secret value
appears in any output, report, state file or request log, and no payload is ever asked for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.report.status import EXIT_CHANGES
from sandbox import secretmanager_api
from sandbox.provider.secretmanager import put_secret
from sandbox.provider.store import Store
from tests.e2e.harness import PROJECT, REPO, TenantRepo

pytestmark = pytest.mark.e2e

SECRET = "tenant-tenant-one-google-client-secret"
IDP_CONFIG = "gcp:identityplatform/tenantDefaultSupportedIdpConfig:TenantDefaultSupportedIdpConfig"


@pytest.fixture
def rotating(tenant_repo: TenantRepo) -> Iterator[tuple[TenantRepo, Path]]:
    """tenant-one reads its Google client secret from Secret Manager (latest), version 1
    stored; the stand-in answers plan's metadata calls from the same SQLite file."""
    db = Path(tenant_repo.env["SANDBOX_STATE_DB"])
    first = tenant_repo.secret_values[0]
    put_secret(PROJECT, SECRET, first, db_path=db)
    tenant_repo.edit(
        "tenant-one",
        "fromEnv: TENANT_ONE_GOOGLE_CLIENT_SECRET",
        f"fromSecretManager: {{secret: {SECRET}}}",
    )
    api = secretmanager_api.start(db, tenant_repo.root.parent / "secretmanager.log")
    tenant_repo.env["RECONCILER_SECRET_MANAGER_ENDPOINT"] = api.url
    try:
        yield tenant_repo, api.log_path
    finally:
        api.stop()


def plan(repo: TenantRepo, *args: str) -> dict[str, dict]:
    result = repo.run("plan", "--format", "json", *args)
    assert result.code == 0, result.stderr
    return {t["tenant"]: t for t in result.json()["tenants"]}


def applied_secret(db: Path) -> str:
    [config] = [body for key, body in Store(db).of_kind(IDP_CONFIG) if "google.com" in key]
    return str(config["clientSecret"])


def test_a_rotated_secret_manager_secret_shows_in_plan_and_apply_rolls_it_out(rotating):
    repo, api_log = rotating
    db = Path(repo.env["SANDBOX_STATE_DB"])
    second = "s3cr3t-rotated-" + repo.secret_values[1][-12:]
    out = repo.root / "out"
    out.mkdir()
    texts: list[str] = []

    first_apply = repo.run("apply", "--format", "json", "--json-out", str(out / "apply-1.json"))
    texts.append(first_apply.stdout + first_apply.stderr)
    assert first_apply.code == 0, first_apply.stderr
    assert applied_secret(db) == repo.secret_values[0]

    # Nothing rotated: plan says nothing about secrets.
    quiet = plan(repo)
    assert quiet["tenant-one"]["action"] == "unchanged"
    assert quiet["tenant-one"]["reason"] == "up to date"

    # A new version, added the way an operator would (the value on stdin).
    put = subprocess.run(
        [sys.executable, "-m", "sandbox", "secret", "put", SECRET, "--project", PROJECT],
        input=second + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env=repo.env,
        timeout=60,
    )
    assert put.returncode == 0, put.stderr
    texts.append(put.stdout + put.stderr)

    shown = repo.run(
        "plan",
        "--format",
        "json",
        "--exit-code",
        "--json-out",
        str(out / "plan.json"),
        "--markdown-out",
        str(out / "plan.md"),
    )
    texts.append(shown.stdout + shown.stderr)
    assert shown.code == EXIT_CHANGES, shown.stderr  # --exit-code: pending changes
    one = {t["tenant"]: t for t in shown.json()["tenants"]}["tenant-one"]
    assert one["action"] == "update"
    assert one["reason"] == "client secret of google.com rotated in Secret Manager: version 1 → 2"
    assert "version 1 → 2" in (out / "plan.md").read_text()
    assert shown.json()["engineOperations"] == 0
    # The other tenant reads its secret from the environment: nothing to say about it.
    assert {t["tenant"]: t for t in shown.json()["tenants"]}["tenant-two"]["action"] == "unchanged"

    # apply rolls it out, no --force needed.
    second_apply = repo.run("apply", "--format", "json", "--json-out", str(out / "apply-2.json"))
    texts.append(second_apply.stdout + second_apply.stderr)
    assert second_apply.code == 0, second_apply.stderr
    statuses = {t["tenant"]: t["status"] for t in second_apply.json()["tenants"]}
    assert statuses == {"tenant-one": "succeeded", "tenant-two": "unchanged"}
    assert applied_secret(db) == second

    clean = plan(repo)
    assert clean["tenant-one"] == {**clean["tenant-one"], "action": "unchanged"}
    assert clean["tenant-one"]["reason"] == "up to date"

    # Never a value: not in what the commands printed, the reports, the state, the log.
    texts += [
        p.read_bytes().decode("utf-8", "replace") for p in repo.root.rglob("*") if p.is_file()
    ]
    log = api_log.read_text()
    texts.append(log)
    for value in (repo.secret_values[0], second):
        assert [i for i, text in enumerate(texts) if value in text] == []
    assert "/versions/latest" in log and ":access" not in log


def test_a_secret_manager_plan_cannot_reach_is_a_note_never_a_failed_plan(rotating):
    repo, _ = rotating
    assert repo.run("apply").code == 0
    repo.env["RECONCILER_SECRET_MANAGER_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens
    result = repo.run("plan", "--format", "json")
    assert result.code == 0, result.stderr
    one = {t["tenant"]: t for t in result.json()["tenants"]}["tenant-one"]
    assert one["action"] == "unchanged"
    assert one["reason"].startswith(
        "up to date; could not check the client secret of google.com for a rotation: "
        "could not reach http://127.0.0.1:9"
    )
    assert "Traceback" not in result.stderr


def test_the_record_holds_the_concrete_version_never_latest(rotating):
    repo, _ = rotating
    assert repo.run("apply").code == 0
    tags = repo.state / ".pulumi" / "stacks" / "mlaas-tenants" / "tenant-one.pulumi-tags"
    record = json.loads(json.loads(tags.read_text())["tags"]["tenant-gitops"])
    assert record["secretVersions"] == "google.com=1"
