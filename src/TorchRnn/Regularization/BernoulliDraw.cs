using System;
using System.Runtime.InteropServices;
using System.Threading;
using TorchRnn.Engines;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Regularization;

/// <summary>
/// <c>F.dropout</c> with its Bernoulli mask drawn in managed code where that gives LibTorch's mask to the bit.
/// ATen's CPU <c>bernoulli_(p)</c> on its default path is a serial loop of about 11 ns an element (7 ms for a 1600 x
/// 400 weight, on every training forward of a WeightDrop); <see cref="Mt19937"/> draws the same numbers from the same
/// generator state several times faster. Everything else is ATen's own arithmetic (<c>_dropout_impl</c>:
/// <c>noise.div_(1 - p)</c>, then <c>input * noise</c>), so values and autograd are those of <c>F.dropout</c>.
/// </summary>
/// <remarks>
/// The managed draw is used only where it is proven: on the CPU, for contiguous float32 and float64 tensors, with
/// 0 &lt; p &lt; 1 in training, and only after a check, once per process, that this LibTorch's <c>bernoulli_</c> draws
/// what <see cref="Mt19937"/> draws and leaves the generator where it leaves it (a build with MKL takes MKL's
/// generator on some CPUs, whose masks differ). Everything else goes to <c>F.dropout</c>. Like ATen's kernel, the
/// draw reads and writes the default generator without a lock that other threads' draws would honour.
/// </remarks>
internal static class BernoulliDraw
{
    private static readonly Lazy<bool> s_exact = new(MatchesAten, LazyThreadSafetyMode.ExecutionAndPublication);
    private static long s_managedDraws;

    /// <summary>Whether this LibTorch's CPU <c>bernoulli_(p)</c> is the default mt19937 path (checked on first use).</summary>
    public static bool Exact => s_exact.Value;

    /// <summary>How many masks this process has drawn in managed code: what tests read to see the fast path taken.</summary>
    public static long ManagedDraws => Interlocked.Read(ref s_managedDraws);

    /// <summary>
    /// <c>F.dropout(input, p, training)</c>, with the same values, gradients and generator position afterwards.
    /// </summary>
    public static Tensor Dropout(Tensor input, double p, bool training)
    {
        // p = 0, p = 1, eval and empty tensors draw nothing: F.dropout's aliasing and zeros, unchanged.
        if (!training || !(p > 0 && p < 1) || !Drawable(input)) return F.dropout(input, p, training);
        using var noise = torch.empty_like(input);
        if (!TryBernoulli(noise, 1 - p)) return F.dropout(input, p, training);
        noise.div_(1 - p);
        return input * noise;
    }

    /// <summary>
    /// <c>mask.bernoulli_(p)</c> from the default generator in managed code; false, with nothing drawn, where that
    /// would not be ATen's draw (then call <c>bernoulli_</c>).
    /// </summary>
    public static bool TryBernoulli(Tensor mask, double p)
    {
        if (!Drawable(mask) || !(p >= 0 && p <= 1) || !Exact) return false;
        using var state = RandomState.Get();
        var bytes = state.bytes;
        var engine = Mt19937.Read(bytes);
        if (engine is null) return false;
        Fill(engine, mask, p);
        engine.WriteTo(bytes);
        RandomState.Set(state);
        Interlocked.Increment(ref s_managedDraws);
        return true;
    }

    private static bool Drawable(Tensor t)
        => t.device_type == DeviceType.CPU
            && (t.dtype == ScalarType.Float32 || t.dtype == ScalarType.Float64)
            && t.numel() > 0
            // Tensor.bytes spans at most int.MaxValue bytes.
            && t.numel() <= int.MaxValue / 8
            // Contiguous: ATen's serial loop fills it in memory order, as the managed draw does.
            && t.is_contiguous();

    private static void Fill(Mt19937 engine, Tensor mask, double p)
    {
        if (mask.dtype == ScalarType.Float32) engine.FillBernoulli(MemoryMarshal.Cast<byte, float>(mask.bytes), p);
        else engine.FillBernoulli(MemoryMarshal.Cast<byte, double>(mask.bytes), p);
    }

    /// <summary>
    /// The check behind <see cref="Exact"/>: from a freshly seeded state, draws a float32 mask whose pairs of outputs
    /// straddle the twists and, one output later, a float64 mask whose pairs do not, both ways, and compares the masks
    /// and the states they leave byte for byte. Only the default CPU generator is touched (no manual_seed, which would
    /// reseed CUDA's too), and its state is restored.
    /// </summary>
    public static bool MatchesAten()
    {
        using var scope = torch.NewDisposeScope();
        var saved = RandomState.Get();
        try
        {
            using (var fresh = new torch.Generator(20231, torch.CPU)) RandomState.Set(fresh.get_state());
            // One 32-bit output: the first mask's pairs then straddle each twist.
            torch.rand(1, dtype: ScalarType.Float32);
            if (!DrawsAsAten(torch.empty(1499, dtype: ScalarType.Float32), 0.37)) return false;
            // One more: the second mask's pairs start at each twist.
            torch.rand(1, dtype: ScalarType.Float32);
            return DrawsAsAten(torch.empty(701, dtype: ScalarType.Float64), 0.81);
        }
        finally
        {
            RandomState.Set(saved);
        }
    }

    // Draws mask.bernoulli_(p) in ATen and in managed code from the generator's state; the generator ends after ATen's.
    private static bool DrawsAsAten(Tensor mask, double p)
    {
        var start = RandomState.Get();
        var aten = mask.clone().bernoulli_(p);
        var atenAfter = RandomState.Get();
        var engine = Mt19937.Read(start.bytes);
        if (engine is null) return false;
        Fill(engine, mask, p);
        engine.WriteTo(start.bytes);
        return mask.bytes.SequenceEqual(aten.bytes) && start.bytes.SequenceEqual(atenAfter.bytes);
    }
}
