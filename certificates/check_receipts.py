"""Sharded checking (docs/certificate-format.md, section 24): receipts for ranges of points,
and their composition.

The per-point step (step 8, the exact forward pass of every point) is almost all of a large
check, and points never interact, so it splits into ranges:
  check.py CERT --range I:J          steps 1-8 and 10, step 8 only for the points I..J-1, and
                                     prints a receipt:  s RECEIPT <cert> <data> I J N <checker>
  check.py CERT --compose R1 R2 ...  steps 1-7, 9 and 10 itself, and step 8 from the receipts:
                                     each is the output of a --range run of this checker version
                                     on a certificate with the same two digests, and together
                                     their ranges cover 0..N-1 exactly once.
A receipt is a text line, not a proof: composing trusts that each receipt file is what a range
run of this checker printed (run them yourself, or on machines you trust), and nothing else -
every check that is not per point is done again by the composing run.

Standard library and check_base only; check.py imports this file only for --compose.  Must never
import exactmem or check.py, and never write, run or load anything.
"""

import re

from check_base import Verdict, read_bytes, rejected

RECEIPT = re.compile(r"s RECEIPT ([0-9a-f]{64}) ([0-9a-f]{64}) (0|[1-9][0-9]*) ([1-9][0-9]*) ([1-9][0-9]*) "
                     r"checker=([0-9]+\.[0-9]+)")


def receipt_line(digest, ds_sha256, start, stop, n, version):
    """The verdict tail of a --range run (printed after "s "): what a receipt binds."""
    return f"{digest} {ds_sha256} {start} {stop} {n} checker={version}"


def parse_range(text, n):
    """Rule (section 24): --range I:J with 0 <= I < J <= N."""
    m = re.fullmatch(r"(0|[1-9][0-9]{0,14}):([1-9][0-9]{0,14})", text or "")
    if not m:
        raise Verdict(5, f"usage: --range expects I:J (two integers, 0 <= I < J), got {str(text)[:40]!r}")
    start, stop = int(m.group(1)), int(m.group(2))
    if not start < stop <= n:
        raise Verdict(5, f"usage: --range {start}:{stop} is not within 0..{n} (the certificate has N = {n})")
    return start, stop


def read_receipt(path, budget):
    """Rule (section 24): a receipt file's last non-empty line is a receipt line."""
    try:
        text = read_bytes(path, budget).decode("utf-8", "replace")
    except OSError as e:
        raise Verdict(5, f"cannot read receipt {path}: {e.strerror}")
    lines = [line for line in text.splitlines() if line.strip()]
    m = RECEIPT.fullmatch(lines[-1]) if lines else None
    if not m:
        raise rejected(f"receipt {path}: its last line is not a receipt (a --range run that did not verify?)")
    return m.group(1), m.group(2), int(m.group(3)), int(m.group(4)), int(m.group(5)), m.group(6)


def check_receipts(paths, digest, ds_sha256, n, version, budget):
    """Step 8 by composition (section 24): every receipt names this certificate's digest, its
    dataset's digest, N and this checker's version, and the ranges cover 0..N-1 exactly once
    (no gap, no overlap).  Returns the report line."""
    ranges = []
    for path in paths:
        cert_sha, data_sha, start, stop, count, checker = read_receipt(path, budget)
        for name, got, want in (("certificate", cert_sha, digest), ("dataset", data_sha, ds_sha256),
                                ("N", count, n), ("checker version", checker, version)):
            if got != want:
                raise rejected(f"receipt {path}: {name} {got}, but this certificate's is {want}")
        if not start < stop <= n:
            raise rejected(f"receipt {path}: range {start}:{stop} is not within 0..{n}")
        ranges.append((start, stop, path))
    ranges.sort()
    reach = 0
    for start, stop, path in ranges:
        if start > reach:
            raise rejected(f"receipts leave points {reach}..{start - 1} unchecked")
        if start < reach:
            raise rejected(f"receipt {path}: range {start}:{stop} overlaps another receipt's (points from "
                           f"{start} were already covered)")
        reach = stop
    if reach != n:
        raise rejected(f"receipts leave points {reach}..{n - 1} unchecked")
    return f"c forward: all {n} points checked by {len(ranges)} range runs (receipts, section 24)"
