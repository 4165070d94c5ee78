"""Running a sweep: every configuration built, certified, checked, optionally measured for
minimum precision, and stored as one row.

One run (:func:`run_one`): the pipeline builds and certifies the configuration
(:func:`exactmem.pipeline.certify_with_data`), the certificate is written atomically into the
certificates' folder beside the store, the independent checker runs on it in its own interpreter
(:func:`exactmem.checker.run_checker`), the precision study measures the least fixed-point k,
float p and MPFR p (:func:`exactmem.studies.precision.analyze`, when the series asks for it), the
theorem's bounds are computed (:mod:`.bounds`), and only then is the row inserted, in one
transaction (:func:`.store.insert_row`).  A configuration the construction refuses
(ConstructionError, DataError) is stored as a ``refused`` row with its one-line reason, so a
resumed sweep does not retry it.

:func:`run_sweep` skips every key already in the store and runs the rest in this process
(``workers=1``) or in K worker processes, each inserting its own rows.  The environment variable
``EXACTMEM_SWEEP_TEST_DELAY`` (seconds) makes every run wait that long before inserting its row; the
tests use it to interrupt a sweep between rows.
"""

from __future__ import annotations

import hashlib
import os
import platform
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from ... import __version__
from ...certificate import certificate_bytes, write_atomic
from ...checker import LONG_RUN_LIMITS, run_checker
from ...errors import ConstructionError, DataError, UsageError
from ...estimate import LogLines
from ...pipeline import certify_with_data
from . import store as st
from .bounds import bounds_for, measured
from .grid import canonical, data_spec, run_key

DELAY_ENV = "EXACTMEM_SWEEP_TEST_DELAY"


def cert_name(cfg: dict) -> str:
    """The certificate's file name: construction, N and a digest of the run key (deterministic)."""
    digest = hashlib.sha256(run_key(cfg).encode()).hexdigest()[:12]
    return f"{cfg['construction']}-n{cfg['n']}-{digest}.json"


def _peak_rss_kib() -> int:
    """This process's peak resident set size so far, in KiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _base_row(cfg: dict) -> dict:
    return {"run_key": run_key(cfg), "construction": cfg["construction"], "series": cfg["series"],
            "n": cfg["n"], "d": cfg["d"], "dy": cfg["dy"], "classes": cfg["classes"], "seed": cfg["seed"],
            "options": cfg["options"], "config": cfg, "exactmem_version": __version__}


def run_one(cfg: dict, store_path: str) -> dict:
    """Run one configuration and insert its row into the store; returns the row."""
    folder = st.cert_dir(store_path)
    folder.mkdir(exist_ok=True)
    row = _base_row(cfg)
    cid = cfg["construction"]
    t0 = time.perf_counter()
    try:
        cert, ds = certify_with_data(cid, data_spec(cfg), cfg["options"])
    except (ConstructionError, DataError) as e:
        row.update(status="refused", message=str(e).splitlines()[0][:500],
                   build_s=round(time.perf_counter() - t0, 3), peak_rss_kib=_peak_rss_kib())
        return _insert(store_path, row)
    row["build_s"] = round(time.perf_counter() - t0, 3)
    data = certificate_bytes(cert)
    path = folder / cert_name(cfg)
    write_atomic(path, data)
    t0 = time.perf_counter()
    code, verdict = run_checker(path, quiet=True, capture=True, extra=LONG_RUN_LIMITS)
    row["check_s"] = round(time.perf_counter() - t0, 3)
    s = cert["sizes"]
    row.update(status="ok" if code == 0 else "rejected", verdict=verdict,
               cert_path=os.path.relpath(path, Path(store_path).parent), cert_sha256=hashlib.sha256(data).hexdigest(),
               depth=s["depth"], width=s["width"], widths=s["widths"], hidden_neurons=s["hidden_neurons"],
               params_dense=s["params_dense"], params_nonzero=s["params_nonzero"], bit_complexity=s["bit_complexity"])
    bounds = []
    for b in bounds_for(cid, cfg["n"], cfg["d"], cfg["dy"], cfg["classes"], cfg["options"], ds):
        m = measured(s, b["quantity"])
        bounds.append({**b, "measured": m, "ratio": m / b["bound"] if b["bound"] else None})
    row["bounds"] = bounds
    if bounds:
        row.update(bound_quantity=bounds[0]["quantity"], bound_measured=bounds[0]["measured"],
                   bound_value=bounds[0]["bound"], bound_ratio=bounds[0]["ratio"])
    if cfg.get("precision") and code == 0:
        from ..precision import analyze

        t0 = time.perf_counter()
        # every least k and p is backed by certificates the independent checker verifies: the
        # "k bits suffice" certificate and the "k - 1 bits fail" witness, beside the certificate
        out = path.with_name(path.stem + "-precision")
        out.mkdir(exist_ok=True)
        rep = analyze(path, formats=(), out_dir=out, check=True)
        row["precision_s"] = round(time.perf_counter() - t0, 3)
        row.update(fixed_k=rep.get("fixed", {}).get("least"), float_p=rep.get("float", {}).get("least"),
                   arith_p=rep.get("arith", {}).get("least"), proven_k=rep.get("proven", {}).get("fixed_k"))
        row["precision_checks"] = [{"kind": kind, "role": role, "exit": rep[kind][f"{role}_check"]["exit"],
                                    "verdict": rep[kind][f"{role}_check"]["verdict"][:120]}
                                   for kind in ("fixed", "float") for role in ("suffice", "witness")
                                   if f"{role}_check" in rep.get(kind, {})]
    row["peak_rss_kib"] = _peak_rss_kib()
    return _insert(store_path, row)


def _insert(store_path: str, row: dict) -> dict:
    delay = os.environ.get(DELAY_ENV)
    if delay:
        time.sleep(float(delay))
    con = st.connect(store_path)
    try:
        st.insert_row(con, row)
    finally:
        con.close()
    return row


def machine() -> str:
    """The machine a sweep ran on, in words (recorded once per store)."""
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}, "
            f"Python {platform.python_version()}")


def _label(cfg: dict) -> str:
    opts = canonical(cfg["options"]) if cfg["options"] else ""
    opts = opts if len(opts) <= 60 else opts[:57] + "..."
    return f"{cfg['construction']} N={cfg['n']} d={cfg['d']} seed={cfg['seed']} {opts}".strip()


def _bar(total: int, done: int, enabled: bool):
    """A tqdm bar on stderr: rows done of the grid, the current row, elapsed and ETA."""
    if not enabled:
        return None
    from tqdm import tqdm

    if sys.stderr.isatty():
        return tqdm(total=total, initial=done, desc="sweep", unit="row", file=sys.stderr, dynamic_ncols=True)
    return tqdm(total=total, initial=done, desc="sweep", unit="row", file=LogLines(), mininterval=5,
                bar_format="[{elapsed} elapsed, ETA {remaining}] {desc}: {n_fmt}/{total_fmt} rows{postfix}")


def run_sweep(configs: list[dict], store_path, workers: int = 1, progress: bool = True) -> dict:
    """Run every configuration whose key is not yet in the store.  Returns counts by status of
    the rows this call inserted, plus ``skipped`` (already stored) and ``total``."""
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    store_path = str(store_path)
    con = st.connect(store_path)
    try:
        have = st.done_keys(con)
        con.execute("INSERT OR IGNORE INTO meta VALUES ('machine', ?)", (machine(),))
    finally:
        con.close()
    todo = [c for c in configs if run_key(c) not in have]
    counts = {"total": len(configs), "skipped": len(configs) - len(todo)}
    bar = _bar(len(configs), counts["skipped"], progress)

    def finished(row):
        counts[row["status"]] = counts.get(row["status"], 0) + 1
        if row["status"] != "ok":
            msg = row.get("message") or row.get("verdict")
            line = f"{row['status']}: {_label(row['config'])}: {msg}"
            (bar.write(line, file=sys.stderr) if bar is not None else print(line, file=sys.stderr))
        if bar is not None:
            bar.update(1)

    try:
        if workers == 1 or len(todo) <= 1:
            for cfg in todo:
                if bar is not None:
                    bar.set_postfix_str(_label(cfg), refresh=sys.stderr.isatty())
                finished(run_one(cfg, store_path))
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(run_one, cfg, store_path): cfg for cfg in todo}
                for fut in as_completed(futures):
                    row = fut.result()
                    if bar is not None:
                        bar.set_postfix_str(_label(row["config"]), refresh=False)
                    finished(row)
    finally:
        if bar is not None:
            bar.close()
    return counts
