using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Serialization;

/// <summary>
/// generate_checkpoints.py's SequenceModel: a recurrent layer and a linear head on every step's output, so
/// state_dict keys are rnn.* and head.*, as in PyTorch.
/// </summary>
public sealed class SequenceModel : torch.nn.Module<Tensor, (Tensor Y, Tensor HN, Tensor? CN)>
{
    private readonly torch.nn.Module rnn;
    private readonly TorchSharp.Modules.Linear head;

    public SequenceModel(torch.nn.Module rnn, TorchSharp.Modules.Linear head) : base(nameof(SequenceModel))
    {
        this.rnn = rnn;
        this.head = head;
        RegisterComponents();
    }

    public override (Tensor Y, Tensor HN, Tensor? CN) forward(Tensor input)
    {
        var (output, hn, cn) = ModuleRunner.Forward(rnn, input, []);
        return (head.call(output), hn!, cn);
    }
}

/// <summary>
/// One model of tests/fixtures/checkpoints/pytorch.json (generate_checkpoints.py), or one file of
/// checkpoints/csharp/pytorch.json (check_csharp_checkpoint.py --write: PyTorch's reading of a checkpoint C# saved).
/// </summary>
public sealed class CheckpointCase
{
    private readonly JsonElement _e;

    internal CheckpointCase(JsonElement e) => _e = e;

    public string Name => _e.GetProperty("name").GetString()!;
    public IReadOnlyList<string> Keys => _e.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToList();
    public RecordedTensor Input => RecordedTensor.From(_e.GetProperty("input"))!;
    public RecordedTensor Output => RecordedTensor.From(_e.GetProperty("output"))!;
    public RecordedTensor HN => RecordedTensor.From(_e.GetProperty("h_n"))!;
    public RecordedTensor? CN => RecordedTensor.From(_e.GetProperty("c_n"));

    /// <summary>For PyTorch's reading of a C# checkpoint: the file read (<c>{name}.pt</c> or <c>{name}.safetensors</c>).</summary>
    public string FileName => _e.GetProperty("file").GetString()!;

    /// <summary>For PyTorch's reading of a C# checkpoint: every tensor as PyTorch read it from the file.</summary>
    public IReadOnlyDictionary<string, RecordedTensor> State =>
        _e.GetProperty("state").EnumerateObject().ToDictionary(p => p.Name, p => RecordedTensor.From(p.Value)!);

    public override string ToString() => Name;

    /// <summary>The architectures of generate_checkpoints.py's MODELS, by name.</summary>
    public static SequenceModel Build(string name, Device? device = null, ScalarType? dtype = null)
    {
        var model = name switch
        {
            "gru_bidirectional" => new SequenceModel(nn.GRU(4, 5, num_layers: 2, bidirectional: true, device: device, dtype: dtype),
                torch.nn.Linear(10, 3, device: device, dtype: dtype)),
            "lstm_proj_batch_first" => new SequenceModel(nn.LSTM(4, 6, proj_size: 3, batch_first: true, device: device, dtype: dtype),
                torch.nn.Linear(3, 2, device: device, dtype: dtype)),
            "rnn_relu" => new SequenceModel(nn.RNN(4, 5, nonlinearity: "relu", device: device, dtype: dtype),
                torch.nn.Linear(5, 1, device: device, dtype: dtype)),
            _ => throw new ArgumentException(name, nameof(name)),
        };
        model.eval();
        return model;
    }

    /// <summary>Runs the model on the recorded input and compares every result with the record.</summary>
    public void AssertOutputs(SequenceModel model, ScalarType dtype, Device device, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (y, hn, cn) = model.call(Input.ToTensor(dtype, device));
        Expect.Close(y, Output, tolerance, $"{Name}: head(output)");
        Expect.Close(hn, HN, tolerance, $"{Name}: h_n");
        Assert.That(cn is null, Is.EqualTo(CN is null), $"{Name}: c_n returned");
        if (CN is not null) Expect.Close(cn!, CN, tolerance, $"{Name}: c_n");
    }

    public static IReadOnlyList<CheckpointCase> Read(string jsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(jsonPath));
        return doc.RootElement.GetProperty("models").EnumerateArray().Select(e => new CheckpointCase(e.Clone())).ToList();
    }

    /// <summary>Where the fixtures were copied: fixtures/checkpoints in the test output.</summary>
    public static string FixtureDirectory => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "checkpoints");

    private static readonly Lazy<IReadOnlyList<CheckpointCase>> PyTorchCases =
        new(() => Read(Path.Combine(FixtureDirectory, "pytorch.json")));

    public static IReadOnlyList<CheckpointCase> PyTorch() => PyTorchCases.Value;

    public static CheckpointCase PyTorch(string name) => PyTorch().Single(c => c.Name == name);
}
