using System;
using TorchRnn.Onnx.Graph;
using TorchRnn.Onnx.Layers;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Recurrent;

/// <summary>
/// What <see cref="OnnxModules"/>' recurrent calls share: the module runs on the example values first (so a bad
/// input fails with TorchRnn's own message before anything is written), then the layout is brought to ONNX's
/// time-major (L, N, *) with states (num_layers * D, N, *), the layers are written, and the results are brought back.
/// </summary>
internal static class RecurrentCalls
{
    public delegate (Tensor output, Tensor h_n, Tensor? c_n) SequenceRun(Tensor input, Tensor? h0, Tensor? c0);

    public delegate (PackedSequence output, Tensor h_n, Tensor? c_n) PackedRun(PackedSequence input, Tensor? h0, Tensor? c0);

    public delegate (Tensor h, Tensor? c) CellRun(Tensor input, Tensor? h, Tensor? c);

    public static (OnnxTensor output, OnnxTensor h_n, OnnxTensor? c_n) Sequence(RecurrentSpec s, OnnxTensor input,
        OnnxTensor? h0, OnnxTensor? c0, SequenceRun run)
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = input.Graph;
        Prepare(g, s, h0, c0);
        var batched = input.dim() == 3;
        var batch = batched ? input.shape[s.BatchFirst ? 0 : 1] : 0;
        Tensor? eh = null, ec = null;
        var eo = g.Eager(() =>
        {
            var (o, h, c) = run(input.Example, Broadcast(s, h0, batch, s.OutputSize), Broadcast(s, c0, batch, s.HiddenSize));
            (eh, ec) = (g.Keep(h), c is null ? null : g.Keep(c));
            return o;
        });

        var w = g.Writer;
        var x = input.Name;
        if (!batched) x = w.Op("Unsqueeze", x, w.Int64s("axes", 1));
        else if (s.BatchFirst) x = w.Op("Transpose", [x], GraphWriter.Ints("perm", 1, 0, 2));
        var r = RecurrentLayers.Emit(g, s, x, State(w, s, h0, x, batched, s.OutputSize), State(w, s, c0, x, batched, s.HiddenSize), null);
        var output = r.Output;
        string hn = r.HN, cn = r.CN ?? "";
        if (!batched)
        {
            output = w.Op("Squeeze", output, w.Int64s("axes", 1));
            hn = w.Op("Squeeze", hn, w.Int64s("axes", 1));
            if (r.CN is not null) cn = w.Op("Squeeze", cn, w.Int64s("axes", 1));
        }
        else if (s.BatchFirst)
        {
            output = w.Op("Transpose", [output], GraphWriter.Ints("perm", 1, 0, 2));
        }
        return (new OnnxTensor(g, output, eo), new OnnxTensor(g, hn, eh!), ec is null ? null : new OnnxTensor(g, cn, ec));
    }

    public static (OnnxPackedSequence output, OnnxTensor h_n, OnnxTensor? c_n) Packed(RecurrentSpec s, OnnxPackedSequence input,
        OnnxTensor? h0, OnnxTensor? c0, PackedRun run)
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = input.Data.Graph;
        Prepare(g, s, h0, c0);
        var batch = input.Data.shape[1];
        PackedSequence? packed = null;
        Tensor? eh = null, ec = null;
        var padded = g.Eager(() =>
        {
            var (o, h, c) = run(input.Example, Broadcast(s, h0, batch, s.OutputSize), Broadcast(s, c0, batch, s.HiddenSize));
            packed = g.Keep(o);
            (eh, ec) = (g.Keep(h), c is null ? null : g.Keep(c));
            return nn.utils.rnn.pad_packed_sequence(packed).padded;
        });

        var w = g.Writer;
        var x = input.Data.Name;
        var r = RecurrentLayers.Emit(g, s, x, State(w, s, h0, x, true, s.OutputSize), State(w, s, c0, x, true, s.HiddenSize), input.Lengths.Name);
        var data = new OnnxTensor(g, r.Output, padded);
        return (new OnnxPackedSequence(data, input.Lengths, packed!), new OnnxTensor(g, r.HN, eh!),
            ec is null ? null : new OnnxTensor(g, r.CN!, ec));
    }

    public static (OnnxTensor h, OnnxTensor? c) Cell(RecurrentSpec s, OnnxTensor input, OnnxTensor? h0, OnnxTensor? c0, CellRun run)
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = input.Graph;
        Prepare(g, s, h0, c0);
        var batched = input.dim() == 2;
        Tensor? ec = null;
        var eh = g.Eager(() =>
        {
            var (h, c) = run(input.Example, BroadcastCell(h0, input), BroadcastCell(c0, input));
            ec = c is null ? null : g.Keep(c);
            return h;
        });

        // One step of a one-layer sequence: (1, N, H_in) with states (1, N, H).
        var w = g.Writer;
        var axes = batched ? new long[] { 0 } : [0, 1];
        var x = w.Op("Unsqueeze", input.Name, w.Int64s("axes", axes));
        string? Step(OnnxTensor? state)
        {
            if (state is null) return null;
            var s3 = w.Op("Unsqueeze", state.Name, w.Int64s("axes", axes));
            return batched ? Expand(w, s3, x, s.HiddenSize, 1) : s3;
        }
        var r = RecurrentLayers.Emit(g, s, x, Step(h0), Step(c0), null);
        var h = w.Op("Squeeze", r.HN, w.Int64s("axes", axes));
        var c = r.CN is null ? null : w.Op("Squeeze", r.CN, w.Int64s("axes", axes));
        return (new OnnxTensor(g, h, eh), c is null ? null : new OnnxTensor(g, c, ec!));
    }

    private static void Prepare(OnnxGraph g, RecurrentSpec s, OnnxTensor? h0, OnnxTensor? c0)
    {
        if (h0 is not null) g.Own(h0);
        if (c0 is not null) g.Own(c0);
        if ((h0 is null) != (c0 is null) && s.Kind.has_cell)
            throw new ArgumentException("LSTM's state is a pair: give both h_0 and c_0, or neither.");
        LayerCalls.RequireEval(g, s.Module);
    }

    /// <summary>A batched state as the layers take it: time-major (num_layers * D, N, size), a batch of 1 broadcast to
    /// the input's (Expand with the input's batch axis); unbatched (num_layers * D, size) gains the batch axis.</summary>
    private static string? State(GraphWriter w, RecurrentSpec s, OnnxTensor? state, string timeMajor, bool batched, long size)
    {
        if (state is null) return null;
        return batched
            ? Expand(w, state.Name, timeMajor, size, s.NumLayers * s.Directions)
            : w.Op("Unsqueeze", state.Name, w.Int64s("axes", 1));
    }

    private static string Expand(GraphWriter w, string state, string timeMajor, long size, long rows)
    {
        var batch = w.Op("Shape", [timeMajor], GraphWriter.Int("start", 1), GraphWriter.Int("end", 2));
        var shape = w.Op("Concat", [w.Int64s("rows", rows), batch, w.Int64s("size", size)], GraphWriter.Int("axis", 0));
        return w.Op("Expand", state, shape);
    }

    private static Tensor? Broadcast(RecurrentSpec s, OnnxTensor? state, long batch, long size)
    {
        if (state is null) return null;
        var e = state.Example;
        return e.dim() == 3 && e.shape[1] == 1 && batch != 1 ? e.expand(s.NumLayers * s.Directions, batch, size) : e;
    }

    private static Tensor? BroadcastCell(OnnxTensor? state, OnnxTensor input)
    {
        if (state is null) return null;
        var e = state.Example;
        return e.dim() == 2 && e.shape[0] == 1 && input.dim() == 2 && input.shape[0] != 1 ? e.expand(input.shape[0], e.shape[1]) : e;
    }
}
