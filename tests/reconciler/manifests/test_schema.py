"""The schemas themselves, and the gate (jsonschema-rs) that must agree with `jsonschema`."""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reconciler.manifests.keywords import ecma_regex, json_equal
from reconciler.manifests.loader import load_yaml_file
from reconciler.manifests.schema import SCHEMA_DIR, checker
from tests.repo import MANIFEST_FIXTURES, REPO

FIXTURES = MANIFEST_FIXTURES
SCHEMAS = ("tenant", "platform")
# Objects that are maps (labels) or whose keys depend on a discriminator (identity
# providers: each `then` branch is closed) cannot say additionalProperties: false.
OPEN_OBJECTS = {"/properties/metadata/properties/labels", "/$defs/identityProvider"}
# Cross-field rules of auth.mfa and auth.recaptcha: their `then` only tightens keys the
# closed object declares.
OPEN_OBJECTS |= {"/$defs/mfa/allOf/0/then", "/$defs/mfa/allOf/1/then"}
OPEN_OBJECTS |= {"/$defs/recaptcha/allOf/0/then"}


def _schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())


def _subschemas(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            if key not in ("x-errors", "examples", "default", "enum", "const"):
                yield from _subschemas(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _subschemas(value, f"{pointer}/{index}")


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_valid_2020_12_with_an_id(name: str) -> None:
    schema = _schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{name}.schema.json")


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_object_is_closed(name: str) -> None:
    for pointer, sub in _subschemas(_schema(name)):
        # `if` conditions only test values; they never define an object's keys.
        if "properties" in sub and pointer not in OPEN_OBJECTS and "/if" not in pointer:
            assert sub.get("additionalProperties") is False, pointer


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_property_has_a_description_or_a_reference(name: str) -> None:
    for pointer, sub in _subschemas(_schema(name)):
        if "/if" in pointer:
            continue
        for key, prop in sub.get("properties", {}).items():
            if prop is True:  # `id: true` in the IdP branches: described once, above
                continue
            described = "description" in prop or "$ref" in prop
            assert described, f"{pointer}/properties/{key}"


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_pattern_and_combinator_has_a_human_message(name: str) -> None:
    for pointer, sub in _subschemas(_schema(name)):
        # Patterns inside a condition or a combinator speak through their parent's message.
        inside = ("/if/", "/not", "/anyOf/", "/oneOf/")
        if "pattern" in sub and not any(part in pointer + "/" for part in inside):
            assert "patternErrorMessage" in sub, pointer
            assert "pattern" in sub.get("x-errors", {}), pointer
        for keyword in ("anyOf", "oneOf", "not"):
            if keyword in sub and not pointer.endswith("/if"):
                assert keyword in sub.get("x-errors", {}), f"{pointer}/{keyword}"


@pytest.mark.parametrize("name", SCHEMAS)
def test_patterns_use_only_syntax_editors_share(name: str) -> None:
    # Editors use ECMAScript regexes, we use Python's: stay in the common subset.
    for pointer, sub in _subschemas(_schema(name)):
        if "pattern" in sub:
            pattern = sub["pattern"]
            re.compile(pattern)
            assert not re.search(r"\(\?P|\(\?<[=!]|\\[AZz]|\(\?[aiLmsux]", pattern), pointer


@pytest.mark.parametrize("name", SCHEMAS)
def test_defaults_and_examples_are_valid(name: str) -> None:
    root = _schema(name)
    for pointer, sub in _subschemas(root):
        samples = [sub["default"]] if "default" in sub else []
        samples += sub.get("examples", [])
        for sample in samples:
            validator = Draft202012Validator({**sub, "$defs": root.get("$defs", {})})
            assert validator.is_valid(sample), (pointer, sample)


def test_the_schema_knows_the_documented_default_idps() -> None:
    documented = {
        "apple.com",
        "facebook.com",
        "gc.apple.com",
        "github.com",
        "google.com",
        "linkedin.com",
        "microsoft.com",
        "playgames.google.com",
        "twitter.com",
        "yahoo.com",
    }
    assert set(_schema("tenant")["$defs"]["defaultIdpId"]["enum"]) == documented


def test_check_jsonschema_agrees_on_the_examples() -> None:
    # The same schema file drives editors and check-jsonschema; the examples must pass both.
    import subprocess

    command = [
        str(REPO / ".venv" / "bin" / "check-jsonschema"),
        "--schemafile",
        str(SCHEMA_DIR / "tenant.schema.json"),
        *map(str, sorted((REPO / "tenants").glob("*.yaml"))),
        *map(str, sorted((FIXTURES / "valid").glob("*.yaml"))),
    ]
    subprocess.run(command, check=True, capture_output=True)


# --- the gate -----------------------------------------------------------------------


def test_a_value_json_has_no_type_for_is_left_to_jsonschema() -> None:
    import datetime

    assert checker("tenant").gate({"kind": datetime.date(2026, 1, 1)}) is False


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (1, 1.0, True),
        (True, 1, False),
        (0, False, False),
        ([1, True], [1, True], True),
        ({"a": 1}, {"a": 1.0}, True),
        ({"a": 1}, {"a": True}, False),
        ("1", 1, False),
        (None, None, True),
        ([1], [1, 2], False),
    ],
)
def test_json_equality(left: Any, right: Any, equal: bool) -> None:
    assert json_equal(left, right) is equal


def _documents() -> tuple[list[Any], list[Any]]:
    """The valid and the invalid documents of the fixtures."""
    valid_paths = sorted((FIXTURES / "valid").glob("*.yaml")) + sorted(
        (REPO / "tenants").glob("*.yaml")
    )
    invalid_paths = sorted((FIXTURES / "invalid").glob("*.yaml"))
    valid = [load_yaml_file(path, path.name).document for path in valid_paths]
    invalid = [load_yaml_file(path, path.name).document for path in invalid_paths]
    return valid, [document for document in invalid if isinstance(document, dict)]


_ODD_VALUES = [
    None,
    True,
    False,
    0,
    1,
    1.0,
    1.5,
    -1,
    36501,
    "",
    "x",
    "UPPER",
    "a-b",
    "oidc.x",
    "saml.y",
    "google.com",
    "code",
    "allUsers",
    "user:a@b.co",
    "https://x.example.com",
    [],
    ["x"],
    {},
    {"fromEnv": "X"},
    {"fromSecretManager": {"secret": "s"}},
    "mlaas.dev/v1",
    "Tenant",
]


def _mutate(document: Any, rng: random.Random) -> Any:
    """A random small change: replace, delete or add one value somewhere."""
    mutated = copy.deepcopy(document)
    containers = []

    def walk(node: Any) -> None:
        if isinstance(node, (dict, list)):
            containers.append(node)
            for child in node.values() if isinstance(node, dict) else node:
                walk(child)

    walk(mutated)
    target = rng.choice(containers)
    keys = list(target) if isinstance(target, dict) else list(range(len(target)))
    action = rng.random()
    if keys and action < 0.6:
        target[rng.choice(keys)] = copy.deepcopy(rng.choice(_ODD_VALUES))
    elif keys and action < 0.8:
        key = rng.choice(keys)
        del target[key]
    elif isinstance(target, dict):
        target[rng.choice(["extra", "id", "clientSecret", "responseType", "enabled"])] = (
            copy.deepcopy(rng.choice(_ODD_VALUES))
        )
    else:
        target.append(copy.deepcopy(rng.choice(_ODD_VALUES)))
    return mutated


def test_the_gate_agrees_with_jsonschema_on_mutated_manifests() -> None:
    tenant = checker("tenant")
    # The reference is jsonschema's validator with our two keyword overrides (ECMAScript
    # `$`, linear uniqueItems); those are tested on their own below.
    reference = tenant.validator
    rng = random.Random(7)
    valid, invalid = _documents()
    verdicts = {True: 0, False: 0}
    for _ in range(2500):
        base = rng.choice(valid if rng.random() < 0.7 else invalid)
        document = _mutate(base, rng) if rng.random() < 0.9 else base
        expected = reference.is_valid(document)
        assert tenant.gate(document) is expected, json.dumps(document)[:2000]
        verdicts[expected] += 1
    # Both answers must be exercised, or the comparison proves nothing.
    assert min(verdicts.values()) > 200, verdicts


def test_every_schema_error_becomes_a_one_line_issue_at_a_position() -> None:
    import yaml

    from reconciler.manifests.loader import load_yaml_text

    tenant = checker("tenant")
    rng = random.Random(11)
    valid, invalid = _documents()
    explained = 0
    for _ in range(400):
        document = _mutate(rng.choice(valid + invalid), rng)
        loaded = load_yaml_text(yaml.safe_dump(document), "tenants/x.yaml")
        issues = tenant.check(loaded)
        assert bool(issues) is not tenant.gate(loaded.document)
        for issue in issues:
            assert issue.line >= 1 and issue.column >= 1, issue
            assert issue.message and "\n" not in issue.message, issue
            assert "\n" not in (issue.hint or ""), issue
        explained += len(issues)
    assert explained > 300


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_pattern_is_bounded_by_a_max_length(name: str) -> None:
    # jsonschema runs every keyword; a pattern on an unbounded string is a slow-regex risk.
    for pointer, sub in _subschemas(_schema(name)):
        inside = ("/if/", "/anyOf/", "/else")
        if "pattern" in sub and not any(part in pointer + "/" for part in inside):
            assert "maxLength" in sub, pointer


def _patterns() -> list[tuple[str, str, int]]:
    found = []
    for name in SCHEMAS:
        for pointer, sub in _subschemas(_schema(name)):
            if "pattern" in sub:
                found.append((f"{name}{pointer}", sub["pattern"], sub.get("maxLength", 320)))
    return found


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("where", "pattern", "limit"), _patterns(), ids=lambda x: str(x)[:40])
def test_no_pattern_takes_quadratic_time(where: str, pattern: str, limit: int) -> None:
    regex = ecma_regex(pattern)
    attacks = [
        "\n" * limit,
        "a" * limit + "!",
        "a@" + "b." * (limit // 2) + "@",
        "https://" + "a" * limit + " ",
        "-----BEGIN CERTIFICATE-----\n" + "A \n" * limit,
        "user:" + "a" * limit,
        "domain:" + "a." * (limit // 2),
    ]
    for attack in attacks:
        regex.search(attack * 4)  # past the limit too: the gate checks lengths first


@pytest.mark.parametrize(
    ("value", "valid"),
    [("acme", True), ("acme\n", False), ("acme\nx", False), ("\nacme", False)],
)
def test_a_final_dollar_means_the_end_of_the_text(value: str, valid: bool) -> None:
    schema = {"type": "string", "pattern": "^[a-z]+$"}
    assert (ecma_regex(schema["pattern"]).search(value) is not None) is valid
    import jsonschema_rs

    assert jsonschema_rs.validator_for(schema).is_valid(value) is valid
