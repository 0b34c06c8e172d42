"""The package's shape, read from its source: layers that import only downwards, no import
cycle, no test cloud in either direction, one Pulumi adapter, modules of a readable size."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.repo import REPO

PACKAGE = REPO / "reconciler"
ADAPTER = "reconciler.engine.automation"
"""The package of the Automation API adapter: the only importer of `pulumi.automation`."""

LAYERS = (
    ("reconciler", "reconciler.names", "reconciler.settings"),
    ("reconciler.gcp", "reconciler.github"),
    ("reconciler.manifests",),
    ("reconciler.program",),
    ("reconciler.report",),
    ("reconciler.impact",),
    ("reconciler.platform_setup",),
    ("reconciler.engine",),
    ("reconciler.reconcile",),
    ("reconciler.doctor",),
    ("reconciler.cli",),
)
"""Bottom to top: a module imports from its own layer or one below, never one above.

`reconciler.github` sits with the other REST clients: GitHub's rules (CODEOWNERS, the
deploy's approval, the preview's binding, a pull request's tree) on plain data, never the
manifests, the engine or the loop. `reconciler.doctor` (named checks of the set-up) sits
under the CLI only, so a check module may read whatever it checks."""

MAX_MODULE_LINES = 400


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
            # `from reconciler import act` imports the module reconciler.reconcile.act.
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
    assert "reconciler.cli.commands" in edges["reconciler.cli.main"]  # the graph sees lazy imports
    assert cycles(edges) == []


def layer_of(module: str) -> int:
    """The layer of a module: the one naming its longest enclosing package."""
    best, depth = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            enclosing = module == prefix or module.startswith(prefix + ".")
            if enclosing and prefix.count(".") > depth:
                best, depth = index, prefix.count(".")
    return best


def arrows_up(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (source, target)
        for source, targets in edges.items()
        for target in targets
        if layer_of(target) > layer_of(source)
    )


def test_the_layer_check_sees_an_arrow_up():
    assert arrows_up({"reconciler.manifests.rules": {"reconciler.program.names"}}) == [
        ("reconciler.manifests.rules", "reconciler.program.names")
    ]
    assert arrows_up({"reconciler.cli.main": {"reconciler.manifests.model"}}) == []


def test_every_module_belongs_to_a_layer():
    assert [name for name in sources() if layer_of(name) < 0] == []


def test_layers_import_only_downwards():
    assert arrows_up(graph()) == []


def test_the_backend_layout_and_the_port_do_not_reach_into_the_adapter():
    offenders = [
        (source, target)
        for source, targets in graph().items()
        if source.startswith(("reconciler.engine.backend", "reconciler.engine.port"))
        for target in targets
        if target.startswith(ADAPTER)
    ]
    assert offenders == []


def test_no_module_is_over_the_size_a_reader_takes_in():
    lines = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in sources().items()
    }
    assert {name: n for name, n in lines.items() if n > MAX_MODULE_LINES} == {}


def test_nothing_in_the_package_imports_the_sandbox():
    offenders = [
        (name, target)
        for name, path in sources().items()
        for target, _names in imports(path)
        if target == "sandbox" or target.startswith("sandbox.")
    ]
    assert offenders == []


def test_the_sandbox_imports_nothing_from_the_reconciler():
    """A stand-in that shares our beliefs cannot catch them: its data comes from upstream."""
    offenders = [
        (str(path.relative_to(REPO)), target)
        for path in sorted((REPO / "sandbox").rglob("*.py"))
        for target, _names in imports(path)
        if target == "reconciler" or target.startswith("reconciler.")
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
    assert importers and all(name.startswith(ADAPTER + ".") for name in importers), importers
    private = [
        (target, names)
        for found in importers.values()
        for target, names in found
        if any(part.startswith("_") for part in target.split("."))
        or any(n.startswith("_") for n in names)
    ]
    assert private == []
    # ...nor reaches private attributes through the module (`auto._cmd`, `auto_errors._x`).
    reached = {
        f"{name}: {node.value.id}.{node.attr}"
        for name in importers
        for node in ast.walk(ast.parse(sources()[name].read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("auto", "auto_errors")
        and node.attr.startswith("_")
    }
    assert reached == set()


SETTINGS_MODULE = "reconciler.settings"
"""The one reader of the process environment (its table documents every variable)."""
_ENVIRONMENT = frozenset({"environ", "environb", "getenv", "getenvb"})


def environment_reads(source: str) -> list[int]:
    """Lines that read the process environment (`os.environ`, `os.getenv`, ...), except in
    a call's `env=` argument: the environment a child process is given, built explicitly."""
    tree = ast.parse(source)
    for_a_child = {
        id(node)
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        for keyword in call.keywords
        if keyword.arg == "env"
        for node in ast.walk(keyword.value)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in for_a_child:
            continue
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in _ENVIRONMENT
        ) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in _ENVIRONMENT for alias in node.names)
        ):
            found.append(node.lineno)
    return sorted(found)


def test_the_environment_reader_sees_a_read_and_allows_a_childs_environment():
    assert environment_reads("import os\nx = os.environ.get('A')\ny = os.getenv('B')\n") == [2, 3]
    assert environment_reads("from os import environ\n") == [1]
    child = "import os, subprocess\nsubprocess.run(['x'], env={**os.environ, 'A': '1'})\n"
    assert environment_reads(child) == []


def test_only_the_settings_module_reads_the_environment():
    offenders = {
        name: lines
        for name, path in sources().items()
        if name != SETTINGS_MODULE and (lines := environment_reads(path.read_text("utf-8")))
    }
    assert offenders == {}
    assert environment_reads(sources()[SETTINGS_MODULE].read_text("utf-8"))  # it does read


def test_the_engine_port_does_not_import_pulumi():
    port = [
        t for t, _ in imports(sources()["reconciler.engine.port"]) if t.split(".")[0] == "pulumi"
    ]
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
