#!/usr/bin/env python3
"""Regenerate the negative corpus: small, hand-made bad certificates for certificates/check.py.

Every case starts from a golden certificate (certificates/golden/) and changes one thing.
Standard library only, deterministic: running it twice gives identical bytes.

    python3 certificates/negative/make_negatives.py           # (re)write *.json and EXPECTED.txt
    python3 certificates/negative/make_negatives.py --check   # exit 1 if the committed files differ

EXPECTED.txt has one line per file, TAB-separated:  FILE  EXIT_CODE  REASON  [CHECKER_FLAGS]
(lines starting with '#' are comments).  REASON is a one-line description of why the checker
must give EXIT_CODE; CHECKER_FLAGS, when present, are extra command-line flags the test passes.

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


@case("header-version-1.2.json", 3, "version 1.2: newer minor version than the checker reads")
def _():
    cert = golden(SMALL)
    cert["version"] = "1.2"
    return dump(rehash(cert))


@case("claim-v11-variable-in-1.0.json", 2, "a 1.0 certificate names general_position, a 1.1 variable")
def _():
    cert = golden(SMALL)
    cert["claims"].append({"id": "general-position", "statement": "general_position == 1", "lhs": "1",
                           "rhs": "1", "source": "YSJ19 Assumption 4.1"})
    return dump(rehash(cert))


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


@case("claim-power.json", 2, "claim statement uses ** (only + - * // are allowed)")
def _():
    cert = golden(SMALL)
    c = claim(cert, "depth")
    c["statement"] = "depth ** 1 == 2"
    return dump(rehash(cert))


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


# -- network shape (issue 8) -------------------------------------------------------------------

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


@case("limit-work.json", 4, "N * params_dense = 5 * 16 = 80 multiply-adds with --max-work 79 (and a "
                            "wrong output that is never reached)", "--max-work 79")
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
                            "than the default --max-layers, refused before any layer is read",
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
