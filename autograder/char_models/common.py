"""What the two training scripts share: where the data and the weights live, the split, the command line."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

DATA = Path(__file__).resolve().parents[2] / "data"
OUT = DATA / "char_models"  # where notebook 2 reads the weights and the model cards
TEXT = DATA / "tinyshakespeare" / "input.txt"


def shakespeare_split() -> tuple[torch.Tensor, torch.Tensor, int]:
    """Character ids of the first 90 % (train) and the last 10 % (validation), and the vocabulary size (65)."""
    text = TEXT.read_text(encoding="utf-8")
    stoi = {c: i for i, c in enumerate(sorted(set(text)))}
    ids = torch.tensor([stoi[c] for c in text])
    n_train = int(0.9 * len(ids))
    return ids[:n_train], ids[n_train:], len(stoi)


def parse_args(description: str, default_steps: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--steps", type=int, default=default_steps, help=f"training steps (default {default_steps})")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the weights and the card (default: data/char_models)")
    return parser.parse_args()
