"""The tenant's isolation: its own data bucket, its own workload service account, and IAM
grants scoped to exactly those two resources — never a project-wide binding.

Every grant is an additive `*IAMMember` (one role, one principal), so a tenant can never
overwrite a binding another tenant or the platform owns.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from reconciler import names
from reconciler.program.context import TenantContext

SECONDS_PER_DAY = 86_400

ADMIN_BUCKET_ROLE = "roles/storage.objectAdmin"
"""Admins have full control of the bucket's objects, not of the bucket: `storage.admin` would
let them turn off public-access prevention, change its IAM or delete it; the bucket's
settings are the manifest's, changed by pull request."""
MEMBER_BUCKET_ROLE = "roles/storage.objectUser"
"""Members read, write and delete objects in the tenant's bucket."""
WORKLOAD_BUCKET_ROLE = "roles/storage.objectAdmin"
"""The workload service account manages the bucket's objects."""
ADMIN_ACCOUNT_ROLE = "roles/iam.serviceAccountUser"
"""Admins may run workloads as the tenant's service account."""

WORKLOAD_MEMBER = "workload"
"""Stands for the workload service account in logical names (its email is an Output)."""


def data_bucket(ctx: TenantContext) -> gcp.storage.Bucket:
    """The tenant's private bucket, protected like the identity tenant."""
    storage = ctx.tenant.storage
    retention = None
    if storage.retention_days is not None:
        # GCS wants the period in seconds, as a string.
        retention = gcp.storage.BucketRetentionPolicyArgs(
            retention_period=str(storage.retention_days * SECONDS_PER_DAY)
        )
    return gcp.storage.Bucket(
        names.bucket_resource_name(ctx.tenant.name),
        name=names.bucket_name(ctx.project, ctx.tenant.name),
        location=storage.location or ctx.platform.default_location,
        storage_class=storage.storage_class,
        # IAM only (no object ACLs) and never public: the grants below are the whole story.
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning=gcp.storage.BucketVersioningArgs(enabled=storage.versioning),
        retention_policy=retention,
        labels=ctx.labels(),
        # A bucket holding data must be emptied on purpose before it can be deleted.
        force_destroy=False,
        deletion_policy=ctx.deletion_policy,
        project=ctx.project,
        opts=pulumi.ResourceOptions(protect=ctx.protected),
    )


def workload_account(ctx: TenantContext) -> gcp.serviceaccount.Account:
    """The service account the tenant's workloads run as (service accounts take no labels)."""
    tenant = ctx.tenant
    return gcp.serviceaccount.Account(
        names.service_account_resource_name(tenant.name),
        account_id=names.service_account_id(tenant.name),
        display_name=f"Tenant {tenant.name} workloads"[:100],
        # The description carries what labels would: whose account this is.
        description=_within_bytes(
            f"Workloads of tenant {tenant.name}, owner {tenant.owner}; managed by tenant-gitops.",
            DESCRIPTION_MAX_BYTES,
        ),
        project=ctx.project,
    )


DESCRIPTION_MAX_BYTES = 256
"""`validation.StringLenBetween(0, 256)` on the account's description: Go's `len`, so UTF-8
bytes, not characters (terraform-provider-google-beta
services/resourcemanager/resource_google_service_account.go). An owner address with
non-ASCII letters cut at 256 characters could fail the preview."""


def _within_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def grant_access(
    ctx: TenantContext, bucket: gcp.storage.Bucket, account: gcp.serviceaccount.Account
) -> list[pulumi.CustomResource]:
    """The tenant's people on its bucket and service account, and the account on the bucket."""
    access = ctx.tenant.access
    bucket_scope = names.bucket_resource_name(ctx.tenant.name)
    account_scope = names.service_account_resource_name(ctx.tenant.name)
    grants: list[pulumi.CustomResource] = []
    for role, principals in (
        (ADMIN_BUCKET_ROLE, access.admins),
        (MEMBER_BUCKET_ROLE, access.members),
    ):
        # A set: a principal listed twice is one grant, not a duplicate-URN failure.
        for member in sorted(set(principals)):
            name = names.iam_member_name(bucket_scope, role, member)
            grants.append(_bucket_member(name, bucket, role, member))
    # The account's email is only known after creation, so its grant is named for its role.
    name = names.iam_member_name(bucket_scope, WORKLOAD_BUCKET_ROLE, WORKLOAD_MEMBER)
    grants.append(_bucket_member(name, bucket, WORKLOAD_BUCKET_ROLE, account.member))
    for member in sorted(set(access.admins)):
        grants.append(
            gcp.serviceaccount.IAMMember(
                names.iam_member_name(account_scope, ADMIN_ACCOUNT_ROLE, member),
                service_account_id=account.name,
                role=ADMIN_ACCOUNT_ROLE,
                member=member,
            )
        )
    return grants


def _bucket_member(
    name: str, bucket: gcp.storage.Bucket, role: str, member: pulumi.Input[str]
) -> gcp.storage.BucketIAMMember:
    """One additive grant on the tenant's bucket (bound by its name, so it depends on it)."""
    return gcp.storage.BucketIAMMember(name, bucket=bucket.name, role=role, member=member)
