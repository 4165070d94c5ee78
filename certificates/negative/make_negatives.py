#!/usr/bin/env python3
"""Regenerate the negative corpus: small, hand-made bad certificates for certificates/check.py.

Every case starts from a golden certificate (certificates/golden/) and changes one thing.
Standard library only, deterministic: running it twice gives identical bytes.

    python3 certificates/negative/make_negatives.py           # (re)write *.json and EXPECTED.txt
    python3 certificates/negative/make_negatives.py --check   # exit 1 if the committed files differ

EXPECTED.txt has one line per file, TAB-separated:  FILE  EXIT_CODE  REASON  [CHECKER_FLAGS]
(lines starting with '#' are comments).  REASON is a one-line description of why the checker
must give EXIT_CODE; CHECKER_FLAGS, when present, are extra command-line flags the test passes.

Where only a semantic field changes, the dataset sha256 and the certificate_sha256 are
recomputed ("rehashed") unless the case is about a stale hash: then the semantic check,
not the hash, is what must reject.
"""

import hashlib
import json
import sys
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
# Cases: (file name, expected exit code, reason, flags, builder -> bytes)

CASES = []


def case(name, code, reason, flags=""):
    def register(fn):
        CASES.append((name, code, reason, flags, fn))
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


@case("header-version-1.1.json", 3, "version 1.1: newer minor version than the checker reads")
def _():
    cert = golden(SMALL)
    cert["version"] = "1.1"
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
    """{file name: bytes} for the whole corpus, EXPECTED.txt included."""
    files = {name: fn() for name, _, _, _, fn in CASES}
    assert len(files) == len(CASES), "duplicate case name"
    files["EXPECTED.txt"] = expected_text()
    return files


def main(argv):
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
    print(f"wrote {len(CASES)} certificates and EXPECTED.txt to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
