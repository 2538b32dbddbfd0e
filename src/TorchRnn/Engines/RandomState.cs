using System;
using TorchSharp;

namespace TorchRnn.Engines;

/// <summary>Runs code that draws from TorchSharp's global generator without moving it.</summary>
internal static class RandomState
{
    /// <summary>
    /// Creates a native module (whose constructor draws its own initial weights) and puts the generator back where it
    /// was, so that the user's stream of random numbers is PyTorch's.
    /// </summary>
    public static T Preserved<T>(Func<T> create)
    {
        var state = torch.get_rng_state();
        try
        {
            return create();
        }
        finally
        {
            torch.set_rng_state(state);
            state.Dispose();
        }
    }
}
