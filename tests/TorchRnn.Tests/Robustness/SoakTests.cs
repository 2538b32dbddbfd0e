using System.Diagnostics;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;

namespace TorchRnn.Tests.Robustness;

/// <summary>
/// Many thousands of training steps in the README's pattern (a DisposeScope per step): TorchSharp's count of live
/// tensors comes back to exactly where it was, and the process's resident memory stays flat.
/// </summary>
public class SoakTests
{
    public const int Steps = 5000;
    private const int WarmUp = 500;

    /// <summary>
    /// Resident memory may grow this much between the end of the warm-up and the end of the run (allocator and GC
    /// noise): 4 KB a step. A leak of one step's autograd graph (its saved tensors and nodes) costs more than that.
    /// A leaked tensor wrapper, however small, shows in the exact count of live tensors.
    /// </summary>
    private const long ToleranceBytes = 20L << 20;

    [Test]
    [Category("Soak")]
    public void ForwardBackward_ThousandsOfStepsInDisposeScopes_LiveTensorsAndMemoryStayFlat()
    {
        using var threads = new OneIntraOpThread();
        using var lstm = nn.LSTM(4, 8, 2, bidirectional: true);
        using var gru = nn.GRU(4, 8, batch_first: true);
        using var rnn = nn.RNN(4, 8, 2, nonlinearity: "relu");
        using var projected = nn.LSTM(4, 8, proj_size: 3); // the managed recurrence
        using var lstmCell = nn.LSTMCell(4, 8);
        using var gruCell = nn.GRUCell(4, 8);
        var parameters = new torch.nn.Module[] { lstm, gru, rnn, projected, lstmCell, gruCell }.SelectMany(m => m.parameters()).ToArray();
        using var optimizer = torch.optim.SGD(parameters, 1e-3);
        using var x = torch.randn(5, 3, 4);
        using var h0 = torch.randn(4, 3, 8);
        using var c0 = torch.randn(4, 3, 8);

        void Step(int i)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var loss = (i % 6) switch
            {
                0 => lstm.call(x, (h0, c0)).output.pow(2).mean(),
                1 => gru.call(x.transpose(0, 1)).h_n.sum(),
                2 => rnn.call(x[.., 0]).output.mean(), // unbatched
                3 => projected.call(x).state.c_n.sum(),
                4 => lstmCell.call(x[0], (h0[0], c0[0])).h_1.sum(),
                _ => gruCell.call(x[1]).sum(),
            };
            loss.backward();
            optimizer.step();
        }

        for (var i = 0; i < WarmUp; i++) Step(i);
        var stats = DisposeScopeManager.Statistics;
        var live = stats.ThreadTotalLiveCount;
        var before = ResidentMemory.Bytes();
        var watch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < Steps; i++) Step(i);
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var after = ResidentMemory.Bytes();
        TestContext.Out.WriteLine($"{Steps} steps in {watch.Elapsed.TotalSeconds:F1} s ({cpu.TotalSeconds:F1} s CPU); live tensors {live} -> {stats.ThreadTotalLiveCount}; " +
                                  $"resident {before >> 20} MB -> {after >> 20} MB");
        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(live), "live tensors");
        Assert.That(after - before, Is.LessThan(ToleranceBytes), "resident memory growth (bytes)");
    }
}
