"""``exactmem claims``: the numeric claims of Yun, Sra, Jadbabaie (NeurIPS 2019), reproduced by
real runs of the tool.

Every row is computed now, never copied: size conditions are evaluated with integers (ceilings by
integer division, square roots by ``math.isqrt``), and every network is built by the ordinary
pipeline (:mod:`exactmem.pipeline`), written as a certificate and handed to the independent checker
``certificates/check.py`` in a separate interpreter, so "VERIFIED" in the table is the checker's
own verdict.  Rows (``--only`` takes these group names):

* ``imagenet``  Prop 3.2 at the ImageNet shape (N = 10^6, 1000 classes, ReLU widths 2000-2000-4000):
  the inequality, exactly; and a certified network at the same proportions scaled down
  (N = k^2 points, k classes, widths 2k-2k-4k).
* ``cifar``     Cor 4.2 (106 ReLUs) and Thm 4.1 (126 ReLUs) at the CIFAR-10 shape (N = 50,000,
  dx = 3072, 10 classes): the counts, exactly; and certified networks on random integer "pixel"
  data (0..255) of that dimension and class count at the N the scale affords.
* ``edges``     the ReLU Thm 3.1 network's "4N + (2dx+6)sqrt N + 1 edges" beside Zhang et al.'s
  (dx+2)N, measured on built networks (edges = weights + biases; dense and nonzero).
* ``digits``    scikit-learn's bundled ``digits`` (1797 x 64, 10 classes): Prop 3.2 and zhang17
  certified; the general-position assumption of Cor 4.2 / Thm 4.1 tested exactly.

Coordinates are Fractions, as from every loader of :mod:`exactmem.data` (integer pixels are
Fractions with denominator 1), so these runs take the same code paths as ``exactmem build``.

A study (named ``paper_numbers`` so as not to clash with a certificate's "claims"; the command
is still ``exactmem claims``): it imports the core (pipeline, certificate, checker, geometry,
constructions) and never the CLI; no core module imports it.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from fractions import Fraction
from math import isqrt
from pathlib import Path

from flint import fmpz_mat

from .. import geometry
from ..certificate import certificate_bytes, write_atomic, write_dataset_file
from ..checker import LONG_RUN_LIMITS, run_checker, run_sharded
from ..constructions import registry
from ..data import Dataset, load
from ..errors import DataError, UsageError
from ..pipeline import certify_in_memory, certify_with_data
from ..rational import ceil_div

GROUPS = ("imagenet", "cifar", "edges", "digits")

# The paper's instances (YSJ19 section 1 and section 4).
IMAGENET = {"N": 10 ** 6, "classes": 1000, "widths": (2000, 2000, 4000)}
CIFAR = {"N": 50_000, "dx": 3072, "classes": 10, "cor42": 106, "thm41": 126}

# Sizes per scale.  "full" was chosen by measurement on a 2-core machine (docs/ysj19.md,
# benchmarks/results-claims.md); "quick" runs in seconds for tests and CI.
SCALES = {
    "quick": {
        "imagenet_k": 6, "imagenet_dx": 12,
        "cifar_n": 60, "cifar_dx": 48,
        "edge_cases": ((16, 2), (100, 2), (16, 8), (100, 8)),        # (N, dx)
        # per construction: (largest N certified, largest N built); above: not built
        "edge_limits": {"ysj19-thm3.1": (100, 100), "zhang17": (100, 100)},
        "digits_n": 300,
    },
    "full": {
        "imagenet_k": 60, "imagenet_dx": 12,
        "cifar_n": 6000, "cifar_dx": 3072,
        "edge_cases": ((100, 2), (1000, 2), (10_000, 2), (100_000, 2), (100, 16), (1000, 16), (10_000, 16)),
        "edge_limits": {"ysj19-thm3.1": (10_000, 10_000), "zhang17": (1000, 10_000)},
        "digits_n": None,
    },
}
# "paper": the CIFAR rows at the paper's own N = 50,000 (dx = 3072), the other groups as "full".
# Measured parts and the estimate (about 2.5 hours on 2 cores for Cor 4.2): docs/performance.md.
SCALES["paper"] = {**SCALES["full"], "cifar_n": CIFAR["N"]}
# A dataset of more coordinates than this is written as a lines file (format 1.4) beside its
# certificate, so that neither the writer nor the checker holds its JSON text whole.
LINES_ABOVE = 10 ** 7
# Why a size is not certified, or not built (measured on 2 cores, benchmarks/results-claims.md).
EDGE_LIMIT_WHY = {
    "ysj19-thm3.1": {"certify": "forward pass and check: 10 minutes at N = 10,000",
                     "build": "the construction alone ran over 45 minutes of CPU at N = 100,000, stopped"},
    "zhang17": {"certify": "the forward pass holds an N x N matrix of hidden values",
                "build": "quadratic build: the output neuron's one denominator is the lcm of N slope "
                         "denominators (15 s at N = 10,000; over 15 minutes at 100,000, stopped)"},
}
SEED = 0


# ---------------------------------------------------------------------------------------------
# Exact arithmetic of the claims (also recomputed independently by the tests)

def prop32_relu_admissible(n: int, classes: int, d1: int, d2: int, d3: int) -> tuple[int, bool]:
    """(4 floor(d1/4) floor(d2/4), whether Prop 3.2's ReLU conditions hold)."""
    lhs = 4 * (d1 // 4) * (d2 // 4)
    return lhs, lhs >= n and d3 >= 4 * classes


def cor42_least_width(n: int, dx: int, dy: int) -> int:
    """Least integer d1 with d1 >= 4N/dx + 4dy, i.e. dx * d1 >= 4N + 4 dy dx."""
    return ceil_div(4 * n + 4 * dy * dx, dx)


def thm41_least_total(n: int, dx: int, dy: int) -> int:
    """Least integer sum of residual nodes >= 4N/dx + 4dy, plus the final block's 2dy."""
    return ceil_div(4 * n + 4 * dy * dx, dx) + 2 * dy


def ysj_edge_formula(n: int, dx: int) -> tuple[int, int]:
    """4N + (2dx+6) sqrt(N) + 1 as an integer interval [lo, hi] (lo == hi iff N is a square)."""
    lo = 4 * n + isqrt((2 * dx + 6) ** 2 * n) + 1
    exact = isqrt(n) ** 2 == n
    return lo, lo if exact else lo + 1


def zhang_edge_formula(n: int, dx: int) -> int:
    return (dx + 2) * n


# ---------------------------------------------------------------------------------------------
# Datasets

def pixel_dataset(n: int, dx: int, classes: int, seed: int = SEED, label: str = "pixels") -> Dataset:
    """N distinct points of {0..255}^dx (integer "pixels", uniform), labels 1..C balanced
    (N/C each, rounded) in a seeded random order.  Deterministic for a given seed."""
    rng = random.Random(f"exactmem-claims:{label}:{seed}")
    pixel = [Fraction(v) for v in range(256)]
    seen, pts = set(), []
    while len(pts) < n:
        raw = rng.randbytes(dx)
        if raw not in seen:
            seen.add(raw)
            pts.append(tuple(pixel[v] for v in raw))
    labels = [1 + i % classes for i in range(n)]
    rng.shuffle(labels)
    src = f"exactmem.studies.paper_numbers.pixel_dataset(n={n}, dx={dx}, classes={classes}, seed={seed}, label={label!r})"
    return Dataset(tuple(pts), tuple(labels), "classification", classes, source=src)


def digits_dataset(limit: int | None = None) -> Dataset:
    """scikit-learn's bundled 8x8 digits (no download): 1797 points of {0..16}^64, classes 1..10
    (digit + 1).  The float64 pixels are integers, checked and converted exactly."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise UsageError("the digits rows need scikit-learn: pip install 'exactmem[sklearn]' "
                         "(or pip install 'scikit-learn>=1.3')") from None
    bunch = load_digits()
    X, y = bunch.data, bunch.target
    if limit is not None:
        X, y = X[:limit], y[:limit]
    pts = []
    for i, row in enumerate(X.tolist(), 1):
        if any(v != int(v) for v in row):
            raise DataError(f"digits row {i}: a pixel is not an integer")
        pts.append(tuple(Fraction(int(v)) for v in row))
    src = "sklearn.datasets.load_digits()" + (f"[:{limit}]" if limit is not None else "")
    return Dataset(tuple(pts), tuple(int(c) + 1 for c in y.tolist()), "classification", 10, source=src).validate()


def affine_rank(points) -> int:
    """Exact dimension of the affine hull (FLINT integer rank of the differences to point 1;
    integer coordinates)."""
    base = points[0]
    if len(points) == 1:
        return 0
    return fmpz_mat([[int(a) - int(b) for a, b in zip(p, base)] for p in points[1:]]).rank()


# ---------------------------------------------------------------------------------------------
# Running a row

@dataclass
class Row:
    id: str
    claim: str
    paper: str
    ours: str = ""
    certified: str = ""
    seconds: float = 0.0
    details: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"id": self.id, "claim": self.claim, "paper": self.paper, "ours": self.ours,
                "certified": self.certified, "seconds": round(self.seconds, 1), "details": self.details}


class Runner:
    def __init__(self, out: Path, verbose: bool, workers: int = 1):
        self.out, self.verbose, self.t0, self.workers = out, verbose, time.perf_counter(), workers
        self.worst = 0

    def log(self, msg: str) -> None:
        if self.verbose:
            print(f"[claims {time.perf_counter() - self.t0:8.1f}s] {msg}", file=sys.stderr, flush=True)

    def certify(self, name: str, cid: str, ds: Dataset | None = None, spec: str | None = None,
                options: dict | None = None) -> tuple[dict, dict]:
        """Build, write ``out/name.json`` atomically, run check.py.  Returns (certificate,
        {"verdict", "exit", "build_s", "check_s", "path", "bytes"})."""
        self.log(f"{name}: building {cid}")
        t = time.perf_counter()
        lines = f"{name}.data.jsonl" if ds is not None and ds.n * ds.d > LINES_ABOVE else None
        if spec is not None:
            cert, _ = certify_with_data(cid, spec, options, verbose=self.verbose)
        else:
            recipe = {"data": ds.source, "options": dict(options or {}), "seed": None, "classes": None}
            cert, certified = certify_in_memory(cid, ds, options, recipe=recipe, verbose=self.verbose,
                                                data_file=lines, workers=self.workers)
        path = self.out / f"{name}.json"
        if lines:
            write_dataset_file(self.out / lines, certified)
        data = certificate_bytes(cert)
        write_atomic(path, data)
        build_s = time.perf_counter() - t
        self.log(f"{name}: certificate written ({len(data):,} bytes, {build_s:.1f} s); running check.py")
        t = time.perf_counter()
        if self.workers > 1:
            code, verdict = run_sharded(path, self.workers, LONG_RUN_LIMITS, quiet=True)
        else:
            code, verdict = run_checker(path, quiet=True, capture=True, extra=LONG_RUN_LIMITS)
        check_s = time.perf_counter() - t
        word = verdict.split()[1] if verdict.startswith("s ") and len(verdict.split()) > 1 else verdict
        self.worst = max(self.worst, 0 if code == 0 else 1)
        self.log(f"{name}: checker {word} (exit {code}, {check_s:.1f} s)")
        return cert, {"verdict": word, "exit": code, "build_s": round(build_s, 1), "check_s": round(check_s, 1),
                      "path": str(path), "bytes": len(data)}

    def certified_text(self, res: dict) -> str:
        return f"{res['verdict']} (build {res['build_s']:.0f} s, check {res['check_s']:.0f} s)"


# ---------------------------------------------------------------------------------------------
# The rows

def rows_imagenet(run: Runner, sc: dict) -> list:
    n, C, (d1, d2, d3) = IMAGENET["N"], IMAGENET["classes"], IMAGENET["widths"]
    t = time.perf_counter()
    lhs, ok = prop32_relu_admissible(n, C, d1, d2, d3)
    lhs_less, ok_less = prop32_relu_admissible(n, C, d1 - 4, d2, d3)
    r1 = Row("imagenet-inequality",
             "ImageNet shape: N = 10^6, 1000 classes, Prop 3.2 ReLU widths 2k-2k-4k admissible",
             "2000-2000-4000 suffice",
             f"4*floor({d1}/4)*floor({d2}/4) = {lhs:,} >= N = {n:,}; d3 = {d3} >= 4*{C} = {4 * C}: "
             f"{'admissible' if ok else 'NOT admissible'}; tight: d1 = {d1 - 4} gives {lhs_less:,} < N",
             "exact integer check", time.perf_counter() - t,
             {"N": n, "classes": C, "widths": [d1, d2, d3], "lhs": lhs, "admissible": ok,
              "lhs_d1_minus_4": lhs_less, "admissible_d1_minus_4": ok_less})
    k, dx = sc["imagenet_k"], sc["imagenet_dx"]
    N = k * k
    widths = [2 * k, 2 * k, 4 * k]
    ds = pixel_dataset(N, dx, k, label="imagenet-shape")
    t = time.perf_counter()
    cert, res = run.certify(f"imagenet-prop3.2-k{k}", "ysj19-prop3.2", ds, options={"widths": widths})
    s = cert["sizes"]
    lhs_k, ok_k = prop32_relu_admissible(N, k, *widths)
    r2 = Row("imagenet-scaled",
             f"Prop 3.2 ReLU at 2k-2k-4k: N = k^2 points of {{0..255}}^{dx}, k classes (k = {k})",
             "widths 2k-2k-4k for N = k^2, k classes (k = 1000)",
             f"N = {N:,}, {k} classes, widths {s['widths']}: 4*floor(d1/4)*floor(d2/4) = {lhs_k:,} >= N, "
             f"d3 = {widths[2]} >= 4C; {s['params_dense']:,} params ({s['params_nonzero']:,} nonzero), "
             f"{s['bit_complexity']} bits",
             run.certified_text(res), time.perf_counter() - t,
             {"k": k, "N": N, "dx": dx, "classes": k, "widths": s["widths"], "lhs": lhs_k, "admissible": ok_k,
              "params_dense": s["params_dense"], "params_nonzero": s["params_nonzero"],
              "bit_complexity": s["bit_complexity"], **res})
    return [r1, r2]


def rows_cifar(run: Runner, sc: dict) -> list:
    N0, dx0, C = CIFAR["N"], CIFAR["dx"], CIFAR["classes"]
    n, dx = sc["cifar_n"], sc["cifar_dx"]
    ds = pixel_dataset(n, dx, C, label="cifar-shape")
    rows = []
    # Corollary 4.2: 2-layer ReLU network, least admissible width.
    least0 = cor42_least_width(N0, dx0, C)
    t = time.perf_counter()
    cert, res = run.certify(f"cifar-cor4.2-n{n}", "ysj19-cor4.2", ds)
    s, info = cert["sizes"], cert["info"]
    least = cor42_least_width(n, dx, C)
    rows.append(Row(
        "cifar-cor4.2", "CIFAR-10 shape (N = 50,000, dx = 3072, 10 classes): Cor 4.2, 2-layer ReLU",
        f"{CIFAR['cor42']} ReLUs",
        f"least d1 >= 4N/dx + 4dy at N = {N0:,}: {least0}; certified at N = {n:,}, dx = {dx}: "
        f"d1 = {s['widths'][0]} (least admissible {least}), {info['units_used']} used by "
        f"{info['groups']} groups, {s['bit_complexity']} bits",
        run.certified_text(res), time.perf_counter() - t,
        {"N_paper": N0, "dx_paper": dx0, "least_width_paper_N": least0, "N": n, "dx": dx, "classes": C,
         "width": s["widths"][0], "least_width": least, "groups": info["groups"], "units_used": info["units_used"],
         "bit_complexity": s["bit_complexity"], "params_nonzero": s["params_nonzero"], **res}))
    # Theorem 4.1: ResNet, residual blocks of 4 ReLUs and a head of 2dy.
    total0 = thm41_least_total(N0, dx0, C)
    t = time.perf_counter()
    cert, res = run.certify(f"cifar-thm4.1-n{n}", "ysj19-thm4.1", ds)
    s, info = cert["sizes"], cert["info"]
    bound = thm41_least_total(n, dx, C)
    rows.append(Row(
        "cifar-thm4.1", "CIFAR-10 shape: Thm 4.1, ResNet with 4N/dx + 6dy ReLU hidden nodes",
        f"{CIFAR['thm41']} ReLUs",
        f"least integer >= 4N/dx + 4dy, plus 2dy, at N = {N0:,}: {total0}; certified at N = {n:,}: "
        f"{s['hidden_neurons']} hidden ReLUs ({info['residual_blocks']} blocks of 4 + head "
        f"{s['widths'][-1]}) <= {bound}, {s['bit_complexity']} bits",
        run.certified_text(res), time.perf_counter() - t,
        {"N_paper": N0, "dx_paper": dx0, "least_total_paper_N": total0, "N": n, "dx": dx, "classes": C,
         "hidden": s["hidden_neurons"], "residual_hidden": sum(s["widths"][:-1]), "head": s["widths"][-1],
         "least_total": bound, "groups": info["groups"], "bit_complexity": s["bit_complexity"], **res}))
    return rows


def rows_edges(run: Runner, sc: dict) -> list:
    rows = []
    for n, dx in sc["edge_cases"]:
        t = time.perf_counter()
        spec = f"random:n={n},d={dx},seed={SEED}"
        got = {}
        for cid, (cert_max, build_max) in sc["edge_limits"].items():
            if n <= cert_max:
                cert, res = run.certify(f"edges-{cid}-n{n}-d{dx}", cid, spec=spec)
                s = cert["sizes"]
                got[cid] = (s["widths"], s["params_dense"], s["params_nonzero"], res["verdict"], res)
            elif n <= build_max:        # construction only: the forward pass would not fit
                run.log(f"edges: building {cid} at N = {n:,}, d = {dx} (construction only)")
                tb = time.perf_counter()
                net = registry()[cid].build(load(spec)).network
                got[cid] = (net.hidden_widths, net.params_dense, net.params_nonzero,
                            f"built, not certified ({EDGE_LIMIT_WHY[cid]['certify']})",
                            {"build_s": round(time.perf_counter() - tb, 1)})
            else:
                got[cid] = (None, None, None, f"not built ({EDGE_LIMIT_WHY[cid]['build']})", {})
        lo, hi = ysj_edge_formula(n, dx)
        zf = zhang_edge_formula(n, dx)
        yw, yd, ynz, yv, _ = got["ysj19-thm3.1"]
        zw, zd, znz, zv, _ = got["zhang17"]
        formula = f"{lo:,}" if lo == hi else f"{lo:,}..{hi:,}"

        def measured(name, w, dense, nonzero):
            return f"{name} not built" if w is None else f"{name} {w}: {dense:,} dense, {nonzero:,} nonzero"

        ratio = f"; zhang17/ysj19 nonzero {znz / ynz:.1f}" if ynz and znz else ""
        rows.append(Row(
            f"edges-n{n}-d{dx}", f"edges (weights + biases), N = {n:,}, dx = {dx}: ReLU Thm 3.1 vs Zhang17",
            f"4N+(2dx+6)sqrtN+1 = {formula}; (dx+2)N = {zf:,}",
            measured("ysj19-thm3.1", yw, yd, ynz) + "; " + measured("zhang17", zw, zd, znz) + ratio,
            f"ysj19: {yv}; zhang17: {zv}", time.perf_counter() - t,
            {"N": n, "dx": dx, "ysj_formula_lo": lo, "ysj_formula_hi": hi, "zhang_formula": zf,
             "ysj_widths": yw, "ysj_dense": yd, "ysj_nonzero": ynz, "ysj": got["ysj19-thm3.1"][4],
             "zhang_widths": zw, "zhang_dense": zd, "zhang_nonzero": znz, "zhang": got["zhang17"][4]}))
    return rows


def rows_digits(run: Runner, sc: dict) -> list:
    ds = digits_dataset(sc["digits_n"])
    n, d = ds.n, ds.d
    rows = []
    t = time.perf_counter()
    zero = [k + 1 for k in range(d) if all(p[k] == 0 for p in ds.points)]
    rank = affine_rank(ds.points)
    witness_fn = getattr(geometry, "general_position_witness", None)
    witness, how = None, ""
    if rank < min(n - 1, d) and witness_fn is not None:
        # The points span fewer than min(N-1, d) dimensions: the full test stops within its first
        # (d-1)-subset (a zero normal, or two equal hyperplanes), so it is cheap here.
        witness = witness_fn(ds.points)
        how = "full test (exactmem.geometry.general_position_witness)"
    elif rank < min(n - 1, d):
        try:                                # the construction's own test names the rows
            registry()["ysj19-cor4.2"].build(ds)
            how = "construction-level test passed"
        except DataError as e:
            how = f"construction-level test: {e}"
    gp = rank >= min(n - 1, d) and witness is None
    if witness is not None:
        found = (f"fails: rows {_rows_text(witness)} ({len(witness)} points) are affinely dependent "
                 f"[{how}]")
    elif not gp:
        found = f"fails [{how}]"
    else:
        found = "affine hull full-dimensional; the full C(N, d) test was not run (cost)"
    rows.append(Row(
        "digits-general-position", f"digits (N = {n:,}, 64 pixels, 10 classes): YSJ19 Assumption 4.1",
        "needed by Cor 4.2 / Thm 4.1",
        f"pixels {', '.join(map(str, zero))} are 0 in every image; the points span an affine subspace "
        f"of dimension {rank} < {d}; {found}",
        "exact test; Cor 4.2 / Thm 4.1 not run" if not gp else "exact test", time.perf_counter() - t,
        {"N": n, "d": d, "zero_pixels": zero, "affine_rank": rank, "witness_rows": [i + 1 for i in witness or []],
         "general_position": gp, "how": how}))
    for cid, label in (("ysj19-prop3.2", "Prop 3.2 ReLU (4 layers, default widths)"),
                       ("zhang17", "Zhang17 (one hidden layer of N ReLUs)")):
        t = time.perf_counter()
        cert, res = run.certify(f"digits-{cid}-n{n}", cid, ds)
        s = cert["sizes"]
        extra = ""
        if cid == "ysj19-prop3.2":
            w = s["widths"]
            extra = f"; 4*floor({w[0]}/4)*floor({w[1]}/4) = {4 * (w[0] // 4) * (w[1] // 4):,} >= N, d3 = {w[2]} >= 4*10"
        rows.append(Row(
            f"digits-{cid}", f"digits memorized by {cid}: {label}", "(real data; not in the paper)",
            f"N = {n:,}: widths {s['widths']}, {s['params_dense']:,} params ({s['params_nonzero']:,} nonzero), "
            f"{s['bit_complexity']} bits{extra}",
            run.certified_text(res), time.perf_counter() - t,
            {"N": n, "widths": s["widths"], "params_dense": s["params_dense"],
             "params_nonzero": s["params_nonzero"], "bit_complexity": s["bit_complexity"], **res}))
    if gp:      # only when the assumption holds (never for digits, which has constant pixels)
        for cid in ("ysj19-cor4.2", "ysj19-thm4.1"):
            t = time.perf_counter()
            cert, res = run.certify(f"digits-{cid}-n{n}", cid, ds)
            rows.append(Row(f"digits-{cid}", f"digits memorized by {cid}", "(real data)",
                            f"hidden {cert['sizes']['hidden_neurons']}", run.certified_text(res),
                            time.perf_counter() - t, {"N": n, **res}))
    return rows


def _rows_text(indices) -> str:
    idx = sorted(i + 1 for i in indices)
    runs, start = [], None
    for k, i in enumerate(idx):
        if start is None:
            start = i
        if k + 1 == len(idx) or idx[k + 1] != i + 1:
            runs.append(f"{start}" if start == i else f"{start}-{i}")
            start = None
    return ", ".join(runs)


BUILDERS = {"imagenet": rows_imagenet, "cifar": rows_cifar, "edges": rows_edges, "digits": rows_digits}


# ---------------------------------------------------------------------------------------------
# Output

COLUMNS = (("claim", "claim"), ("paper", "paper value"), ("ours", "our value"), ("certified", "certified?"))


def format_text(rows: list) -> str:
    out = []
    for r in rows:
        out.append(f"{r.id}  ({r.seconds:.1f} s)")
        for key, title in COLUMNS:
            out.append(f"  {title:12s} {getattr(r, key)}")
    return "\n".join(out) + "\n"


def format_markdown(rows: list) -> str:
    def cell(v):
        return str(v).replace("|", "\\|")

    out = ["| " + " | ".join(t for _, t in COLUMNS) + " | time |", "|---|---|---|---|---|"]
    for r in rows:
        out.append("| " + " | ".join(cell(getattr(r, k)) for k, _ in COLUMNS) + f" | {r.seconds:.0f} s |")
    return "\n".join(out) + "\n"


def run_claims(scale: str = "quick", out: str | None = None, only=None, fmt: str = "text",
               verbose: bool = True, workers: int = 1) -> tuple[int, list]:
    """Run the selected row groups at ``scale``; print the table; return (exit code, rows).
    Exit 0 when every certificate was VERIFIED by check.py, 1 otherwise."""
    if scale not in SCALES:
        raise UsageError(f"--scale: choose {' or '.join(SCALES)}, got {scale!r}")
    groups = list(GROUPS) if not only else [g.strip() for g in only if g.strip()]
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise UsageError(f"--only: unknown row group(s) {', '.join(unknown)} (choose from {', '.join(GROUPS)})")
    if "digits" in groups:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            raise UsageError("the digits rows need scikit-learn: pip install 'exactmem[sklearn]' "
                             "(or leave them out with --only imagenet,cifar,edges)") from None
    tmp = None
    if out is None:
        tmp = tempfile.mkdtemp(prefix="exactmem-claims-")
        folder = Path(tmp)
    else:
        folder = Path(out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"--out {out}: {e.strerror}") from None
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    run = Runner(folder, verbose, workers)
    rows = []
    try:
        for g in groups:
            run.log(f"row group {g} ({scale} scale)")
            rows += BUILDERS[g](run, SCALES[scale])
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if fmt == "json":
        print(json.dumps({"scale": scale, "rows": [r.as_json() for r in rows]}, indent=1))
    elif fmt == "markdown":
        print(format_markdown(rows), end="")
    else:
        print(format_text(rows), end="")
        print(f"certificates {'deleted (temp folder; use --out DIR to keep them)' if tmp else 'in ' + str(folder)}")
    return run.worst, rows

