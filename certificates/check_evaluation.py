"""Format 1.3: evaluation certificates - exactly which points a given network gets right
(docs/certificate-format.md, section 23).

A memorization certificate says that its network reproduces every label.  An evaluation
certificate says less, and something no float evaluation can: the network's exact output on
every point, and the exact set of points it gets wrong under one rule -
  equal   point i is right iff f(x_i) equals its label, every output;
  nearest classification, one network output: point i is right iff |f(x_i) - c| < 1/2 for its
          class c (the class is the nearest integer; exactly 1/2 away is a miss);
  argmax  classification, one network output per class: point i is right iff the largest
          output is attained at exactly one position o and o + 1 is its class; a tie for the
          largest output is a miss, and is listed in `ties` as well.
The checker recomputes both sets from its own forward pass and requires them equal to the
certificate's.  An evaluation certificate never states a theorem (check.py refuses one whose
construction id is in the theorem table).

Standard library, check_base and check_network only; check.py imports this file only when a
certificate has an `evaluation` field.  Must never import exactmem or check.py, and never
write, run or load anything.
"""

from check_base import count, fmt, lst, malformed, mul_cost, need, rejected, to_rat
from check_network import forward

RULES = ("equal", "nearest", "argmax")


def index_list(v, where, n):
    """Rule (section 23.1): a list of point indices, JSON integers in 0..N-1, strictly increasing."""
    out = []
    for i in lst(v, where):
        if type(i) is not int or not 0 <= i < n:
            raise malformed(f"{where}: entries are point indices 0..{n - 1}")
        if out and i <= out[-1]:
            raise malformed(f"{where}: indices must be strictly increasing")
        out.append(i)
    return out


def load_evaluation(cert, ds):
    """Section 23.1: `evaluation` is {rule, correct, misses, ties}; argmax needs classification
    data; ties (argmax only) are misses; correct = N - |misses|.  Returns the parsed object and
    the network's output width under its rule (C for argmax, dy otherwise)."""
    ev = need(cert["evaluation"], ("rule", "correct", "misses", "ties"), "evaluation")
    rule = ev["rule"]
    if rule not in RULES:
        raise malformed(f"evaluation.rule: expected one of {', '.join(RULES)}, got {str(rule)[:20]!r}")
    if rule != "equal" and ds["task"] != "classification":
        raise malformed(f"evaluation.rule: {rule} needs classification data")
    n = ds["n"]
    misses = index_list(ev["misses"], "evaluation.misses", n)
    ties = index_list(ev["ties"], "evaluation.ties", n)
    if rule != "argmax" and ties:
        raise malformed("evaluation.ties: only the argmax rule has ties")
    if not set(ties) <= set(misses):
        raise malformed("evaluation.ties: every tie is also a miss")
    correct = count(ev["correct"], "evaluation.correct")
    if correct != n - len(misses):
        raise rejected(f"evaluation.correct: says {correct}, but N - |misses| = {n - len(misses)}")
    width = ds["classes"] if rule == "argmax" else ds["dy"]
    return {"rule": rule, "correct": correct, "misses": misses, "ties": ties, "width": width}


def greater(a, b, where, budget):
    """a > b for rationals (num, den) with positive denominators, by one cross-multiplication."""
    (p, q), (r, s) = a, b
    budget.charge(mul_cost(abs(p).bit_length(), s.bit_length()) + mul_cost(abs(r).bit_length(), q.bit_length()), where)
    return p * s > r * q


def judge(rule, out, label, where, budget):
    """Section 23.2: (right, tie) for one point's exact outputs under the rule."""
    if rule == "equal":
        return out == label, False
    if rule == "nearest":                   # |p/q - c| < 1/2  iff  |2p - 2cq| < q
        (p, q), c = out[0], label[0][0]
        budget.charge(mul_cost(c.bit_length() + 1, q.bit_length()), where)
        return abs(2 * p - 2 * c * q) < q, False
    best, tie = 0, False
    for o in range(1, len(out)):
        if greater(out[o], out[best], where, budget):
            best, tie = o, False
        elif not greater(out[best], out[o], where, budget):
            tie = True
    return (not tie and best + 1 == label[0][0]), tie


def first_difference(computed, stated):
    """The first point index in one sorted list and not the other (None when they are equal)."""
    diff = sorted(set(computed) ^ set(stated))
    return diff[0] if diff else None


def check_evaluated_outputs(cert, layers, ds, evaluation, points, budget):
    """Step 8 for an evaluation certificate (section 23.2): for every point i (of the range
    ``points``, section 24), the exact f(x_i) equals outputs[i]; the points the rule calls wrong
    are exactly evaluation.misses, and the ties exactly evaluation.ties (both within the range).
    Returns the report line."""
    n, rule, width = ds["n"], evaluation["rule"], evaluation["width"]
    outputs = lst(cert["outputs"], "outputs", n)
    misses, ties = [], []
    for i in points:
        where = f"output of point {i}"
        claimed = [to_rat(v, where, budget) for v in lst(outputs[i], where, width)]
        computed = forward(layers, ds["x"][i], budget)
        for o in range(width):
            if computed[o] != claimed[o]:
                raise rejected(f"point {i} output {o}: network computes {fmt(*computed[o])}, certificate claims "
                               f"{fmt(*claimed[o])}")
        right, tie = judge(rule, computed, ds["y"][i], f"evaluation: comparing the outputs of point {i}", budget)
        if not right:
            misses.append(i)
        if tie:
            ties.append(i)
    facts = {("misses", True): "the network gets it wrong", ("misses", False): "the network gets it right",
             ("ties", True): "its largest output is tied", ("ties", False): "its largest output is not tied"}
    for name, computed, stated in (("misses", misses, evaluation["misses"]), ("ties", ties, evaluation["ties"])):
        stated = [i for i in stated if points.start <= i < points.stop]
        i = first_difference(computed, stated)
        if i is not None:
            raise rejected(f"evaluation.{name}: point {i} is {'' if i in stated else 'not '}listed, but under rule "
                           f"{rule} {facts[name, i in computed]}")
    shown = ", ".join(str(i) for i in misses[:20]) + (" ..." if len(misses) > 20 else "")
    m = len(points)
    scope = f"all {n}" if m == n else f"points {points.start}..{points.stop - 1}: {m}"
    return (f"c evaluation: rule {rule}; {scope} outputs equal the claimed outputs; {m - len(misses)} of {m} "
            f"points right, {len(misses)} wrong ({len(ties)} ties){': ' + shown if misses else ''}")
