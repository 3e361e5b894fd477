#!/usr/bin/env python3
"""Reference values for FitLogistic (logistic_test.go).

Fits S(t) = K / (1 + ((K - N0)/N0) exp(-r t)) by nonlinear least squares with
scipy.optimize.curve_fit (Levenberg-Marquardt, absolute_sigma=False, so
pcov = s^2 (J^T J)^-1 with s^2 = RSS/(n-3)), and forms 95% Wald intervals
with Student t quantiles on n-3 degrees of freedom. The optimum is confirmed
with scipy.optimize.least_squares (trust-region reflective) from a different
start. AIC = n ln(2 pi RSS/n) + n + 2*4.

Run with scipy 1.10 / numpy 1.24: python3 logistic_scipy.py
The printed numbers are hard-coded in logistic_test.go; go test does not run
this script.
"""
import numpy as np
from scipy import optimize, stats


def logistic(t, K, r, N0):
    return K / (1 + (K - N0) / N0 * np.exp(-r * t))


# US resident population at the decennial censuses 1790-1950, in millions
# (US Census Bureau), the series Pearl & Reed (1920, PNAS 6:275-288) used
# for their logistic law of population growth (they had 1790-1910).
# t = years since 1790.
US_POP = [3.929, 5.308, 7.240, 9.638, 12.866, 17.069, 23.192, 31.443, 38.558,
          50.189, 62.980, 76.212, 92.228, 106.022, 123.203, 132.165, 151.326]
US_T = [10.0 * i for i in range(len(US_POP))]

# A channel-like series: 30 daily subscriber counts drawn once from
# K=12000, r=0.25, N0=800 plus N(0, 150^2) noise (numpy default_rng(7)),
# rounded to integers and frozen here.
CH_S = [800, 1053, 1223, 1443, 1883, 2246, 2919, 3697, 4072, 4754, 5657,
        6386, 7087, 7638, 8430, 9132, 9349, 9934, 10100, 10510, 10689, 11143,
        11160, 11529, 11621, 11656, 11375, 11726, 11841, 11899]
CH_T = [float(i) for i in range(len(CH_S))]


def report(name, t, s, p0, p0_alt):
    t, s = np.asarray(t), np.asarray(s)
    n = len(t)
    popt, pcov = optimize.curve_fit(logistic, t, s, p0=p0, method="lm",
                                    xtol=1e-15, ftol=1e-15, gtol=1e-15,
                                    maxfev=100000)
    alt = optimize.least_squares(lambda p: logistic(t, *p) - s, p0_alt,
                                 method="trf", xtol=1e-15, ftol=1e-15,
                                 gtol=1e-15)
    assert np.allclose(popt, alt.x, rtol=1e-7), (popt, alt.x)
    rss = float(np.sum((s - logistic(t, *popt)) ** 2))
    q = stats.t.ppf(0.975, n - 3)
    se = np.sqrt(np.diag(pcov))
    aic = n * np.log(2 * np.pi * rss / n) + n + 2 * 4
    print(name)
    for lab, v, e in zip(("K", "R", "N0"), popt, se):
        print(f"  {lab} = {v!r}  lo = {v - q * e!r}  hi = {v + q * e!r}")
    print(f"  RSS = {rss!r}  AIC = {aic!r}  t_0.975,{n - 3} = {q!r}")


report("US population 1790-1950", US_T, US_POP, p0=[200, 0.03, 4],
       p0_alt=[400, 0.02, 2])
report("channel series", CH_T, CH_S, p0=[12000, 0.2, 1000],
       p0_alt=[20000, 0.1, 500])
