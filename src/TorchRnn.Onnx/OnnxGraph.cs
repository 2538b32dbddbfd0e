using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using TorchRnn.Onnx.Graph;
using TorchRnn.Onnx.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx;

/// <summary>
/// An ONNX graph under construction: declare its inputs, compute on them with the model's own modules and
/// <see cref="OnnxTensor"/>'s operations (the same code as the model's <c>forward</c>, with <see cref="OnnxTensor"/>
/// in place of <c>Tensor</c>), declare its outputs, then <see cref="save"/>. For models with several inputs or
/// outputs, such as a stateful model that streams one step at a time; <see cref="onnx.export(torch.nn.Module, Tensor, string)"/>
/// covers the one-input, one-output case.
/// </summary>
/// <remarks>
/// Every input carries an example tensor, and every value computed from it carries its example value, computed by
/// TorchSharp (by the very modules being exported). So each step's shapes and dtypes are checked as the graph is
/// built, and <see cref="onnx.export(torch.nn.Module{Tensor, Tensor}, Tensor, string, Func{OnnxTensor, OnnxTensor})"/>
/// compares the result with the model's own output before writing anything. The graph owns those example tensors
/// and frees them when disposed. Written with opset <see cref="onnx.opset_version"/>.
/// </remarks>
/// <example>
/// <code>
/// using var graph = new OnnxGraph();
/// var x = graph.input("x", example, "batch", "sequence", null); // (N, L, 1), N and L dynamic
/// var h0 = graph.optional_input("h0", torch.zeros(1, 1, 8));     // zeros unless the caller passes a state
/// var (output, h_n) = rnn.call(x, h0);
/// graph.output("y", head.call(output));
/// graph.output("h_n", h_n);
/// graph.save("model.onnx");
/// </code>
/// </example>
public sealed class OnnxGraph : IDisposable
{
    private readonly List<Tensor> _examples = new();
    private readonly torch.nn.Module? _root;
    private bool _disposed;

    /// <summary>Starts an empty graph.</summary>
    /// <param name="name">The graph's name in the ONNX file.</param>
    public OnnxGraph(string name = "torch_rnn") : this(name, null)
    {
    }

    /// <summary>
    /// Starts an empty graph for <paramref name="model"/>: an error about one of its modules then names it by its
    /// path in the model (<c>'decoder.embedding' (Embedding)</c>), not by its type alone.
    /// </summary>
    /// <param name="model">The model whose modules the graph calls.</param>
    /// <param name="name">The graph's name in the ONNX file.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public OnnxGraph(torch.nn.Module model, string name = "torch_rnn") : this(name, model ?? throw new ArgumentNullException(nameof(model)))
    {
    }

    /// <summary>Starts an empty graph for <paramref name="model"/>, whose field names then name its modules in errors.</summary>
    internal OnnxGraph(string name, torch.nn.Module? model)
    {
        Writer = new GraphWriter(name, new Names());
        _root = model;
        Root = this;
    }

    /// <summary>A subgraph (a Scan body) of <paramref name="outer"/>: its values are the body's, its names the model's.</summary>
    internal OnnxGraph(GraphWriter body, OnnxGraph outer)
    {
        Writer = body;
        _root = outer._root;
        Root = outer.Root;
    }

    /// <summary>The model's top-level graph, where constants go (a body refers to them by name).</summary>
    internal OnnxGraph Root { get; }

    internal GraphWriter Writer { get; }

    /// <summary>Declares a graph input of <paramref name="example"/>'s dtype and rank.</summary>
    /// <param name="name">The input's name, as ONNX Runtime's callers will give it.</param>
    /// <param name="example">A value the input could take: its dtype and rank are the input's, its fixed sizes too, and
    /// the model's modules run on it as the graph is built.</param>
    /// <param name="dynamic_axes">One entry per dimension: a name makes that axis dynamic (ONNX's <c>dim_param</c>),
    /// null keeps the example's size. Omitted: every axis is dynamic except the last of a floating-point input
    /// (its features), named <c>{name}_dim{i}</c>.</param>
    /// <returns>The input, to compute with.</returns>
    /// <exception cref="ArgumentException">A name used twice, or as many axis names as the example has dimensions.</exception>
    /// <exception cref="OnnxExportException">A dtype ONNX export does not write.</exception>
    public OnnxTensor input(string name, Tensor example, params string?[] dynamic_axes)
    {
        var (dims, value) = Declare(name, example, dynamic_axes);
        Writer.Input(name, value.dtype, dims);
        return new OnnxTensor(this, name, value);
    }

    /// <summary>
    /// Declares a graph input that the caller may leave out: it then takes <paramref name="default"/>'s value (ONNX
    /// stores it as an initializer of the same name, which ONNX Runtime lets a caller override).
    /// </summary>
    /// <param name="name">The input's name.</param>
    /// <param name="default">Its value when the caller gives none; also the example the graph is built with. For
    /// a recurrent state, zeros with a batch of 1: the recurrent layers broadcast a state's batch of 1 to the input's.</param>
    /// <param name="dynamic_axes">As for <see cref="input"/>; omitted, every axis of size 1 is dynamic (a state's batch).</param>
    /// <returns>The input, to compute with.</returns>
    /// <exception cref="ArgumentException">A name used twice, or the wrong number of axis names.</exception>
    public OnnxTensor optional_input(string name, Tensor @default, params string?[] dynamic_axes)
    {
        ArgumentNullException.ThrowIfNull(@default);
        if (dynamic_axes.Length == 0)
            dynamic_axes = @default.shape.Select((size, i) => size == 1 ? $"{name}_dim{i}" : null).ToArray();
        var (dims, value) = Declare(name, @default, dynamic_axes);
        Writer.Input(name, value.dtype, dims);
        Writer.Proto.Initializer.Add(TensorProtos.From(value, name));
        return new OnnxTensor(this, name, value);
    }

    /// <summary>Declares <paramref name="value"/> a graph output named <paramref name="name"/>.</summary>
    /// <param name="name">The output's name.</param>
    /// <param name="value">A value computed in this graph.</param>
    /// <exception cref="ArgumentException">The name is taken, or the value belongs to another graph.</exception>
    public void output(string name, OnnxTensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Own(value);
        Writer.Names.Reserve(name);
        Writer.Rename(value.Name, name);
        Writer.Output(name, value.dtype, value.Example.shape.Select(_ => new Dim(null, null)).ToArray());
    }

    /// <summary>The model as ONNX protobuf bytes.</summary>
    /// <returns>The bytes of an ONNX <c>ModelProto</c> (IR version 10, opset <see cref="onnx.opset_version"/>).</returns>
    /// <exception cref="InvalidOperationException">The graph has no output.</exception>
    public byte[] ToArray() => Model().ToByteArray();

    /// <summary>Writes the model to <paramref name="path"/>, as <c>torch.onnx.export</c> writes its file.</summary>
    /// <param name="path">Where to write the <c>.onnx</c> file.</param>
    /// <exception cref="InvalidOperationException">The graph has no output.</exception>
    public void save(string path) => File.WriteAllBytes(path, ToArray());

    /// <summary>Frees the example values computed while building.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _examples) t.Dispose();
        _examples.Clear();
    }

    internal ModelProto Model()
    {
        if (Writer.Proto.Output.Count == 0) throw new InvalidOperationException("The graph has no output: call output(name, value) first.");
        var model = new ModelProto
        {
            IrVersion = onnx.ir_version,
            ProducerName = "TorchRnn.Onnx",
            ProducerVersion = typeof(OnnxGraph).Assembly.GetName().Version?.ToString(3) ?? "",
            Graph = Writer.Proto,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = onnx.opset_version });
        return model;
    }

    /// <summary>Wraps a value of this graph with its example, computed by <paramref name="compute"/> under
    /// <c>no_grad</c> in a dispose scope of its own; the graph keeps the example until disposed.</summary>
    internal OnnxTensor Value(string name, Func<Tensor> compute) => new(this, name, Eager(compute));

    internal Tensor Eager(Func<Tensor> compute)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return Keep(compute());
    }

    /// <summary>Takes ownership of an example tensor (a detached alias, out of any dispose scope).</summary>
    internal Tensor Keep(Tensor t)
    {
        var kept = t.detach();
        kept.DetachFromDisposeScope();
        _examples.Add(kept);
        return kept;
    }

    /// <summary>Takes ownership of a packed example's tensors.</summary>
    internal PackedSequence Keep(PackedSequence packed)
        => new(Keep(packed.data), Keep(packed.batch_sizes), packed.sorted_indices is null ? null : Keep(packed.sorted_indices),
            packed.unsorted_indices is null ? null : Keep(packed.unsorted_indices));

    internal void Own(OnnxTensor value)
    {
        if (!ReferenceEquals(value.Graph, this))
            throw new ArgumentException("The value belongs to another OnnxGraph.", nameof(value));
    }

    /// <summary>The module's name for messages: its path in the exported model (<c>rnn</c>, <c>0</c>, <c>encoder.lstm</c>)
    /// and its type, for example <c>'rnn' (GRU)</c>.</summary>
    internal string Describe(torch.nn.Module module)
    {
        var type = module.GetType().Name;
        if (_root is not null)
        {
            if (ReferenceEquals(module, _root)) return $"the model ({type})";
            foreach (var (path, m) in _root.named_modules())
                if (ReferenceEquals(m, module) && path.Length > 0) return $"'{path}' ({type})";
        }
        return type;
    }

    /// <summary>Whether <see cref="Describe"/> can name <paramref name="module"/> by its place in the graph's model.</summary>
    internal bool Knows(torch.nn.Module module)
        => _root is not null && (ReferenceEquals(module, _root) || _root.named_modules().Any(p => ReferenceEquals(p.Item2, module)));

    private (Dim[] Dims, Tensor Value) Declare(string name, Tensor example, string?[] dynamic_axes)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(example);
        var shape = example.shape;
        if (dynamic_axes.Length == 0)
        {
            var floating = example.dtype is ScalarType.Float32 or ScalarType.Float64;
            dynamic_axes = shape.Select((_, i) => floating && i == shape.Length - 1 ? null : $"{name}_dim{i}").ToArray();
        }
        if (dynamic_axes.Length != shape.Length)
            throw new ArgumentException(
                $"{name} has {shape.Length} dimensions but {dynamic_axes.Length} axis names were given (null for a fixed axis).",
                nameof(dynamic_axes));
        TensorProtos.ElementType(example.dtype);
        Writer.Names.Reserve(name);
        var dims = shape.Select((size, i) => dynamic_axes[i] is { } axis ? new Dim(null, axis) : new Dim(size, null)).ToArray();
        return (dims, Eager(() => example.alias()));
    }
}
