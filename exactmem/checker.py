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
# (about 30 s and 1 GiB, docs/checker.md): the project's own long runs pass these.
LONG_RUN_LIMITS = ("--max-work", str(10 ** 13), "--max-memory", str(1 << 35))


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
