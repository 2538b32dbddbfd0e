using System;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Validation;

/// <summary>
/// What the checks need to know of a tensor, read from the native side once per call without a managed allocation:
/// rank, the first three sizes, dtype and device. The full shape is read again only to word an error.
/// </summary>
internal readonly struct TensorInfo
{
    private readonly Tensor? _tensor;
    private readonly long _d0, _d1, _d2;

    private TensorInfo(Tensor? tensor, int rank, long d0, long d1, long d2, ScalarType dtype, DeviceType deviceType, int deviceIndex)
    {
        _tensor = tensor;
        Rank = rank;
        (_d0, _d1, _d2) = (d0, d1, d2);
        DType = dtype;
        DeviceType = deviceType;
        DeviceIndex = deviceIndex;
    }

    public int Rank { get; }

    public ScalarType DType { get; }

    public DeviceType DeviceType { get; }

    public int DeviceIndex { get; }

    /// <summary>PyTorch's <c>str(device)</c>: <c>cpu</c>, <c>cuda:0</c>.</summary>
    public string DeviceName => DeviceIndex >= 0 ? $"{DeviceType.ToString().ToLowerInvariant()}:{DeviceIndex}" : DeviceType.ToString().ToLowerInvariant();

    public static TensorInfo Of(Tensor tensor)
    {
        var rank = (int)tensor.dim();
        return new TensorInfo(tensor, rank,
            rank > 0 ? tensor.size(0) : 0, rank > 1 ? tensor.size(1) : 0, rank > 2 ? tensor.size(2) : 0,
            tensor.dtype, tensor.device_type, tensor.device_index);
    }

    /// <summary>The dtype and device of <paramref name="tensor"/> alone (no shape), for the parameters.</summary>
    public static TensorInfo DTypeAndDevice(Tensor tensor) => new(null, 0, 0, 0, 0, tensor.dtype, tensor.device_type, tensor.device_index);

    /// <summary>Size <paramref name="dim"/> (0 to 2) after <c>unsqueeze(inserted)</c>, or as it is when <paramref name="inserted"/> is -1.</summary>
    public long Size(int dim, int inserted = -1)
    {
        if (inserted >= 0)
        {
            if (dim == inserted) return 1;
            if (dim > inserted) dim--;
        }
        return dim switch { 0 => _d0, 1 => _d1, 2 => _d2, _ => throw new ArgumentOutOfRangeException(nameof(dim)) };
    }

    /// <summary>Whether the shape, after <c>unsqueeze(inserted)</c> if given, is exactly (d0, d1, d2).</summary>
    public bool Is(long d0, long d1, long d2, int inserted = -1)
        => Rank + (inserted >= 0 ? 1 : 0) == 3 && Size(0, inserted) == d0 && Size(1, inserted) == d1 && Size(2, inserted) == d2;

    /// <summary>The whole shape, after <c>unsqueeze(inserted)</c> if given, as PyTorch lists it in messages: <c>[1, 3, 6]</c>.</summary>
    public string ShapeList(int inserted = -1)
    {
        var shape = _tensor!.shape;
        if (inserted >= 0)
        {
            var unsqueezed = new long[shape.Length + 1];
            Array.Copy(shape, 0, unsqueezed, 0, inserted);
            unsqueezed[inserted] = 1;
            Array.Copy(shape, inserted, unsqueezed, inserted + 1, shape.Length - inserted);
            shape = unsqueezed;
        }
        return "[" + string.Join(", ", shape) + "]";
    }

    public bool OnSameDevice(in TensorInfo other) => DeviceType == other.DeviceType && DeviceIndex == other.DeviceIndex;
}
