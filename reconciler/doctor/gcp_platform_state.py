"""Where the platform stack's own state lives, and who may write it.

`reconciler platform up` runs with an admin's (owner's) rights and applies whatever its
state says it owns, without a confirmation step. Whoever can write that state can make the
next `up` delete or change resources of their choosing. The deploy account writes the tenant
state bucket (`roles/storage.objectUser`, blueprint.py), so the platform state must never be
there; earlier docs recommended `gs://<tenant state bucket>/platform`.

What the doctor can tell, read-only:

- `setup.platformState` names a place in the tenant state bucket;
- it names another gs:// bucket: that bucket exists, and neither CI account holds a role on
  it (its IAM policy, version 3);
- it names nothing, yet the tenant state bucket holds the platform stack's checkpoint, at
  the root or under `platform/` (Pulumi's DIY layout: `.pulumi/stacks/<project>/<stack>.json`,
  pulumi/pulumi pkg/backend/diy; `GET storage/v1/b/{b}/o?prefix=`, which needs
  storage.objects.list). A listing the doctor may not make tells nothing: no problem.
"""

from __future__ import annotations

from reconciler.doctor.gcp_policies import bindings
from reconciler.doctor.gcp_reader import NotAllowed, ProjectReader
from reconciler.doctor.problems import Problem
from reconciler.platform_setup.blueprint import (
    PLATFORM_PROJECT,
    Blueprint,
    platform_state_bucket,
)

CHECK = "gcp.platform-state"
EARLIER_PREFIXES = ("", "platform/")
"""Where a platform state in the tenant state bucket would be: the root, or the folder the
0.2.0 pre-release docs named."""
MOVE = (
    "move it to a bucket only admins can write, e.g. gs://<control project>-platform-state "
    "(versioned, uniform access, no role for the CI accounts): pulumi stack export from "
    "here, pulumi stack import there, then set setup.platformState (docs/platform-setup.md, "
    "'The platform stack's own state')"
)


def _in_state_bucket(where: str) -> Problem:
    return Problem(
        CHECK,
        f"the platform stack's state ({where}) is in the tenant state bucket, which the "
        "deploy account writes",
        MOVE,
    )


def platform_state(read: ProjectReader, plan: Blueprint) -> list[Problem]:
    """The problems with where the platform stack keeps its state (see the module)."""
    setup = plan.setup
    where = setup.platform_state
    if where and setup.in_state_bucket(where):
        return [_in_state_bucket(where.rstrip("/"))]
    admin = platform_state_bucket(setup)
    if admin:
        return _admin_bucket(read, plan, admin)
    if where:  # not a bucket the doctor can read (file://, s3://, ...)
        return []
    for prefix in EARLIER_PREFIXES:
        try:
            names = read.objects(setup.state_bucket, f"{prefix}.pulumi/stacks/{PLATFORM_PROJECT}/")
        except NotAllowed:
            return []
        if names:
            return [_in_state_bucket(f"gs://{setup.state_bucket}/{prefix}".rstrip("/"))]
    return []


def _admin_bucket(read: ProjectReader, plan: Blueprint, bucket: str) -> list[Problem]:
    if read.bucket(bucket) is None:
        return [
            Problem(
                CHECK,
                f"setup.platformState names gs://{bucket}, which does not exist",
                f"gcloud storage buckets create gs://{bucket} --project "
                f"{plan.setup.control_project} --uniform-bucket-level-access "
                "--public-access-prevention, then move the state there (docs/platform-setup.md)",
            )
        ]
    ours = {plan.member(account): plan.setup.account_email(account) for account in _accounts(plan)}
    return [
        Problem(
            CHECK,
            f"{ours[member]} holds {role} on gs://{bucket}, where the platform stack's state is",
            f"gcloud storage buckets remove-iam-policy-binding gs://{bucket} "
            f"--member {member} --role {role}",
        )
        for role, member, _, _ in bindings(read.bucket_policy(bucket))
        if member in ours
    ]


def _accounts(plan: Blueprint) -> set[str]:
    return {grant.account for grant in plan.grants}
