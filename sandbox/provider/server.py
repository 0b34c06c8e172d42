"""The `gcp` provider plugin's entry: engine requests in, resource-module calls out.

`SandboxProvider` implements pulumi's experimental `Provider` interface. It picks the
resource type by token, converts property maps to plain Python and back (re-marking
secrets), applies SANDBOX_FAULTS, and runs the blocking cloud calls (HTTP to the emulator,
SQLite) in worker threads so the gRPC server keeps answering — including Cancel, which is
what releases a `hang` fault. Served by `pulumi.provider.experimental.server.main`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    InvokeRequest,
    InvokeResponse,
    PropertyDiff,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from sandbox.provider import resource, validation
from sandbox.provider.faults import FAULTS_ENV, FaultRule, FaultSpecError, find_fault, parse_faults
from sandbox.provider.identitytoolkit import ApiError, EmulatorNotConfigured
from sandbox.provider.idpconfigs import (
    TenantDefaultSupportedIdpConfig,
    TenantInboundSamlConfig,
    TenantOauthIdpConfig,
)
from sandbox.provider.resource import (
    Cloud,
    CloudError,
    ProviderConfig,
    ProviderError,
    ResourceKind,
)
from sandbox.provider.retry import retry_budget, with_retries
from sandbox.provider.secretmanager import GET_SECRET_VERSION, SECRET_OUTPUTS, get_secret_version
from sandbox.provider.serviceaccount import Account, IAMMember
from sandbox.provider.storage import Bucket, BucketIAMMember, claim_bucket_name
from sandbox.provider.store import Store, state_db_path
from sandbox.provider.tenant import Tenant
from sandbox.provider.values import plain_to_props, props_to_plain

PROVIDER_VERSION = "10.2.0"
"""The pulumi-gcp version the project's SDK asks for; the sandbox answers as that version."""

KINDS: dict[str, ResourceKind] = {
    kind.token: kind
    for kind in (
        Tenant(),
        TenantDefaultSupportedIdpConfig(),
        TenantOauthIdpConfig(),
        TenantInboundSamlConfig(),
        Bucket(),
        BucketIAMMember(),
        Account(),
        IAMMember(),
    )
}

_PROJECT_ENV = ("GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT")
_REGION_ENV = ("GOOGLE_REGION", "GCLOUD_REGION", "CLOUDSDK_COMPUTE_REGION")

if TYPE_CHECKING:
    from pulumi.provider.experimental.server import ProviderServicer

T = TypeVar("T")


def kind_for(token: str) -> ResourceKind:
    kind = KINDS.get(token)
    if kind is None:
        raise ProviderError(
            f"the sandbox does not emulate {token}: it serves only " + ", ".join(sorted(KINDS))
        )
    return kind


class SandboxProvider(Provider):
    """The sandbox cloud behind the engine's `gcp` provider protocol."""

    def __init__(self) -> None:
        self._config = ProviderConfig()
        self._cloud: Cloud | None = None
        self._faults: tuple[FaultRule, ...] | None = None
        self._cancelled = asyncio.Event()
        self._attempts: dict[tuple[str, str], int] = {}

    @property
    def cloud(self) -> Cloud:
        if self._cloud is None:
            self._cloud = Cloud(self._config, Store(state_db_path()))
        return self._cloud

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=f'{{"name": "gcp", "version": "{PROVIDER_VERSION}"}}')

    async def check_config(self, request: CheckRequest) -> CheckResponse:
        """Accept the provider's config as given; a malformed project id fails here."""
        config, _ = props_to_plain(request.new_inputs)
        project = config.get("project")
        failures = []
        if isinstance(project, str) and project and (why := validation.project_id(project)):
            failures.append(CheckFailure("project", why))
        return CheckResponse(inputs=request.new_inputs, failures=failures)

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        args, _ = props_to_plain(request.args)
        self._config = ProviderConfig(
            project=_setting(
                args.get("project"), request.variables.get("gcp:config:project"), _PROJECT_ENV
            ),
            region=_setting(
                args.get("region"), request.variables.get("gcp:config:region"), _REGION_ENV
            ),
        )
        self._cloud = None
        self._faults = parse_faults(os.environ.get(FAULTS_ENV, ""))
        return ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def cancel(self) -> None:
        self._cancelled.set()

    async def check(self, request: CheckRequest) -> CheckResponse:
        await self._fault("check", request.urn)
        kind = kind_for(request.type)
        news, secret = props_to_plain(request.new_inputs)
        olds, _ = props_to_plain(request.old_inputs)
        checked = resource.CheckRequest(request.name, news, olds, request.random_seed, self._config)
        inputs, failures = resource.check(kind, checked)
        return CheckResponse(
            inputs=plain_to_props(inputs, secret | (kind.secret_names() & inputs.keys())),
            failures=[CheckFailure(f.property, f.reason) for f in failures],
        )

    async def diff(self, request: DiffRequest) -> DiffResponse:
        await self._fault("diff", request.urn)
        kind = kind_for(request.type)
        olds, _ = props_to_plain(request.old_state)
        news, _ = props_to_plain(request.new_inputs)
        result = resource.diff(kind, olds, news, list(request.ignore_changes))
        return DiffResponse(
            changes=result.changes,
            replaces=list(result.replaces),
            delete_before_replace=result.delete_before_replace,
            diffs=sorted({_top_level(path) for path in result.detailed}),
            detailed_diff={
                path: PropertyDiff(change, True) for path, change in result.detailed.items()
            },
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        rule = await self._fault("create", request.urn)
        kind = kind_for(request.type)
        inputs, secret = props_to_plain(request.properties)
        if request.preview:
            return CreateResponse("", self._wire(kind, kind.preview(self.cloud, inputs), secret))
        cloud = self.cloud
        if rule is not None and rule.action == "lag":
            cloud = cloud.lagging(rule.argument)
        if rule is not None and rule.action == "taken" and isinstance(kind, Bucket):
            claim_bucket_name(cloud.store, inputs["name"])

        def attempt() -> tuple[str, dict[str, Any]]:
            self._throttle(rule, "create", request.urn)
            # The API's own rules are met only now, after earlier resources exist.
            resource.api_check(kind, inputs)
            return kind.create(cloud, inputs)

        resource_id, outputs = await self._blocking(with_retries, attempt, retry_budget())
        await self._hang_after(rule, "create", request.urn)
        return CreateResponse(resource_id, self._wire(kind, outputs, secret))

    async def read(self, request: ReadRequest) -> ReadResponse:
        await self._fault("read", request.urn)
        kind = kind_for(request.type)
        state, secret = props_to_plain(request.properties)
        old_inputs, input_secret = props_to_plain(request.inputs)
        outputs = await self._blocking(kind.read, self.cloud, request.resource_id, state)
        if outputs is None:
            return ReadResponse(resource_id=None)
        # Inputs follow the cloud, so `preview --refresh` shows out-of-band drift.
        inputs = {
            f.name: outputs.get(f.name)
            for f in kind.fields
            if f.name in old_inputs or (not old_inputs and outputs.get(f.name) is not None)
        }
        return ReadResponse(
            resource_id=request.resource_id,
            properties=self._wire(kind, outputs, secret),
            inputs=self._wire(kind, inputs, input_secret),
        )

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        rule = await self._fault("update", request.urn)
        kind = kind_for(request.type)
        olds, _ = props_to_plain(request.olds)
        news, secret = props_to_plain(request.news)
        # An ignored field keeps its prior value: the bridge drops it from the plan, so the
        # provider's masked PATCH never names it (tfbridge Diff honours ignoreChanges).
        news.update({name: olds[name] for name in request.ignore_changes if name in olds})
        if request.preview:
            planned = {
                f.name: news.get(f.name)
                for f in kind.fields
                if not (f.computed and news.get(f.name) is None)
            }
            return UpdateResponse(self._wire(kind, {**olds, **planned}, secret))

        def attempt() -> dict[str, Any]:
            self._throttle(rule, "update", request.urn)
            resource.api_check(kind, news)
            return kind.update(self.cloud, request.resource_id, olds, news)

        outputs = await self._blocking(with_retries, attempt, retry_budget())
        await self._hang_after(rule, "update", request.urn)
        return UpdateResponse(self._wire(kind, outputs, secret))

    async def delete(self, request: DeleteRequest) -> None:
        rule = await self._fault("delete", request.urn)
        kind = kind_for(request.type)
        state, _ = props_to_plain(request.properties)

        def attempt() -> None:
            self._throttle(rule, "delete", request.urn)
            kind.delete(self.cloud, request.resource_id, state)

        await self._blocking(with_retries, attempt, retry_budget())
        await self._hang_after(rule, "delete", request.urn)

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        if request.tok != GET_SECRET_VERSION:
            raise ProviderError(f"the sandbox does not emulate function {request.tok}")
        args, _ = props_to_plain(request.args)
        result = await self._blocking(get_secret_version, self.cloud, args)
        return InvokeResponse(return_value=plain_to_props(result, SECRET_OUTPUTS))

    async def _fault(self, operation: str, urn: str) -> FaultRule | None:
        """Apply a `fail`/`hang` rule at once; hand back any other rule for the operation."""
        if self._faults is None:
            self._faults = parse_faults(os.environ.get(FAULTS_ENV, ""))
        rule = find_fault(self._faults, operation, urn)
        if rule is None or rule.action not in ("fail", "hang"):
            return rule
        if rule.action == "fail":
            raise ProviderError(
                f"sandbox fault injected ({FAULTS_ENV}): {operation} of {urn} fails"
            )
        await self._cancelled.wait()
        raise ProviderError(
            f"sandbox fault injected ({FAULTS_ENV}): {operation} of {urn} hung until cancelled"
        )

    async def _hang_after(self, rule: FaultRule | None, operation: str, urn: str) -> None:
        """The `hang-after` fault: the cloud has done the operation; the engine never hears."""
        if rule is None or rule.action != "hang-after":
            return
        await self._cancelled.wait()
        raise ProviderError(
            f"sandbox fault injected ({FAULTS_ENV}): {operation} of {urn} was done, then its "
            "answer hung until cancelled"
        )

    def _throttle(self, rule: FaultRule | None, operation: str, urn: str) -> None:
        """The 429s of the `quota` and `ratelimit=N` faults, one call per API attempt."""
        if rule is None or rule.action not in ("quota", "ratelimit"):
            return
        key = (operation, urn)
        self._attempts[key] = attempts = self._attempts.get(key, 0) + 1
        if rule.action == "quota":
            raise CloudError(
                429,
                f"Quota exceeded for {operation} of {urn} (sandbox fault injected, {FAULTS_ENV})",
                status="RESOURCE_EXHAUSTED",
            )
        if attempts <= rule.argument:
            raise CloudError(
                429,
                f"Rate limit exceeded for {operation} of {urn} (sandbox fault injected, "
                f"{FAULTS_ENV}; attempt {attempts})",
                reason="RATE_LIMIT_EXCEEDED",
            )

    @staticmethod
    def _wire(
        kind: ResourceKind, values: dict[str, Any], secret: frozenset[str]
    ) -> dict[str, PropertyValue]:
        return plain_to_props(values, secret | kind.secret_names())

    @staticmethod
    async def _blocking(call: Callable[..., T], *args: Any) -> T:
        """Run a blocking cloud call in a thread; API errors become plain provider errors."""
        try:
            return await asyncio.to_thread(call, *args)
        except ApiError as error:
            raise ProviderError(str(error)) from None


def _setting(arg: Any, variable: str | None, env_names: tuple[str, ...]) -> str | None:
    """A provider setting from its typed arg, its config variable, then the environment."""
    for value in (arg, variable, *(os.environ.get(name) for name in env_names)):
        if isinstance(value, str) and value:  # UNKNOWN (a preview-time config) is no str
            return value
    return None


def _top_level(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


_USER_ERRORS = (ProviderError, FaultSpecError, EmulatorNotConfigured, ConnectionError)
"""Errors whose message is the whole story: sent without the SDK's appended stack trace."""


def _clean_servicer() -> type[ProviderServicer]:
    """The SDK's servicer, answering user errors with their message alone.

    The SDK wraps every error as `Exception(f"{error}:\n{stack}")`, which the engine shows
    as "Unexpected <class 'Exception'>: ..." plus a Python traceback. The wrapped error is
    still the new exception's __context__, so it can be recognised and sent as it is.
    """
    import grpc
    from pulumi.provider.experimental.server import ProviderServicer

    def clean(name: str) -> Callable[..., Any]:
        wrapped = getattr(ProviderServicer, name)

        async def method(self: Any, request: Any, context: Any) -> Any:
            try:
                return await wrapped(self, request, context)
            except Exception as error:
                cause = error.__context__ if error.__context__ is not None else error
                if isinstance(cause, _USER_ERRORS):
                    await context.abort(grpc.StatusCode.UNKNOWN, str(cause))
                raise

        return method

    names = (
        "CheckConfig",
        "Configure",
        "Check",
        "Diff",
        "Create",
        "Read",
        "Update",
        "Delete",
        "Invoke",
    )
    methods = {name: clean(name) for name in names}
    return cast("type[ProviderServicer]", type("SandboxServicer", (ProviderServicer,), methods))


def main() -> None:
    """Serve the provider with the SDK's `main` (the engine passes its address as argument)."""
    from pulumi.provider.experimental import server

    # `main` builds its servicer from this module attribute; ours only changes error text.
    server.ProviderServicer = _clean_servicer()  # type: ignore[misc]
    server.main(sys.argv[1:], PROVIDER_VERSION, SandboxProvider())
