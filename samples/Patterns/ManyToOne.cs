using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace Patterns;

/// <summary>
/// Many-to-one: read a whole sequence, answer once. Is the sum of 10 random numbers positive? The RNN's last hidden
/// state h_n goes through a linear layer to two class scores.
/// </summary>
public static class ManyToOne
{
    /// <summary>The sequence length L.</summary>
    public const int Length = 10;

    /// <summary>A batch: x (L, N, 1) standard normal, and y (N) = 1 where the sequence's sum is positive.</summary>
    public static (Tensor x, Tensor y) Batch(long n)
    {
        var x = torch.randn(Length, n, 1);
        return (x, x.sum(dim: 0).squeeze(-1).gt(0).to(torch.int64));
    }

    /// <summary>How many batches <see cref="Run"/> trains for unless told otherwise.</summary>
    public const int DefaultSteps = 500;

    /// <summary>Seeds, trains for <paramref name="steps"/> batches of 64, prints shapes and accuracy on 1000 held-out sequences.</summary>
    public static PatternResult Run(int seed, int steps = DefaultSteps)
    {
        using var threads = Training.OneThread();
        using var scope = torch.NewDisposeScope(); // frees the data on return, as disposing the model frees its weights
        torch.manual_seed(seed);
        using var model = new RnnClassifier(1, 16, 2, everyStep: false);
        var (x, y) = Batch(1000);
        Training.PrintShapes("many-to-one (is the sum positive?)",
            ("x (L, N, H_in)", x), ("y (N)", y), ("scores = Linear(h_n[-1]) (N, classes)", model.call(x)));

        Training.Fit(model, steps, 0.005, () =>
        {
            var (xb, yb) = Batch(64);
            return torch.nn.functional.cross_entropy(model.call(xb), yb);
        });

        using var _ = torch.no_grad();
        return Training.Report(new PatternResult("many-to-one", "accuracy", Training.Accuracy(model.call(x), y), Training.Chance(y), true));
    }
}
