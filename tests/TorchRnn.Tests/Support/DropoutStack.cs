using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Support;

/// <summary>
/// A multi-layer recurrent forward in training with between-layer dropout, re-derived from one-layer modules without
/// dropout and masks that this LibTorch draws in ATen's documented order: after every layer but the last,
/// <c>empty_like(output).bernoulli_(1 - p).div_(1 - p)</c> over the layer's time-major (or packed) output, nothing
/// for <c>p</c> 0 or 1. Where <see cref="DrawPath.MatchesFixtures"/> is false the fixtures' masks are out of reach,
/// so a test compares its module with this; where it is true the same test also compares this with the fixture,
/// which keeps the re-derivation honest.
/// </summary>
internal static class DropoutStack
{
    /// <summary>Runs one layer (a one-layer module without dropout): (output, h_n, c_n) for its slice of the state.</summary>
    public delegate (Tensor Output, Tensor H, Tensor? C) Layer(int layer, Tensor input, Tensor? h0, Tensor? c0);

    /// <summary>
    /// The layers in turn over <paramref name="input"/> (time-major, or a packed sequence's data), each given its
    /// <paramref name="directions"/> rows of <paramref name="h0"/> and <paramref name="c0"/>; the masks drawn from the
    /// global generator as they are needed, so it ends where the module's forward should leave it.
    /// </summary>
    public static (Tensor Output, Tensor H, Tensor? C) Forward(int layers, int directions, double p, Tensor input,
        Tensor? h0, Tensor? c0, Layer layer)
    {
        var hs = new List<Tensor>();
        var cs = new List<Tensor>();
        var x = input;
        for (var k = 0; k < layers; k++)
        {
            var (y, h, c) = layer(k, x, h0?.narrow(0, k * directions, directions), c0?.narrow(0, k * directions, directions));
            hs.Add(h);
            if (c is not null) cs.Add(c);
            x = k == layers - 1 || p == 0 ? y
                : p == 1 ? y * torch.zeros(1, dtype: y.dtype)
                : y * torch.empty_like(y).bernoulli_(1 - p).div_(1 - p);
        }
        return (x, torch.cat(hs, 0), cs.Count > 0 ? torch.cat(cs, 0) : null);
    }

    /// <summary>
    /// Copies layer <paramref name="layer"/>'s parameters of <paramref name="stack"/> (named <c>..._l{k}</c>, with or
    /// without <c>_reverse</c>) into the one-layer <paramref name="one"/> (named <c>..._l0</c>).
    /// </summary>
    public static void CopyLayer(torch.nn.Module stack, int layer, torch.nn.Module one)
    {
        using var noGrad = torch.no_grad();
        var names = one.named_parameters().Select(p => p.name).ToList();
        foreach (var name in names)
            one.get_parameter(name)!.copy_(stack.get_parameter(Regex.Replace(name, @"_l0(?=_|$)", $"_l{layer}"))!);
    }

    /// <summary>Each one-layer module's parameter gradients under the stack's names.</summary>
    public static Dictionary<string, Tensor> Grads(IReadOnlyList<torch.nn.Module> ones)
    {
        var grads = new Dictionary<string, Tensor>();
        for (var k = 0; k < ones.Count; k++)
        {
            foreach (var (name, p) in ones[k].named_parameters())
                grads[Regex.Replace(name, @"_l0(?=_|$)", $"_l{k}")] = p.grad!;
        }
        return grads;
    }
}
