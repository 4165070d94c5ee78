"""Sharded checking (certificate format section 24): `--range I:J` receipts and `--compose`.

The oracle for a composition is the plain, unsharded run of the same checker on the same file:
the composed verdict must name the same digests and theorem.  Every way of leaving a point
unchecked (a gap, an overlap hiding one, a receipt of another certificate, another checker
version, a range run that failed) must be REJECTED, and a range containing a wrong point never
yields a receipt.
"""

import json
import random
import re

import pytest

from conftest import ROOT, run_checker_inprocess
from test_checker_forgery import seal_certificate

GOLDEN = ROOT / "certificates" / "golden"
SMALL = ["zhang17-n12-d2-classes3.json", "vys21-n20-c3.json", "ysj19-thm3.1-relu-n30-d2.json"]


def _receipt(checker, tmp_path, cert, start, stop, name=None):
    code, out = run_checker_inprocess(checker, cert, "--range", f"{start}:{stop}")
    path = tmp_path / (name or f"r-{cert.stem}-{start}-{stop}.txt")
    path.write_text(out)
    return code, out, path


def _cuts(n, rng, k):
    inner = sorted(rng.sample(range(1, n), min(k, n - 1)))
    bounds = [0] + inner + [n]
    return list(zip(bounds, bounds[1:]))


@pytest.mark.parametrize("name", SMALL)
def test_receipts_compose_to_the_plain_verdict(checker, tmp_path, name):
    cert = GOLDEN / name
    code, full = run_checker_inprocess(checker, cert)
    assert code == 0
    n = json.loads(cert.read_text())["dataset"]["n"]
    for seed in range(3):
        ranges = _cuts(n, random.Random(seed), 1 + seed * 2)
        receipts = []
        for a, b in ranges:
            code, out, path = _receipt(checker, tmp_path, cert, a, b)
            assert code == 0 and re.fullmatch(rf"s RECEIPT [0-9a-f]{{64}} [0-9a-f]{{64}} {a} {b} {n} checker=\S+",
                                              out.strip().splitlines()[-1]), out
            receipts.append(path)
        random.Random(seed).shuffle(receipts)
        code, composed = run_checker_inprocess(checker, cert, "--compose", *map(str, receipts))
        assert code == 0, composed
        assert composed.strip().splitlines()[-1] == full.strip().splitlines()[-1] + f" receipts={len(ranges)}"


def test_incomplete_or_foreign_receipts_are_rejected(checker, tmp_path):
    cert, other = GOLDEN / "vys21-n20-c3.json", GOLDEN / "zhang17-n12-d2-classes3.json"
    r = {ab: _receipt(checker, tmp_path, cert, *ab)[2] for ab in ((0, 10), (10, 20), (0, 11), (5, 20), (0, 20),
                                                                 (0, 7))}
    foreign = _receipt(checker, tmp_path, other, 10, 12)[2]
    cases = {
        "gap": ([r[0, 10]], "leave points 10..19 unchecked"),
        "gap inside": ([r[0, 7], r[10, 20]], "leave points 7..9 unchecked"),
        "overlap": ([r[0, 11], r[10, 20]], "overlaps"),
        "twice": ([r[0, 20], r[0, 20]], "overlaps"),
        "hidden inside": ([r[0, 20], r[5, 20]], "overlaps"),
        "foreign": ([r[0, 10], foreign], "certificate"),
    }
    version = tmp_path / "version.txt"
    version.write_text(r[10, 20].read_text().replace("checker=1.3", "checker=1.2"))
    cases["other checker"] = ([r[0, 10], version], "checker version")
    failed = tmp_path / "failed.txt"
    failed.write_text(r[10, 20].read_text().rsplit("s RECEIPT", 1)[0] + "s REJECTED point 12 output 0: ...\n")
    cases["failed range"] = ([r[0, 10], failed], "not a receipt")
    # hand-typed receipts (a receipt is text): a range past N, an empty range
    for name, (a, b) in (("past-n.txt", (0, 25)), ("empty.txt", (5, 5))):
        forged = tmp_path / name
        forged.write_text(re.sub(r" 0 10 20 ", f" {a} {b} 20 ", r[0, 10].read_text()))
        cases[name] = ([forged, r[0, 20]], f"range {a}:{b} is not within 0..20")
    for what, (receipts, message) in cases.items():
        code, out = run_checker_inprocess(checker, cert, "--compose", *map(str, receipts))
        assert code == 1 and message in out.strip().splitlines()[-1], (what, out)


def test_an_unreadable_receipt_is_a_usage_error(checker, tmp_path):
    code, out = run_checker_inprocess(checker, GOLDEN / "vys21-n20-c3.json", "--compose", str(tmp_path / "none.txt"))
    assert code == 5 and "cannot read receipt" in out.strip().splitlines()[-1], out


def test_a_wrong_point_gets_no_receipt(checker, tmp_path):
    cert = json.loads((GOLDEN / "vys21-n20-c3.json").read_text())
    cert["outputs"][13] = ["3" if cert["outputs"][13] != ["3"] else "2"]
    bad = tmp_path / "bad.json"
    from exactmem.certificate import certificate_bytes
    bad.write_bytes(certificate_bytes(seal_certificate(cert)))
    assert _receipt(checker, tmp_path, bad, 0, 13)[0] == 0
    assert _receipt(checker, tmp_path, bad, 14, 20)[0] == 0
    code, out, _ = _receipt(checker, tmp_path, bad, 10, 15)
    assert code == 1 and "point 13" in out and "RECEIPT" not in out


@pytest.mark.parametrize("flags", [["--range", "3"], ["--range", "5:5"], ["--range", "0:21"], ["--range", "-1:4"],
                                   ["--range", "0:4", "--compose", "x"], ["--range", "0:4", "--witness"]])
def test_bad_range_flags_are_usage_errors(checker, flags):
    code, out = run_checker_inprocess(checker, GOLDEN / "vys21-n20-c3.json", *flags)
    assert code == 5 and out.strip().splitlines()[-1].startswith("s USAGE"), out


def test_range_runs_of_an_evaluation_certificate(checker, tmp_path):
    """Misses are checked within each range; composing gives the plain run's count."""
    from exactmem.certificate import certificate_bytes
    from exactmem.data import Dataset
    from exactmem.interop.onnx_import import ImportedModel, certify_model
    from exactmem.network import Layer, Network
    # f(x) = (x, 0): class 1 iff x > 0, a tie at x = 0
    net = Network(1, (Layer.from_rationals([[1], [0]], [0, 0], "identity"),))
    pts = [(-2,), (-1,), (0,), (1,), (2,), (3,)]
    ds = Dataset(tuple(pts), (2, 1, 1, 1, 2, 1), "classification", 2, "hand")
    cert = certify_model(ImportedModel(net, "argmax", None, "0" * 64, ()), ds, "hand", {})
    assert cert["evaluation"]["misses"] == [1, 2, 4] and cert["evaluation"]["ties"] == [2]
    path = tmp_path / "e.json"
    path.write_bytes(certificate_bytes(cert))
    receipts = [_receipt(checker, tmp_path, path, a, b)[2] for a, b in ((0, 2), (2, 3), (3, 6))]
    code, out = run_checker_inprocess(checker, path, "--compose", *map(str, receipts))
    assert code == 0 and out.strip().endswith("correct=3/6 receipts=3"), out
    cert["evaluation"]["misses"] = [1, 2]          # point 4 dropped: the range holding it must fail
    cert["evaluation"]["correct"] = 4
    path.write_bytes(certificate_bytes(seal_certificate(cert)))
    assert _receipt(checker, tmp_path, path, 0, 3)[0] == 0
    code, out, _ = _receipt(checker, tmp_path, path, 3, 6)
    assert code == 1 and "point 4 is not listed" in out, out


def test_exactmem_check_workers_runs_ranges_in_processes(tmp_path, capsys):
    from exactmem.cli import main
    cert = GOLDEN / "ysj19-thm3.1-relu-n30-d2.json"
    assert main(["check", str(cert), "--workers", "3"]) == 0
    assert capsys.readouterr().out.strip().endswith("theorem=ysj19-thm3.1 receipts=3")
    assert main(["check", str(cert), "--workers", "0"]) == 5


def test_exactmem_check_on_a_dask_cluster(tmp_path, capsys):
    """The same ranges on the workers of a real dask.distributed LocalCluster (two processes)."""
    distributed = pytest.importorskip("distributed")
    from exactmem.cli import main
    cert = GOLDEN / "vys21-n20-c3.json"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert main(["check", str(cert), "--scheduler", cluster.scheduler_address, "--workers", "4", "-q"]) == 0
    assert capsys.readouterr().out.strip().endswith("theorem=vys21 receipts=4")
