"""Precision module: exact rounding, the least-bits searches, the proven bound, and the checkable
claims (suffice certificates verified by check.py, fail witnesses by check.py --witness)."""

import json
import math
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from exactmem import precision as P
from exactmem.certificate import certificate_bytes
from exactmem.constructions import registry
from exactmem.data import canonical_bytes, random_dataset
from exactmem.engine import forward
from exactmem.pipeline import certify_dataset

from conftest import CHECKER, fraction_forward, run_checker_inprocess

fractions = st.builds(Fraction, st.integers(-2**70, 2**70), st.integers(1, 2**40))


# ---------------------------------------------------------------------------------------------
# Rounding

@given(st.integers(-10**30, 10**30), st.integers(1, 10**12))
def test_round_half_even_is_pythons_round(a, b):
    assert P.round_half_even(a, b) == round(Fraction(a, b))


@given(fractions, st.integers(-20, 80))
def test_round_fixed_nearest_on_grid_ties_even(x, k):
    r = P.round_fixed(x, k)
    m = r * Fraction(2) ** k
    assert m.denominator == 1
    err = abs(r - x)
    assert err <= Fraction(1, 2) * Fraction(2) ** -k
    if err == Fraction(1, 2) * Fraction(2) ** -k:
        assert m.numerator % 2 == 0                    # a tie went to the even multiple


@given(st.integers(-2**60, 2**60), st.integers(0, 40), st.integers(0, 30))
def test_round_fixed_is_exact_for_fine_enough_grids(m, t, extra):
    x = Fraction(m, 2 ** t)
    assert P.round_fixed(x, t + extra) == x


def test_round_fixed_ties():
    assert P.round_fixed(Fraction(5, 8), 2) == Fraction(1, 2)      # 2.5 quarters -> 2
    assert P.round_fixed(Fraction(7, 8), 2) == Fraction(1)          # 3.5 quarters -> 4
    assert P.round_fixed(Fraction(-5, 8), 2) == Fraction(-1, 2)
    assert P.round_fixed(Fraction(6), -2) == Fraction(8)            # 1.5 fours -> 2
    assert P.round_fixed(Fraction(10), -2) == Fraction(8)           # 2.5 fours -> 2


@given(fractions.filter(lambda q: q != 0), st.integers(1, 80))
def test_round_sig_has_p_bits_and_half_ulp_error(x, p):
    r = P.round_sig(x, p)
    m, e = P.sig_parts(x.numerator, x.denominator, p)
    assert m * Fraction(2) ** e == r and abs(m) <= 2 ** p
    odd = abs(m) >> ((abs(m) & -abs(m)).bit_length() - 1)
    assert odd.bit_length() <= p
    assert abs(r - x) <= abs(x) * Fraction(1, 2 ** p)
    if abs(r - x) == Fraction(2) ** e / 2:                     # a tie: even significand
        assert m % 2 == 0


@given(fractions.filter(lambda q: q != 0))
def test_round_sig_53_is_float64_rounding(x):
    assert P.round_sig(x, 53) == Fraction(float(x))


@given(st.integers(-2**40, 2**40).filter(bool), st.integers(-60, 60), st.integers(0, 20))
def test_round_sig_exact_with_enough_bits(m, e, extra):
    x = m * Fraction(2) ** e
    assert P.round_sig(x, abs(m).bit_length() + extra) == x


@given(st.builds(Fraction, st.integers(-2**60, 2**60), st.integers(1, 2**60)),
       st.integers(-1100, 1100))
def test_ieee_float64_conversion_matches_python_including_subnormals(x, e):
    x = x * Fraction(2) ** e
    try:
        want = float(x)
    except OverflowError:
        want = math.inf if x > 0 else -math.inf
    assert P._ieee_value(x.numerator, x.denominator, "float64") == want


def test_ieee_small_formats():
    assert P._ieee_value(65504, 1, "float16") == 65504.0
    assert P._ieee_value(65520, 1, "float16") == math.inf          # rounds up past the largest
    assert P._ieee_value(1, 2 ** 24, "float16") == 2.0 ** -24        # smallest subnormal
    assert P._ieee_value(1, 2 ** 26, "float16") == 0.0               # below half of it
    assert P._ieee_value(257, 1, "bfloat16") == 256.0                # 8 significant bits
    assert P._ieee_value(259, 1, "bfloat16") == 260.0


# ---------------------------------------------------------------------------------------------
# Searches

@given(st.integers(-30, 60), st.integers(-30, 60))
def test_least_passing_finds_a_monotone_threshold(t, start):
    s = P.least_passing(lambda n: n >= t, start, floor=-40)
    assert s.value == t and not s.nonmonotone
    assert s.evaluations[t] and not s.evaluations[t - 1] and s.evaluations[t + 1]


def test_least_passing_reports_non_monotone_pairs():
    ok = lambda n: n >= 20 or n in (17, 12)          # noqa: E731
    s = P.least_passing(ok, 0, floor=0, window=4)
    assert ok(s.value) and not ok(s.value - 1)
    assert s.value == 17                               # the window below 20 found 17; 16 fails
    assert [17, 18] in s.nonmonotone
    s = P.least_passing(lambda n: n >= 5, 9, floor=5)  # the floor itself passes
    assert s.value == 5 and s.at_floor


# ---------------------------------------------------------------------------------------------
# Whole analysis on small networks built here

def cases():
    return [
        ("zhang17", random_dataset(n=14, d=2, seed=3), "relabelled"),
        ("zhang17", random_dataset(n=14, d=2, classes=3, seed=3), "decoded"),
        ("ysj19-thm3.1", random_dataset(n=16, d=2, seed=4), None),
        ("vys21", random_dataset(n=18, d=3, classes=4, seed=5), "exact"),
    ]


@pytest.fixture(scope="module")
def analyses(tmp_path_factory):
    out = []
    for cid, ds, mode in cases():
        folder = tmp_path_factory.mktemp(cid)
        cert = certify_dataset(cid, ds)
        path = folder / "c.json"
        path.write_bytes(certificate_bytes(cert))
        report = P.analyze(path, out_dir=folder, formats=("float64", "bfloat16"), check=False)
        out.append((cid, ds, mode, cert, folder, report))
    return out


def passes(net, ds, decision):
    return all(decision.ok(fraction_forward(net, x), t) for x, t in zip(ds.points, ds.targets()))


def test_least_k_and_p_pass_and_one_less_fails(analyses):
    for cid, ds, mode, cert, folder, report in analyses:
        net = P.network_from_json(cert["network"])
        decision = P.decision_for(ds)
        for kind in ("fixed", "float"):
            v = report[kind]["least"]
            assert v is not None, (cid, kind)
            assert passes(P.round_network(net, kind, v), ds, decision), (cid, kind, v)
            assert not passes(P.round_network(net, kind, v - 1), ds, decision), (cid, kind, v)
        assert report["arith"]["neighbours"]["n"] and report["arith"]["neighbours"]["n-1"] is False


def test_proven_bound_is_at_least_the_empirical_minimum(analyses):
    for cid, ds, mode, cert, folder, report in analyses:
        assert report["proven"]["fixed_k"] >= report["fixed"]["least"], cid
        assert report["proven"]["float_p"] >= report["float"]["least"], cid
        assert report["consistency"]["proven_k_at_least_empirical_k"] is True


def test_vys21_needs_about_its_bit_complexity_in_float_weights(analyses):
    cid, ds, mode, cert, folder, report = analyses[-1]
    bits = cert["sizes"]["bit_complexity"]
    assert report["fixed"]["least"] <= 1                 # integer weights after Stage I
    assert bits - 8 <= report["float"]["least"] <= bits   # the block encodings must stay exact
    assert report["arith"]["least"] >= report["float"]["least"]


def test_suffice_certificates_verify_with_the_checker_unchanged(analyses):
    for cid, ds, mode, cert, folder, report in analyses:
        for kind in ("fixed", "float"):
            entry = report[kind]["suffice"]
            if mode is not None and kind == "fixed":
                assert entry["mode"] == mode, cid
            done = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), str(folder / entry["file"])],
                                  capture_output=True, text=True)
            assert done.returncode == 0, done.stdout[-2000:]
            assert done.stdout.splitlines()[-1].startswith("s VERIFIED ")
            c = json.loads((folder / entry["file"]).read_text())
            assert c["construction"]["id"] == "rounded:" + cid
            assert "assumption-distinct" in [cl["id"] for cl in c["claims"]]


def test_witnesses_verify_and_tampering_is_rejected(analyses, checker, tmp_path):
    cid, ds, mode, cert, folder, report = analyses[1]                    # zhang17, classes
    wfile = folder / report["fixed"]["witness"]["file"]
    done = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), "--witness", str(wfile)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.splitlines()[-1].startswith("s VERIFIED WITNESS "), done.stdout
    w = json.loads(wfile.read_text())
    # A certificate is not a witness, and a witness is not a certificate.
    assert run_checker_inprocess(checker, wfile)[0] == 2
    assert run_checker_inprocess(checker, folder / "c.json", "--witness")[0] == 2

    def verdict(mutate, rehash=True):
        v = json.loads(json.dumps(w))
        mutate(v)
        if rehash:
            v["witness_sha256"] = P.hashlib.sha256(canonical_bytes(
                {k: x for k, x in v.items() if k != "witness_sha256"})).hexdigest()
        path = tmp_path / "w.json"
        path.write_bytes(canonical_bytes(v) + b"\n")
        return run_checker_inprocess(checker, path, "--witness")

    assert verdict(lambda v: None)[0] == 0
    out = Fraction(P.decode_rat(w["output"][0]))
    tampered = {
        "output": lambda v: v["output"].__setitem__(0, P.encode_rat(out + 1)),
        "label": lambda v: v["decision"].__setitem__("label", round(out)),       # the output meets it
        "rounding": lambda v: v["rounding"].__setitem__("k", v["rounding"]["k"] + 1),
        "weight": lambda v: tamper_weight(v["network"]["layers"][-1]),     # +1, still canonical
        "point": lambda v: v["point"].__setitem__(0, P.encode_rat(P.decode_rat(v["point"][0]) + 1)),
    }
    for name, mutate in tampered.items():
        code, text = verdict(mutate)
        assert code == 1, (name, text)
        assert text.splitlines()[-1].startswith("s REJECTED"), (name, text)
    code, text = verdict(lambda v: v.__setitem__("point_index", 3), rehash=False)
    assert code == 1 and "witness_sha256 mismatch" in text
    # The size limits apply to witnesses too (exit 4 before any arithmetic).
    width = len(w["network"]["layers"][0]["dens"])
    path = tmp_path / "w0.json"
    path.write_bytes(canonical_bytes(w) + b"\n")
    assert run_checker_inprocess(checker, path, "--witness", "--max-width", str(width))[0] == 0
    code, text = run_checker_inprocess(checker, path, "--witness", "--max-width", str(width - 1))
    assert code == 4 and "--max-width" in text
    code, text = run_checker_inprocess(checker, path, "--witness", "--max-layers", "1")
    assert code == 4 and "--max-layers" in text


def tamper_weight(layer):
    w, den = P.decode_int(layer["weights"][0][0]), P.decode_int(layer["dens"][0])
    layer["weights"][0][0] = P.encode_rat(w + den)


def test_regression_witness_verifies(analyses, checker):
    for cid, ds, mode, cert, folder, report in analyses:
        for kind in ("fixed", "float"):
            if "witness" in report[kind]:
                code, text = run_checker_inprocess(checker, folder / report[kind]["witness"]["file"], "--witness")
                assert code == 0, (cid, kind, text)


# ---------------------------------------------------------------------------------------------
# Evaluators and the bound

def test_mpfr_at_high_precision_is_exact_on_dyadic_networks():
    ds = random_dataset(n=10, d=2, classes=3, seed=1)
    net = certify_dataset_network("vys21", ds)
    assert P.mpfr_forward(net, ds.points, 400) == forward(net, ds.points)


def certify_dataset_network(cid, ds):
    return P.network_from_json(certify_dataset(cid, ds)["network"])


@settings(max_examples=15)
@given(st.integers(0, 10**6), st.integers(-4, 30))
def test_bound_is_sound(seed, k):
    ds = random_dataset(n=8, d=2, seed=seed)
    net = certify_dataset_network("zhang17", ds)
    decision = P.decision_for(ds)
    trace = P.exact_trace(net, ds.points)
    assert trace.outputs == forward(net, ds.points)
    tables = P._Tables(net)
    for kind, n in (("fixed", k), ("float", max(k, 1))):
        if P.bound_passes(trace, tables, ds, decision, kind, n):
            assert passes(P.round_network(net, kind, n), ds, decision), (kind, n)


def test_ieee_float64_passes_and_bfloat16_struggles_on_zhang17(analyses):
    cid, ds, mode, cert, folder, report = analyses[0]
    assert report["ieee"]["float64"]["misclassified"] == 0
    assert report["ieee"]["bfloat16"]["significant_bits"] == 8


def test_residual_networks_are_supported(tmp_path):
    if "ysj19-thm4.1" not in registry():
        pytest.skip("no residual construction registered")
    ds = random_dataset(n=12, d=3, classes=2, seed=2)
    try:
        cert = certify_dataset("ysj19-thm4.1", ds)
    except Exception as e:                                     # data not in general position, etc.
        pytest.skip(f"ysj19-thm4.1 refused the data: {e}")
    path = tmp_path / "r.json"
    path.write_bytes(certificate_bytes(cert))
    report = P.analyze(path, out_dir=tmp_path, formats=("float64",))
    for kind in ("fixed", "float"):
        assert report[kind]["suffice_check"]["exit"] == 0
        if "witness_check" in report[kind]:
            assert report[kind]["witness_check"]["exit"] == 0
    net = P.network_from_json(cert["network"])
    assert P.mpfr_forward(net, ds.points, 600) == forward(net, ds.points)


def test_cli_precision_writes_report_and_claims(tmp_path, capsys):
    from exactmem.cli import main

    ds = random_dataset(n=10, d=2, classes=3, seed=7)
    path = tmp_path / "z.json"
    path.write_bytes(certificate_bytes(certify_dataset("zhang17", ds)))
    out = tmp_path / "out"
    assert main(["precision", str(path), "--out", str(out), "--formats", "float32", "-q"]) == 0
    text = capsys.readouterr().out
    assert "fixed-point weights" in text and "VERIFIED WITNESS" in text
    report = json.loads((out / "report.json").read_text())
    assert set(report["ieee"]) == {"float32"}
    assert main(["precision", str(path), "--tol", "1/100", "--out", str(out)]) == 5     # tol is for regression
