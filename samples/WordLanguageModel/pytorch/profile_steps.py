# The pieces of a training batch and of a generation step at the sample's default sizes, timed one by one in
# PyTorch: the twin of the C# sample's `profile` command (Profile.cs), which times the same pieces. Prints one
# "name<TAB>milliseconds" line per piece (medians); bench.py --profile runs both and writes the table.
import statistics
import sys
import time
import torch
import torch.nn as nn
import torch.nn.functional as F

from threads import set_num_threads

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 0
if threads > 0:
    set_num_threads(threads)
torch.manual_seed(0)
V, H, L, N = 18328, 200, 35, 20
emb, rnn, dec = nn.Embedding(V, H), nn.LSTM(H, H, 2, dropout=0.2), nn.Linear(H, V)
ps = list(emb.parameters()) + list(rnn.parameters()) + list(dec.parameters())
data, target = torch.randint(V, (L, N)), torch.randint(V, (L * N,))
h0 = (torch.zeros(2, N, H), torch.zeros(2, N, H))
x0, o0 = torch.randn(L, N, H), torch.randn(L, N, H)
times = []


def timed(name, piece, n=20):
    for _ in range(3):
        piece()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        piece()
        samples.append(time.perf_counter() - start)
    times.append((name, statistics.median(samples) * 1000))


def batch():
    for p in ps:
        p.grad = None
    output, _ = rnn(F.dropout(emb(data), 0.2, True), h0)
    loss = F.nll_loss(F.log_softmax(dec(F.dropout(output, 0.2, True)).view(-1, V), 1), target)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(ps, 0.25)
    with torch.no_grad():
        for p in ps:
            p.add_(p.grad, alpha=-20)


def head():
    o = o0.clone().requires_grad_()
    F.nll_loss(F.log_softmax(dec(o).view(-1, V), 1), target).backward()


def recurrent():
    output, _ = rnn(x0.clone().requires_grad_(), h0)
    output.sum().backward()


def sgd():
    with torch.no_grad():
        for p in ps:
            p.add_(p.grad, alpha=-20)


rnn.train()
timed("training batch (whole)", batch)
with torch.no_grad():
    timed("embedding + dropout", lambda: F.dropout(emb(data), 0.2, True))
    timed("LSTM forward, 35 steps", lambda: rnn(x0, h0))
    timed("decoder forward (700 x 200 x 18328)", lambda: dec(o0))
    logits = dec(o0).view(-1, V)
    timed("log_softmax", lambda: F.log_softmax(logits, 1))
    log_probabilities = F.log_softmax(logits, 1)
    timed("nll_loss", lambda: F.nll_loss(log_probabilities, target))
timed("decoder + log_softmax + nll, forward and backward", head)
timed("LSTM forward and backward, 35 steps", recurrent)
for p in ps:
    p.grad = torch.randn_like(p)
timed("clip_grad_norm_", lambda: torch.nn.utils.clip_grad_norm_(ps, 0.25))
timed("SGD update", sgd)

rnn.eval()
with torch.no_grad():
    word = torch.zeros(1, 1, dtype=torch.long)
    hidden = (torch.zeros(2, 1, H), torch.zeros(2, 1, H))

    def step():
        output, _ = rnn(emb(word), hidden)
        weights = F.log_softmax(dec(output).view(-1, V), 1).squeeze().div(1.0).exp()
        torch.multinomial(weights, 1)[0].item()
    timed("generation step (whole)", step, 200)
    embedded = emb(word)
    timed("generation: LSTM, one step", lambda: rnn(embedded, hidden), 200)
    h = torch.randn(1, 1, H)
    timed("generation: decoder", lambda: dec(h), 200)
    row = dec(h).view(-1, V)
    timed("generation: log_softmax", lambda: F.log_softmax(row, 1), 200)
    log_row = F.log_softmax(row, 1).squeeze()
    timed("generation: div + exp", lambda: log_row.div(1.0).exp(), 200)
    weights_row = log_row.exp()
    timed("generation: multinomial", lambda: torch.multinomial(weights_row, 1)[0].item(), 200)

for name, ms in times:
    print("{}\t{:.4f}".format(name, ms))
