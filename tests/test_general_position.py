"""General position, exactly: the full test (generator and checker), --general-position full,
--perturb, and the claim the checker recomputes (docs/ysj19.md, "General position")."""

import hashlib
import itertools
import json
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from conftest import run_checker_inprocess, verify_certificate
from exactmem.certificate import canonical_bytes, certificate_bytes
from exactmem.data import Dataset
from exactmem.errors import DataError, ResourceError, UsageError
from exactmem.generalposition import perturbed
from exactmem.geometry import general_position_witness, rref_nullspace
from exactmem.pipeline import certify_dataset, regenerate


def dependent(points, rows) -> bool:
    """Brute force: the rank of {x_r - x_r0} is below len(rows) - 1."""
    base = points[rows[0]]
    D = [[Fraction(a) - b for a, b in zip(points[i], base)] for i in rows[1:]]
    return bool(D) and len(D[0]) - len(rref_nullspace(D, len(D[0]))) < len(rows) - 1


def brute_force_gp(points) -> bool:
    n, d = len(points), len(points[0])
    return not any(dependent(points, list(c)) for k in range(2, min(n, d + 1) + 1)
                   for c in itertools.combinations(range(n), k))


small_points = st.integers(1, 4).flatmap(lambda d: st.lists(
    st.lists(st.integers(-2, 2).map(Fraction) | st.fractions(-2, 2, max_denominator=3), min_size=d, max_size=d),
    min_size=1, max_size=8))


@given(points=small_points)
def test_full_test_agrees_with_brute_force_and_its_witness_is_genuine(points):
    w = general_position_witness(points)
    assert (w is None) == brute_force_gp(points)
    if w is not None:
        assert len(w) <= len(points[0]) + 1 and len(set(w)) == len(w)
        assert len(w) == 2 and points[w[0]] == points[w[1]] or dependent(points, w)


@given(points=small_points)
def test_checker_recomputes_the_same_answer(checker, points):
    xs = [[(v.numerator, v.denominator) for v in p] for p in points]
    import check_position            # the checker's own file, on sys.path once check.py is loaded
    assert check_position.general_position(xs, checker.Budget()) == (general_position_witness(points) is None)


def _classes(n, k):
    return tuple(1 + i % k for i in range(n))


def test_collinear_points_of_different_groups_pass_the_construction_but_not_the_full_test(checker, tmp_path):
    # Three collinear points in three different groups: the construction-level test accepts them
    # (docs/ysj19.md), the full test names them, and a certificate claiming general position
    # for them is rejected by the checker.
    pts = [(Fraction(0), Fraction(0)), (Fraction(1), Fraction(1)), (Fraction(2), Fraction(2)),
           (Fraction(5), Fraction(-1)), (Fraction(-3), Fraction(4)), (Fraction(7), Fraction(3))]
    ds = Dataset(tuple(pts), (1, 2, 3, 1, 2, 3), "classification", 3)
    assert general_position_witness(ds.points) == [0, 1, 2]
    with pytest.raises(DataError, match=r"rows 1, 2, 3 are affinely dependent"):
        certify_dataset("ysj19-cor4.2", ds, {"general_position": "full"})
    cert = certify_dataset("ysj19-cor4.2", ds, {})
    verify_certificate(checker, tmp_path, cert)
    assert cert["version"] == "1.0"
    # Forge the claim (hashes recomputed): the checker must recompute it and refuse.
    cert["version"] = "1.1"
    cert["claims"].append({"id": "general-position", "statement": "general_position == 1", "lhs": "1",
                           "rhs": "1", "source": "forged"})
    body = {k: v for k, v in cert.items() if k != "certificate_sha256"}
    cert["certificate_sha256"] = hashlib.sha256(canonical_bytes(body)).hexdigest()
    path = tmp_path / "forged.json"
    path.write_bytes(certificate_bytes(cert))
    code, out = run_checker_inprocess(checker, path)
    assert code == 1 and "general_position" in out and "recomputed 0 == 1" in out


@given(seed=st.integers(0, 50), collinear=st.booleans())
@example(seed=0, collinear=True)
@example(seed=0, collinear=False)
def test_full_mode_certifies_and_the_checker_recomputes(checker, tmp_path_factory, seed, collinear):
    """Random data (almost surely in general position) certify with --general-position full; with
    ``collinear`` row 5 is moved to the midpoint of rows 1 and 2, so the refusal branch is reached and
    must name genuinely dependent rows. The expectation comes from the brute-force test above."""
    from exactmem.data import load
    ds = load(f"random:n=12,d=2,classes=2,seed={seed}")
    if collinear:
        pts = list(ds.points)
        pts[4] = tuple((a + b) / 2 for a, b in zip(pts[0], pts[1]))
        assume(pts[4] not in ds.points)
        ds = Dataset(tuple(pts), ds.labels, "classification", 2).validate()
    in_gp = brute_force_gp(ds.points)
    assert in_gp != collinear
    if not in_gp:
        with pytest.raises(DataError, match="not in general position") as e:
            certify_dataset("ysj19-thm4.1", ds, {"general_position": "full"})
        rows = [int(r) - 1 for r in str(e.value).split("rows ")[1].split(" are")[0].split(", ")]
        assert len(rows) <= ds.d + 1 and dependent(ds.points, rows)
        return
    cert = certify_dataset("ysj19-thm4.1", ds, {"general_position": "full"})
    assert cert["version"] == "1.1"
    out = verify_certificate(checker, tmp_path_factory.mktemp("gp"), cert)
    assert "claim general-position: general_position == 1  (1 == 1)" in out


def test_perturbation_is_bounded_seeded_recorded_and_regenerates(checker, tmp_path):
    pts = [(Fraction(i), Fraction(2 * i)) for i in range(6)]          # all on one line
    ds = Dataset(tuple(pts), _classes(6, 2), "classification", 2, source="line")
    eps = Fraction(1, 10 ** 6)
    with pytest.raises(DataError):
        certify_dataset("ysj19-cor4.2", ds, {})
    recipe = {"data": "in-memory", "options": {"perturb": "1/1000000", "general_position": "full"},
              "seed": 7, "classes": None}
    cert = certify_dataset("ysj19-cor4.2", ds, {"perturb": "1/1000000", "general_position": "full"}, recipe)
    verify_certificate(checker, tmp_path, cert)
    p = cert["info"]["perturbation"]
    assert p["max_abs_per_coordinate"] == "1/1000000" and p["seed"] == 7 and p["original_dataset_sha256"] == ds.digest()
    moved = perturbed(ds, eps, 7, p["draw"])
    assert general_position_witness(moved.points) is None
    assert all(abs(a - b) <= eps for q, r in zip(ds.points, moved.points) for a, b in zip(q, r))
    assert moved.points != ds.points
    assert perturbed(ds, eps, 7, p["draw"]) == moved and perturbed(ds, eps, 8, p["draw"]) != moved


def test_pipeline_refusals():
    ds = Dataset(((Fraction(0),), (Fraction(1),)), (1, 2), "classification", 2)
    with pytest.raises(UsageError, match="apply to the general-position constructions"):
        certify_dataset("zhang17", ds, {"perturb": "1/100"})
    with pytest.raises(UsageError, match="--perturb"):
        certify_dataset("ysj19-cor4.2", ds, {"perturb": "-1/100"})
    with pytest.raises(UsageError, match="--general-position"):
        certify_dataset("ysj19-cor4.2", ds, {"general_position": "maybe"})
    big = Dataset(tuple((Fraction(i), Fraction(i * i), Fraction(i ** 3), Fraction(i ** 4), Fraction(i ** 5),
                         Fraction(i ** 6)) for i in range(200)), _classes(200, 2), "classification", 2)
    with pytest.raises(ResourceError, match="C\\(N, d\\)"):
        certify_dataset("ysj19-cor4.2", big, {"general_position": "full"})


def test_cli_exit_codes(tmp_path):
    data = tmp_path / "line.csv"
    data.write_text("".join(f"{i},{2 * i},{1 + i % 2}\n" for i in range(6)))
    run = lambda *a: subprocess.run([sys.executable, "-m", "exactmem.cli", *a], capture_output=True, text=True,
                                    cwd=tmp_path)
    r = run("build", "ysj19-cor4.2", "--data", str(data), "--classes", "2", "-o", "c.json", "-q")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "general position" in r.stderr
    r = run("build", "ysj19-cor4.2", "--data", str(data), "--classes", "2", "--perturb", "1/1000",
            "--general-position", "full", "-o", "c.json", "-q")
    assert r.returncode == 0, r.stderr
    cert = json.loads((tmp_path / "c.json").read_text())
    assert cert["recipe"]["options"] == {"general_position": "full", "perturb": "1/1000"}
    assert certificate_bytes(regenerate(cert)) == (tmp_path / "c.json").read_bytes()
    r = run("build", "zhang17", "--data", "random:n=4,d=1", "--perturb", "1/1000", "-o", "z.json")
    assert r.returncode == 5 and "general-position constructions" in r.stderr
