# The tutorial's closing PyTorch example; Program.cs beside this file is its C# twin.
#   python3 samples/Quickstart/quickstart.py --seed 0
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

# 1. Seed the global generator.
torch.manual_seed(args.seed)

# 2. A single RNN cell: 3 input features, 2 hidden features.
rnn_cell = nn.RNNCell(input_size=3, hidden_size=2)
print(rnn_cell)

# 3. A two-layer RNN: 5 input features, 6 hidden features.
rnn = nn.RNN(5, 6, 2)
print(rnn)

# 4. One time step of a batch of 3, and an initial hidden state for each layer.
input1 = torch.randn(1, 3, 5)
h0 = torch.randn(2, 3, 6)

# 5. Run it.
output, hn = rnn(input1, h0)
print(input1)
print(output)
print(output.shape)
print(hn)
print(hn.shape)
