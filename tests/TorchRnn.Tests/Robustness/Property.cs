using System;
using System.Linq;
using TorchRnn.Tests.Support;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Robustness;

/// <summary>A property that does not hold for a drawn case.</summary>
public sealed class PropertyException(string message) : Exception(message);

/// <summary>
/// Checks inside CsCheck properties. They throw a plain exception rather than using NUnit's Assert, which records
/// every failure in the test result even when CsCheck catches it while shrinking to the smallest failing case.
/// </summary>
public static class Property
{
    public static void Require(bool condition, string what)
    {
        if (!condition) throw new PropertyException(what);
    }

    /// <summary>Same shape, and values within |a - e| &lt;= tolerance * (1 + |e|); NaN matches NaN, infinities match exactly.</summary>
    public static void Close(Tensor actual, Tensor expected, double tolerance, string what)
    {
        Require(actual.shape.SequenceEqual(expected.shape),
            $"{what}: shape ({string.Join(", ", actual.shape)}), expected ({string.Join(", ", expected.shape)})");
        var a = Expect.Values(actual);
        var e = Expect.Values(expected);
        for (var i = 0; i < a.Length; i++)
        {
            var same = double.IsNaN(e[i]) ? double.IsNaN(a[i])
                : double.IsInfinity(e[i]) ? a[i] == e[i]
                : Math.Abs(a[i] - e[i]) <= tolerance * (1 + Math.Abs(e[i]));
            Require(same, $"{what}: element {i} is {a[i]:R}, expected {e[i]:R}");
        }
    }
}
