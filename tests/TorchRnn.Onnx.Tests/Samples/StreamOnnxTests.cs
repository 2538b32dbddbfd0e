using System;
using System.IO;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Tests.Support;

namespace TorchRnn.Onnx.Tests.Samples;

[TestFixture]
[NonParallelizable] // it writes to Console.Out
public class StreamOnnxTests
{
    [Test]
    public void StreamOnnx_ShortRun_AllThreeAgreeWithTorchRnnAndTheRecordNamesTheCpu()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"torchrnn-stream-{Guid.NewGuid():N}");
        try
        {
            var (code, output) = SampleRunner.Run("StreamOnnx", "--steps", "20", "--out", dir);
            Assert.That(code, Is.EqualTo(0), output);
            Assert.That(output, Does.Contain("all three agree with TorchRnn's whole-sequence output"));
            using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "streaming.json")));
            Assert.That(record.RootElement.GetProperty("results").GetArrayLength(), Is.EqualTo(2), "batch 1 and batch 32");
            Assert.That(record.RootElement.TryGetProperty("cpu", out _), Is.True);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void StreamOnnx_UnknownOption_IsAnError_ExitsTwo()
    {
        var (code, output, error) = SampleRunner.RunCapturingErrors("StreamOnnx", "--sed", "3");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("StreamOnnx: Unrecognized command or argument '--sed'."));
        Assert.That(output, Is.Empty, "nothing ran");
    }
}
