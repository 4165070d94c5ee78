"""Systematic tampering with every golden certificate; the checker must never accept a false one.

All runs are in-process (check.py imported from its path, ``main(argv)`` with stdout captured):
about 2,500 checker runs, some 15 s.

Mutations are checked *differentially*: this file has its own small evaluator
(``fractions.Fraction``, written from docs/certificate-format.md, not from check.py's integer
code).  A tampered certificate whose hashes are recomputed can still be *true* -- a weight into
a ReLU that is negative on every data point, a data point moved without crossing a kink -- and
then VERIFIED is the right answer.  So the checker's verdict is compared with the evaluator's:
every rejection's stated reason must be real, and every acceptance must come with a reason
found by evaluation why the outputs, sizes and claims are unchanged.
"""

import ast
import contextlib
import hashlib
import importlib.util
import io
import itertools
import json
import math
import os
import random
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mutation_report as report

ROOT = Path(__file__).resolve().parents[1]
# EXACTMEM_CHECKER_DIR: the check*.py files under test (a mutated copy, tools/mutate_checker.py);
# the goldens stay the repository's.
CHECK = Path(os.environ.get("EXACTMEM_CHECKER_DIR") or ROOT / "certificates") / "check.py"
GOLDENS = sorted((ROOT / "certificates" / "golden").glob("*.json"))
GOLDEN_IDS = [p.stem for p in GOLDENS]
SIZES = ("depth", "width", "widths", "hidden_neurons", "params_dense", "params_nonzero",
         "bit_complexity", "max_numerator_bits", "layer_bits")
# Weight/bias mutations: every entry with +1 and -1 for certificates with at most this many
# weights and biases (all zhang17/ysj19 goldens), a deterministic sample of SAMPLE_ENTRIES
# entries (one sign each) for bigger ones.  EXACTMEM_TAMPER_ALL=1 mutates everything everywhere.
EXHAUSTIVE_ENTRIES = 300
SAMPLE_ENTRIES = 60


# ---------------------------------------------------------------------------------------------
# Running the checker in-process

def _load_checker():
    spec = importlib.util.spec_from_file_location("exactmem_check_under_tamper", CHECK)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


CHECKER = _load_checker()
DEFAULT_LIMITS = CHECKER.DEFAULT_LIMITS._asdict()


@pytest.fixture(scope="module")
def check(tmp_path_factory):
    """check(bytes) -> (exit code, last stdout line); asserts no traceback and a well-formed tail."""
    path = tmp_path_factory.mktemp("tamper") / "cert.json"

    def run(data):
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = CHECKER.main([str(path)])
        text = out.getvalue() + err.getvalue()
        assert "Traceback" not in text
        assert "internal checker error" not in text, text[-500:]
        assert 0 <= code <= 5
        lines = out.getvalue().strip("\n").splitlines()
        assert lines and lines[-1].startswith("s " + CHECKER.VERDICTS[code])
        return code, lines[-1]

    return run


# ---------------------------------------------------------------------------------------------
# Certificate helpers

def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def rehash(cert, dataset=True):
    """Recompute the dataset sha256 (inline data) and the certificate_sha256, in place."""
    if dataset:
        cert["dataset"]["sha256"] = hashlib.sha256(canonical(cert["dataset"]["inline"])).hexdigest()
    body = {k: v for k, v in cert.items() if k != "certificate_sha256"}
    cert["certificate_sha256"] = hashlib.sha256(canonical(body)).hexdigest()
    return cert


def dump(cert):
    return canonical(cert) + b"\n"


def enc_int(v):
    return str(v) if -(1 << 53) < v < (1 << 53) else ("-" if v < 0 else "") + hex(abs(v))


def dec_int(s):
    neg = s.startswith("-")
    body = s[1:] if neg else s
    v = int(body[2:], 16) if body.startswith("0x") else int(body, 10)
    assert enc_int(-v if neg else v) == s, s
    return -v if neg else v


def dec_rat(s):
    num, _, den = s.partition("/")
    return Fraction(dec_int(num), dec_int(den) if den else 1)


def enc_rat(q):
    return enc_int(q.numerator) if q.denominator == 1 else f"{enc_int(q.numerator)}/{enc_int(q.denominator)}"


@pytest.fixture(scope="module")
def goldens():
    return {p.stem: (p.read_bytes(), json.loads(p.read_bytes())) for p in GOLDENS}


def fresh(goldens, name):
    return json.loads(goldens[name][0])


# ---------------------------------------------------------------------------------------------
# Independent evaluator (Fractions; not check.py's integer code)

ACT = {"relu": lambda z: max(z, Fraction(0)),
       "hardtanh": lambda z: min(max(z, Fraction(-1)), Fraction(1)),
       "identity": lambda z: z}


def affine_maps(cert):
    """(layer object, kind) for every affine map in order: a plain layer is kind "plain", a
    residual block h <- h + outer(inner(h)) gives an "inner" and an "outer" map (format section 9)."""
    maps = []
    for L in cert["network"]["layers"]:
        if "residual" in L:
            maps += [(L["residual"]["inner"], "inner"), (L["residual"]["outer"], "outer")]
        else:
            maps.append((L, "plain"))
    return maps


def network(cert):
    """[(activation, integer rows, integer biases, denominators, kind)] per affine map."""
    return [(L["activation"], [[dec_int(v) for v in row] for row in L["weights"]],
             [dec_int(v) for v in L["bias"]], [dec_int(v) for v in L["dens"]], kind)
            for L, kind in affine_maps(cert)]


def data(cert):
    body = cert["dataset"]["inline"]
    xs = [[dec_rat(v) for v in p] for p in body["points"]]
    if body["task"] == "classification":
        ys = [[Fraction(c)] for c in body["labels"]]
    else:
        ys = [[dec_rat(v) for v in y] for y in body["labels"]]
    return xs, ys


def neuron(layer, j, a):
    act, rows, bias, dens, _ = layer
    # Fraction(...): with every weight 0 the sum is the int 0, and int / int would be a float.
    return ACT[act](Fraction(sum(w * v for w, v in zip(rows[j], a) if w) + bias[j], dens[j]))


def stream_at(layers, k, ins):
    """The residual stream an outer map k adds its output to: the input of its inner map."""
    return ins[k - 1] if layers[k][4] == "outer" else None


def apply_map(layers, k, a, stream):
    """The values entering map k+1, given the values a entering map k (and, for an outer map,
    the stream its output is added to)."""
    out = [neuron(layers[k], j, a) for j in range(len(layers[k][3]))]
    return [h + v for h, v in zip(stream, out)] if layers[k][4] == "outer" else out


def forward_from(layers, k, a, stream=None):
    """Run maps k, k+1, ... on the values a entering map k (stream: see apply_map)."""
    for m in range(k, len(layers)):
        if layers[m][4] == "inner":
            stream = a
        a = apply_map(layers, m, a, stream)
    return a


def layer_inputs(layers, x):
    """The values entering each map (index k: the input of map k), and the output last."""
    ins = [list(x)]
    for k in range(len(layers)):
        ins.append(apply_map(layers, k, ins[-1], stream_at(layers, k, ins)))
    return ins


def sizes(layers, d):
    """Section 12, with residual blocks: a block counts its inner width as a hidden width and
    both of its maps in depth, layer_bits and params_dense (the stream keeps its dimension)."""
    widths, dense, n_in = [], 0, d
    for k, (_, _, _, dens, kind) in enumerate(layers):
        dense += (n_in + 1) * len(dens)
        if kind != "outer" and k < len(layers) - 1:
            widths.append(len(dens))
        n_in = len(dens)
    per_layer = [[Fraction(v, den) for r, b, den in zip(rows, bias, dens) for v in r + [b]]
                 for _, rows, bias, dens, _ in layers]
    bits = [max(abs(q.numerator).bit_length() + q.denominator.bit_length() for q in qs) for qs in per_layer]
    return {"depth": len(layers), "width": max(widths, default=0), "widths": widths,
            "hidden_neurons": sum(widths), "params_dense": dense,
            "params_nonzero": sum(q != 0 for qs in per_layer for q in qs), "bit_complexity": max(bits),
            "max_numerator_bits": max(abs(q.numerator).bit_length() for qs in per_layer for q in qs),
            "layer_bits": bits}


@pytest.fixture(scope="module")
def evaluated(goldens):
    """name -> (layers, xs, ys, per-point layer inputs), evaluated once per golden."""
    cache = {}

    def get(name):
        if name not in cache:
            cert = goldens[name][1]
            layers, (xs, ys) = network(cert), data(cert)
            cache[name] = (layers, xs, ys, [layer_inputs(layers, x) for x in xs])
        return cache[name]

    return get


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_independent_evaluator_agrees_on_goldens(goldens, evaluated, name):
    cert = goldens[name][1]
    layers, xs, ys, ins = evaluated(name)
    assert sizes(layers, cert["dataset"]["d"]) == cert["sizes"]
    for i in range(len(xs)):
        assert all(type(v) is Fraction for a in ins[i] for v in a), "the evaluator must stay exact"
        assert ins[i][-1] == ys[i] == [dec_rat(v) for v in cert["outputs"][i]], f"point {i}"


# ---------------------------------------------------------------------------------------------
# Weight / bias numerators +-1

def entries(cert, name):
    """(layer, neuron, slot, delta) mutations: every weight (slot < fan-in) and bias
    (slot == fan-in) with +1 and -1 when a certificate has at most EXHAUSTIVE_ENTRIES of them,
    else a deterministic sample of SAMPLE_ENTRIES, each with one deterministic sign."""
    all_entries = [(k, j, i) for k, (L, _) in enumerate(affine_maps(cert))
                   for j, row in enumerate(L["weights"]) for i in range(len(row) + 1)]
    if len(all_entries) <= EXHAUSTIVE_ENTRIES or os.environ.get("EXACTMEM_TAMPER_ALL"):
        return [(k, j, i, delta) for k, j, i in all_entries for delta in (1, -1)]
    rng = random.Random(name)
    return [(k, j, i, rng.choice((1, -1))) for k, j, i in sorted(rng.sample(all_entries, SAMPLE_ENTRIES))]


def mutate_entry(cert, k, j, i, delta):
    """Add delta to one numerator, keeping the row canonical.

    A row is canonical when gcd(den, bias, weights) == 1.  Adding +-1 can break that (e.g. den
    65536 = 2**16 with weight 65536 and an odd bias: bias +- 1 makes every entry even).  Such a
    mutation is not skipped: the row is divided by the new common factor, which encodes the very
    same mutated rational network canonically, so the checker still sees the intended change."""
    L = affine_maps(cert)[k][0]
    row = [dec_int(v) for v in L["weights"][j]]
    bias, den = dec_int(L["bias"][j]), dec_int(L["dens"][j])
    if i < len(row):
        row[i] += delta
    else:
        bias += delta
    g = math.gcd(den, bias, *row)
    L["weights"][j] = [enc_int(v // g) for v in row]
    L["bias"][j], L["dens"][j] = enc_int(bias // g), enc_int(den // g)
    return g


def mutated_outputs(orig, mutated, ins, k, j, points):
    """Outputs of the mutated network on the given points (only layers k.. are re-run)."""
    out = {}
    for p in points:
        stream = stream_at(orig, k, ins[p])
        a = list(ins[p][k + 1])
        a[j] = neuron(mutated[k], j, ins[p][k]) + (stream[j] if stream else 0)
        out[p] = forward_from(mutated, k + 1, a, ins[p][k] if orig[k][4] == "inner" else None)
    return out


def why_harmless(orig, mutated, ins, ys, k, j, i):
    """A reason, found by evaluation on every data point, why the mutated network computes
    the same outputs as the original; None if its outputs differ somewhere."""
    n_in = len(ins[0][k])
    if i < n_in and all(a[k][i] == 0 for a in ins):
        return "its input is 0 on every data point"
    changed = [p for p, a in enumerate(ins) if neuron(mutated[k], j, a[k]) != neuron(orig[k], j, a[k])]
    if not changed:
        return f"the {orig[k][0]} neuron's output is unchanged on every point (dead or saturated)"
    # A map's output feeds only the next map, unless it is (part of) a residual stream.
    feeds_next_only = orig[k][4] == "inner" or (orig[k][4] == "plain" and k + 1 < len(orig)
                                                 and orig[k + 1][4] == "plain")
    if feeds_next_only and all(row[j] == 0 for row in orig[k + 1][1]):
        return "the neuron has no nonzero outgoing weight"
    outs = mutated_outputs(orig, mutated, ins, k, j, changed)
    if all(outs[p] == ys[p] for p in changed):
        return f"the neuron's output changes on points {changed[:5]}, but the outputs do not"
    return None


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_every_weight_plus_minus_one(goldens, evaluated, check, name):
    base = goldens[name][1]
    orig, xs, ys, ins = evaluated(name)
    d = base["dataset"]["d"]
    accepted, wrong = [], []
    for k, j, i, delta in entries(base, name):
        cert = fresh(goldens, name)
        mutate_entry(cert, k, j, i, delta)
        code, tail = check(dump(rehash(cert, dataset=False)))
        layers = network(cert)
        where = f"layer {k + 1} neuron {j} {'bias' if i == len(orig[k][1][j]) else f'weight {i}'} {delta:+d}"
        if code == 1:
            # The checker's stated reason must be true by the independent evaluator.
            msg = tail[len("s REJECTED "):]
            n_wrong = len(wrong)
            if msg.startswith("sizes."):
                key = msg[len("sizes."):].split(":")[0]
                if sizes(layers, d)[key] == base["sizes"][key]:
                    wrong.append(f"{where}: rejected for {key}, which did not change")
            elif msg.startswith("point "):
                p = int(msg.split()[1])
                if mutated_outputs(orig, layers, ins, k, j, [p])[p] == ys[p]:
                    wrong.append(f"{where}: rejected at point {p}, which is still correct")
            elif msg.startswith("claim ") and "pieces_on_segment" in msg:
                # outputs unchanged, but the piece count between the data points changed (1.1)
                if truly_valid(cert) != f"claim {msg.split()[1]} fails":
                    wrong.append(f"{where}: rejected for {msg[:80]}, not confirmed by evaluation")
            else:
                wrong.append(f"{where}: unexpected rejection {tail[:200]}")
            report.mutant("weight/bias numerator +-1", code,
                          True if len(wrong) > n_wrong else "the stated reason is confirmed", f"{name} {where}")
        elif code == 0:
            # Accepted: then the mutated certificate must be *true* -- same sizes, same outputs
            # on every point -- and the evaluation must show why the change is harmless.
            same_sizes = sizes(layers, d) == base["sizes"]
            reason = why_harmless(orig, layers, ins, ys, k, j, i)
            if not same_sizes or reason is None:
                wrong.append(f"{where}: ACCEPTED a false certificate (sizes equal: {same_sizes}, "
                             f"outputs equal: {reason is not None})")
            accepted.append((where, reason))
            report.mutant("weight/bias numerator +-1", code, True if same_sizes and reason else "false",
                          f"{name} {where}", reason and re.sub(r"\[[0-9, ]*\]", "[...]", reason))
        else:
            wrong.append(f"{where}: exit {code}: {tail[:200]}")
            report.mutant("weight/bias numerator +-1", code, True, f"{name} {where}")
    assert not wrong, "\n".join(wrong[:40])
    # Acceptances happen where a construction has neurons that are dead (or saturated) on the
    # whole data set, or have no outgoing weight; printed for the record (pytest -s).
    for where, reason in accepted:
        print(f"{name}: accepted harmless mutation {where}: {reason}")


# ---------------------------------------------------------------------------------------------
# Labels, points, sizes, the largest integer, unknown fields

@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_swapped_labels(goldens, check, name):
    cert = fresh(goldens, name)
    labels = cert["dataset"]["inline"]["labels"]
    pairs = [(i, j) for i in range(len(labels)) for j in range(i + 1, len(labels)) if labels[i] != labels[j]]
    if not pairs:
        pytest.skip(f"all {len(labels)} labels are equal: swapping two changes nothing")
    i, j = pairs[0]
    labels[i], labels[j] = labels[j], labels[i]
    code, tail = check(dump(cert))                      # stale dataset hash
    report.mutant("labels of two points swapped", code, "stale dataset hash", name)
    assert code == 1 and "dataset sha256 mismatch" in tail
    code, tail = check(dump(rehash(cert)))              # consistent hashes: the forward pass rejects
    report.mutant("labels of two points swapped", code, f"point {i} has another label", name)
    assert code == 1 and tail.startswith(f"s REJECTED point {i} output "), tail


def claim_env(cert, n):
    """The claim variables (docs/certificate-format.md, section 13) for this certificate with N = n."""
    layers = network(cert)
    xs, ys = data(cert)
    s = cert["sizes"]
    acts = {L[0] for L in layers[:-1] if L[4] != "outer"}
    classes = cert["dataset"]["inline"]["classes"] or 0
    env = {k: v for k, v in s.items() if k not in ("widths", "layer_bits")}
    env.update({f"d{k}": w for k, w in enumerate(s["widths"], 1)})
    env.update({"N": n, "d": cert["dataset"]["d"], "dy": cert["dataset"]["dy"], "hidden": s["hidden_neurons"],
                "classes": classes, "log2_classes_floor": max(classes.bit_length() - 1, 0),
                "bits_after_first": max(s["layer_bits"][1:], default=0),
                "relu_hidden": int(acts == {"relu"}), "hardtanh_hidden": int(acts == {"hardtanh"}),
                "distinct_points": int(len({tuple(x) for x in xs}) == n),
                "labels_in_unit_box": int(cert["dataset"]["inline"]["task"] == "regression"
                                          and all(-1 <= v <= 1 for y in ys for v in y)),
                "one_hot_labels": int(cert["dataset"]["inline"]["task"] == "regression"
                                      and all(sorted(y) == [0] * (len(y) - 1) + [1] for y in ys)),
                "residual_hidden": sum(len(L[3]) for L in layers if L[4] == "inner")})
    sq = min((sum((u - v) ** 2 for u, v in zip(a, b)) for i, a in enumerate(xs) for b in xs[i + 1:]),
             default=Fraction(0))
    env.update({"min_sq_dist_num": sq.numerator, "min_sq_dist_den": sq.denominator})
    if any("general_position" in c["statement"] for c in cert["claims"]):
        env["general_position"] = int(in_general_position(xs))
    if "segment" in cert and cert["dataset"]["dy"] == 1 and any("pieces_on_segment" in c["statement"]
                                                                for c in cert["claims"]):
        env["pieces_on_segment"] = pieces_on_segment(layers, [dec_rat(v) for v in cert["segment"]["from"]],
                                                     [dec_rat(v) for v in cert["segment"]["to"]])
    if "segment" in cert and any("alternating_on_segment" in c["statement"] for c in cert["claims"]):
        env["alternating_on_segment"] = alternating_on_segment(
            xs, ys, [dec_rat(v) for v in cert["segment"]["from"]], [dec_rat(v) for v in cert["segment"]["to"]])
    return env


def alternating_on_segment(xs, ys, u, v):
    """Format 1.2, section 21.2 (the counting lemma's hypothesis), not check.py's way: dy = 1,
    every point is u + t (v - u) for one t in [0, 1] (t from the least-squares projection, then
    the point must equal u + t (v - u) exactly), the t are distinct, and the labels taken in
    increasing t go up and down in turn: every two consecutive differences have opposite signs
    (a zero difference has none).  With N <= 2 there are no two differences: 1."""
    if any(len(y) != 1 for y in ys):
        return 0
    w = [b - a for a, b in zip(u, v)]
    ww = sum(c * c for c in w)
    placed = []
    for x, y in zip(xs, ys):
        t = sum((xi - ui) * wi for xi, ui, wi in zip(x, u, w)) / ww
        if not 0 <= t <= 1 or [ui + t * wi for ui, wi in zip(u, w)] != list(x):
            return 0
        placed.append((t, y[0]))
    placed.sort()
    if len({t for t, _ in placed}) != len(placed):
        return 0
    signs = [(b > a) - (b < a) for (_, a), (_, b) in zip(placed, placed[1:])]
    return int(all(s * s2 == -1 for s, s2 in zip(signs, signs[1:])))


def pieces_on_segment(layers, u, v):
    """Affine pieces of the scalar output on u + t (v - u), 0 <= t <= 1 (format section 20), not
    check.py's way: every value is a piecewise-linear function of t, (knots, values), propagated
    map by map (affine combinations on the union of the knots, activations with their crossings
    inserted), checked against forward_from at the knots; pieces = 1 + the slope changes."""
    def at(f, t):
        k = next(k for k in range(len(f[0]) - 1) if f[0][k] <= t <= f[0][k + 1])
        (a, b), (fa, fb) = f[0][k:k + 2], f[1][k:k + 2]
        return fa + (fb - fa) * (t - a) / (b - a)

    def combine(fs, coef, const):
        knots = sorted({t for f in fs for t in f[0]})
        return knots, [const + sum((c * at(f, t) for c, f in zip(coef, fs) if c), Fraction(0)) for t in knots]

    def activate(f, act):
        breaks = {"relu": (0,), "hardtanh": (-1, 1), "identity": ()}[act]
        knots, vals = f
        new = sorted(set(knots) | {knots[k] + (b - vals[k]) * (knots[k + 1] - knots[k]) / (vals[k + 1] - vals[k])
                                   for k in range(len(knots) - 1) for b in breaks
                                   if (vals[k] - b) * (vals[k + 1] - b) < 0})
        return new, [ACT[act](at(f, t)) for t in new]

    fs, stream = [([Fraction(0), Fraction(1)], [a, b]) for a, b in zip(u, v)], None
    for act, rows, bias, dens, kind in layers:
        if kind == "inner":
            stream = fs
        out = [activate(combine(fs, [Fraction(w, den) for w in r], Fraction(b, den)), act)
               for r, b, den in zip(rows, bias, dens)]
        fs = [combine([h, o], [1, 1], 0) for h, o in zip(stream, out)] if kind == "outer" else out
    knots, vals = fs[0]
    for t, y in zip(knots, vals):
        assert forward_from(layers, 0, [a + t * (b - a) for a, b in zip(u, v)]) == [y]
    slopes = [(vals[k + 1] - vals[k]) / (knots[k + 1] - knots[k]) for k in range(len(knots) - 1)]
    return 1 + sum(s0 != s1 for s0, s1 in zip(slopes, slopes[1:]))


def in_general_position(xs):
    """Brute force over every subset of min(N, d+1) points (not check.py's C(N, d) normals):
    distinct points, and each subset's difference vectors of full rank (Fraction elimination)."""
    def rank(rows):
        rows, r = [list(v) for v in rows], 0
        for c in range(len(rows[0]) if rows else 0):
            p = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
            if p is None:
                continue
            rows[r], rows[p] = rows[p], rows[r]
            for i in range(r + 1, len(rows)):
                f = rows[i][c] / rows[r][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r])]
            r += 1
        return r
    if len({tuple(x) for x in xs}) < len(xs):
        return False
    k = min(len(xs), len(xs[0]) + 1)
    return all(rank([[a - b for a, b in zip(xs[i], xs[sub[0]])] for i in sub[1:]]) == k - 1
               for sub in itertools.combinations(range(len(xs)), k))


def side(node, env, recorded):
    """Value of one side of a claim.  A side without N cannot change when a point is dropped,
    so a variable this file does not know is only an error on a side that mentions N."""
    names = {x.id for x in ast.walk(node) if isinstance(x, ast.Name)}
    if not names <= set(env):
        assert "N" not in names, f"unknown claim variables {names - set(env)}"
        return dec_int(recorded)
    return eval(compile(ast.Expression(node), "<claim>", "eval"), {"__builtins__": {}}, dict(env))


def label_outside(cert):
    """Section 8.1: a class label is a JSON integer in 1..C (C = dataset.classes).  The index of
    the first classification label outside 1..C, else None (regression: None)."""
    body = cert["dataset"]["inline"]
    if body["task"] != "classification":
        return None
    return next((i for i, c in enumerate(body["labels"]) if not 1 <= c <= body["classes"]), None)


def truly_valid(cert, labels=True):
    """True if the certificate's statements all hold by the independent evaluator, else the
    first thing that fails (a string).  Hashes are not looked at.  labels=False leaves out the
    class-label rule (to show that a certificate is false for that rule alone)."""
    if labels and label_outside(cert) is not None:   # the dataset is read first (section 15, step 3)
        return f"label {label_outside(cert)} outside 1..C"
    layers, (xs, ys) = network(cert), data(cert)
    if sizes(layers, cert["dataset"]["d"]) != cert["sizes"]:
        return "sizes differ"
    for i, x in enumerate(xs):
        if forward_from(layers, 0, x) != ys[i] or [dec_rat(v) for v in cert["outputs"][i]] != ys[i]:
            return f"point {i} differs"
    env = claim_env(cert, len(xs))
    for c in cert["claims"]:
        tree = ast.parse(c["statement"], mode="eval").body
        lhs, rhs = side(tree.left, env, c["lhs"]), side(tree.comparators[0], env, c["rhs"])
        if (enc_int(lhs), enc_int(rhs)) != (c["lhs"], c["rhs"]) or not compare(tree, lhs, rhs):
            return f"claim {c['id']} fails"
    return True


def compare(tree, lhs, rhs):
    return {ast.Eq: lhs == rhs, ast.LtE: lhs <= rhs, ast.GtE: lhs >= rhs,
            ast.Lt: lhs < rhs, ast.Gt: lhs > rhs}[type(tree.ops[0])]


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_dropped_point(goldens, check, name):
    cert = fresh(goldens, name)
    inline = cert["dataset"]["inline"]
    inline["points"].pop()
    inline["labels"].pop()
    code, tail = check(dump(rehash(cert)))              # n still says N: structurally inconsistent
    report.mutant("last point dropped", code, "dataset.n no longer matches", name)
    assert code == 2 and "dataset.points: expected" in tail
    n = cert["dataset"]["n"] = len(inline["points"])
    cert["outputs"].pop()
    code, tail = check(dump(rehash(cert)))
    if n == 0:                                          # a dataset needs a point
        assert code == 2 and "dataset.n" in tail, tail
        return
    # Claims that involve N have stale recorded lhs/rhs now.
    mentions_n = any("N" in {x.id for x in ast.walk(ast.parse(c["statement"], mode="eval"))
                             if isinstance(x, ast.Name)} for c in cert["claims"])
    report.mutant("last point dropped", code, "stale claim values" if mentions_n else True, name,
                  "no claim mentions N; the network still memorizes the other points")
    assert (code, tail.startswith("s REJECTED claim ")) == ((1, True) if mentions_n else (0, False)), tail
    # Recompute every claim's lhs/rhs for N - 1.  The network still memorizes the remaining
    # points, so the certificate is true iff every claim still holds -- zhang17's d1 <= N fails
    # (it uses N hidden ReLUs for N points), ysj19's 4*(d1//4)*(d2//(4*dy)) >= N still holds --
    # and the checker must say exactly that.
    env, holds = claim_env(cert, n), True
    for c in cert["claims"]:
        tree = ast.parse(c["statement"], mode="eval").body
        lhs, rhs = side(tree.left, env, c["lhs"]), side(tree.comparators[0], env, c["rhs"])
        c["lhs"], c["rhs"] = enc_int(lhs), enc_int(rhs)
        holds &= compare(tree, lhs, rhs)
    code, tail = check(dump(rehash(cert)))
    report.mutant("last point dropped", code, True if holds else "a claim fails for N - 1", name,
                  "claims recomputed for N - 1 still hold; the network memorizes the other points")
    assert code == (0 if holds else 1), tail
    if not holds:
        # The checker names the first claim (in certificate order) that the evaluator finds false.
        first = next(c for c in cert["claims"]
                     if not compare(ast.parse(c["statement"], mode="eval").body, dec_int(c["lhs"]), dec_int(c["rhs"])))
        assert tail.startswith(f"s REJECTED claim {first['id']} (") and "is false" in tail, tail
    if name.startswith(("zhang17", "ysj19-thm3.3-knot")):     # the latter is zhang17's network
        assert not holds
    elif name.startswith("ysj19-thm3.3"):
        # The last point of the 3-layer golden sits between two points of the other label along
        # the segment: without it two neighbours share a label, so the counting lemma's
        # hypothesis (format 1.2, alternating_on_segment) no longer holds.
        assert not holds and env["alternating_on_segment"] == 0
    elif name.startswith("ysj19"):
        assert holds


@pytest.mark.parametrize("name", GOLDEN_IDS)
@pytest.mark.parametrize("key", SIZES)
def test_each_size_field(goldens, check, name, key):
    variants = []
    value = goldens[name][1]["sizes"][key]
    if isinstance(value, list):
        variants += [[value[0] + 1] + value[1:], value + [value[-1]], value[:-1]]
    else:
        variants += [value + 1, value - 1]
    for v in variants:
        cert = fresh(goldens, name)
        cert["sizes"][key] = v
        code, tail = check(dump(rehash(cert)))
        report.mutant("sizes field changed", code, f"sizes.{key} changed", name)
        assert code == 1 and tail.startswith(f"s REJECTED sizes.{key}:"), tail


def int_tokens(cert):
    """(holder, key, part) for every INT inside the certificate; part 0/1 = RAT numerator/den."""
    found = []

    def rats(lst):
        for row in lst:
            for idx in range(len(row)):
                found.extend((row, idx, part) for part in range(len(row[idx].split("/"))))

    body = cert["dataset"]["inline"]
    rats(body["points"])
    if body["task"] == "regression":
        rats(body["labels"])
    rats(cert["outputs"])
    for L, _ in affine_maps(cert):
        rats(L["weights"])
        rats([L["bias"], L["dens"]])
    return found


def token_value(holder, key, part):
    return dec_int(holder[key].split("/")[part])


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_flip_hex_digit_of_largest_integer(goldens, check, name):
    # 'Largest' by absolute value over every INT: dataset, outputs and network.
    base = goldens[name][1]
    tokens = int_tokens(base)
    idx = max(range(len(tokens)), key=lambda t: abs(token_value(*tokens[t])))
    v = token_value(*tokens[idx])
    ndig = (abs(v).bit_length() + 3) // 4               # hex digits of |v|
    done = 0
    for pos in range(ndig // 2, ndig):                  # middle hex digit first, then lower ones
        if done == 3:
            break
        flipped = abs(v) ^ (1 << (4 * (ndig - 1 - pos)))
        if flipped == 0 or (flipped.bit_length() + 3) // 4 != ndig:
            continue                                    # keep the leading digit
        cert = fresh(goldens, name)
        holder, key, part = int_tokens(cert)[idx]
        pieces = holder[key].split("/")
        pieces[part] = enc_int(-flipped if v < 0 else flipped)
        holder[key] = "/".join(pieces)
        try:                                             # keep the certificate canonical
            for L, _ in affine_maps(cert):
                for row, b, den in zip(L["weights"], L["bias"], L["dens"]):
                    assert math.gcd(*(dec_int(x) for x in row + [b, den])) == 1
            for holder2, key2, _ in int_tokens(cert):
                if "/" in holder2[key2]:
                    assert enc_rat(dec_rat(holder2[key2])) == holder2[key2]
        except AssertionError:
            continue
        stale_code, stale_tail = check(dump(cert))       # stale hashes: a hash, or an earlier check
        report.mutant("hex digit of the largest integer flipped", stale_code, "stale hashes", name)
        # Consistent hashes: the verdict must be the truth.  A flipped weight or output makes the
        # certificate false; a flipped data coordinate can leave it true (the point moves but
        # stays on the same side of every kink: vys21-depth-n30-L3's largest integer is the
        # denominator 65536 of a coordinate, and the classifier still maps 11093/65792 to the
        # same class), and then VERIFIED is the right answer.
        code, tail = check(dump(rehash(cert)))
        truth = truly_valid(cert)
        report.mutant("hex digit of the largest integer flipped", code, truth, name,
                      "a data coordinate moved without changing any output")
        assert code == (0 if truth is True else 1), f"checker: {tail[:200]}; evaluator: {truth}"
        if code == 1:
            assert "sha256" not in tail, tail
        # With stale hashes, section 15's order: a flipped dataset token meets the stale dataset
        # digest (step 3); any other is found by the check it breaks (the same line as with
        # fresh hashes), or, if the certificate is still true, by the certificate digest (step 10).
        if cert["dataset"]["inline"] != base["dataset"]["inline"]:
            expected = "s REJECTED dataset sha256 mismatch: "
        else:
            expected = tail if code == 1 else "s REJECTED certificate_sha256 mismatch: "
        assert stale_code == 1 and stale_tail.startswith(expected), (stale_tail[:200], expected[:100])
        done += 1
    assert done >= 1


NESTED = {
    "generator": lambda c: c["generator"],
    "construction": lambda c: c["construction"],
    "dataset": lambda c: c["dataset"],
    "dataset.inline": lambda c: c["dataset"]["inline"],
    "network": lambda c: c["network"],
    "network.layers[0]": lambda c: c["network"]["layers"][0],
    "network.layers[-1]": lambda c: c["network"]["layers"][-1],
    "sizes": lambda c: c["sizes"],
    "claims[0]": lambda c: c["claims"][0],
    "claims[-1]": lambda c: c["claims"][-1],
}


@pytest.mark.parametrize("name", GOLDEN_IDS)
@pytest.mark.parametrize("where", sorted(NESTED))
def test_unknown_nested_field(goldens, check, name, where):
    cert = fresh(goldens, name)
    NESTED[where](cert)["zz_unknown"] = "1"
    code, tail = check(dump(rehash(cert)))
    report.mutant("unknown field added", code, "unknown field", f"{name} {where}")
    assert code == 2 and "unknown fields ['zz_unknown']" in tail, tail


@pytest.mark.parametrize("name", GOLDEN_IDS)
@pytest.mark.parametrize("where", ["construction.params", "recipe", "info"])
def test_free_form_objects_are_hashed_but_unchecked(goldens, check, name, where):
    # construction.params, recipe and info are documented as UNCHECKED, informative only: an
    # extra field there changes nothing the checker verifies, but it is covered by the hash.
    cert = fresh(goldens, name)
    obj = cert
    for part in where.split("."):
        obj = obj[part]
    obj["zz_unknown"] = "1"
    code, tail = check(dump(cert))
    report.mutant("field added to a free-form object", code, "stale certificate_sha256", f"{name} {where}")
    assert code == 1 and "certificate_sha256 mismatch" in tail
    code, tail = check(dump(rehash(cert)))
    report.mutant("field added to a free-form object", code, True, f"{name} {where}",
                  "construction.params, recipe and info are UNCHECKED (hash recomputed)")
    assert code == 0, tail


# ---------------------------------------------------------------------------------------------
# Random single-byte changes

@settings(max_examples=150, deadline=None)
@given(index=st.integers(0, len(GOLDENS) - 1), where=st.floats(0, 1, exclude_max=True), byte=st.integers(0, 255))
def test_random_single_byte_change(goldens, check, index, where, byte):
    raw = goldens[GOLDEN_IDS[index]][0]
    pos = int(where * len(raw))
    mutated = raw[:pos] + bytes([byte]) + raw[pos + 1:]
    code, tail = check(mutated)                          # asserts exit code 0..5, no traceback
    if mutated != raw:
        report.mutant("random byte changed", code, "bytes changed: stale hash or broken JSON",
                      f"{GOLDEN_IDS[index]} byte {pos}")
    if code == 0:
        # Only an unchanged file may verify.  (Replacing the trailing newline by other JSON
        # whitespace verified with check.py 1.0, which hashed the parsed object rather than the
        # bytes: docs/certificate-format.md, Appendix A item 1; test_checker_negative.py::
        # test_noncanonical_bytes_are_malformed checks that case deterministically.)
        assert mutated == raw, f"byte {pos} of {GOLDEN_IDS[index]} set to {byte:#04x} still verifies"
