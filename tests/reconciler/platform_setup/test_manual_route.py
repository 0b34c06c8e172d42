"""The manual route in docs/platform-setup.md makes the same set-up as the program: the
same custom roles, mapping and condition, the pool before its provider, and none of the
old route's defects (no pool at all; `REPO` set to two repositories by two pages; a
condition on the deploy account's service-account role that never grants)."""

from __future__ import annotations

import re

from platform_harness import setup

from reconciler.platform_setup.blueprint import CONTROL_APIS, TENANT_APIS, blueprint
from tests.repo import REPO

PAGE = REPO / "docs" / "platform-setup.md"
PLAN = blueprint(setup())


def commands() -> str:
    text = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    return "\n".join(blocks).replace("\\\n", " ")


def test_the_custom_roles_are_the_programs():
    found = dict(re.findall(r"iam roles create (\w+) .*?--permissions ([\w.,]+)", commands()))
    assert {k: sorted(v.split(",")) for k, v in found.items()} == {
        role.role_id: sorted(role.permissions) for role in PLAN.roles
    }


def test_the_apis_are_the_programs_in_each_project():
    """Identity Toolkit is on in the control project as well (the CI accounts' quota project)."""
    found = {
        project: set(re.findall(r"[\w.]+\.googleapis\.com", apis))
        for project, apis in re.findall(
            r'gcloud services enable --project "\$(\w+)"([^\n]*)', commands()
        )
    }
    assert found == {"PROJECT_ID": set(TENANT_APIS), "CONTROL": set(CONTROL_APIS)}


def test_the_provider_is_the_programs_and_its_pool_is_created_first():
    text = commands()
    assert text.index("workload-identity-pools create") < text.index("providers create-oidc")
    mapping = re.search(r'--attribute-mapping "([^"]+)"', text)
    assert mapping is not None
    pairs = dict(item.split("=", 1) for item in mapping.group(1).split(","))
    assert pairs == PLAN.attribute_mapping
    condition = re.search(r'--attribute-condition "([^"]+)"', text)
    assert condition is not None
    expected = PLAN.attribute_condition.replace(str(PLAN.setup.repository_id), "$REPO_ID")
    assert condition.group(1) == expected


def test_no_grant_is_conditioned_on_a_name_iam_cannot_see():
    for line in commands().splitlines():
        if "--condition" in line and "resource.name" in line:
            role = re.search(r"--role \"?([\w/.$]+)", line)
            assert role is not None, line
            assert not role.group(1).startswith(("roles/iam.", "roles/identityplatform.")), line
            assert "AccountManager" not in role.group(1) and "Identity" not in role.group(1)


def test_one_repository_for_every_page_pasted_into_one_shell():
    """adopting.md and security.md once set REPO to two different repositories."""
    values = set()
    for page in [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md"]:
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            values |= {(page.name, v) for v in re.findall(r"(?:^|\s)REPO=(\S+)", block)}
    assert values == {("platform-setup.md", "acme/tenant-gitops")}
