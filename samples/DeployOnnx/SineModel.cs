using System;
using TorchRnn;
using TorchRnn.Onnx;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace DeployOnnx;

/// <summary>FromPyTorch's SineModel, GRU(1, 8, batch_first) then Linear(8, 1), with a streaming step beside its forward.</summary>
public sealed class SineModel : torch.nn.Module<Tensor, Tensor>
{
    private readonly GRU rnn = nn.GRU(1, 8, batch_first: true);
    private readonly TorchSharp.Modules.Linear head = torch.nn.Linear(8, 1);

    public SineModel() : base(nameof(SineModel)) => RegisterComponents();

    // x: (N, L, 1) -> the predicted next value after every step, (N, L, 1).
    public override Tensor forward(Tensor x) => head.call(rnn.call(x).output);

    // Streaming: the next steps (N, L, 1) and the state so far (zeros when null) -> predictions and the state after them.
    public (Tensor y, Tensor h_n) Step(Tensor x, Tensor? h)
    {
        var (output, h_n) = rnn.call(x, h);
        return (head.call(output), h_n);
    }

    // The same lines on OnnxTensor, for the export.
    public (OnnxTensor y, OnnxTensor h_n) Step(OnnxTensor x, OnnxTensor? h)
    {
        var (output, h_n) = rnn.call(x, h);
        return (head.call(output), h_n);
    }
}

/// <summary>Sine waves of random frequency and phase: the inputs are their values, the targets the next values.</summary>
public static class Waves
{
    public static (Tensor Inputs, Tensor Targets) Batch(long waves, long length)
    {
        var frequency = torch.rand(waves, 1) * 0.4 + 0.1;
        var phase = torch.rand(waves, 1) * 2 * Math.PI;
        var t = torch.arange(length + 1, dtype: torch.float32).unsqueeze(0);
        var values = (frequency * t + phase).sin().unsqueeze(-1); // (N, L + 1, 1)
        return (values[.., ..^1], values[.., 1..]);
    }
}
