#!/usr/bin/env python3
"""Independent checker for exactmem certificates, formats 1.0 to 1.2 (docs/certificate-format.md).

Standard library only, never imports exactmem; run it as ``python3 -I -S check.py CERT``.
It trusts nothing it can recompute: it re-hashes the dataset, validates it, evaluates the
network exactly on every point (integers only), compares with the labels and the claimed
outputs, recomputes every size, evaluates every claim from its own numbers, and re-hashes the
certificate.  Its theorem table decides which claims state the theorem a construction id names
(section 22): VERIFIED names a theorem (``theorem=<id>``) only when they are all present and
hold, and ``theorem=none`` for an id it does not know.  Every costly operation is charged
before it runs against --max-work and --max-memory (the cost model, section 17).  Fields it
cannot recompute (construction labels and params, claim sources, recipe, info, generator) are
listed as UNCHECKED and never count towards the verdict.  With --witness W --against CERT it
checks a precision witness against the certificate it refutes.

Exit codes; the last stdout line is always ``s <VERDICT> ...``:
  0 VERIFIED     every check passed
  1 REJECTED     well-formed, but a claim is false or not the theorem's (the first failure is named)
  2 MALFORMED    not a well-formed certificate (bad JSON, duplicate key, float, NaN, bad field)
  3 UNSUPPORTED  format version this checker does not know
  4 RESOURCE     a resource limit was hit (integer too long, file too big, too many layers,
                 neurons or points, the work or memory budget, out of memory)
  5 USAGE        bad command line or unreadable file
"""

import argparse
import hashlib
import itertools
import json
import math
import os
import re
import sys
from fractions import Fraction
from operator import mul

CHECKER_VERSION = "1.2"
SUPPORTED_MAJOR, SUPPORTED_MINOR = 1, 2
ACTIVATIONS = ("relu", "hardtanh", "identity")
VERDICTS = {0: "VERIFIED", 1: "REJECTED", 2: "MALFORMED", 3: "UNSUPPORTED", 4: "RESOURCE", 5: "USAGE"}


class Verdict(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def malformed(msg):
    return Verdict(2, msg)


def rejected(msg):
    return Verdict(1, msg)


# ---------------------------------------------------------------------------------------------
# Strict JSON and number grammar

INT_RE = re.compile(r"-?(0|[1-9][0-9]*|0x[1-9a-f][0-9a-f]*)")
# Resource limits (docs/certificate-format.md, section 17): bits per integer read, bytes per file,
# layers, neurons per layer (the input dimension d included), data points, work units of the
# cost model below, and the memory the checker may estimate it needs for what it builds.
DEFAULT_LIMITS = {"int_bits": 1 << 22, "bytes": 1 << 31, "layers": 100_000, "width": 1_000_000,
                  "points": 10_000_000, "work": 3 * 10 ** 10, "memory": 1 << 30}
LIMITS = dict(DEFAULT_LIMITS)      # set from the command line by main() on every call


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


def lcm_charged(values, what):
    """lcm of positive integers, each step charged before it runs (the lcm may grow at every step)."""
    c = 1
    for q in values:
        if q == 1 or q == c:
            continue
        cb, qb = c.bit_length(), q.bit_length()
        BUDGET.charge(gcd_cost(cb, qb) + div_cost(cb, qb) + mul_cost(cb, qb), what)
        c = c // math.gcd(c, q) * q
    return c


class Budget:
    """Work units charged so far in this run, and the memory estimates checked so far."""

    def __init__(self, work, memory):
        self.work, self.memory, self.used = work, memory, 0

    def charge(self, units, what):
        """Rule: no operation starts when its cost would take the run past --max-work."""
        self.used += units
        if self.used > self.work:
            raise Verdict(4, f"work limit: {what} would bring the checker's work to more than "
                             f"--max-work={self.work} units (cost model: docs/checker.md)")

    def hold(self, nbytes, what):
        """Rule: nothing is built whose estimated size exceeds --max-memory."""
        if nbytes > self.memory:
            raise Verdict(4, f"memory limit: {what} needs about {nbytes} bytes, more than "
                             f"--max-memory={self.memory}")


BUDGET = Budget(DEFAULT_LIMITS["work"], DEFAULT_LIMITS["memory"])


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


def parse_json(data):
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

    json_size_fits(data)
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


def json_size_fits(data):
    """Rule: the JSON's values are counted from its bytes before any object is built.  Every value
    but the first follows a ',', ':', '[' or '{', so their count bounds the number of values (and
    keys); with the text itself that gives the memory parsing will take, held to --max-memory."""
    values = 1 + sum(data.count(ch) for ch in (b",", b":", b"[", b"{"))
    BUDGET.hold(3 * len(data) + JSON_VALUE_BYTES * values,
                f"parsing {len(data)} bytes of JSON with up to {values} values")


def canonical(obj):
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise malformed("a string contains an unpaired surrogate (not valid Unicode)")
    except RecursionError:         # parsed at a shallower stack depth than it is re-encoded at
        raise malformed("JSON nested too deeply")


def is_sha256(v):
    return isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) is not None


def to_int(s, where):
    """INT token -> int: decimal below 2**53, lowercase hex (0x...) from 2**53 on, canonical only."""
    if not isinstance(s, str):
        raise malformed(f"{where}: expected an INT string, got {type(s).__name__}")
    if len(s) > LIMITS["int_bits"] // 4 + 4:            # checked before any conversion
        raise Verdict(4, f"{where}: integer longer than --max-int-bits={LIMITS['int_bits']}")
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
    if v.bit_length() > LIMITS["int_bits"]:
        raise Verdict(4, f"{where}: integer of {v.bit_length()} bits exceeds --max-int-bits={LIMITS['int_bits']}")
    return -v if neg else v


def to_rat(s, where):
    """RAT token -> (num, den) with den > 0, gcd 1, and den > 1 written only when needed."""
    if not isinstance(s, str):
        raise malformed(f"{where}: expected a RAT string, got {type(s).__name__}")
    num, sep, den = s.partition("/")
    p = to_int(num, where)
    if not sep:
        return p, 1
    q = to_int(den, where)
    if q > 1:
        BUDGET.charge(gcd_cost(p.bit_length(), q.bit_length()), f"{where}: the gcd test of a RAT")
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
    return short(num) if den == 1 else f"{short(num)}/{short(den)}"


def need(obj, keys, where):
    if not isinstance(obj, dict):
        raise malformed(f"{where}: expected an object")
    if set(obj) != set(keys):
        missing, extra = sorted(set(keys) - set(obj)), sorted(set(obj) - set(keys))
        raise malformed(f"{where}: missing fields {missing}" if missing else f"{where}: unknown fields {extra}")
    return obj


def count(v, where, lo=0):
    if type(v) is not int or v < lo:
        raise malformed(f"{where}: expected an integer >= {lo}")
    return v


def str_field(v, where):
    if not isinstance(v, str):
        raise malformed(f"{where}: expected a string")
    return v


def lst(v, where, n=None):
    if not isinstance(v, list):
        raise malformed(f"{where}: expected a list")
    if n is not None and len(v) != n:
        raise malformed(f"{where}: expected {n} entries, found {len(v)}")
    return v


# ---------------------------------------------------------------------------------------------
# Certificate parts

TOP = ("format", "version", "$schema", "generator", "construction", "recipe", "dataset",
       "network", "outputs", "sizes", "claims", "info", "certificate_sha256")
SIZES = ("depth", "width", "widths", "hidden_neurons", "params_dense", "params_nonzero",
         "bit_complexity", "max_numerator_bits", "layer_bits")


def check_header(cert):
    if not isinstance(cert, dict):
        raise malformed("top level: expected an object")
    if cert.get("format") != "exactmem-certificate":
        raise malformed(f"format: expected 'exactmem-certificate', got {str(cert.get('format'))[:40]!r}")
    version = cert.get("version")
    m = re.fullmatch(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)", version) if isinstance(version, str) else None
    if not m:
        raise malformed(f"version: expected 'MAJOR.MINOR', got {str(version)[:20]!r}")
    major, minor = int(m.group(1)), int(m.group(2))
    if major != SUPPORTED_MAJOR or minor > SUPPORTED_MINOR:
        raise Verdict(3, f"certificate version {version}; this checker reads 1.0 to "
                         f"{SUPPORTED_MAJOR}.{SUPPORTED_MINOR}")
    need(cert, TOP + (("segment",) if minor >= 1 and "segment" in cert else ()), "top level")   # 1.1: optional
    if cert["$schema"] != f"https://exactmem.invalid/schema/certificate-{major}.json":
        raise malformed(f"$schema: unexpected id {str(cert['$schema'])[:60]!r}")
    need(cert["generator"], ("name", "version"), "generator")
    for k in ("name", "version"):
        str_field(cert["generator"][k], f"generator.{k}")
    need(cert["construction"], ("id", "paper", "theorem", "params"), "construction")
    for k in ("id", "paper", "theorem"):
        str_field(cert["construction"][k], f"construction.{k}")
    if not isinstance(cert["construction"]["params"], dict):
        raise malformed("construction.params must be an object")
    if not isinstance(cert["recipe"], dict) or not isinstance(cert["info"], dict):
        raise malformed("recipe and info must be objects")
    if not is_sha256(cert["certificate_sha256"]):
        raise malformed("certificate_sha256: expected 64 lowercase hex digits")


def names_in_claims(cert, name):
    """True if some claim statement mentions this variable name (a cheap look before parsing)."""
    claims = cert["claims"] if isinstance(cert["claims"], list) else []
    return any(isinstance(c, dict) and isinstance(c.get("statement"), str) and name in c["statement"]
               for c in claims)


def check_limits(cert):
    """Section 17: refuse a certificate too big to check, from counts and list lengths alone,
    before any number is converted (a field of the wrong type is left to the later checks).
    The work tests here are lower bounds of the cost model (docs/checker.md): a certificate
    that fails one could never finish within --max-work, so nothing is parsed."""
    ds, net = cert["dataset"], cert["network"]
    n, d = (ds.get("n"), ds.get("d")) if isinstance(ds, dict) else (None, None)
    n, d = (max(n, 0) if type(n) is int else 0), (max(d, 0) if type(d) is int else 0)
    if n > LIMITS["points"]:
        raise Verdict(4, f"dataset.n: {n} points, more than --max-points={LIMITS['points']}")
    if d > LIMITS["width"]:
        raise Verdict(4, f"dataset.d: input dimension {d}, more than --max-width={LIMITS['width']}")
    if names_in_claims(cert, "general_position"):
        normals = comb_at_most(n, d, LIMITS["work"]) if n > d >= 2 else 0
        if normals * d * GP_NORMAL > LIMITS["work"]:
            raise Verdict(4, f"work of general_position: C(N, d) normals of d coordinates each, at least "
                             f"{GP_NORMAL} units apiece, exceed --max-work={LIMITS['work']} (N = {n}, d = {d})")
    layers = net.get("layers") if isinstance(net, dict) else None
    if not isinstance(layers, list):
        return
    if len(layers) > LIMITS["layers"]:
        raise Verdict(4, f"network.layers: {len(layers)} layers, more than --max-layers={LIMITS['layers']}")

    def width(layer, where):
        dens = layer.get("dens") if isinstance(layer, dict) else None
        m = len(dens) if isinstance(dens, list) else 0
        if m > LIMITS["width"]:
            raise Verdict(4, f"{where}: {m} neurons, more than --max-width={LIMITS['width']}")
        return m

    neurons = 0
    for k, layer in enumerate(layers, 1):
        block = layer.get("residual") if isinstance(layer, dict) else None
        if isinstance(block, dict):         # residual block: inner n_in -> m, outer m -> n_in
            neurons += width(block.get("inner"), f"layer {k} inner") + width(block.get("outer"), f"layer {k} outer")
        else:
            neurons += width(layer, f"layer {k}")
    if n * neurons * NEURON > LIMITS["work"]:
        raise Verdict(4, f"work of the forward pass: N * neurons = {n} * {neurons} evaluations of at least "
                         f"{NEURON} units each, more than --max-work={LIMITS['work']}")


def load_dataset(cert, cert_dir, allow_symlink=False):
    ds = cert["dataset"]
    where = "file" if isinstance(ds, dict) and "file" in ds else "inline"
    need(ds, ("sha256", "n", "d", "dy", where), "dataset")
    if not is_sha256(ds["sha256"]):
        raise malformed("dataset.sha256: expected 64 lowercase hex digits")
    n, d, dy = count(ds["n"], "dataset.n", 1), count(ds["d"], "dataset.d", 1), count(ds["dy"], "dataset.dy", 1)
    if "file" in ds:
        name = str_field(ds["file"], "dataset.file")
        if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}", name):
            raise malformed("dataset.file: must be a plain file name beside the certificate ([A-Za-z0-9._-])")
        path = os.path.join(cert_dir, name)
        try:
            # Only a regular file beside the certificate: a symbolic link (which may point
            # anywhere), a FIFO or a device is refused unless --allow-dataset-symlink is given.
            if os.path.islink(path) and not allow_symlink:
                raise Verdict(5, f"dataset file {name} is a symbolic link; not followed without "
                                 f"--allow-dataset-symlink")
            if os.path.exists(path) and not os.path.isfile(path):
                raise Verdict(5, f"dataset file {name} is not a regular file")
            raw = read_bytes(path)
        except OSError as e:
            raise Verdict(5, f"cannot read dataset file {name}: {e.strerror}")
        digest = hashlib.sha256(raw).hexdigest()
        body = parse_json(raw)
        if raw != canonical(body):
            raise malformed(f"dataset file {name}: not in canonical form (sorted keys, no whitespace, no newline)")
    else:
        body = ds["inline"]
        digest = hashlib.sha256(canonical(body)).hexdigest()
    if digest != ds["sha256"]:
        raise rejected(f"dataset sha256 mismatch: computed {digest}, certificate says {str(ds['sha256'])[:64]}")
    need(body, ("task", "classes", "points", "labels"), "dataset body")
    task = body["task"]
    points = lst(body["points"], "dataset.points", n)
    labels = lst(body["labels"], "dataset.labels", n)
    xs = []
    for i, p in enumerate(points):
        row = [to_rat(v, f"dataset point {i}") for v in lst(p, f"dataset point {i}", d)]
        xs.append(row)
    ys = []
    if task == "classification":
        classes = count(body["classes"], "dataset.classes", 1)
        if dy != 1:
            raise malformed("dataset.dy: classification data has dy = 1")
        for i, c in enumerate(labels):
            if type(c) is not int:
                raise malformed(f"dataset point {i}: class label must be a JSON integer")
            if not 1 <= c <= classes:
                raise rejected(f"dataset point {i}: class label {c!r} outside 1..{classes}")
            ys.append([(c, 1)])
    elif task == "regression":
        if body["classes"] is not None:
            raise malformed("dataset.classes: must be null for regression")
        for i, y in enumerate(labels):
            ys.append([to_rat(v, f"dataset label {i}") for v in lst(y, f"dataset label {i}", dy)])
    else:
        raise malformed(f"dataset.task: unknown task {str(task)[:30]!r}")
    return {"task": task, "classes": body["classes"] or 0, "x": xs, "y": ys, "n": n, "d": d, "dy": dy,
            "sha256": digest}


class Map:
    """One parsed affine map: activation, integer weight rows, integer biases and one positive
    denominator per neuron (neuron j computes (rows[j] . x + bias[j]) / dens[j]).  It also keeps
    the facts the cost model needs: the largest bit lengths, the number of nonzero weights, and,
    for rows that are mostly zero, the positions of their nonzero weights."""

    __slots__ = ("act", "rows", "bias", "dens", "n_in", "wbits", "bbits", "dbits", "nnz", "sparse", "integral")

    def __init__(self, act, rows, bias, dens, n_in):
        self.act, self.rows, self.bias, self.dens, self.n_in = act, rows, bias, dens, n_in
        self.wbits = max((abs(v).bit_length() for r in rows for v in r), default=0)
        self.bbits = max(abs(v).bit_length() for v in bias)
        self.dbits = max(v.bit_length() for v in dens)
        self.nnz = sum(1 for r in rows for v in r if v)
        self.integral = all(q == 1 for q in dens)
        self.sparse = []
        for r in rows:                      # (positions, weights) of a row that is mostly zero
            idx = [i for i, v in enumerate(r) if v]
            self.sparse.append((idx, [r[i] for i in idx]) if 2 * len(idx) < len(r) else None)

    def __iter__(self):                     # act, rows, bias, dens = m
        return iter((self.act, self.rows, self.bias, self.dens))

    def __getitem__(self, i):               # m[0] is the activation, m[3] the denominators
        return (self.act, self.rows, self.bias, self.dens)[i]

    def same(self, other):
        return tuple(self) == tuple(other)


def dot(m, j, a):
    """rows[j] . a, over the nonzero weights only when the row is mostly zero."""
    sp = m.sparse[j]
    if sp is None:
        return sum(map(mul, m.rows[j], a))
    return sum(map(mul, sp[1], map(a.__getitem__, sp[0])))


def parse_layer(layer, where, n_in):
    """One affine map (a Map).  Rule: every neuron is canonical, gcd(den, bias, weights) = 1."""
    need(layer, ("activation", "dens", "weights", "bias"), where)
    act = layer["activation"]
    if act not in ACTIVATIONS:
        raise malformed(f"{where}: unknown activation {str(act)[:20]!r}")
    dens = [to_int(v, f"{where} den {j}") for j, v in enumerate(lst(layer["dens"], f"{where}.dens"))]
    n_out = len(dens)
    if n_out == 0:
        raise malformed(f"{where}: a layer needs at least one neuron")
    bias = [to_int(v, f"{where} bias {j}") for j, v in enumerate(lst(layer["bias"], f"{where}.bias", n_out))]
    rows = []
    for j, row in enumerate(lst(layer["weights"], f"{where}.weights", n_out)):
        r = [to_int(v, f"{where} neuron {j} weight {i}") for i, v in enumerate(lst(row, f"{where} neuron {j}", n_in))]
        if dens[j] <= 0:
            raise malformed(f"{where} neuron {j}: denominator must be positive")
        g = dens[j]                         # gcd(den, bias, *weights), step by step until it is 1
        for v in [bias[j]] + r:
            if g == 1:
                break
            BUDGET.charge(gcd_cost(g.bit_length(), abs(v).bit_length()), f"{where} neuron {j}: the canonical-form gcd")
            g = math.gcd(g, v)
        if g != 1:
            raise malformed(f"{where} neuron {j}: numerators and denominator share a factor (not canonical)")
        rows.append(r)
    return Map(act, rows, bias, dens, n_in)


def load_network(cert, d, dy):
    """Entries: [layer] for a plain layer, [inner, outer] for a residual block h + outer(inner(h))."""
    net = need(cert["network"], ("input_dim", "layers"), "network")
    if count(net["input_dim"], "network.input_dim", 1) != d:
        raise rejected(f"network.input_dim {net['input_dim']} differs from the data dimension {d}")
    entries = []
    n_in = d
    for k, layer in enumerate(lst(net["layers"], "network.layers"), 1):
        if isinstance(layer, dict) and "residual" in layer:
            need(layer, ("residual",), f"layer {k}")
            block = need(layer["residual"], ("inner", "outer"), f"layer {k} (residual)")
            inner = parse_layer(block["inner"], f"layer {k} inner", n_in)
            outer = parse_layer(block["outer"], f"layer {k} outer", len(inner[3]))
            if inner[0] == "identity" or outer[0] != "identity" or len(outer[3]) != n_in:
                raise malformed(f"layer {k} (residual): inner needs an activation, outer must be identity "
                                f"back to dimension {n_in}")
            entries.append([inner, outer])
        else:
            entries.append([parse_layer(layer, f"layer {k}", n_in)])
            n_in = len(entries[-1][0][3])
    if not entries:
        raise malformed("network.layers: at least one layer is needed")
    if len(entries[-1]) != 1 or entries[-1][0][0] != "identity":
        raise rejected("output layer: must be a plain layer with activation identity")
    if n_in != dy:
        raise rejected(f"network has {n_in} outputs, the labels have dy = {dy}")
    return entries


def same_json(a, b):
    """Equal *and* of the same JSON types (so true is not 1 and "2" is not 2)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b


def recompute_sizes(entries, d):
    """Sizes over the affine maps on the input-output path (a residual block has two)."""
    widths = [len(entry[0][3]) for entry in entries[:-1]]        # a block counts its hidden width
    layer_bits, numbits, nonzero, dense, n_in = [], 0, 0, 0, d
    for entry in entries:
        stream = n_in
        for act, rows, bias, dens in entry:
            dense += (n_in + 1) * len(dens)
            best = 0
            for r, b, den in zip(rows, bias, dens):
                if den == 1:                # nothing to reduce: bitlen(v) + bitlen(1)
                    for v in r + [b]:
                        nonzero += v != 0
                        best = max(best, abs(v).bit_length() + 1)
                        numbits = max(numbits, abs(v).bit_length())
                    continue
                db = den.bit_length()
                BUDGET.charge(sum(gcd_cost(db, abs(v).bit_length()) + 2 * div_cost(abs(v).bit_length(), db)
                                  for v in r + [b]), "sizes: reducing each weight")
                for v in r + [b]:
                    nonzero += v != 0
                    g = math.gcd(v, den)
                    best = max(best, abs(v // g).bit_length() + (den // g).bit_length())
                    numbits = max(numbits, abs(v // g).bit_length())
            layer_bits.append(best)
            n_in = len(dens)
        n_in = n_in if len(entry) == 1 else stream
    return {
        "depth": len(layer_bits),
        "width": max(widths, default=0),
        "widths": widths,
        "hidden_neurons": sum(widths),
        "params_dense": dense,
        "params_nonzero": nonzero,
        "bit_complexity": max(layer_bits),
        "max_numerator_bits": numbits,
        "layer_bits": layer_bits,
    }


def apply_layer(m, a, c):
    """One affine map and its activation on a point's values a / c; returns (a', c').
    Cost model: the products are charged from the bit lengths of a, c and the weights before
    they are formed, the reduction and the new common denominator likewise, step by step."""
    act, rows, bias, dens = m
    abits = max(c.bit_length(), max(map(abs, a)).bit_length() if a else 0)
    n_out = len(dens)
    if abits <= 64 and m.wbits <= 64 and m.bbits <= 64:      # small operands: one word each
        BUDGET.charge(m.nnz * (MADD + 4) + n_out * (OP + 4) + (n_out + 1) * NEURON, "forward pass: a layer's products")
    else:
        BUDGET.charge(m.nnz * madd_cost(m.wbits, abits) + n_out * mul_cost(m.bbits, abits) + (n_out + 1) * NEURON,
                      "forward pass: a layer's products")
    zbits = max(m.wbits, m.bbits) + abits + (m.n_in + 1).bit_length()      # |z| < 2^zbits
    if zbits > 4096:
        BUDGET.hold(n_out * int_bytes(zbits + m.dbits), "forward pass: one layer's values")
    if m.integral:
        # Every neuron's denominator is c itself: the values stay over c, unreduced (the same
        # rationals; the outputs are reduced at the end), and no gcd or lcm is needed.
        out = []
        for j in range(n_out):
            z = dot(m, j, a) + bias[j] * c
            if act == "relu" and z < 0:
                z = 0
            elif act == "hardtanh":
                z = max(-c, min(c, z))
            out.append(z)
        return out, c
    BUDGET.charge(n_out * mul_cost(m.dbits, c.bit_length()), "forward pass: a layer's denominators")
    nums, ds = [], []
    for j in range(n_out):
        z = dot(m, j, a) + bias[j] * c
        D = dens[j] * c
        if act == "relu" and z < 0:
            z = 0
        elif act == "hardtanh":
            z = max(-D, min(D, z))
        zb, Db = abs(z).bit_length(), D.bit_length()
        BUDGET.charge(gcd_cost(zb, Db) + div_any_cost(zb, Db) + div_any_cost(Db, Db),
                      "forward pass: reducing a value")
        g = math.gcd(z, D)
        nums.append(z // g)
        ds.append(D // g)
    c = lcm_charged(ds, "forward pass: a layer's common denominator")
    cb = c.bit_length()
    BUDGET.hold(n_out * int_bytes(zbits + cb), "forward pass: one layer's values over their common denominator")
    BUDGET.charge(sum(div_cost(cb, q.bit_length()) + mul_cost(abs(v).bit_length(), cb - q.bit_length() + 1)
                      for v, q in zip(nums, ds) if q != c), "forward pass: rescaling a layer's values")
    return [v if q == c else v * (c // q) for v, q in zip(nums, ds)], c


def over_common_denominator(rows, what):
    """Rows of (num, den) pairs as integers over one common denominator c, the lcm of the distinct
    denominators (in increasing order): (rows of integers, c).  Each quotient c // q is formed
    once per distinct q; the products once per value."""
    dens = sorted({q for row in rows for _, q in row})
    c = lcm_charged(dens, what)
    cb = c.bit_length()
    BUDGET.hold(sum(int_bytes(abs(p).bit_length() + cb) for row in rows for p, _ in row), what)
    BUDGET.charge(sum(div_cost(cb, q.bit_length()) for q in dens if q != c), what)
    factor = {q: c // q for q in dens if q != c}
    BUDGET.charge(sum(mul_cost(abs(p).bit_length(), cb) for row in rows for p, q in row if q != c), what)
    return [[p * factor[q] if q != c else p for p, q in row] for row in rows], c


def min_sq_distance(xs):
    """Exact min over i != j of |x_i - x_j|^2 as a reduced (num, den); (0, 1) when N < 2.
    Points are scaled to integers and swept in lexicographic order: a pair whose first-coordinate
    gap alone reaches the best value so far ends the inner loop.  Cost model: each pair is
    charged d products of the scaled coordinates' size before it is compared."""
    if len(xs) < 2:
        return 0, 1
    pts, den = over_common_denominator(xs, "min_sq_dist: scaling the points to integers")
    bits = max(abs(v).bit_length() for x in pts for v in x) + 1
    BUDGET.charge(len(pts) * (len(pts).bit_length() + 1) * len(pts[0]) * div_cost(bits, bits),
                  "min_sq_dist: sorting the points")
    pts.sort()
    pair = len(pts[0]) * (2 * mul_cost(bits, bits) + OP) + NEURON // 2     # the loop's own work too
    best = None
    for i, a in enumerate(pts):
        for j in range(i + 1, len(pts)):
            b = pts[j]
            BUDGET.charge(pair, "min_sq_dist: comparing a pair of points")
            gap = b[0] - a[0]
            if best is not None and gap * gap >= best:
                break
            s = sum((u - v) * (u - v) for u, v in zip(a, b))
            if best is None or s < best:
                best = s
    BUDGET.charge(gcd_cost(best.bit_length(), 2 * den.bit_length()) + 3 * mul_cost(den.bit_length(), den.bit_length()),
                  "min_sq_dist: reducing the result")
    g = math.gcd(best, den * den)
    return best // g, den * den // g


def minor_version(cert):
    return int(cert["version"].split(".")[1])


def det(m):
    """Determinant of a square integer matrix (Bareiss: every division is exact).  Cost model:
    Bareiss keeps every entry below the size of a minor, k * (entry bits + log2 k) bits at step k,
    so the whole elimination is charged from that bound before it starts."""
    n = len(m)
    if n:
        bits = max(abs(v).bit_length() for r in m for v in r) + n.bit_length()
        big = n * bits                      # Hadamard: every minor has fewer bits than this
        BUDGET.charge(n * n * n * (2 * mul_cost(big, big) + div_cost(2 * big, big)), "a Bareiss determinant")
    m, sign, prev = [list(r) for r in m], 1, 1
    for k in range(len(m) - 1):
        if m[k][k] == 0:
            p = next((i for i in range(k + 1, len(m)) if m[i][k]), None)
            if p is None:
                return 0
            m[k], m[p], sign = m[p], m[k], -sign
        for i in range(k + 1, len(m)):
            for j in range(k + 1, len(m)):
                m[i][j] = (m[i][j] * m[k][k] - m[i][k] * m[k][j]) // prev
        prev = m[k][k]
    return sign * m[-1][-1] if m else 1


def general_position(xs):
    """True iff every set of at most d+1 points is affinely independent (all N points when
    N <= d).  Points scaled to integers; for every (d-1)-subset S with base p = x_S1 and every
    j > max S, the normal n of {x_s - p} u {x_j - p} (d minors): n = 0 means S u {j} is dependent,
    the same hyperplane (n / gcd, n.p) twice means S u {j', j} is (docs/checker.md).  Any
    dependent set of d+1 points is caught at its d-1 smallest indices."""
    pts = over_common_denominator(xs, "general_position: scaling the points to integers")[0] if xs else []
    n, d = len(pts), len(pts[0]) if pts else 0
    if len({tuple(x) for x in pts}) < n:
        return False
    if d == 1 or n <= 1:
        return True
    if n <= d:                              # rank of {x_i - x_1} must be N - 1: Gram determinant != 0
        diffs = [[a - b for a, b in zip(x, pts[0])] for x in pts[1:]]
        bits = 2 * max(abs(v).bit_length() for r in diffs for v in r) + d.bit_length() + 1
        BUDGET.charge(len(diffs) ** 2 * d * mul_cost(bits, bits), "general_position: the Gram matrix")
        return det([[sum(a * b for a, b in zip(u, v)) for v in diffs] for u in diffs]) != 0
    for s in itertools.combinations(range(n), d - 1):
        p = pts[s[0]]
        base = [[a - b for a, b in zip(pts[i], p)] for i in s[1:]]
        seen = set()
        for j in range(s[-1] + 1, n):
            BUDGET.charge(GP_NORMAL * d, "general_position: forming a normal")
            rows = base + [[a - b for a, b in zip(pts[j], p)]]
            normal = [(-1) ** k * det([r[:k] + r[k + 1:] for r in rows]) for k in range(d)]
            nb = max(abs(v).bit_length() for v in normal)
            BUDGET.charge(d * (gcd_cost(nb, nb) + div_cost(nb, nb) + mul_cost(nb, nb)), "general_position: a normal")
            g = math.gcd(*normal)
            if g == 0:
                return False
            normal = [v // g for v in normal]
            if next(v for v in normal if v) < 0:
                normal = [-v for v in normal]
            key = (tuple(normal), sum(a * b for a, b in zip(normal, p)))
            if key in seen:
                return False
            seen.add(key)
    return True


class LazyEnv(dict):
    """Claim variables; a value given as a function is computed on first use (costly ones)."""

    def __getitem__(self, key):
        v = dict.__getitem__(self, key)
        if callable(v):
            v = v()
            dict.__setitem__(self, key, v)
        return v


def scale_point(x, what):
    """A point of (num, den) pairs as integers over one common denominator: (a, c)."""
    (a,), c = over_common_denominator([x], what)
    return a, c


def forward(entries, x):
    """Exact forward pass of one point; x is a list of (num, den).  Returns [(num, den)].

    The point's values are integers over one positive denominator c; neuron j's pre-activation
    is (W_j . a + b_j c) / (den_j c), activated on the numerator, reduced, and the layer's new
    common denominator is the lcm of the reduced ones.  A residual block adds its output to
    its input (over the lcm of the two denominators)."""
    BUDGET.charge(NEURON * (len(x) + 1), "forward pass: a point")
    a, c = scale_point(x, "forward pass: the input's common denominator")
    for entry in entries:
        if len(entry) == 1:
            a, c = apply_layer(entry[0], a, c)
        else:
            a1, c1 = apply_layer(entry[1], *apply_layer(entry[0], a, c))
            (a, a1), c = over_common_denominator([[(u, c) for u in a], [(v, c1) for v in a1]],
                                                 "forward pass: a residual sum")
            a = [u + v for u, v in zip(a, a1)]     # additions: linear in the values just charged
    out = []
    cb = c.bit_length()
    for v in a:
        BUDGET.charge(gcd_cost(abs(v).bit_length(), cb) + 2 * div_cost(max(abs(v).bit_length(), cb), cb),
                      "forward pass: reducing an output")
        g = math.gcd(v, c)
        out.append((v // g, c // g))
    return out


def load_segment(cert, d):
    """1.1: the optional segment {from, to}, two different points of Q^d (section 20); None if absent."""
    if "segment" not in cert:
        return None
    seg = need(cert["segment"], ("from", "to"), "segment")
    u = [to_rat(x, "segment.from") for x in lst(seg["from"], "segment.from", d)]
    v = [to_rat(x, "segment.to") for x in lst(seg["to"], "segment.to", d)]
    if u == v:
        raise malformed("segment: from and to are the same point")
    return u, v


BREAKS = {"relu": (0,), "hardtanh": (-1, 1), "identity": ()}


def pieces_on_segment(entries, u, v):
    """Number of maximal affine pieces of the scalar output on x(t) = u + t (v - u), 0 <= t <= 1
    (section 20), with fractions.Fraction and forward() above.  T = {0, 1} is refined map by map:
    every earlier activation is affine between consecutive points of T, so each pre-activation z
    of the next activated map is too, and it crosses a breakpoint b of its activation strictly
    between T_m and T_m+1 iff (z(T_m) - b)(z(T_m+1) - b) < 0, once, at the interpolated t.  After
    the last hidden map the output is affine between consecutive points of T: the pieces are
    1 + the number of interior points of T where the slope changes."""
    u, v = [Fraction(p, q) for p, q in u], [Fraction(p, q) for p, q in v]

    def point(t):
        return [(x.numerator, x.denominator) for x in (a + t * (b - a) for a, b in zip(u, v))]

    def fbits(*xs):                         # bits of the largest numerator or denominator
        return max(max(abs(x.numerator).bit_length(), x.denominator.bit_length()) for x in xs)

    ts = [Fraction(0), Fraction(1)]
    for k in range(len(entries) - 1):      # the hidden maps: plain layers and residual inners
        m_k = entries[k][0]
        act, rows, bias, dens = m_k
        zs = []
        for t in ts:
            BUDGET.charge(len(u) * 8 * mul_cost(fbits(t, *u, *v), fbits(t, *u, *v)), "pieces_on_segment: a point of T")
            h = [Fraction(p, q) for p, q in forward(entries[:k], point(t))]
            hb = fbits(*h) + m_k.wbits + m_k.bbits + m_k.dbits
            BUDGET.charge(len(rows) * (m_k.n_in + 2) * FRACTION * (mul_cost(hb, hb) + gcd_cost(hb, hb)),
                          "pieces_on_segment: pre-activations at a point of T")
            zs.append([(Fraction(b) + sum(w * x for w, x in zip(r, h))) / den for r, b, den in zip(rows, bias, dens)])
        new = set()
        for m in range(len(ts) - 1):
            zb_ = 2 * fbits(ts[m], ts[m + 1], *zs[m], *zs[m + 1]) + 2
            BUDGET.charge(len(rows) * len(BREAKS[act]) * 2 * FRACTION * (mul_cost(zb_, zb_) + gcd_cost(zb_, zb_)),
                          "pieces_on_segment: breakpoints between two points of T")
            for za, zb in zip(zs[m], zs[m + 1]):
                for b in BREAKS[act]:
                    if (za - b) * (zb - b) < 0:
                        new.add(ts[m] + (b - za) * (ts[m + 1] - ts[m]) / (zb - za))
        BUDGET.hold((len(ts) + len(new)) * 2 * int_bytes(fbits(*ts, *new) if new else 1), "pieces_on_segment: the points T")
        ts = sorted(set(ts) | new)
    ys = []
    for t in ts:
        BUDGET.charge(len(u) * 8 * mul_cost(fbits(t, *u, *v), fbits(t, *u, *v)), "pieces_on_segment: a point of T")
        ys.append(Fraction(*forward(entries, point(t))[0]))
    sb = 2 * fbits(*ts, *ys) + 2
    BUDGET.charge(len(ts) * FRACTION * (mul_cost(sb, sb) + gcd_cost(sb, sb)), "pieces_on_segment: the slopes")
    slopes = [(ys[m + 1] - ys[m]) / (ts[m + 1] - ts[m]) for m in range(len(ts) - 1)]
    return 1 + sum(s0 != s1 for s0, s1 in zip(slopes, slopes[1:]))


# ---------------------------------------------------------------------------------------------
# Format 1.2 variables: the precision of a rounded network, and the counting lemma's hypothesis

def maps_of(entries):
    """Every affine map in order: a plain layer is one map, a residual block its inner then outer."""
    return [m for entry in entries for m in entry]


def decoder_margin_bits(entries, ds):
    """Section 21: t >= 1 when the last two entries are exactly the class decoder with margin
    2^-t for this dataset's C classes (hidden relu map of 2(C+1) neurons on one input: weights
    s = 2^(t-1), biases -(2j+1)s/2 + 1/2 and -(2j+1)s/2 - 1/2; output map [1, -1] * (C+1), bias
    0); else 0.  Its output is the class c exactly iff c - 1/2 + 2^-t <= F <= c + 1/2 - 2^-t."""
    C = ds["classes"]
    if ds["task"] != "classification" or len(entries) < 3 or len(entries[-1]) != 1 or len(entries[-2]) != 1:
        return 0
    hid, out = entries[-2][0], entries[-1][0]
    if hid.act != "relu" or hid.n_in != 1 or len(hid.dens) != 2 * (C + 1):
        return 0
    if out.act != "identity" or len(out.dens) != 1 or out.dens[0] != 1 or out.bias[0] != 0 \
            or out.rows[0] != [1, -1] * (C + 1):
        return 0
    w, q = hid.rows[0][0], hid.dens[0]
    BUDGET.charge(len(hid.dens) * 4 * mul_cost(hid.wbits + hid.bbits, hid.dbits + 2), "decoder_margin_bits")
    if w % q:
        return 0
    s = w // q                              # s = 2^(t-1), a positive integer power of two
    if s < 1 or s & (s - 1):
        return 0
    for j in range(C + 1):
        for k, half in ((2 * j, 1), (2 * j + 1, -1)):
            # weight s and bias (-(2j+1) s + half) / 2, compared over the neuron's own denominator
            den = hid.dens[k]
            if hid.rows[k] != [s * den] or 2 * hid.bias[k] != (-(2 * j + 1) * s + half) * den:
                return 0
    return s.bit_length()                   # s = 2^(t-1): t = bitlen(s)


def precision_variables(entries, ds):
    """Section 21: dyadic_weights, grid_bits and sig_bits over the rounded maps (all maps but
    the class decoder's two), each weight and bias p/q taken in lowest terms."""
    t = decoder_margin_bits(entries, ds)
    maps = maps_of(entries)[:-2] if t else maps_of(entries)
    dyadic, grid, sig, seen = 1, 0, 0, False
    for m in maps:
        for r, b, den in zip(m.rows, m.bias, m.dens):
            db = den.bit_length()
            if den > 1:
                BUDGET.charge(sum(gcd_cost(abs(v).bit_length(), db) + div_cost(abs(v).bit_length(), db)
                                  for v in r + [b]), "precision variables: reducing each weight")
            for v in r + [b]:
                if not v:
                    continue
                g = math.gcd(v, den)
                p, q = abs(v) // g, den // g
                if q & (q - 1):
                    dyadic = 0
                v2 = (p & -p).bit_length() - 1          # trailing zero bits of p
                k = q.bit_length() - 1 - v2
                grid, seen = (k if not seen else max(grid, k)), True
                sig = max(sig, (p >> v2).bit_length())
    return {"decoder_margin_bits": t, "dyadic_weights": dyadic, "grid_bits": grid, "sig_bits": sig}


def alternating_on_segment(ds, segment):
    """Section 21: 1 iff dy = 1, every point is u + t_i (v - u) with 0 <= t_i <= 1, the t_i are
    pairwise distinct, and along increasing t the labels' consecutive differences strictly
    alternate in sign: (y_(k+1) - y_k)(y_(k+2) - y_(k+1)) < 0.  This is the hypothesis of the
    counting lemma, under which pieces_on_segment >= N - 1 is a consequence (YSJ19 Thm 3.3)."""
    if segment is None:
        raise malformed("a claim names alternating_on_segment, but the certificate has no segment")
    if ds["dy"] != 1:
        return 0
    u, v = [Fraction(p, q) for p, q in segment[0]], [Fraction(p, q) for p, q in segment[1]]
    w = [b - a for a, b in zip(u, v)]
    k = next(i for i, x in enumerate(w) if x)           # from != to, so some coordinate moves
    bits = max(max(abs(x.numerator).bit_length(), x.denominator.bit_length()) for x in u + v)
    ts = []
    for x, y in zip(ds["x"], ds["y"]):
        xb = bits + max(max(abs(p).bit_length(), q.bit_length()) for p, q in x)
        BUDGET.charge(len(x) * 6 * (mul_cost(2 * xb, 2 * xb) + gcd_cost(2 * xb, 2 * xb)),
                      "alternating_on_segment: placing a point on the segment")
        xs = [Fraction(p, q) for p, q in x]
        t = (xs[k] - u[k]) / w[k]
        if not 0 <= t <= 1 or any(xi != ui + t * wi for xi, ui, wi in zip(xs, u, w)):
            return 0
        ts.append((t, Fraction(*y[0])))
    ts.sort()
    if any(a[0] == b[0] for a, b in zip(ts, ts[1:])):
        return 0
    diffs = [b[1] - a[1] for a, b in zip(ts, ts[1:])]
    return int(all(d0 * d1 < 0 for d0, d1 in zip(diffs, diffs[1:])))


# ---------------------------------------------------------------------------------------------
# The theorem table (docs/certificate-format.md, section 22)
#
# VERIFIED names a theorem only through this table.  For each construction id it lists the
# variants of the theorem; the first variant whose condition holds on facts the checker computed
# itself (hidden activation, task, depth, which claim ids are present) applies.  A variant lists
# its claims by id with statement templates: "{x}" (lower case) stands for a decimal integer
# literal, the same name for the same literal; "{LAST}" is the index of the last hidden layer.
# Rules: every REQUIRED claim is present with a statement of one of its templates; every other
# claim is one of the variant's OPTIONAL claims (layout facts and declared constants of our
# construction) with a statement of one of its templates.  Anything else is REJECTED.  Truth is
# checked as for every claim (section 13); the table decides which statements state the theorem.

DISTINCT = {"assumption-distinct": ("distinct_points == 1",)}
UNIT_LABELS = {"assumption-labels": ("labels_in_unit_box == 1",)}
COUNTING = {"counting": ("(bit_complexity + 1) * params_dense >= N * log2_classes_floor",)}
GP = {"general-position": ("general_position == 1",)}
ZHANG = {**DISTINCT, "depth": ("depth == 2",), "relu": ("relu_hidden == 1",), "hidden-nodes": ("d1 <= N",),
         "params": ("params_nonzero <= (d + 1) * N + N * dy",)}
LEMMA = {"counting-lemma": ("pieces_on_segment >= N - 1",), "lemma-hypothesis": ("alternating_on_segment == 1",)}


def prop34_capacity(halved):
    """Prop 3.4's capacity: a sum of block terms 4 * ((X_l - r) // 2) * ((X_(l+1) - r) // (2 * dy))
    over blocks of consecutive hidden layers l, l + 1, disjoint and in increasing order, with X_l
    = d_l (hard-tanh) or (d_l // 2) (ReLU, widths halved); r >= 0 registers carried."""
    x = r"\(d([1-9][0-9]*) // 2\)" if halved else r"d([1-9][0-9]*)"
    term = re.compile(rf"4 \* \(\({x} - (0|[1-9][0-9]*)\) // 2\) \* \(\({x} - (0|[1-9][0-9]*)\) // \(2 \* dy\)\)")

    def match(statement, facts):
        if not statement.endswith(" >= N"):
            return False
        last = -1
        for part in statement[:-5].split(" + "):
            m = term.fullmatch(part)
            if not m or int(m.group(3)) != int(m.group(1)) + 1 or m.group(2) != m.group(4):
                return False
            if int(m.group(1)) <= last or int(m.group(3)) > facts["hidden_layers"]:
                return False
            last = int(m.group(3))
        return True
    match.__doc__ = prop34_capacity.__doc__
    return match


def variant(name, when, required, optional=None):
    return {"name": name, "when": when, "required": required, "optional": optional or {}}


def relu(f):
    return f["relu_hidden"] == 1


def hardtanh(f):
    return f["hardtanh_hidden"] == 1


def ysj31(act):
    k, var = (4, "relu_hidden") if act == "relu" else (2, "hardtanh_hidden")
    return {**DISTINCT, **UNIT_LABELS, "depth": ("depth == 3",), "activation": (f"{var} == 1",),
            "capacity": (f"4 * (d1 // {k}) * (d2 // ({k} * dy)) >= N",)}


def ysj32(act, onehot):
    k, var = (4, "relu_hidden") if act == "relu" else (2, "hardtanh_hidden")
    claims = {**DISTINCT, "depth": ("depth == 4",), "activation": (f"{var} == 1",),
              "capacity": (f"4 * (d1 // {k}) * (d2 // {k}) >= N",),
              "classes": (f"d3 >= {k} * {'dy' if onehot else 'classes'}",)}
    return {**claims, "labels": ("one_hot_labels == 1",)} if onehot else claims


def ysj34(act):
    var, x = ("relu_hidden", "(d{l} // 2)") if act == "relu" else ("hardtanh_hidden", "d{l}")
    required = {**DISTINCT, **UNIT_LABELS, "depth": ("depth == {l}",), "activation": (f"{var} == 1",),
                "capacity": (prop34_capacity(act == "relu"),)}
    optional = {"room-{j}": (f"{x} - {{r}} >= 0",), "room-{j}b": (f"{x} - {{r}} >= 0",),
                "carry-{k}": (f"{x} >= dy + 1", f"{x} >= dy")}
    return required, optional


def ysj42(act):
    k, var = (4, "relu_hidden") if act == "relu" else (2, "hardtanh_hidden")
    return {**DISTINCT, "depth": ("depth == 2",), "activation": (f"{var} == 1",),
            "width": (f"d * d1 >= {k} * N + {k} * dy * d",), "labels": ("one_hot_labels == 1",)}


def ysj41(act):
    per, head = (4, "2 * dy") if act == "relu" else (2, "dy")
    required = {**DISTINCT, act: (f"{act}_hidden == 1",), "dx-ge-dy": ("d >= dy",),
                "residual-nodes": (f"d * residual_hidden <= {per} * N + {per} * dy * d",
                                   f"d * residual_hidden >= {per} * N + {per} * dy * d"),
                "head": (f"d{{LAST}} >= {head}",), "labels": ("one_hot_labels == 1",)}
    total = per + (2 if act == "relu" else 1)
    return required, {"total": (f"d * hidden_neurons <= {per} * N + {total} * dy * d",), **GP}


def ysj33(depth, act):
    if depth == 2:
        return {**ZHANG, **LEMMA, "pieces-bound": ("pieces_on_segment <= d1 + 1",), "thm33": ("d1 + 2 >= N",)}, \
               {"knots-at-data": ("pieces_on_segment <= N - 1",)}
    p = 2 if act == "relu" else 3
    a = "" if p == 2 else f"{p - 1} * "
    return {**ysj31(act), **LEMMA,
            "pieces-bound-paper": (f"pieces_on_segment <= {p * (p - 1)} * d1 * d2 + {a}d2 + 1",),
            "thm33": (f"{p * (p - 1)} * d1 * d2 + {a}d2 + 2 >= N",)}, \
           {"pieces-bound-tight": (f"pieces_on_segment <= ({a}d1 + 1) * ({a}d2 + 1)",)}


VYS21_LAYOUT = {"depth-layout": ("depth == {m} + {s} * ({t} + 2) + 2", "depth == {s} * ({t} + 2) + 4",
                                 "depth == 3", "depth == 2"),
                "bits-stage2-3": ("bits_after_first == {b} + 1",), **COUNTING}
YY26_LAYOUT = {
    "depth-budget": ("depth <= {l}",),
    "depth-layout": ("depth == {a} + {b} * ({c} + 1) + 2", "depth == {g} + 2", "depth == 2"),
    "width-layout": ("width <= {a} + {b} * {c}", "width <= 1 + {a} + 2 * {b}", "width <= 2 * {a} - 1",
                     "width <= 2 * {a} + 2 * {b} + 3", "width <= 2 * N - 2", "width <= 1"),
    "r1-deep-bound": ("{p} * {b} * (depth - {f} - 4) * (depth - {f} - 4) < 4 * N * ({f} + 1)", "depth < {f} + 4"),
    "r1-wide-bound": ("(depth - 3) * {c} < 16 * N",),
    "log2-inv-delta-lo": ("min_sq_dist_num * {a} <= min_sq_dist_den", "min_sq_dist_num <= min_sq_dist_den * {a}"),
    "log2-inv-delta-hi": ("min_sq_dist_num * {a} > min_sq_dist_den", "min_sq_dist_num > min_sq_dist_den * {a}"),
    "ratio-delta-upper": ("100 * width * width * depth * depth <= {q} * N * {k}",),
    "ratio-delta-lower": ("100 * width * width * depth * depth > {q} * N * {k}",),
    **COUNTING}
YSJ = "Yun, Sra, Jadbabaie, NeurIPS 2019"
VYS = "Vardi, Yehudai, Shamir, ICLR 2022"

THEOREMS = {
    "zhang17": {
        "paper": "Zhang, Bengio, Hardt, Recht, Vinyals, ICLR 2017",
        "theorem": "Theorem 1: a 2-layer ReLU network with d1 <= N hidden neurons memorizes N distinct points",
        "variants": [variant("relu", lambda f: True, ZHANG)]},
    "ysj19-thm3.1": {
        "paper": YSJ, "theorem": "Theorem 3.1: a 3-layer network memorizes N points when "
                                 "4[d1/4][d2/(4dy)] >= N (ReLU) or 4[d1/2][d2/(2dy)] >= N (hard-tanh)",
        "variants": [variant("relu", relu, ysj31("relu")), variant("hardtanh", hardtanh, ysj31("hardtanh"))]},
    "ysj19-prop3.2": {
        "paper": YSJ, "theorem": "Proposition 3.2: a 4-layer network classifies N points into C classes when "
                                 "4[d1/4][d2/4] >= N and d3 >= 4C (ReLU; hard-tanh: 4[d1/2][d2/2] >= N, d3 >= 2C)",
        "variants": [variant("relu, one-hot", lambda f: relu(f) and f["task"] == "regression", ysj32("relu", True)),
                     variant("relu, class output", relu, ysj32("relu", False)),
                     variant("hard-tanh, one-hot", lambda f: hardtanh(f) and f["task"] == "regression",
                             ysj32("hardtanh", True)),
                     variant("hard-tanh, class output", hardtanh, ysj32("hardtanh", False))]},
    "ysj19-prop3.4": {
        "paper": YSJ, "theorem": "Proposition 3.4: a deep and/or narrow network memorizes N points when its "
                                 "blocks of consecutive hidden layers have total capacity >= N",
        "variants": [variant("relu", relu, *ysj34("relu")), variant("hardtanh", hardtanh, *ysj34("hardtanh"))]},
    "ysj19-cor4.2": {
        "paper": YSJ, "theorem": "Corollary 4.2: a 2-layer network memorizes N points with one-hot labels when "
                                 "d1 >= 4N/dx + 4dy (ReLU) or 2N/dx + 2dy (hard-tanh)",
        "variants": [variant("relu", relu, ysj42("relu"), GP), variant("hardtanh", hardtanh, ysj42("hardtanh"), GP)]},
    "ysj19-thm4.1": {
        "paper": YSJ, "theorem": "Theorem 4.1: a ResNet memorizes N points with one-hot labels with residual "
                                 "hidden nodes sum d_l at the theorem's 4N/dx + 4dy (ReLU) or 2N/dx + 2dy (hard-tanh)",
        "variants": [variant("relu", relu, *ysj41("relu")), variant("hardtanh", hardtanh, *ysj41("hardtanh"))]},
    "ysj19-thm3.3": {
        "paper": YSJ, "theorem": "Theorem 3.3: N points with alternating labels along a segment force at least "
                                 "N - 1 affine pieces there (counting lemma), within the architecture's bound",
        "variants": [variant("2-layer knot network", lambda f: f["depth"] == 2, *ysj33(2, "relu")),
                     variant("3-layer relu", lambda f: f["depth"] == 3 and relu(f), *ysj33(3, "relu")),
                     variant("3-layer hardtanh", lambda f: f["depth"] == 3 and hardtanh(f), *ysj33(3, "hardtanh"))]},
    "vys21": {
        "paper": VYS, "theorem": "Theorem 3.1: a network of width <= 12 memorizes N distinct points "
                                 "(O~(sqrt N) parameters, the count is in sizes)",
        "variants": [variant("width 12", lambda f: True, {**DISTINCT, "width": ("width <= 12",)}, VYS21_LAYOUT)]},
    "vys21-depth": {
        "paper": VYS, "theorem": "bounded depth: a network of depth <= L memorizes N distinct points "
                                 "(O~(N/L) parameters, the count is in sizes)",
        "variants": [variant("depth budget", lambda f: True, {**DISTINCT, "depth-budget": ("depth <= {l}",)},
                             {**VYS21_LAYOUT, "width": ("width <= 12",)})]},
    "yy26": {
        "paper": "Yang, Yang, arXiv 2603.09589 (2026)",
        "theorem": "a network of width <= W memorizes N distinct points with W^2 L^2 = O(N log(1/delta)) "
                   "(the measured ratio is bracketed by the optional ratio claims)",
        "variants": [variant("target width", lambda f: True, {**DISTINCT, "width-target": ("width <= {w}",)},
                             YY26_LAYOUT)]},
}
PRECISION = {
    "paper": "exactmem precision (docs/precision.md)",
    "theorem": "k bits suffice: every weight and bias of the network (before the class decoder, if any) is "
               "dyadic and on the stated grid 2^-k or within the stated significant bits p",
    "variants": [variant("fixed point", lambda f: "precision-grid" in f["claim_ids"],
                         {"precision-dyadic": ("dyadic_weights == 1",),
                          "precision-grid": ("grid_bits <= {k}", "grid_bits <= -{k}")},
                         {"precision-decoder": ("decoder_margin_bits == {t}",)}),
                 variant("floating point", lambda f: True,
                         {"precision-dyadic": ("dyadic_weights == 1",), "precision-significand": ("sig_bits <= {p}",)},
                         {"precision-decoder": ("decoder_margin_bits == {t}",)})]}


def theorem_for(construction_id):
    """The table entry for a construction id: its own, or for "rounded:ID" (a network rounded by
    exactmem precision) the precision statement, with ID's claims allowed as optional ones (those
    that still hold on the rounded network; "{LAST}" becomes a free integer there).  None when
    the id is not in the table."""
    if construction_id in THEOREMS:
        return THEOREMS[construction_id]
    source = construction_id[len("rounded:"):] if construction_id.startswith("rounded:") else None
    if source not in THEOREMS:
        return None
    inherited = {}
    for v in THEOREMS[source]["variants"]:
        for cid, templates in {**v["required"], **v["optional"]}.items():
            inherited.setdefault(cid, ())
            inherited[cid] += tuple("{last}".join(t.split("{LAST}")) if isinstance(t, str) else t for t in templates)
    variants = [dict(v, optional={**inherited, **v["optional"]}) for v in PRECISION["variants"]]
    return dict(PRECISION, variants=variants, source=source)


def template_regex(template, facts):
    """A statement or id template as a regex: "{x}" a decimal literal (repeated names equal)."""
    key = (template, facts.get("last"))
    if key not in TEMPLATE_CACHE:
        TEMPLATE_CACHE[key] = compile_template(template, facts)
    return TEMPLATE_CACHE[key]


TEMPLATE_CACHE = {}


def compile_template(template, facts):
    out, seen, pos = [], set(), 0
    for m in re.finditer(r"\{([A-Za-z]+)\}", template):
        out.append(re.escape(template[pos:m.start()]))
        name = m.group(1)
        if name.isupper():
            out.append(re.escape(str(facts[name.lower()])))
        elif name in seen:
            out.append(f"(?P={name})")
        else:
            out.append(f"(?P<{name}>0|[1-9][0-9]*)")
            seen.add(name)
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out))


def fits(text, templates, facts):
    """Rule: a statement (or id) has the form of one of its templates."""
    return any(t(text, facts) if callable(t) else template_regex(t, facts).fullmatch(text) is not None
               for t in templates)


def check_theorem(cert, claims, facts):
    """Section 22: the claims are the statement of the theorem the construction id names.
    Returns (entry, variant), or (None, None) for an id outside the table (then VERIFIED says
    only that the network reproduces every label, and that the listed claims hold)."""
    cid = cert["construction"]["id"]
    entry = theorem_for(cid)
    if entry is None:
        return None, None
    facts = dict(facts, claim_ids={c["id"] for c in claims})
    chosen = next((v for v in entry["variants"] if v["when"](facts)), None)
    if chosen is None:
        raise rejected(f"construction {cid}: no variant of its theorem applies to this network "
                       f"(variants: {', '.join(v['name'] for v in entry['variants'])})")
    by_id = {c["id"]: c["statement"] for c in claims}
    for rid, templates in chosen["required"].items():
        if rid not in by_id:
            raise rejected(f"construction {cid} ({chosen['name']}): claim {rid} of the theorem is missing")
        if not fits(by_id[rid], templates, facts):
            raise rejected(f"construction {cid} ({chosen['name']}): claim {rid} ({by_id[rid]}) is not the "
                           f"theorem's statement")
    BUDGET.charge(len(claims) * CLAIM * (1 + len(chosen["optional"])), "theorem table: matching the claims")
    for c in claims:
        if c["id"] in chosen["required"]:
            continue
        templates = next((t for oid, t in chosen["optional"].items() if fits(c["id"], (oid,), facts)), None)
        if templates is None:
            raise rejected(f"construction {cid} ({chosen['name']}): claim {c['id']} is not part of the theorem "
                           f"or of its construction")
        if not fits(c["statement"], templates, facts):
            raise rejected(f"construction {cid} ({chosen['name']}): claim {c['id']} ({c['statement']}) has "
                           f"another form than the construction's")
    return entry, chosen


# ---------------------------------------------------------------------------------------------
# Claims: "LHS op RHS" over integer variables the checker computed itself

# Grammar (docs/certificate-format.md):
#   claim := expr CMP expr        CMP in == <= >= < >
#   expr  := term (("+" | "-") term)*
#   term  := unary (("*" | "//") unary)*
#   unary := "-" unary | INT | NAME | "(" expr ")"
# INT is decimal without leading zeros, NAME a variable the checker computed.  Nothing else.
TOKEN = re.compile(r" *(?:(0|[1-9][0-9]*)|([A-Za-z_][A-Za-z0-9_]*)|(//|==|<=|>=|[-+*()<>]))")
CMP = {"==": lambda a, b: a == b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
       "<": lambda a, b: a < b, ">": lambda a, b: a > b}


def tokenize(statement):
    tokens, pos = [], 0
    while pos < len(statement):
        if statement[pos:].strip(" ") == "":          # only U+0020 separates tokens (section 13.1)
            break
        m = TOKEN.match(statement, pos)
        if not m:
            raise malformed(f"claim {statement!r}: unexpected character at position {pos}")
        num, name, op = m.groups()
        tokens.append(("int", int(num)) if num else ("name", name) if name else ("op", op))
        pos = m.end()
    return tokens


class ClaimParser:
    def __init__(self, statement, env, evaluate=True):
        """With evaluate=False only the grammar and the variable names are checked (every value
        reads as 1 and nothing is computed), so a statement outside the grammar is MALFORMED
        before the theorem table or any arithmetic looks at it."""
        self.statement, self.env, self.tokens, self.i = statement, env, tokenize(statement), 0
        self.evaluate = evaluate

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self, *ops):
        kind, val = self.peek()
        if kind == "op" and val in ops:
            self.i += 1
            return val
        return None

    def fail(self, what):
        raise malformed(f"claim {self.statement!r}: {what}")

    def claim(self):
        lhs = self.expr()
        op = self.take(*CMP)
        if op is None:
            self.fail("expected a comparison (== <= >= < >)")
        rhs = self.expr()
        if self.i != len(self.tokens):
            self.fail("unexpected text after the comparison")
        return lhs, op, rhs

    def expr(self):
        v = self.term()
        while True:
            op = self.take("+", "-")
            if op is None:
                return v
            w = self.term()
            if self.evaluate:
                v = v + w if op == "+" else v - w

    def term(self):
        v = self.unary()
        while True:
            op = self.take("*", "//")
            if op is None:
                return v
            w = self.unary()
            if not self.evaluate:
                continue
            vb, wb = abs(v).bit_length(), abs(w).bit_length()
            if op == "*":
                # CPython's product peaks at about five times its result's size (Karatsuba's
                # temporaries): the estimate is six results.
                BUDGET.hold(6 * int_bytes(vb + wb), f"claim {self.statement!r}: a product")
                BUDGET.charge(mul_cost(vb, wb), f"claim {self.statement!r}: a product")
                v = v * w
            elif w == 0:
                self.fail("division by zero")
            else:
                BUDGET.charge(div_cost(vb, wb), f"claim {self.statement!r}: a floor division")
                v = v // w

    def unary(self):
        if self.take("-"):
            v = self.unary()
            return -v if self.evaluate else 1
        if self.take("("):
            v = self.expr()
            if not self.take(")"):
                self.fail("missing ')'")
            return v
        kind, val = self.peek()
        self.i += 1
        if kind == "int":
            return val
        if kind == "name":
            if val not in self.env:
                self.fail(f"unknown variable {val!r}")
            return self.env[val] if self.evaluate else 1
        self.fail("expected a number, a variable or '('")


def claim_list(cert, env):
    """Section 13: claims are {id, statement, source, lhs, rhs} with unique ids of
    [A-Za-z0-9_.:-]{1,64} and statements of at most 500 characters in the grammar of 13.1, over
    the variables of 13.2 (parsed here, evaluated later)."""
    claims, seen = [], set()
    for i, claim in enumerate(lst(cert["claims"], "claims")):
        need(claim, ("id", "statement", "source", "lhs", "rhs"), f"claim {i}")
        cid = str_field(claim["id"], f"claim {i}.id")
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", cid):
            raise malformed(f"claim {i}: id must match [A-Za-z0-9_.:-]{{1,64}}")
        if cid in seen:
            raise malformed(f"claim {cid}: duplicate claim id")
        seen.add(cid)
        statement = str_field(claim["statement"], f"claim {cid}.statement")
        str_field(claim["source"], f"claim {cid}.source")
        if len(statement) > 500:
            raise malformed(f"claim {cid}: statement too long")
        BUDGET.charge(CLAIM + 500 * len(statement), "claims: parsing a statement")
        ClaimParser(statement, env, evaluate=False).claim()
        claims.append(claim)
    return claims


def check_claims(claims, env):
    """Section 13: each claim's recorded sides equal the recomputed ones, and it holds."""
    lines = []
    for claim in claims:
        cid, statement = claim["id"], claim["statement"]
        BUDGET.charge(CLAIM + 500 * len(statement), "claims: evaluating a statement")
        lhs, sym, rhs = ClaimParser(statement, env).claim()
        claimed = (to_int(claim["lhs"], f"claim {cid}.lhs"), to_int(claim["rhs"], f"claim {cid}.rhs"))
        if claimed != (lhs, rhs):
            raise rejected(f"claim {cid} ({statement}): certificate says {short(claimed[0])} {sym} "
                           f"{short(claimed[1])}, recomputed {short(lhs)} {sym} {short(rhs)}")
        if not CMP[sym](lhs, rhs):
            raise rejected(f"claim {cid} ({statement}) is false: {short(lhs)} {sym} {short(rhs)} does not hold "
                           f"[{claim['source']}]")
        lines.append(f"c claim {cid}: {statement}  ({short(lhs)} {sym} {short(rhs)})  [{claim['source']}]")
    return lines


# ---------------------------------------------------------------------------------------------

def read_bytes(path):
    """At most --max-bytes bytes of a file or of stdin (-).  A regular file's size is checked
    before reading; anything else (a pipe, /dev/zero, ...) is read in chunks up to the limit."""
    limit = LIMITS["bytes"]
    if path == "-":
        return read_limited(sys.stdin.buffer, limit, 1 << 20)
    size = os.path.getsize(path) if os.path.isfile(path) else 0
    if size > limit:
        raise Verdict(4, f"{path}: larger than --max-bytes={limit}")
    with open(path, "rb") as f:
        return read_limited(f, limit, size + 1 if size else 1 << 20)


def read_limited(f, limit, step):
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


def check(path, quiet=False, allow_dataset_symlink=False, keep=None):
    """Section 15: the steps of "What VERIFIED means", in order; returns (lines, verdict tail).
    With keep (a dict), also hands back the parsed certificate, dataset and network."""
    try:
        data = read_bytes(path)
    except OSError as e:
        raise Verdict(5, f"cannot read {path}: {e.strerror}")
    cert = parse_json(data)
    check_header(cert)
    check_limits(cert)
    if data != canonical(cert) + b"\n":
        raise malformed("file is not in canonical form (sorted keys, no whitespace, one final newline)")
    out = []
    ds = load_dataset(cert, os.path.dirname(os.path.abspath(path)) if path != "-" else ".",
                      allow_dataset_symlink)
    n, d, dy = ds["n"], ds["d"], ds["dy"]
    out.append(f"c dataset: N={n} d={d} dy={dy} task={ds['task']} sha256={ds['sha256']}")
    layers = load_network(cert, d, dy)
    segment = load_segment(cert, d)         # 1.1, optional

    sizes = recompute_sizes(layers, d)
    claimed_sizes = need(cert["sizes"], SIZES, "sizes")
    for key in SIZES:
        v = claimed_sizes[key]
        if not (type(v) is int or (isinstance(v, list) and all(type(x) is int for x in v))):
            raise malformed(f"sizes.{key}: expected a JSON integer (or a list of them)")
    for key in SIZES:
        if not same_json(claimed_sizes[key], sizes[key]):
            raise rejected(f"sizes.{key}: certificate says {str(claimed_sizes[key])[:80]}, recomputed {sizes[key]}")
    out.append("c network: depth={depth} width={width} widths={widths} hidden={hidden_neurons} "
               "params_dense={params_dense} params_nonzero={params_nonzero} bit_complexity={bit_complexity}"
               .format(**sizes))
    acts = {entry[0][0] for entry in layers[:-1]}
    facts = {"relu_hidden": int(acts == {"relu"}), "hardtanh_hidden": int(acts == {"hardtanh"}),
             "task": ds["task"], "depth": sizes["depth"], "last": len(sizes["widths"]),
             "hidden_layers": len(sizes["widths"])}
    env = {k: v for k, v in sizes.items() if k not in ("widths", "layer_bits")}
    env.update({f"d{k}": w for k, w in enumerate(sizes["widths"], 1)})
    env.update({"N": n, "d": d, "dy": dy, "hidden": sizes["hidden_neurons"], "classes": ds["classes"],
                "log2_classes_floor": max(ds["classes"].bit_length() - 1, 0),
                "bits_after_first": max(sizes["layer_bits"][1:], default=0),
                "residual_hidden": sum(len(entry[0][3]) for entry in layers if len(entry) == 2),
                "relu_hidden": facts["relu_hidden"], "hardtanh_hidden": facts["hardtanh_hidden"],
                "distinct_points": int(len({tuple(x) for x in ds["x"]}) == n),
                "labels_in_unit_box": int(ds["task"] == "regression" and
                                          all(-q <= p <= q for y in ds["y"] for p, q in y)),
                "one_hot_labels": int(ds["task"] == "regression" and
                                      all(sorted(y) == [(0, 1)] * (len(y) - 1) + [(1, 1)] for y in ds["y"]))})
    if minor_version(cert) >= 1:            # variables added in format 1.1
        env["general_position"] = lambda: int(general_position(ds["x"]))

        def pieces():
            if segment is None:
                raise malformed("a claim names pieces_on_segment, but the certificate has no segment")
            if dy != 1:
                raise malformed(f"pieces_on_segment needs a scalar output; this network has dy = {dy}")
            return pieces_on_segment(layers, *segment)
        env["pieces_on_segment"] = pieces
    if minor_version(cert) >= 2:            # variables added in format 1.2
        precision = []

        def precision_variable(name):
            if not precision:
                precision.append(precision_variables(layers, ds))
            return precision[0][name]
        for name in ("decoder_margin_bits", "dyadic_weights", "grid_bits", "sig_bits"):
            env[name] = (lambda name=name: precision_variable(name))
        env["alternating_on_segment"] = lambda: alternating_on_segment(ds, segment)
    env = LazyEnv(env)
    msd = []                                # computed once, only if a claim names it

    def min_sq(part):
        if not msd:
            msd.extend(min_sq_distance(ds["x"]))
        return msd[part]
    env.update({"min_sq_dist_num": lambda: min_sq(0), "min_sq_dist_den": lambda: min_sq(1)})
    claims = claim_list(cert, env)
    entry, chosen = check_theorem(cert, claims, facts)

    outputs = lst(cert["outputs"], "outputs", n)
    for i in range(n):
        claimed = [to_rat(v, f"output of point {i}") for v in lst(outputs[i], f"output of point {i}", dy)]
        computed = forward(layers, ds["x"][i])
        for o in range(dy):
            (p, q), (cp, cq), (yp, yq) = computed[o], claimed[o], ds["y"][i][o]
            if (p, q) != (cp, cq) or (p, q) != (yp, yq):
                raise rejected(f"point {i} output {o}: network computes {fmt(p, q)}, certificate claims "
                               f"{fmt(cp, cq)}, label is {fmt(yp, yq)}")
    out.append(f"c forward: all {n} points evaluated exactly; outputs equal the labels and the claimed outputs")
    if segment is not None:
        out.append(f"c segment: from ({', '.join(fmt(*x) for x in segment[0])}) to "
                   f"({', '.join(fmt(*x) for x in segment[1])})")

    out += check_claims(claims, env)

    body = {k: v for k, v in cert.items() if k != "certificate_sha256"}
    digest = hashlib.sha256(canonical(body)).hexdigest()
    if digest != cert["certificate_sha256"]:
        raise rejected(f"certificate_sha256 mismatch: computed {digest}, certificate says {cert['certificate_sha256']}")
    c = cert["construction"]
    if entry is None:
        out.append(f"c theorem: none. Construction id {c['id']!r} is not in this checker's theorem table, so "
                   "VERIFIED says only that the network reproduces every label exactly and that the listed "
                   "claims hold")
        theorem = "none"
    else:
        out.append(f"c theorem: {entry['paper']}: {entry['theorem']} [{chosen['name']}]; every claim it "
                   f"requires is present and holds")
        theorem = c["id"]
        if "source" in entry:               # rounded:ID - the statement is the precision one
            out.append(f"c precision: the source construction {entry['source']!r} named in the id is a label; "
                       f"claims of its theorem that are listed were checked like any claim")
            theorem = "precision"
    out.append(f"c construction: {c['id']}")
    out.append("c UNCHECKED (informative only): construction.paper, construction.theorem, construction.params, "
               "claim sources, recipe, info, generator")
    if keep is not None:
        keep.update(cert=cert, ds=ds, layers=layers, digest=digest)
    return out, f"{digest} {ds['sha256']} theorem={theorem}"


# ---------------------------------------------------------------------------------------------
# Precision witnesses (--witness, docs/precision.md): "rounding original_network as stated breaks
# the decision rule at this point".  The rounding is recomputed from original_network, the point
# is evaluated exactly, and the exact output must violate the rule.  VERIFIED WITNESS (exit 0)
# when all of that holds, REJECTED (exit 1) when it does not, MALFORMED (2) for a bad file.

WITNESS_KEYS = ("format", "version", "claim", "rounding", "decision", "point_index", "point", "output",
                "original_network", "network", "source", "witness_sha256")


def round_half_even(a, b):
    """The integer nearest to a / b (b > 0), ties to even."""
    q, r = divmod(a, b)
    if 2 * r > b or (2 * r == b and q & 1):
        q += 1
    return q


def round_value(v, den, kind, n):
    """v/den rounded to the multiple of 2^-n ("fixed") or to n significant bits with unbounded
    exponent ("float"), nearest, ties to even; returned as (m, e) meaning m * 2^e."""
    if kind == "fixed":
        return (round_half_even(v << n, den) if n >= 0 else round_half_even(v, den << -n)), -n
    if v == 0:
        return 0, 0
    e = abs(v).bit_length() - den.bit_length()
    if (abs(v) << max(-e, 0)) < (den << max(e, 0)):
        e -= 1                                       # 2^e <= |v|/den < 2^(e+1)
    s = n - 1 - e
    return (round_half_even(v << s, den) if s >= 0 else round_half_even(v, den << -s)), -s


def round_map(layer, kind, n):
    """One parsed affine map with every weight and bias rounded, in canonical integer form."""
    act, rows, bias, dens = layer
    # Cost model: a rounded value has at most bitlen(v) + bitlen(den) + |n| + 2 bits, before and
    # after the map's values are brought to one exponent; charged and held before rounding.
    total = 0
    for r, b, den in zip(rows, bias, dens):
        db = den.bit_length()
        vb = max(abs(v).bit_length() for v in r + [b]) + db + abs(n) + 2     # the neuron's largest
        total += (len(r) + 1) * int_bytes(2 * vb)
        BUDGET.charge((len(r) + 1) * (div_cost(vb, db) + gcd_cost(2 * vb, 2 * vb) + 4 * vb),
                      "rounding a neuron of original_network")
    BUDGET.hold(total, "rounding original_network: one map's rounded weights")
    out_rows, out_bias, out_dens = [], [], []
    for r, b, den in zip(rows, bias, dens):
        parts = [round_value(v, den, kind, n) for v in r + [b]]
        E = max([0] + [-e for m, e in parts if m])
        nums = [m << (e + E) if m else 0 for m, e in parts]
        g = math.gcd(1 << E, *nums)
        out_rows.append([v // g for v in nums[:-1]])
        out_bias.append(nums[-1] // g)
        out_dens.append((1 << E) // g)
    return Map(act, out_rows, out_bias, out_dens, layer.n_in)


def meets_rule(out, y, tol):
    """The decision rule at one point: a class c needs |F(x) - c| < 1/2; regression labels need
    max_o |F_o(x) - y_o| <= tol."""
    if tol is None:
        (p, q), c = out[0], y[0][0]
        return 2 * abs(p - c * q) < q
    tp, tq = tol
    return all(abs(p * yq - yp * q) * tq <= tp * q * yq for (p, q), (yp, yq) in zip(out, y))


def read_witness(path):
    """Witness rule 1: canonical JSON of exactly the witness keys, version 1.0, well-typed fields.
    Returns (w, kind, n, index, x, y, tol, rule)."""
    try:
        data = read_bytes(path)
    except OSError as e:
        raise Verdict(5, f"cannot read {path}: {e.strerror}")
    w = parse_json(data)
    if not isinstance(w, dict) or w.get("format") != "exactmem-precision-witness":
        raise malformed("format: expected 'exactmem-precision-witness'")
    if not isinstance(w.get("version"), str):
        raise malformed("version: expected a string 'MAJOR.MINOR'")
    if w.get("version") != "1.0":
        raise Verdict(3, f"witness version {str(w.get('version'))[:20]!r}; this checker reads 1.0")
    need(w, WITNESS_KEYS, "witness")
    if data != canonical(w) + b"\n":
        raise malformed("file is not in canonical form (sorted keys, no whitespace, one final newline)")
    if w["claim"] != "rounding-fails":
        raise malformed("claim: expected 'rounding-fails'")
    kind = w["rounding"].get("kind") if isinstance(w["rounding"], dict) else None
    if kind not in ("fixed", "float"):
        raise malformed("rounding.kind: expected 'fixed' or 'float'")
    letter = "k" if kind == "fixed" else "p"
    n = need(w["rounding"], ("kind", letter), "rounding")[letter]
    if type(n) is not int or (kind == "float" and n < 1):
        raise malformed(f"rounding.{letter}: expected an integer" + (" >= 1" if kind == "float" else ""))
    if abs(n) > LIMITS["int_bits"]:
        raise Verdict(4, f"rounding.{letter} = {n} exceeds --max-int-bits={LIMITS['int_bits']}")
    index = count(w["point_index"], "point_index")
    x = [to_rat(v, "point") for v in lst(w["point"], "point")]
    if not x:
        raise malformed("point: at least one coordinate")
    dec = w["decision"]
    task = dec.get("task") if isinstance(dec, dict) else None
    if task == "classification":
        need(dec, ("task", "label"), "decision")
        if type(dec["label"]) is not int:
            raise malformed("decision.label: a class label is a JSON integer")
        y, tol, rule = [(dec["label"], 1)], None, f"|F(x) - {dec['label']}| < 1/2"
    elif task == "regression":
        need(dec, ("task", "label", "tol"), "decision")
        y = [to_rat(v, "decision.label") for v in lst(dec["label"], "decision.label")]
        tol = to_rat(dec["tol"], "decision.tol")
        if not y or tol[0] < 0:
            raise malformed("decision: a non-empty label and a tolerance >= 0 are needed")
        rule = f"max_o |F_o(x) - y_o| <= {fmt(*tol)}"
    else:
        raise malformed("decision.task: expected 'classification' or 'regression'")
    need(w["source"], ("certificate_sha256", "dataset_sha256", "construction"), "source")
    if not is_sha256(w["witness_sha256"]):
        raise malformed("witness_sha256: expected 64 lowercase hex digits")
    return w, kind, n, index, x, y, tol, rule


def check_refuted_certificate(against, allow_dataset_symlink):
    """Witness rule 2: the certificate the witness refutes is itself VERIFIED."""
    keep = {}
    try:
        check(against, allow_dataset_symlink=allow_dataset_symlink, keep=keep)
    except Verdict as v:
        if v.code in (3, 4, 5):
            raise Verdict(v.code, f"--against {against}: {v.message}")
        raise rejected(f"--against {against}: the certificate the witness refutes is not VERIFIED "
                       f"({VERDICTS[v.code]}: {v.message})")
    return keep


def check_witness_binding(w, index, x, y, tol, src):
    """Witness rule 3: the witness speaks of that certificate: its digests and construction, its
    dataset's point point_index and that point's label (a class in 1..C), and its network as
    original_network; and the unrounded network meets the decision rule at the point."""
    ds = src["ds"]
    for key, value in (("certificate_sha256", src["digest"]), ("dataset_sha256", ds["sha256"]),
                       ("construction", src["cert"]["construction"]["id"])):
        if w["source"][key] != value:
            raise rejected(f"source.{key} is {str(w['source'][key])[:70]!r}, the certificate's is {value!r}")
    if index >= ds["n"]:
        raise rejected(f"point_index {index}: the certificate's dataset has {ds['n']} points")
    if x != ds["x"][index]:
        raise rejected(f"point: not the certificate's point {index}")
    if (tol is None) != (ds["task"] == "classification"):
        raise rejected(f"decision.task: the certificate's task is {ds['task']}")
    if tol is None and not 1 <= y[0][0] <= ds["classes"]:
        raise rejected(f"decision.label {y[0][0]}: a class label is in 1..{ds['classes']}")
    if y != ds["y"][index]:
        raise rejected(f"decision.label: not the certificate's label of point {index}")
    if not same_json(w["original_network"], src["cert"]["network"]):
        raise rejected("original_network: not the certificate's network")
    if not meets_rule(forward(src["layers"], x), y, tol):
        raise rejected("the unrounded network already breaks the rule at this point: not a rounding failure")


def check_witness(path, against=None, allow_dataset_symlink=False):
    """A precision witness (docs/precision.md): rounding the certificate's network as stated
    breaks the decision rule at one of its data points.  VERIFIED WITNESS when rules 1-6 hold."""
    if against is None:
        raise Verdict(5, "usage: --witness needs --against CERT, the certificate whose network the witness "
                         "rounds (its point, label and network are checked against it)")
    w, kind, n, index, x, y, tol, rule = read_witness(path)
    letter = "k" if kind == "fixed" else "p"
    src = check_refuted_certificate(against, allow_dataset_symlink)
    check_witness_binding(w, index, x, y, tol, src)
    # Rule 4: network is original_network rounded as stated (recomputed with integers, ties to even).
    check_limits({"dataset": {"n": 1, "d": len(x)}, "network": w["network"], "claims": []})
    original = src["layers"]
    network = load_network({"network": w["network"]}, len(x), len(y))
    for k, (eo, en) in enumerate(zip(original, network), 1):
        if len(eo) != len(en) or not all(round_map(m, kind, n).same(e) for m, e in zip(eo, en)):
            raise rejected(f"network layer {k} is not original_network's layer {k} rounded ({kind}, {letter}={n})")
    if len(original) != len(network):
        raise rejected("network and original_network have different numbers of layers")
    # Rule 5: the rounded network's exact output at the point is the stated one, and breaks the rule.
    out = forward(network, x)
    claimed = [to_rat(v, "output") for v in lst(w["output"], "output", len(y))]
    if out != claimed:
        o = next(i for i, (a, b) in enumerate(zip(out, claimed)) if a != b)
        raise rejected(f"output {o}: the network computes {fmt(*out[o])}, the witness claims {fmt(*claimed[o])}")
    if meets_rule(out, y, tol):
        raise rejected(f"the output {', '.join(fmt(*v) for v in out)} meets the rule {rule}: not a witness")
    # Rule 6: the witness's own digest.
    digest = hashlib.sha256(canonical({k: v for k, v in w.items() if k != "witness_sha256"})).hexdigest()
    if digest != w["witness_sha256"]:
        raise rejected(f"witness_sha256 mismatch: computed {digest}, witness says {w['witness_sha256']}")
    lines = [f"c certificate {src['digest']}: VERIFIED; the witness's point {index}, label and original_network "
             f"are that certificate's",
             f"c unrounded network at point {index}: meets the rule {rule}",
             f"c rounding: {kind} {letter}={n} of the certificate's network recomputed; it equals network "
             f"({len(network)} layers)",
             f"c rounded network at point {index}: output {', '.join(fmt(*v) for v in out)}",
             f"c decision rule: {rule} does not hold"]
    return lines, f"WITNESS {digest} point {index}: rounding {kind} {letter}={n} violates {rule}"


LINE_CHARS = 2000           # a printed line longer than this is cut (a 10 MB claim source stays unprinted)


def printable(text):
    """Escape every non-printable character (newlines, U+2028, ...): text taken from a
    certificate can never start a line of its own, let alone a forged verdict line.  A line
    is cut to LINE_CHARS characters first, so printing costs no more than a line's worth."""
    if len(text) > LINE_CHARS:
        text = f"{text[:LINE_CHARS]}... ({len(text) - LINE_CHARS} more characters not printed)"
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Verdict(5, f"usage: {message}")


def main(argv=None):
    parser = Parser(description="Independent checker for exactmem certificates (format 1.x).")
    parser.add_argument("certificate", help="certificate file, or - for stdin")
    parser.add_argument("--max-int-bits", type=int, default=DEFAULT_LIMITS["int_bits"],
                        help="refuse integers longer than this many bits (default %(default)s)")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_LIMITS["bytes"],
                        help="refuse inputs larger than this (default %(default)s)")
    parser.add_argument("--max-layers", type=int, default=DEFAULT_LIMITS["layers"],
                        help="refuse networks with more layers (default %(default)s)")
    parser.add_argument("--max-width", type=int, default=DEFAULT_LIMITS["width"],
                        help="refuse layers with more neurons, and inputs of higher dimension (default %(default)s)")
    parser.add_argument("--max-points", type=int, default=DEFAULT_LIMITS["points"],
                        help="refuse datasets with more points (default %(default)s)")
    parser.add_argument("--max-work", type=int, default=DEFAULT_LIMITS["work"],
                        help="stop when the cost model's work units pass this; a unit is about a "
                             "nanosecond (default %(default)s, about 30 s; docs/checker.md)")
    parser.add_argument("--max-memory", type=int, default=DEFAULT_LIMITS["memory"],
                        help="refuse to build anything estimated larger than this many bytes "
                             "(default %(default)s)")
    parser.add_argument("--allow-dataset-symlink", action="store_true",
                        help="follow a dataset file that is a symbolic link (refused by default)")
    parser.add_argument("--witness", action="store_true",
                        help="the file is a precision witness (exactmem precision; docs/precision.md)")
    parser.add_argument("--against", metavar="CERT",
                        help="with --witness: the certificate whose network the witness rounds (required)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the verdict line")
    code, lines, tail = 5, [], ""
    try:
        args = parser.parse_args(argv)
        LIMITS["int_bits"], LIMITS["bytes"] = args.max_int_bits, args.max_bytes
        LIMITS["layers"], LIMITS["width"] = args.max_layers, args.max_width
        LIMITS["points"], LIMITS["work"] = args.max_points, args.max_work
        LIMITS["memory"] = args.max_memory
        BUDGET.__init__(LIMITS["work"], LIMITS["memory"])       # a fresh budget for every run
        if args.against and not args.witness:
            raise Verdict(5, "usage: --against CERT goes with --witness")
        lines, tail = (check_witness(args.certificate, args.against, args.allow_dataset_symlink) if args.witness else
                       check(args.certificate, allow_dataset_symlink=args.allow_dataset_symlink))
        code = 0
        lines.append(f"c cost: {BUDGET.used} work units of --max-work={BUDGET.work} (cost model: docs/checker.md)")
        if args.quiet:
            lines = []
    except Verdict as v:
        code, tail = v.code, v.message
    except MemoryError:
        code, tail = 4, "out of memory"
    except KeyboardInterrupt:
        code, tail = 5, "interrupted"
    except SystemExit as e:          # argparse --help
        return e.code if isinstance(e.code, int) else 0
    except Exception as e:           # a checker bug must never look like a verdict on the data
        code, tail = 2, f"internal checker error ({type(e).__name__}: {str(e)[:200]}); not verified"
    try:
        for line in lines:
            print(printable(line))
        print(f"s {VERDICTS[code]} {printable(tail)}".rstrip())
        sys.stdout.flush()
    except BrokenPipeError:          # piped into `head`: the exit code still carries the verdict
        sys.stdout = None            # nothing more to flush at exit, so no second error
    return code


if __name__ == "__main__":
    sys.exit(main())
