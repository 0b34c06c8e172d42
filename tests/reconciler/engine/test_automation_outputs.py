"""The adapter's outputs from the event stream: secrets masked at any depth, none decrypted."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.engine.automation.events import outputs_from_cli, outputs_from_event

# What the engine's event stream carries for a secret (never the plaintext).
SECRET = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    "ciphertext": "[secret]",
}
ASSET = {"4dabf18193072939515e22adb298388d": "c44067f5952c0a294b673a41bacd8c17", "path": "x"}


@pytest.mark.parametrize(
    ("event", "value", "secret"),
    [
        ("plain", "plain", False),
        (3, 3, False),
        (SECRET, "[secret]", True),
        ({"a": SECRET, "b": 1}, {"a": "[secret]", "b": 1}, False),
        ([1, SECRET, [SECRET]], [1, "[secret]", ["[secret]"]], False),
        (ASSET, ASSET, False),  # other signatures pass through: only secrets are masked
        (None, None, False),
    ],
)
def test_event_outputs_mask_every_secret(event: Any, value: Any, secret: bool) -> None:
    (out,) = outputs_from_event({"key": event}).values()
    assert (out.value, out.secret) == (value, secret)


def test_no_outputs_event_body_is_no_outputs() -> None:
    assert outputs_from_event(None) == {}


def test_the_masked_cli_read_marks_secrets() -> None:
    outputs = outputs_from_cli({"tenantId": "t-1", "apiKey": "[secret]"})
    assert {k: (v.value, v.secret) for k, v in outputs.items()} == {
        "tenantId": ("t-1", False),
        "apiKey": ("[secret]", True),
    }


# `pulumi stack export` without `--show-secrets`: a secret output is the signature object
# with its ciphertext (pulumi/pulumi sdk/go/common/resource/sig/sig.go: `Key`, `Secret`).
EXPORTED_SECRET = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    "ciphertext": "v1:AAAA:bm90LXRoZS1wbGFpbnRleHQ=",
}
EXPORT = {
    "version": 3,
    "deployment": {
        "resources": [
            {"urn": "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", "type": "pulumi:pulumi:Stack"},
            {
                "urn": "urn:pulumi:s::p::gcp:identityplatform/tenant:Tenant::acme-tenant",
                "type": "gcp:identityplatform/tenant:Tenant",
                "custom": True,
                "id": "projects/p/tenants/acme-1",
                "protect": True,
                "outputs": {
                    "name": "acme-1",
                    "clientSecret": EXPORTED_SECRET,
                    "nested": {"keys": [EXPORTED_SECRET], "plain": 1},
                },
            },
        ]
    },
}


def test_stack_resources_masks_every_secret_output(tmp_path) -> None:
    """The adopt path reads a stack's resources: a secret output (its ciphertext, too)
    never reaches a report, at any depth."""
    import json

    from reconciler.engine.automation import AutomationEngine
    from reconciler.engine.port import EngineSettings

    settings = EngineSettings("p", "file://" + str(tmp_path), "passphrase", tmp_path, tmp_path)
    engine = AutomationEngine(settings)
    engine._state_command = lambda args: json.dumps(EXPORT)  # type: ignore[method-assign]
    (resource,) = engine.stack_resources("acme")
    assert resource.name == "acme-tenant" and resource.protected
    assert resource.outputs == {
        "name": "acme-1",
        "clientSecret": "[secret]",
        "nested": {"keys": ["[secret]"], "plain": 1},
    }
