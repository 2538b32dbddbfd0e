"""The PyTorch side of TorchRnn's LayerNormLSTM timings: the scripted twin (tests/fixtures/custom_cells.py,
script_stack("LayerNormLSTM", ...), built as PyTorch's benchmarks/fastrnns/custom_lstms.py builds its scripted
LayerNormLSTM) under the same protocol and loop as pytorch_bench.py.

    /usr/bin/python3 tests/TorchRnn.Benchmarks/custom_lstm_bench.py --serve
    /usr/bin/python3 tests/TorchRnn.Benchmarks/custom_lstm_bench.py --run lnlstm-train-medium 5

--serve is pytorch_bench.py's serve loop: one command a line on stdin ("threads N", "setup WORKLOAD",
"run WORKLOAD CALLS", "quit"), one JSON line back ({"ready": ...} first, then {"ok": true} or
{"wall_s": ..., "cpu_s": ...}). --run NAME SECONDS is pytorch_bench.py's profiler mode. Workloads, besides
pytorch_bench.py's own (so that nn.LSTM can be timed in the same process):
  lnlstm-forward-SIZE  forward of the scripted LayerNormLSTM under torch.no_grad()
  lnlstm-train-SIZE    forward, then backward of output.sum(), gradients set to None before each call
with SIZE small (L=35, N=10, I=200, H=200, 2 layers: the word language model's) or medium (L=50, N=32, I=64, H=128,
2 layers). Weights and input are drawn after torch.manual_seed(0) (TorchRnn's initialisation: layer norms' weights
ones, biases zeros), the input as randn(L, N, I), and the initial state is zeros. TorchScript's profiling executor
specialises and optimises a graph over the first calls, so "setup" makes WARM_UP_CALLS calls before answering.
"""

import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "fixtures")]  # custom_cells.py: beside this file or in tests/fixtures

import pytorch_bench  # noqa: E402
from custom_cells import script_stack  # noqa: E402

SIZES = {  # L, N, I, H, layers
    "small": (35, 10, 200, 200, 2),
    "medium": (50, 32, 64, 128, 2),
}
WARM_UP_CALLS = 10


class ScriptedLayerNormLstmRun(pytorch_bench.DenseRun):
    """pytorch_bench.DenseRun's call (no_grad forward, or zero_grad(set_to_none) + output.sum().backward()) on the
    scripted LayerNormLSTM twin, warmed up."""

    def __init__(self, size, train):
        length, batch, input_size, hidden, layers = SIZES[size]
        torch.manual_seed(0)
        self.m = script_stack("LayerNormLSTM", input_size, hidden, layers)
        self.x = torch.randn(length, batch, input_size)
        self.train = train
        for _ in range(WARM_UP_CALLS):
            self()


WORKLOADS = {f"lnlstm-{'train' if train else 'forward'}-{size}": (lambda size=size, train=train:
                                                                  ScriptedLayerNormLstmRun(size, train))
             for train in (False, True) for size in SIZES}


if __name__ == "__main__":
    sys.exit(pytorch_bench.serve_or_run(WORKLOADS, __doc__))
