"""The act harness's own rules, without act: the artifact stand-ins behave like
upload/download-artifact v4+, act's JSON log becomes jobs, legs, steps and annotations,
and every action the workflows pin has a stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.repo import REPO
from tests.workflows.act import artifacts
from tests.workflows.act.runner import STANDIN_FOR, parse_log, pinned_actions

STANDINS = Path(__file__).parent / "standins"


@pytest.mark.parametrize(
    ("patterns", "root"),
    [
        (["/t/run/report.json"], "/t/run"),
        (["/t/run/drift.json", "/t/run/drift.md"], "/t/run"),
        (["/t/run/**/*.json"], "/t/run"),
        (["/t/a/x.json", "/t/b/y.json"], "/t"),
    ],
)
def test_files_are_stored_relative_to_the_least_common_ancestor(patterns, root) -> None:
    assert artifacts.search_root(patterns) == Path(root)


def upload(store: Path, source: Path, **inputs: str) -> int:
    environ = {"INPUT_PATH": str(source), **{f"INPUT_{k.upper()}": v for k, v in inputs.items()}}
    return artifacts.upload(environ, store)


def test_an_upload_keeps_the_file_under_the_artifact_name(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("{}")
    assert upload(tmp_path / "store", tmp_path / "report.json", name="tenant-plan") == 0
    assert (tmp_path / "store" / "tenant-plan" / "report.json").read_text() == "{}"


def test_a_second_upload_of_a_name_fails_unless_overwrite(tmp_path: Path, capsys) -> None:
    (tmp_path / "report.json").write_text("{}")
    store = tmp_path / "store"
    assert upload(store, tmp_path / "report.json", name="tenant-preview-") == 0
    assert upload(store, tmp_path / "report.json", name="tenant-preview-") == 1
    assert "already exists" in capsys.readouterr().out
    assert upload(store, tmp_path / "report.json", name="tenant-preview-", overwrite="true") == 0


@pytest.mark.parametrize(
    ("mode", "code", "says"),
    [("error", 1, "::error::"), ("warn", 0, "::warning::"), ("ignore", 0, "")],
)
def test_no_file_found(tmp_path: Path, capsys, mode: str, code: int, says: str) -> None:
    assert upload(tmp_path / "store", tmp_path / "none.json", if_no_files_found=mode) == code
    assert says in capsys.readouterr().out
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").iterdir())


def stored(tmp_path: Path, *names: str) -> Path:
    store = tmp_path / "store"
    for name in names:
        (store / name).mkdir(parents=True)
        (store / name / "report.json").write_text(json.dumps(name))
    return store


def test_a_pattern_downloads_each_artifact_into_its_own_folder(tmp_path: Path) -> None:
    store = stored(tmp_path, "tenant-plan", "tenant-preview-0", "other")
    into = tmp_path / "reports"
    environ = {"INPUT_PATTERN": "tenant-*", "INPUT_PATH": str(into)}
    assert artifacts.download(environ, store) == 0
    assert sorted(p.name for p in into.iterdir()) == ["tenant-plan", "tenant-preview-0"]


def test_a_name_downloads_flat_and_a_missing_name_fails(tmp_path: Path) -> None:
    store = stored(tmp_path, "tenant-drift")
    into = tmp_path / "drift"
    assert artifacts.download({"INPUT_NAME": "tenant-drift", "INPUT_PATH": str(into)}, store) == 0
    assert (into / "report.json").is_file()
    assert artifacts.download({"INPUT_NAME": "nope", "INPUT_PATH": str(into)}, store) == 1


def line(**fields: object) -> str:
    return json.dumps({"level": "info", "matrix": {}, **fields})


def test_the_log_gives_legs_steps_results_and_annotations() -> None:
    jobs = parse_log(
        [
            "not json",
            line(
                jobID="preview",
                job="Preview 1/2",
                matrix={"shard": "1/2"},
                step="Preview",
                stepID=["3"],
                stage="Main",
                msg="planned\n",
                raw_output=True,
            ),
            line(
                jobID="preview",
                job="Preview 1/2",
                matrix={"shard": "1/2"},
                step="Preview",
                stepID=["3"],
                stage="Main",
                stepResult="failure",
            ),
            line(jobID="preview", job="Preview 2/2", matrix={"shard": "2/2"}, jobResult="failure"),
            line(jobID="plan", job="Plan", jobResult="skipped"),
            line(
                jobID="validate",
                job="Validate",
                step="Validate",
                stepID=["2"],
                command="error",
                arg="kind: bad",
                kvPairs={"file": "tenants/a.yaml", "line": "3", "col": "7"},
            ),
        ]
    )
    by_leg = {(j.job_id, j.matrix.get("shard")): j for j in jobs}
    first = by_leg[("preview", "1/2")]
    assert first.failed_steps == ["Preview"] and first.output == "planned"
    assert by_leg[("preview", "2/2")].failed_steps == []  # marked failed by its sibling
    assert by_leg[("plan", None)].result == "skipped" and not by_leg[("plan", None)].ran
    note = by_leg[("validate", None)].annotations[0]
    assert (note.level, note.file, note.line, note.col) == ("error", "tenants/a.yaml", "3", "7")


def test_every_pinned_action_has_a_stand_in() -> None:
    files = [*REPO.glob(".github/workflows/*.yml"), *REPO.glob(".github/actions/*/action.yml")]
    used = {action for action, _ in pinned_actions(files)}
    assert used and used <= set(STANDIN_FOR)
    for action in used:
        assert (STANDINS / STANDIN_FOR[action] / "action.yml").is_file(), action
