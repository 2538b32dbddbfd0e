using System;
using System.Collections.Generic;
using System.IO;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Validation;

/// <summary>
/// Every error of ../shared/pytorch-rnn-contract.md for RNN and RNNCell: a managed ArgumentException whose message
/// begins with PyTorch 2.x's, raised before any native call (so never an ExternalException).
/// </summary>
public class ChecksTests
{
    private static TestCaseData Case(string name, Action act, string message)
        => new TestCaseData(act, message).SetArgDisplayNames(name);

    private static IEnumerable<TestCaseData> ConstructorErrors()
    {
        yield return Case("UnknownNonlinearity", () => nn.RNN(10, 20, nonlinearity: "sigmoid"),
            "Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'.");
        yield return Case("DropoutAboveOne", () => nn.RNN(10, 20, 2, dropout: 2),
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
        yield return Case("DropoutNegative", () => nn.RNN(10, 20, 2, dropout: -0.1),
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
        yield return Case("DropoutNaN", () => nn.RNN(10, 20, 2, dropout: double.NaN),
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
        yield return Case("HiddenSizeZero", () => nn.RNN(10, 0), "hidden_size must be greater than zero");
        yield return Case("HiddenSizeNegative", () => nn.RNN(10, -1), "hidden_size must be greater than zero");
        yield return Case("NumLayersZero", () => nn.RNN(10, 20, 0), "num_layers must be greater than zero");
        yield return Case("InputSizeZero", () => nn.RNN(0, 20), "input_size must be greater than zero");
        yield return Case("InputSizeNegative", () => nn.RNN(-3, 20), "input_size must be greater than zero");
        yield return Case("CellUnknownNonlinearity", () => nn.RNNCell(3, 2, nonlinearity: "x"),
            "Unknown nonlinearity 'x'. Select from 'tanh' or 'relu'.");
        yield return Case("CellNegativeHidden", () => nn.RNNCell(3, -1), "Trying to create tensor with negative dimension -1: [-1, 3]");
        yield return Case("CellNegativeInput", () => nn.RNNCell(-1, 3), "Trying to create tensor with negative dimension -1: [3, -1]");
    }

    private static IEnumerable<TestCaseData> ForwardErrors()
    {
        var rnn = nn.RNN(10, 20, 2);
        yield return Case("Input1D", () => rnn.call(torch.randn(10)), "RNN: Expected input to be 2D or 3D, got 1D tensor instead");
        yield return Case("Input4D", () => rnn.call(torch.randn(1, 2, 3, 10)), "RNN: Expected input to be 2D or 3D, got 4D tensor instead");
        yield return Case("UnbatchedInputBatchedHx", () => rnn.call(torch.randn(5, 10), torch.randn(2, 1, 20)),
            "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor");
        yield return Case("BatchedInputUnbatchedHx", () => rnn.call(torch.randn(5, 3, 10), torch.randn(2, 20)),
            "For batched 3-D input, hx should also be 3-D but got 2-D tensor");
        yield return Case("Float64Input", () => rnn.call(torch.randn(5, 3, 10, dtype: ScalarType.Float64)),
            "input must have the type torch.float32, got type torch.float64");
        yield return Case("Int64Input", () => rnn.call(torch.ones(5, 3, 10, dtype: ScalarType.Int64)),
            "input must have the type torch.float32, got type torch.int64");
        yield return Case("WrongInputSize", () => rnn.call(torch.randn(5, 3, 11)),
            "input.size(-1) must be equal to input_size. Expected 10, got 11");
        yield return Case("WrongHiddenLayers", () => rnn.call(torch.randn(5, 3, 10), torch.randn(1, 3, 20)),
            "Expected hidden size (2, 3, 20), got [1, 3, 20]");
        yield return Case("WrongHiddenBatch", () => rnn.call(torch.randn(5, 3, 10), torch.randn(2, 4, 20)),
            "Expected hidden size (2, 3, 20), got [2, 4, 20]");
        yield return Case("WrongHiddenUnbatched", () => rnn.call(torch.randn(5, 10), torch.randn(1, 20)),
            "Expected hidden size (2, 1, 20), got [1, 1, 20]");
        yield return Case("EmptySequence", () => rnn.call(torch.randn(0, 3, 10)), "Expected sequence length to be larger than 0 in RNN");
        yield return Case("EmptyUnbatchedSequence", () => rnn.call(torch.randn(0, 10)), "Expected sequence length to be larger than 0 in RNN");
        yield return Case("Float64Hidden", () => rnn.call(torch.randn(5, 3, 10), torch.randn(2, 3, 20, dtype: ScalarType.Float64)),
            "mat1 and mat2 must have the same dtype, but got Double and Float");

        var batchFirst = nn.RNN(10, 20, batch_first: true);
        yield return Case("BatchFirstWrongHiddenBatch", () => batchFirst.call(torch.randn(3, 5, 10), torch.randn(1, 5, 20)),
            "Expected hidden size (1, 3, 20), got [1, 5, 20]");

        var cell = nn.RNNCell(10, 20);
        yield return Case("CellInput3D", () => cell.call(torch.randn(1, 3, 10)), "RNNCell: Expected input to be 1D or 2D, got 3D instead");
        yield return Case("CellInput0D", () => cell.call(torch.tensor(1f)), "RNNCell: Expected input to be 1D or 2D, got 0D instead");
        yield return Case("CellHidden3D", () => cell.call(torch.randn(3, 10), torch.randn(1, 3, 20)),
            "RNNCell: Expected hidden to be 1D or 2D, got 3D instead");
        yield return Case("CellWrongInputSize", () => cell.call(torch.randn(3, 11)), "input has inconsistent input_size: got 11 expected 10");
        yield return Case("CellWrongBatch", () => cell.call(torch.randn(3, 10), torch.randn(5, 20)),
            "Input batch size 3 doesn't match hidden0 batch size 5");
        yield return Case("CellWrongHidden", () => cell.call(torch.randn(3, 10), torch.randn(3, 21)),
            "hidden0 has inconsistent hidden_size: got 21, expected 20");
        yield return Case("CellUnbatchedInputBatchedHidden", () => cell.call(torch.randn(10), torch.randn(1, 20)),
            "hidden0 has inconsistent hidden_size: got 1, expected 20");
        yield return Case("CellBatchedInputUnbatchedHidden", () => cell.call(torch.randn(3, 10), torch.randn(20)),
            "Input batch size 3 doesn't match hidden0 batch size 20");
        yield return Case("CellFloat64Input", () => cell.call(torch.randn(3, 10, dtype: ScalarType.Float64)),
            "mat1 and mat2 must have the same dtype, but got Double and Float");
        yield return Case("CellFloat64Hidden", () => cell.call(torch.randn(3, 10), torch.randn(3, 20, dtype: ScalarType.Float64)),
            "mat1 and mat2 must have the same dtype, but got Double and Float");
    }

    [TestCaseSource(nameof(ConstructorErrors))]
    public void Construct_InvalidArgument_ThrowsPyTorchMessage(Action construct, string message)
    {
        var error = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => construct());
        Assert.That(error!.Message, Does.StartWith(message));
    }

    [TestCaseSource(nameof(ForwardErrors))]
    public void Forward_InvalidInput_ThrowsPyTorchMessage(Action forward, string message)
    {
        var error = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => forward());
        Assert.That(error!.Message, Does.StartWith(message));
    }

    [Test]
    public void Forward_AfterInvalidInput_ModuleStillWorks()
    {
        using var rnn = nn.RNN(10, 20, 2);
        Assert.Throws(Is.InstanceOf<ArgumentException>(), () => rnn.call(torch.randn(5, 3, 11)));
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
        Assert.That(warnings, Is.EqualTo(new[]
        {
            "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers " +
            "greater than 1, but got dropout=0.5 and num_layers=1",
        }));
    }

    [Test]
    public void Warnings_DefaultHandler_WritesUserWarningToStandardError()
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
        Assert.That(captured.ToString(), Does.StartWith("UserWarning: dropout option adds dropout").And.Contain("dropout=1.0 and num_layers=1"));
    }
}
