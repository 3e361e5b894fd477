# Reference values for regress_test.go: statsmodels 0.13 (Debian's python3-statsmodels).
# Run: python3 analysis/stats/testdata/regress_statsmodels.py
import math
import numpy as np
import statsmodels.api as sm

# Interrupted time series on 60 daily values, break at t0 = 30, deterministic "noise".
t = np.arange(60, dtype=float)
noise = np.array([0.05 * math.sin(1.7 * v) + 0.03 * math.cos(0.37 * v ** 1.3) for v in t])
d = (t >= 30).astype(float)
y = 0.3 + 0.002 * t - 0.15 * d + 0.001 * (t - 30) * d + noise
X = np.column_stack([np.ones_like(t), t, d, (t - 30) * d])
lag = int(math.floor(4 * (len(t) / 100) ** (2 / 9)))
its = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lag, "use_correction": False})
print("its lag", lag)
print("its coef", repr(its.params.tolist()))
print("its se", repr(its.bse.tolist()))

# Two-period difference in differences, 12 units (5 treated), clustered by unit.
units = []
for i in range(12):
    treated = i < 5
    pre = 1.0 + 0.1 * i + 0.07 * math.sin(2.3 * i)
    post = pre + 0.05 + 0.04 * math.cos(1.1 * i) + (0.2 if treated else 0.0)
    units.append((pre, post, treated))
rows, ys, groups = [], [], []
for i, (pre, post, tr) in enumerate(units):
    f = 1.0 if tr else 0.0
    rows.append([1, f, 0, 0]); ys.append(pre); groups.append(i)
    rows.append([1, f, 1, f]); ys.append(post); groups.append(i)
did = sm.OLS(np.array(ys), np.array(rows, dtype=float)).fit(cov_type="cluster", cov_kwds={"groups": np.array(groups)})
print("did coef", did.params[3], "se", did.bse[3])

# Mean difference with HC1 errors.
x = np.array([0.1 * math.sin(0.9 * i) + (0.05 if i % 3 == 0 else 0.0) for i in range(15)])
flag = np.array([1.0 if i % 3 == 0 else 0.0 for i in range(15)])
md = sm.OLS(x, np.column_stack([np.ones(15), flag])).fit(cov_type="HC1")
print("md coef", md.params[1], "se", md.bse[1])
