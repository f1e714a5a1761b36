"""Reading the command line's option values without pydantic.

typer (0.2x) reads every option through a pydantic TypeAdapter it builds on
first use: importing pydantic and building about twenty adapters was a third
of the fixed cost of a short `segdsl apply`. segdsl's options are all plain
(text, whole numbers with a lower bound, numbers, flags, paths, choices, lists
of those), so each gets a reader here with the same result and the same words
as typer's for a wrong value. A parameter of any other kind keeps typer's own
reader, so a new option is never read wrongly, only more slowly.

`install(command)` sets the readers on a built click command and its
subcommands; it does nothing on a typer without this layer.
"""
from __future__ import annotations

import math
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin


def install(command) -> None:
    """Plain readers for every parameter of `command` and its subcommands that has one."""
    try:
        from typer._coercion import RuntimeParam
        from typer._param_types import coerce_cli_choice, coerce_cli_path
    except ImportError:         # another typer: its own readers stay
        return
    classes = _classes(RuntimeParam, coerce_cli_choice, coerce_cli_path)
    _install(command, classes)


def _install(command, classes) -> None:
    for param in getattr(command, "params", ()):
        _set(param, classes)
    help_option = getattr(command, "get_help_option", None)
    if help_option is not None:         # --help is made when the command line is read

        def with_reader(ctx):
            param = help_option(ctx)
            _set(param, classes)
            return param
        command.get_help_option = with_reader
    for sub in getattr(command, "commands", {}).values():
        _install(sub, classes)


def _set(param, classes) -> None:
    desc = getattr(param, "type_descriptor", None)
    if desc is None or getattr(param, "_runtime_param", "absent") is not None:
        return
    reader = _reader(desc.annotation, desc.parameter_info)
    if reader is not None and desc.file_annotation is None:
        param._runtime_param = classes(desc.annotation, desc.parameter_info, reader)


def _classes(runtime_param, coerce_choice, coerce_path):
    """The RuntimeParam typer calls, reading a value with one of the readers below."""
    from typer._click.exceptions import BadParameter

    class Plain(runtime_param):
        def __init__(self, annotation, parameter_info, reader):
            object.__setattr__(self, "annotation", annotation)
            object.__setattr__(self, "parameter_info", parameter_info)
            object.__setattr__(self, "reader", reader)

        def _coerce_value(self, value: Any, param, ctx) -> Any:
            try:
                return self.reader(value, ctx, param, coerce_choice, coerce_path)
            except ValueError as exc:
                raise BadParameter(str(exc), ctx=ctx, param=param) from None

    return Plain


def _reader(annotation, info):
    """A reader for one annotation (None: typer's own reader is kept)."""
    if info.parser is not None or getattr(info, "click_type", None) is not None:
        return None
    if get_origin(annotation) is list:
        args = get_args(annotation)
        item = _reader(args[0], info) if len(args) == 1 else None
        if item is None:
            return None

        def each(value, ctx, param, choice, path):
            if not isinstance(value, (list, tuple)):
                value = [value]
            return [item(v, ctx, param, choice, path) for v in value]
        return each
    if get_origin(annotation) is not None or not isinstance(annotation, type):
        return None
    if issubclass(annotation, Enum):
        members, sensitive = tuple(annotation), info.case_sensitive

        def choice(value, ctx, param, choose, path):
            try:
                return choose(value, choices=members, case_sensitive=sensitive, ctx=ctx)
            except ValueError as exc:
                raise ValueError(f"Value error, {exc}") from None
        return choice
    if annotation is bool:
        return _bool
    if annotation is str:
        return _str
    if annotation is int or annotation is float:
        if getattr(info, "clamp", False):
            return None
        low, high = info.min, info.max
        read = _int if annotation is int else _float

        def number(value, ctx, param, choice, path):
            n = read(value)
            if low is not None and not n >= low:
                raise ValueError(f"Input should be greater than or equal to {low}")
            if high is not None and not n <= high:
                raise ValueError(f"Input should be less than or equal to {high}")
            return n
        return number
    if issubclass(annotation, Path) and annotation is Path:
        def path(value, ctx, param, choice, coerce_path):
            if isinstance(value, bytes):
                value = _str(value)
            if isinstance(value, str):
                value = Path(value)
            return coerce_path(value, info, path_type=Path, param=param, ctx=ctx)
        return path
    return None


def _str(value, *args) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _bool(value, *args) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "0", "off", "f", "false", "n", "no"):
        return False
    if text in ("1", "on", "t", "true", "y", "yes"):
        return True
    raise ValueError("Input should be a valid boolean, unable to interpret input")


def _int(value) -> int:
    if isinstance(value, bool):
        raise ValueError("Input should be a valid integer")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        f = float(text)
    except ValueError:
        raise ValueError("Input should be a valid integer, unable to parse string as an integer") from None
    if math.isfinite(f) and f == int(f):
        return int(f)
    raise ValueError("Input should be a valid integer, got a number with a fractional part")


def _float(value) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise ValueError("Input should be a valid number, unable to parse string as a number") from None
