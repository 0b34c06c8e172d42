"""Resets on delete that never block a deletion: the dynamic providers' delete.

The sign-in settings (`tenant_settings.py`) and an OIDC config's flow (`oidc_flow.py`) live
and die with their tenant or config. Each resource depends on it, so the engine deletes the
resource first, moments before the tenant (decommission, replacement) or the config (a
provider removed). Its delete PATCHes the API's defaults back, which only matters when the
tenant stays; when it refuses (a default the project does not take, a permission, the API out
of reach after its retries), failing would stop the tenant's own deletion and leave it
standing (review 22-24, finding 7). So:

- 404 (the tenant or config already gone): the settings went with it, success, silent;
- any other answer of the API, or the network failing: a warning in the run's output naming
  what was not reset, and the delete succeeds;
- anything else (a bug in this code) still raises.

The warning goes through `pulumi.log.warn`; in the provider process the engine starts it
has no engine connection and prints `warning: ...` to stderr, which the engine shows with
the resource's other output.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi


def reset_on_delete(what: str, reset: Callable[[], None]) -> None:
    """Run `reset` (the GETs and PATCH that put `what`'s defaults back), best effort."""
    from reconciler.gcp.identitytoolkit import IdentityToolkitError
    from reconciler.gcp.retry import TransientError

    try:
        reset()
    except IdentityToolkitError as error:
        if error.status == 404:
            return
        _warn(what, str(error))
    except TransientError as error:
        _warn(what, str(error))


def _warn(what: str, reason: str) -> None:
    pulumi.log.warn(
        f"{what}: not put back to the API's defaults on delete ({reason}); the delete goes on. "
        "If it still exists (it is usually deleted next), check its settings by hand."
    )
