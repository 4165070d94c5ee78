"""Theorem 5.1 of YSJ19 as an experiment (not a certificate): SGD started near a memorizing
global minimum.

The exact memorizer from a certificate is converted to float64 (deliberately: this is a float
experiment), perturbed by epsilon in a random direction, and trained with without-replacement
SGD on the squared loss.  The theorem predicts R(theta_0) = O(eps^2) and that the risk falls to
O(eps^4) while the perturbation's component in span{grad f(x_i)} decays.  We record, per epoch,
the risk R = (1/N) sum_i |f(x_i) - y_i|^2 / 2, |xi| and |xi_par| (xi's projection on the span of
the per-point gradients at theta*), and fit the log-log slopes of R(0) and of the plateau
against eps.  Only plain feed-forward networks (relu / hardtanh / identity) are supported.

A study, and a float one on purpose: it reads certificates with
:func:`exactmem.certificate.load_certificate` and never writes one; it imports only core
modules and never the CLI; no core module imports it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..certificate import dataset_from_json, load_certificate, network_from_json
from ..errors import UsageError
from ..network import ResidualBlock


def float_arrays(ds, net):
    """(layers as (W, b, activation) float64 arrays, X, Y) of an exact network and its dataset:
    every value is its exact rational rounded to the nearest float64 (the experiment's one
    deliberate conversion)."""
    if any(isinstance(e, ResidualBlock) for e in net.layers):
        raise UsageError("sgd-near supports plain feed-forward networks only (no residual blocks)")
    layers = []
    for layer in net.layers:
        W = np.array([[v / den for v in row] for row, den in zip(layer.weights, layer.dens)], dtype=float)
        b = np.array([v / den for v, den in zip(layer.bias, layer.dens)], dtype=float)
        layers.append((W, b, layer.activation))
    X = np.array([[float(v) for v in p] for p in ds.points])
    if ds.task == "classification":
        Y = np.array([[float(c)] for c in ds.labels])
    else:
        Y = np.array([[float(v) for v in y] for y in ds.labels])
    return layers, X, Y


def load_float_network(cert: dict, folder=None):
    """:func:`float_arrays` of a certificate already parsed as JSON (a sibling dataset file is
    read from ``folder``), decoded by :mod:`exactmem.certificate`."""
    return float_arrays(dataset_from_json(cert["dataset"], folder), network_from_json(cert["network"]))


def _act(z, act):
    if act == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(float)
    if act == "hardtanh":
        return np.clip(z, -1.0, 1.0), ((z > -1) & (z < 1)).astype(float)
    return z, np.ones_like(z)


def flatten(layers):
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b, _ in layers])


def unflatten(theta, shapes):
    out, i = [], 0
    for (m, n), act in shapes:
        W = theta[i:i + m * n].reshape(m, n)
        i += m * n
        b = theta[i:i + m]
        i += m
        out.append((W, b, act))
    return out


def forward(layers, X):
    a = X.T
    pre = []
    for k, (W, b, act) in enumerate(layers):
        z = W @ a + b[:, None]
        pre.append(z)
        a = z if k == len(layers) - 1 else _act(z, act)[0]
    return a.T, pre


def per_point_jacobian(layers, x):
    """d f_o(x) / d theta for every output o: an (outputs x params) matrix, by backprop."""
    acts, derivs, a = [x], [], x
    for k, (W, b, act) in enumerate(layers):
        z = W @ a + b
        if k < len(layers) - 1:
            a, d = _act(z, act)
        else:
            a, d = z, np.ones_like(z)
        acts.append(a)
        derivs.append(d)
    rows = []
    n_out = layers[-1][0].shape[0]
    for o in range(n_out):
        delta = np.zeros(n_out)
        delta[o] = 1.0
        grads = []
        for k in range(len(layers) - 1, -1, -1):
            W = layers[k][0]
            delta = delta * derivs[k]
            grads.append((np.outer(delta, acts[k]).ravel(), delta.copy()))
            delta = W.T @ delta
        rows.append(np.concatenate([np.concatenate(g) for g in reversed(grads)]))
    return np.array(rows)


def risk(layers, X, Y):
    out, _ = forward(layers, X)
    return float(np.mean(np.sum((out - Y) ** 2, axis=1) / 2))


def run(cert_path: str, eps_list, epochs: int = 100, seed: int = 0, lr_fraction: float = 0.5,
        out_dir: str | None = None) -> dict:
    cert, ds, net = load_certificate(cert_path)
    layers, X, Y = float_arrays(ds, net)
    shapes = [(W.shape, act) for W, _, act in layers]
    theta_star = flatten(layers)
    _, pre = forward(layers, X)
    min_pre = min(float(np.min(np.abs(z))) for z in pre[:-1]) if len(pre) > 1 else math.inf
    if min_pre == 0.0:
        raise UsageError("a hidden pre-activation is exactly 0 at a data point: theta* is not a differentiable "
                         "point of the risk (zhang17: build with --bias-rule mid)")
    J = np.vstack([per_point_jacobian(layers, x) for x in X])            # (N*dy) x P
    lam_max = float(np.linalg.eigvalsh(J @ J.T).max())
    eta = lr_fraction / lam_max * len(X)                               # per-sample step on (1/N) sum
    Q, _ = np.linalg.qr(J.T)                                           # basis of span{nu_i}
    rng = np.random.default_rng(seed)
    base_pattern = [np.sign(z) for z in pre[:-1]]
    results = []
    for eps in eps_list:
        xi0 = rng.standard_normal(theta_star.shape)
        theta = theta_star + eps * xi0 / np.linalg.norm(xi0)
        _, pre0 = forward(unflatten(theta, shapes), X)
        inside = all(np.array_equal(np.sign(z), p) for z, p in zip(pre0[:-1], base_pattern))
        curve = []
        for epoch in range(epochs + 1):
            net = unflatten(theta, shapes)
            xi = theta - theta_star
            curve.append({"epoch": epoch, "risk": risk(net, X, Y), "xi": float(np.linalg.norm(xi)),
                          "xi_par": float(np.linalg.norm(Q.T @ xi))})
            if epoch == epochs:
                break
            for i in rng.permutation(len(X)):                           # without replacement
                net = unflatten(theta, shapes)
                Ji = per_point_jacobian(net, X[i])
                r = forward(net, X[i:i + 1])[0][0] - Y[i]
                theta = theta - eta / len(X) * (Ji.T @ r)
        plateau = min(c["risk"] for c in curve)
        first_tau = next((c["epoch"] for c in curve if c["xi_par"] < c["xi"] ** 2), None)
        results.append({"eps": eps, "inside_pattern_radius": inside, "risk0": curve[0]["risk"],
                        "plateau": plateau, "first_epoch_xi_par_below_xi_sq": first_tau,
                        "max_xi": max(c["xi"] for c in curve), "curve": curve})
    good = [r for r in results if r["inside_pattern_radius"] and r["risk0"] > 0 and r["plateau"] > 0]
    slopes = {}
    if len(good) >= 2:
        le = np.log([r["eps"] for r in good])
        slopes = {"risk0_vs_eps": float(np.polyfit(le, np.log([r["risk0"] for r in good]), 1)[0]),
                  "plateau_vs_eps": float(np.polyfit(le, np.log([r["plateau"] for r in good]), 1)[0])}
    report = {"certificate": str(cert_path), "construction": cert["construction"]["id"], "N": len(X),
              "params": int(theta_star.size), "eta": eta, "lambda_max": lam_max, "epochs": epochs,
              "min_hidden_preactivation": min_pre, "slopes": slopes, "runs": results,
              "float_note": "float64 experiment (YSJ19 Thm 5.1); not a certificate"}
    if out_dir:
        out = Path(out_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "sgd-report.json").write_text(json.dumps(report, indent=1))
        except OSError as e:
            raise UsageError(f"--out {out}: {e.strerror}") from None
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            fig, ax = plt.subplots(figsize=(6, 4.2))
            for r in results:
                ax.semilogy([c["epoch"] for c in r["curve"]], [max(c["risk"], 1e-300) for c in r["curve"]],
                            label=f"eps={r['eps']:g}" + ("" if r["inside_pattern_radius"] else " (outside rho)"))
            ax.set_xlabel("epoch")
            ax.set_ylabel("risk R")
            ax.set_title(f"SGD near a memorizer ({cert['construction']['id']}, N={len(X)})")
            ax.legend(fontsize=8)
            fig.tight_layout()
            fig.savefig(out / "sgd-risk.png", dpi=110)
            report["plot"] = str(out / "sgd-risk.png")
        except ImportError:
            pass
    return report
