"""A wide ReLU layer whose rows all point one way, evaluated together with the map that reads it.

Every neuron j of such a layer computes relu(t + beta_j) with the same t = a.x: its integer row
is the first row times den_j / den_1.  Over L = lcm(dens), with B_j = b_j L / den_j and
S = (first row . x) L / den_1 at a point of denominator c, neuron j is active exactly when
S + B_j c > 0, that is when B_j > floor(-S / c): the active neurons are the k with the largest
B_j.  The next map's pre-activation at neuron o is then

    (S P_o(k) + c Q_o(k) + b'_o L c) / (den'_o L c),

with P_o(k) and Q_o(k) the sums of V_oj and V_oj B_j over those k neurons (prefix sums in the
order of decreasing B_j, formed once).  A point costs one row's products and one bisection
instead of a product per neuron: Zhang et al.'s one-hidden-layer network has N such neurons, so
the dense pass is N^2 (10^10 neuron evaluations at N = 10^5; docs/performance.md).  The values
are the same rationals; the checker has the same rule (format section 17.2).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

from .network import Layer

# Narrower layers are evaluated neuron by neuron: the rule pays for its sort and prefix sums only
# when a point would otherwise meet many neurons (the checker uses the same width).
MIN_WIDTH = 256


def applies(layer: Layer, nxt) -> bool:
    """A plain ReLU layer of more than MIN_WIDTH neurons, every row the first times den_j / den_1,
    read by a plain layer ``nxt``."""
    if layer.activation != "relu" or layer.n_out <= MIN_WIDTH or not isinstance(nxt, Layer):
        return False
    first, q1 = layer.weights[0], layer.dens[0]
    return all((row == first and q == q1) or all(v * q1 == w * q for v, w in zip(row, first))
               for row, q in zip(layer.weights, layer.dens))


@dataclass(frozen=True)
class Pair:
    """A one-direction ReLU layer and the plain map after it, ready to evaluate."""
    row: tuple          # the first row (integers)
    scale: int          # L / den_1
    ascending: list     # the B_j in increasing order (for the bisection)
    P: list             # P[o][k]: sum of V_oj over the k neurons of largest B_j
    Q: list             # Q[o][k]: sum of V_oj B_j over the same neurons
    bias: list          # b'_o L
    after: Layer        # the next map with denominators den'_o L (its weights are not read)


def prepare(layer: Layer, nxt: Layer) -> Pair:
    """The sort and the prefix sums, once per network."""
    L = math.lcm(*layer.dens)
    B = [b * (L // q) for b, q in zip(layer.bias, layer.dens)]
    order = sorted(range(layer.n_out), key=B.__getitem__, reverse=True)
    P, Q = [], []
    for V in nxt.weights:
        p, q, Ps, Qs = 0, 0, [0], [0]
        for j in order:
            p += V[j]
            q += V[j] * B[j]
            Ps.append(p)
            Qs.append(q)
        P.append(Ps)
        Q.append(Qs)
    after = Layer((), tuple(nxt.bias), tuple(q * L for q in nxt.dens), nxt.activation)
    return Pair(tuple(layer.weights[0]), L // layer.dens[0], [B[j] for j in reversed(order)], P, Q,
                [b * L for b in nxt.bias], after)


def pre_activations(pair: Pair, S: list, cols: list) -> list:
    """The next map's numerators over den'_o L c_p, neuron-major (Z[o * n + p]), from the first
    row's products S at the points of denominators ``cols``."""
    m, n = len(pair.ascending), len(cols)
    Z = [0] * (len(pair.bias) * n)
    for p, (s, c) in enumerate(zip(S, cols)):
        s *= pair.scale
        k = m - bisect_right(pair.ascending, -s // c)          # the active neurons
        for o, (Po, Qo, b) in enumerate(zip(pair.P, pair.Q, pair.bias)):
            Z[o * n + p] = s * Po[k] + c * (Qo[k] + b)
    return Z
