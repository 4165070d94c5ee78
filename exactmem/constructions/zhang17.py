"""Zhang, Bengio, Hardt, Recht, Vinyals (ICLR 2017), "Understanding deep learning requires
rethinking generalization", Theorem 1: a one-hidden-layer ReLU network with N hidden units
(2N + d parameters with a shared direction) fits any N distinct points exactly.
"""

from __future__ import annotations

from fractions import Fraction

from ..data import Dataset
from ..errors import ConstructionError
from ..projection import distinct_projection
from . import DISTINCT, Built, Claim, network_from_rational_layers

BIAS_RULES = ("knot", "mid")


def theorem_1(ds: Dataset, bias_rule: str = "knot") -> Built:
    """Memorize N points with one hidden layer of N ReLUs, f(x) = sum_j w_j ReLU(a.x - b_j).

    Zhang, Bengio, Hardt, Recht, Vinyals 2017, Theorem 1 [1]_: a two-layer ReLU network with
    2N + d weights can represent any function on a sample of size N in d dimensions.

    Size bound met exactly: depth 2, N hidden ReLUs, at most (d+1)N + N*dy nonzero
    parameters (the paper's 2N + d counts the shared direction a once and has dy = 1).
    Recipe (docs/zhang17.md): a = (1, T, ..., T^(d-1)) with the smallest T making the
    projections z_i distinct; sort; b_1 = z_(1) - 1 and b_j = z_(j-1) (``knot``) or the midpoint
    (z_(j-1) + z_(j))/2 (``mid``); the lower-triangular system is solved through the slopes of f
    on the line, which is O(N) exact operations per output.

    Parameters
    ----------
    ds : Dataset
        N distinct points with any labels (real vectors, or class numbers as reals).
    bias_rule : {"knot", "mid"}, default "knot"
        ``knot``: biases at the data (bit size independent of N); ``mid``: Zhang's interleaving
        midpoints (bit size grows with N).

    Returns
    -------
    Built
        The network and its claims: depth 2, ReLU, d1 <= N, and the nonzero parameter count.

    Raises
    ------
    DataError
        If two points coincide.
    ConstructionError
        If ``bias_rule`` is unknown.

    References
    ----------
    .. [1] C. Zhang, S. Bengio, M. Hardt, B. Recht, O. Vinyals, "Understanding deep learning
       requires rethinking generalization", ICLR 2017, Theorem 1.
    """
    if bias_rule not in BIAS_RULES:
        raise ConstructionError(f"unknown bias rule {bias_rule!r} (choose {' or '.join(BIAS_RULES)})")
    T, a, z = distinct_projection(ds.points)
    order = sorted(range(ds.n), key=z.__getitem__)
    zs = [z[i] for i in order]
    targets = ds.targets()
    ys = [targets[i] for i in order]
    n = ds.n
    b = [zs[0] - 1] + [zs[j - 1] if bias_rule == "knot" else (zs[j - 1] + zs[j]) / 2 for j in range(1, n)]
    # On the line, f is piecewise linear with kinks at b_j; slope_j = w_1 + ... + w_j on [b_j, b_{j+1}].
    W2 = []
    for o in range(ds.dy):
        slope = [ys[0][o] / (zs[0] - b[0])]
        for i in range(n - 1):
            dy_ = ys[i + 1][o] - ys[i][o]
            slope.append((dy_ - slope[i] * (b[i + 1] - zs[i])) / (zs[i + 1] - b[i + 1]))
        W2.append([slope[0]] + [slope[j] - slope[j - 1] for j in range(1, n)])
    layers = [
        ([[Fraction(c) for c in a] for _ in range(n)], [-bj for bj in b], "relu"),
        (W2, [Fraction(0)] * ds.dy, "identity"),
    ]
    net = network_from_rational_layers(ds.d, layers)
    src = "Zhang et al. 2017, Thm 1"
    claims = [
        DISTINCT,
        Claim("depth", "depth == 2", src + ": one hidden layer"),
        Claim("relu", "relu_hidden == 1", src + ": ReLU activation"),
        Claim("hidden-nodes", "d1 <= N", src + ": N hidden ReLUs suffice"),
        Claim("params", "params_nonzero <= (d + 1) * N + N * dy",
              src + ": 2N + d parameters with a shared direction; (d+1)N + N*dy without sharing"),
    ]
    return Built(net, claims, {"bias_rule": bias_rule},
                 {"T": T, "zhang_param_count_shared": 2 * n + ds.d})
