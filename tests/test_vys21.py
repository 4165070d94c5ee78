"""VYS21: Constructions A and B memorize random class datasets, meet their layout formulas and
bounds, and the independent checker verifies the certificates."""

from fractions import Fraction

import pytest
from hypothesis import example, given, strategies as st

from exactmem.constructions import vys21
from exactmem.data import Dataset, random_dataset
from exactmem.engine import forward
from exactmem.errors import ConstructionError, DataError
from exactmem.pipeline import certify_dataset

import oracles as O
from conftest import run_checker_inprocess, verify_certificate

big_coordinate = st.one_of(
    st.fractions(min_value=-100, max_value=100, max_denominator=10**6),
    st.builds(lambda a, b: Fraction(a, b), st.integers(-2**40, 2**40), st.integers(1, 2**30)),
)


@st.composite
def class_data(draw, max_n=60):
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, 6))
    c = draw(st.integers(1, 20))
    pts = draw(st.lists(st.tuples(*[big_coordinate] * d), min_size=n, max_size=n, unique=True))
    labels = draw(st.lists(st.integers(1, c), min_size=n, max_size=n))
    return Dataset(tuple(pts), tuple(labels), "classification", c).validate()


def verify(checker, folder, cert):
    return verify_certificate(checker, folder, cert)


@given(ds=class_data(), block=st.one_of(st.none(), st.integers(1, 8)), seed=st.integers(0, 3))
def test_construction_A(checker, tmp_path_factory, ds, block, seed):
    built = vys21.theorem_3_1(ds, block_size=block, seed=seed)
    net, info = built.network, built.info
    assert forward(net, ds.points) == ds.targets()
    assert net.width <= 12
    _, _, z, _ = vys21.stage1_projection(ds, seed)
    rho, lam = O.key_sizes(z, ds.classes)                  # recomputed from Stage I's values
    T = max(rho, lam)
    s = block if block is not None else O.vys21_block_size(ds.n)
    assert (info["s"], info["T"], info["rho"], info["lambda"]) == (s, T, rho, lam)
    assert net.depth == O.vys21_depth_A(ds.n, T, s)       # m + s(T + 2) + 2, m = ceil(N/s)
    assert max(net.sizes()["layer_bits"][1:]) == max(s * rho, s * lam, 2) + 1
    verify(checker, tmp_path_factory.mktemp("a"), certify_dataset("vys21", ds, {"block_size": block, "seed": seed}))


LAYOUTS_B = ("direct-folded", "direct", "blocks", "A")
REACHED_B = set()           # (layout, T, L) reached by the property test below, by the oracle's reckoning


def _line(n, C):
    return Dataset(tuple((Fraction(i),) for i in range(n)), tuple(1 + i % C for i in range(n)),
                   "classification", C).validate()


def budget_for(n, T, layout, pick):
    """A depth budget L that the oracle (tests/oracles.py, docs/vys21.md) puts in ``layout``, or None
    when that layout's range of budgets is empty for this (N, T)."""
    DA = O.vys21_depth_A(n, T)
    ranges = {"direct-folded": [2], "direct": range(3, min(DA, 2 * (T + 2) + 4)),
              "blocks": range(2 * (T + 2) + 4, DA) if n >= 2 else range(0),
              "A": range(DA, DA + 8)}
    r = list(ranges[layout])
    return r[pick % len(r)] if r else None


@given(ds=class_data(), layout=st.sampled_from(LAYOUTS_B), pick=st.integers(0, 10**6))
@example(ds=_line(30, 3), layout="direct-folded", pick=0)
@example(ds=_line(30, 3), layout="direct", pick=7)
# _line(30, 3) has T = 7 (seed 0): blocks for 22 <= L < D_A = 39; picks 0..8 give every residue mod T + 2
@example(ds=_line(30, 3), layout="blocks", pick=0)
@example(ds=_line(30, 3), layout="blocks", pick=1)
@example(ds=_line(30, 3), layout="blocks", pick=2)
@example(ds=_line(30, 3), layout="blocks", pick=3)
@example(ds=_line(30, 3), layout="blocks", pick=4)
@example(ds=_line(30, 3), layout="blocks", pick=5)
@example(ds=_line(30, 3), layout="blocks", pick=6)
@example(ds=_line(30, 3), layout="blocks", pick=7)
@example(ds=_line(30, 3), layout="blocks", pick=8)
@example(ds=_line(30, 3), layout="direct", pick=18)     # L = 21 = 2(T + 2) + 3: one round short of s = 2
@example(ds=_line(30, 3), layout="A", pick=0)
@example(ds=_line(1, 1), layout="A", pick=3)
def test_construction_B_respects_the_depth_budget(checker, tmp_path_factory, ds, layout, pick):
    """Budgets drawn in every layout's range (oracle), so depth budgets of every size are met: the depth
    is the oracle's, never above L."""
    _, _, z, _ = vys21.stage1_projection(ds, 0)
    T = max(O.key_sizes(z, ds.classes))
    L = budget_for(ds.n, T, layout, pick)
    if L is None:
        L = budget_for(ds.n, T, "A", pick)
    want_layout, want_depth = O.vys21_depth_layout(ds.n, T, L)
    built = vys21.theorem_depth(ds, depth=L)
    net = built.network
    assert forward(net, ds.points) == ds.targets()
    assert (built.params["layout"], net.depth) == (want_layout, want_depth) and net.depth <= L
    REACHED_B.add((want_layout, T, L))
    if want_layout == "blocks":
        assert built.info["T"] == T
        # Stage II-III bit length max(s rho, s lambda) < L (our convention adds 1 for the denominator).
        assert max(net.sizes()["layer_bits"][1:]) - 1 < L
    verify(checker, tmp_path_factory.mktemp("b"), certify_dataset("vys21-depth", ds, {"depth": L}))


def test_construction_B_reached_every_layout(checker, tmp_path_factory):
    """The property test above reached every layout (its explicit examples make sure of it), with many
    distinct (T, L) pairs. Run on its own, this test runs the property test first."""
    if not REACHED_B:
        test_construction_B_respects_the_depth_budget(checker=checker, tmp_path_factory=tmp_path_factory)
    assert {layout for layout, _, _ in REACHED_B} == set(LAYOUTS_B)
    assert len({(T, L) for _, T, L in REACHED_B}) >= 8
    # For some T, block budgets at every residue of L mod (T + 2), and the last direct budget below them.
    assert any({L % (T + 2) for lay, t, L in REACHED_B if lay == "blocks" and t == T} == set(range(T + 2))
               and ("direct", T, 2 * (T + 2) + 3) in REACHED_B for _, T, _ in REACHED_B)


def test_default_block_size_is_exact_at_boundaries():
    # ceil(sqrt(N / log2 N)), computed with integers: N = 16 gives exactly 2, N = 2 and 8 give 2.
    assert [vys21.default_block_size(n) for n in (1, 2, 8, 16, 17, 100, 2**16)] == [1, 2, 2, 2, 3, 4, 64]
    assert all(vys21.default_block_size(n) == O.vys21_block_size(n) for n in range(1, 300))


def worked_example():
    F = Fraction
    pts = [(0, 0), (1, 0), (0, 1), (1, 1), (-1, F(1, 3)), (F(1, 2), -1), (-1, -1), (F(-1, 3), F(-1, 2))]
    return Dataset(tuple(tuple(F(v) for v in p) for p in pts), (1, 2, 3, 1, 2, 3, 1, 2), "classification", 3).validate()


def test_worked_example():
    """docs/vys21.md's worked example with its fixed direction v = (2, 3): depth 26, width 10, 1309 / 400."""
    built = vys21.theorem_3_1(worked_example(), direction=[2, 3])
    net = built.network
    assert built.info["stage1"]["z_max"] == "160" and built.info["rho"] == 8 and built.info["T"] == 8
    assert (net.depth, net.width, net.params_dense, net.params_nonzero) == (26, 10, 1309, 400)
    assert max(abs(v) for layer in net.layers[1:] for v, _ in layer.parameters()).bit_length() == 16
    assert forward(net, worked_example().points) == worked_example().targets()


def test_bits_grow_like_sqrt_n_over_log_n_times_T():
    rows = []
    for n in (100, 400, 1600):
        b = vys21.theorem_3_1(random_dataset(n=n, d=3, classes=4, seed=1))
        rows.append((b.info["s"] * b.info["T"], b.network.bit_complexity))
    for sT, bits in rows:
        assert sT <= bits <= sT + 1 + 2 * sT // 10 + 2     # = s*max(rho, lambda) + 1 here
    assert rows[0][1] < rows[1][1] < rows[2][1]


def test_refuses_regression_labels():
    reg = Dataset(((Fraction(0),), (Fraction(1),)), ((Fraction(1),), (Fraction(0),))).validate()
    with pytest.raises(DataError, match="class labels"):
        vys21.theorem_3_1(reg)


def test_bad_inputs_give_clear_errors():
    ds = random_dataset(n=10, d=2, classes=3, seed=0)
    with pytest.raises(ConstructionError, match="depth budget L = 1"):
        vys21.theorem_depth(ds, depth=1)
    with pytest.raises(ConstructionError, match="block size"):
        vys21.theorem_3_1(ds, block_size=0)
    with pytest.raises(ConstructionError, match="--direction needs 2 integers"):
        vys21.theorem_3_1(ds, direction=[1])
    with pytest.raises(DataError, match="outside 1..3"):
        Dataset(ds.points, (4,) + ds.labels[1:], "classification", 3).validate()
    with pytest.raises(DataError, match="classes must be >= 1"):
        Dataset(ds.points, ds.labels, "classification", 0).validate()


@pytest.mark.parametrize("x,label,C", [(Fraction(0), 1, 1), (Fraction(1, 4679), 3, 5)])
def test_smallest_cases(x, label, C):
    # One point: z must be exactly 0 (R can be tiny when |x| is), whatever the coordinate.
    one = Dataset(((x,),), (label,), "classification", C).validate()
    for built in (vys21.theorem_3_1(one), vys21.theorem_depth(one, depth=2), vys21.theorem_depth(one, depth=3)):
        assert forward(built.network, one.points) == [(Fraction(label),)]


def test_one_flipped_bit_of_a_big_weight_is_rejected(checker, tmp_path):
    """Flip one bit in the middle of the largest Stage II weight (a ~100-bit encoding)."""
    import json, hashlib
    ds = random_dataset(n=200, d=3, classes=7, seed=3)
    cert = certify_dataset("vys21", ds)
    best = None
    for li, layer in enumerate(cert["network"]["layers"]):
        for ri, row in enumerate(layer["weights"]):
            for ci, tok in enumerate(row):
                v = int(tok.replace("0x", ""), 16) if "0x" in tok else int(tok)
                if best is None or abs(v) > best[0]:
                    best = (abs(v), li, ri, ci, v)
    big, li, ri, ci, v = best
    assert big.bit_length() > 60
    flipped = v ^ (1 << (big.bit_length() // 2))
    from exactmem.rational import encode_int
    cert["network"]["layers"][li]["weights"][ri][ci] = encode_int(flipped)
    body = {k: x for k, x in cert.items() if k != "certificate_sha256"}
    canon = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    cert["certificate_sha256"] = hashlib.sha256(canon(body)).hexdigest()
    path = tmp_path / "t.json"
    path.write_bytes(canon(cert) + b"\n")
    code, out = run_checker_inprocess(checker, path)
    assert code == 1, out
    assert "s REJECTED point" in out or "s REJECTED sizes" in out


def test_stage_one_tries_finer_directions_after_the_first_draws(monkeypatch):
    """When the first MAX_DRAWS directions all fail (here one: a given direction under which two
    points project to the same value), the next draws use directions FINER times longer; the
    accepted projection separates every pair by at least 2 (checked here from the points)."""
    from exactmem.constructions import stage_one
    monkeypatch.setattr(stage_one, "MAX_DRAWS", 1)
    F = Fraction
    ds = Dataset(((F(0), F(0)), (F(1), F(-1)), (F(2), F(5))), (1, 2, 1), "classification", 2).validate()
    w, b, z, record = stage_one.stage1_projection(ds, direction=[1, 1])
    assert record["draws"] == 2 and max(abs(c) for c in record["v"]) > 4 * 4096
    proj = sorted(sum(wi * xi for wi, xi in zip(w, p)) + b for p in ds.points)
    assert proj == sorted(z) and all(hi - lo >= 2 for lo, hi in zip(proj, proj[1:]))
