"""YSJ19 Theorem 3.3 as a study: bounds on the exact linear pieces of a network on a segment,
the theorem's witness, and a survey of measured piece counts.

The math in our words is in ``docs/ysj19.md`` ("Theorem 3.3").  The exact counter itself
(:func:`count_pieces`) and the counting lemma's hypothesis are core
(:mod:`exactmem.segments`, which the certificate's claim variables use); this module holds

* :func:`tight_bound`, :func:`paper_bound` -- what the count can be at most for an architecture:
  the product prod_l (1 + (p_l - 1) d_l) over the hidden maps (the layer-by-layer count),
  and the paper's (p-1)d1 + 1 (2-layer) or p(p-1)d1d2 + (p-1)d2 + 1 (3-layer) pieces;
  :func:`proved_max`, the exact maximum where it is known (2 layers; 3-layer hard-tanh).
* :func:`witness` -- the theorem's dataset x_i = i e1, y_i = (-1)^i with N = P + 2, and the exact
  facts that can be checked about it (alternation, N >= P + 2, a given network misses a point).
* :func:`sawtooth`, :func:`fold`, :func:`survey` -- structured networks with many pieces (ReLU;
  hard-tanh, where the fold is a maximiser) and a seeded random-network survey of the measured
  maximum piece counts against the bounds.
* ``report_*`` -- what the command ``exactmem pieces`` prints (exactmem/cli.py parses).

A study: it evaluates networks with the exact engine and imports only core modules (and the
constructions it compares against); never the CLI, and no core module imports it.  No float.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction

from ..certificate import load_certificate, segment_from_json, write_atomic
from ..constructions import ysj19, zhang17
from ..constructions.ysj19.thm33 import PIECES
from ..data import Dataset, canonical_bytes
from ..engine import forward
from ..errors import ResourceError, UsageError
from ..estimate import Heartbeat, progress_bar
from ..gadgets import hardtanh_fold, hardtanh_fold_pieces
from ..network import Layer, Network, ResidualBlock
from ..rational import parse_literal
from ..segments import MAX_POINTS, alternation_failures, count_pieces, scalar_output


# ---------------------------------------------------------------------------------------------
# Bounds (docs/ysj19.md, "The bounds")

def architecture(network: Network) -> tuple:
    """(activations of the hidden maps, their widths) in order."""
    acts, widths = [], []
    for entry in network.layers[:-1]:
        layer = entry.inner if isinstance(entry, ResidualBlock) else entry
        acts.append(layer.activation)
        widths.append(layer.n_out)
    return tuple(acts), tuple(widths)


def tight_bound(activations, widths) -> int:
    """prod over hidden maps of (1 + (p_l - 1) d_l): on any segment, layer l adds at most
    (p_l - 1) crossings per neuron on each of the pieces before it.  2-layer: (p-1)d1 + 1;
    3-layer: ((p-1)d1 + 1)((p-1)d2 + 1), i.e. (d1+1)(d2+1) for ReLU."""
    if isinstance(activations, str):
        activations = [activations] * len(widths)
    bound = 1
    for act, w in zip(activations, widths):
        bound *= 1 + (PIECES[act] - 1) * w
    return bound


def paper_bound(p: int, widths) -> int | None:
    """YSJ19 Theorem 3.3 in pieces P (the theorem's "+2 < N" is P + 1 < N): (p-1)d1 + 1 for
    2 layers, p(p-1)d1d2 + (p-1)d2 + 1 for 3 layers; None for other depths."""
    if len(widths) == 1:
        return (p - 1) * widths[0] + 1
    if len(widths) == 2:
        d1, d2 = widths
        return p * (p - 1) * d1 * d2 + (p - 1) * d2 + 1
    return None


def proved_max(activation: str, widths) -> int | None:
    """The most pieces any plain network of this architecture has on a segment, where we know
    it: (p-1)d1 + 1 for 2 layers (reached by distinct breakpoints inside the segment), and
    4 d1 d2 - 2 d2 + 1 for 3-layer hard-tanh (reached by the fold, proved in
    :func:`exactmem.gadgets.hardtanh_fold`); None otherwise (3-layer ReLU: open)."""
    widths = tuple(widths)
    if len(widths) == 1:
        return (PIECES[activation] - 1) * widths[0] + 1
    if len(widths) == 2 and activation == "hardtanh":
        return hardtanh_fold_pieces(*widths)
    return None


def bounds(network: Network) -> dict:
    """Both bounds for this network's architecture (paper's: plain 2- or 3-layer, one activation)."""
    acts, widths = architecture(network)
    plain = not any(isinstance(e, ResidualBlock) for e in network.layers)
    p = PIECES[acts[0]] if acts and len(set(acts)) == 1 else None
    return {"activations": acts, "widths": widths, "p": p, "tight": tight_bound(acts, widths),
            "paper": paper_bound(p, widths) if plain and p and p > 1 else None}


# ---------------------------------------------------------------------------------------------
# The counting lemma and the witness (docs/ysj19.md, "The witness and the counting lemma")

LEMMA = ("Counting lemma: if f is continuous and piecewise linear on [t_1, t_N], t_1 < ... < t_N, "
         "f(t_i) = y_i and consecutive differences strictly alternate in sign, "
         "(y_(i+1) - y_i)(y_(i+2) - y_(i+1)) < 0, then f has at least N - 1 affine pieces there "
         "(each [t_i, t_(i+1)] holds a piece whose slope has the sign of y_(i+1) - y_i; "
         "consecutive ones have opposite signs, so they are different pieces).")


@dataclass
class Witness:
    activation: str
    widths: tuple
    p: int
    P: int                       # pieces allowed by the bound used (paper's or tight)
    bound: str                   # "paper" or "tight"
    dataset: Dataset
    facts: dict = field(default_factory=dict)

    @property
    def N(self) -> int:
        return self.dataset.n

    @property
    def segment(self) -> tuple:
        return self.dataset.points[0], self.dataset.points[-1]


def witness(widths, activation: str = "relu", dx: int = 1, bound: str = "paper") -> Witness:
    """Theorem 3.3's dataset for a 2- or 3-layer architecture: x_i = i e1 in Q^dx, y_i = (-1)^i,
    i = 1..N with N = P + 2 (P the paper's piece bound, or the tight count with bound="tight"),
    and the facts checked exactly: the x_i are collinear and in order on the segment [x_1, x_N],
    the labels alternate (N - 2 sign checks), N >= P + 2 and the labels lie in [-1, 1]."""
    widths = tuple(int(w) for w in widths)
    if activation not in ("relu", "hardtanh"):
        raise UsageError(f"--activation: relu or hardtanh, got {activation!r}")
    if len(widths) not in (1, 2) or any(w < 1 for w in widths):
        raise UsageError(f"--widths: one or two positive widths d1[,d2] (2- or 3-layer), got {list(widths)}")
    if dx < 1:
        raise UsageError(f"--dx: the input dimension must be >= 1, got {dx}")
    p = PIECES[activation]
    P = paper_bound(p, widths) if bound == "paper" else tight_bound(activation, widths)
    N = P + 2
    if N > 10 ** 6:
        raise ResourceError(f"the witness would have N = {N} points (more than 10^6)")
    points = tuple(tuple(Fraction(i if k == 0 else 0) for k in range(dx)) for i in range(1, N + 1))
    labels = tuple((Fraction((-1) ** i),) for i in range(1, N + 1))
    ds = Dataset(points, labels, "regression", source=f"witness:{activation},{','.join(map(str, widths))}")
    ys = [y[0] for y in labels]
    facts = {
        "collinear_in_order": all(x[0] == i + 1 and not any(x[1:]) for i, x in enumerate(points)),
        "alternation_checks": N - 2,
        "alternation_failures": alternation_failures(ys),
        "labels_in_unit_box": all(-1 <= y <= 1 for y in ys),
        "N_ge_P_plus_2": N >= P + 2,
        "lemma_needs": N - 1,
    }
    return Witness(activation, widths, p, P, bound, ds, facts)


def misses(network: Network, ds: Dataset):
    """(index, output, label) of the first point the network does not fit, by exact evaluation
    (:func:`exactmem.engine.forward`); None if it fits every point."""
    for i, (out, y) in enumerate(zip(forward(network, ds.points), ds.targets())):
        if out != y:
            return i, out, y
    return None


# ---------------------------------------------------------------------------------------------
# Networks for the survey (docs/ysj19.md, "Measured")

def sawtooth(d1: int, d2: int) -> tuple:
    """(network, segment) of the sawtooth, ReLU, dx = 1: layer 1 ReLU(x - i), i = 0..d1-1; layer 2
    unit j = 1..d2 is ReLU(zigzag - j/(d2+1)) with zigzag = ReLU(x) + sum_i 2(-1)^i ReLU(x - i);
    output sum_j j * unit j; segment [-1/2, d1].  d1*d2 + floor(d1/2) + 1 pieces: d2
    threshold crossings on each of the d1 monotone stretches of the zigzag, and a turn at each of
    its floor(d1/2) interior tops."""
    zig = [Fraction(1)] + [Fraction(2 * (-1) ** i) for i in range(1, d1)]
    layers = (
        Layer.from_rationals([[1]] * d1, [-i for i in range(d1)], "relu"),
        Layer.from_rationals([zig] * d2, [Fraction(-j, d2 + 1) for j in range(1, d2 + 1)], "relu"),
        Layer.from_rationals([[j for j in range(1, d2 + 1)]], [0], "identity"),
    )
    return Network(1, layers), ((Fraction(-1, 2),), (Fraction(d1),))


def fold(d1: int, d2: int) -> tuple:
    """(network, segment) of the hard-tanh fold (:func:`exactmem.gadgets.hardtanh_fold`), dx = 1,
    segment [0, (2 d1 - 1)(2 d2 - 1)]: exactly 4 d1 d2 - 2 d2 + 1 pieces, the most a 3-layer
    hard-tanh network of widths (d1, d2) can have on any segment."""
    layers, T = hardtanh_fold(d1, d2)
    return Network(1, tuple(Layer.from_rationals(*lay) for lay in layers)), ((Fraction(0),), (Fraction(T),))


def random_network(rng: random.Random, sizes, activation: str, scale: int = 8) -> Network:
    """Weights and biases a/b with a uniform in [-scale, scale] and b in 1..4."""
    layers = []
    for k in range(len(sizes) - 1):
        W = [[Fraction(rng.randint(-scale, scale), rng.randint(1, 4)) for _ in range(sizes[k])]
             for _ in range(sizes[k + 1])]
        b = [Fraction(rng.randint(-scale, scale), rng.randint(1, 4)) for _ in range(sizes[k + 1])]
        layers.append(Layer.from_rationals(W, b, activation if k < len(sizes) - 2 else "identity"))
    return Network(sizes[0], tuple(layers))


def spread_network(rng: random.Random, widths, activation: str) -> tuple:
    """A random dx = 1 network whose layer-1 breakpoints all lie inside the segment [0, 1]:
    unit i is act(s_i (x - c_i) / r) with c_i in (0, 1), so every layer-1 kink is on the segment;
    later layers as :func:`random_network`.  Returns (network, segment)."""
    d1 = widths[0]
    W1, b1 = [], []
    for _ in range(d1):
        c = Fraction(rng.randint(1, 63), 64)
        s = Fraction(rng.choice((-1, 1)) * rng.randint(1, 4)) * (4 if activation == "hardtanh" else 1)
        W1.append([s])
        b1.append(-s * c)
    layers = [Layer.from_rationals(W1, b1, activation)]
    sizes = list(widths) + [1]
    for k in range(1, len(sizes)):
        W = [[Fraction(rng.randint(-8, 8), rng.randint(1, 4)) for _ in range(sizes[k - 1])] for _ in range(sizes[k])]
        b = [Fraction(rng.randint(-8, 8), rng.randint(1, 4)) for _ in range(sizes[k])]
        layers.append(Layer.from_rationals(W, b, activation if k < len(sizes) - 1 else "identity"))
    return Network(1, tuple(layers)), ((Fraction(0),), (Fraction(1),))


SURVEY_CONFIGS = {
    "relu": [(1,), (2,), (3,), (5,), (8,), (2, 2), (4, 4), (6, 3), (8, 8), (10, 5)],
    "hardtanh": [(1,), (2,), (3,), (5,), (8,), (2, 2), (4, 4), (6, 3)],
}


def survey(trials: int = 20, seed: int = 0, configs=None, log=None) -> list:
    """Measured maximum pieces per architecture: ``trials`` random networks (integer or
    small-fraction weights, dx in {1, 2, 3}, integer segment endpoints in [-40, 40]) and as many
    "spread" networks (layer-1 kinks inside the segment), and the structured network of a
    3-layer row (the sawtooth for ReLU, the fold for hard-tanh); next to the proved maximum
    (where known), the layer-by-layer count and the paper's bound.  Deterministic for a given seed."""
    configs = configs or SURVEY_CONFIGS
    rows = []
    for activation in ("relu", "hardtanh"):
        for widths in configs.get(activation, []):
            rng = random.Random(f"exactmem-pieces:{seed}:{activation}:{widths}")
            best_random = best_spread = 0
            for _ in range(trials):
                dx = rng.choice((1, 2, 3))
                net = random_network(rng, [dx, *widths, 1], activation)
                u = tuple(Fraction(rng.randint(-40, 40)) for _ in range(dx))
                v = tuple(Fraction(rng.randint(-40, 40)) for _ in range(dx))
                if u != v:
                    best_random = max(best_random, count_pieces(net, u, v).pieces)
                net, (u, v) = spread_network(rng, widths, activation)
                best_spread = max(best_spread, count_pieces(net, u, v).pieces)
            saw = None
            if len(widths) == 2:
                net, (u, v) = (sawtooth if activation == "relu" else fold)(*widths)
                saw = count_pieces(net, u, v).pieces
            p = PIECES[activation]
            row = {"activation": activation, "widths": list(widths), "trials": trials,
                   "random_max": best_random, "spread_max": best_spread, "structured": saw,
                   "max": proved_max(activation, widths), "tight": tight_bound(activation, widths),
                   "paper": paper_bound(p, widths)}
            rows.append(row)
            if log:
                log(row)
    return rows


def ratio_text(num: int, den: int, digits: int = 2) -> str:
    """num/den as a decimal rounded half up to ``digits`` places, by integer arithmetic."""
    scaled = (2 * num * 10 ** digits + den) // (2 * den)
    return f"{scaled // 10 ** digits}.{scaled % 10 ** digits:0{digits}d}"


def best_found(row) -> int:
    """The largest count of a survey row: random, spread or structured."""
    return max(row["random_max"], row["spread_max"], row["structured"] or 0)


def format_survey(rows) -> str:
    """Markdown table: the measured maxima, the proved maximum, both bounds, and the best found
    against each."""
    lines = ["| activation | widths | random nets | spread nets | structured | best | proved max | "
             "layer-by-layer count | paper's bound | best / count | best / paper | paper / count |",
             "|" + "---|" * 12]
    for r in rows:
        saw = "-" if r["structured"] is None else r["structured"]
        best = best_found(r)
        lines.append(f"| {r['activation']} | ({', '.join(map(str, r['widths']))}) | {r['random_max']} | "
                     f"{r['spread_max']} | {saw} | {best} | {'?' if r['max'] is None else r['max']} | "
                     f"{r['tight']} | {r['paper']} | "
                     f"{ratio_text(best, r['tight'])} | {ratio_text(best, r['paper'])} | "
                     f"{ratio_text(r['paper'], r['tight'])} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The command `exactmem pieces` (exactmem/cli.py parses, these print)

def _vec(x) -> str:
    return "(" + ", ".join(str(v) for v in x) + ")"


def parse_point(text: str, flag: str) -> tuple:
    try:
        return tuple(parse_literal(t) for t in text.split(","))
    except (ValueError, ZeroDivisionError) as e:
        raise UsageError(f"{flag}: expected comma-separated exact numbers like 0,1/2,-3 ({e})") from None


def _bound_lines(network: Network) -> tuple:
    """(bounds, the line describing the architecture)."""
    b = bounds(network)
    acts, widths = b["activations"], b["widths"]
    return b, [f"architecture: depth {network.depth}, hidden widths {list(widths)}, activations "
               f"{', '.join(sorted(set(acts))) or 'none'}" + (f" (p = {b['p']})" if b["p"] else "")]


def best_effort(wit: Witness):
    """(name, network) of exactly the witness's architecture that fits as many of the first witness
    points as our constructions can: zhang17 knot on the first d1 points (2-layer ReLU), the
    Theorem 3.1 network on the first 4 floor(d1/k) floor(d2/k) points (3-layer); None otherwise."""
    ds = wit.dataset
    if len(wit.widths) == 1:
        if wit.activation != "relu":
            return None
        m = wit.widths[0]
        net = zhang17.theorem_1(Dataset(ds.points[:m], ds.labels[:m], "regression")).network
        return f"zhang17 knot on x_1..x_{m} ({m} ReLUs)", net
    m = min(ysj19.thm31_lhs(*wit.widths, 1, wit.activation), ds.n)
    if m < 1:
        return None
    net = ysj19.theorem_3_1(Dataset(ds.points[:m], ds.labels[:m], "regression"), widths=list(wit.widths),
                            activation=wit.activation).network
    return f"ysj19-thm3.1 on x_1..x_{m} (widths {list(wit.widths)})", net


def report_certificate(path, start=None, end=None, output: int = 1, out=print, max_points: int = MAX_POINTS,
                       progress: bool = False) -> int:
    """`exactmem pieces CERT`: the count on a segment next to both bounds; exit 1 if a bound fails.
    ``progress``: a heartbeat on stderr while the count runs."""
    cert, ds, net = load_certificate(path)
    net = scalar_output(net, output - 1)
    if (start is None) != (end is None):
        raise UsageError("give both --from and --to (or neither)")
    segment = segment_from_json(cert, path) if start is None else None
    if start is not None:
        u, v, where = start, end, "--from/--to"
    elif segment is not None:
        u, v = segment
        where = "the certificate's segment"
    else:
        u, v = min(ds.points), max(ds.points)
        where = "default: the lexicographically first to the last data point"
        if u == v:
            raise UsageError("the certificate has one data point: give --from and --to")
    with Heartbeat("counting pieces on the segment", progress):
        res = count_pieces(net, u, v, max_points)
    b, lines = _bound_lines(net)
    for line in lines:
        out(line)
    out(f"segment: from {_vec(u)} to {_vec(v)} ({where}); output {output}")
    out(f"pieces on the segment: {res.pieces} ({len(res.kinks)} kinks among {res.candidates} candidate "
        "breakpoints, exact)")
    shown = ", ".join(str(t) for t in res.kinks[:8]) + (", ..." if len(res.kinks) > 8 else "")
    if res.kinks:
        out(f"kinks at tau = {shown}")
    ok = res.pieces <= b["tight"]
    out(f"layer-by-layer count prod(1 + (p_l - 1) d_l) = {b['tight']}: "
        f"{'respected' if ok else 'EXCEEDED'} ({res.pieces} <= {b['tight']})")
    if b["paper"] is not None:
        form = "(p-1)d1 + 1" if len(b["widths"]) == 1 else "p(p-1)d1d2 + (p-1)d2 + 1"
        ok_paper = res.pieces <= b["paper"]
        ok = ok and ok_paper
        out(f"YSJ19 Thm 3.3 bound {form} = {b['paper']} pieces: {'respected' if ok_paper else 'EXCEEDED'}; "
            f"the theorem's '+2 < N' is P + 1 < N: this architecture cannot fit some dataset of "
            f"N = {b['paper'] + 2} points")
    else:
        out("YSJ19 Thm 3.3 bound: not stated for this architecture (only plain 2- and 3-layer networks "
            "with one activation)")
    return 0 if ok else 1


def report_witness(widths=None, activation="relu", dx=1, bound="paper", nets=5, seed=0, net_path=None,
                   output: int = 1, data_out=None, out=print, progress: bool = False) -> int:
    """`exactmem pieces --witness`: the dataset, the exact facts, the lemma, and networks that miss.
    ``progress``: a heartbeat on stderr while the networks are evaluated (each prints its line
    when done)."""
    given = None
    if net_path is not None:
        _, _, given = load_certificate(net_path)
        given = scalar_output(given, output - 1)
        acts, w = architecture(given)
        if any(isinstance(e, ResidualBlock) for e in given.layers) or len(w) not in (1, 2) or len(set(acts)) != 1 \
                or acts[0] not in ("relu", "hardtanh"):
            raise UsageError(f"{net_path}: --net needs a plain 2- or 3-layer relu or hardtanh network")
        if widths is not None and tuple(widths) != w:
            raise UsageError(f"--widths {list(widths)} differ from the network's {list(w)} (leave --widths out)")
        widths, activation, dx = w, acts[0], given.input_dim
    if widths is None:
        raise UsageError("--witness needs --widths d1[,d2] (or --net CERT)")
    wit = witness(widths, activation, dx, bound)
    P, N, p, f = wit.P, wit.N, wit.p, wit.facts
    layers = "2-layer" if len(wit.widths) == 1 else "3-layer"
    form = "(p-1)d1 + 1" if len(wit.widths) == 1 else "p(p-1)d1d2 + (p-1)d2 + 1"
    if bound == "tight":
        form = "((p-1)d1 + 1)((p-1)d2 + 1)" if len(wit.widths) == 2 else form
    names = ", ".join(f"d{k} = {w}" for k, w in enumerate(wit.widths, 1))
    out(f"YSJ19 Theorem 3.3 witness: {layers} {activation} networks (p = {p}), {names}, input dimension {dx}")
    out(f"  bound ({'paper' if bound == 'paper' else 'layer-by-layer count'}): P = {form} = {P} affine pieces "
        f"on any segment; the theorem's '+2 < N' is P + 1 < N")
    out(f"  dataset: N = P + 2 = {N} points x_i = i*e1 in Q^{dx}, y_i = (-1)^i, i = 1..{N}; "
        f"segment [x_1, x_N] = [{_vec(wit.segment[0])}, {_vec(wit.segment[1])}]")
    alt = "all strict" if not f["alternation_failures"] else f"FAIL at {f['alternation_failures'][:5]}"
    out("  checked exactly: points collinear and in order on the segment: "
        f"{'yes' if f['collinear_in_order'] else 'NO'}; labels alternate: {f['alternation_checks']} sign checks "
        f"(y_(i+1) - y_i)(y_(i+2) - y_(i+1)) < 0, {alt}; labels in [-1, 1]: "
        f"{'yes' if f['labels_in_unit_box'] else 'NO'}; N >= P + 2: {N} >= {P + 2} "
        f"{'yes' if f['N_ge_P_plus_2'] else 'NO'}")
    out(f"  {LEMMA}")
    out(f"  hence: a function fitting the N points has >= N - 1 = {N - 1} pieces on [x_1, x_N], every {layers} "
        f"{activation} network with {names} has <= P = {P} < N - 1, so none fits. That is the lemma with "
        "the bound; no finite computation checks 'for all weights'. What is checked here is the data's "
        "facts above and, for given networks, a missed point by exact evaluation:")
    ok = not f["alternation_failures"] and f["collinear_in_order"] and f["N_ge_P_plus_2"]
    rng = random.Random(f"exactmem-pieces-witness:{seed}")
    with Heartbeat("evaluating networks on the witness", progress):
        ok = _witness_networks(wit, rng, nets, given, net_path, ok, out)
    if data_out is not None:
        write_atomic(data_out, canonical_bytes(wit.dataset.body()) + b"\n")
        out(f"  witness dataset written to {data_out} (use it with --data)")
    return 0 if ok else 1


def _witness_networks(wit: Witness, rng: random.Random, nets: int, given, net_path, ok: bool, out) -> bool:
    """The networks tried on the witness, one line each as it is evaluated: the given one, our
    best effort of the same architecture, then ``nets`` random ones.  Returns ``ok`` updated."""
    P, dx, activation = wit.P, wit.dataset.d, wit.activation
    sizes = [dx, *wit.widths, 1]
    tried = [("random network " + str(k + 1), random_network(rng, sizes, activation)) for k in range(nets)]
    best = best_effort(wit)
    if best is not None:
        tried.insert(0, best)
    if given is not None:
        tried.insert(0, (str(net_path), given))
    for name, net in tried:
        miss = misses(net, wit.dataset)
        pc = count_pieces(net, *wit.segment).pieces
        if miss is None:
            ok = False
            out(f"  {name}: fits every point (IMPOSSIBLE if the bound holds); pieces {pc}")
        else:
            i, o, y = miss
            out(f"  {name}: misses point {i + 1}: f(x_{i + 1}) = {o[0]} != y_{i + 1} = {y[0]}; "
                f"pieces on [x_1, x_N]: {pc} <= P = {P}")
        ok = ok and pc <= P
    return ok


def report_survey(trials: int = 20, seed: int = 0, out=print, progress: bool = False) -> int:
    """`exactmem pieces --survey`: the survey's table; exit 1 if a count exceeds its bound.
    ``progress``: a bar over the table's rows on stderr."""
    if trials < 1:
        raise UsageError(f"--trials must be >= 1, got {trials}")
    total = sum(len(v) for v in SURVEY_CONFIGS.values())
    bar = progress_bar(total, "survey rows", progress, unit="row")
    try:
        with Heartbeat("piece survey", progress, bar=bar):
            rows = survey(trials, seed, log=None if bar is None else (lambda row: bar.update(1)))
    finally:
        if bar is not None:
            bar.close()
    out(f"Measured maximum pieces on a segment (exact counter; {trials} random and {trials} spread networks "
        f"per row, seed {seed}; structured: the ReLU sawtooth, the hard-tanh fold) against the proved maximum "
        "(? where open), the layer-by-layer count prod(1 + (p-1)d_l) and YSJ19 Thm 3.3's bound.")
    out(format_survey(rows))
    bad = [r for r in rows if best_found(r) > (r["tight"] if r["max"] is None else r["max"])]
    out("No network exceeded the proved maximum or the layer-by-layer count." if not bad
        else f"EXCEEDED in {len(bad)} rows")
    return 1 if bad else 0
