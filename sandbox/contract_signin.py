"""The round-trip contract of the reconciler's own Identity Toolkit resources (rows for
`contract.ROWS`).

pulumi-gcp's Tenant carries five settings and its tenant OIDC config no response type, so the
program sends the rest through two Pulumi dynamic resources that PATCH the Identity Toolkit v2
API themselves (docs/sign-in.md): `TenantSignInSettings` (one `projects.tenants.patch` whose
update mask names exactly the owned settings) and `TenantOidcFlow` (one
`projects.tenants.oauthIdpConfigs.patch` of the response type and client secret). No
Terraform schema stands between them and the API, so each row is the API's own round trip:
its rules, what the PATCH sends (always explicit values: AIP-134 clears a masked field the
body leaves out, the Auth emulator skips it), what a GET answers and how the resource reads
it, and replacement: none, every setting is PATCHed in place; only the identity of the object
patched (project, tenant, IdP id) replaces, as the resources' own diff says.

Sources, as docs/sign-in.md and /work/notes/identitytoolkit.md cite them: `IT/` the Identity
Toolkit v2 REST reference (cloud.google.com/identity-platform/docs/reference/rest/v2/),
`FT/` firebase-tools `lib/emulator/auth/apiSpec.js` (the discovery document as OpenAPI,
schema names `GoogleCloudIdentitytoolkitAdminV2*`), `ADM/` firebase-admin-node `src/auth/`.
Plain tuples, in `contract._row`'s argument order, so this module needs nothing from
`contract` (which imports it).
"""

from __future__ import annotations

from typing import Any

SIGN_IN = "pulumi-python:dynamic/identityplatform:TenantSignInSettings"
OIDC_FLOW = "pulumi-python:dynamic/identityplatform:TenantOidcFlow"

_TENANT = "IT/projects.tenants patch (updateMask); FT/apiSpec.js AdminV2Tenant"
_OIDC = (
    "IT/projects.tenants.oauthIdpConfigs patch; FT/apiSpec.js AdminV2OAuthIdpConfig, "
    "AdminV2OAuthResponseType; ADM/auth-config.ts OIDCConfig.validate"
)

_SI = "tests/reconciler/program/test_program_signin.py"
_OF = "tests/reconciler/program/test_program_oidc_flow.py"
_IA = "tests/sandbox/test_sandbox_identity_api.py"
_E2E = (
    "tests/e2e/test_sign_in.py::test_every_setting_is_set_changed_in_place_drifts_and_is_repaired"
)
_PC = "tests/reconciler/program/test_program_contract.py"
_OURS_FN = f"{_PC}::test_force_new_of_our_resources_is_their_diffs_replacement"
_TRIP = f"{_SI}::test_every_setting_round_trips_through_the_apis_answer; {_E2E}; {_OURS_FN}"
_OMIT = f"{_SI}::test_normalized_reads_the_apis_omissions_as_defaults; {_E2E}; {_OURS_FN}"

_SENT = "yes: explicit under its mask path (false, [], OFF)"
_ABSENT_FALSE = "absent reads back false (normalised: no diff)"

SIGN_IN_ROWS: tuple[tuple[Any, ...], ...] = (
    (SIGN_IN, "project", "the URL's project", "url", "from props", True,
     _TENANT, f"{_SI}::test_an_unchanged_tenant_is_no_change_and_another_tenant_a_replacement; "
     f"{_OURS_FN}"),
    (SIGN_IN, "tenant", "the URL's tenant (pulumi-gcp Tenant's server-assigned name)", "url",
     "from props; gone tenant reads as gone", True, _TENANT,
     f"{_SI}::test_read_of_a_deleted_tenant_says_the_settings_are_gone; {_OURS_FN}"),
    (SIGN_IN, "owned", "ours: the Tenant fields the manifest owns", "never: it builds the "
     "update mask (nothing pulumi-gcp owns, never recaptchaKeys or lastUpdateTime)",
     "kept from the inputs", False, _TENANT,
     f"{_SI}::test_the_mask_names_exactly_the_owned_settings_and_never_server_fields; "
     f"{_SI}::test_settings_kept_when_absent_are_owned_only_when_written; {_OURS_FN}"),
    (SIGN_IN, "enableAnonymousUser", "bool", _SENT, _ABSENT_FALSE, False, _TENANT, _TRIP),
    (SIGN_IN, "autodeleteAnonymousUsers", "bool (\"after a period of 30 days\")", _SENT,
     _ABSENT_FALSE, False, _TENANT, _TRIP),
    (SIGN_IN, "mfaConfig.state", "enum STATE_UNSPECIFIED, DISABLED, ENABLED, MANDATORY "
     "(AdminV2MultiFactorAuthConfig; ADM accepts two: its limit)", _SENT,
     "absent or STATE_UNSPECIFIED reads DISABLED", False, _TENANT, _TRIP),
    (SIGN_IN, "mfaConfig.enabledProviders", "enum[] PHONE_SMS only (TOTP: 400 INVALID_ARGUMENT)",
     "yes: [] clears (ADM sends it explicitly)", "a set: sorted, absent = []", False, _TENANT,
     _TRIP),
    (SIGN_IN, "mfaConfig.providerConfigs", "[{state, totpProviderConfig.adjacentIntervals "
     "0-10}] (ADM validate); \"does not support phone based MFA\"", "yes: [] clears",
     "absent = []; entries without totpProviderConfig dropped", False, _TENANT, _TRIP,
     "TOTP's own state follows mfaConfig.state (MFA off switches TOTP off)"),
    (SIGN_IN, "passwordPolicyConfig.passwordPolicyEnforcementState", "enum OFF, ENFORCE "
     "(ADM: constraints required with ENFORCE)", _SENT, "UNSPECIFIED reads OFF", False,
     _TENANT, _OMIT),
    (SIGN_IN, "passwordPolicyConfig.passwordPolicyVersions", "\"Must be of length 1\"; "
     "minPasswordLength 6-30, max >= min and <= 4096 (ADM)", "yes: one version, every option",
     "unset max reads 4096; schemaVersion (output only) ignored", False, _TENANT, _OMIT,
     "lastUpdateTime is output only: never masked"),
    (SIGN_IN, "passwordPolicyConfig.forceUpgradeOnSignin", "bool", _SENT, _ABSENT_FALSE, False,
     _TENANT, _OMIT),
    (SIGN_IN, "smsRegionConfig", "CLDR two-letter region codes (IT); ADM: not both policies",
     "yes: the whole field; every region = an empty allowByDefault blocklist",
     "absent = every region; regions sorted, deduplicated", False, _TENANT, _OMIT,
     "allowByDefault and allowlistOnly exclude each other: masked whole"),
    (SIGN_IN, "recaptchaConfig.emailPasswordEnforcementState", "enum OFF, AUDIT, ENFORCE",
     _SENT, "UNSPECIFIED reads OFF", False, _TENANT, _OMIT,
     "recaptchaKeys are Identity Platform's: never masked"),
    (SIGN_IN, "recaptchaConfig.phoneEnforcementState", "enum OFF, AUDIT, ENFORCE", _SENT,
     "UNSPECIFIED reads OFF", False, _TENANT, _OMIT),
    (SIGN_IN, "recaptchaConfig.managedRules", "endScore 0-1 at 11 discrete values, action "
     "BLOCK (ADM); intervals \"without overlapping\"", "yes: [] clears",
     "float32 scores rounded to 0.1, sorted", False, _TENANT, _OMIT),
    (SIGN_IN, "recaptchaConfig.tollFraudManagedRules", "startScore as managedRules' endScore; "
     "action BLOCK", "yes: [] clears", "as managedRules", False, _TENANT, _OMIT,
     "take effect only with phoneEnforcementState AUDIT/ENFORCE"),
    (SIGN_IN, "recaptchaConfig.useAccountDefender", "bool (\"Defaults to false\")", _SENT,
     _ABSENT_FALSE, False, _TENANT, _OMIT),
    (SIGN_IN, "recaptchaConfig.useSmsBotScore", "bool", _SENT, _ABSENT_FALSE, False, _TENANT,
     _OMIT, "\"Can only be true when the phone_enforcement_state is AUDIT or ENFORCE\""),
    (SIGN_IN, "recaptchaConfig.useSmsTollFraudProtection", "bool", _SENT, _ABSENT_FALSE, False,
     _TENANT, _OMIT, "as useSmsBotScore"),
    (SIGN_IN, "emailPrivacyConfig.enableImprovedEmailPrivacy", "bool", _SENT, _ABSENT_FALSE,
     False, _TENANT, _OMIT),
    (SIGN_IN, "inheritance.emailSendingConfig", "bool (\"If false (by default)\")", _SENT,
     _ABSENT_FALSE, False, _TENANT, _TRIP),
    (SIGN_IN, "monitoring.requestLogging.enabled", "bool", "only when the manifest writes it "
     "(absent: left as it is)", _ABSENT_FALSE, False, _TENANT, _OMIT),
    (SIGN_IN, "mobileLinksConfig.domain", "enum HOSTING_DOMAIN, FIREBASE_DYNAMIC_LINK_DOMAIN",
     "only when the manifest writes it (absent: left as it is)", "absent reads "
     "DOMAIN_UNSPECIFIED", False, _TENANT, _OMIT),
    (SIGN_IN, "testPhoneNumbers", "at most 10 (\"a maximum of 10 pairs\"), E.164 keys; ADM: "
     "six-digit codes (checked before sending, never shown)", "yes: the whole map; {} clears",
     "the map; a secret input and a secret output (additional_secret_outputs): ciphertext "
     "in state", False, _TENANT,
     f"{_IA}::test_the_apis_rules_for_test_numbers; "
     f"{_SI}::test_a_code_that_is_not_six_digits_is_refused_before_anything_is_sent; {_E2E}"),
    (SIGN_IN, "testPhones", "ours: the numbers alone, in the clear", "never (a preview names "
     "the numbers that changed; the codes' map is masked)", "the map's keys", False, _TENANT,
     f"{_SI}::test_create_sends_one_patch_of_exactly_the_owned_settings; {_OURS_FN}"),
)  # fmt: skip

OIDC_FLOW_ROWS: tuple[tuple[Any, ...], ...] = (
    (OIDC_FLOW, "project", "the URL's project", "url", "from props", True, _OIDC,
     f"{_OF}::test_another_config_is_a_replacement; {_OURS_FN}"),
    (OIDC_FLOW, "tenant", "the URL's tenant", "url", "from props", True, _OIDC,
     f"{_OF}::test_another_config_is_a_replacement; {_OURS_FN}"),
    (OIDC_FLOW, "idpId", "the URL's config (the pulumi-gcp TenantOauthIdpConfig's name)", "url",
     "a gone config reads as gone", True, _OIDC,
     f"{_OF}::test_read_reports_the_live_flow_and_a_gone_config_as_gone; {_OURS_FN}"),
    (OIDC_FLOW, "responseType", "\"either id_token or code to true, but not both\"; token "
     "deprecated", "yes: {code, idToken}, both explicit, mask responseType.code,"
     "responseType.idToken", "code, idToken, or unset (neither)", False, _OIDC,
     f"{_OF}::test_the_code_flow_is_sent_with_its_secret_in_one_patch; "
     f"{_OF}::test_response_type_reads_the_apis_flags; "
     f"{_IA}::test_both_response_types_at_once_are_refused; {_OURS_FN}",
     "code needs clientSecret (ADM: MISSING_OAUTH_CLIENT_SECRET)"),
    (OIDC_FLOW, "clientSecret", "none (\"to enable OIDC code flow\")", "with the code flow "
     "only; masked and left out with idToken, so cleared", "read back from the API: a secret "
     "output (additional_secret_outputs); pulumi-gcp's config reads it too, so it is "
     "created without one and ignores it (not Sensitive: additional_secret_outputs there)",
     False, _OIDC,
     f"{_OF}::test_the_code_flow_is_sent_with_its_secret_in_one_patch; "
     f"{_OF}::test_the_implicit_flow_clears_the_secret; {_E2E}; {_OURS_FN}",
     "only with responseType code"),
)  # fmt: skip
