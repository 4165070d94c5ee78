"""One-direction pairs (format section 17.2): a plain ReLU map of more than PAIR_WIDTH neurons
whose rows all point one way, evaluated together with the plain map after it.

Neuron j of such a map is relu(t + b_j / den_j) with one t = w_1 . x / den_1 for all j, so at a
point only the order of the thresholds matters: the active neurons are those with the largest
B_j = b_j L / den_j (L = lcm of the denominators), found by one bisection, and the next map reads
them through prefix sums formed once.  A point costs one row's products instead of one per
neuron (Zhang et al.'s network: N neurons, so N^2 evaluations in all without this rule).

Loaded by check_network.is_pair only when a network has such a map.  Standard library and the
checker's own files only; never imports exactmem.
"""

from bisect import bisect_right

from check_base import NEURON, OP, div_cost, int_bytes, lcm_charged, limbs, madd_cost, mul_cost
from check_network import dot, reduce_values


def is_pair(m, nxt, budget):
    """Rule (section 17.2, one-direction pairs), for a plain ReLU map m of more than PAIR_WIDTH
    neurons and the plain map nxt after it: every row of m is its first row times den_j / den_1
    (one_direction).  The prefix sums are formed on the first call for this nxt."""
    if not one_direction(m, budget):
        return False
    if m.pair is None or m.pair[0] is not nxt:
        m.pair = (nxt, prefix_sums(m, nxt, budget))
    return True


def one_direction(m, budget):
    """Rule (section 17.2, the one-direction test): for each row j >= 2, the pairs
    (w_ji den_1, w_1i den_j) are compared in order, each charged before it is formed, stopping at
    the first unequal pair.  The answer is kept on the map."""
    if m.direction is None:
        first, q1 = m.rows[0], m.dens[0]
        b1, bq1 = max(abs(v) for v in first).bit_length(), q1.bit_length()
        m.direction = all(same_direction(row, q, first, q1, b1, bq1, budget) for row, q in zip(m.rows[1:], m.dens[1:]))
    return m.direction


def same_direction(row, q, first, q1, b1, bq1, budget):
    """row / q == first / q1, weight by weight, each pair charged before it is formed."""
    bq = q.bit_length()
    for v, w in zip(row, first):
        budget.charge(OP + mul_cost(abs(v).bit_length(), bq1) + mul_cost(b1, bq), "the one-direction test")
        if v * q1 != w * q:
            return False
    return True


def prefix_sums(m, nxt, budget):
    """The thresholds B_j = b_j L / den_j (L = lcm of m's denominators) in increasing order, and
    for each neuron o of nxt the sums P_o(k), Q_o(k) of v_oj and v_oj B_j over the k neurons of
    largest B_j, k = 0..m; every step charged before it runs."""
    what = "forward pass: a one-direction pair's prefix sums"
    width = len(m.dens)
    L = lcm_charged(sorted(set(m.dens)), what, budget)
    Lb = L.bit_length()
    budget.charge(sum(div_cost(Lb, q.bit_length()) for q in set(m.dens) if q != L)
                  + sum(mul_cost(abs(b).bit_length(), Lb) for b, q in zip(m.bias, m.dens) if q != L), what)
    factor = {q: L // q for q in set(m.dens) if q != L}        # each quotient once
    B = [b if q == L else b * factor[q] for b, q in zip(m.bias, m.dens)]
    Bbits = max(abs(v) for v in B).bit_length()
    sbits = nxt.wbits + Bbits + width.bit_length()          # |P|, |Q| < 2^sbits
    budget.hold(2 * len(nxt.dens) * (width + 1) * int_bytes(sbits), what)
    budget.charge(width * (width.bit_length() + 1) * (OP + 3 * limbs(Bbits))
                  + len(nxt.dens) * width * (madd_cost(nxt.wbits, Bbits) + 2 * (OP + 3 * limbs(sbits)))
                  + len(nxt.dens) * (mul_cost(nxt.bbits, Lb) + mul_cost(nxt.dbits, Lb)), what)
    order = sorted(range(width), key=B.__getitem__, reverse=True)
    sums = []
    for row in nxt.rows:
        p = q = 0
        P, Q = [0], [0]
        for j in order:
            p += row[j]
            q += row[j] * B[j]
            P.append(p)
            Q.append(q)
        sums.append((P, Q))
    return {"L": L, "scale": L // m.dens[0], "ascending": [B[j] for j in reversed(order)], "Bbits": Bbits,
            "sbits": sbits, "sums": sums, "bL": [b * L for b in nxt.bias], "qL": [q * L for q in nxt.dens],
            "Lb": Lb, "nnz": sum(1 for v in m.rows[0] if v)}


def apply_pair(m, a, c, budget):
    """A one-direction pair on a point's values a / c: the first row's products S, the number k of
    active neurons (those with B_j > floor(-S' / c), S' = S L / den_1) by bisection, then neuron
    o of the next map at (S' P_o(k) + c Q_o(k) + b_o L c) / (den_o L c), activated and reduced as
    any map's values (section 10's values, by the rule of section 17.2)."""
    nxt, pre = m.pair
    what = "forward pass: a one-direction pair"
    width, k_out, cb = len(m.dens), len(nxt.dens), c.bit_length()
    abits = max(cb, max(map(abs, a)).bit_length() if a else 0)
    budget.charge(pre["nnz"] * madd_cost(m.wbits, abits) + (k_out + 1) * NEURON, what)
    s = dot(m, 0, a)
    sc = pre["scale"]
    sb = abs(s).bit_length() + sc.bit_length()
    budget.charge(mul_cost(abs(s).bit_length(), sc.bit_length()) + div_cost(sb, cb)
                  + (width.bit_length() + 1) * (OP + 3 * limbs(max(pre["Bbits"], sb))), what)
    s *= sc
    k = width - bisect_right(pre["ascending"], -s // c)
    Lb = pre["Lb"]
    budget.charge(k_out * (mul_cost(sb, pre["sbits"]) + mul_cost(cb, max(pre["sbits"], nxt.bbits + Lb) + 1)
                           + mul_cost(nxt.dbits + Lb, cb)), what)
    zs = [s * P[k] + c * (Q[k] + bL) for (P, Q), bL in zip(pre["sums"], pre["bL"])]
    zbits = max(sb, cb) + max(pre["sbits"], nxt.bbits + Lb) + 2
    return reduce_values(nxt.act, zs, [qL * c for qL in pre["qL"]], zbits, budget)
