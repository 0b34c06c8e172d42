"""The platform's own set-up as code: what an admin creates once, before the first tenant.

`blueprint` says what must exist (APIs, Identity Platform, the state bucket, the KMS key,
the Workload Identity pool and provider, the two CI accounts, their roles and grants) as
plain data, which the Pulumi program (`program`) builds and the doctor checks; `github`
sets up the repository side (environments, reviewers, branch protection, variables)
through GitHub's REST API. Nothing here is read by a tenant run.
"""
