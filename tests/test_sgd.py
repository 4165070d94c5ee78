"""The Theorem 5.1 experiment, against independent oracles: finite differences for the Jacobian,
a hand-computed SGD step, the closed-form trajectory of SGD on linear least squares (float64 and
50-digit mpmath), scipy for the regression and its t quantile, and the theorem's own bound."""

import json

import mpmath
import numpy as np
import pytest

from exactmem.certificate import certificate_bytes
from exactmem.cli import main
from exactmem.errors import UsageError
from exactmem.pipeline import certify
from exactmem.studies.sgd import (balance, flatten, forward, load_float_network, loglog_fit, per_point_jacobian, run,
                                  sgd_float, sgd_mp, sgd_step, t_quantile, unflatten)


@pytest.fixture(scope="module")
def cert_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sgd") / "z.json"
    path.write_bytes(certificate_bytes(certify("zhang17", "random:n=8,d=1,bits=4,seed=3", {"bias_rule": "mid"})))
    return path


@pytest.fixture(scope="module")
def report(cert_path):
    return run(str(cert_path), [1e-2, 3e-3, 1e-3], mp_epochs=40, mp_eps=1e-3)


def test_jacobian_matches_finite_differences(cert_path):
    layers, X, _ = load_float_network(json.loads(cert_path.read_text()))
    shapes = [(W.shape, act) for W, _, act in layers]
    theta = flatten(layers)
    J = per_point_jacobian(layers, X[3])
    h = 1e-6
    for k in range(0, theta.size, 3):
        e = np.zeros_like(theta)
        e[k] = h
        fd = (forward(unflatten(theta + e, shapes), X[3:4])[0] - forward(unflatten(theta - e, shapes), X[3:4])[0]) / (2 * h)
        assert abs(fd[0, 0] - J[0, k]) <= 1e-4 * max(1.0, abs(J[0, k]))


def test_balancing_keeps_the_function_bit_for_bit(cert_path):
    layers, X, _ = load_float_network(json.loads(cert_path.read_text()))
    bal = balance(layers)
    assert not np.array_equal(flatten(bal), flatten(layers))
    grid = np.linspace(-2, 2, 101)[:, None]
    assert np.array_equal(forward(bal, grid)[0], forward(layers, grid)[0])      # powers of two: exact


def test_one_step_by_hand():
    # f(x) = [1, -1] relu([1, 2] x + [0, -1]) + 0.5 at x = 1, y = 0: hidden (1, 1), f = 0.5, r = 0.5;
    # gradients W1 (0.5, -0.5), b1 (0.5, -0.5), W2 (0.5, 0.5), b2 0.5.
    shapes = [((2, 1), "relu"), ((1, 2), "identity")]
    theta = np.array([[1.0, 2.0, 0.0, -1.0, 1.0, -1.0, 0.5]])
    want = theta[0] - 0.1 * np.array([0.5, -0.5, 0.5, -0.5, 0.5, 0.5, 0.5])
    assert np.allclose(sgd_step(theta, shapes, np.array([1.0]), np.array([0.0]), 0.1)[0], want, rtol=0, atol=1e-15)
    layers = unflatten(theta[0], shapes)
    after = unflatten(want, shapes)
    r_after = (forward(after, np.array([[1.0]]))[0][0, 0]) ** 2 / 2
    curve = sgd_mp(layers, np.array([[1.0]]), np.array([[0.0]]), theta[0], 0.1, [[0]])
    assert abs(curve[0] - mpmath.mpf(0.125)) < mpmath.mpf(10) ** -45
    assert abs(float(curve[1]) - r_after) <= 1e-14


def _linear_case():
    rng = np.random.default_rng(7)
    W, b = rng.standard_normal((1, 3)), rng.standard_normal(1)
    X = rng.standard_normal((2, 3))                       # N = 2 < P = 4: a line of global minima
    Y = X @ W.T + b
    layers = [(W, b, "identity")]
    nu = np.hstack([X, np.ones((2, 1))])                  # gradient of f(x_i) w.r.t. (W, b)
    delta = rng.standard_normal(4) * 1e-3
    perms = [rng.permutation(2) for _ in range(25)]
    return layers, X, Y, nu, delta, perms


def test_linear_least_squares_matches_the_closed_form():
    layers, X, Y, nu, delta, perms = _linear_case()
    perms = perms[:12]                                    # R falls 1e6-fold, far above float64's floor
    eta = 1 / np.linalg.eigvalsh(nu @ nu.T).max()
    theta_star = flatten(layers)
    Q, _ = np.linalg.qr(nu.T)
    out = sgd_float(layers, X, Y, (theta_star + delta)[None, :], eta, perms, Q, theta_star)
    d, want_risk, want_par = delta.copy(), [], []
    P_perp = np.eye(4) - nu.T @ np.linalg.solve(nu @ nu.T, nu)
    for e in range(len(perms) + 1):
        want_risk.append(np.mean((nu @ d) ** 2) / 2)
        want_par.append(np.linalg.norm(d - P_perp @ d))
        if e < len(perms):
            for i in perms[e]:
                d = d - eta * nu[i] * (nu[i] @ d)       # (I - eta nu nu^T) xi
    assert np.allclose(out["risk"][:, 0], want_risk, rtol=1e-8, atol=0)
    assert np.allclose(out["xi_par"][:, 0], want_par, rtol=1e-6, atol=1e-18)
    assert np.allclose(out["xi"][:, 0] ** 2 - out["xi_par"][:, 0] ** 2, np.linalg.norm(P_perp @ delta) ** 2, rtol=1e-9)
    assert out["risk"][-1, 0] < 1e-6 * out["risk"][0, 0]


def test_mpmath_sgd_is_50_digit_exact_on_linear_least_squares():
    layers, X, Y, nu, delta, perms = _linear_case()
    eta = 0.3
    theta0 = flatten(layers) + delta
    curve = sgd_mp(layers, X, Y, theta0, eta, perms[:5], dps=50)
    with mpmath.workdps(60):                               # closed form, exact float inputs
        th = [mpmath.mpf(float(v)) for v in theta0]
        Xm = [[mpmath.mpf(float(v)) for v in row] + [mpmath.mpf(1)] for row in X]
        Ym = [mpmath.mpf(float(v)) for v in Y[:, 0]]

        def res(i):
            return mpmath.fsum(a * t for a, t in zip(Xm[i], th)) - Ym[i]

        want = [(res(0) ** 2 + res(1) ** 2) / 4]
        for perm in perms[:5]:
            for i in perm:
                r = res(i)
                th = [t - mpmath.mpf(eta) * r * a for t, a in zip(th, Xm[i])]
            want.append((res(0) ** 2 + res(1) ** 2) / 4)
        assert all(abs(c - w) <= mpmath.mpf(10) ** -45 * w for c, w in zip(curve, want))


def test_t_quantile_and_fit_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    for df in (1, 3, 10):
        assert t_quantile(0.975, df) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-9)
    x = np.array([1e-1, 3e-2, 1e-2, 3e-3, 1e-3])
    y = 5 * x ** 4 * np.array([1.3, 0.8, 1.1, 0.95, 1.02])
    fit = loglog_fit(x, y)
    lr = stats.linregress(np.log(x), np.log(y))
    half = stats.t.ppf(0.975, 3) * lr.stderr
    assert fit["slope"] == pytest.approx(lr.slope, rel=1e-12)
    assert fit["se"] == pytest.approx(lr.stderr, rel=1e-9)
    assert fit["ci95"] == pytest.approx([lr.slope - half, lr.slope + half], rel=1e-9)
    assert loglog_fit(x[:2], y[:2]) is None


def test_the_theorem_quantities(report):
    runs = report["runs"]
    assert all(r["inside_pattern"] and r["max_xi_over_eps"] <= 2 for r in runs)
    for r in runs:
        assert r["risk0"] == pytest.approx(r["risk0"] / r["eps"] ** 2 * r["eps"] ** 2)
        assert r["t_star"] is not None                        # |xi_par| < tau |xi|^2 reached
        xi4 = r["xi_t_star"] ** 4                             # R(t*) <= C |xi(t*)|^4 (two layers, inside)
        assert r["risk_t_star"] <= report["bound_C"] * xi4
        assert r["min_risk"] < 1e-3 * r["risk_t_star"]        # no plateau: R keeps falling past t*
    r0 = [r["risk0"] / r["eps"] ** 2 for r in runs]           # same direction: R(0) / eps^2 ~ constant
    assert max(r0) / min(r0) < 1.05
    assert 3.5 < report["slopes"]["risk_t_star"]["slope"] < 5
    assert report["mp_check"]["epochs_compared"] == 41 and report["mp_check"]["max_rel_diff"] < 1e-8


def test_knot_biases_are_refused(tmp_path):
    path = tmp_path / "k.json"
    path.write_bytes(certificate_bytes(certify("zhang17", "random:n=6,d=1,seed=1", {})))
    with pytest.raises(UsageError, match="bias-rule mid"):
        run(str(path), [1e-2], epochs=1)


def test_cli(cert_path, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["sgd-near", str(cert_path), "--eps", "1e-2,1e-3", "--epochs", "20", "--out", str(out)]) == 0
    assert "R(t*)" in capsys.readouterr().out
    assert json.loads((out / "sgd-report.json").read_text())["epochs"] == 20
    assert (out / "sgd-risk.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["sgd-near", str(cert_path), "--eps", "1e-2", "--mp-epochs", "1", "--mp-eps", "1e-3"]) == 5
    assert main(["sgd-near", str(cert_path), "--eps", "1e-2,x"]) == 5
