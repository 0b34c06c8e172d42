"""The real APIs' input rules, one table per rule."""

from __future__ import annotations

import pytest

from sandbox.provider import validation


@pytest.mark.parametrize("name", ["Acme", "acme-prod", "Tenant-One", "a123", "A" + "b" * 19])
def test_tenant_display_name_accepts(name: str) -> None:
    assert validation.tenant_display_name(name) is None


@pytest.mark.parametrize(
    "name",
    ["abc", "A" + "b" * 20, "1acme", "-acme", "acme_prod", "acme prod", "acme.prod", "", "Åcme"],
)
def test_tenant_display_name_rejects_with_the_api_word(name: str) -> None:
    reason = validation.tenant_display_name(name)
    assert reason is not None and reason.startswith("INVALID_DISPLAY_NAME")


@pytest.mark.parametrize("idp_id", validation.DEFAULT_SUPPORTED_IDP_IDS)
def test_default_idp_ids_accepts_the_documented_ones(idp_id: str) -> None:
    assert validation.default_idp_id(idp_id) is None


@pytest.mark.parametrize("idp_id", ["google", "oidc.google", "saml.x", "Google.com", "example.com"])
def test_default_idp_ids_rejects_others(idp_id: str) -> None:
    reason = validation.default_idp_id(idp_id)
    assert reason is not None and reason.startswith("INVALID_PROVIDER_ID")


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("oidc.okta", True),
        ("oidc.corp-sso_2", True),
        ("oidc.Case_Okta", True),  # upstream: only "Must start with `oidc.`"
        ("oidc.acme.eu", True),
        ("oidc.", False),
        ("okta", False),
        ("saml.azure", False),
        ("oidc.has space", False),
        ("oidc.a/b", False),  # one segment of the resource name
    ],
)
def test_oidc_ids_follow_magic_modules_tenant_oauth_idp_config(name: str, ok: bool) -> None:
    assert (validation.oidc_provider_id(name) is None) is ok


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("saml.azure", True),
        ("saml.acme.corp", True),  # periods are allowed after saml.
        ("saml.acme_AD-2", True),  # so are underscores and capitals after the first letter
        ("saml.ab", True),  # at least 2 characters
        ("saml." + "a" * 200, True),  # no maximum is stated upstream
        ("saml.a", False),
        ("saml.1case", False),  # a lowercase letter first
        ("saml.Acme", False),
        ("saml.case-", False),  # a letter or digit last
        ("saml.has space", False),
        ("oidc.azure", False),
    ],
)
def test_saml_ids_follow_magic_modules_tenant_inbound_saml_config(name: str, ok: bool) -> None:
    assert (validation.saml_provider_id(name) is None) is ok


@pytest.mark.parametrize(
    "name",
    ["abc", "my-bucket", "tenant_one.data", "a" * 63, "a.b.c", ("a" * 63 + ".") * 3 + "a" * 30],
)
def test_bucket_name_accepts(name: str) -> None:
    assert validation.bucket_name(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("ab", "3-63 characters"),
        ("a" * 64, "3-63 characters"),
        ("My-Bucket", "lowercase"),
        ("-bucket", "start and end"),
        ("bucket-", "start and end"),
        ("192.168.5.4", "IP address"),
        ("goog-data", "goog"),
        ("my-google-data", "google"),
        ("my-g00gle-data", "google"),
        ("a" * 64 + ".b", "1-63"),
        ("bucket name", "lowercase"),
    ],
)
def test_bucket_name_rejects(name: str, why: str) -> None:
    reason = validation.bucket_name(name)
    assert reason is not None and reason.startswith("Invalid bucket name") and why in reason


@pytest.mark.parametrize("account_id", ["tenant-one", "abcdef", "a" * 30, "sa-0-workload"])
def test_service_account_id_accepts(account_id: str) -> None:
    assert validation.service_account_id(account_id) is None


@pytest.mark.parametrize(
    "account_id", ["abcde", "a" * 31, "1tenant", "tenant-", "Tenant-one", "ten_ant"]
)
def test_service_account_id_rejects_naming_the_regexp(account_id: str) -> None:
    reason = validation.service_account_id(account_id)
    assert reason is not None and validation.SERVICE_ACCOUNT_ID.pattern in reason


@pytest.mark.parametrize(
    "member",
    [
        "user:alice@example.com",
        "serviceAccount:sa-1@demo-x.iam.gserviceaccount.com",
        "group:team@example.com",
        "domain:example.com",
        "allUsers",
        "allAuthenticatedUsers",
        "projectViewer:demo-mlaas",
        "principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s",
        "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*",
        "deleted:user:bob@example.com?uid=123456789",
    ],
)
def test_iam_member_accepts_the_documented_forms(member: str) -> None:
    assert validation.iam_member(member) is None


@pytest.mark.parametrize(
    "member",
    ["alice@example.com", "user:alice", "users:alice@example.com", "allusers", "domain:", ""],
)
def test_iam_member_rejects_others(member: str) -> None:
    assert validation.iam_member(member) is not None


@pytest.mark.parametrize(
    ("role", "ok"),
    [
        ("roles/storage.objectViewer", True),
        ("projects/demo-x/roles/custom_role", True),
        ("organizations/123/roles/custom.role", True),
        ("storage.objectViewer", False),
        ("roles/", False),
        ("roles/storage objectViewer", False),
    ],
)
def test_iam_role_forms(role: str, ok: bool) -> None:
    assert (validation.iam_role(role) is None) is ok


@pytest.mark.parametrize(
    ("period", "ok"),
    [("2592000", True), (86400, True), ("0", False), ("3155760000", False), ("30d", False)],
)
def test_retention_period(period: object, ok: bool) -> None:
    assert (validation.retention_period(period) is None) is ok


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("tier", "standard", True),
        ("cost-center", "", True),
        ("Tier", "x", False),
        ("tier", "Gold", False),
    ],
)
def test_labels(key: str, value: str, ok: bool) -> None:
    assert (validation.label(key, value) is None) is ok


@pytest.mark.parametrize(
    ("project", "ok"),
    [
        ("demo-mlaas", True),
        ("my-project-123", True),
        ("abc", False),
        ("Demo-x", False),
        ("demo-", False),
    ],
)
def test_project_ids(project: str, ok: bool) -> None:
    assert (validation.project_id(project) is None) is ok
