"""The Pulumi program for one tenant: a validated `Tenant` in, GCP resources out.

`tenant_program` returns the inline program the engine module hands to Pulumi's
Automation API (this package never imports `pulumi.automation`). Declaring resources is
all it does; it reads nothing from the environment, so the same manifest, platform,
fingerprint and secrets always declare the same resources.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import pulumi

from reconciler.manifests.model import Tenant
from reconciler.manifests.platform import Platform
from reconciler.manifests.signin import sign_in_posture
from reconciler.names import SECRET_VERSIONS_OUTPUT
from reconciler.program import identity, isolation
from reconciler.program.context import TenantContext
from reconciler.program.secrets import ResolvedSecrets, used_secret_refs


def preload() -> None:
    """Finish importing the provider modules the program uses, before worker threads start.

    pulumi_gcp loads its submodules lazily on first attribute access, and two threads
    touching one while it loads see it half-initialised ("has no attribute 'Bucket'").
    Any ordinary attribute triggers the load (introspection ones like __file__ do not).
    """
    import pulumi_gcp as gcp

    for module in (gcp.identityplatform, gcp.storage, gcp.serviceaccount, gcp.secretmanager):
        getattr(module, "_utilities", None)


def tenant_program(
    tenant: Tenant,
    platform: Platform,
    fingerprint: str,
    secrets: ResolvedSecrets,
    imports: Mapping[str, str] | None = None,
) -> Callable[[], None]:
    """The inline program declaring `tenant`'s resources.

    `fingerprint` (manifest digest + program version, computed by the reconciler) is
    exported as is, so the planner can tell from stack outputs alone what was deployed.
    Raises `ValueError` at once, before any engine starts, if `secrets` belong to another
    tenant or lack a client secret the program needs. `imports` (logical name -> id) makes
    the program import those existing resources instead of creating them (adoption).
    """
    _check_secrets(tenant, secrets)
    context = TenantContext(
        tenant=tenant, platform=platform, secrets=secrets, imports=dict(imports or {})
    )

    def program() -> None:
        # Fresh Secret Manager reads each run: the preview's and the up's are separate runs.
        declare_tenant(replace(context, secrets=secrets.for_run()), fingerprint)

    return program


def declare_tenant(ctx: TenantContext, fingerprint: str) -> None:
    """Declare every resource of the tenant and export the stack outputs."""
    # Identity first: the IdP configs need the tenant's server-assigned name.
    tenant = identity.identity_tenant(ctx)
    identity.sign_in_settings(ctx, tenant)
    identity.identity_providers(ctx, tenant)
    # Isolation does not depend on identity, so the engine creates both in parallel.
    bucket = isolation.data_bucket(ctx)
    account = isolation.workload_account(ctx)
    isolation.grant_access(ctx, bucket, account)
    # Outputs are what the planner and `reconciler outputs` read back; keep names stable.
    pulumi.export("tenantName", ctx.tenant.name)
    pulumi.export("tenantId", tenant.name)
    pulumi.export("identityProviders", [idp.id for idp in ctx.tenant.identity_providers])
    # The sign-in posture in a few words (`reconciler outputs`, reports); no secret in it.
    pulumi.export("signInPosture", sign_in_posture(ctx.tenant.auth))
    pulumi.export("bucketName", bucket.name)
    pulumi.export("serviceAccountEmail", account.email)
    pulumi.export("fingerprint", fingerprint)
    # Plain version ids (never values) of the secrets read at `latest`: act records them,
    # and plan compares them with Secret Manager's newest (reconciler/reconcile/rotation.py).
    pulumi.export(SECRET_VERSIONS_OUTPUT, ctx.secrets.version_ids(ctx.project))


def _check_secrets(tenant: Tenant, secrets: ResolvedSecrets) -> None:
    if secrets.tenant != tenant.name:
        raise ValueError(f"secrets resolved for tenant {secrets.tenant}, not {tenant.name}")
    missing = sorted({idp_id for idp_id, _ in used_secret_refs(tenant)} - set(secrets.idp_ids()))
    if missing:
        raise ValueError(
            f"tenant {tenant.name}: no client secret resolved for {', '.join(missing)}"
        )
