"""Reusable exact ReLU gadgets, defined once and composed by the constructions.

Layers are passed around in rational form: ``(W, b, activation)`` with W a list of rows of
Fractions.  :func:`exactmem.network.Layer.from_rationals` turns them into the integer IR.

The gadgets, each exact on the inputs named in its docstring:

* :func:`hardtanh_to_relu` -- a hard-tanh layer as a ReLU layer of twice the width;
* :class:`RegisterNet` / :class:`Expr` -- layers written as named neurons;
* :func:`step_pair` -- the ReLU threshold step H_t, :func:`hardtanh_step` its hard-tanh form;
* :func:`bit_test` -- the step at 2^p, reading one bit of an integer;
* :func:`trapezoid` -- four ReLUs that are 1 on an interval and 0 one unit outside it, with its
  two instances :func:`window` (an equality test for keys 2 apart) and the trap bump
  :func:`trap_bump_units` (1 for |u| <= 1, 0 for |u| >= 2; also in hard-tanh form);
* :func:`gate` -- a bounded label times a 0/1 indicator;
* :func:`ramp_bias` -- the bias of a ReLU ramp pair that adds a label difference past a key;
* :func:`lookup_sequential`, :func:`lookup_parallel` -- piecewise-constant tables of a key;
* :func:`class_decoder` -- nearest-integer class decoding with a margin;
* :func:`hardtanh_zigzag` -- nested hard-tanh ramps summing to a prescribed zigzag, and
  :func:`hardtanh_fold`, two of them composed: the 3-layer hard-tanh network with the most
  affine pieces on a segment (YSJ19 Theorem 3.3).
"""

from __future__ import annotations

from fractions import Fraction

from .errors import InternalError


def zero_rows(count: int, n_in: int):
    """``count`` dead units: zero row, zero bias (ReLU(0) = hard-tanh(0) = 0)."""
    return [[Fraction(0)] * n_in for _ in range(count)], [Fraction(0)] * count


def hardtanh_to_relu(layers, relu_widths=None):
    """Convert hard-tanh hidden layers to ReLU ones with the identity

        hardtanh(a) = ReLU(a + 1) - ReLU(a - 1) - 1.

    Each *used* hard-tanh unit (nonzero row or bias) with pre-activation a becomes the adjacent
    pair ReLU(a + 1), ReLU(a - 1); a weight w on it in the next layer becomes (+w, -w) and that
    layer's bias absorbs -w.  Unused units compute hardtanh(0) = 0 and are dropped.  Each hidden
    layer is then padded with zero ReLUs to ``relu_widths[l]`` (default: no padding).
    The last layer (the output, any activation) only receives the fold.
    """
    out = []
    keep = None          # used-unit indices of the previous hard-tanh layer
    prev_pad = 0         # zero ReLUs appended to the previous layer
    for li, (W, b, act) in enumerate(layers):
        last = li == len(layers) - 1
        if keep is not None:                            # fold the previous layer's conversion
            newW, newb = [], []
            for row, bias in zip(W, b):
                r = []
                for k in keep:
                    r += [row[k], -row[k]]
                newW.append(r + [Fraction(0)] * prev_pad)
                newb.append(bias - sum(row[k] for k in keep))
            W, b = newW, newb
        if last:
            out.append((W, b, act))
            break
        if act != "hardtanh":
            raise InternalError("hardtanh_to_relu expects hard-tanh hidden layers")
        keep = [k for k, (row, bias) in enumerate(zip(W, b)) if bias or any(row)]
        rw, rb = [], []
        for k in keep:
            rw += [list(W[k]), list(W[k])]
            rb += [b[k] + 1, b[k] - 1]
        if relu_widths is not None:
            pad = relu_widths[li] - len(rw)
            if pad < 0:
                raise InternalError(f"layer {li + 1}: {len(rw)} ReLUs needed, width {relu_widths[li]}")
            n_in = len(W[0]) if W else 0
            zw, zb = zero_rows(pad, n_in)
            rw, rb = rw + zw, rb + zb
            prev_pad = pad
        out.append((rw, rb, "relu"))
    return out


# ---------------------------------------------------------------------------------------------
# Register layers: networks written as named ReLU neurons over the previous layer's names.

class Expr(dict):
    """An affine expression: {register name: coefficient}, constant under the key ``1``."""

    @staticmethod
    def of(name, coeff=1):
        return Expr({name: Fraction(coeff)})

    @staticmethod
    def const(c):
        return Expr({1: Fraction(c)})

    def __add__(self, other):
        other = other if isinstance(other, Expr) else Expr.const(other)
        out = Expr(self)
        for k, v in other.items():
            out[k] = out.get(k, 0) + v
        return out

    __radd__ = __add__

    def __neg__(self):
        return Expr({k: -v for k, v in self.items()})

    def __sub__(self, other):
        return self + (-(other if isinstance(other, Expr) else Expr.const(other)))

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, c):
        return Expr({k: v * c for k, v in self.items()})

    __rmul__ = __mul__

    def value_names(self):
        return [k for k in self if k != 1]


class RegisterNet:
    """Builds a ReLU network layer by layer from named neurons.

    ``add_layer({name: Expr})`` appends a hidden ReLU layer whose neurons read the previous
    layer's registers by name; ``output(exprs)`` appends the final identity layer.  The layers
    come out in the rational form ``(W, b, activation)`` the constructions hand to the IR.
    Reading a register the previous layer lacks is a bug in the caller: InternalError.
    """

    def __init__(self, input_names):
        self.names = list(input_names)
        self._known = set(self.names)
        self.layers = []

    def value(self, name) -> Expr:
        if name not in self._known:
            raise InternalError(f"register {name!r} is not in the previous layer {self.names}")
        return Expr.of(name)

    def has(self, name) -> bool:
        return name in self._known

    def _affine(self, neurons: dict):
        W, b = [], []
        for name, e in neurons.items():
            unknown = [k for k in e.value_names() if k not in self._known]
            if unknown:
                raise InternalError(f"neuron {name!r} reads {unknown}, not in the previous layer")
            W.append([e.get(n, Fraction(0)) for n in self.names])
            b.append(e.get(1, Fraction(0)))
        return W, b

    def add_layer(self, neurons: dict, activation: str = "relu") -> None:
        W, b = self._affine(neurons)
        self.layers.append((W, b, activation))
        self.names = list(neurons)
        self._known = set(self.names)

    def output(self, exprs: list) -> list:
        W, b = self._affine({f"out{i}": e for i, e in enumerate(exprs)})
        self.layers.append((W, b, "identity"))
        return self.layers


# ---------------------------------------------------------------------------------------------
# The gadgets of VYS21's Stages II and III (docs/vys21.md, "How the network works").  Each is
# exact on the values that occur at the data.

def class_decoder(classes: int, t: int) -> list:
    """The exact nearest-integer class decoder with margin 2^-t, as two rational layers
    (weights, bias, activation): sum_{j=0..C} [ReLU(s(F - j - 1/2) + 1/2) - ReLU(s(F - j - 1/2) - 1/2)]
    with s = 2^(t-1).  Each term is 0 below j + 1/2 - 2^-t and 1 above j + 1/2 + 2^-t, so the
    output is exactly the class c iff c - 1/2 + 2^-t <= F <= c + 1/2 - 2^-t (docs/precision.md)."""
    s = Fraction(1 << t, 2)
    W, b = [], []
    for j in range(classes + 1):
        theta = Fraction(2 * j + 1, 2)
        W += [[s], [s]]
        b += [-theta * s + Fraction(1, 2), -theta * s - Fraction(1, 2)]
    return [(W, b, "relu"), ([[1, -1] * (classes + 1)], [0], "identity")]


def carry(net: RegisterNet, name: str) -> dict:
    """Identity carry: sigma(c) = c for a register known to be >= 0 at the data."""
    return {name: net.value(name)}


def step_pair(expr: Expr, t, prefix: str) -> dict:
    """Threshold step H_t(z) = sigma(z - t + 1) - sigma(z - t): 0 for z <= t - 1, 1 for z >= t.

    Two neurons; the next layer reads their difference (see :func:`step_value`)."""
    return {prefix + "1": expr - t + 1, prefix + "2": expr - t}


def step_value(net: RegisterNet, prefix: str) -> Expr:
    """The 0/1 value of a step pair in the previous layer, as an affine expression."""
    return net.value(prefix + "1") - net.value(prefix + "2")


def bit_test(expr: Expr, p: int, prefix: str) -> dict:
    """Bit p of an integer 0 <= u < 2^(p+1): the step pair at 2^p (u - 2^p*bit strips it)."""
    return step_pair(expr, 2 ** p, prefix)


# Trapezoids: sigma(e + o_1) - sigma(e + o_2) - sigma(e + o_3) + sigma(e + o_4) with
# o_1 = o_2 + 1 and o_4 = o_3 - 1 is 0 for e <= -o_1, 1 for -o_2 <= e <= -o_3, 0 for e >= -o_4
# (below -o_1 every unit is 0; on the plateau the first two differ by 1 and the last two are 0;
# above -o_4 all four are affine and cancel to 1 - 1).

TRAPEZOID_SIGNS = (1, -1, -1, 1)
WINDOW_OFFSETS = (1, 0, -1, -2)       # plateau [0, 1], zero for e <= -1 and e >= 2
TRAP_OFFSETS = (2, 1, -1, -2)         # plateau [-1, 1], zero for |e| >= 2


def trapezoid(expr: Expr, offsets, prefix: str) -> dict:
    """Four neurons sigma(expr + o_r), r = 1..4 (named prefix1..prefix4); their combination
    :func:`trapezoid_value` with signs +, -, -, + is the trapezoid of ``offsets`` at expr."""
    return {prefix + str(r): expr + o for r, o in enumerate(offsets, 1)}


def trapezoid_value(net: RegisterNet, prefix: str) -> Expr:
    """The trapezoid of the four neurons prefix1..prefix4 in the previous layer."""
    e = Expr()
    for r, sign in enumerate(TRAPEZOID_SIGNS, 1):
        e = e + sign * net.value(prefix + str(r))
    return e


def window(expr: Expr, a, prefix: str) -> dict:
    """Four neurons whose combination g(z - a) (see :func:`window_value`) is 1 for z - a in
    [0, 1] and 0 for z - a <= -1 or >= 2: an equality test for keys 2 apart."""
    return trapezoid(expr - a, WINDOW_OFFSETS, prefix)


window_value = trapezoid_value


def trap_bump(activation: str) -> tuple:
    """(offsets, coefficients, scale) of the trap bump of a distance u: unit r computes
    act(scale * u + offset_r) and sum_r coefficient_r * unit_r is 1 for |u| <= 1 and 0 for
    |u| >= 2, exactly.

    * ReLU: the trapezoid relu(u+2) - relu(u+1) - relu(u-1) + relu(u-2) (four units);
    * hard-tanh: (hardtanh(2u+3) - hardtanh(2u-3))/2 (two units): for |u| <= 1 the first is 1
      and the second -1; for u >= 2 both are 1, for u <= -2 both -1.
    """
    if activation == "relu":
        return TRAP_OFFSETS, TRAPEZOID_SIGNS, 1
    if activation == "hardtanh":
        return (3, -3), (Fraction(1, 2), Fraction(-1, 2)), 2
    raise InternalError(f"no trap bump for activation {activation!r}")


def trap_bump_units(normal, offset, activation: str) -> list:
    """The trap bump of u = normal . x - offset as dense units: a list of (row, bias,
    coefficient), unit r computing act(row . x + bias); sum_r coefficient_r * unit_r is
    1 where |u| <= 1 and 0 where |u| >= 2 (:func:`trap_bump`)."""
    offsets, coeffs, scale = trap_bump(activation)
    return [([scale * v for v in normal], scale * -offset + o, co) for o, co in zip(offsets, coeffs)]


def hardtanh_step(expr: Expr, t, name: str) -> dict:
    """The threshold step H_t in hard-tanh form: one neuron hardtanh(2(z - t) + 1), whose
    (value + 1)/2 (see :func:`hardtanh_step_value`) is 0 for z <= t - 1 and 1 for z >= t."""
    return {name: 2 * (expr - t) + 1}


def hardtanh_step_value(net: RegisterNet, name: str) -> Expr:
    """The 0/1 value of a hard-tanh step in the previous layer, as an affine expression."""
    return net.value(name) * Fraction(1, 2) + Fraction(1, 2)


def ramp_bias(C: int, key: int) -> int:
    """The bias beta of the ReLU ramp pair sigma(2C z + beta) - sigma(2C z + beta - h) that adds
    a label difference h (|h| <= C - 1) past an integer key: beta = -2C(key + 1) - C.

    Then 2C z + beta = 2C(z - key - 1) - C: for z <= key + 1 both units are 0 (their inputs are
    <= -C and <= -C - h <= -1), and for z >= key + 2 both are active (inputs >= C and
    >= C - h >= 1), so the pair is 0 at this key and h at every key >= key + 2."""
    return -2 * C * (key + 1) - C


def gate(value: Expr, indicator: Expr, bound: int) -> Expr:
    """Pre-activation of M * l = sigma(l + C*M - C) for M in {0, 1} and 0 <= l <= C."""
    return value + bound * indicator - bound


def lookup_sequential(net: RegisterNet, z: str, thresholds, tables: dict, prefix: str = "h") -> None:
    """Piecewise-constant lookups at constant width: one threshold per layer.

    For each register R in ``tables`` (values u_1..u_m, one per block) appends layers ending in
    R = u_J where J is the block of z (block j starts at thresholds[j-2], keys 2 apart).  Adds
    m layers (m = number of blocks); z is carried.  After j thresholds the running sum is
    u_min(j, J), a valid table value, so ReLU (values >= 0) is the identity on it."""
    m = len(next(iter(tables.values())))
    v = net.value
    if m == 1:
        net.add_layer({z: v(z), **{name: Expr.const(vals[0]) for name, vals in tables.items()}})
        return
    net.add_layer({z: v(z), **step_pair(v(z), thresholds[0], prefix)})
    for j in range(2, m + 1):
        h = step_value(net, prefix)
        layer = {z: v(z)}
        for name, vals in tables.items():
            prev = v(name) if j > 2 else Expr.const(vals[0])
            layer[name] = prev + (vals[j - 1] - vals[j - 2]) * h
        if j < m:
            layer.update(step_pair(v(z), thresholds[j - 1], prefix))
        net.add_layer(layer)


def lookup_parallel(z: Expr, thresholds, values, prefix: str):
    """Piecewise-constant lookup U(z) = u_1 + sum_j (u_j - u_{j-1}) H_{t_j}(z) in two layers.

    Returns (first layer neurons, function(net) -> pre-activation of U in the second layer)."""
    first = {}
    for j, t in enumerate(thresholds, 2):
        first.update(step_pair(z, t, f"{prefix}{j}_"))

    def second(net: RegisterNet) -> Expr:
        e = Expr.const(values[0])
        for j in range(2, len(values) + 1):
            e = e + (values[j - 1] - values[j - 2]) * step_value(net, f"{prefix}{j}_")
        return e

    return first, second


# ---------------------------------------------------------------------------------------------
# Hard-tanh zigzags and the fold (YSJ19 Theorem 3.3, docs/ysj19.md "The hard-tanh fold")

def hardtanh_zigzag(breaks, values) -> tuple:
    """One hard-tanh layer whose output combination is a prescribed zigzag of a scalar s.

    ``breaks`` p_0 < ... < p_(2n-1) (2n rationals, n >= 1) and ``values`` v_0, ..., v_(2n-1)
    describe the continuous function f that is v_0 for s <= p_0, v_(2n-1) for s >= p_(2n-1) and
    affine between consecutive breaks; its slopes sigma_k on [p_k, p_(k+1)] must be symmetric,
    sigma_k = sigma_(2n-2-k) (InternalError otherwise).  Returns ``(units, coeffs, const)``:
    n pairs (w_i, b_i) and output coefficients a_i with, exactly for every rational s,

        f(s) = const + sum_i a_i hardtanh(w_i s + b_i).

    Unit i is the clipped ramp that is linear exactly on [p_i, p_(2n-1-i)] (the windows are
    nested), so on [p_k, p_(k+1)] with k <= n - 1 the units 0..k are linear and the slope of the
    sum is sum_(i<=k) a_i w_i; a_i w_i = sigma_i - sigma_(i-1) makes it sigma_k, and the mirror
    interval 2n-2-k has the same linear units, hence the same slope sigma_k = sigma_(2n-2-k).
    Left of p_0 every unit is -1, so const = v_0 + sum_i a_i."""
    p = [Fraction(v) for v in breaks]
    v = [Fraction(x) for x in values]
    n2 = len(p)
    if n2 < 2 or n2 % 2 or len(v) != n2 or any(a >= b for a, b in zip(p, p[1:])):
        raise InternalError("hardtanh_zigzag needs 2n increasing breaks and as many values")
    sigma = [(v[k + 1] - v[k]) / (p[k + 1] - p[k]) for k in range(n2 - 1)]
    if sigma != sigma[::-1]:
        raise InternalError("hardtanh_zigzag needs mirror-symmetric slopes")
    units, coeffs, prev = [], [], Fraction(0)
    for i in range(n2 // 2):
        lo, hi = p[i], p[n2 - 1 - i]
        w = 2 / (hi - lo)
        units.append((w, -(lo + hi) / (hi - lo)))
        coeffs.append((sigma[i] - prev) / w)
        prev = sigma[i]
    return units, coeffs, v[0] + sum(coeffs)


def hardtanh_fold_levels(d2: int) -> list:
    """The 2 d2 layer-2 breaks in z (see :func:`hardtanh_fold`): h, 1/E, 2/E, ..., (E-1)/E, 1-h
    with E = 2 d2 - 1 and h = 1/(4E); symmetric about 1/2."""
    E = 2 * d2 - 1
    h = Fraction(1, 4 * E)
    return [h] + [Fraction(k, E) for k in range(1, E)] + [1 - h]


def hardtanh_fold(d1: int, d2: int) -> tuple:
    """The hard-tanh piece maximiser of depth 3: rational layers ``[(W1, b1, "hardtanh"),
    (W2, b2, "hardtanh"), (W3, b3, "identity")]`` of widths d1, d2, 1 on a scalar input t, and
    the number T = (2 d1 - 1)(2 d2 - 1) of unit steps of its segment [0, T].

    Construction (E = 2 d2 - 1, S = 2 d1 - 1 stretches):

    * layer 1 (:func:`hardtanh_zigzag` with breaks 0, E, 2E, ..., (2 d1 - 1)E and values
      0, 1, 0, 1, ..., 1): z(t) folds [0, T] onto [0, 1] S times, rising on the even stretches
      [kE, (k+1)E] and falling on the odd ones, and is constant 0 before 0 and 1 after T;
    * layer 2 (:func:`hardtanh_zigzag` of z with the breaks :func:`hardtanh_fold_levels`
      l_1 < ... < l_(2 d2) and values -1, 1, -1, ..., -1, 1): g(z) is -1 on [0, l_1], 1 on
      [l_(2 d2), 1], and between them runs through 2 d2 - 1 affine pieces of alternating slope
      sign; the output is y(t) = g(z(t)).

    At every integer t, y(t) = (-1)^(t+1): t = kE + r lies at z = r/E or 1 - r/E, a break of g
    (or 0 or 1) whose value alternates with r, and the parity of t is that of r on rising
    stretches and of r + 1 on falling ones, where g is read backwards.

    **Pieces on [0, T]: exactly 2 d2 (2 d1 - 1) + 1 = 4 d1 d2 - 2 d2 + 1.**  On each stretch z
    is affine and monotone and crosses each of the 2 d2 levels once, strictly inside the
    stretch; the levels are distinct and exactly one layer-2 unit changes regime at each (its
    window's end), so y turns there: 2 d2 S kinks.  At the stretch ends z is 0 or 1, where g is
    flat, so the layer-1 breakpoints are no kinks (the two flat pieces on either side of a turn
    are one piece, both at g(0) or g(1)).  Hence 1 + 2 d2 S pieces.

    **No 3-layer hard-tanh network has more on any segment.**  Restrict it to the segment; layer
    1 gives at most 2 d1 breakpoints B inside, and between consecutive points of B (and the ends)
    every layer-2 pre-activation z_j is affine.  Call an interval *flat* when every layer-1 unit
    is saturated on it (then every z_j is constant).  At most 2 d1 - 1 intervals are not flat: a
    unit whose linear part reaches a segment end has at most one breakpoint inside (and one
    linear over the whole segment has none), so covering an end costs a breakpoint and with
    K = |B| there are at most K - 1, K or K + 1 non-flat intervals as 0, 1 or 2 ends are
    covered, with K <= 2 d1, 2 d1 - 1 or 2 d1 - 2.  The output y kinks only at points of B and
    at crossings, points strictly inside an interval where some z_j passes -1 or 1.  On a
    non-flat interval a unit crosses at most twice, and at most 2 - e times when e of the
    interval's ends are points where -1 <= z_j <= 1 (the unit is *engaged* there).  A kink of y
    at b in B needs an engaged unit at b (otherwise every unit is saturated near b), and b has
    at least one non-flat neighbour interval (between two flat ones y is constant); charging
    that unit one crossing on each non-flat neighbour, every kink at B costs at least one
    crossing.  So the kinks are at most 2 d2 times the non-flat intervals, <= 2 d2 (2 d1 - 1),
    and the pieces at most 2 d2 (2 d1 - 1) + 1: this network is a maximiser, below the
    layer-by-layer count (2 d1 + 1)(2 d2 + 1) by 2 d1 + 4 d2 and below YSJ19's
    6 d1 d2 + 2 d2 + 1.
    """
    if d1 < 1 or d2 < 1:
        raise InternalError(f"hardtanh_fold needs widths >= 1, got ({d1}, {d2})")
    E = 2 * d2 - 1
    units1, a1, c1 = hardtanh_zigzag([k * E for k in range(2 * d1)], [k % 2 for k in range(2 * d1)])
    units2, a2, c2 = hardtanh_zigzag(hardtanh_fold_levels(d2), [(-1) ** (k + 1) for k in range(2 * d2)])
    W1 = [[w] for w, _ in units1]
    b1 = [b for _, b in units1]
    W2 = [[w * a for a in a1] for w, _ in units2]            # w (c1 + sum_i a_i u_i) + b
    b2 = [w * c1 + b for w, b in units2]
    return [(W1, b1, "hardtanh"), (W2, b2, "hardtanh"), ([a2], [c2], "identity")], E * (2 * d1 - 1)


def hardtanh_fold_pieces(d1: int, d2: int) -> int:
    """The pieces of :func:`hardtanh_fold` on its segment, 2 d2 (2 d1 - 1) + 1, which is also the
    most any 3-layer hard-tanh network of widths (d1, d2) has on a segment (its docstring)."""
    return 2 * d2 * (2 * d1 - 1) + 1
