"""Which input changes make the engine replace a resource: the round-trip contract's
force-new rows, as data.

The rows below are the round-trip contract's force-new column (`sandbox/contract.py`,
`force_new_fields`: one row per input the program sends, from terraform-provider-google-beta's
schemas, which pulumi-gcp bridges), by top-level input: a change to one of these inputs
makes the provider ask for a replacement. The reconciler never imports the sandbox, so
`tests/reconciler/impact/test_impact_contract.py` checks this table against that column
for every resource type; the rows here may add only inputs the program never sends
(`NOT_SENT`), which the contract has no row for. The impact (`reconciler.impact.diff`)
reads them through `replaces` and `replace_fields` only.

Every row cites the upstream file that decides it (TPG-beta HEAD, paths under
`google-beta/services/`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

NOT_SENT = frozenset({"condition"})
"""Force-new inputs the program never sends (an IAM member's condition): upstream's word
(tpgiamresource/resource_iam_member.go), not the round-trip contract's."""

FORCE_NEW: Mapping[str, frozenset[str]] = {
    # identityplatform/resource_identity_platform_tenant.go: "project" ForceNew.
    "gcp:identityplatform/tenant:Tenant": frozenset({"project"}),
    # Our dynamic providers (reconciler/program/): another project or tenant (or IdP) is
    # another resource: tenant_settings.py, oidc_flow.py and the older auth_settings.py,
    # each `_REPLACE_ON`.
    "pulumi-python:dynamic/identityplatform:TenantSignInSettings": frozenset({"project", "tenant"}),
    "pulumi-python:dynamic/identityplatform:TenantOidcFlow": frozenset(
        {"project", "tenant", "idpId"}
    ),
    "pulumi-python:dynamic/identityplatform:TenantMfaConfig": frozenset({"project", "tenant"}),
    # identityplatform/resource_identity_platform_tenant_default_supported_idp_config.go:
    # idp_id and tenant are url parameters (MM: url_param_only, immutable), project ForceNew.
    "gcp:identityplatform/tenantDefaultSupportedIdpConfig:TenantDefaultSupportedIdpConfig": (
        frozenset({"idpId", "tenant", "project"})
    ),
    # identityplatform/resource_identity_platform_tenant_oauth_idp_config.go: name, tenant,
    # project ForceNew.
    "gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig": frozenset(
        {"name", "tenant", "project"}
    ),
    # identityplatform/resource_identity_platform_tenant_inbound_saml_config.go: name,
    # tenant, project ForceNew.
    "gcp:identityplatform/tenantInboundSamlConfig:TenantInboundSamlConfig": frozenset(
        {"name", "tenant", "project"}
    ),
    # storage/resource_storage_bucket.go: name, location and project ForceNew (a retention
    # policy's is_locked going true -> false too; the program never locks one).
    "gcp:storage/bucket:Bucket": frozenset({"name", "location", "project"}),
    # resourcemanager/resource_google_service_account.go: account_id and project ForceNew.
    "gcp:serviceaccount/account:Account": frozenset({"accountId", "project"}),
    # tpgiamresource/resource_iam_member.go (IamMemberBaseSchema: role, member, condition)
    # and storage/iam_storage_bucket.go (bucket): every field ForceNew.
    "gcp:storage/bucketIAMMember:BucketIAMMember": frozenset(
        {"bucket", "role", "member", "condition"}
    ),
    # tpgiamresource/resource_iam_member.go and resourcemanager/iam_service_account.go
    # (service_account_id): every field ForceNew.
    "gcp:serviceaccount/iAMMember:IAMMember": frozenset(
        {"serviceAccountId", "role", "member", "condition"}
    ),
}
"""Resource type -> the top-level inputs whose change replaces the resource."""


def known(resource_type: str) -> bool:
    """Whether the contract has a row for this type (else: cannot tell what replaces)."""
    return resource_type in FORCE_NEW


def replace_fields(
    resource_type: str, changed_fields: Iterable[str], also: Iterable[str] = ()
) -> tuple[str, ...]:
    """The changed top-level inputs that replace the resource, sorted.

    `also` adds the fields a resource's own `replaceOnChanges` option names.
    """
    forcing = FORCE_NEW.get(resource_type, frozenset()) | frozenset(also)
    return tuple(sorted({field for field in changed_fields if field in forcing}))


def replaces(resource_type: str, changed_fields: Iterable[str]) -> bool:
    """Whether changing these top-level inputs makes the engine replace the resource."""
    return bool(replace_fields(resource_type, changed_fields))
