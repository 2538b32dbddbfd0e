using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests.Support;

/// <summary>One random configuration of a recurrent module: every option PyTorch has, drawn from a seeded generator.</summary>
public sealed record RecurrentCase(string Kind, long InputSize, long HiddenSize, long ProjSize, long Layers, bool Bias,
    bool BatchFirst, bool Bidirectional, double Dropout, bool Unbatched, ScalarType DType, bool WithState, int Seed)
{
    public static readonly string[] Kinds = ["rnn_tanh", "rnn_relu", "gru", "lstm", "lstm_proj"];

    public long Directions => Bidirectional ? 2 : 1;

    public long OutputSize => ProjSize > 0 ? ProjSize : HiddenSize;

    public bool IsLstm => Kind.StartsWith("lstm", StringComparison.Ordinal);

    /// <summary>Three configurations per kind and dtype; every option varies across them.</summary>
    public static IEnumerable<RecurrentCase> Grid()
    {
        var random = new Random(13);
        var seed = 0;
        foreach (var kind in Kinds)
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        for (var i = 0; i < 3; i++)
        {
            var hidden = random.NextInt64(2, 7);
            var layers = random.NextInt64(1, 4);
            yield return new RecurrentCase(kind, random.NextInt64(1, 6), hidden, kind == "lstm_proj" ? random.NextInt64(1, hidden) : 0,
                layers, random.Next(4) > 0, random.Next(2) == 0, random.Next(2) == 0, layers > 1 && random.Next(3) == 0 ? 0.5 : 0,
                i == 2 || random.Next(6) == 0, dtype, random.Next(2) == 0, seed++); // one unbatched per kind and dtype at least
        }
    }

    public torch.nn.Module Create()
    {
        torch.manual_seed(Seed);
        torch.nn.Module module = Kind switch
        {
            "rnn_tanh" or "rnn_relu" => nn.RNN(InputSize, HiddenSize, Layers, Kind == "rnn_relu" ? "relu" : "tanh", Bias, BatchFirst,
                Dropout, Bidirectional, dtype: DType),
            "gru" => nn.GRU(InputSize, HiddenSize, Layers, Bias, BatchFirst, Dropout, Bidirectional, dtype: DType),
            _ => nn.LSTM(InputSize, HiddenSize, Layers, Bias, BatchFirst, Dropout, Bidirectional, ProjSize, dtype: DType),
        };
        module.eval();
        return module;
    }

    /// <summary>An input of sequence length <paramref name="length"/> and batch <paramref name="batch"/> in the module's layout.</summary>
    public Tensor Input(long length, long batch)
        => Unbatched ? torch.randn(length, InputSize, dtype: DType)
            : BatchFirst ? torch.randn(batch, length, InputSize, dtype: DType) : torch.randn(length, batch, InputSize, dtype: DType);

    public Tensor State(long batch, long size)
        => Unbatched ? torch.randn(Layers * Directions, size, dtype: DType) : torch.randn(Layers * Directions, batch, size, dtype: DType);

    /// <summary>TorchRnn's output and final states: (output, h_n, c_n or null).</summary>
    public static (Tensor output, Tensor h_n, Tensor? c_n) Run(torch.nn.Module module, Tensor x, Tensor? h0, Tensor? c0)
    {
        using var noGrad = torch.no_grad();
        switch (module)
        {
            case RNN rnn:
                var (ro, rh) = rnn.call(x, h0);
                return (ro, rh, null);
            case GRU gru:
                var (go, gh) = gru.call(x, h0);
                return (go, gh, null);
            case LSTM lstm:
                var (lo, (lh, lc)) = lstm.call(x, h0 is null ? null : (h0, c0!));
                return (lo, lh, lc);
            default:
                throw new ArgumentOutOfRangeException(nameof(module));
        }
    }

    public override string ToString()
        => $"{Kind}({InputSize}, {HiddenSize}{(ProjSize > 0 ? $", proj_size={ProjSize}" : "")}, num_layers={Layers}" +
           $"{(Bias ? "" : ", bias=False")}{(BatchFirst ? ", batch_first" : "")}{(Bidirectional ? ", bidirectional" : "")}" +
           $"{(Dropout > 0 ? $", dropout={Dropout}" : "")}) {DType}{(Unbatched ? " unbatched" : "")}{(WithState ? " with state" : "")}";
}
