using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Serialization;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Serialization;

/// <summary>
/// TorchRnn's save path, judged by PyTorch: tests/fixtures/checkpoints/csharp holds checkpoints that C# trained and
/// saved, and pytorch.json there is PyTorch 1.13's reading of each file (tests/fixtures/check_csharp_checkpoint.py
/// --write): the keys and tensors PyTorch found in it and PyTorch's outputs for it. A save/load bug that is symmetric
/// (one that C# undoes when it reads its own file) fails here, because PyTorch, not C#, reads the files.
/// </summary>
public class CSharpCheckpointTests
{
    private static readonly string[] Names = ["gru_bidirectional", "lstm_proj_batch_first", "rnn_relu"];

    private static string Committed(string file) => Path.Combine(CheckpointCase.FixtureDirectory, "csharp", file);

    /// <summary>PyTorch's reading of the committed C# file <c>{name}{ext}</c>.</summary>
    private static CheckpointCase PyTorchReading(string name, string ext)
        => CheckpointCase.Read(Committed("pytorch.json")).Single(c => c.FileName == name + ext);

    private static IEnumerable<TestCaseData> Files()
        => from name in Names
           from ext in new[] { ".pt", ".safetensors" }
           select new TestCaseData(name, ext).SetArgDisplayNames(name, ext);

    [TestCaseSource(nameof(Files))]
    public void Load_CSharpCheckpoint_ReadsThePyTorchReadTensorsAndGivesPyTorchsOutputs(string name, string ext)
    {
        var reading = PyTorchReading(name, ext);
        using var model = CheckpointCase.Build(name);

        Checkpoint.load(model, Committed(name + ext));

        var state = model.state_dict();
        Assert.That(state.Keys, Is.EqualTo(reading.Keys), "keys, in PyTorch's order");
        foreach (var (key, value) in reading.State) Expect.Identical(state[key], value, key);
        reading.AssertOutputs(model, ScalarType.Float32, torch.CPU, 1e-5);
    }

    [TestCaseSource(nameof(Files))]
    public void Save_TheTensorsPyTorchRead_WritesTheFilePyTorchRead(string name, string ext)
    {
        var reading = PyTorchReading(name, ext);
        using var model = CheckpointCase.Build(name);
        var parameters = model.state_dict();
        using (torch.no_grad())
        {
            foreach (var (key, value) in reading.State)
            {
                using var scope = torch.NewDisposeScope();
                parameters[key].copy_(value.ToTensor(ScalarType.Float32, torch.CPU));
            }
        }
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"{TestContext.CurrentContext.Test.ID}{ext}");

        Checkpoint.save(model, path);

        AssertSameContent(path, Committed(name + ext));
    }

    /// <summary>
    /// Writes csharp-checkpoints/ in the test output: the checkpoints and outputs.json (C#'s input and outputs), which
    /// is how the committed files were made (see check_csharp_checkpoint.py). The model C# trains gives the outputs
    /// PyTorch got from the committed files, within the float32 rounding of another CPU's training steps.
    /// </summary>
    [Test]
    public void Save_TrainedInCSharp_WritesCheckpointsWhosePyTorchOutputsItReproduces()
    {
        var dir = Path.Combine(TestContext.CurrentContext.TestDirectory, "csharp-checkpoints");
        Directory.CreateDirectory(dir);
        var models = new List<Dictionary<string, object?>>();
        foreach (var name in Names)
        {
            using var scope = torch.NewDisposeScope();
            using var model = TrainedInCSharp(name);
            var input = CheckpointCase.PyTorch(name).Input.ToTensor(ScalarType.Float32, torch.CPU);
            Checkpoint.save(model, Path.Combine(dir, name + ".pt"));
            Checkpoint.save(model, Path.Combine(dir, name + ".safetensors"));
            using (torch.no_grad())
            {
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
            foreach (var ext in new[] { ".pt", ".safetensors" })
                PyTorchReading(name, ext).AssertOutputs(model, ScalarType.Float32, torch.CPU, 1e-5);
        }
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["generator"] = "tests/TorchRnn.Tests/Serialization/CSharpCheckpointTests.cs",
            ["models"] = models,
        });
        File.WriteAllText(Path.Combine(dir, "outputs.json"), json + "\n");
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

    /// <summary>
    /// The same file: a safetensors file byte for byte; a .pt zip entry for entry (names, order and bytes), since each
    /// entry also records the time it was written, which PyTorch never reads.
    /// </summary>
    private static void AssertSameContent(string actual, string expected)
    {
        if (Path.GetExtension(expected) != ".pt")
        {
            Assert.That(File.ReadAllBytes(actual), Is.EqualTo(File.ReadAllBytes(expected)), "bytes");
            return;
        }
        using var a = ZipFile.OpenRead(actual);
        using var e = ZipFile.OpenRead(expected);
        Assert.That(a.Entries.Select(x => x.FullName), Is.EqualTo(e.Entries.Select(x => x.FullName)), "zip entries");
        foreach (var (x, y) in a.Entries.Zip(e.Entries))
            Assert.That(Bytes(x), Is.EqualTo(Bytes(y)), x.FullName);
    }

    private static byte[] Bytes(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static Dictionary<string, object> Record(Tensor t) => new()
    {
        ["shape"] = t.shape,
        ["values"] = Expect.Values(t),
    };
}
