"""Resource limits of the independent checker (docs/certificate-format.md, section 17) and how it
reads files: every limit has a flag, a documented default, exit code 4 and a clear message.
The size limits (layers, width, points, int bits, bytes) are enforced before any number is
converted.  --max-work is a budget of work units of the cost model (checker 1.2), charged before
each costly operation: budgets are measured in units (the "c cost:" line, the run's Budget.used),
never in seconds, and are exact -- a certificate needs precisely the units it reports.  The work
tests made from list lengths alone (forward pass, general_position) are lower bounds of that.
--max-memory bounds every estimated allocation, the JSON's values counted before parsing.
Dataset files must be regular files beside the certificate; no input is read past --max-bytes,
whatever kind of file it is."""

import hashlib
import json
import math
import os
import re
import subprocess
import sys

import pytest

from test_checker_negative import (CHECK, DEFAULT_LIMITS, LAST_RUN, ROOT, SMALL, assert_verdict, canonical,
                                   rehashed, run_inprocess, run_subprocess)

DOC = (ROOT / "docs" / "certificate-format.md").read_text(encoding="utf-8")
# flag, LIMITS key, value of the small golden zhang17-n5-d1 (N=5, d=1, widths 5 and 1, depth 2,
# params_dense 16, largest integer 0x3690b521f905800 of 58 bits).  These limits are decided from
# counts and lengths; --max-work and --max-memory (the cost model) are measured below.
LIMIT_FLAGS = [("--max-layers", "layers", 2), ("--max-width", "width", 5), ("--max-points", "points", 5),
               ("--max-int-bits", "int_bits", 58), ("--max-bytes", "bytes", SMALL.stat().st_size)]
ALL_FLAGS = [(flag, key) for flag, key, _ in LIMIT_FLAGS] + [("--max-work", "work"), ("--max-memory", "memory")]
COST = re.compile(r"c cost: ([0-9]+) work units of --max-work=([0-9]+) ")


def work_units(result):
    """The work units a VERIFIED run reports on its 'c cost:' line (the last line but one)."""
    code, out, _ = result
    lines = out.strip("\n").splitlines()
    assert code == 0 and len(lines) >= 2, lines[-1:]
    m = COST.match(lines[-2])
    assert m, lines[-2]
    return int(m.group(1))


def needed_work(path, *flags):
    """Work units the checker needs for a certificate: reported by a run with the default budget,
    equal to the run's Budget.used, and the same in a separate process (the cost model
    charges from bit lengths, never from a clock)."""
    result = run_inprocess([path, *flags])
    need = work_units(result)
    assert LAST_RUN["budget"].used == need
    assert work_units(run_subprocess([path, *flags])) == need
    return need


def assert_work_limit_is_exact(path, need, *flags):
    """--max-work=need verifies (and reports need of need); one unit less is RESOURCE naming the flag."""
    result = run_inprocess([path, "--max-work", need, *flags])
    assert_verdict(result, 0, f"--max-work {need}")
    assert f"c cost: {need} work units of --max-work={need} " in result[1]
    tail = assert_verdict(run_inprocess([path, "--max-work", need - 1, *flags]), 4, f"--max-work {need - 1}")
    assert f"--max-work={need - 1}" in tail
    return tail


def least_passing(argv, flag, hi, passes):
    """The least value v of flag in [0, hi] with passes(run with flag v), by bisection (every
    limit is monotone: a larger budget never fails where a smaller one passes)."""
    lo = -1                                             # fails (or below the range)
    assert passes(run_inprocess([*argv, flag, hi]))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if passes(run_inprocess([*argv, flag, mid])):
            hi = mid
        else:
            lo = mid
    return hi


@pytest.mark.parametrize("flag,key,value", LIMIT_FLAGS, ids=[f[0] for f in LIMIT_FLAGS])
def test_limit_is_exact(flag, key, value):
    """At the certificate's own value the limit passes; one below it is RESOURCE, naming the flag."""
    assert_verdict(run_inprocess([SMALL, flag, value]), 0, f"{flag} {value}")
    tail = assert_verdict(run_inprocess([SMALL, flag, value - 1]), 4, f"{flag} {value - 1}")
    assert f"{flag}={value - 1}" in tail


def test_work_limit_is_exact():
    """--max-work is a budget of work units: the units a run reports are exactly what it needs."""
    need = needed_work(SMALL)
    assert 0 < need < DEFAULT_LIMITS["work"]
    tail = assert_work_limit_is_exact(SMALL, need)
    assert tail.startswith("s RESOURCE work limit: ")


def test_memory_limit_is_exact():
    """--max-memory bounds every estimated allocation (the JSON text and its values first): the
    least budget that verifies is found by bisection, and one byte less is RESOURCE naming the
    flag.  Parsing the file takes at least its own bytes."""
    least = least_passing([SMALL], "--max-memory", DEFAULT_LIMITS["memory"], lambda r: r[0] == 0)
    assert least >= SMALL.stat().st_size
    assert_verdict(run_inprocess([SMALL, "--max-memory", least]), 0)
    tail = assert_verdict(run_inprocess([SMALL, "--max-memory", least - 1]), 4)
    assert tail.startswith("s RESOURCE memory limit: ") and f"--max-memory={least - 1}" in tail


@pytest.mark.parametrize("junk", [b"[" * 200_000, b"[0" + b",0" * 100_000 + b"]", b'{"a":' * 50_000],
                         ids=["brackets", "commas", "keys"])
def test_json_values_are_counted_before_parsing(tmp_path, junk):
    """The memory estimate of parsing is taken from the bytes before json.loads builds anything:
    a file of 200 kB of brackets, commas or keys (not even valid JSON) is RESOURCE with a small
    --max-memory, not MALFORMED (invalid, or nested too deeply); with the default it is MALFORMED."""
    path = tmp_path / "junk.json"
    path.write_bytes(junk)
    tail = assert_verdict(run_inprocess([path, "--max-memory", 10 * len(junk)]), 4)
    assert tail.startswith("s RESOURCE memory limit: parsing ") and f"--max-memory={10 * len(junk)}" in tail
    assert_verdict(run_inprocess([path]), 2)


@pytest.mark.parametrize("flag,key", ALL_FLAGS, ids=[f[0] for f in ALL_FLAGS])
def test_limit_is_documented(flag, key):
    """Section 17 names every flag with its default (written "(default 1,000" or, after a short
    form, "(default 2^30 = 1,073,741,824 ..."), and --help lists it."""
    section = DOC.split("## 17. Resource limits")[1].split("\n## ")[0]
    default = re.escape(f"{DEFAULT_LIMITS[key]:,}")
    assert f"`{flag}" in section, flag
    assert re.search(rf"`{flag}[^`]*`[^\n]*\(default (?:[^)=\n]* = )?{default}[ )]", section), (flag, default)
    code, out, _ = run_subprocess(["--help"])
    assert code == 0 and flag in out


def test_limits_do_not_leak_between_inprocess_calls():
    below = [(flag, value - 1) for flag, _, value in LIMIT_FLAGS] + [("--max-work", needed_work(SMALL) - 1),
                                                                    ("--max-memory", SMALL.stat().st_size)]
    for flag, value in below:
        assert run_inprocess([SMALL, flag, value])[0] == 4, flag
        result = run_inprocess([SMALL])
        assert result[0] == 0, flag
        assert f"of --max-work={DEFAULT_LIMITS['work']} " in result[1]        # a fresh budget every run
        assert LAST_RUN["budget"].limits._asdict() == DEFAULT_LIMITS


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


def _claiming(tmp_path, n, d=None, statement=None):
    """SMALL saying it has n points (and input dimension d), with one extra claim: the lists keep
    their 5 entries, so anything that gets past the limits is MALFORMED (dataset.points)."""
    cert = json.loads(SMALL.read_bytes())
    cert["dataset"]["n"] = n
    if d is not None:
        cert["dataset"]["d"] = d
    if statement:
        cert["claims"].append({"id": "extra", "lhs": "1", "rhs": "1", "source": "test", "statement": statement})
    path = tmp_path / f"n{n}.json"
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    return path


def test_default_points_and_work_limits(tmp_path):
    # A certificate may *say* N is huge; the limits are decided on dataset.n before the lists.
    path = _claiming(tmp_path, DEFAULT_LIMITS["points"] + 1)
    assert "more than --max-points" in assert_verdict(run_inprocess([path]), 4)
    # 6 neurons: with N above work / 6 the forward pass alone (at least one unit per neuron and
    # point) passes the default --max-work; refused before a number is read, not MALFORMED.
    path = _claiming(tmp_path, DEFAULT_LIMITS["work"] // 6 + 1)
    tail = assert_verdict(run_inprocess([path, "--max-points", 10 ** 15]), 4)
    assert "work of the forward pass" in tail and f"more than --max-work={DEFAULT_LIMITS['work']}" in tail


def _least_work_not_refused(path):
    """The least --max-work at which the limits no longer refuse the certificate (it is then
    MALFORMED: its lists are shorter than dataset.n says)."""
    return least_passing([path], "--max-work", 10 ** 13, lambda r: r[0] == 2)


@pytest.fixture(scope="module")
def per_neuron(tmp_path_factory):
    """The work test made from list lengths (section 17) is N * neurons * a fixed cost per neuron:
    found by bisection for two values of N, the least budget it lets through is exactly
    proportional to N * 6 (zhang17-n5-d1 has 5 + 1 neurons), with the same factor, and just
    below it the message gives N * neurons and the flag.  Returns that factor."""
    tmp_path, factors = tmp_path_factory.mktemp("forward-bound"), set()
    for n in (1000, 3000):
        path = _claiming(tmp_path, n)
        least = _least_work_not_refused(path)
        assert least % (n * 6) == 0, (n, least)
        factors.add(least // (n * 6))
        tail = assert_verdict(run_inprocess([path, "--max-work", least - 1]), 4)
        assert f"N * neurons = {n} * 6 evaluations" in tail and f"--max-work={least - 1}" in tail
    (factor,) = factors
    return factor


def test_forward_pass_lower_bound_is_n_times_neurons(per_neuron):
    assert per_neuron >= 1


def test_general_position_lower_bound_is_binomial(tmp_path):
    """A claim naming general_position: at least C(N, d) normals of d determinants each, a fixed
    cost apiece -- for two shapes the least budget the limits let through is C(N, d) * d times
    one and the same integer, and just below it the message names general_position and the flag."""
    factors = set()
    for n, d in ((200, 3), (60, 5)):
        path = _claiming(tmp_path, n, d, "general_position == 1")
        least = _least_work_not_refused(path)
        units = math.comb(n, d) * d
        assert least % units == 0, (n, d, least, units)
        factors.add(least // units)
        tail = assert_verdict(run_inprocess([path, "--max-work", least - 1]), 4)
        assert "work of general_position" in tail and f"(N = {n}, d = {d})" in tail
        assert f"--max-work={least - 1}" in tail
    assert len(factors) == 1 and factors.pop() >= 1


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


def _neurons(cert):
    """Neurons of every affine map (a residual block has two), counted from the JSON lists."""
    return sum(len(m["dens"]) for L in cert["network"]["layers"]
               for m in ((L["residual"]["inner"], L["residual"]["outer"]) if "residual" in L else (L,)))


def _integral(cert):
    """Every entry a plain layer whose dens are all "1" (read from the JSON, as test 6 does)."""
    return all("residual" not in L and all(v == "1" for v in L["dens"]) for L in cert["network"]["layers"])


INTEGRAL_GOLDENS = [p for p in GOLDENS if _integral(json.loads(p.read_bytes()))]


@pytest.mark.parametrize("path", INTEGRAL_GOLDENS, ids=[p.stem for p in INTEGRAL_GOLDENS])
def test_static_work_bound_of_an_integral_network_is_n_times_neurons(path):
    """Test 6 for an integral network (section 17.1): refused from list lengths alone exactly
    below N * neurons units, with the message naming that product; at N * neurons it is not the
    static test that answers."""
    cert = json.loads(path.read_bytes())
    n, s = cert["dataset"]["n"], _neurons(cert)
    tail = assert_verdict(run_inprocess([path, "--max-work", n * s - 1]), 4)
    assert f"N * neurons = {n} * {s} evaluations of at least 1 units" in tail
    assert "N * neurons" not in run_inprocess([path, "--max-work", n * s])[1]


@pytest.mark.parametrize("path", GOLDENS, ids=[p.stem for p in GOLDENS])
def test_work_limit_is_exact_on_every_golden(path, per_neuron):
    """Every golden needs exactly the work units its run reports (the same in-process and in a
    subprocess): that budget verifies, one unit less is RESOURCE naming --max-work.  The forward
    pass's lower bound (N * neurons * the factor measured above) is below it, as a lower bound
    must be, and the layer limit is exact too."""
    cert = json.loads(path.read_bytes())
    need = needed_work(path)
    unit = 1 if _integral(cert) else per_neuron           # section 17.1, test 6
    assert cert["dataset"]["n"] * _neurons(cert) * unit <= need < DEFAULT_LIMITS["work"]
    assert_work_limit_is_exact(path, need)
    layers = len(cert["network"]["layers"])
    assert_verdict(run_inprocess([path, "--max-layers", layers]), 0)
    assert_verdict(run_inprocess([path, "--max-layers", layers - 1]), 4)


def _pairs_certificate(tmp_path, n, claim):
    """n points i (6, -1) of Q^2 through one identity layer (outputs = labels = points), under an
    id outside the theorem table.  All lie on the line orthogonal to the checker's projection
    direction u = (1, 6) (check_distance.py), so every projected gap is 0 and the sweep of
    min_sq_dist_* can never stop early: it compares all n(n-1)/2 pairs.  The least squared
    distance is |(6, -1)|^2 = 37."""
    points = [[str(6 * i), str(-i)] for i in range(n)]
    cert = json.loads(SMALL.read_bytes())
    cert["construction"]["id"] = "test-unbound"
    cert["dataset"].update({"n": n, "d": 2, "dy": 2, "inline": {"classes": None, "labels": points,
                                                                "points": points, "task": "regression"}})
    cert["network"] = {"input_dim": 2, "layers": [{"activation": "identity", "bias": ["0", "0"], "dens": ["1", "1"],
                                                   "weights": [["1", "0"], ["0", "1"]]}]}
    cert["dataset"]["sha256"] = hashlib.sha256(canonical(cert["dataset"]["inline"])).hexdigest()
    cert["outputs"] = points
    cert["sizes"] = {"bit_complexity": 2, "depth": 1, "hidden_neurons": 0, "layer_bits": [2],
                     "max_numerator_bits": 1, "params_dense": 6, "params_nonzero": 2, "width": 0, "widths": []}
    cert["claims"] = [{"id": "delta", "lhs": "37", "rhs": "37", "source": "test",
                       "statement": "min_sq_dist_num == 37"}] if claim else []
    path = tmp_path / f"pairs-{n}-{claim}.json"
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    return path


def test_min_sq_dist_work_is_charged(tmp_path):
    """A claim naming min_sq_dist_* makes check.py sweep point pairs; the cost model charges each
    pair it compares.  The claim's extra work grows like the pairs (about 4x from n = 400 to 800),
    a budget that stops halfway through the sweep is RESOURCE naming min_sq_dist and the flag,
    and the exact need verifies."""
    extra = {}
    for n in (400, 800):
        with_claim, without = _pairs_certificate(tmp_path, n, True), _pairs_certificate(tmp_path, n, False)
        need, base = needed_work(with_claim), needed_work(without)
        extra[n] = need - base
        assert extra[n] >= n * (n - 1) // 2                 # at least a unit per pair
        assert_work_limit_is_exact(with_claim, need)
        assert_verdict(run_inprocess([without, "--max-work", base]), 0)
    ratio = extra[800] / extra[400]
    assert 3.5 < ratio < 4.5, extra                          # (800 * 799) / (400 * 399) = 4.005
    # Everything before the sweep and after it costs less than half the sweep here.
    budget = need - extra[800] // 2
    tail = assert_verdict(run_inprocess([with_claim, "--max-work", budget]), 4)
    assert "min_sq_dist" in tail and f"--max-work={budget}" in tail


@pytest.mark.parametrize("statement,value", [("(" * 248 + "1" + ")" * 248 + "==1", 1),
                                             ("-(" * 164 + "1" + ")" * 164 + "  ==  1", 1),
                                             ("-" * 496 + "1==1", 1)], ids=["parens", "minus-parens", "minus"])
def test_deepest_claim_within_500_characters(tmp_path, statement, value):
    """The claim parser recurses; the deepest statement the 500-character limit allows must still
    parse (in-process under pytest's deeper stack too), not end in a RecursionError.  Under an id
    outside the theorem table it verifies; under the real id (zhang17) it is parsed first and then
    refused by the theorem table, naming the claim -- never MALFORMED or an internal error."""
    assert len(statement) == 500
    cert = json.loads(SMALL.read_bytes())
    cert["claims"][1].update({"statement": statement, "lhs": str(value), "rhs": "1"})
    path = tmp_path / "deep-claim.json"
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    for run in (run_inprocess, run_subprocess):
        tail = assert_verdict(run([path]), 1)
        assert tail.startswith(f"s REJECTED construction zhang17 (relu): claim {cert['claims'][1]['id']} (")
    cert["construction"]["id"] = "test-unbound"
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    assert_verdict(run_inprocess([path]), 0)
    assert_verdict(run_subprocess([path]), 0)
    cert["claims"][1]["statement"] = "((" + statement.replace("==", "))==", 1)       # 504 characters
    path.write_bytes(canonical(rehashed(cert)) + b"\n")
    assert "statement too long" in assert_verdict(run_inprocess([path]), 2)


def test_long_runs_print_progress_on_stderr_only(checker, monkeypatch, capsys):
    """A run past PROGRESS_SECONDS prints `c progress:` lines on stderr (here: every look at the
    clock, with the interval set to 0); stdout, report and verdict, is the same as without them,
    and -q silences them."""
    base = sys.modules["check_base"]
    golden = ROOT / "certificates" / "golden" / "vys21-n20-c3.json"
    assert checker.main([str(golden)]) == 0
    quiet_out = capsys.readouterr()
    assert "c progress" not in quiet_out.err
    monkeypatch.setattr(base, "PROGRESS_SECONDS", 0)
    monkeypatch.setattr(base, "PROGRESS_UNITS", 10 ** 5)
    assert checker.main([str(golden)]) == 0
    loud = capsys.readouterr()
    lines = loud.err.splitlines()
    assert lines and all(re.fullmatch(r"c progress: \d+ s, \d+ of --max-work=\d+ units \([\d.]+ %\), now: .+", s)
                         for s in lines), lines[:3]
    strip = [s for s in loud.out.splitlines() if not s.startswith("c cost:")]
    assert strip == [s for s in quiet_out.out.splitlines() if not s.startswith("c cost:")]
    assert checker.main([str(golden), "-q"]) == 0
    assert capsys.readouterr().err == ""
