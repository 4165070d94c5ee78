"""Resource limits of the independent checker (docs/certificate-format.md, section 17) and how it
reads files: every limit has a flag, a documented default, exit code 4 and a clear message,
and is enforced before any number is converted; dataset files must be regular files beside the
certificate; no input is read past --max-bytes, whatever kind of file it is."""

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest

from test_checker_negative import (CHECK, CHECKER, DEFAULT_LIMITS, ROOT, SMALL, assert_verdict, canonical,
                                   rehashed, run_inprocess, run_subprocess)

DOC = (ROOT / "docs" / "certificate-format.md").read_text(encoding="utf-8")
# flag, LIMITS key, value of the small golden zhang17-n5-d1 (N=5, d=1, widths 5 and 1, depth 2,
# params_dense 16, largest integer 0x3690b521f905800 of 58 bits).
LIMIT_FLAGS = [("--max-layers", "layers", 2), ("--max-width", "width", 5), ("--max-points", "points", 5),
               ("--max-work", "work", 5 * 16), ("--max-int-bits", "int_bits", 58),
               ("--max-bytes", "bytes", SMALL.stat().st_size)]


@pytest.mark.parametrize("flag,key,value", LIMIT_FLAGS, ids=[f[0] for f in LIMIT_FLAGS])
def test_limit_is_exact(flag, key, value):
    """At the certificate's own value the limit passes; one below it is RESOURCE, naming the flag."""
    assert_verdict(run_inprocess([SMALL, flag, value]), 0, f"{flag} {value}")
    tail = assert_verdict(run_inprocess([SMALL, flag, value - 1]), 4, f"{flag} {value - 1}")
    assert f"{flag}={value - 1}" in tail


@pytest.mark.parametrize("flag,key,value", LIMIT_FLAGS, ids=[f[0] for f in LIMIT_FLAGS])
def test_limit_is_documented(flag, key, value):
    """Section 17 names every flag with its default, and --help lists it."""
    section = DOC.split("## 17. Resource limits")[1].split("\n## ")[0]
    default = DEFAULT_LIMITS[key]
    assert f"`{flag}" in section, flag
    assert re.search(rf"`{flag}[^`]*`[^\n]*\(default {default:,}", section), (flag, default)
    code, out, _ = run_subprocess(["--help"])
    assert code == 0 and flag in out


def test_limits_do_not_leak_between_inprocess_calls():
    for flag, _, value in LIMIT_FLAGS:
        assert run_inprocess([SMALL, flag, value - 1], reset_limits=False)[0] == 4
        assert run_inprocess([SMALL], reset_limits=False)[0] == 0, flag
    assert CHECKER.LIMITS == DEFAULT_LIMITS


def _wide(tmp_path, width):
    """A certificate whose hidden layer claims `width` neurons, written cheaply: every list has
    the right length, so only the limit can refuse it before the first number is converted."""
    cert = json.loads(SMALL.read_bytes())
    hidden = cert["network"]["layers"][0]
    hidden["dens"] = ["PLACEHOLDER_D"]
    data = canonical(rehashed(cert)) + b"\n"
    data = data.replace(b'["PLACEHOLDER_D"]', b"[" + b",".join([b'"1"'] * width) + b"]")
    path = tmp_path / "wide.json"
    path.write_bytes(data)
    return path


def test_default_width_limit(tmp_path):
    path = _wide(tmp_path, DEFAULT_LIMITS["width"] + 1)
    tail = assert_verdict(run_subprocess([path]), 4)
    assert f"{DEFAULT_LIMITS['width'] + 1} neurons, more than --max-width" in tail
    # Below the limit it is merely malformed (5 bias entries for a million neurons).
    assert_verdict(run_inprocess([path, "--max-width", DEFAULT_LIMITS["width"] + 1]), 2)


def test_default_points_and_work_limits(tmp_path):
    # A certificate may *say* N is huge; the limit is decided on dataset.n before the lists.
    cert = json.loads(SMALL.read_bytes())
    cert["dataset"]["n"] = DEFAULT_LIMITS["points"] + 1
    path = tmp_path / "n.json"
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    assert "more than --max-points" in assert_verdict(run_inprocess([path]), 4)
    cert["dataset"]["n"] = DEFAULT_LIMITS["work"] // 16 + 1      # within --max-points? no: work first
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    tail = assert_verdict(run_inprocess([path, "--max-points", 10 ** 15]), 4)
    assert "more than --max-work" in tail


def test_huge_json_number_is_malformed_without_conversion(tmp_path):
    data = SMALL.read_bytes().replace(b'"n":5,', b'"n":' + b"7" * 10 ** 6 + b",")
    path = tmp_path / "n.json"
    path.write_bytes(data)
    assert "too large" in assert_verdict(run_subprocess([path]), 2)


# ---------------------------------------------------------------------------------------------
# Reading files

def test_pipe_and_device_are_read_only_up_to_max_bytes():
    # check.py 1.0 took a file's size from the file system and then read it whole, so a pipe or
    # a device (size 0) was read without bound: `check.py /dev/zero` ran out of memory.
    assert "--max-bytes=100000" in assert_verdict(run_subprocess(["/dev/zero", "--max-bytes", 100000]), 4)
    assert_verdict(run_subprocess(["-", "--max-bytes", 1000], stdin=b" " * 5000), 4)
    r, w = os.pipe()
    p = subprocess.Popen([sys.executable, "-I", "-S", str(CHECK), f"/dev/fd/{r}", "--max-bytes", "3000"],
                         pass_fds=(r,), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(r)
    try:
        os.write(w, SMALL.read_bytes()[:2000])
        os.write(w, b" " * 2000)
    except BrokenPipeError:
        pass
    os.close(w)
    out, err = p.communicate(timeout=60)
    assert_verdict((p.returncode, out.decode(), err.decode()), 4)


def test_certificate_through_a_pipe(tmp_path):
    r, w = os.pipe()
    p = subprocess.Popen([sys.executable, "-I", "-S", str(CHECK), f"/dev/fd/{r}"], pass_fds=(r,),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(r)
    os.write(w, SMALL.read_bytes())
    os.close(w)
    out, err = p.communicate(timeout=60)
    assert_verdict((p.returncode, out.decode(), err.decode()), 0)


def _file_mode(tmp_path, link_target=None):
    """SMALL with its dataset in a sibling file data.json (or a symlink named so)."""
    cert = json.loads(SMALL.read_bytes())
    body = canonical(cert["dataset"].pop("inline"))
    cert["dataset"]["file"] = "data.json"
    path = tmp_path / "cert.json"
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    if link_target is None:
        (tmp_path / "data.json").write_bytes(body)
    else:
        link_target.write_bytes(body)
        (tmp_path / "data.json").symlink_to(link_target)
    return path


@pytest.mark.parametrize("where", ["outside", "beside"])
def test_dataset_symlink_needs_the_flag(tmp_path, where):
    folder = tmp_path / "certs"
    folder.mkdir()
    target = (tmp_path if where == "outside" else folder) / "real.data"
    path = _file_mode(folder, target)
    for run in (run_inprocess, run_subprocess):
        tail = assert_verdict(run([path]), 5)
        assert "symbolic link" in tail
        assert_verdict(run([path, "--allow-dataset-symlink"]), 0)


def test_dataset_file_plain_verifies(tmp_path):
    assert_verdict(run_inprocess([_file_mode(tmp_path)]), 0)


def test_dataset_fifo_and_directory_are_refused(tmp_path):
    path = _file_mode(tmp_path)
    os.unlink(tmp_path / "data.json")
    os.mkfifo(tmp_path / "data.json")                   # opening it would block forever
    assert "not a regular file" in assert_verdict(run_subprocess([path]), 5)
    os.unlink(tmp_path / "data.json")
    os.mkdir(tmp_path / "data.json")
    assert "not a regular file" in assert_verdict(run_inprocess([path]), 5)


def test_dataset_symlink_to_dev_zero_is_bounded(tmp_path):
    path = _file_mode(tmp_path)
    os.unlink(tmp_path / "data.json")
    (tmp_path / "data.json").symlink_to("/dev/zero")
    assert_verdict(run_subprocess([path]), 5)
    assert_verdict(run_subprocess([path, "--allow-dataset-symlink"]), 5)   # not a regular file


GOLDENS = sorted((ROOT / "certificates" / "golden").glob("*.json"))


@pytest.mark.parametrize("path", GOLDENS, ids=[p.stem for p in GOLDENS])
def test_work_is_n_times_params_dense(path):
    """The work limit, computed from list lengths before anything is parsed, is exactly
    N * sizes.params_dense (residual blocks included) on every golden certificate."""
    cert = json.loads(path.read_bytes())
    work = cert["dataset"]["n"] * cert["sizes"]["params_dense"]
    if any("pieces_on_segment" in c["statement"] for c in cert["claims"]):
        # format 1.1, section 17: (prod (1 + (p - 1) m) + 1) * params_dense * layers, if larger
        pieces = 1
        for layer in cert["network"]["layers"][:-1]:
            layer = layer.get("residual", {}).get("inner", layer)
            pieces *= 1 + {"relu": 1, "hardtanh": 2}.get(layer["activation"], 0) * len(layer["dens"])
        work = max(work, (pieces + 1) * cert["sizes"]["params_dense"] * len(cert["network"]["layers"]))
    assert_verdict(run_inprocess([path, "--max-work", work]), 0)
    assert f"= {work}, more than" in assert_verdict(run_inprocess([path, "--max-work", work - 1]), 4)
    layers = len(cert["network"]["layers"])
    assert_verdict(run_inprocess([path, "--max-layers", layers]), 0)
    assert_verdict(run_inprocess([path, "--max-layers", layers - 1]), 4)


def test_min_sq_dist_work_is_limited(tmp_path):
    """A claim naming min_sq_dist_* makes check.py sweep point pairs (O(N^2 d) at worst); that
    work, N(N-1)/2 * d, counts against --max-work too, before anything is parsed."""
    n = 2000
    points = [[str(i)] for i in range(n)]                  # identity network: outputs = points
    cert = json.loads(SMALL.read_bytes())
    cert["dataset"].update({"n": n, "inline": {"classes": None, "labels": points, "points": points,
                                               "task": "regression"}})
    cert["network"]["layers"] = [{"activation": "identity", "bias": ["0"], "dens": ["1"], "weights": [["1"]]}]
    cert["dataset"]["sha256"] = hashlib.sha256(canonical(cert["dataset"]["inline"])).hexdigest()
    cert["outputs"] = points
    cert["sizes"] = {"bit_complexity": 2, "depth": 1, "hidden_neurons": 0, "layer_bits": [2],
                     "max_numerator_bits": 1, "params_dense": 2, "params_nonzero": 1, "width": 0, "widths": []}
    cert["claims"] = [{"id": "delta", "lhs": "1", "rhs": "1", "source": "test", "statement": "min_sq_dist_num == 1"}]
    path = tmp_path / "pairs.json"
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    pairs = n * (n - 1) // 2
    assert_verdict(run_inprocess([path, "--max-work", pairs]), 0)
    tail = assert_verdict(run_inprocess([path, "--max-work", pairs - 1]), 4)
    assert f"N(N-1)/2 * d = {pairs}" in tail
    cert["claims"] = []                                     # no such claim: only N * params_dense counts
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    assert_verdict(run_inprocess([path, "--max-work", 2 * n]), 0)


@pytest.mark.parametrize("statement,value", [("(" * 248 + "1" + ")" * 248 + "==1", 1),
                                             ("-(" * 164 + "1" + ")" * 164 + "  ==  1", 1),
                                             ("-" * 496 + "1==1", 1)], ids=["parens", "minus-parens", "minus"])
def test_deepest_claim_within_500_characters(tmp_path, statement, value):
    """The claim parser recurses; the deepest statement the 500-character limit allows must still
    parse (in-process under pytest's deeper stack too), not end in a RecursionError."""
    assert len(statement) == 500
    cert = json.loads(SMALL.read_bytes())
    cert["claims"][1].update({"statement": statement, "lhs": str(value), "rhs": "1"})
    path = tmp_path / "deep-claim.json"
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    assert_verdict(run_inprocess([path]), 0)
    assert_verdict(run_subprocess([path]), 0)
    cert["claims"][1]["statement"] = "((" + statement.replace("==", "))==", 1)       # 504 characters
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    assert "statement too long" in assert_verdict(run_inprocess([path]), 2)
