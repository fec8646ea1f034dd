"""The shape of the code, as docs/architecture.md draws it: which app may import which.

Imports are read from the source (``ast``: every ``import`` and ``from ... import``, at the top
of a module or inside a function alike), so a new import an app may not make fails here, with
the file named. The kernel (``workflows``) imports no app and has no import cycle of its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Each app and the apps it may import (docs/architecture.md, "Which app may import which").
#: ``workflows`` is the kernel; ``people`` and ``notifications`` are the base every case app
#: builds on; ``imports`` is an engine that case apps register with; the case apps (drp, lado,
#: positive_practice) never import one another except where named; the readers across cases
#: (reports, audit, subject_access) and the project shell (config, demo) come last.
KERNEL = {"workflows"}
#: HTTP and API plumbing (problem details, handlers, pagination, schema, throttling, the NUL-byte
#: middleware): on the kernel, under everything that answers a request.
HTTP = {"api"}
BASE = KERNEL | HTTP | {"people", "notifications"}
ALLOWED: dict[str, set[str]] = {
    "workflows": set(),
    "api": KERNEL,
    "people": KERNEL | HTTP | {"notifications"},
    "notifications": KERNEL | HTTP | {"people"},
    "children": BASE,
    "imports": BASE | {"children"},
    "drp": BASE | {"children", "imports"},
    "lado": BASE | {"children", "imports"},
    "positive_practice": BASE | {"children", "imports", "drp"},
    "reports": BASE | {"children", "drp", "lado", "positive_practice"},
    "audit": BASE | {"children", "drp", "lado", "positive_practice"},
    "subject_access": BASE | {"children", "drp", "lado", "positive_practice"},
    # Events out and safe retries (issue 14): reads every case app's timeline and selectors.
    "integrations": BASE | {"children", "drp", "lado", "positive_practice"},
    "demo": BASE | {"children", "drp", "lado", "positive_practice", "imports"},
    "config": BASE | {"children", "drp", "lado", "positive_practice", "imports", "reports", "audit",
                      "subject_access", "integrations"},
}
#: Imports against the table that are known and kept, each in one module, with why. A new one
#: is a failure: widen the table in docs/architecture.md and here, or invert the dependency.
EXCEPTIONS = {
    ("children", "drp", "children/views.py"): "a child's page lists the child's DRPs",
    ("children", "positive_practice", "children/views.py"): "a child's page lists its positive practice",
    ("notifications", "lado", "notifications/selectors.py"):
        "showing a notification that links to an enquiry logs a read of that enquiry",
    ("lado", "subject_access", "lado/services/retention.py"):
        "destroying an enquiry forgets it in subject access requests",
}
CASE_APPS = {"drp", "lado", "positive_practice"}


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imported(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports, top-level or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _app_imports(app: str) -> list[tuple[str, str]]:
    """(imported app, importing file) for every import of another project app."""
    found = []
    for path in _modules(app):
        for name in _imported(path):
            top = name.split(".")[0]
            if top in ALLOWED and top != app:
                found.append((top, str(path.relative_to(ROOT))))
    return found


def test_every_app_is_in_the_table():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"config"}
    assert apps <= set(ALLOWED), f"add to the table: {sorted(apps - set(ALLOWED))}"


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_app_imports_only_what_the_table_allows(app):
    wrong = sorted((other, path) for other, path in _app_imports(app)
                   if other not in ALLOWED[app] and (app, other, path) not in EXCEPTIONS)
    assert not wrong, f"{app} may not import: {wrong}"


def test_workflows_imports_no_app():
    assert _app_imports("workflows") == []


def test_imports_engine_imports_no_case_app():
    assert [(other, path) for other, path in _app_imports("imports") if other in CASE_APPS] == []


def test_exceptions_are_still_needed():
    """A known exception that no module makes any more is taken off the list."""
    made = {(app, other, path) for app in ALLOWED for other, path in _app_imports(app)}
    stale = [key for key in EXCEPTIONS if key not in made and Path(ROOT / key[2]).exists()]
    assert not stale, stale


def _kernel_graph() -> dict[str, set[str]]:
    """workflows' modules and the workflows modules each imports (relative imports too)."""
    graph = {}
    for path in _modules("workflows"):
        rel = path.relative_to(ROOT).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        package = name if rel.name == "__init__" else name.rsplit(".", 1)[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names if alias.name.startswith("workflows"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                if module.startswith("workflows"):
                    edges.add(module)
                    edges.update(f"{module}.{alias.name}" for alias in node.names)
        graph[name] = edges
    return {name: {edge for edge in edges if edge in graph and edge != name} for name, edges in graph.items()}


def test_kernel_has_no_import_cycle():
    graph = _kernel_graph()
    assert "workflows.clocks" in graph and "workflows.models" in graph
    done, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in done:
            return
        stack.append(node)
        for edge in sorted(graph[node]):
            visit(edge)
        stack.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)
    assert not cycles, " ; ".join(" -> ".join(cycle) for cycle in cycles)


def _every_module():
    """Every Python module of the project, tests included; migrations and bench aside."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "node_modules", "bench", ".git"} or "migrations" in parts:
            continue
        yield path


def test_no_module_is_over_four_hundred_lines():
    """Outside migrations and bench, a module over ~400 lines (test modules too) is split along
    its sections, shared fixtures going to the area's conftest.py and helpers to tests/support/."""
    long = []
    for path in _every_module():
        name = str(path.relative_to(ROOT))
        lines = path.read_text().count("\n")
        if lines > LONG_MODULES.get(name, (LIMIT, ""))[0]:
            long.append(f"{name}: {lines}")
    assert not long, long


def test_every_long_module_exception_is_still_needed():
    """An exception to the limit that a module no longer needs is taken out of the table."""
    for name in LONG_MODULES:
        assert (ROOT / name).read_text().count("\n") > LIMIT, f"{name} is within {LIMIT} lines now"


def test_the_line_limit_reaches_the_tests():
    """The scan covers test modules, and leaves out migrations and bench."""
    scanned = {str(path.relative_to(ROOT)) for path in _every_module()}
    assert "tests/guarantees/test_architecture.py" in scanned
    assert "tests/browser/conftest.py" in scanned
    assert not any("/migrations/" in name or name.startswith("bench/") for name in scanned)


LIMIT = 420
#: Modules allowed over the limit, each with its ceiling and why. One test cannot be split across
#: modules without changing it, so a module that is one long test keeps it whole.
LONG_MODULES: dict[str, tuple[int, str]] = {
    "tests/browser/test_lado_journey.py": (
        480, "one test, the Designated Officer's journey from the phone call to the outcome (385 "
             "lines): its steps share one browser session, so splitting it would change the test"),
}


def test_every_relative_import_names_a_module_that_exists():
    """A module moved into a package (``lado/forms/``) keeps its imports inside functions right."""
    import importlib.util

    missing = []
    for app in ALLOWED:
        for path in _modules(app):
            rel = path.relative_to(ROOT).with_suffix("")
            package = rel.parts[:-1]
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.level:
                    base = list(package[:len(package) - (node.level - 1)])
                    if node.module:
                        name = ".".join(base + [node.module])
                        if importlib.util.find_spec(name) is None:
                            missing.append(f"{rel}: {name}")
    assert not missing, missing
