"""segdsl's frozen dataclasses pickle through segdsl/pickling.py (the checked-file cache):
every one of them in the modules that install it, and a checked ruleset comes back equal."""
from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from segdsl import ir, source, types
from segdsl.check.frontend import check_file
from segdsl.pickling import quick_pickling

EXAMPLES = Path(__file__).resolve().parent / "fixtures" / "examples"


@pytest.mark.parametrize("module", [ir, types, source], ids=lambda m: m.__name__)
def test_every_frozen_slotted_dataclass_of_the_module_pickles_quickly(module):
    classes = [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == module.__name__
               and dataclasses.is_dataclass(c) and c.__dataclass_params__.frozen and dataclasses.fields(c)]
    assert classes
    for c in classes:
        assert c.__getstate__.__module__ == "segdsl.pickling", c


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.seg")), ids=lambda p: p.stem)
def test_a_checked_ruleset_comes_back_equal(path):
    checked = check_file(path)
    back = pickle.loads(pickle.dumps(checked, protocol=pickle.HIGHEST_PROTOCOL))
    assert back.ruleset == checked.ruleset
    assert back.diagnostics == checked.diagnostics
    assert [type(d) for d in back.ruleset.definitions] == [type(d) for d in checked.ruleset.definitions]


@dataclasses.dataclass(frozen=True, slots=True)
class One:
    x: tuple


@dataclasses.dataclass(frozen=True, slots=True)
class Two:
    a: int
    b: "One | None" = None


quick_pickling(globals())


def test_a_class_of_one_field_and_of_several():
    assert One.__getstate__.__module__ == Two.__getstate__.__module__ == "segdsl.pickling"
    value = Two(1, One((2, "三")))
    assert pickle.loads(pickle.dumps(value)) == value
    assert One((1,)).__getstate__() == ((1,),)      # the state is always a tuple of the fields
