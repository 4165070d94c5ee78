"""The YY-R planner (docs/yy26.md, "Planner"): for a target width W, the layout and
configuration of least depth, from exact integer depth and width formulas; no network is built.

* Mode D (narrow, deep): p lanes of bit extraction, depth L_D = nb + r(F+1) + 2;
* Mode S (wide, shallow): G groups of threshold and ramp layers, depth L_S = G + 2.

L(W) = min(L_D(W), L_S(W)); :func:`width_for_depth` inverts it for a depth budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ...rational import ceil_div


def ceil_sqrt(n: int) -> int:
    """ceil(sqrt(n)) exactly, for an integer n >= 0."""
    r = math.isqrt(n)
    return r if r * r == n else r + 1


# ---------------------------------------------------------------------------------------------
# Planner (docs/yy26.md, "Planner"): exact integer depth and width formulas, no network.

@dataclass(frozen=True)
class Plan:
    mode: str                   # "D", "S" or "2" (the depth-2 member, never chosen by the planner)
    depth: int                  # exact depth of the network this plan builds
    width: int                  # the layout's width formula (an upper bound of the measured width)
    cfg: dict = field(default_factory=dict)

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.cfg.items())


def plan_d(n: int, F: int, W: int) -> Plan | None:
    """Least-depth Mode D plan of width <= W (None if W < 8).

    For every lane count p <= floor((W-2)/6), b2 = floor((W-1-p)/2) thresholds per Stage II
    layer, and every r (points per lane per block): depth nb + r(F+1) + 2 with
    m = ceil(N/(p r)) blocks and nb = ceil((m-1)/b2) Stage II layers.  The scan over r is
    complete (it stops once r(F+1) + 2 alone exceeds the best depth, or at m = 1).  Ties go to
    the smaller formula width, then the smaller p, then the smaller r."""
    best = None
    for p in range(1, (W - 2) // 6 + 1):
        b2 = (W - 1 - p) // 2
        if b2 < 1:
            continue
        r = 0
        while True:
            r += 1
            if best is not None and r * (F + 1) + 2 > best.depth:
                break
            m = ceil_div(n, p * r)
            nb = ceil_div(m - 1, b2)
            depth = nb + r * (F + 1) + 2
            width = max(1 + 2 * b2 if nb else 0, 1 + p + 2 * b2 if nb >= 2 else 0, 1 + 3 * p, 2 + 6 * p)
            if best is None or (depth, width) < (best.depth, best.width):
                best = Plan("D", depth, width, {"p": p, "r": r, "b2": b2, "m": m, "nb": nb})
            if m == 1:
                break
    return best


def plan_s(n: int, W: int) -> Plan | None:
    """Least-depth Mode S plan of width <= W (None if W < min(7, 2 ceil(sqrt N) - 1)).

    Depth 3 (G = 1) once W >= 2c - 1, c = ceil(sqrt N), with the smallest s attaining the least
    width max(2 ceil(N/s) - 1, 2s - 1) = 2c - 1, i.e. s = ceil(N/c).  Otherwise G >= 2 groups:
    minimize ceil(N/(s m)) + 2 over s >= 1 with m = floor((W - 3 - 2s)/2) >= 1; ties go to the
    smaller width 2s + 2m + 3, then the smaller s."""
    c = ceil_sqrt(n)
    if 2 * c - 1 <= W:
        s = ceil_div(n, c)
        m = ceil_div(n, s)
        return Plan("S", 3, max(2 * m - 1, 2 * s - 1), {"s": s, "m": m, "G": 1})
    best = None
    s = 0
    while True:
        s += 1
        m = (W - 3 - 2 * s) // 2
        if m < 1:
            break
        G = ceil_div(n, s * m)
        depth, width = G + 2, 2 * s + 2 * m + 3
        if best is None or (depth, width) < (best.depth, best.width):
            best = Plan("S", depth, width, {"s": s, "m": m, "G": G})
    return best


def plan(n: int, F: int, W: int) -> Plan | None:
    """L(W) = min(L_D(W), L_S(W)); on a tie Mode S (its weights after layer 1 are small)."""
    cands = [pl for pl in (plan_s(n, W), plan_d(n, F, W)) if pl is not None]
    return min(cands, key=lambda pl: (pl.depth, pl.mode != "S")) if cands else None


def min_width(n: int) -> int:
    """The least target width the planner accepts: 7 (Mode S, G >= 2) or 2 ceil(sqrt N) - 1."""
    return min(7, 2 * ceil_sqrt(n) - 1)


def width_for_depth(n: int, F: int, L: int) -> int | None:
    """The least W with L(W) <= L (L >= 3), scanning W upward: L(W) need not be monotone."""
    if L < 3:
        return None
    for W in range(min_width(n), 2 * ceil_sqrt(n)):
        pl = plan(n, F, W)
        if pl is not None and pl.depth <= L:
            return W
    return 2 * ceil_sqrt(n) - 1
