using System;
using System.Numerics.Tensors;
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

    /// <summary>
    /// Adds W1 x1^T + W2 x2^T into y, two weights of the same <paramref name="rows"/> (an LSTM's W_ih and W_hh): for
    /// m &lt; <paramref name="count"/> and r &lt; rows, y[m * yStride + r] += Σ_k w1[r * cols1 + k] x1[m * x1Stride + k]
    /// + Σ_k w2[r * cols2 + k] x2[m * x2Stride + k] (<paramref name="cols2"/> 0: W1 x1^T alone). Where both widths are whole 512-bit vectors, both products go into
    /// the same accumulators, summed across lanes once, as one product over the weights side by side would be (at
    /// 2 x 256 columns and eight rows about 0.8 of two products' time); otherwise it is two <see cref="Accumulate"/>s.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // SIMD loops: fully optimised from the first call, not after tiering
    public static void AccumulateSum(ReadOnlySpan<float> w1, int cols1, ReadOnlySpan<float> x1, int x1Stride,
        ReadOnlySpan<float> w2, int cols2, ReadOnlySpan<float> x2, int x2Stride, int rows, int count, Span<float> y, int yStride)
    {
        if (!(Vector512.IsHardwareAccelerated && Avx2.IsSupported) || cols1 % 16 != 0 || cols2 % 16 != 0 || cols1 == 0 || cols2 == 0)
        {
            Accumulate(w1, rows, cols1, x1, x1Stride, count, y, yStride);
            if (cols2 > 0) Accumulate(w2, rows, cols2, x2, x2Stride, count, y, yStride);
            return;
        }
        if (count <= 0) return;
        if (w1.Length < rows * cols1 || x1.Length < (count - 1) * x1Stride + cols1 || w2.Length < rows * cols2
            || x2.Length < (count - 1) * x2Stride + cols2 || y.Length < (count - 1) * yStride + rows)
            throw new ArgumentException("A product's spans are shorter than its sizes.");
        ref var wa = ref MemoryMarshal.GetReference(w1);
        ref var xa = ref MemoryMarshal.GetReference(x1);
        ref var wb = ref MemoryMarshal.GetReference(w2);
        ref var xb = ref MemoryMarshal.GetReference(x2);
        ref var y0 = ref MemoryMarshal.GetReference(y);
        var m = 0;
        for (; m + 8 <= count; m += 8)
        {
            Rows8Sum(ref wa, cols1, ref Unsafe.Add(ref xa, m * x1Stride), x1Stride, ref wb, cols2, ref Unsafe.Add(ref xb, m * x2Stride), x2Stride,
                rows, ref Unsafe.Add(ref y0, m * yStride), yStride);
        }
        // Four rows or more left: two products of four rows each (Rows4); single rows: one pass over both (Rows1Sum).
        if (m + 4 <= count)
        {
            Rows4(ref wa, rows, cols1, ref Unsafe.Add(ref xa, m * x1Stride), x1Stride, ref Unsafe.Add(ref y0, m * yStride), yStride);
            Rows4(ref wb, rows, cols2, ref Unsafe.Add(ref xb, m * x2Stride), x2Stride, ref Unsafe.Add(ref y0, m * yStride), yStride);
            m += 4;
        }
        for (; m < count; m++)
            Rows1Sum(ref wa, cols1, ref Unsafe.Add(ref xa, m * x1Stride), ref wb, cols2, ref Unsafe.Add(ref xb, m * x2Stride), rows, ref Unsafe.Add(ref y0, m * yStride));
    }

    // Rows8 over two weights of whole vectors: the same 16 accumulators through W1's columns, then W2's. The second loop
    // is the first written out again: a loop over the two weights (or a struct for each) took 1.2-1.5x the time, the
    // accumulators no longer all in registers between the weights.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows8Sum(ref float w1, int c1, ref float x1, int s1, ref float w2, int c2, ref float x2, int s2, int rows, ref float y, int ys)
    {
        var sums = new SumsBlock();
        ref var block = ref sums[0];
        var r = 0;
        for (; r + 2 <= rows; r += 2)
        {
            ref var wa = ref Unsafe.Add(ref w1, r * c1);
            ref var wb = ref Unsafe.Add(ref wa, c1);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
            var ahead = r + 2 + 2 * PairsAhead <= rows;
            for (var k = 0; k < c1; k += 16)
            {
                if (ahead) Prefetch(ref Unsafe.Add(ref wa, 2 * PairsAhead * c1 + k), ref Unsafe.Add(ref wb, 2 * PairsAhead * c1 + k));
                var va = Vector512.LoadUnsafe(ref wa, (nuint)k);
                var vb = Vector512.LoadUnsafe(ref wb, (nuint)k);
                var v = Vector512.LoadUnsafe(ref x1, (nuint)k);
                a0 = Vector512.FusedMultiplyAdd(va, v, a0); b0 = Vector512.FusedMultiplyAdd(vb, v, b0);
                v = Vector512.LoadUnsafe(ref x1, (nuint)(s1 + k));
                a1 = Vector512.FusedMultiplyAdd(va, v, a1); b1 = Vector512.FusedMultiplyAdd(vb, v, b1);
                v = Vector512.LoadUnsafe(ref x1, (nuint)(2 * s1 + k));
                a2 = Vector512.FusedMultiplyAdd(va, v, a2); b2 = Vector512.FusedMultiplyAdd(vb, v, b2);
                v = Vector512.LoadUnsafe(ref x1, (nuint)(3 * s1 + k));
                a3 = Vector512.FusedMultiplyAdd(va, v, a3); b3 = Vector512.FusedMultiplyAdd(vb, v, b3);
                v = Vector512.LoadUnsafe(ref x1, (nuint)(4 * s1 + k));
                a4 = Vector512.FusedMultiplyAdd(va, v, a4); b4 = Vector512.FusedMultiplyAdd(vb, v, b4);
                v = Vector512.LoadUnsafe(ref x1, (nuint)(5 * s1 + k));
                a5 = Vector512.FusedMultiplyAdd(va, v, a5); b5 = Vector512.FusedMultiplyAdd(vb, v, b5);
                v = Vector512.LoadUnsafe(ref x1, (nuint)(6 * s1 + k));
                a6 = Vector512.FusedMultiplyAdd(va, v, a6); b6 = Vector512.FusedMultiplyAdd(vb, v, b6);
                v = Vector512.LoadUnsafe(ref x1, (nuint)(7 * s1 + k));
                a7 = Vector512.FusedMultiplyAdd(va, v, a7); b7 = Vector512.FusedMultiplyAdd(vb, v, b7);
            }
            wa = ref Unsafe.Add(ref w2, r * c2);
            wb = ref Unsafe.Add(ref wa, c2);
            for (var k = 0; k < c2; k += 16)
            {
                if (ahead) Prefetch(ref Unsafe.Add(ref wa, 2 * PairsAhead * c2 + k), ref Unsafe.Add(ref wb, 2 * PairsAhead * c2 + k));
                var va = Vector512.LoadUnsafe(ref wa, (nuint)k);
                var vb = Vector512.LoadUnsafe(ref wb, (nuint)k);
                var v = Vector512.LoadUnsafe(ref x2, (nuint)k);
                a0 = Vector512.FusedMultiplyAdd(va, v, a0); b0 = Vector512.FusedMultiplyAdd(vb, v, b0);
                v = Vector512.LoadUnsafe(ref x2, (nuint)(s2 + k));
                a1 = Vector512.FusedMultiplyAdd(va, v, a1); b1 = Vector512.FusedMultiplyAdd(vb, v, b1);
                v = Vector512.LoadUnsafe(ref x2, (nuint)(2 * s2 + k));
                a2 = Vector512.FusedMultiplyAdd(va, v, a2); b2 = Vector512.FusedMultiplyAdd(vb, v, b2);
                v = Vector512.LoadUnsafe(ref x2, (nuint)(3 * s2 + k));
                a3 = Vector512.FusedMultiplyAdd(va, v, a3); b3 = Vector512.FusedMultiplyAdd(vb, v, b3);
                v = Vector512.LoadUnsafe(ref x2, (nuint)(4 * s2 + k));
                a4 = Vector512.FusedMultiplyAdd(va, v, a4); b4 = Vector512.FusedMultiplyAdd(vb, v, b4);
                v = Vector512.LoadUnsafe(ref x2, (nuint)(5 * s2 + k));
                a5 = Vector512.FusedMultiplyAdd(va, v, a5); b5 = Vector512.FusedMultiplyAdd(vb, v, b5);
                v = Vector512.LoadUnsafe(ref x2, (nuint)(6 * s2 + k));
                a6 = Vector512.FusedMultiplyAdd(va, v, a6); b6 = Vector512.FusedMultiplyAdd(vb, v, b6);
                v = Vector512.LoadUnsafe(ref x2, (nuint)(7 * s2 + k));
                a7 = Vector512.FusedMultiplyAdd(va, v, a7); b7 = Vector512.FusedMultiplyAdd(vb, v, b7);
            }
            var pair = (r >> 1) & 3;
            Unsafe.Add(ref block, 2 * pair) = Sums(a0, a1, a2, a3, a4, a5, a6, a7);
            Unsafe.Add(ref block, 2 * pair + 1) = Sums(b0, b1, b2, b3, b4, b5, b6, b7);
            if (pair == 3) AddTransposed(ref block, ref y, ys, r - 6);
        }
        for (var done = r & ~7; done < r; done++) Scatter(ref y, ys, done, Unsafe.Add(ref block, done & 7));
        for (; r < rows; r++)
        {
            for (var i = 0; i < 8; i++)
            {
                Unsafe.Add(ref y, i * ys + r) += Dot(ref Unsafe.Add(ref w1, r * c1), ref Unsafe.Add(ref x1, i * s1), c1)
                    + Dot(ref Unsafe.Add(ref w2, r * c2), ref Unsafe.Add(ref x2, i * s2), c2);
            }
        }
    }

    // Rows1's eight-row loop over two weights of whole vectors, the second written out as in Rows8Sum.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows1Sum(ref float w1, int c1, ref float x1, ref float w2, int c2, ref float x2, int rows, ref float y)
    {
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        var r = 0;
        for (; r + 8 <= rows; r += 8)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            ref var first = ref Unsafe.Add(ref w1, r * c1);
            for (var k = 0; k < c1; k += 16)
            {
                var v = Vector512.LoadUnsafe(ref x1, (nuint)k);
                ref var row = ref Unsafe.Add(ref first, k);
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row), v, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)c1), v, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(2 * c1)), v, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(3 * c1)), v, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(4 * c1)), v, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(5 * c1)), v, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(6 * c1)), v, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(7 * c1)), v, a7);
            }
            ref var second = ref Unsafe.Add(ref w2, r * c2);
            for (var k = 0; k < c2; k += 16)
            {
                var v = Vector512.LoadUnsafe(ref x2, (nuint)k);
                ref var row = ref Unsafe.Add(ref second, k);
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row), v, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)c2), v, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(2 * c2)), v, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(3 * c2)), v, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(4 * c2)), v, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(5 * c2)), v, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(6 * c2)), v, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(7 * c2)), v, a7);
            }
            AddInto(ref y, r, Avx2.PermuteVar8x32(Sums(a0, a1, a2, a3, a4, a5, a6, a7), order));
        }
        for (; r < rows; r++)
            Unsafe.Add(ref y, r) += Dot(ref Unsafe.Add(ref w1, r * c1), ref x1, c1) + Dot(ref Unsafe.Add(ref w2, r * c2), ref x2, c2);
    }

    // Eight input rows, two weight rows at a time: 16 accumulators, two weight loads and eight input loads for every
    // 16 fused multiply-adds, within AVX-512's 32 registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows8(ref float w, int rows, int cols, ref float x, int xs, ref float y, int ys)
    {
        var sums = new SumsBlock();
        ref var block = ref sums[0];
        var r = 0;
        for (; r + 2 <= rows; r += 2)
        {
            ref var wa = ref Unsafe.Add(ref w, r * cols);
            ref var wb = ref Unsafe.Add(ref wa, cols);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
            var k = 0;
            // The same columns of the rows read PairsAhead pairs from now: one line of each per 16 columns.
            var ahead = r + 2 + 2 * PairsAhead <= rows;
            for (; k + 16 <= cols; k += 16)
            {
                if (ahead) Prefetch(ref Unsafe.Add(ref wa, 2 * PairsAhead * cols + k), ref Unsafe.Add(ref wb, 2 * PairsAhead * cols + k));
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
                // Eight more columns (H = 200, ...) in the low half, so the scalar tail is under eight. Written out like
                // the loop above: the JIT keeps the 16 accumulators in registers only as locals of one method.
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
            // The 16 sums, reduced together: at H = 256 one sum at a time cost about as much as the products. Eight
            // rows' sums are added into y at once, transposed (one vector per input row), not one scalar at a time.
            var pair = (r >> 1) & 3;
            Unsafe.Add(ref block, 2 * pair) = Sums(a0, a1, a2, a3, a4, a5, a6, a7);
            Unsafe.Add(ref block, 2 * pair + 1) = Sums(b0, b1, b2, b3, b4, b5, b6, b7);
            if (pair == 3) AddTransposed(ref block, ref y, ys, r - 6);
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
        // Rows of a block of eight left unfinished.
        for (var done = r & ~7; done < r; done++) Scatter(ref y, ys, done, Unsafe.Add(ref block, done & 7));
        for (; r < rows; r++)
        {
            for (var i = 0; i < 8; i++) Unsafe.Add(ref y, i * ys + r) += Dot(ref Unsafe.Add(ref w, r * cols), ref Unsafe.Add(ref x, i * xs), cols);
        }
    }

    /// <summary>Eight rows' <see cref="Sums"/>, on the stack.</summary>
    [InlineArray(8)]
    private struct SumsBlock
    {
        private Vector256<float> _first;
    }

    /// <summary>
    /// Adds eight rows' <see cref="Sums"/> (from <paramref name="row"/> on) into y: an 8 x 8 transposition (unpacks,
    /// shuffles, 128-bit permutes) gives each input row's eight outputs as one vector, added in place.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTransposed(ref Vector256<float> block, ref float y, int ys, int row)
    {
        var t0 = Avx.UnpackLow(block, Unsafe.Add(ref block, 1));
        var t1 = Avx.UnpackHigh(block, Unsafe.Add(ref block, 1));
        var t2 = Avx.UnpackLow(Unsafe.Add(ref block, 2), Unsafe.Add(ref block, 3));
        var t3 = Avx.UnpackHigh(Unsafe.Add(ref block, 2), Unsafe.Add(ref block, 3));
        var t4 = Avx.UnpackLow(Unsafe.Add(ref block, 4), Unsafe.Add(ref block, 5));
        var t5 = Avx.UnpackHigh(Unsafe.Add(ref block, 4), Unsafe.Add(ref block, 5));
        var t6 = Avx.UnpackLow(Unsafe.Add(ref block, 6), Unsafe.Add(ref block, 7));
        var t7 = Avx.UnpackHigh(Unsafe.Add(ref block, 6), Unsafe.Add(ref block, 7));
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        // Lane l of a row's sums belongs to input row 2l (l < 4) or 2(l - 4) + 1 (Sums' order).
        AddInto(ref y, 0 * ys + row, Avx.Permute2x128(u0, u4, 0x20));
        AddInto(ref y, 2 * ys + row, Avx.Permute2x128(u1, u5, 0x20));
        AddInto(ref y, 4 * ys + row, Avx.Permute2x128(u2, u6, 0x20));
        AddInto(ref y, 6 * ys + row, Avx.Permute2x128(u3, u7, 0x20));
        AddInto(ref y, 1 * ys + row, Avx.Permute2x128(u0, u4, 0x31));
        AddInto(ref y, 3 * ys + row, Avx.Permute2x128(u1, u5, 0x31));
        AddInto(ref y, 5 * ys + row, Avx.Permute2x128(u2, u6, 0x31));
        AddInto(ref y, 7 * ys + row, Avx.Permute2x128(u3, u7, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddInto(ref float y, int at, Vector256<float> v)
    {
        ref var target = ref Unsafe.Add(ref y, at);
        (Vector256.LoadUnsafe(ref target) + v).StoreUnsafe(ref target);
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

    // One input row (batch 1, the generation step): eight weight rows at a time where rows are whole vectors (eight
    // streams of weights in flight, eight sums reduced together), else four, so that independent sums hide the latency
    // of the multiply-adds while the weights stream in.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows1(ref float w, int rows, int cols, ref float x, ref float y)
    {
        var r = 0;
        if (Vector512.IsHardwareAccelerated && Avx2.IsSupported)
        {
            // Eight rows at a time where the rows are whole vectors: eight streams of weights in flight, and their
            // eight sums reduced together into eight consecutive outputs.
            var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
            if (cols % 16 == 0)
            {
                for (; r + 8 <= rows; r += 8)
                {
                    ref var w0 = ref Unsafe.Add(ref w, r * cols);
                    Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                    for (var k = 0; k < cols; k += 16)
                    {
                        var v = Vector512.LoadUnsafe(ref x, (nuint)k);
                        ref var row = ref Unsafe.Add(ref w0, k);
                        a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row), v, a0);
                        a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)cols), v, a1);
                        a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(2 * cols)), v, a2);
                        a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(3 * cols)), v, a3);
                        a4 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(4 * cols)), v, a4);
                        a5 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(5 * cols)), v, a5);
                        a6 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(6 * cols)), v, a6);
                        a7 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)(7 * cols)), v, a7);
                    }
                    AddInto(ref y, r, Avx2.PermuteVar8x32(Sums(a0, a1, a2, a3, a4, a5, a6, a7), order));
                }
            }
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
    /// Whether <see cref="Pack"/>'s layout serves these sizes: rows in whole blocks of eight and columns in whole
    /// 512-bit vectors (<paramref name="cols2"/> may be 0), on a machine with AVX-512.
    /// </summary>
    public static bool Packs(int rows, int cols1, int cols2)
        => Vector512.IsHardwareAccelerated && Avx2.IsSupported && rows > 0 && rows % 8 == 0 && cols1 > 0 && cols1 % 16 == 0 && cols2 % 16 == 0;

    /// <summary>The floats <see cref="Pack"/> writes.</summary>
    public static int PackedLength(int rows, int cols1, int cols2) => rows * (cols1 + cols2);

    /// <summary>
    /// Lays rows 0 to <paramref name="rows"/> - 1 of W1 (<paramref name="cols1"/> columns) and, when
    /// <paramref name="cols2"/> is not 0, of W2 out in the order <see cref="AccumulatePacked"/> reads them: for each block
    /// of eight rows, W1's columns 16 at a time (the eight rows' 16 floats one after another), then W2's. A one-row
    /// product over row-major weights reads eight rows of each weight side by side, 16 streams a row apart; over this
    /// layout it reads a single stream front to back. Only where <see cref="Packs"/>.
    /// </summary>
    public static void Pack(ReadOnlySpan<float> w1, int cols1, ReadOnlySpan<float> w2, int cols2, int rows, Span<float> into)
    {
        if (!Packs(rows, cols1, cols2) || w1.Length < rows * cols1 || w2.Length < rows * cols2 || into.Length < PackedLength(rows, cols1, cols2))
            throw new ArgumentException("A packed layout's sizes do not fit.");
        var at = 0;
        for (var r = 0; r < rows; r += 8)
        {
            for (var k = 0; k < cols1; k += 16)
                for (var i = 0; i < 8; i++, at += 16) w1.Slice((r + i) * cols1 + k, 16).CopyTo(into.Slice(at, 16));
            for (var k = 0; k < cols2; k += 16)
                for (var i = 0; i < 8; i++, at += 16) w2.Slice((r + i) * cols2 + k, 16).CopyTo(into.Slice(at, 16));
        }
    }

    /// <summary>
    /// <see cref="AccumulateSum"/> for one input row over <see cref="Pack"/>'s layout: y[r] += Σ_k W1[r, k] x1[k] +
    /// Σ_k W2[r, k] x2[k] for r &lt; <paramref name="rows"/>, the weights read as one stream. The same sums in the same
    /// order as the row-major one-row path, so the results are the same bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulatePacked(ReadOnlySpan<float> packed, int cols1, ReadOnlySpan<float> x1, int cols2, ReadOnlySpan<float> x2, int rows,
        Span<float> y)
    {
        if (!Packs(rows, cols1, cols2) || packed.Length < PackedLength(rows, cols1, cols2) || x1.Length < cols1 || x2.Length < cols2 || y.Length < rows)
            throw new ArgumentException("A product's spans are shorter than its sizes.");
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        ref var p = ref MemoryMarshal.GetReference(packed);
        ref var xa = ref MemoryMarshal.GetReference(x1);
        ref var xb = ref MemoryMarshal.GetReference(x2);
        ref var y0 = ref MemoryMarshal.GetReference(y);
        for (var r = 0; r < rows; r += 8)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (var k = 0; k < cols1; k += 16, p = ref Unsafe.Add(ref p, 128))
            {
                var v = Vector512.LoadUnsafe(ref xa, (nuint)k);
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p), v, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 16), v, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 32), v, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 48), v, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 64), v, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 80), v, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 96), v, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 112), v, a7);
            }
            // The second weight's loop is the first written out again, as in Rows8Sum.
            for (var k = 0; k < cols2; k += 16, p = ref Unsafe.Add(ref p, 128))
            {
                var v = Vector512.LoadUnsafe(ref xb, (nuint)k);
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p), v, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 16), v, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 32), v, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 48), v, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 64), v, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 80), v, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 96), v, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref p, 112), v, a7);
            }
            AddInto(ref y0, r, Avx2.PermuteVar8x32(Sums(a0, a1, a2, a3, a4, a5, a6, a7), order));
        }
    }

    /// <summary>
    /// The row length of <see cref="Transpose"/>'s W^T for W of <paramref name="rows"/> rows: 16 floats longer, so that
    /// with power-of-two sizes (1024, 2048 gate rows) consecutive rows do not land in the same cache sets.
    /// </summary>
    public static int TransposedStride(int rows) => rows + 16;

    /// <summary>W^T (cols, rows), its rows <see cref="TransposedStride"/> apart, of a row-major W (rows, cols): the layout <see cref="AccumulateTransposed"/> reads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(ReadOnlySpan<float> w, int rows, int cols, Span<float> t)
    {
        var stride = TransposedStride(rows);
        if (w.Length < rows * cols || t.Length < stride * cols) throw new ArgumentException("A transpose's spans are shorter than its sizes.");
        // Blocks of 16 x 16 keep both sides' lines in the cache.
        ref var source = ref MemoryMarshal.GetReference(w);
        ref var target = ref MemoryMarshal.GetReference(t);
        for (var r0 = 0; r0 < rows; r0 += 16)
        {
            var rEnd = Math.Min(r0 + 16, rows);
            for (var c0 = 0; c0 < cols; c0 += 16)
            {
                var cEnd = Math.Min(c0 + 16, cols);
                for (var r = r0; r < rEnd; r++)
                {
                    ref var row = ref Unsafe.Add(ref source, r * cols);
                    for (var c = c0; c < cEnd; c++) Unsafe.Add(ref target, c * stride + r) = Unsafe.Add(ref row, c);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="Accumulate"/> over W^T (cols, rows) from <see cref="Transpose"/> as well as W: y[m * yStride + r] +=
    /// Σ_k x[m * xStride + k] * W[r, k]. No sums across vector lanes: each input element is broadcast and multiplied
    /// into 64 outputs of four input rows at a time, so a product with few columns (a projected LSTM's 64) costs its
    /// multiply-adds alone; the rows and outputs those blocks leave go through <see cref="Accumulate"/> on W. Worth its
    /// transposition over a sequence, not for one step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateTransposed(ReadOnlySpan<float> w, ReadOnlySpan<float> wt, int rows, int cols, ReadOnlySpan<float> x, int xStride,
        int count, Span<float> y, int yStride)
    {
        if (wt.Length < TransposedStride(rows) * cols || x.Length < (count - 1) * xStride + cols || y.Length < (count - 1) * yStride + rows)
            throw new ArgumentException("A product's spans are shorter than its sizes.");
        if (!Vector512.IsHardwareAccelerated)
        {
            Accumulate(w, rows, cols, x, xStride, count, y, yStride);
            return;
        }
        // Block r's column k at wt[k * stride + r]: each block starts one float further per row.
        ByColumns(w, ref MemoryMarshal.GetReference(wt), 1, TransposedStride(rows), rows, cols, x, xStride, count, y, yStride);
    }

    /// <summary>
    /// W (rows, cols) as column panels: for each block of 64 rows, its 64 outputs of column 0, then of column 1, and so
    /// on (64 x cols floats one after another); rows past the last whole block are left out (the products read them
    /// from W). The layout <see cref="AccumulatePanels"/> reads, each panel one stream.
    /// </summary>
    public static void PackPanels(ReadOnlySpan<float> w, int rows, int cols, Span<float> into)
    {
        var blockRows = rows / 64 * 64;
        if (w.Length < rows * cols || into.Length < blockRows * cols) throw new ArgumentException("A panel layout's sizes do not fit.");
        for (var r0 = 0; r0 < blockRows; r0 += 64)
        {
            var panel = into.Slice(r0 * cols, 64 * cols);
            for (var r = 0; r < 64; r++)
            {
                var row = w.Slice((r0 + r) * cols, cols);
                for (var k = 0; k < cols; k++) panel[k * 64 + r] = row[k];
            }
        }
    }

    /// <summary>
    /// <see cref="AccumulateTransposed"/> over <see cref="PackPanels"/>' layout: y[m * yStride + r] += Σ_k x[m * xStride + k]
    /// * W[r, k], each input element broadcast into a panel's 64 outputs for four input rows at a time; the rows and
    /// inputs the blocks leave go through <see cref="Accumulate"/> on <paramref name="w"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulatePanels(ReadOnlySpan<float> w, ReadOnlySpan<float> panels, int rows, int cols, ReadOnlySpan<float> x, int xStride,
        int count, Span<float> y, int yStride)
    {
        if (count <= 0 || rows <= 0) return;
        var blockRows = rows / 64 * 64;
        if (w.Length < rows * cols || panels.Length < blockRows * cols || x.Length < (count - 1) * xStride + cols || y.Length < (count - 1) * yStride + rows)
            throw new ArgumentException("A product's spans are shorter than its sizes.");
        if (!Vector512.IsHardwareAccelerated)
        {
            Accumulate(w, rows, cols, x, xStride, count, y, yStride);
            return;
        }
        // Block r's column k at panels[r * cols + k * 64]: each panel holds its 64 rows' columns one after another.
        ByColumns(w, ref MemoryMarshal.GetReference(panels), cols, 64, rows, cols, x, xStride, count, y, yStride);
    }

    /// <summary>
    /// The blocks of 64 rows of a column layout (<see cref="AccumulateTransposed"/>, <see cref="AccumulatePanels"/>):
    /// block r's values of column k at <paramref name="first"/>[r * <paramref name="blockStep"/> + k *
    /// <paramref name="stride"/>], through <see cref="Columns4x64"/> four input rows at a time; the rows and inputs the
    /// blocks leave go through <see cref="Accumulate"/> on <paramref name="w"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ByColumns(ReadOnlySpan<float> w, ref float first, int blockStep, int stride, int rows, int cols, ReadOnlySpan<float> x,
        int xStride, int count, Span<float> y, int yStride)
    {
        var blockRows = rows / 64 * 64;
        var blockInputs = count / 4 * 4;
        ref var x0 = ref MemoryMarshal.GetReference(x);
        ref var y0 = ref MemoryMarshal.GetReference(y);
        for (var r = 0; r < blockRows; r += 64)
        {
            ref var block = ref Unsafe.Add(ref first, r * blockStep);
            for (var m = 0; m < blockInputs; m += 4)
                Columns4x64(ref block, stride, cols, ref Unsafe.Add(ref x0, m * xStride), xStride, ref Unsafe.Add(ref y0, m * yStride + r), yStride, 0);
        }
        if (blockInputs < count && blockRows > 0)
            Accumulate(w, blockRows, cols, x.Slice(blockInputs * xStride), xStride, count - blockInputs, y.Slice(blockInputs * yStride), yStride);
        if (blockRows < rows) Accumulate(w.Slice(blockRows * cols), rows - blockRows, cols, x, xStride, count, y.Slice(blockRows), yStride);
    }

    /// <summary>
    /// Adds x W into y, W^T's product read from W's own rows: for m &lt; <paramref name="count"/> and p &lt;
    /// <paramref name="cols"/>, y[m * yStride + p] += Σ_k x[m * xStride + k] * w[k * wStride + p], k &lt;
    /// <paramref name="rows"/>. Backpropagation's products (dh = dgates W_hh) without a transposed copy: blocks of four
    /// input rows by 64 outputs as in <see cref="AccumulateTransposed"/>, the rest one input row at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateByRows(ReadOnlySpan<float> w, int wStride, int rows, int cols, ReadOnlySpan<float> x, int xStride, int count,
        Span<float> y, int yStride)
    {
        if (count == 0 || rows == 0) return;
        if (w.Length < (rows - 1) * wStride + cols || x.Length < (count - 1) * xStride + rows || y.Length < (count - 1) * yStride + cols)
            throw new ArgumentException("A product's spans are shorter than its sizes.");
        var blockCols = Vector512.IsHardwareAccelerated ? cols / 64 * 64 : 0;
        var blockInputs = blockCols > 0 ? count / 4 * 4 : 0;
        ref var w0 = ref MemoryMarshal.GetReference(w);
        ref var x0 = ref MemoryMarshal.GetReference(x);
        ref var y0 = ref MemoryMarshal.GetReference(y);
        for (var r = 0; r < blockCols; r += 64)
        {
            for (var m = 0; m < blockInputs; m += 4)
                Columns4x64(ref w0, wStride, rows, ref Unsafe.Add(ref x0, m * xStride), xStride, ref Unsafe.Add(ref y0, m * yStride + r), yStride, r);
        }
        for (var m = 0; m < count; m++)
        {
            // Rows the blocks took need only the columns past them.
            var from = m < blockInputs ? blockCols : 0;
            if (from == cols) continue;
            var into = y.Slice(m * yStride + from, cols - from);
            for (var k = 0; k < rows; k++)
            {
                var factor = x[m * xStride + k];
                if (factor != 0) TensorPrimitives.MultiplyAdd(w.Slice(k * wStride + from, cols - from), factor, into, into);
            }
        }
    }

    // Four input rows by 64 outputs: 16 accumulators; per input column four weight loads, four broadcasts, 16
    // multiply-adds.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns4x64(ref float wt, int stride, int cols, ref float x, int xs, ref float y, int ys, int r)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
        for (var k = 0; k < cols; k++)
        {
            ref var row = ref Unsafe.Add(ref wt, k * stride + r);
            var w0 = Vector512.LoadUnsafe(ref row);
            var w1 = Vector512.LoadUnsafe(ref row, 16);
            var w2 = Vector512.LoadUnsafe(ref row, 32);
            var w3 = Vector512.LoadUnsafe(ref row, 48);
            var v = Vector512.Create(Unsafe.Add(ref x, k));
            a0 = Vector512.FusedMultiplyAdd(w0, v, a0); a1 = Vector512.FusedMultiplyAdd(w1, v, a1);
            a2 = Vector512.FusedMultiplyAdd(w2, v, a2); a3 = Vector512.FusedMultiplyAdd(w3, v, a3);
            v = Vector512.Create(Unsafe.Add(ref x, xs + k));
            b0 = Vector512.FusedMultiplyAdd(w0, v, b0); b1 = Vector512.FusedMultiplyAdd(w1, v, b1);
            b2 = Vector512.FusedMultiplyAdd(w2, v, b2); b3 = Vector512.FusedMultiplyAdd(w3, v, b3);
            v = Vector512.Create(Unsafe.Add(ref x, 2 * xs + k));
            c0 = Vector512.FusedMultiplyAdd(w0, v, c0); c1 = Vector512.FusedMultiplyAdd(w1, v, c1);
            c2 = Vector512.FusedMultiplyAdd(w2, v, c2); c3 = Vector512.FusedMultiplyAdd(w3, v, c3);
            v = Vector512.Create(Unsafe.Add(ref x, 3 * xs + k));
            d0 = Vector512.FusedMultiplyAdd(w0, v, d0); d1 = Vector512.FusedMultiplyAdd(w1, v, d1);
            d2 = Vector512.FusedMultiplyAdd(w2, v, d2); d3 = Vector512.FusedMultiplyAdd(w3, v, d3);
        }
        Store(ref y, a0, a1, a2, a3);
        Store(ref Unsafe.Add(ref y, ys), b0, b1, b2, b3);
        Store(ref Unsafe.Add(ref y, 2 * ys), c0, c1, c2, c3);
        Store(ref Unsafe.Add(ref y, 3 * ys), d0, d1, d2, d3);
    }

    /// <summary>Adds four vectors into 64 consecutive outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float y, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        (Vector512.LoadUnsafe(ref y) + v0).StoreUnsafe(ref y);
        (Vector512.LoadUnsafe(ref y, 16) + v1).StoreUnsafe(ref y, 16);
        (Vector512.LoadUnsafe(ref y, 32) + v2).StoreUnsafe(ref y, 32);
        (Vector512.LoadUnsafe(ref y, 48) + v3).StoreUnsafe(ref y, 48);
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

    /// <summary>
    /// How far ahead <see cref="Rows8"/> prefetches: the row pair after next. Weights larger than the caches (a 2-layer
    /// LSTM(512): 16 MiB) are otherwise read at the pace of demand misses (one pair ahead measured about the same).
    /// One-row products (batch 1) are not prefetched: four rows ahead and eight both made them slower (0.96 to 1.7 of
    /// ONNX Runtime's time); they read eight rows at once instead.
    /// </summary>
    private const int PairsAhead = 2;

    /// <summary>Hints the lines at <paramref name="a"/> and <paramref name="b"/> into all cache levels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ref float a, ref float b)
    {
        Sse.Prefetch0(Unsafe.AsPointer(ref a));
        Sse.Prefetch0(Unsafe.AsPointer(ref b));
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
