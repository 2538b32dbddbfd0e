using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace FromScratch;

/// <summary>
/// The tutorial's Elman network written out with plain tensor operations, reading its weights from a
/// <c>TorchRnn.nn.RNN</c> so the result can be compared with the module's own forward pass.
/// </summary>
/// <remarks>
/// The tutorial's names: x_t the input at step t, h_t the hidden state, W_xh = <c>weight_ih</c>,
/// W_hh = <c>weight_hh</c>, b_ih / b_hh the biases, W_hy / b_y the output layer. Batched, so x_t is (N, H_in),
/// h_t is (N, H_out), and a weight multiplies from the right transposed: W_xh x_t is <c>x_t.matmul(W_xh.t())</c>.
/// Dropout is left out: it is zero by default and off in eval mode.
/// </remarks>
public static class Elman
{
    /// <summary>One step: h_t = tanh(W_xh x_t + b_ih + W_hh h_(t-1) + b_hh) (relu in place of tanh if asked).</summary>
    public static Tensor Step(Tensor x_t, Tensor h_prev, Tensor W_xh, Tensor W_hh, Tensor? b_ih, Tensor? b_hh, string nonlinearity = "tanh")
    {
        var a = x_t.matmul(W_xh.t());
        if (b_ih is not null)
            a = a + b_ih;
        a = a + h_prev.matmul(W_hh.t());
        if (b_hh is not null)
            a = a + b_hh;
        return nonlinearity == "relu" ? a.relu() : a.tanh();
    }

    /// <summary>
    /// One direction of one layer: starting from h_0, walk the sequence xs (L, N, H_in) forwards, or backwards when
    /// <paramref name="reverse"/>, and return every h_t in the sequence's order, (L, N, H_out).
    /// </summary>
    public static Tensor Layer(Tensor xs, Tensor h_0, Tensor W_xh, Tensor W_hh, Tensor? b_ih, Tensor? b_hh, bool reverse = false, string nonlinearity = "tanh")
    {
        var L = (int)xs.shape[0];
        var hs = new Tensor[L];
        var h_t = h_0;
        for (var i = 0; i < L; i++)
        {
            var t = reverse ? L - 1 - i : i;
            h_t = Step(xs[t], h_t, W_xh, W_hh, b_ih, b_hh, nonlinearity);
            hs[t] = h_t;
        }
        return stack(hs);
    }

    /// <summary>
    /// The whole <paramref name="rnn"/> by hand: every layer and direction with <see cref="Layer"/>, layer k + 1 reading
    /// layer k's h_t sequence, the two directions' sequences concatenated on the last dim, and h_n stacked
    /// [layer 0 forward, layer 0 reverse, layer 1 forward, ...]. Takes and returns what <c>rnn.call</c> does for a
    /// batched input: input (L, N, H_in) ((N, L, H_in) when batch_first), h_0 (D * num_layers, N, H_out) or zeros.
    /// </summary>
    public static (Tensor outputs, Tensor h_n) Run(TorchRnn.RNN rnn, Tensor input, Tensor? h_0 = null)
    {
        if (input.dim() != 3)
            throw new ArgumentException($"Expected a batched 3-D input, got {input.dim()}-D", nameof(input));
        using var scope = NewDisposeScope();
        var D = rnn.bidirectional ? 2 : 1;
        var xs = rnn.batch_first ? input.transpose(0, 1) : input;
        var h0 = h_0 ?? zeros(D * rnn.num_layers, xs.shape[1], rnn.hidden_size, dtype: xs.dtype, device: xs.device);
        var h_n = new List<Tensor>();
        for (var k = 0; k < rnn.num_layers; k++)
        {
            var directions = new Tensor[D];
            for (var d = 0; d < D; d++)
            {
                var suffix = d == 0 ? $"_l{k}" : $"_l{k}_reverse";
                var hs = Layer(xs, h0[k * D + d],
                    Weight(rnn, "weight_ih" + suffix), Weight(rnn, "weight_hh" + suffix),
                    rnn.bias ? Weight(rnn, "bias_ih" + suffix) : null, rnn.bias ? Weight(rnn, "bias_hh" + suffix) : null,
                    reverse: d == 1, rnn.nonlinearity);
                directions[d] = hs;
                // The forward direction ends at the last step, the reverse one at the first.
                h_n.Add(d == 0 ? hs[-1] : hs[0]);
            }
            xs = D == 1 ? directions[0] : cat(directions, -1);
        }
        var outputs = rnn.batch_first ? xs.transpose(0, 1) : xs;
        return (outputs.MoveToOuterDisposeScope(), stack(h_n).MoveToOuterDisposeScope());
    }

    /// <summary>The output layer at every step: y_t = W_hy h_t + b_y, for hs (L, N, H) giving (L, N, H_y).</summary>
    public static Tensor Output(Tensor hs, Tensor W_hy, Tensor? b_y)
    {
        using var scope = NewDisposeScope();
        var ys = new Tensor[hs.shape[0]];
        for (var t = 0; t < ys.Length; t++)
        {
            var y_t = hs[t].matmul(W_hy.t());
            ys[t] = b_y is null ? y_t : y_t + b_y;
        }
        return stack(ys).MoveToOuterDisposeScope();
    }

    /// <summary>The largest absolute difference between two tensors, as a number.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a - b).abs().max().item<double>();
    }

    private static Tensor Weight(torch.nn.Module module, string name)
        => module.get_parameter(name) ?? throw new ArgumentException($"{module.GetName()} has no parameter {name}", nameof(module));
}
