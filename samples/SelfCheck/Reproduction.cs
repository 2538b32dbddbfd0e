using TorchSharp;

/// <summary>The fault in a few lines of TorchSharp, no TorchRnn involved (the README shows this code).</summary>
internal static class Reproduction
{
    public static double Difference()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        // The generator's state goes back afterwards, through one wrapper held for both calls: torch.get_rng_state()
        // and set_rng_state() wrap the default generator anew each call, and that wrapper's finalizer may free its
        // handle while LibTorch still uses it.
        using var generator = torch.Generator.Default;
        var state = generator.get_state();
        torch.manual_seed(0);
        var m = torch.nn.LSTM(5, 6, 2);
        var wide = torch.nn.LSTM(5, 6, 2, dtype: torch.float64);
        foreach (var (name, p) in m.named_parameters()) wide.get_parameter(name)!.copy_(p);
        var x = torch.randn(5, 3, 5);
        var (output, _, _) = m.call(x);
        var (expected, _, _) = wide.call(x.to(torch.float64));
        generator.set_state(state);
        return (output.to(torch.float64) - expected).abs().max().item<double>();
    }
}
