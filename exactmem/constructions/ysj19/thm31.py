"""Yun, Sra, Jadbabaie (2019), Theorem 3.1 and Proposition 3.2: networks of depth 3 and 4 that
memorize N points exactly.

* Theorem 3.1 (regression, labels in [-1, 1]^dy): project the points to a line, then one H3
  block (:mod:`.h3`): a layer of ramps, one per cell of consecutive points, and a layer of
  zig-zag units that hit one point per cell.  The hard-tanh network is the block itself; the
  ReLU network is the block at half the widths, each hard-tanh unit written as two ReLUs.
* Proposition 3.2 (classification, 4 layers): the same block fits a class code gamma_j in
  [-1, 1] per class; a third hidden layer of C - 1 hard-tanh steps reads the code back into
  "class >= j" bits, and the output layer turns them into a one-hot vector (or the class).
"""

from __future__ import annotations

from fractions import Fraction

from ...data import Dataset
from ...errors import ConstructionError, DataError
from ...gadgets import hardtanh_to_relu, zero_rows
from ...rational import ceil_div
from .. import DISTINCT, UNIT_LABELS, Built, Claim, network_from_rational_layers, require_unit_labels
from .h3 import check_activation, h3_core, sorted_projection

# ---------------------------------------------------------------------------------------------
# Width rules

def thm31_lhs(d1: int, d2: int, dy: int, activation: str) -> int:
    """Left side of Theorem 3.1's inequality (the right side is N)."""
    if activation == "hardtanh":
        return 4 * (d1 // 2) * (d2 // (2 * dy))
    return 4 * (d1 // 4) * (d2 // (4 * dy))


def thm31_statement(activation: str) -> str:
    """Theorem 3.1's width condition as a certificate claim statement."""
    if activation == "hardtanh":
        return "4 * (d1 // 2) * (d2 // (2 * dy)) >= N"
    return "4 * (d1 // 4) * (d2 // (4 * dy)) >= N"


def default_widths(n: int, dx: int, dy: int, activation: str = "relu") -> tuple[int, int]:
    """Admissible (d1, d2) with the fewest hidden nodes.

    Hard-tanh: d1 = 2p, d2 = 2dy*q with p*q >= ceil(N/4), minimizing d1 + d2, then the dense
    parameter count, then d1 (fewer cells, fewer bits).  ReLU: twice the hard-tanh default.
    """
    m = ceil_div(n, 4)
    best = None
    for p in range(1, m + 1):
        q = ceil_div(m, p)
        d1, d2 = 2 * p, 2 * dy * q
        dense = (dx + 1) * d1 + (d1 + 1) * d2 + (d2 + 1) * dy
        key = (d1 + d2, dense, d1)
        if best is None or key < best[0]:
            best = (key, (d1, d2))
    d1, d2 = best[1]
    return (d1, d2) if activation == "hardtanh" else (2 * d1, 2 * d2)


# ---------------------------------------------------------------------------------------------
# Theorem 3.1

def theorem_3_1(ds: Dataset, widths=None, activation: str = "relu") -> Built:
    """Memorize N real-labelled points with a 3-layer network of hidden widths (d1, d2).

    Yun, Sra, Jadbabaie 2019, Theorem 3.1 [1]_: a 3-layer network memorizes N points with
    labels in [-1, 1]^dy whenever

    * hard-tanh:  4 floor(d1/2) floor(d2/(2 dy)) >= N, or
    * ReLU:       4 floor(d1/4) floor(d2/(4 dy)) >= N.

    The bound is met exactly, tight cases included: the hard-tanh core (:mod:`.h3`) needs only
    d1 * 2 floor(d2/(2dy)) >= N, and the ReLU network is the core at widths
    (floor(d1/2), floor(d2/2)) converted with hardtanh(a) = ReLU(a+1) - ReLU(a-1) - 1.  Depth 3,
    hidden widths exactly (d1, d2).

    Parameters
    ----------
    ds : Dataset
        N distinct points with regression labels in [-1, 1]^dy.
    widths : pair of int, optional
        Hidden widths (d1, d2) meeting the inequality above.  Default: the admissible pair with
        the fewest hidden nodes (:func:`default_widths`).
    activation : {"relu", "hardtanh"}, default "relu"
        Activation of both hidden layers.

    Returns
    -------
    Built
        The network and its claims: distinct points, labels in the unit box, depth 3, the
        activation, and the width condition as an integer inequality over d1, d2, dy, N.

    Raises
    ------
    DataError
        If the dataset has class labels, or a label outside [-1, 1] (Assumption 3.1).
    ConstructionError
        If the activation is unknown, ``widths`` is not two positive integers, or the widths
        fail the inequality.

    References
    ----------
    .. [1] C. Yun, S. Sra, A. Jadbabaie, "Small ReLU networks are powerful memorizers: a tight
       analysis of memorization capacity", NeurIPS 2019, Theorem 3.1.
    """
    check_activation(activation)
    if ds.task != "regression":
        raise DataError("Theorem 3.1 memorizes real labels in [-1,1]^dy; this dataset has class labels "
                        "(use regression labels, or zhang17)")
    require_unit_labels(ds, "Theorem 3.1")
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
    T, u, t_sorted, y_sorted = sorted_projection(ds.points, ds.targets())
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
    """Memorize N points of C classes with a 4-layer network of hidden widths (d1, d2, d3).

    Yun, Sra, Jadbabaie 2019, Proposition 3.2 [1]_: a 4-layer network memorizes N points with
    one-hot labels of C classes whenever

    * hard-tanh:  4 floor(d1/2) floor(d2/2) >= N  and  d3 >= 2C, or
    * ReLU:       4 floor(d1/4) floor(d2/4) >= N  and  d3 >= 4C.

    Met exactly (tight cases included): layers 1-2 are the Theorem 3.1 core (dy = 1) fitting the
    class codes gamma_j = -1 + 2(j-1)/(C-1); layer 3 has C - 1 hard-tanh steps
    g_j = hardtanh((C-1) U + 3 - 2j) (U = sum of the core's layer-2 units), so g_j = +1 iff the
    class is >= j; the output decodes e_j = (g_j - g_{j+1})/2.  ReLU: the hard-tanh network at
    half the widths, converted.

    Parameters
    ----------
    ds : Dataset
        N distinct points with class labels 1..C.
    widths : triple of int, optional
        Hidden widths (d1, d2, d3) meeting the conditions above.  Default: Theorem 3.1's
        default for dy = 1, and d3 = 2C (4C for ReLU).
    activation : {"relu", "hardtanh"}, default "relu"
        Activation of the three hidden layers.
    output : {"onehot", "class"}, default "onehot"
        One-hot outputs (the proposition's), or one output equal to the class number 1..C.

    Returns
    -------
    Built
        The network and its claims (depth 4, the activation, both width conditions, one-hot
        labels); for ``output="onehot"`` its ``dataset`` is the one-hot re-encoding.

    Raises
    ------
    DataError
        If the dataset has real labels.
    ConstructionError
        If the activation or output mode is unknown, or the widths fail the conditions.

    References
    ----------
    .. [1] C. Yun, S. Sra, A. Jadbabaie, "Small ReLU networks are powerful memorizers: a tight
       analysis of memorization capacity", NeurIPS 2019, Proposition 3.2.
    """
    check_activation(activation)
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
    gamma = _class_gammas(C)
    T, u, t_sorted, y_sorted = sorted_projection(ds.points, [(gamma[label],) for label in ds.labels])
    core, info = h3_core(t_sorted, y_sorted, u, e1, e2, 1)
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
