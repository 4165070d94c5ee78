"""Optional feature (format 1.1 and 1.2, sections 20 and 21): the certificate's segment, the
number of affine pieces of the network along it (pieces_on_segment), and the counting lemma's
hypothesis (alternating_on_segment).  Loaded only for a certificate with a segment.

Standard library, check_base and check_network only.  Must never import exactmem, never write,
run or load anything.
"""

from fractions import Fraction

from check_base import FRACTION, gcd_cost, int_bytes, lst, malformed, mul_cost, need, to_rat
from check_network import forward


def load_segment(cert, d, budget):
    """1.1: the optional segment {from, to}, two different points of Q^d (section 20); None if absent."""
    if "segment" not in cert:
        return None
    seg = need(cert["segment"], ("from", "to"), "segment")
    u = [to_rat(x, "segment.from", budget) for x in lst(seg["from"], "segment.from", d)]
    v = [to_rat(x, "segment.to", budget) for x in lst(seg["to"], "segment.to", d)]
    if u == v:
        raise malformed("segment: from and to are the same point")
    return u, v


BREAKS = {"relu": (0,), "hardtanh": (-1, 1), "identity": ()}


def pieces_on_segment(entries, u, v, budget):
    """Number of maximal affine pieces of the scalar output on x(t) = u + t (v - u), 0 <= t <= 1
    (section 20), with fractions.Fraction and forward() above.  T = {0, 1} is refined map by map:
    every earlier activation is affine between consecutive points of T, so each pre-activation z
    of the next activated map is too, and it crosses a breakpoint b of its activation strictly
    between T_m and T_m+1 iff (z(T_m) - b)(z(T_m+1) - b) < 0, once, at the interpolated t.  After
    the last hidden map the output is affine between consecutive points of T: the pieces are
    1 + the number of interior points of T where the slope changes."""
    u, v = [Fraction(p, q) for p, q in u], [Fraction(p, q) for p, q in v]

    def point(t):
        return [(x.numerator, x.denominator) for x in (a + t * (b - a) for a, b in zip(u, v))]

    def fbits(*xs):                         # bits of the largest numerator or denominator
        return max(max(abs(x.numerator).bit_length(), x.denominator.bit_length()) for x in xs)

    ts = [Fraction(0), Fraction(1)]
    for k in range(len(entries) - 1):      # the hidden maps: plain layers and residual inners
        m_k = entries[k][0]
        act, rows, bias, dens = m_k
        zs = []
        for t in ts:
            budget.charge(len(u) * 8 * mul_cost(fbits(t, *u, *v), fbits(t, *u, *v)), "pieces_on_segment: a point of T")
            h = [Fraction(p, q) for p, q in forward(entries[:k], point(t), budget)]
            hb = fbits(*h) + m_k.wbits + m_k.bbits + m_k.dbits
            budget.charge(len(rows) * (m_k.n_in + 2) * FRACTION * (mul_cost(hb, hb) + gcd_cost(hb, hb)),
                          "pieces_on_segment: pre-activations at a point of T")
            zs.append([(Fraction(b) + sum(w * x for w, x in zip(r, h))) / den for r, b, den in zip(rows, bias, dens)])
        new = set()
        for m in range(len(ts) - 1):
            zb_ = 2 * fbits(ts[m], ts[m + 1], *zs[m], *zs[m + 1]) + 2
            budget.charge(len(rows) * len(BREAKS[act]) * 2 * FRACTION * (mul_cost(zb_, zb_) + gcd_cost(zb_, zb_)),
                          "pieces_on_segment: breakpoints between two points of T")
            for za, zb in zip(zs[m], zs[m + 1]):
                for b in BREAKS[act]:
                    if (za - b) * (zb - b) < 0:
                        new.add(ts[m] + (b - za) * (ts[m + 1] - ts[m]) / (zb - za))
        budget.hold((len(ts) + len(new)) * 2 * int_bytes(fbits(*ts, *new) if new else 1), "pieces_on_segment: the points T")
        ts = sorted(set(ts) | new)
    ys = []
    for t in ts:
        budget.charge(len(u) * 8 * mul_cost(fbits(t, *u, *v), fbits(t, *u, *v)), "pieces_on_segment: a point of T")
        ys.append(Fraction(*forward(entries, point(t), budget)[0]))
    sb = 2 * fbits(*ts, *ys) + 2
    budget.charge(len(ts) * FRACTION * (mul_cost(sb, sb) + gcd_cost(sb, sb)), "pieces_on_segment: the slopes")
    slopes = [(ys[m + 1] - ys[m]) / (ts[m + 1] - ts[m]) for m in range(len(ts) - 1)]
    return 1 + sum(s0 != s1 for s0, s1 in zip(slopes, slopes[1:]))


def alternating_on_segment(ds, segment, budget):
    """Section 21: 1 iff dy = 1, every point is u + t_i (v - u) with 0 <= t_i <= 1, the t_i are
    pairwise distinct, and along increasing t the labels' consecutive differences strictly
    alternate in sign: (y_(k+1) - y_k)(y_(k+2) - y_(k+1)) < 0.  This is the hypothesis of the
    counting lemma, under which pieces_on_segment >= N - 1 is a consequence (YSJ19 Thm 3.3)."""
    if segment is None:
        raise malformed("a claim names alternating_on_segment, but the certificate has no segment")
    if ds["dy"] != 1:
        return 0
    u, v = [Fraction(p, q) for p, q in segment[0]], [Fraction(p, q) for p, q in segment[1]]
    w = [b - a for a, b in zip(u, v)]
    k = next(i for i, x in enumerate(w) if x)           # from != to, so some coordinate moves
    bits = max(max(abs(x.numerator).bit_length(), x.denominator.bit_length()) for x in u + v)
    ts = []
    for x, y in zip(ds["x"], ds["y"]):
        xb = bits + max(max(abs(p).bit_length(), q.bit_length()) for p, q in x)
        budget.charge(len(x) * 6 * (mul_cost(2 * xb, 2 * xb) + gcd_cost(2 * xb, 2 * xb)),
                      "alternating_on_segment: placing a point on the segment")
        xs = [Fraction(p, q) for p, q in x]
        t = (xs[k] - u[k]) / w[k]
        if not 0 <= t <= 1 or any(xi != ui + t * wi for xi, ui, wi in zip(xs, u, w)):
            return 0
        ts.append((t, Fraction(*y[0])))
    ts.sort()
    if any(a[0] == b[0] for a, b in zip(ts, ts[1:])):
        return 0
    diffs = [b[1] - a[1] for a, b in zip(ts, ts[1:])]
    return int(all(d0 * d1 < 0 for d0, d1 in zip(diffs, diffs[1:])))


