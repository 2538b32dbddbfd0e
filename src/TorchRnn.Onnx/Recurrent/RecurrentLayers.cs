using System;
using System.Collections.Generic;
using System.Linq;
using TorchRnn.Onnx.Graph;
using TorchRnn.Onnx.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Recurrent;

/// <summary>
/// Writes a stack of recurrent layers over time-major input (L, N, H_in): one ONNX <c>RNN</c>, <c>GRU</c> or
/// <c>LSTM</c> node per layer (both directions in one node), or, for an LSTM with projections (which ONNX's LSTM
/// cannot express) and for float64 (which ONNX Runtime's recurrent kernels do not run), a <c>Scan</c> per layer and
/// direction whose body is PyTorch's step.
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
    // PyTorch's gate blocks in ONNX's order.
    private static readonly long[] LstmOrder = [0, 3, 1, 2];
    private static readonly long[] GruOrder = [1, 0, 2];

    /// <summary>The layers' outputs: (L, N, D * H_out), and the final states (num_layers * D, N, H_out / H_cell).</summary>
    public readonly record struct Result(string Output, string HN, string? CN);

    /// <param name="w">Where to write.</param>
    /// <param name="s">The module.</param>
    /// <param name="x">Time-major input (L, N, H_in).</param>
    /// <param name="h0">(num_layers * D, N, H_out), or null for zeros.</param>
    /// <param name="c0">LSTM's (num_layers * D, N, H_cell), or null for zeros.</param>
    /// <param name="lengths">Each sequence's length, int64 (N), or null when all have length L.</param>
    public static Result Emit(GraphWriter w, RecurrentSpec s, string x, string? h0, string? c0, string? lengths)
    {
        var lens32 = lengths is null ? null : w.Op("Cast", [lengths], GraphWriter.Int("to", (long)TensorProto.Types.DataType.Int32));
        var finalH = new List<string>();
        var finalC = new List<string>();
        var layerInput = x;
        for (var layer = 0L; layer < s.NumLayers; layer++)
        {
            var first = layer * s.Directions;
            var layerH = h0 is null ? null : Rows(w, h0, first, s.Directions, s.NumLayers * s.Directions);
            var layerC = c0 is null ? null : Rows(w, c0, first, s.Directions, s.NumLayers * s.Directions);
            var (y, hn, cn) = UsesScan(s)
                ? ScanLayer(w, s, layer, layerInput, layerH, layerC, lengths)
                : NativeLayer(w, s, layer, layerInput, layerH, layerC, lens32);
            finalH.Add(hn);
            if (cn is not null) finalC.Add(cn);
            layerInput = y;
        }
        return new Result(layerInput, Concat(w, finalH), s.Mode == Mode.Lstm ? Concat(w, finalC) : null);
    }

    /// <summary>
    /// ONNX's LSTM has no projection; and ONNX Runtime's RNN, GRU and LSTM kernels are float32 only (1.32: "does not
    /// support double yet"), which ONNX itself allows. Those layers are written with Scan, whose steps are plain operators.
    /// </summary>
    public static bool UsesScan(RecurrentSpec s) => s.ProjSize > 0 || s.DType != ScalarType.Float32;

    private static string Concat(GraphWriter w, List<string> parts)
        => parts.Count == 1 ? parts[0] : w.Op("Concat", [.. parts], GraphWriter.Int("axis", 0));

    /// <summary>Rows [first, first + count) of a state stacked on axis 0 (all of it when that is the whole).</summary>
    private static string Rows(GraphWriter w, string state, long first, long count, long total)
        => count == total ? state : w.Op("Slice", state, w.Int64s("starts", first), w.Int64s("ends", first + count), w.Int64s("axes", 0));

    private static (string Y, string HN, string? CN) NativeLayer(GraphWriter w, RecurrentSpec s, long layer, string x,
        string? h0, string? c0, string? lens32)
    {
        var order = s.Mode switch
        {
            Mode.Lstm => LstmOrder,
            Mode.Gru => GruOrder,
            _ => [0L],
        };
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
        var op = "LSTM";
        if (s.Mode == Mode.Gru)
        {
            op = "GRU";
            attributes.Add(GraphWriter.Int("linear_before_reset", 1));
        }
        else if (s.Mode is Mode.RnnTanh or Mode.RnnRelu)
        {
            op = "RNN";
            attributes.Add(GraphWriter.Strings("activations", directions.Select(_ => s.Mode == Mode.RnnRelu ? "Relu" : "Tanh")));
        }
        var inputs = new List<string> { x, weight, recurrence, bias, lens32 ?? "", h0 ?? "" };
        if (s.Mode == Mode.Lstm) inputs.Add(c0 ?? "");
        var outputs = w.Node(op, inputs, s.Mode == Mode.Lstm ? 3 : 2, [.. attributes]);

        // Y is (L, D, N, H): to PyTorch's (L, N, D * H).
        var y = w.Op("Transpose", [outputs[0]], GraphWriter.Ints("perm", 0, 2, 1, 3));
        y = w.Op("Reshape", y, w.Int64s("shape", 0, 0, -1));
        return (y, outputs[1], s.Mode == Mode.Lstm ? outputs[2] : null);
    }

    private static Tensor Reorder(Tensor t, long[] order)
    {
        if (order.Length == 1) return t.alias();
        var blocks = t.chunk(order.Length, 0);
        return torch.cat(order.Select(i => blocks[i]).ToArray(), 0);
    }

    /// <summary>
    /// One layer as a Scan per direction over the precomputed input products, its body PyTorch's step for the mode.
    /// With lengths, a step past a sequence's end keeps the state and outputs zeros, and the reverse direction runs
    /// over each sequence reversed within its own length (ReverseSequence).
    /// </summary>
    private static (string Y, string HN, string? CN) ScanLayer(GraphWriter w, RecurrentSpec s, long layer, string x,
        string? h0, string? c0, string? lengths)
    {
        string? mask = null;
        if (lengths is not null)
        {
            // mask[t, n, 0] = t < lengths[n]
            var steps = w.Op("Shape", [x], GraphWriter.Int("start", 0), GraphWriter.Int("end", 1));
            var t = w.Op("Range", w.Int64Scalar("zero", 0), w.Op("Squeeze", steps, w.Int64s("axes", 0)), w.Int64Scalar("one", 1));
            var less = w.Op("Less", w.Op("Unsqueeze", t, w.Int64s("axes", 1)), w.Op("Unsqueeze", lengths, w.Int64s("axes", 0)));
            mask = w.Op("Unsqueeze", less, w.Int64s("axes", 2));
        }
        var lstm = s.Mode == Mode.Lstm;
        var ys = new List<string>();
        var hs = new List<string>();
        var cs = new List<string>();
        for (var d = 0L; d < s.Directions; d++)
        {
            var (y, h, c) = ScanDirection(w, s, layer, d == 1, x, Row(w, h0, d), Row(w, c0, d), mask, lengths);
            ys.Add(y);
            hs.Add(w.Op("Unsqueeze", h, w.Int64s("axes", 0)));
            if (lstm) cs.Add(w.Op("Unsqueeze", c!, w.Int64s("axes", 0)));
        }
        var output = ys.Count == 1 ? ys[0] : w.Op("Concat", [.. ys], GraphWriter.Int("axis", 2));
        return (output, Concat(w, hs), lstm ? Concat(w, cs) : null);
    }

    private static string? Row(GraphWriter w, string? state, long d)
        => state is null ? null : w.Op("Squeeze", w.Op("Slice", state, w.Int64s("starts", d), w.Int64s("ends", d + 1), w.Int64s("axes", 0)), w.Int64s("axes", 0));

    private static (string Y, string H, string? C) ScanDirection(GraphWriter w, RecurrentSpec s, long layer, bool reverse,
        string x, string? h0, string? c0, string? mask, string? lengths)
    {
        var dtype = s.DType;
        var lstm = s.Mode == Mode.Lstm;
        var gru = s.Mode == Mode.Gru;
        var suffix = $"_l{layer}{(reverse ? "_reverse" : "")}";
        string? Transposed(string kind)
        {
            using var scope = torch.NewDisposeScope();
            var p = s.Parameter(kind, layer, reverse);
            return p is null ? null : w.Initializer($"{kind}T{suffix}", p.t());
        }
        var wIh = Transposed("weight_ih")!;
        var wHh = Transposed("weight_hh")!;
        var wHr = Transposed("weight_hr");
        var projected = w.Op("MatMul", x, wIh); // (L, N, gates * H)
        string? bHh = null;
        if (s.Bias)
        {
            using var scope = torch.NewDisposeScope();
            var bIh = s.Required("bias_ih", layer, reverse);
            // GRU's b_hn sits inside r * (...), so its hidden bias stays in the step; the others fold into the input's.
            projected = w.Op("Add", projected, w.Initializer($"b{suffix}", gru ? bIh : bIh + s.Required("bias_hh", layer, reverse)));
            if (gru) bHh = w.Initializer($"bias_hh{suffix}", s.Required("bias_hh", layer, reverse));
        }
        var reversedByLength = reverse && lengths is not null;
        if (reversedByLength)
            projected = w.Op("ReverseSequence", [projected, lengths!], GraphWriter.Int("batch_axis", 1), GraphWriter.Int("time_axis", 0));

        h0 ??= Zeros(w, x, s.OutputSize, dtype);
        if (lstm) c0 ??= Zeros(w, x, s.HiddenSize, dtype);

        // The body: state (h[, c]), scan inputs (projected step[, mask step]), outputs (h'[, c'], y).
        var body = new GraphWriter($"{s.Mode.ToString().ToLowerInvariant()}_step{suffix}", w.Names);
        string BodyInput(string hint, ScalarType type)
        {
            var name = w.Names.Fresh(hint);
            body.Proto.Input.Add(GraphWriter.ValueInfo(name, type, null));
            return name;
        }
        var hIn = BodyInput("h_prev", dtype);
        var cIn = lstm ? BodyInput("c_prev", dtype) : null;
        var xIn = BodyInput("x_step", dtype);
        var mIn = mask is null ? null : BodyInput("mask_step", ScalarType.Bool);

        var hidden = body.Op("MatMul", hIn, wHh);
        string h, c = "";
        switch (s.Mode)
        {
            case Mode.Lstm:
            {
                var split = body.Node("Split", [body.Op("Add", xIn, hidden)], 4, GraphWriter.Int("axis", 1), GraphWriter.Int("num_outputs", 4));
                var (i, f, g, o) = (body.Op("Sigmoid", split[0]), body.Op("Sigmoid", split[1]), body.Op("Tanh", split[2]), body.Op("Sigmoid", split[3]));
                c = body.Op("Add", body.Op("Mul", f, cIn!), body.Op("Mul", i, g));
                h = body.Op("Mul", o, body.Op("Tanh", c));
                if (wHr is not null) h = body.Op("MatMul", h, wHr);
                break;
            }
            case Mode.Gru:
            {
                if (bHh is not null) hidden = body.Op("Add", hidden, bHh);
                var xs = body.Node("Split", [xIn], 3, GraphWriter.Int("axis", 1), GraphWriter.Int("num_outputs", 3));
                var hs = body.Node("Split", [hidden], 3, GraphWriter.Int("axis", 1), GraphWriter.Int("num_outputs", 3));
                var r = body.Op("Sigmoid", body.Op("Add", xs[0], hs[0]));
                var z = body.Op("Sigmoid", body.Op("Add", xs[1], hs[1]));
                var n = body.Op("Tanh", body.Op("Add", xs[2], body.Op("Mul", r, hs[2])));
                h = body.Op("Add", n, body.Op("Mul", z, body.Op("Sub", hIn, n))); // (1 - z) n + z h
                break;
            }
            default:
                h = body.Op(s.Mode == Mode.RnnRelu ? "Relu" : "Tanh", body.Op("Add", xIn, hidden));
                break;
        }
        var y = h;
        if (mIn is not null)
        {
            h = body.Op("Where", mIn, h, hIn);
            if (lstm) c = body.Op("Where", mIn, c, cIn!);
            y = body.Op("Where", mIn, y, Zero(w, dtype));
        }
        void BodyOutput(string value, string hint)
        {
            var name = w.Names.Fresh(hint);
            body.Rename(value, name);
            body.Proto.Output.Add(GraphWriter.ValueInfo(name, dtype, null));
        }
        BodyOutput(h, "h_next");
        if (lstm) BodyOutput(c, "c_next");
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
        if (lstm) scanIn.Add(c0!);
        scanIn.Add(projected);
        if (mask is not null) scanIn.Add(mask);
        var outs = w.Node("Scan", scanIn, lstm ? 3 : 2, [.. attributes]);
        var output = outs[^1];
        if (reversedByLength)
            output = w.Op("ReverseSequence", [output, lengths!], GraphWriter.Int("batch_axis", 1), GraphWriter.Int("time_axis", 0));
        return (output, outs[0], lstm ? outs[1] : null);
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
