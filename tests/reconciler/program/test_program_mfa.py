"""The tenant's MFA settings: the API's `mfaConfig` for the manifest, and the MFA-only provider
that stacks deployed before the sign-in settings resource still hold (`auth_settings.py`).

The provider runs against an in-memory Identity Toolkit (`FakeApi`), so these tests pin what
it sends (the PATCH body and update mask) and what it reports (outputs, ids) without a
network; test_program_signin.py covers the sign-in settings resource that replaced it, and
tests/e2e/test_mfa.py runs both through the real engine and emulator.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from reconciler.gcp.identitytoolkit import (
    PRODUCTION_ROOT,
    IdentityToolkitError,
    TenantApi,
    endpoint,
)
from reconciler.manifests.model import Mfa
from reconciler.program.auth_settings import (
    DEFAULT_MFA_CONFIG,
    UPDATE_MASK,
    MfaSettingsProvider,
    desired_mfa_config,
    normalized,
    settings_diff,
)
from reconciler.settings import read_settings

OFF = {"state": "DISABLED", "enabledProviders": [], "providerConfigs": []}
SMS = {"state": "ENABLED", "enabledProviders": ["PHONE_SMS"], "providerConfigs": []}


def totp(intervals: int) -> dict[str, Any]:
    return {"state": "ENABLED", "totpProviderConfig": {"adjacentIntervals": intervals}}


# --- the manifest's auth.mfa as the API's mfaConfig -----------------------------------


@pytest.mark.parametrize(
    ("mfa", "expected"),
    [
        (Mfa(), OFF),
        (Mfa(state="ENABLED", factors=("PHONE_SMS",)), SMS),
        (
            Mfa(state="ENABLED", factors=("TOTP",)),
            {"state": "ENABLED", "enabledProviders": [], "providerConfigs": [totp(5)]},
        ),
        (
            Mfa(state="MANDATORY", factors=("PHONE_SMS", "TOTP"), totp_adjacent_intervals=0),
            {
                "state": "MANDATORY",
                "enabledProviders": ["PHONE_SMS"],
                "providerConfigs": [totp(0)],
            },
        ),
        # MFA switched off switches TOTP off too: its entry has a state of its own, which the
        # top-level state does not govern (firebase/firebase-admin-go PR #569).
        (
            Mfa(state="DISABLED", factors=("PHONE_SMS", "TOTP")),
            {
                "state": "DISABLED",
                "enabledProviders": ["PHONE_SMS"],
                "providerConfigs": [{**totp(5), "state": "DISABLED"}],
            },
        ),
        # The TOTP allowance means nothing without TOTP (the schema refuses the pair anyway).
        (Mfa(state="ENABLED", factors=("PHONE_SMS",), totp_adjacent_intervals=9), SMS),
    ],
)
def test_desired_mfa_config(mfa: Mfa, expected: dict[str, Any]):
    assert desired_mfa_config(mfa) == expected


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        (None, OFF),
        ({}, OFF),
        ({"state": "STATE_UNSPECIFIED"}, OFF),
        ({"state": "ENABLED", "enabledProviders": ["PHONE_SMS", "PHONE_SMS"]}, SMS),
        (
            {"state": "ENABLED", "providerConfigs": [{"totpProviderConfig": {}}]},
            {
                "state": "ENABLED",
                "enabledProviders": [],
                "providerConfigs": [
                    {"state": "DISABLED", "totpProviderConfig": {"adjacentIntervals": 0}}
                ],
            },
        ),
        # A provider config this program does not know is left out rather than misread.
        ({"state": "DISABLED", "providerConfigs": [{"state": "ENABLED"}]}, OFF),
    ],
)
def test_normalized_reads_the_apis_omissions_as_defaults(live: Any, expected: dict[str, Any]):
    assert normalized(live) == expected


@pytest.mark.parametrize(
    ("olds", "news", "changes", "replaces"),
    [
        ({"project": "p", "tenant": "t", "mfaConfig": SMS}, {"project": "p", "tenant": "t",
         "mfaConfig": SMS}, False, []),
        ({"project": "p", "tenant": "t", "mfaConfig": {"state": "ENABLED",
         "enabledProviders": ["PHONE_SMS"]}}, {"project": "p", "tenant": "t", "mfaConfig": SMS},
         False, []),
        ({"project": "p", "tenant": "t", "mfaConfig": SMS}, {"project": "p", "tenant": "t",
         "mfaConfig": OFF}, True, []),
        ({"project": "p", "tenant": "t", "mfaConfig": SMS}, {"project": "p", "tenant": "u",
         "mfaConfig": SMS}, True, ["tenant"]),
        ({"project": "p", "tenant": "t", "mfaConfig": SMS}, {"project": "q", "tenant": "t",
         "mfaConfig": SMS}, True, ["project"]),
    ],
)  # fmt: skip
def test_settings_diff_updates_in_place_unless_the_tenant_changes(
    olds: dict[str, Any], news: dict[str, Any], changes: bool, replaces: list[str]
):
    result = settings_diff(olds, news)
    assert (result.changes, result.replaces) == (changes, replaces)


# --- the provider, against an in-memory API ------------------------------------------------


class FakeApi:
    """Tenants by (project, id); records each PATCH as (tenant, body, mask)."""

    def __init__(self, tenants: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.tenants = tenants
        self.patches: list[tuple[str, dict[str, Any], list[str]]] = []

    def find_tenant(self, project: str, tenant_id: str) -> dict[str, Any] | None:
        found = self.tenants.get((project, tenant_id))
        return copy.deepcopy(found) if found is not None else None

    def patch_tenant(
        self, project: str, tenant_id: str, body: dict[str, Any], update_mask: list[str]
    ) -> dict[str, Any]:
        self.patches.append((tenant_id, copy.deepcopy(body), list(update_mask)))
        tenant = self.tenants[(project, tenant_id)]
        # Only the MFA part is ever sent: the masked leaves replace what the tenant has.
        assert set(body) == {"mfaConfig"}
        for path in update_mask:
            field = path.removeprefix("mfaConfig.")
            tenant.setdefault("mfaConfig", {})[field] = copy.deepcopy(body["mfaConfig"][field])
        return copy.deepcopy(tenant)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    fake = FakeApi({("p", "t-1"): {"name": "projects/p/tenants/t-1", "displayName": "T"}})
    monkeypatch.setattr(
        "reconciler.gcp.identitytoolkit.TenantApi.from_environment", staticmethod(lambda: fake)
    )
    return fake


def props(config: dict[str, Any]) -> dict[str, Any]:
    return {"project": "p", "tenant": "t-1", "mfaConfig": config}


def test_create_patches_only_mfa_fields_and_reports_what_the_api_holds(api: FakeApi):
    result = MfaSettingsProvider().create(props(SMS))
    assert result.id == "projects/p/tenants/t-1/mfaConfig"
    assert api.patches == [("t-1", {"mfaConfig": SMS}, UPDATE_MASK)]
    assert result.outs == props(SMS)
    assert api.tenants[("p", "t-1")]["displayName"] == "T"


def test_update_replaces_the_factor_lists(api: FakeApi):
    provider = MfaSettingsProvider()
    provider.create(props({**SMS, "providerConfigs": [totp(5)]}))
    result = provider.update("id", props(SMS), props(OFF))
    assert result.outs == props(OFF)
    assert api.tenants[("p", "t-1")]["mfaConfig"] == OFF


def test_read_reports_a_change_made_outside_git(api: FakeApi):
    provider = MfaSettingsProvider()
    provider.create(props(SMS))
    api.tenants[("p", "t-1")]["mfaConfig"] = {"state": "DISABLED"}
    result = provider.read("projects/p/tenants/t-1/mfaConfig", props(SMS))
    assert result.id == "projects/p/tenants/t-1/mfaConfig"
    assert result.outs == props(OFF)
    assert settings_diff(result.outs, props(SMS)).changes


def test_read_of_a_deleted_tenant_says_the_settings_are_gone(api: FakeApi):
    result = MfaSettingsProvider().read("id", {**props(SMS), "tenant": "gone"})
    assert result.id == ""


def test_delete_restores_the_api_defaults(api: FakeApi):
    provider = MfaSettingsProvider()
    provider.create(props({**SMS, "providerConfigs": [totp(2)]}))
    provider.delete("id", props(SMS))
    assert api.patches[-1] == ("t-1", {"mfaConfig": DEFAULT_MFA_CONFIG}, UPDATE_MASK)
    assert normalized(api.tenants[("p", "t-1")]["mfaConfig"]) == OFF


def test_delete_of_a_deleted_tenant_sends_nothing(api: FakeApi):
    # A PATCH would recreate the tenant in the emulator, and fail in production.
    MfaSettingsProvider().delete("id", {**props(SMS), "tenant": "gone"})
    assert api.patches == []


# --- where the provider talks to --------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "root", "emulator"),
    [
        ({}, PRODUCTION_ROOT, False),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "  "}, PRODUCTION_ROOT, False),
        (
            {"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"},
            "http://127.0.0.1:9099/identitytoolkit.googleapis.com",
            True,
        ),
    ],
)
def test_endpoint_is_the_emulator_only_when_the_sandbox_names_one(
    environ: dict[str, str], root: str, emulator: bool
):
    where = endpoint(read_settings(environ).emulator_host)
    assert (where.root, where.emulator) == (root, emulator)


class FakeResponse:
    def __init__(self, status: int, payload: dict[str, Any]) -> None:
        self.status_code = status
        self.content = json.dumps(payload).encode()
        self.reason = "reason"

    def json(self) -> Any:
        return json.loads(self.content)


class FakeSession:
    """Stands in for google-auth's AuthorizedSession; answers from a queue, records calls."""

    answers: ClassVar[list[FakeResponse]] = []
    calls: ClassVar[list[tuple[str, str, Any]]] = []

    def __init__(self, credentials: Any) -> None:
        assert credentials == "adc-credentials"

    def request(self, method: str, url: str, json: Any = None, timeout: float = 0) -> Any:
        FakeSession.calls.append((method, url, json))
        return FakeSession.answers.pop(0)


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeSession]]:
    import google.auth
    import google.auth.transport.requests

    scopes: list[Any] = []

    def default(scopes_: Any = None, **kwargs: Any) -> tuple[str, str]:
        scopes.append(kwargs.get("scopes", scopes_))
        return "adc-credentials", "some-project"

    monkeypatch.setattr(google.auth, "default", default)
    monkeypatch.setattr(google.auth.transport.requests, "AuthorizedSession", FakeSession)
    FakeSession.answers, FakeSession.calls = [], []
    yield FakeSession
    assert all(s == ["https://www.googleapis.com/auth/cloud-platform"] for s in scopes)


def test_production_patches_googleapis_with_application_default_credentials(google):
    google.answers.append(FakeResponse(200, {"name": "projects/p/tenants/t-1", "mfaConfig": SMS}))
    api = TenantApi(endpoint(""))
    assert api.patch_tenant("p", "t-1", {"mfaConfig": SMS}, UPDATE_MASK)["mfaConfig"] == SMS
    assert google.calls == [
        (
            "PATCH",
            "https://identitytoolkit.googleapis.com/v2/projects/p/tenants/t-1"
            "?updateMask=mfaConfig.state,mfaConfig.enabledProviders,mfaConfig.providerConfigs",
            {"mfaConfig": SMS},
        )
    ]


def test_production_reads_a_missing_tenant_as_none_and_other_errors_as_errors(google):
    google.answers.append(FakeResponse(404, {"error": {"status": "NOT_FOUND", "message": "x"}}))
    google.answers.append(
        FakeResponse(403, {"error": {"status": "PERMISSION_DENIED", "message": "denied"}})
    )
    api = TenantApi(endpoint(""))
    assert api.find_tenant("p", "gone") is None
    with pytest.raises(IdentityToolkitError, match="403 PERMISSION_DENIED: denied"):
        api.find_tenant("p", "t-1")
    assert [call[0] for call in google.calls] == ["GET", "GET"]
