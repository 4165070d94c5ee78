"""Sweep grids: the presets, the TOML grid format, and their expansion into run configurations.

A grid is a list of *series*.  A series names one construction and lists alternatives for every
axis: ``n``, ``d``, ``dy`` (regression labels) or ``classes`` (class labels), ``seeds``, and
``options`` (each option a list of alternatives); ``precision = true`` also measures the minimum
precision of every row.  The expansion is the Cartesian product, in a fixed order.

Option values may be *rules* resolved per configuration (so a series can follow N):

* ``widths = "tight"`` (ysj19-thm3.1, ysj19-prop3.2, ysj19-prop3.4) and ``block_widths = "tight"``
  (ysj19-thm4.1): the theorem's smallest admissible widths for this N, d, dy or C;
* anything else is passed to the construction as it is.

A configuration is a plain dict; its run key is its canonical JSON (sorted keys, no spaces), so
the same configuration always has the same key, whichever grid produced it.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

from ...constructions import registry
from ...errors import UsageError
from ...rational import ceil_div

REGRESSION = frozenset({"zhang17", "ysj19-thm3.1", "ysj19-prop3.4", "ysj19-thm3.3"})
SERIES_KEYS = {"construction", "n", "d", "dy", "classes", "seeds", "options", "precision", "bits"}


def _s(construction, n, d=(2,), dy=None, classes=None, seeds=(0,), options=None, precision=False):
    out = {"construction": construction, "n": list(n), "d": list(d), "seeds": list(seeds),
           "options": {k: list(v) for k, v in (options or {}).items()}, "precision": precision}
    if classes is not None:
        out["classes"] = list(classes)
    elif dy is not None:
        out["dy"] = list(dy)
    return out


def _quick() -> list:
    """Every construction at N = 16, 64, 256 with minimum precision, and at N = 1024 without."""
    small, large = (16, 64, 256), (1024,)
    out = []
    for precise, ns in ((True, small), (False, large)):
        out += [
            _s("zhang17", ns, precision=precise),
            _s("ysj19-thm3.1", ns, options={"activation": ["relu", "hardtanh"]}, precision=precise),
            _s("ysj19-prop3.2", ns, classes=(3,), precision=precise),
            _s("ysj19-prop3.4", ns, options={"widths": ["tight"]}, precision=precise),
            _s("ysj19-cor4.2", ns, classes=(3,), precision=precise),
            _s("ysj19-thm4.1", ns, d=(3,), classes=(3,), precision=precise),
            _s("ysj19-thm3.3", ns, d=(1,), precision=precise),
            _s("vys21", ns, classes=(3,), precision=precise),
            _s("vys21-depth", ns, classes=(3,), options={"depth": [20]}, precision=precise),
            _s("yy26", ns, classes=(3,), options={"width": [12]}, precision=precise),
        ]
    return out


PRESETS = {
    # CI: a handful of rows in seconds, every stage of the pipeline (precision included).
    "tiny": lambda: [_s("zhang17", (8, 16), d=(1,), precision=True),
                     _s("ysj19-thm3.1", (8, 16), options={"widths": ["tight"]}, precision=True),
                     _s("vys21", (8,), classes=(2,), precision=True)],
    # Every construction at a few small N.
    "quick": _quick,
    # VYS21's bit complexity against sqrt N: bits and minimum precision (two seeds), then bits alone further.
    "vys21-bits": lambda: [_s("vys21", (64, 128, 256, 512, 1024), classes=(10,), seeds=(0, 1), precision=True),
                           _s("vys21", (2048, 4096, 8192), classes=(10,), seeds=(0,))],
    # Every YSJ19 construction at its theorem's smallest admissible widths, across N.
    "ysj19-tight": lambda: [
        _s("ysj19-thm3.1", (16, 64, 256, 1024), options={"widths": ["tight"], "activation": ["relu", "hardtanh"]},
           precision=True),
        _s("ysj19-prop3.2", (16, 64, 256, 1024), classes=(3,),
           options={"widths": ["tight"], "activation": ["relu", "hardtanh"]}, precision=True),
        _s("ysj19-prop3.4", (16, 64, 256, 1024), options={"widths": ["tight"]}, precision=True),
        _s("ysj19-cor4.2", (16, 64, 256, 1024), d=(4,), classes=(3,),
           options={"activation": ["relu", "hardtanh"]}, precision=True),
        _s("ysj19-thm4.1", (16, 64, 256, 1024), d=(4,), classes=(3,),
           options={"block_widths": ["tight"], "activation": ["relu", "hardtanh"]}, precision=True),
    ],
    # The minimum bits of every construction against N, each least k and p backed by a verified
    # suffice certificate and fail witness (docs/precision.md).
    "precision-all": lambda: [
        _s("zhang17", (100, 300, 1000), precision=True),
        _s("ysj19-thm3.1", (100, 300, 1000), options={"activation": ["relu", "hardtanh"]}, precision=True),
        _s("ysj19-prop3.2", (100, 300, 1000), classes=(3,), precision=True),
        _s("ysj19-prop3.4", (100, 300, 1000), options={"widths": ["tight"]}, precision=True),
        _s("ysj19-cor4.2", (100, 300, 1000), classes=(3,), precision=True),
        _s("ysj19-thm4.1", (100, 300, 1000), d=(3,), classes=(3,), precision=True),
        _s("ysj19-thm3.3", (100, 300, 1000), d=(1,), precision=True),
        _s("vys21", (100, 300, 1000), classes=(3,), precision=True),
        _s("vys21-depth", (100, 300, 1000), classes=(3,), options={"depth": [20]}, precision=True),
        _s("yy26", (100, 300, 1000), classes=(3,), options={"width": [12]}, precision=True),
    ],
    # yy26's width-depth trade-off: target width W against N.
    "yy26-grid": lambda: [_s("yy26", (256, 1024, 4096), classes=(10,), options={"width": [8, 12, 16, 24, 32, 64]})],
}


def preset(name: str) -> list:
    """The series of a named preset; UsageError naming the presets otherwise."""
    if name not in PRESETS:
        raise UsageError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")
    return PRESETS[name]()


def load_toml(path) -> list:
    """The series of a TOML grid file (``[[series]]`` tables, see docs/sweep.md)."""
    if sys.version_info < (3, 11):
        raise UsageError("--grid needs Python 3.11 or later (tomllib); use --preset on Python 3.10")
    import tomllib

    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as e:
        raise UsageError(f"--grid {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"--grid {path}: not valid TOML ({e})") from None
    series = doc.get("series")
    if not isinstance(series, list) or not series:
        raise UsageError(f"--grid {path}: needs at least one [[series]] table")
    return [_check_series(s, f"{Path(path).name} series {i}") for i, s in enumerate(series, 1)]


def _ints(value, key: str, where: str, low: int = 1) -> list:
    vals = value if isinstance(value, list) else [value]
    if not vals or not all(type(v) is int and v >= low for v in vals):
        raise UsageError(f"{where}: {key} must be an integer >= {low} or a list of them, got {value!r}")
    return vals


def _check_series(s: dict, where: str) -> dict:
    if not isinstance(s, dict):
        raise UsageError(f"{where}: not a table")
    unknown = sorted(set(s) - SERIES_KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)} (keys: {', '.join(sorted(SERIES_KEYS))})")
    cid = s.get("construction")
    if cid not in registry():
        raise UsageError(f"{where}: unknown construction {cid!r} (see `exactmem list`)")
    if "n" not in s:
        raise UsageError(f"{where}: n is required")
    if "dy" in s and "classes" in s:
        raise UsageError(f"{where}: give dy (regression) or classes, not both")
    out = {"construction": cid, "n": _ints(s["n"], "n", where), "d": _ints(s.get("d", 2), "d", where),
           "seeds": _ints(s.get("seeds", 0), "seeds", where, 0), "precision": bool(s.get("precision", False))}
    for key in ("dy", "classes", "bits"):
        if key in s:
            out[key] = _ints(s[key], key, where)
    opts = s.get("options", {})
    if not isinstance(opts, dict):
        raise UsageError(f"{where}: options must be a table")
    out["options"] = {k: _alternatives(k, v) for k, v in opts.items()}
    return out


LIST_OPTIONS = frozenset({"widths", "block_widths", "blocks", "direction"})


def _alternatives(key: str, value) -> list:
    """An option's alternatives: a list of values, or one value.  For a list-valued option
    (widths, ...) a flat list of integers is one alternative, a list of lists several."""
    if not isinstance(value, list):
        return [value]
    if key in LIST_OPTIONS and all(type(v) is int for v in value):
        return [value]
    return value or [value]


def expand(series: list, preset_name: str | None = None) -> list[dict]:
    """Every configuration of the series, in a fixed order; widths rules resolved per N."""
    configs, seen = [], set()
    for s in series:
        cid = s["construction"]
        labels = ([("classes", c) for c in s["classes"]] if "classes" in s else
                  [("dy", v) for v in s.get("dy", [1])] if cid in REGRESSION else [("classes", 2)])
        names = sorted(s["options"])
        for values in itertools.product(*(s["options"][k] for k in names)):
            symbolic = dict(zip(names, values))
            for d, (lk, lv), n, seed, bits in itertools.product(s["d"], labels, s["n"], s["seeds"],
                                                                  s.get("bits", [16])):
                dy = lv if lk == "dy" else 1
                classes = lv if lk == "classes" else None
                cfg = {"construction": cid, "n": n, "d": d, "dy": dy, "classes": classes, "seed": seed,
                       "bits": bits, "options": resolve(cid, symbolic, n, d, dy, classes),
                       "series": canonical({"construction": cid, "d": d, "dy": dy, "classes": classes,
                                            "options": symbolic}),
                       "precision": bool(s.get("precision", False))}
                key = run_key(cfg)
                if key not in seen:
                    seen.add(key)
                    configs.append(cfg)
    return configs


def canonical(obj) -> str:
    """Canonical JSON: sorted keys, no spaces."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def run_key(cfg: dict) -> str:
    """The run key: canonical JSON of the whole configuration."""
    return canonical(cfg)


def data_spec(cfg: dict) -> str:
    """The ``random:`` data string of a configuration."""
    label = f"classes={cfg['classes']}" if cfg["classes"] is not None else f"dy={cfg['dy']}"
    return f"random:n={cfg['n']},d={cfg['d']},{label},seed={cfg['seed']},bits={cfg['bits']}"


# ---------------------------------------------------------------------------------------------
# Width rules: the theorem's smallest admissible widths (docs/ysj19.md)

def _least_pair(n: int, unit1: int, unit2: int) -> tuple[int, int]:
    """(a, b) with 4ab >= n minimizing unit1*a + unit2*b (ties: smaller a)."""
    best = None
    for a in range(1, max(1, ceil_div(n, 4)) + 1):
        b = max(1, ceil_div(n, 4 * a))
        cost = unit1 * a + unit2 * b
        if best is None or cost < best[0]:
            best = (cost, a, b)
    return best[1], best[2]


def resolve(cid: str, options: dict, n: int, d: int, dy: int, classes) -> dict:
    """Concrete construction options for one configuration (rules replaced by integers)."""
    out = dict(options)
    act = out.get("activation", "hardtanh" if cid == "ysj19-prop3.4" else "relu")
    k = 4 if act == "relu" else 2
    if out.get("widths") == "tight":
        if cid == "ysj19-thm3.1":
            a, b = _least_pair(n, k, k * dy)
            out["widths"] = [k * a, k * dy * b]
        elif cid == "ysj19-prop3.2":
            a, b = _least_pair(n, k, k)
            out["widths"] = [k * a, k * b, k * (classes or 1)]
        elif cid == "ysj19-prop3.4":
            # two blocks at layers (2, 3) and (5, 6), each a tight Theorem 3.1 core on half the points
            if act != "hardtanh":
                raise UsageError("ysj19-prop3.4 widths=\"tight\" is defined for hard-tanh only")
            n1 = ceil_div(n, 2)
            a1, b1 = _least_pair(n1, 2, 2 * dy)
            a2, b2 = _least_pair(max(n - n1, 1), 2, 2 * dy)
            out["widths"] = [1, 2 * a1 + 1, 2 * dy * b1 + 1, dy + 1, 2 * a2 + dy, 2 * dy * b2 + dy, dy]
            out["blocks"] = [2, 5]
        else:
            raise UsageError(f"widths=\"tight\" is not defined for {cid}")
    if out.get("block_widths") == "tight":
        if cid != "ysj19-thm4.1":
            raise UsageError(f"block_widths=\"tight\" is not defined for {cid}")
        c = classes or 1
        total = ceil_div(k * n + k * c * d, d)            # least sum with dx * sum >= kN + k dy dx
        out["block_widths"] = [k] * (total // k) + ([total % k] if total % k else [])
    return out
