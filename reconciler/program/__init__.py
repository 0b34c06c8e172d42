"""The Pulumi program: one validated `Tenant` in, its GCP resources out.

Modules: `tenant` (the inline program and its outputs), `identity` (Identity Platform),
`isolation` (bucket, service account, IAM), `signin` and `tenant_settings` (the sign-in
settings the provider cannot carry: a catalogue and its dynamic resource; `mfa` for MFA's
shape, `auth_settings` for stacks that still hold the MFA-only resource), `oidc_flow` (an OIDC
provider's response type and client secret), `pickling` (one lock for the dynamic resources),
`secrets` (resolving secret references before the engine starts),
`context` (the per-tenant facts every part shares) and `version` (the program's version,
for fingerprints). Every name is in `reconciler/names.py`, which the gate reads too.

Keep this file free of imports: `version` is used on paths that must not load Pulumi.
"""
