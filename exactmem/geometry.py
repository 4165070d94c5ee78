"""Exact affine geometry over Q for the general-position constructions (YSJ19 section 4).

Everything is exact: FLINT integer matrices (``fmpz_mat``: reduced row echelon form, rank,
null space) on rows scaled to integers, Fractions and ints elsewhere.  Null-space bases, the
hyperplane through a group of at most d points that misses every other data point, and the full
general-position test.

Core module: it imports only :mod:`exactmem.errors` (and python-flint).  The constructions use
it, so it must never depend on them, on the certificate writer, on the pipeline or on
:mod:`exactmem.studies`.
"""

from __future__ import annotations

import multiprocessing
from contextlib import contextmanager
from fractions import Fraction
from itertools import combinations
from math import comb, gcd, lcm

from flint import fmpz_mat

from .errors import DataError, InternalError


def _integer_rows(rows, n_cols: int):
    """The rational rows as an fmpz_mat, each row scaled by the lcm of its denominators (which
    changes neither the row space, nor the RREF, nor the null space)."""
    ints = []
    for row in rows:
        row = [Fraction(v) for v in row]
        m = lcm(*(v.denominator for v in row)) if row else 1
        ints.append([v.numerator * (m // v.denominator) for v in row])
    return fmpz_mat(len(ints), n_cols, [v for row in ints for v in row])


def _pivots(R, rank: int) -> list:
    """Pivot columns of the first ``rank`` rows of an RREF (its leading nonzero entries)."""
    return [next(k for k, v in enumerate(R[i]) if v) for i in range(rank)]


def rref_nullspace(rows, n_cols: int) -> list:
    """The standard RREF basis of the null space of a rational matrix (one vector per free
    column, in increasing order: 1 at the free column, 0 at the other free columns, -R[i, f] at
    the pivot column of row i).  The RREF is unique; FLINT computes it as an integer matrix over
    one denominator."""
    if rows:
        M, den, rank = _integer_rows(rows, n_cols).rref()
        R = [[int(v) for v in row] for row in M.tolist()]
        den = int(den)
    else:
        R, den, rank = [], 1, 0
    pivots = _pivots(R, rank)
    basis = []
    for f in (c for c in range(n_cols) if c not in set(pivots)):
        v = [Fraction(0)] * n_cols
        v[f] = Fraction(1)
        for i, pc in enumerate(pivots):
            v[pc] = Fraction(-R[i][f], den)
        basis.append(v)
    return basis


def _primitive_ints(ints) -> tuple:
    """A nonzero integer vector divided by the gcd of its entries, first nonzero entry > 0."""
    g = gcd(*ints)
    ints = [x // g for x in ints]
    return tuple(-x for x in ints) if next(x for x in ints if x) < 0 else tuple(ints)


def primitive(v) -> tuple:
    """Scale a nonzero rational vector to a primitive integer vector, first nonzero entry > 0."""
    den = lcm(*(x.denominator for x in v))
    return _primitive_ints([x.numerator * (den // x.denominator) for x in v])


def rows(indices) -> str:
    """1-based, sorted, comma-separated data rows for a message (the one such formatter)."""
    return ", ".join(str(i + 1) for i in sorted(indices))


class IntegerPoints:
    """The points' first ``m`` coordinates as one N x m FLINT integer matrix over a common
    denominator L (every coordinate times L), built once and shared by the hyperplanes of all
    groups on those points: rebuilding it for each group cost ~45 s a group at the CIFAR-10 shape
    (N = 50,000, dx = 3,072; docs/performance.md).  Scaling every point by L changes neither an
    RREF nor a null space, and a.(L x) - L c is L times the offset a.x - c."""

    def __init__(self, points, m: int):
        self.m = m
        self.L = common_denominator(points, m)
        self.matrix = fmpz_mat(len(points), m, [v for p in points for v in self.row(p, m)])

    def row(self, p, m: int) -> list:
        """L times the first m coordinates of the point p, as ints."""
        L = self.L
        if L == 1:
            return [v.numerator for v in p[:m]]
        return [v.numerator * (L // v.denominator) for v in p[:m]]


def common_denominator(points, m: int) -> int:
    """The lcm of the denominators of the points' first m coordinates."""
    return lcm(*{v.denominator for p in points for v in p[:m]})


def _window(points, groups) -> int:
    """The columns every group's normal can use: a group of r points gets a normal supported on
    the first min(d, r) coordinates (:func:`_flint_normal`)."""
    return max(min(len(points[0]), len(g)) for g in groups)


def _flint_normal(points, group: list, ints: IntegerPoints):
    """The lambda = 0 normal of :func:`separating_hyperplane` and its product with every point:
    (a, [a.(L x_j) for every j] as ints), or None when the group's first min(d, r) columns leave no
    free column.  The normal is the first standard RREF null vector beta_1 of the group's
    differences; the RREF of the leading columns of a matrix is the leading columns of its RREF,
    so only the first min(d, r) columns are reduced (r = group size).  Cost: one (r-1) x r RREF
    and one N x m integer product, instead of a d x d Fraction basis (docs/ysj19.md)."""
    d, r = len(points[0]), len(group)
    if r == 1:
        a = (1,) + (0,) * (d - 1)
    else:
        m = min(d, r)                       # rank <= r - 1: a free column among the first r
        base = ints.row(points[group[0]], m)
        flat = [x - y for i in group[1:] for x, y in zip(ints.row(points[i], m), base)]
        R, den, rank = fmpz_mat(r - 1, m, flat).rref()
        R = [[int(v) for v in row] for row in R.tolist()]
        pivots = _pivots(R, rank)
        free = [k for k in range(m) if k not in set(pivots)]
        if not free:
            return None
        f = free[0]
        v = [0] * d
        v[f] = int(den)
        for i, pc in enumerate(pivots):
            v[pc] = -R[i][f]
        a = _primitive_ints(v)
    if any(a[ints.m:]):
        raise InternalError("a normal reaches past its group's columns")
    return a, [int(v) for v in (ints.matrix * fmpz_mat(ints.m, 1, list(a[:ints.m]))).entries()]


def _offsets(points, group: list, a, products, L: int):
    """(a, c, [a.x_j - c for every j]) from the products a.(L x_j), or None when the hyperplane
    through the group also passes through another point (the general search then decides)."""
    c = sum(x * y for x, y in zip(a, points[group[0]]))
    cL = c * L
    if cL.denominator != 1:
        raise InternalError("L is not a common denominator of the points")
    cL = int(cL)
    members = set(group)
    if any(products[j] == cL for j in range(len(points)) if j not in members):
        return None
    return a, c, [Fraction(v - cL, L) for v in products]


def separating_hyperplane_flint(points, group: list):
    """The answer of :func:`separating_hyperplane` when its first candidate (lambda = 0) works,
    computed with exact FLINT integer matrices (:func:`_flint_normal`); None when that candidate
    hits another point (the general search then decides).  Same result, bit for bit: a
    hyperplane through the group that misses every other point also shows that no other point
    lies in the group's affine hull.  Returns (a, c, [a.x_j - c for every point j]): the
    product's values, which the margin reuses."""
    ints = IntegerPoints(points, _window(points, [group]))
    found = _flint_normal(points, group, ints)
    return None if found is None else _offsets(points, group, found[0], found[1], ints.L)


def separating_hyperplane(points, group: list, with_offsets: bool = False) -> tuple:
    """(a, c) with a.x = c for the group's points and a.x != c for every other point; with
    ``with_offsets``, (a, c, [a.x_j - c for every point j]) (exact; what the margin needs, and
    already computed by the search).

    Raises DataError naming at most d+1 indices that are affinely dependent (a violation of
    general position) when no such hyperplane exists."""
    fast = separating_hyperplane_flint(points, group)   # the usual case, identical result
    found = fast if fast is not None else _searched(points, group)
    return found if with_offsets else found[:2]


def _searched(points, group: list) -> tuple:
    """(a, c, offsets) of the general search."""
    a, c = _separating_hyperplane_search(points, group)
    return a, c, [sum(x * y for x, y in zip(a, p)) - c for p in points]


# Processes for :func:`separating_hyperplanes` (:func:`parallel` sets it; a performance knob only:
# the hyperplanes are the same for every value).
_PROCESSES = {"workers": 1}


@contextmanager
def parallel(workers: int):
    """Within the block, :func:`separating_hyperplanes` spreads its groups over ``workers``
    processes (forked, so they share the points without copying them; one process where the
    platform cannot fork)."""
    before = _PROCESSES["workers"]
    _PROCESSES["workers"] = max(1, int(workers))
    try:
        yield
    finally:
        _PROCESSES["workers"] = before


def separating_hyperplanes(points, groups: list):
    """:func:`separating_hyperplane` with offsets for each group of ``groups`` on the same points,
    in order (a generator): (a, c, [a.x_j - c for every point j]) per group, the same values as one
    call per group.  The points' integer matrix (:class:`IntegerPoints`) is built once, not once
    per group, and under :func:`parallel` the groups go to that many forked processes, each of
    which builds the matrix once.  Raises DataError as :func:`separating_hyperplane` does."""
    if not groups:
        return
    m = _window(points, groups)
    workers = min(_PROCESSES["workers"], len(groups))
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        found = _in_processes(points, groups, m, workers)     # (normal, L): the workers know L
    else:
        ints = IntegerPoints(points, m)
        found = ((_flint_normal(points, g, ints), ints.L) for g in groups)
    for group, (normal, L) in zip(groups, found):
        fast = None if normal is None else _offsets(points, group, normal[0], normal[1], L)
        yield fast if fast is not None else _searched(points, group)


_FORKED = {}       # what a forked worker of separating_hyperplanes inherits: the points and m


def _in_processes(points, groups, m: int, workers: int):
    from concurrent.futures import ProcessPoolExecutor

    _FORKED.update(points=points, m=m)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        yield from pool.map(_forked_normal, groups)
    finally:                    # also when the caller stops early (a DataError): drop what is queued
        pool.shutdown(cancel_futures=True)
        _FORKED.clear()


def _forked_normal(group):
    """:func:`_flint_normal` in a worker, on the points it inherited; the integer matrix is built
    by the worker's first group and kept for the rest.  Returns (its answer, L)."""
    points = _FORKED["points"]
    if "ints" not in _FORKED:
        _FORKED["ints"] = IntegerPoints(points, _FORKED["m"])
    return _flint_normal(points, group, _FORKED["ints"]), _FORKED["ints"].L


def _separating_hyperplane_search(points, group: list) -> tuple:
    """The general search of :func:`separating_hyperplane` (Fraction null-space basis, then
    lambda = 0, 1, 2, ... until the hyperplane misses every other point)."""
    d = len(points[0])
    base = points[group[0]]
    D = [[x - y for x, y in zip(points[i], base)] for i in group[1:]]
    basis = rref_nullspace(D, d) if D else [[Fraction(int(t == s)) for t in range(d)] for s in range(d)]
    if not basis:
        raise DataError(f"rows {rows(group)} are affinely dependent (not in general position)")
    outside = [j for j in range(len(points)) if j not in set(group)]
    for j in outside:
        diff = [x - y for x, y in zip(points[j], base)]
        if all(sum(b * e for b, e in zip(beta, diff)) == 0 for beta in basis):
            raise DataError(f"rows {rows(group + [j])} lie on one affine subspace of dimension "
                            f"{len(group) - 1}: the data are not in general position")
    lam = 0
    while True:
        a = primitive([sum(Fraction(lam) ** t * beta[k] for t, beta in enumerate(basis)) for k in range(d)]) \
            if any(any(b) for b in basis) else None
        if a is not None and any(a):
            c = sum(x * y for x, y in zip(a, base))
            if all(sum(x * y for x, y in zip(a, points[j])) != c for j in outside):
                return a, c
        lam += 1


# ---------------------------------------------------------------------------------------------
# The full certificate of general position (docs/ysj19.md, "The full test, on request")

def _normal(vectors, d: int) -> tuple:
    """Generalized cross product of d-1 integer vectors in Z^d (0 iff they are dependent),
    divided by the gcd of its entries, first nonzero entry positive.  When the vectors are
    independent their null space is one line and that primitive vector spans it, so it is the
    primitive FLINT null vector with the same sign rule."""
    X, nullity = fmpz_mat(vectors).nullspace()
    if nullity != 1:
        return (0,) * d
    return _primitive_ints([int(X[k, 0]) for k in range(d)])


def _rank(vectors) -> int:
    return fmpz_mat(vectors).rank() if vectors else 0


def general_position_cost(n: int, d: int) -> int:
    """Work of :func:`general_position_witness`: C(N, d) normals of d determinants of size d-1
    (the budget's unit; the normal is now one FLINT null space, never more work than that)."""
    return comb(n, d) * d * max(d - 1, 1) ** 3 if n > d else n * d * d


def general_position_witness(points):
    """None when every set of at most d+1 of the points is affinely independent (YSJ19
    Assumption 4.1 as docs/ysj19.md reads it, also for N <= d); otherwise the sorted 0-based
    indices of an affinely dependent set of at most d+1 points.

    The test: for every (d-1)-subset S (base point p = its first point) and every
    j > max S, the normal n of {x_s - p} u {x_j - p}; n = 0 means S u {j} is dependent, and two
    j's giving the same hyperplane (n, n.p) mean S u {j', j} is.  Exactly C(N, d) normals."""
    n = len(points)
    if n == 0:
        return None
    d = len(points[0])
    den = lcm(*(Fraction(v).denominator for p in points for v in p))
    X = [[int(Fraction(v) * den) for v in p] for p in points]
    first = {}
    for i, x in enumerate(X):                       # distinct points (all that matters for d = 1)
        if tuple(x) in first:
            return [first[tuple(x)], i]
        first[tuple(x)] = i
    if d == 1:
        return None
    if n <= d:                                      # the N points themselves must be independent
        D = [[a - b for a, b in zip(x, X[0])] for x in X[1:]]
        if _rank(D) < n - 1:
            return list(range(n))
        return None
    for S in combinations(range(n), d - 1):
        p = X[S[0]]
        base = [[a - b for a, b in zip(X[s], p)] for s in S[1:]]
        seen = {}
        for j in range(S[-1] + 1, n):
            normal = _normal(base + [[a - b for a, b in zip(X[j], p)]], d)
            if not any(normal):
                return list(S) + [j]
            key = (normal, sum(a * b for a, b in zip(normal, p)))
            if key in seen:
                return list(S) + [seen[key], j]
            seen[key] = j
    return None
