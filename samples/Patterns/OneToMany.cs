using System;
using TorchRnn;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace Patterns;

/// <summary>
/// One-to-many: one input, a whole sequence out. From a starting point x_0 = (sin φ, cos φ) on the unit circle,
/// generate the next 12 points, each 30 degrees further round. An <c>nn.RNNCell</c> carries h_t from step to step
/// and each output y_t is fed back as the next input.
/// </summary>
public static class OneToMany
{
    /// <summary>The number of generated steps T.</summary>
    public const int Length = 12;

    /// <summary>The angle between two steps: 30 degrees.</summary>
    public const double Step = Math.PI / 6;

    /// <summary>An <c>nn.RNNCell(2, hidden)</c> and a <c>Linear(hidden, 2)</c>, unrolled for T steps with feedback.</summary>
    public sealed class Generator : torch.nn.Module<Tensor, Tensor>
    {
        private readonly RNNCell cell;
        private readonly TorchSharp.Modules.Linear head;

        /// <summary>The cell and the output layer.</summary>
        public Generator(long hidden) : base(nameof(Generator))
        {
            cell = nn.RNNCell(2, hidden);
            head = torch.nn.Linear(hidden, 2);
            RegisterComponents();
        }

        /// <summary>x_0 (N, 2) to y_1 ... y_T (T, N, 2): h_t = cell(y_(t-1), h_(t-1)) with y_0 = x_0 and h_0 = 0, y_t = Linear(h_t).</summary>
        public override Tensor forward(Tensor x_0)
        {
            var ys = new Tensor[Length];
            var input = x_0;
            Tensor? h_t = null; // the cell starts from zeros
            for (var t = 0; t < Length; t++)
            {
                h_t = cell.call(input, h_t);
                ys[t] = head.call(h_t);
                input = ys[t];
            }
            return torch.stack(ys);
        }
    }

    /// <summary>A batch: x_0 (N, 2) at random angles φ, and the targets (T, N, 2) at φ + t * 30°, t = 1 ... T.</summary>
    public static (Tensor x_0, Tensor targets) Batch(long n)
    {
        var phi = torch.rand(n) * (2 * Math.PI);
        var angles = phi.unsqueeze(0) + torch.arange(1, Length + 1, dtype: torch.float32).unsqueeze(1) * Step;
        return (torch.stack([phi.sin(), phi.cos()], -1), torch.stack([angles.sin(), angles.cos()], -1));
    }

    /// <summary>How many batches <see cref="Run"/> trains for unless told otherwise.</summary>
    public const int DefaultSteps = 300;

    /// <summary>Seeds, trains for <paramref name="steps"/> batches of 64, prints shapes and the mean |error| on 1000 held-out starts.</summary>
    /// <returns>The error, with predicting the mean (0) everywhere as chance.</returns>
    public static PatternResult Run(int seed, int steps = DefaultSteps)
    {
        using var threads = Training.OneThread();
        using var scope = torch.NewDisposeScope(); // frees the data on return, as disposing the model frees its weights
        torch.manual_seed(seed);
        using var model = new Generator(32);
        var (x_0, targets) = Batch(1000);
        Training.PrintShapes("one-to-many (walk round the circle from x_0)",
            ("x_0 (N, H_in)", x_0), ("targets (T, N, 2)", targets), ("y_1 ... y_T (T, N, 2)", model.call(x_0)));

        Training.Fit(model, steps, 0.01, () =>
        {
            var (xb, tb) = Batch(64);
            return torch.nn.functional.mse_loss(model.call(xb), tb);
        });

        using var _ = torch.no_grad();
        var error = (model.call(x_0) - targets).abs().mean().item<float>();
        var chance = targets.abs().mean().item<float>();
        return Training.Report(new PatternResult("one-to-many", "mean |error|", error, chance, false));
    }
}
