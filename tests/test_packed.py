"""Packed evaluation of integral layers (exactmem/packed.py): each operation against the same
operation done value by value with Python integers, and whole networks against the independent
Fraction evaluation, including slots that widen and shrink, values at the edge of their slots,
long weights of the form u * 2^q, and more points than one chunk."""

from fractions import Fraction

from hypothesis import given, strategies as st

from exactmem import packed
from exactmem.engine import forward, integral
from exactmem.network import Layer, Network

from conftest import fraction_forward

widths = st.sampled_from([64, 128, 192, 320])


def packed_forward(net, pts):
    """The outputs of packed.evaluate itself (whether or not the engine would choose it), as
    Fractions: so the packed tests exercise the packed path even where packed.pays says no."""
    import math
    cols = [math.lcm(*(v.denominator for v in p)) for p in pts]
    rows = [[p[j].numerator * (c // p[j].denominator) for p, c in zip(pts, cols)] for j in range(net.input_dim)]
    out = packed.evaluate(net.layers, rows, cols)
    return [tuple(Fraction(row[p], c) for row in out) for p, c in enumerate(cols)]


@st.composite
def slot_values(draw, limit_bits=None):
    """A slot width and values that use it up to the edge: |v| < 2^(bits - 1)."""
    bits = draw(widths)
    top = (1 << (bits - 1)) - 1 if limit_bits is None else (1 << limit_bits) - 1
    edge = st.sampled_from([0, 1, -1, top, -top, top - 1, -(top - 1)])
    values = draw(st.lists(st.one_of(edge, st.integers(-top, top)), min_size=1, max_size=12))
    return bits, values


@given(slot_values())
def test_pack_then_unpack_gives_the_values_back(case):
    bits, values = case
    assert packed.unpack(packed.pack(values, bits)) == values


@given(slot_values())
def test_packed_value_is_the_sum_of_shifted_slots(case):
    bits, values = case
    assert packed.pack(values, bits).value == sum(v << (p * bits) for p, v in enumerate(values))


@given(slot_values())
def test_relu_is_max_with_zero_in_every_slot(case):
    bits, values = case
    assert packed.unpack(packed.relu(packed.pack(values, bits))) == [max(v, 0) for v in values]


@given(slot_values())
def test_magnitude_bits_is_the_largest_bit_length(case):
    bits, values = case
    P = packed.pack(values, bits)
    expected = max(abs(v).bit_length() for v in values)
    assert packed.magnitude_bits(P) == expected
    if min(values) >= 0:
        assert packed.magnitude_bits(P, nonnegative=True) == expected


@given(slot_values(limit_bits=60), widths)
def test_reslot_keeps_every_value(case, new_bits):
    bits, values = case
    mb = max(abs(v).bit_length() for v in values)
    Q = packed.reslot(packed.pack(values, bits), new_bits, mb)
    assert Q.bits == new_bits and packed.unpack(Q) == values


@given(st.integers(-2**40, 2**40), st.integers(0, 300), slot_values(limit_bits=20))
def test_times_a_long_weight_with_a_small_odd_part(u, q, case):
    bits, values = case
    w = u << q
    P = packed.pack(values, bits)
    assert packed.times(w, P) == w * P.value


small = st.integers(-5, 5)
long_weight = st.builds(lambda u, q, s: s * (u << q), st.integers(1, 7), st.integers(60, 400), st.sampled_from([1, -1]))
weight = st.one_of(small, small, long_weight, st.integers(-2**300, 2**300))


@st.composite
def integral_networks(draw):
    """Integral networks whose values grow by hundreds of bits and come back (so the slots widen
    and shrink), on points with unrelated small denominators."""
    d = draw(st.integers(1, 3))
    dims = [d] + draw(st.lists(st.integers(1, 4), min_size=1, max_size=6))
    layers = []
    for k, (a, b) in enumerate(zip(dims, dims[1:])):
        act = "identity" if k == len(dims) - 2 else draw(st.sampled_from(["relu", "relu", "hardtanh", "identity"]))
        layers.append(Layer.from_rationals([[draw(weight) for _ in range(a)] for _ in range(b)],
                                           [draw(weight) for _ in range(b)], act))
    point = st.tuples(*[st.fractions(min_value=-9, max_value=9, max_denominator=40)] * d)
    return Network(d, tuple(layers)), draw(st.lists(point, min_size=1, max_size=9))


@given(integral_networks(), st.integers(1, 4))
def test_packed_networks_equal_the_fraction_reference(case, chunk):
    net, pts = case
    assert integral(net)
    reference = [fraction_forward(net, p) for p in pts]
    assert forward(net, pts, chunk=chunk) == reference
    assert packed_forward(net, pts) == reference


def test_a_value_shifted_up_by_500_bits_and_back():
    """x -> relu(2^500 x + 3) (slots widen), then relu(that - 2^500 relu(x) + 2^500 relu(-x)),
    which is 3 for every x >= 0 (slots shrink again); negative inputs at several denominators."""
    big = 1 << 500
    net = Network(1, (Layer.from_rationals([[big], [1], [-1]], [3, 0, 0], "relu"),
                      Layer.from_rationals([[1, -big, big]], [0], "relu"),
                      Layer.from_rationals([[1]], [0], "identity")))
    pts = [(Fraction(p, q),) for p in range(-4, 5) for q in (1, 3, 7)]
    assert packed_forward(net, pts) == forward(net, pts) == [fraction_forward(net, p) for p in pts]
    assert all(out == (Fraction(3),) for x, out in zip(pts, forward(net, pts)) if x[0] >= 0)


def test_carried_values_and_nonnegative_sums_skip_no_point():
    """Unit rows (values carried forward) and sums of non-negative terms take shortcuts; on
    1,500 points (more than a chunk) they still equal the reference."""
    net = Network(2, (Layer.from_rationals([[1, 0], [0, 1], [1, -1]], [0, 0, 0], "relu"),
                      Layer.from_rationals([[1, 0, 0], [2, 3, 1], [0, 0, 1]], [0, 4, 0], "relu"),
                      Layer.from_rationals([[1, -1, 5]], [-2], "identity")))
    pts = [(Fraction(i % 37 - 18, 1 + i % 5), Fraction(i % 11 - 5, 1 + i % 3)) for i in range(1500)]
    assert packed_forward(net, pts) == forward(net, pts) == [fraction_forward(net, p) for p in pts]


@st.composite
def neuron_cases(draw):
    """One neuron on packed inputs that are all >= 0 or of any sign, with weights and biases of
    every sign (so the shortcuts for carried values and non-negative sums are both tried)."""
    n_in, n = draw(st.integers(1, 4)), draw(st.integers(1, 8))
    nonneg = draw(st.lists(st.booleans(), min_size=n_in, max_size=n_in))
    rows = [draw(st.lists(st.integers(0 if s else -2**70, 2**70), min_size=n, max_size=n)) for s in nonneg]
    cols = draw(st.lists(st.integers(1, 2**20), min_size=n, max_size=n))
    w = draw(st.lists(st.one_of(st.integers(-3, 3), long_weight), min_size=n_in, max_size=n_in))
    if draw(st.booleans()):
        w = [0] * n_in
        w[draw(st.integers(0, n_in - 1))] = 1               # a unit row: a carried value
    return rows, cols, w, draw(st.one_of(st.integers(-3, 3), long_weight)), draw(st.sampled_from(["relu", "hardtanh", "identity"]))


@given(neuron_cases())
def test_neuron_values_bound_and_sign_flag_are_exact(case):
    """neuron() returns the activated values, their exact largest bit length, and a sign flag
    that is True only when every value is >= 0 (the next layer's shortcuts rely on both)."""
    rows, cols, w, b, act = case
    bits = packed.slot_bits(1000)
    values = [packed.pack(r, bits) for r in rows]
    bits_in = [max(abs(v).bit_length() for v in r) for r in rows]
    signs = [min(r) >= 0 for r in rows]
    C = packed.pack(cols, bits)
    z = [sum(wi * r[p] for wi, r in zip(w, rows)) + b * cols[p] for p in range(len(cols))]
    expected = {"relu": [max(v, 0) for v in z], "identity": z,
                "hardtanh": [max(-c, min(c, v)) for v, c in zip(z, cols)]}[act]
    P, k, nonneg = packed.neuron(w, b, act, values, bits_in, signs, C, max(c.bit_length() for c in cols))
    assert packed.unpack(P) == expected
    assert k == max(abs(v).bit_length() for v in expected)
    assert not nonneg or min(expected) >= 0


def test_values_at_the_edge_of_a_word():
    """Inputs of 63 bits whose sum needs a second word, and a hard-tanh whose z + c needs one bit
    more than z and c (z = 3 (2^61 - 1), c = 2^62 - 1): both equal the Fraction reference."""
    net = Network(2, (Layer.from_rationals([[1, 1]], [0], "relu"), Layer.from_rationals([[1]], [0], "identity")))
    pts = [(Fraction(2**63 - 1), Fraction(2**62 - 1)), (Fraction(1), Fraction(1))]
    assert forward(net, pts) == [fraction_forward(net, p) for p in pts]
    net = Network(1, (Layer.from_rationals([[3]], [0], "hardtanh"), Layer.from_rationals([[1]], [0], "identity")))
    pts = [(Fraction(2**61 - 1, 2**62 - 1),), (Fraction(-(2**61 - 1), 2**62 - 1),), (Fraction(1, 5),)]
    assert forward(net, pts) == [fraction_forward(net, p) for p in pts]


def test_packing_is_declined_where_the_first_layer_widens_small_inputs_too_much():
    """packed.pays: slots up to MAX_WIDENING times the inputs' are packed, wider ones are not
    (YSJ19's hyperplanes at dx = 3072 turn 8-bit pixels into thousands of bits); the engine's
    values are the same either way."""
    pts = [(Fraction(v),) for v in range(-5, 6)]
    cols = [1] * len(pts)
    rows = [[int(p[0]) for p in pts]]
    for shift, expected in ((60, True), (4 * 64 - 10, True), (4 * 64, False), (2000, False)):
        layer = Layer.from_rationals([[1 << shift]], [0], "relu")
        assert packed.pays(layer, rows, cols) is expected, shift
        net = Network(1, (layer, Layer.from_rationals([[1]], [0], "identity")))
        assert forward(net, pts) == [fraction_forward(net, p) for p in pts]
