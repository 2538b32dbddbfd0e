using System;
using System.IO;
using System.Text;

namespace TorchRnn.Benchmarks;

/// <summary>Where each runner's Markdown report goes: printed, and written to <c>{outDir}/{name}</c>.</summary>
public static class ReportFile
{
    /// <summary>Prints <paramref name="report"/> and writes it to <paramref name="outDir"/>/<paramref name="name"/>.</summary>
    /// <returns>0, the runner's exit code.</returns>
    public static int Write(string outDir, string name, StringBuilder report)
    {
        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, name);
        File.WriteAllText(path, report.ToString());
        Console.WriteLine(report);
        Console.WriteLine($"Written to {path}.");
        return 0;
    }
}
