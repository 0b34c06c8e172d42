"""Options travel down typed: what the command line says reaches the stage that acts on it.

The issue's repro: `--lock-wait 0` became 120 s, because an `argparse.Namespace` travelled
down and `getattr(args, "lock_wait", None) or DEFAULT` read 0 as "not given".
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.main import main
from tests.fake_engine import FakeEngine
from tests.repo import REPO


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("schema", "tenants"):
        shutil.copytree(REPO / name, tmp_path / name)
    (tmp_path / "platform.yaml").write_text((REPO / "platform.yaml").read_text())
    return tmp_path


@pytest.fixture
def reached(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What act was handed: the engine is a fake, act's stages record their context."""
    import reconciler.cli.runtime
    import reconciler.engine.automation
    from reconciler.reconcile import act

    seen: dict[str, Any] = {}
    engine = FakeEngine()
    monkeypatch.setattr(reconciler.cli.runtime, "engine_settings", lambda *_a, **_k: None)
    monkeypatch.setattr(reconciler.engine.automation, "AutomationEngine", lambda _s: engine)

    def stage(name: str):
        def record(changes, ctx):
            seen.update(stage=name, ctx=ctx, tenants=[c.tenant for c in changes])
            return []

        return record

    for name in ("apply", "preview", "drift"):
        monkeypatch.setattr(act, name, stage(name))
    return seen


@pytest.mark.parametrize(
    ("argv", "wait"),
    [
        (["apply", "--lock-wait", "0"], 0.0),
        (["apply", "--lock-wait", "7.5"], 7.5),
        (["apply"], 120.0),
        (["preview"], 120.0),
    ],
)
def test_lock_wait_reaches_act_as_given(root: Path, reached, argv, wait) -> None:
    assert main(["--root", str(root), "--quiet", *argv]) == 0
    assert reached["ctx"].retry_wait == wait


def test_apply_options_reach_act(root: Path, reached) -> None:
    argv = ["apply", "--parallel", "3", "--allow-replace", "tenant-one", "--refresh"]
    assert main(["--root", str(root), "--quiet", *argv, "--tenant", "tenant-two"]) == 0
    ctx = reached["ctx"]
    assert (ctx.parallel, ctx.allow_replace, ctx.refresh) == (3, {"tenant-one"}, True)
    assert reached["tenants"] == ["tenant-two"]
