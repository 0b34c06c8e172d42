"""Run one checkout's tenant program for every tenant under Pulumi's mocks; write the graphs.

    python reconciler/impact/capture.py --code DIR --out FILE

Run as a script, by path: it puts DIR first on the import path and imports DIR's own
validator, platform settings and program (never those of the checkout this file comes
from), so a pull request's base and head each declare resources with their own code. It
touches only their stable entry points: `load_platform`, `validate_tree`,
`resolve_secrets` and `tenant_program`. It imports no sibling module (the graph format's
constants are repeated below and pinned equal to `reconciler.impact.graph`'s by a test).

No credential, secret or backend is read: Pulumi's mocks (`pulumi.runtime`, not the
Automation API) stand in for the engine and the provider, every `fromEnv` secret
reference reads a placeholder named after its variable, and Secret Manager reads answer a
placeholder named after the secret. Placeholders are recorded as digests, never as text.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _sync_await

GRAPH_SCHEMA = 1
SECRET, UNKNOWN, RESOURCE = "$secret", "$unknown", "$resource"
OPTIONS = ("ignoreChanges", "replaceOnChanges", "deleteBeforeReplace", "retainOnDelete")
STACK_TYPE = "pulumi:pulumi:Stack"
PROJECT = "impact"
SECRET_SOURCE = "RECONCILER_CLIENT_SECRETS"
SECRET_VERSION_CALL = "gcp:secretmanager/getSecretVersion:getSecretVersion"
IDENTITY_TENANT = "gcp:identityplatform/tenant:Tenant"
ACCOUNT = "gcp:serviceaccount/account:Account"


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _short_urn(urn: str) -> str:
    """`TYPE::NAME` of a URN (the parent chain of the type dropped)."""
    parts = urn.split("::")
    return f"{parts[2].split('$')[-1]}::{parts[3]}" if len(parts) >= 4 else urn


class Placeholders(Mapping[str, str]):
    """An environment in which every variable holds a placeholder named after itself.

    Client secrets are read from the environment (`RECONCILER_CLIENT_SECRETS=env`), so a
    changed reference reads as a changed secret, and no value is ever needed.
    """

    def __getitem__(self, key: str) -> str:
        return "env" if key == SECRET_SOURCE else f"placeholder:{key}"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)


def plain(value: Any) -> Any:
    """An input as JSON: secrets as digests, unknowns and references as markers."""
    if rpc.is_rpc_secret(value):
        return {SECRET: _digest(plain(rpc.unwrap_rpc_secret(value)))}
    if value == rpc.UNKNOWN:
        return {UNKNOWN: True}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, pulumi.Resource):
        return {RESOURCE: type(value).__name__}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return {SECRET: _digest(repr(value))}  # assets, archives: compared, not shown


class RecordingMonitor(mocks.MockMonitor):
    """The mock monitor, recording each registration as the engine would receive it."""

    def __init__(self, fleet_mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(fleet_mocks)
        self.resources_seen: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # named after the gRPC method
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        args = mocks.MockResourceArgs(request.type, request.name, inputs, custom=True)
        id_, state = self.mocks.new_resource(args)
        record = {
            "type": request.type,
            "name": request.name,
            "parent": _short_urn(request.parent) if request.parent else "",
            "protect": bool(getattr(request, "protect", False)),
            "options": _options(request),
            "aliases": _aliases(request),
            "inputs": plain(inputs),
        }
        with self._lock:  # the SDK registers from several threads
            self.resources_seen.append(record)
        state_struct = _sync_await(rpc.serialize_properties(state, {}))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=state_struct)


def _aliases(request: Any) -> list[str]:
    """`TYPE::NAME` of each alias: the engine moves an aliased resource, never replaces it.

    Alias specs leave out what stays the same (the resource's own type or name)."""
    found = [_short_urn(urn) for urn in getattr(request, "aliasURNs", ())]
    for alias in getattr(request, "aliases", ()):  # pulumi/runtime/proto alias.proto: Alias
        if alias.urn:
            found.append(_short_urn(alias.urn))
        else:
            found.append(f"{alias.spec.type or request.type}::{alias.spec.name or request.name}")
    return sorted(set(found))


def _options(request: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in OPTIONS:
        value = getattr(request, name, None)
        if name in ("ignoreChanges", "replaceOnChanges"):
            value = sorted(value or [])
        if value:
            found[name] = value
    return found


class FleetMocks(pulumi.runtime.Mocks):
    """Fake GCP: echoes inputs; server-assigned values are functions of what would replace
    the resource, so they change exactly when the resource would be replaced."""

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        project = str(args.inputs.get("project", ""))
        if args.typ == IDENTITY_TENANT:
            state["name"] = f"{args.name}-{_digest(project)[:6]}"
        elif args.typ == ACCOUNT:
            email = f"{args.inputs.get('accountId')}@{project}.iam.gserviceaccount.com"
            state.update(
                email=email,
                member=f"serviceAccount:{email}",
                name=f"projects/{project}/serviceAccounts/{email}",
            )
        return f"{args.name}-id", state

    def call(self, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """Secret Manager reads answer a placeholder named after the secret; any other
        function answers nothing (its results then read as absent on both sides)."""
        if args.token != SECRET_VERSION_CALL:
            return {}, []
        a = args.args
        version = "1" if a.get("version") in (None, "latest") else str(a["version"])
        where = f"{a.get('project')}/{a.get('secret')}"
        answer = {
            "secretData": f"placeholder:{where}@{a.get('version')}",
            "name": f"projects/0/secrets/{a.get('secret')}/versions/{version}",
            "version": version,
        }
        return answer, []


def skip_source_positions() -> None:
    """Register resources without the source position of their declaration.

    The SDK walks and formats the Python stack for every registration so the engine can
    point at the line that declared a resource (pulumi/runtime/resource.py,
    `_get_stack_trace`): a sixth of the capture's CPU, for a position the mocks drop.
    The empty trace is what the SDK itself sends when it finds no frame. Skipped only
    when the SDK has the function, with the same signature, so an upgrade cannot break it.
    """
    from pulumi.runtime import resource
    from pulumi.runtime.proto import source_pb2

    if callable(getattr(resource, "_get_stack_trace", None)):
        resource._get_stack_trace = source_pb2.StackTrace


def capture_tenant(program: Any, stack: str) -> dict[str, Any]:
    """Run one tenant's program under fresh mocks; its graph as JSON."""
    fleet_mocks = FleetMocks()
    monitor = RecordingMonitor(fleet_mocks)
    pulumi.runtime.reset_options(project=PROJECT, stack=stack)
    pulumi.runtime.set_mocks(fleet_mocks, project=PROJECT, stack=stack, monitor=monitor)

    @pulumi.runtime.test
    def run() -> None:
        program()

    try:
        run()
    except Exception as error:  # this tenant's program fails: said, the others go on
        return {"error": _one_line(error), "resources": []}
    resources = sorted(monitor.resources_seen, key=lambda r: (r["type"], r["name"]))
    return {"error": None, "resources": resources}


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def capture(code: Path) -> dict[str, Any]:
    """Every tenant's graph, declared by the code and manifests under `code`."""
    sys.path.insert(0, str(code))
    try:
        import reconciler

        # An installed reconciler (an editable install's path entry) must not stand in for
        # a checkout that has none: this side would silently run the other side's code.
        if not Path(reconciler.__file__ or "").resolve().is_relative_to(code):
            raise ImportError(f"no reconciler package in {code}")
        from reconciler.manifests.platform import PlatformError, load_platform
        from reconciler.manifests.validate import validate_tree
        from reconciler.program.secrets import resolve_secrets
        from reconciler.program.tenant import tenant_program
    except ImportError as error:
        return _failed(f"this code has no tenant program to run ({error})")
    try:
        # platform.yaml as committed: no environment variable reaches either side.
        platform = load_platform(code, {})
    except PlatformError as error:
        return _failed(f"platform.yaml is invalid: {error}")
    validation = validate_tree(code)
    if not validation.ok:
        count = len({issue.file for issue in validation.errors})
        return _failed(f"{count} manifest(s) or settings are invalid: run `reconciler validate`")
    tenants: dict[str, Any] = {}
    placeholders = Placeholders()
    skip_source_positions()
    for tenant in validation.tenants:
        try:
            secrets = resolve_secrets(tenant, placeholders)
            program = tenant_program(tenant, platform, "impact", secrets)
        except Exception as error:
            tenants[tenant.name] = {"error": _one_line(error), "resources": []}
            continue
        tenants[tenant.name] = capture_tenant(program, tenant.name)
    return {"schemaVersion": GRAPH_SCHEMA, "error": None, "tenants": tenants}


def _failed(message: str) -> dict[str, Any]:
    return {"schemaVersion": GRAPH_SCHEMA, "error": message, "tenants": {}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", type=Path, required=True, help="the checkout to run")
    parser.add_argument("--out", type=Path, required=True, help="where the graphs go (JSON)")
    args = parser.parse_args(argv)
    # Run by path, Python put this file's folder first: the code under test must win.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve().as_posix() != here]
    graphs = capture(args.code.resolve())
    args.out.write_text(json.dumps(graphs, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
