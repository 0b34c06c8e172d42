"""A tenant's sign-in settings beyond pulumi-gcp's Tenant: one Pulumi dynamic resource per tenant.

pulumi-gcp 10.2's `identityplatform.Tenant` carries five settings; this resource manages the
others (`signin.py`: MFA, password policy, SMS regions, reCAPTCHA, email privacy, anonymous
users, test phone numbers, inheritance, monitoring, mobile links) through the Identity Toolkit
v2 API itself: one `projects.tenants.patch` whose update mask names exactly the settings the
manifest owns, so nothing pulumi-gcp owns (and nothing left "as it is") is touched. It
generalises the MFA resource of `auth_settings.py` and takes over its stacks' state by alias.

- create / update: PATCH what the manifest says; the outputs are what the API answered.
- read (refresh, drift): GET the tenant; a change made outside git shows as changed outputs.
- delete: PATCH the owned settings back to the API's defaults, best effort (`best_effort.py`):
  a tenant already gone needs nothing, a refusal is a warning, never a failure that would
  stop the tenant's own deletion, which usually comes next.
- changing `project` or `tenant` replaces the resource; anything else updates in place.

Test phone numbers' codes arrive as a secret input and leave as a secret output
(`additional_secret_outputs`), so the state file holds only their ciphertext; a code that is
not six digits is refused before anything is sent, without showing it.

The provider runs in the process the engine starts through the `pulumi-resource-pulumi-python`
shim, which unpickles `TenantSettingsProvider` by reference to this module: keep the class
stateless and this module importable, or existing stacks cannot load it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from reconciler.manifests.signin import Auth
from reconciler.program.best_effort import reset_on_delete
from reconciler.program.pickling import PICKLING
from reconciler.program.signin import (
    BY_FIELD,
    TEST_PHONE_NUMBERS,
    default_config,
    desired_config,
    normalized_config,
    owned_fields,
    update_mask,
)

TYPE_NAME = "pulumi-python:dynamic/identityplatform:TenantSignInSettings"
"""The resource type the engine records (dynamic types live under `pulumi-python`)."""
LEGACY_TYPE_NAME = "pulumi-python:dynamic/identityplatform:TenantMfaConfig"
"""The MFA-only resource this one replaces; its state is taken over by alias."""
TEST_PHONES = "testPhones"
"""The test numbers alone, in the clear: numbers are no secret, and a preview can name this
property when they change (the codes' map is a secret, shown masked)."""
_REPLACE_ON = ("project", "tenant")


class InvalidTestCodeError(ValueError):
    """A test phone number's code (from its secret reference) is not six digits."""


def _codes(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def _settings(props: Mapping[str, Any]) -> dict[str, Any]:
    """The owned settings in `props`, each a top-level property (so a preview names it)."""
    owned = props.get("owned") or ()
    return {field: props.get(field) for field in owned if field in BY_FIELD}


def _canonical(props: Mapping[str, Any]) -> tuple[Any, ...]:
    owned = tuple(props.get("owned") or ())
    return owned, _settings(props), _codes(props.get(TEST_PHONE_NUMBERS))


def settings_diff(olds: Mapping[str, Any], news: Mapping[str, Any]) -> DiffResult:
    """What an update would do: replace on another tenant, else update in place."""
    replaces = [key for key in _REPLACE_ON if olds.get(key) != news.get(key)]
    changed = _canonical(olds) != _canonical(news)
    return DiffResult(
        changes=bool(replaces) or changed, replaces=replaces, delete_before_replace=False
    )


def check_codes(codes: Mapping[str, str]) -> None:
    """Refuse codes the API would refuse, naming the number and never the code."""
    bad = sorted(n for n, code in codes.items() if not (len(code) == 6 and code.isdigit()))
    if bad:
        raise InvalidTestCodeError(
            f"the code of test phone number{'s' if len(bad) > 1 else ''} {', '.join(bad)} "
            "is not six digits: fix the secret it is read from (Identity Platform takes "
            "exactly six digits)"
        )


def resource_id(project: str, tenant: str) -> str:
    return f"projects/{project}/tenants/{tenant}/signInSettings"


def _whole_numbers(value: Any) -> Any:
    """Numbers as the API's int32 fields want them: the engine hands every number over as a
    float (`6.0`), which JSON would send as `6.0`."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_whole_numbers(item) for item in value]
    return value


def request(props: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The PATCH body and update mask that make the tenant say what `props` say."""
    owned = list(props.get("owned") or ())
    body: dict[str, Any] = _whole_numbers(_settings(props))
    if TEST_PHONE_NUMBERS in owned:
        codes = _codes(props.get(TEST_PHONE_NUMBERS))
        check_codes(codes)
        body[TEST_PHONE_NUMBERS] = codes
    return body, update_mask(owned)


def outputs(props: Mapping[str, Any], tenant: Mapping[str, Any]) -> dict[str, Any]:
    """The resource's outputs: where it is, what it owns, and those settings as the API has
    them (test phone numbers with their codes: a secret output)."""
    owned = list(props.get("owned") or ())
    found = {
        "project": props["project"],
        "tenant": props["tenant"],
        "owned": owned,
        **normalized_config(tenant, owned),
    }
    if TEST_PHONE_NUMBERS in owned:
        found[TEST_PHONE_NUMBERS] = _codes(tenant.get(TEST_PHONE_NUMBERS))
        found[TEST_PHONES] = sorted(found[TEST_PHONE_NUMBERS])
    return found


class TenantSettingsProvider(ResourceProvider):
    """CRUD for one tenant's sign-in settings; stateless (it is pickled into the stack)."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=resource_id(props["project"], props["tenant"]), outs=_apply(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return settings_diff(olds, news)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_apply(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from reconciler.gcp.identitytoolkit import TenantApi

        live = TenantApi.from_environment().find_tenant(props["project"], props["tenant"])
        if live is None:
            # The tenant is gone, and its settings with it: an empty id tells the engine so.
            return ReadResult(id_="", outs={})
        return ReadResult(id_=id_, outs=outputs(props, live))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # Best effort: a refused reset must not stop the tenant's deletion (best_effort.py).
        tenant = f"projects/{props['project']}/tenants/{props['tenant']}"
        reset_on_delete(f"the sign-in settings of {tenant}", lambda: _reset(props))


def _reset(props: Mapping[str, Any]) -> None:
    from reconciler.gcp.identitytoolkit import TenantApi

    api = TenantApi.from_environment()
    if api.find_tenant(props["project"], props["tenant"]) is None:
        return
    owned = list(props.get("owned") or ())
    defaults = {**props, **default_config(owned), TEST_PHONE_NUMBERS: {}}
    body, mask = request(defaults)
    if mask:
        api.patch_tenant(props["project"], props["tenant"], body, mask)


def _apply(props: dict[str, Any]) -> dict[str, Any]:
    from reconciler.gcp.identitytoolkit import TenantApi

    body, mask = request(props)
    answer = TenantApi.from_environment().patch_tenant(
        props["project"], props["tenant"], body, mask
    )
    return outputs(props, answer)


class TenantSignInSettings(Resource, module="identityplatform", name="TenantSignInSettings"):
    """The sign-in settings of one Identity Platform tenant that pulumi-gcp cannot carry."""

    def __init__(
        self,
        name: str,
        project: str,
        tenant: pulumi.Input[str],
        auth: Auth,
        test_codes: pulumi.Input[Mapping[str, str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`test_codes` maps each test phone number to its code (a secret Output)."""
        numbers = sorted(phone.number for phone in auth.test_phone_numbers)
        props = {
            "project": project,
            "tenant": tenant,
            "owned": list(owned_fields(auth)),
            **desired_config(auth),
            TEST_PHONE_NUMBERS: test_codes,
            TEST_PHONES: numbers,
        }
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=[TEST_PHONE_NUMBERS])
        with PICKLING:  # see pickling.py
            super().__init__(
                TenantSettingsProvider(),
                name,
                props,
                pulumi.ResourceOptions.merge(opts, secret_outputs),
            )
