"""Each package names its public surface in `__all__` (issue 11); every name resolves, and importing
the packages alone loads none of the heavy libraries (the names are imported on first use)."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["features", "training", "serving"])
def test_every_public_name_resolves(package):
    module = __import__(package)
    assert module.__all__ == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'not_public'"):
        module.not_public  # noqa: B018


def test_importing_the_packages_loads_no_heavy_library():
    code = ("import sys, features, training, serving; "
            "print(sorted(m for m in ('pandas', 'sklearn', 'mlflow', 'bentoml', 'lightgbm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
