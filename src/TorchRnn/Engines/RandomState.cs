using System;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// The default CPU generator's state, read and written through one long-lived TorchSharp wrapper, and code run that
/// draws from the generator without moving it.
/// </summary>
/// <remarks>
/// Not <c>torch.get_rng_state()</c> and <c>torch.set_rng_state()</c>: TorchSharp 0.107 wraps the default generator in a
/// new <c>Generator</c> for each call and passes only its handle to LibTorch, so nothing keeps the wrapper alive during
/// the native call, and its finalizer may free the handle while LibTorch uses it (a test host crashed in
/// <c>at::Generator::set_state</c> with a freed generator, 2026-12-07, with two test processes sharing two cores). The
/// wrapper here lives as long as the process: its handle is a reference to the process's default generator.
/// </remarks>
internal static class RandomState
{
    private static readonly Generator DefaultGenerator = Generator.Default;

    /// <summary>The default CPU generator's state, as <c>torch.get_rng_state()</c> returns it.</summary>
    public static Tensor Get() => DefaultGenerator.get_state();

    /// <summary>Sets the default CPU generator's state, as <c>torch.set_rng_state(state)</c> does.</summary>
    public static void Set(Tensor state) => DefaultGenerator.set_state(state);

    /// <summary>
    /// Creates a native module (whose constructor draws its own initial weights) and puts the generator back where it
    /// was, so that the user's stream of random numbers is PyTorch's.
    /// </summary>
    public static T Preserved<T>(Func<T> create)
    {
        var state = Get();
        try
        {
            return create();
        }
        finally
        {
            Set(state);
            state.Dispose();
        }
    }
}
