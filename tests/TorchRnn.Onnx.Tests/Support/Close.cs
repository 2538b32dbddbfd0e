using System.Linq;
using NUnit.Framework;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests.Support;

/// <summary>Shape and value agreement between ONNX Runtime's result and TorchRnn's.</summary>
public static class Close
{
    /// <summary>The largest difference float32 may show (the issue's bar), and float64's.</summary>
    public static double Tolerance(ScalarType dtype) => dtype == ScalarType.Float64 ? 1e-12 : 1e-5;

    public static void Assert(Tensor actual, Tensor expected, string what)
    {
        NUnit.Framework.Assert.That(actual.shape, Is.EqualTo(expected.shape), $"{what}: shape");
        NUnit.Framework.Assert.That(actual.dtype, Is.EqualTo(expected.dtype), $"{what}: dtype");
        if (!expected.is_floating_point())
        {
            // Indices and masks: equal, element for element.
            NUnit.Framework.Assert.That(actual.eq(expected).all().item<bool>(), Is.True, $"{what}: values differ");
            return;
        }
        var largest = expected.numel() == 0 ? 0.0 : (actual - expected).abs().max().to(ScalarType.Float64).item<double>();
        NUnit.Framework.Assert.That(largest, Is.LessThanOrEqualTo(Tolerance(expected.dtype)),
            $"{what}: largest difference {largest:E2} (shape [{string.Join(", ", expected.shape.Select(s => s.ToString()))}])");
    }
}
