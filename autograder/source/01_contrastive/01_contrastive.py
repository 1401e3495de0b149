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
# # Exercise session 1, notebook 1: contrastive learning, NCE, InfoNCE and mutual information
#
# CS-461 *Foundation Models and Generative AI*. This notebook follows the slides
# "Self-Supervised Learning: Contrastive Learning", "InfoNCE Loss" and "InfoNCE and Mutual
# Information". When you finish it you can
#
# * build positive and negative pairs without labels, for images and for text, and the similarity matrix of a
#   batch (Part A);
# * write the NCE loss so that it is numerically stable, and use it to learn a normalising constant (Part B);
# * write InfoNCE as an $N$-way classification (Part C);
# * derive $I(x;c) \ge \log N - \mathcal{L}_N$ step by step (Part D), check the key steps with numbers and find
#   the ceiling that cosine similarity and a temperature put on the bound (Part E);
# * **train a critic yourself** on correlated Gaussians, where the mutual information is known exactly, and see
#   that InfoNCE certifies at most $\log N$ nats (Part F);
# * run CPC's own setting, predicting $x_{t+k}$ from a context $c_t$, on a process whose $I(x_{t+k}; c_t)$ has a
#   closed form (Part G);
# * **write SimCLR's training step**, train a tiny encoder on handwritten digits, and measure it honestly against
#   raw pixels, PCA, a supervised network and a random one, across temperatures and batch sizes (Part H).
#
# **How this notebook is graded.** Replace each `raise NotImplementedError(...)` line with your code, and write
# your written answers in the cells that say "YOUR ANSWER HERE". Each graded function has a test cell right below it;
# the visible asserts help you, and further checks of the same kind, not shown here, decide the grade. Every loss is in
# **nats** (natural logarithm). Every torch function must accept `float32` and `float64` tensors and return
# results with the input's dtype and device (CPU or GPU). The tests of a training function check what it does (the loss
# goes down, the gradients reach every network, the result beats a stated baseline), never the instructor's exact
# numbers. Total: 36 points. The whole notebook, grading included, runs in under 30 s on a laptop CPU. A cell that
# uses an answer you have not written yet stops with a line that names the part to finish first (`FinishFirst`).
#
# **Seeds.** Every experiment draws its randomness from `SEED` (set in the next cell). The claims in the text hold for
# `SEED` = 0, 1, 2, 3 and 4 (the course's tests run all five); change it and rerun to see how much a number moves.

# %% nbgrader={"grade_id": "setup", "locked": true}
import math
import os
import re
import sys
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The tensors here are tiny: one thread avoids OpenMP start-up overhead and keeps timings stable
# on a shared CPU.
torch.set_num_threads(1)

# The experiments' seed (see "Seeds" above); the graders' own tests use fixed seeds of their own.
SEED = int(os.environ.get("COURSE_SEED", "0"))


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

# %% [markdown]
# ## Part A: Positive and negative pairs, for images and for text (5 points)
#
# **Goal.** Contrastive learning is *self-supervised*: it needs no labels, only a rule that says which
# pairs of inputs belong together. From the slides ("Defining Positive and Negative Pairs Without Labels"):
#
# * **in vision**, two augmented views (e.g. two crops) of the *same* image form a **positive pair**
#   $(+)$; views of *different* images form **negative pairs** $(-)$. Why? A cropped dog photo is still
#   a dog; different photos are likely different objects.
# * **in language**, "The dog barked" $\approx$ "The dog woofed" is a positive pair, while
#   "The cat meowed." is a different sentence: "The dog barked" $\neq$ random other sentences.
#
# We use scikit-learn's bundled $8\times 8$ handwritten digits (1797 images, no download). Our
# augmentation $t \sim \mathcal{T}$ shifts an image by a few pixels (a crop that keeps the size) and adds
# Gaussian pixel noise. For a batch $x_1,\dots,x_N$ we draw two views $v_i = t(x_i)$, $v'_i = t'(x_i)$:
#
# $$\text{positive pairs: } (v_i, v'_i), \qquad \text{negative pairs: } (v_i, v'_j),\ j \neq i .$$
#
# An encoder maps the views to embeddings $z_i = f(v_i)$, $z'_j = f'(v'_j)$, and the **similarity
# matrix** of the batch is
#
# $$S_{ij} = \cos(z_i, z'_j) = \frac{z_i^\top z'_j}{\lVert z_i \rVert\, \lVert z'_j \rVert}, \qquad i, j = 1, \dots, N .$$
#
# A good encoder puts the large values on the diagonal (positives) and small values elsewhere (negatives).

# %% nbgrader={"grade_id": "load_digits", "locked": true}
from sklearn.datasets import load_digits

_digits = load_digits()
# Pixel values are integers 0..16; scale to [0, 1]. float32 because we train on them in Part H.
digit_images = torch.tensor(_digits.images / 16.0, dtype=torch.float32)   # (1797, 8, 8)
digit_labels = np.asarray(_digits.target)                                  # (1797,), only for the probe
print("digits:", tuple(digit_images.shape), digit_images.dtype, "labels:", np.bincount(digit_labels))

# %% grading="skip"
# The first ten digits and their labels.
fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
for ax, img, lab in zip(axes, digit_images[:10], digit_labels[:10]):
    ax.imshow(img.numpy(), cmap="gray_r")
    ax.set_title(str(lab))
    ax.axis("off")
plt.show()

# %% [markdown]
# ### A.1 Shifting images [1 of the 5 points]
#
# Shift each image of a batch by an integer number of pixels, filling the pixels that enter the frame
# with $0$ (background), **not** wrapping around:
#
# $$\text{out}[b, i, j] = \begin{cases} \text{images}[b,\ i - \Delta y_b,\ j - \Delta x_b] & \text{if } 0 \le i - \Delta y_b < H \text{ and } 0 \le j - \Delta x_b < W \\ 0 & \text{otherwise.} \end{cases}$$
#
# A positive $\Delta x$ moves the content **right**, a positive $\Delta y$ moves it **down**.
#
# **Spec.** `shift_images(images, dx, dy)`: `images` float tensor `(B, H, W)`; `dx`, `dy` integer
# tensors `(B,)` (any integers: a shift of $W$ or more leaves an all-zero image). Returns a new
# `(B, H, W)` tensor with the dtype and device of `images`; the input is not modified.

# %% nbgrader={"grade_id": "shift_images", "solution": true}
def shift_images(images: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """Shift image b by (dx[b], dy[b]) pixels (right, down), zero fill, no wrap-around."""
    ### BEGIN SOLUTION
    B, H, W = images.shape
    dx = torch.as_tensor(dx, device=images.device).long().view(B, 1, 1)
    dy = torch.as_tensor(dy, device=images.device).long().view(B, 1, 1)
    # Index arithmetic: out[b, i, j] reads images[b, i - dy, j - dx] where that lies inside the frame.
    rows = torch.arange(H, device=images.device).view(1, H, 1) - dy
    cols = torch.arange(W, device=images.device).view(1, 1, W) - dx
    inside = (rows >= 0) & (rows < H) & (cols >= 0) & (cols < W)
    batch = torch.arange(B, device=images.device).view(B, 1, 1)
    gathered = images[batch, rows.clamp(0, H - 1), cols.clamp(0, W - 1)]
    return torch.where(inside, gathered, torch.zeros((), dtype=images.dtype, device=images.device))
    ### END SOLUTION


# %% grading="skip"
# Worked example: a 3x3 "image" shifted one pixel right, then one pixel down.
finish_first({"shift_images": "Part A.1"})
_demo = torch.arange(1.0, 10.0).view(1, 3, 3)
print(shift_images(_demo, torch.tensor([1]), torch.tensor([0])))
print(shift_images(_demo, torch.tensor([0]), torch.tensor([1])))

# %% nbgrader={"grade_id": "test_shift_images", "grade": true, "points": 1}
"""shift_images: zero fill (no wrap-around), direction of dx (right) and dy (down), dtype kept."""
_img = torch.arange(1.0, 10.0, dtype=torch.float64).view(1, 3, 3)
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got_right = shift_images(_img, torch.tensor([1]), torch.tensor([0]))
    _got = shift_images(_img, torch.tensor([0]), torch.tensor([1]))
check_close("shift right by 1", _got_right, [[[0, 1, 2], [0, 4, 5], [0, 7, 8]]], atol=0, rtol=0,
            hint="Hint: a positive dx moves the content right and the left column becomes 0.")
check_close("shift down by 1", _got, [[[0, 0, 0], [1, 2, 3], [4, 5, 6]]], atol=0, rtol=0,
            hint="Hint: a positive dy moves the content down; nothing wraps around from the bottom.")
assert _got.dtype == torch.float64, f"shift_images changed the dtype: float64 in, {_got.dtype} out."
### BEGIN HIDDEN TESTS
_seed = 11  # per-submission seed
_g = torch.Generator().manual_seed(_seed)
_imgs = torch.rand(5, 5, 7, generator=_g, dtype=torch.float64) + 0.5   # no zeros: wrap-around would show
_dx = torch.tensor([-2, 0, 3, 1, -1])
_dy = torch.tensor([1, -3, 0, 2, -1])
_before = _imgs.clone()
_big_dx = torch.tensor([7, -9, 0, 20, 0])
_big_dy = torch.tensor([0, 0, 5, -20, -4])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = frozen(shift_images(_imgs, _dx, _dy))
    _got32 = frozen(shift_images(_imgs.float(), _dx, _dy))
    _got_big = frozen(shift_images(_imgs, _big_dx, _big_dy))
### HIDDEN CHECKS
def _ref_shift(images, dx, dy):
    imgs = images.detach().cpu().double().numpy()
    out = np.zeros_like(imgs)
    B, H, W = imgs.shape
    for b in range(B):
        for i in range(H):
            for j in range(W):
                si, sj = i - int(dy[b]), j - int(dx[b])
                if 0 <= si < H and 0 <= sj < W:
                    out[b, i, j] = imgs[b, si, sj]
    return out

check_close("shift_images, 5 non-square images", _got, _ref_shift(_imgs, _dx, _dy), atol=0, rtol=0,
            hint="Hint: rows move with dy, columns with dx; pixels that enter the frame are 0.")
assert _got32.dtype == torch.float32, f"shift_images changed the dtype: float32 in, {_got32.dtype} out."
check_close("shift_images, float32", _got32, _ref_shift(_imgs.float(), _dx, _dy), atol=0, rtol=0,
            hint="Hint: float32 images must give the same pixels as float64 ones; keep the input's dtype.")
check_close("shift_images, shifts >= image size", _got_big,
            _ref_shift(_imgs, _big_dx, _big_dy), atol=0, rtol=0,
            hint="Hint: a shift of the image size or more leaves nothing of the image.")
assert torch.equal(_imgs, _before), "shift_images modified its input in place; return a new tensor."
### END HIDDEN TESTS

# %% [markdown]
# ### A.2 Random augmentation [1 of the 5 points]
#
# An augmentation draws a **random** transformation $t \sim \mathcal{T}$ per image:
#
# $$t(x) = \operatorname{shift}(x;\ \Delta x, \Delta y) + \sigma\,\varepsilon, \qquad
# \Delta x, \Delta y \overset{\text{iid}}{\sim} \mathrm{Uniform}\{-s, \dots, s\}, \qquad \varepsilon_{ij} \overset{\text{iid}}{\sim} \mathcal{N}(0, 1),$$
#
# with $s$ = `max_shift` and $\sigma$ = `noise_std`. Each image gets its own $\Delta x$ and $\Delta y$
# (independent of each other), and each pixel its own noise.
#
# **Spec.** `augment(images, generator, max_shift=1, noise_std=0.1)`: `images` `(B, H, W)` float tensor;
# `generator` a `torch.Generator`: draw **all** randomness from it (pass `generator=generator` to
# `torch.randint` / `torch.randn`) so that the same seed gives the same views. The generator lives on the CPU or on
# the images' device (a CUDA generator only draws CUDA numbers: pass `device=generator.device`). Returns a new tensor
# with the shape, dtype and device of `images`. Use your `shift_images`.

# %% nbgrader={"grade_id": "augment", "solution": true}
def augment(images: torch.Tensor, generator: torch.Generator, max_shift: int = 1,
            noise_std: float = 0.1) -> torch.Tensor:
    """One random view per image: a random shift in [-max_shift, max_shift]^2, then Gaussian noise."""
    ### BEGIN SOLUTION
    B = images.shape[0]
    # Draw on the generator's own device (a CUDA generator cannot fill CPU tensors), then move to the images.
    dx = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator, device=generator.device)
    dy = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator, device=generator.device)
    shifted = shift_images(images, dx.to(images.device), dy.to(images.device))
    noise = torch.randn(images.shape, generator=generator, dtype=images.dtype, device=generator.device)
    return shifted + noise_std * noise.to(images.device)
    ### END SOLUTION


# %% grading="skip"
# Worked example: two views of the same five digits form five positive pairs.
finish_first({"shift_images": "Part A.1", "augment": "Part A.2"})
_gen = torch.Generator().manual_seed(0)
_x = digit_images[:5]
_v1, _v2 = augment(_x, _gen, max_shift=1, noise_std=0.1), augment(_x, _gen, max_shift=1, noise_std=0.1)
fig, axes = plt.subplots(3, 5, figsize=(6, 3.8))
for col in range(5):
    for row, (imgs, name) in enumerate([(_x, "x"), (_v1, "view 1"), (_v2, "view 2")]):
        axes[row, col].imshow(imgs[col].numpy(), cmap="gray_r")
        axes[row, col].axis("off")
        if col == 0:
            axes[row, col].set_title(name, fontsize=8, loc="left")
plt.suptitle("columns: positive pairs; across columns: negatives")
plt.show()

# %% nbgrader={"grade_id": "test_augment", "grade": true, "points": 1}
"""augment: shape/dtype kept, reproducible from the generator, noise-free views are shifts within max_shift, shifts uniform and independent, noise independent per pixel and image."""
_x = torch.rand(6, 8, 8, generator=torch.Generator().manual_seed(1)) + 0.5
# Images with a single lit pixel at (row 4, column 3): the reference view for a shift (sx, sy) is simply
# that pixel moved to (4 + sy, 3 + sx), so this check does not rely on your shift_images.
_dots = torch.zeros(6, 8, 8)
_dots[:, 4, 3] = 1.0
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _a = augment(_x, torch.Generator().manual_seed(5), max_shift=2, noise_std=0.3)
    _b = augment(_x, torch.Generator().manual_seed(5), max_shift=2, noise_std=0.3)
    _clean = augment(_dots, torch.Generator().manual_seed(2), max_shift=1, noise_std=0.0)
assert _a.shape == _x.shape and _a.dtype == _x.dtype, \
    f"augment: expected shape {tuple(_x.shape)} and dtype {_x.dtype}, got {tuple(_a.shape)} and {_a.dtype}."
assert torch.equal(_a, _b), ("augment: two calls with generators seeded alike gave different views. "
                             "Hint: draw every random number from `generator`.")


def _dot_view(sx, sy):
    view = torch.zeros(8, 8)
    view[4 + sy, 3 + sx] = 1.0
    return view


for _k in range(6):
    _ok = any(torch.equal(_clean[_k], _dot_view(sx, sy)) for sx in (-1, 0, 1) for sy in (-1, 0, 1))
    assert _ok, (f"augment with noise_std=0 on an image whose only lit pixel is (row 4, column 3): expected view {_k} "
                 f"to be that pixel moved by at most max_shift=1 row and column, got lit pixels "
                 f"{torch.nonzero(_clean[_k]).tolist()} with values {_clean[_k][_clean[_k] != 0].tolist()}.")
### BEGIN HIDDEN TESTS
_B, _s = 3000, 1                # 3000 views from a fixed generator seed: the uniformity check below has a computed power
_seed = 3  # per-submission seed
_imgs = torch.rand(_B, 6, 6, generator=torch.Generator().manual_seed(_seed), dtype=torch.float64) + 0.5
_z = torch.zeros(64, 8, 8, dtype=torch.float64)
_seed_e = 10  # per-submission seed
_e = torch.rand(4, 8, 8, generator=torch.Generator().manual_seed(_seed_e))
_e_before = _e.clone()


def _e_view_dtype(images):
    """The dtype of augment's view of the float32 images, as text (only its dtype is checked)."""
    return str(augment(images, torch.Generator().manual_seed(1), max_shift=1, noise_std=0.1).dtype)


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _views = frozen(augment(_imgs, torch.Generator().manual_seed(4), max_shift=_s, noise_std=0.0))
    _noisy = frozen(augment(_z, torch.Generator().manual_seed(6), max_shift=0, noise_std=0.5))
    _c = frozen(augment(_imgs[:4], torch.Generator().manual_seed(8), max_shift=1, noise_std=0.1))
    _d = frozen(augment(_imgs[:4], torch.Generator().manual_seed(9), max_shift=1, noise_std=0.1))
    _e_view_dtype_name = frozen(_e_view_dtype(_e))
### HIDDEN CHECKS
def _ref_shifted_batch(imgs, sx, sy):
    """Every image shifted by (sx, sy), zero fill (pad with a zero frame, then crop the shifted window)."""
    H, W = imgs.shape[1:]
    padded = F.pad(imgs, (W, W, H, H))
    return padded[:, H - sy:2 * H - sy, W - sx:2 * W - sx]

assert _views.dtype == torch.float64, f"augment changed the dtype: float64 in, {_views.dtype} out."
assert tuple(_views.shape) == tuple(_imgs.shape), \
    f"augment of {tuple(_imgs.shape)} images: expected views of the same shape, got {tuple(_views.shape)}."
_cands = [(sx, sy) for sx in range(-_s, _s + 1) for sy in range(-_s, _s + 1)]
_match = torch.stack([(_views == _ref_shifted_batch(_imgs, sx, sy)).flatten(1).all(1) for sx, sy in _cands], 1)
_bad = torch.nonzero(_match.sum(1) != 1).flatten().tolist()
assert not _bad, (f"augment with noise_std=0, max_shift=1: expected every view to be a zero-filled shift of its image, "
                  f"got {len(_bad)} of {_B} views that are not (first: view {_bad[:1]}). Hint: wrap-around?")
_shifts = [_cands[int(i)] for i in _match.float().argmax(1)]
_sx = [sh[0] for sh in _shifts]
_sy = [sh[1] for sh in _shifts]
assert set(_sx) == {-1, 0, 1} and set(_sy) == {-1, 0, 1}, \
    (f"augment, max_shift=1 over {_B} images: horizontal shifts seen {sorted(set(_sx))}, vertical "
     f"{sorted(set(_sy))}; every value in -max_shift..max_shift should occur. Hint: check the range you draw from.")
assert len(set(_shifts)) == 9, \
    f"augment: only {len(set(_shifts))} of the 9 (dx, dy) combinations occurred in {_B} images; dx and dy must be independent."
_agree = sum(a == b for a, b in zip(_sx, _sy)) / _B
assert _agree < 0.6, f"augment: dx == dy for {_agree:.0%} of the images; draw them independently (expected about 33%)."
# Uniform and independent: chi-square of the 9 (dx, dy) counts, 8 degrees of freedom, level 1e-6 (critical value
# 42.70). A correct sampler fails with probability 1e-6; one that gives one shift value 25 % more weight on one axis
# (noncentrality 94) fails with probability > 0.9998, 20 % (noncentrality 60) with probability > 0.95; rounding a
# uniform float (half weight at -s and s, noncentrality 797) always fails.
_cells = np.zeros(9)
for _sh in _shifts:
    _cells[_cands.index(_sh)] += 1
_chi = float(((_cells - _B / 9) ** 2 / (_B / 9)).sum())
assert _chi <= 42.70, \
    (f"augment, max_shift=1 over {_B} images: counts of the 9 (dx, dy) pairs {_cells.astype(int).tolist()} are not "
     f"uniform (chi-square {_chi:.1f} with 8 degrees of freedom; a uniform sampler stays below 42.70 with probability "
     f"1 - 1e-6). Hint: every integer shift in -max_shift..max_shift equally likely, dx and dy independent.")
_m, _sd = float(_noisy.mean()), float(_noisy.std())
assert abs(_m) < 0.05 and abs(_sd - 0.5) < 0.03, \
    f"augment, noise_std=0.5 on blank images: noise mean {_m:.3f} (expected about 0), std {_sd:.3f} (expected about 0.5)."
# Each pixel of each image its own noise: the 64 per-pixel means over the 64 images, and the 64 per-image means, each
# have a spread of 0.5 / 8 = 0.0625 (63 s^2 / 0.0625^2 is chi-square with 63 degrees of freedom: a sample std s above
# 0.15 has probability < 1e-30); noise shared by the images (or by the pixels of an image) gives a spread near 0.5.
_pix_sd, _img_sd = float(_noisy.mean(0).std()), float(_noisy.mean((1, 2)).std())
assert _pix_sd < 0.15 and _img_sd < 0.15, \
    (f"augment, noise_std=0.5 on 64 blank 8x8 images: the std of the per-pixel means over the images is {_pix_sd:.3f} "
     f"and of the per-image means {_img_sd:.3f} (both about 0.06 for independent noise). Hint: every pixel of every "
     f"image gets its own noise.")
assert not torch.equal(_c, _d), "augment: different seeds gave identical views; use the generator for the noise too."
assert _e_view_dtype_name == str(torch.float32), \
    f"augment changed the dtype: float32 in, {_e_view_dtype_name} out."
assert torch.equal(_e, _e_before), "augment modified its input in place; return a new tensor."
### END HIDDEN TESTS

# %% [markdown]
# ### A.3 The similarity matrix of a batch [1 of the 5 points]
#
# **Spec.** `cosine_similarity_matrix(z1, z2)`: `z1` `(N, d)`, `z2` `(M, d)` with non-zero rows; returns
# the `(N, M)` matrix $S_{ij} = z1_i^\top z2_j / (\lVert z1_i\rVert\,\lVert z2_j\rVert)$ with the input's
# dtype and device. Row $i$ is anchor $i$ against every candidate $j$.

# %% nbgrader={"grade_id": "cosine_similarity_matrix", "solution": true}
def cosine_similarity_matrix(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """S[i, j] = cos(z1[i], z2[j]); shape (N, M)."""
    ### BEGIN SOLUTION
    u1 = z1 / z1.norm(dim=1, keepdim=True)
    u2 = z2 / z2.norm(dim=1, keepdim=True)
    return u1 @ u2.T
    ### END SOLUTION


# %% grading="skip"
# Worked example: pixels as (poor) embeddings. Two views of 8 digits; is each view most similar to its
# own partner? Subtracting the mean image makes the cosine compare shapes rather than ink.
finish_first({"shift_images": "Part A.1", "augment": "Part A.2", "cosine_similarity_matrix": "Part A.3"})
_gen = torch.Generator().manual_seed(1)
_x = digit_images[:8]
_mean_img = digit_images.mean(0)
_z1 = (augment(_x, _gen) - _mean_img).flatten(1)
_z2 = (augment(_x, _gen) - _mean_img).flatten(1)
_S = cosine_similarity_matrix(_z1, _z2)
print("labels:", digit_labels[:8])
# Raw pixels are a poor embedding: a one-pixel shift of an 8x8 digit changes most pixels. That is why
# contrastive learning trains an encoder f whose similarities survive the augmentation (Part H).
print("positive is the most similar candidate for", int((_S.argmax(1) == torch.arange(8)).sum()), "of 8 anchors")
plt.figure(figsize=(3.8, 3.2))
plt.imshow(_S.numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
plt.colorbar(label="cosine similarity")
plt.xlabel("view 2 of image j")
plt.ylabel("view 1 of image i")
plt.title("diagonal = positive pairs")
plt.show()

# %% nbgrader={"grade_id": "test_cosine_similarity_matrix", "grade": true, "points": 1}
"""cosine_similarity_matrix: (N, M) shape, rows = z1, values against a hand-computed matrix, dtype kept."""
_a = torch.tensor([[3.0, 4.0], [1.0, 0.0]], dtype=torch.float64)
_b = torch.tensor([[0.0, 2.0], [1.0, 1.0], [-6.0, -8.0]], dtype=torch.float64)
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got = cosine_similarity_matrix(_a, _b)
check_close("cosine_similarity_matrix 2x3", _got, [[0.8, 0.98994949, -1.0], [0.0, 0.70710678, -0.6]],
            atol=1e-7, hint="Hint: divide each row by its own Euclidean norm; rows of z1 index the output rows.")
assert _got.dtype == torch.float64, f"cosine_similarity_matrix changed the dtype: float64 in, {_got.dtype} out."
### BEGIN HIDDEN TESTS
_seed = 21  # per-submission seed
_g = torch.Generator().manual_seed(_seed)
_a = torch.randn(5, 3, generator=_g, dtype=torch.float64) * torch.tensor([[0.1], [1.0], [7.0], [0.5], [3.0]],
                                                                        dtype=torch.float64)
_b = torch.randn(4, 3, generator=_g, dtype=torch.float64) * torch.tensor([[2.0], [0.2], [1.0], [9.0]],
                                                                        dtype=torch.float64)
_c = torch.randn(3, 6, generator=_g, dtype=torch.float64) * 50
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = frozen(cosine_similarity_matrix(_a, _b))
    _got32 = frozen(cosine_similarity_matrix(_a.float(), _b.float()))
    _self = _as_float_array(frozen(cosine_similarity_matrix(_c, _c)))
### HIDDEN CHECKS
def _ref_cos(a, b):
    a = a.detach().double().numpy()
    b = b.detach().double().numpy()
    return (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (b / np.linalg.norm(b, axis=1, keepdims=True)).T

check_close("cosine_similarity_matrix 5x4, varied norms", _got, _ref_cos(_a, _b),
            atol=1e-10, rtol=1e-9, hint="Hint: the result must not depend on the lengths of the vectors.")
assert _got32.dtype == torch.float32, f"cosine_similarity_matrix changed the dtype: float32 in, {_got32.dtype} out."
check_close("cosine_similarity_matrix float32", _got32, _ref_cos(_a.float(), _b.float()), atol=1e-6, rtol=1e-5,
            hint="Hint: float32 vectors must give the same cosines; keep the input's dtype throughout.")
check_close("cosine_similarity_matrix 3x3 (z1 = z2)", _self, _ref_cos(_c, _c), atol=1e-10, rtol=1e-9,
            hint="Hint: with z1 = z2 the matrix is symmetric; normalise both inputs the same way.")
assert np.allclose(np.diag(_self), 1.0, atol=1e-10), \
    f"cosine_similarity_matrix(z, z): the diagonal should be 1 (a vector against itself), got {np.diag(_self)}."
### END HIDDEN TESTS

# %% [markdown]
# ### A.4 Positive pairs from text [2 of the 5 points]
#
# The slide's language example, "The dog barked" $\approx$ "The dog woofed", needs someone to say which sentences
# mean the same thing. Self-supervised text models make positives from the text itself instead, as we made them
# from images: two **random spans of the same line** overlap in words and style, spans of different lines do
# not (span-based contrastive sentence encoders such as DeCLUTR do this). For a line of length $L$ and a span
# length $\ell \le L$, a random span starts at
#
# $$s \sim \mathrm{Uniform}\{0, 1, \dots, L - \ell\}, \qquad \text{span} = \text{line}[s : s + \ell] .$$
#
# **Spec.** `random_spans(lines, length, generator)`: `lines` a list of strings, `length` a positive int,
# `generator` a CPU `torch.Generator`. Returns a list with one span per line, in order: `line[s:s + length]`, with
# each start $s$ drawn from `generator` (for example `torch.randint(..., generator=generator)`), uniformly over **all**
# $L - \ell + 1$ starts, each line over its own starts. A line shorter than `length` raises a `ValueError` that says
# which line is too short. The tests check uniformity on about 12 000 spans drawn in one call (a loop over the lines,
# one draw each, takes about 0.1 s; keep a call on 12 000 lines under 2 s on a laptop CPU).

# %% nbgrader={"grade_id": "random_spans", "solution": true}
def random_spans(lines: list[str], length: int, generator: torch.Generator) -> list[str]:
    """One random span of `length` characters from each line (start uniform over all valid starts)."""
    ### BEGIN SOLUTION
    spans = []
    for index, line in enumerate(lines):
        if len(line) < length:
            raise ValueError(f"line {index} has {len(line)} characters, fewer than the span length {length}: {line!r}")
        start = int(torch.randint(0, len(line) - length + 1, (1,), generator=generator))
        spans.append(line[start:start + length])
    return spans
    ### END SOLUTION


# %% nbgrader={"grade_id": "text_encoder", "locked": true}
DATA_DIR = find_data_dir()
# Lines of at least 40 characters from the course's Shakespeare (data/tinyshakespeare, see data/README.md).
shakespeare_lines = [line for line in (DATA_DIR / "tinyshakespeare" / "input.txt").read_text().splitlines()
                     if len(line) >= 40]


def char_trigram_embedding(texts: list[str], dim: int = 512) -> torch.Tensor:
    """A fixed (untrained) text encoder: counts of character trigrams, hashed into `dim` buckets, float64."""
    out = torch.zeros(len(texts), dim, dtype=torch.float64)
    for row, text in enumerate(texts):
        text = text.lower()
        for i in range(len(text) - 2):
            # A fixed hash (Python's hash() of a string changes between runs).
            bucket = (ord(text[i]) * 961 + ord(text[i + 1]) * 31 + ord(text[i + 2])) % dim
            out[row, bucket] += 1.0
    return out


print(f"{len(shakespeare_lines)} lines of >= 40 characters, e.g. {shakespeare_lines[0]!r}")

# %% grading="skip"
# Worked example: two span views of 12 lines. Each view is most similar to its partner if the spans overlap
# enough; `length` sets how much of the line two views share, as max_shift did for the images.
finish_first({"cosine_similarity_matrix": "Part A.3", "random_spans": "Part A.4"})
_gen = torch.Generator().manual_seed(SEED)
_picked = [shakespeare_lines[int(i)] for i in torch.randperm(len(shakespeare_lines), generator=_gen)[:12]]
for _length in (20, 32):
    _s1, _s2 = random_spans(_picked, _length, _gen), random_spans(_picked, _length, _gen)
    _S_text = cosine_similarity_matrix(char_trigram_embedding(_s1), char_trigram_embedding(_s2))
    _hits = int((_S_text.argmax(1) == torch.arange(12)).sum())
    print(f"spans of {_length}: the partner is the most similar of 12 candidates for {_hits} of 12 anchors;"
          f" mean cosine of positives {_S_text.diagonal().mean():.2f}, of negatives {_S_text[~torch.eye(12, dtype=torch.bool)].mean():.2f}")
print("first pair:", repr(_s1[0]), "~", repr(_s2[0]))
plt.figure(figsize=(3.8, 3.2))
plt.imshow(_S_text.numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
plt.colorbar(label="cosine similarity")
plt.xlabel("span 2 of line j")
plt.ylabel("span 1 of line i")
plt.title("text: diagonal = positive pairs", fontsize=9)
plt.show()

# %% nbgrader={"grade_id": "test_random_spans", "grade": true, "points": 1}
"""random_spans: one span per line, of the given length, taken from that line, reproducible from the generator."""
_lines = ["to be or not to be", "that is the question", "whether tis nobler"]
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _a = random_spans(_lines, 6, torch.Generator().manual_seed(3))
    _b = random_spans(_lines, 6, torch.Generator().manual_seed(3))
assert isinstance(_a, list) and len(_a) == 3, f"random_spans of 3 lines: expected a list of 3 spans, got {_a!r}."
for _line, _span in zip(_lines, _a):
    assert isinstance(_span, str) and len(_span) == 6 and _span in _line, \
        f"random_spans: expected a 6-character piece of {_line!r}, got {_span!r}."
assert _a == _b, "random_spans: two calls with generators seeded alike gave different spans. Hint: draw from `generator`."
### BEGIN HIDDEN TESTS
# Fixed seeds (not per-submission): the power of the uniformity checks below must not depend on the draw.
_line = "abcdefghij"                             # 7 starts of 4 characters, each giving a different span
_short, _long = "abcdefg", "klmnopqrstuvwxyz"     # 4 and 13 starts of 4 characters (all letters distinct)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _many = frozen(random_spans([_line] * 10500, 4, torch.Generator().manual_seed(5)))
    _mixed = frozen(random_spans([_short, _long] * 1000, 4, torch.Generator().manual_seed(7)))
    _exact = frozen(random_spans(["xyz", "hello"], 3, torch.Generator().manual_seed(1)))
    _other = frozen(random_spans([_line] * 20, 4, torch.Generator().manual_seed(6)))
### HIDDEN CHECKS
def _chi_square(counts):
    """Pearson's statistic of counts against equal cell probabilities."""
    counts = np.asarray(counts, dtype=np.float64)
    expected = counts.sum() / len(counts)
    return float(((counts - expected) ** 2 / expected).sum())

assert isinstance(_many, list) and len(_many) == 10500 and all(isinstance(_sp, str) for _sp in _many), \
    f"random_spans of 10500 lines: expected a list of 10500 strings, got {type(_many).__name__} of {len(_many)}."
_starts = [_line.find(_sp) if len(_sp) == 4 else -1 for _sp in _many]
assert min(_starts) >= 0, f"random_spans: expected 4-character pieces of {_line!r}, got for example {_many[:3]!r}."
_counts = np.bincount(_starts, minlength=7)
assert set(_starts) == set(range(7)), \
    (f"random_spans on a 10-character line with length 4: starts seen {sorted(set(_starts))}; every start 0..6 should "
     f"occur. Hint: how many valid starts are there?")
# Uniformity, chi-square with 6 degrees of freedom at level 1e-6 (critical value 38.26): a uniform sampler fails with
# probability 1e-6; one that gives a single start 25 % more or less weight than the others (noncentrality 109) fails
# with probability > 0.99999, 20 % (noncentrality 70) with probability > 0.994; rounding a uniform float to the nearest
# start (half weight at both ends, noncentrality 729) always fails.
_chi = _chi_square(_counts)
assert _chi <= 38.26, (f"random_spans: start counts {_counts.tolist()} over 10500 draws on a 10-character line (length 4) "
                       f"are not uniform (chi-square {_chi:.1f} with 6 degrees of freedom; a uniform sampler stays below "
                       f"38.26 with probability 1 - 1e-6). Hint: every start 0..L-length equally likely.")
for _offset, _which, _text, _k, _crit in ((0, "7-character", _short, 4, 30.66), (1, "16-character", _long, 13, 50.83)):
    _st = [_text.find(_sp) if len(_sp) == 4 else -1 for _sp in _mixed[_offset::2]]
    assert min(_st) >= 0, (f"random_spans on alternating lines of 7 and 16 characters: expected 4-character pieces "
                           f"of each line, got for example {_mixed[:4]!r}.")
    _c = np.bincount(_st, minlength=_k)
    assert set(_st) == set(range(_k)), \
        (f"random_spans on alternating lines of 7 and 16 characters (length 4): starts seen on the {_which} lines "
         f"{sorted(set(_st))}; every start 0..{_k - 1} should occur. Hint: each line has its own number of starts.")
    # chi-square with k - 1 degrees of freedom at level 1e-6 (critical values 30.66 and 50.83 for 3 and 12)
    assert _chi_square(_c) <= _crit, \
        (f"random_spans on alternating lines of 7 and 16 characters (length 4): start counts on the {_which} lines "
         f"{_c.tolist()} are not uniform (chi-square {_chi_square(_c):.1f}, limit {_crit}). Hint: each line's start is "
         f"uniform over that line's own valid starts.")
assert _exact[0] == "xyz" and _exact[1] in "hello", f"random_spans with a line exactly `length` long: got {_exact!r}."
assert _other != _many[:20], "random_spans: different seeds gave the same spans; draw every start from the generator."
assert len(set(_many[:20])) > 1, "random_spans: every line got the same start; draw one start per line."
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_random_spans_too_short", "grade": true, "points": 1}
"""random_spans: a line shorter than the span length raises a ValueError that names the line."""
_err = None
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    try:
        random_spans(["long enough line", "tiny"], 8, torch.Generator().manual_seed(0))
    except ValueError as _e:
        _err = _e
    except Exception as _e:                   # noqa: BLE001 - the student sees which error came instead
        raise AssertionError(f"random_spans with a 4-character line and length 8: expected a ValueError, got "
                             f"{type(_e).__name__}: {_e}") from None
assert _err is not None, "random_spans with a 4-character line and length 8: expected a ValueError, nothing was raised."
assert re.search(r"\b[12]\b", str(_err)) or "tiny" in str(_err), \
    (f"random_spans: the ValueError should say which line is too short (its index, 1, or its number, 2, or its text), "
     f"got {str(_err)!r}.")
### BEGIN HIDDEN TESTS
def _value_error_raised():
    """The name of the ValueError random_spans raises for a 3-character line and length 4 (None if none;
    any other exception propagates)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            random_spans(["abc"], 4, torch.Generator().manual_seed(0))
        except ValueError as _e:
            return type(_e).__name__
    return None


_err = frozen(_value_error_raised())
### HIDDEN CHECKS
assert _err is not None, "random_spans(['abc'], 4): a 3-character line is shorter than 4; expected a ValueError."
### END HIDDEN TESTS

# %% [markdown]
# ## Part B: Noise-contrastive estimation (3 points)
#
# **Goal.** NCE (Gutmann and Hyvärinen, 2010) is a method for estimating the parameters of a statistical
# model. Instead of learning $p_{\text{data}}(x)$ directly, it learns to **distinguish data from noise**
# (that is what makes it *contrastive*), by logistic regression with the binary cross-entropy loss.
# The classifier's log-odds is the log-ratio of the model and a known noise density $p_n$:
#
# $$s_\theta(x) = \log \frac{p_\theta(x)}{p_n(x)}, \qquad \sigma(s) = \frac{1}{1 + e^{-s}},$$
#
# $$\mathcal{L}_{\text{NCE}} = -\mathbb{E}_{x \sim p_{\text{data}}} \big[\log \sigma(s_\theta(x))\big]
# - k \cdot \mathbb{E}_{x \sim p_n} \big[\log \big(1 - \sigma(s_\theta(x))\big)\big],$$
#
# where $k$ is the number of noise samples per real sample. With samples we replace each expectation by
# the **mean** over its samples.
#
# **Numerical stability.** In torch, `torch.sigmoid(s)` is already exactly $0$ for $s \lesssim -710$ in
# float64 (about $-89$ in float32), so `torch.log(torch.sigmoid(s))` returns $-\infty$ there, and
# $1 - \sigma(s)$ rounds to $0$ already for $s \gtrsim 37$ in float64 (about $17$ in float32). Use the identities
#
# $$\log \sigma(s) = -\log(1 + e^{-s}) = -\operatorname{softplus}(-s), \qquad \log(1 - \sigma(s)) = \log \sigma(-s),$$
#
# which `torch.nn.functional.logsigmoid` (or `softplus`) evaluates without overflow.
#
# **Spec.** `nce_loss(s_data, s_noise, k)`: `s_data` `(n,)` log-odds of the data samples, `s_noise`
# `(m,)` log-odds of the noise samples ($m$ need not equal $kn$), `k` a positive number. Returns the
# 0-dim tensor $\mathcal{L}_{\text{NCE}}$ (input dtype and device), differentiable with respect to both
# inputs, finite and accurate for $|s|$ up to $10^4$.

# %% nbgrader={"grade_id": "nce_loss", "solution": true}
def nce_loss(s_data: torch.Tensor, s_noise: torch.Tensor, k: float) -> torch.Tensor:
    """-mean log sigma(s_data) - k * mean log(1 - sigma(s_noise)), computed stably."""
    ### BEGIN SOLUTION
    return -F.logsigmoid(s_data).mean() - k * F.logsigmoid(-s_noise).mean()
    ### END SOLUTION


# %% grading="skip"
# Worked example: a classifier that is confident and right has a small loss, a confident wrong one a
# large (but finite) loss.
finish_first({"nce_loss": "Part B"})
_right = nce_loss(torch.tensor([8.0, 9.0]), torch.tensor([-8.0, -9.0, -7.0]), k=1.5)
_wrong = nce_loss(torch.tensor([-1e4]), torch.tensor([1e4]), k=1.5)
print(f"confident and right: {_right.item():.5f}   confident and wrong: {_wrong.item():.1f}")

# %% nbgrader={"grade_id": "test_nce_loss", "grade": true, "points": 2}
"""nce_loss: value on a small fixture, 0-dim output, dtype kept, finite for |s| = 1e4, gradient flows."""
_sd = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64)
_sn = torch.tensor([-1.5, 0.3, 2.0, -0.2], dtype=torch.float64)
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got = nce_loss(_sd, _sn, 3)
    _big = nce_loss(torch.tensor([-1e4], dtype=torch.float64), torch.tensor([1e4], dtype=torch.float64), 1)
assert torch.is_tensor(_got) and _got.dim() == 0, f"nce_loss must return a 0-dim tensor, got {type(_got)} {getattr(_got, 'shape', '')}."
check_close("nce_loss, 3 data + 4 noise samples, k=3", _got, 3.4737154464039834, atol=1e-9,
            hint="Hint: means over samples, and the noise term is weighted by k.")
assert _got.dtype == torch.float64, f"nce_loss changed the dtype: float64 in, {_got.dtype} out."
assert torch.isfinite(_big), f"nce_loss(s_data=-1e4, s_noise=1e4) is {_big.item()}, not finite. Hint: see 'Numerical stability'."
### BEGIN HIDDEN TESTS
_seed = 31  # per-submission seed
_g = torch.Generator().manual_seed(_seed)
_sd = 3 * torch.randn(7, generator=_g, dtype=torch.float64)
_sn = 3 * torch.randn(11, generator=_g, dtype=torch.float64) - 1
_sd_x = torch.tensor([1e4, -1e4, 50.0, -50.0, 800.0], dtype=torch.float64)
_sn_x = torch.tensor([1e4, -1e4, 40.0, -800.0], dtype=torch.float64)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_k = {_k: frozen(nce_loss(_sd, _sn, _k)) for _k in (3, 0.5)}
    _got32 = frozen(nce_loss(_sd.float(), _sn.float(), 3))
    _got_x64 = frozen(nce_loss(_sd_x, _sn_x, 2))
    _got_x32 = frozen(nce_loss(_sd_x.float(), _sn_x.float(), 2))


def _nce_gradients(sd, sn):
    """Whether nce_loss(s_data, s_noise, 3) carries a gradient, and the gradients it sends to both inputs."""
    _sd_g = sd.clone().requires_grad_(True)
    _sn_g = sn.clone().requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _out = nce_loss(_sd_g, _sn_g, 3)
        _carries = bool(torch.is_tensor(_out) and _out.requires_grad)
        if _carries:
            _out.backward()
    return _carries, _sd_g.grad, _sn_g.grad


_out_carries_grad, _sd_grad, _sn_grad = frozen(_nce_gradients(_sd, _sn))
### HIDDEN CHECKS
def _ref_nce(sd, sn, k):
    sd, sn = sd.detach().double(), sn.detach().double()
    return -F.logsigmoid(sd).mean() - k * F.logsigmoid(-sn).mean()

for _k in (3, 0.5):
    check_close(f"nce_loss random 7+11 samples, k={_k}", _got_k[_k], _ref_nce(_sd, _sn, _k),
                atol=1e-10, rtol=1e-10, hint="Hint: compare the weights of the two terms with the formula.")
assert _got32.dtype == torch.float32, f"nce_loss changed the dtype: float32 in, {_got32.dtype} out."
check_close("nce_loss float32", _got32, _ref_nce(_sd.float(), _sn.float(), 3), atol=1e-5, rtol=1e-5,
            hint="Hint: float32 inputs must give the same loss; keep the input's dtype throughout.")
check_close("nce_loss with |s| up to 1e4 (float64)", _got_x64, _ref_nce(_sd_x, _sn_x, 2),
            atol=1e-9, rtol=1e-12, hint="Hint: log(sigmoid(s)) underflows; see 'Numerical stability'.")
check_close("nce_loss with |s| up to 1e4 (float32)", _got_x32, _ref_nce(_sd_x, _sn_x, 2), atol=1e-3, rtol=1e-6,
            hint="Hint: float32 underflows much earlier than float64; see 'Numerical stability'.")
assert _out_carries_grad, "nce_loss output carries no gradient: do not detach or convert to float."
_sd_r = _sd.clone().requires_grad_(True)
_sn_r = _sn.clone().requires_grad_(True)
(-F.logsigmoid(_sd_r).mean() - 3 * F.logsigmoid(-_sn_r).mean()).backward()
assert _sd_grad is not None and _sn_grad is not None, \
    (f"nce_loss: expected gradients with respect to both inputs, got s_data.grad = {_sd_grad} and "
     f"s_noise.grad = {_sn_grad}. Hint: build the loss from the input tensors themselves.")
check_close("nce_loss gradient w.r.t. s_data", _sd_grad, _sd_r.grad, atol=1e-10,
            hint="Hint: the gradient follows the formula only if the loss is the formula; check the data term.")
check_close("nce_loss gradient w.r.t. s_noise", _sn_grad, _sn_r.grad, atol=1e-10,
            hint="Hint: the gradient follows the formula only if the loss is the formula; check the noise term.")
### END HIDDEN TESTS

# %% [markdown]
# ### B.1 Experiment: NCE learns the normalising constant
#
# Data come from $p_{\text{data}} = \mathcal{N}(\mu^\star = 1, \sigma^{\star 2} = 0.5^2)$. The model is an
# **unnormalised** Gaussian with a free log-normaliser $c$:
#
# $$\log p_\theta(x) = -\frac{(x - \mu)^2}{2\sigma^2} + c, \qquad \theta = (\mu, \log\sigma, c), \qquad
# Z(\sigma) = \int e^{-(x-\mu)^2 / (2\sigma^2)}\,dx = \sqrt{2\pi}\,\sigma .$$
#
# The noise is $p_n = \mathcal{N}(0, 2^2)$ with $k = 4$ noise samples per data sample. The
# Bayes-optimal classifier between data and noise at prior odds $1 : k$ has log-odds
# $\log \frac{p_{\text{data}}(x)}{k\, p_n(x)}$. The slide writes $s_\theta = \log p_\theta / p_n$, the case $k = 1$;
# for general $k$ we subtract $\log k$ (Gutmann and Hyvärinen's $G(x) - \log k$) so that the loss is
# minimised at $p_\theta = p_{\text{data}}$:
#
# $$s_\theta(x) = \log p_\theta(x) - \log p_n(x) - \log k .$$
#
# **Done when:** the learned $c$ is within $0.05$ of $-\log Z(\hat\sigma) = -\log(\sqrt{2\pi}\,\hat\sigma)$.

# %% grading="skip"
finish_first({"nce_loss": "Part B"})
def fit_nce_gaussian(k: int = 4, n: int = 8000, subtract_log_k: bool = True, seed: int = 0):
    """Fit (mu, log sigma, c) of an unnormalised 1-D Gaussian with nce_loss; returns (mu, sigma, c)."""
    gen = torch.Generator().manual_seed(seed)
    x_data = 1.0 + 0.5 * torch.randn(n, generator=gen, dtype=torch.float64)
    noise_std = 2.0
    x_noise = noise_std * torch.randn(k * n, generator=gen, dtype=torch.float64)

    def log_pn(x):
        return -0.5 * (x / noise_std) ** 2 - math.log(math.sqrt(2 * math.pi) * noise_std)

    mu, log_sigma, c = (torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in range(3))
    offset = math.log(k) if subtract_log_k else 0.0

    def s(x):
        return -0.5 * ((x - mu) / log_sigma.exp()) ** 2 + c - log_pn(x) - offset

    # Full-batch L-BFGS: the problem is smooth and has 3 parameters, so this converges in a few steps.
    opt = torch.optim.LBFGS([mu, log_sigma, c], lr=1.0, max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = nce_loss(s(x_data), s(x_noise), k)
        loss.backward()
        return loss

    opt.step(closure)
    return mu.item(), log_sigma.exp().item(), c.item()


_t0 = time.time()
nce_mu, nce_sigma, nce_c = fit_nce_gaussian(k=4)
neg_log_Z = -math.log(math.sqrt(2 * math.pi) * nce_sigma)
print(f"NCE fit: mu = {nce_mu:.4f} (true 1), sigma = {nce_sigma:.4f} (true 0.5)")
print(f"c = {nce_c:.4f}   -log Z(sigma_hat) = {neg_log_Z:.4f}   -log Z(true sigma) = {-math.log(math.sqrt(2 * math.pi) * 0.5):.4f}"
      f"   |difference| = {abs(nce_c - neg_log_Z):.4f}")
assert abs(nce_c - neg_log_Z) <= 0.05, f"NCE's c = {nce_c:.4f} is not within 0.05 of -log Z = {neg_log_Z:.4f}"

# The slide's s = log p_theta / p_n used with k = 4: the optimum is then p_theta = p_data / k.
_, _sig4, _c4 = fit_nce_gaussian(k=4, subtract_log_k=False)
_target4 = -math.log(math.sqrt(2 * math.pi) * _sig4) - math.log(4)
print(f"without the -log k offset: c = {_c4:.4f}, -log Z - log k = {_target4:.4f}")
assert abs(_c4 - _target4) <= 0.05, f"without the offset c = {_c4:.4f} should approach -log Z - log k = {_target4:.4f}"
print(f"(both fits took {time.time() - _t0:.2f} s)")

_grid = torch.linspace(-5, 5, 400, dtype=torch.float64)
plt.figure(figsize=(5.5, 3))
_xs = (1.0 + 0.5 * torch.randn(8000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)).numpy()
plt.hist(_xs, bins=60, density=True, alpha=0.35, label="data samples")
plt.plot(_grid.numpy(), torch.exp(-0.5 * ((_grid - nce_mu) / nce_sigma) ** 2 + nce_c).numpy(), label=r"$\exp \log p_\theta$ (NCE, never normalised by hand)")
plt.plot(_grid.numpy(), (torch.exp(-0.5 * (_grid / 2.0) ** 2) / (math.sqrt(2 * math.pi) * 2.0)).numpy(), "--", label="noise $p_n$")
plt.legend(fontsize=7)
plt.title("NCE learns a density that integrates to 1")
plt.show()

# %% [markdown]
# **B.2 (written, 1 point).** Explain in two or three sentences *why* NCE drives $c$ to $-\log Z$,
# and why maximum likelihood on the same unnormalised model (maximising $\frac1n\sum_i \log p_\theta(x_i)$
# over $\mu, \sigma, c$) could not learn $c$.

# %% [markdown] nbgrader={"grade_id": "nce_why_c", "solution": true, "grade": true, "points": 1}
# **Your answer (B.2):**
#
# ### BEGIN SOLUTION
# *Model answer.* The NCE loss is a logistic-regression (binary cross-entropy) loss; for each $x$ it is
# minimised when $\sigma(s(x))$ equals the true posterior probability that $x$ is data,
# $p_{\text{data}}/(p_{\text{data}} + k p_n)$, i.e. $s^\star(x) = \log p_{\text{data}}(x) - \log k\,p_n(x)$.
# Since $p_n$ is known and normalised, this forces $p_\theta = p_{\text{data}}$, which integrates to one,
# so $c = -\log Z$ (with the slide's $s = \log p_\theta/p_n$ and $k \neq 1$ it would give
# $p_\theta = p_{\text{data}}/k$, $c = -\log Z - \log k$, as the second fit shows). Maximum likelihood
# without the normaliser is unbounded: increasing $c$ increases every $\log p_\theta(x_i)$, so $c \to \infty$;
# the normaliser is exactly what ML needs and what NCE gets for free from the contrast with noise.
#
# *Rubric (1 point).* 0.5: optimum of the classifier is the true data/noise log-odds, hence
# $p_\theta = p_{\text{data}}$ is normalised. 0.5: ML on an unnormalised model pushes $c \to +\infty$
# (likelihood unbounded). No credit for "because the loss says so".
# ### END SOLUTION

# %% [markdown]
# ## Part C: InfoNCE as N-way classification (2 points)
#
# **Goal.** InfoNCE (van den Oord et al., 2018) generalises the binary classification of NCE to
# **$N$-way classification**: it asks *"which one of these $N$ samples is the positive one?"*
#
# $$\mathcal{L}_{\text{InfoNCE}} = -\mathbb{E}_{c \sim p(c)}\, \mathbb{E}_{x \sim p(x|c)}\, \mathbb{E}_{\{x_i\} \sim p(x)}
# \left[\log \frac{\exp(f'(x)^\top f(c)/\tau)}{\exp(f'(x)^\top f(c)/\tau) + \sum_{i=1}^{N-1} \exp(f'(x_i)^\top f(c)/\tau)} \right]$$
#
# * encoders $f, f'$; context $c$ (the anchor) and positive sample $x \sim p(x|c)$ (e.g. its augmentation);
# * positive pair $(c, x)$ with $x \sim p(x|c)$, negative samples $\{x_i\}_{i=1}^{N-1}$ with $x_i \sim p(x)$;
# * score function $s(x, c) = \exp(f'(x)^\top f(c)/\tau)$;
# * the **temperature** $\tau$ controls how "sharp" or "smooth" the similarity distribution is.
#
# The slide's score $s$ is the *exponential*. The code never forms it: it works with the
# **log-scores** $\log s(x, c) = f'(x)^\top f(c)/\tau$ (the logits below), and so do the score matrices of
# Parts E and F, which hold the logarithm of the critic.
#
# **In a batch.** Take $N$ pairs $(c_i, x_i)$. For anchor $c_i$ the candidate $x_i$ is the positive and the
# other $N-1$ candidates $x_j$, $j \neq i$, serve as its negatives. With logits
# $\ell_{ij} = f(c_i)^\top f'(x_j) / \tau$,
#
# $$\mathcal{L} = \frac{1}{N}\sum_{i=1}^N \Big[-\ell_{ii} + \log \sum_{j=1}^N e^{\ell_{ij}}\Big]
# = \frac1N \sum_{i=1}^N -\log \operatorname{softmax}_j(\ell_{i\cdot})_i ,$$
#
# which is exactly the **cross-entropy** of the $N$-class problem whose label for row $i$ is $i$.
# The positive **is** part of the denominator. Use `torch.logsumexp` (or `F.cross_entropy`), never
# `exp` then `log`: logits of $10^4$ overflow `exp`.
#
# **Spec.** `info_nce_loss(z_c, z_x, tau)`: `z_c` `(N, d)` anchor embeddings $f(c_i)$; `z_x` `(N, d)`
# embeddings $f'(x_j)$, row $i$ the positive of anchor $i$; `tau` a positive float. Scores are plain dot
# products divided by $\tau$ (**no** normalisation inside). Returns the 0-dim tensor $\mathcal{L}$ (mean over
# anchors, nats, input dtype), differentiable, finite for logits up to $10^4$.

# %% nbgrader={"grade_id": "info_nce_loss", "solution": true}
def info_nce_loss(z_c: torch.Tensor, z_x: torch.Tensor, tau: float) -> torch.Tensor:
    """Mean over anchors i of -log softmax_j(z_c[i] . z_x[j] / tau) at j = i."""
    ### BEGIN SOLUTION
    logits = z_c @ z_x.T / tau                                     # (N, N): row = anchor, column = candidate
    return (torch.logsumexp(logits, dim=1) - logits.diagonal()).mean()
    ### END SOLUTION


# %% grading="skip"
# Worked example: InfoNCE is cross-entropy with labels 0..N-1, and a random guesser scores log N.
finish_first({"info_nce_loss": "Part C"})
_g = torch.Generator().manual_seed(0)
_zc, _zx = torch.randn(16, 8, generator=_g), torch.randn(16, 8, generator=_g)
check_close("info_nce_loss vs F.cross_entropy", info_nce_loss(_zc, _zx, 0.5),
            F.cross_entropy(_zc @ _zx.T / 0.5, torch.arange(16)), atol=1e-5)
print(f"uninformative critic (all zero embeddings): loss = {info_nce_loss(torch.zeros(16, 8), _zx, 1.0).item():.4f}"
      f" = log 16 = {math.log(16):.4f}")

# Temperature: the same scores (positive first), softmax at several tau. Small tau -> one-hot, large tau -> uniform.
# What that does to what an encoder *learns* is measured in Part H.4.
_scores = torch.tensor([2.0, 1.5, 0.5, 0.0, -1.0])
for tau in [0.1, 0.5, 1.0, 5.0]:
    p = torch.softmax(_scores / tau, dim=0)
    ent = -(p * p.clamp_min(1e-30).log()).sum().item()
    print(f"tau = {tau:3.1f}: softmax {np.round(p.numpy(), 3)}, entropy {ent:.2f} nats (uniform: log 5 = {math.log(5):.2f})")

# %% nbgrader={"grade_id": "test_info_nce_loss", "grade": true, "points": 2}
"""info_nce_loss: value on a 3x2 fixture, softmax over candidates, temperature, dtype, overflow, gradient."""
_zc = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
_zx = torch.tensor([[1.0, 0.5], [0.0, 2.0], [1.0, -1.0]], dtype=torch.float64)
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got = info_nce_loss(_zc, _zx, 0.5)
    _big = info_nce_loss(_zc * 100, _zx * 100, 1.0)
assert torch.is_tensor(_got) and _got.dim() == 0, f"info_nce_loss must return a 0-dim tensor, got {type(_got)} {getattr(_got, 'shape', '')}."
check_close("info_nce_loss 3 anchors, tau=0.5", _got, 1.7120440268233272, atol=1e-9,
            hint="Hint: row i of z_c against every row of z_x; the positive belongs in the denominator.")
assert _got.dtype == torch.float64, f"info_nce_loss changed the dtype: float64 in, {_got.dtype} out."
assert torch.isfinite(_big), f"info_nce_loss with logits ~ 1e4 is {_big.item()}, not finite. Hint: logsumexp."
### BEGIN HIDDEN TESTS
_seed = 41  # per-submission seed
_g = torch.Generator().manual_seed(_seed)
_zc = torch.randn(6, 4, generator=_g, dtype=torch.float64) * torch.linspace(0.2, 3, 6, dtype=torch.float64)[:, None]
_zx = torch.randn(6, 4, generator=_g, dtype=torch.float64) * 1.5
_zc_x = torch.randn(5, 3, generator=_g, dtype=torch.float64) * 60
_zx_x = torch.randn(5, 3, generator=_g, dtype=torch.float64) * 60
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_tau = {_tau: frozen(info_nce_loss(_zc, _zx, _tau)) for _tau in (0.3, 2.0)}
    _got32 = frozen(info_nce_loss(_zc.float(), _zx.float(), 0.3))
    _got_x64 = frozen(info_nce_loss(_zc_x, _zx_x, 1.0))
    _got_x32 = frozen(info_nce_loss(_zc_x.float(), _zx_x.float(), 1.0))


def _info_nce_gradient(zc, zx):
    """Whether info_nce_loss(z_c, z_x, 0.3) carries a gradient, and the gradient it sends to z_c."""
    _zc_g = zc.clone().requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _out = info_nce_loss(_zc_g, zx, 0.3)
        _carries = bool(torch.is_tensor(_out) and _out.requires_grad)
        if _carries:
            _out.backward()
    return _carries, _zc_g.grad


_out_carries_grad, _zc_grad = frozen(_info_nce_gradient(_zc, _zx))
### HIDDEN CHECKS
def _ref_infonce(zc, zx, tau):
    logits = zc.detach().double() @ zx.detach().double().T / tau
    return (torch.logsumexp(logits, 1) - logits.diagonal()).mean()

for _tau in (0.3, 2.0):
    check_close(f"info_nce_loss N=6, tau={_tau}", _got_tau[_tau], _ref_infonce(_zc, _zx, _tau),
                atol=1e-10, rtol=1e-10, hint="Hint: softmax over the candidates of each anchor, logits divided by tau.")
assert _got32.dtype == torch.float32, f"info_nce_loss changed the dtype: float32 in, {_got32.dtype} out."
check_close("info_nce_loss float32", _got32, _ref_infonce(_zc.float(), _zx.float(), 0.3), atol=1e-5, rtol=1e-5,
            hint="Hint: float32 embeddings must give the same loss; keep the input's dtype throughout.")
_ref_x = _ref_infonce(_zc_x, _zx_x, 1.0)
check_close("info_nce_loss, logits ~ 1e4 (float64)", _got_x64, _ref_x, atol=1e-8, rtol=1e-10,
            hint="Hint: exp(1e4) overflows; use logsumexp.")
check_close("info_nce_loss, logits ~ 1e4 (float32)", _got_x32, _ref_x, atol=2e-2, rtol=1e-5,
            hint="Hint: float32 overflows at much smaller logits than float64; never exponentiate raw logits.")
assert _out_carries_grad, "info_nce_loss output carries no gradient."
_zc_r = _zc.clone().requires_grad_(True)
_lr = _zc_r @ _zx.T / 0.3
(torch.logsumexp(_lr, 1) - _lr.diagonal()).mean().backward()
assert _zc_grad is not None, "info_nce_loss: expected a gradient with respect to z_c, got None."
check_close("info_nce_loss gradient w.r.t. z_c", _zc_grad, _zc_r.grad, atol=1e-10,
            hint="Hint: the gradient follows the formula only if the loss is the formula.")
### END HIDDEN TESTS

# %% [markdown]
# ## Part D: Deriving the bound $I(x; c) \ge \log N - \mathcal{L}_N$ (6 points)
#
# **Goal.** Prove, step by step, that minimising the InfoNCE loss maximises a lower bound on the mutual
# information between context and sample, and find out where that bound is loose and how high it can go.
#
# **Mutual information.** The mutual information between two random variables measures how dependent
# they are on one another. For $c$ and $x$:
#
# $$I(x; c) = \sum_{x, c} p(x, c) \log \frac{p(x|c)}{p(x)} .$$
#
# **InfoNCE in the CPC paper's notation.** $c_t$ is the context, $x_{t+k}$ the corresponding positive sample,
# and $X = \{x_1, \dots, x_N\}$ contains the positive and $N-1$ negatives drawn from $p(x)$. The network $f_k$
# models a density ratio that preserves the mutual information:
#
# $$\mathcal{L}_N = -\mathbb{E}_X \left[\log \frac{f_k(x_{t+k}, c_t)}{\sum_{x_j \in X} f_k(x_j, c_t)} \right],
# \qquad f_k(x_{t+k}, c_t) \propto \frac{p(x_{t+k}|c_t)}{p(x_{t+k})} .$$
#
# Minimising the InfoNCE loss maximises a lower bound on mutual information:
#
# $$I(x_{t+k}, c_t) \ge \log(N) - \mathcal{L}_N .$$
#
# The slide proves it with the chain below, for the optimal critic. **The slide prints it in two columns,
# so read down the left column first, then the right one**; the steps are, in order,
#
# $$\begin{aligned}
# \mathcal{L}_N^{\text{opt}} &= -\mathbb{E}_X \log \left[\frac{\frac{p(x_{t+k}|c_t)}{p(x_{t+k})}}{\frac{p(x_{t+k}|c_t)}{p(x_{t+k})} + \sum_{x_j \in X_{\text{neg}}} \frac{p(x_j|c_t)}{p(x_j)}} \right] && (1)\\
# &= \mathbb{E}_X \log \left[1 + \frac{p(x_{t+k})}{p(x_{t+k}|c_t)} \sum_{x_j \in X_{\text{neg}}} \frac{p(x_j|c_t)}{p(x_j)} \right] && (2)\\
# &\approx \mathbb{E}_X \log \left[1 + \frac{p(x_{t+k})}{p(x_{t+k}|c_t)} (N-1)\, \mathbb{E}_{x_j} \frac{p(x_j|c_t)}{p(x_j)} \right] && (3)\\
# &= \mathbb{E}_X \log \left[1 + \frac{p(x_{t+k})}{p(x_{t+k}|c_t)} (N-1) \right] && (4)\\
# &\ge \mathbb{E}_X \log \left[\frac{p(x_{t+k})}{p(x_{t+k}|c_t)}\, N \right] && (5)\\
# &= -I(x_{t+k}, c_t) + \log(N). && (6)
# \end{aligned}$$
#
# **D.1 (written, 4 points).** Justify every step. In particular: (a) why is the optimal critic
# $f_k \propto p(x|c)/p(x)$, and why may the constant of proportionality be ignored? (b) what happens
# between (1) and (2)? (c) what is used in the approximation (3), and why does (3) equal (4), i.e. what is
# $\mathbb{E}_{x_j \sim p(x)}\big[p(x_j|c)/p(x_j)\big]$? (d) which elementary inequality gives (5), and why does
# (6) follow? (e) how does the inequality for the *optimal* critic give $I \ge \log N - \mathcal{L}_N$ for
# *every* critic?

# %% [markdown] nbgrader={"grade_id": "bound_derivation", "solution": true, "grade": true, "points": 4}
# **Your answer (D.1):**
#
# ### BEGIN SOLUTION
# *Model answer.*
#
# (a) $\mathcal{L}_N$ is the cross-entropy of an $N$-way classifier that must say which element of $X$ is the
# positive. The true posterior that element $i$ is the positive is
# $\frac{p(x_i|c)\prod_{l\neq i}p(x_l)}{\sum_j p(x_j|c)\prod_{l\neq j}p(x_l)} = \frac{p(x_i|c)/p(x_i)}{\sum_j p(x_j|c)/p(x_j)}$,
# and cross-entropy is minimised by the true posterior. So the optimal critic is $f_k(x, c) = a(c)\,p(x|c)/p(x)$;
# any factor $a(c)$ that does not depend on $x$ cancels between numerator and denominator. Plugging it in gives (1).
#
# (b) Divide numerator and denominator by the positive's ratio $p(x_{t+k}|c_t)/p(x_{t+k})$ and use
# $-\log\frac{1}{1+u} = \log(1+u)$.
#
# (c) The sum over the $N-1$ negatives, which are drawn from $p(x)$ independently of $c_t$, is replaced by
# $N-1$ times its expectation (law of large numbers; an approximation, exact only as $N \to \infty$).
# That expectation is $\mathbb{E}_{x\sim p(x)}\frac{p(x|c)}{p(x)} = \int p(x)\frac{p(x|c)}{p(x)}dx = \int p(x|c)\,dx = 1$, which gives (4).
#
# (d) $1 + a(N-1) \ge aN \iff a \le 1$ for $a = p(x_{t+k})/p(x_{t+k}|c_t)$, and $\log$ is increasing, which gives (5)
# (the slide applies it as if it always held; see D.2). Then $\log(aN) = \log N - \log\frac{p(x|c)}{p(x)}$ and
# $\mathbb{E}_{(x,c)\sim p(x,c)}\log\frac{p(x|c)}{p(x)} = I(x;c)$, which is (6). Rearranged: $I \ge \log N - \mathcal{L}_N^{\text{opt}}$.
#
# (e) The optimal critic minimises the loss: $\mathcal{L}_N \ge \mathcal{L}_N^{\text{opt}}$ for every critic, so
# $\log N - \mathcal{L}_N \le \log N - \mathcal{L}_N^{\text{opt}} \le I(x;c)$. Minimising $\mathcal{L}_N$ over the critic therefore
# pushes a lower bound on $I$ up.
#
# *Rubric (4 points).* 1 pt (a): the Bayes-optimal posterior / cross-entropy argument and why constants
# cancel. 1 pt (b)+(c): dividing by the positive term, replacing the sum by $(N-1)$ times an expectation, and
# $\mathbb{E}_{p(x)}[p(x|c)/p(x)] = 1$ (0.5 if the value 1 is stated without the integral). 1 pt (d):
# $1 + a(N-1) \ge aN$ with the condition $a \le 1$ (0.5 without the condition) and $\mathbb{E}\log\frac{p(x|c)}{p(x)} = I$.
# 1 pt (e): $\mathcal{L}_N \ge \mathcal{L}_N^{\text{opt}}$ for any critic, hence the bound holds for every critic.
# ### END SOLUTION

# %% [markdown]
# **D.2 (written, 2 points).** (a) Which steps of the chain are not exact equalities, and under which
# condition does each hold? Does the final inequality survive when the pointwise condition of step (5) fails
# for some samples? (b) Since $\mathcal{L}_N \ge 0$, what is the largest mutual information the bound can ever
# certify with $N$ samples, and how large must $N$ be to certify $I$ nats? What does this mean for estimating
# large mutual information with InfoNCE?

# %% [markdown] nbgrader={"grade_id": "bound_limits", "solution": true, "grade": true, "points": 2}
# **Your answer (D.2):**
#
# ### BEGIN SOLUTION
# *Model answer.* (a) Step (3) is an approximation: the finite sum over negatives is replaced by $(N-1)$
# times its mean, exact only as $N \to \infty$. Step (5) uses $1 + (N-1)a \ge Na$, true pointwise only when
# $a = p(x)/p(x|c) \le 1$, i.e. where the positive is at least as likely under $p(x|c)$ as under $p(x)$.
# It still holds *in expectation*: with $r = \log\frac{p(x|c)}{p(x)}$, $u \mapsto \log(1 + (N-1)e^{-u})$ is
# convex, so by Jensen $\mathbb{E}\log(1 + (N-1)e^{-r}) \ge \log(1 + (N-1)e^{-I}) \ge \log N - I$, the last step
# because $I \ge 0$. (A proof that avoids the approximation (3) altogether: Poole et al., 2019, "On variational
# bounds of mutual information".) (b) $\mathcal{L}_N$ is a cross-entropy, so $\mathcal{L}_N \ge 0$ and
# $\log N - \mathcal{L}_N \le \log N$: InfoNCE can never certify more than $\log N$ nats. To certify $I$ nats one
# needs $N \ge e^{I}$ samples per batch, exponential in $I$: e.g. 10 nats need $N \ge 22\,027$. For large MI the
# estimate saturates at $\log N$ and badly underestimates the truth (high bias, low variance).
#
# *Rubric (2 points).* 1 pt (a): names step (3) as an $N\to\infty$ approximation and step (5) with the
# condition $p(x|c) \ge p(x)$ (0.5 for one of the two; Jensen/convexity or a reference to a rigorous proof is
# expected for the full point). 1 pt (b): ceiling $\log N$ and $N \ge e^I$ (exponential sample size); 0.5 if the
# ceiling is stated in bits ($\log_2 N$) or without the consequence for large MI.
# ### END SOLUTION

# %% [markdown]
# ## Part E: Checking the steps with numbers (4 points)
#
# **Goal.** Turn the derivation of Part D into numbers: compute the bound $\log N - \mathcal{L}_N$ from a
# matrix of critic values, evaluate the approximate chain of steps (3)-(4), find how large a batch must
# be to certify a given mutual information, and how much less a cosine critic with a temperature can certify.
#
# **E.1 The bound as a number [1 of the 4 points].** Given an $N \times N$ matrix of **log-scores**
# $S_{ij} = \log f_k(x_j, c_i)$ (the logarithm of the critic of Part D; positives on the diagonal), the
# InfoNCE estimate is
#
# $$\hat I_{\text{NCE}} = \log N - \mathcal{L}_N, \qquad
# \mathcal{L}_N = \frac1N\sum_{i=1}^N \Big[-S_{ii} + \log\sum_{j=1}^N e^{S_{ij}}\Big] .$$
#
# **Spec.** `infonce_mi_lower_bound(scores)`: `scores` `(N, N)` tensor, row $i$ = context $c_i$, column $j$ =
# candidate $x_j$. Returns $\log N - \mathcal{L}_N$ in **nats** as a Python `float`; finite and accurate for scores
# up to $10^4$.

# %% nbgrader={"grade_id": "infonce_mi_lower_bound", "solution": true}
def infonce_mi_lower_bound(scores: torch.Tensor) -> float:
    """log N minus the InfoNCE loss of an (N, N) score matrix (positives on the diagonal), in nats."""
    ### BEGIN SOLUTION
    N = scores.shape[0]
    loss = (torch.logsumexp(scores, dim=1) - scores.diagonal()).mean()
    return math.log(N) - float(loss)
    ### END SOLUTION


# %% grading="skip"
# Worked example: the two extremes.
finish_first({"infonce_mi_lower_bound": "Part E.1"})
_N = 32
print(f"constant critic (x and c look independent): {infonce_mi_lower_bound(torch.zeros(_N, _N, dtype=torch.float64)):.4f} nats")
print(f"perfect critic (positive wins by 100):       {infonce_mi_lower_bound(100 * torch.eye(_N)):.4f} nats"
      f" = log {_N} = {math.log(_N):.4f}")

# %% nbgrader={"grade_id": "test_infonce_mi_lower_bound", "grade": true, "points": 1}
"""infonce_mi_lower_bound: value on a 3x3 fixture in nats, constant critic gives 0, scores up to 1e4."""
_S = torch.tensor([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [1.0, 0.0, 2.0]], dtype=torch.float64)
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got = float(infonce_mi_lower_bound(_S))
    _got_const = float(infonce_mi_lower_bound(torch.ones(5, 5)))
    _big = float(infonce_mi_lower_bound(1e4 * torch.eye(4, dtype=torch.float64)))
check_close("infonce_mi_lower_bound 3x3", _got, 0.8030471230387265, atol=1e-6,
            hint="Hint: nats, rows are contexts, and the loss is the mean over rows.")
check_close("infonce_mi_lower_bound of a constant critic", _got_const, 0.0,
            atol=1e-6, hint="Hint: a critic that cannot tell candidates apart certifies nothing.")
assert math.isfinite(_big), f"infonce_mi_lower_bound(1e4 * eye(4)) = {_big}, not finite. Hint: logsumexp."
### BEGIN HIDDEN TESTS
_seed = 51  # per-submission seed
_g = torch.Generator().manual_seed(_seed)
_S = 2 * torch.randn(7, 7, generator=_g, dtype=torch.float64) + 3 * torch.eye(7, dtype=torch.float64)
_S[0, 1:] += 4.0                       # asymmetric: softmax over the wrong axis gives another number
_S_x = 3000 * torch.randn(6, 6, generator=_g, dtype=torch.float64)
_S_2 = torch.tensor([[0.5, -1.0], [2.0, 1.0]], dtype=torch.float64)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = frozen(float(infonce_mi_lower_bound(_S)))
    _got32 = frozen(float(infonce_mi_lower_bound(_S.float())))
    _got_perfect = frozen(float(infonce_mi_lower_bound(1e4 * torch.eye(4, dtype=torch.float64))))
    _got_x = frozen(float(infonce_mi_lower_bound(_S_x)))
    _got2 = frozen(float(infonce_mi_lower_bound(_S_2)))
### HIDDEN CHECKS
def _ref_bound(S):
    S = S.detach().double()
    return math.log(S.shape[0]) - float((torch.logsumexp(S, 1) - S.diagonal()).mean())

# The result is a float: computing it in float32 is fine, hence tolerances of about 1e-6.
check_close("infonce_mi_lower_bound 7x7", _got, _ref_bound(_S), atol=1e-6, rtol=1e-6,
            hint="Hint: softmax over the candidates (columns) of each context (row); the positive stays in the sum.")
check_close("infonce_mi_lower_bound float32 input", _got32, _ref_bound(_S.float()), atol=1e-5, rtol=1e-5,
            hint="Hint: a float32 score matrix must give the same bound as a float64 one.")
check_close("infonce_mi_lower_bound perfect critic = log N", _got_perfect,
            math.log(4), atol=1e-6, hint="Hint: the ceiling of the bound is log N in nats.")
check_close("infonce_mi_lower_bound, scores ~ 1e4", _got_x, _ref_bound(_S_x),
            atol=1e-2, rtol=1e-6, hint="Hint: exp(1e4) overflows; use logsumexp.")
assert abs(_got2 - _ref_bound(_S_2)) <= 1e-6, \
    f"infonce_mi_lower_bound on a 2x2 matrix: expected {_ref_bound(_S_2):.6f}, got {_got2:.6f}."
### END HIDDEN TESTS

# %% [markdown]
# **E.2 The approximation, steps (3)-(4) [1 of the 4 points].** Write $r = \log \frac{p(x|c)}{p(x)}$ for a positive pair. After
# step (4) the loss no longer depends on the negatives:
#
# $$\mathcal{L}_N^{\text{approx}} = \mathbb{E}_{(x,c)}\log\big[1 + (N-1)\,e^{-r}\big], \qquad
# \log N - \mathcal{L}_N^{\text{approx}} \;\text{ is what the chain compares with }\; I = \mathbb{E}[r].$$
#
# Evaluate it stably: $\log(1 + (N-1)e^{-r}) = \operatorname{softplus}\big(\log(N-1) - r\big)$; $r$ can be $\pm 10^4$.
#
# **Spec.** `cpc_approx_loss(log_ratio, N)`: `log_ratio` `(B,)` tensor of $r$ for $B$ positive pairs, `N` an
# integer $\ge 2$. Returns the 0-dim tensor $\frac1B\sum_b \log(1 + (N-1)e^{-r_b})$ with the input's dtype.

# %% nbgrader={"grade_id": "cpc_approx_loss", "solution": true}
def cpc_approx_loss(log_ratio: torch.Tensor, N: int) -> torch.Tensor:
    """Mean of log(1 + (N - 1) exp(-r)) over positive pairs, computed without overflow."""
    ### BEGIN SOLUTION
    return F.softplus(math.log(N - 1) - log_ratio).mean()
    ### END SOLUTION


# %% grading="skip"
# Worked example: step (5) compares log(1 + (N-1) e^{-r}) with log(N) - r, pointwise in r.
finish_first({"cpc_approx_loss": "Part E.2"})
_N = 64
_r = torch.linspace(-3, 8, 111, dtype=torch.float64)
_lhs = torch.stack([cpc_approx_loss(_r[i:i + 1], _N) for i in range(len(_r))])
plt.figure(figsize=(5, 3))
plt.plot(_r.numpy(), _lhs.numpy(), label=r"$\log(1 + (N-1)e^{-r})$  (step 4)")
plt.plot(_r.numpy(), (math.log(_N) - _r).numpy(), "--", label=r"$\log N - r$  (step 5)")
plt.axvline(0, color="gray", lw=0.8)
plt.xlabel(r"$r = \log p(x|c)/p(x)$ of the positive")
plt.ylabel("nats")
plt.title(f"N = {_N}: the step holds pointwise only for r >= 0", fontsize=9)
plt.legend(fontsize=8)
plt.show()

# %% nbgrader={"grade_id": "test_cpc_approx_loss", "grade": true, "points": 1}
"""cpc_approx_loss: value on a 3-pair fixture, 0-dim output, dtype kept, finite for r = -1e4."""
_r = torch.tensor([0.0, 1.0, -1.0], dtype=torch.float64)
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got = cpc_approx_loss(_r, 8)
    _big = cpc_approx_loss(torch.tensor([-1e4], dtype=torch.float64), 8)
assert torch.is_tensor(_got) and _got.dim() == 0, f"cpc_approx_loss must return a 0-dim tensor, got {type(_got)} {getattr(_got, 'shape', '')}."
check_close("cpc_approx_loss r=[0,1,-1], N=8", _got, 2.116860104745506, atol=1e-9,
            hint="Hint: count the negatives, and check how r enters the formula of step (4).")
assert _got.dtype == torch.float64, f"cpc_approx_loss changed the dtype: float64 in, {_got.dtype} out."
assert torch.isfinite(_big), f"cpc_approx_loss(r=-1e4) = {_big.item()}, not finite. Hint: softplus."
### BEGIN HIDDEN TESTS
_seed = 61  # per-submission seed
_g = torch.Generator().manual_seed(_seed)
_r = 2 * torch.randn(10, generator=_g, dtype=torch.float64) + 1
_r_x = torch.tensor([1e4, -1e4, 0.0, 900.0, -900.0], dtype=torch.float64)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_N = {_N: frozen(cpc_approx_loss(_r, _N)) for _N in (2, 16, 1000)}
    _got32 = frozen(cpc_approx_loss(_r.float(), 16))
    _got_x64 = frozen(cpc_approx_loss(_r_x, 16))
    _got_x32 = frozen(cpc_approx_loss(_r_x.float(), 16))
### HIDDEN CHECKS
def _ref_cpc(r, N):
    return F.softplus(math.log(N - 1) - r.detach().double()).mean()

for _N in (2, 16, 1000):
    check_close(f"cpc_approx_loss 10 pairs, N={_N}", _got_N[_N], _ref_cpc(_r, _N), atol=1e-10, rtol=1e-10,
                hint="Hint: count the negatives.")
check_close("cpc_approx_loss float32", _got32, _ref_cpc(_r.float(), 16), atol=1e-5, rtol=1e-5,
            hint="Hint: float32 log-ratios must give the same loss; keep the input's dtype throughout.")
check_close("cpc_approx_loss with |r| up to 1e4 (float64)", _got_x64, _ref_cpc(_r_x, 16),
            atol=1e-9, rtol=1e-12, hint="Hint: exp(1e4) overflows; softplus does not.")
check_close("cpc_approx_loss with |r| up to 1e4 (float32)", _got_x32, _ref_cpc(_r_x, 16), atol=1e-3, rtol=1e-6,
            hint="Hint: float32 overflows at much smaller |r| than float64; never exponentiate r directly.")
assert _got32.dtype == torch.float32, f"cpc_approx_loss changed the dtype: float32 in, {_got32.dtype} out."
### END HIDDEN TESTS

# %% [markdown]
# **E.3 How many samples for $I$ nats? [1 of the 4 points]** Because $\hat I_{\text{NCE}} \le \log N$, certifying $I$ nats needs
# $\log N \ge I$.
#
# **Spec.** `min_batch_size_for_mi(mi_nats)`: `mi_nats` a float $\ge 0$. Returns the smallest **integer** $N \ge 1$
# with $\log N \ge$ `mi_nats` (natural log, `math.log`), as a Python `int`. (The tests avoid inputs that sit
# exactly on $\log k$, where floating point decides: `math.exp(math.log(10))` is `10.000000000000002`.)

# %% nbgrader={"grade_id": "min_batch_size_for_mi", "solution": true}
def min_batch_size_for_mi(mi_nats: float) -> int:
    """Smallest integer N >= 1 with log(N) >= mi_nats."""
    ### BEGIN SOLUTION
    return max(1, math.ceil(math.exp(mi_nats)))
    ### END SOLUTION


# %% grading="skip"
finish_first({"min_batch_size_for_mi": "Part E.3"})
for _mi in [1, 2, 5, 10, 20]:
    print(f"to certify {_mi:>2} nats InfoNCE needs a batch of at least {min_batch_size_for_mi(_mi):>12,d} samples")

# %% nbgrader={"grade_id": "test_min_batch_size_for_mi", "grade": true, "points": 1}
"""min_batch_size_for_mi: smallest integer N with log N >= I (natural log)."""
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got = min_batch_size_for_mi(2.2)
assert int(_got) == _got and int(_got) == 10, f"min_batch_size_for_mi(2.2): expected 10, got {_got}. Hint: natural log, smallest integer."
### BEGIN HIDDEN TESTS
_mis = [0.0, 0.5, 3.0, 6.5, 10.0, 12.3]
_answers = []
for _mi in _mis:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _answers.append(frozen(min_batch_size_for_mi(_mi)))
### HIDDEN CHECKS
for _mi, _want, _got in zip(_mis, [1, 2, 21, 666, 22027, 219696], _answers):
    assert isinstance(_got, (int, np.integer)) or (torch.is_tensor(_got) and _got.dim() == 0 and not _got.is_floating_point()), \
        f"min_batch_size_for_mi({_mi}) returned {type(_got).__name__}; a batch size is an integer."
    assert int(_got) == _want, f"min_batch_size_for_mi({_mi}): expected {_want}, got {_got}. Hint: log N >= I with the natural log."
### END HIDDEN TESTS

# %% [markdown]
# **E.4 The ceiling of a cosine critic [1 of the 4 points].** SimCLR (Part H) scores with $\ell_{ij} = \cos(z_i, z'_j)/\tau$, so every
# logit lies in $[-1/\tau, 1/\tau]$. For one anchor, the loss $-\ell_{ii} + \log\sum_j e^{\ell_{ij}}
# = \log\big(1 + \sum_{j \ne i} e^{\ell_{ij} - \ell_{ii}}\big)$ is smallest when the positive sits at $+1/\tau$ and
# all $N - 1$ negatives at $-1/\tau$, so
#
# $$\mathcal{L}_N \ge \log\big(1 + (N-1)\,e^{-2/\tau}\big), \qquad
# \hat I_{\text{NCE}} = \log N - \mathcal{L}_N \le \log N - \log\big(1 + (N-1)\,e^{-2/\tau}\big) .$$
#
# At $\tau = 1$ and $N = 512$ that is about 2 nats, however good the encoder: a cosine critic at a high temperature
# cannot even express a confident answer. (The bound is attained only for $N = 2$; with more candidates the negatives
# cannot all be antipodal to the anchor, so the true ceiling is lower still.)
#
# **Spec.** `cosine_critic_ceiling(N, tau)`: `N` an integer $\ge 1$, `tau` a positive float. Returns the right-hand
# side in nats as a Python `float` ($0$ for $N = 1$, where there is nothing to tell apart), accurate for $\tau$ from
# $10^{-3}$ to $10^3$ and $N$ up to $10^9$ (the tests allow $10^{-7}$ nats: compute in float64, as Python's own floats
# do, not in float32). At $\tau = 10^{-3}$, $e^{2/\tau} = e^{2000}$ overflows: write the formula
# with $e^{-2/\tau}$ (which underflows harmlessly to $0$), e.g. with `math.log1p`.

# %% nbgrader={"grade_id": "cosine_critic_ceiling", "solution": true}
def cosine_critic_ceiling(N: int, tau: float) -> float:
    """log N - log(1 + (N - 1) exp(-2 / tau)): the most a cosine critic at temperature tau can certify, in nats."""
    ### BEGIN SOLUTION
    if N <= 1:
        return 0.0
    # log(1 + (N-1) e^{-2/tau}) = softplus(log(N-1) - 2/tau), computed without overflow.
    t = math.log(N - 1) - 2.0 / tau
    softplus = t + math.log1p(math.exp(-t)) if t > 0 else math.log1p(math.exp(t))
    return math.log(N) - softplus
    ### END SOLUTION


# %% grading="skip"
# Worked check: gradient descent directly on N free unit vectors (the best any encoder could do) never beats the
# ceiling; for N = 2 it reaches it.
finish_first({"info_nce_loss": "Part C", "infonce_mi_lower_bound": "Part E.1", "cosine_critic_ceiling": "Part E.4"})
def best_cosine_estimate(N, tau, d=8, steps=300, seed=SEED):
    """Optimise N anchor and N candidate embeddings directly for InfoNCE with cosine logits; return the estimate."""
    gen = torch.Generator().manual_seed(seed)
    z_c = torch.randn(N, d, generator=gen, dtype=torch.float64, requires_grad=True)
    z_x = torch.randn(N, d, generator=gen, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([z_c, z_x], lr=0.05)
    for _ in range(steps):
        loss = info_nce_loss(F.normalize(z_c, dim=1), F.normalize(z_x, dim=1), tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return infonce_mi_lower_bound(F.normalize(z_c, dim=1) @ F.normalize(z_x, dim=1).T / tau)


print(f"{'N':>4} {'tau':>5} {'log N':>6} {'ceiling':>8} {'optimised':>10}")
for _N, _tau in [(2, 1.0), (16, 1.0), (16, 0.1), (64, 1.0), (64, 0.1)]:
    _best, _ceil = best_cosine_estimate(_N, _tau), cosine_critic_ceiling(_N, _tau)
    print(f"{_N:4d} {_tau:5.1f} {math.log(_N):6.3f} {_ceil:8.3f} {_best:10.3f}")
    assert _best <= _ceil + 1e-6, f"N={_N}, tau={_tau}: optimised estimate {_best:.4f} above the ceiling {_ceil:.4f}"
    if _N == 2:
        assert _best >= _ceil - 1e-3, f"N=2: the ceiling {_ceil:.4f} should be reached, got {_best:.4f}"

# %% nbgrader={"grade_id": "test_cosine_critic_ceiling", "grade": true, "points": 1}
"""cosine_critic_ceiling: value in nats for N=512, tau=1, no overflow at tau = 1e-3, a Python float (not a tensor)."""
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got = float(cosine_critic_ceiling(512, 1.0))
    _small_tau = float(cosine_critic_ceiling(512, 1e-3))
check_close("cosine_critic_ceiling(512, 1.0)", _got, 1.9875985911, atol=1e-8,
            hint="Hint: nats; the positive at +1/tau and N-1 negatives at -1/tau.")
check_close("cosine_critic_ceiling(512, 1e-3)", _small_tau, math.log(512), atol=1e-9,
            hint="Hint: at a tiny temperature the ceiling is log N; exp(2/tau) = exp(2000) overflows.")
### BEGIN HIDDEN TESTS
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _cases = [(2, 0.5), (8, 0.1), (64, 2.0), (1000, 1000.0), (10 ** 9, 0.05), (10 ** 9, 1e-3), (3, 1e3), (1, 0.5)]
    _got_cases = [frozen(cosine_critic_ceiling(_N, _tau)) for _N, _tau in _cases]
### HIDDEN CHECKS
# The spec says a Python float: a 0-dim tensor or a float32 number is not one (numpy's float64 is a float subclass).
for (_N, _tau), _g_c in zip(_cases, _got_cases):
    assert isinstance(_g_c, float), \
        (f"cosine_critic_ceiling({_N}, {_tau}): expected a Python float, got {type(_g_c).__name__} {_g_c!r}. "
         f"Hint: float(...) or .item() turns a tensor into a float.")
def _ref_ceiling(N, tau):
    return math.log(N) - float(np.logaddexp(0.0, math.log(N - 1) - 2.0 / tau)) if N > 1 else 0.0

for (_N, _tau), _g_c in zip(_cases, _got_cases):
    check_close(f"cosine_critic_ceiling({_N}, {_tau})", _g_c, _ref_ceiling(_N, _tau), atol=1e-7, rtol=1e-9,
                hint="Hint: N - 1 negatives, each at cosine -1, and the logits are divided by tau.")
### END HIDDEN TESTS

# %% [markdown]
# ## Part F: Correlated Gaussians, where the mutual information is known (6 points)
#
# **Goal.** Test the bound where the truth is known in closed form: compute the exact mutual information
# and the optimal critic of correlated Gaussians, then show that InfoNCE estimates stay below the true MI
# and saturate at $\log N$, for the optimal critic and for a trained one.
#
# **Model.** $c \sim \mathcal{N}(0, I_d)$ and $x = \rho\, c + \sqrt{1-\rho^2}\,\varepsilon$ with $\varepsilon \sim \mathcal{N}(0, I_d)$:
# $d$ independent coordinate pairs $(x_k, c_k)$, each with correlation $\rho$. Then $p(x) = \mathcal{N}(0, I_d)$,
# $p(x|c) = \mathcal{N}(\rho c, (1-\rho^2) I_d)$ and
#
# $$\log\frac{p(x|c)}{p(x)} = -\frac d2 \log(1-\rho^2) - \frac{\lVert x - \rho c\rVert^2}{2(1-\rho^2)} + \frac{\lVert x\rVert^2}{2},
# \qquad I(x; c) = \mathbb{E}\log\frac{p(x|c)}{p(x)} = -\frac d2 \log(1 - \rho^2) \text{ nats}.$$
#
# Conversely, for a target $I$: $\rho = \sqrt{1 - e^{-2I/d}}$. The log density ratio is the **optimal critic**
# of Part D.
#
# **Spec [2 of the 6 points: 1 each].**
# * `gaussian_mi(rho, d)`: `rho` a float in $(-1, 1)$ or a tensor of them, `d` a positive int. Returns $I$ in nats:
#   a `float` for a float `rho`, a tensor of the same shape and dtype for a tensor `rho`.
# * `gaussian_log_density_ratio(x, c, rho)`: `x` `(..., d)`, `c` `(..., d)` whose leading dimensions broadcast
#   against each other; `rho` a float. Returns $\log p(x|c)/p(x)$ with the broadcast leading shape (the last
#   dimension summed out), the input's dtype and device. Example: `x[None, :, :]` `(1, N, d)` and `c[:, None, :]`
#   `(N, 1, d)` give the `(N, N)` matrix $S_{ij} = \log p(x_j|c_i)/p(x_j)$.

# %% nbgrader={"grade_id": "gaussian_mi", "solution": true}
def gaussian_mi(rho, d: int):
    """-(d/2) log(1 - rho^2) nats; float in -> float out, tensor in -> tensor out."""
    ### BEGIN SOLUTION
    if torch.is_tensor(rho):
        return -0.5 * d * torch.log1p(-rho ** 2)
    return -0.5 * d * math.log1p(-rho ** 2)
    ### END SOLUTION


# %% nbgrader={"grade_id": "gaussian_log_density_ratio", "solution": true}
def gaussian_log_density_ratio(x: torch.Tensor, c: torch.Tensor, rho: float) -> torch.Tensor:
    """log p(x|c) - log p(x) for x = rho c + sqrt(1 - rho^2) eps, summed over the last dimension."""
    ### BEGIN SOLUTION
    var = 1.0 - rho ** 2
    d = x.shape[-1]
    per_coord = -((x - rho * c) ** 2) / (2 * var) + x ** 2 / 2
    return per_coord.sum(dim=-1) - 0.5 * d * math.log(var)
    ### END SOLUTION


# %% grading="skip"
# Worked example: the mean log ratio over positive pairs is the MI (step (6)), and the mean of the *ratio*
# over independent pairs is 1 (step (3) -> (4)).
finish_first({"gaussian_mi": "Part F", "gaussian_log_density_ratio": "Part F"})
_g = torch.Generator().manual_seed(0)
_d, _rho, _n = 2, 0.5, 200_000
_c = torch.randn(_n, _d, generator=_g, dtype=torch.float64)
_x = _rho * _c + math.sqrt(1 - _rho ** 2) * torch.randn(_n, _d, generator=_g, dtype=torch.float64)
_x_indep = torch.randn(_n, _d, generator=_g, dtype=torch.float64)
_mean_r = gaussian_log_density_ratio(_x, _c, _rho).mean().item()
_mean_ratio = gaussian_log_density_ratio(_x_indep, _c, _rho).exp().mean().item()
print(f"E[log ratio] over positive pairs = {_mean_r:.4f}   closed-form I = {gaussian_mi(_rho, _d):.4f}")
print(f"E_x~p(x)[p(x|c)/p(x)] = {_mean_ratio:.4f}   (exactly 1 in expectation)")
assert abs(_mean_r - gaussian_mi(_rho, _d)) < 0.01 and abs(_mean_ratio - 1) < 0.02

# %% nbgrader={"grade_id": "test_gaussian_mi", "grade": true, "points": 1}
"""gaussian_mi: closed form in nats; a float rho gives a Python float, a tensor of rhos a tensor (dtype kept)."""
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got_pos = float(gaussian_mi(0.5, 3))
    _got_neg = float(gaussian_mi(-0.5, 3))
    _got = gaussian_mi(torch.tensor([0.0, 0.5], dtype=torch.float64), 3)
check_close("gaussian_mi(0.5, 3)", _got_pos, 0.43152310867767135, atol=1e-10,
            hint="Hint: natural log; d independent pairs add up.")
assert torch.is_tensor(_got) and _got.dtype == torch.float64, f"gaussian_mi(tensor): expected a float64 tensor, got {type(_got)} {getattr(_got, 'dtype', '')}."
check_close("gaussian_mi(tensor [0, 0.5], 3)", _got, [0.0, 0.43152310867767135], atol=1e-10,
            hint="Hint: rho = 0 means independent variables; apply the same formula elementwise.")
check_close("gaussian_mi(-0.5, 3) vs gaussian_mi(0.5, 3)", _got_neg, _got_pos, atol=1e-12, rtol=0,
            hint="Hint: a negative correlation makes x just as predictable from c as a positive one.")
### BEGIN HIDDEN TESTS
_cases = [(0.3, 1), (-0.3, 1), (0.9, 5), (-0.75, 20), (0.999, 2), (0.0, 7)]
_rhos = torch.tensor([-0.9, -0.2, 0.4, 0.95], dtype=torch.float64)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_cases = [frozen(gaussian_mi(_rho, _d)) for _rho, _d in _cases]
    _got = frozen(gaussian_mi(_rhos, 4))
    _got32 = frozen(gaussian_mi(_rhos.float(), 4))
### HIDDEN CHECKS
def _ref_gmi(rho, d):
    return -0.5 * d * np.log1p(-np.asarray(rho, dtype=np.float64) ** 2)

for (_rho, _d), _got_c in zip(_cases, _got_cases):
    # float in -> float out (numpy's float64 is a float subclass; a 0-dim tensor is not)
    assert isinstance(_got_c, float), \
        (f"gaussian_mi({_rho}, {_d}) with a float rho: expected a Python float, got {type(_got_c).__name__} "
         f"{_got_c!r}. Hint: a float rho gives a float, a tensor of rhos a tensor.")
    check_close(f"gaussian_mi({_rho}, {_d})", _got_c, _ref_gmi(_rho, _d), atol=1e-10, rtol=1e-10,
                hint="Hint: the MI depends on rho only through rho squared.")
assert torch.is_tensor(_got) and _got.dtype == torch.float64 and _got.shape == (4,), \
    f"gaussian_mi(float64 tensor of shape (4,)): got {type(_got).__name__} {getattr(_got, 'dtype', '')} {tuple(getattr(_got, 'shape', ()))}."
check_close("gaussian_mi(float64 tensor, 4)", _got, _ref_gmi(_rhos.numpy(), 4), atol=1e-10, rtol=1e-10,
            hint="Hint: a tensor of rhos gives a tensor of MIs, one per rho.")
check_close("gaussian_mi(float32 tensor, 4)", _got32, _ref_gmi(_rhos.float().numpy(), 4), atol=1e-5, rtol=1e-5,
            hint="Hint: a float32 tensor of rhos must give the same MIs, as a float32 tensor.")
assert torch.is_tensor(_got32) and _got32.dtype == torch.float32, \
    f"gaussian_mi(float32 tensor): expected a float32 tensor, got {type(_got32).__name__} {getattr(_got32, 'dtype', '')}."
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_gaussian_log_density_ratio", "grade": true, "points": 1}
"""gaussian_log_density_ratio: values on a 2-pair fixture, summed over d, broadcasting to (N, N), dtype kept."""
_x = torch.tensor([[1.0, 0.0], [0.5, -1.0]], dtype=torch.float64)
_c = torch.tensor([[1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got = gaussian_log_density_ratio(_x, _c, 0.5)
    _S = gaussian_log_density_ratio(_x[None, :, :], _c[:, None, :], 0.5)
check_close("gaussian_log_density_ratio 2 pairs, d=2", _got, [0.45434873911844764, 0.07934873911844761], atol=1e-9,
            hint="Hint: conditional variance 1 - rho^2, marginal variance 1, and do not forget the normalisers.")
assert _got.dtype == torch.float64, f"gaussian_log_density_ratio changed the dtype: float64 in, {_got.dtype} out."
assert tuple(_S.shape) == (2, 2), f"gaussian_log_density_ratio((1,2,2), (2,1,2)): expected shape (2, 2), got {tuple(_S.shape)}."
### BEGIN HIDDEN TESTS
_seed = 71  # per-submission seed
_g = torch.Generator().manual_seed(_seed)
_x = torch.randn(4, 3, generator=_g, dtype=torch.float64)
_c = torch.randn(4, 3, generator=_g, dtype=torch.float64)
_xb = torch.randn(5, 1, 3, generator=_g, dtype=torch.float64)
_cb = torch.randn(1, 6, 3, generator=_g, dtype=torch.float64)
_x1 = torch.randn(3, 1, generator=_g, dtype=torch.float64)
_c1 = torch.randn(3, 1, generator=_g, dtype=torch.float64)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_rho = {_rho: frozen(gaussian_log_density_ratio(_x, _c, _rho)) for _rho in (0.7, -0.4, 0.99, 0.0)}
    _got_b = frozen(gaussian_log_density_ratio(_xb, _cb, 0.6))
    _got32 = frozen(gaussian_log_density_ratio(_x.float(), _c.float(), 0.7))
    _got1 = frozen(gaussian_log_density_ratio(_x1, _c1, 0.8))
### HIDDEN CHECKS
def _ref_ratio(x, c, rho):
    x, c = x.detach().double().numpy(), c.detach().double().numpy()
    var = 1 - rho ** 2
    lp_cond = -0.5 * np.log(2 * np.pi * var) - (x - rho * c) ** 2 / (2 * var)
    lp_marg = -0.5 * np.log(2 * np.pi) - x ** 2 / 2
    return (lp_cond - lp_marg).sum(-1)

for _rho in (0.7, -0.4, 0.99, 0.0):
    check_close(f"gaussian_log_density_ratio 4 pairs, d=3, rho={_rho}", _got_rho[_rho],
                _ref_ratio(_x, _c, _rho), atol=1e-9, rtol=1e-10,
                hint="Hint: check both Gaussians' normalisers and variances, and how rho enters the mean.")
check_close("gaussian_log_density_ratio broadcast (5,1,3) x (1,6,3)", _got_b,
            _ref_ratio(_xb, _cb, 0.6), atol=1e-9, rtol=1e-10, hint="Hint: sum over the last dimension only.")
assert _got32.dtype == torch.float32, f"gaussian_log_density_ratio changed the dtype: float32 in, {_got32.dtype} out."
check_close("gaussian_log_density_ratio float32", _got32, _ref_ratio(_x.float(), _c.float(), 0.7), atol=1e-5, rtol=1e-5,
            hint="Hint: float32 inputs must give the same log ratios; keep the input's dtype throughout.")
check_close("gaussian_log_density_ratio d=1", _got1, _ref_ratio(_x1, _c1, 0.8), atol=1e-9, rtol=1e-10,
            hint="Hint: with d = 1 the last dimension has size 1 and is still summed out.")
assert _got1.dtype == torch.float64, f"gaussian_log_density_ratio changed the dtype: float64 in, {_got1.dtype} out."
### END HIDDEN TESTS

# %% [markdown]
# ### F.1 Experiment: the optimal critic and the $\log N$ ceiling
#
# For $d = 2$, target MIs from $0.5$ to $8$ nats and batch sizes $N \in \{8, 64, 512\}$ we draw batches of
# $N$ pairs, score every context against every candidate with the optimal critic
# $S_{ij} = \log p(x_j|c_i)/p(x_j)$, and average $\hat I_{\text{NCE}}$ over the batches (8192 pairs per point
# where the accuracy is checked below, 2048 elsewhere). We also evaluate the approximate chain of E.2,
# $\log N - \mathcal{L}_N^{\text{approx}}$.
#
# **Done when:** (i) every estimate is $\le \log N$; (ii) where the MI is well below $\log N$
# ($\log N - I \ge 4$ nats, i.e. $N \ge 55\,e^{I}$) the estimate is within $\max(5\%, 0.05 \text{ nats})$ of
# the closed form; (iii) neither the estimate nor the approximate chain exceeds the true MI (up to 0.1 nats of
# Monte-Carlo noise).

# %% nbgrader={"grade_id": "gaussian_sampler", "locked": true}
def sample_correlated_gaussians(n_batches, N, d, rho, gen, dtype=torch.float64):
    """(x, c) of shape (n_batches, N, d): c ~ N(0, I), x = rho c + sqrt(1 - rho^2) eps."""
    c = torch.randn(n_batches, N, d, generator=gen, dtype=dtype)
    x = rho * c + math.sqrt(1 - rho ** 2) * torch.randn(n_batches, N, d, generator=gen, dtype=dtype)
    return x, c

# %% grading="skip"
finish_first({"infonce_mi_lower_bound": "Part E.1", "cpc_approx_loss": "Part E.2",
              "gaussian_log_density_ratio": "Part F"})
MI_D = 2
MI_LEVELS = [0.5, 1.0, 2.0, 4.0, 6.0, 8.0]
BATCH_SIZES = [8, 64, 512]
PAIRS_CHECKED, PAIRS_OTHER = 8192, 2048       # more pairs where the accuracy is asserted

_t0 = time.time()
_gen = torch.Generator().manual_seed(SEED + 2024)
optimal_estimates = {}                        # (N, true MI) -> mean InfoNCE estimate
approx_estimates = {}                         # (N, true MI) -> log N - cpc_approx_loss
for N in BATCH_SIZES:
    for mi in MI_LEVELS:
        rho = math.sqrt(1 - math.exp(-2 * mi / MI_D))
        pairs = PAIRS_CHECKED if math.log(N) - mi >= 4 else PAIRS_OTHER
        x, c = sample_correlated_gaussians(pairs // N, N, MI_D, rho, _gen)
        # scores[b, i, j] = log p(x_j | c_i) / p(x_j): contexts index rows, candidates columns.
        scores = gaussian_log_density_ratio(x[:, None, :, :], c[:, :, None, :], rho)
        optimal_estimates[N, mi] = float(np.mean([infonce_mi_lower_bound(s) for s in scores]))
        r_pos = gaussian_log_density_ratio(x, c, rho).flatten()
        approx_estimates[N, mi] = math.log(N) - cpc_approx_loss(r_pos, N).item()

print(f"{'N':>5} {'log N':>6} {'true I':>7} {'InfoNCE':>8} {'approx':>7} {'rel.err':>8}")
for (N, mi), est in optimal_estimates.items():
    print(f"{N:5d} {math.log(N):6.3f} {mi:7.2f} {est:8.3f} {approx_estimates[N, mi]:7.3f} {abs(est - mi) / mi:8.1%}")
    assert est <= math.log(N) + 1e-9, f"N={N}, I={mi}: estimate {est:.3f} above log N"
    assert est <= mi + 0.1 and approx_estimates[N, mi] <= mi + 0.1, f"N={N}, I={mi}: above the true MI"
    if math.log(N) - mi >= 4:
        assert abs(est - mi) <= max(0.05 * mi, 0.05), f"N={N}, I={mi}: estimate {est:.3f} too far from the truth"
print(f"({time.time() - _t0:.2f} s)")

# %% [markdown]
# ### F.2 Training a critic [4 of the 6 points]
#
# In practice the critic is learned. The notebook so far handed you the optimal critic; now you write the loop that
# learns one. A **separable** critic scores $\log s(x, c) = f(c)^\top f'(x)/\tau$ with two networks $f$ (contexts) and
# $f'$ (candidates); InfoNCE trains both at once: each step draws a **fresh** batch of $N$ positive pairs
# $(c_i, x_i)$, computes $\mathcal{L} = $ `loss_fn(f(c), f_prime(x), tau)` (the other $N-1$ candidates of the batch
# are each anchor's negatives), and takes one optimiser step on the parameters of **both** networks.
#
# **Spec.** `train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=None)`:
# * `f`, `f_prime`: `torch.nn.Module`s mapping `(N, d)` to `(N, m)`; `sample_pairs()`: a function with no argument
#   that returns a new batch `(c, x)`, two `(N, d)` tensors, row $i$ of both from the same pair;
# * make **one** `torch.optim.Adam` over the parameters of both networks with learning rate `lr` (Adam's default betas
#   and eps; no gradient clipping or other change to its step: the tests replay your steps with that optimiser and
#   compare the parameters to $10^{-5}$), once, before the loop, then for each of
#   the `steps` steps: draw a batch, compute the loss with **one** call of `loss_fn` (`None` means your
#   `info_nce_loss`, looked up when the function runs; the tests pass their own, so this part does not depend on
#   Part C), clear the old gradients, backpropagate, step;
# * return the list of the `steps` training losses as Python `float`s (the loss of each batch before its step).
#
# Train in place (the networks passed in are the ones that learn) and do not wrap the loop in `torch.no_grad()`.

# %% nbgrader={"grade_id": "train_critic", "solution": true}
def train_critic(f: nn.Module, f_prime: nn.Module, sample_pairs, steps: int, lr: float = 1e-2, tau: float = 1.0,
                 loss_fn=None) -> list[float]:
    """Adam on f and f_prime together, one fresh batch of pairs per step; returns the per-step losses."""
    ### BEGIN SOLUTION
    loss_fn = info_nce_loss if loss_fn is None else loss_fn
    optimizer = torch.optim.Adam([*f.parameters(), *f_prime.parameters()], lr=lr)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses
    ### END SOLUTION


# %% nbgrader={"grade_id": "critic_fixtures", "locked": true}
def make_critic_networks(d: int, seed: int, d_candidate: int | None = None, hidden: int = 32, out: int = 16):
    """The two 2-layer MLPs of the separable critic, f (contexts of size d) and f' (candidates), seeded."""
    torch.manual_seed(seed)
    return (nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, out)),
            nn.Sequential(nn.Linear(d_candidate or d, hidden), nn.ReLU(), nn.Linear(hidden, out)))


def gaussian_pair_sampler(mi: float, N: int, d: int, gen: torch.Generator):
    """sample_pairs() for train_critic: N fresh pairs (c, x) of correlated Gaussians with I(x; c) = mi nats."""
    rho = math.sqrt(1 - math.exp(-2 * mi / d))

    def sample_pairs():
        x, c = sample_correlated_gaussians(1, N, d, rho, gen, dtype=torch.float32)
        return c[0], x[0]
    return sample_pairs


def reference_info_nce(z_c, z_x, tau):
    """The tests' InfoNCE (so that F.2 does not depend on your Part C): N-way cross-entropy, as Part C showed."""
    return F.cross_entropy(z_c @ z_x.T / tau, torch.arange(len(z_c)))


def critic_estimate(f, f_prime, sample_pairs, n_batches: int) -> float:
    """Mean InfoNCE estimate log N - L_N of a trained critic over fresh batches (nats), tau = 1."""
    estimates = []
    with torch.no_grad():
        for _ in range(n_batches):
            c, x = sample_pairs()
            estimates.append(math.log(len(c)) - float(reference_info_nce(f(c), f_prime(x), 1.0)))
    return float(np.mean(estimates))

# %% nbgrader={"grade_id": "test_train_critic_steps", "grade": true, "points": 1}
"""train_critic: one fresh batch and one loss_fn call per step, losses as floats, loss before its step; one Adam kept across steps at the lr passed in, plain steps, old gradients cleared."""
_calls = {"batches": 0, "losses": 0}
_sampler = gaussian_pair_sampler(1.0, 16, 2, torch.Generator().manual_seed(7))


def _counting_sampler():
    _calls["batches"] += 1
    return _sampler()


def _counting_loss(z_c, z_x, tau):
    _calls["losses"] += 1
    return reference_info_nce(z_c, z_x, tau)


_f, _fp = make_critic_networks(2, seed=3)
_first_c, _first_x = gaussian_pair_sampler(1.0, 16, 2, torch.Generator().manual_seed(7))()
with torch.no_grad():
    _first_loss = float(reference_info_nce(_f(_first_c), _fp(_first_x), 0.5))
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _losses = train_critic(_f, _fp, _counting_sampler, steps=5, lr=1e-2, tau=0.5, loss_fn=_counting_loss)
assert isinstance(_losses, list) and len(_losses) == 5 and all(isinstance(_v, float) for _v in _losses), \
    f"train_critic(steps=5): expected a list of 5 Python floats, got {_losses!r}."
assert _calls["batches"] == 5, f"train_critic(steps=5) drew {_calls['batches']} batches; draw a fresh batch every step."
assert _calls["losses"] == 5, f"train_critic(steps=5) called loss_fn {_calls['losses']} times; expected once per step."
check_close("train_critic: first returned loss", _losses[0], _first_loss, atol=1e-5,
            hint="Hint: return the loss of each batch as computed before its optimiser step, with the tau passed in.")
### BEGIN HIDDEN TESTS
_seed_net = 4  # per-submission seed
_seed = 8  # per-submission seed
_f, _fp = make_critic_networks(2, seed=_seed_net)
_sampler = gaussian_pair_sampler(2.0, 32, 2, torch.Generator().manual_seed(_seed))
_replay = gaussian_pair_sampler(2.0, 32, 2, torch.Generator().manual_seed(_seed))


def _train_three_steps(f, fp, sampler, replay):
    """train_critic's losses for 3 steps, and the loss of the third batch after its step (trained networks)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _losses = train_critic(f, fp, sampler, steps=3, lr=1e-2, tau=2.0, loss_fn=reference_info_nce)
    with torch.no_grad():
        _c3, _x3 = [replay() for _ in range(3)][-1]
        _after = float(reference_info_nce(f(_c3), fp(_x3), 2.0))
    return _losses, _after


_losses, _after = frozen(_train_three_steps(_f, _fp, _sampler, _replay))
# The procedure, replayed in the checks: 4 steps at a non-default lr (0.05) and tau (0.7), started with stale
# gradients of 1e6 on every parameter, with a loss whose scale changes from step to step (x1e4, x1, x1e2, x1e3).
# Adam ignores a constant scale but not a changing one, so clipping the gradient at any norm below ~1e3 changes the
# parameters; a fresh Adam per step moves every parameter by about +-lr from step 2 on; stale gradients that are not
# cleared before the first backward move every parameter by lr in their direction.
_seed_net_adam = 18  # per-submission seed
_seed_adam = 19  # per-submission seed
_loss_scales = (1e4, 1.0, 1e2, 1e3)


def _train_four_scaled_steps(seed_net, seed):
    """The parameters of f and f' (flattened, in order) after train_critic's 4 steps, and the losses it returned."""
    f, fp = make_critic_networks(2, seed=seed_net)
    for p in [*f.parameters(), *fp.parameters()]:
        p.grad = torch.full_like(p, 1e6)                       # stale gradients: clear them before the backward pass
    calls = []

    def scaled_loss(z_c, z_x, tau):
        calls.append(tau)
        return _loss_scales[min(len(calls), 4) - 1] * reference_info_nce(z_c, z_x, tau)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        losses = train_critic(f, fp, gaussian_pair_sampler(2.0, 32, 2, torch.Generator().manual_seed(seed)), steps=4,
                              lr=0.05, tau=0.7, loss_fn=scaled_loss)
    return torch.cat([p.detach().flatten() for p in [*f.parameters(), *fp.parameters()]]), losses


_params_adam, _losses_adam = frozen(_train_four_scaled_steps(_seed_net_adam, _seed_adam))
### HIDDEN CHECKS
assert len(_losses) == 3 and all(isinstance(_v, float) for _v in _losses), f"train_critic(steps=3): got {_losses!r}."
assert abs(_losses[2] - _after) > 1e-7, \
    "train_critic: the third loss equals the loss after the last step; record each loss before its optimiser step."


def _ref_four_scaled_steps(seed_net, seed):
    """One torch.optim.Adam (default betas and eps) at lr = 0.05 over both networks, the plain step, 4 steps."""
    f, fp = make_critic_networks(2, seed=seed_net)
    params = [*f.parameters(), *fp.parameters()]
    opt = torch.optim.Adam(params, lr=0.05)
    sampler = gaussian_pair_sampler(2.0, 32, 2, torch.Generator().manual_seed(seed))
    losses = []
    for scale in _loss_scales:
        c, x = sampler()
        loss = scale * reference_info_nce(f(c), fp(x), 0.7)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return torch.cat([p.detach().flatten() for p in params]), losses


_want_params, _want_losses = _ref_four_scaled_steps(_seed_net_adam, _seed_adam)
check_close("train_critic: parameters after 4 Adam steps at lr=0.05", _params_adam, _want_params, atol=1e-5, rtol=1e-5,
            hint="Hint: one Adam (default settings) at the lr passed in, made once before the loop and kept for every "
                 "step; clear the old gradients before each backward pass; the plain optimiser step.")
check_close("train_critic: 4 returned losses (lr=0.05, tau=0.7, scaled loss)", _losses_adam, _want_losses,
            atol=1e-6, rtol=1e-5, hint="Hint: the loss of each fresh batch before its step, with the tau passed in.")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_train_critic_updates_both", "grade": true, "points": 1}
"""train_critic: every parameter of both networks changes (the gradients reach f and f')."""
_f, _fp = make_critic_networks(2, seed=5)
_before = {f"f.{n}": p.detach().clone() for n, p in _f.named_parameters()}
_before.update({f"f_prime.{n}": p.detach().clone() for n, p in _fp.named_parameters()})
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    train_critic(_f, _fp, gaussian_pair_sampler(1.0, 32, 2, torch.Generator().manual_seed(9)), steps=3,
                 loss_fn=reference_info_nce)
_after = {f"f.{n}": p.detach() for n, p in _f.named_parameters()}
_after.update({f"f_prime.{n}": p.detach() for n, p in _fp.named_parameters()})
_unchanged = [n for n in _before if torch.equal(_before[n], _after[n])]
assert not _unchanged, (f"train_critic: after 3 steps these parameters did not change: {_unchanged}. Hint: one optimiser "
                        f"over the parameters of both networks, and a step after each backward pass.")
### BEGIN HIDDEN TESTS
# Networks with a frozen parameter: the rest must still train (the optimiser may skip it), and no error.
_seed_net = 6  # per-submission seed
_seed = 10  # per-submission seed
_f, _fp = make_critic_networks(3, seed=_seed_net)
_f[0].bias.requires_grad_(False)
_b0 = _fp[2].weight.detach().clone()


def _train_two_steps(f, fp, seed):
    """The last weight of f' after two steps of train_critic."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_critic(f, fp, gaussian_pair_sampler(1.0, 16, 3, torch.Generator().manual_seed(seed)), steps=2,
                     loss_fn=reference_info_nce)
    return fp[2].weight.detach()


_b_after = frozen(_train_two_steps(_f, _fp, _seed))
### HIDDEN CHECKS
assert not torch.equal(_b0, _b_after), "train_critic: f' did not change with 3-dimensional inputs."
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_train_critic_learns", "grade": true, "points": 2}
"""train_critic: on 1 nat of correlated Gaussians (N = 64) the loss falls and the critic certifies most of the nat."""
_f, _fp = make_critic_networks(2, seed=11)
_gen = torch.Generator().manual_seed(12)
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _losses = train_critic(_f, _fp, gaussian_pair_sampler(1.0, 64, 2, _gen), steps=200, lr=1e-2,
                           loss_fn=reference_info_nce)
_start, _end = float(np.mean(_losses[:5])), float(np.mean(_losses[-20:]))
_est = critic_estimate(_f, _fp, gaussian_pair_sampler(1.0, 64, 2, torch.Generator().manual_seed(13)), 32)
print(f"mean loss, first 5 steps {_start:.3f}, last 20 steps {_end:.3f} (log 64 = {math.log(64):.3f}); "
      f"estimate on fresh pairs {_est:.3f} nats")
assert _end < _start - 0.3 and _end < math.log(64) - 0.6, \
    (f"train_critic: the mean loss went from {_start:.3f} (first 5 steps) to {_end:.3f} (last 20) in 200 steps; expected "
     f"it to fall by more than 0.3 and below log 64 - 0.6 = {math.log(64) - 0.6:.3f}.")
assert _est >= 0.75, (f"train_critic: the trained critic certifies {_est:.3f} nats of the true 1 nat on fresh pairs; "
                      f"expected at least 0.75 (a constant critic certifies 0).")
### BEGIN HIDDEN TESTS
_f, _fp = make_critic_networks(2, seed=14)


def _train_and_estimate(f, fp):
    """150 steps of train_critic at 2 nats, then the trained critic's estimate on fresh pairs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_critic(f, fp, gaussian_pair_sampler(2.0, 64, 2, torch.Generator().manual_seed(15)), steps=150,
                     lr=1e-2, loss_fn=reference_info_nce)
    return critic_estimate(f, fp, gaussian_pair_sampler(2.0, 64, 2, torch.Generator().manual_seed(16)), 32)


_est = frozen(_train_and_estimate(_f, _fp))
### HIDDEN CHECKS
assert 1.4 <= _est <= 2.1, f"train_critic at 2 nats, N = 64, 150 steps: expected an estimate in [1.4, 2.1], got {_est:.3f}."
### END HIDDEN TESTS

# %% [markdown]
# ### F.3 Experiment: a trained critic at several batch sizes
#
# Your `train_critic` trains the separable critic above ($\tau = 1$, two 2-layer MLPs with 32 hidden units and a
# 16-dimensional output) at each batch size $N \in \{8, 64, 512\}$ and each MI level: 200 Adam steps at $N = 8$ and
# $N = 64$, 100 at $N = 512$ (each step already sees 512 pairs). Then we evaluate $\hat I_{\text{NCE}}$ on 2048
# fresh pairs. A learned critic can only do worse than the optimal one in expectation, so it also sits below the
# truth (up to Monte-Carlo noise of a few hundredths of a nat) and below $\log N$.
#
# **Done when:** every estimate is a lower bound ($\le \log N$, and $\le I + 0.1$ up to Monte-Carlo noise); at
# $N = 64$ the critic recovers most of 1 nat; at $I = 8$ nats the estimate grows with $N$. What the table shows
# besides: at $N = 512$ the trained critic falls short of the optimal critic with the same $N$ by 0.25-0.33 nats at
# $I = 4$ and by about 1.5 nats at $I = 8$ (4.4-4.6 against 6.06). That gap is the training budget (100 steps of a
# small network), not the bound, which the optimal critic of F.1 shows to allow much more.

# %% grading="skip"
finish_first({"info_nce_loss": "Part C", "infonce_mi_lower_bound": "Part E.1", "cpc_approx_loss": "Part E.2",
              "gaussian_log_density_ratio": "Part F", "train_critic": "Part F.2"})
def trained_critic_estimate(mi, N, steps, d=MI_D, eval_pairs=2048, seed=SEED):
    """Train the separable critic with your train_critic at the given MI and batch size; return its estimate."""
    gen = torch.Generator().manual_seed(seed + 1)
    f, f_prime = make_critic_networks(d, seed)
    train_critic(f, f_prime, gaussian_pair_sampler(mi, N, d, gen), steps=steps, lr=1e-2)
    return critic_estimate(f, f_prime, gaussian_pair_sampler(mi, N, d, gen), max(1, eval_pairs // N))


_t0 = time.time()
TRAINED_MI = [1.0, 4.0, 8.0]
TRAIN_STEPS = {8: 200, 64: 200, 512: 100}          # N -> Adam steps (a few seconds in all)
trained_estimates = {(N, mi): trained_critic_estimate(mi, N, steps)
                     for N, steps in TRAIN_STEPS.items() for mi in TRAINED_MI}
print(f"{'N':>5} {'log N':>6} {'true I':>7} {'trained':>8} {'optimal':>8}")
for (N, mi), est in trained_estimates.items():
    print(f"{N:5d} {math.log(N):6.3f} {mi:7.2f} {est:8.3f} {optimal_estimates[N, mi]:8.3f}")
    assert est <= math.log(N) + 1e-6 and est <= mi + 0.1, \
        f"trained critic at N={N}, I={mi}: {est:.3f} is not a lower bound (log N = {math.log(N):.3f})"
assert trained_estimates[64, 1.0] >= 0.75, \
    f"the trained critic should recover most of 1 nat at N=64, got {trained_estimates[64, 1.0]:.3f}"
_at8 = [trained_estimates[N, 8.0] for N in TRAIN_STEPS]
assert _at8[0] + 0.5 < _at8[1] and _at8[1] + 0.5 < _at8[2], \
    f"at I=8 the estimate should grow with N, got {[round(v, 3) for v in _at8]}"
print(f"({time.time() - _t0:.2f} s)")

# %% grading="skip"
finish_first({"info_nce_loss": "Part C", "infonce_mi_lower_bound": "Part E.1", "cpc_approx_loss": "Part E.2",
              "gaussian_log_density_ratio": "Part F", "train_critic": "Part F.2"})
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for idx, N in enumerate(BATCH_SIZES):
    col = f"C{idx}"
    axes[0].plot(MI_LEVELS, [optimal_estimates[N, mi] for mi in MI_LEVELS], "o-", color=col, label=f"InfoNCE, N={N}")
    axes[0].plot(MI_LEVELS, [approx_estimates[N, mi] for mi in MI_LEVELS], "x:", color=col, alpha=0.7)
    axes[0].axhline(math.log(N), color=col, ls="--", lw=0.8)
    axes[1].plot(TRAINED_MI, [trained_estimates[N, mi] for mi in TRAINED_MI], "s-", color=col,
                 label=f"trained critic, N={N}")
    axes[1].plot(MI_LEVELS, [optimal_estimates[N, mi] for mi in MI_LEVELS], "o:", color=col, alpha=0.4)
    axes[1].axhline(math.log(N), color=col, ls="--", lw=0.8)
for ax in axes:
    ax.plot([0, 8], [0, 8], "k-", lw=0.8, label="true MI")
    ax.set_xlabel("true MI (nats)")
axes[0].set_ylabel("estimate (nats)")
axes[0].set_title("optimal critic (dotted x: approximate chain);\ndashed: log N", fontsize=9)
axes[0].legend(fontsize=7)
axes[1].legend(fontsize=7)
axes[1].set_title("trained critic, your train_critic (faint dots: optimal critic);\n"
                  "dashed: log N; at N = 512 the gap is the training budget", fontsize=9)
plt.show()

# %% [markdown]
# ## Part G: CPC on a process whose mutual information is known (2 points)
#
# **Goal.** Run the slides' own setting: Contrastive Predictive Coding predicts a future sample $x_{t+k}$ from a
# context $c_t$ that summarises the past, with a critic $f_k(x_{t+k}, c_t)$ per step $k$, and InfoNCE bounds
# $I(x_{t+k}; c_t)$. On real audio nobody knows that number. On a **stationary Gaussian AR(1)** process we do:
#
# $$x_t = a\,x_{t-1} + \sqrt{1 - a^2}\,\varepsilon_t, \qquad \varepsilon_t \overset{\text{iid}}{\sim} \mathcal{N}(0, 1),
# \qquad x_t \sim \mathcal{N}(0, 1) \text{ for every } t, \qquad |a| < 1 .$$
#
# Unrolling $k$ steps, $x_{t+k} = a^k x_t + \sqrt{1 - a^{2k}}\,\eta$ with $\eta \sim \mathcal{N}(0,1)$ independent of the
# past, so $(x_t, x_{t+k})$ is a pair of correlated Gaussians (Part F, $d = 1$) with correlation $\rho = a^k$. The
# process is Markov: once $x_t$ is known, earlier values tell nothing more about the future, so for a context made of
# the past, $c_t = (x_{t-2}, x_{t-1}, x_t)$,
#
# $$I(x_{t+k}; c_t) = I(x_{t+k}; x_t) = -\tfrac12 \log\big(1 - a^{2k}\big) \text{ nats}.$$
#
# **Spec.** `ar1_mutual_information(a, k)`: `a` a float with $|a| < 1$, `k` an integer $\ge 1$. Returns
# $I(x_{t+k}; x_t)$ in nats as a Python `float`, to a relative error of $10^{-9}$ (float64), also when $a^{2k}$ is tiny
# (use `math.log1p`).

# %% nbgrader={"grade_id": "ar1_mutual_information", "solution": true}
def ar1_mutual_information(a: float, k: int) -> float:
    """I(x_{t+k}; x_t) in nats for a stationary Gaussian AR(1) with coefficient a."""
    ### BEGIN SOLUTION
    return -0.5 * math.log1p(-(a ** (2 * k)))
    ### END SOLUTION


# %% nbgrader={"grade_id": "test_ar1_mutual_information", "grade": true, "points": 1}
"""ar1_mutual_information: closed form in nats for a few (a, k), a negative a, a tiny a^(2k), a Python float (not a tensor)."""
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got = float(ar1_mutual_information(0.9, 1))
    _got3 = float(ar1_mutual_information(0.9, 3))
check_close("ar1_mutual_information(0.9, 1)", _got, 0.830366, atol=1e-6,
            hint="Hint: the correlation of x_t and x_{t+1} is a; natural log.")
check_close("ar1_mutual_information(0.9, 3)", _got3, 0.3790466, atol=1e-6,
            hint="Hint: after k steps the correlation is a to the power k.")
### BEGIN HIDDEN TESTS
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _cases = [(0.5, 2), (-0.8, 1), (-0.8, 2), (0.999, 1), (0.3, 20), (0.99, 50)]
    _got_cases = [frozen(ar1_mutual_information(_a, _k)) for _a, _k in _cases]
### HIDDEN CHECKS
for (_a, _k), _g_c in zip(_cases, _got_cases):
    # the spec says a Python float: a 0-dim tensor or a float32 number is not one (numpy's float64 is a float subclass)
    assert isinstance(_g_c, float), \
        (f"ar1_mutual_information({_a}, {_k}): expected a Python float, got {type(_g_c).__name__} {_g_c!r}. "
         f"Hint: float(...) or .item() turns a tensor into a float.")
    _want = -0.5 * float(np.log1p(-(_a ** (2 * _k))))
    check_close(f"ar1_mutual_information({_a}, {_k})", _g_c, _want, atol=0, rtol=1e-9,
                hint="Hint: -0.5 log(1 - a^(2k)); a tiny a^(2k) needs log1p, and a negative a is fine.")
### END HIDDEN TESTS

# %% [markdown]
# ### G.1 Experiment: CPC's estimate per prediction step $k$
#
# We take $a = 0.995$ (a slowly varying signal) and $k \in \{1, 4, 16, 64\}$. For each $k$ a batch holds $N$ independent
# windows $(x_{t-2}, x_{t-1}, x_t, x_{t+k})$; the other windows' futures are each context's negatives (drawn from the
# marginal, as the bound requires). Two critics per $k$:
#
# * the **optimal** critic, the exact log density ratio of the pair $(x_t, x_{t+k})$ (your
#   `gaussian_log_density_ratio` with $\rho = a^k$, $d = 1$), at $N = 8$, $64$ and $512$;
# * a **trained** separable critic $f_k(c_t)^\top f'_k(x_{t+k})$ ($f_k$ sees the whole 3-value context) trained with
#   **your** `train_critic` at $N = 64$ for 150 steps.
#
# **Done when:** every estimate is $\le \log N$ and $\le I + 0.1$; the optimal critic at $N = 512$ is within 0.1 nats of
# the truth for every $k$; at $k = 1$, where $I > \log 8$, the $N = 8$ estimate falls short of the truth by more than
# 0.4 nats. (It does not sit *at* $\log 8$: F.1 showed that the estimate approaches $\log N$ only when $I \gg \log N$; a
# batch that is too small underestimates long before the ceiling is reached.)

# %% grading="skip"
finish_first({"info_nce_loss": "Part C", "infonce_mi_lower_bound": "Part E.1", "gaussian_log_density_ratio": "Part F",
              "train_critic": "Part F.2", "ar1_mutual_information": "Part G"})
AR_A = 0.995
AR_STEPS = [1, 4, 16, 64]


def sample_ar1_windows(N, k, a, gen, dtype=torch.float32):
    """N independent windows of a stationary AR(1): contexts (N, 3) = (x_{t-2}, x_{t-1}, x_t), futures (N, 1)."""
    x = torch.randn(N, generator=gen, dtype=dtype)                     # x_{t-2} ~ N(0, 1), stationary
    past = [x]
    for _ in range(2):
        past.append(a * past[-1] + math.sqrt(1 - a ** 2) * torch.randn(N, generator=gen, dtype=dtype))
    future = a ** k * past[-1] + math.sqrt(1 - a ** (2 * k)) * torch.randn(N, generator=gen, dtype=dtype)
    return torch.stack(past, dim=1), future[:, None]


_t0 = time.time()
_gen = torch.Generator().manual_seed(SEED + 77)
cpc_rows = []
for k in AR_STEPS:
    truth = ar1_mutual_information(AR_A, k)
    row = {"k": k, "true I": truth}
    for N in (8, 64, 512):
        estimates = []
        for _ in range(max(1, 4096 // N)):
            ctx, fut = sample_ar1_windows(N, k, AR_A, _gen, dtype=torch.float64)
            # scores[i, j] = log p(x_{t+k} of window j | x_t of window i) / p(x_{t+k} of window j)
            scores = gaussian_log_density_ratio(fut[None, :, :], ctx[:, None, 2:], AR_A ** k)
            estimates.append(infonce_mi_lower_bound(scores))
        row[f"optimal N={N}"] = float(np.mean(estimates))
    f_k, f_prime_k = make_critic_networks(3, SEED + k, d_candidate=1)   # context: 3 values; candidate: x_{t+k}
    train_critic(f_k, f_prime_k, lambda: sample_ar1_windows(64, k, AR_A, _gen), steps=150, lr=1e-2)
    row["trained N=64"] = critic_estimate(f_k, f_prime_k, lambda: sample_ar1_windows(64, k, AR_A, _gen), 32)
    cpc_rows.append(row)

print(f"{'k':>3} {'true I':>7} {'opt N=8':>8} {'opt N=64':>9} {'opt N=512':>10} {'trained N=64':>13}   "
      f"(log 8 = {math.log(8):.3f}, log 64 = {math.log(64):.3f}, log 512 = {math.log(512):.3f})")
for row in cpc_rows:
    print(f"{row['k']:3d} {row['true I']:7.3f} {row['optimal N=8']:8.3f} {row['optimal N=64']:9.3f} "
          f"{row['optimal N=512']:10.3f} {row['trained N=64']:13.3f}")
    for name, N in (("optimal N=8", 8), ("optimal N=64", 64), ("optimal N=512", 512), ("trained N=64", 64)):
        assert row[name] <= math.log(N) + 1e-9 and row[name] <= row["true I"] + 0.1, \
            f"k={row['k']}, {name}: {row[name]:.3f} is not a lower bound"
    assert abs(row["optimal N=512"] - row["true I"]) <= 0.1, f"k={row['k']}: optimal critic at N=512 off the truth"
assert cpc_rows[0]["true I"] > math.log(8) and cpc_rows[0]["optimal N=8"] <= cpc_rows[0]["true I"] - 0.4, \
    f"k=1: the N=8 estimate should fall well short of the truth, got {cpc_rows[0]['optimal N=8']:.3f}"
print(f"({time.time() - _t0:.2f} s)")

plt.figure(figsize=(5.5, 3.2))
plt.plot(AR_STEPS, [r["true I"] for r in cpc_rows], "k-", label="true I(x_{t+k}; c_t)")
for name, marker in (("optimal N=8", "o:"), ("optimal N=64", "o--"), ("optimal N=512", "o-"), ("trained N=64", "s--")):
    plt.plot(AR_STEPS, [r[name] for r in cpc_rows], marker, label=name)
plt.axhline(math.log(8), color="C0", lw=0.8, ls="--")
plt.xscale("log")
plt.xlabel("prediction step k")
plt.ylabel("nats")
plt.title(f"CPC on AR(1), a = {AR_A}: dashed line log 8", fontsize=9)
plt.legend(fontsize=7)
plt.show()

# %% [markdown]
# **G.2 (written, 1 point).** (a) Why may CPC's context be the whole past when the truth was computed from $x_t$
# alone, and what would an estimate *above* $-\frac12\log(1-a^{2k})$ tell you? (b) Read the table: for which $k$ does
# the $N = 8$ estimate fail, and how large must $N$ be to certify $I(x_{t+1}; c_t)$ at $a = 0.995$? Where does the
# trained critic fall short of the optimal one, and what would you change first?

# %% [markdown] nbgrader={"grade_id": "cpc_ar1_reading", "solution": true, "grade": true, "points": 1}
# **Your answer (G.2):**
#
# ### BEGIN SOLUTION
# *Model answer.* (a) The process is Markov: given $x_t$, the future is independent of $x_{t-1}, x_{t-2}, \dots$, so
# $I(x_{t+k}; x_{\le t}) = I(x_{t+k}; x_t)$ (data processing in both directions); a longer context can add nothing. An
# estimate above the truth (beyond Monte-Carlo noise) would mean a bug, e.g. negatives that are not drawn from the
# marginal (windows of the same sequence) or a score matrix with the axes swapped, because InfoNCE is a lower bound.
# (b) At $k = 1$, $I \approx 2.30$ nats $> \log 8 \approx 2.08$: the $N = 8$ estimate cannot reach it and in fact
# stays far below $\log 8$ too (1.55-1.59 nats over seeds 0-4); it also falls short at $k = 4$, where $\log 8 - I$ is
# small, and comes within 0.08 nats only where $I \ll \log 8$ ($k = 64$). Certifying 2.30 nats needs
# $N \ge e^{2.304}$, i.e. $N \ge 11$ (`min_batch_size_for_mi`), at the very least, and an accurate estimate needs
# $\log N$ several nats above $I$ (our rule of thumb from F.1: $\log N - I \ge 4$, $N \gtrsim 550$). Against the optimal critic at the same $N = 64$, the trained critic falls short by
# 0.2-0.35 nats at $k = 1$ (large $I$, where the log ratio is sharp) and by less than 0.1 nats at $k \ge 16$: 150
# steps of a small MLP; more steps, a larger network or a quadratic feature ($x_{t+k}^2$, $x_t x_{t+k}$, the exact
# form of the optimal log ratio) would close the gap.
#
# *Rubric (1 point).* 0.5: Markov property, so the past adds nothing, and an estimate above the truth signals an
# error (the bound cannot exceed $I$). 0.5: names $k = 1$ (where $I > \log 8$) with $N \ge e^{I}$, and a concrete
# reason for the trained critic's gap (training budget or critic capacity).
# ### END SOLUTION

# %% [markdown]
# ## Part H: SimCLR, trained by you and measured honestly (8 points)
#
# **Goal.** Write SimCLR's loss and its training step yourself, train a tiny encoder on the digits, and measure what
# it learned against the baselines a result must be printed beside.
#
# ### H.1 NT-Xent [2 of the 8 points]
#
# SimCLR (Chen et al., 2020) applies InfoNCE to two augmented views of each image in a batch, with
# cosine similarity and a temperature. Its loss, NT-Xent ("normalised temperature-scaled cross-entropy"),
# pools both views: for $N$ images there are $2N$ views $z_1, \dots, z_{2N}$ (the first view of image $k$ at
# index $k$, the second at $k + N$). With $u_i = z_i / \lVert z_i\rVert$ and $\operatorname{sim}(i, j) = u_i^\top u_j$,
#
# $$\ell(i, j) = -\log \frac{\exp(\operatorname{sim}(i, j)/\tau)}{\sum_{k=1}^{2N} \mathbb{1}[k \neq i]\, \exp(\operatorname{sim}(i, k)/\tau)},
# \qquad \mathcal{L}_{\text{NT-Xent}} = \frac{1}{2N}\sum_{k=1}^{N} \big[\ell(k, k+N) + \ell(k+N, k)\big].$$
#
# Each of the $2N$ anchors has one positive (the other view of its image) and $2N - 2$ negatives (both views of
# every other image); its **self-similarity** ($k = i$, always $1/\tau$) is excluded. The positive stays in the
# denominator. As before: no `exp` of raw logits ($\tau$ can be small, so $1/\tau$ can be $10^4$).
#
# **Spec.** `nt_xent_loss(z1, z2, tau)`: `z1`, `z2` `(N, d)` embeddings of the first and second views (row $k$
# of both from image $k$; any non-zero lengths); `tau` a positive float. Returns the 0-dim tensor
# $\mathcal{L}_{\text{NT-Xent}}$ (input dtype), differentiable.

# %% nbgrader={"grade_id": "nt_xent_loss", "solution": true}
def nt_xent_loss(z1: torch.Tensor, z2: torch.Tensor, tau: float) -> torch.Tensor:
    """SimCLR's NT-Xent over 2N views: cosine similarity / tau, self-similarity excluded, mean over 2N anchors."""
    ### BEGIN SOLUTION
    N = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2], dim=0), dim=1)            # (2N, d) unit vectors
    logits = u @ u.T / tau                                        # (2N, 2N)
    self_mask = torch.eye(2 * N, dtype=torch.bool, device=z1.device)
    logits = logits.masked_fill(self_mask, float("-inf"))         # exp(-inf) = 0: drops k = i
    positives = torch.cat([torch.arange(N, 2 * N), torch.arange(N)]).to(z1.device)
    return F.cross_entropy(logits, positives)
    ### END SOLUTION


# %% grading="skip"
# Worked example: N = 2 images give 4 views, ordered [image 0 view 1, image 1 view 1, image 0 view 2,
# image 1 view 2] (indices from 0 in code: the positive of view i is view (i + N) mod 2N). What each anchor's
# softmax sees, cosine / tau with tau = 0.5 and the self-similarity excluded (written out by hand):
#
#             view 0   view 1   view 2   view 3
#   anchor 0    --      0.000    1.990    0.067     positive: view 2
#   anchor 1   0.000     --      0.199    1.999     positive: view 3
#   anchor 2   1.990    0.199     --      0.265     positive: view 0
#   anchor 3   0.067    1.999    0.265     --       positive: view 1
finish_first({"nt_xent_loss": "Part H.1"})
_N, _tau = 2, 0.5
_z1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])                # first views of images 0 and 1
_z2 = torch.tensor([[2.0, 0.2], [0.1, 3.0]])                # second views: nearly the same directions
print(f"{'second views match their images:':36s} NT-Xent = {nt_xent_loss(_z1, _z2, _tau).item():.4f}")
print(f"{'second views swapped between them:':36s} NT-Xent = {nt_xent_loss(_z1, _z2.flip(0), _tau).item():.4f}")
print(f"{'all 4 views identical:':36s} NT-Xent = {nt_xent_loss(torch.ones(2, 2), torch.ones(2, 2), _tau).item():.4f}"
      f" = log(2N - 1) = {math.log(2 * _N - 1):.4f} (every candidate looks like the positive)")


# %% nbgrader={"grade_id": "test_nt_xent_loss", "grade": true, "points": 2}
"""nt_xent_loss: value on a 2-image fixture, 0-dim output, dtype kept, finite for tau = 1e-4."""
_z1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
_z2 = torch.tensor([[1.0, 1.0], [-1.0, 1.0]], dtype=torch.float64)
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got = nt_xent_loss(_z1, _z2, 0.5)
    _big = nt_xent_loss(_z1, _z2, 1e-4)
assert torch.is_tensor(_got) and _got.dim() == 0, f"nt_xent_loss must return a 0-dim tensor, got {type(_got)} {getattr(_got, 'shape', '')}."
check_close("nt_xent_loss 2 images, tau=0.5", _got, 0.5359693517993647, atol=1e-9,
            hint="Hint: 4 views; each anchor sees 1 positive and 2 negatives; cosine similarity.")
assert _got.dtype == torch.float64, f"nt_xent_loss changed the dtype: float64 in, {_got.dtype} out."
assert torch.isfinite(_big), f"nt_xent_loss with tau=1e-4 is {_big.item()}, not finite. Hint: logsumexp / cross_entropy."
### BEGIN HIDDEN TESTS
_seed = 81  # per-submission seed
_g = torch.Generator().manual_seed(_seed)
_z1 = torch.randn(5, 3, generator=_g, dtype=torch.float64) * torch.linspace(0.5, 4, 5, dtype=torch.float64)[:, None]
_z2 = _z1 + 0.8 * torch.randn(5, 3, generator=_g, dtype=torch.float64)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got_tau = {_tau: frozen(nt_xent_loss(_z1, _z2, _tau)) for _tau in (0.3, 1.5)}
    _got32 = frozen(nt_xent_loss(_z1.float(), _z2.float(), 0.3))
    _got_small_tau = frozen(nt_xent_loss(_z1, _z2, 1e-4))
    _got_one = frozen(nt_xent_loss(_z1[:1], _z2[:1], 0.5))


def _nt_xent_gradient(z1, z2):
    """Whether nt_xent_loss(z1, z2, 0.3) carries a gradient, and the gradient it sends to z1."""
    _z1_g = z1.clone().requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _out = nt_xent_loss(_z1_g, z2, 0.3)
        _carries = bool(torch.is_tensor(_out) and _out.requires_grad)
        if _carries:
            _out.backward()
    return _carries, _z1_g.grad


_out_carries_grad, _z1_grad = frozen(_nt_xent_gradient(_z1, _z2))
### HIDDEN CHECKS
def _ref_ntxent(z1, z2, tau):
    z = torch.cat([z1, z2]).detach().double()
    u = z / z.norm(dim=1, keepdim=True)
    n2 = z.shape[0]
    n = n2 // 2
    sim = u @ u.T / tau
    total = 0.0
    for i in range(n2):
        pos = (i + n) % n2
        others = torch.cat([sim[i, :i], sim[i, i + 1:]])
        total += float(torch.logsumexp(others, 0) - sim[i, pos])
    return total / n2

for _tau in (0.3, 1.5):
    check_close(f"nt_xent_loss N=5, tau={_tau}", _got_tau[_tau], _ref_ntxent(_z1, _z2, _tau),
                atol=1e-10, rtol=1e-10, hint="Hint: 2N anchors, 2N-2 negatives each, cosine similarity divided by tau.")
assert _got32.dtype == torch.float32, f"nt_xent_loss changed the dtype: float32 in, {_got32.dtype} out."
check_close("nt_xent_loss float32", _got32, _ref_ntxent(_z1.float(), _z2.float(), 0.3), atol=1e-5, rtol=1e-5,
            hint="Hint: float32 embeddings must give the same loss; keep the input's dtype throughout.")
check_close("nt_xent_loss tau=1e-4 (float64)", _got_small_tau, _ref_ntxent(_z1, _z2, 1e-4),
            atol=1e-7, rtol=1e-10, hint="Hint: 1/tau = 1e4 overflows exp.")
check_close("nt_xent_loss, 1 image (no negatives)", _got_one, 0.0, atol=1e-10,
            hint="Hint: with one image each view's only other candidate is its positive.")
assert _out_carries_grad, "nt_xent_loss output carries no gradient."
_z1_r = _z1.clone().requires_grad_(True)
_u = F.normalize(torch.cat([_z1_r, _z2]), dim=1)
_lg = (_u @ _u.T / 0.3).masked_fill(torch.eye(10, dtype=torch.bool), float("-inf"))
F.cross_entropy(_lg, torch.tensor([5, 6, 7, 8, 9, 0, 1, 2, 3, 4])).backward()
assert _z1_grad is not None, "nt_xent_loss: expected a gradient with respect to z1, got None."
check_close("nt_xent_loss gradient w.r.t. z1", _z1_grad, _z1_r.grad, atol=1e-10,
            hint="Hint: the gradient follows the formula only if the loss is the formula.")
### END HIDDEN TESTS

# %% [markdown]
# ### H.2 The SimCLR training step [4 of the 8 points]
#
# One step of SimCLR: draw **two independent views** of every image of the batch with your augmentation, embed them
# with the encoder $f$ and the projection head $g$, and take one optimiser step on NT-Xent:
#
# $$v = t(x),\ v' = t'(x), \quad t, t' \sim \mathcal{T}, \qquad
# \mathcal{L} = \mathcal{L}_{\text{NT-Xent}}\big(g(f(v)),\ g(f(v')),\ \tau\big) .$$
#
# **Spec.** `simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
# augment_fn=None, loss_fn=None)`:
# * `images` `(B, 8, 8)`; `optimizer` already holds the parameters of `encoder` and `head`;
# * view 1, then view 2: `augment_fn(images, generator, max_shift, noise_std)` (two calls, in that order, so that a
#   seed gives the same views everywhere);
# * loss `loss_fn(head(encoder(v1)), head(encoder(v2)), tau)`; clear the old gradients, backpropagate, step (the plain
#   `optimizer.step()`: no gradient clipping or rescaling; the tests compare your parameters with that step to $10^{-5}$);
# * return the loss as a Python `float` (its value before the step).
#
# `None` means your `augment` and your `nt_xent_loss`, looked up when the function runs (so a later fix of Part A or
# H.1 is used without rerunning this cell); the tests pass their own, so this exercise does not depend on Part A or
# H.1 being right.

# %% nbgrader={"grade_id": "simclr_train_step", "solution": true}
def simclr_train_step(encoder: nn.Module, head: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor,
                      generator: torch.Generator, tau: float = 0.2, max_shift: int = 1, noise_std: float = 0.2,
                      augment_fn=None, loss_fn=None) -> float:
    """One SimCLR step on a batch of images: two views, NT-Xent on head(encoder(view)), one optimiser step."""
    ### BEGIN SOLUTION
    augment_fn = augment if augment_fn is None else augment_fn
    loss_fn = nt_xent_loss if loss_fn is None else loss_fn
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(v1)), head(encoder(v2)), tau)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss.detach())
    ### END SOLUTION


# %% nbgrader={"grade_id": "simclr_fixtures", "locked": true}
import copy

from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

# A fixed split of the digits (labels are used only to evaluate, never to train SimCLR).
_perm = np.random.default_rng(SEED).permutation(len(digit_labels))
train_idx, test_idx = _perm[:1200], _perm[1200:]


def make_encoder(rep_dim: int = 8, seed: int = 0):
    """Encoder f: 64 -> 128 -> rep_dim (ReLU MLP) and projection head g: rep_dim -> 32, seeded."""
    torch.manual_seed(seed)
    return (nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, rep_dim)),
            nn.Sequential(nn.ReLU(), nn.Linear(rep_dim, 32)))


def probe_accuracy(features: np.ndarray) -> float:
    """Test accuracy of a logistic regression on frozen features of all 1797 digits (train on train_idx)."""
    scaler = StandardScaler().fit(features[train_idx])
    clf = LogisticRegression(max_iter=2000).fit(scaler.transform(features[train_idx]), digit_labels[train_idx])
    return float(clf.score(scaler.transform(features[test_idx]), digit_labels[test_idx]))


def encoder_probe_accuracy(encoder: nn.Module) -> float:
    with torch.no_grad():
        return probe_accuracy(encoder(digit_images).numpy())


def alignment(u1: torch.Tensor, u2: torch.Tensor) -> torch.Tensor:
    """Wang and Isola (2020): mean squared distance of positive pairs of unit vectors (lower = tighter)."""
    return (u1 - u2).pow(2).sum(dim=1).mean()


def uniformity(u: torch.Tensor) -> torch.Tensor:
    """Wang and Isola (2020): log mean exp(-2 |u_i - u_j|^2) over pairs (lower = more spread on the sphere)."""
    return torch.log(torch.exp(-2 * torch.pdist(u).pow(2)).mean())


def fixture_augment(images, generator, max_shift=1, noise_std=0.2):
    """The tests' augmentation (not Part A's): a random circular shift of the whole batch plus Gaussian noise."""
    shift = torch.randint(-max_shift, max_shift + 1, (2,), generator=generator)
    rolled = torch.roll(images, shifts=(int(shift[0]), int(shift[1])), dims=(1, 2))
    return rolled + noise_std * torch.randn(images.shape, generator=generator, dtype=images.dtype)


def align_uniform_loss(z1, z2, tau):
    """The tests' contrastive loss (Wang and Isola's alignment + uniformity of unit vectors); tau is unused."""
    u1, u2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    return alignment(u1, u2) + 0.5 * (uniformity(u1) + uniformity(u2))

# %% nbgrader={"grade_id": "test_simclr_step_loss", "grade": true, "points": 1}
"""simclr_train_step: returns, as a float, the loss of two views drawn in order from the generator, before the step."""
_enc, _head = make_encoder(seed=1)
_enc0, _head0 = copy.deepcopy(_enc), copy.deepcopy(_head)
_imgs = digit_images[:32]
_opt = torch.optim.SGD([*_enc.parameters(), *_head.parameters()], lr=0.1)
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _got = simclr_train_step(_enc, _head, _opt, _imgs, torch.Generator().manual_seed(4), tau=0.5, max_shift=1,
                             noise_std=0.3, augment_fn=fixture_augment, loss_fn=align_uniform_loss)
_g = torch.Generator().manual_seed(4)
_v1, _v2 = fixture_augment(_imgs, _g, 1, 0.3), fixture_augment(_imgs, _g, 1, 0.3)
with torch.no_grad():
    _want = float(align_uniform_loss(_head0(_enc0(_v1)), _head0(_enc0(_v2)), 0.5))
assert isinstance(_got, float), f"simclr_train_step must return a Python float, got {type(_got).__name__}."
check_close("simclr_train_step: returned loss", _got, _want, atol=1e-5,
            hint="Hint: view 1 then view 2 from augment_fn(images, generator, max_shift, noise_std), the loss of "
                 "head(encoder(view)) before the optimiser step.")
### BEGIN HIDDEN TESTS
def _ref_ntxent_loss(z1, z2, tau):  # handed to simclr_train_step as its loss_fn
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (u @ u.T / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))

_seed_net = 2  # per-submission seed
_seed = 8  # per-submission seed
_enc, _head = make_encoder(seed=_seed_net)
_enc0, _head0 = copy.deepcopy(_enc), copy.deepcopy(_head)  # never given to the student: the checks score them
_imgs = digit_images[100:164]
_opt = torch.optim.Adam([*_enc.parameters(), *_head.parameters()], lr=1e-3)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _got = frozen(simclr_train_step(_enc, _head, _opt, _imgs, torch.Generator().manual_seed(_seed), tau=0.1,
                                    max_shift=2, noise_std=0.5, augment_fn=fixture_augment, loss_fn=_ref_ntxent_loss))
### HIDDEN CHECKS
def _ref_ntxent_loss(z1, z2, tau):  # defined again: the checks' own copy, one that no student code has held
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (u @ u.T / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))

_g = torch.Generator().manual_seed(_seed)
_v1, _v2 = fixture_augment(_imgs, _g, 2, 0.5), fixture_augment(_imgs, _g, 2, 0.5)
with torch.no_grad():
    _want = float(_ref_ntxent_loss(_head0(_enc0(_v1)), _head0(_enc0(_v2)), 0.1))
check_close("simclr_train_step: NT-Xent, tau=0.1, max_shift=2, noise 0.5", _got, _want, atol=1e-5,
            hint="Hint: pass tau, max_shift and noise_std through.")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_simclr_step_updates", "grade": true, "points": 1}
"""simclr_train_step: one step changes every parameter of encoder and head; each step is the plain optimiser step on its own gradient (old ones cleared, no clipping), with the default tau, max_shift, noise_std."""
_enc, _head = make_encoder(seed=3)
_params = {f"encoder.{n}": p for n, p in _enc.named_parameters()}
_params.update({f"head.{n}": p for n, p in _head.named_parameters()})
_before = {n: p.detach().clone() for n, p in _params.items()}
_opt = torch.optim.SGD([*_enc.parameters(), *_head.parameters()], lr=0.5)
_imgs = digit_images[200:264]
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    simclr_train_step(_enc, _head, _opt, _imgs, torch.Generator().manual_seed(5), augment_fn=fixture_augment,
                      loss_fn=align_uniform_loss)
_unchanged = [n for n, p in _params.items() if torch.equal(_before[n], p.detach())]
assert not _unchanged, (f"simclr_train_step: after one step these parameters did not change: {_unchanged}. Hint: the "
                        f"gradient must flow through head and encoder to the loss, then optimizer.step().")
### BEGIN HIDDEN TESTS
# Second step with plain SGD: the update must be -lr times this step's gradient alone (old gradients cleared).
_seed = 6  # per-submission seed
_enc1, _head1 = copy.deepcopy(_enc), copy.deepcopy(_head)
_g_state = torch.Generator().manual_seed(_seed)


def _second_step(enc, head, opt, images, generator):
    """The encoder's second linear weight after a second simclr_train_step."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simclr_train_step(enc, head, opt, images, generator, augment_fn=fixture_augment, loss_fn=align_uniform_loss)
    return enc[1].weight


_w_after = frozen(_second_step(_enc, _head, _opt, _imgs, _g_state))
# The plain step with large gradients and stale ones: a fresh network whose every parameter holds a stale gradient of
# 1e6, NT-Xent scaled by 1e4 (gradient norms far above any usual clipping threshold: clipping at a norm below ~1e3
# shrinks the step at least tenfold), plain SGD at lr = 1e-5, and the defaults tau = 0.2, max_shift = 1,
# noise_std = 0.2 (the call passes none of them).
_seed_net_sgd = 12  # per-submission seed
_seed_sgd = 13  # per-submission seed


def _scaled_ntxent(z1, z2, tau):  # handed to simclr_train_step as its loss_fn
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (u @ u.T / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    return 1e4 * F.cross_entropy(logits, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))


def _plain_step_stale_grads(seed_net, seed, images):
    """The returned loss and every parameter (flattened) after one simclr_train_step with the defaults."""
    enc, head = make_encoder(seed=seed_net)
    params = [*enc.parameters(), *head.parameters()]
    for p in params:
        p.grad = torch.full_like(p, 1e6)                       # stale gradients: clear them before the backward pass
    opt = torch.optim.SGD(params, lr=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = simclr_train_step(enc, head, opt, images, torch.Generator().manual_seed(seed),
                                 augment_fn=fixture_augment, loss_fn=_scaled_ntxent)
    return loss, torch.cat([p.detach().flatten() for p in params])


_loss_sgd, _params_sgd = frozen(_plain_step_stale_grads(_seed_net_sgd, _seed_sgd, digit_images[300:364]))
### HIDDEN CHECKS
_g = torch.Generator().manual_seed(_seed)
_v1, _v2 = fixture_augment(_imgs, _g, 1, 0.2), fixture_augment(_imgs, _g, 1, 0.2)
align_uniform_loss(_head1(_enc1(_v1)), _head1(_enc1(_v2)), 0.2).backward()
with torch.no_grad():
    _want_w = _enc1[1].weight - 0.5 * _enc1[1].weight.grad
check_close("simclr_train_step: second SGD step = -lr x its own gradient", _w_after, _want_w, atol=1e-5,
            hint="Hint: gradients add up across backward() calls until they are cleared.")


def _scaled_ntxent(z1, z2, tau):  # defined again: the checks' own copy, one that no student code has held
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (u @ u.T / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    return 1e4 * F.cross_entropy(logits, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))

_enc_r, _head_r = make_encoder(seed=_seed_net_sgd)
_params_r = [*_enc_r.parameters(), *_head_r.parameters()]
_g = torch.Generator().manual_seed(_seed_sgd)
_imgs_r = digit_images[300:364]
_v1, _v2 = fixture_augment(_imgs_r, _g, 1, 0.2), fixture_augment(_imgs_r, _g, 1, 0.2)
_loss_r = _scaled_ntxent(_head_r(_enc_r(_v1)), _head_r(_enc_r(_v2)), 0.2)
_loss_r.backward()
with torch.no_grad():
    _want_params = torch.cat([(p - 1e-5 * p.grad).flatten() for p in _params_r])
check_close("simclr_train_step: defaults tau=0.2, max_shift=1, noise_std=0.2 (loss x 1e4)", _loss_sgd, float(_loss_r.detach()),
            atol=1e-3, rtol=1e-5, hint="Hint: the defaults of the signature, passed through to augment_fn and loss_fn.")
check_close("simclr_train_step: one plain SGD step, gradients ~1e4, stale gradients", _params_sgd, _want_params,
            atol=1e-5, rtol=1e-5, hint="Hint: clear the old gradients before the backward pass; the optimiser's "
                                       "plain step on this loss's gradient, unchanged (no clipping or rescaling).")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_simclr_step_learns", "grade": true, "points": 2}
"""simclr_train_step: 80 steps lower the loss and give features that beat the same encoder at its initialisation."""
_enc, _head = make_encoder(seed=7)
_random_acc = encoder_probe_accuracy(_enc)
_opt = torch.optim.Adam([*_enc.parameters(), *_head.parameters()], lr=3e-3)
_gen = torch.Generator().manual_seed(9)
_train_imgs = digit_images[train_idx]
with warnings.catch_warnings():               # a warning on stderr would cost the cell its points
    warnings.simplefilter("ignore")
    _losses = [simclr_train_step(_enc, _head, _opt, _train_imgs[torch.randint(0, 1200, (128,), generator=_gen)], _gen,
                                 augment_fn=fixture_augment, loss_fn=align_uniform_loss) for _ in range(80)]
_acc = encoder_probe_accuracy(_enc)
print(f"loss: first 5 steps {np.mean(_losses[:5]):.3f}, last 10 {np.mean(_losses[-10:]):.3f}; "
      f"probe accuracy {_random_acc:.3f} at initialisation, {_acc:.3f} after 80 steps")
assert np.mean(_losses[-10:]) < np.mean(_losses[:5]) - 0.1, \
    f"simclr_train_step: the loss did not fall over 80 steps (first 5: {np.mean(_losses[:5]):.3f}, last 10: {np.mean(_losses[-10:]):.3f})."
assert _acc >= _random_acc + 0.08, \
    f"simclr_train_step: probe accuracy {_acc:.3f} after 80 steps; expected at least {_random_acc + 0.08:.3f} (initialisation + 0.08)."
### BEGIN HIDDEN TESTS
# (defined again here: the cell that first defines it may stop before its hidden part)
def _ref_ntxent_loss(z1, z2, tau):
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (u @ u.T / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))

_enc, _head = make_encoder(seed=10)
_enc_init = copy.deepcopy(_enc)  # never given to the student: the checks probe it (the initialisation)
_opt = torch.optim.Adam([*_enc.parameters(), *_head.parameters()], lr=3e-3)
_gen = torch.Generator().manual_seed(11)


def _train_80_steps(enc, head, opt, images, gen, loss_fn):
    """The losses of 80 simclr_train_step calls with NT-Xent, and the probe accuracy of the trained encoder."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _losses = [simclr_train_step(enc, head, opt, images[torch.randint(0, 1200, (128,), generator=gen)], gen,
                                     augment_fn=fixture_augment, loss_fn=loss_fn) for _ in range(80)]
    return _losses, encoder_probe_accuracy(enc)


_losses, _acc = frozen(_train_80_steps(_enc, _head, _opt, _train_imgs, _gen, _ref_ntxent_loss))
### HIDDEN CHECKS
_random_acc = encoder_probe_accuracy(_enc_init)
assert np.mean(_losses[-10:]) < np.mean(_losses[:5]) - 0.3, "simclr_train_step with NT-Xent: the loss did not fall."
assert _acc >= _random_acc + 0.08, f"simclr_train_step with NT-Xent: probe {_acc:.3f} vs initialisation {_random_acc:.3f}."
### END HIDDEN TESTS

# %% [markdown]
# ### H.3 Experiment: SimCLR against honest baselines
#
# Your step trains the encoder $f$: $64 \to 128 \to 8$ (ReLU MLP) with the head $g$: $8 \to 32$, on the 1200 training
# digits, batches of $N = 256$ (512 views, 510 negatives per anchor), $\tau = 0.2$, shifts of up to 1 pixel and noise
# $\sigma = 0.2$, for 150 Adam steps, without a label. The **representation** is $h = f(v)$, the layer before the
# head. A linear probe (logistic regression on frozen features of the 1200 training digits, tested on the other
# 597) compares it with what a course should always print beside a self-supervised result:
#
# * the **same encoder at its random initialisation** (what training added);
# * **raw pixels** (64 numbers: no learning at all);
# * **PCA to 8 dimensions** (the classical unsupervised representation of the same size);
# * a **supervised encoder** of the same architecture, trained for as many steps on the 1200 labels with a linear
#   classifier on top (what labels buy).
#
# **Done when:** SimCLR beats the random encoder by more than 0.1. The notebook also checks, and the text below
# claims, where it loses.

# %% grading="skip"
finish_first({"shift_images": "Part A.1", "augment": "Part A.2", "nt_xent_loss": "Part H.1",
              "simclr_train_step": "Part H.2"})
def train_simclr(tau=0.2, batch=256, steps=150, seed=SEED):
    """SimCLR with your simclr_train_step; returns (encoder, head, losses)."""
    encoder, head = make_encoder(seed=seed)
    optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=3e-3)
    gen = torch.Generator().manual_seed(seed)
    train_images = digit_images[train_idx]
    losses = [simclr_train_step(encoder, head, optimizer,
                                train_images[torch.randint(0, len(train_idx), (batch,), generator=gen)], gen, tau=tau)
              for _ in range(steps)]
    return encoder, head, losses


def train_supervised(steps=150, batch=256, seed=SEED):
    """The baseline with labels: the same encoder + a linear classifier, cross-entropy on the 1200 training labels."""
    encoder, _ = make_encoder(seed=seed)
    classifier = nn.Linear(8, 10)
    optimizer = torch.optim.Adam([*encoder.parameters(), *classifier.parameters()], lr=3e-3)
    gen = torch.Generator().manual_seed(seed + 1)
    images, labels = digit_images[train_idx], torch.as_tensor(digit_labels[train_idx])
    for _ in range(steps):
        i = torch.randint(0, len(train_idx), (batch,), generator=gen)
        loss = F.cross_entropy(classifier(encoder(images[i])), labels[i])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return encoder


_t0 = time.time()
random_acc = encoder_probe_accuracy(make_encoder(seed=SEED)[0])
encoder, head, losses = train_simclr()
simclr_acc = encoder_probe_accuracy(encoder)
_pixels = digit_images.flatten(1).numpy()
baselines = {
    "random encoder (8-d)": random_acc,
    "SimCLR encoder (8-d)": simclr_acc,
    "PCA (8-d)": probe_accuracy(PCA(8, random_state=0).fit(_pixels[train_idx]).transform(_pixels)),
    "raw pixels (64-d)": probe_accuracy(_pixels),
    "supervised encoder (8-d)": encoder_probe_accuracy(train_supervised()),
}
print(f"NT-Xent: step 0 {losses[0]:.3f} (log(2N-1) = {math.log(511):.3f}), step 149 {losses[-1]:.3f}")
for name, acc in baselines.items():
    print(f"linear probe, {name:26s} {acc:.3f}")
print(f"({time.time() - _t0:.1f} s)")
assert simclr_acc > random_acc + 0.1, "the SimCLR encoder should beat the random encoder on the linear probe"
assert simclr_acc < baselines["raw pixels (64-d)"] and simclr_acc < baselines["supervised encoder (8-d)"], \
    "the text below says SimCLR loses to raw pixels and to the supervised encoder here"
assert -0.04 <= simclr_acc - baselines["PCA (8-d)"] <= 0.01, "the text below says PCA is about as good or slightly better"

fig, axes = plt.subplots(1, 2, figsize=(10, 3))
axes[0].plot(losses)
axes[0].set_xlabel("step")
axes[0].set_ylabel("NT-Xent (nats)")
axes[0].set_title("training loss (your simclr_train_step)")
axes[1].barh(list(baselines), list(baselines.values()), color=["C7", "C2", "C0", "C0", "C1"])
axes[1].set_xlim(0, 1)
axes[1].set_title("linear probe accuracy (597 test digits)")
plt.show()

# %% [markdown]
# **What the numbers say** (they hold for seeds 0 to 4). A few seconds of SimCLR turn a random 8-dimensional encoder
# (0.64-0.72) into one whose features a linear probe reads at 0.87-0.89: contrastive learning works without a label.
# But it does **not** beat the honest baselines here: PCA to the same 8 dimensions is slightly better in every seed
# (by 0.005-0.03), and raw pixels (0.96-0.98) and the same network trained with the labels (0.94-0.97) are clearly
# better. Why: 8x8 digits are already nearly linearly separable in pixel space, so there is little for a
# representation to add; our augmentations (a 1-pixel shift and noise) teach only invariances a linear classifier
# barely needs; and 150 steps on 1200 images is a tiny budget. SimCLR's published wins come from strong augmentations
# (crops, colour distortion), large encoders and long training on images whose pixels are *not* linearly separable,
# and they are largest when few labels are available.

# %% [markdown]
# ### H.4 Experiment: temperature and batch size, measured
#
# Wang and Isola (2020) split what the contrastive loss does into **alignment** (positives close:
# $\mathbb{E}\lVert u - u' \rVert^2$ over positive pairs of unit embeddings, lower is tighter) and **uniformity**
# (embeddings spread over the sphere: $\log \mathbb{E}\, e^{-2\lVert u_i - u_j\rVert^2}$ over all pairs, lower is more
# uniform). We train at $\tau \in \{0.05, 0.2, 1\}$ with $N = 256$, and at $N = 16$ with $\tau = 0.2$ (same 150 steps, so
# the small batch also sees 16 times fewer images), and measure both on the head's normalised outputs of two views of
# the 597 test digits, with the probe accuracy and a floor under NT-Xent that no cosine critic can go below,
# $\log(1 + (2N-2)e^{-2/\tau})$ (E.4 with $2N - 1$ candidates per anchor).

# %% grading="skip"
finish_first({"shift_images": "Part A.1", "augment": "Part A.2", "cosine_critic_ceiling": "Part E.4",
              "nt_xent_loss": "Part H.1", "simclr_train_step": "Part H.2"})
def alignment_uniformity(encoder, head, seed=SEED):
    gen = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        images = digit_images[test_idx]
        u1 = F.normalize(head(encoder(augment(images, gen, 1, 0.2))), dim=1)
        u2 = F.normalize(head(encoder(augment(images, gen, 1, 0.2))), dim=1)
        return float(alignment(u1, u2)), float(uniformity(u1))


_t0 = time.time()
sweep = {}                                            # (tau, N) -> dict of measurements
for tau, N in [(0.05, 256), (0.2, 256), (1.0, 256), (0.2, 16)]:
    enc_, head_, losses_ = (encoder, head, losses) if (tau, N) == (0.2, 256) else train_simclr(tau=tau, batch=N)
    align_, unif_ = alignment_uniformity(enc_, head_)
    floor = math.log(2 * N - 1) - cosine_critic_ceiling(2 * N - 1, tau)
    sweep[tau, N] = {"probe": encoder_probe_accuracy(enc_), "alignment": align_, "uniformity": unif_,
                     "final loss": float(np.mean(losses_[-10:])), "loss floor": floor}
print(f"{'tau':>5} {'N':>4} {'probe':>6} {'alignment':>10} {'uniformity':>11} {'final loss':>11} {'floor':>6}")
for (tau, N), m in sweep.items():
    print(f"{tau:5.2f} {N:4d} {m['probe']:6.3f} {m['alignment']:10.3f} {m['uniformity']:11.3f} "
          f"{m['final loss']:11.3f} {m['loss floor']:6.3f}")
print(f"({time.time() - _t0:.1f} s)")
_p = {key: m["probe"] for key, m in sweep.items()}
_a = {key: m["alignment"] for key, m in sweep.items()}
_u = {key: m["uniformity"] for key, m in sweep.items()}
assert _p[1.0, 256] < _p[0.05, 256] - 0.02, "tau = 1 should probe worse than tau = 0.05"
assert _p[0.05, 256] >= _p[0.2, 256] - 0.01, "tau = 0.05 should probe as well as tau = 0.2"
assert _a[0.05, 256] < min(_a[0.2, 256], _a[1.0, 256]) - 0.05, "tau = 0.05 should align positives tightest"
assert _u[0.2, 256] < min(_u[0.05, 256], _u[1.0, 256]) - 0.2, "tau = 0.2 should spread the embeddings most uniformly"
assert _u[0.2, 256] < _u[0.2, 16] - 0.4 and _p[0.2, 256] > _p[0.2, 16], "N = 256 should beat N = 16"

fig, axes = plt.subplots(1, 2, figsize=(9, 3))
for (tau, N), m in sweep.items():
    axes[0].scatter(m["uniformity"], m["alignment"], s=40, label=fr"$\tau$={tau}, N={N}")
    axes[1].bar(f"tau={tau}\nN={N}", m["probe"])
axes[0].set_xlabel("uniformity (lower = more uniform)")
axes[0].set_ylabel("alignment (lower = tighter positives)")
axes[0].legend(fontsize=7)
axes[1].set_ylim(0.7, 1.0)
axes[1].set_title("linear probe accuracy", fontsize=9)
plt.show()

# %% [markdown]
# What the table shows for seeds 0 to 4: $\tau = 0.05$ pulls positives closest (alignment 0.18-0.21 against 0.31-0.44)
# but spreads the embeddings less; $\tau = 0.2$ spreads them most uniformly, with the loosest positives; $\tau = 0.05$
# probes as well as or better than $\tau = 0.2$, and $\tau = 1$ probes worse than $\tau = 0.05$ (by 0.035-0.07) and
# cannot push its NT-Xent below the cosine floor of about 4.2 nats, however good the encoder. The larger batch
# spreads embeddings more uniformly and probes better, by 0.02 to 0.08 (it also sees 16 times more images in the same
# number of steps, so this is not the effect of the negatives alone).
#
# **H.5 (written, 1 point).** Using the table: what does the temperature do to the loss's gradient on hard negatives
# (negatives with a high cosine to the anchor) versus easy ones, and how does that explain the alignment and
# uniformity you measured at $\tau = 0.05$ and $\tau = 1$? Why can't $\tau = 1$ reach a low loss (E.4)?

# %% [markdown] nbgrader={"grade_id": "temperature_reading", "solution": true, "grade": true, "points": 1}
# **Your answer (H.5):**
#
# ### BEGIN SOLUTION
# *Model answer.* The gradient of NT-Xent pushes each negative away with weight $\operatorname{softmax}_j(s_{ij}/\tau)$:
# a small $\tau$ concentrates almost all the weight on the hardest negatives (highest cosine), a large $\tau$ spreads it
# evenly over all of them. At $\tau = 0.05$ only the few nearest negatives matter, so the loss is satisfied once the
# positive beats them by a margin: positives are pulled very tight (best alignment), but nothing spreads the mass of
# easy negatives, and the embeddings are less uniform. At $\tau = 1$ every negative counts equally and the logits lie
# in $[-1, 1]$: by E.4 the loss cannot fall below $\log(1 + (2N-2)e^{-2}) \approx 4.2$ nats, so even a perfect encoder
# gets a weak, nearly uniform softmax and weak gradients that separate classes poorly (a worse probe). In between,
# $\tau = 0.2$ spreads the embeddings most uniformly, at the price of looser positives; on these digits the probe
# does not reward that: $\tau = 0.05$ probes as well or better.
#
# *Rubric (1 point).* 0.5: $\tau$ reweights negatives (small $\tau$ = hard negatives dominate, large $\tau$ = all
# equal), linked to the measured alignment/uniformity. 0.5: the cosine floor $\log(1 + (2N-2)e^{-2/\tau})$ at
# $\tau = 1$ (or the bounded logits) explains why $\tau = 1$ cannot be confident.
# ### END SOLUTION

# %% [markdown]
# **H.6 (written, 1 point).** A classmate writes "SimCLR learns better features than the pixels". Using H.3, say in
# two or three sentences what the experiment supports and what it does not, and name one change to the setting that
# would give SimCLR a fair chance to win, and the baseline you would then have to beat.

# %% [markdown] nbgrader={"grade_id": "baselines_reading", "solution": true, "grade": true, "points": 1}
# **Your answer (H.6):**
#
# ### BEGIN SOLUTION
# *Model answer.* Supported: SimCLR learns far better features than the same network at initialisation, without a
# label, and nearly as good as PCA of the same size. Not supported: it loses to raw pixels (about 0.97 vs 0.88) and to the
# same network trained with labels; on 8x8 digits the pixels are already nearly linearly separable, and a 1-pixel
# shift plus noise teaches little. Fair chances: few labels (e.g. 5 per class for the probe, where invariances matter
# more; beat pixels and PCA with the same 50 labels, and a supervised network trained on those 50), stronger
# augmentations (rotations, elastic distortion, crops), more steps or a larger representation, each compared with the
# same baselines.
#
# *Rubric (1 point).* 0.5: says SimCLR beats random but not pixels / supervised (with the numbers). 0.5: one concrete
# change and the matching baseline (same labels, same size, same budget).
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# * Positive pairs come from the data itself (two views of one image, two spans of one line), negatives from the
#   rest of the batch.
# * NCE turns density estimation into logistic regression against noise and learns the normaliser for free.
# * InfoNCE is $N$-way cross-entropy over "which one is the positive?".
# * $I(x;c) \ge \log N - \mathcal{L}_N$: a lower bound that can never exceed $\log N$ (and less with a cosine critic at
#   temperature $\tau$), so certifying $I$ nats needs $N \ge e^I$ samples; on Gaussians and on CPC's AR(1) process the
#   optimal and your trained critics stay below the truth (up to Monte-Carlo noise of a few hundredths), and a small
#   $N$ underestimates long before $\log N$.
# * Your SimCLR beats a random network by a wide margin, comes close to PCA of the same size (which stays slightly
#   better) and loses to raw pixels and to supervision on these tiny digits: a result is only as good as the
#   baselines printed beside it.
