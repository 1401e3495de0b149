"""Train the twin TinyGPTs that notebook 2 (Part G) compares: one causal (AR), one bidirectional masked model.

Run from the repository root (about a minute on a 2-core CPU, torch 2.13):

    .venv/bin/python autograder/char_models/train_tiny_gpt_pair.py

Same network (notebook 2's locked `tiny_gpt` cell: keep the two in step), same text, same steps, batches, optimizer,
schedule and seed; the only differences are the attention (`causal=True` / `False`) and the objective: the AR
model predicts every next character, the masked model the ~15 % of characters hidden behind an extra `[MASK]`
input symbol (id 65), BERT-style. Writes `tiny_gpt_ar.pt`, `tiny_gpt_masked.pt` and `tiny_gpt_pair.json` into
data/char_models/.
"""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import OUT, parse_args, shakespeare_split

BLOCK, D_MODEL, N_HEADS = 16, 48, 4
STEPS, BATCH, LR, MASK_RATE, SEED, THREADS = 3000, 32, 1e-2, 0.15, 0, 2


class SelfAttention(nn.Module):
    def __init__(self, d_model, n_heads, causal):
        super().__init__()
        self.n_heads, self.causal = n_heads, causal
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x):
        B, T, D = x.shape
        q, k, v = self.qkv(x).split(D, dim=-1)
        q, k, v = (z.view(B, T, self.n_heads, D // self.n_heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.proj(y.transpose(1, 2).reshape(B, T, D))


class TinyGPT(nn.Module):
    def __init__(self, n_inputs, n_outputs, causal=True, d_model=D_MODEL, n_heads=N_HEADS, block_size=BLOCK):
        super().__init__()
        self.tok = nn.Embedding(n_inputs, d_model)
        self.pos = nn.Embedding(block_size, d_model)
        self.ln1, self.ln2, self.ln_f = nn.LayerNorm(d_model), nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = SelfAttention(d_model, n_heads, causal)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))
        self.head = nn.Linear(d_model, n_outputs)

    def forward(self, idx):
        h = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        h = h + self.attn(self.ln1(h))
        h = h + self.mlp(self.ln2(h))
        return self.head(self.ln_f(h))


def train(causal: bool, train_ids: torch.Tensor, vocab: int, steps: int) -> tuple[TinyGPT, float, float]:
    torch.manual_seed(SEED)
    model = TinyGPT(vocab if causal else vocab + 1, vocab, causal=causal)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=steps, pct_start=0.1)
    generator = torch.Generator().manual_seed(SEED)
    started, recent = time.perf_counter(), []
    for _ in range(steps):
        starts = torch.randint(0, len(train_ids) - BLOCK - 1, (BATCH,), generator=generator)
        x = train_ids[starts[:, None] + torch.arange(BLOCK)]
        if causal:
            y = train_ids[starts[:, None] + torch.arange(BLOCK) + 1]
            loss = F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
        else:
            hidden = torch.rand(x.shape, generator=generator) < MASK_RATE
            hidden[torch.arange(BATCH), torch.randint(0, BLOCK, (BATCH,), generator=generator)] = True
            loss = F.cross_entropy(model(x.masked_fill(hidden, vocab))[hidden], x[hidden])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        recent = (recent + [loss.item()])[-100:]
    return model, time.perf_counter() - started, sum(recent) / len(recent)


def main(steps: int = STEPS, out: Path = OUT) -> None:
    torch.set_num_threads(THREADS)
    train_ids, _, vocab = shakespeare_split()
    card = {"network": "TinyGPT (notebook 2, Part F)", "block": BLOCK, "d_model": D_MODEL, "n_heads": N_HEADS,
            "steps": steps, "batch": BATCH, "lr": LR, "schedule": "one-cycle, 10 % warm-up", "seed": SEED,
            "mask_rate": MASK_RATE, "mask_id": vocab, "threads": THREADS,
            "hardware": f"{THREADS} CPU threads ({platform.machine()})", "torch": torch.__version__,
            "data": "tinyshakespeare/input.txt, first 90% of characters"}
    for name, causal in [("ar", True), ("masked", False)]:
        model, seconds, last_loss = train(causal, train_ids, vocab, steps)
        out.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), out / f"tiny_gpt_{name}.pt")
        card[name] = {"causal": causal, "train_seconds": round(seconds, 1),
                      "last_100_steps_train_loss": round(last_loss, 4), "file": f"tiny_gpt_{name}.pt"}
        print(name, card[name], flush=True)
    (out / "tiny_gpt_pair.json").write_text(json.dumps(card, indent=1) + "\n")


if __name__ == "__main__":
    main(**vars(parse_args(__doc__.splitlines()[0], STEPS)))
