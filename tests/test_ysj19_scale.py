"""YSJ19 constructions at a few hundred points (N up to a few hundred), at their
tight widths, each certificate verified by the independent checker.  Few examples per test: the
small-N property tests (test_constructions.py, test_ysj19_props.py) do the adversarial coordinates;
these check that nothing breaks with scale (many cells, many groups, long pushes)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import verify_certificate
from exactmem.constructions import ysj19
from exactmem.data import random_dataset
from exactmem.errors import DataError
from exactmem.pipeline import certify_dataset

SCALE = settings(max_examples=8, deadline=None)
sizes = st.tuples(st.integers(100, 300), st.integers(1, 5), st.integers(1, 5), st.integers(0, 10 ** 6))


@SCALE
@given(size=sizes, activation=st.sampled_from(["relu", "hardtanh"]))
def test_thm31_tight_at_scale(checker, tmp_path_factory, size, activation):
    n, d, dy, seed = size
    ds = random_dataset(n, d, dy=min(dy, 3), seed=seed)
    d1, d2 = ysj19.default_widths(n, d, ds.dy, activation)
    assert ysj19.thm31_lhs(d1, d2, ds.dy, activation) >= n
    cert = certify_dataset("ysj19-thm3.1", ds, {"widths": [d1, d2], "activation": activation})
    assert cert["sizes"]["widths"] == [d1, d2]
    verify_certificate(checker, tmp_path_factory.mktemp("t"), cert)


@SCALE
@given(size=sizes, activation=st.sampled_from(["relu", "hardtanh"]))
def test_prop32_tight_at_scale(checker, tmp_path_factory, size, activation):
    n, d, c, seed = size
    ds = random_dataset(n, d, classes=c + 1, seed=seed)
    k = 2 if activation == "hardtanh" else 4
    p = max(1, int(n ** 0.5) // 2)
    d1, d2, d3 = k * p, k * -(-n // (4 * p)), k * ds.classes       # 4*floor(d1/k)*floor(d2/k) >= N, tight in d2
    cert = certify_dataset("ysj19-prop3.2", ds, {"widths": [d1, d2, d3], "activation": activation})
    verify_certificate(checker, tmp_path_factory.mktemp("p"), cert)


@SCALE
@given(size=sizes)
def test_cor42_and_thm41_at_the_least_admissible_size(checker, tmp_path_factory, size):
    n, d, c, seed = size
    d, c = d + 1, min(c, d + 1)                     # Thm 4.1 needs dx >= dy
    ds = random_dataset(n, d, classes=c, seed=seed)
    d1 = -(-(4 * n + 4 * c * d) // d)
    try:
        cor = certify_dataset("ysj19-cor4.2", ds, {"widths": [d1]})
        res = certify_dataset("ysj19-thm4.1", ds, {})
    except DataError as e:                          # random grid data can break general position
        assert "general position" in str(e)
        return
    verify_certificate(checker, tmp_path_factory.mktemp("c"), cor)
    verify_certificate(checker, tmp_path_factory.mktemp("r"), res)
    assert cor["sizes"]["widths"] == [d1]
