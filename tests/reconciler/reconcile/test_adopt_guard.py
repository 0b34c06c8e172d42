"""An identity tenant is held by one stack at most (L3): adopting one that another
deployed stack holds is refused, named, and changes nothing; reading the holders from the
backend's checkpoints gives what the engine gives."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.engine.backend.records import StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.reconcile.adopt import adopt
from reconciler.reconcile.adopt_guard import held_by_checkpoints, held_in_backend
from tests.fake_engine import FakeEngine
from tests.reconciler.reconcile.test_adopt import (
    STATEFUL,
    Directory,
    context,
    desired,
    live,
    manifest,
    tenant_resource,
)


def orphan(engine: FakeEngine) -> dict[str, DeployedStack]:
    """Stack `old`: a tenant whose manifest is gone, its protected stack still holding the
    identity tenant acme-k3x9f."""
    engine.state["old"] = [tenant_resource("old", "old-identity", "acme-k3x9f", "Acme-One")]
    return {"old": DeployedStack("old", StackRecord("fp", "succeeded", True, "sh"), locked=False)}


def test_an_identity_tenant_another_stack_holds_is_not_adopted() -> None:
    engine = FakeEngine()
    deployed = orphan(engine)
    [outcome] = adopt(
        [desired(manifest(adopt_id="acme-k3x9f"))], deployed, context(engine, Directory(live()))
    )
    assert outcome.status == "failed"
    assert "identity tenant acme-k3x9f is already held by stack old" in outcome.reason
    assert "nothing was changed" in outcome.reason
    assert not any(call in STATEFUL for call in engine.calls_for("acme"))


def test_the_holders_can_come_from_the_checkpoints(tmp_path: Path) -> None:
    folder = tmp_path / ".pulumi" / "stacks" / "p"
    folder.mkdir(parents=True)
    resources = [
        {"type": "pulumi:pulumi:Stack", "outputs": {}},
        {"type": "gcp:identityplatform/tenant:Tenant", "outputs": {"name": "acme-k3x9f"}},
    ]
    checkpoint = {"version": 3, "checkpoint": {"latest": {"resources": resources}}}
    (folder / "old.json").write_text(json.dumps(checkpoint))
    (folder / "new.json").write_text(json.dumps({"version": 3, "checkpoint": {}}))
    assert held_in_backend(tmp_path.as_uri(), "p", ["old", "new"]) == {"acme-k3x9f": "old"}
    assert held_in_backend("s3://elsewhere", "p", ["old"]) is None
    engine = FakeEngine()
    deployed = orphan(engine)
    held = held_by_checkpoints_for(tmp_path)
    [outcome] = adopt(
        [desired(manifest(adopt_id="acme-k3x9f"))],
        deployed,
        context(engine, Directory(live())),
        held,
    )
    assert "already held by stack old" in outcome.reason


def held_by_checkpoints_for(root: Path) -> dict[str, str]:
    from reconciler.engine.backend.state import FileBucket

    return held_by_checkpoints(FileBucket(root), "p", ["old"])
