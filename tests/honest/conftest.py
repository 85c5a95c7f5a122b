"""Issue 23's tests build their small exports in the test (tests/honest/honest_helpers.py)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # honest_helpers, without a package


@pytest.fixture
def cli():
    from honest_helpers import run

    return run
