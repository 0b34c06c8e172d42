"""Reading a DIY backend's stacks, records and locks in bulk (layout built by hand here;
the end-to-end tests read backends the real engine wrote)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.engine.backend.records import STATUS_TAG, StackRecord, decode_record
from reconciler.engine.backend.state import BackendError, FileBucket, open_bucket, read_deployed


def write(root: Path, key: str, body: str) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)


def tags(record: StackRecord | None, **extra: str) -> str:
    values = dict(extra)
    if record is not None:
        values[STATUS_TAG] = record.encode()
    return json.dumps({"version": 1, "tags": values})


@pytest.fixture
def backend(tmp_path: Path) -> Path:
    write(tmp_path, ".pulumi/meta.yaml", "version: 1\n")
    return tmp_path


def test_reads_every_stack_with_its_record(backend: Path):
    write(backend, ".pulumi/stacks/p/alpha.json", "{}")
    write(backend, ".pulumi/stacks/p/alpha.json.bak", "{}")
    write(
        backend, ".pulumi/stacks/p/alpha.pulumi-tags", tags(StackRecord("f1", "succeeded", False))
    )
    write(backend, ".pulumi/stacks/p/beta.json.gz", "")
    deployed = read_deployed(FileBucket(backend), "p")
    assert sorted(deployed) == ["alpha", "beta"]
    assert deployed["alpha"].record == StackRecord("f1", "succeeded", False)
    assert deployed["beta"].record == StackRecord(None, None, True)


def test_when_the_record_was_written_is_the_tags_files_time(backend: Path):
    import os

    write(backend, ".pulumi/stacks/p/alpha.json", "{}")
    write(backend, ".pulumi/stacks/p/alpha.pulumi-tags", tags(StackRecord("f", "succeeded", True)))
    write(backend, ".pulumi/stacks/p/beta.json", "{}")
    os.utime(backend / ".pulumi/stacks/p/alpha.pulumi-tags", (1_700_000_000, 1_700_000_000))
    deployed = read_deployed(FileBucket(backend), "p")
    assert deployed["alpha"].recorded_at == 1_700_000_000
    assert deployed["beta"].recorded_at is None  # never recorded


def test_other_projects_are_ignored(backend: Path):
    write(backend, ".pulumi/stacks/other/alpha.json", "{}")
    assert read_deployed(FileBucket(backend), "p") == {}


def test_tags_without_a_stack_file_are_not_a_stack(backend: Path):
    write(backend, ".pulumi/stacks/p/gone.pulumi-tags", tags(StackRecord("f", "succeeded", True)))
    assert read_deployed(FileBucket(backend), "p") == {}


def test_a_held_lock_marks_the_stack_locked(backend: Path):
    write(backend, ".pulumi/stacks/p/alpha.json", "{}")
    write(backend, ".pulumi/stacks/p/beta.json", "{}")
    write(backend, ".pulumi/locks/organization/p/alpha/3f2a.json", "{}")
    deployed = read_deployed(FileBucket(backend), "p")
    assert deployed["alpha"].locked and not deployed["beta"].locked


def test_a_lock_file_cut_off_mid_write_still_locks_the_stack(backend: Path):
    # A run killed while writing its lock leaves file-blob's temporary file. Pulumi counts
    # every file in the lock folder (diy/lock.go, checkForLock) and then fails to parse
    # this one, so the stack is locked until `reconciler unlock` removes it.
    write(backend, ".pulumi/stacks/p/alpha.json", "{}")
    write(backend, ".pulumi/locks/organization/p/alpha/3f2a.json.18a2b4c6d8e0f.tmp", "")
    write(backend, ".pulumi/locks/organization/p/alpha/3f2a.json.18a2b4c6d8e0f.tmp.attrs", "")
    alpha = read_deployed(FileBucket(backend), "p")["alpha"]
    assert alpha.locked
    assert alpha.lock is not None and alpha.lock.pid is None and alpha.lock.taken is None


def test_a_readable_lock_names_the_holder_before_a_cut_off_one(backend: Path):
    write(backend, ".pulumi/stacks/p/alpha.json", "{}")
    folder = ".pulumi/locks/organization/p/alpha"
    write(backend, f"{folder}/0000.json.18a2b4c6d8e0f.tmp", "")
    write(backend, f"{folder}/9f9f.json", json.dumps({"pid": 41, "hostname": "runner"}))
    lock = read_deployed(FileBucket(backend), "p")["alpha"].lock
    assert lock is not None and lock.pid == 41


def test_file_blob_attribute_files_are_not_locks(backend: Path):
    write(backend, ".pulumi/stacks/p/alpha.json", "{}")
    write(backend, ".pulumi/locks/organization/p/alpha/3f2a.json.attrs", "{}")
    assert not read_deployed(FileBucket(backend), "p")["alpha"].locked


def test_missing_backend_folder_has_no_stacks(tmp_path: Path):
    assert read_deployed(FileBucket(tmp_path / "nothing"), "p") == {}


def test_legacy_layout_is_refused_with_the_fix(tmp_path: Path):
    write(tmp_path, ".pulumi/meta.yaml", "version: 0\n")
    with pytest.raises(BackendError, match="pulumi state upgrade"):
        read_deployed(FileBucket(tmp_path), "p")


def test_unsupported_backend_url_says_which_are_supported():
    with pytest.raises(BackendError, match=r"file:// and gs://"):
        open_bucket("https://api.pulumi.com")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, StackRecord(None, None, True)),
        ("", StackRecord(None, None, True)),
        ("not json", StackRecord(None, None, True)),
        ("[1]", StackRecord(None, None, True)),
        ('{"fingerprint":"x","result":"weird","protected":false}', StackRecord("x", None, False)),
        ('{"fingerprint":7,"result":"failed"}', StackRecord(None, "failed", True)),
    ],
    ids=["absent", "empty", "garbage", "not-an-object", "unknown-result", "bad-fingerprint"],
)
def test_unreadable_records_fail_safe(value, expected):
    # Anything unreadable counts as never recorded and protected: retried, never deleted.
    assert decode_record(value) == expected


def test_record_round_trips():
    record = StackRecord("a" * 64, "succeeded", False)
    assert decode_record(record.encode()) == record
    assert len(record.encode()) <= 256  # Pulumi's limit on a tag value
