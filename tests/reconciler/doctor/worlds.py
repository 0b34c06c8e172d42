"""A project set up exactly as the blueprint says, as the Google APIs would answer for it;
tests break one thing at a time."""

from __future__ import annotations

from typing import Any

from google_standin import World

from reconciler.platform_setup.blueprint import ACTIONS_OIDC_ISSUER, PROJECT_NUMBER, Blueprint

NUMBERS = {"acme-ml-platform": "123456789012", "acme-ml-control": "210987654321"}


def _expression(grant: Any, plan: Blueprint) -> str:
    return grant.condition.expression.replace(PROJECT_NUMBER, NUMBERS[plan.setup.project])


def _add(policy: dict[str, Any], role: str, member: str, condition: dict | None) -> None:
    for binding in policy["bindings"]:
        if binding["role"] == role and binding.get("condition") == condition:
            binding["members"].append(member)
            return
    binding: dict[str, Any] = {"role": role, "members": [member]}
    if condition is not None:
        binding["condition"] = condition
    policy["bindings"].append(binding)


def healthy(plan: Blueprint) -> World:
    setup = plan.setup
    world = World()
    r = world.resources
    for project, service in plan.apis:
        world.services.setdefault(project, set()).add(service)
    for project in {setup.project, setup.control_project}:
        r[f"v1/projects/{project}"] = {"projectId": project, "projectNumber": NUMBERS[project]}
        r[f"v1/projects/{project}:getIamPolicy"] = {
            "version": 3,
            "bindings": [{"role": "roles/owner", "members": ["user:admin@acme.io"]}],
        }
    r[f"admin/v2/projects/{setup.project}/config"] = {
        "name": f"projects/{setup.project}/config",
        "multiTenant": {"allowTenants": True},
        "subtype": "IDENTITY_PLATFORM",
    }
    bucket = f"storage/v1/b/{setup.state_bucket}"
    r[bucket] = {
        "name": setup.state_bucket,
        "location": "EU",
        "versioning": {"enabled": True},
        "iamConfiguration": {
            "uniformBucketLevelAccess": {"enabled": True},
            "publicAccessPrevention": "enforced",
        },
    }
    r[f"{bucket}/iam"] = {"version": 1, "bindings": []}
    key = f"v1/{setup.kms.name}"
    r[key] = {
        "name": setup.kms.name,
        "purpose": "ENCRYPT_DECRYPT",
        "primary": {"name": f"{setup.kms.name}/cryptoKeyVersions/1", "state": "ENABLED"},
        "rotationPeriod": "7776000s",
    }
    r[f"{key}:getIamPolicy"] = {"version": 1, "bindings": []}
    control = NUMBERS[setup.control_project]
    pool = f"projects/{control}/locations/global/workloadIdentityPools/{setup.pool}"
    pools = f"v1/projects/{setup.control_project}/locations/global/workloadIdentityPools"
    r[f"{pools}/{setup.pool}"] = {"name": pool, "state": "ACTIVE", "disabled": False}
    r[f"{pools}/{setup.pool}/providers/{setup.provider}"] = {
        "name": f"{pool}/providers/{setup.provider}",
        "state": "ACTIVE",
        "disabled": False,
        "attributeMapping": dict(plan.attribute_mapping),
        "attributeCondition": plan.attribute_condition,
        "oidc": {"issuerUri": ACTIONS_OIDC_ISSUER + "/"},  # Google's own example writes the slash
    }
    for email in (setup.preview_account, setup.deploy_account):
        account = f"v1/projects/{setup.control_project}/serviceAccounts/{email}"
        r[account] = {"email": email, "disabled": False}
        r[f"{account}:getIamPolicy"] = {"version": 1, "bindings": []}
    for item in plan.impersonations:
        email = setup.account_email(item.account)
        policy = r[f"v1/projects/{setup.control_project}/serviceAccounts/{email}:getIamPolicy"]
        _add(policy, "roles/iam.workloadIdentityUser", plan.principal_set(pool, item), None)
    for role in plan.roles:
        r[f"v1/projects/{role.project}/roles/{role.role_id}"] = {
            "name": role.name,
            "includedPermissions": list(role.permissions),
            "stage": "GA",
        }
    for grant in plan.grants:
        kind, _, name = grant.on.partition(":")
        where = {
            "project": f"v1/projects/{name}:getIamPolicy",
            "bucket": f"{bucket}/iam",
            "key": f"{key}:getIamPolicy",
        }[kind]
        condition = (
            {"title": grant.condition.title, "expression": _expression(grant, plan)}
            if grant.condition
            else None
        )
        _add(r[where], grant.role, plan.member(grant.account), condition)
    return world
