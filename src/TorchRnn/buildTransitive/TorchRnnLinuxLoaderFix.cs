// Compiled by MSBuild's RoslynCodeTaskFactory from TorchRnn.targets, and by the tests, so it has no other dependencies.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Lets TorchSharp's <c>libLibTorchSharp.so</c> load on GCC 12 runtimes (Debian 12, Ubuntu 22.04).
/// </summary>
/// <remarks>
/// TorchSharp 0.107's native library asks libstdc++ for the symbol version <c>GLIBCXX_3.4.32</c> for one symbol,
/// <c>std::ios_base_library_init()</c>, a link marker from GCC 13's &lt;iostream&gt; that is never called. Older
/// runtimes lack that version, so glibc refuses the whole library. Marking the version need as weak
/// (<c>VER_FLG_WEAK</c> in its <c>Elf64_Vernaux</c>) makes glibc accept a missing version; where the version exists
/// nothing changes. Only the copy in the build or publish output is rewritten (via a temporary file, so a hard link
/// into the NuGet cache is never written through), and only when it still needs the change.
/// </remarks>
public sealed class TorchRnnLinuxLoaderFix : Task
{
    /// <summary>Candidate native libraries; missing files and non-ELF files are skipped.</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Symbol versions to mark weak, separated by semicolons.</summary>
    public string Versions { get; set; } = "GLIBCXX_3.4.32";

    /// <inheritdoc />
    public override bool Execute()
    {
        var versions = new HashSet<string>(Versions.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries));
        foreach (var item in Files)
        {
            var path = item.GetMetadata("FullPath");
            if (!File.Exists(path)) continue;
            var changed = PatchFile(path, versions);
            if (changed.Count > 0)
                Log.LogMessage(MessageImportance.Normal, "TorchRnn: marked {0} weak in {1}", string.Join(", ", changed), path);
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>Rewrites <paramref name="path"/> if any of <paramref name="versions"/> is needed non-weakly.</summary>
    /// <returns>The version names that were changed; empty when the file was left alone.</returns>
    public static IReadOnlyList<string> PatchFile(string path, ISet<string> versions)
    {
        var bytes = File.ReadAllBytes(path);
        var changed = MarkVersionsWeak(bytes, versions);
        if (changed.Count == 0) return changed;

        var stamp = File.GetLastWriteTimeUtc(path);
        var temp = path + ".torchrnn-tmp";
        File.WriteAllBytes(temp, bytes);
        File.Replace(temp, path, destinationBackupFileName: null); // a rename: never writes through a hard link
        // Keeping the source's time stamp lets MSBuild's incremental copy treat the output as up to date.
        File.SetLastWriteTimeUtc(path, stamp);
        return changed;
    }

    /// <summary>Sets <c>VER_FLG_WEAK</c> on each needed version named in <paramref name="versions"/>, in memory.</summary>
    /// <returns>
    /// The names changed; empty for a non-ELF64 little-endian image, a truncated or malformed one (whose bytes are then
    /// not to be written back), or when nothing needed changing.
    /// </returns>
    public static IReadOnlyList<string> MarkVersionsWeak(byte[] elf, ISet<string> versions)
    {
        try
        {
            return MarkVersionsWeakUnchecked(elf, versions);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            // An offset points past the end: not a library this fix understands, so it is left alone.
            return Array.Empty<string>();
        }
    }

    private static IReadOnlyList<string> MarkVersionsWeakUnchecked(byte[] elf, ISet<string> versions)
    {
        const uint ShtGnuVerneed = 0x6ffffffe;
        const ushort VerFlgWeak = 0x2;
        var changed = new List<string>();
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            return changed;
        if (elf[4] != 2 || elf[5] != 1) return changed; // ELFCLASS64, little-endian only

        var shoff = checked((int)U64(elf, 0x28));
        var shentsize = U16(elf, 0x3A);
        var shnum = U16(elf, 0x3C);
        for (var i = 0; i < shnum; i++)
        {
            var sh = shoff + i * shentsize;
            if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
            var offset = checked((int)U64(elf, sh + 0x18));
            var link = U32(elf, sh + 0x28);
            var count = U32(elf, sh + 0x2C);
            var strtab = checked((int)U64(elf, shoff + (int)link * shentsize + 0x18));

            var need = offset;
            for (var n = 0; n < count; n++)
            {
                var auxCount = U16(elf, need + 2);
                var aux = need + (int)U32(elf, need + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    var name = CString(elf, strtab + (int)U32(elf, aux + 8));
                    var flags = U16(elf, aux + 4);
                    if (versions.Contains(name) && (flags & VerFlgWeak) == 0)
                    {
                        var updated = (ushort)(flags | VerFlgWeak);
                        elf[aux + 4] = (byte)updated;
                        elf[aux + 5] = (byte)(updated >> 8);
                        changed.Add(name);
                    }
                    aux += (int)U32(elf, aux + 12);
                }
                need += (int)U32(elf, need + 12);
            }
        }
        return changed;
    }

    private static ushort U16(byte[] b, int at) => (ushort)(b[at] | b[at + 1] << 8);

    private static uint U32(byte[] b, int at) => (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24);

    private static ulong U64(byte[] b, int at) => U32(b, at) | (ulong)U32(b, at + 4) << 32;

    private static string CString(byte[] b, int at)
    {
        var end = Array.IndexOf(b, (byte)0, at);
        return Encoding.ASCII.GetString(b, at, (end < 0 ? b.Length : end) - at);
    }
}
