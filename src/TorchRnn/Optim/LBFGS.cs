using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// PyTorch's <c>torch.optim.LBFGS</c> (without a line search): the L-BFGS algorithm of PyTorch's <c>lbfgs.py</c>, step
/// for step, in managed code over TorchSharp's tensors.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="step"/> calls the closure up to <see cref="max_eval"/> times. It takes ownership of the tensor each call
/// returns: it reads the loss's value (Python's <c>float(closure())</c>) and disposes the tensor at once, so a closure
/// may <c>return loss;</c> as in Python, graph and all, and no evaluation's graph outlives it. (TorchSharp's own LBFGS
/// hands the returned tensor to LibTorch, which never frees it.) Return a tensor the closure made for the purpose, not
/// one you keep using after the step.
/// </para>
/// <para>
/// Every scalar PyTorch keeps as a tensor (the curvature pairs' <c>ys</c>, <c>ro</c>, <c>H_diag</c>, the two-loop
/// coefficients, the first step length) is computed as a tensor of the parameters' dtype here too, so a float32 run
/// rounds where PyTorch's rounds. LBFGS keeps one parameter group; its state (the last direction and step, the
/// curvature history) lives on between steps, as in PyTorch, and is freed by <see cref="IDisposable.Dispose"/>.
/// Its <c>state_dict</c> is not supported (TorchSharp's LBFGS has none either).
/// </para>
/// </remarks>
public sealed class LBFGS : OptimizerHelper
{
    private readonly Parameter[] _params;
    private readonly List<Tensor> _oldDirs = [];
    private readonly List<Tensor> _oldStps = [];
    private readonly List<Tensor> _ro = [];
    private Tensor? _d;
    private double _t;
    private Tensor? _hDiag; // null: PyTorch's initial H_diag = 1
    private Tensor? _prevFlatGrad;
    private bool _disposed;

    internal LBFGS(IEnumerable<Parameter> parameters, double lr, long max_iter, long max_eval, double tolerance_grad,
        double tolerance_change, long history_size)
    {
        _params = parameters.ToArray();
        if (_params.Length == 0)
        {
            throw new ArgumentException("optimizer got an empty parameter list", nameof(parameters));
        }
        this.max_iter = max_iter;
        this.max_eval = max_eval;
        this.tolerance_grad = tolerance_grad;
        this.tolerance_change = tolerance_change;
        this.history_size = history_size;
        _defaults = new OptimizerOptions { LearningRate = lr, InitialLearningRate = lr };
        _parameter_groups = [new ParamGroup { Parameters = _params, Options = new OptimizerOptions { LearningRate = lr, InitialLearningRate = lr } }];
    }

    /// <summary>The most iterations per <see cref="step"/> (PyTorch's <c>max_iter</c>).</summary>
    public long max_iter { get; }

    /// <summary>The most closure evaluations per <see cref="step"/> (PyTorch's <c>max_eval</c>).</summary>
    public long max_eval { get; }

    /// <summary>A step stops when no gradient element exceeds this in absolute value (PyTorch's <c>tolerance_grad</c>).</summary>
    public double tolerance_grad { get; }

    /// <summary>A step stops when the loss or the parameters change by less than this (PyTorch's <c>tolerance_change</c>).</summary>
    public double tolerance_change { get; }

    /// <summary>How many curvature pairs approximate the inverse Hessian (PyTorch's <c>history_size</c>).</summary>
    public long history_size { get; }

    /// <summary>Closure evaluations over the optimiser's life (PyTorch's <c>state["func_evals"]</c>).</summary>
    public long func_evals { get; private set; }

    /// <summary>Iterations over the optimiser's life (PyTorch's <c>state["n_iter"]</c>).</summary>
    public long n_iter { get; private set; }

    /// <summary>
    /// PyTorch's <c>LBFGS.step(closure)</c>: up to <see cref="max_iter"/> L-BFGS iterations, each moving the parameters
    /// by the learning rate along the quasi-Newton direction and re-evaluating the closure.
    /// </summary>
    /// <param name="closure">
    /// Re-evaluates the model: zeroes the gradients, computes the loss, calls <c>backward()</c> and returns the loss.
    /// Called with gradients enabled. The tensor it returns is read and then disposed by the step.
    /// </param>
    /// <returns>The loss of the first evaluation (PyTorch returns that evaluation's tensor), as a new tensor without a graph.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="closure"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The optimiser was disposed.</exception>
    /// <exception cref="InvalidOperationException">The closure returned null.</exception>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        ArgumentNullException.ThrowIfNull(closure);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var lr = _parameter_groups[0].LearningRate;
        using var noGrad = torch.no_grad();

        // Evaluate the initial f(x) and df/dx.
        var (origLoss, dtype, device) = Evaluate(closure);
        var loss = origLoss;
        long currentEvals = 1;
        func_evals++;
        var flatGrad = GatherFlatGrad();
        try
        {
            if (MaxAbsAtMost(flatGrad, tolerance_grad))
            {
                return torch.tensor(origLoss, dtype, device);
            }
            long iterations = 0;
            while (iterations < max_iter)
            {
                iterations++;
                n_iter++;
                var prevLoss = loss;
                if (!Descends(flatGrad, lr))
                {
                    break; // the directional derivative is below tolerance
                }

                // No line search: move with the fixed step, and re-evaluate unless this is the last iteration.
                AddGrad(_t, _d!);
                long lsFuncEvals = 0;
                var optCond = false;
                if (iterations != max_iter)
                {
                    (loss, _, _) = Evaluate(closure);
                    flatGrad.Dispose();
                    flatGrad = GatherFlatGrad();
                    optCond = MaxAbsAtMost(flatGrad, tolerance_grad);
                    lsFuncEvals = 1;
                }
                currentEvals += lsFuncEvals;
                func_evals += lsFuncEvals;

                if (iterations == max_iter || currentEvals >= max_eval || optCond)
                {
                    break;
                }
                if (MaxAbsAtMost(_d!, tolerance_change, scale: _t) || Math.Abs(loss - prevLoss) < tolerance_change)
                {
                    break; // lack of progress
                }
            }
            return torch.tensor(origLoss, dtype, device);
        }
        finally
        {
            flatGrad.Dispose();
        }
    }

    /// <summary>
    /// Refuses a second parameter group, as PyTorch's LBFGS does: "LBFGS doesn't support per-parameter options
    /// (parameter groups)".
    /// </summary>
    /// <param name="param_group">Not used.</param>
    /// <exception cref="ArgumentException">Always.</exception>
    public override void add_param_group(ParamGroup param_group) =>
        throw new ArgumentException("LBFGS doesn't support per-parameter options (parameter groups)", nameof(param_group));

    /// <summary>Not supported: TorchRnn's LBFGS, like TorchSharp's, has no state dictionary.</summary>
    /// <returns>Never returns.</returns>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override StateDictionary state_dict() => throw new NotSupportedException("LBFGS has no state_dict in TorchRnn (nor in TorchSharp).");

    /// <summary>Not supported: TorchRnn's LBFGS, like TorchSharp's, has no state dictionary.</summary>
    /// <param name="state_dict">Not used.</param>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void load_state_dict(StateDictionary state_dict) => throw new NotSupportedException("LBFGS has no state_dict in TorchRnn (nor in TorchSharp).");

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _d?.Dispose();
            _hDiag?.Dispose();
            _prevFlatGrad?.Dispose();
            ClearHistory();
        }
        base.Dispose(disposing);
    }

    /// <summary>The closure's loss as Python's <c>float(closure())</c>, the returned tensor released at once.</summary>
    private static (double Value, ScalarType Dtype, Device Device) Evaluate(Func<Tensor> closure)
    {
        Tensor returned;
        using (torch.enable_grad())
        {
            returned = closure() ?? throw new InvalidOperationException("The LBFGS closure returned null; it must return the loss.");
        }
        using (returned)
        {
            return (returned.ToDouble(), returned.dtype, returned.device);
        }
    }

    /// <summary>
    /// One iteration's direction <c>d</c> and step length <c>t</c>, as PyTorch computes them; false when the directional
    /// derivative <c>g·d</c> is above <c>-tolerance_change</c> (no descent left).
    /// </summary>
    private bool Descends(Tensor flatGrad, double lr)
    {
        using var scope = torch.NewDisposeScope();
        Direction(flatGrad);
        if (_prevFlatGrad is null)
        {
            _prevFlatGrad = flatGrad.clone().DetachFromDisposeScope();
        }
        else
        {
            _prevFlatGrad.copy_(flatGrad);
        }
        // A scaled first step, then the learning rate.
        _t = lr;
        if (n_iter == 1)
        {
            var inverse = flatGrad.abs().sum().reciprocal();
            if (inverse.lt(1.0).item<bool>())
            {
                _t = inverse.mul(lr).ToDouble();
            }
        }
        return !flatGrad.dot(_d!).gt(-tolerance_change).item<bool>();
    }

    /// <summary>PyTorch's search direction d: the negative gradient at first, then the L-BFGS two-loop recursion.</summary>
    private void Direction(Tensor flatGrad)
    {
        if (n_iter == 1)
        {
            Replace(ref _d, flatGrad.neg());
            ClearHistory();
            _hDiag?.Dispose();
            _hDiag = null;
            return;
        }
        // Update the memory with the last step's curvature pair.
        var y = flatGrad.sub(_prevFlatGrad!);
        var s = _d!.mul(_t);
        var ys = y.dot(s);
        if (ys.gt(1e-10).item<bool>())
        {
            if (_oldDirs.Count == history_size)
            {
                // Shift the history by one (limited memory).
                foreach (var list in new[] { _oldDirs, _oldStps, _ro })
                {
                    list[0].Dispose();
                    list.RemoveAt(0);
                }
            }
            _oldDirs.Add(y.DetachFromDisposeScope());
            _oldStps.Add(s.DetachFromDisposeScope());
            _ro.Add(ys.reciprocal().DetachFromDisposeScope());
            Replace(ref _hDiag, ys.div(y.dot(y)));
        }

        // The approximate inverse Hessian times the gradient, in one buffer.
        var count = _oldDirs.Count;
        var al = new Tensor[count];
        var q = flatGrad.neg();
        for (var i = count - 1; i >= 0; i--)
        {
            al[i] = _oldStps[i].dot(q).mul(_ro[i]);
            q.add_(_oldDirs[i], alpha: al[i].neg().ToDouble());
        }
        var r = _hDiag is null ? q : q.mul(_hDiag); // H_diag starts as 1
        for (var i = 0; i < count; i++)
        {
            var be = _oldDirs[i].dot(r).mul(_ro[i]);
            r.add_(_oldStps[i], alpha: al[i].sub(be).ToDouble());
        }
        Replace(ref _d, r);
    }

    /// <summary>Every parameter's gradient, flattened into one vector (zeros for a parameter without one).</summary>
    private Tensor GatherFlatGrad()
    {
        using var scope = torch.NewDisposeScope();
        var views = _params.Select(p =>
        {
            var grad = p.grad;
            var view = grad is null ? torch.zeros(p.numel(), dtype: p.dtype, device: p.device)
                : grad.is_sparse ? grad.to_dense().view(-1) : grad.view(-1);
            return view.is_complex() ? torch.view_as_real(view).view(-1) : view;
        }).ToArray();
        return torch.cat(views, 0).DetachFromDisposeScope();
    }

    /// <summary>PyTorch's <c>_add_grad</c>: each parameter moves by <paramref name="stepSize"/> times its slice of <paramref name="update"/>.</summary>
    private void AddGrad(double stepSize, Tensor update)
    {
        using var scope = torch.NewDisposeScope();
        long offset = 0;
        foreach (var parameter in _params)
        {
            var p = parameter.is_complex() ? torch.view_as_real(parameter) : parameter;
            var numel = p.numel();
            p.add_(update.narrow(0, offset, numel).view_as(p), alpha: stepSize);
            offset += numel;
        }
    }

    /// <summary>Whether every element of <paramref name="value"/> (times <paramref name="scale"/>) is at most <paramref name="bound"/> in absolute value.</summary>
    private static bool MaxAbsAtMost(Tensor value, double bound, double scale = 1)
    {
        using var scope = torch.NewDisposeScope();
        var scaled = scale == 1 ? value : value.mul(scale);
        return scaled.abs().max().le(bound).item<bool>();
    }

    private static void Replace(ref Tensor? field, Tensor value)
    {
        field?.Dispose();
        field = value.DetachFromDisposeScope();
    }

    private void ClearHistory()
    {
        foreach (var list in new[] { _oldDirs, _oldStps, _ro })
        {
            list.ForEach(t => t.Dispose());
            list.Clear();
        }
    }
}

public static partial class optim
{
    /// <summary>
    /// Creates PyTorch's <c>torch.optim.LBFGS(params)</c> with PyTorch's defaults: <c>lr=1</c>, <c>max_iter=20</c>,
    /// <c>max_eval=max_iter * 5 // 4</c>, <c>tolerance_grad=1e-7</c>, <c>tolerance_change=1e-9</c>,
    /// <c>history_size=100</c>, no line search. (TorchSharp's <c>torch.optim.LBFGS</c> defaults to <c>lr=0.01</c> and
    /// <c>tolerance_grad=1e-5</c>.)
    /// </summary>
    /// <param name="parameters">The parameters to optimise, e.g. <c>model.parameters()</c>.</param>
    /// <param name="lr">The step size.</param>
    /// <param name="max_iter">The most iterations per <c>step</c>.</param>
    /// <param name="max_eval">The most closure evaluations per <c>step</c>; <c>max_iter * 5 / 4</c> when null.</param>
    /// <param name="tolerance_grad">Stop when every gradient element is at most this in absolute value.</param>
    /// <param name="tolerance_change">Stop when the loss or the parameters change by at most this.</param>
    /// <param name="history_size">How many past updates approximate the inverse Hessian.</param>
    /// <returns>TorchRnn's <see cref="TorchRnn.LBFGS"/> over <paramref name="parameters"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> is empty: <c>optimizer got an empty parameter list</c>.</exception>
    /// <remarks>
    /// The closure passed to <c>step</c> returns its loss as in Python; the step reads the value and disposes the
    /// tensor, so no evaluation's graph outlives the step (README, "Memory").
    /// </remarks>
    /// <example>
    /// <code>
    /// var optimizer = optim.LBFGS(model.parameters(), lr: 0.8);
    /// optimizer.step(() =>
    /// {
    ///     optimizer.zero_grad();
    ///     var loss = nn.functional.mse_loss(model.call(input), target);
    ///     loss.backward();
    ///     return loss;
    /// });
    /// </code>
    /// </example>
    public static LBFGS LBFGS(IEnumerable<Parameter> parameters, double lr = 1, long max_iter = 20, long? max_eval = null,
        double tolerance_grad = 1e-7, double tolerance_change = 1e-9, long history_size = 100)
        => new(parameters, lr, max_iter, max_eval ?? max_iter * 5 / 4, tolerance_grad, tolerance_change, history_size);
}
