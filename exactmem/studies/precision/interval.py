"""Precision study: the exact run, its margins, and the proven bound.

:func:`exact_trace` runs the network exactly (FLINT integer matrices) and keeps what the bound
needs; :func:`bound_passes` propagates the parameter rounding error as intervals with
flat-piece margins, in integers rounded up at scale 2^-GUARD (docs/precision.md derives it).
Exact integer arithmetic only.

Imports only core modules (data, network); never the CLI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from flint import fmpz_mat

from ...data import Dataset
from ...network import Layer, Network, ResidualBlock
from ...rational import ceil_div
from .rounding import Decision, maps, two_adic

GUARD = 64                 # bits below the error unit kept by the bound's upward rounding
GIVE_UP = 64               # the bound stops when an interval exceeds 2^64 x the largest exact value


def _shift_up(v: int, s: int) -> int:
    """ceil(v * 2^s) for v >= 0."""
    return v << s if s >= 0 else -((-v) >> -s)


@dataclass
class _MapTrace:
    layer: Layer
    abs_in: object            # fmpz_mat n_in x N: ceil(|input| * 2^GUARD)
    cols: list                # the input's column denominators c_p
    flat: list | None         # per neuron, per point: M >= 0 (distance M/(den*c) into a flat piece) or -1


@dataclass
class Trace:
    entries: list             # per network entry: [_MapTrace] or [inner, outer] for a residual block
    outputs: list             # exact outputs (tuples of Fractions)
    kinks: dict               # hidden margins: min nonzero distance from a kink, zeros, entries


def _activate(Z: list, n: int, layer: Layer, cols: list, kinks: dict | None):
    """Activation, flat-piece margins and the next exact state (rows over new column denominators)."""
    act = layer.activation
    nums, dens_, flat = [], [], [] if act != "identity" else None
    for j, den in enumerate(layer.dens):
        zr = Z[j * n:(j + 1) * n]
        Ds = [den * c for c in cols]
        if kinks is not None:
            kinks["maxbits"] = max(kinks["maxbits"], max(abs(z).bit_length() - D.bit_length() + 2
                                                         for z, D in zip(zr, Ds)))
        if act == "relu":
            if kinks is not None:
                _kink_stats(kinks, ((abs(z), D) for z, D in zip(zr, Ds)))
            flat.append([-z if z <= 0 else -1 for z in zr])
            vals = [z if z > 0 else 0 for z in zr]
        elif act == "hardtanh":
            if kinks is not None:
                _kink_stats(kinks, ((min(abs(z - D), abs(z + D)), D) for z, D in zip(zr, Ds)))
            flat.append([z - D if z >= D else (-z - D if z <= -D else -1) for z, D in zip(zr, Ds)])
            vals = [D if z > D else (-D if z < -D else z) for z, D in zip(zr, Ds)]
        else:
            vals = zr
        gs = [math.gcd(v, D) for v, D in zip(vals, Ds)]
        nums.append([v // g for v, g in zip(vals, gs)])
        dens_.append([D // g for D, g in zip(Ds, gs)])
    new_cols = [math.lcm(*col) for col in zip(*dens_)]
    rows = [[v * (c // d) for v, d, c in zip(rn, rd, new_cols)] for rn, rd in zip(nums, dens_)]
    return rows, new_cols, flat


def _kink_stats(kinks, pairs):
    best = kinks["min"]
    for a, D in pairs:
        kinks["entries"] += 1
        if a == 0:
            kinks["zeros"] += 1
        elif best is None or a * best[1] < best[0] * D:
            best = (a, D)
    kinks["min"] = best


def _abs_mat(rows, cols, n) -> object:
    return fmpz_mat(len(rows), n, [ceil_div(abs(v) << GUARD, c) for row in rows for v, c in zip(row, cols)])


def _map_exact(layer: Layer, rows, cols, n, kinks):
    A = fmpz_mat(len(rows) + 1, n, [v for row in rows for v in row] + cols)
    Wb = fmpz_mat(layer.n_out, len(rows) + 1, [v for row, b in zip(layer.weights, layer.bias) for v in (*row, b)])
    Z = [int(v) for v in (Wb * A).entries()]
    tr = _MapTrace(layer, _abs_mat(rows, cols, n), list(cols), None)
    rows2, cols2, tr.flat = _activate(Z, n, layer, cols, kinks)
    return tr, rows2, cols2


def exact_trace(net: Network, points) -> Trace:
    """Exact forward pass keeping what the bound needs: |inputs| of every map (rounded up at
    scale 2^-GUARD), the exact distance of every hidden pre-activation into a flat piece of its
    activation, and the exact outputs."""
    n = len(points)
    cols = [math.lcm(*(v.denominator for v in p)) for p in points]
    rows = [[p[j].numerator * (c // p[j].denominator) for p, c in zip(points, cols)] for j in range(net.input_dim)]
    kinks = {"min": None, "zeros": 0, "entries": 0, "maxbits": 0}
    entries = []
    last = len(net.layers) - 1
    for k, e in enumerate(net.layers):
        if isinstance(e, ResidualBlock):
            t1, r1, c1 = _map_exact(e.inner, rows, cols, n, kinks)
            t2, r2, c2 = _map_exact(e.outer, r1, c1, n, None)
            new = [math.lcm(a, b) for a, b in zip(cols, c2)]
            rows = [[x * (c // a) + y * (c // b) for x, y, a, b, c in zip(ra, rb, cols, c2, new)]
                    for ra, rb in zip(rows, r2)]
            cols = new
            entries.append([t1, t2])
        else:
            t, rows, cols = _map_exact(e, rows, cols, n, kinks if k < last else None)
            if k == last:
                kinks["maxbits"] = max([kinks["maxbits"]] + [abs(v).bit_length() - c.bit_length() + 2
                                                             for row in rows for v, c in zip(row, cols)])
            entries.append([t])
    outputs = [tuple(Fraction(row[p], cols[p]) for row in rows) for p in range(n)]
    return Trace(entries, outputs, kinks)


class Tables:
    """Per affine map: |W| and |b| rounded up at scale 2^-GUARD, and each parameter's 2-adic
    order t (on the grid 2^-k iff t <= k; None if not dyadic, -inf for 0) and significant bits."""

    NEG = -(1 << 62)

    def __init__(self, net: Network):
        self.maps = {}
        for layer in maps(net):
            if id(layer) in self.maps:
                continue
            absW, t, s, babs, tb, sb = [], [], [], [], [], []
            for row, b, den in zip(layer.weights, layer.bias, layer.dens):
                absW.append([ceil_div(abs(v) << GUARD, den) for v in row])
                tr, sr = [], []
                for v in row:
                    a, c = self._ts(v, den)
                    tr.append(a)
                    sr.append(c)
                t.append(tr)
                s.append(sr)
                babs.append(ceil_div(abs(b) << GUARD, den))
                a, c = self._ts(b, den)
                tb.append(a)
                sb.append(c)
            self.maps[id(layer)] = (fmpz_mat(absW) if absW and absW[0] else None, absW, t, s, babs, tb, sb)

    def _ts(self, v, den):
        if v == 0:
            return self.NEG, 0
        g = math.gcd(v, den)
        return two_adic(v // g, den // g)

    @staticmethod
    def off(t, s, kind, n) -> bool:
        if kind == "fixed":
            return t is None or t > n
        return s is None or s > n


def _bound_map(tr: _MapTrace, tables: Tables, g, kind: str, n: int, eta_e: int, N: int):
    """One affine map of the bound.  g: the input error bound in units of eta at scale 2^-GUARD
    (rows of ints, or None when zero).  Returns the pre-activation bound Dl (rows) or None."""
    layer = tr.layer
    Wmat, absW, T, S, babs, tb, sb = tables.maps[id(layer)]
    unit = 1 << GUARD
    Q, any_off = [], False
    for j in range(layer.n_out):
        row = []
        for i in range(layer.n_in):
            o = Tables.off(T[j][i], S[j][i], kind, n)
            any_off |= o
            row.append((unit if kind == "fixed" else absW[j][i]) if o else 0)
        Q.append(row)
    qb = []
    for j in range(layer.n_out):
        o = Tables.off(tb[j], sb[j], kind, n)
        any_off |= o
        qb.append((unit if kind == "fixed" else babs[j]) if o else 0)
    if g is None and not any_off:
        return None
    total = None
    if g is not None and Wmat is not None:
        total = Wmat * fmpz_mat(g)
    if any_off and layer.n_in:
        X = tr.abs_in
        if g is not None:
            X = X + fmpz_mat([[_shift_up(v, -eta_e) for v in row] for row in g])
        R = fmpz_mat(Q) * X
        total = R if total is None else total + R
    vals = [0] * (layer.n_out * N) if total is None else [int(v) for v in total.entries()]
    return [[_shift_up(vals[j * N + p], -GUARD) + qb[j] for p in range(N)] for j in range(layer.n_out)]


def _bound_activate(tr: _MapTrace, Dl, eta_e: int):
    """Error bound after the activation: 0 where the whole interval lies in a flat piece."""
    if Dl is None:
        return None
    layer = tr.layer
    if layer.activation == "identity":
        return Dl
    sh = GUARD + eta_e
    cap = _shift_up(2, sh) if layer.activation == "hardtanh" else None
    out, nonzero = [], False
    for j, (drow, mrow) in enumerate(zip(Dl, tr.flat)):
        den = layer.dens[j]
        row = []
        for d, M, c in zip(drow, mrow, tr.cols):
            if d and M >= 0:
                lhs, rhs = d * den * c, M
                if sh >= 0:
                    rhs <<= sh
                else:
                    lhs <<= -sh
                if lhs <= rhs:
                    d = 0
            if cap is not None and d > cap:
                d = cap
            nonzero |= d != 0
            row.append(d)
        out.append(row)
    return out if nonzero else None


def bound_passes(trace: Trace, tables: Tables, ds: Dataset, decision: Decision, kind: str, n: int) -> bool:
    """Does the interval bound prove that rounding ``kind`` at n meets the rule at every point?

    kind "fixed": every off-grid parameter moves by at most eta = 2^-(n+1), on-grid ones not at
    all; kind "float": a parameter with more than n significant bits moves by at most
    eta * |w|, eta = 2^-n.  Error bounds are kept in units of eta at scale 2^-GUARD, rounded up."""
    N = ds.n
    eta_e = n + 1 if kind == "fixed" else n
    # Give up (not proven, always sound) once an interval is wider than 2^GIVE_UP times the
    # largest exact value anywhere in the run: from there on it can only fail, slowly.
    limit = 1 << max(0, trace.kinks["maxbits"] + GIVE_UP + GUARD + eta_e)

    def wide(rows):
        return rows is not None and any(max(r) > limit for r in rows)

    g = None
    for entry in trace.entries:
        if len(entry) == 2:
            D1 = _bound_map(entry[0], tables, g, kind, n, eta_e, N)
            g1 = _bound_activate(entry[0], D1, eta_e)
            g2 = _bound_map(entry[1], tables, g1, kind, n, eta_e, N)
            if wide(D1) or wide(g2):
                return False
            if g2 is not None:
                g = g2 if g is None else [[a + b for a, b in zip(r1, r2)] for r1, r2 in zip(g, g2)]
        else:
            Dl = _bound_map(entry[0], tables, g, kind, n, eta_e, N)
            if wide(Dl):
                return False
            g = _bound_activate(entry[0], Dl, eta_e) if entry is not trace.entries[-1] else Dl
    targets = ds.targets()
    sh = GUARD + eta_e
    for p, (out, t) in enumerate(zip(trace.outputs, targets)):
        if not decision.ok(out, t):
            return False
        if g is None:
            continue
        for o, (fo, to) in enumerate(zip(out, t)):
            d = g[o][p]
            slack = decision.bound - abs(fo - to)     # the component's own slack
            lhs, rhs = d * slack.denominator, slack.numerator
            if sh >= 0:
                rhs <<= sh
            else:
                lhs <<= -sh
            if (lhs >= rhs) if decision.task == "classification" else (lhs > rhs):
                return False
    return True
