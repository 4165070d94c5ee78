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
class Network:
    input_dim: int
    layers: tuple

    def __post_init__(self):
        n_in = self.input_dim
        for k, layer in enumerate(self.layers, 1):
            if len(layer.dens) != layer.n_out or any(den <= 0 for den in layer.dens):
                raise ValueError(f"layer {k}: one positive denominator per neuron is required")
            if layer.activation not in ACTIVATIONS:
                raise ValueError(f"layer {k}: unknown activation {layer.activation!r}")
            for row in layer.weights:
                if len(row) != n_in:
                    raise ValueError(f"layer {k}: row of length {len(row)}, expected {n_in}")
            n_in = layer.n_out

    # -- measured sizes (the same definitions the checker recomputes) -------------
    @property
    def depth(self) -> int:
        """Number of affine layers (the papers' 'L-layer')."""
        return len(self.layers)

    @property
    def output_dim(self) -> int:
        return self.layers[-1].n_out

    @property
    def hidden_widths(self) -> list:
        """Output sizes of every layer but the last."""
        return [layer.n_out for layer in self.layers[:-1]]

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
        """Sum over layers of (n_in + 1) * n_out: every weight and bias, zero or not."""
        dims = [self.input_dim] + [layer.n_out for layer in self.layers]
        return sum((a + 1) * b for a, b in zip(dims, dims[1:]))

    @property
    def params_nonzero(self) -> int:
        """Number of weights and biases that are not zero."""
        return sum(1 for layer in self.layers for v, _ in layer.parameters() if v)

    @property
    def bit_complexity(self) -> int:
        """max over all parameters p/q in lowest terms of bitlen|p| + bitlen(q); 0 costs 1."""
        return max(layer.max_bits() for layer in self.layers)

    @property
    def max_numerator_bits(self) -> int:
        return max(layer.max_numerator_bits() for layer in self.layers)

    def hidden_activation(self) -> str:
        """The hidden layers' common activation, or 'mixed' ('none' if there are none)."""
        acts = {layer.activation for layer in self.layers[:-1]}
        return acts.pop() if len(acts) == 1 else ("none" if not acts else "mixed")

    def sizes(self) -> dict:
        return {
            "depth": self.depth,
            "width": self.width,
            "widths": self.hidden_widths,
            "hidden_neurons": self.hidden_neurons,
            "params_dense": self.params_dense,
            "params_nonzero": self.params_nonzero,
            "bit_complexity": self.bit_complexity,
            "max_numerator_bits": self.max_numerator_bits,
            "layer_bits": [layer.max_bits() for layer in self.layers],
        }
