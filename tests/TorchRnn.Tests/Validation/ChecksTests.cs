using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Validation;

/// <summary>
/// Bad arguments and inputs of every module: a managed ArgumentException raised before any native call (so never an
/// ExternalException) whose message is the one tests/fixtures/errors.json holds for the case: PyTorch 1.13's str(e)
/// as generate_errors.py recorded it, or, where the case says so, PyTorch 2.x's wording or TorchRnn's own.
/// </summary>
public class ChecksTests
{
    private static TestCaseData Case(string name, Action act) => new TestCaseData(name, act).SetArgDisplayNames(name);

    private static IEnumerable<TestCaseData> ConstructorErrors()
    {
        yield return Case("construct/UnknownNonlinearity", () => nn.RNN(10, 20, nonlinearity: "sigmoid"));
        yield return Case("construct/DropoutAboveOne", () => nn.RNN(10, 20, 2, dropout: 2));
        yield return Case("construct/DropoutNegative", () => nn.RNN(10, 20, 2, dropout: -0.1));
        yield return Case("construct/DropoutNaN", () => nn.RNN(10, 20, 2, dropout: double.NaN));
        yield return Case("construct/HiddenSizeZero", () => nn.RNN(10, 0));
        yield return Case("construct/HiddenSizeNegative", () => nn.RNN(10, -1));
        yield return Case("construct/NumLayersZero", () => nn.RNN(10, 20, 0));
        yield return Case("construct/InputSizeZero", () => nn.RNN(0, 20));
        yield return Case("construct/InputSizeNegative", () => nn.RNN(-3, 20));
        yield return Case("construct/LstmProjSizeNegative", () => nn.LSTM(10, 20, proj_size: -1));
        yield return Case("construct/LstmProjSizeEqualHidden", () => nn.LSTM(10, 20, proj_size: 20));
        yield return Case("construct/LstmDropoutAboveOne", () => nn.LSTM(10, 20, 2, dropout: 1.5));
        yield return Case("construct/GruHiddenSizeZero", () => nn.GRU(10, 0));
        yield return Case("construct/GruNumLayersZero", () => nn.GRU(10, 20, 0));
        yield return Case("construct/LstmCellNegativeHidden", () => nn.LSTMCell(3, -1));
        yield return Case("construct/GruCellNegativeInput", () => nn.GRUCell(-2, 3));
        yield return Case("construct/CellUnknownNonlinearity", () => nn.RNNCell(3, 2, nonlinearity: "x"));
        yield return Case("construct/CellNegativeHidden", () => nn.RNNCell(3, -1));
        yield return Case("construct/CellNegativeInput", () => nn.RNNCell(-1, 3));
    }

    private static IEnumerable<TestCaseData> ForwardErrors()
    {
        var rnn = nn.RNN(10, 20, 2);
        yield return Case("forward/Input1D", () => rnn.call(torch.randn(10)));
        yield return Case("forward/Input4D", () => rnn.call(torch.randn(1, 2, 3, 10)));
        yield return Case("forward/UnbatchedInputBatchedHx", () => rnn.call(torch.randn(5, 10), torch.randn(2, 1, 20)));
        yield return Case("forward/BatchedInputUnbatchedHx", () => rnn.call(torch.randn(5, 3, 10), torch.randn(2, 20)));
        yield return Case("forward/Float64Input", () => rnn.call(torch.randn(5, 3, 10, dtype: ScalarType.Float64)));
        yield return Case("forward/Int64Input", () => rnn.call(torch.ones(5, 3, 10, dtype: ScalarType.Int64)));
        yield return Case("forward/WrongInputSize", () => rnn.call(torch.randn(5, 3, 11)));
        yield return Case("forward/WrongHiddenLayers", () => rnn.call(torch.randn(5, 3, 10), torch.randn(1, 3, 20)));
        yield return Case("forward/WrongHiddenBatch", () => rnn.call(torch.randn(5, 3, 10), torch.randn(2, 4, 20)));
        yield return Case("forward/WrongHiddenUnbatched", () => rnn.call(torch.randn(5, 10), torch.randn(1, 20)));
        yield return Case("forward/EmptySequence", () => rnn.call(torch.randn(0, 3, 10)));
        yield return Case("forward/EmptyUnbatchedSequence", () => rnn.call(torch.randn(0, 10)));
        yield return Case("forward/Float64Hidden", () => rnn.call(torch.randn(5, 3, 10), torch.randn(2, 3, 20, dtype: ScalarType.Float64)));

        var batchFirst = nn.RNN(10, 20, batch_first: true);
        yield return Case("forward/BatchFirstWrongHiddenBatch", () => batchFirst.call(torch.randn(3, 5, 10), torch.randn(1, 5, 20)));

        var cell = nn.RNNCell(10, 20);
        yield return Case("forward/CellInput3D", () => cell.call(torch.randn(1, 3, 10)));
        yield return Case("forward/CellInput0D", () => cell.call(torch.tensor(1f)));
        yield return Case("forward/CellHidden3D", () => cell.call(torch.randn(3, 10), torch.randn(1, 3, 20)));
        yield return Case("forward/CellWrongInputSize", () => cell.call(torch.randn(3, 11)));
        yield return Case("forward/CellWrongBatch", () => cell.call(torch.randn(3, 10), torch.randn(5, 20)));
        yield return Case("forward/CellWrongHidden", () => cell.call(torch.randn(3, 10), torch.randn(3, 21)));
        yield return Case("forward/CellUnbatchedInputBatchedHidden", () => cell.call(torch.randn(10), torch.randn(1, 20)));
        yield return Case("forward/CellBatchedInputUnbatchedHidden", () => cell.call(torch.randn(3, 10), torch.randn(20)));
        yield return Case("forward/CellFloat64Input", () => cell.call(torch.randn(3, 10, dtype: ScalarType.Float64)));
        yield return Case("forward/CellFloat64Hidden", () => cell.call(torch.randn(3, 10), torch.randn(3, 20, dtype: ScalarType.Float64)));
    }

    private static IEnumerable<TestCaseData> GatedForwardErrors()
    {
        var lstm = nn.LSTM(10, 20, 2);
        (Tensor, Tensor) State(params long[] shape) => (torch.randn(shape), torch.randn(shape));
        yield return Case("gated/LstmInput1D", () => lstm.call(torch.randn(10)));
        yield return Case("gated/LstmBatchedInputUnbatchedStates", () => lstm.call(torch.randn(5, 3, 10), State(2, 20)));
        yield return Case("gated/LstmUnbatchedInputBatchedCell", () => lstm.call(torch.randn(5, 10), (torch.randn(2, 20), torch.randn(2, 1, 20))));
        yield return Case("gated/LstmFloat64Input", () => lstm.call(torch.randn(5, 3, 10, dtype: ScalarType.Float64)));
        yield return Case("gated/LstmFloat64Hidden", () => lstm.call(torch.randn(5, 3, 10), (torch.randn(2, 3, 20, dtype: ScalarType.Float64), torch.randn(2, 3, 20))));
        yield return Case("gated/LstmWrongInputSize", () => lstm.call(torch.randn(5, 3, 11)));
        yield return Case("gated/LstmWrongHidden", () => lstm.call(torch.randn(5, 3, 10), (torch.randn(1, 3, 20), torch.randn(2, 3, 20))));
        yield return Case("gated/LstmWrongCell", () => lstm.call(torch.randn(5, 3, 10), (torch.randn(2, 3, 20), torch.randn(2, 3, 21))));
        yield return Case("gated/LstmEmptySequence", () => lstm.call(torch.randn(0, 3, 10)));

        var projected = nn.LSTM(10, 20, 2, proj_size: 5);
        yield return Case("gated/ProjectedLstmHiddenUsesProjSize", () => projected.call(torch.randn(5, 3, 10), (torch.randn(2, 3, 20), torch.randn(2, 3, 20))));
        yield return Case("gated/ProjectedLstmCellUsesHiddenSize", () => projected.call(torch.randn(5, 3, 10), (torch.randn(2, 3, 5), torch.randn(2, 3, 5))));

        var gru = nn.GRU(10, 20, 2);
        yield return Case("gated/GruInput4D", () => gru.call(torch.randn(1, 5, 3, 10)));
        yield return Case("gated/GruBatchedInputUnbatchedHx", () => gru.call(torch.randn(5, 3, 10), torch.randn(2, 20)));
        yield return Case("gated/GruWrongHidden", () => gru.call(torch.randn(5, 3, 10), torch.randn(2, 4, 20)));
        yield return Case("gated/GruFloat64Input", () => gru.call(torch.randn(5, 3, 10, dtype: ScalarType.Float64)));
        yield return Case("gated/GruFloat64Hidden", () => gru.call(torch.randn(5, 3, 10), torch.randn(2, 3, 20, dtype: ScalarType.Float64)));

        var lstmCell = nn.LSTMCell(10, 20);
        yield return Case("gated/LstmCellInput3D", () => lstmCell.call(torch.randn(1, 3, 10)));
        yield return Case("gated/LstmCellHidden3D", () => lstmCell.call(torch.randn(3, 10), (torch.randn(1, 3, 20), torch.randn(3, 20))));
        yield return Case("gated/LstmCellCell3D", () => lstmCell.call(torch.randn(3, 10), (torch.randn(3, 20), torch.randn(1, 3, 20))));
        yield return Case("gated/LstmCellWrongInputSize", () => lstmCell.call(torch.randn(3, 11)));
        yield return Case("gated/LstmCellWrongBatch", () => lstmCell.call(torch.randn(3, 10), (torch.randn(5, 20), torch.randn(3, 20))));
        yield return Case("gated/LstmCellWrongCellBatch", () => lstmCell.call(torch.randn(3, 10), (torch.randn(3, 20), torch.randn(5, 20))));
        yield return Case("gated/LstmCellWrongCellSize", () => lstmCell.call(torch.randn(3, 10), (torch.randn(3, 20), torch.randn(3, 21))));

        var gruCell = nn.GRUCell(10, 20);
        yield return Case("gated/GruCellInput3D", () => gruCell.call(torch.randn(1, 3, 10)));
        yield return Case("gated/GruCellHidden3D", () => gruCell.call(torch.randn(3, 10), torch.randn(1, 3, 20)));
        yield return Case("gated/GruCellWrongHidden", () => gruCell.call(torch.randn(3, 10), torch.randn(3, 21)));
    }

    [TestCaseSource(nameof(ConstructorErrors))]
    public void Construct_InvalidArgument_ThrowsTheFixturesMessage(string name, Action construct)
        => Errors.Expect(name, Assert.Throws(Is.InstanceOf<ArgumentException>(), () => construct())!);

    [TestCaseSource(nameof(ForwardErrors))]
    public void Forward_InvalidInput_ThrowsTheFixturesMessage(string name, Action forward)
        => Errors.Expect(name, Assert.Throws(Is.InstanceOf<ArgumentException>(), () => forward())!);

    [TestCaseSource(nameof(GatedForwardErrors))]
    public void Forward_InvalidInputToGatedModule_ThrowsTheFixturesMessage(string name, Action forward)
        => Errors.Expect(name, Assert.Throws(Is.InstanceOf<ArgumentException>(), () => forward())!);

    [Test]
    public void Forward_AfterInvalidInput_ModuleStillWorks()
    {
        using var rnn = nn.RNN(10, 20, 2);
        Errors.Expect("forward/WrongInputSize", Assert.Throws(Is.InstanceOf<ArgumentException>(), () => rnn.call(torch.randn(5, 3, 11)))!);
        var (output, hn) = rnn.call(torch.randn(5, 3, 10));
        Assert.That((output.shape, hn.shape), Is.EqualTo((new long[] { 5, 3, 20 }, new long[] { 2, 3, 20 })));
    }

    [Test]
    public void Construct_DropoutOnOneLayer_WarnsAsPyTorch()
    {
        var warnings = new List<string>();
        var previous = Warnings.Handler;
        Warnings.Handler = warnings.Add;
        try
        {
            using var rnn = nn.RNN(10, 20, dropout: 0.5);
        }
        finally
        {
            Warnings.Handler = previous;
        }
        Assert.That(warnings, Is.EqualTo(new[] { Errors.Warning("dropout 0.5, one layer").Message }));
    }

    /// <summary>
    /// Python prints <c>file:line: UserWarning: message</c> and the line of source; TorchRnn has no Python source line
    /// to show, so it writes the category and PyTorch's message.
    /// </summary>
    [Test]
    public void Warnings_DefaultHandler_WritesPyTorchsCategoryAndMessageToStandardError()
    {
        var previous = Console.Error;
        var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            using var rnn = nn.RNN(10, 20, dropout: 1);
        }
        finally
        {
            Console.SetError(previous);
        }
        var (category, message) = Errors.Warning("dropout 1.0, one layer");
        Assert.That(captured.ToString(), Is.EqualTo($"{category}: {message}{Environment.NewLine}"));
    }

    /// <summary>
    /// The cases whose wording PyTorch 2.x's ATen changed after 1.13 (LSTMCell's c is "hidden1"; a dtype mismatch names
    /// both dtypes), made with TorchSharp's own native modules: LibTorch 2.10, the PyTorch 2.x that TorchRnn runs on,
    /// raises TorchRnn's message itself.
    /// </summary>
    private static IEnumerable<TestCaseData> NativeCalls()
    {
        TestCaseData Native(string name, Action call) => new TestCaseData(name, call).SetArgDisplayNames(name);
        var lstmCell = torch.nn.LSTMCell(10, 20);
        yield return Native("gated/LstmCellWrongCellBatch", () => lstmCell.call(torch.randn(3, 10), (torch.randn(3, 20), torch.randn(5, 20))));
        yield return Native("gated/LstmCellWrongCellSize", () => lstmCell.call(torch.randn(3, 10), (torch.randn(3, 20), torch.randn(3, 21))));
        var cell = torch.nn.RNNCell(10, 20);
        yield return Native("forward/CellFloat64Input", () => cell.call(torch.randn(3, 10, dtype: ScalarType.Float64), torch.zeros(3, 20)));
        var rnn = torch.nn.RNN(10, 20, 2);
        yield return Native("forward/EmptySequence", () => rnn.call(torch.randn(0, 3, 10)));
    }

    [TestCaseSource(nameof(NativeCalls))]
    public void NativeModule_SameBadCall_RaisesTorchRnnsMessage(string name, Action call)
    {
        using var scope = torch.NewDisposeScope();
        var error = Assert.Throws<ExternalException>(() => call())!;
        // LibTorch appends the C++ source location and a stack trace after the first line.
        Assert.That(error.Message.Split('\n')[0], Is.EqualTo(Errors.Case(name).Message), Errors.Case(name).Why);
    }
}
