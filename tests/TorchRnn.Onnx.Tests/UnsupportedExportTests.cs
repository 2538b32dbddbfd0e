using System;
using System.IO;
using NUnit.Framework;
using TorchRnn.Onnx.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests;

/// <summary>What the exporter cannot express fails at export time, naming the module and the reason, and writes no file.</summary>
[TestFixture]
public class UnsupportedExportTests
{
    private string _path = "";

    [SetUp]
    public void NewPath() => _path = Path.Combine(Path.GetTempPath(), $"torchrnn-onnx-refused-{Guid.NewGuid():N}.onnx");

    [TearDown]
    public void NoFile() => Assert.That(File.Exists(_path), Is.False, "a refused export must not write a file");

    [Test]
    public void Export_UnsupportedLayerInSequential_ThrowsNamingTheLayer()
    {
        using var scope = torch.NewDisposeScope();
        var model = torch.nn.Sequential(("proj", torch.nn.Linear(5, 5)), ("conv", torch.nn.Conv1d(4, 4, 3)));
        var error = Assert.Throws<OnnxExportException>(() => onnx.export(model, torch.randn(2, 4, 5), _path));
        Assert.That(error!.Message, Is.EqualTo(
            "Cannot export 'conv' (Conv1d): no ONNX conversion for TorchSharp's Conv1d; supported layers: Linear, Embedding, " +
            "Dropout, Identity, ReLU, Tanh, Sigmoid, Softmax, LogSoftmax, LayerNorm, Sequential, and TorchRnn's recurrent modules and cells."));
    }

    [Test]
    public void Export_ModelWithItsOwnForwardAndNoOnnxForward_ThrowsSayingHowToExportIt()
    {
        using var scope = torch.NewDisposeScope();
        var error = Assert.Throws<OnnxExportException>(() => onnx.export(new Model(), torch.randn(2, 5, 1), _path));
        Assert.That(error!.Message, Is.EqualTo(
            "Cannot export the model (Model): its forward is C# code that the exporter cannot read; export the model with a " +
            "forward written on OnnxTensor (onnx.export(model, input, path, forward: x => ...)), calling its layers as its forward does."));
    }

    [Test]
    public void Export_ForwardThatComputesSomethingElse_ThrowsBeforeWriting()
    {
        using var scope = torch.NewDisposeScope();
        var model = new Model();
        var error = Assert.Throws<OnnxExportException>(() =>
            onnx.export(model, torch.randn(2, 5, 1), _path, forward: x => model.rnn.call(x).output));
        Assert.That(error!.Message, Is.EqualTo(
            "The forward given for the model (Model) does not compute what the model computes: it gives shape [2, 5, 8], the model [2, 5, 1]."));

        error = Assert.Throws<OnnxExportException>(() =>
            onnx.export(model, torch.randn(2, 5, 1), _path, forward: x => model.head.call(model.rnn.call(x).output.relu())));
        Assert.That(error!.Message, Does.StartWith(
            "The forward given for the model (Model) does not compute what the model computes: they differ by up to "));
    }

    [Test]
    public void OnnxGraph_ModuleInTrainingMode_Throws()
    {
        using var scope = torch.NewDisposeScope();
        var gru = nn.GRU(2, 3, 2, dropout: 0.5);
        using var graph = new OnnxGraph();
        var x = graph.input("x", torch.randn(4, 1, 2));
        var error = Assert.Throws<OnnxExportException>(() => gru.call(x));
        Assert.That(error!.Message, Is.EqualTo(
            "Cannot export GRU: it is in training mode; call eval() first (ONNX export computes inference, where dropout is off). " +
            "Build the graph as new OnnxGraph(model) to have the module named by its field."));
    }

    [Test]
    public void OnnxGraph_OfTheModel_ModuleInTrainingMode_ThrowsNamingTheField()
    {
        using var scope = torch.NewDisposeScope();
        var model = new TokenEncoder();
        model.train();
        using var graph = new OnnxGraph(model);
        var tokens = graph.input("tokens", torch.randint(0, 10, [2, 4]));
        var error = Assert.Throws<OnnxExportException>(() => model.embedding.call(tokens));
        Assert.That(error!.Message, Is.EqualTo(
            "Cannot export 'embedding' (Embedding): it is in training mode; call eval() first (ONNX export computes inference, " +
            "where dropout is off)."));
    }

    [Test]
    public void Export_EncoderReturningTwoTensorsWithoutAForward_ThrowsNamingItsSignatureAndTheExportThatFits()
    {
        using var scope = torch.NewDisposeScope();
        var error = Assert.Throws<OnnxExportException>(() => onnx.export(new TokenEncoder(), torch.randint(0, 10, [2, 4]), _path));
        Assert.That(error!.Message, Is.EqualTo(
            "Cannot export the model (TokenEncoder): its forward (Tensor -> (Tensor, Tensor)) is C# code that the exporter cannot read; " +
            "export it with the same forward written on OnnxTensor, returning both outputs " +
            "(onnx.export(model, input, path, forward: x => (a, b), output_names: [...]))."));
    }

    [Test]
    public void Export_EncoderForwardThatComputesAnotherState_ThrowsNamingTheOutput()
    {
        using var scope = torch.NewDisposeScope();
        var model = new TokenEncoder();
        var error = Assert.Throws<OnnxExportException>(() => onnx.export(model, torch.randint(0, 10, [2, 4]), _path,
            forward: x =>
            {
                var (output, h_n) = model.gru.call(model.embedding.call(x));
                return (output, h_n.tanh());
            }, output_names: ["outputs", "hidden"]));
        Assert.That(error!.Message, Does.StartWith(
            "The forward given for the model (TokenEncoder) does not compute what the model computes: output hidden: they differ by up to "));
    }

    [Test]
    public void Export_Float64ForwardThatComputesSomethingElse_ThrowsOnnxExportException()
    {
        using var scope = torch.NewDisposeScope();
        var model = new Model();
        model.to(ScalarType.Float64);
        var error = Assert.Throws<OnnxExportException>(() =>
            onnx.export(model, torch.randn(2, 5, 1, dtype: ScalarType.Float64), _path,
                forward: x => model.head.call(model.rnn.call(x).output.relu())));
        Assert.That(error!.Message, Does.StartWith(
            "The forward given for the model (Model) does not compute what the model computes: they differ by up to "));
    }

    [Test]
    public void OnnxGraph_InputThatDoesNotFitTheModule_ThrowsTorchRnnsMessage()
    {
        using var scope = torch.NewDisposeScope();
        var lstm = nn.LSTM(3, 4);
        lstm.eval();
        using var graph = new OnnxGraph();
        var x = graph.input("x", torch.randn(5, 2, 2));
        var error = Assert.Throws<ArgumentException>(() => lstm.call(x));
        Assert.That(error!.Message, Does.StartWith("input.size(-1) must be equal to input_size. Expected 3, got 2"));
    }

    private sealed class Model : torch.nn.Module<Tensor, Tensor>
    {
        public readonly GRU rnn = nn.GRU(1, 8, batch_first: true);
        public readonly TorchSharp.Modules.Linear head = torch.nn.Linear(8, 1);

        public Model() : base(nameof(Model)) => RegisterComponents();

        public override Tensor forward(Tensor x) => head.call(rnn.call(x).output);
    }
}
