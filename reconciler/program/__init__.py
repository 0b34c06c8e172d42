"""The Pulumi program: one validated `Tenant` in, its GCP resources out.

Modules: `tenant` (the inline program and its outputs), `identity` (Identity Platform),
`isolation` (bucket, service account, IAM), `naming` (every name, pure), `secrets`
(resolving secret references before the engine starts), `context` (the per-tenant
facts every part shares) and `version` (the program's version, for fingerprints).

Keep this file free of imports: `version` and `naming` are used on paths that must not
load Pulumi.
"""
