"""One-direction pairs in the checker (section 17.2): a wide ReLU map whose rows all point one way
is evaluated with the map after it by a bisection over its sorted thresholds.  The values stay
those of an independent Fraction evaluation (at the thresholds too), a map with one row off the
direction is never taken for one, the saving shows in the charges, and a certificate whose
outputs the network does not compute is still REJECTED."""

import math
import sys
from contextlib import contextmanager
from pathlib import Path

from hypothesis import given, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "certificates"))

import check_network  # noqa: E402
from check_base import Budget, DEFAULT_LIMITS, NEURON  # noqa: E402
from check_network import Map, forward, has_pair, is_pair, repeats  # noqa: E402

from conftest import run_checker_inprocess  # noqa: E402
from test_checker_repeats import fraction_reference  # noqa: E402

weight = st.one_of(st.integers(-6, 6), st.integers(-2**90, 2**90))


@contextmanager
def pair_width(width):
    """Let the rule take maps of more than ``width`` neurons (the hypothesis maps are small)."""
    before = check_network.PAIR_WIDTH
    check_network.PAIR_WIDTH = width
    try:
        yield
    finally:
        check_network.PAIR_WIDTH = before


def plain(act, rows, bias, dens):
    return [Map(act, rows, bias, dens, len(rows[0]), repeats(rows, "test", Budget(DEFAULT_LIMITS)))]


@st.composite
def pair_networks(draw, bent=False):
    """Points x; a ReLU map with rows a * t_j over q * t_j (one direction a / q) and
    biases drawn freely, tied, or next to -t_j (a . x_p) (a neuron at or next to its threshold at x_p);
    then a plain map of any activation and maybe an identity map.  ``bent``: one weight of one row
    moved off the direction."""
    d = draw(st.integers(1, 3))
    pts = draw(st.lists(st.lists(st.fractions(-9, 9, max_denominator=4), min_size=d, max_size=d), min_size=1, max_size=4))
    a = [draw(weight) for _ in range(d)]
    q = draw(st.sampled_from([1, 3, 5]))
    m = draw(st.integers(2 if bent else 1, 8))
    ts = [draw(st.sampled_from([1, 2, 7, 1 << 40])) for _ in range(m)]
    rows = [[v * t for v in a] for t in ts]
    # at x_p, neuron j is active iff b_j > -t_j (a . x_p): biases at that value, or just below or above it
    def edges(t):
        return [f(-t * sum(u * v for u, v in zip(a, x))) for x in pts for f in (math.floor, math.ceil)]
    bias = [draw(st.one_of(weight, st.just(4), st.sampled_from(edges(t)))) for t in ts]
    if bent:
        j, i = draw(st.integers(0, m - 1)), draw(st.integers(0, d - 1))
        rows[j][i] += draw(st.sampled_from([1, -1, 1 << 60]))
    k = draw(st.integers(1, 3))
    act = draw(st.sampled_from(["identity", "relu", "hardtanh"]))
    entries = [plain("relu", rows, bias, [q * t for t in ts]),
               plain(act, [[draw(weight) for _ in range(m)] for _ in range(k)], [draw(weight) for _ in range(k)],
                     [draw(st.sampled_from([1, 3, 1 << 70])) for _ in range(k)])]
    if act != "identity" or draw(st.booleans()):
        entries.append(plain("identity", [[draw(weight) for _ in range(k)]], [draw(weight)], [1]))
    return entries, [[(v.numerator, v.denominator) for v in x] for x in pts]


@given(pair_networks())
def test_pairs_give_the_fraction_reference(case):
    entries, pts = case
    with pair_width(0):
        assert is_pair(entries[0][0], entries[1], Budget(DEFAULT_LIMITS))
        for x in pts:
            assert forward(entries, x, Budget(DEFAULT_LIMITS)) == fraction_reference(entries, x)


@given(pair_networks(bent=True))
def test_a_row_off_the_direction_is_no_pair(case):
    entries, pts = case
    with pair_width(0):
        assert not is_pair(entries[0][0], entries[1], Budget(DEFAULT_LIMITS))
        for x in pts:
            assert forward(entries, x, Budget(DEFAULT_LIMITS)) == fraction_reference(entries, x)


def test_narrow_maps_and_other_activations_are_no_pairs():
    rows, bias = [[1, 2]] * 5, [0, 1, 2, 3, 4]
    head = plain("identity", [[1] * 5], [0], [1])
    with pair_width(4):
        assert has_pair([plain("relu", rows, bias, [1] * 5), head], Budget(DEFAULT_LIMITS))
        assert not has_pair([plain("hardtanh", rows, bias, [1] * 5), head], Budget(DEFAULT_LIMITS))
    with pair_width(5):
        assert not has_pair([plain("relu", rows, bias, [1] * 5), head], Budget(DEFAULT_LIMITS))


def test_a_point_of_a_wide_pair_is_charged_far_less_than_its_neurons():
    """2,000 neurons: evaluated neuron by neuron a point costs at least NEURON each; as a pair,
    a bisection (the preparation is charged once, at the first point)."""
    m = 2000
    entries = [plain("relu", [[1, 3]] * m, [-j for j in range(m)], [1] * m),
               plain("identity", [[(-1) ** j * (j % 7) for j in range(m)]], [5], [1])]
    x = [(17, 1), (-2, 1)]
    first, second = Budget(DEFAULT_LIMITS), Budget(DEFAULT_LIMITS)
    assert forward(entries, x, first) == fraction_reference(entries, x)
    forward(entries, x, second)
    assert second.used < m * NEURON // 10 < first.used
    with pair_width(m):                      # the same point, neuron by neuron
        dense = Budget(DEFAULT_LIMITS)
        assert forward([[Map(*e[0], e[0].n_in, e[0].repeat)] for e in entries], x, dense) == fraction_reference(entries, x)
    assert dense.used > m * NEURON


def test_outputs_the_network_does_not_compute_are_rejected(checker, tmp_path):
    """zhang17 on 300 points: its 300-neuron hidden layer is a pair.  VERIFIED as built; with one
    bias of the hidden layer changed, the pair's values differ from the claimed outputs at some
    point: REJECTED at step 8."""
    from exactmem.certificate import certificate_bytes
    from exactmem.data import load
    from exactmem.pipeline import certify_in_memory

    cert, _ = certify_in_memory("zhang17", load("random:n=300,d=2,seed=4"), {})
    path = tmp_path / "z.json"
    path.write_bytes(certificate_bytes(cert))
    code, out = run_checker_inprocess(checker, path)
    assert code == 0 and "s VERIFIED" in out
    hidden = cert["network"]["layers"][0]
    j = next(j for j in range(150, 299) if hidden["dens"][j] == hidden["dens"][j + 1])
    hidden["bias"][j] = hidden["bias"][j + 1]                # neuron j now switches on one point later
    path.write_bytes(certificate_bytes(cert))
    code, out = run_checker_inprocess(checker, path)
    assert code == 1 and "output" in out and "network computes" in out, out


def test_a_neuron_just_below_its_threshold_stays_off():
    """At x = 1/2 the neurons relu(x + b) with b = -1 (value -1/2: off), 0 and 1 (on): the
    bisection's floor(-S' / c) must not switch on the neuron at floor(-x) = -1."""
    entries = [plain("relu", [[1]] * 3, [-1, 0, 1], [1] * 3), plain("identity", [[1, 10, 100]], [0], [1])]
    with pair_width(0):
        for x in ([(1, 2)], [(-1, 2)], [(1, 1)], [(-3, 2)]):
            assert forward(entries, x, Budget(DEFAULT_LIMITS)) == fraction_reference(entries, x)
