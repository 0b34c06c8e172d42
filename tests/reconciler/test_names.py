"""Naming rules: physical names fit GCP's rules, logical names are stable and unique.

The literal names pinned here are deployed contracts: if one of these tests fails after a
change to `naming`, every existing tenant would see its resources replaced.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from reconciler import names

BUCKET_RULE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$")


def sha6(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


@pytest.mark.parametrize(
    ("project", "tenant", "expected"),
    [
        ("demo-mlaas", "tenant-one", "tenant-one-data-d285bd"),
        ("demo-mlaas", "tenant-two", "tenant-two-data-0c1f8e"),
    ],
)
def test_bucket_name_is_pinned_for_deployed_tenants(project: str, tenant: str, expected: str):
    assert names.bucket_name(project, tenant) == expected


def test_bucket_name_is_tenant_data_and_hash_of_project_and_tenant():
    assert names.bucket_name("p1", "acme") == f"acme-data-{sha6('p1/acme')}"


def test_bucket_name_differs_between_projects():
    assert names.bucket_name("p1", "acme") != names.bucket_name("p2", "acme")


@pytest.mark.parametrize(
    "tenant", ["a", "ab", "tenant-one", "x" * 40, "y" * 51, "z" * 52, "long-" * 20, "ab-" * 20]
)
def test_bucket_name_fits_gcs_rules_for_any_tenant_length(tenant: str):
    name = names.bucket_name("demo-mlaas", tenant)
    assert 3 <= len(name) <= 63
    assert BUCKET_RULE.match(name), name
    assert "--data-" not in name


def test_bucket_name_of_truncated_tenants_stays_unique():
    first, second = "a" * 60 + "-one", "a" * 60 + "-two"
    assert names.bucket_name("p", first) != names.bucket_name("p", second)


@pytest.mark.parametrize("tenant", ["google-research", "goog", "my-g00gle", "googlers"])
def test_bucket_name_never_looks_like_google(tenant: str):
    name = names.bucket_name("p", tenant)
    assert not name.startswith("goog")
    assert not re.search(r"g[o0]{2}g", name), name


@pytest.mark.parametrize(
    ("tenant", "expected"),
    [
        ("tenant-one", "t-tenant-one"),
        ("abcd", "t-abcd"),
        ("a" * 28, "t-" + "a" * 28),
        ("ab", f"t-ab-{sha6('ab')}"),
        ("a" * 29, f"t-{'a' * 21}-{sha6('a' * 29)}"),
        ("x" * 20 + "-" + "y" * 10, f"t-{'x' * 20}-{sha6('x' * 20 + '-' + 'y' * 10)}"),
    ],
)
def test_service_account_id_is_t_dash_tenant_or_cut_and_hashed(tenant: str, expected: str):
    assert names.service_account_id(tenant) == expected


@pytest.mark.parametrize("tenant", ["a", "ab", "abc", "tenant-one", "a" * 28, "a" * 29, "b-" * 30])
def test_service_account_id_matches_gcp_rule(tenant: str):
    assert names.ACCOUNT_ID_PATTERN.match(names.service_account_id(tenant))


def test_service_account_ids_of_long_tenants_with_one_prefix_differ():
    assert names.service_account_id("a" * 40 + "1") != names.service_account_id("a" * 40 + "2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ml-platform@example.com", "ml-platform_at_example_com"),
        ("Owner@ACME.example.com", "owner_at_acme_example_com"),
        ("tenant-one", "tenant-one"),
        ("a b+c", "a_b_c"),
        ("x" * 80, "x" * 63),
    ],
)
def test_label_value_is_lowercase_and_gcp_safe(text: str, expected: str):
    assert names.label_value(text) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (names.identity_tenant_name("acme"), "acme-identity"),
        (names.idp_name("acme", "oidc.okta"), "acme-idp-oidc.okta"),
        (names.bucket_resource_name("acme"), "acme-data"),
        (names.service_account_resource_name("acme"), "acme-workload"),
    ],
)
def test_logical_names_derive_from_tenant_and_idp_id(name: str, expected: str):
    assert name == expected


def test_iam_member_name_is_scope_role_member_and_hash():
    name = names.iam_member_name("acme-data", "roles/storage.admin", "user:alice@acme.com")
    expected_hash = sha6("roles/storage.admin user:alice@acme.com")
    assert name == f"acme-data-storage.admin-user-alice-at-acme.com-{expected_hash}"


def test_iam_member_names_differ_when_sanitized_slugs_coincide():
    first = names.iam_member_name("s", "roles/x", "user:a@b.com")
    second = names.iam_member_name("s", "roles/x", "user:a-at-b.com")
    assert first.rsplit("-", 1)[0] == second.rsplit("-", 1)[0]
    assert first != second


def test_iam_member_names_differ_by_role():
    member = "group:g@acme.com"
    assert names.iam_member_name("s", "roles/a", member) != names.iam_member_name(
        "s", "roles/b", member
    )


# --- every valid tenant name derives names GCP accepts (a property, over generated names) ---

TENANT_NAME = re.compile(r"^[a-z][a-z0-9-]{1,26}[a-z0-9]$")
"""The schema's rule for `metadata.name` (3-28 characters)."""
_LOOKALIKE_PARTS = ["g", "o", "0", "l", "1", "e", "-", "goog", "g00g", "google", "goog1e", "g0og"]


def _valid_tenant_names(count: int, seed: int) -> list[str]:
    """Random valid names, many built from look-alike pieces ("googoogle", "g00gle-goog1e")."""
    import random

    rng = random.Random(seed)
    names: set[str] = set()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-"
    while len(names) < count:
        if rng.random() < 0.5:
            text = "".join(rng.choice(_LOOKALIKE_PARTS) for _ in range(rng.randint(1, 10)))
        else:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 28)))
        text = ("g" + text if not text[:1].isalpha() else text)[:28].rstrip("-")
        if TENANT_NAME.match(text):
            names.add(text)
    return sorted(names)


CHAINS = [
    "googoogle",
    "g00g00gle",
    "goog1egoog1e",
    "ggoogleoogle",
    "gogoogleogle",
    "google-google",
    "g00gle" * 4,
    "goog1e" * 4,
    "goo" + "google" * 3 + "gle",
]


def _gcs_accepts_bucket(name: str) -> bool:
    # https://cloud.google.com/storage/docs/buckets#naming: 3-63 characters of lowercase
    # letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit, not
    # beginning with "goog", not containing "google" or a close misspelling ("g00gle").
    return bool(BUCKET_RULE.match(name)) and not re.search(r"g[o0]{2}g", name)


@pytest.mark.parametrize("tenant", CHAINS)
def test_look_alike_chains_derive_no_google_in_the_bucket_name(tenant: str):
    assert TENANT_NAME.match(tenant[:28])
    assert _gcs_accepts_bucket(names.bucket_name("demo-mlaas", tenant[:28]))


def test_every_generated_tenant_name_derives_names_gcp_accepts():
    for tenant in _valid_tenant_names(3000, seed=14) + [c[:28] for c in CHAINS]:
        bucket = names.bucket_name("demo-mlaas", tenant)
        assert _gcs_accepts_bucket(bucket), (tenant, bucket)
        account = names.service_account_id(tenant)
        assert names.ACCOUNT_ID_PATTERN.match(account), (tenant, account)


def test_a_short_name_and_another_name_spelling_its_hash_derive_one_account_id():
    # The reason for the cross-file rule in reconciler/manifests/rules.py: the hashed form
    # of "abc" is itself a valid tenant name's plain form.
    hashed = names.service_account_id("abc")
    assert hashed == f"t-abc-{sha6('abc')}"
    assert names.service_account_id(hashed.removeprefix("t-")) == hashed
