using System;
using System.Collections.Generic;

namespace TorchRnn;

/// <summary>
/// The hooks a sequence module runs around a packed forward (<see cref="RNNBase.RegisterPackedForwardPreHook"/>,
/// <see cref="RNNBase.RegisterPackedForwardHook"/>): TorchSharp's hook registry is typed on the module's tensor input,
/// so packed input keeps its own, in registration order.
/// </summary>
internal sealed class PackedHooks
{
    private readonly Dictionary<Guid, RNNBase.PackedForwardPreHook> _pre = new();
    private readonly Dictionary<Guid, RNNBase.PackedForwardHook> _post = new();

    /// <summary>Adds a pre-hook; disposing the handle removes it.</summary>
    public IDisposable Add(RNNBase.PackedForwardPreHook hook) => Add(_pre, hook);

    /// <summary>Adds a hook; disposing the handle removes it.</summary>
    public IDisposable Add(RNNBase.PackedForwardHook hook) => Add(_post, hook);

    /// <summary>The pre-hooks (each may replace the input and state), the forward, then the hooks (each may replace the result).</summary>
    public (PackedSequence output, HiddenState h_n) Run(RNNBase module, PackedSequence input, HiddenState? hx,
        Func<PackedSequence, HiddenState?, (PackedSequence output, HiddenState h_n)> forward)
    {
        foreach (var hook in _pre.Values)
        {
            if (hook(module, input, hx) is { } modified) (input, hx) = modified;
        }
        var result = forward(input, hx);
        foreach (var hook in _post.Values)
        {
            if (hook(module, input, hx, result) is { } modified) result = modified;
        }
        return result;
    }

    private static IDisposable Add<T>(Dictionary<Guid, T> hooks, T hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var key = Guid.NewGuid();
        hooks.Add(key, hook);
        return new Handle(() => hooks.Remove(key));
    }

    private sealed class Handle(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
