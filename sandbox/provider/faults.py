"""Fault injection for tests: make chosen provider operations fail, hang, or meet what
Google Cloud throws at a real deployment.

`SANDBOX_FAULTS` holds `;`-separated rules `OP:NAME_SUBSTRING:ACTION`:
- OP is create, update, delete, read, diff or check;
- NAME_SUBSTRING is matched against the resource's URN (empty matches every resource);
- ACTION is one of
  - `fail`: the operation errors;
  - `hang`: it blocks until the engine cancels the operation or the process is killed;
  - `hang-after` (create, update or delete): the operation is done in the cloud, then its
    answer to the engine blocks like `hang`, so a kill leaves the checkpoint with a pending
    operation whose cloud side already happened (an interrupted create whose object exists);
  - `taken` (create of a bucket): someone outside the platform owns the name: 409;
  - `quota`: every attempt answers 429 RESOURCE_EXHAUSTED (a quota, not a rate);
  - `ratelimit=N`: the first N attempts answer 429 RATE_LIMIT_EXCEEDED, then it works;
  - `lag=SECONDS` (create of a service account): IAM cannot see the new account for
    SECONDS ("Service account ... does not exist" in a binding: eventual consistency).
Example: `SANDBOX_FAULTS='create:tenant-two:fail;delete:data-bucket:hang'`.
"""

from __future__ import annotations

from dataclasses import dataclass

FAULTS_ENV = "SANDBOX_FAULTS"
OPERATIONS = ("create", "update", "delete", "read", "diff", "check")
ACTIONS = ("fail", "hang", "hang-after", "taken", "quota")
ACTIONS_WITH_ARGUMENT = ("ratelimit", "lag")


class FaultSpecError(ValueError):
    """SANDBOX_FAULTS is not a list of OP:NAME_SUBSTRING:ACTION rules."""


@dataclass(frozen=True)
class FaultRule:
    """One rule of SANDBOX_FAULTS."""

    operation: str
    urn_substring: str
    action: str
    argument: float = 0.0
    """N of ratelimit=N, SECONDS of lag=SECONDS."""

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
        elif (rule := _rule(operation, substring, action)) is None:
            forms = [*ACTIONS, *(f"{name}=NUMBER" for name in ACTIONS_WITH_ARGUMENT)]
            problems.append(f"{text!r}: ACTION must be one of {', '.join(forms)}")
        else:
            rules.append(rule)
    if problems:
        raise FaultSpecError(f"{FAULTS_ENV}: " + "; ".join(problems))
    return tuple(rules)


def _rule(operation: str, substring: str, action: str) -> FaultRule | None:
    if action in ACTIONS:
        return FaultRule(operation, substring, action)
    name, equals, number = action.partition("=")
    if name not in ACTIONS_WITH_ARGUMENT or not equals:
        return None
    try:
        argument = float(number)
    except ValueError:
        return None
    return FaultRule(operation, substring, name, argument) if argument >= 0 else None


def find_fault(rules: tuple[FaultRule, ...], operation: str, urn: str) -> FaultRule | None:
    """The first rule for this operation on this URN, if any."""
    return next((rule for rule in rules if rule.matches(operation, urn)), None)
