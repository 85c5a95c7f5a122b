"""The notebooks run end to end on small data, and are stored without outputs."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_three_notebooks():
    assert [p.stem for p in NOTEBOOKS] == ["01_explore_leads", "02_train_and_compare", "03_explain_for_managers"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") and cell.get("execution_count") is None
               for cell in book.cells if cell.cell_type == "code")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, monkeypatch):
    monkeypatch.setenv("LEADSCORE_NOTEBOOK_LEADS", "3000")
    monkeypatch.setenv("LEADSCORE_NOTEBOOK_TRIALS", "2")
    book = nbformat.read(path, as_version=4)
    NotebookClient(book, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in book.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert outputs  # each notebook shows something


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_use_only_the_public_names(path):
    """Notebooks import the packages' `__all__` names, never a module inside them (issue 11)."""
    import ast
    import importlib

    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom) and node.module:
                package = node.module.split(".")[0]
                if package in ("features", "training", "serving"):
                    assert node.module == package, f"{path.name} imports from {node.module}"
                    public = importlib.import_module(package).__all__
                    assert all(alias.name in public for alias in node.names), f"{path.name}: {ast.unparse(node)}"
            elif isinstance(node, ast.Import):
                assert not [a.name for a in node.names if a.name.split(".")[0] in ("features", "training", "serving")]
