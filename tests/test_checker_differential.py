"""Differential checking: check.py's integer evaluator against two evaluators written differently.

* ``batch_forward`` below: whole-layer matrix products over all points at once with
  ``fractions.Fraction``, tokens decoded with ``int(token, 0)``, written from
  docs/certificate-format.md sections 9-10;
* the neuron-by-neuron Fraction evaluator of tests/test_checker_tamper.py.

On every golden certificate all three must agree on every output of every point (and with the
certificate's outputs and labels), the sizes must agree, and every claim value check.py prints
must equal the recorded one and the tamper evaluator's.  On random networks (Hypothesis: random
activations, residual blocks, huge and tiny rationals) the batch evaluator builds a certificate
with 1 to 4 claims on the edge of their truth (an expression over the claim variables compared
with its value, or that value +-1, under a random comparison: lhs == rhs or off by one); the
tamper evaluator decides which claims hold, and check.py must VERIFY exactly when all do, else
name the first false one.  It must agree output by output, reject a recorded claim value off by
one, and reject the certificate once one output is off by 1/7.
"""

import ast
import contextlib
import hashlib
import io
import json
import math
import os
import re
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mutation_report as report
from test_checker_tamper import check  # noqa: F401  (fixture)
from test_checker_tamper import (CHECKER, GOLDEN_IDS, GOLDENS, canonical, claim_env, compare, layer_inputs,
                                 network, rehash, side, sizes)

DIFF_EXAMPLES = int(os.environ.get("EXACTMEM_FUZZ_EXAMPLES")
                    or {"long": 2_000}.get(os.environ.get("EXACTMEM_FUZZ", ""), 60))


# ---------------------------------------------------------------------------------------------
# A third evaluator: batch matrix products

def tok(s):
    return Fraction(int(s, 0))                         # "0x..", "-0x..", decimal; no leading zeros in valid INT


def rat(s):
    num, _, den = s.partition("/")
    return tok(num) / (tok(den) if den else 1)


def affine(layer, H):
    """layer applied to H (rows: input coordinates, columns: points), activation included."""
    W = [[tok(w) / tok(den) for w in row] for row, den in zip(layer["weights"], layer["dens"])]
    b = [tok(v) / tok(den) for v, den in zip(layer["bias"], layer["dens"])]
    npts = len(H[0])
    Z = [[sum((Wj[i] * H[i][p] for i in range(len(H))), Fraction(0)) + bj for p in range(npts)]
         for Wj, bj in zip(W, b)]
    act = layer["activation"]
    if act == "relu":
        return [[z if z > 0 else Fraction(0) for z in row] for row in Z]
    if act == "hardtanh":
        return [[Fraction(1) if z >= 1 else Fraction(-1) if z <= -1 else z for z in row] for row in Z]
    return Z


def batch_forward(net, points):
    """Outputs of the network on all points: a list (per point) of lists (per output)."""
    H = [list(col) for col in zip(*[[rat(v) for v in p] for p in points])]
    for layer in net["layers"]:
        if "residual" in layer:
            R = affine(layer["residual"]["outer"], affine(layer["residual"]["inner"], H))
            H = [[h + r for h, r in zip(hrow, rrow)] for hrow, rrow in zip(H, R)]
        else:
            H = affine(layer, H)
    return [list(col) for col in zip(*H)]


def labels_of(body):
    if body["task"] == "classification":
        return [[Fraction(c)] for c in body["labels"]]
    return [[rat(v) for v in y] for y in body["labels"]]


def checker_view(cert):
    """check.py's own parse and integer forward pass of a certificate (dict)."""
    budget = CHECKER.Budget(CHECKER.DEFAULT_LIMITS)
    ds = CHECKER.load_dataset(cert, ".", budget)
    entries = CHECKER.load_network(cert, ds["d"], ds["dy"], budget)
    outs = [[Fraction(p, q) for p, q in CHECKER.forward(entries, x, budget)] for x in ds["x"]]
    return entries, ds, outs


# ---------------------------------------------------------------------------------------------
# Every golden

@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_three_evaluators_agree_on_every_output(name):
    cert = json.loads(GOLDENS[GOLDEN_IDS.index(name)].read_bytes())
    body = cert["dataset"]["inline"]
    batch = batch_forward(cert["network"], body["points"])
    entries, ds, checker_outs = checker_view(cert)
    layers = network(cert)
    xs = [[rat(v) for v in p] for p in body["points"]]
    labels, claimed = labels_of(body), [[rat(v) for v in o] for o in cert["outputs"]]
    compared = 0
    for i, x in enumerate(xs):
        neuronwise = layer_inputs(layers, x)[-1]
        for o in range(cert["dataset"]["dy"]):
            values = {"check.py": checker_outs[i][o], "batch": batch[i][o], "neuron-wise": neuronwise[o],
                      "certificate": claimed[i][o], "label": labels[i][o]}
            assert len(set(values.values())) == 1, f"point {i} output {o}: {values}"
            assert all(type(v) is Fraction for v in values.values())
            compared += 1
    assert compared == cert["dataset"]["n"] * cert["dataset"]["dy"]
    assert CHECKER.recompute_sizes(entries, ds["d"], CHECKER.Budget()) == sizes(layers, ds["d"]) == cert["sizes"]


CLAIM_LINE = re.compile(r"^c claim (\S+): .*  \((-?\d+) (==|<=|>=|<|>) (-?\d+)\)  \[")


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_claim_values_and_digests_agree(name, check):
    path = GOLDENS[GOLDEN_IDS.index(name)]
    raw = path.read_bytes()
    cert = json.loads(raw)
    code, tail = check(raw)
    assert code == 0
    # The digests on the verdict line are the ones computed here with hashlib; every golden's
    # construction id is one of the checker's theorem table, so the line names it (format 1.2).
    body = {k: v for k, v in cert.items() if k != "certificate_sha256"}
    data_digest = hashlib.sha256(canonical(cert["dataset"]["inline"])).hexdigest()
    assert tail.split()[2:] == [hashlib.sha256(canonical(body)).hexdigest(), data_digest,
                                f"theorem={cert['construction']['id']}"]
    # The same certificate under an id outside the table, re-sealed: still VERIFIED (its claims
    # hold), with the new digest, and the verdict line names no theorem.
    unbound = json.loads(raw)
    unbound["construction"]["id"] = "test-unbound"
    unbound = rehash(unbound, dataset=False)
    code, tail = check(canonical(unbound) + b"\n")
    body = {k: v for k, v in unbound.items() if k != "certificate_sha256"}
    assert code == 0, tail
    assert tail.split()[2:] == [hashlib.sha256(canonical(body)).hexdigest(), data_digest, "theorem=none"]
    # Every claim: the values check.py prints = the recorded ones = the evaluator's.
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        CHECKER.main([str(path)])
    printed = {m.group(1): (int(m.group(2)), int(m.group(4)))
               for m in map(CLAIM_LINE.match, out.getvalue().splitlines()) if m}
    env = claim_env(cert, cert["dataset"]["n"])
    assert len(printed) == len(cert["claims"])
    for c in cert["claims"]:
        tree = ast.parse(c["statement"], mode="eval").body
        mine = (side(tree.left, env, None), side(tree.comparators[0], env, None))
        assert printed[c["id"]] == (int(c["lhs"], 0), int(c["rhs"], 0)) == mine, c["id"]


# ---------------------------------------------------------------------------------------------
# Random networks

small = st.integers(-6, 6)
big = st.integers(-(1 << 80), 1 << 80)
rational = st.builds(Fraction, st.one_of(small, big), st.one_of(st.integers(1, 8), st.integers(1, 1 << 70)))


def enc(v):
    return str(v) if -(1 << 53) < v < (1 << 53) else ("-" if v < 0 else "") + hex(abs(v))


def enc_q(q):
    return enc(q.numerator) if q.denominator == 1 else f"{enc(q.numerator)}/{enc(q.denominator)}"


@st.composite
def layer_json(draw, n_in, m, act):
    """A canonical layer n_in -> m: one integer row, bias and positive denominator per neuron."""
    weights, bias, dens = [], [], []
    for _ in range(m):
        row = draw(st.lists(st.one_of(small, big), min_size=n_in, max_size=n_in))
        b = draw(st.one_of(small, big))
        den = draw(st.one_of(st.integers(1, 8), st.integers(1, 1 << 70)))
        g = math.gcd(den, b, *row)
        weights.append([enc(w // g) for w in row])
        bias.append(enc(b // g))
        dens.append(enc(den // g))
    return {"activation": act, "bias": bias, "dens": dens, "weights": weights}


@st.composite
def random_certificates(draw):
    n, d, dy = draw(st.integers(1, 6)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    points = draw(st.lists(st.lists(rational, min_size=d, max_size=d), min_size=n, max_size=n))
    layers, width = [], d
    for _ in range(draw(st.integers(0, 3))):
        m = draw(st.integers(1, 4))
        act = draw(st.sampled_from(["relu", "hardtanh", "identity"]))
        if act != "identity" and draw(st.booleans()):
            layers.append({"residual": {"inner": draw(layer_json(width, m, act)),
                                        "outer": draw(layer_json(m, width, "identity"))}})
        else:
            layers.append(draw(layer_json(width, m, act)))
            width = m
    layers.append(draw(layer_json(width, dy, "identity")))
    net = {"input_dim": d, "layers": layers}
    pts = [[enc_q(q) for q in p] for p in points]
    outs = [[enc_q(v) for v in row] for row in batch_forward(net, pts)]
    cert = {"$schema": "https://exactmem.invalid/schema/certificate-1.json", "claims": [],
            "construction": {"id": "random", "paper": "-", "params": {}, "theorem": "-"},
            "dataset": {"d": d, "dy": dy, "n": n, "sha256": "0" * 64,
                        "inline": {"classes": None, "labels": outs, "points": pts, "task": "regression"}},
            "format": "exactmem-certificate", "generator": {"name": "tests", "version": "0"}, "info": {},
            "network": net, "outputs": outs, "recipe": {}, "sizes": {}, "version": "1.0",
            "certificate_sha256": "0" * 64}
    cert["sizes"] = sizes(network(cert), d)
    env = claim_env(cert, n)
    names = sorted(k for k in env if k in CLAIM_VARIABLES or re.fullmatch(r"d[1-9][0-9]*", k))
    count = draw(st.integers(1, 4))
    free = draw(st.integers(0, count))          # the one claim that may be false (count: none)
    cert["claims"] = [draw(edge_claim(env, names, k, k == free)) for k in range(count)]
    return rehash(cert)


# Claim variables of format 1.0 (section 13.2) besides d1..dH; the values come from claim_env,
# the tamper evaluator's reading of the specification.
CLAIM_VARIABLES = {"N", "d", "dy", "depth", "width", "hidden", "hidden_neurons", "params_dense", "params_nonzero",
                   "bit_complexity", "max_numerator_bits", "relu_hidden", "hardtanh_hidden", "distinct_points",
                   "labels_in_unit_box", "classes", "log2_classes_floor", "bits_after_first", "residual_hidden",
                   "one_hot_labels", "min_sq_dist_num", "min_sq_dist_den"}
EXPRESSIONS = ["{a}", "{a} + {b}", "{a} - {b}", "{a} * {b}", "-{a}", "({a} - {b}) // 3", "{a} // ({b} + 1)",
               "2 * ({a} + {b}) - {a} * {b}"]


def literal(k):
    return str(k) if k >= 0 else f"-{-k}"


@st.composite
def edge_claim(draw, env, names, k, free):
    """A claim on the edge of its truth: an expression e over the variables (its value v from the
    evaluator), compared with v + delta, delta in {-1, 0, 1}; the side the literal stands on and
    delta are random, so the claim is true or false by at most one.  free: any comparison (true
    or false); else one of those that hold (the evaluator decides which)."""
    expr = draw(st.sampled_from(EXPRESSIONS)).format(a=draw(st.sampled_from(names)), b=draw(st.sampled_from(names)))
    v = side(ast.parse(expr, mode="eval").body, env, None)
    other = literal(v + draw(st.sampled_from((-1, 0, 1))))
    left = draw(st.booleans())
    ops = [op for op in ("==", "<=", ">=", "<", ">") if free or compare(
        ast.parse(f"{expr} {op} {other}" if left else f"{other} {op} {expr}", mode="eval").body,
        *((v, int(other)) if left else (int(other), v)))]
    op = draw(st.sampled_from(ops))
    statement = f"{expr} {op} {other}" if left else f"{other} {op} {expr}"
    tree = ast.parse(statement, mode="eval").body
    lhs, rhs = side(tree.left, env, None), side(tree.comparators[0], env, None)
    return {"id": f"edge-{k}", "lhs": enc(lhs), "rhs": enc(rhs), "source": "random", "statement": statement}


def first_false_claim(cert):
    """The evaluator's first claim (list order) whose recorded values differ from the values it
    computes, or whose comparison does not hold; None if every claim holds."""
    env = claim_env(cert, cert["dataset"]["n"])
    for c in cert["claims"]:
        tree = ast.parse(c["statement"], mode="eval").body
        lhs, rhs = side(tree.left, env, None), side(tree.comparators[0], env, None)
        if (enc(lhs), enc(rhs)) != (c["lhs"], c["rhs"]) or not compare(tree, lhs, rhs):
            return c["id"]
    return None


@settings(max_examples=DIFF_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(cert=random_certificates(), which=st.integers(0, 10 ** 6))
def test_random_networks(check, cert, which):
    code, tail = check(canonical(cert) + b"\n")
    report.fuzz("random networks, differential", code)
    # The claims are true or false by one; the evaluator says which, and the checker must agree
    # and name the first false one (section 15, step 9: after every output is checked).
    false = first_false_claim(cert)
    if false is None:
        assert code == 0, tail
    else:
        assert code == 1 and tail.startswith(f"s REJECTED claim {false} ("), (tail, cert["claims"])
    # A recorded value one off: that claim, or an earlier false one, is named.
    k = which % len(cert["claims"])
    off = json.loads(canonical(cert))
    off["claims"][k]["lhs" if which % 2 else "rhs"] = enc(int(off["claims"][k]["lhs" if which % 2 else "rhs"], 0) + 1)
    code, tail = check(canonical(rehash(off)) + b"\n")
    assert first_false_claim(off) in {false, off["claims"][k]["id"]} - {None}
    assert code == 1 and tail.startswith(f"s REJECTED claim {first_false_claim(off)} ("), tail
    _, _, checker_outs = checker_view(cert)
    body = cert["dataset"]["inline"]
    neuronwise = [layer_inputs(network(cert), [rat(v) for v in p])[-1] for p in body["points"]]
    assert checker_outs == batch_forward(cert["network"], body["points"]) == neuronwise
    # One output off by 1/7 (labels too, so only the forward pass can tell): rejected, and at it.
    i = which % cert["dataset"]["n"]
    o = which % cert["dataset"]["dy"]
    wrong = enc_q(rat(cert["outputs"][i][o]) + Fraction(1, 7))
    cert["outputs"][i][o] = body["labels"][i][o] = wrong
    code, tail = check(canonical(rehash(cert)) + b"\n")
    report.fuzz("random networks, one output off", code)
    assert code == 1 and tail.startswith(f"s REJECTED point {i} output {o}: network computes"), tail


# ---------------------------------------------------------------------------------------------
# The cost model's formulas (docs/certificate-format.md, section 17.2), transcribed from the
# specification, against check_base's functions: the charges decide RESOURCE, and a second
# reader must make the same ones.

def spec_costs():
    op, madd = 100, 60

    def limbs(a):
        return a // 64 + 1

    def mul(a, b):
        m, n = sorted((limbs(a), limbs(b)))
        return op + (4 * m * n if m <= 256 else 6 * n * math.isqrt(m * math.isqrt(m)))

    def div(a, b):
        m, n = limbs(a), limbs(b)
        return op + 16 * (max(m - n, 0) + 1) * n + 50 * m

    def div_any(a, b):
        m = limbs(a)
        n = min(limbs(b), m)
        half = -(-m // 2)
        w = half if n >= half else n
        return op + 16 * (m - w + 1) * w + 50 * m

    def gcd(a, b):
        m, n = limbs(a), limbs(b)
        return op + 16 * m * n + 20 * (m + n)

    def madd_(a, b):
        m, n = sorted((limbs(a), limbs(b)))
        return madd + (4 * m * n if m <= 256 else 6 * n * math.isqrt(m * math.isqrt(m)))

    return {"limbs": limbs, "mul_cost": mul, "div_cost": div, "div_any_cost": div_any, "gcd_cost": gcd,
            "madd_cost": madd_}


BITS = [0, 1, 63, 64, 65, 127, 128, 129, 191, 192, 1000, 16319, 16320, 16383, 16384, 16385, 20000, 70000, 10 ** 6]


def test_cost_functions_are_the_specification():
    base = sys.modules[CHECKER.Budget.__module__]          # check_base, as the checker under test loaded it
    assert {k: getattr(base, k) for k in ("OP", "NEURON", "CLAIM", "MADD", "GP_NORMAL", "FRACTION")} == \
        {"OP": 100, "NEURON": 1000, "CLAIM": 20000, "MADD": 60, "GP_NORMAL": 8000, "FRACTION": 16}
    for name, formula in spec_costs().items():
        for a in BITS:
            if name == "limbs":
                assert getattr(base, name)(a) == formula(a), (name, a)
                continue
            for b in BITS:
                assert getattr(base, name)(a, b) == formula(a, b), (name, a, b)


class Recorder:
    """A Budget stand-in that records every charge."""

    def __init__(self):
        self.charges = []

    def charge(self, units, what):
        self.charges.append(units)


@pytest.mark.parametrize("values", [[1, 1, 1], [2, 3, 4, 6, 12], [6, 6, 10, 15], [1 << 70, 3, 1 << 70, 5 ** 40],
                                    [7], [4, 2, 8, 8, 1]])
def test_lcm_steps_are_the_specification(values):
    # Section 17.2, lcm steps: from c = 1, a q equal to 1 or to c is skipped; otherwise
    # gcd_cost + div_cost + mul_cost of (b(c), b(q)) is charged, then c = lcm(c, q).
    base = sys.modules[CHECKER.Budget.__module__]
    cost, c, want = spec_costs(), 1, []
    for q in values:
        if q in (1, c):
            continue
        cb, qb = c.bit_length(), q.bit_length()
        want.append(cost["gcd_cost"](cb, qb) + cost["div_cost"](cb, qb) + cost["mul_cost"](cb, qb))
        c = math.lcm(c, q)
    rec = Recorder()
    assert base.lcm_charged(values, "test", rec) == c and rec.charges == want


def test_budget_rules_and_estimates_are_the_specification():
    # Section 17.2: RESOURCE when the running total *exceeds* K; 17.3: when an estimate is
    # *larger* than M; int_bytes(a) = 32 + floor(a / 8); a JSON text needs 3 * bytes + 104 * J,
    # J = 1 + the number of , : [ { bytes; 17.1: the binomial C(N, d) is formed only up to the cap.
    base = sys.modules[CHECKER.Budget.__module__]
    limits = CHECKER.DEFAULT_LIMITS._replace(work=1000, memory=5000)
    budget = CHECKER.Budget(limits)
    budget.charge(600, "a")
    budget.charge(400, "b")                                 # exactly K: allowed
    assert budget.used == 1000
    with pytest.raises(CHECKER.Verdict) as e:
        budget.charge(1, "c")
    assert e.value.code == 4 and "--max-work=1000" in e.value.message
    budget.hold(5000, "d")
    with pytest.raises(CHECKER.Verdict) as e:
        budget.hold(5001, "e")
    assert e.value.code == 4 and "--max-memory=5000" in e.value.message
    for a in BITS:
        assert base.int_bytes(a) == 32 + a // 8
    for data in (b"[]", b'{"a":[1,2,{"b":"x,y"}]}', b"[" * 40 + b"]" * 40):
        need = 3 * len(data) + 104 * (1 + sum(data.count(ch) for ch in b",:[{"))
        base.json_size_fits(data, CHECKER.Budget(limits._replace(memory=need)))
        with pytest.raises(CHECKER.Verdict):
            base.json_size_fits(data, CHECKER.Budget(limits._replace(memory=need - 1)))
    for n in range(0, 12):
        for k in range(-1, 13):
            exact = math.comb(n, k) if 0 <= k <= n else 0
            for cap in (0, 1, 5, 10, 100, 10 ** 6):
                assert base.comb_at_most(n, k, cap) == (exact if exact <= cap else cap + 1), (n, k, cap)


class Recorder2(Recorder):
    """Records the memory estimates too (section 17.3)."""

    holds = None
    limits = CHECKER.DEFAULT_LIMITS           # to_int reads --max-int-bits from the budget

    def hold(self, nbytes, what):
        self.holds = (self.holds or []) + [nbytes]


def spec_forward_cost(net, x):
    """Section 17.2's charges for the forward pass of one point through plain layers and residual
    blocks, from the specification's table (not check_network's code), and section 17.3's memory
    estimates: (total units, outputs as Fractions, the estimates in order)."""
    cost = spec_costs()
    mul, div, div_any, gcd, madd_ = (cost[k] for k in ("mul_cost", "div_cost", "div_any_cost", "gcd_cost", "madd_cost"))
    b = abs

    def bl(v):
        return b(v).bit_length()

    def lcm_steps(qs):
        c, units = 1, 0
        for q in qs:
            if q in (1, c):
                continue
            units += gcd(bl(c), bl(q)) + div(bl(c), bl(q)) + mul(bl(c), bl(q))
            c = math.lcm(c, q)
        return c, units

    def int_bytes(bits):
        return 32 + bits // 8

    xs = [rat(v) for v in x]
    units = 1000 * (len(xs) + 1)
    dens = sorted({q.denominator for q in xs})
    c, u = lcm_steps(dens)
    holds = [sum(int_bytes(bl(q.numerator) + bl(c)) for q in xs)]
    units += u + sum(div(bl(c), bl(q)) for q in dens if q != c)
    units += sum(mul(bl(q.numerator), bl(c)) for q in xs if q.denominator != c)
    a = [int(q * c) for q in xs]
    total = [units]

    def plain(layer, a, c):
        units = 0
        rows = [[int(w, 0) for w in r] for r in layer["weights"]]
        bias, ds = [int(v, 0) for v in layer["bias"]], [int(v, 0) for v in layer["dens"]]
        m = len(ds)
        wbits = max((bl(w) for r in rows for w in r), default=0)
        bbits, dbits = max(bl(v) for v in bias), max(bl(v) for v in ds)
        # nnz': the nonzero weights of the rows that are not repeats (a repeat equals the row above)
        nnz = sum(1 for j, r in enumerate(rows) if not (j and r == rows[j - 1]) for w in r if w)
        A = max(bl(c), max((bl(v) for v in a), default=0))
        if A <= 64 and wbits <= 64 and bbits <= 64:
            units += nnz * (60 + 4) + m * (100 + 4) + (m + 1) * 1000
        else:
            units += nnz * madd_(wbits, A) + m * mul(bbits, A) + (m + 1) * 1000
        Z = max(wbits, bbits) + A + (len(rows[0]) + 1).bit_length()
        if Z > 4096:
            holds.append(m * int_bytes(Z + dbits))
        z = [sum(w * v for w, v in zip(r, a)) + bj * c for r, bj in zip(rows, bias)]
        act = layer["activation"]
        if all(q == 1 for q in ds):                       # integral: the values stay over c
            total[0] += units
            return [max(v, 0) if act == "relu" else max(-c, min(c, v)) if act == "hardtanh" else v for v in z], c
        units += m * mul(dbits, bl(c))
        red = []
        for v, q in zip(z, ds):
            D = q * c
            v = max(v, 0) if act == "relu" else max(-D, min(D, v)) if act == "hardtanh" else v
            units += gcd(bl(v), bl(D)) + div_any(bl(v), bl(D)) + div_any(bl(D), bl(D))
            g = math.gcd(v, D)
            red.append((v // g, D // g))
        c, u = lcm_steps([q for _, q in red])
        holds.append(m * int_bytes(Z + bl(c)))
        units += u + sum(div(bl(c), bl(q)) + mul(bl(p), bl(c) - bl(q) + 1) for p, q in red if q != c)
        total[0] += units
        return [p * (c // q) for p, q in red], c

    for layer in net["layers"]:
        if "residual" not in layer:
            a, c = plain(layer, a, c)
            continue
        a1, c1 = plain(layer["residual"]["outer"], *plain(layer["residual"]["inner"], a, c))
        # a residual sum: "as scaling the input, for the 2n values over their lcm l (denominators
        # c and c1); the n additions are not charged"
        dens = sorted({c, c1})
        ell, u = lcm_steps(dens)
        holds.append(sum(int_bytes(bl(v) + bl(ell)) for v in a + a1))
        total[0] += u + sum(div(bl(ell), bl(q)) for q in dens if q != ell)
        total[0] += sum(mul(bl(v), bl(ell)) for v, q in [(v, c) for v in a] + [(v, c1) for v in a1] if q != ell)
        a, c = [v * (ell // c) + w * (ell // c1) for v, w in zip(a, a1)], ell
    units = total[0]
    for v in a:
        units += gcd(bl(v), bl(c)) + 2 * div(max(bl(v), bl(c)), bl(c))
    return units, [Fraction(v, c) for v in a], holds


def cost_case(rng):
    """A plain network with operands around the 64-bit line of the cost model, and a point."""
    def num():
        kind = rng.random()
        if kind < 0.4:
            return rng.randint(-6, 6)
        bits = rng.choice((62, 63, 64, 65, 66, 130, 4088, 4092, 4094))
        return rng.choice((-1, 1)) * rng.randint(1 << (bits - 1), (1 << bits) - 1)

    def layer(n_in, m, act):
        integral = rng.random() < 0.5
        ws, bs, ds, row = [], [], [], None
        for _ in range(m):
            # sometimes the row above again, with its own bias (a repeat: section 17.2)
            row = row if row is not None and rng.random() < 0.4 else [num() for _ in range(n_in)]
            bias, den = num(), 1 if integral else rng.choice((1, 2, 6, 1 << 64, 97))
            g = math.gcd(den, bias, *row) or 1
            ws.append([enc(w // g) for w in row])
            bs.append(enc(bias // g))
            ds.append(enc(den // g))
        return {"activation": act, "bias": bs, "dens": ds, "weights": ws}

    d = rng.randint(1, 3)
    x = [enc_q(Fraction(num(), rng.choice((1, 1, 2, 3, 1 << 64, 6)))) for _ in range(d)]
    layers, width = [], d
    depth = rng.randint(1, 3)
    for k in range(depth):
        last = k == depth - 1
        m = 1 if last else rng.randint(1, 3)
        act = "identity" if last else rng.choice(("relu", "hardtanh", "identity"))
        if not last and act != "identity" and rng.random() < 0.4:     # a residual block width -> m -> width
            layers.append({"residual": {"inner": layer(width, m, act), "outer": layer(m, width, "identity")}})
            continue
        layers.append(layer(width, m, act))
        width = m
    return {"input_dim": d, "layers": layers}, x


def edge_case(wbits, den="1"):
    """x = 1 through one identity map 1 -> 1 with a weight of wbits bits: Z = wbits + 1 + 2."""
    return {"input_dim": 1, "layers": [{"activation": "identity", "bias": ["1"], "dens": [den],
                                        "weights": [[enc((1 << (wbits - 1)) + 1)]]}]}, ["1"]


EDGES = [edge_case(4092), edge_case(4093), edge_case(4094), edge_case(4093, "3"), edge_case(64), edge_case(65)]


@pytest.mark.parametrize("seed", range(60 + len(EDGES)))
def test_forward_pass_charges_are_the_specification(seed):
    net, x = cost_case(__import__("random").Random(seed)) if seed < 60 else EDGES[seed - 60]
    cert = {"network": net, "dataset": {"d": len(x), "dy": len(net["layers"][-1]["dens"])}}
    loading = Recorder2()
    entries = CHECKER.load_network(cert, len(x), len(net["layers"][-1]["dens"]), loading)
    # Section 17.2, the canonical-neuron test: g = den, or when b(den) > 64 the combination
    # z = bias + sum_i i w_i (n madd_cost(max b(w_i), bitlen(n + 1)) + OP) and g = gcd(den, z)
    # (gcd_cost(b(den), b(z))); then for v = bias, weight 1, ... while g != 1, gcd_cost(b(g), b(v))
    # before each step g = gcd(g, v).
    want = []
    maps = [m for layer in net["layers"]
            for m in ((layer["residual"]["inner"], layer["residual"]["outer"]) if "residual" in layer else (layer,))]
    for layer in maps:
        for row, bias, den in zip(layer["weights"], layer["bias"], layer["dens"]):
            g = int(den, 0)
            ws = [int(w, 0) for w in row]
            if g.bit_length() > 64:
                n = len(ws)
                want.append(n * spec_costs()["madd_cost"](max(abs(w).bit_length() for w in ws), (n + 1).bit_length())
                            + 100)
                z = int(bias, 0) + sum(i * w for i, w in enumerate(ws, 1))
                want.append(spec_costs()["gcd_cost"](g.bit_length(), abs(z).bit_length()))
                g = math.gcd(g, z)
            for v in [int(bias, 0)] + ws:
                if g == 1:
                    break
                want.append(spec_costs()["gcd_cost"](g.bit_length(), abs(v).bit_length()))
                g = math.gcd(g, v)
        # the repeat test: each row j >= 2 against row j - 1, pair by pair, OP + 3 limbs(max b)
        # before each pair, stopping at the first unequal pair
        rows = [[int(w, 0) for w in row] for row in layer["weights"]]
        for j in range(1, len(rows)):
            for v, w in zip(rows[j], rows[j - 1]):
                want.append(100 + 3 * (max(abs(v).bit_length(), abs(w).bit_length()) // 64 + 1))
                if v != w:
                    break
    assert loading.charges == want
    rec = Recorder2()
    out = CHECKER.forward(entries, [(q.numerator, q.denominator) for q in map(rat, x)], rec)
    units, want, holds = spec_forward_cost(net, x)
    assert [Fraction(p, q) for p, q in out] == want == batch_forward(net, [x])[0]
    assert sum(rec.charges) == units
    assert rec.holds == holds


def spec_claim_cost(statement, env):
    """Section 17.2/17.3 for one claim's second pass: CLAIM + 500 per character, then each `*`
    (mul_cost) and each `//` with a nonzero divisor (div_cost) in Python's evaluation order, and
    each product's memory estimate 6 * int_bytes(b(v) + b(w)).  (units, holds, lhs, rhs)"""
    cost = spec_costs()
    units, holds = [20000 + 500 * len(statement)], []

    def ev(node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.UnaryOp):
            return -ev(node.operand)
        v, w = ev(node.left), ev(node.right)
        vb, wb = abs(v).bit_length(), abs(w).bit_length()
        if isinstance(node.op, ast.Mult):
            holds.append(6 * (32 + (vb + wb) // 8))
            units.append(cost["mul_cost"](vb, wb))
            return v * w
        if isinstance(node.op, ast.FloorDiv):
            units.append(cost["div_cost"](vb, wb))
            return v // w
        return v + w if isinstance(node.op, ast.Add) else v - w

    tree = ast.parse(statement, mode="eval").body
    lhs, rhs = ev(tree.left), ev(tree.comparators[0])
    return sum(units), holds, lhs, rhs


CLAIM_ENV = {"N": 7, "d": 3, "dy": 1, "depth": 2, "width": 5, "min_sq_dist_num": (1 << 20000) + 3,
             "min_sq_dist_den": (1 << 16383) - 1, "params_dense": 1 << 64, "bit_complexity": (1 << 63) + 5}


@pytest.mark.parametrize("statement", [
    "N * d >= 21", "min_sq_dist_num * min_sq_dist_den > 0", "min_sq_dist_num // min_sq_dist_den >= 0",
    "params_dense * bit_complexity * N - min_sq_dist_den // (width - 5 + 1) <= -1",
    "-(min_sq_dist_num // (N - 8)) * params_dense >= params_dense * params_dense * params_dense",
    "depth // (width + 1) == 0", "(N - 10) // 3 == -1", "width * width * width * width == 625"])
def test_claim_charges_are_the_specification(statement):
    base_claims = sys.modules[CHECKER.claim_list.__module__]
    units, holds, lhs, rhs = spec_claim_cost(statement, CLAIM_ENV)
    claim = {"id": "c", "statement": statement, "source": "-", "lhs": enc(lhs), "rhs": enc(rhs)}
    first = Recorder2()
    base_claims.claim_list({"claims": [claim]}, CLAIM_ENV, first)
    assert first.charges == [20000 + 500 * len(statement)] and first.holds is None
    rec = Recorder2()
    lines = base_claims.check_claims([claim], CLAIM_ENV, rec)
    assert lines and sum(rec.charges) == units and rec.holds == (holds or None)


@pytest.mark.parametrize("matrix", [[[3]], [[1, 2], [3, 4]], [[0, 1], [1, 0]], [[2, -1, 0], [-1, 2, -1], [0, -1, 2]],
                                    [[1 << 70, 1], [1, 1 << 70]], [[1, 2, 3], [2, 4, 6], [1, 0, 1]],
                                    [[(i * 7 + j * 3) % 11 - 5 for j in range(6)] for i in range(6)]])
def test_bareiss_determinant_charge_and_value_are_the_specification(matrix):
    # Section 17.2: an n x n Bareiss determinant is charged n^3 * (2 mul_cost(E, E) + div_cost(2E, E))
    # before the elimination, E = n * (largest b of an entry + bitlen(n)); the value is the
    # determinant (computed here with Fractions).
    import importlib
    position = importlib.import_module("check_position")      # from the checker's folder (check.py put it on sys.path)
    assert Path(position.__file__).resolve().parent == Path(CHECKER.__file__).resolve().parent
    n, cost = len(matrix), spec_costs()
    E = n * (max(abs(v).bit_length() for r in matrix for v in r) + n.bit_length())
    rec = Recorder2()
    got = position.det(matrix, rec)
    rows, value = [[Fraction(v) for v in r] for r in matrix], Fraction(1)
    for k in range(n):
        p = next((i for i in range(k, n) if rows[i][k]), None)
        if p is None:
            value = Fraction(0)
            break
        if p != k:
            rows[k], rows[p], value = rows[p], rows[k], -value
        value *= rows[k][k]
        for i in range(k + 1, n):
            f = rows[i][k] / rows[k][k]
            rows[i] = [a - f * b for a, b in zip(rows[i], rows[k])]
    assert got == value
    assert rec.charges == [n ** 3 * (2 * cost["mul_cost"](E, E) + cost["div_cost"](2 * E, E))]


@pytest.mark.parametrize("points", [[[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[1, 2, 3], [2, 4, 6], [3, 6, 9]],
                                    [[5, -3], [7, 1 << 40]], [[1, 1, 1, 1], [2, 3, 5, 7], [0, 0, 0, 1 << 65]]])
def test_general_position_gram_charge_is_the_specification(points):
    # Section 17.2, general_position with N <= d (integer points: scaling charges nothing): the
    # Gram matrix of the differences x_i - x_1 is charged (N - 1)^2 * d * mul_cost(G, G),
    # G = 2 * (largest b of a difference) + bitlen(d) + 1, then its determinant as a Bareiss one.
    # The answer: the differences have rank N - 1 (Fraction elimination, test_checker_tamper).
    import importlib
    from test_checker_tamper import in_general_position
    position = importlib.import_module("check_position")
    cost, n, d = spec_costs(), len(points), len(points[0])
    diffs = [[a - b for a, b in zip(x, points[0])] for x in points[1:]]
    G = 2 * max(abs(v).bit_length() for r in diffs for v in r) + d.bit_length() + 1
    gram = [[sum(a * b for a, b in zip(u, v)) for v in diffs] for u in diffs]
    m = len(gram)
    E = m * (max(abs(v).bit_length() for r in gram for v in r) + m.bit_length())
    want = (n - 1) ** 2 * d * cost["mul_cost"](G, G) + m ** 3 * (2 * cost["mul_cost"](E, E) + cost["div_cost"](2 * E, E))
    rec = Recorder2()
    got = position.general_position([[(v, 1) for v in x] for x in points], rec)
    assert got == in_general_position([[Fraction(v) for v in x] for x in points])
    assert sum(rec.charges) == want


@pytest.mark.parametrize("seed", range(12))
def test_min_sq_dist_charges_are_the_specification(seed):
    # Section 17.2, min_sq_dist_* on integer points (scaling charges nothing, D = 1): projecting,
    # sorting, the sweep's pairs in the specified order with its stopping rule, and the result;
    # the value is the minimum over all pairs (computed here by brute force).
    import importlib
    import random
    distance = importlib.import_module("check_distance")
    rng = random.Random(seed)
    n, d = rng.randint(2, 9), rng.randint(1, 3)
    big = (5, 1 << 40, 1 << 62, 1 << 63, 1 << 64, 1 << 70)[seed % 6]      # B on both sides of 64 bits
    pts = [[rng.randint(-big, big) for _ in range(d)] for _ in range(n)]
    cost = spec_costs()
    B = 1 + max(abs(v).bit_length() for x in pts for v in x)
    u = [1 + (5 * (k - 1)) % 7 for k in range(1, d + 1)]
    uu = sum(w * w for w in u)
    want = n * d * (cost["mul_cost"](B, 3) + 100) + n * (n.bit_length() + 1) * (d + 1) * cost["div_cost"](B + 8, B + 8)
    keyed = sorted((sum(w * v for w, v in zip(u, x)), x) for x in pts)
    best = None
    for i in range(n):
        for j in range(i + 1, n):
            want += d * (2 * cost["mul_cost"](B, B) + 100) + 500
            gap = keyed[j][0] - keyed[i][0]
            if best is not None and gap * gap >= best * uu:
                break
            s = sum((p - q) ** 2 for p, q in zip(keyed[i][1], keyed[j][1]))
            best = s if best is None else min(best, s)
    want += cost["gcd_cost"](best.bit_length(), 2) + 3 * cost["mul_cost"](1, 1)
    rec = Recorder2()
    got = distance.min_sq_distance([[(v, 1) for v in x] for x in pts], rec)
    brute = min(sum((p - q) ** 2 for p, q in zip(a, b)) for i, a in enumerate(pts) for b in pts[i + 1:])
    assert Fraction(*got) == brute == best
    assert sum(rec.charges) == want
