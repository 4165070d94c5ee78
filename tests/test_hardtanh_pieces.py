"""The hard-tanh fold (exactmem.gadgets.hardtanh_fold): the 3-layer hard-tanh network with the most
pieces on a segment, and its ysj19-thm3.3 certificate (``memorizer="fold"``).

Expected counts are the hand formula 2 d2 (2 d1 - 1) + 1 (docs/ysj19.md, "The hard-tanh fold").
Three counters are compared with it: exactmem.segments, the checker's own stdlib implementation,
and a third one written here that only evaluates the network (the Fraction reference of
conftest.py) on a fine rational grid and walks along it, line by line.
"""

import json
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from exactmem.constructions.ysj19 import theorem_3_3
from exactmem.data import Dataset
from exactmem.errors import ConstructionError, DataError
from exactmem.network import Layer, Network
from exactmem.pipeline import certify_dataset
from exactmem.segments import count_pieces
from exactmem.studies import pieces

from conftest import fraction_forward, run_checker_inprocess
from test_pieces import _rehash, _write, checker_entries, rat

F = Fraction
GRID = [(d1, d2) for d1 in range(1, 5) for d2 in range(1, 5)] + [(6, 3), (3, 6), (5, 7)]


def formula(d1, d2):
    """By hand (docs/ysj19.md): 2 d2 crossings on each of the 2 d1 - 1 stretches, plus one."""
    return 2 * d2 * (2 * d1 - 1) + 1


def walk_pieces(f, a, b, cells):
    """Pieces of the continuous piecewise-affine f on [a, b], from its exact values on a grid of
    ``cells`` equal cells only, assuming kinks at least 3 cells apart (asserted on what is found).

    Walk the grid: while the next value lies on the current line, the piece continues; when it
    does not, a kink lies in that cell, the next piece is the line through the next two grid
    values, and the kink is where the two lines meet (asserted to lie in the cell)."""
    h = (b - a) / cells
    xs = [a + k * h for k in range(cells + 1)]
    ys = [f(x) for x in xs]
    kinks, k = [], 0
    slope = (ys[1] - ys[0]) / h
    x0, y0 = xs[0], ys[0]
    while k < cells:
        if ys[k + 1] == y0 + slope * (xs[k + 1] - x0):
            k += 1
            continue
        assert k + 3 <= cells, "a kink in the last cells: refine the grid"
        s2 = (ys[k + 3] - ys[k + 2]) / h                       # the next piece, two cells on
        assert ys[k + 1] == ys[k + 2] - s2 * h, "two kinks within 3 cells: refine the grid"
        xk = (ys[k + 2] - s2 * xs[k + 2] - y0 + slope * x0) / (slope - s2)
        assert xs[k] <= xk <= xs[k + 1]
        assert not kinks or xk - kinks[-1] >= 3 * h
        kinks.append(xk)
        slope, x0, y0, k = s2, xs[k + 2], ys[k + 2], k + 2
    return len(kinks) + 1


@pytest.mark.parametrize("d1,d2", GRID)
def test_fold_count_three_counters_and_the_bounds(checker, d1, d2):
    net, (u, v) = pieces.fold(d1, d2)
    T = (2 * d1 - 1) * (2 * d2 - 1)
    assert v == (F(T),) and net.hidden_widths == [d1, d2]
    ours = count_pieces(net, u, v).pieces
    import check_segment
    theirs = check_segment.pieces_on_segment(checker_entries(net, checker), rat(u), rat(v), checker.Budget())
    # the walker on [-1, T + 1] (it needs room after the last kink, T - 1/4); the fold is flat outside
    walked = walk_pieces(lambda t: fraction_forward(net, (t,))[0], F(-1), F(T + 1), 8 * (T + 2))
    assert ours == theirs == walked == formula(d1, d2)
    # below the layer-by-layer count (by 2 d1 + 4 d2) and the paper's bound
    assert pieces.tight_bound("hardtanh", (d1, d2)) - ours == 2 * d1 + 4 * d2
    assert ours < pieces.paper_bound(3, (d1, d2)) == 6 * d1 * d2 + 2 * d2 + 1
    assert pieces.proved_max("hardtanh", (d1, d2)) == ours
    # outside [0, T] the fold is flat: a longer segment has no more pieces
    assert count_pieces(net, (F(-5),), (F(T + 5),)).pieces == ours


def test_walk_counter_can_fail():
    """The grid walker finds kinks, not just the piece count of the network under test."""
    assert walk_pieces(lambda t: abs(t - F(1, 3)), F(0), F(1), 30) == 2
    assert walk_pieces(lambda t: max(F(0), t - F(1, 2)) + max(F(0), t - F(3, 4)), F(0), F(1), 40) == 3
    assert walk_pieces(lambda t: 3 * t, F(0), F(1), 10) == 1


small = st.fractions(min_value=-6, max_value=6, max_denominator=6)


@st.composite
def hardtanh_nets(draw):
    """3-layer hard-tanh networks on a line, layer-1 breakpoints spread over the segment [0, 1]."""
    d1, d2 = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    W1, b1 = [], []
    for _ in range(d1):
        c = F(draw(st.integers(1, 31)), 32)
        s = F(draw(st.sampled_from([-1, 1])) * draw(st.integers(1, 16)))
        W1.append([s])
        b1.append(-s * c)
    W2 = draw(st.lists(st.lists(small, min_size=d1, max_size=d1), min_size=d2, max_size=d2))
    b2 = draw(st.lists(small, min_size=d2, max_size=d2))
    W3 = draw(st.lists(small, min_size=d2, max_size=d2))
    return Network(1, (Layer.from_rationals(W1, b1, "hardtanh"), Layer.from_rationals(W2, b2, "hardtanh"),
                       Layer.from_rationals([W3], [0], "identity"))), d1, d2


@given(case=hardtanh_nets(), lo=st.integers(-3, 0), hi=st.integers(1, 4))
def test_no_drawn_network_beats_the_proved_maximum(case, lo, hi):
    net, d1, d2 = case
    assert count_pieces(net, (F(lo),), (F(hi),)).pieces <= formula(d1, d2)


@given(d1=st.integers(1, 3), d2=st.integers(1, 3), data=st.data())
def test_perturbed_folds_stay_within_the_maximum(d1, d2, data):
    """Near the maximiser: every weight and bias moved by up to 1/8, still no more pieces."""
    net, (u, v) = pieces.fold(d1, d2)
    layers = []
    for lay in net.layers:
        jig = lambda: data.draw(st.fractions(min_value=F(-1, 8), max_value=F(1, 8), max_denominator=16))
        W = [[F(w, den) + jig() for w in row] for row, den in zip(lay.weights, lay.dens)]
        b = [F(x, den) + jig() for x, den in zip(lay.bias, lay.dens)]
        layers.append(Layer.from_rationals(W, b, lay.activation))
    moved = Network(1, tuple(layers))
    assert count_pieces(moved, (u[0] - 2,), (v[0] + 2,)).pieces <= formula(d1, d2)


# ---------------------------------------------------------------------------------------------
# The certificate: ysj19-thm3.3 with memorizer="fold"

def line(n, d=2):
    """n equally spaced points on a line of Q^d, shuffled (the construction orders them)."""
    pts = [tuple(F(3) + F(k, 2) if c == 0 else F(-1) - k * (c + 1) for c in range(d)) for k in range(n)]
    pts = pts[1::2] + pts[0::2]
    return Dataset(tuple(pts), tuple((F(0),) for _ in pts), "regression")


FOLD = {"depth": 3, "activation": "hardtanh", "memorizer": "fold"}

# The variant this certificate needs in the checker's theorem table (certificates/check_theorems.py):
# the text the owner of the table is asked to add, tried here on an in-memory copy of the table.
PROPOSED_REQUIRED = {
    "assumption-distinct": ("distinct_points == 1",), "assumption-labels": ("labels_in_unit_box == 1",),
    "depth": ("depth == 3",), "activation": ("hardtanh_hidden == 1",),
    "counting-lemma": ("pieces_on_segment >= N - 1",), "lemma-hypothesis": ("alternating_on_segment == 1",),
    "pieces-bound-paper": ("pieces_on_segment <= 6 * d1 * d2 + 2 * d2 + 1",),
    "thm33": ("6 * d1 * d2 + 2 * d2 + 2 >= N",),
    "fold-pieces": ("pieces_on_segment >= 4 * d1 * d2 - 2 * d2 + 1",),
    "pieces-bound-hardtanh": ("pieces_on_segment <= 4 * d1 * d2 - 2 * d2 + 1",)}
PROPOSED_OPTIONAL = {
    "pieces-bound-tight": ("pieces_on_segment <= (2 * d1 + 1) * (2 * d2 + 1)",),
    "fold-capacity": ("(2 * d1 - 1) * (2 * d2 - 1) + 1 >= N",)}


def _check(checker, tmp_path, cert):
    code, out = run_checker_inprocess(checker, _write(tmp_path, cert))
    return code, out


@pytest.fixture(scope="module")
def fold_cert():
    return certify_dataset("ysj19-thm3.3", line(16), dict(FOLD, widths=[3, 2]))


def test_fold_certificate_claims_and_checker(checker, tmp_path, monkeypatch, fold_cert):
    cert = json.loads(json.dumps(fold_cert))
    assert cert["version"] == "1.2" and cert["construction"]["params"]["memorizer"] == "fold"
    assert cert["segment"] == {"from": ["3", "-1"], "to": ["21/2", "-31"]}   # x_(1) + 15 steps (1/2, -2)
    claims = {c["id"]: c for c in cert["claims"]}
    assert claims["fold-pieces"]["lhs"] == claims["pieces-bound-hardtanh"]["lhs"] == str(formula(3, 2))
    assert claims["counting-lemma"]["rhs"] == "15"
    import check_theorems
    entry = check_theorems.THEOREMS["ysj19-thm3.3"]
    has_fold = any("fold-pieces" in v["required"] for v in entry["variants"])
    code, out = _check(checker, tmp_path, cert)
    tail = out.strip().splitlines()[-1]
    if has_fold:                      # the table has the fold variant: the theorem is named
        assert code == 0 and tail.endswith(" theorem=ysj19-thm3.3"), tail
    else:                             # today's table: only the Theorem 3.1 memorizer's variant
        assert code == 1 and "(3-layer hardtanh): claim capacity of the theorem is missing" in tail, tail
    # the proposed variant, placed first, on a copy of the table
    fold = check_theorems.variant("3-layer hardtanh fold", lambda f: f["depth"] == 3 and check_theorems.hardtanh(f)
                                  and "fold-pieces" in f["claim_ids"], PROPOSED_REQUIRED, PROPOSED_OPTIONAL)
    monkeypatch.setitem(check_theorems.THEOREMS, "ysj19-thm3.3", dict(entry, variants=[fold, *entry["variants"]]))
    code, out = _check(checker, tmp_path, cert)
    assert code == 0 and out.strip().splitlines()[-1].endswith(" theorem=ysj19-thm3.3"), out
    assert "c claim fold-pieces: pieces_on_segment >= 4 * d1 * d2 - 2 * d2 + 1  (21 >= 21)" in out
    assert "c claim lemma-hypothesis: alternating_on_segment == 1  (1 == 1)" in out


def test_fold_certificate_outside_the_table_and_tampered(checker, tmp_path, fold_cert):
    cert = json.loads(json.dumps(fold_cert))
    cert["construction"]["id"] = "test-unbound"          # outside the table: every claim is evaluated
    code, out = _check(checker, tmp_path, _rehash(cert))
    assert code == 0 and out.strip().endswith("theorem=none"), out
    assert "c claim pieces-bound-hardtanh: pieces_on_segment <= 4 * d1 * d2 - 2 * d2 + 1  (21 <= 21)" in out
    i = next(k for k, c in enumerate(cert["claims"]) if c["id"] == "fold-pieces")
    cert["claims"][i].update(statement="pieces_on_segment >= 4 * d1 * d2 - 2 * d2 + 2", rhs="22")
    code, out = _check(checker, tmp_path, _rehash(cert))
    assert code == 1 and "claim fold-pieces (pieces_on_segment >= 4 * d1 * d2 - 2 * d2 + 2) is false: 21 >= 22" \
        in out.strip().splitlines()[-1], out
    cert = json.loads(json.dumps(fold_cert))             # a recorded count the checker does not find
    cert["construction"]["id"] = "test-unbound"
    cert["claims"][i]["lhs"] = "22"
    code, out = _check(checker, tmp_path, _rehash(cert))
    tail = out.strip().splitlines()[-1]
    assert code == 1 and "fold-pieces" in tail and "recomputed 21" in tail, tail


@pytest.mark.parametrize("n,widths,d", [(2, None, 1), (9, [2, 3], 1), (10, None, 3), (6, [2, 2], 2)])
def test_fold_memorizer_fits_fewer_points_on_the_whole_fold(n, widths, d):
    built = theorem_3_3(line(n, d), **dict(FOLD, widths=widths))
    d1, d2 = built.network.hidden_widths
    assert (2 * d1 - 1) * (2 * d2 - 1) + 1 >= n
    if widths is None:                                     # the least square fold that holds n
        assert d1 == d2 and (d1 == 1 or (2 * d1 - 3) ** 2 + 1 < n)
    w = built.dataset
    outs = [fraction_forward(built.network, x) for x in w.points]
    assert outs == list(w.labels)
    assert count_pieces(built.network, *built.segment).pieces == formula(d1, d2)


def test_fold_refusals():
    with pytest.raises(ConstructionError, match="3-layer hard-tanh"):
        theorem_3_3(line(5), depth=3, activation="relu", memorizer="fold")
    with pytest.raises(ConstructionError, match="3-layer hard-tanh"):
        theorem_3_3(line(5), memorizer="fold")
    with pytest.raises(ConstructionError, match="memorizer"):
        theorem_3_3(line(5), depth=3, activation="hardtanh", memorizer="zigzag")
    with pytest.raises(ConstructionError, match="holds"):
        theorem_3_3(line(17), **dict(FOLD, widths=[3, 2]))
    with pytest.raises(ConstructionError, match="two positive widths"):
        theorem_3_3(line(5), **dict(FOLD, widths=[3, 0]))
    uneven = Dataset(tuple((F(k * k),) for k in range(5)), tuple((F(0),) for _ in range(5)), "regression")
    with pytest.raises(DataError, match="equally spaced"):
        theorem_3_3(uneven, **FOLD)


def test_the_fold_from_the_command_line_names_its_theorem(tmp_path, capsys):
    """`exactmem build ysj19-thm3.3 --memorizer fold`: the checker (its own interpreter) verifies it
    under the theorem table's fold variant, with the fold's count 4*3*2 - 2*2 + 1 = 21 pieces."""
    import subprocess
    import sys
    from conftest import CHECKER
    from exactmem.cli import main
    data = tmp_path / "line.csv"
    data.write_text("".join(f"{i},{(-1) ** (i + 1)}\n" for i in range(16)))
    out = tmp_path / "fold.json"
    assert main(["build", "ysj19-thm3.3", "--data", str(data), "--depth", "3", "--activation", "hardtanh",
                 "--widths", "3,2", "--memorizer", "fold", "-o", str(out), "-q"]) == 0
    done = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), str(out)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.splitlines()[-1].endswith("theorem=ysj19-thm3.3"), done.stdout
    assert "[3-layer hardtanh fold]" in done.stdout and "(21 >= 21)" in done.stdout
