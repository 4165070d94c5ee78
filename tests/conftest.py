import importlib.util
import os
import io
import contextlib
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
# The checker under test; EXACTMEM_CHECKER_DIR points every test at a copy (the mutation runner,
# tools/mutate_checker.py, writes one mutant there).
CHECKER = Path(os.environ["EXACTMEM_CHECKER_DIR"]) / "check.py" if os.environ.get("EXACTMEM_CHECKER_DIR") \
    else ROOT / "certificates" / "check.py"

# CI runs the "ci" profile; `EXACTMEM_HYPOTHESIS=long pytest` is the longer run.
settings.register_profile("ci", deadline=None, max_examples=40)
settings.register_profile("long", deadline=None, max_examples=400)
settings.load_profile(os.environ.get("EXACTMEM_HYPOTHESIS", "ci"))


def load_checker():
    spec = importlib.util.spec_from_file_location("exactmem_check", CHECKER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def checker():
    return load_checker()


def run_checker_inprocess(checker, path, *flags):
    """(exit code, stdout) of the independent checker, run in this process."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = checker.main([str(path), *flags])
    return code, buf.getvalue()


def _fraction_layer(layer, a):
    z = [(sum(Fraction(w) * v for w, v in zip(row, a)) + b) / den
         for row, b, den in zip(layer.weights, layer.bias, layer.dens)]
    if layer.activation == "relu":
        z = [max(Fraction(0), v) for v in z]
    elif layer.activation == "hardtanh":
        z = [min(Fraction(1), max(Fraction(-1), v)) for v in z]
    return z


def verify_certificate(checker, folder, cert):
    """Write a certificate into ``folder``, check it in-process; assert VERIFIED, return stdout."""
    from exactmem.certificate import certificate_bytes

    path = folder / "c.json"
    path.write_bytes(certificate_bytes(cert))
    code, out = run_checker_inprocess(checker, path)
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("s VERIFIED")
    return out


def fraction_forward(network, x):
    """Reference evaluation with Fraction, written independently of exactmem.engine
    (a residual block adds outer(inner(h)) to h)."""
    a = [Fraction(v) for v in x]
    for entry in network.layers:
        if hasattr(entry, "inner"):
            r = _fraction_layer(entry.outer, _fraction_layer(entry.inner, a))
            a = [u + v for u, v in zip(a, r)]
        else:
            a = _fraction_layer(entry, a)
    return tuple(a)


def pytest_terminal_summary(terminalreporter):
    """Print the checker's mutation/fuzz tally (tests/mutation_report.py), if any test made one."""
    import mutation_report
    lines = mutation_report.lines()
    if lines:
        terminalreporter.section("checker mutation and fuzz report")
        for line in lines:
            terminalreporter.write_line(line)
    if lines and os.environ.get("EXACTMEM_MUTATION_REPORT"):
        mutation_report.write(os.environ["EXACTMEM_MUTATION_REPORT"])
