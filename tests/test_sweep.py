"""`exactmem sweep` and `exactmem report` (exactmem/studies/sweep/, docs/sweep.md).

Oracles are independent of the code under test: the store is read with sqlite3 directly, sizes
are recomputed from each certificate file by a reader written here (json + fractions), hashes by
hashlib, the tiny grid's rows are listed by hand from docs/sweep.md, and the fit is checked on
data built to follow y = c N^s and against scipy's linear regression.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from exactmem.cli import main
from exactmem.studies.sweep.fit import loglog_fit, t975

# The tiny preset, by hand (docs/sweep.md): (construction, N) of its five rows.
TINY_ROWS = {("zhang17", 8), ("zhang17", 16), ("ysj19-thm3.1", 8), ("ysj19-thm3.1", 16), ("vys21", 8)}
REPO = Path(__file__).resolve().parent.parent


def _db_rows(store) -> list[dict]:
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        cur = con.execute("SELECT * FROM runs ORDER BY id")
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def _count(store) -> int:
    if not Path(store).exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:            # table not created yet
        return 0


# --- an independent reader of a certificate's network (json + fractions only) ----------------

def _bits(q: Fraction) -> int:
    return abs(q.numerator).bit_length() + q.denominator.bit_length()


def independent_sizes(cert: dict) -> dict:
    net = cert["network"]
    maps, widths = [], []
    layers = net["layers"]
    for k, entry in enumerate(layers):
        if "residual" in entry:
            maps += [entry["residual"]["inner"], entry["residual"]["outer"]]
            if k < len(layers) - 1:
                widths.append(len(entry["residual"]["inner"]["dens"]))
        else:
            maps.append(entry)
            if k < len(layers) - 1:
                widths.append(len(entry["dens"]))
    nonzero = bits = 0
    for m in maps:
        for row, b, den in zip(m["weights"], m["bias"], m["dens"]):
            q = int(den, 0)
            for tok in list(row) + [b]:
                v = Fraction(int(tok, 0), q)
                nonzero += v != 0
                bits = max(bits, _bits(v))
    return {"depth": len(maps), "widths": widths, "width": max(widths, default=0), "hidden_neurons": sum(widths),
            "params_dense": _dense(net), "params_nonzero": nonzero, "bit_complexity": bits}


def _dense(net) -> int:
    total, n_in = 0, net["input_dim"]
    for entry in net["layers"]:
        if "residual" in entry:
            inner, outer = entry["residual"]["inner"], entry["residual"]["outer"]
            total += (n_in + 1) * len(inner["dens"]) + (len(inner["dens"]) + 1) * len(outer["dens"])
            n_in = len(outer["dens"])
        else:
            total += (n_in + 1) * len(entry["dens"])
            n_in = len(entry["dens"])
    return total


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    store = folder / "s.sqlite"
    assert main(["sweep", "--preset", "tiny", "--store", str(store), "-q"]) == 0
    return store


# --- (a) rows against the certificate files ----------------------------------------------------

def test_tiny_rows_match_their_certificates(tiny_store):
    rows = _db_rows(tiny_store)
    assert {(r["construction"], r["n"]) for r in rows} == TINY_ROWS
    for r in rows:
        assert r["status"] == "ok"
        assert r["verdict"].startswith("s VERIFIED"), r["verdict"]
        path = tiny_store.parent / r["cert_path"]
        assert path.parent.name == "s.certs"
        data = path.read_bytes()
        assert r["cert_sha256"] == hashlib.sha256(data).hexdigest()
        cert = json.loads(data)
        assert cert["construction"]["id"] == r["construction"] and cert["dataset"]["n"] == r["n"]
        want = independent_sizes(cert)
        got = {k: r[k] for k in ("depth", "width", "hidden_neurons", "params_dense", "params_nonzero",
                                 "bit_complexity")}
        got["widths"] = json.loads(r["widths"])
        assert got == want, r["cert_path"]
        assert json.loads(r["config"])["n"] == r["n"]
        assert r["fixed_k"] is not None and r["float_p"] is not None and r["arith_p"] is not None
        assert r["build_s"] >= 0 and r["check_s"] >= 0 and r["peak_rss_kib"] > 0
        # the least k and p are backed by suffice certificates and fail witnesses, verified
        checks = json.loads(r["precision_checks"])
        assert {(c["kind"], c["role"]) for c in checks} <= {(k, s) for k in ("fixed", "float")
                                                            for s in ("suffice", "witness")}
        assert {("fixed", "suffice"), ("float", "suffice")} <= {(c["kind"], c["role"]) for c in checks}
        assert all(c["exit"] == 0 and c["verdict"].startswith("s VERIFIED") for c in checks), checks
        witnesses = sorted(path.with_name(path.stem + "-precision").glob("fail-*.json"))
        assert len(witnesses) == sum(c["role"] == "witness" for c in checks)


def test_tiny_bounds_recomputed_by_hand(tiny_store):
    """The primary bound of each row, from the theorem's formula written out here."""
    for r in _db_rows(tiny_store):
        n = r["n"]
        if r["construction"] == "zhang17":
            assert (r["bound_quantity"], r["bound_value"]) == ("hidden_neurons", n)
        elif r["construction"] == "ysj19-thm3.1":    # ReLU, dy = 1: d1 + d2 >= 4 sqrt(N)
            assert r["bound_quantity"] == "hidden_neurons"
            assert r["bound_value"] == pytest.approx(4 * math.sqrt(n))
            # "tight" widths: the least d1 + d2 with d1 = 4a, d2 = 4b, 4ab >= N (brute force here)
            least = min(4 * a + 4 * b for a in range(1, n + 1) for b in range(1, n + 1) if 4 * a * b >= n)
            assert r["hidden_neurons"] == least
        assert r["bound_ratio"] == pytest.approx(r["bound_measured"] / r["bound_value"])


def test_sweep_again_redoes_nothing_and_workers_agree(tiny_store, tmp_path, capsys):
    before = _db_rows(tiny_store)
    assert main(["sweep", "--preset", "tiny", "--store", str(tiny_store), "-q"]) == 0
    assert "5 rows in the grid, 5 already" in capsys.readouterr().out
    assert _db_rows(tiny_store) == before
    other = tmp_path / "w.sqlite"
    assert main(["sweep", "--preset", "tiny", "--store", str(other), "--workers", "2", "-q"]) == 0
    rows = _db_rows(other)
    assert {(r["construction"], r["n"]) for r in rows} == TINY_ROWS
    key = lambda r: r["run_key"]   # noqa: E731
    assert sorted((r["run_key"], r["cert_sha256"]) for r in rows) == \
        sorted((r["run_key"], r["cert_sha256"]) for r in sorted(before, key=key))


# --- (b) kill and resume -------------------------------------------------------------------

def _start(store, delay):
    env = dict(os.environ, EXACTMEM_SWEEP_TEST_DELAY=str(delay))
    return subprocess.Popen([sys.executable, "-m", "exactmem.cli", "sweep", "--preset", "tiny", "--store", str(store),
                             "-q"], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_kill_and_resume(tmp_path, sig):
    store = tmp_path / "k.sqlite"
    proc = _start(store, 1.5)
    try:
        deadline = time.monotonic() + 120
        while _count(store) < 1:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no row within 120 s"
            time.sleep(0.05)
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    early = _db_rows(store)
    assert 1 <= len(early) < len(TINY_ROWS), "the kill did not land mid-grid"
    done = subprocess.run([sys.executable, "-m", "exactmem.cli", "sweep", "--preset", "tiny", "--store", str(store),
                           "-q"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{len(early)} already" in done.stdout
    rows = _db_rows(store)
    assert len(rows) == len(TINY_ROWS)
    assert {(r["construction"], r["n"]) for r in rows} == TINY_ROWS          # none missing
    assert len({r["run_key"] for r in rows}) == len(rows)                      # no duplicates
    assert all(r["verdict"].startswith("s VERIFIED") for r in rows)
    by_id = {r["id"]: r for r in rows}
    for r in early:                                                            # finished rows untouched
        assert by_id[r["id"]] == r


# --- (c) the log-log fit ----------------------------------------------------------------

def test_fit_exact_power_law():
    ns = [16, 64, 256, 1024, 4096]
    for s, c in ((0.5, 3.0), (1.0, 1.0), (-0.25, 7.5), (1.5, 0.01)):
        f = loglog_fit(ns, [c * n ** s for n in ns])
        assert f["slope"] == pytest.approx(s, abs=1e-12)
        assert f["c"] == pytest.approx(c, rel=1e-10)
        assert f["ci"][0] == pytest.approx(s, abs=1e-9) and f["ci"][1] == pytest.approx(s, abs=1e-9)
        assert (f["n_min"], f["n_max"], f["k"]) == (16, 4096, 5)


def test_fit_noisy_interval_contains_true_slope_and_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    ns = np.repeat([10, 30, 100, 300, 1000, 3000, 10000], 4)
    covered = 0
    for trial in range(40):
        ys = 2.5 * ns ** 0.55 * np.exp(rng.normal(0, 0.1, ns.size))
        f = loglog_fit(ns.tolist(), ys.tolist())
        covered += f["ci"][0] <= 0.55 <= f["ci"][1]
        lr = stats.linregress(np.log(ns), np.log(ys))
        t = stats.t.ppf(0.975, ns.size - 2)
        assert f["slope"] == pytest.approx(lr.slope, rel=1e-9)
        assert f["se"] == pytest.approx(lr.stderr, rel=1e-9)
        assert f["ci"][1] - f["slope"] == pytest.approx(t * lr.stderr, rel=1e-3)
    assert covered >= 34          # a 95% interval: 40 trials, P(fewer than 34 covered) < 0.5%
    for df in (1, 2, 5, 29, 30, 31, 60, 1000):
        assert t975(df) == pytest.approx(stats.t.ppf(0.975, df), rel=2e-4)


def test_fit_refuses_one_n_and_skips_nonpositive():
    assert loglog_fit([8, 8], [1, 2]) is None
    f = loglog_fit([4, 16, 64], [0, 4, 8])           # y = 0 has no logarithm: left out
    assert f["k"] == 2 and f["slope"] == pytest.approx(0.5) and f["ci"] is None


# --- (d) the report ---------------------------------------------------------------------

def test_report_cites_only_existing_rows(tiny_store, tmp_path):
    out = tmp_path / "rep"
    assert main(["report", str(tiny_store), "--out", str(out)]) == 0
    text = (out / "report.md").read_text()
    for png in ("zhang17.png", "ysj19-thm3.1.png", "vys21.png", "tradeoff.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert f"({png})" in text
    ids = {r["id"] for r in _db_rows(tiny_store)}
    cited = {int(m) for m in re.findall(r"#(\d+)", text)}
    assert cited and cited <= ids
    assert cited == ids                              # every row appears in its table
    names = set(re.findall(r"`([\w.+-]+\.json)`", text))
    assert names == {Path(r["cert_path"]).name for r in _db_rows(tiny_store)}
    again = tmp_path / "rep2"
    assert main(["report", str(tiny_store), "--out", str(again)]) == 0
    strip = lambda t: [ln for ln in t.splitlines() if not ln.startswith("| #")]  # noqa: E731  (timing columns)
    assert strip((again / "report.md").read_text()) == strip(text)
    assert (again / "tradeoff.png").read_bytes() == (out / "tradeoff.png").read_bytes()
    bare = tmp_path / "rep3"
    assert main(["report", str(tiny_store), "--out", str(bare), "--no-plot"]) == 0
    assert sorted(p.name for p in bare.iterdir()) == ["report.md"]


# --- (e) bad input ----------------------------------------------------------------------

def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("exactmem: error: ") and "\n" not in err, err
    return err


def test_unknown_preset(tmp_path, capsys):
    assert main(["sweep", "--preset", "nope", "--store", str(tmp_path / "s.sqlite")]) == 5
    assert "unknown preset 'nope'" in _one_line_error(capsys)
    assert not (tmp_path / "s.sqlite").exists()


def test_unreadable_store(tmp_path, capsys):
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database\n" * 100)
    assert main(["report", str(bad), "--out", str(tmp_path / "r")]) == 5
    assert "bad.sqlite" in _one_line_error(capsys)
    assert main(["report", str(tmp_path / "missing.sqlite"), "--out", str(tmp_path / "r")]) == 5
    assert "no such results store" in _one_line_error(capsys)
    assert main(["sweep", "--preset", "tiny", "--store", str(bad), "-q"]) == 5
    _one_line_error(capsys)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="TOML grids need tomllib (Python 3.11)")
def test_toml_grid_unknown_construction_and_a_good_one(tmp_path, capsys):
    grid = tmp_path / "g.toml"
    grid.write_text('[[series]]\nconstruction = "zhang18"\nn = [8]\n')
    assert main(["sweep", "--grid", str(grid), "--store", str(tmp_path / "s.sqlite")]) == 5
    assert "unknown construction 'zhang18'" in _one_line_error(capsys)
    grid.write_text('[[series]]\nconstruction = "ysj19-thm3.1"\nn = [8, 12]\nd = 1\nseeds = [0, 1]\n'
                    '[series.options]\nwidths = [[4, 8], [8, 4]]\nactivation = "hardtanh"\n')
    store = tmp_path / "t.sqlite"
    assert main(["sweep", "--grid", str(grid), "--store", str(store), "-q"]) == 0
    rows = _db_rows(store)
    assert sorted((r["n"], r["seed"], json.loads(r["options"])["widths"][0]) for r in rows) == \
        sorted((n, s, w) for n in (8, 12) for s in (0, 1) for w in (4, 8))
    assert main(["sweep", "--preset", "tiny", "--grid", str(grid), "--store", str(store)]) == 5
    _one_line_error(capsys)
