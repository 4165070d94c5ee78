"""Certificate v1: one canonical JSON file binding dataset, network, outputs and claims.

The format is specified in ``docs/certificate-format.md`` (JSON Schema:
``docs/certificate-v1.schema.json``).  This module assembles and writes certificates, and reads
them back into a :class:`~exactmem.network.Network` and a :class:`~exactmem.data.Dataset`
(:func:`load_certificate`; decoding only, never verifying).  The independent checker is
``certificates/check.py``.

Core module: it imports the data, network, rational, gadgets, geometry and segments modules,
never the constructions, the pipeline, the CLI or :mod:`exactmem.studies`.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import tempfile
from fractions import Fraction
from pathlib import Path

from . import __version__
from .data import Dataset, canonical_bytes, canonical_chunks, point_key
from .errors import DataError, InternalError, UsageError
from .gadgets import class_decoder
from .geometry import general_position_witness
from .network import Layer, Network, ResidualBlock
from .rational import decode_int, decode_rat, encode_int, encode_rat
from .segments import alternating_on_segment, count_pieces

FORMAT = "exactmem-certificate"
VERSION = "1.0"
# Claim variables added in format 1.1: a certificate naming one of them (or carrying a 1.1 field)
# says version 1.1; every other certificate stays 1.0, byte for byte as before.
V11_VARIABLES = ("general_position", "pieces_on_segment")
V11_FIELDS = ("segment",)
# Claim variables added in format 1.2 (precision certificates, exactmem/studies/precision; and
# alternating_on_segment, reserved for another construction): naming one of them says 1.2.
V12_VARIABLES = ("decoder_margin_bits", "dyadic_weights", "grid_bits", "sig_bits", "alternating_on_segment")
SCHEMA_ID = "https://exactmem.invalid/schema/certificate-1.json"


def _layer_json(layer) -> dict:
    rows: dict = {}      # a repeated row (YSJ19's trap bumps) is encoded once and shared: memory
    return {
        "activation": layer.activation,
        "dens": [encode_int(v) for v in layer.dens],
        "weights": [rows[row] if row in rows else rows.setdefault(row, [encode_int(v) for v in row])
                    for row in map(tuple, layer.weights)],
        "bias": [encode_int(v) for v in layer.bias],
    }


def network_json(network) -> dict:
    return {
        "input_dim": network.input_dim,
        "layers": [{"residual": {"inner": _layer_json(e.inner), "outer": _layer_json(e.outer)}}
                   if isinstance(e, ResidualBlock) else _layer_json(e) for e in network.layers],
    }


def claim_values(statement: str, env: dict) -> tuple[int, str, int]:
    """Evaluate 'LHS op RHS' with the same tiny grammar the checker accepts.  ValueError (or
    KeyError for an unknown variable) when the statement is outside it: callers reading claims
    from a file catch these, and :func:`build_certificate` reports them as internal errors."""
    tree = ast.parse(statement, mode="eval").body
    if not isinstance(tree, ast.Compare) or len(tree.ops) != 1:
        raise ValueError(f"claim must be one comparison: {statement}")

    def ev(node):
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)              # unary minus (grammar 13.1), e.g. grid_bits <= -3
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
            if isinstance(node.op, ast.FloorDiv):
                return a // b
            return ops[type(node.op)]
        raise ValueError(f"unsupported claim syntax in {statement}")

    return ev(tree.left), type(tree.ops[0]).__name__, ev(tree.comparators[0])


def claim_env(ds: Dataset, network, segment=None) -> dict:
    """The variables a claim may use; the checker recomputes every one of them.  With a segment
    (u, v), also ``pieces_on_segment`` (exactmem/segments.py, format 1.1).  The precision variables
    of format 1.2 (``decoder_margin_bits``, ``dyadic_weights``, ``grid_bits``, ``sig_bits``) are
    computed from the weights on first use (see :func:`precision_variables`)."""
    env = dict(network.sizes())
    env.pop("widths")
    env.pop("layer_bits")
    env.update({f"d{k}": w for k, w in enumerate(network.hidden_widths, 1)})
    env.update({
        "N": ds.n, "d": ds.d, "dy": ds.dy, "hidden": network.hidden_neurons,
        "relu_hidden": int(network.hidden_activation() == "relu"),
        "hardtanh_hidden": int(network.hidden_activation() == "hardtanh"),
        "distinct_points": int(len(set(map(point_key, ds.points))) == ds.n),
        "labels_in_unit_box": int(ds.task == "regression" and all(-1 <= v <= 1 for y in ds.labels for v in y)),
        "one_hot_labels": int(ds.task == "regression" and
                              all(sorted(y) == [0] * (len(y) - 1) + [1] for y in ds.labels)),
        "classes": ds.classes or 0,
        "log2_classes_floor": max((ds.classes or 0).bit_length() - 1, 0),
        "bits_after_first": max(network.sizes()["layer_bits"][1:], default=0),
        "residual_hidden": network.residual_hidden,
    })
    env = _LazyEnv(env)
    env.update({"min_sq_dist_num": lambda: _min_sq(ds).numerator, "min_sq_dist_den": lambda: _min_sq(ds).denominator})
    env["general_position"] = lambda: _general_position(ds)
    classes = ds.classes if ds.task == "classification" else 0
    cache = {}

    def precision_variable(name):
        if not cache:
            cache.update(precision_variables(network, classes or 0))
        return cache[name]

    for name in ("decoder_margin_bits", "dyadic_weights", "grid_bits", "sig_bits"):
        env[name] = lambda name=name: precision_variable(name)
    if segment is not None:
        env["pieces_on_segment"] = lambda: _pieces(network, segment)
        env["alternating_on_segment"] = lambda: _alternating(ds, segment)
    return env


def _alternating(ds: Dataset, segment) -> int:
    return alternating_on_segment(ds, *segment)


def _pieces(network, segment) -> int:
    return count_pieces(network, *segment).pieces


def _general_position(ds: Dataset) -> int:
    return int(general_position_witness(ds.points) is None)


def format_version(claims: list, body: dict) -> str:
    if "lines" in body.get("dataset", {}):     # format 1.4: the dataset in a lines file, read a point at a time
        return "1.4"
    if "evaluation" in body:            # format 1.3: an evaluation certificate (imported models)
        return "1.3"
    names = {t for c in claims for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", c["statement"])}
    if names & set(V12_VARIABLES):
        return "1.2"
    return "1.1" if names & set(V11_VARIABLES) or any(k in body for k in V11_FIELDS) else VERSION


# ---------------------------------------------------------------------------------------------
# Precision variables (format 1.2): exact integers and Fractions only

def _values(layer):
    """Every weight and bias of a layer as a Fraction, row by row (each row's bias last)."""
    for row, b, den in zip(layer.weights, layer.bias, layer.dens):
        yield [Fraction(v, den) for v in row], Fraction(b, den)


def decoder_margin_bits(network, classes: int) -> int:
    """t >= 1 when the network ends in exactly the class decoder with margin 2^-t for C =
    ``classes`` classes (:func:`exactmem.gadgets.class_decoder`), else 0: t is read off the first
    weight s = 2^(t-1), and the last two layers must equal that decoder."""
    layers = network.layers
    if not classes or len(layers) < 3 or any(isinstance(e, ResidualBlock) for e in layers[-2:]):
        return 0
    hidden = layers[-2]
    if not hidden.weights or len(hidden.weights[0]) != 1:
        return 0
    s, den = hidden.weights[0][0], hidden.dens[0]
    if s % den or s // den < 1 or (s // den) & (s // den - 1):
        return 0                                        # s = 2^(t-1) with t >= 1
    t = (s // den).bit_length()
    decoder = tuple(Layer.from_rationals(*m) for m in class_decoder(classes, t))
    return t if tuple(layers[-2:]) == decoder else 0


def _v2(p: int) -> int:
    """Trailing zero bits of |p| (p != 0)."""
    a = abs(p)
    return (a & -a).bit_length() - 1


def precision_variables(network, classes: int) -> dict:
    """decoder_margin_bits, dyadic_weights, grid_bits and sig_bits of format 1.2.

    The rounded maps are every affine map except, when a decoder is recognised, the last two.
    For each nonzero parameter p/q in lowest terms: grid = (bitlen(q) - 1) - v2(p) and
    sig = bitlen(odd part of |p|); the variables are their maxima (0 when all parameters are 0);
    dyadic_weights is 1 when every q is a power of two."""
    t = decoder_margin_bits(network, classes)
    maps = [layer for _, layer in network.affine_maps()]
    if t:
        maps = maps[:-2]
    dyadic, grid, sig = 1, None, None
    for layer in maps:
        for row, b in _values(layer):
            for w in (*row, b):
                q = w.denominator                       # Fraction keeps lowest terms, q > 0
                if q & (q - 1):
                    dyadic = 0
                if not w:
                    continue
                p = w.numerator
                g = (q.bit_length() - 1) - _v2(p)
                o = (abs(p) >> _v2(p)).bit_length()
                grid = g if grid is None else max(grid, g)
                sig = o if sig is None else max(sig, o)
    return {"decoder_margin_bits": t, "dyadic_weights": dyadic, "grid_bits": grid or 0, "sig_bits": sig or 0}


class _LazyEnv(dict):
    """A value given as a function is computed on first use (the checker does the same)."""

    def __getitem__(self, key):
        v = dict.__getitem__(self, key)
        if callable(v):
            v = v()
            dict.__setitem__(self, key, v)
        return v


def _min_sq(ds: Dataset):
    """Exact minimum squared pairwise distance as a Fraction (0 when N < 2)."""
    m = ds.min_sq_distance()
    return Fraction(0) if m is None else m


def json_safe(obj):
    """Informative values made safe for the format: integers of 15 digits or more become INT
    strings, Fractions RAT strings (a JSON number has at most 15 digits, section 3.3)."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj if -10**15 < obj < 10**15 else encode_int(obj)
    if isinstance(obj, Fraction):
        return encode_rat(obj)
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    raise InternalError(f"not JSON-safe: {type(obj).__name__}")


def build_certificate(ds: Dataset, construction: dict, built, outputs, recipe: dict,
                      data_file: str | None = None, evaluation: dict | None = None) -> dict:
    """Assemble the certificate object (with its hash) from a built network and its outputs.

    With ``data_file`` the dataset is not inlined: the certificate names a sibling file that
    must hold exactly ``canonical_bytes(ds.body())`` (see :func:`dataset_file_bytes`).  With
    ``evaluation`` ({rule, correct, misses, ties}; format 1.3, section 23 of the format) it is an
    evaluation certificate: the outputs are the network's, and the listed points are those it
    gets wrong."""
    net = built.network
    segment = getattr(built, "segment", None)
    env = claim_env(ds, net, segment)
    claims = []
    for c in built.claims:
        try:
            lhs, _, rhs = claim_values(c.statement, env)
        except (KeyError, ValueError, SyntaxError) as e:
            raise InternalError(f"claim {c.id} ({c.statement!r}) is outside the claim grammar: {e}") from None
        claims.append({"id": c.id, "statement": c.statement, "source": c.source,
                       "lhs": encode_int(lhs), "rhs": encode_int(rhs)})
    body = {
        "format": FORMAT,
        "version": VERSION,
        "$schema": SCHEMA_ID,
        "generator": {"name": "exactmem", "version": __version__},
        "construction": {**construction, "params": json_safe(built.params)},
        "recipe": json_safe(recipe),
        "dataset": {"sha256": ds.digest(), "n": ds.n, "d": ds.d, "dy": ds.dy, **_dataset_place(ds, data_file)},
        "network": network_json(net),
        "outputs": [[encode_rat(v) for v in out] for out in outputs],
        "sizes": net.sizes(),
        "claims": claims,
        "info": json_safe(built.info),
    }
    if evaluation is not None:
        body["evaluation"] = evaluation
    if segment is not None:
        body["segment"] = {"from": [encode_rat(v) for v in segment[0]], "to": [encode_rat(v) for v in segment[1]]}
    body["version"] = format_version(claims, body)
    digest = hashlib.sha256()
    for chunk in canonical_chunks(body):
        digest.update(chunk)
    body["certificate_sha256"] = digest.hexdigest()
    return body


def is_lines_file(name: str | None) -> bool:
    """A sibling dataset file named *.jsonl is written as lines (format 1.4), any other as one
    canonical JSON body."""
    return bool(name) and name.endswith(".jsonl")


def _dataset_place(ds: Dataset, data_file: str | None) -> dict:
    if data_file is None:
        return {"inline": ds.body()}
    return {"lines": data_file} if is_lines_file(data_file) else {"file": data_file}


def dataset_file_bytes(ds: Dataset) -> bytes:
    """Contents of a sibling dataset file: its bytes are what the certificate's sha256 covers."""
    return canonical_bytes(ds.body())


def write_dataset_file(path: str | os.PathLike, ds: Dataset) -> None:
    """Write the sibling dataset file ``path`` atomically: a lines file (a point at a time, for
    datasets too big to hold as one JSON text) when its name ends in .jsonl, else the body."""
    if is_lines_file(Path(path).name):
        write_atomic_chunks(path, ds.lines_chunks())
    else:
        write_atomic(path, dataset_file_bytes(ds))


def certificate_bytes(cert: dict) -> bytes:
    return canonical_bytes(cert) + b"\n"


def certificate_chunks(cert: dict):
    """:func:`certificate_bytes` in pieces, for :func:`write_atomic_chunks`: a large
    certificate is never held as one text."""
    yield from canonical_chunks(cert)
    yield b"\n"


def write_certificate(path: str | os.PathLike, cert: dict) -> None:
    """Write a certificate atomically, a piece at a time."""
    write_atomic_chunks(path, certificate_chunks(cert))


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write via a temp file in the same folder and rename: never a half-written file."""
    write_atomic_chunks(path, (data,))


def write_atomic_chunks(path: str | os.PathLike, chunks) -> None:
    """:func:`write_atomic` of the concatenated chunks, written one at a time."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"output folder does not exist: {folder}")
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=folder)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)          # mkstemp's 0600 is not what a user expects
        with os.fdopen(fd, "wb") as f:
            for data in chunks:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------------------------------------
# Reading a certificate back (decoding only: certificates/check.py is what verifies)

def load_certificate(path) -> tuple[dict, Dataset, Network]:
    """The certificate (as JSON), its dataset and its network.  Only decoded, not verified: run
    certificates/check.py for that.  A sibling dataset file (``"dataset": {"file": ...}``) is
    read from the certificate's folder and must match the recorded sha256."""
    path = Path(path)
    try:
        cert = json.loads(path.read_bytes())
        if not isinstance(cert["construction"]["id"], str):     # every reader names the construction
            raise ValueError("construction id is not a string")
        ds = dataset_from_json(cert["dataset"], path.parent, source=path.name)
        net = network_from_json(cert["network"])
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    except DataError as e:
        raise DataError(f"{path}: {e}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise UsageError(f"{path}: not a readable exactmem certificate ({type(e).__name__}: {e})") from None
    return cert, ds, net


def dataset_from_json(dsj: dict, folder=None, source: str = "") -> Dataset:
    """The dataset of a certificate's ``dataset`` object: inline, or the sibling file it names
    (relative to ``folder``).  DataError when its bytes do not hash to the recorded sha256;
    OSError, ValueError, KeyError or TypeError when it cannot be read or decoded (the callers say
    which file)."""
    if "file" in dsj:
        body = json.loads((Path(folder or ".") / dsj["file"]).read_bytes())
    elif "lines" in dsj:
        lines = (Path(folder or ".") / dsj["lines"]).read_bytes().split(b"\n")
        if lines[-1] != b"" or len(lines) != dsj["n"] + 3:
            raise ValueError(f"dataset lines file {dsj['lines']}: expected N + 2 lines, each ending in a newline")
        head = json.loads(lines[0])
        body = {"task": head["task"], "classes": head["classes"], "labels": json.loads(lines[1]),
                "points": [json.loads(line) for line in lines[2:-1]]}
    else:
        body = dsj["inline"]
    if hashlib.sha256(canonical_bytes(body)).hexdigest() != dsj["sha256"]:
        raise DataError("dataset sha256 mismatch")
    points = tuple(tuple(decode_rat(v) for v in p) for p in body["points"])
    if body["task"] == "classification":
        return Dataset(points, tuple(int(c) for c in body["labels"]), "classification", body["classes"],
                       source=source)
    return Dataset(points, tuple(tuple(decode_rat(v) for v in y) for y in body["labels"]), "regression",
                   None, source=source)


def _layer_from_json(obj) -> Layer:
    return Layer(tuple(tuple(decode_int(v) for v in row) for row in obj["weights"]),
                 tuple(decode_int(v) for v in obj["bias"]), tuple(decode_int(v) for v in obj["dens"]),
                 obj["activation"])


def network_from_json(obj) -> Network:
    """The :class:`~exactmem.network.Network` of a certificate's ``network`` object (the inverse
    of :func:`network_json`)."""
    entries = []
    for e in obj["layers"]:
        if "residual" in e:
            entries.append(ResidualBlock(_layer_from_json(e["residual"]["inner"]),
                                         _layer_from_json(e["residual"]["outer"])))
        else:
            entries.append(_layer_from_json(e))
    return Network(obj["input_dim"], tuple(entries))


def segment_from_json(cert: dict, path="certificate") -> tuple | None:
    """The certificate's segment (u, v) as Fractions (format 1.1), or None when it has none."""
    seg = cert.get("segment")
    if not isinstance(seg, dict):
        return None
    try:
        return tuple(decode_rat(t) for t in seg["from"]), tuple(decode_rat(t) for t in seg["to"])
    except (KeyError, TypeError, ValueError):
        raise UsageError(f"{path}: unreadable segment field") from None
