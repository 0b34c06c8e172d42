"""Cloud Storage bucket locations the sandbox accepts, as the JSON API decides at insert.

The provider has no location rule (resource_storage_bucket.go: `location` is a plain
Required string, upper-cased by its StateFunc); the Storage API refuses an unknown one when
the bucket is created: `Error 400: The specified location constraint is not valid.,
invalid`. So the sandbox checks at create time, never at preview.

The list is the validator's (`reconciler/manifests/locations.py`), so what the sandbox refuses
at create time and what `validate` refuses before deploy are one list.
"""

from __future__ import annotations

from reconciler.manifests.locations import is_gcs_location


def bucket_location(location: str) -> str | None:
    """None for a location GCS serves (any case), else the API's words."""
    if is_gcs_location(location):
        return None
    return f"The specified location constraint is not valid: {location!r}"
