"""Each ReLU gadget, evaluated exactly on the inputs where it must be exact."""

from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from exactmem.engine import forward
from exactmem.errors import InternalError
from exactmem.gadgets import (Expr, RegisterNet, bit_test, carry, class_decoder, gate, hardtanh_fold,
                              hardtanh_step, hardtanh_step_value, hardtanh_to_relu, hardtanh_zigzag,
                              lookup_parallel, ramp_bias, step_pair, step_value, trap_bump, trap_bump_units,
                              trapezoid, trapezoid_value, window, window_value)
from exactmem.network import Layer, Network
from exactmem.rational import ceil_div

F = Fraction


def relu(t):
    """The oracle: ReLU by hand, on Fractions."""
    return max(F(0), t)


def hardtanh(t):
    return min(F(1), max(F(-1), t))


def run(rn: RegisterNet, outputs, inputs):
    layers = rn.output(outputs)
    net = Network(len(inputs[0]), tuple(Layer.from_rationals(*lay) for lay in layers))
    return [o[0] if len(o) == 1 else o for o in forward(net, [tuple(Fraction(v) for v in x) for x in inputs])]


@given(st.lists(st.fractions(min_value=0, max_value=10**6), min_size=1, max_size=10))
def test_identity_carry_on_nonnegative_values(xs):
    rn = RegisterNet(["c"])
    rn.add_layer(carry(rn, "c"))
    rn.add_layer(carry(rn, "c"))
    assert run(rn, [rn.value("c")], [(x,) for x in xs]) == xs


@given(t=st.integers(-50, 50), zs=st.lists(st.integers(-100, 100), min_size=1, max_size=20),
       frac=st.fractions(min_value=0, max_value=1))
def test_step_is_0_below_t_minus_1_and_1_from_t(t, zs, frac):
    rn = RegisterNet(["z"])
    rn.add_layer(step_pair(rn.value("z"), t, "h"))
    inputs = [z + frac if z < t - 1 else z for z in zs]         # z <= t - 1 or integer z >= t
    inputs = [z for z in inputs if z <= t - 1 or z >= t]
    if not inputs:
        return
    out = run(rn, [step_value(rn, "h")], [(z,) for z in inputs])
    assert out == [1 if z >= t else 0 for z in inputs]


@given(st.integers(1, 40), st.data())
def test_msb_first_bit_extraction_of_fixed_length_integers(P, data):
    """Strip bits P-1 .. 0 of a P-bit integer (leading zeros allowed), one layer per bit."""
    us = data.draw(st.lists(st.integers(0, 2 ** P - 1), min_size=1, max_size=8))
    rn = RegisterNet(["u"])
    layer = {"u": rn.value("u"), **bit_test(rn.value("u"), P - 1, "s")}
    rn.add_layer(layer)
    acc = Expr()
    for t in range(1, P + 1):
        bit = step_value(rn, "s")
        u = rn.value("u") - 2 ** (P - t) * bit
        acc = 2 * (rn.value("a") if rn.has("a") else Expr()) + bit
        layer = {"u": u, "a": acc}
        if t < P:
            layer.update(bit_test(u, P - t - 1, "s"))
        rn.add_layer(layer)
    out = run(rn, [rn.value("a"), rn.value("u")], [(u,) for u in us])
    assert out == [(Fraction(u), Fraction(0)) for u in us]       # all bits read back, remainder 0


@given(key=st.integers(0, 1000), others=st.lists(st.integers(0, 1000), max_size=10),
       frac=st.fractions(min_value=0, max_value=1, max_denominator=1000).filter(lambda f: f < 1))
def test_window_matches_its_key_and_nothing_two_away(key, others, frac):
    rn = RegisterNet(["z"])
    rn.add_layer(window(rn.value("z"), key, "m"))
    far = [o for o in others if abs(o - key) >= 2]
    zs = [key + frac] + [o + frac for o in far]
    assert run(rn, [window_value(rn, "m")], [(z,) for z in zs]) == [1] + [0] * len(far)


@given(C=st.integers(1, 50), data=st.data())
def test_gate_multiplies_a_bounded_label_by_a_bit(C, data):
    pairs = data.draw(st.lists(st.tuples(st.integers(0, C), st.integers(0, 1)), min_size=1, max_size=10))
    rn = RegisterNet(["l", "M"])
    rn.add_layer({"q": gate(rn.value("l"), rn.value("M"), C)})
    assert run(rn, [rn.value("q")], pairs) == [l * M for l, M in pairs]


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=12, unique=True), st.data())
def test_parallel_lookup_returns_the_block_value(keys, data):
    keys = sorted(k * 2 for k in keys)                           # gaps >= 2, as Stage I guarantees
    values = data.draw(st.lists(st.integers(0, 2**64), min_size=len(keys), max_size=len(keys)))
    rn = RegisterNet(["z"])
    first, second = lookup_parallel(rn.value("z"), keys[1:], values, "h")
    rn.add_layer({"z": rn.value("z"), **first})
    rn.add_layer({"U": second(rn)})
    assert run(rn, [rn.value("U")], [(k,) for k in keys]) == values


def test_register_net_refuses_unknown_registers():
    rn = RegisterNet(["x"])
    with pytest.raises(InternalError):
        rn.add_layer({"y": Expr.of("nope")})
    with pytest.raises(InternalError):
        rn.value("nope")


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=12, unique=True), st.data())
def test_sequential_lookup_returns_the_block_value_at_constant_width(keys, data):
    from exactmem.gadgets import lookup_sequential
    keys = sorted(k * 2 for k in keys)
    u = data.draw(st.lists(st.integers(0, 2**64), min_size=len(keys), max_size=len(keys)))
    w = data.draw(st.lists(st.integers(0, 2**8), min_size=len(keys), max_size=len(keys)))
    rn = RegisterNet(["z"])
    rn.add_layer({"z": rn.value("z")})
    lookup_sequential(rn, "z", keys[1:], {"U": u, "W": w})
    assert len(rn.layers) == 1 + len(keys)
    assert max(len(b) for _, b, _ in rn.layers) <= 5
    assert run(rn, [rn.value("U"), rn.value("W")], [(k,) for k in keys]) == [
        (Fraction(a), Fraction(b)) for a, b in zip(u, w)]


@given(C=st.integers(1, 5), t=st.integers(1, 6), F=st.fractions(-2, 8, max_denominator=256))
def test_class_decoder_returns_the_class_inside_its_margin(C, t, F):
    """Oracle: the sum of clamped ramps min(1, max(0, 2^(t-1)(F - j - 1/2) + 1/2)), j = 0..C; it is
    the class c exactly when c - 1/2 + 2^-t <= F <= c + 1/2 - 2^-t."""
    net = Network(1, tuple(Layer.from_rationals(*m) for m in class_decoder(C, t)))
    out = forward(net, [(F,)])[0][0]
    s = Fraction(1 << t, 2)
    assert out == sum(min(1, max(0, s * (F - j - Fraction(1, 2)) + Fraction(1, 2))) for j in range(C + 1))
    mu = Fraction(1, 1 << t)
    for c in range(1, C + 1):
        if c - Fraction(1, 2) + mu <= F <= c + Fraction(1, 2) - mu:
            assert out == c


@given(offset=st.integers(-20, 20), e=st.fractions(-30, 30, max_denominator=64))
def test_trapezoid_is_a_plateau_of_ones_falling_to_zero_one_unit_outside(offset, e):
    """Offsets (o + 1, o, o - 2, o - 3): oracle relu by hand, and the shape from its definition."""
    offsets = (offset + 1, offset, offset - 2, offset - 3)
    rn = RegisterNet(["e"])
    rn.add_layer(trapezoid(rn.value("e"), offsets, "t"))
    out = run(rn, [trapezoid_value(rn, "t")], [(e,)])[0]
    assert out == relu(e + offsets[0]) - relu(e + offsets[1]) - relu(e + offsets[2]) + relu(e + offsets[3])
    if -offset <= e <= -offset + 2:
        assert out == 1
    elif e <= -offset - 1 or e >= -offset + 3:
        assert out == 0


@given(st.sampled_from(["relu", "hardtanh"]), st.fractions(-10, 10, max_denominator=48),
       st.lists(st.fractions(-5, 5, max_denominator=16), min_size=1, max_size=3),
       st.fractions(-5, 5, max_denominator=16))
def test_trap_bump_is_one_near_the_hyperplane_and_zero_two_away(activation, u, normal, offset):
    """trap_bump's (offsets, coefficients, scale) and trap_bump_units' dense units, against the
    bump computed by hand: 1 for |u| <= 1, 0 for |u| >= 2, between 0 and 1 in between."""
    act = relu if activation == "relu" else hardtanh
    offsets, coeffs, scale = trap_bump(activation)
    value = sum(co * act(scale * u + o) for o, co in zip(offsets, coeffs))
    if abs(u) <= 1:
        assert value == 1
    elif abs(u) >= 2:
        assert value == 0
    else:
        assert 0 <= value <= 1
    # Dense units at a point x with normal . x - offset = u: x = (u + offset) / normal[0] e_0 + ...
    if normal[0] == 0:
        return
    x = [(u + offset) / normal[0]] + [F(0)] * (len(normal) - 1)
    dense = sum(co * act(sum(r * xi for r, xi in zip(row, x)) + bias)
                for row, bias, co in trap_bump_units(normal, offset, activation))
    assert dense == value
    expected = ((relu(u + 2) - relu(u + 1) - relu(u - 1) + relu(u - 2)) if activation == "relu"
                else (hardtanh(2 * u + 3) - hardtanh(2 * u - 3)) / 2)
    assert value == expected


@given(t=st.integers(-50, 50), zs=st.lists(st.fractions(-100, 100, max_denominator=8), min_size=1, max_size=20))
def test_hardtanh_step_is_0_below_t_minus_1_and_1_from_t(t, zs):
    rn = RegisterNet(["z"])
    rn.add_layer(hardtanh_step(rn.value("z"), t, "h"), "hardtanh")
    out = run(rn, [hardtanh_step_value(rn, "h")], [(z,) for z in zs])
    for z, o in zip(zs, out):
        assert o == (hardtanh(2 * (z - t) + 1) + 1) / 2
        if z <= t - 1:
            assert o == 0
        elif z >= t:
            assert o == 1


@given(C=st.integers(1, 20), key=st.integers(0, 10**6), data=st.data())
def test_ramp_pair_adds_its_label_difference_only_past_the_key(C, key, data):
    """sigma(2C z + beta) - sigma(2C z + beta - h) with beta = ramp_bias(C, key): 0 for
    z <= key + 1, h for z >= key + 2 (|h| <= C - 1), computed by hand."""
    h = data.draw(st.integers(-(C - 1), C - 1))
    z = data.draw(st.one_of(st.fractions(key - 50, key + 1), st.fractions(key + 2, key + 50)))
    beta = ramp_bias(C, key)
    value = relu(2 * C * z + beta) - relu(2 * C * z + beta - h)
    assert value == (0 if z <= key + 1 else h)


@given(st.lists(st.tuples(st.fractions(-4, 4, max_denominator=8), st.fractions(-4, 4, max_denominator=8)),
                min_size=1, max_size=6),
       st.lists(st.fractions(-3, 3, max_denominator=4), min_size=4, max_size=4))
def test_hardtanh_to_relu_computes_the_same_function(xs, wb):
    """A hard-tanh hidden layer (one used unit, one dead) and its ReLU form, both evaluated by hand."""
    w1, b1, w2, b2 = wb
    layers = [([[w1], [F(0)]], [b1, F(0)], "hardtanh"), ([[w2, F(5)]], [b2], "identity")]
    converted = hardtanh_to_relu(layers, relu_widths=[3])
    assert [len(b) for _, b, _ in converted] == [3, 1]
    net = Network(1, tuple(Layer.from_rationals(*lay) for lay in converted))
    got = forward(net, [(x,) for x, _ in xs])
    assert got == [(w2 * hardtanh(w1 * x + b1) + b2,) for x, _ in xs]


def test_hardtanh_to_relu_refuses_a_width_too_small():
    with pytest.raises(InternalError):
        hardtanh_to_relu([([[F(1)]], [F(0)], "hardtanh"), ([[F(1)]], [F(0)], "identity")], relu_widths=[1])


@given(st.integers(-10**6, 10**6), st.integers(1, 1000), st.integers(-1000, -1))
def test_ceil_div_is_the_exact_ceiling(a, b, nb):
    for den in (b, nb):
        q = ceil_div(a, den)
        assert q - 1 < F(a, den) <= q                      # the definition of the ceiling
    q = ceil_div(F(a, 7), F(b, 3))
    assert q - 1 < F(a, 7) / F(b, 3) <= q


def _pl(breaks, values, s):
    """The oracle: the continuous function through (breaks, values), flat outside, by hand."""
    if s <= breaks[0]:
        return values[0]
    for a, b, va, vb in zip(breaks, breaks[1:], values, values[1:]):
        if s <= b:
            return va + (vb - va) * (s - a) / (b - a)
    return values[-1]


@given(st.data())
def test_hardtanh_zigzag_is_the_prescribed_function(data):
    """Mirror-symmetric gaps and values with alternating steps of one height give symmetric slopes;
    the gadget's sum equals the interpolation everywhere (breaks, between, outside)."""
    n = data.draw(st.integers(1, 5))
    half = data.draw(st.lists(st.fractions(min_value=F(1, 8), max_value=5, max_denominator=8), min_size=n - 1,
                              max_size=n - 1))
    mid = data.draw(st.fractions(min_value=F(1, 8), max_value=5, max_denominator=8))
    gaps = half + [mid] + half[::-1]                     # 2n - 1 gaps, symmetric
    start = data.draw(st.fractions(min_value=-5, max_value=5, max_denominator=8))
    breaks = [start + sum(gaps[:k], F(0)) for k in range(2 * n)]
    low, high = sorted(data.draw(st.lists(st.integers(-9, 9), min_size=2, max_size=2, unique=True)))
    slopes = [(high - low if k % 2 == 0 else low - high) / g for k, g in enumerate(gaps)]
    assert slopes == slopes[::-1]                        # mirror intervals: same gap, same parity
    values = [F(low if k % 2 == 0 else high) for k in range(2 * n)]
    units, coeffs, const = hardtanh_zigzag(breaks, values)
    assert len(units) == n
    probes = breaks + [a + (b - a) * F(k, 5) for a, b in zip(breaks, breaks[1:]) for k in range(1, 5)]
    probes += [breaks[0] - 3, breaks[-1] + F(7, 3)]
    for s in probes:
        got = const + sum(a * hardtanh(w * s + b) for (w, b), a in zip(units, coeffs))
        assert got == _pl(breaks, values, s)


def test_hardtanh_zigzag_refuses_asymmetric_slopes_and_bad_breaks():
    with pytest.raises(InternalError, match="symmetric"):
        hardtanh_zigzag([0, 1, 3, 4], [0, 1, 0, 2])
    with pytest.raises(InternalError):
        hardtanh_zigzag([0, 2, 1, 4], [0, 1, 0, 1])
    with pytest.raises(InternalError):
        hardtanh_zigzag([0, 1, 2], [0, 1, 0])


@pytest.mark.parametrize("d1,d2", [(1, 1), (1, 3), (2, 1), (3, 2), (4, 4)])
def test_hardtanh_fold_alternates_at_the_integers(d1, d2):
    """The fold's output is (-1)^(t+1) at t = 0..T, T = (2d1 - 1)(2d2 - 1), and its widths are d1, d2
    (exact evaluation by the engine; its piece count is tested in tests/test_hardtanh_pieces.py)."""
    layers, T = hardtanh_fold(d1, d2)
    assert T == (2 * d1 - 1) * (2 * d2 - 1)
    net = Network(1, tuple(Layer.from_rationals(*lay) for lay in layers))
    assert net.hidden_widths == [d1, d2]
    assert [o[0] for o in forward(net, [(F(t),) for t in range(T + 1)])] == [(-1) ** (t + 1) for t in range(T + 1)]
