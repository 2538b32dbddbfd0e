#!/usr/bin/env bash
# Packs TorchRnn and TorchRnn.Onnx and proves that a NuGet consumer outside this repository builds, gets the Linux
# loader fix from buildTransitive/, runs a forward pass, and exports it to ONNX that ONNX Runtime runs to the same numbers. Needs only the .NET SDK and a NuGet feed.
#
# Usage: .ci/consumer-check.sh          (from any folder; called by .ci/run)
#   KEEP_CONSUMER_DIR=1 keeps the temporary folder (feed, consumer project) for inspection.
# Last line: "consumer check: PASS" (exit 0) or "consumer check: FAIL: <why>" (exit 1).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { echo "consumer check: $*"; }
fail() { say "FAIL: $*"; exit 1; }

# Versions come from the repository, so this script never drifts from what the build uses.
xml_value() { sed -n "s:.*<$1>\([^<]*\)</$1>.*:\1:p" "$2" | head -n 1; }
base_version=$(xml_value Version "$repo/src/TorchRnn/TorchRnn.csproj")
torchsharp_version=$(xml_value TorchSharpVersion "$repo/Directory.Packages.props")
libtorch_version=$(xml_value LibTorchVersion "$repo/Directory.Packages.props")
onnxruntime_version=$(sed -n 's:.*Include="Microsoft.ML.OnnxRuntime" Version="\([^"]*\)".*:\1:p' "$repo/Directory.Packages.props" | head -n 1)
[[ -n $base_version && -n $torchsharp_version && -n $libtorch_version && -n $onnxruntime_version ]] \
    || fail "could not read Version, TorchSharpVersion, LibTorchVersion or Microsoft.ML.OnnxRuntime's version from the repository"

case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) rid=linux-x64 ;;
    Darwin/arm64) rid=osx-arm64 ;;
    *) fail "no libtorch-cpu package wired up for $(uname -s)/$(uname -m)" ;;
esac

# A version of its own per run: NuGet never reuses a stale TorchRnn from its package cache, and the shared
# cache (which already holds TorchSharp and libtorch, ~600 MB) is reused as it is.
version="$base_version-ci.$(date -u +%Y%m%d%H%M%S).$$"
packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')
packages=${packages%/}
[[ -n $packages ]] || fail "could not find NuGet's global packages folder"
work=$(mktemp -d "${TMPDIR:-/tmp}/torchrnn-consumer.XXXXXX")
extracted="$packages/torchrnn/$version"
cleanup() {
    rm -rf "$extracted" "$packages/torchrnn.onnx/$version"
    rmdir "$packages/torchrnn" "$packages/torchrnn.onnx" 2>/dev/null || true
    if [[ ${KEEP_CONSUMER_DIR:-} == 1 ]]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

say "packing TorchRnn $version"
dotnet build "$repo/src/TorchRnn" -c Release -nologo -v:minimal || fail "dotnet build src/TorchRnn failed"
dotnet pack "$repo/src/TorchRnn" -c Release --no-build -nologo -v:minimal -o "$work/feed" -p:PackageVersion="$version" \
    || fail "dotnet pack failed"
[[ -f $work/feed/TorchRnn.$version.nupkg ]] || fail "no TorchRnn.$version.nupkg in $work/feed"
[[ -f $work/feed/TorchRnn.$version.snupkg ]] || fail "no symbols package TorchRnn.$version.snupkg in $work/feed"
nuspec=$(unzip -p "$work/feed/TorchRnn.$version.nupkg" TorchRnn.nuspec) || fail "cannot read TorchRnn.nuspec from the package"
for field in '<releaseNotes>' '<readme>README.md</readme>' '<license type="expression">MIT</license>' '<repository type="git"'; do
    grep -qF "$field" <<<"$nuspec" || fail "the nuspec lacks $field"
done
if ! grep -q '<dependency id="TorchSharp" ' <<<"$nuspec" || grep -qi 'Generators' <<<"$nuspec"; then
    fail "the package's dependencies are not TorchSharp and PyBridge alone"
fi
say "package metadata: release notes, readme, license, repository (git commit), symbols package"

# TorchRnn.Onnx depends on the TorchRnn package of the same version (its project reference, packed with the same
# -p:PackageVersion) and on Google.Protobuf; the consumer below exports with it.
say "packing TorchRnn.Onnx $version"
dotnet build "$repo/src/TorchRnn.Onnx" -c Release -nologo -v:minimal || fail "dotnet build src/TorchRnn.Onnx failed"
dotnet pack "$repo/src/TorchRnn.Onnx" -c Release --no-build -nologo -v:minimal -o "$work/feed" -p:PackageVersion="$version" \
    || fail "dotnet pack src/TorchRnn.Onnx failed"
onnx_nuspec=$(unzip -p "$work/feed/TorchRnn.Onnx.$version.nupkg" TorchRnn.Onnx.nuspec) \
    || fail "cannot read TorchRnn.Onnx.nuspec from TorchRnn.Onnx.$version.nupkg"
grep -q "<dependency id=\"TorchRnn\" version=\"$version\"" <<<"$onnx_nuspec" \
    || fail "TorchRnn.Onnx does not depend on TorchRnn $version"
grep -q '<dependency id="Google.Protobuf" ' <<<"$onnx_nuspec" || fail "TorchRnn.Onnx does not depend on Google.Protobuf"
if grep -qi 'Grpc.Tools' <<<"$onnx_nuspec"; then fail "TorchRnn.Onnx passes its build-time Grpc.Tools on to consumers"; fi
say "TorchRnn.Onnx depends on TorchRnn $version and Google.Protobuf, not on Grpc.Tools"

# The consumer lives outside the repository; empty Directory.* files stop MSBuild's upward search anyway.
consumer="$work/consumer"
mkdir -p "$consumer"
for f in Directory.Build.props Directory.Build.targets Directory.Packages.props; do
    echo '<Project />' > "$work/$f"
done
# The local feed is added to the machine's own sources (no <clear/>), so TorchSharp comes from where it always does.
cat > "$consumer/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="torchrnn-local" value="$work/feed" />
  </packageSources>
</configuration>
EOF
cat > "$consumer/Consumer.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>disable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="TorchRnn" Version="$version" />
    <PackageReference Include="TorchRnn.Onnx" Version="$version" />
    <PackageReference Include="Microsoft.ML.OnnxRuntime" Version="$onnxruntime_version" />
    <PackageReference Include="libtorch-cpu-$rid" Version="$libtorch_version" />
  </ItemGroup>
</Project>
EOF
cat > "$consumer/Program.cs" <<'EOF'
// The README's recommended usings: TorchSharp's at the top, TorchRnn's inside the namespace (one nn, no alias), and
// beside ONNX Runtime's tensors one alias for Tensor (else CS0104).
using System;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Consumer;

using TorchRnn;
using TorchRnn.Onnx;

// A model on TorchRnn's nn.Module base, with a layer from the generated part of nn (TorchSharp's Linear).
sealed class Head : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear fc = nn.Linear(6, 2);

    public Head() : base(nameof(Head)) => RegisterComponents();

    public override Tensor forward(Tensor x) => fc.call(x);
}

static class Program
{
    static int Main()
    {
        torch.manual_seed(0);
        var rnn = nn.RNN(5, 6, 2);
        var (output, hn) = rnn.call(torch.randn(1, 3, 5), torch.randn(2, 3, 6));
        var outputShape = string.Join(",", output.shape);
        var hnShape = string.Join(",", hn.shape);
        Console.WriteLine($"output shape ({outputShape}), h_n shape ({hnShape})");
        if (outputShape != "1,3,6" || hnShape != "2,3,6")
        {
            Console.WriteLine("expected output (1,3,6) and h_n (2,3,6)");
            return 1;
        }
        if (!output.isfinite().all().item<bool>() || !hn.isfinite().all().item<bool>())
        {
            Console.WriteLine("output or h_n is not finite");
            return 1;
        }
        var head = new Head();
        var scores = head.call(output);
        if (string.Join(",", scores.shape) != "1,3,2")
        {
            Console.WriteLine("expected the head's scores (1,3,2)");
            return 1;
        }

        // TorchRnn.Onnx: export the RNN, run it in ONNX Runtime on a longer input and a batch of 4, compare.
        var path = Path.Combine(Path.GetTempPath(), $"torchrnn-consumer-{Environment.ProcessId}.onnx");
        try
        {
            onnx.export(rnn, torch.randn(1, 3, 5), path);
            var x = torch.randn(7, 4, 5);
            var (expected, _) = rnn.call(x);
            // Errors only: ONNX Runtime warns that h0, an initializer that is also an optional input, is not folded.
            using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            using var session = new InferenceSession(path, options);
            using var runOptions = new RunOptions();
            using var input = OrtValue.CreateTensorValueFromMemory(x.data<float>().ToArray(), [7, 4, 5]);
            using var results = session.Run(runOptions, new[] { "input" }, new[] { input }, new[] { "output" });
            var got = results[0].GetTensorDataAsSpan<float>().ToArray();
            var want = expected.data<float>().ToArray();
            var worst = got.Length == want.Length ? got.Zip(want, (a, b) => Math.Abs(a - b)).Max() : float.PositiveInfinity;
            Console.WriteLine($"ONNX Runtime output (7,4,6), largest difference from TorchRnn {worst:G3}");
            if (!(worst <= 1e-5f)) return 1;
        }
        finally
        {
            File.Delete(path);
        }
        return 0;
    }
}
EOF

say "building a consumer of TorchRnn $version in $consumer"
dotnet build "$consumer" -c Release -nologo -v:minimal || fail "the consumer did not build"

# NuGet extracts the whole .nupkg into the global packages folder: check what a consumer received.
for f in lib/net10.0/TorchRnn.dll lib/net10.0/TorchRnn.xml \
         buildTransitive/TorchRnn.targets buildTransitive/TorchRnnLinuxLoaderFix.cs; do
    [[ -f $extracted/$f ]] || fail "the package lacks $f"
done
grep -q "id=\"TorchSharp\" version=\"$torchsharp_version\"" "$extracted/torchrnn.nuspec" \
    || fail "the package does not depend on TorchSharp $torchsharp_version"
say "package has lib/net10.0/TorchRnn.{dll,xml}, buildTransitive/TorchRnn.targets and TorchRnnLinuxLoaderFix.cs"

out="$consumer/bin/Release/net10.0"
if [[ $rid == linux-x64 ]]; then
    # The output copy must differ from NuGet's copy in one bit: VER_FLG_WEAK (0x2) in the vna_flags of the
    # Elf64_Vernaux for GLIBCXX_3.4.32, found by its vna_hash (the ELF hash of the name, 4 bytes before vna_flags).
    pristine="$packages/torchsharp/$torchsharp_version/runtimes/linux-x64/native/libLibTorchSharp.so"
    patched="$out/runtimes/linux-x64/native/libLibTorchSharp.so"
    [[ -f $patched ]] || fail "no $patched in the consumer's output"
    [[ -f $pristine ]] || fail "no $pristine in the package cache"
    elf_hash() {
        local s=$1 h=0 g i c
        for ((i = 0; i < ${#s}; i++)); do
            printf -v c '%d' "'${s:i:1}"
            h=$(((h << 4) + c))
            g=$((h & 0xf0000000))
            if ((g)); then h=$((h ^ (g >> 24))); fi
            h=$((h & ~g & 0xffffffff))
        done
        echo "$h"
    }
    diff_lines=$(cmp -l "$pristine" "$patched" || true)
    [[ -n $diff_lines ]] || fail "libLibTorchSharp.so in the output is NuGet's copy, unpatched"
    [[ $(wc -l <<<"$diff_lines") -eq 1 ]] || fail "libLibTorchSharp.so differs from NuGet's copy in more than one byte"
    read -r position old new <<<"$diff_lines" # 1-based offset, octal bytes
    flags_at=$((position - 1))
    (((8#$new) == ((8#$old) | 2))) || fail "the changed byte at $flags_at is not the weak flag being set"
    hash=$(od -An -tu4 -j $((flags_at - 4)) -N4 "$patched" | tr -d ' ')
    [[ $hash == $(elf_hash GLIBCXX_3.4.32) ]] || fail "the weak flag was set at $flags_at, not on GLIBCXX_3.4.32"
    say "the output's libLibTorchSharp.so needs GLIBCXX_3.4.32 weakly (vna_flags at $flags_at)"
fi

say "running the consumer"
(cd "$out" && dotnet Consumer.dll) || fail "the consumer's forward pass or its ONNX export failed"
say "PASS"
