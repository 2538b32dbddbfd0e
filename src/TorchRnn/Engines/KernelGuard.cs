using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using TorchRnn.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// The verdicts on vendor kernels, one per <see cref="GuardKey"/>: whether a kernel agreed with TorchRnn's reference
/// engine on the first call of a configuration. A kernel found wrong is reported once, through
/// <see cref="Warnings"/>, and is never used again for that configuration.
/// </summary>
/// <remarks>
/// The process shares one guard (<see cref="Shared"/>); tests and the self-check use their own, so that what they find
/// or inject does not reach other modules. Verdicts are added and read without a lock: two threads that check the same
/// configuration at once both check, and one verdict (and one warning) wins.
/// </remarks>
internal sealed class KernelGuard
{
    private readonly ConcurrentDictionary<GuardKey, KernelVerdict> _verdicts = new();

    /// <summary>The guard every module uses unless a test or the self-check gives it another.</summary>
    public static KernelGuard Shared { get; } = new();

    /// <summary>Whether verdicts reach <see cref="Warnings"/> (the self-check collects them instead).</summary>
    public bool Warn { get; init; } = true;

    /// <summary>Every verdict so far.</summary>
    public IReadOnlyList<KernelVerdict> Verdicts => _verdicts.Values.ToList();

    /// <summary>The verdict on <paramref name="key"/>: true (right), false (wrong), or null when not yet checked.</summary>
    public bool? Lookup(in GuardKey key) => _verdicts.TryGetValue(key, out var verdict) ? verdict.Right : null;

    /// <summary>Forgets every verdict, so that each configuration is checked again.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _verdicts.Clear();
    }

    /// <summary>How many times the verdicts were cleared: a verdict remembered elsewhere holds only in its generation.</summary>
    public int Generation => Volatile.Read(ref _generation);

    private int _generation;

    /// <summary>
    /// Compares a kernel's results with the float64 reference's, elementwise, and records the verdict; the first
    /// thread to record a wrong verdict for <paramref name="key"/> reports it.
    /// </summary>
    /// <param name="key">The kernel and configuration.</param>
    /// <param name="got">The kernel's output and final states.</param>
    /// <param name="reference">The reference's, in float64, in the same order.</param>
    /// <returns>Whether the kernel was right.</returns>
    public bool Judge(in GuardKey key, IReadOnlyList<Tensor> got, IReadOnlyList<Tensor> reference)
    {
        var tolerance = Tolerance(key.DType);
        var right = true;
        var largest = 0.0;
        using (torch.no_grad())
        {
            for (var i = 0; i < got.Count; i++)
            {
                var (agrees, difference) = Agree(got[i], reference[i], tolerance);
                right &= agrees;
                largest = System.Math.Max(largest, difference);
            }
        }
        var verdict = new KernelVerdict(key.Kernel, key.Describe(), right, largest, tolerance);
        if (_verdicts.TryAdd(key, verdict) && !right && Warn) Warnings.Warn(Message(verdict));
        return right;
    }

    /// <summary>
    /// The verdict on <paramref name="key"/>, answered from <paramref name="memo"/> when the call site's last key was
    /// the same (a module is mostly called the same way again: no hashing), else looked up and remembered.
    /// </summary>
    public bool? Lookup(in GuardKey key, ref Memo? memo)
    {
        if (memo is { } last && ReferenceEquals(last.Guard, this) && last.Generation == Generation && last.Key == key) return last.Right;
        var generation = Generation;
        var verdict = Lookup(key);
        // The memo is one object, so another thread sees a whole one or none.
        if (verdict is { } right) memo = new Memo(this, generation, key, right);
        return verdict;
    }

    /// <summary>A call site's last verdict, valid for its guard in the generation it was read in.</summary>
    internal sealed record Memo(KernelGuard Guard, int Generation, GuardKey Key, bool Right);

    /// <summary>Whether an input and a state hold no NaN or infinity (before a verdict: a comparison over them proves nothing).</summary>
    public static bool AllFinite(Tensor input, HiddenState? state)
    {
        using var scope = torch.NewDisposeScope();
        return input.isfinite().all().item<bool>()
            && (state is not { } s || (s.h.isfinite().all().item<bool>() && (s.c is null || s.c.isfinite().all().item<bool>())));
    }

    /// <summary>
    /// The relative tolerance of a kernel in <paramref name="dtype"/>: generous against rounding (float32 products and
    /// float64 ones differ by about 1e-7 per step) and far below the faults seen (0.03 to 0.6).
    /// </summary>
    public static double Tolerance(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => 0.03,
        ScalarType.BFloat16 => 0.25,
        _ => 2e-3,
    };

    /// <summary>
    /// Whether every element of <paramref name="got"/> is within <c>tolerance * (1 + |reference|)</c> of
    /// <paramref name="reference"/>, NaN matching NaN only; and the largest finite difference.
    /// </summary>
    private static (bool agrees, double largest) Agree(Tensor got, Tensor reference, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        var wide = got.detach().to(ScalarType.Float64);
        var difference = (wide - reference).abs_();
        var bound = reference.abs().mul_(tolerance).add_(tolerance);
        var nanMismatch = wide.isnan().logical_xor_(reference.isnan());
        // NaN - NaN is NaN, which compares false: NaN where both are NaN agrees, NaN on one side only does not.
        var bad = difference.gt(bound).logical_or_(nanMismatch).any().item<bool>();
        var largest = difference.numel() == 0 ? 0.0 : difference.nan_to_num(0, 0, 0).max().item<double>();
        return (!bad, largest);
    }

    private static string Message(KernelVerdict verdict)
        => $"TorchRnn found a wrong kernel on this CPU ({Machine.Cpu}): {verdict.Kernel} for {verdict.Configuration} differs from "
            + $"TorchRnn's float64 reference by up to {verdict.LargestDifference:G3} (tolerance {verdict.Tolerance:G3} relative). "
            + "This call and every later call of this configuration return the result of TorchRnn's own engine instead. "
            + "TorchRnn.Diagnostics.KernelCheck.Enabled = false (or TORCHRNN_KERNEL_CHECK=0) turns the check off; "
            + "TorchRnn.Warnings.Handler routes this message.";
}
