"""Precision study: the checkable claims it writes.

* :func:`suffice_certificate` -- "n bits suffice" as a normal certificate of the rounded network
  (format 1.2 claims over variables check.py recomputes from the weights);
* :func:`fail_witness` -- "n - 1 bits fail" as a witness file (``check.py --witness W
  --against SOURCE``), bound to the source certificate.

Certificates are assembled by :mod:`exactmem.certificate` from exact values only.  Imports core
modules (certificate, constructions' ``Built``/``Claim`` records, data, engine, gadgets, network,
rational); never the CLI.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

from ...certificate import (build_certificate, certificate_bytes, claim_env, claim_values, network_json,
                            write_atomic)
from ...constructions import Built, Claim
from ...data import Dataset, canonical_bytes
from ...engine import forward
from ...errors import InternalError
from ...gadgets import class_decoder
from ...network import Layer, Network
from ...rational import encode_rat
from .rounding import Decision, round_network, rounding_json
from .search import Search

WITNESS_FORMAT = "exactmem-precision-witness"
WITNESS_VERSION = "1.0"


def precision_claims(kind: str, n: int, t: int | None, grid_bits: int) -> list:
    """The format 1.2 claims of a suffice certificate: (id, statement, source) triples.

    ``grid_bits`` is the certificate network's own value; it exceeds n only when every rounded
    parameter is 0 (grid_bits is 0 then) and n < 0, and the claim then states 0, which holds."""
    out = [("precision-dyadic", "dyadic_weights == 1",
            "precision: every weight and bias of the rounded network is dyadic")]
    if kind == "fixed":
        k = max(n, grid_bits)
        out.append(("precision-grid", f"grid_bits <= {k}",
                    f"precision: every weight and bias of the rounded network is a multiple of 2^{-k}"))
    else:
        out.append(("precision-significand", f"sig_bits <= {n}",
                    f"precision: every weight and bias of the rounded network has at most {n} significant bits"))
    if t is not None:
        out.append(("precision-decoder", f"decoder_margin_bits == {t}",
                    f"precision: the last two layers are the nearest-integer decoder with margin 2^-{t}"))
    return out


def suffice_certificate(cert: dict, ds: Dataset, net_r: Network, kind: str, n: int, decision: Decision) -> tuple:
    """A normal certificate for the rounded network (check.py verifies it unchanged).

    * mode "exact": the rounded network still outputs every label exactly;
    * mode "decoded" (class labels): the rounded network, its output layer kept as an identity
      hidden layer, followed by a nearest-integer decoder of 2(C+1) ReLUs with dyadic weights,
      sum_{j=0..C} [ReLU((F-j-1/2)/(2mu) + 1/2) - ReLU((F-j-1/2)/(2mu) - 1/2)], which equals c
      exactly iff c - 1/2 + mu <= F <= c + 1/2 - mu: the checker's exact comparison with the
      class proves the rule with margin mu = 2^-t;
    * mode "relabelled" (regression): the rounded network on the same points with labels
      replaced by its own exact outputs; the tolerance comparison against the source labels is
      recorded in info (not checked by check.py).
    Returns (certificate, mode)."""
    targets = ds.targets()
    outs = forward(net_r, ds.points)
    worst = max(decision.error(o, t) for o, t in zip(outs, targets))
    min_margin = min(decision.margin(o, t) for o, t in zip(outs, targets))
    decoder, t = None, None
    if all(o == t for o, t in zip(outs, targets)):
        mode, net_c, ds_c = "exact", net_r, ds
    elif decision.task == "classification":
        mode, ds_c = "decoded", ds
        t = 1
        while Fraction(1, 1 << t) > min_margin:
            t += 1
        net_c = with_decoder(net_r, ds.classes, t)
        decoder = {"mu": f"2^-{t}", "neurons": 2 * (ds.classes + 1), "layers_before": len(net_r.layers),
                   "formula": "sum_{j=0..C} ReLU((F-j-1/2)*2^(t-1) + 1/2) - ReLU((F-j-1/2)*2^(t-1) - 1/2)"}
    else:
        mode, net_c = "relabelled", net_r
        ds_c = Dataset(ds.points, tuple(tuple(o) for o in outs), "regression", None, source=ds.source)
    outs_c = forward(net_c, ds_c.points)
    if outs_c != ds_c.targets():
        raise InternalError("suffice certificate: composite does not reproduce the labels")
    env = claim_env(ds_c, net_c)
    own = precision_claims(kind, n, t, env["grid_bits"])
    kept, dropped = [], []
    for c in cert.get("claims", []):
        if c["id"] in {i for i, _, _ in own}:
            continue                          # a rounded source's own precision claims: restated below
        try:
            lhs, op, rhs = claim_values(c["statement"], env)
            holds = {"Eq": lhs == rhs, "LtE": lhs <= rhs, "GtE": lhs >= rhs, "Lt": lhs < rhs, "Gt": lhs > rhs}[op]
        except (KeyError, ValueError, TypeError, ZeroDivisionError):
            holds = False
        (kept if holds else dropped).append(c)
    claims = [Claim(c["id"], c["statement"], c["source"]) for c in kept]
    for cid, statement, source in own:
        lhs, op, rhs = claim_values(statement, env)
        if not (lhs <= rhs if op == "LtE" else lhs == rhs):
            raise InternalError(f"suffice certificate: {statement} fails ({lhs})")
        claims.append(Claim(cid, statement, source))
    src = cert["construction"]
    what = (f"grid 2^-{n}" if kind == "fixed" else f"{n} significant bits")
    info = {"precision": {
        "rounding": rounding_json(kind, n), "decision": decision.describe(), "mode": mode, "decoder": decoder,
        "min_margin": encode_rat(min_margin), "max_error": encode_rat(worst),
        "source_certificate_sha256": cert.get("certificate_sha256"), "source_dataset_sha256": cert["dataset"]["sha256"],
        "claims_dropped": [c["id"] for c in dropped],
        "note": {"exact": "the rounded network outputs every label exactly",
                 "decoded": "layers after layers_before are the exact nearest-integer decoder; the checker's "
                            "exact equality with the class proves |F(x) - c| <= 1/2 - mu for the rounded network F",
                 "relabelled": "labels are the rounded network's exact outputs; max_error <= tol against the "
                               "source labels is measured by exactmem precision, not by check.py"}[mode]}}
    built = Built(net_c, claims, {"source_certificate_sha256": cert.get("certificate_sha256"),
                                  "rounding": rounding_json(kind, n), "mode": mode}, info)
    construction = {"id": f"rounded:{src['id']}", "paper": src.get("paper", ""),
                    "theorem": f"{src.get('theorem', '')}; every weight and bias rounded to {what}"}
    recipe = {"tool": "exactmem precision", "source_certificate_sha256": cert.get("certificate_sha256"),
              "rounding": rounding_json(kind, n)}
    return build_certificate(ds_c, construction, built, outs_c, recipe), mode


def with_decoder(net: Network, C: int, t: int) -> Network:
    """net (its output layer now an identity hidden layer) followed by the class decoder."""
    return Network(net.input_dim, net.layers + tuple(Layer.from_rationals(*m) for m in class_decoder(C, t)))


def fail_witness(cert: dict, net: Network, kind: str, n: int, index: int, point, target, output,
                 decision: Decision) -> dict:
    """A witness that rounding ``kind`` at n breaks the rule at one point (check.py --witness)."""
    net_r = round_network(net, kind, n)
    if decision.task == "classification":
        dec = {"task": "classification", "label": int(target[0])}
    else:
        dec = {"task": "regression", "label": [encode_rat(v) for v in target], "tol": encode_rat(decision.tol)}
    body = {
        "format": WITNESS_FORMAT, "version": WITNESS_VERSION, "claim": "rounding-fails",
        "rounding": {"kind": kind, ("k" if kind == "fixed" else "p"): n},
        "decision": dec, "point_index": index, "point": [encode_rat(v) for v in point],
        "output": [encode_rat(v) for v in output],
        "original_network": network_json(net), "network": network_json(net_r),
        "source": {"certificate_sha256": cert.get("certificate_sha256"), "dataset_sha256": cert["dataset"]["sha256"],
                   "construction": cert["construction"]["id"]},
    }
    body["witness_sha256"] = hashlib.sha256(canonical_bytes(body)).hexdigest()
    return body


def write_claims(out_dir, cert, ds, net, net_r, kind, s: Search, tester, decision, entry) -> dict:
    """Write the suffice certificate for the least n of search ``s`` and, when n - 1 failed at a
    point, its fail witness into ``out_dir``; note both in the report ``entry``; return
    {role: file name}."""
    out = Path(out_dir)
    letter = "k" if kind == "fixed" else "p"
    files = {}
    c, mode = suffice_certificate(cert, ds, net_r, kind, s.value, decision)
    name = f"suffice-{kind}-{letter}{s.value}.json"
    write_atomic(out / name, certificate_bytes(c))
    files["suffice"] = name
    entry["suffice"] = {"file": name, "mode": mode, "certificate_sha256": c["certificate_sha256"]}
    if s.value - 1 in tester.fails:
        i, output = tester.fails[s.value - 1]
        w = fail_witness(cert, net, kind, s.value - 1, i, ds.points[i], ds.targets()[i], output, decision)
        wname = f"fail-{kind}-{letter}{s.value - 1}.json"
        write_atomic(out / wname, canonical_bytes(w) + b"\n")
        files["witness"] = wname
        entry["witness"] = {"file": wname, "point": i, "witness_sha256": w["witness_sha256"]}
    return files
