"""`exactmem claims` end to end at the quick scale: every row filled from a real run, every
certificate VERIFIED by the independent checker, and every inequality recomputed here from the
paper's formulas (Fractions and integers written independently of exactmem.studies.paper_numbers)."""

import importlib.util
import json
import subprocess
import sys
from fractions import Fraction
from math import ceil, isqrt

import pytest
from hypothesis import given, strategies as st

from exactmem import geometry
from exactmem.cli import main

from conftest import ROOT, run_checker_inprocess

HAVE_SKLEARN = importlib.util.find_spec("sklearn") is not None      # in the test extra; digits rows need it

# The paper's numbers (YSJ19, sections 1 and 4), typed from the paper, not from the code.
PAPER_IMAGENET_N, PAPER_IMAGENET_C, PAPER_IMAGENET_WIDTHS = 10 ** 6, 1000, (2000, 2000, 4000)
PAPER_CIFAR_N, PAPER_CIFAR_DX, PAPER_CIFAR_C = 50_000, 3072, 10
PAPER_COR42_RELUS, PAPER_THM41_RELUS = 106, 126


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One quick run for the whole module: (exit code, rows by id, JSON stdout)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("claims")
    buf = io.StringIO()
    only = "imagenet,cifar,edges" + (",digits" if HAVE_SKLEARN else "")
    with contextlib.redirect_stdout(buf):
        code = main(["claims", "--scale", "quick", "--out", str(out), "--only", only, "--json", "-q"])
    doc = json.loads(buf.getvalue())
    return code, {r["id"]: r for r in doc["rows"]}, doc


def _cert(path):
    return json.loads(open(path, encoding="utf-8").read())


def _count_params(cert):
    """(dense, nonzero) weights + biases, counted from the certificate's network JSON."""
    dense = nonzero = 0
    for layer in cert["network"]["layers"]:
        maps = [layer["residual"]["inner"], layer["residual"]["outer"]] if "residual" in layer else [layer]
        for m in maps:
            for row, b in zip(m["weights"], m["bias"]):
                for tok in (*row, b):
                    dense += 1
                    nonzero += tok != "0"
    return dense, nonzero


def test_every_row_filled_and_every_certificate_verified(quick, checker):
    code, rows, doc = quick
    assert code == 0
    assert doc["scale"] == "quick"
    groups = {r.split("-")[0] for r in rows}
    assert groups == {"imagenet", "cifar", "edges"} | ({"digits"} if HAVE_SKLEARN else set())
    paths = []
    for r in rows.values():
        assert r["claim"] and r["paper"] and r["ours"] and r["certified"], r
        for d in (r["details"], r["details"].get("ysj", {}), r["details"].get("zhang", {})):
            if "path" in d:
                paths.append(d["path"])
                assert d["verdict"] == "VERIFIED" and d["exit"] == 0
                assert "VERIFIED" in r["certified"]
    assert len(paths) == 1 + 2 + 2 * 4 + 2 * HAVE_SKLEARN     # imagenet, cifar, edges (ysj + zhang), digits
    for p in paths:                      # the checker again, in this process
        c, out = run_checker_inprocess(checker, p)
        assert c == 0 and out.strip().splitlines()[-1].startswith("s VERIFIED"), (p, out)


def test_imagenet_inequality_recomputed(quick):
    r = quick[1]["imagenet-inequality"]["details"]
    d1, d2, d3 = PAPER_IMAGENET_WIDTHS
    assert r["widths"] == [d1, d2, d3]
    lhs = 4 * (d1 // 4) * (d2 // 4)
    assert lhs == r["lhs"] == PAPER_IMAGENET_N             # equality: the paper's instance is tight
    assert r["admissible"] is (lhs >= PAPER_IMAGENET_N and d3 >= 4 * PAPER_IMAGENET_C) is True
    assert r["admissible_d1_minus_4"] is False and r["lhs_d1_minus_4"] == 4 * ((d1 - 4) // 4) * (d2 // 4)


def test_imagenet_scaled_network_meets_prop32_from_its_certificate(quick):
    r = quick[1]["imagenet-scaled"]["details"]
    cert = _cert(r["path"])
    k = r["k"]
    d1, d2, d3 = cert["sizes"]["widths"]
    n, classes = cert["dataset"]["n"], cert["dataset"]["dy"]     # one-hot: dy = number of classes
    assert (n, classes) == (k * k, k) and (d1, d2, d3) == (2 * k, 2 * k, 4 * k)
    assert 4 * (d1 // 4) * (d2 // 4) >= n and d3 >= 4 * classes
    assert cert["sizes"]["depth"] == 4 and cert["construction"]["id"] == "ysj19-prop3.2"
    assert _count_params(cert) == (cert["sizes"]["params_dense"], cert["sizes"]["params_nonzero"])


def test_cifar_counts_recomputed(quick):
    rows = quick[1]
    least = ceil(Fraction(4 * PAPER_CIFAR_N, PAPER_CIFAR_DX) + 4 * PAPER_CIFAR_C)
    assert least == PAPER_COR42_RELUS == rows["cifar-cor4.2"]["details"]["least_width_paper_N"]
    total = ceil(Fraction(4 * PAPER_CIFAR_N, PAPER_CIFAR_DX) + 4 * PAPER_CIFAR_C) + 2 * PAPER_CIFAR_C
    assert total == PAPER_THM41_RELUS == rows["cifar-thm4.1"]["details"]["least_total_paper_N"]


def test_cifar_networks_from_their_certificates(quick):
    rows = quick[1]
    cor = _cert(rows["cifar-cor4.2"]["details"]["path"])
    n, dx, dy = cor["dataset"]["n"], cor["dataset"]["d"], cor["dataset"]["dy"]
    assert dy == PAPER_CIFAR_C and cor["sizes"]["depth"] == 2
    width = cor["sizes"]["widths"][0]
    assert width == ceil(Fraction(4 * n, dx) + 4 * dy)           # the least width the corollary allows
    pts = cor["dataset"]["inline"]["points"]
    assert all(tok.isdigit() and 0 <= int(tok) <= 255 for p in pts for tok in p)   # integer pixels
    thm = _cert(rows["cifar-thm4.1"]["details"]["path"])
    assert thm["dataset"]["sha256"] == cor["dataset"]["sha256"]   # the same data
    hidden = thm["sizes"]["hidden_neurons"]
    assert Fraction(hidden) <= Fraction(4 * n, dx) + 6 * dy
    assert thm["sizes"]["widths"][-1] >= 2 * dy


def test_edge_counts_recomputed(quick):
    for rid, r in quick[1].items():
        if not rid.startswith("edges-"):
            continue
        d = r["details"]
        n, dx = d["N"], d["dx"]
        ysj, zh = _cert(d["ysj"]["path"]), _cert(d["zhang"]["path"])
        assert (ysj["dataset"]["n"], ysj["dataset"]["d"]) == (n, dx)
        dense, nonzero = _count_params(ysj)
        assert (dense, nonzero) == (d["ysj_dense"], d["ysj_nonzero"])
        root = isqrt(n)
        if root * root == n and root % 2 == 0:       # default widths are 2 sqrt N: the paper's count, exactly
            assert ysj["sizes"]["widths"] == [2 * root, 2 * root]
            assert dense == 4 * n + (2 * dx + 6) * root + 1 == d["ysj_formula_lo"]
        assert nonzero <= dense
        zdense, znonzero = _count_params(zh)
        assert (zdense, znonzero) == (d["zhang_dense"], d["zhang_nonzero"])
        assert zdense == (dx + 1) * n + n + 1 and znonzero <= (dx + 2) * n == d["zhang_formula"]


def _rank(rows):
    """Rank of a rational matrix by plain Gaussian elimination (written here, not exactmem's)."""
    M = [[Fraction(v) for v in r] for r in rows]
    rank, col, ncols = 0, 0, len(M[0]) if M else 0
    while rank < len(M) and col < ncols:
        piv = next((i for i in range(rank, len(M)) if M[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        M[rank], M[piv] = M[piv], M[rank]
        for i in range(rank + 1, len(M)):
            f = M[i][col] / M[rank][col]
            if f:
                M[i] = [a - f * b for a, b in zip(M[i], M[rank])]
        rank += 1
        col += 1
    return rank


def test_digits_general_position_witness_is_real(quick):
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits

    d = quick[1]["digits-general-position"]["details"]
    X = load_digits().data[:d["N"]].astype(int).tolist()
    assert d["general_position"] is False
    assert d["zero_pixels"] == [k + 1 for k in range(64) if all(row[k] == 0 for row in X)]
    w = [i - 1 for i in d["witness_rows"]]
    assert 2 <= len(w) <= 65
    diffs = [[a - b for a, b in zip(X[i], X[w[0]])] for i in w[1:]]
    assert _rank(diffs) < len(w) - 1                          # affinely dependent, checked here
    assert d["affine_rank"] < 64
    for rid in ("digits-ysj19-prop3.2", "digits-zhang17"):
        cert = _cert(quick[1][rid]["details"]["path"])
        assert cert["dataset"]["n"] == d["N"] and cert["dataset"]["d"] == 64
    assert "digits-ysj19-cor4.2" not in quick[1]                  # not run: the assumption fails


def test_markdown_table_and_usage_errors(tmp_path, capsys):
    assert main(["claims", "--only", "imagenet", "--out", str(tmp_path), "--markdown", "-q"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("| claim | paper value | our value | certified?")
    assert len(lines) == 2 + 2 and "VERIFIED" in lines[-1]
    for args, needle in ((["claims", "--only", "nope"], "unknown row group"),
                         (["claims", "--scale", "huge"], "invalid choice")):
        done = subprocess.run([sys.executable, "-m", "exactmem.cli", *args], capture_output=True, text=True,
                              cwd=tmp_path)
        assert done.returncode == 5 and needle in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_missing_scikit_learn_is_one_line_exit_5(tmp_path):
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from exactmem.cli import main\n"
            f"sys.exit(main(['claims', '--only', 'digits', '--out', {str(tmp_path)!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 5, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "scikit-learn" in done.stderr and "pip install" in done.stderr and "Traceback" not in done.stderr


def test_default_out_is_a_temp_folder_that_is_removed(tmp_path, capsys, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["claims", "--only", "imagenet", "-q"]) == 0
    assert "deleted" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# The FLINT path of separating_hyperplane gives exactly the pure-Fraction answer

def _slow(points, group):
    mp = pytest.MonkeyPatch()
    mp.setattr(geometry, "separating_hyperplane_flint", lambda p, g: None)
    try:
        return geometry.separating_hyperplane(points, group)
    except Exception as e:                         # the same refusal, the same rows
        return type(e).__name__, str(e)
    finally:
        mp.undo()


@given(st.data())
def test_fast_hyperplane_equals_the_fraction_one(data):
    d = data.draw(st.integers(1, 5))
    coord = st.fractions(min_value=-3, max_value=3, max_denominator=3)
    pts = data.draw(st.lists(st.tuples(*[coord] * d), min_size=1, max_size=10, unique=True))
    r = data.draw(st.integers(1, min(d, len(pts))))
    group = data.draw(st.permutations(range(len(pts))))[:r]
    want = _slow(pts, list(group))
    try:
        got = geometry.separating_hyperplane(pts, list(group))
    except Exception as e:
        got = type(e).__name__, str(e)
    assert got == want and type(got[1]) is type(want[1])
    fast = geometry.separating_hyperplane_flint(pts, list(group))
    if fast is not None:
        a, c, offsets = fast
        assert all(sum(x * y for x, y in zip(a, pts[i])) == c for i in group)
        assert all(sum(x * y for x, y in zip(a, pts[j])) != c for j in range(len(pts)) if j not in group)
        # the offsets the margin reuses are a.x_j - c, recomputed here with Fractions
        assert offsets == [sum(x * y for x, y in zip(a, p)) - c for p in pts]
    if not isinstance(want[0], str):     # the slow path's offsets too
        mp = pytest.MonkeyPatch()
        mp.setattr(geometry, "separating_hyperplane_flint", lambda p, g: None)
        try:
            a, c, offsets = geometry.separating_hyperplane(pts, list(group), with_offsets=True)
        finally:
            mp.undo()
        assert (a, c) == tuple(want)
        assert offsets == [sum(x * y for x, y in zip(a, p)) - c for p in pts]


def _batched(points, groups):
    """What separating_hyperplanes yields, group by group, up to and including its first refusal."""
    out = []
    try:
        for a, c, offsets in geometry.separating_hyperplanes(points, groups):
            out.append((a, c, offsets))
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    return out


def _one_by_one(points, groups):
    """The Fraction search for each group (the oracle), with its offsets summed here."""
    out = []
    for g in groups:
        found = _slow(points, g)
        if isinstance(found[0], str):
            return out + [found]
        a, c = found
        out.append((a, c, [sum(x * y for x, y in zip(a, p)) - c for p in points]))
    return out


@given(st.data())
def test_batched_hyperplanes_equal_the_fraction_answer_group_by_group(data):
    d = data.draw(st.integers(1, 4))
    coord = st.fractions(min_value=-3, max_value=3, max_denominator=3)
    pts = data.draw(st.lists(st.tuples(*[coord] * d), min_size=1, max_size=9, unique=True))
    group = st.lists(st.integers(0, len(pts) - 1), min_size=1, max_size=d, unique=True)
    groups = data.draw(st.lists(group, min_size=1, max_size=4))
    assert _batched(pts, groups) == _one_by_one(pts, groups)


def test_hyperplanes_in_two_processes_are_the_same_and_stop_at_the_first_refusal():
    """Forked workers give the same hyperplanes as the Fraction search, the general search still
    takes the groups whose first candidate hits another point, and a refusal ends the batch."""
    import random

    rng = random.Random(7)
    pts = [tuple(Fraction(rng.randrange(-20, 21), rng.randrange(1, 5)) for _ in range(4)) for _ in range(30)]
    pts += [(Fraction(0), Fraction(1), Fraction(2), Fraction(3)), (Fraction(0), Fraction(5), Fraction(1), Fraction(1))]
    groups = [list(range(i, i + 4)) for i in range(0, 28, 4)] + [[30], [31, 2]]   # [30]: x_1 = 0 hits row 32
    bad = pts + [tuple(Fraction(v * t) for v in (1, 2, 0, 1)) for t in range(3)]    # rows 33-35 on one line
    bad_groups = [[0, 1, 2, 3], [32, 33], [4, 5, 6, 7]]
    with geometry.parallel(2):
        assert geometry.separating_hyperplane_flint(pts, [30]) is None        # the search's case is covered
        assert _batched(pts, groups) == _one_by_one(pts, groups)
        refused = _batched(bad, bad_groups)
    assert [len(r) for r in refused] == [3, 2] and refused[1][0] == "DataError"
    assert refused == _one_by_one(bad, bad_groups)
    assert geometry._FORKED == {}


def test_big_datasets_go_to_a_lines_file_and_workers_check_in_ranges(tmp_path, monkeypatch, capsys):
    """The paper scale writes a CIFAR-sized dataset as a lines file (format 1.4) and checks in
    ranges with --workers; here the size threshold is lowered so the quick rows take that path,
    and the independent checker verifies what was written."""
    from exactmem.studies import paper_numbers
    from conftest import load_checker
    monkeypatch.setattr(paper_numbers, "LINES_ABOVE", 0)
    assert main(["claims", "--scale", "quick", "--out", str(tmp_path), "--only", "cifar", "--workers", "2",
                 "--json", "-q"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["details"]["verdict"] for r in rows] == ["VERIFIED", "VERIFIED"]
    for r in rows:
        cert = json.loads(open(r["details"]["path"], "rb").read())
        assert cert["version"] == "1.4" and (tmp_path / cert["dataset"]["lines"]).is_file()
        code, out = run_checker_inprocess(load_checker(), r["details"]["path"])
        assert code == 0, out
    assert "paper" in paper_numbers.SCALES and paper_numbers.SCALES["paper"]["cifar_n"] == PAPER_CIFAR_N
