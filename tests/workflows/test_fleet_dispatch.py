"""Day-2 CI paths (#11, repro 8): the apply workflow's manual trigger takes tenants, force
and refresh, validated and run in the deploy environment; the drift report links to it with
the exact inputs; opt-in automatic repair dispatches it and holds no cloud credential."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import yaml

from tests.repo import REPO

WORKFLOWS = REPO / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def step(job: dict[str, Any], name_part: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if name_part in s.get("name", ""))


def test_the_manual_apply_takes_tenants_force_and_refresh():
    inputs = load("tenant-apply.yml")[True]["workflow_dispatch"]["inputs"]
    assert {name: spec["type"] for name, spec in inputs.items()} == {
        "tenants": "string",
        "force": "boolean",
        "refresh": "boolean",
        "skip-waves": "boolean",
        "allow_replace": "string",  # the replace job only (tenant-destroy reviewers)
    }
    assert inputs["force"]["default"] is False and inputs["refresh"]["default"] is False
    assert inputs["skip-waves"]["default"] is False


def test_the_inputs_reach_the_deploy_job_as_flags_only():
    jobs = load("tenant-apply.yml")["jobs"]
    apply = jobs["apply"]
    assert apply["environment"] == "tenant-apply"
    assert apply["env"]["FORCE"] == "${{ inputs.force }}"
    assert apply["env"]["REFRESH"] == "${{ inputs.refresh }}"
    script = step(apply, "Apply this shard")["run"]
    assert "extra+=(--force)" in script and "extra+=(--refresh)" in script
    # Ahead of the rollout's waves only for tenants named by hand.
    assert '[ "$SKIP_WAVES" = true ] && [ -n "$TENANTS" ]' in script
    assert apply["env"]["SKIP_WAVES"] == "${{ inputs.skip-waves }}"
    split = step(jobs["plan"], "Shard")
    assert split["env"]["TENANTS"] == "${{ inputs.tenants }}"


def _tenants_rule() -> re.Pattern[str]:
    script = step(load("tenant-apply.yml")["jobs"]["plan"], "Shard")["run"]
    pattern = re.search(r"=~ (\S+) \]\]", script)
    assert pattern is not None
    return re.compile(pattern.group(1).replace("[[:space:]]", r"\s"))


def test_the_tenants_input_accepts_names_only():
    rule = _tenants_rule()
    for good in ("tenant-one", "tenant-one tenant-two", "a  b"):
        assert rule.fullmatch(good), good
    for bad in ("--force", "a;rm -rf /", "tenant-one --refresh", "$(id)", "A", ""):
        assert not rule.fullmatch(bad), bad


def test_the_rule_is_the_one_bash_applies():
    script = step(load("tenant-apply.yml")["jobs"]["plan"], "Shard")["run"]
    check = re.search(r"if ! (\[\[.*?\]\]); then", script)
    assert check is not None
    for value, ok in (("tenant-one tenant-two", True), ("tenant-one --force", False)):
        result = subprocess.run(
            ["bash", "-c", f"{check.group(1)}"], env={"TENANTS": value}, check=False
        )
        assert (result.returncode == 0) is ok, value


def test_the_drift_report_links_to_the_repair_with_its_inputs():
    drift = load("tenant-drift.yml")["jobs"]["drift"]
    script = step(drift, "how to repair")["run"]
    assert "actions/workflows/tenant-apply.yml" in script
    assert "force ✔ and refresh ✔" in script and "$drifted" in script


def test_automatic_repair_is_opt_in_and_holds_no_cloud_credential():
    repair = load("tenant-drift.yml")["jobs"]["repair"]
    assert repair["permissions"] == {"contents": "read", "actions": "write"}
    assert "github.event_name == 'schedule'" in repair["if"]
    script = step(repair, "Repair drift")["run"]
    assert "python -m reconciler.manifests.platform auto-repair-drift" in script
    assert "-f force=true -f refresh=true" in script
    assert not any("google-github-actions/auth" in str(s.get("uses", "")) for s in repair["steps"])


def test_every_shard_of_a_rollout_runs_at_once_and_meets_the_others_after_each_wave():
    """The shards wait for one another between waves (reconciler/reconcile/barrier.py): a
    shard GitHub queued behind the others would keep them waiting until their time limit."""
    document = load("tenant-apply.yml")
    apply = document["jobs"]["apply"]
    assert apply["strategy"]["max-parallel"] >= int(document["env"]["MAX_SHARDS"])
    assert '--wave-start "$STARTED"' in step(apply, "Apply this shard")["run"]
    assert apply["env"]["STARTED"] == "${{ needs.plan.outputs.started }}"
    plan = document["jobs"]["plan"]
    names = [s.get("name", "") for s in plan["steps"]]
    assert names.index("When this run's plan is made") < names.index("Plan every tenant")
