using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace Patterns;

/// <summary>
/// Many-to-many, aligned: one answer per step. Tag each x_t with whether it rose, x_t &gt; x_(t-1) (x_0 compared
/// with 0), which needs the previous step, carried in h_t. The linear layer reads the RNN's output at every step.
/// </summary>
public static class ManyToManyAligned
{
    /// <summary>The sequence length L.</summary>
    public const int Length = 12;

    /// <summary>A batch: x (L, N, 1) standard normal, and tags (L, N) = 1 where x_t &gt; x_(t-1).</summary>
    public static (Tensor x, Tensor tags) Batch(long n)
    {
        var x = torch.randn(Length, n, 1);
        var previous = torch.cat([torch.zeros(1, n, 1), x.narrow(0, 0, Length - 1)], 0);
        return (x, x.gt(previous).squeeze(-1).to(torch.int64));
    }

    /// <summary>How many batches <see cref="Run"/> trains for unless told otherwise.</summary>
    public const int DefaultSteps = 300;

    /// <summary>Seeds, trains for <paramref name="steps"/> batches of 64, prints shapes and per-step accuracy on 1000 held-out sequences.</summary>
    public static PatternResult Run(int seed, int steps = DefaultSteps)
    {
        using var threads = Training.OneThread();
        using var scope = torch.NewDisposeScope(); // frees the data on return, as disposing the model frees its weights
        torch.manual_seed(seed);
        using var model = new RnnClassifier(1, 16, 2, everyStep: true);
        var (x, tags) = Batch(1000);
        Training.PrintShapes("many-to-many, aligned (did x_t rise?)",
            ("x (L, N, H_in)", x), ("tags (L, N)", tags), ("scores = Linear(output) (L, N, classes)", model.call(x)));

        Training.Fit(model, steps, 0.01, () =>
        {
            var (xb, tb) = Batch(64);
            return torch.nn.functional.cross_entropy(model.call(xb).reshape(-1, 2), tb.reshape(-1));
        });

        using var _ = torch.no_grad();
        return Training.Report(new PatternResult("many-to-many, aligned", "accuracy", Training.Accuracy(model.call(x), tags), Training.Chance(tags), true));
    }
}
