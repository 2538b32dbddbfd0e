using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace TorchRnn.Diagnostics;

/// <summary>What the kernel check's warnings and the self-check say about the machine: the CPU and LibTorch's build.</summary>
internal static class Machine
{
    private static readonly Lazy<string> CpuText = new(DescribeCpu);
    private static readonly Lazy<string?> ConfigText = new(ReadLibTorchConfig);

    /// <summary>The CPU: model name, family and model, and the vector extensions vendor kernels choose by.</summary>
    public static string Cpu => CpuText.Value;

    /// <summary>LibTorch's own <c>at::show_config()</c> (its version, oneDNN's, MKL's, the CPU capability), or null where it cannot be read.</summary>
    public static string? LibTorchConfig => ConfigText.Value;

    private static string DescribeCpu()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                var lines = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).ToList();
                string? Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal) && l[name.Length..].TrimStart().StartsWith(':'))
                    ?.Split(':', 2)[1].Trim();
                var flags = (Field("flags") ?? "").Split(' ');
                string[] wanted = ["avx2", "avx512f", "avx512_bf16", "avx512_vnni", "avx512_vp2intersect", "amx_tile"];
                var extensions = string.Join(" ", wanted.Where(flags.Contains));
                return $"{Field("model name") ?? "unknown CPU"}, family {Field("cpu family") ?? "?"} model {Field("model") ?? "?"}"
                    + (extensions.Length > 0 ? $", {extensions}" : "");
            }
            if (OperatingSystem.IsWindows() && Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") is { } identifier)
                return identifier;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    // at::show_config() returns a std::string (libstdc++'s C++11 ABI: pointer, length, then the small buffer) through a
    // hidden result pointer, the x86-64 System V convention for class results. Read on Linux x64 only, where that
    // layout is certain; the string's heap buffer is left to the process (read once).
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at11show_configB5cxx11Ev")]
    private static extern void ShowConfig(IntPtr result);

    private static string? ReadLibTorchConfig()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        var result = Marshal.AllocHGlobal(64);
        try
        {
            ShowConfig(result);
            var data = Marshal.ReadIntPtr(result);
            var length = Marshal.ReadInt64(result, IntPtr.Size);
            return data == IntPtr.Zero || length is <= 0 or > 1 << 20 ? null : Marshal.PtrToStringUTF8(data, (int)length);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return null;
        }
        finally
        {
            Marshal.FreeHGlobal(result);
        }
    }
}
