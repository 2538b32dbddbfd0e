using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using TorchRnn.Onnx.Graph;
using TorchRnn.Onnx.Protobuf;
using DataType = TorchRnn.Onnx.Protobuf.TensorProto.Types.DataType;

namespace TorchRnn.Onnx.Quantization;

/// <summary>
/// Rewrites a float32 ONNX model's main graph with int8 weights, node by node in place (the graph stays in
/// topological order): <c>LSTM</c> becomes com.microsoft's <c>DynamicQuantizeLSTM</c>; <c>MatMul</c> by a constant
/// becomes <c>DynamicQuantizeLinear</c> + <c>MatMulInteger</c> + rescale; <c>Gather</c> from a constant table becomes
/// an int8 lookup + rescale. Weights are symmetric int8 (zero point 0, <see cref="SymmetricInt8"/>); activations are
/// quantised at run time by ONNX Runtime (uint8, the range of the values at hand).
/// </summary>
internal sealed class DynamicQuantizer
{
    public const string MicrosoftDomain = "com.microsoft";

    private readonly ModelProto _model;
    private readonly bool _perChannel;
    private readonly bool _reduceRange;
    private readonly HashSet<string> _ops;
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly Dictionary<string, (string Values, string Scales)> _done = new(StringComparer.Ordinal);
    private readonly Names _names = new();
    private readonly List<string> _quantized = [];
    private readonly List<string> _kept = [];
    private long _floatBytes;
    private long _int8Bytes;

    public DynamicQuantizer(ModelProto model, bool perChannel, bool reduceRange, IEnumerable<string> ops)
    {
        _model = model;
        _perChannel = perChannel;
        _reduceRange = reduceRange;
        _ops = new HashSet<string>(ops, StringComparer.Ordinal);
        var graph = model.Graph;
        _initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var name in AllNames(graph).Distinct(StringComparer.Ordinal)) _names.Reserve(name);
    }

    public QuantizationSummary Run()
    {
        var graph = _model.Graph;
        var nodes = graph.Node.ToList();
        graph.Node.Clear();
        var usesMicrosoft = false;
        foreach (var node in nodes)
        {
            var replacement = node.Domain is "" or "ai.onnx" ? Rewrite(node) : null;
            if (replacement is null)
            {
                graph.Node.Add(node);
                continue;
            }
            graph.Node.AddRange(replacement);
            usesMicrosoft |= replacement.Any(n => n.Domain == MicrosoftDomain);
        }
        RemoveUnused(graph);
        if (usesMicrosoft && _model.OpsetImport.All(o => o.Domain != MicrosoftDomain))
            _model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        return new QuantizationSummary(_quantized, _kept, _floatBytes, _int8Bytes);
    }

    private List<NodeProto>? Rewrite(NodeProto node)
    {
        switch (node.OpType)
        {
            case "LSTM" when _ops.Contains("LSTM"):
                if (FloatInitializer(node, 1, 3) is { } w && FloatInitializer(node, 2, 3) is { } r) return Lstm(node, w, r);
                Keep(node, "its weights are not float32 constants");
                return null;
            case "MatMul" when _ops.Contains("MatMul"):
                return FloatInitializer(node, 1, 2) is { } b ? MatMul(node, b) : null; // activations times activations stay float
            case "Gather" when _ops.Contains("Gather"):
                var axis = node.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 0;
                return axis == 0 && FloatInitializer(node, 0, 2) is { } table ? Gather(node, table) : null;
            case "GRU":
            case "RNN":
                Keep(node, "ONNX Runtime has no int8 kernel for it (com.microsoft's DynamicQuantizeLSTM covers LSTM only)");
                return null;
            case "Scan":
                Keep(node, "a Scan's step (an LSTM with proj_size, or float64) keeps its float weights");
                return null;
            default:
                return null;
        }
    }

    private void Keep(NodeProto node, string why) => _kept.Add($"{node.OpType} {node.Name}: {why}");

    /// <summary>The node's input <paramref name="index"/> when it is a float32 initializer of rank <paramref name="rank"/>
    /// (and not a graph input a caller may override).</summary>
    private TensorProto? FloatInitializer(NodeProto node, int index, int rank)
    {
        if (node.Input.Count <= index || !_initializers.TryGetValue(node.Input[index], out var t)) return null;
        if (t.DataType != (int)DataType.Float || t.Dims.Count != rank) return null;
        return _model.Graph.Input.Any(i => i.Name == t.Name) ? null : t;
    }

    // DynamicQuantizeLSTM (com.microsoft): X, W (D, H_in, 4H), R (D, H, 4H), B, sequence_lens, initial_h, initial_c, P,
    // W_scale, W_zero_point, R_scale, R_zero_point; scales and zero points (D, 4H) per channel or (D) per direction.
    private List<NodeProto> Lstm(NodeProto node, TensorProto w, TensorProto r)
    {
        var (wq, ws, wz) = LstmWeights(w);
        var (rq, rs, rz) = LstmWeights(r);
        var q = new NodeProto { OpType = "DynamicQuantizeLSTM", Domain = MicrosoftDomain, Name = _names.Fresh(node.Name + "_int8") };
        q.Input.Add(node.Input[0]);
        q.Input.Add(wq);
        q.Input.Add(rq);
        for (var i = 3; i < 8; i++) q.Input.Add(node.Input.Count > i ? node.Input[i] : "");
        q.Input.AddRange([ws, wz, rs, rz]);
        q.Output.AddRange(node.Output);
        q.Attribute.AddRange(node.Attribute);
        _quantized.Add($"LSTM {node.Name} -> DynamicQuantizeLSTM");
        return [q];
    }

    /// <summary>An ONNX LSTM weight (D, 4H, K) as DynamicQuantizeLSTM's (D, K, 4H) int8, its scales and zero points.</summary>
    private (string Values, string Scales, string ZeroPoints) LstmWeights(TensorProto weight)
    {
        var d = (int)weight.Dims[0];
        var rows = (int)weight.Dims[1];
        var floats = Floats(weight);
        var per = floats.Length / d;
        var values = new sbyte[floats.Length];
        var scales = new List<float>();
        for (var dir = 0; dir < d; dir++)
        {
            var (q, s) = SymmetricInt8.Quantize(floats.AsSpan(dir * per, per), rows, _perChannel, _reduceRange);
            SymmetricInt8.Transpose<sbyte>(q, rows).CopyTo(values, dir * per);
            scales.AddRange(s);
        }
        long[] scaleShape = _perChannel ? [d, rows] : [d];
        Account(weight, values.Length);
        return (AddInitializer(weight.Name + "_int8", [d, weight.Dims[2], rows], values),
            AddInitializer(weight.Name + "_scale", scaleShape, scales.ToArray()),
            AddInitializer(weight.Name + "_zero_point", scaleShape, new sbyte[scales.Count]));
    }

    // y = x B: x to uint8 at run time (DynamicQuantizeLinear), B int8 (K, N) with one scale per column n;
    // MatMulInteger sums (x_q - x_zero) * B_q exactly in int32, then y = that * x_scale * B_scale[n].
    private List<NodeProto> MatMul(NodeProto node, TensorProto b)
    {
        var (values, scales) = Weights(b, columns: true);
        var xq = Node("DynamicQuantizeLinear", [node.Input[0]], 3);
        var product = Node("MatMulInteger", [xq.Output[0], values, xq.Output[2]], 1);
        var cast = Node("Cast", [product.Output[0]], 1, GraphWriter.Int("to", (long)DataType.Float));
        var scale = Node("Mul", [xq.Output[1], scales], 1);
        var y = new NodeProto { OpType = "Mul", Name = _names.Fresh(node.Name + "_rescale") };
        y.Input.AddRange([cast.Output[0], scale.Output[0]]);
        y.Output.AddRange(node.Output);
        _quantized.Add($"MatMul {node.Name} -> MatMulInteger");
        return [xq, product, cast, scale, y];
    }

    // An embedding lookup: int8 rows (one scale per row, the channel being the row a token selects), cast and rescaled.
    private List<NodeProto> Gather(NodeProto node, TensorProto table)
    {
        var (values, scales) = Weights(table, columns: false);
        var rows = Node("Gather", [values, node.Input[1]], 1, GraphWriter.Int("axis", 0));
        var cast = Node("Cast", [rows.Output[0]], 1, GraphWriter.Int("to", (long)DataType.Float));
        var rowScales = _perChannel ? Node("Gather", [scales, node.Input[1]], 1, GraphWriter.Int("axis", 0)) : null;
        var y = new NodeProto { OpType = "Mul", Name = _names.Fresh(node.Name + "_rescale") };
        y.Input.AddRange([cast.Output[0], rowScales?.Output[0] ?? scales]);
        y.Output.AddRange(node.Output);
        _quantized.Add($"Gather {node.Name} -> int8 Gather");
        return rowScales is null ? [rows, cast, y] : [rows, cast, rowScales, y];
    }

    /// <summary>A 2-D weight as int8 with one scale per column (a MatMul's B, (K, N): shape (N)) or per row (a table,
    /// (V, E): shape (V, 1), to gather with the rows); one scale (a scalar) when not per channel. Quantised once
    /// however many nodes read it.</summary>
    private (string Values, string Scales) Weights(TensorProto weight, bool columns)
    {
        if (_done.TryGetValue(weight.Name, out var done)) return done;
        var (rows, cols) = ((int)weight.Dims[0], (int)weight.Dims[1]);
        var floats = Floats(weight);
        sbyte[] values;
        float[] scales;
        if (columns)
        {
            (values, scales) = SymmetricInt8.Quantize(SymmetricInt8.Transpose<float>(floats, rows), cols, _perChannel, _reduceRange);
            values = SymmetricInt8.Transpose<sbyte>(values, cols);
        }
        else
        {
            (values, scales) = SymmetricInt8.Quantize(floats, rows, _perChannel, _reduceRange);
        }
        long[] scaleShape = !_perChannel ? [] : columns ? [cols] : [rows, 1];
        Account(weight, values.Length);
        done = (AddInitializer(weight.Name + "_int8", [rows, cols], values), AddInitializer(weight.Name + "_scale", scaleShape, scales));
        _done[weight.Name] = done;
        return done;
    }

    private void Account(TensorProto weight, long int8Values)
    {
        _floatBytes += Floats(weight).Length * sizeof(float);
        _int8Bytes += int8Values;
    }

    private NodeProto Node(string op, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = _names.Fresh(op + "_int8") };
        node.Input.AddRange(inputs);
        for (var i = 0; i < outputs; i++) node.Output.Add(_names.Fresh(op.ToLowerInvariant() + "_int8"));
        node.Attribute.AddRange(attributes);
        return node;
    }

    private string AddInitializer(string hint, long[] shape, sbyte[] values)
        => AddInitializer(hint, shape, DataType.Int8, ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())));

    private string AddInitializer(string hint, long[] shape, float[] values)
        => AddInitializer(hint, shape, DataType.Float, ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())));

    private string AddInitializer(string hint, long[] shape, DataType type, ByteString raw)
    {
        var proto = new TensorProto { Name = _names.Fresh(hint), DataType = (int)type, RawData = raw };
        proto.Dims.AddRange(shape);
        _model.Graph.Initializer.Add(proto);
        return proto.Name;
    }

    private readonly Dictionary<string, float[]> _floats = new(StringComparer.Ordinal);

    private float[] Floats(TensorProto t)
    {
        if (_floats.TryGetValue(t.Name, out var cached)) return cached;
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new NotSupportedException($"Initializer '{t.Name}' is stored outside the model file, which quantize_dynamic does not read.");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX's raw tensor data is little-endian.");
        var floats = t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
        _floats[t.Name] = floats;
        return floats;
    }

    /// <summary>Drops the float initializers that no node (in any subgraph), graph input or output reads any more.</summary>
    private static void RemoveUnused(GraphProto graph)
    {
        var used = new HashSet<string>(Reads(graph), StringComparer.Ordinal);
        var unused = graph.Initializer.Where(i => !used.Contains(i.Name)).ToList();
        foreach (var i in unused) graph.Initializer.Remove(i);
    }

    private static IEnumerable<string> Reads(GraphProto graph)
        => graph.Node.SelectMany(n => n.Input.Concat(n.Attribute.Where(a => a.G is not null).SelectMany(a => Reads(a.G))))
            .Concat(graph.Input.Select(i => i.Name))
            .Concat(graph.Output.Select(o => o.Name));

    private static IEnumerable<string> AllNames(GraphProto graph)
        => graph.Node.SelectMany(n => n.Output.Append(n.Name).Concat(n.Attribute.Where(a => a.G is not null).SelectMany(a => AllNames(a.G))))
            .Concat(graph.Initializer.Select(i => i.Name))
            .Concat(graph.Input.Select(i => i.Name))
            .Concat(graph.Output.Select(o => o.Name))
            .Where(n => n.Length > 0);
}
