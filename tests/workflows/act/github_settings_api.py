"""The repository-settings endpoints `reconciler platform` calls, added to the act harness's
GitHub stand-in (`github_api.FakeGitHub`), with GitHub's shapes and answers.

- `GET /repos/{o}/{r}`: `{id, full_name, ...}` (https://docs.github.com/rest/repos/repos#get-a-repository).
- `GET|PUT /repos/{o}/{r}/environments/{name}`: the environment with `protection_rules`
  (`required_reviewers` with `prevent_self_review` and `reviewers[{type, reviewer}]`,
  `branch_policy`) and `deployment_branch_policy`
  (https://docs.github.com/rest/deployments/environments). A PUT without `reviewers` keeps
  the ones held [inferred: the page does not say].
- `GET|POST .../environments/{name}/deployment-branch-policies`: `{total_count,
  branch_policies[{id, name, type}]}`; a second policy of one name is 303 on GitHub, here a
  409 so a test notices a write that should not happen
  (https://docs.github.com/rest/deployments/branch-policies).
- `GET|PATCH /repos/{o}/{r}/actions/variables/{name}`, `POST .../actions/variables`: 201, 409
  "Already exists" for a name that exists, 204 (https://docs.github.com/rest/actions/variables).
- `GET|PUT /repos/{o}/{r}/branches/{branch}/protection`: 404 "Branch not protected", and a
  PUT missing one of its four required keys is 422
  (https://docs.github.com/rest/branches/branch-protection). The PUT replaces the whole
  protection: a boolean it leaves out takes its documented default (`false` for
  `required_linear_history`, `allow_force_pushes`, `allow_deletions`, `block_creations`,
  `required_conversation_resolution`, `lock_branch`, `allow_fork_syncing`), and the GET
  answers each as `{"enabled": bool}`; `dismissal_restrictions` and
  `bypass_pull_request_allowances` go in as logins/slugs and come back as user, team and
  app objects (operation `repos/update-branch-protection` and schema `branch-protection` in
  github/rest-api-description, as `@octokit/openapi` ships it). `required_signatures` has
  an endpoint of its own and is not in the PUT's body: the PUT leaves it [inferred].
- `GET /orgs/{org}/teams/{slug}` and `GET /users/{login}`: `{id, slug|login}` or 404.
"""

from __future__ import annotations

import re
from typing import Any

from tests.workflows.act.github_api import ApiError, FakeGitHub, _NotFound

REQUIRED_PROTECTION_KEYS = (
    "required_status_checks",
    "enforce_admins",
    "required_pull_request_reviews",
    "restrictions",
)
PROTECTION_FLAGS = (
    "required_linear_history",
    "allow_force_pushes",
    "allow_deletions",
    "block_creations",
    "required_conversation_resolution",
    "lock_branch",
    "allow_fork_syncing",
)
"""Booleans of the PUT body, each `{"enabled": bool}` in the GET; left out means false."""
ACTOR_LISTS = ("dismissal_restrictions", "bypass_pull_request_allowances")


class FakeGitHubSettings(FakeGitHub):
    """FakeGitHub plus repository settings; `teams`/`users` map a slug or login to an id."""

    def __init__(self, repo: str, token: str, repository_id: int) -> None:
        super().__init__(repo, token)
        self.repository_id = repository_id
        self.environments: dict[str, dict[str, Any]] = {}
        self.branch_policies: dict[str, list[dict[str, Any]]] = {}
        self.variables: dict[str, str] = {}
        self.protection: dict[str, dict[str, Any]] = {}
        self.teams: dict[str, int] = {}
        self.users: dict[str, int] = {}

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        owner = self.repo.split("/")[0]
        with self._lock:
            found = re.fullmatch(rf"/orgs/{re.escape(owner)}/teams/([^/]+)", path)
            if found and method == "GET" and found.group(1) in self.teams:
                return {"id": self.teams[found.group(1)], "slug": found.group(1)}
            found = re.fullmatch(r"/users/([^/]+)", path)
            if found and method == "GET" and found.group(1) in self.users:
                return {"id": self.users[found.group(1)], "login": found.group(1), "type": "User"}
            if path == f"/repos/{self.repo}" and method == "GET":
                return {"id": self.repository_id, "full_name": self.repo, "private": False}
            route = path.removeprefix(f"/repos/{self.repo}")
            for pattern, verb, action in self._settings_routes():
                match = re.fullmatch(pattern, route)
                if match and verb == method and path != route:
                    return action(*match.groups(), body=body)
        return super().handle(method, path, query, body)

    def _settings_routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/environments/([^/]+)", "GET", self._get_environment),
            (r"/environments/([^/]+)", "PUT", self._put_environment),
            (r"/environments/([^/]+)/deployment-branch-policies", "GET", self._list_policies),
            (r"/environments/([^/]+)/deployment-branch-policies", "POST", self._add_policy),
            (r"/actions/variables/([A-Za-z0-9_]+)", "GET", self._get_variable),
            (r"/actions/variables/([A-Za-z0-9_]+)", "PATCH", self._patch_variable),
            (r"/actions/variables", "POST", self._create_variable),
            (r"/branches/([^/]+)/protection", "GET", self._get_protection),
            (r"/branches/([^/]+)/protection", "PUT", self._put_protection),
        ]

    # --- environments -------------------------------------------------------------------

    def _get_environment(self, name: str, **_: Any) -> dict[str, Any]:
        if name not in self.environments:
            raise _NotFound(name)
        return self.environments[name]

    def _put_environment(self, name: str, body: Any, **_: Any) -> dict[str, Any]:
        body = body or {}
        held = self.environments.get(name, {"id": next(self._ids), "name": name})
        rules = [r for r in held.get("protection_rules", []) if r["type"] == "required_reviewers"]
        if "reviewers" in body:
            rules = [
                {
                    "id": next(self._ids),
                    "type": "required_reviewers",
                    "prevent_self_review": bool(body.get("prevent_self_review", False)),
                    "reviewers": [
                        {"type": r["type"], "reviewer": {"id": r["id"]}}
                        for r in body["reviewers"] or []
                    ],
                }
            ]
        policy = body.get("deployment_branch_policy", held.get("deployment_branch_policy"))
        branch_rule = [{"id": next(self._ids), "type": "branch_policy"}] if policy else []
        held.update(protection_rules=rules + branch_rule, deployment_branch_policy=policy)
        self.environments[name] = held
        return held

    def _list_policies(self, name: str, **_: Any) -> dict[str, Any]:
        self._get_environment(name)
        policies = self.branch_policies.get(name, [])
        return {"total_count": len(policies), "branch_policies": policies}

    def _add_policy(self, name: str, body: Any, **_: Any) -> dict[str, Any]:
        self._get_environment(name)
        policies = self.branch_policies.setdefault(name, [])
        if any(p["name"] == body["name"] for p in policies):
            raise ApiError(409, "Branch policy already exists")
        policy = {"id": next(self._ids), "name": body["name"], "type": body.get("type", "branch")}
        policies.append(policy)
        return policy

    # --- variables ----------------------------------------------------------------------

    def _get_variable(self, name: str, **_: Any) -> dict[str, Any]:
        if name not in self.variables:
            raise _NotFound(name)
        return {"name": name, "value": self.variables[name]}

    def _create_variable(self, body: Any, **_: Any) -> dict[str, Any]:
        if body["name"] in self.variables:
            raise ApiError(409, "Already exists - Variable already exists")
        self.variables[body["name"]] = str(body["value"])
        return {}

    def _patch_variable(self, name: str, body: Any, **_: Any) -> None:
        if name not in self.variables:
            raise _NotFound(name)
        self.variables[body.get("name", name)] = str(body["value"])

    # --- branch protection --------------------------------------------------------------

    def _get_protection(self, branch: str, **_: Any) -> dict[str, Any]:
        if branch not in self.protection:
            raise _NotFound("Branch not protected")
        return self.protection[branch]

    def _put_protection(self, branch: str, body: Any, **_: Any) -> dict[str, Any]:
        missing = [key for key in REQUIRED_PROTECTION_KEYS if key not in (body or {})]
        if missing:
            raise ApiError(422, f"Invalid request. {', '.join(missing)} wasn't supplied.")
        checks = body["required_status_checks"] or {}
        reviews = body["required_pull_request_reviews"]
        shown: dict[str, Any] = {
            "required_status_checks": {
                "strict": bool(checks.get("strict")),
                "contexts": [c["context"] for c in checks.get("checks", [])],
                "checks": [
                    {"context": c["context"], "app_id": c.get("app_id")}
                    for c in checks.get("checks", [])
                ],
            },
            "enforce_admins": {"enabled": bool(body["enforce_admins"])},
        }
        shown.update({key: {"enabled": bool(body.get(key))} for key in PROTECTION_FLAGS})
        held = self.protection.get(branch, {})
        if "required_signatures" in held:
            shown["required_signatures"] = held["required_signatures"]
        if reviews is not None:
            shown["required_pull_request_reviews"] = {
                key: self._actors(value) if key in ACTOR_LISTS else value
                for key, value in reviews.items()
            }
        if body["restrictions"] is not None:
            shown["restrictions"] = self._actors(body["restrictions"])
        self.protection[branch] = shown
        return shown

    def _actors(self, lists: dict[str, Any]) -> dict[str, Any]:
        """`{users: [login], teams: [slug], apps: [slug]}` as the GET shows them."""
        return {
            "users": [
                {"login": login, "id": self.users.get(login, 0), "type": "User"}
                for login in lists.get("users") or []
            ],
            "teams": [
                {"slug": slug, "id": self.teams.get(slug, 0)} for slug in lists.get("teams") or []
            ],
            "apps": [{"slug": slug} for slug in lists.get("apps") or []],
        }
