"""The layers are a fact, not a hope: who may import whom, checked on every module's source.

Every ``import`` in ``tcpnb`` is read from the source (imports inside functions
included) and checked against :data:`ALLOWED`: a layer may import the layers
listed for it and the third-party packages listed for it, and nothing else.
Modules at the package's top (``tcpnb/__init__.py``, ``cli.py``) may import
any layer.  No two modules may import each other, directly or in a ring.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tcpnb"

#: layer -> (layers of tcpnb it may import, third-party top-level packages it may import)
ALLOWED: dict[str, tuple[set[str], set[str]]] = {
    "core": ({"core"}, set()),
    "sim": ({"core", "sim"}, set()),
    "views": ({"core", "sim", "views"}, {"plotly"}),
    "real": ({"core", "sim", "real"}, {"dpkt"}),
    "course": ({"core", "sim", "views", "real", "course"},
               {"plotly", "ipywidgets", "IPython", "anywidget", "traitlets"}),
    "widgets": ({"core", "sim", "views", "real", "course", "widgets"},
                {"plotly", "ipywidgets", "IPython", "anywidget"}),
}
TOP = {"__init__", "__main__", "cli"}


def module_name(path: Path) -> str:
    """``tcpnb/core/segment.py`` -> ``tcpnb.core.segment`` (a package is its ``__init__``)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(source: str, name: str, is_package: bool) -> list[str]:
    """Every module ``source`` (the module ``name``) imports, as absolute dotted names."""
    found = []
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            submodules = [f"{base}.{alias.name}" for alias in node.names
                          if _is_module(f"{base}.{alias.name}")]
            # "from tcpnb.sim import scenarios" imports the module tcpnb.sim.scenarios;
            # "from . import capture" inside tcpnb.real does not re-run tcpnb.real itself.
            if len(submodules) < len(node.names) or not name.startswith(base + "."):
                found.append(base)
            found += submodules
    return found


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent / Path(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def layer_of(name: str) -> str | None:
    """``tcpnb.core.segment`` -> ``core``; ``None`` for the package's top modules."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def violations(name: str, imported: list[str]) -> list[str]:
    """What the module ``name`` imports that its layer may not."""
    layer = layer_of(name)
    if layer is None:
        return []
    layers, third_party = ALLOWED[layer]
    bad = []
    for target in imported:
        top = target.split(".")[0]
        if top == "tcpnb":
            target_layer = layer_of(target)
            if target_layer is None and target != "tcpnb":
                bad.append(f"{name} imports {target}, a top-level module")
            elif target == "tcpnb" or target_layer not in layers:
                bad.append(f"{name} ({layer}) imports {target}")
        elif top not in sys.stdlib_module_names and top != "__future__" and top not in third_party:
            bad.append(f"{name} ({layer}) imports {top}")
    return bad


def graph() -> dict[str, set[str]]:
    """module -> the tcpnb modules it imports."""
    edges: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        found = imports(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
        edges[name] = {t for t in found if t.startswith("tcpnb.") and t != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Rings of modules that import each other (depth-first search; one ring per start)."""
    found, done = [], set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            found.append(path[path.index(node):] + [node])
            return
        if node in done:
            return
        for nxt in sorted(edges.get(node, ())):
            if nxt in edges and layer_of(nxt) is not None:
                visit(nxt, path + [node])
        done.add(node)

    for start in sorted(edges):
        if layer_of(start) is not None:
            visit(start, [])
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: module_name(p))
def test_each_module_imports_only_what_its_layer_allows(path: Path) -> None:
    name = module_name(path)
    found = imports(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
    assert violations(name, found) == []


def test_no_import_cycles_not_even_inside_functions() -> None:
    assert cycles(graph()) == []


def test_the_contract_fails_on_a_wrong_import() -> None:
    """The checker is not a test that cannot fail: feed it the imports the layers forbid."""
    inside_a_function = "def f():\n    from ..views.ladder import ladder\n"
    found = imports(inside_a_function, "tcpnb.sim.trace", is_package=False)
    assert violations("tcpnb.sim.trace", found) == ["tcpnb.sim.trace (sim) imports tcpnb.views.ladder"]
    assert violations("tcpnb.core.endpoint", ["plotly.graph_objects"]) == [
        "tcpnb.core.endpoint (core) imports plotly"]
    assert violations("tcpnb.views.ladder", ["tcpnb.widgets.scenario_panel"]) == [
        "tcpnb.views.ladder (views) imports tcpnb.widgets.scenario_panel"]
    assert cycles({"tcpnb.sim.a": {"tcpnb.sim.b"}, "tcpnb.sim.b": {"tcpnb.sim.a"}}) == [
        ["tcpnb.sim.a", "tcpnb.sim.b", "tcpnb.sim.a"]]


def test_import_tcpnb_loads_no_plotting_widget_or_capture_library() -> None:
    code = ("import sys, tcpnb, tcpnb.core.endpoint, tcpnb.sim.scenarios, tcpnb.sim.analysis\n"
            "print([m for m in ('plotly', 'ipywidgets', 'IPython', 'dpkt', 'anywidget') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_lazy_entry_points_resolve_to_their_functions() -> None:
    import tcpnb
    from tcpnb.views.ladder import ladder
    from tcpnb.widgets.scenario_panel import explore

    assert tcpnb.ladder is ladder and tcpnb.explore is explore
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        tcpnb.nonsense  # noqa: B018
