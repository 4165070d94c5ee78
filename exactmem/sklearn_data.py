"""The classification datasets scikit-learn ships inside its package, read exactly.

``sklearn:NAME`` and ``sklearn:NAME:n=K`` (the first K rows) name one of :data:`NAMES`.  The
values come from the CSV files in scikit-learn's ``datasets/data`` folder, never from its float
arrays: each number is the text in the file, parsed as the rational it spells (5.1 is 51/10).
Class labels become 1..C in the order of the file's sorted label values (digit 0 is class 1).

This module sits below :mod:`exactmem.data`: it returns plain rows (:class:`Rows`), and the
data layer validates them and makes the dataset.  scikit-learn is located without being imported
(importing it costs about a second); it is needed only for its data files.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import re
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from .errors import DataError, UsageError
from .rational import parse_literal

PREFIX = "sklearn"

# name -> (file in scikit-learn's datasets/data folder, whether its first line is a header
# "N,d,class names..."; digits.csv.gz has none: 64 pixel values 0..16, then the digit)
_FILES = {
    "iris": ("iris.csv", True),
    "wine": ("wine_data.csv", True),
    "digits": ("digits.csv.gz", False),
    "breast_cancer": ("breast_cancer.csv", True),
}
NAMES = tuple(_FILES)
_INSTALL = "pip install 'exactmem[sklearn]'"


class Rows(NamedTuple):
    """One dataset as plain rows: N points (tuples of d Fractions), N class labels (ints 1..C)."""

    points: tuple
    labels: tuple
    classes: int


def is_spec(spec: str) -> bool:
    """Whether a data SPEC names a scikit-learn dataset (``sklearn`` or ``sklearn:...``)."""
    return spec == PREFIX or spec.startswith(PREFIX + ":")


def parse_spec(spec: str) -> tuple[str, int | None]:
    """(NAME, K) of ``sklearn:NAME`` (K None) or ``sklearn:NAME:n=K``.  UsageError for an
    unknown NAME or a malformed option; K is checked against the set's size by :func:`load_rows`."""
    parts = spec.split(":")
    names = ", ".join(NAMES)
    if len(parts) < 2 or parts[0] != PREFIX or parts[1] not in _FILES:
        got = f"unknown scikit-learn dataset {parts[1]!r}" if len(parts) > 1 and parts[1] else "no dataset named"
        raise UsageError(f"{got} in data spec {spec!r}: write sklearn:NAME or sklearn:NAME:n=K, NAME one of {names}")
    if len(parts) == 2:
        return parts[1], None
    key, sep, val = parts[2].partition("=")
    if len(parts) > 3 or key.strip() != "n" or not sep:
        raise UsageError(f"bad data spec {spec!r}: the only option is n=K (the first K rows), as in "
                         f"sklearn:{parts[1]}:n=100")
    if not re.fullmatch(r"-?[0-9]{1,18}", val.strip()):
        raise UsageError(f"bad value for 'n' in data spec {spec!r}: {val!r} is not an integer")
    return parts[1], int(val)


def data_folder() -> Path:
    """scikit-learn's ``datasets/data`` folder, found without importing scikit-learn;
    UsageError naming the extra to install when scikit-learn is missing."""
    try:
        spec = importlib.util.find_spec(PREFIX)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(f"sklearn:NAME data needs scikit-learn: {_INSTALL}")
    folder = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data"
    if not folder.is_dir():
        raise UsageError(f"scikit-learn at {folder.parent.parent} has no datasets/data folder; reinstall it: {_INSTALL}")
    return folder


def _read_lines(path: Path) -> list[list[str]]:
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        text = raw.decode("ascii")
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read scikit-learn's {path.name}: {e}") from None
    return [row for row in csv.reader(io.StringIO(text)) if row]


def load_rows(spec: str) -> Rows:
    """The rows a ``sklearn:NAME[:n=K]`` data SPEC names (see the module docstring).  K must be
    1..N (DataError otherwise); the class labels and C are those of the whole set."""
    name, k = parse_spec(spec)
    filename, has_header = _FILES[name]
    rows = _read_lines(data_folder() / filename)

    def broken(why: str) -> DataError:
        return DataError(f"{spec}: scikit-learn's {filename} is not as expected ({why}); reinstall scikit-learn")

    if not rows:
        raise broken("empty file")
    class_count = None
    if has_header:
        header, rows = rows[0], rows[1:]
        try:
            n_rows, d = int(header[0]), int(header[1])
        except (IndexError, ValueError):
            raise broken(f"header {','.join(header)[:60]!r}") from None
        class_count = len(header) - 2
        if n_rows != len(rows):
            raise broken(f"header says {n_rows} rows, the file has {len(rows)}")
    else:
        d = len(rows[0]) - 1
    for i, row in enumerate(rows, 1):
        if len(row) != d + 1:
            raise broken(f"row {i} has {len(row)} cells, expected {d + 1}")
    cache: dict = {}                # digits repeat 17 texts 115,000 times: parse each text once

    def exact(text: str, i: int) -> Fraction:
        v = cache.get(text)
        if v is None:
            try:
                v = cache[text] = parse_literal(text)
            except ValueError as e:
                raise broken(f"row {i}: {e}") from None
        return v

    raw_labels = [exact(row[-1], i) for i, row in enumerate(rows, 1)]
    if any(v.denominator != 1 for v in raw_labels):
        raise broken("a class label is not an integer")
    values = sorted(set(raw_labels))
    if class_count is not None and len(values) != class_count:
        raise broken(f"{class_count} class names but {len(values)} label values")
    if k is not None and not 1 <= k <= len(rows):
        raise DataError(f"{spec}: n must be between 1 and {len(rows)} (the size of {name}), got {k}")
    rank = {v: c for c, v in enumerate(values, 1)}
    keep = rows if k is None else rows[:k]
    points = tuple(tuple(exact(t, i) for t in row[:-1]) for i, row in enumerate(keep, 1))
    return Rows(points, tuple(rank[v] for v in raw_labels[:len(keep)]), len(values))
