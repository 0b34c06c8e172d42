"""A bucket location GCS does not serve, with validation bypassed: the real engine's preview
passes (the provider has no location rule) and `up` fails at the bucket's create, after the
resources before it exist — as in GCP. `validate` refuses the same manifest (the validator's
tests pin that half)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from reconciler.manifests.model import tenant_from_document
from reconciler.manifests.platform import load_platform
from reconciler.program.secrets import ResolvedSecrets
from reconciler.program.tenant import tenant_program
from tests.e2e.harness import REPO

pytestmark = pytest.mark.e2e

BAD_LOCATION = "EUROPE-WEST99"


def test_a_bad_bucket_location_fails_during_up_not_preview(
    tmp_path: Path, emulator_host: str, pulumi_home: Path
) -> None:
    manifest = REPO / "tenants" / "tenant-one.yaml"
    document = yaml.safe_load(manifest.read_text())
    document["spec"]["storage"]["location"] = BAD_LOCATION
    # Straight to the program: nothing between the manifest and the engine checks it.
    tenant = tenant_from_document(document, manifest)
    platform = load_platform(REPO, {})
    resolved = ResolvedSecrets(
        "tenant-one", {"google.com": ("TENANT_ONE_GOOGLE_CLIENT_SECRET", "s3cr3t-x")}, {}
    )
    program = tenant_program(tenant, platform, "fingerprint", resolved)
    (tmp_path / "backend").mkdir()
    env = {
        "PATH": os.pathsep.join(
            [str(REPO / "sandbox" / "bin"), str(REPO / ".tools" / "bin"), os.environ["PATH"]]
        ),
        "PULUMI_HOME": str(pulumi_home),
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}",
        "PULUMI_CONFIG_PASSPHRASE": f"pass-{secrets.token_hex(8)}",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "FIREBASE_AUTH_EMULATOR_HOST": emulator_host,
        "SANDBOX_STATE_DB": str(tmp_path / "sandbox.db"),
        "SANDBOX_FAULTS": "",
    }
    options = auto.LocalWorkspaceOptions(
        env_vars=env,
        pulumi_home=env["PULUMI_HOME"],
        pulumi_command=auto.PulumiCommand(root=str(REPO / ".tools"), skip_version_check=True),
        project_settings=auto.ProjectSettings(
            name="location-e2e",
            runtime="python",
            backend=auto.ProjectBackend(url=env["PULUMI_BACKEND_URL"]),
        ),
    )
    stack = auto.create_or_select_stack(
        "tenant-one", project_name="location-e2e", program=program, opts=options
    )

    preview = stack.preview()
    assert preview.change_summary.get("create", 0) >= 5, "GCP's plan does not know locations"

    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    assert "The specified location constraint is not valid" in str(failed.value)
    assert BAD_LOCATION in str(failed.value)
    deployed = {r["type"] for r in stack.export_stack().deployment["resources"]}
    assert "gcp:storage/bucket:Bucket" not in deployed
    # What does not depend on the bucket was created before the failure, as in GCP.
    assert "gcp:identityplatform/tenant:Tenant" in deployed
