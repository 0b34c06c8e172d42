"""`reconciler codeowners`: .github/CODEOWNERS from the manifests' metadata.reviewers and
platform.yaml's github.platformReviewers; `--check` fails while it is stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.cli.github_commands import codeowners_text
from reconciler.cli.main import main
from reconciler.github.codeowners import parse
from reconciler.settings import read_settings
from tests.repo import REPO
from tests.workflows.manifests import tenant


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    (tmp_path / "tenants").mkdir()
    reviewed = tenant("acme").replace(
        "  owner: ml@acme.example.com\n",
        "  owner: ml@acme.example.com\n  reviewers: ['@acme-lead', '@acme-ml/research']\n",
    )
    (tmp_path / "tenants" / "acme.yaml").write_text(reviewed)
    (tmp_path / "tenants" / "beta.yaml").write_text(tenant("beta"))
    return tmp_path


def test_codeowners_command_writes_each_tenant_file_its_owners(root: Path) -> None:
    assert main(["--root", str(root), "codeowners"]) == 0
    owners = parse((root / ".github" / "CODEOWNERS").read_text())
    assert owners.skipped == ()
    platform = ("@acme-ml/tenant-platform",)
    assert owners.owners_of("tenants/acme.yaml") == ("@acme-lead", "@acme-ml/research", *platform)
    assert owners.owners_of("tenants/beta.yaml") == platform
    # A new tenant file, code and workflows (CODEOWNERS itself included): the platform.
    for path in ("tenants/new.yaml", "reconciler/cli/main.py", ".github/CODEOWNERS"):
        assert owners.owners_of(path) == platform


def test_check_fails_while_stale_and_passes_once_written(root: Path, capsys) -> None:
    assert main(["--root", str(root), "codeowners", "--check"]) == 1
    assert "CODEOWNERS missing" in capsys.readouterr().out
    assert main(["--root", str(root), "codeowners"]) == 0
    assert main(["--root", str(root), "codeowners", "--check"]) == 0
    (root / "tenants" / "gamma.yaml").write_text(tenant("gamma"))
    assert main(["--root", str(root), "codeowners", "--check"]) == 1
    assert "run `reconciler codeowners` and commit it" in capsys.readouterr().out


def test_invalid_manifests_or_no_platform_reviewers_write_nothing(root: Path, capsys) -> None:
    (root / "tenants" / "acme.yaml").write_text(
        tenant("acme").replace("  owner:", "  reviewers: [acme-lead]\n  owner:")
    )
    assert main(["--root", str(root), "codeowners"]) == 1
    assert "'acme-lead' is not a GitHub user or team" in capsys.readouterr().err
    assert not (root / ".github").exists()
    settings = root / "platform.yaml"
    settings.write_text(
        settings.read_text().replace("github:\n", "").replace("  platformReviewers:", "# x:")
    )
    (root / "tenants" / "acme.yaml").write_text(tenant("acme"))
    assert main(["--root", str(root), "codeowners"]) == 1
    assert "set github.platformReviewers" in capsys.readouterr().err


def test_reviewers_change_no_deployed_fingerprint(root: Path) -> None:
    from reconciler.manifests.validate import validate_tree

    before = {t.name: t.digest for t in validate_tree(root).tenants}
    plain = (root / "tenants" / "acme.yaml").read_text()
    (root / "tenants" / "acme.yaml").write_text(plain.replace("'@acme-lead', ", ""))
    after = {t.name: t.digest for t in validate_tree(root).tenants}
    assert before == after


def test_this_repository_s_codeowners_is_current() -> None:
    assert codeowners_text(REPO, read_settings({})) == (REPO / ".github" / "CODEOWNERS").read_text()
