"""One workflow run under nektos/act in host mode, and what it did, job by job and step by step.

act runs every step as a process on this machine (`-P ubuntu-24.04=-self-hosted`), so the
harness decides exactly what they see:
- a curated environment (host mode hands act's own environment to every step): a few
  system paths, the sandbox's exports, offline uv and Pulumi settings, nothing else;
- the third-party actions replaced by the stand-ins in tests/workflows/standins/ through
  `--local-repository OWNER/REPO@SHA=DIR`, for the exact pins the workflow files name (a
  new action without a stand-in fails the run, by name);
- events from JSON payloads, variables and secrets from files (never act's default
  `.vars`/`.secrets`/`.env` in the checkout, which a pull request could add);
- `--json` logs parsed per job (and matrix leg) and per step; act marks every leg of a
  matrix failed when one fails, so `Job.failed_steps` is what to read for a leg;
- the run's workspaces (act's cache path) removed after the run; artifacts are kept.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.workflows.act.origin import Event, Origin

STANDIN_FOR = {
    "actions/checkout": "checkout",
    "astral-sh/setup-uv": "setup-uv",
    "pulumi/actions": "pulumi",
    "google-github-actions/auth": "gcp-auth",
    "actions/upload-artifact": "upload-artifact",
    "actions/download-artifact": "download-artifact",
}
PLATFORM = "ubuntu-24.04=-self-hosted"
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w.-]+)(?:/[\w./-]+)?@([0-9a-f]{40})", re.M)


class HarnessError(Exception):
    """The harness cannot run this workflow as asked (not a workflow failure)."""


def pinned_actions(files: Iterable[Path]) -> set[tuple[str, str]]:
    """Every `owner/repo@sha` the workflow and action files use."""
    found: set[tuple[str, str]] = set()
    for path in files:
        found.update(_USES.findall(path.read_text(encoding="utf-8")))
    return found


@dataclass
class Step:
    name: str
    stage: str = "Main"
    result: str = ""
    output: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Annotation:
    """A `::error`/`::warning`/`::notice` workflow command, as GitHub shows it on a line."""

    level: str
    message: str
    file: str = ""
    line: str = ""
    col: str = ""


@dataclass
class Job:
    """One job, or one leg of a matrix job."""

    job_id: str
    name: str
    matrix: dict[str, Any]
    result: str = ""
    steps: dict[str, Step] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    @property
    def seconds(self) -> float:
        """From the job's first log line to its last (act stamps lines to the second)."""
        if self.first_seen is None or self.last_seen is None:
            return 0.0
        return (self.last_seen - self.first_seen).total_seconds()

    @property
    def output(self) -> str:
        return "\n".join(line for step in self.steps.values() for line in step.output)

    @property
    def failed_steps(self) -> list[str]:
        return [s.name for s in self.steps.values() if s.result == "failure"]

    @property
    def ran(self) -> bool:
        """Whether the job ran steps (a skipped job has none)."""
        return self.result != "skipped" and bool(self.steps)


@dataclass
class RunResult:
    workflow: str
    event: Event
    code: int
    jobs: list[Job]
    log: str
    artifacts: Path
    seconds: float

    @property
    def run_id(self) -> str:
        """GITHUB_RUN_ID of this run (its artifacts' folder is named after it)."""
        return self.artifacts.name

    @property
    def conclusion(self) -> str:
        return "success" if self.code == 0 else "failure"

    def job(self, job_id: str) -> Job:
        legs = self.legs(job_id)
        if len(legs) != 1:
            raise AssertionError(f"{job_id}: {len(legs)} runs in {self.summary()}")
        return legs[0]

    def legs(self, job_id: str) -> list[Job]:
        return [j for j in self.jobs if j.job_id == job_id]

    def results(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for job in self.jobs:
            found.setdefault(job.job_id, []).append(job.result)
        return found

    def errors(self) -> list[str]:
        """act's own error lines (not a step's): e.g. a matrix it could not evaluate."""
        found = []
        for raw in self.log.splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict) and line.get("level") == "error" and "jobID" not in line:
                found.append(str(line.get("msg", "")))
        return found

    def summary(self) -> str:
        lines = [f"{self.workflow} ({self.event.name}) exit {self.code}:"]
        lines += [f"  act: {error}" for error in self.errors()]
        for job in self.jobs:
            failed = f" failed steps {job.failed_steps}" if job.failed_steps else ""
            lines.append(f"  {job.job_id} {job.matrix or ''} {job.result or '?'}{failed}")
            # The last lines a failed step printed: why it failed, without the whole log.
            for step in job.steps.values():
                if step.result == "failure":
                    lines += [f"    | {line}" for line in step.output[-12:]]
        return "\n".join(lines)

    def leaked(self, values: Mapping[str, str]) -> list[str]:
        """Which of `values` (name -> secret value) appear in anything the run's steps
        wrote (their output, annotations, artifacts), as is or base64-encoded (runners
        mask known secrets in logs; code that wants them out encodes them first).

        act's own debug lines are left out: they print each step's environment, which
        GitHub never shows; what a step can read is what its output proves."""
        artifacts = [p for p in self.artifacts.rglob("*") if p.is_file()]
        texts = [job.output for job in self.jobs]
        texts += [a.message for job in self.jobs for a in job.annotations]
        texts += [p.read_text(errors="replace") for p in artifacts]
        found = []
        for name, value in values.items():
            forms = {value, base64.b64encode(value.encode()).decode().rstrip("=")}
            if any(form in text for form in forms for text in texts):
                found.append(name)
        return found

    def artifact(self, name: str) -> Path:
        return self.artifacts / name


def _record_timings(path: Path, workflow: str, event: str, seconds: float, jobs: list[Job]) -> None:
    """Append one run's jobs (id, matrix, result, seconds) to `path` as a JSON line."""
    record = {
        "workflow": workflow,
        "event": event,
        "seconds": round(seconds, 1),
        "jobs": [
            {"id": j.job_id, "matrix": j.matrix, "result": j.result, "seconds": j.seconds}
            for j in jobs
        ],
    }
    with path.open("a") as out:
        out.write(json.dumps(record) + "\n")


def _stamp(value: object) -> datetime | None:
    """A log line's `time` (RFC 3339, from act's JSON logger), or None."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_log(lines: Iterable[str]) -> list[Job]:
    """Jobs and steps from act's `--json` log lines (other lines are ignored)."""
    jobs: dict[tuple[str, str], Job] = {}
    for raw in lines:
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(line, dict) or "jobID" not in line:
            continue
        matrix = line.get("matrix") or {}
        key = (line["jobID"], json.dumps(matrix, sort_keys=True))
        job = jobs.setdefault(key, Job(line["jobID"], str(line.get("job", "")), matrix))
        stamp = _stamp(line.get("time"))
        if stamp is not None:
            job.first_seen = min(job.first_seen or stamp, stamp)
            job.last_seen = max(job.last_seen or stamp, stamp)
        if "jobResult" in line:
            job.result = line["jobResult"]
        if line.get("command") in ("error", "warning", "notice"):
            where = line.get("kvPairs") or {}
            job.annotations.append(
                Annotation(
                    line["command"],
                    str(line.get("arg", "")),
                    where.get("file", ""),
                    where.get("line", ""),
                    where.get("col", ""),
                )
            )
        step_name = line.get("step")
        if not step_name:
            continue
        # Main and Post of one step share its name and id: the stage tells them apart.
        step_id = line.get("stepID") or line.get("stepid") or []
        step_key = f"{line.get('stage', 'Main')}:{'/'.join(map(str, step_id))}"
        step = job.steps.setdefault(step_key, Step(str(step_name), line.get("stage", "Main")))
        if "stepResult" in line:
            step.result = line["stepResult"]
        if line.get("raw_output"):
            step.output.append(str(line.get("msg", "")).rstrip("\n"))
    return list(jobs.values())


@dataclass(frozen=True)
class Session:
    """What every run of one test session shares."""

    root: Path
    act: Path
    standins: Path
    environment: Mapping[str, str]
    variables: Mapping[str, str]
    secrets: Mapping[str, str]
    api_url: str
    cloud: Mapping[str, str] = field(default_factory=dict)
    """The sandbox cloud's address and state: handed out by the auth stand-in only."""
    timings: Path | None = None
    """Where each run appends its jobs' seconds as a JSON line (bench/bench_workflow_minutes.py)."""


class Harness:
    """Runs workflows of `origin` under act; one instance per scenario."""

    def __init__(
        self,
        session: Session,
        origin: Origin,
        scratch: Path,
        finished: Callable[[str, Event, str], object] | None = None,
    ) -> None:
        self.session = session
        self.origin = origin
        self.scratch = scratch
        self.finished = finished
        """Told of each finished run (workflow, event, conclusion): GitHub lists its runs."""
        self._runs = 0

    def run(
        self,
        workflow: str,
        event: Event,
        *,
        variables: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        environment: Mapping[str, str] | None = None,
        timeout: float = 600,
    ) -> RunResult:
        self._runs += 1
        run_id = str(int(time.time() * 1000) % 10**9 * 100 + self._runs)
        folder = self.scratch / f"run-{self._runs}-{workflow.removesuffix('.yml')}"
        workdir = self.origin.checkout_at(event.sha, folder / "workdir")
        workflow_file = workdir / ".github" / "workflows" / workflow
        if not workflow_file.is_file():
            raise HarnessError(f"{workflow} does not exist at {event.sha}")
        event_file = folder / "event.json"
        event_file.write_text(json.dumps(event.payload))
        files = {
            "var": {**self.session.variables, **(variables or {})},
            "secret": {**self.session.secrets, **(secrets or {})},
            "env": {
                "GITHUB_API_URL": self.session.api_url,
                "GITHUB_SERVER_URL": self.origin.server_url,
                "GITHUB_REPOSITORY": event.payload["repository"]["full_name"],
                "GITHUB_REPOSITORY_OWNER": event.payload["repository"]["owner"]["login"],
                "GITHUB_RUN_ID": run_id,
                "GITHUB_RUN_NUMBER": str(self._runs),
                "GITHUB_RUN_ATTEMPT": "1",
            },
        }
        for kind, values in files.items():
            (folder / f"{kind}s.env").write_text(
                "".join(f"{k}={v}\n" for k, v in sorted(values.items()))
            )
        command = [
            str(self.session.act),
            event.name,
            "--workflows",
            str(workflow_file),
            "--directory",
            str(workdir),
            "--eventpath",
            str(event_file),
            "--platform",
            PLATFORM,
            "--json",
            # Debug level: the only level at which act logs a skipped job ("jobResult").
            "--verbose",
            "--no-skip-checkout",
            "--no-cache-server",
            "--action-offline-mode",
            "--action-cache-path",
            str(folder / "act-cache"),
            "--var-file",
            str(folder / "vars.env"),
            "--secret-file",
            str(folder / "secrets.env"),
            "--env-file",
            str(folder / "envs.env"),
            *self._local_repositories(workdir),
        ]
        env = {**self.session.environment, **(environment or {})}
        # What authenticating opens, per run (the auth stand-in appends it to GITHUB_ENV).
        cloud = self.session.root / "cloud" / f"{run_id}.env"
        cloud.parent.mkdir(exist_ok=True)
        cloud.write_text("".join(f"{k}={v}\n" for k, v in sorted(self.session.cloud.items())))
        started = time.monotonic()
        process = subprocess.run(
            command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout
        )
        seconds = time.monotonic() - started
        (folder / "act.log").write_text(process.stdout + process.stderr)
        # Workspaces (and the run's copies of the actions) go; artifacts and logs stay.
        shutil.rmtree(folder / "act-cache", ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
        jobs = parse_log(process.stdout.splitlines())
        if self.session.timings is not None:
            _record_timings(self.session.timings, workflow, event.name, seconds, jobs)
        artifacts = self.session.root / "artifacts" / run_id
        if self.finished is not None:
            self.finished(workflow, event, "success" if process.returncode == 0 else "failure")
        return RunResult(
            workflow,
            event,
            process.returncode,
            jobs,
            process.stdout + process.stderr,
            artifacts,
            seconds,
        )

    def _local_repositories(self, workdir: Path) -> list[str]:
        files = [*workdir.glob(".github/workflows/*.yml"), *workdir.glob(".github/actions/*/*.yml")]
        options = []
        for action, sha in sorted(pinned_actions(files)):
            standin = STANDIN_FOR.get(action)
            if standin is None:
                raise HarnessError(
                    f"{action}@{sha}: no stand-in in tests/workflows/standins/ "
                    "(add one, and map it in STANDIN_FOR)"
                )
            # act matches the full URL (GITHUB_SERVER_URL + owner/repo) or, for http(s),
            # the path alone; the "server" here is file://, so the full URL it is.
            key = f"{self.origin.server_url}/{action}@{sha}"
            options += ["--local-repository", f"{key}={self.session.standins / standin}"]
        return options
