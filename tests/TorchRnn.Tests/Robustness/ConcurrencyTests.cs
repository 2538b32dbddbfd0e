using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Robustness;

/// <summary>
/// Inference on one module from several threads at once, in eval() and under no_grad (which is per thread, so each
/// thread enters its own), gives bit for bit what the same calls give one after another.
/// </summary>
public class ConcurrencyTests
{
    private const int Threads = 4;
    private const int CallsPerThread = 16;
    private const int Rounds = 2;

    public static IEnumerable<TestCaseData> Modules()
    {
        static TestCaseData Case(string name, ModuleConfig m, InputForm form = InputForm.Batched)
            => new TestCaseData(m, form).SetArgDisplayNames(name);
        yield return Case("RNN", new ModuleConfig(ModuleKind.RNN, "tanh", 5, 8, 2, true, false, true, 0));
        yield return Case("RNNReluUnbatched", new ModuleConfig(ModuleKind.RNN, "relu", 5, 8, 1, true, false, false, 0), InputForm.Unbatched);
        yield return Case("LSTM", new ModuleConfig(ModuleKind.LSTM, "tanh", 5, 8, 2, true, true, true, 0));
        yield return Case("LSTMProjected", new ModuleConfig(ModuleKind.LSTM, "tanh", 5, 8, 2, true, false, true, 3));
        yield return Case("GRU", new ModuleConfig(ModuleKind.GRU, "tanh", 5, 8, 2, false, false, true, 0));
        yield return Case("RNNCell", new ModuleConfig(ModuleKind.RNNCell, "tanh", 5, 8, 1, true, false, false, 0));
        yield return Case("LSTMCell", new ModuleConfig(ModuleKind.LSTMCell, "tanh", 5, 8, 1, true, false, false, 0));
        yield return Case("GRUCell", new ModuleConfig(ModuleKind.GRUCell, "tanh", 5, 8, 1, true, false, false, 0));
    }

    [TestCaseSource(nameof(Modules))]
    public void Inference_FourThreadsOnOneModuleInEval_EqualsSequentialResults(ModuleConfig m, InputForm form)
    {
        using var scope = torch.NewDisposeScope();
        using var module = m.Build(ScalarType.Float32);
        module.eval();
        var calls = Threads * CallsPerThread;
        // Inputs and states are made here, before any thread starts; half the calls pass states.
        var inputs = Enumerable.Range(0, calls).Select(_ => torch.randn(m.InputShape(form, 6, 3))).ToArray();
        var states = Enumerable.Range(0, calls)
            .Select(i => i % 2 == 0 ? [] : m.StateShapes(form, 3).Select(s => torch.randn(s)).ToArray()).ToArray();

        double[] Run(int i)
        {
            using var callScope = torch.NewDisposeScope();
            var (output, hn, cn) = ModuleRunner.Forward(module, inputs[i], states[i]);
            return new[] { output, hn, cn }.Where(t => t is not null).SelectMany(t => Expect.Values(t!)).ToArray();
        }

        double[][] sequential;
        using (torch.no_grad())
        {
            sequential = Enumerable.Range(0, calls).Select(Run).ToArray();
        }

        var concurrent = new double[calls][];
        var errors = new List<Exception>();
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                using var noGrad = torch.no_grad(); // per thread: the main thread's does not reach here
                start.SignalAndWait();
                for (var round = 0; round < Rounds; round++)
                    for (var k = 0; k < CallsPerThread; k++)
                    {
                        // Each thread walks the calls in its own order, so different calls overlap each round.
                        var i = (t * CallsPerThread + k * (round + 1)) % calls;
                        var result = Run(i);
                        lock (concurrent)
                        {
                            if (concurrent[i] is { } earlier && !earlier.SequenceEqual(result))
                                throw new InvalidOperationException($"call {i} gave two different results");
                            concurrent[i] = result;
                        }
                    }
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();

        Assert.That(errors, Is.Empty);
        for (var i = 0; i < calls; i++)
            if (concurrent[i] is not null)
                Assert.That(concurrent[i], Is.EqualTo(sequential[i]).AsCollection, $"call {i}");
        Assert.That(concurrent.Count(r => r is not null), Is.EqualTo(calls), "every call was made concurrently");
    }
}
