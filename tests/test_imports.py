"""formgen's modules import one another in one direction: no import circle, counting the
imports made inside functions (a lazy import still ties two modules together)."""

import ast
from pathlib import Path

import formgen

ROOT = Path(formgen.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = ["formgen", *p.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - (node.level - 1)]
                    base = ".".join(parts + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for t in targets:
                while t not in mods and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t in mods and t != name and not name.startswith(t + "."):
                    graph[name].add(t)  # a package's own __init__ imported by its modules is no circle
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_finder_sees_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle():
    graph = _graph()
    assert len(graph) > 50 and graph["formgen.cli"]  # the walk found the modules and their imports
    assert _circles(graph) == []


def test_the_layers_import_downwards():
    """formgen.record (the model, its paths, the YAML reader) imports nothing above it;
    packs import only the record; rules the record, packs and (for what a sheet will print,
    XL001) the renderers, and Jiangsu's scoring; renderers never a rule or a door."""
    graph = _graph()
    allowed = {
        "record": {"record"},
        "packs": {"record", "packs"},
        "rules": {"record", "packs", "rules", "render", "selfeval"},
        "selfeval": {"record", "packs", "render", "selfeval"},
        "render": {"record", "packs", "render"},
    }
    # what any layer may also use: where shipped data lives, the version, and the printing
    # constants of formgen.render's own module (the 字号 a layout may name, an .xlsx cell's limit)
    shared = {"formgen", "formgen.datafiles", "formgen.render"}
    for module, targets in graph.items():
        layer = module.split(".")[1] if module.count(".") >= 1 else ""
        if layer not in allowed:
            continue
        bad = sorted(t for t in targets if t not in shared and t.split(".")[1] not in allowed[layer])
        assert bad == [], module


def test_the_intake_sits_on_top():
    """formgen.intake (the bureau's online intake, issue 28) uses the layers below it (the
    registry, the flow, the reports); nothing but the command line imports it.

    The enterprise's form on its link is formgen serve's page, reused: the intake may import
    formgen.web.form (the page's tree from the catalogue, what it posts read back into a
    record) and serve web's templates and static form.js/count.js. Never formgen.web.server:
    that is the one-person serve's application, with its own access scheme (the token in the
    path, its Gate and guard) that the multi-user intake must not inherit or bypass."""
    graph = _graph()
    intake = {m for m in graph if m == "formgen.intake" or m.startswith("formgen.intake.")}
    assert {"formgen.intake.db", "formgen.intake.web"} <= intake
    users = sorted(m for m, targets in graph.items() if m not in intake and targets & intake)
    assert users == ["formgen.cli"]
    assert "formgen.bureau.registry" in graph["formgen.intake.db"]
    assert not any(t == "formgen.web.server" for m in intake for t in graph[m])  # not the one-person serve's app
    assert "formgen.web.form" in graph["formgen.intake.fill"]
