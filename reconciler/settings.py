"""Every environment variable the reconciler reads: one table, one reader, one frozen object.

`SETTINGS` lists each variable with its default and what it does; `docs/settings.md` is
generated from it (`python -m reconciler.settings`, and a test keeps the two equal).
`read_settings()` is the only place that reads `os.environ`: a process's edge calls it once
and passes the frozen `Settings` down, and the modules below read typed properties, never
a variable by name. The edges are the `reconciler` command (`cli/main.py`), the CI entry
points `python -m reconciler.report.comment`, `python -m reconciler.github.preview` and
`python -m reconciler.manifests.platform`, and the tenant program's dynamic providers, which
the Pulumi engine runs in a process of their own (`gcp/identitytoolkit.py`).

Without a row: what the Pulumi CLI and its plugins read from the environment they inherit
(`GOOGLE_APPLICATION_CREDENTIALS`, `PULUMI_HOME`, ...: theirs to document, `cli/runtime.py`),
and the variable a manifest's `fromEnv:` names (a client secret or test code: `secret_env`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

SETTINGS_DOC = Path("docs/settings.md")
"""The generated table, relative to the repository root."""


@dataclass(frozen=True)
class Setting:
    """One environment variable the reconciler reads."""

    name: str
    default: str
    """What applies when it is unset ("": nothing; the behaviour it turns on stays off)."""
    doc: str
    """What it does, in one or two sentences (Markdown)."""
    group: str
    """The heading it is listed under in docs/settings.md."""


_RUN, _PLATFORM, _ENGINE, _SECRETS, _GITHUB = (
    "The command line",
    "Platform settings (override platform.yaml)",
    "The engine and the backend",
    "Client secrets",
    "GitHub",
)
_YAML = "platform.yaml's"

SETTINGS: tuple[Setting, ...] = (
    *(
        Setting(name, default, doc, _RUN)
        for name, default, doc in (
            (
                "RECONCILER_ROOT",
                ".",
                "Repository root (`platform.yaml`, `tenants/`) when `--root` is not given.",
            ),
            (
                "RECONCILER_DEBUG",
                "",
                "Non-empty: an internal error shows its Python traceback instead of one line.",
            ),
            (
                "RECONCILER_HEARTBEAT",
                "15",
                "Seconds between the progress lines of a running tenant; anything but a "
                "positive number leaves the default.",
            ),
            ("NO_COLOR", "", "Non-empty: no colour in progress lines (no-color.org)."),
            ("TERM", "", "`dumb`: no colour in progress lines."),
        )
    ),
    *(
        Setting(name, f"{_YAML} `{key}`", doc, _PLATFORM)
        for name, key, doc in (
            ("RECONCILER_TARGET", "target", "`sandbox` (the stand-in cloud) or `gcp`."),
            ("RECONCILER_GCP_PROJECT", "gcp.project", "The project of every tenant's resources."),
            ("RECONCILER_DEFAULT_LOCATION", "gcp.defaultLocation", "Bucket location by default."),
            ("RECONCILER_PULUMI_PROJECT", "pulumi.project", "Stacks are `<project>/<tenant>`."),
        )
    ),
    Setting(
        "RECONCILER_BACKEND_URL",
        f"`PULUMI_BACKEND_URL`, else {_YAML} `pulumi.backendUrl`",
        "The state backend (`file://...`, `gs://...`).",
        _PLATFORM,
    ),
    Setting(
        "PULUMI_BACKEND_URL",
        "",
        "The backend when `RECONCILER_BACKEND_URL` is unset; both set and different is "
        "refused (exit 2). The engine is always given the resolved URL explicitly.",
        _PLATFORM,
    ),
    *(
        Setting(name, f"{_YAML} `{key}`", doc, _PLATFORM)
        for name, key, doc in (
            (
                "RECONCILER_SECRETS_PROVIDER",
                "pulumi.secretsProvider",
                "`passphrase` or `gcpkms://...`",
            ),
            (
                "RECONCILER_DEFAULT_DELETION_PROTECTION",
                "reconcile.defaultDeletionProtection",
                "Deletion protection for tenants whose manifest does not say.",
            ),
            (
                "RECONCILER_MAX_DELETE_FRACTION",
                "reconcile.maxDeleteFraction",
                "A run deleting more than this share of the deployed tenants is refused.",
            ),
            ("RECONCILER_PARALLELISM", "reconcile.parallelism", "Engine operations at once."),
            (
                "RECONCILER_AUTO_REPAIR_DRIFT",
                "reconcile.autoRepairDrift",
                "`true`: the scheduled drift check starts the apply workflow for what drifted.",
            ),
        )
    ),
    *(
        Setting(name, "", doc, _ENGINE)
        for name, doc in (
            (
                "RECONCILER_PULUMI_BINARY",
                "The Pulumi CLI to run (a `.../bin/pulumi`); unset: `.tools/bin/pulumi` under "
                "the root or the checkout, else `pulumi` on `PATH`.",
            ),
            (
                "PATH",
                "Where `pulumi` and, with `target: sandbox`, the sandbox's `pulumi-resource-gcp` "
                "plugin are looked for.",
            ),
            (
                "PULUMI_CONFIG_PASSPHRASE",
                "Only whether it is set is read here: the `passphrase` secrets provider needs it "
                "or `PULUMI_CONFIG_PASSPHRASE_FILE`; if neither is set, with `target: sandbox` a "
                "random one is kept in `.reconciler/passphrase` (mode 0600, git-ignored), and "
                "the platform stack (`reconciler platform`, no secret in it) gets an empty one.",
            ),
            (
                "PULUMI_CONFIG_PASSPHRASE_FILE",
                "Only whether it is set is read here (see `PULUMI_CONFIG_PASSPHRASE`).",
            ),
            (
                "RECONCILER_INVENTORY",
                "`cli`: list the deployed stacks through the Pulumi CLI (a call per stack) even "
                "where the backend's files are read in bulk (`file://`, `gs://`).",
            ),
            (
                "FIREBASE_AUTH_EMULATOR_HOST",
                "Set by the sandbox (required with `target: sandbox`): Identity Toolkit calls go "
                "to the Firebase Auth emulator at this host.",
            ),
            (
                "STORAGE_EMULATOR_HOST",
                "A local Cloud Storage (tests, benchmarks), `host:port` as the Pulumi CLI takes "
                "it, or a URL: the bulk reader of a `gs://` backend reads there anonymously.",
            ),
            (
                "RECONCILER_GOOGLE_APIS_ENDPOINT",
                "The doctor's GCP checks: a loopback `http://` stand-in serving each Google API "
                "under `<endpoint>/<service>` (tests; anything else is refused). Unset: "
                "`https://<service>.googleapis.com`, with application-default credentials.",
            ),
        )
    ),
    *(
        Setting(name, default, doc, _SECRETS)
        for name, default, doc in (
            (
                "RECONCILER_CLIENT_SECRETS",
                "env",
                "Where client secrets come from: `env` (each manifest's `fromEnv` variable), "
                "`secret-manager` (by naming convention; CI's apply) or `unread` (CI's previews: "
                "on a `gs://` or `file://` backend they then run on a copy of the state with "
                "placeholder secrets, no lock, no decrypt; docs/security.md).",
            ),
            (
                "RECONCILER_SECRET_MANAGER_ENDPOINT",
                "https://secretmanager.googleapis.com",
                "The Secret Manager API plan's rotation check asks (the sandbox points it at its "
                "stand-in; plain `http://` gets no credentials).",
            ),
        )
    ),
    *(
        Setting(name, default, doc, _GITHUB)
        for name, default, doc in (
            ("GITHUB_ACTIONS", "", "`true` (set by Actions): each tenant's steps in a log group."),
            ("GITHUB_STEP_SUMMARY", "", "`validate --format github` also appends errors here."),
            (
                "GITHUB_TOKEN",
                "",
                "CI's GitHub calls (the comment and drift issue, `approval`, the preview's "
                "binding, `doctor`); `reconciler platform`: a repository admin's.",
            ),
            (
                "GH_TOKEN",
                "",
                "`reconciler platform`: the admin's token when `GITHUB_TOKEN` is unset (the "
                "GitHub CLI's variable); with neither, `up` needs `--skip-github`.",
            ),
            ("GITHUB_REPOSITORY", "", "`owner/name` of those calls (the comment's `--repo` wins)."),
            ("GITHUB_API_URL", "https://api.github.com", "The REST API root of every GitHub call."),
            (
                "RECONCILER_GITHUB_TEAMS_TOKEN",
                "",
                "`reconciler approval`: a token with the organisation's Members: read, to check "
                "an approver's code-owner team; unset, a team's approval is refused.",
            ),
            ("GITHUB_SHA", "", "The commit a comment describes without `--sha` or `--commit`."),
            ("GITHUB_SERVER_URL", "", "With `GITHUB_RUN_ID`: the run a comment links to."),
            ("GITHUB_RUN_ID", "", "See `GITHUB_SERVER_URL`."),
        )
    ),
)
"""Every environment variable the reconciler reads, grouped as docs/settings.md shows them."""

_BY_NAME = {setting.name: setting for setting in SETTINGS}
PLATFORM_VARIABLES = tuple(s.name for s in SETTINGS if s.group == _PLATFORM)
"""The variables `load_platform` applies over platform.yaml (PULUMI_BACKEND_URL included)."""


def default(name: str) -> str:
    """The table's default of `name` (KeyError for a variable not in the table)."""
    return _BY_NAME[name].default


@dataclass(frozen=True)
class Settings:
    """This process's settings, read once from the environment; typed properties below.

    Nothing here is printed: `values` holds a token, `secret_env` client secrets.
    """

    values: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The table's variables that are set, as they are set (an empty value included)."""
    secret_env: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The environment, for the variables a manifest's `fromEnv` names (and nothing else)."""

    def _get(self, name: str) -> str | None:
        assert name in _BY_NAME, f"{name} is not in SETTINGS"
        return self.values.get(name)

    def _text(self, name: str) -> str:
        """The value, stripped, or the table's default when unset or blank."""
        return (self._get(name) or "").strip() or _BY_NAME[name].default

    @property
    def root(self) -> Path:
        return Path(self._get("RECONCILER_ROOT") or default("RECONCILER_ROOT"))

    @property
    def debug(self) -> bool:
        return bool(self._get("RECONCILER_DEBUG"))

    @property
    def heartbeat(self) -> float:
        """Seconds between heartbeat lines: a positive number, else the default."""
        fallback = float(default("RECONCILER_HEARTBEAT"))
        try:
            value = float(self._get("RECONCILER_HEARTBEAT") or "")
        except ValueError:
            return fallback
        return value if value > 0 else fallback

    @property
    def colour_allowed(self) -> bool:
        """Whether the environment lets a terminal have colour (no-color.org, TERM=dumb)."""
        return not self._get("NO_COLOR") and self._get("TERM") != "dumb"

    @property
    def github_actions(self) -> bool:
        return self._get("GITHUB_ACTIONS") == "true"

    @property
    def step_summary(self) -> Path | None:
        value = self._get("GITHUB_STEP_SUMMARY")
        return Path(value) if value else None

    @property
    def platform_overrides(self) -> Mapping[str, str]:
        """The platform variables that are set, by name (what `load_platform` applies)."""
        return {k: v for k in PLATFORM_VARIABLES if (v := self.values.get(k)) is not None}

    @property
    def inventory(self) -> str | None:
        return self._get("RECONCILER_INVENTORY")

    @property
    def pulumi_binary(self) -> str | None:
        return self._get("RECONCILER_PULUMI_BINARY") or None

    @property
    def path(self) -> str | None:
        """`PATH`, for looking up executables (None: the system's default search)."""
        return self._get("PATH")

    @property
    def passphrase_set(self) -> bool:
        return bool(
            self._get("PULUMI_CONFIG_PASSPHRASE") or self._get("PULUMI_CONFIG_PASSPHRASE_FILE")
        )

    @property
    def google_apis_endpoint(self) -> str:
        """The stand-in for Google's APIs, stripped ("": Google's; `gcp/rest.roots` checks it)."""
        return (self._get("RECONCILER_GOOGLE_APIS_ENDPOINT") or "").strip().rstrip("/")

    @property
    def emulator_host(self) -> str:
        """As set (`gcp/identitytoolkit.endpoint` strips it)."""
        return self._get("FIREBASE_AUTH_EMULATOR_HOST") or ""

    @property
    def storage_emulator(self) -> str | None:
        """`STORAGE_EMULATOR_HOST` as a URL (`http://` before a bare `host:port`), or None."""
        host = (self._get("STORAGE_EMULATOR_HOST") or "").strip()
        return (host if "://" in host else f"http://{host}") if host else None

    @property
    def client_secrets(self) -> str:
        """Where client secrets come from, unchecked (`program/secrets.py` checks it)."""
        return self._text("RECONCILER_CLIENT_SECRETS")

    @property
    def secret_manager_endpoint(self) -> str:
        return self._text("RECONCILER_SECRET_MANAGER_ENDPOINT")

    @property
    def admin_token(self) -> str:
        """`reconciler platform`'s GitHub token: GITHUB_TOKEN, else GH_TOKEN ("": neither)."""
        return self._get("GITHUB_TOKEN") or self._get("GH_TOKEN") or ""

    @property
    def github(self) -> GitHubRun:
        return GitHubRun(
            token=self._text("GITHUB_TOKEN"),
            repository=self._text("GITHUB_REPOSITORY"),
            api_url=self._text("GITHUB_API_URL"),
            sha=self._text("GITHUB_SHA"),
            server_url=self._text("GITHUB_SERVER_URL"),
            run_id=self._text("GITHUB_RUN_ID"),
            teams_token=self._text("RECONCILER_GITHUB_TEAMS_TOKEN"),
        )


@dataclass(frozen=True)
class GitHubRun:
    """What a GitHub Actions job tells the CI glue about itself."""

    token: str = field(default="", repr=False)
    repository: str = ""
    api_url: str = default("GITHUB_API_URL")
    sha: str = ""
    server_url: str = ""
    run_id: str = ""
    teams_token: str = field(default="", repr=False)

    @property
    def run_url(self) -> str:
        """The workflow run's page, or "" outside a workflow run."""
        parts = (self.server_url, self.repository, self.run_id)
        return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else ""


def read_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings of this process: from `environ` (tests, a child's environment), else
    from `os.environ` — the one read of it in the package."""
    env = dict(os.environ if environ is None else environ)
    values = {name: env[name] for name in _BY_NAME if name in env}
    return Settings(values=MappingProxyType(values), secret_env=MappingProxyType(env))


def settings_markdown() -> str:
    """docs/settings.md: the table, by group."""
    lines = [
        "# Settings: every environment variable the reconciler reads",
        "",
        "Generated from `SETTINGS` in `reconciler/settings.py` by",
        "`python -m reconciler.settings > docs/settings.md`; a test keeps the two equal. The",
        "variables are read once, in that module, when a command starts. Besides these, a",
        "manifest's `fromEnv:` names the variable holding a client secret, and the Pulumi CLI",
        "and its plugins inherit the environment (e.g. `GOOGLE_APPLICATION_CREDENTIALS`).",
    ]
    for group in dict.fromkeys(s.group for s in SETTINGS):
        lines += ["", f"## {group}", "", "| variable | default | what it does |", "|---|---|---|"]
        for s in SETTINGS:
            if s.group == group:
                shown = s.default if s.default.startswith(("`", _YAML)) else f"`{s.default}`"
                lines.append(f"| `{s.name}` | {shown if s.default else 'unset'} | {s.doc} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")
