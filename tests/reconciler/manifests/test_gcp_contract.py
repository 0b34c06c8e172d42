"""The GCP contract checks: certificates, secrets, principals, issuers, locations.

The fixtures in `fixtures/manifests/invalid/` show each class of mistake with its exact
message; the tests here pin what fixtures cannot: time (a certificate expiring soon is a
warning that does not fail the run), that no report format ever echoes a secret, that the
maintained location list agrees with the schema, and that ordinary values are not refused.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reconciler.manifests import gcp_rules, leaks, locations
from reconciler.manifests.keywords import ecma_regex
from reconciler.manifests.schema import checker
from reconciler.manifests.validate import validate_tree
from reconciler.report.validation import render_issues
from tests.repo import MANIFEST_FIXTURES, REPO

MINIMAL = (MANIFEST_FIXTURES / "valid" / "minimal.yaml").read_text()


def _certificate(not_after: dt.datetime) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "soon-idp")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(not_after - dt.timedelta(days=365))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _saml_manifest(name: str, certificate: str) -> str:
    body = "".join(f"            {line}\n" for line in certificate.splitlines())
    return (
        MINIMAL.replace("name: minimal", f"name: {name}")
        + "  identityProviders:\n"
        + "    - id: saml.soon-adfs\n"
        + "      displayName: Soon ADFS\n"
        + "      idp:\n"
        + "        entityId: https://adfs.soon.example.com/adfs/services/trust\n"
        + "        ssoUrl: https://adfs.soon.example.com/adfs/ls/\n"
        + "        certificates:\n"
        + "          - |\n"
        + body
        + "      sp:\n"
        + "        entityId: https://mlaas.example.com/saml/soon\n"
        + "        callbackUri: https://mlaas.example.com/__/auth/handler\n"
    )


def _repository(tmp_path: Path, **manifests: str) -> Path:
    (tmp_path / "tenants").mkdir()
    for name, text in manifests.items():
        (tmp_path / "tenants" / f"{name}.yaml").write_text(text)
    return tmp_path


# --- certificates: expiring soon is a warning, not a failure ----------------------------


def test_a_certificate_expiring_within_30_days_is_a_warning_and_the_tenant_is_valid(
    tmp_path: Path,
) -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=10, hours=1)
    root = _repository(tmp_path, soon=_saml_manifest("soon", _certificate(expires)))
    result = validate_tree(root)
    assert result.ok
    assert [t.name for t in result.tenants] == ["soon"]
    (warning,) = result.issues
    assert warning.severity == "warning"
    assert warning.path == "$.spec.identityProviders[0].idp.certificates[0]"
    assert warning.message == (
        "spec.identityProviders[0].idp.certificates[0]: the certificate expires on "
        f"{expires.date().isoformat()} (in 10 days)"
    )


def test_a_certificate_expiring_in_31_days_is_not_reported(tmp_path: Path) -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    root = _repository(tmp_path, later=_saml_manifest("later", _certificate(expires)))
    assert validate_tree(root).issues == ()


def test_validate_prints_the_warning_and_exits_0(tmp_path: Path) -> None:
    # The path users run: the CLI, as CI calls it.
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=5, hours=1)
    root = _repository(tmp_path, soon=_saml_manifest("soon", _certificate(expires)))
    for fmt, expected in (("text", ": warning: "), ("github", "::warning file=tenants/soon.yaml")):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "reconciler.cli.main",
                "--root",
                str(root),
                "validate",
                "--format",
                fmt,
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert expected in done.stdout
        assert "1 manifest valid, 1 warning" in done.stdout


def test_warnings_and_errors_are_counted_apart(tmp_path: Path) -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    broken = (
        MINIMAL.replace("name: minimal", "name: broken")
        .replace("owner:", "owner: x #")
        .replace("displayName: Minimal", "displayName: Broken")
    )
    root = _repository(tmp_path, soon=_saml_manifest("soon", _certificate(expires)), broken=broken)
    result = validate_tree(root)
    assert not result.ok
    assert len(result.warnings) == 1
    assert [t.name for t in result.tenants] == ["soon"]
    text = render_issues(result, "text")
    assert text.endswith(
        f"1 of 2 manifests invalid, {len(result.errors)} error"
        f"{'s' if len(result.errors) != 1 else ''}, 1 warning\n"
    )
    assert json.loads(render_issues(result, "json"))["issues"][-1]["severity"] in (
        "error",
        "warning",
    )


# --- secrets are never echoed, in any format --------------------------------------------

SECRETS = {
    "oidc-issuer-credentials": "hunter2hunter2",
    "saml-private-key": "TESTONLYnotAREALkey",
    "secret-gocspx-client-id": "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz12",
    "secret-github-token": "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "secret-github-hex-client-id": "0123456789abcdef0123456789abcdef01234567",
    "secret-as-key": "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz12",
    "idp-two-mistakes": "s3cr3t-value",
    "secret-literal": None,
}


@pytest.mark.parametrize("case", sorted(SECRETS))
def test_no_report_format_echoes_a_committed_secret(case: str, tmp_path: Path) -> None:
    fixture = MANIFEST_FIXTURES / "invalid" / f"{case}.yaml"
    text = fixture.read_text()
    secret = SECRETS[case]
    if secret is None:  # the fixture's own literal value
        secret = next(
            line.split(":", 1)[1].strip()
            for line in text.splitlines()
            if line.strip().startswith("clientSecret:") and line.split(":", 1)[1].strip()
        )
    assert secret in text
    result = validate_tree(_repository(tmp_path, **{case: text}))
    assert any("a secret was committed: rotate it" in i.message for i in result.issues)
    for fmt in ("text", "json", "github"):
        assert secret[:12] not in render_issues(result, fmt), fmt


# --- values GCP takes are not refused ----------------------------------------------------


@pytest.mark.parametrize(
    "issuer",
    [
        "https://accounts.google.com",
        "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
        "https://acme.okta.com/oauth2/default",
        "https://acme.okta.com:443/oauth2/default/",
        "https://token.actions.githubusercontent.com",
        "https://sso.acme.example.com/realms/ml",
    ],
)
def test_real_issuers_pass(issuer: str) -> None:
    assert list(gcp_rules._issuer_problems(issuer)) == []


@pytest.mark.parametrize(
    "issuer",
    [
        "https://localhost/realms/x",
        "https://[::1]/realms/x",
        "https://192.168.1.10",
        "https://169.254.169.254",
        "https://okta",
        "https://idp.local",
    ],
)
def test_local_and_private_issuers_are_refused(issuer: str) -> None:
    ((message, _),) = gcp_rules._issuer_problems(issuer)
    assert message.endswith("points at a local or private address")


@pytest.mark.parametrize(
    "value",
    [
        "1234-case.apps.googleusercontent.com",
        "00000000-0000-0000-0000-000000000001",
        "Iv1.0123456789abcdef",
        "https://adfs.acme.example.com/adfs/services/trust",
        "ACME_GOOGLE_CLIENT_SECRET",
    ],
)
def test_ordinary_values_do_not_look_like_secrets(value: str) -> None:
    assert not leaks._looks_secret(["spec", "identityProviders", 0, "clientId"], value, False)


def test_a_commit_hash_in_a_label_is_not_a_secret() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert not leaks._looks_secret(["metadata", "labels", "commit"], sha, False)


# --- locations: one maintained list, agreeing with the schema ----------------------------


def _location_patterns() -> dict[str, str]:
    tenant = checker("tenant").schema["$defs"]["storage"]["properties"]["location"]
    platform = checker("platform").schema["properties"]["gcp"]["properties"]["defaultLocation"]
    return {"tenant": tenant["pattern"], "platform": platform["pattern"]}


@pytest.mark.parametrize("schema", ["tenant", "platform"])
def test_every_listed_location_passes_the_schema_pattern_in_any_case(schema: str) -> None:
    """GCS takes a location in any case (the provider upper-cases it in state), and so does
    locations.py: the schema's shape check must not refuse EUROPE-WEST4."""
    pattern = ecma_regex(_location_patterns()[schema])
    every = locations.MULTI_REGIONS | locations.DUAL_REGIONS | locations.REGIONS
    assert len(every) > 40
    spellings = sorted({s for name in every for s in (name, name.upper(), name.lower())})
    assert [name for name in spellings if not pattern.search(name)] == []


@pytest.mark.parametrize(
    "location", ["EU", "eu", "us", "NAM4", "nam4", "europe-west4", "asia-south2"]
)
def test_locations_are_taken_in_any_case(location: str) -> None:
    assert locations.is_gcs_location(location)


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("europe-wes4", "europe-west4"),
        ("us-centrl1", "us-central1"),
        ("NAM5", "NAM4"),
        ("ASIA", None),
    ],
)
def test_did_you_mean(typo: str, meant: str | None) -> None:
    if meant is None:
        assert locations.is_gcs_location(typo)
    else:
        assert not locations.is_gcs_location(typo)
        assert locations.closest_location(typo) == meant


# --- the command line: a directory argument points to --root -------------------------------


def test_validate_dir_points_to_root(tmp_path: Path) -> None:
    other = tmp_path / "other-repo"
    other.mkdir()
    result = validate_tree(REPO, [other])
    (issue,) = result.issues
    assert issue.message == "is a directory, not a manifest"
    assert issue.hint == (
        f"to validate the repository in {other.as_posix()}, run "
        f"`reconciler --root {other.as_posix()} validate`"
    )


def test_plan_shows_the_warning_and_still_plans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only `validate` printed warnings: a team running `plan` before a merge never saw that
    # a tenant's sign-in would stop working in ten days.
    from reconciler.cli.main import main

    for name in ("RECONCILER_BACKEND_URL", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(name, raising=False)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=10, hours=1)
    root = _repository(tmp_path, soon=_saml_manifest("soon", _certificate(expires)))
    shutil.copy(REPO / "platform.yaml", root / "platform.yaml")
    shutil.copytree(REPO / "schema", root / "schema")
    assert main(["--root", str(root), "plan", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert [t["action"] for t in json.loads(captured.out)["tenants"]] == ["create"]
    assert (
        "tenants/soon.yaml:17:13: warning: spec.identityProviders[0].idp.certificates[0]: "
        f"the certificate expires on {expires.date().isoformat()} (in 10 days)"
    ) in captured.err
