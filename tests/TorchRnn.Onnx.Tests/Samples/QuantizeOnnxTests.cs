using System;
using System.IO;
using System.Text.RegularExpressions;
using NUnit.Framework;
using TorchRnn.Tests.Support;

namespace TorchRnn.Onnx.Tests.Samples;

[TestFixture]
[NonParallelizable] // it writes to Console.Out
public class QuantizeOnnxTests
{
    [Test]
    public void QuantizeOnnx_QuickModel_Int8IsAQuarterAndScoresLikeFloat()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"torchrnn-int8-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var checkpoint = Path.Combine(dir, "model.pt");
            var (trained, trainOutput) = SampleRunner.Run("WordLanguageModel", "--quick", "--epochs", "1", "--threads", "1", "--save", checkpoint);
            Assert.That(trained, Is.EqualTo(0), trainOutput);

            var (code, output) = SampleRunner.Run("QuantizeOnnx", "--quick", "--checkpoint", checkpoint, "--out", dir,
                "--max-tokens", "2000", "--blocks", "2", "--steps", "5");
            Assert.That(code, Is.EqualTo(0), output);
            Assert.That(output, Does.Contain("the float32 export agrees with TorchRnn's perplexity"));
            var floatBytes = new FileInfo(Path.Combine(dir, "lm.onnx")).Length;
            var int8Bytes = new FileInfo(Path.Combine(dir, "lm.int8.onnx")).Length;
            Assert.That(int8Bytes, Is.LessThan(floatBytes * 0.3));

            var report = File.ReadAllText(Path.Combine(dir, "int8.md"));
            Assert.That(report, Does.Contain("cpu family").And.Contain("command: `dotnet run"));
            var ppl = Regex.Match(report, @"\| test perplexity [^|]*\| ([\d.]+) \| ([\d.]+) \|");
            Assert.That(ppl.Success, Is.True, report);
            var (floatPpl, int8Ppl) = (double.Parse(ppl.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                double.Parse(ppl.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
            // int8 weights move a perplexity of hundreds by far less than a few percent (631.29 -> 631.24 on the trained model).
            Assert.That(int8Ppl / floatPpl, Is.InRange(0.95, 1.05), report);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
