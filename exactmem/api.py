"""The Python API: certify data held in memory, check, save and load certificates.

``exactmem.certify(X, y, "zhang17")`` returns a :class:`Certificate` (nothing is written);
``cert.check()`` runs the independent checker on it and returns a :class:`Verdict`;
``cert.save(path)`` writes it only once the checker has verified it; ``exactmem.load(path)``
reads one back.  ``docs/api.md`` documents every call, with a runnable example.

Exact means exact here too: coordinates and regression labels are ints, numpy integers,
Fractions or decimal strings ("0.1" is 1/10).  A float is refused unless the caller asks for
``exact_floats=True``, which reads it as the binary rational it stores.  Class labels are names:
any hashable values, mapped to the classes 1..C (:attr:`Certificate.class_values`).

Top layer, beside the CLI (which never imports it): it may use every other exactmem module.
"""

from __future__ import annotations

import copy
import inspect
import numbers
import os
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from .certificate import (certificate_bytes, dataset_from_json, load_certificate, network_from_json, write_atomic,
                          write_dataset_file)
from .checker import run_checker
from .constructions import registry
from .data import TASKS, Dataset
from .engine import forward
from .errors import DataError, InternalError, UsageError
from .pipeline import certify_dataset, write_verified
from .rational import ieee_float, parse_literal

__all__ = ["Certificate", "Verdict", "certify", "load"]

# The checker's exit codes and verdict names (its last stdout line is "s <NAME> ...").
VERDICT_NAMES = {0: "VERIFIED", 1: "REJECTED", 2: "MALFORMED", 3: "UNSUPPORTED", 4: "RESOURCE", 5: "USAGE"}
# check(**limits): the checker's resource flags, as keyword arguments.
CHECK_LIMITS = ("max_int_bits", "max_bytes", "max_layers", "max_width", "max_points", "max_work", "max_memory")
# float_weights(dtype=...): the IEEE binary formats a weight can be rounded to.
FLOAT_DTYPES = ("float16", "float32", "float64")


# ---------------------------------------------------------------------------------------------
# Exact input values

def _is_numpy_array(obj) -> bool:
    return type(obj).__module__ == "numpy" and type(obj).__name__ == "ndarray"


def _float_refused(v, where: str) -> DataError:
    return DataError(f"{where} = {v!r} is a float: a float holds a binary approximation (0.1 is stored as "
                     "3602879701896397/36028797018963968), and exactmem will not guess the number meant; "
                     "pass ints, Fractions or strings such as '0.1' or '1/10', or exact_floats=True to use "
                     "each float's exact binary value")


def exact_value(v, where: str, exact_floats: bool = False) -> Fraction:
    """The exact rational ``v`` denotes: an int or numpy integer, a Fraction (or any rational), a
    Decimal, or a decimal string (``"0.1"`` is 1/10, ``"1/3"`` and ``"1e-3"`` work too).  A float
    (Python or numpy) is a DataError unless ``exact_floats``: then it is its exact binary value,
    ``Fraction(0.1) == 3602879701896397/36028797018963968``.  ``where`` names ``v`` in messages."""
    if type(v) is Fraction:
        return v
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        raise DataError(f"{where} = {v!r} is a bool, not a number")
    if isinstance(v, numbers.Integral):
        return Fraction(int(v))
    if isinstance(v, numbers.Rational):
        return Fraction(v.numerator, v.denominator)
    if isinstance(v, str):
        try:
            return parse_literal(v)
        except ValueError as e:
            raise DataError(f"{where}: {e}") from None
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise DataError(f"{where} = {v} is not a finite number")
        return Fraction(v)
    if isinstance(v, numbers.Real) and hasattr(v, "as_integer_ratio"):     # float and numpy floats
        if not exact_floats:
            raise _float_refused(v, where)
        try:
            return Fraction(*v.as_integer_ratio())       # exact, whatever the float's width
        except (OverflowError, ValueError):
            raise DataError(f"{where} = {v!r}: NaN and infinities are not data") from None
    raise DataError(f"{where} = {v!r} is a {type(v).__name__}: exact values are ints, Fractions or "
                    "decimal strings")


def _as_list(obj, name: str):
    """A numpy array (or anything with ``__array__``, e.g. a data frame) as nested lists of its
    values; a Python sequence as a list; anything else is a DataError."""
    if _is_numpy_array(obj):
        return obj.tolist(), obj.ndim
    if hasattr(obj, "__array__") and not isinstance(obj, (list, tuple)):
        import numpy as np

        arr = np.asarray(obj)
        return arr.tolist(), arr.ndim
    if isinstance(obj, (str, bytes)) or not hasattr(obj, "__iter__"):
        raise DataError(f"{name} must be an array or a list, got {type(obj).__name__}")
    return list(obj), None


def _is_row(v) -> bool:
    return isinstance(v, (list, tuple)) or _is_numpy_array(v)


def _check_float_dtype(obj, name: str, exact_floats: bool) -> None:
    """Refuse a float array up front with the dtype in the message (faster than the first element)."""
    if _is_numpy_array(obj) and obj.dtype.kind == "f" and not exact_floats and obj.size:
        raise _float_refused(obj.flat[0].item(), f"{name} (dtype {obj.dtype}), first value")
    if _is_numpy_array(obj) and obj.dtype.kind in "cmMV":
        raise DataError(f"{name} has dtype {obj.dtype}: exact data are integers, fractions or decimal strings")


def exact_points(X, exact_floats: bool = False) -> tuple:
    """``X`` (a 2-D array or a list of rows) as N tuples of Fractions, by :func:`exact_value`."""
    _check_float_dtype(X, "X", exact_floats)
    rows, ndim = _as_list(X, "X")
    if ndim not in (None, 2):
        raise DataError(f"X must be 2-D (N points x d coordinates), got {ndim}-D; for one coordinate per "
                        "point use X.reshape(-1, 1) or [[v] for v in values]")
    out = []
    for i, row in enumerate(rows):
        if not _is_row(row):
            raise DataError(f"X must be 2-D (a list of rows): X[{i}] = {row!r} is not a row; for one "
                            "coordinate per point use [[v] for v in values]")
        row = row.tolist() if _is_numpy_array(row) else row
        out.append(tuple(exact_value(v, f"X[{i}][{j}]", exact_floats) for j, v in enumerate(row)))
    return tuple(out)


def _label_list(y):
    """(labels as a list, 1 or 2): a 1-D y is one value per point, a 2-D y one row per point."""
    values, ndim = _as_list(y, "y")
    if ndim is not None and ndim not in (1, 2):
        raise DataError(f"y must be 1-D (one label per point) or 2-D (one label vector per point), got {ndim}-D")
    if ndim is None:
        rows = [_is_row(v) for v in values]
        if any(rows) and not all(rows):
            raise DataError("y mixes vectors and single values: give one label per point, or one row per point")
        ndim = 2 if rows and all(rows) else 1
        if ndim == 2:
            values = [v.tolist() if _is_numpy_array(v) else list(v) for v in values]
    return values, ndim


def _is_number(v) -> bool:
    return isinstance(v, (numbers.Number, Decimal)) and not isinstance(v, bool) and type(v).__name__ != "bool_"


def _classes_arg(classes):
    """``classes`` as None, an int C >= 1, or a tuple of distinct hashable class values."""
    if classes is None:
        return None
    if isinstance(classes, numbers.Integral) and not isinstance(classes, bool):
        if classes < 1:
            raise UsageError(f"classes must be >= 1, got {classes}")
        return int(classes)
    if isinstance(classes, (str, bytes, bool)) or not (hasattr(classes, "__iter__") or hasattr(classes, "__array__")):
        raise UsageError(f"classes must be the number of classes or a list of the class values, got {classes!r}")
    class_values = tuple(_as_list(classes, "classes")[0])
    try:
        distinct = set(class_values)
    except TypeError:
        raise UsageError("classes: class values must be hashable (strings, ints, ...)") from None
    if len(distinct) != len(class_values) or not class_values:
        raise UsageError("classes: give each class value once (at least one)")
    return class_values


def _class_labels(values, classes) -> tuple[tuple, int, tuple]:
    """(labels in 1..C, C, class_values) by the label rule of docs/api.md; ``classes`` as
    :func:`_classes_arg` returns it."""
    if isinstance(classes, tuple):
        class_values = classes
        index = {v: k for k, v in enumerate(class_values, 1)}
        labels = []
        for i, v in enumerate(values):
            if v not in index:
                raise DataError(f"y[{i}] = {v!r} is not one of the classes given")
            labels.append(index[v])
        return tuple(labels), len(class_values), class_values
    for i, v in enumerate(values):
        if isinstance(v, float) and v != v:
            raise DataError(f"y[{i}] is NaN: NaN is not a class")
        try:
            hash(v)
        except TypeError:
            raise DataError(f"y[{i}] = {v!r} is not hashable, so it cannot name a class") from None
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if ints and values and min(values) >= 1 and (classes is None or max(values) <= classes):
        c = classes if classes is not None else max(values)
        return tuple(values), c, tuple(range(1, c + 1))          # already the classes 1..C
    try:
        distinct = sorted(set(values))
    except TypeError:
        raise DataError("class labels of mixed types cannot be put in order; give the order as "
                        "classes=[...] (class k is classes[k-1])") from None
    if classes is not None and classes != len(distinct):
        raise DataError(f"classes={classes}, but y has {len(distinct)} distinct labels that are not the integers "
                        f"1..{classes}; give the class values as classes=[...] to fix the classes")
    index = {v: k for k, v in enumerate(distinct, 1)}
    return tuple(index[v] for v in values), len(distinct), tuple(distinct)


def _task(task, classes, values, ndim) -> str:
    """The task rule of docs/api.md."""
    if task is not None:
        if task not in TASKS:
            raise UsageError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
        if task == "regression" and classes is not None:
            raise UsageError("classes goes with task='classification', not regression")
        if task == "classification" and ndim == 2:
            raise DataError("classification needs one label per point (a 1-D y), got a 2-D y")
        return task
    if ndim == 2:
        if classes is not None:
            raise DataError("classes was given, but y is 2-D: class labels are one value per point")
        return "regression"
    if classes is not None or any(not _is_number(v) for v in values):
        return "classification"
    return "regression"


def to_dataset(X, y, task=None, classes=None, exact_floats: bool = False) -> tuple[Dataset, tuple | None]:
    """The validated :class:`~exactmem.data.Dataset` of ``(X, y)`` and the class values (None
    for regression), by the rules of :func:`certify`."""
    points = exact_points(X, exact_floats)
    classes = _classes_arg(classes)
    values, ndim = _label_list(y)
    if len(values) != len(points):
        raise DataError(f"X has {len(points)} rows but y has {len(values)} labels")
    task = _task(task, classes, values, ndim)
    if task == "classification":
        labels, c, class_values = _class_labels(values, classes)
        ds = Dataset(points, labels, "classification", c, source="in-memory")
    else:
        rows = values if ndim == 2 else [[v] for v in values]
        labels = tuple(tuple(exact_value(v, f"y[{i}][{j}]" if ndim == 2 else f"y[{i}]", exact_floats)
                             for j, v in enumerate(row)) for i, row in enumerate(rows))
        ds, class_values = Dataset(points, labels, "regression", None, source="in-memory"), None
    return ds, class_values


def _plain_option(name: str, v):
    """A construction option as plain JSON-able Python (numpy scalars and arrays, tuples)."""
    if _is_numpy_array(v):
        v = v.tolist()
    elif type(v).__module__ == "numpy" and hasattr(v, "item"):
        v = v.item()
    if isinstance(v, (list, tuple)):
        return [_plain_option(name, x) for x in v]
    if isinstance(v, float):
        raise UsageError(f"option {name}={v!r} is a float; give an exact value (an int, or a string like '1/1000')")
    if v is None or isinstance(v, (bool, int, str, Fraction)):
        return v
    raise UsageError(f"option {name}={v!r}: expected ints, strings or lists of them, got {type(v).__name__}")


# ---------------------------------------------------------------------------------------------
# The API

def certify(X, y, construction: str, *, task: str | None = None, classes=None, seed: int | None = None,
            exact_floats: bool = False, merge_duplicates: bool = False, **options) -> "Certificate":
    """Build ``construction`` (an id of ``exactmem list``) on the points ``X`` with labels ``y``,
    evaluate it exactly on every point, and return its :class:`Certificate`.  Nothing is written.

    ``X``: a 2-D array or list of rows of ints, numpy integers, Fractions or decimal strings
    (floats only with ``exact_floats=True``, read as their exact binary values).  ``y``: 1-D
    (one label per point) or 2-D (one label vector per point).  ``task``: "classification" or
    "regression"; by default a 1-D ``y`` is classification when ``classes`` is given or some
    label is not a number (a string), and everything else is regression.  ``classes``: the
    number of classes C, or the class values in order (class k is ``classes[k-1]``).
    ``seed``: passed to constructions that take one.  ``merge_duplicates``: keep a point
    repeated with the same label once.  ``options``: the construction's keyword options
    (``widths=[8, 8]``, ``width=16``, ...); an unknown one is a UsageError.

    Errors (``exactmem.errors``): DataError for bad data, UsageError for an unknown construction
    or option, ConstructionError when the construction cannot be built with these parameters,
    ResourceError past a resource limit."""
    entries = registry()
    if not isinstance(construction, str) or construction not in entries:
        raise UsageError(f"unknown construction {construction!r} (one of: {', '.join(entries)})")
    ds, class_values = to_dataset(X, y, task, classes, exact_floats)
    if merge_duplicates:
        ds = _merged(ds, class_values)
    ds.validate(_index_name)
    options = {k: _plain_option(k, v) for k, v in options.items()}
    if seed is not None:
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
            raise UsageError(f"seed must be an integer, got {seed!r}")
        if "seed" not in inspect.signature(entries[construction].build).parameters:
            raise UsageError(f"{construction} takes no seed (it is deterministic)")
        options["seed"] = int(seed)
    recipe = {"data": "in-memory", "options": dict(options), "seed": None if seed is None else int(seed),
              "classes": ds.classes}
    if merge_duplicates:
        recipe["merge_duplicates"] = True
    cert = certify_dataset(construction, ds, options, recipe)
    out = Certificate(cert, class_values=class_values)
    out._built_here = True
    return out


def _merged(ds: Dataset, class_values) -> Dataset:
    """``ds`` with each repeated point kept once (:meth:`Dataset.merge_duplicates`); a repeat
    with another label is a DataError naming the labels as the caller gave them."""
    named = ds
    if class_values is not None:            # compare and report the caller's labels, not 1..C
        named = Dataset(ds.points, tuple(class_values[k - 1] for k in ds.labels), ds.task, ds.classes)
    _, keep = named.merge_duplicates(_index_name)
    if len(keep) == ds.n:
        return ds
    return Dataset(tuple(ds.points[i] for i in keep), tuple(ds.labels[i] for i in keep), ds.task, ds.classes,
                   f"in-memory (duplicates merged: {ds.n - len(keep)} rows)")


def _index_name(i: int) -> str:
    """Rows named by their 0-based index in the caller's X and y."""
    return f"index {i - 1}"


def load(path) -> "Certificate":
    """The certificate in the file ``path`` (decoded, not verified: call :meth:`Certificate.check`).
    UsageError when it cannot be read or is not an exactmem certificate; DataError when its
    dataset does not match the recorded sha256."""
    if not isinstance(path, (str, os.PathLike)):
        raise UsageError(f"load() takes a file path, got {type(path).__name__} "
                         "(Certificate.from_dict reads a certificate dict)")
    cert, ds, net = load_certificate(path)
    return Certificate(cert, ds, net)


class Verdict:
    """The independent checker's verdict: truthy iff VERIFIED.  ``code`` is its exit code (0
    VERIFIED, 1 REJECTED, 2 MALFORMED, 3 UNSUPPORTED, 4 RESOURCE, 5 USAGE), ``name`` the verdict's
    name and ``line`` its last output line (``s <NAME> ...``)."""

    __slots__ = ("code", "name", "line")

    def __init__(self, code: int, line: str):
        self.code, self.line = code, line
        words = line.split()
        self.name = words[1] if len(words) > 1 and words[0] == "s" else VERDICT_NAMES.get(code, f"EXIT-{code}")

    def __bool__(self) -> bool:
        return self.code == 0

    def __repr__(self) -> str:
        return f"<Verdict {self.name} (code {self.code}): {self.line}>"

    def __str__(self) -> str:
        return self.line


class Certificate:
    """An exactmem certificate in memory: its JSON object, decoded dataset and exact network.

    Made by :func:`certify`, :func:`load` or :meth:`from_dict`.  ``class_values`` (set by
    :func:`certify` for classification) names the classes: class k is ``class_values[k-1]``."""

    def __init__(self, cert: dict, dataset: Dataset | None = None, network=None, class_values=None,
                 folder=None):
        try:
            self._cert = cert
            self.dataset = dataset if dataset is not None else dataset_from_json(cert["dataset"], folder)
            self.network = network if network is not None else network_from_json(cert["network"])
            self.construction = cert["construction"]["id"]
        except DataError:
            raise
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise UsageError(f"not a readable exactmem certificate ({type(e).__name__}: {e})") from None
        self.class_values = class_values
        self._built_here = False             # set by certify(): then a refusal on save() is a bug

    @classmethod
    def from_dict(cls, cert: dict, folder=None) -> "Certificate":
        """A certificate from its JSON object (for example an edited :meth:`to_dict`); a dataset
        kept in a sibling file is read from ``folder``.  Decoded only, never verified."""
        return cls(copy.deepcopy(cert), folder=folder)

    # -- what it says ------------------------------------------------------------------------
    @property
    def sizes(self) -> dict:
        """The network's measured sizes (depth, width, params_dense, bit_complexity, ...)."""
        return copy.deepcopy(self._cert["sizes"])

    @property
    def digest(self) -> str:
        """The certificate's ``certificate_sha256``."""
        return self._cert["certificate_sha256"]

    def to_dict(self) -> dict:
        """A copy of the certificate's JSON object."""
        return copy.deepcopy(self._cert)

    def to_bytes(self) -> bytes:
        """The canonical bytes the CLI writes (sorted keys, no whitespace, a final newline)."""
        return certificate_bytes(self._cert)

    def weights(self) -> list:
        """``[(W, b), ...]``, one pair per affine map in order: W a list of rows of Fractions
        (n_out x n_in), b a list of Fractions.  Hidden maps are followed by the network's
        activation (``network.hidden_activation()``), the last one by none.  A residual block
        (ysj19-thm4.1) contributes its two maps; its skip connection is in ``network`` only."""
        out = []
        for _, layer in self.network.affine_maps():
            W = [[Fraction(v, den) for v in row] for row, den in zip(layer.weights, layer.dens)]
            b = [Fraction(v, den) for v, den in zip(layer.bias, layer.dens)]
            out.append((W, b))
        return out

    def float_weights(self, dtype="float64") -> list:
        """:meth:`weights` as numpy arrays ``[(W, b), ...]`` of ``dtype`` (float16, float32 or
        float64), each value the exact weight correctly rounded (to nearest, ties to even; beyond
        the format's range, an infinity).  For use elsewhere in floating point: these rounded
        weights are not what the certificate proves."""
        import numpy as np

        dt = np.dtype(dtype)
        if dt.name not in FLOAT_DTYPES:
            raise UsageError(f"float_weights: dtype must be one of {', '.join(FLOAT_DTYPES)}, got {dt.name}")
        def rnd(q):                        # exactmem.rational: the one home of correct rounding
            return ieee_float(q.numerator, q.denominator, dt.name)
        return [(np.array([[rnd(v) for v in row] for row in W], dtype=dt).reshape(len(W), -1),
                 np.array([rnd(v) for v in b], dtype=dt)) for W, b in self.weights()]

    def predict(self, X, exact_floats: bool = False) -> list:
        """The network's exact outputs at the points ``X`` (same input rules as :func:`certify`):
        one tuple of Fractions per point.  At a certified point of a classification certificate
        the output is ``(k,)`` for class k, named ``class_values[k-1]``."""
        points = exact_points(X, exact_floats)
        if not points:
            return []
        for i, p in enumerate(points):
            if len(p) != self.network.input_dim:
                raise DataError(f"X[{i}] has {len(p)} coordinates, the network takes {self.network.input_dim}")
        return forward(self.network, points)

    # -- checking and writing ----------------------------------------------------------------
    def _data_file(self):
        place = self._cert.get("dataset", {})
        return place.get("file") or place.get("lines")

    def check(self, **limits) -> Verdict:
        """Run the independent checker (``python3 -I -S check.py`` in its own interpreter) on
        this certificate, written to a temporary folder (with its dataset file, if it names
        one) and removed after; return its :class:`Verdict`.  ``limits``: the checker's
        resource flags as keywords (``max_work=10**12``, ``max_memory=2**31``, ...)."""
        extra = []
        for key, value in sorted(limits.items()):
            if key not in CHECK_LIMITS:
                raise UsageError(f"check(): unknown limit {key!r} (one of: {', '.join(CHECK_LIMITS)})")
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
                raise UsageError(f"check(): {key} must be a non-negative integer, got {value!r}")
            extra += ["--" + key.replace("_", "-"), str(int(value))]
        with tempfile.TemporaryDirectory(prefix="exactmem-check-") as folder:
            path = Path(folder) / "certificate.json"
            data_file = self._data_file()
            if data_file:
                write_dataset_file(Path(folder) / data_file, self.dataset)
            write_atomic(path, self.to_bytes())
            code, line = run_checker(path, quiet=True, capture=True, extra=extra)
        return Verdict(code, line)

    def save(self, path, verify: bool = True) -> None:
        """Write the certificate to ``path`` (and its dataset file beside it, if it names one).
        With ``verify`` (the default) it is written only once the independent checker has
        verified it, exactly as ``exactmem build`` does; otherwise nothing is written and the
        error says why.  ``verify=False`` writes it atomically, unchecked.  UsageError when the
        folder does not exist or ``path`` is a folder."""
        out = Path(path)
        if out.is_dir():
            raise UsageError(f"{out}: is a folder; give the certificate's file name")
        data_file = self._data_file()
        if not verify:
            if data_file:
                write_dataset_file(out.with_name(data_file), self.dataset)
            write_atomic(out, self.to_bytes())
            return
        try:
            write_verified(out, self._cert, self.dataset, data_file)
        except InternalError as e:
            if self._built_here:             # exactmem built it: a checker refusal is exactmem's bug
                raise
            reason = str(e).partition("(")[2].rpartition(")")[0] or str(e)
            raise DataError(f"{out}: not written, the independent checker does not verify this "
                            f"certificate ({reason})") from None

    def __repr__(self) -> str:
        ds, s = self.dataset, self._cert.get("sizes", {})
        task = f"C={ds.classes}" if ds.task == "classification" else f"dy={ds.dy}"
        return (f"<Certificate {self.construction} N={ds.n} d={ds.d} {task} depth={s.get('depth')} "
                f"width={s.get('width')} params={s.get('params_dense')} sha256={str(self.digest)[:12]}>")
