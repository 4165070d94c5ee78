"""Every theorem's size rule at its edge: the product builds exactly at the least admissible size the
paper's inequality allows, refuses one below (ConstructionError; exit code 3 through the CLI), and
builds one above. The expected edges come from tests/oracles.py, written from the papers' statements
(docs/*.md) and searched by brute force, never from exactmem's own width rules."""

import json
from fractions import Fraction

import pytest

from exactmem.cli import main
from exactmem.constructions import vys21, ysj19, yy26, zhang17
from exactmem.data import Dataset, random_dataset
from exactmem.engine import forward
from exactmem.errors import ConstructionError

import oracles as O
from conftest import fraction_forward, run_checker_inprocess

ACTS = ("relu", "hardtanh")


def memorizes(built, ds):
    target = built.dataset or ds
    return forward(built.network, target.points) == target.targets()


def regression(n, dy, seed=1, d=2):
    return random_dataset(n=n, d=d, dy=dy, seed=seed)


# ---------------------------------------------------------------------------------------------
# YSJ19 Theorem 3.1

@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("dy", [1, 2])
def test_thm31_least_d2_for_every_d1_and_least_d1_for_every_d2(activation, dy):
    for n in (1, 2, 3, 5, 6, 8, 9, 13):
        ds = regression(n, dy, seed=n)
        for d1 in range(1, 11):
            d2 = O.least_width(lambda w: O.thm31_admissible(d1, w, dy, n, activation), limit=200)
            if d2 is None:            # d1 too small for any d2: refused at a generous d2
                with pytest.raises(ConstructionError, match="inadmissible"):
                    ysj19.theorem_3_1(ds, widths=[d1, 200], activation=activation)
                continue
            for w in (d2, d2 + 1):
                built = ysj19.theorem_3_1(ds, widths=[d1, w], activation=activation)
                assert built.network.hidden_widths == [d1, w] and built.network.depth == 3
                assert memorizes(built, ds), (n, d1, w)
            if d2 > 1:
                with pytest.raises(ConstructionError, match="inadmissible"):
                    ysj19.theorem_3_1(ds, widths=[d1, d2 - 1], activation=activation)
        for d2 in range(1, 13):
            d1 = O.least_width(lambda w: O.thm31_admissible(w, d2, dy, n, activation), limit=200)
            if d1 is None:
                continue
            assert memorizes(ysj19.theorem_3_1(ds, widths=[d1, d2], activation=activation), ds)
            if d1 > 1:
                with pytest.raises(ConstructionError, match="inadmissible"):
                    ysj19.theorem_3_1(ds, widths=[d1 - 1, d2], activation=activation)


def test_thm31_hardtanh_capacity_edge_through_the_cli(tmp_path):
    """Planted bug "Theorem 3.1's hard-tanh capacity off by one in d2": at N = 6 the hard-tanh widths (3, 3)
    give 4*1*1 = 4 < 6 and must be refused with exit 3 and no file; (3, 4) gives 8 >= 6 and its certificate
    must be VERIFIED. The ReLU edge (4, 8) / (4, 7) likewise."""
    assert not O.thm31_admissible(3, 3, 1, 6, "hardtanh") and O.thm31_admissible(3, 4, 1, 6, "hardtanh")
    assert not O.thm31_admissible(4, 7, 1, 6, "relu") and O.thm31_admissible(4, 8, 1, 6, "relu")
    for act, below, edge in (("hardtanh", "3,3", "3,4"), ("relu", "4,7", "4,8")):
        out = tmp_path / f"{act}-below.json"
        code = main(["build", "ysj19-thm3.1", "--data", "random:n=6,d=2,seed=1", "--widths", below,
                     "--activation", act, "-o", str(out), "-q", "--no-verify"])
        assert code == 3 and not out.exists()
        out = tmp_path / f"{act}-edge.json"
        code = main(["build", "ysj19-thm3.1", "--data", "random:n=6,d=2,seed=1", "--widths", edge,
                     "--activation", act, "-o", str(out), "-q", "--no-verify"])
        assert code == 0
        from conftest import load_checker
        code, text = run_checker_inprocess(load_checker(), out)
        assert code == 0 and "s VERIFIED" in text, text
        assert json.loads(out.read_text())["sizes"]["widths"] == [int(v) for v in edge.split(",")]


def test_default_widths_are_the_fewest_nodes_the_theorem_admits():
    """docs/ysj19.md: the default pair is admissible and no admissible pair has fewer hidden nodes."""
    for act in ACTS:
        for dy in (1, 2):
            for n in range(1, 41):
                d1, d2 = ysj19.default_widths(n, 2, dy, act)
                assert O.thm31_admissible(d1, d2, dy, n, act)
                least = min(a + b for a in range(1, d1 + d2) for b in range(1, d1 + d2)
                            if O.thm31_admissible(a, b, dy, n, act))
                assert d1 + d2 == least, (act, dy, n, (d1, d2), least)


# ---------------------------------------------------------------------------------------------
# YSJ19 Proposition 3.2

@pytest.mark.parametrize("activation", ACTS)
def test_prop32_width_edges(activation):
    k = 2 if activation == "hardtanh" else 4
    for n, C in ((1, 1), (4, 2), (7, 3), (12, 4)):
        ds = random_dataset(n=n, d=2, classes=C, seed=n)
        for d1 in range(k, k + 6):
            d3 = O.least_width(lambda w: O.prop32_admissible(d1, 10**6, w, C, n, activation))
            d2 = O.least_width(lambda w: O.prop32_admissible(d1, w, d3, C, n, activation), limit=400)
            assert d3 == k * C
            for w2, w3 in ((d2, d3), (d2 + 1, d3), (d2, d3 + 1)):
                built = ysj19.proposition_3_2(ds, widths=[d1, w2, w3], activation=activation)
                assert built.network.hidden_widths == [d1, w2, w3] and memorizes(built, ds)
            with pytest.raises(ConstructionError, match="d3"):
                ysj19.proposition_3_2(ds, widths=[d1, d2, d3 - 1], activation=activation)
            if d2 > 1:
                with pytest.raises(ConstructionError, match="inadmissible"):
                    ysj19.proposition_3_2(ds, widths=[d1, d2 - 1, d3], activation=activation)


# ---------------------------------------------------------------------------------------------
# YSJ19 Proposition 3.4

def prop34_capacity(widths, dy, activation):
    """The largest N the proposition admits for these widths (brute force over N and placements)."""
    best = 0
    while O.prop34_admissible(widths, dy, best + 1, activation):
        best += 1
    return best


@pytest.mark.parametrize("activation", ACTS)
def test_prop34_capacity_edge(activation):
    """At N = the oracle's capacity the product builds (automatic blocks), at N + 1 it refuses."""
    cases = [[4, 4, 1], [3, 3, 1, 1, 3, 3], [2, 5, 3, 2, 6, 3, 1], [5, 5, 2, 5, 5, 1], [6, 6, 6, 1],
             [3, 9, 2, 3, 2, 1]]
    reached = 0
    for W in cases:
        widths = W if activation == "hardtanh" else [2 * w + 1 for w in W]       # odd ReLU widths
        cap = prop34_capacity(widths, 1, activation)
        if cap == 0:
            with pytest.raises(ConstructionError, match="inadmissible"):
                ysj19.proposition_3_4(regression(1, 1), widths=widths, activation=activation)
            continue
        reached += 1
        ds = regression(cap, 1, seed=cap)
        built = ysj19.proposition_3_4(ds, widths=widths, activation=activation)
        assert built.network.hidden_widths == widths and memorizes(built, ds)
        with pytest.raises(ConstructionError, match="inadmissible"):
            ysj19.proposition_3_4(regression(cap + 1, 1, seed=cap), widths=widths, activation=activation)
    assert reached >= 4


def test_prop34_every_explicit_placement_agrees_with_the_oracle():
    """For small width lists and every block placement the oracle enumerates (and a few it forbids),
    the product builds iff the proposition's conditions (room included) hold."""
    ds_by_n = {}
    for W in ([3, 3, 1, 1, 3, 3], [4, 4, 4, 4], [6, 6, 1, 6, 6, 1], [4, 3, 2, 4, 3], [2, 3, 3, 2, 3, 3, 1]):
        for dy in (1, 2):
            for n in (4, 8, 12):
                if (n, dy) not in ds_by_n:
                    ds_by_n[n, dy] = regression(n, dy, seed=n + dy)
                ds = ds_by_n[n, dy]
                L = len(W) + 1
                for blocks in [*O.prop34_placements(L), (1, 2), (L - 1,)]:
                    ok = O.prop34_admissible_blocks(W, dy, n, blocks)
                    if ok:
                        built = ysj19.proposition_3_4(ds, widths=W, blocks=list(blocks))
                        assert memorizes(built, ds), (W, dy, n, blocks)
                    else:
                        with pytest.raises(ConstructionError, match="inadmissible"):
                            ysj19.proposition_3_4(ds, widths=W, blocks=list(blocks))


# ---------------------------------------------------------------------------------------------
# YSJ19 Corollary 4.2 and Theorem 4.1 (data on the moment curve: every dx + 1 points independent)

def moment_curve(n, dx, classes):
    pts = tuple(tuple(Fraction(t ** j) for j in range(1, dx + 1)) for t in range(1, n + 1))
    return Dataset(pts, tuple(1 + i % classes for i in range(n)), "classification", classes).validate()


@pytest.mark.parametrize("activation", ACTS)
def test_cor42_least_width(activation):
    for n, dx, C in ((1, 1, 1), (5, 2, 2), (6, 3, 2), (7, 2, 3), (9, 4, 3)):
        ds = moment_curve(n, dx, C)
        d1 = O.least_width(lambda w: O.cor42_admissible(w, n, dx, C, activation))
        for w in (d1, d1 + 1):
            built = ysj19.corollary_4_2(ds, widths=[w], activation=activation)
            assert built.network.hidden_widths == [w] and memorizes(built, ds)
        with pytest.raises(ConstructionError, match="inadmissible"):
            ysj19.corollary_4_2(ds, widths=[d1 - 1], activation=activation)
        # the default is the least admissible width
        assert ysj19.corollary_4_2(ds, activation=activation).network.hidden_widths == [d1]


@pytest.mark.parametrize("activation", ACTS)
def test_thm41_block_and_head_edges(activation):
    kh = 2 if activation == "relu" else 1
    for n, dx, C in ((6, 2, 2), (7, 3, 2), (9, 3, 3)):
        ds = moment_curve(n, dx, C)
        S = O.least_width(lambda s: O.thm41_admissible([s], kh * C, n, dx, C, activation))
        head = O.least_width(lambda h: O.thm41_admissible([S], h, n, dx, C, activation))
        assert head == kh * C
        for widths, h in (([S], head), ([S + 1], head), ([S], head + 1)):
            built = ysj19.theorem_4_1(ds, activation=activation, block_widths=widths, head_width=h)
            assert built.network.hidden_widths == [*widths, h] and memorizes(built, ds)
        with pytest.raises(ConstructionError, match="inadmissible"):
            ysj19.theorem_4_1(ds, activation=activation, block_widths=[S - 1], head_width=head)
        with pytest.raises(ConstructionError, match="inadmissible"):
            ysj19.theorem_4_1(ds, activation=activation, block_widths=[S], head_width=head - 1)
    # dy <= dx: dx = dy builds, dx = dy - 1 is refused
    assert memorizes(ysj19.theorem_4_1(moment_curve(6, 2, 2), activation=activation), moment_curve(6, 2, 2))
    assert not O.thm41_admissible([100], 100, 6, 2, 3, activation)
    with pytest.raises(ConstructionError, match="dx >= dy"):
        ysj19.theorem_4_1(moment_curve(6, 2, 3), activation=activation)


# ---------------------------------------------------------------------------------------------
# YSJ19 Theorem 3.3 and zhang17

def collinear(n):
    return Dataset(tuple((Fraction(i),) for i in range(n)), tuple((Fraction(0),) for _ in range(n))).validate()


@pytest.mark.parametrize("activation", ACTS)
def test_thm33_depth3_widths_edge_and_the_piece_inequality(activation):
    for n in (3, 6, 10):
        ds = collinear(n)
        for d1 in range(1, 7):
            d2 = O.least_width(lambda w: O.thm31_admissible(d1, w, 1, n, activation), limit=100)
            if d2 is None:
                continue
            built = ysj19.theorem_3_3(ds, depth=3, activation=activation, widths=[d1, d2])
            assert memorizes(built, ds)
            # a network that memorizes the alternating witness has >= N - 1 pieces <= P: so P + 1 >= N
            assert O.thm33_pieces([d1, d2], activation) + 1 >= n
            if d2 > 1:
                with pytest.raises(ConstructionError, match="inadmissible"):
                    ysj19.theorem_3_3(ds, depth=3, activation=activation, widths=[d1, d2 - 1])
    built = ysj19.theorem_3_3(collinear(7), depth=2)
    assert built.network.hidden_widths == [7] and O.thm33_pieces([7], "relu") + 1 >= 7


def test_zhang17_uses_exactly_n_hidden_relus():
    for n in (1, 2, 7, 16):
        for dy in (1, 3):
            ds = regression(n, dy, seed=n, d=3)
            net = zhang17.theorem_1(ds).network
            assert net.depth == 2 and net.hidden_widths == [n]                      # d1 <= N, with equality
            assert net.params_nonzero <= (ds.d + 1) * n + n * dy
            assert [fraction_forward(net, p) for p in ds.points] == ds.targets()


# ---------------------------------------------------------------------------------------------
# VYS21 and vys21-depth on 1-d data with the direction v = 1 (Stage I computed by the oracle)

def line_data(n, classes, far=None):
    """Points 0..n-1 (and one far point 2^far), labels cycling 1..C."""
    xs = list(range(n - (far is not None))) + ([2 ** far] if far is not None else [])
    return Dataset(tuple((Fraction(x),) for x in xs), tuple(1 + i % classes for i in range(n)),
                   "classification", classes).validate()


def vys21_T(ds):
    rho, lam = O.key_sizes(O.stage1(ds.points, [1]), ds.classes)
    return max(rho, lam)


@pytest.mark.parametrize("n,C,far", [(10, 3, None), (16, 3, None), (30, 3, None), (12, 20, None), (9, 2, 9)])
def test_vys21_width_and_depth_for_every_block_size(n, C, far):
    ds = line_data(n, C, far)
    T = vys21_T(ds)
    for s in [None, *range(1, n + 2)]:
        built = vys21.theorem_3_1(ds, block_size=s, direction=[1])
        net = built.network
        assert net.width <= 12
        assert net.depth == O.vys21_depth_A(n, T, s), (s, T)
        assert memorizes(built, ds)


# (n, C, far): T = 5 (T + 2 = 7), T = 6 (8), T = 5 via lambda (C = 20), T = 11 (a far point)
VYS21_DEPTH_CASES = [(16, 3, None), (30, 3, None), (14, 20, None), (40, 2, 10)]


@pytest.mark.parametrize("n,C,far", VYS21_DEPTH_CASES)
def test_vys21_depth_budget_at_every_residue_of_L(n, C, far):
    """Planted bug "vys21-depth block count off by one (budget L = 31 gives depth 32)": every budget L
    from 1 to Construction A's depth + 2, so every residue of L mod (T + 2) inside the block range,
    must give exactly the oracle's layout depth, never above L."""
    ds = line_data(n, C, far)
    T = vys21_T(ds)
    DA = O.vys21_depth_A(n, T)
    residues, layouts = set(), set()
    with pytest.raises(ConstructionError, match="L = 1"):
        vys21.theorem_depth(ds, depth=1, direction=[1])
    for L in range(2, DA + 3):
        layout, depth = O.vys21_depth_layout(n, T, L)
        built = vys21.theorem_depth(ds, depth=L, direction=[1])
        assert built.network.depth == depth and depth <= L, (L, T, layout, built.network.depth)
        assert built.params["layout"] == layout
        layouts.add(layout)
        if layout == "blocks":
            residues.add(L % (T + 2))
    assert layouts == {"direct-folded", "direct", "blocks", "A"}
    block_range = [L for L in range(2, DA) if O.vys21_depth_layout(n, T, L)[0] == "blocks"]
    if len(block_range) >= T + 2:
        assert residues == set(range(T + 2)), (T, residues)
    else:                   # too short a range for every residue (the other cases cover them)
        assert residues == {L % (T + 2) for L in block_range} and len(residues) >= T
    assert memorizes(vys21.theorem_depth(ds, depth=DA - 1, direction=[1]), ds)


# ---------------------------------------------------------------------------------------------
# YY26 against the reference planner

YY26_CASES = [(9, 2, None), (20, 3, None), (40, 5, None), (60, 2, 12)]


def yy26_F(ds):
    rho, lam = O.key_sizes(O.stage1(ds.points, [1]), ds.classes)
    return rho + lam


@pytest.mark.parametrize("n,C,far", YY26_CASES)
def test_yy26_depth_at_every_width_matches_the_reference_planner(n, C, far):
    ds = line_data(n, C, far)
    F = yy26_F(ds)
    W0 = O.yy26_min_width(n)
    with pytest.raises(ConstructionError, match=f"below the minimum width {W0}"):
        yy26.theorem_r1(ds, width=W0 - 1, direction=[1])
    c = O.least_width(lambda k: k * k >= n)
    modes = set()
    for W in range(W0, 2 * c + 2):
        depth, best_modes = O.yy26_plan(n, F, W)
        built = yy26.theorem_r1(ds, width=W, direction=[1])
        net = built.network
        assert (net.depth, built.info["F"]) == (depth, F), (W, built.info["mode"])
        assert net.width <= W and memorizes(built, ds)
        assert built.info["mode"] in best_modes
        modes.add(built.info["mode"] + ("3" if depth == 3 else ""))
        # the budget edge at this width: L = depth builds, L = depth - 1 is refused
        assert yy26.theorem_r1(ds, width=W, depth=depth, direction=[1]).network.depth == depth
        if depth - 1 >= 3:
            with pytest.raises(ConstructionError, match=f"below the minimum depth {depth}"):
                yy26.theorem_r1(ds, width=W, depth=depth - 1, direction=[1])
        elif W < 2 * (n - 1):                 # L = 2 is the one-hidden-layer member of width 2(N - 1)
            with pytest.raises(ConstructionError, match=r"L = 2 needs width >= 2\(N-1\)"):
                yy26.theorem_r1(ds, width=W, depth=2, direction=[1])
    assert "S3" in modes


@pytest.mark.parametrize("n,C,far", YY26_CASES)
def test_yy26_depth_budget_gives_the_reference_least_width(n, C, far):
    ds = line_data(n, C, far)
    F = yy26_F(ds)
    for L in range(3, O.yy26_plan(n, F, O.yy26_min_width(n))[0] + 2):
        W = O.yy26_least_width(n, F, L)
        built = yy26.theorem_r1(ds, depth=L, direction=[1])
        assert built.info["target_width"] == W, (L, W)
        assert built.network.depth == O.yy26_plan(n, F, W)[0] <= L
        assert built.network.width <= W
    two = yy26.theorem_r1(ds, depth=2, direction=[1])
    assert (two.network.depth, two.network.width) == (2, max(1, 2 * (n - 1)))
    with pytest.raises(ConstructionError, match="needs width >= 2"):
        yy26.theorem_r1(ds, depth=2, width=2 * (n - 1) - 1, direction=[1])
