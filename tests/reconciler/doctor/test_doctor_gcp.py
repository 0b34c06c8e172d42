"""The doctor's GCP checks against a stand-in that answers as the Google APIs do: a project
set up as the blueprint says has no problem, and each seeded misconfiguration is reported
by its check, with a fix. The old manual set-up's defects are among them (no pool, a
condition on the deploy account's service-account role that never grants, unmapped claims)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from google_standin import GoogleStandIn, World
from worlds import NUMBERS, healthy

from reconciler.doctor.gcp import CHECKS, GcpTarget, run_checks
from reconciler.doctor.gcp_reader import RestProjectReader
from reconciler.gcp.rest import GoogleRest, roots
from reconciler.platform_setup.blueprint import blueprint
from tests.reconciler.platform_setup.platform_harness import setup

PLAN = blueprint(setup())
S = PLAN.setup
PROJECT_POLICY = f"v1/projects/{S.project}:getIamPolicy"
DEPLOY = f"serviceAccount:{S.deploy_account}"
POOLS = f"v1/projects/{S.control_project}/locations/global/workloadIdentityPools"
PROVIDER = f"{POOLS}/{S.pool}/providers/{S.provider}"
DEPLOY_POLICY = f"v1/projects/{S.control_project}/serviceAccounts/{S.deploy_account}:getIamPolicy"
CUSTOM = f"projects/{S.project}/roles/"
TENANT_ACCOUNTS = f"projects/{S.project}/serviceAccounts/t-"


def problems(world: World, plan=PLAN) -> list[tuple[str, str, str]]:
    server = GoogleStandIn(world).start()
    try:
        reader = RestProjectReader(GoogleRest(roots(server.url)))
        return [(p.check, p.problem, p.fix) for p in run_checks(GcpTarget(reader, plan))]
    finally:
        server.stop()


def test_a_project_set_up_as_the_blueprint_says_has_no_problem():
    assert problems(healthy(PLAN)) == []


def test_every_check_has_a_name_and_the_list_is_what_doctor_runs():
    assert [name for name, _ in CHECKS] == [
        "gcp.apis",
        "gcp.identity-platform",
        "gcp.state-bucket",
        "gcp.kms-key",
        "gcp.workload-identity",
        "gcp.service-accounts",
        "gcp.custom-roles",
        "gcp.grants",
        "gcp.impersonation",
        "gcp.platform-state",
    ]


def _binding(world: World, path: str, role: str) -> dict:
    return next(b for b in world.resources[path]["bindings"] if b["role"] == role)


def no_identitytoolkit(w: World) -> None:
    w.services[S.project].discard("identitytoolkit.googleapis.com")


def no_identity_platform(w: World) -> None:
    del w.resources[f"admin/v2/projects/{S.project}/config"]


def tenants_off(w: World) -> None:
    w.resources[f"admin/v2/projects/{S.project}/config"]["multiTenant"] = {}


def versioning_off(w: World) -> None:
    w.resources[f"storage/v1/b/{S.state_bucket}"]["versioning"] = {"enabled": False}


def key_disabled(w: World) -> None:
    w.resources[f"v1/{S.kms.name}"]["primary"]["state"] = "DISABLED"


def no_pool(w: World) -> None:
    """The old adopting.md never created the pool."""
    del w.resources[f"{POOLS}/{S.pool}"]


def condition_by_owner(w: World) -> None:
    w.resources[PROVIDER]["attributeCondition"] = "assertion.repository_owner == 'acme'"


def old_mapping(w: World) -> None:
    """The old security.md's mapping: the condition's repository_id and ref unmapped."""
    w.resources[PROVIDER]["attributeMapping"] = {
        "google.subject": "assertion.sub",
        "attribute.repository": "assertion.repository",
        "attribute.workflow": "assertion.job_workflow_ref",
        "attribute.environment": "assertion.environment",
    }


def old_account_grant(w: World) -> None:
    """The old security.md: serviceAccountAdmin on `serviceAccounts/t-` only."""
    policy = w.resources[PROJECT_POLICY]
    manager = _binding(w, PROJECT_POLICY, CUSTOM + "tenantGitopsAccountManager")
    manager["members"].remove(DEPLOY)
    policy["bindings"].append(
        {
            "role": "roles/iam.serviceAccountAdmin",
            "members": [DEPLOY],
            "condition": {
                "title": "tenant-accounts",
                "expression": f'resource.name.startsWith("{TENANT_ACCOUNTS}")',
            },
        }
    )


def storage_admin(w: World) -> None:
    w.resources[PROJECT_POLICY]["bindings"].append(
        {"role": "roles/storage.admin", "members": [DEPLOY]}
    )


def whole_pool(w: World) -> None:
    pool = w.resources[f"{POOLS}/{S.pool}"]["name"]
    w.resources[DEPLOY_POLICY]["bindings"][0]["members"].append(
        f"principalSet://iam.googleapis.com/{pool}/*"
    )


def adopt_cannot_deploy(w: World) -> None:
    members = w.resources[DEPLOY_POLICY]["bindings"][0]["members"]
    members[:] = [m for m in members if not m.endswith("/tenant-adopt")]


def role_lacks(w: World) -> None:
    role = w.resources[f"v1/projects/{S.project}/roles/tenantGitopsBucketAdmin"]
    role["includedPermissions"].remove("storage.buckets.setIamPolicy")


def deploy_disabled(w: World) -> None:
    w.resources[f"v1/projects/{S.control_project}/serviceAccounts/{S.deploy_account}"][
        "disabled"
    ] = True


def policy_denied(w: World) -> None:
    w.denied.add(PROJECT_POLICY)


SEEDED: list[tuple[Callable[[World], None], list[tuple[str, str]]]] = [
    (no_identitytoolkit, [("gcp.apis", "identitytoolkit.googleapis.com is not enabled")]),
    (no_identity_platform, [("gcp.identity-platform", "Identity Platform is not enabled")]),
    (tenants_off, [("gcp.identity-platform", "multi-tenancy is off")]),
    (versioning_off, [("gcp.state-bucket", "versioning is off")]),
    (key_disabled, [("gcp.kms-key", "primary version is DISABLED")]),
    (no_pool, [("gcp.workload-identity", "pool tenant-gitops does not exist")]),
    (condition_by_owner, [
        ("gcp.workload-identity", "does not pin repository id 987654321"),
        ("gcp.workload-identity", "does not require refs/heads/main"),
        ("gcp.workload-identity", "assertion.repository_owner, which is not mapped"),
    ]),
    (old_mapping, [
        ("gcp.workload-identity", "attribute.ref is mapped to nothing"),
        ("gcp.workload-identity", "attribute.ref_type is mapped to nothing"),
        ("gcp.workload-identity", "attribute.repository_id is mapped to nothing"),
        ("gcp.workload-identity", "attribute.workflow is mapped to assertion.job_workflow_ref"),
        ("gcp.workload-identity", "assertion.ref, which is not mapped"),
        ("gcp.workload-identity", "assertion.ref_type, which is not mapped"),
        ("gcp.workload-identity", "assertion.repository_id, which is not mapped"),
    ]),
    (old_account_grant, [
        ("gcp.grants", f"lacks {CUSTOM}tenantGitopsAccountManager"),
        ("gcp.grants", "also holds roles/iam.serviceAccountAdmin (condition"),
        ("gcp.grants", "it never grants anything"),
    ]),
    (storage_admin, [("gcp.grants", "also holds roles/storage.admin on project acme-ml-platform")]),
    (whole_pool, [("gcp.impersonation", "workloadIdentityPools/tenant-gitops/* may act as")]),
    (adopt_cannot_deploy, [("gcp.impersonation", "environment/tenant-adopt cannot act as")]),
    (role_lacks, [("gcp.custom-roles", "BucketAdmin lacks storage.buckets.setIamPolicy")]),
    (deploy_disabled, [("gcp.service-accounts", f"{S.deploy_account} is disabled")]),
    (policy_denied, [("gcp.grants", "cannot read the IAM policy of project acme-ml-platform")]),
]  # fmt: skip


@pytest.mark.parametrize(("seed", "expected"), SEEDED, ids=[s.__name__ for s, _ in SEEDED])
def test_each_seeded_misconfiguration_is_reported_by_its_check(seed, expected):
    world = healthy(PLAN)
    seed(world)
    found = problems(world)
    for check, words in expected:
        assert any(c == check and words in p for c, p, _ in found), (check, words, found)
    assert len(found) == len(expected), found
    assert all(fix for _, _, fix in found)


def test_the_doctor_run_exits_non_zero_and_names_each_problem(tmp_path):
    """`python -m reconciler.doctor.gcp_run ROOT`, on a root `reconciler init` set up."""
    import shutil

    from reconciler.cli.main import main
    from tests.repo import REPO

    shutil.copytree(REPO / "schema", tmp_path / "schema")
    (tmp_path / "tenants").mkdir()
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    init = ["--root", str(tmp_path), "init", "--project", "acme-ml-platform",
            "--repository", "acme/tenant-gitops", "--repository-id", "987654321",
            "--kms-location", "europe-west1", "--reviewer", "team:platform-leads"]  # fmt: skip
    assert main(init) == 0
    world = healthy(PLAN)
    versioning_off(world)
    no_pool(world)
    server = GoogleStandIn(world).start()
    try:
        env = {"RECONCILER_GOOGLE_APIS_ENDPOINT": server.url, "PATH": "/usr/bin:/bin"}
        done = subprocess.run(
            [sys.executable, "-m", "reconciler.doctor.gcp_run", str(tmp_path)],
            env=env, capture_output=True, text=True, cwd=REPO, timeout=120,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert (
            "gcp.state-bucket: gs://acme-ml-platform-tenant-state: versioning is off" in done.stdout
        )
        assert (
            "gcp.workload-identity: the Workload Identity pool tenant-gitops does not exist"
            in done.stdout
        )
        assert "  fix: reconciler platform up" in done.stdout
        # The same through the command line every doc names.
        command = subprocess.run(
            [sys.executable, "-m", "reconciler.cli.main", "--root", str(tmp_path), "doctor"],
            env=env, capture_output=True, text=True, cwd=REPO, timeout=120,
        )  # fmt: skip
        assert (command.returncode, command.stdout) == (1, done.stdout), command.stderr
        healthy_world = healthy(PLAN)
        server.world.resources.clear()
        server.world.resources.update(healthy_world.resources)
        done = subprocess.run(
            [sys.executable, "-m", "reconciler.doctor.gcp_run", str(tmp_path)],
            env=env, capture_output=True, text=True, cwd=REPO, timeout=120,
        )  # fmt: skip
        assert (done.returncode, done.stdout) == (0, "gcp: no problem found\n"), done.stderr
        command = subprocess.run(
            [sys.executable, "-m", "reconciler.cli.main", "--root", str(tmp_path), "doctor"],
            env=env, capture_output=True, text=True, cwd=REPO, timeout=120,
        )  # fmt: skip
        assert (command.returncode, command.stdout) == (0, done.stdout), command.stderr
    finally:
        server.stop()


def test_an_api_off_in_the_callers_quota_project_is_not_blamed_on_missing_roles():
    """Identity Toolkit bills the caller's quota project: user credentials without one, or
    with one where the API is off, get 403 SERVICE_DISABLED (pulumi/pulumi-gcp#2169). The
    fix is the quota project, not the reader roles."""
    world = healthy(PLAN)
    world.disabled[f"admin/v2/projects/{S.project}/config"] = "764086051850"
    found = problems(world)
    assert [(c, p) for c, p, _ in found] == [
        (
            "gcp.identity-platform",
            "cannot read Identity Platform's config in acme-ml-platform: "
            "identitytoolkit.googleapis.com is disabled in projects/764086051850, the quota "
            "project of these credentials",
        )
    ]
    fix = found[0][2]
    assert "gcloud auth application-default set-quota-project acme-ml-platform" in fix
    assert "securityReviewer" not in fix


def test_a_platform_state_the_deploy_account_can_write_is_reported():
    """The deploy account writes the tenant state bucket (roles/storage.objectUser): a
    platform state kept there could be rewritten so that the admin's next `platform up`
    deletes or changes what it chose, with owner rights."""
    in_state = blueprint(setup(platform_state="gs://acme-ml-platform-tenant-state/platform"))
    found = problems(healthy(in_state), in_state)
    assert [(c, p) for c, p, _ in found] == [
        (
            "gcp.platform-state",
            "the platform stack's state (gs://acme-ml-platform-tenant-state/platform) is in "
            "the tenant state bucket, which the deploy account writes",
        )
    ]
    # Not named in platform.yaml, but where the earlier docs put it: the doctor looks.
    world = healthy(PLAN)
    world.objects[S.state_bucket] = [
        ".pulumi/stacks/mlaas-tenants/tenant-one.json",
        "platform/.pulumi/stacks/tenant-gitops-platform/platform.json",
    ]
    found = problems(world)
    assert [(c, p) for c, p, _ in found] == [
        (
            "gcp.platform-state",
            "the platform stack's state (gs://acme-ml-platform-tenant-state/platform) is in "
            "the tenant state bucket, which the deploy account writes",
        )
    ]
    assert "gs://<control project>-platform-state" in found[0][2]
    # An admin bucket of its own: a CI account holding anything on it is reported.
    admin = blueprint(setup(platform_state="gs://acme-ml-admin-state"))
    world = healthy(admin)
    world.resources["storage/v1/b/acme-ml-admin-state"] = {"name": "acme-ml-admin-state"}
    world.resources["storage/v1/b/acme-ml-admin-state/iam"] = {
        "version": 3,
        "bindings": [{"role": "roles/storage.objectAdmin", "members": [DEPLOY]}],
    }
    found = problems(world, admin)
    assert [(c, p) for c, p, _ in found] == [
        (
            "gcp.platform-state",
            f"{S.deploy_account} holds roles/storage.objectAdmin on gs://acme-ml-admin-state, "
            "where the platform stack's state is",
        )
    ]
    world.resources["storage/v1/b/acme-ml-admin-state/iam"]["bindings"] = []
    assert problems(world, admin) == []


def test_numbers_are_the_ones_the_world_uses():
    assert NUMBERS[S.project] == "123456789012"
