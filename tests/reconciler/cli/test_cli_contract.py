"""The CLI's contract: versioned JSON for every command (checked against docs/report.schema.json),
`--version`, global options in either place, `plan --exit-code`, the deploy extra, progress on
stderr only, and repository-relative paths. Engine commands run on the in-memory fake engine."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from reconciler import version
from reconciler.cli import commands, install, session
from reconciler.cli.fleet import plan_exit
from reconciler.cli.install import pinned_versions
from reconciler.cli.main import main
from reconciler.report.results import Outcome, Report
from reconciler.report.status import EXIT_CHANGES
from tests.fake_engine import FakeEngine
from tests.repo import REPO

SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text(encoding="utf-8"))
SECRETS = {
    "TENANT_ONE_GOOGLE_CLIENT_SECRET": "s3cr3t-one",
    "TENANT_TWO_GITHUB_CLIENT_SECRET": "s3cr3t-two",
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("schema", "tenants"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    return tmp_path


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """The commands get this engine instead of the Automation-API one."""
    engine = FakeEngine()

    def factory(*_args: object) -> Callable[[], FakeEngine]:
        return lambda: engine

    monkeypatch.setattr(session, "engine_factory", factory)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return engine


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    main(argv)
    out = capsys.readouterr().out
    body = json.loads(out)  # the whole of stdout is one JSON document
    assert isinstance(body, dict)
    return body


def test_the_report_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--format", "json"],
        ["plan", "--format", "json"],
        ["preview", "--format", "json"],
        ["apply", "--format", "json"],
        ["drift", "--format", "json"],
        ["outputs", "--format", "json"],
    ],
)
def test_every_json_output_is_one_versioned_object_of_the_schema(
    root: Path, fake: FakeEngine, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    body = run_json(["--root", str(root), *argv], capsys)
    jsonschema.validate(body, SCHEMA)
    assert body["schemaVersion"] == 1 and body["command"] == argv[0]


def test_validate_json_with_errors_and_warnings_matches_the_schema(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issues carry their severity; an error and a warning both fit the contract."""
    import datetime as dt

    from tests.reconciler.manifests.test_gcp_contract import _certificate, _saml_manifest

    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    (root / "tenants" / "soon.yaml").write_text(_saml_manifest("soon", _certificate(soon)))
    (root / "tenants" / "broken.yaml").write_text("apiVersion: mlaas.dev/v1\nkind: Tenant\n")
    assert main(["--root", str(root), "validate", "--format", "json"]) == 1
    body = json.loads(capsys.readouterr().out)
    jsonschema.validate(body, SCHEMA)
    assert {issue["severity"] for issue in body["issues"]} == {"error", "warning"}
    assert body["ok"] is False


def test_json_after_an_apply_holds_camel_case_steps_and_outputs(
    root: Path, fake: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.report.results import ResourceStep

    step = ResourceStep("replace", "gcp:storage/bucket:Bucket", "data", replace_keys=("location",))
    fake.script("tenant-one", steps=(step,))
    body = run_json(["--root", str(root), "apply", "--format", "json", "-q"], capsys)
    jsonschema.validate(body, SCHEMA)
    tenants = {t["tenant"]: t for t in body["tenants"]}  # type: ignore[union-attr]
    assert tenants["tenant-two"]["outputs"] == {
        "tenantId": "tenant-two-id",
        "clientSecret": "[secret]",
    }
    # A replaced bucket is refused without --allow-replace only when the stack existed;
    # here it is new, so the step is reported as the engine gave it.
    assert tenants["tenant-one"]["steps"][0]["replaceKeys"] == ["location"]
    outputs = run_json(["--root", str(root), "outputs", "--format", "json"], capsys)
    jsonschema.validate(outputs, SCHEMA)


def test_report_merges_and_its_json_matches_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shard = tmp_path / "shard.json"
    shard.write_text(
        json.dumps(Report("apply", (Outcome("a", "update", "succeeded", ""),)).to_json())
    )
    body = run_json(["report", "--format", "json", str(shard)], capsys)
    jsonschema.validate(body, SCHEMA)


def test_report_reads_an_unversioned_shard_of_an_earlier_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = {
        "command": "apply",
        "guard": None,
        "engineOperations": 1,
        "tenants": [
            {
                "tenant": "a",
                "action": "update",
                "status": "succeeded",
                "reason": "changed",
                "steps": [
                    {"op": "replace", "type": "t", "name": "n", "diffs": [], "replace_keys": ["x"]}
                ],
                "outputs": {},
                "seconds": 1.0,
            }
        ],
    }
    shard = tmp_path / "old.json"
    shard.write_text(json.dumps(old))
    body = run_json(["report", "--format", "json", str(shard)], capsys)
    jsonschema.validate(body, SCHEMA)
    assert body["tenants"][0]["steps"][0]["replaceKeys"] == ["x"]  # type: ignore[index]


def test_report_refuses_a_newer_schema_version_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shard = tmp_path / "new.json"
    shard.write_text(json.dumps({"schemaVersion": 2, "command": "apply", "tenants": []}))
    assert main(["report", str(shard)]) == 2
    err = capsys.readouterr().err
    assert "schemaVersion 2" in err and "reads up to 1" in err and "upgrade" in err


# --- --version, global options ---------------------------------------------------------


def test_version_names_the_package_and_the_pinned_pulumi(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"reconciler (tenant-gitops) {version()}\n")
    assert "pulumi 3.260.0 (pinned; installed 3.260.0)" in out
    assert "pulumi-gcp 10.2.0 (pinned;" in out


def test_pinned_versions_are_read_from_the_requirements() -> None:
    requires = ['pulumi==3.260.0; extra == "deploy"', "pulumi-gcp==10.2.0", "pyyaml>=6"]
    assert pinned_versions(requires) == {"pulumi": "3.260.0", "pulumi-gcp": "10.2.0"}


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_options_work_before_or_after_the_subcommand(
    root: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    options = ["--root", str(root), "--quiet"]
    argv = [*options, "validate"] if where == "before" else ["validate", *options]
    assert main(argv) == 0
    assert capsys.readouterr().out == "2 manifests valid\n"


def test_an_option_after_the_subcommand_wins_over_one_before(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(tmp_path / "nowhere"), "validate", "--root", str(root)]) == 0


# --- plan --exit-code ------------------------------------------------------------------


def test_plan_exit_code_is_6_with_pending_changes(root: Path, capsys):
    assert main(["--root", str(root), "plan"]) == 0  # without the flag, as before
    assert main(["--root", str(root), "plan", "--exit-code"]) == EXIT_CHANGES == 6


def test_plan_exit_code_is_0_with_nothing_to_do(root: Path, capsys):
    for manifest in (root / "tenants").glob("*.yaml"):
        manifest.unlink()
    assert main(["--root", str(root), "plan", "--exit-code"]) == 0


@pytest.mark.parametrize(
    ("code", "actions", "detailed", "expected"),
    [
        (0, ["unchanged"], True, 0),
        (0, ["create", "unchanged"], True, 6),
        (0, ["update"], True, 6),
        (0, ["delete"], True, 6),
        (0, ["retry"], True, 6),
        (0, ["create"], False, 0),
        (4, ["create", "blocked"], True, 4),  # what needs approval wins
    ],
)
def test_plan_exit_table(code: int, actions: list[str], detailed: bool, expected: int) -> None:
    status = {"blocked": "blocked", "unchanged": "unchanged"}
    outcomes = tuple(
        Outcome(f"t{i}", a, status.get(a, "planned"), "") for i, a in enumerate(actions)
    )
    assert plan_exit(code, Report("plan", outcomes), detailed) == expected


# --- the deploy extra ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["plan", "preview", "apply", "drift", "outputs"])
def test_engine_commands_name_the_missing_extra(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    real = install.importlib.util.find_spec
    monkeypatch.setattr(
        install.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pulumi" else real(name, *a),
    )
    assert main(["--root", str(root), command]) == 2
    err = capsys.readouterr().err
    assert "pip install 'tenant-gitops[deploy]'" in err and "pulumi not installed" in err
    assert "Traceback" not in err


# --- progress and paths ----------------------------------------------------------------


def test_progress_goes_to_stderr_and_json_stdout_stays_one_object(
    root: Path, fake: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    body = run_json(["--root", str(root), "preview", "--format", "json"], capsys)
    assert body["command"] == "preview"


def test_a_captured_apply_shows_start_and_end_lines_with_groups_in_ci(
    root: Path, fake: FakeEngine, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from reconciler.report.results import ResourceStep

    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    fake.script("tenant-one", steps=(ResourceStep("create", "gcp:storage/bucket:Bucket", "data"),))
    assert main(["--root", str(root), "apply", "--parallel", "1"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert "tenant-one: create started" in err
    assert "tenant-two: create started" in err
    group = next(line for line in err if line.startswith("::group::"))
    assert group.startswith("::group::[1/2] tenant-one: create -> succeeded (")
    after = err[err.index(group) + 1 :]
    assert after[0].split() == ["create", "gcp:storage/bucket:Bucket", "data"]
    assert after[1] == "::endgroup::"
    assert any(line.startswith("[2/2] tenant-two: create -> succeeded (") for line in err)
    assert not any("\x1b[" in line for line in err)  # not a terminal: no colour codes


def test_quiet_prints_no_progress(root: Path, fake: FakeEngine, capsys) -> None:
    assert main(["--root", str(root), "apply", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "2 tenant(s): 2 succeeded" in captured.out


def test_a_missing_secret_names_the_manifest_relative_to_the_root(
    root: Path, fake: FakeEngine, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("TENANT_ONE_GOOGLE_CLIENT_SECRET")
    body = run_json(["--root", str(root), "apply", "--format", "json", "-q"], capsys)
    reasons = {t["tenant"]: t["reason"] for t in body["tenants"]}  # type: ignore[union-attr]
    assert reasons["tenant-one"].startswith("tenants/tenant-one.yaml: tenant tenant-one is missing")
    assert str(root) not in reasons["tenant-one"]


def test_a_command_reaching_for_a_missing_engine_module_names_the_extra(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run_schema(*_args: object) -> int:
        raise ModuleNotFoundError("No module named 'pulumi_gcp'", name="pulumi_gcp")

    monkeypatch.setattr(commands, "run_schema", run_schema)
    assert main(["schema"]) == 2
    err = capsys.readouterr().err
    assert "needs pulumi_gcp" in err and "tenant-gitops[deploy]" in err


def test_validate_in_ci_puts_every_error_in_the_job_summary(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # The issue's repro: 12 errors, GitHub shows 10 annotations, the comment said nothing.
    text = (root / "tenants" / "tenant-one.yaml").read_text()
    for n in range(12):
        (root / "tenants" / f"bad-{n:02}.yaml").write_text(
            text.replace("name: tenant-one", f"name: bad-{n:02}").replace("kind: Tenant", "kind: X")
        )
    summary = tmp_path / "summary.md"
    comment = tmp_path / "comment.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    argv = ["--root", str(root), "validate", "--format", "github", "--markdown-out", str(comment)]
    assert main(argv) == 1
    out = capsys.readouterr().out.splitlines()
    assert len([line for line in out if line.startswith("::error")]) == 10
    for n in range(12):
        assert f"`tenants/bad-{n:02}.yaml:3:" in summary.read_text()
        assert f"`tenants/bad-{n:02}.yaml:3:" in comment.read_text()
