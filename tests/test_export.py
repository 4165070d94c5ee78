"""``exactmem export``: float ONNX / .npz files of a certificate's network, and the float report.

Oracles, all written here: an exact evaluator over Fractions, a nearest-float search over a
float and its neighbours (ties to even), a certificate parser and float evaluator of our own;
onnxruntime and numpy run the written files as a user would."""

import io
import json
import math
import random
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

from exactmem.certificate import network_json
from exactmem.cli import main
from exactmem.data import canonical_bytes
from exactmem.interop.export import round_rational
from exactmem.network import Layer, Network, ResidualBlock
from exactmem.rational import encode_rat

from conftest import ROOT

GOLDEN = ROOT / "certificates" / "golden"
NP = {"float64": np.float64, "float32": np.float32}
UINT = {"float64": np.uint64, "float32": np.uint32}


# ---------------------------------------------------------------------------------------------
# Independent oracles

def exact_eval(layers, x):
    """Exact output of a list of ("dense", act, W, b) / ("residual", act, U, c, V, d) with
    Fraction entries (W as rows n_out x n_in) at the point x."""
    def affine(W, b, act, h):
        out = []
        for row, bias in zip(W, b):
            t = sum((Fraction(w) * v for w, v in zip(row, h)), Fraction(0)) + Fraction(bias)
            out.append(max(t, Fraction(0)) if act == "relu" else
                       min(max(t, Fraction(-1)), Fraction(1)) if act == "hardtanh" else t)
        return out

    h = [Fraction(v) for v in x]
    for e in layers:
        if e[0] == "dense":
            h = affine(e[2], e[3], e[1], h)
        else:
            inner = affine(e[2], e[3], e[1], h)
            h = [a + b for a, b in zip(h, affine(e[4], e[5], "identity", inner))]
    return h


def nearest(x: Fraction, dtype: str) -> float:
    """The dtype value nearest to x, ties to even, found by search: the float next to x and its
    two neighbours, plus 2^emax (the first value past the largest finite one, standing for an
    overflow to infinity, as IEEE rounds), compared by their exact distance to x."""
    t = NP[dtype]
    sign = 1.0 if x >= 0 else -1.0        # not copysign(.., x): float(x) overflows for |x| >= 2^1024
    top = Fraction(2) ** (128 if dtype == "float32" else 1024)
    if abs(x) >= top:
        return math.copysign(math.inf, sign)
    biggest = float(np.finfo(t).max)
    try:
        start = float(x)
    except OverflowError:
        start = math.copysign(biggest, sign)
    with np.errstate(over="ignore"):
        start = t(start) if abs(start) <= biggest else t(math.copysign(biggest, sign))
        if not np.isfinite(start):
            start = t(math.copysign(biggest, sign))
    cands = [(Fraction(float(c)), float(c), int(np.array(c, dtype=t).view(UINT[dtype])) & 1 == 0)
             for c in {start, np.nextafter(start, t(math.inf)), np.nextafter(start, t(-math.inf))} if np.isfinite(c)]
    cands.append((top if x >= 0 else -top, math.copysign(math.inf, sign), True))
    best = min(abs(v - x) for v, _, _ in cands)
    ties = [(f, even) for v, f, even in cands if abs(v - x) == best]
    if len(ties) > 1:
        ties = [(f, even) for f, even in ties if even]
    return ties[0][0]


def parse_certificate(path):
    """(points, labels, task, layers) read straight from the JSON (our own decoding)."""
    cert = json.loads(Path(path).read_text())
    rat = lambda s: Fraction(*[int(p, 0) for p in s.split("/")]) if "/" in s else Fraction(int(s, 0))  # noqa: E731
    body = cert["dataset"]["inline"]

    def dense(obj):
        W = [[Fraction(int(v, 0), int(den, 0)) for v in row] for row, den in zip(obj["weights"], obj["dens"])]
        b = [Fraction(int(v, 0), int(den, 0)) for v, den in zip(obj["bias"], obj["dens"])]
        return W, b, obj["activation"]

    layers = []
    for e in cert["network"]["layers"]:
        if "residual" in e:
            U, c, act = dense(e["residual"]["inner"])
            V, d, _ = dense(e["residual"]["outer"])
            layers.append(("residual", act, U, c, V, d))
        else:
            W, b, act = dense(e)
            layers.append(("dense", act, W, b))
    points = [[rat(v) for v in p] for p in body["points"]]
    labels = body["labels"] if body["task"] == "classification" else [[rat(v) for v in y] for y in body["labels"]]
    return points, labels, body["task"], layers


def float_eval(layers, points, dtype):
    """Our own float evaluation: parameters rounded by the oracle, numpy in dtype, x @ W + b."""
    t = NP[dtype]
    to = lambda M: np.array([[nearest(v, dtype) for v in row] for row in M], dtype=t).T  # noqa: E731
    vec = lambda v: np.array([nearest(x, dtype) for x in v], dtype=t)  # noqa: E731
    act = {"relu": lambda h: np.maximum(h, t(0)), "hardtanh": lambda h: np.clip(h, t(-1), t(1)),
           "identity": lambda h: h}
    h = np.array([[nearest(v, dtype) for v in p] for p in points], dtype=t)
    with np.errstate(all="ignore"):
        for e in layers:
            if e[0] == "dense":
                h = act[e[1]](h @ to(e[2]) + vec(e[3]))
            else:
                h = h + (act[e[1]](h @ to(e[2]) + vec(e[3])) @ to(e[4]) + vec(e[5]))
    return h


def write_cert(path, net: Network, points, labels, task="regression", classes=None):
    """A minimal certificate file (dataset + network, as load_certificate reads it)."""
    if task == "regression":
        labels = [[encode_rat(v) for v in y] for y in labels]
    body = {"classes": classes, "labels": labels, "points": [[encode_rat(v) for v in p] for p in points],
            "task": task}
    cert = {"construction": {"id": "hand-made"},
            "dataset": {"inline": body, "sha256": __import__("hashlib").sha256(canonical_bytes(body)).hexdigest()},
            "network": network_json(net)}
    path.write_text(json.dumps(cert))
    return path


# ---------------------------------------------------------------------------------------------
# (a) a small dyadic network: the float files compute exactly the exact outputs

SMALL = [
    ("dense", "relu", [[Fraction(1, 2), Fraction(-1, 4)], [Fraction(3, 4), 1], [-1, Fraction(1, 8)]],
     [Fraction(1, 4), Fraction(-1, 2), 0]),
    ("residual", "hardtanh", [[Fraction(1, 4), Fraction(-1, 2), Fraction(1, 8)], [1, Fraction(1, 2), Fraction(-1, 4)]],
     [0, Fraction(-1, 2)], [[1, Fraction(-1, 2)], [Fraction(1, 4), 2], [Fraction(-3, 2), Fraction(1, 8)]],
     [Fraction(1, 8), 0, Fraction(-1, 4)]),
    ("dense", "identity", [[1, Fraction(-1, 2), Fraction(1, 4)], [Fraction(1, 8), 1, -1]], [Fraction(1, 2), Fraction(-1, 4)]),
]
GRID = [(Fraction(a), Fraction(b)) for a in range(-3, 4) for b in range(-3, 4)]


def small_network():
    entries = []
    for e in SMALL:
        if e[0] == "dense":
            entries.append(Layer.from_rationals(e[2], e[3], e[1]))
        else:
            entries.append(ResidualBlock(Layer.from_rationals(e[2], e[3], e[1]),
                                         Layer.from_rationals(e[4], e[5], "identity")))
    return Network(2, tuple(entries))


@pytest.fixture
def small_cert(tmp_path):
    exact = [exact_eval(SMALL, p) for p in GRID]
    return write_cert(tmp_path / "small.json", small_network(), GRID, exact), exact


def test_small_network_exercises_every_branch(small_cert):
    """The oracle data hits relu's zero side and both hard-tanh clips (else (a) proves little)."""
    hidden = [exact_eval(SMALL[:1], p) for p in GRID]
    inner = [exact_eval([("dense", "identity", SMALL[1][2], SMALL[1][3])], h) for h in hidden]
    assert any(v < 0 for p in GRID for v in exact_eval([("dense", "identity", *SMALL[0][2:])], p))
    assert any(v > 1 for row in inner for v in row) and any(v < -1 for row in inner for v in row)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_small_onnx_is_exact_in_onnxruntime(small_cert, tmp_path, dtype):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    cert, exact = small_cert
    out = tmp_path / "small.onnx"
    assert main(["export", str(cert), "--to", "onnx", "--dtype", dtype, "-o", str(out)]) == 0
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["x"] and [o.name for o in sess.get_outputs()] == ["y"]
    y = sess.run(["y"], {"x": np.array(GRID, dtype=NP[dtype])})[0]
    assert y.dtype == NP[dtype] and y.shape == (len(GRID), 2)
    assert [[Fraction(float(v)) for v in row] for row in y] == exact


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_small_npz_is_exact_in_numpy(small_cert, tmp_path, dtype, capsys):
    cert, exact = small_cert
    out = tmp_path / "small.npz"
    assert main(["export", str(cert), "--to", "npz", "--dtype", dtype, "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    z = np.load(out)
    layout = json.loads(z["layout"].item())
    assert [(s["kind"], s["activation"]) for s in layout] == [("dense", "relu"), ("residual", "hardtanh"),
                                                              ("dense", "identity")]
    assert sorted(z.files) == sorted(["W1", "b1", "U2", "c2", "V2", "d2", "W3", "b3", "layout", "meta"])
    assert json.loads(z["meta"].item())["dtype"] == dtype and z["W1"].dtype == NP[dtype]
    assert z["W1"].shape == (2, 3) and z["V2"].shape == (2, 3)     # (n_in, n_out): x @ W + b
    h = np.array(GRID, dtype=NP[dtype])
    act = {"relu": lambda v: np.maximum(v, 0), "hardtanh": lambda v: np.clip(v, -1, 1), "identity": lambda v: v}
    for s in layout:
        if s["kind"] == "dense":
            h = act[s["activation"]](h @ z[s["weight"]] + z[s["bias"]])
        else:
            inner = act[s["activation"]](h @ z[s["hidden_weight"]] + z[s["hidden_bias"]])
            h = h + (inner @ z[s["out_weight"]] + z[s["out_bias"]])
    assert [[Fraction(float(v)) for v in row] for row in h] == exact
    j = report["inference"]["numpy"]
    assert (j["outputs_equal"], j["outputs"], j["kept"], j["max_abs_error"]) == (2 * len(GRID), 2 * len(GRID),
                                                                                  len(GRID), 0)
    # 3 x (2 + 1) + 2 x (3 + 1) + 3 x (2 + 1) + 2 x (3 + 1) weights and biases, all dyadic
    assert report["parameters"] == {"total": 34, "exact": 34, "rounded": 0, "rounded_to_zero": 0}


# ---------------------------------------------------------------------------------------------
# (b) rounding: the nearest float, ties to even, straight from the rational

rationals = st.builds(lambda n, d, s: Fraction(n, d) * Fraction(2) ** s,
                      st.integers(-(2**200), 2**200), st.integers(1, 2**200), st.integers(-1100, 900))


@given(rationals)
@example(Fraction(803469022129495148921353645435892871877844905763748523802477) * 2 ** 825)   # past 2^1024
def test_rounding_matches_nearest_float64(x):
    assert round_rational(x.numerator, x.denominator, "float64", overflow="inf") == nearest(x, "float64")


@given(st.builds(lambda n, d, s: Fraction(n, d) * Fraction(2) ** s,
                 st.integers(-(2**100), 2**100), st.integers(1, 2**100), st.integers(-170, 120)))
def test_rounding_matches_nearest_float32(x):
    assert round_rational(x.numerator, x.denominator, "float32", overflow="inf") == nearest(x, "float32")


def test_rounding_random_and_ties():
    rng = random.Random(7)
    for _ in range(3000):
        x = Fraction(rng.randrange(-(2**80), 2**80), rng.randrange(1, 2**80)) * Fraction(2) ** rng.randrange(-160, 100)
        for dtype in ("float32", "float64"):
            assert round_rational(x.numerator, x.denominator, dtype, overflow="inf") == nearest(x, dtype), (x, dtype)
    # Exact ties: halfway between two float32 values goes to the even significand.
    for m in range(2**23, 2**23 + 40):
        x = Fraction(2 * m + 1, 2**24)                          # (m + 1/2) / 2^23, in [1, 2)
        assert round_rational(x.numerator, x.denominator, "float32") == (m + (m & 1)) / 2**23
    # Double rounding: float64 first lands on a float32 tie, the cast then goes the wrong way.
    x = 1 + Fraction(1, 2**24) + Fraction(1, 2**60)
    assert float(np.float32(float(x))) == 1.0
    assert round_rational(x.numerator, x.denominator, "float32") == 1 + 2**-23 == nearest(x, "float32")
    # Subnormals, the sign of zero, overflow at max + half an ulp (a tie, to even: up, infinite).
    assert round_rational(1, 2**149, "float32") == 2.0**-149 and round_rational(1, 2**151, "float32") == 0.0
    assert math.copysign(1, round_rational(-1, 2**151, "float32")) == -1
    assert round_rational(3, 2**151, "float32") == 2.0**-149
    big32 = Fraction(2**128) - Fraction(2**103)                 # float32 max + half an ulp
    assert round_rational(big32.numerator - 1, big32.denominator, "float32") == float(np.finfo(np.float32).max)
    with pytest.raises(OverflowError):
        round_rational(big32.numerator, big32.denominator, "float32")
    assert round_rational(big32.numerator, 1, "float32", overflow="inf") == math.inf
    big64 = 2**1024 - 2**970
    assert round_rational(big64 - 1, 1, "float64") == float(np.finfo(np.float64).max)
    assert round_rational(-big64, 1, "float64", overflow="inf") == -math.inf


# ---------------------------------------------------------------------------------------------
# (c) golden certificates through the CLI; the report against our own float evaluation

def expected_judgement(y, points, labels, task, layers, dtype):
    if task == "classification":
        kept = [i for i, (v, c) in enumerate(zip(y[:, 0], labels)) if np.isfinite(v) and round(float(v)) == c]
        err = max(abs(Fraction(float(v)) - c) for v, c in zip(y[:, 0], labels))
        return {"kept": len(kept), "misses": [i for i in range(len(labels)) if i not in kept],
                "max_abs_error": float(err)}
    exact = [exact_eval(layers, p) for p in points]
    eq = [[float(v) == nearest(e, dtype) for v, e in zip(row, ex)] for row, ex in zip(y, exact)]
    err = max(abs(Fraction(float(v)) - e) for row, ex in zip(y, exact) for v, e in zip(row, ex))
    return {"kept": sum(all(r) for r in eq), "misses": [i for i, r in enumerate(eq) if not all(r)],
            "outputs_equal": sum(map(sum, eq)), "max_abs_error": float(err)}


@pytest.mark.parametrize("name", ["zhang17-n5-d1.json", "vys21-n20-c3.json", "ysj19-thm4.1-hardtanh-n12-d3-c2-mixed.json"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("to", ["npz", "onnx"])
def test_golden_export_report_matches_our_float_evaluation(tmp_path, capsys, name, dtype, to):
    if to == "onnx":
        pytest.importorskip("onnx")
        ort = pytest.importorskip("onnxruntime")
    out = tmp_path / f"net.{to}"
    assert main(["export", str(GOLDEN / name), "--to", to, "--dtype", dtype, "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    points, labels, task, layers = parse_certificate(GOLDEN / name)
    assert report["task"] == task and report["N"] == len(points) and out.stat().st_size == report["bytes"]
    y = float_eval(layers, points, dtype)
    engines = {"numpy": y}
    if to == "onnx":
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(str(out), opts, providers=["CPUExecutionProvider"])
        x = np.array([[nearest(v, dtype) for v in p] for p in points], dtype=NP[dtype])
        engines["onnxruntime"] = sess.run(["y"], {"x": x})[0]
        assert set(report["inference"]) == {"numpy", "onnxruntime"}
    else:
        z = np.load(out)                                         # the weights are the oracle's roundings
        flat = [m for e in layers for m in ((e[2],) if e[0] == "dense" else (e[2], e[4]))]
        names = [n for n in z.files if n[0] in "WUV"]
        assert len(names) == len(flat)
        for M, n in zip(flat, sorted(names, key=lambda s: (int(s[1:]), s[0]))):
            assert np.array_equal(z[n], np.array([[nearest(v, dtype) for v in r] for r in M], dtype=NP[dtype]).T)
        assert set(report["inference"]) == {"numpy"}
    for engine, yy in engines.items():
        want = expected_judgement(yy, points, labels, task, layers, dtype)
        got = {k: report["inference"][engine][k] for k in want}
        assert got == want, engine


def test_golden_float_losses_are_real(tmp_path, capsys):
    """vys21 keeps every label exactly but not in float32: the report says so, and prints it."""
    out = tmp_path / "v.npz"
    assert main(["export", str(GOLDEN / "vys21-n20-c3.json"), "--to", "npz", "--dtype", "float32", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    points, labels, _, layers = parse_certificate(GOLDEN / "vys21-n20-c3.json")
    exact = [exact_eval(layers, p)[0] for p in points]
    assert exact == [Fraction(c) for c in labels]                # the exact network memorizes them all
    kept = sum(round(float(v)) == c for v, c in zip(float_eval(layers, points, "float32")[:, 0], labels))
    assert kept < len(labels)
    assert f"numpy float32: {kept} of {len(labels)} points keep their certified label" in text
    assert "ties to even" in text


# ---------------------------------------------------------------------------------------------
# (d) deterministic bytes

@pytest.mark.parametrize("to", ["npz", "onnx"])
def test_export_bytes_are_deterministic(tmp_path, to):
    if to == "onnx":
        onnx = pytest.importorskip("onnx")
        pytest.importorskip("onnxruntime")
    cert = GOLDEN / "ysj19-thm4.1-n12-d2-c2-narrow.json"
    a, b = tmp_path / f"a.{to}", tmp_path / f"b.{to}"
    for p in (a, b):
        assert main(["export", str(cert), "--to", to, "--dtype", "float32", "-o", str(p)]) == 0
    assert a.read_bytes() == b.read_bytes()
    if to == "npz":
        with zipfile.ZipFile(io.BytesIO(a.read_bytes())) as zf:
            assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    else:
        m = onnx.load(str(a))
        assert m.producer_name == "exactmem" and m.opset_import[0].version >= 13
        props = {p.key: p.value for p in m.metadata_props}
        assert "ties to even" in props["exactmem.rounding"]


# ---------------------------------------------------------------------------------------------
# (e) bad input: documented exit codes, one line, nothing written

def huge_cert(tmp_path, exponent):
    net = Network(1, (Layer.from_rationals([[1], [2]], [0, 0], "relu"),
                      Layer.from_rationals([[1, Fraction(2) ** exponent]], [0], "identity")))
    pts = [(Fraction(0),), (Fraction(1),)]
    return write_cert(tmp_path / "huge.json", net, pts, [[Fraction(0)], [1 + Fraction(2) ** (exponent + 1)]])


@pytest.mark.parametrize("case,code,needle", [
    ("missing", 5, "cannot read"),
    ("not-json", 5, "not a readable exactmem certificate"),
    ("not-cert", 5, "not a readable exactmem certificate"),
    ("overflow32", 2, "layer 2: weight [0][1] = about 2^200 overflows float32"),
    ("overflow64", 2, "layer 2: weight [0][1] = about 2^1100 overflows float64"),
    ("no-folder", 5, "does not exist"),
])
@pytest.mark.parametrize("to", ["npz", "onnx"])
def test_bad_input_exit_codes(tmp_path, capsys, case, code, needle, to):
    if to == "onnx":
        pytest.importorskip("onnx")
        pytest.importorskip("onnxruntime")
    dtype = "float64" if case == "overflow64" else "float32"
    src = {"missing": tmp_path / "nope.json",
           "not-json": tmp_path / "bad.json",
           "not-cert": tmp_path / "other.json",
           "overflow32": None, "overflow64": None,
           "no-folder": GOLDEN / "zhang17-n5-d1.json"}[case]
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps({"construction": {"id": "x"}, "hello": 1}))
    if case.startswith("overflow"):
        src = huge_cert(tmp_path, 200 if case == "overflow32" else 1100)
    out = tmp_path / ("missing-dir" if case == "no-folder" else ".") / f"out.{to}"
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["export", str(src), "--to", to, "--dtype", dtype, "-o", str(out)]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("exactmem: error: ") and needle in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == before            # nothing written, no temp file


def test_huge_weight_that_fits_is_exported(tmp_path):
    """2^100 overflows neither format: the same network exports, and float64 keeps it exactly."""
    out = tmp_path / "ok.npz"
    assert main(["export", str(huge_cert(tmp_path, 100)), "--to", "npz", "--dtype", "float32", "-o", str(out)]) == 0
    assert np.load(out)["W2"][1, 0] == np.float32(2.0**100)


def test_missing_onnx_names_the_extra(tmp_path, capsys, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "onnxruntime", None)           # import fails as if not installed
    out = tmp_path / "z.onnx"
    assert main(["export", str(GOLDEN / "zhang17-n5-d1.json"), "--to", "onnx", "-o", str(out)]) == 5
    assert "pip install 'exactmem[onnx]'" in capsys.readouterr().err
    assert not out.exists()
