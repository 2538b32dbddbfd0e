using System;
using System.IO;
using System.Linq;

namespace TorchRnn.Samples;

/// <summary>What a results file says about the machine: fields of /proc/cpuinfo (Linux; "?" elsewhere).</summary>
internal static class MachineInfo
{
    /// <summary>The first value of a /proc/cpuinfo field, such as <c>model name</c>, <c>cpu family</c> or <c>flags</c>.</summary>
    public static string Cpu(string field) => File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
        : "?";
}
