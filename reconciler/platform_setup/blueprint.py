"""What the platform needs in Google Cloud, as data: the program builds it, the doctor checks it.

Every grant is the narrowest that works, and says why. The IAM facts it rests on, from
Google's IAM Conditions documentation:

- Only some services recognise `resource.name` in a condition: Cloud Storage, Cloud KMS and
  Secret Manager do; IAM (service accounts) and Identity Toolkit (Identity Platform
  tenants) do not ("Resource attributes for IAM Conditions",
  https://cloud.google.com/iam/docs/conditions-resource-attributes: "Other services and
  resource types do not recognize resource attributes"). A condition on such an attribute
  "never grants access to any IAM resource because IAM resources don't provide the
  resource name" (https://cloud.google.com/iam/docs/configuring-resource-based-access).
- Creating a service account or a bucket is checked on the *project*
  (`projects.serviceAccounts.create` takes the project as its parent;
  https://cloud.google.com/iam/docs/service-accounts-create grants the creator role "on the
  project"), and "you cannot use the resource.name attribute in a condition at the
  project level" (configuring-resource-based-access, parent-only permissions).

So the deploy identity's rights on service accounts and Identity Platform cannot be
narrowed by a condition (the old `resource.name.startsWith(".../serviceAccounts/t-")` on
roles/iam.serviceAccountAdmin granted nothing, and the first apply could not create
`t-<name>`): they are custom roles holding exactly the permissions the tenant program
uses, unconditional, and a separate control-plane project (`setup.controlProject`) keeps
the CI accounts and the state out of their reach. Storage, KMS and Secret Manager grants
are narrowed by resource or by name prefix, where a condition works.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.manifests.setup import DEPLOY_ACCOUNT, ENVIRONMENTS, PREVIEW_ACCOUNT, PlatformSetup

PLATFORM_PROJECT = "tenant-gitops-platform"
"""The Pulumi project of the platform stack (its state: `.pulumi/stacks/<this>/platform.json`)."""
ACTIONS_OIDC_ISSUER = "https://token.actions.githubusercontent.com"
"""GitHub's OIDC issuer (`iss`; docs.github.com, "OpenID Connect reference")."""
PREVIEW_WORKFLOWS = (
    "tenant-preview.yml",
    "tenant-drift.yml",
    "tenant-apply.yml",
    "tenant-destroy.yml",
)
"""The workflow files whose jobs use the preview account (plan, preview, drift), on main."""
PROJECT_NUMBER = "{project_number}"
"""Stands for the tenant project's number in a condition, filled in when it is known."""

TENANT_APIS = (
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "identitytoolkit.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
)
"""What the tenant program calls in the tenant project."""
CONTROL_APIS = (
    "cloudkms.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "identitytoolkit.googleapis.com",
    "sts.googleapis.com",
    "storage.googleapis.com",
)
"""State, its key, and federation: "Configure Workload Identity Federation with deployment
pipelines" enables IAM, Resource Manager, Service Account Credentials and STS.

Identity Toolkit too: it is a client-based API, whose quota project is the caller's, and
"if the principal for the API call is a service account, including by impersonation, the
project associated with the service account is used as the quota project"
(https://cloud.google.com/docs/quotas/set-quota-project). The CI accounts live here, and
pulumi-gcp sends no `X-Goog-User-Project` unless `user_project_override` is set
(terraform-provider-google, transport `SendRequest`), so without it every tenant apply,
refresh and adopt listing gets 403 SERVICE_DISABLED naming this project (the Identity
Toolkit error "requires a quota project": pulumi/pulumi-gcp#2169). Enabling the API here
needs no further grant; the alternative, billing the tenant project
(`billing_project` + `user_project_override` and `x-goog-user-project` in our REST
clients), would also need `serviceusage.services.use` on it for both CI accounts, and
pulumi/pulumi-gcp#2032 reports `billingProject` alone not taking effect."""


@dataclass(frozen=True)
class CustomRole:
    """A project-level custom role: exactly the permissions a job uses."""

    role_id: str
    project: str
    title: str
    permissions: tuple[str, ...]
    why: str

    @property
    def name(self) -> str:
        """How bindings name it: `projects/P/roles/ID`."""
        return f"projects/{self.project}/roles/{self.role_id}"


@dataclass(frozen=True)
class Condition:
    title: str
    expression: str
    """CEL; PROJECT_NUMBER stands for the tenant project's number."""


@dataclass(frozen=True)
class Grant:
    """One role for one CI account on one resource."""

    account: str
    """PREVIEW_ACCOUNT or DEPLOY_ACCOUNT."""
    role: str
    """`roles/...` or a custom role's `projects/P/roles/ID`."""
    on: str
    """`project:P`, `bucket:NAME` or `key:` (the KMS key)."""
    why: str
    condition: Condition | None = None


@dataclass(frozen=True)
class Impersonation:
    """Who may act as a CI account: `roles/iam.workloadIdentityUser` for a principal set."""

    account: str
    attribute: str
    """A mapped attribute (`workflow`, `environment`)."""
    value: str


@dataclass(frozen=True)
class Blueprint:
    """The whole set-up for one platform.yaml."""

    setup: PlatformSetup
    apis: tuple[tuple[str, str], ...]
    """(project, service) pairs to enable."""
    roles: tuple[CustomRole, ...]
    grants: tuple[Grant, ...]
    impersonations: tuple[Impersonation, ...]
    attribute_mapping: dict[str, str]
    attribute_condition: str

    def role(self, role_id: str) -> CustomRole:
        return next(r for r in self.roles if r.role_id == role_id)

    def member(self, account: str) -> str:
        return f"serviceAccount:{self.setup.account_email(account)}"

    def principal_set(self, pool_name: str, item: Impersonation) -> str:
        """`principalSet://iam.googleapis.com/<pool name>/attribute.<name>/<value>`; the
        pool's name carries the project *number*, as IAM requires."""
        return (
            f"principalSet://iam.googleapis.com/{pool_name}/attribute.{item.attribute}/{item.value}"
        )


def _apis(setup: PlatformSetup) -> tuple[tuple[str, str], ...]:
    wanted = {(setup.project, api) for api in TENANT_APIS}
    wanted |= {(setup.control_project, api) for api in CONTROL_APIS}
    return tuple(sorted(wanted))


def _roles(setup: PlatformSetup) -> tuple[CustomRole, ...]:
    tenant, control = setup.project, setup.control_project
    return (
        CustomRole(
            "tenantGitopsReader",
            tenant,
            "tenant-gitops: read tenants' resources",
            (
                "firebaseauth.configs.get",
                "firebaseauth.configs.getSecret",
                "iam.serviceAccounts.get",
                "iam.serviceAccounts.getIamPolicy",
                "identitytoolkit.tenants.get",
                "identitytoolkit.tenants.list",
                "storage.buckets.get",
                "storage.buckets.getIamPolicy",
            ),
            "preview and drift refresh the tenants' resources by id (no list of buckets or "
            "accounts). Reading an IdP config checks firebaseauth.configs.getSecret "
            "(https://cloud.google.com/identity-platform/docs/audit-logging), which "
            "roles/identityplatform.viewer lacks; this role also drops the viewer's "
            "firebaseauth.users.get (end users' data). The preview account can already "
            "decrypt the state that holds the same client secrets (docs/security.md)",
        ),
        CustomRole(
            "tenantGitopsIdentityDeployer",
            tenant,
            "tenant-gitops: manage Identity Platform tenants",
            (
                "firebaseauth.configs.get",
                "firebaseauth.configs.getSecret",
                "firebaseauth.configs.update",
                "identitytoolkit.tenants.create",
                "identitytoolkit.tenants.delete",
                "identitytoolkit.tenants.get",
                "identitytoolkit.tenants.list",
                "identitytoolkit.tenants.update",
            ),
            "create, update and delete tenants and their IdP configs (the audit-logging "
            "page's permission per method); unlike roles/identityplatform.admin, no "
            "end-user permissions (firebaseauth.users.*) and no tenants.setIamPolicy. "
            "Identity Toolkit does not recognise resource.name, so no condition narrows it",
        ),
        CustomRole(
            "tenantGitopsAccountManager",
            tenant,
            "tenant-gitops: manage tenant service accounts",
            (
                "iam.serviceAccounts.create",
                "iam.serviceAccounts.delete",
                "iam.serviceAccounts.get",
                "iam.serviceAccounts.getIamPolicy",
                "iam.serviceAccounts.setIamPolicy",
                "iam.serviceAccounts.update",
            ),
            "create and delete t-<name> and grant its admins serviceAccountUser on it. "
            "Creation is checked on the project and IAM resources carry no name for a "
            "condition, so this is project-wide: serviceAccountCreator and "
            "serviceAccountDeleter lack setIamPolicy, serviceAccountAdmin adds "
            "enable/disable/undelete and list. Keep the CI accounts in the control project",
        ),
        CustomRole(
            "tenantGitopsBucketAdmin",
            tenant,
            "tenant-gitops: manage tenant buckets",
            (
                "storage.buckets.create",
                "storage.buckets.delete",
                "storage.buckets.get",
                "storage.buckets.getIamPolicy",
                "storage.buckets.setIamPolicy",
                "storage.buckets.update",
                "storage.objects.delete",
                "storage.objects.list",
            ),
            "create, update and delete tenant buckets and set their IAM; objects.list "
            "because the provider refuses to delete a bucket that is not empty, "
            "objects.delete for an approved force_destroy. Replaces roles/storage.admin, "
            "which holds every object permission on every bucket",
        ),
        CustomRole(
            "tenantGitopsLockWriter",
            control,
            "tenant-gitops: write Pulumi lock files",
            ("storage.objects.create", "storage.objects.delete"),
            "Pulumi's DIY backend locks a stack even to preview it; granted on the state "
            "bucket for .pulumi/locks/ only (Cloud Storage recognises resource.name)",
        ),
    )


def platform_state_bucket(setup: PlatformSetup) -> str | None:
    """The bucket of `setup.platformState` when it is a gs:// URL."""
    where = setup.platform_state or ""
    if not where.startswith("gs://"):
        return None
    return where.removeprefix("gs://").split("/", 1)[0] or None


def _bucket_admin_guard(setup: PlatformSetup) -> Condition | None:
    """Keep the state buckets out of the deploy account's project-wide bucket role.

    The tenant state bucket when it shares the tenant project; the platform stack's state
    bucket whenever one is named (its project is not known here, and the deploy account
    could otherwise set its IAM if it is the tenant project). Bucket creation is checked
    on the project (resource.type is the Resource Manager project, which Resource Manager
    does recognise); every other bucket and object permission is checked on the bucket or
    object, whose names Cloud Storage provides as `projects/_/buckets/NAME[/objects/...]`.
    """
    buckets = [setup.state_bucket] if setup.control_project == setup.project else []
    admin = platform_state_bucket(setup)
    if admin and admin not in buckets:
        buckets.append(admin)
    if not buckets:
        return None
    kept = " && ".join(
        f'resource.name != "projects/_/buckets/{b}" && '
        f'!resource.name.startsWith("projects/_/buckets/{b}/")'
        for b in buckets
    )
    return Condition(
        "not-the-state-bucket",
        f'resource.type == "cloudresourcemanager.googleapis.com/Project" || ({kept})',
    )


def _grants(setup: PlatformSetup, roles: tuple[CustomRole, ...]) -> tuple[Grant, ...]:
    by_id = {r.role_id: r.name for r in roles}
    tenant = f"project:{setup.project}"
    state = f"bucket:{setup.state_bucket}"
    secrets = Condition(
        "tenant-secrets",
        f'resource.name.startsWith("projects/{PROJECT_NUMBER}/secrets/tenant-")',
    )
    objects = f"projects/_/buckets/{setup.state_bucket}/objects/{setup.state_objects}"
    locks = Condition("pulumi-locks-only", f'resource.name.startsWith("{objects}.pulumi/locks/")')
    p, d = PREVIEW_ACCOUNT, DEPLOY_ACCOUNT
    return (
        Grant(p, "roles/storage.objectViewer", state, "read every stack's state and record"),
        Grant(p, by_id["tenantGitopsLockWriter"], state, "lock a stack to preview it", locks),
        Grant(p, "roles/cloudkms.cryptoKeyDecrypter", "key:", "load stacks that hold secrets"),
        Grant(p, by_id["tenantGitopsReader"], tenant, "refresh tenants' resources"),
        Grant(
            p,
            "roles/secretmanager.viewer",
            tenant,
            "plan's rotation check reads version metadata (versions.get), never a payload",
            secrets,
        ),
        Grant(d, "roles/storage.objectUser", state, "write state, history and locks"),
        Grant(
            d,
            "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            "key:",
            "new stacks encrypt their data key; existing ones decrypt it",
        ),
        Grant(
            d,
            "roles/secretmanager.secretAccessor",
            tenant,
            "read tenant client secrets at apply",
            secrets,
        ),
        Grant(
            d,
            "roles/secretmanager.viewer",
            tenant,
            "pulumi-gcp's getSecretVersion reads the version's metadata before :access",
            secrets,
        ),
        Grant(d, by_id["tenantGitopsIdentityDeployer"], tenant, "tenants and IdP configs"),
        Grant(d, by_id["tenantGitopsAccountManager"], tenant, "tenant workload accounts"),
        Grant(
            d,
            by_id["tenantGitopsBucketAdmin"],
            tenant,
            "tenant buckets",
            _bucket_admin_guard(setup),
        ),
    )


def _impersonations(setup: PlatformSetup) -> tuple[Impersonation, ...]:
    files = tuple(
        Impersonation(
            PREVIEW_ACCOUNT,
            "workflow",
            f"{setup.repository}/.github/workflows/{name}@refs/heads/main",
        )
        for name in PREVIEW_WORKFLOWS
    )
    environments = tuple(
        Impersonation(DEPLOY_ACCOUNT, "environment", name) for name in ENVIRONMENTS
    )
    return files + environments


def blueprint(setup: PlatformSetup) -> Blueprint:
    """The set-up platform.yaml describes; a pure function."""
    roles = _roles(setup)
    # Every claim the condition reads is mapped ("You must have an attribute mapping for
    # all attribute condition fields"); the numeric repository id survives a rename and
    # cannot be squatted (Google's WIF guide prefers the *_id claims). workflow_ref is
    # documented as "the ref path to the workflow" (GitHub's OIDC reference).
    mapping = {
        "google.subject": "assertion.sub",
        "attribute.repository_id": "assertion.repository_id",
        "attribute.ref": "assertion.ref",
        "attribute.ref_type": "assertion.ref_type",
        "attribute.workflow": "assertion.workflow_ref",
        "attribute.environment": "assertion.environment",
    }
    condition = (
        f"assertion.repository_id == '{setup.repository_id}' && "
        "assertion.ref == 'refs/heads/main' && assertion.ref_type == 'branch'"
    )
    return Blueprint(
        setup=setup,
        apis=_apis(setup),
        roles=roles,
        grants=_grants(setup, roles),
        impersonations=_impersonations(setup),
        attribute_mapping=mapping,
        attribute_condition=condition,
    )
