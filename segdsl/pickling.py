"""How segdsl's frozen, slotted dataclasses pickle: the same state, read and written
without `dataclasses.fields()` on every object.

The checked-file cache (check/cache.py) pickles a whole checked ruleset: for
5,000 segments about 250,000 spans, types and IR nodes. For a frozen
dataclass with slots, the standard library's `__getstate__` and
`__setstate__` call `fields()` for every object, which was most of the 0.7 s
to write such a file and of the 0.75 s to read it back (every warm command
reads it). Here each class gets a getter of its fields' values (one
`operator.attrgetter`) and a setter that knows their names: the state is the
values in field order, as before.
"""
from __future__ import annotations

import dataclasses
from operator import attrgetter


def _state_methods(cls: type) -> tuple:
    names = tuple(f.name for f in dataclasses.fields(cls))
    get = attrgetter(*names)
    if len(names) == 1:
        def getstate(self):
            return (get(self),)
    else:
        def getstate(self):
            return get(self)

    def setstate(self, state, names=names, set_=object.__setattr__):
        for name, value in zip(names, state):
            set_(self, name, value)
    return getstate, setstate


def quick_pickling(namespace: dict) -> None:
    """Every frozen dataclass with slots defined in the module whose globals are `namespace`
    (call it last in the module) pickles as this module says."""
    module = namespace["__name__"]
    for value in list(namespace.values()):
        if (isinstance(value, type) and value.__module__ == module and dataclasses.is_dataclass(value)
                and value.__dataclass_params__.frozen and "__slots__" in vars(value) and dataclasses.fields(value)):
            value.__getstate__, value.__setstate__ = _state_methods(value)
