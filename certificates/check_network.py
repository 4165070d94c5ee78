"""The network of a certificate (sections 9, 10 and 12): parsing each affine map in canonical
form, recomputing the sizes, and the exact forward pass with integers over one denominator per
point, every costly step charged to the run's Budget before it runs.

Standard library and check_base only.  Must never import exactmem or a checker feature module,
and never write, run or load anything.
"""

import math
from collections import Counter
from operator import itemgetter, mul

from check_base import (ACTIVATIONS, Verdict, MADD, NEURON, OP, div_any_cost, div_cost, gcd_cost, int_bytes, lcm_charged,
                        limbs, lst, madd_cost, malformed, mul_cost, need, count, rejected, to_int)

# Section 17.2, "one-direction pairs": a plain ReLU map of more than this many neurons whose rows
# all point one way is evaluated together with the plain map after it.
PAIR_WIDTH = 256


def data_fits(n, d, limits):
    """Rule (section 17.1): at most --max-points points, and an input dimension of at most
    --max-width, read from the counts alone before any number is converted."""
    if n > limits.points:
        raise Verdict(4, f"dataset.n: {n} points, more than --max-points={limits.points}")
    if d > limits.width:
        raise Verdict(4, f"dataset.d: input dimension {d}, more than --max-width={limits.width}")


def network_fits(net, n, limits):
    """Rule (section 17.1): at most --max-layers layers of at most --max-width neurons, and a
    forward pass whose least cost (N * neurons * NEURON units) fits --max-work - from list
    lengths alone, before any number is converted (a field of the wrong type is left to the
    later checks)."""
    layers = net.get("layers") if isinstance(net, dict) else None
    if not isinstance(layers, list):
        return
    if len(layers) > limits.layers:
        raise Verdict(4, f"network.layers: {len(layers)} layers, more than --max-layers={limits.layers}")

    def width(layer, where):
        dens = layer.get("dens") if isinstance(layer, dict) else None
        m = len(dens) if isinstance(dens, list) else 0
        if m > limits.width:
            raise Verdict(4, f"{where}: {m} neurons, more than --max-width={limits.width}")
        return m

    neurons, integral = 0, True
    for k, layer in enumerate(layers, 1):
        block = layer.get("residual") if isinstance(layer, dict) else None
        if isinstance(block, dict):         # residual block: inner n_in -> m, outer m -> n_in
            neurons += width(block.get("inner"), f"layer {k} inner") + width(block.get("outer"), f"layer {k} outer")
            integral = False
        else:
            m = width(layer, f"layer {k}")
            # a wide ReLU layer read by a plain one may be a one-direction pair: no cost per neuron
            nxt = layers[k] if k < len(layers) else None
            pair = (m > PAIR_WIDTH and isinstance(layer, dict) and layer.get("activation") == "relu"
                    and isinstance(nxt, dict) and "residual" not in nxt)
            neurons += 0 if pair else m
            dens = layer.get("dens") if isinstance(layer, dict) else None
            integral = integral and isinstance(dens, list) and all(v == "1" for v in dens)
    # An integral network may be evaluated packed, at NEURON per neuron and chunk of 1000 points.
    unit = 1 if integral else NEURON
    if n * neurons * unit > limits.work:
        raise Verdict(4, f"work of the forward pass: N * neurons = {n} * {neurons} evaluations of at least "
                         f"{unit} units each, more than --max-work={limits.work}")


class Map:
    """One parsed affine map: activation, integer weight rows, integer biases and one positive
    denominator per neuron (neuron j computes (rows[j] . x + bias[j]) / dens[j]).  It also keeps
    the facts the cost model needs: the largest bit lengths, the number of nonzero weights, and,
    for rows that are mostly zero, the positions of their nonzero weights."""

    __slots__ = ("act", "rows", "bias", "dens", "n_in", "wbits", "bbits", "dbits", "nnz", "sparse", "integral",
                 "repeat", "nnz_new", "direction", "pair")

    def __init__(self, act, rows, bias, dens, n_in, repeat=None):
        self.act, self.rows, self.bias, self.dens, self.n_in = act, rows, bias, dens, n_in
        self.wbits = max((abs(v).bit_length() for r in rows for v in r), default=0)
        self.bbits = max(abs(v).bit_length() for v in bias)
        self.dbits = max(v.bit_length() for v in dens)
        self.nnz = sum(1 for r in rows for v in r if v)
        # repeat[j]: row j equals row j - 1 (found by repeats(), charged there); its products are
        # row j - 1's, so the forward pass forms and charges only the nnz_new of the other rows.
        self.repeat = repeat or [False] * len(rows)
        self.nnz_new = sum(1 for r, again in zip(rows, self.repeat) if not again for v in r if v)
        self.integral = all(q == 1 for q in dens)
        self.direction = None               # one_direction(): None until tested, then True or False
        self.pair = None                    # (next map, its prefix sums) once prepared
        self.sparse = []
        for r in rows:                      # (positions, weights) of a row that is mostly zero
            idx = [i for i, v in enumerate(r) if v]
            self.sparse.append((idx, [r[i] for i in idx]) if 2 * len(idx) < len(r) else None)

    def __iter__(self):
        """act, rows, bias, dens = m"""
        return iter((self.act, self.rows, self.bias, self.dens))

    def __getitem__(self, i):
        """m[0] is the activation, m[1] the rows, m[2] the biases, m[3] the denominators."""
        return (self.act, self.rows, self.bias, self.dens)[i]

    def same(self, other):
        """Equal activation, weights, biases and denominators."""
        return tuple(self) == tuple(other)


def dot(m, j, a):
    """rows[j] . a, over the nonzero weights only when the row is mostly zero."""
    sp = m.sparse[j]
    if sp is None:
        return sum(map(mul, m.rows[j], a))
    return sum(map(mul, sp[1], map(a.__getitem__, sp[0])))


def parse_layer(layer, where, n_in, budget):
    """One affine map (a Map).  Rule: every neuron is canonical, gcd(den, bias, weights) = 1."""
    need(layer, ("activation", "dens", "weights", "bias"), where)
    act = layer["activation"]
    if act not in ACTIVATIONS:
        raise malformed(f"{where}: unknown activation {str(act)[:20]!r}")
    dens = [to_int(v, f"{where} den {j}", budget) for j, v in enumerate(lst(layer["dens"], f"{where}.dens"))]
    n_out = len(dens)
    if n_out == 0:
        raise malformed(f"{where}: a layer needs at least one neuron")
    bias = [to_int(v, f"{where} bias {j}", budget) for j, v in enumerate(lst(layer["bias"], f"{where}.bias", n_out))]
    rows = []
    for j, row in enumerate(lst(layer["weights"], f"{where}.weights", n_out)):
        r = [to_int(v, f"{where} neuron {j} weight {i}", budget) for i, v in enumerate(lst(row, f"{where} neuron {j}", n_in))]
        if dens[j] <= 0:
            raise malformed(f"{where} neuron {j}: denominator must be positive")
        g = canonical_gcd(dens[j], bias[j], r, f"{where} neuron {j}", budget)
        if g != 1:
            raise malformed(f"{where} neuron {j}: numerators and denominator share a factor (not canonical)")
        rows.append(r)
    return Map(act, rows, bias, dens, n_in, repeats(rows, where, budget))


def canonical_gcd(den, bias, row, where, budget):
    """Rule (section 17.2, the canonical-neuron test): gcd(den, bias, weights), a neuron being
    canonical when it is 1.  g = den, or for a den of more than 64 bits g = gcd(den, z) with the
    combination z = bias + sum_i i w_i (a common factor of den, bias and the weights divides z, so
    the answer is the same); then g <- gcd(g, v) for v = bias, w_1, w_2, ... until g = 1.  (An
    output neuron of Zhang et al.'s network has 10^5 weights over one ~100,000-bit den: step by
    step from den, every gcd was between two numbers of that size, minutes in all; gcd(den, z)
    had 14 bits at N = 10^4.)"""
    g = den
    if den.bit_length() > 64:
        n = len(row)
        budget.charge(n * madd_cost(max((abs(v).bit_length() for v in row), default=0), (n + 1).bit_length())
                      + OP, f"{where}: the canonical-form combination")
        z = bias + sum(map(mul, row, range(1, n + 1)))
        budget.charge(gcd_cost(den.bit_length(), abs(z).bit_length()), f"{where}: the canonical-form gcd")
        g = math.gcd(den, z)
    for v in [bias] + row:
        if g == 1:
            break
        budget.charge(gcd_cost(g.bit_length(), abs(v).bit_length()), f"{where}: the canonical-form gcd")
        g = math.gcd(g, v)
    return g


def repeats(rows, where, budget):
    """Rule (section 17.2, the repeat test): row j is a repeat when it equals row j - 1, weight by
    weight; each pair compared is charged before it is, and the comparison stops at the first
    unequal pair.  (YSJ19's trap bumps give four neurons one hyperplane's row, thousands of
    weights of thousands of bits at dx = 3072: the forward pass forms its products once.)"""
    out = [False]
    for j in range(1, len(rows)):
        same = True
        for v, w in zip(rows[j], rows[j - 1]):
            budget.charge(OP + 3 * limbs(max(abs(v).bit_length(), abs(w).bit_length())),
                          f"{where} neuron {j}: the repeat test")
            if v != w:
                same = False
                break
        out.append(same)
    return out


def load_network(cert, d, dy, budget):
    """Rule (section 9): the network field as a list of entries.  Entries: [layer] for a plain layer, [inner, outer] for a residual block h + outer(inner(h))."""
    net = need(cert["network"], ("input_dim", "layers"), "network")
    if count(net["input_dim"], "network.input_dim", 1) != d:
        raise rejected(f"network.input_dim {net['input_dim']} differs from the data dimension {d}")
    entries = []
    n_in = d
    for k, layer in enumerate(lst(net["layers"], "network.layers"), 1):
        if isinstance(layer, dict) and "residual" in layer:
            need(layer, ("residual",), f"layer {k}")
            block = need(layer["residual"], ("inner", "outer"), f"layer {k} (residual)")
            inner = parse_layer(block["inner"], f"layer {k} inner", n_in, budget)
            outer = parse_layer(block["outer"], f"layer {k} outer", len(inner[3]), budget)
            if inner[0] == "identity" or outer[0] != "identity" or len(outer[3]) != n_in:
                raise malformed(f"layer {k} (residual): inner needs an activation, outer must be identity "
                                f"back to dimension {n_in}")
            entries.append([inner, outer])
        else:
            entries.append([parse_layer(layer, f"layer {k}", n_in, budget)])
            n_in = len(entries[-1][0][3])
    if not entries:
        raise malformed("network.layers: at least one layer is needed")
    if len(entries[-1]) != 1 or entries[-1][0][0] != "identity":
        raise rejected("output layer: must be a plain layer with activation identity")
    if n_in != dy:
        raise rejected(f"network has {n_in} outputs, the labels have dy = {dy}")
    return entries


def recompute_sizes(entries, d, budget):
    """Rule (section 12): sizes over the affine maps on the input-output path (a residual block has two)."""
    widths = [len(entry[0][3]) for entry in entries[:-1]]        # a block counts its hidden width
    layer_bits, numbits, nonzero, dense, n_in = [], 0, 0, 0, d
    for entry in entries:
        stream = n_in
        for act, rows, bias, dens in entry:
            dense += (n_in + 1) * len(dens)
            best = 0
            for r, b, den in zip(rows, bias, dens):
                if den == 1:                # nothing to reduce: bitlen(v) + bitlen(1)
                    for v in r + [b]:
                        nonzero += v != 0
                        best = max(best, abs(v).bit_length() + 1)
                        numbits = max(numbits, abs(v).bit_length())
                    continue
                db = den.bit_length()
                budget.charge(sum(gcd_cost(db, abs(v).bit_length()) + 2 * div_cost(abs(v).bit_length(), db)
                                  for v in r + [b]), "sizes: reducing each weight")
                for v in r + [b]:
                    nonzero += v != 0
                    g = math.gcd(v, den)
                    best = max(best, abs(v // g).bit_length() + (den // g).bit_length())
                    numbits = max(numbits, abs(v // g).bit_length())
            layer_bits.append(best)
            n_in = len(dens)
        n_in = n_in if len(entry) == 1 else stream
    return {
        "depth": len(layer_bits),
        "width": max(widths, default=0),
        "widths": widths,
        "hidden_neurons": sum(widths),
        "params_dense": dense,
        "params_nonzero": nonzero,
        "bit_complexity": max(layer_bits),
        "max_numerator_bits": numbits,
        "layer_bits": layer_bits,
    }


def apply_layer(m, a, c, budget):
    """One affine map and its activation on a point's values a / c; returns (a', c').
    Cost model: the products are charged from the bit lengths of a, c and the weights before
    they are formed, the reduction and the new common denominator likewise, step by step."""
    act, rows, bias, dens = m
    abits = max(c.bit_length(), max(map(abs, a)).bit_length() if a else 0)
    n_out = len(dens)
    if abits <= 64 and m.wbits <= 64 and m.bbits <= 64:      # small operands: one word each
        budget.charge(m.nnz_new * (MADD + 4) + n_out * (OP + 4) + (n_out + 1) * NEURON,
                      "forward pass: a layer's products")
    else:
        budget.charge(m.nnz_new * madd_cost(m.wbits, abits) + n_out * mul_cost(m.bbits, abits) + (n_out + 1) * NEURON,
                      "forward pass: a layer's products")
    zbits = max(m.wbits, m.bbits) + abits + (m.n_in + 1).bit_length()      # |z| < 2^zbits
    if zbits > 4096:
        budget.hold(n_out * int_bytes(zbits + m.dbits), "forward pass: one layer's values")
    if m.integral:
        # Every neuron's denominator is c itself: the values stay over c, unreduced (the same
        # rationals; the outputs are reduced at the end), and no gcd or lcm is needed.
        out, s = [], 0
        for j in range(n_out):
            s = s if m.repeat[j] else dot(m, j, a)        # a repeat: the row before's products
            z = s + bias[j] * c
            if act == "relu" and z < 0:
                z = 0
            elif act == "hardtanh":
                z = max(-c, min(c, z))
            out.append(z)
        return out, c
    budget.charge(n_out * mul_cost(m.dbits, c.bit_length()), "forward pass: a layer's denominators")
    zs, s = [], 0
    for j in range(n_out):
        s = s if m.repeat[j] else dot(m, j, a)
        zs.append(s + bias[j] * c)
    return reduce_values(act, zs, [q * c for q in dens], zbits, budget)


def reduce_values(act, zs, Ds, zbits, budget):
    """The activation on each numerator z over D, the value reduced, and the map's values over the
    lcm c' of the reduced denominators: (values, c').  |z| < 2^zbits."""
    nums, ds = [], []
    for z, D in zip(zs, Ds):
        if act == "relu" and z < 0:
            z = 0
        elif act == "hardtanh":
            z = max(-D, min(D, z))
        zb, Db = abs(z).bit_length(), D.bit_length()
        budget.charge(gcd_cost(zb, Db) + div_any_cost(zb, Db) + div_any_cost(Db, Db),
                      "forward pass: reducing a value")
        g = math.gcd(z, D)
        nums.append(z // g)
        ds.append(D // g)
    c = lcm_charged(ds, "forward pass: a layer's common denominator", budget)
    cb = c.bit_length()
    budget.hold(len(zs) * int_bytes(zbits + cb), "forward pass: one layer's values over their common denominator")
    budget.charge(sum(div_cost(cb, q.bit_length()) + mul_cost(abs(v).bit_length(), cb - q.bit_length() + 1)
                      for v, q in zip(nums, ds) if q != c), "forward pass: rescaling a layer's values")
    return [v if q == c else v * (c // q) for v, q in zip(nums, ds)], c


def over_common_denominator(rows, what, budget):
    """Rows of (num, den) pairs as integers over one common denominator c, the lcm of the distinct
    denominators (in increasing order): (rows of integers, c).  Each quotient c // q is formed
    once per distinct q; the products once per value."""
    dens = sorted(set().union(*(map(itemgetter(1), row) for row in rows)))
    c = lcm_charged(dens, what, budget)
    nums = [list(map(itemgetter(0), row)) for row in rows]
    budget.hold(sum(k * int_bytes(b + c.bit_length()) for b, k in bit_lengths(nums).items()), what)
    budget.charge(sum(div_cost(c.bit_length(), q.bit_length()) for q in dens if q != c), what)
    if len(dens) <= 1:                 # every value is over c already: no product
        return nums, c
    factor = {q: c // q for q in dens if q != c}
    budget.charge(sum(mul_cost(abs(p).bit_length(), c.bit_length()) for row in rows for p, q in row if q != c), what)
    return [[p * factor[q] if q != c else p for p, q in row] for row in rows], c


def bit_lengths(rows):
    """How many integers of the rows have each bit length (the charges above depend on no more)."""
    lengths = Counter()
    for row in rows:
        lengths.update(map(int.bit_length, row))
    return lengths


def residual_sum(a, c, a1, c1, budget):
    """A block's input a / c plus its outer output a1 / c1 over the lcm of c and c1: (values, lcm),
    charged as :func:`over_common_denominator` charges the 2n values as (num, den) pairs."""
    what, parts = "forward pass: a residual sum", [(a, c), (a1, c1)]
    dens = sorted({q for vals, q in parts if vals})
    ell = lcm_charged(dens, what, budget)
    budget.hold(sum(k * int_bytes(b + ell.bit_length()) for b, k in bit_lengths([a, a1]).items()), what)
    budget.charge(sum(div_cost(ell.bit_length(), q.bit_length()) for q in dens if q != ell), what)
    moved = bit_lengths(vals for vals, q in parts if q != ell)
    budget.charge(sum(k * mul_cost(b, ell.bit_length()) for b, k in moved.items()), what)
    a, a1 = (vals if q == ell else [v * (ell // q) for v in vals] for vals, q in parts)
    return [u + v for u, v in zip(a, a1)], ell     # additions: linear in the values just charged


def scale_point(x, what, budget):
    """A point of (num, den) pairs as integers over one common denominator: (a, c)."""
    (a,), c = over_common_denominator([x], what, budget)
    return a, c


def forward(entries, x, budget):
    """Rule (section 10): exact forward pass of one point; x is a list of (num, den).  Returns [(num, den)].

    The point's values are integers over one positive denominator c; neuron j's pre-activation
    is (W_j . a + b_j c) / (den_j c), activated on the numerator, reduced, and the layer's new
    common denominator is the lcm of the reduced ones.  A residual block adds its output to
    its input (over the lcm of the two denominators).  A one-direction pair (section 17.2) gives
    the second map's values at once."""
    a, c = start_point(x, budget)
    k = 0
    while k < len(entries):
        entry = entries[k]
        if len(entry) == 2:
            a1, c1 = apply_layer(entry[1], *apply_layer(entry[0], a, c, budget), budget)
            a, c = residual_sum(a, c, a1, c1, budget)
        elif k + 1 < len(entries) and is_pair(entry[0], entries[k + 1], budget):
            import check_pairs
            a, c = check_pairs.apply_pair(entry[0], a, c, budget)
            k += 1
        else:
            a, c = apply_layer(entry[0], a, c, budget)
        k += 1
    return reduce_outputs(a, c, budget)


def has_pair(entries, budget):
    """Whether some plain map and the entry after it form a one-direction pair."""
    return any(len(e) == 1 and is_pair(e[0], nxt, budget) for e, nxt in zip(entries, entries[1:]))


def is_pair(m, nxt, budget):
    """Rule (section 17.2, one-direction pairs): m is a plain ReLU map of more than PAIR_WIDTH
    neurons, the entry after it is a plain map, and every row of m points one way
    (check_pairs.py, loaded only for such a map)."""
    if m.act != "relu" or len(m.dens) <= PAIR_WIDTH or len(nxt) != 1:
        return False
    import check_pairs
    return check_pairs.is_pair(m, nxt[0], budget)


def start_point(x, budget):
    """A point's own charge and its values as integers over one denominator: (a, c)."""
    budget.charge(NEURON * (len(x) + 1), "forward pass: a point")
    return scale_point(x, "forward pass: the input's common denominator", budget)


def reduce_outputs(a, c, budget):
    """The outputs a / c in lowest terms, [(num, den)], each gcd charged before it runs."""
    out = []
    cb = c.bit_length()
    for v in a:
        budget.charge(gcd_cost(abs(v).bit_length(), cb) + 2 * div_cost(max(abs(v).bit_length(), cb), cb),
                      "forward pass: reducing an output")
        g = math.gcd(v, c)
        out.append((v // g, c // g))
    return out


