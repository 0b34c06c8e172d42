"""The command line: usage errors, exit codes, and the commands that need no engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconciler.cli.main import main
from reconciler.report.renderers import render_json
from reconciler.report.results import Outcome, Report
from tests.repo import REPO


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("schema", "tenants"):
        shutil.copytree(REPO / name, tmp_path / name)
    text = (REPO / "platform.yaml").read_text()
    (tmp_path / "platform.yaml").write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--shard", "3/2"],
        ["plan", "--shard", "x"],
        ["apply", "--parallel", "0"],
        ["plan", "--action", "nuke"],
    ],
)
def test_bad_flags_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage: reconciler" in capsys.readouterr().err


def test_plan_on_a_fresh_repository_creates_everything(root: Path, capsys):
    assert main(["--root", str(root), "plan", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(t["tenant"], t["action"]) for t in report["tenants"]] == [
        ("tenant-one", "create"),
        ("tenant-two", "create"),
    ]


def test_plan_with_an_invalid_manifest_exits_1_and_names_the_line(root: Path, capsys):
    path = root / "tenants" / "tenant-one.yaml"
    path.write_text(path.read_text().replace("displayName: Tenant-One", "displayName: T1"))
    assert main(["--root", str(root), "plan"]) == 1
    err = capsys.readouterr().err
    assert "tenants/tenant-one.yaml:" in err and "nothing was planned" in err


def test_an_unwritable_report_file_is_a_usage_error(root: Path, capsys):
    code = main(["--root", str(root), "plan", "--json-out", str(root / "no" / "such.json")])
    assert code == 2
    assert "No such file or directory" in capsys.readouterr().err


def test_an_unknown_tenant_is_a_usage_error(root: Path, capsys):
    assert main(["--root", str(root), "plan", "--tenant", "nobody"]) == 2
    assert "no tenant named nobody" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("status", "code"),
    [("succeeded", 0), ("drifted", 3), ("blocked", 4), ("failed", 5), ("cancelled", 5)],
)
def test_report_merges_shards_and_exits_by_the_worst(tmp_path: Path, status, code, capsys):
    one = Report("apply", (Outcome("a", "update", "succeeded", "ok"),), engine_operations=1)
    two = Report("apply", (Outcome("b", "update", status, "why"),), engine_operations=1)
    files = []
    for i, report in enumerate((one, two)):
        files.append(tmp_path / f"{i}.json")
        files[-1].write_text(render_json(report))
    assert main(["report", "--format", "json", *map(str, files)]) == code
    merged = json.loads(capsys.readouterr().out)
    assert [t["tenant"] for t in merged["tenants"]] == ["a", "b"]
    assert merged["engineOperations"] == 2


def test_report_refuses_a_file_that_is_not_a_report(tmp_path: Path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert main(["report", str(bad)]) == 2
    assert "not a reconciler JSON report" in capsys.readouterr().err


def test_new_writes_a_manifest_that_validates(root: Path, capsys):
    new = ["--root", str(root), "new", "acme-labs", "--owner", "ml@acme.io"]
    assert main(new) == 0
    out = capsys.readouterr().out
    assert out.startswith("wrote tenants/acme-labs.yaml\n")  # relative to the root
    assert "Next steps:" in out
    assert main(["--root", str(root), "validate"]) == 0
    assert main(new) == 2  # exists: not overwritten
    assert "tenants/acme-labs.yaml already exists" in capsys.readouterr().err


def test_new_refuses_to_write_a_placeholder_owner(root: Path, capsys):
    # The repro: `new` wrote owner@example.com and REPLACE-ME values that validated.
    with pytest.raises(SystemExit) as exited:
        main(["--root", str(root), "new", "acme-labs"])  # no owner: asked for, not invented
    assert exited.value.code == 2
    assert "--owner" in capsys.readouterr().err
    assert main(["--root", str(root), "new", "acme-labs", "--owner", "owner@example.com"]) == 2
    assert "is a placeholder" in capsys.readouterr().err
    assert not (root / "tenants" / "acme-labs.yaml").exists()


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["apply"], {}),
        (["preview"], {}),
        (["outputs", "--tenant", "tenant-one"], {}),
        # Listing stacks through the CLI needs the engine, but never starts an emulator.
        (["plan"], {"RECONCILER_INVENTORY": "cli"}),
    ],
)
def test_the_sandbox_target_outside_the_sandbox_is_a_one_line_setup_error(
    root: Path, argv, env, monkeypatch, capsys
):
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["--root", str(root), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "python -m sandbox exec --" in err
    assert not (root / ".sandbox").exists()
