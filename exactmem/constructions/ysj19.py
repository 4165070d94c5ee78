"""Yun, Sra, Jadbabaie (NeurIPS 2019), "Small ReLU networks are powerful memorizers: a tight
analysis of memorization capacity".

Our construction is the reconstruction documented in ``docs/ysj19.md`` (the paper's appendix
was not available): cells of consecutive projected points, one first-layer ramp per cell, and
second-layer units whose pre-activations are zig-zag piecewise-linear chains that hit one slot
per cell and saturate at every other data point.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil

from ..data import Dataset
from ..errors import ConstructionError, DataError
from ..gadgets import hardtanh_to_relu, zero_rows
from ..projection import distinct_projection
from . import DISTINCT, UNIT_LABELS, Built, Claim, network_from_rational_layers

ACTIVATIONS = ("relu", "hardtanh")


# ---------------------------------------------------------------------------------------------
# Width rules

def thm31_lhs(d1: int, d2: int, dy: int, activation: str) -> int:
    """Left side of Theorem 3.1's inequality (the right side is N)."""
    if activation == "hardtanh":
        return 4 * (d1 // 2) * (d2 // (2 * dy))
    return 4 * (d1 // 4) * (d2 // (4 * dy))


def thm31_statement(activation: str) -> str:
    if activation == "hardtanh":
        return "4 * (d1 // 2) * (d2 // (2 * dy)) >= N"
    return "4 * (d1 // 4) * (d2 // (4 * dy)) >= N"


def default_widths(n: int, dx: int, dy: int, activation: str = "relu") -> tuple[int, int]:
    """Admissible (d1, d2) with the fewest hidden nodes.

    Hard-tanh: d1 = 2p, d2 = 2dy*q with p*q >= ceil(N/4), minimizing d1 + d2, then the dense
    parameter count, then d1 (fewer cells, fewer bits).  ReLU: twice the hard-tanh default.
    """
    m = -(-n // 4)
    best = None
    for p in range(1, m + 1):
        q = -(-m // p)
        d1, d2 = 2 * p, 2 * dy * q
        dense = (dx + 1) * d1 + (d1 + 1) * d2 + (d2 + 1) * dy
        key = (d1 + d2, dense, d1)
        if best is None or key < best[0]:
            best = (key, (d1, d2))
    d1, d2 = best[1]
    return (d1, d2) if activation == "hardtanh" else (2 * d1, 2 * d2)


# ---------------------------------------------------------------------------------------------
# Construction H3 (hard-tanh core, one block)

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
    assert all(s >= t for s, t in zip(S, th)), "chain slope below a saturation threshold"
    Z = [y[0] + eps[0] * S[0] * (kappa[0] - tau[0])]
    Z += [y[k] + eps[k] * S[k] * (kappa[k + 1] - tau[k]) for k in range(C)]
    return Z


def h3_core(t_sorted, y_sorted, u, d1: int, d2: int, dy: int):
    """Hard-tanh layers (W1, b1), (W2, b2), (W3, b3) memorizing sorted t -> y exactly.

    Needs q = floor(d2 / (2 dy)) >= 1 and C = ceil(N / 2q) <= d1.  Returns (layers, info).
    """
    n = len(t_sorted)
    q = d2 // (2 * dy)
    cap = 2 * q
    C = -(-n // cap) if q else None
    if q < 1 or C > d1:
        raise ConstructionError(f"widths ({d1}, {d2}) cannot hold {n} points: need d1 * 2*floor(d2/(2dy)) >= N")
    cells = [list(range(k * cap, min((k + 1) * cap, n))) for k in range(C)]
    kappa = [t_sorted[0] - 1]
    kappa += [(t_sorted[cells[k][-1]] + t_sorted[cells[k + 1][0]]) / 2 for k in range(C - 1)]
    kappa += [t_sorted[-1] + 1]
    dx = len(u)
    W1, b1 = [], []
    for k in range(1, C + 1):
        lam = 2 / (kappa[k] - kappa[k - 1])
        mid = (kappa[k - 1] + kappa[k]) / 2
        W1.append([lam * c for c in u])
        b1.append(-lam * mid)
    zw, zb = zero_rows(d1 - C, dx)
    W1, b1 = W1 + zw, b1 + zb

    def eps_of(h, k):
        return 1 if (h % 2 == 0) == (k % 2 == 1) else -1

    W2, b2 = [], []
    real_counts = [len(cell) for cell in cells]
    for o in range(dy):
        slots = []
        for k, cell in enumerate(cells, 1):
            s = [(t_sorted[i], y_sorted[i][o]) for i in cell]
            V = cap - len(cell)
            t_last = t_sorted[cell[-1]]
            s += [(t_last + Fraction(v, V + 1) * (kappa[k] - t_last), Fraction(0)) for v in range(1, V + 1)]
            slots.append(s)
        for h in range(cap):
            Z = _h3_unit(slots, kappa, eps_of, cap, h, real_counts)
            W2.append([(Z[k] - Z[k - 1]) / 2 for k in range(1, C + 1)] + [Fraction(0)] * (d1 - C))
            b2.append((Z[0] + Z[C]) / 2)
    zw, zb = zero_rows(d2 - cap * dy, d1)
    W2, b2 = W2 + zw, b2 + zb
    W3 = [[Fraction(1 if cap * o <= j < cap * (o + 1) else 0) for j in range(d2)] for o in range(dy)]
    b3 = [Fraction(-1)] * dy
    layers = [(W1, b1, "hardtanh"), (W2, b2, "hardtanh"), (W3, b3, "identity")]
    return layers, {"cells": C, "pairs_per_output": q, "virtual_slots": C * cap - n}


# ---------------------------------------------------------------------------------------------
# Theorem 3.1

def theorem_3_1(ds: Dataset, widths=None, activation: str = "relu") -> Built:
    """Yun, Sra, Jadbabaie 2019, Theorem 3.1: a 3-layer network memorizes N points with labels
    in [-1,1]^dy whenever

    * hard-tanh:  4 floor(d1/2) floor(d2/(2 dy)) >= N, or
    * ReLU:       4 floor(d1/4) floor(d2/(4 dy)) >= N.

    Met exactly, tight cases included: the hard-tanh core needs only d1 * 2 floor(d2/(2dy)) >= N,
    and the ReLU network is the core at widths (floor(d1/2), floor(d2/2)) converted with
    hardtanh(a) = ReLU(a+1) - ReLU(a-1) - 1.  Depth 3, hidden widths exactly (d1, d2).
    Default widths: the admissible pair with the fewest hidden nodes (:func:`default_widths`).
    """
    if activation not in ACTIVATIONS:
        raise ConstructionError(f"unknown activation {activation!r} (choose relu or hardtanh)")
    if ds.task != "regression":
        raise DataError("Theorem 3.1 memorizes real labels in [-1,1]^dy; this dataset has class labels "
                        "(use regression labels, or zhang17)")
    n, dy = ds.n, ds.dy
    rule = "user"
    if widths is None:
        widths, rule = default_widths(n, ds.d, dy, activation), "default (fewest hidden nodes)"
    if len(widths) != 2 or min(widths) < 1:
        raise ConstructionError(f"Theorem 3.1 needs two positive hidden widths d1,d2, got {list(widths)}")
    d1, d2 = widths
    lhs = thm31_lhs(d1, d2, dy, activation)
    if lhs < n:
        raise ConstructionError(f"widths ({d1}, {d2}) inadmissible for {activation}: "
                                f"{thm31_statement(activation).replace('>= N', '')}= {lhs} < N = {n}")
    T, u, t = distinct_projection(ds.points)
    order = sorted(range(n), key=t.__getitem__)
    targets = ds.targets()
    t_sorted = [t[i] for i in order]
    y_sorted = [targets[i] for i in order]
    if activation == "hardtanh":
        layers, core = h3_core(t_sorted, y_sorted, u, d1, d2, dy)
        core_widths = (d1, d2)
    else:
        core_widths = (d1 // 2, d2 // 2)
        core_layers, core = h3_core(t_sorted, y_sorted, u, *core_widths, dy)
        layers = hardtanh_to_relu(core_layers, relu_widths=[d1, d2])
    net = network_from_rational_layers(ds.d, layers)
    src = f"YSJ19 Thm 3.1 ({'hard-tanh' if activation == 'hardtanh' else 'ReLU'})"
    act_var = "hardtanh_hidden" if activation == "hardtanh" else "relu_hidden"
    claims = [
        DISTINCT,
        UNIT_LABELS,
        Claim("depth", "depth == 3", src + ": 3-layer network"),
        Claim("activation", f"{act_var} == 1", src + f": {activation} hidden layers"),
        Claim("capacity", thm31_statement(activation), src + ": width condition"),
    ]
    info = {"T": T, "width_rule": rule, "core_widths": list(core_widths), **core,
            "edge_formula_E": (ds.d + 1) * d1 + (d1 + 1) * d2 + (d2 + 1) * dy}
    return Built(net, claims, {"activation": activation, "widths": [d1, d2]}, info)
