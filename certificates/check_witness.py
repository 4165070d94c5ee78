"""Optional feature: precision witnesses (--witness W --against CERT, docs/precision.md) -
"rounding the certificate's network as stated breaks the decision rule at this data point".
The certificate is checked first; the rounding is recomputed from its network with integers, the
point is evaluated exactly, and the exact output must violate the rule.  VERIFIED WITNESS (exit 0)
when rules 1-6 hold, REJECTED (1) when one does not, MALFORMED (2) for a bad file.  Loaded only
with --witness.

Standard library, check_base and check_network only.  Must never import exactmem, never write,
run or load anything.
"""

import hashlib
import math

from check_base import (VERDICTS, Verdict, canonical, count, div_cost, fmt, gcd_cost, int_bytes, is_sha256, lst,
                        malformed, need, parse_json, read_bytes, rejected, same_json, to_rat)
from check_network import Map, data_fits, forward, load_network, network_fits


WITNESS_KEYS = ("format", "version", "claim", "rounding", "decision", "point_index", "point", "output",
                "original_network", "network", "source", "witness_sha256")


def round_half_even(a, b):
    """The integer nearest to a / b (b > 0), ties to even."""
    q, r = divmod(a, b)
    if 2 * r > b or (2 * r == b and q & 1):
        q += 1
    return q


def round_value(v, den, kind, n):
    """v/den rounded to the multiple of 2^-n ("fixed") or to n significant bits with unbounded
    exponent ("float"), nearest, ties to even; returned as (m, e) meaning m * 2^e."""
    if kind == "fixed":
        return (round_half_even(v << n, den) if n >= 0 else round_half_even(v, den << -n)), -n
    if v == 0:
        return 0, 0
    e = abs(v).bit_length() - den.bit_length()
    if (abs(v) << max(-e, 0)) < (den << max(e, 0)):
        e -= 1                                       # 2^e <= |v|/den < 2^(e+1)
    s = n - 1 - e
    return (round_half_even(v << s, den) if s >= 0 else round_half_even(v, den << -s)), -s


def round_map(layer, kind, n, budget):
    """One parsed affine map with every weight and bias rounded, in canonical integer form."""
    act, rows, bias, dens = layer
    # Cost model: a rounded value has at most bitlen(v) + bitlen(den) + |n| + 2 bits, before and
    # after the map's values are brought to one exponent; charged and held before rounding.
    total = 0
    for r, b, den in zip(rows, bias, dens):
        db = den.bit_length()
        vb = max(abs(v).bit_length() for v in r + [b]) + db + abs(n) + 2     # the neuron's largest
        total += (len(r) + 1) * int_bytes(2 * vb)
        budget.charge((len(r) + 1) * (div_cost(vb, db) + gcd_cost(2 * vb, 2 * vb) + 4 * vb),
                      "rounding a neuron of original_network")
    budget.hold(total, "rounding original_network: one map's rounded weights")
    out_rows, out_bias, out_dens = [], [], []
    for r, b, den in zip(rows, bias, dens):
        parts = [round_value(v, den, kind, n) for v in r + [b]]
        E = max([0] + [-e for m, e in parts if m])
        nums = [m << (e + E) if m else 0 for m, e in parts]
        g = math.gcd(1 << E, *nums)
        out_rows.append([v // g for v in nums[:-1]])
        out_bias.append(nums[-1] // g)
        out_dens.append((1 << E) // g)
    return Map(act, out_rows, out_bias, out_dens, layer.n_in)


def meets_rule(out, y, tol):
    """The decision rule at one point: a class c needs |F(x) - c| < 1/2; regression labels need
    max_o |F_o(x) - y_o| <= tol."""
    if tol is None:
        (p, q), c = out[0], y[0][0]
        return 2 * abs(p - c * q) < q
    tp, tq = tol
    return all(abs(p * yq - yp * q) * tq <= tp * q * yq for (p, q), (yp, yq) in zip(out, y))


def read_witness(path, budget):
    """Witness rule 1: canonical JSON of exactly the witness keys, version 1.0, well-typed fields.
    Returns (w, kind, n, index, x, y, tol, rule)."""
    try:
        data = read_bytes(path, budget)
    except OSError as e:
        raise Verdict(5, f"cannot read {path}: {e.strerror}")
    w = parse_json(data, budget)
    if not isinstance(w, dict) or w.get("format") != "exactmem-precision-witness":
        raise malformed("format: expected 'exactmem-precision-witness'")
    if not isinstance(w.get("version"), str):
        raise malformed("version: expected a string 'MAJOR.MINOR'")
    if w.get("version") != "1.0":
        raise Verdict(3, f"witness version {str(w.get('version'))[:20]!r}; this checker reads 1.0")
    need(w, WITNESS_KEYS, "witness")
    if data != canonical(w) + b"\n":
        raise malformed("file is not in canonical form (sorted keys, no whitespace, one final newline)")
    if w["claim"] != "rounding-fails":
        raise malformed("claim: expected 'rounding-fails'")
    kind = w["rounding"].get("kind") if isinstance(w["rounding"], dict) else None
    if kind not in ("fixed", "float"):
        raise malformed("rounding.kind: expected 'fixed' or 'float'")
    letter = "k" if kind == "fixed" else "p"
    n = need(w["rounding"], ("kind", letter), "rounding")[letter]
    if type(n) is not int or (kind == "float" and n < 1):
        raise malformed(f"rounding.{letter}: expected an integer" + (" >= 1" if kind == "float" else ""))
    if abs(n) > budget.limits.int_bits:
        raise Verdict(4, f"rounding.{letter} = {n} exceeds --max-int-bits={budget.limits.int_bits}")
    index = count(w["point_index"], "point_index")
    x = [to_rat(v, "point", budget) for v in lst(w["point"], "point")]
    if not x:
        raise malformed("point: at least one coordinate")
    dec = w["decision"]
    task = dec.get("task") if isinstance(dec, dict) else None
    if task == "classification":
        need(dec, ("task", "label"), "decision")
        if type(dec["label"]) is not int:
            raise malformed("decision.label: a class label is a JSON integer")
        y, tol, rule = [(dec["label"], 1)], None, f"|F(x) - {dec['label']}| < 1/2"
    elif task == "regression":
        need(dec, ("task", "label", "tol"), "decision")
        y = [to_rat(v, "decision.label", budget) for v in lst(dec["label"], "decision.label")]
        tol = to_rat(dec["tol"], "decision.tol", budget)
        if not y or tol[0] < 0:
            raise malformed("decision: a non-empty label and a tolerance >= 0 are needed")
        rule = f"max_o |F_o(x) - y_o| <= {fmt(*tol)}"
    else:
        raise malformed("decision.task: expected 'classification' or 'regression'")
    need(w["source"], ("certificate_sha256", "dataset_sha256", "construction"), "source")
    if not is_sha256(w["witness_sha256"]):
        raise malformed("witness_sha256: expected 64 lowercase hex digits")
    return w, kind, n, index, x, y, tol, rule


def check_refuted_certificate(against, verify):
    """Witness rule 2: the certificate the witness refutes is itself VERIFIED (verify is the
    checker's own check of a certificate path, handed in by check.py)."""
    try:
        return verify(against)
    except Verdict as v:
        if v.code in (3, 4, 5):
            raise Verdict(v.code, f"--against {against}: {v.message}")
        raise rejected(f"--against {against}: the certificate the witness refutes is not VERIFIED "
                       f"({VERDICTS[v.code]}: {v.message})")


def check_witness_binding(w, index, x, y, tol, src, budget):
    """Witness rule 3: the witness speaks of that certificate: its digests and construction, its
    dataset's point point_index and that point's label (a class in 1..C), and its network as
    original_network; and the unrounded network meets the decision rule at the point."""
    ds = src.ds
    if "evaluation" in src.cert:        # its network need not meet any decision rule on its data
        raise rejected("--against: an evaluation certificate (section 23); a witness refutes a memorization "
                       "certificate")
    for key, value in (("certificate_sha256", src.digest), ("dataset_sha256", ds["sha256"]),
                       ("construction", src.cert["construction"]["id"])):
        if w["source"][key] != value:
            raise rejected(f"source.{key} is {str(w['source'][key])[:70]!r}, the certificate's is {value!r}")
    if index >= ds["n"]:
        raise rejected(f"point_index {index}: the certificate's dataset has {ds['n']} points")
    if x != ds["x"][index]:
        raise rejected(f"point: not the certificate's point {index}")
    if (tol is None) != (ds["task"] == "classification"):
        raise rejected(f"decision.task: the certificate's task is {ds['task']}")
    if tol is None and not 1 <= y[0][0] <= ds["classes"]:
        raise rejected(f"decision.label {y[0][0]}: a class label is in 1..{ds['classes']}")
    if y != ds["y"][index]:
        raise rejected(f"decision.label: not the certificate's label of point {index}")
    if not same_json(w["original_network"], src.cert["network"]):
        raise rejected("original_network: not the certificate's network")
    if not meets_rule(forward(src.layers, x, budget), y, tol):
        raise rejected("the unrounded network already breaks the rule at this point: not a rounding failure")


def check_witness(path, against, verify, budget):
    """A precision witness (docs/precision.md): rounding the certificate's network as stated
    breaks the decision rule at one of its data points.  VERIFIED WITNESS when rules 1-6 hold."""
    if against is None:
        raise Verdict(5, "usage: --witness needs --against CERT, the certificate whose network the witness "
                         "rounds (its point, label and network are checked against it)")
    w, kind, n, index, x, y, tol, rule = read_witness(path, budget)
    letter = "k" if kind == "fixed" else "p"
    src = check_refuted_certificate(against, verify)
    check_witness_binding(w, index, x, y, tol, src, budget)
    # Rule 4: network is original_network rounded as stated (recomputed with integers, ties to even).
    data_fits(1, len(x), budget.limits)
    network_fits(w["network"], 1, budget.limits)
    original = src.layers
    network = load_network({"network": w["network"]}, len(x), len(y), budget)
    for k, (eo, en) in enumerate(zip(original, network), 1):
        if len(eo) != len(en) or not all(round_map(m, kind, n, budget).same(e) for m, e in zip(eo, en)):
            raise rejected(f"network layer {k} is not original_network's layer {k} rounded ({kind}, {letter}={n})")
    if len(original) != len(network):
        raise rejected("network and original_network have different numbers of layers")
    # Rule 5: the rounded network's exact output at the point is the stated one, and breaks the rule.
    out = forward(network, x, budget)
    claimed = [to_rat(v, "output", budget) for v in lst(w["output"], "output", len(y))]
    if out != claimed:
        o = next(i for i, (a, b) in enumerate(zip(out, claimed)) if a != b)
        raise rejected(f"output {o}: the network computes {fmt(*out[o])}, the witness claims {fmt(*claimed[o])}")
    if meets_rule(out, y, tol):
        raise rejected(f"the output {', '.join(fmt(*v) for v in out)} meets the rule {rule}: not a witness")
    # Rule 6: the witness's own digest.
    digest = hashlib.sha256(canonical({k: v for k, v in w.items() if k != "witness_sha256"})).hexdigest()
    if digest != w["witness_sha256"]:
        raise rejected(f"witness_sha256 mismatch: computed {digest}, witness says {w['witness_sha256']}")
    lines = [f"c certificate {src.digest}: VERIFIED; the witness's point {index}, label and original_network "
             f"are that certificate's",
             f"c unrounded network at point {index}: meets the rule {rule}",
             f"c rounding: {kind} {letter}={n} of the certificate's network recomputed; it equals network "
             f"({len(network)} layers)",
             f"c rounded network at point {index}: output {', '.join(fmt(*v) for v in out)}",
             f"c decision rule: {rule} does not hold"]
    return lines, f"WITNESS {digest} point {index}: rounding {kind} {letter}={n} violates {rule}"


