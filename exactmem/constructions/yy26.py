"""Yang & Yang (arXiv 2603.09589, March 2026), "Memorization capacity of deep ReLU neural
networks characterized by width and depth": networks of width W and depth L with
W^2 L^2 = O(N log(1/delta)) memorize any N delta-separated points with discrete labels.

Only the paper's abstract was available.  The network is our own layout (we call the family
YY-R and its size bounds Theorem R1), explained in ``docs/yy26.md``.  It
reuses the VYS21 Stage I projection (:func:`exactmem.constructions.vys21.stage1_projection`) and
the gadgets of :mod:`exactmem.gadgets`, and has two layouts:

* **Mode D** (narrow, deep): VYS21-style bit extraction with p = 1..floor((W-2)/6) parallel
  lanes; each lane register packs r points as (key, label) fields; a batched lookup finds the
  block.  Depth nb + r(F+1) + 2.
* **Mode S** (wide, shallow): a threshold layer and a ramp layer per group of s*m points, G
  groups pipelined along depth.  Depth G + 2; G = 1 is the depth-3 member.

For a target width W the planner takes the mode and configuration of least depth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from ..data import Dataset
from ..network import Network
from ..errors import ConstructionError, InternalError, UsageError
from ..gadgets import (Expr, RegisterNet, bit_test, gate, lookup_parallel, step_pair, step_value, window,
                       window_value)
from . import DISTINCT, Built, Claim, network_from_rational_layers
from .vys21 import _class_labels, stage1_projection

SRC = "YY26"
MAX_STATEMENT = 500          # docs/certificate-format.md section 13


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _ceil_sqrt(n: int) -> int:
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
            m = _cdiv(n, p * r)
            nb = _cdiv(m - 1, b2)
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
    c = _ceil_sqrt(n)
    if 2 * c - 1 <= W:
        s = _cdiv(n, c)
        m = _cdiv(n, s)
        return Plan("S", 3, max(2 * m - 1, 2 * s - 1), {"s": s, "m": m, "G": 1})
    best = None
    s = 0
    while True:
        s += 1
        m = (W - 3 - 2 * s) // 2
        if m < 1:
            break
        G = _cdiv(n, s * m)
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
    return min(7, 2 * _ceil_sqrt(n) - 1)


def width_for_depth(n: int, F: int, L: int) -> int | None:
    """The least W with L(W) <= L (L >= 3), scanning W upward: L(W) need not be monotone."""
    if L < 3:
        return None
    for W in range(min_width(n), 2 * _ceil_sqrt(n)):
        pl = plan(n, F, W)
        if pl is not None and pl.depth <= L:
            return W
    return 2 * _ceil_sqrt(n) - 1


# ---------------------------------------------------------------------------------------------
# Lower-bound calculator (docs/yy26.md, "Lower-bound calculator"); informative, mpmath decimals,
# never in a claim.

LOWER_BOUND_SOURCE = ("VC / growth-function bound in the form of Bartlett, Harvey, Liaw, Mehrabian 2019 "
                      "(JMLR 20, proof of Thm 7; ReLU: 2 pieces, degree 1; form recalled, constants not "
                      "checked against the text; docs/yy26.md, Lower-bound calculator)")
LOWER_BOUND_FORMULA = ("VC_up(n_0..n_L) = max{m >= W_L : m <= L + sum_i W_i log2(4 e m n_i i / W_i)}, "
                       "W_i = sum_{j<=i} (n_{j-1}+1) n_j; a fixed architecture memorizing every labeling "
                       "of N points (C >= 2) needs VC_up >= N; L_min(W) = min{L : VC_up(d, W, ..., W, 1) >= N}")


def vc_upper(widths) -> int:
    """Upper bound on the VC dimension of the ReLU architecture [n_0, n_1, ..., n_L]: the largest
    m >= W_L with m <= L + sum_i W_i log2(4 e m n_i i / W_i), else W_L (the search starts at m = W_L and
    returns it when even W_L fails the inequality).
    The set of such m is an interval (the difference is convex in m), so bisection is sound."""
    import mpmath

    L = len(widths) - 1
    Wi, acc = [], 0
    for i in range(1, L + 1):
        acc += (widths[i - 1] + 1) * widths[i]
        Wi.append(acc)
    with mpmath.workdps(40):
        c = [4 * mpmath.e * widths[i] * i / Wi[i - 1] for i in range(1, L + 1)]

        def ok(m):
            return m <= L + sum(Wi[i] * mpmath.log(c[i] * m, 2) for i in range(L))

        lo = Wi[-1]
        if not ok(lo):
            return lo
        hi = 2 * lo
        while ok(hi):
            hi *= 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if ok(mid) else (lo, mid)
        return lo


def depth_lower_bound(n: int, d: int, W: int, cap: int = 100000) -> int:
    """L_min(W): the least depth L for which the uniform width-W architecture has VC_up >= N."""
    L = 2
    while L < cap and vc_upper([d] + [W] * (L - 1) + [1]) < n:
        L += 1
    return L


def lower_bound_report(n: int, d: int, widths_arch, W_act: int, W_target: int) -> dict:
    """The section 8 lower side next to a built network (informative strings and integers)."""
    lmin_act = depth_lower_bound(n, d, W_act) if W_act >= 1 else None
    lmin_tgt = depth_lower_bound(n, d, W_target)
    return {
        "vc_upper_of_this_architecture": vc_upper(widths_arch),
        "vc_sanity": "VC_up >= N must hold for any label-independent architecture memorizing all labelings",
        "L_min_vc_at_measured_width": lmin_act,
        "W2_Lmin2_at_measured_width": W_act * W_act * lmin_act * lmin_act if lmin_act else None,
        "L_min_vc_at_target_width": lmin_tgt,
        "closed_form": "VCdim = O(P L log P), P ~ W^2 L: W^2 L^2 log2(W^2 L) >~ N, i.e. W^2 L^2 = Omega(N / log N); "
                       "independent of delta",
        "bit_counting": "(B + 1) * P_dense >= N log2 C for a fixed architecture with B-bit parameters "
                        "(the VYS21 counting bound, docs/yy26.md; claimed in the certificate as `counting`)",
        "paper_bound": "Omega(N log(1/delta)) (arXiv abstract page) or Omega(N / log(1/delta)) (HTML v1); "
                       "constant unknown, not printed: see docs/yy26.md",
        "formula": LOWER_BOUND_FORMULA,
        "source": LOWER_BOUND_SOURCE,
    }


# ---------------------------------------------------------------------------------------------
# Layouts.  ``pts`` is the list of (z, key, label) sorted by z (keys >= 2 apart).

def _input_net(d, w, b):
    net = RegisterNet([f"x{i}" for i in range(d)])
    proj = Expr.const(b)
    for i, c in enumerate(w):
        proj = proj + c * net.value(f"x{i}")
    return net, proj


def ramp_bias(C: int, key: int) -> int:
    """beta of the ramp pair (docs/yy26.md, Mode S): sigma(2C z + beta) - sigma(2C z + beta - h) is 0 for
    z <= key + 1 and h for z >= key + 2, for any |h| <= C - 1 (so 0 at this key's point, h at
    every later point of its block)."""
    return -2 * C * (key + 1) - C


def build_mode_s(d, w, b, pts, s: int, m: int, C: int) -> Network:
    """Mode S (docs/yy26.md): G = ceil(N/(s m)) groups of m blocks of s points; layer l holds
    group l's threshold pairs, group l-1's ramps (per-region biases read from its thresholds)
    and the running label y of group l-2.  Depth G + 2."""
    cap = s * m
    groups = [pts[i:i + cap] for i in range(0, len(pts), cap)]
    G = len(groups)

    def regions(g):                     # g 0-based: [BELOW] + blocks + [ABOVE]
        blocks = [groups[g][i:i + s] for i in range(0, len(groups[g]), s)]
        regs = ([None] if g > 0 else []) + blocks + ([None] if g < G - 1 else [])
        thr = [groups[g + 1][0][1] if reg is None else reg[0][1] for reg in regs[1:]]
        return regs, thr

    def region_values(reg):             # biases of (n0, a_1, b_1, ..., a_{s-1}, b_{s-1})
        if reg is None:
            return [0] * (2 * s - 1)
        vals = [reg[0][2]]
        for k in range(1, s):
            if k < len(reg):
                beta = ramp_bias(C, reg[k - 1][1])
                vals += [beta, beta - (reg[k][2] - reg[k - 1][2])]
            else:
                vals += [0, 0]          # unused slot: equal biases, so its two neurons are equal and cancel
        return vals

    def names(g):
        return [f"r{g}n0"] + [f"r{g}{ab}{k}" for k in range(1, s) for ab in "ab"]

    def ramp_sum(net, g):
        v = net.value
        e = v(f"r{g}n0")
        for k in range(1, s):
            e = e + v(f"r{g}a{k}") - v(f"r{g}b{k}")
        return e

    info = [regions(g) for g in range(G)]
    net, proj = _input_net(d, w, b)
    v = net.value
    for ell in range(1, G + 2):
        layer = {}
        if ell <= G:
            layer["z"] = proj if ell == 1 else v("z")
        if ell >= 3:
            layer["y"] = (v("y") if ell >= 4 else Expr()) + ramp_sum(net, ell - 2)
        if ell >= 2:
            g = ell - 1
            regs, thr = info[g - 1]
            table = [region_values(reg) for reg in regs]
            for j, name in enumerate(names(g)):
                e = lookup_parallel(v("z"), thr, [row[j] for row in table], f"t{g}_")[1](net)   # per-region bias
                layer[name] = e if j == 0 else e + 2 * C * v("z")
        if ell <= G:
            zin = proj if ell == 1 else v("z")
            layer.update(lookup_parallel(zin, info[ell - 1][1], [0] * len(info[ell - 1][0]), f"t{ell}_")[0])
        net.add_layer(layer)
    return network_from_rational_layers(d, net.output([(v("y") if G >= 2 else Expr()) + ramp_sum(net, G)]))


def build_mode_d(d, w, b, pts, p: int, r: int, b2: int, C: int, rho: int) -> Network:
    """Mode D (docs/yy26.md): blocks of s = p r sorted points; in a block, position i goes to
    lane floor(i/r), round i mod r.  Lane k's register packs its r fields
    f = key * 2^lambda + label (F = rho + lambda bits each, MSB first; empty slots 0).
    Stage II: batched lookup, b2 thresholds per layer.  Stage III: r rounds of F + 1 layers, all
    lanes in lock-step: F - 1 layers extracting one field bit each (key bits into a, label bits
    into l), layer B (last label bit and the window test of a against z), layer Cq (gate).
    Depth nb + r(F+1) + 2."""
    lam = C.bit_length()
    F = rho + lam
    s = p * r
    blocks = [pts[i:i + s] for i in range(0, len(pts), s)]
    regs = []
    for blk in blocks:
        row = []
        for k in range(p):
            u = 0
            for t in range(r):
                i = k * r + t
                u = (u << F) + (((blk[i][1] << lam) + blk[i][2]) if i < len(blk) else 0)
            row.append(u)
        regs.append(row)
    thresholds = [blk[0][1] for blk in blocks[1:]]
    batches = [list(range(i, min(i + b2, len(thresholds)))) for i in range(0, len(thresholds), b2)]
    nb = len(batches)
    P0 = r * F
    net, proj = _input_net(d, w, b)
    v = net.value

    def pairs(zexpr, batch):
        out = {}
        for j in batch:
            out.update(step_pair(zexpr, thresholds[j], f"h{j}_"))
        return out

    # Stage II
    if nb == 0:
        layer = {"z": proj}
        for k in range(p):
            layer[f"U{k}"] = Expr.const(regs[0][k])
            layer.update(bit_test(Expr.const(regs[0][k]), P0 - 1, f"s{k}_"))
        net.add_layer(layer)
    else:
        net.add_layer({"z": proj, **pairs(proj, batches[0])})
        for i in range(1, nb + 1):
            layer = {"z": v("z")}
            for k in range(p):
                e = Expr.const(regs[0][k]) if i == 1 else v(f"U{k}")
                for j in batches[i - 1]:        # passing threshold j moves block j to block j + 1
                    e = e + (regs[j + 1][k] - regs[j][k]) * step_value(net, f"h{j}_")
                layer[f"U{k}"] = e
                if i == nb:
                    layer.update(bit_test(e, P0 - 1, f"s{k}_"))
            if i < nb:
                layer.update(pairs(v("z"), batches[i]))
            net.add_layer(layer)
    # Stage III
    have_y = False
    for t in range(r):
        P = (r - t) * F
        last = t == r - 1
        for i in range(2, F + 1):                                   # A_i: field bit phi = i - 1
            phi = i - 1
            layer = {"z": v("z")}
            if t >= 1 and i == 2:
                y = v("y") if have_y else Expr()
                for k in range(p):
                    y = y + v(f"q{k}")
                layer["y"] = y
                have_y = True
            elif have_y:
                layer["y"] = v("y")
            for k in range(p):
                beta = step_value(net, f"s{k}_")
                U = v(f"U{k}") - 2 ** (P - i + 1) * beta
                layer[f"U{k}"] = U
                if phi <= rho:
                    layer[f"a{k}"] = (2 * v(f"a{k}") if phi >= 2 else Expr()) + beta
                else:
                    layer[f"a{k}"] = v(f"a{k}")
                    layer[f"l{k}"] = (2 * v(f"l{k}") if phi >= rho + 2 else Expr()) + beta
                layer.update(bit_test(U, P - i, f"s{k}_"))
            net.add_layer(layer)
        layer = {} if last else {"z": v("z")}                       # B: last label bit, window
        if have_y:
            layer["y"] = v("y")
        for k in range(p):
            beta = step_value(net, f"s{k}_")
            if not last:
                layer[f"U{k}"] = v(f"U{k}") - 2 ** (P - F) * beta
            layer[f"l{k}"] = (2 * v(f"l{k}") if lam >= 2 else Expr()) + beta
            layer.update(window(v("z"), v(f"a{k}"), f"m{k}_"))
        net.add_layer(layer)
        layer = {} if last else {"z": v("z")}                       # Cq: gate the label
        if have_y:
            layer["y"] = v("y")
        for k in range(p):
            layer[f"q{k}"] = gate(v(f"l{k}"), window_value(net, f"m{k}_"), C)
            if not last:
                layer[f"U{k}"] = v(f"U{k}")
                layer.update(bit_test(v(f"U{k}"), P - F - 1, f"s{k}_"))
        net.add_layer(layer)
    out = v("y") if have_y else Expr()
    for k in range(p):
        out = out + v(f"q{k}")
    return network_from_rational_layers(d, net.output([out]))


def build_depth2(d, w, b, pts) -> Network:
    """The depth-2 member (docs/yy26.md, Planner): the N - 1 threshold pairs of the sorted keys read
    straight from x, output y_(1) + sum_j (y_(j) - y_(j-1)) H_j.  Width 2(N - 1) (1 for N = 1)."""
    net, proj = _input_net(d, w, b)
    first, second = lookup_parallel(proj, [q[1] for q in pts[1:]], [q[2] for q in pts], "h")
    net.add_layer(first or {"z": proj})             # N = 1: z = 0 exactly (Stage I), carried
    return network_from_rational_layers(d, net.output([second(net)]))


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
        q = _cdiv(100 * wl2, n * k)
        out.append(Claim("ratio-delta-upper", f"100 * width * width * depth * depth <= {q} * N * {k}",
                         f"W^2 L^2 / (N log2(1/delta)) <= {q}/100 (uses log2(1/delta) >= {k}, claim log2-inv-delta-lo)"))
    if k + 1 >= 1:
        q = _cdiv(100 * wl2, n * (k + 1)) - 1
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

def _refuse(msg: str):
    raise ConstructionError(msg)


def theorem_r1(ds: Dataset, width: int | None = None, depth: int | None = None, seed: int = 0,
               direction=None) -> Built:
    """Yang & Yang 2026 (arXiv 2603.09589), main upper bound: ReLU networks of width W and depth L
    with W^2 L^2 = O(N log(1/delta)) memorize any N points of the unit ball with pairwise distance
    >= delta and labels in [C].  Built as our Theorem R1 (family YY-R, docs/yy26.md):

    width <= W and depth L(W) = min(L_D(W), L_S(W)), with L_D = nb + r(F+1) + 2 (Mode D) and
    L_S = G + 2 (Mode S, = 3 once W >= 2 ceil(sqrt N) - 1), F = rho + lambda = bits of a packed
    (key, label); proved bounds L < 2 sqrt(N(F+1)/(p b2)) + F + 4 with p = floor((W-2)/6),
    b2 = floor((W-1-p)/2) (W >= 8; so W^2 L^2 <= 160 N (F+1) when W(F+4) <= sqrt(N(F+1))), and
    L < 16 N / ((W-6)(W-5)) + 3 (W >= 7).  F + 1 <= log2(1/delta) + 2 log2 N + log2 C + log2(d)/2 + 7.2
    in the unit ball, and log2 N <= d (log2(1/delta) + 1.6) by packing: W^2 L^2 = O(N log(1/delta)) for
    fixed d and C.

    ``width`` = target W, ``depth`` = depth budget L (upper bounds; at least one).  With W only,
    depth L(W); with L only, the least W with L(W) <= L; with both, L(W) <= L or a refusal.
    L = 2 gives the depth-2 member (width 2(N-1)), L = 1 is refused.
    """
    if width is None and depth is None:
        raise UsageError("yy26 needs a target --width W, a depth budget --depth L, or both")
    for name, val in (("width", width), ("depth", depth)):
        if val is not None and (not isinstance(val, int) or isinstance(val, bool) or val < 1):
            raise UsageError(f"yy26: {name} must be a positive integer, got {val!r}")
    labels, C = _class_labels(ds)
    n = ds.n
    if depth == 1:
        _refuse("depth budget L = 1 is too small: a depth-1 network is affine; the least depth of this "
                f"family is 2 (one hidden layer of width {max(1, 2 * (n - 1))}), 3 from width "
                f"{2 * _ceil_sqrt(n) - 1} on")
    if width is not None and depth != 2 and width < min_width(n):
        _refuse(f"width W = {width} is below the minimum width {min_width(n)} for N = {n} "
                f"(Mode S with G >= 2 groups needs W >= 7, Mode D W >= 8, depth 3 W >= 2*ceil(sqrt N) - 1 = "
                f"{2 * _ceil_sqrt(n) - 1})")
    w, b, z, rec = stage1_projection(ds, seed, direction)
    order = sorted(range(n), key=z.__getitem__)
    pts = [(z[i], math.floor(z[i]), labels[i]) for i in order]
    rho = max(1, max(q[1] for q in pts).bit_length())
    lam = C.bit_length()
    F = rho + lam

    if depth == 2:
        w2 = max(1, 2 * (n - 1))
        if width is not None and width < w2:
            pl = plan(n, F, width)
            _refuse(f"depth budget L = 2 needs width >= 2(N-1) = {w2} (one hidden layer of N-1 step pairs); "
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
            _refuse(f"depth budget L = {depth} is below the minimum depth {pl.depth} at width W = {W} "
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
        "stage1": {"draws": rec["draws"], "direction": rec["v"], "alpha_exponent": rec["alpha_exponent"],
                   "gap": str(rec["gap"]) if rec["gap"] is not None else None, "z_max": str(rec["z_max"]),
                   "R_lower": str(rec["R_lower"]), "r_upper": str(rec["r_upper"])},
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
