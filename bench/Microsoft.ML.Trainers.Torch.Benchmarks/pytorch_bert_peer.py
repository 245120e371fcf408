"""PyTorch peer of the text trainer's speed benchmark (Program.cs): the same BERT shape as all-MiniLM-L6-v2, mean
pooling and a linear head, AdamW, one batch of random token ids repeated, timed after warm-up steps.

Written out rather than taken from Hugging Face transformers (not installed here); the layer structure, sizes, GELU,
LayerNorm epsilon and dropout follow BertModel, so the work per step is the same as in the C# trainer.
Prints one JSON object: {"precision": ..., "examples_per_second": ..., "scoring_examples_per_second": ...} (scoring
is float32 in both precisions).
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, hidden, heads, ffn, dropout):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_output = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, ffn)
        self.output = nn.Linear(ffn, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, additive_mask):
        b, n, h = x.shape
        d = h // self.heads

        def split(t):
            return t.view(b, n, self.heads, d).transpose(1, 2)

        scores = split(self.query(x)) @ split(self.key(x)).transpose(-1, -2) / math.sqrt(d) + additive_mask
        context = (self.dropout(scores.softmax(-1)) @ split(self.value(x))).transpose(1, 2).reshape(b, n, h)
        x = self.attention_norm(x + self.dropout(self.attention_output(context)))
        return self.output_norm(x + self.dropout(self.output(F.gelu(self.intermediate(x)))))


class Classifier(nn.Module):
    def __init__(self, vocab, positions, hidden, layers, heads, ffn, classes, dropout=0.1):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(positions, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(Layer(hidden, heads, ffn, dropout) for _ in range(layers))
        self.head = nn.Linear(hidden, classes)

    def forward(self, ids, mask):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.dropout(self.norm(self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids))))
        additive = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, additive)
        m = mask.unsqueeze(-1).to(x.dtype)
        return self.head(self.dropout((x * m).sum(1) / m.sum(1)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--precision", choices=["float32", "bfloat16"], default="float32")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--length", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = Classifier(vocab=30522, positions=512, hidden=384, layers=6, heads=12, ffn=1536, classes=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    ids = torch.randint(1000, 30522, (a.batch, a.length))
    mask = torch.ones(a.batch, a.length, dtype=torch.long)
    labels = torch.randint(0, 2, (a.batch,))
    autocast = a.precision == "bfloat16"

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            logits = model(ids, mask)
        loss = F.cross_entropy(logits.float(), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    model.train()
    for _ in range(a.warmup):
        step()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    train = a.steps * a.batch / (time.perf_counter() - start)

    # Scoring in float32 in both precisions: the C# trainer saves a float32 model whichever precision trained it.
    model.eval()
    with torch.no_grad():
        model(ids, mask)
        start = time.perf_counter()
        for _ in range(a.steps):
            model(ids, mask)
        score = a.steps * a.batch / (time.perf_counter() - start)
    print(json.dumps({"precision": a.precision, "examples_per_second": train, "scoring_examples_per_second": score}))


if __name__ == "__main__":
    main()
