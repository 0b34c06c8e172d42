"""`gcp:serviceaccount/account:Account` and `gcp:serviceaccount/iAMMember:IAMMember`, in SQLite.

An account is keyed by its resource name `projects/P/serviceAccounts/EMAIL` (also its id and
its `name` output); its email is `<accountId>@<project>.iam.gserviceaccount.com`. accountId
and project replace; displayName, description and disabled update in place. Grants on an
account are stored under its resource name.

As in IAM: at most `SANDBOX_SERVICE_ACCOUNT_QUOTA` (default 100) accounts per project, the
101st is a 429; a new account may stay invisible to IAM policies for a while (the `lag`
fault), and create waits until it is consistently visible, as the provider's create polls
(resourceGoogleServiceAccountCreate); deleting an account leaves its bindings elsewhere as
`deleted:serviceAccount:...?uid=` (`iam.forget_account`).
"""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

from sandbox.provider import validation
from sandbox.provider.iam import ACCOUNT_DOMAIN, ACCOUNT_KIND, IamMember, forget_account
from sandbox.provider.resource import (
    Cloud,
    CloudError,
    Failure,
    Field,
    ProviderError,
    ResourceKind,
    deletion_allowed,
    known_str,
)
from sandbox.provider.store import AlreadyExists, LimitReached
from sandbox.provider.values import UNKNOWN

_EMAIL_DOMAIN = ACCOUNT_DOMAIN
QUOTA_ENV = "SANDBOX_SERVICE_ACCOUNT_QUOTA"
DEFAULT_QUOTA = 100
"""IAM's default limit of service accounts per project."""
CONSISTENT_READS = 3
"""The provider's create waits for this many successful reads in a row."""
POLL_SECONDS = 0.2


def account_quota() -> int:
    value = os.environ.get(QUOTA_ENV, "")
    return int(value) if value.isdigit() else DEFAULT_QUOTA


def wait_until_visible(cloud: Cloud, key: str) -> None:
    """The provider's create: poll until the account reads back CONSISTENT_READS times.

    resourceGoogleServiceAccountCreate uses PollingWaitTime(..., 3) and then sleeps 10 s
    ("eventual consistency issue", https://cloud.google.com/iam/docs/overview#consistency);
    the sandbox knows when its account becomes visible, so it needs no extra sleep.
    """
    seen = 0
    while seen < CONSISTENT_READS:
        account = cloud.store.get(ACCOUNT_KIND, key)
        if account is not None and account.get("visibleAt", 0) <= time.time():
            seen += 1
        else:
            seen = 0
            time.sleep(POLL_SECONDS)


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
        # The provider's ValidateFuncs: ValidateRFC1035Name(6, 30), StringLenBetween(0, 256).
        failures = []
        account_id = known_str(inputs, "accountId")
        if account_id is not None and (why := validation.service_account_id(account_id)):
            failures.append(Failure("accountId", why))
        description = known_str(inputs, "description")
        if description is not None and (why := validation.description_length(description)):
            failures.append(Failure("description", why))
        return failures

    def api_validate(self, inputs: dict[str, Any]) -> list[Failure]:
        # displayName has no ValidateFunc; IAM refuses more than 100 characters.
        name = known_str(inputs, "displayName")
        if name is not None and len(name) > 100:
            return [
                Failure(
                    "displayName",
                    f"Invalid argument: displayName is {len(name)} characters; at most 100",
                )
            ]
        return []

    def preview(self, cloud: Cloud, inputs: dict[str, Any]) -> dict[str, Any]:
        known = inputs["accountId"] is not UNKNOWN and inputs["project"] is not UNKNOWN
        email = account_email(inputs["accountId"], inputs["project"]) if known else UNKNOWN
        return _outputs(inputs, email, UNKNOWN)

    def create(self, cloud: Cloud, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        email = account_email(inputs["accountId"], inputs["project"])
        outputs = _outputs(inputs, email, _unique_id())
        parent = f"projects/{inputs['project']}"
        try:
            stored = {**outputs, "visibleAt": time.time() + cloud.visibility_lag}
            cloud.store.insert(
                ACCOUNT_KIND, outputs["name"], stored, parent=parent, limit=account_quota()
            )
            wait_until_visible(cloud, outputs["name"])
        except LimitReached:
            raise CloudError(
                429,
                "Maximum number of service accounts on project reached.",
                status="RESOURCE_EXHAUSTED",
            ) from None
        except AlreadyExists:
            existing = cloud.store.get(ACCOUNT_KIND, outputs["name"])
            if not inputs.get("createIgnoreAlreadyExists") or existing is None:
                raise ProviderError(
                    f"Error 409: Service account {inputs['accountId']} already exists within "
                    f"project projects/{inputs['project']}., alreadyExists"
                ) from None
            outputs = {**_public(existing), "deletionPolicy": inputs["deletionPolicy"]}
        return outputs["name"], outputs

    def read(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> dict[str, Any] | None:
        found = cloud.store.get(ACCOUNT_KIND, account_resource(resource_id))
        return None if found is None else _public(found)

    def update(
        self, cloud: Cloud, resource_id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        current = cloud.store.get(ACCOUNT_KIND, resource_id)
        if current is None:
            raise ProviderError(
                f"Error 404: service account {resource_id} not found (run `pulumi refresh`)"
            )
        outputs = _outputs(news, current["email"], current["uniqueId"])
        cloud.store.replace(ACCOUNT_KIND, resource_id, {**current, **outputs})
        return outputs

    def delete(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> None:
        if not deletion_allowed(self, resource_id, state):
            return
        current = cloud.store.get(ACCOUNT_KIND, resource_id)
        if cloud.store.delete(ACCOUNT_KIND, resource_id) and current is not None:
            forget_account(cloud, current["email"], current["uniqueId"])
        cloud.store.delete_children(resource_id)


def _public(stored: dict[str, Any]) -> dict[str, Any]:
    """The account's outputs without the sandbox's bookkeeping."""
    return {key: value for key, value in stored.items() if key != "visibleAt"}


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
        # IAM ignores case; the provider suppresses case-only diffs (iamMemberCaseDiffSuppress).
        Field("member", replaces=True, required=True, canonical=validation.iam_member_key),
    )

    def canonical_resource(self, value: str) -> str:
        return account_resource(value)

    def resource_exists(self, cloud: Cloud, resource: str) -> bool:
        return cloud.store.get(ACCOUNT_KIND, resource) is not None
