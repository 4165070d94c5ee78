"""Tests that kill mutants which survived the package's mutation run (docs/testing-package.md).

Every expected value here comes from an oracle written in this file (a brute force over the
documented formulas with the documented tie order, or a hand count), never from the code under
test."""

from fractions import Fraction

import pytest

from exactmem.constructions.yy26 import planner
from exactmem.engine import forward
from exactmem.network import Layer, Network


# ---------------------------------------------------------------------------------------------
# engine.forward: progress(k, layers) for each layer of the first chunk only

def test_forward_reports_progress_for_every_layer_of_the_first_chunk_only():
    layers = (Layer.from_rationals([[Fraction(1)], [Fraction(-1)]], [Fraction(0)] * 2, "relu"),
              Layer.from_rationals([[Fraction(1), Fraction(1)]], [Fraction(0)], "hardtanh"),
              Layer.from_rationals([[Fraction(2)]], [Fraction(1)], "identity"))
    net = Network(1, layers)
    calls = []
    pts = [(Fraction(k, 3),) for k in range(-4, 3)]          # 7 points, chunks of 3: three chunks
    out = forward(net, pts, progress=lambda k, n: calls.append((k, n)), chunk=3)
    assert calls == [(1, 3), (2, 3), (3, 3)]
    # hand value: 2 * min(1, |x|) + 1
    assert out == [(2 * min(Fraction(1), abs(p[0])) + 1,) for p in pts]


# ---------------------------------------------------------------------------------------------
# yy26 planner: the documented tie order inside each mode (docs/yy26.md, "Planner")

def _cdiv(a, b):
    return -(-a // b)


def _brute_d(n, F, W):
    """Every Mode D configuration (p, r) with r up to ceil(N/p); key (depth, width, p, r)."""
    best = None
    for p in range(1, (W - 2) // 6 + 1):
        b2 = (W - 1 - p) // 2
        if b2 < 1:
            continue
        for r in range(1, _cdiv(n, p) + 1):
            m = _cdiv(n, p * r)
            nb = _cdiv(m - 1, b2)
            depth = nb + r * (F + 1) + 2
            width = max(1 + 2 * b2 if nb >= 1 else 0, 1 + p + 2 * b2 if nb >= 2 else 0, 1 + 3 * p, 2 + 6 * p)
            key = (depth, width, p, r)
            if best is None or key < best:
                best = key
    return best


def _brute_s(n, W):
    """Mode S with G >= 2 groups: every s with m = floor((W-3-2s)/2) >= 1; key (depth, width, s)."""
    best = None
    for s in range(1, W):
        m = (W - 3 - 2 * s) // 2
        if m >= 1:
            key = (_cdiv(n, s * m) + 2, 2 * s + 2 * m + 3, s)
            if best is None or key < best:
                best = key
    return best


@pytest.mark.parametrize("n", [5, 17, 40, 97, 250])
@pytest.mark.parametrize("F", [1, 3, 6])
def test_plan_d_breaks_ties_by_width_then_p_then_r(n, F):
    for W in range(8, 48):
        pl = planner.plan_d(n, F, W)
        depth, width, p, r = _brute_d(n, F, W)
        assert (pl.depth, pl.width, pl.cfg["p"], pl.cfg["r"]) == (depth, width, p, r), (n, F, W)


@pytest.mark.parametrize("n", [50, 97, 250, 1000])
def test_plan_s_breaks_ties_by_width_then_s(n):
    c = next(k for k in range(n + 1) if k * k >= n)
    for W in range(7, 2 * c - 1):                             # below the depth-3 width: G >= 2
        pl = planner.plan_s(n, W)
        depth, width, s = _brute_s(n, W)
        assert (pl.depth, pl.width, pl.cfg["s"]) == (depth, width, s), (n, W)


# ---------------------------------------------------------------------------------------------
# ysj19 default widths: the full documented order (nodes, then dense parameters, then d1)

def _dense(dx, d1, d2, dy):
    """Weights and biases of a dense dx - d1 - d2 - dy network."""
    return (dx + 1) * d1 + (d1 + 1) * d2 + (d2 + 1) * dy


def _ht_admissible(d1, d2, dy, n):
    """Theorem 3.1, hard-tanh: 4 floor(d1/2) floor(d2/(2 dy)) >= N."""
    return 4 * (d1 // 2) * (d2 // (2 * dy)) >= n


@pytest.mark.parametrize("dx,dy", [(1, 1), (2, 1), (5, 1), (1, 2), (3, 2), (8, 3)])
def test_thm31_default_widths_follow_nodes_then_dense_then_d1(dx, dy):
    from exactmem.constructions.ysj19 import default_widths

    for n in range(1, 61):
        top = 2 * n + 2 * dy + 2                              # (2, 2 dy ceil(N/4)) is always admissible
        best = min((a + b, _dense(dx, a, b, dy), a, b) for a in range(1, top) for b in range(1, top - a)
                   if _ht_admissible(a, b, dy, n))
        assert default_widths(n, dx, dy, "hardtanh") == (best[2], best[3]), (n, dx, dy, best)


def test_prop32_default_widths_are_thm31_defaults_and_k_times_C():
    """docs: Proposition 3.2's default is Theorem 3.1's default for dy = 1 and d3 = 2C (4C ReLU)."""
    from exactmem.constructions import ysj19
    from exactmem.data import random_dataset

    ds = random_dataset(n=6, d=2, classes=3, seed=3)
    for act, k in (("hardtanh", 2), ("relu", 4)):
        # N = 6: ceil(6/4) = 2 pairs, p q >= 2 -> hard-tanh (2, 4) or (4, 2), same node count and,
        # for dx = 2, dense 3*2 + 3*4 + 5 = 23 < 3*4 + 5*2 + 3 = 25: (2, 4); ReLU twice that.
        d12 = [2, 4] if act == "hardtanh" else [4, 8]
        built = ysj19.proposition_3_2(ds, activation=act)
        assert built.params["widths"] == d12 + [k * 3]
        assert built.network.hidden_widths == d12 + [k * 3]


# ---------------------------------------------------------------------------------------------
# ysj19 Proposition 3.4: choose_blocks finds the largest capacity (brute force over placements)

def _prop34_capacity(W, dy, blocks):
    """The proposition's sum for hard-tanh widths W = d_1..d_{L-1} and 1-based block indices, or
    None when a condition fails (room d_l, d_{l+1} >= r_j; d_k >= dy + 1 between blocks, >= dy after)."""
    L, m = len(W) + 1, len(blocks)
    d = {k: W[k - 1] for k in range(1, L)}
    if any(not 1 <= l <= L - 2 for l in blocks) or any(a + 1 >= b for a, b in zip(blocks, blocks[1:])):
        return None
    total = 0
    for j, l in enumerate(blocks, 1):
        r = (dy if j > 1 else 0) + (1 if j < m else 0)
        if d[l] < r or d[l + 1] < r:
            return None
        total += 4 * ((d[l] - r) // 2) * ((d[l + 1] - r) // (2 * dy))
    for a, b in zip(blocks, blocks[1:]):
        if any(d[k] < dy + 1 for k in range(a + 2, b)):
            return None
    if any(d[k] < dy for k in range(blocks[-1] + 2, L)):
        return None
    return total


def _subsets(items):
    for mask in range(1, 1 << len(items)):
        yield [x for i, x in enumerate(items) if mask >> i & 1]


def test_prop34_choose_blocks_attains_the_brute_force_capacity():
    import random

    from exactmem.constructions.ysj19.prop34 import choose_blocks

    rng = random.Random(7)
    cases = [([6, 6, 1, 6, 6, 6, 6], 1), ([5, 5, 5, 5, 5, 5, 5, 5], 1), ([9, 9, 2, 9, 9, 2, 9, 9], 1)]
    cases += [([rng.randint(1, 9) for _ in range(rng.randint(2, 9))], rng.randint(1, 2)) for _ in range(120)]
    for W, dy in cases:
        caps = [c for c in (_prop34_capacity(W, dy, b) for b in _subsets(list(range(1, len(W))))) if c is not None]
        found = choose_blocks(W, dy)
        if not caps:
            assert found is None, (W, dy)
            continue
        assert found is not None and found[0] == max(caps), (W, dy, found, max(caps))
        assert _prop34_capacity(W, dy, found[1]) == found[0], (W, dy, found)


def test_prop34_refuses_a_single_hidden_width_naming_the_rule():
    from exactmem.constructions import ysj19
    from exactmem.data import random_dataset
    from exactmem.errors import ConstructionError

    ds = random_dataset(n=2, d=1, dy=1, seed=1)
    for widths in ([8], [40]):
        with pytest.raises(ConstructionError, match="at least two positive hidden widths"):
            ysj19.proposition_3_4(ds, widths=widths)


def test_cor42_width_one_is_a_positive_width_refused_as_too_small():
    from exactmem.constructions import ysj19
    from exactmem.data import Dataset
    from exactmem.errors import ConstructionError

    pts = ((Fraction(0), Fraction(0)), (Fraction(1), Fraction(0)), (Fraction(0), Fraction(1)))
    ds = Dataset(pts, (1, 2, 1), "classification", 2).validate()
    with pytest.raises(ConstructionError, match="inadmissible"):      # 1 is positive, only too small
        ysj19.corollary_4_2(ds, widths=[1])
    with pytest.raises(ConstructionError, match="one hidden layer"):  # 0 is not a positive width
        ysj19.corollary_4_2(ds, widths=[0])
