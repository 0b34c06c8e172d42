"""The pull-request-to-merge flow, driven locally on a throw-away git repository against the
sandbox: what the workflows run, step by step, with the real engine."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e import identity
from tests.e2e.harness import PROJECT, TenantRepo

pytestmark = pytest.mark.e2e


def git(repo: TenantRepo, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=repo.root,
        check=True,
        capture_output=True,
        text=True,
        env={
            **repo.env,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
        },
    ).stdout


def test_pull_request_to_merge(tenant_repo: TenantRepo, emulator_host):
    repo = tenant_repo
    repo.env["ACME_GOOGLE_CLIENT_SECRET"] = "s3cr3t-acme-flow-value"
    (repo.root / ".gitignore").write_text(".state/\n.reconciler/\n.sandbox/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two tenants")
    assert repo.run("apply").code == 0  # what main already runs

    # A pull request adds tenants/acme.yaml.
    git(repo, "checkout", "-q", "-b", "add-acme")
    created = repo.run("new", "acme", "--owner", "owner@acme.example.com")
    assert created.code == 0, created.stderr
    # `new` writes the Secret Manager form (tenant-acme-google-client-secret): store it.
    secret = subprocess.run(
        [
            *(sys.executable, "-m", "sandbox", "secret", "put", "--project", PROJECT),
            "tenant-acme-google-client-secret",
        ],
        input="s3cr3t-acme-flow-value\n",
        env=repo.env,
        capture_output=True,
        text=True,
    )
    assert secret.returncode == 0, secret.stderr
    assert repo.run("validate", "--format", "github").code == 0
    git(repo, "add", "tenants/acme.yaml")
    git(repo, "commit", "-q", "-m", "onboard acme")

    plan = repo.run("plan", "--changed-since", "main", "--format", "json")
    assert plan.code == 0, plan.stderr
    assert [(t["tenant"], t["action"]) for t in plan.json()["tenants"]] == [("acme", "create")]

    comment = repo.run("plan", "--changed-since", "main", "--format", "markdown").stdout
    assert comment.startswith("<!-- tenant-gitops-report -->")
    assert "| `acme` | create |" in comment

    preview = repo.run("preview", "--changed-since", "main", "--format", "json")
    assert preview.code == 0, preview.stderr
    acme = preview.json()["tenants"][0]
    assert acme["tenant"] == "acme" and acme["status"] == "planned"
    assert {s["type"] for s in acme["steps"]} >= {
        "gcp:identityplatform/tenant:Tenant",
        "gcp:storage/bucket:Bucket",
    }
    assert "acme" not in repo.stacks()  # a pull request's preview creates no stack

    # Merge, then what the push to main runs.
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "add-acme")
    applied = repo.run("apply", "--format", "json")
    assert applied.code == 0, applied.stderr
    statuses = {t["tenant"]: t["status"] for t in applied.json()["tenants"]}
    assert statuses == {"acme": "succeeded", "tenant-one": "unchanged", "tenant-two": "unchanged"}
    acme_id = repo.tenant_ids()["acme"]
    assert acme_id in identity.tenant_ids(emulator_host, PROJECT)

    # A second pull request deletes the file: blocked, and the comment says why.
    git(repo, "checkout", "-q", "-b", "remove-acme")
    git(repo, "rm", "-q", "tenants/acme.yaml")
    git(repo, "commit", "-q", "-m", "remove acme")
    blocked = repo.run("plan", "--changed-since", "main", "--format", "markdown")
    assert blocked.code == 4
    assert "`acme` blocked" in blocked.stdout
    assert "spec.decommission: true" in blocked.stdout
    assert repo.run("apply").code == 4
    assert "acme" in repo.stacks()
    assert acme_id in identity.tenant_ids(emulator_host, PROJECT)
