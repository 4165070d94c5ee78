"""Each theorem's size bound for one configuration, written once (the sweep and its report read
them from here).

:func:`bounds_for` returns, for a construction, N, d, dy, C, its options and its dataset, a list
of bounds; each names the measured quantity it speaks about (a key of the certificate's
``sizes``, or ``width2_depth2``), the bound's value for this configuration, the formula and the
construction document it comes from.  The first bound of a list is the *primary* one: its
measured/bound ratio is the constant the report calls "hidden" (the constant an O(.) or a
smallest admissible size hides).  A bound is a float: it is a figure for the report, computed from
the data's exact minimum distance and radius where the theorem needs them; nothing on the
certifying path reads it.

Formulas, from the construction documents (docs/zhang17.md, docs/ysj19.md, docs/vys21.md,
docs/yy26.md):

* zhang17: N hidden ReLUs; (d + 1) N + N dy nonzero parameters (the certificate's claim).
* ysj19-thm3.1: 4 floor(d1/4) floor(d2/(4 dy)) >= N (ReLU) or 4 floor(d1/2) floor(d2/(2 dy)) >= N
  (hard-tanh); d1 + d2 is then at least 4 sqrt(N dy) (ReLU) or 2 sqrt(N dy) (hard-tanh), the
  theorem's hidden-node count; the ReLU network has 4N + (2 dx + 6) sqrt N + 1 edges (dy = 1).
* ysj19-prop3.2: 4 floor(d1/4) floor(d2/4) >= N and d3 >= 4C (ReLU; hard-tanh halves both):
  4 sqrt N + 4C (2 sqrt N + 2C) hidden nodes.
* ysj19-prop3.4: m blocks that each cost what a Theorem 3.1 core on its run costs; the reference
  is one hard-tanh core on all N points, 2 sqrt(N dy) (ReLU: twice).
* ysj19-cor4.2: d1 >= 4N/dx + 4dy (ReLU) or 2N/dx + 2dy (hard-tanh), dy = C (one-hot).
* ysj19-thm4.1: 4N/dx + 6dy ReLU or 2N/dx + 3dy hard-tanh hidden nodes, dy = C.
* ysj19-thm3.3: depth 2 is zhang17's network (N hidden ReLUs); depth 3 the Theorem 3.1 network.
* vys21: width 12 and depth D1 = sqrt(N log2 N) + sqrt(N / log2 N) max(log2 R, log2 C) with
  R = 10 r N^2 sqrt(pi d) / delta; Stage II-III weights of about sqrt(N / log2 N) max(log2 R, log2 C) bits.
* vys21-depth: depth <= L; O~(N / L) parameters, the reference N max(log2 R, log2 C) / L.
* yy26: W^2 L^2 = O(N log2(1/delta)).
"""

from __future__ import annotations

import math
from fractions import Fraction

from ...constructions.stage_one import sqrt_lower, theorem_R_lower

DOCS = {"zhang17": "docs/zhang17.md", "vys21": "docs/vys21.md", "vys21-depth": "docs/vys21.md",
        "yy26": "docs/yy26.md"}


def _doc(cid: str) -> str:
    return DOCS.get(cid, "docs/ysj19.md")


def _log2(q: Fraction) -> float:
    """log2 of a positive rational, accurate for any size (no float overflow)."""
    return math.log2(q.numerator) - math.log2(q.denominator)


def _log2_R(n: int, d: int, radius: Fraction, min_sq: Fraction | None) -> float:
    """log2 R for VYS21's R = 10 r N^2 sqrt(pi d) / delta (delta = 1 when N = 1), from the
    construction's own rational bound of R (stage_one.theorem_R_lower), with delta the square
    root of the least squared distance to as many bits as that distance needs."""
    if not radius > 0:
        radius = Fraction(1)
    bits = 32 if not min_sq else max(32, (min_sq.denominator.bit_length() - min_sq.numerator.bit_length()) // 2 + 32)
    delta = Fraction(1) if not min_sq else sqrt_lower(min_sq, bits)
    return _log2(theorem_R_lower(n, d, radius, delta))


def _b(quantity: str, bound: float, formula: str, cid: str, kind: str = "upper") -> dict:
    return {"quantity": quantity, "bound": float(bound), "formula": formula, "source": _doc(cid), "kind": kind}


def bounds_for(cid: str, n: int, d: int, dy: int, classes: int | None, options: dict, ds=None) -> list[dict]:
    """The theorem's bounds for this configuration (first = primary); [] for an unknown id.

    ``kind`` is "upper" (the theorem's sufficient size: measured <= bound up to the hidden
    constant) or "reference" (a growth rate with no stated constant: the ratio is the constant)."""
    act = options.get("activation", "hardtanh" if cid == "ysj19-prop3.4" else "relu")
    relu = act == "relu"
    c = classes or 1
    if cid == "zhang17" or (cid == "ysj19-thm3.3" and options.get("depth", 2) == 2):
        return [_b("hidden_neurons", n, "N hidden ReLUs", cid),
                _b("params_nonzero", (d + 1) * n + n * dy, "(d + 1) N + N dy nonzero parameters", cid)]
    if cid in ("ysj19-thm3.1", "ysj19-thm3.3"):
        k = 4 if relu else 2
        out = [_b("hidden_neurons", k * math.sqrt(n * dy),
                  f"d1 + d2 >= {k} sqrt(N dy) from {k}*floor(d1/{k})*floor(d2/({k} dy)) >= N ({act})", cid)]
        if relu and dy == 1:
            out.append(_b("params_dense", 4 * n + (2 * d + 6) * math.sqrt(n) + 1,
                          "4N + (2 dx + 6) sqrt N + 1 edges (ReLU, dy = 1)", cid))
        return out
    if cid == "ysj19-prop3.2":
        k = 4 if relu else 2
        return [_b("hidden_neurons", k * math.sqrt(n) + k * c, f"{k} sqrt N + {k} C hidden nodes ({act})", cid)]
    if cid == "ysj19-prop3.4":
        k = 4 if relu else 2
        return [_b("hidden_neurons", k * math.sqrt(n * dy),
                   f"reference: one Theorem 3.1 core on all N points, {k} sqrt(N dy) ({act})", cid, "reference")]
    if cid == "ysj19-cor4.2":
        k = 4 if relu else 2
        return [_b("hidden_neurons", k * n / d + k * c, f"d1 >= {k}N/dx + {k}dy, dy = C ({act})", cid)]
    if cid == "ysj19-thm4.1":
        k, h = (4, 6) if relu else (2, 3)
        return [_b("hidden_neurons", k * n / d + h * c, f"{k}N/dx + {h}dy hidden nodes, dy = C ({act})", cid)]
    if cid in ("vys21", "vys21-depth", "yy26"):
        if ds is None:
            return []
        min_sq = ds.min_sq_distance()
        if cid == "yy26":
            lg = 0.0 if not min_sq else -_log2(min_sq) / 2
            return [_b("width2_depth2", n * lg, "W^2 L^2 = O(N log2(1/delta)), delta the least distance",
                       cid, "reference")]
        lr = _log2_R(n, d, ds.radius_upper(), min_sq)
        t = max(lr, math.log2(c))
        ln = math.log2(n) if n > 1 else 1.0
        if cid == "vys21":
            return [_b("depth", math.sqrt(n * ln) + math.sqrt(n / ln) * t,
                       "D1 = sqrt(N log2 N) + sqrt(N / log2 N) max(log2 R, log2 C), R = 10 r N^2 sqrt(pi d)/delta",
                       cid, "reference"),
                    _b("bit_complexity", math.sqrt(n / ln) * t, "sqrt(N / log2 N) max(log2 R, log2 C) bits",
                       cid, "reference"),
                    _b("width", 12, "width 12", cid)]
        L = options.get("depth", 3)
        return [_b("params_dense", n * t / L, "O~(N / L) parameters: reference N max(log2 R, log2 C) / L",
                   cid, "reference"),
                _b("depth", L, "depth <= L", cid)]
    return []


def measured(sizes: dict, quantity: str) -> int:
    """The measured value of a bound's quantity from a certificate's ``sizes``."""
    if quantity == "width2_depth2":
        return sizes["width"] ** 2 * sizes["depth"] ** 2
    return sizes[quantity]
