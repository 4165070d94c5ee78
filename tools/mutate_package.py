#!/usr/bin/env python3
"""Mutation runner for the exactmem package's engine and size rules (docs/testing-package.md).

It reuses the mutation operators of tools/mutate_checker.py (its ``enumerate_mutants``, pointed
at exactmem/ instead of certificates/) and keeps only the mutants whose node starts inside a
*target region*: a whole function, or the statements of a function that carry a size rule
(named by the first characters of the statement's first line).  The working tree is never
edited: a snapshot of the repository (exactmem/, tests/, certificates/, docs/, pyproject.toml)
is copied to a temporary folder once; each mutant is written into the snapshot's exactmem/,
the kill suite of its target file runs there (``python -m pytest`` from the snapshot, so
``import exactmem`` resolves to the snapshot, with PYTHONPATH set to it for subprocesses), and
the file is restored before the next mutant.

Outcomes: killed (the suite failed), timeout (ran past 3x the clean suite's time: counted as
killed), survived (every test passed).  The clean snapshot must pass every suite first.

Usage (from the repository root):
  python3 tools/mutate_package.py --list                    # mutants per target file
  nice -n 10 python3 tools/mutate_package.py --out mutation-package.jsonl [--files F ...]
  python3 tools/mutate_package.py --show ID                 # one mutant's diff
  python3 tools/mutate_package.py --summary mutation-package.jsonl
  --ids ID,ID re-runs chosen mutants; --resume skips the ids already in --out.
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
PKG = ROOT / "exactmem"
sys.path.insert(0, str(Path(__file__).resolve().parent))
import mutate_checker as MC  # noqa: E402  (the operators: binop, compare, const, boolop, not, return, delete)

SR = "tests/test_size_rules.py"
YP = "tests/test_ysj19_props.py"
TC = "tests/test_constructions.py"
VY = "tests/test_vys21.py"
YY = "tests/test_yy26.py"
RN = "tests/test_ysj19_resnet.py"
RG = "tests/test_regress.py"          # every construction's goldens regenerate byte for byte

# file (relative to exactmem/) -> regions [(function, [statement prefixes] or None for the whole
# function)], and the kill suite (pytest arguments, fastest-failing first).
TARGETS = {
    "engine.py": {
        "regions": [("_activate", None), ("_layer_values", None), ("_apply", None), ("_add", None),
                    ("forward_integer", None), ("forward", None)],
        "suite": ["tests/test_engine.py", "tests/test_regress.py"],
    },
    "constructions/ysj19/thm31.py": {
        "regions": [("thm31_lhs", None), ("default_widths", None),
                    ("theorem_3_1", ["if widths is None", "if len(widths) != 2", "lhs = thm31_lhs", "if lhs < n",
                                     "core_widths = (d1 // 2"]),
                    ("proposition_3_2", ["k = 2 if", "if widths is None", "if len(widths) != 3", "lhs = 4",
                                         "if lhs < n", "if d3 < k * C", "e1, e2, e3 ="])],
        "suite": [f"{SR}::test_thm31_least_d2_for_every_d1_and_least_d1_for_every_d2",
                  f"{SR}::test_default_widths_are_the_fewest_nodes_the_theorem_admits",
                  f"{SR}::test_thm31_hardtanh_capacity_edge_through_the_cli", f"{SR}::test_prop32_width_edges",
                  f"{TC}::test_default_widths_match_the_table", f"{TC}::test_ysj19_refuses_class_labels_and_bad_widths",
                  f"{TC}::test_ysj19_worked_example", f"{TC}::test_ysj19_default_widths_are_admissible_and_minimal",
                  f"{TC}::test_ysj19_thm31_on_the_boundary", f"{YP}::test_prop32_tight"],
    },
    "constructions/ysj19/prop34.py": {
        "regions": [("_term", None), ("prop34_violation", None), ("choose_blocks", None),
                    ("proposition_3_4", ["if widths is None or len(widths)", "W = list(widths)"])],
        "suite": [f"{SR}::test_prop34_capacity_edge", f"{SR}::test_prop34_every_explicit_placement_agrees_with_the_oracle",
                  f"{YP}::test_prop34_refusals_name_the_condition",
                  f"{YP}::test_prop34_automatic_blocks_or_a_clear_refusal", f"{YP}::test_prop34_tight_two_blocks"],
    },
    "constructions/ysj19/cor42.py": {
        "regions": [("corollary_4_2", ["if widths is not None and", "per = 4 if", "need = per", "k2 = 2 if",
                                       "if width is None", "if dx * width <", "if width < need"])],
        "suite": [f"{SR}::test_cor42_least_width", f"{YP}::test_cor42_worked_example_and_a_collinear_refusal",
                  f"{YP}::test_cor42_at_the_least_admissible_width"],
    },
    "constructions/ysj19/thm41.py": {
        "regions": [("thm41_layout", None),
                    ("theorem_4_1", ["if dx < C", "per = len(", "k_head = 2 if", "if head_width is not None and",
                                     "if not widths or any", "if dx * sum(widths) <", "dead = "])],
        "suite": [f"{SR}::test_thm41_block_and_head_edges", f"{YP}::test_thm41_worked_example_pushes",
                  f"{RN}::test_layout_rules", f"{RN}::test_cli_refusals",
                  f"{RN}::test_engine_agrees_with_the_fraction_reference_on_every_layout",
                  f"{YP}::test_thm41_resnet", f"{YP}::test_thm41_engine_agrees_with_the_fraction_reference",
                  f"{RN}::test_random_admissible_splits", f"{RN}::test_narrow_one_node_per_block",
                  f"{RN}::test_several_groups_per_block_at_the_tight_bound"],
    },
    "constructions/vys21.py": {
        "regions": [("default_block_size", None), ("_blocks", None), ("_encode", None), ("depth_A", None),
                    ("theorem_3_1", ["s = default_block_size(n) if", "if s < 1"]),
                    ("theorem_depth", ["if L < 2", "if L >= depth_A", "s = min(n, (L - 4)", "if s >= 2",
                                       "m = n", "if L >= 3"])],
        "suite": [f"{VY}::test_default_block_size_is_exact_at_boundaries", f"{VY}::test_worked_example",
                  f"{VY}::test_bad_inputs_give_clear_errors", f"{SR}::test_vys21_depth_budget_at_every_residue_of_L",
                  f"{SR}::test_vys21_width_and_depth_for_every_block_size",
                  f"{VY}::test_bits_grow_like_sqrt_n_over_log_n_times_T", f"{VY}::test_smallest_cases",
                  f"{VY}::test_construction_B_reached_every_layout",
                  f"{VY}::test_construction_B_respects_the_depth_budget"],
    },
    "constructions/yy26/planner.py": {
        "regions": [("ceil_sqrt", None), ("Plan", None), ("plan_d", None), ("plan_s", None), ("plan", None),
                    ("min_width", None), ("width_for_depth", None)],
        "suite": [f"{YY}::test_worked_example", f"{YY}::test_planner_table_at_a_million_points",
                  f"{YY}::test_refusals_name_the_numbers",
                  f"{SR}::test_yy26_depth_at_every_width_matches_the_reference_planner",
                  f"{SR}::test_yy26_depth_budget_gives_the_reference_least_width",
                  f"{YY}::test_mode_s_every_configuration", f"{YY}::test_mode_d_every_configuration",
                  f"{YY}::test_depth_budget_gives_the_least_width", f"{YY}::test_every_width_memorizes_and_verifies"],
    },
}
EXTRA_TESTS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_mutation_*.py"))


def regions(name):
    """[(function, first line, last line)] of a target file's regions."""
    tree = ast.parse((PKG / name).read_bytes())
    src_lines = (PKG / name).read_text().splitlines()
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    out = []
    for fn, prefixes in TARGETS[name]["regions"]:
        node = defs[fn]
        if prefixes is None:
            out.append((fn, node.lineno, node.end_lineno))
            continue
        for pre in prefixes:
            hits = [s for s in ast.walk(node) if isinstance(s, ast.stmt) and s is not node
                    and src_lines[s.lineno - 1].strip().startswith(pre)]
            if len(hits) != 1:
                raise SystemExit(f"{name}:{fn}: {len(hits)} statements start with {pre!r} (need exactly 1)")
            s = hits[0]
            # an if/else: only its condition (the branches are construction code, not the rule)
            end = s.test.end_lineno if isinstance(s, ast.If) and s.orelse else s.end_lineno
            out.append((f"{fn}[{pre}]", s.lineno, end))
    return out


def enumerate_target(name):
    MC.CERTS = PKG                       # mutate_checker reads CERTS / name; point it at the package
    regs = regions(name)
    out = []
    for m in MC.enumerate_mutants(name):
        where = next((fn for fn, a, b in regs if a <= m["line"] <= b), None)
        if where is not None:
            m["function"] = where
            out.append(m)
    return out


def suite_of(name):
    suite = TARGETS[name]["suite"]
    if RG not in suite:
        suite = suite + [RG]
    return EXTRA_TESTS + suite        # the added tests are fast: first


def snapshot(dest):
    ign = shutil.ignore_patterns("__pycache__", ".hypothesis", "*.pyc")
    for sub in ("exactmem", "tests", "certificates", "docs", "benchmarks"):
        if (ROOT / sub).exists():
            shutil.copytree(ROOT / sub, dest / sub, ignore=ign)
    for f in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / f, dest / f)
    return dest


def run_suite(repo, suite, timeout):
    env = dict(os.environ, PYTHONPATH=str(repo), PYTHONDONTWRITEBYTECODE="1")
    return MC.run_pytest(suite, repo, env, timeout)

def diff(m):
    old = (PKG / m["file"]).read_text().splitlines()
    new = m["data"].decode().splitlines()
    return "\n".join(difflib.unified_diff(old, new, m["file"], m["file"] + " (mutant)", n=1, lineterm=""))


def summary(path):
    """The score by file (the checker runner's summary, with wider file names)."""
    MC.summary(path, width=32)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", nargs="*", default=list(TARGETS))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--show")
    ap.add_argument("--summary")
    ap.add_argument("--out", default="mutation-package.jsonl")
    ap.add_argument("--ids", help="comma-separated mutant ids to run (others skipped)")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--sample", type=int, default=0, help="at most K mutants per file, chosen at random (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout-factor", type=float, default=3.0)
    args = ap.parse_args(argv)
    if args.summary:
        summary(args.summary)
        return 0
    mutants = [m for f in args.files for m in enumerate_target(f)]
    if args.list:
        for f in args.files:
            mine = [m for m in mutants if m["file"] == f]
            print(f"{f:32} {len(mine):5}  " + " ".join(f"{k}:{v}" for k, v in sorted(Counter(m['kind'] for m in mine).items())))
            for fn, n in Counter(m["function"] for m in mine).items():
                print(f"    {fn:50} {n:4}")
        print(f"{'TOTAL':32} {len(mutants):5}")
        return 0
    if args.show:
        print(diff(next(m for m in mutants if m["id"] == args.show)))
        return 0
    if args.sample:
        rng = random.Random(args.seed)
        mutants = [m for f in args.files for m in sorted(
            rng.sample([m for m in mutants if m["file"] == f], min(args.sample, sum(m["file"] == f for m in mutants))),
            key=lambda m: int(m["id"].rsplit(":", 1)[1]))]
    if args.ids:
        wanted = set(args.ids.split(","))
        mutants = [m for m in mutants if m["id"] in wanted]
    out = Path(args.out)
    done = set()
    if args.resume and out.exists():
        done = {json.loads(line)["id"] for line in out.read_text().splitlines() if line.strip()}
    mutants = [m for m in mutants if m["id"] not in done]
    print(f"{len(mutants)} mutants", flush=True)
    t_start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="exactmem-pkg-mutant-") as tmp:
        repo = snapshot(Path(tmp) / "repo")
        check = subprocess.run([sys.executable, "-c", "import exactmem; print(exactmem.__file__)"], cwd=repo,
                               env=dict(os.environ, PYTHONPATH=str(repo)), capture_output=True, text=True)
        if not check.stdout.strip().startswith(str(repo)):
            print(f"import exactmem resolves to {check.stdout.strip()!r}, not the snapshot", file=sys.stderr)
            return 1
        clean = {}
        for f in dict.fromkeys(m["file"] for m in mutants):
            outcome, secs, failed = run_suite(repo, suite_of(f), 3600)
            print(f"clean {f}: {outcome} in {secs:.1f} s {failed}", flush=True)
            if outcome != "survived":
                print("the kill suite must pass on the unmutated package", file=sys.stderr)
                return 1
            clean[f] = secs
        with out.open("a", encoding="utf-8") as fh:
            for i, m in enumerate(mutants):
                target = repo / "exactmem" / m["file"]
                original = target.read_bytes()
                target.write_bytes(m["data"])
                try:
                    outcome, secs, failed = run_suite(repo, suite_of(m["file"]), args.timeout_factor * clean[m["file"]])
                finally:
                    target.write_bytes(original)
                row = {k: m[k] for k in ("id", "file", "function", "kind", "what", "line", "original")}
                row.update(outcome=outcome, seconds=round(secs, 1), failed=failed)
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                print(f"[{i + 1}/{len(mutants)}] {m['id']} {m['function']} line {m['line']} {m['what']}: {outcome} "
                      f"{secs:.1f} s {failed[:100]}", flush=True)
    print(f"total {time.monotonic() - t_start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
