"""Yang & Yang (arXiv 2603.09589, March 2026), "Memorization capacity of deep ReLU neural
networks characterized by width and depth": networks of width W and depth L with
W^2 L^2 = O(N log(1/delta)) memorize any N delta-separated points with discrete labels.

Only the paper's abstract was available.  The network is our own layout (we call the family
YY-R and its size bounds Theorem R1), explained in ``docs/yy26.md``.  It
reuses the Stage I projection it shares with VYS21 (:mod:`exactmem.constructions.stage_one`) and
the gadgets of :mod:`exactmem.gadgets`, and has two layouts:

* **Mode D** (narrow, deep): VYS21-style bit extraction with p = 1..floor((W-2)/6) parallel
  lanes; each lane register packs r points as (key, label) fields; a batched lookup finds the
  block.  Depth nb + r(F+1) + 2.
* **Mode S** (wide, shallow): a threshold layer and a ramp layer per group of s*m points, G
  groups pipelined along depth.  Depth G + 2; G = 1 is the depth-3 member.

For a target width W the planner takes the mode and configuration of least depth.  Modules:

* :mod:`.planner` -- the exact depth and width formulas and the choice of layout;
* :mod:`.layouts` -- the networks of Mode D, Mode S and the depth-2 member;
* :mod:`.theorem` -- :func:`theorem_r1`: plan, build, and the certificate's claims;
* :mod:`.lower_bound` -- the informative VC-dimension lower side.

The names below are the package's public interface (``yy26.theorem_r1``, ``yy26.plan`` ...).
"""

from ...gadgets import ramp_bias
from .layouts import build_depth2, build_mode_d, build_mode_s
from .lower_bound import LOWER_BOUND_FORMULA, LOWER_BOUND_SOURCE, depth_lower_bound, lower_bound_report, vc_upper
from .planner import Plan, ceil_sqrt, min_width, plan, plan_d, plan_s, width_for_depth
from .theorem import MAX_STATEMENT, SRC, delta_claims, log2_inv_delta_floor, ratio_claims, theorem_r1

__all__ = [
    "LOWER_BOUND_FORMULA", "LOWER_BOUND_SOURCE", "MAX_STATEMENT", "Plan", "SRC", "build_depth2",
    "build_mode_d", "build_mode_s", "ceil_sqrt", "delta_claims", "depth_lower_bound",
    "log2_inv_delta_floor", "lower_bound_report", "min_width", "plan", "plan_d", "plan_s",
    "ramp_bias", "ratio_claims", "theorem_r1", "vc_upper", "width_for_depth",
]
