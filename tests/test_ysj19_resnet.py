"""YSJ19 Theorem 4.1 (ResNet under general position): hard-tanh and ReLU, the default one group
per block, several groups per block, the narrow one-node-per-block variant, random admissible
splits at the theorem's tight bound, and refusals with their exit codes.  Every network is
evaluated exactly and every certificate verified by the independent checker."""

import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from exactmem.constructions import ysj19
from exactmem.data import Dataset
from exactmem.engine import forward
from exactmem.errors import ConstructionError, DataError
from exactmem.pipeline import certify_dataset

from conftest import fraction_forward, verify_certificate
from strategies import class_datasets

F = Fraction
PER = {"relu": 4, "hardtanh": 2}          # bump nodes per group
HEAD = {"relu": 2, "hardtanh": 1}         # head nodes per class


def clip(t):
    return min(F(1), max(F(-1), t))


def act(name, t):
    return max(F(0), t) if name == "relu" else clip(t)


@st.composite
def gp_class_datasets(draw, max_n=24, max_d=4):
    """Class data with dx >= dy and coordinates with large random denominators (in general
    position almost surely; the build's own test refuses the rare exception with a witness)."""
    d = draw(st.integers(1, max_d))
    c = draw(st.integers(1, d))
    n = draw(st.integers(1, max_n))
    coord = st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6)
    points = draw(st.lists(st.tuples(*[coord] * d), min_size=n, max_size=n, unique=True))
    labels = draw(st.lists(st.integers(1, c), min_size=n, max_size=n))
    return Dataset(tuple(points), tuple(labels), "classification", c).validate()


def n_groups(ds):
    """sum_k ceil(n_k / dx), counted here from the labels."""
    return sum(-(-sum(1 for l in ds.labels if l == k) // ds.d) for k in range(1, ds.classes + 1))


def tight_sum(ds, activation):
    """The least integer sum of block widths with dx * sum >= k N + k dy dx (k = 4 ReLU, 2 hard-tanh)."""
    k = PER[activation]
    return -(-(k * ds.n + k * ds.classes * ds.d) // ds.d)


def _dependent(points, rows):
    from exactmem.geometry import rref_nullspace
    base = points[rows[0]]
    D = [[x - y for x, y in zip(points[i], base)] for i in rows[1:]]
    rank = len(base) - len(rref_nullspace(D, len(base))) if D else 0
    return rank < len(rows) - 1


def build_or_witness(ds, **options):
    """The construction, or None after checking that a DataError names a genuine witness of at
    most dx + 1 affinely dependent points."""
    try:
        return ysj19.theorem_4_1(ds, **options)
    except DataError as e:
        rows = [int(r) - 1 for r in str(e).split("rows ")[1].split(" lie")[0].split(" are")[0].split(", ")]
        assert len(rows) <= ds.d + 1 and _dependent(ds.points, rows)
        return None


def check_built(checker, folder, ds, built, options, activation, widths=None):
    net, target = built.network, built.dataset
    assert forward(net, target.points) == target.targets()
    assert all(e.inner.activation == activation for e in net.layers[:-2]) and net.layers[-2].activation == activation
    if widths is not None:
        assert net.hidden_widths[:-1] == list(widths)
        assert ds.d * net.residual_hidden >= PER[activation] * (ds.n + ds.classes * ds.d)
    assert net.hidden_widths[-1] >= HEAD[activation] * ds.classes
    verify_certificate(checker, folder, certify_dataset("ysj19-thm4.1", ds, options))


# ---------------------------------------------------------------------------------------------
# The gadgets, exactly

def test_bumps_and_heads_are_exact_identities():
    """trap(u) is 1 for |u| <= 1 and 0 for |u| >= 2 in both forms; the heads give 1 for h >= 0
    and 0 for h <= -1 (checked on a grid of rationals around every breakpoint)."""
    grid = [F(i, 8) for i in range(-40, 41)] + [F(10**9), F(-10**9), F(7, 3), F(-7, 3)]
    for name, (offsets, coeffs, scale) in ysj19.THM41_BUMPS.items():
        assert len(offsets) == PER[name]
        for u in grid:
            value = sum(co * act(name, scale * u + o) for o, co in zip(offsets, coeffs))
            if abs(u) <= 1:
                assert value == 1, (name, u)
            elif abs(u) >= 2:
                assert value == 0, (name, u)
            else:
                assert 0 <= value <= 1
    for h in grid:
        relu_head = act("relu", h + 1) - act("relu", h)
        tanh_head = (clip(2 * h + 1) + 1) / 2
        if h >= 0:
            assert relu_head == tanh_head == 1
        elif h <= -1:
            assert relu_head == tanh_head == 0


def test_layout_rules():
    L = ysj19.thm41_layout
    assert L([8, 8, 4], 5, 4, 3) == ("coordinate", [("block", [0], 2), ("block", [1], 2), ("block", [2], 1)])
    readout, segs = L([1] * 8, 2, 4, 2)                       # narrow: one node per block
    assert readout == "line" and segs == [("run", [0, 1, 2, 3], 1), ("run", [4, 5, 6, 7], 1)]
    readout, segs = L([4, 1, 1, 1, 1, 2, 2], 3, 4, 3)         # mixed: whole block, then runs
    assert readout == "line" and sum(n for _, _, n in segs) == 3
    assert [b for _, blks, _ in segs for b in blks] == sorted(b for _, blks, _ in segs for b in blks)
    with pytest.raises(ConstructionError, match=r"block 1 has d_1 = 7 hidden nodes"):
        L([7, 7, 2], 4, 4, 3)
    with pytest.raises(ConstructionError, match=r"block 1 has d_1 = 1 hidden nodes: with dx = 1"):
        L([1] * 8, 2, 4, 1)


# ---------------------------------------------------------------------------------------------
# Default layout: one group per block, both activations

@given(ds=class_datasets(max_n=24, max_d=4, max_classes=4), activation=st.sampled_from(["relu", "hardtanh"]))
def test_default_one_group_per_block(checker, tmp_path_factory, ds, activation):
    if ds.d < ds.classes:
        with pytest.raises(ConstructionError, match="dx >= dy"):
            ysj19.theorem_4_1(ds, activation=activation)
        return
    built = build_or_witness(ds, activation=activation)
    if built is None:
        return
    net, k = built.network, PER[activation]
    assert net.hidden_widths == [k] * n_groups(ds) + [HEAD[activation] * ds.classes]
    assert ds.d * net.residual_hidden <= k * ds.n + k * ds.classes * ds.d        # within the theorem's count
    check_built(checker, tmp_path_factory.mktemp("d"), ds, built, {"activation": activation}, activation)


def test_worked_example_hardtanh():
    """The worked example's data (docs/ysj19.md): the pushes (+5, +6, +2, +6) do not depend on the bump, 2 units per block."""
    pts = [(0, 0), (4, 1), (1, 3), (-2, 2), (3, -2), (-1, -2)]
    ds = Dataset(tuple(tuple(F(v) for v in p) for p in pts), (1, 1, 2, 2, 2, 1), "classification", 2).validate()
    built = ysj19.theorem_4_1(ds, activation="hardtanh")
    assert built.info["shift"] == ["5", "4"] and built.info["pushes"] == [5, 6, 2, 6]
    assert built.network.hidden_widths == [2, 2, 2, 2, 2]
    assert forward(built.network, ds.points) == built.dataset.targets()
    # the hard-tanh bound 2N/dx + 2dy = 10 residual nodes, met with 8; head dy = 2
    assert 2 * built.network.residual_hidden <= 2 * 6 + 2 * 2 * 2


# ---------------------------------------------------------------------------------------------
# User-given block widths

@given(ds=gp_class_datasets(), activation=st.sampled_from(["relu", "hardtanh"]), q=st.integers(2, 3),
       head_extra=st.integers(0, 2))
def test_several_groups_per_block_at_the_tight_bound(checker, tmp_path_factory, ds, activation, q, head_extra):
    """Blocks of q bumps each (the last takes the remainder), sum exactly the least admissible."""
    k, S = PER[activation], tight_sum(ds, activation)
    widths = [k * q] * (S // (k * q))
    widths = widths + [S - sum(widths)] if S - sum(widths) else widths
    head = HEAD[activation] * ds.classes + head_extra
    opts = {"activation": activation, "block_widths": widths, "head_width": head}
    built = build_or_witness(ds, **opts)
    if built is None:
        return
    assert sum(w // k for w in widths) >= n_groups(ds)           # whole groups fit: the coordinate readout
    assert "shift" in built.info and built.network.hidden_widths[-1] == head
    check_built(checker, tmp_path_factory.mktemp("g"), ds, built, opts, activation, widths)
    fewer = widths[:-1] + ([widths[-1] - 1] if widths[-1] > 1 else [])     # one node fewer in all: refused
    with pytest.raises(ConstructionError, match="inadmissible"):
        ysj19.theorem_4_1(ds, activation=activation, block_widths=fewer)
    with pytest.raises(ConstructionError, match="head width"):
        ysj19.theorem_4_1(ds, activation=activation, head_width=HEAD[activation] * ds.classes - 1)


@given(ds=gp_class_datasets(max_n=16), activation=st.sampled_from(["relu", "hardtanh"]))
def test_narrow_one_node_per_block(checker, tmp_path_factory, ds, activation):
    """The narrow variant: every residual block has one node; sum d_l = L - 1 at the tight bound."""
    S = tight_sum(ds, activation)
    widths = [1] * S
    opts = {"activation": activation, "block_widths": widths}
    built = build_or_witness(ds, **opts)
    if built is None:
        return
    assert "thresholds" in built.info
    if ds.d == 1:                 # dy = 1: no push is orthogonal to a normal on a line, the shared layout pushes nothing
        assert built.info["unpushed_class"] == 1 and built.info["pushes"] == []
    check_built(checker, tmp_path_factory.mktemp("n"), ds, built, opts, activation, widths)


@st.composite
def splits(draw, total, per):
    """A random composition of ``total`` into positive block widths of several kinds."""
    kind = draw(st.sampled_from(["any", "small", "wide", "ones-and-bumps"]))
    out, left = [], total
    while left:
        if kind == "small":
            w = draw(st.integers(1, min(left, per)))
        elif kind == "wide":
            w = draw(st.integers(min(left, per), min(left, 3 * per + 1)))
        elif kind == "ones-and-bumps":
            w = draw(st.sampled_from([1, per, 2 * per]))
            w = min(w, left)
        else:
            w = draw(st.integers(1, min(left, 2 * per + 2)))
        out.append(w)
        left -= w
    return out


@given(data=st.data(), ds=gp_class_datasets(max_n=16), activation=st.sampled_from(["relu", "hardtanh"]))
def test_random_admissible_splits(checker, tmp_path_factory, data, ds, activation):
    """Any split of the least admissible sum is built exactly: by whole groups per block or runs
    when they fit, else by the shared layout (tests/test_ysj19_splits.py)."""
    k, G = PER[activation], n_groups(ds)
    widths = data.draw(splits(tight_sum(ds, activation), k))
    opts = {"activation": activation, "block_widths": widths}
    built = build_or_witness(ds, **opts)
    if built is None:
        return
    whole = sum(w // k for w in widths) >= G                     # whole groups per block
    narrow = ds.d >= 2 and len(widths) >= k * G                  # one live node per block
    if whole or narrow:
        assert "unpushed_class" not in built.info
    check_built(checker, tmp_path_factory.mktemp("s"), ds, built, opts, activation, widths)


def test_engine_agrees_with_the_fraction_reference_on_every_layout():
    from exactmem.data import random_dataset
    ds = random_dataset(n=10, d=3, classes=2, seed=3)
    for opts in ({"activation": "hardtanh"}, {"block_widths": [1] * 22},
                 {"activation": "hardtanh", "block_widths": [4, 1, 1, 3, 2]},
                 {"activation": "hardtanh", "block_widths": [1] * 11, "head_width": 4}):
        built = ysj19.theorem_4_1(ds, **opts)
        target = built.dataset
        assert forward(built.network, ds.points) == [fraction_forward(built.network, p) for p in ds.points]
        assert forward(built.network, ds.points) == target.targets()


# ---------------------------------------------------------------------------------------------
# Refusals through the command line: one line, exit code 3

@pytest.mark.parametrize("args,needle", [
    (["--block-widths", "43"], "dx*sum d_l = 3*43 = 129 < 4N + 4dy*dx = 132"),
    (["--activation", "hardtanh", "--block-widths", "21"], "dx*sum d_l = 3*21 = 63 < 2N + 2dy*dx = 66"),
    (["--head-width", "5"], "d_L >= 2dy = 6"),
    (["--activation", "hardtanh", "--head-width", "2"], "d_L >= dy = 3"),
])
def test_cli_refusals(tmp_path, args, needle):
    cmd = [sys.executable, "-m", "exactmem.cli", "build", "ysj19-thm4.1", "--data",
           "random:n=24,d=3,classes=3,seed=17", "-o", "x.json", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    errors = [l for l in done.stderr.strip().splitlines() if not l.startswith("[")]
    assert len(errors) == 1 and errors[0].startswith("exactmem: error: ") and needle in errors[0]
    assert "Traceback" not in done.stderr and not (tmp_path / "x.json").exists()


def test_cli_refuses_dx_below_dy_and_builds_the_narrow_variant(tmp_path):
    base = [sys.executable, "-m", "exactmem.cli", "build", "ysj19-thm4.1", "-q"]
    done = subprocess.run(base + ["--data", "random:n=12,d=2,classes=3,seed=1", "-o", "x.json",
                                  "--block-widths", ",".join(["1"] * 40)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 3 and "dx >= dy: dx = 2 < dy = 3" in done.stderr
    done = subprocess.run(base + ["--data", "random:n=12,d=2,classes=2,seed=1", "-o", "y.json",
                                  "--block-widths", ",".join(["1"] * 32)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    check = subprocess.run([sys.executable, "-m", "exactmem.cli", "check", "y.json", "-q"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert check.returncode == 0, check.stdout
