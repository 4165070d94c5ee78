"""YSJ19 Theorem 3.3 (exactmem/segments.py, exactmem/studies/pieces.py, ysj19-thm3.3, the checker's pieces_on_segment).

The exact counter is compared with a second, independent algorithm written here (piecewise-linear
functions of tau propagated symbolically as knot/value lists, never re-evaluating the network),
with the checker's own stdlib implementation, and with exact evaluation by the Fraction reference
of conftest.py at the knots.  The bounds, the counting lemma and the witness are tested on
hypothesis draws; the certificate claim is tampered with.
"""

import json
import re
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from exactmem.studies import pieces
from exactmem.certificate import certificate_bytes
from exactmem.constructions import zhang17
from exactmem.constructions.ysj19 import theorem_3_3
from exactmem.data import Dataset
from exactmem.errors import ConstructionError, DataError, ResourceError, UsageError
from exactmem.network import Layer, Network, ResidualBlock
from exactmem.pipeline import certify, certify_dataset

from conftest import ROOT, fraction_forward, run_checker_inprocess, verify_certificate

F = Fraction
small = st.one_of(st.integers(-4, 4).map(F), st.fractions(min_value=-6, max_value=6, max_denominator=7))
ACTS = ("relu", "hardtanh")


# ---------------------------------------------------------------------------------------------
# Oracle: piecewise-linear functions on [0, 1] as (knots, values), propagated symbolically

def _at(knots, values, t):
    """Value of the PL function at t (linear between knots; exact)."""
    for k in range(len(knots) - 1):
        if knots[k] <= t <= knots[k + 1]:
            a, b = knots[k], knots[k + 1]
            return values[k] + (values[k + 1] - values[k]) * (t - a) / (b - a)
    raise AssertionError("t outside [0, 1]")


def _combine(fs, weights, bias):
    """sum_i w_i f_i + bias, on the union of the knots."""
    knots = sorted({t for f in fs for t in f[0]} | {F(0), F(1)})
    return knots, [bias + sum((w * _at(*f, t) for w, f in zip(weights, fs) if w), F(0)) for t in knots]


def _activate(f, act):
    knots, values = f
    if act == "identity":
        return f
    betas = (F(0),) if act == "relu" else (F(-1), F(1))
    ks = set(knots)
    for k in range(len(knots) - 1):
        for b in betas:
            if (values[k] - b) * (values[k + 1] - b) < 0:
                ks.add(knots[k] + (b - values[k]) * (knots[k + 1] - knots[k]) / (values[k + 1] - values[k]))
    ks = sorted(ks)
    vs = [_at(knots, values, t) for t in ks]
    if act == "relu":
        return ks, [max(v, F(0)) for v in vs]
    return ks, [min(max(v, F(-1)), F(1)) for v in vs]


def _layer(fs, layer):
    return [_activate(_combine(fs, [F(w, den) for w in row], F(b, den)), layer.activation)
            for row, b, den in zip(layer.weights, layer.bias, layer.dens)]


def oracle_kinks(net, u, v):
    """Kinks (tau) of the scalar output by PL propagation: merge collinear neighbours."""
    fs = [([F(0), F(1)], [F(a), F(b)]) for a, b in zip(u, v)]
    for e in net.layers:
        if isinstance(e, ResidualBlock):
            out = _layer(_layer(fs, e.inner), e.outer)
            fs = [_combine([h, o], [F(1), F(1)], F(0)) for h, o in zip(fs, out)]
        else:
            fs = _layer(fs, e)
    knots, values = fs[0]
    x = lambda t: tuple(F(a) + t * (F(b) - F(a)) for a, b in zip(u, v))
    for t, y in zip(knots, values):            # the PL representation agrees with the network
        assert fraction_forward(net, x(t)) == (y,)
    slopes = [(values[k + 1] - values[k]) / (knots[k + 1] - knots[k]) for k in range(len(knots) - 1)]
    return tuple(knots[k] for k in range(1, len(knots) - 1) if slopes[k - 1] != slopes[k])


# ---------------------------------------------------------------------------------------------
# Random small networks

@st.composite
def networks(draw, residual=True, acts=ACTS):
    dx = draw(st.integers(1, 3))
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    layers, n_in = [], dx
    for w in widths:
        act = draw(st.sampled_from(acts))
        if residual and draw(st.integers(0, 5)) == 0:
            inner = Layer.from_rationals(draw(st.lists(st.lists(small, min_size=n_in, max_size=n_in),
                                                       min_size=w, max_size=w)), draw(st.lists(small, min_size=w,
                                                                                               max_size=w)), act)
            outer = Layer.from_rationals(draw(st.lists(st.lists(small, min_size=w, max_size=w),
                                                       min_size=n_in, max_size=n_in)),
                                         draw(st.lists(small, min_size=n_in, max_size=n_in)), "identity")
            layers.append(ResidualBlock(inner, outer))
            continue
        W = draw(st.lists(st.lists(small, min_size=n_in, max_size=n_in), min_size=w, max_size=w))
        layers.append(Layer.from_rationals(W, draw(st.lists(small, min_size=w, max_size=w)), act))
        n_in = w
    layers.append(Layer.from_rationals([draw(st.lists(small, min_size=n_in, max_size=n_in))], [draw(small)],
                                       "identity"))
    net = Network(dx, tuple(layers))
    u = tuple(draw(st.lists(small, min_size=dx, max_size=dx)))
    v = tuple(draw(st.lists(small, min_size=dx, max_size=dx)))
    if u == v:
        v = tuple(a + 1 for a in u)
    return net, u, v


def checker_entries(net, checker):
    import check_network             # the checker's own file, on sys.path once check.py is loaded

    def m(layer):
        return check_network.Map(layer.activation, [list(r) for r in layer.weights], list(layer.bias), list(layer.dens),
                           len(layer.weights[0]))
    return [[m(e.inner), m(e.outer)] if isinstance(e, ResidualBlock) else [m(e)] for e in net.layers]


def rat(x):
    return [(F(a).numerator, F(a).denominator) for a in x]


@given(case=networks())
def test_counter_agrees_with_pl_oracle_checker_and_bounds(checker, case):
    net, u, v = case
    res = pieces.count_pieces(net, u, v)
    assert res.kinks == oracle_kinks(net, u, v)
    assert res.pieces == len(res.kinks) + 1
    import check_segment
    got = check_segment.pieces_on_segment(checker_entries(net, checker), rat(u), rat(v), checker.Budget())
    assert got == res.pieces
    acts, widths = pieces.architecture(net)
    assert res.pieces <= pieces.tight_bound(acts, widths)
    b = pieces.bounds(net)
    if b["paper"] is not None:
        assert b["tight"] <= b["paper"]
    # the reverse segment has the same kinks at 1 - tau
    back = pieces.count_pieces(net, v, u)
    assert back.kinks == tuple(sorted(1 - t for t in res.kinks))


@given(case=networks(residual=False))
def test_counts_are_maximal_pieces_by_sampling(case):
    """Between consecutive kinks the output is affine (exact evaluation at extra points), and at
    every kink the two slopes differ."""
    net, u, v = case
    res = pieces.count_pieces(net, u, v)
    ends = [F(0), *res.kinks, F(1)]
    f = lambda t: fraction_forward(net, res.point(t))[0]
    slopes = []
    for a, b in zip(ends, ends[1:]):
        s = (f(b) - f(a)) / (b - a)
        for k in (1, 2, 5):
            t = a + (b - a) * F(k, 7)
            assert f(t) == f(a) + s * (t - a)
        slopes.append(s)
    assert all(s0 != s1 for s0, s1 in zip(slopes, slopes[1:]))


def test_bounds_formulas():
    # docs/ysj19.md, "The bounds": the paper's count, and the layer-by-layer one (d1+1)(d2+1) for ReLU
    for d1 in range(1, 6):
        assert pieces.paper_bound(2, (d1,)) == d1 + 1 and pieces.paper_bound(3, (d1,)) == 2 * d1 + 1
        for d2 in range(1, 6):
            assert pieces.paper_bound(2, (d1, d2)) == 2 * d1 * d2 + d2 + 1
            assert pieces.tight_bound("relu", (d1, d2)) == (d1 + 1) * (d2 + 1)
            assert pieces.tight_bound("hardtanh", (d1, d2)) == 2 * d1 + 2 * d2 * (2 * d1 + 1) + 1
            assert pieces.paper_bound(3, (d1, d2)) == 6 * d1 * d2 + 2 * d2 + 1
    assert pieces.paper_bound(2, (2, 2, 2)) is None


@given(act=st.sampled_from(ACTS), data=st.data())
def test_two_layer_bound_is_attained(act, data):
    """Distinct breakpoints inside the segment and nonzero output weights: exactly (p-1)d1 + 1."""
    d1 = data.draw(st.integers(1, 6))
    p = pieces.PIECES[act]
    centers = data.draw(st.lists(st.integers(1, 200), min_size=d1, max_size=d1, unique=True))
    # act(s (x - c)) with its breakpoints at c (ReLU) or c -+ 1/s (hard-tanh), s = 1000: all distinct
    W = [[F(1000)] for _ in range(d1)]
    b = [F(-1000 * c, 201) for c in centers]
    out = [F(k) for k in data.draw(st.lists(st.integers(-5, 5).filter(bool), min_size=d1, max_size=d1))]
    net = Network(1, (Layer.from_rationals(W, b, act), Layer.from_rationals([out], [0], "identity")))
    assert pieces.count_pieces(net, (F(0),), (F(1),)).pieces == (p - 1) * d1 + 1 == pieces.paper_bound(p, (d1,))


@pytest.mark.parametrize("d1,d2", [(2, 2), (4, 4), (8, 8), (10, 5), (3, 7)])
def test_sawtooth_count_formula(d1, d2):
    net, (u, v) = pieces.sawtooth(d1, d2)
    assert pieces.count_pieces(net, u, v).pieces == d1 * d2 + d1 // 2 + 1     # docs/ysj19.md, "Measured"
    assert pieces.count_pieces(net, u, v).pieces <= (d1 + 1) * (d2 + 1)


def test_survey_is_deterministic_and_within_the_counts():
    configs = {"relu": [(3,), (2, 2)], "hardtanh": [(2,), (2, 2)]}
    a = pieces.survey(trials=4, seed=3, configs=configs)
    assert a == pieces.survey(trials=4, seed=3, configs=configs)
    for r in a:
        assert max(r["random_max"], r["spread_max"], r["structured"] or 0) <= r["tight"] <= r["paper"]
        if len(r["widths"]) == 1:
            assert r["tight"] == r["paper"] == r["max"] and r["structured"] is None
    # the structured rows: the sawtooth (ReLU, no proved maximum) and the fold (hard-tanh, the maximum)
    relu22, ht22 = (next(r for r in a if r["activation"] == act and r["widths"] == [2, 2]) for act in ACTS)
    assert (relu22["structured"], relu22["max"]) == (2 * 2 + 2 // 2 + 1, None)
    assert ht22["structured"] == ht22["max"] == 2 * 2 * (2 * 2 - 1) + 1
    text = pieces.format_survey(a)
    assert "| relu | (2, 2) |" in text and "| hardtanh | (2, 2) | " in text and "| 13 | 13 | 13 | 25 | 29 |" in text
    assert pieces.ratio_text(137, 81) == "1.69" and pieces.ratio_text(1, 8) == "0.13"


def test_resource_limit_and_bad_segments():
    net, (u, v) = pieces.sawtooth(4, 4)
    with pytest.raises(ResourceError):
        pieces.count_pieces(net, u, v, max_points=5)
    with pytest.raises(UsageError):
        pieces.count_pieces(net, u, u)
    with pytest.raises(UsageError):
        pieces.count_pieces(net, (F(0), F(1)), (F(1), F(1)))


# ---------------------------------------------------------------------------------------------
# The counting lemma and the witness

@st.composite
def collinear(draw, min_n=2, max_n=14):
    n = draw(st.integers(min_n, max_n))
    d = draw(st.integers(1, 3))
    ts = draw(st.lists(st.fractions(min_value=-50, max_value=50, max_denominator=9), min_size=n, max_size=n,
                       unique=True))
    base = draw(st.lists(small, min_size=d, max_size=d))
    direction = draw(st.lists(small, min_size=d, max_size=d).filter(any))
    pts = tuple(tuple(b + t * c for b, c in zip(base, direction)) for t in ts)
    return Dataset(pts, tuple((F(0),) for _ in pts), "regression")


@given(ds=collinear(min_n=3))
def test_lemma_is_tight_on_zhang_knot(ds):
    """Alternating labels along the line: zhang17 knot has exactly N - 1 pieces on [x_(1), x_(N)]
    (the lemma's count), zhang17 mid has N."""
    built = theorem_3_3(ds)
    w = built.dataset
    u, v = built.segment
    m = next(k for k in range(len(u)) if u[k] != v[k])
    order = sorted(range(w.n), key=lambda i: (w.points[i][m] - u[m]) / (v[m] - u[m]))
    assert pieces.alternation_failures([w.labels[i][0] for i in order]) == []
    assert pieces.count_pieces(built.network, u, v).pieces == w.n - 1
    mid = zhang17.theorem_1(w, bias_rule="mid").network
    assert pieces.count_pieces(mid, u, v).pieces == w.n


@given(act=st.sampled_from(ACTS), widths=st.lists(st.integers(1, 3), min_size=1, max_size=2),
       seed=st.integers(0, 10 ** 6))
def test_witness_facts_and_every_network_misses(act, widths, seed):
    import random
    wit = pieces.witness(widths, act)
    p = pieces.PIECES[act]
    d1 = widths[0]
    P = (p - 1) * d1 + 1 if len(widths) == 1 else p * (p - 1) * d1 * widths[1] + (p - 1) * widths[1] + 1
    assert (wit.P, wit.N) == (P, P + 2)
    ys = [y[0] for y in wit.dataset.labels]
    assert all((ys[i + 1] - ys[i]) * (ys[i + 2] - ys[i + 1]) < 0 for i in range(wit.N - 2))
    assert wit.facts["alternation_failures"] == [] and wit.facts["N_ge_P_plus_2"]
    assert [x[0] for x in wit.dataset.points] == list(range(1, wit.N + 1))
    rng = random.Random(seed)
    for _ in range(3):
        net = pieces.random_network(rng, [1, *widths, 1], act)
        assert pieces.misses(net, wit.dataset) is not None
        assert pieces.count_pieces(net, *wit.segment).pieces <= P
    name, net = pieces.best_effort(wit) or (None, None)
    if net is not None:
        i, _, _ = pieces.misses(net, wit.dataset)
        assert i > 0                                     # fits a prefix, then misses
        assert net.hidden_widths == list(widths)


def test_alternation_check_can_fail():
    assert pieces.alternation_failures([F(-1), F(1), F(2), F(1)]) == [0]
    assert pieces.alternation_failures([F(0), F(1), F(0), F(0)]) == [1]


# ---------------------------------------------------------------------------------------------
# ysj19-thm3.3 certificates and the checker's claim

@given(ds=collinear(), depth=st.sampled_from([2, 3]), act=st.sampled_from(ACTS))
def test_thm33_certificate_verifies(checker, tmp_path_factory, ds, depth, act):
    if depth == 2:
        act = "relu"
    cert = certify_dataset("ysj19-thm3.3", ds, {"depth": depth, "activation": act})
    # format 1.2: the counting lemma's hypothesis is a claim of its own (alternating_on_segment)
    assert cert["version"] == "1.2" and "segment" in cert
    out = verify_certificate(checker, tmp_path_factory.mktemp("t"), cert)
    assert "c claim counting-lemma: pieces_on_segment >= N - 1" in out
    assert "c claim lemma-hypothesis: alternating_on_segment == 1  (1 == 1)" in out
    assert out.strip().splitlines()[-1].endswith(" theorem=ysj19-thm3.3")


def test_thm33_refusals():
    pts = tuple((F(i), F(i * i)) for i in range(4))          # on a parabola, not a line
    with pytest.raises(DataError, match="collinear"):
        theorem_3_3(Dataset(pts, tuple((F(0),) for _ in pts), "regression"))
    line = Dataset(tuple((F(i),) for i in range(5)), tuple((F(0),) for _ in range(5)), "regression")
    with pytest.raises(ConstructionError):
        theorem_3_3(line, depth=2, activation="hardtanh")
    with pytest.raises(ConstructionError):
        theorem_3_3(line, depth=4)


@pytest.fixture(scope="module")
def thm33_cert():
    return certify("ysj19-thm3.3", "random:n=9,d=1,seed=4")


def _rehash(cert):
    import hashlib

    def canon(o):
        return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    cert["dataset"]["sha256"] = hashlib.sha256(canon(cert["dataset"]["inline"])).hexdigest()
    cert["certificate_sha256"] = hashlib.sha256(canon({k: v for k, v in cert.items()
                                                       if k != "certificate_sha256"})).hexdigest()
    return cert


def _write(tmp_path, cert):
    path = tmp_path / "c.json"
    path.write_bytes(certificate_bytes(cert))
    return path


def _run(checker, tmp_path, cert, *flags):
    code, out = run_checker_inprocess(checker, _write(tmp_path, cert), *flags)
    return code, out.strip().splitlines()[-1]


def test_checker_rejects_tampered_piece_claims(checker, tmp_path, thm33_cert):
    assert _run(checker, tmp_path, json.loads(json.dumps(thm33_cert)))[0] == 0
    lemma = next(i for i, c in enumerate(thm33_cert["claims"]) if c["id"] == "counting-lemma")

    cert = json.loads(json.dumps(thm33_cert))          # recorded piece count + 1
    cert["claims"][lemma]["lhs"] = str(int(cert["claims"][lemma]["lhs"]) + 1)
    code, tail = _run(checker, tmp_path, _rehash(cert))
    assert code == 1 and "counting-lemma" in tail and "recomputed 8" in tail, tail

    # A false claim: fewer pieces than there are (exactmem's own count, recorded as lhs, is 8).
    # Under the real id the theorem table refuses the changed statement before evaluating it;
    # under an id outside the table it is evaluated, and found false.
    cert = json.loads(json.dumps(thm33_cert))
    assert cert["claims"][lemma]["lhs"] == "8" and cert["dataset"]["n"] == 9
    cert["claims"][lemma].update(statement="pieces_on_segment <= N - 2", rhs="7")
    code, tail = _run(checker, tmp_path, _rehash(cert))
    assert code == 1 and tail.startswith("s REJECTED construction ysj19-thm3.3 (") and \
        "claim counting-lemma (pieces_on_segment <= N - 2) is not the theorem's statement" in tail, tail
    cert["construction"]["id"] = "test-unbound"
    code, tail = _run(checker, tmp_path, _rehash(cert))
    assert code == 1 and tail.startswith("s REJECTED claim counting-lemma (pieces_on_segment <= N - 2) is false: "
                                         "8 <= 7"), tail

    cert = json.loads(json.dumps(thm33_cert))          # segment moved: the count changes
    cert["segment"]["to"] = cert["segment"]["from"][:]
    cert["segment"]["from"] = ["-2"]
    code, tail = _run(checker, tmp_path, _rehash(cert))
    assert code == 1 and "recomputed" in tail, tail


@pytest.mark.parametrize("mutate,needle", [
    (lambda c: c.pop("segment"), "no segment"),
    (lambda c: c.update(version="1.0"), "unknown fields ['segment']"),
    (lambda c: c["segment"].update(to=c["segment"]["from"]), "same point"),
    (lambda c: c["segment"].update(to=["1", "2"]), "segment.to"),
    (lambda c: c["segment"].update(extra=1), "unknown fields"),
    (lambda c: c["segment"].update({"from": ["0.5"]}), "segment.from"),
])
def test_checker_malformed_segments(checker, tmp_path, thm33_cert, mutate, needle):
    cert = json.loads(json.dumps(thm33_cert))
    mutate(cert)
    code, tail = _run(checker, tmp_path, _rehash(cert))
    assert code == 2 and needle in tail, tail


def test_checker_needs_a_scalar_output_and_a_11_version(checker, tmp_path, thm33_cert):
    cert = certify("ysj19-thm3.1", "random:n=8,d=1,dy=2,seed=1")
    cert["segment"] = {"from": ["0"], "to": ["1"]}
    cert["claims"].append({"id": "p", "statement": "pieces_on_segment >= 1", "source": "test", "lhs": "1",
                           "rhs": "1"})
    cert["version"] = "1.1"
    code, tail = _run(checker, tmp_path, _rehash(cert))  # Thm 3.1 has no claim p: the table refuses it
    assert code == 1 and "claim p is not part of the theorem" in tail, tail
    cert["construction"]["id"] = "test-unbound"         # outside the table: the claim is evaluated
    code, tail = _run(checker, tmp_path, _rehash(cert))
    assert code == 2 and "scalar output" in tail, tail
    for cid in ("test-unbound", "ysj19-thm3.1"):        # statements are parsed before the table
        cert["construction"]["id"] = cid
        cert["version"] = "1.0"                         # a 1.0 certificate knows no pieces_on_segment
        cert.pop("segment", None)
        code, tail = _run(checker, tmp_path, _rehash(cert))
        assert code == 2 and "unknown variable 'pieces_on_segment'" in tail, tail


def test_schema_allows_a_segment_only_from_11(thm33_cert):
    """The schema: a segment is optional in 1.1 and 1.2 (the thm3.3 certificate is 1.2), not
    allowed in 1.0; 1.5 is no version of the schema; the segment's coordinates are RATs."""
    import jsonschema
    schema = json.loads((ROOT / "docs" / "certificate-v1.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    cert = json.loads(json.dumps(thm33_cert))
    assert cert["version"] == "1.2" and "segment" in cert
    for version, ok in (("1.2", True), ("1.1", True), ("1.0", False), ("1.4", True), ("1.5", False)):
        cert["version"] = version
        assert (list(validator.iter_errors(cert)) == []) == ok, version
    cert["version"] = "1.2"
    segment = cert.pop("segment")
    assert list(validator.iter_errors(cert)) == []      # optional in 1.2 too
    for version in ("1.1", "1.2"):
        cert["version"] = version
        cert["segment"] = dict(segment, to=0.5)
        assert list(validator.iter_errors(cert)), version


def test_checker_work_limit(checker, tmp_path, thm33_cert):
    """The cost model is deterministic: the work units a first run reports (its "c cost:" line)
    are exactly what the certificate needs -- that budget verifies, one unit less is RESOURCE
    naming --max-work."""
    code, out = run_checker_inprocess(checker, _write(tmp_path, thm33_cert))
    assert code == 0, out
    m = re.search(r"^c cost: ([0-9]+) work units of --max-work=([0-9]+) ", out, re.M)
    assert m and int(m.group(2)) == checker.DEFAULT_LIMITS.work, out
    need = int(m.group(1))
    assert need == checker.run([str(tmp_path / "c.json")])[3].used        # the run's own Budget
    code, tail = _run(checker, tmp_path, json.loads(json.dumps(thm33_cert)), "--max-work", str(need - 1))
    assert code == 4 and tail.startswith("s RESOURCE ") and f"--max-work={need - 1}" in tail, tail
    code, tail = _run(checker, tmp_path, json.loads(json.dumps(thm33_cert)), "--max-work", str(need))
    assert code == 0 and tail.endswith(" theorem=ysj19-thm3.3"), tail


# ---------------------------------------------------------------------------------------------
# The command line

def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "exactmem.cli", "pieces", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_cli_pieces(tmp_path):
    golden = sorted((ROOT / "certificates" / "golden").glob("ysj19-thm3.3-*.json"))
    assert golden, "a ysj19-thm3.3 golden certificate"
    done = cli(str(golden[0]))
    assert done.returncode == 0, done.stderr
    assert "the certificate's segment" in done.stdout and "respected" in done.stdout
    done = cli(str(ROOT / "certificates" / "golden" / "zhang17-n5-d1.json"), "--from", "-1", "--to", "1/2")
    assert done.returncode == 0 and "--from/--to" in done.stdout, done.stderr
    data = tmp_path / "w.json"
    done = cli("--witness", "--widths", "3", "--nets", "2", "--data-out", str(data))
    assert done.returncode == 0, done.stderr
    assert "N = P + 2 = 6" in done.stdout and "misses point" in done.stdout
    assert json.loads(data.read_text())["points"] == [[str(i)] for i in range(1, 7)]
    done = cli("--survey", "--trials", "2")
    assert done.returncode == 0 and "| relu | (8, 8) |" in done.stdout, done.stderr


@pytest.mark.parametrize("args,code,needle", [
    ([], 5, "one of"),
    (["--witness"], 5, "--widths"),
    (["--witness", "--widths", "1,2,3"], 5, "--widths"),
    (["--witness", "--widths", "x"], 5, "--widths"),
    (["certificates/golden/zhang17-n5-d1.json", "--from", "0"], 5, "both --from and --to"),
    (["certificates/golden/zhang17-n5-d1.json", "--from", "a", "--to", "1"], 5, "--from"),
    (["certificates/golden/zhang17-n5-d1.json", "--from", "0,1", "--to", "1,1"], 5, "coordinates"),
    (["certificates/golden/zhang17-n5-d1.json", "--output", "2"], 5, "output 2"),
    (["missing.json"], 5, "cannot read"),
    (["--survey", "--trials", "0"], 5, "--trials"),
    (["certificates/golden/ysj19-thm3.3-hardtanh-3layer-n12-d1.json", "--max-breakpoints", "5"], 4,
     "candidate breakpoints"),
])
def test_cli_errors_are_one_line(args, code, needle):
    done = cli(*args)
    assert done.returncode == code, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("exactmem: error: ") and needle in lines[0], done.stderr
