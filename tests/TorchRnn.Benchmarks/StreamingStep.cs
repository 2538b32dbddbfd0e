using System;
using Microsoft.ML.OnnxRuntime;
using TorchRnn.Onnx;

namespace TorchRnn.Benchmarks;

/// <summary>
/// One generation step in ONNX Runtime through TorchRnn.Onnx's <see cref="OnnxStreamingSession"/>, as its README shows
/// it: <c>using var outputs = stream.run(("input", x))</c>. The session keeps the states on ONNX Runtime's side and
/// binds them on every run, and ONNX Runtime allocates the output it returns.
/// </summary>
internal sealed class StreamingStep : IWorkloadRun
{
    private readonly OnnxStreamingSession _stream;
    private readonly OrtValue _input;

    /// <param name="session">A session of TorchRnn.Onnx's export of a sequence module.</param>
    /// <param name="input">The step's input (1, N, H_in), fed on every call.</param>
    /// <param name="inputShape">Its shape.</param>
    public StreamingStep(InferenceSession session, float[] input, long[] inputShape)
    {
        _stream = new OnnxStreamingSession(session, batch_size: inputShape[1]);
        _input = OrtValue.CreateTensorValueFromMemory(input, inputShape);
    }

    /// <summary>The state the next call reads as <paramref name="input"/> (h0 or c0).</summary>
    public ReadOnlySpan<float> State(string input) => _stream.state(input).GetTensorDataAsSpan<float>();

    public void Call()
    {
        using var outputs = _stream.run(("input", _input));
    }

    public void Dispose()
    {
        _stream.Dispose();
        _input.Dispose();
    }
}
