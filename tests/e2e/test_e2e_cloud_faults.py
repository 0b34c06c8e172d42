"""GCP's faults through the real command: `reconciler apply` against the sandbox with
SANDBOX_FAULTS. What the real provider retries succeeds; what it does not becomes a clear
error on that tenant alone, and the other tenant deploys."""

from __future__ import annotations

import pytest

from tests.e2e.harness import TenantRepo

pytestmark = pytest.mark.e2e

QUICK_RETRIES = {"SANDBOX_RETRY_SECONDS": "1"}


def outcomes(repo: TenantRepo, env: dict[str, str]) -> tuple[int, dict[str, dict]]:
    result = repo.run("apply", "--format", "json", extra_env={**QUICK_RETRIES, **env})
    return result.code, {t["tenant"]: t for t in result.json()["tenants"]}


def test_a_bucket_name_taken_elsewhere_fails_that_tenant_clearly(tenant_repo: TenantRepo):
    code, by_tenant = outcomes(tenant_repo, {"SANDBOX_FAULTS": "create:tenant-one-data:taken"})
    assert code == 5
    one, two = by_tenant["tenant-one"], by_tenant["tenant-two"]
    assert one["status"] == "failed"
    assert "409" in one["reason"] and "bucket name is not available" in one["reason"]
    assert two["status"] == "succeeded"


def test_a_rate_limit_is_retried_and_the_apply_succeeds(tenant_repo: TenantRepo):
    code, by_tenant = outcomes(tenant_repo, {"SANDBOX_FAULTS": "create:-workload:ratelimit=2"})
    assert code == 0
    assert {t["status"] for t in by_tenant.values()} == {"succeeded"}


def test_a_fresh_service_account_is_waited_for_before_it_is_granted(tenant_repo: TenantRepo):
    code, by_tenant = outcomes(tenant_repo, {"SANDBOX_FAULTS": "create:-workload:lag=2"})
    assert code == 0, by_tenant
    assert {t["status"] for t in by_tenant.values()} == {"succeeded"}


def test_the_service_account_quota_fails_the_tenant_that_hits_it(tenant_repo: TenantRepo):
    code, by_tenant = outcomes(tenant_repo, {"SANDBOX_SERVICE_ACCOUNT_QUOTA": "1"})
    assert code == 5
    failed = [t for t in by_tenant.values() if t["status"] == "failed"]
    assert len(failed) == 1
    assert "Maximum number of service accounts on project reached" in failed[0]["reason"]
    assert [t["status"] for t in by_tenant.values()].count("succeeded") == 1
