"""The PyTorch side of TorchRnn's regularised-LSTM timings: awd-lstm-lm's model (the twin in
samples/WordLanguageModel/pytorch/awd.py, loaded by tests/fixtures/awd_lstm.py) and the per-step RegularizedLSTM
(tests/fixtures/zoneout_lstm.py), under the same protocol and loop as pytorch_bench.py.

    /usr/bin/python3 tests/TorchRnn.Benchmarks/awd_bench.py --serve
    /usr/bin/python3 tests/TorchRnn.Benchmarks/awd_bench.py --run awd-train 5

--serve is pytorch_bench.py's serve loop: one command a line on stdin ("threads N", "setup WORKLOAD",
"run WORKLOAD CALLS", "quit"), one JSON line back ({"ready": ...} first, then {"ok": true} or
{"wall_s": ..., "cpu_s": ...}). --run NAME SECONDS is pytorch_bench.py's profiler mode. Workloads, besides
pytorch_bench.py's own:
  awd-train         one training batch of an AWD-LSTM (awd's AWDModel: vocabulary 10000, emsize 100, 3 LSTM layers
                    of 200 units, the last of 100, tied weights; dropout 0.4, dropouth 0.3, dropouti 0.65, dropoute
                    0.1, WeightDrop 0.5 on each layer's weight_hh_l0), bptt 35, batch 20: zero_grad, forward with
                    return_h from a zero state, NLL of the log-softmax output + AR (alpha 2) + TAR (beta 1), backward,
                    clip_grad_norm_(0.25), torch.optim.SGD step (lr 30, weight decay 1.2e-6), as awd's main.py
  awd-train-nodrop  the same model and batch without WeightDrop (wdrop 0: plain nn.LSTM layers) and with every
                    dropout 0 (no mask is drawn); AR and TAR still computed
  zoneout-train     RegularizedLSTM(200, 200, zoneout=0.1), one layer, L=35, N=20: forward in training (one
                    (35, 20, 200) mask a call), then backward of output.sum(), gradients set to None before each call
  recdrop-train     RegularizedLSTM(200, 200, recurrent_dropout=0.25), the same (one (20, 200) mask a call)
Weights, tokens and input are drawn after torch.manual_seed(0) (tokens randint(0, 10000, (36, 20)): the first 35
rows the input, the last 35 the targets; input randn(35, 20, 200)); the masks of each call come from the generator
going on. awd's WeightDrop prints a line per weight it drops: setup sends that to stderr, as stdout is the protocol's.

Timing note (2-core AMD EPYC VM, one thread, PyTorch 1.13): the per-step workloads are sensitive to glibc malloc's
state. Alone in a fresh process recdrop-train took about 250-340 ms a call; after awd-train (or lstm-medium) had run in
the same process, or with MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456 in the environment, about
25-35 ms. glibc's dynamic mmap threshold follows the largest block freed so far, and the heap is trimmed past twice
that: after small workloads only, each call gives its memory back and faults it in again. Compare the two sides in
the same malloc regime (the same environment variables for both processes, or the same workloads set up first). With
those variables: awd-train about 196 ms a call, awd-train-nodrop 130 ms, zoneout-train 28 ms, recdrop-train 25 ms.
"""

import contextlib
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "fixtures")]  # awd_lstm.py, zoneout_lstm.py: beside this file or in tests/fixtures

import pytorch_bench  # noqa: E402
from awd_lstm import AWDModel, regularized_loss  # noqa: E402
from zoneout_lstm import RegularizedLSTM  # noqa: E402

VOCAB, EMSIZE, NHID, LAYERS, BPTT, BATCH = 10000, 100, 200, 3, 35, 20
STEP_SIZE = 200  # zoneout-train, recdrop-train: input and hidden size
AWD_DROPOUTS = dict(dropout=0.4, dropouth=0.3, dropouti=0.65, dropoute=0.1, wdrop=0.5)
NO_DROPOUT = dict(dropout=0.0, dropouth=0.0, dropouti=0.0, dropoute=0.0, wdrop=0)
LR, CLIP, WDECAY, ALPHA, BETA = 30.0, 0.25, 1.2e-6, 2.0, 1.0


class AwdTrainRun:
    """One AWD-LSTM training batch as awd-lstm-lm's main.py runs it (fixed bptt, zero initial state)."""

    def __init__(self, dropouts):
        torch.manual_seed(0)
        with contextlib.redirect_stdout(sys.stderr):
            self.m = AWDModel(VOCAB, EMSIZE, NHID, LAYERS, tie_weights=True, **dropouts)
        tokens = torch.randint(0, VOCAB, (BPTT + 1, BATCH))
        self.data, self.targets = tokens[:-1], tokens[1:].reshape(-1)
        self.params = list(self.m.parameters())
        self.optimizer = torch.optim.SGD(self.params, lr=LR, weight_decay=WDECAY)
        self.criterion = torch.nn.NLLLoss()

    def __call__(self):
        self.m.train()
        self.optimizer.zero_grad()
        output, _, rnn_hs, dropped_rnn_hs = self.m(self.data, self.m.init_hidden(BATCH), return_h=True)
        loss = regularized_loss(self.criterion(output, self.targets), rnn_hs, dropped_rnn_hs, ALPHA, BETA)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, CLIP)
        self.optimizer.step()


class RegularizedLstmRun(pytorch_bench.DenseRun):
    """pytorch_bench.DenseRun's training call (zero_grad(set_to_none) + output.sum().backward()) on RegularizedLSTM."""

    def __init__(self, **regulariser):
        torch.manual_seed(0)
        self.m = RegularizedLSTM(STEP_SIZE, STEP_SIZE, **regulariser)
        self.x = torch.randn(BPTT, BATCH, STEP_SIZE)
        self.train = True


WORKLOADS = {
    "awd-train": lambda: AwdTrainRun(AWD_DROPOUTS),
    "awd-train-nodrop": lambda: AwdTrainRun(NO_DROPOUT),
    "zoneout-train": lambda: RegularizedLstmRun(zoneout=0.1),
    "recdrop-train": lambda: RegularizedLstmRun(recurrent_dropout=0.25),
}


if __name__ == "__main__":
    sys.exit(pytorch_bench.serve_or_run(WORKLOADS, __doc__))
