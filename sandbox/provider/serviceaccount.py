"""`gcp:serviceaccount/account:Account` and `gcp:serviceaccount/iAMMember:IAMMember`, in SQLite.

An account is keyed by its resource name `projects/P/serviceAccounts/EMAIL` (also its id and
its `name` output); its email is `<accountId>@<project>.iam.gserviceaccount.com`. accountId
and project replace; displayName, description and disabled update in place. Grants on an
account are stored under its resource name.
"""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.provider import validation
from sandbox.provider.iam import IamMember
from sandbox.provider.resource import (
    Cloud,
    Failure,
    Field,
    ProviderError,
    ResourceKind,
    deletion_allowed,
    known_str,
)
from sandbox.provider.store import AlreadyExists
from sandbox.provider.values import UNKNOWN

ACCOUNT_KIND = "serviceaccount.account"
_EMAIL_DOMAIN = ".iam.gserviceaccount.com"


def account_email(account_id: str, project: str) -> str:
    return f"{account_id}@{project}{_EMAIL_DOMAIN}"


def account_resource(value: str) -> str:
    """`projects/P/serviceAccounts/EMAIL` from that form, `P/EMAIL` or a bare EMAIL."""
    if value.startswith("projects/"):
        return value
    if "/" in value:
        project, email = value.split("/", 1)
        return f"projects/{project}/serviceAccounts/{email}"
    domain = value.partition("@")[2]
    project = domain.removesuffix(_EMAIL_DOMAIN) if domain.endswith(_EMAIL_DOMAIN) else "-"
    return f"projects/{project}/serviceAccounts/{value}"


class Account(ResourceKind):
    token = "gcp:serviceaccount/account:Account"
    unique_key = "accountId"
    fields = (
        Field("accountId", replaces=True, required=True),
        Field("displayName"),
        Field("description"),
        Field("disabled"),
        Field("createIgnoreAlreadyExists"),
        Field("deletionPolicy"),
        Field("project", replaces=True, computed=True),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = []
        account_id = known_str(inputs, "accountId")
        if account_id is not None and (why := validation.service_account_id(account_id)):
            failures.append(Failure("accountId", why))
        for name, limit in (("displayName", 100), ("description", 256)):
            value = known_str(inputs, name)
            if value is not None and len(value) > limit:
                failures.append(
                    Failure(
                        name, f"expected length of {name} to be at most {limit}, got {len(value)}"
                    )
                )
        return failures

    def preview(self, cloud: Cloud, inputs: dict[str, Any]) -> dict[str, Any]:
        known = inputs["accountId"] is not UNKNOWN and inputs["project"] is not UNKNOWN
        email = account_email(inputs["accountId"], inputs["project"]) if known else UNKNOWN
        return _outputs(inputs, email, UNKNOWN)

    def create(self, cloud: Cloud, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        email = account_email(inputs["accountId"], inputs["project"])
        outputs = _outputs(inputs, email, _unique_id())
        try:
            cloud.store.insert(ACCOUNT_KIND, outputs["name"], outputs)
        except AlreadyExists:
            existing = cloud.store.get(ACCOUNT_KIND, outputs["name"])
            if not inputs.get("createIgnoreAlreadyExists") or existing is None:
                raise ProviderError(
                    f"Error 409: Service account {inputs['accountId']} already exists within "
                    f"project projects/{inputs['project']}., alreadyExists"
                ) from None
            outputs = {**existing, "deletionPolicy": inputs["deletionPolicy"]}
        return outputs["name"], outputs

    def read(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> dict[str, Any] | None:
        return cloud.store.get(ACCOUNT_KIND, account_resource(resource_id))

    def update(
        self, cloud: Cloud, resource_id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        current = cloud.store.get(ACCOUNT_KIND, resource_id)
        if current is None:
            raise ProviderError(
                f"Error 404: service account {resource_id} not found (run `pulumi refresh`)"
            )
        outputs = _outputs(news, current["email"], current["uniqueId"])
        cloud.store.replace(ACCOUNT_KIND, resource_id, outputs)
        return outputs

    def delete(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> None:
        if deletion_allowed(self, resource_id, state):
            cloud.store.delete(ACCOUNT_KIND, resource_id)
            cloud.store.delete_children(resource_id)


def _unique_id() -> str:
    """A 21-digit numeric id, like the ones IAM assigns."""
    return "1" + "".join(secrets.choice("0123456789") for _ in range(20))


def _outputs(inputs: dict[str, Any], email: Any, unique_id: Any) -> dict[str, Any]:
    project = inputs["project"]
    known = email is not UNKNOWN
    return {
        "accountId": inputs["accountId"],
        "displayName": inputs.get("displayName") or "",
        "description": inputs.get("description") or "",
        "disabled": bool(inputs.get("disabled")),
        "createIgnoreAlreadyExists": bool(inputs.get("createIgnoreAlreadyExists")),
        "deletionPolicy": inputs.get("deletionPolicy", "DELETE"),
        "project": project,
        "email": email,
        "member": f"serviceAccount:{email}" if known else UNKNOWN,
        "name": f"projects/{project}/serviceAccounts/{email}" if known else UNKNOWN,
        "uniqueId": unique_id,
    }


class IAMMember(IamMember):
    token = "gcp:serviceaccount/iAMMember:IAMMember"
    resource_field = "serviceAccountId"
    fields = (
        Field("serviceAccountId", replaces=True, required=True, canonical=account_resource),
        Field("role", replaces=True, required=True),
        Field("member", replaces=True, required=True),
    )

    def canonical_resource(self, value: str) -> str:
        return account_resource(value)

    def resource_exists(self, cloud: Cloud, resource: str) -> bool:
        return cloud.store.get(ACCOUNT_KIND, resource) is not None
