using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading;
using TorchRnn.Engines;

namespace TorchRnn.Benchmarks;

/// <summary>
/// The floor of a step: how long reading its weights once takes from the cache level they fit in, as a step loop reads
/// them call after call. A pinned float array of exactly the weights' bytes, placed as TorchRnn places large weights
/// (from a 2 MiB boundary on huge pages where <see cref="LargePages"/> can, else from a 64-byte boundary as LibTorch's
/// and ONNX Runtime's buffers start), is summed front to back over and over with the widest vectors the machine has
/// (Vector512 with AVX-512, else Vector256) into eight independent accumulators, so the adds never wait on each other
/// and the loads are the limit; with t threads each sums its own contiguous 1/t at the same time, as a step's threads
/// split the weight rows. (Vector256 loads from small pages, the probe's first form, read LSTM(512)'s 16 MiB about a
/// third slower than the fused step's packed weights did: not a floor.)
/// </summary>
internal sealed class ReadFloor
{
    private const int Alignment = 64;
    private const int FloatsPerLine = Alignment / sizeof(float);

    private readonly float[] _array;
    private readonly int _offset;
    private readonly int _length;

    // Where the sums go, so that the JIT cannot drop the reads.
    private static float s_sink;

    /// <param name="bytes">The buffer's size: a step's weight bytes.</param>
    public ReadFloor(long bytes)
    {
        _length = checked((int)(bytes / sizeof(float)));
        if (LargePages.Allocate<float>(_length) is { } placed)
        {
            (_array, _offset) = (placed.block, (int)placed.offset);
            HugePages = true;
        }
        else
        {
            _array = GC.AllocateArray<float>(_length + FloatsPerLine, pinned: true);
            var address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
            _offset = (int)((Alignment - address % Alignment) % Alignment / sizeof(float));
        }
        // Touched before timing, so the first read does not pay for page faults.
        _array.AsSpan(_offset, _length).Fill(1e-3f);
        if (HugePages) LargePages.Collapse(_array, _offset, _length);
    }

    /// <summary>Whether the buffer is on huge pages.</summary>
    public bool HugePages { get; }

    /// <summary>
    /// The median over <paramref name="blocks"/> blocks, each at least 20 ms of reads after one to warm the cache, of
    /// the time <paramref name="threads"/> threads take to read the buffer once.
    /// </summary>
    public double SecondsPerRead(int threads, int blocks)
    {
        // Split at cache lines, as rows of a weight are.
        var lines = _length / FloatsPerLine;
        var bounds = Enumerable.Range(0, threads + 1).Select(t => t == threads ? _length : lines * t / threads * FloatsPerLine).ToArray();
        var parts = Enumerable.Range(0, threads).Select(t => (Start: bounds[t], Length: bounds[t + 1] - bounds[t])).ToArray();
        Block(parts, 1);
        var reps = 1;
        while (Block(parts, reps) < 0.020 && reps < 1 << 24) reps *= 2;
        return Stats.Median(Enumerable.Range(0, blocks).Select(_ => Block(parts, reps) / reps));
    }

    /// <summary>Wall-clock seconds for every part to be read <paramref name="reps"/> times, each by its own thread.</summary>
    private double Block((int Start, int Length)[] parts, int reps)
    {
        using var start = new Barrier(parts.Length);
        var others = parts.Skip(1).Select(part => new Thread(() =>
        {
            start.SignalAndWait();
            Read(part, reps);
        })).ToArray();
        foreach (var thread in others) thread.Start();
        start.SignalAndWait();
        var watch = Stopwatch.StartNew();
        Read(parts[0], reps);
        foreach (var thread in others) thread.Join();
        return watch.Elapsed.TotalSeconds;
    }

    private void Read((int Start, int Length) part, int reps)
    {
        ReadOnlySpan<float> data = _array.AsSpan(_offset + part.Start, part.Length);
        var sum = 0f;
        for (var r = 0; r < reps; r++) sum += Sum(data);
        s_sink = sum;
    }

    private static float Sum(ReadOnlySpan<float> data) => Vector512.IsHardwareAccelerated ? Sum512(data) : Sum256(data);

    // The same loop in each width (the generic vector interface is not public in .NET 10).
    private static float Sum512(ReadOnlySpan<float> data)
    {
        ref var first = ref MemoryMarshal.GetReference(data);
        var width = Vector512<float>.Count;
        var s0 = Vector512<float>.Zero;
        var (s1, s2, s3, s4, s5, s6, s7) = (s0, s0, s0, s0, s0, s0, s0);
        var i = 0;
        for (; i <= data.Length - 8 * width; i += 8 * width)
        {
            s0 += Vector512.LoadUnsafe(ref first, (nuint)i);
            s1 += Vector512.LoadUnsafe(ref first, (nuint)(i + width));
            s2 += Vector512.LoadUnsafe(ref first, (nuint)(i + 2 * width));
            s3 += Vector512.LoadUnsafe(ref first, (nuint)(i + 3 * width));
            s4 += Vector512.LoadUnsafe(ref first, (nuint)(i + 4 * width));
            s5 += Vector512.LoadUnsafe(ref first, (nuint)(i + 5 * width));
            s6 += Vector512.LoadUnsafe(ref first, (nuint)(i + 6 * width));
            s7 += Vector512.LoadUnsafe(ref first, (nuint)(i + 7 * width));
        }
        var sum = Vector512.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
        for (; i < data.Length; i++) sum += data[i];
        return sum;
    }

    private static float Sum256(ReadOnlySpan<float> data)
    {
        ref var first = ref MemoryMarshal.GetReference(data);
        var width = Vector256<float>.Count;
        var s0 = Vector256<float>.Zero;
        var (s1, s2, s3, s4, s5, s6, s7) = (s0, s0, s0, s0, s0, s0, s0);
        var i = 0;
        for (; i <= data.Length - 8 * width; i += 8 * width)
        {
            s0 += Vector256.LoadUnsafe(ref first, (nuint)i);
            s1 += Vector256.LoadUnsafe(ref first, (nuint)(i + width));
            s2 += Vector256.LoadUnsafe(ref first, (nuint)(i + 2 * width));
            s3 += Vector256.LoadUnsafe(ref first, (nuint)(i + 3 * width));
            s4 += Vector256.LoadUnsafe(ref first, (nuint)(i + 4 * width));
            s5 += Vector256.LoadUnsafe(ref first, (nuint)(i + 5 * width));
            s6 += Vector256.LoadUnsafe(ref first, (nuint)(i + 6 * width));
            s7 += Vector256.LoadUnsafe(ref first, (nuint)(i + 7 * width));
        }
        var sum = Vector256.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
        for (; i < data.Length; i++) sum += data[i];
        return sum;
    }
}
