"""Loaders parse exactly and refuse bad data with a message naming the row."""

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from exactmem import data
from exactmem.errors import DataError, UsageError
from exactmem.rational import decode_int, decode_rat, encode_int, encode_rat, parse_literal


@given(st.integers(-2**300, 2**300))
def test_int_tokens_round_trip(v):
    s = encode_int(v)
    assert decode_int(s) == v
    assert s.startswith(("0x", "-0x")) == (abs(v) >= 2**53)


@given(st.fractions())
def test_rat_tokens_round_trip(q):
    assert decode_rat(encode_rat(q)) == q


@pytest.mark.parametrize("text,value", [("3", 3), ("-2.5", Fraction(-5, 2)), ("1e-3", Fraction(1, 1000)),
                                        ("1/3", Fraction(1, 3)), (" -4/6 ", Fraction(-2, 3)), ("0.1", Fraction(1, 10))])
def test_literals_are_exact(text, value):
    assert parse_literal(text) == value


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1/0", "abc", "1e99999", ""])
def test_bad_literals_refused(text):
    with pytest.raises(ValueError):
        parse_literal(text)


def test_csv_with_header(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("x1,x2,y\n1/3,-2.5,0.5\n0,1e-2,-1\n")
    ds = data.load(str(p))
    assert ds.points == ((Fraction(1, 3), Fraction(-5, 2)), (Fraction(0), Fraction(1, 100)))
    assert ds.labels == ((Fraction(1, 2),), (Fraction(-1),))


@pytest.mark.parametrize("body,match", [
    ("1,2,0\n1,2,1\n", "line 2: duplicate point .same as line 1"),
    ("1,2,0\n3,4,5,0\n", "line 2: 3 coordinates, expected 2"),
    ("1,nan,0\n", "line 1"),
    ("1,2,3\n4\n", "line 2: need at least one coordinate and a label"),
    ("", "empty dataset"),
])
def test_csv_errors_name_the_line(tmp_path, body, match):
    p = tmp_path / "d.csv"
    p.write_text(body)
    with pytest.raises(DataError, match=match):
        data.load(str(p))


def test_csv_classes(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("0,1\n1,3\n")
    ds = data.load(str(p), classes=3)
    assert ds.task == "classification" and ds.labels == (1, 3)
    with pytest.raises(DataError, match="outside 1..2"):
        data.load(str(p), classes=2)


def test_json_loader_exact_and_strict(tmp_path):
    p = tmp_path / "d.json"
    p.write_text('{"points": [["1/3", -2.5], [0.1, 2]], "labels": [1, "0.25"]}')
    ds = data.load(str(p))
    assert ds.points[1][0] == Fraction(1, 10)            # 0.1 is read as a decimal, not a double
    p.write_text('{"points": [[1], [2]], "labels": [1, 2], "task": "classification", "classes": 2}')
    assert data.load(str(p)).labels == (1, 2)
    p.write_text('{"points": [[1]], "points": [[2]], "labels": [0]}')
    with pytest.raises(DataError, match="duplicate key"):
        data.load(str(p))
    p.write_text('{"points": [[NaN]], "labels": [0]}')
    with pytest.raises(DataError, match="NaN"):
        data.load(str(p))


def test_npy_and_npz(tmp_path):
    X = np.array([[0.1, 2.0], [1.0, -3.5]])
    y = np.array([0.5, -0.25])
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    ds = data.load(str(tmp_path / "X.npy"))
    assert ds.points[0][0] == Fraction(0.1)              # the exact binary rational of the double
    assert ds.points[0][0] != Fraction(1, 10)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    assert data.load(str(tmp_path / "d.npz")).points == ds.points
    np.savez(tmp_path / "bad.npz", X=np.array([[np.inf, 1.0]]), y=np.array([0.0]))
    with pytest.raises(DataError, match="row 1"):
        data.load(str(tmp_path / "bad.npz"))


def test_unknown_inputs_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        data.load(str(tmp_path / "missing.csv"))
    with pytest.raises(UsageError, match="bad data spec item"):
        data.load("random:n=3,colour=blue")


@given(n=st.integers(1, 60), d=st.integers(1, 5), seed=st.integers(0, 10**6))
def test_random_data_is_deterministic_in_the_ball_and_separated(n, d, seed):
    a = data.random_dataset(n=n, d=d, seed=seed, bits=8)
    assert a == data.random_dataset(n=n, d=d, seed=seed, bits=8)
    assert a.validate().n == n
    assert a.max_sq_norm() <= 1
    r = a.radius_upper()
    # r - 2^-32 < sqrt(max_sq_norm): either it is negative (the origin alone: r = 0) or its
    # square is below max_sq_norm.
    below = r - Fraction(1, 2**32)
    assert r * r >= a.max_sq_norm() and (below < 0 or below * below < a.max_sq_norm())
    if n > 1:
        assert a.min_sq_distance() >= Fraction(1, 2**16)


def test_delta_separation_is_enforced():
    ds = data.load("random:n=30,d=2,seed=3,delta=1/10")
    assert ds.min_sq_distance() >= Fraction(1, 100)


@given(st.lists(st.tuples(st.fractions(max_denominator=50), st.fractions(max_denominator=50)),
                min_size=2, max_size=30, unique=True))
def test_min_distance_matches_brute_force(points):
    brute = min(sum((a - b) ** 2 for a, b in zip(p, q)) for i, p in enumerate(points) for q in points[i + 1:])
    assert data.min_sq_distance(points) == brute
    assert data._closest_pair_sq(data._integer_points(points)[0]) == brute * data._integer_points(points)[1] ** 2


def test_dataset_digest_changes_with_any_label():
    a = data.random_dataset(n=5, d=2, seed=1)
    labels = list(a.labels)
    labels[3] = (labels[3][0] / 2,) if labels[3][0] else (Fraction(1, 3),)
    b = data.Dataset(a.points, tuple(labels))
    assert a.digest() != b.digest()
    assert json.loads(data.canonical_bytes(a.body())) == a.body()


def test_an_external_data_file_can_be_read_back_as_data(tmp_path):
    """Certificates' sibling data files write big integers in hex; the JSON loader reads them."""
    from exactmem.data import Dataset, canonical_bytes
    big = Fraction(2**80 + 1, 3)
    ds = Dataset(((big, Fraction(1)), (Fraction(0), Fraction(-1, 2))), ((Fraction(1, 2),), (Fraction(-1),))).validate()
    p = tmp_path / "x.data.json"
    p.write_bytes(canonical_bytes(ds.body()))
    assert data.load(str(p)).points == ds.points


def test_int_coordinates_become_fractions_and_floats_are_refused():
    # An int point would turn x / 2 into a float inside a construction; a float is never exact.
    from fractions import Fraction as F

    from exactmem.data import Dataset
    from exactmem.errors import DataError
    ds = Dataset(((0, 1), (2, 3)), ((1,), (0,)))
    assert all(type(v) is F for p in ds.points for v in p) and all(type(v) is F for y in ds.labels for v in y)
    for bad in (((0.5, 1),), ((True, 1),), (("1", 1),)):
        with pytest.raises(DataError, match="exact data"):
            Dataset(bad, ((1,),))
    with pytest.raises(DataError, match="label coordinate"):
        Dataset(((F(0),),), ((0.25,),))


# ---------------------------------------------------------------------------------------------
# Edges of the data layer: class labels C and C + 1, duplicates at any distance

@pytest.mark.parametrize("C", [1, 2, 5])
@pytest.mark.parametrize("loader", ["csv", "json", "dataset"])
def test_class_labels_reach_C_but_not_C_plus_1(tmp_path, C, loader):
    """Labels 1..C are accepted with classes=C (the top label C included); one label C + 1 anywhere (or 0)
    is refused with DataError naming its row."""
    def load(labels):
        pts = [(i, 2 * i) for i in range(len(labels))]
        if loader == "csv":
            p = tmp_path / "d.csv"
            p.write_text("".join(f"{x},{y},{c}\n" for (x, y), c in zip(pts, labels)))
            return data.load(str(p), classes=C)
        if loader == "json":
            p = tmp_path / "d.json"
            p.write_text(json.dumps({"points": [list(q) for q in pts], "labels": labels,
                                     "task": "classification", "classes": C}))
            return data.load(str(p))
        return data.Dataset(tuple((Fraction(x), Fraction(y)) for x, y in pts), tuple(labels),
                            "classification", C).validate()

    top = [1 + i % C for i in range(7)]
    top[4] = C
    assert load(top).labels == tuple(top) and max(load(top).labels) == C
    for row, bad in ((5, C + 1), (7, C + 1), (1, 0)):
        labels = list(top)
        labels[row - 1] = bad
        word = "line" if loader == "csv" else "row"   # a CSV file names its own lines (no header here)
        with pytest.raises(DataError, match=f"{word} {row}: .*{bad}.*outside 1..{C}"):
            load(labels)


N_DUP = 12


@pytest.mark.parametrize("i,j", [(1, 2), (1, N_DUP), (3, 9), (N_DUP - 1, N_DUP), (2, 11)])
@pytest.mark.parametrize("loader", ["csv", "json", "npy", "dataset"])
def test_duplicates_are_refused_at_any_distance(tmp_path, i, j, loader):
    """Row j repeats row i (1-based, i < j), written in another exact spelling where the format allows:
    refused wherever the two rows are, naming both; the same file without the repeat loads."""
    pts = [(Fraction(k, 3), Fraction(-k * k, 7)) for k in range(N_DUP)]

    def load(points):
        labels = [Fraction(k % 3 - 1) for k in range(N_DUP)]
        if loader == "csv":
            p = tmp_path / "d.csv"
            rows = []
            for k, (x, y) in enumerate(points):
                if k == j - 1 and (x, y) == points[i - 1]:       # the same number, spelled differently
                    rows.append(f"{2 * x.numerator}/{2 * x.denominator},{3 * y.numerator}/{3 * y.denominator}")
                else:
                    rows.append(f"{x},{y}")
            p.write_text("".join(f"{r},{lab}\n" for r, lab in zip(rows, labels)))
            return data.load(str(p))
        if loader == "json":
            p = tmp_path / "d.json"
            p.write_text(json.dumps({"points": [[str(x), str(y)] for x, y in points],
                                     "labels": [str(v) for v in labels]}))
            return data.load(str(p))
        if loader == "npy":
            np.save(tmp_path / "X.npy", np.array([[float(k), float(-k * k)] for k in range(N_DUP)]
                                                 if points is pts else
                                                 [[float(k if k != j - 1 else i - 1), float(-(k if k != j - 1 else i - 1) ** 2)]
                                                  for k in range(N_DUP)]))
            np.save(tmp_path / "y.npy", np.array([float(v) for v in labels]))
            return data.load(str(tmp_path / "X.npy"))
        return data.Dataset(tuple(points), tuple((v,) for v in labels)).validate()

    assert load(pts).n == N_DUP
    dup = list(pts)
    dup[j - 1] = pts[i - 1]
    word = "line" if loader == "csv" else "row"       # a CSV file names its own lines (no header here)
    with pytest.raises(DataError, match=rf"{word} {j}: duplicate point \(same as {word} {i}\)"):
        load(dup)


def test_numpy_integers_and_rationals_are_exact_data():
    """numpy's integer scalars (coordinates and class labels) are exact integers; floats are refused."""
    from exactmem.data import Dataset
    ds = Dataset(points=((np.int64(1), np.int32(-2)), (Fraction(1, 3), 5)), labels=(np.int64(2), 1),
                 task="classification", classes=2)
    ds.validate()
    assert ds.points == ((Fraction(1), Fraction(-2)), (Fraction(1, 3), Fraction(5)))
    assert ds.labels == (2, 1) and all(type(c) is int for c in ds.labels)
    assert all(type(v) is Fraction for p in ds.points for v in p)
    for bad in (np.float64(1.0), 0.5, np.True_):
        with pytest.raises(DataError):
            Dataset(points=((bad, 1),), labels=((Fraction(1),),))


def test_csv_errors_name_the_files_own_lines(tmp_path):
    """With a header and blank lines, a CSV error names the line of the file, not the data row."""
    p = tmp_path / "d.csv"
    p.write_text("x1,x2,y\n\n0,1,1/2\n1,0,-1/2\n\n0,1,0\n")
    with pytest.raises(DataError, match=r"d\.csv: line 6: duplicate point \(same as line 3\)"):
        data.load_csv(p)
    p.write_text("x1,x2,y\n0,1,1/2\n\n1,abc,0\n")
    with pytest.raises(DataError, match=r"d\.csv: line 4: not an exact number"):
        data.load_csv(p)
    p.write_text("x1,x2,species\n0,1,setosa\n1,1,\n")     # a missing label is not a class name
    with pytest.raises(DataError, match=r"d\.csv: line 3: empty label"):
        data.load_csv(p)
    p.write_text("x1,x2,species\n0,1,setosa\n")          # text labels: the count must agree with --classes
    with pytest.raises(DataError, match=r"the labels name 1 classes \(setosa\), but --classes says 3"):
        data.load_csv(p, classes=3)


def test_text_labels_are_classes_in_sorted_order(tmp_path, checker):
    """Text class labels (CSV and JSON) become the classes 1..C in sorted order of the names, the
    names are recorded in the certificate's info, and the certificate verifies and regenerates."""
    import json as _json
    from conftest import verify_certificate
    from exactmem.pipeline import certify, regenerate
    rows = [((0, 0), "setosa"), ((1, 0), "virginica"), ((0, 1), "versicolor"), ((1, 1), "setosa"), ((2, 1), "Zebra")]
    names = sorted({name for _, name in rows})                     # the oracle: Python's own string order
    assert names == ["Zebra", "setosa", "versicolor", "virginica"]
    csv_file = tmp_path / "named.csv"
    csv_file.write_text("x,y,label\n" + "".join(f"{x},{y},{name}\n" for (x, y), name in rows))
    json_file = tmp_path / "named.json"
    json_file.write_text(_json.dumps({"points": [[str(x), str(y)] for (x, y), _ in rows],
                                      "labels": [name for _, name in rows]}))
    for path in (csv_file, json_file):
        ds = data.load(str(path))
        assert ds.task == "classification" and ds.classes == 4 and ds.class_names == tuple(names)
        assert list(ds.labels) == [names.index(name) + 1 for _, name in rows]
    cert = certify("zhang17", str(csv_file))
    assert cert["info"]["class_names"] == names and cert["dataset"]["inline"]["classes"] == 4
    verify_certificate(checker, tmp_path, cert)
    assert regenerate(cert) == cert


@given(st.one_of(st.integers(-5, 5000).map(Fraction), st.fractions(), st.integers(-2**80, 2**80).map(Fraction)))
def test_shared_small_tokens_are_the_canonical_tokens(v):
    """The dataset body shares the tokens of 0..4095 (memory at dx = 3072); every coordinate's
    token is still encode_rat's, and decodes back to the value."""
    token = data._coordinate_token(v)
    assert token == encode_rat(v) and decode_rat(token) == v


def test_body_tokens_are_shared_and_the_digest_is_computed_once():
    ds = data.Dataset(((Fraction(7), Fraction(1, 2)), (Fraction(4095), Fraction(4096))), (1, 2),
                      "classification", 2).validate()
    body = ds.body()
    assert body["points"] == [["7", "1/2"], ["4095", "4096"]]
    assert body["points"][0][0] is data.Dataset(((Fraction(7),),), (1,), "classification", 1).body()["points"][0][0]
    expected = __import__("hashlib").sha256(data.canonical_bytes(body)).hexdigest()
    assert ds.digest() == expected and ds.__dict__["_digest"] == expected


@given(st.lists(st.fractions(min_value=-3, max_value=5000, max_denominator=4), min_size=1, max_size=6))
def test_row_tokens_and_point_keys_agree_with_the_general_forms(row):
    """A row of pixels is encoded at once; any row gets encode_rat's tokens. Two points have
    equal keys exactly when they are equal."""
    assert data._row_tokens(tuple(row)) == [encode_rat(v) for v in row]
    other = tuple(v + Fraction(1, 2) if i == 0 else v for i, v in enumerate(row))
    assert (data.point_key(tuple(row)) == data.point_key(other)) == (tuple(row) == other)
    assert data.point_key(tuple(row)) == data.point_key(tuple(Fraction(v) for v in row))


def test_small_integer_coordinates_share_one_object_per_value(tmp_path):
    """Pixels 0..4095 from a file or a list become shared Fractions (memory at dx = 3072); the
    values are unchanged, and other numbers are left alone."""
    X = np.array([[0, 255, 4095], [4096, 7, 255]], dtype=np.int64)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", np.array([1, 2]))
    ds = data.load(str(tmp_path / "X.npy"), classes=2)
    assert ds.points == ((0, 255, 4095), (4096, 7, 255))
    assert ds.points[0][1] is ds.points[1][2] and ds.points[0][1] is data.small_shared(Fraction(255))
    assert data.small_shared(Fraction(4096)) is not data.small_shared(Fraction(4096))
    assert data.small_shared(Fraction(-1)) == -1 and data.small_shared(Fraction(1, 2)) == Fraction(1, 2)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=25)


@given(json_values)
def test_canonical_chunks_join_to_the_canonical_bytes(obj):
    """The pieces a certificate is hashed and written in are json.dumps' canonical bytes, split
    (an independent oracle: the standard library's one-shot encoder)."""
    from exactmem.data import canonical_chunks
    expected = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert b"".join(canonical_chunks(obj)) == expected
