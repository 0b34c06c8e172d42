"""Report rendering: text, JSON round trip, Markdown for pull-request comments."""

from __future__ import annotations

import json

import pytest

from reconciler import version
from reconciler.report.renderers import MARKER, render_json, render_markdown, render_text
from reconciler.report.results import Outcome, Report, ResourceStep, merge
from reconciler.report.status import Status

STEP = ResourceStep("update", "gcp:identityplatform/tenant:Tenant", "tenant-a", ("displayName",))


def report(*outcomes: Outcome, guard: str | None = None) -> Report:
    return Report("apply", outcomes, guard=guard, engine_operations=len(outcomes))


def test_json_round_trips():
    original = report(
        Outcome("a", "update", "succeeded", "changed", (STEP,), {"bucketName": "b"}, 1.5),
        Outcome("b", "unchanged", "unchanged", "up to date"),
    )
    assert Report.from_json(json.loads(render_json(original))) == original


def test_text_lists_steps_and_a_summary():
    text = render_text(report(Outcome("a", "update", "succeeded", "changed", (STEP,))))
    assert "a  update     succeeded  changed" in text
    assert "update" in text and "tenant-a (displayName)" in text
    assert text.rstrip().endswith(
        f"1 tenant(s): 1 succeeded; 1 engine operation(s); reconciler {version()}"
    )


def test_markdown_starts_with_the_sticky_marker_and_puts_failures_first():
    md = render_markdown(
        report(
            Outcome("a-ok", "update", "succeeded", "changed", (STEP,)),
            Outcome("z-bad", "create", "failed", "INVALID_DISPLAY_NAME"),
        )
    )
    assert md.splitlines()[0] == MARKER
    assert md.index("`z-bad` failed: INVALID_DISPLAY_NAME") < md.index("| Tenant |")
    rows = [line for line in md.splitlines() if line.startswith("| `")]
    assert rows[0].startswith("| `z-bad`")


def test_markdown_escapes_pipes_in_reasons():
    md = render_markdown(report(Outcome("a", "create", "failed", "bad | value")))
    assert "bad \\| value" in md


def test_markdown_shows_the_fleet_guard():
    md = render_markdown(report(guard="5 of 8 deployed tenants would be deleted"))
    assert "Fleet guard:** 5 of 8" in md


def test_markdown_gives_up_details_then_reason_length_then_rows():
    outcomes = tuple(
        Outcome(f"t{i:04}", "update", "succeeded", "x" * 200, (STEP,) * 20) for i in range(300)
    )
    big = report(*outcomes, Outcome("zz-failed", "update", "failed", "boom"))
    shortened = render_markdown(big, limit=30_000)
    assert len(shortened) <= 30_000 and "<details>" not in shortened
    assert "more tenant(s)" not in shortened and "x" * 200 not in shortened
    cut = render_markdown(big, limit=10_000)
    assert len(cut) <= 10_000
    assert "more tenant(s)" in cut
    assert "| `zz-failed` |" in cut  # the failed row is kept first


def test_merge_keeps_each_tenants_worst_line_and_sums_operations():
    a = Report("apply", (Outcome("x", "update", "succeeded", ""),), engine_operations=2)
    b = Report(
        "apply",
        (Outcome("x", "update", "failed", "boom"), Outcome("y", "create", "succeeded", "")),
        engine_operations=3,
    )
    merged = merge([a, b])
    assert [(o.tenant, o.status) for o in merged.outcomes] == [("x", "failed"), ("y", "succeeded")]
    assert merged.engine_operations == 5


@pytest.mark.parametrize(
    ("statuses", "guard", "code"),
    [
        ((), None, 0),
        (("succeeded", "unchanged", "planned", "in-sync"), None, 0),
        (("succeeded", "drifted"), None, 3),
        (("drifted", "blocked"), None, 4),
        (("blocked", "failed"), None, 5),
        (("cancelled", "in-sync"), None, 5),
        ((), "refused", 4),
        (("succeeded",), "refused", 4),
        (("failed",), "refused", 5),
    ],
)
def test_the_worst_status_decides_the_exit_code(statuses, guard, code):
    outcomes = tuple(Outcome(f"t{i}", "update", s, "") for i, s in enumerate(statuses))
    assert report(*outcomes, guard=guard).exit_code() == code


def test_statuses_rank_from_best_to_worst():
    assert [s.rank for s in Status] == sorted(s.rank for s in Status)
    assert Status.FAILED.rank > Status.CANCELLED.rank > Status.BLOCKED.rank
    assert Status.BLOCKED.rank > Status.DRIFTED.rank > Status.SUCCEEDED.rank
    assert {s.icon for s in Status} >= {"❌", "⛔", "🟠"}


def test_a_report_with_an_unknown_status_is_refused():
    with pytest.raises(ValueError):
        Report.from_json(
            {
                "command": "apply",
                "tenants": [{"tenant": "a", "action": "update", "status": "skipped"}],
            }
        )


FINGERPRINT = "3f" * 32  # 64 hex digits, as plan writes them into reasons
LONG_NAME = "tenant-one-admin-user:alice@tenant-one.example.com-roles/storage.objectAdmin-x"


def test_text_shortens_fingerprints_and_long_names_but_json_keeps_them_whole():
    long_step = ResourceStep("create", "gcp:storage/bucketIAMMember:BucketIAMMember", LONG_NAME)
    original = report(
        Outcome(
            "a",
            "update",
            "succeeded",
            f"manifest changed ({FINGERPRINT})",
            (long_step,),
            {"fingerprint": FINGERPRINT},
        )
    )
    text = render_text(original)
    assert FINGERPRINT not in text and f"({FINGERPRINT[:12]}…)" in text
    assert f'output fingerprint = "{FINGERPRINT[:12]}…"' in text
    assert LONG_NAME not in text
    shown = next(line for line in text.splitlines() if "BucketIAMMember" in line).split()[-1]
    assert len(shown) == 48 and shown.startswith("tenant-one-admin") and shown.endswith("Admin-x")
    whole = render_json(original)
    assert FINGERPRINT in whole and LONG_NAME in whole


def test_text_and_markdown_drop_terminal_escape_codes():
    original = report(Outcome("a", "create", "failed", "\x1b[31merror:\x1b[0m quota exceeded"))
    assert "\x1b" not in render_text(original) + render_markdown(original)
    assert "error: quota exceeded" in render_text(original)
