"""Yun, Sra, Jadbabaie (2019), Proposition 3.4: memorization by deep and/or narrow networks.

The sorted projections are cut into m consecutive runs, one per H3 block (:mod:`.h3`).  Block j
occupies the hidden layers l_j and l_j + 1; its ramps read the projection t, its pair units add
its run's labels and output 0 at every point outside the run (the outer knots are midpoints to
the neighbouring points).  Between blocks, narrow carries pass along t (rescaled to [0, 1], so a
hard-tanh unit is the identity on it) and the partial outputs Q_o (halved, in [0, 1] for the
same reason).  The width conditions of the proposition are exactly the room these carries need.
"""

from __future__ import annotations

from fractions import Fraction

from ...data import Dataset
from ...errors import ConstructionError, DataError, InternalError
from ...gadgets import Expr, RegisterNet, hardtanh_to_relu
from .. import DISTINCT, UNIT_LABELS, Built, Claim, network_from_rational_layers, require_unit_labels
from .h3 import check_activation, h3_block, sorted_projection


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
    """Memorize N real-labelled points with a deep and/or narrow network of m H3 blocks.

    Yun, Sra, Jadbabaie 2019, Proposition 3.4 [1]_: an L-layer hard-tanh network with hidden
    widths d_1..d_{L-1} memorizes N points with labels in [-1,1]^dy if there are indices
    l_1 < ... < l_m in [L-2] with l_j + 1 < l_(j+1) and

      4 sum_j floor((d_{l_j} - r_j)/2) floor((d_{l_j+1} - r_j)/(2 dy)) >= N,
      r_j = dy [j > 1] + [j < m],  d_k >= dy + 1 between blocks,  d_k >= dy after the last,

    (and, implicit in the paper, d_{l_j}, d_{l_j+1} >= r_j).  Met exactly: block j is a
    Theorem 3.1 core (:mod:`.h3`) on a run of consecutive projected points that outputs 0
    elsewhere; a t-carry and dy Q-carries (the r_j extra nodes) pass the input and the partial
    output along.  ReLU: the hard-tanh conditions on floor(d_k / 2), built at those widths and
    converted.

    Parameters
    ----------
    ds : Dataset
        N distinct points with regression labels in [-1, 1]^dy.
    widths : sequence of int
        Hidden widths d_1..d_{L-1} (at least two; required).
    blocks : sequence of int, optional
        The 1-based block indices l_1..l_m.  Default: the admissible placement of largest
        capacity (:func:`choose_blocks`).
    activation : {"hardtanh", "relu"}, default "hardtanh"
        Activation of the hidden layers.

    Returns
    -------
    Built
        The network and its claims: depth L, the activation, the capacity sum over the declared
        blocks, room for the carried registers in every block, and the carry widths between
        and after the blocks.

    Raises
    ------
    DataError
        If the dataset has class labels, or a label outside [-1, 1] (Assumption 3.1).
    ConstructionError
        If the activation is unknown, ``widths`` is missing or has fewer than two positive
        entries, no placement is admissible, or the given ``blocks`` fail a condition
        (:func:`prop34_violation` names it).

    References
    ----------
    .. [1] C. Yun, S. Sra, A. Jadbabaie, "Small ReLU networks are powerful memorizers: a tight
       analysis of memorization capacity", NeurIPS 2019, Proposition 3.4.
    """
    check_activation(activation)
    if ds.task != "regression":
        raise DataError("Proposition 3.4 memorizes real labels in [-1,1]^dy; this dataset has class labels")
    require_unit_labels(ds, "Proposition 3.4")
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
    T, u, ts, ys = sorted_projection(ds.points, ds.targets())
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
