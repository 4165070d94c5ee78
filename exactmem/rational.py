"""Exact number encodings shared by the dataset loaders and the certificate writer.

Certificate grammar (documented in ``docs/certificate-format.md``; the checker parses it
on its own):

* INT  := decimal ``-?(0|[1-9][0-9]*)`` when ``|v| < 2**53``, otherwise hex ``-?0x[1-9a-f][0-9a-f]*``.
  Hex keeps huge integers linear-time and clear of CPython's 4,300-digit ``int(str)`` limit.
* RAT  := INT, or ``INT/INT`` with denominator > 1 and gcd(num, den) = 1.

Every value has exactly one encoding, so certificates are byte-deterministic.
"""

from __future__ import annotations

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
