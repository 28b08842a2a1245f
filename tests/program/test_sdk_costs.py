"""What the SDK does at every registration that the program's own classes must not add to."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pulumi

import infra
import infra.providers


def _components() -> list[type]:
    found: dict[str, type] = {}
    for package in (infra, infra.providers):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            for obj in vars(module).values():
                if inspect.isclass(obj) and issubclass(obj, pulumi.ComponentResource) and obj.__module__ == module.__name__:
                    found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


def test_components_declare_no_class_annotations() -> None:
    """The SDK resolves a resource class's annotations (`typing.get_type_hints`, about 1 ms) at
    every registration, for output types a component never has: its outputs are attributes."""
    components = _components()
    assert {c.__name__ for c in components} >= {"TenantEmail", "SesDomain"}
    assert {c.__name__: list(inspect.get_annotations(c)) for c in components if inspect.get_annotations(c)} == {}
