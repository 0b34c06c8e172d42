"""Cloud Storage bucket locations the sandbox accepts, as the JSON API decides at insert.

The provider has no location rule (terraform-provider-google-beta
`google-beta/services/storage/resource_storage_bucket.go`: `location` is a plain Required,
ForceNew string with `StateFunc: strings.ToUpper` and no DiffSuppressFunc, so `eu` and `EU`
are one value in state and no diff); the Storage API refuses an unknown one when the
bucket is created: `Error 400: The specified location constraint is not valid.`. So the
sandbox checks at create time, never at preview, and in any case.

The list is the sandbox's own, taken from the Cloud Storage "Bucket locations" page
(https://cloud.google.com/storage/docs/locations: its tables of regions, predefined
dual-regions and multi-regions, as of 2026-11) — not imported from the reconciler, so a
belief of the validator's cannot hide from the stand-in that should catch it.
"""

from __future__ import annotations

MULTI_REGIONS = frozenset({"ASIA", "EU", "US"})
"""Multi-regions: large areas holding two or more places."""

DUAL_REGIONS = frozenset({"ASIA1", "EUR4", "EUR5", "EUR7", "EUR8", "NAM4"})
"""Predefined dual-regions (configurable dual-regions need placement settings we do not set)."""

REGIONS = frozenset(
    {
        # North America
        "northamerica-northeast1",
        "northamerica-northeast2",
        "northamerica-south1",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west2",
        "us-west3",
        "us-west4",
        # South America
        "southamerica-east1",
        "southamerica-west1",
        # Europe
        "europe-central2",
        "europe-north1",
        "europe-north2",
        "europe-southwest1",
        "europe-west1",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west6",
        "europe-west8",
        "europe-west9",
        "europe-west10",
        "europe-west12",
        # Middle East
        "me-central1",
        "me-central2",
        "me-west1",
        # Asia
        "asia-east1",
        "asia-east2",
        "asia-northeast1",
        "asia-northeast2",
        "asia-northeast3",
        "asia-south1",
        "asia-south2",
        "asia-southeast1",
        "asia-southeast2",
        # Australia
        "australia-southeast1",
        "australia-southeast2",
        # Africa
        "africa-south1",
    }
)
"""Regions: one geographic place each."""


def bucket_location(location: str) -> str | None:
    """None for a location GCS serves (any case), else the API's words."""
    if location.upper() in MULTI_REGIONS | DUAL_REGIONS or location.lower() in REGIONS:
        return None
    return f"The specified location constraint is not valid: {location!r}"
