"""Our Theorem R1 for Yang & Yang (2026): the construction ``yy26`` (docs/yy26.md).

:func:`theorem_r1` plans the layout (:mod:`.planner`), builds it (:mod:`.layouts`) and states
its claims: the width and depth targets, the layout's exact formulas, the proved bounds R1.1 and
R1.2, and integer brackets of log2(1/delta) and of W^2 L^2 / (N log2(1/delta)) over the
checker's own exact minimum distance.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ...data import Dataset
from ...errors import ConstructionError, InternalError
from ...rational import ceil_div
from .. import DISTINCT, Built, Claim
from ..stage_one import class_labels, key_bits, stage1_projection, stage1_summary
from .layouts import build_depth2, build_mode_d, build_mode_s
from .lower_bound import lower_bound_report
from .planner import Plan, ceil_sqrt, min_width, plan, plan_d, plan_s, width_for_depth

SRC = "YY26"
MAX_STATEMENT = 500          # docs/certificate-format.md section 13


# ---------------------------------------------------------------------------------------------
# Claims about delta (integer brackets over the checker's own min_sq_dist_num / _den)

def log2_inv_delta_floor(min_sq: Fraction) -> int:
    """k = floor(log2(1/delta)) for delta^2 = min_sq > 0, exactly: 4^k <= 1/delta^2 < 4^(k+1)."""
    a, b = min_sq.numerator, min_sq.denominator           # delta^2 = a / b
    k = (b.bit_length() - a.bit_length()) // 2
    while _le_pow4(a, b, k + 1):
        k += 1
    while not _le_pow4(a, b, k):
        k -= 1
    return k


def _le_pow4(a, b, k):          # a * 4^k <= b, for any integer k
    return a << (2 * k) <= b if k >= 0 else a <= b << (-2 * k)


def delta_claims(min_sq: Fraction, k: int) -> list:
    num, den = "min_sq_dist_num", "min_sq_dist_den"
    if k >= 0:
        lo = f"{num} * {4 ** k} <= {den}"
        hi = f"{num} * {4 ** (k + 1)} > {den}"
    else:
        lo = f"{num} <= {den} * {4 ** (-k)}"
        hi = f"{num} > {den} * {4 ** (-k - 1)}"
    src = "exact minimum squared distance delta^2 = min_sq_dist_num / min_sq_dist_den (checker-computed)"
    return [Claim("log2-inv-delta-lo", lo, f"delta <= 2^-{k}, i.e. log2(1/delta) >= {k}: N log2(1/delta) >= N*{k}; {src}"),
            Claim("log2-inv-delta-hi", hi, f"delta > 2^-{k + 1}, i.e. log2(1/delta) < {k + 1}: "
                                           f"N log2(1/delta) < N*{k + 1}; {src}")]


def ratio_claims(wl2: int, n: int, k: int) -> list:
    """W^2 L^2 / (N log2(1/delta)) bracketed to hundredths with the bracket k <= log2(1/delta) < k+1."""
    out = []
    if k >= 1:
        q = ceil_div(100 * wl2, n * k)
        out.append(Claim("ratio-delta-upper", f"100 * width * width * depth * depth <= {q} * N * {k}",
                         f"W^2 L^2 / (N log2(1/delta)) <= {q}/100 (uses log2(1/delta) >= {k}, claim log2-inv-delta-lo)"))
    if k + 1 >= 1:
        q = ceil_div(100 * wl2, n * (k + 1)) - 1
        out.append(Claim("ratio-delta-lower", f"100 * width * width * depth * depth > {q} * N * {k + 1}",
                         f"W^2 L^2 / (N log2(1/delta)) > {q}/100 (uses log2(1/delta) < {k + 1}, claim log2-inv-delta-hi)"))
    return out


def _dec(x, digits=6) -> str:
    import mpmath
    return mpmath.nstr(x, digits)


def _log2_inv_delta(min_sq: Fraction):
    import mpmath
    return mpmath.log(mpmath.mpf(min_sq.denominator) / mpmath.mpf(min_sq.numerator), 2) / 2


# ---------------------------------------------------------------------------------------------
# The theorem

def theorem_r1(ds: Dataset, width: int | None = None, depth: int | None = None, seed: int = 0,
               direction=None) -> Built:
    """Memorize N delta-separated points of C classes at a target width or within a depth budget.

    Yang & Yang 2026 [1]_, main upper bound: ReLU networks of width W and depth L with
    W^2 L^2 = O(N log(1/delta)) memorize any N points of the unit ball with pairwise distance
    >= delta and labels in [C].  Built as our Theorem R1 (family YY-R, docs/yy26.md):

    width <= W and depth L(W) = min(L_D(W), L_S(W)), with L_D = nb + r(F+1) + 2 (Mode D) and
    L_S = G + 2 (Mode S, = 3 once W >= 2 ceil(sqrt N) - 1), F = rho + lambda = bits of a packed
    (key, label); proved bounds L < 2 sqrt(N(F+1)/(p b2)) + F + 4 with p = floor((W-2)/6),
    b2 = floor((W-1-p)/2) (W >= 8; so W^2 L^2 <= 160 N (F+1) when W(F+4) <= sqrt(N(F+1))), and
    L < 16 N / ((W-6)(W-5)) + 3 (W >= 7).  F + 1 <= log2(1/delta) + 2 log2 N + log2 C + log2(d)/2 + 7.2
    in the unit ball, and log2 N <= d (log2(1/delta) + 1.6) by packing: W^2 L^2 = O(N log(1/delta)) for
    fixed d and C.

    Parameters
    ----------
    ds : Dataset
        N distinct points with class labels 1..C.
    width : int, optional
        Target width W >= min(7, 2 ceil(sqrt N) - 1); with ``depth=2``, W >= max(1, 2(N - 1)).
    depth : int, optional
        Depth budget L >= 2.  At least one of ``width`` and ``depth`` is required: with W only,
        depth L(W); with L only, the least W with L(W) <= L; with both, L(W) <= L or a refusal.
        L = 2 gives the depth-2 member (width 2(N-1)).
    seed : int, default 0
        Seed of Stage I's integer-only direction draws (:mod:`.stage_one`).
    direction : sequence of int, optional
        A direction in Z^d tried first by Stage I.

    Returns
    -------
    Built
        The network and its claims: width <= W, depth <= L (when given), the layout's depth and
        width formulas, the proved bounds R1.1 / R1.2, integer brackets of log2(1/delta) and of
        W^2 L^2 / (N log2(1/delta)), and the counting bound.

    Raises
    ------
    DataError
        If the dataset has real labels or two points coincide.
    ConstructionError
        If neither ``width`` nor ``depth`` is given, either is not a positive integer, L = 1,
        W is below the minimum width, L(W) exceeds the budget, or Stage I finds no direction.

    References
    ----------
    .. [1] Yang, Yang, "Memorization capacity of deep ReLU neural networks characterized by
       width and depth", arXiv 2603.09589 (2026).
    """
    if width is None and depth is None:
        raise ConstructionError("yy26 needs a target --width W, a depth budget --depth L, or both")
    for name, val in (("width", width), ("depth", depth)):
        if val is not None and (not isinstance(val, int) or isinstance(val, bool) or val < 1):
            raise ConstructionError(f"yy26: {name} must be a positive integer, got {val!r}")
    labels, C = class_labels(ds, "yy26")
    n = ds.n
    if depth == 1:
        raise ConstructionError(
            "depth budget L = 1 is too small: a depth-1 network is affine; the least depth of this "
            f"family is 2 (one hidden layer of width {max(1, 2 * (n - 1))}), 3 from width "
            f"{2 * ceil_sqrt(n) - 1} on")
    if width is not None and depth != 2 and width < min_width(n):
        raise ConstructionError(
            f"width W = {width} is below the minimum width {min_width(n)} for N = {n} "
            f"(Mode S with G >= 2 groups needs W >= 7, Mode D W >= 8, depth 3 W >= 2*ceil(sqrt N) - 1 = "
            f"{2 * ceil_sqrt(n) - 1})")
    w, b, z, rec = stage1_projection(ds, seed, direction)
    order = sorted(range(n), key=z.__getitem__)
    pts = [(z[i], math.floor(z[i]), labels[i]) for i in order]
    rho = key_bits([q[1] for q in pts])
    lam = C.bit_length()
    F = rho + lam

    if depth == 2:
        w2 = max(1, 2 * (n - 1))
        if width is not None and width < w2:
            pl = plan(n, F, width)
            raise ConstructionError(
                f"depth budget L = 2 needs width >= 2(N-1) = {w2} (one hidden layer of N-1 step pairs); "
                + (f"at width W = {width} the least depth is {pl.depth}" if pl else
                   f"W = {width} is also below the minimum width {min_width(n)} of deeper layouts"))
        W = w2 if width is None else width
        pl = Plan("2", 2, w2, {})
    elif width is not None:
        W = width
        pl = plan(n, F, W)
        if depth is not None and pl.depth > depth:
            pd, ps = plan_d(n, F, W), plan_s(n, W)
            WL = width_for_depth(n, F, depth)
            raise ConstructionError(
                f"depth budget L = {depth} is below the minimum depth {pl.depth} at width W = {W} "
                f"(Mode D: {pd.depth if pd else 'needs W >= 8'}, Mode S: {ps.depth if ps else '-'}; "
                f"N = {n}, F = {F}); the least width with depth <= {depth} is {WL}")
    else:
        W = width_for_depth(n, F, depth)
        pl = plan(n, F, W)

    if pl.mode == "D":
        c = pl.cfg
        network = build_mode_d(ds.d, w, b, pts, c["p"], c["r"], c["b2"], C, rho)
    elif pl.mode == "S":
        network = build_mode_s(ds.d, w, b, pts, pl.cfg["s"], pl.cfg["m"], C)
    else:
        network = build_depth2(ds.d, w, b, pts)
    if network.depth != pl.depth or network.width > min(W, pl.width):
        raise InternalError(f"yy26 layout: depth {network.depth} (plan {pl.depth}), width {network.width} "
                             f"(target {W}, formula {pl.width})")

    min_sq = ds.min_sq_distance()
    claims = _claims(ds, network, pl, W, depth, F, rho, lam, min_sq)
    info = _info(ds, network, pl, W, width, depth, F, rho, lam, C, rec, min_sq)
    params = {"width": width, "depth": depth, "seed": seed, "direction": direction}
    return Built(network, claims, params, info)


def _claims(ds, network, pl: Plan, W, L, F, rho, lam, min_sq) -> list:
    n = ds.n
    c = pl.cfg
    decl = f"F = rho + lambda = {rho} + {lam} (declared, see info)"
    claims = [DISTINCT, Claim("width-target", f"width <= {W}", f"{SRC} Thm R1: width <= target W = {W}")]
    if L is not None:
        claims.append(Claim("depth-budget", f"depth <= {L}", f"{SRC} Thm R1: depth <= budget L = {L}"))
    if pl.mode == "D":
        claims.append(Claim("depth-layout", f"depth == {c['nb']} + {c['r']} * ({F} + 1) + 2",
                            f"{SRC} Mode D: L_D = nb + r(F+1) + 2 with p={c['p']}, r={c['r']}, b2={c['b2']}, "
                            f"m={c['m']}, nb={c['nb']}; {decl}"))
        p, b2, nb = c["p"], c["b2"], c["nb"]
        terms = [(2 + 6 * p, f"2 + 6 * {p}"), (1 + 3 * p, f"1 + 3 * {p}")]
        if nb:
            terms.append((1 + 2 * b2, f"1 + 2 * {b2}"))
        if nb >= 2:
            terms.append((1 + p + 2 * b2, f"1 + {p} + 2 * {b2}"))
        expr = max(terms)[1]
        claims.append(Claim("width-layout", f"width <= {expr}",
                            f"{SRC} Mode D: width <= max(1+2b2, 1+p+2b2 [nb>=2], 1+3p, 2+6p), p={p}, b2={b2}"))
    elif pl.mode == "S":
        s, m, G = c["s"], c["m"], c["G"]
        claims.append(Claim("depth-layout", f"depth == {G} + 2",
                            f"{SRC} Mode S: depth G + 2 with G = ceil(N/(s m)) = {G}, s={s}, m={m} (declared)"))
        if G == 1:
            claims.append(Claim("width-layout", f"width <= 2 * {max(s, m)} - 1",
                                f"{SRC} Mode S, G = 1: width <= max(2m-1, 2s-1), s={s}, m={m}"))
        else:
            claims.append(Claim("width-layout", f"width <= 2 * {s} + 2 * {m} + 3",
                                f"{SRC} Mode S, G >= 2: width <= 2s + 2m + 3"))
    else:
        claims.append(Claim("depth-layout", "depth == 2", f"{SRC}: the depth-2 member"))
        claims.append(Claim("width-layout", "width <= 2 * N - 2" if n >= 2 else "width <= 1",
                            f"{SRC} depth-2 member: N - 1 threshold pairs"))
    if pl.mode in "DS":
        if W >= 8:
            p0 = (W - 2) // 6
            b20 = (W - 1 - p0) // 2
            src = (f"{SRC} Thm R1.1 (proof in docs/yy26.md): L <= L_D(W) < 2 sqrt(N(F+1)/(p b2)) + F + 4 with "
                   f"p = floor((W-2)/6) = {p0}, b2 = floor((W-1-p)/2) = {b20} at W = {W}; {decl}")
            if network.depth >= F + 4:
                claims.append(Claim("r1-deep-bound",
                                    f"{p0} * {b20} * (depth - {F} - 4) * (depth - {F} - 4) < 4 * N * ({F} + 1)", src))
            else:
                claims.append(Claim("r1-deep-bound", f"depth < {F} + 4", src + " (depth below F + 4)"))
        if W >= 7:
            claims.append(Claim("r1-wide-bound", f"(depth - 3) * {(W - 6) * (W - 5)} < 16 * N",
                                f"{SRC} Thm R1.2 (proof in docs/yy26.md): L <= L_S(W) < 16 N / ((W-6)(W-5)) + 3 at W = {W}, "
                                f"(W-6)(W-5) = {(W - 6) * (W - 5)}"))
    if min_sq:
        k = log2_inv_delta_floor(min_sq)
        dc = delta_claims(min_sq, k)
        if all(len(c.statement) <= MAX_STATEMENT for c in dc):      # 4^k as a literal: |k| <= ~800
            claims += dc + ratio_claims(network.width ** 2 * network.depth ** 2, n, k)
    claims.append(Claim("counting", "(bit_complexity + 1) * params_dense >= N * log2_classes_floor",
                        "bit-counting bound (B+1) P >= N log2 C (sanity, docs/yy26.md; floor of log2 C)"))
    return claims


def _info(ds, network, pl: Plan, W, width, depth, F, rho, lam, C, rec, min_sq) -> dict:
    import mpmath

    n = ds.n
    wl2 = network.width ** 2 * network.depth ** 2
    pd, ps = plan_d(n, F, W), plan_s(n, W)
    info = {
        "mode": pl.mode, "config": pl.cfg, "target_width": W, "width_requested": width,
        "depth_budget": depth, "width_formula": pl.width,
        "L_D": pd.depth if pd else None, "L_S": ps.depth if ps else None,
        "rho": rho, "lambda": lam, "F": F, "N": n, "C": C,
        "W2L2": wl2, "N_F_plus_1": n * (F + 1),
        "stage1": stage1_summary(rec, delta=False),
        "bits_stage1": network.sizes()["layer_bits"][0],
        "bits_after_first": max(network.sizes()["layer_bits"][1:], default=0),
    }
    with mpmath.workdps(30):
        info["ratio_F"] = _dec(mpmath.mpf(wl2) / (n * (F + 1)), 4)
        if min_sq:
            lg = _log2_inv_delta(min_sq)
            info.update({"delta_sq": str(min_sq), "log2_inv_delta": _dec(lg), "log2_inv_delta_floor":
                         log2_inv_delta_floor(min_sq), "N_log2_inv_delta": _dec(n * lg)})
            if lg > 0:
                info["ratio_delta"] = _dec(wl2 / (n * lg), 4)
        info["ratio_note"] = ("ratio_delta = W^2 L^2 / (N log2(1/delta)), ratio_F = W^2 L^2 / (N (F+1)), "
                              "W = measured width, L = depth; decimals are informative")
    arch = [ds.d] + network.hidden_widths + [network.output_dim]
    info["lower_bound"] = lower_bound_report(n, ds.d, arch, network.width, W)
    return info
