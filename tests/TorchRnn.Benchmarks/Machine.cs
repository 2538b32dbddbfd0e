using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace TorchRnn.Benchmarks;

/// <summary>What the report says about the machine and the software it measured.</summary>
public sealed record Machine(string Cpu, string Cores, string Os, string DotNet, string TorchSharp, string LibTorch, string LoadAtStart)
{
    public static Machine Describe()
    {
        var cpuinfo = ReadLines("/proc/cpuinfo");
        var model = Field(cpuinfo, "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var cores = $"{Environment.ProcessorCount} logical";
        var coresPerSocket = Field(cpuinfo, "cpu cores");
        if (coresPerSocket is not null) cores += $" ({coresPerSocket} cores per socket in /proc/cpuinfo)";
        var flags = Field(cpuinfo, "flags")?.Split(' ') ?? [];
        var simd = string.Join(", ", new[] { "avx2", "fma", "avx512f" }.Where(flags.Contains));
        if (simd.Length > 0) cores += $"; {simd}";

        var os = Field(ReadLines("/etc/os-release"), "PRETTY_NAME", '=')?.Trim('"') ?? RuntimeInformation.OSDescription;
        if (OperatingSystem.IsLinux()) os += $", kernel {Environment.OSVersion.Version}";

        var metadata = typeof(Machine).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value);
        var torchSharp = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? metadata.GetValueOrDefault("TorchSharpVersion") ?? "?";
        return new Machine(model, cores, os, RuntimeInformation.FrameworkDescription, torchSharp,
            metadata.GetValueOrDefault("LibTorchVersion") ?? "?", LoadAverage());
    }

    /// <summary>The 1, 5 and 15 minute load averages, which tell how busy the machine was.</summary>
    public static string LoadAverage() =>
        ReadLines("/proc/loadavg").FirstOrDefault() is { } line ? string.Join(" ", line.Split(' ').Take(3)) : "unknown";

    private static string[] ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string? Field(IEnumerable<string> lines, string name, char separator = ':')
    {
        foreach (var line in lines)
        {
            var at = line.IndexOf(separator);
            if (at > 0 && line[..at].Trim() == name) return line[(at + 1)..].Trim();
        }
        return null;
    }
}
