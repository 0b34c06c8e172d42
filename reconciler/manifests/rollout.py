"""platform.yaml's `rollout`: the waves a program change goes through, as typed settings.

The schema (schema/platform.schema.json) checks each field; `rollout_issues` adds the
cross-field rules the schema cannot say (wave names unique, shares increasing), each at
its line. `rollout_settings` turns the validated document into frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.manifests.issues import Issue, json_path

DEFAULT_VERIFY_TIMEOUT = 300


@dataclass(frozen=True)
class Wave:
    """One step of a rollout."""

    name: str
    selector: tuple[tuple[str, str], ...] = ()
    """Labels a tenant must all carry to be in this wave (empty: a share wave)."""
    share: float | None = None
    """Cumulative share of the tenants no selector takes, reached by this wave's end."""
    max_failures: int = 0
    """Failed tenants this wave may have before the rollout halts."""
    soak_seconds: float = 0.0
    """Wait after this wave passed, before the next one starts."""

    def takes(self, labels: Mapping[str, str]) -> bool:
        """Whether a tenant with these labels matches this wave's selector."""
        return bool(self.selector) and all(labels.get(k) == v for k, v in self.selector)


@dataclass(frozen=True)
class Rollout:
    """The waves, in order, and how each tenant is verified."""

    waves: tuple[Wave, ...]
    verify_identity: bool = True
    """Read the identity tenant and its providers back after each apply."""
    verify_command: tuple[str, ...] = ()
    """A command run per tenant after its apply (empty: none)."""
    verify_timeout: float = DEFAULT_VERIFY_TIMEOUT


def _seconds(text: str) -> float:
    """`1h30m`, `10m`, `90s` (the schema's pattern) in seconds; an empty text is 0."""
    total, number = 0, ""
    for char in text.strip():
        if char.isdigit():
            number += char
        else:
            total += int(number or 0) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
    return float(total)


def rollout_settings(document: Any) -> Rollout | None:
    """The validated `rollout` section as settings; None when there is none."""
    if not isinstance(document, Mapping):
        return None
    waves = tuple(
        Wave(
            name=wave["name"],
            selector=tuple(sorted(wave.get("selector", {}).items())),
            share=float(wave["share"]) if "share" in wave else None,
            max_failures=int(wave.get("maxFailures", 0)),
            soak_seconds=_seconds(str(wave.get("soak", "0s"))),
        )
        for wave in document["waves"]
    )
    verify = document.get("verify", {})
    return Rollout(
        waves=waves,
        verify_identity=bool(verify.get("identity", True)),
        verify_command=tuple(verify.get("command", ())),
        verify_timeout=float(verify.get("timeoutSeconds", DEFAULT_VERIFY_TIMEOUT)),
    )


def rollout_issues(loaded: Any, file: str) -> list[Issue]:
    """Rules across waves: unique names, and shares that grow from one wave to the next."""
    rollout = loaded.document.get("rollout") if isinstance(loaded.document, dict) else None
    waves = rollout.get("waves") if isinstance(rollout, dict) else None
    if not isinstance(waves, list):
        return []
    issues = []
    seen: set[str] = set()
    last_share = 0.0
    for index, wave in enumerate(waves):
        if not isinstance(wave, dict):
            continue
        name = wave.get("name")
        if isinstance(name, str):
            if name in seen:
                path = ("rollout", "waves", index, "name")
                issues.append(_issue(loaded, file, path, f"wave name '{name}' is used twice"))
            seen.add(name)
        share = wave.get("share")
        if isinstance(share, int | float) and not isinstance(share, bool):
            if share <= last_share:
                path = ("rollout", "waves", index, "share")
                message = (
                    f"share {share} must be larger than the previous share wave's "
                    f"{last_share}: shares are cumulative (0.1, then 1 = 10 %, then the rest)"
                )
                issues.append(_issue(loaded, file, path, message))
            last_share = max(last_share, float(share))
    return issues


def _issue(loaded: Any, file: str, path: tuple[str | int, ...], message: str) -> Issue:
    line, column = loaded.locate(path)
    return Issue(file, line, column, json_path(path), message)
