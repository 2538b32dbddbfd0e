using System;
using System.Linq;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Support;

public static class Expect
{
    public static double[] Values(Tensor t)
    {
        // TorchSharp's accessor throws on an empty tensor.
        if (t.numel() == 0) return [];
        using var scope = torch.NewDisposeScope();
        return t.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
    }

    /// <summary>Asserts shape and values within |a - e| &lt;= tol * (1 + |e|).</summary>
    public static void Close(Tensor actual, RecordedTensor expected, double tolerance, string what)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.Shape), $"{what}: shape");
        Close(Values(actual), expected.Values, tolerance, what);
    }

    /// <summary>Asserts shape and values within |a - e| &lt;= tol * (1 + |e|) of a reference computed in the test.</summary>
    public static void Close(Tensor actual, Tensor expected, double tolerance, string what)
        => Close(actual, new RecordedTensor(expected.shape, Values(expected)), tolerance, what);

    public static void Close(double[] actual, double[] expected, double tolerance, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{what}: element count");
        var worst = 0.0;
        var at = -1;
        for (var i = 0; i < actual.Length; i++)
        {
            var err = Math.Abs(actual[i] - expected[i]) / (1 + Math.Abs(expected[i]));
            if (!(err <= worst)) { worst = err; at = i; }
        }
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance),
            $"{what}: element {at} is {(at >= 0 ? actual[at] : 0)}, PyTorch has {(at >= 0 ? expected[at] : 0)}");
    }

    /// <summary>Asserts bit-identical values: what seed parity promises.</summary>
    public static void Identical(Tensor actual, RecordedTensor expected, string what)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.Shape), $"{what}: shape");
        var values = Values(actual);
        var want = actual.dtype == ScalarType.Float32 ? expected.Values.Select(v => (double)(float)v).ToArray() : expected.Values;
        Assert.That(values, Is.EqualTo(want), $"{what}: values");
    }
}
