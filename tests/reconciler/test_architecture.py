"""The package's shape, read from its source: no import cycle, no test cloud, one Pulumi adapter."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.repo import REPO

PACKAGE = REPO / "reconciler"
ADAPTER = "reconciler.pulumi_engine"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import in the file, lazy ones inside functions included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def sources() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def graph() -> dict[str, set[str]]:
    modules = sources()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, names in imports(path):
            # `from reconciler import act` imports the module reconciler.act.
            for candidate in [target, *(f"{target}.{n}" for n in names)]:
                if candidate in modules and candidate != name:
                    edges[name].add(candidate)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_package_lazy_imports_included():
    edges = graph()
    assert "reconciler.commands" in edges["reconciler.cli"]  # the graph sees lazy imports
    assert cycles(edges) == []


def test_nothing_in_the_package_imports_the_sandbox():
    offenders = [
        (name, target)
        for name, path in sources().items()
        for target, _names in imports(path)
        if target == "sandbox" or target.startswith("sandbox.")
    ]
    assert offenders == []


def test_only_the_adapter_imports_the_automation_api_and_none_of_its_private_names():
    importers = {}
    for name, path in sources().items():
        for target, names in imports(path):
            if target.startswith("pulumi.automation") or (
                target == "pulumi" and "automation" in names
            ):
                importers.setdefault(name, []).append((target, names))
    assert set(importers) == {ADAPTER}
    private = [
        (target, names)
        for target, names in importers[ADAPTER]
        if any(part.startswith("_") for part in target.split("."))
        or any(n.startswith("_") for n in names)
    ]
    assert private == []
    # ...nor reaches private attributes through the module (`auto._cmd`, `auto_errors._x`).
    tree = ast.parse(sources()[ADAPTER].read_text(encoding="utf-8"))
    reached = {
        f"{node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("auto", "auto_errors")
        and node.attr.startswith("_")
    }
    assert reached == set()


def test_the_engine_port_does_not_import_pulumi():
    port = [t for t, _ in imports(sources()["reconciler.engine"]) if t.split(".")[0] == "pulumi"]
    assert port == []


def test_the_readme_opens_with_the_two_commands_and_stays_short() -> None:
    """The README's promise to a fresh machine: two commands first, and ≤ 15 KB in all;
    `.ci/run` runs the second one."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) <= 15_000
    first_block = text.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line]
    assert commands == ["make demo", "make test"]
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
