"""Every third-party module the package imports is installed by `tenant-gitops[deploy]`:
the distributions that own them are in the closure of its declared requirements (markers
evaluated for this interpreter, extras followed), not merely present in the development
environment, where a dev tool may pull them in (requests came with check-jsonschema once
google-cloud-storage, which brought it before, was dropped).

google-auth's transports import an HTTP library google-auth does not require: each needs its
extra (google/auth/transport/requests.py and urllib3.py raise "requires the extras installed").
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import importlib.util
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.repo import REPO

TRANSPORT_EXTRAS = {
    "google.auth.transport.requests": ("google-auth", "requests"),
    "google.auth.transport.urllib3": ("google-auth", "urllib3"),
}
"""Module -> the (distribution, extra) whose requirements it imports."""


def _imports() -> set[str]:
    found: set[str] = set()
    for path in (REPO / "reconciler").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
    return {
        name
        for name in found
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "reconciler"
    }


def _owner(module: str, files: dict[Path, str]) -> str:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"{module} is not installed"
    owner = files.get(Path(spec.origin).resolve())
    assert owner, f"no installed distribution holds {spec.origin}"
    return owner


def _requirements(dist: str, extras: frozenset[str]) -> list[Requirement]:
    wanted = []
    for text in metadata.distribution(dist).requires or []:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": e}) for e in extras | {""}):
            wanted.append(requirement)
    return wanted


def _closure(dist: str, extras: frozenset[str]) -> set[str]:
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(canonicalize_name(dist), extras)]
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        for requirement in _requirements(item[0], item[1]):
            todo.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return {name for name, _ in seen}


def test_every_imported_distribution_is_a_declared_requirement_of_the_deploy_extra():
    files = {
        Path(str(dist.locate_file(entry))).resolve(): canonicalize_name(dist.metadata["Name"])
        for dist in metadata.distributions()
        for entry in dist.files or []
        if str(entry).endswith(".py")
    }
    installed = _closure("tenant-gitops", frozenset({"deploy"}))
    imported = {_owner(module, files) for module in _imports()}
    assert sorted(imported - installed - {"tenant-gitops"}) == []
    for module, (dist, extra) in TRANSPORT_EXTRAS.items():
        if module in _imports():
            needed = {canonicalize_name(r.name) for r in _requirements(dist, frozenset({extra}))}
            assert sorted(needed - installed) == [], f"{module} needs {dist}[{extra}]"
