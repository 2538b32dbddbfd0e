using System.Collections.Generic;
using NUnit.Framework;
using TorchRnn.Onnx.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests;

[TestFixture]
public class CellExportTests
{
    public static IEnumerable<TestCaseData> Grid()
    {
        foreach (var kind in new[] { "rnn_tanh", "rnn_relu", "gru", "lstm" })
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        foreach (var bias in new[] { true, false })
        foreach (var batched in new[] { true, false })
            yield return new TestCaseData(kind, dtype, bias, batched)
                .SetArgDisplayNames(kind, dtype.ToString(), bias ? "bias" : "no bias", batched ? "batched" : "unbatched");
    }

    [TestCaseSource(nameof(Grid))]
    public void Export_Cell_OneStepMatchesTorchRnnWithAndWithoutState(string kind, ScalarType dtype, bool bias, bool batched)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        const long inputSize = 3, hidden = 5;
        torch.nn.Module cell = kind switch
        {
            "gru" => nn.GRUCell(inputSize, hidden, bias, dtype: dtype),
            "lstm" => nn.LSTMCell(inputSize, hidden, bias, dtype: dtype),
            _ => nn.RNNCell(inputSize, hidden, bias, kind == "rnn_relu" ? "relu" : "tanh", dtype: dtype),
        };
        cell.eval();
        Tensor Input(long batch) => batched ? torch.randn(batch, inputSize, dtype: dtype) : torch.randn(inputSize, dtype: dtype);
        Tensor State(long batch) => batched ? torch.randn(batch, hidden, dtype: dtype) : torch.randn(hidden, dtype: dtype);
        using var exported = Exported.Of(cell, Input(2));
        Assert.That(exported.Runtime.OutputNames, Is.EqualTo(kind == "lstm" ? new[] { "h_1", "c_1" } : ["h_1"]));

        foreach (var batch in new long[] { 1, 4 })
        foreach (var withState in new[] { false, true })
        {
            var x = Input(batch);
            var h = withState ? State(batch) : null;
            var c = withState && kind == "lstm" ? State(batch) : null;
            var feeds = new List<(string, Tensor)> { ("input", x) };
            if (h is not null) feeds.Add(("h0", h));
            if (c is not null) feeds.Add(("c0", c));
            var actual = exported.Runtime.Run([.. feeds]);
            var at = $"N={batch}, {(withState ? "with" : "without")} state";
            using var noGrad = torch.no_grad();
            switch (cell)
            {
                case LSTMCell lstm:
                    var (h1, c1) = lstm.call(x, h is null ? null : (h, c!));
                    Close.Assert(actual["h_1"], h1, $"h_1, {at}");
                    Close.Assert(actual["c_1"], c1, $"c_1, {at}");
                    break;
                case GRUCell gru:
                    Close.Assert(actual["h_1"], gru.call(x, h), $"h_1, {at}");
                    break;
                case RNNCell rnn:
                    Close.Assert(actual["h_1"], rnn.call(x, h), $"h_1, {at}");
                    break;
            }
        }
    }
}
