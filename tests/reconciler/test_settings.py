"""One table of settings: documented, complete, read in one place, typed for the layers below."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.manifests.platform import OVERRIDES
from reconciler.settings import (
    PLATFORM_VARIABLES,
    SETTINGS,
    SETTINGS_DOC,
    Settings,
    read_settings,
    settings_markdown,
)
from tests.repo import REPO


def test_the_settings_doc_is_the_table() -> None:
    """docs/settings.md is generated: `python -m reconciler.settings > docs/settings.md`."""
    assert (REPO / SETTINGS_DOC).read_text(encoding="utf-8") == settings_markdown()


def test_every_variable_is_listed_once_with_a_doc() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.doc.strip() and s.group for s in SETTINGS)


def test_every_variable_named_in_the_package_is_in_the_table() -> None:
    """A variable the code names (to read it, or in a message) is one a user can look up."""
    pattern = re.compile(r"\b(?:RECONCILER|GITHUB|PULUMI)_[A-Z_]+[A-Z]\b")
    # What the engine's child processes read or are given, not a setting of ours.
    theirs = {"PULUMI_SKIP_UPDATE_CHECK", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"}
    theirs |= {"PULUMI_HOME", "PULUMI_DEBUG_COMMANDS"}
    named = {
        (match, path.relative_to(REPO).as_posix())
        for path in sorted((REPO / "reconciler").rglob("*.py"))
        for match in pattern.findall(path.read_text(encoding="utf-8"))
        if match not in theirs
    }
    listed = {s.name for s in SETTINGS}
    assert sorted((n, where) for n, where in named if n not in listed) == []


def test_the_platform_overrides_are_the_tables_platform_rows() -> None:
    overrides = {o.variable for o in OVERRIDES}
    assert overrides | {"PULUMI_BACKEND_URL"} == set(PLATFORM_VARIABLES)


def test_nothing_read_is_printed() -> None:
    settings = read_settings({"GITHUB_TOKEN": "ghs_secret", "ACME_CLIENT_SECRET": "hunter2"})
    assert "ghs_secret" not in repr(settings) and "hunter2" not in repr(settings)
    assert "ghs_secret" not in repr(settings.github)
    assert settings.secret_env["ACME_CLIENT_SECRET"] == "hunter2"


def test_only_the_tables_variables_are_kept_as_settings() -> None:
    settings = read_settings({"RECONCILER_ROOT": "/r", "SOMETHING_ELSE": "x"})
    assert dict(settings.values) == {"RECONCILER_ROOT": "/r"}


@pytest.mark.parametrize(
    ("environ", "attribute", "value"),
    [
        ({}, "root", Path(".")),
        ({"RECONCILER_ROOT": "/srv/repo"}, "root", Path("/srv/repo")),
        ({}, "debug", False),
        ({"RECONCILER_DEBUG": ""}, "debug", False),
        ({"RECONCILER_DEBUG": "1"}, "debug", True),
        ({}, "heartbeat", 15.0),
        ({"RECONCILER_HEARTBEAT": "2"}, "heartbeat", 2.0),
        ({"RECONCILER_HEARTBEAT": "-1"}, "heartbeat", 15.0),
        ({"RECONCILER_HEARTBEAT": "soon"}, "heartbeat", 15.0),
        ({}, "colour_allowed", True),
        ({"NO_COLOR": "1"}, "colour_allowed", False),
        ({"NO_COLOR": ""}, "colour_allowed", True),  # no-color.org: set and non-empty
        ({"TERM": "dumb"}, "colour_allowed", False),
        ({"GITHUB_ACTIONS": "true"}, "github_actions", True),
        ({"GITHUB_ACTIONS": "1"}, "github_actions", False),
        ({}, "step_summary", None),
        ({"GITHUB_STEP_SUMMARY": "/tmp/s.md"}, "step_summary", Path("/tmp/s.md")),
        ({}, "inventory", None),
        ({"RECONCILER_INVENTORY": "cli"}, "inventory", "cli"),
        ({}, "passphrase_set", False),
        ({"PULUMI_CONFIG_PASSPHRASE": ""}, "passphrase_set", False),
        ({"PULUMI_CONFIG_PASSPHRASE_FILE": "/p"}, "passphrase_set", True),
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"}, "emulator_host", "127.0.0.1:9099"),
        ({}, "client_secrets", "env"),
        ({"RECONCILER_CLIENT_SECRETS": " unread "}, "client_secrets", "unread"),
        ({}, "secret_manager_endpoint", "https://secretmanager.googleapis.com"),
        ({"RECONCILER_SECRET_MANAGER_ENDPOINT": " "}, "secret_manager_endpoint",
         "https://secretmanager.googleapis.com"),
        ({"RECONCILER_PULUMI_BINARY": ""}, "pulumi_binary", None),
        ({"PATH": "/bin"}, "path", "/bin"),
        ({}, "google_apis_endpoint", ""),
        ({"RECONCILER_GOOGLE_APIS_ENDPOINT": " http://127.0.0.1:8/ "}, "google_apis_endpoint",
         "http://127.0.0.1:8"),
        ({}, "admin_token", ""),
        ({"GH_TOKEN": "gho_cli"}, "admin_token", "gho_cli"),
        ({"GITHUB_TOKEN": "ghp_admin", "GH_TOKEN": "gho_cli"}, "admin_token", "ghp_admin"),
        ({"GITHUB_TOKEN": "", "GH_TOKEN": "gho_cli"}, "admin_token", "gho_cli"),
    ],
)  # fmt: skip
def test_typed_settings(environ: dict[str, str], attribute: str, value: object) -> None:
    assert getattr(read_settings(environ), attribute) == value


def test_platform_overrides_keep_a_set_but_empty_value() -> None:
    """platform.yaml refuses an empty override (an empty CI variable must not fall back)."""
    environ = {"RECONCILER_BACKEND_URL": "", "PULUMI_BACKEND_URL": "gs://b", "HOME": "/h"}
    assert read_settings(environ).platform_overrides == {
        "RECONCILER_BACKEND_URL": "",
        "PULUMI_BACKEND_URL": "gs://b",
    }


def test_the_github_run() -> None:
    github = read_settings(
        {
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_RUN_ID": "7",
        }
    ).github
    assert github.run_url == "https://github.com/o/r/actions/runs/7"
    assert github.api_url == "https://api.github.com"
    assert read_settings({}).github.run_url == ""


def test_defaults_read_nothing() -> None:
    assert Settings().root == Path(".") and Settings().client_secrets == "env"
