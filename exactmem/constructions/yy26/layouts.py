"""The YY-R networks (docs/yy26.md, "How the network works"), built from the gadgets of
:mod:`exactmem.gadgets` on the Stage I projection (:mod:`..stage_one`).

``pts`` is the list of (z, key, label) sorted by z (integer keys >= 2 apart).

* :func:`build_mode_d` -- Mode D: a batched lookup finds the point's block; p lanes extract
  packed (key, label) fields bit by bit, test the key against z and gate the label;
* :func:`build_mode_s` -- Mode S: per group, a threshold layer and a layer of ramp pairs whose
  biases are looked up per region, pipelined along depth;
* :func:`build_depth2` -- the depth-2 member: N - 1 threshold pairs read straight from x.
"""

from __future__ import annotations

from ...gadgets import (Expr, bit_test, gate, lookup_parallel, ramp_bias, step_pair, step_value, window,
                        window_value)
from ...network import Network
from .. import network_from_rational_layers
from ..stage_one import input_net, projection


def _input_net(d, w, b):
    net = input_net(d)
    return net, projection(net, w, b)


def build_mode_s(d, w, b, pts, s: int, m: int, C: int) -> Network:
    """Mode S (docs/yy26.md): G = ceil(N/(s m)) groups of m blocks of s points; layer l holds
    group l's threshold pairs, group l-1's ramps (per-region biases read from its thresholds)
    and the running label y of group l-2.  Depth G + 2."""
    cap = s * m
    groups = [pts[i:i + cap] for i in range(0, len(pts), cap)]
    G = len(groups)

    def regions(g):                     # g 0-based: [BELOW] + blocks + [ABOVE]
        blocks = [groups[g][i:i + s] for i in range(0, len(groups[g]), s)]
        regs = ([None] if g > 0 else []) + blocks + ([None] if g < G - 1 else [])
        thr = [groups[g + 1][0][1] if reg is None else reg[0][1] for reg in regs[1:]]
        return regs, thr

    def region_values(reg):             # biases of (n0, a_1, b_1, ..., a_{s-1}, b_{s-1})
        if reg is None:
            return [0] * (2 * s - 1)
        vals = [reg[0][2]]
        for k in range(1, s):
            if k < len(reg):
                beta = ramp_bias(C, reg[k - 1][1])
                vals += [beta, beta - (reg[k][2] - reg[k - 1][2])]
            else:
                vals += [0, 0]          # unused slot: equal biases, so its two neurons are equal and cancel
        return vals

    def names(g):
        return [f"r{g}n0"] + [f"r{g}{ab}{k}" for k in range(1, s) for ab in "ab"]

    def ramp_sum(net, g):
        v = net.value
        e = v(f"r{g}n0")
        for k in range(1, s):
            e = e + v(f"r{g}a{k}") - v(f"r{g}b{k}")
        return e

    info = [regions(g) for g in range(G)]
    net, proj = _input_net(d, w, b)
    v = net.value
    for ell in range(1, G + 2):
        layer = {}
        if ell <= G:
            layer["z"] = proj if ell == 1 else v("z")
        if ell >= 3:
            layer["y"] = (v("y") if ell >= 4 else Expr()) + ramp_sum(net, ell - 2)
        if ell >= 2:
            g = ell - 1
            regs, thr = info[g - 1]
            table = [region_values(reg) for reg in regs]
            for j, name in enumerate(names(g)):
                e = lookup_parallel(v("z"), thr, [row[j] for row in table], f"t{g}_")[1](net)   # per-region bias
                layer[name] = e if j == 0 else e + 2 * C * v("z")
        if ell <= G:
            zin = proj if ell == 1 else v("z")
            layer.update(lookup_parallel(zin, info[ell - 1][1], [0] * len(info[ell - 1][0]), f"t{ell}_")[0])
        net.add_layer(layer)
    return network_from_rational_layers(d, net.output([(v("y") if G >= 2 else Expr()) + ramp_sum(net, G)]))


def build_mode_d(d, w, b, pts, p: int, r: int, b2: int, C: int, rho: int) -> Network:
    """Mode D (docs/yy26.md): blocks of s = p r sorted points; in a block, position i goes to
    lane floor(i/r), round i mod r.  Lane k's register packs its r fields
    f = key * 2^lambda + label (F = rho + lambda bits each, MSB first; empty slots 0).
    Stage II: batched lookup, b2 thresholds per layer.  Stage III: r rounds of F + 1 layers, all
    lanes in lock-step: F - 1 layers extracting one field bit each (key bits into a, label bits
    into l), layer B (last label bit and the window test of a against z), layer Cq (gate).
    Depth nb + r(F+1) + 2."""
    lam = C.bit_length()
    F = rho + lam
    s = p * r
    blocks = [pts[i:i + s] for i in range(0, len(pts), s)]
    regs = []
    for blk in blocks:
        row = []
        for k in range(p):
            u = 0
            for t in range(r):
                i = k * r + t
                u = (u << F) + (((blk[i][1] << lam) + blk[i][2]) if i < len(blk) else 0)
            row.append(u)
        regs.append(row)
    thresholds = [blk[0][1] for blk in blocks[1:]]
    batches = [list(range(i, min(i + b2, len(thresholds)))) for i in range(0, len(thresholds), b2)]
    nb = len(batches)
    P0 = r * F
    net, proj = _input_net(d, w, b)
    v = net.value

    def pairs(zexpr, batch):
        out = {}
        for j in batch:
            out.update(step_pair(zexpr, thresholds[j], f"h{j}_"))
        return out

    # Stage II
    if nb == 0:
        layer = {"z": proj}
        for k in range(p):
            layer[f"U{k}"] = Expr.const(regs[0][k])
            layer.update(bit_test(Expr.const(regs[0][k]), P0 - 1, f"s{k}_"))
        net.add_layer(layer)
    else:
        net.add_layer({"z": proj, **pairs(proj, batches[0])})
        for i in range(1, nb + 1):
            layer = {"z": v("z")}
            for k in range(p):
                e = Expr.const(regs[0][k]) if i == 1 else v(f"U{k}")
                for j in batches[i - 1]:        # passing threshold j moves block j to block j + 1
                    e = e + (regs[j + 1][k] - regs[j][k]) * step_value(net, f"h{j}_")
                layer[f"U{k}"] = e
                if i == nb:
                    layer.update(bit_test(e, P0 - 1, f"s{k}_"))
            if i < nb:
                layer.update(pairs(v("z"), batches[i]))
            net.add_layer(layer)
    # Stage III
    have_y = False
    for t in range(r):
        P = (r - t) * F
        last = t == r - 1
        for i in range(2, F + 1):                                   # A_i: field bit phi = i - 1
            phi = i - 1
            layer = {"z": v("z")}
            if t >= 1 and i == 2:
                y = v("y") if have_y else Expr()
                for k in range(p):
                    y = y + v(f"q{k}")
                layer["y"] = y
                have_y = True
            elif have_y:
                layer["y"] = v("y")
            for k in range(p):
                beta = step_value(net, f"s{k}_")
                U = v(f"U{k}") - 2 ** (P - i + 1) * beta
                layer[f"U{k}"] = U
                if phi <= rho:
                    layer[f"a{k}"] = (2 * v(f"a{k}") if phi >= 2 else Expr()) + beta
                else:
                    layer[f"a{k}"] = v(f"a{k}")
                    layer[f"l{k}"] = (2 * v(f"l{k}") if phi >= rho + 2 else Expr()) + beta
                layer.update(bit_test(U, P - i, f"s{k}_"))
            net.add_layer(layer)
        layer = {} if last else {"z": v("z")}                       # B: last label bit, window
        if have_y:
            layer["y"] = v("y")
        for k in range(p):
            beta = step_value(net, f"s{k}_")
            if not last:
                layer[f"U{k}"] = v(f"U{k}") - 2 ** (P - F) * beta
            layer[f"l{k}"] = (2 * v(f"l{k}") if lam >= 2 else Expr()) + beta
            layer.update(window(v("z"), v(f"a{k}"), f"m{k}_"))
        net.add_layer(layer)
        layer = {} if last else {"z": v("z")}                       # Cq: gate the label
        if have_y:
            layer["y"] = v("y")
        for k in range(p):
            layer[f"q{k}"] = gate(v(f"l{k}"), window_value(net, f"m{k}_"), C)
            if not last:
                layer[f"U{k}"] = v(f"U{k}")
                layer.update(bit_test(v(f"U{k}"), P - F - 1, f"s{k}_"))
        net.add_layer(layer)
    out = v("y") if have_y else Expr()
    for k in range(p):
        out = out + v(f"q{k}")
    return network_from_rational_layers(d, net.output([out]))


def build_depth2(d, w, b, pts) -> Network:
    """The depth-2 member (docs/yy26.md, Planner): the N - 1 threshold pairs of the sorted keys read
    straight from x, output y_(1) + sum_j (y_(j) - y_(j-1)) H_j.  Width 2(N - 1) (1 for N = 1)."""
    net, proj = _input_net(d, w, b)
    first, second = lookup_parallel(proj, [q[1] for q in pts[1:]], [q[2] for q in pts], "h")
    net.add_layer(first or {"z": proj})             # N = 1: z = 0 exactly (Stage I), carried
    return network_from_rational_layers(d, net.output([second(net)]))
