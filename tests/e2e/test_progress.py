"""The daily surface on the real engine: progress lines from the engine's events while
`reconciler apply` runs, stdout holding only the versioned JSON report (checked against
docs/report.schema.json), and `plan --exit-code` before and after."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from tests.e2e.harness import REPO, TenantRepo

pytestmark = pytest.mark.e2e

SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text(encoding="utf-8"))
HEARTBEAT = re.compile(r"^tenant-(one|two): create running for \d+s, (\d+) resource steps? \(")


def test_apply_shows_progress_on_stderr_and_json_on_stdout(tenant_repo: TenantRepo) -> None:
    before = tenant_repo.run("plan", "--exit-code")
    assert before.code == 6, before.stderr  # two tenants to create

    # Each bucket's create meets six rate-limit answers the provider retries (≈3 s of
    # backoff) after the identity tenant's step was reported, so heartbeats that count a
    # step are certain, not a race with a 1.4 s create.
    slow = {"SANDBOX_FAULTS": "create:-data:ratelimit=6"}
    ci = {"GITHUB_ACTIONS": "true", "RECONCILER_HEARTBEAT": "0.5", **slow}
    result = tenant_repo.run("apply", "--format", "json", extra_env=ci)
    assert result.code == 0, result.stderr
    jsonschema.validate(result.json(), SCHEMA)  # stdout is the report alone
    lines = result.stderr.splitlines()
    assert "tenant-one: create started" in lines and "tenant-two: create started" in lines
    # Heartbeats while the engine runs, counting the resource steps its events reported.
    counts = [int(m.group(2)) for m in map(HEARTBEAT.match, lines) if m]
    assert counts and max(counts) >= 1, result.stderr
    # One collapsible group per tenant, with its resource steps, numbered by completion.
    groups = [line for line in lines if line.startswith("::group::")]
    assert [g.split()[0] for g in groups] == ["::group::[1/2]", "::group::[2/2]"]
    assert all(" -> succeeded (" in g for g in groups)
    assert lines.count("::endgroup::") == 2
    first = lines[lines.index(groups[0]) + 1]
    assert first.split()[0] in ("create", "update")
    assert not any("\x1b[" in line for line in lines)  # not a terminal: no colour

    after = tenant_repo.run("plan", "--exit-code")
    assert after.code == 0, after.stderr  # nothing left to do
    for command in ("drift", "outputs", "validate"):
        body = tenant_repo.run(command, "--format", "json", "--quiet")
        assert body.code == 0, body.stderr
        jsonschema.validate(body.json(), SCHEMA)
        assert body.stderr == ""  # --quiet: no progress
