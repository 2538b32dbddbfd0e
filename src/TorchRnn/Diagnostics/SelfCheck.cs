using System;
using System.Collections.Generic;
using System.Linq;
using TorchRnn.Engines;
using TorchRnn.Kinds;
using TorchSharp;

namespace TorchRnn.Diagnostics;

/// <summary>
/// Runs the kernel check over a grid of sizes on this machine and reports every vendor kernel's verdict: the output
/// to paste into a bug report. It checks afresh (it neither reads nor adds to <see cref="KernelCheck.Verdicts"/>),
/// warns about nothing, and leaves the global random generator where it was.
/// </summary>
public static class SelfCheck
{
    /// <summary>
    /// The hidden sizes checked by default: those where oneDNN 3.7.1's LSTM inference kernel was measured wrong on AMD
    /// Zen 5 (6, 8, 16, 33, 40, 48, 100, 200) and right (20, 24, 31, 32, 64, 128, 256).
    /// </summary>
    /// <value>Fifteen sizes from 6 to 256.</value>
    public static IReadOnlyList<long> DefaultHiddenSizes { get; } = [6, 8, 16, 20, 24, 31, 32, 33, 40, 48, 64, 100, 128, 200, 256];

    /// <summary>
    /// Checks every vendor kernel TorchRnn can call on the CPU against the float64 reference: LibTorch's whole-sequence
    /// kernels and cells for RNN, LSTM and GRU (2 layers, input size = hidden size, 7 steps, batch 5, float32), and the
    /// cell modules, each under <c>no_grad</c> and with autograd.
    /// </summary>
    /// <param name="hiddenSizes">The hidden sizes to check; <see cref="DefaultHiddenSizes"/> when null.</param>
    /// <returns>The machine, LibTorch's build, and one verdict per kernel, size and gradient mode.</returns>
    /// <exception cref="ArgumentException">A hidden size is not positive.</exception>
    /// <example>
    /// <code>
    /// var report = SelfCheck.Run();
    /// Console.WriteLine(report); // the CPU, LibTorch's build and a table of verdicts
    /// return report.AllRight ? 0 : 1;
    /// </code>
    /// </example>
    public static SelfCheckReport Run(IEnumerable<long>? hiddenSizes = null)
    {
        var sizes = (hiddenSizes ?? DefaultHiddenSizes).ToList();
        foreach (var size in sizes)
        {
            if (size <= 0) throw new ArgumentException($"hidden sizes must be positive, got {size}", nameof(hiddenSizes));
        }
        var guard = new KernelGuard { Warn = false };
        var verdicts = new List<KernelVerdict>();
        RandomState.Preserved(() =>
        {
            torch.manual_seed(0);
            foreach (var kind in new LibTorchKind[] { LstmKind.Instance, GruKind.Instance, RnnKind.Tanh })
            {
                foreach (var size in sizes)
                {
                    foreach (var grad in new[] { false, true })
                    {
                        foreach (var engine in new[] { Engine.Native, Engine.Cells })
                        {
                            guard.Clear();
                            using var scope = torch.NewDisposeScope();
                            using var module = kind.CreateModule(size, size, 2, true, false, 0.0, false, 0, null, null);
                            module.eval();
                            module.Guard = guard;
                            module.ForcedEngine = engine;
                            using (torch.set_grad_enabled(grad)) module.call(torch.randn(7, 5, size));
                            // The kernel's verdict comes first; a wrong kernel hands the call to the fused engine, whose
                            // own verdict follows and is not this row's.
                            verdicts.AddRange(guard.Verdicts.Take(1));
                        }
                        guard.Clear();
                        using var cellScope = torch.NewDisposeScope();
                        using var cell = kind.CreateCell(size, size, true, null, null);
                        cell.Guard = guard;
                        using (torch.set_grad_enabled(grad)) cell.call(torch.randn(5, size));
                        verdicts.AddRange(guard.Verdicts);
                    }
                }
            }
            return 0;
        });
        return new SelfCheckReport(Machine.Cpu, Machine.LibTorchConfig, verdicts);
    }
}
