using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Onnx.Protobuf;
using TorchRnn.Onnx.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests;

[TestFixture]
public class RecurrentExportTests
{
    // (sequence length, batch) for the runs of one export; the example it was exported with is (5, 3).
    private static readonly (long Length, long Batch)[] Sizes = [(1, 1), (3, 4), (8, 2)];

    public static IEnumerable<TestCaseData> Grid()
        => RecurrentCase.Grid().Select(c => new TestCaseData(c).SetArgDisplayNames(c.ToString()));

    [TestCaseSource(nameof(Grid))]
    public void Export_RandomConfiguration_OnnxRuntimeMatchesTorchRnn(RecurrentCase c)
    {
        using var scope = torch.NewDisposeScope();
        var module = c.Create();
        using var exported = Exported.Of(module, c.Input(5, 3));
        var runtime = exported.Runtime;
        Assert.That(runtime.InputNames, Is.EqualTo(new[] { "input" }));
        Assert.That(runtime.OptionalInputNames, Is.EquivalentTo(c.IsLstm ? new[] { "h0", "c0" } : ["h0"]));
        Assert.That(runtime.OutputNames, Is.EqualTo(c.IsLstm ? new[] { "output", "h_n", "c_n" } : ["output", "h_n"]));

        foreach (var (length, batch) in Sizes)
        {
            var x = c.Input(length, batch);
            var h0 = c.WithState ? c.State(batch, c.OutputSize) : null;
            var c0 = c.WithState && c.IsLstm ? c.State(batch, c.HiddenSize) : null;
            var feeds = new List<(string, Tensor)> { ("input", x) };
            if (h0 is not null) feeds.Add(("h0", h0));
            if (c0 is not null) feeds.Add(("c0", c0));
            var actual = runtime.Run([.. feeds]);
            var (output, h_n, c_n) = RecurrentCase.Run(module, x, h0, c0);
            var at = $"L={length}, N={batch}";
            Close.Assert(actual["output"], output, $"output, {at}");
            Close.Assert(actual["h_n"], h_n, $"h_n, {at}");
            if (c_n is not null) Close.Assert(actual["c_n"], c_n, $"c_n, {at}");
        }
    }

    [Test]
    public void Export_Float32WithoutProjections_OneOnnxRecurrentNodePerLayer()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var (module, op) in new (torch.nn.Module, string)[]
                 {
                     (nn.LSTM(3, 4, 3, bidirectional: true), "LSTM"),
                     (nn.GRU(3, 4, 3, bidirectional: true), "GRU"),
                     (nn.RNN(3, 4, 3, bidirectional: true), "RNN"),
                 })
        {
            using var exported = Exported.Of(module, torch.randn(5, 2, 3));
            var nodes = ModelProto.Parser.ParseFrom(exported.Bytes).Graph.Node;
            Assert.That(nodes.Count(n => n.OpType == op), Is.EqualTo(3), op);
            Assert.That(nodes.Any(n => n.OpType == "Scan"), Is.False, op);
            if (op == "GRU")
                Assert.That(nodes.Where(n => n.OpType == "GRU").SelectMany(n => n.Attribute).Where(a => a.Name == "linear_before_reset")
                    .Select(a => a.I), Is.All.EqualTo(1));
        }
    }

    [Test]
    public void Export_LstmWithProjections_ScanPerLayerAndDirection()
    {
        using var scope = torch.NewDisposeScope();
        using var exported = Exported.Of(nn.LSTM(3, 4, 2, bidirectional: true, proj_size: 2), torch.randn(5, 2, 3));
        var model = ModelProto.Parser.ParseFrom(exported.Bytes);
        Assert.That(model.Graph.Node.Count(n => n.OpType == "Scan"), Is.EqualTo(4));
        Assert.That(model.OpsetImport.Single().Version, Is.EqualTo(onnx.opset_version));
        Assert.That(model.IrVersion, Is.EqualTo(onnx.ir_version));
    }

    [Test]
    public void Export_StateWithBatchOfOne_BroadcastsToTheInputsBatch()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        var gru = nn.GRU(3, 4, 2);
        using var exported = Exported.Of(gru, torch.randn(5, 2, 3));
        var x = torch.randn(6, 3, 3);
        var h0 = torch.randn(2, 1, 4);
        var actual = exported.Runtime.Run(("input", x), ("h0", h0));
        var (output, h_n) = gru.call(x, h0.expand(2, 3, 4));
        Close.Assert(actual["output"], output, "output");
        Close.Assert(actual["h_n"], h_n, "h_n");
    }

    [Test]
    public void Export_ModuleInTrainingMode_ExportsEvalAndRestoresTraining()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        var lstm = nn.LSTM(3, 4, 2, dropout: 0.5);
        using var exported = Exported.Of(lstm, torch.randn(5, 2, 3));
        Assert.That(lstm.training, Is.True);
        lstm.eval();
        var x = torch.randn(7, 2, 3);
        Close.Assert(exported.Runtime.Run(("input", x))["output"], RecurrentCase.Run(lstm, x, null, null).output, "output");
    }
}
