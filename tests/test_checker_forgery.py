"""Forgeries of genuine objects: the independent checker must never answer VERIFIED for one.

Every test starts from something genuine -- a golden certificate, a certificate exactmem builds
here on small random data, a precision suffice certificate or fail witness (exactmem.studies.precision) of
it -- changes one thing, re-seals what a forger can re-seal (claim lhs/rhs, certificate_sha256,
witness_sha256), and runs certificates/check.py in-process.  The expected exit code and the text
the verdict must name come from the forging step alone (what was changed), never from running
exactmem to decide them:

* witnesses (check.py --witness W --against CERT): point moved, label changed (0 and C + 1
  included), rounding k / p relabelled to a value whose rounding differs (decided by a rounding
  written here from docs/precision.md), original_network swapped for another genuine network,
  checked against another genuine certificate: exit 1;
* suffice certificates (construction rounded:ID): k / p relabelled below the recorded grid_bits /
  sig_bits, a required precision claim dropped, a precision claim's statement altered: exit 1;
* theorem binding (checker 1.2, the theorem table) on every golden: a required claim dropped
  (required ids listed here, from the theorems' statements), a statement replaced by another true
  one, construction.id swapped to another known id, an extra true claim: exit 1; an id outside
  the table: VERIFIED with theorem=none;
* claim grammar: non-U+0020 whitespace between two tokens of a golden's claim: exit 2.
"""

import hashlib
import json
import os
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given, strategies as st

import mutation_report
from conftest import run_checker_inprocess

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = ROOT / "certificates" / "golden"
GOLDEN_NAMES = sorted(p.name for p in GOLDEN_DIR.glob("*.json"))
GOLDEN = {name: json.loads((GOLDEN_DIR / name).read_bytes()) for name in GOLDEN_NAMES}

KNOWN = ("zhang17", "ysj19-thm3.1", "ysj19-prop3.2", "ysj19-prop3.4", "ysj19-cor4.2", "ysj19-thm4.1",
         "ysj19-thm3.3", "vys21", "vys21-depth", "yy26")
KNOWN_IDS = KNOWN + tuple(f"rounded:{k}" for k in KNOWN)

# Every character Python calls whitespace but U+0020, and the zero-width ones a reader may not see.
WHITESPACE = sorted({chr(c) for c in range(0x110000) if chr(c).isspace()} - {" "}) + ["\u200b", "\ufeff"]


# ---------------------------------------------------------------------------------------------
# Encoding, sealing and running (written here, the same canonical form as the format documents)

def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def dec_int(s):
    neg = s.startswith("-")
    body = s[1:] if neg else s
    v = int(body[2:], 16) if body.startswith("0x") else int(body)
    return -v if neg else v


def enc_int(v):
    return str(v) if -(1 << 53) < v < (1 << 53) else ("-" if v < 0 else "") + hex(abs(v))


def rat(tok):
    num, _, den = tok.partition("/")
    return Fraction(dec_int(num), dec_int(den) if den else 1)


def enc_rat(q):
    q = Fraction(q)
    return enc_int(q.numerator) if q.denominator == 1 else f"{enc_int(q.numerator)}/{enc_int(q.denominator)}"


def seal_certificate(cert):
    cert["certificate_sha256"] = hashlib.sha256(
        canonical({k: v for k, v in cert.items() if k != "certificate_sha256"})).hexdigest()
    return cert


def seal_witness(w):
    w["witness_sha256"] = hashlib.sha256(canonical({k: v for k, v in w.items() if k != "witness_sha256"})).hexdigest()
    return w


def copy(obj):
    return json.loads(json.dumps(obj))


@pytest.fixture(scope="module")
def run(checker, tmp_path_factory):
    """run(obj, name, *flags) -> (exit code, last stdout line): obj written canonically beside the
    module's other files, checked in-process; never a traceback or an internal error."""
    folder = tmp_path_factory.mktemp("forgery")

    def go(obj, name="forged.json", *flags):
        path = folder / name
        path.write_bytes(canonical(obj) + b"\n")
        code, out = run_checker_inprocess(checker, path, *flags)
        assert "Traceback" not in out and "internal checker error" not in out, out[-500:]
        last = out.strip("\n").splitlines()[-1]
        assert last.startswith("s " + checker.VERDICTS[code]), last
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split(" ")[0].split("[")[0]
        if go.recording:            # the genuine objects checked while `world` is built are not forgeries
            mutation_report.fuzz("forgery: " + test[len("test_"):].replace("_", " "), code)   # docs/checker.md
        return code, last
    go.folder = folder
    go.recording = True
    return go


# ---------------------------------------------------------------------------------------------
# Genuine objects built once: certificates on small random data, their witnesses and suffice
# certificates (exactmem.studies.precision), each checked VERIFIED before anything is forged from it

SPECS = [("zhang17", dict(n=10, d=2, classes=3, seed=11)),
         ("vys21", dict(n=12, d=2, classes=3, seed=12)),
         ("ysj19-thm3.1", dict(n=12, d=2, seed=13)),
         ("zhang17", dict(n=8, d=1, seed=14))]
SEARCH = {"fixed": range(40, -10, -1), "float": range(80, 0, -1)}


@pytest.fixture(scope="module")
def world(run):
    from exactmem.studies import precision as P
    from exactmem.data import random_dataset
    from exactmem.engine import forward
    from exactmem.pipeline import certify_dataset

    certs, witnesses, suffice = [], [], []
    run.recording = False
    for k, (cid, kw) in enumerate(SPECS):
        ds = random_dataset(**kw)
        cert = certify_dataset(cid, ds)
        name = f"source-{k}.json"
        code, last = run(cert, name)
        assert code == 0 and last.endswith(f" theorem={cid}"), last
        certs.append({"cert": cert, "path": run.folder / name, "classes": ds.classes})
        net, decision, targets = P.network_from_json(cert["network"]), P.decision_for(ds), ds.targets()
        for kind, search in SEARCH.items():
            fails = {}
            for n in search:
                outs = forward(P.round_network(net, kind, n), ds.points)
                fails[n] = [(i, o) for i, (o, t) in enumerate(zip(outs, targets)) if not decision.ok(o, t)]
            worst = max((n for n in fails if fails[n]), default=None)
            if worst is not None:
                i, out = fails[worst][0]
                w = P.fail_witness(cert, net, kind, worst, i, ds.points[i], targets[i], out, decision)
                code, last = run(w, "witness.json", "--witness", "--against", str(run.folder / name))
                assert code == 0 and last.startswith("s VERIFIED WITNESS"), last
                witnesses.append({"witness": w, "source": k, "kind": kind})
            least = search.start if worst is None else worst + 1
            assert not fails[least]
            c, mode = P.suffice_certificate(cert, ds, P.round_network(net, kind, least), kind, least, decision)
            sname = f"suffice-{k}-{kind}.json"
            code, last = run(c, sname)
            # a rounded:ID certificate states the precision theorem; the source id is a label
            assert c["construction"]["id"] == f"rounded:{cid}", c["construction"]["id"]
            assert code == 0 and last.endswith(" theorem=precision"), last
            suffice.append({"cert": c, "path": run.folder / sname, "kind": kind, "mode": mode})
    assert {w["kind"] for w in witnesses} == {"fixed", "float"} and len(witnesses) >= 6
    assert {s["mode"] for s in suffice} >= {"exact", "decoded", "relabelled"}
    run.recording = True
    return {"certs": certs, "witnesses": witnesses, "suffice": suffice}


def genuine_paths(world):
    """Every genuine certificate file of the world: sources and suffice certificates."""
    return [c["path"] for c in world["certs"]] + [s["path"] for s in world["suffice"]]


# ---------------------------------------------------------------------------------------------
# Witnesses

def check_witness(run, world, w, source_index, against=None):
    against = against or world["certs"][source_index]["path"]
    return run(seal_witness(w), "witness.json", "--witness", "--against", str(against))


@given(st.data())
def test_witness_point_moved(run, world, data):
    entry = data.draw(st.sampled_from(world["witnesses"]))
    w = copy(entry["witness"])
    x = [rat(v) for v in w["point"]]
    j = data.draw(st.integers(0, len(x) - 1))
    delta = data.draw(st.one_of(st.fractions(-4, 4, max_denominator=1 << 20), st.integers(-3, 3).map(Fraction),
                                st.builds(Fraction, st.integers(-2 ** 70, 2 ** 70), st.integers(1, 2 ** 70)))
                      .filter(bool))
    x[j] += delta
    w["point"] = [enc_rat(v) for v in x]
    code, last = check_witness(run, world, w, entry["source"])
    assert code == 1 and "point" in last, last


@given(st.data())
def test_witness_point_index_moved(run, world, data):
    entry = data.draw(st.sampled_from(world["witnesses"]))
    w = copy(entry["witness"])
    n = world["certs"][entry["source"]]["cert"]["dataset"]["n"]
    index = data.draw(st.integers(0, n + 3))
    assume(index != w["point_index"])
    w["point_index"] = index
    code, last = check_witness(run, world, w, entry["source"])
    assert code == 1 and "point" in last, last


@given(st.data())
def test_witness_label_changed(run, world, data):
    entry = data.draw(st.sampled_from(world["witnesses"]))
    w = copy(entry["witness"])
    dec = w["decision"]
    if dec["task"] == "classification":
        C = world["certs"][entry["source"]]["classes"]
        label = data.draw(st.one_of(st.sampled_from([0, C + 1, -1]), st.integers(-5, C + 5)))
        assume(label != dec["label"])
        dec["label"] = label
    else:
        o = data.draw(st.integers(0, len(dec["label"]) - 1))
        delta = data.draw(st.fractions(-2, 2, max_denominator=1 << 12))
        assume(delta != 0)
        dec["label"][o] = enc_rat(rat(dec["label"][o]) + delta)
    code, last = check_witness(run, world, w, entry["source"])
    assert code == 1 and "decision.label" in last, last


def _round(q, kind, n):
    """q to the nearest multiple of 2^-n ("fixed") or to n significant bits ("float"), ties to even
    (docs/precision.md; Python's round() of a Fraction rounds ties to even)."""
    if kind == "fixed":
        scale = Fraction(2) ** n
        return Fraction(round(q * scale)) / scale
    if q == 0:
        return q
    a = abs(q)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1                                           # 2^e <= |q| < 2^(e+1)
    quantum = Fraction(2) ** (e - n + 1)
    return Fraction(round(q / quantum)) * quantum


def rounded_parameters(network, kind, n):
    out = []
    for entry in network["layers"]:
        maps = [entry["residual"]["inner"], entry["residual"]["outer"]] if "residual" in entry else [entry]
        for m in maps:
            for row, b, den in zip(m["weights"], m["bias"], m["dens"]):
                out += [_round(Fraction(dec_int(v), dec_int(den)), kind, n) for v in row + [b]]
    return out


@given(st.data())
def test_witness_rounding_relabelled(run, world, data):
    entry = data.draw(st.sampled_from(world["witnesses"]))
    w = copy(entry["witness"])
    kind = w["rounding"]["kind"]
    letter = "k" if kind == "fixed" else "p"
    n = w["rounding"][letter]
    other = data.draw(st.integers(n - 12, n + 12) if kind == "fixed" else st.integers(max(1, n - 12), n + 12))
    assume(other != n)
    # Only a value whose rounding differs is a forgery: at one whose rounding is the same network the
    # relabelled witness is genuine.
    assume(rounded_parameters(w["original_network"], kind, other) != rounded_parameters(w["original_network"], kind, n))
    w["rounding"][letter] = other
    code, last = check_witness(run, world, w, entry["source"])
    assert code == 1 and f"{letter}={other}" in last, last


@given(st.data())
def test_witness_original_network_swapped(run, world, data):
    entry = data.draw(st.sampled_from(world["witnesses"]))
    w = copy(entry["witness"])
    source = world["certs"][entry["source"]]["cert"]
    others = [c["cert"]["network"] for c in world["certs"] if c["cert"] is not source] + \
             [s["cert"]["network"] for s in world["suffice"]] + [w["network"]]
    w["original_network"] = copy(data.draw(st.sampled_from(others)))
    assume(w["original_network"] != source["network"])
    code, last = check_witness(run, world, w, entry["source"])
    assert code == 1 and "original_network" in last, last


@given(st.data())
def test_witness_against_another_certificate(run, world, data):
    entry = data.draw(st.sampled_from(world["witnesses"]))
    own = world["certs"][entry["source"]]["path"]
    against = data.draw(st.sampled_from([p for p in genuine_paths(world) if p != own]))
    code, last = check_witness(run, world, copy(entry["witness"]), entry["source"], against=against)
    assert code == 1 and "source.certificate_sha256" in last, last


def test_witness_needs_against(run, world):
    w = world["witnesses"][0]["witness"]
    assert run(w, "witness.json", "--witness")[0] == 5


# ---------------------------------------------------------------------------------------------
# Suffice certificates

PRECISION_REQUIRED = {"fixed": ("precision-dyadic", "precision-grid"),
                      "float": ("precision-dyadic", "precision-significand")}


def claim_of(cert, cid):
    (c,) = [c for c in cert["claims"] if c["id"] == cid]
    return c


@given(st.data())
def test_suffice_relabelled_to_fewer_bits(run, world, data):
    entry = data.draw(st.sampled_from(world["suffice"]))
    c = copy(entry["cert"])
    cid = PRECISION_REQUIRED[entry["kind"]][1]
    cl = claim_of(c, cid)
    var, op, stated = cl["statement"].split(" ", 2)
    recorded = dec_int(cl["lhs"])                # what the checker recomputed on the genuine one
    assert op == "<=" and dec_int(cl["rhs"]) == int(stated) >= recorded
    assume(entry["kind"] == "fixed" or recorded >= 1)
    smaller = data.draw(st.integers(recorded - 16, recorded - 1) if entry["kind"] == "fixed"
                        else st.integers(max(0, recorded - 16), recorded - 1))
    cl["statement"], cl["rhs"] = f"{var} <= {smaller}", enc_int(smaller)
    cl["source"] = cl["source"].replace(stated, str(smaller))
    letter = "k" if entry["kind"] == "fixed" else "p"
    for holder in (c["recipe"], c["construction"]["params"], c["info"]["precision"]):
        holder["rounding"][letter] = smaller      # unchecked fields, relabelled too
    code, last = run(seal_certificate(c))
    assert code == 1 and cid in last, last


@given(st.data())
def test_suffice_required_claim_dropped(run, world, data):
    entry = data.draw(st.sampled_from(world["suffice"]))
    c = copy(entry["cert"])
    drop = data.draw(st.sampled_from(PRECISION_REQUIRED[entry["kind"]]))
    c["claims"] = [cl for cl in c["claims"] if cl["id"] != drop]
    code, last = run(seal_certificate(c))
    assert code == 1 and "precision-" in last and "missing" in last, last


@given(st.data())
def test_suffice_precision_claim_altered(run, world, data):
    entry = data.draw(st.sampled_from(world["suffice"]))
    c = copy(entry["cert"])
    cl = data.draw(st.sampled_from([cl for cl in c["claims"] if cl["id"].startswith("precision-")]))
    var = cl["statement"].split(" ")[0]
    v = dec_int(cl["lhs"])                       # the variable's value, recorded on the genuine one
    N = c["dataset"]["n"]
    options = [(f"{var} >= {v}", v, v), (f"{var} == {v}", v, v), (f"{var} <= {v} + 1", v, v + 1),
               (f"{var} < {v} + 1", v, v + 1), (f"{var} - {var} == 0", 0, 0), ("N >= 0", N, 0),
               (f"{var} == {v + 1}", v, v + 1), (f"{var} == {v - 1}", v, v - 1)]   # the last two are false
    statement, lhs, rhs = data.draw(st.sampled_from(options))
    assume(statement != cl["statement"])
    cl["statement"], cl["lhs"], cl["rhs"] = statement, enc_int(lhs), enc_int(rhs)
    code, last = run(seal_certificate(c))
    assert code == 1 and cl["id"] in last, last


# ---------------------------------------------------------------------------------------------
# Theorem binding on every golden certificate

def hidden_activation(cert):
    first = cert["network"]["layers"][0]
    return (first["residual"]["inner"] if "residual" in first else first)["activation"]


def required_ids(cert):
    """The claims each theorem states (docs: the theorem of each construction), by id."""
    cid, depth = cert["construction"]["id"], cert["sizes"]["depth"]
    task = cert["dataset"]["inline"]["task"]
    base = {"assumption-distinct"}
    zhang = base | {"depth", "relu", "hidden-nodes", "params"}
    ysj31 = base | {"assumption-labels", "depth", "activation", "capacity"}
    return {
        "zhang17": zhang,
        "ysj19-thm3.1": ysj31,
        "ysj19-prop3.2": base | {"depth", "activation", "capacity", "classes"} | ({"labels"} if task == "regression"
                                                                                 else set()),
        "ysj19-prop3.4": ysj31,
        "ysj19-cor4.2": base | {"depth", "activation", "width", "labels"},
        "ysj19-thm4.1": base | {hidden_activation(cert), "dx-ge-dy", "residual-nodes", "head", "labels"},
        "ysj19-thm3.3": (zhang | {"lemma-hypothesis", "counting-lemma", "pieces-bound", "thm33"}) if depth == 2 else
                        (ysj31 | {"lemma-hypothesis", "counting-lemma", "pieces-bound-paper", "thm33"}),
        "vys21": base | {"width"},
        "vys21-depth": base | {"depth-budget"},
        "yy26": base | {"width-target"},
    }[cid]


def test_goldens_state_their_theorems():
    for name, cert in GOLDEN.items():
        assert cert["construction"]["id"] in KNOWN, name
        assert required_ids(cert) <= {c["id"] for c in cert["claims"]}, name


goldens = st.sampled_from(GOLDEN_NAMES)


@given(goldens, st.data())
def test_golden_required_claim_dropped(run, name, data):
    cert = copy(GOLDEN[name])
    drop = data.draw(st.sampled_from(sorted(required_ids(cert))))
    cert["claims"] = [c for c in cert["claims"] if c["id"] != drop]
    code, last = run(seal_certificate(cert))
    assert code == 1 and f"claim {drop} " in last and "missing" in last, last


def true_statements(cert):
    """(statement, lhs, rhs) of true statements over variables whose values the golden states."""
    N, d, dy, depth = cert["dataset"]["n"], cert["dataset"]["d"], cert["dataset"]["dy"], cert["sizes"]["depth"]
    return [("N >= 0", N, 0), ("N == N", N, N), ("d >= 1", d, 1), ("dy >= 1", dy, 1), ("depth >= 1", depth, 1),
            ("N + 1 > N", N + 1, N), ("depth * 0 == 0", 0, 0), (f"N <= {N}", N, N)]


@given(goldens, st.data())
def test_golden_statement_replaced_by_another_true_one(run, name, data):
    cert = copy(GOLDEN[name])
    cl = data.draw(st.sampled_from(cert["claims"]))
    statement, lhs, rhs = data.draw(st.sampled_from(true_statements(cert)))
    assume(statement != cl["statement"])
    cl["statement"], cl["lhs"], cl["rhs"] = statement, enc_int(lhs), enc_int(rhs)
    code, last = run(seal_certificate(cert))
    assert code == 1 and f"claim {cl['id']} " in last, last


@given(goldens, st.sampled_from(KNOWN_IDS))
def test_golden_construction_id_swapped(run, name, new_id):
    cert = copy(GOLDEN[name])
    assume(new_id != cert["construction"]["id"])
    cert["construction"]["id"] = new_id
    code, last = run(seal_certificate(cert))
    assert code == 1 and f"construction {new_id}" in last, last


@given(goldens, st.data())
def test_golden_extra_claim(run, name, data):
    cert = copy(GOLDEN[name])
    cid = "extra-" + data.draw(st.from_regex(r"[a-z0-9.:_-]{1,20}", fullmatch=True))
    statement, lhs, rhs = data.draw(st.sampled_from(
        true_statements(cert) + [(c["statement"], dec_int(c["lhs"]), dec_int(c["rhs"])) for c in cert["claims"]]))
    at = data.draw(st.integers(0, len(cert["claims"])))
    cert["claims"].insert(at, {"id": cid, "statement": statement, "lhs": enc_int(lhs), "rhs": enc_int(rhs),
                               "source": "Zhang et al. 2017, Thm 1 (a weaker corollary)"})
    code, last = run(seal_certificate(cert))
    assert code == 1 and f"claim {cid} " in last, last


@given(goldens, st.one_of(st.just("my-own"), st.from_regex(r"[A-Za-z0-9:._-]{1,30}", fullmatch=True)))
def test_golden_under_an_unknown_id_verifies_without_a_theorem(run, name, new_id):
    assume(new_id not in KNOWN_IDS)
    cert = copy(GOLDEN[name])
    cert["construction"]["id"] = new_id
    cert = seal_certificate(cert)
    code, last = run(cert)
    assert code == 0, last
    assert last.split() == ["s", "VERIFIED", cert["certificate_sha256"], cert["dataset"]["sha256"], "theorem=none"]


@given(goldens, st.data())
def test_golden_claim_with_other_whitespace_is_malformed(run, name, data):
    cert = copy(GOLDEN[name])
    cl = data.draw(st.sampled_from(cert["claims"]))
    s = cl["statement"]
    spaces = [i for i, ch in enumerate(s) if ch == " "]
    i = data.draw(st.sampled_from(spaces))
    ws = data.draw(st.sampled_from(WHITESPACE))
    how = data.draw(st.sampled_from(["replace", "before", "after"]))
    cl["statement"] = {"replace": s[:i] + ws + s[i + 1:], "before": s[:i] + ws + s[i:],
                       "after": s[:i + 1] + ws + s[i + 1:]}[how]
    code, last = run(seal_certificate(cert))
    assert code == 2 and "unexpected character" in last, last
