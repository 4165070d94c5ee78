"""Yun, Sra, Jadbabaie (2019), Theorem 4.1: a ResNet memorizes N points in general position
with about N/dx + dy residual bumps.

The class-pure groups of :mod:`.groups` are processed one after another.  Every residual block
h <- h + V sigma(U h + b) + c holds trap bumps of some groups' hyperplanes; a bump is 1 only on
its group, so the block moves exactly those points, by B along a direction chosen so that,
after all blocks, a single hidden layer (the head) can read the class off:

* coordinate readout: block 1 shifts every class coordinate below -1 and a group is pushed up
  to >= 0 along the coordinate of its class; the head has a step per class coordinate;
* line readout (the narrow variant, groups split across consecutive blocks): a group is pushed
  along the part of a fixed direction w orthogonal to its normal, so all its nodes read the same
  distance, into the window [T_k, T_(k+1) - 1] of its class on the line t = w.h.

B is chosen so that no pushed point lands on a later group's hyperplane; the margins are
recomputed at the points' current positions before each bump (:func:`.groups.margin_and_scale`).
Splits that neither rule places go to the shared layout of :mod:`.thm41_shared`, where a group
may straddle blocks that also hold other groups.
"""

from __future__ import annotations

from fractions import Fraction

from ...data import Dataset
from ...errors import ConstructionError, DataError, InternalError
from ...gadgets import (Expr, RegisterNet, hardtanh_step, hardtanh_step_value, step_pair, step_value,
                        trap_bump, trap_bump_units)
from ...network import Layer, Network, ResidualBlock
from ...projection import dot
from ...rational import ceil_div, encode_rat
from .. import DISTINCT, Built, Claim
from .groups import class_groups, margin_and_scale, margin_from_distances
from .h3 import check_activation
from .thm41_shared import build_shared, shared_head

# The trap bumps of a hyperplane distance u (:func:`exactmem.gadgets.trap_bump`): unit r computes
# act(scale * u + offset_r), and sum_r coeff_r * unit_r is 1 for |u| <= 1 and 0 for |u| >= 2.
THM41_BUMPS = {activation: trap_bump(activation) for activation in ("relu", "hardtanh")}


def thm41_layout(widths, G: int, per: int, dx: int):
    """Place G groups of ``per`` bump nodes (4 ReLU, 2 hard-tanh) into residual blocks of the
    given widths.  Returns ``(readout, segments)``; a segment is ``(kind, blocks, count)`` with
    0-based block indices, in block order:

    * ``("block", [l], floor(d_l/per))``: whole groups side by side in one block, all reading
      the block's input (docs/ysj19.md, Theorem 4.1, rule 1);
    * ``("run", [j, ..., l], 1)``: one group whose nodes fill consecutive blocks that hold
      nothing else (the one-node-per-block narrow variant, generalized; rule 2: its pushes are
      orthogonal to its own normal, so every node of the run reads the same distance u).

    Whole-block placement alone (``readout == "coordinate"``: pushes along class coordinates)
    is used when it fits; otherwise the largest mixed placement (a dynamic program over the
    blocks) with the 1-D readout ``"line"``, which runs need (dx >= 2).  Raises
    ConstructionError naming a block when no placement holds G groups; :func:`theorem_4_1`
    then builds the split with the shared layout (:mod:`.thm41_shared`), which takes every
    admitted split."""
    if sum(w // per for w in widths) >= G:
        return "coordinate", [("block", [l], w // per) for l, w in enumerate(widths)]
    L1 = len(widths)
    best, choice = [0] * (L1 + 1), [None] * (L1 + 1)
    for l in range(1, L1 + 1):
        best[l], choice[l] = best[l - 1] + widths[l - 1] // per, ("block", l - 1)
        if dx >= 2:                  # the shortest run of blocks ending at l with >= per nodes
            j, tot = l, 0
            while j > 0 and tot < per:
                j -= 1
                tot += widths[j]
            if tot >= per and best[j] + 1 > best[l]:
                best[l], choice[l] = best[j] + 1, ("run", j)
    if best[L1] < G:
        l = next(i for i, w in enumerate(widths) if w % per)       # exists: sum d_l >= per * G
        if dx == 1:
            why = (f"with dx = 1 no push is orthogonal to a group's normal, so a group's {per} nodes "
                   f"cannot be split across blocks and a block holds floor(d_l/{per}) groups")
        else:
            why = (f"mixed splits, where a bump ({per} nodes) would share a block with another group and "
                   f"continue into the next block, are not supported; a block holds floor(d_l/{per}) whole "
                   f"groups, or consecutive blocks holding nothing else hold one")
        raise ConstructionError(f"block {l + 1} has d_{l + 1} = {widths[l]} hidden nodes: {why}; the widths "
                                f"{list(widths)} hold {best[L1]} of the {G} groups needed (docs/ysj19.md)")
    segments, l = [], L1
    while l > 0:
        kind, j = choice[l]
        if kind == "block":
            segments.append(("block", [j], widths[j] // per))
            l = j
        else:
            segments.append(("run", list(range(j, l)), 1))
            l = j
    return "line", segments[::-1]


def _thm41_place(segments, widths, G: int, per: int):
    """Groups in order onto the segments: per group, its segment and its (block, nodes) parts."""
    seg_of, parts = [], []
    for si, (kind, blks, count) in enumerate(segments):
        for _ in range(count):
            if len(parts) == G:
                break
            left, mine = per, []
            for b in blks if kind == "run" else blks[:1]:
                take = min(left, widths[b])
                if take:
                    mine.append((b, take))
                left -= take
            if left != 0:
                raise InternalError("a segment too small for a bump")
            seg_of.append(si)
            parts.append(mine)
    if len(parts) != G:
        raise InternalError("the layout holds fewer groups than planned")
    return seg_of, parts


def _thm41_block(units, width: int, dx: int, activation: str, shift=None):
    """A residual block from (row, bias, outer column) units, padded with dead nodes."""
    zero = [Fraction(0)] * dx
    units = list(units) + [(zero, Fraction(0), zero)] * (width - len(units))
    inner = Layer.from_rationals([u[0] for u in units], [u[1] for u in units], activation)
    V = [[u[2][t] for u in units] for t in range(dx)]
    c = [-v for v in shift] if shift is not None else zero
    return ResidualBlock(inner, Layer.from_rationals(V, c, "identity"))


def _thm41_coordinate(X, groups, C: int, widths, parts, activation: str):
    """The default layout with several whole groups per block (docs/ysj19.md, rule 1): block 1
    shifts coordinate k of every point to <= -1 (k < dy); a group's bump pushes its points by an
    integer B along its class coordinate k, up to >= 0.  Returns the residual blocks and
    informative numbers."""
    from ...geometry import separating_hyperplanes     # python-flint, loaded on first use

    dx, G = len(X[0]), len(groups)
    s = [max(p[k] for p in X) + 1 if k < C else Fraction(0) for k in range(dx)]
    shifted = [tuple(v - sk for v, sk in zip(p[:C], s)) + tuple(p[C:]) for p in X]     # s_k = 0 for k >= C
    blk = [p[0][0] for p in parts]
    # Hyperplanes fixed up front: block 1 sees x, later blocks see their points at x - s.  Each
    # comes with its offsets a.y_j - c at the points y it was computed on (x or x - s).  Of those
    # a plane keeps only what its block will read (_kept_offsets): at N = 50,000, dx = 3,072 the
    # full lists were 20 x 50,000 numbers of ~35,000 bits, ~4.4 GB (docs/performance.md).
    planes = [None] * G
    for pts, which in ((X, [g for g in range(G) if blk[g] == 0]), (shifted, [g for g in range(G) if blk[g] > 0])):
        for g, (a, c, offsets) in zip(which, separating_hyperplanes(pts, [groups[g][1] for g in which])):
            planes[g] = (a, c) + _kept_offsets(offsets, groups, blk, g)
    del shifted
    # A point moves once, by its group's push B along its class coordinate k: at the input of a
    # later block it sits at y + B e_k, where a plane of that block reads a.y - c + B a_k.
    push = [(0, 0)] * len(X)                         # (k, B) of every point moved so far
    blocks, pushes, margins = [], [], []
    for b, width in enumerate(widths):
        units, moves = [], []
        for g in (g for g in range(G) if blk[g] == b):
            k, grp = groups[g]
            a, c, moved, still = planes[g]
            m, K = margin_from_distances([abs(o + push[i][1] * a[push[i][0]]) for i, o in moved.items()] + still)
            B = ceil_div(max(s[k] - X[i][k] for i in grp), 1)
            # no member may land on a later block's hyperplane: a_h.(x_i - s + B e_k) != c_h
            while any(planes[h][2][i] + B * planes[h][0][k] == 0 for h in range(G) if blk[h] > b for i in grp):
                B += 1
            for row, bias, co in trap_bump_units([K * v for v in a], K * c, activation):
                units.append((row, bias, [Fraction(B * co) if t == k else Fraction(0) for t in range(dx)]))
            moves.append((k, grp, B))
            pushes.append(B)
            margins.append(m)
        blocks.append(_thm41_block(units, width, dx, activation, s if b == 0 else None))
        for k, grp, B in moves:                       # the block's pushes, all read its input
            for i in grp:
                push[i] = (k, B)
        for g in (g for g in range(G) if blk[g] == b):
            planes[g] = planes[g][:2]                 # its offsets are read no more
    info = {"shift": [encode_rat(v) for v in s], "pushes": pushes, "min_margin": encode_rat(min(margins))}
    return blocks, info


def _kept_offsets(offsets, groups, blk, g):
    """What the coordinate layout reads of group g's offsets a.y_j - c: ``(moved, still)``, the
    offsets at the points that earlier blocks push (a dict by row; their margin and the test of
    their own pushes against this plane read them) and, as a list of at most one number, the least
    |offset| of the other points outside the group, which are still at y when g's block reads
    them."""
    earlier = {i for h, (_, rows) in enumerate(groups) if blk[h] < blk[g] for i in rows}
    members = set(groups[g][1])
    rest = min((abs(v) for j, v in enumerate(offsets) if j not in earlier and j not in members), default=None)
    return {i: offsets[i] for i in sorted(earlier)}, [] if rest is None else [rest]


def _thm41_line(X, groups, C: int, widths, seg_of, parts, activation: str):
    """The narrow variant (docs/ysj19.md, rule 2), generalized to the segments of
    :func:`thm41_layout`: the 1-D readout t = w.h with class k <=> t in [T_k, T_{k+1} - 1];
    group g pushes along v_g, the part of w orthogonal to its normal a_g, so its distance
    u_g = K(a_g.h - c_g) is the same at every node of its run.  Returns the residual blocks,
    (w, T) and informative numbers."""
    from ...geometry import separating_hyperplanes     # python-flint, loaded on first use

    dx, G = len(X[0]), len(groups)
    planes = [p[:2] for p in separating_hyperplanes(X, [grp for _, grp in groups])]   # nothing moves before a group
    lam = 0
    while True:                                      # w = (1, lam, lam^2, ...) parallel to no normal
        w = [Fraction(lam) ** t for t in range(dx)]
        if all(dot(w, a) ** 2 != dot(w, w) * dot(a, a) for a, _ in planes):
            break
        lam += 1
    t0 = [dot(w, x) for x in X]
    T = [max(t0) + 1]
    for k in range(C):
        spread = max((max(t0[i] for i in grp) - min(t0[i] for i in grp) for kk, grp in groups if kk == k),
                     default=Fraction(0))
        T.append(T[-1] + spread + 2)
    pos = [list(p) for p in X]
    units = [[] for _ in widths]
    pushes, margins = [], []
    for si in range(max(seg_of) + 1):
        moves = []
        for g in (g for g in range(G) if seg_of[g] == si):
            k, grp = groups[g]
            a, c = planes[g]
            members = set(grp)
            m, K = margin_and_scale(a, c, pos, members)
            aw, aa = dot(a, w), dot(a, a)
            v = [wi - aw / aa * ai for wi, ai in zip(w, a)]
            kap = dot(w, v)
            if not (kap > 0 and dot(a, v) == 0):
                raise InternalError("a hyperplane normal is not orthogonal to the group (kappa <= 0)")
            forbidden = set()                        # pushes landing a member on a later hyperplane
            for h in range(G):
                if seg_of[h] > si and dot(planes[h][0], v) != 0:
                    forbidden.update((planes[h][1] - dot(planes[h][0], X[i])) / dot(planes[h][0], v)
                                     for i in grp)
            B = (T[k] - min(t0[i] for i in grp)) / kap
            while B in forbidden:                    # at most |forbidden| steps: t stays below T_k + spread + 1
                B += 1 / ((len(forbidden) + 1) * kap)
            mine = [(row, bias, [co * B * vi for vi in v])
                    for row, bias, co in trap_bump_units([K * ai for ai in a], K * c, activation)]
            for b, cnt in parts[g]:
                units[b] += mine[:cnt]
                mine = mine[cnt:]
            moves.append((grp, B, v))
            pushes.append(str(B))
            margins.append(m)
        for grp, B, v in moves:
            for i in grp:
                pos[i] = [p + B * vi for p, vi in zip(pos[i], v)]
    blocks = [_thm41_block(units[b], width, dx, activation) for b, width in enumerate(widths)]
    info = {"w": [encode_rat(v) for v in w], "thresholds": [encode_rat(v) for v in T], "pushes": pushes,
            "min_margin": encode_rat(min(margins))}
    return blocks, (w, T), info


def _thm41_head(C: int, dx: int, activation: str, dead: int, line=None):
    """The head: one threshold step per class read from the last residual output h, padded with
    ``dead`` dead nodes, and the identity output layer.  Returns the two rational layers.

    * coordinate readout (``line`` None): S_k = H_0(h_k), 1 for h_k >= 0 (pushed points) and 0
      for h_k <= -1; output g_k = S_k.
    * line readout (``line = (w, T)``): S_k = H_{T_k}(t), t = w.h; output g_k = S_k - S_{k+1},
      g_dy = S_dy, so g_k = 1 exactly for t in [T_k, T_(k+1) - 1].

    The step H_t is :func:`exactmem.gadgets.step_pair` (ReLU, two nodes:
    relu(z - t + 1) - relu(z - t)) or :func:`exactmem.gadgets.hardtanh_step` (one node:
    (hardtanh(2(z - t) + 1) + 1)/2)."""
    net = RegisterNet([f"h{i}" for i in range(dx)])
    v = net.value
    if line is None:
        reads = [(v(f"h{k}"), 0) for k in range(C)]
    else:
        w, T = line
        t = Expr({f"h{i}": Fraction(wi) for i, wi in enumerate(w)})     # t = w.h
        reads = [(t, T[k]) for k in range(C)]
    neurons = {}
    for k, (z, thr) in enumerate(reads):
        neurons.update(step_pair(z, thr, f"s{k}_") if activation == "relu" else hardtanh_step(z, thr, f"s{k}"))
    neurons.update({f"dead{i}": Expr() for i in range(dead)})
    net.add_layer(neurons, activation)
    S = [step_value(net, f"s{k}_") if activation == "relu" else hardtanh_step_value(net, f"s{k}")
         for k in range(C)]
    if line is None:
        return net.output(S)
    return net.output([S[k] - S[k + 1] for k in range(C - 1)] + [S[C - 1]])


def theorem_4_1(ds: Dataset, activation: str = "relu", block_widths=None, head_width=None) -> Built:
    """Memorize N points of dy <= dx classes in general position with a ResNet.

    Yun, Sra, Jadbabaie 2019, Theorem 4.1 [1]_: for N points in general position with one-hot
    labels of dy <= dx classes, a ResNet h <- h + V sigma(U h + b) + c followed by one hidden
    layer memorizes them when

    * hard-tanh: sum_l d_l >= 2N/dx + 2dy residual hidden nodes and a head of d_L >= dy, or
    * ReLU:      sum_l d_l >= 4N/dx + 4dy and d_L >= 2dy ("4N/dx + 6dy ReLU hidden nodes").

    Default (no ``block_widths``): one residual block of 4 ReLUs (2 hard-tanh units) per
    class-pure group of <= dx points, sum_k ceil(n_k/dx) <= N/dx + dy groups, so fewer nodes
    than the theorem allows, and a head of 2dy (dy).  Block 1 also shifts every class
    coordinate below -1; block g pushes its group's points by an integer B_g along the
    coordinate of their class with a trap bump of the group's hyperplane (1 on the group, 0 at
    every other point's current position); the head reads coordinate k: 1 for pushed points
    (h_k >= 0), 0 otherwise.

    With ``block_widths`` d_1..d_{L-1} (sum meeting the theorem's bound, met exactly): several
    whole groups per block, or, when that does not fit, runs of consecutive blocks holding one
    group each with pushes orthogonal to its normal and a 1-D readout t = w.h (the narrow
    variant, dx >= 2) (:func:`thm41_layout`); every other admitted split by the shared layout
    (:mod:`.thm41_shared`: groups back to back across the blocks, one class left unpushed).

    Parameters
    ----------
    ds : Dataset
        N distinct points in general position with class labels 1..C, C <= dx.
    activation : {"relu", "hardtanh"}, default "relu"
        Activation of the residual blocks and the head.
    block_widths : sequence of int, optional
        Hidden widths d_1..d_{L-1} of the residual blocks, each >= 1, with
        dx sum d_l >= k N + k dy dx (k = 4 ReLU, 2 hard-tanh).
    head_width : int, optional
        Width d_L of the head, >= 2dy (ReLU) or dy (hard-tanh); extra nodes are dead.

    Returns
    -------
    Built
        The network (its ``dataset`` the one-hot re-encoding) and its claims: the activation,
        dx >= dy, the residual node count against the theorem's bound (at most it by default,
        at least it for given ``block_widths``), the head width, the total node count for the
        default layout, one-hot labels.

    Raises
    ------
    DataError
        If the dataset has real labels, or some at most dx + 1 points are affinely dependent
        (named by row).
    ConstructionError
        If the activation is unknown, dx < dy, or the head or block widths are too small.

    References
    ----------
    .. [1] C. Yun, S. Sra, A. Jadbabaie, "Small ReLU networks are powerful memorizers: a tight
       analysis of memorization capacity", NeurIPS 2019, Theorem 4.1.
    """
    check_activation(activation)
    if ds.task != "classification":
        raise DataError("Theorem 4.1 is about class labels 1..C (one-hot outputs); this dataset has real labels")
    n, dx, C = ds.n, ds.d, ds.classes
    if dx < C:
        raise ConstructionError(f"Theorem 4.1 needs dx >= dy: dx = {dx} < dy = {C} classes")
    relu = activation == "relu"
    per = len(THM41_BUMPS[activation][0])            # bump nodes per group; the theorem's 4 (ReLU) or 2
    k_head = 2 if relu else 1
    groups = class_groups(ds.labels, C, dx)
    G = len(groups)
    if head_width is not None and head_width < k_head * C:
        raise ConstructionError(f"head width d_L = {head_width} inadmissible for {activation}: Theorem 4.1 needs "
                                f"d_L >= {'2dy' if relu else 'dy'} = {k_head * C}")
    if block_widths is None:
        widths = [per] * G
        readout, segments = "coordinate", [("block", [g], 1) for g in range(G)]
    else:
        widths = list(block_widths)
        if not widths or any(not isinstance(v, int) or v < 1 for v in widths):
            raise ConstructionError(f"--block-widths needs one width >= 1 per residual block, got {widths}")
        if dx * sum(widths) < per * n + per * C * dx:
            raise ConstructionError(
                f"block widths {widths} inadmissible for {activation}: Theorem 4.1 needs sum d_l >= {per}N/dx + "
                f"{per}dy, but dx*sum d_l = {dx}*{sum(widths)} = {dx * sum(widths)} < {per}N + {per}dy*dx = "
                f"{per * n + per * C * dx}")
        try:
            readout, segments = thm41_layout(widths, G, per, dx)
        except ConstructionError:                    # every other admitted split: the shared layout
            readout, segments = "shared", None
    X = ds.points                                    # read only (the line layout copies what moves)
    dead = (head_width or k_head * C) - k_head * C     # the head padded to d_L with dead nodes
    if readout == "shared":                         # the unpushed class frees its k_head head nodes
        blocks, line, extra = build_shared(X, groups, C, widths, activation,
                                           lambda units, width: _thm41_block(units, width, dx, activation))
        head_layers = shared_head(C, dx, activation, dead + k_head, line)
    elif readout == "coordinate":
        seg_of, parts = _thm41_place(segments, widths, G, per)
        blocks, extra = _thm41_coordinate(X, groups, C, widths, parts, activation)
        head_layers = _thm41_head(C, dx, activation, dead)
    else:
        seg_of, parts = _thm41_place(segments, widths, G, per)
        blocks, line, extra = _thm41_line(X, groups, C, widths, seg_of, parts, activation)
        head_layers = _thm41_head(C, dx, activation, dead, line)
    head, out = (Layer.from_rationals(*layer) for layer in head_layers)
    net = Network(dx, tuple(blocks) + (head, out))
    name = "ReLU" if relu else "hard-tanh"
    src = f"YSJ19 Thm 4.1 ({name} ResNet)"
    act_var = "relu_hidden" if relu else "hardtanh_hidden"
    dy_head = "2 * dy" if relu else "dy"
    claims = [
        DISTINCT,
        Claim(activation, f"{act_var} == 1", src + f": {name} hidden nodes"),
        Claim("dx-ge-dy", "d >= dy", src + ": requires dx >= dy"),
    ]
    if block_widths is None:
        claims.append(Claim("residual-nodes", f"d * residual_hidden <= {per} * N + {per} * dy * d",
                            src + f": residual hidden nodes within the theorem's {per}N/dx + {per}dy"))
    else:
        claims.append(Claim("residual-nodes", f"d * residual_hidden >= {per} * N + {per} * dy * d",
                            src + f": the residual blocks have sum d_l >= {per}N/dx + {per}dy"))
    claims.append(Claim("head", f"d{len(blocks) + 1} >= {dy_head}",
                        src + f": final block d_L >= {dy_head.replace(' * ', '')}"))
    if block_widths is None and head_width is None:
        claims.append(Claim("total", f"d * hidden_neurons <= {per} * N + {per + k_head} * dy * d",
                            src + f": {per}N/dx + {per + k_head}dy hidden nodes in all"))
    claims.append(Claim("labels", "one_hot_labels == 1", src + ": one-hot labels"))
    info = {"groups": G, "residual_blocks": len(blocks)}
    info.update(extra)
    info["general_position"] = "construction-level test passed (docs/ysj19.md)"
    params = {}
    if readout == "shared":
        params["activation"] = activation
        info["readout"] = (f"shared: t = w.h, pushed class order[j] for t in [T_j, T_(j+1) - 1], class "
                           f"{extra['unpushed_class']} (never pushed) for t <= T_0 - 1")
    elif block_widths is not None or head_width is not None or not relu:
        params["activation"] = activation
        info["readout"] = ("coordinate: h_k for class k" if readout == "coordinate"
                           else "line: t = w.h, class k for t in [T_k, T_(k+1) - 1]")
        info["layout"] = [{"blocks": [b + 1 for b in blks], "groups": sum(1 for s in seg_of if s == si)}
                          for si, (_, blks, _) in enumerate(segments) if si in set(seg_of)]
    if block_widths is not None:
        params["block_widths"] = list(block_widths)
    if head_width is not None:
        params["head_width"] = head_width
    built = Built(net, claims, params, info)
    built.dataset = ds.one_hot()
    return built
