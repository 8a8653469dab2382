"""Every name a package lists in ``__all__`` imports."""
import importlib

import pytest

PACKAGES = ["genlib.models", "genlib.metrics", "genlib.objectives", "genlib.training",
            "genlib.plots", "genlib.steps", "genlib.zoo", "genlib.exercises"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_in_all_imports(package):
    module = importlib.import_module(package)
    assert len(set(module.__all__)) == len(module.__all__), "duplicates in __all__"
    for name in module.__all__:
        exec(f"from {package} import {name}", {})  # noqa: S102 -- the import statement itself
