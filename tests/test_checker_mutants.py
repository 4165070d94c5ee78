"""Systematic structural mutants of every golden certificate, judged by the independent evaluator.

Families (each applied to every golden; all hashes recomputed, so the checker has to find the
change itself; each mutant (every third in CI) is also checked with its hashes left stale):

  neurons swapped          two neurons of one affine map trade places (row, bias, den)
  neurons permuted         the same, together with the next map's two columns: the network
                           computes the same function, so the checker must ACCEPT it
  weight rows swapped      two rows trade places, biases and denominators stay
  columns swapped          two input columns of one map trade places
  point dropped            point i removed with its label and output, N and claims recomputed
  point duplicated         point i appended again, N and claims recomputed
  claim value changed      recorded lhs or rhs + 1
  claim comparison changed the comparison replaced by each other one, recorded values kept
  claim tightened          " + 1" appended to the right-hand side, rhs recomputed
                           (these three on the golden re-sealed under the construction id
                           "test-unbound", outside the checker's theorem table, so that they
                           test how claims are evaluated; on the real id see the next two)
  theorem: comparison      the same statement changes on the golden's real construction id:
  theorem: tightened       the theorem table (format 1.2) must reject them, naming the claim,
                           except where the changed statement is another documented form of
                           the same claim (ALTERNATIVE_FORMS); then evaluation decides
  label changed            a label changed (regression: + 1; classification: next class)
  label and output changed a label and the claimed output changed together
  output changed           a claimed output + 1/3
  label outside 1..C       a class label set to 0 or C + 1 (and its output with it)
  coordinate +-1           a data coordinate's numerator +-1

Every verdict is compared with the evaluator of tests/test_checker_tamper.py (Fractions,
written from docs/certificate-format.md): a rejected mutant must be false, an accepted one
true, and a rejection must name what the evaluator finds false first (the first size field that
differs, the first point whose output differs, the first claim that fails, or the claim the
theorem table refuses); exit 1 is the only rejection a well-formed mutant may get.  The tally
is printed at the end of the run (tests/mutation_report.py); CI samples each family,
EXACTMEM_TAMPER_ALL=1 tries every pair, point, claim and coordinate.
"""

import ast
import json
import math
import os
import random
import re
from fractions import Fraction

import pytest

import mutation_report as report
from test_checker_tamper import (GOLDEN_IDS, GOLDENS, SIZES, affine_maps, canonical, check, claim_env,  # noqa: F401
                                 compare, data, dec_int, dec_rat, dump, enc_int, enc_rat, evaluated,
                                 forward_from, goldens, label_outside, network, rehash, side, sizes,
                                 truly_valid)

ALL = bool(os.environ.get("EXACTMEM_TAMPER_ALL"))
STALE = "any mutant above, hashes left stale"

REASON = {
    "neurons permuted": "hidden neurons permuted together with the next map's columns: same function",
    "neurons swapped": "the two neurons compute the same values on the data, or nothing reads them",
    "weight rows swapped": "the rows agree where it matters on the data",
    "columns swapped": "the two inputs are equal on every data point, or the columns agree",
    "point dropped": "claims recomputed for N - 1 still hold; the network memorizes the other points",
    "point duplicated": "no claim needs distinct points and the claims for N + 1 still hold",
    "claim comparison changed": "the new comparison also holds for the recorded values (e.g. <= on a tight claim)",
    "claim tightened": "the inequality had slack",
    "coordinate +-1": "the point moved without changing any output",
    "theorem: comparison changed": "the claim's other form in the theorem table, and it holds",
    "theorem: tightened": "the claim's other form in the theorem table, and it holds",
}


def sample(items, k, seed):
    """Deterministic sample of k items (all of them under EXACTMEM_TAMPER_ALL=1)."""
    items = list(items)
    if ALL or len(items) <= k:
        return items
    return random.Random(seed).sample(items, k)


def budget(name, small, large):
    """How many mutants of a family per golden in CI: fewer on the goldens that take the
    checker and the evaluator longest (N * params_dense above 20,000; a deep vys21 network
    costs ~100 ms per check)."""
    cert = json.loads(GOLDENS[GOLDEN_IDS.index(name)].read_bytes())
    work = cert["dataset"]["n"] * cert["sizes"]["params_dense"]
    return small if work <= 20_000 else (small + large) // 2 if work <= 100_000 else large


# ---------------------------------------------------------------------------------------------
# The evaluator's verdict, reusing the golden's per-point layer inputs

def truth(cert, base, start=None):
    """True if every statement of cert holds by the evaluator, else what fails.  base is the
    golden's (layers, xs, ys, ins).  start: the first affine map the mutation touched (the
    network before it, and the points, are the golden's); None: the network is the golden's."""
    bad_label = label_outside(cert)           # section 8.1, read with the dataset (step 3)
    if bad_label is not None:
        return f"label {bad_label} outside 1..C"
    layers, (xs, ys) = network(cert), data(cert)
    mine = sizes(layers, cert["dataset"]["d"])
    for key in SIZES:                                     # the format's order of the fields
        if mine[key] != cert["sizes"][key]:
            return f"sizes.{key} differs"
    _, gxs, _, ins = base
    index = {tuple(x): p for p, x in enumerate(gxs)}
    for i, x in enumerate(xs):
        p = index.get(tuple(x))
        if start is None and p is not None:
            out = ins[p][-1]
        elif p is not None:
            stream = ins[p][start - 1] if layers[start][4] == "outer" else None
            out = forward_from(layers, start, ins[p][start], stream)
        else:
            out = forward_from(layers, 0, x)
        assert all(type(v) is Fraction for v in out), "the evaluator must stay exact"
        claimed = [dec_rat(v) for v in cert["outputs"][i]]
        for o, value in enumerate(out):                   # section 15, step 8: front to back
            if value != ys[i][o] or value != claimed[o]:
                return f"point {i} output {o} differs"
    env = cached_env(cert, len(xs))
    for c in cert["claims"]:
        tree = ast.parse(c["statement"], mode="eval").body
        lhs, rhs = side(tree.left, env, c["lhs"]), side(tree.comparators[0], env, c["rhs"])
        if (enc_int(lhs), enc_int(rhs)) != (c["lhs"], c["rhs"]) or not compare(tree, lhs, rhs):
            return f"claim {c['id']} fails"
    return True


ENV_CACHE = {}


def cached_env(cert, n):
    """claim_env(cert, n), cached on what it depends on (the dataset, the network, the sizes)."""
    key = canonical([cert["dataset"]["inline"], cert["network"], cert["sizes"], n])
    if key not in ENV_CACHE:
        if len(ENV_CACHE) > 64:
            ENV_CACHE.clear()
        ENV_CACHE[key] = claim_env(cert, n)
    return ENV_CACHE[key]


def recompute_claims(cert):
    """Set every claim's recorded lhs/rhs to the evaluator's values (after N or data changed)."""
    env = cached_env(cert, len(cert["dataset"]["inline"]["points"]))
    for c in cert["claims"]:
        tree = ast.parse(c["statement"], mode="eval").body
        c["lhs"] = enc_int(side(tree.left, env, c["lhs"]))
        c["rhs"] = enc_int(side(tree.comparators[0], env, c["rhs"]))


def names_the_failure(tail, t, construction_id):
    """True if the checker's rejection (its verdict line) names what the evaluator found false
    first: t is truth()'s string, or "table CLAIM" for a statement the theorem table refuses."""
    what, _, rest = t.partition(" ")
    if what.startswith("sizes."):
        return tail.startswith(f"s REJECTED {what}:")
    if what == "point":                                  # "point i output o differs"
        i, _, o = rest.split()[:3]
        return tail.startswith(f"s REJECTED point {i} output {o}: network computes ")
    if what == "label":                                  # "label i outside 1..C": read with the dataset
        return tail.startswith(f"s REJECTED dataset point {rest.split()[0]}: class label ")
    if what == "claim":                                  # "claim ID fails"
        return tail.startswith(f"s REJECTED claim {rest.split()[0]} (")
    if what == "table":                                  # "table ID"
        return tail.startswith(f"s REJECTED construction {construction_id} (") and f": claim {rest} (" in tail
    return False


UNBOUND = "test-unbound"         # a construction id outside the checker's theorem table


class Campaign:
    """Runs mutants of one golden through the checker and the evaluator, and tallies them."""

    def __init__(self, name, goldens, evaluated, check):
        self.name, self.check, self.base = name, check, evaluated(name)
        self.raw = goldens[name][0]
        self.inline = goldens[name][1]["dataset"]["inline"]
        self.wrong = []
        self.count = 0

    def unbind(self):
        """Mutate from now on the golden re-sealed under the construction id UNBOUND: the theorem
        table does not apply, so claims are judged by evaluation alone (the network, the data and
        the claims are the golden's, and it must still verify)."""
        cert = json.loads(self.raw)
        cert["construction"]["id"] = UNBOUND
        self.raw = dump(rehash(cert, dataset=False))
        code, tail = self.check(self.raw)
        assert code == 0 and tail.endswith(" theorem=none"), tail
        return self

    def fresh(self):
        return json.loads(self.raw)

    def run(self, family, cert, start=None, where="", table=None):
        """Check the mutated (dict) certificate rehashed, then with its old certificate_sha256.
        table: the id of a claim whose statement the theorem table must refuse (the evaluator
        does not model the table: the test says what it changed)."""
        stale = dump(cert)
        data = dump(rehash(cert))
        if data == self.raw:
            return None                                       # not a mutant
        code, tail = self.check(data)
        t = f"table {table}" if table else truth(cert, self.base, start)
        cid = cert["construction"]["id"]
        outcome = report.mutant(family, code, t, f"{self.name} {where}", REASON.get(family))
        if outcome.startswith("wrongly") or code not in (0, 1):
            self.wrong.append(f"{family} {where}: {outcome}, exit {code}: {tail[:160]}; evaluator: {t}")
        elif code == 1 and not names_the_failure(tail, t, cid):
            self.wrong.append(f"{family} {where}: rejected for another reason than the evaluator's: "
                              f"{tail[:160]}; evaluator: {t}")
        self.count += 1
        if not ALL and self.count % 3 != 1:                   # CI: every third mutant stale, too
            return code
        code_stale, tail_stale = self.check(stale)            # stale certificate_sha256: never valid
        outcome = report.mutant(STALE, code_stale, "stale hashes", f"{self.name} {family} {where}")
        # Section 15's order: a changed dataset body meets its stale dataset digest in step 3,
        # before anything the mutation changed; otherwise certificate_sha256 is checked last, so
        # a false mutant is rejected for its own reason (the same line as with fresh hashes) and
        # a true one for the stale certificate digest.
        if cert["dataset"]["inline"] != self.inline:
            expected = "s REJECTED dataset sha256 mismatch: "
        elif code == 1:
            expected = tail
        else:
            expected = "s REJECTED certificate_sha256 mismatch: "
        if outcome.startswith("wrongly") or code_stale != 1 or not tail_stale.startswith(expected):
            self.wrong.append(f"{family} {where} (stale hash): {outcome}, exit {code_stale}: {tail_stale[:160]}; "
                              f"expected {expected[:100]}")
        return code

    def done(self):
        assert not self.wrong, "\n".join(self.wrong[:30])


@pytest.fixture
def campaign(goldens, evaluated, check, request):
    return Campaign(request.node.callspec.params["name"], goldens, evaluated, check)


# ---------------------------------------------------------------------------------------------
# Network structure

def encode_row(row, bias, den):
    """Canonical tokens of a neuron: divide numerators and denominator by their gcd."""
    g = math.gcd(den, bias, *row)
    return [enc_int(v // g) for v in row], enc_int(bias // g), enc_int(den // g)


def set_neuron(L, j, row, bias, den):
    L["weights"][j], L["bias"][j], L["dens"][j] = encode_row(row, bias, den)


def maps_with_pairs(cert):
    return [(k, j1, j2) for k, (L, _) in enumerate(affine_maps(cert))
            for j1 in range(len(L["dens"])) for j2 in range(j1 + 1, len(L["dens"]))]


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_neuron_swaps(campaign, name):
    pairs = maps_with_pairs(campaign.fresh())
    for k, j1, j2 in sample(pairs, budget(name, 10, 2), name + "swap"):
        cert = campaign.fresh()
        L = affine_maps(cert)[k][0]
        for key in ("weights", "bias", "dens"):
            L[key][j1], L[key][j2] = L[key][j2], L[key][j1]
        campaign.run("neurons swapped", cert, k, f"map {k} neurons {j1},{j2}")
    campaign.done()


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_neuron_permutations_are_accepted(campaign, name):
    """Swapping two hidden neurons and the next map's two matching columns keeps the function:
    the certificate stays true (sizes are permutation-invariant) and must verify."""
    cert0 = campaign.fresh()
    maps = affine_maps(cert0)
    # Only a map whose output feeds the next map alone (not a residual stream).
    ok = {k for k, (_, kind) in enumerate(maps[:-1])
          if kind == "inner" or (kind == "plain" and maps[k + 1][1] == "plain")}
    pairs = [p for p in maps_with_pairs(cert0) if p[0] in ok]
    for k, j1, j2 in sample(pairs, budget(name, 6, 2), name + "perm"):
        cert = campaign.fresh()
        L, nxt = affine_maps(cert)[k][0], affine_maps(cert)[k + 1][0]
        for key in ("weights", "bias", "dens"):
            L[key][j1], L[key][j2] = L[key][j2], L[key][j1]
        for row in nxt["weights"]:
            row[j1], row[j2] = row[j2], row[j1]
        code = campaign.run("neurons permuted", cert, k, f"map {k} neurons {j1},{j2}")
        assert code in (0, None), f"map {k} neurons {j1},{j2}: a permuted network was not accepted"
    campaign.done()


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_weight_row_swaps(campaign, name):
    pairs = maps_with_pairs(campaign.fresh())
    for k, j1, j2 in sample(pairs, budget(name, 6, 2), name + "rows"):
        cert = campaign.fresh()
        L = affine_maps(cert)[k][0]
        r1, r2 = [dec_int(v) for v in L["weights"][j1]], [dec_int(v) for v in L["weights"][j2]]
        b1, b2 = dec_int(L["bias"][j1]), dec_int(L["bias"][j2])
        d1, d2 = dec_int(L["dens"][j1]), dec_int(L["dens"][j2])
        set_neuron(L, j1, r2, b1, d1)
        set_neuron(L, j2, r1, b2, d2)
        campaign.run("weight rows swapped", cert, k, f"map {k} rows {j1},{j2}")
    campaign.done()


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_column_swaps(campaign, name):
    cols = [(k, i1, i2) for k, (L, _) in enumerate(affine_maps(campaign.fresh()))
            for i1 in range(len(L["weights"][0])) for i2 in range(i1 + 1, len(L["weights"][0]))]
    for k, i1, i2 in sample(cols, budget(name, 8, 2), name + "cols"):
        cert = campaign.fresh()
        for row in affine_maps(cert)[k][0]["weights"]:
            row[i1], row[i2] = row[i2], row[i1]
        campaign.run("columns swapped", cert, k, f"map {k} columns {i1},{i2}")
    campaign.done()


# ---------------------------------------------------------------------------------------------
# Points, claims, labels, outputs, coordinates

@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_points_dropped_and_duplicated(campaign, name):
    n = len(campaign.fresh()["outputs"])
    for i in sample(range(n), budget(name, 4, 1), name + "drop"):
        if n == 1:
            break                                         # a dataset needs a point
        cert = campaign.fresh()
        inline = cert["dataset"]["inline"]
        for lst in (inline["points"], inline["labels"], cert["outputs"]):
            del lst[i]
        cert["dataset"]["n"] = n - 1
        recompute_claims(cert)
        campaign.run("point dropped", cert, None, f"point {i}")
    for i in sample(range(n), budget(name, 3, 1), name + "dup"):
        cert = campaign.fresh()
        inline = cert["dataset"]["inline"]
        for lst in (inline["points"], inline["labels"], cert["outputs"]):
            lst.append(lst[i])
        cert["dataset"]["n"] = n + 1
        recompute_claims(cert)
        campaign.run("point duplicated", cert, None, f"point {i}")
    campaign.done()


OPS = ("==", "<=", ">=", "<", ">")


def statement_mutants(statement):
    """(family, new statement) for one claim: each other comparison, then the claim tightened
    by 1 (" + 1" on the side that must be the larger)."""
    left, op, right = re.split(r"\s*(==|<=|>=|<|>)\s*", statement, maxsplit=1)
    out = [("comparison changed", f"{op} -> {new}", f"{left} {new} {right}") for new in OPS if new != op]
    tightened = f"{left} {op} {right} + 1" if op in ("==", ">=", ">") else f"{left} + 1 {op} {right}"
    return out + [("tightened", "", tightened)]


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_claims_changed(campaign, name):
    """Claim semantics: recorded values and statements changed, judged by evaluation, on the
    golden under an id outside the theorem table (so the table cannot be what rejects them)."""
    campaign.unbind()
    claims = campaign.fresh()["claims"]
    for c in sample(range(len(claims)), budget(name, 5, 1), name + "claims"):
        for key in ("lhs", "rhs"):
            cert = campaign.fresh()
            cl = cert["claims"][c]
            cl[key] = enc_int(dec_int(cl[key]) + 1)
            campaign.run("claim value changed", cert, None, f"claim {cl['id']} {key}+1")
        for family, what, statement in statement_mutants(claims[c]["statement"]):
            cert = campaign.fresh()
            cert["claims"][c]["statement"] = statement
            if family == "tightened":
                recompute_claims(cert)
            campaign.run(f"claim {family}", cert, None, f"claim {claims[c]['id']} {what}".rstrip())
    campaign.done()


# Claims the theorem table accepts in two forms (docs/certificate-format.md, section 22.3: the
# "or" templates of ysj19-prop3.4's carry-{k} and ysj19-thm4.1's residual-nodes): a statement
# mutant that turns one form into the other is still the theorem's statement, and evaluation
# decides.  Every other statement mutant matches no template of its claim.
ALTERNATIVE_FORMS = {
    # Thm 4.1: the residual hidden nodes at the theorem's count, stated from either side
    "ysj19-thm4.1": [(r"d \* residual_hidden <= (.*)", r"d * residual_hidden >= \1"),
                     (r"d \* residual_hidden >= (.*)", r"d * residual_hidden <= \1")],
    # Prop 3.4: a carried register needs dy (ReLU, halved widths) or dy + 1 neurons
    "ysj19-prop3.4": [(r"(\S+|\(d[0-9]+ // 2\)) >= dy", r"\1 >= dy + 1"),
                      (r"(\S+|\(d[0-9]+ // 2\)) >= dy \+ 1", r"\1 >= dy")],
}


def other_form(construction_id, old, new):
    return any(re.fullmatch(pattern, old) and re.sub(pattern, repl, old) == new
               for pattern, repl in ALTERNATIVE_FORMS.get(construction_id, ()))


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_theorem_statements_changed(campaign, name):
    """The same statement mutants on the golden's real construction id: every changed statement
    is no longer the theorem's (format 1.2, the theorem table), so the checker rejects it with
    exit 1 and names the claim -- before any point is evaluated -- unless it is the claim's
    other documented form; then it is judged by evaluation like any claim."""
    cert0 = campaign.fresh()
    cid, claims = cert0["construction"]["id"], cert0["claims"]
    for c in sample(range(len(claims)), budget(name, 5, 1), name + "theorem"):
        for family, what, statement in statement_mutants(claims[c]["statement"]):
            cert = campaign.fresh()
            cert["claims"][c]["statement"] = statement
            if family == "tightened":
                recompute_claims(cert)
            alternative = other_form(cid, claims[c]["statement"], statement)
            campaign.run(f"theorem: {family}", cert, None, f"claim {claims[c]['id']} {what}".rstrip(),
                         table=None if alternative else claims[c]["id"])
    campaign.done()


def changed_label(cert, i):
    inline = cert["dataset"]["inline"]
    if inline["task"] == "classification":
        return (inline["labels"][i] % inline["classes"]) + 1 if inline["classes"] > 1 else 2
    return [enc_rat(dec_rat(inline["labels"][i][0]) + 1)] + inline["labels"][i][1:]


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_labels_and_outputs_changed(campaign, name):
    n = len(campaign.fresh()["outputs"])
    for i in sample(range(n), budget(name, 4, 1), name + "labels"):
        cert = campaign.fresh()
        cert["dataset"]["inline"]["labels"][i] = changed_label(cert, i)
        campaign.run("label changed", cert, None, f"point {i}")
        cert = campaign.fresh()
        new = changed_label(cert, i)
        cert["dataset"]["inline"]["labels"][i] = new
        cert["outputs"][i] = [str(new)] if isinstance(new, int) else list(new)
        campaign.run("label and output changed", cert, None, f"point {i}")
        cert = campaign.fresh()
        cert["outputs"][i][0] = enc_rat(dec_rat(cert["outputs"][i][0]) + Fraction(1, 3))
        campaign.run("output changed", cert, None, f"point {i}")
        inline = cert["dataset"]["inline"]
        for bad in ((0, inline["classes"] + 1) if inline["task"] == "classification" else ()):
            # A class label just outside 1..C (section 8.1), the claimed output moved with it:
            # the label rule alone says which point is wrong, when the dataset is read.
            cert = campaign.fresh()
            cert["dataset"]["inline"]["labels"][i] = bad
            cert["outputs"][i] = [str(bad)]
            campaign.run("label outside 1..C", cert, None, f"point {i} label {bad}")
    campaign.done()


@pytest.mark.parametrize("name", GOLDEN_IDS)
def test_coordinates_plus_minus_one(campaign, name):
    cert0 = campaign.fresh()
    coords = [(i, c) for i, p in enumerate(cert0["dataset"]["inline"]["points"]) for c in range(len(p))]
    for i, c in sample(coords, budget(name, 6, 1), name + "coords"):
        for delta in (1, -1):
            cert = campaign.fresh()
            point = cert["dataset"]["inline"]["points"][i]
            q = dec_rat(point[c])
            point[c] = enc_rat(Fraction(q.numerator + delta, q.denominator))
            # The network is the golden's; the moved point is evaluated from scratch.
            campaign.run("coordinate +-1", cert, None, f"point {i} coordinate {c} {delta:+d}")
    campaign.done()


@pytest.mark.parametrize("change", ["swapped", "overlapping", "repeated"])
def test_prop34_capacity_blocks_in_increasing_order(check, change):
    """Section 22.2, the Prop 3.4 capacity form: the blocks are disjoint and in increasing order
    (each term's a greater than the previous term's b).  Terms swapped, overlapping or repeated
    give a claim that still holds (recomputed by the evaluator), so only the form can refuse it."""
    cert = json.loads(GOLDENS[GOLDEN_IDS.index("ysj19-prop3.4-hardtanh-n20-tight")].read_bytes())
    claim = next(c for c in cert["claims"] if c["id"] == "capacity")
    t1, t2 = claim["statement"][:-len(" >= N")].split(" + ")
    t3 = "4 * ((d3 - 1) // 2) * ((d4 - 1) // (2 * dy))"
    claim["statement"] = {"swapped": f"{t2} + {t1}", "overlapping": f"{t1} + {t3} + {t2}",
                          "repeated": f"{t1} + {t1}"}[change] + " >= N"
    recompute_claims(cert)
    assert truly_valid(cert) is True            # true: the table alone must refuse it
    code, tail = check(dump(rehash(cert)))
    assert code == 1 and tail.startswith("s REJECTED construction ysj19-prop3.4 (") and \
        f": claim capacity ({claim['statement']}) is not the theorem's statement" in tail, tail
