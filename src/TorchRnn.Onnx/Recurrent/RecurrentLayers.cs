using System;
using System.Collections.Generic;
using System.Linq;
using TorchRnn.Onnx.Graph;
using TorchRnn.Onnx.Kinds;
using TorchRnn.Onnx.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Recurrent;

/// <summary>
/// Writes a stack of recurrent layers over time-major input (L, N, H_in): where the kind has an ONNX operator (RNN,
/// GRU, LSTM, LSTM with peepholes), one such node per layer (both directions in one node); otherwise, and for an LSTM
/// with projections (which ONNX's LSTM cannot express) and for float64 (which ONNX Runtime's recurrent kernels do not
/// run), a <c>Scan</c> per layer and direction whose body is the kind's step written on <see cref="OnnxTensor"/>
/// (<see cref="IOnnxKind"/>).
/// </summary>
/// <remarks>
/// PyTorch stacks gates i, f, g, o (LSTM) and r, z, n (GRU); ONNX stacks i, o, f, c and z, r, h, so the weights are
/// reordered. PyTorch's GRU applies r after the hidden product, which is ONNX's <c>linear_before_reset = 1</c>.
/// Sequence lengths (a packed batch) become ONNX's <c>sequence_lens</c>: each sequence stops at its own length,
/// its output beyond is zero and its final state is the one at its length, the reverse direction starting at its
/// own last step, as PyTorch computes a <c>PackedSequence</c>.
/// </remarks>
internal static class RecurrentLayers
{
    /// <summary>The layers' outputs: (L, N, D * H_out), and the final states (num_layers * D, N, H_out / H_cell).</summary>
    public readonly record struct Result(string Output, string HN, string? CN);

    /// <param name="g">Where to write.</param>
    /// <param name="s">The module.</param>
    /// <param name="x">Time-major input (L, N, H_in).</param>
    /// <param name="h0">(num_layers * D, N, H_out), or null for zeros.</param>
    /// <param name="c0">LSTM's (num_layers * D, N, H_cell), or null for zeros.</param>
    /// <param name="lengths">Each sequence's length, int64 (N), or null when all have length L.</param>
    public static Result Emit(OnnxGraph g, RecurrentSpec s, string x, string? h0, string? c0, string? lengths)
    {
        var w = g.Writer;
        var onnxKind = UsesScan(s) ? OnnxKinds.Step(s.Kind) ?? throw new OnnxExportException(
            $"Cannot export {g.Describe(s.Module)}: its kind {s.Kind.name} has no step written on OnnxTensor; implement IOnnxKind on it.") : null;
        var lens32 = lengths is null ? null : w.Op("Cast", [lengths], GraphWriter.Int("to", (long)TensorProto.Types.DataType.Int32));
        var finalH = new List<string>();
        var finalC = new List<string>();
        var layerInput = x;
        for (var layer = 0L; layer < s.NumLayers; layer++)
        {
            var first = layer * s.Directions;
            var layerH = h0 is null ? null : Rows(w, h0, first, s.Directions, s.NumLayers * s.Directions);
            var layerC = c0 is null ? null : Rows(w, c0, first, s.Directions, s.NumLayers * s.Directions);
            var (y, hn, cn) = onnxKind is not null
                ? ScanLayer(g, s, onnxKind, layer, layerInput, layerH, layerC, lengths)
                : NativeLayer(w, s, layer, layerInput, layerH, layerC, lens32);
            finalH.Add(hn);
            if (cn is not null) finalC.Add(cn);
            layerInput = y;
        }
        return new Result(layerInput, Concat(w, finalH), s.Kind.has_cell ? Concat(w, finalC) : null);
    }

    /// <summary>
    /// A kind without an ONNX operator; ONNX's LSTM has no projection; and ONNX Runtime's RNN, GRU and LSTM kernels are
    /// float32 only (1.32: "does not support double yet"), which ONNX itself allows. Those layers are written with
    /// Scan, whose steps are plain operators.
    /// </summary>
    public static bool UsesScan(RecurrentSpec s) => s.Kind.Onnx is null || s.ProjSize > 0 || s.DType != ScalarType.Float32;

    private static string Concat(GraphWriter w, List<string> parts)
        => parts.Count == 1 ? parts[0] : w.Op("Concat", [.. parts], GraphWriter.Int("axis", 0));

    /// <summary>Rows [first, first + count) of a state stacked on axis 0 (all of it when that is the whole).</summary>
    private static string Rows(GraphWriter w, string state, long first, long count, long total)
        => count == total ? state : w.Op("Slice", state, w.Int64s("starts", first), w.Int64s("ends", first + count), w.Int64s("axes", 0));

    private static (string Y, string HN, string? CN) NativeLayer(GraphWriter w, RecurrentSpec s, long layer, string x,
        string? h0, string? c0, string? lens32)
    {
        var onnxOp = s.Kind.Onnx!;
        var order = onnxOp.GateOrder;
        var directions = s.Bidirectional ? new[] { false, true } : new[] { false };
        string Stacked(string hint, Func<bool, Tensor> pick)
        {
            using var scope = torch.NewDisposeScope();
            return w.Initializer(hint, torch.stack(directions.Select(pick).ToArray()));
        }
        var weight = Stacked($"W_l{layer}", r => Reorder(s.Required("weight_ih", layer, r), order));
        var recurrence = Stacked($"R_l{layer}", r => Reorder(s.Required("weight_hh", layer, r), order));
        var bias = s.Bias
            ? Stacked($"B_l{layer}", r => torch.cat([Reorder(s.Required("bias_ih", layer, r), order), Reorder(s.Required("bias_hh", layer, r), order)]))
            : "";

        var attributes = new List<AttributeProto>
        {
            GraphWriter.Int("hidden_size", s.HiddenSize),
            GraphWriter.String("direction", s.Bidirectional ? "bidirectional" : "forward"),
        };
        if (onnxOp.LinearBeforeReset) attributes.Add(GraphWriter.Int("linear_before_reset", 1));
        if (onnxOp.Activation is { } activation) attributes.Add(GraphWriter.Strings("activations", directions.Select(_ => activation)));
        var inputs = new List<string> { x, weight, recurrence, bias, lens32 ?? "", h0 ?? "" };
        if (s.Kind.has_cell) inputs.Add(c0 ?? "");
        // ONNX's peepholes P stack i, o, f.
        if (onnxOp.Peepholes)
            inputs.Add(Stacked($"P_l{layer}", r => torch.cat([s.Required("weight_ci", layer, r), s.Required("weight_co", layer, r), s.Required("weight_cf", layer, r)])));
        var outputs = w.Node(onnxOp.Op, inputs, s.Kind.has_cell ? 3 : 2, [.. attributes]);

        // Y is (L, D, N, H): to PyTorch's (L, N, D * H).
        var y = w.Op("Transpose", [outputs[0]], GraphWriter.Ints("perm", 0, 2, 1, 3));
        y = w.Op("Reshape", y, w.Int64s("shape", 0, 0, -1));
        return (y, outputs[1], s.Kind.has_cell ? outputs[2] : null);
    }

    private static Tensor Reorder(Tensor t, long[] order)
    {
        if (order.Length == 1) return t.alias();
        var blocks = t.chunk(order.Length, 0);
        return torch.cat(order.Select(i => blocks[i]).ToArray(), 0);
    }

    /// <summary>
    /// One layer as a Scan per direction over the kind's projected input, its body the kind's step on OnnxTensor. With
    /// lengths, a step past a sequence's end keeps the state and outputs zeros, and the reverse direction runs over each
    /// sequence reversed within its own length (ReverseSequence).
    /// </summary>
    private static (string Y, string HN, string? CN) ScanLayer(OnnxGraph g, RecurrentSpec s, IOnnxKind kind, long layer, string x,
        string? h0, string? c0, string? lengths)
    {
        var w = g.Writer;
        string? mask = null;
        if (lengths is not null)
        {
            // mask[t, n, 0] = t < lengths[n]
            var steps = w.Op("Shape", [x], GraphWriter.Int("start", 0), GraphWriter.Int("end", 1));
            var t = w.Op("Range", w.Int64Scalar("zero", 0), w.Op("Squeeze", steps, w.Int64s("axes", 0)), w.Int64Scalar("one", 1));
            var less = w.Op("Less", w.Op("Unsqueeze", t, w.Int64s("axes", 1)), w.Op("Unsqueeze", lengths, w.Int64s("axes", 0)));
            mask = w.Op("Unsqueeze", less, w.Int64s("axes", 2));
        }
        var cell = s.Kind.has_cell;
        var ys = new List<string>();
        var hs = new List<string>();
        var cs = new List<string>();
        for (var d = 0L; d < s.Directions; d++)
        {
            var (y, h, c) = ScanDirection(g, s, kind, layer, d == 1, x, Row(w, h0, d), Row(w, c0, d), mask, lengths);
            ys.Add(y);
            hs.Add(w.Op("Unsqueeze", h, w.Int64s("axes", 0)));
            if (cell) cs.Add(w.Op("Unsqueeze", c!, w.Int64s("axes", 0)));
        }
        var output = ys.Count == 1 ? ys[0] : w.Op("Concat", [.. ys], GraphWriter.Int("axis", 2));
        return (output, Concat(w, hs), cell ? Concat(w, cs) : null);
    }

    private static string? Row(GraphWriter w, string? state, long d)
        => state is null ? null : w.Op("Squeeze", w.Op("Slice", state, w.Int64s("starts", d), w.Int64s("ends", d + 1), w.Int64s("axes", 0)), w.Int64s("axes", 0));

    /// <summary>
    /// One direction: the projection over the whole (time-major) layer input in the model's graph, then a Scan whose body
    /// is the kind's step. The OnnxTensor values are built on random examples (two steps, a batch of two), on which the
    /// kind's own project and step run too: a step written differently on OnnxTensor is refused before anything is saved.
    /// </summary>
    private static (string Y, string H, string? C) ScanDirection(OnnxGraph g, RecurrentSpec s, IOnnxKind kind, long layer, bool reverse,
        string x, string? h0, string? c0, string? mask, string? lengths)
    {
        var w = g.Writer;
        var dtype = s.DType;
        var cell = s.Kind.has_cell;
        var suffix = $"_l{layer}{(reverse ? "_reverse" : "")}";
        var weights = s.Weights(layer, reverse);
        var constants = new OnnxCellWeights(g, weights, suffix, new Dictionary<string, string>());

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (exampleX, exampleH, exampleC) = RandomExamples(s, layer, dtype);
        // An export is of the module in eval mode: the step to agree with is the eval one.
        var expected = s.Kind.Prepare(weights, exampleX, batchSizes: null, training: false).Step(0, new HiddenState(exampleH, exampleC));

        var projectedOnnx = kind.project(new OnnxTensor(g, x, g.Keep(exampleX)), constants);
        var projected = projectedOnnx.Name;
        var reversedByLength = reverse && lengths is not null;
        if (reversedByLength)
            projected = w.Op("ReverseSequence", [projected, lengths!], GraphWriter.Int("batch_axis", 1), GraphWriter.Int("time_axis", 0));

        h0 ??= Zeros(w, x, s.OutputSize, dtype);
        if (cell) c0 ??= Zeros(w, x, s.HiddenSize, dtype);

        // The body: state (h[, c]), scan inputs (projected step[, mask step]), outputs (h'[, c'], y).
        var body = new GraphWriter($"{s.Kind.name.ToLowerInvariant()}_step{suffix}", w.Names);
        using var bodyGraph = new OnnxGraph(body, g);
        OnnxTensor BodyInput(string hint, Tensor example)
        {
            var name = w.Names.Fresh(hint);
            body.Proto.Input.Add(GraphWriter.ValueInfo(name, example.dtype, null));
            return new OnnxTensor(bodyGraph, name, bodyGraph.Keep(example));
        }
        var hIn = BodyInput("h_prev", exampleH);
        var cIn = cell ? BodyInput("c_prev", exampleC!) : null;
        var xIn = BodyInput("x_step", projectedOnnx.Example[0]);
        var mIn = mask is null ? null : BodyInput("mask_step", torch.ones(exampleH.shape[0], 1, dtype: ScalarType.Bool));

        var (hNext, cNext) = kind.step(xIn, (hIn, cIn), constants.In(bodyGraph));
        Agree(g, s, expected, hNext, cNext);
        string h = hNext.Name, c = cNext?.Name ?? "";
        var y = h;
        if (mIn is not null)
        {
            h = body.Op("Where", mIn.Name, h, hIn.Name);
            if (cell) c = body.Op("Where", mIn.Name, c, cIn!.Name);
            y = body.Op("Where", mIn.Name, y, Zero(w, dtype));
        }
        void BodyOutput(string value, string hint)
        {
            var name = w.Names.Fresh(hint);
            body.Rename(value, name);
            body.Proto.Output.Add(GraphWriter.ValueInfo(name, dtype, null));
        }
        BodyOutput(h, "h_next");
        if (cell) BodyOutput(c, "c_next");
        BodyOutput(y, "y_step");

        var scanInputs = mask is null ? 1 : 2;
        var attributes = new List<AttributeProto>
        {
            GraphWriter.Graph("body", body.Proto),
            GraphWriter.Int("num_scan_inputs", scanInputs),
        };
        if (reverse && !reversedByLength)
        {
            attributes.Add(GraphWriter.Ints("scan_input_directions", Enumerable.Repeat(1L, scanInputs).ToArray()));
            attributes.Add(GraphWriter.Ints("scan_output_directions", 1));
        }
        var scanIn = new List<string> { h0 };
        if (cell) scanIn.Add(c0!);
        scanIn.Add(projected);
        if (mask is not null) scanIn.Add(mask);
        var outs = w.Node("Scan", scanIn, cell ? 3 : 2, [.. attributes]);
        var output = outs[^1];
        if (reversedByLength)
            output = w.Op("ReverseSequence", [output, lengths!], GraphWriter.Int("batch_axis", 1), GraphWriter.Int("time_axis", 0));
        return (output, outs[0], cell ? outs[1] : null);
    }

    /// <summary>A layer input of two steps of a batch of two, and states, drawn without moving the user's generator.</summary>
    private static (Tensor X, Tensor H, Tensor? C) RandomExamples(RecurrentSpec s, long layer, ScalarType dtype)
        => Engines.RandomState.Preserved(() =>
        {
            torch.manual_seed(20261205);
            var x = torch.randn(2, 2, s.LayerInputSize(layer), dtype: dtype);
            var h = torch.randn(2, s.OutputSize, dtype: dtype);
            var c = s.Kind.has_cell ? torch.randn(2, s.HiddenSize, dtype: dtype) : null;
            return (x, h, c);
        });

    /// <summary>Refuses a step on OnnxTensor that computes something else than the kind's step.</summary>
    private static void Agree(OnnxGraph g, RecurrentSpec s, HiddenState expected, OnnxTensor h, OnnxTensor? c)
    {
        if ((c is null) != (expected.c is null))
            throw new OnnxExportException($"Cannot export {g.Describe(s.Module)}: the ONNX step of {s.Kind.name} returns {(c is null ? "no" : "a")} cell state, its step {(expected.c is null ? "none" : "one")}.");
        var pairs = c is null ? new[] { (h.Example, expected.h) } : [(h.Example, expected.h), (c.Example, expected.c!)];
        foreach (var (actual, wanted) in pairs)
        {
            if (!actual.shape.SequenceEqual(wanted.shape) || !torch.allclose(actual, wanted, rtol: 1e-4, atol: 1e-5))
                throw new OnnxExportException(
                    $"Cannot export {g.Describe(s.Module)}: the ONNX step of {s.Kind.name} (IOnnxKind) does not compute what its step computes " +
                    "on random values; write it with the same operations.");
        }
    }

    /// <summary>Zeros (N, size), N being the batch axis of time-major <paramref name="x"/>.</summary>
    private static string Zeros(GraphWriter w, string x, long size, ScalarType dtype)
    {
        var batch = w.Op("Shape", [x], GraphWriter.Int("start", 1), GraphWriter.Int("end", 2));
        return w.Op("Expand", Zero(w, dtype), w.Op("Concat", [batch, w.Int64s("size", size)], GraphWriter.Int("axis", 0)));
    }

    private static string Zero(GraphWriter w, ScalarType dtype)
    {
        using var zero = torch.zeros([], dtype);
        return w.Initializer("zero", zero);
    }
}
