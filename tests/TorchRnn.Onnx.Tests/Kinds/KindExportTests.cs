using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Kinds;
using TorchRnn.Onnx.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Onnx.Tests.Kinds;

/// <summary>A user's kind with its step on OnnxTensor: Elman's RNN with one bias, written twice.</summary>
internal sealed class Elman() : RecurrentKind("Elman", has_cell: false), IOnnxKind
{
    public override IReadOnlyList<CellParameter> parameters(long input_size, long hidden_size, bool bias)
        => [new("weight_ih", [hidden_size, input_size]), new("weight_hh", [hidden_size, hidden_size]), new("bias", [hidden_size])];

    public override Tensor project(Tensor input, CellWeights w) => F.linear(input, w["weight_ih"], w["bias"]);

    public override HiddenState step(Tensor input, HiddenState state, CellWeights w) => input.addmm(state.h, w["weight_hh"].t()).tanh();

    public OnnxTensor project(OnnxTensor input, OnnxCellWeights w) => input.matmul(w["weight_ih"].transpose(0, 1)) + w["bias"];

    public (OnnxTensor h, OnnxTensor? c) step(OnnxTensor input, (OnnxTensor h, OnnxTensor? c) state, OnnxCellWeights w)
        => ((input + state.h.matmul(w["weight_hh"].transpose(0, 1))).tanh(), null);
}

/// <summary>The same kind whose ONNX step forgot the nonlinearity: the export must refuse it.</summary>
internal sealed class WrongElman() : RecurrentKind("WrongElman", has_cell: false), IOnnxKind
{
    public override IReadOnlyList<CellParameter> parameters(long input_size, long hidden_size, bool bias)
        => [new("weight_ih", [hidden_size, input_size]), new("weight_hh", [hidden_size, hidden_size])];

    public override Tensor project(Tensor input, CellWeights w) => F.linear(input, w["weight_ih"]);

    public override HiddenState step(Tensor input, HiddenState state, CellWeights w) => input.addmm(state.h, w["weight_hh"].t()).tanh();

    public OnnxTensor project(OnnxTensor input, OnnxCellWeights w) => input.matmul(w["weight_ih"].transpose(0, 1));

    public (OnnxTensor h, OnnxTensor? c) step(OnnxTensor input, (OnnxTensor h, OnnxTensor? c) state, OnnxCellWeights w)
        => (input + state.h.matmul(w["weight_hh"].transpose(0, 1)), null);
}

/// <summary>
/// Kinds beyond PyTorch's in ONNX Runtime: LayerNormLSTM and LayerNormGRU as Scans of their steps, PeepholeLSTM as
/// ONNX's own LSTM with its P input (float32) or a Scan (float64), a user's kind through IOnnxKind; dense,
/// bidirectional, batch-first, unbatched, packed and cells; each against TorchRnn's own forward.
/// </summary>
public class KindExportTests
{
    private static readonly Func<long, long, long, bool, bool, ScalarType, TorchRnn.Recurrent>[] Sequences =
    [
        (i, h, l, bi, bf, t) => nn.LayerNormLSTM(i, h, l, batch_first: bf, bidirectional: bi, dtype: t),
        (i, h, l, bi, bf, t) => nn.LayerNormGRU(i, h, l, batch_first: bf, bidirectional: bi, dtype: t),
        (i, h, l, bi, bf, t) => nn.PeepholeLSTM(i, h, l, batch_first: bf, bidirectional: bi, dtype: t),
        (i, h, l, bi, bf, t) => nn.Recurrent(new Elman(), i, h, l, batch_first: bf, bidirectional: bi, dtype: t),
        // Eval: no recurrent mask, zoneout's expectation.
        (i, h, l, bi, bf, t) => nn.RegularizedLSTM(i, h, l, batch_first: bf, bidirectional: bi, recurrent_dropout: 0.25, zoneout: 0.2, dtype: t),
        // Eval without zoneout: nn.LSTM, so ONNX's own LSTM in float32.
        (i, h, l, bi, bf, t) => nn.RegularizedLSTM(i, h, l, batch_first: bf, bidirectional: bi, recurrent_dropout: 0.25, dtype: t),
    ];

    private static IEnumerable<TestCaseData> Grid()
    {
        string[] names = ["LayerNormLSTM", "LayerNormGRU", "PeepholeLSTM", "Elman", "RegularizedLSTM", "RegularizedLSTMWithoutZoneout"];
        for (var k = 0; k < Sequences.Length; k++)
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        foreach (var (layers, bidirectional, batchFirst) in new[] { (1L, false, false), (2L, true, true) })
            yield return new TestCaseData(k, dtype, layers, bidirectional, batchFirst)
                .SetName($"Export_{names[k]}_{dtype}_{layers}Layers{(bidirectional ? "Bidirectional" : "")}{(batchFirst ? "BatchFirst" : "")}_MatchesTorchRnnInOnnxRuntime");
    }

    [TestCaseSource(nameof(Grid))]
    public void Export_Kind_MatchesTorchRnnInOnnxRuntime(int kind, ScalarType dtype, long layers, bool bidirectional, bool batchFirst)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var module = Sequences[kind](3, 4, layers, bidirectional, batchFirst, dtype);
        PerturbLayerNorms(module);
        module.eval();
        var x = torch.randn(batchFirst ? new long[] { 2, 6, 3 } : [6, 2, 3], dtype: dtype);
        using var exported = Exported.Of(module, x);
        var rows = layers * (bidirectional ? 2 : 1);
        var h0 = torch.randn(rows, 5, 4, dtype: dtype);
        var c0 = torch.randn(rows, 5, 4, dtype: dtype);
        var other = torch.randn(batchFirst ? new long[] { 5, 9, 3 } : [9, 5, 3], dtype: dtype); // other length and batch than the example
        var inputs = new List<(string, Tensor)> { ("input", other), ("h0", h0) };
        if (module.kind.has_cell) inputs.Add(("c0", c0));
        var ort = exported.Runtime.Run([.. inputs]);
        using var noGrad = torch.no_grad();
        var (output, h_n) = module.call(other, new HiddenState(h0, module.kind.has_cell ? c0 : null));
        Near(ort["output"], output, dtype, "output");
        Near(ort["h_n"], h_n.h, dtype, "h_n");
        if (module.kind.has_cell) Near(ort["c_n"], h_n.c!, dtype, "c_n");
    }

    /// <summary>
    /// Close.Assert's bounds, but 1e-9 in float64: ONNX Runtime's LayerNormalization accumulates its mean and variance in
    /// another order than LibTorch's (measured: up to 5e-11 over two bidirectional layers).
    /// </summary>
    private static void Near(Tensor actual, Tensor expected, ScalarType dtype, string what)
    {
        var largest = (actual - expected).abs().max().to(ScalarType.Float64).item<double>();
        Assert.That(largest, Is.LessThanOrEqualTo(dtype == ScalarType.Float64 ? 1e-9 : Close.Tolerance(dtype)), what);
    }

    [Test]
    public void Export_PeepholeLstmFloat32_IsOnnxsOwnLstmWithPeepholes()
    {
        using var scope = torch.NewDisposeScope();
        var module = nn.PeepholeLSTM(3, 4);
        module.eval();
        using var exported = Exported.Of(module, torch.randn(5, 2, 3));
        var model = Protobuf.ModelProto.Parser.ParseFrom(exported.Bytes);
        var lstm = model.Graph.Node.Single(n => n.OpType == "LSTM");
        Assert.That(lstm.Input, Has.Count.EqualTo(8), "X, W, R, B, sequence_lens, initial_h, initial_c, P");
        Assert.That(model.Graph.Node.Any(n => n.OpType == "Scan"), Is.False);
    }

    [TestCase(0.0, "LSTM")]
    [TestCase(0.2, "Scan")]
    public void Export_RegularizedLstmFloat32_IsOnnxsLstmOnlyWithoutZoneout(double zoneout, string op)
    {
        using var scope = torch.NewDisposeScope();
        var module = nn.RegularizedLSTM(3, 4, recurrent_dropout: 0.5, zoneout: zoneout);
        module.eval();
        using var exported = Exported.Of(module, torch.randn(5, 2, 3));
        var model = Protobuf.ModelProto.Parser.ParseFrom(exported.Bytes);
        Assert.That(model.Graph.Node.Select(n => n.OpType), Has.Member(op));
        Assert.That(model.Graph.Node.Select(n => n.OpType), Has.No.Member(op == "LSTM" ? "Scan" : "LSTM"));
    }

    [Test]
    public void Export_PackedLayerNormLstm_MatchesTorchRnnInOnnxRuntime()
    {
        using var scope = torch.NewDisposeScope();
        var module = nn.LayerNormLSTM(3, 4, 2, bidirectional: true);
        PerturbLayerNorms(module);
        module.eval();
        var x = torch.randn(6, 3, 3);
        var lengths = torch.tensor(new long[] { 6, 2, 4 });
        var packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted: false);
        var model = new PackedOutput(module);
        using var exported = Exported.From(path => onnx.export(model, packed, path,
            p => onnx.pad_packed_sequence(module.call(p).output).padded));
        var ort = exported.Runtime.Run(("input", x), ("lengths", lengths));
        using var noGrad = torch.no_grad();
        Close.Assert(ort["output"], model.call(packed), "output");
    }

    [Test]
    public void Export_LayerNormGruCell_MatchesTorchRnnInOnnxRuntime()
    {
        using var scope = torch.NewDisposeScope();
        var cell = nn.LayerNormGRUCell(3, 4);
        PerturbLayerNorms(cell);
        cell.eval();
        using var exported = Exported.Of(cell, torch.randn(2, 3));
        var x = torch.randn(5, 3);
        var h = torch.randn(5, 4);
        var ort = exported.Runtime.Run(("input", x), ("h0", h));
        using var noGrad = torch.no_grad();
        Close.Assert(ort["h_1"], cell.call(x, h).h, "h_1");
    }

    [Test]
    public void Export_OnnxStepDiffersFromStep_RefusesNamingTheKind()
    {
        var module = nn.Recurrent(new WrongElman(), 3, 4);
        module.eval();
        Assert.That(() => Exported.Of(module, torch.randn(5, 2, 3)).Dispose(),
            Throws.TypeOf<OnnxExportException>().With.Message.Contains("the ONNX step of WrongElman (IOnnxKind) does not compute what its step computes"));
    }

    [Test]
    public void Export_KindWithoutOnnxStep_RefusesNamingIOnnxKind()
    {
        var module = nn.Recurrent(new NoOnnx(), 3, 4);
        module.eval();
        Assert.That(() => Exported.Of(module, torch.randn(5, 2, 3)).Dispose(),
            Throws.TypeOf<OnnxExportException>().With.Message.Contains("has no step written on OnnxTensor; implement IOnnxKind"));
    }

    /// <summary>Layer norms start at ones and zeros, which would hide a swapped scale and shift.</summary>
    private static void PerturbLayerNorms(torch.nn.Module module)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            if (name.Contains("_ln_", StringComparison.Ordinal)) p.add_(torch.randn_like(p) * 0.3);
        }
    }

    private sealed class PackedOutput(TorchRnn.Recurrent rnn) : torch.nn.Module<PackedSequence, Tensor>("PackedOutput")
    {
        public override Tensor forward(PackedSequence input) => nn.utils.rnn.pad_packed_sequence(rnn.call(input).output).padded;
    }
}

/// <summary>A kind with no step on OnnxTensor.</summary>
internal sealed class NoOnnx() : RecurrentKind("NoOnnx", has_cell: false)
{
    public override IReadOnlyList<CellParameter> parameters(long input_size, long hidden_size, bool bias)
        => [new("weight_ih", [hidden_size, input_size]), new("weight_hh", [hidden_size, hidden_size])];

    public override Tensor project(Tensor input, CellWeights w) => F.linear(input, w["weight_ih"]);

    public override HiddenState step(Tensor input, HiddenState state, CellWeights w) => input.addmm(state.h, w["weight_hh"].t()).tanh();
}
