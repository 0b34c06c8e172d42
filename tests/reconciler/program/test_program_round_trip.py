"""The program sends only what the real provider round-trips without a diff.

Each rule here comes from the upstream code that expands inputs into API calls and
flattens the answer back into state (sandbox/contract.py holds the whole table); these
tests pin what the program declares, the sandbox tests pin what the provider then does.
"""

from __future__ import annotations

from typing import Any

import pytest
from program_harness import ACCOUNT, DEFAULT_IDP, IDENTITY_TENANT, IDP_TYPES, OIDC_IDP, Harness

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


def test_every_resource_carrying_a_client_secret_keeps_it_secret_on_import(harness: Harness):
    """pulumi-gcp marks no Identity Platform output secret, and an import reads the output
    with no secret input to follow: the program asks for it explicitly."""
    run = harness.run(harness.tenant("every-field"))
    carrying = [r for t in IDP_TYPES for r in run.of_type(t) if "clientSecret" in r.inputs]
    assert {r.type for r in carrying} == {DEFAULT_IDP, OIDC_IDP}
    assert all(r.additional_secret_outputs == ("clientSecret",) for r in carrying)
    # Every default IdP and OIDC config may get a secret (code flow, rotations): all ask.
    for type_ in (DEFAULT_IDP, OIDC_IDP):
        assert all(r.additional_secret_outputs == ("clientSecret",) for r in run.of_type(type_))


def test_the_account_description_fits_the_providers_256_bytes(harness: Harness):
    """StringLenBetween(0, 256) counts bytes (Go len): a long non-ASCII owner is cut in
    bytes, on a character boundary, so the preview never fails on it."""
    document = harness.document("every-field")
    document["metadata"]["owner"] = "ö" * 150 + "@acme.example.com"
    description = harness.run_document(document).one(ACCOUNT).inputs["description"]
    assert len(description.encode("utf-8")) <= DESCRIPTION_MAX_BYTES
    assert description.startswith("Workloads of tenant every-field, owner öö")
