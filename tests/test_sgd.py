"""The Theorem 5.1 experiment: its gradients are right and its report has the predicted shape."""

import json

import numpy as np
import pytest

from exactmem.certificate import certificate_bytes
from exactmem.errors import UsageError
from exactmem.pipeline import certify
from exactmem.studies.sgd import flatten, forward, load_float_network, per_point_jacobian, run, unflatten


@pytest.fixture(scope="module")
def cert_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sgd") / "z.json"
    path.write_bytes(certificate_bytes(certify("zhang17", "random:n=8,d=1,bits=4,seed=3", {"bias_rule": "mid"})))
    return path


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


def test_risk_starts_quadratic_in_eps_and_falls(cert_path):
    report = run(str(cert_path), [1e-2, 1e-3], epochs=20)
    r = report["runs"]
    assert all(x["inside_pattern_radius"] for x in r)
    assert all(x["plateau"] < x["risk0"] for x in r)          # SGD reduces the risk
    assert 1.5 < report["slopes"]["risk0_vs_eps"] < 2.5       # R(theta_0) = O(eps^2)


def test_knot_biases_are_refused(tmp_path):
    path = tmp_path / "k.json"
    path.write_bytes(certificate_bytes(certify("zhang17", "random:n=6,d=1,seed=1", {})))
    with pytest.raises(UsageError, match="bias-rule mid"):
        run(str(path), [1e-2], epochs=1)
