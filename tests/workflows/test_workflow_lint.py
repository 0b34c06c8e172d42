"""The CI workflows, the authoring tools and the Markdown comment, checked offline.

- Both workflow linters pass with no findings: actionlint, and zizmor in offline mode
  under its regular, pedantic and auditor personas (each silenced rule justified in
  .github/zizmor.yml). A missing linter fails the test (it never skips): run scripts/bootstrap.
- Structural rules the linters do not know: no `pull_request_target`; workflows a pull
  request triggers hold no credential, secret or token, and run for every pull request;
  the preview binds to its pull request through the API and reads the pull request's
  commit from git as data; every action pinned to a full commit SHA with its version;
  empty top-level permissions; one queued (never cancelled) deploy group for applies and
  deletions; deletions only behind the reviewed environment, with `--action delete`;
  every acting job checks the merged pull request's approval, then the head of main,
  right before its credential; client secrets from Secret Manager, never mapped per
  tenant; one Pulumi version equal to scripts/bootstrap's.
- Authoring: the pre-commit hook's definition, `reconciler new` and `reconciler schema`.
- The pull-request comment stays under GitHub's size limit for a large fleet.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.report.renderers import COMMENT_LIMIT, MARKER, render_markdown
from reconciler.report.results import Outcome, Report, ResourceStep
from tests.repo import REPO

ROOT = REPO
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
SETUP_ACTION = GITHUB / "actions" / "setup-reconciler" / "action.yml"
ACTION_FILES = sorted((GITHUB / "actions").glob("*/action.yml"))
BIN = Path(sys.executable).parent

FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
APPROVAL = "reconciler approval --commit"
ACTING = [
    ("tenant-apply.yml", "apply"),
    ("tenant-apply.yml", "destroy"),
    ("tenant-apply.yml", "replace"),
]
"""The jobs that change tenants' resources: each checks the merged pull request's approval."""
ADOPTING = ("tenant-adopt.yml", "adopt")
"""Imports existing tenants into their stacks (state only), behind a reviewed environment."""
AUTH = "google-github-actions/auth@"
TARGET = "${{ vars.RECONCILER_TARGET || 'gcp' }}"
ENGINE_COMMAND = re.compile(r"\breconciler (preview|apply|drift|adopt)\b")


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), path
    return document


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    on = workflow.get("on", workflow.get(True))
    return on if isinstance(on, dict) else {name: None for name in ([on] if on else [])}


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return load(GITHUB / "workflows" / name)["jobs"]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def all_jobs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            yield path.name, name, job


def tool(name: str) -> str:
    """A linter from the project's environment or .tools/bin; missing means failed."""
    for candidate in (BIN / name, ROOT / ".tools" / "bin" / name):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run scripts/bootstrap (it installs both linters)")
    return found


def test_the_expected_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == [
        "tenant-adopt.yml",
        "tenant-apply.yml",
        "tenant-drift.yml",
        "tenant-pr.yml",
        "tenant-preview.yml",
    ]


# --- Linters -------------------------------------------------------------------------


def test_actionlint_finds_nothing() -> None:
    result = subprocess.run(
        [tool("actionlint"), "-no-color", *map(str, WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.parametrize("persona", ["regular", "pedantic", "auditor"])
def test_zizmor_finds_nothing_offline(persona: str) -> None:
    result = subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            "--persona",
            persona,
            "--format",
            "json",
            "--config",
            str(GITHUB / "zizmor.yml"),
            str(GITHUB),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(result.stdout or "null")
    assert findings == [], json.dumps(findings, indent=1)[:4000] + result.stderr[-2000:]
    assert result.returncode == 0, result.stderr[-2000:]


def test_zizmor_audits_every_workflow_and_the_action() -> None:
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--config", ".github/zizmor.yml", ".github"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    for path in [*WORKFLOWS, *ACTION_FILES]:
        assert f"completed {path.relative_to(ROOT)}" in result.stderr, path


def test_zizmor_config_silences_only_what_it_justifies() -> None:
    text = (GITHUB / "zizmor.yml").read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    assert set(config["rules"]) == {"self-repository", "dangerous-triggers"}
    assert "actionlint" in text  # the reason: actionlint rejects the `$/` form
    # workflow_run, and only for the preview that reads the pull request as data.
    assert config["rules"]["dangerous-triggers"] == {"ignore": ["tenant-preview.yml"]}
    assert "pull_tree.py" in text and "docs/security.md" in text


# --- Triggers, permissions, pinning --------------------------------------------------


def test_no_workflow_uses_pull_request_target() -> None:
    for path in WORKFLOWS:
        code = [line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()]
        assert not any("pull_request_target" in line for line in code), path.name
        assert "pull_request_target" not in triggers(load(path)), path.name


def test_the_pull_request_workflow_runs_for_every_pull_request() -> None:
    # No `paths` filter: a change to tests/, scripts/ or the Makefile is tested too, and no
    # second workflow can turn the required check green without testing (L5).
    on = triggers(load(GITHUB / "workflows" / "tenant-pr.yml"))
    assert on == {"pull_request": None}
    pr = jobs("tenant-pr.yml")
    assert pr["check"]["name"] == "Tenant PR check"
    assert pr["check"]["needs"] == ["validate", "changes", "code"]


def test_any_change_outside_tenants_is_tested() -> None:
    pr = jobs("tenant-pr.yml")
    diff = next(s for s in steps(pr["changes"]) if s.get("id") == "diff")
    assert "':(exclude)tenants/'" in diff["run"] and "github.event.pull_request.base.sha" in str(
        diff["env"]
    )
    # Skipped only when the diff says nothing outside tenants/ changed (a failed diff tests).
    assert "needs.changes.outputs.code != 'false'" in pr["code"]["if"]
    assert any(".ci/run" in str(s.get("run")) for s in steps(pr["code"]))


def test_codeowners_is_checked_on_every_pull_request() -> None:
    validate = jobs("tenant-pr.yml")["validate"]
    assert any(s.get("run") == "reconciler codeowners --check" for s in steps(validate))


def test_top_level_permissions_are_empty() -> None:
    for path in WORKFLOWS:
        assert load(path).get("permissions") == {}, path.name


def test_every_job_states_its_permissions() -> None:
    for workflow, name, job in all_jobs():
        assert "permissions" in job, f"{workflow}: job {name} inherits permissions"


def test_id_token_only_where_google_cloud_is_reached() -> None:
    for workflow, name, job in all_jobs():
        authenticates = any(AUTH in str(s.get("uses", "")) for s in steps(job))
        wants_token = (job.get("permissions") or {}).get("id-token") == "write"
        assert authenticates == wants_token, f"{workflow}: job {name}"


def test_no_job_holds_cloud_credentials_and_github_write_access() -> None:
    for workflow, name, job in all_jobs():
        granted = job.get("permissions") or {}
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert not ({"id-token"} < writes), f"{workflow}: job {name} has {sorted(writes)}"


def uses_lines() -> Iterator[tuple[str, str]]:
    for path in [*WORKFLOWS, *ACTION_FILES]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"^\s*(-\s+)?uses:", line):
                yield path.name, line.split("uses:", 1)[1].strip()


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    seen = list(uses_lines())
    assert seen
    for where, ref in seen:
        if ref.startswith("./"):
            assert ref == "./.github/actions/setup-reconciler", (where, ref)
            continue
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+", ref), (
            f"{where}: `{ref}` is not pinned as owner/repo@<40-hex sha> # vX.Y.Z"
        )


def test_one_commit_per_action() -> None:
    pins: dict[str, set[str]] = {}
    for _, ref in uses_lines():
        if not ref.startswith("./"):
            action, rest = ref.split("@", 1)
            pins.setdefault(action, set()).add(rest)
    assert all(len(versions) == 1 for versions in pins.values()), pins


def test_checkouts_do_not_persist_credentials() -> None:
    for workflow, name, job in all_jobs():
        for step in steps(job):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, (workflow, name)


def test_no_expression_is_expanded_inside_a_script() -> None:
    # Template injection: `${{ }}` values reach scripts through env variables only.
    for workflow, name, job in all_jobs():
        for step in steps(job):
            assert "${{" not in str(step.get("run", "")), (workflow, name, step.get("name"))
    for path in ACTION_FILES:
        for step in load(path)["runs"]["steps"]:
            assert "${{" not in str(step.get("run", "")), (path, step.get("name"))


# --- Forks, concurrency, environments ------------------------------------------------


def test_pull_request_workflows_hold_no_credential_secret_or_token() -> None:
    # They run the pull request's own code: no id-token, no secret, no token, read only.
    for path in WORKFLOWS:
        document = load(path)
        if "pull_request" not in triggers(document):
            continue
        text = path.read_text(encoding="utf-8")
        assert "secrets." not in text and "github.token" not in text, path.name
        assert AUTH not in text and "id-token" not in text, path.name
        for name, job in document["jobs"].items():
            assert job["permissions"] in ({}, {"contents": "read"}), (path.name, name)
            assert "environment" not in job, (path.name, name)


def test_the_preview_runs_main_code_and_reads_the_pull_request_as_data() -> None:
    preview = load(GITHUB / "workflows" / "tenant-preview.yml")
    assert triggers(preview) == {
        "workflow_run": {"workflows": ["Tenant PR"], "types": ["completed"]}
    }
    assert load(GITHUB / "workflows" / "tenant-pr.yml")["name"] == "Tenant PR"
    for name, job in preview["jobs"].items():
        for step in steps(job):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                # The default checkout of workflow_run: main, never the pull request's code.
                assert set(step.get("with", {})) <= {"persist-credentials", "fetch-depth"}
            if "download-artifact" in str(step.get("uses", "")):
                assert step["with"]["path"].startswith("${{ runner.temp }}/"), name
    # Which pull request: GitHub says (open, into main, head is the run's), before anything.
    bind = preview["jobs"]["bind"]
    guard = " ".join(str(bind["if"]).split())
    assert "workflow_run.head_repository.full_name == github.repository" in guard
    assert bind["permissions"] == {"contents": "read", "pull-requests": "read"}
    assert "python -m reconciler.github.preview bind" in " ".join(
        str(s.get("run")) for s in steps(bind)
    )
    assert "github.event.workflow_run.pull_requests" in str(steps(bind)[-1]["env"]["PULLS"])
    plan = preview["jobs"]["plan"]
    assert plan["needs"] == "bind" and plan["if"] == "needs.bind.outputs.pr != ''"
    names = [str(s.get("name", s.get("uses", ""))) for s in steps(plan)]
    order = [
        "Read the pull request's manifests from git (objects only, never checked out)",
        "Download what the pull request's run uploaded (untrusted, only compared)",
        "Compare the upload with the commit",
        "Validate them with main's validator",
        "Put the validated manifests in place of main's",
        "Authenticate to Google Cloud (read-only)",
    ]
    assert [names.index(n) for n in order] == sorted(names.index(n) for n in order)
    # Nothing reads the upload but the comparison; the impact document (another upload) only
    # main's bounded reader, before any credential.
    runs = " ".join(str(s.get("run", "")) for job in preview["jobs"].values() for s in steps(job))
    assert runs.count('"$RUNNER_TEMP/untrusted"') == 1 and "intake.py" not in runs
    assert runs.count("untrusted-impact") == 1
    assert 'reconciler impact --from "$RUNNER_TEMP/untrusted-impact/impact.json"' in runs
    render = names.index("Render it with main's reconciler (read as data, bounded, escaped)")
    assert render < names.index("Authenticate to Google Cloud (read-only)")
    report = preview["jobs"]["report"]
    assert "needs.bind.outputs.pr != ''" in report["if"]
    assert "--only-if-head" in runs
    assert preview["env"]["RECONCILER_CLIENT_SECRETS"] == "unread"


def test_validation_runs_for_every_pull_request_without_credentials() -> None:
    validate = jobs("tenant-pr.yml")["validate"]
    assert "if" not in validate
    assert validate["permissions"] == {"contents": "read"}
    assert any("reconciler validate --format github" in str(s.get("run")) for s in steps(validate))


def test_every_workflow_that_acts_on_stacks_queues_in_one_group_never_cancelled() -> None:
    # Apply, destroy, replace (tenant-apply.yml) and adopt (tenant-adopt.yml) all write
    # stacks: one group, so no two of them ever run at once (L6), and none cancels another.
    acting = {
        w for w, _, job in all_jobs() if str(job.get("environment", "")).startswith("tenant-")
    }
    assert acting == {"tenant-apply.yml", "tenant-adopt.yml"}
    for workflow in sorted(acting):
        document = load(GITHUB / "workflows" / workflow)
        concurrency = document["concurrency"]
        assert concurrency == {"group": "tenant-deploy", "cancel-in-progress": False}, workflow
        # Job-level concurrency on the matrix would make shards cancel one another.
        assert all("concurrency" not in job for job in document["jobs"].values())
    groups = [load(p).get("concurrency", {}).get("group") for p in WORKFLOWS]
    assert groups.count("tenant-deploy") == len(acting)


def test_adoption_runs_only_behind_the_reviewed_adopt_environment_on_main() -> None:
    document = load(GITHUB / "workflows" / "tenant-adopt.yml")
    assert set(triggers(document)) == {"workflow_dispatch"}
    assert document["concurrency"]["group"] == "tenant-deploy"  # queues with the applies
    adopting = [
        (workflow, name, job)
        for workflow, name, job in all_jobs()
        if any("reconciler adopt" in str(s.get("run", "")) for s in steps(job))
    ]
    assert [(w, n) for w, n, _ in adopting] == [("tenant-adopt.yml", "adopt")]
    job = adopting[0][2]
    assert job["environment"] == "tenant-adopt"
    assert job["if"] == "github.ref == 'refs/heads/main'"


def test_deletions_run_only_in_the_reviewed_environment() -> None:
    for workflow, name, job in all_jobs():
        environment = job.get("environment")
        runs_apply = any("reconciler apply" in str(s.get("run", "")) for s in steps(job))
        if environment == "tenant-destroy":
            assert workflow == "tenant-apply.yml" and runs_apply and name in ("destroy", "replace")
        elif runs_apply:
            assert workflow == "tenant-apply.yml" and environment == "tenant-apply", name


def test_the_apply_shards_exclude_deletions() -> None:
    split = next(s for s in steps(jobs("tenant-apply.yml")["plan"]) if s.get("id") == "split")
    assert 'IN("create", "update", "retry")' in split["run"]
    assert "delete" not in split["run"]


def test_matrix_jobs_are_bounded_and_sharded() -> None:
    matrix_jobs = [(w, n, j) for w, n, j in all_jobs() if "strategy" in j]
    assert {(w, n) for w, n, _ in matrix_jobs} == {
        ("tenant-preview.yml", "preview"),
        ("tenant-apply.yml", "apply"),
    }
    for workflow, name, job in matrix_jobs:
        strategy = job["strategy"]
        assert 1 <= strategy["max-parallel"] <= 8, (workflow, name)
        assert strategy["fail-fast"] is False
        assert "fromJSON(needs.plan.outputs.shards)" in strategy["matrix"]["shard"]
        assert any('--shard "$SHARD"' in str(s.get("run", "")) for s in steps(job))
        uploads = [s for s in steps(job) if "upload-artifact" in str(s.get("uses", ""))]
        assert uploads and "strategy.job-index" in uploads[0]["with"]["name"]


def test_the_matrix_comes_from_the_reconciler() -> None:
    for workflow in ("tenant-preview.yml", "tenant-apply.yml"):
        plan = jobs(workflow)["plan"]
        assert any('--matrix "$MAX_SHARDS"' in str(s.get("run", "")) for s in steps(plan))


def test_reports_are_merged_and_posted_once() -> None:
    for workflow in ("tenant-preview.yml", "tenant-apply.yml"):
        report = jobs(workflow)["report"]
        scripts = " ".join(str(s.get("run", "")) for s in steps(report))
        assert "reconciler report" in scripts and "--format markdown" in scripts
        assert "GITHUB_STEP_SUMMARY" in scripts
        assert "python -m reconciler.report.comment comment" in scripts
        assert report["permissions"].get("pull-requests") == "write"


def test_drift_syncs_one_issue() -> None:
    drift = load(GITHUB / "workflows" / "tenant-drift.yml")
    assert set(triggers(drift)) == {"schedule", "workflow_dispatch"}
    issue = drift["jobs"]["issue"]
    assert issue["permissions"] == {"contents": "read", "issues": "write"}
    command = "python -m reconciler.report.comment drift-issue"
    assert any(command in str(s.get("run", "")) for s in steps(issue))


# --- Google Cloud access -------------------------------------------------------------


def test_google_cloud_access_is_keyless_and_per_role() -> None:
    for workflow, name, job in all_jobs():
        for step in steps(job):
            if AUTH not in str(step.get("uses", "")):
                continue
            settings = step["with"]
            assert set(settings) == {"workload_identity_provider", "service_account"}
            account = settings["service_account"]
            writes = any(
                re.search(r"\breconciler (apply|adopt)\b", str(s.get("run", "")))
                for s in steps(job)
            )
            expected = "GCP_DEPLOY_SERVICE_ACCOUNT" if writes else "GCP_PREVIEW_SERVICE_ACCOUNT"
            if workflow == "tenant-drift.yml":
                expected = "GCP_DRIFT_SERVICE_ACCOUNT"  # a refresh decrypts state
            assert account == f"${{{{ vars.{expected} }}}}", (workflow, name)
    text = "".join(p.read_text(encoding="utf-8") for p in WORKFLOWS)
    assert "credentials_json" not in text


def test_engine_jobs_point_at_the_real_backend() -> None:
    for workflow in WORKFLOWS:
        document = load(workflow)
        for name, job in document["jobs"].items():
            if not any(AUTH in str(s.get("uses", "")) for s in steps(job)):
                continue
            env = {**document.get("env", {}), **job.get("env", {})}
            # Google Cloud unless the repository variable says otherwise (the act harness
            # sets it to `sandbox`; on GitHub it stays unset).
            assert env["RECONCILER_TARGET"] == TARGET, (workflow.name, name)
            for variable in (
                "RECONCILER_BACKEND_URL",
                "RECONCILER_SECRETS_PROVIDER",
                "RECONCILER_GCP_PROJECT",
            ):
                assert env[variable] == f"${{{{ vars.{variable} }}}}", (workflow.name, name)


@pytest.mark.parametrize(("workflow", "job"), [*ACTING, ADOPTING])
def test_acting_jobs_read_client_secrets_from_secret_manager(workflow: str, job: str) -> None:
    # No repository secret per tenant: adding a tenant never edits a workflow.
    assert jobs(workflow)[job]["env"]["RECONCILER_CLIENT_SECRETS"] == "secret-manager"


def test_no_workflow_reads_a_repository_secret() -> None:
    for path in WORKFLOWS:
        assert "secrets." not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize(("workflow", "job"), ACTING)
def test_every_acting_job_checks_approval_then_the_head_of_main_before_its_credential(
    workflow: str, job: str
) -> None:
    found = jobs(workflow)[job]
    runs = [str(s.get("run", "")) for s in steps(found)]
    approval = next(i for i, r in enumerate(runs) if r.startswith(APPROVAL))
    check = runs.index(".github/scripts/head-of-main")
    auth = next(i for i, s in enumerate(steps(found)) if AUTH in str(s.get("uses", "")))
    assert (approval, check) == (auth - 2, auth - 1), (workflow, job)
    # The plan checked the whole range (once: GITHUB_TOKEN's rate limit); this job needs it
    # and re-reads only the approval of the pull request merged as this commit.
    assert found["needs"] == "plan" and "always()" not in str(found.get("if", ""))
    assert str(steps(found)[approval]["run"]).strip() == APPROVAL_TIP_RUN
    assert steps(found)[approval]["env"] == APPROVAL_ENV
    assert {k: v for k, v in found["permissions"].items() if k != "id-token"} == {
        "contents": "read",
        "pull-requests": "read",
    }
    assert steps(found)[0]["with"]["fetch-depth"] == 0  # main's history: head-of-main


def test_the_acceptance_pull_request_starts_a_push_run() -> None:
    # The recovery edits only ACCEPTED_THROUGH in this workflow: its merge must start a
    # push run, the only kind the next check starts from (review session 4, 1.3).
    paths = triggers(load(GITHUB / "workflows" / "tenant-apply.yml"))["push"]["paths"]
    assert ".github/workflows/tenant-apply.yml" in paths
    assert ".github/CODEOWNERS" in paths  # what the check reads


APPROVAL_RUN = (
    'reconciler approval --commit "$SHA" --before "$BEFORE" --format github '
    '--workflow tenant-apply.yml --accepted-through "$ACCEPTED_THROUGH"'
)


APPROVAL_TIP_RUN = (
    'reconciler approval --commit "$SHA" --before "$BEFORE" --format github --only-commit'
)
APPROVAL_ENV = {
    "GITHUB_TOKEN": "${{ github.token }}",
    "SHA": "${{ github.sha }}",
    "BEFORE": "${{ github.event.before }}",
}


def _checks_every_merge_since_the_last_deploy(found: dict[str, Any], approval: int) -> None:
    assert str(steps(found)[approval]["run"]).strip() == APPROVAL_RUN
    assert steps(found)[approval]["env"] == APPROVAL_ENV
    # Reviews need pull-requests: read, the last successful run actions: read; nothing
    # is written.
    assert {k: v for k, v in found["permissions"].items() if k != "id-token"} == {
        "contents": "read",
        "pull-requests": "read",
        "actions": "read",
    }
    checkout = steps(found)[0]
    assert checkout["with"]["fetch-depth"] == 0  # main's history: the range, CODEOWNERS


def test_the_plan_checks_every_merge_since_the_last_deploy_before_its_credential() -> None:
    # A run that succeeds is the next run's "last deploy": its plan checks the approvals
    # whether or not anything is applied (no work, or main moved on), before any credential.
    plan = jobs("tenant-apply.yml")["plan"]
    runs = [str(s.get("run", "")) for s in steps(plan)]
    approval = next(i for i, r in enumerate(runs) if r.startswith(APPROVAL))
    auth = next(i for i, s in enumerate(steps(plan)) if AUTH in str(s.get("uses", "")))
    assert approval == auth - 1 and "if" not in steps(plan)[approval]
    _checks_every_merge_since_the_last_deploy(plan, approval)
    assert load(GITHUB / "workflows" / "tenant-apply.yml")["env"]["ACCEPTED_THROUGH"] == ""


def test_the_adoption_rechecks_the_head_of_main_right_before_its_credential() -> None:
    # No approval step: adopting imports existing tenants into their stacks and changes no
    # resource; the tenant-adopt reviewer approves the run itself (docs/security.md).
    found = jobs(ADOPTING[0])[ADOPTING[1]]
    runs = [str(s.get("run", "")) for s in steps(found)]
    check = runs.index(".github/scripts/head-of-main")
    auth = next(i for i, s in enumerate(steps(found)) if AUTH in str(s.get("uses", "")))
    assert check == auth - 1
    # A private repository's fetch of main needs the job's token (a failed fetch refuses).
    assert steps(found)[check]["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    assert steps(found)[0]["with"]["fetch-depth"] == 0


def test_the_head_of_main_check_refuses_with_exit_4() -> None:
    script = (GITHUB / "scripts" / "head-of-main").read_text(encoding="utf-8")
    assert "exit 4" in script and "Refused: not the head of main" in script
    assert "|| true" not in script  # a failed fetch refuses (see test_head_of_main.py)


def test_the_destroy_job_passes_action_delete_and_nothing_else() -> None:
    run = next(
        str(s["run"])
        for s in steps(jobs("tenant-apply.yml")["destroy"])
        if "reconciler apply" in str(s.get("run", ""))
    )
    assert "--action delete" in run
    assert run.count("--action") == 1 and "--allow-replace" not in run and "--force" not in run


# --- Tool versions: one place, equal to scripts/bootstrap ----------------------------


def bootstrap_pin(variable: str) -> str:
    text = (ROOT / "scripts" / "bootstrap").read_text(encoding="utf-8")
    found = re.search(rf"^{variable}=([0-9.]+)$", text, re.MULTILINE)
    assert found, f"scripts/bootstrap no longer sets {variable}"
    return found.group(1)


def setup_step(uses_prefix: str) -> dict[str, Any]:
    found = [
        s
        for s in load(SETUP_ACTION)["runs"]["steps"]
        if str(s.get("uses", "")).startswith(uses_prefix)
    ]
    assert len(found) == 1, uses_prefix
    return found[0]


def test_the_pulumi_cli_version_equals_bootstrap() -> None:
    assert setup_step("pulumi/actions@")["with"]["pulumi-version"] == bootstrap_pin(
        "PULUMI_VERSION"
    )


def test_the_pulumi_version_is_named_in_one_place() -> None:
    texts = {p: p.read_text(encoding="utf-8") for p in [*WORKFLOWS, *ACTION_FILES]}
    assert [p for p, t in texts.items() if "pulumi/actions@" in t] == [SETUP_ACTION]
    assert sum(t.count("pulumi-version") for t in texts.values()) == 1
    assert sum(t.count(bootstrap_pin("PULUMI_VERSION")) for t in texts.values()) == 1


def test_uv_and_the_locked_environment() -> None:
    uv = setup_step("astral-sh/setup-uv@")["with"]
    assert uv["version"] == bootstrap_pin("UV_VERSION")
    assert uv["enable-cache"] == "false"
    scripts = [s.get("run", "") for s in load(SETUP_ACTION)["runs"]["steps"]]
    # The engine commands need the deploy extra (Pulumi, pulumi-gcp); the core install lacks it.
    assert "uv sync --frozen --no-dev --extra deploy" in scripts


def test_jobs_that_run_the_engine_install_the_pulumi_cli() -> None:
    for workflow, name, job in all_jobs():
        runs_engine = any(ENGINE_COMMAND.search(str(s.get("run", ""))) for s in steps(job))
        setup = [s for s in steps(job) if s.get("uses") == "./.github/actions/setup-reconciler"]
        assert len(setup) <= 1, (workflow, name)
        wants_pulumi = bool(setup) and setup[0].get("with", {}).get("pulumi") == "true"
        assert runs_engine == wants_pulumi, (workflow, name)


# --- Authoring: pre-commit hook, `reconciler new`, `reconciler schema` ----------------


def hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["validate-tenants"]
    return dict(hooks[0])


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("tenants/acme.yaml", True),
        ("tenants/acme-labs.yml", True),
        ("tenants/sub/acme.yaml", False),
        ("tenants/README.md", False),
        ("schema/tenant.schema.json", False),
        ("other/tenants/acme.yaml", False),
    ],
)
def test_the_hook_runs_on_tenant_manifests_only(path: str, matches: bool) -> None:
    assert bool(re.search(hook()["files"], path)) is matches


def test_the_hook_passes_filenames_to_reconciler_validate() -> None:
    definition = hook()
    assert definition["entry"] == "reconciler validate"
    assert definition["pass_filenames"] is True
    assert definition["language"] == "python"


OWNER = ("--owner", "ml@acme.io")


def reconciler(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "reconciler"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(cwd)},
    )


@pytest.fixture
def authoring_root(tmp_path: Path) -> Path:
    """A repository as an author has it: platform settings and an empty tenants/."""
    shutil.copy(ROOT / "platform.yaml", tmp_path / "platform.yaml")
    (tmp_path / "tenants").mkdir()
    return tmp_path


def test_a_new_manifest_passes_the_hook(authoring_root: Path) -> None:
    created = reconciler("new", "acme", "--owner", "ml@acme.io", cwd=authoring_root)
    assert created.returncode == 0, created.stderr
    manifest = authoring_root / "tenants" / "acme.yaml"
    assert "name: acme" in manifest.read_text(encoding="utf-8")
    # What pre-commit runs: the entry, then the changed files, from the repository root.
    checked = reconciler(*hook()["entry"].split()[1:], "tenants/acme.yaml", cwd=authoring_root)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_hook_rejects_a_broken_manifest_with_its_location(authoring_root: Path) -> None:
    reconciler("new", "acme", *OWNER, cwd=authoring_root)
    manifest = authoring_root / "tenants" / "acme.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("kind: Tenant", "kind: X"))
    checked = reconciler("validate", "tenants/acme.yaml", cwd=authoring_root)
    assert checked.returncode == 1
    assert "tenants/acme.yaml:3:" in checked.stdout + checked.stderr


def test_github_format_annotates_the_line(authoring_root: Path) -> None:
    reconciler("new", "acme", *OWNER, cwd=authoring_root)
    manifest = authoring_root / "tenants" / "acme.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("kind: Tenant", "kind: X"))
    checked = reconciler("validate", "--format", "github", cwd=authoring_root)
    assert checked.returncode == 1
    assert "::error file=tenants/acme.yaml,line=3," in checked.stdout


@pytest.mark.parametrize("name", ["Acme", "a", "acme-", "9acme", "acme_labs"])
def test_new_refuses_a_bad_name(authoring_root: Path, name: str) -> None:
    assert reconciler("new", name, *OWNER, cwd=authoring_root).returncode == 2
    assert list((authoring_root / "tenants").iterdir()) == []


def test_new_never_overwrites_without_force(authoring_root: Path) -> None:
    reconciler("new", "acme", *OWNER, cwd=authoring_root)
    manifest = authoring_root / "tenants" / "acme.yaml"
    manifest.write_text("# edited by hand\n", encoding="utf-8")
    assert reconciler("new", "acme", *OWNER, cwd=authoring_root).returncode == 2
    assert manifest.read_text(encoding="utf-8") == "# edited by hand\n"
    assert reconciler("new", "acme", "--force", *OWNER, cwd=authoring_root).returncode == 0
    assert "kind: Tenant" in manifest.read_text(encoding="utf-8")


def test_schema_prints_the_tenant_schema(tmp_path: Path) -> None:
    printed = reconciler("schema", cwd=tmp_path)
    assert printed.returncode == 0
    assert json.loads(printed.stdout) == json.loads(
        (ROOT / "schema" / "tenant.schema.json").read_text(encoding="utf-8")
    )


# --- The pull-request comment at fleet scale -----------------------------------------

STEP_TYPES = (
    ("update", "gcp:storage/bucket:Bucket", ("labels", "versioning", "lifecycleRules")),
    ("create", "gcp:serviceaccount/account:Account", ()),
    ("replace", "gcp:identityplatform/tenant:Tenant", ("displayName", "mfaConfig")),
    ("update", "gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig", ("clientSecret",)),
    ("create", "gcp:storage/bucketIAMMember:BucketIAMMember", ()),
)
LONG_REASON = (
    "the tenant program failed: googleapi: Error 403: Permission 'identitytoolkit.tenants.update'"
    " denied on resource '//identitytoolkit.googleapis.com/projects/acme-ml/tenants/{t}' (or it"
    " may not exist). | details: caller does not have permission, forbidden; retry after the "
    "deploy service account has roles/identityplatform.admin\nsecond line of the error"
)


def fleet(bad_every: int) -> Report:
    """500 tenants with five resource steps each; every `bad_every`-th failed or blocked."""
    outcomes = []
    for i in range(500):
        name = f"tenant-{i:03d}-vision-research-lab"
        status = "planned"
        if i % bad_every == 0:
            status = "failed"
        elif i % bad_every == 1:
            status = "blocked"
        outcomes.append(
            Outcome(
                tenant=name,
                action="update",
                status=status,
                reason=LONG_REASON.format(t=name),
                steps=tuple(
                    ResourceStep(op, kind, f"{name}-{kind.rsplit(':', 1)[-1].lower()}", diffs)
                    for op, kind, diffs in STEP_TYPES
                ),
            )
        )
    return Report("preview", tuple(outcomes), engine_operations=500)


def assert_fits_and_names_the_bad(report: Report) -> None:
    text = render_markdown(report)
    assert len(text) <= COMMENT_LIMIT
    assert text.startswith(MARKER)
    bad = [o.tenant for o in report.outcomes if o.status in ("failed", "blocked")]
    assert bad
    missing = [name for name in bad if f"`{name}`" not in text]
    assert not missing, f"{len(missing)} failed/blocked tenants not named, e.g. {missing[:3]}"


def test_a_fleet_comment_fits_and_names_every_failed_or_blocked_tenant() -> None:
    assert_fits_and_names_the_bad(fleet(bad_every=10))  # 100 of 500 need attention


def test_a_comment_where_every_tenant_needs_attention_still_fits() -> None:
    assert_fits_and_names_the_bad(fleet(bad_every=2))  # all 500 failed or blocked


def test_the_impact_is_computed_without_credentials_and_read_as_data_by_main() -> None:
    """The pull request's own code computes the impact (no credential: an aid, not a
    control); main's reconciler reads the document as data before anything authenticates."""
    impact = jobs("tenant-pr.yml")["impact"]
    assert impact["permissions"] == {"contents": "read"}
    assert any("reconciler impact --base" in str(s.get("run", "")) for s in steps(impact))
    plan = jobs("tenant-preview.yml")["plan"]
    names = [str(s.get("name", s.get("uses", ""))) for s in steps(plan)]
    render = names.index("Render it with main's reconciler (read as data, bounded, escaped)")
    assert render < names.index("Authenticate to Google Cloud (read-only)")
    script = str(steps(plan)[render]["run"])
    assert "reconciler impact --from" in script and "--base" not in script
