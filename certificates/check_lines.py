"""A dataset in a lines file (docs/certificate-format.md, section 8, format 1.4): read a point at a
time, so that the checker holds integers, never the whole JSON text of the points.

The file is the dataset's canonical body laid out by lines: its header {"classes", "task"}, its
labels, then one line per point, each line the canonical JSON of that value and a newline.  The
dataset's sha256 is still the digest of the canonical body; it is recomputed here from the lines,
in body order (classes, labels, points, task), while they are read.

Standard library and check_base only; check.py imports this file only for such a dataset.  Must
never import exactmem or check.py, and never write, run or load anything but the file it is given.
"""

import hashlib
import os

from check_base import Verdict, canonical, lst, malformed, need, parse_json, to_rat


def read_line(f, what, budget):
    """One line without its newline, held to --max-bytes; a line that does not end in a newline
    (or a missing one) is MALFORMED."""
    line = f.readline(budget.limits.bytes + 1)
    if len(line) > budget.limits.bytes:
        raise Verdict(4, f"{what}: a line longer than --max-bytes={budget.limits.bytes}")
    if not line.endswith(b"\n"):
        raise malformed(f"{what}: missing, or not ended by a newline")
    return line[:-1]


def canonical_value(raw, what, budget):
    """Rule: each line is strict JSON in canonical form (sorted keys, no whitespace)."""
    value = parse_json(raw, budget)
    if canonical(value) != raw:
        raise malformed(f"{what}: not in canonical form (sorted keys, no whitespace)")
    return value


def read_lines(path, name, n, d, budget):
    """Rule (section 8, lines): the header line is an object of exactly "classes" and "task", the
    second line the labels, then exactly N point lines of d RAT tokens each, and nothing after;
    the points' memory (N lists of d pairs) is held to --max-memory before reading.  Returns
    (task, classes, labels, points as lists of (num, den), the body's SHA-256)."""
    size = os.path.getsize(path)
    if size > budget.limits.bytes:
        raise Verdict(4, f"dataset lines file {name}: larger than --max-bytes={budget.limits.bytes}")
    budget.hold(n * (64 + 8 * d), f"dataset lines file {name}: the points")
    with open(path, "rb") as f:
        head = need(canonical_value(read_line(f, f"{name} line 1", budget), f"{name} line 1", budget),
                    ("classes", "task"), f"dataset lines file {name}: the header")
        raw_labels = read_line(f, f"{name} line 2", budget)
        labels = canonical_value(raw_labels, f"{name} line 2", budget)
        h = hashlib.sha256(b'{"classes":' + canonical(head["classes"]) + b',"labels":' + raw_labels + b',"points":[')
        xs = []
        for i in range(n):
            where = f"dataset point {i}"
            raw = read_line(f, f"{name} line {i + 3} ({where})", budget)
            tokens = lst(canonical_value(raw, where, budget), where, d)
            xs.append([to_rat(v, where, budget) for v in tokens])
            h.update(b"," + raw if i else raw)
        if f.read(1):
            raise malformed(f"dataset lines file {name}: more than N + 2 = {n + 2} lines")
    h.update(b'],"task":' + canonical(head["task"]) + b"}")
    return head["task"], head["classes"], labels, xs, h.hexdigest()
