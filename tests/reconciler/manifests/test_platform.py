"""platform.yaml loading: the file, its schema, and the RECONCILER_* overrides."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.manifests.platform import OVERRIDES, Platform, PlatformError, load_platform
from reconciler.manifests.rollout import Rollout, Wave
from tests.repo import REPO

GOOD = """\
apiVersion: mlaas.dev/v1
kind: Platform
target: gcp
gcp:
  project: acme-mlaas
  defaultLocation: EU
pulumi:
  project: mlaas-tenants
  backendUrl: gs://acme-pulumi-state
  secretsProvider: gcpkms://projects/acme/locations/global/keyRings/r/cryptoKeys/k
reconcile:
  defaultDeletionProtection: false
  maxDeleteFraction: 0.5
  parallelism: 8
"""


def _root(tmp_path: Path, text: str = GOOD) -> Path:
    (tmp_path / "platform.yaml").write_text(text)
    return tmp_path


def _issues(root: Path, environ: dict[str, str] | None = None) -> list[tuple[int, int, str, str]]:
    with pytest.raises(PlatformError) as raised:
        load_platform(root, environ or {})
    assert all(issue.file == "platform.yaml" for issue in raised.value.issues)
    return [(i.line, i.column, i.path, i.message) for i in raised.value.issues]


def test_the_repository_platform_file_loads() -> None:
    platform = load_platform(REPO, {})
    assert platform == Platform(
        root=REPO,
        target="sandbox",
        gcp_project="demo-mlaas",
        default_location="EU",
        pulumi_project="mlaas-tenants",
        backend_url="file://.state",
        secrets_provider="passphrase",
        default_deletion_protection=True,
        max_delete_fraction=0.25,
        parallelism=2,
        platform_reviewers=("@acme-ml/tenant-platform",),
        rollout=Rollout(
            waves=(
                Wave("canary", selector=(("ring", "canary"),)),
                Wave("early", share=0.5),
                Wave("rest", share=1.0, max_failures=1),
            )
        ),
    )


ROLLOUT = """\
rollout:
  waves:
    - name: canary
      selector: {ring: canary}
      soak: 1h30m
    - name: early
      share: 0.1
      maxFailures: 2
    - name: all
      share: 1
  verify:
    identity: false
    command: [scripts/check-sign-in, --fast]
    timeoutSeconds: 60
"""


def test_the_rollout_is_read(tmp_path: Path) -> None:
    rollout = load_platform(_root(tmp_path, GOOD + ROLLOUT), {}).rollout
    assert rollout == Rollout(
        waves=(
            Wave("canary", selector=(("ring", "canary"),), soak_seconds=5400),
            Wave("early", share=0.1, max_failures=2),
            Wave("all", share=1.0),
        ),
        verify_identity=False,
        verify_command=("scripts/check-sign-in", "--fast"),
        verify_timeout=60,
    )
    assert load_platform(_root(tmp_path, GOOD), {}).rollout is None


BAD_ROLLOUTS = {
    "same-name": (
        "rollout:\n  waves:\n    - name: a\n      share: 0.5\n    - name: a\n      share: 1\n",
        (5, 13, "$.rollout.waves[1].name", "wave name 'a' is used twice"),
    ),
    "share-shrinks": (
        "rollout:\n  waves:\n    - name: a\n      share: 0.5\n    - name: b\n      share: 0.2\n",
        (6, 14, "$.rollout.waves[1].share", "share 0.2 must be larger"),
    ),
    "selector-and-share": (
        "rollout:\n  waves:\n    - name: a\n      share: 0.5\n      selector: {x: y}\n",
        (3, 7, "$.rollout.waves[0]", "either by `selector` or by `share`"),
    ),
    "bad-soak": (
        "rollout:\n  waves:\n    - name: a\n      share: 1\n      soak: soon\n",
        (5, 13, "$.rollout.waves[0].soak", "'soon' is not a duration"),
    ),
}
"""Each a rollout appended to GOOD, and (line within it, column, path, message)."""


@pytest.mark.parametrize("case", sorted(BAD_ROLLOUTS))
def test_a_bad_rollout_is_reported_at_its_line(tmp_path: Path, case: str) -> None:
    text, (line, column, path, message) = BAD_ROLLOUTS[case]
    [found] = _issues(_root(tmp_path, GOOD + text))
    assert found[:3] == (GOOD.count("\n") + line, column, path)
    assert message in found[3]


def test_every_setting_is_read(tmp_path: Path) -> None:
    platform = load_platform(_root(tmp_path), {})
    assert platform == Platform(
        root=tmp_path,
        target="gcp",
        gcp_project="acme-mlaas",
        default_location="EU",
        pulumi_project="mlaas-tenants",
        backend_url="gs://acme-pulumi-state",
        secrets_provider="gcpkms://projects/acme/locations/global/keyRings/r/cryptoKeys/k",
        default_deletion_protection=False,
        max_delete_fraction=0.5,
        parallelism=8,
    )


def test_reconcile_settings_default_from_the_schema(tmp_path: Path) -> None:
    platform = load_platform(_root(tmp_path, GOOD.split("reconcile:")[0]), {})
    assert (
        platform.default_deletion_protection,
        platform.max_delete_fraction,
        platform.parallelism,
    ) == (True, 0.25, 2)


@pytest.mark.parametrize(
    ("variable", "text", "field", "value"),
    [
        ("RECONCILER_TARGET", "sandbox", "target", "sandbox"),
        ("RECONCILER_GCP_PROJECT", "other-project", "gcp_project", "other-project"),
        ("RECONCILER_DEFAULT_LOCATION", "us-central1", "default_location", "us-central1"),
        ("RECONCILER_PULUMI_PROJECT", "other", "pulumi_project", "other"),
        ("RECONCILER_BACKEND_URL", "file:///tmp/state", "backend_url", "file:///tmp/state"),
        ("RECONCILER_SECRETS_PROVIDER", "passphrase", "secrets_provider", "passphrase"),
        ("RECONCILER_DEFAULT_DELETION_PROTECTION", "true", "default_deletion_protection", True),
        ("RECONCILER_DEFAULT_DELETION_PROTECTION", "0", "default_deletion_protection", False),
        ("RECONCILER_MAX_DELETE_FRACTION", "0.1", "max_delete_fraction", 0.1),
        ("RECONCILER_PARALLELISM", "16", "parallelism", 16),
        ("RECONCILER_AUTO_REPAIR_DRIFT", "true", "auto_repair_drift", True),
        ("PULUMI_BACKEND_URL", "file:///tmp/pulumi", "backend_url", "file:///tmp/pulumi"),
    ],
)
def test_an_override_replaces_its_setting(
    tmp_path: Path, variable: str, text: str, field: str, value: object
) -> None:
    platform = load_platform(_root(tmp_path), {variable: text})
    assert getattr(platform, field) == value


def test_every_override_is_tested() -> None:
    names = {o.variable for o in OVERRIDES}
    assert names == {
        "RECONCILER_TARGET",
        "RECONCILER_GCP_PROJECT",
        "RECONCILER_DEFAULT_LOCATION",
        "RECONCILER_PULUMI_PROJECT",
        "RECONCILER_BACKEND_URL",
        "RECONCILER_SECRETS_PROVIDER",
        "RECONCILER_DEFAULT_DELETION_PROTECTION",
        "RECONCILER_MAX_DELETE_FRACTION",
        "RECONCILER_PARALLELISM",
        "RECONCILER_AUTO_REPAIR_DRIFT",
    }


def test_drift_is_not_repaired_automatically_unless_asked(tmp_path: Path) -> None:
    assert load_platform(_root(tmp_path), {}).auto_repair_drift is False


def test_an_override_fills_a_section_the_file_leaves_out(tmp_path: Path) -> None:
    platform = load_platform(
        _root(tmp_path, GOOD.split("reconcile:")[0]), {"RECONCILER_PARALLELISM": "3"}
    )
    assert platform.parallelism == 3


@pytest.mark.parametrize(
    ("variable", "text", "position", "message"),
    [
        (
            "RECONCILER_PARALLELISM",
            "many",
            (14, 16),
            "RECONCILER_PARALLELISM='many' is not a whole number",
        ),
        (
            "RECONCILER_PARALLELISM",
            "0",
            (14, 16),
            "RECONCILER_PARALLELISM: 0 is less than the minimum, 1",
        ),
        (
            "RECONCILER_MAX_DELETE_FRACTION",
            "nan",
            (13, 22),
            "RECONCILER_MAX_DELETE_FRACTION='nan' is not a finite number",
        ),
        (
            "RECONCILER_MAX_DELETE_FRACTION",
            "1.5",
            (13, 22),
            "RECONCILER_MAX_DELETE_FRACTION: 1.5 is more than the maximum, 1",
        ),
        (
            "RECONCILER_DEFAULT_DELETION_PROTECTION",
            "maybe",
            (12, 30),
            "RECONCILER_DEFAULT_DELETION_PROTECTION='maybe' is not true or false",
        ),
        (
            "RECONCILER_TARGET",
            "prod",
            (3, 9),
            "RECONCILER_TARGET: 'prod' is not one of: sandbox, gcp",
        ),
        (
            "RECONCILER_GCP_PROJECT",
            "Acme",
            (5, 12),
            "RECONCILER_GCP_PROJECT: 'Acme' is not a GCP project id",
        ),
        (
            "RECONCILER_BACKEND_URL",
            "postgres://x",
            (9, 15),
            "RECONCILER_BACKEND_URL: 'postgres://x' is not a Pulumi backend URL",
        ),
        (
            "RECONCILER_SECRETS_PROVIDER",
            "vault",
            (10, 20),
            "RECONCILER_SECRETS_PROVIDER: 'vault' is not a Pulumi secrets provider",
        ),
        (
            "RECONCILER_BACKEND_URL",
            "",
            (9, 15),
            "RECONCILER_BACKEND_URL='' is set but empty (unset it to use platform.yaml)",
        ),
    ],
)
def test_a_bad_override_names_its_variable(
    tmp_path: Path, variable: str, text: str, position: tuple[int, int], message: str
) -> None:
    path = {o.variable: o.path for o in OVERRIDES}[variable]
    expected_path = "$." + ".".join(path)
    assert _issues(_root(tmp_path), {variable: text}) == [(*position, expected_path, message)]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("target: gcp", "target: cloud").replace("parallelism: 8", "parallelism: 0")
    issues = _issues(_root(tmp_path, text), {"RECONCILER_MAX_DELETE_FRACTION": "x"})
    assert [message for *_, message in issues] == [
        "target: 'cloud' is not one of: sandbox, gcp",
        "RECONCILER_MAX_DELETE_FRACTION='x' is not a number",
        "reconcile.parallelism: 0 is less than the minimum, 1",
    ]


def test_the_file_is_checked_against_its_schema(tmp_path: Path) -> None:
    text = GOOD.replace("  backendUrl: gs://acme-pulumi-state\n", "").replace(
        "reconcile:\n", "reconcile:\n  paralelism: 3\n"
    )
    assert _issues(_root(tmp_path, text)) == [
        (7, 1, "$.pulumi.backendUrl", "pulumi: missing required key 'backendUrl'"),
        (11, 3, "$.reconcile.paralelism", "reconcile: unknown key 'paralelism'"),
    ]


def test_yaml_problems_are_reported_with_the_same_loader(tmp_path: Path) -> None:
    text = GOOD.replace("target: gcp\n", "target: gcp\ntarget: sandbox\n")
    assert _issues(_root(tmp_path, text)) == [
        (4, 1, "$.target", "duplicate key 'target' (first at line 3)"),
    ]


def test_a_missing_platform_file_is_an_issue(tmp_path: Path) -> None:
    assert _issues(tmp_path) == [(1, 1, "$", f"no platform.yaml under {tmp_path}")]


def test_the_platform_example_passes_check_jsonschema(tmp_path: Path) -> None:
    import subprocess

    shutil.copyfile(REPO / "platform.yaml", tmp_path / "platform.yaml")
    subprocess.run(
        [
            str(REPO / ".venv/bin/check-jsonschema"),
            "--schemafile",
            str(REPO / "schema/platform.schema.json"),
            str(tmp_path / "platform.yaml"),
        ],
        check=True,
        capture_output=True,
    )


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_nan_and_infinity_are_refused_not_passed_to_the_program(tmp_path: Path, value: str) -> None:
    # Repro (issue 14): `.nan` passed the schema (NaN compares false with minimum/maximum)
    # and `plan` then died with "internal error: cannot convert float NaN to integer".
    text = GOOD.replace("maxDeleteFraction: 0.5", f"maxDeleteFraction: {value}")
    assert _issues(_root(tmp_path, text)) == [
        (13, 22, "$.reconcile.maxDeleteFraction", f"'{value}' is not a finite number")
    ]


def test_nan_parallelism_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("parallelism: 8", "parallelism: .nan")
    assert _issues(_root(tmp_path, text)) == [
        (14, 16, "$.reconcile.parallelism", "'.nan' is not a finite number")
    ]


def test_a_fractional_parallelism_says_which_number(tmp_path: Path) -> None:
    text = GOOD.replace("parallelism: 8", "parallelism: 2.5")
    assert _issues(_root(tmp_path, text)) == [
        (
            14,
            16,
            "$.reconcile.parallelism",
            "reconcile.parallelism: must be a whole number, not 2.5",
        )
    ]


def test_a_default_location_gcs_does_not_know_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("defaultLocation: EU", "defaultLocation: europe-west7")
    with pytest.raises(PlatformError) as raised:
        load_platform(_root(tmp_path, text), {})
    (issue,) = raised.value.issues
    assert (issue.line, issue.column, issue.message, issue.hint) == (
        6,
        20,
        "gcp.defaultLocation: 'europe-west7' is not a GCS location",
        "did you mean 'europe-west9'?",
    )


def test_a_default_location_override_gcs_does_not_know_names_its_variable(tmp_path: Path) -> None:
    environ = {"RECONCILER_DEFAULT_LOCATION": "EUR3"}
    with pytest.raises(PlatformError) as raised:
        load_platform(_root(tmp_path), environ)
    (issue,) = raised.value.issues
    assert issue.message == "RECONCILER_DEFAULT_LOCATION: 'EUR3' is not a GCS location"


def test_a_default_location_in_any_case_is_accepted(tmp_path: Path) -> None:
    text = GOOD.replace("defaultLocation: EU", "defaultLocation: nam4")
    assert load_platform(_root(tmp_path, text), {}).default_location == "nam4"
