"""The rules a JSON Schema cannot state: within one manifest, and across the tenants/ set.

- the tenant name equals the file stem (tenants/<name>.yaml is the stack <name>);
- an identity-provider id appears once per tenant;
- a tenant references only its own secrets (`secret_owner.py`, run by validate.py on
  values the schema accepted), and across the fleet none of another tenant's whose name
  extends its own (`acme` and `acme-eu`);
- tenant names and display names are unique across tenants (display names compared
  case-insensitively: "Acme" and "ACME" on two sign-in pages would confuse people);
- `metadata.renamedFrom` names another tenant, whose manifest is gone (a rename moves
  the file; with both files, both tenants would be deployed);
- no two tenants derive the same GCP name: the workload service account's id
  (`naming.service_account_id`) is cut and hashed for short names, and a long name can
  spell another's hashed form (`abc` and `abc-<hash of abc>` both derive `t-abc-<hash>`).

The GCP-specific value checks live in `gcp_rules.py`, `principals.py`, `certificates.py`,
`signin_rules.py` and `leaks.py`; `semantic_issues` runs them all.

Each rule reads values the schema has already typed where it can, and skips values of the
wrong type (the schema reports those), so a broken file never crashes a rule.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.manifests.certificates import certificate_issues
from reconciler.manifests.gcp_rules import gcp_issues
from reconciler.manifests.issues import Issue, json_path, shown
from reconciler.manifests.keywords import ecma_regex
from reconciler.manifests.leaks import Leak, find_leaks
from reconciler.manifests.loader import LoadedYaml
from reconciler.manifests.principals import principal_issues
from reconciler.manifests.secret_owner import SecretClaim, foreign_secret_issues
from reconciler.manifests.signin_rules import signin_issues
from reconciler.names import service_account_id

NAME_PATH = ("metadata", "name")
TENANT_NAME = ecma_regex(r"^[a-z][a-z0-9-]{1,26}[a-z0-9]$")
"""A valid tenant name (the schema's rule), for hints that suggest one."""
DISPLAY_NAME_PATH = ("spec", "displayName")
RENAMED_FROM_PATH = ("metadata", "renamedFrom")


@dataclass(frozen=True)
class Located:
    """A value read from a manifest, with where it was written."""

    value: str
    line: int
    column: int


@dataclass(frozen=True)
class ManifestFacts:
    """What the cross-file rules need from one manifest (small, so workers can send it back)."""

    file: str
    """Display name of the file."""
    name: Located | None
    """`metadata.name`, when it is text."""
    display_name: Located | None
    """`spec.displayName`, when it is text."""
    renamed_from: Located | None = None
    """`metadata.renamedFrom`, when it is text."""


def facts_of(loaded: LoadedYaml) -> ManifestFacts:
    """The facts of one loaded manifest."""
    return ManifestFacts(
        loaded.file,
        _text_at(loaded, NAME_PATH),
        _text_at(loaded, DISPLAY_NAME_PATH),
        _text_at(loaded, RENAMED_FROM_PATH),
    )


def manifest_rules(loaded: LoadedYaml, facts: ManifestFacts, stem: str) -> list[Issue]:
    """The rules within one manifest: its name matches its file, its IdP ids are unique."""
    issues = []
    name = facts.name
    if name is not None and name.value != stem:
        issues.append(
            Issue(
                loaded.file,
                name.line,
                name.column,
                json_path(NAME_PATH),
                f"metadata.name: {shown(name.value)} does not match the file name "
                f"{shown(stem + '.yaml')}",
                _rename_hint(name.value, stem),
            )
        )
    old = facts.renamed_from
    if old is not None and name is not None and old.value == name.value:
        issues.append(
            Issue(
                loaded.file,
                old.line,
                old.column,
                json_path(RENAMED_FROM_PATH),
                f"metadata.renamedFrom: {shown(old.value)} is this tenant's own name",
                "name the tenant this one was renamed from (its old file name without "
                ".yaml), or remove renamedFrom",
            )
        )
    issues.extend(_repeated_idp_ids(loaded))
    return issues


def semantic_issues(loaded: LoadedYaml) -> tuple[list[Issue], list[Leak]]:
    """What GCP would refuse (or break on) in one manifest, and the secrets it leaks."""
    issues = gcp_issues(loaded) + principal_issues(loaded) + certificate_issues(loaded)
    issues += signin_issues(loaded)
    return issues, find_leaks(loaded)


def _rename_hint(name: str, stem: str) -> str:
    """Suggest only names that are valid: never "rename the file to Acme Corp.yaml"."""
    tail = " (renaming a deployed tenant replaces its stack and resources)"
    if TENANT_NAME.search(name) and TENANT_NAME.search(stem):
        return (
            f"rename the file to {shown(name + '.yaml', quoted=False)} or the tenant "
            f"to {shown(stem)}{tail}"
        )
    if TENANT_NAME.search(stem):
        return f"set metadata.name to {shown(stem)}{tail}"
    if TENANT_NAME.search(name):
        return f"rename the file to {shown(name + '.yaml', quoted=False)}"
    return (
        "choose a tenant name of 3-28 lowercase letters, digits and hyphens, and use it "
        "for both metadata.name and the file name"
    )


def fleet_rules(
    facts: Iterable[ManifestFacts], claims_of: Callable[[str], Sequence[SecretClaim]]
) -> list[Issue]:
    """The rules across manifests: names, display names and derived GCP names are unique,
    no tenant reads a secret another's longer name owns, and a renamed tenant's old
    manifest is gone.

    `claims_of(file)` gives a manifest's secret claims (`secret_owner.secret_claims`); it is
    asked only for the few tenants whose name another's extends, so neither the facts nor
    the validation cache carry claims for the thousands of others.
    """
    facts = list(facts)
    issues = _unique(facts, "name", lambda f: f.name, "tenant name")
    issues += _unique(facts, "displayName", lambda f: f.display_name, "display name")
    issues += _same_account_id(facts)
    issues += _foreign_secrets(facts, claims_of)
    issues += _renamed_from_present(facts)
    return issues


def _renamed_from_present(facts: list[ManifestFacts]) -> list[Issue]:
    """A tenant renamed from OLD while OLD's manifest is still in tenants/."""
    files = {f.name.value: f.file for f in facts if f.name is not None}
    issues = []
    for fact in facts:
        old, name = fact.renamed_from, fact.name
        if old is None or name is None or old.value == name.value or old.value not in files:
            continue
        old_file = files[old.value]
        new_file = old_file.rsplit("/", 1)[0] + f"/{name.value}.yaml"
        issues.append(
            Issue(
                fact.file,
                old.line,
                old.column,
                json_path(RENAMED_FROM_PATH),
                f"metadata.renamedFrom: {shown(old.value)} still has a manifest, {old_file}",
                f"a rename moves the file: delete {old_file} (git mv it to {new_file}), or "
                "remove renamedFrom if both tenants are meant to exist",
            )
        )
    return issues


def _foreign_secrets(
    facts: list[ManifestFacts], claims_of: Callable[[str], Sequence[SecretClaim]]
) -> list[Issue]:
    """`secret_owner.foreign_secret_issues` over the claims of the tenants whose name
    another tenant's extends (`acme` when `acme-eu` exists): no other claim can be foreign."""
    tenants = {
        fact.name.value: (fact.file, fact.name.line, fact.name.column)
        for fact in facts
        if fact.name is not None
    }
    names = sorted(tenants)
    # "-" sorts before every other character a tenant name may hold, so the names that
    # extend `name` follow it at once.
    extended = {name for name, after in itertools.pairwise(names) if after.startswith(name + "-")}
    claims = [claim for name in sorted(extended) for claim in claims_of(tenants[name][0])]
    return foreign_secret_issues(claims, tenants)


def _same_account_id(facts: list[ManifestFacts]) -> list[Issue]:
    """Two tenant names that derive one service-account id would share one account."""
    groups: dict[str, list[tuple[ManifestFacts, Located]]] = defaultdict(list)
    for fact in facts:
        if fact.name is not None and TENANT_NAME.search(fact.name.value):
            groups[service_account_id(fact.name.value)].append((fact, fact.name))
    issues = []
    for account, group in groups.items():
        if len({located.value for _, located in group}) < 2:
            continue  # one name twice: the unique-name rule says so
        for fact, located in group:
            others = ", ".join(
                sorted(
                    f"{other.file}:{where.line}"
                    for other, where in group
                    if where.value != located.value
                )
            )
            issues.append(
                Issue(
                    fact.file,
                    located.line,
                    located.column,
                    json_path(NAME_PATH),
                    f"metadata.name: {shown(located.value)} derives the service-account id "
                    f"{shown(account)}, as {others} does",
                    "choose another tenant name: two tenants would share one service account",
                )
            )
    return issues


def _repeated_idp_ids(loaded: LoadedYaml) -> list[Issue]:
    providers = _mapping_get(loaded.document, "spec", "identityProviders")
    if not isinstance(providers, list):
        return []
    first: dict[str, int] = {}
    issues = []
    for index, provider in enumerate(providers):
        idp_id = provider.get("id") if isinstance(provider, dict) else None
        if not isinstance(idp_id, str):
            continue
        if idp_id not in first:
            first[idp_id] = index
            continue
        first_line, _ = loaded.locate(("spec", "identityProviders", first[idp_id], "id"))
        issues.append(
            loaded.issue_at(
                ("spec", "identityProviders", index, "id"),
                f"{shown(idp_id)} is already configured (first at line {first_line})",
                "a tenant has one configuration per provider; merge the two entries",
            )
        )
    return issues


def _unique(facts: list[ManifestFacts], key: str, pick: Any, label: str) -> list[Issue]:
    groups: dict[str, list[tuple[ManifestFacts, Located]]] = defaultdict(list)
    for fact in facts:
        located = pick(fact)
        if located is not None:
            groups[located.value.casefold()].append((fact, located))
    issues = []
    path = json_path(NAME_PATH if key == "name" else DISPLAY_NAME_PATH)
    for group in groups.values():
        if len(group) < 2:
            continue
        for fact, located in group:
            others = ", ".join(
                sorted(f"{other.file}:{where.line}" for other, where in group if other is not fact)
            )
            issues.append(
                Issue(
                    fact.file,
                    located.line,
                    located.column,
                    path,
                    f"{path[2:]}: {label} {shown(located.value)} is also used by {others}",
                    f"each tenant needs its own {label}",
                )
            )
    return issues


def _text_at(loaded: LoadedYaml, path: tuple[str, ...]) -> Located | None:
    value = _mapping_get(loaded.document, *path)
    if not isinstance(value, str):
        return None
    line, column = loaded.locate(path)
    return Located(value, line, column)


def _mapping_get(document: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document
