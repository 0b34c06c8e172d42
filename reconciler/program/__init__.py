"""The Pulumi program: one validated `Tenant` in, its GCP resources out.

Modules: `tenant` (the inline program and its outputs), `identity` (Identity Platform),
`isolation` (bucket, service account, IAM), `auth_settings` (the tenant settings the
provider cannot carry), `secrets` (resolving secret references before the engine starts),
`context` (the per-tenant facts every part shares) and `version` (the program's version,
for fingerprints). Every name is in `reconciler/names.py`, which the gate reads too.

Keep this file free of imports: `version` is used on paths that must not load Pulumi.
"""
