"""How many Pulumi CLI processes an apply starts, counted by a wrapper around the real binary.

The budget (issue #15): per changed tenant the `up` and the `stack tag set` of its record,
plus `pulumi version` once per run; the outputs come from the engine's event stream, so no
`stack output` (and nothing with `--show-secrets`) runs at all.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.e2e.harness import REPO, TenantRepo

pytestmark = pytest.mark.e2e

_WRAPPER = """\
#!/bin/sh
printf '%s\\n' "$*" >> '{log}'
exec '{real}' "$@"
"""


def _counting_pulumi(folder: Path) -> tuple[Path, Path]:
    """A `bin/pulumi` that logs its arguments, then runs the pinned CLI."""
    log = folder / "pulumi-calls.log"
    wrapper = folder / "bin" / "pulumi"
    wrapper.parent.mkdir(parents=True)
    real = (REPO / ".tools" / "bin" / "pulumi").resolve()
    wrapper.write_text(_WRAPPER.format(log=log, real=real))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper, log


def _calls(log: Path) -> list[str]:
    calls = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def _kind(call: str) -> str:
    """`up`, `stack tag set`, `version`, ...: the subcommand, without flags and values."""
    words = [w for w in call.split() if w != "--non-interactive"]
    if words[:1] == ["stack"]:
        return " ".join(words[:3] if words[1:2] == ["tag"] else words[:2])
    return words[0] if words else ""


def test_an_apply_of_k_changed_tenants_starts_2k_plus_1_pulumi_processes(
    tenant_repo: TenantRepo, tmp_path: Path
):
    wrapper, log = _counting_pulumi(tmp_path / "counting")
    env = {"RECONCILER_PULUMI_BINARY": str(wrapper)}
    first = tenant_repo.run("apply", "--format", "json", extra_env=env)
    assert first.code == 0, first.stderr
    created = [_kind(c) for c in _calls(log)]
    # A new stack costs its `stack init` on top (the plan knows it is new: no `up` first
    # to find that out).
    assert sorted(created) == sorted(["version"] + ["stack init", "up", "stack tag set"] * 2), (
        created
    )

    tenants = ("tenant-one", "tenant-two")
    for name in tenants:
        tenant_repo.edit(name, "tier: standard", "tier: premium")
    second = tenant_repo.run("apply", "--format", "json", extra_env=env)
    assert second.code == 0, second.stderr
    report = second.json()
    assert {t["tenant"]: t["status"] for t in report["tenants"]} == dict.fromkeys(
        tenants, "succeeded"
    )
    calls = _calls(log)
    k = len(tenants)
    assert len(calls) <= 2 * k + 1, calls
    assert sorted(_kind(c) for c in calls) == sorted(["version"] + ["up", "stack tag set"] * k)
    assert not [c for c in calls if "--show-secrets" in c]
    # The outputs still reach the report, secrets masked.
    outputs = {t["tenant"]: t["outputs"] for t in report["tenants"]}
    assert all(outputs[name].get("tenantId") for name in tenants), outputs
    assert not any(value in second.stdout for value in tenant_repo.secret_values)
