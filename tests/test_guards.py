"""Estimates, the --max-memory guard and progress on stderr (exactmem/estimate.py, the build and
pieces commands).  Peaks are measured here with tracemalloc (the oracle), never timed."""

import functools
import time
import tracemalloc

import pytest
from hypothesis import given, strategies as st

from exactmem import data, engine, estimate
from exactmem.cli import main
from exactmem.constructions import registry, zhang17
from exactmem.errors import UsageError
from exactmem.pipeline import certify_dataset, certify_with_data
from exactmem.studies.paper_numbers import pixel_dataset

IDS = sorted(registry())
# Options each construction is estimated with (the model reads widths, width, depth).
OPTIONS = {"ysj19-prop3.4": [{"widths": [8, 8, 8]}, {"widths": [40, 60, 9, 40, 60]}],
           "vys21-depth": [{"depth": 3}, {"depth": 40}], "yy26": [{"width": 12}, {"width": 64}, {"depth": 8}],
           "ysj19-thm3.1": [{}, {"widths": [40, 50]}], "ysj19-thm3.3": [{}, {"depth": 3}],
           "ysj19-thm4.1": [{}, {"block_widths": [4, 4], "head_width": 6}]}


# The general-position constructions have about 4N/d units of d (k + log d)-bit weights: fewer
# units as d grows, so their estimate may fall with d (never with N).
FALL_WITH_D = {"ysj19-cor4.2", "ysj19-thm4.1"}
profiles = st.one_of(st.none(), st.builds(estimate.DataProfile, st.booleans(), st.integers(1, 64),
                                          st.one_of(st.none(), st.integers(1, 10 ** 6))))


@given(st.sampled_from(IDS), st.data(), st.integers(1, 10 ** 7), st.integers(0, 10 ** 7), st.integers(1, 3000),
       st.integers(0, 3000), st.integers(1, 4), st.one_of(st.none(), st.integers(1, 50)), profiles)
def test_estimate_never_decreases_as_n_or_d_grows(cid, draw, n, dn, d, dd, dy, classes, profile):
    opts = draw.draw(st.sampled_from(OPTIONS.get(cid, [{}])))
    small = estimate.estimate(cid, n, d, dy, classes, opts, profile=profile)
    bigger = [estimate.estimate(cid, n + dn, d, dy, classes, opts, profile=profile)]
    if cid not in FALL_WITH_D:
        bigger += [estimate.estimate(cid, n, d + dd, dy, classes, opts, profile=profile),
                   estimate.estimate(cid, n + dn, d + dd, dy, classes, opts, profile=profile)]
    for big in bigger:
        assert big.memory_bytes >= small.memory_bytes
        assert big.seconds >= small.seconds
    assert small.memory_bytes > 0 and small.note


@pytest.mark.parametrize("cid, spec, opts", [
    ("zhang17", "random:n=300,d=4,seed=1", {}),
    ("ysj19-thm3.1", "random:n=200,d=6,seed=2", {}),
    ("vys21", "random:n=120,d=5,classes=4,seed=3", {}),
    ("ysj19-cor4.2", "random:n=300,d=6,classes=3,seed=4", {}),
    ("ysj19-thm4.1", "random:n=300,d=6,classes=3,seed=5", {}),
    ("ysj19-cor4.2", "pixels:n=400,d=96,classes=4", {}),
    ("ysj19-thm4.1", "pixels:n=400,d=96,classes=4", {}),
])
def test_estimate_is_above_the_measured_peak(cid, spec, opts):
    # tracemalloc sees the build's own Python allocations (not the interpreter, nor FLINT's
    # buffers): the estimate without its fixed interpreter part must still cover them.  A first
    # build imports what the construction needs (the interpreter's part, BASE_BYTES).  "pixels:"
    # is integer data 0..255 (the CIFAR case), estimated with its profile as loaded data are.
    def build():
        if spec.startswith("random:"):
            return certify_with_data(cid, spec, opts)[1]
        n, d, classes = (int(v.split("=")[1]) for v in spec.split(":")[1].split(","))
        ds = pixel_dataset(n, d, classes)
        certify_dataset(cid, ds, opts)
        return ds

    build()
    tracemalloc.start()
    try:
        ds = build()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    profile = None if spec.startswith("random:") else estimate.data_profile(ds.points, ds.labels)
    assert profile is None or profile == estimate.DataProfile(True, 9, max(ds.labels.count(k) for k in range(1, 5)))
    est = estimate.estimate(cid, ds.n, ds.d, ds.dy, ds.classes, opts, profile=profile)
    assert est.memory_bytes - estimate.BASE_BYTES >= peak > 0


def test_data_profile_by_hand():
    from fractions import Fraction as F
    # pixels: integers 0..4095, 12 bits, over the denominator 1 (1 bit)
    assert estimate.data_profile([(F(0), F(4095)), (F(7), F(1))], [1, 2]) == estimate.DataProfile(True, 13, 1)
    # 4096 is no longer a shared small integer; nor is a negative one, nor 1/3
    assert not estimate.data_profile([(F(4096),)]).small_integers
    assert not estimate.data_profile([(F(-1),)]).small_integers
    # 5/2 and 1/3 over their common denominator 6 (3 bits): numerators of at most 3 bits
    assert estimate.data_profile([(F(1, 3), F(5, 2))], None) == estimate.DataProfile(False, 6, None)
    # a larger class makes larger groups: the estimate never falls as the largest class grows
    small, big = (estimate.estimate("ysj19-cor4.2", 6000, 3072, 10, 10, {}, profile=estimate.DataProfile(True, 9, k))
                  for k in (600, 1200))
    assert big.memory_bytes > small.memory_bytes


def _no_generation(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("the dataset was generated before the guard")
    monkeypatch.setattr(data, "random_dataset", refuse)


def test_a_huge_random_build_stops_with_exit_4_before_generating(tmp_path, monkeypatch, capsys):
    _no_generation(monkeypatch)
    out = tmp_path / "c.json"
    assert main(["build", "zhang17", "--data", "random:n=100000000,d=8", "-o", str(out)]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "zhang17 on N=100000000, d=8 needs about" in err
    assert "(estimate), more than --max-memory=" in err and "raise --max-memory" in err
    assert not out.exists()


def test_max_memory_on_a_small_build(tmp_path, monkeypatch, capsys):
    _no_generation(monkeypatch)
    argv = ["build", "zhang17", "--data", "random:n=20,d=2", "-o", str(tmp_path / "c.json")]
    assert main(argv + ["--max-memory", "1M"]) == 4
    assert "more than --max-memory=1.0 MiB" in capsys.readouterr().err


def test_max_memory_on_a_file_is_checked_after_loading(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    csv.write_text("".join(f"{i},{i * i % 7},{i % 2}\n" for i in range(30)))
    argv = ["build", "zhang17", "--data", str(csv), "-o", str(tmp_path / "c.json"), "-q"]
    assert main(argv + ["--max-memory", "2M"]) == 4
    assert "zhang17 on N=30, d=2 needs about" in capsys.readouterr().err
    assert main(argv + ["--max-memory", "64G", "--no-verify"]) == 0


@pytest.mark.parametrize("value", ["lots", "0", "1.5X", "", "8 GB!"])
def test_a_bad_max_memory_is_a_usage_error(tmp_path, monkeypatch, capsys, value):
    _no_generation(monkeypatch)
    argv = ["build", "zhang17", "--data", "random:n=5,d=1", "-o", str(tmp_path / "c.json"), f"--max-memory={value}"]
    assert main(argv) == 5
    assert "--max-memory" in capsys.readouterr().err


def test_parse_bytes_by_hand():
    assert estimate.parse_bytes("8G") == 8 * 1024 ** 3
    assert estimate.parse_bytes("512M") == 512 * 1024 ** 2
    assert estimate.parse_bytes("1.5K") == 1536
    assert estimate.parse_bytes("2GiB") == 2 * 1024 ** 3
    assert estimate.parse_bytes("1000") == 1000
    with pytest.raises(UsageError):
        estimate.parse_bytes("-1G")
    assert estimate.format_bytes(41 * 1024 ** 3) == "41 GiB"
    assert estimate.format_bytes(1536) == "1.5 KiB"


def test_default_limit_is_half_the_physical_memory():
    import os

    assert estimate.default_max_memory() == os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2


def _slow_zhang17(monkeypatch, seconds=0.3):
    real = zhang17.theorem_1

    @functools.wraps(real)
    def slow(*a, **k):
        time.sleep(seconds)
        return real(*a, **k)
    monkeypatch.setattr(zhang17, "theorem_1", slow)
    monkeypatch.setattr(estimate, "HEARTBEAT_S", 0.05)


def test_heartbeat_while_a_construction_is_slow(tmp_path, monkeypatch, capsys):
    _slow_zhang17(monkeypatch)
    argv = ["build", "zhang17", "--data", "random:n=6,d=2,seed=0", "-o", str(tmp_path / "c.json"), "--no-verify"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "s] building zhang17 ..." in err
    assert main(argv + ["-q"]) == 0
    assert capsys.readouterr().err == ""


def test_heartbeat_stops_with_its_block(capsys, monkeypatch):
    monkeypatch.setattr(estimate, "HEARTBEAT_S", 0.02)
    with estimate.Heartbeat("waiting", True):
        time.sleep(0.15)
    after = capsys.readouterr().err
    time.sleep(0.1)
    assert "s] waiting ..." in after and capsys.readouterr().err == ""
    with estimate.Heartbeat("silent", False):
        time.sleep(0.1)
    assert capsys.readouterr().err == ""


def test_forward_pass_bar_over_chunks_and_same_certificate(tmp_path, monkeypatch, capsys):
    argv = ["build", "zhang17", "--data", "random:n=20,d=2,seed=4", "--no-verify"]
    assert main(argv + ["-o", str(tmp_path / "whole.json"), "-q"]) == 0
    calls = []
    real = engine.forward

    def counting(*a, **k):
        calls.append((k.get("chunk"), k.get("on_chunk") is not None))
        return real(*a, **k)
    monkeypatch.setattr(engine, "CHUNK", 3)
    monkeypatch.setattr(engine, "forward", counting)
    monkeypatch.setattr(estimate, "BAR_DELAY_S", 0)
    assert main(argv + ["-o", str(tmp_path / "chunks.json")]) == 0
    err = capsys.readouterr().err
    assert calls == [(3, True)]                       # seven chunks of at most 3 points, reported
    assert "exact forward pass: 20/20 pt (100%)" in err and "\r" not in err
    assert (tmp_path / "whole.json").read_bytes() == (tmp_path / "chunks.json").read_bytes()


def test_engine_reports_each_chunk():
    from fractions import Fraction

    from exactmem.network import Layer, Network

    net = Network(1, (Layer.from_rationals([[Fraction(1)]], [Fraction(0)], "relu"),))
    seen = []
    out = engine.forward(net, [(Fraction(i - 3),) for i in range(7)], chunk=3, on_chunk=lambda k, n: seen.append((k, n)))
    assert seen == [(3, 7), (6, 7), (7, 7)]
    assert out == [(Fraction(max(i - 3, 0)),) for i in range(7)]


def test_pieces_survey_shows_a_bar(monkeypatch, capsys):
    from exactmem.studies import pieces

    monkeypatch.setattr(pieces, "SURVEY_CONFIGS", {"relu": [(1,), (2,)], "hardtanh": [(1,)]})
    assert main(["pieces", "--survey", "--trials", "1"]) == 0
    assert capsys.readouterr().err == ""              # a fast survey: the bar never appears
    monkeypatch.setattr(estimate, "BAR_DELAY_S", 0)
    assert main(["pieces", "--survey", "--trials", "1"]) == 0
    captured = capsys.readouterr()
    assert "survey rows" in captured.err and "3/3" in captured.err
    assert "survey rows" not in captured.out and "| relu | (2) |" in captured.out
