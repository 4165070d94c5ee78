"""The engine agrees with an independent Fraction evaluation, including huge weights."""

from fractions import Fraction

from hypothesis import given, strategies as st

from exactmem.engine import forward
from exactmem.gadgets import hardtanh_to_relu
from exactmem.network import Layer, Network

from conftest import fraction_forward

rat = st.one_of(st.fractions(min_value=-50, max_value=50, max_denominator=30),
                st.builds(Fraction, st.integers(-2**200, 2**200), st.integers(1, 2**150)))


@st.composite
def networks(draw):
    d = draw(st.integers(1, 4))
    dims = [d] + draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    layers = []
    for k, (a, b) in enumerate(zip(dims, dims[1:])):
        act = "identity" if k == len(dims) - 2 else draw(st.sampled_from(["relu", "hardtanh", "identity"]))
        W = [[draw(rat) for _ in range(a)] for _ in range(b)]
        layers.append(Layer.from_rationals(W, [draw(rat) for _ in range(b)], act))
    pts = draw(st.lists(st.tuples(*[rat] * d), min_size=1, max_size=8))
    return Network(d, tuple(layers)), pts


@given(networks())
def test_engine_equals_fraction_reference(case):
    net, pts = case
    assert forward(net, pts) == [fraction_forward(net, p) for p in pts]


def test_weights_of_100000_bits():
    big = Fraction(3**63000 + 1, 2**100001)          # ~200,000 bits in all
    net = Network(1, (Layer.from_rationals([[big], [-big]], [1, 0], "relu"),
                      Layer.from_rationals([[1, 1]], [0], "identity")))
    pts = [(Fraction(1),), (Fraction(-2, 7),), (Fraction(10**40),)]
    assert forward(net, pts) == [fraction_forward(net, p) for p in pts]
    assert net.bit_complexity > 100_000


def test_row_denominators_are_canonical():
    layer = Layer.from_rationals([[Fraction(1, 6), Fraction(1, 4)]], [Fraction(1, 3)], "relu")
    assert layer.dens == (12,) and layer.weights == ((2, 3),) and layer.bias == (4,)


@given(st.lists(st.tuples(st.fractions(max_denominator=20), st.fractions(max_denominator=20)), min_size=1, max_size=10),
       st.lists(st.fractions(min_value=-3, max_value=3, max_denominator=7), min_size=9, max_size=9))
def test_hardtanh_to_relu_gadget_is_exact(pts, w):
    # hardtanh(a) = ReLU(a+1) - ReLU(a-1) - 1, with dead (all-zero) units dropped and padding.
    W1 = [[w[0], w[1]], [w[2], w[3]], [Fraction(0), Fraction(0)]]
    b1 = [w[4], w[5], Fraction(0)]
    layers = [(W1, b1, "hardtanh"), ([[w[6], w[7], w[8]]], [Fraction(1)], "identity")]
    ht = Network(2, tuple(Layer.from_rationals(*lay) for lay in layers))
    relu_layers = hardtanh_to_relu(layers, relu_widths=[7])
    relu = Network(2, tuple(Layer.from_rationals(*lay) for lay in relu_layers))
    assert relu.hidden_widths == [7] and relu.hidden_activation() == "relu"
    assert [fraction_forward(relu, p) for p in pts] == [fraction_forward(ht, p) for p in pts]


def test_sizes_definitions():
    net = Network(2, (Layer.from_rationals([[1, 0], [Fraction(-3, 4), 5]], [0, 1], "relu"),
                      Layer.from_rationals([[Fraction(7, 2), 0]], [0], "identity")))
    s = net.sizes()
    assert (s["depth"], s["width"], s["hidden_neurons"]) == (2, 2, 2)
    assert s["params_dense"] == 3 * 2 + 3 * 1
    assert s["params_nonzero"] == 5
    assert s["bit_complexity"] == 2 + 3            # -3/4: bitlen 3 = 2, bitlen 4 = 3
    assert s["max_numerator_bits"] == 3            # 5 and 7
    assert s["layer_bits"] == [5, 5]               # 7/2 costs 3 + 2


small_int = st.integers(-6, 6)


@st.composite
def integral_networks(draw):
    """Networks whose every weight and bias is an integer (every neuron's denominator 1), on
    points with small denominators: the engine's unreduced integral path, in every activation."""
    d = draw(st.integers(1, 3))
    dims = [d] + draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    layers = []
    for k, (a, b) in enumerate(zip(dims, dims[1:])):
        act = "identity" if k == len(dims) - 2 else draw(st.sampled_from(["relu", "hardtanh", "identity"]))
        layers.append(Layer.from_rationals([[draw(small_int) for _ in range(a)] for _ in range(b)],
                                           [draw(small_int) for _ in range(b)], act))
    point = st.tuples(*[st.fractions(min_value=-3, max_value=3, max_denominator=12)] * d)
    return Network(d, tuple(layers)), draw(st.lists(point, min_size=1, max_size=8))


@given(integral_networks())
def test_integral_layers_equal_fraction_reference(case):
    net, pts = case
    assert all(den == 1 for layer in net.layers for den in layer.dens)
    assert forward(net, pts) == [fraction_forward(net, p) for p in pts]


def test_integral_hardtanh_clips_at_each_points_own_denominator():
    """hard-tanh over unreduced values clips at +-c_p, the point's own denominator: 3 * 2/3 = 2
    clips to 1, 3 * (-1/5) stays -3/5, 3 * 1/4 stays 3/4."""
    net = Network(1, (Layer.from_rationals([[3]], [0], "hardtanh"), Layer.from_rationals([[1]], [0], "identity")))
    pts = [(Fraction(2, 3),), (Fraction(-1, 5),), (Fraction(1, 4),)]
    assert forward(net, pts) == [(Fraction(1),), (Fraction(-3, 5),), (Fraction(3, 4),)]


@given(networks(), st.integers(1, 3))
def test_chunked_evaluation_equals_fraction_reference(case, chunk):
    """Points are evaluated in chunks (memory bounded by the chunk): any chunk size gives the
    reference values, in the points' order."""
    net, pts = case
    assert forward(net, pts, chunk=chunk) == [fraction_forward(net, p) for p in pts]


def test_sizes_are_computed_once_and_handed_out_as_copies():
    """A network never changes, so its sizes are computed once (the build asks 3-5 times); each
    call returns a copy a caller may change without changing the next answer."""
    from exactmem.network import Layer, Network
    net = Network(2, (Layer.from_rationals([[1, 2], [3, -4]], [0, 1], "relu"),
                      Layer.from_rationals([[1, 1]], [0], "identity")))
    assert "_sizes" not in net.__dict__
    first = net.sizes()
    assert "_sizes" in net.__dict__ and first == net.sizes() and first is not net.sizes()
    first["widths"].append(99)
    first["depth"] = -1
    assert net.sizes()["widths"] == [2] and net.sizes()["depth"] == 2


@st.composite
def networks_with_repeated_rows(draw):
    """Layers where several neurons share one weight row and differ in their biases (YSJ19's trap
    bumps): the engine forms each distinct row's products once and adds each neuron's bias."""
    net, pts = draw(networks())
    layers = []
    for layer in net.layers:
        W = [list(map(Fraction, row, [q] * len(row))) for row, q in zip(layer.weights, layer.dens)]
        b = [Fraction(v, q) for v, q in zip(layer.bias, layer.dens)]
        copies = draw(st.lists(st.integers(0, len(W) - 1), max_size=3))
        W += [W[k] for k in copies]
        b += [draw(rat) for _ in copies]
        layers.append((W, b, layer.activation))
    widened = []                                     # the next layer reads the added neurons too
    for k, (W, b, act) in enumerate(layers):
        if k:
            extra = len(layers[k - 1][0]) - len(W[0])
            W = [row + [draw(rat) for _ in range(extra)] for row in W]
        if k == len(layers) - 1:                     # keep the output width: drop the copies
            W, b = W[:net.layers[-1].n_out], b[:net.layers[-1].n_out]
        widened.append(Layer.from_rationals(W, b, act))
    return Network(net.input_dim, tuple(widened)), pts


@given(networks_with_repeated_rows())
def test_repeated_rows_equal_fraction_reference(case):
    net, pts = case
    assert forward(net, pts) == [fraction_forward(net, p) for p in pts]


def test_repeated_rows_are_multiplied_once():
    """Four neurons with one row, four biases: one row of products (the saving is the point)."""
    from exactmem.engine import _prepare
    layer = Layer.from_rationals([[1, 2, 3]] * 4 + [[0, 1, 0]], [0, 1, -1, 2, 5], "relu")
    _, M, _, first = _prepare(layer)
    assert (M.nrows(), M.ncols()) == (2, 3) and first == [0, 0, 0, 0, 1]
    net = Network(3, (layer, Layer.from_rationals([[1, -1, 1, -1, 1]], [0], "identity")))
    pts = [(Fraction(1), Fraction(-2, 3), Fraction(5)), (Fraction(-7), Fraction(0), Fraction(1, 9))]
    assert forward(net, pts) == [fraction_forward(net, p) for p in pts]


@st.composite
def residual_networks(draw):
    """Residual blocks h + outer(inner(h)) whose outer map leaves some coordinates alone (zero
    row, zero bias: YSJ19's blocks touch 10 of 3072) or all of them, then an identity head."""
    from exactmem.network import ResidualBlock
    d = draw(st.integers(1, 4))
    entries = []
    for _ in range(draw(st.integers(1, 3))):
        m = draw(st.integers(1, 3))
        inner = Layer.from_rationals([[draw(rat) for _ in range(d)] for _ in range(m)],
                                     [draw(rat) for _ in range(m)], draw(st.sampled_from(["relu", "hardtanh"])))
        touched = draw(st.lists(st.booleans(), min_size=d, max_size=d))
        outer = Layer.from_rationals([[draw(rat) for _ in range(m)] if t else [0] * m for t in touched],
                                     [draw(rat) if t else 0 for t in touched], "identity")
        entries.append(ResidualBlock(inner, outer))
    entries.append(Layer.from_rationals([[draw(rat) for _ in range(d)]], [draw(rat)], "identity"))
    pts = draw(st.lists(st.tuples(*[rat] * d), min_size=1, max_size=6))
    return Network(d, tuple(entries)), pts


@given(residual_networks())
def test_residual_blocks_that_touch_few_coordinates_equal_fraction_reference(case):
    net, pts = case
    assert forward(net, pts) == [fraction_forward(net, p) for p in pts]
