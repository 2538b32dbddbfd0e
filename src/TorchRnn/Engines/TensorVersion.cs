using System;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// LibTorch's version counter of a tensor, PyTorch's <c>tensor._version</c>: every in-place operation on the tensor or
/// on a view of it adds one (an optimiser's step, <c>copy_</c>, <c>set_</c>, <c>load_state_dict</c>), which is how
/// autograd finds a saved tensor changed. TorchSharp does not bind it; LibTorch exports the operator's entry point
/// (<c>at::_ops::_version::call</c>), which takes the <c>at::Tensor</c> a TorchSharp handle points to.
/// </summary>
/// <remarks>
/// Resolved once, and trusted only after a check on a tensor of its own (one <c>add_</c> must add exactly one); where
/// the export is missing or the check fails, <see cref="Available"/> is false and nothing relies on versions.
/// </remarks>
internal static unsafe class TensorVersion
{
    /// <summary>Whether versions can be read here.</summary>
    public static bool Available => Read != null;

    /// <summary>The tensor's version; only when <see cref="Available"/>.</summary>
    public static long Of(Tensor t) => Read(t.Handle);

    /// <summary>Itanium (Linux, macOS) and MSVC (Windows) names of <c>int64_t at::_ops::_version::call(const at::Tensor&amp;)</c>.</summary>
    private static readonly string[] Symbols = ["_ZN2at4_ops8_version4callERKNS_6TensorE", "?call@_version@_ops@at@@SA_JAEBVTensor@3@@Z"];

    private static readonly string[] Libraries = ["libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll"];

    // After the names it reads: static fields are initialised in the order they are written.
    private static readonly delegate* unmanaged<IntPtr, long> Read = Resolve();

    private static delegate* unmanaged<IntPtr, long> Resolve()
    {
        try
        {
            // LibTorch is loaded by TorchSharp before any tensor exists; this makes sure it is.
            using var probe = torch.zeros(1);
            foreach (var library in Libraries)
            {
                if (!NativeLibrary.TryLoad(library, typeof(torch).Assembly, null, out var handle)) continue;
                foreach (var symbol in Symbols)
                {
                    if (!NativeLibrary.TryGetExport(handle, symbol, out var address)) continue;
                    var read = (delegate* unmanaged<IntPtr, long>)address;
                    var before = read(probe.Handle);
                    using (torch.no_grad()) probe.add_(1);
                    if (read(probe.Handle) == before + 1) return read;
                }
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
        }
        return null;
    }
}
