using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using TorchRnn.Onnx.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Graph;

/// <summary>
/// Writes one ONNX <c>GraphProto</c>: nodes, initializers, inputs and outputs, with names unique across the main
/// graph and every subgraph (a Scan body shares its parent's <see cref="Names"/>, as ONNX's scoping requires).
/// </summary>
internal sealed class GraphWriter
{
    public GraphWriter(string name, Names names)
    {
        Proto = new GraphProto { Name = name };
        Names = names;
    }

    public GraphProto Proto { get; }

    public Names Names { get; }

    /// <summary>Adds a node and returns its output names (fresh, from <paramref name="op"/>'s name).</summary>
    /// <param name="op">The ONNX operator, for example <c>MatMul</c>.</param>
    /// <param name="inputs">Value names; an empty string skips an optional input.</param>
    /// <param name="outputs">How many outputs to name.</param>
    /// <param name="attributes">The node's attributes.</param>
    public string[] Node(string op, IEnumerable<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Names.Fresh(op) };
        node.Input.AddRange(inputs);
        var names = new string[outputs];
        for (var i = 0; i < outputs; i++) names[i] = Names.Fresh(op.ToLowerInvariant());
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        Proto.Node.Add(node);
        return names;
    }

    /// <summary>Adds a one-output node.</summary>
    public string Op(string op, params string[] inputs) => Node(op, inputs, 1)[0];

    /// <summary>Adds a one-output node with attributes.</summary>
    public string Op(string op, string[] inputs, params AttributeProto[] attributes) => Node(op, inputs, 1, attributes)[0];

    /// <summary>Stores <paramref name="value"/> as an initializer and returns its name.</summary>
    public string Initializer(string hint, Tensor value)
    {
        var proto = TensorProtos.From(value, Names.Fresh(hint));
        Proto.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>A constant int64 vector (shapes, axes, indices) as an initializer.</summary>
    public string Int64s(string hint, params long[] values)
    {
        using var t = torch.tensor(values, ScalarType.Int64);
        return Initializer(hint, t);
    }

    /// <summary>A constant int64 scalar (rank 0), for Gather's index.</summary>
    public string Int64Scalar(string hint, long value)
    {
        using var t = torch.tensor(value, ScalarType.Int64);
        return Initializer(hint, t);
    }

    public void Input(string name, ScalarType dtype, IReadOnlyList<Dim> shape) => Proto.Input.Add(ValueInfo(name, dtype, shape));

    public void Output(string name, ScalarType dtype, IReadOnlyList<Dim> shape) => Proto.Output.Add(ValueInfo(name, dtype, shape));

    /// <summary>Adds an Identity node from <paramref name="value"/> to the graph output <paramref name="name"/>.</summary>
    public void Rename(string value, string name)
    {
        var node = new NodeProto { OpType = "Identity", Name = Names.Fresh("Identity") };
        node.Input.Add(value);
        node.Output.Add(name);
        Proto.Node.Add(node);
    }

    public static ValueInfoProto ValueInfo(string name, ScalarType dtype, IReadOnlyList<Dim>? shape)
    {
        var type = new TypeProto.Types.Tensor { ElemType = TensorProtos.ElementType(dtype) };
        if (shape is not null)
        {
            type.Shape = new TensorShapeProto();
            foreach (var dim in shape)
            {
                var d = new TensorShapeProto.Types.Dimension();
                if (dim.Name is not null) d.DimParam = dim.Name;
                else if (dim.Size is long size) d.DimValue = size;
                type.Shape.Dim.Add(d);
            }
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = type } };
    }

    public static AttributeProto Int(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Float(string name, float value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Strings(string name, IEnumerable<string> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        a.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return a;
    }

    public static AttributeProto Tensor(string name, TensorProto value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };

    public static AttributeProto Graph(string name, GraphProto graph)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = graph };
}
