"""`gcp:storage/bucket:Bucket` and `gcp:storage/bucketIAMMember:BucketIAMMember`, in SQLite.

Buckets are keyed by name (one global namespace, as in Cloud Storage); the resource id is
the name. Without a `name` input the bucket is auto-named `<resource name>-<7 hex>` like
pulumi-gcp does. name, location and project replace; the rest updates in place. Grants on a
bucket are stored under `b/NAME`, the form pulumi-gcp puts in BucketIAMMember.bucket.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sandbox.provider import validation
from sandbox.provider.iam import IamMember
from sandbox.provider.resource import (
    CheckRequest,
    Cloud,
    Failure,
    Field,
    ProviderError,
    ResourceKind,
    deletion_allowed,
    known_str,
    project_number,
    rfc3339_now,
)
from sandbox.provider.store import AlreadyExists
from sandbox.provider.values import UNKNOWN

BUCKET_KIND = "storage.bucket"
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
    unique_key = "name"
    fields = (
        Field("name", replaces=True, computed=True),
        Field("location", replaces=True, required=True, canonical=_upper),
        Field("project", replaces=True, computed=True),
        Field("storageClass", computed=True),
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
            inputs["name"] = request.olds.get("name") or _auto_name(
                request.name, request.random_seed
            )
        if isinstance(inputs.get("location"), str):
            inputs["location"] = inputs["location"].upper()
        inputs.setdefault("forceDestroy", False)
        return inputs

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = []
        checks = (
            ("name", validation.bucket_name),
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
            raise ProviderError(
                f"Error 409: The requested bucket name is not available ({inputs['name']}). "
                "The bucket namespace is shared by all users of the system. Please select a "
                "different name and try again., conflict"
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
        cloud.store.delete(BUCKET_KIND, resource_id)
        cloud.store.delete_children(f"b/{resource_id}")


def _auto_name(resource_name: str, seed: bytes) -> str:
    suffix = hashlib.sha256(seed + resource_name.encode()).hexdigest()[:7]
    return f"{resource_name.lower()}-{suffix}"


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
        Field("member", replaces=True, required=True),
    )

    def canonical_resource(self, value: str) -> str:
        return _bucket_resource(value)

    def resource_exists(self, cloud: Cloud, resource: str) -> bool:
        return cloud.store.get(BUCKET_KIND, resource.removeprefix("b/")) is not None
