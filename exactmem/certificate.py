"""Certificate v1: one canonical JSON file binding dataset, network, outputs and claims.

The format is specified in ``docs/certificate-format.md`` (JSON Schema:
``docs/certificate-v1.schema.json``).  This module only assembles and writes it; the
independent checker is ``certificates/check.py``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from . import __version__
from .data import Dataset, canonical_bytes
from .errors import UsageError
from .rational import encode_int, encode_rat

FORMAT = "exactmem-certificate"
VERSION = "1.0"
# Claim variables added in format 1.1: a certificate naming one of them (or carrying a 1.1 field)
# says version 1.1; every other certificate stays 1.0, byte for byte as before.
V11_VARIABLES = ("general_position", "pieces_on_segment")
V11_FIELDS = ("segment",)
# Claim variables added in format 1.2 (precision certificates, exactmem/precision.py; and
# alternating_on_segment, reserved for another construction): naming one of them says 1.2.
V12_VARIABLES = ("decoder_margin_bits", "dyadic_weights", "grid_bits", "sig_bits", "alternating_on_segment")
SCHEMA_ID = "https://exactmem.invalid/schema/certificate-1.json"


def _layer_json(layer) -> dict:
    return {
        "activation": layer.activation,
        "dens": [encode_int(v) for v in layer.dens],
        "weights": [[encode_int(v) for v in row] for row in layer.weights],
        "bias": [encode_int(v) for v in layer.bias],
    }


def network_json(network) -> dict:
    from .network import ResidualBlock

    return {
        "input_dim": network.input_dim,
        "layers": [{"residual": {"inner": _layer_json(e.inner), "outer": _layer_json(e.outer)}}
                   if isinstance(e, ResidualBlock) else _layer_json(e) for e in network.layers],
    }


def claim_values(statement: str, env: dict) -> tuple[int, str, int]:
    """Evaluate 'LHS op RHS' with the same tiny grammar the checker accepts."""
    import ast

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
    (u, v), also ``pieces_on_segment`` (exactmem/pieces.py, format 1.1).  The precision variables
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
        "distinct_points": int(len(set(ds.points)) == ds.n),
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
    from .pieces import alternating_on_segment
    return alternating_on_segment(ds, *segment)


def _pieces(network, segment) -> int:
    from .pieces import count_pieces
    return count_pieces(network, *segment).pieces


def _general_position(ds: Dataset) -> int:
    from .geometry import general_position_witness
    return int(general_position_witness(ds.points) is None)


def format_version(claims: list, body: dict) -> str:
    import re

    names = {t for c in claims for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", c["statement"])}
    if names & set(V12_VARIABLES):
        return "1.2"
    return "1.1" if names & set(V11_VARIABLES) or any(k in body for k in V11_FIELDS) else VERSION


# ---------------------------------------------------------------------------------------------
# Precision variables (format 1.2): exact integers and Fractions only

def _values(layer):
    """Every weight and bias of a layer as a Fraction, row by row (each row's bias last)."""
    from fractions import Fraction

    for row, b, den in zip(layer.weights, layer.bias, layer.dens):
        yield [Fraction(v, den) for v in row], Fraction(b, den)


def decoder_margin_bits(network, classes: int) -> int:
    """t >= 1 when the network ends in exactly the class decoder with margin 2^-t for C =
    ``classes`` classes (:func:`exactmem.gadgets.class_decoder`), else 0: t is read off the first
    weight s = 2^(t-1), and the last two layers must equal that decoder."""
    from .gadgets import class_decoder
    from .network import Layer, ResidualBlock

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
    from fractions import Fraction

    m = ds.min_sq_distance()
    return Fraction(0) if m is None else m


def json_safe(obj):
    """Informative values made safe for the format: integers of 15 digits or more become INT
    strings, Fractions RAT strings (a JSON number has at most 15 digits, section 3.3)."""
    from fractions import Fraction

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
    raise TypeError(f"not JSON-safe: {type(obj).__name__}")


def build_certificate(ds: Dataset, construction: dict, built, outputs, recipe: dict,
                      data_file: str | None = None) -> dict:
    """Assemble the certificate object (with its hash) from a built network and its outputs.

    With ``data_file`` the dataset is not inlined: the certificate names a sibling file that
    must hold exactly ``canonical_bytes(ds.body())`` (see :func:`dataset_file_bytes`)."""
    net = built.network
    segment = getattr(built, "segment", None)
    env = claim_env(ds, net, segment)
    claims = []
    for c in built.claims:
        lhs, _, rhs = claim_values(c.statement, env)
        claims.append({"id": c.id, "statement": c.statement, "source": c.source,
                       "lhs": encode_int(lhs), "rhs": encode_int(rhs)})
    body = {
        "format": FORMAT,
        "version": VERSION,
        "$schema": SCHEMA_ID,
        "generator": {"name": "exactmem", "version": __version__},
        "construction": {**construction, "params": json_safe(built.params)},
        "recipe": json_safe(recipe),
        "dataset": {"sha256": ds.digest(), "n": ds.n, "d": ds.d, "dy": ds.dy,
                    **({"file": data_file} if data_file else {"inline": ds.body()})},
        "network": network_json(net),
        "outputs": [[encode_rat(v) for v in out] for out in outputs],
        "sizes": net.sizes(),
        "claims": claims,
        "info": json_safe(built.info),
    }
    if segment is not None:
        body["segment"] = {"from": [encode_rat(v) for v in segment[0]], "to": [encode_rat(v) for v in segment[1]]}
    body["version"] = format_version(claims, body)
    body["certificate_sha256"] = hashlib.sha256(canonical_bytes(body)).hexdigest()
    return body


def dataset_file_bytes(ds: Dataset) -> bytes:
    """Contents of a sibling dataset file: its bytes are what the certificate's sha256 covers."""
    return canonical_bytes(ds.body())


def certificate_bytes(cert: dict) -> bytes:
    return canonical_bytes(cert) + b"\n"


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write via a temp file in the same folder and rename: never a half-written file."""
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
