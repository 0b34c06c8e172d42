"""The schema's `default` keywords never make a manifest invalid by themselves.

Editors (yaml-language-server) insert a property's `default` when asked, and readers take
it as what an absent key means. So every valid manifest, with every absent key that has a
schema default filled in with it, must still validate clean. `versioning` once defaulted
to true, which GCS refuses beside a retention policy (gcp_rules.py): a manifest with only
`retentionDays` then became invalid once its default was written out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.manifests.loader import load_yaml_file
from reconciler.manifests.validate import validate_tree
from tests.repo import MANIFEST_FIXTURES, REPO

SCHEMA = json.loads((REPO / "schema" / "tenant.schema.json").read_text())
MANIFESTS = sorted((MANIFEST_FIXTURES / "valid").glob("*.yaml")) + sorted(
    (REPO / "tenants").glob("*.yaml")
)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node and node["$ref"].startswith("#/$defs/"):
        node = {**SCHEMA["$defs"][node["$ref"].removeprefix("#/$defs/")], **node}
        node.pop("$ref")
    return node


def _with_defaults(value: Any, node: dict[str, Any]) -> Any:
    """`value` with every absent property that has a schema default set to it."""
    node = _resolve(node)
    if isinstance(value, dict) and "properties" in node:
        filled = dict(value)
        for key, child in node["properties"].items():
            if not isinstance(child, dict):
                continue
            child = _resolve(child)
            if key not in filled and "default" in child:
                filled[key] = child["default"]
            if key in filled:
                filled[key] = _with_defaults(filled[key], child)
        return filled
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [_with_defaults(item, node["items"]) for item in value]
    return value


def _every_default_of_the_storage_block() -> dict[str, Any]:
    storage = _resolve({"$ref": "#/$defs/storage"})["properties"]
    return {k: v["default"] for k, v in storage.items() if "default" in _resolve(v)}


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_filling_in_the_schema_defaults_keeps_a_manifest_valid(
    manifest: Path, tmp_path: Path
) -> None:
    # The gate's own YAML 1.2 reading (yaml-styles.yaml has `yes` as text, `0x1F` as 31).
    document = load_yaml_file(manifest, manifest.name).document
    assert validate_tree(_repository(tmp_path, manifest.name, document)).ok
    filled = _with_defaults(document, SCHEMA)
    result = validate_tree(_repository(tmp_path / "filled", manifest.name, filled))
    assert [f"{i.path}: {i.message}" for i in result.errors] == []


def test_a_retention_policy_with_the_defaults_written_out_is_valid(tmp_path: Path) -> None:
    """The case that failed: retentionDays alone, every storage default written out."""
    minimal = MANIFEST_FIXTURES / "valid" / "minimal.yaml"
    document = load_yaml_file(minimal, minimal.name).document
    document["spec"]["storage"] = {
        **_every_default_of_the_storage_block(),
        **document["spec"].get("storage", {}),
        "retentionDays": 30,
    }
    result = validate_tree(_repository(tmp_path, "minimal.yaml", document))
    assert [f"{i.path}: {i.message}" for i in result.errors] == []


def _repository(root: Path, file_name: str, document: Any) -> Path:
    (root / "tenants").mkdir(parents=True)
    for name in ("platform.yaml",):
        (root / name).write_text((REPO / name).read_text())
    (root / "tenants" / file_name).write_text(yaml.safe_dump(document, sort_keys=False))
    return root
