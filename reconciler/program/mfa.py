"""A tenant's multi-factor settings as the API has them (`mfaConfig`): pure functions.

`state` is the API's enum `DISABLED`, `ENABLED` or `MANDATORY` (Identity Toolkit v2
`GoogleCloudIdentitytoolkitAdminV2MultiFactorAuthConfig.state`, enum `STATE_UNSPECIFIED,
DISABLED, ENABLED, MANDATORY`, in the discovery document firebase-tools 15.34.2 generates
`lib/emulator/auth/apiSpec.js` from; magic-modules `mmv1/products/identityplatform/Config.yaml`
lists the same three for `mfa.state`). firebase-admin-node's `MultiFactorAuthConfig.validate`
accepts only ENABLED and DISABLED: that is the SDK's limit, not the API's, so MANDATORY is
sent as the manifest says.
"""

from __future__ import annotations

from typing import Any

from reconciler.manifests.signin import Mfa

PHONE_SMS = "PHONE_SMS"
TOTP = "TOTP"
UPDATE_MASK = ["mfaConfig.state", "mfaConfig.enabledProviders", "mfaConfig.providerConfigs"]
"""Leaf paths: AIP-134 replaces a masked repeated field, so stale factors never linger."""
DEFAULT_MFA_CONFIG: dict[str, Any] = {
    "state": "DISABLED",
    "enabledProviders": [],
    "providerConfigs": [],
}
"""What a new tenant has (the emulator's createTenant defaults) and what delete restores."""


def desired_mfa_config(mfa: Mfa) -> dict[str, Any]:
    """The API's `mfaConfig` for the manifest's `auth.mfa`.

    SMS goes in `enabledProviders`; TOTP in `providerConfigs` (the API reference: that list
    "does not support phone based MFA"). Whether a second factor is optional or
    required is the top-level state. TOTP's entry has a state of its own that the top-level
    one does not govern (it "is only for enabling providers listed in EnabledProviders":
    firebase/firebase-admin-go PR #569), so it follows the top-level switch: MFA switched
    off must not leave TOTP on.
    """
    providers = [PHONE_SMS] if PHONE_SMS in mfa.factors else []
    configs = []
    if TOTP in mfa.factors:
        configs.append(
            {
                "state": "DISABLED" if mfa.state == "DISABLED" else "ENABLED",
                "totpProviderConfig": {"adjacentIntervals": mfa.totp_adjacent_intervals},
            }
        )
    return {"state": mfa.state, "enabledProviders": providers, "providerConfigs": configs}


def normalized(config: Any) -> dict[str, Any]:
    """`mfaConfig` in one canonical form, so the API's omissions never look like drift.

    The API leaves out empty lists and default values (an unset state reads as absent or
    STATE_UNSPECIFIED, which means DISABLED); providers are a set, sorted here.
    """
    config = config if isinstance(config, dict) else {}
    state = config.get("state") or "DISABLED"
    providers = sorted({str(p) for p in config.get("enabledProviders") or []})
    configs = []
    for item in config.get("providerConfigs") or []:
        totp = item.get("totpProviderConfig")
        if totp is None:
            continue
        configs.append(
            {
                "state": item.get("state") or "DISABLED",
                "totpProviderConfig": {"adjacentIntervals": int(totp.get("adjacentIntervals", 0))},
            }
        )
    return {
        "state": "DISABLED" if state == "STATE_UNSPECIFIED" else state,
        "enabledProviders": providers,
        "providerConfigs": configs,
    }
