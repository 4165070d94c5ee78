"""The lower side of YY26's trade-off, next to a built network (docs/yy26.md, "Lower-bound
calculator"): a VC-dimension upper bound of the uniform width-W architecture and the least depth
at which it could memorize every labelling of N points.  Informative only: mpmath decimals,
never in a claim and never on a path that builds a network.
"""

from __future__ import annotations


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
