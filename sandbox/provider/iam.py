"""Additive IAM grants (`*IAMMember`): one role for one principal on one resource.

Bindings are stored in SQLite under the resource they grant on, beside that resource's
policy etag, which changes with every grant or revoke as a real IAM policy's does. The
resource must exist; deleting it drops its bindings. Every input replaces, as in the
Terraform schema, so there is no update.

As in IAM: members compare without regard to case (except the case-sensitive principals);
a member that is a service account must exist and be visible to IAM (a fresh one may not be
yet, see `faults`); when a service account is deleted, its bindings elsewhere turn into
`deleted:serviceAccount:EMAIL?uid=ID` and no longer grant anything to an account re-created
under the same email (`forget_account`).
"""

from __future__ import annotations

import base64
import contextlib
import secrets
import time
from typing import Any, ClassVar

from sandbox.provider import validation
from sandbox.provider.resource import (
    Cloud,
    CloudError,
    Failure,
    ProviderError,
    ResourceKind,
    known_str,
)
from sandbox.provider.store import AlreadyExists
from sandbox.provider.values import UNKNOWN

BINDING_KIND = "iam.binding"
POLICY_KIND = "iam.policy"
ACCOUNT_KIND = "serviceaccount.account"
ACCOUNT_DOMAIN = ".iam.gserviceaccount.com"


def account_key(email: str) -> str:
    """A service account's stored key from its email (its project is in the domain)."""
    domain = email.partition("@")[2]
    project = domain.removesuffix(ACCOUNT_DOMAIN) if domain.endswith(ACCOUNT_DOMAIN) else "-"
    return f"projects/{project}/serviceAccounts/{email}"


def visible_account_missing(cloud: Cloud, member: str) -> str | None:
    """The email of a `serviceAccount:` member IAM cannot see yet, else None.

    Only accounts the sandbox holds are judged: one it has never seen may live in a
    project outside the sandbox, so it is given the benefit of the doubt.
    """
    kind, _, email = member.partition(":")
    if kind != "serviceAccount" or not email.lower().endswith(ACCOUNT_DOMAIN):
        return None
    account = cloud.store.get(ACCOUNT_KIND, account_key(email.lower()))
    if account is not None and account.get("visibleAt", 0) > time.time():
        return email
    return None


def forget_account(cloud: Cloud, email: str, unique_id: str) -> None:
    """What IAM does to a deleted account's bindings: they name the deleted principal."""
    member = f"serviceAccount:{email}".upper()
    for key, binding in cloud.store.of_kind(BINDING_KIND):
        if binding["member"].upper() == member:
            binding["member"] = f"deleted:serviceAccount:{email}?uid={unique_id}"
            cloud.store.replace(BINDING_KIND, key, binding)


def new_etag() -> str:
    """An opaque policy etag in the form IAM hands out (base64 of 8 bytes, `Bw` first)."""
    return base64.b64encode(b"\x07" + secrets.token_bytes(7)).decode()


def bump_etag(cloud: Cloud, resource: str) -> str:
    etag = new_etag()
    if cloud.store.get(POLICY_KIND, resource) is None:
        try:
            cloud.store.insert(POLICY_KIND, resource, {"etag": etag}, parent=resource)
            return etag
        except AlreadyExists:
            pass
    cloud.store.replace(POLICY_KIND, resource, {"etag": etag})
    return etag


def current_etag(cloud: Cloud, resource: str) -> str:
    policy = cloud.store.get(POLICY_KIND, resource)
    return policy["etag"] if policy else bump_etag(cloud, resource)


class IamMember(ResourceKind):
    """Subclasses name the resource field, its canonical form and how to find the resource."""

    resource_field: ClassVar[str]

    def canonical_resource(self, value: str) -> str:
        raise NotImplementedError

    def resource_exists(self, cloud: Cloud, resource: str) -> bool:
        raise NotImplementedError

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        member = known_str(inputs, "member")
        if member is not None and (why := validation.provider_iam_member(member)):
            return [Failure("member", why)]
        return []

    def api_validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = []
        role = known_str(inputs, "role")
        if role is not None and (why := validation.iam_role(role)):
            failures.append(Failure("role", why))
        member = known_str(inputs, "member")
        if member is not None and (why := validation.iam_member(member)):
            failures.append(Failure("member", why))
        return failures

    def preview(self, cloud: Cloud, inputs: dict[str, Any]) -> dict[str, Any]:
        resource = inputs[self.resource_field]
        canonical = resource if resource is UNKNOWN else self.canonical_resource(resource)
        return {
            self.resource_field: canonical,
            "role": inputs["role"],
            "member": inputs["member"],
            "etag": UNKNOWN,
        }

    def create(self, cloud: Cloud, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        resource = self.canonical_resource(inputs[self.resource_field])
        if not self.resource_exists(cloud, resource):
            raise ProviderError(
                f"Error 404: {resource} not found: cannot grant {inputs['role']} on it"
            )
        missing = visible_account_missing(cloud, inputs["member"])
        if missing is not None:
            # What setIamPolicy answers while IAM has not yet seen a new account. The
            # provider does not retry it (tpgiamresource/iam.go retries "does not exist" only
            # when the policy's etag moved); it avoids it by waiting in Account's create.
            raise CloudError(400, f"Service account {missing} does not exist.", reason="badRequest")
        resource_id = f"{resource}/{inputs['role']}/{inputs['member']}"
        binding = {
            self.resource_field: resource,
            "role": inputs["role"],
            "member": inputs["member"],
        }
        # Additive: a binding already in the policy is simply there.
        with contextlib.suppress(AlreadyExists):
            cloud.store.insert(BINDING_KIND, resource_id, binding, parent=resource)
        return resource_id, {**binding, "etag": bump_etag(cloud, resource)}

    def read(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> dict[str, Any] | None:
        binding = cloud.store.get(BINDING_KIND, resource_id)
        if binding is None or not self.resource_exists(cloud, binding[self.resource_field]):
            return None
        if not resource_id.endswith("/" + binding["member"]):
            # The member was deleted (now `deleted:...?uid=`): the provider's read no longer
            # finds it in the policy and drops the resource from state.
            return None
        return {**binding, "etag": current_etag(cloud, binding[self.resource_field])}

    def update(
        self, cloud: Cloud, resource_id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        raise ProviderError(f"{self.token} has no updatable properties: every change replaces it")

    def delete(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> None:
        binding = cloud.store.get(BINDING_KIND, resource_id)
        if binding is not None and cloud.store.delete(BINDING_KIND, resource_id):
            bump_etag(cloud, binding[self.resource_field])
