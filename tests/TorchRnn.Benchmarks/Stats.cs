using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace TorchRnn.Benchmarks;

/// <summary>Medians, quartiles and time formatting for the paired runners.</summary>
public static class Stats
{
    public static double Median(IEnumerable<double> values) => Quantile(values.OrderBy(v => v).ToArray(), 0.5);

    /// <summary>The first quartile, median and third quartile.</summary>
    public static (double Q1, double Median, double Q3) Quantiles(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return (Quantile(sorted, 0.25), Quantile(sorted, 0.5), Quantile(sorted, 0.75));
    }

    /// <summary>Linear interpolation between the closest ranks of an ascending array.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        var at = q * (sorted.Length - 1);
        var low = (int)System.Math.Floor(at);
        var high = System.Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
    }

    /// <summary>The wall-clock seconds <paramref name="calls"/> calls of <paramref name="action"/> take.</summary>
    public static double Time(System.Action action, int calls)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < calls; i++) action();
        return watch.Elapsed.TotalSeconds;
    }

    public static string Format(double seconds) => seconds switch
    {
        < 1e-3 => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e6:F1} µs"),
        < 1 => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e3:F2} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds:F2} s"),
    };
}
