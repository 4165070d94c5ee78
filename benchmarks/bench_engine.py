"""The exact engine against its kernel, per-point rational loops, float64 and the checker.

Run:  python benchmarks/bench_engine.py [--only CID,...] [--n N] [--repeat R] [--quick] [--out DIR]
      python benchmarks/bench_engine.py --scaling CID --sizes 1000,2000,4000 [--out DIR]

Comparison mode: for each construction of DEFAULTS (or --only), in a fresh process of this script
(so that its peak RSS is that construction's own), the network is built once (untimed; the same
calls as the pipeline makes) and the following are measured in CPU seconds (time.process_time,
least of --repeat runs):

* engine   ``exactmem.engine.forward(network, points)`` on all N points;
* kernel   only the FLINT ``fmpz_mat`` products [W | b] . [A ; c] of every affine map on every
  chunk of points, A being the integer values the engine hands from one map to the next (taken
  from ``engine.forward_integer`` run map by map in an untimed pass) and c the row of column
  denominators; each product is timed on its own and the least times are added;
* Fraction, gmpy2.mpq, sympy.Rational: a neuron-by-neuron loop on the first k points (--subset,
  --sympy-subset), extrapolated linearly to N; its outputs must equal the engine's;
* float64  the network rounded to float64 (``exactmem.interop.export``) evaluated in NumPy, and
  how many points it decodes to another label than the exact output (regression: outputs more
  than 1e-6 relative away from the exact value);
* checker  ``certificates/check.py`` on the certificate, as its own process (CPU time and peak
  RSS of that process, from ``os.wait4``).

Scaling mode: engine and checker CPU time for one construction at several N; the series is kept
(per construction) and drawn on a log-log plot with fitted exponents.

Output: ``results-engine.md`` in --out (default benchmarks/) and ``engine-scaling.png`` in --out
(default docs/). The Markdown file carries its measurements as a JSON comment at its end, so that
a comparison run keeps the scaling series and a scaling run keeps the comparison table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import numbers
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:           # run from a checkout: its exactmem, installed or not
    sys.path.insert(0, str(ROOT))
CHECKER = ROOT / "certificates" / "check.py"
CHECKER_LIMITS = ["--max-work", str(10 ** 14), "--max-memory", str(2 ** 36)]
MD_NAME, PNG_NAME = "results-engine.md", "engine-scaling.png"
DATA_MARK = "<!-- bench_engine data: "

# (construction, data, options): the comparison's defaults.
DEFAULTS = [
    ("zhang17", "random:n=2000,d=8,seed=0", {}),
    ("ysj19-thm3.1", "random:n=2000,d=16,seed=1", {}),
    ("ysj19-cor4.2", "random:n=1000,d=8,classes=4,seed=0", {}),
    ("ysj19-thm4.1", "random:n=1000,d=8,classes=4,seed=0", {}),
    ("vys21", "random:n=4000,d=10,classes=10,seed=0", {}),
    ("yy26", "random:n=2000,d=4,classes=10,seed=1", {"width": 64}),
]
REL_TOL = Fraction(1, 10 ** 6)          # regression: a float output this far (relative) is wrong


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def with_n(spec: str, n: int) -> str:
    """The data spec with its point count replaced by n."""
    out, k = re.subn(r"(?<=[:,])n=\d+", f"n={n}", spec)
    if not k:
        raise SystemExit(f"cannot set n in data spec {spec!r}")
    return out


def spec_n(spec: str) -> int:
    return int(re.search(r"(?<=[:,])n=(\d+)", spec).group(1))


def cpu_min(fn, repeat: int):
    """(least CPU seconds over ``repeat`` calls, the last call's result)."""
    best, result = math.inf, None
    for _ in range(max(1, repeat)):
        t0 = time.process_time()
        result = fn()
        best = min(best, time.process_time() - t0)
    return best, result


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # ru_maxrss: KiB on Linux


# ---------------------------------------------------------------------------------------------
# Building (the pipeline's own calls, once)

def build(cid: str, spec: str, options: dict):
    """(dataset the network memorizes, Built, input dataset) by the calls pipeline._certify makes."""
    from exactmem import data as data_mod, generalposition
    from exactmem.constructions import GENERAL_POSITION, registry

    ds = data_mod.load(spec)
    ds.validate()
    entry = registry()[cid]
    opts = dict(options)
    if cid in GENERAL_POSITION:
        ds2, built, claims, info = generalposition.prepare(ds, None, None, None, lambda d: entry.build(d, **opts))
        built.claims = list(built.claims) + claims
        built.info.update(info)
    else:
        ds2, built = ds, entry.build(ds, **opts)
    return (built.dataset if built.dataset is not None else ds2), built, ds


def certificate(cid, spec, options, ds, built, outputs) -> dict:
    """The certificate pipeline._certify assembles from the same network and outputs."""
    from exactmem.certificate import build_certificate
    from exactmem.constructions import registry

    entry = registry()[cid]
    recipe = {"data": spec, "options": dict(options), "seed": None, "classes": None}
    construction = {"id": entry.id, "paper": entry.paper, "theorem": entry.theorem}
    return build_certificate(ds, construction, built, outputs, recipe)


# ---------------------------------------------------------------------------------------------
# Kernel: the fmpz_mat products alone

class _Held:
    """A value as the engine holds it: numerator over the point's column denominator, not
    reduced, so that forward_integer reads back exactly the engine's integers (it reads only
    ``numerator`` and ``denominator``; registered as a rational for anything that checks)."""
    __slots__ = ("numerator", "denominator")

    def __init__(self, numerator, denominator):
        self.numerator, self.denominator = numerator, denominator


numbers.Rational.register(_Held)


def _wb(layer):
    from flint import fmpz_mat

    return fmpz_mat(layer.n_out, layer.n_in + 1,
                    [v for row, b in zip(layer.weights, layer.bias) for v in (*row, b)])


def _ints(rows, cols):
    """Python ints (the engine may hand back another integer type)."""
    if rows and rows[0] and type(rows[0][0]) is not int:
        rows = [[int(v) for v in row] for row in rows]
    if cols and type(cols[0]) is not int:
        cols = [int(v) for v in cols]
    return rows, cols


def _as_points(rows, cols):
    return [tuple(_Held(row[p], c) for row in rows) for p, c in enumerate(cols)]


def kernel(network, points, outputs, repeat: int) -> dict:
    """CPU seconds of the [W | b] . [A ; c] products alone, per chunk of engine.CHUNK points."""
    from flint import fmpz_mat

    from exactmem import engine
    from exactmem.network import Network, ResidualBlock

    maps = []               # per entry: [(layer, Wb, one-layer network, its prepared maps)]
    for e in network.layers:
        group = []
        n_in = None
        for layer in ((e.inner, e.outer) if isinstance(e, ResidualBlock) else (e,)):
            net = Network(layer.n_in if n_in is None else n_in, (layer,))
            group.append((layer, _wb(layer), net, engine._prepare_network(net)))
            n_in = layer.n_out
        maps.append(group)
    chunk = getattr(engine, "CHUNK", 1024)
    total, products, got = 0.0, 0, []

    def product(Wb, rows, cols):
        nonlocal total, products
        flat = [v for row in rows for v in row] + list(cols)
        A = fmpz_mat(len(rows) + 1, len(cols), flat)
        t, _ = cpu_min(lambda: Wb * A, repeat)
        total += t
        products += 1

    for start in range(0, len(points), chunk):
        part = points[start:start + chunk]
        cols = [math.lcm(*(v.denominator for v in p)) for p in part]
        rows = [[p[j].numerator * (c // p[j].denominator) for p, c in zip(part, cols)]
                for j in range(network.input_dim)]
        for group in maps:
            r, c = rows, cols
            for layer, Wb, net, prepared in group:
                product(Wb, r, c)
                r, c = engine.forward_integer(net, _as_points(r, c), prepared=prepared)
                r, c = _ints(r, c)
            if len(group) == 2:                       # residual block: h + outer(inner(h)), over lcm's
                new = [math.lcm(a, b) for a, b in zip(cols, c)]
                r = [[x * (m // a) + y * (m // b) for x, y, a, b, m in zip(r1, r2, cols, c, new)]
                     for r1, r2 in zip(rows, r)]
                c = new
            rows, cols = r, c
        got += [tuple(Fraction(row[p], cols[p]) for row in rows) for p in range(len(part))]
    assert got == list(outputs), "kernel pass: the map-by-map values differ from engine.forward's"
    packed = getattr(engine, "integral", None)
    note = ""
    if callable(packed) and packed(network):
        note = "‡"
    return {"kernel_s": total, "products": products, "kernel_note": note}


# ---------------------------------------------------------------------------------------------
# Per-point reference loops

def _ref_maps(network, mk):
    from exactmem.network import ResidualBlock

    def conv(layer):
        return ([[mk(w, den) for w in row] for row, den in zip(layer.weights, layer.dens)],
                [mk(b, den) for b, den in zip(layer.bias, layer.dens)], layer.activation)
    return [(conv(e.inner), conv(e.outer)) if isinstance(e, ResidualBlock) else (conv(e),) for e in network.layers]


def _ref_apply(m, h, zero, one):
    W, B, act = m
    out = []
    for row, b in zip(W, B):
        s = b
        for w, x in zip(row, h):
            s = s + w * x
        if act == "relu":
            s = s if s > zero else zero
        elif act == "hardtanh":
            s = one if s > one else (-one if s < -one else s)
        out.append(s)
    return out


def _ref_eval(maps, x, zero, one):
    h = x
    for entry in maps:
        if len(entry) == 2:
            t = _ref_apply(entry[1], _ref_apply(entry[0], h, zero, one), zero, one)
            h = [a + b for a, b in zip(h, t)]
        else:
            h = _ref_apply(entry[0], h, zero, one)
    return h


def reference(kind: str, network, points, outputs, k: int, repeat: int) -> dict:
    """CPU seconds of a neuron-by-neuron evaluation of the first k points with ``kind``
    rationals (converting the weights once is not timed), and its check against the engine."""
    if kind == "fraction":
        mk, back = Fraction, lambda v: v
    elif kind == "gmpy2":
        import gmpy2

        mk, back = gmpy2.mpq, lambda v: Fraction(int(v.numerator), int(v.denominator))
    else:
        import sympy

        mk, back = sympy.Rational, lambda v: Fraction(int(v.p), int(v.q))
    k = min(k, len(points))
    maps = _ref_maps(network, mk)
    zero, one = mk(0, 1), mk(1, 1)
    sub = points[:k]

    def run():
        return [_ref_eval(maps, [mk(v.numerator, v.denominator) for v in p], zero, one) for p in sub]
    t, res = cpu_min(run, repeat)
    for i, r in enumerate(res):
        assert tuple(back(v) for v in r) == tuple(outputs[i]), f"{kind} loop: point {i} differs from the engine"
    return {"s": t * len(points) / k, "k": k, "measured_s": t}


# ---------------------------------------------------------------------------------------------
# float64

def float64(network, points, outputs, task: str) -> dict:
    """Points whose float64 output decodes to another label than the exact output."""
    import numpy as np

    from exactmem.errors import DataError
    from exactmem.interop.export import float_network, numpy_forward, round_rational

    try:
        entries, _ = float_network(network, "float64")
    except DataError as e:
        return {"float_note": f"n/a ({e})"}
    X = np.array([[round_rational(v.numerator, v.denominator) for v in p] for p in points], dtype=np.float64)
    t, Y = cpu_min(lambda: numpy_forward(entries, X), 1)
    if task == "classification" and Y.shape[1] == 1:
        rule = "round"
        with np.errstate(invalid="ignore"):
            lab = np.rint(Y[:, 0])
        wrong = sum(1 for f, o in zip(lab.tolist(), outputs) if not math.isfinite(f) or f != o[0])
        total = len(points)
    elif task == "classification":
        rule = "argmax"
        exact = [max(range(len(o)), key=o.__getitem__) for o in outputs]
        wrong = sum(1 for row, e in zip(Y.tolist(), exact)
                    if not all(map(math.isfinite, row)) or int(np.argmax(row)) != e or row.count(max(row)) > 1)
        total = len(points)
    else:
        rule = "rel. 1e-6"
        wrong, total = 0, 0
        for row, o in zip(Y.tolist(), outputs):
            for f, e in zip(row, o):
                total += 1
                wrong += not math.isfinite(f) or abs(Fraction(f) - e) > REL_TOL * (abs(e) if e else 1)
    return {"float_s": t, "float_wrong": wrong, "float_total": total, "float_rule": rule}


# ---------------------------------------------------------------------------------------------
# The checker, as its own process

def run_checker(path: str, repeat: int) -> dict:
    best, peak, rc, last = math.inf, 0.0, None, ""
    for _ in range(max(1, repeat)):
        proc = subprocess.Popen([sys.executable, "-I", "-S", str(CHECKER), "-q", path, *CHECKER_LIMITS],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
        best = min(best, ru.ru_utime + ru.ru_stime)
        peak = max(peak, ru.ru_maxrss / 1024)
        last = (out.decode(errors="replace").strip().splitlines() or [""])[-1]
    return {"checker_s": best, "checker_rss": peak, "checker_rc": rc, "checker_last": last}


# ---------------------------------------------------------------------------------------------
# One construction, in its own process

def one(cid: str, spec: str, options: dict, parts: set, repeat: int, subset: int, sympy_subset: int) -> dict:
    from exactmem import engine

    t0 = time.process_time()
    ds, built, ds_in = build(cid, spec, options)
    net, points = built.network, ds.points
    res = {"cid": cid, "spec": spec, "options": options, "n": len(points), "depth": net.depth,
           "width": net.width, "build_s": time.process_time() - t0, "build_rss": peak_mib()}
    log(f"{cid}: built (depth {net.depth}, width {net.width}); engine")
    res["engine_s"], outputs = cpu_min(lambda: engine.forward(net, points), repeat)
    res["engine_rss"] = peak_mib()
    if outputs != ds.targets():
        raise RuntimeError("the engine's outputs are not the labels")
    if "kernel" in parts:
        log(f"{cid}: kernel")
        try:
            res.update(kernel(net, points, outputs, repeat))
        except (TypeError, ValueError) as e:
            res["kernel_note"] = f"n/a ({type(e).__name__}: {e})"
    for kind, k in (("fraction", subset), ("gmpy2", subset), ("sympy", sympy_subset)):
        if kind in parts:
            log(f"{cid}: {kind} loop on {min(k, len(points))} points")
            try:
                res[kind] = reference(kind, net, points, outputs, k, repeat)
            except ImportError as e:
                res[kind] = {"note": f"n/a ({e})"}
    if "float" in parts:
        log(f"{cid}: float64")
        res.update(float64(net, points, outputs, ds_in.task))
    if "checker" in parts:
        log(f"{cid}: certificate and checker")
        with tempfile.TemporaryDirectory() as tmp:
            from exactmem.certificate import certificate_bytes, write_atomic

            path = os.path.join(tmp, "c.json")
            write_atomic(path, certificate_bytes(certificate(cid, spec, options, ds, built, outputs)))
            res["cert_kib"] = os.path.getsize(path) // 1024
            res.update(run_checker(path, repeat))
    return res


def run_one(cid, spec, options, parts, args) -> dict:
    """:func:`one` in a fresh process of this script (its peak RSS is its own)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", cid, "--spec", spec,
           "--options", json.dumps(options), "--parts", ",".join(sorted(parts)), "--repeat", str(args.repeat),
           "--subset", str(args.subset), "--sympy-subset", str(args.sympy_subset)]
    done = subprocess.run(cmd, stdout=subprocess.PIPE)
    lines = done.stdout.decode().strip().splitlines()
    if done.returncode == 0 and lines:
        return json.loads(lines[-1])
    try:
        why = json.loads(lines[-1])["failed"]
    except (IndexError, ValueError, KeyError, TypeError):
        why = f"exit {done.returncode}"
    return {"cid": cid, "spec": spec, "options": options, "n": spec_n(spec), "failed": why}


# ---------------------------------------------------------------------------------------------
# Reporting

def machine() -> dict:
    import flint
    import gmpy2

    try:
        import sympy
        sympy_v = sympy.__version__
    except ImportError:
        sympy_v = "not installed"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "python-flint": flint.__version__, "gmpy2": gmpy2.version(),
            "sympy": sympy_v, "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def machine_line(m: dict) -> str:
    return (f"Machine: {m['cpu']}, {m['cores']} cores, {m['platform']}; Python {m['python']}, python-flint "
            f"{m['python-flint']}, gmpy2 {m['gmpy2']}, sympy {m['sympy']}; {m['date']}.")


def cell(text: str) -> str:
    """Text for a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def fmt(t) -> str:
    if t is None:
        return "–"
    if t >= 100:
        return f"{t:.0f}"
    if t >= 10:
        return f"{t:.1f}"
    if t >= 0.1:
        return f"{t:.2f}"
    return f"{t:.3f}"


def ratio(a, b) -> str:
    if not b:
        return "–"
    r = a / b
    return f"{r:.0f}×" if r >= 10 else f"{r:.2f}×"


def table_rows(rows: list) -> list:
    head = ["| construction | N | data, options | depth | width | engine s | kernel s (share) | "
            "Fraction s† (× engine) | gmpy2 s† (× engine) | sympy s† (× engine) | float64 wrong | "
            "checker s (× engine) | peak RSS MiB build / engine / checker | build s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    out = []
    for r in rows:
        data = r["spec"] + "".join(f", {k}={v}" for k, v in r.get("options", {}).items())
        if "failed" in r:
            out.append(f"| {r['cid']} | {r['n']} | `{data}` | failed ({cell(r['failed'])}) |" + " |" * 10)
            continue
        e = r["engine_s"]
        if "kernel_s" in r:
            kern = f"{fmt(r['kernel_s'])} ({100 * r['kernel_s'] / e:.0f} %)"
            if r.get("kernel_note"):
                kern += f" {r['kernel_note']}"
        else:
            kern = r.get("kernel_note", "–")
        refs = []
        for kind in ("fraction", "gmpy2", "sympy"):
            v = r.get(kind)
            refs.append("–" if v is None else v.get("note") or f"{fmt(v['s'])} ({ratio(v['s'], e)}; k={v['k']})")
        if "float_wrong" in r:
            fl = f"{r['float_wrong']} / {r['float_total']} ({r['float_rule']})"
        else:
            fl = r.get("float_note", "–")
        if "checker_s" in r:
            chk = f"{fmt(r['checker_s'])} ({ratio(r['checker_s'], e)})"
            if r["checker_rc"] != 0:
                chk += f" exit {r['checker_rc']}: {cell(r['checker_last'])}"
        else:
            chk = "–"
        rss = f"{r['build_rss']:.0f} / {r['engine_rss']:.0f} / " + (f"{r['checker_rss']:.0f}" if "checker_rss" in r
                                                                     else "–")
        out.append(f"| {r['cid']} | {r['n']} | `{data}` | {r['depth']} | {r['width']} | {fmt(e)} | {kern} | "
                   + " | ".join(refs) + f" | {fl} | {chk} | {rss} | {fmt(r['build_s'])} |")
    return head + out


def slope(points) -> float | None:
    """The fitted exponent of t = c N^s (the sweep's least squares on logarithms), or None."""
    from exactmem.studies.sweep.fit import loglog_fit
    fit = loglog_fit([n for n, _ in points], [t for _, t in points])
    return fit["slope"] if fit else None


def render(store: dict, png_rel: str) -> str:
    lines = ["# Exact engine benchmark", "",
             "Generated by `benchmarks/bench_engine.py` (its docstring says what each column measures). "
             "CPU seconds (`time.process_time`; the checker's from `os.wait4` on its own process), least of "
             "`--repeat` runs. † extrapolated linearly to N from the k first points (k in the cell). "
             "Peak RSS: of the construction's own process after the build and after the engine run "
             "(`ru_maxrss`, a high-water mark), and of the checker's process.", ""]
    tab = store.get("table")
    if tab:
        lines += ["## Comparison at fixed N", "", machine_line(tab["machine"]), "", f"`{tab['command']}`", ""]
        lines += table_rows(tab["rows"])
        packed = any(r.get("kernel_note") == "‡" for r in tab["rows"])
        lines += ["", "kernel: the FLINT `fmpz_mat` products [W | b] · [A ; c] alone, per affine map (a "
                  "residual block has two; its sum is no product) and per chunk of points, on the integer "
                  "values `engine.forward_integer` passes on map by map; the rest of the engine time is moving "
                  "values between Python and FLINT, activation and reduction."
                  + (" ‡ The engine evaluates this network (every denominator 1) packed, without any "
                     "`fmpz_mat` product: the kernel is then what the `fmpz_mat` formulation would multiply."
                     if packed else ""),
                  "", "float64 wrong: the network rounded to float64, in NumPy; a one-output classification is "
                  "decoded to the nearest integer (round), a one-hot output by argmax (a tie counts as wrong), "
                  "and a regression output is wrong when more than 1e-6 relative away from the exact one "
                  "(more than 1e-6 where the exact one is 0).", ""]
    scaling = store.get("scaling") or {}
    if scaling:
        lines += ["## Scaling", "", f"![engine and checker CPU time against N]({png_rel})", ""]
        for cid in sorted(scaling):
            s = scaling[cid]
            data = s["spec"] + "".join(f", {k}={v}" for k, v in s.get("options", {}).items())
            se = slope([(p["n"], p["engine_s"]) for p in s["points"] if "engine_s" in p])
            sc = slope([(p["n"], p["checker_s"]) for p in s["points"] if "checker_s" in p])
            lines += [f"### {cid}", "", machine_line(s["machine"]), "", f"`{s['command']}`; data `{data}` "
                      f"with n = N. Fitted exponents: engine {se:.2f}, checker {sc:.2f}." if se and sc else
                      f"`{s['command']}`; data `{data}` with n = N.", "",
                      "| N | depth | width | engine s | checker s | checker / engine | peak RSS MiB engine / checker |",
                      "|---|---|---|---|---|---|---|"]
            for p in s["points"]:
                if "failed" in p:
                    lines.append(f"| {p['n']} | failed ({cell(p['failed'])}) | | | | | |")
                    continue
                lines.append(f"| {p['n']} | {p['depth']} | {p['width']} | {fmt(p['engine_s'])} | "
                             f"{fmt(p.get('checker_s'))} | {ratio(p.get('checker_s') or 0, p['engine_s'])} | "
                             f"{p['engine_rss']:.0f} / {p.get('checker_rss', 0):.0f} |")
            lines.append("")
    lines.append(DATA_MARK + json.dumps(store, sort_keys=True) + " -->")
    return "\n".join(lines) + "\n"


def load_store(md: Path) -> dict:
    try:
        text = md.read_text()
    except OSError:
        return {}
    i = text.rfind(DATA_MARK)
    if i < 0:
        return {}
    return json.loads(text[i + len(DATA_MARK):].rsplit("-->", 1)[0])


def plot(store: dict, png: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot", file=sys.stderr)
        return
    scaling = store.get("scaling") or {}
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, cid in enumerate(sorted(scaling)):
        pts = [p for p in scaling[cid]["points"] if "failed" not in p]
        color = f"C{i % 10}"
        for key, style, what in (("engine_s", "o-", "engine"), ("checker_s", "s--", "checker")):
            xy = [(p["n"], p[key]) for p in pts if p.get(key)]
            if not xy:
                continue
            s = slope(xy)
            label = f"{cid} {what}" + (f" (N^{s:.2f})" if s is not None else "")
            ax.loglog([x for x, _ in xy], [y for _, y in xy], style, color=color, label=label)
    ax.set_xlabel("N (points)")
    ax.set_ylabel("CPU seconds")
    ax.set_title("Exact forward pass (engine) and independent checker")
    if ax.lines:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fd, tmp = tempfile.mkstemp(dir=png.parent, prefix=f".{png.name}.", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, png)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="constructions to run, comma-separated (default: all of DEFAULTS)")
    ap.add_argument("--n", type=int, help="number of points for every construction (default: its own)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement; the least is kept")
    ap.add_argument("--subset", type=int, default=20, help="points of the Fraction and gmpy2 loops")
    ap.add_argument("--sympy-subset", type=int, default=3, help="points of the sympy loop")
    ap.add_argument("--quick", action="store_true", help="smoke test: every N divided by 10, subsets of 3")
    ap.add_argument("--scaling", metavar="CID", help="engine and checker time of CID against N (--sizes)")
    ap.add_argument("--sizes", default="1000,2000,4000,8000")
    ap.add_argument("--out", help="folder for results-engine.md and engine-scaling.png "
                                  "(default: benchmarks/ and docs/)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    ap.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    ap.add_argument("--parts", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        try:
            res = one(args.one, args.spec, json.loads(args.options), set(args.parts.split(",")), args.repeat,
                      args.subset, args.sympy_subset)
        except Exception as e:          # reported in the table (and the traceback on stderr)
            traceback.print_exc()
            print(json.dumps({"failed": f"{type(e).__name__}: {e}"}), flush=True)
            sys.exit(1)
        print(json.dumps(res, sort_keys=True), flush=True)
        return
    if args.quick:
        args.subset, args.sympy_subset = 3, min(args.sympy_subset, 3)
    md = Path(args.out or ROOT / "benchmarks") / MD_NAME
    png = Path(args.out or ROOT / "docs") / PNG_NAME
    md.parent.mkdir(parents=True, exist_ok=True)
    defaults = {cid: (spec, opts) for cid, spec, opts in DEFAULTS}
    command = "python benchmarks/bench_engine.py " + " ".join(sys.argv[1:])
    store = load_store(md)
    if args.scaling:
        cid = args.scaling
        if cid not in defaults:
            raise SystemExit(f"--scaling: no default data for {cid!r} (choose from {', '.join(defaults)})")
        spec, opts = defaults[cid]
        points = []
        for n in map(int, args.sizes.split(",")):
            log(f"scaling {cid}: N = {n}")
            r = run_one(cid, with_n(spec, n), opts, {"checker"}, args)
            points.append({k: r[k] for k in ("n", "depth", "width", "engine_s", "engine_rss", "checker_s",
                                              "checker_rss", "checker_rc", "failed") if k in r})
            print(json.dumps(points[-1]), flush=True)
        store.setdefault("scaling", {})[cid] = {"machine": machine(), "command": command, "spec": spec,
                                                "options": opts, "points": points}
    else:
        cids = args.only.split(",") if args.only else list(defaults)
        unknown = [c for c in cids if c not in defaults]
        if unknown:
            raise SystemExit(f"--only: no default data for {', '.join(unknown)} (choose from {', '.join(defaults)})")
        rows = []
        for cid in cids:
            spec, opts = defaults[cid]
            n = args.n or (max(1, spec_n(spec) // 10) if args.quick else None)
            if n:
                spec = with_n(spec, n)
            log(f"{cid} on {spec}")
            rows.append(run_one(cid, spec, opts, {"kernel", "fraction", "gmpy2", "sympy", "float", "checker"}, args))
            print(table_rows(rows)[-1], flush=True)
        store["table"] = {"machine": machine(), "command": command, "rows": rows}
    png_rel = os.path.relpath(png, md.parent)
    from exactmem.certificate import write_atomic
    write_atomic(md, render(store, png_rel).encode())
    print("results:", md, file=sys.stderr)
    if args.scaling:
        plot(store, png)
        print("plot:", png, file=sys.stderr)


if __name__ == "__main__":
    main()
