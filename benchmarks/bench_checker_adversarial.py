"""Cost attacks on the independent checker: time and peak memory of certificates/check.py on the
adversarial corpus of tests/adversarial.py (files of at most 10 MB each).

Target: every input of at most 10 MB gets its verdict in at most 30 s and 1 GiB of peak memory at
the default limits, or RESOURCE (exit 4).

Run:  python3 benchmarks/bench_checker_adversarial.py [--only b,e-lists] [--timeout 60]
          [--checker certificates/check.py] [--out benchmarks/results-checker-adversarial.md]

Each attack is generated at full size into a temporary folder and checked in a subprocess,
``python3 -I -S CHECKER FILE`` (a witness: ``--witness W --against CERT``; if the checker rejects
that as a usage error, the row says so and the old form ``--witness W`` is run as well), with a
wall-clock timeout (the process group is killed) and an address-space cap (RLIMIT_AS, default
4 GiB, so that an attack cannot exhaust the machine: a checker that hits it gets MemoryError).
Peak memory is the child's own ru_maxrss, read from os.wait4 for that process.  Standard library
only; runs one attack at a time.
"""

import argparse
import datetime
import hashlib
import importlib.util
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S, TARGET_MIB = 30, 1024
VERDICT_CODES = {0: "VERIFIED", 1: "REJECTED", 2: "MALFORMED", 3: "UNSUPPORTED", 4: "RESOURCE", 5: "USAGE"}


def load_attacks():
    spec = importlib.util.spec_from_file_location("adversarial", ROOT / "tests" / "adversarial.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def last_line(path, limit=4096):
    """Last non-empty line of a file, reading only its tail (a checker may print a 20 MB line)."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - limit))
        tail = f.read().decode("utf-8", "replace")
    lines = [ln for ln in tail.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def run_checker(python, checker, argv, timeout, mem_cap, workdir):
    """(exit code or None on timeout, seconds, peak MiB, last stdout line, last stderr line)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (mem_cap, mem_cap))

    out, err = Path(workdir) / "stdout.txt", Path(workdir) / "stderr.txt"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        t0 = time.monotonic()
        proc = subprocess.Popen([python, "-I", "-S", str(checker), *argv], stdout=fo, stderr=fe,
                                stdin=subprocess.DEVNULL, preexec_fn=limit, start_new_session=True)
        status = ru = None
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, ru = os.wait4(proc.pid, 0)
                status = None
                break
            time.sleep(0.02)
        secs = time.monotonic() - t0
        proc.returncode = -1            # reaped here with wait4; keep Popen from waiting again
    code = None if status is None else os.waitstatus_to_exitcode(status)
    return code, secs, ru.ru_maxrss / 1024, last_line(out), last_line(err)


def md(text, width=110):
    text = text.replace("|", "\\|").replace("`", "'")
    return text if len(text) <= width else text[:width - 1] + "…"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help="comma-separated attack keys (default: all)")
    ap.add_argument("--timeout", type=float, default=60, help="wall-clock seconds per run (default 60)")
    ap.add_argument("--mem-cap-gib", type=float, default=4, help="RLIMIT_AS of the checker (default 4 GiB)")
    ap.add_argument("--checker", default=str(ROOT / "certificates" / "check.py"))
    ap.add_argument("--label", default="", help="what the checker is, for the header (e.g. a git revision)")
    ap.add_argument("--python", default=sys.executable, help="interpreter that runs the checker")
    ap.add_argument("--scale", type=float, default=1.0, help="attack size (1 = full, up to ~10 MB)")
    ap.add_argument("--out", default="", help="write the Markdown table here as well")
    ap.add_argument("--note", action="append", default=[], help="a line for the header (repeatable)")
    args = ap.parse_args()

    adv = load_attacks()
    keys = [k for k in args.only.split(",") if k] or list(adv.ATTACKS)
    unknown = [k for k in keys if k not in adv.ATTACKS]
    if unknown:
        ap.error(f"unknown attacks {unknown}; known: {', '.join(adv.ATTACKS)}")
    checker = Path(args.checker).resolve()
    mem_cap = int(args.mem_cap_gib * (1 << 30))
    pyver = subprocess.run([args.python, "-I", "-S", "-c", "import sys; print(sys.version.split()[0])"],
                           capture_output=True, text=True).stdout.strip()
    head = [
        "# Checker cost attacks (tests/adversarial.py)",
        "",
        f"Generated by `python3 benchmarks/bench_checker_adversarial.py` on "
        f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}.",
        "",
        f"* machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"Python {pyver} (`{args.python} -I -S`)",
        f"* checker: `{checker.relative_to(ROOT) if checker.is_relative_to(ROOT) else checker}` "
        f"(sha256 of its check*.py files {hashlib.sha256(b''.join(p.read_bytes() for p in sorted(checker.parent.glob('check*.py')))).hexdigest()[:16]}…){' — ' + args.label if args.label else ''}",
        f"* per run: wall-clock timeout {args.timeout:g} s (process group killed), RLIMIT_AS "
        f"{args.mem_cap_gib:g} GiB; peak = the child's ru_maxrss (os.wait4); attack scale {args.scale:g}",
        f"* target: verdict within {TARGET_S} s and {TARGET_MIB} MiB peak, or RESOURCE (exit 4). "
        "\"acceptable\": the verdict is the real one (VERIFIED for every attack but a, whose file is "
        "inconsistent: RESOURCE or MALFORMED) or RESOURCE; an internal checker error never is.",
    ] + [f"* note: {n}" for n in args.note] + [
        "",
        "| attack | file size | verdict (last stdout line) | exit | seconds | peak MiB | within target "
        "| acceptable verdict |",
        "|---|---:|---|---:|---:|---:|---|---|",
    ]
    print("\n".join(head), flush=True)
    rows, legend, within = [], [], 0
    for key in keys:
        t0 = time.monotonic()
        attack = adv.generate(key, args.scale)
        gen_s = time.monotonic() - t0
        legend.append(f"* **{attack.name}** ({key}): {attack.description.strip().splitlines()[0][3:].strip()}")
        with tempfile.TemporaryDirectory(prefix="adv-") as tmp:
            adv.write(attack, tmp)
            runs = [("", adv.checker_args(attack, tmp))]
            for i, (suffix, argv) in enumerate(runs):
                code, secs, mib, verdict, err = run_checker(args.python, checker, argv, args.timeout, mem_cap, tmp)
                if code is None:
                    verdict_txt, code_txt = f"(no verdict: killed after {args.timeout:g} s)", "timeout"
                else:
                    verdict_txt, code_txt = verdict or f"(no stdout; stderr: {err})", str(code)
                ok = code is not None and code in VERDICT_CODES and secs <= TARGET_S and mib <= TARGET_MIB
                good = "internal checker error" not in verdict and (
                    code == 4 or (code in (2, 4) if key == "a" else code == 0 and verdict.startswith("s VERIFIED")))
                within += ok
                name = attack.name + suffix
                rows.append(f"| {name} | {attack.size:,} | {md(verdict_txt)} | {code_txt} | {secs:.1f} | "
                            f"{mib:,.0f} | {'yes' if ok else 'NO'} | {'yes' if good else 'no'} |")
                print(rows[-1] + f"   <!-- generated in {gen_s:.1f} s -->", flush=True)
                if attack.is_witness and i == 0 and code == 5 and "usage" in verdict:
                    runs.append((" (old form --witness W)", adv.checker_args(attack, tmp, legacy=True)))
    foot = ["", f"{within} of {len(rows)} runs within target.", "", "Attacks:", ""] + legend
    print("\n".join(foot))
    if args.out:
        Path(args.out).write_text("\n".join(head + rows + foot) + "\n")


if __name__ == "__main__":
    main()
