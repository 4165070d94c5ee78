"""Export a certificate's exact network to float formats (NumPy ``.npz``, ONNX), with a report.

The exact network (``exactmem/network.py``) has rational weights; a float file can only hold
their nearest floats.  Every weight ``W[i][j] / den[i]`` and bias ``b[i] / den[i]`` is rounded
*from the exact rational* to the nearest float64 or float32, ties to even (IEEE 754 round to
nearest), in integer arithmetic (:func:`round_rational`): never through an intermediate float,
so float32 values are not double-rounded.  A weight whose rounded magnitude exceeds the largest
finite value of the format is refused (:class:`~exactmem.errors.DataError` naming the layer)
rather than written as infinity.

The report (:func:`export` returns it, :func:`format_report` prints it) runs the float network on
the certificate's points (rounded the same way) in NumPy with the chosen dtype, and for ONNX also
through onnxruntime on the very bytes written, and says what floats did: for a classification
certificate, how many points still round (nearest integer) to their certified label; for a
regression certificate, the largest |float - exact| over the outputs and how many outputs equal
the exact output rounded to the dtype.  This is a deliberate float evaluation; nothing here
builds or checks a certificate.

File layout (both formats, ``k`` = 1-based index of the entry in the network's layer list):

* a plain layer ``k``: ``W{k}`` of shape (n_in, n_out) and ``b{k}`` of shape (n_out,), so that
  the layer is ``act(h @ W{k} + b{k})``;
* a residual block ``k``: ``U{k}``, ``c{k}`` (the hidden map) and ``V{k}``, ``d{k}`` (the map back
  to the stream), the block being ``h + (act(h @ U{k} + c{k}) @ V{k} + d{k})``.

``.npz`` adds ``layout`` (a JSON array, one object per entry: kind, activation, array names) and
``meta`` (a JSON object: dtype, rounding, certificate hash); ONNX (opset 13) is MatMul + Add +
Relu / Clip(-1, 1) / nothing, with input ``x`` (N x d) and output ``y`` (N x dy).  Files are
byte-for-byte deterministic and written atomically.

Optional dependencies (onnx, onnxruntime) are imported lazily.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from fractions import Fraction

import numpy as np

from .. import __version__
from ..certificate import load_certificate, write_atomic
from ..engine import forward
from ..errors import DataError, ResourceError, UsageError
from ..network import ResidualBlock
from ..rational import IEEE_FORMATS, ieee_float, ieee_parts

FORMATS = ("float64", "float32")     # rounded by exactmem.rational.ieee_parts (IEEE_FORMATS)
TARGETS = ("onnx", "npz")
OPSET = 13
ONNX_IR_VERSION = 7          # the IR version of opset 13: loadable by every onnxruntime since 1.6
ONNX_LIMIT = 2**31 - 2**24   # protobuf's 2 GiB message limit, less room for the graph itself
MAX_LISTED = 10              # misses printed by format_report (the report dict lists them all)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ONNX_HINT = "pip install 'exactmem[onnx]'"


def rounding_text(dtype: str) -> str:
    """One sentence saying how the export rounds (written into every file and report)."""
    return (f"each weight W[i][j]/den[i] and bias b[i]/den[i] (and each input coordinate) is rounded "
            f"from the exact rational to the nearest {dtype}, ties to even (IEEE round to nearest), "
            f"in exact integer arithmetic")


# ---------------------------------------------------------------------------------------------
# Correct rounding of a rational

def round_rational(num: int, den: int = 1, dtype: str = "float64", overflow: str = "raise") -> float:
    """The ``dtype`` value nearest to num/den (den > 0), ties to even, exactly
    (:func:`exactmem.rational.ieee_float`).  A value past the largest finite one overflows:
    OverflowError with ``overflow="raise"``, +-inf (IEEE's result) with ``overflow="inf"``."""
    value = ieee_float(num, den, dtype)
    if math.isinf(value) and overflow == "raise":
        raise OverflowError(f"{num}/{den} overflows {dtype}")
    return value


def _magnitude(num: int, den: int) -> str:
    return f"about 2^{abs(num).bit_length() - den.bit_length()}"


# ---------------------------------------------------------------------------------------------
# The float network

class _Counts:
    """How the parameters fared: exactly representable, rounded, nonzero rounded to zero."""

    def __init__(self):
        self.total = self.exact = self.to_zero = 0

    def as_dict(self) -> dict:
        return {"total": self.total, "exact": self.exact, "rounded": self.total - self.exact,
                "rounded_to_zero": self.to_zero}


def _float_map(layer, dtype: str, where: str, counts: _Counts) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) of one affine map in ``dtype``, W of shape (n_in, n_out); DataError on overflow."""
    n_in, n_out = layer.n_in, layer.n_out
    W = np.zeros((n_in, n_out), dtype=np.float64)
    b = np.zeros(n_out, dtype=np.float64)
    for i, (row, bias, den) in enumerate(zip(layer.weights, layer.bias, layer.dens)):
        for j, v in enumerate((*row, bias)):
            rounded = ieee_parts(v, den, *IEEE_FORMATS[dtype])
            if rounded is None:
                what = f"weight [{i}][{j}]" if j < len(row) else f"bias [{i}]"
                emax = IEEE_FORMATS[dtype][2] + 1
                raise DataError(f"{where}: {what} = {_magnitude(v, den)} overflows {dtype} (largest finite "
                                f"value below 2^{emax}); this network cannot be exported to {dtype}")
            m, e, exact = rounded
            counts.total += 1
            counts.exact += exact
            counts.to_zero += (m == 0 and v != 0)
            value = math.ldexp(float(m), e) if m else (-0.0 if v < 0 else 0.0)
            if j < len(row):
                W[j, i] = value
            else:
                b[i] = value
    return W.astype(dtype), b.astype(dtype)                # exact: every value is a dtype value


def float_network(network, dtype: str) -> tuple[list, dict]:
    """The entries of the float network and the parameter counts.  An entry is
    ``{"kind": "dense", "activation", "k", "W", "b"}`` or ``{"kind": "residual", "activation",
    "k", "U", "c", "V", "d"}`` with arrays in ``dtype``."""
    entries, counts = [], _Counts()
    for k, e in enumerate(network.layers, 1):
        if isinstance(e, ResidualBlock):
            U, c = _float_map(e.inner, dtype, f"residual block {k} (hidden map)", counts)
            V, d = _float_map(e.outer, dtype, f"residual block {k} (map back to the stream)", counts)
            entries.append({"kind": "residual", "activation": e.inner.activation, "k": k,
                            "U": U, "c": c, "V": V, "d": d})
        else:
            W, b = _float_map(e, dtype, f"layer {k}", counts)
            entries.append({"kind": "dense", "activation": e.activation, "k": k, "W": W, "b": b})
    return entries, counts.as_dict()


def _act(h: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return np.maximum(h, h.dtype.type(0))
    if activation == "hardtanh":
        return np.clip(h, h.dtype.type(-1), h.dtype.type(1))
    return h


def numpy_forward(entries: list, X: np.ndarray) -> np.ndarray:
    """The float network on the rows of X, in X's dtype (the same operations as the ONNX graph)."""
    h = X
    with np.errstate(all="ignore"):                       # inf / nan are reported, not raised
        for e in entries:
            if e["kind"] == "dense":
                h = _act(h @ e["W"] + e["b"], e["activation"])
            else:
                h = h + (_act(h @ e["U"] + e["c"], e["activation"]) @ e["V"] + e["d"])
    return h


# ---------------------------------------------------------------------------------------------
# The two file formats

def _layout(entries: list) -> list:
    out = []
    for e in entries:
        k = e["k"]
        if e["kind"] == "dense":
            out.append({"kind": "dense", "activation": e["activation"], "weight": f"W{k}", "bias": f"b{k}"})
        else:
            out.append({"kind": "residual", "activation": e["activation"], "hidden_weight": f"U{k}",
                        "hidden_bias": f"c{k}", "out_weight": f"V{k}", "out_bias": f"d{k}"})
    return out


def _arrays(entries: list) -> list:
    """(name, array) in file order."""
    names = {"dense": ("W", "b"), "residual": ("U", "c", "V", "d")}
    return [(f"{n}{e['k']}", e[n]) for e in entries for n in names[e["kind"]]]


def npz_bytes(entries: list, meta: dict) -> bytes:
    """A ``.npz`` (an uncompressed zip of ``.npy`` files, as ``numpy.savez`` writes) with fixed
    timestamps, so that the same network gives the same bytes."""
    items = _arrays(entries) + [("layout", np.array(json.dumps(_layout(entries), sort_keys=True))),
                                ("meta", np.array(json.dumps(meta, sort_keys=True)))]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in items:
            body = io.BytesIO()
            np.lib.format.write_array(body, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            zf.writestr(info, body.getvalue())
    return buf.getvalue()


def npz_entries(data: bytes) -> list:
    """The entries of an exported ``.npz`` (read back through ``numpy.load``, as a user would)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        layout = json.loads(z["layout"].item())
        out = []
        for k, spec in enumerate(layout, 1):
            if spec["kind"] == "dense":
                out.append({"kind": "dense", "activation": spec["activation"], "k": k,
                            "W": z[spec["weight"]], "b": z[spec["bias"]]})
            else:
                out.append({"kind": "residual", "activation": spec["activation"], "k": k,
                            "U": z[spec["hidden_weight"]], "c": z[spec["hidden_bias"]],
                            "V": z[spec["out_weight"]], "d": z[spec["out_bias"]]})
    return out


def _require_onnx(runtime: bool = True):
    try:
        import onnx
        if runtime:
            import onnxruntime
        else:
            onnxruntime = None
    except ImportError as e:
        raise UsageError(f"ONNX export needs onnx and onnxruntime ({e.name} is missing): {ONNX_HINT}") from None
    return onnx, onnxruntime


def onnx_bytes(entries: list, input_dim: int, output_dim: int, dtype: str, meta: dict) -> bytes:
    """An ONNX model (opset 13, IR version 7): input ``x`` (N x input_dim), output ``y``
    (N x output_dim), MatMul + Add + Relu / Clip(-1, 1) / nothing per map, a residual block an Add
    of the stream.  Producer fields and metadata are fixed, so the bytes are deterministic."""
    onnx, _ = _require_onnx(runtime=False)
    from onnx import TensorProto, helper, numpy_helper

    if sum(a.nbytes for _, a in _arrays(entries)) > ONNX_LIMIT:
        raise ResourceError("the weights exceed ONNX's 2 GiB protobuf limit; export to npz instead")
    elem = TensorProto.DOUBLE if dtype == "float64" else TensorProto.FLOAT
    inits = [numpy_helper.from_array(a, name) for name, a in _arrays(entries)]
    nodes, h = [], "x"

    def affine(src, W, b, act, tag):
        nodes.append(helper.make_node("MatMul", [src, W], [f"{tag}_mm"], name=f"{tag}_matmul"))
        nodes.append(helper.make_node("Add", [f"{tag}_mm", b], [f"{tag}_z"], name=f"{tag}_add"))
        if act == "relu":
            nodes.append(helper.make_node("Relu", [f"{tag}_z"], [f"{tag}_a"], name=f"{tag}_relu"))
        elif act == "hardtanh":
            nodes.append(helper.make_node("Clip", [f"{tag}_z", "clip_lo", "clip_hi"], [f"{tag}_a"],
                                          name=f"{tag}_clip"))
        return nodes[-1].output[0]

    uses_clip = any(e["activation"] == "hardtanh" for e in entries)
    if uses_clip:
        inits += [numpy_helper.from_array(np.array(-1, dtype=dtype), "clip_lo"),
                  numpy_helper.from_array(np.array(1, dtype=dtype), "clip_hi")]
    for e in entries:
        k = e["k"]
        if e["kind"] == "dense":
            h = affine(h, f"W{k}", f"b{k}", e["activation"], f"L{k}")
        else:
            hidden = affine(h, f"U{k}", f"c{k}", e["activation"], f"R{k}_hidden")
            back = affine(hidden, f"V{k}", f"d{k}", "identity", f"R{k}_out")
            nodes.append(helper.make_node("Add", [h, back], [f"R{k}_stream"], name=f"R{k}_residual"))
            h = f"R{k}_stream"
    nodes[-1].output[0] = "y"                                  # the last tensor is the output
    graph = helper.make_graph(nodes, "exactmem_export",
                              [helper.make_tensor_value_info("x", elem, ["N", input_dim])],
                              [helper.make_tensor_value_info("y", elem, ["N", output_dim])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="exactmem", producer_version=__version__,
                              ir_version=ONNX_IR_VERSION,
                              doc_string=f"exactmem export of a certified network; {meta['rounding']}")
    helper.set_model_props(model, {f"exactmem.{k}": str(v) for k, v in sorted(meta.items())})
    onnx.checker.check_model(model)
    return model.SerializeToString(deterministic=True)


def onnxruntime_forward(model: bytes, X: np.ndarray) -> np.ndarray:
    """Run the exported model in onnxruntime (CPU, one thread, default graph optimisations)."""
    _, ort = _require_onnx()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
    return sess.run(["y"], {"x": X})[0]


# ---------------------------------------------------------------------------------------------
# The report

def _max_abs_error(Y: np.ndarray, exact: list) -> float:
    """max |Y - exact| over every output, computed exactly, then rounded to float64 (inf when an
    output is not finite)."""
    if not np.all(np.isfinite(Y)):
        return math.inf
    worst = max((abs(Fraction(float(v)) - e) for row, ex in zip(Y.tolist(), exact) for v, e in zip(row, ex)),
                default=Fraction(0))
    return float(worst)


def judge(Y: np.ndarray, ds, exact, dtype: str) -> dict:
    """What the float outputs Y (N x dy) keep of the certificate.  Classification: a point keeps
    its certified label when its (finite) output rounds to it (nearest integer, numpy's rint).
    Regression: ``exact`` are the exact outputs; an output is equal when it is the exact output
    rounded to ``dtype`` (+0 and -0 count as equal); a point keeps its outputs when all are."""
    if ds.task == "classification":
        o = Y[:, 0]
        labels = np.array(ds.labels, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            kept = np.isfinite(o) & (np.rint(o) == labels)
        misses = [int(i) for i in np.flatnonzero(~kept)]
        return {"task": "classification", "points": ds.n, "kept": ds.n - len(misses), "misses": misses,
                "max_abs_error": _max_abs_error(Y, ds.targets())}
    target = np.array([[round_rational(v.numerator, v.denominator, dtype, overflow="inf") for v in row]
                       for row in exact], dtype=np.float64).reshape(Y.shape)
    equal = Y.astype(np.float64) == target
    misses = [int(i) for i in np.flatnonzero(~equal.all(axis=1))]
    return {"task": "regression", "points": ds.n, "kept": ds.n - len(misses), "misses": misses,
            "outputs": int(equal.size), "outputs_equal": int(equal.sum()),
            "max_abs_error": _max_abs_error(Y, exact)}


def export(certificate, to: str, out, dtype: str = "float64") -> dict:
    """Export the certificate's network to ``out`` as ``to`` ("onnx" or "npz") in ``dtype``
    ("float64" or "float32") and return the report (see the module docstring).  The certificate
    is decoded, not verified (``exactmem check`` verifies).  The file is written only once the
    report is computed from its bytes; UsageError for an unreadable certificate or a missing
    optional package, DataError for a parameter that overflows ``dtype``."""
    if to not in TARGETS:
        raise UsageError(f"--to must be one of {', '.join(TARGETS)}, got {to!r}")
    if dtype not in FORMATS:
        raise UsageError(f"--dtype must be one of {', '.join(FORMATS)}, got {dtype!r}")
    if to == "onnx":
        _require_onnx()
    cert, ds, net = load_certificate(certificate)
    entries, params = float_network(net, dtype)
    meta = {"format": "exactmem-float-export", "dtype": dtype, "rounding": rounding_text(dtype),
            "construction": cert["construction"]["id"], "certificate_sha256": str(cert.get("certificate_sha256")),
            "input_dim": net.input_dim, "output_dim": net.output_dim, "exactmem_version": __version__}
    X = np.array([[round_rational(v.numerator, v.denominator, dtype, overflow="inf") for v in p]
                  for p in ds.points], dtype=dtype).reshape(ds.n, net.input_dim)
    exact = forward(net, ds.points) if ds.task == "regression" else None
    if to == "npz":
        data = npz_bytes(entries, meta)
        runs = {"numpy": numpy_forward(npz_entries(data), X)}
    else:
        data = onnx_bytes(entries, net.input_dim, net.output_dim, dtype, meta)
        runs = {"numpy": numpy_forward(entries, X), "onnxruntime": onnxruntime_forward(data, X)}
    inference = {name: judge(np.asarray(Y), ds, exact, dtype) for name, Y in runs.items()}
    write_atomic(out, data)
    return {"certificate": str(certificate), "construction": meta["construction"], "to": to, "dtype": dtype,
            "output": str(out), "bytes": len(data), "rounding": meta["rounding"],
            "N": ds.n, "d": net.input_dim, "dy": net.output_dim, "task": ds.task,
            "inputs_exact": sum(bool((ieee_parts(v.numerator, v.denominator, *IEEE_FORMATS[dtype]) or (0, 0, False))[2])
                            for p in ds.points for v in p),
            "inputs": ds.n * net.input_dim, "parameters": params, "inference": inference}


def _listed(misses: list) -> str:
    more = ", ..." if len(misses) > MAX_LISTED else ""
    return ", ".join(str(i) for i in misses[:MAX_LISTED]) + more


def format_report(r: dict) -> str:
    """The report as the lines ``exactmem export`` prints."""
    p = r["parameters"]
    what = "ONNX (opset 13)" if r["to"] == "onnx" else "NumPy .npz"
    lines = [f"{r['construction']}: wrote {r['output']} ({what}, {r['dtype']}, {r['bytes']} bytes); "
             f"N={r['N']} d={r['d']} dy={r['dy']} {r['task']}",
             f"rounding: {r['rounding']}",
             f"parameters: {p['exact']} of {p['total']} exact in {r['dtype']}, {p['rounded']} rounded "
             f"({p['rounded_to_zero']} of them to zero); inputs: {r['inputs_exact']} of {r['inputs']} exact"]
    for engine, j in r["inference"].items():
        head = f"{engine} {r['dtype']}: "
        if j["task"] == "classification":
            line = head + f"{j['kept']} of {j['points']} points keep their certified label"
        else:
            line = head + (f"{j['outputs_equal']} of {j['outputs']} outputs equal the exact output rounded to "
                           f"{r['dtype']}; {j['kept']} of {j['points']} points keep all their outputs")
        line += f"; max |float - exact| = {j['max_abs_error']:.3g}"
        if j["misses"]:
            line += f"; first misses (0-based points): {_listed(j['misses'])}"
        lines.append(line)
    lines.append("(a float evaluation, not a certificate: the exact network is what `exactmem check` verifies)")
    return "\n".join(lines)
