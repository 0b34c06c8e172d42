"""The sign-in rules a JSON Schema cannot state: they compare two values of `spec.auth`.

- `passwordPolicy.maxLength` is at least `minLength` (firebase-admin-node
  `src/auth/auth-config.ts` `PasswordPolicyAuthConfig.validate`: "must be greater than or
  equal to minLength and at max 4096");
- reCAPTCHA rules model intervals that "in aggregate span [0, 1] without overlapping"
  (Identity Toolkit v2 `RecaptchaManagedRule` / `RecaptchaTollFraudManagedRule`, in the
  discovery document firebase-tools generates `src/emulator/auth/apiSpec.ts` from), so a
  score may bound only one rule of each list.

Each check skips values of the wrong type: the schema reports those.
"""

from __future__ import annotations

from typing import Any

from reconciler.manifests.issues import Issue, PathPart
from reconciler.manifests.loader import LoadedYaml

AUTH: tuple[PathPart, ...] = ("spec", "auth")


def signin_issues(loaded: LoadedYaml) -> list[Issue]:
    """Cross-field issues of one manifest's `spec.auth`."""
    document = loaded.document
    spec = document.get("spec") if isinstance(document, dict) else None
    auth = spec.get("auth") if isinstance(spec, dict) else None
    if not isinstance(auth, dict):
        return []
    return _password_lengths(loaded, auth.get("passwordPolicy")) + _recaptcha_scores(
        loaded, auth.get("recaptcha")
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _password_lengths(loaded: LoadedYaml, policy: Any) -> list[Issue]:
    if not isinstance(policy, dict):
        return []
    low, high = policy.get("minLength", 6), policy.get("maxLength")
    if not (_number(low) and _number(high)) or high >= low:
        return []
    return [
        loaded.issue_at(
            (*AUTH, "passwordPolicy", "maxLength"),
            f"maxLength {high:g} is less than minLength {low:g}",
            "make maxLength at least minLength (Identity Platform refuses the policy)",
        )
    ]


def _recaptcha_scores(loaded: LoadedYaml, recaptcha: Any) -> list[Issue]:
    if not isinstance(recaptcha, dict):
        return []
    issues = []
    for key, score in (("managedRules", "endScore"), ("tollFraudManagedRules", "startScore")):
        rules = recaptcha.get(key)
        seen: set[float] = set()
        for index, rule in enumerate(rules if isinstance(rules, list) else ()):
            value = rule.get(score) if isinstance(rule, dict) else None
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            if value in seen:
                issues.append(
                    loaded.issue_at(
                        (*AUTH, "recaptcha", key, index, score),
                        f"{score} {value:g} bounds another rule already: the rules' "
                        "intervals would overlap",
                        f"give each rule of {key} its own {score}",
                    )
                )
            seen.add(value)
    return issues
