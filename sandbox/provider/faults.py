"""Fault injection for tests: make chosen provider operations fail or hang.

`SANDBOX_FAULTS` holds `;`-separated rules `OP:NAME_SUBSTRING:ACTION`:
- OP is create, update, delete, read, diff or check;
- NAME_SUBSTRING is matched against the resource's URN (empty matches every resource);
- ACTION is `fail` (the operation errors) or `hang` (it blocks until the engine cancels
  the operation or the process is killed).
Example: `SANDBOX_FAULTS='create:tenant-two:fail;delete:data-bucket:hang'`.
"""

from __future__ import annotations

from dataclasses import dataclass

FAULTS_ENV = "SANDBOX_FAULTS"
OPERATIONS = ("create", "update", "delete", "read", "diff", "check")
ACTIONS = ("fail", "hang")


class FaultSpecError(ValueError):
    """SANDBOX_FAULTS is not a list of OP:NAME_SUBSTRING:ACTION rules."""


@dataclass(frozen=True)
class FaultRule:
    """One rule of SANDBOX_FAULTS."""

    operation: str
    urn_substring: str
    action: str

    def matches(self, operation: str, urn: str) -> bool:
        return operation == self.operation and self.urn_substring in urn


def parse_faults(spec: str) -> tuple[FaultRule, ...]:
    """Parse the whole spec, reporting every bad rule at once."""
    rules: list[FaultRule] = []
    problems: list[str] = []
    for raw in spec.split(";"):
        text = raw.strip()
        if not text:
            continue
        operation, _, rest = text.partition(":")
        # The substring may itself hold ':' (URNs do), so the action is after the last one.
        substring, colon, action = rest.rpartition(":")
        if not colon:
            problems.append(f"{text!r} is not OP:NAME_SUBSTRING:ACTION")
        elif operation not in OPERATIONS:
            problems.append(f"{text!r}: OP must be one of {', '.join(OPERATIONS)}")
        elif action not in ACTIONS:
            problems.append(f"{text!r}: ACTION must be one of {', '.join(ACTIONS)}")
        else:
            rules.append(FaultRule(operation, substring, action))
    if problems:
        raise FaultSpecError(f"{FAULTS_ENV}: " + "; ".join(problems))
    return tuple(rules)


def find_fault(rules: tuple[FaultRule, ...], operation: str, urn: str) -> FaultRule | None:
    """The first rule for this operation on this URN, if any."""
    return next((rule for rule in rules if rule.matches(operation, urn)), None)
