"""Exact number encodings shared by the dataset loaders and the certificate writer.

Certificate grammar (documented in ``docs/certificate-format.md``; the checker parses it
on its own):

* INT  := decimal ``-?(0|[1-9][0-9]*)`` when ``|v| < 2**53``, otherwise hex ``-?0x[1-9a-f][0-9a-f]*``.
  Hex keeps huge integers linear-time and clear of CPython's 4,300-digit ``int(str)`` limit.
* RAT  := INT, or ``INT/INT`` with denominator > 1 and gcd(num, den) = 1.

Every value has exactly one encoding, so certificates are byte-deterministic.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

HEX_THRESHOLD = 1 << 53

# Input literals users may write in CSV/JSON: integers, decimals, scientific notation, p/q.
_INPUT_LITERAL = re.compile(
    r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(\s*/\s*[+-]?\d+)?\s*$"
)
MAX_INPUT_LITERAL = 100_000   # characters
MAX_INPUT_EXPONENT = 10_000   # |e| in 1e-300 style literals


def encode_int(v: int) -> str:
    """Canonical INT token."""
    v = int(v)
    if -HEX_THRESHOLD < v < HEX_THRESHOLD:
        return str(v)
    return ("-" if v < 0 else "") + hex(abs(v))


def decode_int(s: str) -> int:
    """Inverse of :func:`encode_int` (accepts only canonical tokens)."""
    neg = s.startswith("-")
    body = s[1:] if neg else s
    if body.startswith("0x"):
        v = int(body[2:], 16)
    else:
        v = int(body, 10)
    v = -v if neg else v
    if encode_int(v) != s:
        raise ValueError(f"non-canonical integer {s[:40]!r}")
    return v


def encode_rat(q: Fraction | int) -> str:
    """Canonical RAT token of a Fraction (already in lowest terms) or int."""
    q = Fraction(q)
    if q.denominator == 1:
        return encode_int(q.numerator)
    return encode_int(q.numerator) + "/" + encode_int(q.denominator)


def decode_rat(s: str) -> Fraction:
    num, sep, den = s.partition("/")
    if not sep:
        return Fraction(decode_int(num))
    q = Fraction(decode_int(num), decode_int(den))
    if encode_rat(q) != s:
        raise ValueError(f"non-canonical rational {s[:40]!r}")
    return q


def parse_literal(text: str) -> Fraction:
    """Parse a user-written number exactly: ``3``, ``-2.5``, ``1e-3``, ``1/3``, ``0x1f``-free.

    Raises ValueError with a short reason; NaN and infinities are refused.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a number string, got {type(text).__name__}")
    if len(text) > MAX_INPUT_LITERAL:
        raise ValueError(f"number literal longer than {MAX_INPUT_LITERAL} characters")
    if not _INPUT_LITERAL.match(text):
        raise ValueError(f"not an exact number: {text.strip()[:40]!r}")
    exp = re.search(r"[eE]([+-]?\d+)", text)
    if exp and abs(int(exp.group(1))) > MAX_INPUT_EXPONENT:
        raise ValueError(f"exponent too large in {text.strip()[:40]!r}")
    num, sep, den = text.partition("/")
    value = Fraction(num.strip())
    if sep:
        d = Fraction(den.strip())
        if d == 0:
            raise ValueError(f"zero denominator in {text.strip()[:40]!r}")
        value /= d
    return value


def ceil_div(a, b):
    """ceil(a / b) exactly, for integers or Fractions (b != 0): ``-(-a // b)``, no float."""
    return -(-a // b)


def bitlen(v: int) -> int:
    return abs(v).bit_length()


def rat_bits(num: int, den: int) -> int:
    """Bit complexity of num/den after reduction: bitlen(|p|) + bitlen(q) (0 costs 0 + 1)."""
    from math import gcd

    g = gcd(num, den)
    return bitlen(num // g) + bitlen(den // g)


# ---------------------------------------------------------------------------------------------
# Correct rounding of a rational to a binary floating-point format (the only home of it: the
# precision study, the export and the Python API's float view all round through here)

# Binary formats: significant bits p (the hidden bit included), least and largest normal exponent.
IEEE_FORMATS = {"float64": (53, -1022, 1023), "float32": (24, -126, 127), "float16": (11, -14, 15),
                "bfloat16": (8, -126, 127)}


def ieee_parts(num: int, den: int, p: int, emin: int, emax: int):
    """num/den (den > 0) rounded to the nearest value of the binary format with p significant
    bits and normal exponents emin..emax, ties to even, subnormals included, computed in integer
    arithmetic (never through an intermediate float, so never rounded twice).  Returns
    (m, e, exact) with value m * 2^e and exact True iff no rounding happened, or None when the
    result overflows (|value| >= 2^(emax + 1): IEEE's infinity, with the sign of num)."""
    if num == 0:
        return 0, 0, True
    a = abs(num)
    e = a.bit_length() - den.bit_length()                 # 2^(e-1) < a/den < 2^(e+1)
    if (a << max(-e, 0)) < (den << max(e, 0)):
        e -= 1                                             # now 2^e <= a/den < 2^(e+1)
    q = max(e, emin) - (p - 1)                             # the spacing there: normal or subnormal
    n, d = (a << -q, den) if q <= 0 else (a, den << q)
    m, r = divmod(n, d)
    if 2 * r > d or (2 * r == d and m & 1):
        m += 1
    if m.bit_length() + q - 1 > emax:
        return None
    return (-m if num < 0 else m), q, r == 0


def ieee_float(num: int, den: int, fmt: str) -> float:
    """num/den correctly rounded to the format ``fmt`` of IEEE_FORMATS (nearest, ties to even),
    as the Python float of that value (exact: each format fits in a float64): +-inf past the
    largest finite value, and a zero keeps the sign of num."""
    r = ieee_parts(num, den, *IEEE_FORMATS[fmt])
    if r is None:
        return math.inf if num > 0 else -math.inf
    m, e, _ = r
    return math.ldexp(float(m), e) if m else (-0.0 if num < 0 else 0.0)
