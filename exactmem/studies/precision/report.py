"""Precision study: the whole analysis and its report.

:func:`analyze` measures everything listed in :mod:`exactmem.studies.precision`, writes the
report, the suffice certificates and the fail witnesses, and runs the independent checker on
them (through :func:`exactmem.checker.run_checker`); :func:`format_table` is its human summary.

Imports core modules (certificate, checker, data, engine, errors, rational) and the other
modules of this package; never the CLI.
"""

from __future__ import annotations

import json
import time
from fractions import Fraction
from pathlib import Path

from ...certificate import load_certificate, write_atomic
from ...checker import run_checker
from ...engine import forward
from ...errors import InternalError, UsageError
from ...rational import encode_rat
from .artifacts import write_claims
from .ieee import IEEE, ieee_summary, mpfr_forward
from .interval import Tables, bound_passes, exact_trace
from .rounding import decision_for, fixed_parts, maps, param_stats, round_network, sig_parts
from .search import Tester, least_passing

REPORT_FORMAT = "exactmem-precision-report"
DEFAULT_FORMATS = ("float64", "float32", "float16", "bfloat16")


def _log2_floor(q: Fraction) -> int:
    e = q.numerator.bit_length() - q.denominator.bit_length()
    return e if q >= Fraction(2) ** e else e - 1


def analyze(cert_path, tol=None, formats=DEFAULT_FORMATS, out_dir=None, window: int = 4, check: bool = True,
            arith: bool = True, log=None) -> dict:
    """Measure everything listed in the module docstring; write the report, the suffice
    certificates and the fail witnesses into ``out_dir`` (if given); return the report."""
    def say(msg):
        if log:
            log(msg)

    t_all = time.perf_counter()
    timings = {}
    cert, ds, net = load_certificate(cert_path)
    for f in formats:
        if f not in IEEE:
            raise UsageError(f"unknown format {f!r} (choose from {', '.join(IEEE)})")
    decision = decision_for(ds, tol)
    targets = ds.targets()
    stats = param_stats(net)

    t0 = time.perf_counter()
    trace = exact_trace(net, ds.points)
    timings["exact_ms"] = int(1000 * (time.perf_counter() - t0))
    margins = [decision.margin(o, t) for o, t in zip(trace.outputs, targets)]
    exact_ok = all(decision.ok(o, t) for o, t in zip(trace.outputs, targets))
    kk = trace.kinks
    kmin = None if kk["min"] is None else Fraction(*kk["min"])
    report = {
        "format": REPORT_FORMAT, "version": "1.0",
        "source": {"file": str(cert_path), "certificate_sha256": cert.get("certificate_sha256"),
                   "construction": cert["construction"]["id"], "N": ds.n, "d": ds.d, "dy": ds.dy,
                   "task": ds.task, "classes": ds.classes},
        "decision": decision.describe(),
        "exact": {"bit_complexity": net.bit_complexity, "layer_bits": net.sizes()["layer_bits"],
                  "max_numerator_bits": net.max_numerator_bits, "magnitude_bits": stats["magnitude_bits"],
                  "all_parameters_dyadic": stats["exact_k"] != "never",
                  "grid_k_where_rounding_is_exact": None if stats["exact_k"] == "never" else stats["exact_k"],
                  "sig_bits_where_rounding_is_exact": None if stats["exact_p"] == "never" else stats["exact_p"],
                  "meets_rule": exact_ok, "min_output_margin": encode_rat(min(margins)),
                  "hidden_kinks": {"entries": kk["entries"], "exactly_at_kink": kk["zeros"],
                                   "min_nonzero_distance": None if kmin is None else encode_rat(kmin),
                                   "min_nonzero_distance_log2_floor": None if kmin is None else _log2_floor(kmin)}},
    }
    say(f"exact run: {timings['exact_ms']} ms, rule met: {exact_ok}")
    if not exact_ok:
        report["note"] = "the exact network does not meet the decision rule; nothing to search"
        return _finish(report, out_dir, timings, t_all)

    # Proven bounds
    tables = Tables(net)
    k_floor = -(stats["magnitude_bits"] + 1)         # at and below it every parameter rounds to 0
    proven = {}
    t0 = time.perf_counter()
    for kind, floor, start in (("fixed", k_floor, 0), ("float", 1, 16)):
        s = least_passing(lambda n, kind=kind: bound_passes(trace, tables, ds, decision, kind, n), start, floor,
                          window=0)
        proven[kind] = s
    timings["bound_ms"] = int(1000 * (time.perf_counter() - t0))
    report["proven"] = {
        "fixed_k": proven["fixed"].value, "float_p": proven["float"].value,
        "method": "interval propagation of the parameter rounding error with flat-piece margins, "
                  "integers rounded up at scale 2^-64 (docs/precision.md)",
        "fixed_search": proven["fixed"].json(), "float_search": proven["float"].json()}
    say(f"proven: k* = {proven['fixed'].value}, p* = {proven['float'].value} ({timings['bound_ms']} ms)")

    # Empirical searches
    written = {}
    for kind, floor, start in (("fixed", k_floor, 0), ("float", 1, 16)):
        t0 = time.perf_counter()
        tester = Tester(ds, decision, lambda n, pts, kind=kind: forward(round_network(net, kind, n), pts))
        cap = proven[kind].value
        known = {}
        if cap is not None:
            known[cap] = tester(cap)
            if not known[cap]:
                raise InternalError(f"proven {kind} bound {cap} fails empirically: the bound is unsound (a bug)")
            start = min(start, cap)
        s = least_passing(tester, start, floor, cap=cap, window=window, known=known)
        entry = s.json()
        entry["evaluation_count"] = tester.count
        if s.value is not None:
            net_r = round_network(net, kind, s.value)
            entry["rounded_bit_complexity"] = net_r.bit_complexity
            if kind == "fixed":
                entry["word_bits"] = max((abs(fixed_parts(v, den, s.value)).bit_length()
                                          for L in maps(net) for v, den in L.parameters()), default=0)
            else:
                exps = [sig_parts(v, den, s.value) for L in maps(net) for v, den in L.parameters() if v]
                entry["exponent_range"] = [min(e + abs(m).bit_length() - 1 for m, e in exps),
                                           max(e + abs(m).bit_length() - 1 for m, e in exps)] if exps else None
            if s.value - 1 in tester.fails:
                i, out = tester.fails[s.value - 1]
                entry["fail_point"] = i
                entry["fail_output"] = [encode_rat(v) for v in out]
            if out_dir is not None:
                written[kind] = write_claims(out_dir, cert, ds, net, net_r, kind, s, tester, decision, entry)
        timings[f"{kind}_ms"] = int(1000 * (time.perf_counter() - t0))
        report[kind] = entry
        say(f"{kind}: least {s.value} ({tester.count} evaluations, {timings[f'{kind}_ms']} ms)")

    if arith:
        t0 = time.perf_counter()
        tester = Tester(ds, decision, lambda n, pts: mpfr_forward(net, pts, n))
        s = least_passing(tester, 16, 1, window=window)
        entry = s.json()
        entry.update({"evaluation_count": tester.count, "certified": False,
                      "arithmetic": "MPFR (gmpy2) binary floating point, precision p, round to nearest even, "
                                    "unbounded exponent",
                      "order": "inputs and parameters rounded to p bits; per neuron left-to-right dot product "
                               "(each product and each sum rounded), bias added last; exact activations"})
        if s.value is not None and s.value - 1 in tester.fails:
            entry["fail_point"] = tester.fails[s.value - 1][0]
        timings["arith_ms"] = int(1000 * (time.perf_counter() - t0))
        report["arith"] = entry
        say(f"arith: least {s.value} ({tester.count} evaluations, {timings['arith_ms']} ms)")

    t0 = time.perf_counter()
    report["ieee"] = {f: ieee_summary(net, ds, decision, f) for f in formats}
    timings["ieee_ms"] = int(1000 * (time.perf_counter() - t0))

    fk, pk = report["fixed"].get("least"), report["float"].get("least")
    ks = proven["fixed"].value
    report["consistency"] = {
        "proven_k_at_least_empirical_k": None if ks is None or fk is None else ks >= fk,
        "proven_p_at_least_empirical_p": None if proven["float"].value is None or pk is None
        else proven["float"].value >= pk}
    if check and written:
        t0 = time.perf_counter()
        for kind, files in written.items():
            for role, path in files.items():
                code, verdict = run_checker(Path(out_dir) / path, quiet=True, capture=True,
                                            against=cert_path if role == "witness" else None)
                report[kind][f"{role}_check"] = {"exit": code, "verdict": verdict}
        timings["check_ms"] = int(1000 * (time.perf_counter() - t0))
    return _finish(report, out_dir, timings, t_all)


def _finish(report, out_dir, timings, t_all) -> dict:
    timings["total_ms"] = int(1000 * (time.perf_counter() - t_all))
    report["timings"] = timings
    if out_dir is not None:
        write_atomic(Path(out_dir) / "report.json",
                     json.dumps(report, indent=1, sort_keys=True, ensure_ascii=False).encode() + b"\n")
    return report


def format_table(report: dict) -> str:
    """Human summary of a report."""
    src, ex = report["source"], report["exact"]
    lines = [f"precision of {src['construction']} (N={src['N']}, d={src['d']}, dy={src['dy']}, {src['task']}); "
             f"rule: {report['decision']['rule']}" + (f", tol = {report['decision']['tol']}"
                                                       if "tol" in report["decision"] else "")]
    hk = ex["hidden_kinks"]
    lines.append(f"  exact network: bit complexity {ex['bit_complexity']}, largest |parameter| < 2^"
                 f"{ex['magnitude_bits']}, output margin {ex['min_output_margin']}, rule met: {ex['meets_rule']}")
    lines.append(f"  hidden pre-activations: {hk['entries']} (neuron, point) pairs, {hk['exactly_at_kink']} "
                 f"exactly at a kink, least nonzero distance 2^{hk['min_nonzero_distance_log2_floor']}")
    if "note" in report:
        lines.append("  " + report["note"])
        return "\n".join(lines)
    pr = report["proven"]
    head = f"  {'measure':34s} {'least':>7s}  {'n-1 / n / n+1':15s} {'proven':>7s}  claims"
    lines += [head, "  " + "-" * (len(head) + 20)]

    def nb(e):
        n = e.get("neighbours") or {}
        f = {True: "ok", False: "fail", None: "-"}
        return f"{f[n.get('n-1')]}/{f[n.get('n')]}/{f[n.get('n+1')]}"

    def claims(e):
        parts = []
        for role in ("suffice", "witness"):
            if role in e:
                chk = e.get(f"{role}_check")
                v = "" if chk is None else " " + " ".join(chk["verdict"].split()[1:3 if role == "witness" else 2])
                parts.append(f"{e[role]['file']}{v}")
        return "; ".join(parts)

    for key, label, prov in (("fixed", "fixed-point weights, grid 2^-k", pr["fixed_k"]),
                             ("float", "float weights, p significant bits", pr["float_p"]),
                             ("arith", "arithmetic, MPFR p bits", None)):
        if key not in report:
            continue
        e = report[key]
        extra = ""
        if key == "fixed" and e.get("word_bits") is not None:
            extra = f" (words of {e['word_bits']} bits)"
        lines.append(f"  {label:34s} {str(e['least']):>7s}  {nb(e):15s} {str(prov) if prov is not None else '-':>7s}"
                     f"  {claims(e)}{extra}")
        if e.get("nonmonotone_pairs"):
            lines.append(f"    non-monotone pairs seen: {e['nonmonotone_pairs']}")
    for f, e in report.get("ieee", {}).items():
        lines.append(f"  IEEE {f:9s} misclassified {e['misclassified']}/{src['N']}"
                     f"{' (' + str(e['nonfinite']) + ' non-finite)' if e['nonfinite'] else ''}, "
                     f"worst error {e['worst_error']}  (reported, not certified)")
    c = report.get("consistency", {})
    lines.append(f"  proven k* >= empirical k: {c.get('proven_k_at_least_empirical_k')}; "
                 f"proven p* >= empirical p: {c.get('proven_p_at_least_empirical_p')}; "
                 f"total {report['timings']['total_ms'] / 1000:.1f} s")
    return "\n".join(lines)
