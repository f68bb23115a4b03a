"""The documented namespace of deal evaluation: `hybridroi.evaluation`."""

from __future__ import annotations

import importlib
import inspect

from hybridroi import evaluation

# The exact list is pinned, with every other namespace, in tests/test_public_surface.py.
PUBLIC = frozenset(evaluation.__all__)

MODULES = (
    "candidates",
    "design",
    "estimates",
    "evaluate",
    "forecast",
    "plots",
    "pricing",
    "simulation",
    "thresholds",
)


def test_every_exported_name_resolves() -> None:
    assert len(evaluation.__all__) == len(PUBLIC)
    for name in PUBLIC:
        assert hasattr(evaluation, name), name


def test_every_public_class_and_function_has_its_own_docstring() -> None:
    for name in evaluation.__all__:
        value = getattr(evaluation, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__doc__, name
            assert name in evaluation.__doc__, name


def test_each_name_is_defined_once_and_exported_by_its_module() -> None:
    defined: dict[str, str] = {}
    for module_name in MODULES:
        module = importlib.import_module(f"hybridroi.evaluation.{module_name}")
        for name in module.__all__:
            assert name not in defined, f"{name} in {defined.get(name)} and {module_name}"
            defined[name] = module_name
            if name in PUBLIC:
                assert getattr(evaluation, name) is getattr(module, name)
    assert set(defined) >= PUBLIC
