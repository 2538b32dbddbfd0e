#!/usr/bin/python3
"""Trains the tiny sequence model that samples/FromPyTorch (Program.cs) runs in C#.

    /usr/bin/python3 samples/FromPyTorch/train.py

A GRU(1, 8, batch_first=True) and a Linear(8, 1) head learn to predict the next value of a sine wave from the
values so far. Writes beside this file:
  sine_gru.pt       torch.save(model.state_dict()), what Program.cs loads
  predictions.json  held-out sequences, the true next values, and PyTorch's predictions for them

    /usr/bin/python3 samples/FromPyTorch/train.py --check PATH

loads weights that Program.cs saved from C# (its last step) and predicts the held-out sequences with them.
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
LENGTH = 20


class SineModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(1, 8, batch_first=True)
        self.head = nn.Linear(8, 1)

    def forward(self, x):  # x: (N, L, 1) -> the next value after every step, (N, L, 1)
        output, _ = self.rnn(x)
        return self.head(output)


def waves(count, generator):
    """count sine waves of LENGTH + 1 samples, random phase and frequency: (count, LENGTH + 1, 1)."""
    phase = torch.rand(count, 1, generator=generator) * 2 * math.pi
    speed = 0.2 + 0.3 * torch.rand(count, 1, generator=generator)
    t = torch.arange(LENGTH + 1, dtype=torch.float32)
    return torch.sin(phase + speed * t).unsqueeze(-1)


def check(path):
    """The way back: weights saved by C# load into the same PyTorch model and predict what PyTorch predicted."""
    model = SineModel().eval()
    model.load_state_dict(torch.load(path), strict=True)
    with open(os.path.join(HERE, "predictions.json")) as f:
        recorded = json.load(f)
    inputs = torch.tensor(recorded["inputs"]["values"]).reshape(recorded["inputs"]["shape"])
    with torch.no_grad():
        predictions = model(inputs)[:, -1, 0].tolist()
    largest = max(abs(a - b) for a, b in zip(predictions, recorded["pytorch"]))
    print(f"{path}: PyTorch {torch.__version__} predicts {', '.join(f'{p:+.4f}' for p in predictions)}; "
          f"largest difference from the recorded predictions {largest:.1e}")
    return 0 if largest <= 1e-5 else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", metavar="PATH", help="load weights saved from C# and predict with them")
    args = parser.parse_args()
    if args.check:
        return check(args.check)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    model = SineModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for step in range(400):
        batch = waves(32, generator)
        loss = nn.functional.mse_loss(model(batch[:, :-1]), batch[:, 1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    print(f"trained: last batch mse {loss.item():.2e}")

    test = waves(5, generator)
    inputs, targets = test[:, :-1], test[:, -1, 0]
    with torch.no_grad():
        predictions = model(inputs)[:, -1, 0]
    torch.save(model.state_dict(), os.path.join(HERE, "sine_gru.pt"))
    with open(os.path.join(HERE, "predictions.json"), "w") as f:
        json.dump({
            "generator": "samples/FromPyTorch/train.py", "torch_version": torch.__version__,
            "inputs": {"shape": list(inputs.shape), "values": [float(v) for v in inputs.reshape(-1).tolist()]},
            "targets": [float(v) for v in targets.tolist()],
            "pytorch": [float(v) for v in predictions.tolist()],
        }, f, separators=(",", ":"))
        f.write("\n")
    for target, prediction in zip(targets.tolist(), predictions.tolist()):
        print(f"next value {target:+.4f}  PyTorch predicts {prediction:+.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
