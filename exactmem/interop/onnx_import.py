"""Certify, exactly, which data points a trained float network gets right: ``exactmem verify-model``
(docs/verify-model.md).

A float network says what it predicts only up to rounding: two runtimes, or one runtime on two
machines, may disagree on a point whose largest outputs are close.  Here every float weight of
an ONNX model is read as the exact dyadic rational it stores (a float32 1.1 is
9227469/8388608), the network is evaluated exactly on every data point, and the result is an
evaluation certificate (format 1.3, section 23 of docs/certificate-format.md): the network's
exact outputs and the exact list of points it gets wrong, which the independent checker
recomputes.  The data are the dataset's exact values: a Cast of the input to float is read as
the identity (the question answered is what the network computes on the data, not on the data
rounded to float32).

Supported graphs: one input of shape N x d, then a chain of MatMul / Gemm (with Add of a
constant bias), Relu and Clip(-1, 1) (hard-tanh), Identity, Cast and Flatten, ending in
  * a classifier head - Softmax, LogSoftmax or ArgMax over one output per class (the class is the
    position of the largest logit; a tie for the largest is reported as a miss), or Sigmoid over
    one output (binary: class 2 iff the logit is positive, a tie iff it is zero); anything
    after the head (ArgMax, ZipMap, label lookups, casts) only reports labels and is ignored;
  * or no head (a final Reshape is allowed): the outputs are compared with regression labels
    exactly (rule ``equal``), or, for class labels and one output, the class is the nearest
    integer to the output (rule ``nearest``: how exactmem's own classifiers, exported by
    ``exactmem export``, encode the class).
This is the shape scikit-learn's MLPClassifier and MLPRegressor take when converted by
skl2onnx, and the shape of a plain PyTorch ``nn.Sequential`` of Linear and ReLU layers exported
by ``torch.onnx``.  Anything else is refused with the operator named.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..errors import DataError, UsageError
from ..network import Layer, Network

PASS_THROUGH = ("Cast", "Identity", "Flatten")
HEADS = ("Softmax", "LogSoftmax", "ArgMax", "Sigmoid")


@dataclass(frozen=True)
class ImportedModel:
    """An ONNX model read exactly: the network, the rule its outputs are judged by ("argmax" for
    a classifier head, "equal" without one), the class values of its outputs (classifiers, in
    output order; None if the model does not say), and what the reader did, for the record."""
    network: Network
    rule: str
    class_values: tuple | None
    sha256: str
    notes: tuple


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise UsageError("reading ONNX models needs the onnx package: pip install 'exactmem[onnx]'") from None
    return onnx, numpy_helper


def _exact(array, name: str) -> list:
    """Every entry of a numpy array as the exact rational it stores (floats are dyadic)."""
    out = []
    for v in array.reshape(-1).tolist():
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            raise DataError(f"initializer {name}: {v} is not a number")
        out.append(Fraction(v))
    return out


def _matrix(array, name: str, transpose: bool = False) -> list:
    """A 2-D initializer as rows of Fractions (transposed on request)."""
    if array.ndim != 2:
        raise DataError(f"initializer {name}: expected a matrix, got shape {tuple(array.shape)}")
    rows, cols = array.shape
    flat = _exact(array, name)
    m = [flat[r * cols:(r + 1) * cols] for r in range(rows)]
    return [list(col) for col in zip(*m)] if transpose else m


class _Chain:
    """The affine map being accumulated (rows act on the previous layer's output), closed into
    a Layer at each activation."""

    def __init__(self, dim: int):
        self.dim, self.rows, self.bias, self.layers = dim, None, None, []

    def matmul(self, w: list):                    # x -> x W, W of shape (dim, m): rows of W^T
        if len(w) != self.dim:
            raise DataError(f"a MatMul of {len(w)} rows follows a tensor of width {self.dim}")
        wt = [list(col) for col in zip(*w)]
        if self.rows is None:
            self.rows, self.bias = wt, [Fraction(0)] * len(wt)
        else:                                     # two affine maps in a row compose exactly
            self.rows = [[sum(wr[k] * self.rows[k][i] for k in range(len(wr))) for i in range(len(self.rows[0]))]
                         for wr in wt]
            self.bias = [sum(wr[k] * self.bias[k] for k in range(len(wr))) for wr in wt]
        self.dim = len(wt)

    def add(self, c: list):
        if len(c) == 1:
            c = c * self.dim
        if len(c) != self.dim:
            raise DataError(f"an Add of {len(c)} values follows a tensor of width {self.dim}")
        if self.rows is None:                     # a shift of the input: an identity map first
            self.matmul([[Fraction(int(i == j)) for j in range(self.dim)] for i in range(self.dim)])
        self.bias = [b + v for b, v in zip(self.bias, c)]

    def close(self, activation: str):
        if self.rows is None:
            raise DataError(f"a {activation} activation without an affine map before it is not supported")
        self.layers.append(Layer.from_rationals(self.rows, self.bias, activation))
        self.rows = self.bias = None


def read_model(path) -> ImportedModel:
    """Read an ONNX model file into an exact :class:`ImportedModel` (see the module docstring).
    Raises UsageError for an unreadable file or a missing onnx package, DataError for a graph
    outside the supported shape (naming the operator)."""
    onnx, numpy_helper = _onnx()
    path = Path(path)
    try:
        raw = path.read_bytes()
        model = onnx.load_model_from_string(raw)
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    except Exception as e:                       # protobuf's decode errors have no common class
        raise UsageError(f"{path}: not an ONNX model ({type(e).__name__})") from None
    graph = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:                      # Constant nodes are initializers too
        if node.op_type == "Constant" and node.attribute:
            inits[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    inputs = [i for i in graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise DataError(f"{path.name}: expected one input, found {len(inputs)}")
    dims = inputs[0].type.tensor_type.shape.dim
    if len(dims) != 2 or not dims[1].dim_value:
        raise DataError(f"{path.name}: the input must have shape N x d with a fixed d")
    chain, notes = _Chain(dims[1].dim_value), []
    input_dim = chain.dim
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    current, head = inputs[0].name, None
    outputs = {o.name for o in graph.output}
    while head is None:
        nodes = [n for n in consumers.get(current, []) if n.op_type != "Shape"]
        if not nodes:
            break                                # a graph output: no classifier head
        if len(nodes) > 1 and not all(n.op_type in HEADS + ("ZipMap",) for n in nodes):
            raise DataError(f"{path.name}: tensor {current} feeds {len(nodes)} nodes "
                            f"({', '.join(n.op_type for n in nodes)}); only a chain is supported")
        node = nodes[0]
        op, others = node.op_type, [n for n in node.input if n != current]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if op in PASS_THROUGH:
            if op == "Cast" and chain.rows is None and not chain.layers:
                notes.append("the input Cast is read as the identity: the data's exact values are used")
        elif op == "MatMul":
            if node.input[0] != current or node.input[1] not in inits:
                raise DataError(f"{path.name}: MatMul {node.name or ''} must multiply the chain by a constant")
            chain.matmul(_matrix(inits[node.input[1]], node.input[1]))
        elif op == "Gemm":
            if node.input[0] != current or attrs.get("transA", 0):
                raise DataError(f"{path.name}: Gemm must read the chain as its first input, untransposed")
            w = _matrix(inits[node.input[1]], node.input[1], transpose=bool(attrs.get("transB", 0)))
            alpha, beta = Fraction(attrs.get("alpha", 1.0)), Fraction(attrs.get("beta", 1.0))
            chain.matmul([[alpha * v for v in row] for row in w])
            if len(node.input) > 2 and node.input[2]:
                chain.add([beta * v for v in _exact(inits[node.input[2]], node.input[2])])
        elif op == "Add":
            if len(others) != 1 or others[0] not in inits:
                raise DataError(f"{path.name}: Add must add a constant to the chain (residual sums are not supported)")
            chain.add(_exact(inits[others[0]], others[0]))
        elif op == "Relu":
            chain.close("relu")
        elif op == "Clip":
            bounds = [_exact(inits[n], n)[0] if n in inits else None for n in node.input[1:3]]
            bounds += [None] * (2 - len(bounds))
            lo = bounds[0] if bounds[0] is not None else Fraction(attrs["min"]) if "min" in attrs else None
            hi = bounds[1] if bounds[1] is not None else Fraction(attrs["max"]) if "max" in attrs else None
            if (lo, hi) != (-1, 1):
                raise DataError(f"{path.name}: Clip({lo}, {hi}) is not supported (only Clip(-1, 1), hard-tanh)")
            chain.close("hardtanh")
        elif op == "Reshape" and node.output[0] in outputs:
            break                                # the last step of a regressor: (N, 1) to (N,)
        elif op in HEADS:
            head = op
            break
        else:
            raise DataError(f"{path.name}: operator {op} is not supported (see exactmem verify-model --help)")
        current = node.output[0]
    if chain.rows is None:                        # the chain ended on an activation: identity output
        chain.matmul([[Fraction(int(i == j)) for j in range(chain.dim)] for i in range(chain.dim)])
    if head == "Sigmoid":
        if chain.dim != 1:
            raise DataError(f"{path.name}: Sigmoid head over {chain.dim} outputs (a binary classifier has one)")
        chain.rows = [[Fraction(0)] * len(chain.rows[0])] + chain.rows     # logits (0, z): class 2 iff z > 0
        chain.bias = [Fraction(0)] + chain.bias
        chain.dim = 2
        notes.append("Sigmoid head: class 2 iff the logit is positive (read as the argmax of (0, logit))")
    chain.close("identity")
    rule = "argmax" if head else "equal"
    return ImportedModel(Network(input_dim, tuple(chain.layers)), rule, _class_values(graph, inits),
                         hashlib.sha256(raw).hexdigest(), tuple(notes))


def _class_values(graph, inits) -> tuple | None:
    """The class values a converter stores next to the head: the table a label lookup reads, or
    ZipMap's labels."""
    for node in graph.node:
        if node.op_type == "ArrayFeatureExtractor" and node.input[0] in inits:
            return tuple(inits[node.input[0]].reshape(-1).tolist())
        if node.op_type == "ZipMap":
            for a in node.attribute:
                if a.name in ("classlabels_int64s", "classlabels_strings"):
                    return tuple(v.decode() if isinstance(v, bytes) else v for v in (a.ints or a.strings))
    return None


# ---------------------------------------------------------------------------------------------
# Exact evaluation and the evaluation certificate

CONSTRUCTION = {"id": "onnx-model", "paper": "none: an imported model",
                "theorem": "none: exactly which data points the model gets right"}


@dataclass
class _Built:                                     # what build_certificate reads from a construction
    network: Network
    params: dict
    info: dict
    claims: tuple = ()
    segment: None = None


def judge(rule: str, out: tuple, label) -> tuple[bool, bool]:
    """(right, tie) for one point: ``equal`` compares every output with the label; ``nearest``
    needs the one output within 1/2 of the class (strictly); ``argmax`` needs the largest output
    at exactly one position o, and o + 1 the class."""
    if rule == "nearest":
        return abs(out[0] - label) < Fraction(1, 2), False
    if rule == "equal":
        target = (Fraction(label),) if isinstance(label, int) else tuple(label)
        return tuple(out) == target, False
    top = max(out)
    tie = sum(1 for v in out if v == top) > 1
    return (not tie and out.index(top) + 1 == label), tie


def evaluation_of(rule: str, outputs: list, labels) -> dict:
    """The certificate's ``evaluation`` object for exact outputs and the dataset's labels."""
    misses, ties = [], []
    for i, (out, y) in enumerate(zip(outputs, labels)):
        right, tie = judge(rule, out, y)
        if not right:
            misses.append(i)
        if tie:
            ties.append(i)
    return {"rule": rule, "correct": len(outputs) - len(misses), "misses": misses, "ties": ties}


def certify_model(model: ImportedModel, ds, model_name: str, recipe: dict, verbose: bool = False) -> dict:
    """The evaluation certificate of an imported model on a dataset: the exact outputs on every
    point and the points it gets wrong.  DataError when the model's shape does not fit the data
    (input dimension, one output per class, class values not in increasing order)."""
    from ..certificate import build_certificate       # the writer is a layer below; imported on use
    from ..pipeline import forward_with_progress

    net = model.network
    if net.input_dim != ds.d:
        raise DataError(f"{model_name} reads inputs of dimension {net.input_dim}; the data have d = {ds.d}")
    if model.rule == "argmax":
        if ds.task != "classification":
            raise DataError(f"{model_name} is a classifier; give classification data (--classes C)")
        if net.output_dim != ds.classes:
            raise DataError(f"{model_name} has {net.output_dim} class outputs; the data have {ds.classes} classes")
        values = model.class_values
        if values is not None and list(values) != sorted(values):
            raise DataError(f"{model_name}: class values {list(values)[:10]} are not in increasing order; "
                            "class c of the data must be the c-th smallest")
    elif net.output_dim != ds.dy:
        raise DataError(f"{model_name} has {net.output_dim} outputs; the labels have dy = {ds.dy}")
    # one output and class labels: the class is the nearest integer (exactmem's own classifiers,
    # exported by `exactmem export`, output the class number itself)
    rule = "nearest" if model.rule == "equal" and ds.task == "classification" else model.rule
    outputs = forward_with_progress(net, ds.points, verbose)
    evaluation = evaluation_of(rule, outputs, ds.labels)
    info = {"model_sha256": model.sha256, "rule": rule, "reading": list(model.notes)}
    if model.class_values is not None:
        info["class_values"] = [str(v) for v in model.class_values]
    params = {"model": model_name, "model_sha256": model.sha256}
    return build_certificate(ds, CONSTRUCTION, _Built(net, params, info), outputs, recipe, evaluation=evaluation)


def float_misses(model_path, ds, rule: str) -> list | None:
    """The points onnxruntime's float inference gets wrong (the data rounded to the model's input
    type, the runtime's arithmetic), for comparison with the exact answer; None when onnxruntime is not
    installed or the model's outputs do not say (informative only: never part of a certificate)."""
    try:
        import numpy as np
        import onnxruntime
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    source = session.get_inputs()[0]
    dtype = {"tensor(double)": np.float64, "tensor(float16)": np.float16}.get(source.type, np.float32)
    x = np.array([[float(v) for v in p] for p in ds.points], dtype=dtype)
    try:
        results = session.run(None, {source.name: x})
    except Exception:                   # the runtime's own errors have no common class; informative only
        return None
    scores = [r for r in results if getattr(r, "ndim", 0) == 2 and r.shape[0] == ds.n]
    if rule == "argmax":
        if not scores:
            return None
        predicted = np.argmax(scores[-1], axis=1) + 1     # the class scores (probabilities or logits)
        return [i for i, (c, y) in enumerate(zip(predicted.tolist(), ds.labels)) if c != y]
    out = (scores or [r.reshape(ds.n, -1) for r in results if r.size == ds.n * ds.dy])[:1]
    if not out:
        return None
    if ds.task == "classification":     # rule nearest: the class is the nearest integer
        return [i for i in range(ds.n) if not abs(float(out[0][i][0]) - ds.labels[i]) < 0.5]
    targets = ds.targets()
    return [i for i in range(ds.n) if any(float(v) != float(t) for v, t in zip(out[0][i], targets[i]))]


def verify_model(model_path, data_spec: str, out, classes: int | None = None, merge_duplicates: bool = False,
                 verify: bool = True, verbose: bool = False) -> tuple[dict, list | None]:
    """``exactmem verify-model``: read the ONNX model, load the data, evaluate exactly, and write
    the evaluation certificate to ``out`` - only once the independent checker has verified it
    (``verify``).  Returns (certificate, the points float inference gets wrong, or None)."""
    from .. import data as data_mod
    from ..certificate import certificate_bytes, write_atomic
    from ..pipeline import write_verified

    path = Path(model_path)
    model = read_model(path)
    ds = data_mod.load(data_spec, classes=classes, merge_duplicates=merge_duplicates)
    recipe = {"data": data_spec, "model": path.name, "classes": classes}
    if merge_duplicates:
        recipe["merge_duplicates"] = True
    cert = certify_model(model, ds, path.name, recipe, verbose)
    if verify:
        write_verified(out, cert, ds, verbose=verbose)
    else:
        write_atomic(out, certificate_bytes(cert))
    return cert, float_misses(path, ds, model.rule)
