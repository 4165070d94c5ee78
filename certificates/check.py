#!/usr/bin/env python3
"""Independent checker for exactmem certificates, format 1.x (docs/certificate-format.md).

Standard library only, never imports exactmem; run it as ``python3 -I -S check.py CERT``.
It trusts nothing it can recompute: it re-hashes the dataset, validates it, evaluates the
network exactly on every point (integers only), compares with the labels and the claimed
outputs, recomputes every size, evaluates every theorem inequality from its own numbers,
and re-hashes the certificate.  Fields it cannot recompute (construction parameters, recipe,
info) are listed as UNCHECKED and never count towards the verdict.

Exit codes; the last stdout line is always ``s <VERDICT> ...``:
  0 VERIFIED     every check passed
  1 REJECTED     well-formed, but a claim is false (the first failure is named)
  2 MALFORMED    not a well-formed certificate (bad JSON, duplicate key, float, NaN, bad field)
  3 UNSUPPORTED  format version this checker does not know
  4 RESOURCE     a resource limit was hit (integer too long, file too big, too many layers,
                 neurons, points or multiply-adds, out of memory)
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

CHECKER_VERSION = "1.1"
SUPPORTED_MAJOR, SUPPORTED_MINOR = 1, 1
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
# Resource limits (docs/certificate-format.md, section 17), all checked before any arithmetic:
# bits per integer, bytes per file, layers, neurons per layer (the input dimension d included),
# data points, and work = N * params_dense (multiply-adds of the forward pass).
DEFAULT_LIMITS = {"int_bits": 1 << 22, "bytes": 1 << 31, "layers": 100_000, "width": 1_000_000,
                  "points": 10_000_000, "work": 10 ** 11}
LIMITS = dict(DEFAULT_LIMITS)      # set from the command line by main() on every call


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


def check_limits(cert):
    """Section 17: refuse a certificate too big to check, from counts and list lengths alone,
    before any number is converted (a field of the wrong type is left to the later checks)."""
    ds, net = cert["dataset"], cert["network"]
    n, d = (ds.get("n"), ds.get("d")) if isinstance(ds, dict) else (None, None)
    n, d = (max(n, 0) if type(n) is int else 0), (max(d, 0) if type(d) is int else 0)
    if n > LIMITS["points"]:
        raise Verdict(4, f"dataset.n: {n} points, more than --max-points={LIMITS['points']}")
    if d > LIMITS["width"]:
        raise Verdict(4, f"dataset.d: input dimension {d}, more than --max-width={LIMITS['width']}")
    claims = cert["claims"] if isinstance(cert["claims"], list) else []
    if any(isinstance(c, dict) and isinstance(c.get("statement"), str) and "min_sq_dist" in c["statement"]
           for c in claims) and n * (n - 1) // 2 * d > LIMITS["work"]:     # the O(N^2 d) sweep
        raise Verdict(4, f"work of min_sq_dist: N(N-1)/2 * d = {n * (n - 1) // 2 * d} pairs x coordinates, "
                         f"more than --max-work={LIMITS['work']}")
    if any(isinstance(c, dict) and isinstance(c.get("statement"), str) and "general_position" in c["statement"]
           for c in claims) and gp_work(n, d) > LIMITS["work"]:
        raise Verdict(4, f"work of general_position: C(N, d) normals x d determinants = {gp_work(n, d)}, "
                         f"more than --max-work={LIMITS['work']}")
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

    params, n_in, hidden = 0, d, []
    for k, layer in enumerate(layers, 1):
        block = layer.get("residual") if isinstance(layer, dict) else None
        if isinstance(block, dict):         # residual block: inner n_in -> m, outer m -> n_in
            m = width(block.get("inner"), f"layer {k} inner")
            params += (n_in + 1) * m + (m + 1) * width(block.get("outer"), f"layer {k} outer")
            hidden.append((block.get("inner"), m))
        else:
            m = width(layer, f"layer {k}")
            params += (n_in + 1) * m
            n_in = m
            hidden.append((layer, m))
    if n * params > LIMITS["work"]:
        raise Verdict(4, f"work N * params_dense = {n} * {params} = {n * params}, more than "
                         f"--max-work={LIMITS['work']}")
    if any(isinstance(c, dict) and isinstance(c.get("statement"), str) and "pieces_on_segment" in c["statement"]
           for c in claims):
        # At most prod (1 + (p - 1) m) pieces over the hidden maps, so one more point of T; each
        # point costs at most one forward pass per map (section 20).  Unknown activations: p = 3.
        pieces = 1
        for layer, m in hidden[:-1]:
            act = layer.get("activation") if isinstance(layer, dict) else None
            pieces *= 1 + {"relu": 1, "identity": 0}.get(act, 2) * m
            if pieces > LIMITS["work"]:     # too much already: stop multiplying big numbers
                break
        work = (pieces + 1) * params * len(layers)
        if work > LIMITS["work"]:
            raise Verdict(4, f"work of pieces_on_segment: (pieces bound {pieces} + 1) * params_dense {params} * "
                             f"{len(layers)} layers = {work}{' or more' if pieces > LIMITS['work'] else ''}, "
                             f"more than --max-work={LIMITS['work']}")


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


def parse_layer(layer, where, n_in):
    """One affine map: (activation, integer rows, integer biases, positive denominators)."""
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
        if math.gcd(dens[j], bias[j], *r) != 1:
            raise malformed(f"{where} neuron {j}: numerators and denominator share a factor (not canonical)")
        rows.append(r)
    return act, rows, bias, dens


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


def bitlen_rat(num, den):
    g = math.gcd(num, den)
    return abs(num // g).bit_length() + (den // g).bit_length()


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
                for v in r + [b]:
                    if v:
                        nonzero += 1
                    best = max(best, bitlen_rat(v, den))
                    numbits = max(numbits, abs(v // math.gcd(v, den)).bit_length())
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


def apply_layer(layer, a, c):
    """One affine map and its activation on a point's values a / c; returns (a', c')."""
    act, rows, bias, dens = layer
    nums, ds = [], []
    for r, b, den in zip(rows, bias, dens):
        z = sum(map(mul, r, a)) + b * c
        D = den * c
        if act == "relu" and z < 0:
            z = 0
        elif act == "hardtanh":
            z = max(-D, min(D, z))
        g = math.gcd(z, D)
        nums.append(z // g)
        ds.append(D // g)
    c = math.lcm(*ds)
    return [v * (c // q) for v, q in zip(nums, ds)], c


def min_sq_distance(xs):
    """Exact min over i != j of |x_i - x_j|^2 as a reduced (num, den); (0, 1) when N < 2.
    Points are scaled to integers and swept in lexicographic order: a pair whose first-coordinate
    gap alone reaches the best value so far ends the inner loop."""
    if len(xs) < 2:
        return 0, 1
    den = math.lcm(*(q for x in xs for _, q in x))
    pts = sorted([p * (den // q) for p, q in x] for x in xs)
    best = None
    for i, a in enumerate(pts):
        for j in range(i + 1, len(pts)):
            b = pts[j]
            gap = b[0] - a[0]
            if best is not None and gap * gap >= best:
                break
            s = sum((u - v) * (u - v) for u, v in zip(a, b))
            if best is None or s < best:
                best = s
    g = math.gcd(best, den * den)
    return best // g, den * den // g


def minor_version(cert):
    return int(cert["version"].split(".")[1])


def gp_work(n, d):
    return math.comb(n, d) * d * max(d - 1, 1) ** 3 if n > d else n * d * d


def det(m):
    """Determinant of a square integer matrix (Bareiss: every division is exact)."""
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
    den = math.lcm(*(q for x in xs for _, q in x)) if xs else 1
    pts = [[p * (den // q) for p, q in x] for x in xs]
    n, d = len(pts), len(pts[0]) if pts else 0
    if len({tuple(x) for x in pts}) < n:
        return False
    if d == 1 or n <= 1:
        return True
    if n <= d:                              # rank of {x_i - x_1} must be N - 1: Gram determinant != 0
        diffs = [[a - b for a, b in zip(x, pts[0])] for x in pts[1:]]
        return det([[sum(a * b for a, b in zip(u, v)) for v in diffs] for u in diffs]) != 0
    for s in itertools.combinations(range(n), d - 1):
        p = pts[s[0]]
        base = [[a - b for a, b in zip(pts[i], p)] for i in s[1:]]
        seen = set()
        for j in range(s[-1] + 1, n):
            rows = base + [[a - b for a, b in zip(pts[j], p)]]
            normal = [(-1) ** k * det([r[:k] + r[k + 1:] for r in rows]) for k in range(d)]
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


def forward(entries, x):
    """Exact forward pass of one point; x is a list of (num, den).  Returns [(num, den)].

    The point's values are integers over one positive denominator c; neuron j's pre-activation
    is (W_j . a + b_j c) / (den_j c), activated on the numerator, reduced, and the layer's new
    common denominator is the lcm of the reduced ones.  A residual block adds its output to
    its input (over the lcm of the two denominators)."""
    c = math.lcm(*(q for _, q in x))
    a = [p * (c // q) for p, q in x]
    for entry in entries:
        if len(entry) == 1:
            a, c = apply_layer(entry[0], a, c)
        else:
            a1, c1 = apply_layer(entry[1], *apply_layer(entry[0], a, c))
            l = math.lcm(c, c1)
            a, c = [u * (l // c) + v * (l // c1) for u, v in zip(a, a1)], l
    out = []
    for v in a:
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

    ts = [Fraction(0), Fraction(1)]
    for k in range(len(entries) - 1):      # the hidden maps: plain layers and residual inners
        act, rows, bias, dens = entries[k][0]
        zs = []
        for t in ts:
            h = [Fraction(p, q) for p, q in forward(entries[:k], point(t))]
            zs.append([(Fraction(b) + sum(w * x for w, x in zip(r, h))) / den for r, b, den in zip(rows, bias, dens)])
        new = set()
        for m in range(len(ts) - 1):
            for za, zb in zip(zs[m], zs[m + 1]):
                for b in BREAKS[act]:
                    if (za - b) * (zb - b) < 0:
                        new.add(ts[m] + (b - za) * (ts[m + 1] - ts[m]) / (zb - za))
        ts = sorted(set(ts) | new)
    ys = [Fraction(*forward(entries, point(t))[0]) for t in ts]
    slopes = [(ys[m + 1] - ys[m]) / (ts[m + 1] - ts[m]) for m in range(len(ts) - 1)]
    return 1 + sum(s0 != s1 for s0, s1 in zip(slopes, slopes[1:]))


# ---------------------------------------------------------------------------------------------
# Claims: "LHS op RHS" over integer variables the checker computed itself

# Grammar (docs/certificate-format.md):
#   claim := expr CMP expr        CMP in == <= >= < >
#   expr  := term (("+" | "-") term)*
#   term  := unary (("*" | "//") unary)*
#   unary := "-" unary | INT | NAME | "(" expr ")"
# INT is decimal without leading zeros, NAME a variable the checker computed.  Nothing else.
TOKEN = re.compile(r"\s*(?:(0|[1-9][0-9]*)|([A-Za-z_][A-Za-z0-9_]*)|(//|==|<=|>=|[-+*()<>]))")
CMP = {"==": lambda a, b: a == b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
       "<": lambda a, b: a < b, ">": lambda a, b: a > b}


def tokenize(statement):
    tokens, pos = [], 0
    while pos < len(statement):
        if statement[pos:].strip() == "":
            break
        m = TOKEN.match(statement, pos)
        if not m:
            raise malformed(f"claim {statement!r}: unexpected character at position {pos}")
        num, name, op = m.groups()
        tokens.append(("int", int(num)) if num else ("name", name) if name else ("op", op))
        pos = m.end()
    return tokens


class ClaimParser:
    def __init__(self, statement, env):
        self.statement, self.env, self.tokens, self.i = statement, env, tokenize(statement), 0

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
            v = v + w if op == "+" else v - w

    def term(self):
        v = self.unary()
        while True:
            op = self.take("*", "//")
            if op is None:
                return v
            w = self.unary()
            if op == "*":
                v = v * w
            elif w == 0:
                self.fail("division by zero")
            else:
                v = v // w

    def unary(self):
        if self.take("-"):
            return -self.unary()
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
            return self.env[val]
        self.fail("expected a number, a variable or '('")


def check_claims(cert, env):
    lines, seen = [], set()
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


def check(path, quiet=False, allow_dataset_symlink=False):
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

    acts = {entry[0][0] for entry in layers[:-1]}
    env = {k: v for k, v in sizes.items() if k not in ("widths", "layer_bits")}
    env.update({f"d{k}": w for k, w in enumerate(sizes["widths"], 1)})
    env.update({"N": n, "d": d, "dy": dy, "hidden": sizes["hidden_neurons"], "classes": ds["classes"],
                "log2_classes_floor": max(ds["classes"].bit_length() - 1, 0),
                "bits_after_first": max(sizes["layer_bits"][1:], default=0),
                "residual_hidden": sum(len(entry[0][3]) for entry in layers if len(entry) == 2),
                "relu_hidden": int(acts == {"relu"}), "hardtanh_hidden": int(acts == {"hardtanh"}),
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
    env = LazyEnv(env)
    msd = []                                # computed once, only if a claim names it

    def min_sq(part):
        if not msd:
            msd.extend(min_sq_distance(ds["x"]))
        return msd[part]
    env.update({"min_sq_dist_num": lambda: min_sq(0), "min_sq_dist_den": lambda: min_sq(1)})
    out += check_claims(cert, env)

    body = {k: v for k, v in cert.items() if k != "certificate_sha256"}
    digest = hashlib.sha256(canonical(body)).hexdigest()
    if digest != cert["certificate_sha256"]:
        raise rejected(f"certificate_sha256 mismatch: computed {digest}, certificate says {cert['certificate_sha256']}")
    c = cert["construction"]
    out.append(f"c construction: {c['id']} ({c['paper']}, {c['theorem']})")
    out.append("c UNCHECKED (informative only): construction.params, recipe, info, generator")
    return out, f"{digest} {ds['sha256']}"


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
    out_rows, out_bias, out_dens = [], [], []
    for r, b, den in zip(rows, bias, dens):
        parts = [round_value(v, den, kind, n) for v in r + [b]]
        E = max([0] + [-e for m, e in parts if m])
        nums = [m << (e + E) if m else 0 for m, e in parts]
        g = math.gcd(1 << E, *nums)
        out_rows.append([v // g for v in nums[:-1]])
        out_bias.append(nums[-1] // g)
        out_dens.append((1 << E) // g)
    return act, out_rows, out_bias, out_dens


def check_witness(path):
    try:
        data = read_bytes(path)
    except OSError as e:
        raise Verdict(5, f"cannot read {path}: {e.strerror}")
    w = parse_json(data)
    if not isinstance(w, dict) or w.get("format") != "exactmem-precision-witness":
        raise malformed("format: expected 'exactmem-precision-witness'")
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
    if not isinstance(w["source"], dict) or not is_sha256(w["witness_sha256"]):
        raise malformed("source must be an object and witness_sha256 64 lowercase hex digits")
    for key in ("original_network", "network"):     # the size limits of section 17, for one point
        check_limits({"dataset": {"n": 1, "d": len(x)}, "network": w[key], "claims": []})
    original = load_network({"network": w["original_network"]}, len(x), len(y))
    network = load_network({"network": w["network"]}, len(x), len(y))
    for k, (eo, en) in enumerate(zip(original, network), 1):
        if len(eo) != len(en) or [round_map(m, kind, n) for m in eo] != en:
            raise rejected(f"network layer {k} is not original_network's layer {k} rounded ({kind}, {letter}={n})")
    if len(original) != len(network):
        raise rejected("network and original_network have different numbers of layers")
    out = forward(network, x)
    claimed = [to_rat(v, "output") for v in lst(w["output"], "output", len(y))]
    if out != claimed:
        o = next(i for i, (a, b) in enumerate(zip(out, claimed)) if a != b)
        raise rejected(f"output {o}: the network computes {fmt(*out[o])}, the witness claims {fmt(*claimed[o])}")
    if task == "classification":
        (p, q), c = out[0], y[0][0]
        violated = 2 * abs(p - c * q) >= q
    else:
        tp, tq = tol
        violated = any(abs(p * yq - yp * q) * tq > tp * q * yq for (p, q), (yp, yq) in zip(out, y))
    if not violated:
        raise rejected(f"the output {', '.join(fmt(*v) for v in out)} meets the rule {rule}: not a witness")
    digest = hashlib.sha256(canonical({k: v for k, v in w.items() if k != "witness_sha256"})).hexdigest()
    if digest != w["witness_sha256"]:
        raise rejected(f"witness_sha256 mismatch: computed {digest}, witness says {w['witness_sha256']}")
    lines = [f"c rounding: {kind} {letter}={n} of original_network recomputed; it equals network "
             f"({len(network)} layers)",
             f"c point {index}: evaluated exactly, output {', '.join(fmt(*v) for v in out)}",
             f"c decision rule: {rule} does not hold",
             "c UNCHECKED (informative only): source, and that the point and label are the source dataset's"]
    return lines, f"WITNESS {digest} point {index}: rounding {kind} {letter}={n} violates {rule}"


def printable(text):
    """Escape every non-printable character (newlines, U+2028, ...): text taken from a
    certificate can never start a line of its own, let alone a forged verdict line."""
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
                        help="refuse when N * params_dense exceeds this (default %(default)s)")
    parser.add_argument("--allow-dataset-symlink", action="store_true",
                        help="follow a dataset file that is a symbolic link (refused by default)")
    parser.add_argument("--witness", action="store_true",
                        help="the file is a precision witness (exactmem precision; docs/precision.md)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the verdict line")
    code, lines, tail = 5, [], ""
    try:
        args = parser.parse_args(argv)
        LIMITS["int_bits"], LIMITS["bytes"] = args.max_int_bits, args.max_bytes
        LIMITS["layers"], LIMITS["width"] = args.max_layers, args.max_width
        LIMITS["points"], LIMITS["work"] = args.max_points, args.max_work
        lines, tail = (check_witness(args.certificate) if args.witness else
                       check(args.certificate, allow_dataset_symlink=args.allow_dataset_symlink))
        code = 0
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
