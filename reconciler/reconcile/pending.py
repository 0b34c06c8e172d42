"""Interrupted operations: what to do with each one a killed run left in a tenant's stack.

A run killed mid-operation (SIGKILL, a CI timeout) leaves it in the checkpoint
(`engine/backend/pending.py`). Pulumi's guidance (docs "Interrupted updates"; the flags of
pulumi/pulumi pkg/cmd/pulumi/operations/refresh.go): a refresh resolves a pending update,
delete or read (the provider's read says what the cloud holds); a pending *create* needs a
decision, because its object may or may not exist. Import it under its id when the object
exists (`--import-pending-creates URN ID`), drop it only when creating it again cannot
conflict ("do not clear merely to unblock the stack: clearing a real create can orphan or
duplicate infrastructure").

So per pending create: `import` when its id follows from its inputs (pulumi-gcp's import
formats, cited below, IAM grants included; the refresh after the import drops it if the
cloud has no such object), `clear` where a second create is harmless (the reconciler's own
PATCH-only resources), `refuse` otherwise: an id the server
assigns (the identity tenant's) is never guessed. The decision is pure and table-tested
(`tests/reconciler/reconcile/test_pending.py`); act's worker runs it before an apply touches
the stack (`workers.recover_interrupted`; the engine's side: `engine/automation/recovery.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from reconciler.engine.backend.pending import CREATING, PendingOperation
from reconciler.engine.port import PermanentError
from reconciler.manifests.model import DefaultIdp, OidcIdp, SamlIdp
from reconciler.reconcile.adoption import IDP_TYPES, TENANT_TYPE

BUCKET_TYPE = "gcp:storage/bucket:Bucket"
ACCOUNT_TYPE = "gcp:serviceaccount/account:Account"
BUCKET_MEMBER_TYPE = "gcp:storage/bucketIAMMember:BucketIAMMember"
ACCOUNT_MEMBER_TYPE = "gcp:serviceaccount/iAMMember:IAMMember"
"""The program's additive grants (`program/isolation.py`). Imported, not dropped: a second
create would be harmless, but the next program may no longer hold the grant (a revert, a
decommission), and a grant the killed run made would then stay in the cloud with nothing in
state to revoke it or show its drift."""
DYNAMIC_PREFIX = "pulumi-python:dynamic/identityplatform:"
"""The reconciler's own resources (`TYPE_NAME` in `program/tenant_settings.py`,
`oidc_flow.py`, `auth_settings.py`): each create is a masked PATCH of an object that already
exists (the tenant, an OIDC config), the same PATCH when made twice."""


class InterruptedCreate(PermanentError):
    """A pending create whose object the reconciler cannot identify: the operator decides."""


class Recovery(Enum):
    IMPORT = "import"
    """Adopt the object under its derived id (dropped by the refresh if it does not exist)."""
    CLEAR = "clear"
    """Drop the pending create: creating it again cannot conflict."""
    REFRESH = "refresh"
    """A pending update, delete or read: a plain refresh resolves it."""
    REFUSE = "refuse"
    """The id cannot be derived: the operator finds the object (the reason says how)."""


@dataclass(frozen=True)
class Decision:
    operation: PendingOperation
    recovery: Recovery
    import_id: str = ""

    @property
    def name(self) -> str:
        return self.operation.name


def _idp_id(collection: str, key: str) -> Callable[[Mapping[str, str], str], str | None]:
    def derive(inputs: Mapping[str, str], project: str) -> str | None:
        tenant, value = inputs.get("tenant"), inputs.get(key)
        if not (tenant and value):
            return None
        return f"projects/{inputs.get('project') or project}/tenants/{tenant}/{collection}/{value}"

    return derive


def _bucket_id(inputs: Mapping[str, str], project: str) -> str | None:
    return inputs.get("name") or None


def _account_id(inputs: Mapping[str, str], project: str) -> str | None:
    account = inputs.get("accountId")
    if not account:
        return None
    where = inputs.get("project") or project
    return f"projects/{where}/serviceAccounts/{account}@{where}.iam.gserviceaccount.com"


def _grant_id(resource: str | None, inputs: Mapping[str, str]) -> str | None:
    """An IAM member's import id: "RESOURCE ROLE MEMBER", space-delimited (a condition's title
    would be a fourth part; the program sets none)."""
    role, member = inputs.get("role"), inputs.get("member")
    return f"{resource} {role} {member}" if resource and role and member else None


def _bucket_member_id(inputs: Mapping[str, str], project: str) -> str | None:
    bucket = inputs.get("bucket")
    return _grant_id(bucket if not bucket or bucket.startswith("b/") else f"b/{bucket}", inputs)


def _account_member_id(inputs: Mapping[str, str], project: str) -> str | None:
    # The program passes service_account_id=account.name: projects/P/serviceAccounts/EMAIL.
    return _grant_id(inputs.get("serviceAccountId"), inputs)


IMPORT_IDS: dict[str, Callable[[Mapping[str, str], str], str | None]] = {
    # pulumi-gcp's "Import" sections (terraform-provider-google-beta website/docs/r/*):
    # identity_platform_tenant_default_supported_idp_config:
    #   projects/{{project}}/tenants/{{tenant}}/defaultSupportedIdpConfigs/{{idp_id}}
    IDP_TYPES[DefaultIdp]: _idp_id("defaultSupportedIdpConfigs", "idpId"),
    # identity_platform_tenant_oauth_idp_config: .../tenants/{{tenant}}/oauthIdpConfigs/{{name}}
    IDP_TYPES[OidcIdp]: _idp_id("oauthIdpConfigs", "name"),
    # identity_platform_tenant_inbound_saml_config: .../inboundSamlConfigs/{{name}}
    IDP_TYPES[SamlIdp]: _idp_id("inboundSamlConfigs", "name"),
    # storage_bucket: {{bucket}} (the bucket's id is its name)
    BUCKET_TYPE: _bucket_id,
    # google_service_account: projects/{{project}}/serviceAccounts/{{email}}, the email
    # being ACCOUNT_ID@PROJECT.iam.gserviceaccount.com (IAM API, projects.serviceAccounts)
    ACCOUNT_TYPE: _account_id,
    # storage_bucket_iam (pulumi/terraform-provider-google-beta and hashicorp's,
    # website/docs/r/storage_bucket_iam.html.markdown, "Import"): "b/{{bucket}} ROLE MEMBER"
    BUCKET_MEMBER_TYPE: _bucket_member_id,
    # google_service_account_iam (pulumi/terraform-provider-google-beta
    # website/docs/r/google_service_account_iam.html.markdown, "Import"):
    # "projects/{your-project-id}/serviceAccounts/{your-service-account-email} ROLE MEMBER"
    ACCOUNT_MEMBER_TYPE: _account_member_id,
}
"""Type -> the import id a pending create's inputs make, or None if they lack a part."""


def decide(operation: PendingOperation, project: str) -> Decision:
    """What to do with one pending operation of a stack in GCP project `project` (the
    platform's; a resource's own `project` input wins)."""
    if operation.operation != CREATING:
        return Decision(operation, Recovery.REFRESH)
    if operation.type.startswith(DYNAMIC_PREFIX):
        return Decision(operation, Recovery.CLEAR)
    derive = IMPORT_IDS.get(operation.type)
    import_id = derive(operation.inputs, project) if derive else None
    if import_id:
        return Decision(operation, Recovery.IMPORT, import_id)
    return Decision(operation, Recovery.REFUSE)


@dataclass(frozen=True)
class RecoveryPlan:
    """Every pending operation of one stack, decided."""

    decisions: tuple[Decision, ...]

    @property
    def refused(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.recovery is Recovery.REFUSE)

    @property
    def imports(self) -> dict[str, str]:
        """URN -> import id of each pending create to adopt."""
        return {
            d.operation.urn: d.import_id for d in self.decisions if d.recovery is Recovery.IMPORT
        }


def plan_recovery(operations: Sequence[PendingOperation], project: str) -> RecoveryPlan:
    return RecoveryPlan(tuple(decide(op, project) for op in operations))


def refusal_message(decision: Decision, stack: str, pulumi_project: str, gcp_project: str) -> str:
    """Why the tenant fails, and what the operator does (docs/operations.md)."""
    operation = decision.operation
    if operation.type == TENANT_TYPE:
        display = operation.inputs.get("displayName", "")
        what = (
            "its id is assigned by the server, so the reconciler cannot tell which tenant it made"
        )
        find = (
            f"find it with `gcloud identity-platform tenants list --project {gcp_project}` "
            "(or the console's Identity Platform > Tenants)"
            + (f", display name {display!r}" if display else "")
            + f"; adopt it into stack organization/{pulumi_project}/{stack} under its id "
            f"projects/{gcp_project}/tenants/ID"
        )
    else:
        what = f"the reconciler cannot derive the id of a {operation.type}"
        find = f"find it in the console; adopt it into stack organization/{pulumi_project}/{stack}"
    return (
        f"{decision.name}: a killed run left its create interrupted ({what}); {find}, or, if "
        f"none was made, run `pulumi refresh --stack organization/{pulumi_project}/{stack} "
        f"--yes --clear-pending-creates`; then apply again (docs/operations.md, "
        f"'Interrupted creates'; the pending create's URN is {operation.urn})"
    )


_NOUNS = {"updating": "update", "deleting": "delete", "reading": "read", "importing": "import"}


def describe(plan: RecoveryPlan, held: Sequence[str]) -> str:
    """What a recovery did, for the tenant's reason; `held`: the URNs in state after it."""
    done = []
    for decision in plan.decisions:
        name = decision.name
        if decision.recovery is Recovery.IMPORT and decision.operation.urn in held:
            done.append(f"imported interrupted create of {name} ({decision.import_id})")
        elif decision.recovery is Recovery.IMPORT:
            done.append(f"cleared interrupted create of {name} (it had not been created)")
        elif decision.recovery is Recovery.CLEAR:
            done.append(f"cleared interrupted create of {name} (creating it again is harmless)")
        elif decision.recovery is Recovery.REFRESH:
            noun = _NOUNS.get(decision.operation.operation, decision.operation.operation)
            done.append(f"refreshed interrupted {noun} of {name}")
    return "; ".join(done)
