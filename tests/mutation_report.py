"""Tally of the checker's mutation and fuzz tests, printed at the end of a pytest run.

Mutation tests (tests/test_checker_tamper.py, tests/test_checker_mutants.py) call ``mutant()``
once per mutated certificate with the checker's exit code and the independent evaluator's
verdict; fuzz tests (tests/test_checker_fuzz.py) call ``fuzz()`` with the exit code.  conftest.py
prints the table in pytest's terminal summary and, when EXACTMEM_MUTATION_REPORT=FILE is set,
writes it to FILE as JSON.  docs/checker.md quotes the figures of the last recorded run.

Outcomes of a mutant:
  rejected          the checker rejects it (exit 1..5) and the evaluator finds it false
  legit_valid       the checker accepts it (exit 0) and the evaluator re-verifies it: the
                    mutation did not change anything the certificate states (the reason is kept)
  wrongly_accepted  the checker accepts it but the evaluator finds it false      -- must be 0
  wrongly_rejected  the checker rejects it but the evaluator finds it valid      -- must be 0
"""

import json
from collections import Counter, defaultdict

MUTANTS = defaultdict(Counter)       # family -> outcome -> count
REASONS = defaultdict(Counter)       # family -> reason a legitimately valid mutant is valid -> count
FAILURES = []                        # (family, where, outcome, detail)
FUZZ = defaultdict(Counter)          # fuzz test -> exit code -> count


def mutant(family, code, truth, where="", reason=None):
    """Record one mutant.  truth is True if the evaluator finds the mutated certificate valid,
    else a string saying what is false.  Returns the outcome."""
    if code == 0:
        outcome = "legit_valid" if truth is True else "wrongly_accepted"
    else:
        outcome = "wrongly_rejected" if truth is True else "rejected"
    MUTANTS[family]["tried"] += 1
    MUTANTS[family][outcome] += 1
    if outcome == "legit_valid":
        REASONS[family][reason or "re-verified by the evaluator"] += 1
    if outcome.startswith("wrongly"):
        FAILURES.append((family, where, outcome, str(truth)[:200]))
    return outcome


def fuzz(test, code):
    FUZZ[test][code] += 1


def totals():
    total = Counter()
    for counts in MUTANTS.values():
        total.update(counts)
    return total


def as_dict():
    return {"mutants": {f: dict(c) for f, c in sorted(MUTANTS.items())},
            "mutant_totals": dict(totals()),
            "legit_valid_reasons": {f: dict(c) for f, c in sorted(REASONS.items())},
            "failures": FAILURES[:100],
            "fuzz": {t: {str(k): v for k, v in sorted(c.items())} for t, c in sorted(FUZZ.items())},
            "fuzz_total": sum(sum(c.values()) for c in FUZZ.values())}


def lines():
    if not MUTANTS and not FUZZ:
        return []
    out = []
    if MUTANTS:
        cols = ("tried", "rejected", "legit_valid", "wrongly_accepted", "wrongly_rejected")
        out.append(f"{'mutation family':42} " + " ".join(f"{c:>17}" for c in cols))
        for family, counts in sorted(MUTANTS.items()):
            out.append(f"{family:42} " + " ".join(f"{counts[c]:>17}" for c in cols))
        total = totals()
        out.append(f"{'TOTAL':42} " + " ".join(f"{total[c]:>17}" for c in cols))
        for family, reasons in sorted(REASONS.items()):
            for reason, n in reasons.most_common():
                out.append(f"  legit valid, {family}: {n} x {reason}")
    if FUZZ:
        out.append("fuzz cases by exit code (0 VERIFIED .. 5 USAGE):")
        for test, counts in sorted(FUZZ.items()):
            out.append(f"  {test:40} total {sum(counts.values()):>7}  " +
                       " ".join(f"{k}:{v}" for k, v in sorted(counts.items())))
    return out


def write(path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(as_dict(), f, indent=1, sort_keys=True)
        f.write("\n")
