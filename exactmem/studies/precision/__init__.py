"""Precision study: the fewest bits a memorizing network really needs, measured and made checkable.

For a certificate's network F and its dataset, with a recorded *decision rule*

* class labels: F(x) rounds to the right integer, |F(x) - c| < 1/2 (a tie at 1/2 is wrong);
* regression labels: max_o |F_o(x) - y_o| <= tol (default 1/1000 of the label range),

this module measures

1. the exact bit complexity (from the network itself);
2. fixed-point weights: the least k such that rounding every weight and bias to the nearest
   multiple of 2^-k (ties to even) and evaluating *exactly* still meets the rule at every point;
3. floating weights: the least p such that rounding every parameter to p significant bits
   (unbounded exponent, round to nearest even) still does;
4. arithmetic precision: the least p such that the whole forward pass in p-bit binary floating
   point (MPFR through gmpy2, round to nearest even, unbounded exponent) still does;
5. IEEE float64, float32, float16 (numpy) and bfloat16 (float32 rounded to 8 significant bits
   after every operation): misclassified count and worst error;
6. a *proven* sufficient k* (and p*) from the exact run's margins: an interval bound on how far
   every pre-activation can move (docs/precision.md derives it), evaluated in integers with
   upward rounding.

Searches bracket by doubling, bisect, then evaluate the answer's neighbours and a window below
it and report every non-monotone pair they saw; the answer n always has n passing and n - 1
failing (or n at the bottom of the domain).  Claims are made checkable: "n suffices" as a normal
certificate of the rounded network whose claims state the grid (or significand) and the decoder
over variables check.py recomputes from the weights (format 1.2), and "n - 1 fails" as a
witness file (``check.py --witness W --against SOURCE``, bound to the source certificate).

Floats appear only in the deliberate low-precision evaluations (``mpfr_forward``,
``ieee_forward``); everything else, the bound included, is exact integer arithmetic.

The package, by concern:

* :mod:`.rounding`  -- the decision rule and exact rounding of weights and biases;
* :mod:`.search`    -- the least-bits search and its per-setting tester;
* :mod:`.ieee`      -- the MPFR and IEEE floating-point forward passes (the only floats);
* :mod:`.interval`  -- the exact run, its margins and the proven interval bound;
* :mod:`.artifacts` -- the suffice certificates and fail witnesses it writes;
* :mod:`.report`    -- :func:`analyze` and :func:`format_table`.

It is a study: it imports core modules (certificates are read by
:func:`exactmem.certificate.load_certificate` and checked by :func:`exactmem.checker.run_checker`)
and never the CLI; no core module imports it.

Operation order of the floating-point forward passes (MPFR and IEEE alike): inputs and
parameters are first rounded to the format; for every neuron, s = fl(w_1 x_1), then
s = fl(s + fl(w_i x_i)) for i = 2..n from left to right, then s = fl(s + b) (bias last); the
activation (max with 0, clip to [-1, 1]) is exact; a residual block adds fl(h + o) entrywise.
MPFR skips zero weights (adding fl(0 * x) = 0 is exact there); the IEEE pass is dense, so an
overflowed activation times a zero weight gives NaN as real hardware would.
"""

from __future__ import annotations

from ...certificate import load_certificate, network_from_json
from .artifacts import WITNESS_FORMAT, WITNESS_VERSION, fail_witness, precision_claims, suffice_certificate, with_decoder
from .ieee import IEEE, ieee_forward, ieee_parts, ieee_summary, ieee_value, mpfr_forward
from .interval import GIVE_UP, GUARD, Tables, Trace, bound_passes, exact_trace
from .report import DEFAULT_FORMATS, REPORT_FORMAT, analyze, format_table
from .rounding import (Decision, decision_for, default_tol, fixed_parts, round_fixed, round_half_even, round_layer,
                       round_network, round_sig, rounding_json, sig_parts)
from .search import HARD_CAP, SAMPLE, Search, Tester, least_passing

__all__ = [
    "analyze", "format_table", "DEFAULT_FORMATS", "REPORT_FORMAT",
    "load_certificate", "network_from_json",
    "Decision", "decision_for", "default_tol", "fixed_parts", "round_fixed", "round_half_even", "round_layer",
    "round_network", "round_sig", "rounding_json", "sig_parts",
    "HARD_CAP", "SAMPLE", "Search", "Tester", "least_passing",
    "IEEE", "ieee_forward", "ieee_parts", "ieee_summary", "ieee_value", "mpfr_forward",
    "GIVE_UP", "GUARD", "Tables", "Trace", "bound_passes", "exact_trace",
    "WITNESS_FORMAT", "WITNESS_VERSION", "fail_witness", "precision_claims", "suffice_certificate", "with_decoder",
]
