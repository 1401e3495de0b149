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
# After this notebook you can compute a model's perplexity correctly (log base, averaging, zeros, units), explain
# it through entropy and cross-entropy, climb a ladder of real language models on real text (from counting to a
# network you write and train yourself) and say honestly where each rung wins and loses, and show on a trained
# masked model why its pseudo-perplexity cannot be compared with an AR perplexity.
#
# | part | topic | points |
# | --- | --- | --- |
# | A | chain rule and the AR loss: `chain_rule_log_probs` | 3 |
# | B | perplexity and its units: `perplexity`, `loss_in_units`, written answer on tokenizers | 7 |
# | C | entropy, cross-entropy, KL: `entropy`, `cross_entropy`, `kl_divergence` | 6 |
# | D | averaging over a corpus: `corpus_perplexity`, `disagreeing_corpus`, written answer | 6 |
# | E | the n-gram ladder on tiny Shakespeare: `bigram_counts`, `bigram_log_probs`, `sequence_log_probs`, `kgram_counts`, written answer | 12 |
# | F | a causal transformer you build and train: `causal_attention`, `token_nll`, `lm_train_step` | 10 |
# | G | pseudo-likelihood, exact and on a trained masked model: `log_likelihood`, `pseudo_log_likelihood`, `masked_model_log_probs`, written answer | 9 |
#
# **Seeds.** Every experiment draws its randomness from `SEED` (set in the next cell). The claims in the text hold for
# `SEED` = 0, 1, 2, 3 and 4 (the course's tests run all five); change it and rerun to see how much a number moves.
#
# **Conventions.** Log-probabilities are **natural** logs (nats) unless a function takes a `base`. Inputs are
# numpy arrays (or lists) unless a spec says tensor; a function that "returns a float" returns a Python `float`
# (`float(...)`). Written answers are graded by hand; everything else is autograded.
#
# **Data** (in `data/`, found by `find_data_dir()`; nothing is downloaded): `tinyshakespeare/input.txt`, about
# 1.1 million characters of Shakespeare (Karpathy's char-rnn corpus), and `reference_values.json` with reference
# numbers and their sources, and `char_models/`, three small networks the course trained on that text for Parts F
# and G (weights and model cards; how they were trained is in `char_models/README.md`). See `data/README.md`.

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

# The experiments' seed (see "Seeds" above); the graders' own tests use fixed seeds of their own.
SEED = int(os.environ.get("COURSE_SEED", "0"))
torch.manual_seed(SEED)

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


def frozen(value):
    """What a graded function returned, as plain data (the grader freezes every answer before any
    reference exists): numbers and strings as Python's own types, arrays and tensors copied (dtype and
    shape kept), tuples, lists, dicts and sets rebuilt; anything else is an error the student can read."""
    import sys
    torch_module = sys.modules.get("torch")
    if value is None or type(value) in (bool, int, float, complex, str, bytes):
        return value
    if torch_module is not None and isinstance(value, torch_module.Tensor):
        tensor = value.detach().cpu()
        if tensor.dtype == torch_module.bfloat16:
            tensor = tensor.float()
        return torch_module.from_numpy(np.array(tensor.numpy(), copy=True, subok=False))
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("returned an array of Python objects: return numbers (a float array)")
        return np.array(value, copy=True, subok=False)
    if isinstance(value, np.generic):
        return np.array(value, copy=True)[()]
    for kind in (bool, int, float, complex, str, bytes):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, dict):
        return {frozen(key): frozen(item) for key, item in value.items()}
    for kind in (tuple, list, set, frozenset):
        if isinstance(value, kind):
            return kind(frozen(item) for item in value)
    raise TypeError(f"returned a {type(value).__name__}, which the tests cannot read: return numbers, arrays, "
                    "tensors, or tuples, lists and dicts of them")


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

# %% grading="skip"
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
_seed = 11  # per-submission seed
_rng = np.random.default_rng(_seed)
_cases = []
for _shape in [(3, 3, 3), (2, 4, 3, 2), (5,), (4, 2)]:
    _joint = _rng.dirichlet(np.full(int(np.prod(_shape)), 0.7)).reshape(_shape)
    for _x in list(itertools.product(*[range(v) for v in _shape]))[::3]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _cases.append((_shape, _joint, _x, frozen(chain_rule_log_probs(_joint, _x))))
# float32 table: a legitimate input, compared with a float32-sized tolerance
_joint32 = _rng.dirichlet(np.ones(27)).reshape(3, 3, 3).astype(np.float32)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got32 = frozen(chain_rule_log_probs(_joint32, (1, 2, 0)))
### HIDDEN CHECKS
def _ref_chain_rule(joint, x):
    joint = np.asarray(joint, np.float64)
    T = joint.ndim
    logs = [0.0] + [float(np.log(joint.sum(axis=tuple(range(t, T)))[tuple(x[:t])])) for t in range(1, T + 1)]
    return np.diff(logs)


for _shape, _joint, _x, _got in _cases:
    _want = _ref_chain_rule(_joint, _x)
    _got_a = _as_float_array(_got)
    assert _got_a.shape == (len(_shape),), (f"table of shape {_shape}: expected {len(_shape)} conditionals, got "
                                            f"shape {_got_a.shape}. Hint: one entry per variable, starting with x_1.")
    if not np.allclose(_got_a, _want, atol=1e-6, rtol=1e-5):
        check_close(f"table {_shape}, x={_x}: conditionals", _got_a, _want, atol=1e-6, rtol=1e-5,
                    hint="Hint: condition on the prefix (earlier variables) only, in natural log.")
print(f"{'random tables, every 3rd sequence':40s} all conditionals match")
check_close("float32 table", _got32, _ref_chain_rule(_joint32, (1, 2, 0)), atol=1e-5, rtol=1e-4)
### END HIDDEN TESTS

# %% [markdown]
# ## Part B: Perplexity and its units (7 points)
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

# %% grading="skip"
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
_seed = 22  # per-submission seed
_rng = np.random.default_rng(_seed)
_random_cases = []
for _trial in range(3):
    _lp = np.log(_rng.dirichlet(np.ones(30), size=13)[np.arange(13), _rng.integers(0, 30, 13)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _random_cases.append((_lp, frozen(perplexity(_lp))))
# a list, and a float32 tensor
_lp = [-0.1, -2.3, -0.7, -4.0]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_list = frozen(perplexity(_lp))
    _got_t32 = frozen(perplexity(torch.tensor(_lp, dtype=torch.float32)))
# long sequence: the product of probabilities underflows to 0 in float64
_lp_long = _rng.uniform(-6.0, -0.5, 50_000)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_long = frozen(perplexity(_lp_long))
### HIDDEN CHECKS
def _ref_perplexity(lp):
    return math.exp(-float(np.mean(_as_float_array(lp))))


for _trial, (_lp_trial, _got) in enumerate(_random_cases):
    check_close(f"random log-probs {_trial} (T=13)", _got, _ref_perplexity(_lp_trial), atol=1e-6, rtol=1e-5,
                hint="Hint: average over tokens, natural exponent.")
check_close("python list input", _got_list, _ref_perplexity(_lp), atol=1e-6, rtol=1e-5)
check_close("float32 tensor input", _got_t32, _ref_perplexity(_lp), atol=1e-6, rtol=1e-5)
assert isinstance(_got_t32, float), f"tensor input: expected a Python float, got {type(_got_t32).__name__}"
assert np.isfinite(_got_long), (f"50,000 tokens: expected a finite perplexity, got {_got_long}. "
                                f"Hint: p(x_1..x_T) underflows; stay in log space.")
check_close("50,000 tokens", _got_long, _ref_perplexity(_lp_long), atol=1e-6, rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ### Units: nats, bits, perplexity, and bits per byte
#
# A model's loss on a text is one number, its **total** negative log-likelihood
# $\mathcal{N} = -\sum_t \ln p(x_t \mid x_{<t})$ (nats). Everything reported is that number divided by a count and
# maybe converted:
#
# $$\text{nats/token} = \frac{\mathcal{N}}{n_{\text{tokens}}}, \qquad
# \text{bits/token} = \frac{\mathcal{N}}{n_{\text{tokens}} \ln 2}, \qquad
# \text{PPL} = e^{\mathcal{N} / n_{\text{tokens}}}, \qquad
# \text{bits/byte} = \frac{\mathcal{N}}{n_{\text{bytes}} \ln 2}.$$
#
# The first three divide by the number of **tokens**, which depends on the tokenizer: the same model scored on the
# same text gives a different per-token number if the text is cut into characters, words or BPE pieces. **Bits per
# byte** divides by the length of the text itself (its UTF-8 bytes), which no tokenizer changes: it is the code length
# an arithmetic coder driven by the model would need, per byte of input (the measure of the enwik8 / Hutter-prize
# benchmarks, and of The Pile's evaluations, Gao et al. 2020). Tiny Shakespeare is pure ASCII, so here one
# character is one byte and bits per character *is* bits per byte.
#
# **Spec.** `loss_in_units(total_nll, n_tokens, n_bytes)`: `total_nll` the total natural-log NLL of a text (a float
# $\ge 0$), `n_tokens` the number of tokens scored, `n_bytes` the number of UTF-8 bytes they cover (positive
# integers). Return a `dict` with the four Python floats `"nats_per_token"`, `"bits_per_token"`, `"perplexity"`,
# `"bits_per_byte"` as defined above, each within a relative $10^{-9}$ of the formula: compute in float64 (Python's
# `float`); float32 arithmetic (about 7 significant digits) is not precise enough.

# %% nbgrader={"grade_id": "loss_in_units", "solution": true}
def loss_in_units(total_nll, n_tokens, n_bytes) -> dict:
    """The total NLL (nats) of a text as nats/token, bits/token, per-token perplexity and bits/byte."""
    ### BEGIN SOLUTION
    total_nll = float(total_nll)
    nats_per_token = total_nll / n_tokens
    return {"nats_per_token": nats_per_token,
            "bits_per_token": nats_per_token / math.log(2),  # log2 x = ln x / ln 2
            "perplexity": math.exp(nats_per_token),
            "bits_per_byte": total_nll / math.log(2) / n_bytes}  # the count is the text's, not the tokenizer's
    ### END SOLUTION


# %% [markdown]
# **Worked example.** One model, one text of 1,000 ASCII characters with a total NLL of 1,200 nats, scored by
# three tokenizers that cut it into 1,000 characters, 250 BPE pieces or 180 words: three perplexities, one
# bits-per-byte.

# %% grading="skip"
finish_first({"loss_in_units": "Part B"})
for tokenizer, n_tokens in [("characters", 1000), ("BPE pieces", 250), ("words", 180)]:
    units = loss_in_units(1200.0, n_tokens, 1000)
    print(f"{tokenizer:11s}: {units['nats_per_token']:6.3f} nats/token, {units['bits_per_token']:6.3f} bits/token, "
          f"PPL {units['perplexity']:9.2f}, {units['bits_per_byte']:.4f} bits/byte")
assert abs(loss_in_units(1200.0, 250, 1000)["bits_per_byte"] - loss_in_units(1200.0, 1000, 1000)["bits_per_byte"]) < 1e-12, \
    "bits per byte must not depend on the tokenizer"

# %% nbgrader={"grade_id": "test_loss_in_units_per_token", "grade": true, "points": 1}
"""loss_in_units, per token: nats/token, bits/token (divide by ln 2) and perplexity (e^nats) as Python floats."""
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _units = loss_in_units(30 * math.log(2), 10, 40)
assert isinstance(_units, dict), f"expected a dict, got {type(_units).__name__}"
_missing = {"nats_per_token", "bits_per_token", "perplexity", "bits_per_byte"} - set(_units)
assert not _missing, f"missing keys: {sorted(_missing)}"
assert all(isinstance(_units[_k], float) for _k in _units), \
    f"expected Python floats, got {({_k: type(_v).__name__ for _k, _v in _units.items()})}"
check_close("total 30 ln 2 nats over 10 tokens: nats/token", _units["nats_per_token"], 3 * math.log(2), atol=1e-9,
            rtol=1e-9)
check_close("bits/token", _units["bits_per_token"], 3.0, atol=1e-9, rtol=1e-9, hint="Hint: 1 bit = ln 2 nats.")
check_close("perplexity", _units["perplexity"], 8.0, atol=1e-9, rtol=1e-9,
            hint="Hint: the perplexity is e^(nats/token) = 2^(bits/token).")
### BEGIN HIDDEN TESTS
_fixtures = [(123.4, 57, 200), (0.0, 3, 3), (1e6, 250_000, 1_000_000)]
_answers = []
for _total, _n_tok, _n_bytes in _fixtures:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _answers.append(frozen(loss_in_units(_total, _n_tok, _n_bytes)))
### HIDDEN CHECKS
for (_total, _n_tok, _n_bytes), _units in zip(_fixtures, _answers):
    assert isinstance(_units, dict) and all(isinstance(_units.get(_k), float) for _k in
                                            ("nats_per_token", "bits_per_token", "perplexity", "bits_per_byte")), \
        (f"total {_total}, {_n_tok} tokens: expected a dict of four Python floats, got "
         f"{({_k: type(_v).__name__ for _k, _v in _units.items()} if isinstance(_units, dict) else type(_units))}"
         f". Hint: float(...) converts a numpy or torch scalar.")
    check_close(f"total {_total}, {_n_tok} tokens: nats/token", _units["nats_per_token"], _total / _n_tok, atol=1e-9,
                rtol=1e-9)
    check_close(f"total {_total}, {_n_tok} tokens: bits/token", _units["bits_per_token"],
                _total / _n_tok / math.log(2), atol=1e-9, rtol=1e-9)
    check_close(f"total {_total}, {_n_tok} tokens: perplexity", _units["perplexity"], math.exp(_total / _n_tok),
                atol=1e-9, rtol=1e-9)
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_loss_in_units_per_byte", "grade": true, "points": 1}
"""loss_in_units, bits per byte: total NLL in bits over the bytes of the text, whatever the number of tokens."""
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _units = loss_in_units(30 * math.log(2), 10, 40)
check_close("total 30 bits over 40 bytes: bits/byte", _units["bits_per_byte"], 0.75, atol=1e-9, rtol=1e-9,
            hint="Hint: the whole text's NLL, in bits, divided by its bytes (not by its tokens).")
### BEGIN HIDDEN TESTS
_fixtures = [(123.4, 57, 200), (1e6, 250_000, 1_000_000), (50.0, 50, 50)]
_answers = []
for _total, _n_tok, _n_bytes in _fixtures:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _answers.append(frozen(loss_in_units(_total, _n_tok, _n_bytes)))
### HIDDEN CHECKS
for (_total, _n_tok, _n_bytes), _units in zip(_fixtures, _answers):
    check_close(f"total {_total}, {_n_tok} tokens, {_n_bytes} bytes: bits/byte", _units["bits_per_byte"],
                _total / math.log(2) / _n_bytes, atol=1e-9, rtol=1e-9,
                hint="Hint: bits per byte does not depend on how many tokens the text was cut into.")
### END HIDDEN TESTS

# %% [markdown]
# **Question (written, 2 points).** On the same English test text, model A (a BPE tokenizer; on this text 4.0
# characters per token on average) reports a perplexity of 20, and model B (characters) a perplexity of 3.5. Which
# model assigns the text the higher probability? Why can per-token perplexities of models with different tokenizers
# not be compared, what does bits per byte fix, and what must still be the same for the comparison to be fair?

# %% [markdown] nbgrader={"grade_id": "tokenizer_answer", "solution": true, "grade": true, "points": 2}
# ### BEGIN SOLUTION
# **Model answer.** **Model A.** Per-token perplexity is $e^{\mathcal{N}/n_{\text{tokens}}}$: the comparable
# quantity is the total NLL $\mathcal{N}$ of the text, and the two models divide it by different token counts. Per
# character (= per byte for ASCII), A spends $\ln 20 / 4.0 = 0.749$ nats, i.e. $0.749 / \ln 2 = 1.08$ bits per byte
# (a per-character perplexity of $20^{1/4} = 2.11$), while B spends $\ln 3.5 = 1.25$ nats = 1.81 bits per byte. A
# gives the whole text probability $e^{-0.749\,n}$ against B's $e^{-1.25\,n}$ for $n$ characters. A coarser
# tokenizer makes each token carry more of the text, so its per-token perplexity is larger for the same model
# quality. Bits per byte divides the same total by a count every tokenizer shares, the text's bytes, so it measures
# what the model assigns to the text itself. Still needed for a fair comparison: the **same text** (same split,
# same preprocessing: no lower-casing or stripped characters that one model does not have to predict), a
# tokenizer that is **lossless** (every byte recoverable, no unknown-token shortcut that hides characters), every
# byte scored once (no skipped first tokens or overlapping windows that give one model more context), and the same
# averaging (Part D).
#
# **Rubric (2 points).**
# - 1 point: model A, with the arithmetic (per character $\ln 20 / 4$ against $\ln 3.5$, or bits per byte, or
#   $20^{1/4}$ vs 3.5). 0.5 if the answer is A without numbers.
# - 1 point: per-token perplexity depends on the number of tokens the text is cut into (0.5); bits per byte uses
#   the text's own length, plus one condition that must still hold (same text and preprocessing, lossless
#   tokenization, every byte scored) (0.5).
# ### END SOLUTION

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
# of distributions). Return a float64 array of the leading shape (a scalar for 1-D input; float64 also for float32
# input), in units of `base` (`base=2`: bits). Follow the zero conventions above: never return `nan` for valid
# input, return `inf` where the quantity is infinite.

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

# %% grading="skip"
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
"""entropy: uniform distributions, bits, 0 log 0 = 0, batches over the last axis, float32 input, a float64 result."""
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
_seed = 33  # per-submission seed
_rng = np.random.default_rng(_seed)
_p = _rng.dirichlet(np.full(7, 0.5), size=(3, 5))
_p[0, 0, :3] = 0.0  # a few exact zeros
_p[0, 0] /= _p[0, 0].sum()
_bases = [math.e, 2, 10]
_got_bases = []
for _base in _bases:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got_bases.append(frozen(entropy(_p, base=_base)))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got32 = frozen(entropy(_p.astype(np.float32)))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_det = frozen(entropy([[1.0, 0.0], [0.0, 1.0]]))
### HIDDEN CHECKS
def _ref_entropy(p, base=math.e):
    p = np.asarray(p, np.float64)
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1) / math.log(base)


for _what, _got in [*((f"base {_b:.3g}", _g) for _b, _g in zip(_bases, _got_bases)), ("float32 input", _got32)]:
    _dtype = getattr(_got, "dtype", type(_got).__name__)
    assert isinstance(_got, float) or str(_dtype) in ("float64", "torch.float64"), (
        f"entropy, {_what}: expected a float64 result, got {_dtype}. "
        f"Hint: the spec asks for float64 whatever the input's dtype (float32 keeps about 7 digits).")
for _base, _got in zip(_bases, _got_bases):
    check_close(f"batch (3,5,7), base {_base:.3g}", _got, _ref_entropy(_p, _base), atol=1e-6, rtol=1e-5,
                hint="Hint: sum over the last axis only, divide by log(base); zeros contribute 0.")
check_close("float32 batch", _got32, _ref_entropy(_p.astype(np.float32)), atol=1e-6, rtol=1e-5)
check_close("deterministic distributions (list input)", _got_det, [0.0, 0.0], atol=1e-6, rtol=1e-5,
            hint="Hint: a certain outcome has zero entropy, not nan.")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_cross_entropy", "grade": true, "points": 2}
"""cross_entropy: H(p, p) = H(p); order of arguments; 0 where p = 0 even if q = 0; inf where q = 0 < p; batches;
a float64 result, also for float32 input."""
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_same = cross_entropy([0.5, 0.5], [0.5, 0.5], base=2)
    _got_order = cross_entropy([1.0, 0.0], [0.25, 0.75])
check_close("H(p, p) for a fair coin (bits)", _got_same, 1.0, atol=1e-6, rtol=1e-5)
check_close("H([1, 0], [1/4, 3/4])", _got_order, math.log(4), atol=1e-6, rtol=1e-5,
            hint="Hint: the expectation is under p (the data), the log under q (the model).")
### BEGIN HIDDEN TESTS
_seed = 44  # per-submission seed
_rng = np.random.default_rng(_seed)
_p, _q = _rng.dirichlet(np.ones(9), size=(2, 3)), _rng.dirichlet(np.ones(9), size=(2, 3))
_bases = [math.e, 2]
_got_bases = []
for _base in _bases:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got_bases.append(frozen(cross_entropy(_p, _q, base=_base)))
# zeros: p = 0 and q = 0 together contribute 0; q = 0 < p gives +inf, never nan
_pz = np.array([[0.5, 0.5, 0.0], [0.5, 0.0, 0.5]])
_qz = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_zeros = frozen(cross_entropy(_pz, _qz))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got32 = frozen(cross_entropy(_p.astype(np.float32), _q.astype(np.float32)))
### HIDDEN CHECKS
def _ref_cross_entropy(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    with np.errstate(divide="ignore"):
        lq = np.log(q)
    return np.sum(np.where(p > 0, -p * lq, 0.0), axis=-1) / math.log(base)


for _what, _got in [*((f"base {_b:.3g}", _g) for _b, _g in zip(_bases, _got_bases)), ("float32 input", _got32)]:
    _dtype = getattr(_got, "dtype", type(_got).__name__)
    assert isinstance(_got, float) or str(_dtype) in ("float64", "torch.float64"), (
        f"cross_entropy, {_what}: expected a float64 result, got {_dtype}. "
        f"Hint: the spec asks for float64 whatever the input's dtype (float32 keeps about 7 digits).")
for _base, _got in zip(_bases, _got_bases):
    check_close(f"batch (2,3,9), base {_base:.3g}", _got, _ref_cross_entropy(_p, _q, _base), atol=1e-6,
                rtol=1e-5, hint="Hint: sum over the last axis; p weights, log q.")
_got = _as_float_array(_got_zeros)
assert _got.shape == (2,) and not np.any(np.isnan(_got)), f"zeros: expected no nan, got {_got}"
assert abs(_got[0] - math.log(2)) < 1e-6, (f"p = q = [1/2, 1/2, 0]: expected log 2 = {math.log(2):.6f}, got "
                                            f"{_got[0]}. Hint: where p = 0 the term is 0, whatever q is.")
assert np.isposinf(_got[1]), f"q = 0 where p > 0: expected +inf, got {_got[1]}"
check_close("float32 batch", _got32, _ref_cross_entropy(_p.astype(np.float32), _q.astype(np.float32)), atol=1e-6,
            rtol=1e-5)
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_kl_divergence", "grade": true, "points": 2}
"""kl_divergence: KL(p||p) = 0, a known value, the direction p||q, zeros and inf, batches, bits, a float64 result."""
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_self = kl_divergence([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])
    _got_known = kl_divergence([0.5, 0.5], [0.25, 0.75], base=2)
check_close("KL(p || p)", _got_self, 0.0, atol=1e-6, rtol=1e-5)
check_close("KL([1/2,1/2] || [1/4,3/4]) in bits", _got_known, 0.5 * math.log2(2) + 0.5 * math.log2(2 / 3),
            atol=1e-6, rtol=1e-5)
### BEGIN HIDDEN TESTS
_seed = 55  # per-submission seed
_rng = np.random.default_rng(_seed)
_p, _q = _rng.dirichlet(np.full(8, 0.5), size=(4, 2)), _rng.dirichlet(np.ones(8), size=(4, 2))
_bases = [math.e, 2]
_got_bases = []
for _base in _bases:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got_bases.append(frozen(kl_divergence(_p, _q, base=_base)))
_pz = np.array([[0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 1.0, 0.0]])
_qz = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.3, 0.7, 0.0]])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_zeros = frozen(kl_divergence(_pz, _qz))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got32 = frozen(kl_divergence(_p.astype(np.float32), _q.astype(np.float32)))
### HIDDEN CHECKS
def _ref_kl(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    with np.errstate(divide="ignore"):
        lr = np.log(np.where(p > 0, p, 1.0)) - np.log(q)
    return np.sum(np.where(p > 0, p * lr, 0.0), axis=-1) / math.log(base)


for _what, _got in [*((f"base {_b:.3g}", _g) for _b, _g in zip(_bases, _got_bases)), ("float32 input", _got32)]:
    _dtype = getattr(_got, "dtype", type(_got).__name__)
    assert isinstance(_got, float) or str(_dtype) in ("float64", "torch.float64"), (
        f"kl_divergence, {_what}: expected a float64 result, got {_dtype}. "
        f"Hint: the spec asks for float64 whatever the input's dtype (float32 keeps about 7 digits).")
for _base, _got in zip(_bases, _got_bases):
    check_close(f"batch (4,2,8), base {_base:.3g}", _got, _ref_kl(_p, _q, _base), atol=1e-6, rtol=1e-5,
                hint="Hint: p log(p / q), summed over the last axis; the expectation is under p.")
_got = _as_float_array(_got_zeros)
assert _got.shape == (3,) and not np.any(np.isnan(_got)), f"zeros: expected no nan, got {_got}"
assert abs(_got[0]) < 1e-6 and abs(_got[2] - math.log(1 / 0.7)) < 1e-6, (
    f"rows where p = 0 (and maybe q = 0): expected [0, inf, {math.log(1 / 0.7):.6f}], got {_got}. "
    f"Hint: 0 log(0/q) = 0.")
assert np.isposinf(_got[1]), f"q = 0 where p > 0: expected +inf, got {_got[1]}"
check_close("float32 batch", _got32, _ref_kl(_p.astype(np.float32), _q.astype(np.float32)), atol=1e-6, rtol=1e-4)
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

# %% grading="skip"
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
_seed = 66  # per-submission seed
_rng = np.random.default_rng(_seed)
_corpora = [
    [np.log([0.01]), np.log(np.full(9, 0.9))],  # short hard + long easy
    [np.log(_rng.uniform(0.05, 1.0, n)) for n in (3, 17, 1, 40, 8)],
    [np.log(_rng.uniform(0.5, 1.0, 30)), np.log(_rng.uniform(0.01, 0.2, 2))],
]
_answers = []
for _i, _c in enumerate(_corpora):
    for _avg in ["token", "sequence"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _answers.append((_i, _c, _avg, frozen(corpus_perplexity(_c, _avg))))
# float32 arrays are fine too
_c32 = [s.astype(np.float32) for s in _corpora[1]]
_answers32 = []
for _avg in ["token", "sequence"]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _answers32.append((_avg, frozen(corpus_perplexity(_c32, _avg))))
### HIDDEN CHECKS
def _ref_corpus(seqs, average):
    seqs = [np.asarray(s, np.float64) for s in seqs]
    if average == "token":
        return math.exp(-np.concatenate(seqs).mean())
    return math.exp(-np.mean([s.mean() for s in seqs]))


for _i, _c, _avg, _got in _answers:
    check_close(f"corpus {_i}, average={_avg}", _got, _ref_corpus(_c, _avg), atol=1e-6, rtol=1e-5,
                hint="Hint: 'token' weights every token equally, 'sequence' every sequence; one exp at the end.")
for _avg, _got in _answers32:
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
# no student code runs in this block: the corpus was read (and converted to float arrays) above
### HIDDEN CHECKS
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
# ## Part E: The n-gram ladder on real text (12 points)
#
# **Goal.** Train the simplest AR models, count-based n-grams, on tiny Shakespeare at the character level, from
# the bigram up to k-grams with longer contexts, and measure their validation perplexity. The best of them, not the
# bigram, is the baseline a neural model has to beat (Part F measures whether it does).
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
#   float64 array (also for float32 counts) of natural-log conditionals $\log p(b \mid a)$ (row `a`, column `b`)
#   with add-$\alpha$ smoothing; each row of `exp(...)` sums to 1. With `alpha = 0`, unseen pairs get `-inf`
#   (rows with no counts at all are not tested with `alpha = 0`).
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

# %% grading="skip"
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

# %% grading="skip"
# Uniform baseline: every character has probability 1/V.
finish_first({"perplexity": "Part B", "bigram_counts": "Part E", "bigram_log_probs": "Part E",
              "sequence_log_probs": "Part E"})
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
_seed = 77  # per-submission seed
_rng = np.random.default_rng(_seed)
_cases = []
for _V, _n in [(5, 200), (9, 31), (4, 2)]:
    _ids = _rng.integers(0, _V, _n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _cases.append((_V, _n, _ids, frozen(bigram_counts(_ids, _V))))
# a repeated pair, and a vocabulary larger than the ids present
_ids = np.array([3, 3, 3, 3, 1])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_repeat = frozen(bigram_counts(_ids, 6))
### HIDDEN CHECKS
def _ref_bigram_counts(ids, V):
    ids = np.asarray(ids, np.int64)
    return np.bincount(ids[:-1] * V + ids[1:], minlength=V * V).reshape(V, V)


for _V, _n, _ids_case, _got in _cases:
    check_close(f"random ids, V={_V}, n={_n}", _got, _ref_bigram_counts(_ids_case, _V), atol=0, rtol=0,
                hint="Hint: repeated pairs must all be counted; counts[a, b] means b follows a.")
    assert np.issubdtype(np.asarray(_got).dtype, np.integer), f"expected an integer dtype, got {np.asarray(_got).dtype}"
check_close("ids [3, 3, 3, 3, 1], V=6", _got_repeat, _ref_bigram_counts(_ids, 6), atol=0, rtol=0,
            hint="Hint: the pair (3, 3) occurs three times.")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_bigram_log_probs", "grade": true, "points": 3}
"""bigram_log_probs: add-alpha formula, rows normalise, natural log, alpha = 0 gives -inf for unseen pairs, a
float64 result (also for float32 counts)."""
_c_vis = np.array([[3, 1], [0, 0]])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = bigram_log_probs(_c_vis, 1.0)
check_close("counts [[3,1],[0,0]], alpha=1", _got, np.log([[4 / 6, 2 / 6], [1 / 2, 1 / 2]]), atol=1e-6, rtol=1e-5,
            hint="Hint: every row gets alpha added to each of its V entries.")
### BEGIN HIDDEN TESTS
_seed = 88  # per-submission seed
_rng = np.random.default_rng(_seed)
_c = _rng.integers(0, 6, (7, 7)) * (_rng.random((7, 7)) < 0.6)
_c[:, 0] += 1  # every row has counts (alpha = 0 is tested too)
_alphas = [0.5, 1.0, 2.0, 0.0]
_got_alphas = []
for _alpha in _alphas:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got_alphas.append(frozen(bigram_log_probs(_c, _alpha)))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_alpha0 = frozen(bigram_log_probs(_c, 0.0))
# float32 counts are valid input
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got32 = frozen(bigram_log_probs(_c.astype(np.float32), 0.1))
### HIDDEN CHECKS
def _ref_bigram_log_probs(c, alpha):
    c = np.asarray(c, np.float64)
    with np.errstate(divide="ignore"):
        return np.log(c + alpha) - np.log(c.sum(axis=1, keepdims=True) + alpha * c.shape[1])


for _what, _got in [*((f"alpha={_a}", _g) for _a, _g in zip(_alphas, _got_alphas)), ("float32 counts", _got32)]:
    _dtype = getattr(_got, "dtype", type(_got).__name__)
    assert isinstance(_got, float) or str(_dtype) in ("float64", "torch.float64"), (
        f"bigram_log_probs, {_what}: expected a float64 result, got {_dtype}. "
        f"Hint: the spec asks for a float64 array whatever the counts' dtype.")
for _alpha, _got in zip(_alphas, _got_alphas):
    _got_a = _as_float_array(_got)
    assert not np.any(np.isnan(_got_a)), f"alpha={_alpha}: got nan entries. Hint: log 0 is -inf, not nan."
    check_close(f"random counts (7x7), alpha={_alpha}", _got_a, _ref_bigram_log_probs(_c, _alpha), atol=1e-6,
                rtol=1e-5, hint="Hint: condition on the row (previous token); smoothing adds alpha * V below.")
    _row_sums = np.exp(_got_a).sum(axis=1)
    check_close(f"alpha={_alpha}: rows of exp(...) sum to 1", _row_sums, np.ones(7), atol=1e-6, rtol=1e-5)
_unseen_vals = _as_float_array(_got_alpha0)[_c == 0]
assert np.all(np.isneginf(_unseen_vals)), (f"alpha=0: expected -inf at the {_unseen_vals.size} unseen pairs, got "
                                           f"{np.array2string(_unseen_vals, precision=4, threshold=8)}. "
                                           f"Hint: without smoothing, an unseen pair has probability 0.")
check_close("float32 counts, alpha=0.1", _got32, _ref_bigram_log_probs(_c, 0.1), atol=1e-6, rtol=1e-5)
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
_seed = 99  # per-submission seed
_rng = np.random.default_rng(_seed)
_V = 6
_table = np.log(_rng.dirichlet(np.ones(_V), size=_V))  # rows: previous token (not symmetric)
_cases = []
for _n in [2, 15, 100]:
    _ids = _rng.integers(0, _V, _n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _cases.append((_n, _ids, frozen(sequence_log_probs(_table, _ids))))
### HIDDEN CHECKS
for _n, _ids, _got in _cases:
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
# ### The ladder: from the bigram to k-grams
#
# A **k-gram** model conditions on the previous $k - 1$ characters (its *context*): $k = 1$ is the unigram,
# $k = 2$ the bigram. With the counts $n(c, x)$ of the context $c$ followed by $x$ and $n(c) = \sum_{x'} n(c, x')$
# in the training text, add-$\alpha$ smoothing gives, exactly as for the bigram,
#
# $$p(x \mid c) = \frac{n(c, x) + \alpha}{n(c) + \alpha V},$$
#
# and a context never seen in training ($n(c) = 0$) gets the uniform $1/V$. A table with one row per context would
# have $V^{k-1}$ rows ($65^4 \approx 18$ million for $k = 5$), almost all empty, so we ask only for the counts that
# the text we score needs.
#
# **Spec.** `kgram_counts(train_ids, ids, k)`: `train_ids` and `ids` 1-D integer numpy arrays, `k >= 1`. For every
# position $t$ of `ids` with $t \ge k - 1$ (so that the context `ids[t-k+1:t]` exists; it is empty for $k = 1$),
# return two integer numpy arrays of length `len(ids) - k + 1`, entry $i$ for position $t = i + k - 1$:
# - `pair_counts[i]` = $n(c, x)$: the number of positions $s \ge k - 1$ of `train_ids` with
#   `train_ids[s-k+1:s+1]` equal to `ids[t-k+1:t+1]` (the context *and* the character);
# - `context_counts[i]` = $n(c)$: the number of positions $s \ge k - 1$ of `train_ids` whose context
#   `train_ids[s-k+1:s]` equals `ids[t-k+1:t]`. Every such context is followed by a character, so
#   $n(c) = \sum_x n(c, x)$; for $k = 1$ it is `len(train_ids)`.
#
# For $k = 2$ these are `bigram_counts(train_ids, V)[ids[t-1], ids[t]]` and that matrix's row sums. Hint: a
# context of length $k - 1$ can be turned into one integer ($\sum_j c_j V^j$, or a tuple as a dict key) and
# counted with `np.unique` or `collections.Counter`; $k$ goes up to 7 here, and 1 million training characters should
# take at most a second or two.

# %% nbgrader={"grade_id": "kgram_counts", "solution": true}
def kgram_counts(train_ids, ids, k):
    """For each position t >= k-1 of ids: (training count of the k-gram ending at t, training count of its context)."""
    ### BEGIN SOLUTION
    train_ids = np.asarray(train_ids, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)
    base = int(max(train_ids.max(), ids.max())) + 1

    def window_codes(seq, length):
        """One integer per window seq[s:s+length] (base-`base` digits); fits int64 while base**length < 2**63."""
        codes = np.zeros(len(seq) - length + 1, dtype=np.int64)
        for j in range(length):
            codes = codes * base + seq[j: len(seq) - length + 1 + j]
        return codes

    def occurrences(table_codes, query_codes):
        """How often each query code occurs in table_codes (0 if never)."""
        values, counts = np.unique(table_codes, return_counts=True)
        where = np.searchsorted(values, query_codes).clip(max=len(values) - 1)
        return np.where(values[where] == query_codes, counts[where], 0)

    pair_counts = occurrences(window_codes(train_ids, k), window_codes(ids, k))
    if k == 1:
        context_counts = np.full(len(ids), len(train_ids), dtype=np.int64)  # the empty context precedes every s
    else:  # contexts that are followed by a character: windows of seq[:-1]
        context_counts = occurrences(window_codes(train_ids[:-1], k - 1), window_codes(ids[:-1], k - 1))
    return pair_counts, context_counts
    ### END SOLUTION


# %% nbgrader={"grade_id": "kgram_helpers", "locked": true}
def add_alpha_log_probs(pair_counts, context_counts, alpha, vocab_size):
    """log p(x | c) = log(n(c, x) + alpha) - log(n(c) + alpha V): the bigram's smoothing, for any k."""
    pair_counts, context_counts = _as_float_array(pair_counts), _as_float_array(context_counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(pair_counts + alpha) - np.log(context_counts + alpha * vocab_size)


# Every model of the ladder is scored on the same validation characters: those with at least CONTEXT characters
# before them (the longest context any model below uses), t = 16, ..., len(val_ids) - 1.
CONTEXT = 16
N_SCORED = len(val_ids) - CONTEXT

# %% [markdown]
# **Worked example.** On a short string the counts can be checked by eye, and $k = 2$ must give back the bigram's
# numbers.

# %% grading="skip"
finish_first({"bigram_counts": "Part E", "kgram_counts": "Part E"})
abra_train = np.array([stoi[c] for c in "abracadabra"])
abra = np.array([stoi[c] for c in "abra"])
pairs3, contexts3 = kgram_counts(abra_train, abra, 3)
print("k = 3 on 'abra' against 'abracadabra': 'abr' occurs", pairs3[0], "times, context 'ab'", contexts3[0],
      "times; 'bra':", pairs3[1], "/ 'br':", contexts3[1])
assert (list(pairs3), list(contexts3)) == ([2, 2], [2, 2]), "'abr' and 'bra' each occur twice, as do 'ab' and 'br'"
pairs2, contexts2 = kgram_counts(train_ids, val_ids[:2000], 2)
bigram_train_counts = bigram_counts(train_ids, VOCAB)
assert np.array_equal(pairs2, bigram_train_counts[val_ids[:1999], val_ids[1:2000]]), "k = 2 is the bigram"
assert np.array_equal(contexts2, bigram_train_counts.sum(axis=1)[val_ids[:1999]]), "k = 2: contexts are row sums"
print("k = 2 reproduces bigram_counts on 2,000 validation characters")

# %% nbgrader={"grade_id": "test_kgram_counts_bigram", "grade": true, "points": 1}
"""kgram_counts for k = 1 and k = 2: the unigram counts (context count = training length) and the bigram counts,
as two integer numpy arrays (float counts with the right values are told apart by their dtype)."""
_tr = np.array([0, 1, 1, 2, 0, 1, 2, 2, 1, 0])
_q = np.array([1, 2, 0, 0, 1])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _pairs, _contexts = kgram_counts(_tr, _q, 2)
check_close("k=2: pair counts", _pairs, [2, 1, 0, 2], atol=0, rtol=0,
            hint="Hint: entry i is position t = i + 1: how often ids[t-1], ids[t] occurs in the training ids.")
check_close("k=2: context counts", _contexts, [4, 3, 2, 2], atol=0, rtol=0,
            hint="Hint: count a context only where a character follows it in training.")
for _name, _a in [("pair_counts", _pairs), ("context_counts", _contexts)]:
    assert isinstance(_a, np.ndarray) and np.issubdtype(_a.dtype, np.integer), (
        f"k=2: expected {_name} as an integer numpy array, got "
        f"{type(_a).__name__} of dtype {getattr(_a, 'dtype', None)}. Hint: counts are whole numbers; check the dtype "
        f"of the array you fill.")
### BEGIN HIDDEN TESTS
_seed = 1234  # per-submission seed
_rng = np.random.default_rng(_seed)
_tr = _rng.integers(0, 6, 300)
_q = _rng.integers(0, 6, 40)
_tr_before = _tr.copy()  # the training ids as the k=2 references count them (before any call)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_k2 = frozen(kgram_counts(_tr, _q, 2))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_k1 = frozen(kgram_counts(_tr, _q, 1))
### HIDDEN CHECKS
for _k, _got in [(2, _got_k2), (1, _got_k1)]:
    for _name, _a in zip(["pair_counts", "context_counts"], _got):
        assert isinstance(_a, np.ndarray) and np.issubdtype(_a.dtype, np.integer), (
            f"random ids, k={_k}: expected {_name} as an integer numpy array, got {type(_a).__name__} of dtype "
            f"{getattr(_a, 'dtype', None)}. Hint: counts are whole numbers; the spec asks for integer arrays.")
_bc = np.bincount(_tr_before[:-1] * 6 + _tr_before[1:], minlength=36).reshape(6, 6)
_pairs, _contexts = _got_k2
check_close("random ids, k=2: pair counts = bigram counts", _pairs, _bc[_q[:-1], _q[1:]], atol=0, rtol=0)
check_close("random ids, k=2: context counts = bigram row sums", _contexts, _bc.sum(axis=1)[_q[:-1]], atol=0, rtol=0)
_pairs, _contexts = _got_k1
check_close("random ids, k=1: pair counts = unigram counts", _pairs, np.bincount(_tr, minlength=6)[_q], atol=0, rtol=0,
            hint="Hint: for k = 1 the context is empty and every position t >= 0 is scored.")
check_close("random ids, k=1: context counts", _contexts, np.full(len(_q), len(_tr)), atol=0, rtol=0,
            hint="Hint: the empty context occurs before every training character.")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_kgram_counts_longer", "grade": true, "points": 2}
"""kgram_counts for k = 3..7 against a dictionary count: alignment, repeated k-grams, unseen contexts get 0,
integer numpy arrays."""
_tr = np.array([0, 1, 2, 0, 1, 2, 0, 1, 0])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _pairs, _contexts = kgram_counts(_tr, np.array([0, 1, 2, 2, 0, 1]), 3)
check_close("k=3: pair counts", _pairs, [2, 0, 0, 2], atol=0, rtol=0,
            hint="Hint: entry i scores position t = i + 2 with context ids[t-2:t].")
check_close("k=3: context counts", _contexts, [3, 2, 0, 2], atol=0, rtol=0,
            hint="Hint: a context seen in training but never before this character still has a count.")
### BEGIN HIDDEN TESTS
_seed = 4321  # per-submission seed
_rng = np.random.default_rng(_seed)
_cases = []
for _k, _V, _n in [(3, 4, 500), (4, 3, 800), (5, 3, 600), (7, 2, 400)]:
    _tr = _rng.integers(0, _V, _n)
    _q = np.concatenate([_tr[100:140], _rng.integers(0, _V, 30)])  # seen k-grams, then fresh ones
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _cases.append((_k, _V, _tr, _q, frozen(kgram_counts(_tr, _q, _k))))
# a query with a symbol the training ids never use: its k-grams and contexts were never seen
_tr = _rng.integers(0, 3, 200)
_q = np.array([0, 1, 2, 5, 1, 2, 0])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_unseen = frozen(kgram_counts(_tr, _q, 3))
### HIDDEN CHECKS
from collections import Counter as _Counter


def _ref_kgram(train, ids, k):
    train, ids = [int(i) for i in train], [int(i) for i in ids]
    grams = _Counter(tuple(train[s - k + 1: s + 1]) for s in range(k - 1, len(train)))
    ctxs = _Counter(tuple(train[s - k + 1: s]) for s in range(k - 1, len(train)))
    return (np.array([grams[tuple(ids[t - k + 1: t + 1])] for t in range(k - 1, len(ids))]),
            np.array([ctxs[tuple(ids[t - k + 1: t])] for t in range(k - 1, len(ids))]))


for _k, _V, _tr_case, _q_case, (_pairs, _contexts) in _cases:
    _want_pairs, _want_contexts = _ref_kgram(_tr_case, _q_case, _k)
    for _name, _a in [("pair_counts", _pairs), ("context_counts", _contexts)]:
        assert isinstance(_a, np.ndarray) and np.issubdtype(_a.dtype, np.integer), (
            f"random ids, k={_k}: expected {_name} as an integer numpy array, got {type(_a).__name__} of dtype "
            f"{getattr(_a, 'dtype', None)}. Hint: the spec asks for integer arrays.")
    check_close(f"random ids (V={_V}), k={_k}: pair counts", _pairs, _want_pairs, atol=0, rtol=0,
                hint="Hint: count every occurrence of the k characters ending at t, overlaps included.")
    check_close(f"random ids (V={_V}), k={_k}: context counts", _contexts, _want_contexts, atol=0, rtol=0)
_pairs, _contexts = _got_unseen
_want_pairs, _want_contexts = _ref_kgram(_tr, _q, 3)
check_close("unseen symbol 5, k=3: pair counts", _pairs, _want_pairs, atol=0, rtol=0)
check_close("unseen symbol 5, k=3: context counts", _contexts, _want_contexts, atol=0, rtol=0,
            hint="Hint: a context never seen in training has count 0.")
### END HIDDEN TESTS

# %% [markdown]
# **The experiment.** For $k = 1, \dots, 7$: the validation loss for several $\alpha$, and the training loss (on the
# first 111,540 training characters, as many as the validation split) at each $k$'s best $\alpha$. Choosing
# $\alpha$ on the validation text flatters the n-grams a little (a fair protocol would choose it on a held-out part
# of the training text); that only makes them harder to beat.

# %% grading="skip"
finish_first({"kgram_counts": "Part E", "loss_in_units": "Part B"})
ALPHAS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
K_MAX = 7
train_slice = train_ids[: len(val_ids)]
kgram_val, kgram_train, kgram_alpha = {}, {}, {}
t0 = time.perf_counter()
both = np.concatenate([val_ids, train_slice])  # one call per k: counting the training text is the costly part
for k in range(1, K_MAX + 1):
    pairs_all, contexts_all = (np.asarray(a) for a in kgram_counts(train_ids, both, k))  # entry i: position i + k - 1
    on_val = slice(CONTEXT - k + 1, len(val_ids) - k + 1)  # validation positions t >= CONTEXT
    on_train = slice(len(val_ids) + CONTEXT - k + 1, None)  # the same positions of the training slice
    pairs, contexts = pairs_all[on_val], contexts_all[on_val]
    losses_by_alpha = {a: float(-add_alpha_log_probs(pairs, contexts, a, VOCAB).mean()) for a in ALPHAS}
    kgram_alpha[k] = min(losses_by_alpha, key=losses_by_alpha.get)
    kgram_val[k] = losses_by_alpha[kgram_alpha[k]]
    kgram_train[k] = float(-add_alpha_log_probs(pairs_all[on_train], contexts_all[on_train], kgram_alpha[k],
                                                VOCAB).mean())
print(f"k = 1..{K_MAX}, {len(ALPHAS)} alphas each: {time.perf_counter() - t0:.1f} s")
print(f"{'k':>2s} {'best alpha':>10s} {'val nats/char':>14s} {'bits/char':>10s} {'val PPL':>8s} {'train nats/char':>16s}")
for k in kgram_val:
    units = loss_in_units(kgram_val[k] * N_SCORED, N_SCORED, N_SCORED)  # ASCII: a character is a byte
    print(f"{k:2d} {kgram_alpha[k]:10g} {units['nats_per_token']:14.4f} {units['bits_per_byte']:10.4f} "
          f"{units['perplexity']:8.3f} {kgram_train[k]:16.4f}")
best_k = min(kgram_val, key=kgram_val.get)
print(f"best: the {best_k}-gram, {kgram_val[best_k]:.4f} nats/char on validation")
# What the text below says, checked: the validation loss falls to a minimum at k = 5 and rises after it, while the
# training loss keeps falling: longer contexts are seen too rarely to count reliably.
assert best_k == 5 and kgram_val[6] > kgram_val[5] + 0.1 and kgram_val[7] > kgram_val[6], "the ladder's shape"
assert all(kgram_train[k + 1] < kgram_train[k] for k in range(1, K_MAX)), "training loss falls with every k"
assert kgram_train[7] < 0.5 * kgram_val[7], "the 7-gram: a training loss under half its validation loss"

fig, ax = plt.subplots(figsize=(5, 3))
ks = list(kgram_val)
ax.plot(ks, [kgram_val[k] for k in ks], "s-", label="validation")
ax.plot(ks, [kgram_train[k] for k in ks], "o--", label="training (first 111,540 chars)")
ax.set(xlabel="k (context = k - 1 characters)", ylabel="nats / char", title="k-grams: best add-alpha per k")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# **What the numbers show.** Each character of context helps up to $k = 5$ (four characters): about 1.75
# nats/char, a perplexity near 5.8, half the bigram's. Beyond that the validation loss *rises* while the training loss
# keeps falling (the 7-gram's is under half its validation loss): a context of five or six characters has been seen
# only a few times, and counts that small memorise the training text instead of estimating a distribution. Smarter smoothing (Kneser-Ney, or
# interpolating the k-gram with the $(k-1)$-gram) pushes the best count model a little further down; the next rung
# is a model that *shares* what it learns between similar contexts instead of counting each one separately.

# %% [markdown]
# ## Part F: A causal transformer you build and train (10 points)
#
# **Goal.** Write the two pieces that make a transformer an autoregressive model, causal attention and its
# training step; train it for a few seconds; and put it on the ladder honestly, next to the k-grams and a
# network that was trained for longer.
#
# **Causal attention.** For queries, keys and values $Q, K, V \in \mathbb{R}^{T \times d}$ (one row per position),
# scaled dot-product attention (Vaswani et al. 2017) is
#
# $$\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\Big(\frac{Q K^\top}{\sqrt{d}} + M\Big) V, \qquad
# M_{ij} = \begin{cases} 0 & j \le i \\ -\infty & j > i \end{cases}$$
#
# with the softmax over $j$ (each row). The **causal mask** $M$ lets position $i$ attend to positions $j \le i$
# only (itself included): $e^{-\infty} = 0$ weight on the future. Without it the target $x_{i+1}$ sits in the input
# at position $i + 1$ and the model learns to copy it: a training loss near zero and useless predictions. Without
# the $\sqrt{d}$ the scores grow with $d$ and the softmax saturates. A *bidirectional* (masked-model) layer is the
# same formula with $M = 0$: Part G trains one.
#
# **Spec.** `causal_attention(q, k, v, causal=True)`: `q`, `k`, `v` float tensors of shape `(..., T, d)` (any
# leading batch/head dimensions, float32 or float64). Return the tensor `(..., T, d)` above, with the mask when
# `causal=True` and without it when `causal=False`. It must equal
# `torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)` (within $10^{-9}$ for float64
# inputs, $2 \cdot 10^{-5}$ for float32: keep the input's dtype); write it yourself (matrix products, a mask, a
# softmax), because the point is to see where the mask goes. Any $T \ge 1$, also longer than Part F's blocks of 16:
# build the mask for the $T$ of the input.
#
# **Per-token loss.** The training loss is the mean per-token cross-entropy of the logits $z \in \mathbb{R}^V$,
# computed stably with log-sum-exp:
#
# $$-\log \mathrm{softmax}(z)_y = -z_y + \log \sum_{v=1}^V e^{z_v}
# = -z_y + m + \log \sum_{v=1}^V e^{z_v - m}, \qquad m = \max_v z_v.$$
#
# **Spec.** `token_nll(logits, targets)`: `logits` a float tensor of shape `(..., V)`, `targets` a long tensor of
# shape `(...)`. Return the tensor of per-token negative log-likelihoods, shape `(...)` (no averaging). It must stay
# finite for large logits (e.g. logits $\times 1000$). Its mean equals
# `F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))`. We recommend writing it yourself with
# log-sum-exp or `log_softmax`, so that you see why the two agree; calling `F.cross_entropy` with
# `reduction="none"` is also accepted.

# %% nbgrader={"grade_id": "causal_attention", "solution": true}
def causal_attention(q, k, v, causal=True):
    """softmax(q k^T / sqrt(d) + mask) v over the last two axes; the mask hides j > i when causal."""
    ### BEGIN SOLUTION
    d, T = q.shape[-1], q.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (..., T, T): row i = query position, column j = key position
    if causal:
        allowed = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()  # j <= i, the diagonal included
        scores = scores.masked_fill(~allowed, float("-inf"))  # mask *before* the softmax: the rest renormalises
    return scores.softmax(dim=-1) @ v
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
# **Worked example.** The attention weights for a block of 4 positions when every score is equal (row $i$
# spreads over columns $0..i$, read off by attending to the identity matrix), your attention next to PyTorch's, and
# `token_nll` on two tokens, then with the logits multiplied by 1000, where $-\log$ of the softmax computed directly
# gives $\infty$.

# %% grading="skip"
finish_first({"causal_attention": "Part F", "token_nll": "Part F"})
weights4 = causal_attention(torch.zeros(4, 1), torch.zeros(4, 1), torch.eye(4))  # v = I: the output *is* the weights
print("causal attention weights for equal scores (row i = query position, column j = key position):")
print(weights4)
assert torch.allclose(weights4.sum(dim=-1), torch.ones(4)), "every row of attention weights sums to 1"
assert weights4[0, 0] == 1 and abs(weights4[3, 0] - 0.25) < 1e-7, "position 0 sees only itself; position 3 sees 4"
demo_gen = torch.Generator().manual_seed(SEED)
q_demo, k_demo, v_demo = (torch.randn(2, 3, 5, 8, generator=demo_gen) for _ in range(3))  # (batch, heads, T, d)
check_close("causal_attention vs PyTorch's SDPA", causal_attention(q_demo, k_demo, v_demo),
            F.scaled_dot_product_attention(q_demo, k_demo, v_demo, is_causal=True), atol=1e-5, rtol=1e-5)

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

# %% nbgrader={"grade_id": "test_causal_attention_matches_sdpa", "grade": true, "points": 2}
"""causal_attention with the mask: equals scaled_dot_product_attention(is_causal=True), float32 and float64, for
T = 1 up to T = 33 (a mask sized for Part F's blocks of 16 is told apart by the blocks longer than 16)."""
_g = torch.Generator().manual_seed(0)
_q, _k, _v = (torch.randn(2, 6, 4, generator=_g) for _ in range(3))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = causal_attention(_q, _k, _v)
check_close("(2, 6, 4) float32 vs SDPA(is_causal=True)", _got,
            F.scaled_dot_product_attention(_q, _k, _v, is_causal=True), atol=1e-5, rtol=1e-5,
            hint="Hint: scale by sqrt(d), mask j > i with -inf before the softmax over the last axis.")
### BEGIN HIDDEN TESTS
_seed = 77  # per-submission seed
_g = torch.Generator().manual_seed(_seed)
_cases = []
for _shape, _dtype in [((3, 2, 9, 16), torch.float64), ((1, 12, 5), torch.float32), ((4, 1, 3), torch.float64),
                       ((2, 3, 7, 64), torch.float32), ((2, 20, 8), torch.float64), ((1, 2, 33, 8), torch.float32)]:
    _q, _k, _v = (3.0 * torch.randn(*_shape, generator=_g, dtype=_dtype) for _ in range(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _cases.append((_shape, _dtype, _q, _k, _v, frozen(causal_attention(_q, _k, _v))))
### HIDDEN CHECKS
for _shape, _dtype, _q, _k, _v, _got in _cases:
    assert torch.is_tensor(_got) and tuple(_got.shape) == _shape, \
        f"shape {_shape}: expected a tensor of the same shape, got {getattr(_got, 'shape', type(_got).__name__)}"
    _tol = 1e-9 if _dtype == torch.float64 else 2e-5
    check_close(f"{tuple(_shape)} {_dtype}: vs SDPA(is_causal=True)", _got,
                F.scaled_dot_product_attention(_q, _k, _v, is_causal=True), atol=_tol, rtol=_tol,
                hint="Hint: the scale is 1/sqrt(d) with d the last dimension of q; a position sees itself.")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_causal_attention_no_future", "grade": true, "points": 1}
"""causal_attention: changing the keys and values of later positions leaves every earlier output unchanged."""
_g = torch.Generator().manual_seed(5)
_q, _k, _v = (torch.randn(8, 4, generator=_g, dtype=torch.float64) for _ in range(3))
_k2, _v2 = _k.clone(), _v.clone()
_k2[5:] += 3.0
_v2[5:] -= 2.0
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _out, _out2 = causal_attention(_q, _k, _v), causal_attention(_q, _k2, _v2)
_bad_rows = [int(i) for i in torch.nonzero(~torch.isfinite(_out).all(dim=-1)).flatten()]
assert not _bad_rows, (f"expected finite outputs, got nan in rows {_bad_rows}. "
                       f"Hint: a row whose every score is -inf attends to nothing; position i may see itself.")
_early_diff = float((_out[:5] - _out2[:5]).abs().max())
assert _early_diff <= 1e-12, (f"changing positions 5..7 should leave outputs 0..4 unchanged, but they moved by up to "
                              f"{_early_diff:.3g}: the future leaks in. Hint: which entries of row i are allowed?")
### BEGIN HIDDEN TESTS
_out_frozen, _out2_frozen = frozen(_out), frozen(_out2)  # the outputs of the visible part above
# the same with a batch and heads, changing only the very next position
_g = torch.Generator().manual_seed(55)
_q, _k, _v = (torch.randn(2, 3, 10, 8, generator=_g, dtype=torch.float64) for _ in range(3))
_cases = []
for _s in [1, 4, 9]:
    _k2, _v2 = _k.clone(), _v.clone()
    _k2[..., _s, :] *= -2.0
    _v2[..., _s, :] += 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _cases.append((_s, frozen(causal_attention(_q, _k, _v)), frozen(causal_attention(_q, _k2, _v2))))
### HIDDEN CHECKS
_late_diff = float((_out_frozen[5:] - _out2_frozen[5:]).abs().max())
assert _late_diff > 1e-6, (f"changing positions 5..7 should change outputs 5..7, but they moved by only "
                           f"{_late_diff:.3g}. Hint: a position attends to itself.")
for _s, _got, _got2 in _cases:
    _diff = float((_got[..., :_s, :] - _got2[..., :_s, :]).abs().max())
    assert _diff <= 1e-12, f"(2, 3, 10, 8): changing position {_s} moved outputs 0..{_s - 1} by {_diff:.3g}"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_causal_attention_bidirectional", "grade": true, "points": 1}
"""causal_attention(causal=False): plain scaled dot-product attention over every position, as SDPA without a mask."""
_g = torch.Generator().manual_seed(1)
_q, _k, _v = (torch.randn(6, 4, generator=_g, dtype=torch.float64) for _ in range(3))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = causal_attention(_q, _k, _v, causal=False)
check_close("(6, 4) causal=False vs SDPA(is_causal=False)", _got,
            F.scaled_dot_product_attention(_q, _k, _v, is_causal=False), atol=1e-9, rtol=1e-9,
            hint="Hint: causal=False means no mask at all.")
### BEGIN HIDDEN TESTS
_seed = 11  # per-submission seed
_g = torch.Generator().manual_seed(_seed)
_q, _k, _v = (torch.randn(2, 4, 9, 16, generator=_g) for _ in range(3))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = frozen(causal_attention(_q, _k, _v, causal=False))
### HIDDEN CHECKS
check_close("(2, 4, 9, 16) float32, causal=False", _got, F.scaled_dot_product_attention(_q, _k, _v), atol=2e-5,
            rtol=2e-5)
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
_seed = 123  # per-submission seed
_g = torch.Generator().manual_seed(_seed)
_cases = []
for _shape in [(4, 7, 65), (10, 3), (2, 2, 2, 9)]:
    _z = torch.randn(*_shape, generator=_g, dtype=torch.float64) * 2.0
    _t = torch.randint(0, _shape[-1], _shape[:-1], generator=_g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _cases.append((_shape, _z, _t, frozen(token_nll(_z, _t))))
# overflow: logits x 1000 (float32); the naive exp overflows, log(softmax) underflows to log 0
_z = torch.randn(6, 65, generator=_g) * 1000.0
_t = torch.randint(0, 65, (6,), generator=_g)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_large = frozen(token_nll(_z, _t))
### HIDDEN CHECKS
def _ref_token_nll(logits, targets):
    z = _as_float_array(logits)
    t = np.asarray(targets.cpu().numpy() if hasattr(targets, "cpu") else targets, dtype=np.int64)
    m = z.max(axis=-1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]
    return lse - np.take_along_axis(z, t[..., None], axis=-1)[..., 0]


for _shape, _z_case, _t_case, _got in _cases:
    check_close(f"logits {_shape}: per-token NLL", _got, _ref_token_nll(_z_case, _t_case), atol=1e-6, rtol=1e-5,
                hint="Hint: normalise over the last axis; no averaging; NLL is positive.")
_got = _as_float_array(_got_large)
assert np.all(np.isfinite(_got)), f"logits x 1000: expected finite NLLs, got {_got}. Hint: subtract the max first."
check_close("logits x 1000 (float32)", _got, _ref_token_nll(_z, _t), atol=1e-2, rtol=1e-5)
check_close("logits x 1000: mean vs F.cross_entropy", _got.mean(), F.cross_entropy(_z, _t), atol=1e-2, rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# **The model.** One transformer block (4-head self-attention with **your** `causal_attention` and an MLP,
# pre-LayerNorm), 48-dimensional embeddings, blocks of $T = 16$ characters: about 35k parameters. The same class
# with `causal=False` is Part G's masked model.

# %% nbgrader={"grade_id": "tiny_gpt", "locked": true}
BLOCK, D_MODEL, N_HEADS = 16, 48, 4


class SelfAttention(nn.Module):
    def __init__(self, d_model, n_heads, causal):
        super().__init__()
        self.n_heads, self.causal = n_heads, causal
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x):
        B, T, D = x.shape
        q, k, v = self.qkv(x).split(D, dim=-1)
        q, k, v = (z.view(B, T, self.n_heads, D // self.n_heads).transpose(1, 2) for z in (q, k, v))  # (B, heads, T, d)
        y = causal_attention(q, k, v, causal=self.causal)
        return self.proj(y.transpose(1, 2).reshape(B, T, D))


class TinyGPT(nn.Module):
    """Embeddings -> one pre-LayerNorm transformer block -> logits over `n_outputs` characters, at every position."""

    def __init__(self, n_inputs, n_outputs, causal=True, d_model=D_MODEL, n_heads=N_HEADS, block_size=BLOCK):
        super().__init__()
        self.tok = nn.Embedding(n_inputs, d_model)
        self.pos = nn.Embedding(block_size, d_model)
        self.ln1, self.ln2, self.ln_f = nn.LayerNorm(d_model), nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = SelfAttention(d_model, n_heads, causal)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))
        self.head = nn.Linear(d_model, n_outputs)

    def forward(self, idx):  # idx: (B, T) long -> logits (B, T, n_outputs)
        h = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        h = h + self.attn(self.ln1(h))
        h = h + self.mlp(self.ln2(h))
        return self.head(self.ln_f(h))


STEPS, BATCH, LR = 500, 32, 1e-2  # the training of Part F's AR model and Part G's masked model
train_t, val_t = torch.from_numpy(train_ids), torch.from_numpy(val_ids)


def random_blocks(ids_t, generator, batch=BATCH, block=BLOCK):
    """`batch` random blocks of the text and their targets (the same blocks shifted by one character)."""
    starts = torch.randint(0, len(ids_t) - block - 1, (batch,), generator=generator)
    offsets = starts[:, None] + torch.arange(block)
    return ids_t[offsets], ids_t[offsets + 1]


def future_leaks(net, ids, k=10, seed=0):
    """True if changing tokens at positions >= k of a block changes the logits at positions < k."""
    g = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(ids[:BLOCK]).unsqueeze(0)
    x_changed = x.clone()
    x_changed[:, k:] = torch.randint(0, VOCAB, (1, BLOCK - k), generator=g)
    with torch.no_grad():
        before, after = net(x), net(x_changed)
    return not torch.allclose(before[:, :k], after[:, :k], atol=1e-6)

# %% [markdown]
# **Causality check** (before training, so a leaky attention is caught early): replace the last characters of a
# block by random ones; the logits at the earlier positions must not change. The same network with `causal=False`
# fails the check, as it should.

# %% grading="skip"
finish_first({"causal_attention": "Part F"})
torch.manual_seed(SEED)
model = TinyGPT(VOCAB, VOCAB)
leaky = copy.deepcopy(model)
leaky.attn.causal = False  # attend everywhere, future included
print(f"TinyGPT: {sum(p.numel() for p in model.parameters()):,} parameters")
print("causal model leaks the future:", future_leaks(model, val_ids), "; with causal=False:", future_leaks(leaky, val_ids))
assert not future_leaks(model, val_ids), "the model sees the future: check causal_attention"
assert future_leaks(leaky, val_ids), "the check must catch attention that lets the future in"

# %% [markdown]
# **The training step.** One step of gradient descent on a batch: the forward pass, the mean per-token loss, the
# gradients, the update.
#
# **Spec.** `lm_train_step(model, optimizer, x, y, loss_fn=None)`: `model` maps a `(B, T)` long tensor to logits
# `(B, T, V)`; `optimizer` a `torch.optim` optimizer over the model's parameters; `x`, `y` `(B, T)` long tensors (`y`
# is `x` shifted by one: the targets); `loss_fn(logits, targets)` returns the per-token NLL tensor, and `None` means
# your `token_nll` (the tests pass their own, so a slip in `token_nll` costs only its own points; a `loss_fn` that is
# given is the one to use). Compute the mean per-token loss of `model(x)` against `y`, take **one** step of the
# `optimizer` passed in on its gradient as it is (no gradient clipping; keep using that optimizer, whose state, e.g.
# momentum, carries over from call to call: do not build a new one), and return the loss **before** the step as a
# Python float. Gradients left over from an earlier call must not leak into this step. Do not step a learning-rate
# scheduler (the caller does).

# %% nbgrader={"grade_id": "lm_train_step", "solution": true}
def lm_train_step(model, optimizer, x, y, loss_fn=None) -> float:
    """One optimizer step on the mean per-token loss of model(x) against y (loss_fn, default token_nll); returns it."""
    ### BEGIN SOLUTION
    loss_fn = token_nll if loss_fn is None else loss_fn
    logits = model(x)
    loss = loss_fn(logits, y).mean()
    optimizer.zero_grad(set_to_none=True)  # gradients accumulate in .grad across backward calls otherwise
    loss.backward()
    optimizer.step()
    return float(loss.detach())
    ### END SOLUTION


# %% [markdown]
# **Training** (a few seconds on one CPU thread): 500 steps on random blocks of the training split, AdamW with a
# one-cycle learning-rate schedule, your `lm_train_step`.

# %% grading="skip"
finish_first({"causal_attention": "Part F", "token_nll": "Part F", "lm_train_step": "Part F"})
torch.manual_seed(SEED)
model = TinyGPT(VOCAB, VOCAB)
opt = torch.optim.AdamW(model.parameters(), lr=LR)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=STEPS, pct_start=0.1)
batch_gen = torch.Generator().manual_seed(SEED)
losses = []
t0 = time.perf_counter()
for step in tqdm(range(STEPS), desc="training", file=sys.stdout, mininterval=1.0):
    losses.append(lm_train_step(model, opt, *random_blocks(train_t, batch_gen)))
    sched.step()
ar_train_seconds = time.perf_counter() - t0
print(f"{STEPS} steps in {ar_train_seconds:.1f} s; last training loss {np.mean(losses[-20:]):.3f} nats")
assert np.mean(losses[-20:]) < np.mean(losses[:20]) - 1.0, "training should lower the loss by more than 1 nat"
assert not future_leaks(model, val_ids), "training must not break causality"

# %% nbgrader={"grade_id": "test_lm_train_step_returns_loss", "grade": true, "points": 1}
"""lm_train_step returns, as a Python float, the mean per-token loss of the batch before the step: with loss_fn
given, that loss_fn's (a position-weighted NLL, whose mean differs from the cross-entropy); without it, token_nll's."""
def _nll(logits, targets):
    """A correct per-token NLL, passed as loss_fn: this cell grades the step, not Part F's token_nll."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none").view(targets.shape)


torch.manual_seed(3)
_net = nn.Sequential(nn.Embedding(7, 5), nn.Linear(5, 7))
_x, _y = torch.randint(0, 7, (4, 6)), torch.randint(0, 7, (4, 6))
with torch.no_grad():
    _want = float(F.cross_entropy(_net(_x).reshape(-1, 7), _y.reshape(-1)))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = lm_train_step(_net, torch.optim.SGD(_net.parameters(), lr=0.5), _x, _y, loss_fn=_nll)
assert isinstance(_got, float), f"expected a Python float, got {type(_got).__name__}. Hint: loss.item() or float(loss)."
check_close("loss returned (before the step)", _got, _want, atol=1e-6, rtol=1e-6,
            hint="Hint: the mean over every token of the batch, computed before optimizer.step().")
### BEGIN HIDDEN TESTS
_seed = 4  # per-submission seed
torch.manual_seed(_seed)
_net = nn.Sequential(nn.Embedding(9, 4), nn.Linear(4, 9))
_x, _y = torch.randint(0, 9, (3, 5)), torch.randint(0, 9, (3, 5))
_opt = torch.optim.AdamW(_net.parameters(), lr=0.1)
_net_copy = copy.deepcopy(_net)  # never given to the student: the checks load each call's starting parameters into it


def _three_steps():
    """Three calls; before each, the parameters and the batch the loss is computed from."""
    _steps = []
    for _i in range(3):
        _before = ({_name: _w.detach().clone() for _name, _w in _net.state_dict().items()}, _x.clone(), _y.clone())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _steps.append((_before, lm_train_step(_net, _opt, _x, _y, loss_fn=_nll)))
    return _steps


_steps = frozen(_three_steps())
# a loss_fn that is not the cross-entropy: its mean is the loss to return (an answer that ignores loss_fn is off by
# far more than the tolerance: the weights 0.5..3 move the mean by about 2 nats here)
_w_pos = torch.linspace(0.5, 3.0, 5)


def _weighted_nll(logits, targets):
    """Per-token NLL weighted by position."""
    return _nll(logits, targets) * _w_pos


_state_w = {_name: _w.detach().clone() for _name, _w in _net.state_dict().items()}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_weighted = frozen(lm_train_step(_net, torch.optim.SGD(_net.parameters(), lr=0.1), _x, _y,
                                         loss_fn=_weighted_nll))


def _default_loss_fn():
    """loss_fn=None: the loss returned and your own token_nll's mean on the same batch (None when token_nll is not
    written yet or does not give a differentiable tensor: then this part is not checked)."""
    torch.manual_seed(8)
    _net_d = nn.Sequential(nn.Embedding(9, 4), nn.Linear(4, 9))
    _x_d, _y_d = torch.randint(0, 9, (3, 5)), torch.randint(0, 9, (3, 5))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _own = token_nll(_net_d(_x_d), _y_d)
        if not (torch.is_tensor(_own) and _own.requires_grad):
            return None
        _own = float(_own.detach().double().mean())
    except Exception:  # noqa: BLE001 - an unwritten or broken token_nll is graded in its own cell
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _own, lm_train_step(_net_d, torch.optim.SGD(_net_d.parameters(), lr=0.1), _x_d, _y_d)


_default = frozen(_default_loss_fn())
### HIDDEN CHECKS
for _i, ((_state, _x_before, _y_before), _got) in enumerate(_steps):
    _net_copy.load_state_dict(_state)
    with torch.no_grad():
        _want = float(F.cross_entropy(_net_copy(_x_before).reshape(-1, 9), _y_before.reshape(-1)))
    check_close(f"AdamW, call {_i + 1}: loss before the step", _got, _want, atol=1e-6, rtol=1e-6)
_net_copy.load_state_dict(_state_w)
with torch.no_grad():
    _want = float((F.cross_entropy(_net_copy(_x).reshape(-1, 9), _y.reshape(-1), reduction="none").view(3, 5)
                   * torch.linspace(0.5, 3.0, 5)).mean())
check_close("loss_fn = a position-weighted NLL: loss returned", _got_weighted, _want, atol=1e-6, rtol=1e-6,
            hint="Hint: when the caller passes loss_fn, the loss is loss_fn's, not the cross-entropy.")
if _default is not None:
    _want, _got = _default
    assert isinstance(_got, float), f"loss_fn=None: expected a Python float, got {type(_got).__name__}"
    check_close("loss_fn=None: loss returned vs your token_nll's mean", _got, _want, atol=1e-6, rtol=1e-6,
                hint="Hint: loss_fn=None means token_nll.")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_lm_train_step_updates", "grade": true, "points": 2}
"""lm_train_step: one plain-SGD step moves every parameter by -lr x the gradient of the mean loss, call after call;
with momentum SGD and a heavily weighted loss_fn, three calls follow one persistent optimizer exactly (tells apart a
new optimizer per call, a hand-written SGD update, a clipped gradient and an ignored loss_fn)."""
def _nll(logits, targets):
    """A correct per-token NLL, passed as loss_fn: this cell grades the step, not Part F's token_nll."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none").view(targets.shape)


def _sgd_reference(net, x, y, lr):
    """The parameters after one SGD step on the mean cross-entropy, computed on a copy."""
    ref = copy.deepcopy(net)
    for p in ref.parameters():
        p.grad = None
    loss = F.cross_entropy(ref(x).reshape(-1, ref(x).shape[-1]), y.reshape(-1))
    loss.backward()
    return [(p - lr * p.grad).detach() for p in ref.parameters()]


torch.manual_seed(5)
_net = nn.Sequential(nn.Embedding(6, 4), nn.Linear(4, 6))
_opt = torch.optim.SGD(_net.parameters(), lr=0.3)
for _call in range(2):  # the second call catches gradients left over from the first
    _x, _y = torch.randint(0, 6, (3, 5)), torch.randint(0, 6, (3, 5))
    _want = _sgd_reference(_net, _x, _y, 0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm_train_step(_net, _opt, _x, _y, loss_fn=_nll)
    for _i, (_p, _w) in enumerate(zip(_net.parameters(), _want)):
        check_close(f"call {_call + 1}, parameter {_i}: after the step", _p, _w, atol=1e-6, rtol=1e-5,
                    hint="Hint: zero the gradients, backward on the *mean* loss, one optimizer.step().")
### BEGIN HIDDEN TESTS
_seed = 6  # per-submission seed
torch.manual_seed(_seed)
_net = nn.Sequential(nn.Embedding(11, 8), nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 11))
_opt = torch.optim.SGD(_net.parameters(), lr=0.1)
_net_copy = copy.deepcopy(_net)  # never given to the student: the checks load each call's starting parameters into it


def _three_steps():
    """Three calls; for each, the batch and the parameters before the call, and the parameters after it."""
    _steps = []
    for _call in range(3):
        _x, _y = torch.randint(0, 11, (2, 6)), torch.randint(0, 11, (2, 6))
        _before = ({_name: _w.detach().clone() for _name, _w in _net.state_dict().items()}, _x.clone(), _y.clone())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lm_train_step(_net, _opt, _x, _y, loss_fn=_nll)
        _steps.append((_before, [_p.detach().clone() for _p in _net.parameters()]))
    return _steps


_steps = frozen(_three_steps())
# One optimizer with state (momentum 0.9) over three calls, and a loss_fn that weights positions by 50..400. The
# fixture is fixed (not the per-submission seed): its total gradient norm is 184 to 193 over the three calls, so
# clipping at any threshold up to 150 moves some parameter by > 1e-3 (1e-2 at threshold 1) by call 3; a new optimizer
# per call, or an SGD step written by hand, loses the momentum from call 2 on (> 6e-3 at call 2); ignoring loss_fn
# moves a parameter by > 7e-3 at call 1. The tolerance is atol 1e-6 + rtol 1e-5.
torch.manual_seed(2027)
_net_m = nn.Sequential(nn.Embedding(11, 8), nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 11))
_state_m = {_name: _w.detach().clone() for _name, _w in _net_m.state_dict().items()}
_opt_m = torch.optim.SGD(_net_m.parameters(), lr=0.0002, momentum=0.9)
_g_m = torch.Generator().manual_seed(2028)
_batches_m = [(torch.randint(0, 11, (2, 6), generator=_g_m), torch.randint(0, 11, (2, 6), generator=_g_m))
              for _ in range(3)]
_w_m = torch.linspace(50.0, 400.0, 6)


def _weighted_nll_m(logits, targets):
    """Per-token NLL weighted by position (50 to 400): large gradients."""
    return _nll(logits, targets) * _w_m


def _momentum_steps():
    """Three calls with one momentum-SGD optimizer; the parameters after each."""
    _after_m = []
    for _x_m, _y_m in _batches_m:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lm_train_step(_net_m, _opt_m, _x_m, _y_m, loss_fn=_weighted_nll_m)
        _after_m.append([_p.detach().clone() for _p in _net_m.parameters()])
    return _after_m


_after_momentum = frozen(_momentum_steps())
### HIDDEN CHECKS
for _call, ((_state, _x, _y), _after) in enumerate(_steps):
    _net_copy.load_state_dict(_state)
    _want = _sgd_reference(_net_copy, _x, _y, 0.1)
    for _i, (_p, _w) in enumerate(zip(_after, _want)):
        check_close(f"3-layer net, call {_call + 1}, parameter {_i}", _p, _w, atol=1e-6, rtol=1e-5)
_ref_m = nn.Sequential(nn.Embedding(11, 8), nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 11))
_ref_m.load_state_dict(_state_m)
_ref_opt_m = torch.optim.SGD(_ref_m.parameters(), lr=0.0002, momentum=0.9)
_w_ref = torch.linspace(50.0, 400.0, 6)
for _call, ((_x_m, _y_m), _after) in enumerate(zip(_batches_m, _after_momentum)):
    _ref_opt_m.zero_grad()
    _logits_m = _ref_m(_x_m)
    _nll_m = F.cross_entropy(_logits_m.reshape(-1, 11), _y_m.reshape(-1), reduction="none").view(2, 6)
    (_nll_m * _w_ref).mean().backward()
    _ref_opt_m.step()
    for _i, (_p, _w) in enumerate(zip(_after, _ref_m.parameters())):
        check_close(f"momentum SGD, weighted loss_fn, call {_call + 1}, parameter {_i}", _p, _w.detach(), atol=1e-6,
                    rtol=1e-5, hint="Hint: one step of the optimizer you are given, on loss_fn's mean loss, with the "
                                    "gradient as it is; the optimizer's momentum must carry over between calls.")
### END HIDDEN TESTS

# %% [markdown]
# **Evaluation** on the validation split, on the same characters as the k-grams (every character with at least 16
# before it): consecutive blocks of 16, so the first character of a block is predicted from 1 character of context
# and the last from 16 (8.5 on average), with your `token_nll` and `perplexity`.

# %% grading="skip"
finish_first({"perplexity": "Part B", "causal_attention": "Part F", "token_nll": "Part F", "lm_train_step": "Part F"})
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
tiny_val_lp = val_log_probs(model, val_t[CONTEXT - 1:])  # scores val_t[CONTEXT:], the ladder's characters
assert tiny_val_lp.shape == (N_SCORED,), "every scored validation character is scored once"
tiny_ce = float(-tiny_val_lp.mean())
assert abs(perplexity(tiny_val_lp) - math.exp(tiny_ce)) < 1e-6 * math.exp(tiny_ce), "perplexity() is exp(mean NLL)"
# the per-token NLL agrees with PyTorch's cross-entropy on a batch of validation logits
with torch.no_grad():
    xb, yb = val_t[:BLOCK * 64].view(64, BLOCK), val_t[1:BLOCK * 64 + 1].view(64, BLOCK)
    logits_b = model(xb)
check_close("token_nll(...).mean() vs F.cross_entropy", token_nll(logits_b, yb).mean(),
            F.cross_entropy(logits_b.reshape(-1, VOCAB), yb.reshape(-1)), atol=1e-6, rtol=1e-6)
print(f"TinyGPT, {STEPS} steps ({ar_train_seconds:.1f} s): {tiny_ce:.4f} nats/char on validation")

# %% [markdown]
# **Networks trained for longer.** The k-grams win so far. Two networks the course trained beforehand (weights,
# settings and model cards in `data/char_models/`, with a README on how they were trained) show what more training buys: TinyGPT
# itself trained for 3,000 steps instead of 500, and a plain MLP on the previous 16 characters (Bengio et al.
# 2003's neural language model, with characters for words) trained for a few minutes on a 2-core CPU, a network
# that *shares* statistics between similar contexts instead of counting each one. Here they are only loaded and
# evaluated on the same characters. (Part G uses a third: TinyGPT's masked twin.)

# %% nbgrader={"grade_id": "course_models", "locked": true}
class ContextMLP(nn.Module):
    """The next character from the previous `context` characters: embeddings, concatenated, two hidden layers."""

    def __init__(self, vocab=65, context=16, d_embed=24, d_hidden=384, dropout=0.15):
        super().__init__()
        self.context = context
        self.embed = nn.Embedding(vocab, d_embed)
        self.net = nn.Sequential(nn.Linear(context * d_embed, d_hidden), nn.GELU(), nn.LayerNorm(d_hidden),
                                 nn.Dropout(dropout), nn.Linear(d_hidden, d_hidden), nn.GELU(),
                                 nn.LayerNorm(d_hidden), nn.Dropout(dropout), nn.Linear(d_hidden, vocab))

    def forward(self, x):  # x: (B, context) long -> logits (B, vocab) for the character after the window
        return self.net(self.embed(x).flatten(1))


MODELS_DIR = DATA_DIR / "char_models"
mlp_card = json.loads((MODELS_DIR / "context_mlp.json").read_text())
context_mlp = ContextMLP(**mlp_card["config"])
context_mlp.load_state_dict(torch.load(MODELS_DIR / "context_mlp.pt", weights_only=True))
context_mlp.eval()
# TinyGPT and its masked twin: the same network, text, steps, batches and seed (see tiny_gpt_pair.json)
pair_card = json.loads((MODELS_DIR / "tiny_gpt_pair.json").read_text())
MASK_ID = pair_card["mask_id"]  # an extra input symbol (= VOCAB): the masked model still predicts one of 65 characters
tiny_gpt_long = TinyGPT(VOCAB, VOCAB, causal=True)
tiny_gpt_long.load_state_dict(torch.load(MODELS_DIR / pair_card["ar"]["file"], weights_only=True))
masked_lm = TinyGPT(VOCAB + 1, VOCAB, causal=False)
masked_lm.load_state_dict(torch.load(MODELS_DIR / pair_card["masked"]["file"], weights_only=True))
tiny_gpt_long.eval(), masked_lm.eval()
assert MASK_ID == VOCAB and pair_card["block"] == BLOCK, "the checkpoints were trained for this notebook's TinyGPT"


@torch.no_grad()
def window_log_probs(net, ids_t, context=CONTEXT, chunk=16384):
    """log p(ids_t[t] | ids_t[t-context:t]) for t = context, ..., len(ids_t) - 1."""
    windows = ids_t.unfold(0, context, 1)[: len(ids_t) - context]  # row i = ids_t[i : i + context]
    targets = ids_t[context:]
    return -torch.cat([token_nll(net(windows[i:i + chunk]), targets[i:i + chunk]) for i in range(0, len(targets), chunk)])

# %% grading="skip"
finish_first({"perplexity": "Part B", "loss_in_units": "Part B", "kgram_counts": "Part E",
              "causal_attention": "Part F", "token_nll": "Part F", "lm_train_step": "Part F"})
mlp_val_lp = window_log_probs(context_mlp, val_t)
mlp_ce = float(-mlp_val_lp.mean())
tiny_long_ce = float(-val_log_probs(tiny_gpt_long, val_t[CONTEXT - 1:]).mean())
print(f"ContextMLP ({mlp_card['parameters']:,} parameters, {mlp_card['steps']:,} steps, "
      f"{mlp_card['train_seconds'] / 60:.1f} min on {mlp_card['hardware']}): {mlp_ce:.4f} nats/char "
      f"(its card says {mlp_card['val_nats_per_char']:.4f})")
assert abs(mlp_ce - mlp_card["val_nats_per_char"]) < 2e-3, "the checkpoint should score what its card says"

# Does it use the context beyond the k-gram's four characters? On the first 20,000 scored characters, give it the
# right last 4 characters and the first 12 from a random other place of the validation text.
N_ABLATE = 20_000
scramble = np.random.default_rng(SEED)
far = val_t[torch.from_numpy(scramble.integers(0, len(val_t) - CONTEXT, N_ABLATE))[:, None] + torch.arange(CONTEXT - 4)]
with torch.no_grad():
    near = val_t.unfold(0, CONTEXT, 1)[:N_ABLATE, CONTEXT - 4:]
    mlp_near_ce = float(token_nll(context_mlp(torch.cat([far, near], dim=1)), val_t[CONTEXT:CONTEXT + N_ABLATE]).mean())
mlp_same_chars_ce = float(-mlp_val_lp[:N_ABLATE].mean())
print(f"ContextMLP on the first {N_ABLATE:,} scored characters: {mlp_same_chars_ce:.4f} nats/char with its 16 "
      f"characters, {mlp_near_ce:.4f} with only the last 4 right")

val_text = text[n_train + CONTEXT:]  # the scored characters, as text
n_words = len(val_text.split())
ladder = [("uniform (V = 65)", math.log(VOCAB)), ("1-gram", kgram_val[1]), ("2-gram", kgram_val[2]),
          ("3-gram", kgram_val[3]), (f"{best_k}-gram (best k-gram)", kgram_val[best_k]),
          (f"TinyGPT, {STEPS} steps, {ar_train_seconds:.0f} s", tiny_ce),
          (f"TinyGPT, {pair_card['steps']:,} steps, {pair_card['ar']['train_seconds']:.0f} s", tiny_long_ce),
          (f"ContextMLP, {mlp_card['train_seconds'] / 60:.0f} min", mlp_ce)]
print(f"\n{'model (validation, ' + format(N_SCORED, ',') + ' chars)':34s} {'nats/char':>9s} {'bits/byte':>9s} "
      f"{'PPL/char':>8s} {'PPL/word':>9s}")
for name, ce in ladder:
    per_char = loss_in_units(ce * N_SCORED, N_SCORED, len(val_text.encode("utf-8")))
    per_word = loss_in_units(ce * N_SCORED, n_words, len(val_text.encode("utf-8")))
    print(f"{name:34s} {per_char['nats_per_token']:9.4f} {per_char['bits_per_byte']:9.4f} "
          f"{per_char['perplexity']:8.3f} {per_word['perplexity']:9.1f}")
print(f"(PPL/word: the same models' total NLL divided by the {n_words:,} words instead of the characters. For scale: "
      f"nanoGPT, 4 layers, 2000 iterations on a CPU: {REF['nanogpt_char_cpu_val_loss']['value']} nats/char; "
      f"6 layers on a GPU: {REF['nanogpt_char_gpu_best_val_loss']['value']})")
# What the text below says, checked for every seed:
assert kgram_val[3] < tiny_ce < kgram_val[2] - 0.2, "TinyGPT beats the bigram, not the 3-gram"
assert tiny_ce > kgram_val[best_k] + 0.2, "TinyGPT, trained for seconds, loses clearly to the best k-gram"
assert kgram_val[best_k] < tiny_long_ce < tiny_ce - 0.1, "six times the steps: better, still behind the best k-gram"
assert mlp_ce < kgram_val[best_k] - 0.03, "the MLP trained for minutes beats the best k-gram"
assert mlp_near_ce > mlp_same_chars_ce + 0.1, "the MLP uses the characters beyond the last four"
crossing = next(c for c in mlp_card["curve"] if c["val_nats_per_char"] < kgram_val[best_k])
assert 30 <= crossing["seconds"] <= 90, "the MLP's training crosses the 5-gram after about a minute"

per_pos = (-tiny_val_lp[: N_SCORED // BLOCK * BLOCK]).view(-1, BLOCK).mean(0)  # position p: p + 1 chars of context
assert float(per_pos[2] - per_pos[3:].min()) < 0.1, "TinyGPT (500 steps) gains little beyond 3 characters of context"
assert all(float(per_pos[c - 1]) > kgram_val[c + 1] + 0.2 for c in (3, 4)), \
    "with the same 3 or 4 characters of context, the k-gram is clearly better than TinyGPT"
fig, ax = plt.subplots(1, 3, figsize=(14, 3.2))
ax[0].plot(losses, lw=0.8, label="TinyGPT training loss (batch)")
for name, ce in ladder[1:5]:
    ax[0].axhline(ce, ls="--", lw=0.8, color="gray")
    ax[0].text(STEPS * 0.55, ce + 0.04, name, fontsize=8)
ax[0].set(xlabel="step", ylabel="nats / char", ylim=(1.4, 4.4), title="TinyGPT's training, k-grams for scale")
ax[1].plot(np.arange(1, BLOCK + 1), per_pos.numpy(), "o-", label="TinyGPT (position in its block)")
ax[1].plot(np.arange(0, K_MAX), [kgram_val[k] for k in range(1, K_MAX + 1)], "s--", label="k-gram (k - 1 chars)")
ax[1].axhline(mlp_ce, color="C2", label="ContextMLP (16 chars)")
ax[1].set(xlabel="characters of context", ylabel="validation nats / char", ylim=(1.4, 3.5),
          title="loss against context")
ax[1].legend(fontsize=8)
curve = mlp_card["curve"]
ax[2].plot([c["seconds"] / 60 for c in curve], [c["val_nats_per_char"] for c in curve], "o-", label="ContextMLP")
ax[2].axhline(kgram_val[best_k], ls="--", color="gray", label=f"{best_k}-gram")
ax[2].set(xlabel="training minutes (2-core CPU)", ylabel="validation nats / char", title="what minutes buy")
ax[2].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# **What the numbers show** (the asserts above check each sentence for every seed).
#
# - TinyGPT, trained for a few seconds, beats the bigram by a wide margin but **loses to the 5-gram** (and to the
#   3-gram). Its loss per position flattens after about three characters of context, and at three or four
#   characters of context the k-gram with the same context is clearly better: in 500 steps it has learned less from
#   what it sees than counting gets for free. More context only helps a model that has learned to use it.
# - Six times the steps (the 3,000-step checkpoint) close much of the gap but still leave TinyGPT behind the
#   5-gram.
# - The **ContextMLP**, trained for minutes, beats the best k-gram; given the right last four characters but
#   wrong earlier ones its loss rises clearly, so the gain comes from context the 5-gram cannot see. Its training
#   curve (right) crosses the 5-gram after about a minute on two cores; what a network gains is bought with
#   compute that counting does not need.
# - The ladder's columns are one number each, divided differently: bits per byte is what a tokenizer cannot change;
#   per word, the very same models have perplexities from thousands (7,600 for the best) to billions (Part B's
#   question).
#
# The honest baseline for a small neural model is therefore not the bigram but the best smoothed k-gram. nanoGPT's
# 4-layer CPU run (1.88 nats/char after 2000 iterations) would still lose to it; its 6-layer GPU run (1.47) would not.

# %% [markdown]
# **Generation** one character at a time, left to right, sampling from $p_\theta(x_t \mid x_{<t})$: the causal
# structure at work.

# %% grading="skip"
finish_first({"causal_attention": "Part F", "token_nll": "Part F", "lm_train_step": "Part F"})
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
# ## Part G: Pseudo-likelihood, exact and on a trained masked model (9 points)
#
# **Goal.** Compare the exact likelihood of an AR model with the pseudo-likelihood that masked language models
# (BERT-style) are scored by: first on a joint distribution small enough to enumerate, then on a masked model you
# evaluate on real text.
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

# %% grading="skip"
finish_first({"log_likelihood": "Part G", "pseudo_log_likelihood": "Part G"})
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
_seed = 111  # per-submission seed
_rng = np.random.default_rng(_seed)
_cases = []
for _shape in [(3, 3, 3), (2, 5, 2, 2)]:
    _joint = _rng.dirichlet(np.ones(int(np.prod(_shape)))).reshape(_shape)
    for _x in list(itertools.product(*[range(v) for v in _shape]))[::4]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _cases.append((_shape, _joint, _x, frozen(log_likelihood(_joint, _x))))
### HIDDEN CHECKS
for _shape, _joint, _x, _got in _cases:
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
_seed = 222  # per-submission seed
_rng = np.random.default_rng(_seed)
_cases = []
for _shape in [(3, 3, 3), (2, 4, 3), (2, 2, 2, 2)]:
    _joint = _rng.dirichlet(np.full(int(np.prod(_shape)), 0.5)).reshape(_shape)
    for _x in list(itertools.product(*[range(v) for v in _shape]))[::2]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _cases.append((_shape, _joint, _x, frozen(pseudo_log_likelihood(_joint, _x))))
_joint = np.einsum("a,b,c->abc", *[_rng.dirichlet(np.ones(3)) for _ in range(3)])
_indep_cases = []
for _x in [(0, 1, 2), (2, 2, 0)]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _indep_cases.append((_x, frozen(pseudo_log_likelihood(_joint, _x))))
_j32 = _rng.dirichlet(np.ones(8)).reshape(2, 2, 2).astype(np.float32)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got32 = frozen(pseudo_log_likelihood(_j32, (1, 0, 1)))
### HIDDEN CHECKS
def _ref_pll(joint, x):
    joint = np.asarray(joint, np.float64)
    total = 0.0
    for t in range(joint.ndim):
        idx = list(x)
        idx[t] = slice(None)
        col = joint[tuple(idx)]
        total += math.log(col[x[t]] / col.sum())
    return total


for _shape, _joint_case, _x, _got in _cases:
    assert isinstance(_got, float), (f"table {_shape}, x={_x}: expected a Python float, got "
                                     f"{type(_got).__name__} of shape {np.shape(_got)}")
    if not np.isclose(float(_got), _ref_pll(_joint_case, _x), atol=1e-6, rtol=1e-5):
        check_close(f"table {_shape}, x={_x}", _got, _ref_pll(_joint_case, _x), atol=1e-6, rtol=1e-5,
                    hint="Hint: condition x_t on all the other variables, before and after it.")
print(f"{'random dependent tables':40s} all pseudo-log-likelihoods match")
for _x, _got in _indep_cases:
    check_close(f"independent 3x3x3, x={_x}", _got, math.log(_joint[_x]), atol=1e-6, rtol=1e-5)
check_close("float32 table", _got32, _ref_pll(_j32, (1, 0, 1)), atol=1e-5, rtol=1e-4)
### END HIDDEN TESTS

# %% [markdown]
# ### Pseudo-likelihood on a trained masked model
#
# The exact table above is a warm-up. Now the slides' point on a model of text: take **the same network** as
# TinyGPT with `causal=False` (every position attends to every other), add a `[MASK]` symbol to its input
# vocabulary, and train it on the same text for the same number of steps the way BERT is trained (Devlin et al.
# 2019): in each block, hide about 15 % of the characters behind `[MASK]` and predict them from everything else.
# (BERT also leaves some chosen characters unchanged or swaps them for random ones; we keep only the masking.)
#
# The model's **pseudo-log-likelihood** of a block (Salazar et al. 2020) masks **one** position at a time and scores
# the hidden character:
#
# $$\text{PLL}(x) = \sum_{t=1}^{T} \log p_\theta\big(x_t \mid x_{\setminus t}\big), \qquad
# x_{\setminus t} = (x_1, \dots, x_{t-1}, \texttt{[MASK]}, x_{t+1}, \dots, x_T),$$
#
# which costs $T$ forward passes per block, and its pseudo-perplexity is $\exp(-\text{PLL} / T)$. Note that the
# training objective is **not** this: training hides 15 % of the positions *jointly*, so a hidden character often has
# hidden neighbours, while the PLL hides exactly one.
#
# **Spec.** `masked_model_log_probs(net, ids, mask_id)`: `net` maps a `(B, T)` long tensor to logits `(B, T, V)` over
# the $V$ characters (it is bidirectional: every output may depend on every input); `ids` a `(B, T)` long tensor of
# characters (none equal to `mask_id`); `mask_id` the id of `[MASK]` (an input id that is not a character; the
# notebook's `MASK_ID` happens to be $V$, other nets may use another id: use the one passed in). Return a `(B, T)`
# float tensor whose entry `[b, t]` is $\log p_\theta(x_t \mid x_{\setminus t})$: the log-softmax of `net`'s logits
# **at position t** when **only** position t of block b is replaced by `mask_id`, taken at the true character
# `ids[b, t]`. One batched forward pass of all $B \cdot T$ masked copies is fastest; a loop over $t$ is fine. No
# gradient is needed.

# %% nbgrader={"grade_id": "masked_model_log_probs", "solution": true}
def masked_model_log_probs(net, ids, mask_id):
    """(B, T): log p(ids[b, t] | the block with only position t masked), from a bidirectional masked model."""
    ### BEGIN SOLUTION
    B, T = ids.shape
    masked = ids.unsqueeze(1).repeat(1, T, 1)  # (B, T copies, T): copy t of block b ...
    positions = torch.arange(T)
    masked[:, positions, positions] = mask_id  # ... has position t masked, and nothing else
    with torch.no_grad():
        logits = net(masked.reshape(B * T, T)).reshape(B, T, T, -1)  # (block, copy, position, V)
    at_masked = logits[:, positions, positions]  # copy t, read at its masked position t: (B, T, V)
    return at_masked.log_softmax(dim=-1).gather(-1, ids.unsqueeze(-1)).squeeze(-1)
    ### END SOLUTION


# %% [markdown]
# **The twin models** (loaded in Part F's locked `course_models` cell): `tiny_gpt_long` is TinyGPT trained as an AR
# model for 3,000 steps, `masked_lm` the same network with `causal=False` trained for the same 3,000 steps on the same
# batches, hiding about 15 % of each block's characters behind `MASK_ID` and predicting them
# (`data/char_models/README.md` says how). Below, both score the same 512 validation blocks of 16 characters:
# the AR model's perplexity within each block, the masked model's pseudo-perplexity with your function, and the
# masked model's loss when 15 % of the characters are hidden jointly, as in its training.

# %% grading="skip"
finish_first({"causal_attention": "Part F", "token_nll": "Part F", "masked_model_log_probs": "Part G"})
N_BLOCKS = 512
blocks = val_t[: N_BLOCKS * BLOCK].view(N_BLOCKS, BLOCK)
with torch.no_grad():
    ar_lp = -token_nll(tiny_gpt_long(blocks[:, :-1]), blocks[:, 1:])  # (N, 15): positions 1..15 from their prefix
mlm_lp = masked_model_log_probs(masked_lm, blocks, MASK_ID)[:, 1:]  # the same 15 positions, from both sides
assert tuple(mlm_lp.shape) == (N_BLOCKS, BLOCK - 1), "one log-probability per block and position"
ar_ppl, pseudo_ppl = math.exp(float(-ar_lp.mean())), math.exp(float(-mlm_lp.mean()))


def hide(x, rate, generator):
    """BERT-style input: each position hidden behind [MASK] with probability `rate` (at least one per block)."""
    hidden = torch.rand(x.shape, generator=generator) < rate
    hidden[torch.arange(len(x)), torch.randint(0, x.shape[1], (len(x),), generator=generator)] = True
    return x.masked_fill(hidden, MASK_ID), hidden


joint_gen = torch.Generator().manual_seed(SEED)
joint_nll = []
with torch.no_grad():
    for _ in range(4):  # four random 15 % maskings of every block
        x_in, hidden = hide(blocks, pair_card["mask_rate"], joint_gen)
        joint_nll.append(token_nll(masked_lm(x_in)[hidden], blocks[hidden]))
joint_ce = float(torch.cat(joint_nll).mean())
print(f"AR model, 3,000 steps    : perplexity        {ar_ppl:6.3f}  ({math.log(ar_ppl):.3f} nats/char, left context)")
print(f"masked twin, one hidden  : pseudo-perplexity {pseudo_ppl:6.3f}  ({math.log(pseudo_ppl):.3f} nats/char, both sides)")
print(f"masked twin, 15 % hidden : exp(loss)         {math.exp(joint_ce):6.3f}  ({joint_ce:.3f} nats per hidden char)")
# What the text below says, checked for every seed:
assert pseudo_ppl < 0.8 * ar_ppl, "the pseudo-perplexity is well below the AR perplexity"
assert joint_ce > math.log(pseudo_ppl) + 0.05, "hiding 15 % jointly is harder than hiding one character"

per_pos_ar, per_pos_mlm = (-ar_lp).mean(0).numpy(), (-mlm_lp).mean(0).numpy()
assert per_pos_mlm.argmax() == BLOCK - 2 and per_pos_mlm[3:12].mean() < per_pos_mlm[[0, -1]].min(), \
    "the masked model is worst at the last position (left context only), best in the middle (both sides)"
assert per_pos_mlm[-1] > per_pos_ar[-1], "at the last position (left context only) the AR model is better"
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.arange(1, BLOCK), per_pos_ar, "o-", label="AR: log p(x_t | x_<t)")
ax.plot(np.arange(1, BLOCK), per_pos_mlm, "s-", label=r"masked: log p(x_t | x$_{\setminus t}$)")
ax.set(xlabel="position t in the block", ylabel="nats / char", title="validation, same network, same steps")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# **What the numbers show** (checked by the asserts above). The same network, trained for the same 3,000 steps on the
# same text, reports a pseudo-perplexity well below the AR model's perplexity (about 4.8 against 6.5). That does not
# make it the better language model: the AR number is the per-character cost of the whole block under a
# distribution that sums to 1, while each pseudo-likelihood factor sees the characters on *both* sides of the one
# it predicts. The masked curve is lowest in the middle of the block, where both sides are present, and highest at
# the last position, where only the left side is; there it is *worse* than the AR model, which was trained for
# exactly that case. The masked model's loss with 15 % hidden jointly, as in its training, is higher than its
# per-character pseudo-NLL, because hidden characters often have hidden neighbours: pseudo-likelihood is not even
# what BERT-style training optimises, only its one-mask-at-a-time limit. (The masked model gets a training signal
# from only about 15 % of the characters of each step, the motivation of ELECTRA, Clark et al. 2020; this is why the
# pair was trained for 3,000 steps rather than Part F's 500.)

# %% nbgrader={"grade_id": "test_masked_model_log_probs_values", "grade": true, "points": 2}
"""masked_model_log_probs: equals a loop that masks one position at a time and reads the log-softmax there, with
the mask_id passed in (one net has three spare input ids and a mask_id that is neither V nor the last input id)."""
class _MixNet(nn.Module):
    """A small bidirectional net: every output position sees every input position."""

    def __init__(self, n_in, n_out, T, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.emb = nn.Embedding(n_in, 3)
        self.mix = nn.Linear(3 * T, n_out * T)
        self.T, self.n_out = T, n_out

    def forward(self, x):
        return self.mix(self.emb(x).flatten(1)).view(len(x), self.T, self.n_out)


def _ref_masked_log_probs(net, ids, mask_id):
    out = torch.empty(ids.shape, dtype=torch.float64)
    with torch.no_grad():
        for t in range(ids.shape[1]):
            x = ids.clone()
            x[:, t] = mask_id
            out[:, t] = net(x)[:, t].double().log_softmax(-1).gather(-1, ids[:, t:t + 1]).squeeze(-1)
    return out


_net = _MixNet(6, 5, 4, seed=0)
_ids = torch.tensor([[0, 1, 2, 3], [4, 4, 0, 1]])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = masked_model_log_probs(_net, _ids, 5)
check_close("2 blocks of 4, V=5, mask id 5", _got, _ref_masked_log_probs(_net, _ids, 5), atol=1e-5, rtol=1e-5,
            hint="Hint: copy t masks position t only and is read at position t, at the true character.")
### BEGIN HIDDEN TESTS
_first_seed = 1  # per-submission seed
_cases = []
for _B, _T, _V, _n_in, _mask_id, _seed in [(3, 7, 9, 10, 9, _first_seed), (1, 1, 4, 5, 4, _first_seed + 1),
                                            (5, 16, 65, 66, 65, _first_seed + 2), (4, 6, 7, 10, 8, _first_seed + 3)]:
    _net = _MixNet(_n_in, _V, _T, seed=_seed)
    _ids = torch.randint(0, _V, (_B, _T), generator=torch.Generator().manual_seed(_seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _cases.append((_B, _T, _V, _mask_id, _net, _ids, frozen(masked_model_log_probs(_net, _ids, _mask_id))))
### HIDDEN CHECKS
for _B, _T, _V, _mask_id, _net, _ids, _got in _cases:
    assert torch.is_tensor(_got) and tuple(_got.shape) == (_B, _T), \
        f"B={_B}, T={_T}: expected a ({_B}, {_T}) tensor, got {getattr(_got, 'shape', type(_got).__name__)}"
    check_close(f"{_B} blocks of {_T}, V={_V}, mask id {_mask_id}", _got, _ref_masked_log_probs(_net, _ids, _mask_id),
                atol=1e-5, rtol=1e-5, hint="Hint: natural-log probabilities, normalised over the V characters at the "
                                           "masked position; mask with the mask_id you are given.")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_masked_model_log_probs_hides_the_token", "grade": true, "points": 1}
"""masked_model_log_probs: the score at t never sees x_t, so over all values of x_t the probabilities sum to 1."""
class _CopyNet(nn.Module):
    """Bidirectional and leaky on purpose: position t's logits favour the character at t, unless it is masked."""

    def __init__(self, n_out):
        super().__init__()
        self.n_out = n_out

    def forward(self, x):
        logits = 0.3 * torch.arange(self.n_out, dtype=torch.float32).expand(*x.shape, self.n_out).clone()
        logits = logits + 0.1 * x.roll(1, dims=1).clamp(max=self.n_out - 1).unsqueeze(-1).float()
        return logits + 4.0 * F.one_hot(x.clamp(max=self.n_out - 1), self.n_out) * (x < self.n_out).unsqueeze(-1)


_V, _T = 5, 4
_base = torch.tensor([[1, 3, 0, 2]])
for _t in range(_T):
    _variants = _base.repeat(_V, 1)
    _variants[:, _t] = torch.arange(_V)  # every value of x_t, the other positions fixed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _got = _as_float_array(masked_model_log_probs(_CopyNet(_V), _variants, _V))[:, _t]
    _total = float(np.exp(_got).sum())
    assert abs(_total - 1.0) < 1e-5, (f"position {_t}: p(x_t = v | rest) summed over the {_V} values v is {_total:.4f}, "
                                      f"not 1. Hint: the score at t must not see x_t (mask position t before scoring it), and must be a "
                                      f"natural-log probability normalised over the {_V} characters.")
### BEGIN HIDDEN TESTS
_V, _T = 7, 6
_base = torch.randint(0, _V, (2, _T), generator=torch.Generator().manual_seed(9))
_cases = []
for _b in range(2):
    for _t in range(_T):
        _variants = _base[_b:_b + 1].repeat(_V, 1)
        _variants[:, _t] = torch.arange(_V)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _cases.append((_b, _t, frozen(masked_model_log_probs(_CopyNet(_V), _variants, _V))))
### HIDDEN CHECKS
for _b, _t, _answer in _cases:
    _got = _as_float_array(_answer)[:, _t]
    assert abs(float(np.exp(_got).sum()) - 1.0) < 1e-5, f"block {_b}, position {_t}: the score saw x_t"
### END HIDDEN TESTS

# %% [markdown]
# **Question (written, 2 points).** Above, the masked model reports a pseudo-perplexity well below the AR model's
# perplexity on the same validation blocks (same network, data and steps). Is the masked model the better language
# model? Why is a pseudo-perplexity not comparable with an AR perplexity? Use what both experiments of this part
# show (the exact table and the trained models), and say whether the masked model's 15 % training loss is its
# pseudo-likelihood.

# %% [markdown] nbgrader={"grade_id": "pseudo_perplexity_answer", "solution": true, "grade": true, "points": 2}
# ### BEGIN SOLUTION
# **Model answer.** No conclusion can be drawn from the two numbers. (1) The pseudo-likelihood is **not a
# probability distribution over sequences**: $\sum_x \prod_t p(x_t \mid x_{\setminus t}) \ne 1$ (about 1.6 for the
# sticky table), so $\exp(-\text{PLL}/T)$ is not the perplexity of any model's likelihood and has none of its
# guarantees (not a cross-entropy with the data, not bounded below by the entropy, not a code length). (2) Each
# factor conditions on **both sides**, including the future characters an AR model must predict without: a much
# easier task. Even for the *true* distribution the expected pseudo-NLL $\sum_t H(X_t \mid X_{\setminus t})$ is at
# most the entropy $H(X) = \sum_t H(X_t \mid X_{<t})$ (conditioning never increases entropy): 2.67 vs 2.96 nats on
# the table. On text the gap is large: the masked curve is lowest mid-block where both sides are present. So the
# pseudo-perplexity is systematically lower and on a different scale; it says nothing about which model is better.
# (3) The masked model's training loss (15 % hidden jointly) is higher than its per-character pseudo-NLL, because
# hidden characters often have hidden neighbours: BERT-style training does not optimise the PLL exactly either.
# Compare masked models with each other via pseudo-perplexity, AR models via perplexity, or both on a downstream
# task.
#
# **Rubric (2 points).**
# - 1 point: the pseudo-likelihood does not normalise / is not a likelihood of the sequence (so its
#   "perplexity" is not a perplexity).
# - 1 point: each term conditions on the future as well as the past (more context, easier prediction), so
#   pseudo-perplexity is systematically lower, e.g. expected pseudo-NLL <= entropy, or the per-position curves.
#   Answering "yes, the masked model is better" caps the question at 0.5. Saying the 15 % loss is not the PLL is
#   welcome, not required.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - The chain rule makes an AR model's likelihood exact; its loss is the per-token cross-entropy, its perplexity
#   the exponential of that loss (natural log with $e$, bits with 2, the same number).
# - A loss is a total NLL divided by a count: per token it depends on the tokenizer, per byte it does not.
# - $H(p, q) = H(p) + D_{\text{KL}}(p \| q) \ge H(p)$: the entropy of the data is the floor of any model's loss,
#   and a single zero probability on something that happens makes it infinite.
# - "Perplexity of a corpus" needs the averaging spelled out; papers pool tokens.
# - On tiny Shakespeare the honest ladder is uniform, unigram, bigram, ..., the 5-gram (about 1.75 nats/char);
#   a transformer trained for seconds beats the bigram but not the 5-gram, and a network trained for minutes on the
#   previous 16 characters beats it by using context the 5-gram cannot see.
# - Pseudo-likelihood does not normalise and conditions on the future: a trained masked model's pseudo-perplexity
#   is well below the AR perplexity of the same network, and is not a perplexity.
