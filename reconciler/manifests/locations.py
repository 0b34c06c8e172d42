"""The Cloud Storage locations a bucket may be created in, with did-you-mean.

Source: the Cloud Storage "Bucket locations" page (https://cloud.google.com/storage/docs/locations),
its tables of regions, predefined dual-regions and multi-regions, as of 2026-11. GCS takes
locations case-insensitively and reports them in upper case (terraform-provider-google-beta
`google-beta/services/storage/resource_storage_bucket.go`: `location` has
`StateFunc: strings.ToUpper`, so a case-only difference is no diff; magic-modules'
`mmv1/products/storage/Bucket.yaml` is `exclude_resource: true`, the resource is
handwritten), so membership here ignores case, and so does the schema's shape check.

Keep this list maintained: a new region is one line below. The sandbox keeps its own copy
from the same page (sandbox/provider/locations.py), never this module.
"""

from __future__ import annotations

import difflib

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

_BY_KEY = {name.upper(): name for name in MULTI_REGIONS | DUAL_REGIONS | REGIONS}


def is_gcs_location(location: str) -> bool:
    """True when GCS accepts `location` for a bucket (any case, as GCS does)."""
    return location.upper() in _BY_KEY


def closest_location(location: str) -> str | None:
    """The known location nearest to a misspelled one, written as the docs write it."""
    close = difflib.get_close_matches(location.upper(), list(_BY_KEY), n=1, cutoff=0.6)
    return _BY_KEY[close[0]] if close else None
