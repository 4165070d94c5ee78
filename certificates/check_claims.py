"""Claims (section 13): statements "LHS op RHS" over integer variables the checker computed
itself, parsed in a small grammar and evaluated with every product and division charged first.

Standard library and check_base only.  Must never import exactmem or a feature module, never
evaluate text as code, never write, run or load anything.
"""

import re

from check_base import CLAIM, div_cost, int_bytes, lst, malformed, mul_cost, need, rejected, short, str_field, to_int

class LazyEnv(dict):
    """Claim variables (section 13.2); a value given as a function is computed on first use:
    the costly ones (and the optional features that compute them) run only when a claim names them."""

    def __getitem__(self, key):
        """The variable's value, computing it (once) if it is given as a function."""
        v = dict.__getitem__(self, key)
        if callable(v):
            v = v()
            dict.__setitem__(self, key, v)
        return v


# Grammar (docs/certificate-format.md):
#   claim := expr CMP expr        CMP in == <= >= < >
#   expr  := term (("+" | "-") term)*
#   term  := unary (("*" | "//") unary)*
#   unary := "-" unary | INT | NAME | "(" expr ")"
# INT is decimal without leading zeros, NAME a variable the checker computed.  Nothing else.
TOKEN = re.compile(r" *(?:(0|[1-9][0-9]*)|([A-Za-z_][A-Za-z0-9_]*)|(//|==|<=|>=|[-+*()<>]))")
CMP = {"==": lambda a, b: a == b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
       "<": lambda a, b: a < b, ">": lambda a, b: a > b}


def tokenize(statement):
    """Rule (section 13.1): a statement is INT, NAME and operator tokens separated by U+0020 only."""
    tokens, pos = [], 0
    while pos < len(statement):
        if statement[pos:].strip(" ") == "":          # only U+0020 separates tokens (section 13.1)
            break
        m = TOKEN.match(statement, pos)
        if not m:
            raise malformed(f"claim {statement!r}: unexpected character at position {pos}")
        num, name, op = m.groups()
        tokens.append(("int", int(num)) if num else ("name", name) if name else ("op", op))
        pos = m.end()
    return tokens


class ClaimParser:
    """Recursive descent over the grammar above; one method per rule."""

    def __init__(self, statement, env, budget, evaluate=True):
        """With evaluate=False only the grammar and the variable names are checked (every value
        reads as 1 and nothing is computed), so a statement outside the grammar is MALFORMED
        before the theorem table or any arithmetic looks at it."""
        self.statement, self.env, self.tokens, self.i = statement, env, tokenize(statement), 0
        self.evaluate, self.budget = evaluate, budget

    def peek(self):
        """The next token, or (None, None) at the end."""
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self, *ops):
        """Consume the next token if it is one of these operators; return it, else None."""
        kind, val = self.peek()
        if kind == "op" and val in ops:
            self.i += 1
            return val
        return None

    def fail(self, what):
        """A statement outside the grammar is MALFORMED, naming what was expected."""
        raise malformed(f"claim {self.statement!r}: {what}")

    def claim(self):
        """claim := expr CMP expr, and nothing after it; returns (lhs, CMP, rhs)."""
        lhs = self.expr()
        op = self.take(*CMP)
        if op is None:
            self.fail("expected a comparison (== <= >= < >)")
        rhs = self.expr()
        if self.i != len(self.tokens):
            self.fail("unexpected text after the comparison")
        return lhs, op, rhs

    def expr(self):
        """expr := term (("+" | "-") term)*"""
        v = self.term()
        while True:
            op = self.take("+", "-")
            if op is None:
                return v
            w = self.term()
            if self.evaluate:
                v = v + w if op == "+" else v - w

    def term(self):
        """term := unary (("*" | "//") unary)*, each product and division charged (or held) first."""
        v = self.unary()
        while True:
            op = self.take("*", "//")
            if op is None:
                return v
            w = self.unary()
            if not self.evaluate:
                continue
            vb, wb = abs(v).bit_length(), abs(w).bit_length()
            if op == "*":
                # CPython's product peaks at about five times its result's size (Karatsuba's
                # temporaries): the estimate is six results.
                self.budget.hold(6 * int_bytes(vb + wb), f"claim {self.statement!r}: a product")
                self.budget.charge(mul_cost(vb, wb), f"claim {self.statement!r}: a product")
                v = v * w
            elif w == 0:
                self.fail("division by zero")
            else:
                self.budget.charge(div_cost(vb, wb), f"claim {self.statement!r}: a floor division")
                v = v // w

    def unary(self):
        """unary := "-" unary | INT | NAME | "(" expr ")"; a NAME must be a computed variable."""
        if self.take("-"):
            v = self.unary()
            return -v if self.evaluate else 1
        if self.take("("):
            v = self.expr()
            if not self.take(")"):
                self.fail("missing ')'")
            return v
        kind, val = self.peek()
        self.i += 1
        if kind == "int":
            return val
        if kind == "name":
            if val not in self.env:
                self.fail(f"unknown variable {val!r}")
            return self.env[val] if self.evaluate else 1
        self.fail("expected a number, a variable or '('")


def claim_list(cert, env, budget):
    """Section 13: claims are {id, statement, source, lhs, rhs} with unique ids of
    [A-Za-z0-9_.:-]{1,64} and statements of at most 500 characters in the grammar of 13.1, over
    the variables of 13.2 (parsed here, evaluated later)."""
    claims, seen = [], set()
    for i, claim in enumerate(lst(cert["claims"], "claims")):
        need(claim, ("id", "statement", "source", "lhs", "rhs"), f"claim {i}")
        cid = str_field(claim["id"], f"claim {i}.id")
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", cid):
            raise malformed(f"claim {i}: id must match [A-Za-z0-9_.:-]{{1,64}}")
        if cid in seen:
            raise malformed(f"claim {cid}: duplicate claim id")
        seen.add(cid)
        statement = str_field(claim["statement"], f"claim {cid}.statement")
        str_field(claim["source"], f"claim {cid}.source")
        if len(statement) > 500:
            raise malformed(f"claim {cid}: statement too long")
        budget.charge(CLAIM + 500 * len(statement), "claims: parsing a statement")
        ClaimParser(statement, env, budget, evaluate=False).claim()
        claims.append(claim)
    return claims


def check_claims(claims, env, budget):
    """Section 13: each claim's recorded sides equal the recomputed ones, and it holds."""
    lines = []
    for claim in claims:
        cid, statement = claim["id"], claim["statement"]
        budget.charge(CLAIM + 500 * len(statement), "claims: evaluating a statement")
        lhs, sym, rhs = ClaimParser(statement, env, budget).claim()
        claimed = (to_int(claim["lhs"], f"claim {cid}.lhs", budget), to_int(claim["rhs"], f"claim {cid}.rhs", budget))
        if claimed != (lhs, rhs):
            raise rejected(f"claim {cid} ({statement}): certificate says {short(claimed[0])} {sym} "
                           f"{short(claimed[1])}, recomputed {short(lhs)} {sym} {short(rhs)}")
        if not CMP[sym](lhs, rhs):
            raise rejected(f"claim {cid} ({statement}) is false: {short(lhs)} {sym} {short(rhs)} does not hold "
                           f"[{claim['source']}]")
        lines.append(f"c claim {cid}: {statement}  ({short(lhs)} {sym} {short(rhs)})  [{claim['source']}]")
    return lines


