"""Precision benchmark: the least bits each construction's network really needs.

Run:  python benchmarks/bench_precision.py [--sizes 100,1000] [--d 10] [--classes 10]
Writes benchmarks/results-precision.md: per certificate the exact bit complexity, the least
fixed-point k (with its word length), the least float p, the least arithmetic (MPFR) p, the
proven k* and p*, the IEEE misclassified counts, and the checker's verdicts on the written
claims (suffice certificate, fail witness).  Random data, seed 0; vys21 with class labels,
zhang17 and ysj19-thm3.1 with regression labels (tolerance 1/1000 of the label range).
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from exactmem.certificate import certificate_bytes, write_atomic
from exactmem.pipeline import certify
from exactmem.studies.precision import analyze

ROOT = Path(__file__).resolve().parent.parent


def row(cid, n, cert, rep, secs):
    ex, fx, fl, ar, ie, pr = rep["exact"], rep["fixed"], rep["float"], rep.get("arith", {}), rep["ieee"], rep["proven"]
    info = cert["info"]
    theory = "–"
    if cid.startswith("vys21"):
        theory = f"s·ρ = {info['s']}·{info['rho']} = {info['s'] * info['rho']}"

    def ok(e, role):
        c = e.get(f"{role}_check")
        return "–" if c is None else ("ok" if c["exit"] == 0 else f"exit {c['exit']}")

    def mono(e):
        return "" if not e.get("nonmonotone_pairs") else f" (non-monotone {e['nonmonotone_pairs']})"

    def ieee(f):
        e = ie.get(f)
        return "–" if e is None else f"{e['misclassified']}" + ("*" if e["nonfinite"] else "")

    return (f"| {cid} | {n} | {rep['source']['task'][:5]} | {ex['bit_complexity']} | "
            f"{fx['least']} ({fx.get('word_bits')}){mono(fx)} | {pr['fixed_k']} | {fl['least']}{mono(fl)} | "
            f"{pr['float_p']} | {ar.get('least', '–')}{mono(ar)} | {theory} | {ieee('float64')} | {ieee('float32')} | "
            f"{ieee('float16')} | {ieee('bfloat16')} | {ok(fx, 'suffice')}/{ok(fx, 'witness')} | "
            f"{ok(fl, 'suffice')}/{ok(fl, 'witness')} | {secs:.0f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000")
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--constructions", default="vys21,ysj19-thm3.1,zhang17")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results-precision.md"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for cid in args.constructions.split(","):
            for n in map(int, args.sizes.split(",")):
                classes = f",classes={args.classes}" if cid.startswith("vys21") else ""
                spec = f"random:n={n},d={args.d}{classes},seed=0"
                cert = certify(cid, spec)
                folder = Path(tmp) / f"{cid}-{n}"
                folder.mkdir()
                path = folder / "c.json"
                write_atomic(path, certificate_bytes(cert))
                t0 = time.perf_counter()
                rep = analyze(path, out_dir=folder)
                rows.append(row(cid, n, cert, rep, time.perf_counter() - t0))
                print(rows[-1], flush=True)
    head = [f"# Precision benchmark (random data, d = {args.d}, seed 0)", "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"`python benchmarks/bench_precision.py --sizes {args.sizes}`.", "",
            "Rule: class labels, |F(x) - c| < 1/2; regression labels, max |F(x) - y| <= 1/1000 of the label "
            "range. *k*: least fixed-point grid 2^-k (the word length in bits for the largest rounded parameter "
            "in parentheses); *k\\**, *p\\**: proven sufficient by the interval bound; *p*: least significant "
            "bits of the weights; *arith p*: least MPFR precision of the whole forward pass. IEEE columns: "
            "misclassified points out of N (* = some outputs non-finite). Claims: check.py on the suffice "
            "certificate / check.py --witness --against the source certificate on the fail witness. Every least value n was verified with "
            "n - 1 failing and n + 1 and a window of 4 below evaluated; non-monotone pairs are listed.", "",
            "| construction | N | task | exact bits | k (word) | k* | p | p* | arith p | theory | f64 | f32 | f16 "
            "| bf16 | fixed claims | float claims | s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    write_atomic(args.out, ("\n".join(head + rows) + "\n").encode())
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
