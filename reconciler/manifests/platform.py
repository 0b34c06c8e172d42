"""Platform settings: one `platform.yaml` at the repository root, overridable from the environment.

The file is validated against `schema/platform.schema.json`; environment variables
(`RECONCILER_*`) override single settings so CI can point the same repository at a real
backend and project without editing the file.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reconciler.manifests.issues import Issue, json_path, sort_key
from reconciler.manifests.rollout import Rollout, rollout_issues, rollout_settings

PLATFORM_FILE = "platform.yaml"
TARGETS = ("sandbox", "gcp")


@dataclass(frozen=True)
class Platform:
    """Settings shared by every tenant stack."""

    root: Path
    """Repository root (where platform.yaml lives)."""
    target: str
    """`sandbox` (the local stand-in cloud) or `gcp`."""
    gcp_project: str
    """GCP project that holds every tenant's resources."""
    default_location: str
    """Bucket location for tenants that do not set one."""
    pulumi_project: str
    """Pulumi project name; stacks are `<pulumi_project>/<tenant>`."""
    backend_url: str
    """Pulumi state backend (`file://...`, `gs://...`)."""
    secrets_provider: str
    """`passphrase` or a KMS URL such as `gcpkms://...`."""
    default_deletion_protection: bool
    """Deletion protection for tenants whose manifest does not say."""
    max_delete_fraction: float
    """A run deleting more than this share of deployed tenants is refused."""
    parallelism: int
    """Engine operations run at once."""
    auto_repair_drift: bool = False
    """The scheduled drift check starts the apply workflow (force + refresh) for what drifted."""
    platform_reviewers: tuple[str, ...] = ()
    """`github.platformReviewers`: who owns every path in CODEOWNERS (empty: not set)."""
    rollout: Rollout | None = None
    """The waves a program change goes through (None: every tenant in one run)."""

    @property
    def sandbox(self) -> bool:
        return self.target == "sandbox"

    def resolved_backend_url(self) -> str:
        """The backend URL with a relative `file://` path made absolute against the root."""
        url = self.backend_url
        if url.startswith("file://"):
            path = Path(url[len("file://") :]).expanduser()
            if not path.is_absolute():
                path = self.root / path
            return "file://" + str(path)
        return url


class BackendConflict(Exception):
    """RECONCILER_BACKEND_URL and PULUMI_BACKEND_URL are both set and differ: a usage error,
    since the reconciler would read one backend while a Pulumi user expects the other."""


def backend_environ(environ: Mapping[str, str]) -> Mapping[str, str]:
    """One backend truth: PULUMI_BACKEND_URL (every Pulumi user's setting) is the backend
    when RECONCILER_BACKEND_URL is unset; both set and different is refused.

    The engine always gets the resolved URL explicitly, so whichever wins, the reconciler
    reads and the engine writes the same backend.
    """
    ours = environ.get("RECONCILER_BACKEND_URL")
    pulumi = (environ.get("PULUMI_BACKEND_URL") or "").strip()
    if not pulumi:
        return environ
    if ours is None:
        return {**environ, "RECONCILER_BACKEND_URL": pulumi}
    if ours.strip().rstrip("/") != pulumi.rstrip("/"):
        raise BackendConflict(
            f"RECONCILER_BACKEND_URL={ours!r} and PULUMI_BACKEND_URL={pulumi!r} name different "
            "backends: unset one of them, or set both to the same URL"
        )
    return environ


class PlatformError(Exception):
    """platform.yaml or a RECONCILER_* override is invalid; `issues` says where and why."""

    def __init__(self, issues: tuple[Issue, ...]) -> None:
        super().__init__("; ".join(f"{i.file}:{i.line}:{i.column}: {i.message}" for i in issues))
        self.issues = issues


@dataclass(frozen=True)
class Override:
    """One environment variable that replaces one setting of platform.yaml."""

    variable: str
    """The variable's name."""
    path: tuple[str, ...]
    """The setting it replaces, as keys into platform.yaml."""
    parse: Callable[[str], Any]
    """Text to the setting's type; raises ValueError with a reason."""


def _boolean(text: str) -> bool:
    word = text.strip().lower()
    if word in ("true", "1", "yes", "on"):
        return True
    if word in ("false", "0", "no", "off"):
        return False
    raise ValueError("is not true or false")


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(value):
        raise ValueError("is not a finite number")
    return value


def _whole(text: str) -> int:
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise ValueError("is not a whole number") from None


OVERRIDES = (
    Override("RECONCILER_TARGET", ("target",), str),
    Override("RECONCILER_GCP_PROJECT", ("gcp", "project"), str),
    Override("RECONCILER_DEFAULT_LOCATION", ("gcp", "defaultLocation"), str),
    Override("RECONCILER_PULUMI_PROJECT", ("pulumi", "project"), str),
    Override("RECONCILER_BACKEND_URL", ("pulumi", "backendUrl"), str),
    Override("RECONCILER_SECRETS_PROVIDER", ("pulumi", "secretsProvider"), str),
    Override(
        "RECONCILER_DEFAULT_DELETION_PROTECTION",
        ("reconcile", "defaultDeletionProtection"),
        _boolean,
    ),
    Override("RECONCILER_MAX_DELETE_FRACTION", ("reconcile", "maxDeleteFraction"), _fraction),
    Override("RECONCILER_PARALLELISM", ("reconcile", "parallelism"), _whole),
    Override("RECONCILER_AUTO_REPAIR_DRIFT", ("reconcile", "autoRepairDrift"), _boolean),
)
"""Every setting CI may override, validated by the same schema as the file."""


def load_platform(root: Path, environ: Mapping[str, str]) -> Platform:
    """platform.yaml under `root`, with the RECONCILER_* overrides of `environ` applied
    (`Settings.platform_overrides`: the variables `SETTINGS` lists for platform.yaml).

    The file and the overrides are validated together against `schema/platform.schema.json`;
    every problem is collected into one `PlatformError` (`BackendConflict` when two backend
    variables disagree, see `backend_environ`). A variable that is set but empty is
    an error, not "unset": an empty CI variable must not quietly fall back to the file's
    (local) backend or project.
    """
    from reconciler.manifests.loader import LoadedYaml, load_yaml_file
    from reconciler.manifests.schema import checker

    environ = backend_environ(environ)
    path = root / PLATFORM_FILE
    if not path.is_file():
        raise PlatformError(
            (
                Issue(
                    PLATFORM_FILE,
                    1,
                    1,
                    "$",
                    f"no {PLATFORM_FILE} under {root}",
                    "every repository needs one; see the README",
                ),
            )
        )
    loaded = load_yaml_file(path, PLATFORM_FILE)
    if loaded.issues or not isinstance(loaded.document, dict):
        raise PlatformError(loaded.issues)
    document = copy.deepcopy(loaded.document)
    issues: list[Issue] = []
    by_path: dict[str, Override] = {}
    for override in OVERRIDES:
        if override.variable not in environ:
            continue
        text = environ[override.variable]
        where = loaded.locate(override.path)
        try:
            if not text.strip():
                raise ValueError("is set but empty (unset it to use platform.yaml)")
            value = override.parse(text)
        except ValueError as error:
            issues.append(
                Issue(
                    PLATFORM_FILE,
                    *where,
                    json_path(override.path),
                    f"{override.variable}={text!r} {error}",
                )
            )
            continue
        if _put(document, override.path, value):
            by_path[json_path(override.path)] = override
    overridden = LoadedYaml(PLATFORM_FILE, document, (), loaded.root)
    found = checker("platform").check(overridden) + _location_issues(overridden)
    for issue in found + rollout_issues(overridden, PLATFORM_FILE):
        source = by_path.get(issue.path)
        if source is not None:
            # The bad value came from the environment: say so, or people will search the file.
            setting = issue.path[2:] + ": "
            text = issue.message.removeprefix(setting)
            issue = replace(
                issue,
                message=f"{source.variable}: {text}",
                hint=issue.hint or f"set by the environment, overriding {PLATFORM_FILE}",
            )
        issues.append(issue)
    if issues:
        raise PlatformError(tuple(sorted(issues, key=sort_key)))
    return _platform(root, document, checker("platform").schema)


def _location_issues(loaded: Any) -> list[Issue]:
    """`gcp.defaultLocation` must be a GCS location the list knows (typos pass the pattern)."""
    from reconciler.manifests.gcp_rules import location_problems
    from reconciler.manifests.keywords import ecma_regex
    from reconciler.manifests.schema import checker

    gcp = loaded.document.get("gcp")
    location = gcp.get("defaultLocation") if isinstance(gcp, dict) else None
    schema = checker("platform").schema["properties"]["gcp"]["properties"]["defaultLocation"]
    # A value of the wrong form is the schema's to report, once.
    if not isinstance(location, str) or not ecma_regex(schema["pattern"]).search(location):
        return []
    path = ("gcp", "defaultLocation")
    line, column = loaded.locate(path)
    return [
        Issue(PLATFORM_FILE, line, column, json_path(path), f"gcp.defaultLocation: {message}", hint)
        for message, hint in location_problems(location)
    ]


def _put(document: dict[str, Any], path: tuple[str, ...], value: Any) -> bool:
    """Set a nested key, creating missing sections; False when a section is not a mapping."""
    for key in path[:-1]:
        document = document.setdefault(key, {})
        if not isinstance(document, dict):
            return False
    document[path[-1]] = value
    return True


def _platform(root: Path, document: dict[str, Any], schema: Mapping[str, Any]) -> Platform:
    # Defaults come from the schema, which documents them for editors too.
    defaults = {k: v["default"] for k, v in schema["properties"]["reconcile"]["properties"].items()}
    reconcile = {**defaults, **document.get("reconcile", {})}
    gcp, pulumi = document["gcp"], document["pulumi"]
    return Platform(
        root=root,
        target=document["target"],
        gcp_project=gcp["project"],
        default_location=gcp["defaultLocation"],
        pulumi_project=pulumi["project"],
        backend_url=pulumi["backendUrl"],
        secrets_provider=pulumi["secretsProvider"],
        default_deletion_protection=reconcile["defaultDeletionProtection"],
        max_delete_fraction=float(reconcile["maxDeleteFraction"]),
        parallelism=int(reconcile["parallelism"]),
        auto_repair_drift=bool(reconcile["autoRepairDrift"]),
        platform_reviewers=tuple(document.get("github", {}).get("platformReviewers", ())),
        rollout=rollout_settings(document.get("rollout")),
    )


def main() -> int:
    """`python -m reconciler.manifests.platform auto-repair-drift`: prints true or false.

    A process's edge (the drift workflow calls it): its settings are read here."""
    import sys

    from reconciler.settings import read_settings

    if sys.argv[1:] != ["auto-repair-drift"]:
        print("usage: python -m reconciler.manifests.platform auto-repair-drift", file=sys.stderr)
        return 2
    try:
        platform = load_platform(Path.cwd(), read_settings().platform_overrides)
    except PlatformError as error:
        print(f"reconciler: {error}", file=sys.stderr)
        return 1
    print("true" if platform.auto_repair_drift else "false")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
