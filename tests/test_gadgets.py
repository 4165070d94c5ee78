"""Each ReLU gadget, evaluated exactly on the inputs where it must be exact."""

from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from exactmem.engine import forward
from exactmem.gadgets import (Expr, RegisterNet, bit_test, carry, class_decoder, gate, lookup_parallel, step_pair,
                              step_value, window, window_value)
from exactmem.network import Layer, Network


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
    with pytest.raises(KeyError):
        rn.add_layer({"y": Expr.of("nope")})


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
