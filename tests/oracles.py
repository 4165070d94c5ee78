"""Independent oracles for the theorems' size rules and the layouts' sizes.

Every function here is written from the papers' statements as ``docs/*.md`` quote them, never
imported from ``exactmem``: a test compares what the product builds or refuses with these. Only
the standard library is used, and widths are scanned by brute force where a closed form would
repeat the product's own arithmetic.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction


# ---------------------------------------------------------------------------------------------
# YSJ19 (docs/ysj19.md)

def thm31_admissible(d1: int, d2: int, dy: int, n: int, activation: str) -> bool:
    """Theorem 3.1: hard-tanh 4*floor(d1/2)*floor(d2/(2dy)) >= N; ReLU 4*floor(d1/4)*floor(d2/(4dy)) >= N."""
    if d1 < 1 or d2 < 1:
        return False
    k = 2 if activation == "hardtanh" else 4
    return 4 * math.floor(Fraction(d1, k)) * math.floor(Fraction(d2, k * dy)) >= n


def least_width(ok, start: int = 1, limit: int = 10_000):
    """The least w >= start with ok(w), by brute force (None when there is none below limit)."""
    for w in range(start, limit):
        if ok(w):
            return w
    return None


def prop32_admissible(d1: int, d2: int, d3: int, classes: int, n: int, activation: str) -> bool:
    """Proposition 3.2: hard-tanh 4 fl(d1/2) fl(d2/2) >= N and d3 >= 2C; ReLU 4 fl(d1/4) fl(d2/4) >= N, d3 >= 4C."""
    k = 2 if activation == "hardtanh" else 4
    return min(d1, d2, d3) >= 1 and 4 * (d1 // k) * (d2 // k) >= n and d3 >= k * classes


def prop34_placements(L: int):
    """Every block-index tuple l_1 < ... < l_m in [1, L-2] with l_j + 1 < l_(j+1) (m >= 1)."""
    idx = range(1, L - 1)
    for m in range(1, len(idx) + 1):
        for blocks in itertools.combinations(idx, m):
            if all(a + 1 < b for a, b in zip(blocks, blocks[1:])):
                yield blocks


def prop34_admissible_blocks(widths, dy: int, n: int, blocks, activation: str = "hardtanh") -> bool:
    """Proposition 3.4 for one placement, with the room condition the paper leaves implicit
    (docs/ysj19.md): d_(l_j), d_(l_j+1) >= r_j; sum_j 4 fl((d_lj - r_j)/2) fl((d_(lj+1) - r_j)/(2dy)) >= N;
    widths >= dy + 1 strictly between blocks and >= dy after the last. ReLU: the same on floor(d/2)."""
    W = list(widths) if activation == "hardtanh" else [w // 2 for w in widths]
    L = len(W) + 1
    d = {k: W[k - 1] for k in range(1, L)}                 # d_1 .. d_(L-1), 1-based
    m = len(blocks)
    if m == 0 or any(not 1 <= l <= L - 2 for l in blocks):
        return False
    if any(not a + 1 < b for a, b in zip(blocks, blocks[1:])):
        return False
    total = 0
    for j, l in enumerate(blocks, 1):
        r = dy * (j > 1) + (j < m)
        if d[l] < r or d[l + 1] < r:
            return False
        total += 4 * ((d[l] - r) // 2) * ((d[l + 1] - r) // (2 * dy))
    if total < n:
        return False
    for a, b in zip(blocks, blocks[1:]):
        if any(d[k] < dy + 1 for k in range(a + 2, b)):
            return False
    return all(d[k] >= dy for k in range(blocks[-1] + 2, L))


def prop34_admissible(widths, dy: int, n: int, activation: str = "hardtanh") -> bool:
    """Some placement meets Proposition 3.4 (brute force over all placements)."""
    return any(prop34_admissible_blocks(widths, dy, n, b, activation) for b in prop34_placements(len(widths) + 1))


def cor42_admissible(d1: int, n: int, dx: int, dy: int, activation: str) -> bool:
    """Corollary 4.2: d1 >= 4N/dx + 4dy (ReLU), d1 >= 2N/dx + 2dy (hard-tanh), as rationals."""
    k = 4 if activation == "relu" else 2
    return d1 >= 1 and Fraction(d1) >= Fraction(k * n, dx) + k * dy


def thm41_admissible(block_widths, head: int, n: int, dx: int, dy: int, activation: str) -> bool:
    """Theorem 4.1: dy <= dx; sum d_l >= 4N/dx + 4dy and d_L >= 2dy (ReLU); 2N/dx + 2dy and d_L >= dy
    (hard-tanh)."""
    k, kh = (4, 2) if activation == "relu" else (2, 1)
    return (dy <= dx and min(block_widths) >= 1 and Fraction(sum(block_widths)) >= Fraction(k * n, dx) + k * dy
            and head >= kh * dy)


def thm33_pieces(widths, activation: str) -> int:
    """Theorem 3.3's P: (p-1)d1 + 1 (2 layers) or p(p-1)d1d2 + (p-1)d2 + 1 (3 layers); p = 2 ReLU, 3 hard-tanh."""
    p = 2 if activation == "relu" else 3
    if len(widths) == 1:
        return (p - 1) * widths[0] + 1
    d1, d2 = widths
    return p * (p - 1) * d1 * d2 + (p - 1) * d2 + 1


# ---------------------------------------------------------------------------------------------
# Stage I with a given direction (docs/vys21.md, "Stage I"): w = 2^e v with the least e making
# every gap of the sorted projections >= 2, b = ceil(-min w.x) (b = -w.x for one point).

def stage1(points, v):
    p = [sum(Fraction(c) * x for c, x in zip(v, pt)) for pt in points]
    ps = sorted(p)
    gaps = [b - a for a, b in zip(ps, ps[1:])]
    assert all(g > 0 for g in gaps), "the direction must separate the points"
    e = 0
    if gaps:
        g = min(gaps)
        e = -200
        while g * Fraction(2) ** e < 2:                   # the least e with g 2^e >= 2
            e += 1
    alpha = Fraction(2) ** e
    b = math.ceil(-alpha * ps[0]) if len(p) > 1 else -alpha * ps[0]
    return [alpha * q + b for q in p]


def key_sizes(z, classes: int):
    """(rho, lambda): the bit length of the largest key floor(z) (at least 1), and bit_length(C)."""
    rho = max(1, max(math.floor(t) for t in z).bit_length())
    return rho, classes.bit_length()


# ---------------------------------------------------------------------------------------------
# VYS21 (docs/vys21.md)

def vys21_block_size(n: int) -> int:
    """ceil(sqrt(N / log2 N)) as the docs define it: the least s >= 1 with s^2 log2 N >= N, i.e.
    N^(s^2) >= 2^N (1 for N = 1)."""
    if n == 1:
        return 1
    return least_width(lambda s: n ** (s * s) >= 2 ** n)


def vys21_depth_A(n: int, T: int, s: int | None = None) -> int:
    """Construction A: depth m + s(T+2) + 2, m = ceil(N/s)."""
    s = vys21_block_size(n) if s is None else s
    return -(-n // s) + s * (T + 2) + 2


def vys21_depth_layout(n: int, T: int, L: int):
    """(layout, depth) of vys21-depth at budget L >= 2: Construction A when L >= its depth; else
    s = min(N, floor((L-4)/(T+2))) blocks of depth s(T+2) + 4 when s >= 2; else the direct network
    (depth 3, or 2 when L = 2)."""
    assert L >= 2
    DA = vys21_depth_A(n, T)
    if L >= DA:
        return "A", DA
    s = min(n, (L - 4) // (T + 2)) if L >= 4 else 0
    if s >= 2:
        return "blocks", s * (T + 2) + 4
    return ("direct", 3) if L >= 3 else ("direct-folded", 2)


# ---------------------------------------------------------------------------------------------
# YY26 (docs/yy26.md, "Mode S", "Mode D", "Planner"): a reference planner

def _ceil_sqrt(n: int) -> int:
    return least_width(lambda c: c * c >= n, start=0, limit=n + 2)


def yy26_mode_d(n: int, F: int, W: int):
    """Least Mode D depth at width W: p = 1..floor((W-2)/6) lanes, b2 = floor((W-1-p)/2), every r;
    m = ceil(N/(p r)) blocks, nb = ceil((m-1)/b2), depth nb + r(F+1) + 2. None when no p fits."""
    best = None
    for p in range(1, (W - 2) // 6 + 1):
        b2 = (W - 1 - p) // 2
        for r in range(1, -(-n // p) + 1):               # beyond r = ceil(N/p) only deeper
            m = -(-n // (p * r))
            nb = -(-(m - 1) // b2)
            depth = nb + r * (F + 1) + 2
            best = depth if best is None else min(best, depth)
    return best


def yy26_mode_s(n: int, W: int):
    """Least Mode S depth at width W: 3 if W >= 2 ceil(sqrt N) - 1; else G + 2, G = ceil(N/(s m)),
    over every s with m = floor((W - 3 - 2s)/2) >= 1. None when no s fits."""
    if W >= 2 * _ceil_sqrt(n) - 1:
        return 3
    best = None
    for s in range(1, W):
        m = (W - 3 - 2 * s) // 2
        if m >= 1:
            d = -(-n // (s * m)) + 2
            best = d if best is None else min(best, d)
    return best


def yy26_min_width(n: int) -> int:
    """The least target width: Mode S with G >= 2 needs 7, depth 3 needs 2 ceil(sqrt N) - 1."""
    return min(7, 2 * _ceil_sqrt(n) - 1)


def yy26_plan(n: int, F: int, W: int):
    """(depth, modes attaining it) at target width W; None below the minimum width."""
    if W < yy26_min_width(n):
        return None
    cands = {"D": yy26_mode_d(n, F, W), "S": yy26_mode_s(n, W)}
    cands = {k: v for k, v in cands.items() if v is not None}
    depth = min(cands.values())
    return depth, {k for k, v in cands.items() if v == depth}


def yy26_least_width(n: int, F: int, L: int) -> int:
    """Depth budget L >= 3: the least W (scanning upward) whose planned depth is <= L."""
    W = yy26_min_width(n)
    while yy26_plan(n, F, W)[0] > L:
        W += 1
    return W


# ---------------------------------------------------------------------------------------------
# Exact linear algebra for general-position witnesses

def rank(rows) -> int:
    """Rank of a list of rational rows, by Gaussian elimination over Fraction."""
    m = [[Fraction(v) for v in r] for r in rows]
    rk, col, ncols = 0, 0, len(m[0]) if m else 0
    while rk < len(m) and col < ncols:
        piv = next((i for i in range(rk, len(m)) if m[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        m[rk], m[piv] = m[piv], m[rk]
        for i in range(len(m)):
            if i != rk and m[i][col] != 0:
                f = m[i][col] / m[rk][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[rk])]
        rk += 1
        col += 1
    return rk


def affinely_dependent(points, rows) -> bool:
    """The points at these row indices are affinely dependent (two equal points included)."""
    base = points[rows[0]]
    diffs = [[Fraction(a) - Fraction(b) for a, b in zip(points[i], base)] for i in rows[1:]]
    return bool(diffs) and rank(diffs) < len(diffs)
