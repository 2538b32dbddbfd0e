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

    /// <summary>
    /// <paramref name="a"/> against <paramref name="b"/> in alternating blocks: both warmed up, a block sized to at least
    /// 20 ms of each side, the faster included (so the timer's resolution and one-off stalls do not matter), then
    /// <paramref name="rounds"/> rounds of one block each, their order alternating.
    /// </summary>
    /// <param name="a">The baseline.</param>
    /// <param name="b">The candidate.</param>
    /// <param name="rounds">How many rounds.</param>
    /// <param name="pauseSeconds">A pause before each timed block: two thread pools in one process (LibTorch's OpenMP
    /// threads, ONNX Runtime's) spin a while after their last call, and would otherwise take cores from the next block.</param>
    /// <returns>Calls per block, each round's block times, and the rounds' ratios b / a, sorted.</returns>
    public static (int Calls, double[] ATimes, double[] BTimes, double[] Ratios) Paired(System.Action a, System.Action b, int rounds,
        double pauseSeconds = 0)
    {
        for (var i = 0; i < 5; i++)
        {
            a();
            b();
        }
        var calls = 1;
        while (System.Math.Min(Time(a, calls), Time(b, calls)) < 0.020 && calls < 1 << 20) calls *= 2;
        var ratios = new double[rounds];
        var aTimes = new double[rounds];
        var bTimes = new double[rounds];
        double Block(System.Action action)
        {
            if (pauseSeconds > 0) System.Threading.Thread.Sleep(System.TimeSpan.FromSeconds(pauseSeconds));
            return Time(action, calls);
        }
        for (var r = 0; r < rounds; r++)
        {
            if (r % 2 == 0)
            {
                aTimes[r] = Block(a);
                bTimes[r] = Block(b);
            }
            else
            {
                bTimes[r] = Block(b);
                aTimes[r] = Block(a);
            }
            ratios[r] = bTimes[r] / aTimes[r];
        }
        System.Array.Sort(ratios);
        return (calls, aTimes, bTimes, ratios);
    }

    public static string Format(double seconds) => seconds switch
    {
        < 1e-3 => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e6:F1} µs"),
        < 1 => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e3:F2} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds:F2} s"),
    };
}
