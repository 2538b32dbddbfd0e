using System;
using System.IO;
using NUnit.Framework;
using TorchRnn.Tests.Support;

namespace TorchRnn.Onnx.Tests.Samples;

[TestFixture]
[NonParallelizable]
public class DeployOnnxTests
{
    [Test]
    public void DeployOnnx_TrainExportThenStreamInOnnxRuntimeOnly_SamePredictions()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"torchrnn-deploy-{Guid.NewGuid():N}");
        try
        {
            var (trainCode, trainOutput) = SampleRunner.Run("DeployOnnx", "--steps", "30", "--out", dir);
            Assert.That(trainCode, Is.EqualTo(0), trainOutput);
            Assert.That(trainOutput, Does.Contain("step 30: loss "));
            Assert.That(File.Exists(Path.Combine(dir, "sine.onnx")), Is.True);

            var (runCode, runOutput) = SampleRunner.Run("DeployOnnxRuntime", dir);
            Assert.That(runCode, Is.EqualTo(0), runOutput);
            Assert.That(runOutput, Does.Contain("ONNX Runtime agrees with TorchRnn on all 200 streamed predictions"));
            Assert.That(runOutput, Does.Match(@"per step \(batch 5, one thread, median of 200\): TorchRnn [0-9.]+ µs, ONNX Runtime [0-9.]+ µs"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void DeployOnnxRuntime_ReferencesNeitherTorchSharpNorLibTorch()
    {
        // What the runtime-only app was built against, from its own dependency manifest.
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "DeployOnnxRuntime.deps.json");
        var deps = File.ReadAllText(path).ToLowerInvariant();
        Assert.That(deps, Does.Contain("microsoft.ml.onnxruntime/1.32.0"));
        Assert.That(deps, Does.Not.Contain("torchsharp").And.Not.Contain("libtorch").And.Not.Contain("torchrnn"));
    }
}
