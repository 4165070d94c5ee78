"""Stage I shared by VYS21 and YY26: one neuron projects the data onto a line with gaps >= 2.

Both constructions start the same way.  A direction v in Z^d is drawn (or given), scaled by a
power of two so that the projections z_i = w.x_i + b are pairwise at least 2 apart, and shifted
by an integer b so that they are >= 0; the integer keys floor(z_i) are then pairwise distinct
and at least 2 apart, which is what the later stages' lookups and equality tests need.  The
range max z_i is kept below a rational lower bound of VYS21's R = 10 r N^2 sqrt(pi d) / delta,
so the bit lengths the theorems charge are met.  ``docs/vys21.md`` explains the stage.

Public names:

* :func:`class_labels` -- the labels 1..C these constructions memorize (DataError otherwise);
* :func:`stage1_projection` -- the projection (w, b), the values z_i and a record of the draw;
* :func:`key_bits` -- rho, the bit length of the largest key;
* :func:`input_net`, :func:`projection` -- the input registers and the pre-activation w.x + b;
* :func:`stage1_summary` -- the record as informative, JSON-safe numbers.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

from ..data import Dataset
from ..errors import ConstructionError, DataError
from ..gadgets import Expr, RegisterNet

PI_LOWER = Fraction(314159, 100000)
MAX_DRAWS = 64
# Draws after the first MAX_DRAWS take coordinates this many times longer: on 10^5 points of a
# 2^-16 grid, projections on the short directions coincide for some pair in most draws (about
# N^2 / 2 pairs share ~10^10 possible values); the theorem's direction is continuous, and a finer
# integer direction is closer to it. The first MAX_DRAWS draws are unchanged, so every certificate
# that succeeded before is the same.
FINER = 1 << 16


def class_labels(ds: Dataset, construction: str = "vys21") -> tuple[list, int]:
    """The class labels 1..C and C; DataError (naming the construction) for real labels."""
    if ds.task != "classification":
        raise DataError(f"{construction} memorizes class labels 1..C, and these labels are real numbers; "
                        "use random:...,classes=C or --classes C")
    return list(ds.labels), ds.classes


def sqrt_lower(s: Fraction, precision_bits: int = 32) -> Fraction:
    """Largest k / 2**p with (k / 2**p)**2 <= s."""
    scale = 1 << (2 * precision_bits)
    return Fraction(math.isqrt(s.numerator * scale // s.denominator), 1 << precision_bits)


def theorem_R_lower(n: int, d: int, r: Fraction, delta: Fraction) -> Fraction:
    """A rational lower bound of R = 10 r N^2 sqrt(pi d) / delta."""
    return 10 * r * n * n * sqrt_lower(PI_LOWER * d) / delta


def stage1_projection(ds: Dataset, seed: int = 0, direction=None):
    """Lemma P: integer/dyadic w and integer b with z_i = w.x_i + b in [0, R], gaps >= 2.

    A direction v in Z^d is drawn with an integer-only RNG (sum of four uniform integers in
    [-2^12, 2^12] per coordinate); w = 2^e v with the least e making the minimum gap >= 2, and
    b = ceil(-min w.x).  Accepted when max z <= R_lo, a rational lower bound of the theorem's R
    for r = a rational upper bound of max |x| and delta = a rational lower bound of the minimum
    distance.  A user ``direction`` is tried first (then random draws).  Returns (w, b, z, record).

    Raises DataError when two points coincide, ConstructionError for a malformed ``direction``
    or when no draw within 2 * MAX_DRAWS keeps the range below R_lo (the second MAX_DRAWS draws
    use directions FINER times longer).
    """
    n, d = ds.n, ds.d
    r = ds.radius_upper()
    min_sq = ds.min_sq_distance()
    delta = Fraction(1) if min_sq is None else sqrt_lower(min_sq)
    if delta == 0 and min_sq:       # delta < 2^-32: as many bits as it takes (unchanged otherwise)
        delta = sqrt_lower(min_sq, (min_sq.denominator.bit_length() - min_sq.numerator.bit_length()) // 2 + 32)
    if delta == 0:
        raise DataError("two points coincide: the separation delta is 0")
    R_lo = theorem_R_lower(n, d, r, delta)
    rng = random.Random(seed)
    if direction is not None and (len(direction) != d or not all(isinstance(c, int) for c in direction)):
        raise ConstructionError(f"--direction needs {d} integers, got {direction}")
    for draw in range(1, 2 * MAX_DRAWS + 1):
        if draw == 1 and direction is not None:
            v = list(direction)
        else:
            span = 4096 if draw <= MAX_DRAWS else 4096 * FINER
            v = [sum(rng.randint(-span, span) for _ in range(4)) for _ in range(d)]
        if not any(v):
            continue
        p = [sum(c * x for c, x in zip(v, pt)) for pt in ds.points]
        ps = sorted(p)
        gap = min((b - a for a, b in zip(ps, ps[1:])), default=None)
        if gap == 0:
            continue
        if gap is None:                     # N = 1: nothing to separate
            e = 0
        else:
            e = 0
            while gap * Fraction(2) ** e >= 2:
                e -= 1
            while gap * Fraction(2) ** e < 2:
                e += 1
        alpha = Fraction(2) ** e
        w = [alpha * c for c in v]
        # Integer b = ceil(-min) keeps z >= 0; with one point use b = -p exactly, so z = 0 <= R
        # even when r (hence R) is tiny (N = 1, a single point near the origin).
        b = math.ceil(-alpha * ps[0]) if n > 1 else -alpha * ps[0]
        z = [alpha * q + b for q in p]
        z_max = max(z)
        if z_max <= R_lo:
            record = {"draws": draw, "v": v, "alpha_exponent": e, "gap": gap * alpha if gap else None,
                      "z_max": z_max, "R_lower": R_lo, "r_upper": r, "delta_lower": delta}
            return w, b, z, record
    raise ConstructionError(f"Stage I: no direction within {2 * MAX_DRAWS} draws gave range <= R "
                            f"(R_lo = {float(R_lo):.4g}); try another --seed")


def key_bits(keys) -> int:
    """rho: the bit length of the largest (nonnegative integer) key, at least 1."""
    return max(1, max(keys).bit_length())


def input_net(d: int) -> RegisterNet:
    """A register network over the input coordinates x0..x(d-1)."""
    return RegisterNet([f"x{i}" for i in range(d)])


def projection(net: RegisterNet, w, b) -> Expr:
    """Stage I's pre-activation w.x + b over the input registers x0..x(d-1)."""
    proj = Expr.const(b)
    for i, c in enumerate(w):
        proj = proj + c * net.value(f"x{i}")
    return proj


def stage1_summary(record: dict, delta: bool = True) -> dict:
    """The draw record as informative, JSON-safe numbers (``delta``: include delta_lower)."""
    out = {"draws": record["draws"], "direction": record["v"], "alpha_exponent": record["alpha_exponent"],
           "gap": str(record["gap"]) if record["gap"] is not None else None, "z_max": str(record["z_max"]),
           "R_lower": str(record["R_lower"]), "r_upper": str(record["r_upper"])}
    if delta:
        out["delta_lower"] = str(record["delta_lower"])
    return out
