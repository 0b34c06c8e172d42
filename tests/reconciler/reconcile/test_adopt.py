"""reconciler.reconcile.adopt: the pure decisions by tables, the flow against the in-memory engine.

The bad inputs of issue #16 (an unknown id, two tenants with the display name, a manifest
that would change the tenant) each end as a failed line that names what to write, with no
state-changing engine call.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine.backend.records import StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.engine.port import StateResource
from reconciler.manifests.model import Adopt, Auth, DefaultIdp, Mfa, SecretRef, Tenant
from reconciler.reconcile.adopt import AdoptContext, adopt
from reconciler.reconcile.adoption import (
    TENANT_TYPE,
    AdoptError,
    LiveTenant,
    check_idps,
    differences,
    import_ids,
    live_tenant,
    migration_moves,
    refusals,
    renames,
    resolve,
)
from reconciler.reconcile.plan import Action, Desired, make_plan
from reconciler.report.results import ResourceStep
from tests.fake_engine import FakeEngine

IDP_TYPE = "gcp:identityplatform/tenantDefaultSupportedIdpConfig:TenantDefaultSupportedIdpConfig"
PROJECT = "demo-unit"
SOURCE = "mlaas-seed/dev"


def manifest(
    adopt_id: str | None = None, password: bool = True, idps: tuple[str, ...] = ("google.com",)
) -> Tenant:
    return Tenant(
        name="acme",
        owner="o@example.com",
        display_name="Acme-One",
        auth=Auth(allow_password_signup=password),
        identity_providers=tuple(
            DefaultIdp(id=i, client_id="cid", client_secret=SecretRef(from_env="X")) for i in idps
        ),
        adopt=Adopt(tenant_id=adopt_id),
        source=Path("tenants/acme.yaml"),
    )


def live(tenant_id: str = "acme-k3x9f", display: str = "Acme-One", **fields: Any) -> dict:
    return {
        "name": f"projects/{PROJECT}/tenants/{tenant_id}",
        "tenantId": tenant_id,
        "displayName": display,
        "allowPasswordSignup": True,
        **fields,
    }


def tenant_resource(stack: str, name: str, tenant_id: str, display: str) -> StateResource:
    return StateResource(
        urn=f"urn:pulumi:{stack}::p::{TENANT_TYPE}::{name}",
        type=TENANT_TYPE,
        name=name,
        id=f"projects/{PROJECT}/tenants/{tenant_id}",
        outputs={"name": tenant_id, "displayName": display},
    )


def idp_resource(stack: str, name: str, tenant_id: str, idp: str) -> StateResource:
    return StateResource(
        urn=f"urn:pulumi:{stack}::p::{IDP_TYPE}::{name}",
        type=IDP_TYPE,
        name=name,
        id=f"projects/{PROJECT}/tenants/{tenant_id}/defaultSupportedIdpConfigs/{idp}",
        outputs={"tenant": tenant_id, "idpId": idp, "clientSecret": "[secret]"},
    )


# --- resolve ------------------------------------------------------------------------

CANDIDATES = [
    LiveTenant("a-1", "Acme-One", {}),
    LiveTenant("b-1", "Beta-One", {}),
    LiveTenant("b-2", "Beta-One", {}),
]


@pytest.mark.parametrize(
    ("tenant_id", "display", "expected"),
    [
        ("a-1", "Whatever", "a-1"),  # the id wins over the display name
        (None, "Acme-One", "a-1"),
    ],
)
def test_resolve_finds_the_tenant(tenant_id, display, expected):
    tenant = Tenant("acme", "o@x.io", display, adopt=Adopt(tenant_id), source=Path("t/acme.yaml"))
    assert resolve(tenant, CANDIDATES, "project p").id == expected


@pytest.mark.parametrize(
    ("tenant_id", "display", "message"),
    [
        ("zz-9", "Acme-One", "t/acme.yaml: spec.adopt.tenantId 'zz-9': no such tenant in "
         "project p"),
        (None, "Gamma-One", "no tenant in project p has the display name 'Gamma-One'"),
        (None, "Beta-One", "2 tenants in project p have the display name 'Beta-One' (b-1, b-2); "
         "say which one with spec.adopt.tenantId"),
    ],
)  # fmt: skip
def test_resolve_refuses_what_is_not_exactly_one_tenant(tenant_id, display, message):
    tenant = Tenant("acme", "o@x.io", display, adopt=Adopt(tenant_id), source=Path("t/acme.yaml"))
    with pytest.raises(AdoptError, match=None) as refused:
        resolve(tenant, CANDIDATES, "project p")
    assert message in str(refused.value)


# --- differences --------------------------------------------------------------------


def test_a_manifest_that_matches_the_live_tenant_has_no_differences():
    assert differences(manifest(), live_tenant(live())) == []


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (live(allowPasswordSignup=False), "spec.auth.allowPasswordSignup: the tenant has false, "
         "the manifest says true; write `allowPasswordSignup: false` under spec.auth"),
        (live(display="Acme-Two"), "spec.displayName: the tenant has 'Acme-Two', the manifest "
         "says 'Acme-One'; write `displayName: Acme-Two`"),
        (live(client={"permissions": {"disabledUserSignup": True}}),
         "write `disabledUserSignup: true` under spec.auth.clientPermissions"),
        (live(mfaConfig={"state": "ENABLED", "enabledProviders": ["PHONE_SMS"]}),
         "spec.auth.mfa: the tenant has"),
    ],
)  # fmt: skip
def test_each_difference_names_the_field_and_what_to_write(document, expected):
    found = differences(manifest(), live_tenant(document))
    assert len(found) == 1 and expected in found[0], found


def test_mfa_written_in_the_manifest_matches_the_live_settings():
    tenant = manifest()
    mfa = Auth(allow_password_signup=True, mfa=Mfa(state="ENABLED", factors=("PHONE_SMS",)))
    tenant = Tenant(**{**tenant.__dict__, "auth": mfa})
    document = live(mfaConfig={"state": "ENABLED", "enabledProviders": ["PHONE_SMS"]})
    assert differences(tenant, live_tenant(document)) == []


# --- refusals -----------------------------------------------------------------------

BUCKET = "gcp:storage/bucket:Bucket"


@pytest.mark.parametrize(
    ("step", "refused"),
    [
        (ResourceStep("same", TENANT_TYPE, "acme-identity"), False),
        (ResourceStep("update", TENANT_TYPE, "acme-identity", diffs=("deletionPolicy",)), False),
        (ResourceStep("import", TENANT_TYPE, "acme-identity", diffs=("deletionPolicy",)), False),
        (ResourceStep("import", TENANT_TYPE, "acme-identity"), False),
        (ResourceStep("create", BUCKET, "acme-data"), False),
        (ResourceStep("update", TENANT_TYPE, "acme-identity", diffs=("displayName",)), True),
        (ResourceStep("import", IDP_TYPE, "acme-idp-google.com", diffs=("clientSecret",)), True),
        (ResourceStep("replace", TENANT_TYPE, "acme-identity", replace_keys=("project",)), True),
        (ResourceStep("delete", IDP_TYPE, "acme-idp-config"), True),
        (ResourceStep("create", TENANT_TYPE, "acme-identity"), True),
        (ResourceStep("create", IDP_TYPE, "acme-idp-github.com"), True),
    ],
)
def test_only_a_pure_adoption_passes_the_preview(step, refused):
    assert bool(refusals([step])) is refused


def test_a_refusal_names_the_resource_and_the_fields():
    step = ResourceStep("update", TENANT_TYPE, "acme-identity", diffs=("deletionPolicy", "client"))
    assert refusals([step]) == [
        "acme-identity would be updated (client): make the manifest say what the cloud has "
        "(a clientSecret must hold the live secret)"
    ]


# --- migration and import plans -----------------------------------------------------


def test_only_the_tenants_resources_not_yet_moved_are_moved():
    source = [
        tenant_resource("dev", "tenant-one", "t1", "One-One"),
        idp_resource("dev", "tenant-one-idp-config", "t1", "google.com"),
        tenant_resource("dev", "tenant-two", "t2", "Two-Two"),
    ]
    assert migration_moves("t1", source, []) == (source[0].urn, source[1].urn)
    assert migration_moves("t1", source, [source[1]]) == (source[0].urn,)
    assert migration_moves("t3", source, []) == ()


def test_moved_resources_get_the_programs_names_once():
    dest = [
        tenant_resource("acme", "tenant-one", "t1", "Acme-One"),
        idp_resource("acme", "acme-idp-google.com", "t1", "google.com"),
    ]
    assert renames(manifest(), "t1", dest) == ((dest[0].urn, "acme-identity"),)


def test_imports_skip_what_the_stack_already_holds():
    tenant = manifest(idps=("google.com", "github.com"))
    parent = f"projects/{PROJECT}/tenants/t1"
    assert import_ids(tenant, PROJECT, "t1", []) == {
        "acme-identity": parent,
        "acme-idp-google.com": f"{parent}/defaultSupportedIdpConfigs/google.com",
        "acme-idp-github.com": f"{parent}/defaultSupportedIdpConfigs/github.com",
    }
    held = [tenant_resource("acme", "acme-identity", "t1", "Acme-One")]
    assert set(import_ids(tenant, PROJECT, "t1", held)) == {
        "acme-idp-google.com",
        "acme-idp-github.com",
    }


def test_the_idp_configs_must_be_the_manifests():
    held = [idp_resource("dev", "x", "t1", "github.com")]
    found = check_idps(manifest(), held)
    assert found[0].startswith(
        "spec.identityProviders: the tenant has identity provider 'github.com'"
    )
    assert "the manifest lists 'google.com', the tenant has no such provider" in found[1]


# --- the flow, on the in-memory engine ----------------------------------------------


class Directory:
    def __init__(self, *documents: dict) -> None:
        self.documents = list(documents)

    def list_tenants(self, project: str) -> list[dict]:
        return list(self.documents)

    def find_tenant(self, project: str, tenant_id: str) -> dict | None:
        return next((d for d in self.documents if d["tenantId"] == tenant_id), None)


class Programs:
    """Builds no-op programs and records the imports each was asked for."""

    def __init__(self) -> None:
        self.imports: list[dict[str, str]] = []

    def __call__(self, _desired: Desired, imports: Mapping[str, str]):
        self.imports.append(dict(imports))
        return lambda: None


def context(engine: FakeEngine, directory: Directory, source: str | None = None) -> AdoptContext:
    return AdoptContext(engine, directory, PROJECT, Programs(), lambda _line: None, source)


def imports_of(ctx: AdoptContext) -> list[dict[str, str]]:
    assert isinstance(ctx.program, Programs)
    return ctx.program.imports


def desired(tenant: Tenant) -> Desired:
    return Desired(tenant=tenant, fingerprint="fp", protected=True, shape="sh")


STATEFUL = ("preview", "up", "move_resources", "rename_resource", "record")


def test_a_console_made_tenant_is_imported_then_recorded():
    engine = FakeEngine()
    ctx = context(engine, Directory(live()))
    [outcome] = adopt([desired(manifest())], {}, ctx)
    assert outcome.status == "succeeded", outcome.reason
    assert engine.calls_for("acme") == ["preview", "up", "up", "record"]
    assert imports_of(ctx)[0] == {
        "acme-identity": f"projects/{PROJECT}/tenants/acme-k3x9f",
        "acme-idp-google.com": f"projects/{PROJECT}/tenants/acme-k3x9f/"
        "defaultSupportedIdpConfigs/google.com",
    }
    assert imports_of(ctx)[-1] == {}
    assert engine.records_for("acme") == [StackRecord("fp", "succeeded", True, "sh")]


@pytest.mark.parametrize(
    ("tenant", "documents", "reason"),
    [
        (manifest(adopt_id="nope-1"), [live()], "spec.adopt.tenantId 'nope-1': no such tenant"),
        (manifest(), [live("a-1"), live("a-2")], "2 tenants in project demo-unit have the display"),
        (manifest(password=False), [live()], "spec.auth.allowPasswordSignup: the tenant has true"),
    ],
)
def test_bad_input_is_refused_before_any_engine_call(tenant, documents, reason):
    engine = FakeEngine()
    [outcome] = adopt([desired(tenant)], {}, context(engine, Directory(*documents)))
    assert outcome.status == "failed"
    assert reason in outcome.reason and outcome.reason.endswith("nothing was changed")
    assert engine.calls == []


def test_a_preview_that_would_change_the_tenant_stops_before_the_up():
    engine = FakeEngine()
    engine.script("acme", steps=(ResourceStep("import", IDP_TYPE, "acme-idp-google.com",
                                              diffs=("clientSecret",)),))  # fmt: skip
    [outcome] = adopt([desired(manifest())], {}, context(engine, Directory(live())))
    assert outcome.status == "failed"
    assert "acme-idp-google.com differs from the cloud (clientSecret)" in outcome.reason
    assert "nothing was changed" in outcome.reason
    assert engine.calls_for("acme") == ["preview"]  # in a scratch backend: no stack made
    assert "acme" not in engine.stacks


def test_an_adopted_tenant_is_left_alone():
    engine = FakeEngine()
    stack = DeployedStack("acme", StackRecord("fp", "succeeded", True, "sh"), locked=False)
    [outcome] = adopt([desired(manifest())], {"acme": stack}, context(engine, Directory(live())))
    assert outcome.status == "unchanged"
    assert engine.calls == []


def seed_state(engine: FakeEngine) -> None:
    engine.state[SOURCE] = [
        tenant_resource(SOURCE, "tenant-one", "acme-k3x9f", "Acme-One"),
        idp_resource(SOURCE, "tenant-one-idp-config", "acme-k3x9f", "google.com"),
        tenant_resource(SOURCE, "tenant-two", "t2", "Two-Two"),
    ]


def test_migration_moves_renames_previews_and_records():
    engine = FakeEngine()
    seed_state(engine)
    ctx = context(engine, Directory(live()), source=SOURCE)
    [outcome] = adopt([desired(manifest())], {}, ctx)
    assert outcome.status == "succeeded", outcome.reason
    assert [r.name for r in engine.state[SOURCE]] == ["tenant-two"]
    assert sorted(r.name for r in engine.state["acme"]) == ["acme-identity", "acme-idp-google.com"]
    assert [c for c in engine.calls_for("acme") if c in STATEFUL] == [
        "move_resources", "rename_resource", "rename_resource", "preview", "up", "record",
    ]  # fmt: skip
    assert imports_of(ctx) == [{}]  # moved: nothing to import


def test_an_interrupted_migration_is_finished_without_a_second_move():
    engine = FakeEngine()
    seed_state(engine)
    # Interrupted after the move: the resources are in the stack under their old names.
    engine.move_resources(SOURCE, "acme", tuple(r.urn for r in engine.state[SOURCE][:2]))
    engine.calls.clear()
    stack = DeployedStack("acme", StackRecord(None, None, True), locked=False)
    ctx = context(engine, Directory(live()), source=SOURCE)
    [outcome] = adopt([desired(manifest())], {"acme": stack}, ctx)
    assert outcome.status == "succeeded", outcome.reason
    assert "move_resources" not in engine.calls_for("acme")
    assert sorted(r.name for r in engine.state["acme"]) == ["acme-identity", "acme-idp-google.com"]
    assert len(engine.state["acme"]) == 2  # nothing duplicated


def test_migration_refuses_a_manifest_without_the_tenants_provider_before_moving():
    engine = FakeEngine()
    seed_state(engine)
    ctx = context(engine, Directory(live()), source=SOURCE)
    [outcome] = adopt([desired(manifest(idps=()))], {}, ctx)
    assert outcome.status == "failed"
    assert "the tenant has identity provider 'google.com'" in outcome.reason
    assert "move_resources" not in engine.calls_for("acme")
    assert len(engine.state[SOURCE]) == 3


def test_a_manifest_without_spec_adopt_is_not_adopted():
    engine = FakeEngine()
    tenant = Tenant(**{**manifest().__dict__, "adopt": None})
    [outcome] = adopt([desired(tenant)], {}, context(engine, Directory(live())))
    assert outcome.status == "unchanged"
    assert engine.calls == []


def test_plan_blocks_a_manifest_to_adopt_until_it_is_adopted():
    """Apply would otherwise create a second tenant beside the one to adopt."""
    new = make_plan([desired(manifest())], {}, 0.25).changes[0]
    assert new.action is Action.BLOCKED
    assert "run `reconciler adopt --tenant acme` first" in new.reason
    half = DeployedStack("acme", StackRecord(None, None, True), locked=False)
    assert (
        make_plan([desired(manifest())], {"acme": half}, 0.25).changes[0].action is Action.BLOCKED
    )
    done = DeployedStack("acme", StackRecord("fp", "succeeded", True, "sh"), locked=False)
    assert (
        make_plan([desired(manifest())], {"acme": done}, 0.25).changes[0].action is Action.UNCHANGED
    )


# --- the command ----------------------------------------------------------------------


def test_adopt_names_an_unknown_tenant_as_a_usage_error(capsys):
    from reconciler.cli.main import main
    from tests.repo import REPO

    assert main(["--root", str(REPO), "adopt", "--tenant", "nope"]) == 2
    assert "no manifest for nope in tenants/" in capsys.readouterr().err


def test_adopt_without_spec_adopt_starts_no_engine(capsys, monkeypatch):
    from reconciler.cli import session
    from reconciler.cli.main import main
    from tests.repo import REPO

    def factory(*_args):
        return lambda: pytest.fail("an engine was built")

    monkeypatch.setattr(session, "engine_factory", factory)
    assert main(["--root", str(REPO), "adopt"]) == 0
    assert "no manifest has spec.adopt: nothing to adopt" in capsys.readouterr().err
