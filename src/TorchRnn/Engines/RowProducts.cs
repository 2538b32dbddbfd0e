using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TorchRnn.Engines;

/// <summary>
/// The fused engines' matrix products: y[m, r] += Σ_k W[r, k] x[m, k] for a row-major weight W (rows, cols) as
/// PyTorch stores it and a few input rows x. A step at a small batch is a matrix-vector product bound by the bytes of
/// W, so each weight vector is loaded once and multiplied into every input row held in registers (up to 8 with
/// 512-bit vectors); LibTorch's <c>addmm</c> costs a dispatch and reads W again for each block of rows.
/// </summary>
/// <remarks>Sums are grouped by vector lane, so results agree with BLAS's to float32 rounding, not bit for bit.</remarks>
internal static class RowProducts
{
    /// <summary>
    /// Adds W x^T into y: for m &lt; <paramref name="count"/> and r &lt; <paramref name="rows"/>,
    /// y[m * yStride + r] += Σ_k w[r * cols + k] * x[m * xStride + k].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // SIMD loops: fully optimised from the first call, not after tiering
    public static void Accumulate(ReadOnlySpan<float> w, int rows, int cols, ReadOnlySpan<float> x, int xStride, int count,
        Span<float> y, int yStride)
    {
        if (w.Length < rows * cols || x.Length < (count - 1) * xStride + cols || y.Length < (count - 1) * yStride + rows)
            throw new ArgumentException("A product's spans are shorter than its sizes.");
        ref var w0 = ref MemoryMarshal.GetReference(w);
        ref var x0 = ref MemoryMarshal.GetReference(x);
        ref var y0 = ref MemoryMarshal.GetReference(y);
        var m = 0;
        // 512-bit vectors mean AVX-512, so AVX's horizontal adds are there too.
        if (Vector512.IsHardwareAccelerated && Avx.IsSupported)
        {
            for (; m + 8 <= count; m += 8) Rows8(ref w0, rows, cols, ref Unsafe.Add(ref x0, m * xStride), xStride, ref Unsafe.Add(ref y0, m * yStride), yStride);
        }
        for (; m + 4 <= count; m += 4) Rows4(ref w0, rows, cols, ref Unsafe.Add(ref x0, m * xStride), xStride, ref Unsafe.Add(ref y0, m * yStride), yStride);
        for (; m < count; m++) Rows1(ref w0, rows, cols, ref Unsafe.Add(ref x0, m * xStride), ref Unsafe.Add(ref y0, m * yStride));
    }

    // Eight input rows, two weight rows at a time: 16 accumulators, two weight loads and eight input loads for every
    // 16 fused multiply-adds, within AVX-512's 32 registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows8(ref float w, int rows, int cols, ref float x, int xs, ref float y, int ys)
    {
        var r = 0;
        for (; r + 2 <= rows; r += 2)
        {
            ref var wa = ref Unsafe.Add(ref w, r * cols);
            ref var wb = ref Unsafe.Add(ref wa, cols);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
            var k = 0;
            for (; k + 16 <= cols; k += 16)
            {
                var va = Vector512.LoadUnsafe(ref wa, (nuint)k);
                var vb = Vector512.LoadUnsafe(ref wb, (nuint)k);
                var v = Vector512.LoadUnsafe(ref x, (nuint)k);
                a0 = Vector512.FusedMultiplyAdd(va, v, a0); b0 = Vector512.FusedMultiplyAdd(vb, v, b0);
                v = Vector512.LoadUnsafe(ref x, (nuint)(xs + k));
                a1 = Vector512.FusedMultiplyAdd(va, v, a1); b1 = Vector512.FusedMultiplyAdd(vb, v, b1);
                v = Vector512.LoadUnsafe(ref x, (nuint)(2 * xs + k));
                a2 = Vector512.FusedMultiplyAdd(va, v, a2); b2 = Vector512.FusedMultiplyAdd(vb, v, b2);
                v = Vector512.LoadUnsafe(ref x, (nuint)(3 * xs + k));
                a3 = Vector512.FusedMultiplyAdd(va, v, a3); b3 = Vector512.FusedMultiplyAdd(vb, v, b3);
                v = Vector512.LoadUnsafe(ref x, (nuint)(4 * xs + k));
                a4 = Vector512.FusedMultiplyAdd(va, v, a4); b4 = Vector512.FusedMultiplyAdd(vb, v, b4);
                v = Vector512.LoadUnsafe(ref x, (nuint)(5 * xs + k));
                a5 = Vector512.FusedMultiplyAdd(va, v, a5); b5 = Vector512.FusedMultiplyAdd(vb, v, b5);
                v = Vector512.LoadUnsafe(ref x, (nuint)(6 * xs + k));
                a6 = Vector512.FusedMultiplyAdd(va, v, a6); b6 = Vector512.FusedMultiplyAdd(vb, v, b6);
                v = Vector512.LoadUnsafe(ref x, (nuint)(7 * xs + k));
                a7 = Vector512.FusedMultiplyAdd(va, v, a7); b7 = Vector512.FusedMultiplyAdd(vb, v, b7);
            }
            if (k + 8 <= cols)
            {
                // Eight more columns (H = 200, ...) in the low half, so the scalar tail is under eight.
                var va = Half(ref wa, k);
                var vb = Half(ref wb, k);
                var v = Half(ref x, k);
                a0 = Vector512.FusedMultiplyAdd(va, v, a0); b0 = Vector512.FusedMultiplyAdd(vb, v, b0);
                v = Half(ref x, xs + k);
                a1 = Vector512.FusedMultiplyAdd(va, v, a1); b1 = Vector512.FusedMultiplyAdd(vb, v, b1);
                v = Half(ref x, 2 * xs + k);
                a2 = Vector512.FusedMultiplyAdd(va, v, a2); b2 = Vector512.FusedMultiplyAdd(vb, v, b2);
                v = Half(ref x, 3 * xs + k);
                a3 = Vector512.FusedMultiplyAdd(va, v, a3); b3 = Vector512.FusedMultiplyAdd(vb, v, b3);
                v = Half(ref x, 4 * xs + k);
                a4 = Vector512.FusedMultiplyAdd(va, v, a4); b4 = Vector512.FusedMultiplyAdd(vb, v, b4);
                v = Half(ref x, 5 * xs + k);
                a5 = Vector512.FusedMultiplyAdd(va, v, a5); b5 = Vector512.FusedMultiplyAdd(vb, v, b5);
                v = Half(ref x, 6 * xs + k);
                a6 = Vector512.FusedMultiplyAdd(va, v, a6); b6 = Vector512.FusedMultiplyAdd(vb, v, b6);
                v = Half(ref x, 7 * xs + k);
                a7 = Vector512.FusedMultiplyAdd(va, v, a7); b7 = Vector512.FusedMultiplyAdd(vb, v, b7);
                k += 8;
            }
            // The 16 sums, reduced together: at H = 256 one sum at a time cost about as much as the products.
            Scatter(ref y, ys, r, Sums(a0, a1, a2, a3, a4, a5, a6, a7));
            Scatter(ref y, ys, r + 1, Sums(b0, b1, b2, b3, b4, b5, b6, b7));
            if (k < cols)
            {
                for (var i = 0; i < 8; i++)
                {
                    ref var xi = ref Unsafe.Add(ref x, i * xs);
                    ref var yi = ref Unsafe.Add(ref y, i * ys);
                    Unsafe.Add(ref yi, r) += Tail(ref wa, ref xi, k, cols);
                    Unsafe.Add(ref yi, r + 1) += Tail(ref wb, ref xi, k, cols);
                }
            }
        }
        for (; r < rows; r++)
        {
            for (var i = 0; i < 8; i++) Unsafe.Add(ref y, i * ys + r) += Dot(ref Unsafe.Add(ref w, r * cols), ref Unsafe.Add(ref x, i * xs), cols);
        }
    }

    // Four input rows, two weight rows at a time, in the machine's natural vector width (AVX2's 16 registers hold them).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4(ref float w, int rows, int cols, ref float x, int xs, ref float y, int ys)
    {
        var r = 0;
        var width = Vector<float>.Count;
        for (; r + 2 <= rows; r += 2)
        {
            ref var wa = ref Unsafe.Add(ref w, r * cols);
            ref var wb = ref Unsafe.Add(ref wa, cols);
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            var k = 0;
            for (; k + width <= cols; k += width)
            {
                var va = Vector.LoadUnsafe(ref wa, (nuint)k);
                var vb = Vector.LoadUnsafe(ref wb, (nuint)k);
                var v = Vector.LoadUnsafe(ref x, (nuint)k);
                a0 = Vector.FusedMultiplyAdd(va, v, a0); b0 = Vector.FusedMultiplyAdd(vb, v, b0);
                v = Vector.LoadUnsafe(ref x, (nuint)(xs + k));
                a1 = Vector.FusedMultiplyAdd(va, v, a1); b1 = Vector.FusedMultiplyAdd(vb, v, b1);
                v = Vector.LoadUnsafe(ref x, (nuint)(2 * xs + k));
                a2 = Vector.FusedMultiplyAdd(va, v, a2); b2 = Vector.FusedMultiplyAdd(vb, v, b2);
                v = Vector.LoadUnsafe(ref x, (nuint)(3 * xs + k));
                a3 = Vector.FusedMultiplyAdd(va, v, a3); b3 = Vector.FusedMultiplyAdd(vb, v, b3);
            }
            Add(ref y, r, Vector.Sum(a0), Vector.Sum(b0));
            Add(ref Unsafe.Add(ref y, ys), r, Vector.Sum(a1), Vector.Sum(b1));
            Add(ref Unsafe.Add(ref y, 2 * ys), r, Vector.Sum(a2), Vector.Sum(b2));
            Add(ref Unsafe.Add(ref y, 3 * ys), r, Vector.Sum(a3), Vector.Sum(b3));
            if (k < cols)
            {
                for (var i = 0; i < 4; i++)
                {
                    ref var xi = ref Unsafe.Add(ref x, i * xs);
                    ref var yi = ref Unsafe.Add(ref y, i * ys);
                    Unsafe.Add(ref yi, r) += Tail(ref wa, ref xi, k, cols);
                    Unsafe.Add(ref yi, r + 1) += Tail(ref wb, ref xi, k, cols);
                }
            }
        }
        for (; r < rows; r++)
        {
            for (var i = 0; i < 4; i++) Unsafe.Add(ref y, i * ys + r) += Dot(ref Unsafe.Add(ref w, r * cols), ref Unsafe.Add(ref x, i * xs), cols);
        }
    }

    // One input row (batch 1, the generation step): four weight rows at a time, so four independent sums hide the
    // latency of the multiply-adds while the weights stream in.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows1(ref float w, int rows, int cols, ref float x, ref float y)
    {
        var r = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; r + 4 <= rows; r += 4)
            {
                ref var w0 = ref Unsafe.Add(ref w, r * cols);
                ref var w1 = ref Unsafe.Add(ref w0, cols);
                ref var w2 = ref Unsafe.Add(ref w1, cols);
                ref var w3 = ref Unsafe.Add(ref w2, cols);
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                var k = 0;
                for (; k + 16 <= cols; k += 16)
                {
                    var v = Vector512.LoadUnsafe(ref x, (nuint)k);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w0, (nuint)k), v, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w1, (nuint)k), v, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w2, (nuint)k), v, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w3, (nuint)k), v, a3);
                }
                if (k + 8 <= cols)
                {
                    var v = Half(ref x, k);
                    a0 = Vector512.FusedMultiplyAdd(Half(ref w0, k), v, a0);
                    a1 = Vector512.FusedMultiplyAdd(Half(ref w1, k), v, a1);
                    a2 = Vector512.FusedMultiplyAdd(Half(ref w2, k), v, a2);
                    a3 = Vector512.FusedMultiplyAdd(Half(ref w3, k), v, a3);
                    k += 8;
                }
                Unsafe.Add(ref y, r) += Vector512.Sum(a0) + Tail(ref w0, ref x, k, cols);
                Unsafe.Add(ref y, r + 1) += Vector512.Sum(a1) + Tail(ref w1, ref x, k, cols);
                Unsafe.Add(ref y, r + 2) += Vector512.Sum(a2) + Tail(ref w2, ref x, k, cols);
                Unsafe.Add(ref y, r + 3) += Vector512.Sum(a3) + Tail(ref w3, ref x, k, cols);
            }
        }
        for (; r < rows; r++) Unsafe.Add(ref y, r) += Dot(ref Unsafe.Add(ref w, r * cols), ref x, cols);
    }

    /// <summary>
    /// The lane sums of eight vectors at once, in the order [v0, v2, v4, v6, v1, v3, v5, v7]: halves added, then 128-bit
    /// lanes paired and two rounds of horizontal adds (about half the instructions of eight separate sums).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sums(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        Vector512<float> v4, Vector512<float> v5, Vector512<float> v6, Vector512<float> v7)
    {
        static Vector256<float> Pair(Vector512<float> a, Vector512<float> b)
        {
            var x = a.GetLower() + a.GetUpper();
            var y = b.GetLower() + b.GetUpper();
            return Avx.Permute2x128(x, y, 0x20) + Avx.Permute2x128(x, y, 0x31);
        }

        var low = Avx.HorizontalAdd(Pair(v0, v1), Pair(v2, v3));
        var high = Avx.HorizontalAdd(Pair(v4, v5), Pair(v6, v7));
        return Avx.HorizontalAdd(low, high);
    }

    /// <summary>Adds <see cref="Sums"/>' eight sums into column <paramref name="r"/> of rows 0 to 7 of y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scatter(ref float y, int ys, int r, Vector256<float> sums)
    {
        for (var m = 0; m < 8; m++) Unsafe.Add(ref y, m * ys + r) += sums.GetElement((m & 1) * 4 + (m >> 1));
    }

    /// <summary>Eight floats at <paramref name="k"/> in the low half of a 512-bit vector, zeros above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Half(ref float p, int k) => Vector512.Create(Vector256.LoadUnsafe(ref p, (nuint)k), Vector256<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref float y, int r, float a, float b)
    {
        Unsafe.Add(ref y, r) += a;
        Unsafe.Add(ref y, r + 1) += b;
    }

    /// <summary>Σ_k w[k] x[k] for k from <paramref name="from"/> to <paramref name="cols"/>, in the natural vector width, then scalars.</summary>
    private static float Tail(ref float w, ref float x, int from, int cols)
    {
        var sum = 0f;
        var width = Vector<float>.Count;
        var k = from;
        if (k + width <= cols)
        {
            var acc = Vector<float>.Zero;
            for (; k + width <= cols; k += width)
                acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref w, (nuint)k), Vector.LoadUnsafe(ref x, (nuint)k), acc);
            sum = Vector.Sum(acc);
        }
        for (; k < cols; k++) sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref w, k), Unsafe.Add(ref x, k), sum);
        return sum;
    }

    private static float Dot(ref float w, ref float x, int cols) => Tail(ref w, ref x, 0, cols);
}
