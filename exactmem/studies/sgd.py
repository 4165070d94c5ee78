"""Theorem 5.1 of YSJ19 as an experiment (not a certificate): SGD started near a memorizing
global minimum.

The exact memorizer from a certificate is converted to float64 (deliberately: this is a float
experiment), optionally rebalanced (every hidden ReLU's incoming weights times a power of two,
its outgoing weights divided by it: the same function, a better-conditioned Jacobian), perturbed
by eps along one seeded random direction (the same direction for every eps), and trained with
without-replacement per-sample SGD on the squared loss, with the same sample order for every eps.
The step is a fraction of 1/lambda_max(J J^T), J being the Jacobian of the N*dy outputs w.r.t.
the parameters at theta*.

Per epoch we record the risk R = (1/N) sum_i |f(x_i) - y_i|^2 / 2, |xi| and |xi_par| (xi's
projection on span{grad f(x_i)} at theta*), and whether the activation pattern at the data is
still theta*'s.  The quantities the theorem speaks about are R(theta_0) and R at t*, the first
epoch with |xi_par| < tau |xi|^2; tau defaults to twice a bound on |xi_par| / |xi|^2 over the
set of global minima near theta* (so t* exists once SGD gets there).  Their log-log slopes
against eps are fitted by least squares with 95% confidence intervals.  The minimum risk has no
eps^4 plateau: the global minima form a manifold through theta*, and SGD keeps descending to it
(see docs/ysj19.md).  :func:`sgd_mp` re-runs the same SGD in mpmath to show float64 rounding is
not what we measure.  Only plain feed-forward networks (relu / hardtanh / identity) are supported.

A study, and a float one on purpose: it reads certificates with
:func:`exactmem.certificate.load_certificate` and never writes one; it imports only core
modules and never the CLI; no core module imports it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import numpy as np

from ..certificate import dataset_from_json, load_certificate, network_from_json, write_atomic
from ..errors import UsageError
from ..network import ResidualBlock
from .sweep import fit as sweep_fit

U64 = 2.0 ** -53          # float64 unit roundoff


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


def balance(layers):
    """The same function with a better-balanced parametrization: each hidden ReLU (or identity)
    unit's incoming row and bias are multiplied by s = 2^k and its outgoing column divided by s,
    k the integer nearest log2 sqrt(|outgoing| / |incoming|).  Powers of two make this exact in
    float64, and positive homogeneity makes the network's function unchanged."""
    layers = [(W.copy(), b.copy(), act) for W, b, act in layers]
    for k in range(len(layers) - 1):
        W, b, act = layers[k]
        if act not in ("relu", "identity"):
            continue
        W2 = layers[k + 1][0]
        n_in = np.sqrt(np.sum(W ** 2, axis=1) + b ** 2)
        n_out = np.sqrt(np.sum(W2 ** 2, axis=0))
        ok = (n_in > 0) & (n_out > 0)
        s = np.ones_like(n_in)
        s[ok] = 2.0 ** np.round(0.5 * np.log2(n_out[ok] / n_in[ok]))
        layers[k] = (W * s[:, None], b * s, act)
        layers[k + 1] = (W2 / s[None, :], layers[k + 1][1], layers[k + 1][2])
    return layers


def _act(z, act):
    if act == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(float)
    if act == "hardtanh":
        return np.clip(z, -1.0, 1.0), ((z > -1) & (z < 1)).astype(float)
    return z, np.ones_like(z)


def flatten(layers):
    """All parameters in one vector: per layer, W row by row, then b."""
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b, _ in layers])


def unflatten(theta, shapes):
    """Inverse of :func:`flatten`; ``theta`` may carry leading batch axes (shape (..., P))."""
    out, i = [], 0
    lead = theta.shape[:-1]
    for (m, n), act in shapes:
        W = theta[..., i:i + m * n].reshape(*lead, m, n)
        i += m * n
        out.append((W, theta[..., i:i + m], act))
        i += m
    return out


def forward(layers, X):
    """(outputs (N, dy), pre-activations per layer (m, N)) of a network on the rows of X."""
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
        a, d = _act(z, act) if k < len(layers) - 1 else (z, np.ones_like(z))
        acts.append(a)
        derivs.append(d)
    rows = []
    n_out = layers[-1][0].shape[0]
    for o in range(n_out):
        delta = np.zeros(n_out)
        delta[o] = 1.0
        grads = []
        for k in range(len(layers) - 1, -1, -1):
            delta = delta * derivs[k]
            grads.append((np.outer(delta, acts[k]).ravel(), delta.copy()))
            delta = layers[k][0].T @ delta
        rows.append(np.concatenate([np.concatenate(g) for g in reversed(grads)]))
    return np.array(rows)


def jacobian(layers, X):
    """The (N*dy) x P Jacobian of all outputs at all data points."""
    return np.vstack([per_point_jacobian(layers, x) for x in X])


def risk(layers, X, Y):
    """R = (1/N) sum_i |f(x_i) - y_i|^2 / 2 in float64."""
    out, _ = forward(layers, X)
    return float(np.mean(np.sum((out - Y) ** 2, axis=1) / 2))


def curvature_bound(layers, X, h=1e-3):
    """(1/2) sqrt(sum over output rows of |Hessian|_2^2) at theta*, by central differences of
    the Jacobian (exact up to rounding for two layers, where f is bilinear inside a pattern)."""
    shapes = [(W.shape, act) for W, _, act in layers]
    theta = flatten(layers)
    cols = []
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = h
        cols.append((jacobian(unflatten(theta + e, shapes), X) - jacobian(unflatten(theta - e, shapes), X)) / (2 * h))
    H = np.stack(cols, axis=2)                                  # rows x P x P
    return 0.5 * math.sqrt(sum(float(np.linalg.norm((Hr + Hr.T) / 2, 2)) ** 2 for Hr in H))


def sgd_step(thetas, shapes, x, y, eta):
    """One per-sample SGD step theta <- theta - eta grad |f_theta(x) - y|^2 / 2 for every row of
    ``thetas`` (B x P), ``shapes`` as in :func:`unflatten`."""
    layers = unflatten(thetas, shapes)
    a, acts, derivs = np.broadcast_to(x, (thetas.shape[0], x.size)), [], []
    for k, (W, b, act) in enumerate(layers):
        acts.append(a)
        z = (W @ a[:, :, None])[:, :, 0] + b
        a, d = _act(z, act) if k < len(layers) - 1 else (z, None)
        derivs.append(d)
    delta = a - y
    grads = []
    for k in range(len(layers) - 1, -1, -1):
        if derivs[k] is not None:
            delta = delta * derivs[k]
        grads.append(delta)
        grads.append((delta[:, :, None] * acts[k][:, None, :]).reshape(thetas.shape[0], -1))
        delta = (delta[:, None, :] @ layers[k][0])[:, 0, :]
    return thetas - eta * np.concatenate(grads[::-1], axis=1)


def _batched_state(thetas, shapes, X, Y, pattern):
    """(risk per row, whether every hidden pre-activation at the data keeps theta*'s sign)."""
    layers = unflatten(thetas, shapes)
    a = np.broadcast_to(X, (thetas.shape[0],) + X.shape)
    same = np.ones(thetas.shape[0], dtype=bool)
    for k, (W, b, act) in enumerate(layers):
        z = a @ np.swapaxes(W, 1, 2) + b[:, None, :]
        if k < len(layers) - 1:
            same &= np.all(np.sign(z) == pattern[k], axis=(1, 2))
            z = _act(z, act)[0]
        a = z
    return np.mean(np.sum((a - Y) ** 2, axis=2) / 2, axis=1), same


def sgd_float(layers, X, Y, thetas0, eta, perms, Q, theta_star):
    """Without-replacement per-sample SGD from every row of ``thetas0``, the points of epoch e
    visited in the order ``perms[e]``.  Returns per-epoch arrays (epochs+1) x B: risk, |xi|,
    |xi_par| (Q an orthonormal basis of span{grad f(x_i)}) and 'pattern kept so far'."""
    shapes = [(W.shape, act) for W, _, act in layers]
    pattern = [np.sign(z.T) for z in forward(layers, X)[1][:-1]]
    thetas = np.array(thetas0, dtype=float)
    rows = {"risk": [], "xi": [], "xi_par": [], "inside": []}
    inside = np.ones(thetas.shape[0], dtype=bool)
    for e in range(len(perms) + 1):
        r, same = _batched_state(thetas, shapes, X, Y, pattern)
        xi = thetas - theta_star
        inside &= same
        for key, v in (("risk", r), ("xi", np.linalg.norm(xi, axis=1)), ("xi_par", np.linalg.norm(xi @ Q, axis=1)),
                       ("inside", inside.copy())):
            rows[key].append(v)
        if e == len(perms):
            break
        for i in perms[e]:
            thetas = sgd_step(thetas, shapes, X[i], Y[i], eta)
    return {k: np.array(v) for k, v in rows.items()}


def sgd_mp(layers, X, Y, theta0, eta, perms, dps=50):
    """The same SGD for one start, in mpmath at ``dps`` digits: every float64 input (weights,
    data, theta_0, eta) is taken exactly and every operation is rounded to ``dps`` digits.
    Returns the risk after each epoch (epoch 0 first) as mpf values."""
    shapes = [(W.shape, act) for W, _, act in layers]
    with mpmath.workdps(dps):
        mpf = mpmath.mpf
        th = [mpf(float(v)) for v in theta0]
        Xm = [[mpf(float(v)) for v in row] for row in X]
        Ym = [[mpf(float(v)) for v in row] for row in Y]
        step = mpf(float(eta))

        def unpack():
            out, i = [], 0
            for (m, n), act in shapes:
                W = [th[i + j * n:i + (j + 1) * n] for j in range(m)]
                i += m * n
                out.append((W, th[i:i + m], act))
                i += m
            return out

        def act_d(z, act):
            if act == "relu":
                return (z, 1) if z > 0 else (mpf(0), 0)
            if act == "hardtanh":
                return (z, 1) if -1 < z < 1 else (mpf(1) if z >= 1 else mpf(-1), 0)
            return z, 1

        def fwd(x):
            acts, ds, a = [x], [], x
            net = unpack()
            for k, (W, b, act) in enumerate(net):
                z = [mpmath.fsum(w * v for w, v in zip(row, a)) + bb for row, bb in zip(W, b)]
                if k < len(net) - 1:
                    pairs = [act_d(v, act) for v in z]
                    a, d = [p[0] for p in pairs], [p[1] for p in pairs]
                else:
                    a, d = z, [1] * len(z)
                acts.append(a)
                ds.append(d)
            return net, acts, ds

        def risk_now():
            tot = mpf(0)
            for x, y in zip(Xm, Ym):
                out = fwd(x)[1][-1]
                tot += mpmath.fsum((o - t) ** 2 for o, t in zip(out, y)) / 2
            return tot / len(Xm)

        curve = [risk_now()]
        for perm in perms:
            for i in perm:
                net, acts, ds = fwd(Xm[i])
                delta = [o - t for o, t in zip(acts[-1], Ym[i])]
                grads = []
                for k in range(len(net) - 1, -1, -1):
                    delta = [g * d for g, d in zip(delta, ds[k])]
                    grads.append([g * v for g in delta for v in acts[k]] + list(delta))
                    W = net[k][0]
                    delta = [mpmath.fsum(W[j][c] * delta[j] for j in range(len(W))) for c in range(len(acts[k]))]
                flat = [g for block in reversed(grads) for g in block]
                th = [t - step * g for t, g in zip(th, flat)]
            curve.append(risk_now())
    return curve


def rounding_floor(layers, X):
    """A float64 evaluation-noise level for R: mean over points of (u * S_i)^2 / 2, S_i the
    forward pass run on absolute values (the size of the terms that get rounded)."""
    a = np.abs(X.T)
    for k, (W, b, act) in enumerate(layers):
        a = np.abs(W) @ a + np.abs(b)[:, None]
    return float(np.mean(np.sum((U64 * a) ** 2, axis=0) / 2))


def t_quantile(p, df):
    """The p-quantile of Student's t with ``df`` degrees of freedom (p > 1/2), by bisection on
    its CDF 1 - I_{df/(df+t^2)}(df/2, 1/2) / 2 (mpmath's regularized incomplete beta)."""
    def cdf(t):
        return 1 - mpmath.betainc(df / 2, 0.5, 0, df / (df + t * t), regularized=True) / 2
    lo, hi = 0.0, 1.0
    while cdf(hi) < p:
        hi *= 2
    for _ in range(64):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
    return (lo + hi) / 2


def loglog_fit(xs, ys):
    """Least squares of log y = a + b log x: {slope b, its standard error, 95% CI, n}; the fit
    itself is the sweep's (:func:`exactmem.studies.sweep.fit.loglog_fit`: se = sqrt(RSS / (n-2) /
    sum (log x - mean)^2)), the interval b -/+ t_{0.975, n-2} se with the exact t quantile."""
    fit = sweep_fit.loglog_fit(xs, ys)
    if fit is None or fit["se"] is None:
        return None
    t = t_quantile(0.975, fit["k"] - 2)
    slope, se = fit["slope"], fit["se"]
    return {"slope": slope, "se": se, "ci95": [slope - t * se, slope + t * se], "n": fit["k"]}


def _thin(n, keep=160):
    """About 2 ``keep`` epoch indices 0..n (log- and linearly spaced), always with 0 and n."""
    idx = np.unique(np.concatenate([[0, n], np.round(np.geomspace(1, max(n, 1), keep)).astype(int),
                                    np.round(np.linspace(0, n, keep)).astype(int)]))
    return [int(i) for i in idx if i <= n]


def run(cert_path: str, eps_list, epochs: int | None = None, seed: int = 0, lr_fraction: float = 1.0,
        tau: float | None = None, balanced: bool = True, mp_epochs: int = 0, mp_eps: float | None = None,
        mp_dps: int = 50, out_dir: str | None = None) -> dict:
    """The experiment on a certificate's network: see the module docstring.  ``epochs`` None
    means ceil(kappa ln 1e6), kappa = lambda_max / lambda_min of J J^T (enough for the slowest
    direction of span{grad f(x_i)} to shrink a millionfold); ``tau`` None means twice the bound
    (1/2) |Hessians| / sigma_min(J) on |xi_par| / |xi|^2 over the global minima near theta*;
    ``mp_epochs`` > 0 re-runs ``mp_eps`` (default: the smallest eps) for that many epochs in
    mpmath at ``mp_dps`` digits, same start and sample order, and compares the risk curves."""
    cert, ds, net = load_certificate(cert_path)
    layers, X, Y = float_arrays(ds, net)
    eps = [float(e) for e in eps_list]
    if not eps or any(not (e > 0 and math.isfinite(e)) for e in eps):
        raise UsageError("--eps expects positive finite numbers")
    if not lr_fraction > 0:
        raise UsageError("--lr-fraction must be positive")
    if mp_eps is not None and float(mp_eps) not in eps:
        raise UsageError(f"--mp-eps {mp_eps:g} is not one of --eps")
    _, pre = forward(layers, X)
    min_pre = min(float(np.min(np.abs(z))) for z in pre[:-1]) if len(pre) > 1 else math.inf
    if min_pre == 0.0:
        raise UsageError("a hidden pre-activation is exactly 0 at a data point: theta* is not a differentiable "
                         "point of the risk (zhang17: build with --bias-rule mid)")
    ev_plain = np.linalg.eigvalsh((lambda J: J @ J.T)(jacobian(layers, X)))
    if balanced and len(layers) > 1:
        layers = balance(layers)
        min_pre = min(float(np.min(np.abs(z))) for z in forward(layers, X)[1][:-1])
    J = jacobian(layers, X)
    ev = np.linalg.eigvalsh(J @ J.T)
    if ev[0] <= 1e-12 * ev[-1]:
        raise UsageError(f"J J^T is singular (lambda_min / lambda_max = {ev[0] / ev[-1]:.1e}): the per-point "
                         "gradients at theta* are dependent, so Theorem 5.1's hypotheses fail")
    kappa = float(ev[-1] / ev[0])
    if epochs is None:
        epochs = math.ceil(kappa * math.log(1e6))
    if epochs < 1:
        raise UsageError("--epochs must be at least 1")
    eta = lr_fraction / float(ev[-1])
    Q, _ = np.linalg.qr(J.T)
    hb = curvature_bound(layers, X)
    tau0 = hb / math.sqrt(float(ev[0]))
    tau = 2 * tau0 if tau is None else float(tau)
    theta_star = flatten(layers)
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal(theta_star.size)
    direction /= np.linalg.norm(direction)
    perms = [rng.permutation(len(X)) for _ in range(epochs)]
    thetas0 = theta_star + np.array(eps)[:, None] * direction
    c = sgd_float(layers, X, Y, thetas0, eta, perms, Q, theta_star)
    bound_c = (math.sqrt(float(ev[-1])) * tau + hb) ** 2 / (2 * len(X))
    keep = _thin(epochs)
    runs = []
    for j, e in enumerate(eps):
        R, xi, xp, inside = c["risk"][:, j], c["xi"][:, j], c["xi_par"][:, j], c["inside"][:, j]
        hit = np.nonzero(xp < tau * xi ** 2)[0]
        ts = int(hit[0]) if hit.size else None
        runs.append({"eps": e, "inside_pattern": bool(inside[-1]), "risk0": float(R[0]), "t_star": ts,
                     "risk_t_star": float(R[ts]) if ts is not None else None,
                     "xi_t_star": float(xi[ts]) if ts is not None else None,
                     "risk_t_star_over_eps4": float(R[ts] / e ** 4) if ts is not None else None,
                     "risk_t_star_over_bound": float(R[ts] / (bound_c * xi[ts] ** 4)) if ts is not None else None,
                     "min_risk": float(R.min()), "final_risk": float(R[-1]), "max_xi_over_eps": float(xi.max() / e),
                     "final_xi_par": float(xp[-1]), "final_xi_par_over_xi_sq": float(xp[-1] / xi[-1] ** 2),
                     "curve": {"epoch": keep + ([ts] if ts is not None and ts not in keep else []),
                               "risk": [float(R[k]) for k in keep] + ([float(R[ts])] if ts is not None and ts not in keep else []),
                               "xi_par": [float(xp[k]) for k in keep] + ([float(xp[ts])] if ts is not None and ts not in keep else [])}})
    good = [r for r in runs if r["inside_pattern"]]
    crossed = [r for r in good if r["t_star"] is not None]
    slopes = {"risk0": loglog_fit([r["eps"] for r in good], [r["risk0"] for r in good]),
              "risk_t_star": loglog_fit([r["eps"] for r in crossed], [r["risk_t_star"] for r in crossed]),
              "min_risk_in_budget": loglog_fit([r["eps"] for r in good], [r["min_risk"] for r in good]),
              "final_xi_par": loglog_fit([r["eps"] for r in good], [r["final_xi_par"] for r in good])}
    report = {"certificate": str(cert_path), "construction": cert["construction"]["id"], "N": len(X),
              "params": int(theta_star.size), "balanced": balanced, "lambda_min": float(ev[0]),
              "lambda_max": float(ev[-1]), "kappa": kappa, "kappa_unbalanced": float(ev_plain[-1] / ev_plain[0]),
              "eta": eta, "eta_rule": f"{lr_fraction:g} / lambda_max(J J^T), per sample", "epochs": epochs,
              "seed": seed, "tau": tau, "tau_bound": tau0, "hessian_bound": hb, "bound_C": bound_c,
              "min_hidden_preactivation": min_pre, "rounding_floor": rounding_floor(layers, X),
              "slopes": slopes, "runs": runs, "float_note": "float64 experiment (YSJ19 Thm 5.1); not a certificate"}
    if mp_epochs > 0:
        j = int(np.argmin(eps)) if mp_eps is None else eps.index(float(mp_eps))
        m = min(mp_epochs, epochs)
        rm = sgd_mp(layers, X, Y, thetas0[j], eta, perms[:m], dps=mp_dps)
        rf = c["risk"][:m + 1, j]
        valid = [k for k in range(m + 1) if rm[k] > 1e6 * report["rounding_floor"]]
        rel = [float(abs(mpmath.mpf(float(rf[k])) - rm[k]) / rm[k]) for k in valid]
        report["mp_check"] = {"eps": eps[j], "epochs": m, "dps": mp_dps, "epochs_compared": len(valid),
                              "max_rel_diff": max(rel) if rel else None,
                              "valid_rule": "epochs with mpmath risk >= 1e6 x the float64 rounding floor"}
    if out_dir:
        _write(report, Path(out_dir))
    return report


def _write(report, out):
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out {out}: {e.strerror}") from None
    write_atomic(out / "sgd-report.json", (json.dumps(report, indent=1, sort_keys=True) + "\n").encode())
    report["plot"] = str(out / "sgd-risk.png")
    plot(report, out / "sgd-risk.png")


def plot(report, path):
    """Two panels: R per epoch for every eps (t* marked), and R(theta_0), R(t*) and the minimum
    risk against eps on log-log axes with their fitted lines.  Written atomically."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.3))
    for r in report["runs"]:
        cv = sorted(zip(r["curve"]["epoch"], r["curve"]["risk"]))
        line, = a1.semilogy([k for k, _ in cv], [max(v, 1e-300) for _, v in cv], lw=1,
                          label=f"eps={r['eps']:g}" + ("" if r["inside_pattern"] else " (left pattern)"))
        if r["t_star"] is not None:
            a1.plot(r["t_star"], r["risk_t_star"], "o", color=line.get_color(), ms=4)
    a1.set_xlabel("epoch")
    a1.set_ylabel("risk R")
    a1.set_title(f"{report['construction']}, N={report['N']}, eta={report['eta']:.2g}; dots: t*")
    a1.legend(fontsize=7)
    for key, label, mk in (("risk0", "R(theta_0)", "s"), ("risk_t_star", "R(t*)", "o"),
                           ("min_risk_in_budget", "min R in budget", "^")):
        pts = [(r["eps"], r[{"risk0": "risk0", "risk_t_star": "risk_t_star",
                             "min_risk_in_budget": "min_risk"}[key]]) for r in report["runs"] if r["inside_pattern"]]
        pts = [(e, v) for e, v in pts if v]
        fit = report["slopes"].get(key)
        if not pts:
            continue
        lab = label + (f": slope {fit['slope']:.2f} [{fit['ci95'][0]:.2f}, {fit['ci95'][1]:.2f}]" if fit else "")
        line, = a2.loglog([p[0] for p in pts], [p[1] for p in pts], mk, label=lab)
        if fit:
            le = np.log([p[0] for p in pts])
            icpt = float(np.mean(np.log([p[1] for p in pts])) - fit["slope"] * np.mean(le))
            a2.loglog(np.exp(le), np.exp(icpt + fit["slope"] * le), "-", color=line.get_color(), lw=0.8)
    a2.set_xlabel("eps = |theta_0 - theta*|")
    a2.set_ylabel("risk")
    a2.set_title(f"{report['epochs']} epochs, 95% CIs")
    a2.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    write_atomic(path, buf.getvalue())
