"""Each package re-exports the public classes and functions of its modules (``__all__``)."""
import importlib
import inspect
import pkgutil

import pytest

PACKAGES = ["genlib.models", "genlib.metrics", "genlib.training", "genlib.plots"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_in_all_imports(package):
    module = importlib.import_module(package)
    assert len(set(module.__all__)) == len(module.__all__), "duplicates in __all__"
    for name in module.__all__:
        exec(f"from {package} import {name}", {})  # noqa: S102 -- the import statement itself


@pytest.mark.parametrize("package", PACKAGES)
def test_all_covers_every_public_class_and_function(package):
    module = importlib.import_module(package)
    missing = []
    for info in pkgutil.iter_modules(module.__path__):
        sub = importlib.import_module(f"{package}.{info.name}")
        missing += [f"{info.name}.{name}" for name, obj in vars(sub).items()
                    if not name.startswith("_") and getattr(obj, "__module__", None) == sub.__name__
                    and (inspect.isclass(obj) or inspect.isfunction(obj))
                    and name not in module.__all__]
    assert not missing, f"{package}.__all__ lacks {missing}"


def test_models_by_class_name():
    from genlib.models import ConditionalVAE, ConvVAE, DCGANGenerator, MLPVAE  # noqa: F401
