"""An input path the API cannot read as a file is a wrong argument (OptionError, naming
`data`), as `--input` is a usage error on the command line; never a DataError, which
means the data itself is wrong."""
from __future__ import annotations

import pytest

import segdsl
from segdsl.api import OptionError

RULES = "ruleset e\ninput customer key id {\n  id: string\n}\ndimension x first {\n  segment s when id = \"a\"\n  otherwise o\n}\n"


@pytest.mark.parametrize("what", ["missing file", "folder", "pattern matching nothing"])
@pytest.mark.parametrize("output", [False, True])
def test_a_path_that_is_no_file_is_an_option_error(tmp_path, what, output):
    (tmp_path / "e.seg").write_text(RULES, encoding="utf-8")
    path = {"missing file": tmp_path / "nope.csv", "folder": tmp_path,
            "pattern matching nothing": tmp_path / "parts-*.csv"}[what]
    rules = segdsl.load(tmp_path / "e.seg")
    with pytest.raises(OptionError) as err:
        rules.apply(str(path), output=str(tmp_path / "out.csv") if output else None)
    assert str(err.value).startswith("data[")
    assert not (tmp_path / "out.csv").exists()
