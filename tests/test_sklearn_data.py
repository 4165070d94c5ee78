"""``--data sklearn:NAME``: scikit-learn's bundled datasets, read exactly from its CSV files.

Oracles: scikit-learn's own loaders (``load_iris()`` and friends, float64 arrays), the shortest
decimal of each float64 (``repr``), and hand-written expectations for the specs and the CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from conftest import CHECKER

from exactmem import data, sklearn_data
from exactmem.cli import main
from exactmem.errors import DataError, UsageError

sk_datasets = pytest.importorskip("sklearn.datasets")

SETS = {"iris": (150, 4, 3), "wine": (178, 13, 3), "digits": (1797, 64, 10), "breast_cancer": (569, 30, 2)}


@pytest.fixture(scope="module")
def bunches():
    return {name: getattr(sk_datasets, f"load_{name}")() for name in SETS}


@pytest.mark.parametrize("name", SETS)
def test_every_value_is_the_exact_rational_behind_sklearns_float(name, bunches):
    """Each exact value rounds to scikit-learn's float64, and is the rational its shortest decimal
    spells (5.1 is 51/10, not the binary 5.0999...); labels are 1..C in sorted order."""
    rows = sklearn_data.load_rows(f"sklearn:{name}")
    X, y = bunches[name].data, bunches[name].target
    n, d, c = SETS[name]
    assert X.shape == (n, d) and len(rows.points) == n and {len(p) for p in rows.points} == {d}
    assert rows.classes == c == len(bunches[name].target_names)
    for p, xs in zip(rows.points, X.tolist()):
        assert all(type(v) is Fraction for v in p)
        assert [float(v) for v in p] == xs
        assert list(p) == [Fraction(repr(x)) for x in xs]
    order = sorted(set(y.tolist()))
    assert list(rows.labels) == [order.index(t) + 1 for t in y.tolist()]


def test_digits_are_the_integers_sklearn_has(bunches):
    ds = data.load("sklearn:digits")
    X = bunches["digits"].data
    assert np.array_equal(X, np.rint(X)) and X.min() == 0 and X.max() == 16
    assert all(v.denominator == 1 for p in ds.points for v in p)
    assert [[int(v) for v in p] for p in ds.points] == X.astype(int).tolist()
    assert list(ds.labels) == (bunches["digits"].target + 1).tolist()       # digit 0 is class 1
    assert (ds.task, ds.classes, ds.source) == ("classification", 10, "sklearn:digits")


def test_repeated_points_are_where_the_help_says(bunches):
    """DATA_HELP: iris repeats row 102 as row 143 (same label), the other three sets repeat no
    point; found here on scikit-learn's arrays."""
    for name in SETS:
        X, y = bunches[name].data, bunches[name].target
        _, first, counts = np.unique(X, axis=0, return_index=True, return_counts=True)
        repeats = sorted(int(i) for i, k in zip(first, counts) if k > 1)
        if name == "iris":
            assert repeats == [101] and np.array_equal(X[101], X[142]) and y[101] == y[142]
            assert counts.sum() - len(counts) == 1
        else:
            assert repeats == [], name
            data.load(f"sklearn:{name}:n=60")                  # and the loader accepts them as they are
    assert "iris repeats one point (row 143 is" in " ".join(data.DATA_HELP.split())
    with pytest.raises(DataError, match=r"^sklearn:iris: row 143: duplicate point \(same as row 102\); "
                                        r"--merge-duplicates keeps"):
        data.load("sklearn:iris")
    merged = data.load("sklearn:iris", merge_duplicates=True)
    iris = bunches["iris"].data
    assert merged.n == 149 and merged.points[101] == tuple(Fraction(repr(x)) for x in iris[101].tolist())
    assert merged.points[142] == tuple(Fraction(repr(x)) for x in iris[143].tolist())   # rows after it move up


def test_prefix_keeps_the_first_rows_and_the_whole_sets_classes():
    full = data.load("sklearn:wine")
    part = data.load("sklearn:wine:n=10")
    assert part.points == full.points[:10] and part.labels == full.labels[:10] == (1,) * 10
    assert part.classes == 3 and part.source == "sklearn:wine:n=10"
    assert data.load("sklearn:iris:n=1").n == 1 and data.load("sklearn:breast_cancer:n=569").n == 569


@pytest.mark.parametrize("spec,error,words", [
    ("sklearn", UsageError, "iris, wine, digits, breast_cancer"),
    ("sklearn:", UsageError, "iris, wine, digits, breast_cancer"),
    ("sklearn:mnist", UsageError, "'mnist'.*iris, wine, digits, breast_cancer"),
    ("sklearn:Iris", UsageError, "iris, wine, digits, breast_cancer"),
    ("sklearn:iris:n=", UsageError, "not an integer"),
    ("sklearn:iris:n=1.5", UsageError, "not an integer"),
    ("sklearn:iris:n=1_0", UsageError, "not an integer"),
    ("sklearn:iris:k=5", UsageError, "only option is n=K"),
    ("sklearn:iris:n=5:n=6", UsageError, "only option is n=K"),
    ("sklearn:iris:n=0", DataError, "between 1 and 150"),
    ("sklearn:iris:n=-3", DataError, "between 1 and 150"),
    ("sklearn:digits:n=1798", DataError, "between 1 and 1797"),
])
def test_bad_specs(spec, error, words):
    with pytest.raises(error, match=words):
        data.load(spec)


def test_classes_must_match_the_set():
    assert data.load("sklearn:breast_cancer:n=5", classes=2).classes == 2
    with pytest.raises(DataError, match="has 2 classes, not --classes 3"):
        data.load("sklearn:breast_cancer:n=5", classes=3)


def test_missing_sklearn_names_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)          # "import sklearn" now fails
    with pytest.raises(UsageError, match=r"pip install 'exactmem\[sklearn\]'"):
        data.load("sklearn:iris")
    assert main(["build", "zhang17", "--data", "sklearn:wine", "-o", str(tmp_path / "w.json"), "-q"]) == 5
    assert "pip install 'exactmem[sklearn]'" in capsys.readouterr().err
    assert not (tmp_path / "w.json").exists()


def test_loads_are_deterministic():
    a, b = data.load("sklearn:digits:n=200"), data.load("sklearn:digits:n=200")
    assert a.digest() == b.digest() and a.body() == b.body()
    assert data.load("sklearn:digits:n=201").digest() != a.digest()


def _verified(path):
    done = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()[-1]


def test_cli_builds_checkable_certificates(tmp_path, capsys):
    from exactmem.certificate import certificate_bytes
    from exactmem.pipeline import regenerate

    d, z = tmp_path / "d.json", tmp_path / "z.json"
    assert main(["build", "vys21", "--data", "sklearn:digits:n=300", "-o", str(d), "-q"]) == 0
    assert _verified(d).startswith("s VERIFIED") and "theorem=vys21" in _verified(d)
    cert = json.loads(d.read_text())
    assert cert["dataset"]["n"] == 300 and cert["recipe"]["data"] == "sklearn:digits:n=300"

    assert main(["build", "zhang17", "--data", "sklearn:iris", "-o", str(z), "-q"]) == 2
    assert "--merge-duplicates" in capsys.readouterr().err and not z.exists()
    assert main(["build", "zhang17", "--data", "sklearn:iris", "--merge-duplicates", "-o", str(z), "-q"]) == 0
    assert "theorem=zhang17" in _verified(z)
    cert = json.loads(z.read_text())
    assert cert["dataset"]["n"] == 149 and cert["recipe"]["merge_duplicates"] is True
    assert certificate_bytes(regenerate(cert)) == z.read_bytes()             # the recipe rebuilds it
