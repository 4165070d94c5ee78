"""Class-pure groups and their bumps, shared by Corollary 4.2 and Theorem 4.1 of Yun, Sra,
Jadbabaie (2019), the two results that assume general position.

The points of each class are cut, in dataset order, into groups of at most dx.  General
position makes the affine hull of a group a hyperplane that misses every other point
(:func:`exactmem.geometry.separating_hyperplane` finds it with exact linear algebra); a trap
bump of the scaled distance u = K (a.x - c) to it (:func:`exactmem.gadgets.trap_bump_units`)
is 1 on the group (u = 0) and 0 at every other point once K makes |u| >= 2 there.  There are
sum_k ceil(n_k / dx) <= N/dx + dy groups, which is where the theorems' N/dx + dy comes from.
"""

from __future__ import annotations

from fractions import Fraction

from ...errors import InternalError
from ...rational import ceil_div


def class_groups(labels, classes: int, dx: int) -> list:
    """[(k, rows)]: for each class k = 0..C-1 (label k + 1), its rows in dataset order cut into
    consecutive groups of at most dx."""
    groups = []
    for k in range(classes):
        idx = [i for i, label in enumerate(labels) if label == k + 1]
        groups += [(k, idx[j:j + dx]) for j in range(0, len(idx), dx)]
    return groups


def margin_and_scale(a, c, pos, members):
    """(m, K): the least |a.x - c| over the points outside the group at their current positions
    (2 when there are none), and the integer K >= 1 with K m >= 2 that makes the bump vanish there.
    The sums run over the normal's nonzero entries only: a group of r points has a normal with
    few of them when r << d (at dx = 3072 this loop was most of the build, docs/ysj19.md)."""
    support = [(k, ak) for k, ak in enumerate(a) if ak]
    return margin_from_offsets([sum(ak * p[k] for k, ak in support) - c if j not in members else 0
                                for j, p in enumerate(pos)], members)


def margin_from_offsets(offsets, members):
    """(m, K) of :func:`margin_and_scale` from the offsets a.x_j - c of every point j (those of
    the group's members are not read)."""
    return margin_from_distances([abs(v) for j, v in enumerate(offsets) if j not in members])


def margin_from_distances(dists):
    """(m, K) of :func:`margin_and_scale` from the distances |a.x_j - c| of the points outside the
    group (any order; m = 2 when there are none)."""
    m = min(dists) if dists else Fraction(2)
    if m <= 0:
        raise InternalError("a moved point landed on a later hyperplane")
    return m, (max(1, ceil_div(2, m)) if m < 2 else 1)
