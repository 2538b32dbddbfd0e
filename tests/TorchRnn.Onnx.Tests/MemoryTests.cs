using NUnit.Framework;
using TorchSharp;

namespace TorchRnn.Onnx.Tests;

[TestFixture]
[NonParallelizable]
public class MemoryTests
{
    [Test]
    public void OnnxGraph_Disposed_FreesEveryExampleTensor()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(9);
        var lstm = nn.LSTM(3, 4, 2, bidirectional: true, proj_size: 2);
        var head = torch.nn.Linear(4, 1);
        lstm.eval();
        head.eval();
        var x = torch.randn(5, 2, 3);
        var lengths = torch.tensor(new long[] { 5, 3 });
        void Export()
        {
            using var graph = new OnnxGraph();
            var packed = onnx.pack_padded_sequence(graph.input("x", x), graph.input("lengths", lengths), enforce_sorted: false);
            var (output, (h_n, _)) = lstm.call(packed);
            graph.output("y", head.call(onnx.pad_packed_sequence(output).padded[.., -1]));
            graph.output("h_n", h_n.transpose(0, 1));
            Assert.That(graph.ToArray(), Is.Not.Empty);
        }
        Export();
        var stats = DisposeScopeManager.Statistics;
        var live = stats.ThreadTotalLiveCount;
        for (var i = 0; i < 20; i++) Export();
        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(live));
    }
}
