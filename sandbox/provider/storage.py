"""`gcp:storage/bucket:Bucket` and `gcp:storage/bucketIAMMember:BucketIAMMember`, in SQLite.

Buckets are keyed by name (one global namespace, as in Cloud Storage); the resource id is
the name. Without a `name` input the bucket is auto-named `<resource name>-<7 hex>` like
pulumi-gcp does. name, location and project replace; the rest updates in place. Grants on a
bucket are stored under `b/NAME`, the form pulumi-gcp puts in BucketIAMMember.bucket.

Objects (only what deletion needs: a name and when its retention ends) are stored under
`o/NAME`; `put_object` adds one, as a tenant's workload would. Deleting a bucket that holds
objects fails without `forceDestroy`, and objects under retention are never deleted, as in
services/storage/resource_storage_bucket.go (resourceStorageBucketDelete).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from sandbox.provider import locations, validation
from sandbox.provider.iam import IamMember
from sandbox.provider.resource import (
    CheckRequest,
    Cloud,
    CloudError,
    Failure,
    Field,
    ProviderError,
    ResourceKind,
    auto_name,
    deletion_allowed,
    known_str,
    project_number,
    rfc3339_now,
)
from sandbox.provider.store import AlreadyExists, Store
from sandbox.provider.values import UNKNOWN

BUCKET_KIND = "storage.bucket"
OBJECT_KIND = "storage.object"
ELSEWHERE_PROJECT = "someone-elses-project"
"""The owner of a bucket name claimed outside this platform (see `claim_bucket_name`)."""
ATTRIBUTION_LABEL = {"goog-pulumi-provisioned": "true"}
"""pulumi-gcp adds this label to every labelled resource (effectiveLabels, pulumiLabels)."""
SOFT_DELETE_SECONDS = 604_800


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _retention_as_text(policy: Any) -> Any:
    """retentionPeriod is a string in pulumi-gcp 10; numbers and strings compare alike."""
    if not isinstance(policy, dict) or policy.get("retentionPeriod") in (None, UNKNOWN):
        return policy
    return {**policy, "retentionPeriod": str(policy["retentionPeriod"])}


class Bucket(ResourceKind):
    token = "gcp:storage/bucket:Bucket"

    fields = (
        Field("name", replaces=True, computed=True, autonamed=True),
        Field("location", replaces=True, required=True, canonical=_upper),
        Field("project", replaces=True, computed=True),
        # Optional with Default "STANDARD", not Computed: leaving it out sets it back.
        Field("storageClass", default="STANDARD"),
        Field("labels"),
        Field("uniformBucketLevelAccess", computed=True),
        Field("publicAccessPrevention", computed=True),
        Field("versioning", computed=True),
        Field("retentionPolicy", canonical=_retention_as_text),
        Field("forceDestroy"),
        Field("deletionPolicy"),
    )

    def defaults(self, inputs: dict[str, Any], request: CheckRequest) -> dict[str, Any]:
        if inputs.get("name") is None:
            # Keep an earlier auto-name, as the engine expects, so updates do not rename.
            inputs["name"] = request.olds.get("name") or auto_name(
                request.name.lower(), request.random_seed
            )
        if isinstance(inputs.get("location"), str):
            inputs["location"] = inputs["location"].upper()
        inputs.setdefault("forceDestroy", False)
        return inputs

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        # The provider's only plan-time rule for these fields: labelKeyValidator.
        labels = inputs.get("labels")
        if not isinstance(labels, dict):
            return []
        return [
            Failure(f"labels.{key}", why)
            for key in sorted(labels)
            if (why := validation.provider_label_key(key))
        ]

    def api_validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = []
        checks = (
            ("name", validation.bucket_name),
            ("location", locations.bucket_location),
            ("storageClass", lambda v: validation.one_of(v, validation.STORAGE_CLASSES)),
            (
                "publicAccessPrevention",
                lambda v: validation.one_of(v, validation.PUBLIC_ACCESS_PREVENTION),
            ),
        )
        for name, rule in checks:
            value = known_str(inputs, name)
            if value is not None and (why := rule(value)):
                failures.append(Failure(name, why))
        retention = inputs.get("retentionPolicy")
        period = retention.get("retentionPeriod") if isinstance(retention, dict) else None
        if period not in (None, UNKNOWN) and (why := validation.retention_period(period)):
            failures.append(Failure("retentionPolicy.retentionPeriod", why))
        versioning = inputs.get("versioning")
        if isinstance(versioning, dict) and versioning.get("enabled") is True and period:
            # No ConflictsWith in the provider's schema: GCS refuses the insert or patch.
            failures.append(Failure("versioning.enabled", validation.VERSIONING_WITH_RETENTION))
        labels = inputs.get("labels")
        if isinstance(labels, dict):
            failures += [
                Failure(f"labels.{key}", why)
                for key, value in sorted(labels.items())
                if value is not UNKNOWN and (why := validation.label(key, value))
            ]
        return failures

    def preview(self, cloud: Cloud, inputs: dict[str, Any]) -> dict[str, Any]:
        outputs = _outputs(inputs, created=UNKNOWN, updated=UNKNOWN)
        if inputs["project"] is UNKNOWN:
            outputs["projectNumber"] = UNKNOWN
        return outputs

    def create(self, cloud: Cloud, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        now = rfc3339_now()
        outputs = _outputs(inputs, created=now, updated=now)
        try:
            cloud.store.insert(BUCKET_KIND, inputs["name"], outputs)
        except AlreadyExists:
            # Not retried by the provider (only 429s are): the name is someone else's.
            raise CloudError(
                409,
                f"The requested bucket name is not available ({inputs['name']}). The bucket "
                "namespace is shared by all users of the system. Please select a different "
                "name and try again.",
                reason="conflict",
            ) from None
        return inputs["name"], outputs

    def read(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> dict[str, Any] | None:
        return cloud.store.get(BUCKET_KIND, resource_id)

    def update(
        self, cloud: Cloud, resource_id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        current = cloud.store.get(BUCKET_KIND, resource_id)
        if current is None:
            raise ProviderError(f"Error 404: bucket {resource_id} not found (run `pulumi refresh`)")
        # Computed fields left out of the inputs keep the bucket's current value.
        kept = {
            f.name: current.get(f.name)
            for f in self.fields
            if f.computed and news.get(f.name) is None
        }
        outputs = _outputs({**news, **kept}, created=current["timeCreated"], updated=rfc3339_now())
        cloud.store.replace(BUCKET_KIND, resource_id, outputs)
        return outputs

    def delete(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> None:
        if not deletion_allowed(self, resource_id, state):
            return
        _empty(cloud.store, resource_id, state)
        cloud.store.delete(BUCKET_KIND, resource_id)
        cloud.store.delete_children(f"b/{resource_id}")


def _empty(store: Store, bucket: str, state: dict[str, Any]) -> None:
    """What the provider does before deleting a bucket: refuse, or delete every object."""
    held = store.children(OBJECT_KIND, f"o/{bucket}")
    if not held:
        return
    now = time.time()
    retention = state.get("retentionPolicy") or {}
    if retention.get("isLocked") and any(body["retainUntil"] > now for _, body in held):
        raise ProviderError(
            f'Bucket "{bucket}" contains objects that have not met the retention period yet '
            "and cannot be deleted."
        )
    if not state.get("forceDestroy"):
        raise ProviderError(
            f"Error trying to delete bucket {bucket} without `force_destroy` set to true"
        )
    for key, body in held:
        if body["retainUntil"] > now:
            # The object delete fails (403); the bucket delete then finds it not empty.
            until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(body["retainUntil"]))
            refused = CloudError(
                403,
                f"Object '{bucket}/{body['name']}' is subject to bucket's retention policy or "
                f"object retention and cannot be deleted or overwritten until {until}",
                reason="retentionPolicyNotMet",
            )
            raise ProviderError(
                f"could not delete non-empty bucket due to error when deleting contents: {refused}"
            )
        store.delete(OBJECT_KIND, key)


def put_object(store: Store, bucket: str, name: str) -> None:
    """Upload an object (no content: only its existence and retention matter here)."""
    current = store.get(BUCKET_KIND, bucket)
    if current is None:
        raise CloudError(404, f"The specified bucket does not exist ({bucket})", reason="notFound")
    period = int(str((current.get("retentionPolicy") or {}).get("retentionPeriod") or 0))
    body = {"name": name, "retainUntil": time.time() + period}
    store.insert(OBJECT_KIND, f"{bucket}/{name}", body, parent=f"o/{bucket}")


def object_names(store: Store, bucket: str) -> list[str]:
    return [body["name"] for _, body in store.children(OBJECT_KIND, f"o/{bucket}")]


def claim_bucket_name(store: Store, name: str) -> None:
    """Someone outside the platform creates a bucket of that name (it is global)."""
    outputs = _outputs(
        {"name": name, "location": "US", "project": ELSEWHERE_PROJECT},
        created=rfc3339_now(),
        updated=rfc3339_now(),
    )
    with contextlib.suppress(AlreadyExists):
        store.insert(BUCKET_KIND, name, outputs)


def _outputs(inputs: dict[str, Any], created: Any, updated: Any) -> dict[str, Any]:
    """pulumi-gcp's Bucket outputs, for the fields the sandbox emulates."""
    name, project = inputs["name"], inputs["project"]
    labels = inputs.get("labels") or {}
    versioning = inputs.get("versioning") or {}
    retention = _retention_as_text(inputs.get("retentionPolicy"))
    return {
        "name": name,
        "location": _upper(inputs["location"]),
        "project": project,
        "projectNumber": UNKNOWN if project is UNKNOWN else project_number(project),
        "storageClass": inputs.get("storageClass") or "STANDARD",
        "labels": labels,
        "effectiveLabels": {**labels, **ATTRIBUTION_LABEL},
        "pulumiLabels": {**labels, **ATTRIBUTION_LABEL},
        "uniformBucketLevelAccess": bool(inputs.get("uniformBucketLevelAccess")),
        "publicAccessPrevention": inputs.get("publicAccessPrevention") or "inherited",
        "versioning": {"enabled": bool(versioning.get("enabled"))},
        "retentionPolicy": None if not retention else {"isLocked": False, **retention},
        "forceDestroy": bool(inputs.get("forceDestroy")),
        "deletionPolicy": inputs.get("deletionPolicy", "DELETE"),
        "url": UNKNOWN if name is UNKNOWN else f"gs://{name}",
        "selfLink": UNKNOWN
        if name is UNKNOWN
        else f"https://www.googleapis.com/storage/v1/b/{name}",
        "timeCreated": created,
        "updated": updated,
        "rpo": "DEFAULT",
        "softDeletePolicy": {
            "retentionDurationSeconds": SOFT_DELETE_SECONDS,
            "effectiveTime": created,
        },
        "defaultEventBasedHold": False,
        "requesterPays": False,
        "enableObjectRetention": False,
        "cors": [],
        "lifecycleRules": [],
    }


def _bucket_resource(value: str) -> str:
    return value if value.startswith("b/") else f"b/{value}"


class BucketIAMMember(IamMember):
    token = "gcp:storage/bucketIAMMember:BucketIAMMember"
    resource_field = "bucket"
    fields = (
        Field("bucket", replaces=True, required=True, canonical=_bucket_resource),
        Field("role", replaces=True, required=True),
        # IAM ignores case; the provider suppresses case-only diffs (iamMemberCaseDiffSuppress).
        Field("member", replaces=True, required=True, canonical=validation.iam_member_key),
    )

    def canonical_resource(self, value: str) -> str:
        return _bucket_resource(value)

    def resource_exists(self, cloud: Cloud, resource: str) -> bool:
        return cloud.store.get(BUCKET_KIND, resource.removeprefix("b/")) is not None
