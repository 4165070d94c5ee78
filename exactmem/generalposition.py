"""General position for the YSJ19 section-4 constructions: the full exact test, and the
perturbation a user may ask for (never applied silently).

The constructions themselves run the *construction-level* test (each group's hyperplane misses
every other point, docs/ysj19.md).  With ``general_position="full"`` the pipeline also runs the
complete certificate of Assumption 4.1 (:func:`exactmem.geometry.general_position_witness`, C(N, d)
normals) before building, and the certificate claims ``general_position == 1``, which the
checker recomputes.  With ``perturb=eps`` every coordinate moves by a seeded rational amount of
absolute value at most eps, and the move is recorded in the certificate's recipe and info.

Core module: the pipeline imports it; it imports the constructions' ``Claim`` record, data,
errors, geometry and rational, and must never import the certificate writer or
:mod:`exactmem.studies`.
"""

from __future__ import annotations

import random
from fractions import Fraction

from .constructions import Claim
from .data import Dataset
from .errors import DataError, ResourceError, UsageError
from .geometry import general_position_cost, general_position_witness, rows
from .rational import parse_literal

MODES = ("construction", "full")
FULL_TEST_BUDGET = 10 ** 9             # about 100 s of pure-Python determinants (1e7 per second)
PERTURB_GRID_BITS = 16                # a coordinate moves by eps * k / 2^16, |k| <= 2^16
PERTURB_DRAWS = 16                    # fresh draws tried before giving up

GP_CLAIM = Claim("general-position", "general_position == 1",
                 "YSJ19 Assumption 4.1: every set of at most dx+1 points is affinely independent")


def require_full(ds: Dataset) -> None:
    """Raise DataError naming 1-based witness rows unless the data are in general position."""
    cost = general_position_cost(ds.n, ds.d)
    if cost > FULL_TEST_BUDGET:
        raise ResourceError(f"the full general-position test would cost C(N, d) * d^4 = {cost:.3e} "
                            f"operations (budget {FULL_TEST_BUDGET:.0e}) at N = {ds.n}, d = {ds.d}; "
                            "use --general-position construction (the test the construction needs)")
    w = general_position_witness(ds.points)
    if w is not None:
        raise DataError(f"not in general position: rows {rows(w)} are affinely dependent "
                        f"({len(w)} points in R^{ds.d}); --perturb EPS moves the points if you want that")


def parse_eps(text) -> Fraction:
    try:
        eps = parse_literal(str(text))
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"--perturb: expected a positive rational like 1/1000000, got {text!r}") from None
    if not 0 < eps <= 1:
        raise UsageError(f"--perturb: the amount must lie in (0, 1], got {text}")
    return eps


def perturbed(ds: Dataset, eps: Fraction, seed: int, draw: int) -> Dataset:
    """Every coordinate plus eps * k / 2^16 with k uniform in [-2^16, 2^16] (seeded, so the same
    inputs give the same points on any machine)."""
    rng = random.Random(f"exactmem-perturb:{seed}:{draw}")
    g = 1 << PERTURB_GRID_BITS
    pts = tuple(tuple(v + eps * Fraction(rng.randint(-g, g), g) for v in p) for p in ds.points)
    return Dataset(pts, ds.labels, ds.task, ds.classes, source=ds.source + f" (perturbed by <= {eps})",
                   class_names=ds.class_names)


def prepare(ds: Dataset, mode, eps, seed, build):
    """(dataset to build on, built, claims to add, info to add).

    ``build(ds)`` runs the construction; with a perturbation, a draw whose points the chosen test
    (full, or the construction's own) rejects is replaced by the next draw."""
    mode = mode or "construction"
    if mode not in MODES:
        raise UsageError(f"--general-position: choose {' or '.join(MODES)}, got {mode!r}")
    extra_claims = [GP_CLAIM] if mode == "full" else []
    if eps is None:
        if mode == "full":
            require_full(ds)
        return ds, build(ds), extra_claims, {}
    eps = parse_eps(eps)
    last = None
    for draw in range(PERTURB_DRAWS):
        moved = perturbed(ds, eps, seed or 0, draw)
        try:
            if mode == "full":
                require_full(moved)
            built = build(moved)
        except DataError as e:
            last = e
            continue
        info = {"perturbation": {"max_abs_per_coordinate": str(eps), "seed": seed or 0, "draw": draw,
                                 "grid": f"eps * k / 2^{PERTURB_GRID_BITS}",
                                 "original_dataset_sha256": ds.digest()}}
        return moved, built, extra_claims, info
    raise DataError(f"{PERTURB_DRAWS} perturbations by <= {eps} all failed; last: {last}")
