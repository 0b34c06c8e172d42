"""The platform stack under Pulumi's mocks: the resource graph pinned, and the properties
that matter checked by name (no condition where IAM cannot evaluate one, the provider's
condition reads only mapped claims, the state and its key protected).

To accept an intended change to the graph, regenerate the golden file and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/reconciler/platform_setup/test_platform_program.py
"""

from __future__ import annotations

import json
import os
import re

from platform_harness import GOLDEN, PROJECT_NUMBER, run, setup

from reconciler.manifests.setup import KmsKey
from reconciler.platform_setup.blueprint import blueprint

PROJECT_GRANT = "gcp:projects/iAMMember:IAMMember"
ROLE_MEMBERS = (
    "gcp:projects/iAMMember:IAMMember",
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
)


def render(graph: dict) -> str:
    return json.dumps(graph, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_the_resource_graph_matches_the_golden_file():
    actual = render(run().graph())
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(actual, encoding="utf-8")
    assert GOLDEN.exists(), f"{GOLDEN} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert json.loads(actual) == json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert actual == GOLDEN.read_text(encoding="utf-8")


def test_every_resource_has_its_own_logical_name():
    """The mocks accept two resources of one type and name; the engine refuses the URN."""
    keys = [(r.type, r.name) for r in run().registrations]
    assert len(keys) == len(set(keys))


def test_the_whole_set_up_is_declared():
    result = run()
    counts: dict[str, int] = {}
    for r in result.registrations:
        counts[r.type] = counts.get(r.type, 0) + 1
    assert counts == {
        "gcp:projects/service:Service": 8,
        "gcp:identityplatform/config:Config": 1,
        "gcp:storage/bucket:Bucket": 1,
        "gcp:kms/keyRing:KeyRing": 1,
        "gcp:kms/cryptoKey:CryptoKey": 1,
        "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": 1,
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": 1,
        "gcp:serviceaccount/account:Account": 2,
        "gcp:serviceaccount/iAMMember:IAMMember": 7,
        "gcp:projects/iAMCustomRole:IAMCustomRole": 5,
        "gcp:projects/iAMMember:IAMMember": 7,
        "gcp:storage/bucketIAMMember:BucketIAMMember": 3,
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": 2,
    }
    assert result.outputs["workloadIdentityProvider"] == (
        f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/tenant-gitops/providers/github"
    )


def test_multi_tenancy_is_on_and_the_state_is_versioned_private_and_protected():
    result = run()
    config = result.one("gcp:identityplatform/config:Config")
    assert config.inputs["multiTenant"] == {"allowTenants": True}
    bucket = result.one("gcp:storage/bucket:Bucket")
    assert bucket.protect
    assert bucket.inputs["versioning"] == {"enabled": True}
    assert bucket.inputs["uniformBucketLevelAccess"] is True
    assert bucket.inputs["publicAccessPrevention"] == "enforced"
    key = result.one("gcp:kms/cryptoKey:CryptoKey")
    assert key.protect and key.inputs["rotationPeriod"] == "7776000s"
    assert all(
        r.inputs["disableOnDestroy"] is False
        for r in result.of_type("gcp:projects/service:Service")
    )


def test_an_existing_identity_platform_is_imported_never_initialised_again():
    import pulumi

    captured = {}
    original = pulumi.CustomResource.__init__

    def spy(self, t, name, props=None, opts=None, *args, **kwargs):
        if t == "gcp:identityplatform/config:Config":
            captured["import"] = opts.import_ if opts else None
        return original(self, t, name, props, opts, *args, **kwargs)

    pulumi.CustomResource.__init__ = spy
    try:
        run(existing=True)
        assert captured["import"] == "projects/acme-ml-platform/config"
        run(existing=False)
        assert captured["import"] is None
    finally:
        pulumi.CustomResource.__init__ = original


def _permissions(result, role: str) -> set[str]:
    for r in result.of_type("gcp:projects/iAMCustomRole:IAMCustomRole"):
        if f"projects/{r.inputs['project']}/roles/{r.inputs['roleId']}" == role:
            return set(r.inputs["permissions"])
    return set()


def test_no_condition_where_iam_cannot_evaluate_one():
    """IAM and Identity Toolkit resources carry no name a condition could read, and
    creation is checked on the project: such a grant must be unconditional or it grants
    nothing (configuring-resource-based-access). The old set-up's conditional
    roles/iam.serviceAccountAdmin on `serviceAccounts/t-` was such a grant."""
    result = run()
    for grant in result.of_type("gcp:projects/iAMMember:IAMMember"):
        permissions = _permissions(result, grant.inputs["role"])
        if any(p.startswith(("iam.", "identitytoolkit.", "firebaseauth.")) for p in permissions):
            assert "condition" not in grant.inputs, grant.name
        assert grant.inputs["role"] not in (
            "roles/owner",
            "roles/editor",
            "roles/storage.admin",
            "roles/iam.serviceAccountAdmin",
            "roles/identityplatform.admin",
        )


def test_conditions_use_names_only_where_the_service_provides_them():
    result = run()
    conditional = [r for t in ROLE_MEMBERS for r in result.of_type(t) if "condition" in r.inputs]
    assert {r.name for r in conditional} == {
        "grant-preview-LockWriter-bucket",
        "grant-preview-secretmanager.viewer-project",
        "grant-deploy-secretmanager.viewer-project",
        "grant-deploy-secretmanager.secretAccessor-project",
        "grant-deploy-BucketAdmin-project",
    }
    secrets = result.one(
        "gcp:projects/iAMMember:IAMMember", "grant-deploy-secretmanager.viewer-project"
    )
    assert secrets.inputs["condition"]["expression"] == (
        f'resource.name.startsWith("projects/{PROJECT_NUMBER}/secrets/tenant-")'
    )


def test_the_state_bucket_is_out_of_the_bucket_admin_role_only_when_it_shares_the_project():
    same = run().one("gcp:projects/iAMMember:IAMMember", "grant-deploy-BucketAdmin-project")
    assert (
        "projects/_/buckets/acme-ml-platform-tenant-state" in same.inputs["condition"]["expression"]
    )
    apart = blueprint(
        setup(
            control_project="acme-ml-control",
            kms=KmsKey("acme-ml-control", "europe-west1", "tenant-gitops", "pulumi-secrets"),
        )
    )
    split = run(apart)
    grant = split.one("gcp:projects/iAMMember:IAMMember", "grant-deploy-BucketAdmin-project")
    assert "condition" not in grant.inputs
    assert split.one("gcp:storage/bucket:Bucket").inputs["project"] == "acme-ml-control"
    accounts = split.of_type("gcp:serviceaccount/account:Account")
    assert {a.inputs["project"] for a in accounts} == {"acme-ml-control"}
    services = {
        (s.inputs["project"], s.inputs["service"])
        for s in split.of_type("gcp:projects/service:Service")
    }
    assert ("acme-ml-control", "sts.googleapis.com") in services
    assert ("acme-ml-platform", "identitytoolkit.googleapis.com") in services
    assert ("acme-ml-platform", "sts.googleapis.com") not in services


def test_the_provider_accepts_this_repository_on_main_and_maps_every_claim_it_reads():
    provider = run().one("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")
    condition = provider.inputs["attributeCondition"]
    assert condition == (
        "assertion.repository_id == '987654321' && assertion.ref == 'refs/heads/main' "
        "&& assertion.ref_type == 'branch'"
    )
    mapped = set(provider.inputs["attributeMapping"].values())
    assert {f"assertion.{c}" for c in re.findall(r"assertion\.(\w+)", condition)} <= mapped
    assert provider.inputs["oidc"]["issuerUri"] == "https://token.actions.githubusercontent.com"


def test_impersonation_is_by_workflow_file_or_environment_never_the_whole_pool():
    members = {
        r.name: r.inputs["member"] for r in run().of_type("gcp:serviceaccount/iAMMember:IAMMember")
    }
    pool = (
        f"principalSet://iam.googleapis.com/projects/{PROJECT_NUMBER}/locations/global/"
        "workloadIdentityPools/tenant-gitops"
    )
    assert members["impersonate-preview-tenant-preview.yml"] == (
        f"{pool}/attribute.workflow/acme/tenant-gitops/.github/workflows/"
        "tenant-preview.yml@refs/heads/main"
    )
    assert (
        members["impersonate-deploy-tenant-destroy"]
        == f"{pool}/attribute.environment/tenant-destroy"
    )
    assert not any(m.endswith("/*") for m in members.values())
    assert len(members) == 7


def test_identity_toolkit_is_on_in_the_control_project_too():
    """Identity Toolkit is a client-based API: a service account's calls (also by
    impersonation, as in CI) count against the quota project of *its own* project
    (https://cloud.google.com/docs/quotas/set-quota-project: "If the principal for the API
    call is a service account, including by impersonation, the project associated with the
    service account is used as the quota project"). pulumi-gcp sends no
    `X-Goog-User-Project` unless `user_project_override` is set
    (terraform-provider-google transport `SendRequest`), so with a control project every
    tenant apply, refresh and adopt listing would get 403 SERVICE_DISABLED there."""
    apart = blueprint(
        setup(
            control_project="acme-ml-control",
            kms=KmsKey("acme-ml-control", "europe-west1", "tenant-gitops", "pulumi-secrets"),
        )
    )
    services = {
        (s.inputs["project"], s.inputs["service"])
        for s in run(apart).of_type("gcp:projects/service:Service")
    }
    assert ("acme-ml-control", "identitytoolkit.googleapis.com") in services
    assert ("acme-ml-platform", "identitytoolkit.googleapis.com") in services


def test_the_platform_state_bucket_is_out_of_the_bucket_admin_role_in_any_layout():
    """The deploy account's bucket role is project-wide (bucket creation is checked on the
    project): were the admins' platform-state bucket in the tenant project, it could set
    that bucket's IAM and write the platform state. Its project is not known here, so the
    condition always leaves it out."""
    for control in ("acme-ml-platform", "acme-ml-control"):
        plan = blueprint(
            setup(
                control_project=control,
                kms=KmsKey(control, "europe-west1", "tenant-gitops", "pulumi-secrets"),
                platform_state="gs://acme-ml-admin-state/platform",
            )
        )
        [grant] = [g for g in plan.grants if g.role.endswith("/tenantGitopsBucketAdmin")]
        assert grant.condition is not None
        expression = grant.condition.expression
        assert 'resource.name != "projects/_/buckets/acme-ml-admin-state"' in expression
        assert '!resource.name.startsWith("projects/_/buckets/acme-ml-admin-state/")' in expression
        assert ("acme-ml-platform-tenant-state" in expression) is (control == "acme-ml-platform")
