using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Serialization;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Serialization;

/// <summary>
/// Checkpoints written by real PyTorch (tests/fixtures/generate_checkpoints.py) load into the same models written
/// with TorchRnn and TorchSharp and give PyTorch's outputs; loading is all or nothing; C# saves load back.
/// </summary>
public class CheckpointTests
{
    private static readonly string[] Extensions = [".pt", ".safetensors"];

    private static IEnumerable<TestCaseData> PyTorchFiles()
        => from c in CheckpointCase.PyTorch()
           from ext in Extensions
           from d in Devices.Names()
           select new TestCaseData(c.Name, ext, d).SetArgDisplayNames(c.Name, ext, d);

    private static string PyTorchFile(string name, string ext) => Path.Combine(CheckpointCase.FixtureDirectory, name + ext);

    [TestCaseSource(nameof(PyTorchFiles))]
    public void Load_PyTorchCheckpoint_ReproducesPyTorchsOutputs(string name, string ext, string deviceName)
    {
        var device = torch.device(deviceName);
        var c = CheckpointCase.PyTorch(name);
        using var model = CheckpointCase.Build(name, device);
        Assert.That(model.state_dict().Keys, Is.EqualTo(c.Keys), "state_dict keys are PyTorch's");

        var (missing, unexpected) = Checkpoint.load(model, PyTorchFile(name, ext));

        Assert.That(missing, Is.Empty);
        Assert.That(unexpected, Is.Empty);
        Assert.That(model.parameters().All(p => p.device_type == device.type), Is.True, "parameters stay on their device");
        c.AssertOutputs(model, ScalarType.Float32, device, 1e-5);
    }

    [TestCase(".pt")]
    [TestCase(".safetensors")]
    public void Load_Float32CheckpointIntoFloat64Module_ConvertsAsLoadStateDictDoes(string ext)
    {
        var c = CheckpointCase.PyTorch("gru_bidirectional");
        using var model = CheckpointCase.Build(c.Name, dtype: ScalarType.Float64);

        Checkpoint.load(model, PyTorchFile(c.Name, ext));

        Assert.That(model.parameters().Select(p => p.dtype), Is.All.EqualTo(ScalarType.Float64));
        // The float32 weights widen exactly, so float64 arithmetic lands within float32's rounding of PyTorch's.
        c.AssertOutputs(model, ScalarType.Float64, torch.CPU, 1e-5);
    }

    [Test]
    public void Load_NativeKernelModule_KeepsTheParametersTheKernelComputesWith()
    {
        using var model = CheckpointCase.Build("rnn_relu");
        var before = model.parameters().ToList();

        Checkpoint.load(model, PyTorchFile("rnn_relu", ".pt"));

        var after = model.parameters().ToList();
        Assert.That(after, Has.Count.EqualTo(before.Count));
        for (var i = 0; i < after.Count; i++) Assert.That(after[i], Is.SameAs(before[i]), "same Parameter objects");
        CheckpointCase.PyTorch("rnn_relu").AssertOutputs(model, ScalarType.Float32, torch.CPU, 1e-5);
    }

    [TestCase(".pt")]
    [TestCase(".safetensors")]
    public void Load_WrongInputSize_ThrowsNamingEveryShapeAndChangesNothing(string ext)
    {
        torch.manual_seed(5);
        using var model = new SequenceModel(nn.GRU(3, 5, num_layers: 2, bidirectional: true), torch.nn.Linear(10, 3));
        var snapshot = Snapshot(model);

        var e = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.load(model, PyTorchFile("gru_bidirectional", ext)))!;

        AssertReportsWhatPyTorchReports(e, "wrong input size");
        AssertUnchanged(model, snapshot);
    }

    [Test]
    public void Load_OtherArchitecture_ThrowsNamingMissingUnexpectedAndShapesAndChangesNothing()
    {
        // An LSTM with projections and its head, given the bidirectional GRU's checkpoint.
        torch.manual_seed(6);
        using var model = CheckpointCase.Build("lstm_proj_batch_first");
        var snapshot = Snapshot(model);

        var e = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.load(model, PyTorchFile("gru_bidirectional", ".pt")))!;

        AssertReportsWhatPyTorchReports(e, "other architecture");
        Assert.That(e, Is.InstanceOf<ArgumentException>(), "a mismatch is a bad argument, as every TorchRnn refusal");
        AssertUnchanged(model, snapshot);
    }

    [Test]
    public void Load_NotStrict_LoadsWhatFitsAndReportsTheRest()
    {
        var path = TempFile(".safetensors");
        using var donor = CheckpointCase.Build("rnn_relu");
        Checkpoint.load(donor, PyTorchFile("rnn_relu", ".safetensors"));
        // A partial checkpoint: the recurrent layer only, plus a key this model lacks.
        using (var scope = torch.NewDisposeScope())
        {
            var partial = donor.state_dict().Where(kv => kv.Key.StartsWith("rnn.", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            partial["extra.weight"] = torch.ones(2, 2);
            using var stream = File.Create(path);
            TorchSharp.PyBridge.Safetensors.SaveStateDict(stream, partial);
        }
        torch.manual_seed(7);
        using var model = CheckpointCase.Build("rnn_relu");
        var snapshot = Snapshot(model);

        var strict = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.load(model, path))!;
        AssertReportsWhatPyTorchReports(strict, "partial, strict");
        AssertUnchanged(model, snapshot);

        var (missing, unexpected) = Checkpoint.load(model, path, strict: false);

        var pytorch = Errors.Checkpoint("partial, not strict");
        Assert.That(pytorch.Message, Is.Null, "PyTorch loads it too");
        Assert.That(missing, Is.EqualTo(pytorch.Missing), "missing keys, as load_state_dict(strict=False) returns them");
        Assert.That(unexpected, Is.EqualTo(pytorch.Unexpected), "unexpected keys, as load_state_dict(strict=False) returns them");
        var loaded = model.state_dict();
        var donorState = donor.state_dict();
        foreach (var key in donorState.Keys.Where(k => k.StartsWith("rnn.", StringComparison.Ordinal)))
            AssertIdentical(loaded[key], donorState[key], key);
        AssertIdentical(loaded["head.weight"], snapshot["head.weight"], "head left as it was");
    }

    [Test]
    public void Load_NotStrictShapeMismatch_StillThrowsAsPyTorchDoes()
    {
        using var model = new SequenceModel(nn.RNN(3, 5, nonlinearity: "relu"), torch.nn.Linear(5, 1));
        var snapshot = Snapshot(model);

        var e = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.load(model, PyTorchFile("rnn_relu", ".pt"), strict: false))!;

        AssertReportsWhatPyTorchReports(e, "not strict, shape mismatch");
        AssertUnchanged(model, snapshot);
    }

    // TorchRnn's own refusals below: PyTorch's torch.load reads any extension, raises pickle's UnpicklingError for a
    // file that is no checkpoint, and Python's FileNotFoundError for a missing file.
    [TestCase(".pt")]
    [TestCase(".safetensors")]
    public void Load_NotACheckpoint_ThrowsInvalidDataAndChangesNothing(string ext)
    {
        var path = TempFile(ext);
        File.WriteAllBytes(path, Enumerable.Range(0, 64).Select(i => (byte)i).ToArray());
        using var model = CheckpointCase.Build("rnn_relu");
        var snapshot = Snapshot(model);

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.load(model, path))!;

        Assert.That(e.Message, Does.Contain(path));
        AssertUnchanged(model, snapshot);
    }

    // What the first bytes say, instead of a reader's guess ("saved using the old PyTorch format" for any junk).
    [TestCase(".pt", new byte[0], "is empty (0 bytes).")]
    [TestCase(".pt", new byte[] { 0x6a, 0x75, 0x6e, 0x6b }, "is not a torch.save file (a zip archive, starting with 'PK'): it starts with 6a 75 6e 6b.")]
    [TestCase(".safetensors", new byte[] { 0x6a, 0x75, 0x6e, 0x6b }, "is not a safetensors file (an 8-byte header length, then a JSON header starting with '{'): it starts with 6a 75 6e 6b.")]
    [TestCase(".safetensors", new byte[] { (byte)'P', (byte)'K', 3, 4, 0 }, "is a torch.save file, not safetensors: name it .pt.")]
    [TestCase(".pt", new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}' }, "is a safetensors file, not torch.save's zip archive: name it .safetensors.")]
    public void Load_NotACheckpoint_SaysWhatTheFileIs(string ext, byte[] content, string says)
    {
        var path = TempFile(ext);
        File.WriteAllBytes(path, content);
        using var model = CheckpointCase.Build("rnn_relu");

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.load(model, path))!;

        Assert.That(e.Message, Is.EqualTo($"The checkpoint {path} {says}"));
    }

    [Test]
    public void Load_PyTorchLegacyFormat_SaysSoAndHowToResave()
    {
        // Written by generate_legacy_checkpoint.py: torch.save(..., _use_new_zipfile_serialization=False).
        var path = Path.Combine(CheckpointCase.FixtureDirectory, "legacy", "rnn_legacy.pt");
        using var model = new SequenceModel(nn.RNN(3, 5), torch.nn.Linear(5, 1));

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.load(model, path))!;

        Assert.That(e.Message, Does.Contain("is in PyTorch's legacy format").And.Contain("torch.save(model.state_dict(), path)"));
    }

    [Test]
    public void Load_UnknownExtension_ThrowsArgumentException()
    {
        using var model = CheckpointCase.Build("rnn_relu");
        var e = Assert.Throws<ArgumentException>(() => Checkpoint.load(model, "weights.onnx"))!;
        Assert.That(e.Message, Does.Contain(".onnx").And.Contain(".safetensors"));
        Assert.Throws<ArgumentException>(() => Checkpoint.save(model, "weights.ckpt"));
    }

    [Test]
    public void Load_NoSuchFile_ThrowsFileNotFound()
    {
        using var model = CheckpointCase.Build("rnn_relu");
        Assert.Throws<FileNotFoundException>(() => Checkpoint.load(model, Path.Combine(TempDirectory(), "absent.pt")));
    }

    [TestCase("gru_bidirectional", ".pt")]
    [TestCase("gru_bidirectional", ".safetensors")]
    [TestCase("lstm_proj_batch_first", ".pt")]
    [TestCase("lstm_proj_batch_first", ".safetensors")]
    [TestCase("rnn_relu", ".bin")]
    public void SaveThenLoad_FreshModel_IdenticalWeightsAndOutputs(string name, string ext)
    {
        var path = TempFile(ext);
        torch.manual_seed(11);
        using var saved = CheckpointCase.Build(name);
        torch.manual_seed(12);
        using var loaded = CheckpointCase.Build(name);

        Checkpoint.save(saved, path);
        Checkpoint.load(loaded, path);

        var expected = saved.state_dict();
        foreach (var (key, value) in loaded.state_dict())
            AssertIdentical(value, expected[key], key);
        using var scope = torch.NewDisposeScope();
        var x = CheckpointCase.PyTorch(name).Input.ToTensor(ScalarType.Float32, torch.CPU);
        AssertIdentical(loaded.call(x).Y, saved.call(x).Y, "outputs");
    }

    [TestCase(".pt")]
    [TestCase(".safetensors")]
    public void SaveThenLoad_ParameterInsideALargerStorage_WritesItsValuesAlone(string ext)
    {
        // A parameter whose values start inside a larger storage (a slice, or huge-page placement): torch.save's zip
        // format records a storage and an offset, and writing the offset without the storage before it made a file
        // that neither PyTorch nor Checkpoint.load could read.
        var path = TempFile(ext);
        torch.manual_seed(13);
        using var saved = nn.GRU(4, 6);
        using var loaded = nn.GRU(4, 6);
        using (torch.no_grad())
        {
            using var block = torch.randn(1000);
            var weight = saved.named_parameters().First(p => p.name == "weight_hh_l0").parameter;
            weight.set_(block.narrow(0, 37, weight.numel()).view(weight.shape));
            Assert.That(weight.storage_offset(), Is.EqualTo(37));
        }

        Checkpoint.save(saved, path);
        Checkpoint.load(loaded, path);

        var expected = saved.state_dict();
        foreach (var (key, value) in loaded.state_dict())
            AssertIdentical(value, expected[key], key);
    }

    [Test]
    public void Save_OverLongerFile_ReplacesIt()
    {
        var path = TempFile(".safetensors");
        File.WriteAllBytes(path, new byte[1 << 16]);
        using var model = CheckpointCase.Build("rnn_relu");

        Checkpoint.save(model, path);

        Assert.That(new FileInfo(path).Length, Is.LessThan(1 << 12));
        Assert.DoesNotThrow(() => Checkpoint.load(model, path));
    }

    [Test]
    public void Save_Float64Module_KeepsItsDtype()
    {
        var path = TempFile(".safetensors");
        using var model = CheckpointCase.Build("rnn_relu", dtype: ScalarType.Float64);
        Checkpoint.save(model, path);

        using var state = torch.NewDisposeScope();
        var read = TorchSharp.PyBridge.Safetensors.LoadStateDict(path);
        Assert.That(read.Values.Select(t => t.dtype), Is.All.EqualTo(ScalarType.Float64));
    }

    /// <summary>
    /// The exception names the keys and shapes that PyTorch 1.13's load_state_dict names for the same model and file
    /// (errors.json's checkpoints). The wording is TorchRnn's own, as Checkpoint.load is (PyTorch's is torch.load and
    /// load_state_dict): one line per problem, each tensor's shapes as tuples, and "nothing was loaded", which PyTorch
    /// cannot say: its load_state_dict copies every tensor that fits before it raises.
    /// </summary>
    private static void AssertReportsWhatPyTorchReports(CheckpointMismatchException e, string name)
    {
        var pytorch = Errors.Checkpoint(name);
        Assert.That(pytorch.Message, Is.Not.Null, "PyTorch refuses it too");
        Assert.That(e.MissingKeys, Is.EqualTo(pytorch.Missing), "missing keys, in the model's order");
        // TorchRnn sorts them (a .pt pickle keeps no order); PyTorch lists them in the file's order.
        Assert.That(e.UnexpectedKeys, Is.EqualTo(pytorch.Unexpected.Order(StringComparer.Ordinal)), "unexpected keys");
        var shapes = pytorch.SizeMismatches.Select(m => $"{m.Key}: checkpoint {PythonTuple(m.File)} vs model {PythonTuple(m.Model)}").ToArray();
        Assert.That(e.ShapeMismatches, Is.EqualTo(shapes), "size mismatches, in the model's order");
        Assert.That(e.Message, Does.StartWith($"The checkpoint {e.Path} does not fit SequenceModel; nothing was loaded."));
        foreach (var line in shapes.Concat(pytorch.Missing).Concat(pytorch.Unexpected)) Assert.That(e.Message, Does.Contain(line));
    }

    private static string PythonTuple(long[] shape) => "(" + string.Join(", ", shape) + (shape.Length == 1 ? ",)" : ")");

    internal static Dictionary<string, Tensor> Snapshot(torch.nn.Module module)
        => module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    internal static void AssertUnchanged(torch.nn.Module module, Dictionary<string, Tensor> snapshot)
    {
        var state = module.state_dict();
        Assert.That(state.Keys, Is.EqualTo(snapshot.Keys));
        foreach (var (key, value) in state) AssertIdentical(value, snapshot[key], key);
    }

    /// <summary>Bit for bit: the same shape, dtype and bytes, not merely close values.</summary>
    internal static void AssertIdentical(Tensor actual, Tensor expected, string what)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), $"{what}: shape");
        Assert.That(actual.dtype, Is.EqualTo(expected.dtype), $"{what}: dtype");
        using var scope = torch.NewDisposeScope();
        Assert.That(actual.detach().cpu().contiguous().bytes.ToArray(), Is.EqualTo(expected.detach().cpu().contiguous().bytes.ToArray()), $"{what}: bytes");
    }

    private static string TempDirectory()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "checkpoint-tests");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string TempFile(string ext)
        => Path.Combine(TempDirectory(), TestContext.CurrentContext.Test.ID + ext);
}
