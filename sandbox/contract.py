"""The round-trip contract: for every input the tenant program sends, what the real provider
does with it — upstream validation, whether an empty/false/zero value is sent, what is read
back, whether a change replaces the resource, which fields exclude each other.

One row per (pulumi-gcp resource type, pulumi property path). The facts come from the
upstream sources named in each row (pulumi-gcp 10.x bridges terraform-provider-google-beta;
`TPG/` = its `google-beta/` folder, `MM/` = magic-modules' `mmv1/products/`, which generates
the Identity Platform resources). The sandbox README's table is rendered from `ROWS`
(`render_markdown`, checked by tests/sandbox/test_sandbox_contract.py), every row names the
test that pins it, the `force_new` column is checked against the sandbox's own field tables
(for the reconciler's own dynamic resources, `contract_signin.py`, against their diff), and
tests/reconciler/program/test_program_contract.py checks that every input the program sends
has its row. Other tools read `force_new` programmatically (`force_new_fields`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.contract_signin import OIDC_FLOW, OIDC_FLOW_ROWS, SIGN_IN, SIGN_IN_ROWS

TENANT = "gcp:identityplatform/tenant:Tenant"
DEFAULT_IDP = "gcp:identityplatform/tenantDefaultSupportedIdpConfig:TenantDefaultSupportedIdpConfig"
OIDC_IDP = "gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig"
SAML_IDP = "gcp:identityplatform/tenantInboundSamlConfig:TenantInboundSamlConfig"
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_IAM = "gcp:storage/bucketIAMMember:BucketIAMMember"
ACCOUNT = "gcp:serviceaccount/account:Account"
ACCOUNT_IAM = "gcp:serviceaccount/iAMMember:IAMMember"

_T = (
    "TPG/services/identityplatform/resource_identity_platform_tenant.go;"
    " MM/identityplatform/Tenant.yaml"
)
_D = (
    "TPG/services/identityplatform/resource_identity_platform_tenant_default_supported_idp_config.go;"
    " MM/identityplatform/TenantDefaultSupportedIdpConfig.yaml"
)
_O = (
    "TPG/services/identityplatform/resource_identity_platform_tenant_oauth_idp_config.go;"
    " MM/identityplatform/TenantOauthIdpConfig.yaml"
)
_S = (
    "TPG/services/identityplatform/resource_identity_platform_tenant_inbound_saml_config.go;"
    " MM/identityplatform/TenantInboundSamlConfig.yaml"
)
_B = "TPG/services/storage/resource_storage_bucket.go"
_A = "TPG/services/resourcemanager/resource_google_service_account.go"
_IAM = "TPG/tpgiamresource/resource_iam_member.go"

_RT = "tests/sandbox/test_sandbox_round_trip.py"
_C = "tests/sandbox/test_sandbox_contract.py"
_CHECK = "tests/sandbox/test_sandbox_check.py"
_DIFF = "tests/sandbox/test_sandbox_diff.py"
_FID = "tests/sandbox/test_sandbox_fidelity.py"

_MMV1_EMPTY = 'no: IsEmptyValue drops false/""/{} (no send_empty_value)'
_NIL_FALSE = "absent reads back false: no diff"
_CLIENT_SIDE = "never sent (client-side); read sets the provider default DELETE when absent"


@dataclass(frozen=True)
class Row:
    """One input the program sends, as the real provider round-trips it."""

    resource: str
    """pulumi-gcp type token."""
    field: str
    """pulumi property path (camelCase; `.` into nested blocks, `[]` into lists)."""
    validation: str
    """What the provider checks at plan time (a ValidateFunc), else who refuses and when."""
    empty_sent: str
    """Whether an empty/false/zero value reaches the API."""
    read_back: str
    """What the read puts in state: an API default filled in, a normalised value."""
    force_new: bool
    """A change replaces the resource (ForceNew / MM `immutable`)."""
    exclusions: str
    """Fields it excludes or needs ("" when none)."""
    source: str
    """The upstream files this row is read from."""
    pinned_by: str
    """The sandbox test(s) pinning the behaviour (`file::test`, `;`-separated)."""


def _row(
    resource: str,
    field: str,
    validation: str,
    empty_sent: str,
    read_back: str,
    force_new: bool,
    source: str,
    pinned_by: str,
    exclusions: str = "",
) -> Row:
    return Row(
        resource, field, validation, empty_sent, read_back, force_new, exclusions, source, pinned_by
    )


_FN = f"{_C}::test_force_new_is_the_sandboxs_replacement"
_RTD = f"{_C}::test_the_programs_values_round_trip_without_a_diff"

ROWS: tuple[Row, ...] = (
    # --- Identity Platform tenant (MMv1) ---
    _row(TENANT, "displayName", "none (Required); API: INVALID_DISPLAY_NAME, 4-20, letter first",
         "required", "as sent", False, _T,
         f"{_CHECK}::test_api_rules_pass_check_and_fail_at_create; {_FN}"),
    _row(TENANT, "allowPasswordSignup", "none", _MMV1_EMPTY, _NIL_FALSE, False, _T,
         f"{_RT}::test_tenant_create_sends_no_empty_value_and_reads_back_no_client; {_FN}"),
    _row(TENANT, "enableEmailLinkSignin", "none", _MMV1_EMPTY, _NIL_FALSE, False, _T,
         f"{_RT}::test_tenant_create_sends_no_empty_value_and_reads_back_no_client; {_FN}"),
    _row(TENANT, "disableAuth", "none", _MMV1_EMPTY, _NIL_FALSE, False, _T,
         f"{_RT}::test_tenant_create_sends_no_empty_value_and_reads_back_no_client; {_FN}"),
    _row(TENANT, "client.permissions.disabledUserSignup", "none",
         "no: false leaves, an empty permissions and an empty client are all dropped",
         "an absent or empty client reads back as no block: a block of two false flags diffs "
         "forever (client.#), so the program sends none then", False, _T,
         f"{_RT}::test_a_client_of_two_false_flags_never_round_trips; "
         f"{_RT}::test_a_permission_round_trips_and_removing_the_block_resets_it; {_FN}"),
    _row(TENANT, "client.permissions.disabledUserDeletion", "none",
         "no (as disabledUserSignup)", "as disabledUserSignup", False, _T,
         f"{_RT}::test_a_client_of_two_false_flags_never_round_trips; {_FN}"),
    _row(TENANT, "deletionPolicy", "none (DELETE, ABANDON, PREVENT)", _CLIENT_SIDE,
         "DELETE after an import (adopt ignores it on import)", False, _T,
         "tests/sandbox/test_sandbox_resources.py::"
         "test_deletion_policy_prevent_refuses_and_abandon_leaves_it; " + _FN,
         "PREVENT makes delete fail"),
    _row(TENANT, "project", "none", "n/a", "Computed: the provider's project", True, _T, _FN),
    # --- default supported IdP config (MMv1) ---
    _row(DEFAULT_IDP, "idpId", "none (url_param_only); API: INVALID_PROVIDER_ID", "url param",
         "from the import id, not flattened", True, _D,
         f"{_CHECK}::test_api_rules_pass_check_and_fail_at_create; {_FN}"),
    _row(DEFAULT_IDP, "tenant", "none", "url param", "from the import id", True, _D, _FN),
    _row(DEFAULT_IDP, "clientId", "none (Required)", "required", "as stored", False, _D, _RTD),
    _row(DEFAULT_IDP, "clientSecret", "none (Required); not Sensitive, no pulumi-gcp Secret",
         "required", "read back from the API: secret only if sent as one, plaintext on import "
         "(the program sets additional_secret_outputs)", False, _D,
         f"{_RT}::test_an_import_reads_the_client_secret_in_plaintext; "
         f"{_RT}::test_the_provider_marks_no_client_secret_secret"),
    _row(DEFAULT_IDP, "enabled", "none", _MMV1_EMPTY, _NIL_FALSE, False, _D, _RTD),
    _row(DEFAULT_IDP, "project", "none", "n/a", "Computed", True, _D, _FN),
    # --- OIDC config (MMv1): no responseType in the tenant resource, and no clientSecret sent:
    # both are TenantOidcFlow's (contract_signin.py); the secret it reads back is ignored ---
    _row(OIDC_IDP, "name", "none; MM: \"Must start with `oidc.`\" (API refuses others)",
         "url param and body", "name_from_self_link", True, _O,
         "tests/sandbox/test_sandbox_validation.py::"
         f"test_oidc_ids_follow_magic_modules_tenant_oauth_idp_config; {_FN}"),
    _row(OIDC_IDP, "tenant", "none", "url", "from the import id", True, _O, _FN),
    _row(OIDC_IDP, "displayName", "none (Required)", "required", "as stored", False, _O, _RTD),
    _row(OIDC_IDP, "issuer", "none (Required); API: https URL", "required", "as stored", False,
         _O, f"{_CHECK}::test_api_rules_pass_check_and_fail_at_create; {_RTD}"),
    _row(OIDC_IDP, "clientId", "none (Required)", "required", "as stored", False, _O, _RTD),
    _row(OIDC_IDP, "enabled", "none", _MMV1_EMPTY, _NIL_FALSE, False, _O, _RTD),
    _row(OIDC_IDP, "project", "none", "n/a", "Computed", True, _O, _FN),
    # --- SAML config (MMv1) ---
    _row(SAML_IDP, "name", "none; MM: saml. + >= 2 of [A-Za-z0-9_.-], lowercase first, "
         "alphanumeric last (API refuses others)", "url param and body", "name_from_self_link",
         True, _S, "tests/sandbox/test_sandbox_validation.py::"
         f"test_saml_ids_follow_magic_modules_tenant_inbound_saml_config; {_FN}"),
    _row(SAML_IDP, "tenant", "none", "url", "from the import id", True, _S, _FN),
    _row(SAML_IDP, "displayName", "none (Required)", "required", "as stored", False, _S, _RTD),
    _row(SAML_IDP, "idpConfig.idpEntityId", "none (Required)", "required", "as stored", False,
         _S, f"{_CHECK}::test_failures_name_the_property; {_RTD}"),
    _row(SAML_IDP, "idpConfig.ssoUrl", "none (Required); API: URL", "required", "as stored",
         False, _S, f"{_CHECK}::test_api_rules_pass_check_and_fail_at_create; {_RTD}"),
    _row(SAML_IDP, "idpConfig.signRequest", "none", _MMV1_EMPTY, _NIL_FALSE, False, _S, _RTD),
    _row(SAML_IDP, "idpConfig.idpCertificates[].x509Certificate",
         "none (item Optional); API wants one", "required by the API", "as stored (ordered list)",
         False, _S, f"{_CHECK}::test_api_rules_pass_check_and_fail_at_create; {_RTD}"),
    _row(SAML_IDP, "spConfig.spEntityId", "none (Required)", "required", "as stored", False, _S,
         _RTD),
    _row(SAML_IDP, "spConfig.callbackUri", "none (Required); API: URL", "required", "as stored; "
         "spCertificates Computed beside it (no diff)", False, _S,
         f"{_CHECK}::test_api_rules_pass_check_and_fail_at_create; {_RTD}"),
    _row(SAML_IDP, "enabled", "none", _MMV1_EMPTY, _NIL_FALSE, False, _S, _RTD),
    _row(SAML_IDP, "project", "none", "n/a", "Computed", True, _S, _FN),
    # --- bucket (handwritten) ---
    _row(BUCKET, "name", "none: GCS refuses at insert", "always", "as sent", True, _B,
         f"{_CHECK}::test_api_rules_pass_check_and_fail_at_create; {_FN}"),
    _row(BUCKET, "location", "none (Required): GCS refuses an unknown one at insert",
         "as given", "upper-cased (StateFunc strings.ToUpper): case-only changes are no diff",
         True, _B, f"{_RT}::test_a_versioning_flag_set_false_is_sent_and_read_back; "
         f"{_FID}::test_a_bad_location_passes_check_and_fails_create; {_FN}"),
    _row(BUCKET, "storageClass", "none: the API", "always (Default STANDARD, not Computed)",
         "as sent; removing it updates back to STANDARD", False, _B,
         f"{_DIFF}::test_removing_storage_class_is_an_update_back_to_standard"),
    _row(BUCKET, "uniformBucketLevelAccess", "none",
         "always (ForceSendFields in expandIamConfiguration)", "Optional+Computed", False, _B,
         _RTD),
    _row(BUCKET, "publicAccessPrevention", "none: the API (inherited, enforced)",
         "when non-empty", "Optional+Computed", False, _B,
         f"{_CHECK}::test_api_rules_pass_check_and_fail_at_create; {_RTD}"),
    _row(BUCKET, "versioning.enabled", "none (Required in the block)",
         "yes: enabled=false is force-sent (expandBucketVersioning)",
         "Optional+Computed; false read back as false", False, _B,
         f"{_RT}::test_a_versioning_flag_set_false_is_sent_and_read_back; "
         f"{_RT}::test_versioning_with_a_retention_policy_passes_check_and_fails_at_create",
         "GCS refuses versioning enabled with a retention policy (no ConflictsWith: at "
         "insert/patch); validate refuses both"),
    _row(BUCKET, "retentionPolicy.retentionPeriod", "none (ParseInt at create): the API, "
         "< 3,155,760,000 s", "only when the block is present; isLocked never on insert",
         "{isLocked: false, retentionPeriod}", False, _B,
         f"{_CHECK}::test_api_rules_pass_check_and_fail_at_create; "
         f"{_RT}::test_versioning_with_a_retention_policy_passes_check_and_fails_at_create",
         "excludes versioning.enabled=true; only isLocked true->false replaces"),
    _row(BUCKET, "labels", "keys: labelKeyValidator ^[a-z0-9_-]{1,63}$; the API adds a "
         "letter first and values", "as effective labels", "only configured keys "
         "(SetLabels); goog-pulumi-provisioned added in effectiveLabels/pulumiLabels", False, _B,
         f"{_CHECK}::test_failures_name_the_property; {_RTD}", "64 labels per resource"),
    _row(BUCKET, "forceDestroy", "none", "never (client-side)", "kept from state", False, _B,
         f"{_FID}::test_a_bucket_holding_objects_is_not_deleted_without_force_destroy"),
    _row(BUCKET, "deletionPolicy", "DeletionPolicySchemaEntry", _CLIENT_SIDE, "kept", False,
         _B, _FN),
    _row(BUCKET, "project", "none", "n/a", "Computed", True, _B, _FN),
    # --- service account ---
    _row(ACCOUNT, "accountId", "ValidateRFC1035Name(6, 30)", "always", "as sent", True, _A,
         f"{_CHECK}::test_failures_name_the_property; {_FN}"),
    _row(ACCOUNT, "displayName", "none: IAM refuses > 100 characters", "when set", "as sent",
         False, _A, f"{_CHECK}::test_api_rules_pass_check_and_fail_at_create"),
    _row(ACCOUNT, "description", "StringLenBetween(0, 256): Go len, so bytes", "when set",
         "as sent", False, _A, f"{_CHECK}::test_every_problem_is_reported_not_just_the_first"),
    _row(ACCOUNT, "project", "none", "n/a", "Computed", True, _A, _FN),
    # --- IAM members ---
    _row(BUCKET_IAM, "bucket", "none", "always", "b/NAME and NAME are one (CompareResourceNames)",
         True, f"{_IAM}; TPG/services/storage/iam_storage_bucket.go", _FN),
    _row(BUCKET_IAM, "role", "none: the API", "always", "as sent", True, _IAM,
         f"{_CHECK}::test_api_rules_pass_check_and_fail_at_create; {_FN}"),
    _row(BUCKET_IAM, "member", "validateIAMMember (no deleted:, unanchored TYPE:VALUE)", "always",
         "the policy's spelling; case-only changes are no diff (iamMemberCaseDiffSuppress)",
         True, f"{_IAM}; TPG/tpgresource/utils.go",
         f"{_DIFF}::test_iam_members_differ_only_beyond_case; {_FN}"),
    _row(ACCOUNT_IAM, "serviceAccountId", "ValidateRegexp(ServiceAccountLinkRegex)", "always",
         "as sent", True, f"{_IAM}; TPG/services/resourcemanager/iam_service_account.go", _FN),
    _row(ACCOUNT_IAM, "role", "none: the API", "always", "as sent", True, _IAM, _FN),
    _row(ACCOUNT_IAM, "member", "validateIAMMember", "always", "as BucketIAMMember's member",
         True, _IAM, f"{_DIFF}::test_iam_members_differ_only_beyond_case; {_FN}"),
    # --- the reconciler's own Identity Toolkit resources (contract_signin.py) ---
    *(_row(*row) for row in (*SIGN_IN_ROWS, *OIDC_FLOW_ROWS)),
)  # fmt: skip

DYNAMIC = frozenset({SIGN_IN, OIDC_FLOW})
"""Types no pulumi-gcp schema describes: the sandbox has no kind for them (the API's own
round trip, through the sandbox's Identity Toolkit front), their replacement is their diff's."""


def force_new_fields(resource: str) -> frozenset[str]:
    """The pulumi property paths of `resource` whose change replaces it."""
    return frozenset(row.field for row in ROWS if row.resource == resource and row.force_new)


def short_type(token: str) -> str:
    """`gcp:storage/bucket:Bucket` -> `Bucket` (the README's column)."""
    return token.rsplit(":", 1)[-1]


COLUMNS = (
    "resource · field",
    "upstream validation",
    "empty/false sent?",
    "read back (API default)",
    "force-new",
    "exclusions",
    "upstream file",
    "pinned by",
)


def render_markdown() -> str:
    """The README's round-trip table (TPG/ = terraform-provider-google-beta google-beta/)."""
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "| " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    for row in ROWS:
        cells = (
            f"{short_type(row.resource)} · `{row.field}`",
            row.validation,
            row.empty_sent,
            row.read_back,
            "**yes**" if row.force_new else "no",
            row.exclusions or "—",
            row.source,
            "; ".join(f"`{p.strip().split('::')[-1]}`" for p in row.pinned_by.split(";")),
        )
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
