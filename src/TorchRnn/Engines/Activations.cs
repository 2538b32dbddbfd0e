using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TorchRnn.Engines;

/// <summary>
/// σ and tanh of 16 floats at once for the fused cells, in float32 throughout: e^x by Cody and Waite's reduction
/// (x = n ln 2 + r, |r| ≤ ln 2 / 2) and its series to r^7, 1/d by AVX-512's 14-bit reciprocal and one Newton step.
/// Within 2.5 float32 rounding steps of the exact values (<c>ActivationsTests</c> holds them to float64's; measured worst
/// 2.14 for σ, 2.06 for tanh). For machines with <see cref="Avx512F"/>; the cells use <c>TensorPrimitives</c> elsewhere.
/// </summary>
internal static class Activations
{
    /// <summary>Whether this machine has the instructions these use.</summary>
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>1.5 * 2^23: a float of that size has no fraction bits, so adding it rounds to an integer.</summary>
    private const float Magic = 12582912f;

    /// <summary>The bits of <see cref="Magic"/>, whose low bits hold n after the addition.</summary>
    private const int MagicBits = 0x4B400000;

    /// <summary>σ(x) = 1 / (1 + e^(-x)); NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x)
    {
        var (scale, q) = Parts(-x);
        var result = Reciprocal(Vector512.FusedMultiplyAdd(scale, q, scale) + Vector512<float>.One);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);
    }

    /// <summary>
    /// tanh(|x|) with e = e^(-2|x|) and m = e - 1: (-m) / (1 + e) below |x| = 0.55 (m from <see cref="Parts"/> without
    /// forming e: 1 - e would lose up to seven rounding steps to cancellation for small x), 1 - 2e / (1 + e) above (near
    /// 1, where the small 2e / (1 + e) carries the error); the sign of x; NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        var magnitude = Vector512.Abs(x);
        var (scale, q) = Parts(magnitude * Vector512.Create(-2f));
        var e = Vector512.FusedMultiplyAdd(scale, q, scale);
        var m = Vector512.FusedMultiplyAdd(scale, q, scale - Vector512<float>.One);
        var inverse = Reciprocal(e + Vector512<float>.One);
        var near = -m * inverse;
        var far = Vector512.FusedMultiplyAdd(e * Vector512.Create(-2f), inverse, Vector512<float>.One);
        var result = Vector512.CopySign(Vector512.ConditionalSelect(Vector512.LessThan(magnitude, Vector512.Create(0.55f)), near, far), x);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);
    }

    /// <summary>
    /// e^x = scale (1 + q), with scale = 2^n and q = e^r - 1 (|r| ≤ ln 2 / 2, its series to r^7, error under 1e-8), for
    /// x clamped to [-87.3, 88] so that 2^n stays a normal float: σ and tanh need nothing beyond (there they are
    /// within 1e-38 of their limits). NaN gives a meaningless value: the callers replace it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> scale, Vector512<float> q) Parts(Vector512<float> x)
    {
        // AVX-512's own min and max (NaN in gives one of the bounds; the callers replace it), then n = round(x / ln 2) by
        // adding 1.5 * 2^23, which leaves n in the low bits of the sum.
        x = Avx512F.Min(Avx512F.Max(x, Vector512.Create(-87.3f)), Vector512.Create(88f));
        var shifted = Vector512.FusedMultiplyAdd(x, Vector512.Create(1.44269504f), Vector512.Create(Magic));
        var n = shifted - Vector512.Create(Magic);
        // ln 2 in two parts, the first with few enough bits that n times it is exact.
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693145751953125f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-1.42860677e-6f), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(1f / 5040f), r, Vector512.Create(1f / 720f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        var q = Vector512.FusedMultiplyAdd(p * r, r, r);
        var scale = Vector512.ShiftLeft(shifted.AsInt32() - Vector512.Create(MagicBits - 127), 23).AsSingle();
        return (scale, q);
    }

    /// <summary>1/d for d ≥ 1: a 14-bit estimate and one Newton step (error about 2^-28 before rounding).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Reciprocal(Vector512<float> d)
    {
        var y = Avx512F.Reciprocal14(d);
        var error = Vector512.FusedMultiplyAdd(-d, y, Vector512<float>.One);
        return Vector512.FusedMultiplyAdd(y, error, y);
    }
}
