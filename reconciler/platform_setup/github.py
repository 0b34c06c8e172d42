"""The repository side of the set-up, through GitHub's REST API: read first, write only what
differs, so running it again changes nothing.

What it makes sure of (docs/platform-setup.md):

- the repository is the one platform.yaml names by id (`GET /repos/{o}/{r}`);
- environments `tenant-apply`, `tenant-destroy` and `tenant-adopt`, deployable from `main`
  only; the last two wait for the reviewers (`PUT /repos/{o}/{r}/environments/{name}`,
  https://docs.github.com/rest/deployments/environments#create-or-update-an-environment;
  `POST .../deployment-branch-policies` with `{"name": "main", "type": "branch"}`,
  https://docs.github.com/rest/deployments/branch-policies). Reviewers are `{type, id}`:
  a team's id from `GET /orgs/{org}/teams/{slug}` (https://docs.github.com/rest/teams/teams),
  a user's from `GET /users/{login}` (https://docs.github.com/rest/users/users);
- the repository variables the workflows read (`POST`/`PATCH
  /repos/{o}/{r}/actions/variables[/{name}]`, https://docs.github.com/rest/actions/variables);
- branch protection on `main` requiring the check "Tenant PR check" from GitHub Actions,
  up to date, one approval, for admins too (`PUT /repos/{o}/{r}/branches/main/protection`,
  whose four keys `required_status_checks`, `enforce_admins`,
  `required_pull_request_reviews` and `restrictions` are required;
  https://docs.github.com/rest/branches/branch-protection). The PUT replaces the whole
  protection, so every setting we do not manage is read first and sent back as it was
  (`protection_body`); checks and approvals already stricter than ours are kept.

Reviewers on environments need a public repository, or GitHub Enterprise for a private one
(the REST page's availability note); the token needs admin rights on the repository.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.manifests.setup import ENVIRONMENTS, REVIEWED_ENVIRONMENTS, PlatformSetup
from reconciler.report.comment import GitHubError

REQUIRED_CHECK = "Tenant PR check"
"""The one check to require: tenant-pr.yml's, or tenant-pr-skip.yml's for other PRs."""
ACTIONS_APP_ID = 15368
"""The GitHub App that must provide REQUIRED_CHECK (`checks[].app_id`). Left out, the check
is satisfied by "the GitHub App that has recently provided this check, or any app if it
was not set by a GitHub App" (operation repos/update-branch-protection in
github/rest-api-description): on a fresh repository, a success status anyone with write
access posts. 15368 is GitHub Actions' app id, as GitHub reports it for Actions' checks
(apache/infrastructure-asfyaml#64; joshjohanning/github-misc-scripts#57)."""
BRANCH = "main"
KEPT_FLAGS = (
    "required_linear_history",
    "required_conversation_resolution",
    "block_creations",
    "lock_branch",
    "allow_fork_syncing",
)
"""Protection booleans we do not manage: the GET shows `{"enabled": bool}`, the PUT takes
the bool and treats one left out as false (the operation's documented defaults)."""
UNKNOWN = None
"""A variable whose value is known only after the platform stack's `up`."""
WHERE_TENANTS_LIVE = (
    "RECONCILER_GCP_PROJECT",
    "RECONCILER_BACKEND_URL",
    "RECONCILER_SECRETS_PROVIDER",
)
"""Variables that say where CI's tenants are: never changed from another value (`up` would
point CI at an empty backend, or one it cannot decrypt, and the next push would plan every
tenant as new)."""


class Api(Protocol):
    """One call on GitHub's API (`reconciler.report.comment.GitHub` is one)."""

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any: ...


class SetupRefused(Exception):
    """The set-up cannot go on (wrong repository, no rights); nothing further was written."""


def workflow_variables(setup: PlatformSetup, outputs: Mapping[str, Any]) -> dict[str, str | None]:
    """The repository variables the workflows read; None where the stack has not run yet."""

    def output(key: str) -> str | None:
        value = outputs.get(key)
        return str(value) if isinstance(value, str) and value else UNKNOWN

    return {
        "RECONCILER_GCP_PROJECT": setup.project,
        "RECONCILER_BACKEND_URL": setup.backend_url,
        "RECONCILER_SECRETS_PROVIDER": setup.secrets_provider,
        "GCP_WORKLOAD_IDENTITY_PROVIDER": output("workloadIdentityProvider"),
        "GCP_PREVIEW_SERVICE_ACCOUNT": setup.preview_account,
        "GCP_DEPLOY_SERVICE_ACCOUNT": setup.deploy_account,
    }


@dataclass
class GitHubSetup:
    """One run: `apply` False only reads and says what it would do."""

    api: Api
    setup: PlatformSetup
    apply: bool
    note: Callable[[str], None]

    def _get(self, path: str) -> Any | None:
        """The resource, or None for a 404."""
        try:
            return self.api.call("GET", path)
        except GitHubError as error:
            if error.status == 404:
                return None
            raise _refused(error, path) from None

    def _write(self, method: str, path: str, body: Mapping[str, Any], what: str) -> None:
        if not self.apply:
            self.note(f"would {what}")
            return
        try:
            self.api.call(method, path, body)
        except GitHubError as error:
            raise _refused(error, path) from None
        self.note(what)

    def _absolute(self, path: str) -> str:
        base = getattr(self.api, "api_url", "https://api.github.com")
        return f"{str(base).rstrip('/')}{path}"

    # --- the steps --------------------------------------------------------------------

    def check_repository(self) -> None:
        repository = self._get("")
        if repository is None:
            raise SetupRefused(
                f"repository {self.setup.repository} not found, or the token cannot see it"
            )
        if int(repository.get("id", 0)) != self.setup.repository_id:
            raise SetupRefused(
                f"platform.yaml says setup.github.repositoryId {self.setup.repository_id}, "
                f"GitHub says {self.setup.repository} is {repository.get('id')}: the Workload "
                "Identity provider would accept the wrong repository's tokens; fix "
                "repositoryId (gh api repos/OWNER/NAME --jq .id)"
            )

    def reviewers(self) -> list[dict[str, Any]]:
        found = []
        for reviewer in self.setup.reviewers:
            kind, _, name = reviewer.partition(":")
            if kind == "team":
                item = self._get(self._absolute(f"/orgs/{self.setup.owner}/teams/{name}"))
                entry = {"type": "Team", "id": item.get("id")} if item else None
            else:
                item = self._get(self._absolute(f"/users/{name}"))
                entry = {"type": "User", "id": item.get("id")} if item else None
            if entry is None:
                raise SetupRefused(
                    f"setup.github.reviewers: {reviewer} not found on GitHub (a team must "
                    f"belong to {self.setup.owner})"
                )
            found.append(entry)
        return found

    def environment(self, name: str, reviewers: list[dict[str, Any]]) -> None:
        reviewed = name in REVIEWED_ENVIRONMENTS
        if reviewed and not reviewers:
            raise SetupRefused(
                f"environment {name} needs reviewers: set setup.github.reviewers "
                "(team:SLUG or user:LOGIN)"
            )
        live = self._get(f"/environments/{name}")
        body: dict[str, Any] = {
            "deployment_branch_policy": {
                "protected_branches": False,
                "custom_branch_policies": True,
            }
        }
        if reviewed:
            body.update(reviewers=reviewers, prevent_self_review=True)
        if live is None or _environment_differs(live, body):
            verb = "create" if live is None else "update"
            detail = "reviewers " + ", ".join(self.setup.reviewers) if reviewed else "no reviewers"
            self._write(
                "PUT", f"/environments/{name}", body, f"{verb} environment {name} ({detail})"
            )
        policies = self._get(f"/environments/{name}/deployment-branch-policies") or {}
        wanted = {"name": BRANCH, "type": "branch"}
        held = [
            {"name": p.get("name"), "type": p.get("type")}
            for p in policies.get("branch_policies", [])
        ]
        if wanted not in held:
            self._write(
                "POST",
                f"/environments/{name}/deployment-branch-policies",
                wanted,
                f"let environment {name} deploy from {BRANCH} only",
            )

    def check_where_tenants_live(self, variables: Mapping[str, str | None]) -> None:
        """Refuse, before any write, to repoint CI at other state, key or project."""
        for name in WHERE_TENANTS_LIVE:
            live = self._get(f"/actions/variables/{name}")
            held, wanted = (live or {}).get("value"), variables.get(name)
            if held and wanted and held != wanted:
                raise SetupRefused(
                    f"the repository variable {name} is {held}, platform.yaml makes it "
                    f"{wanted}: CI's tenants live where it says now, and changing it would "
                    "make the next push plan every tenant as new. Make platform.yaml say "
                    f"{held} (reconciler init's flags, or by hand); to move on purpose, move "
                    f"the state first, then set {name} yourself (gh variable set)"
                )

    def variable(self, name: str, value: str | None) -> None:
        live = self._get(f"/actions/variables/{name}")
        if value is UNKNOWN:
            if live is None or not self.apply:
                self.note(f"set variable {name} once the platform stack is up (known after up)")
            return
        if live is None:
            body = {"name": name, "value": value}
            self._write("POST", "/actions/variables", body, f"create variable {name}={value}")
        elif live.get("value") != value:
            self._write(
                "PATCH",
                f"/actions/variables/{name}",
                {"name": name, "value": value},
                f"update variable {name}: {live.get('value')} -> {value}",
            )

    def protection(self) -> None:
        live = self._get(f"/branches/{BRANCH}/protection")
        if live is not None and protection_holds(live):
            return
        body = protection_body(live)
        self._write("PUT", f"/branches/{BRANCH}/protection", body, what_changes(live))


def set_up_github(
    api: Api,
    setup: PlatformSetup,
    variables: Mapping[str, str | None],
    apply: bool,
    note: Callable[[str], None],
) -> None:
    """Every step, in order; raises SetupRefused (or GitHubError for the network)."""
    run = GitHubSetup(api, setup, apply, note)
    run.check_repository()
    run.check_where_tenants_live(variables)
    reviewers = run.reviewers()
    for name in ENVIRONMENTS:
        run.environment(name, reviewers)
    for name, value in variables.items():
        run.variable(name, value)
    run.protection()


def _refused(error: GitHubError, path: str) -> SetupRefused:
    if error.status in (401, 403):
        return SetupRefused(
            f"GitHub refused {path or 'the repository'} ({error.status}: {error.message}): the "
            "token needs admin rights on the repository (fine-grained: Administration, "
            "Environments and Variables: write)"
        )
    return SetupRefused(
        f"GitHub answered {error.status} for {path or 'the repository'}: {error.message}"
    )


def _environment_differs(live: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    policy = live.get("deployment_branch_policy") or {}
    if not policy.get("custom_branch_policies") or policy.get("protected_branches"):
        return True
    if "reviewers" not in body:
        return False
    rules = [r for r in live.get("protection_rules") or [] if r.get("type") == "required_reviewers"]
    if not rules:
        return True
    held = {
        (r.get("type"), (r.get("reviewer") or {}).get("id")) for r in rules[0].get("reviewers", [])
    }
    wanted = {(r["type"], r["id"]) for r in body["reviewers"]}
    return held != wanted or not rules[0].get("prevent_self_review")


def protection_holds(live: Mapping[str, Any]) -> bool:
    """Whether `main`'s protection already asks for at least what we ask."""
    checks = live.get("required_status_checks") or {}
    pinned = {
        c.get("context") for c in checks.get("checks") or [] if c.get("app_id") == ACTIONS_APP_ID
    }
    reviews = live.get("required_pull_request_reviews") or {}
    return (
        REQUIRED_CHECK in pinned
        and bool(checks.get("strict"))
        and int(reviews.get("required_approving_review_count") or 0) >= 1
        and bool(reviews.get("dismiss_stale_reviews"))
        and bool(reviews.get("require_last_push_approval"))
        and bool((live.get("enforce_admins") or {}).get("enabled"))
        and not _enabled(live, "allow_force_pushes")
        and not _enabled(live, "allow_deletions")
    )


def _enabled(live: Mapping[str, Any], key: str) -> bool:
    return bool((live.get(key) or {}).get("enabled"))


def _actors(held: Mapping[str, Any]) -> dict[str, list[str]]:
    """A GET's `{users: [user], teams: [team], apps: [app]}` as the PUT takes it: logins and
    slugs."""
    return {
        "users": [u["login"] for u in held.get("users") or [] if u.get("login")],
        "teams": [t["slug"] for t in held.get("teams") or [] if t.get("slug")],
        "apps": [a["slug"] for a in held.get("apps") or [] if a.get("slug")],
    }


def protection_body(live: Mapping[str, Any] | None) -> dict[str, Any]:
    """The PUT body: ours, merged with whatever `live` holds that we do not manage.

    Ours: the required check from GitHub Actions, up to date, at least one approval
    dismissed on a new push and not from the last pusher, admins included, no force push
    or deletion. Carried over as they are: other required checks (with their app),
    more approvals, code-owner reviews, who may dismiss reviews, push restrictions and
    KEPT_FLAGS. Dropped: `bypass_pull_request_allowances`, which would let someone merge
    without the approval (`what_changes` says so). `required_signatures` is not part of
    this PUT (it has an endpoint of its own) and stays as it is.
    """
    live = live or {}
    checks = live.get("required_status_checks") or {}
    held = [
        {"context": c["context"], **({"app_id": c["app_id"]} if c.get("app_id") else {})}
        for c in checks.get("checks") or []
        if c.get("context") and c["context"] != REQUIRED_CHECK
    ]
    held.append({"context": REQUIRED_CHECK, "app_id": ACTIONS_APP_ID})
    reviews = live.get("required_pull_request_reviews") or {}
    wanted_reviews: dict[str, Any] = {
        "required_approving_review_count": max(
            1, int(reviews.get("required_approving_review_count") or 0)
        ),
        "dismiss_stale_reviews": True,
        "require_code_owner_reviews": bool(reviews.get("require_code_owner_reviews")),
        "require_last_push_approval": True,
    }
    # Only organisation repositories have dismissal restrictions; leave the key out
    # otherwise, as the operation asks for personal repositories.
    if reviews.get("dismissal_restrictions"):
        wanted_reviews["dismissal_restrictions"] = _actors(reviews["dismissal_restrictions"])
    restrictions = live.get("restrictions")
    body: dict[str, Any] = {
        "required_status_checks": {"strict": True, "checks": held},
        "enforce_admins": True,
        "required_pull_request_reviews": wanted_reviews,
        "restrictions": _actors(restrictions) if restrictions else None,
        "allow_force_pushes": False,
        "allow_deletions": False,
    }
    body.update({key: _enabled(live, key) for key in KEPT_FLAGS if key in live})
    return body


def what_changes(live: Mapping[str, Any] | None) -> str:
    """The note for the PUT: what it asks for, and what it takes away."""
    verb = "protect" if live is None else "tighten the protection of"
    said = (
        f"{verb} {BRANCH}: require {REQUIRED_CHECK!r} from GitHub Actions, up to date, "
        "1 approval, admins too"
    )
    allowances = ((live or {}).get("required_pull_request_reviews") or {}).get(
        "bypass_pull_request_allowances"
    )
    if allowances and any(_actors(allowances).values()):
        said += "; removes the pull-request bypass allowances (they skip the approval)"
    return said
