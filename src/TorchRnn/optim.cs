using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;

namespace TorchRnn;

/// <summary>
/// PyTorch's <c>torch.optim</c> where TorchSharp's construction differs from PyTorch's: the same optimisers
/// (TorchSharp's, which run LibTorch's), built with PyTorch's defaults.
/// </summary>
/// <remarks>
/// Every other optimiser (<c>torch.optim.Adam</c>, <c>SGD</c>, ...) already takes PyTorch's defaults in TorchSharp and
/// is used from there.
/// </remarks>
public static class optim
{
    /// <summary>
    /// PyTorch's <c>torch.optim.LBFGS(params)</c> with PyTorch 1.13's defaults: <c>lr=1</c>, <c>max_iter=20</c>,
    /// <c>max_eval=max_iter * 5 // 4</c>, <c>tolerance_grad=1e-7</c>, <c>tolerance_change=1e-9</c>,
    /// <c>history_size=100</c>, no line search. TorchSharp's own <c>torch.optim.LBFGS</c> defaults to <c>lr=0.01</c> and
    /// <c>tolerance_grad=1e-5</c>.
    /// </summary>
    /// <param name="parameters">The parameters to optimise, e.g. <c>model.parameters()</c>.</param>
    /// <param name="lr">The step size.</param>
    /// <param name="max_iter">The most iterations per <c>step</c>.</param>
    /// <param name="max_eval">The most closure evaluations per <c>step</c>; <c>max_iter * 5 / 4</c> when null.</param>
    /// <param name="tolerance_grad">Stop when every gradient element is at most this in absolute value.</param>
    /// <param name="tolerance_change">Stop when the loss or the parameters change by at most this.</param>
    /// <param name="history_size">How many past updates approximate the inverse Hessian.</param>
    /// <returns>TorchSharp's LBFGS (LibTorch's implementation) over <paramref name="parameters"/>.</returns>
    /// <remarks>
    /// The closure passed to <c>step</c> should return <c>loss.detach()</c>, not <c>loss</c>: TorchSharp hands the
    /// returned tensor to LibTorch, which never frees it, so a loss that still holds its graph keeps every activation of
    /// that evaluation alive (README, "Memory").
    /// </remarks>
    /// <example>
    /// <code>
    /// var optimizer = optim.LBFGS(model.parameters(), lr: 0.8);
    /// optimizer.step(() =>
    /// {
    ///     optimizer.zero_grad();
    ///     var loss = torch.nn.functional.mse_loss(model.call(input), target);
    ///     loss.backward();
    ///     return loss.detach();
    /// });
    /// </code>
    /// </example>
    public static LBFGS LBFGS(IEnumerable<Parameter> parameters, double lr = 1, long max_iter = 20, long? max_eval = null,
        double tolerance_grad = 1e-7, double tolerance_change = 1e-9, long history_size = 100)
        => torch.optim.LBFGS(parameters, lr, max_iter, max_eval ?? max_iter * 5 / 4, tolerance_grad, tolerance_change, history_size);
}
