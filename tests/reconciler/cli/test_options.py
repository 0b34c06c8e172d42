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
from reconciler.cli.options import Globals
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


def test_the_platform_commands_get_typed_options() -> None:
    """init, platform, upgrade and adopt --write-manifests: what was typed is what arrives."""
    from reconciler.cli.options import (
        AdoptOptions,
        InitOptions,
        PlatformOptions,
        UpgradeOptions,
        parse_options,
    )
    from reconciler.cli.parser import build_parser

    def parsed(*argv: str) -> object:
        return parse_options(build_parser(Path("/r")).parse_args(argv))

    init = parsed("init", "--project", "p", "--repository", "o/r", "--repository-id", "7",
                  "--reviewer", "team:a", "--reviewer", "user:b", "--keep-examples")  # fmt: skip
    assert isinstance(init, InitOptions)
    assert init.repository_id == 7 and init.reviewers == ("team:a", "user:b")
    assert init.keep_examples and not init.force
    assert (init.location, init.kms_location) == ("EU", "global")
    up = parsed("platform", "up", "--root", "/elsewhere", "--skip-github")
    assert up == PlatformOptions(Globals(Path("/elsewhere")), "up", skip_github=True)
    preview = parsed("--quiet", "platform", "preview")
    assert isinstance(up, PlatformOptions) and isinstance(preview, PlatformOptions)
    assert up.apply and not preview.apply and preview.globals.quiet
    upgrade = parsed("upgrade", "--from", "../upstream", "--to", "v0.3.0")
    assert upgrade == UpgradeOptions(Globals(Path("/r")), "../upstream", "v0.3.0")
    adopt = parsed("adopt", "--write-manifests", "--owner", "ml@acme.io")
    assert isinstance(adopt, AdoptOptions)
    assert (adopt.write_manifests, adopt.owner) == (True, "ml@acme.io")
