"""The Python API (exactmem.certify / load / Certificate / Verdict, docs/api.md).

Oracles, never the code under test: a plain Fraction evaluator written here (ReLU between the
affine maps), Python's own exact float -> Fraction and correctly rounded Fraction -> float
conversions, numpy's neighbouring floats compared in exact arithmetic, ``sorted`` for the class
order, and the independent checker run by hand as ``python3 -I -S certificates/check.py``.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import exactmem
from exactmem.errors import DataError, UsageError

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "certificates" / "check.py"

# Six distinct integer points in the plane and three classes.
X6 = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [2, 1], [3, 5]], dtype=np.int64)
Y6 = [1, 2, 2, 1, 3, 1]


def relu_eval(maps, x):
    """The network of ``maps`` [(W, b), ...] at x: ReLU after every map but the last."""
    a = [Fraction(v) for v in x]
    for k, (W, b) in enumerate(maps):
        assert all(len(row) == len(a) for row in W), "weights do not chain"
        z = [sum((w * v for w, v in zip(row, a)), Fraction(0)) + bi for row, bi in zip(W, b)]
        a = z if k == len(maps) - 1 else [max(v, Fraction(0)) for v in z]
    return a


def checker_by_hand(path):
    """(exit code, last stdout line) of the independent checker, run as a reader would."""
    done = subprocess.run([sys.executable, "-I", "-S", str(CHECK), str(path)], capture_output=True, text=True)
    return done.returncode, done.stdout.strip().splitlines()[-1]


# ---------------------------------------------------------------------------------------------
# certify, check, weights

@pytest.mark.parametrize("construction,options", [("zhang17", {}), ("vys21", {"seed": 1})])
def test_certify_classification_checks_and_weights_reproduce_labels(construction, options):
    cert = exactmem.certify(X6, Y6, construction, classes=3, **options)
    assert cert.construction == construction
    verdict = cert.check()
    assert verdict and verdict.code == 0 and verdict.name == "VERIFIED"
    assert verdict.line.startswith("s VERIFIED ") and cert.digest in verdict.line
    maps = cert.weights()
    assert len(maps) == cert.sizes["depth"]
    assert all(type(v) is Fraction for W, b in maps for row in W for v in (*row, *b))
    for x, label in zip(X6.tolist(), Y6):
        assert relu_eval(maps, x) == [Fraction(label)]
    assert cert.class_values == (1, 2, 3)


def test_predict_matches_an_independent_evaluator_off_the_data():
    cert = exactmem.certify(X6, Y6, "zhang17", classes=3)
    rng = random.Random(7)
    pts = [[Fraction(rng.randint(-50, 50), rng.randint(1, 9)) for _ in range(2)] for _ in range(20)]
    assert cert.predict(pts) == [tuple(relu_eval(cert.weights(), p)) for p in pts]
    assert cert.predict(X6) == [(Fraction(c),) for c in Y6]


def test_regression_with_decimal_strings_and_vector_labels():
    X = [["0.1", "1/3"], ["2", "-1e-2"], [Fraction(5, 7), 4]]
    y = [["1/2", "3"], ["-0.25", "0"], [7, "1/9"]]
    cert = exactmem.certify(X, y, "zhang17")
    assert cert.dataset.task == "regression" and cert.class_values is None
    assert cert.dataset.points[0] == (Fraction(1, 10), Fraction(1, 3))
    assert cert.dataset.points[1][1] == Fraction(-1, 100)
    want = [[Fraction(1, 2), Fraction(3)], [Fraction(-1, 4), Fraction(0)], [Fraction(7), Fraction(1, 9)]]
    assert [relu_eval(cert.weights(), x) for x in cert.dataset.points] == want
    assert cert.check()


def test_numpy_integer_coordinates_are_exact():
    big = 2 ** 62 + 1                                   # not representable in a float64
    X = np.array([[big, 0], [0, 1], [-3, 2]], dtype=np.int64)
    cert = exactmem.certify(X, [1, 2, 1], "zhang17", classes=2)
    assert cert.dataset.points[0] == (Fraction(big), Fraction(0))
    mixed = [[np.int8(1), np.uint16(2)], [np.int32(-4), np.int64(5)]]
    cert = exactmem.certify(mixed, ["a", "b"], "zhang17")
    assert cert.dataset.points == ((Fraction(1), Fraction(2)), (Fraction(-4), Fraction(5)))


# ---------------------------------------------------------------------------------------------
# The float rule

@pytest.mark.parametrize("X", [[[0.1, 1], [2, 3]], np.array([[0.1, 1.0], [2.0, 3.0]]),
                               np.array([[0.1, 1.0], [2.0, 3.0]], dtype=np.float32)])
def test_floats_are_refused_without_exact_floats(X):
    with pytest.raises(DataError, match="float.*exact_floats=True"):
        exactmem.certify(X, ["a", "b"], "zhang17")


def test_float_labels_are_refused_for_regression():
    with pytest.raises(DataError, match="float"):
        exactmem.certify([[0], [1]], [0.5, 1.5], "zhang17")


def test_exact_floats_reads_each_float_as_its_binary_value():
    X = np.array([[0.1, 1.0], [2.5, -1 / 3]])
    cert = exactmem.certify(X, np.array([0.2, 0.3]), "zhang17", exact_floats=True)
    assert cert.dataset.points[0][0] == Fraction(0.1) == Fraction(3602879701896397, 36028797018963968)
    assert cert.dataset.points[1][1] == Fraction(-1 / 3)
    assert [y[0] for y in cert.dataset.labels] == [Fraction(0.2), Fraction(0.3)]
    x32 = np.float32(0.1)
    cert = exactmem.certify(np.array([[x32], [np.float32(2)]]), ["a", "b"], "zhang17", exact_floats=True)
    assert cert.dataset.points[0][0] == Fraction(float(x32))      # widening float32 -> float is exact
    assert cert.check()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True])
def test_nan_inf_and_bool_are_refused(bad):
    with pytest.raises(DataError):
        exactmem.certify([[bad], [1]], ["a", "b"], "zhang17", exact_floats=True)


# ---------------------------------------------------------------------------------------------
# The label rule

def test_string_labels_map_sorted_to_classes_and_round_trip():
    y = ["pear", "apple", "fig", "apple", "pear", "fig"]
    cert = exactmem.certify(X6, y, "zhang17")
    assert cert.dataset.task == "classification"
    assert cert.class_values == tuple(sorted(set(y)))
    assert cert.dataset.classes == 3
    assert [cert.class_values[k - 1] for k in cert.dataset.labels] == y
    assert [cert.class_values[int(out[0]) - 1] for out in cert.predict(X6)] == y


def test_zero_based_and_explicit_class_values():
    cert = exactmem.certify(X6, np.array([0, 1, 1, 0, 2, 0]), "zhang17", task="classification")
    assert cert.class_values == (0, 1, 2) and cert.dataset.labels == (1, 2, 2, 1, 3, 1)
    order = ["z", "y", "x", "w"]                 # a given order, with a class absent from y
    cert = exactmem.certify(X6, ["x", "y", "y", "x", "z", "x"], "zhang17", classes=order)
    assert cert.class_values == tuple(order) and cert.dataset.classes == 4
    assert cert.dataset.labels == (3, 2, 2, 3, 1, 3)


def test_task_defaults():
    assert exactmem.certify(X6, Y6, "zhang17").dataset.task == "regression"       # ints, no classes
    assert exactmem.certify(X6, Y6, "zhang17", classes=3).dataset.task == "classification"
    assert exactmem.certify(X6, np.array(Y6).reshape(-1, 1), "zhang17").dataset.task == "regression"
    with pytest.raises(UsageError):
        exactmem.certify(X6, Y6, "zhang17", task="regression", classes=3)
    with pytest.raises(UsageError):
        exactmem.certify(X6, Y6, "zhang17", task="ranking")
    with pytest.raises(DataError):
        exactmem.certify(X6, ["a", "b"], "zhang17")                                 # lengths differ


# ---------------------------------------------------------------------------------------------
# save and load

def test_save_writes_what_the_checker_verifies_and_load_reads_it_back(tmp_path):
    cert = exactmem.certify(X6, ["b", "a", "a", "b", "c", "b"], "zhang17")
    path = tmp_path / "c.json"
    cert.save(path)
    code, line = checker_by_hand(path)
    assert code == 0 and line.startswith("s VERIFIED")
    assert path.read_bytes() == cert.to_bytes()
    assert json.loads(path.read_bytes()) == cert.to_dict()
    back = exactmem.load(path)
    assert back.digest == cert.digest == json.loads(path.read_bytes())["certificate_sha256"]
    assert back.dataset.points == cert.dataset.points and back.weights() == cert.weights()
    assert back.class_values is None                          # a file records the classes 1..C only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]      # no staging left behind


def test_save_into_a_missing_folder_writes_nothing(tmp_path):
    cert = exactmem.certify(X6, Y6, "zhang17", classes=3)
    for verify in (True, False):
        with pytest.raises(UsageError, match="does not exist"):
            cert.save(tmp_path / "missing" / "c.json", verify=verify)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UsageError, match="folder"):
        cert.save(tmp_path)


def test_load_errors_are_one_line(tmp_path):
    (tmp_path / "not.json").write_text("{oops")
    (tmp_path / "other.json").write_text(json.dumps({"points": [[1]]}))
    for path in (tmp_path / "absent.json", tmp_path / "not.json", tmp_path / "other.json", tmp_path):
        with pytest.raises(UsageError) as err:
            exactmem.load(path)
        assert "\n" not in str(err.value)
    with pytest.raises(UsageError):
        exactmem.load({"format": "exactmem-certificate"})


def test_a_tampered_certificate_is_not_verified_and_not_saved(tmp_path):
    cert = exactmem.certify(X6, Y6, "zhang17", classes=3)
    d = cert.to_dict()
    d["outputs"][0] = ["2"]                         # point 0's label is 1
    bad = exactmem.Certificate.from_dict(d)
    verdict = bad.check()
    assert not verdict and verdict.code in (1, 2) and verdict.name in ("REJECTED", "MALFORMED")
    assert verdict.line.startswith(f"s {verdict.name}")
    path = tmp_path / "bad.json"
    bad.save(path, verify=False)                    # the caller's choice: written unchecked
    assert checker_by_hand(path)[0] == verdict.code
    path.unlink()
    with pytest.raises(DataError, match="not written"):
        bad.save(path)
    assert list(tmp_path.iterdir()) == []
    assert cert.check()                             # to_dict() was a copy: the original is intact


def test_check_limits():
    cert = exactmem.certify(X6, Y6, "zhang17", classes=3)
    verdict = cert.check(max_work=1)                # the checker's RESOURCE verdict, exit code 4
    assert not verdict and verdict.code == 4 and verdict.name == "RESOURCE"
    assert cert.check(max_work=10 ** 12, max_memory=1 << 31)
    with pytest.raises(UsageError):
        cert.check(max_time=3)


# ---------------------------------------------------------------------------------------------
# Usage errors

def test_unknown_construction_and_option_are_usage_errors():
    with pytest.raises(UsageError, match="unknown construction"):
        exactmem.certify(X6, Y6, "zhang18", classes=3)
    with pytest.raises(UsageError, match="widths"):
        exactmem.certify(X6, Y6, "zhang17", classes=3, widths=[8, 8])
    with pytest.raises(UsageError, match="seed"):
        exactmem.certify(X6, Y6, "zhang17", classes=3, seed=1)
    with pytest.raises(UsageError, match="float"):
        exactmem.certify(X6, Y6, "ysj19-cor4.2", classes=3, perturb=0.001)


def test_construction_options_pass_through():
    a = exactmem.certify(X6, Y6, "zhang17", classes=3, bias_rule="mid")
    b = exactmem.certify(X6, Y6, "zhang17", classes=3)
    assert a.to_dict()["construction"]["params"]["bias_rule"] == "mid" and a.digest != b.digest
    v = exactmem.certify(X6, Y6, "vys21", classes=3, seed=np.int64(4))
    assert v.to_dict()["recipe"]["seed"] == 4


def test_repr_is_short_and_informative():
    cert = exactmem.certify(X6, ["a", "b", "b", "a", "c", "a"], "zhang17")
    text = repr(cert)
    assert "\n" not in text and len(text) < 120
    for part in ("zhang17", "N=6", "d=2", "C=3", cert.digest[:12]):
        assert part in text


# ---------------------------------------------------------------------------------------------
# float_weights: correctly rounded

def _nearest_by_neighbours(q: Fraction, dtype):
    """The value of ``dtype`` nearest to q (ties to an even significand), found from numpy's
    neighbouring floats around a float64 guess and compared exactly."""
    guess = np.array(float(q), dtype=dtype)
    cands = {guess.item(), np.nextafter(guess, dtype(np.inf)).item(), np.nextafter(guess, dtype(-np.inf)).item()}
    cands = [c for c in cands if np.isfinite(c)]
    best = min(abs(Fraction(c) - q) for c in cands)
    ties = [c for c in cands if abs(Fraction(c) - q) == best]
    if len(ties) == 1:
        return ties[0]
    return next(c for c in ties if int(np.array(c, dtype=dtype).view(f"u{np.dtype(dtype).itemsize}")) % 2 == 0)


def test_float_weights_are_correctly_rounded():
    X = [[Fraction(1, 3), Fraction(2, 7)], [Fraction(-5, 11), Fraction(1, 13)], [1, 2]]
    cert = exactmem.certify(X, [Fraction(1, 10), Fraction(-7, 3), Fraction(22, 7)], "zhang17")
    exact = cert.weights()
    f64 = cert.float_weights()
    assert [(W.dtype, b.dtype) for W, b in f64] == [(np.float64, np.float64)] * len(exact)
    for (W, b), (Wf, bf) in zip(exact, f64):
        assert Wf.shape == (len(W), len(W[0])) and bf.shape == (len(b),)
        assert Wf.tolist() == [[float(v) for v in row] for row in W]     # Python's rounding is correct
        assert bf.tolist() == [float(v) for v in b]
    for (W, b), (Wf, bf) in zip(exact, cert.float_weights(np.float32)):
        assert Wf.dtype == np.float32
        assert Wf.tolist() == [[_nearest_by_neighbours(v, np.float32) for v in row] for row in W]
    with pytest.raises(UsageError):
        cert.float_weights(np.int32)


def test_correct_rounding_against_python_and_numpy():
    """exactmem.rational.ieee_float, which float_weights (and the export, and the precision
    study) round through: Python's own float(Fraction) and numpy's neighbours are the oracles."""
    from exactmem.rational import ieee_float

    def round_to_binary(q, fmt):
        return ieee_float(q.numerator, q.denominator, fmt)

    rng = random.Random(3)
    f64 = "float64"
    tie = Fraction(2 ** 53 + 1, 2 ** 53)                      # halfway between 1 and 1 + 2^-52
    values = [tie, -tie, Fraction(3 * 2 ** 52 + 1, 2 ** 53), Fraction(1, 3), Fraction(1, 2 ** 1074),
              Fraction(3, 2 ** 1076), Fraction(1, 2 ** 1076), Fraction(2 ** 1024 - 2 ** 970, 1)]
    values += [Fraction(rng.randint(-10 ** 30, 10 ** 30), rng.randint(1, 10 ** 30)) * Fraction(2) ** rng.randint(-1100, 1000)
               for _ in range(300)]
    for q in values:
        try:
            want = float(q)                 # correctly rounded; OverflowError when it rounds past the range
        except OverflowError:
            want = float("inf") if q > 0 else float("-inf")
        assert round_to_binary(q, f64) == want, q
    assert round_to_binary(Fraction(2) ** 1024, f64) == float("inf")
    assert round_to_binary(-Fraction(2) ** 1030, f64) == float("-inf")
    f32 = "float32"
    for q in values[:8] + [Fraction(1, 10), Fraction(1, 2 ** 149), Fraction(3, 2 ** 151), Fraction(2 ** 100 + 1, 3)]:
        want = _nearest_by_neighbours(q, np.float32) if abs(q) < 2 ** 127 else None
        if want is not None:
            assert round_to_binary(q, f32) == want, q


# ---------------------------------------------------------------------------------------------
# The package's front door and the doc's example

def test_import_exactmem_is_cheap_and_exposes_the_api_lazily():
    code = ("import sys, exactmem; before = sorted(m for m in sys.modules if m.startswith('exactmem')); "
            "numpy = 'numpy' in sys.modules; f = exactmem.certify; "
            "print(before, numpy, 'exactmem.api' in sys.modules, sorted(set(exactmem.__all__)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.split("\n")[0] == (
        "['exactmem'] False True ['Certificate', 'Verdict', '__version__', 'certify', 'load']")
    from exactmem.api import Certificate, Verdict, certify, load

    assert (exactmem.certify, exactmem.load, exactmem.Certificate, exactmem.Verdict) == (certify, load, Certificate,
                                                                                         Verdict)
    assert {"certify", "load", "Certificate", "Verdict"} <= set(dir(exactmem))
    with pytest.raises(AttributeError):
        exactmem.no_such_name


def test_the_docs_example_runs_as_written(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "docs/api.md", "exec"), {"__name__": "__docs__"})
    assert checker_by_hand(tmp_path / "animals.json")[0] == 0


def test_the_readme_example_runs_as_written(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1 and 6 <= len(blocks[0].strip().splitlines()) <= 10
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.md", "exec"), {"__name__": "__readme__"})
