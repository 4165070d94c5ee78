"""Adversarial corpus for certificates/check.py: small files that try to hold the checker for long or
make it use a lot of memory (cost attacks).  Standard library only; never imports exactmem.

Target (docs/checker.md): any input of at most 10 MB gets its verdict in at most 30 s and 1 GiB of
peak memory at the default limits, or RESOURCE (exit 4).

Every attack is one generator ``attack_<letter>_<what>(scale=1.0) -> Attack``.  ``scale=1`` makes
the full-size version (at most about 10 MB, the one benchmarks/bench_checker_adversarial.py runs);
a small scale (0.001 .. 0.01) makes a tiny version of the same shape for tests, generated in well
under a second.  An Attack is the named tuple ``(name, data, extra, description)``:

    name         file stem, e.g. "b-deep-coprime"
    data         bytes of the main file (a certificate; for the witness attack, the witness)
    extra        {file name: bytes} to write beside it (the witness attack's source certificate)
    description  the generator's docstring: one line naming the attack, then the operation attacked
    params       the sizes the generator chose at this scale ({"n": ..., "d": ...}; see each
                 generator), so that a test can compute the attack's intrinsic work from them

The files are syntactically valid: canonical JSON with a final newline, correct dataset and
certificate digests, correct ``sizes``, and correct ``outputs`` (and claim ``lhs``/``rhs``) wherever
that is feasible, so that the only right answers are the real verdict or RESOURCE.  Claims about a
costly variable V are written ``V - V == 0``: true, with lhs = rhs = 0, whatever V is, so the
generator need not compute V but the checker must (or refuse).  Where the certificate is
deliberately inconsistent (attack a), the docstring says so.

    import adversarial
    a = adversarial.generate("b", scale=0.01)
    path = adversarial.write(a, tmp_path)                    # writes data and extra files
    argv = adversarial.checker_args(a, tmp_path)             # [FILE] or [--witness W --against C]

``ATTACKS`` maps each letter (and variant, e.g. "e-dicts") to its generator, in report order.
"""

import hashlib
import json
import math
import random
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

# The checker's default limits these attacks are sized against (certificates/check.py, HEAD).
INT_BITS = 1 << 22
MAX_WORK = 10 ** 11
FILE_BUDGET = 10 * 10 ** 6          # bytes a full-size attack may take (main file + extra files)


class Attack(NamedTuple):
    name: str
    data: bytes
    extra: dict
    description: str
    params: dict = None

    @property
    def is_witness(self):
        return self.data.startswith(b'{"claim":"rounding-fails"')

    @property
    def size(self):
        return len(self.data) + sum(len(v) for v in self.extra.values())


# ---------------------------------------------------------------------------------------------
# Canonical encoding (the same as check.py and make_negatives.py)

def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def enc_int(v):
    return str(v) if -(1 << 53) < v < (1 << 53) else ("-" if v < 0 else "") + hex(abs(v))


def enc_rat(num, den=1):
    """RAT token of num/den; the caller guarantees den > 0 and lowest terms (checked when cheap)."""
    if isinstance(num, Fraction):
        num, den = num.numerator, num.denominator
    assert den > 0
    if den == 1:
        return enc_int(num)
    if max(abs(num).bit_length(), den.bit_length()) < 20000:
        assert math.gcd(num, den) == 1, "not in lowest terms"
    return f"{enc_int(num)}/{enc_int(den)}"


# Pairs (a, b) of huge integers the generator knows to be coprime (consecutive Fibonacci numbers),
# so that sizes() need not run the quadratic gcd it makes the checker run.
_COPRIME = set()


def _gcd(a, b):
    a, b = abs(a), abs(b)
    if a == 0 or b == 0:
        return a or b
    if (a, b) in _COPRIME or (b, a) in _COPRIME:
        return 1
    if b & (b - 1) == 0:                                # b a power of two
        return min(a & -a, b)
    return math.gcd(a, b)


def _bits_rat(v, den):
    g = _gcd(v, den)
    return abs(v // g).bit_length() + (den // g).bit_length(), abs(v // g).bit_length()


# A layer is (activation, rows, bias, dens): integer numerators and one positive den per neuron,
# canonical (gcd(den, bias, row) = 1).  An entry is [layer] or [inner, outer] (residual block).

def neuron(weights, bias):
    """Canonical (row, bias, den) of one neuron from rational weights and bias."""
    fr = [Fraction(w) for w in weights] + [Fraction(bias)]
    den = math.lcm(*(f.denominator for f in fr))
    nums = [f.numerator * (den // f.denominator) for f in fr]
    return nums[:-1], nums[-1], den


def layer(act, neurons):
    """A layer from [(row, bias, den), ...]."""
    return act, [n[0] for n in neurons], [n[1] for n in neurons], [n[2] for n in neurons]


def layer_json(lay):
    act, rows, bias, dens = lay
    return {"activation": act, "bias": [enc_int(b) for b in bias], "dens": [enc_int(q) for q in dens],
            "weights": [[enc_int(w) for w in r] for r in rows]}


def network_json(entries, d):
    out = []
    for e in entries:
        if len(e) == 1:
            out.append(layer_json(e[0]))
        else:
            out.append({"residual": {"inner": layer_json(e[0]), "outer": layer_json(e[1])}})
    return {"input_dim": d, "layers": out}


def sizes(entries, d):
    """check.py's recompute_sizes (docs/certificate-format.md, section 12)."""
    widths = [len(e[0][3]) for e in entries[:-1]]
    layer_bits, numbits, nonzero, dense, n_in = [], 0, 0, 0, d
    for e in entries:
        stream = n_in
        for act, rows, bias, dens in e:
            dense += (n_in + 1) * len(dens)
            best = 0
            cache = {}
            for r, b, den in zip(rows, bias, dens):
                for v in r + [b]:
                    if v:
                        nonzero += 1
                    key = (v, den)
                    if key not in cache:
                        cache[key] = _bits_rat(v, den)
                    cost, nb = cache[key]
                    best = max(best, cost)
                    numbits = max(numbits, nb)
            layer_bits.append(best)
            n_in = len(dens)
        n_in = n_in if len(e) == 1 else stream
    return {"depth": len(layer_bits), "width": max(widths, default=0), "widths": widths,
            "hidden_neurons": sum(widths), "params_dense": dense, "params_nonzero": nonzero,
            "bit_complexity": max(layer_bits), "max_numerator_bits": numbits, "layer_bits": layer_bits}


def forward(entries, x):
    """Exact forward pass with Fractions (only for the cheap parts of an attack)."""
    h = [Fraction(v) for v in x]
    for e in entries:
        stream = h
        for act, rows, bias, dens in e:
            z = [(sum(w * v for w, v in zip(r, h) if w) + Fraction(b)) / den for r, b, den in zip(rows, bias, dens)]
            if act == "relu":
                z = [max(v, 0) for v in z]
            elif act == "hardtanh":
                z = [min(max(v, -1), 1) for v in z]
            h = z
        if len(e) == 2:
            h = [a + b for a, b in zip(stream, h)]
    return h


def constant_net(d, value=1):
    """One identity layer, all weights 0, bias `value`: outputs `value` everywhere (cheap to check)."""
    return [[layer("identity", [neuron([0] * d, value)])]]


def claim(cid, statement, lhs=0, rhs=0, source="tests/adversarial.py"):
    return {"id": cid, "statement": statement, "source": source, "lhs": enc_int(lhs), "rhs": enc_int(rhs)}


def certificate(name, points, labels, entries, d, *, outputs=None, claims=(), task="regression",
                classes=None, version="1.0", segment=None, info=None, net=None, size=None):
    """Canonical certificate bytes.  points/labels/outputs are lists of token lists (classification
    labels: JSON integers); outputs default to the labels (the network is built to hit them).  net
    and size may be given precomputed (network_json / sizes) when the caller has them cheaper."""
    n = len(points)
    dy = 1 if task == "classification" else len(labels[0])
    if outputs is None:
        outputs = [[enc_int(c)] for c in labels] if task == "classification" else labels
    inline = {"task": task, "classes": classes, "points": points, "labels": labels}
    cert = {
        "format": "exactmem-certificate", "version": version,
        "$schema": "https://exactmem.invalid/schema/certificate-1.json",
        "generator": {"name": "tests/adversarial.py", "version": "1"},
        "construction": {"id": f"adversarial:{name}", "paper": "tests/adversarial.py",
                         "theorem": "cost attack", "params": {}},
        "recipe": {}, "info": info if info is not None else {},
        "dataset": {"sha256": hashlib.sha256(canonical(inline)).hexdigest(), "n": n, "d": d, "dy": dy,
                    "inline": inline},
        "network": net if net is not None else network_json(entries, d),
        "outputs": outputs,
        "sizes": size if size is not None else sizes(entries, d),
        "claims": list(claims),
    }
    if segment is not None:
        cert["segment"] = segment
    cert["certificate_sha256"] = hashlib.sha256(canonical(cert)).hexdigest()
    return canonical(cert) + b"\n"


def _scaled(full, scale, lo):
    return max(lo, int(full * scale))


# ---------------------------------------------------------------------------------------------
# Number-theory helpers

_SMALL_PRIMES = [p for p in range(3, 200) if all(p % q for q in range(2, int(p ** 0.5) + 1))]
_PRIMORIAL = math.prod(_SMALL_PRIMES)


def is_prime(n):
    """Deterministic Miller-Rabin for n < 3.3 * 10**24."""
    if n < 2:
        return False
    if n < 200:
        return n == 2 or n in _SMALL_PRIMES
    if math.gcd(n, 2 * _PRIMORIAL) != 1:
        return False
    dd, s = n - 1, 0
    while dd % 2 == 0:
        dd, s = dd // 2, s + 1
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23) if n < 3825123056546413051 else \
        (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    for a in bases:
        x = pow(a, dd, n)
        if x == 1 or x == n - 1:
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def probable_primes_below(top, count):
    """The `count` largest base-2 Fermat probable primes below top: in practice the largest primes
    (pseudoprimes are vanishingly rare there), so pairwise coprime; nothing relies on it for validity."""
    out, c = [], top - 1 if top % 2 == 0 else top - 2
    while len(out) < count:
        if math.gcd(c, _PRIMORIAL) == 1 and pow(2, c - 1, c) == 1:
            out.append(c)
        c -= 2
    return out


def random_primes(bits, count, rng):
    seen = set()
    while len(seen) < count:
        c = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
        if c not in seen and math.gcd(c, _PRIMORIAL) == 1 and is_prime(c):
            seen.add(c)
    return sorted(seen)


def fib_pair(n):
    """(F_n, F_n+1) by fast doubling."""
    a, b = 0, 1
    for bit in bin(n)[2:]:
        c, e = a * (2 * b - a), a * a + b * b
        a, b = (e, c + e) if bit == "1" else (c, e)
    return a, b


def fib_below(bits):
    """The largest n with F_n+1 < 2**bits, and (F_n, F_n+1)."""
    n = max(3, int(bits / 0.6942419136306174))
    a, b = fib_pair(n)
    while b.bit_length() > bits:
        a, b, n = b - a, a, n - 1
    return n, a, b


def round_half_even(a, b):
    q, r = divmod(a, b)
    if 2 * r > b or (2 * r == b and q & 1):
        q += 1
    return q


# ---------------------------------------------------------------------------------------------
# The attacks

def attack_a_comb(scale=1.0):
    """a. general_position claim with n = 10**7, d = 10**6 declared in a 1 KB file.

    Attacked: check_limits computes gp_work(n, d) = math.comb(n, d) * d * (d-1)**3 exactly before
    anything else (C(10**7, 10**6) has 4.7 M bits and takes ~45 s); the binomial must be bounded
    (compared with the limit incrementally) before it is built.  The file is deliberately
    inconsistent (1 point listed, not n): the right verdicts are RESOURCE (N * params_dense =
    10**7 * (10**6 + 1) > --max-work, and the general_position work is far above it) or MALFORMED."""
    n, d = _scaled(10 ** 7, scale, 40), _scaled(10 ** 6, scale, 4)
    body = certificate("a-comb", [["0"]], [["1"]], constant_net(1), 1, version="1.1",
                       claims=[claim("gp", "general_position == 1", 1, 1)])
    cert = json.loads(body)
    cert["dataset"]["n"], cert["dataset"]["d"] = n, d
    del cert["certificate_sha256"]
    cert["certificate_sha256"] = hashlib.sha256(canonical(cert)).hexdigest()
    return Attack("a-comb", canonical(cert) + b"\n", {}, attack_a_comb.__doc__, {"n": n, "d": d})


def attack_b_deep_coprime(scale=1.0):
    """b. 4,000 width-1 ReLU layers with coprime 64-bit prime weights and denominators, 8 points.

    Attacked: the forward pass (apply_layer): each point's value grows by 128 bits per layer (to
    256 k-bit numerator and denominator) and every layer reduces it with math.gcd, quadratic in the
    bit length, so one point costs sum_k (128 k)^2 bit-operations.  Valid certificate: outputs are
    x * prod(p) / prod(q), exact; the real verdict is VERIFIED."""
    depth, npts = _scaled(4000, scale, 2), _scaled(8, scale, 1)
    rng = random.Random(2)
    primes = random_primes(64, 2 * depth, rng)
    rng.shuffle(primes)
    ws, qs = primes[:depth], primes[depth:]
    entries = [[layer("relu", [([w], 0, q)])] for w, q in zip(ws, qs)]
    entries.append([layer("identity", [([1], 0, 1)])])
    P, Q = math.prod(ws), math.prod(qs)
    xs = [2 * i + 1 for i in range(npts)]             # small, hence coprime to Q
    points = [[enc_int(x)] for x in xs]
    labels = [[enc_rat(x * P, Q)] for x in xs]
    data = certificate("b-deep-coprime", points, labels, entries, 1)
    return Attack("b-deep-coprime", data, {}, attack_b_deep_coprime.__doc__,
                  {"depth": depth, "points": npts, "prime_bits": min(p.bit_length() for p in primes)})


def attack_c_lcm_min_sq(scale=1.0):
    """c. one coordinate with denominator 2**4194300 among 4,500 points, claims on min_sq_dist.

    Attacked: min_sq_distance scales every point by the lcm of all denominators (2**4194300), so
    4,500 numbers of 4 M bits are held at once (2.3 GB), and the sweep squares 4 M-bit gaps.  The
    minimum (1/2**20, between two ordinary points) is small; valid certificate, real verdict
    VERIFIED."""
    n = _scaled(4500, scale, 3)
    big = _scaled(4194300, scale, 64)
    points = [[enc_rat(1, 1 << big)]] + [[enc_rat(Fraction(1024 + i, 1024))] for i in range(1, n)]
    claims = [claim("min-sq-num", "min_sq_dist_num >= 1", 1, 1),
              claim("min-sq-den", "min_sq_dist_den == 1048576", 1 << 20, 1 << 20)]
    data = certificate("c-lcm-min-sq", points, [["1"]] * n, constant_net(1), 1, claims=claims)
    return Attack("c-lcm-min-sq", data, {}, attack_c_lcm_min_sq.__doc__, {"n": n, "big": big})


def attack_d_witness_rounding(scale=1.0):
    """d. precision witness, fixed rounding k = 4,194,304 of a neuron with 2,500 weights.

    Attacked: check_witness/round_map: every weight v/den is shifted to v << k (a 4 M-bit integer,
    512 KB) and the whole row is kept in memory before the gcd (2,500 x 512 KB = 1.3 GB), then
    reduced by gcd and exact division.  The weights are dyadic (odd/2**26), so the rounded network is
    small; one extra neuron with weight a/q (q odd) rounds to a 4 M-bit dyadic that makes the output
    differ from the label, and the regression tolerance is 0.  The source certificate is written
    as the extra file; the witness is valid (the unrounded network meets the rule at the point,
    the rounded one does not): the real verdict is VERIFIED WITNESS."""
    k = _scaled(1 << 22, scale, 64)
    width = _scaled(2500, scale, 2)
    x = [1 + i % 7 for i in range(width)]
    wa = [(2 * i + 1) % 1024 for i in range(width)]
    # weight a/q < 1/2 of the extra neuron: m = round(a 2^k / q) must be even, so that the rounded
    # denominator 2^(k - v2(m)) stays within --max-int-bits; the output stays below 1, so that
    # its numerator (over that denominator) does too
    a, q = next((a, q) for q in (3, 5, 7, 11, 13) for a in range(1, (q + 1) // 2)
                if round_half_even(a << k, q) % 2 == 0)
    m = round_half_even(a << k, q)
    v2 = (m & -m).bit_length() - 1
    mr, kr = m >> v2, k - v2
    na = neuron([Fraction(w, 1 << 26) for w in wa], 0)    # A(x) < 2500 * 1024 * 7 / 2^26 < 0.3
    nb = neuron([Fraction(a, q)] + [0] * (width - 1), 0)
    out = [layer("identity", [([1, 1], 0, 1)])]
    original = [[layer("relu", [na, nb])], out]
    rounded = [[layer("relu", [na, ([mr] + [0] * (width - 1), 0, 1 << kr)])], out]
    alpha = Fraction(sum(w * v for w, v in zip(wa, x)), 1 << 26)
    label = alpha + Fraction(a, q)                       # the unrounded output (x_0 = 1)
    s = alpha.denominator.bit_length() - 1
    assert alpha.denominator == 1 << s and kr > s and mr % 2 == 1
    out_num = alpha.numerator * (1 << (kr - s)) + mr     # odd: already in lowest terms
    assert 0 < label < 1 and out_num < 1 << kr
    point = [enc_int(v) for v in x]
    net = network_json(original, width)
    source = certificate("d-witness-source", [point], [[enc_rat(label)]], original, width, net=net)
    src = json.loads(source)
    w = {"format": "exactmem-precision-witness", "version": "1.0", "claim": "rounding-fails",
         "rounding": {"kind": "fixed", "k": k},
         "decision": {"task": "regression", "label": [enc_rat(label)], "tol": "0"},
         "point_index": 0, "point": point, "output": [enc_rat(out_num, 1 << kr)],
         "original_network": net, "network": network_json(rounded, width),
         "source": {"certificate_sha256": src["certificate_sha256"],
                    "dataset_sha256": src["dataset"]["sha256"], "construction": src["construction"]["id"]}}
    w["witness_sha256"] = hashlib.sha256(canonical(w)).hexdigest()
    return Attack("d-witness-rounding", canonical(w) + b"\n", {"d-witness-rounding.source.json": source},
                  attack_d_witness_rounding.__doc__,
                  {"k": k, "width": width, "weight_den_bits": 26})


def _padded(name, pad, unit, doc, scale):
    """A cheap valid certificate whose info.pad is `unit` repeated to fill the file budget."""
    base = certificate(name, [["0"]], [["1"]], constant_net(1), 1, info={"pad": []})
    count = max(1, (int(FILE_BUDGET * scale) - len(base)) // (len(unit) + 1))
    data = certificate(name, [["0"]], [["1"]], constant_net(1), 1, info={"pad": [pad] * count})
    return Attack(name, data, {}, doc, {"count": count, "unit": unit})


def attack_e_lists(scale=1.0):
    """e. a 10 MB info object [[],[],...] (3.3 M empty lists).

    Attacked: parse_json builds every value before anything is checked: ~65 bytes per 3 input bytes
    (220 MB for 10 MB), plus the canonical re-encodings.  At the largest file the default
    --max-bytes admits (2 GiB) the same shape needs ~45 GB: the checker must count the JSON values
    (e.g. from the bytes ',', ':', '[', '{') and cap them before building objects.  Valid
    certificate (info is UNCHECKED): real verdict VERIFIED."""
    return _padded("e-lists", [], "[]", attack_e_lists.__doc__, scale)


def attack_e_dicts(scale=1.0):
    """e. variant: a 10 MB info object [{},{},...] (3.3 M empty objects).

    Attacked: parse_json, as e-lists, but every {} also calls the duplicate-key hook (a Python
    function call per object) and an empty dict is 64 bytes.  Real verdict VERIFIED."""
    return _padded("e-dicts", {}, "{}", attack_e_dicts.__doc__, scale)


def attack_e_nested(scale=1.0):
    """e. variant: 10 MB of lists nested 400 deep, [[[...]]] repeated (2 input bytes per list).

    Attacked: parse_json memory per input byte: a one-element list costs ~90 bytes for 2 bytes of
    input (about twice e-lists' ratio), and the recursion of the C scanner and of the canonical
    encoder at each level.  Real verdict VERIFIED."""
    deep = []
    for _ in range(399):
        deep = [deep]
    return _padded("e-nested", deep, "[" * 400 + "]" * 400, attack_e_nested.__doc__, scale)


def attack_f_gcd_rat(scale=1.0):
    """f. four RAT coordinates F_n+1/F_n (consecutive Fibonacci numbers, ~4.19 M bits each side).

    Attacked: to_rat's lowest-terms test math.gcd(p, q): Lehmer's gcd is quadratic (~20 s for two
    4 M-bit numbers on CPython 3.11; Fibonacci pairs are Euclid's worst case).  They are the 1.1
    segment's coordinates, which are checked with or without a claim; valid, real verdict
    VERIFIED."""
    bits = _scaled(INT_BITS, scale, 256)
    n, a, b = fib_below(bits)
    rats, pair_bits = [], []
    for _ in range(4):
        _COPRIME.add((b, a))
        rats.append(f"{enc_int(b)}/{enc_int(a)}")
        pair_bits.append((b.bit_length(), a.bit_length()))
        a, b = b - a, a
    seg = {"from": rats[:2], "to": rats[2:]}
    data = certificate("f-gcd-rat", [["0", "0"]], [["1"]], constant_net(2), 2, version="1.1", segment=seg)
    return Attack("f-gcd-rat", data, {}, attack_f_gcd_rat.__doc__,
                  {"bits": bits, "pair_bits": pair_bits})


def attack_g_wide_lcm(scale=1.0):
    """g. one hidden layer of ~294,000 ReLUs, weight 1/p_j, p_j the largest 53-bit (probable) primes, one point.

    Attacked: apply_layer's c = math.lcm(*ds) over the layer: the lcm grows to 16 M bits, and
    math.lcm folds it pairwise (quadratic), then every neuron's value is scaled to it
    (v * (c // q): 294,000 numbers of 16 M bits, 600 GB).  (~500,000 64-bit denominators was the
    target; 294,000 53-bit ones is what fits in 10 MB.)  Output weights 1, 0, 0, ...: the
    output is 1/p_0, exact; valid, real verdict VERIFIED."""
    width = _scaled(FILE_BUDGET // 34, scale, 2)
    ps = probable_primes_below(1 << 53, width)
    hidden = ("relu", [[1]] * width, [0] * width, ps)
    out = ("identity", [[1] + [0] * (width - 1)], [0], [1])
    entries = [[hidden], [out]]
    data = certificate("g-wide-lcm", [["1"]], [[enc_rat(1, ps[0])]], entries, 1)
    return Attack("g-wide-lcm", data, {}, attack_g_wide_lcm.__doc__,
                  {"width": width, "prime_bits": min(p.bit_length() for p in ps)})


def attack_h_claim_product(scale=1.0):
    """h. claim 'S*S*...*S - S*S*...*S >= 0' (15 factors a side, 487 chars), S = min_sq_dist_den = 3**2646000.

    Attacked: claim evaluation (ClaimParser.term): the products grow to 63 M bits each, every step a
    4 M-bit x k*4 M-bit multiplication.  Two points 0 and 1/3**1323000; lhs = rhs = 0 is correct;
    valid, real verdict VERIFIED."""
    e = _scaled(1323000, scale, 8)
    factors = 15
    side = "*".join(["min_sq_dist_den"] * factors)
    statement = f"{side} - {side} >= 0"
    assert len(statement) <= 500
    points = [["0"], [enc_rat(1, 3 ** e)]]
    data = certificate("h-claim-product", points, [["1"], ["1"]], constant_net(1), 1,
                       claims=[claim("product", statement, 0, 0)])
    return Attack("h-claim-product", data, {}, attack_h_claim_product.__doc__, {"e": e, "factors": factors})


def _pieces_work(m):
    params = 2 * m + (m + 1) * m + (m + 1)
    return ((1 + m) * (1 + m) + 1) * params * 3


def attack_i_pieces(scale=1.0):
    """i. pieces_on_segment on x in [0, 1] through a 1-m-m-1 ReLU net (m = 425) with m^2 real kinks.

    Attacked: pieces_on_segment's Fraction arithmetic: the piece bound (1+m)^2, times params_dense
    and 3 layers, is just under --max-work = 10**11; layer 1 makes g a zigzag with m teeth between 0
    and 1, each of the m layer-2 ReLUs (thresholds (2i+1)/2m) crosses it once per tooth, so T really
    gets ~m^2 = 180,000 points, each then evaluated through the m^2-parameter net (3 * 10**10
    multiply-adds and m^3 Fraction operations before that).  Claim
    'pieces_on_segment - pieces_on_segment == 0'; valid, real verdict VERIFIED."""
    m = 1
    while _pieces_work(m + 1) <= MAX_WORK:
        m += 1
    m = max(2, int(m * scale))
    l1 = layer("relu", [neuron([1], Fraction(-k, m)) for k in range(m)])
    g = [m] + [(-1) ** k * 2 * m for k in range(1, m)]
    l2 = layer("relu", [neuron(g, Fraction(-(2 * i + 1), 2 * m)) for i in range(m)])
    l3 = layer("identity", [neuron([1] * m, 0)])
    entries = [[l1], [l2], [l3]]
    x = Fraction(1, 3)
    (y,) = forward(entries, [x])
    seg = {"from": ["0"], "to": ["1"]}
    data = certificate("i-pieces", [[enc_rat(x)]], [[enc_rat(y)]], entries, 1, version="1.1", segment=seg,
                       claims=[claim("pieces", "pieces_on_segment - pieces_on_segment == 0", 0, 0)])
    return Attack("i-pieces", data, {}, attack_i_pieces.__doc__, {"m": m})


def _honest(name, scale, residual, doc):
    w = _scaled(1000, scale ** 0.5, 2)
    mean = neuron([Fraction(1, w)] * w, 0)              # every neuron: the mean of its inputs
    first = [layer("relu", [([1], 0, 1)] * w)]
    if residual:
        zero = ([0] * w, 0, 1)
        middle = [[layer("relu", [mean] * w), layer("identity", [zero] * w)]]
    else:
        middle = [[layer("relu", [mean] * w)], [layer("relu", [mean] * w)]]
    entries = [first] + middle + [[layer("identity", [mean])]]
    full = 2 * 1000 + 2 * 1001 * 1000 + 1001            # params_dense at full size
    n = max(1, int(MAX_WORK // full * scale))
    pts = [[enc_int(i + 1)] for i in range(n)]          # f(x) = x for x > 0
    data = certificate(name, pts, pts, entries, 1)
    return Attack(name, data, {}, doc, {"w": w, "n": n, "residual": residual})


def attack_j_honest_work(scale=1.0):
    """j. an honest-looking net just under --max-work: 1-1000-1000-1000-1 ReLU, ~49,900 points.

    Attacked: the forward pass itself: N * params_dense = 49,875 * 2,005,001 ~ 10**11 multiply-adds
    of small integers (hours at the measured 5-30 M multiply-adds per second).  Every neuron is the
    mean of its inputs, so f(x) = x and the outputs are exact; valid, real verdict VERIFIED."""
    return _honest("j-honest-work", scale, False, attack_j_honest_work.__doc__)


def attack_j_residual(scale=1.0):
    """j. variant: the same with a wide residual block (inner 1000 -> 1000 ReLU, outer 1000 -> 1000 zero).

    Attacked: the forward pass through a residual block (two dense maps, lcm of the stream and the
    block's denominators); N * params_dense ~ 10**11; valid, real verdict VERIFIED."""
    return _honest("j-residual", scale, True, attack_j_residual.__doc__)


def attack_k_gp_pairs(scale=1.0):
    """k. general_position on ~280,000 points (t, t^2) in d = 2 (no three collinear).

    Attacked: general_position's loop over C(N, d) normals: the limit charges d (d-1)^3 = 2 per
    normal, but each costs microseconds of Python (two 1x1 minors, a gcd, a tuple key in a set):
    3.9 * 10**10 normals ~ a day, while C(N,2) * 2 = 7.8 * 10**10 <= --max-work.  Claim
    general_position == 1, true; valid, real verdict VERIFIED."""
    n = _scaled(280_000, scale, 4)
    pts = [[enc_int(t), enc_int(t * t)] for t in range(1, n + 1)]
    data = certificate("k-gp-pairs", pts, [1] * n, constant_net(2), 2, task="classification", classes=1,
                       version="1.1", claims=[claim("gp", "general_position == 1", 1, 1)])
    return Attack("k-gp-pairs", data, {}, attack_k_gp_pairs.__doc__, {"n": n, "d": 2})


def attack_l_gp_gram(scale=1.0):
    """l. general_position with N = d = 1,500 random 0/1 points: one 1,499 x 1,499 Gram determinant.

    Attacked: the N <= d branch of general_position: Bareiss elimination of the Gram matrix, n^3/3 =
    1.1 * 10**9 operations on integers growing to thousands of bits, while the limit charges
    N d^2 = 3.4 * 10**9 <= --max-work.  Claim 'general_position - general_position == 0'; valid, real
    verdict VERIFIED."""
    n = _scaled(1500, scale, 3)
    rng = random.Random(12)
    rows = set()
    while len(rows) < n:
        rows.add(tuple(rng.getrandbits(1) for _ in range(n)))
    pts = [[str(v) for v in r] for r in sorted(rows)]
    data = certificate("l-gp-gram", pts, [1] * n, constant_net(n), n, task="classification", classes=1,
                       version="1.1", claims=[claim("gp", "general_position - general_position == 0")])
    return Attack("l-gp-gram", data, {}, attack_l_gp_gram.__doc__, {"n": n, "d": n})


def attack_m_gp_huge(scale=1.0):
    """m. general_position on 100 random points in d = 3, one coordinate 1/2**4194300.

    Attacked: general_position scales all points by the lcm of the denominators (300 numbers of
    4 M bits), then C(100, 3) = 161,700 normals, each with 2x2 Bareiss minors (4 M-bit products),
    a 3-way gcd (quadratic) and a dot product, while the limit charges only C(N,d) d (d-1)^3 =
    3.9 * 10**6 (it ignores bit lengths).  Claim 'general_position - general_position == 0';
    valid, real verdict VERIFIED."""
    n = _scaled(100, scale, 5)
    big = _scaled(4194300, scale, 64)
    rng = random.Random(13)
    pts = [[enc_int(rng.randrange(-1000, 1000)) for _ in range(3)] for _ in range(n)]
    ints = [[int(v) for v in p] for p in pts]            # before the one huge coordinate
    pts[0][0] = enc_rat(1, 1 << big)
    data = certificate("m-gp-huge", pts, [1] * n, constant_net(3), 3, task="classification", classes=1,
                       version="1.1", claims=[claim("gp", "general_position - general_position == 0")])
    return Attack("m-gp-huge", data, {}, attack_m_gp_huge.__doc__, {"n": n, "d": 3, "big": big, "ints": ints})


def attack_n_min_sq_sweep(scale=1.0):
    """n. min_sq_dist on 316,228 points i (6, -1) in d = 2: every projected gap is 0.

    Attacked: min_sq_distance's sweep, whose early exit (gap^2 >= best |u|^2) never fires when
    all points lie on the line orthogonal to its projection direction u = (1, 6): all
    N(N-1)/2 = 5 * 10**10 pairs are compared, while the limit N(N-1)/2 * d = 10**11 just passes.
    Claims min_sq_dist_num == 37, min_sq_dist_den == 1; valid, real verdict VERIFIED."""
    n = 2
    while (n + 1) * n <= MAX_WORK:
        n += 1
    n = max(3, int(n * scale))
    pts = [[enc_int(6 * i), enc_int(-i)] for i in range(n)]
    data = certificate("n-min-sq-sweep", pts, [1] * n, constant_net(2), 2, task="classification", classes=1,
                       claims=[claim("num", "min_sq_dist_num == 37", 37, 37),
                               claim("den", "min_sq_dist_den == 1", 1, 1)])
    return Attack("n-min-sq-sweep", data, {}, attack_n_min_sq_sweep.__doc__, {"n": n, "d": 2})


def attack_o_gcd_weights(scale=1.0):
    """o. four hidden ReLUs with weight F_n+1/F_n (~4.19 M-bit Fibonacci numerator and den), x = 1.

    Attacked: the quadratic gcds on network parameters: parse_layer's canonical-neuron test
    gcd(den, bias, row), recompute_sizes' two gcds per parameter (bitlen_rat and
    max_numerator_bits), the forward pass's reduction gcd(z, D) and the lcm of the four coprime
    denominators (16 M bits), about 20 quadratic 4 M-bit gcds in all.  Output weights 0, bias 1:
    output 1; valid, real verdict VERIFIED."""
    bits = _scaled(INT_BITS, scale, 256)
    n0, _, _ = fib_below(bits)
    idx = [k for k in range(n0, n0 - 1000, -1) if is_prime(k)][:4]   # prime indices: coprime F_k
    neurons, (a, b), k = [], fib_pair(n0), n0
    for target in idx:
        while k > target:                                   # (F_k, F_k+1) -> (F_k-1, F_k)
            a, b, k = b - a, a, k - 1
        _COPRIME.add((b, a))
        neurons.append(([b], 0, a))
    entries = [[layer("relu", neurons)], [layer("identity", [([0] * len(idx), 1, 1)])]]
    data = certificate("o-gcd-weights", [["1"]], [["1"]], entries, 1)
    return Attack("o-gcd-weights", data, {}, attack_o_gcd_weights.__doc__,
                  {"bits": bits, "pair_bits": [(row[0].bit_length(), den.bit_length()) for row, _, den in neurons]})


def attack_q_unprintable(scale=1.0):
    """q. a claim source of 3.3 M U+2028 characters (10 MB), printed on the claim's 'c' line.

    Attacked: printable(), which escapes the output character by character in Python (ascii() per
    unprintable character) and builds a 20 MB line.  Valid, real verdict VERIFIED."""
    count = max(1, int((FILE_BUDGET * scale - 2000) // 3))
    src = "\u2028" * count
    data = certificate("q-unprintable", [["0"]], [["1"]], constant_net(1), 1,
                       claims=[claim("depth", "depth == 1", 1, 1, source=src)])
    return Attack("q-unprintable", data, {}, attack_q_unprintable.__doc__, {"count": count})


ATTACKS = {
    "a": attack_a_comb,
    "b": attack_b_deep_coprime,
    "c": attack_c_lcm_min_sq,
    "d": attack_d_witness_rounding,
    "e-lists": attack_e_lists,
    "e-dicts": attack_e_dicts,
    "e-nested": attack_e_nested,
    "f": attack_f_gcd_rat,
    "g": attack_g_wide_lcm,
    "h": attack_h_claim_product,
    "i": attack_i_pieces,
    "j": attack_j_honest_work,
    "j-residual": attack_j_residual,
    "k": attack_k_gp_pairs,
    "l": attack_l_gp_gram,
    "m": attack_m_gp_huge,
    "n": attack_n_min_sq_sweep,
    "o": attack_o_gcd_weights,
    "q": attack_q_unprintable,
}


def generate(key, scale=1.0):
    return ATTACKS[key](scale)


def main_file(attack, folder):
    return Path(folder) / (attack.name + (".witness.json" if attack.is_witness else ".json"))


def write(attack, folder):
    """Write the attack's files into folder; returns the main file's path."""
    folder = Path(folder)
    for name, data in attack.extra.items():
        (folder / name).write_bytes(data)
    path = main_file(attack, folder)
    path.write_bytes(attack.data)
    return path


def checker_args(attack, folder, legacy=False):
    """Command-line arguments for check.py: [FILE], or [--witness W --against CERT] for a witness
    (legacy=True: the pre-cost-model form [--witness W])."""
    path = str(main_file(attack, folder))
    if not attack.is_witness:
        return [path]
    if legacy:
        return ["--witness", path]
    (against,) = attack.extra
    return ["--witness", path, "--against", str(Path(folder) / against)]
