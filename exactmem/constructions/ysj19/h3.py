"""The H3 block of Yun, Sra, Jadbabaie (2019): a pair of hidden layers that memorizes sorted
projections exactly, the core of Theorem 3.1, Proposition 3.2 and Proposition 3.4.

The data are first projected to distinct reals t_1 < ... < t_N on a line.  Consecutive points
are grouped into C cells of 2q; the first hidden layer has one hard-tanh ramp per cell, rising
from -1 to +1 across it.  Each second-layer unit is a weighted sum of the ramps, so along the line
its pre-activation is a piecewise-linear zig-zag chain with one knot per cell boundary: in every
cell it passes through one slot (a data point, at its label) with a slope steep enough to
saturate at +1 or -1 at every other point of the cell.  With 2q units per output, every point is
hit by exactly one unit of each output, the saturated units add up to 1 there, and the output
layer adds the units and subtracts 1.  Cells with fewer than 2q points are filled with virtual
slots of label 0.  ``docs/ysj19.md`` (steps 1-6) derives the knot values; the code below
follows it.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil

from ...errors import ConstructionError, InternalError
from ...gadgets import zero_rows
from ...projection import distinct_projection
from ...rational import ceil_div

ACTIVATIONS = ("relu", "hardtanh")


def check_activation(activation: str) -> None:
    """ConstructionError unless ``activation`` is one the YSJ19 constructions build."""
    if activation not in ACTIVATIONS:
        raise ConstructionError(f"unknown activation {activation!r} (choose relu or hardtanh)")


def _h3_unit(slots, kappa, eps_of, cap, h, real_counts):
    """Knot values Z_0..Z_C of second-layer unit h (docs/ysj19.md, steps 4-6)."""
    C = len(slots)
    tau, y, eps, th = [], [], [], []
    for k in range(1, C + 1):
        cell = slots[k - 1]
        idx = h if k % 2 == 1 else cap - 1 - h
        t_k, y_k = cell[idx]
        e = eps_of(h, k)
        # Saturation: S >= (1 + e y)/(tau - t) for constraint points below tau, (1 - e y)/(t - tau)
        # above.  Only the nearest constraint point on each side can bind.
        reals = [s[0] for s in cell[:real_counts[k - 1]]]
        below = [t for t in reals if t < t_k] + ([kappa[0]] if k == 1 else [])
        above = [t for t in reals if t > t_k] + ([kappa[C]] if k == C else [])
        need = Fraction(0)
        if below:
            need = max(need, (1 + e * y_k) / (t_k - max(below)))
        if above:
            need = max(need, (1 - e * y_k) / (min(above) - t_k))
        tau.append(t_k)
        y.append(y_k)
        eps.append(e)
        th.append(need)
    a = [kappa[k + 1] - tau[k] for k in range(C)]          # a_k = kappa_k - tau_k
    c = [tau[k + 1] - kappa[k + 1] for k in range(C - 1)]  # c_k = tau_{k+1} - kappa_k
    R = th[C - 1]
    for k in range(C - 2, -1, -1):
        R = max(th[k], (R * c[k] - eps[k] * (y[k] - y[k + 1])) / a[k])
    S = [Fraction(max(ceil(R), 1))]
    for k in range(C - 1):
        S.append((S[k] * a[k] + eps[k] * (y[k] - y[k + 1])) / c[k])
    if not all(s >= t for s, t in zip(S, th)):
        raise InternalError("chain slope below a saturation threshold")
    Z = [y[0] + eps[0] * S[0] * (kappa[0] - tau[0])]
    Z += [y[k] + eps[k] * S[k] * (kappa[k + 1] - tau[k]) for k in range(C)]
    return Z


def h3_block(t_run, y_run, q: int, kappa_lo=None, kappa_hi=None):
    """One H3 block on a run of sorted projections t_run with label vectors y_run.

    q pairs per output; C = ceil(n / 2q) cells.  The outer knots default to t_first - 1 and
    t_last + 1; in a multi-block network (Prop 3.4) they are midpoints to the neighbouring
    points, so that every pair outputs 0 outside the run.  Returns (ramps, units, info):
    ramps[k] = (lambda_k, m_k), ramp k = hardtanh(lambda_k (t - m_k)); units[o] = list of 2q
    (weights over the C ramps, bias) for the second-layer units of output o.
    """
    n, dy = len(t_run), len(y_run[0])
    cap = 2 * q
    C = ceil_div(n, cap)
    cells = [list(range(k * cap, min((k + 1) * cap, n))) for k in range(C)]
    kappa = [t_run[0] - 1 if kappa_lo is None else kappa_lo]
    kappa += [(t_run[cells[k][-1]] + t_run[cells[k + 1][0]]) / 2 for k in range(C - 1)]
    kappa += [t_run[-1] + 1 if kappa_hi is None else kappa_hi]
    ramps = [(2 / (kappa[k] - kappa[k - 1]), (kappa[k - 1] + kappa[k]) / 2) for k in range(1, C + 1)]

    def eps_of(h, k):
        return 1 if (h % 2 == 0) == (k % 2 == 1) else -1

    units = []
    real_counts = [len(cell) for cell in cells]
    for o in range(dy):
        slots = []
        for k, cell in enumerate(cells, 1):
            sl = [(t_run[i], y_run[i][o]) for i in cell]
            V = cap - len(cell)
            t_last = t_run[cell[-1]]
            sl += [(t_last + Fraction(v, V + 1) * (kappa[k] - t_last), Fraction(0)) for v in range(1, V + 1)]
            slots.append(sl)
        rows = []
        for h in range(cap):
            Z = _h3_unit(slots, kappa, eps_of, cap, h, real_counts)
            rows.append(([(Z[k] - Z[k - 1]) / 2 for k in range(1, C + 1)], (Z[0] + Z[C]) / 2))
        units.append(rows)
    return ramps, units, {"cells": C, "pairs_per_output": q, "virtual_slots": C * cap - n}


def h3_core(t_sorted, y_sorted, u, d1: int, d2: int, dy: int):
    """Hard-tanh layers (W1, b1), (W2, b2), (W3, b3) memorizing sorted t -> y exactly.

    Needs q = floor(d2 / (2 dy)) >= 1 and C = ceil(N / 2q) <= d1.  Returns (layers, info).
    """
    n = len(t_sorted)
    q = d2 // (2 * dy)
    if q < 1 or ceil_div(n, 2 * q) > d1:
        raise ConstructionError(f"widths ({d1}, {d2}) cannot hold {n} points: need d1 * 2*floor(d2/(2dy)) >= N")
    ramps, units, info = h3_block(t_sorted, y_sorted, q)
    C = info["cells"]
    dx = len(u)
    W1 = [[lam * c for c in u] for lam, _ in ramps]
    b1 = [-lam * mid for lam, mid in ramps]
    zw, zb = zero_rows(d1 - C, dx)
    W1, b1 = W1 + zw, b1 + zb
    W2 = [row + [Fraction(0)] * (d1 - C) for rows in units for row, _ in rows]
    b2 = [bias for rows in units for _, bias in rows]
    cap = 2 * q
    zw, zb = zero_rows(d2 - cap * dy, d1)
    W2, b2 = W2 + zw, b2 + zb
    W3 = [[Fraction(1 if cap * o <= j < cap * (o + 1) else 0) for j in range(d2)] for o in range(dy)]
    b3 = [Fraction(-1)] * dy
    layers = [(W1, b1, "hardtanh"), (W2, b2, "hardtanh"), (W3, b3, "identity")]
    return layers, info


def sorted_projection(points, targets):
    """(T, u, t_sorted, y_sorted): the distinct projection t = u.x (:mod:`exactmem.projection`)
    with the targets in increasing order of t."""
    T, u, t = distinct_projection(points)
    order = sorted(range(len(points)), key=t.__getitem__)
    return T, u, [t[i] for i in order], [targets[i] for i in order]
