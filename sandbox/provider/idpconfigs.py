"""A tenant's sign-in provider configs: default-supported IdPs, OIDC and SAML.

The Auth emulator answers 501 for every IdP-config method, so these live in the sandbox's
SQLite file under their real resource names
(`projects/P/tenants/T/{defaultSupportedIdpConfigs|oauthIdpConfigs|inboundSamlConfigs}/ID`),
stored beneath their tenant. Every operation first checks that the tenant exists in the
emulator; a tenant deleted there takes its configs with it, as in the real service.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, ClassVar

from sandbox.provider import validation
from sandbox.provider.resource import (
    CheckRequest,
    Cloud,
    Failure,
    Field,
    ProviderError,
    ResourceKind,
    auto_name,
    deletion_allowed,
    known_str,
)
from sandbox.provider.store import AlreadyExists
from sandbox.provider.tenant import tenant_path
from sandbox.provider.values import UNKNOWN, contains_unknown


class _TenantIdpConfig(ResourceKind):
    """What the three IdP config types share: stored under a tenant, keyed by an id field."""

    collection: ClassVar[str]
    id_field: ClassVar[str]

    def preview(self, cloud: Cloud, inputs: dict[str, Any]) -> dict[str, Any]:
        return self._outputs(inputs, planned=True)

    def create(self, cloud: Cloud, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        parent = self._require_tenant(cloud, inputs["project"], inputs["tenant"])
        resource_id = f"{parent}/{self.collection}/{inputs[self.id_field]}"
        outputs = self._outputs(inputs)
        try:
            cloud.store.insert(self.token, resource_id, outputs, parent=parent)
        except AlreadyExists:
            raise ProviderError(
                f"Error 409: {resource_id} already exists (ALREADY_EXISTS)"
            ) from None
        return resource_id, outputs

    def read(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> dict[str, Any] | None:
        project, tenant_id = _tenant_of(resource_id)
        if cloud.identity_toolkit.find_tenant(project, tenant_id) is None:
            cloud.store.delete_children(tenant_path(project, tenant_id))
            return None
        stored = cloud.store.get(self.token, resource_id)
        if stored is None:
            return None
        known = {f.name for f in self.fields} | {"name"}
        return {
            **{key: value for key, value in stored.items() if key in known},
            "deletionPolicy": state.get("deletionPolicy", stored.get("deletionPolicy")),
        }

    def update(
        self, cloud: Cloud, resource_id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        self._require_tenant(cloud, news["project"], news["tenant"])
        outputs = self._outputs(news)
        stored = cloud.store.get(self.token, resource_id)
        if stored is None:
            raise ProviderError(f"Error 404: {resource_id} not found (run `pulumi refresh`)")
        # The provider PATCHes only what changed (update mask): fields the API holds beyond
        # the provider's schema (an OIDC config's responseType) stay as they are.
        cloud.store.replace(self.token, resource_id, {**stored, **outputs})
        return outputs

    def delete(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> None:
        if deletion_allowed(self, resource_id, state):
            cloud.store.delete(self.token, resource_id)

    def _outputs(self, inputs: dict[str, Any], planned: bool = False) -> dict[str, Any]:
        return {f.name: inputs.get(f.name) for f in self.fields}

    def defaults(self, inputs: dict[str, Any], request: CheckRequest) -> dict[str, Any]:
        # `name` is Required upstream but auto-named by pulumi-gcp (SetAutonaming), so a
        # missing one becomes `<resource name>-<hex>`, which the API then refuses.
        if any(f.autonamed for f in self.fields) and inputs.get("name") is None:
            inputs["name"] = request.olds.get("name") or auto_name(
                request.name, request.random_seed
            )
        return inputs

    @staticmethod
    def _require_tenant(cloud: Cloud, project: str, tenant_id: str) -> str:
        if cloud.identity_toolkit.find_tenant(project, tenant_id) is None:
            raise ProviderError(
                f"Error 404: TENANT_NOT_FOUND : tenant {tenant_id!r} does not exist in "
                f"project {project}"
            )
        return tenant_path(project, tenant_id)


class TenantDefaultSupportedIdpConfig(_TenantIdpConfig):
    token = "gcp:identityplatform/tenantDefaultSupportedIdpConfig:TenantDefaultSupportedIdpConfig"
    collection = "defaultSupportedIdpConfigs"
    id_field = "idpId"

    fields = (
        Field("idpId", replaces=True, required=True),
        Field("tenant", replaces=True, required=True),
        Field("clientId", required=True),
        # Not Sensitive in the Terraform schema, no `Secret` in pulumi-gcp's provider/resources.go:
        # an output is secret only when its input was (or the program asks for it).
        Field("clientSecret", required=True),
        Field("enabled"),
        Field("deletionPolicy"),
        Field("project", replaces=True, computed=True),
    )

    def api_validate(self, inputs: dict[str, Any]) -> list[Failure]:
        idp_id = known_str(inputs, "idpId")
        if idp_id is not None and (why := validation.default_idp_id(idp_id)):
            return [Failure("idpId", why)]
        return []

    def _outputs(self, inputs: dict[str, Any], planned: bool = False) -> dict[str, Any]:
        outputs = super()._outputs(inputs)
        outputs["enabled"] = bool(inputs.get("enabled"))
        if planned and contains_unknown(
            [inputs.get(key) for key in ("project", "tenant", "idpId")]
        ):
            outputs["name"] = UNKNOWN
        else:
            parent = tenant_path(inputs["project"], inputs["tenant"])
            outputs["name"] = f"{parent}/{self.collection}/{inputs['idpId']}"
        return outputs


class TenantOauthIdpConfig(_TenantIdpConfig):
    token = "gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig"
    collection = "oauthIdpConfigs"
    id_field = "name"

    fields = (
        Field("name", replaces=True, autonamed=True),
        Field("tenant", replaces=True, required=True),
        Field("displayName", required=True),
        Field("issuer", required=True),
        Field("clientId", required=True),
        Field("clientSecret"),  # not a provider secret either (see the default IdP config)
        Field("enabled"),
        Field("deletionPolicy"),
        Field("project", replaces=True, computed=True),
    )

    def api_validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = []
        name = known_str(inputs, "name")
        if name is not None and (why := validation.oidc_provider_id(name)):
            failures.append(Failure("name", why))
        issuer = known_str(inputs, "issuer")
        if issuer is not None and (why := validation.url(issuer, https_only=True)):
            failures.append(Failure("issuer", why))
        return failures

    def _outputs(self, inputs: dict[str, Any], planned: bool = False) -> dict[str, Any]:
        return {**super()._outputs(inputs), "enabled": bool(inputs.get("enabled"))}


def _without_sp_certificates(sp_config: Any) -> Any:
    """spConfig as the user writes it: spCertificates is the server's, never an input."""
    if not isinstance(sp_config, dict):
        return sp_config
    return {key: value for key, value in sp_config.items() if key != "spCertificates"}


class TenantInboundSamlConfig(_TenantIdpConfig):
    token = "gcp:identityplatform/tenantInboundSamlConfig:TenantInboundSamlConfig"
    collection = "inboundSamlConfigs"
    id_field = "name"

    fields = (
        Field("name", replaces=True, autonamed=True),
        Field("tenant", replaces=True, required=True),
        Field("displayName", required=True),
        Field("idpConfig", required=True),
        Field("spConfig", required=True, canonical=_without_sp_certificates),
        Field("enabled"),
        Field("deletionPolicy"),
        Field("project", replaces=True, computed=True),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        # Required nested fields are schema rules: the provider refuses them at plan time.
        failures = []
        idp = inputs.get("idpConfig")
        if isinstance(idp, dict):
            failures += _required_keys(
                "idpConfig", idp, ("idpEntityId", "ssoUrl", "idpCertificates")
            )
        sp = inputs.get("spConfig")
        if isinstance(sp, dict):
            failures += _required_keys("spConfig", sp, ("spEntityId", "callbackUri"))
        return failures

    def api_validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = []
        name = known_str(inputs, "name")
        if name is not None and (why := validation.saml_provider_id(name)):
            failures.append(Failure("name", why))
        idp = inputs.get("idpConfig")
        if isinstance(idp, dict):
            failures += _url_failures("idpConfig.ssoUrl", idp.get("ssoUrl"))
            # x509_certificate is Optional in the provider's schema; the API wants one.
            certificates = idp.get("idpCertificates")
            if isinstance(certificates, list):
                failures += [
                    Failure(
                        f"idpConfig.idpCertificates[{index}].x509Certificate",
                        "required field is not set",
                    )
                    for index, cert in enumerate(certificates)
                    if isinstance(cert, dict) and not cert.get("x509Certificate")
                ]

        sp = inputs.get("spConfig")
        if isinstance(sp, dict):
            failures += _url_failures("spConfig.callbackUri", sp.get("callbackUri"))
        return failures

    def _outputs(self, inputs: dict[str, Any], planned: bool = False) -> dict[str, Any]:
        outputs = {**super()._outputs(inputs), "enabled": bool(inputs.get("enabled"))}
        sp = dict(inputs.get("spConfig") or {})
        # The service signs requests with a certificate it generates for each config.
        sp["spCertificates"] = (
            UNKNOWN if planned else [{"x509Certificate": _sp_certificate(inputs)}]
        )
        outputs["spConfig"] = sp
        return outputs


def _sp_certificate(inputs: dict[str, Any]) -> str:
    seed = f"{inputs.get('project')}/{inputs.get('tenant')}/{inputs.get('name')}".encode()
    body = base64.b64encode(hashlib.sha512(seed).digest() * 4).decode()
    return "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n"


def _tenant_of(resource_id: str) -> tuple[str, str]:
    parts = resource_id.split("/")
    if len(parts) != 6 or parts[0] != "projects" or parts[2] != "tenants":
        raise ProviderError(
            f"cannot parse IdP config id {resource_id!r}: "
            "expected projects/P/tenants/T/COLLECTION/ID"
        )
    return parts[1], parts[3]


def _required_keys(path: str, value: dict[str, Any], keys: tuple[str, ...]) -> list[Failure]:
    return [
        Failure(f"{path}.{key}", "required field is not set")
        for key in keys
        if value.get(key) in (None, "", [])
    ]


def _url_failures(path: str, value: Any) -> list[Failure]:
    if isinstance(value, str) and value and (why := validation.url(value)):
        return [Failure(path, why)]
    return []
