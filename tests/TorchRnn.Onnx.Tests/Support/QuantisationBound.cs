using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests.Support;

/// <summary>
/// How far an int8 model may lie from its float model, from the quantisation steps alone (float64, elementwise).
/// A weight row j quantised symmetrically with scale s_j = max|w_j| / q_max is within s_j / 2 of each float weight.
/// An activation vector quantised at run time, whatever the kernel's scheme (uint8 over its range with a rounded zero
/// point, or int8 symmetric) and granularity, is within s_x = max|x| / 127 of each value (the uint8 step is
/// range / 255 &lt;= 2 max|x| / 255 &lt; max|x| / 127, and the rounded zero point can add a step at the clipped end).
/// So a product w . x is off by at most sum_k |x_k| s_j / 2 + sum_k |w^_jk| s_x, with |w^| &lt;= |w| + s_j / 2;
/// the integer sums themselves are exact. Through the LSTM: sigmoid is 1/4-Lipschitz, tanh 1-Lipschitz, and the
/// products f c, i g, o tanh(c) bound by the triangle inequality, carrying the previous step's error forward.
/// </summary>
public static class QuantisationBound
{
    /// <summary>Per-row scales max|w_j| / q_max, (rows, 1).</summary>
    public static Tensor RowScales(Tensor w, double qmax) => w.abs().amax([1], keepdim: true) / qmax;

    /// <summary>The activation step bound of a tensor: max|x| / 127.</summary>
    public static Tensor ActivationStep(Tensor x) => x.abs().max() / 127;

    /// <summary>Bound on |x W^T (int8) - x W^T| for x (..., K), W (N, K) float64: (..., N).</summary>
    public static Tensor Product(Tensor x, Tensor w, double qmax, bool perChannel = true)
    {
        var s = perChannel ? RowScales(w, qmax) : (w.abs().max() / qmax).expand(w.shape[0], 1); // (N, 1)
        var sx = ActivationStep(x);
        var wHat = w.abs() + s / 2;
        return x.abs().sum(-1, keepdim: true) * (s.t() / 2) + wHat.sum(1) * sx;
    }

    /// <summary>Bound on |h_t (int8) - h_t (float)| along a one-layer, one-direction LSTM run (PyTorch's gates i, f, g, o),
    /// for input (L, N, H_in) and states (N, H); float64 throughout: (L, N, H).</summary>
    public static Tensor Lstm(Tensor wIh, Tensor wHh, Tensor bias, Tensor x, Tensor h0, Tensor c0, double qmax)
    {
        var hidden = wHh.shape[1];
        var sx = ActivationStep(x); // the whole input's range: no sub-block has a larger step
        var sW = RowScales(wIh, qmax).t();
        var sR = RowScales(wHh, qmax).t();
        var wHat = wIh.abs() + sW.t() / 2;
        var rHat = wHh.abs() + sR.t() / 2;
        Tensor h = h0, c = c0, dh = torch.zeros_like(h0), dc = torch.zeros_like(c0);
        var bounds = new Tensor[x.shape[0]];
        for (var t = 0; t < x.shape[0]; t++)
        {
            var xt = x[t];
            var gates = xt.matmul(wIh.t()) + h.matmul(wHh.t()) + bias;
            var hTilde = h.abs() + dh;                      // the int8 run's h, in magnitude
            var sh = hTilde.max() / 127;
            var e = xt.abs().sum(1, keepdim: true) * (sW / 2) + wHat.sum(1) * sx
                    + hTilde.sum(1, keepdim: true) * (sR / 2) + rHat.sum(1) * sh
                    + dh.matmul(wHh.abs().t());
            var es = e.chunk(4, 1);
            var gs = gates.chunk(4, 1);
            var (i, f, g, o) = (gs[0].sigmoid(), gs[1].sigmoid(), gs[2].tanh(), gs[3].sigmoid());
            var (di, df, dg, dO) = ((es[0] / 4).clamp_max(1), (es[1] / 4).clamp_max(1), es[2].clamp_max(2), (es[3] / 4).clamp_max(1));
            var cNext = f * c + i * g;
            dc = df * (c.abs() + dc) + f * dc + di * (g.abs() + dg) + i * dg;
            var tanhC = cNext.tanh();
            dh = dO * (tanhC.abs() + dc).clamp_max(1) + o * dc.clamp_max(2);
            (h, c) = (o * tanhC, cNext);
            bounds[t] = dh;
        }
        return torch.stack(bounds);
    }
}
