"""Wrong and alternative answers for 02_autoregressive (see autograder/AUTHORING.md).

Every WRONG variant must lose points in at least one listed test cell; every ALTERNATIVE must pass all of them.
"""

# graded function -> the grade_ids of the test cells that grade it
TESTS = {
    "chain_rule_log_probs": ["test_chain_rule_log_probs"],
    "perplexity": ["test_perplexity"],
    "entropy": ["test_entropy"],
    "cross_entropy": ["test_cross_entropy"],
    "kl_divergence": ["test_kl_divergence"],
    "corpus_perplexity": ["test_corpus_perplexity"],
    "disagreeing_corpus": ["test_disagreeing_corpus"],
    "bigram_counts": ["test_bigram_counts"],
    "bigram_log_probs": ["test_bigram_log_probs"],
    "sequence_log_probs": ["test_sequence_log_probs"],
    "causal_mask": ["test_causal_mask"],
    "token_nll": ["test_token_nll"],
    "log_likelihood": ["test_log_likelihood"],
    "pseudo_log_likelihood": ["test_pseudo_log_likelihood"],
}

WRONG = {
    "chain_rule_log_probs": {
        "marginals_not_conditionals": '''
import numpy as np
def chain_rule_log_probs(joint, x):
    joint = np.asarray(joint, dtype=np.float64)
    T = joint.ndim
    return np.array([np.log(joint.sum(axis=tuple(a for a in range(T) if a != t))[x[t]]) for t in range(T)])
''',
        "prefix_joint_not_ratio": '''
import numpy as np
def chain_rule_log_probs(joint, x):
    joint = np.asarray(joint, dtype=np.float64)
    T = joint.ndim
    return np.array([np.log(joint.sum(axis=tuple(range(t, T)))[tuple(x[:t])]) for t in range(1, T + 1)])
''',
        "normalised_over_first_axis": '''
import numpy as np
def chain_rule_log_probs(joint, x):
    joint = np.asarray(joint, dtype=np.float64)
    T = joint.ndim
    out = []
    for t in range(1, T + 1):
        m = joint.sum(axis=tuple(range(t, T)))
        cond = m / m.sum(axis=0, keepdims=True)   # p(x_1 | x_2..x_t) instead of p(x_t | x_<t)
        out.append(np.log(cond[tuple(x[:t])]))
    return np.array(out)
''',
        "reverse_chain_rule": '''
import numpy as np
def chain_rule_log_probs(joint, x):
    # conditions on the suffix x_>t: the sum is still log p(x), but these are not the AR conditionals
    joint = np.asarray(joint, dtype=np.float64)
    T = joint.ndim
    out = np.empty(T)
    for t in range(T):
        m = joint.sum(axis=tuple(range(0, t)))            # p(x_t..x_T)
        m_next = m.sum(axis=0)                             # p(x_{t+1}..x_T)
        out[t] = np.log(m[tuple(x[t:])]) - (np.log(m_next[tuple(x[t + 1:])]) if t < T - 1 else 0.0)
    return out
''',
        "log2": '''
import numpy as np
def chain_rule_log_probs(joint, x):
    joint = np.asarray(joint, dtype=np.float64)
    T = joint.ndim
    logs = [0.0] + [np.log2(joint.sum(axis=tuple(range(t, T)))[tuple(x[:t])]) for t in range(1, T + 1)]
    return np.diff(logs)
''',
    },
    "perplexity": {
        "log2_base": '''
import numpy as np
def perplexity(token_log_probs):
    lp = np.asarray(token_log_probs.detach() if hasattr(token_log_probs, "detach") else token_log_probs, float)
    return float(2 ** (-lp.mean()))
''',
        "sum_not_mean": '''
import numpy as np
def perplexity(token_log_probs):
    lp = np.asarray(token_log_probs.detach() if hasattr(token_log_probs, "detach") else token_log_probs, float)
    return float(np.exp(-lp.sum()))
''',
        "product_formula_underflows": '''
import numpy as np
def perplexity(token_log_probs):
    lp = np.asarray(token_log_probs.detach() if hasattr(token_log_probs, "detach") else token_log_probs, float)
    return float(np.prod(np.exp(lp)) ** (-1.0 / len(lp)))
''',
        "mean_of_inverse_probs": '''
import numpy as np
def perplexity(token_log_probs):
    lp = np.asarray(token_log_probs.detach() if hasattr(token_log_probs, "detach") else token_log_probs, float)
    return float(np.mean(np.exp(-lp)))
''',
        "divides_by_T_minus_1": '''
import numpy as np
def perplexity(token_log_probs):
    lp = np.asarray(token_log_probs.detach() if hasattr(token_log_probs, "detach") else token_log_probs, float)
    return float(np.exp(-lp.sum() / (len(lp) - 1)))
''',
        "returns_tensor": '''
import torch
def perplexity(token_log_probs):
    return torch.exp(-torch.as_tensor(token_log_probs, dtype=torch.float64).mean())
''',
    },
    "entropy": {
        "log2_default": '''
import numpy as np
def entropy(p, base=None):
    p = np.asarray(p, dtype=np.float64)
    logp = np.log2(np.where(p > 0, p, 1.0)) if base is None else np.log(np.where(p > 0, p, 1.0)) / np.log(base)
    return -(p * logp).sum(axis=-1)
''',
        "nan_from_0log0": '''
import numpy as np, math
def entropy(p, base=math.e):
    p = np.asarray(p, dtype=np.float64)
    return -(p * np.log(p)).sum(axis=-1) / math.log(base)
''',
        "wrong_axis": '''
import numpy as np, math
def entropy(p, base=math.e):
    p = np.asarray(p, dtype=np.float64)
    return -(p * np.log(np.where(p > 0, p, 1.0))).sum(axis=0) / math.log(base)
''',
        "ignores_base": '''
import numpy as np, math
def entropy(p, base=math.e):
    p = np.asarray(p, dtype=np.float64)
    return -(p * np.log(np.where(p > 0, p, 1.0))).sum(axis=-1)
''',
        "mean_not_sum": '''
import numpy as np, math
def entropy(p, base=math.e):
    p = np.asarray(p, dtype=np.float64)
    return -(p * np.log(np.where(p > 0, p, 1.0))).mean(axis=-1) / math.log(base)
''',
    },
    "cross_entropy": {
        "arguments_swapped": '''
import numpy as np, math
def cross_entropy(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    return np.where(q > 0, -q * np.log(np.where(p > 0, p, 1e-300)), 0.0).sum(axis=-1) / math.log(base)
''',
        "nan_from_0log0": '''
import numpy as np, math
def cross_entropy(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    return -(p * np.log(q)).sum(axis=-1) / math.log(base)
''',
        "clipped_q_is_finite": '''
import numpy as np, math
def cross_entropy(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    return -(p * np.log(np.clip(q, 1e-12, 1.0))).sum(axis=-1) / math.log(base)
''',
        "entropy_of_p": '''
import numpy as np, math
def cross_entropy(p, q, base=math.e):
    p = np.asarray(p, np.float64)
    return -(p * np.log(np.where(p > 0, p, 1.0))).sum(axis=-1) / math.log(base)
''',
        "log2_default": '''
import numpy as np
def cross_entropy(p, q, base=2):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    with np.errstate(divide="ignore"):
        lq = np.log(q) / np.log(base)
    return np.where(p > 0, -p * lq, 0.0).sum(axis=-1)
''',
    },
    "kl_divergence": {
        "direction_swapped": '''
import numpy as np, math
def kl_divergence(p, q, base=math.e):
    p, q = np.asarray(q, np.float64), np.asarray(p, np.float64)
    with np.errstate(divide="ignore"):
        lr = np.log(np.where(p > 0, p, 1.0)) - np.log(q)
    return np.where(p > 0, p * lr, 0.0).sum(axis=-1) / math.log(base)
''',
        "nan_from_0log0": '''
import numpy as np, math
def kl_divergence(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    return (p * np.log(p / q)).sum(axis=-1) / math.log(base)
''',
        "cross_entropy_not_kl": '''
import numpy as np, math
def kl_divergence(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    with np.errstate(divide="ignore"):
        lq = np.log(q)
    return np.where(p > 0, -p * lq, 0.0).sum(axis=-1) / math.log(base)
''',
        "wrong_axis": '''
import numpy as np, math
def kl_divergence(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    with np.errstate(divide="ignore"):
        lr = np.log(np.where(p > 0, p, 1.0)) - np.log(q)
    return np.where(p > 0, p * lr, 0.0).sum(axis=0) / math.log(base)
''',
        "log2_ignores_base": '''
import numpy as np, math
def kl_divergence(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    with np.errstate(divide="ignore"):
        lr = np.log2(np.where(p > 0, p, 1.0)) - np.log2(q)
    return np.where(p > 0, p * lr, 0.0).sum(axis=-1)
''',
    },
    "corpus_perplexity": {
        "averages_swapped": '''
import numpy as np
def corpus_perplexity(seq_log_probs, average):
    seqs = [np.asarray(s, np.float64) for s in seq_log_probs]
    if average == "sequence":
        return float(np.exp(-np.concatenate(seqs).mean()))
    if average == "token":
        return float(np.exp(-np.mean([s.mean() for s in seqs])))
    raise ValueError(average)
''',
        "mean_of_sequence_perplexities": '''
import numpy as np
def corpus_perplexity(seq_log_probs, average):
    seqs = [np.asarray(s, np.float64) for s in seq_log_probs]
    if average == "token":
        return float(np.exp(-np.concatenate(seqs).mean()))
    if average == "sequence":
        return float(np.mean([np.exp(-s.mean()) for s in seqs]))
    raise ValueError(average)
''',
        "token_sum_over_num_sequences": '''
import numpy as np
def corpus_perplexity(seq_log_probs, average):
    seqs = [np.asarray(s, np.float64) for s in seq_log_probs]
    if average == "token":
        return float(np.exp(-np.concatenate(seqs).sum() / len(seqs)))
    if average == "sequence":
        return float(np.exp(-np.mean([s.mean() for s in seqs])))
    raise ValueError(average)
''',
        "sequence_without_length_normalisation": '''
import numpy as np
def corpus_perplexity(seq_log_probs, average):
    seqs = [np.asarray(s, np.float64) for s in seq_log_probs]
    if average == "token":
        return float(np.exp(-np.concatenate(seqs).mean()))
    if average == "sequence":
        return float(np.exp(-np.mean([s.sum() for s in seqs]) / np.mean([len(s) for s in seqs])))
    raise ValueError(average)
''',
        "no_value_error": '''
import numpy as np
def corpus_perplexity(seq_log_probs, average):
    seqs = [np.asarray(s, np.float64) for s in seq_log_probs]
    if average == "sequence":
        return float(np.exp(-np.mean([s.mean() for s in seqs])))
    return float(np.exp(-np.concatenate(seqs).mean()))
''',
    },
    "disagreeing_corpus": {
        "equal_lengths": '''
import numpy as np
def disagreeing_corpus():
    return [np.log(np.full(5, 0.01)), np.log(np.full(5, 0.9))]
''',
        "single_sequence": '''
import numpy as np
def disagreeing_corpus():
    return [np.log(np.array([0.01, 0.9, 0.9, 0.9]))]
''',
        "positive_log_probs": '''
import numpy as np
def disagreeing_corpus():
    return [np.array([5.0]), np.zeros(10)]
''',
        "differ_too_little": '''
import numpy as np
def disagreeing_corpus():
    return [np.log(np.array([0.4])), np.log(np.full(3, 0.6))]
''',
    },
    "bigram_counts": {
        "transposed": '''
import numpy as np
def bigram_counts(ids, vocab_size):
    c = np.zeros((vocab_size, vocab_size), dtype=np.int64)
    np.add.at(c, (ids[1:], ids[:-1]), 1)
    return c
''',
        "fancy_index_loses_repeats": '''
import numpy as np
def bigram_counts(ids, vocab_size):
    c = np.zeros((vocab_size, vocab_size), dtype=np.int64)
    c[ids[:-1], ids[1:]] += 1
    return c
''',
        "off_by_one_misses_last_pair": '''
import numpy as np
def bigram_counts(ids, vocab_size):
    c = np.zeros((vocab_size, vocab_size), dtype=np.int64)
    for t in range(len(ids) - 2):
        c[ids[t], ids[t + 1]] += 1
    return c
''',
        "float_counts": '''
import numpy as np
def bigram_counts(ids, vocab_size):
    c, _, _ = np.histogram2d(ids[:-1], ids[1:], bins=vocab_size, range=[[0, vocab_size], [0, vocab_size]])
    return c
''',
        "skips_one": '''
import numpy as np
def bigram_counts(ids, vocab_size):
    c = np.zeros((vocab_size, vocab_size), dtype=np.int64)
    np.add.at(c, (ids[:-2], ids[2:]), 1)
    return c
''',
    },
    "bigram_log_probs": {
        "normalised_over_columns": '''
import numpy as np
def bigram_log_probs(counts, alpha):
    c = np.asarray(counts, np.float64) + alpha
    with np.errstate(divide="ignore"):
        return np.log(c) - np.log(c.sum(axis=0, keepdims=True))
''',
        "no_V_alpha_in_denominator": '''
import numpy as np
def bigram_log_probs(counts, alpha):
    c = np.asarray(counts, np.float64)
    with np.errstate(divide="ignore"):
        return np.log(c + alpha) - np.log(c.sum(axis=1, keepdims=True))
''',
        "alpha_not_alpha_V": '''
import numpy as np
def bigram_log_probs(counts, alpha):
    c = np.asarray(counts, np.float64)
    with np.errstate(divide="ignore"):
        return np.log(c + alpha) - np.log(c.sum(axis=1, keepdims=True) + alpha)
''',
        "smooths_only_zeros": '''
import numpy as np
def bigram_log_probs(counts, alpha):
    c = np.asarray(counts, np.float64)
    c = np.where(c == 0, alpha, c)
    with np.errstate(divide="ignore"):
        return np.log(c) - np.log(c.sum(axis=1, keepdims=True))
''',
        "joint_not_conditional": '''
import numpy as np
def bigram_log_probs(counts, alpha):
    c = np.asarray(counts, np.float64) + alpha
    with np.errstate(divide="ignore"):
        return np.log(c) - np.log(c.sum())
''',
        "log2": '''
import numpy as np
def bigram_log_probs(counts, alpha):
    c = np.asarray(counts, np.float64) + alpha
    with np.errstate(divide="ignore"):
        return np.log2(c) - np.log2(c.sum(axis=1, keepdims=True))
''',
        "returns_probabilities": '''
import numpy as np
def bigram_log_probs(counts, alpha):
    c = np.asarray(counts, np.float64) + alpha
    return c / c.sum(axis=1, keepdims=True)
''',
    },
    "sequence_log_probs": {
        "transposed_lookup": '''
import numpy as np
def sequence_log_probs(log_prob_table, ids):
    ids = np.asarray(ids)
    return np.asarray(log_prob_table)[ids[1:], ids[:-1]]
''',
        "includes_first_token": '''
import numpy as np
def sequence_log_probs(log_prob_table, ids):
    ids = np.asarray(ids)
    return np.asarray(log_prob_table)[np.concatenate([ids[:1], ids[:-1]]), ids]
''',
        "off_by_one_shift": '''
import numpy as np
def sequence_log_probs(log_prob_table, ids):
    ids = np.asarray(ids)
    return np.asarray(log_prob_table)[ids[:-1], np.roll(ids, -2)[:-1]]
''',
        "sum_not_per_token": '''
import numpy as np
def sequence_log_probs(log_prob_table, ids):
    ids = np.asarray(ids)
    return np.asarray(log_prob_table)[ids[:-1], ids[1:]].sum()
''',
    },
    "causal_mask": {
        "upper_triangular_future_in": '''
import torch
def causal_mask(T):
    return torch.triu(torch.ones(T, T, dtype=torch.bool))
''',
        "strictly_lower_no_self": '''
import torch
def causal_mask(T):
    return torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=-1)
''',
        "inverted_true_means_blocked": '''
import torch
def causal_mask(T):
    return torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
''',
        "float_mask": '''
import torch
def causal_mask(T):
    return torch.tril(torch.ones(T, T))
''',
        "all_true": '''
import torch
def causal_mask(T):
    return torch.ones(T, T, dtype=torch.bool)
''',
        "numpy_not_tensor": '''
import numpy as np
def causal_mask(T):
    return np.tril(np.ones((T, T), dtype=bool))
''',
        "one_step_of_future": '''
import torch
def causal_mask(T):
    return torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=1)
''',
    },
    "token_nll": {
        "naive_exp_overflows": '''
import torch
def token_nll(logits, targets):
    e = torch.exp(logits)
    p = e / e.sum(dim=-1, keepdim=True)
    return -torch.log(p.gather(-1, targets.unsqueeze(-1)).squeeze(-1))
''',
        "log_of_softmax_underflows": '''
import torch
def token_nll(logits, targets):
    return -torch.log(torch.softmax(logits, dim=-1)).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
''',
        "softmax_over_wrong_dim": '''
import torch
def token_nll(logits, targets):
    return -torch.log_softmax(logits, dim=0).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
''',
        "returns_mean": '''
import torch
def token_nll(logits, targets):
    return -torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1).mean()
''',
        "missing_minus": '''
import torch
def token_nll(logits, targets):
    return torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
''',
        "log2": '''
import math, torch
def token_nll(logits, targets):
    return -torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1) / math.log(2)
''',
        "targets_shifted_by_one": '''
import torch
def token_nll(logits, targets):
    shifted = torch.roll(targets, shifts=-1, dims=-1)
    return -torch.log_softmax(logits, dim=-1).gather(-1, shifted.unsqueeze(-1)).squeeze(-1)
''',
    },
    "log_likelihood": {
        "log2": '''
import numpy as np
def log_likelihood(joint, x):
    return float(np.log2(np.asarray(joint)[tuple(x)]))
''',
        "probability_not_log": '''
import numpy as np
def log_likelihood(joint, x):
    return float(np.asarray(joint)[tuple(x)])
''',
        "independence_assumed": '''
import numpy as np
def log_likelihood(joint, x):
    joint = np.asarray(joint, np.float64)
    T = joint.ndim
    return float(sum(np.log(joint.sum(axis=tuple(a for a in range(T) if a != t))[x[t]]) for t in range(T)))
''',
        "list_index_selects_rows": '''
import numpy as np
def log_likelihood(joint, x):
    return np.log(np.asarray(joint)[list(x)])
''',
        "returns_tensor": '''
import torch
def log_likelihood(joint, x):
    # right value, but a 0-d tensor where the spec asks for a Python float
    return torch.log(torch.as_tensor(joint, dtype=torch.float64)[tuple(x)])
''',
    },
    "pseudo_log_likelihood": {
        "marginals_wrong_axes": '''
import numpy as np
def pseudo_log_likelihood(joint, x):
    joint = np.asarray(joint, np.float64)
    T = joint.ndim
    return float(sum(np.log(joint.sum(axis=tuple(a for a in range(T) if a != t))[x[t]]) for t in range(T)))
''',
        "chain_rule_prefix_only": '''
import numpy as np
def pseudo_log_likelihood(joint, x):
    joint = np.asarray(joint, np.float64)
    T = joint.ndim
    logs = [0.0] + [np.log(joint.sum(axis=tuple(range(t, T)))[tuple(x[:t])]) for t in range(1, T + 1)]
    return float(logs[-1])
''',
        "always_normalise_axis_0": '''
import numpy as np
def pseudo_log_likelihood(joint, x):
    joint = np.asarray(joint, np.float64)
    cond = joint / joint.sum(axis=0, keepdims=True)
    return float(joint.ndim * np.log(cond[tuple(x)]))
''',
        "product_not_log": '''
import numpy as np
def pseudo_log_likelihood(joint, x):
    joint = np.asarray(joint, np.float64)
    out = 1.0
    for t in range(joint.ndim):
        idx = list(x)
        idx[t] = slice(None)
        col = joint[tuple(idx)]
        out *= col[x[t]] / col.sum()
    return float(out)
''',
        "mean_not_sum": '''
import numpy as np
def pseudo_log_likelihood(joint, x):
    joint = np.asarray(joint, np.float64)
    terms = []
    for t in range(joint.ndim):
        idx = list(x)
        idx[t] = slice(None)
        col = joint[tuple(idx)]
        terms.append(np.log(col[x[t]] / col.sum()))
    return float(np.mean(terms))
''',
        "returns_0d_array": '''
import numpy as np
def pseudo_log_likelihood(joint, x):
    # right value, but a 0-d numpy array where the spec asks for a Python float
    joint = np.asarray(joint, np.float64)
    total = np.zeros(())
    for t in range(joint.ndim):
        idx = list(x)
        idx[t] = slice(None)
        col = joint[tuple(idx)]
        total = total + np.log(col[x[t]] / col.sum())
    return np.asarray(total)
''',
        "suffix_only": '''
import numpy as np
def pseudo_log_likelihood(joint, x):
    # conditions x_t on the variables after it only
    joint = np.asarray(joint, np.float64)
    total = 0.0
    for t in range(joint.ndim):
        m = joint.sum(axis=tuple(range(t)))
        col = m[(slice(None),) + tuple(x[t + 1:])]
        total += np.log(col[x[t]] / col.sum())
    return float(total)
''',
    },
}

ALTERNATIVE = {
    "chain_rule_log_probs": {
        "float32_numpy": '''
import numpy as np
def chain_rule_log_probs(joint, x):
    joint = np.asarray(joint, dtype=np.float32)
    T = joint.ndim
    logs = [np.float32(0.0)] + [np.log(joint.sum(axis=tuple(range(t, T)))[tuple(x[:t])]) for t in range(1, T + 1)]
    return np.diff(np.array(logs, dtype=np.float32))
''',
        "conditional_tables": '''
import numpy as np
def chain_rule_log_probs(joint, x):
    joint = np.asarray(joint, dtype=np.float64)
    T = joint.ndim
    out = []
    for t in range(1, T + 1):
        m = joint.sum(axis=tuple(range(t, T)))          # p(x_1..x_t)
        cond = m / m.sum(axis=-1, keepdims=True)        # p(x_t | x_<t) for every prefix
        out.append(np.log(cond[tuple(x[:t])]))
    return np.array(out)
''',
        "torch": '''
import torch
def chain_rule_log_probs(joint, x):
    j = torch.as_tensor(joint, dtype=torch.float64)
    T = j.dim()
    prefix = [j.sum(dim=tuple(range(t, T))) if t < T else j for t in range(1, T + 1)]
    logs = torch.stack([torch.log(prefix[t - 1][tuple(x[:t])]) for t in range(1, T + 1)])
    return torch.diff(logs, prepend=torch.zeros(1, dtype=torch.float64))
''',
        "python_loops": '''
import itertools, math
import numpy as np
def chain_rule_log_probs(joint, x):
    joint = np.asarray(joint)
    T, V = joint.ndim, joint.shape
    out = []
    prev = 1.0
    for t in range(1, T + 1):
        total = 0.0
        for rest in itertools.product(*[range(v) for v in V[t:]]):
            total += float(joint[tuple(x[:t]) + rest])
        out.append(math.log(total / prev))
        prev = total
    return out
''',
    },
    "perplexity": {
        "torch_item": '''
import torch
def perplexity(token_log_probs):
    lp = torch.as_tensor(token_log_probs, dtype=torch.float64)
    return torch.exp(-lp.mean()).item()
''',
        "python_loop": '''
import math
def perplexity(token_log_probs):
    values = [float(v) for v in token_log_probs]
    return math.exp(-sum(values) / len(values))
''',
        "float32_internal": '''
import numpy as np
def perplexity(token_log_probs):
    lp = np.asarray(token_log_probs, dtype=np.float32)
    return float(np.exp(-lp.mean(dtype=np.float64)))
''',
        "log2_consistently": '''
import math
import numpy as np
def perplexity(token_log_probs):
    bits = np.asarray(token_log_probs, dtype=np.float64) / math.log(2)
    return float(2.0 ** (-bits.mean()))
''',
    },
    "entropy": {
        "torch_float32": '''
import math
import torch
def entropy(p, base=math.e):
    p = torch.tensor(p, dtype=torch.float32) if not torch.is_tensor(p) else p.float()
    return (-torch.special.xlogy(p, p).sum(dim=-1) / math.log(base)).numpy()
''',
        "scipy_stats": '''
import math
import numpy as np
import scipy.stats
def entropy(p, base=math.e):
    return scipy.stats.entropy(np.asarray(p, dtype=np.float64), base=base, axis=-1)
''',
        "scipy_entr": '''
import math
import numpy as np
from scipy.special import entr
def entropy(p, base=math.e):
    return entr(np.asarray(p, dtype=np.float64)).sum(axis=-1) / math.log(base)
''',
        "torch_xlogy": '''
import math
import torch
def entropy(p, base=math.e):
    p = torch.as_tensor(p, dtype=torch.float64)
    return (-torch.special.xlogy(p, p).sum(dim=-1) / math.log(base)).numpy()
''',
        "loop_over_rows": '''
import math
import numpy as np
def entropy(p, base=math.e):
    p = np.asarray(p, dtype=np.float64)
    flat = p.reshape(-1, p.shape[-1])
    out = np.array([-sum(v * math.log(v, base) for v in row if v > 0) for row in flat])
    return out.reshape(p.shape[:-1]) if p.ndim > 1 else float(out[0])
''',
    },
    "cross_entropy": {
        "float32_numpy": '''
import math
import numpy as np
def cross_entropy(p, q, base=math.e):
    p, q = np.asarray(p, np.float32), np.asarray(q, np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(q), np.float32(0.0))
    return terms.sum(axis=-1) / np.float32(math.log(base))
''',
        "scipy_xlogy": '''
import math
import numpy as np
from scipy.special import xlogy
def cross_entropy(p, q, base=math.e):
    return -xlogy(np.asarray(p, np.float64), np.asarray(q, np.float64)).sum(axis=-1) / math.log(base)
''',
        "entropy_plus_kl_scipy": '''
import math
import numpy as np
import scipy.stats
def cross_entropy(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    return scipy.stats.entropy(p, base=base, axis=-1) + scipy.stats.entropy(p, q, base=base, axis=-1)
''',
        "masked_log": '''
import math
import numpy as np
def cross_entropy(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    out = np.zeros(p.shape)
    mask = p > 0
    with np.errstate(divide="ignore"):
        out[mask] = -p[mask] * np.log(q[mask]) / math.log(base)
    return out.sum(axis=-1)
''',
    },
    "kl_divergence": {
        "torch_float32": '''
import math
import torch
def kl_divergence(p, q, base=math.e):
    p = torch.as_tensor(p).float()
    q = torch.as_tensor(q).float()
    terms = torch.special.xlogy(p, p) - torch.special.xlogy(p, q)
    return (terms.sum(dim=-1) / math.log(base)).numpy()
''',
        "scipy_rel_entr": '''
import math
import numpy as np
from scipy.special import rel_entr
def kl_divergence(p, q, base=math.e):
    return rel_entr(np.asarray(p, np.float64), np.asarray(q, np.float64)).sum(axis=-1) / math.log(base)
''',
        "scipy_stats_entropy": '''
import math
import numpy as np
import scipy.stats
def kl_divergence(p, q, base=math.e):
    return scipy.stats.entropy(np.asarray(p, np.float64), np.asarray(q, np.float64), base=base, axis=-1)
''',
        "cross_entropy_minus_entropy": '''
import math
def kl_divergence(p, q, base=math.e):
    return cross_entropy(p, q, base) - entropy(p, base)
''',
        "where_with_warnings": '''
import math
import numpy as np
def kl_divergence(p, q, base=math.e):
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    return np.where(p > 0, p * np.log(p / q), 0.0).sum(axis=-1) / math.log(base)
''',
    },
    "corpus_perplexity": {
        "float32_torch_from_lists": '''
import torch
def corpus_perplexity(seq_log_probs, average):
    seqs = [torch.tensor([float(v) for v in s]) for s in seq_log_probs]   # torch default dtype: float32
    if average == "token":
        return float(torch.exp(-torch.cat(seqs).mean()))
    if average == "sequence":
        return float(torch.exp(-torch.stack([s.mean() for s in seqs]).mean()))
    raise ValueError(average)
''',
        "reuses_perplexity": '''
import numpy as np
def corpus_perplexity(seq_log_probs, average):
    if average == "token":
        return perplexity(np.concatenate([np.asarray(s, np.float64) for s in seq_log_probs]))
    if average == "sequence":
        return perplexity(np.array([np.mean(np.asarray(s, np.float64)) for s in seq_log_probs]))
    raise ValueError(average)
''',
        "geometric_mean_of_sequence_ppl": '''
import math
def corpus_perplexity(seq_log_probs, average):
    if average not in ("token", "sequence"):
        raise ValueError("average must be 'token' or 'sequence'")
    if average == "token":
        total, count = 0.0, 0
        for s in seq_log_probs:
            for v in s:
                total += float(v)
                count += 1
        return math.exp(-total / count)
    ppls = [math.exp(-sum(float(v) for v in s) / len(s)) for s in seq_log_probs]
    return math.exp(sum(math.log(v) for v in ppls) / len(ppls))
''',
        "torch": '''
import torch
def corpus_perplexity(seq_log_probs, average):
    seqs = [torch.as_tensor(s, dtype=torch.float64) for s in seq_log_probs]
    if average == "token":
        return torch.exp(-torch.cat(seqs).mean()).item()
    elif average == "sequence":
        return torch.exp(-torch.stack([s.mean() for s in seqs]).mean()).item()
    raise ValueError(f"unknown average {average}")
''',
    },
    "disagreeing_corpus": {
        "long_hard_short_easy": '''
import numpy as np
def disagreeing_corpus():
    return [np.full(1, np.log(0.9)), np.full(50, np.log(0.01))]
''',
        "python_lists": '''
import math
def disagreeing_corpus():
    return [[math.log(0.001)], [math.log(0.99)] * 20, [math.log(0.5)] * 30]
''',
    },
    "bigram_counts": {
        "python_loop": '''
import numpy as np
def bigram_counts(ids, vocab_size):
    c = np.zeros((vocab_size, vocab_size), dtype=int)
    for a, b in zip(ids[:-1], ids[1:]):
        c[a, b] += 1
    return c
''',
        "bincount": '''
import numpy as np
def bigram_counts(ids, vocab_size):
    ids = np.asarray(ids)
    return np.bincount(ids[:-1] * vocab_size + ids[1:], minlength=vocab_size ** 2).reshape(vocab_size, vocab_size)
''',
        "torch_index_put": '''
import torch
def bigram_counts(ids, vocab_size):
    ids = torch.as_tensor(ids, dtype=torch.long)
    c = torch.zeros(vocab_size, vocab_size, dtype=torch.long)
    c.index_put_((ids[:-1], ids[1:]), torch.ones(len(ids) - 1, dtype=torch.long), accumulate=True)
    return c.numpy()
''',
        "counter": '''
from collections import Counter
import numpy as np
def bigram_counts(ids, vocab_size):
    c = np.zeros((vocab_size, vocab_size), dtype=np.int32)
    for (a, b), n in Counter(zip(ids[:-1].tolist(), ids[1:].tolist())).items():
        c[a, b] = n
    return c
''',
    },
    "bigram_log_probs": {
        "torch_float32": '''
import torch
def bigram_log_probs(counts, alpha):
    c = torch.as_tensor(counts).float() + alpha
    return torch.log(c) - torch.log(c.sum(dim=1, keepdim=True))
''',
        "torch_log_softmax": '''
import torch
def bigram_log_probs(counts, alpha):
    c = torch.as_tensor(counts, dtype=torch.float64)
    return torch.log_softmax(torch.log(c + alpha), dim=1).numpy()
''',
        "python_loops": '''
import math
import numpy as np
def bigram_log_probs(counts, alpha):
    V = len(counts)
    out = np.empty((V, V))
    for a in range(V):
        row_total = float(sum(counts[a])) + alpha * V
        for b in range(V):
            num = float(counts[a][b]) + alpha
            out[a, b] = math.log(num / row_total) if num > 0 else -math.inf
    return out
''',
        "scipy_logsumexp": '''
import numpy as np
from scipy.special import logsumexp
def bigram_log_probs(counts, alpha):
    with np.errstate(divide="ignore"):
        lc = np.log(np.asarray(counts, np.float64) + alpha)
    return lc - logsumexp(lc, axis=1, keepdims=True)
''',
    },
    "sequence_log_probs": {
        "float32": '''
import numpy as np
def sequence_log_probs(log_prob_table, ids):
    return np.asarray(log_prob_table, np.float32)[ids[:-1], ids[1:]]
''',
        "python_loop": '''
import numpy as np
def sequence_log_probs(log_prob_table, ids):
    return np.array([log_prob_table[ids[t - 1]][ids[t]] for t in range(1, len(ids))])
''',
        "torch_gather": '''
import torch
def sequence_log_probs(log_prob_table, ids):
    table = torch.as_tensor(log_prob_table, dtype=torch.float64)
    ids = torch.as_tensor(ids, dtype=torch.long)
    return table[ids[:-1]].gather(1, ids[1:, None]).squeeze(1)
''',
        "flat_take": '''
import numpy as np
def sequence_log_probs(log_prob_table, ids):
    table = np.asarray(log_prob_table)
    ids = np.asarray(ids)
    return np.take(table.ravel(), ids[:-1] * table.shape[1] + ids[1:])
''',
    },
    "causal_mask": {
        "arange_comparison": '''
import torch
def causal_mask(T):
    i = torch.arange(T)
    return i[:, None] >= i[None, :]
''',
        "not_strict_upper": '''
import torch
def causal_mask(T):
    return ~torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
''',
        "python_loop": '''
import torch
def causal_mask(T):
    m = torch.zeros(T, T, dtype=torch.bool)
    for i in range(T):
        for j in range(i + 1):
            m[i, j] = True
    return m
''',
        "float_then_bool": '''
import torch
def causal_mask(T):
    return torch.ones(T, T).tril().bool()
''',
    },
    "token_nll": {
        "f_cross_entropy_none": '''
import torch.nn.functional as F
def token_nll(logits, targets):
    V = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="none").reshape(targets.shape)
''',
        "log_softmax_gather": '''
import torch
def token_nll(logits, targets):
    return -torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
''',
        "manual_max_subtraction": '''
import torch
def token_nll(logits, targets):
    m = logits.max(dim=-1, keepdim=True).values
    lse = m.squeeze(-1) + torch.log(torch.exp(logits - m).sum(dim=-1))
    return lse - torch.take_along_dim(logits, targets.unsqueeze(-1), dim=-1).squeeze(-1)
''',
        "numpy_scipy": '''
import numpy as np
from scipy.special import log_softmax
def token_nll(logits, targets):
    z = logits.detach().cpu().numpy().astype(np.float64)
    t = targets.cpu().numpy()
    return -np.take_along_axis(log_softmax(z, axis=-1), t[..., None], axis=-1)[..., 0]
''',
    },
    "log_likelihood": {
        "float32": '''
import numpy as np
def log_likelihood(joint, x):
    return float(np.log(np.asarray(joint, np.float32)[tuple(x)]))
''',
        "chain_rule_sum": '''
import numpy as np
def log_likelihood(joint, x):
    joint = np.asarray(joint, np.float64)
    T = joint.ndim
    total, prev = 0.0, 0.0
    for t in range(1, T + 1):
        cur = np.log(joint.sum(axis=tuple(range(t, T)))[tuple(x[:t])])
        total += cur - prev
        prev = cur
    return float(total)
''',
        "torch_item": '''
import torch
def log_likelihood(joint, x):
    return torch.log(torch.as_tensor(joint, dtype=torch.float64)[tuple(x)]).item()
''',
        "ravel_multi_index": '''
import math
import numpy as np
def log_likelihood(joint, x):
    joint = np.asarray(joint)
    return math.log(float(joint.ravel()[np.ravel_multi_index(tuple(x), joint.shape)]))
''',
    },
    "pseudo_log_likelihood": {
        "float32_torch": '''
import torch
def pseudo_log_likelihood(joint, x):
    j = torch.as_tensor(joint).float()
    total = 0.0
    for t in range(j.dim()):
        idx = list(x)
        idx[t] = slice(None)
        col = j[tuple(idx)]
        total += float(torch.log(col[x[t]] / col.sum()))
    return total
''',
        "moveaxis": '''
import numpy as np
def pseudo_log_likelihood(joint, x):
    joint = np.asarray(joint, np.float64)
    total = 0.0
    for t in range(joint.ndim):
        moved = np.moveaxis(joint, t, 0)                       # x_t first
        rest = tuple(x[:t]) + tuple(x[t + 1:])
        column = moved[(slice(None),) + rest]
        total += np.log(column[x[t]]) - np.log(column.sum())
    return float(total)
''',
        "explicit_sum_over_values": '''
import math
def pseudo_log_likelihood(joint, x):
    total = 0.0
    V = joint.shape
    for t in range(len(x)):
        denom = 0.0
        for v in range(V[t]):
            y = list(x)
            y[t] = v
            denom += float(joint[tuple(y)])
        total += math.log(float(joint[tuple(x)]) / denom)
    return total
''',
        "torch_logsumexp": '''
import torch
def pseudo_log_likelihood(joint, x):
    lj = torch.log(torch.as_tensor(joint, dtype=torch.float64))
    total = torch.zeros((), dtype=torch.float64)
    for t in range(lj.dim()):
        idx = list(x)
        idx[t] = slice(None)
        column = lj[tuple(idx)]
        total = total + column[x[t]] - torch.logsumexp(column, dim=0)
    return total.item()
''',
    },
}
