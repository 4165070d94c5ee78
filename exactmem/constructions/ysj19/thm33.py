"""Yun, Sra, Jadbabaie (NeurIPS 2019), Theorem 3.3, as a certificate: a memorizer of the
theorem's alternating witness labels, with the counting lemma and the piece bounds as claims
over ``pieces_on_segment`` (format 1.1), which the checker recomputes with its own exact counter.

Theorem 3.3 is a negative result: for dy = 1 and an activation with p linear pieces, no 2-layer
network with (p-1)d1 + 2 < N (3-layer: p(p-1)d1d2 + (p-1)d2 + 2 < N) fits every dataset.  The
witness puts N points on a line with labels alternating in sign; a function fitting them needs
N - 1 affine pieces on the segment through them (the counting lemma), and a network of those
widths has at most (p-1)d1 + 1 (3-layer: p(p-1)d1d2 + (p-1)d2 + 1) on any segment.  "No network
fits" is that lemma plus that bound and no finite computation; what a certificate can carry is
an instance: this network fits the witness, has at least N - 1 pieces on the segment (checked),
and at most its architecture's bound (checked).  docs/ysj19.md, "Theorem 3.3".

``memorizer="fold"`` (3-layer hard-tanh only) uses instead the hard-tanh fold
(:func:`exactmem.gadgets.hardtanh_fold`), the network with the most pieces any 3-layer hard-tanh
network can have on a segment, exactly 4 d1 d2 - 2 d2 + 1; it memorizes up to
(2 d1 - 1)(2 d2 - 1) + 1 equally spaced alternating points, far beyond Theorem 3.1's capacity,
and its certificate claims the exact count both ways (:func:`fold_claims`).
"""

from __future__ import annotations

from fractions import Fraction

from ...data import Dataset
from ...errors import ConstructionError, DataError
from ...gadgets import hardtanh_fold
from ...network import Layer, Network
from .. import DISTINCT, UNIT_LABELS, Built, Claim, zhang17
from .h3 import check_activation
from .thm31 import theorem_3_1

SRC = "YSJ19 Thm 3.3"

# Linear pieces of each activation (p in the theorem): ReLU 2, hard-tanh 3, the identity 1.
PIECES = {"relu": 2, "hardtanh": 3, "identity": 1}


def bound_claims(activation: str, widths) -> list:
    """(id, statement, source) of the Theorem 3.3 bounds as certificate claims over d1, d2 and the
    checker's pieces_on_segment."""
    p = PIECES[activation]
    src = SRC
    if len(widths) == 1:
        return [("pieces-bound", f"pieces_on_segment <= {p - 1} * d1 + 1" if p > 2 else
                 "pieces_on_segment <= d1 + 1",
                 f"{src} (2-layer, p = {p}): at most (p-1)d1 + 1 affine pieces on any line")]
    a = "" if p == 2 else f"{p - 1} * "
    return [("pieces-bound-paper", f"pieces_on_segment <= {p * (p - 1)} * d1 * d2 + {a}d2 + 1",
             f"{src} (3-layer, p = {p}): the paper's p(p-1)d1d2 + (p-1)d2 + 1 pieces on any line"),
            ("pieces-bound-tight", f"pieces_on_segment <= ({a}d1 + 1) * ({a}d2 + 1)",
             "docs/ysj19.md (The bounds): the layer-by-layer count ((p-1)d1 + 1)((p-1)d2 + 1) pieces on any line")]


def line_order(points) -> list:
    """Indices of the points in order along the line through them (the first coordinate that
    varies increasing); DataError unless the points are distinct and collinear (checked exactly:
    x_i - x_1 = lambda_i (x_j - x_1) for the first x_j != x_1)."""
    x1 = points[0]
    direction = next((tuple(a - b for a, b in zip(p, x1)) for p in points if p != x1), None)
    if direction is None:
        raise DataError("Theorem 3.3's witness needs at least two distinct points")
    m = next(k for k, c in enumerate(direction) if c)
    if direction[m] < 0:                    # oriented: the first coordinate that varies increases
        direction = tuple(-c for c in direction)
    lam = []
    for i, p in enumerate(points):
        diff = tuple(a - b for a, b in zip(p, x1))
        t = diff[m] / direction[m]
        if any(dv != t * c for dv, c in zip(diff, direction)):
            raise DataError(f"Theorem 3.3's witness needs collinear points: row {i + 1} is off the line "
                            f"through rows 1 and 2 (use d = 1 data, e.g. random:n=12,d=1)")
        lam.append(t)
    if len(set(lam)) != len(lam):
        raise DataError("points are not pairwise distinct")
    return sorted(range(len(points)), key=lam.__getitem__)


def fold_claims() -> list:
    """(id, statement, source) of the fold memorizer's own claims: the exact maximum of pieces of
    a 3-layer hard-tanh network on a segment, reached (``>=``) and not exceeded (``<=``), and the
    number of equally spaced alternating points the fold holds."""
    src = "exactmem.gadgets.hardtanh_fold (docs/ysj19.md, The hard-tanh fold)"
    return [("fold-pieces", "pieces_on_segment >= 4 * d1 * d2 - 2 * d2 + 1",
             f"{src}: the fold has 2 d2 (2 d1 - 1) + 1 pieces on its segment"),
            ("pieces-bound-hardtanh", "pieces_on_segment <= 4 * d1 * d2 - 2 * d2 + 1",
             f"{src}: no 3-layer hard-tanh network has more than 2 d2 (2 d1 - 1) + 1 pieces on a segment"),
            ("fold-capacity", "(2 * d1 - 1) * (2 * d2 - 1) + 1 >= N",
             f"{src}: the fold fits (-1)^k at up to (2 d1 - 1)(2 d2 - 1) + 1 equally spaced points")]


def fold_widths(n: int) -> list:
    """The fold's default widths: the least (w, w) with (2w - 1)^2 + 1 >= n."""
    w = 1
    while (2 * w - 1) ** 2 + 1 < n:
        w += 1
    return [w, w]


def _fold_memorizer(ds: Dataset, order, widths) -> tuple:
    """(network, segment) of the fold for the points in line ``order``: they must be equally
    spaced, x_(k) = x_(1) + (k - 1) D; the input map t = (x_m - x_(1),m) / D_m (m the first
    coordinate with D_m != 0) puts them at t = 0, 1, ..., N - 1, where the fold outputs
    (-1)^(t+1); the segment is the fold's whole range t in [0, T]."""
    widths = fold_widths(ds.n) if widths is None else [int(w) for w in widths]
    if len(widths) != 2 or min(widths) < 1:
        raise ConstructionError(f"the fold needs two positive widths d1,d2, got {widths}")
    d1, d2 = widths
    if (2 * d1 - 1) * (2 * d2 - 1) + 1 < ds.n:
        raise ConstructionError(f"the fold of widths ({d1}, {d2}) holds (2d1 - 1)(2d2 - 1) + 1 = "
                                f"{(2 * d1 - 1) * (2 * d2 - 1) + 1} points; N = {ds.n}")
    pts = [ds.points[i] for i in order]
    step = tuple(b - a for a, b in zip(pts[0], pts[1]))
    for k, x in enumerate(pts):
        if any(xc != uc + k * sc for xc, uc, sc in zip(x, pts[0], step)):
            raise DataError("the fold memorizer needs equally spaced points along the line "
                            f"(x_(k) = x_(1) + (k - 1)(x_(2) - x_(1)); the {k + 1}-th is not)")
    layers, T = hardtanh_fold(d1, d2)
    m = next(c for c, v in enumerate(step) if v)
    (W1, b1, act), rest = layers[0], layers[1:]
    # hardtanh(w t + b) with t = (x_m - u_m) / D_m
    W1x = [[w[0] / step[m] if c == m else Fraction(0) for c in range(ds.d)] for w in W1]
    b1x = [b - w[0] * pts[0][m] / step[m] for w, b in zip(W1, b1)]
    net = Network(ds.d, tuple(Layer.from_rationals(*lay) for lay in [(W1x, b1x, act), *rest]))
    end = tuple(a + T * s for a, s in zip(pts[0], step))
    return net, (pts[0], end)


def theorem_3_3(ds: Dataset, depth: int = 2, activation: str = "relu", widths=None,
                memorizer: str = "default") -> Built:
    """Certify an instance of Theorem 3.3: a memorizer of the alternating witness and its pieces.

    Yun, Sra, Jadbabaie 2019, Theorem 3.3 [1]_ (dy = 1, p-piece activation): a network fitting N
    points on a line with alternating labels has at least N - 1 affine pieces on the segment
    through them, and a 2-layer (3-layer) network has at most (p-1)d1 + 1
    (p(p-1)d1d2 + (p-1)d2 + 1) pieces on any segment; so (p-1)d1 + 2 >= N
    (p(p-1)d1d2 + (p-1)d2 + 2 >= N) whenever it memorizes them.

    The labels of ``ds`` are replaced by the witness labels (-1)^k, k = 1..N in line order.
    depth 2: the zhang17 ``knot`` network (ReLU, d1 = N; its kinks sit at the data, so exactly
    N - 1 pieces: the lemma is tight); depth 3: the Theorem 3.1 network (``activation``,
    ``widths``).  The segment is [x_(1), x_(N)].

    Parameters
    ----------
    ds : Dataset
        N >= 2 distinct collinear points (e.g. d = 1 data); their labels are ignored.
    depth : {2, 3}, default 2
        The number of layers of the memorizer.
    activation : {"relu", "hardtanh"}, default "relu"
        Hidden activation (depth 3 only; depth 2 is ReLU).
    widths : pair of int, optional
        Theorem 3.1's (d1, d2) for depth 3 (default: its default); not allowed for depth 2.
        With ``memorizer="fold"``: the fold's widths (default: the least (w, w) that holds N).
    memorizer : {"default", "fold"}, default "default"
        "fold" (depth 3, hard-tanh): the hard-tanh fold instead of the Theorem 3.1 network; the
        points must be equally spaced along the line, N <= (2 d1 - 1)(2 d2 - 1) + 1, and the
        segment is the fold's whole range from x_(1), where it has exactly 4 d1 d2 - 2 d2 + 1
        pieces.  Its claims: distinct points, labels in [-1, 1], depth 3, hard-tanh, the lemma
        and its hypothesis, the paper's and the layer-by-layer bounds, the theorem's inequality,
        and :func:`fold_claims`.  (The checker's theorem table has no variant for it yet.)

    Returns
    -------
    Built
        The network, the witness dataset, the segment, and the claims: the inner construction's
        own, the counting lemma's hypothesis (``alternating_on_segment == 1``), the lemma
        ``pieces_on_segment >= N - 1``, the architecture's piece bounds (:func:`bound_claims`;
        for 3 layers also the tight ((p-1)d1 + 1)((p-1)d2 + 1)), and the theorem's inequality.

    Raises
    ------
    DataError
        If the points are not distinct and collinear (:func:`line_order`), or (fold) not equally
        spaced.
    ConstructionError
        If the depth or activation is unsupported, depth 2 is asked with hard-tanh or widths,
        or (depth 3) Theorem 3.1 refuses the widths; the fold asked for other than 3-layer
        hard-tanh, or with widths that hold fewer than N points.

    References
    ----------
    .. [1] C. Yun, S. Sra, A. Jadbabaie, "Small ReLU networks are powerful memorizers: a tight
       analysis of memorization capacity", NeurIPS 2019, Theorem 3.3.
    """
    if depth not in (2, 3):
        raise ConstructionError(f"Theorem 3.3 is about 2- or 3-layer networks; --depth {depth}")
    check_activation(activation)
    if depth == 2 and (activation != "relu" or widths is not None):
        raise ConstructionError("--depth 2 uses the zhang17 knot network: ReLU, d1 = N (no --widths)")
    if memorizer not in ("default", "fold"):
        raise ConstructionError(f"unknown memorizer {memorizer!r} (choose default or fold)")
    if memorizer == "fold" and (depth != 3 or activation != "hardtanh"):
        raise ConstructionError("the fold memorizer is a 3-layer hard-tanh network (--depth 3 --activation hardtanh)")
    order = line_order(ds.points)
    labels = [None] * ds.n
    for k, i in enumerate(order, 1):
        labels[i] = (Fraction((-1) ** k),)
    witness = Dataset(ds.points, tuple(labels), "regression", None,
                      source=(ds.source or "in-memory") + " (labels (-1)^k in line order)")
    if memorizer == "fold":
        return _fold_built(witness, order, widths)
    if depth == 2:
        inner = zhang17.theorem_1(witness, bias_rule="knot")
    else:
        inner = theorem_3_1(witness, widths=widths, activation=activation)
    net = inner.network
    p = PIECES[activation]
    claims = list(inner.claims)
    claims.append(Claim("lemma-hypothesis", "alternating_on_segment == 1",
                        f"{SRC}, counting lemma's hypothesis (docs/ysj19.md): the points lie on the segment, "
                        "pairwise apart along it, with labels whose consecutive differences alternate in sign"))
    claims.append(Claim("counting-lemma", "pieces_on_segment >= N - 1",
                        f"{SRC}, counting lemma (docs/ysj19.md): labels alternating along the segment "
                        "force at least N - 1 affine pieces on it"))
    claims += [Claim(i, s, src) for i, s, src in bound_claims(activation, net.hidden_widths)]
    if depth == 2:
        claims.append(Claim("knots-at-data", "pieces_on_segment <= N - 1",
                            "zhang17 knot: kinks only at the N - 2 interior data points (the lemma is tight)"))
        claims.append(Claim("thm33", "d1 + 2 >= N",
                            f"{SRC} (2-layer, p = 2): fitting N alternating points needs (p-1)d1 + 2 >= N"))
    else:
        a = "" if p == 2 else f"{p - 1} * "
        claims.append(Claim("thm33", f"{p * (p - 1)} * d1 * d2 + {a}d2 + 2 >= N",
                            f"{SRC} (3-layer, p = {p}): fitting N alternating points needs "
                            "p(p-1)d1d2 + (p-1)d2 + 2 >= N"))
    params = {"depth": depth, "activation": activation, "widths": list(net.hidden_widths)}
    info = dict(inner.info)
    info.update({"witness_labels": "(-1)^k for the k-th point along the line (k = 1..N)",
                 "segment": "from the first to the last point along the line"})
    return Built(net, claims, params, info, dataset=witness,
                 segment=(ds.points[order[0]], ds.points[order[-1]]))


def _fold_built(witness: Dataset, order, widths) -> Built:
    """Theorem 3.3's certificate with the fold as memorizer (``memorizer="fold"``)."""
    net, segment = _fold_memorizer(witness, order, widths)
    d1, d2 = net.hidden_widths
    claims = [DISTINCT, UNIT_LABELS,
              Claim("depth", "depth == 3", f"{SRC}: a 3-layer network"),
              Claim("activation", "hardtanh_hidden == 1", f"{SRC}: hard-tanh hidden layers (p = 3)"),
              Claim("lemma-hypothesis", "alternating_on_segment == 1",
                    f"{SRC}, counting lemma's hypothesis (docs/ysj19.md): the points lie on the segment, "
                    "pairwise apart along it, with labels whose consecutive differences alternate in sign"),
              Claim("counting-lemma", "pieces_on_segment >= N - 1",
                    f"{SRC}, counting lemma (docs/ysj19.md): labels alternating along the segment "
                    "force at least N - 1 affine pieces on it")]
    claims += [Claim(i, s, src) for i, s, src in bound_claims("hardtanh", [d1, d2])]
    claims += [Claim(i, s, src) for i, s, src in fold_claims()]
    claims.append(Claim("thm33", "6 * d1 * d2 + 2 * d2 + 2 >= N",
                        f"{SRC} (3-layer, p = 3): fitting N alternating points needs p(p-1)d1d2 + (p-1)d2 + 2 >= N"))
    params = {"depth": 3, "activation": "hardtanh", "widths": [d1, d2], "memorizer": "fold"}
    info = {"witness_labels": "(-1)^k for the k-th point along the line (k = 1..N)",
            "segment": "the fold's range: from the first point over (2 d1 - 1)(2 d2 - 1) spacings",
            "fold_pieces": 2 * d2 * (2 * d1 - 1) + 1, "fold_points": (2 * d1 - 1) * (2 * d2 - 1) + 1}
    return Built(net, claims, params, info, dataset=witness, segment=segment)
