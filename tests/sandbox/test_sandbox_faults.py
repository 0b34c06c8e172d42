"""SANDBOX_FAULTS: parsing, matching, and what the provider does with `fail` and `hang`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import CheckRequest, ConfigureRequest, DeleteRequest

from sandbox.provider.faults import FaultRule, FaultSpecError, find_fault, parse_faults
from sandbox.provider.resource import ProviderError
from sandbox.provider.server import SandboxProvider
from sandbox.provider.storage import BUCKET_KIND
from sandbox.provider.store import Store

URN = "urn:pulumi:dev::mlaas::gcp:storage/bucket:Bucket::tenant-one-data"


def test_rules_parse() -> None:
    assert parse_faults(" create:tenant-one:fail ; delete::hang;") == (
        FaultRule("create", "tenant-one", "fail"),
        FaultRule("delete", "", "hang"),
    )


def test_the_substring_may_hold_colons() -> None:
    (rule,) = parse_faults("read:gcp:storage/bucket:Bucket::tenant:fail")
    assert rule.urn_substring == "gcp:storage/bucket:Bucket::tenant"
    assert rule.matches("read", URN)


@pytest.mark.parametrize(
    "spec", ["create", "create:x", "explode:x:fail", "create:x:crash", "create:x:fail;oops"]
)
def test_bad_rules_are_refused_with_the_variable_named(spec: str) -> None:
    with pytest.raises(FaultSpecError, match="SANDBOX_FAULTS"):
        parse_faults(spec)


@pytest.mark.parametrize(
    ("operation", "urn", "found"),
    [("create", URN, True), ("update", URN, False), ("create", URN.replace("one", "two"), False)],
)
def test_rules_match_operation_and_urn(operation: str, urn: str, found: bool) -> None:
    rules = parse_faults("create:tenant-one:fail")
    assert (find_fault(rules, operation, urn) is not None) is found


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SandboxProvider:
    monkeypatch.setenv("SANDBOX_STATE_DB", str(tmp_path / "sandbox.db"))
    return SandboxProvider()


def configure(provider: SandboxProvider, monkeypatch: pytest.MonkeyPatch, spec: str) -> None:
    monkeypatch.setenv("SANDBOX_FAULTS", spec)
    request = ConfigureRequest({}, {"project": PropertyValue("demo-a")}, True, False)
    asyncio.run(provider.configure(request))


def test_fail_makes_the_operation_error(
    provider: SandboxProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(provider, monkeypatch, "check:tenant-one:fail")
    request = CheckRequest(URN, {}, {"location": PropertyValue("EU")}, b"")
    with pytest.raises(ProviderError, match="sandbox fault injected"):
        asyncio.run(provider.check(request))


def test_other_resources_are_untouched(
    provider: SandboxProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(provider, monkeypatch, "check:tenant-two:fail")
    response = asyncio.run(
        provider.check(CheckRequest(URN, {}, {"location": PropertyValue("EU")}, b""))
    )
    assert not response.failures


def test_hang_blocks_until_the_engine_cancels(
    provider: SandboxProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(provider, monkeypatch, "delete:tenant-one:hang")

    async def scenario() -> str:
        delete = asyncio.create_task(provider.delete(DeleteRequest(URN, "tenant-one-data", {}, 0)))
        await asyncio.sleep(0.3)
        assert not delete.done(), "a hung operation must not finish by itself"
        await provider.cancel()
        try:
            await asyncio.wait_for(delete, timeout=5)
        except ProviderError as error:
            return str(error)
        return "finished without error"

    assert "hung until cancelled" in asyncio.run(scenario())


def test_hang_after_does_the_operation_then_blocks_its_answer(
    provider: SandboxProvider, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What a kill then leaves: a pending operation whose cloud side already happened."""
    configure(provider, monkeypatch, "delete:tenant-one:hang-after")
    store = Store(tmp_path / "sandbox.db")
    store.insert(BUCKET_KIND, "tenant-one-data", {"name": "tenant-one-data"})

    async def scenario() -> str:
        delete = asyncio.create_task(provider.delete(DeleteRequest(URN, "tenant-one-data", {}, 0)))
        await asyncio.sleep(0.3)
        assert not delete.done(), "the answer must not come by itself"
        assert store.get(BUCKET_KIND, "tenant-one-data") is None, "the cloud did the delete"
        await provider.cancel()
        try:
            await asyncio.wait_for(delete, timeout=5)
        except ProviderError as error:
            return str(error)
        return "finished without error"

    assert "was done, then its answer hung until cancelled" in asyncio.run(scenario())


def test_a_bad_spec_fails_configure(
    provider: SandboxProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(FaultSpecError):
        configure(provider, monkeypatch, "create:x:explode")
