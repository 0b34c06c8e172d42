"""The doctor's checks of the Google Cloud side: a live project against the blueprint.

`CHECKS` is a list of named checks; each takes a `GcpTarget` (the reader port and the
blueprint platform.yaml describes) and returns its `Problem`s, each naming the check, what
is wrong and the fix. Nothing here writes. `run_checks` turns a refused or failed read
into a problem of its own, so one missing permission never hides the other checks.

Identity running the doctor: the admin's, or one with roles/iam.securityReviewer and
roles/serviceusage.serviceUsageViewer on both projects (policies, pools, roles, services),
plus storage.buckets.get, cloudkms.cryptoKeys.get and firebaseauth.configs.get — never the
CI identities (docs/platform-setup.md). With storage.objects.list on the tenant state bucket
it also finds a platform state kept there (without it, that look is skipped). User
credentials need a quota project for Identity Toolkit (`gcloud auth application-default
set-quota-project`); a SERVICE_DISABLED refusal says so instead of blaming the roles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reconciler.doctor.gcp_platform_state import platform_state
from reconciler.doctor.gcp_policies import UP, impersonation, policy_problems
from reconciler.doctor.gcp_reader import (
    Json,
    NotAllowed,
    ProjectReader,
    QuotaProjectRefused,
    ReadFailed,
)
from reconciler.doctor.problems import Problem
from reconciler.gcp.rest import Unreachable
from reconciler.platform_setup.blueprint import ACTIONS_OIDC_ISSUER, Blueprint


@dataclass(frozen=True)
class GcpTarget:
    """What a check is handed: where to read, and what should be there."""

    read: ProjectReader
    plan: Blueprint

    def project_number(self, project: str) -> str:
        found = self.read.project(project)
        if found is None:
            raise ReadFailed(f"project {project} does not exist or is not visible")
        return str(found.get("projectNumber", ""))


def apis(target: GcpTarget) -> list[Problem]:
    found = []
    for project in sorted({p for p, _ in target.plan.apis}):
        enabled = target.read.enabled_services(project)
        for p, service in target.plan.apis:
            if p == project and service not in enabled:
                found.append(
                    Problem(
                        "gcp.apis",
                        f"{service} is not enabled in project {project}",
                        f"{UP}, or: gcloud services enable {service} --project {project}",
                    )
                )
    return found


def identity_platform(target: GcpTarget) -> list[Problem]:
    project = target.plan.setup.project
    config = target.read.identity_config(project)
    if config is None:
        return [
            Problem(
                "gcp.identity-platform",
                f"Identity Platform is not enabled in project {project}",
                f"{UP} (or the console: Identity Platform > Enable)",
            )
        ]
    if not (config.get("multiTenant") or {}).get("allowTenants"):
        return [
            Problem(
                "gcp.identity-platform",
                f"multi-tenancy is off in project {project}: no tenant can be created",
                f"{UP} --existing-identity-platform, or PATCH admin/v2/projects/{project}/config"
                "?updateMask=multiTenant.allowTenants with multiTenant.allowTenants=true",
            )
        ]
    return []


def state_bucket(target: GcpTarget) -> list[Problem]:
    name = target.plan.setup.state_bucket
    bucket = target.read.bucket(name)
    if bucket is None:
        return [Problem("gcp.state-bucket", f"the state bucket gs://{name} does not exist", UP)]
    iam = bucket.get("iamConfiguration") or {}
    wanted = (
        (
            (bucket.get("versioning") or {}).get("enabled") is True,
            "versioning is off: an earlier state cannot be restored after a bad write",
            "--versioning",
        ),
        (
            (iam.get("uniformBucketLevelAccess") or {}).get("enabled") is True,
            "uniform bucket-level access is off: object ACLs can open state files",
            "--uniform-bucket-level-access",
        ),
        (
            iam.get("publicAccessPrevention") == "enforced",
            "public access prevention is not enforced",
            "--public-access-prevention",
        ),
    )
    return [
        Problem(
            "gcp.state-bucket",
            f"gs://{name}: {what}",
            f"{UP}, or: gcloud storage buckets update gs://{name} {flag}",
        )
        for holds, what, flag in wanted
        if not holds
    ]


def kms_key(target: GcpTarget) -> list[Problem]:
    name = target.plan.setup.kms.name
    key = target.read.crypto_key(name)
    if key is None:
        return [Problem("gcp.kms-key", f"the KMS key {name} does not exist", UP)]
    found = []
    if key.get("purpose") != "ENCRYPT_DECRYPT":
        found.append(
            Problem(
                "gcp.kms-key",
                f"{name} has purpose {key.get('purpose')}, not ENCRYPT_DECRYPT: Pulumi "
                "cannot encrypt with it",
                "point pulumi.secretsProvider at an ENCRYPT_DECRYPT key",
            )
        )
    state = (key.get("primary") or {}).get("state")
    if state != "ENABLED":
        found.append(
            Problem(
                "gcp.kms-key",
                f"{name}'s primary version is {state or 'missing'}: new stacks cannot "
                "encrypt their secrets",
                f"gcloud kms keys versions enable (or restore) the primary version of {name}",
            )
        )
    if not key.get("rotationPeriod"):
        found.append(
            Problem(
                "gcp.kms-key",
                f"{name} is never rotated",
                f"{UP}, or: gcloud kms keys update with --rotation-period 90d",
            )
        )
    return found


def _normal(expression: str) -> str:
    return re.sub(r"\s+", "", expression).replace('"', "'")


def workload_identity(target: GcpTarget) -> list[Problem]:
    setup = target.plan.setup
    check = "gcp.workload-identity"
    pool = target.read.pool(setup.control_project, setup.pool)
    if pool is None:
        return [
            Problem(
                check,
                f"the Workload Identity pool {setup.pool} does not exist in "
                f"{setup.control_project}: no workflow can authenticate",
                UP,
            )
        ]
    found = []
    if pool.get("disabled") or pool.get("state", "ACTIVE") != "ACTIVE":
        found.append(Problem(check, f"pool {setup.pool} is {_state(pool)}", f"{UP} (undelete)"))
    provider = target.read.provider(setup.control_project, setup.pool, setup.provider)
    if provider is None:
        return [*found, Problem(check, f"the provider {setup.provider} does not exist", UP)]
    if provider.get("disabled") or provider.get("state", "ACTIVE") != "ACTIVE":
        found.append(Problem(check, f"provider {setup.provider} is {_state(provider)}", UP))
    issuer = str((provider.get("oidc") or {}).get("issuerUri", "")).rstrip("/")
    if issuer != ACTIONS_OIDC_ISSUER:
        found.append(Problem(check, f"the provider trusts {issuer or 'no issuer'}", UP))
    found += _condition_problems(target, provider)
    return found


def _state(resource: Json) -> str:
    return "disabled" if resource.get("disabled") else str(resource.get("state", "unknown"))


def _condition_problems(target: GcpTarget, provider: Json) -> list[Problem]:
    check, plan = "gcp.workload-identity", target.plan
    condition = str(provider.get("attributeCondition", ""))
    normal = _normal(condition)
    fix = f"{UP} (the condition: {plan.attribute_condition})"
    found = []
    if "||" in normal:
        found.append(Problem(check, "the provider's condition has an alternative (||)", fix))
    if f"assertion.repository_id=='{plan.setup.repository_id}'" not in normal:
        found.append(
            Problem(
                check,
                f"the provider's condition does not pin repository id "
                f"{plan.setup.repository_id}: other repositories' tokens may be accepted",
                fix,
            )
        )
    if "assertion.ref=='refs/heads/main'" not in normal:
        found.append(
            Problem(check, "the provider's condition does not require refs/heads/main", fix)
        )
    mapping = provider.get("attributeMapping") or {}
    for claim in sorted(set(re.findall(r"assertion\.(\w+)", condition))):
        if f"assertion.{claim}" not in {_normal(v) for v in mapping.values()}:
            found.append(
                Problem(check, f"the condition reads assertion.{claim}, which is not mapped", fix)
            )
    for attribute, value in plan.attribute_mapping.items():
        if _normal(str(mapping.get(attribute, ""))) != _normal(value):
            found.append(
                Problem(
                    check,
                    f"{attribute} is mapped to {mapping.get(attribute) or 'nothing'}, the "
                    f"bindings expect {value}",
                    UP,
                )
            )
    return found


def service_accounts(target: GcpTarget) -> list[Problem]:
    setup, found = target.plan.setup, []
    for email in (setup.preview_account, setup.deploy_account):
        account = target.read.service_account(setup.control_project, email)
        if account is None:
            found.append(Problem("gcp.service-accounts", f"{email} does not exist", UP))
        elif account.get("disabled"):
            found.append(
                Problem(
                    "gcp.service-accounts",
                    f"{email} is disabled",
                    f"gcloud iam service-accounts enable {email}",
                )
            )
    return found


def custom_roles(target: GcpTarget) -> list[Problem]:
    found = []
    for role in target.plan.roles:
        live = target.read.custom_role(role.project, role.role_id)
        if live is None or live.get("deleted"):
            state = "is deleted" if live else "does not exist"
            found.append(Problem("gcp.custom-roles", f"{role.name} {state}", UP))
            continue
        held = set(live.get("includedPermissions") or [])
        missing, extra = sorted(set(role.permissions) - held), sorted(held - set(role.permissions))
        if missing:
            found.append(Problem("gcp.custom-roles", f"{role.name} lacks {', '.join(missing)}", UP))
        if extra:
            found.append(
                Problem(
                    "gcp.custom-roles",
                    f"{role.name} also holds {', '.join(extra)}, beyond what the jobs use",
                    UP,
                )
            )
    return found


def grants(target: GcpTarget) -> list[Problem]:
    """Project, bucket and key policies: every expected grant, nothing broader for the CI
    accounts, and no condition IAM can never satisfy."""
    return policy_problems(target.read, target.plan, target.project_number)


def impersonations(target: GcpTarget) -> list[Problem]:
    """Who may act as each CI account: exactly the blueprint's principal sets."""
    return impersonation(target.read, target.plan, target.project_number)


def platform_state_location(target: GcpTarget) -> list[Problem]:
    """The platform stack's own state: nowhere a CI account can write."""
    return platform_state(target.read, target.plan)


NamedCheck = tuple[str, Callable[[GcpTarget], Iterable[Problem]]]
CHECKS: tuple[NamedCheck, ...] = (
    ("gcp.apis", apis),
    ("gcp.identity-platform", identity_platform),
    ("gcp.state-bucket", state_bucket),
    ("gcp.kms-key", kms_key),
    ("gcp.workload-identity", workload_identity),
    ("gcp.service-accounts", service_accounts),
    ("gcp.custom-roles", custom_roles),
    ("gcp.grants", grants),
    ("gcp.impersonation", impersonations),
    ("gcp.platform-state", platform_state_location),
)
READER_ROLES = "roles/iam.securityReviewer and roles/serviceusage.serviceUsageViewer"


def run_checks(target: GcpTarget, checks: Iterable[NamedCheck] = CHECKS) -> list[Problem]:
    """Every check's problems, in order; a read that failed is a problem of its check."""
    found: list[Problem] = []
    for name, check in checks:
        try:
            found += list(check(target))
        except QuotaProjectRefused as error:
            # User credentials need a quota project for Identity Toolkit, and it must have
            # the API on (https://cloud.google.com/docs/quotas/set-quota-project).
            found.append(
                Problem(
                    name,
                    f"cannot read {error}",
                    "set the quota project of your application-default credentials: "
                    "gcloud auth application-default set-quota-project "
                    f"{target.plan.setup.project} (docs/platform-setup.md)",
                )
            )
        except NotAllowed as error:
            found.append(
                Problem(
                    name,
                    f"cannot read {error}",
                    f"run the doctor as an identity with {READER_ROLES} on both projects",
                )
            )
        except (ReadFailed, Unreachable) as error:
            found.append(Problem(name, f"could not check: {error}", "run the doctor again"))
    return found
