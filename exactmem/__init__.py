"""exactmem: memorization theorems for ReLU networks as exact, checkable objects.

Pipeline: dataset (``data``) -> construction (``constructions``) -> exact network
(``network``) -> forward pass (``engine``) -> certificate (``certificate``) ->
independent checker (``certificates/check.py``, standard library only).

From Python (``docs/api.md``): ``exactmem.certify(X, y, "zhang17")`` returns a
:class:`Certificate` (``.check()``, ``.save(path)``, ``.weights()``, ``.predict(X)``), and
``exactmem.load(path)`` reads one back.  These names are loaded on first use, so
``import exactmem`` stays cheap and imports nothing else.
"""

__version__ = "0.1.0"

# Public names of exactmem.api, imported on first access (module __getattr__).  The import is
# by name at run time, so the package itself declares no import of its top layer.
_API = ("certify", "load", "Certificate", "Verdict")
__all__ = ["__version__", *_API]


def __getattr__(name):
    if name in _API:
        import importlib

        value = getattr(importlib.import_module(__name__ + ".api"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API))
