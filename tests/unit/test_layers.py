"""Layers point one way: features < training < serving. Every import counts, those inside functions too:
a lower layer that imports a higher one (even lazily) cannot be used or tested without it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RANK = {"features": 0, "training": 1, "serving": 2}


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in a module, at any depth."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def upward_imports(root: Path) -> list[str]:
    bad = []
    for package, rank in RANK.items():
        for path in sorted((root / package).rglob("*.py")):
            for line, module in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
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
