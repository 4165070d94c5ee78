"""Fuzzing the independent checker with Hypothesis: raw bytes, spliced golden certificates, and
golden certificates with random JSON values put anywhere in their structure (hashes recomputed,
so the input gets past the digests into every part of the checker).

Every outcome must be one of the documented exit codes 0..5 with its verdict line, never a
traceback and never "internal checker error"; a fuzzed certificate may only be VERIFIED if the
independent evaluator (tests/test_checker_tamper.py) finds it true.  Counts per exit code are
printed at the end of the run (tests/mutation_report.py).

CI runs FUZZ_EXAMPLES = 100 examples per test.  The long run:

    EXACTMEM_FUZZ=long pytest tests/test_checker_fuzz.py -p no:cacheprovider   # 10,000 per test

(EXACTMEM_FUZZ_EXAMPLES=N sets any other number.)
"""

import json
import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mutation_report as report
from test_checker_tamper import GOLDEN_IDS, check, dump, enc_int, goldens, rehash, truly_valid  # noqa: F401

FUZZ_EXAMPLES = int(os.environ.get("EXACTMEM_FUZZ_EXAMPLES")
                    or {"long": 10_000}.get(os.environ.get("EXACTMEM_FUZZ", ""), 100))
INT_LIKE = re.compile(r"-?(0x)?[0-9a-f]+(/-?(0x)?[0-9a-f]+)?")
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

# ---------------------------------------------------------------------------------------------
# Strategies

# Tokens that sit at the edges of the grammar (section 3 of the format) and of JSON.
EDGE_TOKENS = [b"-0", b"0x0", b"0x1", b"0X1f", b"1/0", b"0/1", b"1/-2", b"2/4", b"1e5", b"1.0", b"NaN",
               b"Infinity", b"-Infinity", b"true", b"null", b"[]", b"{}", b'""', b'"\\ud800"', b'"\\u0000"',
               b"9" * 16, b"0x" + b"f" * 40, b"[" * 50, b"]" * 50, b'"a":1', b",", b":", b'"', b"\\",
               b"\xff", b"\xc3\x28", b"\xef\xbb\xbf", b"\n", b" ", b"\t", b"\x00", b'"9007199254740992"',
               b'"0x20000000000000"', b'"-0x1"', b'"0x1f"']

int_token = st.one_of(st.integers(-(1 << 70), 1 << 70).map(enc_int),
                      st.integers(-20, 20).map(str),
                      st.sampled_from(["-0", "0x0", "0x10", "01", "+1", "1.0", " 1", "0X20000000000000", ""]))
rat_token = st.one_of(int_token, st.builds(lambda p, q: f"{p}/{q}", int_token, int_token))
leaf = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 15 + 1, 10 ** 15 - 1), int_token, rat_token,
                 st.text(max_size=12), st.sampled_from(["relu", "hardtanh", "identity", "regression",
                                                        "classification", "d1 <= N", "depth == 2", "N"]))
json_value = st.recursive(leaf, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)


def paths(obj, prefix=()):
    """Every position in a JSON value, the root excluded: tuples of keys and indices."""
    out = []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        out.append(prefix + (k,))
        out += paths(v, prefix + (k,))
    return out


PATHS = {}


def golden_paths(goldens, name):
    if name not in PATHS:
        PATHS[name] = paths(goldens[name][1])
    return PATHS[name]


def run_fuzz(check, test, data, raw=None):
    code, tail = check(data)             # asserts: exit 0..5, verdict line, no traceback/internal error
    report.fuzz(test, code)
    return code, tail


# ---------------------------------------------------------------------------------------------

@FUZZ
@given(data=st.one_of(st.binary(max_size=2048),
                      st.lists(st.sampled_from(EDGE_TOKENS), max_size=30).map(b"".join),
                      st.binary(max_size=512).map(lambda b: b'{"format":"exactmem-certificate","version":"1.0",' + b)))
def test_fuzz_raw_bytes(check, data):
    code, tail = run_fuzz(check, "raw bytes", data)
    assert code != 0, tail


@st.composite
def splices(draw, goldens):
    name = draw(st.sampled_from(GOLDEN_IDS))
    raw = goldens[name][0]
    data = raw
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(data) - 1))
        j = draw(st.integers(i + 1, min(len(data), i + 64)))
        op = draw(st.sampled_from(["replace", "insert", "delete", "duplicate", "edge"]))
        if op == "replace":
            data = data[:i] + draw(st.binary(min_size=1, max_size=8)) + data[j:]
        elif op == "insert":
            data = data[:i] + draw(st.binary(min_size=1, max_size=8)) + data[i:]
        elif op == "delete":
            data = data[:i] + data[j:]
        elif op == "duplicate":
            data = data[:j] + data[i:j] + data[j:]
        else:
            data = data[:i] + draw(st.sampled_from(EDGE_TOKENS)) + data[j:]
    return name, raw, data


@FUZZ
@given(st.data())
def test_fuzz_spliced_goldens(check, goldens, data):
    name, raw, mutated = data.draw(splices(goldens))
    code, tail = run_fuzz(check, "spliced golden bytes", mutated)
    if code == 0:                        # the digests cover every byte that means something
        assert mutated == raw, f"{name}: changed bytes verified: {tail}"


def get_at(obj, path):
    for k in path:
        obj = obj[k]
    return obj


def similar_value(old):
    """Mostly a value of the same kind (so the certificate gets past the structural checks and
    the forward pass, sizes and claims see it), sometimes any JSON value."""
    if isinstance(old, str) and INT_LIKE.fullmatch(old):
        same = st.one_of(rat_token, st.integers(-3, 3).map(lambda k, old=old: bump(old, k)))
    elif type(old) is int:
        same = st.integers(-3, 3).map(lambda k, old=old: old + k)
    elif isinstance(old, list) and old:
        same = st.sampled_from([old[:-1], old + old[-1:], old[::-1]])
    else:
        same = json_value
    return st.one_of(same, same, json_value)


def bump(token, k):
    """token (an INT or RAT) with k added to its numerator, re-encoded canonically if possible."""
    num, sep, den = token.partition("/")
    try:
        v = int(num.replace("0x", ""), 16 if "0x" in num else 10) + k
    except ValueError:
        return token
    return enc_int(v) + sep + den


def set_at(obj, path, value):
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value


@FUZZ
@given(st.data())
def test_fuzz_random_values_in_golden_structure(check, goldens, data):
    """Random JSON values at 1-3 random positions of a golden certificate, hashes recomputed."""
    name = data.draw(st.sampled_from(GOLDEN_IDS))
    cert = json.loads(goldens[name][0])
    where = []
    for _ in range(data.draw(st.integers(1, 3))):
        candidates = paths(cert) if where else golden_paths(goldens, name)
        path = candidates[data.draw(st.integers(0, len(candidates) - 1))]
        if path == ("certificate_sha256",):
            continue
        set_at(cert, path, data.draw(similar_value(get_at(cert, path))))
        where.append(path)
    try:
        rehash(cert)
    except (KeyError, TypeError, AttributeError):    # dataset no longer an inline object
        pass
    mutated = dump(cert)
    code, tail = run_fuzz(check, "random values in golden structure", mutated)
    if code == 0:
        assert truly_valid(cert) is True, f"{name} {where}: VERIFIED but false: {tail}"
