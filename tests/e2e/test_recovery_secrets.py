"""The recovery of interrupted creates (`engine/automation/recovery.recover`) on the real
Pulumi CLI and a `file://` backend: no secret of the stack is ever in plaintext in what it
exports or imports, and its temporary file is gone even when the import fails (the SDK's
`import_stack` left it in the system temp folder: review session 4, 2.1).

The state is made with the CLI itself: `pulumi stack import` of a deployment holding a
plaintext secret encrypts it with the stack's passphrase, and the pending create (which
`stack import` drops, with a warning) is written into the checkpoint file after it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.engine.automation.recovery import recover
from tests.repo import REPO

pytestmark = pytest.mark.e2e

PLAIN = "hunter2-idp-client-secret"
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
STACK_URN = "urn:pulumi:acme::p::pulumi:pulumi:Stack::p-acme"
BUCKET = "urn:pulumi:acme::p::gcp:storage/bucket:Bucket::acme-data"


class Cli:
    """`pulumi` on a private backend, home and passphrase; records what `recover` exports
    and imports."""

    def __init__(self, root: Path) -> None:
        binary = REPO / ".tools" / "bin" / "pulumi"
        if not binary.exists():
            pytest.fail("the pinned Pulumi CLI is missing: run `scripts/bootstrap --sandbox`")
        self.binary, self.backend, self.work = binary, root / "backend", root / "work"
        for folder in (self.backend, self.work, root / "home"):
            folder.mkdir()
        (self.work / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PULUMI_HOME": str(root / "home"),
            "PULUMI_BACKEND_URL": f"file://{self.backend}",
            "PULUMI_CONFIG_PASSPHRASE": "test-passphrase",
            "PULUMI_SKIP_UPDATE_CHECK": "1",
        }
        self.outputs: list[str] = []
        self.imported: list[tuple[str, int]] = []
        self.before_import = lambda: None

    def __call__(self, args: list[str]) -> str:
        if args[:2] == ["stack", "import"]:
            path = Path(args[args.index("--file") + 1])
            self.imported.append((path.read_text(), stat.S_IMODE(path.parent.stat().st_mode)))
            self.before_import()
        done = subprocess.run(
            [str(self.binary), *args, "--non-interactive"],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        if args[:2] == ["stack", "export"]:
            self.outputs.append(done.stdout)
        return done.stdout

    @property
    def checkpoint(self) -> Path:
        return self.backend / ".pulumi/stacks/p/acme.json"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """A stack whose state holds a secret output and a pending create with a secret input."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))  # where recover's temp folder goes
    cli = Cli(tmp_path)
    cli(["stack", "init", "organization/p/acme", "--secrets-provider", "passphrase"])
    document = json.loads(cli(["stack", "export", "--stack", "organization/p/acme"]))
    plain = {**SECRET, "plaintext": json.dumps(PLAIN)}
    document["deployment"]["resources"] = [
        {"urn": STACK_URN, "custom": False, "type": "pulumi:pulumi:Stack", "outputs": {"s": plain}}
    ]
    source = tmp_path / "seed.json"
    source.write_text(json.dumps(document))
    cli(["stack", "import", "--stack", "organization/p/acme", "--file", str(source)])
    source.unlink()
    saved = json.loads(cli.checkpoint.read_text())
    ciphertext = saved["checkpoint"]["latest"]["resources"][0]["outputs"]["s"]
    assert PLAIN not in cli.checkpoint.read_text() and "ciphertext" in ciphertext
    saved["checkpoint"]["latest"]["pending_operations"] = [
        {
            "type": "creating",
            "resource": {
                "urn": BUCKET,
                "custom": True,
                "type": "gcp:storage/bucket:Bucket",
                "inputs": {"name": "acme-data", "token": ciphertext},
                "parent": STACK_URN,
            },
        }
    ]
    cli.checkpoint.write_text(json.dumps(saved))
    cli.outputs.clear()
    cli.imported.clear()
    yield cli


def test_recovery_exports_and_imports_only_ciphertext_in_a_private_folder(cli: Cli):
    held = recover(cli, "acme", "p", {BUCKET: "acme-data"}, refresh=lambda: None)

    assert held == (STACK_URN, BUCKET)  # the pending create adopted under its id
    assert cli.imported and cli.outputs
    for text in [*cli.outputs, *(document for document, _ in cli.imported)]:
        assert PLAIN not in text
        assert "ciphertext" in text
    assert [mode for _, mode in cli.imported] == [0o700]
    assert os.listdir(tempfile.gettempdir()) == []
    assert PLAIN not in cli.checkpoint.read_text()


def test_a_failing_import_leaves_no_file_behind(cli: Cli):
    # A run takes the stack's lock between recover's check and its import: the CLI's import
    # takes the lock itself, so it fails rather than overwrite that run's checkpoint.
    locks = cli.backend / ".pulumi/locks/organization/p/acme"

    def take_lock() -> None:
        locks.mkdir(parents=True, exist_ok=True)
        (locks / "live-run.json").write_text(json.dumps({"pid": 1, "username": "ci"}))

    cli.before_import = take_lock
    with pytest.raises(subprocess.CalledProcessError) as failed:
        recover(cli, "acme", "p", {BUCKET: "acme-data"}, refresh=lambda: None)

    assert "lock" in failed.value.stderr
    assert os.listdir(tempfile.gettempdir()) == []
    assert len(cli.imported) == 1 and PLAIN not in cli.imported[0][0]
    assert json.loads(cli.checkpoint.read_text())["checkpoint"]["latest"]["pending_operations"]
