using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Onnx.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests;

/// <summary>Packed batches: ONNX's sequence_lens against TorchRnn's PackedSequence forward.</summary>
[TestFixture]
public class PackedExportTests
{
    public static IEnumerable<TestCaseData> Grid()
    {
        foreach (var kind in RecurrentCase.Kinds)
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        foreach (var bidirectional in new[] { false, true })
            yield return new TestCaseData(new RecurrentCase(kind, 3, 4, kind == "lstm_proj" ? 2 : 0, 2, true, false, bidirectional, 0,
                    false, dtype, true, 11))
                .SetArgDisplayNames(kind, dtype.ToString(), bidirectional ? "bidirectional" : "forward");
    }

    // Lengths in no particular order, the longest shorter than the padded length in the last set.
    private static readonly long[][] LengthSets = [[4, 1, 3], [2, 6, 6, 1, 5], [1], [3, 2]];

    [TestCaseSource(nameof(Grid))]
    public void Export_PackedBatch_SequenceLensMatchTorchRnnsPackedForward(RecurrentCase c)
    {
        using var scope = torch.NewDisposeScope();
        var module = c.Create();
        using var graph = new OnnxGraph();
        var x = graph.input("x", torch.randn(5, 3, c.InputSize, dtype: c.DType), "sequence", "batch", null);
        var lengths = graph.input("lengths", torch.tensor(new long[] { 5, 2, 4 }), "batch");
        var h0 = graph.optional_input("h0", torch.zeros(c.Layers * c.Directions, 1, c.OutputSize, dtype: c.DType));
        var c0 = graph.optional_input("c0", torch.zeros(c.Layers * c.Directions, 1, c.HiddenSize, dtype: c.DType));
        var packed = onnx.pack_padded_sequence(x, lengths, enforce_sorted: false);
        OnnxPackedSequence output;
        OnnxTensor h_n;
        OnnxTensor? c_n = null;
        switch (module)
        {
            case RNN rnn: (output, h_n) = rnn.call(packed, h0); break;
            case GRU gru: (output, h_n) = gru.call(packed, h0); break;
            default: (output, (h_n, c_n)) = ((LSTM)module).call(packed, (h0, c0)); break;
        }
        graph.output("output", onnx.pad_packed_sequence(output).padded);
        graph.output("h_n", h_n);
        if (c_n is not null) graph.output("c_n", c_n);
        using var exported = Exported.Of(graph);

        foreach (var set in LengthSets)
        {
            var length = set == LengthSets[^1] ? 7 : set.Max(); // padding past the longest sequence too
            var batch = set.Length;
            var padded = torch.randn(length, batch, c.InputSize, dtype: c.DType);
            var lens = torch.tensor(set);
            var h = c.State(batch, c.OutputSize);
            var cc = c.State(batch, c.HiddenSize);
            var feeds = new List<(string, Tensor)> { ("x", padded), ("lengths", lens), ("h0", h) };
            if (c.IsLstm) feeds.Add(("c0", cc));
            var actual = exported.Runtime.Run([.. feeds]);

            using var noGrad = torch.no_grad();
            var input = nn.utils.rnn.pack_padded_sequence(padded, lens, enforce_sorted: false);
            PackedSequence expectedPacked;
            Tensor expectedH;
            Tensor? expectedC = null;
            switch (module)
            {
                case RNN rnn: (expectedPacked, expectedH) = rnn.call(input, h); break;
                case GRU gru: (expectedPacked, expectedH) = gru.call(input, h); break;
                default: (expectedPacked, (expectedH, expectedC)) = ((LSTM)module).call(input, (h, cc)); break;
            }
            var at = $"lengths [{string.Join(", ", set)}], L={length}";
            Close.Assert(actual["output"], nn.utils.rnn.pad_packed_sequence(expectedPacked).padded, $"output, {at}");
            Close.Assert(actual["h_n"], expectedH, $"h_n, {at}");
            if (expectedC is not null) Close.Assert(actual["c_n"], expectedC, $"c_n, {at}");
        }
    }
}
