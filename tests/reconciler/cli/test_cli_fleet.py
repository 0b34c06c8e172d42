"""Fleet day-2 at the command line (#11): one backend truth, errors a user can act on, and
cancellation's one outcome. Each test is a numbered repro of the issue."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli.main import main
from reconciler.engine.backend.records import STATUS_TAG, StackRecord
from reconciler.report.status import EXIT_ENVIRONMENT
from tests.repo import REPO

STACKS = ".pulumi/stacks/mlaas-tenants"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("schema", "tenants"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    for name in ("RECONCILER_BACKEND_URL", "PULUMI_BACKEND_URL", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def backend_with(path: Path, tenant: str, record: StackRecord) -> str:
    """A DIY file backend holding one stack with the reconciler's record."""
    (path / ".pulumi").mkdir(parents=True)
    (path / ".pulumi" / "meta.yaml").write_text("version: 1\n")
    stacks = path / STACKS
    stacks.mkdir(parents=True)
    (stacks / f"{tenant}.json").write_text("{}")
    tags = {"version": 1, "tags": {STATUS_TAG: record.encode()}}
    (stacks / f"{tenant}.pulumi-tags").write_text(json.dumps(tags))
    return "file://" + str(path)


def plan_actions(root: Path, capsys) -> dict[str, str]:
    code = main(["--root", str(root), "plan", "--format", "json"])
    out = capsys.readouterr().out
    assert code in (0, 4), out
    return {t["tenant"]: t["action"] for t in json.loads(out)["tenants"]}


# --- repro 5: two backends --------------------------------------------------------------------


def test_pulumi_backend_url_is_the_backend_when_ours_is_unset(root, tmp_path, monkeypatch, capsys):
    url = backend_with(tmp_path / "elsewhere", "tenant-one", StackRecord("f" * 64, "failed", True))
    monkeypatch.setenv("PULUMI_BACKEND_URL", url)
    # The stack lives in PULUMI_BACKEND_URL's backend: plan must see it, not say `create`.
    assert plan_actions(root, capsys)["tenant-one"] == "retry"


@pytest.mark.parametrize(
    "argv", [["plan"], ["preview"], ["apply"], ["drift"], ["outputs"], ["unlock", "tenant-one"]]
)
def test_two_different_backends_are_refused_naming_both(root, monkeypatch, capsys, argv):
    monkeypatch.setenv("RECONCILER_BACKEND_URL", "file:///srv/state-a")
    monkeypatch.setenv("PULUMI_BACKEND_URL", "gs://state-b")
    assert main(["--root", str(root), *argv]) == 2
    err = capsys.readouterr().err
    assert "RECONCILER_BACKEND_URL='file:///srv/state-a'" in err
    assert "PULUMI_BACKEND_URL='gs://state-b'" in err
    assert "Traceback" not in err and "internal error" not in err


def test_the_same_backend_in_both_variables_is_fine(root, tmp_path, monkeypatch, capsys):
    url = backend_with(tmp_path / "same", "tenant-one", StackRecord("f" * 64, "failed", True))
    monkeypatch.setenv("RECONCILER_BACKEND_URL", url)
    monkeypatch.setenv("PULUMI_BACKEND_URL", url + "/")
    assert plan_actions(root, capsys)["tenant-one"] == "retry"


def test_the_engine_is_always_given_the_resolved_backend(tmp_path, monkeypatch):
    from reconciler.engine.automation import AutomationEngine
    from reconciler.engine.port import EngineSettings

    monkeypatch.setenv("PULUMI_BACKEND_URL", "file:///somewhere/else")
    settings = EngineSettings(
        pulumi_project="p",
        backend_url="file:///the/one",
        secrets_provider="passphrase",
        workspaces=tmp_path,
        pulumi_binary=REPO / ".tools" / "bin" / "pulumi",
    )
    engine = AutomationEngine(settings)
    opts = engine._workspace_options(tmp_path / "w", "file:///the/one", {}, "passphrase")
    assert opts.env_vars is not None and opts.env_vars["PULUMI_BACKEND_URL"] == "file:///the/one"


# --- repro 6: errors a user can act on ------------------------------------------------------


@pytest.mark.parametrize("argv", [["plan"], ["outputs"], ["unlock", "tenant-one"]])
def test_invalid_google_credentials_are_one_line_and_exit_7(root, monkeypatch, capsys, argv):
    monkeypatch.setenv("RECONCILER_BACKEND_URL", "gs://tenant-state")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(root / "no-such-key.json"))
    assert main(["--root", str(root), *argv]) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert "internal error" not in err and "This is a bug" not in err
    assert "no usable Google credentials" in err and "GOOGLE_APPLICATION_CREDENTIALS" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("url", ["ftp://state", "s3://state"])
def test_a_backend_url_plan_refuses_is_refused_the_same_way_by_outputs(
    root, monkeypatch, capsys, url
):
    monkeypatch.setenv("RECONCILER_BACKEND_URL", url)
    answers = []
    for argv in (["plan"], ["outputs"], ["outputs", "--tenant", "tenant-one"]):
        code = main(["--root", str(root), *argv])
        err = capsys.readouterr().err
        assert "internal error" not in err and "Traceback" not in err
        answers.append((code, err.strip().splitlines()[0]))
    assert len(set(answers)) == 1, answers
    assert answers[0][0] in (1, 2)


# --- repro 7: cancellation ------------------------------------------------------------------


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_a_sigterm_before_any_engine_operation_exits_130_with_a_word():
    result = _python(
        "import os, signal\n"
        "from reconciler.cli import commands, main\n"
        "commands.run_plan = lambda *args: os.kill(os.getpid(), signal.SIGTERM) or 0\n"
        "raise SystemExit(main.main(['plan']))\n"
    )
    assert result.returncode == 130, result.stderr
    assert "reconciler: interrupted" in result.stderr
    assert "Traceback" not in result.stderr


SECOND_SIGNAL = """
import os, signal, time
from reconciler.reconcile import act
from reconciler.reconcile.plan import Action, Change, Desired
from reconciler.manifests.model import Tenant
from reconciler.manifests.platform import load_platform
from reconciler.settings import Settings
from tests.fake_engine import FakeEngine
from tests.repo import REPO

engine = FakeEngine()
def twice():
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
engine.script("a", during=twice)
tenant = Tenant(name="a", owner="o@example.com", display_name="A")
change = Change("a", Action.CREATE, "new", Desired(tenant, "fp", True))
ctx = act.ActContext(engine=engine, platform=load_platform(REPO, {}), settings=Settings(),
                     parallel=1, progress=lambda line: None, program=lambda c, e, p: (lambda: None))
act.apply([change], ctx)
print("not reached")
"""


def test_a_second_signal_exits_quietly_at_once():
    result = _python(SECOND_SIGNAL)
    assert result.returncode == 130, result.stderr
    assert "not reached" not in result.stdout
    assert "second signal" in result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
