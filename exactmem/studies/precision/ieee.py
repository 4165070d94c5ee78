"""Precision study: the deliberate floating-point evaluations (reported, never certified).

* :func:`mpfr_forward` -- the whole forward pass in p-bit binary floating point (MPFR through
  gmpy2, round to nearest even, unbounded exponent);
* :func:`ieee_forward`, :func:`ieee_summary` -- IEEE float64, float32, float16 (numpy) and
  bfloat16 (float32 rounded to 8 significant bits after every operation).

Operation order: see :mod:`exactmem.studies.precision`.  These are the only floats of the
precision study; nothing here builds a network or writes a certificate.  Imports only core
modules (network); never the CLI.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ...network import Network, ResidualBlock
from ...rational import IEEE_FORMATS, ieee_float, ieee_parts  # noqa: F401 (re-exported)

# IEEE formats: significant bits p (hidden bit included), emin, emax; values rounded from the
# exact rationals by exactmem.rational (ieee_float, one home for correct rounding).
IEEE = IEEE_FORMATS
ieee_value = ieee_float


# ---------------------------------------------------------------------------------------------
# Arithmetic precision: the whole forward pass in p-bit binary floating point (MPFR)

def mpfr_forward(net: Network, points, p: int) -> list[tuple]:
    """Outputs (exact Fractions of the p-bit results) of the forward pass in MPFR with precision
    p, round to nearest even, unbounded exponent; operation order in the module docstring."""
    import gmpy2
    from gmpy2 import mpfr, mpq

    n = len(points)
    ctx = gmpy2.context(precision=p, round=gmpy2.RoundToNearest, emax=gmpy2.get_emax_max(),
                        emin=gmpy2.get_emin_min(), subnormalize=False)
    with gmpy2.context(ctx):
        zero, one, mone = mpfr(0), mpfr(1), mpfr(-1)

        def apply(layer, cols):
            new = []
            for row, b, den in zip(layer.weights, layer.bias, layer.dens):
                acc = None
                for i, v in enumerate(row):
                    if v:
                        w = mpfr(mpq(v, den))
                        col = cols[i]
                        acc = [w * x for x in col] if acc is None else [s + w * x for s, x in zip(acc, col)]
                if acc is None:
                    acc = [zero] * n
                if b:
                    bb = mpfr(mpq(b, den))
                    acc = [s + bb for s in acc]
                if layer.activation == "relu":
                    acc = [s if s > 0 else zero for s in acc]
                elif layer.activation == "hardtanh":
                    acc = [one if s > 1 else (mone if s < -1 else s) for s in acc]
                new.append(acc)
            return new

        cols = [[mpfr(mpq(x.numerator, x.denominator)) for x in column] for column in zip(*points)]
        for e in net.layers:
            if isinstance(e, ResidualBlock):
                o = apply(e.outer, apply(e.inner, cols))
                cols = [[u + v for u, v in zip(cu, co)] for cu, co in zip(cols, o)]
            else:
                cols = apply(e, cols)
        return [tuple(Fraction(*map(int, col[j].as_integer_ratio())) for col in cols) for j in range(n)]


# ---------------------------------------------------------------------------------------------
# IEEE formats (numpy): float64, float32, float16 native; bfloat16 emulated

def ieee_forward(net: Network, points, fmt: str) -> list:
    """Outputs of the forward pass in ``fmt`` (numpy, operation order in the module docstring);
    a non-finite output is None, a finite one its exact Fraction."""
    import numpy as np

    dtype = {"float64": np.float64, "float32": np.float32, "float16": np.float16, "bfloat16": np.float32}[fmt]
    if fmt == "bfloat16":
        def rnd(a):
            u = a.view(np.uint32)
            r = ((u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))) & np.uint32(0xFFFF0000))
            return np.where(np.isnan(a), a, r.view(np.float32))
    else:
        def rnd(a):
            return a

    def conv(rows, dens):
        return np.array([[ieee_value(v, den, fmt) for v in row] for row, den in zip(rows, dens)], dtype=dtype)

    def apply(layer, A):
        W = conv(layer.weights, layer.dens).reshape(layer.n_out, A.shape[1])
        B = conv([[b] for b in layer.bias], layer.dens)[:, 0]
        Z = None
        for i in range(A.shape[1]):
            T = rnd(A[:, i:i + 1] * W[None, :, i])
            Z = T if Z is None else rnd(Z + T)
        if Z is None:
            Z = np.zeros((A.shape[0], layer.n_out), dtype=dtype)
        Z = rnd(Z + B[None, :])
        if layer.activation == "relu":
            Z = np.maximum(Z, dtype(0))
        elif layer.activation == "hardtanh":
            Z = np.minimum(np.maximum(Z, dtype(-1)), dtype(1))
        return Z

    with np.errstate(all="ignore"):
        A = np.array([[ieee_value(x.numerator, x.denominator, fmt) for x in pt] for pt in points], dtype=dtype)
        for e in net.layers:
            if isinstance(e, ResidualBlock):
                A = rnd(A + apply(e.outer, apply(e.inner, A)))
            else:
                A = apply(e, A)
    out = []
    for row in A.tolist():
        out.append(tuple(Fraction(v) for v in row) if all(math.isfinite(v) for v in row) else None)
    return out


def ieee_summary(net, ds, decision, fmt) -> dict:
    targets = ds.targets()
    outs = ieee_forward(net, ds.points, fmt)
    wrong, worst, first = 0, Fraction(0), None
    nonfinite = 0
    for i, (out, t) in enumerate(zip(outs, targets)):
        if out is None:
            nonfinite += 1
            wrong += 1
            first = i if first is None else first
            continue
        worst = max(worst, decision.error(out, t))
        if not decision.ok(out, t):
            wrong += 1
            first = i if first is None else first
    p, emin, emax = IEEE[fmt]
    return {"format": fmt, "significant_bits": p, "emin": emin, "emax": emax,
            "rounding": "round to nearest, ties to even" + (" (bfloat16: every float32 result rounded to 8 "
                                                             "significant bits)" if fmt == "bfloat16" else ""),
            "order": "inputs and parameters rounded to the format; per neuron left-to-right dense dot "
                     "product of rounded products, bias added last",
            "misclassified": wrong, "nonfinite": nonfinite, "first_wrong_point": first,
            "worst_error": "inf" if nonfinite else short_decimal(worst), "certified": False}


def short_decimal(q: Fraction, digits: int = 4) -> str:
    """A short decimal for a report (from the exact value, through mpmath)."""
    import mpmath

    if q == 0:
        return "0"
    with mpmath.workdps(30):
        return mpmath.nstr(mpmath.mpf(q.numerator) / q.denominator, digits)
