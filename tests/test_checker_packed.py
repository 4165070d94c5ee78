"""The checker's packed forward pass (certificates/check_packed.py) gives, point by point, what
its one-point forward pass gives (check_network.forward) and what an independent Fraction
evaluation gives, on integral networks whose values grow by hundreds of bits and come back,
with long weights u * 2^q, every activation, and points with unrelated denominators."""

import sys
from fractions import Fraction
from pathlib import Path

from hypothesis import given, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "certificates"))

import check_packed  # noqa: E402
from check_base import Budget, DEFAULT_LIMITS  # noqa: E402
from check_network import Map, forward, scale_point  # noqa: E402

small = st.integers(-5, 5)
long_weight = st.builds(lambda u, q, s: s * (u << q), st.integers(1, 7), st.integers(60, 400), st.sampled_from([1, -1]))
weight = st.one_of(small, small, long_weight, st.integers(-2**300, 2**300))


@st.composite
def cases(draw):
    d = draw(st.integers(1, 3))
    dims = [d] + draw(st.lists(st.integers(1, 4), min_size=1, max_size=6))
    entries = []
    for k, (a, b) in enumerate(zip(dims, dims[1:])):
        act = "identity" if k == len(dims) - 2 else draw(st.sampled_from(["relu", "relu", "hardtanh", "identity"]))
        if draw(st.booleans()) and a == b:          # carried values: unit rows, no bias
            rows, bias = [[int(i == j) for i in range(a)] for j in range(b)], [0] * b
        else:
            rows = [[draw(weight) for _ in range(a)] for _ in range(b)]
            bias = [draw(weight) for _ in range(b)]
        entries.append([Map(act, rows, bias, [1] * b, a)])
    point = st.tuples(*[st.fractions(min_value=-9, max_value=9, max_denominator=40)] * d)
    return entries, draw(st.lists(point, min_size=2, max_size=9))


def packed_chunk(entries, scaled, budget):
    """check_packed.forward_chunk with the widening rule off, so that these tests exercise the
    packed mechanics (slots that widen by hundreds of bits) wherever the rule would decline."""
    saved, check_packed.MAX_WIDENING = check_packed.MAX_WIDENING, 10**9
    try:
        return check_packed.forward_chunk(entries, scaled, budget)
    finally:
        check_packed.MAX_WIDENING = saved


def fraction_reference(entries, x):
    a = list(x)
    for (m,) in entries:
        z = [sum(w * v for w, v in zip(row, a)) + b for row, b in zip(m.rows, m.bias)]
        a = {"relu": [max(v, 0) for v in z], "identity": z,
             "hardtanh": [max(Fraction(-1), min(Fraction(1), v)) for v in z]}[m.act]
    return [(v.numerator, v.denominator) for v in a]


@given(cases())
def test_packed_equals_one_point_forward_and_fraction_reference(case):
    entries, pts = case
    budget = Budget(DEFAULT_LIMITS)
    xs = [[(v.numerator, v.denominator) for v in p] for p in pts]
    scaled = [scale_point(x, "test", budget) for x in xs]
    packed = packed_chunk(entries, scaled, budget)
    assert packed == [forward(entries, x, budget) for x in xs]
    assert packed == [fraction_reference(entries, p) for p in pts]


def test_slots_widen_for_a_value_shifted_up_by_500_bits():
    """relu(2^500 x + 3), then relu(that - 2^500 relu(x) + 2^500 relu(-x)): the slots must widen
    from one word to nine; the result is 3 at every x >= 0."""
    big = 1 << 500
    entries = [[Map("relu", [[big], [1], [-1]], [3, 0, 0], [1, 1, 1], 1)],
               [Map("relu", [[1, -big, big]], [0], [1], 3)],
               [Map("identity", [[1]], [0], [1], 1)]]
    pts = [(Fraction(p, q),) for p in range(-4, 5) for q in (1, 3, 7)]
    budget = Budget(DEFAULT_LIMITS)
    scaled = [scale_point([(v.numerator, v.denominator) for v in p], "test", budget) for p in pts]
    out = packed_chunk(entries, scaled, budget)
    assert out == [fraction_reference(entries, p) for p in pts]
    assert all(o == [(3, 1)] for p, o in zip(pts, out) if p[0] >= 0)


def _run(entries, pts):
    budget = Budget(DEFAULT_LIMITS)
    scaled = [scale_point([(v.numerator, v.denominator) for v in p], "test", budget) for p in pts]
    return packed_chunk(entries, scaled, budget)


def test_values_at_the_edge_of_a_word():
    """Slot widths where a missing bit would show: inputs of 63 bits whose sum needs 64 bits plus
    a sign bit (so the slots must be two words), and a hard-tanh whose z + c (c = 2^63 - 1) needs
    one bit more than z: both equal the Fraction reference."""
    sum_net = [[Map("relu", [[1, 1]], [0], [1], 2)], [Map("identity", [[1]], [0], [1], 1)]]
    pts = [(Fraction(2**63 - 1), Fraction(2**62 - 1)), (Fraction(1), Fraction(1))]
    assert _run(sum_net, pts) == [fraction_reference(sum_net, p) for p in pts]
    clip_net = [[Map("hardtanh", [[3]], [0], [1], 1)], [Map("identity", [[1]], [0], [1], 1)]]
    pts = [(Fraction(2**61 - 1, 2**62 - 1),), (Fraction(-(2**61 - 1), 2**62 - 1),), (Fraction(1, 5),)]
    assert _run(clip_net, pts) == [fraction_reference(clip_net, p) for p in pts]


def test_packing_declines_a_first_map_that_widens_short_inputs_more_than_four_times():
    """Rule of section 17.2: slots up to 4x the inputs' are packed; wider ones are not (None: the
    caller goes point by point), and the values are the same either way."""
    xs = [[(v, 1)] for v in range(-5, 6)]
    for shift, packs in ((60, True), (4 * 64 - 10, True), (4 * 64, False), (2000, False)):
        entries = [[Map("relu", [[1 << shift]], [0], [1], 1)], [Map("identity", [[1]], [0], [1], 1)]]
        budget = Budget(DEFAULT_LIMITS)
        scaled = [scale_point(x, "test", budget) for x in xs]
        out = check_packed.forward_chunk(entries, scaled, budget)
        assert (out is not None) is packs, shift
        assert packed_chunk(entries, scaled, budget) == [forward(entries, x, budget) for x in xs]
        if out is not None:
            assert out == [forward(entries, x, budget) for x in xs]
