using System;
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using TorchRnn.Kinds;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Engines;

/// <summary>
/// <see cref="Engine.Fused"/>: TorchRnn's inference engine for the built-in kinds on the CPU in float32, without
/// autograd. A step is the weights' bytes streamed once through <see cref="RowProducts"/> (both products of every
/// batch row in managed SIMD code, no dispatch, no allocation; on two threads when LibTorch has two,
/// <see cref="ProductSplit"/>) and the gates' pointwise math in place (<see cref="Activations"/> with AVX-512,
/// <c>TensorPrimitives</c> elsewhere); h goes straight into the output's memory and c stays in a managed buffer. A step at
/// batch 1, or of 4 rows or more, reads a copy of the weights laid out for it (<see cref="PackedWeights"/>,
/// <see cref="TransposedWeights"/>), kept while the weights are unchanged (<see cref="WeightCopies"/>). Over a sequence
/// of many rows the input product of each layer is one LibTorch matrix product, as in the other engines. The subclass
/// (<see cref="FusedLstm"/>, <see cref="FusedGru"/>, <see cref="FusedRnn"/>) owns the gates.
/// </summary>
/// <remarks>
/// <para>Results agree with PyTorch's to float32 rounding: the same equations, sums grouped by vector lane.</para>
/// <para>The kinds choose it only for dense input, no gradients, float32 on the CPU, no projections and no dropout
/// draws; it is behind the kernel check like LibTorch's kernels, and any weight or state it cannot read in place
/// (not contiguous) sends the call to the managed engine.</para>
/// </remarks>
internal abstract class FusedRecurrence(SequenceOptions options, CellWeights[] weights, SequenceEngine fallback) : SequenceEngine
{
    /// <summary>Up to this many rows (steps x batch) a layer's input product is streamed here too; above it LibTorch's product wins.</summary>
    internal const int ManagedInputRows = 16;

    /// <summary>
    /// From this many steps of at least <see cref="TransposeFromRows"/> rows, with h of at most
    /// <see cref="TransposeUpToColumns"/>, the recurrent products run over transposed weights: at 64 and 128 columns
    /// and 32 rows they took 0.3 to 0.45 of the row-by-row products' time (whose sums across lanes cost most where a
    /// row is short), at 200 to 512 columns 0.8 to 1.0, not worth the transposition (0.1 to 1.8 ms a call).
    /// </summary>
    internal const int TransposeFromSteps = 8;

    /// <summary>See <see cref="TransposeFromSteps"/>.</summary>
    internal const int TransposeUpToColumns = 128;

    /// <summary>See <see cref="TransposeFromSteps"/>: below four rows the transposed product's blocks go unfilled.</summary>
    internal const int TransposeFromRows = 4;

    /// <summary>
    /// Whether a step's products of <paramref name="rows"/> rows read the weights' column panels
    /// (<see cref="TransposedWeights"/>): from <see cref="TransposeFromRows"/> rows on. The products alone, 2 layers of
    /// LSTM, one thread, panels against the row-major products (in alternation within one process; Zen 5, 2026-12-07):
    /// 256 wide 0.66 at 8 rows and 0.54 at 4; 512 wide 0.34 at 4, 0.58 at 12 and 1.08 at 8 rows, where the row-major
    /// eight-row products are at their best; the whole 512 x 8 step against ONNX Runtime was 0.77 with panels and 0.76
    /// without for LSTM, 0.75 and 1.06 for GRU.
    /// </summary>
    internal static bool StepReadsTransposed(int rows) => rows >= TransposeFromRows;

    /// <summary>The module's options.</summary>
    protected SequenceOptions Options { get; } = options;

    /// <summary>H (H_cell): the gates' and c's width.</summary>
    protected int Hidden { get; } = checked((int)options.HiddenSize);

    /// <summary>H_out: h's width, <c>proj_size</c> when an LSTM projects h (h = W_hr (o * tanh(c))), else H.</summary>
    private int Out { get; } = checked((int)options.OutputSize);

    /// <summary>How many gates are stacked in each weight: RNN 1, GRU 3, LSTM 4.</summary>
    protected abstract int Gates { get; }

    /// <inheritdoc />
    public override string Kernel => "TorchRnn's fused inference step (managed SIMD)";

    /// <summary>
    /// How many of the G * H gate rows take x W_ih^T + b_ih and h W_hh^T + b_hh summed (LSTM and RNN all, GRU r and z):
    /// for a few rows both products of these rows are made in one pass (<see cref="RowProducts.AccumulateSum"/>), their
    /// sums across vector lanes done once.
    /// </summary>
    protected abstract int SummedRows { get; }

    /// <summary>
    /// One batch row of one step. <paramref name="gates"/> (G * H, free to overwrite) holds the
    /// <see cref="SummedRows"/> summed pre-activations, then h W_hh^T + b_hh of the other rows, whose
    /// x W_ih^T + b_ih is <paramref name="input"/> (G * H - SummedRows). <paramref name="previous"/> is the row's h
    /// before the step, <paramref name="cell"/> its c (LSTM; updated in place). Writes h' into <paramref name="next"/>.
    /// </summary>
    protected abstract void Cell(Span<float> gates, ReadOnlySpan<float> input, ReadOnlySpan<float> previous, Span<float> cell, Span<float> next);

    /// <inheritdoc />
    public override (Tensor output, HiddenState h_n) Run(Tensor input, HiddenState h0, bool training)
    {
        if (!Takes(input, h0, training)) return fallback.Run(input, h0, training);
        using var scope = torch.NewDisposeScope();
        var x = Contiguous(Options.BatchFirst ? input.transpose(0, 1) : input);
        // size(d), not shape: TorchSharp builds shape's array through a callback, a microsecond a call.
        var (steps, rows) = (x.size(0), x.size(1));
        var length = checked((int)steps);
        var batch = checked((int)rows);
        var sizes = new int[length];
        Array.Fill(sizes, batch);
        // (L, N, H_in) rows are the (L * N, H_in) rows: the layers read and write them in place, with no views between.
        var (output, h_n) = Stack(x, sizes, h0, [steps, rows]);
        if (Options.BatchFirst) output = output.transpose(0, 1);
        return (output.MoveToOuterDisposeScope(), h_n.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public override (Tensor data, HiddenState h_n) RunPacked(Tensor data, long[] batchSizes, HiddenState h0, bool training)
    {
        if (!Takes(data, h0, training)) return fallback.RunPacked(data, batchSizes, h0, training);
        using var scope = torch.NewDisposeScope();
        var (output, h_n) = Stack(Contiguous(data), Array.ConvertAll(batchSizes, b => checked((int)b)), h0, []);
        return (output.MoveToOuterDisposeScope(), h_n.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The layers over <paramref name="data"/>: the rows of every step one after another (sum of
    /// <paramref name="sizes"/>, H_in), step t holding the first sizes[t] sequences, as a packed sequence's data (a dense
    /// batch is the case of equal sizes). Returns the output rows (sum, D * H), shaped (<paramref name="leading"/>, D * H)
    /// when given, and h_n, c_n (S, sizes[0], H).
    /// </summary>
    private (Tensor data, HiddenState h_n) Stack(Tensor data, int[] sizes, HiddenState h0, long[] leading)
    {
        var batch = sizes.Length == 0 ? 0 : sizes[0];
        var offsets = new int[sizes.Length + 1];
        for (var t = 0; t < sizes.Length; t++) offsets[t + 1] = offsets[t] + sizes[t];
        var directions = (int)Options.Directions;
        var h = Hidden;
        var width = Out;
        var h0h = Contiguous(h0.h);
        var h0c = h0.c is null ? null : Contiguous(h0.c);
        var hN = torch.empty([Options.States, batch, width], ScalarType.Float32);
        var cN = h0c is null ? null : torch.empty([Options.States, batch, h], ScalarType.Float32);
        ReadOnlySpan<float> h0Rows = Span(h0h), c0Rows = h0c is null ? default : Span(h0c);
        Span<float> hNRows = Span(hN), cNRows = cN is null ? default : Span(cN);
        // LibTorch's thread setting is TorchRnn's too: more than one lets a step's products use a second core.
        var threads = torch.get_num_threads();
        long[] outputShape = leading.Length == 0 ? [offsets[^1], directions * width] : [.. leading, directions * width];
        var layerInput = data;
        for (var layer = 0; layer < Options.NumLayers; layer++)
        {
            var output = torch.empty(outputShape, ScalarType.Float32);
            var outputRows = Span(output);
            for (var direction = 0; direction < directions; direction++)
            {
                var at = layer * directions + direction;
                var states = new StateRows(h0Rows, c0Rows, hNRows, cNRows, at * batch * width, at * batch * h);
                Direction(at, layer, layerInput, outputRows, direction, sizes, offsets, states, threads);
            }
            layerInput = output;
        }
        return (layerInput, new HiddenState(hN, cN));
    }

    /// <summary>One layer-direction's rows of the initial and final states: h0 and c0 in, h_n and c_n out, from their offsets.</summary>
    private readonly ref struct StateRows(ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> hN, Span<float> cN, int hOffset, int cOffset)
    {
        public ReadOnlySpan<float> H0 { get; } = h0.Slice(hOffset);
        public ReadOnlySpan<float> C0 { get; } = c0.IsEmpty ? default : c0.Slice(cOffset);
        public Span<float> HN { get; } = hN.Slice(hOffset);
        public Span<float> CN { get; } = cN.IsEmpty ? default : cN.Slice(cOffset);
    }

    /// <summary>
    /// One layer-direction over the step rows of <paramref name="input"/> (sum, I), into its H_out columns of
    /// <paramref name="outputs"/> (sum, D * H_out). Forward, a sequence that ends keeps its last h and c (its final state);
    /// backward, a sequence joins at its last step from its initial state: ATen's <c>PackedLayer</c> and
    /// <c>ReversedPackedLayer</c>, which for equal sizes are the dense walk.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the step loop: fully optimised from the first call
    private void Direction(int at, int layer, Tensor input, Span<float> outputs, int direction, int[] sizes, int[] offsets, StateRows states,
        int threads)
    {
        var w = weights[at];
        var h = Hidden;
        var width = Out;
        var g = Gates * h;
        var features = checked((int)Options.LayerInputSize(layer));
        var rows = offsets[^1];
        var batch = sizes.Length == 0 ? 0 : sizes[0];
        var stride = (int)Options.Directions * width;
        var column = direction * width;
        var summed = SummedRows;
        var rest = g - summed;
        var pool = ArrayPool<float>.Shared;
        var recurrent = pool.Rent(Math.Max(1, batch * g));
        var cell = states.C0.IsEmpty ? null : pool.Rent(Math.Max(1, batch * h));
        // With projections each row's h (H) is made here, then projected into the output (H_out).
        var unprojected = w.w_hr is null ? null : pool.Rent(Math.Max(1, batch * h));
        // Over a sequence of a few rows or more, the recurrent weights transposed once make each step's products
        // multiply-adds alone (no sums across lanes); for one step the transposition would cost a pass of its own.
        var transposed = sizes.Length >= TransposeFromSteps && batch >= TransposeFromRows && width <= TransposeUpToColumns
            && Vector512.IsHardwareAccelerated;
        var hhT = transposed ? pool.Rent(RowProducts.TransposedStride(g) * width) : null;
        var hrT = transposed && w.w_hr is not null ? pool.Rent(RowProducts.TransposedStride(width) * h) : null;
        float[]? inputProducts = null, biases = null;
        try
        {
            var wIh = Span(w.w_ih);
            var wHh = Span(w.w_hh);
            var wHr = w.w_hr is null ? default : Span(w.w_hr);
            if (hhT is not null) RowProducts.Transpose(wHh, g, width, hhT);
            if (hrT is not null) RowProducts.Transpose(wHr, width, h, hrT);
            var bIh = w.b_ih is null ? default : Span(w.b_ih);
            var bHh = w.b_hh is null ? default : Span(w.b_hh);
            var x = Span(input);
            // The input products: for a few rows streamed here step by step, the summed rows' in one pass with the
            // recurrent product and the others' all at once up front; for more rows one LibTorch product up front.
            var streamed = rows <= ManagedInputRows;
            // A step's weights from a copy when there is a current one: at batch 1 packed (one stream), from batch 4 on
            // column panels (no sums across lanes).
            var copies = WeightCopies.Enabled && w.w_hr is null;
            var packed = copies && streamed && batch == 1 && PackedWeights.Serves(summed, rest, features, width)
                ? Copy<PackedWeights>(_blocks, at, w, wIh, wHh, features, width)
                : null;
            var columns = copies && (streamed || sizes.Length == 1) && StepReadsTransposed(batch) && Vector512.IsHardwareAccelerated
                ? Copy<TransposedWeights>(_columns, at, w, wIh, wHh, features, width)
                : null;
            using var product = streamed ? null : F.linear(input, w.w_ih, w.b_ih);
            Span<float> projected;
            int projectedStride, projectedFrom;
            ReadOnlySpan<float> stepBias;
            if (streamed)
            {
                inputProducts = pool.Rent(Math.Max(1, rows * rest));
                projected = inputProducts.AsSpan(0, rows * rest);
                (projectedStride, projectedFrom) = (rest, 0);
                if (rest > 0)
                {
                    Broadcast(bIh.IsEmpty ? bIh : bIh.Slice(summed), projected, rows, rest);
                    if (packed is not null && rows == 1) ProductSplit.AccumulatePacked(packed.InputRest, features, x, 0, default, rest, projected, threads);
                    else if (columns is not null && StepReadsTransposed(rows) && summed % 64 == 0)
                        ProductSplit.AccumulatePanels(wIh.Slice(summed * features), columns.Input.Slice(summed * features), rest, features, x, features, rows,
                            projected, rest, threads);
                    else ProductSplit.Accumulate(wIh.Slice(summed * features), rest, features, x, features, rows, projected, rest, threads);
                }
                // Each step's gates start from b_ih + b_hh on the summed rows, b_hh on the others.
                if (!bHh.IsEmpty)
                {
                    biases = pool.Rent(g);
                    bHh.CopyTo(biases);
                    AddInto(biases.AsSpan(0, summed), bIh.Slice(0, summed));
                }
                stepBias = biases is null ? default : biases.AsSpan(0, g);
            }
            else
            {
                projected = Span(product!);
                (projectedStride, projectedFrom) = (g, summed);
                stepBias = bHh;
            }
            if (cell is not null) states.C0.Slice(0, batch * h).CopyTo(cell);

            var reverse = direction == 1;
            var gates = recurrent.AsSpan(0, batch * g);
            for (var i = 0; i < sizes.Length; i++)
            {
                var t = reverse ? sizes.Length - 1 - i : i;
                var size = sizes[t];
                // Rows whose h comes from the step before (forward: t - 1; backward: t + 1); the rest start from h0.
                var carried = i == 0 ? 0 : reverse ? sizes[t + 1] : size;
                var before = carried == 0 ? default : outputs.Slice((reverse ? offsets[t + 1] : offsets[t - 1]) * stride + column);
                Broadcast(stepBias, gates, size, g);
                if (streamed)
                {
                    var stepInput = x.Slice(offsets[t] * features);
                    if (carried > 0) Summed(wIh, features, stepInput, wHh, width, before, stride, carried, gates, g, threads, packed, columns);
                    if (size > carried)
                        Summed(wIh, features, stepInput.Slice(carried * features), wHh, width, states.H0.Slice(carried * width), width, size - carried,
                            gates.Slice(carried * g), g, threads, packed, columns);
                }
                else
                {
                    if (carried > 0) Recurrent(wHh, hhT, columns, g, width, before, stride, carried, gates, g, threads);
                    if (size > carried)
                        Recurrent(wHh, hhT, columns, g, width, states.H0.Slice(carried * width), width, size - carried, gates.Slice(carried * g), g, threads);
                }
                var step = outputs.Slice(offsets[t] * stride + column);
                for (var n = 0; n < size; n++)
                {
                    var previous = n < carried ? before.Slice(n * stride, width) : states.H0.Slice(n * width, width);
                    var row = gates.Slice(n * g, g);
                    var rowInput = projected.Slice((offsets[t] + n) * projectedStride, projectedStride);
                    if (!streamed) AddInto(row.Slice(0, summed), rowInput.Slice(0, summed));
                    Cell(row, rowInput.Slice(projectedFrom, rest), previous,
                        cell is null ? default : cell.AsSpan(n * h, h), unprojected is null ? step.Slice(n * stride, h) : unprojected.AsSpan(n * h, h));
                }
                if (unprojected is not null)
                {
                    for (var n = 0; n < size; n++) step.Slice(n * stride, width).Clear();
                    Product(wHr, hrT, width, h, unprojected, h, size, step, stride);
                }
            }

            // h_n: forward, each sequence's h at its last step; backward, at the first step, where all have joined.
            var last = reverse ? 0 : sizes.Length - 1;
            for (var n = 0; n < batch; n++)
            {
                while (!reverse && sizes[last] <= n) last--;
                outputs.Slice((offsets[last] + n) * stride + column, width).CopyTo(states.HN.Slice(n * width, width));
            }
            if (cell is not null) cell.AsSpan(0, batch * h).CopyTo(states.CN);
        }
        finally
        {
            pool.Return(recurrent);
            if (cell is not null) pool.Return(cell);
            if (unprojected is not null) pool.Return(unprojected);
            if (hhT is not null) pool.Return(hhT);
            if (hrT is not null) pool.Return(hrT);
            if (inputProducts is not null) pool.Return(inputProducts);
            if (biases is not null) pool.Return(biases);
        }
    }

    private readonly WeightCopies _blocks = new(weights.Length);
    private readonly WeightCopies _columns = new(weights.Length);

    /// <summary>Layer-direction <paramref name="at"/>'s copy in layout <typeparamref name="T"/> from <paramref name="copies"/> (see <see cref="WeightCopies"/>).</summary>
    private T? Copy<T>(WeightCopies copies, int at, CellWeights w, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, int features, int width)
        where T : class, IWeightCopy<T>
        => copies.For<T>(at, new WeightStamp(Address(wIh), TensorVersion.Of(w.w_ih), Address(wHh), TensorVersion.Of(w.w_hh)), wIh, wHh, SummedRows,
            Gates * Hidden, features, width);

    /// <summary>
    /// Drops the weight copies, for weights written straight into their memory (which LibTorch's versions do not see);
    /// the next calls make them again.
    /// </summary>
    internal void DropCopies()
    {
        _blocks.Drop();
        _columns.Drop();
    }

    /// <summary>How many packed (one-row) and transposed copies the layer-directions hold now.</summary>
    internal (int Packed, int Transposed) Copies => (_blocks.Count, _columns.Count);

    private static unsafe nint Address(ReadOnlySpan<float> s) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(s));

    /// <summary>
    /// One step's products of <paramref name="count"/> rows into their gates (rows <paramref name="gatesStride"/> apart):
    /// x W_ih^T + h W_hh^T on the <see cref="SummedRows"/> in one pass, h W_hh^T alone on the others; each on two
    /// threads when <paramref name="threads"/> (LibTorch's setting) allows and it is large enough (<see cref="ProductSplit"/>).
    /// </summary>
    private void Summed(ReadOnlySpan<float> wIh, int features, ReadOnlySpan<float> x, ReadOnlySpan<float> wHh, int width,
        ReadOnlySpan<float> h, int hStride, int count, Span<float> gates, int gatesStride, int threads, PackedWeights? packed, TransposedWeights? columns)
    {
        var summed = SummedRows;
        var rest = Gates * Hidden - summed;
        if (packed is not null && count == 1)
        {
            ProductSplit.AccumulatePacked(packed.Summed, features, x, width, h, summed, gates, threads);
            if (rest > 0) ProductSplit.AccumulatePacked(packed.HiddenRest, width, h, 0, default, rest, gates.Slice(summed), threads);
            return;
        }
        if (columns is not null && StepReadsTransposed(count))
        {
            ProductSplit.AccumulatePanels(wIh, columns.Input, summed, features, x, features, count, gates, gatesStride, threads);
            ProductSplit.AccumulatePanels(wHh, columns.Hidden, Gates * Hidden, width, h, hStride, count, gates, gatesStride, threads);
            return;
        }
        ProductSplit.AccumulateSum(wIh, features, x, features, wHh, width, h, hStride, summed, count, gates, gatesStride, threads);
        if (rest > 0) ProductSplit.Accumulate(wHh.Slice(summed * width), rest, width, h, hStride, count, gates.Slice(summed), gatesStride, threads);
    }

    /// <summary>
    /// A step's recurrent product h W_hh^T of <paramref name="count"/> rows: from the kept column panels where the step
    /// reads them (one step of more rows than are streamed), else <see cref="Product"/>.
    /// </summary>
    private static void Recurrent(ReadOnlySpan<float> wHh, float[]? hhT, TransposedWeights? columns, int g, int width, ReadOnlySpan<float> h, int hStride,
        int count, Span<float> gates, int gatesStride, int threads)
    {
        if (columns is not null && StepReadsTransposed(count))
            ProductSplit.AccumulatePanels(wHh, columns.Hidden, g, width, h, hStride, count, gates, gatesStride, threads);
        else Product(wHh, hhT, g, width, h, hStride, count, gates, gatesStride);
    }

    /// <summary>y += W x^T for <paramref name="count"/> rows of x: over the transposed copy when there is one.</summary>
    internal static void Product(ReadOnlySpan<float> w, float[]? transposed, int rows, int cols, ReadOnlySpan<float> x, int xStride, int count,
        Span<float> y, int yStride)
    {
        if (transposed is null) RowProducts.Accumulate(w, rows, cols, x, xStride, count, y, yStride);
        else RowProducts.AccumulateTransposed(w, transposed, rows, cols, x, xStride, count, y, yStride);
    }

    /// <summary>
    /// target += source, in the machine's vector width. Not <c>TensorPrimitives.Add</c>: the package's code is jitted
    /// unoptimised first, and a short-lived streaming app (200 steps, <c>samples/StreamOnnx</c>) ran its steps 3 to 5
    /// times slower for it; this method is optimised from its first call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AddInto(Span<float> target, ReadOnlySpan<float> source)
    {
        var k = 0;
        for (; k + Vector<float>.Count <= target.Length; k += Vector<float>.Count)
            (new Vector<float>(target.Slice(k)) + new Vector<float>(source.Slice(k))).CopyTo(target.Slice(k));
        for (; k < target.Length; k++) target[k] += source[k];
    }

    /// <summary>Every row of <paramref name="into"/> (rows x width) set to <paramref name="bias"/>, or to zero without one.</summary>
    internal static void Broadcast(ReadOnlySpan<float> bias, Span<float> into, int rows, int width)
    {
        if (bias.IsEmpty)
        {
            into.Slice(0, rows * width).Clear();
            return;
        }
        for (var r = 0; r < rows; r++) bias.CopyTo(into.Slice(r * width, width));
    }

    /// <summary>
    /// Whether this engine computes the call: float32 on the CPU, nothing for autograd to record, no dropout draws
    /// between layers, and every weight contiguous (parameters normally are; a user may assign others). The kinds'
    /// rule sends only such calls here; a test that forces the engine gets the managed one for any other.
    /// </summary>
    private bool Takes(Tensor input, HiddenState h0, bool training)
    {
        if (input.dtype != ScalarType.Float32 || input.device_type != DeviceType.CPU) return false;
        if (training && Options.Dropout > 0 && Options.NumLayers > 1) return false;
        if (Records(input, h0, weights)) return false;
        foreach (var w in weights)
        {
            if (!w.w_ih.is_contiguous() || !w.w_hh.is_contiguous()) return false;
            if (w.b_ih is { } b && (!b.is_contiguous() || !w.b_hh!.is_contiguous())) return false;
            if (w.w_hr is { } r && !r.is_contiguous()) return false;
        }
        return true;
    }

    /// <summary>The tensor itself when contiguous (no new handle), else a contiguous copy.</summary>
    internal static Tensor Contiguous(Tensor t) => t.is_contiguous() ? t : t.contiguous();

    /// <summary>A contiguous float32 CPU tensor's elements, in place.</summary>
    internal static Span<float> Span(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);
}
