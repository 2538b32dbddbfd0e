using TorchRnn.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// A cell module's native cell (LibTorch's <c>lstm_cell</c>, <c>gru_cell</c>, ...) behind the kernel check, as
/// <see cref="GuardedSequence"/> guards the sequence kernels: the first step of each configuration is also computed by
/// the managed step in float64; a wrong cell is reported once and its configuration runs the managed step from then on.
/// </summary>
internal sealed class GuardedCell(NativeCell cell, RNNCellBase owner)
{
    /// <summary>One step on batched input (N, H_in) from <paramref name="hx"/>, or from zeros when null.</summary>
    public HiddenState Step(Tensor input, HiddenState? hx)
    {
        if (!KernelCheck.Enabled) return cell.Step(input, hx);
        var parameters = owner.ParameterTensorInfo;
        var grad = torch.is_grad_enabled() && (input.requires_grad || owner.Weights.w_ih.requires_grad);
        var key = new GuardKey(cell.Kernel, owner.Repr, parameters.DType, parameters.DeviceType, owner.ParameterDeviceIndex, grad,
            Training: false, input.size(0), Packed: false);
        switch (owner.Guard.Lookup(key, ref _memo))
        {
            case true: return cell.Step(input, hx);
            case false: return owner.ManagedStep(input, hx);
        }
        if (!KernelGuard.AllFinite(input, hx)) return owner.ManagedStep(input, hx);

        var next = cell.Step(input, hx);
        if (Judge(key, input, hx, next)) return next;
        next.Dispose();
        return owner.ManagedStep(input, hx);
    }

    private KernelGuard.Memo? _memo;

    private bool Judge(in GuardKey key, Tensor input, HiddenState? hx, HiddenState next)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var weights = owner.Weights.Float64();
        var x = input.detach().to(ScalarType.Float64);
        var batch = input.size(0);
        var hidden = owner.hidden_size;
        var state = new HiddenState(
            hx?.h.detach().to(ScalarType.Float64) ?? x.new_zeros(batch, hidden),
            next.c is null ? null : hx?.c?.detach().to(ScalarType.Float64) ?? x.new_zeros(batch, hidden));
        // Native cells are the built-in kinds', which draw nothing in either mode: the key's Training is false.
        var expected = owner.kind.Prepare(weights, x.unsqueeze(0), batchSizes: null, training: false).Step(0, state);
        return next.c is null
            ? owner.Guard.Judge(key, [next.h], [expected.h])
            : owner.Guard.Judge(key, [next.h, next.c], [expected.h, expected.c!]);
    }
}
