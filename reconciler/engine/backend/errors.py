"""Why the state backend could not be read (state.py and gcs.py raise these)."""

from __future__ import annotations


class BackendError(Exception):
    """The backend could not be read; the run must not act on a partial picture."""


class BackendAccessError(BackendError):
    """Our identity may not read the backend, or cannot reach it: credentials, permission,
    network. Set-up, not a bug: the message says what to set up."""
