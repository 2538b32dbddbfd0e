using System;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace TorchRnn.Tests.Support;

/// <summary>
/// Whether this machine's LibTorch draws Bernoulli masks (<c>bernoulli_(p)</c>, hence <c>F.dropout</c>) the way the
/// fixtures' PyTorch drew them. ATen's CPU <c>bernoulli_scalar_kernel</c>, in a LibTorch built with MKL (TorchSharp's
/// is), takes MKL's VSL generator (seeded from the CPU generator) when cpuinfo reports an Intel CPU, and the element
/// by element default path elsewhere; the fixtures were drawn by Debian's PyTorch 1.13 (no MKL) on an AMD CPU, that
/// is the default path. So on an Intel CPU the same seed gives other masks: a test that compares masked numbers with a
/// fixture asserts them only where <see cref="MatchesFixtures"/>, and asserts what holds for any mask elsewhere.
/// <para>
/// The environment variable <c>TORCHRNN_TEST_DRAWPATH</c> overrides the CPU's answer: <c>other</c> makes
/// <see cref="MatchesFixtures"/> false, so a machine on the default path runs the other path's assertions (they hold
/// for any mask, the fixtures' included); <c>fixtures</c> makes it true. Run the tests both ways after touching a
/// mask-dependent test.
/// </para>
/// </summary>
internal static class DrawPath
{
    /// <summary>True unless the CPU is Intel's (where LibTorch's MKL draws other masks than the fixtures').</summary>
    public static bool MatchesFixtures { get; } = Environment.GetEnvironmentVariable("TORCHRNN_TEST_DRAWPATH") switch
    {
        null or "" => !IsIntel(),
        "other" => false,
        "fixtures" => true,
        // A typo must not quietly test the CPU's path.
        var other => throw new InvalidOperationException($"TORCHRNN_TEST_DRAWPATH is \"{other}\": use \"other\" or \"fixtures\"."),
    };

    /// <summary>The CPU vendor, for messages: "GenuineIntel", "AuthenticAMD", or "unknown".</summary>
    public static string Vendor { get; } = ReadVendor();

    /// <summary>The reason a mask-dependent comparison is left out, for <c>Assert.Ignore</c>-free logging.</summary>
    public static string Why => Environment.GetEnvironmentVariable("TORCHRNN_TEST_DRAWPATH") is { Length: > 0 } forced
        ? $"TORCHRNN_TEST_DRAWPATH={forced} (CPU vendor {Vendor})"
        : $"CPU vendor {Vendor}: LibTorch's MKL draws Bernoulli masks other than the fixtures' (default path)";

    private static bool IsIntel() => Vendor == "GenuineIntel";

    private static string ReadVendor()
    {
        if (!X86Base.IsSupported) return "unknown";
        // CPUID leaf 0: the vendor string in EBX, EDX, ECX.
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        var bytes = new byte[12];
        BitConverter.GetBytes(ebx).CopyTo(bytes, 0);
        BitConverter.GetBytes(edx).CopyTo(bytes, 4);
        BitConverter.GetBytes(ecx).CopyTo(bytes, 8);
        return Encoding.ASCII.GetString(bytes);
    }
}
