"""``exactmem report``: a results store as ``report.md`` plus PNG plots.

Per construction: a table of every row (row id and certificate file first), the hidden constant
(measured/bound ratio) per series with its N range, log-log fits with 95% intervals for the
weight bits, the minimum precision and the primary measured size (:mod:`.fit`), and one figure
(size beside bound, ratio, bits, time, all against N).  Then one plot of the width-depth
trade-off across constructions.  Every number names the row id(s) it came from.  Output is
deterministic for the same store, timing columns and the time plots aside (rows are ordered by
construction, series, N, seed and id; plots use the Agg backend with fixed metadata).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from ...certificate import write_atomic
from ...errors import UsageError
from . import store as st
from .fit import loglog_fit

FIT_QUANTITIES = (("bit_complexity", "weight bits (bit complexity)"),
                  ("float_p", "least float weight precision p"),
                  ("arith_p", "least MPFR arithmetic precision p"),
                  ("fixed_k", "least fixed-point k"))


def series_label(series: str) -> str:
    """A short, human label of a series' canonical JSON."""
    s = json.loads(series)
    parts = [f"d={s['d']}", f"C={s['classes']}" if s["classes"] is not None else f"dy={s['dy']}"]
    parts += [f"{k}={json.dumps(v) if isinstance(v, list) else v}" for k, v in sorted(s["options"].items())]
    return " ".join(parts)


def _ids(rows) -> str:
    ids = sorted(r["id"] for r in rows)
    out, start, prev = [], None, None
    for i in ids + [None]:
        if start is None:
            start = prev = i
        elif i is not None and i == prev + 1:
            prev = i
        else:
            out.append(f"#{start}" if start == prev else f"#{start}-#{prev}")
            start = prev = i
    return ", ".join(out)


def _g(v, digits=3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}g}" if abs(v) < 1e6 else f"{v:.3e}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _order(r):
    return (r["construction"], r["series"], r["n"], r["seed"], r["id"])


def load_rows(store_path) -> tuple[list, dict]:
    con = st.connect(store_path, create=False)
    try:
        rows = st.rows(con)
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()
    return sorted(rows, key=_order), meta


def write_report(store_path, out_dir, plots: bool = True) -> Path:
    """Write ``report.md`` (and the PNGs) for the store into ``out_dir``; returns report.md's path."""
    rows, meta = load_rows(store_path)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out {out}: {e.strerror}") from None
    plt = _pyplot() if plots else None
    md = [f"# Sweep report: `{Path(store_path).name}`\n\n"]
    ok = [r for r in rows if r["status"] == "ok"]
    by_status = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    md.append(f"{len(rows)} rows ({', '.join(f'{v} {k}' for k, v in sorted(by_status.items()))}); "
              f"machine: {meta.get('machine', 'not recorded')}.\n\n")
    md.append(METHOD)
    for cid in sorted({r["construction"] for r in rows}):
        md.append(_construction(cid, [r for r in rows if r["construction"] == cid], out, plt))
    md.append(_tradeoff(ok, out, plt))
    bad = [r for r in rows if r["status"] != "ok"]
    if bad:
        md.append("## Rows that did not certify\n\n| row | construction | N | options | status | reason |\n"
                  "|---|---|---|---|---|---|\n")
        for r in bad:
            md.append(f"| #{r['id']} | {r['construction']} | {r['n']} | `{json.dumps(r['options'], sort_keys=True)}` | "
                      f"{r['status']} | {(r['message'] or r['verdict'] or '').replace('|', '/')} |\n")
        md.append("\n")
    path = out / "report.md"
    write_atomic(path, "".join(md).encode())
    return path


METHOD = """## How to read this report

* **Row ids** (`#` and a number) are the store's row ids; each row is one configuration built, certified,
  checked by the independent checker (its verdict is in the table) and optionally measured for
  minimum precision. The certificate of row #k is the file in the *cert* column (relative to the
  store's folder); its SHA-256 is in the store.
* **Bound** is the theorem's formula for that configuration, computed by the sweep
  (`exactmem/studies/sweep/bounds.py`, citing the construction's document). **ratio** =
  measured / bound: for a sufficient size (kind *upper*) the constant by which the construction
  exceeds or undercuts the theorem's count; for a growth rate with no stated constant (kind
  *reference*, e.g. VYS21's O~(sqrt N) depth) it *is* the hidden constant.
* **Minimum precision** (when measured): *k* the least grid 2^-k of fixed-point weights, *p* the
  least significant bits of floating weights, *MPFR p* the least precision of a whole
  floating-point forward pass that still gets every point right (`docs/precision.md`).
* **Fits**: y = c * N^s by ordinary least squares on (ln N, ln y) over the rows listed (y > 0 only);
  the 95% interval of the slope s is s +- t * se, se = sqrt(RSS / (k - 2) / S_xx), t the 97.5%
  quantile of Student's t with k - 2 degrees of freedom, k the number of rows. It assumes
  independent, equal-variance normal residuals of ln y; with few N, or several seeds at each N,
  read the interval as indicative. A slope of 0.5 is sqrt N growth.
* *k, p certificates verified*: for a row with precision, the least fixed-point k and float p are
  each backed by a "k bits suffice" certificate and a "k - 1 bits fail" witness (docs/precision.md),
  written into the folder `<certificate>-precision/` beside it; the column counts those the
  independent checker VERIFIED, out of those written.
* Times (build, check, precision) and peak RSS vary between runs; everything else is
  deterministic for a given store. Peak RSS is the worker process's high-water mark when the row
  finished (an upper bound on the row's own peak).

"""


def _row_table(rows) -> str:
    head = ("| row | cert | N | seed | depth | width | hidden | dense | nonzero | bits | bound: measured / value = ratio "
            "| k | p | MPFR p | checker | k, p certificates verified | build s | check s | prec s | RSS MiB |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    out = [head]
    for r in rows:
        if r["status"] != "ok":
            continue
        b = (f"{r['bound_quantity']}: {_g(r['bound_measured'])} / {_g(r['bound_value'], 4)} = {_g(r['bound_ratio'], 4)}"
             if r["bound_quantity"] else "-")
        verdict = (r["verdict"] or "").split()[1] if (r["verdict"] or "").startswith("s ") else r["verdict"]
        checks = r.get("precision_checks") or []
        certs = f"{sum(c['exit'] == 0 for c in checks)}/{len(checks)}" if checks else "-"
        out.append(f"| #{r['id']} | `{Path(r['cert_path']).name}` | {r['n']:,} | {r['seed']} | {r['depth']} | {r['width']} "
                   f"| {r['hidden_neurons']:,} | {r['params_dense']:,} | {r['params_nonzero']:,} | {r['bit_complexity']} "
                   f"| {b} | {_g(r['fixed_k'])} | {_g(r['float_p'])} | {_g(r['arith_p'])} | {verdict} | {certs} "
                   f"| {_g(r['build_s'])} | {_g(r['check_s'])} | {_g(r['precision_s'])} "
                   f"| {_g(r['peak_rss_kib'] / 1024 if r['peak_rss_kib'] else None)} |\n")
    return "".join(out) + "\n"


def _constants(series_rows) -> str:
    out = ["| series | bound | formula | kind | N range | ratio min (row) | median | max (row) |\n"
           "|---|---|---|---|---|---|---|---|\n"]
    for label, rows in series_rows:
        quantities = []
        for r in rows:
            for b in r["bounds"] or []:
                if b["quantity"] not in quantities:
                    quantities.append(b["quantity"])
        for q in quantities:
            pts = [(b["ratio"], r, b) for r in rows for b in r["bounds"] or [] if b["quantity"] == q
                   and b["ratio"] is not None]
            if not pts:
                continue
            lo = min(pts, key=lambda p: (p[0], p[1]["id"]))
            hi = max(pts, key=lambda p: (p[0], -p[1]["id"]))
            med = statistics.median(p[0] for p in pts)
            ns = [p[1]["n"] for p in pts]
            out.append(f"| {label} | {q} | {lo[2]['formula']} | {lo[2]['kind']} | {min(ns):,}..{max(ns):,} "
                       f"| {lo[0]:.4g} (#{lo[1]['id']}) | {med:.4g} | {hi[0]:.4g} (#{hi[1]['id']}) |\n")
    return "".join(out) + "\n"


def fits_for(rows) -> list[tuple[str, dict, list]]:
    """(quantity, fit, rows used) for the weight bits, the minimum precisions and the primary
    bound's measured size of one series; only quantities with >= 2 distinct N."""
    out = []
    quantities = list(FIT_QUANTITIES)
    if rows and rows[0]["bound_quantity"] and rows[0]["bound_quantity"] != "bit_complexity":
        quantities.append(("bound_measured", f"measured {rows[0]['bound_quantity']}"))
    for key, label in quantities:
        used = [r for r in rows if r[key] is not None and r[key] > 0]
        f = loglog_fit([r["n"] for r in used], [r[key] for r in used])
        if f is not None:
            out.append((label, f, used))
    return out


def _fits(series_rows) -> str:
    out = ["| series | quantity | slope s | 95% interval | constant c | N range | rows |\n"
           "|---|---|---|---|---|---|---|\n"]
    for label, rows in series_rows:
        for q, f, used in fits_for(rows):
            ci = "-" if f["ci"] is None else f"[{f['ci'][0]:.3f}, {f['ci'][1]:.3f}]"
            out.append(f"| {label} | {q} | {f['slope']:.3f} | {ci} | {f['c']:.4g} | {f['n_min']:,}..{f['n_max']:,} "
                       f"| {_ids(used)} |\n")
    return "".join(out) + "\n"


def _construction(cid: str, rows: list, out: Path, plt) -> str:
    ok = [r for r in rows if r["status"] == "ok"]
    md = [f"## {cid}\n\n"]
    if not ok:
        return md[0] + "No certified rows.\n\n"
    labels = sorted({r["series"] for r in ok})
    series_rows = [(series_label(s), [r for r in ok if r["series"] == s]) for s in labels]
    if plt is not None:
        png = f"{cid}.png"
        _plot_construction(plt, cid, series_rows, out / png)
        md.append(f"![{cid}: size beside bound, ratio, bits, time against N]({png})\n\n")
    for label, srows in series_rows:
        md.append(f"### {cid}, {label}\n\n" + _row_table(srows))
    md.append(f"### {cid}: measured / bound (the hidden constant)\n\n" + _constants(series_rows))
    md.append(f"### {cid}: log-log fits against N\n\n" + _fits(series_rows))
    return "".join(md)


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("exactmem report needs matplotlib: pip install 'matplotlib>=3.7'") from None
    return plt


_META = {"Software": None}      # no version or date in the PNGs: the same store gives the same bytes


def _plot_construction(plt, cid, series_rows, png: Path) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    (a_size, a_ratio), (a_bits, a_time) = axes
    for i, (label, rows) in enumerate(series_rows):
        color = f"C{i % 10}"
        rows = sorted(rows, key=lambda r: (r["n"], r["id"]))
        ns = [r["n"] for r in rows]
        q = rows[0]["bound_quantity"]
        if q:
            a_size.plot(ns, [r["bound_measured"] for r in rows], "o", color=color, label=f"{label}: measured {q}")
            a_size.plot(ns, [r["bound_value"] for r in rows], "--", color=color, label=f"{label}: theorem's bound")
            a_ratio.plot(ns, [r["bound_ratio"] for r in rows], "o-", color=color, label=f"{label} ({q})")
        for key, mk, name in (("bit_complexity", "o", "weight bits"), ("float_p", "s", "float p"),
                              ("arith_p", "^", "MPFR p")):
            used = [r for r in rows if r[key] is not None and r[key] > 0]
            if not used:
                continue
            a_bits.plot([r["n"] for r in used], [r[key] for r in used], mk, color=color, alpha=0.8,
                        label=f"{label}: {name}")
            f = loglog_fit([r["n"] for r in used], [r[key] for r in used])
            if f is not None:
                xs = [f["n_min"], f["n_max"]]
                a_bits.plot(xs, [f["c"] * x ** f["slope"] for x in xs], "-", color=color, alpha=0.5, linewidth=1)
        a_time.plot(ns, [r["build_s"] for r in rows], "o-", color=color, label=f"{label}: build")
        a_time.plot(ns, [r["check_s"] for r in rows], "x:", color=color, label=f"{label}: check")
    a_size.set(xscale="log", yscale="log", xlabel="N (points)", ylabel="size",
               title="measured size (dots) beside the theorem's bound (dashed)")
    a_ratio.set(xscale="log", xlabel="N (points)", ylabel="measured / bound",
                title="the hidden constant: measured / bound")
    a_bits.set(xscale="log", yscale="log", xlabel="N (points)", ylabel="bits",
               title="weight bits and minimum precision (lines: log-log fits)")
    a_time.set(xscale="log", yscale="log", xlabel="N (points)", ylabel="seconds", title="build and check time")
    for ax in axes.flat:
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6)
    fig.suptitle(f"{cid}: sizes, bound, bits and time against N", fontsize=11)
    fig.tight_layout()
    fig.savefig(png, dpi=100, metadata=_META)
    plt.close(fig)


def _tradeoff(ok: list, out: Path, plt) -> str:
    md = ["## Width against depth, all constructions\n\n"]
    if not ok:
        return md[0] + "No certified rows.\n\n"
    if plt is not None:
        fig, ax = plt.subplots(figsize=(8, 6))
        for i, cid in enumerate(sorted({r["construction"] for r in ok})):
            rs = [r for r in ok if r["construction"] == cid]
            ax.scatter([r["width"] for r in rs], [r["depth"] for r in rs], s=[12 + 6 * r["n"].bit_length() for r in rs],
                       marker="os^vD<>ph*"[i % 10], color=f"C{i % 10}", alpha=0.7, label=cid)
        ax.set(xscale="log", yscale="log", xlabel="width (widest hidden layer)", ylabel="depth (affine maps)",
               title="width-depth trade-off (marker size grows with log N)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "tradeoff.png", dpi=100, metadata=_META)
        plt.close(fig)
        md.append("![width against depth across constructions](tradeoff.png)\n\n")
    md.append("| construction | N range | width range (rows) | depth range (rows) |\n|---|---|---|---|\n")
    for cid in sorted({r["construction"] for r in ok}):
        rs = [r for r in ok if r["construction"] == cid]
        wlo, whi = min(rs, key=lambda r: (r["width"], r["id"])), max(rs, key=lambda r: (r["width"], -r["id"]))
        dlo, dhi = min(rs, key=lambda r: (r["depth"], r["id"])), max(rs, key=lambda r: (r["depth"], -r["id"]))
        md.append(f"| {cid} | {min(r['n'] for r in rs):,}..{max(r['n'] for r in rs):,} | {wlo['width']} (#{wlo['id']}).."
                  f"{whi['width']} (#{whi['id']}) | {dlo['depth']} (#{dlo['id']})..{dhi['depth']} (#{dhi['id']}) |\n")
    return "".join(md) + "\n"
