"""The ``exactmem`` command line.  Errors are one line on stderr with a documented exit code
(see :mod:`exactmem.errors`); the checker's own exit codes pass through ``check``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from . import __version__
from .certificate import certificate_bytes, dataset_file_bytes, write_atomic
from .data import DATA_HELP
from .errors import ExactmemError, UsageError

CHECKER = Path(__file__).resolve().parent.parent / "certificates" / "check.py"
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


def checker_path() -> Path:
    if not CHECKER.exists():
        raise UsageError(f"checker not found at {CHECKER} (install exactmem from its source tree)")
    return CHECKER


def run_checker(cert_path, quiet=False, capture=False):
    """Run certificates/check.py in an isolated interpreter; return its exit code
    (and its verdict line when ``capture``)."""
    cmd = [sys.executable, "-I", "-S", str(checker_path()), str(cert_path)] + (["-q"] if quiet else [])
    if not capture:
        return subprocess.call(cmd)
    done = subprocess.run(cmd, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    return done.returncode, (lines[-1] if lines else "no verdict")


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
    if args.direction is not None:
        opts["direction"] = _widths(args.direction, "--direction")
    if args.blocks is not None:
        opts["blocks"] = _widths(args.blocks, "--blocks")
    if args.output_mode is not None:
        opts["output"] = args.output_mode
    return opts


def cmd_build(args) -> int:
    from .pipeline import certify_with_data

    if not args.data:
        raise UsageError("--data SPEC is required (see --data-help)")
    out = Path(args.output)
    data_file = out.name.removesuffix(".json") + ".data.json" if args.external_data else None
    cert, ds = certify_with_data(args.construction, args.data, _build_options(args), args.seed, args.classes,
                                 verbose=not args.quiet, data_file=data_file)
    if data_file:
        write_atomic(out.with_name(data_file), dataset_file_bytes(ds))
    write_atomic(out, certificate_bytes(cert))
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
    except (KeyError, TypeError):
        raise UsageError(f"{args.certificate}: not an exactmem certificate") from None
    return 0


def cmd_check(args) -> int:
    return run_checker(args.certificate, args.quiet)


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
        write_atomic(out / name, certificate_bytes(cert))
        code, verdict = run_checker(out / name, capture=True) if not args.no_check else (0, "skipped")
        worst = max(worst, code)
        s = cert["sizes"]
        label = cid + (f" ({opts['activation']})" if opts else "")
        print(f"{label:22s} {cert['dataset']['n']:4d} {s['depth']:5d} {str(s['widths']):>10s} "
              f"{s['params_dense']:7d} {s['params_nonzero']:7d} {s['bit_complexity']:5d}  "
              f"{verdict.split()[1] if verdict.startswith('s ') else verdict}")
    print(f"certificates in {out}/")
    return worst


def cmd_regress(args) -> int:
    from .certificate import certificate_bytes as cb
    from .pipeline import regenerate

    folder = Path(args.golden)
    files = sorted(folder.glob("*.json"))
    if not files:
        raise UsageError(f"no certificates in {folder}")
    failures = 0
    for f in files:
        old = f.read_bytes()
        new = cb(regenerate(json.loads(old)))
        same = new == old
        code, _ = run_checker(f, capture=True)
        ok = same and code == 0
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {f.name}: regenerated {'identical' if same else 'DIFFERENT'}, "
              f"checker exit {code}")
    return 1 if failures else 0


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
    b.add_argument("--depth", type=int, help="vys21-depth: depth budget L")
    b.add_argument("--direction", help="vys21: Stage I direction v as integers, tried first")
    b.add_argument("--blocks", help="ysj19-prop3.4: block indices l1,...,lm (1-based)")
    b.add_argument("--encoding", dest="output_mode", choices=["onehot", "class"],
                   help="ysj19-prop3.2: one-hot outputs (default) or the class number")
    b.add_argument("--external-data", action="store_true",
                   help="write the dataset to a sibling CERT.data.json bound by its SHA-256")
    b.add_argument("-q", "--quiet", action="store_true")
    c = sub.add_parser("check", help="verify a certificate with the independent checker")
    c.add_argument("certificate")
    c.add_argument("-q", "--quiet", action="store_true")
    i = sub.add_parser("info", help="human summary of a certificate")
    i.add_argument("certificate")
    d = sub.add_parser("demo", help="build, certify and check the constructions on a built-in dataset")
    d.add_argument("--out", default="exactmem-demo", help="folder for the certificates (default %(default)s)")
    d.add_argument("--no-check", action="store_true")
    r = sub.add_parser("regress", help="regenerate golden certificates, byte-compare, re-check")
    r.add_argument("--golden", default=str(GOLDEN))
    return p


def main(argv=None) -> int:
    try:
        args = make_parser().parse_args(argv)
        if args.data_help:
            print(DATA_HELP, end="")
            return 0
        handlers = {"list": cmd_list, "build": cmd_build, "check": cmd_check, "info": cmd_info,
                    "demo": cmd_demo, "regress": cmd_regress}
        if args.command is None:
            raise UsageError("missing command (list, build, check, info, demo, regress); try --help")
        return handlers[args.command](args)
    except ExactmemError as e:
        print(f"exactmem: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("exactmem: interrupted", file=sys.stderr)
        return 130
    except RecursionError:
        print("exactmem: error: input nested too deeply", file=sys.stderr)
        return 2
    except MemoryError:
        print("exactmem: error: out of memory", file=sys.stderr)
        return 4


if __name__ == "__main__":
    sys.exit(main())
