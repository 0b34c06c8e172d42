"""The safe YAML loader: what it refuses, where it points, and that nothing makes it raise."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from reconciler.manifests.loader import (
    MAX_FILE_BYTES,
    load_yaml_bytes,
    load_yaml_file,
    load_yaml_text,
)
from reconciler.manifests.validate import check_manifest
from reconciler.manifests.yaml_data import MAX_DEPTH
from tests.repo import MANIFEST_FIXTURES

FIXTURES = MANIFEST_FIXTURES


def _messages(text: str) -> list[tuple[int, int, str, str]]:
    return [(i.line, i.column, i.path, i.message) for i in load_yaml_text(text, "f.yaml").issues]


# --- plain data, read with YAML 1.2 core-schema scalars (as editors read it) ---------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a: true", True),
        ("a: FALSE", False),
        ("a: yes", "yes"),  # YAML 1.1 words are text in YAML 1.2 (the "Norway problem")
        ("a: off", "off"),
        ("a: 017", 17),  # decimal, not YAML 1.1 octal
        ("a: 0o17", 15),
        ("a: 0x1F", 31),
        ("a: -12", -12),
        ("a: 1_000", "1_000"),
        ("a: 1.5e3", 1500.0),
        ("a: .5", 0.5),
        ("a: ~", None),
        ("a: null", None),
        ("a:", None),
        ("a: 2024-01-31", "2024-01-31"),  # no timestamps: JSON has no date type
        ("a: !!str 123", "123"),  # explicit standard tags that give JSON types are fine
        ("a: !!int '12'", 12),
        ("a: '123'", "123"),
    ],
)
def test_scalars_follow_the_yaml_1_2_core_schema(text: str, value: object) -> None:
    loaded = load_yaml_text(text, "f.yaml")
    assert loaded.issues == ()
    assert loaded.document == {"a": value}
    assert type(loaded.document["a"]) is type(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!bool yes", "'yes' cannot be read as true or false"),
        ("a: !!int twelve", "'twelve' cannot be read as a whole number"),
        ("a: !!float x", "'x' cannot be read as a number"),
        ("a: 1" + "0" * 5000, "'1" + "0" * 39 + "' cannot be read as a whole number"),
        # JSON has no NaN or infinity: left in, they slip past `minimum`/`maximum`.
        ("a: -.inf", "'-.inf' is not a finite number"),
        ("a: .inf", "'.inf' is not a finite number"),
        ("a: .NaN", "'.NaN' is not a finite number"),
        ("a: !!float .nan", "'.nan' is not a finite number"),
    ],
)
def test_scalars_that_cannot_be_read_are_issues(text: str, message: str) -> None:
    assert _messages(text) == [(1, 4, "$.a", message)]


def test_keys_are_always_text() -> None:
    loaded = load_yaml_text("on: 1\n1: 2\nnull: 3\n", "f.yaml")
    assert loaded.document == {"on": 1, "1": 2, "null": 3}


def test_aliases_share_their_anchor_value() -> None:
    loaded = load_yaml_text("a: &x [1, 2]\nb: *x\n", "f.yaml")
    assert loaded.issues == ()
    assert loaded.document == {"a": [1, 2], "b": [1, 2]}


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    loaded = load_yaml_bytes("\ufeffa: é\n".encode(), "f.yaml")
    assert loaded.issues == ()
    assert loaded.document == {"a": "é"}


def test_document_markers_are_accepted() -> None:
    assert load_yaml_text("---\na: 1\n...\n", "f.yaml").document == {"a": 1}


# --- what it refuses, and where it points ---------------------------------------------


def test_duplicate_keys_point_at_the_second_one() -> None:
    assert _messages("a:\n  b: 1\n  c: 2\n  b: 3\n") == [
        (4, 3, "$.a.b", "duplicate key 'b' (first at line 2)"),
    ]


def test_a_second_document_points_at_its_start_marker() -> None:
    assert _messages("a: 1\n---\n") == [(2, 1, "$", "the file holds more than one YAML document")]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_refused(text: str) -> None:
    assert _messages(text) == [(1, 1, "$", "the file is empty")]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a: !!python/object:os.system x", "!!python/object:os.system"),
        ("a: !!python/name:os.system ''", "!!python/name:os.system"),
        ("a: !Ref x", "!Ref"),
        ("a: !<tag:example.com,2000:x> y", "tag:example.com,2000:x"),
        ("a: !!set {x}", "!!set"),
        ("a: !!timestamp 2024-01-31", "!!timestamp"),
        ("a: !!omap [x: 1]", "!!omap"),
        ("a: !!binary aGVsbG8=", "!!binary"),
        ("a: !local [1]", "!local"),
        ("a: !local {b: 1}", "!local"),
    ],
)
def test_tags_outside_the_json_core_are_refused(text: str, shown: str) -> None:
    assert _messages(text) == [
        (1, 4, "$.a", f"YAML tag '{shown}' is not allowed: manifests are plain data"),
    ]


def test_an_alias_bomb_is_refused_without_expanding_it() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    (issue,) = load_yaml_text("\n".join(lines), "f.yaml").issues
    # a0 is 11 values, a1 111, ..., a9 11111111111; with the root mapping: 12345679011.
    assert issue.message == "aliases expand the document to 12345679011 values (at most 100000)"
    assert (issue.line, issue.column) == (1, 5)  # the first anchor that is repeated


def test_a_recursive_alias_is_refused() -> None:
    assert _messages("a: &x\n  b: *x\n") == [
        (2, 3, "$.a.b", "recursive alias: a value contains itself")
    ]


def test_deep_nesting_is_refused() -> None:
    text = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    ((_, _, _, message),) = _messages(text)
    assert message == f"nesting is deeper than {MAX_DEPTH} levels"


def test_libyaml_nesting_limit_is_an_issue_not_a_crash() -> None:
    ((line, _, _, message),) = _messages("a: " + "[" * 100_000)
    assert line == 1 and message.startswith("YAML syntax error: exceeded maximum nesting depth")


def test_non_utf8_bytes_point_at_the_byte() -> None:
    issues = load_yaml_bytes(b"a: 1\nb: caf\xe9\n", "f.yaml").issues
    assert [(i.line, i.column, i.message) for i in issues] == [
        (2, 7, "the file is not UTF-8 (byte 0xe9)"),
    ]


def test_control_characters_point_at_the_character() -> None:
    assert _messages("a: 1\nb: é\x07\n") == [
        (2, 5, "$", "character not allowed in YAML (control characters are not allowed)"),
    ]


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    (issue,) = load_yaml_file(big, "big.yaml").issues
    assert (
        issue.message == f"file is too large ({MAX_FILE_BYTES + 4} bytes; at most {MAX_FILE_BYTES})"
    )


def test_non_text_keys_are_refused() -> None:
    assert _messages("? [a, b]\n: 1\n") == [
        (1, 3, "$", "a key must be plain text, not a list or a mapping"),
    ]


# --- positions ------------------------------------------------------------------------


def test_locate_points_at_values_and_keys() -> None:
    loaded = load_yaml_text("spec:\n  items:\n    - id: x\n    - id: y\n", "f.yaml")
    assert loaded.locate(["spec", "items", 1, "id"]) == (4, 11)
    assert loaded.locate(["spec", "items", 1, "id"], key=True) == (4, 7)
    assert loaded.locate(["spec", "items", 1]) == (4, 7)
    assert loaded.locate([]) == (1, 1)


def test_locate_stops_at_the_deepest_node_that_exists() -> None:
    loaded = load_yaml_text("spec:\n  items: []\n", "f.yaml")
    assert loaded.locate(["spec", "items", 3, "id"]) == (2, 10)
    assert loaded.locate(["spec", "missing"]) == (2, 3)


def test_locate_counts_columns_in_characters() -> None:
    loaded = load_yaml_text("ééé: x\n", "f.yaml")
    assert loaded.locate(["ééé"]) == (1, 6)


# --- no traceback, whatever the bytes -------------------------------------------------


def _assert_sane(path: Path) -> None:
    check = check_manifest(path, "tenants/fuzz.yaml")
    for issue in check.issues:
        assert issue.line >= 1 and issue.column >= 1, issue
        assert issue.message and "\n" not in issue.message, issue
        assert issue.path.startswith("$"), issue


def test_random_bytes_never_raise(tmp_path: Path) -> None:
    rng = random.Random(20260101)
    path = tmp_path / "fuzz.yaml"
    alphabet = b"abc:-[]{}&*!|>'\"#%@` \t\n\r\x00\xff\xfe\xc3\xa9\\,?012"
    for _ in range(400):
        size = rng.randrange(0, 200)
        if rng.random() < 0.5:
            data = bytes(rng.choice(alphabet) for _ in range(size))
        else:
            data = rng.randbytes(size)
        path.write_bytes(data)
        _assert_sane(path)


@pytest.mark.parametrize(
    "fixture", sorted((FIXTURES / "valid").glob("*.yaml")), ids=lambda p: p.stem
)
def test_truncated_and_mangled_manifests_never_raise(fixture: Path, tmp_path: Path) -> None:
    rng = random.Random(fixture.name)
    data = fixture.read_bytes()
    path = tmp_path / "fuzz.yaml"
    for cut in range(0, len(data), max(1, len(data) // 60)):
        path.write_bytes(data[:cut])
        _assert_sane(path)
    for _ in range(150):
        mangled = bytearray(data)
        for _ in range(rng.randrange(1, 6)):
            position = rng.randrange(len(mangled))
            mangled[position : position + 1] = bytes([rng.choice(b" -:\n[]{}'\"&*!#x9\t")])
        path.write_bytes(bytes(mangled))
        _assert_sane(path)


def test_messages_stay_on_one_line_whatever_the_key() -> None:
    assert _messages('"a\\nb": 1\n"a\\nb": 2\n') == [
        (2, 1, "$['a\\nb']", "duplicate key 'a\\nb' (first at line 1)"),
    ]
