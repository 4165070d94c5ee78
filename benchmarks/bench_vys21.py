"""VYS21 scaling: build and check time, depth, parameters and bit complexity against N.

Run:  python benchmarks/bench_vys21.py [--sizes 100,1000,10000] [--depths 3,30,100,300]
Writes benchmarks/results-vys21.md and, if matplotlib is installed (a dependency of exactmem),
the log-log plot docs/vys21-scaling.png.
"""

import argparse
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from exactmem.certificate import certificate_bytes, write_atomic
from exactmem.pipeline import certify

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / "certificates" / "check.py"


def run(cid, spec, opts, tmp):
    t0 = time.perf_counter()
    cert = certify(cid, spec, opts)
    t1 = time.perf_counter()
    path = os.path.join(tmp, "c.json")
    write_atomic(path, certificate_bytes(cert))
    t2 = time.perf_counter()
    done = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), "-q", path,
                                   "--max-work", str(10 ** 13), "--max-memory", str(1 << 35)], capture_output=True)
    t3 = time.perf_counter()
    return cert, t1 - t0, t3 - t2, done.returncode, os.path.getsize(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--depths", default="3,30,100,300", help="vys21-depth budgets, at N = --depth-n")
    ap.add_argument("--depth-n", type=int, default=1000)
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results-vys21.md"))
    ap.add_argument("--plot", default=str(ROOT / "docs" / "vys21-scaling.png"))
    args = ap.parse_args()
    rows, points = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in map(int, args.sizes.split(",")):
            spec = f"random:n={n},d={args.d},classes={args.classes},seed=0"
            cert, tb, tc, rc, size = run("vys21", spec, {}, tmp)
            s, info = cert["sizes"], cert["info"]
            ref = info["reference"]
            rows.append(f"| vys21 | {n} | – | {s['depth']} | {s['width']} | {s['params_dense']} | {s['params_nonzero']} | "
                        f"{s['bit_complexity']} | s={info['s']} m={info['m']} T={info['T']} | {ref['D1']} | "
                        f"{ref['depth_over_D1']} | {tb:.1f} | {tc:.1f} | {size // 1024} | {'ok' if rc == 0 else rc} |")
            points.append((n, s["params_dense"], s["params_nonzero"], s["bit_complexity"]))
            print(rows[-1], flush=True)
        n = args.depth_n
        for L in map(int, args.depths.split(",")):
            spec = f"random:n={n},d={args.d},classes={args.classes},seed=0"
            cert, tb, tc, rc, size = run("vys21-depth", spec, {"depth": L}, tmp)
            s, info = cert["sizes"], cert["info"]
            rows.append(f"| vys21-depth ({cert['construction']['params'].get('layout')}) | {n} | {L} | {s['depth']} | "
                        f"{s['width']} | {s['params_dense']} | {s['params_nonzero']} | {s['bit_complexity']} | "
                        f"s={info['s']} m={info['m']} T={info['T']} | – | – | {tb:.1f} | {tc:.1f} | {size // 1024} | "
                        f"{'ok' if rc == 0 else rc} |")
            print(rows[-1], flush=True)
    head = [f"# VYS21 benchmark (d = {args.d}, C = {args.classes}, random data, seed 0)", "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"`python benchmarks/bench_vys21.py --sizes {args.sizes} --depths {args.depths}`.", "",
            "build = data + construction + exact forward pass + certificate (s); check = independent checker "
            "under `python -I -S` (s). D1 = sqrt(N log2 N) + sqrt(N/log2 N) max(log2 R, log2 C).", "",
            "| construction | N | L | depth | width | dense | nonzero | bits | layout | D1 | depth/D1 | build s | "
            "check s | KiB | checker |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    write_atomic(args.out, ("\n".join(head + rows) + "\n").encode())
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (pip install matplotlib)")
        return
    ns = [p[0] for p in points]
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.loglog(ns, [p[1] for p in points], "o-", label="dense parameters")
    ax.loglog(ns, [p[2] for p in points], "s-", label="nonzero parameters")
    ax.loglog(ns, [p[3] for p in points], "^-", label="bit complexity")
    ax.loglog(ns, [math.sqrt(n) for n in ns], "k--", label="sqrt(N)")
    ax.loglog(ns, [float(n) for n in ns], "k:", label="N")
    ax.set_xlabel("N (points)")
    ax.set_title(f"VYS21 Construction A, d={args.d}, C={args.classes}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)
    print("plot:", args.plot)


if __name__ == "__main__":
    main()
