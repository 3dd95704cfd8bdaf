package dev.lakepipe.clean;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Character shingles and banded MinHash signatures of one text, in plain Java so Spark runs them as
 * deterministic UDFs (no state, no randomness beyond the seed).
 *
 * <p>Shingles are the 32-bit hashes of every run of {@code k} consecutive code points of the lower-cased text
 * (so texts without spaces, such as Chinese, shingle like any other). The {@code n = bands * rowsPerBand} MinHash
 * functions are {@code h_i(x) = fmix64(x XOR salt_i)} with the salts drawn from a {@link SplittableRandom}
 * seeded with the configured seed: the same seed gives the same signatures on every machine and run.
 */
final class MinHash {

  private static final int SHINGLE_SEED = 0x9747b28c;

  private MinHash() {}

  /** Sorted distinct shingle hashes; one shingle of the whole text when it is shorter than k; empty for null/"". */
  static int[] shingles(String text, int k) {
    if (text == null || text.isEmpty()) {
      return new int[0];
    }
    int[] cps = text.toLowerCase(Locale.ROOT).codePoints().toArray();
    if (cps.length <= k) {
      return new int[] {hash(cps, 0, cps.length)};
    }
    int[] out = new int[cps.length - k + 1];
    for (int i = 0; i < out.length; i++) {
      out[i] = hash(cps, i, k);
    }
    Arrays.sort(out);
    int n = 0;
    for (int i = 0; i < out.length; i++) {
      if (i == 0 || out[i] != out[i - 1]) {
        out[n++] = out[i];
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** The shingle set as bytes, 4 per shingle, big-endian (what the near-duplicate search stores and shuffles). */
  static byte[] pack(int[] shingles) {
    byte[] out = new byte[shingles.length * 4];
    for (int i = 0; i < shingles.length; i++) {
      int v = shingles[i];
      out[4 * i] = (byte) (v >>> 24);
      out[4 * i + 1] = (byte) (v >>> 16);
      out[4 * i + 2] = (byte) (v >>> 8);
      out[4 * i + 3] = (byte) v;
    }
    return out;
  }

  /**
   * Exact Jaccard of two {@link #pack packed} sorted distinct shingle sets, by one merge in place: |A ∩ B| /
   * |A ∪ B|; 0 when both are empty; null reads as empty.
   */
  static double jaccard(byte[] a, byte[] b) {
    int n = a == null ? 0 : a.length / 4;
    int m = b == null ? 0 : b.length / 4;
    int i = 0;
    int j = 0;
    int shared = 0;
    while (i < n && j < m) {
      int c = Integer.compare(intAt(a, i), intAt(b, j));
      if (c == 0) {
        shared++;
        i++;
        j++;
      } else if (c < 0) {
        i++;
      } else {
        j++;
      }
    }
    int union = n + m - shared;
    return union == 0 ? 0.0 : (double) shared / union;
  }

  private static int intAt(byte[] packed, int i) {
    return (packed[4 * i] << 24) | ((packed[4 * i + 1] & 0xff) << 16) | ((packed[4 * i + 2] & 0xff) << 8)
        | (packed[4 * i + 3] & 0xff);
  }

  /** The inverse of {@link #pack}; empty for null. */
  static int[] unpack(byte[] packed) {
    if (packed == null) {
      return new int[0];
    }
    int[] out = new int[packed.length / 4];
    for (int i = 0; i < out.length; i++) {
      out[i] = intAt(packed, i);
    }
    return out;
  }

  /** The salts of the {@code count} hash functions, derived from the seed only. */
  static long[] salts(long seed, int count) {
    SplittableRandom random = new SplittableRandom(seed);
    long[] salts = new long[count];
    for (int i = 0; i < count; i++) {
      salts[i] = random.nextLong();
    }
    return salts;
  }

  /** The MinHash signature: for each hash function the minimum over the shingles; null for no shingles. */
  static long[] signature(int[] shingles, long[] salts) {
    if (shingles.length == 0) {
      return null;
    }
    long[] sig = new long[salts.length];
    Arrays.fill(sig, Long.MAX_VALUE);
    for (int x : shingles) {
      long v = x & 0xffffffffL;
      for (int i = 0; i < salts.length; i++) {
        long h = fmix64(v ^ salts[i]);
        if (h < sig[i]) {
          sig[i] = h;
        }
      }
    }
    return sig;
  }

  /** One 64-bit key per band, hashing the band's {@code rowsPerBand} signature values together. */
  static long[] bandKeys(long[] signature, int bands, int rowsPerBand) {
    if (signature == null) {
      return null;
    }
    long[] keys = new long[bands];
    for (int b = 0; b < bands; b++) {
      long h = fmix64(0x9e3779b97f4a7c15L * (b + 1));
      for (int r = 0; r < rowsPerBand; r++) {
        h = fmix64(h * 31 + signature[b * rowsPerBand + r]);
      }
      keys[b] = h;
    }
    return keys;
  }

  /** MurmurHash3's 32-bit hash over code points {@code [from, from + len)}. */
  static int hash(int[] cps, int from, int len) {
    int h = SHINGLE_SEED;
    for (int i = from; i < from + len; i++) {
      int k = cps[i] * 0xcc9e2d51;
      k = Integer.rotateLeft(k, 15) * 0x1b873593;
      h ^= k;
      h = Integer.rotateLeft(h, 13) * 5 + 0xe6546b64;
    }
    h ^= len;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }

  /** MurmurHash3's 64-bit finaliser: a bijection that mixes every input bit into every output bit. */
  static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb93fe53ec881L;
    k ^= k >>> 33;
    return k;
  }
}
