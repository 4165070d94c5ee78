"""``exactmem tradeoff``: the yy26 family across target widths W on one dataset.

For every W: build and certify the network (:func:`exactmem.constructions.yy26.theorem_r1`),
write its certificate, run the independent checker, and record W, L, W^2 L^2, N log2(1/delta),
parameters, bits and times in a markdown table; then plot L against W (log-log) with the
planner's curve L(W), a W*L = const line and the VC lower-bound curve L_min(W).
``--tiny-delta`` builds the depth-3 member on N points whose minimum distance is exactly
2^-200 (see docs/yy26.md: the two readings of the abstract's lower bound).

A study: it imports the core (pipeline, certificate, checker, the yy26 construction) and never
the CLI; no core module imports it.
"""

from __future__ import annotations

import math
import sys
import time
from fractions import Fraction
from pathlib import Path

from ..certificate import certificate_bytes, write_atomic
from ..checker import run_checker
from ..constructions import yy26
from ..data import Dataset, canonical_bytes, random_dataset
from ..errors import ConstructionError, UsageError
from ..pipeline import certify_with_data

TINY_LOG2 = 200


def tiny_delta_dataset(n: int = 1000, d: int = 2, classes: int = 10, seed: int = 0,
                       log2_inv_delta: int = TINY_LOG2) -> Dataset:
    """N - 1 random points of the grid 2^-16 Z^d in the unit ball, plus one point 2^-log2_inv_delta
    from the first (moved along x_1 towards 0, so it stays in the cube), with another label:
    the minimum distance is exactly delta = 2^-log2_inv_delta."""
    if n < 2:
        raise ConstructionError("--tiny-delta needs N >= 2")
    base = random_dataset(n=n - 1, d=d, classes=classes, seed=seed, bits=16)
    x0 = base.points[0]
    step = Fraction(1, 1 << log2_inv_delta)
    x1 = (x0[0] - step if x0[0] > 0 else x0[0] + step,) + tuple(x0[1:])
    label = base.labels[0] % classes + 1
    return Dataset(base.points + (x1,), base.labels + (label,), "classification", classes,
                   source=f"tiny-delta n={n} d={d} classes={classes} seed={seed} delta=2^-{log2_inv_delta}").validate()


def _row(cert: dict, W, t_build: float, t_check, verdict: str) -> dict:
    s, i = cert["sizes"], cert["info"]
    return {"W": W, "mode": i["mode"], "cfg": " ".join(f"{k}={v}" for k, v in i["config"].items()),
            "L": s["depth"], "W_act": s["width"], "W2L2": i["W2L2"], "NlgD": i.get("N_log2_inv_delta", "-"),
            "ratio_delta": i.get("ratio_delta", "-"), "ratio_F": i["ratio_F"], "L_D": i["L_D"], "L_S": i["L_S"],
            "Lmin": i["lower_bound"]["L_min_vc_at_measured_width"], "dense": s["params_dense"],
            "nnz": s["params_nonzero"], "bits": s["bit_complexity"], "bits1": i["bits_stage1"],
            "bits23": i["bits_after_first"], "build": t_build, "check": t_check, "verdict": verdict}


def certify_one(spec_or_ds, options: dict, out_path: Path, seed=None, classes=None, check=True) -> tuple:
    """(certificate, dataset, row) for one yy26 build; the certificate is written to ``out_path``."""
    t0 = time.perf_counter()
    cert, ds = certify_with_data("yy26", spec_or_ds, options, seed, classes)
    t_build = time.perf_counter() - t0
    write_atomic(out_path, certificate_bytes(cert))
    if check:
        t0 = time.perf_counter()
        code, verdict = run_checker(out_path, quiet=True, capture=True)
        t_check = time.perf_counter() - t0
        verdict = verdict.split()[1] if verdict.startswith("s ") else verdict
    else:
        code, verdict, t_check = 0, "not run", None
    return cert, ds, _row(cert, options.get("width"), t_build, t_check, verdict), code


HEADER = ("| W | mode | config | L | W_act | W_act²L² | N·log₂(1/δ) | W²L²/(N log₂(1/δ)) | W²L²/(N(F+1)) "
          "| L_D | L_S | L_min^VC | dense | nonzero | bits (layer 1 / rest) | build s | check s | checker |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")


def _fmt_row(r: dict) -> str:
    t = "-" if r["check"] is None else f"{r['check']:.2f}"
    return (f"| {r['W']} | {r['mode']} | {r['cfg']} | {r['L']} | {r['W_act']} | {r['W2L2']:,} | {r['NlgD']} | "
            f"{r['ratio_delta']} | {r['ratio_F']} | {r['L_D'] if r['L_D'] is not None else '-'} | "
            f"{r['L_S'] if r['L_S'] is not None else '-'} | {r['Lmin']} | {r['dense']:,} | {r['nnz']:,} | "
            f"{r['bits']} ({r['bits1']} / {r['bits23']}) | {r['build']:.2f} | {t} | {r['verdict']} |\n")


def _dataset_line(cert: dict) -> str:
    i = cert["info"]
    dd = cert["dataset"]
    return (f"N = {dd['n']}, d = {dd['d']}, C = {i['C']}, δ² = {_short(i.get('delta_sq', '-'))}, "
            f"log₂(1/δ) = {i.get('log2_inv_delta', '-')}, ρ = {i['rho']}, λ = {i['lambda']}, F = ρ + λ = {i['F']}")


def _short(text: str, keep: int = 40) -> str:
    return text if len(text) <= keep else text[:keep // 2] + "…" + text[-keep // 2:]


def run_tradeoff(data_spec, widths, out: Path, seed=None, classes=None, check=True, plot=True,
                 tiny_delta=False, tiny_n=1000, title=None) -> int:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out {out}: {e.strerror}") from None
    md = [f"# yy26 width–depth trade-off{': ' + title if title else ''}\n\n"]
    worst = 0
    rows, first, ds, refused = [], None, None, []
    if widths:
        md.append(f"Data: `{data_spec}`" + (f", seed {seed}" if seed is not None else "") + "\n\n")
        for W in widths:
            try:
                cert, ds, row, code = certify_one(data_spec, {"width": W}, out / f"yy26-W{W}.json", seed, classes, check)
            except ConstructionError as e:
                print(f"W={W}: refused: {e}", file=sys.stderr)
                refused.append(f"* W = {W}: refused ({e})\n")
                continue
            worst = max(worst, code)
            first = first or cert
            rows.append(row)
            print(f"W={W}: {row['mode']} {row['cfg']} L={row['L']} W_act={row['W_act']} W²L²={row['W2L2']} "
                  f"N·log2(1/δ)={row['NlgD']} ratio_δ={row['ratio_delta']} dense={row['dense']} bits={row['bits']} "
                  f"build {row['build']:.2f}s check {row['check'] if row['check'] is None else round(row['check'], 2)}s "
                  f"{row['verdict']}", flush=True)
        if first:
            md.append(_dataset_line(first) + "\n\n" + HEADER + "".join(_fmt_row(r) for r in rows) + "\n")
        md += refused + (["\n"] if refused else [])
        if first:
            lb = first["info"]["lower_bound"]
            md.append("W = target width, W_act = measured width, L = depth; ratios use W_act. L_D, L_S: the planner's "
                      "depth for each mode at this W (the network is the smaller, ties to S). L_min^VC: the least "
                      "depth at which a uniform width-W_act architecture has VC_up ≥ N.\n\n"
                      f"Lower-bound calculator: {lb['formula']}. Source: {lb['source']}. "
                      f"Closed form: {lb['closed_form']}.\n\n")
            if plot:
                png = out / "tradeoff.png"
                if _plot(rows, first, ds, png, title or data_spec):
                    md.append(f"![L against W]({png.name})\n\n")
    if tiny_delta:
        md.append(_tiny(out, tiny_n, seed or 0, check))
    write_atomic(out / "tradeoff.md", "".join(md).encode())
    print(f"wrote {out / 'tradeoff.md'}")
    return worst


TINY_SWEEP = (50, 100, 200, 400)


def _tiny(out: Path, n: int, seed: int, check: bool) -> str:
    """The depth-3 member at delta = 2^-e for e in TINY_SWEEP (same N - 1 base points); the
    e = 200 certificate is the headline.  W^2 L^2 does not move while N log2(1/delta) grows."""
    rows, head = [], None
    for e in TINY_SWEEP:
        ds = tiny_delta_dataset(n=n, seed=seed, log2_inv_delta=e)
        data_path = out / f"tiny-delta-n{n}-e{e}.json"
        body = {"task": "classification", "classes": ds.classes, "labels": list(ds.labels),   # decimal p/q: the
                "points": [[str(v) for v in x] for x in ds.points]}                      # data loader reads no hex
        write_atomic(data_path, canonical_bytes(body))
        cert, ds, row, code = certify_one(str(data_path), {"depth": 3}, out / f"yy26-tiny-delta-n{n}-e{e}.json",
                                          check=check)
        claims = {c["id"]: c for c in cert["claims"]}
        rows.append((e, cert, row, claims))
        if e == TINY_LOG2:
            head = (cert, row, claims, data_path)
    cert, row, claims, data_path = head
    i = cert["info"]
    k = i["log2_inv_delta_floor"]
    up = claims.get("ratio-delta-upper")
    lines = [
        f"Depth-3 member on N = {n} points with delta = 2^-{TINY_LOG2} exactly (d = 2, C = 10, {data_path.name}):",
        f"  measured  W^2 L^2 = {row['W_act']}^2 * {row['L']}^2 = {row['W2L2']:,}",
        f"  beside    N log2(1/delta) = {n} * {i['log2_inv_delta']} = {i['N_log2_inv_delta']}   "
        f"(N / log2(1/delta) = {Fraction(n, TINY_LOG2)})",
        f"  ratio     W^2 L^2 / (N log2(1/delta)) = {i['ratio_delta']}",
        f"  certified delta <= 2^-{k} and delta > 2^-{k + 1} (claims log2-inv-delta-lo/hi), "
        f"and {up['statement'] if up else '-'}",
        f"  bits      {row['bits']} (layer 1: {row['bits1']}, after it: {row['bits23']}); dense {row['dense']:,}; "
        f"checker {row['verdict']}",
        "",
        "  log2(1/delta)   W   L   W^2 L^2   N log2(1/delta)   ratio    bits (layer 1 / rest)   checker",
    ]
    for e, c, r, _ in rows:
        lines.append(f"  {e:13d} {r['W_act']:3d} {r['L']:3d} {r['W2L2']:9,d} {n * e:17,d}   {r['ratio_delta']:7s}"
                     f"  {r['bits']:4d} ({r['bits1']} / {r['bits23']})          {r['verdict']}")
    print("\n".join(lines))
    return ("## Tiny delta: the two readings of the lower bound\n\n```\n" + "\n".join(lines) + "\n```\n\n"
            "Checked claims of the 2^-200 certificate: " + "; ".join(
                f"`{c['statement'] if len(c['statement']) < 80 else c['statement'][:40] + ' ... ' + c['statement'][-25:]}`"
                for c in cert["claims"] if c["id"].startswith(("log2-inv", "ratio"))) + "\n")


def _plot(rows, cert, ds, png: Path, title: str) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (a dependency of exactmem: pip install matplotlib): no plot", file=sys.stderr)
        return False
    i = cert["info"]
    n, d, F = i["N"], cert["dataset"]["d"], i["F"]
    Ws = sorted({r["W"] for r in rows})
    lo, hi = min(min(Ws), 7), max(max(Ws), 2 * math.isqrt(n) + 2)
    grid = sorted({round(lo * (hi / lo) ** (j / 60)) for j in range(61)} | set(Ws))
    curve = [(W, yy26.plan(n, F, W)) for W in grid if W >= yy26.min_width(n)]
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.step([W for W, p in curve], [p.depth for W, p in curve], where="post", color="0.6",
            label="planner L(W) = min(L_D, L_S)")
    for mode, mk in (("D", "o"), ("S", "s")):
        pts = [(r["W"], r["L"]) for r in rows if r["mode"] == mode]
        if pts:
            ax.scatter(*zip(*pts), marker=mk, zorder=3, label=f"built and certified, Mode {mode}")
    prods = [r["W"] * r["L"] for r in rows if r["mode"] == "D"] or [r["W"] * r["L"] for r in rows]
    c = math.exp(sum(math.log(v) for v in prods) / len(prods))
    lg = float(i.get("log2_inv_delta", "nan"))
    ax.plot(grid, [c / W for W in grid], "--", color="C2",
            label=f"W·L = {c:.0f} (= {c / math.sqrt(n * lg):.1f}·√(N log₂ 1/δ))" if lg == lg else f"W·L = {c:.0f}")
    lmin = [(W, yy26.depth_lower_bound(n, d, W)) for W in grid]
    ax.step(*zip(*lmin), ":", where="post", color="C3", label="VC lower bound L_min(W) (BHLM form)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("target width W (measured width <= W)")
    ax.set_ylabel("depth L")
    ax.set_title(f"yy26: {title} (N={n}, F={F})", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)
    return True
