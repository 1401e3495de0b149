"""The networks notebook 2 loads from data/char_models/: their training scripts build exactly the networks the
notebook's locked cells define (a short training run loads strictly into them), the model cards carry what the
notebook reads, and the committed weights are the ones the README's checksums name."""
from __future__ import annotations

import ast
import hashlib
import json
import math
import re
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from coursekit.paths import COURSE_ROOT, DATA_DIR, source_script
from coursekit.sources import notebook_from_script

MODELS = DATA_DIR / "char_models"
SCRIPTS = COURSE_ROOT / "char_models"
VOCAB = 65


def locked_cell(grade_id: str) -> str:
    nb = notebook_from_script(source_script("02_autoregressive"))
    cells = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(cells) == 1, f"02_autoregressive has no single locked cell {grade_id!r}"
    return cells[0]


def notebook_classes() -> dict:
    """TinyGPT (the `tiny_gpt` cell, with PyTorch's attention for the student's) and ContextMLP (`course_models`)."""
    namespace = {"torch": torch, "nn": nn, "F": F, "math": math, "VOCAB": VOCAB,
                 "train_ids": np.zeros(100, np.int64), "val_ids": np.zeros(100, np.int64),
                 "causal_attention": lambda q, k, v, causal=True: F.scaled_dot_product_attention(q, k, v,
                                                                                                 is_causal=causal)}
    exec(compile(locked_cell("tiny_gpt"), "tiny_gpt", "exec"), namespace)
    tree = ast.parse(locked_cell("course_models"))
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "ContextMLP"]
    exec(compile(ast.Module(body=classes, type_ignores=[]), "course_models", "exec"), namespace)
    return namespace


def test_training_scripts_build_the_notebooks_networks(tmp_path):
    """Both scripts, 20 steps each into a temporary folder: the cards hold the notebook's keys, the weights load
    strictly into the notebook's classes, and the models they produce score text (finite, below a uniform guess)."""
    for script in ("train_context_mlp.py", "train_tiny_gpt_pair.py"):
        done = subprocess.run([sys.executable, str(SCRIPTS / script), "--steps", "20", "--out", str(tmp_path)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{script} failed:\n{done.stderr[-2000:]}"
    classes = notebook_classes()
    mlp_card = json.loads((tmp_path / "context_mlp.json").read_text())
    assert {"config", "parameters", "steps", "train_seconds", "hardware", "val_nats_per_char", "curve"} <= set(mlp_card)
    assert mlp_card["steps"] == 20 and mlp_card["curve"][-1]["step"] == 20
    mlp = classes["ContextMLP"](**mlp_card["config"])
    mlp.load_state_dict(torch.load(tmp_path / "context_mlp.pt", weights_only=True))  # strict: same layers, shapes
    assert sum(p.numel() for p in mlp.parameters()) == mlp_card["parameters"]
    assert 0 < mlp_card["val_nats_per_char"] < math.log(VOCAB), "20 steps already beat a uniform guess over 65"

    pair = json.loads((tmp_path / "tiny_gpt_pair.json").read_text())
    assert pair["mask_id"] == VOCAB and pair["block"] == classes["BLOCK"] and pair["steps"] == 20
    ar = classes["TinyGPT"](VOCAB, VOCAB, causal=True)
    ar.load_state_dict(torch.load(tmp_path / pair["ar"]["file"], weights_only=True))
    masked = classes["TinyGPT"](VOCAB + 1, VOCAB, causal=False)
    masked.load_state_dict(torch.load(tmp_path / pair["masked"]["file"], weights_only=True))
    x = torch.randint(0, VOCAB, (2, classes["BLOCK"]))
    with torch.no_grad():
        changed = x.clone()
        changed[:, 8:] = (changed[:, 8:] + 1) % VOCAB
        assert torch.allclose(ar(x)[:, :8], ar(changed)[:, :8]), "the AR twin must be causal"
        assert not torch.allclose(masked(x)[:, :8], masked(changed)[:, :8]), "the masked twin must see both sides"


def test_committed_weights_match_the_readme_and_the_cards():
    """The README's sha256 lines name the committed weights; the cards name the files and describe full runs."""
    readme = (MODELS / "README.md").read_text()
    listed = dict(re.findall(r"- `([\w.]+\.pt)`: ([0-9a-f]{64})", readme))
    weights = sorted(p.name for p in MODELS.glob("*.pt"))
    assert sorted(listed) == weights, f"README lists {sorted(listed)}, the folder holds {weights}"
    for name, digest in listed.items():
        assert hashlib.sha256((MODELS / name).read_bytes()).hexdigest() == digest, \
            f"{name} changed: rerun its script's numbers through notebook 2 and update README.md"
    mlp_card = json.loads((MODELS / "context_mlp.json").read_text())
    pair = json.loads((MODELS / "tiny_gpt_pair.json").read_text())
    assert mlp_card["steps"] == 10_000 and pair["steps"] == 3000
    assert {pair["ar"]["file"], pair["masked"]["file"], "context_mlp.pt"} == set(weights)
