using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TorchRnn.Regularization;

/// <summary>
/// ATen's CPU generator (<c>at::mt19937</c>, MT19937RNGEngine.h) on a copy of its state, read from and written back to
/// the bytes of <c>torch.get_rng_state()</c>, with the one draw ATen's default <c>bernoulli_(p)</c> kernel makes per
/// element: <c>random64()</c> (two outputs, the first the high word), its low 53 bits times 2^-53, then <c>u &lt; p</c>.
/// The twist and the tempering run on vectors; the outputs, and the state left behind, are ATen's to the bit.
/// </summary>
internal sealed class Mt19937
{
    private const int N = 624;
    private const int M = 397;
    private const uint MatrixA = 0x9908b0df;
    private const uint UpperMask = 0x80000000;
    private const uint LowerMask = 0x7fffffff;

    // random64's low 53 bits: 21 of the first output, all 32 of the second.
    private const uint HighBits = (1u << 21) - 1;

    /// <summary>
    /// The size of CPUGeneratorImpl's state on a 64-bit little-endian ABI (CPUGeneratorImpl.cpp,
    /// <c>CPUGeneratorImplState</c>): the legacy part (seed u64, left i32, seeded i32, next u64, state u64[624],
    /// normal_x/y/rho f64, normal_is_valid i32, padding), then the float normal sample and its flag, padded to 8.
    /// </summary>
    public const int StateBytes = 5056;

    private const int LeftAt = 8;
    private const int SeededAt = 12;
    private const int NextAt = 16;
    private const int WordsAt = 24;

    private readonly uint[] _words = new uint[N];
    private int _left;
    private int _next;

    private Mt19937()
    {
    }

    /// <summary>
    /// Reads a state from <c>get_rng_state()</c>'s bytes; null when they are not a valid CPUGeneratorImpl state whose
    /// reads stay inside the word array (as every state the generator itself reports does).
    /// </summary>
    public static Mt19937? Read(ReadOnlySpan<byte> state)
    {
        if (state.Length != StateBytes || !BitConverter.IsLittleEndian) return null;
        var left = BinaryPrimitives.ReadInt32LittleEndian(state[LeftAt..]);
        var seeded = BinaryPrimitives.ReadInt32LittleEndian(state[SeededAt..]);
        var next = BinaryPrimitives.ReadUInt64LittleEndian(state[NextAt..]);
        // ATen's is_valid, plus next + left <= N + 1: with more, ATen itself would read past its array.
        if (seeded == 0 || left <= 0 || left > N || next > N || (int)next + left > N + 1) return null;
        var engine = new Mt19937 { _left = left, _next = (int)next };
        for (var i = 0; i < N; i++)
        {
            // set_state keeps the low 32 bits of each u64 word.
            engine._words[i] = (uint)BinaryPrimitives.ReadUInt64LittleEndian(state[(WordsAt + 8 * i)..]);
        }
        return engine;
    }

    /// <summary>
    /// Writes the engine's position and words into a state read by <see cref="Read"/>, leaving every other byte (the
    /// seed, the cached normal samples) as it was, as a draw in ATen leaves them.
    /// </summary>
    public void WriteTo(Span<byte> state)
    {
        Debug.Assert(state.Length == StateBytes);
        BinaryPrimitives.WriteInt32LittleEndian(state[LeftAt..], _left);
        BinaryPrimitives.WriteUInt64LittleEndian(state[NextAt..], (ulong)_next);
        for (var i = 0; i < N; i++) BinaryPrimitives.WriteUInt64LittleEndian(state[(WordsAt + 8 * i)..], _words[i]);
    }

    /// <summary>
    /// Fills <paramref name="mask"/> in order with 1 where the element's uniform draw is below <paramref name="p"/> and 0
    /// elsewhere, as ATen's serial <c>bernoulli_(p)</c> of a contiguous float or double tensor does.
    /// </summary>
    public void FillBernoulli<T>(Span<T> mask, double p)
        where T : unmanaged
    {
        Debug.Assert(typeof(T) == typeof(float) || typeof(T) == typeof(double));
        Debug.Assert(p >= 0 && p <= 1);
        // u = k * 2^-53 with k an integer below 2^53, both exact: u < p exactly when k < ceil(p * 2^53).
        var threshold = (long)Math.Ceiling(p * (1L << 53));
        var i = 0;
        while (i < mask.Length)
        {
            // The outputs before the next twist, _left - 1 of them, are _words[_next..] tempered.
            var pairs = Math.Min((_left - 1) / 2, mask.Length - i);
            if (pairs > 0)
            {
                FillPairs(mask.Slice(i, pairs), _words.AsSpan(_next, 2 * pairs), threshold);
                i += pairs;
                _next += 2 * pairs;
                _left -= 2 * pairs;
            }
            if (i < mask.Length)
            {
                // A pair that needs the next twist: one output or none is left before it.
                var high = Next();
                var low = Next();
                mask[i++] = Bit<T>(Below(high, low, threshold));
            }
        }
    }

    /// <summary>One output, as <c>mt19937_engine::operator()</c>.</summary>
    private uint Next()
    {
        if (--_left == 0) Twist();
        return Temper(_words[_next++]);
    }

    // 1 where k < threshold, from the sign of k - threshold (neither is above 2^53): a branch here would be mispredicted
    // as often as the mask is random, which made the scalar loop slower than ATen's.
    private static int Below(uint high, uint low, long threshold)
        => (int)((ulong)((long)(((ulong)(high & HighBits) << 32) | low) - threshold) >> 63);

    private static T Bit<T>(int bit)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return (T)(object)(float)bit;
        return (T)(object)(double)bit;
    }

    private static uint Temper(uint y)
    {
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        return y ^ (y >> 18);
    }

    private static Vector256<uint> Temper(Vector256<uint> y)
    {
        y ^= y >>> 11;
        y ^= (y << 7) & Vector256.Create(0x9d2c5680u);
        y ^= (y << 15) & Vector256.Create(0xefc60000u);
        return y ^ (y >>> 18);
    }

    /// <summary>The masks of <c>words.Length / 2</c> elements, each from two consecutive outputs.</summary>
    private static void FillPairs<T>(Span<T> mask, ReadOnlySpan<uint> words, long threshold)
        where T : unmanaged
    {
        ref var word = ref MemoryMarshal.GetReference(words);
        ref var into = ref MemoryMarshal.GetReference(mask);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= mask.Length; i += 8)
            {
                // Two outputs read as one little-endian u64: the first (random64's high word) in the low half.
                var first = Temper(Vector256.LoadUnsafe(ref word, (nuint)(2 * i))).AsUInt64();
                var second = Temper(Vector256.LoadUnsafe(ref word, (nuint)(2 * i + 8))).AsUInt64();
                StoreBits(Below(first, threshold), Below(second, threshold), ref into, i);
            }
        }
        for (; i < mask.Length; i++) mask[i] = Bit<T>(Below(Temper(words[2 * i]), Temper(words[2 * i + 1]), threshold));
    }

    private static Vector256<long> Below(Vector256<ulong> pairs, long threshold)
    {
        var k = ((pairs & Vector256.Create((ulong)HighBits)) << 32) | (pairs >>> 32);
        return Vector256.LessThan(k.AsInt64(), Vector256.Create(threshold));
    }

    // All-ones lanes AND the bits of 1.0 give 1.0; zero lanes give +0.0.
    private static void StoreBits<T>(Vector256<long> first, Vector256<long> second, ref T into, int at)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var bits = Vector256.Narrow(first, second).AsSingle() & Vector256.Create(1f);
            bits.StoreUnsafe(ref Unsafe.As<T, float>(ref into), (nuint)at);
        }
        else
        {
            (first.AsDouble() & Vector256.Create(1d)).StoreUnsafe(ref Unsafe.As<T, double>(ref into), (nuint)at);
            (second.AsDouble() & Vector256.Create(1d)).StoreUnsafe(ref Unsafe.As<T, double>(ref into), (nuint)(at + 4));
        }
    }

    /// <summary>
    /// <c>next_state</c>: word i becomes word i + M (mod N) xor the twist of words i and i + 1, in order. Words below
    /// N - M read words not yet replaced; the rest read words i - (N - M), replaced already: both run eight at a time.
    /// </summary>
    private void Twist()
    {
        var s = _words;
        ref var w = ref MemoryMarshal.GetArrayDataReference(s);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= N - M; i += 8)
                Twisted(ref w, i, i + M).StoreUnsafe(ref w, (nuint)i);
        }
        for (; i < N - M; i++) s[i] = s[i + M] ^ Twist(s[i], s[i + 1]);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= N - 1; i += 8)
                Twisted(ref w, i, i + M - N).StoreUnsafe(ref w, (nuint)i);
        }
        for (; i < N - 1; i++) s[i] = s[i + M - N] ^ Twist(s[i], s[i + 1]);
        s[N - 1] = s[M - 1] ^ Twist(s[N - 1], s[0]);
        _left = N;
        _next = 0;
    }

    // Branch-free, as the vectors: v's low bit is random.
    private static uint Twist(uint u, uint v) => (((u & UpperMask) | (v & LowerMask)) >> 1) ^ ((0u - (v & 1)) & MatrixA);

    private static Vector256<uint> Twisted(ref uint w, int i, int partner)
    {
        var u = Vector256.LoadUnsafe(ref w, (nuint)i);
        var v = Vector256.LoadUnsafe(ref w, (nuint)(i + 1));
        var odd = Vector256<uint>.Zero - (v & Vector256<uint>.One);
        var twisted = (((u & Vector256.Create(UpperMask)) | (v & Vector256.Create(LowerMask))) >>> 1) ^ (odd & Vector256.Create(MatrixA));
        return Vector256.LoadUnsafe(ref w, (nuint)partner) ^ twisted;
    }
}
