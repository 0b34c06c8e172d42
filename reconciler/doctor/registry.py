"""Every check `reconciler doctor` runs, in order: add a module's `CHECKS` here."""

from __future__ import annotations

from reconciler.doctor import github
from reconciler.doctor.checks import Check


def all_checks() -> tuple[Check, ...]:
    return (*github.CHECKS,)
