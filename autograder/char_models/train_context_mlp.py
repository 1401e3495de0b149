"""Train the ContextMLP that notebook 2 (Part F) loads: the next character of tiny Shakespeare from the previous 16.

Run from the repository root (about 4 minutes on a 2-core CPU, torch 2.13):

    .venv/bin/python autograder/char_models/train_context_mlp.py

It writes `context_mlp.pt` (the state dict, float32) and `context_mlp.json` (the model card the notebook reads:
settings, training curve, final validation loss) into data/char_models/. The notebook's locked `context_mlp` cell defines
the same class; keep the two in step. Training is seeded; the result is reproducible on the same torch build and
thread count (and close, not bitwise equal, elsewhere).
"""
from __future__ import annotations

import json
import math
import platform
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import OUT, parse_args, shakespeare_split

CONFIG = {"vocab": 65, "context": 16, "d_embed": 24, "d_hidden": 384, "dropout": 0.15}
STEPS, BATCH, LR, WARMUP, WEIGHT_DECAY, SEED, THREADS = 10_000, 512, 2e-3, 200, 0.01, 0, 2
EVAL_EVERY = 1000


class ContextMLP(nn.Module):
    """The next character from the previous `context` characters: embeddings, concatenated, two hidden layers."""

    def __init__(self, vocab=65, context=16, d_embed=24, d_hidden=384, dropout=0.15):
        super().__init__()
        self.context = context
        self.embed = nn.Embedding(vocab, d_embed)
        self.net = nn.Sequential(nn.Linear(context * d_embed, d_hidden), nn.GELU(), nn.LayerNorm(d_hidden),
                                 nn.Dropout(dropout), nn.Linear(d_hidden, d_hidden), nn.GELU(),
                                 nn.LayerNorm(d_hidden), nn.Dropout(dropout), nn.Linear(d_hidden, vocab))

    def forward(self, x):
        return self.net(self.embed(x).flatten(1))


@torch.no_grad()
def validation_loss(model: ContextMLP, val: torch.Tensor, context: int) -> float:
    """Mean NLL (nats) of val[t] given val[t-context:t], t >= context: the characters notebook 2's ladder scores."""
    model.eval()
    windows, targets = val.unfold(0, context, 1)[: len(val) - context], val[context:]
    total = sum(float(F.cross_entropy(model(windows[i:i + 16384]), targets[i:i + 16384], reduction="sum"))
                for i in range(0, len(targets), 16384))
    model.train()
    return total / len(targets)


def main(steps: int = STEPS, out: Path = OUT) -> None:
    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    train, val, _ = shakespeare_split()
    context = CONFIG["context"]
    model = ContextMLP(**CONFIG)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    generator = torch.Generator().manual_seed(SEED)
    curve, train_seconds = [], 0.0
    for step in range(1, steps + 1):
        started = time.perf_counter()
        for group in optimizer.param_groups:  # linear warm-up, then cosine decay to zero
            group["lr"] = LR * min(1.0, step / WARMUP) * 0.5 * (1 + math.cos(math.pi * step / steps))
        targets = torch.randint(context, len(train), (BATCH,), generator=generator)
        windows = train[targets[:, None] - context + torch.arange(context)]
        loss = F.cross_entropy(model(windows), train[targets])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        train_seconds += time.perf_counter() - started  # the evaluations below are not training time
        if step % EVAL_EVERY == 0 or step == steps:
            curve.append({"step": step, "seconds": round(train_seconds, 1),
                          "val_nats_per_char": round(validation_loss(model, val, context), 4)})
            print(curve[-1], flush=True)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out / "context_mlp.pt")
    card = {"model": "ContextMLP", "config": CONFIG, "parameters": sum(p.numel() for p in model.parameters()),
            "steps": steps, "batch": BATCH, "lr": LR, "warmup": WARMUP, "weight_decay": WEIGHT_DECAY, "seed": SEED,
            "threads": THREADS, "train_seconds": round(train_seconds, 1),
            "hardware": f"{THREADS} CPU threads ({platform.machine()})", "torch": torch.__version__,
            "data": "tinyshakespeare/input.txt, first 90% of characters (train); last 10% (validation)",
            "val_nats_per_char": curve[-1]["val_nats_per_char"], "curve": curve}
    (out / "context_mlp.json").write_text(json.dumps(card, indent=1) + "\n")


if __name__ == "__main__":
    main(**vars(parse_args(__doc__.splitlines()[0], STEPS)))
