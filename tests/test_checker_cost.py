"""The cost attacks of tests/adversarial.py against the checker's cost model
(docs/certificate-format.md, section 17): every verdict arrives within its budget, measured in
work units (the run's Budget.used against --max-work) or in bytes (--max-memory, tracemalloc),
never in seconds.

For every attack key:

1. ``test_small_scale_default_limits``: a small instance (at most ~200 KB) under the default
   limits gets its real verdict (VERIFIED, VERIFIED WITNESS; for a, RESOURCE or MALFORMED) or
   RESOURCE, never an internal checker error, and the work charged stays within --max-work.
2. ``test_refused_below_intrinsic_work`` / ``test_refused_below_intrinsic_memory``: from the
   attack's own parameters (Attack.params, never from the checker) a LOWER bound L on the
   machine-word operations (or bytes) the attacked computation must spend is computed; with
   --max-work (--max-memory) = L - 1 the verdict MUST be RESOURCE naming that flag.  A cost model
   that forgot to charge (or to estimate) the attacked operation would finish within a budget
   smaller than the work the operation must do, and VERIFY: this test fails then.  The scales are
   chosen so that L is at least 10**6 units (well above the fixed overheads of the small networks
   involved) while the file stays small; the runs stop at the budget, so they are quick.
3. ``test_traced_peak_within_memory_limit``: for the attacks that allocate, with --max-memory just
   above the JSON estimate of the files read (section 17.3: 3 bytes + 104 per value), the peak of
   memory traced by tracemalloc during the run stays below PEAK_FACTOR times --max-memory.

Units: a work unit is about a nanosecond (section 17.2) and a 64-bit word operation takes at
least about a nanosecond, so a bound in word operations is a bound in units.  Bounds used
("every implementation of the attacked computation pays"):

* producing (writing) an integer of B bits costs at least floor(B/64) word operations, and
  holding it at least floor(B/8) bytes;
* a multiply-add of a weight with a value is at least one operation, as is each evaluation of a
  neuron at a point and each coordinate compared in a pair;
* a gcd of two B-bit integers by Euclid's remainder sequence or Lehmer's algorithm (CPython's
  math.gcd, the attacked computation): every pass over the operands reduces them by at most one
  64-bit word and touches every word of the larger one, so at least W(W+1)/2 word operations,
  W = floor(B/64);
* Gaussian (Bareiss) elimination of a nonsingular n x n matrix updates (n-k)^2 entries at step k.

For b and g the scale is large enough that L also exceeds the static refusal N * S * NEURON of
section 17.1 (test 6), so that it is the charges for the growing values, not that test, which
must refuse; for j and k the static tests (6 and 3) are the model's own lower bounds of the
attacked work and may be what refuses.  The memory bounds of c, d, g and h exceed twice the JSON
estimate of the files, so that the refusal cannot come from parsing; those of e and q are the
parse itself.  Memory runs get an ample --max-work, so that only --max-memory can refuse.
"""

import functools
import math
import re
import sys
import tracemalloc
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import adversarial  # noqa: E402
from test_checker_negative import CHECKER, DEFAULT_LIMITS, LAST_RUN, ROOT, last_line, run_inprocess  # noqa: E402

WORD = 64
DOC = (ROOT / "docs" / "certificate-format.md").read_text(encoding="utf-8")
MAX_FILE = 200_000 + 10_000     # "at most ~200 KB" for the default-limit runs
MAX_BOUND_FILE = 400_000        # the runs below a bound stop early; b and d need a little more
# A traced peak may exceed --max-memory: every estimate is compared with it on its own, not added
# up (section 17.3), and the input is held at once as bytes, as text, as parsed values (bounded by
# the JSON estimate, itself <= --max-memory) and as canonical re-encodings (each about the file's
# size, i.e. at most a third of the estimate), besides the output.  The factor allows for those.
PEAK_FACTOR = 3


@functools.lru_cache(maxsize=None)
def attack(key, scale):
    return adversarial.generate(key, scale)


def run_attack(a, folder, *flags):
    adversarial.write(a, folder)
    return run_inprocess([*adversarial.checker_args(a, folder), *flags])


def json_estimate(data):
    """Section 17.3: 3 * bytes + 104 * J, J = 1 + the number of bytes , : [ { in the text."""
    return 3 * len(data) + 104 * (1 + sum(data.count(c) for c in (b",", b":", b"[", b"{")))


def words(bits):
    return max(bits, 0) // WORD


def lehmer(bits):
    """Word operations of a Euclid/Lehmer gcd of two integers of at least `bits` bits each."""
    w = words(bits)
    return w * (w + 1) // 2


# ---------------------------------------------------------------------------------------------
# Intrinsic lower bounds, from the attack's parameters

def work_a(p):
    # general_position's test (section 20) when its answer is 1: a normal of d coordinates for
    # each of the C(N, d) hyperplanes through d of the N declared points.
    return math.comb(p["n"], p["d"]) * p["d"]


def work_b(p):
    # Forward pass, layer by layer: after layer k a point's value is x * (k primes) / (k primes),
    # in lowest terms (distinct primes of prime_bits bits, x odd and small): numerator and
    # denominator of at least (prime_bits - 1) * k + 1 bits each are produced, for each point.
    per_point = sum(2 * words((p["prime_bits"] - 1) * k) for k in range(1, p["depth"] + 1))
    return p["points"] * per_point


def work_c(p):
    # min_sq_dist scales the points by the lcm 2**big of the denominators: each of the n - 1
    # points (1024 + i)/1024 becomes (1024 + i) * 2**(big - 10), of more than big bits.
    return (p["n"] - 1) * words(p["big"])


def memory_c(p):
    # ... and holds those n - 1 scaled values at once.
    return (p["n"] - 1) * (p["big"] // 8)


def work_d(p):
    # Rounding to multiples of 2**-k: each of the width nonzero weights v / 2**26 of the first
    # hidden neuron and the weight a/q of the second gives a numerator of at least k - 26 bits.
    return (p["width"] + 1) * words(p["k"] - p["weight_den_bits"])


def memory_d(p):
    # ... and the rounded map (its row of width such numerators) is held before it is compared.
    return p["width"] * ((p["k"] - p["weight_den_bits"]) // 8)


def memory_e(p):
    # Parsing builds every container of the pad: per unit, one object per '[' or '{' of the unit
    # (at least sys.getsizeof of an empty one) and a pointer to it in its parent.
    unit = p["unit"]
    size = sys.getsizeof([]) if unit.startswith("[") else sys.getsizeof({})
    return p["count"] * (unit.count("[") + unit.count("{")) * (size + 8)


def work_gcd_pairs(p):
    # f: the lowest-terms test of each RAT F_n+1/F_n; o: the canonical-neuron test gcd(den, row)
    # of each neuron F_k+1/F_k: one Euclid/Lehmer gcd of two Fibonacci numbers each.
    return sum(lehmer(min(a, b)) for a, b in p["pair_bits"])


def work_g(p):
    # The common denominator of the hidden layer: the lcm of `width` distinct primes of at least
    # prime_bits bits, built one prime at a time; after i primes it has more than
    # (prime_bits - 1) * i bits, and each step produces it.
    return sum(words((p["prime_bits"] - 1) * i) for i in range(2, p["width"] + 1))


def memory_g(p):
    # ... and the layer's values over it: 1/p_j = (product of the other primes) / lcm, `width`
    # numerators of more than (prime_bits - 1) * (width - 1) bits, held together.
    return p["width"] * ((p["prime_bits"] - 1) * (p["width"] - 1) // 8)


def _h_bits(p):
    return (3 ** (2 * p["e"])).bit_length()          # S = min_sq_dist_den = 3**(2e)


def work_h(p):
    # S*S*...*S (f factors) evaluated on both sides: the products S**k, k = 2..f, of more than
    # k * (b - 1) bits each.
    b = _h_bits(p)
    return 2 * sum(words(k * (b - 1)) for k in range(2, p["factors"] + 1))


def memory_h(p):
    # ... the last of which, S**f, is held.
    return p["factors"] * (_h_bits(p) - 1) // 8


def work_i(p):
    # pieces_on_segment: layer 1 makes g a zigzag of m monotone segments between 0 and 1, each
    # crossing each of the m layer-2 thresholds (2i + 1)/2m once, so f has at least m**2 distinct
    # kinks in (0, 1), and T holds them and the ends; every point of the final T is evaluated
    # through the 2m + 1 neurons of the network.
    m = p["m"]
    return (m * m + 2) * (2 * m + 1)


def work_j(p):
    # The forward pass: every point times every nonzero weight.  1-w-w-w-1: w + w**2 + w**2 + w;
    # with a residual block (outer map all zero): w + w**2 + w.
    w = p["w"]
    nnz = w + w * w + w + (0 if p["residual"] else w * w)
    return p["n"] * nnz


def work_k(p):
    # general_position in d = 2 on points of a parabola (no three collinear, so no early exit):
    # the C(N, 2) lines through two points, d coordinates of each normal.
    return math.comb(p["n"], 2) * p["d"]


def _rank_mod_prime(rows, prime=(1 << 61) - 1):
    rows = [[v % prime for v in r] for r in rows]
    rank, ncols = 0, len(rows[0]) if rows else 0
    for col in range(ncols):
        piv = next((i for i in range(rank, len(rows)) if rows[i][col]), None)
        if piv is None:
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        inv = pow(rows[rank][col], -1, prime)
        top = [v * inv % prime for v in rows[rank]]
        for i in range(rank + 1, len(rows)):
            f = rows[i][col]
            if f:
                rows[i] = [(a - f * b) % prime for a, b in zip(rows[i], top)]
        rank += 1
    return rank


def work_l(p, data):
    # general_position with N <= d: the Gram matrix of the N - 1 differences x_i - x_1, then its
    # determinant by elimination.  The differences are independent (rank N - 1, checked mod a
    # prime here), so the Gram matrix is nonsingular and elimination runs all its steps:
    # sum_{k=1}^{n-1} (n - k)**2 entry updates, n = N - 1.
    import json
    pts = [[int(v) for v in x] for x in json.loads(data)["dataset"]["inline"]["points"]]
    diffs = [[a - b for a, b in zip(x, pts[0])] for x in pts[1:]]
    assert _rank_mod_prime(diffs) == p["n"] - 1
    n = p["n"] - 1
    return sum(j * j for j in range(1, n))


def _det3(a, b, c):
    return (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
            + a[2] * (b[0] * c[1] - b[1] * c[0]))


def work_m(p):
    # general_position in d = 3 after scaling by 2**big: every nonzero coordinate but point 0's
    # first (which is 1/2**big) becomes r * 2**big, of more than big bits; then one normal for
    # each of the C(n, 3) triples (no four points are coplanar -- checked below -- so no early
    # exit), whose first component u_y v_z - u_z v_y is 2**(2 big) times a small integer: more
    # than 2 big bits whenever that integer is not 0.
    import itertools
    big, pts = p["big"], p["ints"]
    # point 0 is (2**-big, y, z): a 4 x 4 orientation determinant is A + 2**-big * B with small
    # integers A, B (linear in that coordinate), so it is 0 only if A = B = 0.
    def orient(q):
        return _det3(*[[x - y for x, y in zip(v, q[0])] for v in q[1:]])
    for quad in itertools.combinations(range(len(pts)), 4):
        if 0 in quad:
            at0 = [pts[i] if i else [0] + pts[0][1:] for i in quad]
            at1 = [pts[i] if i else [1] + pts[0][1:] for i in quad]
            assert orient(at0) != 0 or orient(at1) != 0, quad
        else:
            assert orient([pts[i] for i in quad]) != 0, quad
    scaled = sum(words(big) for i, x in enumerate(pts) for j, v in enumerate(x) if v and (i, j) != (0, 0))
    normals = 0
    for i, j, k in itertools.combinations(range(len(pts)), 3):
        u = [a - b for a, b in zip(pts[j], pts[i])]
        v = [a - b for a, b in zip(pts[k], pts[i])]
        if u[1] * v[2] - u[2] * v[1]:
            normals += words(2 * big)
    return scaled + normals


def work_n(p):
    # min_sq_dist's sweep on points (0, i): every first-coordinate gap is 0, so no pair ends the
    # sweep early: N(N - 1)/2 pairs, each compared in d coordinates.
    return math.comb(p["n"], 2) * p["d"]


def memory_q(p):
    # The parsed claim source: `count` characters U+2028, at least 2 bytes each in a str.
    return 2 * p["count"]


# key: (small scale, real verdict prefixes, work bound and its scale, memory bound and its scale)
VERIFIED = ("s VERIFIED ",)
CASES = {
    "a": (0.001, ("s MALFORMED ",), (work_a, 6e-6), None),
    "b": (0.05, VERIFIED, (work_b, 0.35), None),
    "c": (0.01, VERIFIED, (work_c, 0.07), (memory_c, 0.07)),
    "d": (0.01, ("s VERIFIED WITNESS ",), (work_d, 0.08), (memory_d, 0.04)),
    "e-lists": (0.01, VERIFIED, None, (memory_e, 0.01)),
    "e-dicts": (0.01, VERIFIED, None, (memory_e, 0.01)),
    "e-nested": (0.01, VERIFIED, None, (memory_e, 0.01)),
    "f": (0.01, VERIFIED, (work_gcd_pairs, 0.015), None),
    "g": (0.005, VERIFIED, (work_g, 0.012), (memory_g, 0.012)),
    "h": (0.01, VERIFIED, (work_h, 0.1), (memory_h, 0.1)),
    "i": (0.05, VERIFIED, (work_i, 0.24), None),
    "j": (0.005, VERIFIED, (work_j, 0.005), None),
    "j-residual": (0.005, VERIFIED, (work_j, 0.005), None),
    "k": (0.001, VERIFIED, (work_k, 0.004), None),
    "l": (0.01, VERIFIED, (work_l, 0.11), None),
    "m": (0.01, VERIFIED, (work_m, 0.1), None),
    "n": (0.0035, VERIFIED, (work_n, 0.0035), None),
    "o": (0.01, VERIFIED, (work_gcd_pairs, 0.015), None),
    "q": (0.01, VERIFIED, None, (memory_q, 0.01)),
}
# q attacks with work linear in the input (escaping a long line), which section 17.2 leaves
# uncharged by design (17.4: "plus time linear in the size of the input"), as are e's parses:
# those are measured in memory only.
TRACED = ["c", "d", "e-lists", "e-dicts", "e-nested", "g", "h", "q"]
PARSE_ATTACKS = ["e-lists", "e-dicts", "e-nested", "q"]
AMPLE_WORK = 10 ** 15           # memory tests: only --max-memory may refuse (the runs stay small)
# Known under-estimates of the memory model (reported; strict, so a fix turns them into failures
# to be removed from here):
# Two under-estimates this test found, now fixed in check.py: a product in a claim peaks at
# about 5.3 times its result (Karatsuba's scratch space; the estimate is now 6 results), and
# printable() joined one str per escaped character of a 10 MB claim source (lines are now cut to
# LINE_CHARS characters before they are escaped).


def test_cases_cover_every_attack():
    assert set(CASES) == set(adversarial.ATTACKS)
    assert set(TRACED) <= set(CASES)


def bound(fn, a):
    return fn(a.params, a.data) if fn is work_l else fn(a.params)


def assert_resource(result, flag, limit, what):
    code, out, err = result
    tail = last_line(out)
    assert code == 4 and tail.startswith("s RESOURCE "), f"{what}: exit {code}, {tail[:300]!r}"
    assert f"{flag}={limit}" in tail, f"{what}: {tail[:300]!r} does not name {flag}={limit}"
    assert "Traceback" not in out + err and "internal checker error" not in out + err


# ---------------------------------------------------------------------------------------------
# 1. small scale, default limits

@pytest.mark.parametrize("key", list(CASES))
def test_small_scale_default_limits(tmp_path, key):
    scale, real, _, _ = CASES[key]
    a = attack(key, scale)
    assert a.size <= MAX_FILE, a.size
    code, out, err = run_attack(a, tmp_path)
    tail = last_line(out)
    assert "internal checker error" not in out + err and "Traceback" not in out + err, tail[:300]
    if code == 4:
        assert tail.startswith("s RESOURCE "), tail[:300]
    else:
        assert code == (2 if real == ("s MALFORMED ",) else 0) and tail.startswith(real), tail[:300]
    assert LAST_RUN["budget"].work == DEFAULT_LIMITS["work"]
    assert LAST_RUN["budget"].used <= LAST_RUN["budget"].work


# ---------------------------------------------------------------------------------------------
# 2. a budget below the attack's intrinsic work (or memory) is RESOURCE

@pytest.mark.parametrize("key", [k for k, c in CASES.items() if c[2]])
def test_refused_below_intrinsic_work(tmp_path, key):
    fn, scale = CASES[key][2]
    a = attack(key, scale)
    assert a.size <= MAX_BOUND_FILE, a.size
    low = bound(fn, a)
    assert low >= 10 ** 6, f"{key} at scale {scale}: lower bound {low} too close to the fixed overheads"
    result = run_attack(a, tmp_path, "--max-work", low - 1)
    assert_resource(result, "--max-work", low - 1,
                    f"{key} at scale {scale} with --max-work={low - 1} (intrinsic work >= {low})")


@pytest.mark.parametrize("key", [k for k, c in CASES.items() if c[3]])
def test_refused_below_intrinsic_memory(tmp_path, key):
    fn, scale = CASES[key][3]
    a = attack(key, scale)
    assert a.size <= MAX_BOUND_FILE, a.size
    low = bound(fn, a)
    if key in PARSE_ATTACKS:        # the attacked allocation is the parse itself
        assert low >= 50_000, f"{key} at scale {scale}: memory bound {low} bytes is too small"
    else:                           # an allocation after the parse: its bound must exceed the parse's
        estimate = max(json_estimate(d) for d in [a.data, *a.extra.values()])
        assert low > 2 * estimate, f"{key} at scale {scale}: memory bound {low} <= 2 x JSON estimate {estimate}"
    # a work budget large enough that only the memory limit can refuse
    result = run_attack(a, tmp_path, "--max-memory", low - 1, "--max-work", AMPLE_WORK)
    assert_resource(result, "--max-memory", low - 1,
                    f"{key} at scale {scale} with --max-memory={low - 1} (must hold >= {low} bytes)")


# ---------------------------------------------------------------------------------------------
# 3. traced memory stays within a multiple of --max-memory set just above the JSON estimate

@pytest.mark.parametrize("key", TRACED)
def test_traced_peak_within_memory_limit(tmp_path, key):
    _, real, _, mem = CASES[key]
    scale = mem[1] if mem else CASES[key][0]
    a = attack(key, scale)
    limit = max(json_estimate(d) for d in [a.data, *a.extra.values()]) + 1
    need = bound(mem[0], a) if mem else 0
    adversarial.write(a, tmp_path)
    argv = [*adversarial.checker_args(a, tmp_path), "--max-memory", limit, "--max-work", AMPLE_WORK]
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        code, out, err = run_inprocess(argv)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    tail = last_line(out)
    if need > limit:        # the attack must hold more than the limit: refused
        assert_resource((code, out, err), "--max-memory", limit, f"{key} at scale {scale}")
    else:
        assert code == 0 and tail.startswith(real), tail[:300]
    assert peak <= PEAK_FACTOR * limit, f"{key}: traced peak {peak} > {PEAK_FACTOR} x --max-memory={limit}"


# ---------------------------------------------------------------------------------------------
# The default limits are the documented ones

def _doc_number(text):
    """'4,194,304 = 2^22' -> 4194304; '2·10^10 = 20,000,000,000' -> 2 * 10**10 (both forms checked)."""
    values = []
    for part in text.split("="):
        part = part.strip().replace(",", "")
        m = re.fullmatch(r"(?:(\d+)\s*[·*x]\s*)?(\d+)\^(\d+)", part)
        if m:
            values.append(int(m.group(1) or 1) * int(m.group(2)) ** int(m.group(3)))
        elif re.fullmatch(r"\d+", part):
            values.append(int(part))
    assert values and len(set(values)) == 1, text
    return values[0]


def test_default_limits_are_the_documented_ones():
    start = DOC.index("## 17. Resource limits")
    section = DOC[start:DOC.index("## 18.", start)]
    flags = {"int_bits": "--max-int-bits", "bytes": "--max-bytes", "layers": "--max-layers",
             "width": "--max-width", "points": "--max-points", "work": "--max-work",
             "memory": "--max-memory"}
    documented = {}
    for key, flag in flags.items():
        m = re.search(rf"`{flag} [A-Z]`\s*\(default ([^)]*?)(?: units)?\)", section)
        assert m, flag
        documented[key] = _doc_number(m.group(1))
    assert documented == DEFAULT_LIMITS == CHECKER.DEFAULT_LIMITS._asdict()
    # and a run without flags uses them (the budget of section 17.2 and 17.3)
    run_inprocess([ROOT / "certificates" / "golden" / "zhang17-n5-d1.json"])
    budget = LAST_RUN["budget"]
    assert (budget.work, budget.memory) == (documented["work"], documented["memory"])
    for key in flags:
        assert getattr(budget.limits, key) == documented[key]
