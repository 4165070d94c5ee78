#!/usr/bin/env python3
"""A small mutation runner for the independent checker (certificates/check*.py).

Why not mutmut or cosmic-ray: the checker is a stand-alone script that the tests run both in
their own process and as ``python3 -I -S certificates/check.py`` (isolated mode, no
site-packages).  mutmut 3 instruments functions with trampolines that import mutmut at run time,
which an isolated ``-I -S`` subprocess cannot do; mutmut 2 and cosmic-ray rewrite the source file
in place, and the checker must never be edited in the working tree (others test against it).
This runner never touches certificates/: it writes ONE mutant into a copy of the check*.py files
in a temporary folder and runs a kill suite (pytest) with EXACTMEM_CHECKER_DIR pointing at that
copy; tests/test_checker_negative.py and tests/test_checker_tamper.py (and through them every
test module that imports their CHECK / CHECKER) then load the checker from there, in-process and
as a subprocess.

Mutation operators (python ``ast``; a mutant is the source text with one expression or
statement replaced, the rest of the file byte for byte unchanged):

  binop     + <-> -, * -> //, // -> *, % -> //, / -> *, << <-> >>, & <-> |, ^ -> |, ** -> *
            (also in augmented assignments, x += 1 -> x -= 1)
  compare   < -> <=, <= -> <, > -> >=, >= -> >, == <-> !=, in <-> not in, is <-> is not,
            and the negation of < <= > >= (< -> >=, ...)
  const     an int constant n -> n + 1 and n - 1; True <-> False
  boolop    and <-> or
  not       ``not x`` -> ``x``
  return    ``return X`` -> ``return None`` (X not None)
  delete    a ``raise`` statement, or a call statement to a checking function (its name
            contains charge, need, check, fail, require, expect, verify or fits) -> ``pass``

Strings (messages, docstrings) and the insides of f-strings are not mutated.  Mutants whose text
equals another's are dropped.

Outcomes: killed (the kill suite failed: a test failed, or collection failed), timeout (the
suite ran past --timeout: counted as killed, an infinite loop is detected), survived (every test
passed).  Before any mutant the unmutated copy must pass the suite.

Usage (from the repository root):
  python3 tools/mutate_checker.py --list [FILES]             # count the mutants
  nice python3 tools/mutate_checker.py --out mutation.jsonl [--sample K --seed S] [FILES]
  python3 tools/mutate_checker.py --show ID [FILES]          # print one mutant's diff
  python3 tools/mutate_checker.py --summary mutation.jsonl   # the score by file
FILES default to the core: check.py check_base.py check_network.py check_claims.py
check_theorems.py.  --resume skips the ids already in --out.  One process at a time.
"""

import argparse
import ast
import difflib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CERTS = ROOT / "certificates"
CORE = ["check.py", "check_base.py", "check_network.py", "check_claims.py", "check_theorems.py"]
# The kill suite: fastest-failing first.  Hypothesis examples are reduced (the mutants are
# deterministic code changes; the corpora and the campaigns find them).
KILL_SUITE = ["tests/test_checker_labels.py",
              "tests/test_checker_negative.py",
              "tests/test_checker_tamper.py",
              "tests/test_checker_mutants.py",
              "tests/test_checker_differential.py",
              "tests/test_checker_limits.py",
              "tests/test_checker_cost.py",
              "tests/test_checker_fuzz.py"]

BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
         ast.Mod: ast.FloorDiv, ast.Div: ast.Mult, ast.LShift: ast.RShift, ast.RShift: ast.LShift,
         ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd, ast.BitXor: ast.BitOr, ast.Pow: ast.Mult}
BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
NEGATION = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt}
CHECKING = ("charge", "need", "check", "fail", "require", "expect", "verify", "fits")


def _callee(call):
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _inside_fstrings(tree):
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def _copy_with(node, **changes):
    new = ast.parse(ast.unparse(node), mode="exec").body[0]
    new = new.value if isinstance(new, ast.Expr) and not isinstance(node, ast.stmt) else new
    for k, v in changes.items():
        setattr(new, k, v)
    return new


def enumerate_mutants(name):
    """[(kind, description, line, start byte, end byte, replacement bytes)] for one file."""
    src = (CERTS / name).read_bytes()
    tree = ast.parse(src)
    starts = [0]
    for line in src.split(b"\n"):
        starts.append(starts[-1] + len(line) + 1)
    skip = _inside_fstrings(tree)

    def span(node):
        return starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset

    out = []

    def add(kind, node, text, what, stmt=False):
        a, b = span(node)
        out.append((kind, what, node.lineno, a, b, text if stmt else f"({text})"))

    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in BINOP:
            new = _copy_with(node, op=BINOP[type(node.op)]())
            add("binop", node, ast.unparse(new), f"{type(node.op).__name__} -> {type(new.op).__name__}")
        elif isinstance(node, ast.AugAssign) and type(node.op) in BINOP:
            new = _copy_with(node, op=BINOP[type(node.op)]())
            add("binop", node, ast.unparse(new), f"{type(node.op).__name__}= -> {type(new.op).__name__}=", True)
        elif isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                for table in (BOUNDARY, NEGATION):
                    if type(op) in table:
                        ops = list(node.ops)
                        ops[i] = table[type(op)]()
                        new = _copy_with(node)
                        new.ops = ops
                        add("compare", node, ast.unparse(new), f"{type(op).__name__} -> {type(ops[i]).__name__}")
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            add("const", node, str(not node.value), f"{node.value} -> {not node.value}")
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            for v in (node.value + 1, node.value - 1):
                add("const", node, repr(v), f"{node.value} -> {v}")
        elif isinstance(node, ast.BoolOp):
            new = _copy_with(node, op=ast.Or() if isinstance(node.op, ast.And) else ast.And())
            add("boolop", node, ast.unparse(new), f"{type(node.op).__name__} -> {type(new.op).__name__}")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            add("not", node, ast.unparse(node.operand), "not x -> x")
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            add("return", node, "return None", "return X -> return None", True)
        elif isinstance(node, ast.Raise):
            add("delete", node, "pass", "raise deleted", True)
        elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
              and any(w in _callee(node.value).lower() for w in CHECKING)):
            add("delete", node, "pass", f"call to {_callee(node.value)} deleted", True)
    mutants, seen = [], set()
    for kind, what, line, a, b, text in sorted(out, key=lambda m: (m[3], m[4], m[0], m[1])):
        data = src[:a] + text.encode() + src[b:]
        if data == src or data in seen:
            continue
        try:
            ast.parse(data)
        except SyntaxError:
            continue
        seen.add(data)
        mutants.append({"id": f"{name}:{len(mutants)}", "file": name, "kind": kind, "what": what,
                        "line": line, "original": src[a:b].decode(), "data": data})
    return mutants


def all_mutants(files):
    return [m for f in files for m in enumerate_mutants(f)]


def snapshot(dest):
    """A copy of what the kill suite reads (tests/, the goldens, the negative corpus, the checker,
    pyproject.toml, the format spec whose tables the limit tests read), so that edits to the working tree during a long run change nothing."""
    shutil.copytree(ROOT / "tests", dest / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    for sub in ("golden", "negative"):
        shutil.copytree(CERTS / sub, dest / "certificates" / sub, ignore=shutil.ignore_patterns("__pycache__"))
    prepare(dest / "certificates")
    shutil.copyfile(ROOT / "pyproject.toml", dest / "pyproject.toml")
    (dest / "docs").mkdir()
    shutil.copyfile(ROOT / "docs" / "certificate-format.md", dest / "docs" / "certificate-format.md")
    return dest


def run_suite(folder, timeout, suite, repo=ROOT):
    env = dict(os.environ, EXACTMEM_CHECKER_DIR=str(folder), PYTHONDONTWRITEBYTECODE="1",
               EXACTMEM_FUZZ_EXAMPLES=os.environ.get("EXACTMEM_FUZZ_EXAMPLES", "20"),
               EXACTMEM_KILL_SUITE="1")
    return run_pytest(suite, repo, env, timeout)


def run_pytest(suite, repo, env, timeout):
    """(outcome, seconds, first failure line) of one kill-suite run: killed, survived or timeout."""
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
           "--tb=line", "-W", "ignore", *suite]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - t0, ""
    text = p.stdout.decode("utf-8", "replace").strip().splitlines()
    failed = next((line for line in text if line.startswith(("FAILED", "ERROR"))), text[-1] if text else "")
    return ("survived" if p.returncode == 0 else "killed"), time.monotonic() - t0, failed[:300]


def prepare(folder, mutant=None):
    folder.mkdir(parents=True, exist_ok=True)
    for p in CERTS.glob("check*.py"):
        shutil.copyfile(p, folder / p.name)
    if mutant:
        (folder / mutant["file"]).write_bytes(mutant["data"])


def diff(m):
    old = (CERTS / m["file"]).read_text().splitlines()
    new = m["data"].decode().splitlines()
    return "\n".join(difflib.unified_diff(old, new, m["file"], m["file"] + " (mutant)", n=1, lineterm=""))


def summary(path, width=18):
    """The score by file of a results file; a re-run of a mutant (--ids) replaces its earlier row."""
    last = {}
    for line in Path(path).read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            last[r["id"]] = r
    rows = list(last.values())
    by = {}
    for r in rows:
        by.setdefault(r["file"], Counter())[r["outcome"]] += 1
    print(f"{'file':{width}} {'mutants':>8} {'killed':>8} {'timeout':>8} {'survived':>9}")
    total = Counter()
    for f, c in sorted(by.items()):
        total.update(c)
        print(f"{f:{width}} {sum(c.values()):>8} {c['killed']:>8} {c['timeout']:>8} {c['survived']:>9}")
    print(f"{'TOTAL':{width}} {sum(total.values()):>8} {total['killed']:>8} {total['timeout']:>8} {total['survived']:>9}")
    for r in rows:
        if r["outcome"] == "survived":
            where = f"{r['function']} " if r.get("function") else ""
            print(f"  survived {r['id']} {where}line {r['line']} {r['kind']}: {r['what']}: {r['original'][:70]!r}")

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", default=CORE)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--show")
    ap.add_argument("--summary")
    ap.add_argument("--out", default="mutation.jsonl")
    ap.add_argument("--sample", type=int, default=0, help="mutants per file, chosen at random (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=240)
    ap.add_argument("--ids", help="comma-separated mutant ids to run (others skipped)")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--suite", nargs="*", default=KILL_SUITE)
    args = ap.parse_args(argv)
    if args.summary:
        summary(args.summary)
        return 0
    mutants = all_mutants(args.files)
    if args.list:
        for f, n in Counter(m["file"] for m in mutants).items():
            print(f"{f:18} {n:6}  " + " ".join(f"{k}:{v}" for k, v in
                                              sorted(Counter(m['kind'] for m in mutants if m['file'] == f).items())))
        print(f"{'TOTAL':18} {len(mutants):6}")
        return 0
    if args.show:
        m = next(m for m in mutants if m["id"] == args.show)
        print(diff(m))
        return 0
    if args.sample:
        rng = random.Random(args.seed)
        mutants = [m for f in args.files for m in
                   sorted(rng.sample([m for m in mutants if m["file"] == f],
                                     min(args.sample, sum(m["file"] == f for m in mutants))), key=lambda m: m["id"])]
    if args.ids:
        wanted = set(args.ids.split(","))
        mutants = [m for m in mutants if m["id"] in wanted]
    done = set()
    out = Path(args.out)
    if args.resume and out.exists():
        done = {json.loads(line)["id"] for line in out.read_text().splitlines() if line.strip()}
    suite = [s for s in args.suite if (ROOT / s).exists()]
    print(f"{len(mutants)} mutants; kill suite: {' '.join(suite)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="exactmem-mutant-") as tmp:
        repo = snapshot(Path(tmp) / "repo")
        base = Path(tmp) / "unmutated"
        prepare(base)
        outcome, secs, failed = run_suite(base, args.timeout * 4, suite, repo)
        print(f"unmutated copy: {outcome} in {secs:.1f} s {failed}", flush=True)
        if outcome != "survived":
            print("the kill suite must pass on the unmutated checker", file=sys.stderr)
            return 1
        with out.open("a", encoding="utf-8") as f:
            for i, m in enumerate(mutants):
                if m["id"] in done:
                    continue
                folder = Path(tmp) / f"m{i}"
                prepare(folder, m)
                outcome, secs, failed = run_suite(folder, args.timeout, suite, repo)
                shutil.rmtree(folder, ignore_errors=True)
                row = {k: m[k] for k in ("id", "file", "kind", "what", "line", "original")}
                row.update(outcome=outcome, seconds=round(secs, 1), failed=failed)
                f.write(json.dumps(row) + "\n")
                f.flush()
                print(f"[{i + 1}/{len(mutants)}] {m['id']} line {m['line']} {m['what']}: {outcome} "
                      f"{secs:.1f} s {failed[:100]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
