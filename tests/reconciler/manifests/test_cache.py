"""The validation cache never hides an error: each way a cached answer could go stale."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from reconciler.manifests import validate as validate_module
from reconciler.manifests.cache import CheckCache, compute_version, digest
from reconciler.manifests.loader import MAX_FILE_BYTES
from reconciler.manifests.rules import ManifestFacts
from reconciler.manifests.validate import validate_tree
from tests.repo import MANIFEST_FIXTURES

MINIMAL = (MANIFEST_FIXTURES / "valid" / "minimal.yaml").read_text()
INVALID_FILES = sorted((MANIFEST_FIXTURES / "invalid").glob("*.yaml"))


def _manifest(name: str, display: str | None = None) -> str:
    return MINIMAL.replace("name: minimal", f"name: {name}").replace(
        "Minimal", display or name.capitalize()
    )


def _root(tmp_path: Path, **manifests: str) -> Path:
    root = tmp_path / "repo"
    (root / "tenants").mkdir(parents=True)
    for name, text in manifests.items():
        (root / "tenants" / f"{name}.yaml").write_text(text)
    return root


def _issues(result) -> list[tuple[str, int, int, str]]:
    return [(i.file, i.line, i.column, i.message) for i in result.issues]


def test_a_warm_run_finds_what_a_cold_run_found_for_every_invalid_fixture(tmp_path: Path):
    root = _root(tmp_path)
    for fixture in INVALID_FILES:
        shutil.copy(fixture, root / "tenants" / fixture.name)
    cache_dir = tmp_path / "cache"
    uncached = validate_tree(root)
    cold = validate_tree(root, cache=CheckCache(cache_dir))
    warm = validate_tree(root, cache=CheckCache(cache_dir))
    assert _issues(uncached) != []
    assert _issues(cold) == _issues(uncached)
    assert _issues(warm) == _issues(uncached)


def test_a_cached_file_whose_content_changes_is_checked_again(tmp_path: Path):
    root = _root(tmp_path, alpha=_manifest("alpha"))
    cache_dir = tmp_path / "cache"
    assert validate_tree(root, cache=CheckCache(cache_dir)).ok
    path = root / "tenants" / "alpha.yaml"
    path.write_text(path.read_text().replace("owner: owner@example.com", "owner: 42"))
    result = validate_tree(root, cache=CheckCache(cache_dir))
    assert [(i.file, i.path) for i in result.issues] == [("tenants/alpha.yaml", "$.metadata.owner")]


def _poisoned(cache_dir: Path, root: Path, version: str) -> None:
    """A cache of `version` that says the (invalid) alpha.yaml has no issue."""
    path = root / "tenants" / "alpha.yaml"
    cache = CheckCache(cache_dir, version)
    cache.put("tenants/alpha.yaml", digest(path.read_bytes()), (), ManifestFacts("x", None, None))
    cache.save()
    assert cache.get("tenants/alpha.yaml", digest(path.read_bytes())) == (
        (),
        ManifestFacts("tenants/alpha.yaml", None, None),
    )


def test_a_result_of_another_schema_or_validator_version_is_never_used(tmp_path: Path):
    root = _root(tmp_path, alpha=_manifest("alpha").replace("kind: Tenant", "kind: Tenants"))
    cache_dir = tmp_path / "cache"
    _poisoned(cache_dir, root, "an-older-version")
    assert validate_tree(root, cache=CheckCache(cache_dir, "an-older-version")).ok  # the poison
    result = validate_tree(root, cache=CheckCache(cache_dir, "this-version"))
    assert [i.path for i in result.issues] == ["$.kind"]
    assert [p.name for p in cache_dir.glob("validate-*")] == ["validate-this-version.json"]


@pytest.mark.parametrize("changed", ["schema", "validator"])
def test_the_version_changes_with_any_schema_or_validator_file(tmp_path: Path, changed: str):
    schema_dir, package_dir = tmp_path / "schema", tmp_path / "package"
    schema_dir.mkdir()
    package_dir.mkdir()
    (schema_dir / "tenant.schema.json").write_text('{"type": "object"}')
    (package_dir / "rules.py").write_text("RULES = 1\n")
    before = compute_version(schema_dir, package_dir)
    assert compute_version(schema_dir, package_dir) == before
    if changed == "schema":
        (schema_dir / "tenant.schema.json").write_text('{"type": "array"}')
    else:
        (package_dir / "rules.py").write_text("RULES = 2\n")
    assert compute_version(schema_dir, package_dir) != before


def test_a_cross_file_conflict_between_a_cached_and_a_changed_file_is_reported(tmp_path: Path):
    root = _root(tmp_path, alpha=_manifest("alpha", "Same"), beta=_manifest("beta", "Other"))
    cache_dir = tmp_path / "cache"
    assert validate_tree(root, cache=CheckCache(cache_dir)).ok
    (root / "tenants" / "beta.yaml").write_text(_manifest("beta", "Same"))
    result = validate_tree(root, cache=CheckCache(cache_dir))
    assert sorted((i.file, i.path) for i in result.issues) == [
        ("tenants/alpha.yaml", "$.spec.displayName"),
        ("tenants/beta.yaml", "$.spec.displayName"),
    ]
    # ...and only the changed file, as `--changed-since` asks: still reported.
    only_beta = validate_tree(root, [root / "tenants" / "beta.yaml"], CheckCache(cache_dir))
    assert [(i.file, i.path) for i in only_beta.issues] == [
        ("tenants/beta.yaml", "$.spec.displayName")
    ]


def test_a_new_tenant_whose_name_takes_a_cached_tenants_secret_is_reported(tmp_path: Path):
    # acme reads ACME_EU_...; fine until a tenant named acme-eu arrives, whose namespace it
    # is. acme.yaml comes from the cache, and the pull request changes acme-eu.yaml only.
    secret = "  identityProviders:\n    - id: google.com\n      clientId: 1-a.apps.x\n"
    secret += "      clientSecret:\n        fromEnv: ACME_EU_GOOGLE_CLIENT_SECRET\n"
    root = _root(tmp_path, acme=_manifest("acme") + secret)
    cache_dir = tmp_path / "cache"
    assert validate_tree(root, cache=CheckCache(cache_dir)).ok
    (root / "tenants" / "acme-eu.yaml").write_text(_manifest("acme-eu", "Acme-Europe"))
    result = validate_tree(root, cache=CheckCache(cache_dir))
    assert sorted((i.file, i.path) for i in result.issues) == [
        ("tenants/acme-eu.yaml", "$.metadata.name"),
        ("tenants/acme.yaml", "$.spec.identityProviders[0].clientSecret.fromEnv"),
    ]
    only_new = validate_tree(root, [root / "tenants" / "acme-eu.yaml"], CheckCache(cache_dir))
    assert [(i.file, i.path) for i in only_new.issues] == [
        ("tenants/acme-eu.yaml", "$.metadata.name")
    ]


def _entries(cache_dir: Path) -> dict:
    (path,) = cache_dir.glob("validate-*.json")
    return json.loads(path.read_text())["entries"]


def test_a_file_that_could_not_be_read_is_never_cached(tmp_path: Path, monkeypatch):
    root = _root(tmp_path, alpha=_manifest("alpha"), beta=_manifest("beta"))
    unreadable = str(root / "tenants" / "beta.yaml")
    real_os_open, real_path_open = os.open, Path.open

    def refuse(path) -> None:
        if os.fspath(path) == unreadable:
            raise PermissionError(13, "Permission denied")

    def os_open(path, *args, **kwargs):
        refuse(path)
        return real_os_open(path, *args, **kwargs)

    def path_open(self, *args, **kwargs):
        refuse(self)
        return real_path_open(self, *args, **kwargs)

    # Both ways a manifest is read: the cache's digest read and the loader's.
    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(Path, "open", path_open)
    cache_dir = tmp_path / "cache"
    result = validate_tree(root, cache=CheckCache(cache_dir))
    monkeypatch.undo()
    assert [(i.file, i.message) for i in result.issues] == [
        ("tenants/beta.yaml", "cannot read the file: Permission denied")
    ]
    assert set(_entries(cache_dir)) == {"tenants/alpha.yaml"}
    # Readable again: checked, then cached.
    assert validate_tree(root, cache=CheckCache(cache_dir)).ok
    assert set(_entries(cache_dir)) == {"tenants/alpha.yaml", "tenants/beta.yaml"}


def test_a_file_too_large_to_read_is_reported_and_never_cached(tmp_path: Path):
    root = _root(tmp_path, alpha=_manifest("alpha"))
    (root / "tenants" / "big.yaml").write_text("# " + "x" * MAX_FILE_BYTES + "\n")
    cache_dir = tmp_path / "cache"
    result = validate_tree(root, cache=CheckCache(cache_dir))
    assert [i.file for i in result.issues] == ["tenants/big.yaml"]
    assert "too large" in result.issues[0].message
    assert set(_entries(cache_dir)) == {"tenants/alpha.yaml"}


def test_the_bytes_checked_are_the_bytes_hashed(tmp_path: Path, monkeypatch):
    """A file edited between the read and the check cannot leave a result under the wrong
    digest: the check uses the bytes that were read, never a second read."""
    root = _root(tmp_path, alpha=_manifest("alpha"))
    monkeypatch.setattr(validate_module, "load_yaml_file", None)  # a second read would fail
    assert validate_tree(root, cache=CheckCache(tmp_path / "cache")).ok


@pytest.mark.parametrize(
    "damage",
    ["not json", '{"version": 1}', '{"version": "v", "entries": {"tenants/alpha.yaml": [1]}}'],
)
def test_a_damaged_cache_reads_as_a_miss(tmp_path: Path, damage: str):
    root = _root(tmp_path, alpha=_manifest("alpha").replace("kind: Tenant", "kind: Tenants"))
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / "validate-v.json").write_text(damage)
    result = validate_tree(root, cache=CheckCache(cache_dir, "v"))
    assert [i.path for i in result.issues] == ["$.kind"]


def test_entries_of_removed_files_are_forgotten(tmp_path: Path):
    root = _root(tmp_path, alpha=_manifest("alpha"), beta=_manifest("beta"))
    cache_dir = tmp_path / "cache"
    validate_tree(root, cache=CheckCache(cache_dir))
    (root / "tenants" / "beta.yaml").unlink()
    validate_tree(root, cache=CheckCache(cache_dir))
    assert set(_entries(cache_dir)) == {"tenants/alpha.yaml"}


def test_an_unwritable_cache_folder_costs_time_not_correctness(tmp_path: Path):
    root = _root(tmp_path, alpha=_manifest("alpha"))
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be")
    assert validate_tree(root, cache=CheckCache(blocker)).ok


def test_the_cache_folder_ignores_itself_in_git(tmp_path: Path):
    root = _root(tmp_path, alpha=_manifest("alpha"))
    validate_tree(root, cache=CheckCache(tmp_path / "cache"))
    assert (tmp_path / "cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_warning_stays_a_warning_when_read_from_the_cache(tmp_path: Path):
    """A cached warning (a certificate expiring soon) must not come back as an error."""
    import datetime as dt

    from tests.reconciler.manifests.test_gcp_contract import _certificate, _saml_manifest

    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    root = _root(tmp_path, soon=_saml_manifest("soon", _certificate(expires)))
    cache_dir = tmp_path / "cache"
    cold = validate_tree(root, cache=CheckCache(cache_dir))
    warm = validate_tree(root, cache=CheckCache(cache_dir))
    assert [i.severity for i in cold.issues] == ["warning"]
    assert [(i.severity, i.message) for i in warm.issues] == [
        (i.severity, i.message) for i in cold.issues
    ]
    assert warm.ok


def test_the_version_changes_with_the_day(tmp_path: Path):
    """Certificate expiry depends on the clock: yesterday's answer is not today's."""
    schema_dir, package_dir = tmp_path / "schema", tmp_path / "package"
    schema_dir.mkdir()
    package_dir.mkdir()
    today = compute_version(schema_dir, package_dir, today="2026-11-30")
    assert compute_version(schema_dir, package_dir, today="2026-11-30") == today
    assert compute_version(schema_dir, package_dir, today="2026-12-01") != today
