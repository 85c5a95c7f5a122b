"""Layers point one way: features < training < serving. Every import counts, those inside functions too:
a lower layer that imports a higher one (even lazily) cannot be used or tested without it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RANK = {"features": 0, "training": 1, "serving": 2}


def imported_modules(tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """(line, module, names it may bind) of every absolute import in a module, at any depth; `from X import Y`
    may bind the module X.Y, so the names are X and X.Y (the cycle check needs them, the layer check X)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, [alias.name]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [node.module, *(f"{node.module}.{a.name}" for a in node.names)]))
    return found


def upward_imports(root: Path) -> list[str]:
    bad = []
    for package, rank in RANK.items():
        for path in sorted((root / package).rglob("*.py")):
            for line, module, _ in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
                top = module.split(".")[0]
                if RANK.get(top, -1) > rank:
                    bad.append(f"{path.relative_to(root)}:{line} imports {module}")
    return bad


def test_no_layer_imports_a_higher_one():
    assert upward_imports(ROOT) == []


def test_an_import_inside_a_function_is_seen(tmp_path):
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "late.py").write_text("def f():\n    from serving.config import database_url\n")
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "ok.py").write_text("import features.spec\n")
    assert upward_imports(tmp_path) == ["features/late.py:2 imports serving.config"]


def import_cycles(root: Path) -> list[list[str]]:
    """Groups of the project's modules that import each other in a circle (any import, TYPE_CHECKING ones
    too: a reader must still hold the circle), package `__init__` files left out as the lazy indexes they are."""
    modules = {}
    for package in RANK:
        for path in (root / package).rglob("*.py"):
            if path.name != "__init__.py":
                modules[".".join(path.relative_to(root).with_suffix("").parts)] = path
    edges = {name: set() for name in modules}
    for name, path in modules.items():
        for _, _, targets in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            edges[name] |= {t for t in targets if t in modules and t != name}
    cycles = []
    for start in sorted(modules):  # a module in a cycle reaches itself; each cycle is reported once
        seen = _reach(edges, start)
        if start in seen:
            group = sorted(m for m in seen if start in _reach(edges, m))
            if group not in cycles:
                cycles.append(group)
    return cycles


def _reach(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        current = stack.pop()
        for nxt in edges[current] - seen:
            seen.add(nxt)
            stack.append(nxt)
    return seen


def test_no_modules_import_each_other_in_a_circle():
    assert import_cycles(ROOT) == []


def test_a_circle_through_a_type_only_import_is_seen(tmp_path):
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "a.py").write_text("from training.b import x\n")
    (tmp_path / "training" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                                "    from training.a import y\n")
    (tmp_path / "training" / "c.py").write_text("import training.a\n")
    assert import_cycles(tmp_path) == [["training.a", "training.b"]]
