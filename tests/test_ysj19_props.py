"""YSJ19 Propositions 3.2 and 3.4 at tight widths: exact memorization, exact widths, checker
verdicts, and refusals that name the failed condition."""

from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from exactmem.constructions import ysj19
from exactmem.data import Dataset, random_dataset
from exactmem.engine import forward
from exactmem.errors import ConstructionError, DataError
from exactmem.pipeline import certify_dataset

import oracles as O
from conftest import verify_certificate
from strategies import class_datasets, regression_datasets


def verify(checker, folder, cert):
    return verify_certificate(checker, folder, cert)


@given(ds=class_datasets(max_n=30, max_classes=7), activation=st.sampled_from(["relu", "hardtanh"]),
       encoding=st.sampled_from(["onehot", "class"]), p=st.integers(1, 6), extra=st.integers(0, 3))
def test_prop32_tight(checker, tmp_path_factory, ds, activation, encoding, p, extra):
    k = 2 if activation == "hardtanh" else 4
    d1 = k * p + extra % k                            # odd / non-multiple widths included
    C, n = ds.classes, ds.n
    d3 = O.least_width(lambda w: O.prop32_admissible(d1, 10**6, w, C, n, activation))          # the least d3
    d2 = O.least_width(lambda w: O.prop32_admissible(d1, w, d3, C, n, activation))            # the least d2
    built = ysj19.proposition_3_2(ds, widths=[d1, d2, d3], activation=activation, output=encoding)
    target = built.dataset or ds
    assert forward(built.network, target.points) == target.targets()
    assert built.network.hidden_widths == [d1, d2, d3] and built.network.depth == 4
    if encoding == "onehot":
        assert target.dy == ds.classes
    cert = certify_dataset("ysj19-prop3.2", ds, {"widths": [d1, d2, d3], "activation": activation,
                                                  "output": encoding})
    verify(checker, tmp_path_factory.mktemp("p"), cert)
    if d2 > 1:                                        # one node less in d2 breaks the inequality
        assert not O.prop32_admissible(d1, d2 - 1, d3, C, n, activation)
        with pytest.raises(ConstructionError, match="inadmissible"):
            ysj19.proposition_3_2(ds, widths=[d1, d2 - 1, d3], activation=activation)
    assert not O.prop32_admissible(d1, d2, d3 - 1, C, n, activation)
    with pytest.raises(ConstructionError, match="d3"):
        ysj19.proposition_3_2(ds, widths=[d1, d2, d3 - 1], activation=activation)


@given(ds=regression_datasets(max_n=28, max_dy=3), split=st.integers(0, 100), first=st.sampled_from([1, 2]),
       activation=st.sampled_from(["hardtanh", "relu"]))
def test_prop34_tight_two_blocks(checker, tmp_path_factory, ds, split, first, activation):
    """A tight two-block family (docs/ysj19.md): widths [1|2, 2M1+1, 2dy+1, dy+1, 2M2+dy, 3dy, dy], l = (2, 5),
    equality in the sum when N = 4(M1 + M2)."""
    dy = ds.dy
    M = -(-ds.n // 4)
    M1 = split % (M + 1)
    M2 = M - M1
    W = [first, 2 * M1 + 1, 2 * dy + 1, dy + 1, 2 * M2 + dy, 3 * dy, dy]
    widths = W if activation == "hardtanh" else [2 * w + (split % 2) for w in W]   # odd ReLU widths too
    assert O.prop34_admissible_blocks(W, dy, ds.n, [2, 5])
    assert O.prop34_admissible_blocks(widths, dy, ds.n, [2, 5], activation)
    built = ysj19.proposition_3_4(ds, widths=widths, blocks=[2, 5], activation=activation)
    assert forward(built.network, ds.points) == ds.targets()
    assert built.network.hidden_widths == widths
    verify(checker, tmp_path_factory.mktemp("q"),
           certify_dataset("ysj19-prop3.4", ds, {"widths": widths, "blocks": [2, 5], "activation": activation}))


@given(ds=regression_datasets(max_n=20, max_dy=2), widths=st.lists(st.integers(1, 9), min_size=2, max_size=7))
def test_prop34_automatic_blocks_or_a_clear_refusal(ds, widths):
    """The product finds a placement iff the oracle's brute force over every placement finds one."""
    if not O.prop34_admissible(widths, ds.dy, ds.n):
        with pytest.raises(ConstructionError, match="inadmissible"):
            ysj19.proposition_3_4(ds, widths=widths)
        return
    built = ysj19.proposition_3_4(ds, widths=widths)
    assert forward(built.network, ds.points) == ds.targets()
    assert built.network.hidden_widths == widths


def test_prop34_refusals_name_the_condition():
    ds = random_dataset(n=12, d=2, dy=1, seed=0)
    cases = [([3, 3, 1, 1, 3, 3], [1, 3, 5], "d_3 = 1, d_4 = 1 must both be >= r_2 = 2"),   # docs/ysj19.md's counterexample
             ([4, 4, 4, 4], [1, 2], "l_1 + 1 = 2 >= l_2 = 2"),
             ([6, 6, 1, 6, 6, 1], [1, 4], "layer 3 between blocks 1 and 2: d_3 = 1 < dy + 1 = 2"),
             ([2, 2, 2], [1], "capacity"),
             ([4, 4, 4], [3], "outside [1, L-2]")]
    for widths, blocks, needle in cases:
        with pytest.raises(ConstructionError, match="inadmissible") as e:
            ysj19.proposition_3_4(ds, widths=widths, blocks=blocks)
        assert needle in str(e.value), (needle, str(e.value))


def test_prop32_and_34_refuse_the_wrong_label_kind():
    reg = random_dataset(n=6, d=2, seed=0)
    cls = random_dataset(n=6, d=2, classes=3, seed=0)
    with pytest.raises(DataError):
        ysj19.proposition_3_2(reg)
    with pytest.raises(DataError):
        ysj19.proposition_3_4(cls, widths=[4, 4, 4])


# ---------------------------------------------------------------------------------------------
# Corollary 4.2

def _dependent(points, rows):
    """Exact check that the given points are affinely dependent (rank of differences too low)."""
    from exactmem.geometry import rref_nullspace
    base = points[rows[0]]
    D = [[x - y for x, y in zip(points[i], base)] for i in rows[1:]]
    d = len(base)
    rank = d - len(rref_nullspace(D, d)) if D else 0
    return rank < len(rows) - 1


@given(ds=class_datasets(max_n=30, max_d=4, max_classes=5), activation=st.sampled_from(["relu", "hardtanh"]),
       slack=st.integers(0, 3))
def test_cor42_at_the_least_admissible_width(checker, tmp_path_factory, ds, activation, slack):
    d1 = O.least_width(lambda w: O.cor42_admissible(w, ds.n, ds.d, ds.classes, activation)) + slack
    try:
        built = ysj19.corollary_4_2(ds, widths=[d1], activation=activation)
    except DataError as e:
        # Refused only with a genuine witness of at most dx + 1 affinely dependent points.
        rows = [int(r) - 1 for r in str(e).split("rows ")[1].split(" lie")[0].split(" are")[0].split(", ")]
        assert len(rows) <= ds.d + 1 and _dependent(ds.points, rows)
        return
    target = built.dataset
    assert forward(built.network, target.points) == target.targets()
    assert built.network.hidden_widths == [d1] and built.network.depth == 2
    verify(checker, tmp_path_factory.mktemp("c"),
           certify_dataset("ysj19-cor4.2", ds, {"widths": [d1], "activation": activation}))
    if slack == 0 and d1 > 1:
        assert not O.cor42_admissible(d1 - 1, ds.n, ds.d, ds.classes, activation)
        with pytest.raises(ConstructionError, match="inadmissible"):
            ysj19.corollary_4_2(ds, widths=[d1 - 1], activation=activation)


def test_cor42_worked_example_and_a_collinear_refusal():
    F = Fraction
    pts = [(0, 0), (4, 1), (1, 3), (-2, 2), (3, -2), (-1, -2)]          # docs/ysj19.md's worked example
    ds = Dataset(tuple(tuple(F(v) for v in p) for p in pts), (1, 1, 2, 2, 2, 1), "classification", 2).validate()
    built = ysj19.corollary_4_2(ds)
    assert built.info["groups"] == 4 and built.network.hidden_widths == [4 * 6 // 2 + 4 * 2]
    assert forward(built.network, ds.points) == built.dataset.targets()
    line = Dataset(tuple((F(i), F(i)) for i in range(3)) + ((F(3), F(0)),), (1, 1, 2, 2), "classification", 2)
    with pytest.raises(DataError, match="rows 1, 2, 3 lie on one affine subspace"):
        ysj19.corollary_4_2(line.validate())


# ---------------------------------------------------------------------------------------------
# Theorem 4.1 (ResNet)

@given(ds=class_datasets(max_n=30, max_d=4, max_classes=4))
def test_thm41_resnet(checker, tmp_path_factory, ds):
    if ds.d < ds.classes:
        with pytest.raises(ConstructionError, match="dx >= dy"):
            ysj19.theorem_4_1(ds)
        return
    try:
        built = ysj19.theorem_4_1(ds)
    except DataError as e:
        rows = [int(r) - 1 for r in str(e).split("rows ")[1].split(" lie")[0].split(" are")[0].split(", ")]
        assert len(rows) <= ds.d + 1 and _dependent(ds.points, rows)
        return
    net = built.network
    target = built.dataset
    assert forward(net, target.points) == target.targets()
    assert ds.d * net.residual_hidden <= 4 * ds.n + 4 * ds.classes * ds.d
    assert net.hidden_widths[-1] == 2 * ds.classes
    verify(checker, tmp_path_factory.mktemp("r"), certify_dataset("ysj19-thm4.1", ds))


def test_thm41_worked_example_pushes():
    """docs/ysj19.md's worked example: shift (5, 4), pushes +5, +6, +2, +6, 16 + 4 hidden nodes."""
    F = Fraction
    pts = [(0, 0), (4, 1), (1, 3), (-2, 2), (3, -2), (-1, -2)]
    ds = Dataset(tuple(tuple(F(v) for v in p) for p in pts), (1, 1, 2, 2, 2, 1), "classification", 2).validate()
    built = ysj19.theorem_4_1(ds)
    assert built.info["shift"] == ["5", "4"] and built.info["pushes"] == [5, 6, 2, 6]
    assert built.network.hidden_neurons == 20
    assert forward(built.network, ds.points) == built.dataset.targets()


def test_residual_engine_matches_fraction_reference():
    from exactmem.network import Layer, Network, ResidualBlock
    F = Fraction
    inner = Layer.from_rationals([[F(1, 3), F(-2)], [F(5, 7), F(1)]], [F(1, 2), F(-1)], "relu")
    outer = Layer.from_rationals([[F(2), F(-1, 5)], [F(0), F(3, 4)]], [F(-1), F(1, 9)], "identity")
    net = Network(2, (ResidualBlock(inner, outer), Layer.from_rationals([[F(1), F(1)]], [F(0)], "identity")))
    pts = [(F(1), F(2)), (F(-3, 2), F(1, 3)), (F(0), F(0))]

    def ref(x):
        z = [max(F(0), sum(inner.weight(j, i) * x[i] for i in range(2)) + F(inner.bias[j], inner.dens[j]))
             for j in range(2)]
        r = [sum(outer.weight(j, i) * z[i] for i in range(2)) + F(outer.bias[j], outer.dens[j]) for j in range(2)]
        h = [x[j] + r[j] for j in range(2)]
        return (h[0] + h[1],)

    assert forward(net, pts) == [ref(p) for p in pts]
    assert net.depth == 3 and net.hidden_widths == [2] and net.params_dense == 6 + 6 + 3


def test_thm41_engine_agrees_with_the_fraction_reference():
    from conftest import fraction_forward
    ds = random_dataset(n=12, d=3, classes=2, seed=4)
    net = ysj19.theorem_4_1(ds).network
    assert forward(net, ds.points) == [fraction_forward(net, p) for p in ds.points]


def test_margins_past_4300_digits_are_recorded_in_hex():
    """At dx = 3072 a group's hyperplane has 20,000-bit entries, and str() of its margin hit
    CPython's 4,300-digit limit (a traceback at N = 20,000). Huge coordinates reach the same
    sizes on a few points: the build completes and info holds canonical tokens."""
    from fractions import Fraction
    from exactmem.constructions.ysj19 import corollary_4_2, theorem_4_1
    from exactmem.data import Dataset
    from exactmem.rational import decode_rat
    big = 10 ** 5000
    pts = ((Fraction(0), Fraction(0)), (Fraction(big), Fraction(1)), (Fraction(3), Fraction(big + 7)),
           (Fraction(2 * big + 1), Fraction(5 * big)))
    ds = Dataset(pts, (1, 2, 1, 2), "classification", 2).validate()
    for built in (corollary_4_2(ds), theorem_4_1(ds)):
        token = built.info["min_margin"]
        assert decode_rat(token) > 0
        assert decode_rat(token).numerator.bit_length() > 4300 * 3 or "/" in token
    for cid in ("ysj19-cor4.2", "ysj19-thm4.1"):         # and the certificate is written
        cert = certify_dataset(cid, ds)
        assert cert["certificate_sha256"]
