"""Precision module: exact rounding, the least-bits searches, the proven bound, and the checkable
claims (suffice certificates verified by check.py, fail witnesses by check.py --witness W
--against SOURCE), and the format 1.2 precision claim variables against brute-force oracles."""

import contextlib
import hashlib
import io
import json
import math
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from exactmem.certificate import certificate_bytes, network_from_json
from exactmem.constructions import registry
from exactmem.data import canonical_bytes, random_dataset
from exactmem.engine import forward
from exactmem.errors import DataError
from exactmem.pipeline import certify_dataset
from exactmem.rational import decode_int, decode_rat, encode_rat
from exactmem.studies import precision as P

import oracles as O
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
    assert P.ieee_value(x.numerator, x.denominator, "float64") == want


def test_ieee_small_formats():
    assert P.ieee_value(65504, 1, "float16") == 65504.0
    assert P.ieee_value(65520, 1, "float16") == math.inf          # rounds up past the largest
    assert P.ieee_value(1, 2 ** 24, "float16") == 2.0 ** -24        # smallest subnormal
    assert P.ieee_value(1, 2 ** 26, "float16") == 0.0               # below half of it
    assert P.ieee_value(257, 1, "bfloat16") == 256.0                # 8 significant bits
    assert P.ieee_value(259, 1, "bfloat16") == 260.0


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
        net = network_from_json(cert["network"])
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


def run_witness(checker, witness, source, *flags):
    """(exit code, stdout) of check.py --witness WITNESS --against SOURCE, in this process."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = checker.main(["--witness", str(witness), "--against", str(source), *flags])
    return code, buf.getvalue()


def test_witnesses_verify_and_tampering_is_rejected(analyses, checker, tmp_path):
    cid, ds, mode, cert, folder, report = analyses[1]                    # zhang17, classes
    source = folder / "c.json"
    wfile = folder / report["fixed"]["witness"]["file"]
    done = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), "--witness", str(wfile), "--against",
                           str(source)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.splitlines()[-1].startswith("s VERIFIED WITNESS "), done.stdout
    w = json.loads(wfile.read_text())
    # A certificate is not a witness, and a witness is not a certificate.
    assert run_checker_inprocess(checker, wfile)[0] == 2
    assert run_witness(checker, source, source)[0] == 2
    # --witness needs the certificate it refutes.
    done = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), "--witness", str(wfile)],
                          capture_output=True, text=True)
    assert done.returncode == 5, done.stdout
    # ... and that certificate, not another one (zhang17 on other data).
    code, text = run_witness(checker, wfile, analyses[0][4] / "c.json")
    assert code == 1 and text.splitlines()[-1].startswith("s REJECTED"), text

    def verdict(mutate, rehash=True):
        v = json.loads(json.dumps(w))
        mutate(v)
        if rehash:
            v["witness_sha256"] = hashlib.sha256(canonical_bytes(
                {k: x for k, x in v.items() if k != "witness_sha256"})).hexdigest()
        path = tmp_path / "w.json"
        path.write_bytes(canonical_bytes(v) + b"\n")
        return run_witness(checker, path, source)

    assert verdict(lambda v: None)[0] == 0
    out = Fraction(decode_rat(w["output"][0]))
    tampered = {
        "output": lambda v: v["output"].__setitem__(0, encode_rat(out + 1)),
        "label": lambda v: v["decision"].__setitem__("label", round(out)),       # the output meets it
        "rounding": lambda v: v["rounding"].__setitem__("k", v["rounding"]["k"] + 1),
        "weight": lambda v: tamper_weight(v["network"]["layers"][-1]),     # +1, still canonical
        "point": lambda v: v["point"].__setitem__(0, encode_rat(decode_rat(v["point"][0]) + 1)),
        # Bound to the source certificate: another point of it, another original network, another digest.
        "point_index": lambda v: v.__setitem__("point_index", (v["point_index"] + 1) % ds.n),
        "original_network": lambda v: tamper_weight(v["original_network"]["layers"][-1]),
        "source_sha256": lambda v: v["source"].__setitem__("certificate_sha256", "0" * 64),
    }
    for name, mutate in tampered.items():
        code, text = verdict(mutate)
        assert code == 1, (name, text)
        assert text.splitlines()[-1].startswith("s REJECTED"), (name, text)
    # Every field is bound to the source certificate, so a stale digest shows only when the
    # digest itself is the one thing changed.
    code, text = verdict(lambda v: v.__setitem__("witness_sha256", "0" * 64), rehash=False)
    assert code == 1 and "witness_sha256 mismatch" in text
    # The size limits apply to witnesses too (exit 4 before any arithmetic).
    width = len(w["network"]["layers"][0]["dens"])
    path = tmp_path / "w0.json"
    path.write_bytes(canonical_bytes(w) + b"\n")
    assert run_witness(checker, path, source, "--max-width", str(width))[0] == 0
    code, text = run_witness(checker, path, source, "--max-width", str(width - 1))
    assert code == 4 and "--max-width" in text
    code, text = run_witness(checker, path, source, "--max-layers", "1")
    assert code == 4 and "--max-layers" in text


def tamper_weight(layer):
    w, den = decode_int(layer["weights"][0][0]), decode_int(layer["dens"][0])
    layer["weights"][0][0] = encode_rat(w + den)


def test_regression_witness_verifies(analyses, checker):
    for cid, ds, mode, cert, folder, report in analyses:
        for kind in ("fixed", "float"):
            if "witness" in report[kind]:
                code, text = run_witness(checker, folder / report[kind]["witness"]["file"], folder / "c.json")
                assert code == 0, (cid, kind, text)


# ---------------------------------------------------------------------------------------------
# Evaluators and the bound

def test_mpfr_at_high_precision_is_exact_on_dyadic_networks():
    ds = random_dataset(n=10, d=2, classes=3, seed=1)
    net = certify_dataset_network("vys21", ds)
    assert P.mpfr_forward(net, ds.points, 400) == forward(net, ds.points)


def certify_dataset_network(cid, ds):
    return network_from_json(certify_dataset(cid, ds)["network"])


@settings(max_examples=15)
@given(st.integers(0, 10**6), st.integers(-4, 30))
def test_bound_is_sound(seed, k):
    ds = random_dataset(n=8, d=2, seed=seed)
    net = certify_dataset_network("zhang17", ds)
    decision = P.decision_for(ds)
    trace = P.exact_trace(net, ds.points)
    assert trace.outputs == forward(net, ds.points)
    tables = P.Tables(net)
    for kind, n in (("fixed", k), ("float", max(k, 1))):
        if P.bound_passes(trace, tables, ds, decision, kind, n):
            assert passes(P.round_network(net, kind, n), ds, decision), (kind, n)


def test_ieee_float64_passes_and_bfloat16_struggles_on_zhang17(analyses):
    cid, ds, mode, cert, folder, report = analyses[0]
    assert report["ieee"]["float64"]["misclassified"] == 0
    assert report["ieee"]["bfloat16"]["significant_bits"] == 8


def test_residual_networks_are_supported(tmp_path):
    assert "ysj19-thm4.1" in registry()
    ds = random_dataset(n=12, d=3, classes=2, seed=2)
    try:
        cert = certify_dataset("ysj19-thm4.1", ds)
    except DataError as e:
        # The one documented refusal for these options (docs/ysj19.md): data not in general position,
        # with a witness of at most dx + 1 rows that must really be affinely dependent. Anything else fails.
        msg = str(e)
        assert "lie on one affine subspace" in msg or "not in general position" in msg, msg
        rows = [int(r) - 1 for r in msg.split("rows ")[1].split(" lie")[0].split(" are")[0].split(", ")]
        assert len(rows) <= ds.d + 1 and O.affinely_dependent(ds.points, rows), msg
        pytest.skip(f"ysj19-thm4.1 refused the data with the documented reason: {msg}")
    path = tmp_path / "r.json"
    path.write_bytes(certificate_bytes(cert))
    report = P.analyze(path, out_dir=tmp_path, formats=("float64",))
    for kind in ("fixed", "float"):
        assert report[kind]["suffice_check"]["exit"] == 0
        if "witness_check" in report[kind]:
            assert report[kind]["witness_check"]["exit"] == 0
    net = network_from_json(cert["network"])
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


# ---------------------------------------------------------------------------------------------
# Format 1.2 precision claim variables, against brute-force oracles written here

from exactmem.certificate import V12_VARIABLES, claim_env, format_version  # noqa: E402
from exactmem.data import Dataset  # noqa: E402
from exactmem.network import Layer, Network, ResidualBlock  # noqa: E402


def oracle_grid(w: Fraction) -> int:
    """(largest e with 2^e <= q) minus (times 2 divides p), by repeated halving and doubling."""
    p, q = w.numerator, w.denominator
    e = 0
    while 2 ** (e + 1) <= q:
        e += 1
    z = 0
    while p % 2 == 0:
        p //= 2
        z += 1
    return e - z


def oracle_least_k(w: Fraction) -> int:
    """For a dyadic w != 0: the least k (from -200 up) with w * 2^k an integer."""
    for k in range(-200, 200):
        if (w * Fraction(2) ** k).denominator == 1:
            return k
    raise AssertionError(w)


def oracle_sig(w: Fraction) -> int:
    """For a dyadic w != 0: the least s with w = m * 2^e, m an integer, |m| < 2^s, for some e."""
    for s in range(1, 400):
        for e in range(-200, 200):
            m = w / Fraction(2) ** e
            if m.denominator == 1 and abs(m) < 2 ** s:
                return s
    raise AssertionError(w)


def oracle_vars(params) -> dict:
    nz = [w for w in params if w]
    return {"dyadic_weights": int(all(bin(w.denominator).count("1") == 1 for w in params)),
            "grid_bits": max((oracle_grid(w) for w in nz), default=0),
            "sig_bits": max((oracle_sig(w) for w in nz if bin(w.denominator).count("1") == 1), default=0)}


def params_of(layers) -> list:
    """Every weight and bias as a Fraction (the layers given as rational rows)."""
    return [Fraction(v) for W, b, _ in layers for row in W for v in row] + \
           [Fraction(v) for W, b, _ in layers for v in b]


def net_of(input_dim, layers) -> Network:
    return Network(input_dim, tuple(Layer.from_rationals(W, b, act) for W, b, act in layers))


def env_of(net, classes=None, d=1):
    if classes:
        ds = Dataset(((Fraction(0),) * d,), (1,), "classification", classes)
    else:
        ds = Dataset(((Fraction(0),) * d,), ((Fraction(0),),), "regression")
    env = claim_env(ds, net)
    return {k: env[k] for k in ("decoder_margin_bits", "dyadic_weights", "grid_bits", "sig_bits")}


Q = Fraction
HAND = [
    # mixed fractions and integers
    [([[Q(3, 4)], [Q(-5, 8)]], [12, 0], "relu"), ([[1, Q(1, 2)]], [0], "identity")],
    # every parameter a multiple of 8: grid_bits is negative
    [([[8], [24]], [-16, 40], "relu"), ([[32, 8]], [0], "identity")],
    # an all-zero layer before a nonzero one
    [([[0], [0]], [0, 0], "relu"), ([[Q(7, 16), Q(-3, 2)]], [Q(1, 64)], "identity")],
    # every parameter 0
    [([[0], [0]], [0, 0], "relu"), ([[0, 0]], [0], "identity")],
    # odd numerators with many bits, large and tiny magnitudes
    [([[Q(2 ** 40 + 1, 2 ** 3)], [Q(-(2 ** 70) * 3)]], [Q(5, 2 ** 90), 7], "relu"), ([[1, 1]], [0], "identity")],
]


@pytest.mark.parametrize("layers", HAND)
def test_precision_variables_match_brute_force_on_hand_made_networks(layers):
    got = env_of(net_of(1, layers))
    want = oracle_vars(params_of(layers))
    assert got == {"decoder_margin_bits": 0, **want}
    nz = [w for w in params_of(layers) if w]
    assert got["grid_bits"] == max((oracle_least_k(w) for w in nz), default=0)   # dyadic: the least grid


def test_precision_variables_concrete_values():
    assert env_of(net_of(1, HAND[0]))["grid_bits"] == 3 and env_of(net_of(1, HAND[0]))["sig_bits"] == 3
    assert env_of(net_of(1, HAND[1]))["grid_bits"] == -3
    assert env_of(net_of(1, HAND[3])) == {"decoder_margin_bits": 0, "dyadic_weights": 1, "grid_bits": 0, "sig_bits": 0}
    assert env_of(net_of(1, HAND[4]))["grid_bits"] == 90 and env_of(net_of(1, HAND[4]))["sig_bits"] == 41


def test_precision_variables_non_dyadic_and_residual():
    layers = [([[Q(1, 3)], [Q(5, 12)]], [Q(-7, 10), 0], "relu"), ([[1, 1]], [0], "identity")]
    got = env_of(net_of(1, layers))
    assert got["dyadic_weights"] == 0
    assert got["grid_bits"] == oracle_grid(Q(5, 12)) == 3          # floor(log2 12) = 3, v2(5) = 0
    assert got["sig_bits"] == 3                                      # odd part of 5 (and of 7): 3 bits
    # A residual block contributes both of its maps.
    inner = Layer.from_rationals([[Q(1, 1024)]], [0], "relu")
    outer = Layer.from_rationals([[Q(3, 2)]], [Q(1, 2)], "identity")
    out = Layer.from_rationals([[2]], [0], "identity")
    got = env_of(Network(1, (ResidualBlock(inner, outer), out)))
    assert got["grid_bits"] == 10 and got["sig_bits"] == 2 and got["dyadic_weights"] == 1


def hand_decoder(C, t, bias_off=None):
    """The decoder of docs/precision.md section 5, written from its formula (not from precision.py)."""
    s = Fraction(2) ** (t - 1)
    W, b = [], []
    for j in range(C + 1):
        W += [[s], [s]]
        b += [-Fraction(2 * j + 1, 2) * s + Fraction(1, 2), -Fraction(2 * j + 1, 2) * s - Fraction(1, 2)]
    if bias_off is not None:
        b[bias_off] += Fraction(1, 1024)
    return [(W, b, "relu"), ([[1, -1] * (C + 1)], [0], "identity")]


BASE = [([[Q(3, 4), 2], [Q(-5, 8), 1]], [12, Q(1, 32)], "relu"), ([[1, Q(1, 2)]], [Q(3, 8)], "identity")]


@pytest.mark.parametrize("C,t", [(1, 1), (3, 2), (4, 7), (10, 20)])
def test_decoder_is_recognised_and_left_out_of_the_grid(C, t):
    net = net_of(2, BASE + hand_decoder(C, t))
    assert net == P.with_decoder(net_of(2, BASE), C, t)            # the writer appends this very decoder
    want = oracle_vars(params_of(BASE))
    assert env_of(net, classes=C, d=2) == {"decoder_margin_bits": t, **want}
    # Another class count, regression data, or one bias off by 2^-10: not the decoder, every map counts.
    full = {"decoder_margin_bits": 0, **oracle_vars(params_of(BASE + hand_decoder(C, t)))}
    assert env_of(net, classes=C + 1, d=2) == full
    assert env_of(net, d=2) == full
    for off in (0, 2 * C + 1):
        near = BASE + hand_decoder(C, t, bias_off=off)
        assert env_of(net_of(2, near), classes=C, d=2) == {"decoder_margin_bits": 0, **oracle_vars(params_of(near))}
    # The decoder alone (fewer than 3 layers) is not recognised either.
    assert env_of(net_of(1, hand_decoder(C, t)), classes=C)["decoder_margin_bits"] == 0


def test_format_version_1_2_only_when_a_1_2_variable_is_named():
    for name in V12_VARIABLES:
        assert format_version([{"statement": f"{name} <= 3"}], {}) == "1.2"
    assert format_version([{"statement": "depth == 2"}], {}) == "1.0"
    assert format_version([{"statement": "pieces_on_segment <= 3"}], {}) == "1.1"


def statements(c) -> dict:
    return {cl["id"]: cl["statement"] for cl in c["claims"]}


def certificate_params(c) -> list:
    """Every weight and bias of the certificate's rounded maps (the decoder, if any, left out)."""
    net = network_from_json(c["network"])
    dec = c["info"]["precision"]["decoder"]
    entries = net.layers[:dec["layers_before"]] if dec else net.layers
    out = []
    for e in entries:
        for L in ((e.inner, e.outer) if isinstance(e, ResidualBlock) else (e,)):
            for row, b, den in zip(L.weights, L.bias, L.dens):
                out += [Fraction(v, den) for v in (*row, b)]
    return out


def test_suffice_certificates_state_their_precision(analyses):
    for cid, ds, mode, cert, folder, report in analyses:
        for kind in ("fixed", "float"):
            n = report[kind]["least"]
            c = json.loads((folder / report[kind]["suffice"]["file"]).read_text())
            st_ = statements(c)
            assert c["version"] == "1.2"
            assert st_["precision-dyadic"] == "dyadic_weights == 1"
            params = certificate_params(c)
            want = oracle_vars(params)
            assert want["dyadic_weights"] == 1
            if kind == "fixed":
                assert st_["precision-grid"] == f"grid_bits <= {n}" and "precision-significand" not in st_
                bound = max((oracle_least_k(w) for w in params if w), default=0)
                assert bound <= n and want["grid_bits"] == bound
                got = next(cl for cl in c["claims"] if cl["id"] == "precision-grid")
            else:
                assert st_["precision-significand"] == f"sig_bits <= {n}" and "precision-grid" not in st_
                bound = max((oracle_sig(w) for w in params if w), default=0)
                assert bound <= n
                got = next(cl for cl in c["claims"] if cl["id"] == "precision-significand")
            assert decode_int(got["lhs"]) == bound and decode_int(got["rhs"]) == n
            dec = c["info"]["precision"]["decoder"]
            if c["info"]["precision"]["mode"] == "decoded":
                t = int(dec["mu"].removeprefix("2^-"))
                assert st_["precision-decoder"] == f"decoder_margin_bits == {t}"
                assert Fraction(1, 2 ** t) <= decode_rat(c["info"]["precision"]["min_margin"])
            else:
                assert "precision-decoder" not in st_


def test_suffice_certificate_with_a_negative_grid(analyses):
    cid, ds, mode, cert, folder, report = analyses[0]                    # zhang17, regression
    d = ds.d
    big = net_of(d, [([[8 * (i + j + 1) for j in range(d)] for i in range(3)], [-16, 24, 0], "relu"),
                     ([[32, -8, 64]], [8], "identity")])
    decision = P.decision_for(ds)
    for n in (-3, -1, 2):
        c, m = P.suffice_certificate(cert, ds, big, "fixed", n, decision)
        assert m == "relabelled" and statements(c)["precision-grid"] == f"grid_bits <= {n}"
        assert decode_int(next(cl for cl in c["claims"] if cl["id"] == "precision-grid")["lhs"]) == -3
    # Every parameter rounded to 0: grid_bits is 0 by definition, and the claim states what holds.
    zero = net_of(d, [([[0] * d], [0], "relu"), ([[0]], [0], "identity")])
    c, m = P.suffice_certificate(cert, ds, zero, "fixed", -4, decision)
    assert statements(c)["precision-grid"] == "grid_bits <= 0"
