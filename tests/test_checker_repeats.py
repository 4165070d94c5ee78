"""Repeated rows in the checker (section 17.2, the repeat test): a row equal to the one before it
reuses that row's products.  The values stay those of an independent Fraction evaluation, a row
that differs in any one weight is never taken for a repeat, and the saving is in the charges."""

import sys
from fractions import Fraction
from pathlib import Path

from hypothesis import given, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "certificates"))

from check_base import Budget, DEFAULT_LIMITS, OP, limbs  # noqa: E402
from check_network import Map, forward, repeats  # noqa: E402

weight = st.one_of(st.integers(-5, 5), st.integers(-2**200, 2**200))


def fraction_reference(entries, x):
    a = [Fraction(p, q) for p, q in x]
    for (m,) in entries:
        z = [Fraction(sum(w * v for w, v in zip(row, a)) + b) / q for row, b, q in zip(m.rows, m.bias, m.dens)]
        a = {"relu": [max(v, Fraction(0)) for v in z], "identity": z,
             "hardtanh": [max(Fraction(-1), min(Fraction(1), v)) for v in z]}[m.act]
    return [(v.numerator, v.denominator) for v in a]


@st.composite
def networks_with_repeats(draw):
    d = draw(st.integers(1, 3))
    dims = [d] + draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    entries = []
    for k, (a, b) in enumerate(zip(dims, dims[1:])):
        act = "identity" if k == len(dims) - 2 else draw(st.sampled_from(["relu", "hardtanh", "identity"]))
        rows = []
        for j in range(b):
            if j and draw(st.booleans()):
                row = list(rows[-1])
                if draw(st.booleans()):          # a near-repeat: one weight differs
                    i = draw(st.integers(0, a - 1))
                    row[i] += draw(st.sampled_from([1, -1, 1 << 150]))
                rows.append(row)
            else:
                rows.append([draw(weight) for _ in range(a)])
        dens = [draw(st.sampled_from([1, 1, 3, 1 << 70])) for _ in range(b)]
        bias = [draw(weight) for _ in range(b)]
        budget = Budget(DEFAULT_LIMITS)
        entries.append([Map(act, rows, bias, dens, a, repeats(rows, "test", budget))])
    point = st.lists(st.fractions(min_value=-9, max_value=9, max_denominator=40), min_size=d, max_size=d)
    return entries, draw(st.lists(point, min_size=1, max_size=4))


@given(networks_with_repeats())
def test_repeated_rows_give_the_fraction_reference(case):
    entries, pts = case
    for p in pts:
        x = [(v.numerator, v.denominator) for v in p]
        assert forward(entries, x, Budget(DEFAULT_LIMITS)) == fraction_reference(entries, x)


def test_repeats_are_exact_equality_of_the_whole_row():
    rows = [[1, 2, 3], [1, 2, 3], [1, 2, 4], [1, 2, 4], [0, 2, 4], [1, 2, 4]]
    assert repeats(rows, "test", Budget(DEFAULT_LIMITS)) == [False, True, False, True, False, False]


def test_the_repeat_test_charges_each_pair_until_the_first_difference():
    big = 1 << 640                      # 11 words
    rows = [[big, 5, 7], [big, 5, 7], [big, 6, 7]]
    budget = Budget(DEFAULT_LIMITS)
    repeats(rows, "test", budget)
    # row 2: three equal pairs; row 3: two pairs, stopping at 5 != 6
    assert budget.used == 2 * (OP + 3 * limbs(641)) + 2 * (OP + 3 * limbs(3)) + (OP + 3 * limbs(3))


def test_a_repeat_saves_its_products_in_the_charges():
    """Four neurons with one long row: the products of one row are charged (nnz' = 2, not 8)."""
    big = (1 << 4000) + 1
    rows = [[big, -big]] * 4
    budget = Budget(DEFAULT_LIMITS)
    m = Map("relu", rows, [0, 1, 2, 3], [1] * 4, 2, repeats(rows, "test", budget))
    assert m.repeat == [False, True, True, True] and (m.nnz, m.nnz_new) == (8, 2)
    plain = Map("relu", rows, [0, 1, 2, 3], [1] * 4, 2)
    out = Map("identity", [[1, -1, 1, -1]], [0], [1], 4)
    x = [(3, 1), (2, 1)]
    spent = []
    for entry in (m, plain):
        b = Budget(DEFAULT_LIMITS)
        assert forward([[entry], [out]], x, b) == fraction_reference([[entry], [out]], x)
        spent.append(b.used)
    assert spent[0] < spent[1]
