"""Every construction memorizes random exact datasets, meets its theorem's size bound exactly,
and the independent checker verifies the certificate."""

from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from exactmem.constructions import ysj19, zhang17
from exactmem.data import Dataset
from exactmem.engine import forward
from exactmem.errors import ConstructionError, DataError
from exactmem.pipeline import certify_dataset

import oracles as O
from conftest import verify_certificate
from strategies import class_datasets, regression_datasets


def verify(checker, folder, cert):
    return verify_certificate(checker, folder, cert)


@given(ds=st.one_of(regression_datasets(), class_datasets()), rule=st.sampled_from(["knot", "mid"]))
def test_zhang17_memorizes_and_checks(checker, tmp_path_factory, ds, rule):
    built = zhang17.theorem_1(ds, bias_rule=rule)
    net = built.network
    assert forward(net, ds.points) == ds.targets()
    assert net.depth == 2 and net.hidden_widths == [ds.n]
    assert net.params_nonzero <= (ds.d + 1) * ds.n + ds.n * ds.dy
    verify(checker, tmp_path_factory.mktemp("z"), certify_dataset("zhang17", ds, {"bias_rule": rule}))


@given(ds=regression_datasets(), activation=st.sampled_from(["relu", "hardtanh"]),
       d1_extra=st.integers(0, 12), extra=st.integers(0, 100))
def test_ysj19_thm31_on_the_boundary(checker, tmp_path_factory, ds, activation, d1_extra, extra):
    """The least d2 the theorem admits for d1 (oracle: tests/oracles.py, brute force), plus ``extra``
    below the next step; at the least d2, one node fewer must be refused."""
    k = 2 if activation == "hardtanh" else 4
    d1 = k + d1_extra
    least = O.least_width(lambda w: O.thm31_admissible(d1, w, ds.dy, ds.n, activation))
    d2 = least + extra % (k * ds.dy)
    assert O.thm31_admissible(d1, d2, ds.dy, ds.n, activation)
    built = ysj19.theorem_3_1(ds, widths=[d1, d2], activation=activation)
    net = built.network
    assert net.depth == 3 and net.hidden_widths == [d1, d2]
    assert net.hidden_activation() == activation
    assert forward(net, ds.points) == ds.targets()
    cert = certify_dataset("ysj19-thm3.1", ds, {"widths": [d1, d2], "activation": activation})
    verify(checker, tmp_path_factory.mktemp("y"), cert)
    if d2 == least and least > 1:
        assert not O.thm31_admissible(d1, d2 - 1, ds.dy, ds.n, activation)
        with pytest.raises(ConstructionError, match="inadmissible"):
            ysj19.theorem_3_1(ds, widths=[d1, d2 - 1], activation=activation)


@given(ds=regression_datasets(max_n=40), activation=st.sampled_from(["relu", "hardtanh"]))
def test_ysj19_default_widths_are_admissible_and_minimal(ds, activation):
    d1, d2 = ysj19.default_widths(ds.n, ds.d, ds.dy, activation)
    assert O.thm31_admissible(d1, d2, ds.dy, ds.n, activation)
    # No admissible pair (of any form, by brute force) has fewer hidden nodes.
    for a in range(1, d1 + d2):
        for b in range(1, d1 + d2 - a):
            assert not O.thm31_admissible(a, b, ds.dy, ds.n, activation), (a, b)
    built = ysj19.theorem_3_1(ds, activation=activation)
    assert forward(built.network, ds.points) == ds.targets()


@pytest.mark.parametrize("n,expected", [(1, (2, 2)), (2, (2, 2)), (3, (2, 2)), (5, (2, 4)), (8, (2, 4)),
                                        (16, (4, 4)), (17, (4, 6)), (60, (6, 10)), (100, (10, 10)),
                                        (1000, (28, 36))])
def test_default_widths_match_the_table(n, expected):
    # docs/ysj19.md, "Default widths", for dx = 1, dy = 1 (hard-tanh; ReLU is twice that).
    assert ysj19.default_widths(n, 1, 1, "hardtanh") == expected
    assert ysj19.default_widths(n, 1, 1, "relu") == (2 * expected[0], 2 * expected[1])


def worked_example():
    pts = [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (0, 2), (2, 1), (1, 2)]
    ys = ["1/2", "-1", "1", "0", "-1/3", "2/3", "1", "-1/2"]
    return Dataset(tuple(tuple(Fraction(v) for v in p) for p in pts), tuple((Fraction(y),) for y in ys)).validate()


def test_ysj19_worked_example():
    """docs/ysj19.md's worked example: N = 8, tight widths (4, 2); its layer-2 weights."""
    ds = worked_example()
    built = ysj19.theorem_3_1(ds, widths=[4, 2], activation="hardtanh")
    assert built.info["T"] == 3
    layer2 = built.network.layers[1]
    W2 = [[layer2.weight(i, j) for j in range(4)] for i in range(2)]
    F = Fraction
    assert W2 == [[F(5), F(-11, 3), F(5, 3), F(-5, 2)], [F(-5, 2), F(10, 3), F(-22, 9), F(20, 9)]]
    assert [F(b, den) for b, den in zip(layer2.bias, layer2.dens)] == [F(-3), F(65, 18)]
    assert built.network.sizes()["layer_bits"] == [8, 12, 2]
    relu = ysj19.theorem_3_1(ds, widths=[8, 4], activation="relu").network
    assert relu.params_dense == 65 and relu.bit_complexity == 9


def test_ysj19_refuses_class_labels_and_bad_widths():
    ds = Dataset(((Fraction(0),), (Fraction(1),)), (1, 2), "classification", 2).validate()
    with pytest.raises(DataError, match="class labels"):
        ysj19.theorem_3_1(ds)
    reg = worked_example()
    with pytest.raises(ConstructionError, match=r"= 4 < N = 8"):
        ysj19.theorem_3_1(reg, widths=[4, 4], activation="relu")   # 4*1*1 = 4 < 8
    with pytest.raises(ConstructionError, match="two positive hidden widths"):
        ysj19.theorem_3_1(reg, widths=[4], activation="relu")


def test_zhang17_knot_bits_do_not_grow_like_mid():
    """docs/zhang17.md: 'knot' weights have bit size independent of N, 'mid' grows about linearly."""
    from exactmem.data import random_dataset
    bits = {}
    for n in (10, 80):
        ds = random_dataset(n=n, d=2, seed=7)
        bits[n] = {r: zhang17.theorem_1(ds, bias_rule=r).network.bit_complexity for r in ("knot", "mid")}
    assert bits[80]["mid"] > 2 * bits[10]["mid"]
    assert bits[80]["knot"] < bits[80]["mid"]


@pytest.mark.parametrize("n,dx", [(16, 3), (36, 5), (64, 2)])
def test_edge_count_matches_the_papers_formula(n, dx):
    """YSJ19: 'our construction for ReLU requires 4N + (2dx + 6)sqrt(N) + 1 edges' at d1 = d2 = 2 sqrt(N)."""
    from exactmem.data import random_dataset
    from math import isqrt
    ds = random_dataset(n=n, d=dx, seed=n)
    s = isqrt(n)
    net = ysj19.theorem_3_1(ds, widths=[2 * s, 2 * s]).network
    assert net.params_dense == 4 * n + (2 * dx + 6) * s + 1
    assert forward(net, ds.points) == ds.targets()


def test_constructions_import_only_core_modules_and_keep_their_names():
    """The constructions never import the studies, the engine, the certificate writer, the pipeline or the
    CLI (a study may import a construction, never the reverse), and the package layout keeps
    the registry's functions and the names other modules use."""
    import ast
    from pathlib import Path

    import exactmem.constructions as pkg
    from exactmem.constructions import registry, stage_one, vys21, yy26

    forbidden = {"studies", "certificate", "pipeline", "cli", "checker", "engine", "segments"}
    for path in Path(pkg.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                assert not forbidden & set(name.split(".")), f"{path.name} imports {name}"
    reg = registry()
    assert reg["ysj19-thm3.1"].build is ysj19.theorem_3_1 and reg["ysj19-thm3.3"].build is ysj19.theorem_3_3
    assert reg["ysj19-thm4.1"].build is ysj19.theorem_4_1 and reg["yy26"].build is yy26.theorem_r1
    assert vys21.stage1_projection is stage_one.stage1_projection
    for name in ("thm31_lhs", "default_widths", "choose_blocks", "prop34_violation", "thm41_layout",
                 "THM41_BUMPS", "PIECES", "bound_claims"):
        assert hasattr(ysj19, name)


def test_labels_outside_the_unit_box_are_data_for_zhang17_but_refused_by_ysj19():
    """Regression labels may be any rationals: zhang17 memorizes them (its certificate verifies);
    Theorem 3.1 and Proposition 3.4 assume [-1, 1] (YSJ19 Assumption 3.1) and refuse, naming the
    rescaling; a label of exactly -1 or 1 is inside."""
    pts = tuple((Fraction(i), Fraction(i * i)) for i in range(6))
    big = Dataset(pts, tuple((Fraction(v),) for v in (5, -7, Fraction(1, 3), 0, 2, -1)), "regression")
    built = zhang17.theorem_1(big)
    assert forward(built.network, big.points) == list(big.targets())
    for build in (lambda ds: ysj19.theorem_3_1(ds), lambda ds: ysj19.proposition_3_4(ds, widths=[8, 8])):
        with pytest.raises(DataError, match=r"row 1 has 5\. Dividing every label by 7"):
            build(big)
    edge = Dataset(pts, tuple((Fraction(v),) for v in (1, -1, 0, 1, -1, 0)), "regression")
    assert forward(ysj19.theorem_3_1(edge).network, edge.points) == list(edge.targets())


def test_zhang17_certificate_with_large_labels_verifies(tmp_path, checker):
    pts = tuple((Fraction(i),) for i in range(5))
    ds = Dataset(pts, tuple((Fraction(v),) for v in (100, -3, Fraction(7, 2), 0, 12)), "regression")
    verify_certificate(checker, tmp_path, certify_dataset("zhang17", ds))
