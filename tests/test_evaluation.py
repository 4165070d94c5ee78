"""Evaluation certificates (format 1.3): exactly which points an imported ONNX model gets right.

The oracle for a scikit-learn model is written here from the model's own ``coefs_`` and
``intercepts_`` (rounded to float32 as skl2onnx stores them, then read as exact rationals), not
from the ONNX graph the importer reads.  Every forgery below is re-sealed (a fresh digest), so
the checker must find the lie in the evaluation itself.
"""

import copy
import json
import warnings
from fractions import Fraction

import numpy as np
import pytest

from conftest import run_checker_inprocess
from test_checker_forgery import seal_certificate

onnx = pytest.importorskip("onnx")
pytest.importorskip("skl2onnx")
from onnx import TensorProto, helper  # noqa: E402

from exactmem.certificate import certificate_bytes  # noqa: E402
from exactmem.data import Dataset  # noqa: E402
from exactmem.interop.onnx_import import certify_model, read_model  # noqa: E402


def _digits(n):
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    return X[:n].astype(int), y[:n].astype(int)


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    """A small ReLU classifier trained on 300 digits, converted by skl2onnx (not our code)."""
    from sklearn.neural_network import MLPClassifier
    from skl2onnx import to_onnx
    X, y = _digits(300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier(hidden_layer_sizes=(12,), max_iter=40, random_state=0).fit(X, y)
    path = tmp_path_factory.mktemp("mlp") / "mlp.onnx"
    path.write_bytes(to_onnx(clf, X[:1].astype(np.float32)).SerializeToString())
    return clf, path, X, y


def _oracle_misses(clf, X, y):
    """Points the classifier gets wrong, by exact argmax over float32-rounded weights (ties: a miss)."""
    Ws = [[[Fraction(float(np.float32(v))) for v in row] for row in W] for W in clf.coefs_]
    bs = [[Fraction(float(np.float32(v))) for v in b] for b in clf.intercepts_]
    misses = []
    for i, x in enumerate(X):
        a = [Fraction(int(v)) for v in x]
        for k, (W, b) in enumerate(zip(Ws, bs)):
            a = [sum(a[r] * W[r][c] for r in range(len(a))) + b[c] for c in range(len(b))]
            if k < len(Ws) - 1:
                a = [max(v, Fraction(0)) for v in a]
        top = max(a)
        if a.count(top) > 1 or list(clf.classes_)[a.index(top)] != y[i]:
            misses.append(i)
    return misses


def _dataset(X, y):
    return Dataset(tuple(tuple(int(v) for v in r) for r in X), tuple(int(c) + 1 for c in y), "classification",
                   10, "digits")


def _write(tmp_path, cert, name="e.json"):
    path = tmp_path / name
    path.write_bytes(certificate_bytes(cert))
    return path


def test_misses_equal_an_independent_exact_evaluation_and_verify(mlp, checker, tmp_path):
    clf, path, X, y = mlp
    cert = certify_model(read_model(path), _dataset(X, y), path.name, {"data": "digits"})
    expected = _oracle_misses(clf, X, y)
    assert cert["version"] == "1.3" and cert["evaluation"]["misses"] == expected
    assert cert["evaluation"]["correct"] == len(X) - len(expected)
    code, out = run_checker_inprocess(checker, _write(tmp_path, cert))
    assert code == 0, out
    assert out.strip().splitlines()[-1].endswith(f"theorem=none correct={len(X) - len(expected)}/{len(X)}")


def _forged(cert, change):
    bad = copy.deepcopy(cert)
    change(bad)
    return seal_certificate(bad)


def _some_right(cert):
    misses = set(cert["evaluation"]["misses"])
    return next(i for i in range(cert["dataset"]["n"]) if i not in misses)


FORGERIES = {
    "a miss removed": (1, lambda c: (c["evaluation"]["misses"].pop(0),
                                     c["evaluation"].__setitem__("correct", c["evaluation"]["correct"] + 1))),
    "a right point listed": (1, lambda c: (c["evaluation"]["misses"].__setitem__(
        slice(None), sorted(c["evaluation"]["misses"] + [_some_right(c)])),
        c["evaluation"].__setitem__("correct", c["evaluation"]["correct"] - 1))),
    "count inflated": (1, lambda c: c["evaluation"].__setitem__("correct", c["evaluation"]["correct"] + 1)),
    "a tie invented": (1, lambda c: c["evaluation"]["ties"].append(c["evaluation"]["misses"][0])),
    "a tie that is not a miss": (2, lambda c: c["evaluation"]["ties"].append(_some_right(c))),
    "unsorted misses": (2, lambda c: c["evaluation"]["misses"].reverse()),
    "index out of range": (2, lambda c: c["evaluation"]["misses"].append(c["dataset"]["n"])),
    # a repeated index would make N - |misses| undercount the right points
    "a miss listed twice": (2, lambda c: (c["evaluation"]["misses"].insert(0, c["evaluation"]["misses"][0]),
                                          c["evaluation"].__setitem__("correct", c["evaluation"]["correct"] - 1))),
    "unknown rule": (2, lambda c: c["evaluation"].__setitem__("rule", "top5")),
    "an output changed": (1, lambda c: c["outputs"][0].__setitem__(0, "12345")),
    "a theorem's id": (1, lambda c: c["construction"].__setitem__("id", "zhang17")),
    "a precision id": (1, lambda c: c["construction"].__setitem__("id", "rounded:zhang17")),
    "version 1.2": (2, lambda c: c.__setitem__("version", "1.2")),
    "equal rule on a classifier": (1, lambda c: (c["evaluation"].__setitem__("rule", "equal"))),
    "no evaluation": (1, lambda c: (c.__delitem__("evaluation"))),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_evaluations_are_refused(mlp, checker, tmp_path, name):
    _, path, X, y = mlp
    cert = certify_model(read_model(path), _dataset(X, y), path.name, {"data": "digits"})
    assert cert["evaluation"]["misses"], "the forgeries need a model with misses"
    code, expected = None, FORGERIES[name][0]
    code, out = run_checker_inprocess(checker, _write(tmp_path, _forged(cert, FORGERIES[name][1])))
    assert code == expected, out


def _linear_model(tmp_path, W, b, head="Softmax", hidden=None):
    """A hand-made ONNX model x -> [Relu(x H + h)] W + b -> head, float32 weights."""
    nodes, inits, cur = [], [], "x"
    d = len(W) if hidden is None else len(hidden[0])
    if hidden is not None:
        inits += [helper.make_tensor("H", TensorProto.FLOAT, [len(hidden), len(hidden[0])],
                                     np.array(hidden, dtype=np.float32).reshape(-1).tolist()),
                  helper.make_tensor("h", TensorProto.FLOAT, [len(hidden[0])], [0.0] * len(hidden[0]))]
        nodes += [helper.make_node("MatMul", [cur, "H"], ["z0"]), helper.make_node("Add", ["z0", "h"], ["z1"]),
                  helper.make_node("Relu", ["z1"], ["a1"])]
        d, cur = len(hidden), "a1"
    inits += [helper.make_tensor("W", TensorProto.FLOAT, [len(W), len(W[0])], np.array(W, np.float32).reshape(-1).tolist()),
              helper.make_tensor("b", TensorProto.FLOAT, [len(b)], list(b))]
    nodes += [helper.make_node("MatMul", [cur, "W"], ["m"]), helper.make_node("Add", ["m", "b"], ["logits"])]
    out = "logits"
    if head:
        nodes.append(helper.make_node(head, ["logits"], ["p"]))
        out = "p"
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, d])],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, [None, len(b)])], inits)
    path = tmp_path / "m.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    return path


def test_ties_are_misses_and_listed(checker, tmp_path):
    # logits (x1, x2, 0): a tie wherever the two largest coordinates are equal
    path = _linear_model(tmp_path, [[1, 0, 0], [0, 1, 0]], [0, 0, 0])
    pts = [(2, 1), (1, 1), (-1, -1), (0, 3), (0, 0)]
    labels = [1, 1, 3, 2, 3]          # (1,1) ties classes 1, 2; (0,0) ties 1, 2 and 3
    ds = Dataset(tuple(pts), tuple(labels), "classification", 3, "hand")
    cert = certify_model(read_model(path), ds, "m.onnx", {})
    assert cert["evaluation"] == {"rule": "argmax", "correct": 3, "misses": [1, 4], "ties": [1, 4]}
    code, out = run_checker_inprocess(checker, _write(tmp_path, cert))
    assert code == 0 and "3 of 5 points right, 2 wrong (2 ties)" in out, out


def test_dyadic_weights_are_read_exactly(tmp_path):
    # 0.1 as float32 is 13421773/134217728: the network must carry exactly that
    path = _linear_model(tmp_path, [[0.1]], [0.0], head=None)
    layer = read_model(path).network.layers[-1]
    assert Fraction(layer.weights[0][0], layer.dens[0]) == Fraction(float(np.float32(0.1)))


def test_regression_model_uses_the_equal_rule(checker, tmp_path):
    path = _linear_model(tmp_path, [[0.5], [0.25]], [1.0], head=None, hidden=[[1, 0], [0, 1]])
    pts = [(2, 4), (1, 1), (0, 0)]
    # f = relu(x1)/2 + relu(x2)/4 + 1: 3, 7/4, 1; the second label is off by 1/4
    labels = [(Fraction(3),), (Fraction(2),), (Fraction(1),)]
    cert = certify_model(read_model(path), Dataset(tuple(pts), tuple(labels)), "m.onnx", {})
    assert cert["evaluation"] == {"rule": "equal", "correct": 2, "misses": [1], "ties": []}
    assert run_checker_inprocess(checker, _write(tmp_path, cert))[0] == 0


def test_unsupported_operators_and_shapes_are_named(tmp_path):
    from exactmem.errors import DataError, UsageError
    path = _linear_model(tmp_path, [[1, 0], [0, 1]], [0, 0], head="Tanh")
    with pytest.raises(DataError, match="Tanh"):
        read_model(path)
    with pytest.raises(UsageError, match="not an ONNX model"):
        bad = tmp_path / "bad.onnx"
        bad.write_bytes(b"\x00not a model" * 10)
        read_model(bad)
    model = read_model(_linear_model(tmp_path, [[1, 0], [0, 1]], [0, 0]))
    ds = Dataset(((1, 2, 3),), (1,), "classification", 2, "hand")
    with pytest.raises(DataError, match="dimension"):
        certify_model(model, ds, "m.onnx", {})


def test_the_certificate_records_the_model(mlp, tmp_path):
    _, path, X, y = mlp
    cert = certify_model(read_model(path), _dataset(X, y), path.name, {"data": "digits"})
    import hashlib
    assert cert["construction"]["params"]["model_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert json.loads(json.dumps(cert["info"]))["class_values"] == [str(c) for c in range(10)]


def test_verify_model_from_the_command_line(mlp, tmp_path, capsys):
    """`exactmem verify-model` writes a certificate the checker (a separate interpreter) VERIFIES,
    with the oracle's count; bad input gets its documented exit code and writes nothing."""
    import subprocess
    import sys
    from conftest import CHECKER
    from exactmem.cli import main
    clf, path, X, y = mlp
    data = tmp_path / "digits.npz"
    np.savez(data, X=X.astype(np.int64), y=(y + 1).astype(np.int64))
    out = tmp_path / "v.json"
    assert main(["verify-model", str(path), "--data", str(data), "--classes", "10", "-o", str(out), "-q"]) == 0
    right = len(X) - len(_oracle_misses(clf, X, y))
    assert f"exactly {right} of {len(X)} points right" in capsys.readouterr().out
    done = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), str(out)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.splitlines()[-1].endswith(f"correct={right}/{len(X)}")
    bad = tmp_path / "bad.json"
    assert main(["verify-model", str(path), "-o", str(bad)]) == 5                              # no --data
    assert main(["verify-model", str(tmp_path / "none.onnx"), "--data", str(data), "--classes", "10",
                 "-o", str(bad)]) == 5                                                        # no model file
    assert main(["verify-model", str(path), "--data", str(data), "--classes", "9", "-o", str(bad)]) == 2
    tanh = _linear_model(tmp_path, [[1, 0], [0, 1]], [0, 0], head="Tanh")
    assert main(["verify-model", str(tanh), "--data", str(data), "--classes", "10", "-o", str(bad)]) == 2
    assert not bad.exists()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_verify_model_on_an_exported_certificate(checker, tmp_path, dtype, capsys):
    """`exactmem export` a golden classifier to ONNX, then `verify-model` it: the float-rounded
    network, evaluated exactly, gets exactly the points an independent Fraction evaluation of the
    exported .npz arrays says (rule nearest: |f(x) - c| < 1/2), and the certificate VERIFIES."""
    from conftest import ROOT
    from exactmem.cli import main
    golden = ROOT / "certificates" / "golden" / "vys21-n20-c3.json"
    cert = json.loads(golden.read_text())
    body = cert["dataset"]["inline"]
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"points": body["points"], "labels": body["labels"], "task": "classification",
                                "classes": body["classes"]}))
    onnx_file, npz_file, out = tmp_path / "m.onnx", tmp_path / "m.npz", tmp_path / "v.json"
    assert main(["export", str(golden), "--to", "onnx", "--dtype", dtype, "-o", str(onnx_file)]) == 0
    assert main(["export", str(golden), "--to", "npz", "--dtype", dtype, "-o", str(npz_file)]) == 0
    assert main(["verify-model", str(onnx_file), "--data", str(data), "--classes", str(body["classes"]),
                 "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    arrays = np.load(npz_file)
    layout = json.loads(arrays["layout"].reshape(-1)[0])
    assert all(e["kind"] == "dense" for e in layout), layout
    misses = []
    for i, (x, c) in enumerate(zip(body["points"], body["labels"])):
        a = [Fraction(v) for v in x]
        for k, entry in enumerate(layout, 1):
            W, b = arrays[entry["weight"]], arrays[entry["bias"]]
            a = [sum(a[r] * Fraction(float(W[r][j])) for r in range(len(a))) + Fraction(float(b[j]))
                 for j in range(len(b))]
            if entry["activation"] == "relu":
                a = [max(v, Fraction(0)) for v in a]
        if not abs(a[0] - c) < Fraction(1, 2):
            misses.append(i)
    written = json.loads(out.read_text())
    assert written["evaluation"]["rule"] == "nearest" and written["evaluation"]["misses"] == misses
    code, text = run_checker_inprocess(checker, out)
    assert code == 0 and text.strip().endswith(f"correct={20 - len(misses)}/20"), text


def test_judging_is_charged_to_the_budget(checker):
    """Every comparison the rules make is charged before it runs (the cost model)."""
    import sys as _sys
    base, evaluation = _sys.modules["check_base"], _sys.modules.get("check_evaluation")
    if evaluation is None:
        import importlib
        evaluation = importlib.import_module("check_evaluation")
    for rule, out, label in (("nearest", [(7, 3)], [(2, 1)]), ("argmax", [(1, 2), (3, 4), (1, 1)], [(3, 1)])):
        budget = base.Budget()
        evaluation.judge(rule, out, label, "test", budget)
        assert budget.used > 0, rule
    assert evaluation.judge("nearest", [(5, 2)], [(2, 1)], "t", base.Budget()) == (False, False)   # 1/2 away: a miss
    assert evaluation.judge("nearest", [(9, 4)], [(2, 1)], "t", base.Budget()) == (True, False)
    assert evaluation.judge("argmax", [(1, 1), (1, 1)], [(1, 1)], "t", base.Budget()) == (False, True)
