"""How a run reaches the engine: the sandbox is wired from outside, and checked here."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from reconciler.cli.runtime import SANDBOX_PLUGIN, SetupError, engine_settings
from reconciler.manifests.platform import load_platform
from reconciler.settings import read_settings
from tests.repo import REPO

PULUMI = REPO / ".tools" / "bin" / "pulumi"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "schema", tmp_path / "schema")
    (tmp_path / "tenants").mkdir()
    (tmp_path / "platform.yaml").write_text((REPO / "platform.yaml").read_text())
    return tmp_path


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plugin-bin"
    folder.mkdir()
    plugin = folder / SANDBOX_PLUGIN
    plugin.write_text("#!/bin/sh\n")
    plugin.chmod(0o755)
    return folder


def environ(**extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "RECONCILER_PULUMI_BINARY": str(PULUMI), **extra}


@pytest.mark.parametrize(
    ("host", "with_plugin", "missing"),
    [
        (None, True, "FIREBASE_AUTH_EMULATOR_HOST"),
        ("127.0.0.1:9099", False, SANDBOX_PLUGIN),
        (None, False, "FIREBASE_AUTH_EMULATOR_HOST"),
    ],
)
def test_the_sandbox_target_needs_the_sandboxs_environment(
    root: Path, plugin_dir: Path, host, with_plugin, missing
):
    env = environ()
    if host:
        env["FIREBASE_AUTH_EMULATOR_HOST"] = host
    if with_plugin:
        env["PATH"] = f"{plugin_dir}{os.pathsep}{env['PATH']}"
    with pytest.raises(SetupError) as error:
        engine_settings(load_platform(root, {}), read_settings(env))
    message = str(error.value)
    assert missing in message and "python -m sandbox exec --" in message
    assert "\n" not in message


def test_in_the_sandboxs_environment_no_plugin_is_ever_downloaded(root: Path, plugin_dir: Path):
    env = environ(FIREBASE_AUTH_EMULATOR_HOST="127.0.0.1:9099")
    env["PATH"] = f"{plugin_dir}{os.pathsep}{env['PATH']}"
    settings = engine_settings(load_platform(root, {}), read_settings(env))
    assert settings.env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] == "true"
    assert settings.pulumi_binary == PULUMI


def test_the_gcp_target_needs_no_sandbox(root: Path):
    platform = dataclasses.replace(load_platform(root, {}), target="gcp")
    settings = engine_settings(platform, read_settings(environ(PULUMI_CONFIG_PASSPHRASE="x")))
    assert "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION" not in settings.env
