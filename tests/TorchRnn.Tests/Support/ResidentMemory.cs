using System;
using System.Diagnostics;

namespace TorchRnn.Tests.Support;

/// <summary>The process's resident memory, after a full garbage collection has run every finalizer.</summary>
public static class ResidentMemory
{
    public static long Bytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
