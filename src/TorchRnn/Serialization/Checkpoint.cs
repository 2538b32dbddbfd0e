using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TorchRnn.Printing;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace TorchRnn.Serialization;

/// <summary>
/// Weights in and out of PyTorch: loads a PyTorch <c>state_dict</c> file into any TorchSharp module (TorchRnn's
/// recurrent modules and TorchSharp's own layers alike) and saves one that PyTorch's <c>torch.load</c> and the
/// safetensors library read. The format follows the extension: <c>.pt</c>, <c>.pth</c> or <c>.bin</c> is
/// <c>torch.save(model.state_dict(), path)</c>'s zip format, <c>.safetensors</c> is safetensors.
/// </summary>
/// <remarks>
/// Keys are the module's <c>state_dict</c> keys, which for TorchRnn's modules are PyTorch's
/// (<c>rnn.weight_ih_l0</c>, <c>rnn.weight_hh_l0_reverse</c>, <c>rnn.weight_hr_l0</c>, <c>head.weight</c>), so a
/// checkpoint of a PyTorch model maps one to one onto the same model written with TorchRnn and TorchSharp.
/// Reading and writing the files is TorchSharp.PyBridge's; this class adds the all-or-nothing validation and the
/// choice of format.
/// </remarks>
/// <example>
/// <code>
/// var model = new SequenceModel(nn.GRU(4, 5, num_layers: 2, bidirectional: true), torch.nn.Linear(10, 3));
/// Checkpoint.load(model, "model.pt");          // written by torch.save(model.state_dict(), "model.pt")
/// Checkpoint.save(model, "model.safetensors"); // read in Python by safetensors.torch.load_file
/// </code>
/// </example>
public static class Checkpoint
{
    /// <summary>
    /// Loads a checkpoint into <paramref name="module"/>, all or nothing, as PyTorch's <c>load_state_dict</c> does:
    /// the whole file is read and checked against <c>module.state_dict()</c> first, and only when everything fits
    /// is each tensor copied in place (<c>copy_</c> under <c>no_grad</c>) into the module's own parameters and
    /// buffers, converted to their dtype and device. A float32 checkpoint therefore loads into a float64 module or
    /// one on CUDA, and the tensors TorchSharp's native recurrent kernels hold are the ones updated.
    /// </summary>
    /// <param name="module">The module to load into; its parameters keep their identity, dtype and device.</param>
    /// <param name="path">
    /// A <c>.pt</c>, <c>.pth</c> or <c>.bin</c> file written by <c>torch.save(model.state_dict(), path)</c>
    /// (PyTorch 1.6 or later, or <see cref="save"/>), or a <c>.safetensors</c> file.
    /// </param>
    /// <param name="strict">
    /// When true (the default), the checkpoint's keys must be exactly the module's. When false, keys the module
    /// lacks are ignored and the module's tensors the checkpoint lacks are left as they are. Shapes must match
    /// either way, as in PyTorch.
    /// </param>
    /// <returns>
    /// PyTorch's <c>(missing_keys, unexpected_keys)</c>: the module's keys the file lacked and the file's keys the
    /// module lacks; both empty after a strict load.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException">The extension is none of <c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.safetensors</c>.</exception>
    /// <exception cref="CheckpointMismatchException">
    /// Keys are missing or unexpected (when <paramref name="strict"/>), or shapes differ. The message names every
    /// one, for example <c>rnn.weight_ih_l0: checkpoint (20, 3) vs model (20, 4)</c>; the module is unchanged.
    /// </exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a state_dict in the format its extension names; the message says what it is instead when its
    /// first bytes tell (empty, PyTorch's legacy non-zip format, the other format, or neither, with those bytes), or
    /// what the reader found (a whole pickled model, a dict holding something other than tensors). The module is
    /// unchanged.
    /// </exception>
    /// <example>
    /// <code>
    /// var model = new SequenceModel(nn.LSTM(4, 6, proj_size: 3, batch_first: true), torch.nn.Linear(3, 2));
    /// Checkpoint.load(model, "lstm.safetensors");
    /// </code>
    /// </example>
    public static (IReadOnlyList<string> missing_keys, IReadOnlyList<string> unexpected_keys) load(
        torch.nn.Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(path);
        var format = FormatOf(path);
        using var scope = torch.NewDisposeScope();
        var file = Read(path, format);
        var target = module.state_dict();

        var missing = target.Keys.Where(k => !file.ContainsKey(k)).ToList();
        var unexpected = file.Keys.Where(k => !target.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var shapes = new List<string>();
        foreach (var (key, tensor) in target)
        {
            if (file.TryGetValue(key, out var value) && !value.shape.SequenceEqual(tensor.shape))
                shapes.Add($"{key}: checkpoint {TensorFormatter.PythonTuple(value.shape)} vs model {TensorFormatter.PythonTuple(tensor.shape)}");
        }
        if (shapes.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new CheckpointMismatchException(path, module.GetName(), missing, unexpected, shapes);

        // Convert everything before touching the module, so that a failed conversion leaves it as it was.
        var staged = target.Where(kv => file.ContainsKey(kv.Key))
            .Select(kv => (kv.Value, file[kv.Key].to(kv.Value.dtype, kv.Value.device)))
            .ToList();
        using (torch.no_grad())
        {
            foreach (var (destination, source) in staged) destination.copy_(source);
        }
        return (missing, unexpected);
    }

    /// <summary>
    /// Saves <c>module.state_dict()</c> (parameters and persistent buffers, in the module's order, on the CPU, in
    /// their own dtype) in the format the extension names, for PyTorch's <c>torch.load</c> followed by
    /// <c>load_state_dict</c>, for the safetensors library, or for <see cref="load"/>. An existing file is replaced.
    /// </summary>
    /// <param name="module">The module whose <c>state_dict</c> is saved; it is not changed.</param>
    /// <param name="path">
    /// A <c>.pt</c>, <c>.pth</c> or <c>.bin</c> file (<c>torch.save</c>'s zip format) or a <c>.safetensors</c> file.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException">The extension is none of <c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.safetensors</c>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <example>
    /// <code>
    /// Checkpoint.save(model, "model.pt");
    /// // Python: model.load_state_dict(torch.load("model.pt"))
    /// </code>
    /// </example>
    public static void save(torch.nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(path);
        var format = FormatOf(path);
        using var scope = torch.NewDisposeScope();
        var state = new Dictionary<string, Tensor>();
        foreach (var (key, tensor) in module.state_dict())
        {
            var values = tensor.detach().cpu().contiguous();
            // Values that start inside a larger storage (a slice, or a parameter set_ onto one) are copied out: the zip
            // format's writer records the offset but writes only the values, a file nothing can read.
            state[key] = values.storage_offset() == 0 ? values : values.clone();
        }
        // File.Create truncates: a shorter checkpoint never keeps the tail of a longer one.
        using var stream = File.Create(path);
        if (format == Format.Safetensors) Safetensors.SaveStateDict(stream, state, leaveOpen: true);
        else PyTorchPickler.PickleStateDict(stream, state, leaveOpen: true);
    }

    private enum Format
    {
        PyTorch,
        Safetensors,
    }

    private static Format FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".pt" or ".pth" or ".bin" => Format.PyTorch,
        ".safetensors" => Format.Safetensors,
        var other => throw new ArgumentException(
            $"Cannot tell the format of {path} from its extension '{other}': use .pt, .pth or .bin (torch.save) or .safetensors.",
            nameof(path)),
    };

    /// <summary>Reads the whole file into CPU tensors, inside the caller's dispose scope.</summary>
    private static Dictionary<string, Tensor> Read(string path, Format format)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint at {path}.", path);
        if (WhatItIsInstead(path, format) is { } problem)
            throw new InvalidDataException($"The checkpoint {path} {problem}");
        IDictionary table;
        try
        {
            table = format == Format.Safetensors ? Safetensors.LoadStateDict(path) : PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e) when (e is not (FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException))
        {
            // PyBridge reports a whole pickled model, the legacy format or a damaged file with assorted exceptions.
            throw new InvalidDataException(
                $"The checkpoint {path} could not be read as {(format == Format.Safetensors ? "safetensors" : "torch.save(model.state_dict())'s zip format")}: {e.Message}", e);
        }
        var state = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Value is not Tensor tensor)
                throw new InvalidDataException(
                    $"The checkpoint {path} holds a {entry.Value?.GetType().Name ?? "None"} under '{entry.Key}', not a tensor: save model.state_dict() itself.");
            state[(string)entry.Key] = tensor;
        }
        return state;
    }

    // The first bytes of what torch.save writes before PyTorch 1.6 (and with _use_new_zipfile_serialization=False):
    // pickle protocol 2, then the magic number 0x1950a86a20f9469cfc6c as a 10-byte long.
    private static readonly byte[] LegacyMagic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    /// <summary>
    /// What the file is, from its first bytes, when it cannot be the format its extension names; null when it can
    /// (the reader then has the last word).
    /// </summary>
    private static string? WhatItIsInstead(string path, Format format)
    {
        var head = new byte[16];
        long length;
        using (var stream = File.OpenRead(path))
        {
            length = stream.Length;
            stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        var isZip = length >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4;
        // safetensors: an 8-byte little-endian header length, then the JSON header itself.
        var isSafetensors = length > 8 && head[8] == (byte)'{' && BitConverter.ToUInt64(head, 0) <= (ulong)(length - 8);
        var isLegacy = length >= LegacyMagic.Length && head.AsSpan(0, LegacyMagic.Length).SequenceEqual(LegacyMagic);
        if (length == 0) return "is empty (0 bytes).";
        if (format == Format.PyTorch)
        {
            if (isZip) return null;
            if (isLegacy)
                return "is in PyTorch's legacy format (before 1.6, or _use_new_zipfile_serialization=False), which TorchRnn " +
                    "does not read: load it in PyTorch and save it again with torch.save(model.state_dict(), path).";
            if (isSafetensors) return "is a safetensors file, not torch.save's zip archive: name it .safetensors.";
            return $"is not a torch.save file (a zip archive, starting with 'PK'): it starts with {Bytes(head, length)}.";
        }
        if (isSafetensors) return null;
        if (isZip || isLegacy) return "is a torch.save file, not safetensors: name it .pt.";
        return $"is not a safetensors file (an 8-byte header length, then a JSON header starting with '{{'): it starts with {Bytes(head, length)}.";
    }

    private static string Bytes(byte[] head, long length) =>
        string.Join(" ", head.Take((int)Math.Min(head.Length, length)).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
