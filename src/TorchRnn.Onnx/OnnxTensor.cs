using System;
using System.Collections.Generic;
using System.Linq;
using TorchRnn.Onnx.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx;

/// <summary>
/// A value in an <see cref="OnnxGraph"/>: what a <c>Tensor</c> is in the model's <c>forward</c>. The model's
/// modules take it (<c>rnn.call(x)</c>, <c>head.call(h)</c>, see <see cref="OnnxModules"/>), and it has the tensor
/// operations a recurrent model's forward typically uses between them, named as TorchSharp names them.
/// </summary>
/// <remarks>
/// Each value carries its example value (<see cref="example"/>), computed by TorchSharp from the graph's example
/// inputs, so shapes are checked as the graph is built. Axes may be negative, counted from the end, as in PyTorch.
/// </remarks>
public sealed class OnnxTensor
{
    internal OnnxTensor(OnnxGraph graph, string name, Tensor example)
    {
        Graph = graph;
        Name = name;
        Example = example;
    }

    internal OnnxGraph Graph { get; }

    /// <summary>The value's name in the ONNX graph.</summary>
    internal string Name { get; }

    internal Tensor Example { get; }

    /// <summary>The value for the graph's example inputs, as TorchSharp computes it (owned by the graph).</summary>
    public Tensor example => Example;

    /// <summary>The element type.</summary>
    public ScalarType dtype => Example.dtype;

    /// <summary>The shape for the example inputs; dynamic axes take other sizes at run time.</summary>
    public long[] shape => Example.shape;

    /// <summary>The number of dimensions.</summary>
    /// <returns>The rank, fixed for every input.</returns>
    public long dim() => Example.dim();

    private GraphWriter W => Graph.Writer;

    /// <summary>PyTorch-style indexing: an integer selects (and removes) an axis, a range slices it (step 1),
    /// <see cref="OnnxIndex.Ellipsis"/> stands for the axes not named: <c>output[.., -1]</c> is every sequence's
    /// last step of a batch-first output, <c>h_n[-1]</c> the last layer's state.</summary>
    /// <param name="indices">One index per leading axis (or fewer, or with an ellipsis).</param>
    /// <returns>The indexed value.</returns>
    /// <exception cref="ArgumentException">More indices than dimensions, two ellipses, or an index out of range for the example.</exception>
    public OnnxTensor this[params OnnxIndex[] indices]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(indices);
            var rank = (int)dim();
            var named = indices.Count(i => !i.IsEllipsis);
            if (indices.Count(i => i.IsEllipsis) > 1) throw new ArgumentException("An index can have only one ellipsis.", nameof(indices));
            if (named > rank) throw new ArgumentException($"too many indices for tensor of dimension {rank}", nameof(indices));
            var example = Graph.Eager(() => Example[indices.Select(i => i.ToTorch()).ToArray()]);
            var value = Name;
            var axis = 0;
            foreach (var index in indices)
            {
                if (index.IsEllipsis)
                {
                    axis += rank - named;
                    continue;
                }
                if (index.Single is long single)
                {
                    value = W.Op("Gather", [value, W.Int64Scalar("index", single)], GraphWriter.Int("axis", axis));
                    continue; // the axis is removed
                }
                if (index.Start is not null || index.End is not null)
                {
                    var start = index.Start is { } s ? (s.IsFromEnd ? -(long)s.Value : s.Value) : 0L;
                    var end = index.End is { } e ? (e.IsFromEnd ? (e.Value == 0 ? long.MaxValue : -(long)e.Value) : e.Value) : long.MaxValue;
                    value = W.Op("Slice", value, W.Int64s("starts", start), W.Int64s("ends", end), W.Int64s("axes", axis));
                }
                axis++;
            }
            return new OnnxTensor(Graph, value, example);
        }
    }

    /// <summary>Selects index <paramref name="index"/> along <paramref name="dim"/>, removing that axis, as <c>Tensor.select</c>.</summary>
    /// <param name="dim">The axis.</param>
    /// <param name="index">The position; negative counts from the end.</param>
    /// <returns>The value with one axis fewer.</returns>
    public OnnxTensor select(long dim, long index)
        => Unary("Gather", t => t.select(dim, index), [W.Int64Scalar("index", index)], GraphWriter.Int("axis", dim));

    /// <summary>Swaps two axes, as <c>Tensor.transpose</c>.</summary>
    /// <param name="dim0">One axis.</param>
    /// <param name="dim1">The other.</param>
    /// <returns>The transposed value.</returns>
    public OnnxTensor transpose(long dim0, long dim1)
    {
        var rank = dim();
        var perm = Enumerable.Range(0, (int)rank).Select(i => (long)i).ToArray();
        var (a, b) = (Axis(dim0, rank), Axis(dim1, rank));
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Unary("Transpose", t => t.transpose(dim0, dim1), [], GraphWriter.Ints("perm", perm));
    }

    /// <summary>Inserts an axis of size 1 at <paramref name="dim"/>, as <c>Tensor.unsqueeze</c>.</summary>
    /// <param name="dim">Where the new axis goes.</param>
    /// <returns>The value with one axis more.</returns>
    public OnnxTensor unsqueeze(long dim) => Unary("Unsqueeze", t => t.unsqueeze(dim), [W.Int64s("axes", dim)]);

    /// <summary>Removes the axis <paramref name="dim"/>, which must have size 1, as <c>Tensor.squeeze(dim)</c>.</summary>
    /// <param name="dim">The axis.</param>
    /// <returns>The value with one axis fewer.</returns>
    /// <exception cref="ArgumentException">The axis does not have size 1 in the example (PyTorch would keep it; ONNX cannot).</exception>
    public OnnxTensor squeeze(long dim)
    {
        if (shape[Axis(dim, this.dim())] != 1)
            throw new ArgumentException($"squeeze({dim}): the axis has size {shape[Axis(dim, this.dim())]}, not 1; ONNX's Squeeze would fail.", nameof(dim));
        return Unary("Squeeze", t => t.squeeze(dim), [W.Int64s("axes", dim)]);
    }

    /// <summary>max(x, 0), as <c>Tensor.relu</c>.</summary>
    /// <returns>The result.</returns>
    public OnnxTensor relu() => Unary("Relu", t => t.relu(), []);

    /// <summary>tanh(x), as <c>Tensor.tanh</c>.</summary>
    /// <returns>The result.</returns>
    public OnnxTensor tanh() => Unary("Tanh", t => t.tanh(), []);

    /// <summary>1 / (1 + exp(-x)), as <c>Tensor.sigmoid</c>.</summary>
    /// <returns>The result.</returns>
    public OnnxTensor sigmoid() => Unary("Sigmoid", t => t.sigmoid(), []);

    /// <summary>Softmax along <paramref name="dim"/>, as <c>Tensor.softmax</c>.</summary>
    /// <param name="dim">The axis that sums to one.</param>
    /// <returns>The result.</returns>
    public OnnxTensor softmax(long dim) => Unary("Softmax", t => t.softmax(dim), [], GraphWriter.Int("axis", dim));

    /// <summary>Log-softmax along <paramref name="dim"/>, as <c>Tensor.log_softmax</c>.</summary>
    /// <param name="dim">The axis.</param>
    /// <returns>The result.</returns>
    public OnnxTensor log_softmax(long dim)
        => Unary("LogSoftmax", t => torch.nn.functional.log_softmax(t, dim), [], GraphWriter.Int("axis", dim));

    /// <summary>Element-wise sum with broadcasting.</summary>
    /// <param name="a">One value.</param>
    /// <param name="b">The other, of the same graph and dtype.</param>
    /// <returns>a + b.</returns>
    public static OnnxTensor operator +(OnnxTensor a, OnnxTensor b) => Binary("Add", a, b, (x, y) => x + y);

    /// <summary>Element-wise product with broadcasting.</summary>
    /// <param name="a">One value.</param>
    /// <param name="b">The other, of the same graph and dtype.</param>
    /// <returns>a * b.</returns>
    public static OnnxTensor operator *(OnnxTensor a, OnnxTensor b) => Binary("Mul", a, b, (x, y) => x * y);

    /// <summary>Element-wise difference with broadcasting.</summary>
    /// <param name="a">One value.</param>
    /// <param name="b">The other, of the same graph and dtype.</param>
    /// <returns>a - b.</returns>
    public static OnnxTensor operator -(OnnxTensor a, OnnxTensor b) => Binary("Sub", a, b, (x, y) => x - y);

    /// <summary>Element-wise quotient with broadcasting.</summary>
    /// <param name="a">One value.</param>
    /// <param name="b">The other, of the same graph and dtype.</param>
    /// <returns>a / b.</returns>
    public static OnnxTensor operator /(OnnxTensor a, OnnxTensor b) => Binary("Div", a, b, (x, y) => x / y);

    /// <summary>exp(x), as <c>Tensor.exp</c>.</summary>
    /// <returns>The result.</returns>
    public OnnxTensor exp() => Unary("Exp", t => t.exp(), []);

    /// <summary>The natural logarithm, as <c>Tensor.log</c>.</summary>
    /// <returns>The result.</returns>
    public OnnxTensor log() => Unary("Log", t => t.log(), []);

    /// <summary>Matrix product with PyTorch's broadcasting of leading (batch) axes, as <c>Tensor.matmul</c>.</summary>
    /// <param name="other">The right-hand side, of the same graph and dtype.</param>
    /// <returns>this @ other.</returns>
    /// <exception cref="ArgumentException">The shapes do not multiply (TorchSharp's message, from the example).</exception>
    public OnnxTensor matmul(OnnxTensor other) => Binary("MatMul", this, other, (x, y) => x.matmul(y));

    /// <summary>Batched matrix product of (B, n, m) and (B, m, p), as <c>Tensor.bmm</c> (the seq2seq tutorial's
    /// attention: <c>torch.bmm(weights, keys)</c>).</summary>
    /// <param name="other">(B, m, p), of the same graph and dtype.</param>
    /// <returns>(B, n, p).</returns>
    /// <exception cref="ArgumentException">Either is not 3-D, or the shapes do not multiply (TorchSharp's message).</exception>
    public OnnxTensor bmm(OnnxTensor other) => Binary("MatMul", this, other, (x, y) => x.bmm(y));

    /// <summary>Sums over <paramref name="dim"/>, as <c>Tensor.sum(dim, keepdim)</c>.</summary>
    /// <param name="dim">The axes to sum over (negative from the end).</param>
    /// <param name="keepdim">Whether to keep them, with size 1.</param>
    /// <returns>The sums.</returns>
    public OnnxTensor sum(long[] dim, bool keepdim = false)
    {
        ArgumentNullException.ThrowIfNull(dim);
        return Unary("ReduceSum", t => t.sum(dim, keepdim), [W.Int64s("axes", dim)], GraphWriter.Int("keepdims", keepdim ? 1 : 0));
    }

    /// <summary>Sums over one axis, as <c>Tensor.sum(dim, keepdim)</c>.</summary>
    /// <param name="dim">The axis (negative from the end).</param>
    /// <param name="keepdim">Whether to keep it, with size 1.</param>
    /// <returns>The sums.</returns>
    public OnnxTensor sum(long dim, bool keepdim = false) => sum([dim], keepdim);

    /// <summary>Averages over <paramref name="dim"/>, as <c>Tensor.mean(dim, keepdim)</c>.</summary>
    /// <param name="dim">The axes to average over (negative from the end).</param>
    /// <param name="keepdim">Whether to keep them, with size 1.</param>
    /// <returns>The means.</returns>
    public OnnxTensor mean(long[] dim, bool keepdim = false)
    {
        ArgumentNullException.ThrowIfNull(dim);
        return Unary("ReduceMean", t => t.mean(dim, keepdim), [W.Int64s("axes", dim)], GraphWriter.Int("keepdims", keepdim ? 1 : 0));
    }

    /// <summary>Averages over one axis, as <c>Tensor.mean(dim, keepdim)</c>.</summary>
    /// <param name="dim">The axis (negative from the end).</param>
    /// <param name="keepdim">Whether to keep it, with size 1.</param>
    /// <returns>The means.</returns>
    public OnnxTensor mean(long dim, bool keepdim = false) => mean([dim], keepdim);

    /// <summary>Reorders the axes, as <c>Tensor.permute</c>: axis i of the result is axis <c>dims[i]</c> of this
    /// (the tutorial's <c>hidden.permute(1, 0, 2)</c>).</summary>
    /// <param name="dims">A permutation of the axes (negative from the end).</param>
    /// <returns>The permuted value.</returns>
    /// <exception cref="ArgumentException">Not a permutation of the axes (TorchSharp's message).</exception>
    public OnnxTensor permute(params long[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var rank = dim();
        return Unary("Transpose", t => t.permute(dims), [], GraphWriter.Ints("perm", dims.Select(d => (long)Axis(d, rank)).ToArray()));
    }

    /// <summary>The index of the largest value along <paramref name="dim"/> (the first, on ties), int64, as
    /// <c>Tensor.argmax(dim, keepdim)</c>.</summary>
    /// <param name="dim">The axis.</param>
    /// <param name="keepdim">Whether to keep it, with size 1.</param>
    /// <returns>The indices (int64).</returns>
    public OnnxTensor argmax(long dim, bool keepdim = false)
        => Unary("ArgMax", t => t.argmax(dim, keepdim), [], GraphWriter.Int("axis", dim), GraphWriter.Int("keepdims", keepdim ? 1 : 0));

    /// <summary>The <paramref name="k"/> largest (or smallest) values along <paramref name="dim"/> and their indices, as
    /// <c>Tensor.topk</c> (the tutorial's greedy step: <c>var (_, topi) = output.topk(1)</c>).</summary>
    /// <param name="k">How many; at most the axis's size.</param>
    /// <param name="dim">The axis; the last by default.</param>
    /// <param name="largest">The largest (true) or the smallest.</param>
    /// <param name="sorted">Whether in order. ONNX Runtime sorts either way; PyTorch's order when false is unspecified.</param>
    /// <returns>(values, indexes), named as TorchSharp names them: the values, and their int64 positions along
    /// <paramref name="dim"/>. On ties the order may differ from PyTorch's, which leaves it unspecified.</returns>
    /// <exception cref="ArgumentException"><paramref name="k"/> out of range for the example (TorchSharp's message).</exception>
    public (OnnxTensor values, OnnxTensor indexes) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        Tensor? indices = null;
        var values = Graph.Eager(() =>
        {
            var (v, i) = Example.topk((int)k, (int)dim, largest, sorted);
            indices = Graph.Keep(i);
            return v;
        });
        var names = W.Node("TopK", [Name, W.Int64s("k", k)], 2,
            GraphWriter.Int("axis", dim), GraphWriter.Int("largest", largest ? 1 : 0), GraphWriter.Int("sorted", 1));
        return (new OnnxTensor(Graph, names[0], values), new OnnxTensor(Graph, names[1], indices!));
    }

    /// <summary>This value with <paramref name="value"/> where <paramref name="mask"/> is true, as
    /// <c>Tensor.masked_fill</c> (attention over padding: <c>scores.masked_fill(mask, double.NegativeInfinity)</c>).</summary>
    /// <param name="mask">A bool value of the same graph, broadcastable to this one.</param>
    /// <param name="value">The fill value, converted to this value's dtype.</param>
    /// <returns>The filled value.</returns>
    /// <exception cref="ArgumentException">The mask is not bool, or does not broadcast (TorchSharp's message).</exception>
    public OnnxTensor masked_fill(OnnxTensor mask, double value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        Graph.Own(mask);
        var example = Graph.Eager(() => Example.masked_fill(mask.Example, value));
        return new OnnxTensor(Graph, W.Op("Where", mask.Name, Constant(value), Name), example);
    }

    /// <summary>Element-wise equality, as <c>Tensor.eq</c>.</summary>
    /// <param name="other">A value of the same graph and dtype (broadcast).</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor eq(OnnxTensor other) => Binary("Equal", this, other, (x, y) => x.eq(y));

    /// <summary>Element-wise equality with a number, as <c>Tensor.eq</c>.</summary>
    /// <param name="other">The number, converted to this value's dtype.</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor eq(double other) => Compare("Equal", other, t => t.eq(other));

    /// <summary>Element-wise inequality, as <c>Tensor.ne</c>.</summary>
    /// <param name="other">A value of the same graph and dtype (broadcast).</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor ne(OnnxTensor other) => eq(other).Not(t => t.logical_not());

    /// <summary>Element-wise inequality with a number, as <c>Tensor.ne</c>.</summary>
    /// <param name="other">The number, converted to this value's dtype.</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor ne(double other) => eq(other).Not(t => t.logical_not());

    /// <summary>Element-wise <c>this &lt; other</c>, as <c>Tensor.lt</c>.</summary>
    /// <param name="other">A value of the same graph and dtype (broadcast).</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor lt(OnnxTensor other) => Binary("Less", this, other, (x, y) => x.lt(y));

    /// <summary>Element-wise <c>this &lt; other</c> with a number, as <c>Tensor.lt</c>.</summary>
    /// <param name="other">The number, converted to this value's dtype.</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor lt(double other) => Compare("Less", other, t => t.lt(other));

    /// <summary>Element-wise <c>this &lt;= other</c>, as <c>Tensor.le</c>.</summary>
    /// <param name="other">A value of the same graph and dtype (broadcast).</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor le(OnnxTensor other) => Binary("LessOrEqual", this, other, (x, y) => x.le(y));

    /// <summary>Element-wise <c>this &lt;= other</c> with a number, as <c>Tensor.le</c>.</summary>
    /// <param name="other">The number, converted to this value's dtype.</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor le(double other) => Compare("LessOrEqual", other, t => t.le(other));

    /// <summary>Element-wise <c>this &gt; other</c>, as <c>Tensor.gt</c>.</summary>
    /// <param name="other">A value of the same graph and dtype (broadcast).</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor gt(OnnxTensor other) => Binary("Greater", this, other, (x, y) => x.gt(y));

    /// <summary>Element-wise <c>this &gt; other</c> with a number, as <c>Tensor.gt</c>.</summary>
    /// <param name="other">The number, converted to this value's dtype.</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor gt(double other) => Compare("Greater", other, t => t.gt(other));

    /// <summary>Element-wise <c>this &gt;= other</c>, as <c>Tensor.ge</c>.</summary>
    /// <param name="other">A value of the same graph and dtype (broadcast).</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor ge(OnnxTensor other) => Binary("GreaterOrEqual", this, other, (x, y) => x.ge(y));

    /// <summary>Element-wise <c>this &gt;= other</c> with a number, as <c>Tensor.ge</c>.</summary>
    /// <param name="other">The number, converted to this value's dtype.</param>
    /// <returns>A bool value.</returns>
    public OnnxTensor ge(double other) => Compare("GreaterOrEqual", other, t => t.ge(other));

    /// <summary>A value of <paramref name="input"/>'s shape (dynamic axes included) filled with
    /// <paramref name="fill_value"/>, as <c>torch.full_like</c>: the seq2seq tutorial's first decoder input,
    /// <c>torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS_token)</c>, is
    /// <c>OnnxTensor.full_like(encoder_outputs[.., ..1, 0], SOS_token, ScalarType.Int64)</c>.</summary>
    /// <param name="input">The value whose shape the result takes.</param>
    /// <param name="fill_value">The value of every element.</param>
    /// <param name="dtype">The result's dtype; <paramref name="input"/>'s when null.</param>
    /// <returns>The filled value.</returns>
    /// <exception cref="OnnxExportException">A dtype the exporter does not write.</exception>
    public static OnnxTensor full_like(OnnxTensor input, double fill_value, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = input.Graph;
        var type = dtype ?? input.dtype;
        var example = g.Eager(() => torch.full_like(input.Example, fill_value, dtype: type));
        using var one = torch.tensor(new[] { fill_value }, ScalarType.Float64);
        using var value = one.to(type);
        var shape = g.Writer.Op("Shape", input.Name);
        var name = g.Writer.Op("ConstantOfShape", [shape], GraphWriter.Tensor("value", TensorProtos.From(value, "value")));
        return new OnnxTensor(g, name, example);
    }

    /// <summary>Concatenates values along <paramref name="dim"/>, as <c>torch.cat</c>.</summary>
    /// <param name="tensors">Values of one graph, of equal shapes but along <paramref name="dim"/>.</param>
    /// <param name="dim">The axis to join along.</param>
    /// <returns>The joined value.</returns>
    /// <exception cref="ArgumentException">No values, or values of different graphs.</exception>
    public static OnnxTensor cat(IReadOnlyList<OnnxTensor> tensors, long dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("cat needs at least one value.", nameof(tensors));
        var graph = tensors[0].Graph;
        foreach (var t in tensors) graph.Own(t);
        var example = graph.Eager(() => torch.cat(tensors.Select(t => t.Example).ToArray(), dim));
        var name = graph.Writer.Op("Concat", tensors.Select(t => t.Name).ToArray(), GraphWriter.Int("axis", dim));
        return new OnnxTensor(graph, name, example);
    }

    /// <inheritdoc />
    public override string ToString() => $"OnnxTensor({Name}, {dtype}, [{string.Join(", ", shape)}])";

    internal static int Axis(long dim, long rank) => (int)(dim < 0 ? dim + rank : dim);

    /// <summary>Splits into <paramref name="chunks"/> equal parts along <paramref name="dim"/>, as <c>Tensor.chunk</c>.</summary>
    /// <param name="chunks">How many parts.</param>
    /// <param name="dim">The axis to split.</param>
    /// <returns>The parts, in order.</returns>
    /// <exception cref="ArgumentException">The axis's size is not a multiple of <paramref name="chunks"/> (ONNX's Split makes equal parts only).</exception>
    public OnnxTensor[] chunk(long chunks, long dim = 0)
    {
        var size = Example.shape[Axis(dim, this.dim())];
        if (chunks <= 0 || size % chunks != 0)
            throw new ArgumentException($"chunk({chunks}, {dim}) needs the axis's size ({size}) to be a multiple of {chunks}.", nameof(chunks));
        var parts = new Tensor[chunks];
        for (var i = 0; i < chunks; i++)
        {
            var at = i;
            parts[i] = Graph.Eager(() => Example.chunk(chunks, dim)[at]);
        }
        var names = W.Node("Split", [Name], (int)chunks, GraphWriter.Int("axis", dim), GraphWriter.Int("num_outputs", chunks));
        return names.Select((n, i) => new OnnxTensor(Graph, n, parts[i])).ToArray();
    }

    /// <summary>
    /// Layer normalization over the last axis, as <c>torch.nn.functional.layer_norm(x, [x.shape[^1]], weight, bias, eps)</c>
    /// (ONNX's <c>LayerNormalization</c>).
    /// </summary>
    /// <param name="weight">The scale (size of the last axis), or null for ones.</param>
    /// <param name="bias">The shift, or null for none.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <returns>The normalized value.</returns>
    public OnnxTensor layer_norm(OnnxTensor? weight = null, OnnxTensor? bias = null, double eps = 1e-5)
    {
        if (weight is not null) Graph.Own(weight);
        if (bias is not null) Graph.Own(bias);
        var features = Example.shape[^1];
        var example = Graph.Eager(() => torch.nn.functional.layer_norm(Example, [features], weight?.Example, bias?.Example, eps));
        string scale;
        if (weight is not null)
        {
            scale = weight.Name;
        }
        else
        {
            using var ones = torch.ones(features, dtype);
            scale = W.Initializer("norm_weight", ones);
        }
        var name = W.Op("LayerNormalization", [Name, scale, bias?.Name ?? ""], GraphWriter.Int("axis", -1), GraphWriter.Float("epsilon", (float)eps));
        return new OnnxTensor(Graph, name, example);
    }

    private OnnxTensor Unary(string op, Func<Tensor, Tensor> eager, string[] extraInputs, params Protobuf.AttributeProto[] attributes)
    {
        var example = Graph.Eager(() => eager(Example)); // first: PyTorch's own errors for a bad axis
        var name = W.Op(op, [Name, .. extraInputs], attributes);
        return new OnnxTensor(Graph, name, example);
    }

    private OnnxTensor Not(Func<Tensor, Tensor> eager) => Unary("Not", eager, []);

    private OnnxTensor Compare(string op, double value, Func<Tensor, Tensor> eager)
    {
        var example = Graph.Eager(() => eager(Example));
        return new OnnxTensor(Graph, W.Op(op, Name, Constant(value)), example);
    }

    /// <summary>A number as a scalar initializer of this value's dtype (ONNX's operators take equal element types).</summary>
    private string Constant(double value)
    {
        using var scalar = torch.tensor(value, ScalarType.Float64);
        using var typed = scalar.to(dtype);
        return W.Initializer("constant", typed);
    }

    private static OnnxTensor Binary(string op, OnnxTensor a, OnnxTensor b, Func<Tensor, Tensor, Tensor> eager)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        a.Graph.Own(b);
        var example = a.Graph.Eager(() => eager(a.Example, b.Example));
        return new OnnxTensor(a.Graph, a.Graph.Writer.Op(op, a.Name, b.Name), example);
    }
}
