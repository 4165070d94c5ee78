"""Precision study: the decision rule and exact rounding of weights and biases.

* :class:`Decision` -- the rule a rounded network must still meet at every data point
  (nearest integer for class labels, max error <= tol for regression labels);
* :func:`round_network` -- every weight and bias rounded to the grid 2^-k or to p significant
  bits, ties to even, in exact integer arithmetic;
* :func:`param_stats`, :func:`two_adic` -- where rounding becomes exact.

Imports only core modules (data, errors, network, rational); never the CLI, and no float.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ...data import Dataset
from ...errors import InternalError, UsageError
from ...network import Layer, Network, ResidualBlock
from ...rational import ceil_div, encode_rat


@dataclass(frozen=True)
class Decision:
    task: str                       # "classification" | "regression"
    tol: Fraction | None = None     # regression only

    @property
    def bound(self) -> Fraction:
        return Fraction(1, 2) if self.task == "classification" else self.tol

    def error(self, out, target) -> Fraction:
        return max(abs(o - t) for o, t in zip(out, target))

    def ok(self, out, target) -> bool:
        e = self.error(out, target)
        return e < self.bound if self.task == "classification" else e <= self.bound

    def margin(self, out, target) -> Fraction:
        """Slack of the rule: 1/2 - |F - c| (must be > 0) or tol - max error (must be >= 0)."""
        return self.bound - self.error(out, target)

    def describe(self) -> dict:
        if self.task == "classification":
            return {"task": "classification", "rule": "nearest integer: |F(x) - c| < 1/2 "
                    "(a tie at exactly 1/2 counts as wrong)"}
        return {"task": "regression", "rule": "max_o |F_o(x) - y_o| <= tol", "tol": encode_rat(self.tol)}

    def text(self) -> str:
        return "|F - c| < 1/2" if self.task == "classification" else f"max|F - y| <= {self.tol}"


def default_tol(ds: Dataset) -> Fraction:
    """1/1000 of the label range (max minus min over every label component); 1/1000 if flat."""
    vals = [v for y in ds.labels for v in y]
    spread = max(vals) - min(vals)
    return spread / 1000 if spread else Fraction(1, 1000)


def decision_for(ds: Dataset, tol=None) -> Decision:
    if ds.task == "classification":
        if tol is not None:
            raise UsageError("--tol applies to regression labels; class labels use the nearest-integer rule")
        return Decision("classification")
    tol = default_tol(ds) if tol is None else Fraction(tol)
    if tol < 0:
        raise UsageError(f"--tol must be >= 0, got {tol}")
    return Decision("regression", tol)


# ---------------------------------------------------------------------------------------------
# Rounding (exact integer arithmetic)

def round_half_even(a: int, b: int) -> int:
    """The integer nearest to a / b (b > 0), ties to even."""
    q, r = divmod(a, b)
    r2 = 2 * r
    if r2 > b or (r2 == b and q & 1):
        q += 1
    return q


def fixed_parts(num: int, den: int, k: int) -> int:
    """m with m * 2^-k the multiple of 2^-k nearest to num/den (ties to even); k may be < 0."""
    return round_half_even(num << k, den) if k >= 0 else round_half_even(num, den << -k)


def sig_parts(num: int, den: int, p: int) -> tuple[int, int]:
    """(m, e) with m * 2^e = num/den rounded to p >= 1 significant bits, ties to even."""
    if num == 0:
        return 0, 0
    a = abs(num)
    e = a.bit_length() - den.bit_length()            # 2^e <= a/den < 2^(e+2)
    if (a << max(-e, 0)) < (den << max(e, 0)):
        e -= 1                                       # now 2^e <= a/den < 2^(e+1)
    s = p - 1 - e                                    # quantum 2^(e - p + 1)
    m = round_half_even(num << s, den) if s >= 0 else round_half_even(num, den << -s)
    return m, -s


def round_fixed(x, k: int) -> Fraction:
    x = Fraction(x)
    return Fraction(fixed_parts(x.numerator, x.denominator, k)) / Fraction(2) ** k


def round_sig(x, p: int) -> Fraction:
    x = Fraction(x)
    m, e = sig_parts(x.numerator, x.denominator, p)
    return m * Fraction(2) ** e


def _neuron(parts) -> tuple[tuple, int, int]:
    """Canonical (row, bias, den) of values m_i * 2^e_i (the bias last)."""
    E = max(0, max(-e for m, e in parts if m) if any(m for m, _ in parts) else 0)
    nums = [m << (e + E) if m else 0 for m, e in parts]
    den = 1 << E
    g = math.gcd(den, *nums)
    nums = [v // g for v in nums]
    return tuple(nums[:-1]), nums[-1], den // g


def round_layer(layer: Layer, kind: str, n: int) -> Layer:
    rows, bias, dens = [], [], []
    for row, b, den in zip(layer.weights, layer.bias, layer.dens):
        if kind == "fixed":
            parts = [(fixed_parts(v, den, n), -n) for v in (*row, b)]
        else:
            parts = [sig_parts(v, den, n) for v in (*row, b)]
        r, bb, dd = _neuron(parts)
        rows.append(r)
        bias.append(bb)
        dens.append(dd)
    return Layer(tuple(rows), tuple(bias), tuple(dens), layer.activation)


def round_network(net: Network, kind: str, n: int) -> Network:
    """Every weight and bias rounded: ``kind`` "fixed" (grid 2^-n) or "float" (n significant bits)."""
    if kind not in ("fixed", "float"):
        raise InternalError(f"unknown rounding {kind!r}")
    out = []
    for e in net.layers:
        if isinstance(e, ResidualBlock):
            out.append(ResidualBlock(round_layer(e.inner, kind, n), round_layer(e.outer, kind, n)))
        else:
            out.append(round_layer(e, kind, n))
    return Network(net.input_dim, tuple(out))


def rounding_json(kind: str, n: int) -> dict:
    if kind == "fixed":
        return {"kind": "fixed", "k": n, "rule": "every weight and bias to the nearest multiple of 2^-k, "
                "ties to even"}
    return {"kind": "float", "p": n, "rule": "every weight and bias to p significant bits, unbounded "
            "exponent, round to nearest, ties to even"}


def maps(net: Network) -> list:
    """Every affine map (plain layers, and both maps of each residual block)."""
    out = []
    for e in net.layers:
        out += [e.inner, e.outer] if isinstance(e, ResidualBlock) else [e]
    return out


def param_stats(net: Network) -> dict:
    """Bits of the largest |parameter| (for the fixed-point floor) and the largest 2-adic order."""
    big, exact_k, exact_p = 0, None, 0
    for layer in maps(net):
        for v, den in layer.parameters():
            if not v:
                continue
            g = math.gcd(v, den)
            v, den = v // g, den // g
            big = max(big, ceil_div(abs(v), den).bit_length())
            t, s = two_adic(v, den)
            if t is None:
                exact_k, exact_p = "never", "never"
            elif exact_k != "never":
                exact_k = t if exact_k is None else max(exact_k, t)
                exact_p = max(exact_p, s)
    return {"magnitude_bits": big, "exact_k": exact_k, "exact_p": exact_p}


def two_adic(v: int, den: int):
    """For v/den in lowest terms, v != 0: (t, s) with t the least k putting it on 2^-k Z and s its
    significant bits; (None, None) when it is not dyadic."""
    if den & (den - 1):
        return None, None
    if den > 1:
        return den.bit_length() - 1, abs(v).bit_length()
    a = abs(v)
    tz = (a & -a).bit_length() - 1
    return -tz, (a >> tz).bit_length()
