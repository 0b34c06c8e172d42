"""The platform stack's adapter on the real Pulumi CLI and engine, with a program that needs
no cloud (component resources only): preview creates nothing, up converges and returns the
outputs, a second up has nothing to do, and a failing program is a PermanentError that
names the program's own message."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from reconciler.engine.automation.platform_stack import PlatformStack, PlatformStackSettings
from reconciler.engine.port import PermanentError
from tests.e2e.conftest import _require_pulumi

pytestmark = pytest.mark.e2e


def program() -> None:
    pulumi.ComponentResource("tenant-gitops:test:Part", "part-one")
    pulumi.export("workloadIdentityProvider", "projects/1/locations/global/x")


def failing() -> None:
    raise ValueError("the set-up refuses this on purpose")


def stack(tmp_path: Path, pulumi_home: Path) -> PlatformStack:
    (tmp_path / "state").mkdir()
    settings = PlatformStackSettings(
        project="tenant-gitops-platform",
        stack="platform",
        backend_url=f"file://{tmp_path / 'state'}",
        work_dir=tmp_path / "workspace",
        pulumi_binary=_require_pulumi(),
        env={
            "PULUMI_CONFIG_PASSPHRASE": "",
            "PULUMI_HOME": str(pulumi_home),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        },
    )
    return PlatformStack(settings)


def test_preview_then_up_then_nothing_to_do(tmp_path: Path, pulumi_home: Path):
    platform = stack(tmp_path, pulumi_home)
    preview = platform.preview(program)
    assert [(s.op, s.name) for s in preview.steps] == [("create", "part-one")]
    applied = platform.up(program)
    assert [(s.op, s.name) for s in applied.steps] == [("create", "part-one")]
    assert applied.outputs == {"workloadIdentityProvider": "projects/1/locations/global/x"}
    assert platform.up(program).steps == ()


def test_a_failing_program_is_a_permanent_error_naming_its_message(
    tmp_path: Path, pulumi_home: Path
):
    with pytest.raises(PermanentError, match="the set-up refuses this on purpose"):
        stack(tmp_path, pulumi_home).preview(failing)
