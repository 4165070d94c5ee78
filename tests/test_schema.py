"""docs/certificate-v1.schema.json against the golden certificates and against certificates/check.py.

The schema is documentation plus this test: the stdlib checker cannot use jsonschema, so we check
that (a) every golden certificate is valid, (b) the INT/RAT token patterns accept exactly what the
checker's number parser accepts, and (c) a mutation the schema rejects structurally is rejected by
the checker as MALFORMED (exit 2).  Known disagreements are strict xfails naming the checker issue.
Self-contained; needs the ``jsonschema`` test dependency.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "docs" / "certificate-v1.schema.json"
CHECKER = ROOT / "certificates" / "check.py"
GOLDEN = sorted((ROOT / "certificates" / "golden").glob("*.json"))
SMALL = "zhang17-n5-d1.json"                       # regression, d = dy = 1
CLASSIFY = "zhang17-n12-d2-classes3.json"          # classification, 3 classes
RAW = "@@raw@@"                                    # placeholder replaced in the bytes

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def golden(name: str) -> dict:
    return json.loads((ROOT / "certificates" / "golden" / name).read_text(encoding="utf-8"))


def rehash(cert: dict) -> dict:
    """Recompute both digests so that a mutation is judged on its structure, not on a hash."""
    ds = cert.get("dataset")
    if isinstance(ds, dict) and "inline" in ds and "sha256" in ds:
        ds["sha256"] = sha(canonical(ds["inline"]))
    if "certificate_sha256" in cert:
        cert["certificate_sha256"] = sha(canonical({k: v for k, v in cert.items() if k != "certificate_sha256"}))
    return cert


def schema_errors(instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:120]}"
            for e in VALIDATOR.iter_errors(instance)]


def run_checker(tmp_path: Path, data: bytes) -> tuple[int, str]:
    path = tmp_path / "cert.json"
    path.write_bytes(data)
    proc = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), "-q", str(path)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    lines = proc.stdout.splitlines()
    return proc.returncode, lines[-1] if lines else ""


def load_checker_module():
    spec = importlib.util.spec_from_file_location("exactmem_check_for_schema_test", CHECKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------
# The schema itself and the golden certificates

def test_schema_is_a_2020_12_schema_with_the_format_id():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"] == "https://exactmem.invalid/schema/certificate-1.json"


def test_there_are_golden_certificates():
    assert len(GOLDEN) >= 2 and any(p.name == SMALL for p in GOLDEN) and any(p.name == CLASSIFY for p in GOLDEN)


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_golden_certificate_is_schema_valid_and_canonical(path):
    raw = path.read_bytes()
    cert = json.loads(raw)
    assert schema_errors(cert) == []
    assert cert["$schema"] == SCHEMA["$id"]
    assert raw == canonical(cert) + b"\n", "a certificate file is its canonical JSON plus one newline"


# ---------------------------------------------------------------------------------------------
# Token patterns == the checker's number parser

def _tokens():
    values = [0, 1, 2, 9, 10, 99, 2**52, 2**53 - 2, 2**53 - 1, 2**53, 2**53 + 1, 10**15 - 1, 10**15,
              10**16, 9007199254740990, 9007199254740999, 9007199254741000, 2**64, 3**80]
    values += [-v for v in values]
    out = set()
    for v in values:
        a = abs(v)
        sign = "-" if v < 0 else ""
        out |= {str(v), sign + hex(a), sign + "0x" + format(a, "X"), sign + "+" + str(a), sign + "0" + str(a),
                sign + str(a) + ".0", sign + " " + str(a), sign + str(a) + "e0"}
    out |= {"", "-", "0x", "-0", "-0x0", "0x0", "00", "1_000", "٣", "0b1", "x", "--1"}
    return sorted(out)


def test_int_and_rat_patterns_accept_exactly_what_the_checker_accepts():
    load_checker_module()              # puts certificates/ on sys.path for its own files
    import check_base as chk
    budget = chk.Budget()
    INT, POSINT, RAT = (re.compile(SCHEMA["$defs"][k]["pattern"]) for k in ("INT", "POSINT", "RAT"))

    def accepts(fn, token):
        try:
            return fn(token, "test", budget)
        except chk.Verdict as v:
            assert v.code == 2, (token, v.message)
            return None

    toks = _tokens()
    for t in toks:
        value = accepts(chk.to_int, t)
        assert bool(INT.search(t)) == (value is not None), t
        assert bool(POSINT.search(t)) == (value is not None and value >= 1), t
    nums = [t for t in toks if INT.search(t)]
    dens = nums[::3] + ["2", "3", "4", "1", "0", "-2"]
    for p in nums[::2]:
        for q in dens:
            t = f"{p}/{q}"
            parsed = accepts(chk.to_rat, t)
            qv = chk.to_int(q, "q", budget)
            if qv > 1 and math.gcd(chk.to_int(p, "p", budget), qv) != 1:
                continue                     # lowest terms: the checker's job, beyond a pattern
            assert bool(RAT.search(t)) == (parsed is not None), t
    for t in toks:
        assert bool(RAT.search(t)) == (accepts(chk.to_rat, t) is not None), t


# ---------------------------------------------------------------------------------------------
# Versions 1.0 to 1.4 and the optional segment

THM33 = "ysj19-thm3.3-knot-n10-d1.json"             # format 1.2, with a segment


@pytest.mark.parametrize("version,segment,valid,code", [
    ("1.0", False, True, 0), ("1.1", False, True, 0), ("1.2", False, True, 0),
    ("1.0", True, False, 2), ("1.1", True, True, 0), ("1.2", True, True, 0),
    ("1.3", False, True, 0), ("1.3", True, True, 0), ("1.4", False, True, 0), ("1.4", True, True, 0),
    ("1.5", False, False, 3), ("1.5", True, False, 3)])
def test_versions_and_the_optional_segment(tmp_path, version, segment, valid, code):
    """The schema accepts versions 1.0 to 1.4, and a segment only from 1.1 on (formats 1.2 to
    1.4 add no required field); the checker agrees: a segment in 1.0 is an unknown field
    (MALFORMED), and 1.5 is a newer minor version (UNSUPPORTED, exit 3, where the schema simply
    does not apply).
    Checked on zhang17-n5-d1 (no claim needs a 1.1 or 1.2 variable) with a segment added."""
    cert = golden(SMALL)
    cert["version"] = version
    if segment:
        cert["segment"] = {"from": ["-1"], "to": ["1"]}
    rehash(cert)
    assert (schema_errors(cert) == []) == valid
    got, verdict = run_checker(tmp_path, canonical(cert) + b"\n")
    assert got == code, verdict
    if code == 2:
        assert "unknown fields ['segment']" in verdict, verdict
    if code == 3:
        assert verdict.startswith("s UNSUPPORTED certificate version 1.5"), verdict


def test_a_12_segment_is_checked_like_a_11_one():
    """The 1.2 golden's segment: valid; with a float coordinate or an extra field, invalid."""
    cert = golden(THM33)
    assert cert["version"] == "1.2" and schema_errors(cert) == []
    for bad in ({"from": cert["segment"]["from"], "to": [0.5]},
                dict(cert["segment"], extra="1"), {"from": cert["segment"]["from"]}):
        assert schema_errors(dict(cert, segment=bad)), bad


# ---------------------------------------------------------------------------------------------
# Mutations: schema rejects structurally  =>  check.py says MALFORMED (exit 2)

def _set(path, value):
    def mutate(c):
        obj = c
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1]] = value
    return mutate


def _after_hash(mutate):
    """Apply this mutation after the digests are recomputed (for mutations of a digest field)."""
    mutate.after_hash = True
    return mutate


def _delete(path):
    def mutate(c):
        obj = c
        for key in path[:-1]:
            obj = obj[key]
        del obj[path[-1]]
    return mutate


def _upper_dataset_sha(c):
    c["dataset"]["sha256"] = c["dataset"]["sha256"].upper()
    c["certificate_sha256"] = sha(canonical({k: v for k, v in c.items() if k != "certificate_sha256"}))


def _to_file(name):
    """Replace the inline body by a (never written) sibling file called ``name``."""
    def mutate(c):
        del c["dataset"]["inline"]
        c["dataset"]["file"] = name
    return mutate


LAYER1 = ("network", "layers", 0)
BODY = ("dataset", "inline")

# (id, golden, mutation, raw): raw is JSON text that replaces the RAW placeholder in the bytes
# (for what json.dumps cannot write), or the whole file when there is no mutation.
MUTATIONS = [
    ("unknown-top-level", SMALL, _set(("comment",), "x"), None),
    ("unknown-generator", SMALL, _set(("generator", "url"), "x"), None),
    ("unknown-construction", SMALL, _set(("construction", "year"), 2017), None),
    ("unknown-dataset", SMALL, _set(("dataset", "name"), "x"), None),
    ("unknown-body", SMALL, _set(BODY + ("weights",), None), None),
    ("unknown-network", SMALL, _set(("network", "residual"), False), None),
    ("unknown-layer", SMALL, _set(LAYER1 + ("kind",), "dense"), None),
    ("unknown-sizes", SMALL, _set(("sizes", "params"), 16), None),
    ("unknown-claim", SMALL, _set(("claims", 0, "note"), "x"), None),
    ("missing-sizes", SMALL, _delete(("sizes",)), None),
    ("missing-info", SMALL, _delete(("info",)), None),
    ("missing-claim-source", SMALL, _delete(("claims", 1, "source")), None),
    ("missing-layer-bias", SMALL, _delete(LAYER1 + ("bias",)), None),
    ("missing-dataset-n", SMALL, _delete(("dataset", "n")), None),
    ("missing-body-labels", SMALL, _delete(BODY + ("labels",)), None),
    ("dataset-inline-and-file", SMALL, _set(("dataset", "file"), "data.json"), None),
    ("dataset-neither", SMALL, _delete(BODY), None),
    ("dataset-file-with-folder", SMALL, _to_file("../data.json"), None),
    ("dataset-file-dotdot", SMALL, _to_file(".."), None),
    ("float-in-info", SMALL, _set(("info", "ratio"), RAW), "0.5"),
    ("float-dataset-n", SMALL, _set(("dataset", "n"), RAW), "5.5"),
    ("exponent-in-recipe", SMALL, _set(("recipe", "seed"), RAW), "1e-3"),
    ("nan-in-info", SMALL, _set(("info", "T"), RAW), "NaN"),
    ("json-int-16-digits", SMALL, _set(("info", "T"), 10**15), None),
    ("weight-json-number", SMALL, _set(LAYER1 + ("weights", 0, 0), 65536), None),
    ("count-as-string", SMALL, _set(("network", "input_dim"), "1"), None),
    ("count-zero", SMALL, _set(("dataset", "dy"), 0), None),
    ("count-bool", SMALL, _set(("dataset", "n"), True), None),
]
for i, bad in enumerate(["+114529", "0114529", "114529.0", " 114529", "1.14529e5", "0x1bf61", "-0",
                         "9007199254740992", "0x2000000000000A", "0X20000000000000", "1_14529"]):
    MUTATIONS.append((f"bad-INT-{i}-{bad.strip()}", SMALL, _set(LAYER1 + ("bias", 0), bad), None))
for i, bad in enumerate(["51/1", "51/0", "51/-64", "0/64", "51/64/1", "51 /64", "+51/64", "51/0x40"]):
    MUTATIONS.append((f"bad-RAT-{i}-{bad}", SMALL, _set(("outputs", 0, 0), bad), None))
MUTATIONS += [
    ("bad-point-token", SMALL, _set(BODY + ("points", 0, 0), "-0.4625"), None),
    ("den-zero", SMALL, _set(LAYER1 + ("dens", 0), "0"), None),
    ("den-negative", SMALL, _set(LAYER1 + ("dens", 0), "-65536"), None),
    ("activation-unknown", SMALL, _set(LAYER1 + ("activation",), "tanh"), None),
    ("no-layers", SMALL, _set(("network", "layers"), []), None),
    ("empty-layer", SMALL, lambda c: c["network"]["layers"][0].update(dens=[], weights=[], bias=[]), None),
    ("task-unknown", SMALL, _set(BODY + ("task",), "ranking"), None),
    ("regression-with-classes", SMALL, _set(BODY + ("classes",), 3), None),
    ("classification-without-classes", CLASSIFY, _set(BODY + ("classes",), None), None),
    ("format-wrong", SMALL, _set(("format",), "exactmem-cert"), None),
    ("version-grammar", SMALL, _set(("version",), "1.00"), None),
    ("schema-id-wrong", SMALL, _set(("$schema",), "https://exactmem.invalid/schema/certificate-1.0.json"), None),
    ("cert-sha-uppercase", SMALL,
     _after_hash(lambda c: c.update(certificate_sha256=c["certificate_sha256"].upper())), None),
    ("recipe-not-object", SMALL, _set(("recipe",), []), None),
    ("claims-not-list", SMALL, _set(("claims",), {}), None),
    ("claim-lhs-number", SMALL, _set(("claims", 0, "lhs"), 1), None),
    ("statement-too-long", SMALL, _set(("claims", 1, "statement"), "depth == 2" + " " * 491), None),
    ("top-level-array", SMALL, None, "[]"),
]


def _build(name, mutate, raw):
    if mutate is None:
        return raw.encode()
    cert = golden(name)
    late = getattr(mutate, "after_hash", False)
    if not late:
        mutate(cert)
    rehash(cert)
    if late:
        mutate(cert)
    data = canonical(cert) + b"\n"
    if raw is not None:
        data = data.replace(json.dumps(RAW).encode(), raw.encode())
    return data


@pytest.mark.parametrize("name,mutate,raw", [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS])
def test_schema_rejection_is_checker_malformed(tmp_path, name, mutate, raw):
    data = _build(name, mutate, raw)
    assert schema_errors(json.loads(data)), "the schema should reject this mutation"
    code, verdict = run_checker(tmp_path, data)
    assert (code, verdict.split(" ")[:2]) == (2, ["s", "MALFORMED"]), verdict
    assert "internal checker error" not in verdict, verdict


def test_schema_is_structure_only(tmp_path):
    """A wrong number in a valid token passes the schema; only the checker catches it (exit 1)."""
    cert = golden(SMALL)
    cert["network"]["layers"][0]["bias"][0] = "114527"
    rehash(cert)
    assert schema_errors(cert) == []
    code, verdict = run_checker(tmp_path, canonical(cert) + b"\n")
    assert code == 1 and verdict.startswith("s REJECTED"), verdict


def test_integral_json_float_is_a_documented_schema_blind_spot(tmp_path):
    """JSON Schema's "integer" accepts 1000.0 (written 1e3); the format forbids it and check.py rejects it."""
    data = _build(SMALL, _set(("recipe", "seed"), RAW), "1e3")
    assert schema_errors(json.loads(data)) == []
    code, verdict = run_checker(tmp_path, data)
    assert code == 2 and verdict.startswith("s MALFORMED JSON float"), verdict


def test_dataset_in_a_sibling_file(tmp_path):
    """The `file` branch of the oneOf: canonical body bytes beside the certificate, same digest."""
    cert = golden(SMALL)
    body = cert["dataset"].pop("inline")
    (tmp_path / "cert.data.json").write_bytes(canonical(body))
    cert["dataset"]["file"] = "cert.data.json"
    rehash(cert)
    assert schema_errors(cert) == []
    code, verdict = run_checker(tmp_path, canonical(cert) + b"\n")
    assert code == 0, verdict
    assert verdict.split(" ")[3] == cert["dataset"]["sha256"] == sha(canonical(body))


def test_golden_certificates_verify(tmp_path):
    """The other direction on the golden set: schema-valid and VERIFIED."""
    for path in GOLDEN:
        code, verdict = run_checker(tmp_path, path.read_bytes())
        assert code == 0 and verdict.startswith("s VERIFIED "), (path.name, verdict)


# Disagreements found while writing docs/certificate-format.md, since fixed in check.py: the
# schema (and the format text) reject these, and the checker must answer MALFORMED.
KNOWN = [
    ("version-trailing-newline", SMALL, _set(("version",), "1.0\n"),
     "check.py: version regex uses '$', which matches before a final newline (VERIFIED)"),
    ("int-trailing-newline", SMALL, _set(LAYER1 + ("bias", 4), "-83\n"),
     "check.py: INT_RE uses '$' and int() strips whitespace, so '-83\\n' is read as -83 (VERIFIED)"),
    ("rat-trailing-newline", SMALL, _set(("outputs", 0, 0), "51/64\n"),
     "check.py: same '$' issue inside a RAT (VERIFIED)"),
    ("generator-name-not-string", SMALL, _set(("generator", "name"), 5),
     "check.py: generator values are not type-checked (VERIFIED)"),
    ("construction-params-not-object", SMALL, _set(("construction", "params"), 5),
     "check.py: construction.params is not required to be an object (VERIFIED)"),
    ("size-as-string", SMALL, _set(("sizes", "depth"), "2"),
     "check.py: sizes are compared with ==, a mistyped size is REJECTED (exit 1), not MALFORMED"),
    ("dataset-sha-uppercase", SMALL, _after_hash(_upper_dataset_sha),
     "check.py: dataset.sha256 has no pattern check; a bad one is a hash mismatch, REJECTED (exit 1)"),
    ("class-label-string", CLASSIFY, _set(BODY + ("labels", 0), "1"),
     "check.py: a non-integer class label is REJECTED (exit 1), not MALFORMED"),
    ("claim-with-comment", SMALL, _set(("claims", 3, "statement"), "d1 <= N # N hidden units"),
     "check.py: claims are parsed with Python's ast, which accepts comments, 0x/0o/0b/_ literals "
     "and NFKC identifiers beyond the format's grammar (VERIFIED)"),
]


@pytest.mark.parametrize("name,mutate", [pytest.param(k[1], k[2], id=k[0]) for k in KNOWN])
def test_former_disagreements_are_malformed(tmp_path, name, mutate):
    data = _build(name, mutate, None)
    assert schema_errors(json.loads(data)), "the schema should reject this mutation"
    code, verdict = run_checker(tmp_path, data)
    assert code == 2 and verdict.startswith("s MALFORMED"), verdict
