"""YY26 (our family YY-R, docs/yy26.md): the planner's networks memorize random class datasets at every
target width, meet the depth/width formulas and the proved bounds, their certificates pass the
independent checker (and tampered ones do not), and impossible requests are refused with numbers."""

import json
import math
from fractions import Fraction

import pytest
from hypothesis import example, given, settings, strategies as st

from exactmem.certificate import certificate_bytes
from exactmem.cli import main
from exactmem.constructions import yy26
from exactmem.constructions.stage_one import stage1_projection
from exactmem.data import Dataset, random_dataset
from exactmem.engine import forward
from exactmem.errors import ConstructionError, DataError
from exactmem.pipeline import certify_dataset

import oracles as O
from conftest import run_checker_inprocess, verify_certificate
from strategies import coordinate


@st.composite
def grid_data(draw, max_n=150, max_d=5, min_c=2, max_c=20):
    """N distinct points of the grid 2^-bits Z^d in [-1, 1]^d, labels 1..C."""
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    bits = draw(st.integers(8 if d == 1 else 3, 14))
    q = 1 << bits
    coord = st.integers(-q, q).map(lambda k: Fraction(k, q))
    pts = draw(st.lists(st.tuples(*[coord] * d), min_size=n, max_size=n, unique=True))
    c = draw(st.integers(min_c, max_c))
    labels = draw(st.lists(st.integers(1, c), min_size=n, max_size=n))
    return Dataset(tuple(pts), tuple(labels), "classification", c).validate()


@st.composite
def wild_data(draw, max_n=25):
    """Few points with huge numerators/denominators, far outside the unit ball."""
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, 3))
    pts = draw(st.lists(st.tuples(*[coordinate] * d), min_size=n, max_size=n, unique=True))
    c = draw(st.integers(1, 20))
    labels = draw(st.lists(st.integers(1, c), min_size=n, max_size=n))
    return Dataset(tuple(pts), tuple(labels), "classification", c).validate()


def verify(checker, folder, cert):
    return verify_certificate(checker, folder, cert)


def sorted_points(ds, seed=0, direction=None):
    w, b, z, _ = stage1_projection(ds, seed, direction)
    order = sorted(range(ds.n), key=z.__getitem__)
    pts = [(z[i], math.floor(z[i]), ds.labels[i]) for i in order]
    rho = max(1, pts[-1][1].bit_length())
    return w, b, pts, rho


REACHED = set()     # layouts reached by the tests here: "D", "S" (G >= 2), "S3" (the depth-3 member), "2"


def _line(n, C):
    return Dataset(tuple((Fraction(i, 128),) for i in range(n)), tuple(1 + i % C for i in range(n)),
                   "classification", C).validate()


def independent_F(ds, seed=0, direction=None):
    """F = rho + lambda from Stage I's values z (docs/yy26.md), recomputed here: the keys floor(z) are
    >= 0 and pairwise >= 2 apart, rho is the largest key's bit length, lambda = bit_length(C)."""
    _, _, z, _ = stage1_projection(ds, seed, direction)
    keys = sorted(math.floor(t) for t in z)
    assert keys[0] >= 0 and all(b - a >= 2 for a, b in zip(keys, keys[1:]))
    rho, lam = O.key_sizes(z, ds.classes)
    return rho + lam


def check_planned(ds, built, W):
    """Depth against the reference planner (tests/oracles.py, written from docs/yy26.md), the mode among
    those attaining it, the layout formulas and Theorem R1's bounds."""
    net, info = built.network, built.info
    assert forward(net, ds.points) == ds.targets()
    F = independent_F(ds)
    assert info["F"] == F
    depth, modes = O.yy26_plan(ds.n, F, W)
    assert net.depth == depth and info["mode"] in modes, (W, depth, modes, info["mode"])
    REACHED.add("S3" if depth == 3 else info["mode"])
    assert net.width <= W
    c = info["config"]
    if info["mode"] == "D":     # docs: depth nb + r(F+1) + 2, m = ceil(N/(p r)), nb = ceil((m-1)/b2)
        p, r, b2 = c["p"], c["r"], c["b2"]
        assert 1 <= p <= (W - 2) // 6 and b2 == (W - 1 - p) // 2
        nb = -(-(-(-ds.n // (p * r)) - 1) // b2)
        assert net.depth == nb + r * (F + 1) + 2
    else:                       # docs: depth G + 2, G = ceil(N/(s m)); depth 3 iff W >= 2 ceil(sqrt N) - 1
        assert net.depth == -(-ds.n // (c["s"] * c["m"])) + 2
        assert (net.depth == 3) == (W >= 2 * math.isqrt(ds.n - 1) + 1 if ds.n > 1 else True)
    # Theorem R1.1 / R1.2 as proved in docs/yy26.md (also claimed in the certificate).
    if W >= 8:                  # L < 2 sqrt(N(F+1)/(p b2)) + F + 4, squared in integers
        p = (W - 2) // 6
        b2 = (W - 1 - p) // 2
        assert net.depth < F + 4 or p * b2 * (net.depth - F - 4) ** 2 < 4 * ds.n * (F + 1)
    if W >= 7:
        assert (net.depth - 3) * (W - 6) * (W - 5) < 16 * ds.n
    if info["mode"] == "S":     # no big integers after layer 1: rho + lambda + 3 bits, +1 convention
        assert max(net.sizes()["layer_bits"][1:]) <= F + 4


@settings(max_examples=25)
@given(ds=grid_data(), data=st.data())
def test_every_width_memorizes_and_verifies(checker, tmp_path_factory, ds, data):
    c = math.isqrt(ds.n - 1) + 1 if ds.n > 1 else 1
    W0 = O.yy26_min_width(ds.n)
    W = data.draw(st.one_of(st.integers(W0, 2 * c + 2), st.sampled_from([8, 12, 16, 24])
                            .filter(lambda w: w >= W0)), label="W")
    built = yy26.theorem_r1(ds, width=W)
    check_planned(ds, built, W)
    out = verify(checker, tmp_path_factory.mktemp("w"), certify_dataset("yy26", ds, {"width": W}))
    assert "claim width-target" in out and "claim depth-layout" in out


@pytest.mark.parametrize("spec,widths", [
    ("random:n=200,d=1,classes=20,bits=10,seed=4", (8, 13, 20, 29)),        # D with p = 1 and 2 lanes, S, depth 3
    ("random:n=150,d=5,classes=2,seed=5", (9, 14, 26)),
    ("random:n=180,d=3,classes=7,seed=6", (7, 8, 27)),
])
def test_larger_datasets_at_several_widths(checker, tmp_path_factory, spec, widths):
    from exactmem.data import load
    ds = load(spec)
    modes = set()
    for W in widths:
        built = yy26.theorem_r1(ds, width=W)
        check_planned(ds, built, W)
        modes.add(built.info["mode"])
        verify(checker, tmp_path_factory.mktemp("big"), certify_dataset("yy26", ds, {"width": W}))
    assert modes == {"D", "S"}


@settings(max_examples=12)
@given(ds=wild_data(), extra=st.integers(0, 6))
def test_wild_coordinates(checker, tmp_path_factory, ds, extra):
    W = O.yy26_min_width(ds.n) + extra
    check_planned(ds, yy26.theorem_r1(ds, width=W), W)
    verify(checker, tmp_path_factory.mktemp("x"), certify_dataset("yy26", ds, {"width": W}))


@settings(max_examples=12)
@given(ds=grid_data(max_n=80, max_d=3), L=st.integers(2, 60))
@example(ds=_line(80, 3), L=2)          # the depth-2 member
@example(ds=_line(80, 3), L=3)          # the depth-3 member (Mode S, G = 1)
@example(ds=_line(80, 3), L=20)         # Mode S, G >= 2
@example(ds=_line(80, 3), L=40)         # Mode D
def test_depth_budget_gives_the_least_width(checker, tmp_path_factory, ds, L):
    built = yy26.theorem_r1(ds, depth=L)
    net, info = built.network, built.info
    assert forward(net, ds.points) == ds.targets()
    assert net.depth <= L
    W = info["target_width"]
    if L >= 3:
        F = independent_F(ds)
        assert W == O.yy26_least_width(ds.n, F, L)
        depth, modes = O.yy26_plan(ds.n, F, W)
        assert net.depth == depth and net.width <= W and info["mode"] in modes
        REACHED.add("S3" if depth == 3 else info["mode"])
    else:
        REACHED.add("2")
        assert net.depth == 2 and net.width == max(1, 2 * (ds.n - 1))
    verify(checker, tmp_path_factory.mktemp("l"), certify_dataset("yy26", ds, {"depth": L}))


def test_every_layout_was_reached(checker, tmp_path_factory):
    """The depth-budget property test's explicit examples reach all four layouts (by the reference
    planner's reckoning); run on its own, this test runs that property test first."""
    if not {"2", "S3", "S", "D"} <= REACHED:
        test_depth_budget_gives_the_least_width(checker=checker, tmp_path_factory=tmp_path_factory)
    assert {"2", "S3", "S", "D"} <= REACHED, REACHED


@settings(max_examples=30)
@given(ds=grid_data(max_n=120, max_d=3, min_c=1), p=st.integers(1, 5), r=st.integers(1, 6), b2=st.integers(1, 9))
def test_mode_d_every_configuration(ds, p, r, b2):
    """Forced Mode D: several lanes and rounds, several Stage II batches, short last blocks."""
    w, b, pts, rho = sorted_points(ds)
    network = yy26.build_mode_d(ds.d, w, b, pts, p, r, b2, ds.classes, rho)
    assert forward(network, ds.points) == ds.targets()
    F = rho + ds.classes.bit_length()
    m = -(-ds.n // (p * r))
    nb = -(-(m - 1) // b2)
    assert network.depth == nb + r * (F + 1) + 2
    assert network.width <= max(1 + 2 * b2 if nb else 0, 1 + p + 2 * b2 if nb >= 2 else 0, 1 + 3 * p, 2 + 6 * p)


@settings(max_examples=30)
@given(ds=grid_data(max_n=120, max_d=3, min_c=1), s=st.integers(1, 12), m=st.integers(1, 12))
def test_mode_s_every_configuration(ds, s, m):
    """Forced Mode S: G >= 2 groups with short last groups and blocks, and G = 1."""
    w, b, pts, _ = sorted_points(ds)
    network = yy26.build_mode_s(ds.d, w, b, pts, s, m, ds.classes)
    assert forward(network, ds.points) == ds.targets()
    G = -(-ds.n // (s * m))
    assert network.depth == G + 2
    assert network.width <= (max(2 * m - 1, 2 * s - 1) if G == 1 else 2 * s + 2 * m + 3)


def worked_example():
    """docs/yy26.md's worked example: VYS21's eight points scaled by 1/2, labels 1 2 3 1 2 3 1 2, C = 3."""
    F = Fraction
    pts = [(0, 0), (1, 0), (0, 1), (1, 1), (-1, F(1, 3)), (F(1, 2), -1), (-1, -1), (F(-1, 3), F(-1, 2))]
    return Dataset(tuple(tuple(F(v) / 2 for v in p) for p in pts), (1, 2, 3, 1, 2, 3, 1, 2),
                   "classification", 3).validate()


def test_worked_example():
    ds = worked_example()
    built = yy26.theorem_r1(ds, width=5, direction=[2, 3])
    net = built.network
    assert built.info["stage1"]["z_max"] == "160" and (built.info["rho"], built.info["F"]) == (8, 10)
    assert (built.info["mode"], built.info["config"]) == ("S", {"s": 3, "m": 3, "G": 1})
    # depth 3, width 5, dense 51, nonzero 49; 9-bit integers count as 10 bits in our convention
    assert (net.depth, net.width, net.params_dense, net.params_nonzero, net.bit_complexity) == (3, 5, 51, 49, 10)
    L2 = net.layers[1]                                             # the ramp layer, row by row
    row = {name: [Fraction(v, den) for v in ws] + [Fraction(bb, den)]
           for name, ws, bb, den in zip(["n0", "a1", "b1", "a2", "b2"], L2.weights, L2.bias, L2.dens)}
    assert row["a1"] == [6, -384, 384, -384, 384, -9] and row["b2"] == [6, -210, 210, 490, -490, -280]
    w, b, pts, rho = sorted_points(ds, direction=[2, 3])
    assert (w, b) == ([64, 96], 80)
    for (p, r, b2), sizes in {(1, 1, 3): (16, 8, 455, 219), (1, 1, 5): (15, 11, 447, 224),
                              (2, 1, 6): (14, 11, 1034, 362)}.items():      # Mode D on the same points
        got = yy26.build_mode_d(2, [64, 96], 80, pts, p, r, b2, 3, rho)
        assert (got.depth, got.width, got.params_dense, got.params_nonzero) == sizes
        assert forward(got, ds.points) == ds.targets()


def test_planner_table_at_a_million_points():
    """docs/yy26.md's planner table (N = 10^6, F = 24, L_min at d = 2), and depth 3 from 2 ceil(sqrt N) - 1."""
    rows = {12: (4474, 250002, 115.3), 16: (2889, 111114, 75.1), 64: (623, 4447, 61.6),
            256: (152, 254, 60.1), 512: (80, 65, 44.1), 2001: (31, 3, 1.4)}
    for W, (LD, LS, ratio) in rows.items():
        pl = yy26.plan(10**6, 24, W)
        assert (yy26.plan_d(10**6, 24, W).depth, yy26.plan_s(10**6, W).depth) == (LD, LS)
        assert round(pl.width ** 2 * pl.depth ** 2 / (10**6 * 25), 1) == ratio
    assert [yy26.depth_lower_bound(10**6, 2, W) for W in (12, 16, 24, 32, 48, 64, 96, 128, 192)] == \
        [26, 21, 14, 11, 8, 7, 5, 4, 3]
    for n, W3 in ((10**3, 63), (10**4, 199), (10**5, 633), (10**6, 1999)):
        assert yy26.plan_s(n, W3).depth == 3 and yy26.plan_s(n, W3 - 1).depth > 3
    # N = 200: s = 14, m = 15 (depth 3); N = 400, W = 32: s = 5, m = 9 (ties to the smaller s)
    assert yy26.plan_s(200, 29).cfg == {"s": 14, "m": 15, "G": 1}
    assert yy26.plan_s(400, 32).cfg == {"s": 5, "m": 9, "G": 9}


def test_log2_inv_delta_floor_is_exact():
    for k in (-1, 0, 1, 7, 200):
        for sq in (Fraction(1, 4 ** k) if k >= 0 else Fraction(4), ):
            assert yy26.log2_inv_delta_floor(sq) == k                          # delta = 2^-k exactly
            assert yy26.log2_inv_delta_floor(sq * Fraction(99, 100)) == k      # a bit closer
            assert yy26.log2_inv_delta_floor(sq * Fraction(101, 100)) == k - 1  # a bit farther


def test_tiny_delta_depth3_member_is_delta_free(checker, tmp_path):
    """delta = 2^-200: the depth-3 member's W^2 L^2 is 0.18 N log2(1/delta); the checker certifies
    delta <= 2^-200 and the ratio bracket from its own exact minimum distance."""
    from exactmem.studies.tradeoff import tiny_delta_dataset

    ds = tiny_delta_dataset(n=200, d=2, classes=5, seed=3)
    assert ds.min_sq_distance() == Fraction(1, 4 ** 200)
    cert = certify_dataset("yy26", ds, {"depth": 3})
    claims = {c["id"]: c for c in cert["claims"]}
    assert cert["sizes"]["depth"] == 3 and cert["sizes"]["width"] == 2 * 15 - 1
    assert claims["log2-inv-delta-lo"]["statement"] == f"min_sq_dist_num * {4 ** 200} <= min_sq_dist_den"
    assert claims["ratio-delta-upper"]["statement"] == "100 * width * width * depth * depth <= 19 * N * 200"
    verify(checker, tmp_path, cert)
    # The same network shape at delta = 2^-60: W^2 L^2 does not depend on delta.
    ds60 = tiny_delta_dataset(n=200, d=2, classes=5, seed=3, log2_inv_delta=60)
    b60 = yy26.theorem_r1(ds60, depth=3)
    assert (b60.network.width, b60.network.depth) == (29, 3)


def tampered(cert, edit):
    c = json.loads(json.dumps(cert))
    edit(c)
    return c


def rehash(checker, cert):
    import hashlib
    body = {k: v for k, v in cert.items() if k != "certificate_sha256"}
    cert["certificate_sha256"] = hashlib.sha256(checker.canonical(body)).hexdigest()
    return cert


def swap_register_steps(c):
    """Layer 2 row 1 is lane 0's register U = u_1 + sum_j (u_{j+1} - u_j)(h_j1 - h_j2): swap the
    coefficients of h_01 and h_11, so block 2's points read a wrong register."""
    row = c["network"]["layers"][1]["weights"][1]
    assert row[1] != row[3] and row[1] != "0"
    row[1], row[3] = row[3], row[1]


def test_tampering_is_rejected(checker, tmp_path):
    ds = random_dataset(n=40, d=2, classes=4, seed=7)
    cert = certify_dataset("yy26", ds, {"width": 8})
    assert cert["info"]["mode"] == "D"

    def run(c):
        p = tmp_path / "t.json"
        p.write_bytes(certificate_bytes(c))
        return run_checker_inprocess(checker, p, "-q")

    assert run(cert)[0] == 0

    def claim(cid):
        return lambda c: next(x for x in c["claims"] if x["id"] == cid)

    def restate(cid, statement, lhs, rhs):
        def edit(c):
            x = claim(cid)(c)
            x["statement"], x["lhs"], x["rhs"] = statement, lhs, rhs
        return edit

    k = cert["info"]["log2_inv_delta_floor"]
    W, L = cert["sizes"]["width"], cert["sizes"]["depth"]
    cases = [
        # a tighter width than measured, recorded values made consistent: false
        (restate("width-target", f"width <= {W - 1}", str(W), str(W - 1)), "is false"),
        # claim a smaller delta than the data has: the checker's own min distance says no
        (restate("log2-inv-delta-lo", f"min_sq_dist_num * {4 ** (k + 1)} <= min_sq_dist_den",
                 claim("log2-inv-delta-hi")(cert)["lhs"], claim("log2-inv-delta-lo")(cert)["rhs"]), "is false"),
        # a recorded lhs that the checker does not recompute
        (lambda c: claim("log2-inv-delta-lo")(c).update(lhs="1"), "recomputed"),
        # the ratio bracket made tighter than the measured W^2 L^2 allows
        (restate("ratio-delta-upper", f"100 * width * width * depth * depth <= 1 * N * {k}",
                 str(100 * W * W * L * L), str(ds.n * k)), "is false"),
        # two big register differences of the Stage II lookup swapped (sizes unchanged)
        (swap_register_steps, "s REJECTED point"),
    ]
    for edit, needle in cases:
        code, out = run(rehash(checker, tampered(cert, edit)))
        assert code == 1 and needle in out, out
    # a point moved closer to another: the dataset digest, then (rehashed) the forward pass or a claim
    def move(c):
        pts = c["dataset"]["inline"]["points"]
        pts[1] = list(pts[0])
    code, out = run(rehash(checker, tampered(cert, move)))
    assert code == 1 and "dataset sha256 mismatch" in out


def test_refusals_name_the_numbers():
    ds = random_dataset(n=100, d=2, classes=3, seed=1)
    with pytest.raises(ConstructionError, match=r"W = 6 is below the minimum width 7 for N = 100.*= 19"):
        yy26.theorem_r1(ds, width=6)
    with pytest.raises(ConstructionError, match=r"L = 10 is below the minimum depth 27 at width W = 12 "
                                                r"\(Mode D: \d+, Mode S: 27.*least width with depth <= 10 is \d+"):
        yy26.theorem_r1(ds, width=12, depth=10)
    with pytest.raises(ConstructionError, match="L = 1 is too small"):
        yy26.theorem_r1(ds, depth=1)
    with pytest.raises(ConstructionError, match=r"L = 2 needs width >= 2\(N-1\) = 198"):
        yy26.theorem_r1(ds, width=50, depth=2)
    with pytest.raises(ConstructionError, match="needs a target --width"):
        yy26.theorem_r1(ds)
    with pytest.raises(ConstructionError, match="positive integer"):
        yy26.theorem_r1(ds, width=0)
    with pytest.raises(DataError, match="class labels"):
        yy26.theorem_r1(Dataset(((Fraction(0),), (Fraction(1),)), ((Fraction(1),), (Fraction(0),))).validate(),
                        width=12)
    small = random_dataset(n=9, d=1, classes=2, seed=0)                 # depth 3 from width 5 < 7
    assert yy26.theorem_r1(small, width=5).network.depth == 3
    with pytest.raises(ConstructionError, match="minimum width 5 for N = 9"):
        yy26.theorem_r1(small, width=4)
    assert yy26.theorem_r1(random_dataset(n=2, d=1, classes=2, seed=0), width=2, depth=2).network.width == 2


@pytest.mark.parametrize("x,label,C", [(Fraction(0), 1, 1), (Fraction(1, 4679), 3, 5)])
def test_one_point(x, label, C):
    one = Dataset(((x,),), (label,), "classification", C).validate()
    for opts in ({"width": 1}, {"width": 12}, {"depth": 2}, {"depth": 3}):
        assert forward(yy26.theorem_r1(one, **opts).network, one.points) == [(Fraction(label),)]


def test_cli_build_and_tradeoff(tmp_path, capsys):
    out = tmp_path / "y.json"
    assert main(["build", "yy26", "--data", "random:n=30,d=2,classes=3,seed=1", "--width", "8", "-o", str(out),
                 "-q"]) == 0
    cert = json.loads(out.read_text())
    assert cert["construction"]["params"]["width"] == 8 and cert["sizes"]["width"] <= 8
    folder = tmp_path / "tr"
    assert main(["tradeoff", "--data", "random:n=30,d=2,classes=3,seed=1", "--widths", "6,8,11",
                 "--out", str(folder)]) == 0
    md = (folder / "tradeoff.md").read_text()
    assert "| 8 | D |" in md and "| 11 | S |" in md and "W = 6: refused" in md and "VERIFIED" in md
    assert (folder / "yy26-W11.json").exists()
    assert main(["tradeoff", "--out", str(folder)]) == 5
