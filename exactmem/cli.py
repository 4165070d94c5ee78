"""The ``exactmem`` command line.  Errors are one line on stderr with a documented exit code
(see :mod:`exactmem.errors`); the checker's own exit codes pass through ``check``.

The top of the import graph: the CLI is the only module that imports :mod:`exactmem.studies`
(lazily, per command), and no library module imports the CLI.

Longer than the ~500 lines other modules keep to, on purpose: every command's flags and its
short handler sit in this one file, so that `exactmem build ... && check.py` crosses one CLI file
(docs/design.md, the six-file path); each handler only parses and delegates."""

from __future__ import annotations

import argparse
import os
import json
import re
import sys
from pathlib import Path

from . import __version__
from .certificate import write_certificate, write_dataset_file
from .checker import run_checker
from .data import DATA_HELP
from .errors import ExactmemError, UsageError

GOLDEN = Path(__file__).resolve().parent.parent / "certificates" / "golden"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _widths(text: str, flag: str = "--widths") -> list:
    try:
        w = [int(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{flag} expects comma-separated integers, got {text!r}") from None
    return w


def cmd_list(args) -> int:
    from .constructions import registry

    for e in registry().values():
        print(f"{e.id:14s} {e.paper}: {e.theorem}\n{'':14s} options: {e.options}")
    return 0


def _build_options(args) -> dict:
    opts = {}
    if args.widths is not None:
        opts["widths"] = _widths(args.widths)
    if args.activation is not None:
        opts["activation"] = args.activation
    if args.bias_rule is not None:
        opts["bias_rule"] = args.bias_rule
    if args.block_size is not None:
        opts["block_size"] = args.block_size
    if args.depth is not None:
        opts["depth"] = args.depth
    if args.width is not None:
        opts["width"] = args.width
    if args.direction is not None:
        opts["direction"] = _widths(args.direction, "--direction")
    if args.blocks is not None:
        opts["blocks"] = _widths(args.blocks, "--blocks")
    if args.output_mode is not None:
        opts["output"] = args.output_mode
    if getattr(args, "memorizer", None) is not None:
        opts["memorizer"] = args.memorizer
    if getattr(args, "block_widths", None) is not None:
        opts["block_widths"] = _widths(args.block_widths, "--block-widths")
    if getattr(args, "head_width", None) is not None:
        opts["head_width"] = args.head_width
    if getattr(args, "general_position", None) is not None:
        opts["general_position"] = args.general_position
    if getattr(args, "perturb", None) is not None:
        opts["perturb"] = args.perturb
    return opts


def cmd_build(args) -> int:
    from .estimate import default_max_memory, parse_bytes
    from .pipeline import certify_with_data, write_verified

    if not args.data:
        raise UsageError("--data SPEC is required (see --data-help)")
    max_memory = default_max_memory() if args.max_memory is None else parse_bytes(args.max_memory, "--max-memory")
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    out = Path(args.output)
    if out.is_dir():                    # refused before the build, not after it
        raise UsageError(f"-o {out}: is a folder; give the certificate's file name")
    data_file = (out.name.removesuffix(".json") + (".data.jsonl" if args.external_data == "lines" else ".data.json")
                 if args.external_data else None)
    cert, ds = certify_with_data(args.construction, args.data, _build_options(args), args.seed, args.classes,
                                 verbose=not args.quiet, data_file=data_file,
                                 merge_duplicates=args.merge_duplicates, max_memory=max_memory,
                                 workers=args.workers)
    if args.no_verify:
        if data_file:
            write_dataset_file(out.with_name(data_file), ds)
        write_certificate(out, cert)
    else:
        write_verified(out, cert, ds, data_file, verbose=not args.quiet, workers=args.workers)
    s = cert["sizes"]
    if not args.quiet:
        print(f"wrote {args.output}: {cert['construction']['id']} N={cert['dataset']['n']} depth={s['depth']} "
              f"width={s['width']} params={s['params_dense']} (nonzero {s['params_nonzero']}) "
              f"bits={s['bit_complexity']}")
    return 0


def _load(path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: not JSON ({e})") from None


def cmd_info(args) -> int:
    cert = _load(args.certificate)
    try:
        c, s, ds = cert["construction"], cert["sizes"], cert["dataset"]
        print(f"{c['id']}: {c['paper']}, {c['theorem']}")
        print(f"  parameters: {json.dumps(c['params'])}")
        print(f"  dataset: N={ds['n']} d={ds['d']} dy={ds['dy']} sha256={ds['sha256'][:16]}...")
        print(f"  depth {s['depth']}, hidden widths {s['widths']}, hidden neurons {s['hidden_neurons']}")
        print(f"  parameters: {s['params_dense']} dense, {s['params_nonzero']} nonzero")
        print(f"  bit complexity {s['bit_complexity']} (per layer {s['layer_bits']}), "
              f"max numerator bits {s['max_numerator_bits']}")
        print("  theorem claims (as recorded; run `exactmem check` to verify):")
        for cl in cert["claims"]:
            print(f"    {cl['statement']:45s} {cl['lhs']} vs {cl['rhs']}   [{cl['source']}]")
        if cert.get("info"):
            print(f"  informative: {json.dumps(cert['info'])}")
        lb = (cert.get("info") or {}).get("lower_bound")
        if isinstance(lb, dict):                     # yy26: the lower side next to the measured W^2 L^2
            i = cert["info"]
            print(f"  W^2 L^2 = {i.get('W2L2')} (measured width and depth); N log2(1/delta) = "
                  f"{i.get('N_log2_inv_delta')}; ratio {i.get('ratio_delta')}; N (F+1) = {i.get('N_F_plus_1')}")
            print(f"  lower bound (VC, {lb.get('source', '')[:60]}...): VC_up(this architecture) = "
                  f"{lb.get('vc_upper_of_this_architecture')} (>= N); L_min at the measured width = "
                  f"{lb.get('L_min_vc_at_measured_width')}, W^2 L_min^2 = {lb.get('W2_Lmin2_at_measured_width')}")
    except (KeyError, TypeError):
        raise UsageError(f"{args.certificate}: not an exactmem certificate") from None
    return 0


def cmd_check(args) -> int:
    extra = [f for flag, v in (("--max-work", args.max_work), ("--max-memory", args.max_memory)) if v is not None
             for f in (flag, str(v))]
    if args.workers is None and args.scheduler is None:
        return run_checker(args.certificate, args.quiet, extra=extra)
    from .checker import run_sharded

    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    from .estimate import Heartbeat

    where = f"on the Dask cluster at {args.scheduler}" if args.scheduler else "in local processes"
    with Heartbeat(f"checking {args.workers or 2} ranges of points {where}", not args.quiet):
        code, verdict = run_sharded(args.certificate, args.workers or 2, extra, args.scheduler, args.quiet)
    if args.quiet or code != 0:
        print(verdict)
    return code


DEMO = [("zhang17", "random:n=60,d=3,seed=1", {}),
        ("ysj19-thm3.1", "random:n=60,d=3,seed=1", {}),
        ("ysj19-thm3.1", "random:n=60,d=3,seed=1", {"activation": "hardtanh"})]


def cmd_demo(args) -> int:
    from .pipeline import certify

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"{'construction':22s} {'N':>4s} {'depth':>5s} {'widths':>10s} {'params':>7s} {'nonzero':>7s} "
          f"{'bits':>5s}  checker")
    worst = 0
    for cid, spec, opts in DEMO:
        cert = certify(cid, spec, opts)
        name = cid + ("-" + opts["activation"] if opts else "") + ".json"
        write_certificate(out / name, cert)
        code, verdict = run_checker(out / name, capture=True) if not args.no_check else (0, "skipped")
        worst = max(worst, code)
        s = cert["sizes"]
        label = cid + (f" ({opts['activation']})" if opts else "")
        print(f"{label:22s} {cert['dataset']['n']:4d} {s['depth']:5d} {str(s['widths']):>10s} "
              f"{s['params_dense']:7d} {s['params_nonzero']:7d} {s['bit_complexity']:5d}  "
              f"{verdict.split()[1] if verdict.startswith('s ') else verdict}")
    print(f"certificates in {out}/")
    return worst


def cmd_checker_path(args) -> int:
    """Where the independent checker is: run it yourself as ``python3 -I -S <path> CERT``."""
    from .checker import checker_path

    print(checker_path())
    return 0


def cmd_regress(args) -> int:
    from .certificate import certificate_bytes as cb
    from .pipeline import regenerate

    folder = Path(args.golden)
    files = sorted(folder.glob("*.json"))
    if not files:
        raise UsageError(f"no certificates in {folder} (the golden certificates come with a source "
                         f"checkout; give --golden DIR)")
    failures = 0
    for f in files:
        old = f.read_bytes()
        try:
            cert = json.loads(old)
            recipe = cert["recipe"] if isinstance(cert, dict) and cert.get("format") == "exactmem-certificate" else None
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError):
            recipe = None
        if not isinstance(recipe, dict):            # a dataset file or other JSON beside the certificates
            print(f"skip {f.name}: not an exactmem certificate")
            continue
        new = cb(regenerate(cert))
        same = new == old
        code, _ = run_checker(f, capture=True)
        ok = same and code == 0
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {f.name}: regenerated {'identical' if same else 'DIFFERENT'}, "
              f"checker exit {code}")
    return 1 if failures else 0


def cmd_tradeoff(args) -> int:
    from .studies.tradeoff import run_tradeoff

    widths = _widths(args.widths) if args.widths else []
    if not widths and not args.tiny_delta:
        raise UsageError("tradeoff needs --widths W1,W2,... (with --data SPEC) and/or --tiny-delta")
    if widths and not args.data:
        raise UsageError("--data SPEC is required with --widths (see --data-help)")
    return run_tradeoff(args.data, widths, Path(args.out), seed=args.seed, classes=args.classes,
                        check=not args.no_check, plot=not args.no_plot, tiny_delta=args.tiny_delta,
                        tiny_n=args.n, title=args.title)


def cmd_precision(args) -> int:
    from .studies.precision import analyze, format_table
    from .rational import parse_literal

    tol = None
    if args.tol is not None:
        try:
            tol = parse_literal(args.tol)
        except ValueError as e:
            raise UsageError(f"--tol: {e}") from None
    formats = [f.strip() for f in args.formats.split(",") if f.strip()] if args.formats else []
    out = Path(args.out) if args.out else Path(Path(args.certificate).name.removesuffix(".json") + "-precision")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out {out}: {e.strerror}") from None
    log = None if args.quiet else (lambda m: print(f"  .. {m}", file=sys.stderr, flush=True))
    report = analyze(args.certificate, tol=tol, formats=formats, out_dir=out, window=args.window,
                     check=not args.no_check, log=log)
    print(format_table(report))
    print(f"report, certificates and witnesses in {out}/")
    bad = [k for k in ("fixed", "float") for role in ("suffice", "witness")
           if report.get(k, {}).get(f"{role}_check", {}).get("exit", 0) != 0]
    return 1 if bad else 0


def cmd_pieces(args) -> int:
    """YSJ19 Thm 3.3 (exactmem/studies/pieces.py, docs/ysj19.md): count on a segment, the witness, the survey."""
    from .studies import pieces

    modes = [m for m, on in (("CERT", args.certificate), ("--witness", args.witness), ("--survey", args.survey)) if on]
    if len(modes) != 1:
        raise UsageError("pieces takes one of: CERT, --witness (with --widths or --net), --survey")
    if args.survey:          # progress (a bar or a heartbeat) goes to stderr; the report to stdout
        return pieces.report_survey(args.trials, args.seed, progress=True)
    widths = _widths(args.widths) if args.widths else None
    if args.witness:
        return pieces.report_witness(widths, args.activation, args.dx, "tight" if args.tight else "paper",
                                     args.nets, args.seed, args.net, args.output, args.data_out, progress=True)
    start = pieces.parse_point(args.start, "--from") if args.start else None
    end = pieces.parse_point(args.end, "--to") if args.end else None
    return pieces.report_certificate(args.certificate, start, end, args.output, max_points=args.max_breakpoints,
                                     progress=True)


def cmd_sgd_near(args) -> int:
    from .studies.sgd import run

    try:
        eps = [float(v) for v in args.eps.split(",")]       # a float experiment (YSJ19 Thm 5.1)
    except ValueError:
        raise UsageError(f"--eps expects comma-separated numbers, got {args.eps!r}") from None
    report = run(args.certificate, eps, epochs=args.epochs, seed=args.seed, lr_fraction=args.lr_fraction,
                 tau=args.tau, balanced=not args.no_balance, mp_epochs=args.mp_epochs, mp_eps=args.mp_eps,
                 out_dir=args.out)
    print(f"{report['construction']} N={report['N']} params={report['params']} balanced={report['balanced']} "
          f"kappa(JJ^T)={report['kappa']:.3g} (unbalanced {report['kappa_unbalanced']:.3g}) eta={report['eta']:.3g} "
          f"epochs={report['epochs']} tau={report['tau']:.3g} (float64 experiment, not a certificate)")
    print(f"{'eps':>8s} {'pattern':>7s} {'R(0)':>10s} {'t*':>7s} {'R(t*)':>10s} {'R(t*)/eps^4':>11s} "
          f"{'min R':>10s} {'max|xi|/eps':>11s}")
    for r in report["runs"]:
        ts = r["t_star"]
        print(f"{r['eps']:8.1e} {'kept' if r['inside_pattern'] else 'LEFT':>7s} {r['risk0']:10.3e} "
              f"{ts if ts is not None else '-':>7} {r['risk_t_star'] or float('nan'):10.3e} "
              f"{r['risk_t_star_over_eps4'] or float('nan'):11.3g} {r['min_risk']:10.3e} {r['max_xi_over_eps']:11.3f}")
    for key, label in (("risk0", "R(theta_0)  (theorem: 2)"), ("risk_t_star", "R(t*)       (theorem: 4)"),
                       ("min_risk_in_budget", "min R       (no plateau: see docs)")):
        fit = report["slopes"][key]
        if fit:
            print(f"log-log slope of {label}: {fit['slope']:.3f}, 95% CI [{fit['ci95'][0]:.3f}, {fit['ci95'][1]:.3f}]"
                  f" over {fit['n']} eps")
    mp = report.get("mp_check")
    if mp:
        print(f"mpmath ({mp['dps']} digits) vs float64, eps={mp['eps']:g}, {mp['epochs']} epochs: max relative "
              f"difference of R {mp['max_rel_diff']:.2e} over {mp['epochs_compared']} epochs")
    print(f"report in {args.out}/sgd-report.json, plot {report['plot']}")
    return 0


def cmd_sweep(args) -> int:
    """A grid of runs into one resumable SQLite store (exactmem/studies/sweep/, docs/sweep.md):
    0 every row certified (or refused by its construction, recorded), 1 a certificate the checker rejected."""
    from .studies.sweep import expand, load_toml, preset, run_sweep

    if (args.preset is None) == (args.grid is None):
        raise UsageError("sweep takes one of --preset NAME or --grid FILE.toml")
    series = preset(args.preset) if args.preset else load_toml(args.grid)
    counts = run_sweep(expand(series), args.store, workers=args.workers, progress=not args.quiet)
    done = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()) if k not in ("total", "skipped"))
    print(f"sweep: {counts['total']} rows in the grid, {counts['skipped']} already in {args.store}"
          f"{'; this run: ' + done if done else ''}")
    return 1 if counts.get("rejected") else 0


def cmd_report(args) -> int:
    """report.md and PNG plots for a results store (exactmem/studies/sweep/report.py)."""
    from .studies.sweep import write_report

    path = write_report(args.store, Path(args.out), plots=not args.no_plot)
    print(f"wrote {path}")
    return 0


def cmd_claims(args) -> int:
    """YSJ19's numeric claims reproduced by real, checked runs (exactmem/studies/paper_numbers.py,
    docs/ysj19.md)."""
    from .studies.paper_numbers import run_claims

    only = args.only.split(",") if args.only else None
    fmt = "json" if args.json else "markdown" if args.markdown else "text"
    return run_claims(args.scale, args.out, only, fmt, verbose=not args.quiet, workers=args.workers)[0]


def cmd_export(args) -> int:
    """The certificate's network as float ONNX or .npz, with what floats do to it
    (exactmem/interop/export.py, docs/export.md)."""
    from .interop.export import export, format_report

    report = export(args.certificate, args.to, args.output, dtype=args.dtype)
    print(json.dumps(report, indent=1, sort_keys=True) if args.json else format_report(report))
    return 0


def cmd_verify_model(args) -> int:
    """Which data points a trained ONNX network gets right, exactly, as a certificate
    (exactmem/interop/onnx_import.py; certificate format section 23)."""
    from .interop.onnx_import import verify_model

    if not args.data:
        raise UsageError("--data SPEC is required (see --data-help)")
    cert, float_wrong = verify_model(args.model, args.data, args.output, args.classes, args.merge_duplicates,
                                     verify=not args.no_verify, verbose=not args.quiet)
    ev, n = cert["evaluation"], cert["dataset"]["n"]
    shown = ", ".join(map(str, ev["misses"][:20])) + (" ..." if len(ev["misses"]) > 20 else "")
    print(f"{args.model}: exactly {ev['correct']} of {n} points right under rule {ev['rule']}, "
          f"{len(ev['misses'])} wrong ({len(ev['ties'])} ties){': ' + shown if ev['misses'] else ''}")
    if float_wrong is not None:
        differ = sorted(set(float_wrong) ^ set(ev["misses"]))
        print(f"float inference (onnxruntime) gets {n - len(float_wrong)} right; it disagrees with "
              f"the exact answer on {len(differ)} point(s){': ' + ', '.join(map(str, differ[:20])) if differ else ''}")
    print(f"wrote {args.output} ({'verified by the independent checker' if not args.no_verify else 'not verified'})")
    return 0


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="exactmem", description="Exact, certified memorization constructions for ReLU networks.")
    p.add_argument("--version", action="version", version=f"exactmem {__version__}")
    p.add_argument("--data-help", action="store_true", help="explain the --data SPEC grammar")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    sub.add_parser("list", help="list the constructions")
    b = sub.add_parser("build", help="build a construction and write its certificate")
    b.add_argument("construction")
    b.add_argument("--data", help="data SPEC: a file or random:n=...,d=... (see --data-help)")
    b.add_argument("-o", "--output", required=True, help="certificate file to write")
    b.add_argument("--seed", type=int,
                   help="seed for random data without seed=, and for a randomized construction (recorded)")
    b.add_argument("--classes", type=int, help="read file labels as classes 1..C")
    b.add_argument("--widths", help="hidden widths, e.g. 40,50")
    b.add_argument("--activation", choices=["relu", "hardtanh"])
    b.add_argument("--bias-rule", choices=["knot", "mid"], help="zhang17 only")
    b.add_argument("--block-size", type=int, help="vys21: points per block s")
    b.add_argument("--depth", type=int, help="vys21-depth, yy26: depth budget L")
    b.add_argument("--width", type=int, help="yy26: target width W")
    b.add_argument("--direction", help="vys21: Stage I direction v as integers, tried first")
    b.add_argument("--blocks", help="ysj19-prop3.4: block indices l1,...,lm (1-based)")
    b.add_argument("--encoding", dest="output_mode", choices=["onehot", "class"],
                   help="ysj19-prop3.2: one-hot outputs (default) or the class number")
    b.add_argument("--block-widths", help="ysj19-thm4.1: residual block widths d1,...,d(L-1)")
    b.add_argument("--head-width", type=int, help="ysj19-thm4.1: width dL of the final (head) block")
    b.add_argument("--memorizer", choices=["default", "fold"],
                   help="ysj19-thm3.3 with --depth 3 --activation hardtanh: fold = the hard-tanh fold, the most "
                        "pieces a 3-layer hard-tanh network has (equally spaced collinear points)")
    b.add_argument("--general-position", choices=["construction", "full"],
                   help="ysj19-cor4.2/thm4.1: 'full' also runs the complete C(N,d) test and certifies it")
    b.add_argument("--perturb", metavar="EPS",
                   help="ysj19-cor4.2/thm4.1: move every coordinate by a seeded rational amount <= EPS "
                        "(e.g. 1/1000000) before building; recorded in the certificate")
    b.add_argument("--external-data", nargs="?", const="json", choices=("json", "lines"),
                   help="write the dataset to a sibling file bound by its SHA-256: CERT.data.json (one JSON "
                        "body), or with 'lines' CERT.data.jsonl, read a point at a time (format 1.4: for "
                        "datasets too big to parse as one JSON text)")
    b.add_argument("--merge-duplicates", action="store_true",
                   help="keep a point that a file repeats with the same label once (recorded; a repeat with "
                        "another label is still an error)")
    b.add_argument("--no-verify", action="store_true",
                   help="write without running the independent checker first (by default nothing is "
                        "written unless it says VERIFIED)")
    b.add_argument("--workers", type=int, default=1, metavar="K",
                   help="evaluate the points in K processes, find the YSJ19 section 4 hyperplanes in K processes "
                        "and check ranges of points in K processes (same certificate; default 1)")
    b.add_argument("--max-memory", metavar="BYTES",
                   help="refuse (exit 4), before generating data or building, a build whose memory estimate "
                        "exceeds this (8G, 512M, bytes; default: half of the machine's physical memory)")
    b.add_argument("-q", "--quiet", action="store_true", help="no log lines or progress on stderr")
    c = sub.add_parser("check", help="verify a certificate with the independent checker")
    c.add_argument("certificate")
    c.add_argument("-q", "--quiet", action="store_true")
    c.add_argument("--max-work", type=int, help="the checker's work budget in units of about a nanosecond "
                   "(its default: about 30 s; raise it for the largest certificates)")
    c.add_argument("--max-memory", type=int, help="the checker's memory estimate limit in bytes (its default: 1 GiB)")
    c.add_argument("--workers", type=int, help="check ranges of points in K processes, then compose their receipts "
                   "(certificate format section 24)")
    c.add_argument("--scheduler", metavar="ADDRESS", help="run the ranges on the Dask cluster at ADDRESS (its workers "
                   "must see the certificate and exactmem); --workers sets the number of ranges (default 2)")
    i = sub.add_parser("info", help="human summary of a certificate")
    i.add_argument("certificate")
    d = sub.add_parser("demo", help="build, certify and check the constructions on a built-in dataset")
    d.add_argument("--out", default="exactmem-demo", help="folder for the certificates (default %(default)s)")
    d.add_argument("--no-check", action="store_true")
    g = sub.add_parser("sgd-near", help="YSJ19 Thm 5.1 experiment: SGD from a perturbed exact memorizer (float64)")
    g.add_argument("certificate")
    g.add_argument("--eps", default="3e-2,1e-2,3e-3,1e-3,3e-4,1e-4", help="perturbation sizes (default %(default)s)")
    g.add_argument("--epochs", type=int, default=None,
                   help="epochs (default: ceil(kappa ln 1e6), kappa the condition number of J J^T)")
    g.add_argument("--seed", type=int, default=0, help="seeds the perturbation direction and the sample order")
    g.add_argument("--lr-fraction", type=float, default=1.0,
                   help="per-sample step = this / lambda_max(J J^T) (default %(default)s)")
    g.add_argument("--tau", type=float, default=None,
                   help="t* = first epoch with |xi_par| < tau |xi|^2 (default: twice the curvature bound)")
    g.add_argument("--no-balance", action="store_true",
                   help="keep the certificate's parametrization (default: power-of-two per-unit rebalancing)")
    g.add_argument("--mp-epochs", type=int, default=0,
                   help="also run this many epochs in mpmath and compare the risk curves (default: off)")
    g.add_argument("--mp-eps", type=float, default=None, help="the eps of the mpmath run (default: the smallest)")
    g.add_argument("--out", default="exactmem-sgd", help="folder for the report and plot (default %(default)s)")
    r = sub.add_parser("regress", help="regenerate golden certificates, byte-compare, re-check")
    r.add_argument("--golden", default=str(GOLDEN))
    t = sub.add_parser("tradeoff", help="yy26 across target widths: build, certify, check; markdown table + plot")
    t.add_argument("--data", help="data SPEC (see --data-help); class labels 1..C")
    t.add_argument("--widths", help="target widths W, e.g. 12,16,32,64")
    t.add_argument("--out", default="exactmem-tradeoff", help="folder for certificates, table, plot (default %(default)s)")
    t.add_argument("--seed", type=int, help="seed for random data without seed=, and for Stage I")
    t.add_argument("--classes", type=int, help="read file labels as classes 1..C")
    t.add_argument("--tiny-delta", action="store_true",
                   help="also build the depth-3 member on N points with delta = 2^-200 (N from --n)")
    t.add_argument("--n", type=int, default=1000, help="--tiny-delta: number of points (default %(default)s)")
    t.add_argument("--no-check", action="store_true", help="skip the independent checker")
    t.add_argument("--no-plot", action="store_true", help="skip the matplotlib plot")
    t.add_argument("--title", help="table/plot title (default: the data SPEC)")
    pr = sub.add_parser("precision", help="least bits the certificate's network needs; checkable claims")
    pr.add_argument("certificate")
    pr.add_argument("--tol", help="regression tolerance (exact, e.g. 1/500; default 1/1000 of the label range)")
    pr.add_argument("--out", help="folder for report.json, suffice certificates, fail witnesses "
                                  "(default CERT-precision)")
    pr.add_argument("--formats", default="float64,float32,float16,bfloat16",
                    help="IEEE formats to evaluate (default %(default)s; empty for none)")
    pr.add_argument("--window", type=int, default=4, help="values below each answer also evaluated (default 4)")
    pr.add_argument("--no-check", action="store_true", help="do not run check.py on the written claims")
    pr.add_argument("-q", "--quiet", action="store_true")
    pc = sub.add_parser("pieces", help="YSJ19 Thm 3.3: exact linear pieces on a segment, the witness, a survey")
    pc.add_argument("certificate", nargs="?", help="count the pieces of this certificate's network on a segment")
    pc.add_argument("--from", dest="start", help="segment start u1,...,ud (default: the certificate's segment, "
                                                 "else the lexicographically first data point)")
    pc.add_argument("--to", dest="end", help="segment end v1,...,vd (default: the certificate's segment, else the "
                                             "lexicographically last data point)")
    pc.add_argument("--output", type=int, default=1, help="which output coordinate, 1-based (default 1)")
    pc.add_argument("--max-breakpoints", type=int, default=20_000,
                    help="refuse (exit 4) beyond this many candidate breakpoints (default %(default)s)")
    pc.add_argument("--witness", action="store_true", help="the theorem's dataset for --widths, with its checks")
    pc.add_argument("--widths", help="--witness: d1 (2-layer) or d1,d2 (3-layer)")
    pc.add_argument("--activation", choices=["relu", "hardtanh"], default="relu")
    pc.add_argument("--dx", type=int, default=1, help="--witness: input dimension (default 1)")
    pc.add_argument("--tight", action="store_true", help="--witness: N from the layer-by-layer count, not the paper's")
    pc.add_argument("--net", help="--witness: also evaluate this certificate's network on the witness")
    pc.add_argument("--nets", type=int, default=5, help="--witness: random networks to evaluate (default 5)")
    pc.add_argument("--data-out", help="--witness: write the witness dataset (JSON, for --data)")
    pc.add_argument("--survey", action="store_true", help="measured max pieces of random and sawtooth networks")
    pc.add_argument("--trials", type=int, default=20, help="--survey: networks per row and family (default 20)")
    pc.add_argument("--seed", type=int, default=0, help="--witness/--survey: random seed (default 0)")
    cl = sub.add_parser("claims", help="YSJ19's numeric claims (ImageNet, CIFAR-10, edges, digits) from real runs")
    cl.add_argument("--scale", choices=["quick", "full", "paper"], default="quick",
                    help="quick: seconds (tests, CI); full: the sizes of docs/ysj19.md (about 75 minutes on 2 cores); "
                         "paper: full, with the CIFAR rows at the paper's N = 50,000 (hours: docs/performance.md)")
    cl.add_argument("--workers", type=int, default=1,
                    help="processes for the exact forward pass and for the check (ranges and receipts)")
    cl.add_argument("--out", help="folder for the certificates (default: a temp folder, deleted afterwards)")
    cl.add_argument("--only", help="row groups, comma-separated: imagenet,cifar,edges,digits (default all)")
    cl.add_argument("--json", action="store_true", help="print the table as JSON")
    cl.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    cl.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    ex = sub.add_parser("export", help="the certificate's network as float ONNX or NumPy .npz, with a float report")
    ex.add_argument("certificate")
    ex.add_argument("--to", choices=["onnx", "npz"], required=True, help="file format")
    ex.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                    help="float format; every parameter is rounded to nearest, ties to even (default %(default)s)")
    ex.add_argument("-o", "--output", required=True, help="file to write (atomically)")
    ex.add_argument("--json", action="store_true", help="print the report as JSON")
    sub.add_parser("checker-path", help="print where the independent checker is (python3 -I -S <path> CERT)")
    sw = sub.add_parser("sweep", help="a grid of constructions x N x options: certify, check, measure; one SQLite store")
    sw.add_argument("--preset", help="tiny, quick, vys21-bits, ysj19-tight, yy26-grid (docs/sweep.md)")
    sw.add_argument("--grid", help="a TOML grid file ([[series]] tables; Python 3.11+)")
    sw.add_argument("--store", required=True, help="results store (SQLite); certificates go to STORE-stem.certs/")
    sw.add_argument("--workers", type=int, default=1, help="local worker processes (default 1)")
    sw.add_argument("-q", "--quiet", action="store_true", help="no progress bar on stderr")
    rp = sub.add_parser("report", help="report.md and PNG plots of a sweep's results store")
    rp.add_argument("store", help="results store written by exactmem sweep")
    rp.add_argument("--out", default="exactmem-report", help="folder for report.md and the plots (default %(default)s)")
    rp.add_argument("--no-plot", action="store_true", help="markdown only")
    vm = sub.add_parser("verify-model", help="certify exactly which data points a trained ONNX ReLU network gets right")
    vm.add_argument("model", help="ONNX file: MatMul/Gemm, Add, Relu, Clip(-1,1), then Softmax/ArgMax/Sigmoid or nothing")
    vm.add_argument("--data", help="data SPEC (see --data-help); class c is the model's c-th smallest class value")
    vm.add_argument("--classes", type=int, help="number of classes C (class labels 1..C) for data files")
    vm.add_argument("--merge-duplicates", action="store_true", help="keep a point repeated with the same label once")
    vm.add_argument("-o", "--output", required=True, help="evaluation certificate to write (format 1.3)")
    vm.add_argument("--no-verify", action="store_true", help="write without running the independent checker first")
    vm.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    return p


# A value that starts with '-' and reads as numbers ("-4,8", "-12,5", "-1/3"): argparse would take it
# for an option, so it is glued to its flag ("--widths=-4,8") before parsing.
_NEGATIVE_VALUE = re.compile(r"-[0-9][0-9,/.-]*")


def _glue_negative_values(argv: list[str]) -> list[str]:
    out = []
    for token in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and _NEGATIVE_VALUE.fullmatch(token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def main(argv=None) -> int:
    try:
        argv = _glue_negative_values(list(sys.argv[1:] if argv is None else argv))
        args = make_parser().parse_args(argv)
        if args.data_help:
            print(DATA_HELP, end="")
            return 0
        handlers = {"list": cmd_list, "build": cmd_build, "check": cmd_check, "info": cmd_info,
                    "demo": cmd_demo, "regress": cmd_regress, "sgd-near": cmd_sgd_near, "tradeoff": cmd_tradeoff,
                    "precision": cmd_precision, "pieces": cmd_pieces,
                    "claims": cmd_claims, "export": cmd_export,
                    "verify-model": cmd_verify_model, "checker-path": cmd_checker_path,
                    "sweep": cmd_sweep, "report": cmd_report}
        if args.command is None:
            raise UsageError(f"missing command ({', '.join(handlers)}); try --help")
        return handlers[args.command](args)
    except ExactmemError as e:
        print(f"exactmem: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("exactmem: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:            # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except RecursionError:
        print("exactmem: error: input nested too deeply", file=sys.stderr)
        return 2
    except MemoryError:
        print("exactmem: error: out of memory", file=sys.stderr)
        return 4
    except Exception as e:             # a bug in exactmem, not the user's input: one line, exit 70
        if os.environ.get("EXACTMEM_DEBUG"):
            raise
        print(f"exactmem: internal error ({type(e).__name__}: {str(e)[:200]}); please report it "
              f"(EXACTMEM_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
