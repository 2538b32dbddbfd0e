using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Benchmarks;

/// <summary>
/// One generation step of a TorchRnn module as an application writes it (pytorch_bench.py's <c>StepRun</c>): under
/// no_grad, <c>(_, state) = m.call(x, state)</c> in a dispose scope, so that nothing the call makes outlives it but the
/// new state, and the previous state disposed. The module and input are the caller's.
/// </summary>
internal sealed class TorchStep(RNNBase module, Tensor x) : IWorkloadRun
{
    private HiddenState? _state;

    /// <summary>The state the last call returned (null before the first: zeros).</summary>
    public HiddenState? State => _state;

    public void Call()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (_, state) = module.call(x, _state);
        _state?.Dispose();
        _state = state.MoveToOuterDisposeScope();
    }

    public void Dispose() => _state?.Dispose();
}
