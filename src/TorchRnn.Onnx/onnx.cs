using System;
using System.Linq;
using TorchRnn.Onnx.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx;

/// <summary>
/// PyTorch's <c>torch.onnx.export</c> for TorchRnn models: writes an ONNX file that ONNX Runtime runs without
/// LibTorch. Opset <see cref="opset_version"/>, IR version <see cref="ir_version"/>; sequence length and batch size
/// are dynamic, never frozen to the example.
/// </summary>
/// <remarks>
/// Three ways in, as the model calls for:
/// <list type="bullet">
/// <item>a recurrent module or cell, or a TorchSharp layer or <c>Sequential</c> of them, as it is:
/// <see cref="export(torch.nn.Module, Tensor, string)"/>;</item>
/// <item>a model class with its own forward (<c>head.call(rnn.call(x).output)</c>): the same forward written on
/// <see cref="OnnxTensor"/>, which the export runs against the model's own forward before writing anything:
/// <see cref="export(torch.nn.Module{Tensor, Tensor}, Tensor, string, Func{OnnxTensor, OnnxTensor})"/>, or its packed twin;</item>
/// <item>several inputs or outputs (a model that streams its state): <see cref="OnnxGraph"/>.</item>
/// </list>
/// The model is put in eval mode for the export (as <c>torch.onnx.export</c> does by default) and back afterwards.
/// </remarks>
public static class onnx
{
    /// <summary>The ONNX operator set the files use: 21, which ONNX Runtime runs from version 1.20 (the tests use 1.32).</summary>
    public const int opset_version = 21;

    /// <summary>The ONNX IR version of the files: 10, the one that goes with opset 21.</summary>
    public const long ir_version = 10;

    /// <summary>
    /// Exports a module that the exporter can read as it is. A recurrent module gets inputs <c>input</c> (laid out
    /// as the example: (L, N, H_in), batch-first or unbatched) and optional <c>h0</c> (and <c>c0</c> for an LSTM),
    /// zeros when left out, and outputs <c>output</c>, <c>h_n</c> (and <c>c_n</c>). A cell: <c>input</c> (N, H_in) or
    /// (H_in), optional <c>h0</c> (<c>c0</c>), outputs <c>h_1</c> (<c>c_1</c>). A TorchSharp layer or <c>Sequential</c>:
    /// <c>input</c> and <c>output</c>.
    /// </summary>
    /// <param name="model">The module.</param>
    /// <param name="args">An example input: its dtype, rank and feature size are the graph's.</param>
    /// <param name="f">The <c>.onnx</c> file to write.</param>
    /// <exception cref="OnnxExportException">A module the exporter cannot read as it is (a model class with its own
    /// forward: use the overload with a forward), or a layer it does not support; the message names the module.</exception>
    /// <exception cref="ArgumentException">The example does not fit the module (TorchRnn's or TorchSharp's message).</exception>
    /// <example>
    /// <code>
    /// var lstm = nn.LSTM(8, 16, num_layers: 2, proj_size: 4);
    /// onnx.export(lstm, torch.randn(5, 3, 8), "lstm.onnx"); // inputs input, h0, c0; outputs output, h_n, c_n
    /// </code>
    /// </example>
    public static void export(torch.nn.Module model, Tensor args, string f)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentException.ThrowIfNullOrEmpty(f);
        InEval(model, () =>
        {
            using var graph = new OnnxGraph("torch_rnn", model);
            switch (model)
            {
                case RNNBase rnn:
                    // Every kind, built-in or a user's: the kind decides the node (RecurrentLayers), the options the shapes.
                    Sequence(graph, rnn, args, (x, h, c) => rnn.call(x, h, c));
                    break;
                case TorchRnn.Regularization.WeightDrop dropped:
                    Sequence(graph, dropped.module, args, (x, h, c) => dropped.call(x, h, c));
                    break;
                case RNNCellBase cell:
                    Cell(graph, cell.hidden_size, cell.kind.has_cell, args, (x, h, c) => cell.call(x, h, c));
                    break;
                case torch.nn.Module<Tensor, Tensor> layer:
                    graph.output("output", layer.call(graph.input("input", args)));
                    break;
                default:
                    throw new OnnxExportException(NotReadable(model));
            }
            graph.save(f);
        });
    }

    /// <summary>
    /// Exports a model with its own forward, given the same forward written on <see cref="OnnxTensor"/> (the model's
    /// modules take <see cref="OnnxTensor"/>s, see <see cref="OnnxModules"/>). Before writing, the export runs both on
    /// <paramref name="args"/> and refuses if they differ. Input <c>input</c>, output <c>output</c>.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="args">An example input. Its axes are dynamic except a floating-point input's last (its features).</param>
    /// <param name="f">The <c>.onnx</c> file to write.</param>
    /// <param name="forward">The model's forward on <see cref="OnnxTensor"/>: for <c>head.call(rnn.call(x).output)</c>,
    /// <c>x =&gt; head.call(rnn.call(x).output)</c>.</param>
    /// <exception cref="OnnxExportException">A layer the exporter does not support, or <paramref name="forward"/>
    /// computes something else than the model.</exception>
    /// <exception cref="ArgumentException">The example does not fit the model.</exception>
    /// <example>
    /// <code>
    /// onnx.export(model, torch.randn(4, 20, 1), "sine.onnx", forward: x => model.head.call(model.rnn.call(x).output));
    /// </code>
    /// </example>
    public static void export(torch.nn.Module<Tensor, Tensor> model, Tensor args, string f, Func<OnnxTensor, OnnxTensor> forward)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentException.ThrowIfNullOrEmpty(f);
        InEval(model, () =>
        {
            using var graph = new OnnxGraph("torch_rnn", model);
            var output = forward(graph.input("input", args));
            Verify(graph, model, output, () => model.call(args));
            graph.output("output", output);
            graph.save(f);
        });
    }

    /// <summary>
    /// Exports a model with its own forward that takes one tensor and returns two (an encoder's outputs and final
    /// state, say), given the same forward written on <see cref="OnnxTensor"/>. Before writing, the export runs both on
    /// <paramref name="args"/> and refuses if either output differs. Input <c>input</c>; outputs named by
    /// <paramref name="output_names"/>.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="args">An example input. Its axes are dynamic except a floating-point input's last (its features).</param>
    /// <param name="f">The <c>.onnx</c> file to write.</param>
    /// <param name="forward">The model's forward on <see cref="OnnxTensor"/>, returning the same pair.</param>
    /// <param name="output_names">The two outputs' names (PyTorch's <c>output_names</c>); <c>output0</c> and
    /// <c>output1</c> when null.</param>
    /// <exception cref="OnnxExportException">A layer the exporter does not support, or <paramref name="forward"/>
    /// computes something else than the model; the message says which output.</exception>
    /// <exception cref="ArgumentException">The example does not fit the model, or <paramref name="output_names"/> is not
    /// two distinct names.</exception>
    /// <example>
    /// <code>
    /// // EncoderRNN of PyTorch's seq2seq tutorial: tokens (N, L) -> (outputs (N, L, H), hidden (1, N, H)).
    /// onnx.export(encoder, tokens, "encoder.onnx", forward: x =>
    /// {
    ///     var embedded = encoder.dropout.call(encoder.embedding.call(x));
    ///     return encoder.gru.call(embedded);
    /// }, output_names: ["encoder_outputs", "encoder_hidden"]);
    /// </code>
    /// </example>
    public static void export(torch.nn.Module<Tensor, (Tensor, Tensor)> model, Tensor args, string f,
        Func<OnnxTensor, (OnnxTensor, OnnxTensor)> forward, string[]? output_names = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentException.ThrowIfNullOrEmpty(f);
        output_names ??= ["output0", "output1"];
        if (output_names.Length != 2 || output_names[0] == output_names[1])
            throw new ArgumentException("output_names must be two distinct names, one per output.", nameof(output_names));
        InEval(model, () =>
        {
            using var graph = new OnnxGraph("torch_rnn", model);
            var (first, second) = forward(graph.input("input", args));
            using (var scope = torch.NewDisposeScope())
            {
                Tensor a, b;
                using (torch.no_grad()) (a, b) = model.call(args);
                Verify(graph, model, first, () => a, $"output {output_names[0]}: ");
                Verify(graph, model, second, () => b, $"output {output_names[1]}: ");
            }
            graph.output(output_names[0], first);
            graph.output(output_names[1], second);
            graph.save(f);
        });
    }

    /// <summary>
    /// Exports a model whose forward takes a <see cref="PackedSequence"/>, given the same forward on
    /// <see cref="OnnxPackedSequence"/>. Inputs <c>input</c>, the padded batch (L, N, *) time-major, and
    /// <c>lengths</c> (N, int64), each sequence's length in the batch's order; output <c>output</c>. Checked
    /// against the model's own forward before writing.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="args">An example packed batch.</param>
    /// <param name="f">The <c>.onnx</c> file to write.</param>
    /// <param name="forward">The model's forward on <see cref="OnnxPackedSequence"/>.</param>
    /// <exception cref="OnnxExportException">A layer the exporter does not support, or <paramref name="forward"/>
    /// computes something else than the model.</exception>
    /// <exception cref="ArgumentException">The example does not fit the model.</exception>
    /// <example>
    /// <code>
    /// onnx.export(classifier, packed, "classifier.onnx", forward: batch =>
    /// {
    ///     var (_, h_n) = gru.call(batch);
    ///     return head.call(h_n[-1]);
    /// });
    /// </code>
    /// </example>
    public static void export(torch.nn.Module<PackedSequence, Tensor> model, PackedSequence args, string f,
        Func<OnnxPackedSequence, OnnxTensor> forward)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentException.ThrowIfNullOrEmpty(f);
        InEval(model, () =>
        {
            using var graph = new OnnxGraph("torch_rnn", model);
            Tensor padded, lengths;
            using (torch.no_grad()) (padded, lengths) = nn.utils.rnn.pad_packed_sequence(args);
            using (padded)
            using (lengths)
            {
                var input = graph.input("input", padded, "sequence", "batch", null);
                var lens = graph.input("lengths", lengths, "batch");
                var output = forward(new OnnxPackedSequence(input, lens, graph.Keep(args)));
                Verify(graph, model, output, () => model.call(args));
                graph.output("output", output);
            }
            graph.save(f);
        });
    }

    /// <summary>PyTorch's <c>pack_padded_sequence</c> in a graph: a padded batch and its lengths as an <see cref="OnnxPackedSequence"/>.</summary>
    /// <param name="input">(L, N, *), or (N, L, *) when <paramref name="batch_first"/>.</param>
    /// <param name="lengths">Each sequence's length, int64 (N).</param>
    /// <param name="batch_first">Whether <paramref name="input"/> is batch-first.</param>
    /// <param name="enforce_sorted">As in PyTorch, for the example (the graph does not need sorted lengths).</param>
    /// <returns>The packed batch.</returns>
    /// <exception cref="ArgumentException">The example lengths do not fit (TorchRnn's message), or are not int64.</exception>
    public static OnnxPackedSequence pack_padded_sequence(OnnxTensor input, OnnxTensor lengths, bool batch_first = false, bool enforce_sorted = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(lengths);
        var g = input.Graph;
        g.Own(lengths);
        if (lengths.dtype != ScalarType.Int64) throw new ArgumentException("lengths must be int64.", nameof(lengths));
        PackedSequence? packed = null;
        g.Eager(() =>
        {
            packed = g.Keep(nn.utils.rnn.pack_padded_sequence(input.Example, lengths.Example, batch_first, enforce_sorted));
            return packed.data;
        });
        var data = batch_first ? input.transpose(0, 1) : input;
        return new OnnxPackedSequence(data, lengths, packed!);
    }

    /// <summary>PyTorch's <c>pad_packed_sequence</c> in a graph: the padded output (to the longest sequence, zeros past
    /// each length) and the lengths.</summary>
    /// <param name="sequence">A packed batch, typically a recurrent module's output.</param>
    /// <param name="batch_first">Whether to return (N, L, *) instead of (L, N, *).</param>
    /// <returns>(padded, lengths).</returns>
    public static (OnnxTensor padded, OnnxTensor lengths) pad_packed_sequence(OnnxPackedSequence sequence, bool batch_first = false)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var g = sequence.Data.Graph;
        var w = g.Writer;
        var example = g.Eager(() => nn.utils.rnn.pad_packed_sequence(sequence.Example, batch_first).padded);
        // ONNX keeps the input's L; PyTorch pads to the longest sequence.
        var longest = w.Op("ReduceMax", [sequence.Lengths.Name], GraphWriter.Int("keepdims", 1));
        var padded = w.Op("Slice", sequence.Data.Name, w.Int64s("starts", 0), longest, w.Int64s("axes", 0));
        if (batch_first) padded = w.Op("Transpose", [padded], GraphWriter.Ints("perm", [1, 0, .. Enumerable.Range(2, (int)sequence.Data.dim() - 2).Select(i => (long)i)]));
        return (new OnnxTensor(g, padded, example), sequence.Lengths);
    }

    /// <summary>A sequence module's graph, its shapes from <paramref name="rnn"/>'s options.</summary>
    private static void Sequence(OnnxGraph graph, RNNBase rnn, Tensor args,
        Func<OnnxTensor, OnnxTensor, OnnxTensor?, (OnnxTensor, OnnxTensor, OnnxTensor?)> call)
        => Sequence(graph, rnn.batch_first, rnn.num_layers * (rnn.bidirectional ? 2 : 1), rnn.proj_size > 0 ? rnn.proj_size : rnn.hidden_size,
            rnn.kind.has_cell ? rnn.hidden_size : 0, args, call);

    private static void Sequence(OnnxGraph graph, bool batchFirst, long rows, long outputSize, long cellSize, Tensor args,
        Func<OnnxTensor, OnnxTensor, OnnxTensor?, (OnnxTensor, OnnxTensor, OnnxTensor?)> call)
    {
        var batched = args.dim() == 3;
        var axes = !batched ? new[] { "sequence", null } : batchFirst ? new[] { "batch", "sequence", null } : ["sequence", "batch", null];
        var input = graph.input("input", args, axes);
        long[] Shape(long size) => batched ? [rows, 1, size] : [rows, size];
        var stateAxes = batched ? new[] { null, "batch", null } : [null, null];
        using var zerosH = torch.zeros(Shape(outputSize), args.dtype);
        var h0 = graph.optional_input("h0", zerosH, stateAxes);
        OnnxTensor? c0 = null;
        if (cellSize > 0)
        {
            using var zerosC = torch.zeros(Shape(cellSize), args.dtype);
            c0 = graph.optional_input("c0", zerosC, stateAxes);
        }
        var (output, h_n, c_n) = call(input, h0, c0);
        graph.output("output", output);
        graph.output("h_n", h_n);
        if (c_n is not null) graph.output("c_n", c_n);
    }

    private static void Cell(OnnxGraph graph, long hiddenSize, bool lstm, Tensor args,
        Func<OnnxTensor, OnnxTensor, OnnxTensor?, (OnnxTensor, OnnxTensor?)> call)
    {
        var batched = args.dim() == 2;
        var input = graph.input("input", args, batched ? ["batch", null] : [null]);
        long[] shape = batched ? [1, hiddenSize] : [hiddenSize];
        var stateAxes = batched ? new[] { "batch", null } : [null];
        using var zerosH = torch.zeros(shape, args.dtype);
        var h0 = graph.optional_input("h0", zerosH, stateAxes);
        OnnxTensor? c0 = null;
        if (lstm)
        {
            using var zerosC = torch.zeros(shape, args.dtype);
            c0 = graph.optional_input("c0", zerosC, stateAxes);
        }
        var (h1, c1) = call(input, h0, c0);
        graph.output("h_1", h1);
        if (c1 is not null) graph.output("c_1", c1);
    }

    private static void Verify(OnnxGraph graph, torch.nn.Module model, OnnxTensor output, Func<Tensor> run, string which = "")
    {
        graph.Own(output);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var expected = run();
        var actual = output.Example;
        if (!expected.shape.SequenceEqual(actual.shape))
            throw new OnnxExportException(
                $"The forward given for {graph.Describe(model)} does not compute what the model computes: {which}it gives shape " +
                $"[{string.Join(", ", actual.shape)}], the model [{string.Join(", ", expected.shape)}].");
        if (actual.dtype != expected.dtype)
            throw new OnnxExportException(
                $"The forward given for {graph.Describe(model)} does not compute what the model computes: {which}it gives " +
                $"{actual.dtype}, the model {expected.dtype}.");
        if (!torch.allclose(actual, expected, rtol: 1e-5, atol: 1e-6, equal_nan: true))
        {
            // The difference in float64 whatever the dtype: item<float>() of a float64 tensor throws.
            var largest = (actual - expected).abs().max().to(ScalarType.Float64).item<double>();
            throw new OnnxExportException(
                $"The forward given for {graph.Describe(model)} does not compute what the model computes: {which}they differ by up to " +
                $"{largest:G3} on the example. Write it as the model's forward, with the same modules and operations.");
        }
    }

    /// <summary>Why <see cref="export(torch.nn.Module, Tensor, string)"/> cannot read a module as it is: its forward's
    /// signature, and the export that fits it.</summary>
    private static string NotReadable(torch.nn.Module model)
    {
        var signature = Signature(model.GetType());
        var what = signature is null
            ? "its forward is C# code that the exporter cannot read"
            : $"its forward ({signature.Value.Input} -> {signature.Value.Output}) is C# code that the exporter cannot read";
        var how = signature is { Input: "Tensor", Output: "(Tensor, Tensor)" }
            ? "export it with the same forward written on OnnxTensor, returning both outputs " +
              "(onnx.export(model, input, path, forward: x => (a, b), output_names: [...]))"
            : signature is { Input: "Tensor", Output: "Tensor" }
                ? "export it with a forward written on OnnxTensor (onnx.export(model, input, path, forward: x => ...))"
                : "build its graph with OnnxGraph (new OnnxGraph(model)), declaring its inputs, calling its modules on them " +
                  "as its forward does, and declaring its outputs";
        return $"Cannot export the model ({model.GetType().Name}): {what}; {how}.";
    }

    /// <summary>The input and output types of a module's <c>forward</c>, read from its <c>Module&lt;T, TResult&gt;</c>
    /// base (C#'s names: <c>Tensor</c>, <c>(Tensor, Tensor)</c>); null for a module without one.</summary>
    private static (string Input, string Output)? Signature(Type type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (!t.IsGenericType || t.GetGenericTypeDefinition() != typeof(torch.nn.Module<,>)) continue;
            var args = t.GetGenericArguments();
            return (TypeName(args[0]), TypeName(args[1]));
        }
        return null;
    }

    private static string TypeName(Type type)
        => type.IsGenericType && type.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true
            ? $"({string.Join(", ", type.GetGenericArguments().Select(TypeName))})"
            : type.IsGenericType
                ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>"
                : type.Name;

    private static void InEval(torch.nn.Module model, Action export)
    {
        var training = model.training;
        model.eval();
        try
        {
            export();
        }
        finally
        {
            if (training) model.train();
        }
    }
}
