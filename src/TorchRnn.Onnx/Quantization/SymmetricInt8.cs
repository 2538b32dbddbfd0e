using System;
using System.Diagnostics;

namespace TorchRnn.Onnx.Quantization;

/// <summary>
/// Symmetric int8 quantisation of a weight matrix, one scale per output channel (row) or one for the whole matrix:
/// <c>scale = max|w| / q_max</c>, <c>q = clamp(round(w / scale), -q_max, q_max)</c>, zero point 0, so
/// <c>|q * scale - w| &lt;= scale / 2</c> for every weight. <c>q_max</c> is 127, or 64 with <c>reduce_range</c>
/// (7 bits, ONNX Runtime's choice for CPUs whose int8 product without VNNI saturates 16-bit sums of two products).
/// </summary>
internal static class SymmetricInt8
{
    /// <summary>The largest quantised magnitude: 127, or 64 with reduce_range.</summary>
    public static int QMax(bool reduceRange) => reduceRange ? 64 : 127;

    /// <summary>Quantises a row-major (rows, cols) matrix, one scale per row when <paramref name="perChannel"/>.</summary>
    /// <param name="weights">(rows, cols), row-major.</param>
    /// <param name="rows">The output channels.</param>
    /// <param name="perChannel">One scale per row; otherwise one for all.</param>
    /// <param name="reduceRange">7-bit range (±64).</param>
    /// <returns>The int8 values, row-major, and the scales (rows, or 1). A row of zeros gets scale 1 (any scale
    /// represents it exactly).</returns>
    public static (sbyte[] Values, float[] Scales) Quantize(ReadOnlySpan<float> weights, int rows, bool perChannel, bool reduceRange)
    {
        Debug.Assert(rows > 0 && weights.Length % rows == 0);
        var cols = weights.Length / rows;
        var qmax = QMax(reduceRange);
        var scales = new float[perChannel ? rows : 1];
        for (var r = 0; r < rows; r++)
        {
            var slot = perChannel ? r : 0;
            foreach (var w in weights.Slice(r * cols, cols)) scales[slot] = Math.Max(scales[slot], Math.Abs(w));
        }
        for (var i = 0; i < scales.Length; i++) scales[i] = scales[i] > 0 ? scales[i] / qmax : 1f;

        var values = new sbyte[weights.Length];
        for (var r = 0; r < rows; r++)
        {
            var scale = scales[perChannel ? r : 0];
            for (var c = 0; c < cols; c++)
            {
                var q = Math.Round(weights[r * cols + c] / (double)scale, MidpointRounding.ToEven);
                values[r * cols + c] = (sbyte)Math.Clamp(q, -qmax, qmax);
            }
        }
        return (values, scales);
    }

    /// <summary>A row-major (rows, cols) matrix transposed to (cols, rows).</summary>
    public static T[] Transpose<T>(ReadOnlySpan<T> values, int rows)
    {
        var cols = values.Length / rows;
        var result = new T[values.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
                result[c * rows + r] = values[r * cols + c];
        return result;
    }
}
