"""The adapter's outputs from the event stream: secrets masked at any depth, none decrypted."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.engine.automation.adapter import outputs_from_cli, outputs_from_event

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
