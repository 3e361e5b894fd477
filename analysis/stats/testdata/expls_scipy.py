#!/usr/bin/env python3
"""Reference values for ExponentialAIC (expls_test.go): the exponential S = A e^(r t) fitted
by scipy.optimize.curve_fit on the S scale from the ln-scale OLS start; AIC with k = 3.
Run with scipy 1.10: python3 expls_scipy.py; go test does not run it."""
import numpy as np
from scipy import optimize
CH_S = [800, 1053, 1223, 1443, 1883, 2246, 2919, 3697, 4072, 4754, 5657,
        6386, 7087, 7638, 8430, 9132, 9349, 9934, 10100, 10510, 10689, 11143,
        11160, 11529, 11621, 11656, 11375, 11726, 11841, 11899]
US_POP = [3.929, 5.308, 7.240, 9.638, 12.866, 17.069, 23.192, 31.443, 38.558,
          50.189, 62.980, 76.212, 92.228, 106.022, 123.203, 132.165, 151.326]
def fit(t, s):
    t=np.array(t,float); s=np.array(s,float)
    b,a=np.polyfit(t,np.log(s),1)
    p,_=optimize.curve_fit(lambda t,A,r: A*np.exp(r*t), t, s, p0=[np.exp(a),b], maxfev=100000, xtol=1e-14, ftol=1e-14)
    rss=((s-p[0]*np.exp(p[1]*t))**2).sum(); n=len(t)
    print(repr(n*np.log(2*np.pi*rss/n)+n+6), p)
fit(range(30), CH_S)
fit([10.0*i for i in range(17)], US_POP)
