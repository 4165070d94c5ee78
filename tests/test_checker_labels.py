"""The class-label rule (docs/certificate-format.md, section 8.1): a classification label is a
JSON integer in 1..C, C = dataset.classes; a label outside 1..C is REJECTED (exit 1).

The certificates here are true in every other respect: the network computes exactly the
out-of-range label, the claimed output is that label, the sizes and the claims are recomputed by
the independent evaluator of tests/test_checker_tamper.py, the hashes are fresh, and the
construction id is outside the theorem table.  So the label rule is the only thing that can
reject them -- and a checker whose rule is one wider (``1 <= c <= classes + 1`` or ``0 <= c``)
says VERIFIED.  Two constructions, each with a positive control that must VERIFY:

  classes lowered   C := (largest label) - 1: that label is C + 1 (control: C := largest + 1)
  labels shifted    every label - 1 and the output bias - 1 (one den), so the label-1 points have
                    label 0 (control: labels + 1, bias + 1, C + 1)

The last test applies both widened rules to a copy of the checker and requires these tests'
assertion to fail against it: the mutants are killed.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from test_checker_mutants import UNBOUND, recompute_claims
from test_checker_tamper import (GOLDENS, GOLDEN_IDS, ROOT, check, dec_int, dump, enc_int, label_outside,  # noqa: F401
                                 network, rehash, sizes, truly_valid)

CLASSIFICATION = [n for n, p in zip(GOLDEN_IDS, GOLDENS)
                  if json.loads(p.read_bytes())["dataset"]["inline"]["task"] == "classification"
                  and json.loads(p.read_bytes())["dataset"]["n"] * json.loads(p.read_bytes())["sizes"]["params_dense"]
                  <= 20_000]


def golden(name):
    return json.loads(GOLDENS[GOLDEN_IDS.index(name)].read_bytes())


def seal(cert):
    """Unbind from the theorem table, recompute sizes and claims (evaluator), fresh hashes."""
    cert["construction"]["id"] = UNBOUND
    cert["sizes"] = sizes(network(cert), cert["dataset"]["d"])
    recompute_claims(cert)
    return dump(rehash(cert))


def shifted(cert, delta):
    """Every label + delta, the last layer's bias + delta (in units of its den): the network's
    output is the new label on every point; C + max(delta, 0)."""
    last = cert["network"]["layers"][-1]
    assert last["activation"] == "identity" and len(last["bias"]) == 1
    last["bias"][0] = enc_int(dec_int(last["bias"][0]) + delta * dec_int(last["dens"][0]))
    body = cert["dataset"]["inline"]
    body["labels"] = [c + delta for c in body["labels"]]
    body["classes"] += max(delta, 0)
    cert["outputs"] = [[str(c)] for c in body["labels"]]
    return cert


def lowered(cert, new_classes):
    cert["dataset"]["inline"]["classes"] = new_classes
    return cert


def cases(name):
    """(what, certificate dict, the evaluator's first label outside 1..C or None)."""
    top = max(golden(name)["dataset"]["inline"]["labels"])
    out = [("labels shifted down", shifted(golden(name), -1)),
           ("labels shifted up (control)", shifted(golden(name), +1)),
           ("classes raised (control)", lowered(golden(name), top + 1))]
    if top >= 2:
        out.append(("classes lowered", lowered(golden(name), top - 1)))
    return [(what, cert, label_outside(cert)) for what, cert in out]


def assert_label_rule(run, what, cert, bad):
    """The oracle's verdict: VERIFIED when every label is in 1..C (the evaluator re-verifies the
    whole certificate), else REJECTED naming the first point whose label is outside."""
    data = seal(cert)
    sealed = json.loads(data)
    code, tail = run(data)
    truth = truly_valid(sealed)
    if truth is True:
        assert code == 0 and tail.endswith(" theorem=none"), f"{what}: {tail[:200]}"
    elif bad is None:                     # a control whose claims fail with the new C (tight claims)
        assert truth.startswith("claim ") and code == 1, f"{what}: {tail[:200]}"
        assert tail.startswith(f"s REJECTED claim {truth.split()[1]} ("), f"{what}: {tail[:200]}"
    else:
        label = sealed["dataset"]["inline"]["labels"][bad]
        assert truth == f"label {bad} outside 1..C"
        assert truly_valid(sealed, labels=False) is True, "the label must be the only thing wrong"
        assert code == 1 and tail.startswith(f"s REJECTED dataset point {bad}: class label {label} "), \
            f"{what}: {tail[:200]}"


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_label_rule(check, name):
    for what, cert, bad in cases(name):
        assert_label_rule(check, what, cert, bad)


def test_cases_reach_both_ends():
    """Both sides of 1..C are exercised: label 0 and label C + 1."""
    seen, controls = set(), []
    for name in CLASSIFICATION:
        controls += [truly_valid(json.loads(seal(cert))) for _, cert, bad in cases(name) if bad is None]
        for _, cert, bad in cases(name):
            if bad is not None:
                c, classes = cert["dataset"]["inline"]["labels"][bad], cert["dataset"]["inline"]["classes"]
                seen.add("0" if c == 0 else "C+1" if c == classes + 1 else "other")
    assert seen == {"0", "C+1"}
    # most controls are true (a tight claim such as d3 >= 2 * classes can fail when C grows)
    assert controls.count(True) >= len(controls) - 2, controls


# ---------------------------------------------------------------------------------------------
# The widened rules are killed

RULE = re.compile(r"if not 1 <= (\w+) <= classes:")
WIDENED = {"upper bound + 1": r"if not 1 <= \1 <= classes + 1:", "lower bound 0": r"if not 0 <= \1 <= classes:"}


def subprocess_runner(folder):
    def run(data):
        path = folder / "cert.json"
        path.write_bytes(data)
        p = subprocess.run([sys.executable, "-I", "-S", str(folder / "check.py"), str(path)],
                           capture_output=True, timeout=120)
        lines = p.stdout.decode().strip().splitlines()
        return p.returncode, lines[-1] if lines else ""
    return run


@pytest.mark.skipif(bool(os.environ.get("EXACTMEM_CHECKER_DIR")), reason="checks the repository's checker")
@pytest.mark.parametrize("mutant", sorted(WIDENED))
def test_widened_label_rule_is_killed(tmp_path, mutant):
    source = (ROOT / "certificates" / "check.py").read_text(encoding="utf-8")
    assert len(RULE.findall(source)) == 1, "check.py's class-label test moved: update RULE"
    for p in (ROOT / "certificates").glob("check*.py"):
        shutil.copyfile(p, tmp_path / p.name)
    (tmp_path / "check.py").write_text(RULE.sub(WIDENED[mutant], source), encoding="utf-8")
    run = subprocess_runner(tmp_path)
    name = next(n for n in CLASSIFICATION if max(golden(n)["dataset"]["inline"]["labels"]) >= 2)
    killed = []
    for what, cert, bad in cases(name):
        try:
            assert_label_rule(run, what, cert, bad)
        except AssertionError:
            killed.append(what)
    # the mutant verifies exactly the certificate whose bad label it admits; the controls pass
    assert killed == [{"upper bound + 1": "classes lowered", "lower bound 0": "labels shifted down"}[mutant]]
