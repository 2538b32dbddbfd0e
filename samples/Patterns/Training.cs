using System;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace Patterns;

/// <summary>What every pattern shares: a training loop on fresh synthetic batches, and accuracy against chance.</summary>
public static class Training
{
    /// <summary>
    /// Adam on <paramref name="model"/>'s parameters for <paramref name="steps"/> steps; <paramref name="loss"/> draws
    /// a fresh batch and returns its loss. Each step runs in its own dispose scope, so its tensors are freed at once.
    /// </summary>
    /// <returns>The last step's loss.</returns>
    public static double Fit(torch.nn.Module model, int steps, double lr, Func<Tensor> loss)
    {
        model.train();
        using var optimizer = torch.optim.Adam(model.parameters(), lr);
        var last = double.NaN;
        for (var step = 0; step < steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var value = loss();
            value.backward();
            optimizer.step();
            last = value.item<float>();
        }
        model.eval();
        return last;
    }

    /// <summary>
    /// Runs LibTorch's CPU operations on one thread until disposed, then restores the previous count. These tensors are
    /// tiny: handing each operation to a thread pool costs more than it saves (on 2 cores, up to 20 times more when
    /// other threads are busy, as under a test runner). PyTorch's <c>torch.set_num_threads(1)</c> does the same.
    /// </summary>
    public static IDisposable OneThread()
    {
        var previous = torch.get_num_threads();
        torch.set_num_threads(1);
        return new Restore(() => torch.set_num_threads(previous));
    }

    /// <summary>The share of predictions (argmax over the last dim of <paramref name="logits"/>) equal to <paramref name="labels"/>.</summary>
    public static double Accuracy(Tensor logits, Tensor labels)
    {
        using var scope = torch.NewDisposeScope();
        return logits.argmax(-1).eq(labels).to(torch.float64).mean().item<double>();
    }

    /// <summary>Chance level: the share of the most common label, what always guessing it scores.</summary>
    public static double Chance(Tensor labels)
    {
        using var scope = torch.NewDisposeScope();
        var counts = labels.flatten().bincount(null);
        return counts.max().item<long>() / (double)labels.numel();
    }

    /// <summary>Prints a pattern's heading, then each named shape as <c>name: torch.Size([...])</c>.</summary>
    public static void PrintShapes(string heading, params (string name, Tensor tensor)[] shapes)
    {
        Console.WriteLine(heading);
        foreach (var (name, tensor) in shapes)
            TorchRnn.Py.print($"  {name}:", tensor.shape);
    }

    /// <summary>Prints the result line and returns the result.</summary>
    public static PatternResult Report(PatternResult result)
    {
        Console.WriteLine($"  {result}");
        return result;
    }

    private sealed class Restore(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
