"""The command line: build -> check round trip, one-line errors with documented exit codes."""

import json
import subprocess
import sys

import pytest

from exactmem.cli import main

from conftest import CHECKER, ROOT


def run(*args):
    return subprocess.run([sys.executable, "-m", "exactmem.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_build_check_info_round_trip(tmp_path, capsys):
    out = tmp_path / "c.json"
    assert main(["build", "ysj19-thm3.1", "--data", "random:n=40,d=3,seed=2", "-o", str(out), "-q"]) == 0
    cert = json.loads(out.read_text())
    from exactmem.constructions.ysj19 import default_widths, thm31_lhs
    assert cert["sizes"]["widths"] == list(default_widths(40, 3, 1))
    assert thm31_lhs(*cert["sizes"]["widths"], 1, "relu") >= 40
    done = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), str(out)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.splitlines()[-1].startswith("s VERIFIED")
    assert main(["info", str(out)]) == 0
    assert "4 * (d1 // 4) * (d2 // (4 * dy)) >= N" in capsys.readouterr().out


def test_build_is_byte_deterministic(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for p in (a, b):
        assert main(["build", "zhang17", "--data", "random:n=25,d=2,dy=2", "--seed", "5", "-o", str(p), "-q"]) == 0
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("args,code,needle", [
    (["build", "nope", "--data", "random:n=3", "-o", "x.json"], 5, "unknown construction"),
    (["build", "ysj19-thm3.1", "--data", "random:n=30,d=2", "--widths", "4,4", "-o", "x.json"], 3,
     "inadmissible"),
    (["build", "ysj19-thm3.1", "--data", "random:n=30,d=2", "--widths", "a,b", "-o", "x.json"], 5, "--widths"),
    (["build", "zhang17", "--data", "random:n=0", "-o", "x.json"], 2, "empty dataset"),
    (["build", "zhang17", "--data", "missing.csv", "-o", "x.json"], 5, "not found"),
    (["build", "zhang17", "--data", "random:n=5", "--widths", "3,3", "-o", "x.json"], 5, "does not take"),
    (["build", "zhang17", "--data", "random:n=5", "-o", "/nonexistent-dir/x.json"], 5, "does not exist"),
    (["frobnicate"], 5, "invalid choice"),
    ([], 5, "missing command"),
    (["info", "missing.json"], 5, "cannot read"),
])
def test_errors_are_one_line_with_exit_codes(tmp_path, args, code, needle):
    done = subprocess.run([sys.executable, "-m", "exactmem.cli", *args], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert needle in done.stderr
    # Progress lines start with "[  t s]"; the error itself is exactly one line.
    errors = [l for l in done.stderr.strip().splitlines() if not l.startswith("[")]
    assert len(errors) == 1 and errors[0].startswith("exactmem: error: ") and "Traceback" not in done.stderr
    assert not (tmp_path / "x.json").exists()


def test_data_help_and_list():
    assert "random:KEY=VAL" in run("--data-help").stdout
    out = run("list").stdout
    assert "zhang17" in out and "ysj19-thm3.1" in out


def test_check_passes_the_checker_verdict_through(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["check", str(bad)]) == 2


def test_internal_errors_are_one_line_with_exit_70(tmp_path, monkeypatch, capsys):
    """A construction bug (its network misses a point) and any unexpected exception are exit 70,
    one line on stderr, and nothing is written."""
    import exactmem.pipeline as pipeline
    from exactmem import cli

    out = tmp_path / "c.json"
    argv = ["build", "zhang17", "--data", "random:n=4,d=1,seed=0", "-o", str(out)]
    real = pipeline.forward
    monkeypatch.setattr(pipeline, "forward", lambda net, pts, **kw: [tuple(v + 1 for v in o) for o in real(net, pts)])
    assert cli.main(argv) == 70
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("exactmem:")]      # progress lines aside
    assert len(errors) == 1 and "misses point 0" in errors[0] and not out.exists()
    monkeypatch.setattr(pipeline, "forward", lambda net, pts, **kw: 1 // 0)
    assert cli.main(argv) == 70
    err = capsys.readouterr().err
    assert "internal error (ZeroDivisionError" in err and "Traceback" not in err and not out.exists()
    monkeypatch.setenv("EXACTMEM_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(argv)


# ---------------------------------------------------------------------------------------------
# A build never writes a certificate the independent checker does not verify

def _corrupting(monkeypatch, change):
    """Make the pipeline assemble certificates with `change` applied (a planted builder bug)."""
    import exactmem.pipeline as pipeline
    real = pipeline.build_certificate

    def build(*args, **kwargs):
        cert = real(*args, **kwargs)
        change(cert)
        return cert
    monkeypatch.setattr(pipeline, "build_certificate", build)


def _false_claim(cert):
    claim = next(c for c in cert["claims"] if c["statement"] == "d1 <= N")
    claim["statement"], claim["rhs"] = "d1 <= N - 1", str(int(claim["rhs"]) - 1)


def _wrong_output(cert):
    cert["outputs"][0][0] = "7/3"


@pytest.mark.parametrize("change,needle", [(_false_claim, "claim hidden-nodes"), (_wrong_output, "point 0 output 0")],
                         ids=["false claim", "wrong output"])
@pytest.mark.parametrize("external", [False, True], ids=["inline", "external data"])
def test_build_writes_nothing_the_checker_rejects(tmp_path, monkeypatch, capsys, change, needle, external):
    _corrupting(monkeypatch, change)
    out = tmp_path / "c.json"
    argv = ["build", "zhang17", "--data", "random:n=6,d=2,seed=3", "-o", str(out), "-q"]
    assert main(argv + (["--external-data"] if external else [])) == 70
    err = capsys.readouterr().err
    assert "does not verify the certificate just built" in err and needle in err, err
    assert list(tmp_path.iterdir()) == []           # no certificate, no dataset file, no staging folder


def test_build_without_verification_writes_what_it_built(tmp_path, monkeypatch):
    """--no-verify skips the checker: the planted bug reaches the file, and the checker rejects it."""
    _corrupting(monkeypatch, _wrong_output)
    out = tmp_path / "c.json"
    assert main(["build", "zhang17", "--data", "random:n=6,d=2,seed=3", "-o", str(out), "-q", "--no-verify"]) == 0
    done = subprocess.run([sys.executable, "-I", "-S", str(CHECKER), str(out)], capture_output=True, text=True)
    assert done.returncode == 1 and "point 0 output 0" in done.stdout.splitlines()[-1]


def test_build_whose_check_exceeds_the_budget_writes_nothing(tmp_path, monkeypatch, capsys):
    import exactmem.pipeline as pipeline
    monkeypatch.setattr(pipeline, "LONG_RUN_LIMITS", ("--max-work", "1000"))
    assert main(["build", "zhang17", "--data", "random:n=6,d=2,seed=3", "-o", str(tmp_path / "c.json"), "-q"]) == 4
    assert "ran out of its budget" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_build_to_a_folder_is_a_usage_error_before_building(tmp_path, capsys):
    assert main(["build", "zhang17", "--data", "random:n=6,d=2,seed=3", "-o", str(tmp_path), "-q"]) == 5
    assert "is a folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_negative_numbers_are_values_not_options(tmp_path, capsys):
    """`--widths -4,8` reaches the construction (a clear refusal, exit 3) instead of argparse's
    "expected one argument"; a negative direction is a value too."""
    assert main(["build", "ysj19-thm3.1", "--data", "random:n=6,d=2,seed=1", "--widths", "-4,8",
                 "-o", str(tmp_path / "x.json"), "-q"]) == 3
    assert "positive hidden widths" in capsys.readouterr().err
    assert main(["build", "vys21", "--data", "random:n=20,d=2,classes=2,seed=1", "--direction", "-12,5",
                 "-o", str(tmp_path / "v.json"), "-q"]) == 0
    assert json.loads((tmp_path / "v.json").read_text())["recipe"]["options"]["direction"] == [-12, 5]


def test_merge_duplicates_keeps_a_repeated_point_once_and_regenerates(tmp_path, monkeypatch):
    """A file that repeats a point with the same label (scikit-learn's iris has one) is refused
    unless --merge-duplicates is given; then the point is kept once, the recipe says so, and the
    certificate regenerates byte for byte.  A repeat with another label stays an error."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text("0,1,1\n1,0,2\n0,1,1\n2,2,1\n")
    assert main(["build", "zhang17", "--data", "d.csv", "--classes", "2", "-o", "a.json", "-q"]) == 2
    assert main(["build", "zhang17", "--data", "d.csv", "--classes", "2", "--merge-duplicates",
                 "-o", "a.json", "-q"]) == 0
    cert = json.loads((tmp_path / "a.json").read_text())
    assert cert["dataset"]["n"] == 3 and cert["recipe"]["merge_duplicates"] is True
    from exactmem.certificate import certificate_bytes
    from exactmem.pipeline import regenerate
    assert certificate_bytes(regenerate(cert)) == (tmp_path / "a.json").read_bytes()
    (tmp_path / "e.csv").write_text("0,1,1\n1,0,2\n0,1,2\n")
    assert main(["build", "zhang17", "--data", "e.csv", "--classes", "2", "--merge-duplicates",
                 "-o", "b.json", "-q"]) == 2
    assert not (tmp_path / "b.json").exists()


def test_regress_skips_json_that_is_not_a_certificate(tmp_path, capsys):
    (tmp_path / "c.json").write_text("")
    assert main(["build", "zhang17", "--data", "random:n=5,d=1,seed=2", "-o", str(tmp_path / "c.json"), "-q",
                 "--external-data"]) == 0
    assert main(["regress", "--golden", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "skip c.data.json: not an exactmem certificate" in out and "ok   c.json" in out


def test_build_with_workers_writes_the_same_certificate(tmp_path, capsys):
    """`build --workers 2`: the forward pass in two processes and the check in two ranges (receipts
    composed) give the byte-identical certificate of a one-process build."""
    from exactmem.cli import main
    argv = ["build", "ysj19-thm3.1", "--data", "random:n=40,d=3,seed=5", "-q"]
    assert main(argv + ["-o", str(tmp_path / "one.json")]) == 0
    assert main(argv + ["-o", str(tmp_path / "two.json"), "--workers", "2"]) == 0
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    assert main(argv + ["-o", str(tmp_path / "bad.json"), "--workers", "0"]) == 5
    assert not (tmp_path / "bad.json").exists()


def test_build_with_workers_joins_many_chunks_in_order(tmp_path, monkeypatch):
    """With chunks of 7 points, 60 points are 9 parts spread over 2 processes: joined in the
    points' order they give the one-process certificate, byte for byte (vys21: packed layers)."""
    from exactmem import engine
    from exactmem.cli import main
    monkeypatch.setattr(engine, "CHUNK", 7)
    argv = ["build", "vys21", "--data", "random:n=60,d=3,classes=3,seed=2", "-q"]
    assert main(argv + ["-o", str(tmp_path / "one.json")]) == 0
    assert main(argv + ["-o", str(tmp_path / "two.json"), "--workers", "2"]) == 0
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
