"""Differential checking: check.py's integer evaluator against two evaluators written differently.

* ``batch_forward`` below: whole-layer matrix products over all points at once with
  ``fractions.Fraction``, tokens decoded with ``int(token, 0)``, written from
  docs/certificate-format.md sections 9-10;
* the neuron-by-neuron Fraction evaluator of tests/test_checker_tamper.py.

On every golden certificate all three must agree on every output of every point (and with the
certificate's outputs and labels), the sizes must agree, and every claim value check.py prints
must equal the recorded one and the tamper evaluator's.  On random networks (Hypothesis: random
activations, residual blocks, huge and tiny rationals) check.py must VERIFY the certificate the
batch evaluator builds, agree output by output, and reject it once one output is off by 1/7.
"""

import ast
import contextlib
import hashlib
import io
import json
import math
import os
import re
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mutation_report as report
from test_checker_tamper import check  # noqa: F401  (fixture)
from test_checker_tamper import (CHECKER, GOLDEN_IDS, GOLDENS, canonical, claim_env, layer_inputs,
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
    cert["claims"] = [{"id": "depth", "lhs": str(cert["sizes"]["depth"]), "rhs": str(cert["sizes"]["depth"]),
                       "source": "random", "statement": "depth == depth"},
                      {"id": "dense", "lhs": str(cert["sizes"]["params_dense"]),
                       "rhs": str(cert["sizes"]["params_dense"]), "source": "random",
                       "statement": "params_dense >= N * 0 + params_dense"}]
    return rehash(cert)


@settings(max_examples=DIFF_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(cert=random_certificates(), which=st.integers(0, 10 ** 6))
def test_random_networks(check, cert, which):
    code, tail = check(canonical(cert) + b"\n")
    report.fuzz("random networks, differential", code)
    assert code == 0, tail
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
