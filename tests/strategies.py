"""Hypothesis strategies for exact datasets: big numerators and denominators, negative values,
points far outside the unit ball, labels exactly -1, 0, 1 among them."""

from fractions import Fraction

from hypothesis import strategies as st

from exactmem.data import Dataset

coordinate = st.one_of(
    st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**9),
    st.integers(-3, 3).map(Fraction),                       # heavy repetition along axes
    st.builds(Fraction, st.integers(-2**80, 2**80), st.integers(1, 2**70)),
)
unit_label = st.one_of(st.sampled_from([Fraction(-1), Fraction(0), Fraction(1)]),
                       st.fractions(min_value=-1, max_value=1, max_denominator=10**6))


@st.composite
def regression_datasets(draw, max_n=24, max_d=4, max_dy=3):
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    dy = draw(st.integers(1, max_dy))
    points = draw(st.lists(st.tuples(*[coordinate] * d), min_size=n, max_size=n, unique=True))
    labels = draw(st.lists(st.tuples(*[unit_label] * dy), min_size=n, max_size=n))
    return Dataset(tuple(points), tuple(labels), "regression").validate()


@st.composite
def class_datasets(draw, max_n=24, max_d=4, max_classes=6):
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    c = draw(st.integers(1, max_classes))
    points = draw(st.lists(st.tuples(*[coordinate] * d), min_size=n, max_size=n, unique=True))
    labels = draw(st.lists(st.integers(1, c), min_size=n, max_size=n))
    return Dataset(tuple(points), tuple(labels), "classification", c).validate()
