#!/usr/bin/env python3
"""Independent checker for exactmem certificates, formats 1.0 to 1.4 (docs/certificate-format.md).

Standard library only, never imports exactmem; run it as ``python3 -I -S check.py CERT``.
This file is the definition of VERIFIED (section 15): ``check`` runs its ten steps in order, one
function per step, each naming the rule it enforces.  It trusts nothing it can recompute: it
re-hashes the dataset, validates it, evaluates the network exactly on every point (integers
only), compares with the labels and the claimed outputs, recomputes every size, evaluates every
claim from its own numbers, and re-hashes the certificate.  The theorem table decides which
claims state the theorem a construction id names (section 22).  Every costly operation is charged
before it runs against --max-work and --max-memory (the cost model, section 17).  Fields it cannot
recompute are listed as UNCHECKED and never count towards the verdict.

Files, in reading order (docs/checker.md opens with the audit guide):
  check.py           the steps of VERIFIED, the command line
  check_base.py      verdicts, limits, the cost model, strict JSON, INT and RAT tokens
  check_network.py   parsing the network, its sizes, the exact forward pass
  check_claims.py    the claim grammar and its evaluation
  check_theorems.py  the theorem table (statement data)
  optional, each imported only when a certificate uses it: check_position.py (general_position),
  check_distance.py (min_sq_dist_*), check_segment.py (segment, pieces_on_segment,
  alternating_on_segment), check_precision.py (precision variables), check_evaluation.py (1.3:
  which points a given network gets right), check_witness.py (--witness), check_packed.py (the
  forward pass of an integral network, a chunk of points at a time)

Over ~500 lines on purpose: the steps of VERIFIED and the command line stay in the one file an
auditor reads first, in order; every optional feature lives in its own file.

Exit codes; the last stdout line is always ``s <VERDICT> ...``:
  0 VERIFIED     every check passed
  1 REJECTED     well-formed, but a claim is false or not the theorem's (the first failure is named)
  2 MALFORMED    not a well-formed certificate (bad JSON, duplicate key, float, NaN, bad field)
  3 UNSUPPORTED  format version this checker does not know
  4 RESOURCE     a resource limit was hit (integer too long, file too big, too many layers,
                 neurons or points, the work or memory budget, out of memory)
  5 USAGE        bad command line or unreadable file
With --range I:J a run that passes prints a receipt instead, ``s RECEIPT ...`` with exit 0, never
VERIFIED; --compose turns receipts into a VERIFIED (section 24, check_receipts.py).
"""

import argparse
import hashlib
import os
import re
import sys
from collections import namedtuple

# Under -I the script's folder is not on sys.path; the checker's own files are.  Appended, so
# a file beside check.py can never shadow a standard-library module.
HERE = os.path.dirname(os.path.realpath(__file__))
if HERE not in sys.path:
    sys.path.append(HERE)

from check_base import (DEFAULT_LIMITS, SUPPORTED_MAJOR, SUPPORTED_MINOR, VERDICTS, Budget, Limits,  # noqa: E402
                        Verdict, canonical, count, fmt, is_sha256, lst, malformed, need, parse_json, read_bytes,
                        rejected, same_json, str_field, to_rat)
from check_claims import LazyEnv, check_claims, claim_list  # noqa: E402
from check_network import (data_fits, forward, has_pair, load_network, network_fits, recompute_sizes,  # noqa: E402
                           start_point)
from check_theorems import check_theorem  # noqa: E402

CHECKER_VERSION = "1.3"
TOP = ("format", "version", "$schema", "generator", "construction", "recipe", "dataset",
       "network", "outputs", "sizes", "claims", "info", "certificate_sha256")
SIZES = ("depth", "width", "widths", "hidden_neurons", "params_dense", "params_nonzero",
         "bit_complexity", "max_numerator_bits", "layer_bits")
UNCHECKED = ("construction.paper, construction.theorem, construction.params, claim sources, recipe, info, "
             "generator")

Checked = namedtuple("Checked", "lines tail cert ds layers digest")


# ---------------------------------------------------------------------------------------------
# Steps 1 and 2: the file, its header, the static limits, canonical form

def read_certificate(path, budget):
    """Step 1 (sections 2 and 4): at most --max-bytes of a readable file, strict JSON."""
    try:
        data = read_bytes(path, budget)
    except OSError as e:
        raise Verdict(5, f"cannot read {path}: {e.strerror}")
    return data, parse_json(data, budget)


def check_header(cert):
    """Step 2 (sections 5-7): the top-level keys, an accepted version (else UNSUPPORTED), the
    schema id, and the types of generator, construction, recipe, info and the digest."""
    if not isinstance(cert, dict):
        raise malformed("top level: expected an object")
    if cert.get("format") != "exactmem-certificate":
        raise malformed(f"format: expected 'exactmem-certificate', got {str(cert.get('format'))[:40]!r}")
    version = cert.get("version")
    m = re.fullmatch(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)", version) if isinstance(version, str) else None
    if not m:
        raise malformed(f"version: expected 'MAJOR.MINOR', got {str(version)[:20]!r}")
    major, minor = int(m.group(1)), int(m.group(2))
    if major != SUPPORTED_MAJOR or minor > SUPPORTED_MINOR:
        raise Verdict(3, f"certificate version {version}; this checker reads 1.0 to "
                         f"{SUPPORTED_MAJOR}.{SUPPORTED_MINOR}")
    optional = (("segment",) if minor >= 1 else ()) + (("evaluation",) if minor >= 3 else ())  # 1.1, 1.3
    need(cert, TOP + tuple(k for k in optional if k in cert), "top level")
    if cert["$schema"] != f"https://exactmem.invalid/schema/certificate-{major}.json":
        raise malformed(f"$schema: unexpected id {str(cert['$schema'])[:60]!r}")
    need(cert["generator"], ("name", "version"), "generator")
    for k in ("name", "version"):
        str_field(cert["generator"][k], f"generator.{k}")
    need(cert["construction"], ("id", "paper", "theorem", "params"), "construction")
    for k in ("id", "paper", "theorem"):
        str_field(cert["construction"][k], f"construction.{k}")
    if not isinstance(cert["construction"]["params"], dict):
        raise malformed("construction.params must be an object")
    if not isinstance(cert["recipe"], dict) or not isinstance(cert["info"], dict):
        raise malformed("recipe and info must be objects")
    if not is_sha256(cert["certificate_sha256"]):
        raise malformed("certificate_sha256: expected 64 lowercase hex digits")
    return minor


def names_in_claims(cert, name):
    """True if some claim statement mentions this variable name (a cheap look before parsing)."""
    claims = cert["claims"] if isinstance(cert["claims"], list) else []
    return any(isinstance(c, dict) and isinstance(c.get("statement"), str) and name in c["statement"]
               for c in claims)


def check_static_limits(cert, limits):
    """Step 2 (section 17.1): refuse a certificate too big to check, from counts and list lengths
    alone, before any number is converted.  The work tests are lower bounds of the cost model: a
    certificate that fails one could never finish within --max-work, so nothing is parsed."""
    ds = cert["dataset"]
    n, d = (ds.get("n"), ds.get("d")) if isinstance(ds, dict) else (None, None)
    n, d = (max(n, 0) if type(n) is int else 0), (max(d, 0) if type(d) is int else 0)
    data_fits(n, d, limits)
    if names_in_claims(cert, "general_position"):
        import check_position
        check_position.refuse_statically(n, d, limits)
    network_fits(cert["network"], n, limits)


def check_canonical(data, cert):
    """Step 2 (section 2): the file is the canonical bytes of its JSON plus one final newline."""
    if data != canonical(cert) + b"\n":
        raise malformed("file is not in canonical form (sorted keys, no whitespace, one final newline)")


# ---------------------------------------------------------------------------------------------
# Step 3: the dataset

def sibling_file(ds, key, cert_dir, allow_symlink):
    """Section 8: dataset.file or dataset.lines names a regular file beside the certificate (a
    symbolic link only with --allow-dataset-symlink); returns (name, path)."""
    name = str_field(ds[key], f"dataset.{key}")
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}", name):
        raise malformed(f"dataset.{key}: must be a plain file name beside the certificate ([A-Za-z0-9._-])")
    path = os.path.join(cert_dir, name)
    if os.path.islink(path) and not allow_symlink:
        raise Verdict(5, f"dataset file {name} is a symbolic link; not followed without "
                         f"--allow-dataset-symlink")
    if os.path.exists(path) and not os.path.isfile(path):
        raise Verdict(5, f"dataset file {name} is not a regular file")
    return name, path


def dataset_body(ds, cert_dir, budget, allow_symlink):
    """Section 8: the inline body, or a regular file beside the certificate in canonical form;
    returns (body, its SHA-256)."""
    if "file" not in ds:
        return ds["inline"], hashlib.sha256(canonical(ds["inline"])).hexdigest()
    name, path = sibling_file(ds, "file", cert_dir, allow_symlink)
    try:
        raw = read_bytes(path, budget)
    except OSError as e:
        raise Verdict(5, f"cannot read dataset file {name}: {e.strerror}")
    digest = hashlib.sha256(raw).hexdigest()
    body = parse_json(raw, budget)
    if raw != canonical(body):
        raise malformed(f"dataset file {name}: not in canonical form (sorted keys, no whitespace, no newline)")
    return body, digest


def load_dataset(cert, cert_dir, budget, allow_symlink=False, minor=0):
    """Step 3 (section 8): the dataset's digest equals dataset.sha256; N points of d rationals;
    class labels are integers in 1..C (dy = 1), regression labels dy rationals each.  From
    format 1.4 on, the body may be a lines file, read a point at a time (check_lines.py)."""
    ds = cert["dataset"]
    where = "inline"
    if isinstance(ds, dict):
        where = "file" if "file" in ds else ("lines" if "lines" in ds and minor >= 4 else "inline")
    need(ds, ("sha256", "n", "d", "dy", where), "dataset")
    if not is_sha256(ds["sha256"]):
        raise malformed("dataset.sha256: expected 64 lowercase hex digits")
    n, d, dy = count(ds["n"], "dataset.n", 1), count(ds["d"], "dataset.d", 1), count(ds["dy"], "dataset.dy", 1)
    if where == "lines":
        import check_lines
        name, path = sibling_file(ds, "lines", cert_dir, allow_symlink)
        try:
            task, classes_field, labels, xs, digest = check_lines.read_lines(path, name, n, d, budget)
        except OSError as e:
            raise Verdict(5, f"cannot read dataset file {name}: {e.strerror}")
        if digest != ds["sha256"]:
            raise rejected(f"dataset sha256 mismatch: computed {digest}, certificate says {str(ds['sha256'])[:64]}")
        labels = lst(labels, "dataset.labels", n)
    else:
        body, digest = dataset_body(ds, cert_dir, budget, allow_symlink)
        if digest != ds["sha256"]:
            raise rejected(f"dataset sha256 mismatch: computed {digest}, certificate says {str(ds['sha256'])[:64]}")
        need(body, ("task", "classes", "points", "labels"), "dataset body")
        task, classes_field = body["task"], body["classes"]
        points = lst(body["points"], "dataset.points", n)
        labels = lst(body["labels"], "dataset.labels", n)
        xs = [[to_rat(v, f"dataset point {i}", budget) for v in lst(p, f"dataset point {i}", d)]
              for i, p in enumerate(points)]
    ys = []
    if task == "classification":
        classes = count(classes_field, "dataset.classes", 1)
        if dy != 1:
            raise malformed("dataset.dy: classification data has dy = 1")
        for i, c in enumerate(labels):
            if type(c) is not int:
                raise malformed(f"dataset point {i}: class label must be a JSON integer")
            if not 1 <= c <= classes:
                raise rejected(f"dataset point {i}: class label {c!r} outside 1..{classes}")
            ys.append([(c, 1)])
    elif task == "regression":
        if classes_field is not None:
            raise malformed("dataset.classes: must be null for regression")
        for i, y in enumerate(labels):
            ys.append([to_rat(v, f"dataset label {i}", budget) for v in lst(y, f"dataset label {i}", dy)])
    else:
        raise malformed(f"dataset.task: unknown task {str(task)[:30]!r}")
    return {"task": task, "classes": classes_field or 0, "x": xs, "y": ys, "n": n, "d": d, "dy": dy,
            "sha256": digest}


def load_evaluation(cert, ds):
    """Step 3 (section 23.1): the optional evaluation of a 1.3 certificate, its feature file
    loaded only when present; returns (evaluation or None, the network's output width)."""
    if "evaluation" not in cert:
        return None, ds["dy"]
    import check_evaluation
    evaluation = check_evaluation.load_evaluation(cert, ds)
    return evaluation, evaluation["width"]


# ---------------------------------------------------------------------------------------------
# Steps 4 and 5: the network (check_network.load_network), its segment, its sizes

def load_segment(cert, d, budget):
    """Step 4 (section 20): the optional segment; its feature file is loaded only when present."""
    if "segment" not in cert:
        return None
    import check_segment
    return check_segment.load_segment(cert, d, budget)


def check_sizes(cert, layers, d, budget):
    """Step 5 (section 12): every field of sizes equals the value recomputed from the network,
    with the same JSON types."""
    sizes = recompute_sizes(layers, d, budget)
    claimed = need(cert["sizes"], SIZES, "sizes")
    for key in SIZES:
        v = claimed[key]
        if not (type(v) is int or (isinstance(v, list) and all(type(x) is int for x in v))):
            raise malformed(f"sizes.{key}: expected a JSON integer (or a list of them)")
    for key in SIZES:
        if not same_json(claimed[key], sizes[key]):
            raise rejected(f"sizes.{key}: certificate says {str(claimed[key])[:80]}, recomputed {sizes[key]}")
    return sizes


# ---------------------------------------------------------------------------------------------
# Steps 6 and 7: the claim variables, the claims' grammar, the theorem table

def claim_variables(minor, ds, layers, sizes, segment, budget):
    """Section 13.2: every variable a claim may name, computed by the checker itself (the costly
    ones, and the optional feature files behind them, only when a claim names them); and the
    facts the theorem table's variants are chosen by."""
    n, d, dy = ds["n"], ds["d"], ds["dy"]
    acts = {entry[0][0] for entry in layers[:-1]}
    facts = {"relu_hidden": int(acts == {"relu"}), "hardtanh_hidden": int(acts == {"hardtanh"}),
             "task": ds["task"], "depth": sizes["depth"], "last": len(sizes["widths"]),
             "hidden_layers": len(sizes["widths"])}
    env = {k: v for k, v in sizes.items() if k not in ("widths", "layer_bits")}
    env.update({f"d{k}": w for k, w in enumerate(sizes["widths"], 1)})
    env.update({"N": n, "d": d, "dy": dy, "hidden": sizes["hidden_neurons"], "classes": ds["classes"],
                "log2_classes_floor": max(ds["classes"].bit_length() - 1, 0),
                "bits_after_first": max(sizes["layer_bits"][1:], default=0),
                "residual_hidden": sum(len(entry[0][3]) for entry in layers if len(entry) == 2),
                "relu_hidden": facts["relu_hidden"], "hardtanh_hidden": facts["hardtanh_hidden"],
                "distinct_points": int(len({tuple(x) for x in ds["x"]}) == n),
                "labels_in_unit_box": int(ds["task"] == "regression" and
                                          all(-q <= p <= q for y in ds["y"] for p, q in y)),
                "one_hot_labels": int(ds["task"] == "regression" and
                                      all(sorted(y) == [(0, 1)] * (len(y) - 1) + [(1, 1)] for y in ds["y"]))})
    if minor >= 1:                          # variables added in format 1.1
        env["general_position"] = lambda: general_position_variable(ds, budget)
        env["pieces_on_segment"] = lambda: pieces_variable(layers, segment, dy, budget)
    if minor >= 2:                          # variables added in format 1.2
        precision = {}

        def precision_variable(name):
            if not precision:
                import check_precision
                precision.update(check_precision.precision_variables(layers, ds, budget))
            return precision[name]
        for name in ("decoder_margin_bits", "dyadic_weights", "grid_bits", "sig_bits"):
            env[name] = (lambda name=name: precision_variable(name))
        env["alternating_on_segment"] = lambda: alternating_variable(ds, segment, budget)
    distance = []                           # computed once, only if a claim names it

    def min_sq(part):
        if not distance:
            import check_distance
            distance.extend(check_distance.min_sq_distance(ds["x"], budget))
        return distance[part]
    env.update({"min_sq_dist_num": lambda: min_sq(0), "min_sq_dist_den": lambda: min_sq(1)})
    return LazyEnv(env), facts


def general_position_variable(ds, budget):
    """Section 20: 1 iff every d + 1 points are affinely independent (check_position.py)."""
    import check_position
    return int(check_position.general_position(ds["x"], budget))


def pieces_variable(layers, segment, dy, budget):
    """Section 20: affine pieces of the scalar output along the segment (check_segment.py)."""
    if segment is None:
        raise malformed("a claim names pieces_on_segment, but the certificate has no segment")
    if dy != 1:
        raise malformed(f"pieces_on_segment needs a scalar output; this network has dy = {dy}")
    import check_segment
    return check_segment.pieces_on_segment(layers, *segment, budget)


def alternating_variable(ds, segment, budget):
    """Section 21: the counting lemma's hypothesis on the data (check_segment.py)."""
    if segment is None:
        raise malformed("a claim names alternating_on_segment, but the certificate has no segment")
    import check_segment
    return check_segment.alternating_on_segment(ds, segment, budget)


# ---------------------------------------------------------------------------------------------
# Steps 8-10: every point, every claim, the digest

def computed_outputs(layers, ds, points, budget):
    """Section 10 at the points, in order: one point at a time (check_network.forward), or for a
    network of integral plain layers without a one-direction pair a chunk at a time
    (check_packed.py; the same values)."""
    if len(points) < 2 or not all(len(entry) == 1 and entry[0].integral for entry in layers) or has_pair(layers, budget):
        yield from (forward(layers, ds["x"][i], budget) for i in points)
        return
    import check_packed
    for start in range(points.start, points.stop, check_packed.CHUNK):
        chunk = range(start, min(start + check_packed.CHUNK, points.stop))
        scaled = [start_point(ds["x"][i], budget) for i in chunk]
        # one long input would widen every point's slots, and a first map that turns short inputs
        # into long values would waste most of each product: then point by point (section 17.2)
        outs = check_packed.forward_chunk(layers, scaled, budget) if check_packed.small_inputs(scaled, budget) else None
        if outs is not None:
            yield from outs
        else:
            yield from (forward(layers, ds["x"][i], budget) for i in chunk)


def check_outputs(cert, layers, ds, points, budget):
    """Step 8 (sections 10 and 11): for every point i (of the range ``points``: section 24) and
    output o, the exact f(x_i)_o equals both outputs[i][o] and the label."""
    n, dy = ds["n"], ds["dy"]
    outputs = lst(cert["outputs"], "outputs", n)
    for i, computed in zip(points, computed_outputs(layers, ds, points, budget)):
        claimed = [to_rat(v, f"output of point {i}", budget) for v in lst(outputs[i], f"output of point {i}", dy)]
        for o in range(dy):
            (p, q), (cp, cq), (yp, yq) = computed[o], claimed[o], ds["y"][i][o]
            if (p, q) != (cp, cq) or (p, q) != (yp, yq):
                raise rejected(f"point {i} output {o}: network computes {fmt(p, q)}, certificate claims "
                               f"{fmt(cp, cq)}, label is {fmt(yp, yq)}")


def check_no_theorem(cert, evaluation, entry):
    """Step 7 for an evaluation certificate (section 23.2): it states no theorem, so its id must
    be outside the theorem table."""
    if evaluation is not None and entry is not None:
        raise rejected(f"construction {cert['construction']['id']}: an evaluation certificate states no "
                       f"theorem, so its id must be outside the theorem table")


def check_digest(cert):
    """Step 10 (section 14): certificate_sha256 is the digest of the rest of the certificate."""
    digest = hashlib.sha256(canonical({k: v for k, v in cert.items() if k != "certificate_sha256"})).hexdigest()
    if digest != cert["certificate_sha256"]:
        raise rejected(f"certificate_sha256 mismatch: computed {digest}, certificate says {cert['certificate_sha256']}")
    return digest


def theorem_lines(cert, entry, chosen, evaluation=None):
    """What VERIFIED says about a theorem (section 15): the table's paper and statement, or none;
    returns (lines, the verdict's theorem= word)."""
    cid = cert["construction"]["id"]
    if evaluation is not None:
        return [f"c theorem: none. An evaluation certificate (section 23): VERIFIED says that the network computes "
                f"exactly the stated outputs and, under rule {evaluation['rule']}, gets exactly the points outside "
                f"evaluation.misses right, and that the listed claims hold"], "none"
    if entry is None:
        return [f"c theorem: none. Construction id {cid!r} is not in this checker's theorem table, so "
                "VERIFIED says only that the network reproduces every label exactly and that the listed "
                "claims hold"], "none"
    lines = [f"c theorem: {entry['paper']}: {entry['theorem']} [{chosen['name']}]; every claim it "
             f"requires is present and holds"]
    if "source" not in entry:
        return lines, cid
    lines.append(f"c precision: the source construction {entry['source']!r} named in the id is a label; "
                 f"claims of its theorem that are listed were checked like any claim")
    return lines, "precision"           # rounded:ID - the statement is the precision one


def check(path, budget, allow_dataset_symlink=False, range_text=None, receipts=None):
    """Section 15, "What VERIFIED means": steps 1-10 in the documented order; a Verdict is
    raised at the first failure.  Returns a Checked (report lines, verdict tail, and the parsed
    certificate, dataset and network for --witness).  Section 24: with ``range_text`` ("I:J")
    step 8 covers only those points, step 9 is left to the composing run, and the tail is a
    receipt; with ``receipts`` step 8 is the receipts' (check_receipts.py)."""
    data, cert = read_certificate(path, budget)                                  # 1
    minor = check_header(cert)                                                   # 2
    check_static_limits(cert, budget.limits)
    check_canonical(data, cert)
    cert_dir = os.path.dirname(os.path.abspath(path)) if path != "-" else "."
    ds = load_dataset(cert, cert_dir, budget, allow_dataset_symlink, minor)      # 3
    evaluation, width = load_evaluation(cert, ds)
    layers = load_network(cert, ds["d"], width, budget)                          # 4
    segment = load_segment(cert, ds["d"], budget)
    sizes = check_sizes(cert, layers, ds["d"], budget)                           # 5
    env, facts = claim_variables(minor, ds, layers, sizes, segment, budget)
    claims = claim_list(cert, env, budget)                                       # 6
    entry, chosen = check_theorem(cert, claims, facts, budget)                   # 7
    check_no_theorem(cert, evaluation, entry)
    if range_text is not None:
        import check_receipts
        points = range(*check_receipts.parse_range(range_text, ds["n"]))
    else:
        points = range(ds["n"])
    if receipts is not None:                                                     # 8, by composition
        forward_line = None
    elif evaluation is None:
        check_outputs(cert, layers, ds, points, budget)                          # 8
        forward_line = (f"c forward: all {ds['n']} points evaluated exactly; outputs equal the labels and the "
                        f"claimed outputs" if range_text is None else
                        f"c forward: points {points.start}..{points.stop - 1} of {ds['n']} evaluated exactly")
    else:
        import check_evaluation
        forward_line = check_evaluation.check_evaluated_outputs(cert, layers, ds, evaluation, points, budget)
    claim_lines = check_claims(claims, env, budget) if range_text is None else []     # 9
    digest = check_digest(cert)                                                  # 10
    if receipts is not None:
        import check_receipts
        forward_line = check_receipts.check_receipts(receipts, digest, ds["sha256"], ds["n"], CHECKER_VERSION,
                                                     budget)
    if range_text is not None:
        import check_receipts
        return Checked([forward_line], "RECEIPT " + check_receipts.receipt_line(
            digest, ds["sha256"], points.start, points.stop, ds["n"], CHECKER_VERSION), cert, ds, layers, digest)
    out = [f"c dataset: N={ds['n']} d={ds['d']} dy={ds['dy']} task={ds['task']} sha256={ds['sha256']}",
           "c network: depth={depth} width={width} widths={widths} hidden={hidden_neurons} "
           "params_dense={params_dense} params_nonzero={params_nonzero} bit_complexity={bit_complexity}"
           .format(**sizes),
           forward_line]
    if segment is not None:
        out.append(f"c segment: from ({', '.join(fmt(*x) for x in segment[0])}) to "
                   f"({', '.join(fmt(*x) for x in segment[1])})")
    lines, theorem = theorem_lines(cert, entry, chosen, evaluation)
    out += claim_lines + lines
    out.append(f"c construction: {cert['construction']['id']}")
    out.append(f"c UNCHECKED (informative only): {UNCHECKED}")
    tail = f"{digest} {ds['sha256']} theorem={theorem}"
    if evaluation is not None:
        tail += f" correct={evaluation['correct']}/{ds['n']}"
    if receipts is not None:
        tail += f" receipts={len(receipts)}"
    return Checked(out, tail, cert, ds, layers, digest)


# ---------------------------------------------------------------------------------------------
# The command line (section 16)

LINE_CHARS = 2000           # a printed line longer than this is cut (a 10 MB claim source stays unprinted)


def printable(text):
    """Escape every non-printable character (newlines, U+2028, ...): text taken from a
    certificate can never start a line of its own, let alone a forged verdict line.  A line
    is cut to LINE_CHARS characters first, so printing costs no more than a line's worth."""
    if len(text) > LINE_CHARS:
        text = f"{text[:LINE_CHARS]}... ({len(text) - LINE_CHARS} more characters not printed)"
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class Parser(argparse.ArgumentParser):
    """argparse whose errors are the USAGE verdict, never a traceback or exit 2."""

    def error(self, message):
        raise Verdict(5, f"usage: {message}")


def parser():
    """The command line of section 16; each --max-* flag's default is DEFAULT_LIMITS."""
    p = Parser(description="Independent checker for exactmem certificates (format 1.x).")
    p.add_argument("certificate", help="certificate file, or - for stdin")
    for flag, key, text in (
            ("--max-int-bits", "int_bits", "refuse integers longer than this many bits"),
            ("--max-bytes", "bytes", "refuse inputs larger than this"),
            ("--max-layers", "layers", "refuse networks with more layers"),
            ("--max-width", "width", "refuse layers with more neurons, and inputs of higher dimension"),
            ("--max-points", "points", "refuse datasets with more points"),
            ("--max-work", "work", "stop when the cost model's work units pass this; a unit is about a "
                                   "nanosecond (about 30 s by default; docs/checker.md)"),
            ("--max-memory", "memory", "refuse to build anything estimated larger than this many bytes")):
        p.add_argument(flag, dest=key, metavar="N", type=int, default=DEFAULT_LIMITS._asdict()[key],
                       help=text + " (default %(default)s)")
    p.add_argument("--allow-dataset-symlink", action="store_true",
                   help="follow a dataset file that is a symbolic link (refused by default)")
    p.add_argument("--witness", action="store_true",
                   help="the file is a precision witness (exactmem precision; docs/precision.md)")
    p.add_argument("--against", metavar="CERT",
                   help="with --witness: the certificate whose network the witness rounds (required)")
    p.add_argument("--range", metavar="I:J",
                   help="check the points I..J-1 only and print a receipt (section 24); claims are left to --compose")
    p.add_argument("--compose", metavar="RECEIPT", nargs="+",
                   help="check everything but the per-point step, which the receipts of --range runs must cover")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only the verdict line (and no progress lines on stderr)")
    return p


def run(argv=None):
    """One run from a command line: (exit code, report lines, verdict tail, the run's Budget).
    Every run builds its own Limits and Budget from its flags; nothing carries over."""
    code, lines, tail, budget = 5, [], "", Budget(DEFAULT_LIMITS)
    try:
        args = parser().parse_args(argv)
        budget = Budget(Limits(int_bits=args.int_bits, bytes=args.bytes, layers=args.layers, width=args.width,
                               points=args.points, work=args.work, memory=args.memory), progress=not args.quiet)
        if args.against and not args.witness:
            raise Verdict(5, "usage: --against CERT goes with --witness")
        if (args.range or args.compose) and (args.witness or (args.range and args.compose)):
            raise Verdict(5, "usage: --range, --compose and --witness exclude one another")
        if args.witness:
            import check_witness
            lines, tail = check_witness.check_witness(
                args.certificate, args.against, lambda cert: check(cert, budget, args.allow_dataset_symlink), budget)
        else:
            lines, tail = check(args.certificate, budget, args.allow_dataset_symlink, args.range, args.compose)[:2]
        code = 0
        lines.append(f"c cost: {budget.used} work units of --max-work={budget.work} (cost model: docs/checker.md)")
        if args.quiet:
            lines = []
    except Verdict as v:
        code, tail = v.code, v.message
    except MemoryError:
        code, tail = 4, "out of memory"
    except KeyboardInterrupt:
        code, tail = 5, "interrupted"
    except SystemExit:               # argparse --help: main() returns its code
        raise
    except Exception as e:           # a checker bug must never look like a verdict on the data
        code, tail = 2, f"internal checker error ({type(e).__name__}: {str(e)[:200]}); not verified"
    return code, lines, tail, budget


def emit(code, lines, tail):
    """Print the report lines and the verdict line, each made printable; return the exit code."""
    word = VERDICTS[code]
    if code == 0 and tail.startswith("RECEIPT "):      # a --range run (section 24): not a VERIFIED
        word, tail = tail.split(" ", 1)
    try:
        for line in lines:
            print(printable(line))
        print(f"s {word} {printable(tail)}".rstrip())
        sys.stdout.flush()
    except BrokenPipeError:          # piped into `head`: the exit code still carries the verdict
        sys.stdout = None            # nothing more to flush at exit, so no second error
    return code


def main(argv=None):
    """Run the command line, print the report and the verdict line; return the exit code."""
    try:
        code, lines, tail, _ = run(argv)
    except SystemExit as e:          # argparse --help
        return e.code if isinstance(e.code, int) else 0
    return emit(code, lines, tail)


if __name__ == "__main__":
    sys.exit(main())
