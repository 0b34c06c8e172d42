"""The program sends only what the real provider round-trips without a diff.

Each rule here comes from the upstream code that expands inputs into API calls and
flattens the answer back into state (sandbox/contract.py holds the whole table); these
tests pin what the program declares, the sandbox tests pin what the provider then does.
"""

from __future__ import annotations

from typing import Any

import pytest
from program_harness import (
    ACCOUNT,
    DEFAULT_IDP,
    IDENTITY_TENANT,
    OIDC_FLOW,
    OIDC_IDP,
    SIGN_IN,
    Harness,
)
from pulumi.runtime import rpc

from reconciler.program.isolation import DESCRIPTION_MAX_BYTES


@pytest.mark.parametrize(
    ("permissions", "client"),
    [
        ({}, None),
        ({"disabledUserSignup": False, "disabledUserDeletion": False}, None),
        (
            {"disabledUserSignup": True},
            {"permissions": {"disabledUserSignup": True, "disabledUserDeletion": False}},
        ),
        (
            {"disabledUserDeletion": True},
            {"permissions": {"disabledUserSignup": False, "disabledUserDeletion": True}},
        ),
    ],
)
def test_the_client_block_is_sent_only_while_a_permission_is_on(
    harness: Harness, permissions: dict[str, bool], client: dict[str, Any] | None
):
    """resource_identity_platform_tenant.go drops false leaves and empty objects on the way
    out and reads an empty client back as no block: two false flags would diff forever."""
    document = harness.document("every-field")
    document["spec"]["auth"]["clientPermissions"] = permissions
    inputs = harness.run_document(document).one(IDENTITY_TENANT).inputs
    assert inputs.get("client") == client


def test_every_resource_carrying_a_secret_keeps_it_secret_in_state(harness: Harness):
    """pulumi-gcp marks no Identity Platform output secret, and an import reads the output
    with no secret input to follow; a dynamic provider's outputs are what its code returns.
    So every resource that sends or reads back a secret asks for it explicitly: the default
    IdP's and the OIDC flow's client secret, the sign-in settings' test phone codes, and the
    OIDC config's client secret, which it no longer sends (the flow does) but reads back."""
    run = harness.run(harness.tenant("every-field"))
    secret_inputs = {
        (r.type, key)
        for r in run.registrations
        for key, value in r.inputs.items()
        if not key.startswith("__") and rpc.is_rpc_secret(value)
    }
    assert secret_inputs == {
        (DEFAULT_IDP, "clientSecret"),
        (OIDC_FLOW, "clientSecret"),
        (SIGN_IN, "testPhoneNumbers"),
    }
    # Every resource of these types asks, whether or not this one holds a secret yet (an idToken
    # flow, a tenant without test numbers, a rotation to come).
    asked = {
        DEFAULT_IDP: ("clientSecret",),
        OIDC_IDP: ("clientSecret",),
        OIDC_FLOW: ("clientSecret",),
        SIGN_IN: ("testPhoneNumbers",),
    }
    for type_, outputs in asked.items():
        assert run.of_type(type_), type_
        assert all(r.additional_secret_outputs == outputs for r in run.of_type(type_)), type_
    # The OIDC config does not send the secret the flow sets, and ignores the one it reads.
    assert all("clientSecret" not in r.inputs for r in run.of_type(OIDC_IDP))
    assert all("clientSecret" in r.ignore_changes for r in run.of_type(OIDC_IDP))


def test_the_account_description_fits_the_providers_256_bytes(harness: Harness):
    """StringLenBetween(0, 256) counts bytes (Go len): a long non-ASCII owner is cut in
    bytes, on a character boundary, so the preview never fails on it."""
    document = harness.document("every-field")
    document["metadata"]["owner"] = "ö" * 150 + "@acme.example.com"
    description = harness.run_document(document).one(ACCOUNT).inputs["description"]
    assert len(description.encode("utf-8")) <= DESCRIPTION_MAX_BYTES
    assert description.startswith("Workloads of tenant every-field, owner öö")
