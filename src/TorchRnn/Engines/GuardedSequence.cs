using System.Collections.Generic;
using TorchRnn.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// A vendor kernel (<see cref="Engine.Native"/> or <see cref="Engine.Cells"/>) behind the kernel check: the first call
/// of each configuration (<see cref="GuardKey"/>) is also computed by the managed engine in float64 and compared; a
/// configuration whose kernel was right runs the kernel from then on, one whose kernel was wrong runs the fallback
/// (the fused engine behind its own check where it takes the call, else the managed engine: the reference's equations
/// in the module's dtype), and so does any call of a configuration not yet judged whose input or state holds NaN or
/// infinities (a comparison there would prove nothing).
/// </summary>
internal sealed class GuardedSequence(SequenceEngine kernel, RNNBase owner, SequenceEngine fallback) : SequenceEngine
{
    /// <inheritdoc />
    public override string Kernel => kernel.Kernel;

    /// <inheritdoc />
    public override (Tensor output, HiddenState h_n) Run(Tensor input, HiddenState h0, bool training)
        => Verdict(input, h0, training, packed: false, out var key) switch
        {
            true => kernel.Run(input, h0, training),
            false => fallback.Run(input, h0, training),
            null => Checked(key, input, h0, training, run => kernel.Run(input, h0, run), run => fallback.Run(input, h0, run),
                reference => reference.Run(Wide(input), Wide(h0), false)),
        };

    /// <inheritdoc />
    public override (Tensor data, HiddenState h_n) RunPacked(Tensor data, long[] batchSizes, HiddenState h0, bool training)
        => Verdict(data, h0, training, packed: true, out var key) switch
        {
            true => kernel.RunPacked(data, batchSizes, h0, training),
            false => fallback.RunPacked(data, batchSizes, h0, training),
            null => Checked(key, data, h0, training, run => kernel.RunPacked(data, batchSizes, h0, run),
                run => fallback.RunPacked(data, batchSizes, h0, run), reference => reference.RunPacked(Wide(data), batchSizes, Wide(h0), false)),
        };

    /// <summary>
    /// Whether this call may run the kernel (true: the check is off, or the kernel was right), must not (false), or
    /// has no verdict yet (null). The common case costs the key and one lookup, and allocates nothing.
    /// </summary>
    private bool? Verdict(Tensor input, HiddenState h0, bool training, bool packed, out GuardKey key)
    {
        key = default;
        if (!KernelCheck.Enabled) return true;
        key = Key(input, h0, training, packed);
        return owner.Guard.Lookup(key, ref _memo);
    }

    private KernelGuard.Memo? _memo;

    /// <summary>
    /// A call of a configuration with no verdict: input or states with NaN or infinities go to the managed engine
    /// (a comparison there would prove nothing); otherwise the kernel's result is judged against the reference and
    /// returned if right, else replaced by the managed engine's. Dropout between layers draws masks the reference
    /// cannot repeat, so then a run without it (which draws nothing) is judged, and the call itself is made on
    /// whichever engine the verdict allows.
    /// </summary>
    private (Tensor output, HiddenState h_n) Checked(GuardKey key, Tensor input, HiddenState h0, bool training,
        System.Func<bool, (Tensor output, HiddenState h_n)> runKernel, System.Func<bool, (Tensor output, HiddenState h_n)> runManaged,
        System.Func<ManagedRecurrence, (Tensor output, HiddenState h_n)> runReference)
    {
        if (!KernelGuard.AllFinite(input, h0)) return runManaged(training);
        if (Drops(training))
        {
            var (unregularised, last) = runKernel(false);
            try
            {
                Judge(key, unregularised, last, runReference);
            }
            finally
            {
                unregularised.Dispose();
                last.Dispose();
            }
            return owner.Guard.Lookup(key) == true ? runKernel(training) : runManaged(training);
        }

        var (output, h_n) = runKernel(training);
        if (Judge(key, output, h_n, runReference)) return (output, h_n);
        output.Dispose();
        h_n.Dispose();
        return runManaged(training);
    }

    private bool Drops(bool training) => training && owner.Options.Dropout > 0 && owner.Options.NumLayers > 1;

    /// <summary>
    /// The key of this call. Autograd counts as on when it is enabled and the input or the weights need gradients: that
    /// is when LibTorch runs its training kernels (oneDNN's <c>forward_training</c>) instead of its inference ones.
    /// </summary>
    private GuardKey Key(Tensor input, HiddenState h0, bool training, bool packed)
    {
        var parameters = owner.ParameterTensorInfo;
        var grad = torch.is_grad_enabled() && (input.requires_grad || owner.Weights[0].w_ih.requires_grad);
        return new GuardKey(kernel.Kernel, owner.Repr, parameters.DType, parameters.DeviceType, owner.ParameterDeviceIndex, grad,
            training, h0.h.size(1), packed);
    }

    /// <summary>
    /// Runs the reference (the managed engine over float64 copies of the weights, without gradients) and judges the
    /// kernel's results against it.
    /// </summary>
    private bool Judge(in GuardKey key, Tensor output, HiddenState h_n,
        System.Func<ManagedRecurrence, (Tensor output, HiddenState h_n)> runReference)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var reference = new ManagedRecurrence(owner.Options, System.Array.ConvertAll(owner.Weights, w => w.Float64()));
        var (expected, expectedState) = runReference(reference);
        List<Tensor> got = [output, h_n.h], wanted = [expected, expectedState.h];
        if (h_n.c is not null)
        {
            got.Add(h_n.c);
            wanted.Add(expectedState.c!);
        }
        return owner.Guard.Judge(key, got, wanted);
    }

    private static Tensor Wide(Tensor t) => t.detach().to(ScalarType.Float64);

    private static HiddenState Wide(HiddenState s) => new(Wide(s.h), s.c is null ? null : Wide(s.c));
}
