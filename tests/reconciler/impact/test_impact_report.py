"""The impact document (read as untrusted data) and what people see of it: the fleet line,
the groups, the comment's and the job summary's sections."""

from __future__ import annotations

import json

import pytest

from reconciler.impact.diff import (
    CHANGED,
    CREATE,
    FAILED,
    REPLACE,
    UNCHANGED,
    UPDATE,
    FieldChange,
    ResourceChange,
    TenantImpact,
)
from reconciler.impact.document import Impact, ImpactFormatError
from reconciler.impact.summary import (
    COMMENT_BUDGET,
    MARKER,
    fleet_line,
    groups,
    render_full,
    render_markdown,
    render_text,
)

BUCKET = "gcp:storage/bucket:Bucket"
GRANT = "gcp:storage/bucketIAMMember:BucketIAMMember"


def labels(name: str) -> TenantImpact:
    detail = FieldChange("labels.env", "dev", "prod")
    change = ResourceChange(UPDATE, BUCKET, f"{name}-data", ("labels",), details=(detail,))
    return TenantImpact(name, CHANGED, (change,))


def moved(name: str) -> TenantImpact:
    change = ResourceChange(REPLACE, BUCKET, f"{name}-data", ("location",), (), ("location",))
    return TenantImpact(name, CHANGED, (change,))


def impact(*tenants: TenantImpact, **fields: object) -> Impact:
    return Impact("base123", "head456", True, tenants, **fields)  # type: ignore[arg-type]


def fleet(changed: int, unchanged: int) -> Impact:
    names = [f"t{i:04d}" for i in range(changed + unchanged)]
    return impact(
        *(labels(n) for n in names[:changed]),
        *(TenantImpact(n, UNCHANGED) for n in names[changed:]),
    )


def test_the_fleet_line_of_a_label_change():
    assert fleet_line(fleet(812, 188)) == (
        "updates 812 of 1,000 tenants: bucket labels; replaces nothing"
    )


def test_the_fleet_line_names_what_is_replaced_and_that_data_is_lost():
    line = fleet_line(impact(moved("aaa"), moved("bbb"), labels("ccc")))
    assert line == (
        "updates 3 of 3 tenants: bucket labels; replaces the bucket (location) of 2 tenants; "
        "⚠️ loses users or data on 2 tenants"
    )


def test_the_fleet_line_of_no_change_and_of_no_code_change():
    assert fleet_line(fleet(0, 2)) == "changes nothing on 2 tenants"
    assert "no change to the program" in fleet_line(Impact("a", "b", False))


def test_the_fleet_line_counts_tenants_whose_program_fails():
    failed = TenantImpact("zzz", FAILED, error="the head code: ValueError: x")
    assert fleet_line(impact(labels("aaa"), failed)).endswith("the program fails for 1 tenant")


def test_groups_put_identical_changes_together_largest_first():
    found = groups([labels("aaa"), moved("bbb"), labels("ccc"), TenantImpact("ddd", UNCHANGED)])
    assert [(example.tenant, members) for example, members in found] == [
        ("aaa", ["aaa", "ccc"]),
        ("bbb", ["bbb"]),
    ]


def test_the_comment_starts_with_its_marker_says_it_is_no_control_and_shows_five_tenants():
    text = render_markdown(fleet(40, 0))
    assert text.startswith(MARKER)
    assert "**not a control**" in text and "misreport itself" in text
    assert text.count("<details>") == 5
    assert "The other 35 changed tenant(s) are in the job summary" in text


def test_the_job_summary_has_every_changed_tenant():
    assert render_full(fleet(40, 10)).count("<details>") == 40


def test_the_comment_stays_within_its_budget_for_a_thousand_tenants():
    big = impact(
        *(labels(f"t{i:04d}") for i in range(1000)), *(moved(f"m{i:04d}") for i in range(1000))
    )
    assert len(render_markdown(big)) <= COMMENT_BUDGET


def test_values_from_the_document_are_escaped():
    hostile = FieldChange("labels.x", "a", "<img src=x>`@team|")
    change = ResourceChange(
        UPDATE, BUCKET, "a-data</code><script>", ("labels",), details=(hostile,)
    )
    text = render_markdown(impact(TenantImpact("aaa", CHANGED, (change,))))
    assert "<img" not in text and "<script>" not in text and "@team" not in text


def test_a_secret_is_said_changed_without_a_value():
    secret = FieldChange("clientSecret", None, None, secret=True)
    change = ResourceChange(UPDATE, BUCKET, "a", ("clientSecret",), details=(secret,))
    text = render_markdown(impact(TenantImpact("aaa", CHANGED, (change,))))
    assert "<code>clientSecret</code>: changed (secret)" in text


def test_the_text_form_lists_groups():
    assert render_text(fleet(2, 1)).splitlines() == [
        "updates 2 of 3 tenants: bucket labels; replaces nothing",
        "       2  bucket labels: t0000, t0001",
    ]


def test_the_document_round_trips():
    created = ResourceChange(CREATE, GRANT, "aa-grant")
    original = impact(labels("aaa"), moved("bbb"), TenantImpact("ccc", CHANGED, (created,)))
    again = Impact.read(json.dumps(original.to_json()))
    assert again == original


def valid() -> dict:
    return impact(labels("aaa")).to_json()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schemaVersion=2), "not an impact document"),
        (lambda d: d.update(kind="report"), "not an impact document"),
        (lambda d: d["tenants"][0].update(tenant="../etc"), "is not a tenant name"),
        (lambda d: d["tenants"][0].update(state="exploded"), "unknown state"),
        (lambda d: d["tenants"].append(dict(d["tenants"][0])), "listed twice"),
        (lambda d: d["tenants"][0]["changes"][0].update(op="rm -rf"), "unknown operation"),
        (lambda d: d["tenants"][0]["changes"][0].update(type=7), "must be a string"),
        (lambda d: d["tenants"][0]["changes"][0].update(more=-1), "small whole number"),
        (lambda d: d.update(codeChanged="yes"), "true or false"),
        (lambda d: d.update(tenants={"aaa": {}}), "must be a list"),
    ],
)
def test_a_malformed_document_is_refused_with_the_reason(mutate, message):
    body = valid()
    mutate(body)
    with pytest.raises(ImpactFormatError, match=message):
        Impact.read(json.dumps(body))


def test_long_strings_are_cut_and_secret_values_dropped_on_reading():
    body = valid()
    detail = body["tenants"][0]["changes"][0]["details"][0]
    detail.update(after="x" * 10_000)
    body["tenants"][0]["changes"][0]["details"].append(
        {"path": "clientSecret", "before": "old", "after": "leaked", "secret": True}
    )
    read = Impact.read(json.dumps(body))
    first, secret = read.tenants[0].changes[0].details
    assert len(first.after) == 300
    assert (secret.before, secret.after) == (None, None)


def test_a_document_that_is_not_json_or_too_big_is_refused():
    with pytest.raises(ImpactFormatError, match="not JSON"):
        Impact.read("{")
    with pytest.raises(ImpactFormatError, match="larger than"):
        Impact.read(b" " * (32 * 1024 * 1024 + 1))
