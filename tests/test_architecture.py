"""The layout's rules, checked on the source: no import cycles, and each layer imports only what it may.

Every ``import`` in every module counts, at module level, under ``TYPE_CHECKING`` or inside a
function: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "flasksess_cli"

#: The domain: pure modules (stdlib, itsdangerous; Flask only lazily, where it is the reference).
DOMAIN = ("keys", "errors", "defaults", "untrusted", "cookie_text", "settings", "codec", "sizecheck", "audit")
#: Where each third-party package may be imported (by the first part of the module's name under flasksess_cli).
ALLOWED = {
    "click": {"cli", "render", "integrations"},
    "rich": {"render"},
}
#: Flask and Werkzeug at module level only in the demo; lazily also where Flask is the reference (--app).
FLASK = {"flask", "werkzeug"}
FLASK_AT_TOP = {"demo"}
FLASK_LAZILY = {"demo", "settings", "integrations"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> list[tuple[str, bool]]:
    """(imported module, at module level) for every import in the module."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, top) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - child.level + 1], base]).strip(".")
                for alias in child.names:  # "from package import module" imports the submodule
                    submodule = f"{base}.{alias.name}"
                    found.append((submodule if submodule in MODULES else base, top))
            visit(child, inner)

    visit(tree, True)
    return found


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def internal_graph() -> dict[str, set[str]]:
    return {name: {target for target, _ in imports(name) if target in MODULES and target != name} for name in MODULES}


def test_there_are_no_import_cycles() -> None:
    graph = internal_graph()
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycle = [*path[path.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_module_imports_only_what_its_layer_may(name: str) -> None:
    own = layer(name)
    for target, top in imports(name):
        root = target.split(".")[0]
        if root in ALLOWED:
            assert own in ALLOWED[root], f"{name} imports {target}: {root} belongs in {sorted(ALLOWED[root])}"
        if root in FLASK:
            allowed = FLASK_AT_TOP if top else FLASK_LAZILY
            where = "at module level" if top else "at all"
            assert own in allowed, f"{name} imports {target} {where}: Flask belongs in {sorted(allowed)}"
        if root == "flasksess_cli" and own in DOMAIN:
            assert layer(target) in DOMAIN, f"{name} (domain) imports {target}, an outer layer"
        if root == "flasksess_cli" and own in {"render", "demo"}:
            assert layer(target) != "cli", f"{name} imports {target}: only cli builds commands"
        if root == "flasksess_cli" and own == "api":
            assert layer(target) in {*DOMAIN, "api"}, f"{name} (the library API) imports {target}, an outer layer"
        if root == "flasksess_cli" and own == "integrations":  # doors onto the library API and the commands
            assert layer(target) in {"", "api", "cli", "integrations", "errors", "defaults"}, (
                f"{name} imports {target}: an integration goes through the library API (or reuses the commands)"
            )


@pytest.mark.parametrize("name", [n for n in sorted(MODULES) if layer(n) in DOMAIN])
def test_the_domain_never_prints_or_exits(name: str) -> None:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            assert called not in {"print", "sys.exit", "exit", "quit", "os._exit"}, f"{name} calls {called}()"


def test_the_checks_see_the_layers() -> None:
    """The rules above would pass vacuously if the parser found nothing."""
    graph = internal_graph()
    assert "flasksess_cli.codec.cookie" in graph["flasksess_cli.cli.codec"]
    assert ("click", True) in imports("flasksess_cli.cli.options")
    assert any(target.startswith("flask") for target, top in imports("flasksess_cli.settings") if not top)
    assert {layer(name) for name in MODULES} >= {*DOMAIN, "api", "cli", "render", "demo", "integrations"}
