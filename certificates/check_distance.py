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

    Points are scaled to integers and sorted by their projection t = u . x on the fixed direction
    u_k = 1 + (5k mod 7).  As |u . (x - y)| <= |u| |x - y|, a pair whose projected gap g has
    g^2 >= best * |u|^2 cannot beat the best value so far, and no pair further apart in the sorted
    order can either: each point is compared with the following points until that happens.
    Cost model: the projections, the sort, and each compared pair (d products of the scaled
    coordinates' size) are charged before they run."""
    if len(xs) < 2:
        return 0, 1
    pts, den = over_common_denominator(xs, "min_sq_dist: scaling the points to integers", budget)
    d = len(pts[0])
    u = [1 + (5 * k) % 7 for k in range(d)]
    uu = sum(w * w for w in u)
    bits = max(abs(v).bit_length() for x in pts for v in x) + 1
    budget.charge(len(pts) * d * (mul_cost(bits, 3) + OP), "min_sq_dist: projecting the points")
    budget.charge(len(pts) * (len(pts).bit_length() + 1) * (d + 1) * div_cost(bits + 8, bits + 8),
                  "min_sq_dist: sorting the points")
    keyed = sorted((sum(w * v for w, v in zip(u, x)), x) for x in pts)
    pair = d * (2 * mul_cost(bits, bits) + OP) + NEURON // 2     # the loop's own work too
    best = None
    for i, (ta, a) in enumerate(keyed):
        for j in range(i + 1, len(keyed)):
            tb, b = keyed[j]
            budget.charge(pair, "min_sq_dist: comparing a pair of points")
            gap = tb - ta
            if best is not None and gap * gap >= best * uu:
                break
            s = sum((p - q) * (p - q) for p, q in zip(a, b))
            if best is None or s < best:
                best = s
    budget.charge(gcd_cost(best.bit_length(), 2 * den.bit_length()) + 3 * mul_cost(den.bit_length(), den.bit_length()),
                  "min_sq_dist: reducing the result")
    g = math.gcd(best, den * den)
    return best // g, den * den // g

