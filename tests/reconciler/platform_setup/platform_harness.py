"""The platform program under Pulumi's unit-test mocks, recorded like the tenant program's.

Fake GCP here answers what the server would assign: a pool's and a provider's resource
names carry the project *number*, an account's email and member come from its id, the
project lookup (`gcp:organizations/getProject:getProject`) answers the number.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from reconciler.manifests.setup import KmsKey, PlatformSetup
from reconciler.platform_setup.blueprint import PLATFORM_PROJECT, Blueprint, blueprint
from reconciler.platform_setup.program import platform_program
from reconciler.report.results import ResourceStep, StackRun
from tests.reconciler.program.program_harness import ProgramRun, RecordingMonitor

PROJECT_NUMBER = "123456789012"
GET_PROJECT = "gcp:organizations/getProject:getProject"


def setup(**overrides: Any) -> PlatformSetup:
    """The set-up `reconciler init --project acme-ml-platform ...` describes."""
    values: dict[str, Any] = {
        "project": "acme-ml-platform",
        "control_project": "acme-ml-platform",
        "location": "EU",
        "state_bucket": "acme-ml-platform-tenant-state",
        "kms": KmsKey("acme-ml-platform", "europe-west1", "tenant-gitops", "pulumi-secrets"),
        "repository": "acme/tenant-gitops",
        "repository_id": 987654321,
        "reviewers": ("team:platform-leads",),
    }
    values.update(overrides)
    return PlatformSetup(**values)


class PlatformMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.calls: list[pulumi_mocks.MockCallArgs] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        inputs = args.inputs
        if args.typ == "gcp:iam/workloadIdentityPool:WorkloadIdentityPool":
            pool = inputs["workloadIdentityPoolId"]
            state["name"] = (
                f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/{pool}"
            )
        elif args.typ == "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
            pool, provider = (
                inputs["workloadIdentityPoolId"],
                inputs["workloadIdentityPoolProviderId"],
            )
            state["name"] = (
                f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/{pool}"
                f"/providers/{provider}"
            )
        elif args.typ == "gcp:serviceaccount/account:Account":
            email = f"{inputs['accountId']}@{inputs['project']}.iam.gserviceaccount.com"
            state.update(
                email=email,
                member=f"serviceAccount:{email}",
                name=f"projects/{inputs['project']}/serviceAccounts/{email}",
            )
        elif args.typ == "gcp:projects/iAMCustomRole:IAMCustomRole":
            state["name"] = f"projects/{inputs['project']}/roles/{inputs['roleId']}"
        elif args.typ == "gcp:kms/keyRing:KeyRing":
            state["id"] = (
                f"projects/{inputs['project']}/locations/{inputs['location']}/keyRings/{inputs['name']}"
            )
            return state["id"], state
        elif args.typ == "gcp:kms/cryptoKey:CryptoKey":
            return f"{inputs['keyRing']}/cryptoKeys/{inputs['name']}", state
        return f"{args.name}-id", state

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:
        self.calls.append(args)
        if args.token == GET_PROJECT:
            return {"number": PROJECT_NUMBER, "projectId": args.args.get("projectId")}
        raise AssertionError(f"the platform program made an unexpected call: {args.token}")


def run(plan: Blueprint | None = None, existing: bool = False, preview: bool = False) -> ProgramRun:
    """Run the platform program under fresh mocks; the runtime is reset afterwards."""
    return execute(platform_program(plan or blueprint(setup()), existing), preview)


def execute(program: Callable[[], None], preview: bool = False) -> ProgramRun:
    """Run any program of the platform project under fresh mocks."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = PlatformMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.reset_options(project=PLATFORM_PROJECT, stack="platform")
    pulumi.runtime.set_mocks(
        mocks, project=PLATFORM_PROJECT, stack="platform", preview=preview, monitor=monitor
    )
    result = ProgramRun(registrations=monitor.registrations, calls=mocks.calls)

    @pulumi.runtime.test
    async def _run() -> None:
        program()
        exported = getattr(pulumi.runtime.get_root_resource(), "outputs", {})
        for name, value in exported.items():
            result.outputs[name] = await pulumi.Output.from_input(value).future(with_unknowns=True)

    try:
        _run()
    finally:
        pulumi.runtime.reset_options()
        asyncio.set_event_loop(None)
        loop.close()
    return result


GOLDEN = Path(__file__).resolve().parent / "golden" / "platform.json"


class MockedPlatformStack:
    """`PlatformStack` with the program run under these mocks: every resource a create."""

    def __init__(self) -> None:
        self.runs: list[str] = []

    def _run(self, program: Callable[[], None], what: str) -> StackRun:
        self.runs.append(what)
        result = execute(program, preview=what == "preview")
        steps = tuple(
            ResourceStep("create", r.type, r.name)
            for r in sorted(result.registrations, key=lambda r: (r.type, r.name))
        )
        return StackRun(steps=steps, outputs=dict(result.outputs) if what == "up" else {})

    def preview(self, program: Callable[[], None]) -> StackRun:
        return self._run(program, "preview")

    def up(self, program: Callable[[], None]) -> StackRun:
        return self._run(program, "up")
