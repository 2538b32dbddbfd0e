using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace TorchRnn.Benchmarks;

/// <summary>
/// One generation step of an exported module in ONNX Runtime, called the cheapest way an application can: every value
/// allocated once and bound once, in two <see cref="OrtIoBinding"/>s that swap the two buffers of each state (one run
/// reads <c>h0</c> from the first and writes <c>h_n</c> into the second, the next run the other way round). A call is
/// one <see cref="InferenceSession.RunWithBinding(RunOptions, OrtIoBinding)"/>: nothing is allocated, copied or bound.
/// </summary>
internal sealed class OrtStep : IWorkloadRun
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue _input;
    private readonly OrtValue _output;
    private readonly Dictionary<string, OrtValue[]> _states = [];
    private readonly OrtIoBinding[] _bindings;
    private int _next;

    /// <param name="session">A session of TorchRnn.Onnx's export of a sequence module (inputs input, h0, c0; outputs output, h_n, c_n).</param>
    /// <param name="input">The step's input (1, N, H_in), fed on every call.</param>
    /// <param name="inputShape">Its shape.</param>
    /// <param name="stateShape">A state's shape, (num_layers, N, H).</param>
    public OrtStep(InferenceSession session, float[] input, long[] inputShape, long[] stateShape)
    {
        _session = session;
        _input = OrtValue.CreateTensorValueFromMemory(input, inputShape);
        _output = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [inputShape[0], inputShape[1], stateShape[2]]);
        (string Input, string Output)[] pairs = [("h0", "h_n"), ("c0", "c_n")];
        pairs = pairs.Where(p => session.OutputMetadata.ContainsKey(p.Output)).ToArray();
        foreach (var (name, _) in pairs)
        {
            _states[name] = [Zeros(stateShape), Zeros(stateShape)];
        }
        _bindings = [Bind(pairs, 0), Bind(pairs, 1)];
    }

    /// <summary>The state the next call reads as <paramref name="input"/> (h0 or c0): the one the last call wrote.</summary>
    public ReadOnlySpan<float> State(string input) => _states[input][_next].GetTensorDataAsSpan<float>();

    public void Call()
    {
        _session.RunWithBinding(_runOptions, _bindings[_next]);
        _next ^= 1;
    }

    public void Dispose()
    {
        foreach (var binding in _bindings) binding.Dispose();
        foreach (var buffers in _states.Values)
        {
            foreach (var buffer in buffers) buffer.Dispose();
        }
        _output.Dispose();
        _input.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>The binding that reads each state from buffer <paramref name="read"/> and writes it into the other.</summary>
    private OrtIoBinding Bind((string Input, string Output)[] pairs, int read)
    {
        var binding = _session.CreateIoBinding();
        binding.BindInput("input", _input);
        binding.BindOutput("output", _output);
        foreach (var (input, output) in pairs)
        {
            binding.BindInput(input, _states[input][read]);
            binding.BindOutput(output, _states[input][1 - read]);
        }
        return binding;
    }

    private static OrtValue Zeros(long[] shape)
    {
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape);
        value.GetTensorMutableRawData().Clear();
        return value;
    }
}
