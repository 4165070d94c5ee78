"""Log-log fits: y = c * N^s by least squares on (log N, log y), with a 95% confidence interval.

With x = ln N and z = ln y for the rows used (k of them, y > 0), ordinary least squares gives the
slope s = S_xz / S_xx and the intercept a = mean(z) - s mean(x), so c = e^a.  The slope's standard
error is sqrt(RSS / (k - 2) / S_xx), RSS the residual sum of squares, and the 95% interval is
s +- t * se with t the 97.5% quantile of Student's t with k - 2 degrees of freedom (the usual
interval for a regression slope when the residuals of log y are independent and normal with one
variance).  A floating-point computation on purpose: a fit is a statistic for the report, never
part of a certificate.
"""

from __future__ import annotations

import math

import numpy as np

# 97.5% quantiles of Student's t, degrees of freedom 1..30 (standard tables).
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
         2.045, 2.042)


def t975(df: int) -> float:
    """97.5% quantile of Student's t with ``df`` degrees of freedom (table to 30, then the
    Cornish-Fisher expansion around the normal quantile 1.959964)."""
    if df < 1:
        raise ValueError("df must be >= 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959963985
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)


def loglog_fit(ns, ys) -> dict | None:
    """Fit y = c N^s on the pairs with y > 0; None with fewer than 2 distinct N.  Returns slope,
    c, the 95% interval of the slope (None with fewer than 3 points), k and the N range."""
    pts = [(float(n), float(y)) for n, y in zip(ns, ys) if y is not None and y > 0 and n > 0]
    if len({n for n, _ in pts}) < 2:
        return None
    x = np.log(np.array([n for n, _ in pts]))
    z = np.log(np.array([y for _, y in pts]))
    k = len(pts)
    xm, zm = x.mean(), z.mean()
    sxx = float(((x - xm) ** 2).sum())
    slope = float(((x - xm) * (z - zm)).sum()) / sxx
    a = zm - slope * xm
    out = {"slope": slope, "c": math.exp(a), "k": k, "n_min": int(min(n for n, _ in pts)),
           "n_max": int(max(n for n, _ in pts)), "ci": None, "se": None}
    if k > 2:
        rss = float(((z - (a + slope * x)) ** 2).sum())
        se = math.sqrt(rss / (k - 2) / sxx)
        t = t975(k - 2)
        out.update(se=se, ci=(slope - t * se, slope + t * se))
    return out
