using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using TorchRnn.Kinds;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Engines;

/// <summary>
/// <see cref="Engine.FusedTraining"/>: an LSTM stack under autograd on the CPU in float32, as one autograd node
/// (<see cref="FusedLstmFunction"/>). Forward, each layer's input product is one LibTorch matrix product and every step
/// is the fused engine's: the recurrent products streamed through <see cref="RowProducts"/>, the gates in place with
/// <c>TensorPrimitives</c>, keeping a tape of the gates, the cells and each layer's output. Backward is backpropagation
/// through time written out: per step the gates' derivatives in managed SIMD code and two products that read the
/// weights' own rows (<see cref="RowProducts.AccumulateByRows"/>), then per layer the weights' gradients as a few
/// LibTorch matrix products over all steps at once. ATen's autograd LSTM records and replays a dozen operations per step
/// and layer; this records one node per call.
/// </summary>
/// <remarks>
/// Dense input only; packed input, other dtypes and devices, an empty batch, and dropout between layers in training go
/// to the fallback. Results and gradients agree with PyTorch's to float32 rounding (the same equations; sums grouped
/// differently). The tape costs L * N * D * (5 H + H_out) floats per layer, held until the graph is freed.
/// </remarks>
internal sealed class FusedLstmTraining(SequenceOptions options, CellWeights[] weights, SequenceEngine fallback) : SequenceEngine
{
    /// <summary>The arguments per layer-direction: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr.</summary>
    internal const int Slots = 5;

    private readonly int _hidden = checked((int)options.HiddenSize);
    private readonly int _out = checked((int)options.OutputSize);
    private readonly int _directions = (int)options.Directions;

    /// <inheritdoc />
    public override string Kernel => "TorchRnn's fused LSTM under autograd (managed SIMD steps, hand-written backward)";

    /// <inheritdoc />
    public override (Tensor output, HiddenState h_n) Run(Tensor input, HiddenState h0, bool training)
    {
        if (!Takes(input, training)) return fallback.Run(input, h0, training);
        var made = new List<Tensor>(4);
        var arguments = new object?[FusedLstmFunction.Leading + Slots * weights.Length];
        arguments[0] = this;
        arguments[1] = made;
        arguments[2] = options.BatchFirst ? input.transpose(0, 1) : input;
        arguments[3] = h0.h;
        arguments[4] = h0.c!;
        for (var at = 0; at < weights.Length; at++)
        {
            var w = weights[at];
            var first = FusedLstmFunction.Leading + Slots * at;
            arguments[first] = w.w_ih;
            arguments[first + 1] = w.w_hh;
            arguments[first + 2] = w.b_ih;
            arguments[first + 3] = w.b_hh;
            arguments[first + 4] = w.w_hr;
        }
        List<Tensor> results;
        using (var call = torch.NewDisposeScope())
        {
            results = FusedLstmFunction.apply(arguments!);
            // The forward's own tensors are the node's now (saved, or wrapped as the results): freed here. What else
            // the call left in this scope is TorchSharp's node's (a tensor shaped as each result, from which it makes
            // the zero gradient of a result the loss does not use): it must live as long as the node, which frees it.
            call.Detach(call.DisposablesView.Where(d => !made.Exists(t => ReferenceEquals(t, d)) && !results.Exists(t => ReferenceEquals(t, d))).ToArray());
            call.MoveToOuter(results);
            if (options.BatchFirst) (arguments[2] as Tensor)?.Dispose();
        }
        var output = options.BatchFirst ? results[0].transpose(0, 1) : results[0];
        if (options.BatchFirst) results[0].Dispose();
        return (output, new HiddenState(results[1], results[2]));
    }

    /// <inheritdoc />
    public override (Tensor data, HiddenState h_n) RunPacked(Tensor data, long[] batchSizes, HiddenState h0, bool training)
        => fallback.RunPacked(data, batchSizes, h0, training);

    /// <summary>Float32 on the CPU, some rows (an empty batch has nothing to fuse), and no dropout draws between layers.</summary>
    private bool Takes(Tensor input, bool training)
        => input.dtype == ScalarType.Float32 && input.device_type == DeviceType.CPU && input.numel() > 0
            && !(training && options.Dropout > 0 && options.NumLayers > 1);

    /// <summary>H, H_out, the gates' 4H, a layer output's row length D * H_out, and a direction's first column in it.</summary>
    private (int h, int width, int g, int stride, int column) Widths(int direction)
        => (_hidden, _out, 4 * _hidden, _directions * _out, direction * _out);

    /// <summary>Where layer <paramref name="layer"/>'s part of the tape starts: its output, then per direction its gates and cells.</summary>
    private long LayerOffset(long rows, int layer) => layer * rows * (_directions * (_out + 4L * _hidden + _hidden));

    /// <summary>The gates' (rows, 4H) and cells' (rows, H) offsets of a layer-direction in the tape.</summary>
    private (long gates, long cells) DirectionOffsets(long rows, int layer, int direction)
    {
        var gates = LayerOffset(rows, layer) + rows * _directions * _out + direction * rows * 5L * _hidden;
        return (gates, gates + rows * 4L * _hidden);
    }

    /// <summary>
    /// The stack over <paramref name="x"/> (L, N, H_in): output (L, N, D * H_out), h_n, c_n, and the tape the backward
    /// reads (each layer's output, then its directions' activated gates i, f, g, o and cells c_t).
    /// </summary>
    internal (Tensor output, Tensor hN, Tensor cN, Tensor tape) Forward(Tensor x, Tensor h0, Tensor c0, Tensor?[] w)
    {
        var length = checked((int)x.shape[0]);
        var batch = checked((int)x.shape[1]);
        var rows = (long)length * batch;
        var layers = (int)options.NumLayers;
        var tape = torch.empty(LayerOffset(rows, layers), ScalarType.Float32);
        var hN = torch.empty([options.States, batch, _out], ScalarType.Float32);
        var cN = torch.empty([options.States, batch, _hidden], ScalarType.Float32);
        using var scope = torch.NewDisposeScope();
        var h0c = h0.contiguous();
        var c0c = c0.contiguous();
        var layerInput = x.contiguous().reshape(rows, x.shape[2]);
        var width = _directions * _out;
        for (var layer = 0; layer < layers; layer++)
        {
            var output = tape.narrow(0, LayerOffset(rows, layer), rows * width);
            for (var direction = 0; direction < _directions; direction++)
            {
                var at = layer * _directions + direction;
                using var pre = F.linear(layerInput, w[Slots * at]!, w[Slots * at + 2]);
                var (gates, cells) = DirectionOffsets(rows, layer, direction);
                ForwardDirection(Span(pre), Span(tape).Slice(checked((int)gates), checked((int)(rows * 4 * _hidden))),
                    Span(tape).Slice(checked((int)cells), checked((int)(rows * _hidden))), Span(output), direction, length, batch,
                    Span(h0c).Slice(at * batch * _out, batch * _out), Span(c0c).Slice(at * batch * _hidden, batch * _hidden),
                    Span(hN).Slice(at * batch * _out, batch * _out), Span(cN).Slice(at * batch * _hidden, batch * _hidden),
                    Contiguous(w[Slots * at + 1]!), w[Slots * at + 3], w[Slots * at + 4]);
            }
            layerInput = output.view(rows, width);
        }
        var result = layerInput.clone().view(length, batch, width);
        return (result.MoveToOuterDisposeScope(), hN, cN, tape);
    }

    /// <summary>One layer-direction forward: the gates of every step into <paramref name="gates"/>, c_t into <paramref name="cells"/>, h_t into its columns of <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardDirection(ReadOnlySpan<float> pre, Span<float> gates, Span<float> cells, Span<float> y, int direction, int length, int batch,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> hN, Span<float> cN, Tensor wHhTensor, Tensor? bHhTensor, Tensor? wHrTensor)
    {
        var (h, width, g, stride, column) = Widths(direction);
        var pool = ArrayPool<float>.Shared;
        var transposed = length >= FusedRecurrence.TransposeFromSteps && batch >= FusedRecurrence.TransposeFromRows
            && width <= FusedRecurrence.TransposeUpToColumns && Vector512.IsHardwareAccelerated;
        var recurrent = pool.Rent(batch * g);
        var unprojected = wHrTensor is null ? null : pool.Rent(batch * h);
        var hhT = transposed ? pool.Rent(RowProducts.TransposedStride(g) * width) : null;
        var hrT = transposed && wHrTensor is not null ? pool.Rent(RowProducts.TransposedStride(width) * h) : null;
        try
        {
            var wHh = Span(wHhTensor);
            var wHr = wHrTensor is null ? default : Span(Contiguous(wHrTensor));
            var bHh = bHhTensor is null ? default : Span(Contiguous(bHhTensor));
            if (hhT is not null) RowProducts.Transpose(wHh, g, width, hhT);
            if (hrT is not null) RowProducts.Transpose(wHr, width, h, hrT);
            var step = recurrent.AsSpan(0, batch * g);
            for (var i = 0; i < length; i++)
            {
                var t = direction == 1 ? length - 1 - i : i;
                var before = direction == 1 ? t + 1 : t - 1;
                FusedRecurrence.Broadcast(bHh, step, batch, g);
                if (i == 0) FusedRecurrence.Product(wHh, hhT, g, width, h0, width, batch, step, g);
                else FusedRecurrence.Product(wHh, hhT, g, width, y.Slice(before * batch * stride + column), stride, batch, step, g);
                var output = y.Slice(t * batch * stride + column);
                for (var n = 0; n < batch; n++)
                {
                    var row = t * batch + n;
                    var gate = gates.Slice(row * g, g);
                    TensorPrimitives.Add(pre.Slice(row * g, g), step.Slice(n * g, g), gate);
                    var inputAndForget = gate.Slice(0, 2 * h);
                    TensorPrimitives.Sigmoid(inputAndForget, inputAndForget);
                    var candidate = gate.Slice(2 * h, h);
                    TensorPrimitives.Tanh(candidate, candidate);
                    var outputGate = gate.Slice(3 * h, h);
                    TensorPrimitives.Sigmoid(outputGate, outputGate);
                    var c = cells.Slice(row * h, h);
                    var previous = i == 0 ? c0.Slice(n * h, h) : cells.Slice((before * batch + n) * h, h);
                    TensorPrimitives.Multiply(gate.Slice(0, h), candidate, c);
                    TensorPrimitives.MultiplyAdd(gate.Slice(h, h), previous, c, c);
                    var m = unprojected is null ? output.Slice(n * stride, h) : unprojected.AsSpan(n * h, h);
                    TensorPrimitives.Tanh(c, m);
                    TensorPrimitives.Multiply(m, outputGate, m);
                }
                if (unprojected is not null)
                {
                    for (var n = 0; n < batch; n++) output.Slice(n * stride, width).Clear();
                    FusedRecurrence.Product(wHr, hrT, width, h, unprojected, h, batch, output, stride);
                }
            }
            var last = direction == 1 ? 0 : length - 1;
            for (var n = 0; n < batch; n++)
            {
                y.Slice((last * batch + n) * stride + column, width).CopyTo(hN.Slice(n * width, width));
                cells.Slice((last * batch + n) * h, h).CopyTo(cN.Slice(n * h, h));
            }
            if (length == 0)
            {
                h0.CopyTo(hN);
                c0.CopyTo(cN);
            }
        }
        finally
        {
            pool.Return(recurrent);
            if (unprojected is not null) pool.Return(unprojected);
            if (hhT is not null) pool.Return(hhT);
            if (hrT is not null) pool.Return(hrT);
        }
    }

    /// <summary>
    /// Gradients of the stack given those of its results (null where a result was not used): of the input (when it
    /// requires them), h0, c0, and each weight slot (null where the module has none).
    /// </summary>
    internal (Tensor? dx, Tensor dh0, Tensor dc0, Tensor?[] dWeights) Backward(Tensor? dOutput, Tensor? dhN, Tensor? dcN,
        Tensor x, Tensor h0, Tensor c0, Tensor tape, Tensor?[] w, bool inputGrad)
    {
        var length = checked((int)x.shape[0]);
        var batch = checked((int)x.shape[1]);
        var rows = (long)length * batch;
        var layers = (int)options.NumLayers;
        var width = _directions * _out;
        var dWeights = new Tensor?[w.Length];
        var dh0 = torch.empty([options.States, batch, _out], ScalarType.Float32);
        var dc0 = torch.empty([options.States, batch, _hidden], ScalarType.Float32);
        Tensor? dx = null;
        using (var scope = torch.NewDisposeScope())
        {
            var h0c = h0.contiguous();
            var c0c = c0.contiguous();
            var dhNc = dhN?.contiguous();
            var dcNc = dcN?.contiguous();
            var dY = dOutput is null ? torch.zeros(rows, width) : dOutput.contiguous().reshape(rows, width);
            for (var layer = layers - 1; layer >= 0; layer--)
            {
                var layerInput = layer == 0 ? x.contiguous().reshape(rows, x.shape[2]) : tape.narrow(0, LayerOffset(rows, layer - 1), rows * width).view(rows, width);
                var output = tape.narrow(0, LayerOffset(rows, layer), rows * width).view(rows, width);
                Tensor? dInput = null;
                for (var direction = 0; direction < _directions; direction++)
                {
                    var at = layer * _directions + direction;
                    var (gates, cells) = DirectionOffsets(rows, layer, direction);
                    var dGates = torch.empty(rows, 4L * _hidden);
                    var wHh = Contiguous(w[Slots * at + 1]!);
                    var wHr = w[Slots * at + 4] is { } r ? Contiguous(r) : null;
                    var dProjected = wHr is null ? null : torch.empty(rows, _out);
                    var m = wHr is null ? null : torch.empty(rows, _hidden);
                    BackwardDirection(Span(dY), Span(tape).Slice(checked((int)gates), checked((int)(rows * 4 * _hidden))), Span(tape).Slice(checked((int)cells), checked((int)(rows * _hidden))),
                        Span(c0c).Slice(at * batch * _hidden, batch * _hidden),
                        dhNc is null ? default : Span(dhNc).Slice(at * batch * _out, batch * _out),
                        dcNc is null ? default : Span(dcNc).Slice(at * batch * _hidden, batch * _hidden),
                        Span(dGates), dProjected is null ? default : Span(dProjected), m is null ? default : Span(m),
                        Span(dh0).Slice(at * batch * _out, batch * _out), Span(dc0).Slice(at * batch * _hidden, batch * _hidden),
                        Span(wHh), wHr is null ? default : Span(wHr), direction, length, batch);

                    // The weights' gradients over all steps at once.
                    var slot = Slots * at;
                    dWeights[slot] = torch.mm(dGates.t(), layerInput).MoveToOuterDisposeScope();
                    var previous = Previous(output, h0c[at], direction, length, batch, direction * _out);
                    dWeights[slot + 1] = torch.mm(dGates.t(), previous).MoveToOuterDisposeScope();
                    if (w[slot + 2] is not null)
                    {
                        dWeights[slot + 2] = dGates.sum(dim: 0L).MoveToOuterDisposeScope();
                        dWeights[slot + 3] = dWeights[slot + 2]!.clone().MoveToOuterDisposeScope();
                    }
                    if (wHr is not null) dWeights[slot + 4] = torch.mm(dProjected!.t(), m!).MoveToOuterDisposeScope();
                    if (layer > 0 || inputGrad)
                    {
                        var d = torch.mm(dGates, w[slot]!);
                        dInput = dInput is null ? d : dInput.add_(d);
                    }
                }
                if (dInput is not null) dY = dInput;
            }
            if (inputGrad) dx = dY.view(x.shape).MoveToOuterDisposeScope();
        }
        return (dx, dh0, dc0, dWeights);
    }

    /// <summary>
    /// The gradients as <see cref="Backward"/> gives them, but differentiable (double backward, <c>create_graph</c>):
    /// the call replayed on the managed engine under autograd, from the saved input, states and weights, and
    /// differentiated with the incoming gradients. Null where a tensor needs no gradient.
    /// </summary>
    internal (Tensor? dx, Tensor? dh0, Tensor? dc0, Tensor?[] dWeights) BackwardByReplay(Tensor? dOutput, Tensor? dhN, Tensor? dcN,
        Tensor x, Tensor h0, Tensor c0, Tensor?[] w)
    {
        var (output, state) = fallback.Run(options.BatchFirst ? x.transpose(0, 1) : x, new HiddenState(h0, c0), false);
        if (options.BatchFirst) output = output.transpose(0, 1);
        List<Tensor> results = [output, state.h, state.c!];
        List<Tensor> incoming = [dOutput ?? torch.zeros_like(output), dhN ?? torch.zeros_like(state.h), dcN ?? torch.zeros_like(state.c!)];
        Tensor?[] all = [x, h0, c0, .. w];
        var wanted = all.Where(t => t is not null && t.requires_grad).Cast<Tensor>().ToList();
        var grads = torch.autograd.grad(results, wanted, incoming, retain_graph: true, create_graph: true, allow_unused: true);
        var byInput = new Tensor?[all.Length];
        for (int i = 0, j = 0; i < all.Length; i++)
        {
            if (all[i] is { requires_grad: true }) byInput[i] = grads[j++] is { IsInvalid: false } g ? g : null;
        }
        return (byInput[0], byInput[1], byInput[2], byInput[3..]);
    }

    /// <summary>
    /// h_(t-1) for every step's rows (L * N, H_out) of one direction: the step before in the direction's order, h0 at its
    /// first step.
    /// </summary>
    private Tensor Previous(Tensor output, Tensor h0, int direction, int length, int batch, int column)
    {
        var h = output.narrow(1, column, _out);
        if (length == 1) return h0;
        var later = (length - 1) * (long)batch;
        return direction == 0
            ? torch.cat([h0, h.narrow(0, 0, later)], 0)
            : torch.cat([h.narrow(0, batch, later), h0], 0);
    }

    /// <summary>
    /// One layer-direction backward, steps in reverse of the direction's order. <paramref name="dY"/> holds the
    /// gradient of the layer's output (rows, D * H_out); writes the gates' pre-activation gradients (rows, 4H) and, with
    /// projections, each step's dh (rows, H_out) and unprojected h (rows, H) for W_hr's gradient; then dh0 and dc0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BackwardDirection(ReadOnlySpan<float> dY, ReadOnlySpan<float> gates, ReadOnlySpan<float> cells, ReadOnlySpan<float> c0,
        ReadOnlySpan<float> dhN, ReadOnlySpan<float> dcN, Span<float> dGates, Span<float> dProjected, Span<float> unprojected,
        Span<float> dh0, Span<float> dc0, ReadOnlySpan<float> wHh, ReadOnlySpan<float> wHr, int direction, int length, int batch)
    {
        var (h, width, g, stride, column) = Widths(direction);
        var pool = ArrayPool<float>.Shared;
        // dh_(t-1) = dgates W_hh and, with projections, dm = dh W_hr: products that read W's rows. Over several steps
        // the rows are copied a little apart (RowProducts.TransposedStride), so that power-of-two widths do not put
        // them all in the same cache sets; one step reads them once, in place.
        var padded = length > 1;
        var hhStride = padded ? RowProducts.TransposedStride(width) : width;
        var hrStride = padded ? RowProducts.TransposedStride(h) : h;
        var hhPadded = padded ? pool.Rent(hhStride * g) : null;
        var hrPadded = padded && !wHr.IsEmpty ? pool.Rent(hrStride * width) : null;
        var dh = pool.Rent(batch * width);
        var carried = pool.Rent(batch * width);
        var dc = pool.Rent(batch * h);
        var dm = wHr.IsEmpty ? null : pool.Rent(batch * h);
        var tanhC = pool.Rent(h);
        try
        {
            if (hhPadded is not null) Pad(wHh, g, width, hhPadded, hhStride);
            if (hrPadded is not null) Pad(wHr, width, h, hrPadded, hrStride);
            ReadOnlySpan<float> hhRows = hhPadded ?? wHh, hrRows = hrPadded ?? wHr;
            var carriedH = carried.AsSpan(0, batch * width);
            var carriedC = dc.AsSpan(0, batch * h);
            if (dhN.IsEmpty) carriedH.Clear(); else dhN.CopyTo(carriedH);
            if (dcN.IsEmpty) carriedC.Clear(); else dcN.CopyTo(carriedC);
            for (var i = length - 1; i >= 0; i--)
            {
                var t = direction == 1 ? length - 1 - i : i;
                var before = direction == 1 ? t + 1 : t - 1;
                var stepRows = t * batch;
                var dhStep = dProjected.IsEmpty ? dh.AsSpan(0, batch * width) : dProjected.Slice(stepRows * width, batch * width);
                for (var n = 0; n < batch; n++)
                    TensorPrimitives.Add(dY.Slice((stepRows + n) * stride + column, width), carriedH.Slice(n * width, width), dhStep.Slice(n * width, width));
                ReadOnlySpan<float> dmStep = dhStep;
                if (dm is not null)
                {
                    var into = dm.AsSpan(0, batch * h);
                    into.Clear();
                    RowProducts.AccumulateByRows(hrRows, hrStride, width, h, dhStep, width, batch, into, h);
                    dmStep = into;
                }
                for (var n = 0; n < batch; n++)
                {
                    var row = stepRows + n;
                    var c = cells.Slice(row * h, h);
                    var previous = i == 0 ? c0.Slice(n * h, h) : cells.Slice((before * batch + n) * h, h);
                    TensorPrimitives.Tanh(c, tanhC.AsSpan(0, h));
                    GateGradients(gates.Slice(row * g, g), tanhC.AsSpan(0, h), previous, dmStep.Slice(n * h, h), carriedC.Slice(n * h, h),
                        dGates.Slice(row * g, g), unprojected.IsEmpty ? default : unprojected.Slice(row * h, h));
                }
                carriedH.Clear();
                RowProducts.AccumulateByRows(hhRows, hhStride, g, width, dGates.Slice(stepRows * g, batch * g), g, batch, carriedH, width);
            }
            carriedH.CopyTo(dh0);
            carriedC.CopyTo(dc0);
        }
        finally
        {
            if (hhPadded is not null) pool.Return(hhPadded);
            if (hrPadded is not null) pool.Return(hrPadded);
            pool.Return(dh);
            pool.Return(carried);
            pool.Return(dc);
            if (dm is not null) pool.Return(dm);
            pool.Return(tanhC);
        }
    }

    /// <summary>
    /// One row's gate gradients from dm = dL/d(o tanh c) and the cell gradient carried from the step after (updated in
    /// place to the one carried to the step before): with a = (i, f, g, o) activated, dc = carried + dm o (1 - tanh²c),
    /// and the pre-activation gradients dc g i(1-i), dc c_(t-1) f(1-f), dc i (1-g²), dm tanh(c) o(1-o); carried = dc f.
    /// With projections also writes the unprojected h = o tanh(c).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GateGradients(ReadOnlySpan<float> a, ReadOnlySpan<float> tanhC, ReadOnlySpan<float> previous, ReadOnlySpan<float> dm,
        Span<float> carried, Span<float> dGates, Span<float> unprojected)
    {
        var h = tanhC.Length;
        var j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            ref var ar = ref MemoryMarshal.GetReference(a);
            ref var dg = ref MemoryMarshal.GetReference(dGates);
            for (; j <= h - Vector<float>.Count; j += Vector<float>.Count)
            {
                var i = Vector.LoadUnsafe(ref ar, (nuint)j);
                var f = Vector.LoadUnsafe(ref ar, (nuint)(h + j));
                var gg = Vector.LoadUnsafe(ref ar, (nuint)(2 * h + j));
                var o = Vector.LoadUnsafe(ref ar, (nuint)(3 * h + j));
                var tc = new Vector<float>(tanhC.Slice(j));
                var d = new Vector<float>(dm.Slice(j));
                var dcv = new Vector<float>(carried.Slice(j)) + d * o * (one - tc * tc);
                (dcv * gg * i * (one - i)).StoreUnsafe(ref dg, (nuint)j);
                (dcv * new Vector<float>(previous.Slice(j)) * f * (one - f)).StoreUnsafe(ref dg, (nuint)(h + j));
                (dcv * i * (one - gg * gg)).StoreUnsafe(ref dg, (nuint)(2 * h + j));
                (d * tc * o * (one - o)).StoreUnsafe(ref dg, (nuint)(3 * h + j));
                (dcv * f).CopyTo(carried.Slice(j));
                if (!unprojected.IsEmpty) (o * tc).CopyTo(unprojected.Slice(j));
            }
        }
        for (; j < h; j++)
        {
            float i = a[j], f = a[h + j], gg = a[2 * h + j], o = a[3 * h + j], tc = tanhC[j], d = dm[j];
            var dcv = carried[j] + d * o * (1 - tc * tc);
            dGates[j] = dcv * gg * i * (1 - i);
            dGates[h + j] = dcv * previous[j] * f * (1 - f);
            dGates[2 * h + j] = dcv * i * (1 - gg * gg);
            dGates[3 * h + j] = d * tc * o * (1 - o);
            carried[j] = dcv * f;
            if (!unprojected.IsEmpty) unprojected[j] = o * tc;
        }
    }

    /// <summary>W's rows <paramref name="stride"/> apart.</summary>
    private static void Pad(ReadOnlySpan<float> w, int rows, int cols, Span<float> into, int stride)
    {
        for (var r = 0; r < rows; r++) w.Slice(r * cols, cols).CopyTo(into.Slice(r * stride, cols));
    }

    private static Tensor Contiguous(Tensor t) => FusedRecurrence.Contiguous(t);

    private static Span<float> Span(Tensor t) => FusedRecurrence.Span(t);
}
