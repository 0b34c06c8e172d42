"""`python -m sandbox`: run the local sandbox cloud by hand.

    python -m sandbox up                    start (or reuse) the Auth emulator, the Identity
                                            Toolkit front before it and the Secret Manager
                                            stand-in; prints the `export` lines the engine
                                            and plan need
    python -m sandbox exec -- CMD ARGS...   run CMD with those variables (starts the
                                            emulator if needed), e.g. `reconciler apply`
    python -m sandbox status                are they running, where, and which state file
    python -m sandbox down                  stop them
    python -m sandbox secret put NAME       add a Secret Manager version; the value is read
                                            from stdin, never from the command line

State lives in `.sandbox/` of the checkout unless --state-dir (or SANDBOX_STATE_DB for the
SQLite file) says otherwise.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from sandbox import (
    DEFAULT_STATE_DIR,
    REPO_ROOT,
    emulator,
    engine_env,
    identity_api,
    secretmanager_api,
)
from sandbox.provider.secretmanager import put_secret
from sandbox.provider.store import STATE_DB_ENV, state_db_path

EXIT_OK, EXIT_FAILED, EXIT_NOT_RUNNING = 0, 1, 3


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except emulator.EmulatorError as error:
        print(f"sandbox: error: {error}", file=sys.stderr)
        return EXIT_FAILED


def _environment(args: argparse.Namespace) -> dict[str, str]:
    running = emulator.ensure_running(args.state_dir, project_id=args.project)
    print(
        f"# emulator pid {running.pid}, project {running.project_id}, log {running.log_path}",
        file=sys.stderr,
    )
    # Beside the emulator: the Secret Manager metadata stand-in plan's rotation check asks.
    api = secretmanager_api.ensure_running(args.state_dir, _db_path(args))
    print(
        f"# secret manager stand-in pid {api.pid} at {api.url}, log {api.log_path}", file=sys.stderr
    )
    # In front of the emulator: the stand-ins for what it cannot do (IdP configs, test phone
    # numbers), which the reconciler's own Identity Toolkit client reaches through it.
    front = identity_api.ensure_running(args.state_dir, _db_path(args), running.host)
    print(f"# identity toolkit front pid {front.pid} at {front.host}", file=sys.stderr)
    return engine_env(front.host, _db_path(args), os.environ.get("PATH", ""), api.url)


def _up(args: argparse.Namespace) -> int:
    for name, value in _environment(args).items():
        print(f"export {name}={shlex.quote(value)}")
    return EXIT_OK


def _exec(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("sandbox: error: exec needs a command: exec -- CMD ARGS...", file=sys.stderr)
        return EXIT_FAILED
    env = {**os.environ, **_environment(args)}
    try:
        os.execvpe(command[0], command, env)
    except OSError as error:
        print(f"sandbox: error: cannot run {command[0]}: {error}", file=sys.stderr)
    return EXIT_FAILED


def _default_project() -> str:
    """The project in platform.yaml (the demo's), so the emulator serves the one we deploy to."""
    if os.environ.get("GOOGLE_CLOUD_PROJECT"):
        return os.environ["GOOGLE_CLOUD_PROJECT"]
    try:
        import yaml

        document = yaml.safe_load((REPO_ROOT / "platform.yaml").read_text(encoding="utf-8"))
        project = document["gcp"]["project"]
    except (OSError, KeyError, TypeError, ValueError):
        return emulator.DEFAULT_PROJECT_ID
    return str(project) if str(project).startswith("demo-") else emulator.DEFAULT_PROJECT_ID


def _down(args: argparse.Namespace) -> int:
    stopped = emulator.stop_recorded(args.state_dir)
    print(
        "sandbox: emulator stopped" if stopped else "sandbox: no emulator was running",
        file=sys.stderr,
    )
    front_stopped = identity_api.stop_recorded(args.state_dir)
    print(
        "sandbox: identity toolkit front stopped"
        if front_stopped
        else "sandbox: no identity toolkit front was running",
        file=sys.stderr,
    )
    api_stopped = secretmanager_api.stop_recorded(args.state_dir)
    print(
        "sandbox: secret manager stand-in stopped"
        if api_stopped
        else "sandbox: no secret manager stand-in was running",
        file=sys.stderr,
    )
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    running = emulator.running(args.state_dir)
    api = secretmanager_api.running(args.state_dir)
    print(f"state file: {_db_path(args)}")
    if api is None:
        print("secret manager stand-in: not running")
    else:
        print(f"secret manager stand-in: running at {api.url} (pid {api.pid}, {api.db_path})")
    front = identity_api.running(args.state_dir)
    if front is not None:
        print(f"identity toolkit front: running at {front.host} (pid {front.pid})")
    if running is None:
        print("emulator: not running (start it with `python -m sandbox up`)")
        return EXIT_NOT_RUNNING
    print(f"emulator: running at {running.host} (pid {running.pid}, project {running.project_id})")
    return EXIT_OK


def _secret_put(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        print("sandbox: type the secret value, then Ctrl-D", file=sys.stderr)
    value = sys.stdin.read()
    # One trailing newline is the shell's (echo, heredoc), not the secret's.
    value = value[:-1] if value.endswith("\n") else value
    if not value:
        print("sandbox: error: the secret value on stdin is empty", file=sys.stderr)
        return EXIT_FAILED
    version = put_secret(args.project, args.name, value, db_path=_db_path(args))
    print(f"projects/{version.project}/secrets/{version.secret}/versions/{version.version}")
    return EXIT_OK


def _db_path(args: argparse.Namespace) -> Path:
    if os.environ.get(STATE_DB_ENV):
        return state_db_path()
    return Path(args.state_dir) / "sandbox.db"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="The local sandbox cloud."
    )
    parser.add_argument(
        "--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="default: .sandbox/"
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    up = commands.add_parser(
        "up", help="start (or reuse) the Auth emulator and print the engine's `export` lines"
    )
    up.set_defaults(run=_up)
    run = commands.add_parser(
        "exec", help="run a command in the sandbox's environment: exec -- CMD ARGS..."
    )
    run.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ARGS")
    run.set_defaults(run=_exec)
    for sub in (up, run):
        sub.add_argument(
            "--project",
            default=_default_project(),
            help="a demo-* project id (default: platform.yaml's, else demo-sandbox)",
        )
    commands.add_parser("down", help="stop the emulator").set_defaults(run=_down)
    commands.add_parser("status", help="is the emulator running").set_defaults(run=_status)
    secret = commands.add_parser("secret", help="Secret Manager stand-in")
    secret_commands = secret.add_subparsers(required=True, metavar="ACTION")
    put = secret_commands.add_parser("put", help="add a version; the value is read from stdin")
    put.add_argument("name", help="the secret's short name")
    put.add_argument(
        "--project",
        default=_default_project(),
        help="default: $GOOGLE_CLOUD_PROJECT or demo-mlaas (platform.yaml's project)",
    )
    put.set_defaults(run=_secret_put)
    return parser


if __name__ == "__main__":
    sys.exit(main())
