"""State-only CLI commands for adoption: read a stack's resources, move and rename them.

`pulumi stack export`, `pulumi state move` and `pulumi state rename` change or read a
stack's state and never run the deployment engine or call the cloud. They run from the
inventory workspace (no tenant's program), naming stacks fully: a DIY backend names them
`organization/PROJECT/STACK`, so another project's stack in the same backend (the seed's
multi-tenant stack a migration moves from) is `PROJECT/STACK` on our command line.
"""

from __future__ import annotations

import json
from pathlib import Path

from pulumi import automation as auto

from reconciler.engine.automation.events import IGNORED_TYPE_PREFIXES, mask
from reconciler.engine.port import StateResource


def qualified(stack: str, project: str) -> str:
    """A stack reference for the CLI: a tenant's stack of `project`, or `PROJECT/STACK` of
    another project in the same backend (DIY backends name stacks organization/PROJECT/STACK)."""
    if stack.count("/") == 1:
        return f"organization/{stack}"
    if "/" in stack:
        return stack
    return f"organization/{project}/{stack}"


def run_state_command(
    command: auto.PulumiCommand, workspace: auto.LocalWorkspace, args: list[str]
) -> str:
    """Run one state command from `workspace` (its home and environment); its stdout."""
    env = {**({"PULUMI_HOME": workspace.pulumi_home} if workspace.pulumi_home else {})}
    env.update(workspace.env_vars)
    return command.run(args, workspace.work_dir, env).stdout


def export_args(stack: str, project: str) -> list[str]:
    return ["stack", "export", "--stack", qualified(stack, project)]


def import_args(stack: str, project: str, path: Path) -> list[str]:
    """`pulumi stack import` of a deployment file (the CLI takes the stack's lock itself)."""
    return ["stack", "import", "--stack", qualified(stack, project), "--file", str(path)]


def move_args(source: str, dest: str, urns: tuple[str, ...], project: str) -> list[str]:
    """`pulumi state move` (the CLI moves dependencies' providers along)."""
    return [
        "state",
        "move",
        "--source",
        qualified(source, project),
        "--dest",
        qualified(dest, project),
        "--yes",
        *urns,
    ]


def rename_args(stack: str, urn: str, new_name: str, project: str) -> list[str]:
    return ["state", "rename", "--stack", qualified(stack, project), "--yes", urn, new_name]


def state_resources(exported: str) -> tuple[StateResource, ...]:
    """The custom resources of a `pulumi stack export` (providers left out), each output
    with every secret, at any depth, as "[secret]" (the export holds their ciphertext)."""
    deployment = json.loads(exported).get("deployment") or {}
    found = []
    for item in deployment.get("resources") or []:
        kind = str(item.get("type", ""))
        if not item.get("custom") or kind.startswith(IGNORED_TYPE_PREFIXES):
            continue
        outputs = {key: mask(value) for key, value in (item.get("outputs") or {}).items()}
        urn = str(item["urn"])
        found.append(
            StateResource(
                urn=urn,
                type=kind,
                name=urn.rsplit("::", 1)[-1],
                id=str(item.get("id", "")),
                outputs=outputs,
                protected=bool(item.get("protect")),
            )
        )
    return tuple(found)
