"""Secrets committed to a manifest: found by shape, reported by path, never echoed.

A manifest is in git, in pull-request annotations and in CI logs; a secret in it is leaked
the moment it is pushed. This module finds values (and mapping keys) shaped like secrets
anywhere in a document, and every literal `clientSecret`, and reports each as "a secret
was committed: rotate it" at its path, without the value. Other issues about the same
value are dropped by the caller (`validate.py`), because their messages would quote it.

Shapes (each with its documented, stable form):
- PEM private keys (`-----BEGIN ... PRIVATE KEY-----`; a service-account key file holds one);
- Google OAuth client secrets (`GOCSPX-` prefix) and Google API keys (`AIza` + 35 characters);
- GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`) and, in identity-
  provider settings, GitHub OAuth app client secrets (40 lowercase hex digits);
- credentials in a URL (`https://user:password@host`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.manifests.issues import Issue, PathPart, dotted, json_path
from reconciler.manifests.loader import LoadedYaml

_SHAPED = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|GOCSPX-[A-Za-z0-9_-]{20,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"
    r"|\bgithub_pat_[A-Za-z0-9_]{30,}"
    r"|[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@"
)
_HEX40 = re.compile(r"[0-9a-f]{40}")
_ROTATE = (
    "it is in git history now: rotate it at its issuer, then reference the new one with "
    "{fromEnv: VAR_NAME} or {fromSecretManager: {secret: NAME}}"
)


@dataclass(frozen=True)
class Leak:
    """Where a secret was found: the path to drop other issues under, and the issue."""

    path: str
    """JSON path whose issues would quote the secret (a value's path, or a key's)."""
    issue: Issue


def find_leaks(loaded: LoadedYaml) -> list[Leak]:
    """Every secret-shaped value or key of the document, and every literal clientSecret."""
    leaks: list[Leak] = []
    for path, text, is_key in _strings(loaded.document, []):
        if not _looks_secret(path, text, is_key):
            continue
        if is_key:
            # The key itself is the secret: name the mapping that holds it, never the key.
            parent = path[:-1]
            line, column = loaded.locate(path, key=True)
            where = dotted(parent) or "the top level"
            message = f"{where}: a key looks like a secret: a secret was committed: rotate it"
            issue = Issue(loaded.file, line, column, json_path(parent), message, _ROTATE)
        else:
            line, column = loaded.locate(path)
            message = f"{dotted(path)}: looks like a secret: a secret was committed: rotate it"
            issue = Issue(loaded.file, line, column, json_path(path), message, _ROTATE)
        leaks.append(Leak(json_path(path), issue))
    found = {leak.path for leak in leaks}
    leaks.extend(leak for leak in _literal_client_secrets(loaded) if leak.path not in found)
    return leaks


def _looks_secret(path: list[PathPart], text: str, is_key: bool) -> bool:
    if len(text) < 20:
        return False  # every shape is longer; most values are shorter
    if _SHAPED.search(text):
        return True
    in_idp = len(path) > 2 and path[1] == "identityProviders"
    return in_idp and not is_key and _HEX40.fullmatch(text) is not None


def _strings(value: Any, path: list[PathPart]) -> Iterator[tuple[list[PathPart], str, bool]]:
    """(path, text, is_key) of every string value and mapping key, depth first."""
    if isinstance(value, str):
        yield path, value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            yield [*path, key], key, True
            yield from _strings(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, [*path, index])


def _literal_client_secrets(loaded: LoadedYaml) -> Iterator[Leak]:
    """A clientSecret written as text is a committed secret, whatever the provider's id says.

    The schema only reaches `clientSecret` once the provider's id is known; checking here
    reports it together with a misspelled id ("every mistake at once").
    """
    spec = loaded.document.get("spec") if isinstance(loaded.document, dict) else None
    providers = spec.get("identityProviders") if isinstance(spec, dict) else None
    if not isinstance(providers, list):
        return
    for index, provider in enumerate(providers):
        if not isinstance(provider, dict):
            continue
        secret = provider.get("clientSecret")
        if isinstance(secret, (str, int, float)) and not isinstance(secret, bool) and secret != "":
            path: list[PathPart] = ["spec", "identityProviders", index, "clientSecret"]
            line, column = loaded.locate(path)
            message = f"{dotted(path)}: a secret was committed: rotate it"
            yield Leak(
                json_path(path), Issue(loaded.file, line, column, json_path(path), message, _ROTATE)
            )
