"""Yun, Sra, Jadbabaie (NeurIPS 2019), "Small ReLU networks are powerful memorizers: a tight
analysis of memorization capacity".

Our constructions are the reconstruction documented in ``docs/ysj19.md`` (the paper's appendix
was not available): cells of consecutive projected points, one first-layer ramp per cell, and
second-layer units whose pre-activations are zig-zag piecewise-linear chains that hit one slot
per cell and saturate at every other data point.  One module per result, in the paper's order:

* :mod:`.h3` -- the H3 block (a ramp layer and a zig-zag layer), shared by the results below;
* :mod:`.thm31` -- Theorem 3.1 (3 layers, real labels) and Proposition 3.2 (4 layers, classes);
* :mod:`.thm33` -- Theorem 3.3 (the piece-counting lower bound) as a certified instance;
* :mod:`.prop34` -- Proposition 3.4 (deep and/or narrow: several H3 blocks with carries);
* :mod:`.groups` -- class-pure groups and their bumps, for the general-position results;
* :mod:`.cor42` -- Corollary 4.2 (2 layers, general position);
* :mod:`.thm41` -- Theorem 4.1 (ResNet, general position).

The names below are the package's public interface (``ysj19.theorem_3_1`` and so on).
"""

from .cor42 import corollary_4_2
from .groups import class_groups, margin_and_scale
from .h3 import ACTIVATIONS, h3_block, h3_core
from .prop34 import choose_blocks, prop34_violation, proposition_3_4
from .thm31 import default_widths, proposition_3_2, theorem_3_1, thm31_lhs, thm31_statement
from .thm33 import PIECES, bound_claims, line_order, theorem_3_3
from .thm41 import THM41_BUMPS, theorem_4_1, thm41_layout

__all__ = [
    "ACTIVATIONS", "PIECES", "THM41_BUMPS", "bound_claims", "choose_blocks", "class_groups",
    "corollary_4_2", "default_widths", "h3_block", "h3_core", "line_order", "margin_and_scale",
    "prop34_violation", "proposition_3_2", "proposition_3_4", "theorem_3_1", "theorem_3_3",
    "theorem_4_1", "thm31_lhs", "thm31_statement", "thm41_layout",
]
