using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using NUnit.Framework;
using TorchSharp;

namespace TorchRnn.Tests.Build;

/// <summary>
/// TorchRnnLinuxLoaderFix (src/TorchRnn/buildTransitive) on a synthetic ELF image, on a copy of the real
/// libLibTorchSharp.so, and end to end: the patched copy next to this assembly loads and computes.
/// </summary>
[TestFixture]
public sealed class LinuxLoaderFixTests
{
    private const string Glibcxx3432 = "GLIBCXX_3.4.32";
    private const ushort VerFlgWeak = 0x2;

    private static readonly string[] LibStdCxxVersions = { "GLIBCXX_3.4.19", Glibcxx3432, "CXXABI_1.3.1" };
    private static readonly string[] LibCVersions = { "GLIBC_2.2.5", "GLIBC_2.34" };

    private string _tempDir = "";

    [SetUp]
    public void SetUp()
    {
        _tempDir = Path.Combine(Path.GetTempPath(), "torchrnn-loaderfix-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_tempDir);
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_tempDir)) Directory.Delete(_tempDir, recursive: true);
    }

    // ---- MarkVersionsWeak on a synthetic image -------------------------------------------------------------

    [Test]
    public void MarkVersionsWeak_NeededVersion_SetsWeakFlag()
    {
        var elf = SyntheticElf.Build();
        var changed = TorchRnnLinuxLoaderFix.MarkVersionsWeak(elf.Image, Set(Glibcxx3432));

        Assert.That(changed, Is.EqualTo(new[] { Glibcxx3432 }));
        Assert.That(ElfReader.NeededVersionFlags(elf.Image)[Glibcxx3432] & VerFlgWeak, Is.EqualTo(VerFlgWeak));
    }

    [Test]
    public void MarkVersionsWeak_NeededVersion_ChangesOnlyThatFlagByte()
    {
        var elf = SyntheticElf.Build();
        var before = (byte[])elf.Image.Clone();

        TorchRnnLinuxLoaderFix.MarkVersionsWeak(elf.Image, Set(Glibcxx3432));

        var offset = elf.FlagOffsets[Glibcxx3432];
        Assert.That(DifferingOffsets(before, elf.Image), Is.EqualTo(new[] { offset }));
        Assert.That(elf.Image[offset], Is.EqualTo(before[offset] | VerFlgWeak));
    }

    [Test]
    public void MarkVersionsWeak_NeededVersion_LeavesOtherVersionsStrong()
    {
        var elf = SyntheticElf.Build();
        TorchRnnLinuxLoaderFix.MarkVersionsWeak(elf.Image, Set(Glibcxx3432));

        var flags = ElfReader.NeededVersionFlags(elf.Image);
        foreach (var name in LibStdCxxVersions.Concat(LibCVersions).Where(n => n != Glibcxx3432))
            Assert.That(flags[name], Is.Zero, name);
    }

    [Test]
    public void MarkVersionsWeak_VersionsInBothNeeds_SetsEach()
    {
        var elf = SyntheticElf.Build();
        var before = (byte[])elf.Image.Clone();

        var changed = TorchRnnLinuxLoaderFix.MarkVersionsWeak(elf.Image, Set(Glibcxx3432, "GLIBC_2.34"));

        Assert.That(changed, Is.EquivalentTo(new[] { Glibcxx3432, "GLIBC_2.34" }));
        Assert.That(DifferingOffsets(before, elf.Image),
            Is.EquivalentTo(new[] { elf.FlagOffsets[Glibcxx3432], elf.FlagOffsets["GLIBC_2.34"] }));
    }

    [Test]
    public void MarkVersionsWeak_OtherFlagBits_ArePreserved()
    {
        var elf = SyntheticElf.Build(hiddenFlags: 0x0100);
        TorchRnnLinuxLoaderFix.MarkVersionsWeak(elf.Image, Set(Glibcxx3432));

        Assert.That(ElfReader.NeededVersionFlags(elf.Image)[Glibcxx3432], Is.EqualTo(0x0100 | VerFlgWeak));
    }

    [Test]
    public void MarkVersionsWeak_SecondCall_ReturnsEmptyAndChangesNothing()
    {
        var elf = SyntheticElf.Build();
        TorchRnnLinuxLoaderFix.MarkVersionsWeak(elf.Image, Set(Glibcxx3432));
        var afterFirst = (byte[])elf.Image.Clone();

        var changed = TorchRnnLinuxLoaderFix.MarkVersionsWeak(elf.Image, Set(Glibcxx3432));

        Assert.That(changed, Is.Empty);
        Assert.That(elf.Image, Is.EqualTo(afterFirst));
    }

    [Test]
    public void MarkVersionsWeak_VersionNotNeeded_ReturnsEmptyAndChangesNothing()
    {
        var elf = SyntheticElf.Build();
        var before = (byte[])elf.Image.Clone();

        // A prefix of a needed name and a name that is not needed at all.
        var changed = TorchRnnLinuxLoaderFix.MarkVersionsWeak(elf.Image, Set("GLIBCXX_3.4.3", "GLIBCXX_3.4.33"));

        Assert.That(changed, Is.Empty);
        Assert.That(elf.Image, Is.EqualTo(before));
    }

    [TestCase(4, (byte)1, TestName = "MarkVersionsWeak_Elf32Class_ReturnsEmptyAndChangesNothing")]
    [TestCase(5, (byte)2, TestName = "MarkVersionsWeak_BigEndian_ReturnsEmptyAndChangesNothing")]
    [TestCase(0, (byte)0x7e, TestName = "MarkVersionsWeak_BadMagic_ReturnsEmptyAndChangesNothing")]
    public void MarkVersionsWeak_UnsupportedIdent_ReturnsEmptyAndChangesNothing(int identIndex, byte value)
    {
        var elf = SyntheticElf.Build();
        elf.Image[identIndex] = value;
        var before = (byte[])elf.Image.Clone();

        var changed = TorchRnnLinuxLoaderFix.MarkVersionsWeak(elf.Image, Set(Glibcxx3432));

        Assert.That(changed, Is.Empty);
        Assert.That(elf.Image, Is.EqualTo(before));
    }

    [TestCase(0)]
    [TestCase(4)]
    [TestCase(63)]
    [TestCase(4096)]
    public void MarkVersionsWeak_NonElfBytes_ReturnsEmptyAndChangesNothing(int length)
    {
        var bytes = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("not an ELF file " + Glibcxx3432, 300)))
            .Take(length).ToArray();
        var before = (byte[])bytes.Clone();

        var changed = TorchRnnLinuxLoaderFix.MarkVersionsWeak(bytes, Set(Glibcxx3432));

        Assert.That(changed, Is.Empty);
        Assert.That(bytes, Is.EqualTo(before));
    }

    [TestCase(200)]
    [TestCase(400)]
    [TestCase(-1)]
    public void MarkVersionsWeak_TruncatedImage_ReturnsEmptyWithoutThrowing(int keep)
    {
        var elf = SyntheticElf.Build();
        // Truncated before its section headers, or with the section header offset pointing past the end.
        var image = keep >= 0 ? elf.Image.Take(keep).ToArray() : (byte[])elf.Image.Clone();
        if (keep < 0) BitConverter.GetBytes((ulong)image.Length * 2).CopyTo(image, 0x28);

        Assert.That(TorchRnnLinuxLoaderFix.MarkVersionsWeak(image, Set(Glibcxx3432)), Is.Empty);
    }

    // ---- PatchFile on a copy of the real library ----------------------------------------------------------

    [Test]
    [Platform("Linux")]
    public void PatchFile_CopyOfRealLibrary_MarksGlibcxx3432WeakOnce()
    {
        var copy = CopyOfCachedLibrary("libLibTorchSharp.so");
        var original = File.ReadAllBytes(copy);

        var first = TorchRnnLinuxLoaderFix.PatchFile(copy, Set(Glibcxx3432));
        var patched = File.ReadAllBytes(copy);
        var second = TorchRnnLinuxLoaderFix.PatchFile(copy, Set(Glibcxx3432));

        Assert.That(first, Is.EqualTo(new[] { Glibcxx3432 }));
        Assert.That(second, Is.Empty);
        Assert.That(File.ReadAllBytes(copy), Is.EqualTo(patched), "second call rewrote the file");
        var diff = DifferingOffsets(original, patched);
        Assert.That(diff, Has.Length.EqualTo(1));
        Assert.That(patched[diff[0]], Is.EqualTo(original[diff[0]] | VerFlgWeak));
        Assert.That(ElfReader.NeededVersionFlags(patched)[Glibcxx3432] & VerFlgWeak, Is.EqualTo(VerFlgWeak));
    }

    [Test]
    [Platform("Linux")]
    public void PatchFile_CopyOfRealLibrary_KeepsLastWriteTime()
    {
        var copy = CopyOfCachedLibrary("libLibTorchSharp.so");
        var stamp = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(copy, stamp);

        TorchRnnLinuxLoaderFix.PatchFile(copy, Set(Glibcxx3432));

        Assert.That(File.GetLastWriteTimeUtc(copy), Is.EqualTo(stamp));
    }

    [Test]
    [Platform("Linux")]
    public void PatchFile_CopyOfRealLibrary_LeavesNuGetCacheUnchanged()
    {
        var cached = CachedLibraryPath();
        var hashBefore = SHA256.HashData(File.ReadAllBytes(cached));
        var stampBefore = File.GetLastWriteTimeUtc(cached);
        var copy = CopyOfCachedLibrary("libLibTorchSharp.so");

        TorchRnnLinuxLoaderFix.PatchFile(copy, Set(Glibcxx3432));
        TorchRnnLinuxLoaderFix.PatchFile(copy, Set(Glibcxx3432));

        Assert.That(SHA256.HashData(File.ReadAllBytes(cached)), Is.EqualTo(hashBefore));
        Assert.That(File.GetLastWriteTimeUtc(cached), Is.EqualTo(stampBefore));
        Assert.That(ElfReader.NeededVersionFlags(File.ReadAllBytes(cached))[Glibcxx3432], Is.Zero,
            "the cached library should still need GLIBCXX_3.4.32 strongly");
    }

    [Test]
    [Platform("Linux")]
    public void PatchFile_HardLinkedOutput_DoesNotWriteThroughToOtherName()
    {
        // MSBuild may hard-link output files to the package cache; stand in for the cache with a private copy.
        var source = CopyOfCachedLibrary("cache-copy.so");
        var hashBefore = SHA256.HashData(File.ReadAllBytes(source));
        var output = Path.Combine(_tempDir, "libLibTorchSharp.so");
        HardLink(source, output);
        Assume.That(SHA256.HashData(File.ReadAllBytes(output)), Is.EqualTo(hashBefore));

        var changed = TorchRnnLinuxLoaderFix.PatchFile(output, Set(Glibcxx3432));

        Assert.That(changed, Is.EqualTo(new[] { Glibcxx3432 }));
        Assert.That(SHA256.HashData(File.ReadAllBytes(source)), Is.EqualTo(hashBefore), "written through the link");
        Assert.That(ElfReader.NeededVersionFlags(File.ReadAllBytes(output))[Glibcxx3432] & VerFlgWeak,
            Is.EqualTo(VerFlgWeak));
    }

    // ---- End to end: the library next to this assembly ---------------------------------------------------

    [Test]
    public void NativeLibrary_Loads_AndSumsOnes()
    {
        using var ones = torch.ones(2, 3);
        using var sum = ones.sum();

        Assert.That(sum.item<float>(), Is.EqualTo(6f));
    }

    [Test]
    public void NativeLibrary_Linear_MatchesHandComputedValues()
    {
        using var x = torch.tensor(new float[] { 1, 2, 3 }).reshape(1, 3);
        using var w = torch.tensor(new float[] { 1, 0, -1, 2, 1, 0 }).reshape(2, 3);
        using var b = torch.tensor(new float[] { 0.5f, -1f });

        using var y = torch.nn.functional.linear(x, w, b);

        // [1 - 3 + 0.5, 2 + 2 - 1]
        Assert.That(y.shape, Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(y.data<float>().ToArray(), Is.EqualTo(new[] { -1.5f, 3f }));
    }

    [Test]
    [Platform("Linux")]
    public void OutputCopy_NextToTestAssembly_NeedsGlibcxx3432Weakly()
    {
        var output = Path.Combine(TestContext.CurrentContext.TestDirectory,
            "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assume.That(RuntimeInformation.OSArchitecture, Is.EqualTo(Architecture.X64));
        Assert.That(output, Does.Exist);

        var flags = ElfReader.NeededVersionFlags(File.ReadAllBytes(output));

        Assert.That(flags, Does.ContainKey(Glibcxx3432));
        Assert.That(flags[Glibcxx3432] & VerFlgWeak, Is.EqualTo(VerFlgWeak));
    }

    // ---- Helpers ------------------------------------------------------------------------------------------

    private static HashSet<string> Set(params string[] names) => new(names);

    private static int[] DifferingOffsets(byte[] a, byte[] b)
    {
        Assert.That(b, Has.Length.EqualTo(a.Length));
        return Enumerable.Range(0, a.Length).Where(i => a[i] != b[i]).ToArray();
    }

    /// <summary>TorchSharp's unpatched library in the NuGet package cache (NUGET_PACKAGES or ~/.nuget/packages).</summary>
    private static string CachedLibraryPath()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(root))
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var version = typeof(torch).Assembly.GetName().Version!;
        var path = Path.Combine(root, "torchsharp", $"{version.Major}.{version.Minor}.{version.Build}",
            "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assume.That(path, Does.Exist, "TorchSharp's native library is not in the NuGet package cache");
        return path;
    }

    private string CopyOfCachedLibrary(string name)
    {
        var copy = Path.Combine(_tempDir, name);
        File.Copy(CachedLibraryPath(), copy);
        return copy;
    }

    private static void HardLink(string existing, string newName)
    {
        if (link(existing, newName) != 0)
            Assert.Fail($"link({existing}, {newName}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int link(string oldpath, string newpath);

    /// <summary>
    /// A minimal little-endian ELF64 image: a .dynstr, a .gnu.version_r needing libstdc++.so.6 (three versions)
    /// and libc.so.6 (two versions), some code bytes, and a .shstrtab.
    /// </summary>
    private sealed record SyntheticElf(byte[] Image, IReadOnlyDictionary<string, int> FlagOffsets)
    {
        private const int EhSize = 64;
        private const int ShEntSize = 64;
        private const int EntrySize = 16; // Elf64_Verneed and Elf64_Vernaux alike

        public static SyntheticElf Build(ushort hiddenFlags = 0)
        {
            var needs = new (string File, string[] Versions)[]
            {
                ("libstdc++.so.6", LibStdCxxVersions),
                ("libc.so.6", LibCVersions),
            };

            var dynstr = new StringTable();
            foreach (var (file, versions) in needs)
            {
                dynstr.Add(file);
                foreach (var v in versions) dynstr.Add(v);
            }

            var image = new List<byte>(new byte[EhSize]);
            var dynstrOffset = Append(image, dynstr.Bytes);

            Align(image, 8);
            var verneedOffset = image.Count;
            var flagOffsets = new Dictionary<string, int>();
            for (var n = 0; n < needs.Length; n++)
            {
                var (file, versions) = needs[n];
                var last = n == needs.Length - 1;
                var need = new byte[EntrySize];
                Put16(need, 0, 1);                                         // vn_version
                Put16(need, 2, (ushort)versions.Length);                   // vn_cnt
                Put32(need, 4, dynstr[file]);                              // vn_file
                Put32(need, 8, EntrySize);                                 // vn_aux
                Put32(need, 12, last ? 0u : (uint)(EntrySize * (1 + versions.Length))); // vn_next
                Append(image, need);
                for (var a = 0; a < versions.Length; a++)
                {
                    var aux = new byte[EntrySize];
                    Put32(aux, 0, ElfReader.Hash(versions[a]));            // vna_hash
                    Put16(aux, 4, versions[a] == Glibcxx3432 ? hiddenFlags : (ushort)0); // vna_flags
                    Put16(aux, 6, (ushort)(100 + flagOffsets.Count));      // vna_other
                    Put32(aux, 8, dynstr[versions[a]]);                    // vna_name
                    Put32(aux, 12, a == versions.Length - 1 ? 0u : EntrySize); // vna_next
                    flagOffsets[versions[a]] = Append(image, aux) + 4;
                }
            }
            var verneedSize = image.Count - verneedOffset;

            // Code-like filler, so that "other bytes unchanged" covers more than zeros.
            Align(image, 16);
            var textOffset = Append(image, Enumerable.Range(0, 64).Select(i => (byte)(0x90 ^ i)).ToArray());

            var shstrtab = new StringTable();
            shstrtab.Add(".dynstr");
            shstrtab.Add(".gnu.version_r");
            shstrtab.Add(".text");
            shstrtab.Add(".shstrtab");
            var shstrtabOffset = Append(image, shstrtab.Bytes);

            Align(image, 8);
            var shoff = image.Count;
            Append(image, new byte[ShEntSize]); // SHN_UNDEF
            Append(image, SectionHeader(shstrtab[".dynstr"], 3, dynstrOffset, dynstr.Bytes.Length, 0, 0));
            Append(image, SectionHeader(shstrtab[".gnu.version_r"], 0x6ffffffe, verneedOffset, verneedSize,
                link: 1, info: (uint)needs.Length));
            Append(image, SectionHeader(shstrtab[".text"], 1, textOffset, 64, 0, 0));
            Append(image, SectionHeader(shstrtab[".shstrtab"], 3, shstrtabOffset, shstrtab.Bytes.Length, 0, 0));

            var bytes = image.ToArray();
            new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1 }.CopyTo(bytes, 0); // ELF64, LE, EV_CURRENT
            Put16(bytes, 0x10, 3);                 // e_type ET_DYN
            Put16(bytes, 0x12, 62);                // e_machine EM_X86_64
            Put32(bytes, 0x14, 1);                 // e_version
            Put64(bytes, 0x28, (ulong)shoff);      // e_shoff
            Put16(bytes, 0x34, EhSize);            // e_ehsize
            Put16(bytes, 0x3A, ShEntSize);         // e_shentsize
            Put16(bytes, 0x3C, 5);                 // e_shnum
            Put16(bytes, 0x3E, 4);                 // e_shstrndx
            return new SyntheticElf(bytes, flagOffsets);
        }

        private static byte[] SectionHeader(uint name, uint type, int offset, int size, uint link, uint info)
        {
            var sh = new byte[ShEntSize];
            Put32(sh, 0x00, name);
            Put32(sh, 0x04, type);
            Put64(sh, 0x18, (ulong)offset);
            Put64(sh, 0x20, (ulong)size);
            Put32(sh, 0x28, link);
            Put32(sh, 0x2C, info);
            Put64(sh, 0x30, 8);
            return sh;
        }

        private static int Append(List<byte> image, byte[] bytes)
        {
            var at = image.Count;
            image.AddRange(bytes);
            return at;
        }

        private static void Align(List<byte> image, int alignment)
        {
            while (image.Count % alignment != 0) image.Add(0);
        }

        private static void Put16(byte[] b, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), v);

        private static void Put32(byte[] b, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);

        private static void Put64(byte[] b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), v);

        private sealed class StringTable
        {
            private readonly List<byte> _bytes = new() { 0 };
            private readonly Dictionary<string, uint> _offsets = new();

            public byte[] Bytes => _bytes.ToArray();

            public uint this[string s] => _offsets[s];

            public void Add(string s)
            {
                _offsets[s] = (uint)_bytes.Count;
                _bytes.AddRange(Encoding.ASCII.GetBytes(s));
                _bytes.Add(0);
            }
        }
    }

    /// <summary>
    /// An independent reader of needed symbol versions, used as the oracle: it finds .gnu.version_r through
    /// its section header and checks each Elf64_Vernaux's hash against its name.
    /// </summary>
    private static class ElfReader
    {
        public static Dictionary<string, ushort> NeededVersionFlags(byte[] elf)
        {
            var span = elf.AsSpan();
            var shoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
            int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
            int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
            var headers = Enumerable.Range(0, shnum).Select(i => shoff + i * shentsize).ToArray();
            var verneed = headers.Single(h => BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(h + 4)) == 0x6ffffffe);
            var strtab = headers[BinaryPrimitives.ReadUInt32LittleEndian(span[(verneed + 0x28)..])];
            var strings = span[(int)BinaryPrimitives.ReadUInt64LittleEndian(span[(strtab + 0x18)..])..];

            var result = new Dictionary<string, ushort>();
            var need = elf.AsSpan((int)BinaryPrimitives.ReadUInt64LittleEndian(span[(verneed + 0x18)..]));
            for (var n = BinaryPrimitives.ReadUInt32LittleEndian(span[(verneed + 0x2C)..]); n > 0; n--)
            {
                var aux = need[(int)BinaryPrimitives.ReadUInt32LittleEndian(need[8..])..];
                for (int a = BinaryPrimitives.ReadUInt16LittleEndian(need[2..]); a > 0; a--)
                {
                    var nameAt = strings[(int)BinaryPrimitives.ReadUInt32LittleEndian(aux[8..])..];
                    var name = Encoding.ASCII.GetString(nameAt[..nameAt.IndexOf((byte)0)]);
                    Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(aux), Is.EqualTo(Hash(name)), name);
                    // A name may recur under another file (GLIBC_2.2.5 from libc and libm): the last one wins.
                    result[name] = BinaryPrimitives.ReadUInt16LittleEndian(aux[4..]);
                    aux = aux[(int)BinaryPrimitives.ReadUInt32LittleEndian(aux[12..])..];
                }
                need = need[(int)BinaryPrimitives.ReadUInt32LittleEndian(need[12..])..];
            }
            return result;
        }

        /// <summary>The System V ABI's ELF hash, which vna_hash holds.</summary>
        public static uint Hash(string name)
        {
            uint h = 0;
            foreach (var c in Encoding.ASCII.GetBytes(name))
            {
                h = (h << 4) + c;
                var g = h & 0xf0000000;
                if (g != 0) h ^= g >> 24;
                h &= ~g;
            }
            return h;
        }
    }
}
