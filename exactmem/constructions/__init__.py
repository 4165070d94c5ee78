"""Registry of constructions: one module per paper, one public function per theorem.

A construction takes a :class:`~exactmem.data.Dataset` and options, and returns a
:class:`Built`: the exact network, the theorem's size claims as integer inequalities over
quantities the checker recomputes itself (see ``docs/certificate-format.md``), the
parameters that regenerate it, and informative (unchecked) numbers.  Constructions never
evaluate networks and never write JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DataError
from ..network import Layer, Network


@dataclass(frozen=True)
class Claim:
    id: str
    statement: str     # "LHS op RHS", integer expression over the checker's variables
    source: str        # paper and theorem the inequality comes from


@dataclass
class Built:
    network: Network
    claims: list
    params: dict                       # options as used (JSON-safe), enough to regenerate
    info: dict = field(default_factory=dict)   # informative, not checked
    dataset: object = None             # the dataset actually memorized, when not the input
                                       # (e.g. class labels re-encoded one-hot)
    segment: object = None             # (u, v): rational endpoints of the segment whose piece
                                       # count claims name pieces_on_segment (format 1.1)


def network_from_rational_layers(input_dim: int, layers) -> Network:
    return Network(input_dim, tuple(Layer.from_rationals(W, b, act) for W, b, act in layers))


# Claims every memorization theorem here rests on (Assumption 3.1 of YSJ19 and its kin).
DISTINCT = Claim("assumption-distinct", "distinct_points == 1", "dataset assumption: x_i pairwise distinct")
UNIT_LABELS = Claim("assumption-labels", "labels_in_unit_box == 1", "YSJ19 Assumption 3.1: y_i in [-1,1]^dy")


def require_unit_labels(ds, result: str) -> None:
    """YSJ19 Assumption 3.1: every regression label in [-1, 1]^dy.  Data may carry any rational
    labels; the results that assume the box refuse others here, naming the first one and the
    exact rescaling that would bring all of them inside."""
    bound = max(abs(v) for y in ds.labels for v in y)
    if bound > 1:
        i, v = next((i, v) for i, y in enumerate(ds.labels, 1) for v in y if abs(v) > 1)
        raise DataError(f"{result} assumes labels in [-1, 1] (YSJ19 Assumption 3.1); row {i} has {v}. "
                        f"Dividing every label by {bound} brings them inside exactly; zhang17 takes any labels")


# Constructions whose theorem assumes general position (YSJ19 Assumption 4.1): they accept the
# pipeline options general_position="full" and perturb=eps (exactmem/generalposition.py).
GENERAL_POSITION = frozenset({"ysj19-cor4.2", "ysj19-thm4.1"})


@dataclass(frozen=True)
class Entry:
    id: str
    paper: str
    theorem: str
    build: object
    options: str


def registry() -> dict:
    from . import vys21, ysj19, yy26, zhang17

    entries = [
        Entry("zhang17", "Zhang, Bengio, Hardt, Recht, Vinyals, ICLR 2017",
              "Theorem 1 (one hidden layer of N ReLUs)", zhang17.theorem_1,
              "--bias-rule knot|mid (default knot); any real labels, any dy"),
        Entry("ysj19-thm3.1", "Yun, Sra, Jadbabaie, NeurIPS 2019", "Theorem 3.1 (3-layer, both variants)",
              ysj19.theorem_3_1,
              "--activation relu|hardtanh (default relu); --widths d1,d2 with "
              "4*floor(d1/4)*floor(d2/(4dy)) >= N (ReLU) or 4*floor(d1/2)*floor(d2/(2dy)) >= N "
              "(hard-tanh); labels in [-1,1]^dy"),
        Entry("ysj19-prop3.2", "Yun, Sra, Jadbabaie, NeurIPS 2019", "Proposition 3.2 (4-layer classification)",
              ysj19.proposition_3_2,
              "--activation relu|hardtanh; --widths d1,d2,d3 with 4*floor(d1/4)*floor(d2/4) >= N and d3 >= 4C "
              "(ReLU) or 4*floor(d1/2)*floor(d2/2) >= N and d3 >= 2C (hard-tanh); --encoding onehot|class; "
              "class labels 1..C"),
        Entry("ysj19-prop3.4", "Yun, Sra, Jadbabaie, NeurIPS 2019", "Proposition 3.4 (deep and/or narrow)",
              ysj19.proposition_3_4,
              "--widths d1,...,d(L-1) (required); --blocks l1,...,lm (1-based, default: largest capacity); "
              "--activation hardtanh|relu (default hardtanh); labels in [-1,1]^dy"),
        Entry("ysj19-cor4.2", "Yun, Sra, Jadbabaie, NeurIPS 2019", "Corollary 4.2 (2-layer, general position)",
              ysj19.corollary_4_2,
              "--activation relu|hardtanh; --widths d1 with d1 >= 4N/dx + 4dy (ReLU) or 2N/dx + 2dy "
              "(hard-tanh); class labels 1..C (one-hot outputs); data in general position"),
        Entry("ysj19-thm4.1", "Yun, Sra, Jadbabaie, NeurIPS 2019", "Theorem 4.1 (ResNet, general position)",
              ysj19.theorem_4_1,
              "--activation relu|hardtanh (default relu); --block-widths d1,...,d(L-1) with sum >= 4N/dx + 4dy "
              "(ReLU) or 2N/dx + 2dy (hard-tanh), default one block of 4 (2) per class-pure group of <= dx points; "
              "--head-width dL >= 2dy (ReLU) or dy (hard-tanh), default that; "
              "class labels 1..C with C <= dx; data in general position"),
        Entry("ysj19-thm3.3", "Yun, Sra, Jadbabaie, NeurIPS 2019",
              "Theorem 3.3 (piece counting: the counting lemma on the alternating witness)", ysj19.theorem_3_3,
              "--depth 2|3 (default 2: zhang17 knot, ReLU; 3: the Theorem 3.1 network with --activation and "
              "--widths d1,d2); --memorizer fold with --depth 3 --activation hardtanh: the hard-tanh fold, "
              "4 d1 d2 - 2 d2 + 1 pieces, the most a 3-layer hard-tanh network has (equally spaced collinear "
              "points); collinear points (e.g. d = 1 data); labels replaced by (-1)^k along the line; "
              "claims over pieces_on_segment (format 1.1)"),
        Entry("vys21", "Vardi, Yehudai, Shamir, ICLR 2022 (arXiv 2110.03187)",
              "Theorem 3.1 (width 12, O~(sqrt N) parameters)", vys21.theorem_3_1,
              "--block-size s (default ceil(sqrt(N/log2 N))); --seed S (Stage I direction); "
              "--direction v1,...,vd; class labels 1..C"),
        Entry("vys21-depth", "Vardi, Yehudai, Shamir, ICLR 2022 (arXiv 2110.03187)",
              "bounded depth L, O~(N/L) parameters", vys21.theorem_depth,
              "--depth L (>= 2); --seed S; --direction v1,...,vd; class labels 1..C"),
        Entry("yy26", "Yang, Yang, arXiv 2603.09589 (2026)",
              "W^2 L^2 = O(N log(1/delta)) for any width W (our family YY-R, Theorem R1)", yy26.theorem_r1,
              "--width W (target, >= min(7, 2*ceil(sqrt N)-1)) and/or --depth L (budget, >= 2); "
              "--seed S; --direction v1,...,vd; class labels 1..C"),
    ]
    return {e.id: e for e in entries}
