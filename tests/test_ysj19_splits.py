"""YSJ19 Theorem 4.1 for every admitted split of the residual block widths (the shared layout,
docs/ysj19.md, Theorem 4.1, "Every split").

* the layout rule, against the waste bound it is proved with, on every composition of small totals;
* the dx = 2 counting argument (the unpushed class frees enough units), on every class split;
* a grid of small (N, dx, dy) for both activations: every composition of the least admissible
  sum into blocks is built, evaluated exactly by the test's own Fraction forward pass against the
  one-hot labels, and its certificate VERIFIED by the independent checker.  CI runs a fixed
  sample of each case; ``EXACTMEM_SPLITS_EXHAUSTIVE=1`` runs every composition (sizes and time
  in docs/ysj19.md).
"""

import os
import random
import subprocess
import sys
from fractions import Fraction

import pytest

from exactmem.constructions import ysj19
from exactmem.constructions.ysj19.thm41_shared import shared_layout
from exactmem.data import Dataset, random_dataset
from exactmem.errors import ConstructionError
from exactmem.pipeline import certify_dataset

from conftest import ROOT, fraction_forward, verify_certificate

PER = {"relu": 4, "hardtanh": 2}
EXHAUSTIVE = os.environ.get("EXACTMEM_SPLITS_EXHAUSTIVE") == "1"


def compositions(total):
    """Every composition of ``total`` into positive parts (2^(total-1) of them)."""
    for mask in range(1 << (total - 1)):
        out, run = [], 1
        for bit in range(total - 1):
            if mask >> bit & 1:
                out.append(run)
                run = 1
            else:
                run += 1
        yield out + [run]


def tight_sum(n, dx, dy, per):
    """The least integer sum with dx * sum >= per N + per dy dx."""
    return -(-(per * n + per * dy * dx) // dx)


def groups_of(labels, dy, dx):
    """Groups per class, sum_k ceil(n_k / dx), counted from the labels."""
    return [-(-sum(1 for label in labels if label == k) // dx) for k in range(1, dy + 1)]


# ---------------------------------------------------------------------------------------------
# The layout rule

def check_parts(parts, widths, per, dx):
    """The placement's invariants, checked from the parts alone."""
    used = [0] * len(widths)
    ends, starts = set(), set()
    prev_first = 0
    for mine in parts:
        assert sum(cnt for _, cnt in mine) == per and all(cnt > 0 for _, cnt in mine)
        blocks = [b for b, _ in mine]
        assert blocks == list(range(blocks[0], blocks[0] + len(blocks)))        # consecutive blocks
        assert blocks[0] >= prev_first
        prev_first = blocks[0]
        for b, cnt in mine:
            used[b] += cnt
        for b in blocks[1:-1]:                      # a middle block holds this group alone
            assert widths[b] == dict(mine)[b]
        if len(mine) > 1:
            ends.add(blocks[-1])
            starts.add(blocks[0])
    assert all(u <= w for u, w in zip(used, widths))
    if dx == 2:                                     # never the end of one straddling group and the start of another
        assert not ends & starts


@pytest.mark.parametrize("per,dx", [(4, 2), (4, 3), (2, 2), (2, 3)])
def test_shared_layout_on_every_composition(per, dx):
    """dx >= 3: G groups fit iff per G <= sum d_l.  dx = 2: at least (S - per + 1)/(2 per - 1) fit."""
    for total in range(1, 11):
        for widths in compositions(total):
            for G in range(total // per + 2):
                try:
                    parts = shared_layout(widths, G, per, dx)
                except ConstructionError as e:
                    assert f"d_{len(widths)} = {widths[-1]}" in str(e)
                    assert per * G > total if dx >= 3 else (2 * per - 1) * G > total - per + 1
                    continue
                assert per * G <= total and len(parts) == G
                check_parts(parts, widths, per, dx)


def test_dx2_counting_argument():
    """With dx = 2 (so dy <= 2) the pushed groups, all but the largest class's, never exceed the
    layout's guaranteed (S - per + 1)/(2 per - 1) at the least admissible sum S."""
    for per in (4, 2):
        for n in range(1, 200):
            for dy in (1, 2):
                S = tight_sum(n, 2, dy, per)
                for n1 in range(n + 1):
                    counts = [n1, n - n1][:dy] if dy == 2 else [n]
                    g = [-(-c // 2) for c in counts]
                    pushed = sum(g) - max(g)
                    assert (2 * per - 1) * pushed <= S - per + 1, (per, n, dy, n1)


def test_a_dx2_split_that_needs_the_wasted_units():
    """hard-tanh, dx = 2, widths 1, 2, 1, 2: group 2 would start in block 2, which holds group 1's
    end, and cross into block 3; it starts in block 3 instead."""
    parts = shared_layout([1, 2, 1, 2], 2, 2, 2)
    assert parts == [[(0, 1), (1, 1)], [(2, 1), (3, 1)]]
    assert shared_layout([1, 2, 1, 2], 3, 2, 3) == [[(0, 1), (1, 1)], [(1, 1), (2, 1)], [(3, 2)]]


# ---------------------------------------------------------------------------------------------
# Every split of the least admissible sum, built and certified

CASES = [      # (activation, N, dx, dy, seed): the least admissible sum S and its 2^(S-1) splits
    ("hardtanh", 3, 1, 1, 1),      # S = 8
    ("hardtanh", 6, 2, 2, 2),      # S = 10
    ("hardtanh", 9, 2, 2, 3),      # S = 13
    ("hardtanh", 10, 2, 2, 4),     # S = 14
    ("hardtanh", 12, 3, 3, 5),     # S = 14
    ("relu", 2, 1, 1, 6),          # S = 12
    ("relu", 2, 2, 2, 7),          # S = 12
    ("relu", 3, 4, 2, 8),          # S = 11
    ("relu", 6, 3, 2, 9),          # S = 16
]


def case_dataset(n, dx, dy, seed):
    """Random rational points, labels 1..dy round robin (classes as even as they can be)."""
    points = random_dataset(n=n, d=dx, classes=dy, seed=seed).points
    return Dataset(points, tuple(i % dy + 1 for i in range(n)), "classification", dy).validate()


def refused_by_older_rules(widths, G, per, dx):
    """Whether whole groups per block and runs (:func:`ysj19.thm41_layout`) cannot place the split."""
    try:
        ysj19.thm41_layout(widths, G, per, dx)
    except ConstructionError:
        return True
    return False


def certify_split(checker, folder, ds, activation, widths):
    opts = {"activation": activation, "block_widths": widths}
    built = ysj19.theorem_4_1(ds, **opts)
    net = built.network
    assert net.hidden_widths[:-1] == widths
    assert ds.d * net.residual_hidden >= PER[activation] * (ds.n + ds.classes * ds.d)   # the theorem's bound, met
    for p, label in zip(ds.points, ds.labels):
        assert list(fraction_forward(net, p)) == [Fraction(int(k == label)) for k in range(1, ds.classes + 1)]
    verify_certificate(checker, folder, certify_dataset("ysj19-thm4.1", ds, opts))
    return "unpushed_class" in built.info


@pytest.mark.parametrize("activation,n,dx,dy,seed", CASES)
def test_every_split_of_the_least_admissible_sum(checker, tmp_path, activation, n, dx, dy, seed):
    ds = case_dataset(n, dx, dy, seed)
    per = PER[activation]
    S = tight_sum(n, dx, dy, per)
    assert (S - 1) * dx < per * n + per * dy * dx <= S * dx           # S is the least admissible sum
    every = list(compositions(S))
    if EXHAUSTIVE:
        chosen = every
    else:                                        # CI: the extremes, a fixed sample, and splits the older rules refuse
        rng = random.Random(seed)
        G = sum(groups_of(ds.labels, dy, dx))
        chosen = [[1] * S, [S], [per + 1] * (S // (per + 1)) + ([S % (per + 1)] if S % (per + 1) else [])]
        chosen += rng.sample(every, 4)
        refused = [w for w in every if refused_by_older_rules(w, G, per, dx)]
        chosen += rng.sample(refused, min(4, len(refused)))
    shared = sum(certify_split(checker, tmp_path, ds, activation, widths) for widths in chosen)
    if EXHAUSTIVE:
        print(f"\n{activation} N={n} dx={dx} dy={dy}: {len(chosen)} splits of S={S} certified, "
              f"{shared} of them by the shared layout")


@pytest.mark.parametrize("activation", ["relu", "hardtanh"])
def test_random_splits_of_larger_data(checker, tmp_path, activation):
    """Many groups, so many straddles (also the end of one and the start of the next in one
    block): random splits of the least admissible sum, N = 20..40, dx = 2..4, dy = 2..dx."""
    rng = random.Random(41 if activation == "relu" else 42)
    per = PER[activation]
    for _ in range(8):
        dx = rng.randint(2, 4)
        dy = rng.randint(2, dx)
        n = rng.randint(20, 40)
        ds = case_dataset(n, dx, dy, rng.randint(0, 10**6))
        S = tight_sum(n, dx, dy, per)
        widths, left = [], S
        while left:
            widths.append(rng.randint(1, min(left, 2 * per + 3)))
            left -= widths[-1]
        certify_split(checker, tmp_path, ds, activation, widths)


def test_the_split_refused_before_is_built_and_verified_by_the_standalone_checker(tmp_path):
    """The CLI builds ``--block-widths 7,7,7,7,7,7,2`` (ReLU) and 3,3,3,3,3,3,3,1 (hard-tanh) on
    24 points, dx = dy = 3 (both at the least admissible sum), and python3 -I -S
    certificates/check.py prints VERIFIED."""
    for extra in (["--block-widths", "7,7,7,7,7,7,2"], ["--activation", "hardtanh", "--block-widths", "3,3,3,3,3,3,3,1"]):
        cmd = [sys.executable, "-m", "exactmem.cli", "build", "ysj19-thm4.1", "-q", "--data",
               "random:n=24,d=3,classes=3,seed=17", "-o", "x.json", *extra]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        check = subprocess.run([sys.executable, "-I", "-S", str(ROOT / "certificates" / "check.py"), "x.json"],
                               capture_output=True, text=True, cwd=tmp_path)
        assert check.returncode == 0 and check.stdout.strip().splitlines()[-1].startswith("s VERIFIED"), check.stdout


def test_a_straddling_group_reads_the_same_distance_in_every_block():
    """The invariant behind the shared layout, checked on the built network: for every group that
    straddles blocks, the pre-activations of its units, read in their different blocks, are the
    group's distance u plus the bump offsets, i.e. the same u at every point."""
    from exactmem.constructions.ysj19.thm41 import THM41_BUMPS
    ds = random_dataset(n=24, d=3, classes=3, seed=17)
    built = ysj19.theorem_4_1(ds, activation="relu", block_widths=[7, 7, 7, 7, 7, 7, 2])
    net = built.network
    offsets, _, scale = THM41_BUMPS["relu"]
    pre = []                                   # (block, unit) -> pre-activation per point
    h = [[Fraction(v) for v in p] for p in ds.points]
    for block in net.layers[:-2]:
        inner = block.inner
        z = [[(sum(Fraction(w) * v for w, v in zip(row, x)) + b) / den
              for row, b, den in zip(inner.weights, inner.bias, inner.dens)] for x in h]
        pre.append(z)
        h = [list(y) for y in (fraction_forward_block(block, x) for x in h)]
    straddling = [entry for entry in built.info["layout"] if len(entry["blocks"]) > 1]
    assert straddling
    unit_of = []                                # the live units in layout order
    for b, z in enumerate(pre):
        live = [j for j in range(len(z[0])) if any(net.layers[b].inner.weights[j]) or net.layers[b].inner.bias[j]]
        unit_of += [(b, j) for j in live]
    for g, entry in enumerate(built.info["layout"]):
        units = unit_of[4 * g:4 * g + 4]
        assert sorted({b + 1 for b, _ in units}) == entry["blocks"]
        for i in range(ds.n):
            us = [pre[b][i][j] - o for (b, j), o in zip(units, offsets)]
            assert len(set(us)) == 1 and scale == 1


def fraction_forward_block(block, x):
    """One residual block, h + outer(inner(h)), in Fractions (independent of the engine)."""
    def layer(L, a):
        z = [(sum(Fraction(w) * v for w, v in zip(row, a)) + b) / den for row, b, den in zip(L.weights, L.bias, L.dens)]
        return [max(Fraction(0), v) for v in z] if L.activation == "relu" else \
            [min(Fraction(1), max(Fraction(-1), v)) for v in z] if L.activation == "hardtanh" else z
    return [u + v for u, v in zip(x, layer(block.outer, layer(block.inner, x)))]
