"""Pulumi's typed errors, translated into the failures act reasons about: the only place.

`translate` maps what the Automation API raised (`ConcurrentUpdateError`,
`StackNotFoundError`, `InlineSourceRuntimeError`, `CommandError`, in
`pulumi/automation/errors.py`), together with the engine's error diagnostics, onto the
port's kinds: `PermanentError` (and its `NoAccess`, `DataLossRefused`), `StackLocked`
(a `TemporaryError`) and `Cancelled`. Messages are short: the engine's own error lines,
else the CLI's, never a wall of text or a Python traceback.
"""

from __future__ import annotations

from pulumi.automation import errors as auto_errors

from reconciler.engine.port import (
    Cancelled,
    DataLossRefused,
    EngineError,
    NoAccess,
    PermanentError,
    StackLocked,
)

# The provider refuses to delete a bucket that holds objects unless force_destroy is set:
# terraform-provider-google, google/services/storage/resource_storage_bucket.go
# (resourceStorageBucketDelete: "... containing objects without `force_destroy` set to true").
_FORCE_DESTROY_REFUSAL = "without `force_destroy` set to true"

# How the Pulumi CLI (a gs:// backend) and pulumi-gcp say they have no usable credentials or
# were refused: golang.org/x/oauth2/google ("could not find default credentials"), the
# provider's credential loading, and Google APIs' permission refusals (not every 403: a
# retention refusal is one too, and is the tenant's data speaking, not missing access).
_NO_ACCESS = (
    "could not find default credentials",
    "application default credentials",
    "oauth2: cannot fetch token",
    "invalid_grant",
    "permission_denied",
    "permission denied",
    "googleapi: error 403",
)
_ACCESS_HINT = (
    "set up Google credentials with access to the project and the state bucket "
    "(`gcloud auth application-default login` or GOOGLE_APPLICATION_CREDENTIALS; in CI the "
    "google-github-actions/auth step)"
)


def translate(error: Exception, diagnostics: list[str], cancelled: bool) -> EngineError:
    """Map Pulumi's typed errors onto our two kinds of failure (the only place that does)."""
    if cancelled:
        return Cancelled("cancelled on request; the stack was left unlocked")
    if isinstance(error, auto_errors.ConcurrentUpdateError):
        return StackLocked("the stack is locked by another run", delay=2.0)
    if isinstance(error, auto_errors.StackNotFoundError):
        return PermanentError("the stack does not exist in the backend")
    text = "\n".join([*diagnostics, str(error)]).lower()
    if any(marker in text for marker in _NO_ACCESS):
        return NoAccess(f"no access: {_first_lines(diagnostics, error)}; {_ACCESS_HINT}")
    if any(_FORCE_DESTROY_REFUSAL in diag for diag in diagnostics):
        return DataLossRefused(_first_lines(diagnostics, error))
    if isinstance(error, auto_errors.InlineSourceRuntimeError):
        return PermanentError("the tenant program failed: " + _first_lines(diagnostics, error))
    if isinstance(error, auto_errors.CommandError):
        return PermanentError(_first_lines(diagnostics, error))
    return PermanentError(f"{type(error).__name__}: {error}")


def _worth_showing(line: str) -> bool:
    """Drop blank lines and Python traceback frames; keep the messages."""
    text = line.strip()
    return bool(text) and not (
        text.startswith(("Traceback (most recent call last)", 'File "')) or line[:1].isspace()
    )


def _first_lines(diagnostics: list[str], error: Exception) -> str:
    """The engine's own error diagnostics, else the CLI's error lines; never a wall of text."""
    lines = [line for diag in diagnostics for line in diag.splitlines() if _worth_showing(line)]
    if not lines and isinstance(error, auto_errors.CommandError):
        lines = _cli_error_lines(str(error))
    if not lines:
        lines = [str(error).strip().splitlines()[0] if str(error).strip() else "unknown error"]
    unique = list(dict.fromkeys(line.strip() for line in lines))
    return "; ".join(unique[:5])[:2000]


def _cli_error_lines(result: str) -> list[str]:
    """What a failed CLI run said, from the SDK's `CommandResult` text
    ("\n code: N\n stdout: ...\n stderr: ..."): its `error:` lines; else its first line
    that is not a warning (a Go panic, say); else that it printed nothing."""
    head, marker, stderr = result.partition("\n stderr: ")
    said = [line.strip() for line in stderr.splitlines() if line.strip()] if marker else []
    errors = [line for line in said if line.startswith("error:")]
    if errors:
        return errors
    others = [line for line in said if not line.startswith("warning:")]
    if others:
        return others[:1]
    code = head.strip().partition("\n")[0].removeprefix("code: ").strip()
    return [f"the Pulumi CLI exited {code or 'non-zero'} and printed no error"]
