using System;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests.Support;

/// <summary>A model exported to a temporary file and loaded in ONNX Runtime; the file is deleted on dispose.</summary>
public sealed class Exported : IDisposable
{
    private readonly string _path;

    private Exported(string path)
    {
        _path = path;
        Bytes = File.ReadAllBytes(path);
        Runtime = new Runtime(Bytes);
    }

    public byte[] Bytes { get; }

    public Runtime Runtime { get; }

    public static Exported From(Action<string> export)
    {
        var path = Path.Combine(Path.GetTempPath(), $"torchrnn-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            export(path);
            return new Exported(path);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    public static Exported Of(OnnxGraph graph) => From(graph.save);

    public static Exported Of(torch.nn.Module module, Tensor example) => From(path => onnx.export(module, example, path));

    public void Dispose()
    {
        Runtime.Dispose();
        File.Delete(_path);
    }
}
