"""Wrong and alternative answers for 03_scaling_laws (see autograder/AUTHORING.md)."""

# graded function -> the grade_ids of the test cells that grade it
TESTS = {
    "fit_power_law": ["test_fit_power_law"],
    "training_flops": ["test_training_flops"],
    "chinchilla_loss": ["test_chinchilla_loss"],
    "min_over_curves": ["test_min_over_curves"],
    "isoflop_optimum": ["test_isoflop_optimum"],
    "huber_loss": ["test_huber_loss"],
    "fit_chinchilla": ["test_fit_chinchilla_synthetic", "test_fit_chinchilla_real"],
    "allocation_exponents": ["test_allocation_exponents"],
    "compute_optimal": ["test_compute_optimal"],
}

# The sum-Huber objective with its analytic gradient and the paper's grid, shared by several fit_chinchilla
# variants below (each variant's code is run on its own, so it is pasted into the ones that need it).
_FIT_COMMON = '''
import itertools
import numpy as np
from scipy.optimize import minimize

def _grid():
    return np.array(list(itertools.product(np.arange(0, 30, 5), np.arange(0, 30, 5), np.arange(-1, 1.5, 0.5),
                                           np.arange(0, 2.5, 0.5), np.arange(0, 2.5, 0.5))), dtype=np.float64)

def _huber(r, delta):
    return np.where(np.abs(r) <= delta, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta))

def _objective_factory(log_N, log_D, log_L, delta, scale=1.0):
    def f(theta):
        a, b, e, alpha, beta = theta
        t1, t2 = a - alpha * log_N, b - beta * log_D
        top = np.maximum(np.maximum(t1, t2), e)
        w1, w2, w3 = np.exp(t1 - top), np.exp(t2 - top), np.exp(e - top)
        s = w1 + w2 + w3
        r = top + np.log(s) - log_L
        psi = np.clip(r, -delta, delta) / s
        g = np.array([(psi * w1).sum(), (psi * w2).sum(), (psi * w3).sum(),
                      -(psi * w1) @ log_N, -(psi * w2) @ log_D])
        return scale * _huber(r, delta).sum(), scale * g
    return f

def _best_starts(log_N, log_D, log_L, delta, k):
    grid = _grid()
    a, b, e, al, be = (grid[:, j:j + 1] for j in range(5))
    r = np.logaddexp(np.logaddexp(a - al * log_N, b - be * log_D), e) - log_L
    return grid[np.argsort(_huber(r, delta).sum(axis=1))[:k]]
'''

WRONG = {
    "fit_power_law": {
        "linear_space_curve_fit": '''
import numpy as np
from scipy.optimize import curve_fit
def fit_power_law(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    k0, c0 = np.polyfit(np.log(x), np.log(y), 1)
    (c, k), _ = curve_fit(lambda x, c, k: c * x ** k, x, y, p0=[np.exp(c0), k0], maxfev=10000)
    return float(c), float(k)
''',
        "log10_fit_exp_intercept": '''
import numpy as np
def fit_power_law(x, y):
    k, c = np.polyfit(np.log10(x), np.log10(y), 1)
    return float(np.exp(c)), float(k)
''',
        "swapped_return_order": '''
import numpy as np
def fit_power_law(x, y):
    k, c = np.polyfit(np.log(x), np.log(y), 1)
    return float(k), float(np.exp(c))
''',
        "reversed_regression": '''
import numpy as np
def fit_power_law(x, y):
    # regresses log x on log y and inverts the line: not the least-squares fit of log y on log x
    s, t = np.polyfit(np.log(y), np.log(x), 1)
    k = 1.0 / s
    return float(np.exp(-t / s)), float(k)
''',
        "semilog_fit": '''
import numpy as np
def fit_power_law(x, y):
    k, c = np.polyfit(np.asarray(x, float), np.log(y), 1)
    return float(np.exp(c)), float(k)
''',
    },
    "training_flops": {
        "two_ND": '''
import numpy as np
def training_flops(N, D):
    C = 2.0 * np.asarray(N, dtype=np.float64) * np.asarray(D, dtype=np.float64)
    return float(C) if C.ndim == 0 else C
''',
        "C_equals_ND": '''
import numpy as np
def training_flops(N, D):
    C = np.asarray(N, dtype=np.float64) * np.asarray(D, dtype=np.float64)
    return float(C) if C.ndim == 0 else C
''',
        "integer_overflow": '''
import numpy as np
def training_flops(N, D):
    C = 6 * np.asarray(N) * np.asarray(D)   # int64 arrays wrap around silently
    return float(C) if np.ndim(C) == 0 else C
''',
        "zero_d_array_for_scalars": '''
import numpy as np
def training_flops(N, D):
    return np.asarray(6.0 * np.asarray(N, dtype=np.float64) * np.asarray(D, dtype=np.float64))
''',
    },
    "chinchilla_loss": {
        "swapped_exponents": '''
import numpy as np
def chinchilla_loss(N, D, params):
    N, D = np.asarray(N, float), np.asarray(D, float)
    L = params["E"] + params["A"] / N ** params["beta"] + params["B"] / D ** params["alpha"]
    return float(L) if L.ndim == 0 else L
''',
        "missing_E": '''
import numpy as np
def chinchilla_loss(N, D, params):
    N, D = np.asarray(N, float), np.asarray(D, float)
    L = params["A"] / N ** params["alpha"] + params["B"] / D ** params["beta"]
    return float(L) if L.ndim == 0 else L
''',
        "powers_multiplied": '''
import numpy as np
def chinchilla_loss(N, D, params):
    N, D = np.asarray(N, float), np.asarray(D, float)
    L = params["E"] + params["A"] * N ** params["alpha"] + params["B"] * D ** params["beta"]
    return float(L) if L.ndim == 0 else L
''',
        "returns_log_loss": '''
import numpy as np
def chinchilla_loss(N, D, params):
    N, D = np.asarray(N, float), np.asarray(D, float)
    L = np.logaddexp(np.logaddexp(np.log(params["A"]) - params["alpha"] * np.log(N),
                                  np.log(params["B"]) - params["beta"] * np.log(D)), np.log(params["E"]))
    return float(L) if L.ndim == 0 else L
''',
    },
    "min_over_curves": {
        "argmin_ignores_nan": '''
import numpy as np
def min_over_curves(sizes, losses):
    losses = np.asarray(losses, float)
    best = np.argmin(losses, axis=0)      # NaN wins np.argmin
    return losses[best, np.arange(losses.shape[1])], np.asarray(sizes, float)[best]
''',
        "nan_as_zero": '''
import numpy as np
def min_over_curves(sizes, losses):
    losses = np.nan_to_num(np.asarray(losses, float))
    best = np.argmin(losses, axis=0)
    return losses[best, np.arange(losses.shape[1])], np.asarray(sizes, float)[best]
''',
        "returns_row_index": '''
import numpy as np
def min_over_curves(sizes, losses):
    losses = np.asarray(losses, float)
    best = np.nanargmin(losses, axis=0)
    return np.nanmin(losses, axis=0), best.astype(float)
''',
        "wrong_axis": '''
import numpy as np
def min_over_curves(sizes, losses):
    losses = np.asarray(losses, float)
    best = np.nanargmin(losses, axis=1)
    return np.nanmin(losses, axis=1), np.asarray(sizes, float)[best]
''',
    },
    "isoflop_optimum": {
        "best_sampled_run": '''
import numpy as np
def isoflop_optimum(N, loss):
    c2 = np.polyfit(np.log(N), loss, 2)[0]
    if c2 <= 0:
        raise ValueError("no minimum")
    return float(np.asarray(N, float)[np.argmin(loss)])
''',
        "vertex_in_N": '''
import numpy as np
def isoflop_optimum(N, loss):
    c2, c1, _ = np.polyfit(np.asarray(N, float), np.asarray(loss, float), 2)
    if c2 <= 0:
        raise ValueError("no minimum")
    return float(-c1 / (2 * c2))
''',
        "log10_vertex_exp": '''
import numpy as np
def isoflop_optimum(N, loss):
    c2, c1, _ = np.polyfit(np.log10(N), loss, 2)
    if c2 <= 0:
        raise ValueError("no minimum")
    return float(np.exp(-c1 / (2 * c2)))
''',
        "no_check_for_maximum": '''
import numpy as np
def isoflop_optimum(N, loss):
    c2, c1, _ = np.polyfit(np.log(N), loss, 2)
    return float(np.exp(-c1 / (2 * c2)))
''',
    },
    "huber_loss": {
        "squared_everywhere": '''
import numpy as np
def huber_loss(r, delta):
    h = 0.5 * np.asarray(r, float) ** 2
    return float(h) if h.ndim == 0 else h
''',
        "smooth_l1_scaled_by_delta": '''
import numpy as np
import torch
import torch.nn.functional as F
def huber_loss(r, delta):
    t = torch.as_tensor(np.asarray(r, float))
    h = F.smooth_l1_loss(t, torch.zeros_like(t), reduction="none", beta=delta).numpy()
    return float(h) if h.ndim == 0 else h
''',
        "linear_branch_missing_half_delta": '''
import numpy as np
def huber_loss(r, delta):
    r = np.asarray(r, float)
    h = np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * np.abs(r))
    return float(h) if h.ndim == 0 else h
''',
        "mean_reduction": '''
import numpy as np
def huber_loss(r, delta):
    r = np.asarray(r, float)
    return float(np.mean(np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta))))
''',
        "quadratic_without_half": '''
import numpy as np
def huber_loss(r, delta):
    r = np.asarray(r, float)
    h = np.where(np.abs(r) <= delta, r ** 2, delta * (2 * np.abs(r) - delta))
    return float(h) if h.ndim == 0 else h
''',
    },
    "fit_chinchilla": {
        "mean_huber_stops_early": _FIT_COMMON + '''
def fit_chinchilla(N, D, loss, delta=1e-3):
    log_N, log_D, log_L = np.log(N), np.log(D), np.log(loss)
    f = _objective_factory(log_N, log_D, log_L, delta, scale=1.0 / len(log_L))   # the mean
    best = None
    for start in _best_starts(log_N, log_D, log_L, delta, 4):
        res = minimize(f, start, jac=True, method="L-BFGS-B")   # default tolerances
        if best is None or res.fun < best.fun:
            best = res
    a, b, e, alpha, beta = best.x
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": float(alpha), "beta": float(beta)}
''',
        "residuals_in_linear_space": _FIT_COMMON + '''
def fit_chinchilla(N, D, loss, delta=1e-3):
    log_N, log_D, L = np.log(N), np.log(D), np.asarray(loss, float)
    def f(theta):
        a, b, e, alpha, beta = theta
        r = np.exp(a - alpha * log_N) + np.exp(b - beta * log_D) + np.exp(e) - L
        return _huber(r, delta).sum()
    best = None
    for start in _best_starts(log_N, log_D, np.log(L), delta, 4):
        res = minimize(f, start, method="L-BFGS-B", options={"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-12})
        if best is None or res.fun < best.fun:
            best = res
    a, b, e, alpha, beta = best.x
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": float(alpha), "beta": float(beta)}
''',
        "log10_data_exp_params": _FIT_COMMON + '''
def fit_chinchilla(N, D, loss, delta=1e-3):
    log_N, log_D, log_L = np.log10(N), np.log10(D), np.log(loss)   # log10 mixed with ln / exp
    f = _objective_factory(log_N, log_D, log_L, delta)
    best = None
    for start in _best_starts(log_N, log_D, log_L, delta, 4):
        res = minimize(f, start, jac=True, method="L-BFGS-B", options={"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-12})
        if best is None or res.fun < best.fun:
            best = res
    a, b, e, alpha, beta = best.x
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": float(alpha), "beta": float(beta)}
''',
        "returns_log_constants": _FIT_COMMON + '''
def fit_chinchilla(N, D, loss, delta=1e-3):
    log_N, log_D, log_L = np.log(N), np.log(D), np.log(loss)
    f = _objective_factory(log_N, log_D, log_L, delta)
    best = None
    for start in _best_starts(log_N, log_D, log_L, delta, 4):
        res = minimize(f, start, jac=True, method="L-BFGS-B", options={"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-12})
        if best is None or res.fun < best.fun:
            best = res
    a, b, e, alpha, beta = best.x
    return {"E": float(e), "A": float(a), "B": float(b), "alpha": float(alpha), "beta": float(beta)}
''',
        "squared_loss_not_huber": _FIT_COMMON + '''
def fit_chinchilla(N, D, loss, delta=1e-3):
    log_N, log_D, log_L = np.log(N), np.log(D), np.log(loss)
    def f(theta):
        a, b, e, alpha, beta = theta
        r = np.logaddexp(np.logaddexp(a - alpha * log_N, b - beta * log_D), e) - log_L
        return 0.5 * np.sum(r * r)
    best = None
    for start in _best_starts(log_N, log_D, log_L, delta, 4):
        res = minimize(f, start, method="L-BFGS-B", options={"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-12})
        if best is None or res.fun < best.fun:
            best = res
    a, b, e, alpha, beta = best.x
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": float(alpha), "beta": float(beta)}
''',
        "single_start_default_tolerances": _FIT_COMMON + '''
def fit_chinchilla(N, D, loss, delta=1e-3):
    log_N, log_D, log_L = np.log(N), np.log(D), np.log(loss)
    f = _objective_factory(log_N, log_D, log_L, delta)
    res = minimize(f, _best_starts(log_N, log_D, log_L, delta, 1)[0], jac=True, method="L-BFGS-B")
    a, b, e, alpha, beta = res.x
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": float(alpha), "beta": float(beta)}
''',
        "returns_published_constants": '''
def fit_chinchilla(N, D, loss, delta=1e-3):
    return {"E": 1.8172, "A": 477.84, "B": 2143.86, "alpha": 0.3473, "beta": 0.3672}
''',
    },
    "allocation_exponents": {
        "swapped": '''
def allocation_exponents(params):
    s = params["alpha"] + params["beta"]
    return params["alpha"] / s, params["beta"] / s
''',
        "ratio_of_exponents": '''
def allocation_exponents(params):
    return params["beta"] / params["alpha"], params["alpha"] / params["beta"]
''',
        "same_exponent_twice": '''
def allocation_exponents(params):
    a = params["beta"] / (params["alpha"] + params["beta"])
    return a, a
''',
        "zero_d_arrays_not_floats": '''
import numpy as np
def allocation_exponents(params):
    alpha, beta = params["alpha"], params["beta"]
    return np.asarray(beta / (alpha + beta)), np.asarray(alpha / (alpha + beta))   # 0-d arrays, not floats
''',
    },
    "compute_optimal": {
        "C_equals_ND": '''
import numpy as np
def compute_optimal(C, params):
    al, be = params["alpha"], params["beta"]
    G = (al * params["A"] / (be * params["B"])) ** (1 / (al + be))
    C = np.asarray(C, float)
    N, D = G * C ** (be / (al + be)), C ** (al / (al + be)) / G
    return (float(N), float(D)) if N.ndim == 0 else (N, D)
''',
        "two_ND": '''
import numpy as np
def compute_optimal(C, params):
    al, be = params["alpha"], params["beta"]
    G = (al * params["A"] / (be * params["B"])) ** (1 / (al + be))
    C = np.asarray(C, float) / 2
    N, D = G * C ** (be / (al + be)), C ** (al / (al + be)) / G
    return (float(N), float(D)) if N.ndim == 0 else (N, D)
''',
        "swapped_exponents": '''
import numpy as np
def compute_optimal(C, params):
    al, be = params["alpha"], params["beta"]
    G = (al * params["A"] / (be * params["B"])) ** (1 / (al + be))
    C = np.asarray(C, float) / 6
    N, D = G * C ** (al / (al + be)), C ** (be / (al + be)) / G
    return (float(N), float(D)) if N.ndim == 0 else (N, D)
''',
        "G_inverted": '''
import numpy as np
def compute_optimal(C, params):
    al, be = params["alpha"], params["beta"]
    G = (be * params["B"] / (al * params["A"])) ** (1 / (al + be))
    C = np.asarray(C, float) / 6
    N, D = G * C ** (be / (al + be)), C ** (al / (al + be)) / G
    return (float(N), float(D)) if N.ndim == 0 else (N, D)
''',
        "G_without_exponents": '''
import numpy as np
def compute_optimal(C, params):
    al, be = params["alpha"], params["beta"]
    G = (params["A"] / params["B"]) ** (1 / (al + be))
    C = np.asarray(C, float) / 6
    N, D = G * C ** (be / (al + be)), C ** (al / (al + be)) / G
    return (float(N), float(D)) if N.ndim == 0 else (N, D)
''',
    },
}

ALTERNATIVE = {
    "fit_power_law": {
        "np_polyfit": '''
import numpy as np
def fit_power_law(x, y):
    k, c = np.polyfit(np.log(x), np.log(y), 1)
    return float(np.exp(c)), float(k)
''',
        "log10_and_power_of_ten": '''
import numpy as np
def fit_power_law(x, y):
    k, c = np.polyfit(np.log10(np.asarray(x, float)), np.log10(np.asarray(y, float)), 1)
    return float(10.0 ** c), float(k)
''',
        "scipy_linregress": '''
import numpy as np
from scipy.stats import linregress
def fit_power_law(x, y):
    res = linregress(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)))
    return float(np.exp(res.intercept)), float(res.slope)
''',
        "curve_fit_in_log_space": '''
import numpy as np
from scipy.optimize import curve_fit
def fit_power_law(x, y):
    u, v = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    (log_c, k), _ = curve_fit(lambda u, log_c, k: log_c + k * u, u, v, p0=[0.0, 0.0])
    return float(np.exp(log_c)), float(k)
''',
        "loop_sums": '''
import math
def fit_power_law(x, y):
    u = [math.log(float(v)) for v in x]
    w = [math.log(float(v)) for v in y]
    n = len(u)
    su, sw = sum(u), sum(w)
    suu = sum(a * a for a in u)
    suw = sum(a * b for a, b in zip(u, w))
    k = (n * suw - su * sw) / (n * suu - su * su)
    return math.exp((sw - k * su) / n), k
''',
        "torch_lstsq": '''
import numpy as np
import torch
def fit_power_law(x, y):
    u = torch.log(torch.as_tensor(np.asarray(x, float)))
    v = torch.log(torch.as_tensor(np.asarray(y, float)))
    X = torch.stack([torch.ones_like(u), u], dim=1)
    sol = torch.linalg.lstsq(X, v[:, None]).solution[:, 0]
    return float(torch.exp(sol[0])), float(sol[1])
''',
    },
    "training_flops": {
        "torch_float64": '''
import numpy as np
import torch
def training_flops(N, D):
    C = (6 * torch.as_tensor(np.asarray(N), dtype=torch.float64) * torch.as_tensor(np.asarray(D), dtype=torch.float64)).numpy()
    return float(C) if C.ndim == 0 else C
''',
        "np_multiply_dtype": '''
import numpy as np
def training_flops(N, D):
    C = np.multiply(np.multiply(6.0, N, dtype=np.float64), D, dtype=np.float64)
    return float(C) if np.ndim(C) == 0 else C
''',
        "vectorize_loop": '''
import numpy as np
def training_flops(N, D):
    if np.ndim(N) == 0 and np.ndim(D) == 0:
        return 6.0 * float(N) * float(D)
    Nb, Db = np.broadcast_arrays(np.asarray(N), np.asarray(D))
    out = np.empty(Nb.shape, dtype=np.float64)
    for idx in np.ndindex(Nb.shape):
        out[idx] = 6.0 * float(Nb[idx]) * float(Db[idx])
    return out
''',
    },
    "chinchilla_loss": {
        "log_sum_exp_form": '''
import numpy as np
def chinchilla_loss(N, D, params):
    ln, ld = np.log(np.asarray(N, float)), np.log(np.asarray(D, float))
    L = np.exp(np.logaddexp(np.logaddexp(np.log(params["A"]) - params["alpha"] * ln,
                                         np.log(params["B"]) - params["beta"] * ld), np.log(params["E"])))
    return float(L) if np.ndim(L) == 0 else L
''',
        "torch_float64": '''
import numpy as np
import torch
def chinchilla_loss(N, D, params):
    n = torch.as_tensor(np.asarray(N, float))
    d = torch.as_tensor(np.asarray(D, float))
    L = (params["E"] + params["A"] * n.pow(-params["alpha"]) + params["B"] * d.pow(-params["beta"])).numpy()
    return float(L) if L.ndim == 0 else L
''',
        "vectorized_python_function": '''
import math
import numpy as np
def chinchilla_loss(N, D, params):
    def one(n, d):
        return params["E"] + params["A"] / float(n) ** params["alpha"] + params["B"] / float(d) ** params["beta"]
    if np.ndim(N) == 0 and np.ndim(D) == 0:
        return one(N, D)
    return np.vectorize(one, otypes=[np.float64])(N, D)
''',
    },
    "min_over_curves": {
        "nanargmin": '''
import numpy as np
def min_over_curves(sizes, losses):
    losses = np.asarray(losses, dtype=np.float64)
    best = np.nanargmin(losses, axis=0)
    return np.nanmin(losses, axis=0), np.asarray(sizes, dtype=np.float64)[best]
''',
        "python_loops": '''
import math
import numpy as np
def min_over_curves(sizes, losses):
    M, G = np.shape(losses)
    out_loss, out_size = np.empty(G), np.empty(G)
    for g in range(G):
        best_m = -1
        for m in range(M):
            v = float(losses[m][g])
            if not math.isnan(v) and (best_m < 0 or v < float(losses[best_m][g])):
                best_m = m
        out_loss[g], out_size[g] = float(losses[best_m][g]), float(sizes[best_m])
    return out_loss, out_size
''',
        "masked_array": '''
import numpy as np
def min_over_curves(sizes, losses):
    ma = np.ma.masked_invalid(np.asarray(losses, float))
    best = ma.argmin(axis=0)
    return np.asarray(ma.min(axis=0).filled(np.nan), float), np.asarray(sizes, float)[best]
''',
    },
    "isoflop_optimum": {
        "log10_and_power_of_ten": '''
import numpy as np
def isoflop_optimum(N, loss):
    c2, c1, _ = np.polyfit(np.log10(N), loss, 2)
    if c2 <= 0:
        raise ValueError("no minimum")
    return float(10.0 ** (-c1 / (2 * c2)))
''',
        "lstsq_design_matrix": '''
import numpy as np
def isoflop_optimum(N, loss):
    u = np.log(np.asarray(N, float))
    X = np.column_stack([u ** 2, u, np.ones_like(u)])
    (c2, c1, c0), *_ = np.linalg.lstsq(X, np.asarray(loss, float), rcond=None)
    if c2 <= 0:
        raise ValueError("no minimum")
    return float(np.exp(-c1 / (2 * c2)))
''',
        "polynomial_class": '''
import numpy as np
from numpy.polynomial import Polynomial
def isoflop_optimum(N, loss):
    p = Polynomial.fit(np.log(np.asarray(N, float)), np.asarray(loss, float), 2).convert()
    c0, c1, c2 = p.coef
    if c2 <= 0:
        raise ValueError("no minimum")
    return float(np.exp(p.deriv().roots()[0].real))
''',
        "curve_fit_centred": '''
import numpy as np
from scipy.optimize import curve_fit
def isoflop_optimum(N, loss):
    u = np.log(np.asarray(N, float))
    m = u.mean()
    (c2, c1, c0), _ = curve_fit(lambda u, c2, c1, c0: c2 * (u - m) ** 2 + c1 * (u - m) + c0, u,
                                np.asarray(loss, float), p0=[0.0, 0.0, 0.0])
    if c2 <= 0:
        raise ValueError("no minimum")
    return float(np.exp(m - c1 / (2 * c2)))
''',
    },
    "huber_loss": {
        "scipy_special_huber": '''
import numpy as np
from scipy.special import huber
def huber_loss(r, delta):
    h = huber(delta, np.asarray(r, float))
    return float(h) if np.ndim(h) == 0 else h
''',
        "torch_huber_loss": '''
import numpy as np
import torch
import torch.nn.functional as F
def huber_loss(r, delta):
    t = torch.as_tensor(np.asarray(r, float))
    h = F.huber_loss(t, torch.zeros_like(t), reduction="none", delta=delta).numpy()
    return float(h) if h.ndim == 0 else h
''',
        "python_loop": '''
import numpy as np
def huber_loss(r, delta):
    def one(x):
        x = float(x)
        return 0.5 * x * x if abs(x) <= delta else delta * (abs(x) - 0.5 * delta)
    if np.ndim(r) == 0:
        return one(r)
    arr = np.asarray(r)
    return np.array([one(x) for x in arr.ravel()], dtype=np.float64).reshape(arr.shape)
''',
    },
    "fit_chinchilla": {
        "torch_lbfgs_autograd": '''
import itertools
import numpy as np
import torch
import torch.nn.functional as F
def fit_chinchilla(N, D, loss, delta=1e-3):
    log_N = torch.log(torch.as_tensor(np.asarray(N, float)))
    log_D = torch.log(torch.as_tensor(np.asarray(D, float)))
    log_L = torch.log(torch.as_tensor(np.asarray(loss, float)))
    grid = torch.tensor(list(itertools.product(np.arange(0, 30, 5), np.arange(0, 30, 5), np.arange(-1, 1.5, 0.5),
                                               np.arange(0, 2.5, 0.5), np.arange(0, 2.5, 0.5))), dtype=torch.float64)
    def predict(theta):   # theta: (..., 5)
        a, b, e, al, be = (theta[..., j:j + 1] for j in range(5))
        terms = torch.stack(torch.broadcast_tensors(a - al * log_N, b - be * log_D, e), dim=0)
        return torch.logsumexp(terms, dim=0)
    with torch.no_grad():
        start_obj = F.huber_loss(predict(grid), log_L.expand(len(grid), -1), delta=delta, reduction="none").sum(1)
    best_val, best_theta = float("inf"), None
    for k in torch.argsort(start_obj)[:4]:
        theta = grid[k].clone().requires_grad_(True)
        opt = torch.optim.LBFGS([theta], lr=1, max_iter=500, tolerance_grad=1e-14, tolerance_change=1e-16,
                                history_size=10, line_search_fn="strong_wolfe")
        def closure():
            opt.zero_grad()
            val = F.huber_loss(predict(theta), log_L, delta=delta, reduction="sum")
            val.backward()
            return val
        opt.step(closure)
        with torch.no_grad():
            val = float(F.huber_loss(predict(theta), log_L, delta=delta, reduction="sum"))
        if val < best_val:
            best_val, best_theta = val, theta.detach().numpy().copy()
    a, b, e, al, be = best_theta
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": float(al), "beta": float(be)}
''',
        "scipy_huber_numerical_gradient": '''
import itertools
import numpy as np
from scipy.optimize import minimize
from scipy.special import huber, logsumexp
def fit_chinchilla(N, D, loss, delta=1e-3):
    lN, lD, lL = np.log(N), np.log(D), np.log(loss)
    def obj(t):
        pred = logsumexp(np.stack([t[0] - t[3] * lN, t[1] - t[4] * lD, np.full_like(lN, t[2])]), axis=0)
        return huber(delta, pred - lL).sum()
    grid = np.array(list(itertools.product(range(0, 30, 5), range(0, 30, 5), [-1, -0.5, 0, 0.5, 1],
                                           [0, 0.5, 1, 1.5, 2], [0, 0.5, 1, 1.5, 2])), dtype=float)
    values = [obj(t) for t in grid]        # a plain loop over the 4,500 starts: slower, still under a second or two
    best = None
    for k in np.argsort(values)[:3]:
        res = minimize(obj, grid[k], method="L-BFGS-B", options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-12})
        if best is None or res.fun < best.fun:
            best = res
    a, b, e, al, be = best.x
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": float(al), "beta": float(be)}
''',
        "bfgs_from_paper_constants": _FIT_COMMON + '''
def fit_chinchilla(N, D, loss, delta=1e-3):
    log_N, log_D, log_L = np.log(N), np.log(D), np.log(loss)
    f = _objective_factory(log_N, log_D, log_L, delta)
    # starts: the paper's published constants and the two best grid points; BFGS instead of L-BFGS-B
    starts = [np.array([np.log(406.4), np.log(410.7), np.log(1.69), 0.34, 0.28]),
              *_best_starts(log_N, log_D, log_L, delta, 2)]
    best = None
    for start in starts:
        res = minimize(f, start, jac=True, method="BFGS", options={"gtol": 1e-12, "maxiter": 2000})
        if best is None or res.fun < best.fun:
            best = res
    a, b, e, alpha, beta = best.x
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": float(alpha), "beta": float(beta)}
''',
    },
    "allocation_exponents": {
        "one_minus_a": '''
def allocation_exponents(params):
    a = params["beta"] / (params["alpha"] + params["beta"])
    return float(a), float(1.0 - a)
''',
        "numpy_array_then_floats": '''
import numpy as np
def allocation_exponents(params):
    ex = np.array([params["beta"], params["alpha"]], dtype=np.float64)
    a, b = ex / ex.sum()
    return float(a), float(b)
''',
        "numpy_float64_scalars": '''
import numpy as np
def allocation_exponents(params):
    a, b = np.array([params["beta"], params["alpha"]], dtype=np.float64) / (params["alpha"] + params["beta"])
    return a, b   # np.float64 is a subclass of float
''',
    },
    "compute_optimal": {
        "numerical_minimisation_loop": '''
import math
import numpy as np
from scipy.optimize import minimize_scalar
def compute_optimal(C, params):
    def one(c):
        f = lambda u: params["A"] * math.exp(-params["alpha"] * u) + params["B"] * (c / 6.0) ** -params["beta"] * math.exp(params["beta"] * u)
        u = minimize_scalar(f, bounds=(0.0, math.log(c / 6.0)), method="bounded", options={"xatol": 1e-11}).x
        return math.exp(u), c / (6.0 * math.exp(u))
    if np.ndim(C) == 0:
        return one(float(C))
    C = np.asarray(C, float)
    out = np.array([one(float(c)) for c in C.ravel()])
    return out[:, 0].reshape(C.shape), out[:, 1].reshape(C.shape)
''',
        "log_space_closed_form": '''
import numpy as np
def compute_optimal(C, params):
    al, be = params["alpha"], params["beta"]
    log_c6 = np.log(np.asarray(C, float)) - np.log(6.0)
    log_N = (np.log(al * params["A"]) - np.log(be * params["B"]) + be * log_c6) / (al + be)
    N = np.exp(log_N)
    D = np.exp(log_c6 - log_N)
    return (float(N), float(D)) if N.ndim == 0 else (N, D)
''',
        "uses_allocation_exponents": '''
import numpy as np
def compute_optimal(C, params):
    a, b = allocation_exponents(params)
    G = (params["alpha"] * params["A"] / (params["beta"] * params["B"])) ** (1 / (params["alpha"] + params["beta"]))
    c6 = np.asarray(C, dtype=np.float64) / 6
    N, D = G * c6 ** a, c6 ** b / G
    if np.ndim(N) == 0:
        return float(N), float(D)
    return N, D
''',
    },
}

# --- second edition: Table 2's bootstrap ---
TESTS.update({
    "bootstrap_exponents": ["test_bootstrap_exponents_subsets", "test_bootstrap_exponents_percentiles"],
})

WRONG.update({
    "bootstrap_exponents": {
        "with_replacement": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    draws = np.array([estimate(np.sort(rng.choice(n_runs, int(round(frac * n_runs)), replace=True)))
                      for _ in range(n_boot)], dtype=float)
    lo, hi = np.percentile(draws, [10, 90], axis=0)
    return {"a": (float(lo[0]), float(hi[0])), "b": (float(lo[1]), float(hi[1])), "draws": draws}
''',
        "full_size_resample": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    draws = np.array([estimate(np.sort(rng.choice(n_runs, n_runs, replace=True))) for _ in range(n_boot)], dtype=float)
    lo, hi = np.percentile(draws, [10, 90], axis=0)
    return {"a": (float(lo[0]), float(hi[0])), "b": (float(lo[1]), float(hi[1])), "draws": draws}
''',
        "same_subset_every_time": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    draws = []
    for _ in range(n_boot):
        rng = np.random.default_rng(seed)          # re-created inside the loop: the same subset each time
        draws.append(estimate(np.sort(rng.choice(n_runs, int(round(frac * n_runs)), replace=False))))
    draws = np.array(draws, dtype=float)
    lo, hi = np.percentile(draws, [10, 90], axis=0)
    return {"a": (float(lo[0]), float(hi[0])), "b": (float(lo[1]), float(hi[1])), "draws": draws}
''',
        "percentiles_5_95": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    draws = np.array([estimate(np.sort(rng.choice(n_runs, int(round(frac * n_runs)), replace=False)))
                      for _ in range(n_boot)], dtype=float)
    lo, hi = np.percentile(draws, [5, 95], axis=0)
    return {"a": (float(lo[0]), float(hi[0])), "b": (float(lo[1]), float(hi[1])), "draws": draws}
''',
        "normal_approximation": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    draws = np.array([estimate(np.sort(rng.choice(n_runs, int(round(frac * n_runs)), replace=False)))
                      for _ in range(n_boot)], dtype=float)
    m, s = draws.mean(axis=0), draws.std(axis=0)
    return {"a": (float(m[0] - 1.2816 * s[0]), float(m[0] + 1.2816 * s[0])),
            "b": (float(m[1] - 1.2816 * s[1]), float(m[1] + 1.2816 * s[1])), "draws": draws}
''',
        "unsorted_indices": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    draws = np.array([estimate(rng.choice(n_runs, int(round(frac * n_runs)), replace=False))
                      for _ in range(n_boot)], dtype=float)
    lo, hi = np.percentile(draws, [10, 90], axis=0)
    return {"a": (float(lo[0]), float(hi[0])), "b": (float(lo[1]), float(hi[1])), "draws": draws}
''',
        "draws_sorted": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    draws = np.array([estimate(np.sort(rng.choice(n_runs, int(round(frac * n_runs)), replace=False)))
                      for _ in range(n_boot)], dtype=float)
    draws = np.sort(draws, axis=0)
    lo, hi = draws[int(0.1 * n_boot)], draws[int(0.9 * n_boot) - 1]
    return {"a": (float(lo[0]), float(hi[0])), "b": (float(lo[1]), float(hi[1])), "draws": draws}
''',
        "columns_swapped": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    draws = np.array([estimate(np.sort(rng.choice(n_runs, int(round(frac * n_runs)), replace=False)))
                      for _ in range(n_boot)], dtype=float)
    lo, hi = np.percentile(draws, [10, 90], axis=0)
    return {"a": (float(lo[1]), float(hi[1])), "b": (float(lo[0]), float(hi[0])), "draws": draws}
''',
    },
})

ALTERNATIVE.update({
    "bootstrap_exponents": {
        "permutation_and_quantile": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    m = int(frac * n_runs + 0.5)
    draws = np.zeros((n_boot, 2))
    for k in range(n_boot):
        draws[k] = estimate(np.sort(rng.permutation(n_runs)[:m]))
    q = np.quantile(draws, [0.1, 0.9], axis=0)
    return {"a": (float(q[0, 0]), float(q[1, 0])), "b": (float(q[0, 1]), float(q[1, 1])), "draws": draws}
''',
        "legacy_seed_and_statistics": '''
import statistics
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    state = np.random.RandomState(seed)
    a_list, b_list = [], []
    for _ in range(n_boot):
        idx = sorted(state.choice(n_runs, size=int(round(frac * n_runs)), replace=False))
        a, b = estimate(np.array(idx))
        a_list.append(a)
        b_list.append(b)
    qa = statistics.quantiles(a_list, n=10, method="inclusive")
    qb = statistics.quantiles(b_list, n=10, method="inclusive")
    return {"a": (qa[0], qa[-1]), "b": (qb[0], qb[-1]), "draws": np.column_stack([a_list, b_list])}
''',
    },
})

# --- second edition: the experiment-design task ---
TESTS.update({
    "design_runs": ["test_design_runs_budget", "test_design_runs_predicts"],
    "predict_n_opt": ["test_predict_n_opt"],
})

WRONG.update({
    "design_runs": {
        "one_size": '''
import numpy as np
def design_runs(total_flops):
    D = np.geomspace(1e9, 1e11, 20)
    D = D / D.sum() * total_flops / 6e8
    return [(1e8, float(d)) for d in D]
''',
        "whole_budget_on_one_run": '''
import math
def design_runs(total_flops):
    c = total_flops / 3
    n = math.sqrt(c / 120)
    return [(n, c / (6 * n))] * 3      # three copies of the same run, a third of the budget each
''',
        "one_isoflop_sweep": '''
import math
import numpy as np
def design_runs(total_flops):
    c = total_flops / 7
    return [(float(n), float(c / (6 * n))) for n in math.sqrt(c / 120) * 2.0 ** np.arange(-3, 4)]
''',
        "over_budget": '''
import math
import numpy as np
def design_runs(total_flops):
    budgets = total_flops * np.array([1 / 64, 1 / 16, 1 / 4, 1.0])   # each budget swept 7 times: 9x the money
    return [(float(n), float(c / (6 * n))) for c in budgets for n in math.sqrt(c / 120) * 2.0 ** np.arange(-3, 4)]
''',
    },
    "predict_n_opt": {
        "returns_D_opt": '''
def predict_n_opt(N, D, loss, C_target):
    return float(compute_optimal(C_target, fit_chinchilla(N, D, loss))[1])
''',
        "ignores_the_data": '''
def predict_n_opt(N, D, loss, C_target):
    return float(compute_optimal(C_target, hoffmann_tex)[0])      # the paper's constants, not the runs'
''',
        "optimum_at_the_largest_run_budget": '''
import numpy as np
def predict_n_opt(N, D, loss, C_target):
    c = float(np.max(6 * np.asarray(N) * np.asarray(D)))
    return float(compute_optimal(c, fit_chinchilla(N, D, loss))[0])
''',
        "best_run_scaled_with_kaplan": '''
import numpy as np
def predict_n_opt(N, D, loss, C_target):
    N, D, loss = map(np.asarray, (N, D, loss))
    i = int(np.argmin(loss))
    return float(N[i] * (C_target / (6 * N[i] * D[i])) ** 0.73)
''',
    },
})

ALTERNATIVE.update({
    "design_runs": {
        "three_sweeps_of_nine": '''
import math
import numpy as np
def design_runs(total_flops):
    budgets = total_flops / 11.5 * np.array([1 / 25, 1 / 5, 1.0])
    return [(float(n), float(c / (6 * n))) for c in budgets for n in math.sqrt(c / 120) * 2.0 ** np.arange(-4, 5)]
''',
        "loop_with_running_total": '''
import math
def design_runs(total_flops):
    runs, spent = [], 0.0
    for c in [total_flops * f for f in (0.005, 0.02, 0.08, 0.2)]:
        for k in range(-3, 4):
            n = math.sqrt(c / 100) * 1.8 ** k
            d = c / (6 * n)
            if spent + 6 * n * d <= total_flops:
                runs.append((n, d))
                spent += 6 * n * d
    return runs
''',
    },
    "predict_n_opt": {
        "numeric_minimum_on_the_isoflop_line": '''
import math
from scipy.optimize import minimize_scalar
def predict_n_opt(N, D, loss, C_target):
    p = fit_chinchilla(N, D, loss)
    f = lambda u: p["A"] * math.exp(-p["alpha"] * u) + p["B"] * (C_target / (6 * math.exp(u))) ** -p["beta"]
    return math.exp(minimize_scalar(f, bounds=(math.log(1e6), math.log(C_target / 6e6)), method="bounded",
                                    options={"xatol": 1e-9}).x)
''',
        "closed_form_by_hand": '''
def predict_n_opt(N, D, loss, C_target):
    p = fit_chinchilla(N, D, loss)
    a = p["beta"] / (p["alpha"] + p["beta"])
    G = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1 / (p["alpha"] + p["beta"]))
    return G * (C_target / 6) ** a
''',
    },
})

# --- issue 28: properties the tests did not observe (each of these kept full marks before) ---
WRONG["bootstrap_exponents"].update({
    # rounds down: 0.8 * 240, 0.8 * 13 and 0.5 * 100 were the only sizes tested, where floor and round agree
    "floor_subset_size": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    size = int(frac * n_runs)
    draws = np.array([estimate(np.sort(rng.choice(n_runs, size, replace=False))) for _ in range(n_boot)], dtype=float)
    lo, hi = np.percentile(draws, [10, 90], axis=0)
    return {"a": (float(lo[0]), float(hi[0])), "b": (float(lo[1]), float(hi[1])), "draws": draws}
''',
    # the last run can never be drawn (moves the width of a mean over 80 % of 400 values by 0.5 %)
    "last_index_never_drawn": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    size = int(round(frac * n_runs))
    draws = np.array([estimate(np.sort(rng.choice(n_runs - 1, size, replace=False))) for _ in range(n_boot)],
                     dtype=float)
    lo, hi = np.percentile(draws, [10, 90], axis=0)
    return {"a": (float(lo[0]), float(hi[0])), "b": (float(lo[1]), float(hi[1])), "draws": draws}
''',
    # draws with replacement, keeps the distinct ones and tops up with the lowest unused indices: the right size,
    # distinct and sorted, but the low indices are drawn far more often than the others
    "unique_then_lowest_unused": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    size = int(round(frac * n_runs))
    draws = []
    for _ in range(n_boot):
        picked = np.unique(rng.integers(0, n_runs, size))
        unused = np.setdiff1d(np.arange(n_runs), picked)
        draws.append(estimate(np.sort(np.concatenate([picked, unused[:size - picked.size]]))))
    draws = np.array(draws, dtype=float)
    lo, hi = np.percentile(draws, [10, 90], axis=0)
    return {"a": (float(lo[0]), float(hi[0])), "b": (float(lo[1]), float(hi[1])), "draws": draws}
''',
    "indices_as_a_list": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    size = int(round(frac * n_runs))
    draws = np.array([estimate(sorted(int(i) for i in rng.choice(n_runs, size, replace=False)))
                      for _ in range(n_boot)], dtype=float)
    lo, hi = np.percentile(draws, [10, 90], axis=0)
    return {"a": (float(lo[0]), float(hi[0])), "b": (float(lo[1]), float(hi[1])), "draws": draws}
''',
    "draws_as_a_list_of_tuples": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    size = int(round(frac * n_runs))
    draws = [tuple(estimate(np.sort(rng.choice(n_runs, size, replace=False)))) for _ in range(n_boot)]
    lo, hi = np.percentile(np.array(draws), [10, 90], axis=0)
    return {"a": (float(lo[0]), float(hi[0])), "b": (float(lo[1]), float(hi[1])), "draws": draws}
''',
    "intervals_as_arrays": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    size = int(round(frac * n_runs))
    draws = np.array([estimate(np.sort(rng.choice(n_runs, size, replace=False))) for _ in range(n_boot)], dtype=float)
    return {"a": np.percentile(draws[:, 0], [10, 90]), "b": np.percentile(draws[:, 1], [10, 90]), "draws": draws}
''',
})
ALTERNATIVE["bootstrap_exponents"].update({
    # int32 indices from choice(shuffle=False) (the subset is still uniform), a loop, percentiles by hand
    "int32_indices_loop_and_hand_percentiles": '''
import math
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    size = int(math.floor(frac * n_runs + 0.5))
    rows = []
    for _ in range(n_boot):
        subset = np.sort(rng.choice(n_runs, size=size, replace=False, shuffle=False)).astype(np.int32)
        a, b = estimate(subset)
        rows.append((float(a), float(b)))
    def percentile(values, q):
        v = sorted(values)
        pos = (len(v) - 1) * q / 100.0
        lo = int(math.floor(pos))
        hi = min(lo + 1, len(v) - 1)
        return v[lo] + (v[hi] - v[lo]) * (pos - lo)
    a_col, b_col = [r[0] for r in rows], [r[1] for r in rows]
    return {"a": (percentile(a_col, 10), percentile(a_col, 90)), "b": (percentile(b_col, 10), percentile(b_col, 90)),
            "draws": np.asarray(rows, dtype=np.float64)}
''',
    "argsort_of_uniforms_float64_scalars": '''
import numpy as np
def bootstrap_exponents(estimate, n_runs, n_boot=100, frac=0.8, seed=0):
    rng = np.random.default_rng(seed)
    size = round(frac * n_runs)
    draws = np.empty((n_boot, 2), dtype=np.float64)
    for k in range(n_boot):
        draws[k] = estimate(np.sort(np.argsort(rng.random(n_runs))[:size]))
    (a_lo, b_lo), (a_hi, b_hi) = np.percentile(draws, [10, 90], axis=0)
    return {"a": (a_lo, a_hi), "b": (b_lo, b_hi), "draws": draws}     # np.float64 is a float
''',
})

WRONG["design_runs"].update({
    # pass the three fixed draws of both laws, but miss the factor 1.41 on a third of the noise seeds
    "four_sweeps_of_three_sizes": '''
import math
def design_runs(total_flops):
    fractions = [1 / 64, 1 / 16, 1 / 4, 1.0]
    runs = []
    for f in fractions:
        c = total_flops * f / (3 * sum(fractions))
        for k in (-1, 0, 1):
            n = math.sqrt(c / 120.0) * 2.0 ** k
            runs.append((n, c / (6.0 * n)))
    return runs
''',
    "four_sweeps_of_five_close_sizes": '''
import math
def design_runs(total_flops):
    fractions = [1 / 64, 1 / 16, 1 / 4, 1.0]
    runs = []
    for f in fractions:
        c = total_flops * f / (5 * sum(fractions))
        for k in range(-2, 3):
            n = math.sqrt(c / 120.0) * 1.5 ** k
            runs.append((n, c / (6.0 * n)))
    return runs
''',
})
ALTERNATIVE["design_runs"].update({
    "five_sweeps_integer_counts": '''
import math
def design_runs(total_flops):
    fractions = [1 / 256, 1 / 64, 1 / 16, 1 / 4, 1.0]
    runs = []
    for f in fractions:
        c = total_flops * f / (7 * sum(fractions))
        for k in range(-3, 4):
            n = int(math.sqrt(c / 120.0) * 2.0 ** k)
            runs.append((n, int(c / (6.0 * n))))      # rounded down: never over the budget
    return runs
''',
})

WRONG["predict_n_opt"].update({
    "ignores_C_target": '''
def predict_n_opt(N, D, loss, C_target):
    return float(compute_optimal(TARGET_BUDGET, fit_chinchilla(N, D, loss))[0])   # the module's budget, not C_target
''',
    "one_element_array": '''
import numpy as np
def predict_n_opt(N, D, loss, C_target):
    return compute_optimal(np.array([C_target], dtype=float), fit_chinchilla(N, D, loss))[0]
''',
})
ALTERNATIVE["predict_n_opt"].update({
    "log_space_numpy_float64": '''
import numpy as np
def predict_n_opt(N, D, loss, C_target):
    p = fit_chinchilla(N, D, loss)
    s = p["alpha"] + p["beta"]
    log_n = (np.log(p["alpha"] * p["A"]) - np.log(p["beta"] * p["B"]) + p["beta"] * np.log(C_target / 6.0)) / s
    return np.exp(np.float64(log_n))      # an np.float64, which is a Python float
''',
})
