"""Exact evaluation of integral layers on many points at once, one big integer per neuron.

Why: in a deep, narrow network such as VYS21's (width 10, depth 700-4000, every denominator 1)
the engine's time went almost entirely into moving each value between Python and FLINT, one
entry at a time, at every layer; the products themselves were a tenth of it. Here a neuron's
values at the n points of a chunk live side by side in one integer, each in a slot of B bits:

    P = sum_p v_p * 2^(p*B),   with |v_p| < 2^(B-1) for every point p.

The map is linear, so sum_i w_i * P_i + b * C packs the pre-activations of all n points: one
big-integer multiply-add per weight instead of n. Nothing can carry from one slot into the next
as long as every result still fits its slot, which :func:`needed_bits` guarantees from exact
per-neuron bounds before anything is computed. ReLU is done with masks: adding 2^(B-1) to every
slot makes every slot non-negative, its top bit is then set exactly where v_p >= 0, and that bit,
spread over the slot, keeps the non-negative values and clears the others. Hard-tanh on values
over a positive denominator c is relu(z + c) - relu(z - c) - c.

After every layer the bound of each neuron is recomputed exactly from its values (the bitwise OR
of its slots, read through numpy), because bounds carried through the layers by interval
arithmetic would grow with every bit-extraction step, while the true values stay small.

Only integral maps (every neuron's denominator 1) are evaluated this way: a point's values then
keep one fixed denominator c_p from the input to the output. Everything here is integer
arithmetic, on GMP integers (gmpy2.mpz: 3-5 times faster than Python's own on numbers this
long); numpy only reads bytes.
"""

from __future__ import annotations

import numpy as np
from gmpy2 import f_mod_2exp, mpz

WORD = 64                       # slot widths are whole 64-bit words, so slots are whole bytes


class Packed:
    """n signed integers in slots of ``bits`` bits (a multiple of WORD) of one integer (an mpz)."""

    __slots__ = ("value", "n", "bits")

    def __init__(self, value: int, n: int, bits: int):
        self.value, self.n, self.bits = value, n, bits


_ONES: dict = {}


def ones(n: int, bits: int) -> int:
    """sum_p 2^(p*bits): a 1 at the bottom of each of n slots (cached: the masks are built from it)."""
    key = (n, bits)
    if key not in _ONES:
        if len(_ONES) > 64:
            _ONES.clear()
        _ONES[key] = mpz.from_bytes((b"\x01" + bytes(bits // 8 - 1)) * n, "little")
    return _ONES[key]


def slot_bits(magnitude_bits: int) -> int:
    """The slot width for values of at most this many bits: a sign bit more, in whole words."""
    return -(-(magnitude_bits + 1) // WORD) * WORD


def pack(values, bits: int) -> Packed:
    """Values with |v| < 2^(bits-1) into one integer (little-endian slots)."""
    half, nbytes = 1 << (bits - 1), bits // 8
    raw = b"".join((v + half).to_bytes(nbytes, "little") for v in values)
    n = len(values)
    return Packed(mpz.from_bytes(raw, "little") - half * ones(n, bits), n, bits)


def _slots(P: Packed, offset_bits: int) -> np.ndarray:
    """The n slots of P + 2^offset_bits in each slot (all non-negative), as an n x (bits/64) array."""
    q = P.value + (ones(P.n, P.bits) << offset_bits)
    return np.frombuffer(q.to_bytes(P.n * P.bits // 8, "little"), dtype="<u8").reshape(P.n, P.bits // WORD)


def unpack(P: Packed) -> list[int]:
    """The n signed slot values of P."""
    nbytes, half = P.bits // 8, 1 << (P.bits - 1)
    raw = (P.value + half * ones(P.n, P.bits)).to_bytes(P.n * nbytes, "little")
    return [int.from_bytes(raw[k:k + nbytes], "little") - half for k in range(0, len(raw), nbytes)]


def reslot(P: Packed, bits: int, magnitude_bits: int) -> Packed:
    """The same values in slots of ``bits`` bits; |v_p| < 2^magnitude_bits, and magnitude_bits
    < both widths (so the offset form below is exact in both)."""
    if bits == P.bits:
        return P
    half = magnitude_bits                          # slot value + 2^half lies in [0, 2^(half + 1))
    words = _slots(P, half)
    keep = min(P.bits, bits) // WORD
    out = np.zeros((P.n, bits // WORD), dtype="<u8")
    out[:, :keep] = words[:, :keep]
    value = mpz.from_bytes(out.tobytes(), "little") - (ones(P.n, bits) << half)
    return Packed(value, P.n, bits)


def magnitude_bits(P: Packed, nonnegative: bool = False) -> int:
    """max_p bit_length(|v_p|), exactly: the bit length of the OR of the slots' magnitudes,
    folded in halves (the low half of the slots OR the high half, until one slot is left)."""
    parts = [P] if nonnegative else [relu(P), relu(Packed(-P.value, P.n, P.bits))]
    best = 0
    for part in parts:
        x, n = part.value, part.n
        while n > 1 and x:
            low = (n // 2) * part.bits
            x = f_mod_2exp(x, low) | (x >> low)
            n -= n // 2
        best = max(best, x.bit_length())
    return best


def relu(P: Packed) -> Packed:
    """max(v_p, 0) in every slot: the top bit of v_p + 2^(bits-1) is set exactly when v_p >= 0."""
    ones_ = ones(P.n, P.bits)
    q = P.value + (ones_ << (P.bits - 1))
    keep = (q >> (P.bits - 1)) & ones_            # 1 at the bottom of every slot with v_p >= 0
    spread = (keep << P.bits) - keep               # all bits of those slots
    return Packed((q & spread) - (keep << (P.bits - 1)), P.n, P.bits)


def needed_bits(weights, bias: int, in_bits: list[int], c_bits: int) -> int:
    """Bit length that bounds |sum_i w_i * a_i + b * c| when |a_i| < 2^in_bits[i], |c| < 2^c_bits."""
    bound = abs(bias) << c_bits
    for w, k in zip(weights, in_bits):
        if w:
            bound += abs(w) << k
    return bound.bit_length()


def times(w: int, P: Packed):
    """w * P.value; a weight u * 2^q with a small odd part u (most of VYS21's long weights) as a
    product by u and a shift, which costs a pass over P instead of one per word of w."""
    q = (w & -w).bit_length() - 1
    if q >= WORD and (w >> q).bit_length() <= WORD:
        return (mpz(w >> q) * P.value) << q
    return mpz(w) * P.value


def affine(weights, bias: int, inputs: list[Packed], C: Packed) -> Packed:
    """sum_i w_i * P_i + b * C: a big-integer multiply-add per nonzero weight (exact, whatever the
    intermediate sizes; only the sum must fit the slots)."""
    z = times(bias, C) if bias else mpz(0)
    for w, P in zip(weights, inputs):
        if w:
            z += times(w, P)
    return Packed(z, C.n, C.bits)


# Packing pays while a slot is at most this many times as wide as the inputs' own slots: the first
# layer's inputs are widened to the slots its outputs need, and a weight's product then costs in
# proportion to the slot width, not to the input's length.
MAX_WIDENING = 4


def input_bits(rows: list[list[int]], cols: list[int]) -> tuple[list[int], int]:
    """(each input neuron's largest bit length over the chunk, the denominators' largest)."""
    return [max((abs(v).bit_length() for v in row), default=0) for row in rows], max(c.bit_length() for c in cols)


def pays(first_layer, rows: list[list[int]], cols: list[int], bits=None) -> bool:
    """True if the packed evaluation suits this network: its first layer's slots (from exact bounds
    of the inputs) are at most MAX_WIDENING times as wide as the inputs'. VYS21 and YY26 keep 1x;
    YSJ19's Cor 4.2 at dx = 3072 needs 30x at N = 2,000 (600x at 50,000): there 3072 inputs in
    slots of thousands of bits cost more time than per-point products and gigabytes of memory."""
    bits_in, c_bits = bits or input_bits(rows, cols)
    top = max(needed_bits(w, b, bits_in, c_bits) for w, b in zip(first_layer.weights, first_layer.bias))
    return slot_bits(top) <= MAX_WIDENING * slot_bits(max(bits_in + [c_bits]) + 1)


def evaluate(layers, rows: list[list[int]], cols: list[int], progress=None, bits=None) -> list[list[int]]:
    """Integral layers (every denominator 1) on the values rows[i][p] / cols[p]; returns the
    output rows over the same cols (unreduced). The slot width follows the largest bound any
    layer needs (with headroom, so it rarely changes) and shrinks when it is more than twice
    what the values need."""
    bits_in, c_bits = bits or input_bits(rows, cols)      # ``bits``: input_bits, when the caller has them
    signs = [all(v >= 0 for v in row) for row in rows]          # True: every value is >= 0
    width = slot_bits(max(bits_in + [c_bits]) + 1)
    values = [pack(row, width) for row in rows]
    C = pack(cols, width)
    for k, layer in enumerate(layers, 1):
        # Every value of this layer, its inputs and the denominators (hard-tanh adds c to a
        # value: one bit more) must fit the slots.
        top = max([needed_bits(w, b, bits_in, c_bits) for w, b in zip(layer.weights, layer.bias)]
                  + bits_in + [c_bits]) + (1 if layer.activation == "hardtanh" else 0)
        if slot_bits(top) > width or 2 * slot_bits(top) < width:
            new = slot_bits(top + top // 4)
            values = [reslot(P, new, k_) for P, k_ in zip(values, bits_in)]
            C, width = reslot(C, new, c_bits), new
        out = [neuron(w, b, layer.activation, values, bits_in, signs, C, c_bits)
               for w, b in zip(layer.weights, layer.bias)]
        values, bits_in, signs = [o[0] for o in out], [o[1] for o in out], [o[2] for o in out]
        if progress:
            progress(k, len(layers))
    return [unpack(P) for P in values]


def neuron(weights, bias, activation, values, bits_in, signs, C, c_bits):
    """One neuron on all points: (its packed values, their bit bound, whether all are >= 0)."""
    nonzero = [i for i, w in enumerate(weights) if w]
    if bias == 0 and len(nonzero) == 1 and weights[nonzero[0]] == 1:
        i = nonzero[0]                  # a value carried forward: nothing to compute
        if activation == "identity" or (activation == "relu" and signs[i]):
            return values[i], bits_in[i], signs[i]
    z = affine(weights, bias, values, C)
    # A sum of non-negative terms needs no ReLU (C > 0 at every point).
    nonnegative = bias >= 0 and all(weights[i] > 0 and signs[i] for i in nonzero)
    if activation == "relu":
        z = z if nonnegative else relu(z)
        return z, magnitude_bits(z, nonnegative=True), True
    if activation == "hardtanh":
        up = relu(Packed(z.value + C.value, z.n, z.bits))
        down = relu(Packed(z.value - C.value, z.n, z.bits))
        z = Packed(up.value - down.value - C.value, z.n, z.bits)
        return z, magnitude_bits(z), False
    return z, magnitude_bits(z, nonnegative), nonnegative
