using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace TorchRnn.Engines;

/// <summary>
/// A fused step's <see cref="RowProducts.AccumulateSum"/> on two threads when LibTorch is allowed more than one
/// (<c>torch.set_num_threads</c>): the weight rows split in two, the second half on one helper thread. A step at batch 1
/// is bound by reading its weights, and two cores read them about twice as fast as one (ONNX Runtime's step splits the
/// same way). The helper spins for <see cref="SpinMicroseconds"/> after each product, so the next step's handoff costs
/// about a microsecond instead of a thread wake-up, then sleeps; calls from several threads at once take turns, and one
/// that finds the helper busy computes alone. A half the helper has not started by the time the calling thread has
/// done its own, the calling thread takes back (on a shared machine the helper's core may be away for a while).
/// </summary>
internal static unsafe class ProductSplit
{
    /// <summary>Below this many multiply-adds a product is not split: the handoff would cost more than half of it.</summary>
    internal const long SplitFrom = 1L << 17;

    /// <summary>How long the helper waits for the next product, spinning, before it sleeps.</summary>
    private const int SpinMicroseconds = 500;

    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static Thread? _helper;
    private static Job _job;
    private static long _posted, _finished;
    private static int _sleeping;

    /// <summary>Who runs the posted half: 0 nobody yet, 1 the helper, 2 the calling thread.</summary>
    private static int _claim;

    /// <summary>For tests: while set, the helper claims nothing, as when its core is away.</summary>
    internal static volatile bool HoldHelper;

    /// <summary>How many halves calling threads have taken back from the helper.</summary>
    internal static long TakenBack => Interlocked.Read(ref _takenBack);

    private static long _takenBack;
    private static ExceptionDispatchInfo? _failure;

    /// <summary>
    /// A product or a part of it, as pointers: the main thread pins what it passes for as long as the product runs.
    /// <see cref="Packed"/>, when set, holds the weights in <see cref="RowProducts.Pack"/>'s layout (one input row);
    /// <see cref="Panels"/>, when set, W1's column panels (<see cref="RowProducts.PackPanels"/>).
    /// </summary>
    private struct Job
    {
        public float* W1, X1, W2, X2, Y, Packed, Panels;
        public int Cols1, Stride1, Cols2, Stride2, Rows, Count, YStride;

        public readonly void Run()
        {
            if (Panels != null)
            {
                RowProducts.AccumulatePanels(new ReadOnlySpan<float>(W1, Rows * Cols1), new ReadOnlySpan<float>(Panels, Rows / 64 * 64 * Cols1), Rows, Cols1,
                    new ReadOnlySpan<float>(X1, Extent(Count, Stride1, Cols1)), Stride1, Count, new Span<float>(Y, Extent(Count, YStride, Rows)), YStride);
                return;
            }
            if (Packed != null)
            {
                RowProducts.AccumulatePacked(new ReadOnlySpan<float>(Packed, RowProducts.PackedLength(Rows, Cols1, Cols2)), Cols1,
                    new ReadOnlySpan<float>(X1, Cols1), Cols2, new ReadOnlySpan<float>(X2, Cols2), Rows, new Span<float>(Y, Rows));
                return;
            }
            RowProducts.AccumulateSum(new ReadOnlySpan<float>(W1, Rows * Cols1), Cols1, new ReadOnlySpan<float>(X1, Extent(Count, Stride1, Cols1)), Stride1,
                new ReadOnlySpan<float>(W2, Rows * Cols2), Cols2, new ReadOnlySpan<float>(X2, Extent(Count, Stride2, Cols2)), Stride2, Rows, Count,
                new Span<float>(Y, Extent(Count, YStride, Rows)), YStride);
        }

        /// <summary>The rows from <paramref name="from"/> on: the helper's half.</summary>
        public readonly Job From(int from)
        {
            var rest = this;
            rest.Rows -= from;
            rest.Y += from;
            if (Packed != null) rest.Packed += (long)from * (Cols1 + Cols2);
            else
            {
                rest.W1 += (long)from * Cols1;
                rest.W2 += (long)from * Cols2;
            }
            if (Panels != null) rest.Panels += (long)from * Cols1;
            return rest;
        }

        /// <summary>The first <paramref name="rows"/> rows: the calling thread's half.</summary>
        public readonly Job Before(int rows)
        {
            var first = this;
            first.Rows = rows;
            return first;
        }
    }

    private static int Extent(int count, int stride, int width) => width == 0 ? 0 : (count - 1) * stride + width;

    /// <summary><see cref="RowProducts.Accumulate"/>, split over two threads as <see cref="AccumulateSum"/> is.</summary>
    public static void Accumulate(ReadOnlySpan<float> w, int rows, int cols, ReadOnlySpan<float> x, int xStride, int count, Span<float> y, int yStride,
        int threads)
        => AccumulateSum(w, cols, x, xStride, default, 0, default, 0, rows, count, y, yStride, threads);

    /// <summary>
    /// <see cref="RowProducts.AccumulateSum"/> (<paramref name="cols2"/> 0: one product), split over two threads when
    /// <paramref name="threads"/> allows it and the product is large enough.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on every step's path: optimised from its first call
    public static void AccumulateSum(ReadOnlySpan<float> w1, int cols1, ReadOnlySpan<float> x1, int x1Stride,
        ReadOnlySpan<float> w2, int cols2, ReadOnlySpan<float> x2, int x2Stride, int rows, int count, Span<float> y, int yStride, int threads)
    {
        // Halves of whole 16-row blocks, so that neither side's outputs share a cache line with the other's.
        var half = rows / 32 * 16;
        if (threads < 2 || half == 0 || (long)rows * (cols1 + cols2) * count < SplitFrom)
        {
            RowProducts.AccumulateSum(w1, cols1, x1, x1Stride, w2, cols2, x2, x2Stride, rows, count, y, yStride);
            return;
        }
        if (w1.Length < rows * cols1 || x1.Length < Extent(count, x1Stride, cols1) || w2.Length < rows * cols2
            || x2.Length < Extent(count, x2Stride, cols2) || y.Length < Extent(count, yStride, rows))
            throw new ArgumentException("A product's spans are shorter than its sizes.");
        fixed (float* pw1 = w1, px1 = x1, pw2 = w2, px2 = x2, py = y)
        {
            Split(new Job
            {
                W1 = pw1, X1 = px1, W2 = pw2, X2 = px2, Y = py,
                Cols1 = cols1, Stride1 = x1Stride, Cols2 = cols2, Stride2 = x2Stride, Rows = rows, Count = count, YStride = yStride,
            }, half);
        }
    }

    /// <summary>
    /// <see cref="RowProducts.AccumulatePacked"/>, split over two threads as <see cref="AccumulateSum"/> is (the halves
    /// are whole blocks of the packed layout).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulatePacked(ReadOnlySpan<float> packed, int cols1, ReadOnlySpan<float> x1, int cols2, ReadOnlySpan<float> x2, int rows,
        Span<float> y, int threads)
    {
        var half = rows / 32 * 16;
        if (threads < 2 || half == 0 || (long)rows * (cols1 + cols2) < SplitFrom)
        {
            RowProducts.AccumulatePacked(packed, cols1, x1, cols2, x2, rows, y);
            return;
        }
        if (!RowProducts.Packs(rows, cols1, cols2) || packed.Length < RowProducts.PackedLength(rows, cols1, cols2) || x1.Length < cols1
            || x2.Length < cols2 || y.Length < rows)
            throw new ArgumentException("A product's spans are shorter than its sizes.");
        fixed (float* pp = packed, px1 = x1, px2 = x2, py = y)
        {
            Split(new Job { Packed = pp, X1 = px1, X2 = px2, Y = py, Cols1 = cols1, Cols2 = cols2, Rows = rows, Count = 1 }, half);
        }
    }

    /// <summary>
    /// <see cref="RowProducts.AccumulatePanels"/>, split over two threads as <see cref="AccumulateSum"/> is, between panels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulatePanels(ReadOnlySpan<float> w, ReadOnlySpan<float> panels, int rows, int cols, ReadOnlySpan<float> x, int xStride,
        int count, Span<float> y, int yStride, int threads)
    {
        var half = rows / 128 * 64;
        if (threads < 2 || half == 0 || count <= 0 || (long)rows * cols * count < SplitFrom)
        {
            RowProducts.AccumulatePanels(w, panels, rows, cols, x, xStride, count, y, yStride);
            return;
        }
        if (w.Length < rows * cols || panels.Length < rows / 64 * 64 * cols || x.Length < Extent(count, xStride, cols)
            || y.Length < Extent(count, yStride, rows))
            throw new ArgumentException("A product's spans are shorter than its sizes.");
        fixed (float* pw = w, pp = panels, px = x, py = y)
        {
            Split(new Job { W1 = pw, Panels = pp, X1 = px, Y = py, Cols1 = cols, Stride1 = xStride, Rows = rows, Count = count, YStride = yStride }, half);
        }
    }

    /// <summary>
    /// Runs <paramref name="whole"/> (its memory pinned by the caller): its rows from <paramref name="half"/> on on the
    /// helper and the rows before on this thread, taking the helper's back if it has not started by then; all on this
    /// thread when another call holds the helper.
    /// </summary>
    private static void Split(in Job whole, int half)
    {
        if (!Monitor.TryEnter(Gate))
        {
            whole.Run();
            return;
        }
        try
        {
            Shared(whole, half);
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    /// <summary><see cref="Split"/> under <see cref="Gate"/>.</summary>
    private static void Shared(in Job whole, int half)
    {
        _job = whole.From(half);
        Post();
        // This thread's half meanwhile; the helper's must be done before the pins end.
        Exception? mine = null;
        try
        {
            whole.Before(half).Run();
        }
        catch (Exception e)
        {
            mine = e;
        }
        if (Interlocked.CompareExchange(ref _claim, 2, 0) == 0)
        {
            // Not started: this thread runs it, and the helper passes it by when it comes round.
            Interlocked.Increment(ref _takenBack);
            _job.Run();
        }
        else
        {
            WaitFinished();
        }
        if (mine is not null) ExceptionDispatchInfo.Throw(mine);
        if (Interlocked.Exchange(ref _failure, null) is { } failure) failure.Throw();
    }

    private static void Post()
    {
        if (_helper is null)
        {
            _helper = new Thread(Serve) { IsBackground = true, Name = "TorchRnn product helper" };
            _helper.Start();
        }
        Volatile.Write(ref _claim, 0);
        Interlocked.Increment(ref _posted);
        // Posted before the look at _sleeping, and the helper says it sleeps before its last look at _posted: one of
        // the two sees the other (a wake-up it did not need only sends it round its loop once more).
        if (Volatile.Read(ref _sleeping) == 1) Wake.Release();
    }

    private static void WaitFinished()
    {
        var spinner = new SpinWait();
        while (Volatile.Read(ref _finished) != Volatile.Read(ref _posted)) spinner.SpinOnce(sleep1Threshold: -1);
    }

    private static void Serve()
    {
        long taken = 0;
        while (true)
        {
            var since = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _posted) == taken)
            {
                if (Stopwatch.GetElapsedTime(since).TotalMicroseconds < SpinMicroseconds)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                Interlocked.Exchange(ref _sleeping, 1);
                if (Volatile.Read(ref _posted) == taken) Wake.Wait();
                Interlocked.Exchange(ref _sleeping, 0);
                since = Stopwatch.GetTimestamp();
            }
            taken++;
            // The half posted last, if the calling thread has not taken it back (then, or for a post this loop
            // has fallen behind, there is nothing to run).
            while (HoldHelper) Thread.SpinWait(20);
            if (Interlocked.CompareExchange(ref _claim, 1, 0) == 0)
            {
                try
                {
                    _job.Run();
                }
                catch (Exception e)
                {
                    _failure = ExceptionDispatchInfo.Capture(e);
                }
            }
            Volatile.Write(ref _finished, taken);
        }
    }
}
