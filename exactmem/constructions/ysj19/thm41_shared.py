"""Yun, Sra, Jadbabaie (2019), Theorem 4.1 for every admitted split of the block widths: the
shared layout, where a group's bump may straddle blocks that also hold other groups.

The bump units of the groups are laid out one after another across the blocks (a group may
span several blocks; a block may hold the end of one group, whole groups and the start of
the next).  Correctness rests on one invariant, *consistent reads*: between the first and the
last block of a straddling group s every move of a point, by any group, is orthogonal to s's
normal a_s, so every unit of s reads the same distance u_s(z) of every point z, and the units
add up to bump(u_s(z)) exactly as in one block.  That fixes the push directions
(docs/ysj19.md, Theorem 4.1, "Every split"):

* a straddling group s pushes along p_s, the part of the readout direction w orthogonal to
  a_s and, when the next straddling group s' starts in s's last block, also to a_s' (this
  needs dx >= 3; with dx = 2 :func:`shared_layout` never puts the end of one straddling group
  and the start of the next into one block);
* a whole group in the block where a straddling group s' starts pushes along the part of w
  orthogonal to a_s'; any other whole group pushes along w.

Between its blocks a straddling group leaves a *transient*: the points it has partly moved.
The whole groups of its last block read that input, so their hyperplanes are computed on the
points' actual positions there, and the push size of the straddling group is chosen so that
those positions are in general position for them (each condition is linear in the push size:
a rank-one update of a determinant, nonzero at push 0; so each forbids at most one value).
One class (the one with the most groups) is never pushed: its points are read off as the
points below the first class window, which frees the units of its groups (this is what makes
every split fit when dx = 2).  The readout is the 1-D one of the narrow variant.
"""

from __future__ import annotations

from fractions import Fraction

from ...errors import ConstructionError, DataError, InternalError
from ...gadgets import (Expr, RegisterNet, hardtanh_step, hardtanh_step_value, step_pair, step_value,
                        trap_bump_units)
from ...projection import dot
from ...rational import encode_rat
from .groups import margin_and_scale


def shared_layout(widths, G: int, per: int, dx: int) -> list:
    """Place G groups of ``per`` bump units into blocks of the given widths, in order.

    Returns, per group, its parts ``[(block, units), ...]`` (0-based blocks, in block order).
    Groups are laid out back to back; with dx = 2 a group that would cross the end of a block
    which already holds the last part of a straddling group starts in the next block instead
    (the rest of the block stays dead), since its start and that end cannot both be read
    consistently in the plane.  This wastes fewer than ``per`` units per straddling group, so
    at least (sum d_l - per + 1) / (2 per - 1) groups fit (docs/ysj19.md).  Raises
    ConstructionError naming the last block when fewer than G fit."""
    ends, e = [], 0
    for w in widths:
        e += w
        ends.append(e)
    S, pos, b, tail, parts = e, 0, 0, False, []
    for g in range(G):
        while True:
            if pos + per > S:
                raise ConstructionError(
                    f"block {len(widths)} has d_{len(widths)} = {widths[-1]} hidden nodes: the widths "
                    f"{list(widths)} hold {g} of the {G} groups the shared layout needs (docs/ysj19.md)")
            while pos >= ends[b]:
                b, tail = b + 1, False
            last = b
            while pos + per > ends[last]:
                last += 1
            if last > b and tail and dx == 2:
                pos, b, tail = ends[b], b + 1, False           # start afresh in the next block
                continue
            break
        mine, left, q = [], per, pos
        for blk in range(b, last + 1):
            take = min(left, ends[blk] - q)
            mine.append((blk, take))
            left, q = left - take, q + take
        parts.append(mine)
        pos = pos + per
        if last > b:
            b, tail = last, True
        if pos == ends[b]:
            b, tail = b + 1, False
    return parts


def _project_off(w, normals):
    """The part of w orthogonal to every vector in ``normals`` (exact Gram-Schmidt)."""
    basis = []
    for a in normals:
        v = [Fraction(x) for x in a]
        for q in basis:
            f = dot(v, q) / dot(q, q)
            v = [vi - f * qi for vi, qi in zip(v, q)]
        if any(v):
            basis.append(v)
    p = [Fraction(x) for x in w]
    for q in basis:
        f = dot(p, q) / dot(q, q)
        p = [pi - f * qi for pi, qi in zip(p, q)]
    return p


def _block_units(unit_list, pos):
    """The moves of the given units at the positions ``pos``: a list of per-point vectors."""
    dx = len(pos[0])
    out = [[Fraction(0)] * dx for _ in pos]
    for row, bias, col, act in unit_list:
        if not any(col):
            continue
        for i, x in enumerate(pos):
            z = dot(row, x) + bias
            v = max(Fraction(0), z) if act == "relu" else min(Fraction(1), max(Fraction(-1), z))
            if v:
                out[i] = [o + v * c for o, c in zip(out[i], col)]
    return out


def build_shared(X, groups, C: int, widths, activation: str, block_factory):
    """The residual blocks of the shared layout (module docstring).

    ``groups`` are all class-pure groups (:func:`.groups.class_groups`); the class with the most
    groups (the lowest such class on ties) is left unpushed.  ``block_factory(units, width)``
    makes a residual block from (row, bias, outer column) units.  Returns (blocks, (w, T, order,
    k0), info) with ``order`` the pushed classes, window j = [T_j, T_(j+1) - 1] holding class
    order[j], and k0 the unpushed class."""
    from ...geometry import separating_hyperplane, separating_hyperplanes     # python-flint, loaded on first use

    dx, n = len(X[0]), len(X)
    counts = [sum(1 for k, _ in groups if k == c) for c in range(C)]
    k0 = max(range(C), key=lambda c: (counts[c], -c))
    groups = [(k, rows) for k, rows in groups if k != k0]
    order = [c for c in range(C) if c != k0]
    G = len(groups)
    per = len(trap_bump_units([Fraction(0)] * dx, Fraction(0), activation))
    parts = shared_layout(widths, G, per, dx)
    first = [p[0][0] for p in parts]
    last = [p[-1][0] for p in parts]
    strad = [len(p) > 1 for p in parts]
    starts = {first[g]: g for g in range(G) if strad[g]}          # the straddling group starting in a block
    base = [p[:2] for p in separating_hyperplanes(X, [rows for _, rows in groups])]   # on the original points
    ortho = []
    for g in range(G):
        s2 = starts.get(last[g] if strad[g] else first[g])
        ortho.append(([base[g][0]] if strad[g] else []) + ([base[s2][0]] if s2 is not None and s2 != g else []))
    lam = 0
    while True:                                  # w = (1, lam, lam^2, ...) with w.p_g > 0 for every g
        w = [Fraction(lam) ** t for t in range(dx)]
        push = [_project_off(w, o) for o in ortho]
        if all(dot(w, p) > 0 for p in push):
            break
        lam += 1
    t0 = [dot(w, x) for x in X]
    T = [max(t0) + 1]
    for k in order:
        spread = max((max(t0[i] for i in rows) - min(t0[i] for i in rows) for kk, rows in groups if kk == k),
                     default=Fraction(0))
        T.append(T[-1] + spread + 2)
    window = {k: j for j, k in enumerate(order)}
    units = [[] for _ in widths]                 # (row, bias, outer column, activation) per block
    pos_in = [[list(map(Fraction, x)) for x in X]]   # positions at each block's input, as far as known

    def advance(upto):
        while len(pos_in) <= upto:
            b = len(pos_in) - 1
            moves = _block_units(units[b], pos_in[b])
            pos_in.append([[p + m for p, m in zip(x, mv)] for x, mv in zip(pos_in[b], moves)])

    pushes, margins = [], []
    for g, (k, rows) in enumerate(groups):
        b = first[g]
        advance(b)
        read = pos_in[b]
        members = set(rows)
        a, c = base[g] if strad[g] else separating_hyperplane(read, rows)
        m, K = margin_and_scale(a, c, read, members)
        p = push[g]
        kap = dot(w, p)
        later = [base[h] for h in range(g + 1, G)]
        readers = [h for h in range(g + 1, G) if strad[g] and first[h] == last[g] and not strad[h]]
        F = len(rows) * len(later) + sum(n - len(groups[h][1]) + 1 for h in readers)
        B0 = (T[window[k]] - min(t0[i] for i in rows)) / kap
        bump = [(row, bias, co) for row, bias, co in trap_bump_units([K * v for v in a], K * c, activation)]
        for j in range(F + 1):
            B = B0 + Fraction(j, (F + 1)) / kap
            mine = [(row, bias, [co * B * v for v in p], activation) for row, bias, co in bump]
            if _generic(X, rows, B, p, later, readers, groups, parts[g], mine, units, pos_in, separating_hyperplane):
                break
        else:
            raise InternalError("no push size keeps the points in general position")
        for blk, cnt in parts[g]:
            units[blk] += mine[:cnt]
            mine = mine[cnt:]
        pushes.append(str(B))
        margins.append(m)
    blocks = [block_factory([(u[0], u[1], u[2]) for u in units[b]], wd) for b, wd in enumerate(widths)]
    info = {"w": [encode_rat(v) for v in w], "thresholds": [encode_rat(v) for v in T], "pushes": pushes,
            "unpushed_class": k0 + 1, "min_margin": encode_rat(min(margins)) if margins else None,
            "layout": [{"group": g + 1, "blocks": [blk + 1 for blk, _ in parts[g]]} for g in range(G)]}
    return blocks, (w, T, order, k0), info


def _generic(X, rows, B, p, later, readers, groups, my_parts, mine, units, pos_in, separating_hyperplane):
    """Whether the push size B keeps every later read in general position: the group's pushed
    points miss every later group's hyperplane on the original points, and (for a straddling
    group) the whole groups of its last block find a hyperplane through their members at the
    positions they read, the transient included, that misses every other point."""
    for i in rows:
        moved = [x + B * v for x, v in zip(X[i], p)]
        if any(dot(a, moved) == c for a, c in later):
            return False
    if not readers:
        return True
    lastb = my_parts[-1][0]
    pos = pos_in[my_parts[0][0]]
    left = list(mine)
    for blk in range(my_parts[0][0], lastb):
        cnt = dict(my_parts).get(blk, 0)
        mv = _block_units(units[blk] + left[:cnt], pos)
        left = left[cnt:]
        pos = [[q + d for q, d in zip(x, m)] for x, m in zip(pos, mv)]
    for h in readers:
        try:
            separating_hyperplane(pos, groups[h][1])
        except DataError:
            return False
    return True


def shared_head(C: int, dx: int, activation: str, dead: int, line):
    """The head of the shared layout: one threshold step S_j = H_{T_j}(t) per pushed class on
    t = w.h (:func:`exactmem.gadgets.step_pair`, or :func:`exactmem.gadgets.hardtanh_step`),
    padded with ``dead`` dead nodes; output order[j] is S_j - S_(j+1) (the last S_j alone) and
    the unpushed class k0 gets 1 - S_0 (1 when no class is pushed).  Returns the two rational
    layers."""
    w, T, order, k0 = line
    net = RegisterNet([f"h{i}" for i in range(dx)])
    t = Expr({f"h{i}": Fraction(wi) for i, wi in enumerate(w)})
    neurons = {}
    for j in range(len(order)):
        neurons.update(step_pair(t, T[j], f"s{j}_") if activation == "relu" else hardtanh_step(t, T[j], f"s{j}"))
    neurons.update({f"dead{i}": Expr() for i in range(dead)})
    net.add_layer(neurons, activation)
    S = [step_value(net, f"s{j}_") if activation == "relu" else hardtanh_step_value(net, f"s{j}")
         for j in range(len(order))] + [Expr()]
    out = [Expr() for _ in range(C)]
    for j, k in enumerate(order):
        out[k] = S[j] - S[j + 1]
    out[k0] = Expr.const(1) - S[0]
    return net.output(out)
