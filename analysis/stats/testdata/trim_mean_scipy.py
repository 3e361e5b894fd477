#!/usr/bin/env python3
"""Reference values for InterquartileMean (engagement_test.go).

scipy.stats.trim_mean(x, 0.25) sorts x, cuts floor(0.25*n) values from each
end and averages the rest, which is CrowdTangle's "drop the top and bottom
25%, mean of the middle 50%". Run with scipy 1.10: python3 trim_mean_scipy.py
The printed numbers are hard-coded in engagement_test.go.
"""
from scipy import stats

cases = {
    "digits of pi (n=10)": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3],
    "n=7": [10, 200, 30, 40, 5000, 60, 70],
    "n=3 (nothing cut)": [1, 2, 9],
    # i*i mod 37 for i = 0..99, the generator used in the Go test.
    "i*i mod 37, n=100": [(i * i) % 37 for i in range(100)],
    # 1000 + (i*7919) mod 101 for i = 0..56 (n not a multiple of 4).
    "1000+(7919 i mod 101), n=57": [1000 + (i * 7919) % 101 for i in range(57)],
}
for name, x in cases.items():
    print(f"{name}: {stats.trim_mean(x, 0.25)!r}")
