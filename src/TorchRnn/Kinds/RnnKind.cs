using TorchRnn.Engines;
using TorchRnn.Validation;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Kinds;

/// <summary>PyTorch's Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), or relu (<c>RNN_TANH</c>, <c>RNN_RELU</c>).</summary>
internal sealed class RnnKind : LibTorchKind
{
    /// <summary><c>RNN_TANH</c>.</summary>
    public static readonly RnnKind Tanh = new("tanh");

    /// <summary><c>RNN_RELU</c>.</summary>
    public static readonly RnnKind Relu = new("relu");

    private RnnKind(string nonlinearity) : base("RNN", hasCell: false, gateCount: 1)
    {
        Nonlinearity = nonlinearity;
        IsRelu = nonlinearity == "relu";
        Onnx = new("RNN", [0], Activation: IsRelu ? "Relu" : "Tanh");
    }

    /// <summary><c>tanh</c> or <c>relu</c>.</summary>
    public string Nonlinearity { get; }

    private bool IsRelu { get; }

    /// <summary>The kind for a nonlinearity, refusing unknown ones with PyTorch's message.</summary>
    public static RnnKind For(string nonlinearity)
    {
        Checks.Nonlinearity(nonlinearity);
        return nonlinearity == "tanh" ? Tanh : Relu;
    }

    /// <inheritdoc />
    internal override string ModeString => IsRelu ? "RNN_RELU" : "RNN_TANH";

    /// <inheritdoc />
    internal override bool RankMessageSaysTensor => true;

    /// <inheritdoc />
    internal override string CellReprSuffix => IsRelu ? ", nonlinearity=relu" : "";

    /// <inheritdoc />
    internal override OnnxOperator Onnx { get; }

    private torch.nn.NonLinearities Native => IsRelu ? torch.nn.NonLinearities.ReLU : torch.nn.NonLinearities.Tanh;

    /// <inheritdoc />
    public override RNNBase CreateModule(long input_size, long hidden_size, long num_layers, bool bias, bool batch_first, double dropout,
        bool bidirectional, long proj_size, Device? device, ScalarType? dtype)
        => nn.RNN(input_size, hidden_size, num_layers, Nonlinearity, bias, batch_first, dropout, bidirectional, device, dtype);

    /// <inheritdoc />
    internal override FusedRecurrence CreateFused(SequenceOptions o, CellWeights[] weights, SequenceEngine fallback)
        => new FusedRnn(o, weights, fallback, IsRelu);

    /// <inheritdoc />
    public override RNNCellBase CreateCell(long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype)
        => nn.RNNCell(input_size, hidden_size, bias, Nonlinearity, device, dtype);

    /// <inheritdoc />
    internal override NativeSequence CreateNative(SequenceOptions o, Device? device, ScalarType? dtype)
        => NativeSequence.Create(dropout => NativeGruOrRnn.Of(torch.nn.RNN(o.InputSize, o.HiddenSize, o.NumLayers, Native, o.Bias,
            o.BatchFirst, dropout, o.Bidirectional, device, dtype)), o);

    /// <inheritdoc />
    internal override NativeCell CreateNativeCell(long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype)
        => NativeCell.Create(() => NativeGruOrRnnCell.Of(torch.nn.RNNCell(input_size, hidden_size, Native, bias, device, dtype)));

    /// <inheritdoc />
    internal override DirectionSteps Prepare(CellWeights w, Tensor input, long[]? batchSizes, bool training)
        => new Steps(PerStep(F.linear(input, w.w_ih, FoldedBias(w)), batchSizes), w.w_hh.t(), IsRelu);

    /// <summary>h' = tanh((x W_ih^T + b_ih + b_hh) + h W_hh^T), or relu.</summary>
    private sealed class Steps(Tensor[] inputs, Tensor w_hh_t, bool relu) : DirectionSteps
    {
        public override HiddenState Step(int t, HiddenState state)
        {
            var pre = inputs[t].addmm(state.h, w_hh_t);
            return relu ? pre.relu_() : pre.tanh_();
        }
    }
}
