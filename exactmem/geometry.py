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


def separating_hyperplane_flint(points, group: list):
    """The answer of :func:`separating_hyperplane` when its first candidate (lambda = 0) works,
    computed with exact FLINT integer matrices; None when that candidate hits another point
    (the general search then decides).  Same result, bit for bit: the lambda = 0 normal is the
    first standard RREF null vector beta_1, and the RREF of the leading columns of a matrix is
    the leading columns of its RREF, so only the first min(d, r) columns are reduced (r = group
    size), and a hyperplane through the group that misses every other point also shows that no
    other point lies in the group's affine hull.  Cost: one (r-1) x r RREF and one N x nnz(a)
    integer product, instead of a d x d Fraction basis (claims at dx = 3072, docs/ysj19.md)."""
    from math import lcm

    from flint import fmpz_mat

    d, r, n = len(points[0]), len(group), len(points)
    base = points[group[0]]
    if r == 1:
        a = (1,) + (0,) * (d - 1)
    else:
        m = min(d, r)                       # rank <= r - 1: a free column among the first r
        rows = [[Fraction(points[i][k]) - Fraction(base[k]) for k in range(m)] for i in group[1:]]
        L = lcm(*(v.denominator for row in rows for v in row))
        R, den, rank = fmpz_mat(r - 1, m, [int(v * L) for row in rows for v in row]).rref()
        R = [[int(v) for v in row] for row in R.tolist()]
        pivots = [next(k for k in range(m) if R[i][k]) for i in range(rank)]
        free = [k for k in range(m) if k not in set(pivots)]
        if not free:
            return None
        f = free[0]
        v = [0] * d
        v[f] = int(den)
        for i, pc in enumerate(pivots):
            v[pc] = -R[i][f]
        g = 0
        for x in v:
            g = gcd(g, x)
        v = [x // g for x in v]
        a = tuple(-x for x in v) if next(x for x in v if x) < 0 else tuple(v)
    c = sum(x * y for x, y in zip(a, base))
    support = [k for k in range(d) if a[k]]
    vals = [points[j][k] for j in range(n) for k in support]
    L = lcm(*(Fraction(x).denominator for x in vals))
    X = fmpz_mat(n, len(support), [x.numerator * (L // x.denominator) for x in vals] if L > 1
                 else [int(x) for x in vals])
    cL = int(c * L)
    members = set(group)
    values = (X * fmpz_mat(len(support), 1, [a[k] for k in support])).entries()
    if any(values[j] == cL for j in range(n) if j not in members):
        return None
    return a, c


def separating_hyperplane(points, group: list) -> tuple:
    """(a, c) with a.x = c for the group's points and a.x != c for every other point.

    Raises DataError naming at most d+1 indices that are affinely dependent (a violation of
    general position) when no such hyperplane exists."""
    fast = separating_hyperplane_flint(points, group)   # the usual case, identical result
    if fast is not None:
        return fast
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


# ---------------------------------------------------------------------------------------------
# The full certificate of general position (docs/ysj19.md, "The full test, on request")

def _det(M) -> int:
    """Determinant of a square integer matrix by Bareiss' fraction-free elimination."""
    M = [list(r) for r in M]
    n = len(M)
    if n == 0:
        return 1
    sign, prev = 1, 1
    for k in range(n - 1):
        if M[k][k] == 0:
            p = next((i for i in range(k + 1, n) if M[i][k] != 0), None)
            if p is None:
                return 0
            M[k], M[p] = M[p], M[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                M[i][j] = (M[i][j] * M[k][k] - M[i][k] * M[k][j]) // prev
        prev = M[k][k]
    return sign * M[n - 1][n - 1]


def _normal(rows, d: int) -> tuple:
    """Generalized cross product of d-1 integer vectors in Z^d (0 iff they are dependent),
    divided by the gcd of its entries, first nonzero entry positive."""
    n = [(-1) ** k * _det([r[:k] + r[k + 1:] for r in rows]) for k in range(d)]
    g = 0
    for v in n:
        g = gcd(g, v)
    if g == 0:
        return tuple(n)
    n = [v // g for v in n]
    return tuple(-v for v in n) if next(v for v in n if v) < 0 else tuple(n)


def _rank(rows) -> int:
    return len(rows[0]) - len(rref_nullspace(rows, len(rows[0]))) if rows else 0


def general_position_cost(n: int, d: int) -> int:
    """Work of :func:`general_position_witness`: C(N, d) normals of d determinants of size d-1."""
    from math import comb
    return comb(n, d) * d * max(d - 1, 1) ** 3 if n > d else n * d * d


def general_position_witness(points):
    """None when every set of at most d+1 of the points is affinely independent (YSJ19
    Assumption 4.1 as docs/ysj19.md reads it, also for N <= d); otherwise the sorted 0-based
    indices of an affinely dependent set of at most d+1 points.

    The test: for every (d-1)-subset S (base point p = its first point) and every
    j > max S, the normal n of {x_s - p} u {x_j - p}; n = 0 means S u {j} is dependent, and two
    j's giving the same hyperplane (n, n.p) mean S u {j', j} is.  Exactly C(N, d) normals."""
    from itertools import combinations
    from math import lcm

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
