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
  4 RESOURCE     a resource limit was hit (integer too long, file too big, out of memory)
  5 USAGE        bad command line or unreadable file
"""

import argparse
import hashlib
import json
import math
import os
import re
import sys
from operator import mul

CHECKER_VERSION = "1.0"
SUPPORTED_MAJOR, SUPPORTED_MINOR = 1, 0
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
DEFAULT_LIMITS = {"int_bits": 1 << 22, "bytes": 1 << 31}
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
    need(cert, TOP, "top level")
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


def load_dataset(cert, cert_dir):
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
        try:
            raw = read_bytes(os.path.join(cert_dir, name))
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


def load_network(cert, d, dy):
    net = need(cert["network"], ("input_dim", "layers"), "network")
    if count(net["input_dim"], "network.input_dim", 1) != d:
        raise rejected(f"network.input_dim {net['input_dim']} differs from the data dimension {d}")
    layers = []
    n_in = d
    for k, layer in enumerate(lst(net["layers"], "network.layers"), 1):
        where = f"layer {k}"
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
        layers.append((act, rows, bias, dens))
        n_in = n_out
    if not layers:
        raise malformed("network.layers: at least one layer is needed")
    if layers[-1][0] != "identity":
        raise rejected("output layer: activation must be identity")
    if n_in != dy:
        raise rejected(f"network has {n_in} outputs, the labels have dy = {dy}")
    return layers


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


def recompute_sizes(layers, d):
    widths = [len(layer[3]) for layer in layers[:-1]]
    dims = [d] + [len(layer[3]) for layer in layers]
    layer_bits, numbits, nonzero = [], 0, 0
    for act, rows, bias, dens in layers:
        best = 0
        for r, b, den in zip(rows, bias, dens):
            for v in r + [b]:
                if v:
                    nonzero += 1
                best = max(best, bitlen_rat(v, den))
                numbits = max(numbits, abs(v // math.gcd(v, den)).bit_length())
        layer_bits.append(best)
    return {
        "depth": len(layers),
        "width": max(widths, default=0),
        "widths": widths,
        "hidden_neurons": sum(widths),
        "params_dense": sum((a + 1) * b for a, b in zip(dims, dims[1:])),
        "params_nonzero": nonzero,
        "bit_complexity": max(layer_bits),
        "max_numerator_bits": numbits,
        "layer_bits": layer_bits,
    }


def forward(layers, x):
    """Exact forward pass of one point; x is a list of (num, den).  Returns [(num, den)].

    The point's values are integers over one positive denominator c; neuron j's pre-activation
    is (W_j . a + b_j c) / (den_j c), activated on the numerator, reduced, and the layer's new
    common denominator is the lcm of the reduced ones."""
    c = math.lcm(*(q for _, q in x))
    a = [p * (c // q) for p, q in x]
    for act, rows, bias, dens in layers:
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
        a = [v * (c // q) for v, q in zip(nums, ds)]
    out = []
    for v in a:
        g = math.gcd(v, c)
        out.append((v // g, c // g))
    return out


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
    if path == "-":
        data = sys.stdin.buffer.read(LIMITS["bytes"] + 1)
    else:
        if os.path.getsize(path) > LIMITS["bytes"]:
            raise Verdict(4, f"{path}: larger than --max-bytes={LIMITS['bytes']}")
        with open(path, "rb") as f:
            data = f.read()
    if len(data) > LIMITS["bytes"]:
        raise Verdict(4, f"input larger than --max-bytes={LIMITS['bytes']}")
    return data


def check(path, quiet=False):
    try:
        data = read_bytes(path)
    except OSError as e:
        raise Verdict(5, f"cannot read {path}: {e.strerror}")
    cert = parse_json(data)
    check_header(cert)
    if data != canonical(cert) + b"\n":
        raise malformed("file is not in canonical form (sorted keys, no whitespace, one final newline)")
    out = []
    ds = load_dataset(cert, os.path.dirname(os.path.abspath(path)) if path != "-" else ".")
    n, d, dy = ds["n"], ds["d"], ds["dy"]
    out.append(f"c dataset: N={n} d={d} dy={dy} task={ds['task']} sha256={ds['sha256']}")
    layers = load_network(cert, d, dy)

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

    acts = {layer[0] for layer in layers[:-1]}
    env = {k: v for k, v in sizes.items() if k not in ("widths", "layer_bits")}
    env.update({f"d{k}": w for k, w in enumerate(sizes["widths"], 1)})
    env.update({"N": n, "d": d, "dy": dy, "hidden": sizes["hidden_neurons"], "classes": ds["classes"],
                "log2_classes_floor": max(ds["classes"].bit_length() - 1, 0),
                "bits_after_first": max(sizes["layer_bits"][1:], default=0),
                "relu_hidden": int(acts == {"relu"}), "hardtanh_hidden": int(acts == {"hardtanh"}),
                "distinct_points": int(len({tuple(x) for x in ds["x"]}) == n),
                "labels_in_unit_box": int(ds["task"] == "regression" and
                                          all(-q <= p <= q for y in ds["y"] for p, q in y)),
                "one_hot_labels": int(ds["task"] == "regression" and
                                      all(sorted(y) == [(0, 1)] * (len(y) - 1) + [(1, 1)] for y in ds["y"]))})
    out += check_claims(cert, env)

    body = {k: v for k, v in cert.items() if k != "certificate_sha256"}
    digest = hashlib.sha256(canonical(body)).hexdigest()
    if digest != cert["certificate_sha256"]:
        raise rejected(f"certificate_sha256 mismatch: computed {digest}, certificate says {cert['certificate_sha256']}")
    c = cert["construction"]
    out.append(f"c construction: {c['id']} ({c['paper']}, {c['theorem']})")
    out.append("c UNCHECKED (informative only): construction.params, recipe, info, generator")
    return out, f"{digest} {ds['sha256']}"


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
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the verdict line")
    code, lines, tail = 5, [], ""
    try:
        args = parser.parse_args(argv)
        LIMITS["int_bits"], LIMITS["bytes"] = args.max_int_bits, args.max_bytes
        lines, tail = check(args.certificate)
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
    for line in lines:
        print(printable(line))
    print(f"s {VERDICTS[code]} {printable(tail)}".rstrip())
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
