"""Fixtures for running the workflows under act: one sandbox emulator per session (started
with `python -m sandbox up`, its exports handed to every job), the stand-in actions, and
per scenario a fresh origin repository, fake GitHub API, Pulumi state and sandbox database.

Nothing skips: a missing act, Pulumi CLI or emulator fails the run and says what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sandbox.provider.secretmanager import put_secret
from sandbox.secretmanager_api import make_server
from tests.repo import REPO, tool_cache
from tests.workflows.act.github_api import FakeGitHub
from tests.workflows.act.origin import FORK, FULL_NAME, PLATFORM_REVIEWER, Event, Origin
from tests.workflows.act.runner import Harness, RunResult, Session

PROJECT = "demo-act"
DEPLOY_ACCOUNT = f"tenant-deploy@{PROJECT}.iam.gserviceaccount.com"
DRIFT_ACCOUNT = f"tenant-drift@{PROJECT}.iam.gserviceaccount.com"
ACT = REPO / ".tools" / "bin" / "act"
STANDINS = Path(__file__).parent / "standins"
ARTIFACT_RULES = Path(__file__).parent / "act" / "artifacts.py"
PATCHED = "+tenant-gitops."
WIF_PROVIDER = "projects/1/locations/global/workloadIdentityPools/github/providers/github"
COLLABORATORS = {
    PLATFORM_REVIEWER: "admin",
    "tenant-one-lead": "write",  # tenants/tenant-one.yaml's metadata.reviewers
    "author": "write",
    "mallory": "write",
}
"""Who has which access to the repository (`GET /collaborators/{user}/permission`)."""
CLOUD_SETTINGS = (
    "FIREBASE_AUTH_EMULATOR_HOST",
    "SANDBOX_STATE_DB",
    "RECONCILER_SECRET_MANAGER_ENDPOINT",
)


def _fail(message: str) -> None:
    pytest.fail(message, pytrace=False)


def _check_act() -> Path:
    if not ACT.exists():
        _fail("act is missing: run `scripts/bootstrap` (it builds the patched act)")
    version = subprocess.run([str(ACT), "--version"], capture_output=True, text=True).stdout
    if PATCHED not in version:
        _fail(f"{ACT} is not the patched act ({version.strip()}): run `scripts/bootstrap`")
    return ACT


def _tools(folder: Path) -> Path:
    """uv and the Pulumi CLI, by version, as the setup stand-ins look them up."""
    pulumi = (REPO / ".tools" / "bin" / "pulumi").resolve()
    if not pulumi.is_file():
        _fail("the Pulumi CLI is missing: run `scripts/bootstrap`")
    version = subprocess.run([str(pulumi), "version"], capture_output=True, text=True).stdout
    # <dir>/bin/pulumi, as pulumi/actions installs it (~/.pulumi/bin): the Automation API
    # wants the CLI in a folder named bin.
    bin_dir = folder / f"pulumi-{version.strip().lstrip('v')}" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pulumi").symlink_to(pulumi)
    # Official releases ship the plugin for Python dynamic providers (the tenant's MFA
    # settings) next to the CLI; it runs the job's Python (the activated .venv).
    shim = bin_dir / "pulumi-resource-pulumi-python"
    shim.write_text('#!/bin/sh\nexec python -u -m pulumi.dynamic "$@"\n')
    shim.chmod(0o755)
    for uv in sorted(tool_cache().glob("uv-*/bin/uv")):
        target = folder / uv.parent.parent.name
        target.mkdir()
        (target / "uv").symlink_to(uv)
    return folder


def _sandbox_exports(state_dir: Path, base_path: str) -> dict[str, str]:
    """`python -m sandbox up`'s `export` lines (emulator host, state DB, and PATH etc.
    once the sandbox prints them), plus what a sandbox run needs if it does not yet."""
    up = subprocess.run(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--state-dir",
            str(state_dir),
            "up",
            "--project",
            PROJECT,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if up.returncode != 0:
        _fail(f"`python -m sandbox up` failed: {up.stderr[-2000:]}")
    exports = {"PATH": base_path}
    for line in up.stdout.splitlines():
        if line.startswith("export ") and "=" in line:
            name, value = line[len("export ") :].split("=", 1)
            value = value.strip().strip("'\"")
            exports[name] = value.replace("${PATH}", exports["PATH"]).replace(
                "$PATH", exports["PATH"]
            )
    if str(REPO / "sandbox" / "bin") not in exports["PATH"].split(os.pathsep):
        exports["PATH"] = os.pathsep.join([str(REPO / "sandbox" / "bin"), exports["PATH"]])
    exports.setdefault("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
    for required in ("FIREBASE_AUTH_EMULATOR_HOST", "SANDBOX_STATE_DB"):
        if required not in exports:
            _fail(f"`python -m sandbox up` printed no {required}: {up.stdout}")
    return exports


def _timings_file() -> Path | None:
    """TENANT_GITOPS_ACT_TIMINGS: a file each run appends its jobs' seconds to (the
    workflow-minutes benchmark sets it; tests leave it unset)."""
    value = os.environ.get("TENANT_GITOPS_ACT_TIMINGS")
    return Path(value) if value else None


@pytest.fixture(scope="session")
def act_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    act = _check_act()
    root = tmp_path_factory.mktemp("act")
    standins = root / "standins"
    shutil.copytree(STANDINS, standins)
    for name in ("upload-artifact", "download-artifact"):
        shutil.copy(ARTIFACT_RULES, standins / name / "artifacts.py")
    passphrase = root / "passphrase"
    passphrase.write_text(secrets.token_urlsafe(24))
    settings = {
        "HARNESS_TOOLS": str(_tools(root / "tools")),
        "HARNESS_PASSPHRASE_FILE": str(passphrase),
        "HARNESS_AUTH_JOURNAL": str(root / "auth.jsonl"),
        "HARNESS_ARTIFACTS": str(root / "artifacts"),
        "HARNESS_PYTHON": sys.executable,
        "HARNESS_CLOUD": str(root / "cloud"),
        # Who may decrypt state (gets the passphrase): never the preview identity.
        "HARNESS_DECRYPTERS": f"{DEPLOY_ACCOUNT} {DRIFT_ACCOUNT}",
    }
    for folder in standins.iterdir():
        (folder / "harness.env").write_text(
            "".join(f"{k}={shlex.quote(v)}\n" for k, v in settings.items())
        )
    python_dir = str(Path(sys._base_executable).parent)  # uv finds the interpreter on PATH
    base_path = os.pathsep.join([python_dir, "/usr/local/bin", "/usr/bin", "/bin"])
    home = root / "home"
    home.mkdir()
    environment = {
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "UV_CACHE_DIR": subprocess.run(
            [str(next(tool_cache().glob("uv-*/bin/uv"))), "cache", "dir"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip(),
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "NO_COLOR": "1",
        "PULUMI_HOME": str(root / "pulumi-home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "RECONCILER_PARALLELISM": "2",
    }
    environment.update(_sandbox_exports(root / "sandbox", base_path))
    # The cloud's address and state are what a credential opens: only the auth stand-in
    # hands them to a job (like the real action's credentials), never the environment.
    cloud = {name: environment.pop(name) for name in CLOUD_SETTINGS}
    variables = {
        "RECONCILER_TARGET": "sandbox",
        "RECONCILER_GCP_PROJECT": PROJECT,
        "RECONCILER_SECRETS_PROVIDER": "passphrase",
        "GCP_WORKLOAD_IDENTITY_PROVIDER": WIF_PROVIDER,
        "GCP_PREVIEW_SERVICE_ACCOUNT": f"tenant-preview@{PROJECT}.iam.gserviceaccount.com",
        "GCP_DEPLOY_SERVICE_ACCOUNT": DEPLOY_ACCOUNT,
        "GCP_DRIFT_SERVICE_ACCOUNT": DRIFT_ACCOUNT,
        # tenant-pr.yml's `code` job runs .ci/run, i.e. the suite these scenarios are in.
        "TENANT_PR_CODE_CHECKS": "false",
    }
    repo_secrets = {
        "GITHUB_TOKEN": f"ghs_{secrets.token_hex(18)}",
        "TENANT_ONE_GOOGLE_CLIENT_SECRET": f"s3cr3t-one-{secrets.token_hex(8)}",
        "TENANT_TWO_GITHUB_CLIENT_SECRET": f"s3cr3t-two-{secrets.token_hex(8)}",
    }
    try:
        yield Session(
            root,
            act,
            standins,
            environment,
            variables,
            repo_secrets,
            api_url="",
            cloud=cloud,
            timings=_timings_file(),
        )
    finally:
        subprocess.run(
            [sys.executable, "-m", "sandbox", "--state-dir", str(root / "sandbox"), "down"],
            cwd=REPO,
            capture_output=True,
            check=False,
        )


@dataclass
class Scenario:
    """One scenario's world: the origin repository, the fake API and the harness."""

    origin: Origin
    github: FakeGitHub
    harness: Harness
    session: Session
    state: Path
    emulator_host: str
    journal_start: int = 0
    notes: list[str] = field(default_factory=list)

    def reconciler(self, *args: str, ref: str = "main") -> subprocess.CompletedProcess[str]:
        """The reconciler CLI on this machine against the scenario's cloud, on a checkout
        of `ref` (seeding the fleet "main already runs", reading stack outputs)."""
        where = self.origin.clone.parent / f"cli-{ref.replace('/', '-')}"
        if not where.exists():
            self.origin.checkout_at(self.origin.sha(ref), where)
        else:
            subprocess.run(
                ["git", "checkout", "-q", "--detach", self.origin.sha(ref)], cwd=where, check=True
            )
        env = {
            **self.session.environment,
            **self.session.cloud,
            **{k: v for k, v in self.session.variables.items() if k.startswith("RECONCILER_")},
            **{k: v for k, v in self.session.secrets.items() if k.startswith("TENANT_")},
            "PULUMI_CONFIG_PASSPHRASE_FILE": str(self.session.root / "passphrase"),
            "RECONCILER_PULUMI_BINARY": str(REPO / ".tools" / "bin" / "pulumi"),
        }
        command = [str(Path(sys.executable).parent / "reconciler"), "--root", str(where), *args]
        done = subprocess.run(command, cwd=where, env=env, capture_output=True, text=True)
        if args[:1] == ("apply",) and ref == "main" and done.returncode == 0:
            # Seeding what main already runs: a team's deployed main has a successful push
            # run of the apply workflow on record, where the approval check starts.
            sha = self.origin.sha("main")
            self.github.state.run("tenant-apply.yml", "push", sha, "main", "success")
        return done

    def tenant_ids(self) -> dict[str, str]:
        """Each deployed tenant's identity-tenant id (stack outputs)."""
        import json

        shown = self.reconciler("outputs", "--format", "json")
        assert shown.returncode == 0, shown.stderr
        tenants = json.loads(shown.stdout)["tenants"]
        return {entry["tenant"]: entry["outputs"]["tenantId"] for entry in tenants}

    def sync_pull(
        self, number: int, branch: str, base_ref: str = "main", fork: bool = False
    ) -> str:
        """The fake API's pull request `number` of `branch` into `base_ref`, as GitHub has
        it after the branch's last push (opened if new): its head, files and commits."""
        if number not in self.github.state.pulls:
            self.github.open_pull_request(number, branch)
        head = self.origin.sha(branch)
        self.github.open_pull_request(
            number,
            self.github.state.pulls[number].title,
            head=head,
            head_ref=branch,
            base=base_ref,
            head_repo=FORK if fork else FULL_NAME,
        )
        files, commits = self.origin.changes(branch, base_ref)
        self.github.push(number, head, files, commits)
        return head

    def pull_request(
        self,
        number: int,
        branch: str,
        *,
        fork: bool = False,
        base_ref: str = "main",
        **settings: Any,
    ) -> tuple[RunResult, RunResult]:
        """The unprivileged tenant-pr.yml run, then the trusted tenant-preview.yml run
        GitHub starts when it completes (workflow_run, from main)."""
        self.sync_pull(number, branch, base_ref, fork)
        event = self.origin.pull_request(number, branch, fork=fork, base_ref=base_ref)
        pr = self.harness.run("tenant-pr.yml", event, **settings)
        completed = self.origin.workflow_run(event, pr.run_id, pr.conclusion)
        return pr, self.harness.run("tenant-preview.yml", completed, **settings)

    def merge(
        self, number: int, branch: str, *, approved_by: tuple[str, ...] = (PLATFORM_REVIEWER,)
    ) -> str:
        """Pull request `number` of `branch`, approved at its last push by `approved_by`,
        merged into main (fast-forward, so its merge commit is its head): main's new head."""
        self.sync_pull(number, branch)
        for login in approved_by:
            self.github.review(number, login)
        before = self.origin.sha("main")
        merged = self.origin.merge(branch)
        self.github.merge_pull_request(number, merged, base_sha=before)
        return merged

    def when_authenticated(self, job: str, action: Callable[[], object]) -> threading.Thread:
        """Run `action` once job `job` has authenticated (the auth journal says so): e.g.
        move main on while a run waits between its plan and its approved, acting job."""
        journal = self.session.root / "auth.jsonl"
        start = len(journal.read_text().splitlines()) if journal.exists() else 0

        def watch() -> None:
            for _ in range(3000):
                lines = journal.read_text().splitlines() if journal.exists() else []
                if any(json.loads(line)["job"] == job for line in lines[start:]):
                    action()
                    return
                time.sleep(0.05)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        return thread

    def state_tree(self) -> dict[str, tuple[int, int, str]]:
        """Every file and folder of the scenario's Pulumi state: modification time (a
        folder's changes when an entry is added or removed, so a lock taken and released
        shows), size and digest. Equal before and after: nothing was written."""
        found = {}
        for path in [self.state, *sorted(self.state.rglob("*"))]:
            info = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
            found[str(path.relative_to(self.state))] = (info.st_mtime_ns, info.st_size, digest)
        return found

    def auth_calls(self) -> list[dict[str, str]]:
        import json

        journal = self.session.root / "auth.jsonl"
        lines = journal.read_text().splitlines() if journal.exists() else []
        return [json.loads(line) for line in lines[self.journal_start :]]


def _listed_by(github: FakeGitHub) -> Callable[[str, Event, str], object]:
    """Each finished run, listed by the stand-in's List workflow runs (the approval check
    reads the apply workflow's last successful run on main: the last deploy)."""

    def finished(workflow: str, event: Event, conclusion: str) -> object:
        branch = event.ref.removeprefix("refs/heads/")
        return github.state.run(workflow, event.name, event.sha, branch, conclusion)

    return finished


@pytest.fixture
def scenario(act_session: Session, tmp_path: Path) -> Iterator[Scenario]:
    github = FakeGitHub(FULL_NAME, act_session.secrets["GITHUB_TOKEN"]).start()
    # Two items a page: every listing the workflows read follows GitHub's `Link` header.
    github.max_per_page = 2
    github.state.permissions.update(COLLABORATORS)
    # Each scenario's cloud has its own state, so its Secret Manager answers from it (the
    # session's stand-in reads the session's state).
    secret_manager = make_server(tmp_path / "sandbox.db")
    threading.Thread(target=secret_manager.serve_forever, daemon=True).start()
    secret_manager_url = f"http://127.0.0.1:{secret_manager.server_address[1]}"
    origin = Origin(tmp_path / "origin")
    origin.on_push = github.pushed  # a scenario's direct push to main is a `push` activity
    # A team's repository in use: its initial main was deployed by an earlier successful
    # push run of the apply workflow, which the approval check starts from (with none on
    # record it refuses until the platform team sets ACCEPTED_THROUGH: docs/security.md).
    github.state.run("tenant-apply.yml", "push", origin.sha("main"), "main", "success")
    state = tmp_path / "state"
    state.mkdir()
    session = Session(
        root=act_session.root,
        act=act_session.act,
        standins=act_session.standins,
        environment=act_session.environment,
        variables={**act_session.variables, "RECONCILER_BACKEND_URL": state.as_uri()},
        secrets=act_session.secrets,
        api_url=github.url,
        cloud={
            **act_session.cloud,
            "SANDBOX_STATE_DB": str(tmp_path / "sandbox.db"),
            "RECONCILER_SECRET_MANAGER_ENDPOINT": secret_manager_url,
        },
        timings=act_session.timings,
    )
    # CI reads client secrets from Secret Manager by the naming convention: seed them.
    for name, idp in (("tenant-one", "google"), ("tenant-two", "github")):
        variable = f"{name.upper().replace('-', '_')}_{idp.upper()}_CLIENT_SECRET"
        put_secret(
            PROJECT,
            f"tenant-{name}-{idp}-client-secret",
            act_session.secrets[variable],
            db_path=tmp_path / "sandbox.db",
        )
    journal = act_session.root / "auth.jsonl"
    start = len(journal.read_text().splitlines()) if journal.exists() else 0
    try:
        yield Scenario(
            origin,
            github,
            Harness(session, origin, tmp_path / "runs", finished=_listed_by(github)),
            session,
            state,
            act_session.cloud["FIREBASE_AUTH_EMULATOR_HOST"],
            start,
        )
    finally:
        github.stop()
        secret_manager.shutdown()
        secret_manager.server_close()
