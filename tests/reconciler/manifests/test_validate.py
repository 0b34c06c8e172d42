"""Example-file tests of the validation gate: each fixture states what it must produce.

- `fixtures/manifests/invalid/<case>.yaml`: one manifest; its header lists every expected
  issue as `# expect: LINE:COL PATH | MESSAGE`, optionally followed by `#   hint: HINT`.
  The test copies it to `tenants/<case>.yaml` of an empty repository and validates.
- `fixtures/manifests/invalid/<case>/`: a whole repository (tenants/, symlinks, stray
  files); `expected.txt` lists `FILE:LINE:COL PATH | MESSAGE` lines and `  hint:` lines.
- `fixtures/manifests/valid/*.yaml`: each validates clean on its own.

To add a case, add a file or a directory: the expectation lives next to the input.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.manifests.issues import Issue
from reconciler.manifests.validate import validate_tree
from tests.repo import MANIFEST_FIXTURES, REPO

FIXTURES = MANIFEST_FIXTURES
INVALID_FILES = sorted((FIXTURES / "invalid").glob("*.yaml"))
INVALID_TREES = sorted(p for p in (FIXTURES / "invalid").iterdir() if p.is_dir())
VALID_FILES = sorted((FIXTURES / "valid").glob("*.yaml"))

_EXPECT = re.compile(rb"^# expect: (\d+):(\d+) (\S+) \| (.*)$")
_HINT = re.compile(rb"^#   hint: (.*)$")
_TREE_EXPECT = re.compile(r"^(\S+):(\d+):(\d+) (\S+) \| (.*)$")


@dataclass(frozen=True)
class Expected:
    """One expected issue, as written next to its fixture."""

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str | None


def _found(issues: tuple[Issue, ...]) -> list[Expected]:
    return [Expected(i.file, i.line, i.column, i.path, i.message, i.hint) for i in issues]


def _file_expectations(fixture: Path) -> list[Expected]:
    expected: list[Expected] = []
    display = f"tenants/{fixture.name}"
    # Bytes, not text: some fixtures are deliberately not UTF-8 after their header.
    for raw in fixture.read_bytes().splitlines():
        if match := _EXPECT.match(raw):
            line, column, path, message = match.groups()
            expected.append(
                Expected(display, int(line), int(column), path.decode(), message.decode(), None)
            )
        elif (match := _HINT.match(raw)) and expected:
            last = expected.pop()
            expected.append(Expected(**{**last.__dict__, "hint": match.group(1).decode()}))
    return expected


def _tree_expectations(case: Path) -> list[Expected]:
    expected: list[Expected] = []
    for text in (case / "expected.txt").read_text(encoding="utf-8").splitlines():
        if match := _TREE_EXPECT.match(text):
            file, line, column, path, message = match.groups()
            expected.append(Expected(file, int(line), int(column), path, message, None))
        elif text.startswith("  hint: ") and expected:
            last = expected.pop()
            expected.append(Expected(**{**last.__dict__, "hint": text[len("  hint: ") :]}))
    return expected


def _repository_with(tmp_path: Path, *manifests: Path) -> Path:
    (tmp_path / "tenants").mkdir()
    for manifest in manifests:
        shutil.copyfile(manifest, tmp_path / "tenants" / manifest.name)
    return tmp_path


@pytest.mark.parametrize("fixture", INVALID_FILES, ids=lambda p: p.stem)
def test_invalid_manifest(fixture: Path, tmp_path: Path) -> None:
    expected = _file_expectations(fixture)
    assert expected, f"{fixture.name} states no `# expect:` line"
    result = validate_tree(_repository_with(tmp_path, fixture))
    assert _found(result.issues) == expected
    assert not result.ok
    assert result.tenants == ()


@pytest.mark.parametrize("case", INVALID_TREES, ids=lambda p: p.name)
def test_invalid_repository(case: Path) -> None:
    expected = _tree_expectations(case)
    assert expected, f"{case.name}/expected.txt states no issue"
    result = validate_tree(case)
    assert _found(result.issues) == expected
    # Files without issues still become tenants: a bad neighbour does not hide them.
    bad = {issue.file for issue in result.issues}
    assert {t.source.name for t in result.tenants} == {
        p.name for p in result.files if f"tenants/{p.name}" not in bad
    }


@pytest.mark.parametrize("fixture", VALID_FILES, ids=lambda p: p.stem)
def test_valid_manifest(fixture: Path, tmp_path: Path) -> None:
    result = validate_tree(_repository_with(tmp_path, fixture))
    assert result.issues == ()
    assert [tenant.name for tenant in result.tenants] == [fixture.stem]
    assert result.ok


def test_the_example_tenants_validate_clean() -> None:
    result = validate_tree(REPO)
    assert result.issues == ()
    assert [t.name for t in result.tenants] == ["tenant-one", "tenant-two"]
    assert result.files == (REPO / "tenants/tenant-one.yaml", REPO / "tenants/tenant-two.yaml")


def test_every_field_fixture_reaches_the_model() -> None:
    fixture = FIXTURES / "valid" / "every-field.yaml"
    result = validate_tree(FIXTURES / "valid", [fixture])
    (tenant,) = result.tenants
    assert tenant.deletion_protection is True
    assert tenant.auth.client_permissions.disabled_user_deletion is True
    assert [idp.id for idp in tenant.identity_providers] == [
        "google.com",
        "microsoft.com",
        "oidc.acme-okta",
        "saml.acme-adfs",
    ]
    assert tenant.storage.retention_days == 90
    assert tenant.source == fixture


def test_whole_number_floats_reach_the_model_as_integers(tmp_path: Path) -> None:
    text = (FIXTURES / "valid" / "minimal.yaml").read_text() + (
        "  storage:\n    retentionDays: 30.0\n"
        "  identityProviders:\n    - id: google.com\n      clientId: x\n"
        "      clientSecret: {fromSecretManager: {secret: tenant-minimal-s, version: 3.0}}\n"
    )
    (tmp_path / "tenants").mkdir()
    (tmp_path / "tenants" / "minimal.yaml").write_text(text)
    (tenant,) = validate_tree(tmp_path).tenants
    assert tenant.storage.retention_days == 30
    assert isinstance(tenant.storage.retention_days, int)
    (secret,) = [ref for _, ref in tenant.secret_refs()]
    assert secret.secret_manager is not None and secret.secret_manager.version == "3"


def test_empty_tenants_directory_is_a_valid_empty_fleet(tmp_path: Path) -> None:
    (tmp_path / "tenants").mkdir()
    (tmp_path / "tenants" / ".gitkeep").write_text("")
    result = validate_tree(tmp_path)
    assert (result.ok, result.tenants, result.files) == (True, (), ())


# --- selecting files: report only those, judge them against the whole tenants/ set -----


def _fleet(tmp_path: Path, displays: dict[str, str]) -> Path:
    template = (FIXTURES / "valid" / "minimal.yaml").read_text()
    (tmp_path / "tenants").mkdir()
    for name, display in displays.items():
        text = template.replace("name: minimal", f"name: {name}").replace("Minimal", display)
        (tmp_path / "tenants" / f"{name}.yaml").write_text(text)
    return tmp_path


def test_selected_files_are_checked_against_the_whole_set(tmp_path: Path) -> None:
    root = _fleet(tmp_path, {"alpha": "Same-Name", "beta": "Same-Name", "gamma": "Gamma"})
    result = validate_tree(root, [root / "tenants" / "alpha.yaml"])
    assert [(i.file, i.message) for i in result.issues] == [
        (
            "tenants/alpha.yaml",
            "spec.displayName: display name 'Same-Name' is also used by tenants/beta.yaml:9",
        ),
    ]
    assert result.files == (root / "tenants" / "alpha.yaml",)


def test_issues_of_files_not_selected_are_not_reported(tmp_path: Path) -> None:
    root = _fleet(tmp_path, {"alpha": "Alpha", "beta": "Beta"})
    (root / "tenants" / "beta.yaml").write_text("kind: [\n")
    result = validate_tree(root, [root / "tenants" / "alpha.yaml"])
    assert result.ok
    assert [t.name for t in result.tenants] == ["alpha"]


def test_selecting_the_tenants_directory_selects_everything(tmp_path: Path) -> None:
    root = _fleet(tmp_path, {"alpha": "Alpha", "beta": "Beta"})
    assert validate_tree(root, [root / "tenants"]) == validate_tree(root)


def test_a_missing_selected_file_is_an_issue(tmp_path: Path) -> None:
    root = _fleet(tmp_path, {"alpha": "Alpha"})
    result = validate_tree(root, [root / "tenants" / "nope.yaml"])
    assert [(i.file, i.line, i.column, i.message) for i in result.issues] == [
        ("tenants/nope.yaml", 1, 1, "no such file"),
    ]


def test_a_file_outside_tenants_gets_the_per_file_checks(tmp_path: Path) -> None:
    root = _fleet(tmp_path, {"alpha": "Alpha"})
    draft = root / "drafts" / "alpha.yaml"
    draft.parent.mkdir()
    # Same name and display name as tenants/alpha.yaml: not a duplicate, it is a draft of it.
    shutil.copyfile(root / "tenants" / "alpha.yaml", draft)
    result = validate_tree(root, [draft])
    assert result.ok
    assert [t.source for t in result.tenants] == [draft]
    draft.write_text(draft.read_text().replace("Alpha", "Not Valid"))
    assert [i.file for i in validate_tree(root, [draft]).issues] == ["drafts/alpha.yaml"]


def test_a_file_in_a_subdirectory_of_tenants_cannot_be_selected(tmp_path: Path) -> None:
    root = _fleet(tmp_path, {"alpha": "Alpha"})
    nested = root / "tenants" / "team" / "beta.yaml"
    nested.parent.mkdir()
    shutil.copyfile(root / "tenants" / "alpha.yaml", nested)
    result = validate_tree(root, [nested])
    assert [(i.file, i.message) for i in result.issues] == [
        ("tenants/team/beta.yaml", "not directly in tenants/"),
    ]


_WORKER_CHECK = """
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import reconciler.manifests.validate as validate

root = Path(sys.argv[1])
serial = validate.validate_tree(root)
pools = []


class SpyPool(ProcessPoolExecutor):
    def __init__(self, *args, **kwargs):
        pools.append(args)
        super().__init__(*args, **kwargs)


validate.ProcessPoolExecutor = SpyPool
validate.PARALLEL_FROM = 2
validate._usable_cores = lambda: 2
assert validate.validate_tree(root) == serial, "workers gave another result"
assert pools, "the worker processes were not used"
print(" ".join(i.file for i in serial.issues), len(serial.tenants))
"""


def test_many_files_give_the_same_result_in_worker_processes(tmp_path: Path) -> None:
    root = _fleet(tmp_path, {f"t{i:03d}": f"Tenant-{i:03d}" for i in range(40)})
    (root / "tenants" / "t007.yaml").write_text("kind: [\n")
    (root / "tenants" / "t008.yaml").write_text(
        (root / "tenants" / "t008.yaml").read_text().replace("Tenant-008", "Tenant-009")
    )
    # A fresh interpreter: workers are forked only from a single-threaded process, and the
    # test process has threads left by other tests.
    done = subprocess.run(
        [sys.executable, "-c", _WORKER_CHECK, str(root)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "tenants/t007.yaml",
        "tenants/t008.yaml",
        "tenants/t009.yaml",
        "37",
    ]


def test_a_process_with_threads_is_never_forked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _fleet(tmp_path, {f"t{i:03d}": f"Tenant-{i:03d}" for i in range(5)})
    monkeypatch.setattr("reconciler.manifests.validate.PARALLEL_FROM", 2)
    monkeypatch.setattr("reconciler.manifests.validate._usable_cores", lambda: 2)
    monkeypatch.setattr("reconciler.manifests.validate.threading.active_count", lambda: 3)

    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("forked a multi-threaded process")

    monkeypatch.setattr("reconciler.manifests.validate.ProcessPoolExecutor", no_pool)
    assert len(validate_tree(root).tenants) == 5


# --- boundaries -----------------------------------------------------------------------


def test_validation_does_not_import_pulumi() -> None:
    code = (
        "import reconciler.manifests.validate, reconciler.report.validation, sys; "
        "import reconciler.manifests.platform; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'pulumi'], 'pulumi imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_validate_tree_accepts_a_relative_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = validate_tree(Path("."))
    assert result.ok
    assert result.files == (Path("tenants/tenant-one.yaml"), Path("tenants/tenant-two.yaml"))


def test_an_unreadable_manifest_is_an_issue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _fleet(tmp_path, {"alpha": "Alpha"})
    unreadable = root / "tenants" / "alpha.yaml"
    real_open = Path.open

    # chmod 0 does not stop root (CI runs as root), so the refusal is simulated at open().
    def refusing_open(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self == unreadable:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing_open)
    (issue,) = validate_tree(root).issues
    assert (issue.file, issue.line, issue.message) == (
        "tenants/alpha.yaml",
        1,
        "cannot read the file: Permission denied",
    )


@pytest.mark.timeout(60)  # comparing 12,000 items pairwise would take minutes
def test_a_huge_broken_list_is_explained_briefly(tmp_path: Path) -> None:
    text = (FIXTURES / "valid" / "minimal.yaml").read_text()
    text += "  access:\n    admins:\n" + "".join(f"    - {{n: {i}}}\n" for i in range(12_000))
    (tmp_path / "tenants").mkdir()
    (tmp_path / "tenants" / "minimal.yaml").write_text(text)
    issues = validate_tree(tmp_path).issues
    assert len(issues) == 101
    assert (issues[0].line, issues[0].column, issues[0].message) == (
        1,
        1,
        "more than 100 schema issues; the first 100 are shown",
    )
    assert issues[1].message == "spec.access.admins: has 12000 items; at most 100"
