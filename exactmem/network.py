"""The exact network IR: feed-forward layers with integer numerators over one denominator.

Neuron i of a layer computes ``act((W[i] . x + b[i]) / den[i])`` where the row ``W[i]``, the
bias ``b[i]`` and the positive denominator ``den[i]`` are integers with
gcd(den[i], W[i], b[i]) = 1 (so the encoding is unique), and evaluation is integer arithmetic.
One denominator per neuron rather than per layer: in the YSJ19 chains each row has its own
~900-bit denominator, and their lcm over a layer would have ~30,000 bits.  Activations:

* ``relu``      max(0, t)
* ``hardtanh``  -1 for t <= -1, t for -1 < t <= 1, 1 for t > 1 (a clip, continuous)
* ``identity``  t (used by the output layer)

Residual blocks are a later extension (``kind`` is reserved for it in the certificate format).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction

from .rational import rat_bits

ACTIVATIONS = ("relu", "hardtanh", "identity")


@dataclass(frozen=True)
class Layer:
    weights: tuple      # n_out rows of n_in ints
    bias: tuple         # n_out ints
    dens: tuple         # n_out positive ints, one denominator per neuron
    activation: str

    @property
    def n_out(self) -> int:
        return len(self.bias)

    @property
    def n_in(self) -> int:
        return len(self.weights[0]) if self.weights else 0

    @staticmethod
    def from_rationals(weights, bias, activation: str) -> "Layer":
        """Build from rational rows; each row's denominator is the lcm of its entries' denominators."""
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}")
        weights = [[Fraction(v) for v in row] for row in weights]
        bias = [Fraction(v) for v in bias]
        if len(weights) != len(bias):
            raise ValueError("weights and bias disagree on n_out")
        W, b, dens = [], [], []
        for row, bias_i in zip(weights, bias):
            den = math.lcm(bias_i.denominator, *(v.denominator for v in row))
            W.append(tuple(v.numerator * (den // v.denominator) for v in row))
            b.append(bias_i.numerator * (den // bias_i.denominator))
            dens.append(den)
        return Layer(tuple(W), tuple(b), tuple(dens), activation)

    def weight(self, i: int, j: int) -> Fraction:
        return Fraction(self.weights[i][j], self.dens[i])

    def parameters(self):
        """(numerator, denominator) of every weight and bias, row by row."""
        for row, b, den in zip(self.weights, self.bias, self.dens):
            for v in row:
                yield v, den
            yield b, den

    def max_bits(self) -> int:
        """max over parameters p/q (reduced) of bitlen|p| + bitlen(q)."""
        return max((rat_bits(v, den) for v, den in self.parameters()), default=0)

    def max_numerator_bits(self) -> int:
        """max over parameters of bitlen|p| of the reduced fraction."""
        return max((abs(v // math.gcd(v, den)).bit_length() for v, den in self.parameters()), default=0)


@dataclass(frozen=True)
class ResidualBlock:
    """h -> h + outer(inner(h)): ``inner`` a hidden (ReLU or hard-tanh) layer of d_l units reading
    the stream h, ``outer`` an identity layer mapping them back to the stream's dimension (its
    bias is the paper's c).  YSJ19 section 4: h^l = h^(l-1) + V sigma(U h^(l-1) + b) + c."""
    inner: Layer
    outer: Layer

    @property
    def n_out(self) -> int:
        return self.outer.n_out


@dataclass(frozen=True)
class Network:
    """Entries of ``layers`` are :class:`Layer` or :class:`ResidualBlock`; the last is a plain
    identity-or-not :class:`Layer` (the output map)."""
    input_dim: int
    layers: tuple

    def __post_init__(self):
        n_in = self.input_dim
        for k, entry in enumerate(self.layers, 1):
            maps = (entry.inner, entry.outer) if isinstance(entry, ResidualBlock) else (entry,)
            if isinstance(entry, ResidualBlock):
                if entry.outer.activation != "identity" or entry.outer.n_out != n_in:
                    raise ValueError(f"block {k}: the outer map must be identity back to dimension {n_in}")
                if entry.inner.activation == "identity":
                    raise ValueError(f"block {k}: the inner layer needs an activation")
            for layer in maps:
                if len(layer.dens) != layer.n_out or any(den <= 0 for den in layer.dens):
                    raise ValueError(f"layer {k}: one positive denominator per neuron is required")
                if layer.activation not in ACTIVATIONS:
                    raise ValueError(f"layer {k}: unknown activation {layer.activation!r}")
                for row in layer.weights:
                    if len(row) != n_in:
                        raise ValueError(f"layer {k}: row of length {len(row)}, expected {n_in}")
                n_in = layer.n_out
            n_in = entry.n_out
        if isinstance(self.layers[-1], ResidualBlock):
            raise ValueError("the last entry must be a plain output layer")

    def affine_maps(self) -> list:
        """(n_in, layer) for every affine map along the path, residual blocks contributing two."""
        out, n_in = [], self.input_dim
        for entry in self.layers:
            if isinstance(entry, ResidualBlock):
                out += [(n_in, entry.inner), (entry.inner.n_out, entry.outer)]
            else:
                out.append((n_in, entry))
            n_in = entry.n_out
        return out

    # -- measured sizes (the same definitions the checker recomputes) -------------
    @property
    def depth(self) -> int:
        """Number of affine maps on the input-output path (the papers' 'L-layer' for plain
        networks; a residual block counts its two maps)."""
        return len(self.affine_maps())

    @property
    def output_dim(self) -> int:
        return self.layers[-1].n_out

    @property
    def hidden_widths(self) -> list:
        """Output sizes of every layer but the last; a residual block contributes its hidden
        width d_l (the stream it adds back to is not counted, as in YSJ19 section 4)."""
        return [e.inner.n_out if isinstance(e, ResidualBlock) else e.n_out for e in self.layers[:-1]]

    @property
    def residual_hidden(self) -> int:
        """Sum of the residual blocks' hidden widths."""
        return sum(e.inner.n_out for e in self.layers if isinstance(e, ResidualBlock))

    @property
    def width(self) -> int:
        """Max hidden width (0 for a single affine map)."""
        return max(self.hidden_widths, default=0)

    @property
    def hidden_neurons(self) -> int:
        """Sum of the hidden widths (the paper's 'size')."""
        return sum(self.hidden_widths)

    @property
    def params_dense(self) -> int:
        """Sum over affine maps of (n_in + 1) * n_out: every weight and bias, zero or not."""
        return sum((n_in + 1) * layer.n_out for n_in, layer in self.affine_maps())

    @property
    def params_nonzero(self) -> int:
        """Number of weights and biases that are not zero."""
        return sum(1 for _, layer in self.affine_maps() for v, _ in layer.parameters() if v)

    @property
    def bit_complexity(self) -> int:
        """max over all parameters p/q in lowest terms of bitlen|p| + bitlen(q); 0 costs 1."""
        return max(layer.max_bits() for _, layer in self.affine_maps())

    @property
    def max_numerator_bits(self) -> int:
        return max(layer.max_numerator_bits() for _, layer in self.affine_maps())

    def hidden_activation(self) -> str:
        """The hidden layers' common activation, or 'mixed' ('none' if there are none)."""
        acts = {e.inner.activation if isinstance(e, ResidualBlock) else e.activation for e in self.layers[:-1]}
        return acts.pop() if len(acts) == 1 else ("none" if not acts else "mixed")

    def sizes(self) -> dict:
        """Every size the certificate states (computed once: a network never changes; each call
        returns a fresh copy, so a caller may change it)."""
        s = self._sizes
        return {k: list(v) if isinstance(v, list) else v for k, v in s.items()}

    @cached_property
    def _sizes(self) -> dict:
        return {
            "depth": self.depth,
            "width": self.width,
            "widths": self.hidden_widths,
            "hidden_neurons": self.hidden_neurons,
            "params_dense": self.params_dense,
            "params_nonzero": self.params_nonzero,
            "bit_complexity": self.bit_complexity,
            "max_numerator_bits": self.max_numerator_bits,
            "layer_bits": [layer.max_bits() for _, layer in self.affine_maps()],
        }
