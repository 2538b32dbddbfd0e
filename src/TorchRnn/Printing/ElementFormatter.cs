using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace TorchRnn.Printing;

/// <summary>
/// Turns one tensor element into text, right-aligned to the width every element shares: PyTorch's
/// <c>_Formatter</c>, built from the elements that will be shown (the summarised ones when the tensor is summarised).
/// </summary>
internal sealed class ElementFormatter
{
    /// <summary>PyTorch's default print precision (digits after the point).</summary>
    internal const int Precision = 4;

    private readonly Func<int, string> _text;

    private ElementFormatter(int width, Func<int, string> text)
    {
        Width = width;
        _text = text;
    }

    /// <summary>The width every element is right-aligned to (PyTorch's <c>max_width</c>, at least 1).</summary>
    public int Width { get; }

    /// <summary>Element <paramref name="index"/>, padded on the left to <see cref="Width"/>.</summary>
    public string Format(int index) => _text(index).PadLeft(Width);

    /// <summary>
    /// Floating-point elements (any float dtype, widened exactly to double). Over the nonzero finite values:
    /// if all are integers, <c>'{:.0f}.'</c>; scientific <c>'{:.4e}'</c> when max/min exceeds 1000 or max exceeds
    /// 1e8 (or, when not all are integers, min is below 1e-4); otherwise <c>'{:.4f}'</c>. The width is the
    /// longest of those nonzero finite values only, as in PyTorch, so zeros and nan/inf never widen it.
    /// </summary>
    public static ElementFormatter ForFloats(IReadOnlyList<double> values)
    {
        var shown = values.Where(v => double.IsFinite(v) && v != 0).ToArray();
        if (shown.Length == 0)
        {
            return new ElementFormatter(1, i => IntegerStyle(values[i]));
        }
        var integers = shown.All(v => v == Math.Ceiling(v));
        var max = shown.Max(Math.Abs);
        var min = shown.Min(Math.Abs);
        var scientific = max / min > 1000.0 || max > 1.0e8 || (!integers && min < 1.0e-4);
        Func<int, string> text = scientific
            ? i => PythonFloat.Scientific(values[i], Precision)
            : integers
                ? i => IntegerStyle(values[i])
                : i => PythonFloat.Fixed(values[i], Precision);
        var width = shown.Max(v => scientific
            ? PythonFloat.Scientific(v, Precision).Length
            : integers ? PythonFloat.Fixed(v, 0).Length + 1 : PythonFloat.Fixed(v, Precision).Length);
        return new ElementFormatter(Math.Max(1, width), text);
    }

    /// <summary>Integer elements as Python's <c>str(int)</c>.</summary>
    public static ElementFormatter ForIntegers(IReadOnlyList<long> values) =>
        FromStrings(values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray());

    /// <summary>Boolean elements as Python's <c>True</c> / <c>False</c>.</summary>
    public static ElementFormatter ForBooleans(IReadOnlyList<bool> values) =>
        FromStrings(values.Select(v => v ? "True" : "False").ToArray());

    private static ElementFormatter FromStrings(string[] texts) =>
        new(Math.Max(1, texts.Length == 0 ? 1 : texts.Max(s => s.Length)), i => texts[i]);

    /// <summary><c>'{:.0f}'</c> plus a point that marks a float, except for nan and inf.</summary>
    private static string IntegerStyle(double value) =>
        double.IsFinite(value) ? PythonFloat.Fixed(value, 0) + "." : PythonFloat.Fixed(value, 0);
}
