"""`reconciler new`: a starting manifest with real values only, and the next steps."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.cli.scaffold import NewTenant, ScaffoldError, next_steps, refusal, write_manifest
from reconciler.manifests.model import Mfa, SecretManagerRef
from reconciler.manifests.validate import validate_tree
from tests.repo import REPO

ACME = NewTenant("acme-labs", "ml-team@acme.io")


def _repo(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "schema", tmp_path / "schema")
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    return tmp_path


def test_new_offers_mfa_switched_off(tmp_path: Path):
    root = _repo(tmp_path)
    path = root / write_manifest(root, ACME)
    assert "    mfa:\n      state: DISABLED\n      factors: []\n" in path.read_text()
    result = validate_tree(root)
    assert result.ok, result.issues
    assert result.tenants[0].auth.mfa == Mfa()


def test_switching_mfa_on_in_a_new_manifest_takes_one_edit(tmp_path: Path):
    root = _repo(tmp_path)
    path = root / write_manifest(root, ACME)
    text = path.read_text().replace(
        "      state: DISABLED\n      factors: []\n",
        "      state: ENABLED\n      factors: [PHONE_SMS]\n",
    )
    path.write_text(text)
    result = validate_tree(root)
    assert result.ok, result.issues
    assert result.tenants[0].auth.mfa == Mfa(state="ENABLED", factors=("PHONE_SMS",))


@pytest.mark.parametrize(
    ("tenant", "refused_for"),
    [
        (ACME, None),
        (NewTenant("acme-labs", "ml@acme.io", "1234-abc.apps.googleusercontent.com"), None),
        (NewTenant("acme-labs", "owner@example.com"), "placeholder"),  # the old default
        (NewTenant("acme-labs", "ml@EXAMPLE.org"), "placeholder"),
        (NewTenant("acme-labs", "ml@acme.example"), "placeholder"),
        (NewTenant("acme-labs", "ml@corp.test"), "placeholder"),
        (NewTenant("acme-labs", "replace-me@acme.io"), "placeholder"),
        (NewTenant("acme-labs", "not-an-email"), "not an email"),
        (
            NewTenant("acme-labs", "ml@acme.io", "REPLACE-ME.apps.googleusercontent.com"),
            "placeholder",
        ),
        (NewTenant("acme-labs", "ml@acme.io", "TODO"), "placeholder"),
        (NewTenant("acme-labs", "ml@acme.io", " "), "placeholder"),
        (NewTenant("Acme", "ml@acme.io"), "not a tenant name"),
    ],
)
def test_refusal(tenant: NewTenant, refused_for: str | None) -> None:
    why = refusal(tenant)
    assert (why is None) if refused_for is None else (refused_for in str(why))


def test_a_refused_value_writes_nothing(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    with pytest.raises(ScaffoldError, match=r"owner@example\.com' is a placeholder"):
        write_manifest(root, NewTenant("acme-labs", "owner@example.com"))
    assert not (root / "tenants").exists()


def test_without_a_client_id_the_manifest_has_no_provider_and_no_placeholder(tmp_path: Path):
    root = _repo(tmp_path)
    text = (root / write_manifest(root, ACME)).read_text()
    assert "REPLACE" not in text and "example.com" not in text
    result = validate_tree(root)
    assert result.ok, result.issues
    assert result.tenants[0].identity_providers == ()


def test_with_a_client_id_the_google_provider_refers_to_its_secret(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    wanted = NewTenant("acme-labs", "ml@acme.io", "1234-abc.apps.googleusercontent.com")
    assert write_manifest(root, wanted) == Path("tenants/acme-labs.yaml")
    result = validate_tree(root)
    assert result.ok, result.issues
    (idp,) = result.tenants[0].identity_providers
    assert (idp.id, idp.client_id) == ("google.com", "1234-abc.apps.googleusercontent.com")
    # CI reads client secrets from Secret Manager by the naming convention (docs/security.md).
    assert idp.client_secret.secret_manager == SecretManagerRef(secret=wanted.secret_id)
    assert wanted.secret_id == "tenant-acme-labs-google-client-secret"


def test_next_steps_name_the_secret_and_the_pull_request() -> None:
    wanted = NewTenant("acme-labs", "ml@acme.io", "1234-abc.apps.googleusercontent.com")
    text = next_steps(wanted, Path("tenants/acme-labs.yaml"))
    assert text.startswith("wrote tenants/acme-labs.yaml\n")
    assert "gcloud secrets create tenant-acme-labs-google-client-secret" in text
    assert "reconciler validate tenants/acme-labs.yaml" in text
    assert "git switch -c tenant/acme-labs" in text and "pull request" in text
    # No provider, no secret to create.
    assert "secret" not in next_steps(ACME, Path("tenants/acme-labs.yaml"))


def test_new_shows_the_whole_sign_in_posture_and_it_validates(tmp_path: Path):
    from reconciler.manifests.model import Auth

    root = _repo(tmp_path)
    text = (root / write_manifest(root, ACME)).read_text()
    for key in ("passwordPolicy:", "smsRegions:", "# recaptcha:", "testPhoneNumbers: {}"):
        assert key in text
    # reCAPTCHA only as a comment: written, it would be sent to a project that may not have
    # it set up (review 22-24, finding 6).
    assert "\n    recaptcha:" not in text
    result = validate_tree(root)
    assert result.ok, result.issues
    # The API's defaults, except the email privacy the API reference recommends.
    assert result.tenants[0].auth == Auth(enable_improved_email_privacy=True)


@pytest.mark.parametrize("client_id", [None, "1234-abc.apps.googleusercontent.com"])
def test_next_steps_name_only_what_the_resolver_reads(tmp_path: Path, client_id) -> None:
    """The manifest `new` writes says fromSecretManager, which nothing reads from the
    environment: the steps must not send anyone to set a variable (they once named
    ACME_LABS_GOOGLE_CLIENT_SECRET)."""
    import re

    from reconciler.program.secrets import used_secret_refs

    root = _repo(tmp_path)
    wanted = NewTenant("acme-labs", "ml@acme.io", client_id)
    path = write_manifest(root, wanted)
    [tenant] = validate_tree(root).tenants
    refs = [ref for _idp, ref in used_secret_refs(tenant)]
    text = next_steps(wanted, path)
    variables = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", text))
    assert variables <= {ref.from_env for ref in refs if ref.from_env}
    named = set(re.findall(r"\btenant-[a-z0-9-]+-client-secret\b", text))
    assert named == {ref.secret_manager.secret for ref in refs if ref.secret_manager}
