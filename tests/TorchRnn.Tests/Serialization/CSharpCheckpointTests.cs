using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Serialization;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Serialization;

/// <summary>
/// Weights trained in C# for PyTorch: each run writes csharp-checkpoints/ in the test output (checkpoints in both
/// formats and outputs.json with C#'s outputs), the same as the committed tests/fixtures/checkpoints/csharp/ that
/// tests/fixtures/check_csharp_checkpoint.py loads in PyTorch 1.13 and compares.
/// </summary>
public class CSharpCheckpointTests
{
    private static readonly string[] Names = ["gru_bidirectional", "lstm_proj_batch_first", "rnn_relu"];

    [Test]
    public void Save_TrainedInCSharp_WritesCheckpointsAndOutputsForPython()
    {
        var dir = Path.Combine(TestContext.CurrentContext.TestDirectory, "csharp-checkpoints");
        Directory.CreateDirectory(dir);
        var models = new List<Dictionary<string, object?>>();
        foreach (var name in Names)
        {
            using var scope = torch.NewDisposeScope();
            var model = TrainedInCSharp(name);
            var input = CheckpointCase.PyTorch(name).Input.ToTensor(ScalarType.Float32, torch.CPU);
            Checkpoint.save(model, Path.Combine(dir, name + ".pt"));
            Checkpoint.save(model, Path.Combine(dir, name + ".safetensors"));
            using var noGrad = torch.no_grad();
            var (y, hn, cn) = model.call(input);
            models.Add(new()
            {
                ["name"] = name,
                ["keys"] = model.state_dict().Keys.ToList(),
                ["input"] = Record(input),
                ["output"] = Record(y),
                ["h_n"] = Record(hn),
                ["c_n"] = cn is null ? null : Record(cn),
            });
        }
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["generator"] = "tests/TorchRnn.Tests/Serialization/CSharpCheckpointTests.cs",
            ["models"] = models,
        });
        File.WriteAllText(Path.Combine(dir, "outputs.json"), json + "\n");

        // What was written loads back in C# and reproduces C#'s outputs.
        foreach (var c in CheckpointCase.Read(Path.Combine(dir, "outputs.json")))
        {
            foreach (var ext in new[] { ".pt", ".safetensors" })
            {
                using var fresh = CheckpointCase.Build(c.Name);
                Checkpoint.load(fresh, Path.Combine(dir, c.Name + ext));
                c.AssertOutputs(fresh, ScalarType.Float32, torch.CPU, 1e-6);
            }
        }
    }

    private static IEnumerable<TestCaseData> Committed()
        => from name in Names
           from ext in new[] { ".pt", ".safetensors" }
           select new TestCaseData(name, ext).SetArgDisplayNames(name, ext);

    [TestCaseSource(nameof(Committed))]
    public void Load_CommittedCSharpCheckpoint_ReproducesItsRecordedOutputs(string name, string ext)
    {
        var dir = Path.Combine(CheckpointCase.FixtureDirectory, "csharp");
        var c = CheckpointCase.Read(Path.Combine(dir, "outputs.json")).Single(m => m.Name == name);
        using var model = CheckpointCase.Build(name);

        Checkpoint.load(model, Path.Combine(dir, name + ext));

        c.AssertOutputs(model, ScalarType.Float32, torch.CPU, 1e-6);
    }

    /// <summary>Seeded C# weights, then a few SGD steps in C#, so that the weights come from nowhere but C#.</summary>
    private static SequenceModel TrainedInCSharp(string name)
    {
        torch.manual_seed(2024);
        var model = CheckpointCase.Build(name);
        model.train();
        var optimizer = torch.optim.SGD(model.parameters(), 0.1);
        var input = torch.randn(CheckpointCase.PyTorch(name).Input.Shape);
        for (var step = 0; step < 3; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var (y, _, _) = model.call(input);
            (y - 1).pow(2).mean().backward();
            optimizer.step();
        }
        model.eval();
        return model;
    }

    private static Dictionary<string, object> Record(Tensor t) => new()
    {
        ["shape"] = t.shape,
        ["values"] = Expect.Values(t),
    };
}
