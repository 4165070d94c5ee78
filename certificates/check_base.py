"""Shared ground of the checker: verdicts, resource limits, the cost model, strict JSON and the
INT/RAT number grammar, field helpers, and reading a file within --max-bytes.

Standard library only.  Must never import exactmem, any other check_*.py file, or anything that
writes files, runs programs or loads code; it holds no mutable state: the limits of a run are a
value (Limits) and its work is counted in a Budget that every costly function receives.
"""

import json
import math
import os
import re
import sys
import time
from collections import namedtuple

SUPPORTED_MAJOR, SUPPORTED_MINOR = 1, 4
ACTIVATIONS = ("relu", "hardtanh", "identity")
VERDICTS = {0: "VERIFIED", 1: "REJECTED", 2: "MALFORMED", 3: "UNSUPPORTED", 4: "RESOURCE", 5: "USAGE"}


class Verdict(Exception):
    """The run's outcome other than VERIFIED: an exit code of VERDICTS and the one-line reason."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def malformed(msg):
    """Verdict MALFORMED: not a well-formed certificate."""
    return Verdict(2, msg)


def rejected(msg):
    """Verdict REJECTED: well-formed, but something it states is false."""
    return Verdict(1, msg)


# ---------------------------------------------------------------------------------------------
# Strict JSON and number grammar

INT_RE = re.compile(r"-?(0|[1-9][0-9]*|0x[1-9a-f][0-9a-f]*)")
# Resource limits (docs/certificate-format.md, section 17): bits per integer read, bytes per file,
# layers, neurons per layer (the input dimension d included), data points, work units of the
# cost model below, and the memory the checker may estimate it needs for what it builds.
Limits = namedtuple("Limits", "int_bits bytes layers width points work memory")
DEFAULT_LIMITS = Limits(int_bits=1 << 22, bytes=1 << 31, layers=100_000, width=1_000_000,
                        points=10_000_000, work=3 * 10 ** 10, memory=1 << 30)

# ---------------------------------------------------------------------------------------------
# The cost model (docs/checker.md, "Cost model").  Every operation whose cost grows with its
# operands is charged *before* it runs, from the bit lengths of those operands, in work units of
# about one nanosecond of this interpreter's time; a run that would pass --max-work stops with
# RESOURCE.  Bulk allocations are estimated the same way against --max-memory.  Costs are upper
# bounds measured on CPython 3.11 (schoolbook products, quadratic gcd and division), so the
# checker's time stays below the budget whatever the numbers are.

OP = 100                    # one interpreted arithmetic operation on small integers
NEURON = 1000               # the interpreter's own work for one neuron of one point, besides arithmetic
CLAIM = 20_000              # parsing or matching one claim statement, besides its characters
MADD = 60                   # one multiply-add of small integers inside sum(map(mul, ...))
FRACTION = 16               # fractions.Fraction arithmetic: operations (with their gcds) per term
GP_NORMAL = 8 * NEURON      # general_position: the interpreter's work per coordinate of one normal


def limbs(bits):
    """64-bit words of an integer of this many bits (at least one)."""
    return (bits >> 6) + 1


def mul_cost(a_bits, b_bits):
    """Upper bound for a product: schoolbook up to 256 words, then about n * m^0.75 (Karatsuba)."""
    m, n = sorted((limbs(a_bits), limbs(b_bits)))
    return OP + (4 * m * n if m <= 256 else 6 * n * math.isqrt(m * math.isqrt(m)))


def div_cost(a_bits, b_bits):
    """Upper bound for a // b, a % b or divmod: schoolbook, quotient words times divisor words
    (CPython has no faster division)."""
    m, n = limbs(a_bits), limbs(b_bits)
    return OP + 16 * (max(m - n, 0) + 1) * n + 50 * m


def div_any_cost(a_bits, b_max_bits):
    """div_cost for a divisor known only to have at most b_max_bits bits (the worst size)."""
    m, n = limbs(a_bits), min(limbs(b_max_bits), limbs(a_bits))
    worst = (m + 1) // 2 if n >= (m + 1) // 2 else n
    return OP + 16 * (m - worst + 1) * worst + 50 * m


def gcd_cost(a_bits, b_bits):
    """Upper bound for math.gcd (Lehmer's algorithm: quadratic in the operands' words)."""
    m, n = limbs(a_bits), limbs(b_bits)
    return OP + 16 * m * n + 20 * (m + n)


def madd_cost(a_bits, b_bits):
    """One term of a dot product inside sum(map(mul, ...)): no interpreted operation of its own."""
    m, n = sorted((limbs(a_bits), limbs(b_bits)))
    return MADD + (4 * m * n if m <= 256 else 6 * n * math.isqrt(m * math.isqrt(m)))


def lcm_charged(values, what, budget):
    """lcm of positive integers, each step charged before it runs (the lcm may grow at every step)."""
    c = 1
    for q in values:
        if q == 1 or q == c:
            continue
        cb, qb = c.bit_length(), q.bit_length()
        budget.charge(gcd_cost(cb, qb) + div_cost(cb, qb) + mul_cost(cb, qb), what)
        c = c // math.gcd(c, q) * q
    return c


PROGRESS_UNITS = 10 ** 8    # look at the clock once per this many work units (about 0.1 s)
PROGRESS_SECONDS = 5        # a progress line on stderr at most this often, on runs that last longer


class Budget:
    """One run's limits (a Limits value) and the work units charged so far; every function that
    does costly work receives it, so two runs never share anything.  With ``progress`` it also
    prints a line on stderr every PROGRESS_SECONDS of a long run (never on stdout, which holds
    the report and the verdict)."""

    def __init__(self, limits=DEFAULT_LIMITS, progress=False):
        self.limits, self.work, self.memory, self.used = limits, limits.work, limits.memory, 0
        self.progress, self.next_look, self.started = progress, PROGRESS_UNITS, time.monotonic()
        self.last_line = self.started

    def charge(self, units, what):
        """Rule: no operation starts when its cost would take the run past --max-work."""
        self.used += units
        if self.used > self.work:
            raise Verdict(4, f"work limit: {what} would bring the checker's work to more than "
                             f"--max-work={self.work} units (cost model: docs/checker.md)")
        if self.used >= self.next_look:
            self.next_look = self.used + PROGRESS_UNITS
            now = time.monotonic()
            if self.progress and now - self.last_line >= PROGRESS_SECONDS:
                self.last_line = now
                print(f"c progress: {now - self.started:.0f} s, {self.used} of --max-work={self.work} units "
                      f"({100 * self.used / self.work:.1f} %), now: {what[:120]}", file=sys.stderr, flush=True)

    def hold(self, nbytes, what):
        """Rule: nothing is built whose estimated size exceeds --max-memory."""
        if nbytes > self.memory:
            raise Verdict(4, f"memory limit: {what} needs about {nbytes} bytes, more than "
                             f"--max-memory={self.memory}")


def int_bytes(bits):
    """Estimated size of a Python int of this many bits (object header included)."""
    return 32 + (bits >> 3)


def comb_at_most(n, k, cap):
    """C(n, k) if it is at most cap, else cap + 1: never computes a larger binomial."""
    if k < 0 or k > n:
        return 0
    k, c = min(k, n - k), 1
    for i in range(k):
        c = c * (n - i) // (i + 1)          # stays an integer: C(n, i + 1)
        if c > cap:
            return cap + 1
    return c


def parse_json(data, budget):
    """Rule (section 4): strict JSON - UTF-8, no duplicate key, no float, NaN or Infinity, small
    JSON integers only; its size is held to --max-memory before parsing."""

    def pairs(items):
        obj = {}
        for k, v in items:
            if k in obj:
                raise malformed(f"duplicate JSON key {k!r}")
            obj[k] = v
        return obj

    def no_float(text):
        raise malformed(f"JSON float {text[:30]!r} is not allowed (numbers are exact strings)")

    def no_constant(text):
        raise malformed(f"JSON constant {text} is not allowed")

    def small_int(text):
        if len(text.lstrip("-")) > 15:
            raise malformed(f"JSON integer {text[:30]}... too large (use an INT string)")
        return int(text)

    json_size_fits(data, budget)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise malformed(f"not UTF-8: {e}")
    try:
        return json.loads(text, object_pairs_hook=pairs, parse_float=no_float,
                          parse_constant=no_constant, parse_int=small_int)
    except json.JSONDecodeError as e:
        raise malformed(f"invalid JSON: {e}")
    except RecursionError:
        raise malformed("JSON nested too deeply")


JSON_VALUE_BYTES = 104      # a parsed JSON value: the object, its slot in a list or dict, a key, the parser's own


def json_size_fits(data, budget):
    """Rule: the JSON's values are counted from its bytes before any object is built.  Every value
    but the first follows a ',', ':', '[' or '{', so their count bounds the number of values (and
    keys); with the text itself that gives the memory parsing will take, held to --max-memory."""
    values = 1 + sum(data.count(ch) for ch in (b",", b":", b"[", b"{"))
    budget.hold(3 * len(data) + JSON_VALUE_BYTES * values,
                f"parsing {len(data)} bytes of JSON with up to {values} values")


def canonical(obj):
    """The canonical bytes of a JSON value: sorted keys, no whitespace, UTF-8 (no final newline)."""
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise malformed("a string contains an unpaired surrogate (not valid Unicode)")
    except RecursionError:         # parsed at a shallower stack depth than it is re-encoded at
        raise malformed("JSON nested too deeply")


def is_sha256(v):
    """True for 64 lowercase hex digits."""
    return isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) is not None


def to_int(s, where, budget):
    """INT token -> int: decimal below 2**53, lowercase hex (0x...) from 2**53 on, canonical only."""
    if not isinstance(s, str):
        raise malformed(f"{where}: expected an INT string, got {type(s).__name__}")
    if len(s) > budget.limits.int_bits // 4 + 4:            # checked before any conversion
        raise Verdict(4, f"{where}: integer longer than --max-int-bits={budget.limits.int_bits}")
    if not INT_RE.fullmatch(s):
        raise malformed(f"{where}: {s[:40]!r} is not an INT token")
    neg = s.startswith("-")
    body = s[1:] if neg else s
    if body.startswith("0x"):
        v = int(body[2:], 16)
        if v < 1 << 53:
            raise malformed(f"{where}: {s[:40]!r} must be written in decimal (below 2**53)")
    else:
        if len(body) > 16:
            raise malformed(f"{where}: {s[:40]!r} must be written in hex (2**53 or more)")
        v = int(body)
        if v >= 1 << 53:
            raise malformed(f"{where}: {s[:40]!r} must be written in hex (2**53 or more)")
    if neg and v == 0:
        raise malformed(f"{where}: -0 is not canonical")
    if v.bit_length() > budget.limits.int_bits:
        raise Verdict(4, f"{where}: integer of {v.bit_length()} bits exceeds --max-int-bits={budget.limits.int_bits}")
    return -v if neg else v


# The pairs (v, 1) of the integers 0..4095, made once and shared (tuples never change): a dataset
# of 8-bit pixels at dx = 3072 has 153 million coordinates, and a pair each took 56 bytes.
SMALL_PAIRS = tuple((v, 1) for v in range(4096))
SMALL_TOKENS = {str(v): pair for v, pair in enumerate(SMALL_PAIRS)}    # their canonical tokens


def to_rat(s, where, budget):
    """RAT token -> (num, den) with den > 0, gcd 1, and den > 1 written only when needed."""
    pair = SMALL_TOKENS.get(s) if type(s) is str else None
    if pair is not None and budget.limits.int_bits >= 12:     # what the steps below return for it
        return pair
    if not isinstance(s, str):
        raise malformed(f"{where}: expected a RAT string, got {type(s).__name__}")
    num, sep, den = s.partition("/")
    p = to_int(num, where, budget)
    if not sep:
        return SMALL_PAIRS[p] if 0 <= p < 4096 else (p, 1)
    q = to_int(den, where, budget)
    if q > 1:
        budget.charge(gcd_cost(p.bit_length(), q.bit_length()), f"{where}: the gcd test of a RAT")
    if q <= 1 or math.gcd(p, q) != 1:
        raise malformed(f"{where}: {s[:40]!r} is not a reduced fraction with denominator > 1")
    return p, q


def short(v):
    """An integer for a message: in full up to 1,000 bits, else its size and leading hex digits
    (str() of a huge int would also hit CPython's 4,300-digit limit)."""
    if abs(v).bit_length() <= 1000:
        return str(v)
    return f"<{abs(v).bit_length()}-bit integer {'-' if v < 0 else ''}{hex(abs(v))[:18]}...>"


def fmt(num, den):
    """A rational (num, den) for a message."""
    return short(num) if den == 1 else f"{short(num)}/{short(den)}"


def need(obj, keys, where):
    """Rule: an object has exactly these fields, no more and no fewer."""
    if not isinstance(obj, dict):
        raise malformed(f"{where}: expected an object")
    if set(obj) != set(keys):
        missing, extra = sorted(set(keys) - set(obj)), sorted(set(obj) - set(keys))
        raise malformed(f"{where}: missing fields {missing}" if missing else f"{where}: unknown fields {extra}")
    return obj


def count(v, where, lo=0):
    """Rule: a count is a JSON integer (not a boolean) of at least lo."""
    if type(v) is not int or v < lo:
        raise malformed(f"{where}: expected an integer >= {lo}")
    return v


def str_field(v, where):
    """Rule: a text field is a JSON string."""
    if not isinstance(v, str):
        raise malformed(f"{where}: expected a string")
    return v


def lst(v, where, n=None):
    """Rule: a list field is a JSON list, of exactly n entries when n is given."""
    if not isinstance(v, list):
        raise malformed(f"{where}: expected a list")
    if n is not None and len(v) != n:
        raise malformed(f"{where}: expected {n} entries, found {len(v)}")
    return v


def same_json(a, b):
    """Equal *and* of the same JSON types (so true is not 1 and "2" is not 2)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b


# ---------------------------------------------------------------------------------------------
# Reading a file within --max-bytes

def read_bytes(path, budget):
    """At most --max-bytes bytes of a file or of stdin (-).  A regular file's size is checked
    before reading; anything else (a pipe, /dev/zero, ...) is read in chunks up to the limit."""
    limit = budget.limits.bytes
    if path == "-":
        return read_limited(sys.stdin.buffer, limit, 1 << 20)
    size = os.path.getsize(path) if os.path.isfile(path) else 0
    if size > limit:
        raise Verdict(4, f"{path}: larger than --max-bytes={limit}")
    with open(path, "rb") as f:
        return read_limited(f, limit, size + 1 if size else 1 << 20)


def read_limited(f, limit, step):
    """Read f in chunks of at most step bytes; more than limit bytes is RESOURCE."""
    chunks, size = [], 0
    while size <= limit:
        chunk = f.read(min(step, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise Verdict(4, f"input larger than --max-bytes={limit}")
    return b"".join(chunks)


