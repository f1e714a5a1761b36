"""segdsl: a customer-segmentation rules language and compiler."""
__version__ = "0.1.0"

# The Python API lives in segdsl.api; it is imported on first use so that
# `import segdsl` (the CLI, every engine) does not pay for the parser.
_API = ("load", "LoadError", "RulesetError", "RecordError", "ParamError", "DataError", "Segmentation")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from . import api
        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_API])
