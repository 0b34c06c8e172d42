"""What engine operations did, per tenant: plain data shared by the engine, act and reports.

No Pulumi import here, so reports can be rendered and merged (e.g. from CI shards) anywhere.

The JSON form is a contract (`docs/report.schema.json`, `docs/cli.md`): one object with
`schemaVersion`, every key in camelCase. `Report.from_json` also reads the unversioned
reports of earlier releases (`replace_keys`), and refuses a newer `schemaVersion` by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from reconciler import version
from reconciler.report.status import Status, exit_code

SCHEMA_VERSION = 1
"""Version of every `--format json` output; bumped when a key changes meaning or goes away."""


class ReportFormatError(ValueError):
    """A JSON file is not a report this version of the reconciler can read."""


STATEFUL_TYPES = frozenset(
    {
        "gcp:identityplatform/tenant:Tenant",  # the tenant's user pool
        "gcp:storage/bucket:Bucket",  # the tenant's data
    }
)
"""Resources whose replacement or deletion loses what cannot be recreated."""


@dataclass(frozen=True)
class ResourceStep:
    """One planned or performed change to one resource."""

    op: str
    type: str
    name: str
    diffs: tuple[str, ...] = ()
    replace_keys: tuple[str, ...] = ()

    @property
    def is_replace(self) -> bool:
        return self.op in ("replace", "create-replacement", "delete-replaced")

    @property
    def loses_state(self) -> bool:
        """Replacing or deleting a stateful resource loses users or data."""
        return self.type in STATEFUL_TYPES and (self.is_replace or self.op == "delete")


@dataclass(frozen=True)
class StackRun:
    """What one engine operation did (or, for previews, would do) to one stack."""

    steps: tuple[ResourceStep, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """Stack outputs with secret values replaced by "[secret]"."""


@dataclass(frozen=True)
class Outcome:
    """One tenant's line in a report."""

    tenant: str
    action: str
    """The planned action (create, update, unchanged, retry, delete, blocked)."""
    status: Status
    """How it ended (a plain string is converted, so reports read back from JSON check it)."""
    reason: str
    steps: tuple[ResourceStep, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=dict)
    seconds: float | None = None
    program: str | None = None
    """plan: the program version the stack was last applied with (short), "" when unknown."""
    wave: str | None = None
    """plan: the tenant's rollout wave (`2 early`); None without a rollout."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))

    def to_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["status"] = str(self.status)
        body["steps"] = [_step_json(step) for step in self.steps]
        for key in ("program", "wave"):
            if body[key] is None:
                del body[key]  # only plans say them
        return body

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Outcome:
        steps = tuple(
            ResourceStep(
                op=s["op"],
                type=s["type"],
                name=s["name"],
                diffs=tuple(s.get("diffs", ())),
                # camelCase since schemaVersion 1; snake_case in unversioned reports.
                replace_keys=tuple(s.get("replaceKeys", s.get("replace_keys", ()))),
            )
            for s in body.get("steps", ())
        )
        return cls(
            tenant=body["tenant"],
            action=body["action"],
            status=body["status"],
            reason=body.get("reason", ""),
            steps=steps,
            outputs=body.get("outputs", {}),
            seconds=body.get("seconds"),
            program=body.get("program"),
            wave=body.get("wave"),
        )


@dataclass(frozen=True)
class Report:
    """A command's whole result."""

    command: str
    outcomes: tuple[Outcome, ...]
    guard: str | None = None
    engine_operations: int = 0
    """Engine operations run (a try refused by another run's lock is not one)."""
    engine_attempts: int = 0
    """Engine runs started, lock-refused retries included."""
    rollout: str | None = None
    """Where a program rollout stands or stopped (reconcile/waves.py); None without one."""
    version: str = field(default_factory=version)
    """The reconciler release that produced it (`reconciler --version`)."""

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def exit_code(self) -> int:
        return exit_code((o.status for o in self.outcomes), self.guard)

    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "command": self.command,
            "guard": self.guard,
            "engineOperations": self.engine_operations,
            "engineAttempts": self.engine_attempts,
            **({"rollout": self.rollout} if self.rollout else {}),
            "reconcilerVersion": self.version,
            "tenants": [o.to_json() for o in self.outcomes],
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Report:
        """Read a report written by this or an earlier version; refuse anything else."""
        check_version(body, "report")
        if "tenants" not in body or not isinstance(body["tenants"], list):
            raise ReportFormatError("no 'tenants' list: not a reconciler JSON report")
        return cls(
            command=body["command"],
            outcomes=tuple(Outcome.from_json(o) for o in body.get("tenants", ())),
            guard=body.get("guard"),
            engine_operations=int(body.get("engineOperations", 0)),
            engine_attempts=int(body.get("engineAttempts", 0)),
            rollout=body.get("rollout") if isinstance(body.get("rollout"), str) else None,
            version=str(body.get("reconcilerVersion") or "unknown"),
        )


def _step_json(step: ResourceStep) -> dict[str, Any]:
    return {
        "op": step.op,
        "type": step.type,
        "name": step.name,
        "diffs": list(step.diffs),
        "replaceKeys": list(step.replace_keys),
    }


def check_version(body: Any, what: str) -> None:
    """Refuse a JSON document that is not an object or comes from a newer reconciler."""
    if not isinstance(body, Mapping):
        raise ReportFormatError(f"not a reconciler JSON {what}: expected an object")
    version = body.get("schemaVersion", 0)  # 0: written before the JSON was versioned
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ReportFormatError(f"schemaVersion {version!r} is not a version number")
    if version > SCHEMA_VERSION:
        raise ReportFormatError(
            f"written with schemaVersion {version}, but this reconciler reads up to "
            f"{SCHEMA_VERSION}: upgrade tenant-gitops to read it"
        )


def merge(reports: list[Report]) -> Report:
    """One report from several (CI shards); a tenant seen twice keeps its worst line."""
    best: dict[str, Outcome] = {}
    for report in reports:
        for outcome in report.outcomes:
            seen = best.get(outcome.tenant)
            if seen is None or outcome.status.rank > seen.status.rank:
                best[outcome.tenant] = outcome
    guards = sorted({r.guard for r in reports if r.guard})
    # Shards decide a wave alike: a halt says it for the run, then a shard's "every wave
    # passed", then the plan's line of where the rollout stood.
    rollouts = sorted(
        {r.rollout for r in reports if r.rollout},
        key=lambda t: (0 if " halted at " in t else 1 if "passed" in t else 2, t),
    )
    return Report(
        command=reports[0].command if reports else "report",
        outcomes=tuple(best[name] for name in sorted(best)),
        guard="; ".join(guards) or None,
        engine_operations=sum(r.engine_operations for r in reports),
        engine_attempts=sum(r.engine_attempts for r in reports),
        rollout=rollouts[0] if rollouts else None,
        version=", ".join(sorted({r.version for r in reports})) or version(),
    )
