using System;
using System.Runtime.InteropServices;

namespace TorchRnn.Benchmarks;

/// <summary>
/// The calling thread's CPU time (Linux's CLOCK_THREAD_CPUTIME_ID): with one intra-op thread all of a call's work runs
/// on the caller, so this counts the work alone, not the time spent waiting for a core on a busy machine.
/// </summary>
public static class ThreadClock
{
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    /// <summary>Seconds of CPU time this thread has used, or NaN where the clock is not available.</summary>
    public static double Seconds()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        return ClockGetTime(ClockThreadCpuTime, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : double.NaN;
    }
}
