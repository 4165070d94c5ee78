"""Exact projection of distinct points to distinct values on a line.

u(T) = (1, T, T^2, ..., T^(d-1)) with the smallest integer T >= 0 that makes the values
u(T).x_i pairwise distinct.  For i != j, T -> u(T).(x_i - x_j) is a nonzero polynomial of
degree <= d - 1, so at most (d-1) N(N-1)/2 integers fail and the search always ends.
"""

from __future__ import annotations

from .errors import DataError, InternalError


def moment_vector(T: int, d: int) -> tuple:
    return tuple(T ** j for j in range(d))      # 0**0 == 1


def distinct_projection(points) -> tuple[int, tuple, list]:
    """Return (T, u, t) with t[i] = u . points[i] pairwise distinct."""
    n, d = len(points), len(points[0])
    if len(set(points)) != n:
        raise DataError("points are not pairwise distinct")
    bound = (d - 1) * n * (n - 1) // 2
    for T in range(bound + 1):
        u = moment_vector(T, d)
        t = [sum(c * x for c, x in zip(u, p)) for p in points]
        if len(set(t)) == n:
            return T, u, t
    raise InternalError("unreachable: the polynomial root bound guarantees a valid T")


def dot(u, x):
    return sum(c * v for c, v in zip(u, x))
