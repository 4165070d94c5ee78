"""Exact affine pieces of a network along a segment: what the certificate's ``pieces_on_segment``
and ``alternating_on_segment`` claim variables need (format 1.1 and 1.2).

* :func:`count_pieces` -- the number of maximal affine pieces of a scalar network output on a
  segment u -> v with rational endpoints, exactly (Fractions and the exact engine only).  The
  candidate breakpoints in tau are refined map by map: between two consecutive candidates every
  pre-activation of the next activated map is affine (all earlier activations are), so a neuron
  crosses an activation breakpoint there at most once, at the interpolated tau.  At the end the
  output is affine between consecutive candidates and the pieces are 1 + the number of slope
  changes.  The math in our words is in ``docs/ysj19.md`` ("The exact counter").
* :func:`alternating_on_segment` -- the counting lemma's hypothesis on a dataset.

Core module: it imports only :mod:`exactmem.errors`, :mod:`exactmem.network` and
:mod:`exactmem.engine`; it must never import the constructions, the certificate writer or
:mod:`exactmem.studies` (the piece-count survey, bounds and reports live in
:mod:`exactmem.studies.pieces`).  No float anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .engine import forward
from .errors import ResourceError, UsageError
from .network import Layer, Network, ResidualBlock

# Breakpoints of each activation.
BREAKPOINTS = {"relu": (Fraction(0),), "hardtanh": (Fraction(-1), Fraction(1)), "identity": ()}
MAX_POINTS = 20_000         # candidate breakpoints before ResourceError (exit 4; --max-breakpoints)


@dataclass(frozen=True)
class PieceCount:
    pieces: int                 # maximal affine pieces of the output on the segment
    kinks: tuple                # tau of every kink, increasing, in (0, 1)
    candidates: int             # candidate breakpoints examined (|T| - 2)
    start: tuple                # segment endpoints u, v
    end: tuple

    def point(self, tau) -> tuple:
        return segment_point(self.start, self.end, tau)


def segment_point(u, v, tau) -> tuple:
    """x(tau) = u + tau (v - u)."""
    tau = Fraction(tau)
    return tuple(Fraction(a) + tau * (Fraction(b) - Fraction(a)) for a, b in zip(u, v))


def _identity(layer: Layer) -> Layer:
    return Layer(layer.weights, layer.bias, layer.dens, "identity")


def activated_maps(network: Network) -> list:
    """(prefix network computing the pre-activations, activation) for every hidden map in order:
    each plain hidden layer and each residual block's inner layer."""
    out = []
    for k, entry in enumerate(network.layers[:-1]):
        layer = entry.inner if isinstance(entry, ResidualBlock) else entry
        prefix = Network(network.input_dim, tuple(network.layers[:k]) + (_identity(layer),))
        out.append((prefix, layer.activation))
    return out


def scalar_output(network: Network, output: int = 0) -> Network:
    """The network restricted to output coordinate ``output`` (0-based)."""
    last = network.layers[-1]
    if not 0 <= output < last.n_out:
        raise UsageError(f"output {output + 1} does not exist: the network has {last.n_out} output(s)")
    if last.n_out == 1:
        return network
    one = Layer(last.weights[output:output + 1], last.bias[output:output + 1], last.dens[output:output + 1],
                last.activation)
    return Network(network.input_dim, tuple(network.layers[:-1]) + (one,))


def _check_segment(network: Network, u, v) -> tuple:
    u, v = tuple(Fraction(a) for a in u), tuple(Fraction(b) for b in v)
    if len(u) != network.input_dim or len(v) != network.input_dim:
        raise UsageError(f"the segment's endpoints need {network.input_dim} coordinates "
                         f"(got {len(u)} and {len(v)})")
    if u == v:
        raise UsageError("the segment's two endpoints are equal: a segment needs u != v")
    return u, v


def count_pieces(network: Network, u, v, max_points: int = MAX_POINTS) -> PieceCount:
    """Maximal affine pieces of the scalar output of ``network`` on x(tau) = u + tau (v - u),
    tau in [0, 1], exactly.

    T starts as {0, 1}.  For every hidden map in order, its pre-activations are evaluated
    exactly at every tau in T; a neuron whose value minus a breakpoint beta of the activation
    changes sign strictly between consecutive T_m < T_m+1 crosses beta once there, at
    T_m + (beta - z(T_m)) (T_m+1 - T_m) / (z(T_m+1) - z(T_m)), and T takes the union (a set:
    two neurons may cross at the same tau).  Touching beta at a point of T adds nothing.  Then
    the output is affine between consecutive points of T; a kink is an interior T_m where the
    slopes on its two sides differ, and the pieces are 1 + the kinks (collinear neighbours merge).
    """
    if network.output_dim != 1:
        raise UsageError(f"piece counting needs a scalar output; this network has {network.output_dim} "
                         "(choose one with --output)")
    u, v = _check_segment(network, u, v)
    T = [Fraction(0), Fraction(1)]
    for prefix, act in activated_maps(network):
        betas = BREAKPOINTS[act]
        if not betas:
            continue
        z = forward(prefix, [segment_point(u, v, t) for t in T])
        new = set()
        for m in range(len(T) - 1):
            for za, zb in zip(z[m], z[m + 1]):
                for beta in betas:
                    if (za - beta) * (zb - beta) < 0:
                        new.add(T[m] + (beta - za) * (T[m + 1] - T[m]) / (zb - za))
        T = sorted(set(T) | new)
        if len(T) > max_points:
            raise ResourceError(f"more than {max_points} candidate breakpoints on the segment "
                                f"(after a map with activation {act}); raise --max-breakpoints to count further")
    y = [o[0] for o in forward(network, [segment_point(u, v, t) for t in T])]
    slopes = [(y[m + 1] - y[m]) / (T[m + 1] - T[m]) for m in range(len(T) - 1)]
    kinks = tuple(T[m] for m in range(1, len(T) - 1) if slopes[m - 1] != slopes[m])
    return PieceCount(1 + len(kinks), kinks, len(T) - 2, u, v)


# ---------------------------------------------------------------------------------------------
# The counting lemma's hypothesis (docs/ysj19.md, "The witness and the counting lemma")

def alternating_on_segment(ds, u, v) -> int:
    """The counting lemma's hypothesis as the certificate's claim variable (format 1.2): 1 iff
    dy = 1, every point of the dataset ``ds`` is u + t(v - u) with 0 <= t <= 1, the t are
    pairwise different, and the labels in increasing t strictly alternate (no alternation
    failure)."""
    if ds.dy != 1:
        return 0
    w = [b - a for a, b in zip(u, v)]
    k = next(i for i, x in enumerate(w) if x)
    placed = []
    for x, y in zip(ds.points, ds.targets()):
        t = (x[k] - u[k]) / w[k]
        if not 0 <= t <= 1 or tuple(x) != tuple(a + t * c for a, c in zip(u, w)):
            return 0
        placed.append((t, y[0]))
    placed.sort()
    if len({t for t, _ in placed}) < len(placed):
        return 0
    return int(not alternation_failures([y for _, y in placed]))


def alternation_failures(values) -> list:
    """0-based i with (y_(i+1) - y_i)(y_(i+2) - y_(i+1)) >= 0 (integer sign checks on exact values)."""
    return [i for i in range(len(values) - 2)
            if (values[i + 1] - values[i]) * (values[i + 2] - values[i + 1]) >= 0]
