using System;
using System.Globalization;
using System.Text;
using TorchSharp;

namespace TorchRnn;

/// <summary>How Python writes the small values that appear in PyTorch's messages and reprs.</summary>
internal static class PyText
{
    /// <summary>Python's <c>repr(float)</c>: shortest round-trip digits, <c>1.0</c>, <c>0.25</c>, <c>1e-05</c>, <c>inf</c>.</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";

        // Python picks the layout of the shortest round-trip digits by their decimal exponent.
        var negative = value < 0;
        var digits = ShortestDigits(Math.Abs(value), out var exponent);
        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (exponent < -4 || exponent >= 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(exponent < 0 ? '-' : '+').Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (exponent < 0)
        {
            sb.Append("0.").Append('0', -exponent - 1).Append(digits);
        }
        else if (digits.Length <= exponent + 1)
        {
            sb.Append(digits).Append('0', exponent + 1 - digits.Length).Append(".0");
        }
        else
        {
            sb.Append(digits, 0, exponent + 1).Append('.').Append(digits, exponent + 1, digits.Length - exponent - 1);
        }
        return sb.ToString();
    }

    /// <summary>The shortest decimal digits that round-trip <paramref name="value"/> (&gt; 0), and its decimal exponent.</summary>
    private static string ShortestDigits(double value, out int exponent)
    {
        // .NET Core's "R" is the shortest round-trip form; normalise it to digits and exponent.
        var r = value.ToString("R", CultureInfo.InvariantCulture);
        var mantissa = r;
        var exp = 0;
        var e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            mantissa = r[..e];
            exp = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        }
        var dot = mantissa.IndexOf('.');
        var intPart = dot < 0 ? mantissa : mantissa[..dot];
        var fracPart = dot < 0 ? "" : mantissa[(dot + 1)..];
        var all = (intPart + fracPart).TrimStart('0');
        var leadingZerosRemoved = (intPart + fracPart).Length - all.Length;
        exponent = exp + intPart.Length - 1 - leadingZerosRemoved;
        all = all.TrimEnd('0');
        return all.Length == 0 ? "0" : all;
    }

    /// <summary>Python's <c>repr(bool)</c>.</summary>
    public static string Bool(bool value) => value ? "True" : "False";

    /// <summary>A shape as Python prints a tuple: <c>(2, 3, 6)</c>, <c>(6,)</c>.</summary>
    public static string Tuple(ReadOnlySpan<long> shape)
        => shape.Length == 1 ? $"({shape[0]},)" : "(" + Join(shape) + ")";

    /// <summary>A shape as Python prints a list: <c>[1, 3, 6]</c>.</summary>
    public static string List(ReadOnlySpan<long> shape) => "[" + Join(shape) + "]";

    private static string Join(ReadOnlySpan<long> values)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(values[i].ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>PyTorch's Python name of a dtype: <c>torch.float32</c>.</summary>
    public static string DType(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Byte => "torch.uint8",
        torch.ScalarType.Int8 => "torch.int8",
        torch.ScalarType.Int16 => "torch.int16",
        torch.ScalarType.Int32 => "torch.int32",
        torch.ScalarType.Int64 => "torch.int64",
        torch.ScalarType.Float16 => "torch.float16",
        torch.ScalarType.Float32 => "torch.float32",
        torch.ScalarType.Float64 => "torch.float64",
        torch.ScalarType.ComplexFloat32 => "torch.complex64",
        torch.ScalarType.ComplexFloat64 => "torch.complex128",
        torch.ScalarType.Bool => "torch.bool",
        torch.ScalarType.BFloat16 => "torch.bfloat16",
        _ => "torch." + dtype.ToString().ToLowerInvariant(),
    };

    /// <summary>ATen's C++ name of a dtype, as native messages print it: <c>Float</c>, <c>Double</c>.</summary>
    public static string NativeDType(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Byte => "Byte",
        torch.ScalarType.Int8 => "Char",
        torch.ScalarType.Int16 => "Short",
        torch.ScalarType.Int32 => "Int",
        torch.ScalarType.Int64 => "Long",
        torch.ScalarType.Float16 => "Half",
        torch.ScalarType.Float32 => "Float",
        torch.ScalarType.Float64 => "Double",
        torch.ScalarType.ComplexFloat32 => "ComplexFloat",
        torch.ScalarType.ComplexFloat64 => "ComplexDouble",
        torch.ScalarType.Bool => "Bool",
        torch.ScalarType.BFloat16 => "BFloat16",
        _ => dtype.ToString(),
    };

    /// <summary>A device as PyTorch prints it: <c>cpu</c>, <c>cuda:0</c>.</summary>
    public static string Device(DeviceType type, int index)
    {
        var name = type.ToString().ToLowerInvariant();
        return index >= 0 ? $"{name}:{index}" : name;
    }
}
