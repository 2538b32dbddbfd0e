using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace TorchRnn.Onnx;

/// <summary>
/// Keras's <c>stateful=True</c> for an exported model in ONNX Runtime, which is stateless: each <see cref="run"/>
/// feeds the model the states (<c>h_n</c>, <c>c_n</c>) its previous run returned, for a batch of independent streams.
/// The states never leave ONNX Runtime's memory: each state has two buffers, bound with an <see cref="OrtIoBinding"/>
/// one as the state input and the other as the state output, and swapped after each run; nothing is copied.
/// </summary>
/// <remarks>
/// <para>A state input's batch axis is PyTorch's: axis 1 of a sequence module's (D * num_layers, N, H) state,
/// axis 0 of a cell's (N, H). Its other axes take their sizes from the model; one the model leaves dynamic takes
/// size 1 (<see cref="OnnxGraph.optional_input"/>'s default leaves the axes of size 1 of its zeros dynamic).</para>
/// <para>The states start at zeros, as a TorchRnn module's do without <c>hx</c>. The session uses the
/// <see cref="InferenceSession"/> it is given and does not dispose it; one session streams at a time (not thread-safe).</para>
/// </remarks>
/// <example>
/// <code>
/// // onnx.export(gru, example, "gru.onnx") gives inputs input, h0 and outputs output, h_n.
/// using var inference = new InferenceSession("gru.onnx");
/// using var stream = new OnnxStreamingSession(inference, batch_size: 32); // pairs h0 -> h_n (and c0 -> c_n)
/// foreach (var chunk in chunks) // each (L, 32, H_in), L as long as each chunk is
/// {
///     using var x = OrtValue.CreateTensorValueFromMemory(chunk, [chunk.Length / (32 * inputSize), 32, inputSize]);
///     using var outputs = stream.run(("input", x));
///     Use(outputs[0].GetTensorDataAsSpan&lt;float&gt;());
/// }
/// stream.reset_states(5); // stream 5 starts anew; the 31 others go on
/// </code>
/// </example>
public sealed class OnnxStreamingSession : IDisposable
{
    /// <summary>The state pairs that <see cref="onnx.export(TorchSharp.torch.nn.Module, TorchSharp.torch.Tensor, string)"/>
    /// writes: a sequence module's <c>h0</c> -> <c>h_n</c>, <c>c0</c> -> <c>c_n</c>; a cell's <c>h0</c> -> <c>h_1</c>,
    /// <c>c0</c> -> <c>c_1</c>.</summary>
    private static readonly (string Input, string Output)[] Exported = [("h0", "h_n"), ("c0", "c_n"), ("h0", "h_1"), ("c0", "c_1")];

    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly StreamState[] _states;
    private readonly string[] _outputs;
    private readonly long _batch;
    private bool _disposed;

    /// <summary>Starts streaming <paramref name="batch_size"/> independent streams through <paramref name="session"/>,
    /// every state at zeros.</summary>
    /// <param name="session">A session of a model with state inputs and outputs, such as TorchRnn.Onnx writes.</param>
    /// <param name="batch_size">How many streams run side by side (N).</param>
    /// <param name="states">Each state's input and output names, such as <c>("h0", "h_n")</c>. None: the names
    /// TorchRnn.Onnx's exports use, those of <c>h0</c> -> <c>h_n</c>, <c>c0</c> -> <c>c_n</c>, <c>h0</c> -> <c>h_1</c>,
    /// <c>c0</c> -> <c>c_1</c> that the model has.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch_size"/> is not positive.</exception>
    /// <exception cref="ArgumentException">A state name the model does not have, a state whose input and output element
    /// types differ, a state of a type other than float, double or float16, or no state at all.</exception>
    public OnnxStreamingSession(InferenceSession session, long batch_size, params (string input, string output)[] states)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(states);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch_size);
        _session = session;
        _batch = batch_size;
        if (states.Length == 0)
            states = Exported.Where(p => InputMetadata(session, p.Input) is not null && session.OutputMetadata.ContainsKey(p.Output))
                .Select(p => (p.Input, p.Output)).ToArray();
        if (states.Length == 0)
            throw new ArgumentException(
                "The model has none of the state inputs and outputs TorchRnn.Onnx writes (h0 -> h_n, c0 -> c_n); name its states.",
                nameof(states));
        _states = states.Select(p => StreamState.Create(session, p.input, p.output, batch_size)).ToArray();
        var stateOutputs = _states.Select(s => s.Output).ToHashSet(StringComparer.Ordinal);
        _outputs = session.OutputNames.Where(n => !stateOutputs.Contains(n)).ToArray();
        _binding = session.CreateIoBinding();
    }

    /// <summary>How many streams run side by side.</summary>
    public long batch_size => _batch;

    /// <summary>The outputs each <see cref="run"/> returns, in order: the model's outputs other than its states.</summary>
    public IReadOnlyList<string> output_names => _outputs;

    /// <summary>
    /// Runs the model on the next chunk of every stream, with the states the previous run left (zeros at first), and
    /// keeps the states it returns for the next run.
    /// </summary>
    /// <param name="inputs">The model's inputs other than its states, by name, as <see cref="OrtValue"/>s (for
    /// example over a <c>float[]</c>, with <see cref="OrtValue.CreateTensorValueFromMemory{T}(T[], long[])"/>, which
    /// does not copy). Their batch must be <see cref="batch_size"/>.</param>
    /// <returns>The outputs named by <see cref="output_names"/>, in that order; dispose them.</returns>
    /// <exception cref="ArgumentException">A state input among <paramref name="inputs"/>: the session feeds those.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime refuses the inputs (a wrong shape, a missing input).</exception>
    public IDisposableReadOnlyCollection<OrtValue> run(params (string name, OrtValue value)[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _binding.ClearBoundInputs();
        _binding.ClearBoundOutputs();
        foreach (var (name, value) in inputs)
        {
            if (_states.Any(s => s.Input == name))
                throw new ArgumentException($"'{name}' is a state input, which the streaming session feeds; leave it out.", nameof(inputs));
            _binding.BindInput(name, value);
        }
        foreach (var name in _outputs) _binding.BindOutputToDevice(name, OrtMemoryInfo.DefaultInstance);
        foreach (var s in _states)
        {
            _binding.BindInput(s.Input, s.Current);
            _binding.BindOutput(s.Output, s.Next);
        }
        _session.RunWithBinding(_runOptions, _binding);
        var results = new Outputs();
        // Bound in order: the model's own outputs, handed to the caller, then the states (aliases of this session's
        // buffers, released here). Not disposed as a collection, which would dispose the caller's values too.
        var all = _binding.GetOutputValues();
        for (var i = 0; i < all.Count; i++)
        {
            if (i < _outputs.Length) results.Add(all[i]);
            else all[i].Dispose();
        }
        foreach (var s in _states) s.Swap();
        return results;
    }

    /// <summary>Keras's <c>reset_states()</c>: every stream starts anew, from zero states.</summary>
    public void reset_states()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var s in _states) s.Current.GetTensorMutableRawData().Clear();
    }

    /// <summary>Resets the given streams only (rows of the batch), leaving the others' states as they are: for a batch
    /// of independent streams, one of which ends and is replaced by a new one.</summary>
    /// <param name="rows">The streams' positions in the batch, 0 to <see cref="batch_size"/> - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A row outside the batch.</exception>
    public void reset_states(params long[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var row in rows)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(row, nameof(rows));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, _batch, nameof(rows));
        }
        foreach (var s in _states)
        foreach (var row in rows)
            s.ClearRow(row);
    }

    /// <summary>The state that the next <see cref="run"/> will feed as <paramref name="input"/> (zeros before the first),
    /// owned by the session: read it before the next run, which may overwrite it.</summary>
    /// <param name="input">The state input's name, such as <c>h0</c>.</param>
    /// <returns>The state, shaped as the model's state input with the batch set.</returns>
    /// <exception cref="ArgumentException">Not a state of this session.</exception>
    public OrtValue state(string input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return (_states.FirstOrDefault(s => s.Input == input)
            ?? throw new ArgumentException($"'{input}' is not a state of this session ({string.Join(", ", _states.Select(s => s.Input))}).",
                nameof(input))).Current;
    }

    /// <summary>Frees the state buffers and the binding (not the <see cref="InferenceSession"/>).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var s in _states) s.Dispose();
        _binding.Dispose();
        _runOptions.Dispose();
    }

    private static NodeMetadata? InputMetadata(InferenceSession session, string name)
        => session.InputMetadata.TryGetValue(name, out var m) ? m
            : session.OverridableInitializerMetadata.TryGetValue(name, out var o) ? o : null;

    /// <summary>One state: its two buffers (the one fed next, and the one the run writes), and where its batch axis is.</summary>
    private sealed class StreamState : IDisposable
    {
        private readonly long _outer, _rowBytes, _batch;

        private StreamState(string input, string output, OrtValue current, OrtValue next, long outer, long rowBytes, long batch)
        {
            (Input, Output, Current, Next, _outer, _rowBytes, _batch) = (input, output, current, next, outer, rowBytes, batch);
        }

        public string Input { get; }

        public string Output { get; }

        public OrtValue Current { get; private set; }

        public OrtValue Next { get; private set; }

        public static StreamState Create(InferenceSession session, string input, string output, long batch)
        {
            var inMeta = InputMetadata(session, input)
                ?? throw new ArgumentException($"The model has no input '{input}'.", nameof(input));
            if (!session.OutputMetadata.TryGetValue(output, out var outMeta))
                throw new ArgumentException($"The model has no output '{output}'.", nameof(output));
            if (!inMeta.IsTensor || inMeta.ElementDataType != outMeta.ElementDataType)
                throw new ArgumentException($"The state '{input}' -> '{output}' is not one tensor type in and out.", nameof(input));
            var size = inMeta.ElementDataType switch
            {
                TensorElementType.Float => 4,
                TensorElementType.Double => 8,
                TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
                var other => throw new ArgumentException($"The state '{input}' is {other}; float, double and float16 states stream.", nameof(input)),
            };
            var dims = inMeta.Dimensions;
            if (dims.Length is not (2 or 3))
                throw new ArgumentException($"The state '{input}' has {dims.Length} dimensions; a state is (D * num_layers, N, H) or (N, H).", nameof(input));
            var axis = dims.Length - 2; // PyTorch's batch axis of a state
            var shape = dims.Select((d, i) => i == axis ? batch : d > 0 ? d : 1L).ToArray();
            var outer = shape.Take(axis).Aggregate(1L, (a, b) => a * b);
            var rowBytes = shape.Skip(axis + 1).Aggregate(1L, (a, b) => a * b) * size;
            var current = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, inMeta.ElementDataType, shape);
            var next = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, inMeta.ElementDataType, shape);
            current.GetTensorMutableRawData().Clear();
            next.GetTensorMutableRawData().Clear();
            return new StreamState(input, output, current, next, outer, rowBytes, batch);
        }

        public void Swap() => (Current, Next) = (Next, Current);

        public void ClearRow(long row)
        {
            var data = Current.GetTensorMutableRawData();
            for (var o = 0L; o < _outer; o++) data.Slice((int)((o * _batch + row) * _rowBytes), (int)_rowBytes).Clear();
        }

        public void Dispose()
        {
            Current.Dispose();
            Next.Dispose();
        }
    }

    /// <summary>A run's outputs, which the caller disposes.</summary>
    private sealed class Outputs : List<OrtValue>, IDisposableReadOnlyCollection<OrtValue>
    {
        public void Dispose()
        {
            foreach (var v in this) v.Dispose();
            Clear();
        }
    }
}
