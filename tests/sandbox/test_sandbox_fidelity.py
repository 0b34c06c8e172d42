"""The sandbox is as strict, and as late, as GCP: one test per row of the fidelity table in
sandbox/README.md that is not pinned elsewhere (bucket deletion, deleted service accounts,
eventual consistency, taken names, quotas and the provider's retries)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from pulumi.provider.experimental.provider import CheckRequest, ConfigureRequest, CreateRequest

from sandbox.provider import retry
from sandbox.provider.faults import FaultRule, parse_faults
from sandbox.provider.iam import ACCOUNT_KIND, BINDING_KIND
from sandbox.provider.resource import (
    CheckRequest as Check,
)
from sandbox.provider.resource import (
    Cloud,
    CloudError,
    ProviderConfig,
    ProviderError,
    ResourceKind,
    check,
)
from sandbox.provider.server import SandboxProvider
from sandbox.provider.serviceaccount import QUOTA_ENV, Account
from sandbox.provider.storage import (
    Bucket,
    BucketIAMMember,
    claim_bucket_name,
    object_names,
    put_object,
)
from sandbox.provider.values import plain_to_props


def create(cloud: Cloud, kind: ResourceKind, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    config = ProviderConfig(project=cloud.config.project)
    inputs, failures = check(kind, Check("res", news, {}, b"seed", config))
    assert failures == []
    return kind.create(cloud, inputs)


# --- bucket deletion: objects, force_destroy, retention -------------------------------


def test_a_bucket_holding_objects_is_not_deleted_without_force_destroy(
    offline_cloud: Cloud,
) -> None:
    bucket_id, bucket = create(offline_cloud, Bucket(), {"name": "acme-data", "location": "EU"})
    put_object(offline_cloud.store, "acme-data", "model.bin")
    with pytest.raises(ProviderError, match="without `force_destroy` set to true"):
        Bucket().delete(offline_cloud, bucket_id, bucket)
    assert offline_cloud.store.get("storage.bucket", "acme-data") is not None
    assert object_names(offline_cloud.store, "acme-data") == ["model.bin"]


def test_force_destroy_deletes_the_objects_then_the_bucket(offline_cloud: Cloud) -> None:
    bucket_id, bucket = create(
        offline_cloud, Bucket(), {"name": "acme-data", "location": "EU", "forceDestroy": True}
    )
    put_object(offline_cloud.store, "acme-data", "model.bin")
    Bucket().delete(offline_cloud, bucket_id, bucket)
    assert offline_cloud.store.get("storage.bucket", "acme-data") is None
    assert object_names(offline_cloud.store, "acme-data") == []


def test_an_empty_bucket_is_deleted_without_force_destroy(offline_cloud: Cloud) -> None:
    bucket_id, bucket = create(offline_cloud, Bucket(), {"name": "acme-data", "location": "EU"})
    Bucket().delete(offline_cloud, bucket_id, bucket)
    assert offline_cloud.store.get("storage.bucket", "acme-data") is None


@pytest.mark.parametrize(
    ("locked", "message"),
    [
        (False, "is subject to bucket's retention policy"),
        (True, "have not met the retention period yet"),
    ],
)
def test_retention_keeps_objects_and_bucket_even_with_force_destroy(
    offline_cloud: Cloud, locked: bool, message: str
) -> None:
    bucket_id, bucket = create(
        offline_cloud,
        Bucket(),
        {
            "name": "acme-data",
            "location": "EU",
            "forceDestroy": True,
            "retentionPolicy": {"retentionPeriod": "86400"},
        },
    )
    put_object(offline_cloud.store, "acme-data", "model.bin")
    state = {**bucket, "retentionPolicy": {**bucket["retentionPolicy"], "isLocked": locked}}
    with pytest.raises(ProviderError, match=message):
        Bucket().delete(offline_cloud, bucket_id, state)
    assert object_names(offline_cloud.store, "acme-data") == ["model.bin"]


# --- deleted service accounts ----------------------------------------------------------


def test_a_recreated_account_does_not_inherit_its_predecessors_bindings(
    offline_cloud: Cloud, project: str
) -> None:
    create(offline_cloud, Bucket(), {"name": "acme-data", "location": "EU"})
    account_id, account = create(offline_cloud, Account(), {"accountId": "acme-workload"})
    grant = {
        "bucket": "acme-data",
        "role": "roles/storage.objectAdmin",
        "member": account["member"],
    }
    grant_id, granted = create(offline_cloud, BucketIAMMember(), grant)

    Account().delete(offline_cloud, account_id, account)
    _, again = create(offline_cloud, Account(), {"accountId": "acme-workload"})
    assert again["email"] == account["email"] and again["uniqueId"] != account["uniqueId"]

    (binding,) = [b for _, b in offline_cloud.store.of_kind(BINDING_KIND)]
    assert binding["member"] == (
        f"deleted:serviceAccount:{account['email']}?uid={account['uniqueId']}"
    )
    # The provider's read no longer finds the member: refresh drops the grant, up re-adds it.
    assert BucketIAMMember().read(offline_cloud, grant_id, granted) is None


# --- eventual consistency --------------------------------------------------------------


def test_a_fresh_account_is_unknown_to_iam_until_it_propagates(offline_cloud: Cloud) -> None:
    create(offline_cloud, Bucket(), {"name": "acme-data", "location": "EU"})
    lagging = offline_cloud.lagging(60)
    # Insert as the API does, without the provider's wait, then bind at once.
    account = Account()
    email = "acme-workload@" + str(offline_cloud.config.project) + ".iam.gserviceaccount.com"
    offline_cloud.store.insert(
        "serviceaccount.account",
        f"projects/{offline_cloud.config.project}/serviceAccounts/{email}",
        {"email": email, "visibleAt": time.time() + 60, "uniqueId": "1"},
    )
    grant = {"bucket": "acme-data", "role": "roles/x.y", "member": f"serviceAccount:{email}"}
    with pytest.raises(CloudError, match=f"Service account {email} does not exist") as raised:
        create(lagging, BucketIAMMember(), grant)
    assert raised.value.code == 400 and not retry.retryable(raised.value)
    assert account.token  # the account kind is the one that must wait (next test)


def test_account_create_waits_until_iam_sees_the_account(offline_cloud: Cloud) -> None:
    create(offline_cloud, Bucket(), {"name": "acme-data", "location": "EU"})
    started = time.monotonic()
    _, account = create(offline_cloud.lagging(1.0), Account(), {"accountId": "acme-workload"})
    assert time.monotonic() - started >= 1.0
    grant = {"bucket": "acme-data", "role": "roles/x.y", "member": account["member"]}
    create(offline_cloud, BucketIAMMember(), grant)  # no "does not exist"


# --- taken names and quotas ------------------------------------------------------------


def test_a_bucket_name_taken_elsewhere_is_a_409_that_is_not_retried(offline_cloud: Cloud) -> None:
    claim_bucket_name(offline_cloud.store, "acme-data")
    with pytest.raises(CloudError, match="Error 409: The requested bucket name is not available"):
        create(offline_cloud, Bucket(), {"name": "acme-data", "location": "EU"})
    assert not retry.retryable(CloudError(409, "x"))


def test_the_101st_service_account_is_a_quota_error(
    offline_cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(QUOTA_ENV, "3")
    for index in range(3):
        create(offline_cloud, Account(), {"accountId": f"account-{index}"})
    with pytest.raises(CloudError, match="Maximum number of service accounts") as raised:
        create(offline_cloud, Account(), {"accountId": "account-3"})
    assert raised.value.code == 429 and raised.value.status == "RESOURCE_EXHAUSTED"


class _RivalBetweenCalls:
    """The store as two plugin processes see it: after this create's first store call,
    another process creates its own account before this create goes on."""

    def __init__(self, store: Any, rival: Any) -> None:
        self._store = store
        self._rival = rival

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            rival, self._rival = self._rival, None
            if rival is not None:
                rival()
            return result

        return call


def test_two_processes_creating_at_the_quota_get_one_account_not_two(
    offline_cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two stacks deploy at once, each in its own plugin process; with room for one more
    # account, IAM creates one and refuses the other. CI once saw both succeed.
    monkeypatch.setenv(QUOTA_ENV, "1")
    outcomes: list[str] = []

    def rival() -> None:
        try:
            create(offline_cloud, Account(), {"accountId": "rival-account"})
            outcomes.append("rival created")
        except CloudError:
            outcomes.append("rival refused")

    racing = Cloud(offline_cloud.config, _RivalBetweenCalls(offline_cloud.store, rival))
    try:
        create(racing, Account(), {"accountId": "first-account"})
        outcomes.append("first created")
    except CloudError:
        outcomes.append("first refused")
    assert sorted(outcomes) in (
        ["first created", "rival refused"],
        ["first refused", "rival created"],
    )
    parent = f"projects/{offline_cloud.config.project}"
    assert offline_cloud.store.count(ACCOUNT_KIND, parent) == 1


def test_the_default_quota_is_iams_100(monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox.provider.serviceaccount import account_quota

    monkeypatch.delenv(QUOTA_ENV, raising=False)
    assert account_quota() == 100


# --- the provider's retries (pure) -----------------------------------------------------


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (CloudError(429, "rate", reason="RATE_LIMIT_EXCEEDED"), True),
        (CloudError(429, "quota", status="RESOURCE_EXHAUSTED"), True),
        (CloudError(503, "unavailable"), True),
        (CloudError(409, "taken"), False),
        (CloudError(400, "Service account x does not exist."), False),
        (ProviderError("anything else"), False),
    ],
)
def test_what_the_provider_retries(error: Exception, retried: bool) -> None:
    assert retry.retryable(error) is retried


def test_retries_stop_when_the_budget_is_spent() -> None:
    clock = [0.0]
    calls = []

    def failing() -> None:
        calls.append(clock[0])
        raise CloudError(429, "quota", status="RESOURCE_EXHAUSTED")

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    with pytest.raises(CloudError):
        retry.with_retries(failing, 90, sleep=sleep, clock=lambda: clock[0])
    assert len(calls) > 5 and calls[-1] <= 90


def test_a_retried_call_that_recovers_returns_its_value() -> None:
    answers = iter([CloudError(429, "rate"), CloudError(503, "x"), "ok"])

    def flaky() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert retry.with_retries(flaky, 10, sleep=lambda _: None) == "ok"


def test_the_budget_defaults_to_the_transports_90_seconds() -> None:
    assert retry.retry_budget({}) == 90.0
    assert retry.retry_budget({retry.RETRY_ENV: "2"}) == 2.0


# --- the faults, through the provider --------------------------------------------------


def test_new_fault_actions_parse() -> None:
    assert parse_faults("create:data:taken;create:workload:lag=2.5;create::ratelimit=2") == (
        FaultRule("create", "data", "taken"),
        FaultRule("create", "workload", "lag", 2.5),
        FaultRule("create", "", "ratelimit", 2.0),
    )


BUCKET_URN = "urn:pulumi:dev::mlaas::gcp:storage/bucket:Bucket::acme-data"


def provider_with(faults: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SandboxProvider:
    monkeypatch.setenv("SANDBOX_STATE_DB", str(tmp_path / "sandbox.db"))
    monkeypatch.setenv("SANDBOX_FAULTS", faults)
    monkeypatch.setenv(retry.RETRY_ENV, "1")
    provider = SandboxProvider()
    asyncio.run(
        provider.configure(ConfigureRequest({"gcp:config:project": "demo-faults"}, {}, True, False))
    )
    return provider


def create_bucket(provider: SandboxProvider, location: str = "EU") -> Any:
    news = plain_to_props({"name": "acme-data", "location": location}, frozenset())
    checked = asyncio.run(provider.check(CheckRequest(BUCKET_URN, {}, news, b"")))
    assert checked.failures == []
    return asyncio.run(provider.create(CreateRequest(BUCKET_URN, checked.inputs, 60, False)))


def test_a_rate_limit_is_retried_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    provider = provider_with("create:acme-data:ratelimit=2", tmp_path, monkeypatch)
    assert create_bucket(provider).resource_id == "acme-data"
    assert provider._attempts[("create", BUCKET_URN)] == 3


def test_a_quota_error_surfaces_after_the_retry_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = provider_with("create:acme-data:quota", tmp_path, monkeypatch)
    with pytest.raises(CloudError, match="Error 429: Quota exceeded"):
        create_bucket(provider)
    assert provider._attempts[("create", BUCKET_URN)] > 1


def test_the_taken_fault_claims_the_name_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = provider_with("create:acme-data:taken", tmp_path, monkeypatch)
    with pytest.raises(CloudError, match="Error 409"):
        create_bucket(provider)
    assert provider._attempts == {}, "a 409 is not retried"


def test_a_bad_location_passes_check_and_fails_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = provider_with("", tmp_path, monkeypatch)
    with pytest.raises(CloudError, match="location constraint is not valid"):
        create_bucket(provider, location="EUROPE-WEST99")
