using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// The autograd node of <see cref="FusedLstmTraining"/>: one node for the whole stack, whose forward is the fused walk
/// and whose backward is the engine's hand-written backpropagation through time. Arguments, in order: the engine, a
/// list that receives the tensors the forward makes (the caller frees them once the node holds what it needs), the
/// input (L, N, H_in) in sequence-first layout, h0 (S, N, H_out), c0 (S, N, H_cell), then for each layer-direction
/// <see cref="FusedLstmTraining.Slots"/> tensors (weight_ih, weight_hh, bias_ih, bias_hh, weight_hr; null where the
/// module has none). Results: output (L, N, D * H_out), h_n, c_n.
/// </summary>
/// <remarks>
/// TorchSharp keeps one instance of a function type and hands it the node's context, so everything a call needs lives
/// in that context: the saved tensors (inputs, weights and the tape of gates, cells and layer outputs) and the engine.
/// </remarks>
internal sealed class FusedLstmFunction : torch.autograd.MultiTensorFunction<FusedLstmFunction>
{
    private const string EngineKey = "engine";
    private const string InputGradKey = "input_grad";

    /// <summary>The arguments before the weights: engine, list, input, h0, c0.</summary>
    internal const int Leading = 5;

    /// <inheritdoc />
    public override string Name => nameof(FusedLstmFunction);

    /// <inheritdoc />
    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var engine = (FusedLstmTraining)vars[0];
        var made = (List<Tensor>)vars[1];
        var x = (Tensor)vars[2];
        var weights = new Tensor?[vars.Length - Leading];
        for (var i = 0; i < weights.Length; i++) weights[i] = vars[i + Leading] as Tensor;
        var (output, hN, cN, tape) = engine.Forward(x, (Tensor)vars[3], (Tensor)vars[4], weights);
        made.AddRange([output, hN, cN, tape]);
        ctx.save_data(EngineKey, engine);
        ctx.save_data(InputGradKey, x.requires_grad);
        List<Tensor> saved = [x, (Tensor)vars[3], (Tensor)vars[4], tape];
        foreach (var w in weights) saved.Add(w!);
        ctx.save_for_backward(saved);
        return [output, hN, cN];
    }

    /// <inheritdoc />
    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grad_outputs)
    {
        var engine = (FusedLstmTraining)ctx.get_data(EngineKey);
        var inputGrad = (bool)ctx.get_data(InputGradKey);
        // The saved tensors' handles are this call's; the gradients go out to the scope backward() runs in.
        using var scope = torch.NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var weights = saved.GetRange(4, saved.Count - 4).ToArray();
        // An unused result's gradient comes as zeros (TorchSharp makes them from the node's copy of the result's shape).
        static Tensor? Defined(Tensor t) => t is null || t.IsInvalid ? null : t;
        // With create_graph the gradients must be differentiable themselves, which the written-out backward is not:
        // then the call is replayed on the managed engine under autograd and differentiated there.
        var (dx, dh0, dc0, dWeights) = torch.is_grad_enabled()
            ? engine.BackwardByReplay(Defined(grad_outputs[0]), Defined(grad_outputs[1]), Defined(grad_outputs[2]), saved[0], saved[1], saved[2], weights)
            : engine.Backward(Defined(grad_outputs[0]), Defined(grad_outputs[1]), Defined(grad_outputs[2]),
                saved[0], saved[1], saved[2], saved[3], weights, inputGrad);
        List<Tensor> grads = [null!, null!, dx!, dh0!, dc0!];
        grads.AddRange(dWeights!);
        foreach (var g in grads) g?.MoveToOuterDisposeScope();
        return grads;
    }
}
