"""Precision: the fewest bits a memorizing network really needs, measured and made checkable.

For a certificate's network F and its dataset, with a recorded *decision rule*

* class labels: F(x) rounds to the right integer, |F(x) - c| < 1/2 (a tie at 1/2 is wrong);
* regression labels: max_o |F_o(x) - y_o| <= tol (default 1/1000 of the label range),

this module measures

1. the exact bit complexity (from the network itself);
2. fixed-point weights: the least k such that rounding every weight and bias to the nearest
   multiple of 2^-k (ties to even) and evaluating *exactly* still meets the rule at every point;
3. floating weights: the least p such that rounding every parameter to p significant bits
   (unbounded exponent, round to nearest even) still does;
4. arithmetic precision: the least p such that the whole forward pass in p-bit binary floating
   point (MPFR through gmpy2, round to nearest even, unbounded exponent) still does;
5. IEEE float64, float32, float16 (numpy) and bfloat16 (float32 rounded to 8 significant bits
   after every operation): misclassified count and worst error;
6. a *proven* sufficient k* (and p*) from the exact run's margins: an interval bound on how far
   every pre-activation can move (docs/precision.md derives it), evaluated in integers with
   upward rounding.

Searches bracket by doubling, bisect, then evaluate the answer's neighbours and a window below
it and report every non-monotone pair they saw; the answer n always has n passing and n - 1
failing (or n at the bottom of the domain).  Claims are made checkable: "n suffices" as a normal
certificate of the rounded network whose claims state the grid (or significand) and the decoder
over variables check.py recomputes from the weights (format 1.2), and "n - 1 fails" as a
witness file (``check.py --witness W --against SOURCE``, bound to the source certificate).

Floats appear only in the deliberate low-precision evaluations (``mpfr_forward``,
``ieee_forward``); everything else, the bound included, is exact integer arithmetic.

Operation order of the floating-point forward passes (MPFR and IEEE alike): inputs and
parameters are first rounded to the format; for every neuron, s = fl(w_1 x_1), then
s = fl(s + fl(w_i x_i)) for i = 2..n from left to right, then s = fl(s + b) (bias last); the
activation (max with 0, clip to [-1, 1]) is exact; a residual block adds fl(h + o) entrywise.
MPFR skips zero weights (adding fl(0 * x) = 0 is exact there); the IEEE pass is dense, so an
overflowed activation times a zero weight gives NaN as real hardware would.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from flint import fmpz_mat

from .certificate import (build_certificate, certificate_bytes, claim_env, claim_values, network_json,
                          write_atomic)
from .data import Dataset, canonical_bytes
from .engine import forward
from .errors import DataError, UsageError
from .network import Layer, Network, ResidualBlock
from .rational import decode_int, decode_rat, encode_rat

WITNESS_FORMAT = "exactmem-precision-witness"
WITNESS_VERSION = "1.0"
REPORT_FORMAT = "exactmem-precision-report"
DEFAULT_FORMATS = ("float64", "float32", "float16", "bfloat16")
GUARD = 64                 # bits below the error unit kept by the bound's upward rounding
GIVE_UP = 64               # the bound stops when an interval exceeds 2^64 x the largest exact value
HARD_CAP = 1 << 16         # searches give up above this many bits
SAMPLE = 8                 # points tried first in every evaluation (then the ones that failed)

# IEEE formats: significant bits p (hidden bit included), emin, emax.
IEEE = {"float64": (53, -1022, 1023), "float32": (24, -126, 127), "float16": (11, -14, 15),
        "bfloat16": (8, -126, 127)}


# ---------------------------------------------------------------------------------------------
# Decision rule

@dataclass(frozen=True)
class Decision:
    task: str                       # "classification" | "regression"
    tol: Fraction | None = None     # regression only

    @property
    def bound(self) -> Fraction:
        return Fraction(1, 2) if self.task == "classification" else self.tol

    def error(self, out, target) -> Fraction:
        return max(abs(o - t) for o, t in zip(out, target))

    def ok(self, out, target) -> bool:
        e = self.error(out, target)
        return e < self.bound if self.task == "classification" else e <= self.bound

    def margin(self, out, target) -> Fraction:
        """Slack of the rule: 1/2 - |F - c| (must be > 0) or tol - max error (must be >= 0)."""
        return self.bound - self.error(out, target)

    def describe(self) -> dict:
        if self.task == "classification":
            return {"task": "classification", "rule": "nearest integer: |F(x) - c| < 1/2 "
                    "(a tie at exactly 1/2 counts as wrong)"}
        return {"task": "regression", "rule": "max_o |F_o(x) - y_o| <= tol", "tol": encode_rat(self.tol)}

    def text(self) -> str:
        return "|F - c| < 1/2" if self.task == "classification" else f"max|F - y| <= {self.tol}"


def default_tol(ds: Dataset) -> Fraction:
    """1/1000 of the label range (max minus min over every label component); 1/1000 if flat."""
    vals = [v for y in ds.labels for v in y]
    spread = max(vals) - min(vals)
    return spread / 1000 if spread else Fraction(1, 1000)


def decision_for(ds: Dataset, tol=None) -> Decision:
    if ds.task == "classification":
        if tol is not None:
            raise UsageError("--tol applies to regression labels; class labels use the nearest-integer rule")
        return Decision("classification")
    tol = default_tol(ds) if tol is None else Fraction(tol)
    if tol < 0:
        raise UsageError(f"--tol must be >= 0, got {tol}")
    return Decision("regression", tol)


# ---------------------------------------------------------------------------------------------
# Rounding (exact integer arithmetic)

def round_half_even(a: int, b: int) -> int:
    """The integer nearest to a / b (b > 0), ties to even."""
    q, r = divmod(a, b)
    r2 = 2 * r
    if r2 > b or (r2 == b and q & 1):
        q += 1
    return q


def fixed_parts(num: int, den: int, k: int) -> int:
    """m with m * 2^-k the multiple of 2^-k nearest to num/den (ties to even); k may be < 0."""
    return round_half_even(num << k, den) if k >= 0 else round_half_even(num, den << -k)


def sig_parts(num: int, den: int, p: int) -> tuple[int, int]:
    """(m, e) with m * 2^e = num/den rounded to p >= 1 significant bits, ties to even."""
    if num == 0:
        return 0, 0
    a = abs(num)
    e = a.bit_length() - den.bit_length()            # 2^e <= a/den < 2^(e+2)
    if (a << max(-e, 0)) < (den << max(e, 0)):
        e -= 1                                       # now 2^e <= a/den < 2^(e+1)
    s = p - 1 - e                                    # quantum 2^(e - p + 1)
    m = round_half_even(num << s, den) if s >= 0 else round_half_even(num, den << -s)
    return m, -s


def round_fixed(x, k: int) -> Fraction:
    x = Fraction(x)
    return Fraction(fixed_parts(x.numerator, x.denominator, k)) / Fraction(2) ** k


def round_sig(x, p: int) -> Fraction:
    x = Fraction(x)
    m, e = sig_parts(x.numerator, x.denominator, p)
    return m * Fraction(2) ** e


def _neuron(parts) -> tuple[tuple, int, int]:
    """Canonical (row, bias, den) of values m_i * 2^e_i (the bias last)."""
    E = max(0, max(-e for m, e in parts if m) if any(m for m, _ in parts) else 0)
    nums = [m << (e + E) if m else 0 for m, e in parts]
    den = 1 << E
    g = math.gcd(den, *nums)
    nums = [v // g for v in nums]
    return tuple(nums[:-1]), nums[-1], den // g


def round_layer(layer: Layer, kind: str, n: int) -> Layer:
    rows, bias, dens = [], [], []
    for row, b, den in zip(layer.weights, layer.bias, layer.dens):
        if kind == "fixed":
            parts = [(fixed_parts(v, den, n), -n) for v in (*row, b)]
        else:
            parts = [sig_parts(v, den, n) for v in (*row, b)]
        r, bb, dd = _neuron(parts)
        rows.append(r)
        bias.append(bb)
        dens.append(dd)
    return Layer(tuple(rows), tuple(bias), tuple(dens), layer.activation)


def round_network(net: Network, kind: str, n: int) -> Network:
    """Every weight and bias rounded: ``kind`` "fixed" (grid 2^-n) or "float" (n significant bits)."""
    if kind not in ("fixed", "float"):
        raise ValueError(f"unknown rounding {kind!r}")
    out = []
    for e in net.layers:
        if isinstance(e, ResidualBlock):
            out.append(ResidualBlock(round_layer(e.inner, kind, n), round_layer(e.outer, kind, n)))
        else:
            out.append(round_layer(e, kind, n))
    return Network(net.input_dim, tuple(out))


def rounding_json(kind: str, n: int) -> dict:
    if kind == "fixed":
        return {"kind": "fixed", "k": n, "rule": "every weight and bias to the nearest multiple of 2^-k, "
                "ties to even"}
    return {"kind": "float", "p": n, "rule": "every weight and bias to p significant bits, unbounded "
            "exponent, round to nearest, ties to even"}


def precision_claims(kind: str, n: int, t: int | None, grid_bits: int) -> list:
    """The format 1.2 claims of a suffice certificate: (id, statement, source) triples.

    ``grid_bits`` is the certificate network's own value; it exceeds n only when every rounded
    parameter is 0 (grid_bits is 0 then) and n < 0, and the claim then states 0, which holds."""
    out = [("precision-dyadic", "dyadic_weights == 1",
            "precision: every weight and bias of the rounded network is dyadic")]
    if kind == "fixed":
        k = max(n, grid_bits)
        out.append(("precision-grid", f"grid_bits <= {k}",
                    f"precision: every weight and bias of the rounded network is a multiple of 2^{-k}"))
    else:
        out.append(("precision-significand", f"sig_bits <= {n}",
                    f"precision: every weight and bias of the rounded network has at most {n} significant bits"))
    if t is not None:
        out.append(("precision-decoder", f"decoder_margin_bits == {t}",
                    f"precision: the last two layers are the nearest-integer decoder with margin 2^-{t}"))
    return out


def _maps(net: Network) -> list:
    """Every affine map (plain layers, and both maps of each residual block)."""
    out = []
    for e in net.layers:
        out += [e.inner, e.outer] if isinstance(e, ResidualBlock) else [e]
    return out


def _param_stats(net: Network) -> dict:
    """Bits of the largest |parameter| (for the fixed-point floor) and the largest 2-adic order."""
    big, exact_k, exact_p = 0, None, 0
    for layer in _maps(net):
        for v, den in layer.parameters():
            if not v:
                continue
            g = math.gcd(v, den)
            v, den = v // g, den // g
            big = max(big, (-(-abs(v) // den)).bit_length())
            t, s = _two_adic(v, den)
            if t is None:
                exact_k, exact_p = "never", "never"
            elif exact_k != "never":
                exact_k = t if exact_k is None else max(exact_k, t)
                exact_p = max(exact_p, s)
    return {"magnitude_bits": big, "exact_k": exact_k, "exact_p": exact_p}


def _two_adic(v: int, den: int):
    """For v/den in lowest terms, v != 0: (t, s) with t the least k putting it on 2^-k Z and s its
    significant bits; (None, None) when it is not dyadic."""
    if den & (den - 1):
        return None, None
    if den > 1:
        return den.bit_length() - 1, abs(v).bit_length()
    a = abs(v)
    tz = (a & -a).bit_length() - 1
    return -tz, (a >> tz).bit_length()


# ---------------------------------------------------------------------------------------------
# Certificates in, networks and datasets out

def load_certificate(path) -> tuple[dict, Dataset, Network]:
    """The certificate (as JSON), its dataset and its network.  Only decoded, not verified: run
    certificates/check.py for that (the analysis re-evaluates the network exactly anyway)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        cert = json.loads(raw)
        dsj = cert["dataset"]
        if "file" in dsj:
            body_raw = (path.parent / dsj["file"]).read_bytes()
            body = json.loads(body_raw)
        else:
            body = dsj["inline"]
        if hashlib.sha256(canonical_bytes(body)).hexdigest() != dsj["sha256"]:
            raise DataError(f"{path}: dataset sha256 mismatch")
        points = tuple(tuple(decode_rat(v) for v in p) for p in body["points"])
        if body["task"] == "classification":
            ds = Dataset(points, tuple(int(c) for c in body["labels"]), "classification", body["classes"],
                         source=path.name)
        else:
            ds = Dataset(points, tuple(tuple(decode_rat(v) for v in y) for y in body["labels"]), "regression",
                         None, source=path.name)
        net = network_from_json(cert["network"])
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    except (ValueError, KeyError, TypeError) as e:
        raise UsageError(f"{path}: not a readable exactmem certificate ({type(e).__name__}: {e})") from None
    return cert, ds, net


def _layer_from_json(obj) -> Layer:
    return Layer(tuple(tuple(decode_int(v) for v in row) for row in obj["weights"]),
                 tuple(decode_int(v) for v in obj["bias"]), tuple(decode_int(v) for v in obj["dens"]),
                 obj["activation"])


def network_from_json(obj) -> Network:
    entries = []
    for e in obj["layers"]:
        if "residual" in e:
            entries.append(ResidualBlock(_layer_from_json(e["residual"]["inner"]),
                                         _layer_from_json(e["residual"]["outer"])))
        else:
            entries.append(_layer_from_json(e))
    return Network(obj["input_dim"], tuple(entries))


# ---------------------------------------------------------------------------------------------
# Searching the least passing number of bits, without assuming monotonicity silently

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


class _Tester:
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


# ---------------------------------------------------------------------------------------------
# Arithmetic precision: the whole forward pass in p-bit binary floating point (MPFR)

def mpfr_forward(net: Network, points, p: int) -> list[tuple]:
    """Outputs (exact Fractions of the p-bit results) of the forward pass in MPFR with precision
    p, round to nearest even, unbounded exponent; operation order in the module docstring."""
    import gmpy2
    from gmpy2 import mpfr, mpq

    n = len(points)
    ctx = gmpy2.context(precision=p, round=gmpy2.RoundToNearest, emax=gmpy2.get_emax_max(),
                        emin=gmpy2.get_emin_min(), subnormalize=False)
    with gmpy2.context(ctx):
        zero, one, mone = mpfr(0), mpfr(1), mpfr(-1)

        def apply(layer, cols):
            new = []
            for row, b, den in zip(layer.weights, layer.bias, layer.dens):
                acc = None
                for i, v in enumerate(row):
                    if v:
                        w = mpfr(mpq(v, den))
                        col = cols[i]
                        acc = [w * x for x in col] if acc is None else [s + w * x for s, x in zip(acc, col)]
                if acc is None:
                    acc = [zero] * n
                if b:
                    bb = mpfr(mpq(b, den))
                    acc = [s + bb for s in acc]
                if layer.activation == "relu":
                    acc = [s if s > 0 else zero for s in acc]
                elif layer.activation == "hardtanh":
                    acc = [one if s > 1 else (mone if s < -1 else s) for s in acc]
                new.append(acc)
            return new

        cols = [[mpfr(mpq(x.numerator, x.denominator)) for x in column] for column in zip(*points)]
        for e in net.layers:
            if isinstance(e, ResidualBlock):
                o = apply(e.outer, apply(e.inner, cols))
                cols = [[u + v for u, v in zip(cu, co)] for cu, co in zip(cols, o)]
            else:
                cols = apply(e, cols)
        return [tuple(Fraction(*map(int, col[j].as_integer_ratio())) for col in cols) for j in range(n)]


# ---------------------------------------------------------------------------------------------
# IEEE formats (numpy): float64, float32, float16 native; bfloat16 emulated

def ieee_parts(num: int, den: int, p: int, emin: int, emax: int):
    """num/den rounded to the IEEE format (p, emin, emax), round to nearest even, subnormals
    included: (m, e) with value m * 2^e, or None for an overflow (+-inf, sign of num)."""
    if num == 0:
        return 0, 0
    m, e = sig_parts(num, den, p)
    if e + p - 1 < emin:                             # below the normal range: fixed grid 2^(emin-p+1)
        q = emin - p + 1
        m, e = fixed_parts(num, den, -q), q
    if m and abs(m).bit_length() + e - 1 > emax:
        return None
    return m, e


def _ieee_value(num: int, den: int, fmt: str) -> float:
    p, emin, emax = IEEE[fmt]
    r = ieee_parts(num, den, p, emin, emax)
    if r is None:
        return math.inf if num > 0 else -math.inf
    return math.ldexp(float(r[0]), r[1])             # exact: |m| < 2^p <= 2^53


def ieee_forward(net: Network, points, fmt: str) -> list:
    """Outputs of the forward pass in ``fmt`` (numpy, operation order in the module docstring);
    a non-finite output is None, a finite one its exact Fraction."""
    import numpy as np

    dtype = {"float64": np.float64, "float32": np.float32, "float16": np.float16, "bfloat16": np.float32}[fmt]
    if fmt == "bfloat16":
        def rnd(a):
            u = a.view(np.uint32)
            r = ((u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))) & np.uint32(0xFFFF0000))
            return np.where(np.isnan(a), a, r.view(np.float32))
    else:
        def rnd(a):
            return a

    def conv(rows, dens):
        return np.array([[_ieee_value(v, den, fmt) for v in row] for row, den in zip(rows, dens)], dtype=dtype)

    def apply(layer, A):
        W = conv(layer.weights, layer.dens).reshape(layer.n_out, A.shape[1])
        B = conv([[b] for b in layer.bias], layer.dens)[:, 0]
        Z = None
        for i in range(A.shape[1]):
            T = rnd(A[:, i:i + 1] * W[None, :, i])
            Z = T if Z is None else rnd(Z + T)
        if Z is None:
            Z = np.zeros((A.shape[0], layer.n_out), dtype=dtype)
        Z = rnd(Z + B[None, :])
        if layer.activation == "relu":
            Z = np.maximum(Z, dtype(0))
        elif layer.activation == "hardtanh":
            Z = np.minimum(np.maximum(Z, dtype(-1)), dtype(1))
        return Z

    with np.errstate(all="ignore"):
        A = np.array([[_ieee_value(x.numerator, x.denominator, fmt) for x in pt] for pt in points], dtype=dtype)
        for e in net.layers:
            if isinstance(e, ResidualBlock):
                A = rnd(A + apply(e.outer, apply(e.inner, A)))
            else:
                A = apply(e, A)
    out = []
    for row in A.tolist():
        out.append(tuple(Fraction(v) for v in row) if all(math.isfinite(v) for v in row) else None)
    return out


def ieee_summary(net, ds, decision, fmt) -> dict:
    targets = ds.targets()
    outs = ieee_forward(net, ds.points, fmt)
    wrong, worst, first = 0, Fraction(0), None
    nonfinite = 0
    for i, (out, t) in enumerate(zip(outs, targets)):
        if out is None:
            nonfinite += 1
            wrong += 1
            first = i if first is None else first
            continue
        worst = max(worst, decision.error(out, t))
        if not decision.ok(out, t):
            wrong += 1
            first = i if first is None else first
    p, emin, emax = IEEE[fmt]
    return {"format": fmt, "significant_bits": p, "emin": emin, "emax": emax,
            "rounding": "round to nearest, ties to even" + (" (bfloat16: every float32 result rounded to 8 "
                                                             "significant bits)" if fmt == "bfloat16" else ""),
            "order": "inputs and parameters rounded to the format; per neuron left-to-right dense dot "
                     "product of rounded products, bias added last",
            "misclassified": wrong, "nonfinite": nonfinite, "first_wrong_point": first,
            "worst_error": "inf" if nonfinite else _dec(worst), "certified": False}


# ---------------------------------------------------------------------------------------------
# The exact run, its margins, and the proven bound

def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


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
    return fmpz_mat(len(rows), n, [_ceil_div(abs(v) << GUARD, c) for row in rows for v, c in zip(row, cols)])


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


class _Tables:
    """Per affine map: |W| and |b| rounded up at scale 2^-GUARD, and each parameter's 2-adic
    order t (on the grid 2^-k iff t <= k; None if not dyadic, -inf for 0) and significant bits."""

    NEG = -(1 << 62)

    def __init__(self, net: Network):
        self.maps = {}
        for layer in _maps(net):
            if id(layer) in self.maps:
                continue
            absW, t, s, babs, tb, sb = [], [], [], [], [], []
            for row, b, den in zip(layer.weights, layer.bias, layer.dens):
                absW.append([_ceil_div(abs(v) << GUARD, den) for v in row])
                tr, sr = [], []
                for v in row:
                    a, c = self._ts(v, den)
                    tr.append(a)
                    sr.append(c)
                t.append(tr)
                s.append(sr)
                babs.append(_ceil_div(abs(b) << GUARD, den))
                a, c = self._ts(b, den)
                tb.append(a)
                sb.append(c)
            self.maps[id(layer)] = (fmpz_mat(absW) if absW and absW[0] else None, absW, t, s, babs, tb, sb)

    def _ts(self, v, den):
        if v == 0:
            return self.NEG, 0
        g = math.gcd(v, den)
        return _two_adic(v // g, den // g)

    @staticmethod
    def off(t, s, kind, n) -> bool:
        if kind == "fixed":
            return t is None or t > n
        return s is None or s > n


def _bound_map(tr: _MapTrace, tables: _Tables, g, kind: str, n: int, eta_e: int, N: int):
    """One affine map of the bound.  g: the input error bound in units of eta at scale 2^-GUARD
    (rows of ints, or None when zero).  Returns the pre-activation bound Dl (rows) or None."""
    layer = tr.layer
    Wmat, absW, T, S, babs, tb, sb = tables.maps[id(layer)]
    unit = 1 << GUARD
    Q, any_off = [], False
    for j in range(layer.n_out):
        row = []
        for i in range(layer.n_in):
            o = _Tables.off(T[j][i], S[j][i], kind, n)
            any_off |= o
            row.append((unit if kind == "fixed" else absW[j][i]) if o else 0)
        Q.append(row)
    qb = []
    for j in range(layer.n_out):
        o = _Tables.off(tb[j], sb[j], kind, n)
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


def bound_passes(trace: Trace, tables: _Tables, ds: Dataset, decision: Decision, kind: str, n: int) -> bool:
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


# ---------------------------------------------------------------------------------------------
# Claims: the suffice certificate and the fail witness

def suffice_certificate(cert: dict, ds: Dataset, net_r: Network, kind: str, n: int, decision: Decision) -> tuple:
    """A normal certificate for the rounded network (check.py verifies it unchanged).

    * mode "exact": the rounded network still outputs every label exactly;
    * mode "decoded" (class labels): the rounded network, its output layer kept as an identity
      hidden layer, followed by a nearest-integer decoder of 2(C+1) ReLUs with dyadic weights,
      sum_{j=0..C} [ReLU((F-j-1/2)/(2mu) + 1/2) - ReLU((F-j-1/2)/(2mu) - 1/2)], which equals c
      exactly iff c - 1/2 + mu <= F <= c + 1/2 - mu: the checker's exact comparison with the
      class proves the rule with margin mu = 2^-t;
    * mode "relabelled" (regression): the rounded network on the same points with labels
      replaced by its own exact outputs; the tolerance comparison against the source labels is
      recorded in info (not checked by check.py).
    Returns (certificate, mode)."""
    from .constructions import Built, Claim

    targets = ds.targets()
    outs = forward(net_r, ds.points)
    worst = max(decision.error(o, t) for o, t in zip(outs, targets))
    min_margin = min(decision.margin(o, t) for o, t in zip(outs, targets))
    decoder, t = None, None
    if all(o == t for o, t in zip(outs, targets)):
        mode, net_c, ds_c = "exact", net_r, ds
    elif decision.task == "classification":
        mode, ds_c = "decoded", ds
        t = 1
        while Fraction(1, 1 << t) > min_margin:
            t += 1
        net_c = _with_decoder(net_r, ds.classes, t)
        decoder = {"mu": f"2^-{t}", "neurons": 2 * (ds.classes + 1), "layers_before": len(net_r.layers),
                   "formula": "sum_{j=0..C} ReLU((F-j-1/2)*2^(t-1) + 1/2) - ReLU((F-j-1/2)*2^(t-1) - 1/2)"}
    else:
        mode, net_c = "relabelled", net_r
        ds_c = Dataset(ds.points, tuple(tuple(o) for o in outs), "regression", None, source=ds.source)
    outs_c = forward(net_c, ds_c.points)
    assert outs_c == ds_c.targets(), "suffice certificate: composite does not reproduce the labels"
    env = claim_env(ds_c, net_c)
    own = precision_claims(kind, n, t, env["grid_bits"])
    kept, dropped = [], []
    for c in cert.get("claims", []):
        if c["id"] in {i for i, _, _ in own}:
            continue                          # a rounded source's own precision claims: restated below
        try:
            lhs, op, rhs = claim_values(c["statement"], env)
            holds = {"Eq": lhs == rhs, "LtE": lhs <= rhs, "GtE": lhs >= rhs, "Lt": lhs < rhs, "Gt": lhs > rhs}[op]
        except (KeyError, ValueError, TypeError, ZeroDivisionError):
            holds = False
        (kept if holds else dropped).append(c)
    claims = [Claim(c["id"], c["statement"], c["source"]) for c in kept]
    for cid, statement, source in own:
        lhs, op, rhs = claim_values(statement, env)
        assert (lhs <= rhs if op == "LtE" else lhs == rhs), f"suffice certificate: {statement} fails ({lhs})"
        claims.append(Claim(cid, statement, source))
    src = cert["construction"]
    what = (f"grid 2^-{n}" if kind == "fixed" else f"{n} significant bits")
    info = {"precision": {
        "rounding": rounding_json(kind, n), "decision": decision.describe(), "mode": mode, "decoder": decoder,
        "min_margin": encode_rat(min_margin), "max_error": encode_rat(worst),
        "source_certificate_sha256": cert.get("certificate_sha256"), "source_dataset_sha256": cert["dataset"]["sha256"],
        "claims_dropped": [c["id"] for c in dropped],
        "note": {"exact": "the rounded network outputs every label exactly",
                 "decoded": "layers after layers_before are the exact nearest-integer decoder; the checker's "
                            "exact equality with the class proves |F(x) - c| <= 1/2 - mu for the rounded network F",
                 "relabelled": "labels are the rounded network's exact outputs; max_error <= tol against the "
                               "source labels is measured by exactmem precision, not by check.py"}[mode]}}
    built = Built(net_c, claims, {"source_certificate_sha256": cert.get("certificate_sha256"),
                                  "rounding": rounding_json(kind, n), "mode": mode}, info)
    construction = {"id": f"rounded:{src['id']}", "paper": src.get("paper", ""),
                    "theorem": f"{src.get('theorem', '')}; every weight and bias rounded to {what}"}
    recipe = {"tool": "exactmem precision", "source_certificate_sha256": cert.get("certificate_sha256"),
              "rounding": rounding_json(kind, n)}
    return build_certificate(ds_c, construction, built, outs_c, recipe), mode


def _with_decoder(net: Network, C: int, t: int) -> Network:
    """net (its output layer now an identity hidden layer) followed by the class decoder."""
    from .gadgets import class_decoder

    return Network(net.input_dim, net.layers + tuple(Layer.from_rationals(*m) for m in class_decoder(C, t)))


def fail_witness(cert: dict, net: Network, kind: str, n: int, index: int, point, target, output,
                 decision: Decision) -> dict:
    """A witness that rounding ``kind`` at n breaks the rule at one point (check.py --witness)."""
    net_r = round_network(net, kind, n)
    if decision.task == "classification":
        dec = {"task": "classification", "label": int(target[0])}
    else:
        dec = {"task": "regression", "label": [encode_rat(v) for v in target], "tol": encode_rat(decision.tol)}
    body = {
        "format": WITNESS_FORMAT, "version": WITNESS_VERSION, "claim": "rounding-fails",
        "rounding": {"kind": kind, ("k" if kind == "fixed" else "p"): n},
        "decision": dec, "point_index": index, "point": [encode_rat(v) for v in point],
        "output": [encode_rat(v) for v in output],
        "original_network": network_json(net), "network": network_json(net_r),
        "source": {"certificate_sha256": cert.get("certificate_sha256"), "dataset_sha256": cert["dataset"]["sha256"],
                   "construction": cert["construction"]["id"]},
    }
    body["witness_sha256"] = hashlib.sha256(canonical_bytes(body)).hexdigest()
    return body


# ---------------------------------------------------------------------------------------------
# The whole analysis

def _dec(q: Fraction, digits: int = 4) -> str:
    """A short decimal for a report (from the exact value, through mpmath)."""
    import mpmath

    if q == 0:
        return "0"
    with mpmath.workdps(30):
        return mpmath.nstr(mpmath.mpf(q.numerator) / q.denominator, digits)


def _log2_floor(q: Fraction) -> int:
    e = q.numerator.bit_length() - q.denominator.bit_length()
    return e if q >= Fraction(2) ** e else e - 1


def _run_checker(path, against=None) -> tuple[int, str]:
    """check.py on a certificate, or (``against`` the source certificate it refutes) on a witness."""
    from .checker import run_checker

    return run_checker(path, quiet=True, capture=True, against=against)


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
    stats = _param_stats(net)

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
    tables = _Tables(net)
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
        tester = _Tester(ds, decision, lambda n, pts, kind=kind: forward(round_network(net, kind, n), pts))
        cap = proven[kind].value
        known = {}
        if cap is not None:
            known[cap] = tester(cap)
            if not known[cap]:
                raise AssertionError(f"proven {kind} bound {cap} fails empirically: the bound is unsound (a bug)")
            start = min(start, cap)
        s = least_passing(tester, start, floor, cap=cap, window=window, known=known)
        entry = s.json()
        entry["evaluation_count"] = tester.count
        if s.value is not None:
            net_r = round_network(net, kind, s.value)
            entry["rounded_bit_complexity"] = net_r.bit_complexity
            if kind == "fixed":
                entry["word_bits"] = max((abs(fixed_parts(v, den, s.value)).bit_length()
                                          for L in _maps(net) for v, den in L.parameters()), default=0)
            else:
                exps = [sig_parts(v, den, s.value) for L in _maps(net) for v, den in L.parameters() if v]
                entry["exponent_range"] = [min(e + abs(m).bit_length() - 1 for m, e in exps),
                                           max(e + abs(m).bit_length() - 1 for m, e in exps)] if exps else None
            if s.value - 1 in tester.fails:
                i, out = tester.fails[s.value - 1]
                entry["fail_point"] = i
                entry["fail_output"] = [encode_rat(v) for v in out]
            if out_dir is not None:
                written[kind] = _write_claims(out_dir, cert, ds, net, net_r, kind, s, tester, decision, entry)
        timings[f"{kind}_ms"] = int(1000 * (time.perf_counter() - t0))
        report[kind] = entry
        say(f"{kind}: least {s.value} ({tester.count} evaluations, {timings[f'{kind}_ms']} ms)")

    if arith:
        t0 = time.perf_counter()
        tester = _Tester(ds, decision, lambda n, pts: mpfr_forward(net, pts, n))
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
                code, verdict = _run_checker(Path(out_dir) / path, against=cert_path if role == "witness" else None)
                report[kind][f"{role}_check"] = {"exit": code, "verdict": verdict}
        timings["check_ms"] = int(1000 * (time.perf_counter() - t0))
    return _finish(report, out_dir, timings, t_all)


def _write_claims(out_dir, cert, ds, net, net_r, kind, s: Search, tester, decision, entry) -> dict:
    out = Path(out_dir)
    letter = "k" if kind == "fixed" else "p"
    files = {}
    c, mode = suffice_certificate(cert, ds, net_r, kind, s.value, decision)
    name = f"suffice-{kind}-{letter}{s.value}.json"
    write_atomic(out / name, certificate_bytes(c))
    files["suffice"] = name
    entry["suffice"] = {"file": name, "mode": mode, "certificate_sha256": c["certificate_sha256"]}
    if s.value - 1 in tester.fails:
        i, output = tester.fails[s.value - 1]
        w = fail_witness(cert, net, kind, s.value - 1, i, ds.points[i], ds.targets()[i], output, decision)
        wname = f"fail-{kind}-{letter}{s.value - 1}.json"
        write_atomic(out / wname, canonical_bytes(w) + b"\n")
        files["witness"] = wname
        entry["witness"] = {"file": wname, "point": i, "witness_sha256": w["witness_sha256"]}
    return files


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
