using NUnit.Framework;
using TorchRnn.Onnx.Tests.Support;
using TorchSharp;

namespace TorchRnn.Onnx.Tests.Regularization;

/// <summary>
/// A WeightDrop-wrapped module exports as the plain module with its raw weights (eval draws no mask), even when its
/// last forward trained and left dropped weights in the kernels.
/// </summary>
public class WeightDropExportTests
{
    [TestCase(false, false)]
    [TestCase(true, true)]
    public void Export_AfterTrainingStep_MatchesPlainModuleInOnnxRuntime(bool bidirectional, bool batchFirst)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(4);
        var wd = nn.WeightDrop(nn.LSTM(3, 5, 2, batch_first: batchFirst, bidirectional: bidirectional), ["weight_hh_l0", "weight_hh_l1"], 0.5);
        var x = torch.randn(batchFirst ? new long[] { 2, 6, 3 } : [6, 2, 3]);
        wd.train();
        wd.call(x).output.sum().backward(); // the kernels now hold dropped weights

        using var exported = Exported.Of(wd, x);
        Assert.That(wd.training, Is.True, "export leaves the training mode as it was");

        // The reference: a plain LSTM with the raw weights, which owes nothing to WeightDrop.
        var plain = nn.LSTM(3, 5, 2, batch_first: batchFirst, bidirectional: bidirectional);
        using (torch.no_grad())
        {
            foreach (var (name, p) in plain.named_parameters())
                p.copy_(wd.module.get_parameter(name) ?? wd.module.get_parameter(name + "_raw")!);
        }
        plain.eval();
        var rows = 2 * (bidirectional ? 2 : 1);
        var other = torch.randn(batchFirst ? new long[] { 4, 9, 3 } : [9, 4, 3]);
        var h0 = torch.randn(rows, 4, 5);
        var c0 = torch.randn(rows, 4, 5);
        var ort = exported.Runtime.Run([("input", other), ("h0", h0), ("c0", c0)]);
        using var noGrad = torch.no_grad();
        var (output, (h_n, c_n)) = plain.call(other, (h0, c0));
        Close.Assert(ort["output"], output, "output");
        Close.Assert(ort["h_n"], h_n, "h_n");
        Close.Assert(ort["c_n"], c_n, "c_n");
    }

    [Test]
    public void Export_OnnxTensorCallInTraining_Throws()
    {
        using var scope = torch.NewDisposeScope();
        var wd = nn.WeightDrop(nn.GRU(3, 4), ["weight_hh_l0"], 0.5);
        wd.train();
        var graph = new OnnxGraph("g");
        var input = graph.input("input", torch.randn(5, 2, 3));
        Assert.That(() => wd.call(input), Throws.TypeOf<OnnxExportException>().With.Message.Contains("eval()"));
    }
}
