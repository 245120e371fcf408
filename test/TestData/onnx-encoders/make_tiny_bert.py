"""Writes tiny-bert-torch113/model.onnx: a small random BERT with Hugging Face parameter names, exported by
Debian's PyTorch 1.13 (torch.onnx, opset 17), to prove the ONNX import works for an export other than the
packaged MiniLM one. It differs from that export on purpose: names under a 'bert.' prefix, Linear weights
under the exporter's own generated names, fused LayerNormalization with epsilon 1e-5, the tanh form of GELU,
another input order, and two outputs.

Run with Debian's interpreter: apt-get install python3-torch python3-onnx libopenblas0-pthread
    /usr/bin/python3 test/TestData/onnx-encoders/make_tiny_bert.py
The vocabulary is the golden tiny checkpoint's (test/TestData/golden/bert/model/vocab.txt, 133 tokens).
"""
import math
import os
import shutil

import torch
from torch import nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tiny-bert-torch113")
VOCAB = os.path.join(HERE, "..", "golden", "bert", "model", "vocab.txt")
HIDDEN, HEADS, INTERMEDIATE, LAYERS, POSITIONS, TYPES, EPS = 32, 4, 48, 2, 64, 2, 1e-5


class Embeddings(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, HIDDEN)
        self.position_embeddings = nn.Embedding(POSITIONS, HIDDEN)
        self.token_type_embeddings = nn.Embedding(TYPES, HIDDEN)
        self.LayerNorm = nn.LayerNorm(HIDDEN, eps=EPS)

    def forward(self, ids, types):
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        x = self.word_embeddings(ids) + self.token_type_embeddings(types) + self.position_embeddings(positions)
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))

    def split(self, x):
        b, n, _ = x.shape
        return x.view(b, n, HEADS, HIDDEN // HEADS).transpose(1, 2)

    def forward(self, x, mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(HIDDEN // HEADS) + mask
        context = scores.softmax(-1) @ v
        b, h, n, d = context.shape
        return context.transpose(1, 2).reshape(b, n, h * d)


class Output(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.dense = nn.Linear(width, HIDDEN)
        self.LayerNorm = nn.LayerNorm(HIDDEN, eps=EPS)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.self = SelfAttention()
        self.output = Output(HIDDEN)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(HIDDEN, INTERMEDIATE)

    def forward(self, x):
        return F.gelu(self.dense(x), approximate="tanh")


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = Attention()
        self.intermediate = Intermediate()
        self.output = Output(INTERMEDIATE)

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.ModuleList(Layer() for _ in range(LAYERS))

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class Pooler(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(HIDDEN, HIDDEN)

    def forward(self, x):
        return self.dense(x[:, 0]).tanh()


class Bert(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embeddings = Embeddings(vocab)
        self.encoder = Encoder()
        self.pooler = Pooler()

    def forward(self, ids, types, mask):
        extended = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        last = self.encoder(self.embeddings(ids, types), extended)
        return last, self.pooler(last)


class Exported(nn.Module):
    """Wraps the encoder as BertFor* models do, so every name carries the 'bert.' prefix."""

    def __init__(self, vocab):
        super().__init__()
        self.bert = Bert(vocab)

    def forward(self, input_ids, token_type_ids, attention_mask):
        return self.bert(input_ids, token_type_ids, attention_mask)


def main():
    torch.manual_seed(11)
    vocab = sum(1 for _ in open(VOCAB, encoding="utf-8"))
    model = Exported(vocab).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.3)  # LayerNorm weights too, so a tensor loaded into the wrong slot shows
    os.makedirs(OUT, exist_ok=True)
    ids = torch.tensor([[2, 10, 20, 30, 3, 0], [2, 40, 50, 3, 60, 3]])
    types = torch.tensor([[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]])
    torch.onnx.export(
        model, (ids, types, mask), os.path.join(OUT, "model.onnx"), opset_version=17,
        input_names=["input_ids", "token_type_ids", "attention_mask"],
        output_names=["last_hidden_state", "pooler_output"],
        dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ["input_ids", "token_type_ids", "attention_mask"]}
        | {"last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}})
    shutil.copyfile(VOCAB, os.path.join(OUT, "vocab.txt"))


if __name__ == "__main__":
    main()
