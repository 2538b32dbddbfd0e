using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics;
using NUnit.Framework;
using TorchRnn.Engines;

namespace TorchRnn.Tests.Engines;

/// <summary>
/// The fused cells' float32 σ and tanh (<see cref="Activations"/>) against float64's over their whole range: within
/// 2.5 float32 rounding steps of the exact value (or 1e-38 of it, where the value is that small), NaN for NaN.
/// </summary>
public class ActivationsTests
{
    private static IEnumerable<float> Inputs()
    {
        // Every 1/1024 over [-100, 100]; powers of two down to denormals; the edges the code turns on; the infinities.
        for (var i = -102400; i <= 102400; i++) yield return i / 1024f;
        for (var e = -149; e <= 127; e++)
        {
            yield return MathF.ScaleB(1f, e);
            yield return -MathF.ScaleB(1f, e);
            yield return MathF.ScaleB(1.2345678f, e);
            yield return -MathF.ScaleB(1.2345678f, e);
        }
        foreach (var edge in new[] { 0.55f, 0.275f, 87.3f, 88f, 43.65f, 44f, float.MaxValue, float.Epsilon, 0f })
        {
            foreach (var x in new[] { edge, MathF.BitDecrement(edge), MathF.BitIncrement(edge) })
            {
                yield return x;
                yield return -x;
            }
        }
        yield return float.PositiveInfinity;
        yield return float.NegativeInfinity;
    }

    private static IEnumerable<TestCaseData> Functions()
    {
        yield return new TestCaseData("sigmoid", (Func<Vector512<float>, Vector512<float>>)Activations.Sigmoid, (Func<double, double>)(x => 1 / (1 + Math.Exp(-x))));
        yield return new TestCaseData("tanh", (Func<Vector512<float>, Vector512<float>>)Activations.Tanh, (Func<double, double>)Math.Tanh);
    }

    [TestCaseSource(nameof(Functions))]
    public void Activation_WholeFloat32Range_WithinTwoAndAHalfRoundingStepsOfFloat64(string name, Func<Vector512<float>, Vector512<float>> function,
        Func<double, double> exact)
    {
        Assume.That(Activations.IsSupported, "AVX-512 only");
        var inputs = Inputs().ToArray();
        var worst = (x: 0f, got: 0f, want: 0.0, steps: 0.0);
        for (var start = 0; start < inputs.Length; start += 16)
        {
            var block = new float[16];
            Array.Copy(inputs, start, block, 0, Math.Min(16, inputs.Length - start));
            var results = function(Vector512.Create(block));
            for (var i = 0; i < 16 && start + i < inputs.Length; i++)
            {
                var want = exact(block[i]);
                var got = results[i];
                var step = Math.Max(MathF.BitIncrement(MathF.Abs((float)want)) - MathF.Abs((float)want), 1e-38);
                var steps = Math.Abs(got - want) / step;
                if (steps > worst.steps) worst = (block[i], got, want, steps);
            }
        }
        Assert.That(worst.steps, Is.LessThanOrEqualTo(2.5), $"{name}({worst.x:R}) = {worst.got:R}, float64 gives {worst.want:R}");
    }

    [TestCaseSource(nameof(Functions))]
    public void Activation_NaN_GivesNaN(string name, Func<Vector512<float>, Vector512<float>> function, Func<double, double> exact)
    {
        Assume.That(Activations.IsSupported, "AVX-512 only");
        Assert.That(float.IsNaN(function(Vector512.Create(float.NaN))[0]), Is.True, name);
        Assert.That(exact(double.NaN), Is.NaN, "the reference agrees");
    }
}
