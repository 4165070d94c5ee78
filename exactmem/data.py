"""Datasets of N exact points in Q^d with exact labels, their loaders, generators and geometry.

A dataset is either
* ``regression``: labels are vectors in Q^dy (the YSJ19 results that assume [-1, 1]^dy check it
  themselves), or
* ``classification``: labels are integer classes 1..C (dy = 1).

Nothing here uses floats: decimal strings and ``p/q`` are parsed exactly, and a float read
from an NPY file becomes its exact binary rational.

A little over the ~500 lines other modules keep to: the Dataset, its validation and every file
loader share the row-naming and duplicate rules, and a plain build reads only this file for its
data (docs/design.md, the six-file path).
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import json
import math
import numbers
import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .errors import DataError, UsageError
from .rational import decode_rat, encode_rat, parse_literal

TASKS = ("regression", "classification")


# The Fractions 0..4095, made once and shared (a Fraction never changes): 8-bit pixels loaded from
# a file were a new ~100-byte object per coordinate, 15 GB for a CIFAR-shaped N = 50,000.
_SMALL_FRACTIONS = tuple(Fraction(v) for v in range(4096))


def small_shared(q: Fraction) -> Fraction:
    """q itself, or the shared object equal to it when q is an integer in 0..4095."""
    return _SMALL_FRACTIONS[q.numerator] if q.denominator == 1 and 0 <= q.numerator < 4096 else q


def _exact_row(row, what: str) -> tuple:
    if all(type(v) is Fraction for v in row):
        return tuple(row)
    out = []
    for v in row:
        if type(v) is Fraction:
            out.append(v)
        elif isinstance(v, numbers.Integral) and not isinstance(v, bool):
            out.append(small_shared(Fraction(int(v))))      # int, and numpy's integer types (exact)
        elif isinstance(v, numbers.Rational) and not isinstance(v, numbers.Integral):
            out.append(Fraction(v.numerator, v.denominator))
        else:
            raise DataError(f"{what} coordinate {v!r} is a {type(v).__name__}: exact data are integers or "
                            "fractions (write 0.1 as 1/10, or load it from a file)")
    return tuple(out)


@dataclass(frozen=True)
class Dataset:
    points: tuple            # N tuples of d Fractions
    labels: tuple            # regression: N tuples of dy Fractions; classification: N ints
    task: str = "regression"
    classes: int | None = None
    source: str = ""         # how it was obtained (generator spec or file name)
    class_names: tuple = ()  # classification from text labels: class k is class_names[k - 1]

    def __post_init__(self):
        # Exact means exact: ints become Fractions (so that x / 2 stays exact downstream), and a
        # float (or anything else) is refused here, before it can reach a construction.
        object.__setattr__(self, "points", tuple(_exact_row(p, "point") for p in self.points))
        if self.task == "regression":
            object.__setattr__(self, "labels", tuple(_exact_row(y, "label") for y in self.labels))
        else:                               # numpy's integer class labels become ints (validate() checks them)
            object.__setattr__(self, "labels", tuple(int(c) if isinstance(c, numbers.Integral) and not isinstance(c, bool)
                                                     else c for c in self.labels))

    # -- shape ---------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.points)

    @property
    def d(self) -> int:
        return len(self.points[0])

    @property
    def dy(self) -> int:
        return 1 if self.task == "classification" else len(self.labels[0])

    def targets(self) -> list:
        """Labels as N tuples of exact values, the values a memorizing network must output."""
        if self.task == "classification":
            return [(Fraction(c),) for c in self.labels]
        return [tuple(y) for y in self.labels]

    def one_hot(self) -> "Dataset":
        """The regression dataset whose label of class c is the c-th unit vector of Q^C."""
        if self.task != "classification":
            raise DataError("one-hot labels need a classification dataset (class labels 1..C)")
        eye = [tuple(Fraction(int(j == c)) for j in range(1, self.classes + 1)) for c in range(self.classes + 1)]
        return Dataset(self.points, tuple(eye[c] for c in self.labels), "regression", None,
                       source=self.source + " (one-hot)")

    # -- validation ----------------------------------------------------------
    def merge_duplicates(self, row_name=None) -> tuple["Dataset", list[int]]:
        """The dataset with each repeated point kept once (its first row), when every repeat has
        the same label, and the 0-based indices of the rows kept; a repeat with another label
        cannot be memorized and is a DataError naming both rows (``row_name`` as in
        :meth:`validate`).  The same dataset (not a copy) when there is no repeat."""
        name = row_name or _row
        first, keep = {}, []
        for i, (p, y) in enumerate(zip(self.points, self.labels)):
            if p not in first:
                first[p] = i
                keep.append(i)
            elif self.labels[first[p]] != y:
                raise DataError(f"{name(i + 1)}: the point of {name(first[p] + 1)} again, with another label "
                                f"({y!r} vs {self.labels[first[p]]!r}): no function memorizes both")
        if len(keep) == self.n:
            return self, keep
        source = f"{self.source or 'in-memory'} (duplicates merged: {self.n - len(keep)} rows)"
        return Dataset(tuple(self.points[i] for i in keep), tuple(self.labels[i] for i in keep), self.task,
                       self.classes, source, self.class_names), keep

    def validate(self, row_name=None) -> "Dataset":
        """Raise DataError naming the first bad row; return self.  ``row_name(i)`` names the
        1-based row i in messages (default "row i"; a CSV file names its own lines)."""
        name = row_name or _row
        if self.task not in TASKS:
            raise DataError(f"unknown task {self.task!r} (expected one of {', '.join(TASKS)})")
        if self.n == 0:
            raise DataError("empty dataset: at least one point is needed")
        if len(self.labels) != self.n:
            raise DataError(f"{self.n} points but {len(self.labels)} labels")
        d = len(self.points[0])
        if d == 0:
            raise DataError(f"{name(1)}: a point needs at least one coordinate")
        for i, p in enumerate(self.points, 1):
            if len(p) != d:
                raise DataError(f"{name(i)}: {len(p)} coordinates, expected {d} (ragged rows)")
        if self.task == "classification":
            if self.classes is None or self.classes < 1:
                raise DataError(f"number of classes must be >= 1, got {self.classes}")
            for i, c in enumerate(self.labels, 1):
                if not isinstance(c, int) or isinstance(c, bool) or not 1 <= c <= self.classes:
                    raise DataError(f"{name(i)}: class label {c!r} outside 1..{self.classes}")
        else:
            dy = len(self.labels[0])
            if dy == 0:
                raise DataError(f"{name(1)}: empty label vector")
            for i, y in enumerate(self.labels, 1):
                if len(y) != dy:
                    raise DataError(f"{name(i)}: label has {len(y)} components, expected {dy}")
        seen = {}
        for i, p in enumerate(self.points, 1):
            key = point_key(p)          # 153 million Fraction hashes at dx = 3072 took minutes
            if key in seen:
                raise DataError(f"{name(i)}: duplicate point (same as {name(seen[key])})")
            seen[key] = i
        return self

    # -- canonical form ------------------------------------------------------
    def body(self) -> dict:
        """The JSON object hashed for the dataset digest (and stored in certificates)."""
        return {
            "task": self.task,
            "classes": self.classes,
            "points": [_row_tokens(p) for p in self.points],
            "labels": self._labels_json(),
        }

    def digest(self) -> str:
        """SHA-256 of the canonical body, computed once (the dataset never changes) and a point at
        a time: the same bytes as canonical_bytes(body()), without holding them."""
        if "_digest" not in self.__dict__:
            h = hashlib.sha256()
            for part in self.body_chunks():
                h.update(part)
            self.__dict__["_digest"] = h.hexdigest()
        return self.__dict__["_digest"]

    def _labels_json(self) -> list:
        if self.task == "classification":
            return [int(c) for c in self.labels]
        return [[encode_rat(v) for v in y] for y in self.labels]

    def _point_lines(self, batch: int = 1000):
        """The canonical bytes of each point's token list, ``batch`` points to a list."""
        for start in range(0, self.n, batch):
            yield [canonical_bytes(_row_tokens(p)) for p in self.points[start:start + batch]]

    def body_chunks(self):
        """canonical_bytes(self.body()) in pieces (sorted keys: classes, labels, points, task)."""
        yield (b'{"classes":' + canonical_bytes(self.classes) + b',"labels":' + canonical_bytes(self._labels_json())
               + b',"points":[')
        first = True
        for lines in self._point_lines():
            yield (b"" if first else b",") + b",".join(lines)
            first = False
        yield b'],"task":' + canonical_bytes(self.task) + b"}"

    def lines_chunks(self):
        """The bytes of a dataset lines file (format 1.4, section 8): the header line
        {"classes", "task"}, the labels on one line, then one line per point, each line the
        canonical JSON of its value and a newline. Its dataset sha256 is still that of the
        canonical body (:meth:`digest`), which a reader recomputes from the lines."""
        yield canonical_bytes({"classes": self.classes, "task": self.task}) + b"\n"
        yield canonical_bytes(self._labels_json()) + b"\n"
        for lines in self._point_lines():
            yield b"\n".join(lines) + b"\n"

    # -- exact geometry ------------------------------------------------------
    def max_sq_norm(self) -> Fraction:
        return max(sum(v * v for v in p) for p in self.points)

    def radius_upper(self, precision_bits: int = 32) -> Fraction:
        """A rational r >= max ||x_i||, within 2**-precision_bits of it."""
        return sqrt_upper(self.max_sq_norm(), precision_bits)

    def min_sq_distance(self) -> Fraction | None:
        """Exact min over i != j of ||x_i - x_j||^2 (None when N = 1), computed once per dataset
        (the constructions and the certificate all ask for it)."""
        if "_min_sq" not in self.__dict__:
            self.__dict__["_min_sq"] = min_sq_distance(self.points)    # frozen: bypass __setattr__
        return self.__dict__["_min_sq"]


# Tokens of the integers 0..4095, made once and shared: a CIFAR-shaped dataset has 153 million
# pixel coordinates, and one string object each was most of the builder's memory and a third of
# its time (the general encoder builds a Fraction per call).
_SMALL_TOKENS = tuple(str(v) for v in range(4096))


def _coordinate_token(v) -> str:
    """encode_rat(v), without a new object for a small non-negative integer."""
    if v.denominator == 1 and 0 <= v.numerator < 4096:
        return _SMALL_TOKENS[v.numerator]
    return encode_rat(v)


def _row_tokens(p) -> list:
    """[encode_rat(v) for v in p], a whole row of small non-negative integers (pixels) at once."""
    nums = [v.numerator for v in p]
    if min(nums) >= 0 and max(nums) < len(_SMALL_TOKENS) and all(v.denominator == 1 for v in p):
        return [_SMALL_TOKENS[v] for v in nums]
    return [_coordinate_token(v) for v in p]


def point_key(p) -> tuple:
    """A key equal for equal points and hashed ~10x faster than the tuple of Fractions (whose
    __hash__ is Python code): Fractions are in lowest terms, so equal points have equal
    numerators and denominators."""
    return tuple(v.numerator for v in p), tuple(v.denominator for v in p)


def _row(i: int) -> str:
    """The default name of the 1-based row i in messages."""
    return f"row {i}"


def canonical_bytes(obj) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes that are hashed and written."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_chunks(obj):
    """:func:`canonical_bytes` in pieces (a generator): their concatenation is the same bytes,
    but no piece holds more than one innermost list (a row of weights, a point) or value.  A
    certificate of 1.5 GB was held three times over as one text (the str, its bytes, and those
    with a newline) to be hashed and again to be written (docs/performance.md)."""
    if isinstance(obj, dict):
        yield b"{"
        for i, key in enumerate(sorted(obj)):
            yield (b"," if i else b"") + canonical_bytes(key) + b":"
            yield from canonical_chunks(obj[key])
        yield b"}"
    elif isinstance(obj, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in obj):
        yield b"["
        for i, v in enumerate(obj):
            if i:
                yield b","
            yield from canonical_chunks(v)
        yield b"]"
    else:
        yield canonical_bytes(obj)


def sqrt_upper(s: Fraction, precision_bits: int = 32) -> Fraction:
    """Smallest k / 2**p (p = precision_bits) with (k / 2**p)**2 >= s."""
    scale = 1 << (2 * precision_bits)
    v = -((-s.numerator * scale) // s.denominator)        # ceil(s * 4**p)
    k = math.isqrt(v)
    if k * k < v:
        k += 1
    return Fraction(k, 1 << precision_bits)


def _integer_points(points) -> tuple[list[list[int]], int]:
    lcm = 1
    for p in points:
        for v in p:
            lcm = lcm * v.denominator // math.gcd(lcm, v.denominator)
    return [[v.numerator * (lcm // v.denominator) for v in p] for p in points], lcm


def min_sq_distance(points) -> Fraction | None:
    """Exact minimum squared pairwise distance (None when N < 2).

    Points are scaled to integers and sorted by their projection t = u . x on a fixed integer
    direction u (:func:`projection_direction`).  Since |u . (x - y)| <= |u| |x - y|, a pair whose
    projected gap g has g^2 >= best * |u|^2 cannot beat the best squared distance so far, and
    neither can any pair further apart in the sorted order: each point is compared only with the
    following points whose gap is below that bound.  Exact throughout (the projections are Python
    integers; numpy int64 computes the distances only when every intermediate provably fits).
    """
    if len(points) < 2:
        return None
    ints, lcm = _integer_points(points)
    return Fraction(_closest_pair_sq(ints), lcm * lcm)


def projection_direction(d: int) -> list[int]:
    """The fixed integer direction the closest-pair sweep sorts along: small irregular weights,
    so that grid-aligned data does not collapse onto a few projected values."""
    return [1 + (5 * k) % 7 for k in range(d)]


def _closest_pair_sq(ints) -> int:
    import numpy as np

    d = len(ints[0])
    u = projection_direction(d)
    uu = sum(w * w for w in u)
    ts = [sum(w * v for w, v in zip(u, p)) for p in ints]
    order = sorted(range(len(ints)), key=ts.__getitem__)
    ts = [ts[i] for i in order]
    pts = [ints[i] for i in order]
    span = max(max(abs(v) for v in p) for p in pts)
    arr = np.array(pts, dtype=np.int64) if d * (2 * span) ** 2 < (1 << 62) else None
    best = sum((x - y) * (x - y) for x, y in zip(pts[0], pts[1]))     # a first bound
    for a in range(len(pts) - 1):
        if best == 0:
            return 0
        r = math.isqrt(best * uu - 1)           # the largest gap g with g * g < best * |u|^2
        hi = bisect.bisect_right(ts, ts[a] + r, a + 1)
        if hi <= a + 1:
            continue
        if arr is not None:
            diff = arr[a + 1:hi] - arr[a]
            m = int((diff * diff).sum(axis=1).min())
        else:
            p = pts[a]
            m = min(sum((x - y) * (x - y) for x, y in zip(p, q)) for q in pts[a + 1:hi])
        best = min(best, m)
    return best


# ---------------------------------------------------------------------------------------------
# Generators

DATA_HELP = """\
Data SPEC grammar (--data):
  PATH.csv          one point per row: coordinates, then the label in the last column;
                    an optional header row is skipped (a first row in which no cell is a number)
  PATH.json         {"points": [["1/3", "-2.5"], ...], "labels": [...], optional "task", "classes"}
                    labels: numbers or strings (scalar regression), lists (vector regression),
                    or integers 1..C with "task": "classification"
  PATH.npz          arrays X (N x d) and y (N or N x dy)
  PATH.npy          X; the labels are read from y.npy in the same folder
  random:KEY=VAL,...  generated, deterministic for a given seed. Keys:
      n=INT         number of points (default 100)
      d=INT         dimension (default 2)
      dy=INT        regression label dimension (default 1), labels in [-1,1] with denominator 256
      classes=INT   integer class labels 1..C instead of regression labels
      seed=INT      random seed (default 0)
      bits=INT      coordinates are k / 2**bits (default 16)
      delta=RAT     guaranteed minimum pairwise distance (default: 2**-bits, automatic on the grid)
    Points lie in the cube [-1/sqrt(d), 1/sqrt(d)]^d, hence in the unit ball.
  sklearn:NAME[:n=K]  a dataset scikit-learn ships (no download; pip install 'exactmem[sklearn]'),
                    NAME one of iris, wine, digits, breast_cancer; n=K keeps the first K rows
                    (C and the labels stay those of the whole set).
                    Read exactly from scikit-learn's own CSV files (5.1 is 51/10; digits are
                    pixel values 0..16).  Classification with C classes found in the set (iris 3,
                    wine 3, digits 10, breast_cancer 2; --classes, if given, must equal C); labels
                    are 1..C in the order of the set's sorted label values (digit 0 is class 1,
                    iris 0..2 -> 1..3, breast_cancer 0/1 -> 1/2).  iris repeats one point (row 143 is
                    row 102, same label) and needs --merge-duplicates; wine, digits and
                    breast_cancer have no repeated point.
Numbers in CSV and JSON files are text, read exactly: 3, -2.5, 1e-3 and 1/3 are the rationals
they spell (1e-3 is 1/1000).  NPY/NPZ arrays hold binary numbers: an integer is read exactly, a
float as the exact binary rational it stores (0.1 as 3602879701896397/2^55); write 1/10 in a
text file for one tenth.
Files are regression data unless --classes C is given (then labels must be integers 1..C), or
unless the labels are text: then the sorted distinct names are the classes 1..C (a certificate's
info.class_names lists them: class k is the k-th name).
Regression labels may be any rationals; ysj19-thm3.1 and ysj19-prop3.4 assume them in [-1, 1]
(YSJ19 Assumption 3.1) and say so, with the rescaling that fits them.
"""

_SPEC_KEYS = {"n", "d", "dy", "classes", "seed", "bits", "delta"}


def parse_random_spec(spec: str) -> dict:
    body = spec[len("random:"):] if spec.startswith("random:") else spec
    opts = {}
    for item in filter(None, body.split(",")):
        key, sep, val = item.partition("=")
        key = key.strip()
        if not sep or key not in _SPEC_KEYS:
            raise UsageError(f"bad data spec item {item!r} (keys: {', '.join(sorted(_SPEC_KEYS))}; see --data-help)")
        if key in opts:
            raise UsageError(f"data spec key {key!r} given twice")
        try:
            opts[key] = parse_literal(val) if key == "delta" else int(val)
        except ValueError:
            raise UsageError(f"bad value for {key!r} in data spec: {val!r}") from None
    return opts


def random_dataset(n: int = 100, d: int = 2, dy: int = 1, classes: int | None = None,
                   seed: int = 0, bits: int = 16, delta: Fraction | None = None) -> Dataset:
    """N distinct points on the grid 2**-bits Z^d inside the cube [-1/sqrt d, 1/sqrt d]^d.

    Distinct grid points are automatically 2**-bits apart; a larger ``delta`` is enforced by
    exact rejection.  Labels: classes 1..C uniformly, or regression values k/256 in [-1, 1]^dy.
    """
    if n < 1:
        raise DataError(f"empty dataset: n must be >= 1, got {n}")
    if d < 1 or dy < 1 or not 1 <= bits <= 256:
        raise UsageError("random data needs d >= 1, dy >= 1 and 1 <= bits <= 256")
    if classes is not None and classes < 1:
        raise DataError(f"number of classes must be >= 1, got {classes}")
    rng = random.Random(seed)
    q = 1 << bits
    half = math.isqrt(q * q // d)                 # half * sqrt(d) <= q: inside the unit ball
    if (2 * half + 1) ** d < 2 * n:
        raise DataError(f"grid 2^-{bits} too coarse for {n} distinct points in d={d}; raise bits")
    min_sq = None if delta is None else delta * delta * q * q   # in grid units squared
    chosen: dict = {}
    pts = []
    attempts = 0
    while len(pts) < n:
        attempts += 1
        if attempts > 100 * n + 1000:
            raise DataError(f"could not place {n} points with separation {delta}; lower delta or raise bits")
        c = tuple(rng.randint(-half, half) for _ in range(d))
        if c in chosen:
            continue
        if min_sq is not None and any(sum((a - b) ** 2 for a, b in zip(c, p)) < min_sq for p in pts):
            continue
        chosen[c] = True
        pts.append(c)
    points = tuple(tuple(Fraction(v, q) for v in p) for p in pts)
    if classes is not None:
        labels = tuple(rng.randint(1, classes) for _ in range(n))
        return Dataset(points, labels, "classification", classes, source="random")
    labels = tuple(tuple(Fraction(rng.randint(-256, 256), 256) for _ in range(dy)) for _ in range(n))
    return Dataset(points, labels, "regression", None, source="random")


# ---------------------------------------------------------------------------------------------
# Loaders

def _num(text, where: str) -> Fraction:
    try:
        return small_shared(parse_literal(text))
    except ValueError as e:
        if isinstance(text, str) and "0x" in text:   # a certificate's RAT token (hex for big integers)
            try:
                return decode_rat(text)
            except ValueError:
                pass
        raise DataError(f"{where}: {e}") from None


def _finish(points, raw_labels, classes, source, merge_duplicates=False, row_name=None, class_names=()) -> Dataset:
    """Turn parsed rows into a validated Dataset (classification iff ``classes`` is given); with
    ``merge_duplicates``, a point repeated with the same label is kept once first.  Messages name
    rows with ``row_name`` (1-based; default "row i"), the file's own rows even after a merge."""
    name = row_name or _row
    if not points:
        raise DataError(f"{source}: empty dataset")
    if classes is not None:
        labels = []
        for i, y in enumerate(raw_labels, 1):
            if len(y) != 1 or y[0].denominator != 1:
                raise DataError(f"{source}: {name(i)}: class label must be one integer, got {y}")
            labels.append(int(y[0]))
        ds = Dataset(tuple(points), tuple(labels), "classification", classes, source, tuple(class_names))
    else:
        ds = Dataset(tuple(points), tuple(tuple(y) for y in raw_labels), "regression", None, source)
    try:
        kept = range(ds.n)
        if merge_duplicates:
            ds, kept = ds.merge_duplicates(name)
        return ds.validate(lambda i: name(kept[i - 1] + 1))
    except DataError as e:
        hint = "" if merge_duplicates or "duplicate point" not in str(e) else _MERGE_HINT
        raise DataError(f"{source}: {e}{hint}") from None


_MERGE_HINT = "; --merge-duplicates keeps a point repeated with the same label once"


def _is_number(text: str) -> bool:
    try:
        parse_literal(text)
        return True
    except ValueError:
        return False


def load_csv(path: Path, classes: int | None = None, merge_duplicates: bool = False) -> Dataset:
    """Errors name the file's own line numbers (a header and blank lines included)."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            rows = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise UsageError(f"cannot read {path}: {e}") from None
    if rows and not any(_is_number(c) for c in rows[0][1]):
        rows = rows[1:]                                   # a header: no cell is a number
    points, labels = [], []
    for line, row in rows:
        if len(row) < 2:
            raise DataError(f"{path.name}: line {line}: need at least one coordinate and a label")
        vals = [_num(c, f"{path.name}: line {line}") for c in row[:-1]]
        if not row[-1].strip():
            raise DataError(f"{path.name}: line {line}: empty label")
        points.append(tuple(vals))
        labels.append(row[-1].strip())
    lines = [line for line, _ in rows]
    labels, classes, names = _named_classes(labels, classes, path.name)
    if not names:
        labels = [(_num(y, f"{path.name}: line {line}"),) for y, line in zip(labels, lines)]
    return _finish(points, labels, classes, path.name, merge_duplicates, lambda i: f"line {lines[i - 1]}", names)


def _named_classes(cells: list, classes, where: str):
    """Text labels (any label that is not a number) are class names: the sorted distinct names
    become the classes 1..C.  Returns (labels, classes, names); the cells unchanged and no names
    when every label is a number.  DataError when --classes disagrees with the names' count."""
    if all(isinstance(c, str) and _is_number(c) for c in cells):
        return cells, classes, ()
    names = tuple(sorted({str(c) for c in cells}))
    if classes is not None and classes != len(names):
        raise DataError(f"{where}: the labels name {len(names)} classes ({', '.join(names[:5])}"
                        f"{', ...' if len(names) > 5 else ''}), but --classes says {classes}")
    index = {name: k for k, name in enumerate(names, 1)}
    return [(Fraction(index[str(c)]),) for c in cells], len(names), names


def load_json(path: Path, classes: int | None = None, merge_duplicates: bool = False) -> Dataset:
    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise DataError(f"{path.name}: duplicate key in JSON object")
        return dict(pairs)

    def bad_constant(c):
        raise DataError(f"{path.name}: {c} is not an exact number")

    try:
        obj = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_dupes,
                         parse_float=str, parse_int=str, parse_constant=bad_constant)
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}") from None
    except json.JSONDecodeError as e:
        raise DataError(f"{path.name}: invalid JSON: {e}") from None
    if not isinstance(obj, dict) or "points" not in obj or "labels" not in obj:
        raise DataError(f"{path.name}: expected an object with 'points' and 'labels'")
    extra = set(obj) - {"points", "labels", "task", "classes"}
    if extra:
        raise DataError(f"{path.name}: unknown keys {sorted(extra)}")
    if obj.get("task", "regression") == "classification" and classes is None:
        try:
            classes = int(obj.get("classes") or 0) or None
        except ValueError:
            raise DataError(f"{path.name}: 'classes' must be an integer") from None
        if classes is None:
            raise DataError(f"{path.name}: classification data needs 'classes'")
    points, labels = [], []
    if not isinstance(obj["points"], list) or not isinstance(obj["labels"], list):
        raise DataError(f"{path.name}: 'points' and 'labels' must be lists")
    for i, p in enumerate(obj["points"], 1):
        if not isinstance(p, list):
            raise DataError(f"{path.name}: row {i}: a point must be a list of numbers")
        points.append(tuple(_num(v, f"{path.name}: row {i}") for v in p))
    names = ()
    if obj["labels"] and all(isinstance(y, str) and y.strip() for y in obj["labels"]):
        named, classes, names = _named_classes(obj["labels"], classes, path.name)   # text labels: classes
        labels = list(named) if names else []
    if not names:
        for i, y in enumerate(obj["labels"], 1):
            ys = y if isinstance(y, list) else [y]
            labels.append(tuple(_num(v, f"{path.name}: row {i} label") for v in ys))
    return _finish(points, labels, classes, path.name, merge_duplicates, class_names=names)


def _array_rows(arr, name: str, where: str):
    import numpy as np

    if arr.dtype.kind not in "iuf" and arr.dtype != bool:
        raise DataError(f"{where}: {name} has unsupported dtype {arr.dtype}")
    rows = []
    for i, row in enumerate(arr.tolist(), 1):
        row = row if isinstance(row, list) else [row]
        vals = []
        for v in row:
            if isinstance(v, float) and not math.isfinite(v):
                raise DataError(f"{where}: row {i}: {name} contains {v} (NaN/inf are not data)")
            vals.append(small_shared(Fraction(v)))      # a float becomes its exact binary rational
        rows.append(tuple(vals))
    del np
    return rows


def load_npy(path: Path, classes: int | None = None, merge_duplicates: bool = False) -> Dataset:
    import numpy as np

    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                if "X" not in z or "y" not in z:
                    raise DataError(f"{path.name}: .npz needs arrays 'X' and 'y'")
                X, y = z["X"], z["y"]
        else:
            ypath = path.with_name("y.npy")
            if not ypath.exists():
                raise DataError(f"{path.name}: labels not found (expected {ypath.name} beside it)")
            X = np.load(path, allow_pickle=False)
            y = np.load(ypath, allow_pickle=False)
    except DataError:
        raise
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read {path}: {e}") from None
    if X.ndim != 2:
        raise DataError(f"{path.name}: X must be 2-D (N x d), got shape {X.shape}")
    if y.ndim not in (1, 2) or len(y) != len(X):
        raise DataError(f"{path.name}: y must have N = {len(X)} rows, got shape {y.shape}")
    return _finish(_array_rows(X, "X", path.name), _array_rows(y, "y", path.name), classes, path.name,
                   merge_duplicates)


def load(spec: str, classes: int | None = None, merge_duplicates: bool = False) -> Dataset:
    """Dataset from a SPEC: a ``random:...`` generator string, a ``sklearn:NAME`` dataset or a
    file path (see DATA_HELP).
    ``merge_duplicates``: keep a point repeated with the same label once (generated data has no
    repeats)."""
    if spec == "sklearn" or spec.startswith("sklearn:"):
        return _load_sklearn(spec, classes, merge_duplicates)
    if spec.startswith("random:") or spec == "random":
        opts = parse_random_spec(spec)
        if classes is not None:
            opts.setdefault("classes", classes)
        ds = random_dataset(**opts)
        return Dataset(ds.points, ds.labels, ds.task, ds.classes, source=spec)
    path = Path(spec)
    if not path.exists():
        raise UsageError(f"data file not found: {spec} (or use random:n=...,d=...; see --data-help)")
    loaders = {".csv": load_csv, ".json": load_json, ".npy": load_npy, ".npz": load_npy}
    if path.suffix.lower() not in loaders:
        raise UsageError(f"unknown data file type {path.suffix!r} (csv, json, npy, npz)")
    return loaders[path.suffix.lower()](path, classes, merge_duplicates)


def _load_sklearn(spec: str, classes: int | None, merge_duplicates: bool) -> Dataset:
    """A ``sklearn:NAME[:n=K]`` dataset: classification with the set's own C classes; its
    source is the data SPEC itself, so a certificate's recipe loads it again."""
    from . import sklearn_data          # scikit-learn is optional: looked for only when named

    rows = sklearn_data.load_rows(spec)
    if classes is not None and classes != rows.classes:
        raise DataError(f"{spec}: the set has {rows.classes} classes, not --classes {classes} "
                        "(leave --classes out)")
    return _finish(rows.points, [(Fraction(c),) for c in rows.labels], rows.classes, spec, merge_duplicates)
