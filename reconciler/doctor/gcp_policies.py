"""IAM policies against the blueprint: the CI accounts' grants and who may act as them.

A policy is read at version 3, so conditional bindings come with their condition. A grant
matches when a binding has its role, its member and the same condition (whitespace and
quote style aside). Three kinds of problem:

- a grant the blueprint makes is missing, or has another condition;
- a CI account holds more on that resource than the blueprint gives it;
- anyone's binding on the project puts a `resource.name` condition on an IAM or Identity
  Platform role: IAM and Identity Toolkit do not provide resource names, so "the condition
  ... never grants access" (https://cloud.google.com/iam/docs/configuring-resource-based-access).
  The old manual set-up made exactly this grant for the deploy account.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reconciler.doctor.gcp_reader import Json, ProjectReader
from reconciler.doctor.problems import Problem
from reconciler.platform_setup.blueprint import PROJECT_NUMBER, Blueprint, Grant

UP = "reconciler platform up"
NAMELESS_ROLES = ("roles/iam.", "roles/identityplatform.", "roles/identitytoolkit.")
"""Predefined roles on resources that carry no name for a condition."""
ACT_AS = ("roles/iam.workloadIdentityUser", "roles/iam.serviceAccountTokenCreator")

Expected = tuple[str, str, str]
"""(role, member, normalised condition expression or "")."""


def _normal(expression: str | None) -> str:
    return re.sub(r"\s+", "", expression or "").replace('"', "'")


def bindings(policy: Json | None) -> list[tuple[str, str, str, str]]:
    """(role, member, normalised expression, expression as written) of every binding."""
    found = []
    for binding in (policy or {}).get("bindings") or []:
        condition = (binding.get("condition") or {}).get("expression", "")
        for member in binding.get("members") or []:
            found.append((str(binding.get("role")), str(member), _normal(condition), condition))
    return found


def _where(grant_on: str, plan: Blueprint) -> str:
    kind, _, name = grant_on.partition(":")
    if kind == "bucket":
        return f"bucket gs://{name}"
    if kind == "key":
        return f"key {plan.setup.kms.name}"
    return f"project {name}"


def _gcloud_add(grant: Grant, plan: Blueprint, member: str) -> str:
    kind, _, name = grant.on.partition(":")
    target = {
        "project": f"gcloud projects add-iam-policy-binding {name}",
        "bucket": f"gcloud storage buckets add-iam-policy-binding gs://{name}",
        "key": f"gcloud kms keys add-iam-policy-binding {plan.setup.kms.name}",
    }[kind]
    condition = (
        f" --condition 'title={grant.condition.title},expression=...'" if grant.condition else ""
    )
    return f"{UP}, or: {target} --member {member} --role {grant.role}{condition}"


def policy_problems(
    read: ProjectReader, plan: Blueprint, project_number: Callable[[str], str]
) -> list[Problem]:
    number = project_number(plan.setup.project)
    policies: dict[str, Json | None] = {}
    for grant in plan.grants:
        if grant.on not in policies:
            policies[grant.on] = _policy(read, plan, grant.on)
    ours = {plan.member(account) for account in {g.account for g in plan.grants}}
    found: list[Problem] = []
    for on, policy in policies.items():
        wanted = [g for g in plan.grants if g.on == on]
        found += _missing_or_different(plan, on, policy, wanted, number)
        found += _broader(plan, on, policy, wanted, ours, number)
    for on, policy in policies.items():
        if on.startswith("project:"):
            found += _never_granting(plan, on, policy)
    return found


def _policy(read: ProjectReader, plan: Blueprint, on: str) -> Json | None:
    kind, _, name = on.partition(":")
    if kind == "bucket":
        return read.bucket_policy(name)
    if kind == "key":
        return read.crypto_key_policy(plan.setup.kms.name)
    return read.project_policy(name)


def _expected(grant: Grant, plan: Blueprint, number: str) -> Expected:
    expression = (
        grant.condition.expression.replace(PROJECT_NUMBER, number) if grant.condition else ""
    )
    return grant.role, plan.member(grant.account), _normal(expression)


def _missing_or_different(
    plan: Blueprint, on: str, policy: Json | None, wanted: list[Grant], number: str
) -> list[Problem]:
    live = bindings(policy)
    found = []
    for grant in wanted:
        role, member, expression = _expected(grant, plan, number)
        same = [b for b in live if b[0] == role and b[1] == member]
        if any(b[2] == expression for b in same):
            continue
        if same:
            ours = (
                grant.condition.expression.replace(PROJECT_NUMBER, number)
                if grant.condition
                else ""
            )
            problem = (
                f"{member} has {role} on {_where(on, plan)} under another condition "
                f"({same[0][3] or 'none'}); the set-up's is {ours or 'none'}"
            )
        else:
            problem = f"{member} lacks {role} on {_where(on, plan)} ({grant.why})"
        found.append(Problem("gcp.grants", problem, _gcloud_add(grant, plan, member)))
    return found


def _broader(
    plan: Blueprint,
    on: str,
    policy: Json | None,
    wanted: list[Grant],
    ours: set[str],
    number: str,
) -> list[Problem]:
    expected = {_expected(g, plan, number) for g in wanted}
    found = []
    for role, member, expression, written in bindings(policy):
        if member in ours and (role, member, expression) not in expected:
            condition = f" (condition {written})" if written else ""
            found.append(
                Problem(
                    "gcp.grants",
                    f"{member} also holds {role}{condition} on {_where(on, plan)}: more than "
                    "the set-up gives it",
                    f"remove that binding (gcloud ... remove-iam-policy-binding --member "
                    f"{member} --role {role})",
                )
            )
    return found


def _never_granting(plan: Blueprint, on: str, policy: Json | None) -> list[Problem]:
    nameless = {
        role.name
        for role in plan.roles
        if any(
            p.startswith(("iam.", "identitytoolkit.", "firebaseauth.")) for p in role.permissions
        )
    }
    found = []
    for role, member, expression, written in bindings(policy):
        if "resource.name" not in expression:
            continue
        if role.startswith(NAMELESS_ROLES) or role in nameless:
            found.append(
                Problem(
                    "gcp.grants",
                    f"{member}'s {role} on {_where(on, plan)} is conditional on resource.name "
                    f"({written}), which IAM and Identity Platform resources do not provide: "
                    "it never grants anything",
                    f"{UP} (the deploy account gets tenantGitopsAccountManager and "
                    "tenantGitopsIdentityDeployer unconditionally), then remove this binding",
                )
            )
    return found


def impersonation(
    read: ProjectReader, plan: Blueprint, project_number: Callable[[str], str]
) -> list[Problem]:
    setup = plan.setup
    pool_name = setup.pool_name(project_number(setup.control_project))
    found: list[Problem] = []
    for account in sorted({item.account for item in plan.impersonations}):
        email = setup.account_email(account)
        policy = read.service_account_policy(setup.control_project, email)
        if policy is None:
            continue  # the account itself is missing: gcp.service-accounts says so
        wanted = {
            plan.principal_set(pool_name, item)
            for item in plan.impersonations
            if item.account == account
        }
        live = bindings(policy)
        held = {m for role, m, expression, _ in live if role == ACT_AS[0] and not expression}
        for member in sorted(wanted - held):
            found.append(
                Problem(
                    "gcp.impersonation",
                    f"{member} cannot act as {email}",
                    f"{UP}, or: gcloud iam service-accounts add-iam-policy-binding {email} "
                    f"--role {ACT_AS[0]} --member '{member}'",
                )
            )
        for role, member, _, _ in live:
            if role in ACT_AS and member not in wanted:
                found.append(
                    Problem(
                        "gcp.impersonation",
                        f"{member} may act as {email} ({role}), beyond the set-up's workflows "
                        "and environments",
                        f"gcloud iam service-accounts remove-iam-policy-binding {email} "
                        f"--role {role} --member '{member}'",
                    )
                )
    return found
