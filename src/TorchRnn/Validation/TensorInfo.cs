using System;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// What the checks need to know of a tensor, read from the native side once per call: shape, dtype and device.
/// </summary>
internal readonly struct TensorInfo
{
    private TensorInfo(long[] shape, ScalarType dtype, DeviceType deviceType, int deviceIndex)
    {
        Shape = shape;
        DType = dtype;
        DeviceType = deviceType;
        DeviceIndex = deviceIndex;
    }

    public long[] Shape { get; }

    public ScalarType DType { get; }

    public DeviceType DeviceType { get; }

    public int DeviceIndex { get; }

    public int Rank => Shape.Length;

    /// <summary>PyTorch's <c>str(device)</c>: <c>cpu</c>, <c>cuda:0</c>.</summary>
    public string DeviceName => DeviceIndex >= 0 ? $"{DeviceType.ToString().ToLowerInvariant()}:{DeviceIndex}" : DeviceType.ToString().ToLowerInvariant();

    public static TensorInfo Of(Tensor tensor) => new(tensor.shape, tensor.dtype, tensor.device_type, tensor.device_index);

    public bool OnSameDevice(in TensorInfo other) => DeviceType == other.DeviceType && DeviceIndex == other.DeviceIndex;

    /// <summary>The shape <c>unsqueeze(dim)</c> would give, computed without a native call.</summary>
    public long[] ShapeUnsqueezed(int dim)
    {
        var shape = new long[Shape.Length + 1];
        Array.Copy(Shape, 0, shape, 0, dim);
        shape[dim] = 1;
        Array.Copy(Shape, dim, shape, dim + 1, Shape.Length - dim);
        return shape;
    }
}
