"""Exact forward pass of a :class:`~exactmem.network.Network` on all N points at once.

State between layers: an integer matrix A (one row per neuron, one column per point) and one
positive denominator c_p per point (column).  Neuron j of a layer has integer row W[j], bias
b[j] and its own denominator den[j], so with ``Z = [W | b] . [A ; c]`` (one FLINT ``fmpz_mat``
product, no per-point ``Fraction``) the exact pre-activation is Z[j, p] / (den[j] * c_p).
The activation acts on that numerator (denominators are positive; the hard-tanh clip is at
+-den), each entry is reduced, and the column's new denominator is the lcm over its entries.

Why per-point denominators: in a memorizing network most hidden values at a data point are
saturated (0, +-1) and only a few carry a big denominator, so a column stays small even when
the layer's rows have hundreds of unrelated 900-bit denominators (their lcm over a layer, the
price of one denominator per layer, reached 30,000+ bits on YSJ19 at N = 2000).
A network whose every layer is plain and integral (every denominator 1, as VYS21's) is evaluated
by exactmem/packed.py instead: one big integer per neuron holds its values at all the points of a
chunk, so a weight costs one multiply-add for the chunk rather than one per point - unless its
first layer turns small inputs into long values (YSJ19's hyperplanes at dx = 3072: 8-bit pixels,
2,000-40,000-bit values), where slots as wide as the values would waste most of every product
(:func:`exactmem.packed.pays`).  A wide ReLU layer whose rows all point one way is evaluated with
the map after it by a bisection over its sorted thresholds (:mod:`exactmem.one_direction`).
The engine knows nothing about constructions.
"""

from __future__ import annotations

import math
from fractions import Fraction

from flint import fmpz_mat

from . import one_direction, packed
from .network import Layer, Network, ResidualBlock


# Below this many bits, a layer's rows are brought to one common denominator (cheap, columns
# are reduced in one gcd call each); above it, each entry is reduced on its own.
COMMON_DEN_BITS = 256
# An integral layer (every neuron's denominator 1) leaves its values unreduced when every point's
# denominator has at most this many bits: the reduction's gcds cost more than the bits they save.
SMALL_COLUMN_BITS = 64


def _activate(values: list[int], D, act: str) -> list[int]:
    """ReLU / hard-tanh / identity on numerators over positive denominators D (one per value;
    only hard-tanh reads them)."""
    if act == "relu":
        return [v if v > 0 else 0 for v in values]
    if act == "hardtanh":
        return [d if v > d else (-d if v < -d else v) for v, d in zip(values, D)]
    return values


def _layer_values(Z: list[int], n: int, layer, L: int, cols: list[int]):
    """Activation of Z / (den_j * c_p), re-expressed over new (reduced) column denominators;
    L is the lcm of the layer's denominators."""
    if L == 1 and max(cols).bit_length() <= SMALL_COLUMN_BITS:
        # An integral layer over small column denominators: Z / c_p is already the value; it is
        # kept unreduced (at most SMALL_COLUMN_BITS extra bits per entry; the outputs are reduced
        # at the end), so no gcd runs at all.
        D = cols if layer.activation == "hardtanh" else None
        return [_activate(Z[j * n:(j + 1) * n], D, layer.activation) for j in range(layer.n_out)], cols
    if L.bit_length() <= COMMON_DEN_BITS:
        # One denominator L * c_p per column: scale rows, activate, reduce each column at once.
        rows = []
        for j, den in enumerate(layer.dens):
            row = Z[j * n:(j + 1) * n]
            if den != L:
                row = [v * (L // den) for v in row]
            rows.append(_activate(row, [L * c for c in cols], layer.activation)
                        if layer.activation == "hardtanh" else _activate(row, None, layer.activation))
        new_cols = []
        for p, c in enumerate(cols):
            new_cols.append(L * c // math.gcd(L * c, *(row[p] for row in rows)))
        for row in rows:
            for p, c in enumerate(cols):
                row[p] //= (L * c) // new_cols[p]
        return rows, new_cols
    # Rows with unrelated big denominators: reduce entry by entry, then take column lcms.
    nums, dens = [], []
    for j, den in enumerate(layer.dens):
        D = [den * c for c in cols]
        row = _activate(Z[j * n:(j + 1) * n], D, layer.activation)
        gs = [math.gcd(v, d) for v, d in zip(row, D)]
        nums.append([v // g for v, g in zip(row, gs)])
        dens.append([d // g for d, g in zip(D, gs)])
    new_cols = [math.lcm(*col) for col in zip(*dens)]
    rows = [[v * (c // d) for v, d, c in zip(rn, rd, new_cols)] for rn, rd in zip(nums, dens)]
    return rows, new_cols


def _prepare(layer):
    """What a layer contributes to every chunk, built once: (layer, M, lcm(dens), first).

    Usually M = [W | b] as one fmpz_mat and first is None. When some weight rows repeat (YSJ19's
    trap bumps: four units with one hyperplane's row and four biases), M holds each distinct row
    once, without the biases, and first[j] is the row of M that neuron j uses: the products, the
    whole cost at dx = 3072, are then formed once per distinct row."""
    distinct, first = {}, []
    for row in layer.weights:
        first.append(distinct.setdefault(tuple(row), len(distinct)))
    if len(distinct) == len(first):
        Wb = fmpz_mat(layer.n_out, layer.n_in + 1, [v for row, b in zip(layer.weights, layer.bias) for v in (*row, b)])
        return layer, Wb, math.lcm(*layer.dens), None
    W = fmpz_mat(len(distinct), layer.n_in, [v for row in distinct for v in row])
    return layer, W, math.lcm(*layer.dens), first


def _apply(prepared, rows, cols, n):
    layer, M, L, first = prepared
    if first is None:
        A = fmpz_mat(len(rows) + 1, n, [v for row in rows for v in row] + cols)
        return _layer_values([int(v) for v in (M * A).entries()], n, layer, L, cols)
    A = fmpz_mat(len(rows), n, [v for row in rows for v in row])
    U = [int(v) for v in (M * A).entries()]
    Z = []
    for k, b in zip(first, layer.bias):
        part = U[k * n:(k + 1) * n]
        Z += [u + b * c for u, c in zip(part, cols)] if b else part
    return _layer_values(Z, n, layer, L, cols)


def _add(rows, cols, active, rows2, cols2):
    """rows + rows2 entrywise (a residual connection), over the columns' lcm denominators; rows2
    holds only the ``active`` rows (the others add 0). A row that adds 0 is kept as it is when no
    column's denominator changes - YSJ19's blocks at dx = 3072 change 10 of 3072 coordinates."""
    new = [math.lcm(a, b) for a, b in zip(cols, cols2)]
    same = new == cols
    out = list(rows) if same else [[x * (c // a) for x, a, c in zip(r1, cols, new)] for r1 in rows]
    for t, r2 in zip(active, rows2):
        out[t] = [x * (c // a) + y * (c // b) for x, y, a, b, c in zip(rows[t], r2, cols, cols2, new)]
    return out, new


def _prepare_block(block):
    """(inner, outer, active): the outer map keeps only its active rows (a nonzero weight or bias);
    the others add 0 to the stream. active is None when every row is active."""
    outer = block.outer
    active = [t for t in range(outer.n_out) if outer.bias[t] or any(outer.weights[t])]
    if len(active) == outer.n_out:
        return _prepare(block.inner), _prepare(outer), list(range(outer.n_out))
    if not active:
        return None, None, []
    sub = Layer(tuple(outer.weights[t] for t in active), tuple(outer.bias[t] for t in active),
                tuple(outer.dens[t] for t in active), outer.activation)
    return _prepare(block.inner), _prepare(sub), active


def integral(network: Network) -> bool:
    """Plain layers only, every denominator 1: evaluated packed (exactmem/packed.py) when
    :func:`exactmem.packed.pays` says packing suits the first layer."""
    return all(not isinstance(e, ResidualBlock) and all(q == 1 for q in e.dens) for e in network.layers)


def _prepare_network(network: Network) -> list[tuple]:
    """Per entry, its prepared maps: (plain,), (inner, outer, active) for a residual block, or
    (pair,) for a wide one-direction ReLU layer and the plain layer after it
    (:mod:`exactmem.one_direction`)."""
    out, layers, k = [], network.layers, 0
    while k < len(layers):
        e = layers[k]
        if isinstance(e, ResidualBlock):
            out.append(_prepare_block(e))
        elif k + 1 < len(layers) and one_direction.applies(e, layers[k + 1]):
            out.append((one_direction.prepare(e, layers[k + 1]),))
            k += 1
        else:
            out.append((_prepare(e),))
        k += 1
    return out


def _apply_pair(pair, rows, cols, n):
    """A one-direction pair: the first row's products, then the next map's values."""
    A = fmpz_mat(len(rows), n, [v for row in rows for v in row])
    S = [int(v) for v in (fmpz_mat(1, len(pair.row), list(pair.row)) * A).entries()]
    after = pair.after
    return _layer_values(one_direction.pre_activations(pair, S, cols), n, after, math.lcm(*after.dens), cols)


def forward_integer(network: Network, points, progress=None, prepared=None) -> tuple[list[list[int]], list[int]]:
    """Outputs as integer rows (one per output neuron, one column per point) and the column
    denominators: output o of point p is rows[o][p] / cols[p].  ``prepared``: the network's
    :func:`_prepare_network`, when the caller evaluates several chunks."""
    prepared = prepared or _prepare_network(network)
    n = len(points)
    cols = [math.lcm(*(v.denominator for v in p)) for p in points]
    rows = [[p[j].numerator * (c // p[j].denominator) for p, c in zip(points, cols)]
            for j in range(network.input_dim)]
    if integral(network) and not any(isinstance(maps[0], one_direction.Pair) for maps in prepared):
        bits = packed.input_bits(rows, cols)            # once, for the decision and the evaluation
        if packed.pays(network.layers[0], rows, cols, bits):
            return packed.evaluate(network.layers, rows, cols, progress, bits), cols
    for k, maps in enumerate(prepared, 1):
        if len(maps) == 3:                  # a residual block: h + outer(inner(h))
            if maps[2]:                     # (an outer map of zero rows adds nothing)
                r1, c1 = _apply(maps[0], rows, cols, n)
                r2, c2 = _apply(maps[1], r1, c1, n)
                rows, cols = _add(rows, cols, maps[2], r2, c2)
        elif isinstance(maps[0], one_direction.Pair):
            rows, cols = _apply_pair(maps[0], rows, cols, n)
        else:
            rows, cols = _apply(maps[0], rows, cols, n)
        if progress:
            progress(k, len(prepared))
    return rows, cols


# Points never interact: the engine evaluates them in chunks of this many, so that its memory is
# bounded by the chunk (a layer's values are neurons x chunk integers), not by N.
CHUNK = 1024


def forward(network: Network, points, progress=None, chunk: int = CHUNK, on_chunk=None) -> list[tuple]:
    """Exact outputs: one tuple of Fractions per point, in the points' order.  Evaluated ``chunk``
    points at a time (the same values whatever the chunk size; ``progress(k, layers)`` is called
    for the layers of the first chunk only).  ``on_chunk(done, total)``, when given, is called
    after each chunk with the number of points evaluated so far (a progress display; it sees no
    values and changes none)."""
    out, prepared = [], _prepare_network(network)
    for start in range(0, len(points), chunk):
        part = points[start:start + chunk]
        rows, cols = forward_integer(network, part, progress if start == 0 else None, prepared)
        out += [tuple(Fraction(row[p], cols[p]) for row in rows) for p in range(len(part))]
        if on_chunk is not None:
            on_chunk(start + len(part), len(points))
    return out
