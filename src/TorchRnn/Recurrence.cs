using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn;

/// <summary>
/// One time step of each recurrence, shared by the sequence modules and the cells. Written as ATen writes its CPU
/// cells (<c>linear_hh(h).add_(input projection)</c>), so results agree with PyTorch to rounding.
/// </summary>
internal static class Recurrence
{
    /// <summary>The next hidden state from the input's projection <c>x W_ih^T + b_ih</c> and the previous state.</summary>
    public static Tensor Step(RecurrentMode mode, Tensor inputProjection, Tensor h, Tensor w_hh, Tensor? b_hh)
    {
        var pre = F.linear(h, w_hh, b_hh).add_(inputProjection);
        return mode == RecurrentMode.RnnRelu ? F.relu(pre) : torch.tanh(pre);
    }
}
