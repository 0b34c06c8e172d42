"""Every check `reconciler doctor` runs, in order: add a module's `CHECKS` here."""

from __future__ import annotations

from reconciler.doctor import gcp_run, github
from reconciler.doctor.checks import Check


def all_checks() -> tuple[Check, ...]:
    """The repository's settings first (GitHub), then the Google Cloud set-up."""
    return (*github.CHECKS, *gcp_run.CHECKS)
