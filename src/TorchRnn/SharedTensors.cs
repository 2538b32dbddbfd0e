using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// PyTorch's rules for a tensor registered under several names, for <c>nn.Module&lt;...&gt;</c> (generated beside
/// <c>nn</c>): one tensor is one parameter, whatever handle TorchSharp gave each name.
/// </summary>
internal static class SharedTensors
{
    /// <summary>
    /// The tensor behind a TorchSharp handle. A handle points to an <c>at::Tensor</c>, whose one field is the
    /// pointer to its <c>TensorImpl</c>: two handles to one tensor (TorchSharp makes a new handle each time a native
    /// module's weight is read) share it, as two Python references share one object.
    /// </summary>
    internal static IntPtr Identity(Tensor tensor) => Marshal.ReadIntPtr(tensor.Handle);

    /// <summary>
    /// PyTorch's <c>named_parameters(recurse=True, remove_duplicate)</c>: each module's own parameters, then its
    /// children's, depth first in registration order; with <paramref name="removeDuplicate"/> a tensor already listed
    /// is skipped, so the first name wins.
    /// </summary>
    internal static IEnumerable<(string name, Parameter parameter)> NamedParameters(torch.nn.Module module, bool removeDuplicate)
    {
        var seen = removeDuplicate ? new HashSet<IntPtr>() : null;
        foreach (var (name, parameter) in Preorder(module, ""))
        {
            if (seen is null || seen.Add(Identity(parameter)))
            {
                yield return (name, parameter);
            }
        }
    }

    /// <summary>
    /// PyTorch's <c>state_dict</c>: the module's own parameters and persistent buffers under every name (a tied
    /// tensor appears under each), then each child's, keys joined with dots.
    /// </summary>
    internal static Dictionary<string, Tensor> StateDict(torch.nn.Module module, Dictionary<string, Tensor>? destination, string? prefix)
    {
        destination ??= new Dictionary<string, Tensor>();
        string Key(string name) => string.IsNullOrEmpty(prefix) ? name : prefix + "." + name;
        foreach (var (name, parameter) in module.named_parameters(recurse: false))
        {
            destination.TryAdd(Key(name), parameter);
        }
        foreach (var (name, buffer) in module.named_buffers(recurse: false, include_nonpersistent: false))
        {
            destination.TryAdd(Key(name), buffer);
        }
        foreach (var (name, child) in module.named_children())
        {
            child.state_dict(destination, Key(name));
        }
        return destination;
    }

    private static IEnumerable<(string name, Parameter parameter)> Preorder(torch.nn.Module module, string prefix)
    {
        foreach (var (name, parameter) in module.named_parameters(recurse: false))
        {
            yield return (prefix + name, parameter);
        }
        foreach (var (childName, child) in module.named_children())
        {
            foreach (var item in Preorder(child, prefix + childName + "."))
            {
                yield return item;
            }
        }
    }
}
