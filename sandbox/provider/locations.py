"""Cloud Storage bucket locations the sandbox accepts, as the JSON API decides at insert.

The provider has no location rule (resource_storage_bucket.go: `location` is a plain
Required string, upper-cased by its StateFunc); the Storage API refuses an unknown one when
the bucket is created: `Error 400: The specified location constraint is not valid.,
invalid`. So the sandbox checks at create time, never at preview.

The list: multi-regions, predefined dual-regions and regions from
https://cloud.google.com/storage/docs/locations. When `reconciler/manifests/locations.py`
(the validator's maintained list) lands, `KNOWN` should be read from there so the two never
disagree; until then this copy stands.
"""

from __future__ import annotations

MULTI_REGIONS = ("ASIA", "EU", "US")
DUAL_REGIONS = ("ASIA1", "EUR4", "EUR5", "EUR7", "EUR8", "NAM4")
REGIONS = (
    "AFRICA-SOUTH1",
    "ASIA-EAST1",
    "ASIA-EAST2",
    "ASIA-NORTHEAST1",
    "ASIA-NORTHEAST2",
    "ASIA-NORTHEAST3",
    "ASIA-SOUTH1",
    "ASIA-SOUTH2",
    "ASIA-SOUTHEAST1",
    "ASIA-SOUTHEAST2",
    "AUSTRALIA-SOUTHEAST1",
    "AUSTRALIA-SOUTHEAST2",
    "EUROPE-CENTRAL2",
    "EUROPE-NORTH1",
    "EUROPE-NORTH2",
    "EUROPE-SOUTHWEST1",
    "EUROPE-WEST1",
    "EUROPE-WEST10",
    "EUROPE-WEST12",
    "EUROPE-WEST2",
    "EUROPE-WEST3",
    "EUROPE-WEST4",
    "EUROPE-WEST6",
    "EUROPE-WEST8",
    "EUROPE-WEST9",
    "ME-CENTRAL1",
    "ME-CENTRAL2",
    "ME-WEST1",
    "NORTHAMERICA-NORTHEAST1",
    "NORTHAMERICA-NORTHEAST2",
    "NORTHAMERICA-SOUTH1",
    "SOUTHAMERICA-EAST1",
    "SOUTHAMERICA-WEST1",
    "US-CENTRAL1",
    "US-EAST1",
    "US-EAST4",
    "US-EAST5",
    "US-SOUTH1",
    "US-WEST1",
    "US-WEST2",
    "US-WEST3",
    "US-WEST4",
)
KNOWN = frozenset((*MULTI_REGIONS, *DUAL_REGIONS, *REGIONS))


def bucket_location(location: str) -> str | None:
    """None for a location GCS serves (any case), else the API's words."""
    if location.upper() in KNOWN:
        return None
    return f"The specified location constraint is not valid: {location!r}"
