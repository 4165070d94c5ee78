"""Optional feature: the claim variables min_sq_dist_num and min_sq_dist_den (section 13.2), the
exact least squared distance between two data points.  Loaded only when a claim names them.

Standard library, check_base and check_network only.  Must never import exactmem, never write,
run or load anything.
"""

import math

from check_base import NEURON, OP, div_cost, gcd_cost, mul_cost
from check_network import over_common_denominator


def min_sq_distance(xs, budget):
    """Exact min over i != j of |x_i - x_j|^2 as a reduced (num, den); (0, 1) when N < 2.
    Points are scaled to integers and swept in lexicographic order: a pair whose first-coordinate
    gap alone reaches the best value so far ends the inner loop.  Cost model: each pair is
    charged d products of the scaled coordinates' size before it is compared."""
    if len(xs) < 2:
        return 0, 1
    pts, den = over_common_denominator(xs, "min_sq_dist: scaling the points to integers", budget)
    bits = max(abs(v).bit_length() for x in pts for v in x) + 1
    budget.charge(len(pts) * (len(pts).bit_length() + 1) * len(pts[0]) * div_cost(bits, bits),
                  "min_sq_dist: sorting the points")
    pts.sort()
    pair = len(pts[0]) * (2 * mul_cost(bits, bits) + OP) + NEURON // 2     # the loop's own work too
    best = None
    for i, a in enumerate(pts):
        for j in range(i + 1, len(pts)):
            b = pts[j]
            budget.charge(pair, "min_sq_dist: comparing a pair of points")
            gap = b[0] - a[0]
            if best is not None and gap * gap >= best:
                break
            s = sum((u - v) * (u - v) for u, v in zip(a, b))
            if best is None or s < best:
                best = s
    budget.charge(gcd_cost(best.bit_length(), 2 * den.bit_length()) + 3 * mul_cost(den.bit_length(), den.bit_length()),
                  "min_sq_dist: reducing the result")
    g = math.gcd(best, den * den)
    return best // g, den * den // g


