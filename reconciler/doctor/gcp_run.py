"""The doctor's GCP part: what it reads, or why there is nothing to read, and its checks.

`gcp_target(root, settings)` builds the `GcpTarget` the checks of `gcp.py` read (the
blueprint platform.yaml's set-up describes, and a reader of the live projects), or says why
the GCP checks are skipped: platform.yaml targets the sandbox, describes no set-up (no
`setup` section, a local backend, a passphrase), or no Google credentials are at hand
(application-default credentials; `RECONCILER_GOOGLE_APIS_ENDPOINT` names a local stand-in
instead, for tests). `CHECKS` wraps each named GCP check for the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from reconciler.doctor.checks import Check, Context, Skip
from reconciler.doctor.gcp import CHECKS as GCP_CHECKS
from reconciler.doctor.gcp import GcpTarget, run_checks
from reconciler.doctor.gcp_reader import RestProjectReader
from reconciler.doctor.problems import Problem
from reconciler.gcp.rest import GoogleRest, roots
from reconciler.manifests.platform import PlatformError, load_platform
from reconciler.manifests.setup import load_setup
from reconciler.platform_setup.blueprint import blueprint
from reconciler.settings import Settings

CREDENTIALS_FIX = "gcloud auth application-default login"


class SetupInvalid(Exception):
    """platform.yaml cannot be read: a problem, not a reason to skip."""


def gcp_target(root: Path, settings: Settings) -> GcpTarget | str:
    """The target the GCP checks read, or why they are skipped (raises SetupInvalid when
    platform.yaml itself is invalid)."""
    try:
        platform = load_platform(root, settings.platform_overrides)
    except PlatformError as error:
        raise SetupInvalid(str(error)) from None
    if platform.sandbox:
        return "platform.yaml's target is sandbox: no GCP project to check"
    try:
        setup = load_setup(root, settings.platform_overrides)
    except PlatformError as error:
        first = error.issues[0].message if error.issues else str(error)
        return f"platform.yaml describes no GCP set-up ({first}); `reconciler init` writes one"
    endpoint = settings.google_apis_endpoint
    if not endpoint and (missing := _no_credentials()):
        return f"no Google credentials ({missing}); run `{CREDENTIALS_FIX}`"
    reader = RestProjectReader(GoogleRest(roots(endpoint)))
    return GcpTarget(reader, blueprint(setup))


def _no_credentials() -> str:
    """Why application-default credentials cannot be found ("" when they can)."""
    try:
        import google.auth
        from google.auth import exceptions
    except ImportError:
        return "the google-auth library is not installed (the deploy extra)"
    try:
        google.auth.default()
    except exceptions.DefaultCredentialsError as error:
        return str(error).split(". ")[0]
    return ""


def _wrapped(name: str, check: Callable[[GcpTarget], Iterable[Problem]]) -> Check:
    def run(context: Context) -> list[Problem]:
        if context.gcp is None:
            raise Skip(context.gcp_skipped)
        return run_checks(context.gcp, [(name, check)])

    return Check(name, SUMMARIES.get(name, name), run)


SUMMARIES = {
    "gcp.apis": "the APIs each project needs are enabled",
    "gcp.identity-platform": "Identity Platform is on, with multi-tenancy",
    "gcp.state-bucket": "the state bucket (versioning, uniform access, no public access)",
    "gcp.kms-key": "the key of the stack secrets",
    "gcp.workload-identity": "the Workload Identity pool and provider (issuer, condition)",
    "gcp.service-accounts": "the CI accounts exist and are enabled",
    "gcp.custom-roles": "the custom roles hold their permissions",
    "gcp.grants": "every grant, and nothing broader",
    "gcp.impersonation": "who may act as each CI account",
    "gcp.platform-state": "the platform stack's own state, where no CI account writes",
}


CHECKS = tuple(_wrapped(name, check) for name, check in GCP_CHECKS)
"""The GCP checks (`gcp.py`), each skipped with the reason when there is nothing to read."""
