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
from ..errors import ConstructionError, DataError, InternalError
from ..gadgets import Expr, RegisterNet, hardtanh_to_relu, zero_rows
from ..projection import distinct_projection
from ..projection import dot as _dot
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
    C = -(-n // cap)
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
    if q < 1 or -(-n // (2 * q)) > d1:
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


# ---------------------------------------------------------------------------------------------
# Proposition 3.2 (classification, 4 layers)

def _class_gammas(C: int) -> list:
    """gamma_j = -1 + 2(j-1)/(C-1) for classes j = 1..C (0 when C = 1): reals in [-1, 1]."""
    if C == 1:
        return [None, Fraction(0)]
    return [None] + [Fraction(-1) + Fraction(2 * (j - 1), C - 1) for j in range(1, C + 1)]


def proposition_3_2(ds: Dataset, widths=None, activation: str = "relu", output: str = "onehot") -> Built:
    """Yun, Sra, Jadbabaie 2019, Proposition 3.2: a 4-layer network memorizes N points with
    one-hot labels of C classes whenever

    * hard-tanh:  4 floor(d1/2) floor(d2/2) >= N  and  d3 >= 2C, or
    * ReLU:       4 floor(d1/4) floor(d2/4) >= N  and  d3 >= 4C.

    Met exactly (tight cases included): layers 1-2 are the Theorem 3.1 core (dy = 1) fitting the
    class codes gamma_j = -1 + 2(j-1)/(C-1); layer 3 has C - 1 hard-tanh steps
    g_j = hardtanh((C-1) U + 3 - 2j) (U = sum of the core's layer-2 units), so g_j = +1 iff the
    class is >= j; the output decodes e_j = (g_j - g_{j+1})/2.  ``output="class"`` outputs the
    class number 1..C instead (one output).  ReLU: the hard-tanh network at half the widths,
    converted.  Default widths: Theorem 3.1's default for dy = 1, and d3 = 2C (4C for ReLU).
    """
    if activation not in ACTIVATIONS:
        raise ConstructionError(f"unknown activation {activation!r} (choose relu or hardtanh)")
    if output not in ("onehot", "class"):
        raise ConstructionError(f"unknown output mode {output!r} (choose onehot or class)")
    if ds.task != "classification":
        raise DataError("Proposition 3.2 is about class labels 1..C; this dataset has real labels")
    n, C = ds.n, ds.classes
    k = 2 if activation == "hardtanh" else 4
    rule = "user"
    if widths is None:
        widths, rule = [*default_widths(n, ds.d, 1, activation), k * C], "default"
    if len(widths) != 3 or min(widths) < 1:
        raise ConstructionError(f"Proposition 3.2 needs three positive hidden widths d1,d2,d3, got {list(widths)}")
    d1, d2, d3 = widths
    lhs = 4 * (d1 // k) * (d2 // k)
    if lhs < n:
        raise ConstructionError(f"widths ({d1}, {d2}) inadmissible for {activation}: "
                                f"4 * (d1 // {k}) * (d2 // {k}) = {lhs} < N = {n}")
    if d3 < k * C:
        raise ConstructionError(f"width d3 = {d3} inadmissible for {activation}: need d3 >= {k} * C = {k * C}")
    e1, e2, e3 = (d1, d2, d3) if activation == "hardtanh" else (d1 // 2, d2 // 2, d3 // 2)
    T, u, t = distinct_projection(ds.points)
    order = sorted(range(n), key=t.__getitem__)
    gamma = _class_gammas(C)
    core, info = h3_core([t[i] for i in order], [(gamma[ds.labels[i]],) for i in order], u, e1, e2, 1)
    cap = 2 * info["pairs_per_output"]
    W3 = [[Fraction(C - 1 if i < cap else 0) for i in range(e2)] for _ in range(2, C + 1)]
    b3 = [Fraction(3 - 2 * j) for j in range(2, C + 1)]
    zw, zb = zero_rows(e3 - (C - 1), e2)
    W3, b3 = W3 + zw, b3 + zb
    half = Fraction(1, 2)
    if output == "class":                       # F = 1 + sum_j (g_j + 1)/2 = the class number
        W4 = [[half if i < C - 1 else Fraction(0) for i in range(e3)]]
        b4 = [1 + half * (C - 1)]
    else:
        W4, b4 = [], []
        for j in range(1, C + 1):
            row = [Fraction(0)] * e3
            if j >= 2:
                row[j - 2] += half               # + g_j / 2
            if j <= C - 1:
                row[j - 1] -= half               # - g_{j+1} / 2
            W4.append(row)
            b4.append(Fraction(1) if C == 1 else (half if j in (1, C) else Fraction(0)))
    layers = core[:2] + [(W3, b3, "hardtanh"), (W4, b4, "identity")]
    if activation == "relu":
        layers = hardtanh_to_relu(layers, relu_widths=[d1, d2, d3])
    net = network_from_rational_layers(ds.d, layers)
    src = f"YSJ19 Prop 3.2 ({'hard-tanh' if activation == 'hardtanh' else 'ReLU'})"
    act_var = "hardtanh_hidden" if activation == "hardtanh" else "relu_hidden"
    classes_var = "dy" if output == "onehot" else "classes"
    claims = [
        DISTINCT,
        Claim("depth", "depth == 4", src + ": 4-layer network"),
        Claim("activation", f"{act_var} == 1", src + f": {activation} hidden layers"),
        Claim("capacity", f"4 * (d1 // {k}) * (d2 // {k}) >= N", src + ": width condition on d1, d2"),
        Claim("classes", f"d3 >= {2 * k // 2} * {classes_var}", src + f": d3 >= {k} x number of classes"),
    ]
    if output == "onehot":
        claims.append(Claim("labels", "one_hot_labels == 1", src + ": one-hot labels"))
    built = Built(net, claims, {"activation": activation, "widths": [d1, d2, d3], "output": output},
                  {"T": T, "width_rule": rule, "core_widths": [e1, e2, e3], **info,
                   "class_codes": [str(g) for g in gamma[1:]]})
    if output == "onehot":
        built.dataset = ds.one_hot()
    return built


# ---------------------------------------------------------------------------------------------
# Proposition 3.4 (deep and/or narrow)

def _term(W, l, r, dy):
    """Block j's term in Prop 3.4's sum, or None when d_{l}, d_{l+1} < r_j (the room
    condition the paper leaves implicit, docs/ysj19.md, Proposition 3.4)."""
    a, b = W[l - 1], W[l]
    if a < r or b < r:
        return None
    return 4 * ((a - r) // 2) * ((b - r) // (2 * dy))


def prop34_violation(W, dy: int, n: int, blocks) -> str | None:
    """The first failed condition of Proposition 3.4 (hard-tanh widths W = d_1..d_{L-1}), or None."""
    L = len(W) + 1
    m = len(blocks)
    if m == 0:
        return "at least one block index l_1 is needed"
    for j, l in enumerate(blocks, 1):
        if not 1 <= l <= L - 2:
            return f"block index l_{j} = {l} outside [1, L-2] = [1, {L - 2}]"
    for j in range(1, m):
        if not blocks[j - 1] + 1 < blocks[j]:
            return f"indices must satisfy l_j + 1 < l_(j+1): l_{j} + 1 = {blocks[j - 1] + 1} >= l_{j + 1} = {blocks[j]}"
    total = 0
    for j, l in enumerate(blocks, 1):
        r = dy * (j > 1) + (j < m)
        if W[l - 1] < r or W[l] < r:
            return (f"block {j} at layers ({l}, {l + 1}): d_{l} = {W[l - 1]}, d_{l + 1} = {W[l]} must both be "
                    f">= r_{j} = {r} (room for the carried registers)")
        total += _term(W, l, r, dy)
    if total < n:
        terms = " + ".join(f"4*floor((d_{l}-{dy * (j > 1) + (j < m)})/2)*floor((d_{l + 1}-{dy * (j > 1) + (j < m)})/"
                           f"(2*{dy}))" for j, l in enumerate(blocks, 1))
        return f"capacity {terms} = {total} < N = {n}"
    for j in range(1, m):
        for k in range(blocks[j - 1] + 2, blocks[j]):
            if W[k - 1] < dy + 1:
                return f"layer {k} between blocks {j} and {j + 1}: d_{k} = {W[k - 1]} < dy + 1 = {dy + 1}"
    for k in range(blocks[-1] + 2, L):
        if W[k - 1] < dy:
            return f"layer {k} after the last block: d_{k} = {W[k - 1]} < dy = {dy}"
    return None


def choose_blocks(W, dy: int):
    """Admissible block indices with the largest capacity (None if there are none): an exact
    search over the placements allowed by the width conditions."""
    L = len(W) + 1
    memo = {}

    def best(prev, first):
        key = (prev, first)
        if key in memo:
            return memo[key]
        result = None
        for l in range(1 if first else prev + 2, L - 1):
            if not first and any(W[k - 1] < dy + 1 for k in range(prev + 2, l)):
                break
            for last in (True, False):
                r = dy * (not first) + (not last)
                t = _term(W, l, r, dy)
                if t is None:
                    continue
                if last:
                    if any(W[k - 1] < dy for k in range(l + 2, L)):
                        continue
                    cand = (t, [l])
                else:
                    sub = best(l, False)
                    if sub is None:
                        continue
                    cand = (t + sub[0], [l] + sub[1])
                if result is None or cand[0] > result[0] or (cand[0] == result[0] and len(cand[1]) < len(result[1])):
                    result = cand
        memo[key] = result
        return result

    return best(0, True)


def proposition_3_4(ds: Dataset, widths, blocks=None, activation: str = "hardtanh") -> Built:
    """Yun, Sra, Jadbabaie 2019, Proposition 3.4: an L-layer hard-tanh network with hidden widths
    d_1..d_{L-1} memorizes N points with labels in [-1,1]^dy if there are indices
    l_1 < ... < l_m in [L-2] with l_j + 1 < l_(j+1) and

      4 sum_j floor((d_{l_j} - r_j)/2) floor((d_{l_j+1} - r_j)/(2 dy)) >= N,
      r_j = dy [j > 1] + [j < m],  d_k >= dy + 1 between blocks,  d_k >= dy after the last,

    (and, implicit in the paper, d_{l_j}, d_{l_j+1} >= r_j).  Met exactly: block j is a Theorem 3.1
    core on a run of consecutive projected points that outputs 0 elsewhere; a t-carry and
    dy Q-carries (the r_j extra nodes) pass the input and the partial output along.  ReLU: the
    hard-tanh conditions on floor(d_k / 2), built at those widths and converted.  ``blocks``
    (1-based l_j) is chosen automatically (largest capacity) when not given.
    """
    if activation not in ACTIVATIONS:
        raise ConstructionError(f"unknown activation {activation!r} (choose relu or hardtanh)")
    if ds.task != "regression":
        raise DataError("Proposition 3.4 memorizes real labels in [-1,1]^dy; this dataset has class labels")
    if widths is None or len(widths) < 2 or min(widths) < 1:
        raise ConstructionError("Proposition 3.4 needs --widths d1,...,d(L-1) (at least two positive hidden widths)")
    n, dy = ds.n, ds.dy
    W = list(widths) if activation == "hardtanh" else [w // 2 for w in widths]
    note = "" if activation == "hardtanh" else f" (ReLU: the hard-tanh conditions on floor(d/2) = {W})"
    rule = "user"
    if blocks is None:
        found = choose_blocks(W, dy)
        if found is None:
            raise ConstructionError(f"widths {list(widths)} inadmissible: no block placement meets the width "
                                    f"conditions{note}")
        blocks, rule = found[1], "automatic (largest capacity)"
    blocks = list(blocks)
    why = prop34_violation(W, dy, n, blocks)
    if why:
        raise ConstructionError(f"widths {list(widths)} with blocks {blocks} inadmissible: {why}{note}")
    m, L = len(blocks), len(W) + 1
    T, u, t = distinct_projection(ds.points)
    order = sorted(range(n), key=t.__getitem__)
    ts = [t[i] for i in order]
    targets = ds.targets()
    ys = [targets[i] for i in order]
    t_min, span = ts[0], (ts[-1] - ts[0]) or Fraction(1)
    # Runs: block j takes the next cap_j sorted points.
    runs, start = [], 0
    for j, l in enumerate(blocks, 1):
        r = dy * (j > 1) + (j < m)
        q = (W[l] - r) // (2 * dy)
        cap = (W[l - 1] - r) * 2 * q
        runs.append((start, min(n, start + cap), q))
        start = min(n, start + cap)
    if start != n:
        raise InternalError("capacity check passed but points are left over")
    block_data = {}
    for j, (lo, hi, q) in enumerate(runs, 1):
        if hi > lo:
            k_lo = None if lo == 0 else (ts[lo - 1] + ts[lo]) / 2
            k_hi = None if hi == n else (ts[hi - 1] + ts[hi]) / 2
            block_data[j] = h3_block(ts[lo:hi], ys[lo:hi], q, k_lo, k_hi)
    net = RegisterNet([f"x{i}" for i in range(ds.d)])
    ux = Expr()
    for i, c in enumerate(u):
        ux = ux + c * net.value(f"x{i}")
    ramp_layer = {l: j for j, l in enumerate(blocks, 1)}
    pair_layer = {l + 1: j for j, l in enumerate(blocks, 1)}

    def pair_sum(o):
        return sum((Fraction(1, 2) * net.value(name) for name in net.names if name.startswith(f"p{o}_")), Expr())

    for ell in range(1, L):
        layer = {}
        if ell < blocks[-1]:                                   # t-carry s = (t - t_min)/span in [0, 1]
            layer["s"] = (ux - t_min) * (1 / span) if ell == 1 else net.value("s")
        if ell >= blocks[0] + 2:                               # Q-carries: accumulated pair outputs / 2
            for o in range(dy):
                prev = net.value(f"Q{o}") if net.has(f"Q{o}") else Expr()
                layer[f"Q{o}"] = prev + pair_sum(o)
        if ell in ramp_layer and ramp_layer[ell] in block_data:
            ramps = block_data[ramp_layer[ell]][0]
            t_expr = ux if ell == 1 else span * net.value("s") + t_min
            for k, (lam, mid) in enumerate(ramps):
                layer[f"r{k}"] = lam * (t_expr - mid)
        if ell in pair_layer and pair_layer[ell] in block_data:
            for o, rows in enumerate(block_data[pair_layer[ell]][1]):
                for h, (row, bias) in enumerate(rows):
                    e = Expr.const(bias)
                    for k, w in enumerate(row):
                        e = e + w * net.value(f"r{k}")
                    layer[f"p{o}_{h}"] = e
        if len(layer) > W[ell - 1]:
            raise InternalError(f"layer {ell} needs {len(layer)} units, width {W[ell - 1]}")
        for i in range(W[ell - 1] - len(layer)):
            layer[f"zero{i}"] = Expr()
        net.add_layer(layer, "hardtanh")
    outs = []
    for o in range(dy):
        q_prev = net.value(f"Q{o}") if net.has(f"Q{o}") else Expr()
        outs.append(2 * (q_prev + pair_sum(o)) - 1)
    layers = net.output(outs)
    if activation == "relu":
        layers = hardtanh_to_relu(layers, relu_widths=list(widths))
    network = network_from_rational_layers(ds.d, layers)
    src = f"YSJ19 Prop 3.4 ({'hard-tanh' if activation == 'hardtanh' else 'ReLU, widths halved'})"
    act_var = "hardtanh_hidden" if activation == "hardtanh" else "relu_hidden"
    half = (lambda name: name) if activation == "hardtanh" else (lambda name: f"({name} // 2)")
    terms = []
    for j, l in enumerate(blocks, 1):
        r = dy * (j > 1) + (j < m)
        terms.append(f"4 * (({half(f'd{l}')} - {r}) // 2) * (({half(f'd{l + 1}')} - {r}) // (2 * dy))")
    claims = [DISTINCT, UNIT_LABELS,
              Claim("depth", f"depth == {L}", src + f": {L}-layer network"),
              Claim("activation", f"{act_var} == 1", src + f": {activation} hidden layers"),
              Claim("capacity", " + ".join(terms) + " >= N",
                    src + f": sum over blocks l = {blocks} (declared) with r_j = dy[j>1] + [j<m]")]
    for j, l in enumerate(blocks, 1):
        r = dy * (j > 1) + (j < m)
        claims.append(Claim(f"room-{j}", f"{half(f'd{l}')} - {r} >= 0",
                            src + f": block {j} has room for its {r} carried registers"))
        claims.append(Claim(f"room-{j}b", f"{half(f'd{l + 1}')} - {r} >= 0",
                            src + f": block {j} has room for its {r} carried registers"))
    for j in range(1, m):
        for k in range(blocks[j - 1] + 2, blocks[j]):
            claims.append(Claim(f"carry-{k}", f"{half(f'd{k}')} >= dy + 1", src + ": t and Q carried between blocks"))
    for k in range(blocks[-1] + 2, L):
        claims.append(Claim(f"carry-{k}", f"{half(f'd{k}')} >= dy", src + ": Q carried after the last block"))
    info = {"T": T, "blocks": blocks, "block_rule": rule, "core_widths": W,
            "runs": [[lo, hi] for lo, hi, _ in runs]}
    return Built(network, claims, {"activation": activation, "widths": list(widths), "blocks": blocks}, info)


# ---------------------------------------------------------------------------------------------
# Corollary 4.2 (2 layers, general position)

def corollary_4_2(ds: Dataset, widths=None, activation: str = "relu") -> Built:
    """Yun, Sra, Jadbabaie 2019, Corollary 4.2: for N points in general position (every set of at
    most dx + 1 points affinely independent) with one-hot labels of dy classes, a 2-layer network
    memorizes them when

    * hard-tanh: d1 >= 2N/dx + 2dy, or
    * ReLU:      d1 >= 4N/dx + 4dy.

    Met exactly (docs/ysj19.md): the points of each class are cut into groups of dx; a hyperplane
    through a group misses every other point (exact rational linear algebra); a bump of that
    hyperplane's distance - trap(u) = ReLU(u+2) - ReLU(u+1) - ReLU(u-1) + ReLU(u-2), or the
    hard-tanh form (hardtanh(2u+3) - hardtanh(2u-3))/2 - is 1 on the group and 0 at every other
    point.  sum_k ceil(n_k/dx) groups <= N/dx + dy, at 4 ReLUs or 2 hard-tanh units each.
    """
    from ..geometry import separating_hyperplane

    if activation not in ACTIVATIONS:
        raise ConstructionError(f"unknown activation {activation!r} (choose relu or hardtanh)")
    if ds.task != "classification":
        raise DataError("Corollary 4.2 is about class labels 1..C (one-hot outputs); this dataset has real labels")
    n, dx, C = ds.n, ds.d, ds.classes
    if widths is not None and (len(widths) != 1 or widths[0] < 1):
        raise ConstructionError(f"Corollary 4.2 has one hidden layer: --widths d1, got {list(widths)}")
    width = widths[0] if widths else None
    per = 4 if activation == "relu" else 2
    groups = []
    for k in range(1, C + 1):
        idx = [i for i in range(n) if ds.labels[i] == k]
        groups += [(k, idx[s:s + dx]) for s in range(0, len(idx), dx)]
    need = per * len(groups)
    k2 = 2 if activation == "hardtanh" else 4
    rule = "user"
    if width is None:      # the least width the corollary admits: ceil(k N / dx) + k dy
        width, rule = -(-(k2 * n + k2 * C * dx) // dx), "default (least admissible)"
    if dx * width < k2 * n + k2 * C * dx:
        raise ConstructionError(f"width d1 = {width} inadmissible for {activation}: need d1 >= {k2}N/dx + {k2}dy, "
                                f"i.e. dx*d1 = {dx * width} >= {k2 * n + k2 * C * dx}")
    if width < need:      # cannot happen when the inequality holds: sum ceil(n_k/dx) <= N/dx + dy
        raise InternalError(f"{need} units needed, width {width}")
    W1, b1, W2 = [], [], [[] for _ in range(C)]
    margins = []
    for k, group in groups:
        a, c = separating_hyperplane(ds.points, group)
        m, K = _margin_and_scale(a, c, ds.points, set(group))    # K * m >= 2: the bump vanishes off the group
        K = Fraction(K)
        margins.append(str(m))
        row = [K * v for v in a]
        if activation == "relu":
            offsets, outw = (2, 1, -1, -2), (1, -1, -1, 1)
        else:                                            # hardtanh(2u + 3), hardtanh(2u - 3), weights 1/2, -1/2
            row = [2 * v for v in row]
            offsets, outw = (Fraction(3, 2), Fraction(-3, 2)), (Fraction(1, 2), Fraction(-1, 2))
        scale = 2 if activation == "hardtanh" else 1
        for o, w in zip(offsets, outw):
            W1.append(list(row))
            b1.append(scale * (-K * c + o))
            for cls in range(C):
                W2[cls].append(Fraction(w) if cls == k - 1 else Fraction(0))
    zw, zb = zero_rows(width - len(W1), dx)
    W1, b1 = W1 + zw, b1 + zb
    W2 = [r + [Fraction(0)] * (width - len(r)) for r in W2]
    layers = [(W1, b1, activation), (W2, [Fraction(0)] * C, "identity")]
    net = network_from_rational_layers(dx, layers)
    src = f"YSJ19 Cor 4.2 ({'hard-tanh' if activation == 'hardtanh' else 'ReLU'})"
    act_var = "hardtanh_hidden" if activation == "hardtanh" else "relu_hidden"
    claims = [
        DISTINCT,
        Claim("depth", "depth == 2", src + ": 2-layer network"),
        Claim("activation", f"{act_var} == 1", src + f": {activation} hidden layer"),
        Claim("width", f"d * d1 >= {k2} * N + {k2} * dy * d", src + f": d1 >= {k2}N/dx + {k2}dy"),
        Claim("labels", "one_hot_labels == 1", src + ": one-hot labels"),
    ]
    info = {"groups": len(groups), "units_used": len(W1) - (width - need), "width_rule": rule,
            "general_position": "construction-level test passed (every group's affine hull misses all "
                                "other points; docs/ysj19.md)",
            "min_margin": min(margins, key=Fraction) if margins else None}
    built = Built(net, claims, {"activation": activation, "widths": [width]}, info)
    built.dataset = ds.one_hot()
    return built


# ---------------------------------------------------------------------------------------------
# Theorem 4.1 (ResNet, general position)

# Bumps of a hyperplane distance u = K (a.h - c): unit r computes act(scale * u + offset_r), and
# sum_r coeff_r * unit_r is 1 for |u| <= 1 and 0 for |u| >= 2 (exact identities, docs/ysj19.md):
# ReLU trap(u) = relu(u+2) - relu(u+1) - relu(u-1) + relu(u-2); hard-tanh
# trap(u) = (hardtanh(2u+3) - hardtanh(2u-3))/2.
THM41_BUMPS = {
    "relu": ((2, 1, -1, -2), (1, -1, -1, 1), 1),
    "hardtanh": ((3, -3), (Fraction(1, 2), Fraction(-1, 2)), 2),
}


def _margin_and_scale(a, c, pos, members):
    """(m, K): the least |a.x - c| over the points outside the group at their current positions
    (2 when there are none), and the integer K >= 1 with K m >= 2 that makes the bump vanish there.
    The sums run over the normal's nonzero entries only: a group of r points has a normal with
    few of them when r << d (at dx = 3072 this loop was most of the build, docs/ysj19.md)."""
    support = [(k, ak) for k, ak in enumerate(a) if ak]
    dists = [abs(sum(ak * p[k] for k, ak in support) - c) for j, p in enumerate(pos) if j not in members]
    m = min(dists) if dists else Fraction(2)
    if m <= 0:
        raise InternalError("a moved point landed on a later hyperplane")
    return m, (max(1, -(-2 // m)) if m < 2 else 1)


def thm41_layout(widths, G: int, per: int, dx: int):
    """Place G groups of ``per`` bump nodes (4 ReLU, 2 hard-tanh) into residual blocks of the
    given widths.  Returns ``(readout, segments)``; a segment is ``(kind, blocks, count)`` with
    0-based block indices, in block order:

    * ``("block", [l], floor(d_l/per))``: whole groups side by side in one block, all reading
      the block's input (docs/ysj19.md, Theorem 4.1, rule 1);
    * ``("run", [j, ..., l], 1)``: one group whose nodes fill consecutive blocks that hold
      nothing else (the one-node-per-block narrow variant, generalized; rule 2: its pushes are
      orthogonal to its own normal, so every node of the run reads the same distance u).

    Whole-block placement alone (``readout == "coordinate"``: pushes along class coordinates)
    is used when it fits; otherwise the largest mixed placement (a dynamic program over the
    blocks) with the 1-D readout ``"line"``, which runs need (dx >= 2).  Raises
    ConstructionError naming a block when no placement holds G groups."""
    if sum(w // per for w in widths) >= G:
        return "coordinate", [("block", [l], w // per) for l, w in enumerate(widths)]
    L1 = len(widths)
    best, choice = [0] * (L1 + 1), [None] * (L1 + 1)
    for l in range(1, L1 + 1):
        best[l], choice[l] = best[l - 1] + widths[l - 1] // per, ("block", l - 1)
        if dx >= 2:                  # the shortest run of blocks ending at l with >= per nodes
            j, tot = l, 0
            while j > 0 and tot < per:
                j -= 1
                tot += widths[j]
            if tot >= per and best[j] + 1 > best[l]:
                best[l], choice[l] = best[j] + 1, ("run", j)
    if best[L1] < G:
        l = next(i for i, w in enumerate(widths) if w % per)       # exists: sum d_l >= per * G
        if dx == 1:
            why = (f"with dx = 1 no push is orthogonal to a group's normal, so a group's {per} nodes "
                   f"cannot be split across blocks and a block holds floor(d_l/{per}) groups")
        else:
            why = (f"mixed splits, where a bump ({per} nodes) would share a block with another group and "
                   f"continue into the next block, are not supported; a block holds floor(d_l/{per}) whole "
                   f"groups, or consecutive blocks holding nothing else hold one")
        raise ConstructionError(f"block {l + 1} has d_{l + 1} = {widths[l]} hidden nodes: {why}; the widths "
                                f"{list(widths)} hold {best[L1]} of the {G} groups needed (docs/ysj19.md)")
    segments, l = [], L1
    while l > 0:
        kind, j = choice[l]
        if kind == "block":
            segments.append(("block", [j], widths[j] // per))
            l = j
        else:
            segments.append(("run", list(range(j, l)), 1))
            l = j
    return "line", segments[::-1]


def _thm41_place(segments, widths, G: int, per: int):
    """Groups in order onto the segments: per group, its segment and its (block, nodes) parts."""
    seg_of, parts = [], []
    for si, (kind, blks, count) in enumerate(segments):
        for _ in range(count):
            if len(parts) == G:
                break
            left, mine = per, []
            for b in blks if kind == "run" else blks[:1]:
                take = min(left, widths[b])
                if take:
                    mine.append((b, take))
                left -= take
            if left != 0:
                raise InternalError("a segment too small for a bump")
            seg_of.append(si)
            parts.append(mine)
    if len(parts) != G:
        raise InternalError("the layout holds fewer groups than planned")
    return seg_of, parts


def _thm41_block(units, width: int, dx: int, activation: str, shift=None):
    """A residual block from (row, bias, outer column) units, padded with dead nodes."""
    from ..network import Layer, ResidualBlock

    zero = [Fraction(0)] * dx
    units = list(units) + [(zero, Fraction(0), zero)] * (width - len(units))
    inner = Layer.from_rationals([u[0] for u in units], [u[1] for u in units], activation)
    V = [[u[2][t] for u in units] for t in range(dx)]
    c = [-v for v in shift] if shift is not None else zero
    return ResidualBlock(inner, Layer.from_rationals(V, c, "identity"))


def _thm41_coordinate(X, groups, C: int, widths, parts, activation: str):
    """The default layout with several whole groups per block (docs/ysj19.md, rule 1): block 1
    shifts coordinate k of every point to <= -1 (k < dy); a group's bump pushes its points by an
    integer B along its class coordinate k, up to >= 0.  Returns the residual blocks and
    informative numbers."""
    from ..geometry import separating_hyperplane

    offsets, coeffs, scale = THM41_BUMPS[activation]
    dx, G = len(X[0]), len(groups)
    s = [max(p[k] for p in X) + 1 if k < C else Fraction(0) for k in range(dx)]
    shifted = [[v - sk for v, sk in zip(p, s)] for p in X]
    blk = [p[0][0] for p in parts]
    # Hyperplanes fixed up front: block 1 sees x, later blocks see their points at x - s.
    planes = [separating_hyperplane(X if blk[g] == 0 else shifted, grp) for g, (_, grp) in enumerate(groups)]
    pos = [list(p) for p in X]                       # positions at the current block's input
    blocks, pushes, margins = [], [], []
    for b, width in enumerate(widths):
        units, moves = [], []
        for g in (g for g in range(G) if blk[g] == b):
            k, grp = groups[g]
            a, c = planes[g]
            members = set(grp)
            m, K = _margin_and_scale(a, c, pos, members)
            B = -(-max(s[k] - X[i][k] for i in grp) // 1)
            while any(_dot(planes[h][0], [v + (B if t == k else 0) for t, v in enumerate(shifted[i])])
                      == planes[h][1] for h in range(G) if blk[h] > b for i in grp):
                B += 1
            for o, co in zip(offsets, coeffs):
                units.append(([scale * K * v for v in a], scale * (-K * c) + o,
                              [Fraction(B * co) if t == k else Fraction(0) for t in range(dx)]))
            moves.append((k, grp, B))
            pushes.append(B)
            margins.append(m)
        blocks.append(_thm41_block(units, width, dx, activation, s if b == 0 else None))
        if b == 0:
            pos = [[v - sk for v, sk in zip(p, s)] for p in pos]
        for k, grp, B in moves:                       # the block's pushes, all read its input
            for i in grp:
                pos[i][k] += B
    info = {"shift": [str(v) for v in s], "pushes": pushes, "min_margin": str(min(margins))}
    return blocks, info


def _thm41_coordinate_head(C: int, dx: int, activation: str):
    """Rows, biases, output rows, output biases of the head reading coordinate k < dy:
    ReLU relu(h_k + 1) - relu(h_k); hard-tanh (hardtanh(2 h_k + 1) + 1)/2.  Both are 1 for
    h_k >= 0 and 0 for h_k <= -1."""
    if activation == "relu":
        W = [[Fraction(int(t == k)) for t in range(dx)] for k in range(C) for _ in (0, 1)]
        b = [Fraction(1 - r) for _ in range(C) for r in (0, 1)]
        O = [[Fraction((1 if r == 0 else -1) if kk == k else 0) for kk in range(C) for r in (0, 1)] for k in range(C)]
        return W, b, O, [Fraction(0)] * C
    W = [[Fraction(2 * int(t == k)) for t in range(dx)] for k in range(C)]
    O = [[Fraction(1, 2) if kk == k else Fraction(0) for kk in range(C)] for k in range(C)]
    return W, [Fraction(1)] * C, O, [Fraction(1, 2)] * C


def _thm41_line(X, groups, C: int, widths, seg_of, parts, activation: str):
    """The narrow variant (docs/ysj19.md, rule 2), generalized to the segments of
    :func:`thm41_layout`: the 1-D readout t = w.h with class k <=> t in [T_k, T_{k+1} - 1];
    group g pushes along v_g, the part of w orthogonal to its normal a_g, so its distance
    u_g = K(a_g.h - c_g) is the same at every node of its run.  Returns the residual blocks,
    (w, T) and informative numbers."""
    from ..geometry import separating_hyperplane

    offsets, coeffs, scale = THM41_BUMPS[activation]
    dx, G = len(X[0]), len(groups)
    planes = [separating_hyperplane(X, grp) for _, grp in groups]     # nothing moves before a group
    lam = 0
    while True:                                      # w = (1, lam, lam^2, ...) parallel to no normal
        w = [Fraction(lam) ** t for t in range(dx)]
        if all(_dot(w, a) ** 2 != _dot(w, w) * _dot(a, a) for a, _ in planes):
            break
        lam += 1
    t0 = [_dot(w, x) for x in X]
    T = [max(t0) + 1]
    for k in range(C):
        spread = max((max(t0[i] for i in grp) - min(t0[i] for i in grp) for kk, grp in groups if kk == k),
                     default=Fraction(0))
        T.append(T[-1] + spread + 2)
    pos = [list(p) for p in X]
    units = [[] for _ in widths]
    pushes, margins = [], []
    for si in range(max(seg_of) + 1):
        moves = []
        for g in (g for g in range(G) if seg_of[g] == si):
            k, grp = groups[g]
            a, c = planes[g]
            members = set(grp)
            m, K = _margin_and_scale(a, c, pos, members)
            aw, aa = _dot(a, w), _dot(a, a)
            v = [wi - aw / aa * ai for wi, ai in zip(w, a)]
            kap = _dot(w, v)
            if not (kap > 0 and _dot(a, v) == 0):
                raise InternalError("a hyperplane normal is not orthogonal to the group (kappa <= 0)")
            forbidden = set()                        # pushes landing a member on a later hyperplane
            for h in range(G):
                if seg_of[h] > si and _dot(planes[h][0], v) != 0:
                    forbidden.update((planes[h][1] - _dot(planes[h][0], X[i])) / _dot(planes[h][0], v)
                                     for i in grp)
            B = (T[k] - min(t0[i] for i in grp)) / kap
            while B in forbidden:                    # at most |forbidden| steps: t stays below T_k + spread + 1
                B += 1 / ((len(forbidden) + 1) * kap)
            mine = [([scale * K * ai for ai in a], scale * (-K * c) + o, [co * B * vi for vi in v])
                    for o, co in zip(offsets, coeffs)]
            for b, cnt in parts[g]:
                units[b] += mine[:cnt]
                mine = mine[cnt:]
            moves.append((grp, B, v))
            pushes.append(str(B))
            margins.append(m)
        for grp, B, v in moves:
            for i in grp:
                pos[i] = [p + B * vi for p, vi in zip(pos[i], v)]
    blocks = [_thm41_block(units[b], width, dx, activation) for b, width in enumerate(widths)]
    info = {"w": [str(v) for v in w], "thresholds": [str(v) for v in T], "pushes": pushes,
            "min_margin": str(min(margins))}
    return blocks, (w, T), info


def _thm41_line_head(C: int, w, T, activation: str):
    """Steps S_k = 1 for t >= T_k and 0 for t <= T_k - 1 (ReLU relu(t - T_k + 1) - relu(t - T_k),
    hard-tanh (hardtanh(2(t - T_k) + 1) + 1)/2), output g_k = S_k - S_{k+1}, g_dy = S_dy."""
    if activation == "relu":
        W = [list(w) for _ in range(C) for _ in (0, 1)]
        b = [-T[k] + 1 - r for k in range(C) for r in (0, 1)]
        O = []
        for k in range(C):
            row = [Fraction(0)] * (2 * C)
            row[2 * k], row[2 * k + 1] = Fraction(1), Fraction(-1)
            if k + 1 < C:
                row[2 * k + 2], row[2 * k + 3] = Fraction(-1), Fraction(1)
            O.append(row)
        return W, b, O, [Fraction(0)] * C
    W = [[2 * v for v in w] for _ in range(C)]
    b = [-2 * T[k] + 1 for k in range(C)]
    O = []
    for k in range(C):
        row = [Fraction(0)] * C
        row[k] = Fraction(1, 2)
        if k + 1 < C:
            row[k + 1] = Fraction(-1, 2)
        O.append(row)
    return W, b, O, [Fraction(0)] * (C - 1) + [Fraction(1, 2)]


def theorem_4_1(ds: Dataset, activation: str = "relu", block_widths=None, head_width=None) -> Built:
    """Yun, Sra, Jadbabaie 2019, Theorem 4.1: for N points in general position with one-hot
    labels of dy <= dx classes, a ResNet h <- h + V sigma(U h + b) + c memorizes them when

    * hard-tanh: sum_l d_l >= 2N/dx + 2dy residual hidden nodes and a head of d_L >= dy, or
    * ReLU:      sum_l d_l >= 4N/dx + 4dy and d_L >= 2dy ("4N/dx + 6dy ReLU hidden nodes").

    Default (no ``block_widths``): one residual block of 4 ReLUs (2 hard-tanh units) per
    class-pure group of <= dx points, sum_k ceil(n_k/dx) <= N/dx + dy groups, so fewer nodes
    than the theorem allows, and a head of 2dy (dy).  Block g pushes its group's points by an
    integer B_g along the coordinate of their class with a trap bump of the group's hyperplane
    (1 on the group, 0 at every other point's current position); the head reads coordinate k:
    1 for pushed points (h_k >= 0), 0 otherwise.

    ``block_widths`` d_1..d_{L-1} (sum meeting the theorem's bound, met exactly): several whole
    groups per block, or, when that does not fit, runs of consecutive blocks holding one group
    each with pushes orthogonal to its normal and a 1-D readout (the narrow variant, dx >= 2);
    other splits are refused naming a block (:func:`thm41_layout`).  ``head_width`` d_L pads the
    head with dead nodes.
    """
    from ..network import Layer, Network

    if activation not in ACTIVATIONS:
        raise ConstructionError(f"unknown activation {activation!r} (choose relu or hardtanh)")
    if ds.task != "classification":
        raise DataError("Theorem 4.1 is about class labels 1..C (one-hot outputs); this dataset has real labels")
    n, dx, C = ds.n, ds.d, ds.classes
    if dx < C:
        raise ConstructionError(f"Theorem 4.1 needs dx >= dy: dx = {dx} < dy = {C} classes")
    relu = activation == "relu"
    per = len(THM41_BUMPS[activation][0])            # bump nodes per group; the theorem's 4 (ReLU) or 2
    k_head = 2 if relu else 1
    groups = []
    for k in range(C):
        idx = [i for i in range(n) if ds.labels[i] == k + 1]
        groups += [(k, idx[j:j + dx]) for j in range(0, len(idx), dx)]
    G = len(groups)
    if head_width is not None and head_width < k_head * C:
        raise ConstructionError(f"head width d_L = {head_width} inadmissible for {activation}: Theorem 4.1 needs "
                                f"d_L >= {'2dy' if relu else 'dy'} = {k_head * C}")
    if block_widths is None:
        widths = [per] * G
        readout, segments = "coordinate", [("block", [g], 1) for g in range(G)]
    else:
        widths = list(block_widths)
        if not widths or any(not isinstance(v, int) or v < 1 for v in widths):
            raise ConstructionError(f"--block-widths needs one width >= 1 per residual block, got {widths}")
        if dx * sum(widths) < per * n + per * C * dx:
            raise ConstructionError(
                f"block widths {widths} inadmissible for {activation}: Theorem 4.1 needs sum d_l >= {per}N/dx + "
                f"{per}dy, but dx*sum d_l = {dx}*{sum(widths)} = {dx * sum(widths)} < {per}N + {per}dy*dx = "
                f"{per * n + per * C * dx}")
        readout, segments = thm41_layout(widths, G, per, dx)
    seg_of, parts = _thm41_place(segments, widths, G, per)
    X = [list(p) for p in ds.points]
    if readout == "coordinate":
        blocks, extra = _thm41_coordinate(X, groups, C, widths, parts, activation)
        hw, hb, ho, hc = _thm41_coordinate_head(C, dx, activation)
    else:
        blocks, (w, T), extra = _thm41_line(X, groups, C, widths, seg_of, parts, activation)
        hw, hb, ho, hc = _thm41_line_head(C, w, T, activation)
    dead = (head_width or len(hb)) - len(hb)          # the head padded to d_L with dead nodes
    hw, hb = hw + [[Fraction(0)] * dx] * dead, hb + [Fraction(0)] * dead
    ho = [row + [Fraction(0)] * dead for row in ho]
    head = Layer.from_rationals(hw, hb, activation)
    out = Layer.from_rationals(ho, hc, "identity")
    net = Network(dx, tuple(blocks) + (head, out))
    name = "ReLU" if relu else "hard-tanh"
    src = f"YSJ19 Thm 4.1 ({name} ResNet)"
    act_var = "relu_hidden" if relu else "hardtanh_hidden"
    dy_head = "2 * dy" if relu else "dy"
    claims = [
        DISTINCT,
        Claim(activation, f"{act_var} == 1", src + f": {name} hidden nodes"),
        Claim("dx-ge-dy", "d >= dy", src + ": requires dx >= dy"),
    ]
    if block_widths is None:
        claims.append(Claim("residual-nodes", f"d * residual_hidden <= {per} * N + {per} * dy * d",
                            src + f": residual hidden nodes within the theorem's {per}N/dx + {per}dy"))
    else:
        claims.append(Claim("residual-nodes", f"d * residual_hidden >= {per} * N + {per} * dy * d",
                            src + f": the residual blocks have sum d_l >= {per}N/dx + {per}dy"))
    claims.append(Claim("head", f"d{len(blocks) + 1} >= {dy_head}",
                        src + f": final block d_L >= {dy_head.replace(' * ', '')}"))
    if block_widths is None and head_width is None:
        claims.append(Claim("total", f"d * hidden_neurons <= {per} * N + {per + k_head} * dy * d",
                            src + f": {per}N/dx + {per + k_head}dy hidden nodes in all"))
    claims.append(Claim("labels", "one_hot_labels == 1", src + ": one-hot labels"))
    info = {"groups": G, "residual_blocks": len(blocks)}
    info.update(extra)
    info["general_position"] = "construction-level test passed (docs/ysj19.md)"
    params = {}
    if block_widths is not None or head_width is not None or not relu:
        params["activation"] = activation
        info["readout"] = ("coordinate: h_k for class k" if readout == "coordinate"
                           else "line: t = w.h, class k for t in [T_k, T_(k+1) - 1]")
        info["layout"] = [{"blocks": [b + 1 for b in blks], "groups": sum(1 for s in seg_of if s == si)}
                          for si, (_, blks, _) in enumerate(segments) if si in set(seg_of)]
    if block_widths is not None:
        params["block_widths"] = list(block_widths)
    if head_width is not None:
        params["head_width"] = head_width
    built = Built(net, claims, params, info)
    built.dataset = ds.one_hot()
    return built
