"""Yun, Sra, Jadbabaie (2019), Corollary 4.2: one hidden layer memorizes N points in general
position with about N/dx + dy bumps.

Each class-pure group of at most dx points spans a hyperplane that misses every other point; a
trap bump of the distance to it lights up exactly the group, and the output layer routes it to
the group's class (:mod:`.groups`).
"""

from __future__ import annotations

from fractions import Fraction

from ...data import Dataset
from ...errors import ConstructionError, DataError, InternalError
from ...gadgets import trap_bump_units, zero_rows
from ...rational import ceil_div, encode_rat
from .. import DISTINCT, Built, Claim, network_from_rational_layers
from .groups import class_groups, margin_from_offsets
from .h3 import check_activation


def corollary_4_2(ds: Dataset, widths=None, activation: str = "relu") -> Built:
    """Memorize N points of dy classes in general position with one hidden layer.

    Yun, Sra, Jadbabaie 2019, Corollary 4.2 [1]_: for N points in general position (every set
    of at most dx + 1 points affinely independent) with one-hot labels of dy classes, a 2-layer
    network memorizes them when

    * hard-tanh: d1 >= 2N/dx + 2dy, or
    * ReLU:      d1 >= 4N/dx + 4dy.

    Met exactly: the points of each class are cut into groups of dx (:mod:`.groups`); a
    hyperplane through a group misses every other point (exact rational linear algebra); a
    trap bump of that hyperplane's distance (:func:`exactmem.gadgets.trap_bump_units`: 4 ReLUs
    or 2 hard-tanh units) is 1 on the group and 0 at every other point, and feeds the output of
    the group's class.  sum_k ceil(n_k/dx) groups <= N/dx + dy.

    Parameters
    ----------
    ds : Dataset
        N distinct points in general position with class labels 1..C (C = dy).
    widths : sequence of one int, optional
        The hidden width (d1,).  Default: the least width the corollary admits,
        ceil(k N / dx) + k dy with k = 4 (ReLU) or 2 (hard-tanh).
    activation : {"relu", "hardtanh"}, default "relu"
        Activation of the hidden layer.

    Returns
    -------
    Built
        The network (its ``dataset`` the one-hot re-encoding) and its claims: depth 2, the
        activation, dx d1 >= k N + k dy dx, one-hot labels.

    Raises
    ------
    DataError
        If the dataset has real labels, or (from the hyperplane search) some at most dx + 1
        points are affinely dependent, named by row.
    ConstructionError
        If the activation is unknown, ``widths`` is not one positive integer, or d1 is too small.

    References
    ----------
    .. [1] C. Yun, S. Sra, A. Jadbabaie, "Small ReLU networks are powerful memorizers: a tight
       analysis of memorization capacity", NeurIPS 2019, Corollary 4.2.
    """
    from ...geometry import separating_hyperplanes     # python-flint, loaded on first use

    check_activation(activation)
    if ds.task != "classification":
        raise DataError("Corollary 4.2 is about class labels 1..C (one-hot outputs); this dataset has real labels")
    n, dx, C = ds.n, ds.d, ds.classes
    if widths is not None and (len(widths) != 1 or widths[0] < 1):
        raise ConstructionError(f"Corollary 4.2 has one hidden layer: --widths d1, got {list(widths)}")
    width = widths[0] if widths else None
    per = 4 if activation == "relu" else 2
    groups = class_groups(ds.labels, C, dx)
    need = per * len(groups)
    k2 = 2 if activation == "hardtanh" else 4
    rule = "user"
    if width is None:      # the least width the corollary admits: ceil(k N / dx) + k dy
        width, rule = ceil_div(k2 * n + k2 * C * dx, dx), "default (least admissible)"
    if dx * width < k2 * n + k2 * C * dx:
        raise ConstructionError(f"width d1 = {width} inadmissible for {activation}: need d1 >= {k2}N/dx + {k2}dy, "
                                f"i.e. dx*d1 = {dx * width} >= {k2 * n + k2 * C * dx}")
    if width < need:      # cannot happen when the inequality holds: sum ceil(n_k/dx) <= N/dx + dy
        raise InternalError(f"{need} units needed, width {width}")
    W1, b1, W2 = [], [], [[] for _ in range(C)]
    margins = []
    planes = separating_hyperplanes(ds.points, [group for _, group in groups])    # one at a time, in order
    for (k, group), (a, c, offsets) in zip(groups, planes):
        m, K = margin_from_offsets(offsets, set(group))     # K * m >= 2: the bump vanishes off the group
        K = Fraction(K)
        margins.append(m)
        for row, bias, w in trap_bump_units([K * v for v in a], K * c, activation):
            W1.append(row)
            b1.append(bias)
            for cls in range(C):
                W2[cls].append(Fraction(w) if cls == k else Fraction(0))
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
            "min_margin": encode_rat(min(margins)) if margins else None}     # hex past 2^53: no str() limit
    built = Built(net, claims, {"activation": activation, "widths": [width]}, info)
    built.dataset = ds.one_hot()
    return built
