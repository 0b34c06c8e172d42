"""The stack record's secret versions: round trip, tolerant decoding, the tag's size bound."""

from __future__ import annotations

import pytest

from reconciler.engine.backend.records import (
    MAX_TAG_VALUE,
    StackRecord,
    decode_record,
    versions_from_outputs,
)

LONGEST = dict(
    fingerprint="f" * 64,
    result="succeeded",
    protected=False,
    shape="e" * 32,
    program="0123456789ab",
)
"""A record as long as the other fields get: a 64-hex fingerprint, 32-hex shape, a program."""


def test_secret_versions_round_trip():
    record = StackRecord(**LONGEST, display_name="Acme", secret_versions=(("google.com", "7"),))
    assert decode_record(record.encode()) == record
    assert '"secretVersions":"google.com=7"' in record.encode()


def test_a_record_without_versions_is_encoded_as_before():
    record = StackRecord(**LONGEST)
    assert "secretVersions" not in record.encode()
    assert decode_record(record.encode()).secret_versions == ()


def test_the_program_version_round_trips_and_digests_are_kept_compact():
    record = StackRecord(**LONGEST)
    text = record.encode()
    assert '"program":"0123456789ab"' in text
    assert "f" * 64 not in text and "e" * 32 not in text  # base64url, not hex
    assert decode_record(text) == record


def test_a_record_written_before_the_program_version_still_reads():
    text = '{"fingerprint":"' + "a" * 64 + '","result":"succeeded","shape":"' + "b" * 32 + '"}'
    record = decode_record(text)
    assert (record.fingerprint, record.shape, record.program) == ("a" * 64, "b" * 32, None)


def test_a_long_program_version_is_cut_to_its_short_form():
    record = StackRecord("f" * 64, "succeeded", True, program="c" * 64)
    assert decode_record(record.encode()).program == "c" * 12


def test_two_idps_fit_beside_the_longest_display_name():
    pairs = (("google.com", "1234"), ("microsoft.com", "56"))
    record = StackRecord(**LONGEST, display_name="D" * 20, secret_versions=pairs)
    assert len(record.encode()) <= MAX_TAG_VALUE
    assert decode_record(record.encode()).secret_versions == pairs


def test_versions_that_do_not_fit_become_a_marker_never_an_oversized_tag():
    pairs = tuple((f"oidc.provider-{i}", str(100 + i)) for i in range(6))
    record = StackRecord(**LONGEST, display_name="D" * 20, secret_versions=pairs)
    assert len(record.encode()) <= MAX_TAG_VALUE
    decoded = decode_record(record.encode())
    assert (decoded.secret_versions, decoded.versions_unrecorded) == ((), True)
    assert decoded.fingerprint == record.fingerprint


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"google.com=7,microsoft.com=12"', (("google.com", "7"), ("microsoft.com", "12"))),
        ('"google.com=7,broken,=3,x=latest,y="', (("google.com", "7"),)),
        ('{"google.com":"7"}', ()),
        ("12", ()),
        ('""', ()),
        ('"unrecorded"', ()),
    ],
    ids=["good", "some-bad-pairs", "object", "number", "empty", "marker"],
)
def test_unreadable_versions_decode_as_none_recorded(value: str, expected):
    head = '{"fingerprint":"f","result":"succeeded","secretVersions":'
    record = decode_record(head + value + "}")
    assert record.secret_versions == expected
    assert record.fingerprint == "f"  # the rest of the record is still read


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        ({"secretVersions": {"google.com": "7"}}, (("google.com", "7"),)),
        ({"secretVersions": {}}, ()),
        ({}, ()),
        ({"secretVersions": "[secret]"}, None),
        ({"secretVersions": {"google.com": "latest"}}, None),
    ],
    ids=["read", "none-read", "no-output", "masked", "not-a-version"],
)
def test_versions_from_the_up_outputs(outputs, expected):
    assert versions_from_outputs(outputs) == expected
