using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Support;

/// <summary>Every device the tests run on: the CPU always, CUDA when TorchSharp finds one.</summary>
public static class Devices
{
    public static IEnumerable<Device> Available()
    {
        yield return torch.CPU;
        if (torch.cuda.is_available()) yield return torch.CUDA;
    }

    public static IEnumerable<string> Names()
    {
        foreach (var d in Available()) yield return d.ToString();
    }
}
