using System.Collections.Generic;
using TorchRnn.Kinds;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Benchmarks;

/// <summary>
/// PyTorch's LSTM written as a user's kind, in the twenty lines a user would write: the tests check it gives nn.LSTM's
/// numbers (tests/TorchRnn.Tests/Kinds/UserKindTests.cs links this file), <c>--kinds</c> times it against the built-in
/// LSTM on the same managed engine.
/// </summary>
public sealed class UserLstm() : RecurrentKind("UserLSTM", has_cell: true)
{
    public override IReadOnlyList<CellParameter> parameters(long input_size, long hidden_size, bool bias)
        => bias
            ? [new("weight_ih", [4 * hidden_size, input_size]), new("weight_hh", [4 * hidden_size, hidden_size]), new("bias_ih", [4 * hidden_size]), new("bias_hh", [4 * hidden_size])]
            : [new("weight_ih", [4 * hidden_size, input_size]), new("weight_hh", [4 * hidden_size, hidden_size])];

    public override Tensor project(Tensor input, CellWeights w)
        => w.get("bias_ih") is { } b ? F.linear(input, w["weight_ih"], b + w["bias_hh"]) : F.linear(input, w["weight_ih"]);

    public override HiddenState step(Tensor input, HiddenState state, CellWeights w)
    {
        var gates = input.addmm(state.h, w["weight_hh"].t()).chunk(4, 1);
        var c = gates[1].sigmoid() * state.c! + gates[0].sigmoid() * gates[2].tanh();
        return new HiddenState(gates[3].sigmoid() * c.tanh(), c);
    }
}
