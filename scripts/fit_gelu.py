#!/usr/bin/env python3
"""Fits the rational approximations in ports/arm/neon/vector_math.h (numpy; runs in seconds):

  GELU: y = x e, e = clamp(0.5 + k0 x + x P(t) / Q(t), 0, 1), t = min(x^2, a^2), deg P = deg Q = 5.
  tanh: y = clamp(x P(t) / Q(t), -1, 1), t = min(x^2, a^2), deg P = deg Q = 4.

Each P/Q is a weighted minimax fit in double (Loeb linearisation with Lawson reweighting), weighted
so that the error it measures is the test's: |y - exact| / (1 + |exact|). k0 x takes most of e - 0.5
out of the rational part where x is large and negative, so that the rounding errors of P / Q (relative
to its own, now small, value) stay small where e itself is small. At t = a^2 the fit is pinned so that
e(a) = 1 + 5e-9 (then e(-a) = -5e-9): the clamp gives exactly 0 and 1 beyond, so GELU is 0 for
x <= -a and exactly x for x >= a. tanh is pinned to tanh(a) = 1 (a = 9: tanh is 1 in float there).
Usage: python3 scripts/fit_gelu.py   (prints the constants as C++ initialisers)"""
import math
import numpy as np

def fit(f, w, T, m, n, pin, iters=200, N=2000):
    s = np.unique(np.concatenate([(1 - np.cos(np.linspace(0, np.pi, N))) / 2, np.linspace(0, 1, N)]))
    t, fv, wv = s * T, f(s * T), w(s * T)
    A = np.hstack([np.vander(s, m + 1, increasing=True), -fv[:, None] * np.vander(s, n + 1, increasing=True)[:, 1:]])
    row = np.concatenate([np.ones(m + 1), -pin * np.ones(n)])  # P(T) = pin Q(T), in s = 1
    qprev, lam, best = np.ones_like(s), np.ones_like(s), None
    for _ in range(iters):
        sc = wv / qprev * np.sqrt(lam)
        big = 1e3 * np.abs(A * sc[:, None]).max()
        c = np.linalg.lstsq(np.vstack([A * sc[:, None], big * row]), np.append(fv * sc, big * pin), rcond=None)[0]
        p, q = c[:m + 1], np.concatenate([[1.0], c[m + 1:]])
        P, Q = np.polyval(p[::-1], s), np.polyval(q[::-1], s)
        err = wv * (P / Q - fv)
        if Q.min() > 0 and (best is None or np.abs(err).max() < best[0]): best = (np.abs(err).max(), p, q)
        qprev, lam = Q, np.maximum(lam * np.abs(err), 1e-300)
        lam /= lam.sum()
    e, p, q = best
    return e, p / T ** np.arange(m + 1), q / T ** np.arange(n + 1)

f32 = lambda v: float(np.float32(v))
erf = np.vectorize(math.erf)
c = math.sqrt(2 / math.pi)
phis = {"gelu_erf": (lambda x: 0.5 * (1 + erf(x / math.sqrt(2))), 5.6, 1.15),
        "gelu_tanh": (lambda x: 0.5 * (1 + np.tanh(c * (x + 0.044715 * x ** 3))), 5.5, 1.0)}
for name, (phi, a, k) in phis.items():
    T, k0 = f32(a * a), f32(k * 0.5 / a)
    a = math.sqrt(T)
    sq = lambda t: np.sqrt(np.maximum(t, 1e-8))
    e, p, q = fit(lambda t: (phi(sq(t)) - 0.5) / sq(t) - k0, lambda t: t / (1 + sq(t) * phi(-sq(t))),
                  T, 5, 5, (0.5 + 5e-9) / a - k0)
    print(f"// {name}: weighted max error of the fit {e:.2g}")
    print(f"{{{T!r}f, {k0!r}f, " + ", ".join(f"{v:.9g}f" for v in list(p) + list(q[1:])) + "}")
a = 9.0
sq = lambda t: np.sqrt(np.maximum(t, 1e-12))
e, p, q = fit(lambda t: np.tanh(sq(t)) / sq(t), lambda t: sq(t) / (1 + np.tanh(sq(t))), a * a, 4, 4, 1 / a)
print(f"// tanh: weighted max error of the fit {e:.2g}")
print(f"{{{a!r}f, " + ", ".join(f"{v:.9g}f" for v in list(p) + list(q[1:])) + "}")
