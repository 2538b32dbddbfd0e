using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests;

/// <summary>The README's code, run as written, and the claims made beside it.</summary>
public class ReadmeTests
{
    [Test]
    public void MemoryLoop_AsInReadme_KeepsLiveTensorsFlat()
    {
        var stats = DisposeScopeManager.Statistics;
        var before = stats.ThreadTotalLiveCount;

        // From README.md, "Memory" (keep the two in step).
        var lstm = nn.LSTM(8, 16);
        var optimizer = torch.optim.Adam(lstm.parameters(), 1e-3);
        for (var step = 0; step < 100; step++)
        {
            using var scope = torch.NewDisposeScope(); // frees every tensor this step makes
            var (output, _) = lstm.call(torch.randn(20, 4, 8));
            var loss = output.pow(2).mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }

        var afterLoop = stats.ThreadTotalLiveCount;
        using (torch.NewDisposeScope())
        {
            var (output, _) = lstm.call(torch.randn(20, 4, 8));
            var loss = output.pow(2).mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(afterLoop), "one more step leaves nothing behind");
        Assert.That(afterLoop - before, Is.LessThan(100), "what lives on is the model and optimiser state, not per-step tensors");
        lstm.Dispose();
    }

    [Test]
    public void ServiceRequest_AsInReadme_KeepsOnlyTheStateAndTheAnswer()
    {
        using var lstm = nn.LSTM(8, 16);
        lstm.eval();
        (Tensor h, Tensor c)? state = null;
        var stats = DisposeScopeManager.Statistics;
        Tensor Serve(Tensor x)
        {
            // From README.md, "Long-running services" (keep the two in step).
            using var scope = torch.NewDisposeScope();
            var (output, (hn, cn)) = lstm.call(x, state);
            state = (hn.detach().MoveToOuterDisposeScope(), cn.detach().MoveToOuterDisposeScope());
            return output.argmax(-1).MoveToOuterDisposeScope();
        }

        using var input = torch.randn(5, 2, 8);
        Serve(input).Dispose();
        var live = stats.ThreadTotalLiveCount;
        for (var request = 0; request < 1000; request++)
        {
            var previous = state!.Value;
            Serve(input).Dispose();
            previous.h.Dispose();
            previous.c.Dispose();
        }
        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(live), "each request leaves only the new state behind");
        state!.Value.h.Dispose();
        state!.Value.c.Dispose();
    }
}
