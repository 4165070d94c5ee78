#!/usr/bin/env python3
"""Regenerate the negative corpus: small, hand-made bad certificates for certificates/check.py.

Every case starts from a golden certificate (certificates/golden/) and changes one thing.
Standard library only, deterministic: running it twice gives identical bytes.

    python3 certificates/negative/make_negatives.py           # (re)write *.json and EXPECTED.txt
    python3 certificates/negative/make_negatives.py --check   # exit 1 if the committed files differ

EXPECTED.txt has one line per file, TAB-separated:  FILE  EXIT_CODE  REASON  [CHECKER_FLAGS]
(lines starting with '#' are comments).  REASON is a one-line description of why the checker
must give EXIT_CODE; CHECKER_FLAGS, when present, are extra command-line flags the test passes
after FILE, split on spaces.  A flag that starts with "golden/" or "negative/" is a path relative
to certificates/ (the test passes it as an absolute path).  A precision witness case is a witness
file with the flags "--witness --against golden/NAME": the test runs
``check.py FILE --witness --against certificates/golden/NAME``.

controls() returns positive controls (not committed, never in EXPECTED.txt): the genuine objects
the witness, precision and theorem-3.3 cases are one change away from; the test checks that they
VERIFY, so each negative fails for the one thing its case changed.

A few cases are too big to commit (a 10**7-digit integer, 10**6 layers) or need the file
system (a dataset file that is a symbolic link).  They are listed in EXPECTED.txt like the
others, with a REASON starting "[not committed]"; tests/test_checker_negative.py builds them
into a temporary folder with materialize(NAME, FOLDER) and checks them there.

    python3 certificates/negative/make_negatives.py --materialize DIR   # write those into DIR

Where only a semantic field changes, the dataset sha256 and the certificate_sha256 are
recomputed ("rehashed") unless the case is about a stale hash: then the semantic check,
not the hash, is what must reject.
"""

import hashlib
import json
import math
import sys
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE.parent / "golden"
SMALL = "zhang17-n5-d1.json"                     # 2 KB, one hidden layer, regression
DEEP = "ysj19-thm3.1-hardtanh-n16-tight.json"    # depth 3, hard-tanh


# ---------------------------------------------------------------------------------------------
# Helpers (the same canonical form as exactmem.certificate / check.py)

def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def golden_bytes(name):
    return (GOLDEN / name).read_bytes()


def golden(name):
    return json.loads(golden_bytes(name))


def enc_int(v):
    return str(v) if -(1 << 53) < v < (1 << 53) else ("-" if v < 0 else "") + hex(abs(v))


def dec_int(s):
    neg = s.startswith("-")
    body = s[1:] if neg else s
    v = int(body[2:], 16) if body.startswith("0x") else int(body)
    return -v if neg else v


def rehash(cert, dataset=True):
    """Recompute the inline dataset sha256 (if dataset) and the certificate_sha256."""
    ds = cert.get("dataset")
    if dataset and isinstance(ds, dict) and "inline" in ds:
        ds["sha256"] = hashlib.sha256(canonical(ds["inline"])).hexdigest()
    body = {k: v for k, v in cert.items() if k != "certificate_sha256"}
    cert["certificate_sha256"] = hashlib.sha256(canonical(body)).hexdigest()
    return cert


def dump(cert):
    return canonical(cert) + b"\n"


def replace_once(data, old, new):
    assert data.count(old) == 1, (old, data.count(old))
    return data.replace(old, new)


def claim(cert, cid):
    (c,) = [c for c in cert["claims"] if c["id"] == cid]
    return c


# ---------------------------------------------------------------------------------------------
# Cases: (file name, expected exit code, reason, flags, builder).  A committed case's builder
# returns the file's bytes, or {file name: bytes} when it needs sibling files; a case that is
# not committed (UNCOMMITTED) has a builder(folder) that writes its files there.

CASES = []
UNCOMMITTED = set()
NOT_COMMITTED = "[not committed] "


def case(name, code, reason, flags="", commit=True):
    def register(fn):
        if not commit:
            UNCOMMITTED.add(name)
        CASES.append((name, code, (NOT_COMMITTED if not commit else "") + reason, flags, fn))
        return fn
    return register


# -- JSON level (exit 2) -----------------------------------------------------------------------

@case("json-duplicate-key.json", 2, "sizes object repeats the key depth (same value both times)")
def _():
    return replace_once(golden_bytes(SMALL), b'"depth":2,', b'"depth":2,"depth":2,')


@case("json-float.json", 2, "sizes.depth written as the JSON float 2.0")
def _():
    return replace_once(golden_bytes(SMALL), b'"depth":2,', b'"depth":2.0,')


@case("json-nan.json", 2, "dataset.n is the non-standard JSON constant NaN")
def _():
    return replace_once(golden_bytes(SMALL), b'"n":5,', b'"n":NaN,')


@case("json-truncated.json", 2, "file cut in half: invalid JSON")
def _():
    data = golden_bytes(SMALL)
    return data[: len(data) // 2]


@case("json-empty.json", 2, "empty file: invalid JSON")
def _():
    return b""


@case("json-not-utf8.json", 2, "a 0xff byte inside construction.paper: not UTF-8")
def _():
    return replace_once(golden_bytes(SMALL), b"ICLR 2017", b"ICLR\xff2017")


# -- header and structure ----------------------------------------------------------------------

@case("header-unknown-top-field.json", 2, "unknown top-level field 'comment' (hash recomputed)")
def _():
    cert = golden(SMALL)
    cert["comment"] = "hello"
    return dump(rehash(cert))


@case("header-missing-field.json", 2, "top-level field 'sizes' removed (hash recomputed)")
def _():
    cert = golden(SMALL)
    del cert["sizes"]
    return dump(rehash(cert))


@case("header-version-2.0.json", 3, "version 2.0: unknown major version")
def _():
    cert = golden(SMALL)
    cert["version"] = "2.0"
    return dump(rehash(cert))


@case("header-version-1.5.json", 3, "version 1.5: newer minor version than the checker reads (was "
                                   "header-version-1.4.json until the checker learnt format 1.4)")
def _():
    cert = golden(SMALL)
    cert["version"] = "1.5"
    return dump(rehash(cert))


def _v11_variable_in_1_0(construction_id=None):
    cert = golden(SMALL)
    if construction_id is not None:
        cert["construction"]["id"] = construction_id
    cert["claims"].append({"id": "general-position", "statement": "general_position == 1", "lhs": "1",
                           "rhs": "1", "source": "YSJ19 Assumption 4.1"})
    return dump(rehash(cert))


# Checker 1.2 parses every claim statement (grammar and variable names, section 13) before the
# theorem table (section 22) looks at the claims: an unknown variable is MALFORMED whatever the
# construction id, in the table (zhang17) or not (my-own).
@case("claim-v11-variable-in-1.0.json", 2, "a 1.0 zhang17 certificate names general_position, a 1.1 "
                                           "variable: unknown in 1.0, MALFORMED before the theorem table "
                                           "looks at the extra claim")
def _():
    return _v11_variable_in_1_0()


@case("claim-v11-variable-unknown-id.json", 2, "a 1.0 certificate of construction 'my-own' (outside the "
                                               "theorem table) names general_position, a 1.1 variable")
def _():
    return _v11_variable_in_1_0("my-own")


@case("header-bad-format.json", 2, "format id 'exactmem-cert' instead of 'exactmem-certificate'")
def _():
    cert = golden(SMALL)
    cert["format"] = "exactmem-cert"
    return dump(rehash(cert))


@case("header-unknown-nested-field.json", 2, "unknown field in network.layers[0] (hash recomputed)")
def _():
    cert = golden(SMALL)
    cert["network"]["layers"][0]["note"] = "x"
    return dump(rehash(cert))


# -- number grammar (exit 2) -------------------------------------------------------------------

def _retoken(path_fn, old, new):
    cert = golden(SMALL)
    holder, key = path_fn(cert)
    assert holder[key] == old, holder[key]
    holder[key] = new
    return dump(rehash(cert))


@case("int-leading-zero.json", 2, "weight 65536 written as 065536")
def _():
    return _retoken(lambda c: (c["network"]["layers"][0]["weights"][0], 0), "65536", "065536")


@case("int-hex-below-2p53.json", 2, "weight 65536 written as 0x10000 (hex only from 2**53 on)")
def _():
    return _retoken(lambda c: (c["network"]["layers"][0]["weights"][0], 0), "65536", "0x10000")


@case("int-minus-zero.json", 2, "output bias 0 written as -0")
def _():
    return _retoken(lambda c: (c["network"]["layers"][1]["bias"], 0), "0", "-0")


@case("int-decimal-above-2p53.json", 2, "weight 0x27e6f244058005 (>= 2**53) written in decimal")
def _():
    return _retoken(lambda c: (c["network"]["layers"][1]["weights"][0], 0),
                    "0x27e6f244058005", str(0x27E6F244058005))


@case("int-uppercase-hex.json", 2, "den 0x2cfff082d7f700 written with uppercase hex digits")
def _():
    return _retoken(lambda c: (c["network"]["layers"][1]["dens"], 0),
                    "0x2cfff082d7f700", "0x2CFFF082D7F700")


@case("rat-not-reduced.json", 2, "claimed output 51/64 written as 102/128")
def _():
    return _retoken(lambda c: (c["outputs"][0], 0), "51/64", "102/128")


@case("int-oversized.json", 4, "a 1100-hex-digit (4400-bit) weight; run with --max-int-bits 4096",
      "--max-int-bits 4096")
def _():
    # Small file, big-enough integer: the flag lowers the limit instead of a 1 MB token.
    big = (1 << 4399) | 1
    return _retoken(lambda c: (c["network"]["layers"][1]["weights"][0], 1), "-0xff948dcd5fd805", enc_int(-big))


# -- semantic tampering (exit 1) ---------------------------------------------------------------

def _bump_weight(cert):
    # Hidden neuron 3's input weight 32768/32768 -> 32769/32768: the row stays reduced and no
    # size changes (an output-layer weight would change bit_complexity, and the sizes are
    # checked before the forward pass), so only the forward pass can catch it.
    row = cert["network"]["layers"][0]["weights"][3]
    assert row == ["32768"] and cert["network"]["layers"][0]["dens"][3] == "32768"
    row[0] = "32769"
    return cert


@case("weight-changed.json", 1, "hidden weight 32768 -> 32769 (stale certificate_sha256; the forward "
                                "pass, checked before the hash, rejects point 2)")
def _():
    return dump(_bump_weight(golden(SMALL)))


@case("weight-changed-rehashed.json", 1, "hidden weight 32768 -> 32769, hash recomputed: the forward "
                                         "pass rejects and names point 2")
def _():
    return dump(rehash(_bump_weight(golden(SMALL))))


@case("output-changed.json", 1, "claimed output of point 2 changed from 33/64 to 35/64 (rehashed)")
def _():
    cert = golden(SMALL)
    assert cert["outputs"][2] == ["33/64"]
    cert["outputs"][2] = ["35/64"]
    return dump(rehash(cert))


@case("label-swapped.json", 1, "labels of points 0 and 1 swapped (dataset and certificate rehashed)")
def _():
    cert = golden(SMALL)
    labels = cert["dataset"]["inline"]["labels"]
    labels[0], labels[1] = labels[1], labels[0]
    return dump(rehash(cert))


@case("point-dropped.json", 2, "last point and label dropped but dataset.n still 5 (rehashed)")
def _():
    cert = golden(SMALL)
    cert["dataset"]["inline"]["points"].pop()
    cert["dataset"]["inline"]["labels"].pop()
    return dump(rehash(cert))


@case("point-dropped-consistent.json", 1, "last point dropped with n, outputs and hashes adjusted; "
                                          "claim d1 <= N still says 5 <= 5")
def _():
    cert = golden(SMALL)
    cert["dataset"]["inline"]["points"].pop()
    cert["dataset"]["inline"]["labels"].pop()
    cert["dataset"]["n"] = 4
    cert["outputs"].pop()
    return dump(rehash(cert))


@case("size-changed.json", 1, "sizes.params_nonzero 15 -> 14 (rehashed)")
def _():
    cert = golden(SMALL)
    assert cert["sizes"]["params_nonzero"] == 15
    cert["sizes"]["params_nonzero"] = 14
    return dump(rehash(cert))


@case("claim-lhs-changed.json", 1, "claim hidden-nodes (d1 <= N) records lhs 4 instead of 5 (rehashed)")
def _():
    cert = golden(SMALL)
    c = claim(cert, "hidden-nodes")
    assert (c["lhs"], c["rhs"]) == ("5", "5")
    c["lhs"] = "4"
    return dump(rehash(cert))


@case("claim-false.json", 1, "claim 'depth == 3' changed to 'depth == 4' with lhs 3, rhs 4 (rehashed)")
def _():
    cert = golden(DEEP)
    c = claim(cert, "depth")
    assert c["statement"] == "depth == 3"
    c["statement"], c["rhs"] = "depth == 4", "4"
    return dump(rehash(cert))


@case("claim-import.json", 2, "claim statement calls __import__('os').system(...)")
def _():
    cert = golden(SMALL)
    c = claim(cert, "depth")
    c["statement"] = "__import__('os').system('echo pwned') == 0"
    c["lhs"], c["rhs"] = "0", "0"
    return dump(rehash(cert))


def _claim_power(construction_id=None):
    cert = golden(SMALL)
    if construction_id is not None:
        cert["construction"]["id"] = construction_id
    c = claim(cert, "depth")
    c["statement"] = "depth ** 1 == 2"
    return dump(rehash(cert))


@case("claim-power.json", 2, "claim statement uses ** (only + - * // are allowed); under the known id "
                             "zhang17 too the grammar rejects it before the theorem table")
def _():
    return _claim_power()


@case("claim-power-unknown-id.json", 2, "claim statement uses ** under construction 'my-own' (outside the "
                                        "theorem table): the grammar rejects it")
def _():
    return _claim_power("my-own")


@case("dataset-coordinate-changed.json", 1, "point 2 coordinate 83/4096 -> 85/4096, dataset sha256 "
                                             "left stale: dataset sha256 mismatch")
def _():
    cert = golden(SMALL)
    assert cert["dataset"]["inline"]["points"][2] == ["83/4096"]
    cert["dataset"]["inline"]["points"][2] = ["85/4096"]
    return dump(rehash(cert, dataset=False))


@case("dataset-coordinate-changed-rehashed.json", 1, "point 2 coordinate 83/4096 -> 85/4096, both "
                                                      "hashes recomputed: forward pass rejects point 2")
def _():
    cert = golden(SMALL)
    cert["dataset"]["inline"]["points"][2] = ["85/4096"]
    return dump(rehash(cert))


@case("dataset-file-traversal.json", 2, "dataset.file '../golden/x.json' is not a name beside the "
                                         "certificate")
def _():
    cert = golden(SMALL)
    ds = cert["dataset"]
    del ds["inline"]
    ds["file"] = "../golden/" + SMALL
    return dump(rehash(cert))


@case("dataset-file-missing.json", 5, "dataset.file names a file that does not exist (I/O error)")
def _():
    cert = golden(SMALL)
    ds = cert["dataset"]
    del ds["inline"]
    ds["file"] = "no-such-dataset-file.json"
    return dump(rehash(cert))


@case("sha256-wrong.json", 1, "certificate_sha256 with its last hex digit changed")
def _():
    cert = golden(SMALL)
    h = cert["certificate_sha256"]
    cert["certificate_sha256"] = h[:-1] + ("0" if h[-1] != "0" else "1")
    return dump(cert)


# -- network shape -----------------------------------------------------------------------------

def encode_neuron(row, bias):
    """Canonical (weights, bias, den) tokens of a neuron given as Fractions."""
    den = math.lcm(*(q.denominator for q in row + [bias]))
    return [enc_int(int(q * den)) for q in row], enc_int(int(bias * den)), enc_int(den)


def rational_layer(layer):
    dens = [dec_int(v) for v in layer["dens"]]
    rows = [[Fraction(dec_int(v), den) for v in row] for row, den in zip(layer["weights"], dens)]
    return rows, [Fraction(dec_int(b), den) for b, den in zip(layer["bias"], dens)]


@case("network-layer-missing.json", 1, "the middle (4x4) layer of a depth-3 network removed; shapes still "
                                       "fit, sizes.depth says 3 (rehashed)")
def _():
    cert = golden(DEEP)
    del cert["network"]["layers"][1]
    return dump(rehash(cert))


@case("network-weights-transposed.json", 1, "the square 4x4 weight matrix of layer 2 transposed (re-encoded "
                                            "canonically; every size unchanged): the forward pass rejects")
def _():
    cert = golden(DEEP)
    layer = cert["network"]["layers"][1]
    rows, bias = rational_layer(layer)
    cols = [list(c) for c in zip(*rows)]
    assert cols != rows
    enc = [encode_neuron(c, b) for c, b in zip(cols, bias)]
    layer["weights"], layer["bias"], layer["dens"] = [e[0] for e in enc], [e[1] for e in enc], [e[2] for e in enc]
    return dump(rehash(cert))


@case("network-weights-transposed-shape.json", 2, "the 1x5 output weight matrix written as 5x1 (rehashed): "
                                                  "5 rows for 1 neuron")
def _():
    cert = golden(SMALL)
    layer = cert["network"]["layers"][1]
    layer["weights"] = [[v] for v in layer["weights"][0]]
    return dump(rehash(cert))


@case("sizes-width-understated.json", 1, "sizes.width claims 4 neurons for a hidden layer of 5 (rehashed)")
def _():
    cert = golden(SMALL)
    assert cert["sizes"]["width"] == 5
    cert["sizes"]["width"] = 4
    return dump(rehash(cert))


@case("den-zero.json", 2, "den of hidden neuron 0 is \"0\" (rehashed)")
def _():
    return _retoken(lambda c: (c["network"]["layers"][0]["dens"], 0), "65536", "0")


@case("den-negative.json", 2, "den of hidden neuron 0 is \"-3\" (rehashed)")
def _():
    return _retoken(lambda c: (c["network"]["layers"][0]["dens"], 0), "65536", "-3")


# -- resource limits (exit 4): checked before any number is converted ---------------------------

def _identity_layers(count):
    return [{"activation": "identity", "bias": ["0"], "dens": ["1"], "weights": [["1"]]}] * count


@case("limit-layers.json", 4, "12 layers with --max-layers 8: refused before the (stale) sizes are "
                              "looked at", "--max-layers 8")
def _():
    cert = golden(SMALL)
    cert["network"]["layers"] += _identity_layers(10)
    return dump(rehash(cert))


@case("limit-width.json", 4, "hidden layer widened to 6 neurons with --max-width 5", "--max-width 5")
def _():
    cert = golden(SMALL)
    hidden = cert["network"]["layers"][0]
    for key in ("weights", "bias", "dens"):
        hidden[key].append(hidden[key][0])
    cert["network"]["layers"][1]["weights"][0].append("1")
    return dump(rehash(cert))


@case("limit-input-dim.json", 4, "dataset.d = 2 with --max-width 1 (the input dimension counts as a "
                                 "width), and a stale certificate_sha256 that is never reached", "--max-width 1")
def _():
    cert = golden("zhang17-n12-d2-classes3.json")
    cert["info"]["note"] = "d = 2 > --max-width 1"
    return dump(cert)


@case("limit-points.json", 4, "a sixth point (a copy of point 0) with --max-points 5", "--max-points 5")
def _():
    cert = golden(SMALL)
    inline = cert["dataset"]["inline"]
    inline["points"].append(inline["points"][0])
    inline["labels"].append(inline["labels"][0])
    cert["outputs"].append(cert["outputs"][0])
    cert["dataset"]["n"] = 6
    return dump(rehash(cert))


@case("limit-work.json", 4, "N * neurons = 5 * 6 neuron evaluations, each a lower bound of several work "
                            "units, with --max-work 79: refused before any number is read (and a wrong "
                            "output that is never reached)", "--max-work 79")
def _():
    cert = golden(SMALL)
    cert["outputs"][2] = ["35/64"]
    return dump(rehash(cert))


@case("int-1e7-digits.json", 4, "a weight written with 10**7 decimal digits (10 MB, generated into a "
                                "temporary folder): longer than the default --max-int-bits allows, "
                                "refused on its length before int()", commit=False)
def _(folder):
    cert = golden(SMALL)
    cert["network"]["layers"][1]["weights"][0][1] = "PLACEHOLDER"
    data = replace_once(dump(rehash(cert)), b'"PLACEHOLDER"', b'"' + b"7" * 10 ** 7 + b'"')
    path = folder / "int-1e7-digits.json"
    path.write_bytes(data)
    return path


@case("layers-1e6.json", 4, "10**6 identity layers (70 MB, generated into a temporary folder): more "
                            "than the default --max-memory to parse (and --max-layers), refused before "
                            "any layer is read",
      commit=False)
def _(folder):
    cert = golden(SMALL)
    cert["network"]["layers"][1:1] = ["PLACEHOLDER"]
    layer = canonical(_identity_layers(1)[0])
    data = replace_once(dump(rehash(cert)), b'"PLACEHOLDER"', b",".join([layer] * (10 ** 6 - 2)))
    path = folder / "layers-1e6.json"
    path.write_bytes(data)
    return path


@case("json-int-5000-digits.json", 2, "dataset.n written as a 5000-digit JSON number: refused on its "
                                      "length, never converted (int() would hit CPython's 4300-digit limit)")
def _():
    return replace_once(golden_bytes(SMALL), b'"n":5,', b'"n":' + b"9" * 5000 + b",")


@case("json-deeply-nested.json", 2, "info holds a list nested 20000 deep: JSON nested too deeply")
def _():
    cert = golden(SMALL)
    cert["info"]["deep"] = "PLACEHOLDER"
    return replace_once(dump(rehash(cert)), b'"PLACEHOLDER"', b"[" * 20000 + b"]" * 20000)


# -- dataset files and stale hashes -------------------------------------------------------------

def _file_mode(cert, name):
    """Move the inline dataset to a sibling file; returns its bytes."""
    ds = cert["dataset"]
    body = ds.pop("inline")
    ds["file"] = name
    return canonical(body)


@case("dataset-file-symlink.json", 5, "dataset.file is a symbolic link to a valid dataset outside the "
                                      "certificate's folder (made by the test): not followed without "
                                      "--allow-dataset-symlink", commit=False)
def _(folder):
    cert = golden(SMALL)
    body = _file_mode(cert, "dataset-file-symlink.data")
    (folder / "elsewhere").mkdir()
    (folder / "elsewhere" / "real.data").write_bytes(body)
    (folder / "dataset-file-symlink.data").symlink_to(folder / "elsewhere" / "real.data")
    path = folder / "dataset-file-symlink.json"
    path.write_bytes(dump(rehash(cert)))
    return path


@case("dataset-file-stale.json", 1, "sibling dataset file with point 2 changed to 85/4096; dataset.sha256 "
                                    "left stale")
def _():
    cert = golden(SMALL)
    body = json.loads(_file_mode(cert, "dataset-file-stale.data"))
    body["points"][2] = ["85/4096"]
    return {"dataset-file-stale.json": dump(rehash(cert)), "dataset-file-stale.data": canonical(body)}


@case("dataset-file-cert-stale.json", 1, "dataset moved to a valid sibling file but certificate_sha256 "
                                         "left as it was for the inline form")
def _():
    cert = golden(SMALL)
    body = _file_mode(cert, "dataset-file-cert-stale.data")
    return {"dataset-file-cert-stale.json": dump(cert), "dataset-file-cert-stale.data": body}


@case("dataset-file-noncanonical.json", 2, "sibling dataset file ends with a newline (not its canonical "
                                           "bytes; dataset.sha256 covers the newline)")
def _():
    cert = golden(SMALL)
    body = _file_mode(cert, "dataset-file-noncanonical.data") + b"\n"
    cert["dataset"]["sha256"] = hashlib.sha256(body).hexdigest()
    return {"dataset-file-noncanonical.json": dump(rehash(cert, dataset=False)),
            "dataset-file-noncanonical.data": body}


@case("sha256-stale-info.json", 1, "info.T changed (an UNCHECKED field): only the stale certificate_sha256 "
                                   "catches it")
def _():
    cert = golden(SMALL)
    cert["info"]["T"] = 1
    return dump(cert)


@case("sha256-stale-labels.json", 1, "label of point 4 changed, dataset.sha256 stale, certificate_sha256 "
                                     "recomputed: dataset sha256 mismatch")
def _():
    cert = golden(SMALL)
    cert["dataset"]["inline"]["labels"][4] = ["-3/8"]
    return dump(rehash(cert, dataset=False))


@case("sha256-uppercase.json", 2, "certificate_sha256 written in uppercase hex")
def _():
    cert = golden(SMALL)
    cert["certificate_sha256"] = cert["certificate_sha256"].upper()
    return dump(cert)


@case("dataset-sha256-short.json", 2, "dataset.sha256 with 63 hex digits (rehashed)")
def _():
    cert = golden(SMALL)
    cert["dataset"]["sha256"] = cert["dataset"]["sha256"][:-1]
    return dump(rehash(cert, dataset=False))


# -- theorem binding (checker 1.2, section 22): the claims must be the theorem's statement -------
#
# Every case re-seals the certificate (lhs/rhs recomputed where a statement changes, both digests
# recomputed), so only the theorem table or the claim grammar can catch it.

THM33 = "ysj19-thm3.3-knot-n10-d1.json"          # 2-layer knot network, format 1.2, a segment


@case("theorem-claims-removed.json", 1, "every claim of the zhang17 golden removed (rehashed): the theorem's "
                                        "required claims are missing")
def _():
    cert = golden(SMALL)
    cert["claims"] = []
    return dump(rehash(cert))


@case("theorem-id-swapped.json", 1, "construction.id zhang17 -> ysj19-thm3.1 with zhang17's claims "
                                    "(rehashed): not Theorem 3.1's statement")
def _():
    cert = golden(SMALL)
    assert cert["construction"]["id"] == "zhang17"
    cert["construction"]["id"] = "ysj19-thm3.1"
    return dump(rehash(cert))


@case("theorem-statement-weakened.json", 1, "claim hidden-nodes 'd1 <= N' replaced by the true 'N >= 0' "
                                            "under the same id, lhs 5 and rhs 0 recomputed (rehashed)")
def _():
    cert = golden(SMALL)
    c = claim(cert, "hidden-nodes")
    assert c["statement"] == "d1 <= N"
    c["statement"], c["lhs"], c["rhs"] = "N >= 0", "5", "0"
    return dump(rehash(cert))


@case("theorem-extra-claim.json", 1, "an extra true-but-weaker claim weak-hidden-nodes 'N >= 0' citing "
                                     "Zhang et al. Thm 1 (rehashed): not part of the theorem")
def _():
    cert = golden(SMALL)
    cert["claims"].append({"id": "weak-hidden-nodes", "statement": "N >= 0", "lhs": "5", "rhs": "0",
                           "source": "Zhang et al. 2017, Thm 1: N hidden ReLUs suffice"})
    return dump(rehash(cert))


@case("theorem-claim-id-renamed.json", 1, "required claim id hidden-nodes renamed hidden-neurons, statement "
                                          "unchanged (rehashed): the theorem's claim is missing")
def _():
    cert = golden(SMALL)
    claim(cert, "hidden-nodes")["id"] = "hidden-neurons"
    return dump(rehash(cert))


WHITESPACE = {"newline": "\n", "tab": "\t", "ideographic-space": "\u3000"}


def _whitespace_case(ws):
    @case(f"claim-whitespace-{ws}.json", 2, f"claim hidden-nodes 'd1 <= N' with its second space replaced "
                                            f"by U+{ord(WHITESPACE[ws]):04X} ({ws}; rehashed): only U+0020 "
                                            f"separates tokens")
    def _():
        cert = golden(SMALL)
        c = claim(cert, "hidden-nodes")
        c["statement"] = "d1 <=" + WHITESPACE[ws] + "N"
        return dump(rehash(cert))


for _ws in WHITESPACE:
    _whitespace_case(_ws)


@case("thm33-lemma-hypothesis-missing.json", 1, "ysj19-thm3.3 knot golden without its lemma-hypothesis "
                                                "claim (rehashed): the theorem requires it")
def _():
    cert = golden(THM33)
    claim(cert, "lemma-hypothesis")
    cert["claims"] = [c for c in cert["claims"] if c["id"] != "lemma-hypothesis"]
    return dump(rehash(cert))


def rat(tok):
    num, _, den = tok.partition("/")
    return Fraction(dec_int(num), dec_int(den) if den else 1)


def enc_rat(q):
    q = Fraction(q)
    return enc_int(q.numerator) if q.denominator == 1 else f"{enc_int(q.numerator)}/{enc_int(q.denominator)}"


def forward(network, x):
    """Exact output of a network of plain layers at x (Fractions), written from section 10."""
    a = list(x)
    for layer in network["layers"]:
        rows, bias = rational_layer(layer)
        z = [sum((w * v for w, v in zip(r, a)), Fraction(0)) + b for r, b in zip(rows, bias)]
        if layer["activation"] == "relu":
            z = [max(v, Fraction(0)) for v in z]
        elif layer["activation"] == "hardtanh":
            z = [min(Fraction(1), max(Fraction(-1), v)) for v in z]
        a = z
    return a


def encode_layer(activation, rows, bias):
    enc = [encode_neuron(list(r), b) for r, b in zip(rows, bias)]
    return {"activation": activation, "weights": [e[0] for e in enc], "bias": [e[1] for e in enc],
            "dens": [e[2] for e in enc]}


def sizes_of(network, d):
    """The nine sizes of a network of plain layers, from section 12."""
    widths, layer_bits, numbits, nonzero, dense, n_in = [], [], 0, 0, 0, d
    for layer in network["layers"]:
        rows, bias = rational_layer(layer)
        dense += (n_in + 1) * len(bias)
        params = [v for r in rows for v in r] + bias
        nonzero += sum(1 for v in params if v)
        layer_bits.append(max(abs(v.numerator).bit_length() + v.denominator.bit_length() for v in params))
        numbits = max([numbits] + [abs(v.numerator).bit_length() for v in params])
        widths.append(len(bias))
        n_in = len(bias)
    widths.pop()
    return {"depth": len(layer_bits), "width": max(widths, default=0), "widths": widths,
            "hidden_neurons": sum(widths), "params_dense": dense, "params_nonzero": nonzero,
            "bit_complexity": max(layer_bits), "max_numerator_bits": numbits, "layer_bits": layer_bits}


def knot_not_alternating(construction_id="ysj19-thm3.3"):
    """The knot golden with one label changed so that three consecutive labels along the segment
    increase (-1, 1/2, 1): not alternating, yet every slope between consecutive points still differs,
    so the refitted knot network (same hidden layer, output weights solved here) memorizes the new
    labels with N - 1 pieces on the segment.  Only alternating_on_segment changes (1 -> 0): its claim
    records lhs 0, so it is false, and every other claim, size and output is recomputed and true."""
    cert = golden(THM33)
    cert["construction"]["id"] = construction_id
    inline = cert["dataset"]["inline"]
    xs = [rat(p[0]) for p in inline["points"]]
    order = sorted(range(len(xs)), key=xs.__getitem__)
    labels = [rat(y[0]) for y in inline["labels"]]
    assert [labels[i] for i in order] == [(-1) ** (k + 1) for k in range(len(xs))]
    labels[order[1]] = Fraction(1, 2)              # sorted labels -1, 1/2, 1, -1, 1, ...
    labels[order[2]] = Fraction(1)
    p = [xs[i] for i in order]
    y = [labels[i] for i in order]
    slopes = [(y[k + 1] - y[k]) / (p[k + 1] - p[k]) for k in range(len(p) - 1)]
    assert all(a != b for a, b in zip(slopes, slopes[1:]))
    # Hidden neuron 0 is relu(x - p_0 + 1) (linear on the data), neuron k + 1 is relu(x - p_k).
    hidden = cert["network"]["layers"][0]
    rows, bias = rational_layer(hidden)
    assert [r[0] for r in rows] == [1] * len(rows) and bias[0] == 1 - p[0]
    assert bias[1:] == [-v for v in p[:-1]]
    coef = [y[0], slopes[0] - y[0]] + [slopes[k] - slopes[k - 1] for k in range(1, len(p) - 1)]
    cert["network"]["layers"][1] = encode_layer("identity", [coef], [Fraction(0)])
    for i, v in enumerate(labels):
        assert forward(cert["network"], [xs[i]]) == [v]
    inline["labels"] = [[enc_rat(v)] for v in labels]
    cert["outputs"] = [[enc_rat(v)] for v in labels]
    cert["sizes"] = sizes_of(cert["network"], 1)
    claim(cert, "lemma-hypothesis")["lhs"] = "0"   # alternating_on_segment is now 0
    cert["info"]["witness_labels"] = "(-1)^k along the line, but the 2nd and 3rd points relabelled 1/2 and 1"
    return dump(rehash(cert))


@case("thm33-labels-not-alternating.json", 1, "ysj19-thm3.3 knot golden with two labels changed (-1, 1/2, 1 "
                                              "along the segment: not alternating) and the network refitted: "
                                              "memorized, every other claim true; lemma-hypothesis records 0 == 1")
def _():
    return knot_not_alternating()


# -- precision suffice certificates (exactmem precision, construction rounded:ID) ----------------

PRECISION_K = 16                                  # the grid of the genuine suffice certificate below


def round_fixed(q, k):
    """q rounded to the nearest multiple of 2^-k, ties to even (Python's round)."""
    scale = Fraction(2) ** k
    return Fraction(round(q * scale)) / scale


def round_network(network, k):
    layers = []
    for layer in network["layers"]:
        rows, bias = rational_layer(layer)
        layers.append(encode_layer(layer["activation"], [[round_fixed(w, k) for w in r] for r in rows],
                                   [round_fixed(b, k) for b in bias]))
    return {"input_dim": network["input_dim"], "layers": layers}


def grid_bits(network):
    """Section 21 for dyadic parameters: the least k putting every nonzero one on 2^-k Z."""
    ks = []
    for layer in network["layers"]:
        rows, bias = rational_layer(layer)
        for v in [w for r in rows for w in r] + bias:
            if v:
                num, den = abs(v.numerator), v.denominator
                assert den & (den - 1) == 0
                ks.append(den.bit_length() - 1 - ((num & -num).bit_length() - 1))
    return max(ks, default=0)


def suffice_certificate(k=PRECISION_K, claim_k=None):
    """A genuine "k bits suffice" certificate in exactmem precision's "relabelled" mode, built here:
    zhang17-n5-d1's network with every weight and bias rounded to 2^-k, on the same points, labelled
    with its own exact outputs; claims: the three zhang17 ones that still hold, precision-dyadic and
    precision-grid (claim_k, default k, stated; the recomputed grid_bits recorded as lhs)."""
    cert = golden(SMALL)
    inline = cert["dataset"]["inline"]
    net = round_network(cert["network"], k)
    g = grid_bits(net)
    assert g == k, (g, k)
    outs = [[enc_rat(v) for v in forward(net, [rat(t) for t in x])] for x in inline["points"]]
    cert["version"] = "1.2"
    cert["network"], cert["outputs"], inline["labels"] = net, outs, outs
    cert["sizes"] = sizes_of(net, 1)
    claim_k = k if claim_k is None else claim_k
    keep = [c for c in cert["claims"] if c["id"] in ("assumption-distinct", "depth", "relu")]
    cert["claims"] = keep + [
        {"id": "precision-dyadic", "statement": "dyadic_weights == 1", "lhs": "1", "rhs": "1",
         "source": "precision: every weight and bias of the rounded network is dyadic"},
        {"id": "precision-grid", "statement": f"grid_bits <= {claim_k}", "lhs": str(g), "rhs": str(claim_k),
         "source": f"precision: every weight and bias of the rounded network is a multiple of 2^-{claim_k}"}]
    rounding = {"kind": "fixed", "k": claim_k,
                "rule": "every weight and bias to the nearest multiple of 2^-k, ties to even"}
    src = cert["construction"]
    cert["construction"] = {"id": "rounded:zhang17", "paper": src["paper"], "params": {
        "mode": "relabelled", "rounding": rounding, "source_certificate_sha256": golden(SMALL)["certificate_sha256"]},
        "theorem": f"{src['theorem']}; every weight and bias rounded to grid 2^-{claim_k}"}
    cert["recipe"] = {"rounding": rounding, "source_certificate_sha256": golden(SMALL)["certificate_sha256"],
                      "tool": "exactmem precision"}
    cert["info"] = {"precision": {"mode": "relabelled", "rounding": rounding,
                                  "note": "built by certificates/negative/make_negatives.py"}}
    return cert


@case("precision-grid-relabelled.json", 1, f"genuine rounded:zhang17 suffice certificate (grid 2^-"
                                           f"{PRECISION_K}) relabelled k = {PRECISION_K - 4} everywhere, claim "
                                           f"rhs and hashes re-sealed: the recomputed grid_bits "
                                           f"{PRECISION_K} exceeds it")
def _():
    return dump(rehash(suffice_certificate(claim_k=PRECISION_K - 4)))


@case("precision-dyadic-removed.json", 1, "genuine rounded:zhang17 suffice certificate without its "
                                          "precision-dyadic claim (rehashed): the precision statement requires it")
def _():
    cert = suffice_certificate()
    cert["claims"] = [c for c in cert["claims"] if c["id"] != "precision-dyadic"]
    return dump(rehash(cert))


# -- precision witnesses (check.py --witness W --against CERT) -----------------------------------
#
# The genuine witness: zhang17-n12-d2-classes3's network rounded to the grid 2^-8 (computed here)
# misclassifies point 4 (label 2).  Each case changes one thing and re-seals witness_sha256; the
# flags name the certificate it is checked against (paths under certificates/, see the top).

WITNESS_SOURCE = "zhang17-n12-d2-classes3.json"
WITNESS_K = 8
WITNESS_FLAGS = f"--witness --against golden/{WITNESS_SOURCE}"


def witness_seal(w):
    w["witness_sha256"] = hashlib.sha256(canonical({k: v for k, v in w.items() if k != "witness_sha256"})).hexdigest()
    return w


def genuine_witness(k=WITNESS_K):
    """The witness exactmem precision writes for "rounding to 2^-k fails", built here: the first
    point (in dataset order) where the rounded network breaks |F(x) - c| < 1/2."""
    cert = golden(WITNESS_SOURCE)
    inline = cert["dataset"]["inline"]
    net = round_network(cert["network"], k)
    for i, (x, c) in enumerate(zip(inline["points"], inline["labels"])):
        out = forward(net, [rat(t) for t in x])
        if not abs(out[0] - c) < Fraction(1, 2):
            break
    else:
        raise AssertionError(f"rounding to 2^-{k} meets the rule everywhere")
    return witness_seal({
        "format": "exactmem-precision-witness", "version": "1.0", "claim": "rounding-fails",
        "rounding": {"kind": "fixed", "k": k}, "decision": {"task": "classification", "label": c},
        "point_index": i, "point": x, "output": [enc_rat(v) for v in out],
        "original_network": cert["network"], "network": net,
        "source": {"certificate_sha256": cert["certificate_sha256"], "dataset_sha256": cert["dataset"]["sha256"],
                   "construction": cert["construction"]["id"]}})


def _witness_case(name, reason, mutate, code=1, flags=WITNESS_FLAGS):
    @case(name, code, reason, flags)
    def _():
        w = genuine_witness()
        mutate(w)
        return dump(witness_seal(w))


def _move_point(w):
    w["point"][0] = enc_rat(rat(w["point"][0]) + Fraction(1, 1024))


def _set(path, value):
    def mutate(w):
        *keys, last = path
        obj = w
        for key in keys:
            obj = obj[key]
        obj[last] = value
    return mutate


_witness_case("witness-point-moved.json", "genuine witness with the point's first coordinate moved by 1/1024 "
              "(re-sealed): not the certificate's point", _move_point)
_witness_case("witness-label-changed.json", "genuine witness with the class label 2 -> 3, still in 1..3 "
              "(re-sealed): not the certificate's label", _set(("decision", "label"), 3))
_witness_case("witness-label-zero.json", "genuine witness with the class label 0 (re-sealed): a class label "
              "is in 1..C", _set(("decision", "label"), 0))
_witness_case("witness-original-network-swapped.json", "genuine witness whose original_network is another "
              "golden's network (ysj19-cor4.2-relu-n16-d2; re-sealed): not the certificate's network",
              lambda w: w.__setitem__("original_network",
                                      golden("ysj19-cor4.2-relu-n16-d2-gpfull-perturbed.json")["network"]))
_witness_case("witness-source-digest-changed.json", "genuine witness whose source.certificate_sha256 is another "
              "golden's digest (re-sealed)",
              _set(("source", "certificate_sha256"), golden("zhang17-n5-d1.json")["certificate_sha256"]))
_witness_case("witness-source-dataset-digest-changed.json", "genuine witness whose source.dataset_sha256 is "
              "another golden's (re-sealed)",
              _set(("source", "dataset_sha256"), golden("zhang17-n5-d1.json")["dataset"]["sha256"]))
_witness_case("witness-source-construction-changed.json", "genuine witness whose source.construction says "
              "ysj19-thm3.1 (re-sealed)", _set(("source", "construction"), "ysj19-thm3.1"))
_witness_case("witness-rounding-relabelled.json", f"genuine witness relabelled k = {WITNESS_K} -> "
              f"{WITNESS_K - 1} (re-sealed): its network is not the original rounded to 2^-{WITNESS_K - 1}",
              _set(("rounding", "k"), WITNESS_K - 1))
_witness_case("witness-against-other-certificate.json", "the genuine witness, checked --against another "
              "VERIFIED certificate (zhang17-n5-d1)", lambda w: None,
              flags="--witness --against golden/zhang17-n5-d1.json")
_witness_case("witness-without-against.json", "the genuine witness with --witness but no --against: usage",
              lambda w: None, code=5, flags="--witness")


def controls():
    """Positive controls, not committed: {name: (bytes, flags)} that check.py must VERIFY, one change
    away from the cases above (the genuine witness and suffice certificate, and the refitted knot
    network under an id outside the theorem table, where every claim but the lemma's holds)."""
    knot = json.loads(knot_not_alternating("my-own"))
    knot["claims"] = [c for c in knot["claims"] if c["id"] != "lemma-hypothesis"]
    return {"witness-genuine.json": (dump(genuine_witness()), WITNESS_FLAGS),
            "precision-suffice-genuine.json": (dump(rehash(suffice_certificate())), ""),
            "thm33-not-alternating-unknown-id.json": (dump(rehash(knot)), "")}


# ---------------------------------------------------------------------------------------------

def expected_text():
    lines = ["# Negative corpus for certificates/check.py; generated by make_negatives.py, do not edit.",
             "# FILE<TAB>EXIT_CODE<TAB>REASON[<TAB>CHECKER_FLAGS]",
             "# exit codes: 0 VERIFIED, 1 REJECTED, 2 MALFORMED, 3 UNSUPPORTED, 4 RESOURCE, 5 USAGE/IO"]
    for name, code, reason, flags, _ in CASES:
        assert "\t" not in reason and "\n" not in reason
        lines.append("\t".join([name, str(code), reason] + ([flags] if flags else [])))
    return ("\n".join(lines) + "\n").encode()


def generate():
    """{file name: bytes} for the committed corpus (sibling dataset files and EXPECTED.txt included)."""
    assert len({c[0] for c in CASES}) == len(CASES), "duplicate case name"
    files = {}
    for name, _, _, _, fn in CASES:
        if name in UNCOMMITTED:
            continue
        out = fn()
        out = out if isinstance(out, dict) else {name: out}
        assert name in out and not set(out) & set(files), name
        files.update(out)
    files["EXPECTED.txt"] = expected_text()
    return files


def materialize(name, folder):
    """Write an uncommitted case into folder (a pathlib.Path); returns the certificate's path."""
    (fn,) = [c[4] for c in CASES if c[0] == name and name in UNCOMMITTED]
    return fn(Path(folder))


def main(argv):
    if argv[:1] == ["--materialize"] and len(argv) == 2:
        for name in sorted(UNCOMMITTED):
            print(f"wrote {materialize(name, Path(argv[1]))}")
        return 0
    check_only = "--check" in argv
    stale = []
    for name, data in generate().items():
        path = HERE / name
        if check_only:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(name)
        else:
            path.write_bytes(data)
    present = {p.name for p in HERE.glob("*.json")}
    extra = sorted(present - set(generate()))
    if check_only:
        for name in stale + extra:
            print(f"out of date: {name}")
        return 1 if stale or extra else 0
    for name in extra:
        print(f"note: {name} is not produced by this script")
    print(f"wrote {len(CASES) - len(UNCOMMITTED)} certificates and EXPECTED.txt to {HERE} "
          f"({len(UNCOMMITTED)} more are built by the tests: --materialize DIR)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
