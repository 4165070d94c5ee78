"""Vardi, Yehudai, Shamir (ICLR 2022; arXiv 2110.03187), "On the Optimal Memorization Power of
ReLU Neural Networks": O~(sqrt N) parameters through bit extraction, and the depth-L version.

The paper's body was not available, so the layout is our own reconstruction from its statement;
``docs/vys21.md`` explains it.  Three stages: (I) one neuron projects the data to a
line with gaps >= 2 (:mod:`.stage_one`, shared with YY26); (II) a lookup finds the point's block and outputs two big integers that
encode the block's keys and labels; (III) the keys and labels are bit-extracted one slot at a
time, each key is compared with the projection, and the matching label is output.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..data import Dataset
from ..errors import ConstructionError, InternalError
from ..gadgets import (Expr, RegisterNet, bit_test, gate, lookup_parallel, lookup_sequential, step_value,
                       window, window_value)
from ..rational import ceil_div
from . import DISTINCT, Built, Claim, network_from_rational_layers
from .stage_one import (class_labels, input_net, key_bits, projection, stage1_projection,
                        stage1_summary)


# ---------------------------------------------------------------------------------------------
# Shared pieces of Constructions A and B

def default_block_size(n: int) -> int:
    """Smallest s >= 1 with N^(s^2) >= 2^N, i.e. ceil(sqrt(N / log2 N)), exactly (1 for N = 1)."""
    if n == 1:
        return 1
    s = 1
    while n ** (s * s) < 2 ** n:
        s += 1
    return s


def _blocks(z, labels, s):
    """Sorted keys/labels cut into blocks of s, the last padded with (key 0, label 0)."""
    order = sorted(range(len(z)), key=z.__getitem__)
    keys = [math.floor(z[i]) for i in order]
    labs = [labels[i] for i in order]
    m = ceil_div(len(z), s)
    pad = m * s - len(z)
    keys_p, labs_p = keys + [0] * pad, labs + [0] * pad
    blocks = [(keys_p[j * s:(j + 1) * s], labs_p[j * s:(j + 1) * s]) for j in range(m)]
    thresholds = [keys[j * s] for j in range(1, m)]          # key of each block's first point
    return blocks, thresholds, m


def _encode(fields, width):
    """MSB-first fixed-length packing: field k (1-based) sits at bits width*(s-k)."""
    s = len(fields)
    return sum(v << (width * (s - k)) for k, v in enumerate(fields, 1))


def _stage3(net: RegisterNet, s, rho, lam, T, C):
    """s rounds of T + 2 layers: extract a key and a label per round, compare, gate, accumulate."""
    v = net.value
    for k in range(1, s + 1):
        P, Q = (s - k + 1) * rho, (s - k + 1) * lam
        last = k == s
        # A_1
        layer = {"z": v("z"), "U": v("U"), "W": v("W")}
        if net.has("q"):
            layer["y"] = (v("y") if net.has("y") else Expr()) + v("q")
        layer.update(bit_test(v("U"), P - 1, "su"))
        layer.update(bit_test(v("W"), Q - 1, "sw"))
        net.add_layer(layer)
        # A_2 .. A_T, then B (t = T + 1): one key bit and one label bit per layer, pipelined.
        for t in range(2, T + 2):
            U, W = v("U"), v("W")
            a = v("a") if net.has("a") else Expr()
            lab = v("l") if net.has("l") else Expr()
            if t - 1 <= rho:
                bu = step_value(net, "su")
                U, a = U - 2 ** (P - t + 1) * bu, 2 * a + bu
            if t - 1 <= lam:
                bw = step_value(net, "sw")
                W, lab = W - 2 ** (Q - t + 1) * bw, 2 * lab + bw
            layer = {"z": v("z"), "U": U, "W": W}
            if net.has("y"):
                layer["y"] = v("y")
            if t <= T:
                layer.update({"a": a, "l": lab})
                if t <= rho:
                    layer.update(bit_test(U, P - t, "su"))
                if t <= lam:
                    layer.update(bit_test(W, Q - t, "sw"))
            else:                                   # B: a* is linear, read straight into the window
                layer["l"] = lab
                layer.update(window(v("z"), a, "m"))
            net.add_layer(layer)
        # C
        q = gate(v("l"), window_value(net, "m"), C)
        layer = {} if last else {"z": v("z"), "U": v("U"), "W": v("W")}
        if net.has("y"):
            layer["y"] = v("y")
        layer["q"] = q
        net.add_layer(layer)


def _prepare(ds: Dataset, seed: int, direction=None):
    labels, C = class_labels(ds)
    w, b, z, rec = stage1_projection(ds, seed, direction)
    rho = key_bits([math.floor(v) for v in z])
    lam = C.bit_length()
    return labels, C, w, b, z, rec, rho, lam, max(rho, lam)


def _reference(n: int, C: int, R_lo: Fraction) -> dict:
    """Theorem reference values, informative, as 6-digit decimal strings (mpmath, never floats)."""
    import mpmath

    with mpmath.workdps(30):
        log2N = mpmath.log(n, 2) if n > 1 else mpmath.mpf(1)
        big = max(mpmath.log(mpmath.mpf(R_lo.numerator) / R_lo.denominator, 2) if R_lo > 1 else 0,
                  mpmath.log(C, 2) if C > 1 else 0)
        D1 = mpmath.sqrt(n * log2N) + mpmath.sqrt(n / log2N) * big
        B1 = mpmath.sqrt(n / log2N) * big
        return {"D1": mpmath.nstr(D1, 6), "bits_reference": mpmath.nstr(B1, 6),
                "formula": "D1 = sqrt(N log2 N) + sqrt(N / log2 N) * max(log2 R, log2 C); "
                           "bits_reference = sqrt(N / log2 N) * max(log2 R, log2 C); R at its lower bound"}


def _with_ratios(info: dict, network) -> dict:
    """Measured / reference ratios (informative decimal strings)."""
    import mpmath

    ref = info["reference"]
    with mpmath.workdps(30):
        D1, B1 = mpmath.mpf(ref["D1"]), mpmath.mpf(ref["bits_reference"])
        ref["depth_over_D1"] = mpmath.nstr(network.depth / D1, 4)
        if B1 > 0:
            ref["stage23_bits_over_reference"] = mpmath.nstr((max(network.sizes()["layer_bits"][1:]) - 1) / B1, 4)
    return info


def _info(rec, rho, lam, T, s, m, n, C):
    R_lo = rec["R_lower"]
    log2R = R_lo.numerator.bit_length() - R_lo.denominator.bit_length()    # within 1 of log2 R_lo
    return {
        "reference": _reference(n, C, R_lo),
        "stage1": stage1_summary(rec),
        "rho": rho, "rho_theorem": math.floor(R_lo).bit_length(), "lambda": lam, "T": T, "s": s, "m": m,
        "log2_R_approx": log2R, "N": n, "C": C,
    }


# ---------------------------------------------------------------------------------------------
# Theorem 3.1 (Construction A)

def theorem_3_1(ds: Dataset, block_size: int | None = None, seed: int = 0, direction=None) -> Built:
    """Memorize N points of C classes with a width-12 network of depth O~(sqrt N).

    Vardi, Yehudai, Shamir 2021, Theorem 3.1 [1]_: a ReLU network of width 12 and depth
    O(sqrt(N log N) + sqrt(N / log N) * max(log R, log C)), R = 10 r N^2 sqrt(pi d) / delta,
    memorizes N points with labels in [C].

    Met with width <= 10 (claimed <= 12) and depth exactly m + s(T+2) + 2, where s is the block
    size, m = ceil(N / s) blocks, T = max(rho, lambda), rho = bit length of the largest key,
    lambda = bit_length(C).  Stage I (:mod:`.stage_one`) projects the points to keys >= 2 apart;
    Stage II looks up the point's block, one threshold per layer, and outputs two integers
    packing the block's keys and labels; Stage III extracts them bit by bit, compares each key
    with the projection and outputs the matching label.  Stage II-III weights are integers of
    bit length max(s rho, s lambda).

    Parameters
    ----------
    ds : Dataset
        N distinct points with class labels 1..C.
    block_size : int, optional
        Points per block s >= 1.  Default: ceil(sqrt(N / log2 N)), computed exactly
        (:func:`default_block_size`).
    seed : int, default 0
        Seed of Stage I's integer-only direction draws.
    direction : sequence of int, optional
        A direction in Z^d tried first by Stage I.

    Returns
    -------
    Built
        The network and its claims: width <= 12, the layout's exact depth, the bit length of
        the Stage II-III weights, and the counting bound (B+1) W >= N log2 C.

    Raises
    ------
    DataError
        If the dataset has real labels or two points coincide.
    ConstructionError
        If ``block_size`` < 1, ``direction`` is not d integers, or Stage I finds no direction
        keeping the range below R within its draws.

    References
    ----------
    .. [1] G. Vardi, G. Yehudai, O. Shamir, "On the Optimal Memorization Power of ReLU Neural
       Networks", ICLR 2022 (arXiv 2110.03187), Theorem 3.1.
    """
    labels, C, w, b, z, rec, rho, lam, T = _prepare(ds, seed, direction)
    n = ds.n
    s = default_block_size(n) if block_size is None else block_size
    if s < 1:
        raise ConstructionError(f"block size must be >= 1, got {s}")
    blocks, thresholds, m = _blocks(z, labels, s)
    u = [_encode(keys, rho) for keys, _ in blocks]
    wl = [_encode(labs, lam) for _, labs in blocks]

    net = _stage1_net(ds.d, w, b)
    v = net.value
    # Stage II, sequential lookup: one threshold per layer, width 5.
    lookup_sequential(net, "z", thresholds, {"U": u, "W": wl})
    _stage3(net, s, rho, lam, T, C)
    out = (v("y") if net.has("y") else Expr()) + v("q")
    network = network_from_rational_layers(ds.d, net.output([out]))
    if network.width > 12:
        raise InternalError(f"VYS21 layout produced width {network.width} > 12")
    src = "VYS21 Thm 3.1"
    claims = [
        DISTINCT,
        Claim("width", "width <= 12", src + ": width 12"),
        Claim("depth-layout", f"depth == {m} + {s} * ({T} + 2) + 2",
              src + f": our layout m + s(T+2) + 2 with m={m}, s={s}, T={T} (declared, see info)"),
        _bits_claim(s, rho, lam, src),
        _counting_claim(),
    ]
    info = _with_ratios(_info(rec, rho, lam, T, s, m, n, C), network)
    params = {"block_size": block_size, "seed": seed, "direction": direction}
    return Built(network, claims, params, info)


def _stage1_net(d, w, b) -> RegisterNet:
    net = input_net(d)
    net.add_layer({"z": projection(net, w, b)})                             # Stage I
    return net


def _bits_claim(s, rho, lam, src) -> Claim:
    # Our bit convention charges an integer bitlen|n| + 1 (its denominator 1 costs a bit).
    return Claim("bits-stage2-3", f"bits_after_first == {max(s * rho, s * lam, 2)} + 1",
                 src + f": Stage II-III weights are integers of max(s*rho, s*lambda, 2) bits, "
                       f"s={s}, rho={rho}, lambda={lam} (declared); +1 for the denominator")


def _counting_claim() -> Claim:
    return Claim("counting", "(bit_complexity + 1) * params_dense >= N * log2_classes_floor",
                 "VYS21 counting bound (B+1) W >= N log2 C (sanity; floor of log2 C)")


# ---------------------------------------------------------------------------------------------
# Bounded depth (Construction B)

def depth_A(n: int, T: int, s: int | None = None) -> int:
    s = default_block_size(n) if s is None else s
    return ceil_div(n, s) + s * (T + 2) + 2


def theorem_depth(ds: Dataset, depth: int = 3, seed: int = 0, direction=None) -> Built:
    """Memorize N points of C classes within a depth budget L, with O~(N / L) parameters.

    Vardi, Yehudai, Shamir 2021 [1]_, the bounded-depth version of Theorem 3.1: for a depth
    budget L, a ReLU network of depth <= L memorizing N points with labels in [C] with
    O~(N / L) parameters.

    Our layout (docs/vys21.md): blocks of s = min(N, floor((L - 4)/(T + 2))) points, a
    *parallel* Stage II (one wide step layer) and Stage III as in Construction A: depth
    s(T+2) + 4 <= L, bit complexity max(s rho, s lambda) < L.  For s <= 1 the direct network
    (depth 3, or 2 with the projection folded into the steps) is used; when L is at least
    Construction A's own depth (:func:`depth_A`), Construction A is returned.

    Parameters
    ----------
    ds : Dataset
        N distinct points with class labels 1..C.
    depth : int, default 3
        The depth budget L >= 2.
    seed : int, default 0
        Seed of Stage I's integer-only direction draws.
    direction : sequence of int, optional
        A direction in Z^d tried first by Stage I.

    Returns
    -------
    Built
        The network and its claims: depth <= L, the layout's exact depth, the bit length of
        the Stage II-III weights (block layout), and the counting bound.

    Raises
    ------
    DataError
        If the dataset has real labels or two points coincide.
    ConstructionError
        If L < 2, ``direction`` is not d integers, or Stage I finds no direction.

    References
    ----------
    .. [1] G. Vardi, G. Yehudai, O. Shamir, "On the Optimal Memorization Power of ReLU Neural
       Networks", ICLR 2022 (arXiv 2110.03187).
    """
    L = depth
    if L < 2:
        raise ConstructionError(f"depth budget L = {L} is too small: no network of depth < 2 memorizes in general "
                                "(the smallest layout here has depth 2)")
    labels, C, w, b, z, rec, rho, lam, T = _prepare(ds, seed, direction)
    n = ds.n
    if L >= depth_A(n, T):
        built = theorem_3_1(ds, seed=seed, direction=direction)
        built.params.update({"depth": L, "layout": "A"})
        built.claims.append(Claim("depth-budget", f"depth <= {L}", f"VYS21 bounded depth: depth <= L = {L}"))
        return built
    s = min(n, (L - 4) // (T + 2)) if L >= 4 else 0
    src = "VYS21 bounded depth"
    if s >= 2:
        blocks, thresholds, m = _blocks(z, labels, s)
        u = [_encode(keys, rho) for keys, _ in blocks]
        wl = [_encode(labs, lam) for _, labs in blocks]
        net = _stage1_net(ds.d, w, b)
        v = net.value
        first, U_of = lookup_parallel(v("z"), thresholds, u, "h")
        net.add_layer({"z": v("z"), **first})
        W_of = lookup_parallel(v("z"), thresholds, wl, "h")[1]          # same step neurons
        net.add_layer({"z": v("z"), "U": U_of(net), "W": W_of(net)})
        _stage3(net, s, rho, lam, T, C)
        out = (v("y") if net.has("y") else Expr()) + v("q")
        layout, formula = "blocks", f"depth == {s} * ({T} + 2) + 4"
        claims_extra = [_bits_claim(s, rho, lam, src)]
    else:
        order = sorted(range(n), key=z.__getitem__)
        keys = [math.floor(z[i]) for i in order]
        labs = [labels[i] for i in order]
        m = n
        net = input_net(ds.d)
        proj = projection(net, w, b)
        if L >= 3:
            net.add_layer({"z": proj})
            zexpr = net.value("z")
        else:
            zexpr = proj                                                # L = 2: fold Stage I
        steps, label_of = lookup_parallel(zexpr, keys[1:], labs, "h")    # one step pair per key after the first
        net.add_layer(steps or {"z0": zexpr})                           # N = 1: carry z (>= 0)
        out = label_of(net)
        layout, formula = ("direct", "depth == 3") if L >= 3 else ("direct-folded", "depth == 2")
        claims_extra = []
    network = network_from_rational_layers(ds.d, net.output([out]))
    claims = [DISTINCT,
              Claim("depth-budget", f"depth <= {L}", f"{src}: depth <= L = {L}"),
              Claim("depth-layout", formula, f"{src}: our {layout} layout (s={s}, T={T}, declared)"),
              *claims_extra, _counting_claim()]
    info = _with_ratios(_info(rec, rho, lam, T, max(s, 1), m, n, C), network)
    info.update({"layout": layout, "depth_A": depth_A(n, T),
                 "params_reference_N_T_over_L": str(Fraction(n * T, L))})
    return Built(network, claims, {"depth": L, "seed": seed, "direction": direction, "layout": layout}, info)
