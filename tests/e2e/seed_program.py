"""The program this project grew from (/work/shared/seed/), as a test fixture.

Two Identity Platform tenants with a default IdP config each, in ONE stack, exporting the
tenant names. `SEED_VERBATIM` keeps its display names ("Tenant One"), which GCP refuses
with INVALID_DISPLAY_NAME; the migration test deploys it with valid names. It lives in its
own Pulumi project (`mlaas-seed`) of the tenants' backend, as a separate program would.
Only `allow_password_signup` is added to tenant one, so a user can sign up to prove the
migration keeps users.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.harness import PROJECT, REPO, TenantRepo

SEED_PROJECT = "mlaas-seed"
SEED_STACK = "dev"


@dataclass(frozen=True)
class SeedTenant:
    name: str
    display_name: str
    idp_id: str
    client_id: str
    client_secret: str
    allow_password_signup: bool = False


def seed_program(tenants: tuple[SeedTenant, ...]) -> Callable[[], None]:
    def program() -> None:
        import pulumi
        import pulumi_gcp as gcp

        project = gcp.config.project
        for seed in tenants:
            extra = {"allow_password_signup": True} if seed.allow_password_signup else {}
            tenant = gcp.identityplatform.Tenant(
                seed.name,
                project=project,
                disable_auth=False,
                display_name=seed.display_name,
                **extra,
            )
            gcp.identityplatform.TenantDefaultSupportedIdpConfig(
                f"{seed.name}-idp-config",
                project=project,
                tenant=tenant.name,
                enabled=True,
                idp_id=seed.idp_id,
                client_id=seed.client_id,
                client_secret=seed.client_secret,
            )
            pulumi.export(f"{seed.name.replace('-', '_')}_name", tenant.name)

    return program


def deploy_seed(
    pulumi_root: str,
    backend: str,
    env: dict[str, str],
    work_dir: str,
    gcp_project: str,
    tenants: tuple[SeedTenant, ...],
) -> dict[str, object]:
    """`pulumi up` of the seed-shaped program into mlaas-seed/dev; its outputs.

    Raises the Automation API's CommandError when the update fails (as GCP makes it fail).
    """
    from pulumi import automation as auto

    opts = auto.LocalWorkspaceOptions(
        work_dir=work_dir,
        env_vars=env,
        secrets_provider="passphrase",
        pulumi_command=auto.PulumiCommand(root=pulumi_root),
        project_settings=auto.ProjectSettings(
            name=SEED_PROJECT, runtime="python", backend=auto.ProjectBackend(url=backend)
        ),
    )
    stack = auto.create_or_select_stack(
        stack_name=SEED_STACK, project_name=SEED_PROJECT, program=seed_program(tenants), opts=opts
    )
    stack.set_config("gcp:project", auto.ConfigValue(gcp_project))
    result = stack.up(color="never")
    return {key: value.value for key, value in result.outputs.items()}


# --- helpers for the adoption tests -------------------------------------------------

SOURCE = f"{SEED_PROJECT}/{SEED_STACK}"
"""The seed stack, as `reconciler adopt --from-stack` takes it."""
PULUMI = str(REPO / ".tools" / "bin" / "pulumi")


def seed_tenants(repo: TenantRepo, one: str, two: str) -> tuple[SeedTenant, ...]:
    """The seed's two tenants with the display names given and the manifests' IdP settings."""
    return (
        SeedTenant(
            "tenant-one",
            one,
            "google.com",
            "123456789012-tenantone.apps.googleusercontent.com",
            repo.secret_values[0],
            allow_password_signup=True,
        ),
        SeedTenant("tenant-two", two, "github.com", "Iv1.tenanttwo0000000", repo.secret_values[1]),
    )


def deploy(repo: TenantRepo, tmp_path: Path, one: str, two: str) -> dict[str, object]:
    work = tmp_path / "seed-workspace"
    work.mkdir(exist_ok=True)
    repo.state.mkdir(exist_ok=True)
    return deploy_seed(
        str(REPO / ".tools"),
        f"file://{repo.state}",
        repo.env,
        str(work),
        PROJECT,
        seed_tenants(repo, one, two),
    )


def pulumi(repo: TenantRepo, *args: str) -> str:
    """The pinned CLI against the repository's backend, as a person would run it (from a
    folder holding the tenants' Pulumi project file)."""
    env = {**repo.env, "PULUMI_BACKEND_URL": f"file://{repo.state}"}
    project = repo.root.parent / "by-hand"
    project.mkdir(exist_ok=True)
    (project / "Pulumi.yaml").write_text("name: mlaas-tenants\nruntime: python\n")
    done = subprocess.run(
        [PULUMI, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def urns(repo: TenantRepo, stack: str) -> list[str]:
    exported = json.loads(pulumi(repo, "stack", "export", "--stack", stack))
    return [
        r["urn"]
        for r in exported["deployment"].get("resources") or []
        if r.get("custom") and not r["type"].startswith("pulumi:providers:")
    ]
