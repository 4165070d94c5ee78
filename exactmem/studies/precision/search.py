"""Precision study: the least passing number of bits, searched without assuming monotonicity.

:func:`least_passing` brackets, bisects, then evaluates the answer's neighbours and a window
below it, and reports every non-monotone pair it saw; :class:`Tester` evaluates one setting
on a sample of points first.

Imports only core modules (data); never the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...data import Dataset
from .rounding import Decision

HARD_CAP = 1 << 16         # searches give up above this many bits
SAMPLE = 8                 # points tried first in every evaluation (then the ones that failed)


@dataclass
class Search:
    value: int | None                  # least passing n found (n - 1 fails), None if none <= cap
    evaluations: dict                  # n -> passed
    nonmonotone: list                  # [a, b] with a < b adjacent among those evaluated, a passes, b fails
    at_floor: bool = False             # value is the bottom of the domain (nothing below to fail)

    def json(self) -> dict:
        v = self.value
        ev = self.evaluations
        return {"least": v, "at_floor": self.at_floor,
                "neighbours": None if v is None else {"n-1": ev.get(v - 1), "n": ev.get(v), "n+1": ev.get(v + 1)},
                "evaluations": {str(n): ev[n] for n in sorted(ev)},
                "nonmonotone_pairs": self.nonmonotone, "monotone_as_seen": not self.nonmonotone}


def least_passing(test, start: int, floor: int, cap: int | None = None, window: int = 4,
                  known: dict | None = None) -> Search:
    """The least n >= floor with test(n) true, found by doubling, bisection, then checks.

    Bracket: from ``start`` step down (if it passes) or up (if it fails) by 1, 2, 4, ... (up to
    ``cap``, or HARD_CAP); bisect the bracket; then evaluate n + 1 and the ``window`` values below
    n - 1.  If anything below n passes (non-monotone), the answer moves to the least passing value
    seen, walking down until its predecessor fails.  The answer n always has test(n) true and
    test(n - 1) false (or n == floor)."""
    res = dict(known or {})

    def ev(n):
        if n not in res:
            res[n] = bool(test(n))
        return res[n]

    top = HARD_CAP if cap is None else cap
    start = min(max(start, floor), top)
    lo = None
    if ev(start):
        hi, step = start, 1
        while hi > floor:
            n = max(hi - step, floor)
            if ev(n):
                hi, step = n, step * 2
            else:
                lo = n
                break
    else:
        lo, step = start, 1
        while True:
            n = min(lo + step, top)
            if n == lo:
                return Search(None, res, _pairs(res))
            if ev(n):
                hi = n
                break
            lo, step = n, step * 2
    if lo is not None:
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ev(mid):
                hi = mid
            else:
                lo = mid
    value = hi
    ev(value + 1)
    for n in range(value - 2, max(value - 2 - window, floor - 1), -1):
        ev(n)
    passing = [n for n in res if res[n] and n < value]
    if passing:                                  # non-monotone: something below passes too
        value = min(passing)
        steps = 0
        while value > floor and ev(value - 1) and steps < 4 * window + 16:
            value -= 1
            steps += 1
        ev(value + 1)
    return Search(value, res, _pairs(res), at_floor=value == floor and (value - 1) not in res)


def _pairs(res: dict) -> list:
    ks = sorted(res)
    return [[a, b] for a, b in zip(ks, ks[1:]) if res[a] and not res[b]]


class Tester:
    """test(n): does the network evaluated with setting n meet the rule at every point?

    A sample of points, then every point that has failed before, is tried first; a failing
    evaluation stops there.  The first failing point and its output are kept per n."""

    def __init__(self, ds: Dataset, decision: Decision, evaluate):
        self.points, self.targets, self.decision = ds.points, ds.targets(), decision
        self.evaluate = evaluate                 # (n, points) -> outputs
        step = max(1, ds.n // SAMPLE)
        self.suspects = list(range(0, ds.n, step))[:SAMPLE]
        self.fails = {}                           # n -> (index, output)
        self.count = 0

    def __call__(self, n) -> bool:
        self.count += 1
        sus = list(dict.fromkeys(self.suspects))
        for i, out in zip(sus, self.evaluate(n, [self.points[i] for i in sus])):
            if not self.decision.ok(out, self.targets[i]):
                self.fails[n] = (i, out)
                return False
        bad = None
        for i, out in enumerate(self.evaluate(n, self.points)):
            if not self.decision.ok(out, self.targets[i]):
                if bad is None:
                    bad = (i, out)
                if i not in self.suspects and len(self.suspects) < 4 * SAMPLE:
                    self.suspects.append(i)
        if bad is not None:
            self.fails[n] = bad
            return False
        return True
