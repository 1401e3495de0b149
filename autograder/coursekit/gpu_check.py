"""`make gpu-check`: run a notebook's solution on a GPU machine, then call each graded torch function with
CUDA tensors and compare it with the same call on CPU tensors ("the input's dtype and device", as the
notebooks promise; the course's tests only run on CPUs). Without a CUDA device it prints a line and exits
with 2, never 0. A notebook lists its `Case`s in `CASES`: `compared(...)` where the CUDA result must match
the CPU one, `Case(...)` with a check of its own for random or training functions.
"""
from __future__ import annotations

import contextlib
import io
import math
import os
import traceback
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import torch

from .paths import REPO_ROOT, source_script

NO_GPU = "no CUDA device: gpu-check needs a GPU machine; nothing checked"
CUDA = "cuda"
FLOATS = (torch.float32, torch.float64)
TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-9}   # relative to the size of the CPU result

Namespace = dict[str, Any]
Builder = Callable[[torch.Generator, torch.dtype], tuple[Any, ...]]   # (CPU generator, dtype) -> CPU arguments


@dataclass(frozen=True)
class Case:
    """One graded function: `check(fn, namespace, dtype)` raises if `fn` misbehaves on CUDA."""
    function: str
    check: Callable[[Callable[..., Any], Namespace, torch.dtype], None]
    dtypes: tuple[torch.dtype, ...] = FLOATS


def _same_kind(got: Any, expected: Any, device: torch.device, dtype: torch.dtype) -> None:
    """`got` is a Python number where `expected` is one, else a tensor on `device` with `dtype`, same shape."""
    if isinstance(expected, (float, int)):
        assert isinstance(got, (float, int)), f"CPU gives a {type(expected).__name__}, CUDA a {type(got).__name__}"
        return
    assert torch.is_tensor(got), f"returns {type(got).__name__}, not a tensor"
    assert got.device == device, f"result on {got.device}, input on {device}"
    assert got.dtype == dtype, f"{dtype} in, {got.dtype} out"
    assert got.shape == expected.shape, f"shape {tuple(got.shape)} on CUDA, {tuple(expected.shape)} on CPU"


def _close(got: Any, expected: Any, dtype: torch.dtype) -> None:
    """CUDA result `got` equals CPU result `expected` within TOLERANCE[dtype], relative to its size."""
    got_t = torch.as_tensor(got).detach().cpu().double()
    exp_t = torch.as_tensor(expected).detach().cpu().double()
    scale = max(1.0, float(torch.nan_to_num(exp_t, posinf=0.0, neginf=0.0).abs().max()))
    torch.testing.assert_close(got_t, exp_t, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype] * scale, equal_nan=True)


def compared(function: str, build: Builder, dtypes: tuple[torch.dtype, ...] = FLOATS) -> Case:
    """A case that calls `function` on the CPU arguments `build` draws from a seeded CPU generator, then on
    their CUDA copies, and checks the CUDA result: same kind, device, dtype and shape, and close."""
    def check(fn: Callable[..., Any], namespace: Namespace, dtype: torch.dtype) -> None:
        args = build(torch.Generator().manual_seed(0), dtype)
        expected = fn(*args)
        cuda_args = tuple(a.to(CUDA) if torch.is_tensor(a) else a for a in args)
        got = fn(*cuda_args)
        _same_kind(got, expected, next(a.device for a in cuda_args if torch.is_tensor(a)), dtype)
        _close(got, expected, dtype)
    return Case(function, check, dtypes)


def _params(*modules: torch.nn.Module) -> list[torch.Tensor]:
    return [p for m in modules for p in m.parameters()]


def _trained(before: list[torch.Tensor], *modules: torch.nn.Module) -> None:
    """The parameters of `modules` are still on CUDA and some changed from `before`."""
    after = _params(*modules)
    assert all(p.device.type == CUDA for p in after), "parameters left the GPU"
    assert any(not torch.equal(b, a) for b, a in zip(before, after)), "no parameter changed"


def _check_augment(augment: Callable[..., Any], ns: Namespace, dtype: torch.dtype) -> None:
    images = torch.rand(6, 8, 8, generator=torch.Generator().manual_seed(0), dtype=dtype) + 0.5
    cuda_images = images.to(CUDA)
    for generator in (torch.Generator(device=CUDA).manual_seed(0), torch.Generator().manual_seed(0)):
        out = augment(cuda_images, generator, max_shift=1, noise_std=0.1)
        _same_kind(out, images, cuda_images.device, dtype)
        same = augment(cuda_images, generator, max_shift=0, noise_std=0.0)
        _same_kind(same, images, cuda_images.device, dtype)
        assert torch.equal(same, cuda_images), "max_shift=0, noise_std=0 changed the images"
    # a CPU generator draws the same numbers whatever the images' device
    expected = augment(images, torch.Generator().manual_seed(1), max_shift=2, noise_std=0.1)
    _close(augment(cuda_images, torch.Generator().manual_seed(1), max_shift=2, noise_std=0.1), expected, dtype)


def _check_train_critic(train_critic: Callable[..., Any], ns: Namespace, dtype: torch.dtype) -> None:
    f, f_prime = (m.to(CUDA) for m in ns["make_critic_networks"](2, seed=0))
    generator = torch.Generator(device=CUDA).manual_seed(0)

    def sample_pairs() -> tuple[torch.Tensor, torch.Tensor]:
        c = torch.randn(64, 2, generator=generator, device=CUDA)
        return c, 0.8 * c + 0.6 * torch.randn(64, 2, generator=generator, device=CUDA)

    before = [p.detach().clone() for p in _params(f, f_prime)]
    losses = train_critic(f, f_prime, sample_pairs, 20, lr=1e-2, tau=1.0)
    assert isinstance(losses, list) and len(losses) == 20, f"expected 20 losses, got {losses!r:.80}"
    assert all(isinstance(x, float) and math.isfinite(x) for x in losses), f"not finite floats: {losses!r:.80}"
    _trained(before, f, f_prime)


def _check_simclr_train_step(step: Callable[..., Any], ns: Namespace, dtype: torch.dtype) -> None:
    encoder, head = (m.to(CUDA) for m in ns["make_encoder"](seed=0))
    optimizer = torch.optim.Adam(_params(encoder, head), lr=1e-3)
    before = [p.detach().clone() for p in _params(encoder, head)]
    images, generator = ns["digit_images"][:64].to(CUDA), torch.Generator(device=CUDA).manual_seed(0)
    loss = step(encoder, head, optimizer, images, generator, tau=0.2)
    assert isinstance(loss, float) and math.isfinite(loss), f"returns {loss!r}, not a finite float"
    _trained(before, encoder, head)


def _randn(g: torch.Generator, dtype: torch.dtype, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=g, dtype=dtype)


CASES: dict[str, list[Case]] = {
    "01_contrastive": [
        compared("shift_images", lambda g, t: (_randn(g, t, 5, 6, 7), *torch.randint(-3, 4, (2, 5), generator=g))),
        Case("augment", _check_augment),
        compared("cosine_similarity_matrix", lambda g, t: (_randn(g, t, 5, 4), _randn(g, t, 3, 4))),
        compared("nce_loss", lambda g, t: (3 * _randn(g, t, 7), 3 * _randn(g, t, 11), 3)),
        compared("info_nce_loss", lambda g, t: (_randn(g, t, 8, 4), _randn(g, t, 8, 4), 0.5)),
        compared("infonce_mi_lower_bound", lambda g, t: (3 * _randn(g, t, 8, 8),)),
        compared("cpc_approx_loss", lambda g, t: (2 * _randn(g, t, 9), 16)),
        compared("gaussian_mi", lambda g, t: (torch.rand(6, generator=g, dtype=t) * 1.8 - 0.9, 3)),
        compared("gaussian_log_density_ratio", lambda g, t: (_randn(g, t, 4, 1, 3), _randn(g, t, 1, 5, 3), 0.6)),
        compared("nt_xent_loss", lambda g, t: (_randn(g, t, 6, 4), _randn(g, t, 6, 4), 0.5)),
        Case("train_critic", _check_train_critic, (torch.float32,)),
        Case("simclr_train_step", _check_simclr_train_step, (torch.float32,)),
    ],
}
NO_TENSORS: dict[str, frozenset[str]] = {"01_contrastive": frozenset(   # graded, but no tensor to put on a GPU
    {"random_spans", "min_batch_size_for_mi", "cosine_critic_ceiling", "ar1_mutual_information"})}


def run_solution(assignment: str) -> tuple[Namespace, str | None]:
    """Execute the solution script (hidden tests included) in a fresh namespace, in the repository, on Agg, its
    output swallowed. Returns the namespace (partial if it stopped) and the traceback's end (None: it ran through)."""
    script = source_script(assignment)
    namespace: Namespace = {"__name__": "__main__"}
    os.environ["MPLBACKEND"] = "Agg"
    try:
        with contextlib.chdir(REPO_ROOT), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*non-interactive.*")
            exec(compile(script.read_text(), str(script), "exec"), namespace)
    except Exception:
        return namespace, "".join(traceback.format_exc().splitlines(keepends=True)[-6:])
    return namespace, None


def check_assignment(assignment: str) -> list[tuple[str, str, str]]:
    """Rows (function, dtype, "ok" or the failure in one line): the solution run, then every case."""
    print(f"{assignment}: running {source_script(assignment).relative_to(REPO_ROOT)} ...", flush=True)
    namespace, failure = run_solution(assignment)
    print(failure or "", end="")
    rows = [("solution run", "-", "ok" if failure is None else "FAILED: " + failure.strip().splitlines()[-1])]
    for case in CASES[assignment]:
        for dtype in case.dtypes:
            result = "ok"
            try:
                fn = namespace.get(case.function)
                assert callable(fn), "not defined by the solution run"
                case.check(fn, namespace, dtype)
            except Exception as error:     # one row per failure, whatever it is
                result = f"FAILED: {type(error).__name__}: {' '.join(str(error).split())}"[:170]
            rows.append((case.function, str(dtype).removeprefix("torch."), result))
    return rows


def main(assignments: list[str] | None = None) -> int:
    """0 if every check passed, 1 if one failed, 2 if there is no CUDA device (nothing checked)."""
    if not torch.cuda.is_available():
        print(NO_GPU)
        return 2
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name()}")
    failed = False
    for assignment in assignments or sorted(CASES):
        if assignment not in CASES:
            print(f"{assignment}: no GPU cases (gpu-check knows {', '.join(sorted(CASES))})")
            failed = True
            continue
        rows = check_assignment(assignment)
        width = max(len(r[0]) for r in rows)
        for function, dtype, result in [("function", "dtype", "result"), *rows]:
            print(f"{function:{width}s}  {dtype:8s} {result}")
        print(f"not checked (no tensor arguments): {', '.join(sorted(NO_TENSORS.get(assignment, ())))}")
        failed |= any(r[2] != "ok" for r in rows)
    return 1 if failed else 0
