"""Exact affine geometry over Q for the general-position constructions (YSJ19 section 4).

Everything is Fraction / int arithmetic: reduced row echelon form, null-space bases, and the
hyperplane through a group of at most d points that misses every other data point.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

from .errors import DataError


def rref_nullspace(rows, n_cols: int) -> list:
    """The standard RREF basis of the null space of a rational matrix (one vector per free
    column, in increasing order: 1 at the free column, 0 at the other free columns, -R[i, f] at
    the pivot column of row i)."""
    R = [[Fraction(v) for v in row] for row in rows]
    pivots = []
    r = 0
    for c in range(n_cols):
        p = next((i for i in range(r, len(R)) if R[i][c] != 0), None)
        if p is None:
            continue
        R[r], R[p] = R[p], R[r]
        piv = R[r][c]
        R[r] = [v / piv for v in R[r]]
        for i in range(len(R)):
            if i != r and R[i][c] != 0:
                f = R[i][c]
                R[i] = [a - f * b for a, b in zip(R[i], R[r])]
        pivots.append(c)
        r += 1
        if r == len(R):
            break
    free = [c for c in range(n_cols) if c not in pivots]
    basis = []
    for f in free:
        v = [Fraction(0)] * n_cols
        v[f] = Fraction(1)
        for i, pc in enumerate(pivots):
            v[pc] = -R[i][f]
        basis.append(v)
    return basis


def primitive(v) -> tuple:
    """Scale a nonzero rational vector to a primitive integer vector, first nonzero entry > 0."""
    den = 1
    for x in v:
        den = den * x.denominator // gcd(den, x.denominator)
    ints = [int(x * den) for x in v]
    g = 0
    for x in ints:
        g = gcd(g, x)
    ints = [x // g for x in ints]
    if next(x for x in ints if x) < 0:
        ints = [-x for x in ints]
    return tuple(ints)


def _rows(indices) -> str:
    return ", ".join(str(i + 1) for i in sorted(indices))


def separating_hyperplane(points, group: list) -> tuple:
    """(a, c) with a.x = c for the group's points and a.x != c for every other point.

    Raises DataError naming at most d+1 indices that are affinely dependent (a violation of
    general position) when no such hyperplane exists."""
    d = len(points[0])
    base = points[group[0]]
    D = [[x - y for x, y in zip(points[i], base)] for i in group[1:]]
    basis = rref_nullspace(D, d) if D else [[Fraction(int(t == s)) for t in range(d)] for s in range(d)]
    if not basis:
        raise DataError(f"rows {_rows(group)} are affinely dependent (not in general position)")
    outside = [j for j in range(len(points)) if j not in set(group)]
    for j in outside:
        diff = [x - y for x, y in zip(points[j], base)]
        if all(sum(b * e for b, e in zip(beta, diff)) == 0 for beta in basis):
            raise DataError(f"rows {_rows(group + [j])} lie on one affine subspace of dimension "
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
