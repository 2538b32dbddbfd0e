using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// Puts a module's large CPU parameters on 2 MiB pages (Linux's transparent huge pages), as PyTorch does for every
/// large allocation under <c>THP_MEM_ALLOC_ENABLE=1</c>. A step at a small batch reads all its weights once per call:
/// a 2-layer LSTM(512)'s 16 MiB are 4096 page translations a step on 4 KiB pages, eight on 2 MiB pages (measured with
/// <c>--large-pages</c>, same module on and off in alternation: one step 0.89 to 0.96 of its time on small pages,
/// LSTM(512) and GRU(512) at batch 1 and 8; a sequence's evaluation and training within noise; Zen 5).
/// </summary>
/// <remarks>
/// The parameter keeps its identity (optimisers, native modules and <c>state_dict</c> hold the same tensor): its storage
/// is swapped, under <c>no_grad</c>, for a copy that starts at a 2 MiB boundary of a pinned managed block, advised as
/// huge pages before its first touch (float32 and float64). Elsewhere (not Linux, another device, under 2 MiB, the
/// kernel's huge pages set to <c>never</c>, the advice refused, or <c>TORCHRNN_LARGE_PAGES=0</c> in the environment)
/// the parameter is left as it is: the pages are a speed-up, never a condition.
/// </remarks>
internal static class LargePages
{
    /// <summary>A transparent huge page on x86-64 and on arm64 with 4 KiB base pages.</summary>
    internal const long PageBytes = 2L << 20;

    private const int MadviseHugePage = 14;
    private const int MadviseCollapse = 25;

    /// <summary>Whether parameters are placed at all (read once, at first use); tests and the benchmarks' A/B set it.</summary>
    internal static bool Enabled { get; set; } = Available();

    /// <summary>
    /// Moves <paramref name="p"/>'s values onto huge pages when it is a contiguous CPU tensor of at least one such page.
    /// </summary>
    /// <returns>Whether it was moved: its data then starts at a 2 MiB boundary.</returns>
    public static bool Place(Parameter p)
    {
        if (!Enabled || p.device_type != DeviceType.CPU || !p.is_contiguous()) return false;
        return p.dtype switch
        {
            ScalarType.Float32 => Place<float>(p),
            ScalarType.Float64 => Place<double>(p),
            _ => false,
        };
    }

    private static bool Place<T>(Parameter p) where T : unmanaged
    {
        var count = p.numel();
        if (Aligned(p) || Allocate<T>(count) is not { } placed) return false;
        var (block, offset) = placed;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        // The values' storage starts at the boundary itself (storage offset 0), as any parameter's does, so that every
        // writer of checkpoints sees an ordinary tensor. frombuffer pins the block, and the storage's deleter unpins it
        // when the parameter is freed.
        var target = torch.frombuffer(block, p.dtype, count, offset).view(p.shape);
        target.copy_(p);
        Collapse(block, offset, count);
        p.set_(target);
        return true;
    }

    /// <summary>
    /// A pinned block for <paramref name="count"/> elements of at least one huge page, the first at element
    /// <c>offset</c>, on a 2 MiB boundary; its whole pages advised huge before anything touches them. Null when
    /// placement is off, the values are under a page, or the kernel refuses the advice.
    /// </summary>
    internal static (T[] block, long offset)? Allocate<T>(long count) where T : unmanaged
    {
        var elementBytes = Unsafe.SizeOf<T>();
        var length = count + PageBytes / elementBytes;
        if (!Enabled || count * elementBytes < PageBytes || length > Array.MaxLength) return null;
        // A managed block (LibTorch's allocator cannot be asked for an alignment) with a page of slack: wherever the
        // block starts, a 2 MiB boundary lies within its first page. Not zeroed: its pages are first touched after the advice.
        var block = GC.AllocateUninitializedArray<T>((int)length, pinned: true);
        var address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(block, 0);
        var start = (address + PageBytes - 1) & ~(PageBytes - 1);
        // The whole pages the values fill; a tail under a page stays on small pages (no memory rounded up).
        return Advise(start, Pages(count * elementBytes), MadviseHugePage) ? (block, (start - address) / elementBytes) : null;
    }

    /// <summary>
    /// After <see cref="Allocate{T}"/>'s block is written: memory the GC had used before is on small pages already, so
    /// ask for its pages to be merged now (Linux 6.1 and later; older kernels refuse, and khugepaged may merge them later).
    /// </summary>
    internal static void Collapse<T>(T[] block, long offset, long count) where T : unmanaged
    {
        var start = (long)Marshal.UnsafeAddrOfPinnedArrayElement(block, 0) + offset * Unsafe.SizeOf<T>();
        Advise(start, Pages(count * Unsafe.SizeOf<T>()), MadviseCollapse);
    }

    private static long Pages(long bytes) => bytes / PageBytes * PageBytes;

    /// <summary>Whether <paramref name="t"/>'s data starts at a 2 MiB boundary.</summary>
    internal static bool Aligned(Tensor t) => t.numel() > 0 && (Address(t) & (PageBytes - 1)) == 0;

    private static unsafe long Address(Tensor t) => (long)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    private static bool Advise(long start, long length, int advice)
    {
        try
        {
            return madvise((IntPtr)start, (nuint)length, advice) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Enabled = false;
            return false;
        }
    }

    /// <summary>The environment variable that turns placement off: <c>TORCHRNN_LARGE_PAGES=0</c>.</summary>
    internal const string Setting = "TORCHRNN_LARGE_PAGES";

    /// <summary>
    /// Linux with transparent huge pages set to <c>always</c> or <c>madvise</c> (not <c>never</c>, nor absent), unless
    /// <see cref="Setting"/> says 0 (or false, off, no).
    /// </summary>
    private static bool Available() => !TurnedOff(Environment.GetEnvironmentVariable(Setting)) && OperatingSystem.IsLinux() && KernelOffers();

    /// <summary>Whether the setting's value turns placement off.</summary>
    internal static bool TurnedOff(string? value) =>
        value?.Trim().ToLowerInvariant() is "0" or "false" or "off" or "no";

    private static bool KernelOffers()
    {
        try
        {
            var mode = File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled");
            return mode.Contains("[always]", StringComparison.Ordinal) || mode.Contains("[madvise]", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int madvise(IntPtr address, nuint length, int advice);
}
