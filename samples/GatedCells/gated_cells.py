# The tutorial's shapes through RNN, GRU and LSTM side by side; Program.cs beside this file is its C# twin.
#   python3 samples/GatedCells/gated_cells.py --seed 0
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)

# 1. The tutorial's input: one time step of a batch of 3 with 5 features.
input1 = torch.randn(1, 3, 5)
print("input:", input1.shape)

# 2. RNN and GRU carry one state h.
rnn = nn.RNN(5, 6, 2)
rnn_output, rnn_h = rnn(input1)
print(rnn, "output:", rnn_output.shape, "h_n:", rnn_h.shape)

gru = nn.GRU(5, 6, 2)
gru_output, gru_h = gru(input1)
print(gru, "output:", gru_output.shape, "h_n:", gru_h.shape)

# 3. LSTM carries two: h and the cell state c.
lstm = nn.LSTM(5, 6, 2)
lstm_output, (lstm_h, lstm_c) = lstm(input1)
print(lstm, "output:", lstm_output.shape, "h_n:", lstm_h.shape, "c_n:", lstm_c.shape)

# 4. With proj_size = 3, h shrinks to 3 features; c keeps hidden_size = 6.
projected = nn.LSTM(5, 6, 2, proj_size=3)
projected_output, (projected_h, projected_c) = projected(input1)
print(projected, "output:", projected_output.shape, "h_n:", projected_h.shape, "c_n:", projected_c.shape)
print(projected.weight_hr_l0.shape, projected.weight_hh_l0.shape)

# 5. Bidirectional doubles the output's features and the number of states.
bidirectional = nn.GRU(5, 6, 2, bidirectional=True)
bi_output, bi_h = bidirectional(input1)
print(bidirectional, "output:", bi_output.shape, "h_n:", bi_h.shape)

# 6. The numbers themselves, seeded.
print(projected_output)
