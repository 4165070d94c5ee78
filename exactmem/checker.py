"""Running the independent checker from the library: the one place exactmem calls it.

``certificates/check.py`` is standard-library only and never imports exactmem; exactmem runs it
the way a reader would, as ``python3 -I -S certificates/check.py ...`` in its own interpreter, so
a VERIFIED seen by the tool is the checker's own verdict.  The CLI, the paper-numbers table, the
trade-off study and the precision analysis all go through :func:`run_checker`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .errors import UsageError

# In a source checkout the checker is certificates/check.py beside the package; an installed
# wheel carries the same files as exactmem/_checker/ (pyproject.toml).
SOURCE_CHECKER = Path(__file__).resolve().parent.parent / "certificates" / "check.py"
INSTALLED_CHECKER = Path(__file__).resolve().parent / "_checker" / "check.py"
CHECKER = SOURCE_CHECKER if SOURCE_CHECKER.exists() else INSTALLED_CHECKER

# Budgets for certificates exactmem has just built itself at sizes past the checker's defaults
# (about 30 s and 1 GiB, docs/checker.md): the project's own long runs pass these. The vys21
# certificate of N = 10^5 charged 9.94 * 10^12 units in each of two ranges of 50,000 points (about
# an hour of CPU each), so 10^13 was too tight for anything larger; 10^15 is days of CPU.  Files up
# to 16 GiB: zhang17's certificate at N = 10^5 is 2.7 GB (its output weights share one
# ~100,000-bit denominator); --max-memory still bounds what the checker builds from them.
LONG_RUN_LIMITS = ("--max-work", str(10 ** 15), "--max-memory", str(1 << 35), "--max-bytes", str(1 << 34))


def checker_path() -> Path:
    """The checker script; a clear usage error when it is not beside the package."""
    if not CHECKER.exists():
        raise UsageError(f"checker not found at {SOURCE_CHECKER} or {INSTALLED_CHECKER} (reinstall exactmem)")
    return CHECKER


def run_checker(path, quiet=False, capture=False, extra=(), against=None):
    """Run check.py on a certificate (or, with ``against`` the certificate it refutes, on a
    precision witness) in an isolated interpreter.  Returns its exit code, and with ``capture``
    (exit code, last stdout line).  ``extra``: more checker flags, such as limits."""
    cmd = [sys.executable, "-I", "-S", str(checker_path())]
    cmd += ["--witness", str(path), "--against", str(against)] if against is not None else [str(path)]
    cmd += (["-q"] if quiet else []) + list(extra)
    if not capture:
        return subprocess.call(cmd)
    done = subprocess.run(cmd, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    return done.returncode, (lines[-1] if lines else "no verdict")


# ---------------------------------------------------------------------------------------------
# Sharded checking (certificate format, section 24): ranges of points in parallel, then compose

def shard_ranges(n: int, shards: int) -> list[tuple[int, int]]:
    """0..n split into ``shards`` consecutive ranges of near-equal size (fewer when n is smaller)."""
    shards = max(1, min(shards, n))
    bounds = [n * k // shards for k in range(shards + 1)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if a < b]


def range_command(path, start: int, stop: int, extra=()) -> list[str]:
    """The checker command line of one range run (its stdout ends with the receipt)."""
    return [sys.executable, "-I", "-S", str(checker_path()), str(path), "--range", f"{start}:{stop}", "-q", *extra]


def run_range(command: list[str]) -> tuple[int, str]:
    """Run one range (a top-level function, so that a Dask worker can run it): (exit code, stdout)."""
    done = subprocess.run(command, capture_output=True, text=True)
    return done.returncode, done.stdout


def run_sharded(path, shards: int, extra=(), scheduler: str | None = None, quiet: bool = False) -> tuple[int, str]:
    """Check a certificate in ``shards`` range runs - local processes, or the workers of the Dask
    cluster at ``scheduler`` (which must see the same files) - then compose their receipts in one
    more checker run here, which checks everything but the per-point step itself.  Returns
    (exit code, the composing run's verdict line); a failing range's own verdict otherwise."""
    import json
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    path = Path(path).resolve()
    try:
        with open(path, "rb") as f:
            n = json.load(f)["dataset"]["n"]
        if type(n) is not int or n < 1:
            raise ValueError("dataset.n")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(f"{path}: cannot read the number of points to shard ({type(e).__name__}: {e}); "
                         f"check it without --workers") from None
    ranges = shard_ranges(n, shards)
    commands = [range_command(path, a, b, extra) for a, b in ranges]
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs dask.distributed: pip install 'exactmem[dask]'") from None
        with Client(scheduler) as client:
            results = client.gather(client.map(run_range, commands, pure=False))
    else:
        with ThreadPoolExecutor(max_workers=len(commands)) as pool:
            results = list(pool.map(run_range, commands))
    with tempfile.TemporaryDirectory(prefix="exactmem-receipts-") as folder:
        receipts = []
        for k, (code, out) in enumerate(results):
            lines = out.strip().splitlines()
            if code != 0:
                return code, (lines[-1] if lines else "no verdict") + " (range {}:{})".format(*ranges[k])
            receipt = Path(folder) / f"receipt-{k}.txt"
            receipt.write_text(out)
            receipts.append(str(receipt))
        cmd = [sys.executable, "-I", "-S", str(checker_path()), str(path), "--compose", *receipts, *extra]
        done = subprocess.run(cmd + (["-q"] if quiet else []), capture_output=True, text=True)
    if not quiet:
        sys.stdout.write(done.stdout)
    lines = done.stdout.strip().splitlines()
    return done.returncode, (lines[-1] if lines else "no verdict")
