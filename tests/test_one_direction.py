"""A wide ReLU layer whose rows all point one way, evaluated with the map after it by a
bisection over sorted thresholds (exactmem/one_direction.py): the same values as the Fraction
reference, at the thresholds themselves too, and only where the rows really share a direction."""

import math
from contextlib import contextmanager
from fractions import Fraction

from hypothesis import given, strategies as st

from exactmem import one_direction
from exactmem.engine import _prepare_network, forward
from exactmem.network import Layer, Network

from conftest import fraction_forward

rat = st.one_of(st.fractions(min_value=-20, max_value=20, max_denominator=12),
                st.builds(Fraction, st.integers(-2**90, 2**90), st.integers(1, 2**70)))


@contextmanager
def narrow(width):
    """Let the rule take layers of more than ``width`` neurons (the tests' layers are small)."""
    before = one_direction.MIN_WIDTH
    one_direction.MIN_WIDTH = width
    try:
        yield
    finally:
        one_direction.MIN_WIDTH = before


def dot(a, x):
    return sum(u * v for u, v in zip(a, x))


@st.composite
def one_direction_networks(draw, bent=False):
    """x -> relu((a t_j . x + b_j) / (q t_j)) for m neurons, one direction a / q, with biases drawn
    freely, tied, or next to -t_j (a . x_p) (a neuron at or next to its threshold at a point
    x_p) -> a plain map of any activation -> maybe an identity layer.  With ``bent``, one row is
    moved off the direction."""
    d = draw(st.integers(1, 3))
    pts = draw(st.lists(st.tuples(*[st.fractions(-9, 9, max_denominator=4)] * d), min_size=1, max_size=6))
    a = [draw(st.one_of(st.integers(-6, 6), st.integers(-2**90, 2**90))) for _ in range(d)]
    q = draw(st.sampled_from([1, 3, 5]))
    m = draw(st.integers(2 if bent else 1, 9))
    ts = [draw(st.sampled_from([1, 1, 2, 7, 1 << 40])) for _ in range(m)]

    def edges(t):
        return [f(-t * dot(a, x)) for x in pts for f in (math.floor, math.ceil)]
    bias = [draw(st.one_of(st.integers(-2**80, 2**80), st.just(4), st.sampled_from(edges(t)))) for t in ts]
    rows = [[v * t for v in a] for t in ts]
    if bent:
        j, i = draw(st.integers(0, m - 1)), draw(st.integers(0, d - 1))
        rows[j][i] += draw(st.sampled_from([1, -1, 1 << 60]))
    hidden = Layer(tuple(map(tuple, rows)), tuple(bias), tuple(q * t for t in ts), "relu")
    k = draw(st.integers(1, 3))
    act = draw(st.sampled_from(["identity", "relu", "hardtanh"]))
    layers = [hidden, Layer.from_rationals([[draw(rat) for _ in range(m)] for _ in range(k)],
                                           [draw(rat) for _ in range(k)], act)]
    if act != "identity" or draw(st.booleans()):
        layers.append(Layer.from_rationals([[draw(rat) for _ in range(k)]], [draw(rat)], "identity"))
    return Network(d, tuple(layers)), pts


@given(one_direction_networks())
def test_one_direction_pairs_equal_fraction_reference(case):
    net, pts = case
    with narrow(0):
        assert isinstance(_prepare_network(net)[0][0], one_direction.Pair)
        assert forward(net, pts) == [fraction_forward(net, p) for p in pts]


@given(one_direction_networks(bent=True))
def test_a_row_off_the_direction_is_evaluated_neuron_by_neuron(case):
    net, pts = case
    with narrow(0):
        assert not isinstance(_prepare_network(net)[0][0], one_direction.Pair)
        assert forward(net, pts) == [fraction_forward(net, p) for p in pts]


def test_only_wide_relu_layers_read_by_a_plain_layer_are_taken():
    row = [[1, 2]] * 5
    wide = Layer.from_rationals(row, [0, 1, 2, 3, 4], "relu")
    head = Layer.from_rationals([[1] * 5], [0], "identity")
    with narrow(4):
        assert one_direction.applies(wide, head)
        assert not one_direction.applies(Layer.from_rationals(row, [0] * 5, "hardtanh"), head)
    with narrow(5):
        assert not one_direction.applies(wide, head)


def test_integral_pairs_are_not_packed():
    """An integral network with a pair is evaluated through the pair (packing would meet every
    neuron at every point), and its values are the reference's."""
    m = 300
    hidden = Layer.from_rationals([[1, 3]] * m, [-j for j in range(m)], "relu")
    head = Layer.from_rationals([[(-1) ** j * (j % 7) for j in range(m)]], [5], "identity")
    net = Network(2, (hidden, head))
    pts = [(Fraction(v), Fraction(v % 5)) for v in range(-20, 200, 3)]
    assert isinstance(_prepare_network(net)[0][0], one_direction.Pair)
    assert forward(net, pts) == [fraction_forward(net, p) for p in pts]


def test_a_neuron_just_below_its_threshold_stays_off():
    """At x = 1/2 the neurons relu(x + b) with b = -1 (value -1/2: off), 0 and 1 (on): the
    bisection's floor(-S / c) must not switch on the neuron at floor(-x) = -1."""
    hidden = Layer(((1,),) * 3, (-1, 0, 1), (1, 1, 1), "relu")
    head = Layer(((1, 10, 100),), (0,), (1,), "identity")
    net = Network(1, (hidden, head))
    pts = [(Fraction(1, 2),), (Fraction(-1, 2),), (Fraction(1),), (Fraction(-3, 2),)]
    with narrow(0):
        assert isinstance(_prepare_network(net)[0][0], one_direction.Pair)
        assert forward(net, pts) == [fraction_forward(net, p) for p in pts]
