"""The tenant's identity: an Identity Platform tenant and one config per sign-in provider."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from reconciler import names
from reconciler.manifests.model import DefaultIdp, IdentityProvider, OidcIdp, SamlIdp
from reconciler.program.context import TenantContext
from reconciler.program.oidc_flow import CODE, TenantOidcFlow
from reconciler.program.tenant_settings import (
    LEGACY_TYPE_NAME,
    TEST_PHONE_NUMBERS,
    TenantSignInSettings,
)

IdpConfig = (
    gcp.identityplatform.TenantDefaultSupportedIdpConfig
    | gcp.identityplatform.TenantOauthIdpConfig
    | gcp.identityplatform.TenantInboundSamlConfig
)


def identity_tenant(ctx: TenantContext) -> gcp.identityplatform.Tenant:
    """The Identity Platform tenant: the tenant's users live here, so it is protected."""
    auth = ctx.tenant.auth
    name = names.identity_tenant_name(ctx.tenant.name)
    return gcp.identityplatform.Tenant(
        name,
        display_name=ctx.tenant.display_name,
        allow_password_signup=auth.allow_password_signup,
        enable_email_link_signin=auth.enable_email_link_signin,
        disable_auth=auth.disable_auth,
        client=_client(ctx),
        # Two locks: Pulumi's protect guards this stack, PREVENT guards the provider too.
        deletion_policy=ctx.deletion_policy,
        project=ctx.project,
        opts=pulumi.ResourceOptions(
            protect=ctx.protected,
            import_=ctx.import_id(name),
            ignore_changes=ctx.ignored_on_import(name),
        ),
    )


def _client(ctx: TenantContext) -> gcp.identityplatform.TenantClientArgs | None:
    """The `client` block, only while a permission is on.

    The provider sends no false leaf and no empty object (terraform-provider-google-beta
    services/identityplatform/resource_identity_platform_tenant.go,
    `expandIdentityPlatformTenantClientPermissions` and `expandIdentityPlatformTenantClient`
    drop what `tpgresource.IsEmptyValue` calls empty; magic-modules
    mmv1/products/identityplatform/Tenant.yaml sets no `send_empty_value`), and its
    `flattenIdentityPlatformTenantClient` reads an absent or empty `client` back as no block.
    A block of two false flags would therefore be in every plan and never in state: an
    update on every preview and drift on every tenant, forever.
    """
    permissions = ctx.tenant.auth.client_permissions
    if not (permissions.disabled_user_signup or permissions.disabled_user_deletion):
        return None
    return gcp.identityplatform.TenantClientArgs(
        permissions=gcp.identityplatform.TenantClientPermissionsArgs(
            disabled_user_signup=permissions.disabled_user_signup,
            disabled_user_deletion=permissions.disabled_user_deletion,
        )
    )


CLIENT_SECRET_OUTPUTS = ["clientSecret"]
"""pulumi-gcp marks no Identity Platform output secret (provider/resources.go maps these
types with `Tok` only; the Terraform schemas have no `Sensitive`), and the provider reads
`clientSecret` back from the API (`flatten...ClientSecret`). An input given as a secret
keeps its output secret, but an import (`reconciler adopt`) reads the output with no input
to follow: without this option the imported state holds the secret in plaintext."""


def sign_in_settings(
    ctx: TenantContext, tenant: gcp.identityplatform.Tenant
) -> TenantSignInSettings:
    """The tenant's other sign-in settings (MFA, password policy, SMS regions, reCAPTCHA,
    ...), which pulumi-gcp's Tenant cannot carry.

    Declared for every tenant, so a manifest that leaves a setting out means the API's
    default, and a change made by hand in the console shows as drift. Protected like the
    tenant: deleting it puts the defaults back. It takes over the state of the MFA-only
    resource stacks deployed before it hold (`aliases`), so that one update, not a delete
    that switches MFA off, moves them over.
    """
    numbers = [phone.number for phone in ctx.tenant.auth.test_phone_numbers]
    codes = [ctx.secrets.client_secret(number, ctx.project) for number in numbers]
    test_codes = pulumi.Output.all(*codes).apply(
        lambda found: dict(zip(numbers, found, strict=True))
    )
    unread = sorted(
        {p for n in numbers for p in ctx.secrets.ignored_properties(n, TEST_PHONE_NUMBERS)}
    )
    return TenantSignInSettings(
        names.sign_in_settings_name(ctx.tenant.name),
        project=ctx.project,
        tenant=tenant.name,
        auth=ctx.tenant.auth,
        test_codes=test_codes,
        opts=pulumi.ResourceOptions(
            protect=ctx.protected,
            aliases=[
                pulumi.Alias(name=names.mfa_config_name(ctx.tenant.name), type_=LEGACY_TYPE_NAME)
            ],
            # A preview that does not read the codes keeps the deployed ones ("not compared").
            ignore_changes=unread or None,
        ),
    )


def identity_providers(ctx: TenantContext, tenant: gcp.identityplatform.Tenant) -> list[IdpConfig]:
    """One config per IdP in the manifest, each bound to the tenant's server-assigned name."""
    return [_idp_config(ctx, idp, tenant.name) for idp in ctx.tenant.identity_providers]


def _idp_config(
    ctx: TenantContext, idp: IdentityProvider, tenant_id: pulumi.Output[str]
) -> IdpConfig:
    name = names.idp_name(ctx.tenant.name, idp.id)
    if isinstance(idp, OidcIdp):
        return _oidc(ctx, idp, name, tenant_id)
    if isinstance(idp, SamlIdp):
        return _saml(ctx, idp, name, tenant_id)
    return _default(ctx, idp, name, tenant_id)


def _default(
    ctx: TenantContext, idp: DefaultIdp, name: str, tenant_id: pulumi.Output[str]
) -> gcp.identityplatform.TenantDefaultSupportedIdpConfig:
    return gcp.identityplatform.TenantDefaultSupportedIdpConfig(
        name,
        tenant=tenant_id,
        idp_id=idp.id,
        client_id=idp.client_id,
        client_secret=ctx.secrets.client_secret(idp.id, ctx.project),
        enabled=idp.enabled,
        project=ctx.project,
        # An import ignores what lives only in state; a preview that does not read the secret
        # keeps the deployed one ("not compared").
        opts=pulumi.ResourceOptions(
            import_=ctx.import_id(name),
            ignore_changes=[
                *(ctx.ignored_on_import(name) or []),
                *ctx.secrets.ignored_properties(idp.id),
            ]
            or None,
            additional_secret_outputs=CLIENT_SECRET_OUTPUTS,
        ),
    )


def _oidc(
    ctx: TenantContext, idp: OidcIdp, name: str, tenant_id: pulumi.Output[str]
) -> gcp.identityplatform.TenantOauthIdpConfig:
    # The client secret is the flow's (`oidc_flow.py` sends it with the response type): this
    # config is created without one and ignores the one the API reads back, which is kept
    # as a secret in state.
    config = gcp.identityplatform.TenantOauthIdpConfig(
        name,
        tenant=tenant_id,
        name=idp.id,
        display_name=idp.display_name,
        issuer=idp.issuer,
        client_id=idp.client_id,
        enabled=idp.enabled,
        project=ctx.project,
        opts=pulumi.ResourceOptions(
            import_=ctx.import_id(name),
            ignore_changes=[*(ctx.ignored_on_import(name) or []), "clientSecret"],
            additional_secret_outputs=CLIENT_SECRET_OUTPUTS,
        ),
    )
    _oidc_flow(ctx, idp, tenant_id, config)
    return config


def _oidc_flow(
    ctx: TenantContext,
    idp: OidcIdp,
    tenant_id: pulumi.Output[str],
    config: gcp.identityplatform.TenantOauthIdpConfig,
) -> TenantOidcFlow:
    """The provider's flow, after its config exists: one PATCH of response type and secret."""
    code = idp.response_type == CODE
    return TenantOidcFlow(
        names.oidc_flow_name(ctx.tenant.name, idp.id),
        {
            "project": ctx.project,
            "tenant": tenant_id,
            "idpId": idp.id,
            "responseType": idp.response_type,
            # Only the code flow uses a client secret; an idToken provider must not carry one.
            "clientSecret": ctx.secrets.client_secret(idp.id, ctx.project) if code else "",
        },
        opts=pulumi.ResourceOptions(
            depends_on=[config],
            # A preview that does not read the secret keeps the deployed one ("not compared").
            ignore_changes=ctx.secrets.ignored_properties(idp.id) or None,
        ),
    )


def _saml(
    ctx: TenantContext, idp: SamlIdp, name: str, tenant_id: pulumi.Output[str]
) -> gcp.identityplatform.TenantInboundSamlConfig:
    certificates = [
        gcp.identityplatform.TenantInboundSamlConfigIdpConfigIdpCertificateArgs(x509_certificate=c)
        for c in idp.certificates
    ]
    return gcp.identityplatform.TenantInboundSamlConfig(
        name,
        tenant=tenant_id,
        name=idp.id,
        display_name=idp.display_name,
        idp_config=gcp.identityplatform.TenantInboundSamlConfigIdpConfigArgs(
            idp_entity_id=idp.idp_entity_id,
            sso_url=idp.sso_url,
            sign_request=idp.sign_request,
            idp_certificates=certificates,
        ),
        sp_config=gcp.identityplatform.TenantInboundSamlConfigSpConfigArgs(
            sp_entity_id=idp.sp_entity_id,
            callback_uri=idp.callback_uri,
        ),
        enabled=idp.enabled,
        project=ctx.project,
        opts=pulumi.ResourceOptions(
            import_=ctx.import_id(name), ignore_changes=ctx.ignored_on_import(name)
        ),
    )
