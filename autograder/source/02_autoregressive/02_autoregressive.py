# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python (foundation-models course)
#     language: python
#     name: fm-course
# ---

# %% [markdown]
# # Notebook 2: Autoregressive models, perplexity, entropy and pseudo-likelihood
#
# *Principle of autoregressive (AR) self-supervised learning: learn by **predicting the next** element of a
# sequence.* Because the chain rule of probability factorises any joint distribution into next-element
# conditionals, an AR model gives the **exact** likelihood of a sequence, and with it the perplexity: the
# standard way to evaluate and compare language models.
#
# After this notebook you can compute a model's perplexity correctly (log base, averaging, zeros), explain it
# through entropy and cross-entropy, train and evaluate a small causal model on real text, and say why a masked
# model's pseudo-perplexity cannot be compared with an AR perplexity.
#
# | part | topic | points |
# | --- | --- | --- |
# | A | chain rule and the AR loss: `chain_rule_log_probs` | 3 |
# | B | perplexity: `perplexity` | 3 |
# | C | entropy, cross-entropy, KL: `entropy`, `cross_entropy`, `kl_divergence` | 6 |
# | D | averaging over a corpus: `corpus_perplexity`, `disagreeing_corpus`, written answer | 6 |
# | E | n-gram baselines on tiny Shakespeare: `bigram_counts`, `bigram_log_probs`, `sequence_log_probs`, written answer | 9 |
# | F | a small causal neural model: `causal_mask`, `token_nll` | 5 |
# | G | pseudo-likelihood: `log_likelihood`, `pseudo_log_likelihood`, written answer | 6 |
#
# **Conventions.** Log-probabilities are **natural** logs (nats) unless a function takes a `base`. Inputs are
# numpy arrays (or lists) unless a spec says tensor; a function that "returns a float" returns a Python `float`
# (`float(...)`). Written answers are graded by hand; everything else is autograded.
#
# **Data** (in `data/`, found by `find_data_dir()`; nothing is downloaded): `tinyshakespeare/input.txt`, about
# 1.1 million characters of Shakespeare (Karpathy's char-rnn corpus), and `reference_values.json` with reference
# numbers and their sources. See `data/README.md` and `data/tinyshakespeare/README.md`.

# %% nbgrader={"grade_id": "setup", "locked": true}
import copy
import itertools
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

# Tiny models: on a laptop CPU, starting threads costs more than it saves (and makes timings erratic).
torch.set_num_threads(1)
torch.manual_seed(0)

# --- shared by every notebook's locked setup cell (copy verbatim; tests/test_sources.py checks) ---
def find_data_dir() -> Path:
    """data/ sits beside notebooks/ and solutions/; the grader may point COURSE_DATA_DIR at it."""
    if os.environ.get("COURSE_DATA_DIR"):
        return Path(os.environ["COURSE_DATA_DIR"])
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / "data" / "README.md").is_file():
            return folder / "data"
    raise FileNotFoundError("No data/ folder found above " + str(Path.cwd())
                            + ": keep the notebook inside the course folder, beside data/.")


def _as_float_array(x) -> np.ndarray:
    """Tensors (any device, with or without grad), arrays, lists and scalars as a float64 array."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def check_close(name: str, got, expected, atol: float = 1e-6, rtol: float = 1e-5, hint: str = "") -> None:
    """Compare `got` with `expected`; print exact / close / max difference, raise AssertionError if not close."""
    got_a, exp_a = _as_float_array(got), _as_float_array(expected)
    if got_a.shape != exp_a.shape:
        raise AssertionError(f"{name}: expected shape {exp_a.shape}, got shape {got_a.shape}. {hint}".strip())
    exact = bool(np.array_equal(got_a, exp_a))
    close = bool(np.allclose(got_a, exp_a, atol=atol, rtol=rtol))
    diff = float(np.max(np.abs(got_a - exp_a))) if got_a.size and np.all(np.isfinite(got_a)) else float("nan")
    if not close:
        shown_exp = np.array2string(exp_a, precision=6, threshold=8)
        shown_got = np.array2string(got_a, precision=6, threshold=8)
        raise AssertionError(f"{name}: expected {shown_exp}, got {shown_got} (max difference {diff:.3g}, "
                             f"tolerance atol={atol:g}, rtol={rtol:g}). {hint}".strip())
    print(f"{name:40s} exact: {exact!s:5} close: {close!s:5} max difference: {diff:.3g}")


class FinishFirst(Exception):
    """Raised by finish_first(): this cell needs an earlier part that is not written yet."""


def finish_first(parts: dict) -> None:
    """Call at the top of a cell that uses your earlier answers: it stops with the part to finish (not a traceback
    deep inside a stub). `parts` maps each function the cell uses to the part that asks for it."""
    unwritten: dict = {}                                   # part -> its unwritten functions, in the order given
    for name, part in parts.items():
        function = globals().get(name)
        code = getattr(function, "__code__", None)          # a stub is `raise NotImplementedError()`
        if function is None or (code is not None and "NotImplementedError" in code.co_names):
            unwritten.setdefault(part, []).append(f"`{name}`")
    missing = [f"{part} ({', '.join(names)})" for part, names in unwritten.items()]
    if missing:
        which = "which is not written yet: finish that part" if len(missing) == 1 else \
            "which are not written yet: finish those parts"
        raise FinishFirst(f"This cell uses your answer to {', '.join(missing)}, {which} first, then run this cell again.")
# --- end of shared helpers ---

# %% nbgrader={"grade_id": "toy_tables", "locked": true}
# Two small joint distributions over T = 3 variables with V = 3 values each, used in Parts A and G.
# joint_toy: neighbours like to agree (a "sticky" sequence), so the variables are dependent.
# joint_indep: a product of three marginals, so the variables are independent.
V_TOY, T_TOY = 3, 3
_toy_rng = np.random.default_rng(0)
_idx = np.indices((V_TOY,) * T_TOY)
_energy = 1.2 * ((_idx[0] == _idx[1]).astype(float) + (_idx[1] == _idx[2])) + _toy_rng.normal(0, 0.3, (V_TOY,) * T_TOY)
joint_toy = np.exp(_energy) / np.exp(_energy).sum()
_marginals = [_toy_rng.dirichlet(np.ones(V_TOY)) for _ in range(T_TOY)]
joint_indep = np.einsum("a,b,c->abc", *_marginals)
ALL_X = list(itertools.product(range(V_TOY), repeat=T_TOY))  # every sequence (x1, x2, x3)
print(f"joint_toy: shape {joint_toy.shape}, sums to {joint_toy.sum():.6f}; p(0,0,0) = {joint_toy[0, 0, 0]:.4f}")

# %% [markdown]
# ## Part A: Chain rule and the AR loss (3 points)
#
# **Goal.** See that an autoregressive factorisation is not an approximation: the product of next-element
# conditionals *is* the joint probability.
#
# Any joint distribution can be factored as a product of conditionals (the **chain rule of probability**),
# each conditioned on the **prefix / history** $x_{<t} = (x_1, \dots, x_{t-1})$:
#
# $$p(x_1, \dots, x_T) = \prod_{t=1}^T p(x_t \mid x_{<t}),
# \qquad \log p(x_1, \dots, x_T) = \sum_{t=1}^T \log p(x_t \mid x_{<t}).$$
#
# For three variables: $p(x_1, x_2, x_3) = p(x_1)\, p(x_2 \mid x_1)\, p(x_3 \mid x_1, x_2)$.
# An AR model $p_\theta$ learns these conditionals by minimising the **autoregressive loss**
#
# $$\mathcal{L}_{\text{AR}} = -\mathbb{E}_{x \sim \mathcal{D}} \left[\sum_{t=1}^T \log p_{\theta}(x_t \mid x_{<t}) \right].$$
#
# Characteristics: (1) an **exact factorisation**, no approximation, so models can be compared objectively and
# anomalies detected; (2) a **causal structure**: generation runs left to right, one token at a time; (3) a deep
# **connection to information theory**: an ideal AR model achieves Shannon-optimal compression.
#
# From a joint table the conditional is a ratio of prefix marginals,
# $p(x_t \mid x_{<t}) = \dfrac{p(x_1, \dots, x_t)}{p(x_1, \dots, x_{t-1})}$ with
# $p(x_1, \dots, x_t) = \sum_{x_{t+1}, \dots, x_T} p(x_1, \dots, x_T)$.
#
# **Spec.** `chain_rule_log_probs(joint, x)`: `joint` is a normalised numpy table of shape `(V,) * T` with one
# axis per variable, in order (the first axis is $x_1$, the last is $x_T$), so `joint[x]` is $p(x_1, \dots, x_T)$;
# `x` is a tuple of $T$ indices. Return a 1-D float array of length $T$, one conditional per variable in the same
# order: entry 0 is $\log p(x_1)$, entry 1 is $\log p(x_2 \mid x_1)$, ..., the last entry is
# $\log p(x_T \mid x_{<T})$.

# %% nbgrader={"grade_id": "chain_rule_log_probs", "solution": true}
def chain_rule_log_probs(joint, x):
    """Natural-log conditionals log p(x_t | x_<t), t = 1..T, of the sequence x under the joint table."""
    ### BEGIN SOLUTION
    joint = np.asarray(joint, dtype=np.float64)
    T = joint.ndim
    out = np.empty(T)
    log_prefix_before = 0.0  # log p(empty prefix) = log 1
    for t in range(1, T + 1):
        prefix_marginal = joint.sum(axis=tuple(range(t, T)))  # p(x_1..x_t): sum out x_{t+1}..x_T
        log_prefix = np.log(prefix_marginal[tuple(x[:t])])
        out[t - 1] = log_prefix - log_prefix_before
        log_prefix_before = log_prefix
    return out
    ### END SOLUTION


# %% [markdown]
# **Worked example.** The conditionals of one sequence, their sum against $\log p(x)$, and a Monte-Carlo
# estimate of $\mathcal{L}_{\text{AR}}$ for the *true* model: the expected AR loss of the data distribution itself
# is its entropy $H(p) = -\sum_x p(x) \log p(x)$ (Part C), the best loss any model can reach.

# %%
finish_first({"chain_rule_log_probs": "Part A"})
x_demo = (0, 0, 1)
cond = _as_float_array(chain_rule_log_probs(joint_toy, x_demo))
print("log p(x_t | x_<t):", np.round(cond, 4), " sum:", round(float(cond.sum()), 6),
      " log p(x):", round(float(np.log(joint_toy[x_demo])), 6))
assert abs(cond.sum() - np.log(joint_toy[x_demo])) < 1e-6, "the chain rule must reproduce log p(x) (exactly, up to rounding)"

# L_AR by sampling: draw sequences from the joint, average their negative log-likelihood.
log_joint_all = {x: float(_as_float_array(chain_rule_log_probs(joint_toy, x)).sum()) for x in ALL_X}
sample_rng = np.random.default_rng(1)
samples = sample_rng.choice(len(ALL_X), size=20_000, p=joint_toy.reshape(-1))  # flat index = C order = ALL_X order
nll_samples = -np.array([log_joint_all[ALL_X[i]] for i in samples])
true_entropy = float(-(joint_toy * np.log(joint_toy)).sum())
stderr = nll_samples.std() / math.sqrt(len(nll_samples))
print(f"L_AR (Monte Carlo) = {nll_samples.mean():.4f} +- {stderr:.4f} nats; H(p) = {true_entropy:.4f} nats")
assert abs(nll_samples.mean() - true_entropy) < 4 * stderr, "the true model's AR loss should match the entropy"

# %% nbgrader={"grade_id": "test_chain_rule_log_probs", "grade": true, "points": 3}
"""chain_rule_log_probs: sums to log p(x); entry 0 is the log-marginal; matches prefix-marginal ratios on random tables."""
_joint_vis = np.array([[0.1, 0.2], [0.3, 0.4]])  # p(x1, x2)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = chain_rule_log_probs(_joint_vis, (1, 0))
check_close("2x2 table, x=(1,0): [log p(x1), log p(x2|x1)]", _got, [np.log(0.7), np.log(0.3 / 0.7)], atol=1e-6,
            rtol=1e-5, hint="Hint: p(x1) sums out x2; p(x2 | x1) divides by p(x1).")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = chain_rule_log_probs(joint_toy, (2, 1, 1))
check_close("joint_toy, x=(2,1,1): sum of conditionals", float(_as_float_array(_got).sum()), np.log(joint_toy[2, 1, 1]),
            atol=1e-6, rtol=1e-5, hint="Hint: the chain rule is exact; the sum must be log p(x).")
### BEGIN HIDDEN TESTS
def _ref_chain_rule(joint, x):
    joint = np.asarray(joint, np.float64)
    T = joint.ndim
    logs = [0.0] + [float(np.log(joint.sum(axis=tuple(range(t, T)))[tuple(x[:t])])) for t in range(1, T + 1)]
    return np.diff(logs)


_rng = np.random.default_rng(11)
for _shape in [(3, 3, 3), (2, 4, 3, 2), (5,), (4, 2)]:
    _joint = _rng.dirichlet(np.full(int(np.prod(_shape)), 0.7)).reshape(_shape)
    for _x in list(itertools.product(*[range(v) for v in _shape]))[::3]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _got = chain_rule_log_probs(_joint, _x)
        _want = _ref_chain_rule(_joint, _x)
        _got_a = _as_float_array(_got)
        assert _got_a.shape == (len(_shape),), (f"table of shape {_shape}: expected {len(_shape)} conditionals, got "
                                                f"shape {_got_a.shape}. Hint: one entry per variable, starting with x_1.")
        if not np.allclose(_got_a, _want, atol=1e-6, rtol=1e-5):
            check_close(f"table {_shape}, x={_x}: conditionals", _got_a, _want, atol=1e-6, rtol=1e-5,
                        hint="Hint: condition on the prefix (earlier variables) only, in natural log.")
print(f"{'random tables, every 3rd sequence':40s} all conditionals match")
# float32 table: a legitimate input, compared with a float32-sized tolerance
_joint32 = _rng.dirichlet(np.ones(27)).reshape(3, 3, 3).astype(np.float32)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = chain_rule_log_probs(_joint32, (1, 2, 0))
check_close("float32 table", _got, _ref_chain_rule(_joint32, (1, 2, 0)), atol=1e-5, rtol=1e-4)
### END HIDDEN TESTS

# %% [markdown]
# ## Part B: Perplexity (3 points)
#
# **Goal.** Compute perplexity correctly and read it as an "effective number of choices".
#
# **Perplexity** (PPL) is the exponential of the average negative log-likelihood per token:
#
# $$\text{PPL} = \exp \left(-\frac{1}{T} \sum_{t=1}^T \log p(x_t \mid x_{<t}) \right) = p(x_1, x_2, \dots, x_T)^{-1/T}.$$
#
# Intuition: how "surprised" the model is on average. PPL = 10: the model is as confused as if it chose uniformly
# from 10 options; PPL = 1: perfect prediction (no surprise). A uniform model over $V$ symbols gives
# $\text{PPL} = V$ on any text.
# Historically, the term and its use as a metric come from Jelinek, Mercer, Bahl and Baker (1977), "Perplexity, a
# measure of the difficulty of speech recognition tasks" (J. Acoust. Soc. Am. 62, S63), at IBM; the quantity
# $2^{H}$ builds on Shannon's entropy (1948) and his estimates of the entropy of printed English (1951), but Shannon
# did not call it perplexity. It has been the standard metric since statistical language models replaced rule-based
# ones.
#
# **The base does not matter, if you are consistent.** With $H_2 = -\frac1T\sum_t \log_2 p$ (bits) and
# $H_e = -\frac1T\sum_t \ln p$ (nats), $H_2 = H_e / \ln 2$, so $2^{H_2} = e^{H_e}$. Exponentiating natural-log
# losses with base 2 (or the reverse) is a classic bug.
#
# **Spec.** `perplexity(token_log_probs)`: a 1-D numpy array, list or torch tensor of **natural-log**
# probabilities $\log p(x_t \mid x_{<t})$; return $\exp$ of the mean negative log-likelihood as a Python `float`.
# It must work for long sequences (100 000 tokens), where $p(x_1, \dots, x_T)$ itself underflows to 0.

# %% nbgrader={"grade_id": "perplexity", "solution": true}
def perplexity(token_log_probs) -> float:
    """exp(-mean(token_log_probs)) for natural-log token probabilities; returns a Python float."""
    ### BEGIN SOLUTION
    if hasattr(token_log_probs, "detach"):
        token_log_probs = token_log_probs.detach().cpu().double().numpy()
    log_probs = np.asarray(token_log_probs, dtype=np.float64)
    return float(np.exp(-log_probs.mean()))  # the mean in log space: no product, no underflow
    ### END SOLUTION


# %% [markdown]
# **Worked example.** A uniform model, a perfect model, a model that gives every token probability 0.1, and the
# same number computed in bits.

# %%
finish_first({"perplexity": "Part B"})
print(f"uniform over 65 characters : PPL = {perplexity(np.full(100, -math.log(65))):.4f}")
print(f"perfect model              : PPL = {perplexity(np.zeros(100)):.4f}")
lp_demo = np.full(50, math.log(0.1))
h_nats = -lp_demo.mean()
h_bits = -(lp_demo / math.log(2)).mean()  # log2 p = ln p / ln 2
print(f"p = 0.1 per token          : PPL = {perplexity(lp_demo):.4f}; e^H_e = {math.exp(h_nats):.4f}, "
      f"2^H_2 = {2 ** h_bits:.4f} (H_e = {h_nats:.4f} nats, H_2 = {h_bits:.4f} bits)")
assert abs(2 ** h_bits - math.exp(h_nats)) < 1e-9, "2^H_2 and e^H_e must be the same number"
# Why not the product formula p(x)^(-1/T)? For a long text the product underflows.
lp_long = np.random.default_rng(0).uniform(-4, -1, 100_000)
with np.errstate(all="ignore"):
    naive = np.prod(np.exp(lp_long)) ** (-1 / len(lp_long))
print(f"100k tokens: p(x) = {np.prod(np.exp(lp_long))}, naive p(x)^(-1/T) = {naive}, "
      f"perplexity() = {perplexity(lp_long):.4f}")

# %% nbgrader={"grade_id": "test_perplexity", "grade": true, "points": 3}
"""perplexity: uniform over V gives V, perfect gives 1, a Python float; tensors, long sequences and the natural log."""
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_uniform = perplexity(np.full(20, -math.log(65.0)))
    _got_perfect = perplexity(np.zeros(7))
    _got_tensor = perplexity(torch.log(torch.tensor([0.5, 0.25, 0.125])))
assert isinstance(_got_uniform, float), f"expected a Python float, got {type(_got_uniform).__name__}"
check_close("uniform model over V=65", _got_uniform, 65.0, atol=1e-6, rtol=1e-5,
            hint="Hint: the uniform model's perplexity is the vocabulary size (log probabilities are natural logs).")
check_close("perfect model", _got_perfect, 1.0, atol=1e-6, rtol=1e-5)
check_close("torch tensor [1/2, 1/4, 1/8]", _got_tensor, 4.0, atol=1e-6, rtol=1e-5,
            hint="Hint: a tensor is valid input and must give the same number as the equivalent numpy array.")
### BEGIN HIDDEN TESTS
def _ref_perplexity(lp):
    return math.exp(-float(np.mean(_as_float_array(lp))))


_rng = np.random.default_rng(22)
for _trial in range(3):
    _lp = np.log(_rng.dirichlet(np.ones(30), size=13)[np.arange(13), _rng.integers(0, 30, 13)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got = perplexity(_lp)
    check_close(f"random log-probs {_trial} (T=13)", _got, _ref_perplexity(_lp), atol=1e-6, rtol=1e-5,
                hint="Hint: average over tokens, natural exponent.")
# a list, and a float32 tensor
_lp = [-0.1, -2.3, -0.7, -4.0]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_list = perplexity(_lp)
    _got_t32 = perplexity(torch.tensor(_lp, dtype=torch.float32))
check_close("python list input", _got_list, _ref_perplexity(_lp), atol=1e-6, rtol=1e-5)
check_close("float32 tensor input", _got_t32, _ref_perplexity(_lp), atol=1e-6, rtol=1e-5)
assert isinstance(_got_t32, float), f"tensor input: expected a Python float, got {type(_got_t32).__name__}"
# long sequence: the product of probabilities underflows to 0 in float64
_lp_long = _rng.uniform(-6.0, -0.5, 50_000)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = perplexity(_lp_long)
assert np.isfinite(_got), (f"50,000 tokens: expected a finite perplexity, got {_got}. "
                           f"Hint: p(x_1..x_T) underflows; stay in log space.")
check_close("50,000 tokens", _got, _ref_perplexity(_lp_long), atol=1e-6, rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## Part C: Entropy, cross-entropy and KL divergence (6 points)
#
# **Goal.** Explain perplexity through entropy, and a model's loss through cross-entropy.
#
# The **entropy** of a random variable quantifies the average level of uncertainty, or information, associated
# with its possible outcomes. It is the expected information content $I(X) = -\log_b p(X)$ (the slides write
# $\mathbb{E}[\log_b p]$ and drop the minus sign):
#
# $$H(p) = \mathbb{E}[I(X)] = -\mathbb{E}[\log_b p(X)], \qquad
# H(p) = - \sum_{i=1}^K p(x_i) \log_b p(x_i) \quad \text{(discrete case, } K \text{ states)}.$$
#
# The **perplexity of a distribution** is $PP(p) = b^{H(p)} = b^{-\sum_{i=1}^K p(x_i) \log_b p(x_i)}$: a uniform
# distribution over $K$ states has $H = \log_b K$ and $PP = K$.
#
# A language model builds a distribution $q$ that tries to mimic the real-world distribution $p$ as closely as
# possible; we measure it with the **cross-entropy** between $p$ and $q$, which equals the entropy of $p$ plus
# the **KL divergence** of $p$ from $q$:
#
# $$H(p, q) = - \sum_{i=1}^K p(x_i) \log_b q(x_i), \qquad
# D_{\text{KL}}(p \,\|\, q) = \sum_{i=1}^K p(x_i) \log_b \frac{p(x_i)}{q(x_i)}, \qquad
# H(p, q) = H(p) + D_{\text{KL}}(p \,\|\, q).$$
#
# Since $D_{\text{KL}} \ge 0$ (Gibbs), no model beats the entropy of the data: $H(p, q) \ge H(p)$.
#
# **Conventions at zero** (limits, not `nan`): $0 \log 0 = 0$ and $0 \log \frac{0}{q} = 0$ (an outcome that
# never happens contributes nothing), while $p \log \frac{p}{0} = +\infty$ for $p > 0$: a model that gives
# probability 0 to something that happens has infinite cross-entropy and KL.
#
# **Spec.** `entropy(p, base=math.e)`, `cross_entropy(p, q, base=math.e)`, `kl_divergence(p, q, base=math.e)`:
# `p`, `q` are numpy arrays (or lists) of probabilities along the **last** axis, with any leading shape (a batch
# of distributions). Return a float64 array of the leading shape (a scalar for 1-D input), in units of `base`
# (`base=2`: bits). Follow the zero conventions above: never return `nan` for valid input, return `inf` where
# the quantity is infinite.

# %% nbgrader={"grade_id": "entropy", "solution": true}
def entropy(p, base=math.e):
    """H(p) = -sum p log_b p over the last axis, with 0 log 0 = 0."""
    ### BEGIN SOLUTION
    p = np.asarray(p, dtype=np.float64)
    safe_log = np.log(np.where(p > 0, p, 1.0))  # log 1 = 0 where p = 0: implements 0 log 0 = 0 without nan
    return -(p * safe_log).sum(axis=-1) / math.log(base)
    ### END SOLUTION


# %% nbgrader={"grade_id": "cross_entropy", "solution": true}
def cross_entropy(p, q, base=math.e):
    """H(p, q) = -sum p log_b q over the last axis; 0 where p = 0, inf where q = 0 < p."""
    ### BEGIN SOLUTION
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_q = np.log(q)  # -inf where q = 0
    terms = np.where(p > 0, -p * log_q, 0.0)  # p = 0 contributes nothing, even if q = 0
    return terms.sum(axis=-1) / math.log(base)
    ### END SOLUTION


# %% nbgrader={"grade_id": "kl_divergence", "solution": true}
def kl_divergence(p, q, base=math.e):
    """KL(p || q) = sum p log_b (p / q) over the last axis; 0 where p = 0, inf where q = 0 < p."""
    ### BEGIN SOLUTION
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_ratio = np.log(np.where(p > 0, p, 1.0)) - np.log(q)
    terms = np.where(p > 0, p * log_ratio, 0.0)
    return terms.sum(axis=-1) / math.log(base)
    ### END SOLUTION


# %% [markdown]
# **Worked example.** The decomposition $H(p, q) = H(p) + D_{\text{KL}}(p \| q)$ on a batch of random
# distributions, the zero conventions, and the entropy (in bits) and perplexity of a coin with bias $\pi$.

# %%
finish_first({"entropy": "Part C", "cross_entropy": "Part C", "kl_divergence": "Part C"})
demo_rng = np.random.default_rng(3)
p_batch, q_batch = demo_rng.dirichlet(np.ones(6), size=4), demo_rng.dirichlet(np.ones(6), size=4)
lhs = cross_entropy(p_batch, q_batch)
rhs = entropy(p_batch) + kl_divergence(p_batch, q_batch)
print("H(p,q)          :", np.round(lhs, 4))
print("H(p) + KL(p||q) :", np.round(rhs, 4))
assert np.allclose(lhs, rhs, atol=1e-6), "H(p, q) should equal H(p) + KL(p || q)"
assert np.all(kl_divergence(p_batch, q_batch) >= 0), "KL is never negative (Gibbs' inequality)"
print("H([1/2, 1/2, 0]) =", entropy([0.5, 0.5, 0.0], base=2), "bit;",
      "H(p, q) with q = 0 where p > 0:", cross_entropy([0.5, 0.5], [1.0, 0.0]))
assert abs(entropy([0.5, 0.5, 0.0], base=2) - 1.0) < 1e-6, "a fair coin (plus an impossible outcome) has 1 bit"
assert np.isinf(cross_entropy([0.5, 0.5], [1.0, 0.0])), "q = 0 where p > 0 must give infinity"

pi = np.linspace(0, 1, 201)
coin = np.stack([pi, 1 - pi], axis=-1)  # a batch of 201 distributions
fig, ax = plt.subplots(1, 2, figsize=(9, 3))
ax[0].plot(pi, entropy(coin, base=2))
ax[0].set(xlabel=r"bias $\pi$", ylabel="H (bits)", title="entropy of a coin")
ax[1].plot(pi, 2 ** entropy(coin, base=2))
ax[1].set(xlabel=r"bias $\pi$", ylabel=r"$PP = 2^{H}$", title="perplexity: effective number of outcomes")
plt.tight_layout()
plt.show()

# %% nbgrader={"grade_id": "test_entropy", "grade": true, "points": 2}
"""entropy: uniform distributions, bits, 0 log 0 = 0, batches over the last axis, float32 input."""
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_u4 = entropy(np.full(4, 0.25))
    _got_u4_bits = entropy(np.full(4, 0.25), base=2)
    _got_zero = entropy(np.array([0.5, 0.0, 0.5]))
assert np.ndim(_got_u4) == 0, f"1-D input: expected a scalar, got shape {np.shape(_got_u4)}"
check_close("uniform over 4 (nats)", _got_u4, math.log(4), atol=1e-6, rtol=1e-5)
check_close("uniform over 4 (bits)", _got_u4_bits, 2.0, atol=1e-6, rtol=1e-5, hint="Hint: divide by log(base).")
check_close("[1/2, 0, 1/2] (0 log 0 = 0)", _got_zero, math.log(2), atol=1e-6, rtol=1e-5,
            hint="Hint: 0 * log 0 is nan in floating point; treat it as its limit, 0.")
### BEGIN HIDDEN TESTS
def _ref_entropy(p, base=math.e):
    p = np.asarray(p, np.float64)
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1) / math.log(base)


_rng = np.random.default_rng(33)
_p = _rng.dirichlet(np.full(7, 0.5), size=(3, 5))
_p[0, 0, :3] = 0.0  # a few exact zeros
_p[0, 0] /= _p[0, 0].sum()
for _base in [math.e, 2, 10]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got = entropy(_p, base=_base)
    check_close(f"batch (3,5,7), base {_base:.3g}", _got, _ref_entropy(_p, _base), atol=1e-6, rtol=1e-5,
                hint="Hint: sum over the last axis only, divide by log(base); zeros contribute 0.")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = entropy(_p.astype(np.float32))
check_close("float32 batch", _got, _ref_entropy(_p.astype(np.float32)), atol=1e-6, rtol=1e-5)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = entropy([[1.0, 0.0], [0.0, 1.0]])
check_close("deterministic distributions (list input)", _got, [0.0, 0.0], atol=1e-6, rtol=1e-5,
            hint="Hint: a certain outcome has zero entropy, not nan.")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_cross_entropy", "grade": true, "points": 2}
"""cross_entropy: H(p, p) = H(p); order of arguments; 0 where p = 0 even if q = 0; inf where q = 0 < p; batches."""
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_same = cross_entropy([0.5, 0.5], [0.5, 0.5], base=2)
    _got_order = cross_entropy([1.0, 0.0], [0.25, 0.75])
check_close("H(p, p) for a fair coin (bits)", _got_same, 1.0, atol=1e-6, rtol=1e-5)
check_close("H([1, 0], [1/4, 3/4])", _got_order, math.log(4), atol=1e-6, rtol=1e-5,
            hint="Hint: the expectation is under p (the data), the log under q (the model).")
### BEGIN HIDDEN TESTS
def _ref_cross_entropy(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    with np.errstate(divide="ignore"):
        lq = np.log(q)
    return np.sum(np.where(p > 0, -p * lq, 0.0), axis=-1) / math.log(base)


_rng = np.random.default_rng(44)
_p, _q = _rng.dirichlet(np.ones(9), size=(2, 3)), _rng.dirichlet(np.ones(9), size=(2, 3))
for _base in [math.e, 2]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got = cross_entropy(_p, _q, base=_base)
    check_close(f"batch (2,3,9), base {_base:.3g}", _got, _ref_cross_entropy(_p, _q, _base), atol=1e-6,
                rtol=1e-5, hint="Hint: sum over the last axis; p weights, log q.")
# zeros: p = 0 and q = 0 together contribute 0; q = 0 < p gives +inf, never nan
_pz = np.array([[0.5, 0.5, 0.0], [0.5, 0.0, 0.5]])
_qz = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = _as_float_array(cross_entropy(_pz, _qz))
assert _got.shape == (2,) and not np.any(np.isnan(_got)), f"zeros: expected no nan, got {_got}"
assert abs(_got[0] - math.log(2)) < 1e-6, (f"p = q = [1/2, 1/2, 0]: expected log 2 = {math.log(2):.6f}, got "
                                            f"{_got[0]}. Hint: where p = 0 the term is 0, whatever q is.")
assert np.isposinf(_got[1]), f"q = 0 where p > 0: expected +inf, got {_got[1]}"
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = cross_entropy(_p.astype(np.float32), _q.astype(np.float32))
check_close("float32 batch", _got, _ref_cross_entropy(_p.astype(np.float32), _q.astype(np.float32)), atol=1e-6,
            rtol=1e-5)
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_kl_divergence", "grade": true, "points": 2}
"""kl_divergence: KL(p||p) = 0, a known value, the direction p||q, zeros and inf, batches, bits."""
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_self = kl_divergence([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])
    _got_known = kl_divergence([0.5, 0.5], [0.25, 0.75], base=2)
check_close("KL(p || p)", _got_self, 0.0, atol=1e-6, rtol=1e-5)
check_close("KL([1/2,1/2] || [1/4,3/4]) in bits", _got_known, 0.5 * math.log2(2) + 0.5 * math.log2(2 / 3),
            atol=1e-6, rtol=1e-5)
### BEGIN HIDDEN TESTS
def _ref_kl(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    with np.errstate(divide="ignore"):
        lr = np.log(np.where(p > 0, p, 1.0)) - np.log(q)
    return np.sum(np.where(p > 0, p * lr, 0.0), axis=-1) / math.log(base)


_rng = np.random.default_rng(55)
_p, _q = _rng.dirichlet(np.full(8, 0.5), size=(4, 2)), _rng.dirichlet(np.ones(8), size=(4, 2))
for _base in [math.e, 2]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got = kl_divergence(_p, _q, base=_base)
    check_close(f"batch (4,2,8), base {_base:.3g}", _got, _ref_kl(_p, _q, _base), atol=1e-6, rtol=1e-5,
                hint="Hint: p log(p / q), summed over the last axis; the expectation is under p.")
_pz = np.array([[0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 1.0, 0.0]])
_qz = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.3, 0.7, 0.0]])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = _as_float_array(kl_divergence(_pz, _qz))
assert _got.shape == (3,) and not np.any(np.isnan(_got)), f"zeros: expected no nan, got {_got}"
assert abs(_got[0]) < 1e-6 and abs(_got[2] - math.log(1 / 0.7)) < 1e-6, (
    f"rows where p = 0 (and maybe q = 0): expected [0, inf, {math.log(1 / 0.7):.6f}], got {_got}. "
    f"Hint: 0 log(0/q) = 0.")
assert np.isposinf(_got[1]), f"q = 0 where p > 0: expected +inf, got {_got[1]}"
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = kl_divergence(_p.astype(np.float32), _q.astype(np.float32))
check_close("float32 batch", _got, _ref_kl(_p.astype(np.float32), _q.astype(np.float32)), atol=1e-6, rtol=1e-4)
### END HIDDEN TESTS

# %% [markdown]
# ## Part D: Averaging over a corpus (6 points)
#
# **Goal.** See that "the perplexity of a corpus" needs one more choice: how to average over sequences of
# different lengths.
#
# In a language model, $\tilde p$ is the empirical distribution of the data (a sample from the real-world $p$).
# Here $N$ is the number of sentences $x_1, \dots, x_N$ in the corpus (sampled uniformly, so
# $\tilde p(x_i) = \frac1N$), and sentence $x_i$ has $T_i$ tokens. Part C's cross-entropy, with the chain rule
# $\log_b q(x_i) = \sum_{t=1}^{T_i} \log_b q(x_t^i \mid x_{<t}^i)$, gives the perplexity of *whole sentences*:
#
# $$b^{-\sum_{i=1}^N \tilde{p}(x_i) \log_b q(x_i)}
# = b^{\frac{1}{N} \sum_{i=1}^N \sum_{t=1}^{T_i} -\log_b q(x_t^i \mid x_{<t}^i)},$$
#
# a number that grows with the sentence length. The slides' formula, "perplexity
# $= \exp(\text{average per-token cross-entropy})$", adds a **per-token normalisation**: it replaces each
# $q(x_i)$ by its per-token geometric mean $q(x_i)^{1/T_i}$,
#
# $$PP'(p, q) = b^{-\sum_{i=1}^N \tilde{p}(x_i) \log_b q(x_i)^{1/T_i}}
# = b^{\frac{1}{N} \sum_{i=1}^N \frac{1}{T_i} \sum_{t=1}^{T_i} -\log_b q(x_t^i \mid x_{<t}^i)}.$$
#
# The $1/T_i$ is a choice, not algebra (the slides write the left-hand side with $q(x_i)$ itself; the two sides
# are then equal only if every $T_i = 1$), and it is exactly the choice this part is about.
#
# This **sequence average** first averages within each sequence, then over sequences: every sequence has the same
# weight. The usual **token average** pools all tokens of the corpus, so every *token* has the same weight:
#
# $$\text{PPL}_{\text{token}} = \exp\left(-\frac{1}{\sum_i T_i} \sum_{i=1}^N \sum_{t=1}^{T_i}
# \log q(x_t^i \mid x_{<t}^i)\right), \qquad
# \text{PPL}_{\text{sequence}} = \exp\left(-\frac{1}{N} \sum_{i=1}^N \frac{1}{T_i} \sum_{t=1}^{T_i}
# \log q(x_t^i \mid x_{<t}^i)\right).$$
#
# A third quantity, the mean of per-sequence perplexities $\frac1N \sum_i \text{PPL}_i$, is neither (and is
# not what anyone means).
#
# **Spec.** `corpus_perplexity(seq_log_probs, average)`: `seq_log_probs` is a list of 1-D numpy arrays of natural
# log-probabilities, one array per sequence (lengths may differ). `average="token"` or `average="sequence"` as
# above; any other value raises `ValueError`. Return a Python `float`.
#
# `disagreeing_corpus()`: return a list of at least two non-empty 1-D arrays of natural log-probabilities
# (finite, $\le 0$) for which the two averages differ **by at least a factor of 2** (either one larger).

# %% nbgrader={"grade_id": "corpus_perplexity", "solution": true}
def corpus_perplexity(seq_log_probs, average) -> float:
    """Corpus perplexity: average="token" pools all tokens; average="sequence" averages per sequence first."""
    ### BEGIN SOLUTION
    seqs = [_as_float_array(s).reshape(-1) for s in seq_log_probs]
    if average == "token":
        mean_nll = -np.concatenate(seqs).mean()
    elif average == "sequence":
        mean_nll = -np.mean([s.mean() for s in seqs])
    else:
        raise ValueError(f"average must be 'token' or 'sequence', got {average!r}")
    return float(np.exp(mean_nll))
    ### END SOLUTION


# %% nbgrader={"grade_id": "disagreeing_corpus", "solution": true}
def disagreeing_corpus():
    """A corpus (list of 1-D natural log-prob arrays) whose token- and sequence-average perplexities differ >= 2x."""
    ### BEGIN SOLUTION
    # One short, hard sequence and one long, easy one: the sequence average gives the single hard token
    # as much weight as the 99 easy ones together.
    return [np.array([math.log(0.01)]), np.full(99, math.log(0.9))]
    ### END SOLUTION


# %% [markdown]
# **Worked example.** Two sequences of equal length give the same number both ways; with very different lengths
# and difficulties they do not.

# %%
finish_first({"corpus_perplexity": "Part D", "disagreeing_corpus": "Part D"})
equal = [np.log([0.5, 0.5, 0.5]), np.log([0.1, 0.2, 0.4])]
print(f"equal lengths   : token {corpus_perplexity(equal, 'token'):.4f}, "
      f"sequence {corpus_perplexity(equal, 'sequence'):.4f}")
assert abs(corpus_perplexity(equal, "token") - corpus_perplexity(equal, "sequence")) < 1e-6, "equal lengths: same number"
mine = disagreeing_corpus()
ppl_tok, ppl_seq = corpus_perplexity(mine, "token"), corpus_perplexity(mine, "sequence")
print(f"your corpus     : token {ppl_tok:.4f}, sequence {ppl_seq:.4f}, lengths {[len(s) for s in mine]}")
assert max(ppl_tok, ppl_seq) >= 2 * min(ppl_tok, ppl_seq), "your corpus should make the averages differ by 2x or more"

# %% nbgrader={"grade_id": "test_corpus_perplexity", "grade": true, "points": 3}
"""corpus_perplexity: equal lengths agree; token pools tokens, sequence weights sequences equally; ValueError otherwise."""
_vis = [np.log([0.5, 0.25]), np.log([0.1, 0.1])]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _tok, _seq = corpus_perplexity(_vis, "token"), corpus_perplexity(_vis, "sequence")
assert isinstance(_tok, float) and isinstance(_seq, float), (
    f"expected Python floats, got {type(_tok).__name__} (average='token') and {type(_seq).__name__} "
    f"(average='sequence'). Hint: float(...) converts a numpy or torch scalar.")
check_close("equal lengths, token average", _tok, (2 * 4 * 10 * 10) ** 0.25, atol=1e-6, rtol=1e-5)
check_close("equal lengths, sequence average", _seq, (2 * 4 * 10 * 10) ** 0.25, atol=1e-6, rtol=1e-5,
            hint="Hint: average the log-probabilities, then exponentiate once.")
_outcome = None
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _returned = corpus_perplexity(_vis, "word")
    _outcome = f"it returned {_returned!r}"
except ValueError:
    pass
except Exception as _err:  # noqa: BLE001 - report what was raised instead
    _outcome = f"it raised {type(_err).__name__}: {_err}"
assert _outcome is None, (f"average='word': expected a ValueError, but {_outcome}. "
                          f"Hint: an unknown average is an error, not a default.")
### BEGIN HIDDEN TESTS
def _ref_corpus(seqs, average):
    seqs = [np.asarray(s, np.float64) for s in seqs]
    if average == "token":
        return math.exp(-np.concatenate(seqs).mean())
    return math.exp(-np.mean([s.mean() for s in seqs]))


_rng = np.random.default_rng(66)
_corpora = [
    [np.log([0.01]), np.log(np.full(9, 0.9))],  # short hard + long easy
    [np.log(_rng.uniform(0.05, 1.0, n)) for n in (3, 17, 1, 40, 8)],
    [np.log(_rng.uniform(0.5, 1.0, 30)), np.log(_rng.uniform(0.01, 0.2, 2))],
]
for _i, _c in enumerate(_corpora):
    for _avg in ["token", "sequence"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _got = corpus_perplexity(_c, _avg)
        check_close(f"corpus {_i}, average={_avg}", _got, _ref_corpus(_c, _avg), atol=1e-6, rtol=1e-5,
                    hint="Hint: 'token' weights every token equally, 'sequence' every sequence; one exp at the end.")
# float32 arrays are fine too
_c32 = [s.astype(np.float32) for s in _corpora[1]]
for _avg in ["token", "sequence"]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got = corpus_perplexity(_c32, _avg)
    check_close(f"float32 corpus, average={_avg}", _got, _ref_corpus(_c32, _avg), atol=1e-6, rtol=1e-5)
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_disagreeing_corpus", "grade": true, "points": 1}
"""disagreeing_corpus: at least two valid sequences; the two averages (reference formulas) differ by >= 2x."""
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _corpus = disagreeing_corpus()
assert len(_corpus) >= 2, f"expected at least two sequences, got {len(_corpus)}"
_corpus = [_as_float_array(s) for s in _corpus]
for _i, _s in enumerate(_corpus):
    assert _s.ndim == 1 and _s.size > 0, f"sequence {_i}: expected a non-empty 1-D array, got shape {_s.shape}"
    assert np.all(np.isfinite(_s)) and np.all(_s <= 0), (f"sequence {_i}: log-probabilities must be finite and "
                                                          f"<= 0 (probabilities in (0, 1]), got {_s}")
### BEGIN HIDDEN TESTS
# reference formulas, not your corpus_perplexity: this part is graded on the corpus alone
_ppl_token = math.exp(-np.concatenate(_corpus).mean())
_ppl_sequence = math.exp(-np.mean([s.mean() for s in _corpus]))
print(f"token average {_ppl_token:.4f}, sequence average {_ppl_sequence:.4f}")
assert max(_ppl_token, _ppl_sequence) >= 2 * min(_ppl_token, _ppl_sequence), (
    f"the averages differ by a factor {max(_ppl_token, _ppl_sequence) / min(_ppl_token, _ppl_sequence):.3f} < 2. "
    f"Hint: when do the two weightings coincide, and how do you break that?")
### END HIDDEN TESTS

# %% [markdown]
# **Question (written, 2 points).** A paper reports "perplexity 18.3 on the WikiText-103 test set", and nanoGPT
# prints "val loss 1.47" for tiny Shakespeare. Which of the two averages do such numbers mean? When do the two
# averages coincide, and which sequences does the slides' sequence average give more weight to than the token
# average does?

# %% [markdown] nbgrader={"grade_id": "which_average", "solution": true, "grade": true, "points": 2}
# ### BEGIN SOLUTION
# **Model answer.** Reported language-model perplexities are **token averages**: the total negative
# log-likelihood of all tokens in the test set divided by the total number of tokens, exponentiated
# (corpus-level perplexity, as in Jelinek's work; Transformer-XL's 18.3 on WikiText-103 is per word over the test
# set, evaluated as one long stream of tokens; nanoGPT's val loss is the mean cross-entropy over batches of equal-length
# blocks, i.e. again a pooled per-token mean). The two averages coincide when all sequences have the same length
# (e.g. fixed-length blocks cut from one stream), because then the mean of per-sequence means is the pooled mean.
# With unequal lengths the slides' sequence average gives every sequence equal weight, so the tokens of **short
# sequences** count more (a one-token sentence weighs as much as a 1000-token one); in my corpus above this moves
# the number by more than a factor of 2. A comparison is only meaningful with the same averaging and the same
# unit (per token of the same tokenizer, per word, or per character).
#
# **Rubric (2 points).**
# - 1 point: says reported (paper / nanoGPT) numbers pool all tokens (token average: total NLL / total tokens).
#   0.5 if the answer is right but gives no reason or definition.
# - 1 point: the averages coincide for equal sequence lengths (0.5) and the sequence average over-weights
#   tokens of short sequences (0.5).
# ### END SOLUTION

# %% [markdown]
# ## Part E: n-gram baselines on real text (9 points)
#
# **Goal.** Train the simplest AR models, count-based n-grams, on tiny Shakespeare at the character level and
# measure their validation perplexity: the baselines any neural model must beat.
#
# **Data.** We model characters: the vocabulary is the $V = 65$ distinct characters of the file. The split is
# the standard one (nanoGPT, Karpathy's lecture): the first 90% of the characters train, the last 10% validate.
#
# **Unigram** (no context) and **bigram** (one character of context, a first-order Markov chain) with **add-$\alpha$
# smoothing** (Laplace for $\alpha = 1$): with counts $n_c$ and $n_{ab}$ = how often $b$ follows $a$ in the
# training text,
#
# $$p(c) = \frac{n_c + \alpha}{\sum_{c'} n_{c'} + \alpha V}, \qquad
# p(b \mid a) = \frac{n_{ab} + \alpha}{\sum_{b'} n_{ab'} + \alpha V}.$$
#
# The bigram model is an AR model with a context of one: $\log p(x_2, \dots, x_T \mid x_1) =
# \sum_{t=2}^T \log p(x_t \mid x_{t-1})$, and its validation perplexity is
# $\exp\big(-\frac{1}{T-1} \sum_{t=2}^{T} \log p(x_t \mid x_{t-1})\big)$ (the first character has no context
# and is not scored).
#
# **Spec.**
# - `bigram_counts(ids, vocab_size)`: `ids` a 1-D integer numpy array of token ids in `[0, vocab_size)`. Return a
#   `(V, V)` **integer** numpy array with `counts[a, b]` = number of positions $t$ with `ids[t] == a` and
#   `ids[t + 1] == b`. Repeated pairs must all be counted.
# - `bigram_log_probs(counts, alpha)`: `counts` a `(V, V)` array of counts, `alpha >= 0` a float. Return the `(V, V)`
#   float64 array of natural-log conditionals $\log p(b \mid a)$ (row `a`, column `b`) with add-$\alpha$
#   smoothing; each row of `exp(...)` sums to 1. With `alpha = 0`, unseen pairs get `-inf` (rows with no counts
#   at all are not tested with `alpha = 0`).
# - `sequence_log_probs(log_prob_table, ids)`: the natural-log probability of each token `ids[t]`, $t \ge 1$,
#   given `ids[t - 1]`; a 1-D float array of length `len(ids) - 1`.

# %% nbgrader={"grade_id": "load_text", "locked": true}
# Read-only: the character vocabulary and the fixed 90 / 10 split.
DATA_DIR = find_data_dir()
REF = json.loads((DATA_DIR / "reference_values.json").read_text())["tinyshakespeare"]
text = (DATA_DIR / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
chars = sorted(set(text))
VOCAB = len(chars)
stoi = {c: i for i, c in enumerate(chars)}
itos = {i: c for c, i in stoi.items()}
ids_all = np.array([stoi[c] for c in text], dtype=np.int64)
n_train = int(0.9 * len(ids_all))
train_ids, val_ids = ids_all[:n_train], ids_all[n_train:]
print(f"{len(text):,} characters, V = {VOCAB}; train {len(train_ids):,}, validation {len(val_ids):,}")
print("vocabulary:", repr("".join(chars)))
assert (VOCAB, len(train_ids), len(val_ids)) == (REF["vocab"], REF["train_chars_90pct"], REF["val_chars_10pct"]), \
    "vocabulary or split differs from data/tinyshakespeare/README.md: is data/ intact?"

# %% nbgrader={"grade_id": "bigram_counts", "solution": true}
def bigram_counts(ids, vocab_size):
    """(V, V) integer matrix: counts[a, b] = number of times b directly follows a in ids."""
    ### BEGIN SOLUTION
    ids = np.asarray(ids, dtype=np.int64)
    counts = np.zeros((vocab_size, vocab_size), dtype=np.int64)
    np.add.at(counts, (ids[:-1], ids[1:]), 1)  # add.at accumulates repeated pairs; counts[a, b] += 1 would not
    return counts
    ### END SOLUTION


# %% nbgrader={"grade_id": "bigram_log_probs", "solution": true}
def bigram_log_probs(counts, alpha):
    """(V, V) natural-log conditionals log p(b | a) with add-alpha smoothing; rows normalise."""
    ### BEGIN SOLUTION
    counts = np.asarray(counts, dtype=np.float64)
    V = counts.shape[1]
    numerator = counts + alpha
    denominator = counts.sum(axis=1, keepdims=True) + alpha * V  # row a: everything that follows a
    with np.errstate(divide="ignore"):
        return np.log(numerator) - np.log(denominator)
    ### END SOLUTION


# %% nbgrader={"grade_id": "sequence_log_probs", "solution": true}
def sequence_log_probs(log_prob_table, ids):
    """log p(ids[t] | ids[t-1]) for t = 1..len(ids)-1, read from a (V, V) table of log p(b | a)."""
    ### BEGIN SOLUTION
    table = np.asarray(log_prob_table, dtype=np.float64)
    ids = np.asarray(ids, dtype=np.int64)
    return table[ids[:-1], ids[1:]]  # row = previous token, column = current token
    ### END SOLUTION


# %% [markdown]
# **Worked example.** Counts on a tiny string, then the real experiment: the uniform baseline, the unigram, and
# the bigram for several $\alpha$, on the validation split.

# %%
finish_first({"bigram_counts": "Part E", "bigram_log_probs": "Part E"})
small = np.array([stoi[c] for c in "to be or not to be"])
small_counts = bigram_counts(small, VOCAB)
print("pairs counted:", small_counts.sum(), "(= len - 1 =", len(small) - 1, ");",
      "'t'->'o' count:", small_counts[stoi["t"], stoi["o"]], "; 'o'->' ' count:", small_counts[stoi["o"], stoi[" "]])
small_lp = bigram_log_probs(small_counts, alpha=1.0)
n_to, n_t_row = int(small_counts[stoi["t"], stoi["o"]]), int(small_counts[stoi["t"]].sum())  # 't' -> 'o', ' ', 'o'
print("rows normalise:", np.allclose(np.exp(small_lp).sum(axis=1), 1.0),
      "; p('o' | 't') with alpha=1:", round(float(np.exp(small_lp[stoi["t"], stoi["o"]])), 4),
      f"= ({n_to} + 1) / ({n_t_row} + {VOCAB})")
assert (n_to, n_t_row) == (2, 3), f"'t' is followed by 'o', ' ', 'o' in the string: expected (2, 3), got {(n_to, n_t_row)}"
assert abs(np.exp(small_lp[stoi["t"], stoi["o"]]) - 3 / 68) < 1e-9, "p('o' | 't') with alpha = 1 should be 3 / 68"

# %%
# Uniform baseline: every character has probability 1/V.
finish_first({"perplexity": "Part B", "entropy": "Part C", "cross_entropy": "Part C", "kl_divergence": "Part C",
              "bigram_counts": "Part E", "bigram_log_probs": "Part E", "sequence_log_probs": "Part E"})
uniform_ce = math.log(VOCAB)
# Unigram (alpha = 1): no context; scored on the same validation tokens as the bigram (t >= 1).
uni_counts = np.bincount(train_ids, minlength=VOCAB)
uni_logp = np.log((uni_counts + 1.0) / (uni_counts.sum() + VOCAB))
unigram_ce = float(-uni_logp[val_ids[1:]].mean())

train_counts = bigram_counts(train_ids, VOCAB)
alphas = [0.0, 0.01, 0.1, 1.0, 10.0, 100.0]
sweep = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # alpha = 0: log 0 = -inf on purpose
    for a in alphas:
        table = bigram_log_probs(train_counts, a)
        sweep[a] = (perplexity(sequence_log_probs(table, train_ids)), perplexity(sequence_log_probs(table, val_ids)))
print(f"{'model':22s} {'train PPL':>10s} {'val PPL':>10s} {'val CE (nats)':>14s}")
print(f"{'uniform (V = 65)':22s} {VOCAB:10.3f} {VOCAB:10.3f} {uniform_ce:14.4f}")
print(f"{'unigram, alpha = 1':22s} {'':10s} {math.exp(unigram_ce):10.3f} {unigram_ce:14.4f}")
for a, (tr, va) in sweep.items():
    print(f"{'bigram, alpha = ' + str(a):22s} {tr:10.3f} {va:10.3f} {math.log(va):14.4f}")

bigram_table = bigram_log_probs(train_counts, 1.0)
bigram_val_lp = sequence_log_probs(bigram_table, val_ids)
bigram_ce = float(-bigram_val_lp.mean())
unseen = (train_counts == 0) & (bigram_counts(val_ids, VOCAB) > 0)
print(f"validation pairs never seen in training: {unseen.sum()} kinds, "
      f"{bigram_counts(val_ids, VOCAB)[unseen].sum()} occurrences")
# The numbers are real: they match the values computed independently for data/reference_values.json.
assert abs(bigram_ce - REF["computed_here"]["bigram_count_addone_val_ce"]) < 1e-3, f"bigram val CE {bigram_ce:.4f}"
assert abs(math.log(sweep[1.0][0]) - REF["computed_here"]["bigram_count_addone_train_ce"]) < 1e-3, "bigram train CE"
assert abs(unigram_ce - REF["computed_here"]["unigram_val_ce"]) < 1e-3, f"unigram val CE {unigram_ce:.4f}"
assert abs(uniform_ce - REF["uniform_loss_ln65"]) < 1e-4, "uniform baseline is ln 65"
assert math.isinf(sweep[0.0][1]) and math.isfinite(sweep[0.0][0]), "alpha = 0: finite on train, infinite on val"

fig, ax = plt.subplots(figsize=(5, 3))
finite = [a for a in alphas if a > 0]
ax.semilogx(finite, [sweep[a][0] for a in finite], "o-", label="train")
ax.semilogx(finite, [sweep[a][1] for a in finite], "s-", label="validation")
ax.set(xlabel=r"$\alpha$", ylabel="perplexity", title=r"bigram, add-$\alpha$ (at $\alpha = 0$: val PPL = $\infty$)")
ax.legend()
plt.tight_layout()
plt.show()

# %% nbgrader={"grade_id": "test_bigram_counts", "grade": true, "points": 2}
"""bigram_counts: counts[a, b] = how often b follows a; repeated pairs all counted; integer dtype; shape (V, V)."""
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = bigram_counts(np.array([0, 1, 1, 2]), 3)
_want = np.array([[0, 1, 0], [0, 1, 1], [0, 0, 0]])
check_close("ids [0, 1, 1, 2], V=3", _got, _want, atol=0, rtol=0, hint="Hint: row = previous id, column = next id.")
assert np.issubdtype(np.asarray(_got).dtype, np.integer), f"expected an integer dtype, got {np.asarray(_got).dtype}"
### BEGIN HIDDEN TESTS
def _ref_bigram_counts(ids, V):
    ids = np.asarray(ids, np.int64)
    return np.bincount(ids[:-1] * V + ids[1:], minlength=V * V).reshape(V, V)


_rng = np.random.default_rng(77)
for _V, _n in [(5, 200), (9, 31), (4, 2)]:
    _ids = _rng.integers(0, _V, _n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got = bigram_counts(_ids, _V)
    check_close(f"random ids, V={_V}, n={_n}", _got, _ref_bigram_counts(_ids, _V), atol=0, rtol=0,
                hint="Hint: repeated pairs must all be counted; counts[a, b] means b follows a.")
    assert np.issubdtype(np.asarray(_got).dtype, np.integer), f"expected an integer dtype, got {np.asarray(_got).dtype}"
# a repeated pair, and a vocabulary larger than the ids present
_ids = np.array([3, 3, 3, 3, 1])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = bigram_counts(_ids, 6)
check_close("ids [3, 3, 3, 3, 1], V=6", _got, _ref_bigram_counts(_ids, 6), atol=0, rtol=0,
            hint="Hint: the pair (3, 3) occurs three times.")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_bigram_log_probs", "grade": true, "points": 3}
"""bigram_log_probs: add-alpha formula, rows normalise, natural log, alpha = 0 gives -inf for unseen pairs."""
_c_vis = np.array([[3, 1], [0, 0]])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = bigram_log_probs(_c_vis, 1.0)
check_close("counts [[3,1],[0,0]], alpha=1", _got, np.log([[4 / 6, 2 / 6], [1 / 2, 1 / 2]]), atol=1e-6, rtol=1e-5,
            hint="Hint: every row gets alpha added to each of its V entries.")
### BEGIN HIDDEN TESTS
def _ref_bigram_log_probs(c, alpha):
    c = np.asarray(c, np.float64)
    with np.errstate(divide="ignore"):
        return np.log(c + alpha) - np.log(c.sum(axis=1, keepdims=True) + alpha * c.shape[1])


_rng = np.random.default_rng(88)
_c = _rng.integers(0, 6, (7, 7)) * (_rng.random((7, 7)) < 0.6)
_c[:, 0] += 1  # every row has counts (alpha = 0 is tested too)
for _alpha in [0.5, 1.0, 2.0, 0.0]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got = bigram_log_probs(_c, _alpha)
    _got_a = _as_float_array(_got)
    assert not np.any(np.isnan(_got_a)), f"alpha={_alpha}: got nan entries. Hint: log 0 is -inf, not nan."
    check_close(f"random counts (7x7), alpha={_alpha}", _got_a, _ref_bigram_log_probs(_c, _alpha), atol=1e-6,
                rtol=1e-5, hint="Hint: condition on the row (previous token); smoothing adds alpha * V below.")
    _row_sums = np.exp(_got_a).sum(axis=1)
    check_close(f"alpha={_alpha}: rows of exp(...) sum to 1", _row_sums, np.ones(7), atol=1e-6, rtol=1e-5)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = bigram_log_probs(_c, 0.0)
_unseen_vals = _as_float_array(_got)[_c == 0]
assert np.all(np.isneginf(_unseen_vals)), (f"alpha=0: expected -inf at the {_unseen_vals.size} unseen pairs, got "
                                           f"{np.array2string(_unseen_vals, precision=4, threshold=8)}. "
                                           f"Hint: without smoothing, an unseen pair has probability 0.")
# float32 counts are valid input
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = bigram_log_probs(_c.astype(np.float32), 0.1)
check_close("float32 counts, alpha=0.1", _got, _ref_bigram_log_probs(_c, 0.1), atol=1e-6, rtol=1e-5)
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_sequence_log_probs", "grade": true, "points": 2}
"""sequence_log_probs: reads log p(ids[t] | ids[t-1]) at [previous, current]; length len(ids) - 1."""
_table_vis = np.log(np.array([[0.9, 0.1], [0.4, 0.6]]))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = sequence_log_probs(_table_vis, np.array([0, 0, 1]))
check_close("table [[.9,.1],[.4,.6]], ids [0,0,1]", _got, np.log([0.9, 0.1]), atol=1e-6, rtol=1e-5,
            hint="Hint: one entry per token after the first; row = previous token.")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(99)
_V = 6
_table = np.log(_rng.dirichlet(np.ones(_V), size=_V))  # rows: previous token (not symmetric)
for _n in [2, 15, 100]:
    _ids = _rng.integers(0, _V, _n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got = sequence_log_probs(_table, _ids)
    check_close(f"random table, {_n} ids", _got, _table[_ids[:-1], _ids[1:]], atol=1e-6, rtol=1e-5,
                hint="Hint: token t is scored given token t-1, at [previous, current].")
### END HIDDEN TESTS

# %% [markdown]
# **Question (written, 2 points).** What is the validation perplexity of the *unsmoothed* ($\alpha = 0$, maximum
# likelihood) bigram model on this split, and why? Would the unsmoothed unigram model have the same problem here?

# %% [markdown] nbgrader={"grade_id": "unsmoothed_answer", "solution": true, "grade": true, "points": 2}
# ### BEGIN SOLUTION
# **Model answer.** It is **infinite**. The maximum-likelihood bigram gives $p(b \mid a) = 0$ to every pair never
# seen in training, and the validation text contains such pairs (23 kinds, 187 occurrences, printed above). One
# zero is enough: $\log 0 = -\infty$, so the mean negative log-likelihood is $+\infty$ and $\text{PPL} = e^{\infty}
# = \infty$; equivalently $p(x_1, \dots, x_T) = 0$ and $0^{-1/T} = \infty$. In Part C's terms, the cross-entropy
# $H(\tilde p, q)$ is infinite whenever $q = 0$ where the data $\tilde p > 0$, however good the model is on every
# other token. (On the training text it is finite, 11.6, because every training pair has a count.) Smoothing
# (add-$\alpha$) reserves some probability for unseen events so the perplexity stays finite (about 12.0 at
# $\alpha = 1$). The unsmoothed unigram does not have the problem here: all 65 characters of the validation split
# occur in training, so no validation character has probability 0 (its validation PPL is finite, about 28).
#
# **Rubric (2 points).**
# - 1 point: infinite (not "very large", not nan).
# - 1 point: because unseen validation bigrams get probability 0, log 0 = $-\infty$ (or the product is 0); one
#   such token is enough. Mentioning that smoothing fixes it or the unigram case is welcome but not required;
#   0.5 if the reason is only "overfitting" without the zero probability.
# ### END SOLUTION

# %% [markdown]
# ## Part F: A small causal neural model (5 points)
#
# **Goal.** Train a tiny autoregressive transformer for a few seconds and beat the bigram with it, making sure
# it cannot cheat by looking at the future.
#
# The model reads a block of $T$ characters and predicts, at every position $i$, the next character
# $x_{i+1}$ from $x_{\le i}$. Self-attention mixes positions with weights
# $\mathrm{softmax}_j\big(q_i^\top k_j / \sqrt{d} + m_{ij}\big)$; the **causal mask** sets $m_{ij} = -\infty$ for
# $j > i$, so position $i$ may attend only to positions $j \le i$ (itself included). Without it, the target
# $x_{i+1}$ sits in the input at position $i + 1$ and the model learns to copy it: a training loss near zero and
# useless predictions.
#
# The training loss is the mean per-token cross-entropy (negative log-likelihood) of the logits $z \in \mathbb{R}^V$,
# computed stably with log-sum-exp:
#
# $$-\log \mathrm{softmax}(z)_y = -z_y + \log \sum_{v=1}^V e^{z_v}
# = -z_y + m + \log \sum_{v=1}^V e^{z_v - m}, \qquad m = \max_v z_v.$$
#
# **Spec.**
# - `causal_mask(T)`: a `(T, T)` torch tensor of dtype `torch.bool`, `True` where position $i$ (row) may attend
#   to position $j$ (column), i.e. where $j \le i$.
# - `token_nll(logits, targets)`: `logits` a float tensor of shape `(..., V)`, `targets` a long tensor of shape
#   `(...)`. Return the tensor of per-token negative log-likelihoods, shape `(...)` (no averaging). It must stay
#   finite for large logits (e.g. logits $\times 1000$). Its mean equals
#   `F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))`. We recommend writing it yourself with
#   log-sum-exp or `log_softmax`, so that you see why the two agree; calling `F.cross_entropy` with
#   `reduction="none"` is also accepted.

# %% nbgrader={"grade_id": "causal_mask", "solution": true}
def causal_mask(T):
    """(T, T) bool tensor, True where row i may attend to column j (j <= i)."""
    ### BEGIN SOLUTION
    return torch.tril(torch.ones(T, T, dtype=torch.bool))
    ### END SOLUTION


# %% nbgrader={"grade_id": "token_nll", "solution": true}
def token_nll(logits, targets):
    """Per-token -log softmax(logits)[target] over the last axis, stable for large logits; shape targets.shape."""
    ### BEGIN SOLUTION
    log_norm = torch.logsumexp(logits, dim=-1)  # subtracts the max internally: no overflow
    target_logit = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return log_norm - target_logit
    ### END SOLUTION


# %% [markdown]
# **Worked example.** The mask for a block of 4 positions (1 = may attend), the attention weights it gives when
# every score is equal, and `token_nll` on two tokens, next to `F.cross_entropy`, then with the logits
# multiplied by 1000, where computing $-\log$ of the softmax directly gives $\infty$.

# %%
finish_first({"causal_mask": "Part F", "token_nll": "Part F"})
mask4 = causal_mask(4)
print("causal_mask(4), row i = query position, column j = key position:")
print(mask4.int())
weights4 = torch.zeros(4, 4).masked_fill(~mask4, float("-inf")).softmax(dim=-1)
print("attention weights for equal scores (row i spreads over columns 0..i):")
print(weights4)
assert torch.allclose(weights4.sum(dim=-1), torch.ones(4)), "every row of attention weights sums to 1"
assert weights4[0, 0] == 1 and weights4[3, 0] == 0.25, "position 0 sees only itself; position 3 sees 4 positions"

logits_demo = torch.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]])  # 2 tokens, V = 3
targets_demo = torch.tensor([1, 1])
print("token_nll              :", token_nll(logits_demo, targets_demo))
print("F.cross_entropy (none) :", F.cross_entropy(logits_demo, targets_demo, reduction="none"))
demo_rows = torch.arange(2)
print("logits x 1000: token_nll =", token_nll(1000 * logits_demo, targets_demo),
      "; -log(softmax(z))[y] =", -torch.log(torch.softmax(1000 * logits_demo, dim=-1))[demo_rows, targets_demo])
assert torch.allclose(token_nll(logits_demo, targets_demo),
                      F.cross_entropy(logits_demo, targets_demo, reduction="none"), atol=1e-6), \
    "token_nll should agree with F.cross_entropy(..., reduction='none')"
assert torch.isfinite(token_nll(1000 * logits_demo, targets_demo)).all(), "token_nll must stay finite for large logits"


# %% nbgrader={"grade_id": "test_causal_mask", "grade": true, "points": 2}
"""causal_mask: bool (T, T), lower-triangular with the diagonal; an attention layer using it ignores the future."""
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _m3 = causal_mask(3)
assert torch.is_tensor(_m3) and _m3.dtype == torch.bool, \
    f"expected a bool tensor, got {type(_m3).__name__} {getattr(_m3, 'dtype', '')}"
assert tuple(_m3.shape) == (3, 3), f"expected shape (3, 3), got {tuple(_m3.shape)}"
assert _m3[2, 0] and not _m3[0, 2], f"row 2 may see column 0, row 0 may not see column 2; got\n{_m3}"
### BEGIN HIDDEN TESTS
def _ref_attention(q, k, v, mask):
    s = (q @ k.transpose(-1, -2)).masked_fill(~mask, float("-inf"))
    return s.softmax(-1) @ v


for _T in [1, 2, 5, 16]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _m = causal_mask(_T)
    assert torch.is_tensor(_m) and _m.dtype == torch.bool, \
        f"T={_T}: expected a bool tensor, got {type(_m).__name__} {getattr(_m, 'dtype', '')}"
    _want = torch.arange(_T)[:, None] >= torch.arange(_T)[None, :]
    assert tuple(_m.shape) == (_T, _T) and torch.equal(_m, _want), (
        f"T={_T}: expected True exactly where column <= row, got\n{_m.int()}. "
        f"Hint: a position may see itself and the past, never the future.")
# functional check: with this mask, changing future keys/values does not change earlier outputs
_g = torch.Generator().manual_seed(5)
_q, _k, _v = (torch.randn(8, 4, generator=_g, dtype=torch.float64) for _ in range(3))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _m8 = causal_mask(8)
_out = _ref_attention(_q, _k, _v, _m8)
_k2, _v2 = _k.clone(), _v.clone()
_k2[5:] += 3.0
_v2[5:] -= 2.0
_out2 = _ref_attention(_q, _k2, _v2, _m8)
_bad_rows = [int(i) for i in torch.nonzero(~torch.isfinite(_out).all(dim=-1)).flatten()]
assert not _bad_rows, (f"attention with causal_mask(8): expected finite outputs, got nan in rows {_bad_rows}. "
                       f"Hint: a row with no True entry attends to nothing.")
_early_diff = float((_out[:5] - _out2[:5]).abs().max())
assert _early_diff <= 1e-12, (f"changing positions 5..7 should leave outputs 0..4 unchanged, but they moved by up to "
                              f"{_early_diff:.3g}: the future leaks in. Hint: which entries of row i are allowed?")
_late_diff = float((_out[5:] - _out2[5:]).abs().max())
assert _late_diff > 1e-6, (f"changing positions 5..7 should change outputs 5..7, but they moved by only "
                           f"{_late_diff:.3g}. Hint: a position may attend to itself.")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_token_nll", "grade": true, "points": 3}
"""token_nll: per-token NLL matching F.cross_entropy (values, shape, mean), stable for logits x 1000."""
_g = torch.Generator().manual_seed(0)
_logits = torch.randn(2, 3, 5, generator=_g)
_targets = torch.randint(0, 5, (2, 3), generator=_g)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = token_nll(_logits, _targets)
check_close("(2,3,5) logits: per-token NLL", _got,
            F.cross_entropy(_logits.reshape(-1, 5), _targets.reshape(-1), reduction="none").reshape(2, 3),
            atol=1e-5, rtol=1e-5, hint="Hint: -log softmax over the vocabulary axis, at the target index.")
check_close("(2,3,5) logits: mean vs F.cross_entropy", _as_float_array(_got).mean(),
            F.cross_entropy(_logits.reshape(-1, 5), _targets.reshape(-1)), atol=1e-5, rtol=1e-5)
### BEGIN HIDDEN TESTS
def _ref_token_nll(logits, targets):
    z = _as_float_array(logits)
    t = np.asarray(targets.cpu().numpy() if hasattr(targets, "cpu") else targets, dtype=np.int64)
    m = z.max(axis=-1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]
    return lse - np.take_along_axis(z, t[..., None], axis=-1)[..., 0]


_g = torch.Generator().manual_seed(123)
for _shape in [(4, 7, 65), (10, 3), (2, 2, 2, 9)]:
    _z = torch.randn(*_shape, generator=_g, dtype=torch.float64) * 2.0
    _t = torch.randint(0, _shape[-1], _shape[:-1], generator=_g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got = token_nll(_z, _t)
    check_close(f"logits {_shape}: per-token NLL", _got, _ref_token_nll(_z, _t), atol=1e-6, rtol=1e-5,
                hint="Hint: normalise over the last axis; no averaging; NLL is positive.")
# overflow: logits x 1000 (float32); the naive exp overflows, log(softmax) underflows to log 0
_z = torch.randn(6, 65, generator=_g) * 1000.0
_t = torch.randint(0, 65, (6,), generator=_g)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = _as_float_array(token_nll(_z, _t))
assert np.all(np.isfinite(_got)), f"logits x 1000: expected finite NLLs, got {_got}. Hint: subtract the max first."
check_close("logits x 1000 (float32)", _got, _ref_token_nll(_z, _t), atol=1e-2, rtol=1e-5)
check_close("logits x 1000: mean vs F.cross_entropy", _got.mean(), F.cross_entropy(_z, _t), atol=1e-2, rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# **The model.** One transformer block (4-head causal self-attention and an MLP, pre-LayerNorm), 48-dimensional
# embeddings, blocks of $T = 16$ characters: about 35k parameters. It uses your `causal_mask`.

# %%
finish_first({"causal_mask": "Part F"})
BLOCK, D_MODEL, N_HEADS = 16, 48, 4


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads, block_size):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.register_buffer("mask", causal_mask(block_size))  # True = may attend

    def forward(self, x):
        B, T, D = x.shape
        q, k, v = self.qkv(x).split(D, dim=-1)
        q, k, v = (z.view(B, T, self.n_heads, D // self.n_heads).transpose(1, 2) for z in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(D // self.n_heads)  # (B, heads, T, T)
        scores = scores.masked_fill(~self.mask[:T, :T], float("-inf"))  # the future gets weight exp(-inf) = 0
        y = scores.softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(B, T, D))


class TinyGPT(nn.Module):
    def __init__(self, vocab, d_model=D_MODEL, n_heads=N_HEADS, block_size=BLOCK):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(block_size, d_model)
        self.ln1, self.ln2, self.ln_f = nn.LayerNorm(d_model), nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads, block_size)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))
        self.head = nn.Linear(d_model, vocab)

    def forward(self, idx):  # idx: (B, T) long -> logits (B, T, vocab)
        h = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        h = h + self.attn(self.ln1(h))
        h = h + self.mlp(self.ln2(h))
        return self.head(self.ln_f(h))


torch.manual_seed(0)
model = TinyGPT(VOCAB)
print(f"TinyGPT: {sum(p.numel() for p in model.parameters()):,} parameters")

# %% [markdown]
# **Causality check** (before training, so a leaky mask is caught early): replace the last characters of a block
# by random ones; the logits at the earlier positions must not change. A model whose mask lets everything in
# fails the same check.

# %%
finish_first({"causal_mask": "Part F"})
def future_leaks(net, k=10, seed=0):
    """True if changing tokens at positions >= k changes the logits at positions < k."""
    g = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(val_ids[:BLOCK]).unsqueeze(0)
    x_changed = x.clone()
    x_changed[:, k:] = torch.randint(0, VOCAB, (1, BLOCK - k), generator=g)
    with torch.no_grad():
        before, after = net(x), net(x_changed)
    return not torch.allclose(before[:, :k], after[:, :k], atol=1e-6)


leaky = copy.deepcopy(model)
leaky.attn.mask.fill_(True)  # attend everywhere, future included
print("model with causal_mask leaks the future:", future_leaks(model), "; with an all-True mask:", future_leaks(leaky))
assert not future_leaks(model), "the model sees the future: check causal_mask"
assert future_leaks(leaky), "the check must catch a mask that lets the future in"

# %% [markdown]
# **Training** (a few seconds on one CPU thread): random blocks of the training split, AdamW with a one-cycle
# learning-rate schedule, the mean cross-entropy as the loss.

# %%
finish_first({"causal_mask": "Part F"})
STEPS, BATCH, LR = 500, 32, 1e-2
train_t, val_t = torch.from_numpy(train_ids), torch.from_numpy(val_ids)
torch.manual_seed(0)
model = TinyGPT(VOCAB)
opt = torch.optim.AdamW(model.parameters(), lr=LR)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=STEPS, pct_start=0.1)
batch_gen = torch.Generator().manual_seed(0)
losses = []
t0 = time.perf_counter()
for step in tqdm(range(STEPS), desc="training", file=sys.stdout, mininterval=1.0):
    starts = torch.randint(0, len(train_t) - BLOCK - 1, (BATCH,), generator=batch_gen)
    offsets = starts[:, None] + torch.arange(BLOCK)
    x, y = train_t[offsets], train_t[offsets + 1]  # targets: the input shifted by one
    loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    sched.step()
    losses.append(loss.item())
print(f"{STEPS} steps in {time.perf_counter() - t0:.1f} s; last training loss {np.mean(losses[-20:]):.3f} nats")
assert not future_leaks(model), "training must not break causality"

# %% [markdown]
# **Evaluation** on the whole validation split: consecutive blocks of 16, every character from the second on is
# scored once (the same 111,539 tokens as the bigram), with your `token_nll` and `perplexity`.

# %%
finish_first({"perplexity": "Part B", "entropy": "Part C", "cross_entropy": "Part C", "kl_divergence": "Part C",
              "bigram_counts": "Part E", "bigram_log_probs": "Part E", "sequence_log_probs": "Part E",
              "causal_mask": "Part F", "token_nll": "Part F"})
@torch.no_grad()
def val_log_probs(net, ids_t, block=BLOCK, chunk=1024):
    """Natural-log probability of ids_t[1:], each given up to `block` previous characters (within its block)."""
    n = len(ids_t) - 1
    n_full = n // block
    xs, ys = ids_t[: n_full * block].view(n_full, block), ids_t[1: n_full * block + 1].view(n_full, block)
    nll = [token_nll(net(xs[i:i + chunk]), ys[i:i + chunk]).reshape(-1) for i in range(0, n_full, chunk)]
    if n > n_full * block:  # the tail that does not fill a block
        nll.append(token_nll(net(ids_t[n_full * block: n][None]), ids_t[n_full * block + 1:][None]).reshape(-1))
    return -torch.cat(nll)


model.eval()
neural_val_lp = val_log_probs(model, val_t)
assert neural_val_lp.shape == (len(val_ids) - 1,), "every validation character after the first is scored once"
neural_ce = float(-neural_val_lp.mean())
# the manual per-token NLL agrees with PyTorch's cross-entropy on a batch of validation logits
with torch.no_grad():
    xb, yb = val_t[:BLOCK * 64].view(64, BLOCK), val_t[1:BLOCK * 64 + 1].view(64, BLOCK)
    logits_b = model(xb)
check_close("token_nll(...).mean() vs F.cross_entropy", token_nll(logits_b, yb).mean(),
            F.cross_entropy(logits_b.reshape(-1, VOCAB), yb.reshape(-1)), atol=1e-6, rtol=1e-6)

results = [("uniform (V = 65)", uniform_ce), ("unigram, alpha = 1", unigram_ce),
           ("bigram, alpha = 1", bigram_ce), ("TinyGPT (this notebook)", neural_ce)]
print(f"\n{'model (validation split)':26s} {'CE (nats/char)':>15s} {'bits/char':>10s} {'PPL':>8s}")
for name, ce in results:
    print(f"{name:26s} {ce:15.4f} {ce / math.log(2):10.4f} {math.exp(ce):8.3f}")
print(f"(for scale: nanoGPT, 4 layers on a CPU for 2000 iterations: {REF['nanogpt_char_cpu_val_loss']['value']} nats; "
      f"6 layers on a GPU: {REF['nanogpt_char_gpu_best_val_loss']['value']} nats)")
neural_ppl, bigram_ppl = perplexity(neural_val_lp), perplexity(bigram_val_lp)
assert abs(neural_ppl - math.exp(neural_ce)) < 1e-6 * neural_ppl, "perplexity() should be exp(mean NLL)"
assert neural_ppl < 0.85 * bigram_ppl, \
    f"the neural model ({neural_ppl:.2f}) must clearly beat the bigram ({bigram_ppl:.2f})"

# Does the model use its context? Validation loss per position in the block (position 0 sees one character).
per_pos = (-neural_val_lp[: (len(val_ids) - 1) // BLOCK * BLOCK]).view(-1, BLOCK).mean(0)
fig, ax = plt.subplots(1, 2, figsize=(10, 3))
ax[0].plot(losses, lw=0.8, label="training loss (batch)")
for name, ce in results[:3]:
    ax[0].axhline(ce, ls="--", lw=0.8, color="gray")
    ax[0].text(STEPS * 0.6, ce + 0.05, name, fontsize=8)
ax[0].set(xlabel="step", ylabel="nats / char", ylim=(1.5, 4.4), title="training")
ax[1].plot(np.arange(1, BLOCK + 1), per_pos.numpy(), "o-", label="TinyGPT")
ax[1].axhline(bigram_ce, ls="--", color="gray", label="bigram")
ax[1].set(xlabel="characters of context", ylabel="validation nats / char", title="more context, lower loss")
ax[1].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# **Generation** one character at a time, left to right, sampling from $p_\theta(x_t \mid x_{<t})$: the causal
# structure at work.

# %%
finish_first({"causal_mask": "Part F"})
@torch.no_grad()
def generate(net, prompt, n_chars=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    idx = torch.tensor([[stoi[c] for c in prompt]])
    for _ in range(n_chars):
        probs = net(idx[:, -BLOCK:])[0, -1].softmax(-1)
        idx = torch.cat([idx, torch.multinomial(probs, 1, generator=g)[None]], dim=1)
    return "".join(itos[int(i)] for i in idx[0])


print(generate(model, "ROMEO:\n"))

# %% [markdown]
# ## Part G: Pseudo-likelihood (6 points)
#
# **Goal.** Compare the exact likelihood of an AR model with the pseudo-likelihood that masked language models
# (BERT-style) optimise, on a joint distribution small enough to enumerate.
#
# Autoregressive strategies learn the joint probability directly through the chain rule, so they give the exact
# likelihood *and* the perplexity: a direct way to evaluate models. What do approaches based on masking learn?
# Masked language models (MLM) optimise the **pseudo-likelihood**. For three variables:
#
# $$\text{true joint: } p(x_1, x_2, x_3) = p(x_1) \cdot p(x_2 \mid x_1) \cdot p(x_3 \mid x_1, x_2), \qquad
# \text{pseudo joint: } p_{\text{pseudo}}(x_1, x_2, x_3) = p(x_1 \mid x_2, x_3) \cdot p(x_2 \mid x_1, x_3)
# \cdot p(x_3 \mid x_1, x_2),$$
#
# and in general, with $x_{\setminus t}$ = every variable except $x_t$,
#
# $$p_{\text{pseudo}}(x_1, \dots, x_T) = \prod_{t=1}^T p(x_t \mid x_{\setminus t}), \qquad
# p(x_t \mid x_{\setminus t}) = \frac{p(x_1, \dots, x_T)}{\sum_{v} p(x_1, \dots, x_{t-1}, v, x_{t+1}, \dots, x_T)},$$
#
# an approximation to the joint distribution. Salazar et al. (2020, "Masked Language Model Scoring") define
# the pseudo-perplexity $\exp\big(-\frac1T \sum_t \log p(x_t \mid x_{\setminus t})\big)$ from it.
#
# **Spec.** `log_likelihood(joint, x)` and `pseudo_log_likelihood(joint, x)`: `joint` is a normalised numpy table
# of shape `(V,) * T` with positive entries, `x` a tuple of $T$ indices. Return $\log p(x)$ and
# $\sum_t \log p(x_t \mid x_{\setminus t})$ as Python floats (natural logs).

# %% nbgrader={"grade_id": "log_likelihood", "solution": true}
def log_likelihood(joint, x) -> float:
    """log p(x) under the joint table."""
    ### BEGIN SOLUTION
    return float(np.log(np.asarray(joint, dtype=np.float64)[tuple(x)]))
    ### END SOLUTION


# %% nbgrader={"grade_id": "pseudo_log_likelihood", "solution": true}
def pseudo_log_likelihood(joint, x) -> float:
    """sum_t log p(x_t | x_without_t) under the joint table."""
    ### BEGIN SOLUTION
    joint = np.asarray(joint, dtype=np.float64)
    total = 0.0
    for t in range(joint.ndim):
        index = list(x)
        index[t] = slice(None)  # all values of x_t, the others fixed: p(x_t = v, x_without_t) for every v
        column = joint[tuple(index)]
        total += math.log(column[x[t]] / column.sum())
    return total
    ### END SOLUTION


# %% [markdown]
# **Worked example.** Over all $3^3 = 27$ sequences: the likelihood sums to 1, the pseudo-likelihood does not;
# for independent variables the two agree; and in expectation under the true distribution the pseudo-NLL is
# *smaller* than the entropy, because each factor sees both sides of $x_t$.

# %%
finish_first({"perplexity": "Part B", "entropy": "Part C", "cross_entropy": "Part C", "kl_divergence": "Part C",
              "bigram_counts": "Part E", "bigram_log_probs": "Part E", "sequence_log_probs": "Part E",
              "causal_mask": "Part F", "token_nll": "Part F", "log_likelihood": "Part G",
              "pseudo_log_likelihood": "Part G"})
ll = np.array([log_likelihood(joint_toy, x) for x in ALL_X])
pll = np.array([pseudo_log_likelihood(joint_toy, x) for x in ALL_X])
pll_indep = np.array([pseudo_log_likelihood(joint_indep, x) for x in ALL_X])
ll_indep = np.array([log_likelihood(joint_indep, x) for x in ALL_X])
print(f"sum_x p(x) = {np.exp(ll).sum():.6f}; sum_x p_pseudo(x) = {np.exp(pll).sum():.4f} (dependent), "
      f"{np.exp(pll_indep).sum():.6f} (independent)")
assert abs(np.exp(ll).sum() - 1) < 1e-6, "the likelihood sums to 1 over all sequences"
assert abs(np.exp(pll).sum() - 1) > 0.05, "the pseudo-likelihood of a dependent joint does not sum to 1"
assert np.allclose(pll_indep, ll_indep, atol=1e-6), "independent variables: pseudo-likelihood = likelihood"

p_flat = joint_toy.reshape(-1)  # same order as ALL_X
H = float(-(p_flat * ll).sum())
pseudo_nll = float(-(p_flat * pll).sum())
print(f"expected NLL under p: exact {H:.4f} nats (= H(p)), pseudo {pseudo_nll:.4f} nats; "
      f"perplexity per variable {math.exp(H / T_TOY):.3f} vs pseudo-perplexity {math.exp(pseudo_nll / T_TOY):.3f}")
assert pseudo_nll < H, "conditioning on both sides: expected pseudo-NLL below the entropy"

fig, ax = plt.subplots(figsize=(4, 3.5))
ax.scatter(ll, pll, s=18, label="sticky joint (dependent)")
ax.scatter(ll_indep, pll_indep, s=18, marker="x", label="independent joint")
lims = [min(ll.min(), pll.min(), ll_indep.min()) - 0.2, 0]
ax.plot(lims, lims, "k--", lw=0.8)
ax.set(xlabel=r"$\log p(x)$", ylabel=r"$\sum_t \log p(x_t \mid x_{\setminus t})$", title="27 sequences")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% nbgrader={"grade_id": "test_log_likelihood", "grade": true, "points": 1}
"""log_likelihood: log p(x) in nats, a Python float, on a small table and random tables."""
_j = np.array([[0.1, 0.2], [0.3, 0.4]])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = log_likelihood(_j, (1, 0))
assert isinstance(_got, float), (f"expected a Python float, got {type(_got).__name__} of shape {np.shape(_got)}. "
                                 f"Hint: float(...) converts a numpy or torch scalar.")
check_close("2x2 table, x=(1,0)", _got, math.log(0.3), atol=1e-6, rtol=1e-5, hint="Hint: x indexes the table.")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(111)
for _shape in [(3, 3, 3), (2, 5, 2, 2)]:
    _joint = _rng.dirichlet(np.ones(int(np.prod(_shape)))).reshape(_shape)
    for _x in list(itertools.product(*[range(v) for v in _shape]))[::4]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _got = log_likelihood(_joint, _x)
        assert isinstance(_got, float), f"table {_shape}, x={_x}: expected a Python float, got {type(_got).__name__}"
        if not np.isclose(float(_got), math.log(_joint[_x]), atol=1e-6, rtol=1e-5):
            check_close(f"table {_shape}, x={_x}", _got, math.log(_joint[_x]), atol=1e-6, rtol=1e-5,
                        hint="Hint: the natural log of the table entry at x.")
print(f"{'random tables':40s} all log-likelihoods match")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_pseudo_log_likelihood", "grade": true, "points": 3}
"""pseudo_log_likelihood: a Python float; a 2x2 example; equals log p(x) for independent variables; random tables."""
_j = np.array([[0.1, 0.2], [0.3, 0.4]])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = pseudo_log_likelihood(_j, (1, 0))
assert isinstance(_got, float), (f"expected a Python float, got {type(_got).__name__} of shape {np.shape(_got)}. "
                                 f"Hint: float(...) converts a numpy or torch scalar.")
check_close("2x2 table, x=(1,0)", _got, math.log(0.75) + math.log(0.3 / 0.7), atol=1e-6, rtol=1e-5,
            hint="Hint: each factor normalises over the values of one variable, the others held fixed.")
_ind = np.einsum("a,b->ab", [0.2, 0.8], [0.6, 0.4])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = pseudo_log_likelihood(_ind, (0, 1))
check_close("independent 2x2, x=(0,1)", _got, math.log(0.2 * 0.4), atol=1e-6, rtol=1e-5)
### BEGIN HIDDEN TESTS
def _ref_pll(joint, x):
    joint = np.asarray(joint, np.float64)
    total = 0.0
    for t in range(joint.ndim):
        idx = list(x)
        idx[t] = slice(None)
        col = joint[tuple(idx)]
        total += math.log(col[x[t]] / col.sum())
    return total


_rng = np.random.default_rng(222)
for _shape in [(3, 3, 3), (2, 4, 3), (2, 2, 2, 2)]:
    _joint = _rng.dirichlet(np.full(int(np.prod(_shape)), 0.5)).reshape(_shape)
    for _x in list(itertools.product(*[range(v) for v in _shape]))[::2]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _got = pseudo_log_likelihood(_joint, _x)
        assert isinstance(_got, float), (f"table {_shape}, x={_x}: expected a Python float, got "
                                         f"{type(_got).__name__} of shape {np.shape(_got)}")
        if not np.isclose(float(_got), _ref_pll(_joint, _x), atol=1e-6, rtol=1e-5):
            check_close(f"table {_shape}, x={_x}", _got, _ref_pll(_joint, _x), atol=1e-6, rtol=1e-5,
                        hint="Hint: condition x_t on all the other variables, before and after it.")
print(f"{'random dependent tables':40s} all pseudo-log-likelihoods match")
_joint = np.einsum("a,b,c->abc", *[_rng.dirichlet(np.ones(3)) for _ in range(3)])
for _x in [(0, 1, 2), (2, 2, 0)]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got = pseudo_log_likelihood(_joint, _x)
    check_close(f"independent 3x3x3, x={_x}", _got, math.log(_joint[_x]), atol=1e-6, rtol=1e-5)
_j32 = _rng.dirichlet(np.ones(8)).reshape(2, 2, 2).astype(np.float32)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = pseudo_log_likelihood(_j32, (1, 0, 1))
check_close("float32 table", _got, _ref_pll(_j32, (1, 0, 1)), atol=1e-5, rtol=1e-4)
### END HIDDEN TESTS

# %% [markdown]
# **Question (written, 2 points).** A masked language model reports a pseudo-perplexity of 3.1 on a text, an AR
# model a perplexity of 12 on the same text with the same tokenizer. Is the masked model the better language
# model? Why is a pseudo-perplexity not comparable with an AR perplexity? Use what the experiment above shows.

# %% [markdown] nbgrader={"grade_id": "pseudo_perplexity_answer", "solution": true, "grade": true, "points": 2}
# ### BEGIN SOLUTION
# **Model answer.** No conclusion can be drawn. (1) The pseudo-likelihood is **not a probability distribution
# over sequences**: $\sum_x \prod_t p(x_t \mid x_{\setminus t}) \ne 1$ (about 1.6 for the sticky table above), so
# $\exp(-\frac1T \text{PLL})$ is not the perplexity of any model's likelihood and has none of its guarantees (it is
# not a cross-entropy with the data, not bounded below by the entropy, not a code length). (2) Each factor
# conditions on **both sides**, including the future tokens that an AR model must predict without: a much easier
# task. Even for the *true* distribution, the expected pseudo-NLL $\sum_t H(X_t \mid X_{\setminus t})$ is at most
# the entropy $H(X) = \sum_t H(X_t \mid X_{<t})$ (conditioning never increases entropy); above, 2.67 vs 2.96 nats.
# So pseudo-perplexities are systematically lower and live on a different scale; 3.1 vs 12 says nothing about
# which model is better. They coincide only when the tokens are independent. Compare masked models with each
# other via pseudo-perplexity, AR models via perplexity, or both on a downstream task.
#
# **Rubric (2 points).**
# - 1 point: the pseudo-likelihood does not normalise / is not a likelihood of the sequence (so its
#   "perplexity" is not a perplexity).
# - 1 point: each term conditions on the future as well as the past (more context, easier prediction), so
#   pseudo-perplexity is systematically lower, e.g. expected pseudo-NLL <= entropy. Answering "yes, the masked
#   model is better" caps the question at 0.5.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - The chain rule makes an AR model's likelihood exact; its loss is the per-token cross-entropy, its perplexity
#   the exponential of that loss (natural log with $e$, bits with 2, the same number).
# - $H(p, q) = H(p) + D_{\text{KL}}(p \| q) \ge H(p)$: the entropy of the data is the floor of any model's loss,
#   and a single zero probability on something that happens makes it infinite.
# - "Perplexity of a corpus" needs the averaging spelled out; papers pool tokens.
# - On tiny Shakespeare: uniform 65, unigram about 28, bigram about 12, and a 35k-parameter causal transformer
#   trained for a few seconds clearly below the bigram.
# - Pseudo-likelihood does not normalise and conditions on the future: pseudo-perplexity is not a perplexity.
