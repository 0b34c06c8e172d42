"""A harness that runs the tenant program against Pulumi's unit-test mocks and records it.

Imported by the program tests as `program_harness` (pytest puts this folder on the path);
`conftest.py` turns it into fixtures.

Pulumi's mocks are process-global, so `execute` resets the runtime and installs a
fresh mock monitor for every run, and the fixture puts the runtime back afterwards. The
monitor below records what the stock `MockMonitor` drops: each registration's parent,
dependencies and `protect` flag, with the inputs exactly as the engine would receive
them (secrets still wrapped as secrets).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from reconciler.manifests.model import Tenant, tenant_from_document
from reconciler.manifests.platform import Platform
from reconciler.program.secrets import MASK, ResolvedSecrets, resolve_secrets
from reconciler.program.tenant import tenant_program
from tests.repo import REPO

ROOT = REPO
PULUMI_PROJECT = "mlaas-tenants"
GCP_PROJECT = "demo-mlaas"
FINGERPRINT = "fingerprint-under-test"
STACK_TYPE = "pulumi:pulumi:Stack"
IDENTITY_TENANT = "gcp:identityplatform/tenant:Tenant"
SIGN_IN = "pulumi-python:dynamic/identityplatform:TenantSignInSettings"
OIDC_FLOW = "pulumi-python:dynamic/identityplatform:TenantOidcFlow"
DEFAULT_IDP = "gcp:identityplatform/tenantDefaultSupportedIdpConfig:TenantDefaultSupportedIdpConfig"
OIDC_IDP = "gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig"
SAML_IDP = "gcp:identityplatform/tenantInboundSamlConfig:TenantInboundSamlConfig"
IDP_TYPES = (DEFAULT_IDP, OIDC_IDP, SAML_IDP)
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_IAM = "gcp:storage/bucketIAMMember:BucketIAMMember"
ACCOUNT = "gcp:serviceaccount/account:Account"
ACCOUNT_IAM = "gcp:serviceaccount/iAMMember:IAMMember"
SECRET_MANAGER_TOKEN = "gcp:secretmanager/getSecretVersion:getSecretVersion"
LATEST_VERSION = "7"
"""The version the mocked Secret Manager resolves `latest` to."""
PROJECT_NUMBER = "123456789012"

ENVIRONMENT = {
    "TENANT_ONE_GOOGLE_CLIENT_SECRET": "plain-google-secret-of-tenant-one",
    "TENANT_TWO_GITHUB_CLIENT_SECRET": "plain-github-secret-of-tenant-two",
    "EVERY_FIELD_GOOGLE_CLIENT_SECRET": "plain-google-secret-of-acme",
    "EVERY_FIELD_TEST_PHONE_CODE": "654321",
}
"""Client secrets the example manifests read from the environment."""


def secret_manager_value(secret: str, version: str, project: str) -> str:
    """What the mocked Secret Manager returns for a version: traceable in assertions."""
    return f"plain-sm-secret-{project}-{secret}-{version}"


def short_urn(urn: str) -> str:
    """`type::name` from a URN: readable and independent of stack and project names."""
    parts = urn.split("::")
    return f"{parts[2].split('$')[-1]}::{parts[3]}"


def mask_secrets(value: Any) -> Any:
    """`value` with every engine-wrapped secret replaced by `[secret]`."""
    if rpc.is_rpc_secret(value):
        return MASK
    if isinstance(value, dict):
        return {key: mask_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def lookup(inputs: dict[str, Any], path: str) -> Any:
    """The input at a dotted path (`client.permissions.disabledUserSignup`), else None."""
    value: Any = inputs
    for key in path.split("."):
        if isinstance(value, list):
            value = value[int(key)]
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


@dataclass(frozen=True)
class Registration:
    """One resource as the engine would have received it."""

    type: str
    name: str
    inputs: dict[str, Any]
    parent: str
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    protect: bool
    additional_secret_outputs: tuple[str, ...] = ()
    ignore_changes: tuple[str, ...] = ()

    def masked(self) -> dict[str, Any]:
        """The golden form: sorted keys, secrets masked, references as `type::name`."""
        masked = {
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "dependencies": list(self.dependencies),
            "protect": self.protect,
            "inputs": mask_secrets(self.inputs),
        }
        if self.additional_secret_outputs:
            masked["additionalSecretOutputs"] = list(self.additional_secret_outputs)
        return masked


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The stock mock monitor, plus a record of every resource registration."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # named after the gRPC method
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            registration = Registration(
                type=request.type,
                name=request.name,
                inputs=rpc.deserialize_properties(request.object),
                parent=short_urn(request.parent) if request.parent else "",
                dependencies=tuple(sorted(short_urn(u) for u in request.dependencies)),
                property_dependencies={
                    key: tuple(sorted(short_urn(u) for u in deps.urns))
                    for key, deps in request.propertyDependencies.items()
                },
                protect=bool(request.protect),
                additional_secret_outputs=tuple(request.additionalSecretOutputs),
                ignore_changes=tuple(request.ignoreChanges),
            )
            # The SDK registers resources from several threads at once.
            with self._lock:
                self.registrations.append(registration)
        return response


class PlatformMocks(pulumi.runtime.Mocks):
    """Fake GCP: echoes inputs and fills in what the server would assign."""

    def __init__(self) -> None:
        self.calls: list[pulumi_mocks.MockCallArgs] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == IDENTITY_TENANT:
            state["name"] = f"{args.inputs['displayName'].lower()}-srv01"
        elif args.typ == ACCOUNT:
            email = f"{args.inputs['accountId']}@{args.inputs['project']}.iam.gserviceaccount.com"
            state["email"] = email
            state["member"] = f"serviceAccount:{email}"
            state["name"] = f"projects/{args.inputs['project']}/serviceAccounts/{email}"
        return f"{args.name}-id", state

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:
        self.calls.append(args)
        if args.token == SECRET_MANAGER_TOKEN:
            a = args.args
            # Like the provider: `latest` comes back as the concrete version it resolved to.
            version = LATEST_VERSION if a["version"] == "latest" else a["version"]
            return {
                "secretData": secret_manager_value(a["secret"], a["version"], a["project"]),
                "name": f"projects/{PROJECT_NUMBER}/secrets/{a['secret']}/versions/{version}",
                "version": version,
            }
        raise AssertionError(f"the program made an unexpected call: {args.token}")


@dataclass
class ProgramRun:
    """Everything one run of the program registered, called and exported."""

    registrations: list[Registration]
    calls: list[pulumi_mocks.MockCallArgs]
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)

    def keys(self) -> set[tuple[str, str]]:
        """(type, logical name) of every resource."""
        return {(r.type, r.name) for r in self.registrations}

    def of_type(self, type_: str) -> list[Registration]:
        return sorted((r for r in self.registrations if r.type == type_), key=lambda r: r.name)

    def one(self, type_: str, name: str | None = None) -> Registration:
        """The single resource of a type (and name, when given)."""
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, found {len(found)}"
        return found[0]

    def graph(self) -> dict[str, Any]:
        """The golden form of the whole run."""
        resources = sorted(self.registrations, key=lambda r: (r.type, r.name))
        return {
            "resources": [r.masked() for r in resources],
            "outputs": {
                k: MASK if k in self.secret_outputs else v for k, v in sorted(self.outputs.items())
            },
        }


def execute(program: Callable[[], None], stack: str, preview: bool = False) -> ProgramRun:
    """Run `program` under fresh mocks and return what it did."""
    mocks = PlatformMocks()
    monitor = RecordingMonitor(mocks)
    # Mocks are process-global: start from a clean runtime with a new root stack.
    pulumi.runtime.reset_options(project=PULUMI_PROJECT, stack=stack)
    pulumi.runtime.set_mocks(
        mocks, project=PULUMI_PROJECT, stack=stack, preview=preview, monitor=monitor
    )
    run = ProgramRun(registrations=monitor.registrations, calls=mocks.calls)

    @pulumi.runtime.test
    async def _run() -> None:
        program()
        # Exports live on the root stack until the engine would collect them.
        exported = getattr(pulumi.runtime.get_root_resource(), "outputs", {})
        for name, value in exported.items():
            output = pulumi.Output.from_input(value)
            run.outputs[name] = await output.future(with_unknowns=True)
            if await output.is_secret():
                run.secret_outputs.add(name)

    _run()
    return run


def make_platform(**overrides: Any) -> Platform:
    """Platform settings for tests, with any field overridden."""
    settings: dict[str, Any] = {
        "root": ROOT,
        "target": "gcp",
        "gcp_project": GCP_PROJECT,
        "default_location": "EU",
        "pulumi_project": PULUMI_PROJECT,
        "backend_url": "file://.state",
        "secrets_provider": "passphrase",
        "default_deletion_protection": True,
        "max_delete_fraction": 0.25,
        "parallelism": 2,
    }
    settings.update(overrides)
    return Platform(**settings)


MANIFESTS = {
    "tenant-one": ROOT / "tenants" / "tenant-one.yaml",
    "tenant-two": ROOT / "tenants" / "tenant-two.yaml",
    "every-field": ROOT / "tests" / "fixtures" / "manifests" / "valid" / "every-field.yaml",
}
"""The example manifests the program tests run, by tenant name."""


def load_document(name: str) -> dict[str, Any]:
    """A fresh (mutable) copy of an example manifest document."""
    with MANIFESTS[name].open(encoding="utf-8") as stream:
        return copy.deepcopy(yaml.safe_load(stream))


def tenant_of(document: dict[str, Any], name: str = "every-field") -> Tenant:
    return tenant_from_document(document, MANIFESTS.get(name, MANIFESTS["every-field"]))


@dataclass
class Harness:
    """What the tests use: example tenants, platform settings and program runs."""

    platform: Platform = field(default_factory=make_platform)
    environment: dict[str, str] = field(default_factory=lambda: dict(ENVIRONMENT))

    def document(self, name: str) -> dict[str, Any]:
        return load_document(name)

    def tenant(self, name: str) -> Tenant:
        return tenant_of(load_document(name), name)

    def secrets(self, tenant: Tenant) -> ResolvedSecrets:
        return resolve_secrets(tenant, self.environment)

    def run(
        self, tenant: Tenant, platform: Platform | None = None, preview: bool = False
    ) -> ProgramRun:
        """Run the program for `tenant` (secrets from the test environment)."""
        program = tenant_program(
            tenant, platform or self.platform, FINGERPRINT, self.secrets(tenant)
        )
        return execute(program, tenant.name, preview=preview)

    def run_document(self, document: dict[str, Any], **kwargs: Any) -> ProgramRun:
        return self.run(tenant_of(document), **kwargs)
