"""The exact forward pass of section 10 for integral networks, on many points at once.

Used for a network of plain layers whose every denominator is 1 (every neuron computes
act(W_j . x + b_j)); the values are the same as check_network.forward's, point by point.
A point's values stay integers over its own denominator c_p from input to output, so the values
of one neuron at the n points of a chunk can share one integer, each in a slot of B bits:

    X = sum_p v_p * 2^(p*B),   |v_p| < 2^(B-1) at every p.

The layer is linear, so sum_i w_i * X_i + b * C holds the pre-activations of all n points, as
long as each of them fits its slot: before a layer, the slot width is chosen from exact bounds
(|v| < 2^K for every neuron, K recomputed from the values after each layer), and widened if the
layer could need more.  ReLU keeps the slots whose top bit is set in X + 2^(B-1) in every slot
(that bit is set exactly where v_p >= 0); hard-tanh is relu(z + c) - relu(z - c) - c.
Every operation on a packed integer is one pass over it, charged before it runs.

Standard library, check_base and check_network only; never imports exactmem or check.py.
"""

from check_base import NEURON, OP, int_bytes, limbs, mul_cost
from check_network import reduce_outputs

CHUNK = 1000                # points per packed integer (a layer's NEURON charges: >= 1 per neuron and point)
WORD = 64                   # slot widths are whole words (so slots are whole bytes)
MAX_WIDENING = 4            # packed only while the first map's slots are at most 4x the inputs' (17.2)


def pass_cost(bits):
    """One linear pass over an integer of this many bits: add, and, or, shift (measured on
    CPython 3.11 at 0.2-1.9 ns a word; charged 3)."""
    return OP + 3 * limbs(bits)


def bytes_cost(bits):
    """int.to_bytes or int.from_bytes of this many bits (measured 4.3-4.8 ns a word; charged 10)."""
    return OP + 10 * limbs(bits)


def slot_width(k):
    """Slots for values below 2^k in magnitude: a sign bit more, rounded up to whole words."""
    return -(-(k + 1) // WORD) * WORD


class Chunk:
    """n points in slots of ``width`` bits; ``one`` has a 1 at the bottom of every slot."""

    def __init__(self, n, width, budget):
        self.n, self.width = n, width
        budget.hold(int_bytes(n * width), "packed forward pass: one neuron's values")
        budget.charge(bytes_cost(n * width) + n * OP, "packed forward pass: the slot mask")
        self.one = int.from_bytes((b"\x01" + bytes(width // 8 - 1)) * n, "little")

    def charge(self, passes, budget):
        """Charge this many passes over a packed integer of the chunk."""
        budget.charge(passes * pass_cost(self.n * self.width), "packed forward pass")


def pack(values, ch, budget):
    """The chunk's values (|v| < 2^(width-1)) as one integer."""
    half, size = 1 << (ch.width - 1), ch.width // 8
    budget.charge(ch.n * (NEURON + bytes_cost(ch.width)), "packed forward pass: packing values")
    raw = b"".join((v + half).to_bytes(size, "little") for v in values)
    budget.charge(bytes_cost(ch.n * ch.width) + 2 * pass_cost(ch.n * ch.width), "packed forward pass: packing")
    return int.from_bytes(raw, "little") - half * ch.one


def unpack(x, ch, budget):
    """The n signed values of a packed integer."""
    half, size = 1 << (ch.width - 1), ch.width // 8
    budget.charge(bytes_cost(ch.n * ch.width) + 2 * pass_cost(ch.n * ch.width), "packed forward pass: unpacking")
    raw = (x + half * ch.one).to_bytes(ch.n * size, "little")
    budget.charge(ch.n * (NEURON + bytes_cost(ch.width)), "packed forward pass: unpacking values")
    return [int.from_bytes(raw[k:k + size], "little") - half for k in range(0, len(raw), size)]


def relu(x, ch, budget):
    """max(v, 0) in every slot."""
    ch.charge(8, budget)
    q = x + (ch.one << (ch.width - 1))
    keep = (q >> (ch.width - 1)) & ch.one
    return (q & ((keep << ch.width) - keep)) - (keep << (ch.width - 1))


def magnitude(x, ch, nonnegative, budget):
    """K with |v| < 2^K at every slot, exactly the largest bit length: the OR of the slots'
    magnitudes, folded in halves."""
    if not nonnegative:
        ch.charge(1, budget)
    parts = [x] if nonnegative else [relu(x, ch, budget), relu(-x, ch, budget)]
    best = 0
    for part in parts:
        n = ch.n
        ch.charge(10, budget)                   # mask, and, shift, or: the halves add up to 2 passes
        while n > 1 and part:
            low = (n // 2) * ch.width
            part = (part & ((1 << low) - 1)) | (part >> low)
            n -= n // 2
        best = max(best, part.bit_length())
    return best


def widen(x, k, old, ch, budget):
    """A packed integer with slots of ``old`` bits (|v| < 2^k, k < old) in the chunk's wider slots."""
    size, new_size = old // 8, ch.width // 8
    old_one = int.from_bytes((b"\x01" + bytes(size - 1)) * ch.n, "little")
    budget.charge(bytes_cost(ch.n * old) * 2 + bytes_cost(ch.n * ch.width) + 4 * pass_cost(ch.n * ch.width)
                  + ch.n * (NEURON + bytes_cost(ch.width)), "packed forward pass: widening slots")
    raw = (x + (old_one << k)).to_bytes(ch.n * size, "little")        # every slot in [0, 2^(k+1))
    pad = bytes(new_size - size)
    wide = b"".join(raw[i:i + size] + pad for i in range(0, len(raw), size))
    return int.from_bytes(wide, "little") - (ch.one << k)


def times(w, x, ch, budget):
    """w * x; w = u * 2^s with a short u as a product by u and a shift."""
    s = (w & -w).bit_length() - 1
    if s >= WORD and (w >> s).bit_length() <= WORD:
        budget.charge(mul_cost(WORD, ch.n * ch.width) + pass_cost(ch.n * ch.width + w.bit_length()),
                      "packed forward pass: a product")
        return ((w >> s) * x) << s
    budget.charge(mul_cost(w.bit_length(), ch.n * ch.width), "packed forward pass: a product")
    return w * x


def bound(row, bias, ks, kc):
    """Bit length bounding |row . a + bias * c| when |a_i| < 2^ks[i] and c < 2^kc."""
    total = abs(bias) << kc
    for w, k in zip(row, ks):
        if w:
            total += abs(w) << k
    return total.bit_length()


def small_inputs(points, budget):
    """True if every input numerator and denominator of these (a, c) points has at most 64 bits:
    then no point can make every slot of the chunk much wider than its own values need."""
    budget.charge(sum(len(a) + 1 for a, _ in points) * OP, "packed forward pass: the inputs' sizes")
    return all(c.bit_length() <= WORD and all(abs(v).bit_length() <= WORD for v in a) for a, c in points)


def map_bounds(m, ks, kc, budget):
    """The bit length t bounding every value of the map m (and its inputs) from the inputs'
    bounds ks and kc; the row "a map's bounds" of section 17.2, charged before."""
    kmax = max(ks + [kc])
    budget.charge((m.nnz + len(m.dens)) * (NEURON + 2 * pass_cost(max(m.wbits, m.bbits) + kmax)),
                  "packed forward pass: a layer's bounds")
    return max([bound(r, b, ks, kc) for r, b in zip(m.rows, m.bias)] + ks + [kc]) + (m.act == "hardtanh")


def forward_chunk(entries, points, budget):
    """Outputs of the integral network at the given (a, c) points, point by point, reduced; None
    when packing does not pay (rule of section 17.2: the first map would need slots more than
    MAX_WIDENING times as wide as the inputs', and the chunk goes point by point)."""
    cols = [c for _, c in points]
    rows = [[a[i] for a, _ in points] for i in range(len(points[0][0]))]
    budget.charge(len(points) * (len(rows) + 1) * NEURON, "packed forward pass: the input's bounds")
    ks = [max(abs(v).bit_length() for v in row) for row in rows]
    kc = max(c.bit_length() for c in cols)
    if slot_width(map_bounds(entries[0][0], ks, kc, budget)) > MAX_WIDENING * slot_width(max(ks + [kc]) + 1):
        return None
    ch = Chunk(len(points), slot_width(max(ks + [kc]) + 1), budget)
    xs, C = [pack(row, ch, budget) for row in rows], pack(cols, ch, budget)
    signs = [False] * len(xs)                       # True: known >= 0 (a ReLU's output)
    for (m,) in entries:
        top = map_bounds(m, ks, kc, budget)
        if slot_width(top) > ch.width:
            old = ch.width
            ch = Chunk(ch.n, slot_width(top + top // 4), budget)
            xs = [widen(x, k, old, ch, budget) for x, k in zip(xs, ks)]
            C = widen(C, kc, old, ch, budget)
        budget.hold((len(xs) + len(m.dens) + 4) * int_bytes(ch.n * ch.width + max(m.wbits, m.bbits)),
                    "packed forward pass: a layer's values")
        out = []
        for j in range(len(m.dens)):
            nz = [i for i, w in enumerate(m.rows[j]) if w]
            if m.bias[j] == 0 and len(nz) == 1 and m.rows[j][nz[0]] == 1 and \
                    (m.act == "identity" or (m.act == "relu" and signs[nz[0]])):
                out.append((xs[nz[0]], ks[nz[0]], signs[nz[0]]))      # the same values, carried
                continue
            z = times(m.bias[j], C, ch, budget) if m.bias[j] else 0
            for i in nz:
                ch.charge(1, budget)
                z += times(m.rows[j][i], xs[i], ch, budget)
            if m.act == "relu":
                z = relu(z, ch, budget)
            elif m.act == "hardtanh":
                ch.charge(3, budget)
                z = relu(z + C, ch, budget) - relu(z - C, ch, budget) - C
            out.append((z, magnitude(z, ch, m.act == "relu", budget), m.act == "relu"))
        xs, ks, signs = [o[0] for o in out], [o[1] for o in out], [o[2] for o in out]
    values = [unpack(x, ch, budget) for x in xs]
    return [reduce_outputs([row[p] for row in values], c, budget) for p, c in enumerate(cols)]
