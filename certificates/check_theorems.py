"""The theorem table (section 22): which claims state the theorem a construction id names.

VERIFIED names a theorem only through this table.  For each construction id it lists the
variants of the theorem; the first variant whose condition holds on facts the checker computed
itself (hidden activation, task, depth, which claim ids are present) applies.  A variant lists
its claims by id with statement templates: "{x}" (lower case) stands for a decimal integer
literal, the same name for the same literal; "{LAST}" is the index of the last hidden layer.
Rules: every REQUIRED claim is present with a statement of one of its templates; every other
claim is one of the variant's OPTIONAL claims (layout facts and declared constants of our
construction) with a statement of one of its templates.  Anything else is REJECTED.  Truth is
checked as for every claim (section 13); the table decides which statements state the theorem.

This file is statement data: read it against the papers it cites (each entry names its paper and
theorem).  Standard library and check_base only; must never import exactmem or a feature module,
never evaluate text as code, never write, run or load anything.
"""

import re

from check_base import CLAIM, rejected


DISTINCT = {"assumption-distinct": ("distinct_points == 1",)}
UNIT_LABELS = {"assumption-labels": ("labels_in_unit_box == 1",)}
COUNTING = {"counting": ("(bit_complexity + 1) * params_dense >= N * log2_classes_floor",)}
GP = {"general-position": ("general_position == 1",)}
ZHANG = {**DISTINCT, "depth": ("depth == 2",), "relu": ("relu_hidden == 1",), "hidden-nodes": ("d1 <= N",),
         "params": ("params_nonzero <= (d + 1) * N + N * dy",)}
LEMMA = {"counting-lemma": ("pieces_on_segment >= N - 1",), "lemma-hypothesis": ("alternating_on_segment == 1",)}


def prop34_capacity(halved):
    """Prop 3.4's capacity: a sum of block terms 4 * ((X_l - r) // 2) * ((X_(l+1) - r) // (2 * dy))
    over blocks of consecutive hidden layers l, l + 1, disjoint and in increasing order, with X_l
    = d_l (hard-tanh) or (d_l // 2) (ReLU, widths halved); r >= 0 registers carried."""
    x = r"\(d([1-9][0-9]*) // 2\)" if halved else r"d([1-9][0-9]*)"
    term = re.compile(rf"4 \* \(\({x} - (0|[1-9][0-9]*)\) // 2\) \* \(\({x} - (0|[1-9][0-9]*)\) // \(2 \* dy\)\)")

    def match(statement, facts):
        if not statement.endswith(" >= N"):
            return False
        last = -1
        for part in statement[:-5].split(" + "):
            m = term.fullmatch(part)
            if not m or int(m.group(3)) != int(m.group(1)) + 1 or m.group(2) != m.group(4):
                return False
            if int(m.group(1)) <= last or int(m.group(3)) > facts["hidden_layers"]:
                return False
            last = int(m.group(3))
        return True
    match.__doc__ = prop34_capacity.__doc__
    return match


def variant(name, when, required, optional=None):
    """One variant of a theorem: its name, when it applies, its required and optional claims."""
    return {"name": name, "when": when, "required": required, "optional": optional or {}}


def relu(f):
    """Every hidden map is ReLU."""
    return f["relu_hidden"] == 1


def hardtanh(f):
    """Every hidden map is hard-tanh."""
    return f["hardtanh_hidden"] == 1


def ysj31(act):
    """YSJ19 Theorem 3.1: depth 3 and the capacity 4[d1/k][d2/(k dy)] >= N, k = 4 (ReLU) or 2."""
    k, var = (4, "relu_hidden") if act == "relu" else (2, "hardtanh_hidden")
    return {**DISTINCT, **UNIT_LABELS, "depth": ("depth == 3",), "activation": (f"{var} == 1",),
            "capacity": (f"4 * (d1 // {k}) * (d2 // ({k} * dy)) >= N",)}


def ysj32(act, onehot):
    """YSJ19 Proposition 3.2: depth 4, the capacity 4[d1/k][d2/k] >= N and d3 >= k classes."""
    k, var = (4, "relu_hidden") if act == "relu" else (2, "hardtanh_hidden")
    claims = {**DISTINCT, "depth": ("depth == 4",), "activation": (f"{var} == 1",),
              "capacity": (f"4 * (d1 // {k}) * (d2 // {k}) >= N",),
              "classes": (f"d3 >= {k} * {'dy' if onehot else 'classes'}",)}
    return {**claims, "labels": ("one_hot_labels == 1",)} if onehot else claims


def ysj34(act):
    """YSJ19 Proposition 3.4: the blocks' total capacity >= N (required), room and carry facts."""
    var, x = ("relu_hidden", "(d{l} // 2)") if act == "relu" else ("hardtanh_hidden", "d{l}")
    required = {**DISTINCT, **UNIT_LABELS, "depth": ("depth == {l}",), "activation": (f"{var} == 1",),
                "capacity": (prop34_capacity(act == "relu"),)}
    optional = {"room-{j}": (f"{x} - {{r}} >= 0",), "room-{j}b": (f"{x} - {{r}} >= 0",),
                "carry-{k}": (f"{x} >= dy + 1", f"{x} >= dy")}
    return required, optional


def ysj42(act):
    """YSJ19 Corollary 4.2: depth 2 and d * d1 >= k N + k dy d, one-hot labels."""
    k, var = (4, "relu_hidden") if act == "relu" else (2, "hardtanh_hidden")
    return {**DISTINCT, "depth": ("depth == 2",), "activation": (f"{var} == 1",),
            "width": (f"d * d1 >= {k} * N + {k} * dy * d",), "labels": ("one_hot_labels == 1",)}


def ysj41(act):
    """YSJ19 Theorem 4.1: a ResNet whose residual hidden nodes meet k N / d + k dy, one-hot labels."""
    per, head = (4, "2 * dy") if act == "relu" else (2, "dy")
    required = {**DISTINCT, act: (f"{act}_hidden == 1",), "dx-ge-dy": ("d >= dy",),
                "residual-nodes": (f"d * residual_hidden <= {per} * N + {per} * dy * d",
                                   f"d * residual_hidden >= {per} * N + {per} * dy * d"),
                "head": (f"d{{LAST}} >= {head}",), "labels": ("one_hot_labels == 1",)}
    total = per + (2 if act == "relu" else 1)
    return required, {"total": (f"d * hidden_neurons <= {per} * N + {total} * dy * d",), **GP}


def ysj33(depth, act):
    """YSJ19 Theorem 3.3: the counting lemma, its hypothesis, and the architecture's piece bound."""
    if depth == 2:
        return {**ZHANG, **LEMMA, "pieces-bound": ("pieces_on_segment <= d1 + 1",), "thm33": ("d1 + 2 >= N",)}, \
               {"knots-at-data": ("pieces_on_segment <= N - 1",)}
    p = 2 if act == "relu" else 3
    a = "" if p == 2 else f"{p - 1} * "
    return {**ysj31(act), **LEMMA,
            "pieces-bound-paper": (f"pieces_on_segment <= {p * (p - 1)} * d1 * d2 + {a}d2 + 1",),
            "thm33": (f"{p * (p - 1)} * d1 * d2 + {a}d2 + 2 >= N",)}, \
           {"pieces-bound-tight": (f"pieces_on_segment <= ({a}d1 + 1) * ({a}d2 + 1)",)}


def ysj33_fold():
    """YSJ19 Theorem 3.3 for 3-layer hard-tanh, met by the fold (docs/ysj19.md): the lemma, the
    paper's bound, and the fold's piece count 4 d1 d2 - 2 d2 + 1 on both sides (reached, and not
    exceeded by this network; docs/ysj19.md proves no 3-layer hard-tanh network exceeds it)."""
    fold = "pieces_on_segment {} 4 * d1 * d2 - 2 * d2 + 1"
    return {**DISTINCT, **UNIT_LABELS, "depth": ("depth == 3",), "activation": ("hardtanh_hidden == 1",), **LEMMA,
            "pieces-bound-paper": ("pieces_on_segment <= 6 * d1 * d2 + 2 * d2 + 1",),
            "thm33": ("6 * d1 * d2 + 2 * d2 + 2 >= N",),
            "fold-pieces": (fold.format(">="),), "pieces-bound-hardtanh": (fold.format("<="),)}, \
           {"pieces-bound-tight": ("pieces_on_segment <= (2 * d1 + 1) * (2 * d2 + 1)",),
            "fold-capacity": ("(2 * d1 - 1) * (2 * d2 - 1) + 1 >= N",)}


VYS21_LAYOUT = {"depth-layout": ("depth == {m} + {s} * ({t} + 2) + 2", "depth == {s} * ({t} + 2) + 4",
                                 "depth == 3", "depth == 2"),
                "bits-stage2-3": ("bits_after_first == {b} + 1",), **COUNTING}
YY26_LAYOUT = {
    "depth-budget": ("depth <= {l}",),
    "depth-layout": ("depth == {a} + {b} * ({c} + 1) + 2", "depth == {g} + 2", "depth == 2"),
    "width-layout": ("width <= {a} + {b} * {c}", "width <= 1 + {a} + 2 * {b}", "width <= 2 * {a} - 1",
                     "width <= 2 * {a} + 2 * {b} + 3", "width <= 2 * N - 2", "width <= 1"),
    "r1-deep-bound": ("{p} * {b} * (depth - {f} - 4) * (depth - {f} - 4) < 4 * N * ({f} + 1)", "depth < {f} + 4"),
    "r1-wide-bound": ("(depth - 3) * {c} < 16 * N",),
    "log2-inv-delta-lo": ("min_sq_dist_num * {a} <= min_sq_dist_den", "min_sq_dist_num <= min_sq_dist_den * {a}"),
    "log2-inv-delta-hi": ("min_sq_dist_num * {a} > min_sq_dist_den", "min_sq_dist_num > min_sq_dist_den * {a}"),
    "ratio-delta-upper": ("100 * width * width * depth * depth <= {q} * N * {k}",),
    "ratio-delta-lower": ("100 * width * width * depth * depth > {q} * N * {k}",),
    **COUNTING}
YSJ = "Yun, Sra, Jadbabaie, NeurIPS 2019"
VYS = "Vardi, Yehudai, Shamir, ICLR 2022"

THEOREMS = {
    "zhang17": {
        "paper": "Zhang, Bengio, Hardt, Recht, Vinyals, ICLR 2017",
        "theorem": "Theorem 1: a 2-layer ReLU network with d1 <= N hidden neurons memorizes N distinct points",
        "variants": [variant("relu", lambda f: True, ZHANG)]},
    "ysj19-thm3.1": {
        "paper": YSJ, "theorem": "Theorem 3.1: a 3-layer network memorizes N points when "
                                 "4[d1/4][d2/(4dy)] >= N (ReLU) or 4[d1/2][d2/(2dy)] >= N (hard-tanh)",
        "variants": [variant("relu", relu, ysj31("relu")), variant("hardtanh", hardtanh, ysj31("hardtanh"))]},
    "ysj19-prop3.2": {
        "paper": YSJ, "theorem": "Proposition 3.2: a 4-layer network classifies N points into C classes when "
                                 "4[d1/4][d2/4] >= N and d3 >= 4C (ReLU; hard-tanh: 4[d1/2][d2/2] >= N, d3 >= 2C)",
        "variants": [variant("relu, one-hot", lambda f: relu(f) and f["task"] == "regression", ysj32("relu", True)),
                     variant("relu, class output", relu, ysj32("relu", False)),
                     variant("hard-tanh, one-hot", lambda f: hardtanh(f) and f["task"] == "regression",
                             ysj32("hardtanh", True)),
                     variant("hard-tanh, class output", hardtanh, ysj32("hardtanh", False))]},
    "ysj19-prop3.4": {
        "paper": YSJ, "theorem": "Proposition 3.4: a deep and/or narrow network memorizes N points when its "
                                 "blocks of consecutive hidden layers have total capacity >= N",
        "variants": [variant("relu", relu, *ysj34("relu")), variant("hardtanh", hardtanh, *ysj34("hardtanh"))]},
    "ysj19-cor4.2": {
        "paper": YSJ, "theorem": "Corollary 4.2: a 2-layer network memorizes N points with one-hot labels when "
                                 "d1 >= 4N/dx + 4dy (ReLU) or 2N/dx + 2dy (hard-tanh)",
        "variants": [variant("relu", relu, ysj42("relu"), GP), variant("hardtanh", hardtanh, ysj42("hardtanh"), GP)]},
    "ysj19-thm4.1": {
        "paper": YSJ, "theorem": "Theorem 4.1: a ResNet memorizes N points with one-hot labels with residual "
                                 "hidden nodes sum d_l at the theorem's 4N/dx + 4dy (ReLU) or 2N/dx + 2dy (hard-tanh)",
        "variants": [variant("relu", relu, *ysj41("relu")), variant("hardtanh", hardtanh, *ysj41("hardtanh"))]},
    "ysj19-thm3.3": {
        "paper": YSJ, "theorem": "Theorem 3.3: N points with alternating labels along a segment force at least "
                                 "N - 1 affine pieces there (counting lemma), within the architecture's bound",
        "variants": [variant("2-layer knot network", lambda f: f["depth"] == 2, *ysj33(2, "relu")),
                     variant("3-layer relu", lambda f: f["depth"] == 3 and relu(f), *ysj33(3, "relu")),
                     variant("3-layer hardtanh fold", lambda f: f["depth"] == 3 and hardtanh(f)
                             and "fold-pieces" in f["claim_ids"], *ysj33_fold()),
                     variant("3-layer hardtanh", lambda f: f["depth"] == 3 and hardtanh(f), *ysj33(3, "hardtanh"))]},
    "vys21": {
        "paper": VYS, "theorem": "Theorem 3.1: a network of width <= 12 memorizes N distinct points "
                                 "(O~(sqrt N) parameters, the count is in sizes)",
        "variants": [variant("width 12", lambda f: True, {**DISTINCT, "width": ("width <= 12",)}, VYS21_LAYOUT)]},
    "vys21-depth": {
        "paper": VYS, "theorem": "bounded depth: a network of depth <= L memorizes N distinct points "
                                 "(O~(N/L) parameters, the count is in sizes)",
        "variants": [variant("depth budget", lambda f: True, {**DISTINCT, "depth-budget": ("depth <= {l}",)},
                             {**VYS21_LAYOUT, "width": ("width <= 12",)})]},
    "yy26": {
        "paper": "Yang, Yang, arXiv 2603.09589 (2026)",
        "theorem": "a network of width <= W memorizes N distinct points with W^2 L^2 = O(N log(1/delta)) "
                   "(the measured ratio is bracketed by the optional ratio claims)",
        "variants": [variant("target width", lambda f: True, {**DISTINCT, "width-target": ("width <= {w}",)},
                             YY26_LAYOUT)]},
}
PRECISION = {
    "paper": "exactmem precision (docs/precision.md)",
    "theorem": "k bits suffice: every weight and bias of the network (before the class decoder, if any) is "
               "dyadic and on the stated grid 2^-k or within the stated significant bits p",
    "variants": [variant("fixed point", lambda f: "precision-grid" in f["claim_ids"],
                         {"precision-dyadic": ("dyadic_weights == 1",),
                          "precision-grid": ("grid_bits <= {k}", "grid_bits <= -{k}")},
                         {"precision-decoder": ("decoder_margin_bits == {t}",)}),
                 variant("floating point", lambda f: True,
                         {"precision-dyadic": ("dyadic_weights == 1",), "precision-significand": ("sig_bits <= {p}",)},
                         {"precision-decoder": ("decoder_margin_bits == {t}",)})]}


def theorem_for(construction_id):
    """The table entry for a construction id: its own, or for "rounded:ID" (a network rounded by
    exactmem precision) the precision statement, with ID's claims allowed as optional ones (those
    that still hold on the rounded network; "{LAST}" becomes a free integer there).  None when
    the id is not in the table."""
    if construction_id in THEOREMS:
        return THEOREMS[construction_id]
    source = construction_id[len("rounded:"):] if construction_id.startswith("rounded:") else None
    if source not in THEOREMS:
        return None
    inherited = {}
    for v in THEOREMS[source]["variants"]:
        for cid, templates in {**v["required"], **v["optional"]}.items():
            inherited.setdefault(cid, ())
            inherited[cid] += tuple("{last}".join(t.split("{LAST}")) if isinstance(t, str) else t for t in templates)
    variants = [dict(v, optional={**inherited, **v["optional"]}) for v in PRECISION["variants"]]
    return dict(PRECISION, variants=variants, source=source)


def template_regex(template, facts):
    """A statement or id template as a regex: "{x}" a decimal literal (repeated names equal)."""
    key = (template, facts.get("last"))
    if key not in TEMPLATE_CACHE:
        TEMPLATE_CACHE[key] = compile_template(template, facts)
    return TEMPLATE_CACHE[key]


TEMPLATE_CACHE = {}


def compile_template(template, facts):
    """The regex of template_regex, built once per template and last hidden layer."""
    out, seen, pos = [], set(), 0
    for m in re.finditer(r"\{([A-Za-z]+)\}", template):
        out.append(re.escape(template[pos:m.start()]))
        name = m.group(1)
        if name.isupper():
            out.append(re.escape(str(facts[name.lower()])))
        elif name in seen:
            out.append(f"(?P={name})")
        else:
            out.append(f"(?P<{name}>0|[1-9][0-9]*)")
            seen.add(name)
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out))


def fits(text, templates, facts):
    """Rule: a statement (or id) has the form of one of its templates."""
    return any(t(text, facts) if callable(t) else template_regex(t, facts).fullmatch(text) is not None
               for t in templates)


def check_theorem(cert, claims, facts, budget):
    """Section 22: the claims are the statement of the theorem the construction id names.
    Returns (entry, variant), or (None, None) for an id outside the table (then VERIFIED says
    only that the network reproduces every label, and that the listed claims hold)."""
    cid = cert["construction"]["id"]
    entry = theorem_for(cid)
    if entry is None:
        return None, None
    facts = dict(facts, claim_ids={c["id"] for c in claims})
    chosen = next((v for v in entry["variants"] if v["when"](facts)), None)
    if chosen is None:
        raise rejected(f"construction {cid}: no variant of its theorem applies to this network "
                       f"(variants: {', '.join(v['name'] for v in entry['variants'])})")
    by_id = {c["id"]: c["statement"] for c in claims}
    for rid, templates in chosen["required"].items():
        if rid not in by_id:
            raise rejected(f"construction {cid} ({chosen['name']}): claim {rid} of the theorem is missing")
        if not fits(by_id[rid], templates, facts):
            raise rejected(f"construction {cid} ({chosen['name']}): claim {rid} ({by_id[rid]}) is not the "
                           f"theorem's statement")
    budget.charge(len(claims) * CLAIM * (1 + len(chosen["optional"])), "theorem table: matching the claims")
    for c in claims:
        if c["id"] in chosen["required"]:
            continue
        templates = next((t for oid, t in chosen["optional"].items() if fits(c["id"], (oid,), facts)), None)
        if templates is None:
            raise rejected(f"construction {cid} ({chosen['name']}): claim {c['id']} is not part of the theorem "
                           f"or of its construction")
        if not fits(c["statement"], templates, facts):
            raise rejected(f"construction {cid} ({chosen['name']}): claim {c['id']} ({c['statement']}) has "
                           f"another form than the construction's")
    return entry, chosen


