"""Optional feature: the claim variable general_position (format 1.1, section 20), with exact
integer determinants.  Loaded only when a claim names general_position.

Standard library, check_base and check_network only.  Must never import exactmem, never write,
run or load anything.
"""

import itertools
import math

from check_base import GP_NORMAL, Verdict, comb_at_most, div_cost, gcd_cost, mul_cost
from check_network import over_common_denominator


def refuse_statically(n, d, limits):
    """Rule (section 17.1): the test forms C(N, d) normals of d coordinates, at least GP_NORMAL
    units apiece; a certificate whose count alone passes --max-work is refused before parsing."""
    normals = comb_at_most(n, d, limits.work) if n > d >= 2 else 0
    if normals * d * GP_NORMAL > limits.work:
        raise Verdict(4, f"work of general_position: C(N, d) normals of d coordinates each, at least "
                         f"{GP_NORMAL} units apiece, exceed --max-work={limits.work} (N = {n}, d = {d})")


def det(m, budget):
    """Determinant of a square integer matrix (Bareiss: every division is exact).  Cost model:
    Bareiss keeps every entry below the size of a minor, k * (entry bits + log2 k) bits at step k,
    so the whole elimination is charged from that bound before it starts."""
    n = len(m)
    if n:
        bits = max(abs(v).bit_length() for r in m for v in r) + n.bit_length()
        big = n * bits                      # Hadamard: every minor has fewer bits than this
        budget.charge(n * n * n * (2 * mul_cost(big, big) + div_cost(2 * big, big)), "a Bareiss determinant")
    m, sign, prev = [list(r) for r in m], 1, 1
    for k in range(len(m) - 1):
        if m[k][k] == 0:
            p = next((i for i in range(k + 1, len(m)) if m[i][k]), None)
            if p is None:
                return 0
            m[k], m[p], sign = m[p], m[k], -sign
        for i in range(k + 1, len(m)):
            for j in range(k + 1, len(m)):
                m[i][j] = (m[i][j] * m[k][k] - m[i][k] * m[k][j]) // prev
        prev = m[k][k]
    return sign * m[-1][-1] if m else 1


def general_position(xs, budget):
    """True iff every set of at most d+1 points is affinely independent (all N points when
    N <= d).  Points scaled to integers; for every (d-1)-subset S with base p = x_S1 and every
    j > max S, the normal n of {x_s - p} u {x_j - p} (d minors): n = 0 means S u {j} is dependent,
    the same hyperplane (n / gcd, n.p) twice means S u {j', j} is (docs/checker.md).  Any
    dependent set of d+1 points is caught at its d-1 smallest indices."""
    pts = over_common_denominator(xs, "general_position: scaling the points to integers", budget)[0] if xs else []
    n, d = len(pts), len(pts[0]) if pts else 0
    if len({tuple(x) for x in pts}) < n:
        return False
    if d == 1 or n <= 1:
        return True
    if n <= d:                              # rank of {x_i - x_1} must be N - 1: Gram determinant != 0
        diffs = [[a - b for a, b in zip(x, pts[0])] for x in pts[1:]]
        bits = 2 * max(abs(v).bit_length() for r in diffs for v in r) + d.bit_length() + 1
        budget.charge(len(diffs) ** 2 * d * mul_cost(bits, bits), "general_position: the Gram matrix")
        return det([[sum(a * b for a, b in zip(u, v)) for v in diffs] for u in diffs], budget) != 0
    for s in itertools.combinations(range(n), d - 1):
        p = pts[s[0]]
        base = [[a - b for a, b in zip(pts[i], p)] for i in s[1:]]
        seen = set()
        for j in range(s[-1] + 1, n):
            budget.charge(GP_NORMAL * d, "general_position: forming a normal")
            rows = base + [[a - b for a, b in zip(pts[j], p)]]
            normal = [(-1) ** k * det([r[:k] + r[k + 1:] for r in rows], budget) for k in range(d)]
            nb = max(abs(v).bit_length() for v in normal)
            budget.charge(d * (gcd_cost(nb, nb) + div_cost(nb, nb) + mul_cost(nb, nb)), "general_position: a normal")
            g = math.gcd(*normal)
            if g == 0:
                return False
            normal = [v // g for v in normal]
            if next(v for v in normal if v) < 0:
                normal = [-v for v in normal]
            key = (tuple(normal), sum(a * b for a, b in zip(normal, p)))
            if key in seen:
                return False
            seen.add(key)
    return True


