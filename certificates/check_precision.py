"""Optional feature (format 1.2, section 21): the precision variables of a rounded network -
decoder_margin_bits, dyadic_weights, grid_bits and sig_bits.  Loaded only when a claim names one.

Standard library and check_base only.  Must never import exactmem, never write, run or load
anything.
"""

import math

from check_base import div_cost, gcd_cost, mul_cost


def maps_of(entries):
    """Every affine map in order: a plain layer is one map, a residual block its inner then outer."""
    return [m for entry in entries for m in entry]


def decoder_margin_bits(entries, ds, budget):
    """Section 21: t >= 1 when the last two entries are exactly the class decoder with margin
    2^-t for this dataset's C classes (hidden relu map of 2(C+1) neurons on one input: weights
    s = 2^(t-1), biases -(2j+1)s/2 + 1/2 and -(2j+1)s/2 - 1/2; output map [1, -1] * (C+1), bias
    0); else 0.  Its output is the class c exactly iff c - 1/2 + 2^-t <= F <= c + 1/2 - 2^-t."""
    C = ds["classes"]
    if ds["task"] != "classification" or len(entries) < 3 or len(entries[-1]) != 1 or len(entries[-2]) != 1:
        return 0
    hid, out = entries[-2][0], entries[-1][0]
    if hid.act != "relu" or hid.n_in != 1 or len(hid.dens) != 2 * (C + 1):
        return 0
    if out.act != "identity" or len(out.dens) != 1 or out.dens[0] != 1 or out.bias[0] != 0 \
            or out.rows[0] != [1, -1] * (C + 1):
        return 0
    w, q = hid.rows[0][0], hid.dens[0]
    budget.charge(len(hid.dens) * 4 * mul_cost(hid.wbits + hid.bbits, hid.dbits + 2), "decoder_margin_bits")
    if w % q:
        return 0
    s = w // q                              # s = 2^(t-1), a positive integer power of two
    if s < 1 or s & (s - 1):
        return 0
    for j in range(C + 1):
        for k, half in ((2 * j, 1), (2 * j + 1, -1)):
            # weight s and bias (-(2j+1) s + half) / 2, compared over the neuron's own denominator
            den = hid.dens[k]
            if hid.rows[k] != [s * den] or 2 * hid.bias[k] != (-(2 * j + 1) * s + half) * den:
                return 0
    return s.bit_length()                   # s = 2^(t-1): t = bitlen(s)


def precision_variables(entries, ds, budget):
    """Section 21: dyadic_weights, grid_bits and sig_bits over the rounded maps (all maps but
    the class decoder's two), each weight and bias p/q taken in lowest terms."""
    t = decoder_margin_bits(entries, ds, budget)
    maps = maps_of(entries)[:-2] if t else maps_of(entries)
    dyadic, grid, sig, seen = 1, 0, 0, False
    for m in maps:
        for r, b, den in zip(m.rows, m.bias, m.dens):
            db = den.bit_length()
            if den > 1:
                budget.charge(sum(gcd_cost(abs(v).bit_length(), db) + div_cost(abs(v).bit_length(), db)
                                  for v in r + [b]), "precision variables: reducing each weight")
            for v in r + [b]:
                if not v:
                    continue
                g = math.gcd(v, den)
                p, q = abs(v) // g, den // g
                if q & (q - 1):
                    dyadic = 0
                v2 = (p & -p).bit_length() - 1          # trailing zero bits of p
                k = q.bit_length() - 1 - v2
                grid, seen = (k if not seen else max(grid, k)), True
                sig = max(sig, (p >> v2).bit_length())
    return {"decoder_margin_bits": t, "dyadic_weights": dyadic, "grid_bits": grid, "sig_bits": sig}


