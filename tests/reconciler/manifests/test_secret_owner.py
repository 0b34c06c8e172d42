"""Who owns a secret name when tenant names nest: the longest name whose namespace holds it."""

from __future__ import annotations

import pytest

from reconciler.manifests.secret_owner import SecretClaim, foreign_secret_issues

FLEET = ("acme", "acme-eu", "acme-eu-west", "acme0", "beta")
TENANTS = {name: (f"tenants/{name}.yaml", 4, 9) for name in FLEET}


def claim(tenant: str, kind: str, value: str) -> SecretClaim:
    path = ("spec", "identityProviders", 0, "clientSecret", "fromEnv")
    return SecretClaim(tenant, kind, value, "google.com", 12, 18, path)


@pytest.mark.parametrize(
    ("tenant", "kind", "value", "owner"),
    [
        ("acme", "env", "ACME_GOOGLE_CLIENT_SECRET", None),
        ("acme", "env", "ACME_EU_GOOGLE_CLIENT_SECRET", "acme-eu"),
        ("acme", "env", "ACME_EU_WEST_X", "acme-eu-west"),
        ("acme-eu", "env", "ACME_EU_WEST_X", "acme-eu-west"),
        ("acme", "env", "ACME_EUROPE_X", None),  # not ACME_EU_
        ("acme", "env", "acme_eu_x", None),  # lower case is nobody's variable
        ("acme", "secret", "tenant-acme-eu-github-client-secret", "acme-eu"),
        ("acme", "secret", "tenant-acme-eux-github-client-secret", None),
        ("acme", "secret", "tenant-acme0-x", None),  # another prefix: the per-file rule's
        ("acme", "derived", "tenant-acme-eu-west-google-client-secret", "acme-eu-west"),
        ("acme-eu-west", "secret", "tenant-acme-eu-west-x", None),
        ("beta", "secret", "tenant-beta-x", None),
    ],
)
def test_a_name_belongs_to_the_longest_tenant_name_that_holds_it(
    tenant: str, kind: str, value: str, owner: str | None
) -> None:
    issues = foreign_secret_issues([claim(tenant, kind, value)], TENANTS)
    if owner is None or owner == tenant:
        assert issues == []
        return
    mine, theirs = issues
    assert mine.file == f"tenants/{tenant}.yaml" and f"tenant {owner}'s namespace" in mine.message
    assert theirs.file == f"tenants/{owner}.yaml" and theirs.path == "$.metadata.name"
    assert value in theirs.message and f"tenant {tenant} reads it" in theirs.message


def test_a_test_phone_code_is_claimed_like_a_client_secret(tmp_path) -> None:
    """The number's code: its variable and the Secret Manager id CI derives from it are
    the tenant's claims, at the reference's line, so the fleet rule covers them too."""
    from reconciler.manifests.loader import load_yaml_file
    from reconciler.manifests.secret_owner import secret_claims

    path = tmp_path / "acme.yaml"
    path.write_text(
        "metadata:\n  name: acme\nspec:\n  auth:\n    testPhoneNumbers:\n"
        '      "+15555550100": {fromEnv: ACME_EU_TEST_CODE}\n'
    )
    claims = secret_claims(load_yaml_file(path, "tenants/acme.yaml"))
    assert [(c.kind, c.value, c.idp_id, c.line) for c in claims] == [
        ("env", "ACME_EU_TEST_CODE", "+15555550100", 6),
        ("derived", "tenant-acme-test-phone-15555550100-code", "+15555550100", 6),
    ]
    # acme-eu owns ACME_EU_...: acme may not read it.
    assert foreign_secret_issues(claims[:1], TENANTS)
