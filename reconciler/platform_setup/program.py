"""The platform stack: the blueprint as pulumi-gcp resources (run once by an admin).

`reconciler platform preview|up` runs it in its own Pulumi project
(`blueprint.PLATFORM_PROJECT`), apart from every tenant stack. Resources whose loss loses
data or access are protected: the state bucket (every tenant's state) and the KMS key
(without it no stack's secrets can be read); Identity Platform's config "cannot be
deleted" (pulumi-gcp `identityplatform.Config`), so it is left in place if ever removed
from the program.
APIs are never disabled on destroy (`disable_on_destroy=False`).

Resource types and arguments are pulumi-gcp 10.2.0's (the installed package, pinned in
pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pulumi
import pulumi_gcp as gcp

from reconciler.manifests.setup import DEPLOY_ACCOUNT, PREVIEW_ACCOUNT
from reconciler.platform_setup.blueprint import (
    ACTIONS_OIDC_ISSUER,
    PROJECT_NUMBER,
    Blueprint,
    Grant,
)

KEY_ROTATION = "7776000s"
"""90 days: rotation adds key versions and old ones still decrypt."""
_ACCOUNTS = {
    PREVIEW_ACCOUNT: "tenant-gitops: plan, preview, drift (read-only)",
    DEPLOY_ACCOUNT: "tenant-gitops: apply, destroy and adopt",
}


def _short(account: str) -> str:
    return account.removeprefix("tenant-gitops-")


def _role_label(role: str) -> str:
    return role.rsplit("/", 1)[-1].removeprefix("tenantGitops")


class _Built:
    """The resources later ones refer to."""

    def __init__(self) -> None:
        self.apis: dict[str, pulumi.Resource] = {}
        self.accounts: dict[str, gcp.serviceaccount.Account] = {}
        self.roles: dict[str, gcp.projects.IAMCustomRole] = {}
        self.bucket: gcp.storage.Bucket | None = None
        self.key: gcp.kms.CryptoKey | None = None
        self.project_number: pulumi.Output[str] | None = None


def _enable_apis(plan: Blueprint, built: _Built) -> None:
    projects = {project for project, _ in plan.apis}
    for project, service in plan.apis:
        short = service.split(".", 1)[0]
        name = f"api-{short}" if len(projects) == 1 else f"api-{project}-{short}"
        built.apis[f"{project}/{service}"] = gcp.projects.Service(
            name, project=project, service=service, disable_on_destroy=False
        )


def _needs(built: _Built, project: str, *services: str) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(depends_on=[built.apis[f"{project}/{s}"] for s in services])


def _identity_platform(plan: Blueprint, built: _Built, existing: bool) -> None:
    project = plan.setup.project
    options = pulumi.ResourceOptions.merge(
        _needs(built, project, "identitytoolkit.googleapis.com"),
        pulumi.ResourceOptions(
            retain_on_delete=True,
            # A project where Identity Platform is already on: take it over, never re-init.
            import_=f"projects/{project}/config" if existing else None,
        ),
    )
    gcp.identityplatform.Config(
        "identity-platform",
        project=project,
        multi_tenant=gcp.identityplatform.ConfigMultiTenantArgs(allow_tenants=True),
        opts=options,
    )


def _state(plan: Blueprint, built: _Built) -> None:
    setup = plan.setup
    control = setup.control_project
    built.bucket = gcp.storage.Bucket(
        "state-bucket",
        name=setup.state_bucket,
        project=control,
        location=setup.location,
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning=gcp.storage.BucketVersioningArgs(enabled=True),
        force_destroy=False,
        opts=pulumi.ResourceOptions.merge(
            _needs(built, control, "storage.googleapis.com"), pulumi.ResourceOptions(protect=True)
        ),
    )
    ring = gcp.kms.KeyRing(
        "secrets-key-ring",
        name=setup.kms.key_ring,
        project=control,
        location=setup.kms.location,
        opts=pulumi.ResourceOptions.merge(
            _needs(built, control, "cloudkms.googleapis.com"), pulumi.ResourceOptions(protect=True)
        ),
    )
    built.key = gcp.kms.CryptoKey(
        "secrets-key",
        name=setup.kms.key,
        key_ring=ring.id,
        purpose="ENCRYPT_DECRYPT",
        rotation_period=KEY_ROTATION,
        opts=pulumi.ResourceOptions(protect=True),
    )


def _federation(plan: Blueprint, built: _Built) -> gcp.iam.WorkloadIdentityPoolProvider:
    setup = plan.setup
    control = setup.control_project
    pool = gcp.iam.WorkloadIdentityPool(
        "wif-pool",
        workload_identity_pool_id=setup.pool,
        project=control,
        display_name="tenant-gitops",
        description=f"GitHub Actions of {setup.repository} only",
        opts=_needs(built, control, "iam.googleapis.com", "sts.googleapis.com"),
    )
    provider = gcp.iam.WorkloadIdentityPoolProvider(
        "wif-provider",
        workload_identity_pool_id=pool.workload_identity_pool_id,
        workload_identity_pool_provider_id=setup.provider,
        project=control,
        display_name="GitHub Actions",
        attribute_mapping=plan.attribute_mapping,
        attribute_condition=plan.attribute_condition,
        oidc=gcp.iam.WorkloadIdentityPoolProviderOidcArgs(issuer_uri=ACTIONS_OIDC_ISSUER),
    )
    for account_id, description in _ACCOUNTS.items():
        built.accounts[account_id] = gcp.serviceaccount.Account(
            f"account-{_short(account_id)}",
            account_id=account_id,
            project=control,
            display_name=description,
            opts=_needs(built, control, "iam.googleapis.com"),
        )
    # The pool's `name` is `projects/{project_number}/locations/global/workloadIdentityPools/
    # {id}` (pulumi-gcp iam/workload_identity_pool.py): principal sets need the number.
    for item in plan.impersonations:
        account = built.accounts[item.account]
        gcp.serviceaccount.IAMMember(
            f"impersonate-{_short(item.account)}-{item.value.split('@')[0].rsplit('/', 1)[-1]}",
            service_account_id=account.name,
            role="roles/iam.workloadIdentityUser",
            member=pool.name.apply(partial(plan.principal_set, item=item)),
        )
    return provider


def _custom_roles(plan: Blueprint, built: _Built) -> None:
    for role in plan.roles:
        built.roles[role.name] = gcp.projects.IAMCustomRole(
            f"role-{role.role_id}",
            role_id=role.role_id,
            project=role.project,
            title=role.title,
            description=role.why[:256],
            permissions=list(role.permissions),
            stage="GA",
            opts=_needs(built, role.project, "iam.googleapis.com"),
        )


def _expression(grant: Grant, built: _Built) -> pulumi.Output[str]:
    """The grant's condition, with the project number filled in once it is known."""
    assert grant.condition is not None and built.project_number is not None
    text = grant.condition.expression

    def filled(number: str) -> str:
        return text.replace(PROJECT_NUMBER, number)

    return built.project_number.apply(filled)


def _grant(built: _Built, grant: Grant) -> None:
    assert built.bucket is not None and built.key is not None
    member = built.accounts[grant.account].member
    custom = built.roles.get(grant.role)
    role = custom.name if custom is not None else grant.role
    kind, _, where = grant.on.partition(":")
    name = f"grant-{_short(grant.account)}-{_role_label(grant.role)}-{kind}"
    title = grant.condition.title if grant.condition else ""
    expression = _expression(grant, built) if grant.condition else None
    if kind == "project":
        gcp.projects.IAMMember(
            name,
            project=where,
            role=role,
            member=member,
            condition=gcp.projects.IAMMemberConditionArgs(title=title, expression=expression)
            if expression is not None
            else None,
        )
    elif kind == "bucket":
        gcp.storage.BucketIAMMember(
            name,
            bucket=built.bucket.name,
            role=role,
            member=member,
            condition=gcp.storage.BucketIAMMemberConditionArgs(title=title, expression=expression)
            if expression is not None
            else None,
        )
    else:
        gcp.kms.CryptoKeyIAMMember(
            name,
            crypto_key_id=built.key.id,
            role=role,
            member=member,
            condition=gcp.kms.CryptoKeyIAMMemberConditionArgs(title=title, expression=expression)
            if expression is not None
            else None,
        )


def platform_program(
    plan: Blueprint, existing_identity_platform: bool = False
) -> Callable[[], None]:
    """The platform stack's inline program."""

    def program() -> None:
        built = _Built()
        _enable_apis(plan, built)
        _identity_platform(plan, built, existing_identity_platform)
        _state(plan, built)
        provider = _federation(plan, built)
        _custom_roles(plan, built)
        # Secret names in conditions carry the project *number* (Secret Manager's form).
        project = gcp.organizations.get_project_output(project_id=plan.setup.project)
        built.project_number = project.number
        for grant in plan.grants:
            _grant(built, grant)
        pulumi.export("workloadIdentityProvider", provider.name)
        pulumi.export("previewServiceAccount", built.accounts[PREVIEW_ACCOUNT].email)
        pulumi.export("deployServiceAccount", built.accounts[DEPLOY_ACCOUNT].email)
        pulumi.export("backendUrl", plan.setup.backend_url)
        pulumi.export("secretsProvider", plan.setup.secrets_provider)
        pulumi.export("project", plan.setup.project)

    return program
