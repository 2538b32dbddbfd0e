using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests.Support;

/// <summary>Runs an exported model in ONNX Runtime, TorchSharp tensors in and out.</summary>
public sealed class Runtime : IDisposable
{
    private readonly InferenceSession _session;

    public Runtime(byte[] model)
    {
        // Errors only: ONNX Runtime warns that optional inputs (initializers a caller may override) are not constants.
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        _session = new InferenceSession(model, options);
    }

    public Runtime(string path) : this(System.IO.File.ReadAllBytes(path))
    {
    }

    /// <summary>The inputs a caller must give.</summary>
    public IReadOnlyList<string> InputNames => _session.InputNames;

    /// <summary>The inputs a caller may leave out (initializers of the same name give their values).</summary>
    public IReadOnlyList<string> OptionalInputNames => _session.OverridableInitializerMetadata.Keys.ToList();

    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>Runs the model; every output comes back as a CPU tensor of its ONNX dtype.</summary>
    public Dictionary<string, Tensor> Run(params (string Name, Tensor Value)[] inputs)
    {
        var values = new List<OrtValue>();
        try
        {
            var feeds = new Dictionary<string, OrtValue>();
            foreach (var (name, value) in inputs)
            {
                var v = ToOrt(value);
                values.Add(v);
                feeds[name] = v;
            }
            using var options = new RunOptions();
            using var results = _session.Run(options, feeds, _session.OutputNames);
            return _session.OutputNames.Zip(results).ToDictionary(p => p.First, p => FromOrt(p.Second));
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public void Dispose() => _session.Dispose();

    /// <summary>A tensor's values in an OrtValue of the same shape (a copy).</summary>
    public static OrtValue ToOrt(Tensor t)
    {
        var c = t.cpu().contiguous();
        return c.dtype switch
        {
            ScalarType.Float32 => OrtValue.CreateTensorValueFromMemory(c.data<float>().ToArray(), c.shape),
            ScalarType.Float64 => OrtValue.CreateTensorValueFromMemory(c.data<double>().ToArray(), c.shape),
            ScalarType.Int64 => OrtValue.CreateTensorValueFromMemory(c.data<long>().ToArray(), c.shape),
            ScalarType.Bool => OrtValue.CreateTensorValueFromMemory(c.data<bool>().ToArray(), c.shape),
            _ => throw new NotSupportedException(c.dtype.ToString()),
        };
    }

    /// <summary>An OrtValue's values as a CPU tensor (a copy).</summary>
    public static Tensor FromOrt(OrtValue v)
    {
        var info = v.GetTensorTypeAndShape();
        var shape = info.Shape;
        return info.ElementDataType switch
        {
            TensorElementType.Float => torch.tensor(v.GetTensorDataAsSpan<float>().ToArray(), shape),
            TensorElementType.Double => torch.tensor(v.GetTensorDataAsSpan<double>().ToArray(), shape),
            TensorElementType.Int64 => torch.tensor(v.GetTensorDataAsSpan<long>().ToArray(), shape),
            TensorElementType.Bool => torch.tensor(v.GetTensorDataAsSpan<bool>().ToArray(), shape),
            _ => throw new NotSupportedException(info.ElementDataType.ToString()),
        };
    }
}
