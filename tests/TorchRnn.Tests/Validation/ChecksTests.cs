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
        yield return Case("LstmProjSizeNegative", () => nn.LSTM(10, 20, proj_size: -1),
            "proj_size should be a positive integer or zero to disable projections");
        yield return Case("LstmProjSizeEqualHidden", () => nn.LSTM(10, 20, proj_size: 20), "proj_size has to be smaller than hidden_size");
        yield return Case("LstmDropoutAboveOne", () => nn.LSTM(10, 20, 2, dropout: 1.5),
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
        yield return Case("GruHiddenSizeZero", () => nn.GRU(10, 0), "hidden_size must be greater than zero");
        yield return Case("GruNumLayersZero", () => nn.GRU(10, 20, 0), "num_layers must be greater than zero");
        yield return Case("LstmCellNegativeHidden", () => nn.LSTMCell(3, -1), "Trying to create tensor with negative dimension -4: [-4, 3]");
        yield return Case("GruCellNegativeInput", () => nn.GRUCell(-2, 3), "Trying to create tensor with negative dimension -2: [9, -2]");
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

    private static IEnumerable<TestCaseData> GatedForwardErrors()
    {
        var lstm = nn.LSTM(10, 20, 2);
        (Tensor, Tensor) State(params long[] shape) => (torch.randn(shape), torch.randn(shape));
        yield return Case("LstmInput1D", () => lstm.call(torch.randn(10)), "LSTM: Expected input to be 2D or 3D, got 1D instead");
        yield return Case("LstmBatchedInputUnbatchedStates", () => lstm.call(torch.randn(5, 3, 10), State(2, 20)),
            "For batched 3-D input, hx and cx should also be 3-D but got (2-D, 2-D) tensors");
        yield return Case("LstmUnbatchedInputBatchedCell", () => lstm.call(torch.randn(5, 10), (torch.randn(2, 20), torch.randn(2, 1, 20))),
            "For unbatched 2-D input, hx and cx should also be 2-D but got (2-D, 3-D) tensors");
        yield return Case("LstmFloat64Input", () => lstm.call(torch.randn(5, 3, 10, dtype: ScalarType.Float64)),
            "input must have the type torch.float32, got type torch.float64");
        yield return Case("LstmWrongInputSize", () => lstm.call(torch.randn(5, 3, 11)),
            "input.size(-1) must be equal to input_size. Expected 10, got 11");
        yield return Case("LstmWrongHidden", () => lstm.call(torch.randn(5, 3, 10), (torch.randn(1, 3, 20), torch.randn(2, 3, 20))),
            "Expected hidden[0] size (2, 3, 20), got [1, 3, 20]");
        yield return Case("LstmWrongCell", () => lstm.call(torch.randn(5, 3, 10), (torch.randn(2, 3, 20), torch.randn(2, 3, 21))),
            "Expected hidden[1] size (2, 3, 20), got [2, 3, 21]");
        yield return Case("LstmEmptySequence", () => lstm.call(torch.randn(0, 3, 10)), "Expected sequence length to be larger than 0 in RNN");

        var projected = nn.LSTM(10, 20, 2, proj_size: 5);
        yield return Case("ProjectedLstmHiddenUsesProjSize", () => projected.call(torch.randn(5, 3, 10), (torch.randn(2, 3, 20), torch.randn(2, 3, 20))),
            "Expected hidden[0] size (2, 3, 5), got [2, 3, 20]");
        yield return Case("ProjectedLstmCellUsesHiddenSize", () => projected.call(torch.randn(5, 3, 10), (torch.randn(2, 3, 5), torch.randn(2, 3, 5))),
            "Expected hidden[1] size (2, 3, 20), got [2, 3, 5]");

        var gru = nn.GRU(10, 20, 2);
        yield return Case("GruInput4D", () => gru.call(torch.randn(1, 5, 3, 10)), "GRU: Expected input to be 2D or 3D, got 4D instead");
        yield return Case("GruBatchedInputUnbatchedHx", () => gru.call(torch.randn(5, 3, 10), torch.randn(2, 20)),
            "For batched 3-D input, hx should also be 3-D but got 2-D tensor");
        yield return Case("GruWrongHidden", () => gru.call(torch.randn(5, 3, 10), torch.randn(2, 4, 20)),
            "Expected hidden size (2, 3, 20), got [2, 4, 20]");

        var lstmCell = nn.LSTMCell(10, 20);
        yield return Case("LstmCellInput3D", () => lstmCell.call(torch.randn(1, 3, 10)), "LSTMCell: Expected input to be 1D or 2D, got 3D instead");
        yield return Case("LstmCellHidden3D", () => lstmCell.call(torch.randn(3, 10), (torch.randn(1, 3, 20), torch.randn(3, 20))),
            "LSTMCell: Expected hx[0] to be 1D or 2D, got 3D instead");
        yield return Case("LstmCellCell3D", () => lstmCell.call(torch.randn(3, 10), (torch.randn(3, 20), torch.randn(1, 3, 20))),
            "LSTMCell: Expected hx[1] to be 1D or 2D, got 3D instead");
        yield return Case("LstmCellWrongInputSize", () => lstmCell.call(torch.randn(3, 11)), "input has inconsistent input_size: got 11 expected 10");
        yield return Case("LstmCellWrongBatch", () => lstmCell.call(torch.randn(3, 10), (torch.randn(5, 20), torch.randn(3, 20))),
            "Input batch size 3 doesn't match hidden0 batch size 5");
        yield return Case("LstmCellWrongCellBatch", () => lstmCell.call(torch.randn(3, 10), (torch.randn(3, 20), torch.randn(5, 20))),
            "Input batch size 3 doesn't match hidden1 batch size 5");
        yield return Case("LstmCellWrongCellSize", () => lstmCell.call(torch.randn(3, 10), (torch.randn(3, 20), torch.randn(3, 21))),
            "hidden1 has inconsistent hidden_size: got 21, expected 20");

        var gruCell = nn.GRUCell(10, 20);
        yield return Case("GruCellInput3D", () => gruCell.call(torch.randn(1, 3, 10)), "GRUCell: Expected input to be 1D or 2D, got 3D instead");
        yield return Case("GruCellHidden3D", () => gruCell.call(torch.randn(3, 10), torch.randn(1, 3, 20)),
            "GRUCell: Expected hidden to be 1D or 2D, got 3D instead");
        yield return Case("GruCellWrongHidden", () => gruCell.call(torch.randn(3, 10), torch.randn(3, 21)),
            "hidden0 has inconsistent hidden_size: got 21, expected 20");
    }

    [TestCaseSource(nameof(GatedForwardErrors))]
    public void Forward_InvalidInputToGatedModule_ThrowsPyTorchMessage(Action forward, string message)
    {
        var error = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => forward());
        Assert.That(error!.Message, Does.StartWith(message));
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
