"""The canonical-neuron test (format section 17.2): for a den of more than 64 bits the checker
starts from gcd(den, bias + sum_i i w_i) instead of den.  Its answer is gcd(den, bias, weights)
whatever the numbers (the standard library's many-argument gcd is the oracle), so a neuron is
taken for canonical exactly when it is."""

import math
import sys
from pathlib import Path

from hypothesis import given, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "certificates"))

from check_base import Budget, DEFAULT_LIMITS  # noqa: E402
from check_network import canonical_gcd  # noqa: E402

factor = st.sampled_from([1, 2, 3, 6, 2**61 - 1, 3**40, (2**89 - 1) * 5])
num = st.integers(-2**100, 2**100)


@given(factor, st.integers(1, 2**140), num, st.lists(num, min_size=1, max_size=6))
def test_canonical_gcd_is_the_gcd_of_den_bias_and_weights(f, den, bias, row):
    """Numbers sharing a factor f (or not), dens on both sides of 64 bits."""
    den, bias, row = den * f, bias * f, [w * f for w in row]
    assert canonical_gcd(den, bias, row, "test", Budget(DEFAULT_LIMITS)) == math.gcd(den, bias, *row)


@given(st.integers(65, 400), st.lists(num, min_size=1, max_size=6))
def test_a_shared_factor_is_never_missed(bits, row):
    """den = 2^bits * 3: weights and bias all even: the answer is even, never 1."""
    den = (1 << bits) * 3
    row = [2 * w for w in row]
    g = canonical_gcd(den, 2 * 7, row, "test", Budget(DEFAULT_LIMITS))
    assert g == math.gcd(den, 14, *row) and g % 2 == 0
