using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// What a vendor kernel's verdict holds for: the kernel, the module's configuration (its repr), and what of the call
/// can change the code path a vendor library picks (dtype, device, gradient mode, training mode, batch size, packed
/// input). The sequence length is not part of it: the kernels' blocking depends on sizes, and a faulty kernel was
/// measured wrong at every length from 2 to 35 (one time step of an LSTM never reaches it, the kind (<c>RecurrentKind.ChooseEngine</c>)).
/// </summary>
internal readonly record struct GuardKey(string Kernel, string Configuration, ScalarType DType, DeviceType Device, int DeviceIndex,
    bool Grad, bool Training, long Batch, bool Packed)
{
    /// <summary>The configuration and call in words, for warnings and reports.</summary>
    public string Describe()
        => $"{Configuration}, {DType.ToString().ToLowerInvariant()} on {Device.ToString().ToLowerInvariant()}"
            + (Device == DeviceType.CPU ? "" : $":{DeviceIndex}")
            + $", {(Grad ? "with autograd" : "under no_grad")}, {(Training ? "training" : "eval")} mode, batch {Batch}"
            + (Packed ? ", packed input" : "");
}
