using System;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace TorchRnn.Printing;

/// <summary>
/// Python's float formats (<c>'{:.Nf}'</c>, <c>'{:.Ne}'</c> and <c>repr(float)</c>) for a <see cref="double"/>.
/// </summary>
/// <remarks>
/// Python rounds the exact binary value of the double half to even at the requested digit, so
/// <c>'{:.2f}'.format(0.125)</c> is <c>0.12</c> while <c>'{:.2f}'.format(0.375)</c> is <c>0.38</c>.
/// The fixed and scientific formats here work on that exact value with <see cref="BigInteger"/>
/// arithmetic instead of relying on .NET's numeric format strings. NaN prints as <c>nan</c> whatever its
/// sign bit, infinities as <c>inf</c> and <c>-inf</c>, and a negative value (negative zero included) keeps its
/// minus sign even when it rounds to zero (<c>-0.0000</c>), as in Python.
/// </remarks>
internal static class PythonFloat
{
    /// <summary>Python's <c>'{:.{digits}f}'.format(value)</c>.</summary>
    public static string Fixed(double value, int digits)
    {
        if (NonFinite(value) is { } special)
        {
            return special;
        }
        var (numerator, denominator) = ExactRatio(value);
        var scaled = RoundHalfEven(numerator * BigInteger.Pow(10, digits), denominator);
        var text = scaled.ToString(CultureInfo.InvariantCulture).PadLeft(digits + 1, '0');
        if (digits > 0)
        {
            text = text.Substring(0, text.Length - digits) + "." + text.Substring(text.Length - digits);
        }
        return Sign(value) + text;
    }

    /// <summary>Python's <c>'{:.{digits}e}'.format(value)</c>: at least two exponent digits, e.g. <c>1.5000e-05</c>.</summary>
    public static string Scientific(double value, int digits)
    {
        if (NonFinite(value) is { } special)
        {
            return special;
        }
        var (numerator, denominator) = ExactRatio(value);
        var exponent = 0;
        BigInteger significand = 0;
        if (!numerator.IsZero)
        {
            // Find the exponent with 10^digits <= |value| * 10^(digits - exponent) < 10^(digits + 1), exactly.
            exponent = (int)Math.Floor(Math.Log10(Math.Abs(value)));
            var lower = BigInteger.Pow(10, digits);
            var upper = lower * 10;
            while (true)
            {
                var (n, d) = Shift(numerator, denominator, digits - exponent);
                var whole = BigInteger.Divide(n, d);
                if (whole < lower)
                {
                    exponent--;
                }
                else if (whole >= upper)
                {
                    exponent++;
                }
                else
                {
                    significand = RoundHalfEven(n, d);
                    break;
                }
            }
            if (significand == upper)
            {
                significand = lower;
                exponent++;
            }
        }
        var text = significand.ToString(CultureInfo.InvariantCulture).PadLeft(digits + 1, '0');
        var mantissa = digits > 0 ? text.Substring(0, 1) + "." + text.Substring(1) : text;
        return Sign(value) + mantissa + "e" + Exponent(exponent);
    }

    /// <summary>Python's <c>repr(value)</c>: the shortest string that reads back as the same double.</summary>
    /// <remarks>
    /// Python writes <c>d.ddde±XX</c> when the decimal point would sit more than 16 places right of the first
    /// digit or 4 or more places left of it (<c>1e+16</c>, <c>1e-05</c>), else positional notation that always
    /// has a fractional part (<c>1.0</c>, <c>0.0001</c>, <c>1000000000000000.0</c>).
    /// </remarks>
    public static string Repr(double value)
    {
        if (NonFinite(value) is { } special)
        {
            return special;
        }
        var (digits, point) = ShortestDigits(Math.Abs(value));
        var builder = new StringBuilder(Sign(value));
        if (point <= -4 || point > 16)
        {
            builder.Append(digits[0]);
            if (digits.Length > 1)
            {
                builder.Append('.').Append(digits, 1, digits.Length - 1);
            }
            builder.Append('e').Append(Exponent(point - 1));
        }
        else if (point <= 0)
        {
            builder.Append("0.").Append('0', -point).Append(digits);
        }
        else if (point >= digits.Length)
        {
            builder.Append(digits).Append('0', point - digits.Length).Append(".0");
        }
        else
        {
            builder.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
        }
        return builder.ToString();
    }

    private static string? NonFinite(double value) =>
        double.IsNaN(value) ? "nan" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf" : null;

    private static string Sign(double value) => double.IsNegative(value) ? "-" : "";

    private static string Exponent(int exponent) =>
        (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);

    /// <summary>|value| as numerator / denominator, both exact (the denominator a power of two).</summary>
    private static (BigInteger Numerator, BigInteger Denominator) ExactRatio(double value)
    {
        var bits = BitConverter.DoubleToInt64Bits(value);
        var biasedExponent = (int)((bits >> 52) & 0x7FF);
        var fraction = bits & ((1L << 52) - 1);
        var mantissa = biasedExponent == 0 ? fraction : fraction | (1L << 52);
        var exponent = biasedExponent == 0 ? -1074 : biasedExponent - 1075;
        return exponent >= 0
            ? (new BigInteger(mantissa) << exponent, BigInteger.One)
            : (new BigInteger(mantissa), BigInteger.One << -exponent);
    }

    /// <summary>The ratio multiplied by 10^power (power may be negative).</summary>
    private static (BigInteger Numerator, BigInteger Denominator) Shift(BigInteger numerator, BigInteger denominator, int power) =>
        power >= 0 ? (numerator * BigInteger.Pow(10, power), denominator) : (numerator, denominator * BigInteger.Pow(10, -power));

    private static BigInteger RoundHalfEven(BigInteger numerator, BigInteger denominator)
    {
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = remainder * 2;
        if (twice > denominator || (twice == denominator && !quotient.IsEven))
        {
            quotient += 1;
        }
        return quotient;
    }

    /// <summary>
    /// The shortest round-trip digits of a positive finite double (as .NET's "R" format finds them, which is
    /// the same shortest, nearest string Python's repr uses) and the decimal point's position: value = 0.digits × 10^point.
    /// </summary>
    private static (string Digits, int Point) ShortestDigits(double magnitude)
    {
        if (magnitude == 0)
        {
            return ("0", 1);
        }
        var text = magnitude.ToString("R", CultureInfo.InvariantCulture);
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text.Substring(0, e);
        }
        var dot = text.IndexOf('.');
        var integerPart = dot >= 0 ? text.Substring(0, dot) : text;
        var fractionPart = dot >= 0 ? text.Substring(dot + 1) : "";
        var all = integerPart + fractionPart;
        var point = integerPart.Length + exponent;
        var leading = all.Length - all.TrimStart('0').Length;
        all = all.Substring(leading).TrimEnd('0');
        return (all, point - leading);
    }
}
