package dev.lakepipe.features;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Word-level perturbation of one text, for {@link Augmentation}: synonym replacement, random deletion and
 * random swaps, in that order, drawing every random choice from the given generator in a fixed sequence, so
 * the same text and generator seed always give the same result.
 *
 * <p>Words are maximal runs of non-whitespace characters; the whitespace between the words that remain is
 * kept (so line breaks survive), as is leading and trailing whitespace. Languages written without spaces are
 * therefore perturbed only by synonyms of whole tokens: a sentence without spaces is one word, which is never
 * deleted (one word is always kept) nor swapped. A text without words (null, empty, blank) is returned as is.
 */
final class TextPerturbation {

  /** A kind of perturbation; {@link #id()} is how {@code augmentation} names it. */
  enum Op {
    SYNONYM("synonym"), DELETE("delete"), SWAP("swap");

    private final String id;

    Op(String id) {
      this.id = id;
    }

    String id() {
      return id;
    }
  }

  private TextPerturbation() {}

  static boolean isSpace(int codePoint) {
    return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint);
  }

  /** Perturbs {@code text}; each operation that changed it is added to {@code changed}. */
  static String perturb(String text, AugmentSettings.Text s, Synonyms synonyms, SplittableRandom rng,
      Set<Op> changed) {
    if (text == null) {
      return null;
    }
    Words w = Words.split(text);
    if (w.words.isEmpty()) {
      return text;
    }
    if (s.replacesSynonyms()) {
      replaceSynonyms(w, synonyms, s.synonymRate(), rng, changed);
    }
    if (s.deletionRate() > 0) {
      delete(w, s.deletionRate(), rng, changed);
    }
    for (int k = 0; k < s.swaps(); k++) {
      swap(w, rng, changed);
    }
    return w.join();
  }

  /**
   * Replaces {@code max(1, round(rate * k))} of the k words that have synonyms, chosen uniformly without
   * repetition, each by a uniformly chosen synonym. Lookup ignores case and punctuation around the word; the
   * punctuation is kept and the synonym takes the word's case (all capitals, or a capital first letter).
   */
  private static void replaceSynonyms(Words w, Synonyms synonyms, double rate, SplittableRandom rng,
      Set<Op> changed) {
    List<Integer> candidates = new ArrayList<>();
    for (int i = 0; i < w.words.size(); i++) {
      if (synonyms.of(core(w.words.get(i))[1]).length > 0) {
        candidates.add(i);
      }
    }
    int k = candidates.size();
    if (k == 0) {
      return;
    }
    int n = (int) Math.min(k, Math.max(1, Math.round(rate * k)));
    for (int t = 0; t < n; t++) {
      int r = t + rng.nextInt(k - t);
      int i = candidates.get(r);
      candidates.set(r, candidates.get(t));
      candidates.set(t, i);
      String[] parts = core(w.words.get(i));
      String[] options = synonyms.of(parts[1]);
      String replacement = parts[0] + matchCase(options[rng.nextInt(options.length)], parts[1]) + parts[2];
      if (!replacement.equals(w.words.get(i))) {
        w.words.set(i, replacement);
        changed.add(Op.SYNONYM);
      }
    }
  }

  /** Deletes each word with probability {@code rate}; when all would go, one chosen uniformly stays. */
  private static void delete(Words w, double rate, SplittableRandom rng, Set<Op> changed) {
    int n = w.words.size();
    boolean[] gone = new boolean[n];
    int kept = n;
    for (int i = 0; i < n; i++) {
      if (rng.nextDouble() < rate) {
        gone[i] = true;
        kept--;
      }
    }
    if (kept == 0) {
      gone[rng.nextInt(n)] = false;
      kept = 1;
    }
    if (kept == n) {
      return;
    }
    List<String> words = new ArrayList<>(kept);
    List<String> gaps = new ArrayList<>(kept);
    for (int i = 0; i < n; i++) {
      if (!gone[i]) {
        if (!words.isEmpty()) {
          gaps.add(w.gaps.get(i - 1)); // the whitespace that preceded this word
        }
        words.add(w.words.get(i));
      }
    }
    w.words = words;
    w.gaps = gaps;
    changed.add(Op.DELETE);
  }

  /** Swaps two distinct positions chosen uniformly; a text of one word is left as it is. */
  private static void swap(Words w, SplittableRandom rng, Set<Op> changed) {
    int n = w.words.size();
    if (n < 2) {
      return;
    }
    int i = rng.nextInt(n);
    int j = rng.nextInt(n - 1);
    if (j >= i) {
      j++;
    }
    String a = w.words.get(i);
    String b = w.words.get(j);
    w.words.set(i, b);
    w.words.set(j, a);
    if (!a.equals(b)) {
      changed.add(Op.SWAP);
    }
  }

  /** {prefix, core, suffix}: the core is the word without the non-letter, non-digit characters around it. */
  static String[] core(String word) {
    int from = 0;
    int to = word.length();
    while (from < to && !Character.isLetterOrDigit(word.codePointAt(from))) {
      from += Character.charCount(word.codePointAt(from));
    }
    while (to > from && !Character.isLetterOrDigit(word.codePointBefore(to))) {
      to -= Character.charCount(word.codePointBefore(to));
    }
    return new String[] {word.substring(0, from), word.substring(from, to), word.substring(to)};
  }

  /** The synonym in the case of {@code word}: all capitals (two letters or more), capitalised, or as written. */
  static String matchCase(String synonym, String word) {
    long letters = word.codePoints().filter(Character::isLetter).count();
    if (letters >= 2 && word.codePoints().filter(Character::isLetter).allMatch(Character::isUpperCase)) {
      return synonym.toUpperCase(Locale.ROOT);
    }
    if (!word.isEmpty() && Character.isUpperCase(word.codePointAt(0)) && !synonym.isEmpty()) {
      int first = synonym.codePointAt(0);
      return new StringBuilder().appendCodePoint(Character.toTitleCase(first))
          .append(synonym, Character.charCount(first), synonym.length()).toString();
    }
    return synonym;
  }

  /** A text as words and the whitespace around and between them. */
  private static final class Words {
    String lead;
    List<String> words = new ArrayList<>();
    /** gaps.get(i) is the whitespace between words i and i + 1. */
    List<String> gaps = new ArrayList<>();
    String trail;

    static Words split(String text) {
      Words w = new Words();
      int n = text.length();
      int i = 0;
      while (i < n && isSpace(text.codePointAt(i))) {
        i += Character.charCount(text.codePointAt(i));
      }
      w.lead = text.substring(0, i);
      int gapStart = -1;
      while (i < n) {
        int start = i;
        while (i < n && !isSpace(text.codePointAt(i))) {
          i += Character.charCount(text.codePointAt(i));
        }
        if (gapStart >= 0) {
          w.gaps.add(text.substring(gapStart, start));
        }
        w.words.add(text.substring(start, i));
        gapStart = i;
        while (i < n && isSpace(text.codePointAt(i))) {
          i += Character.charCount(text.codePointAt(i));
        }
      }
      w.trail = gapStart >= 0 ? text.substring(gapStart) : "";
      return w;
    }

    String join() {
      StringBuilder sb = new StringBuilder(lead);
      for (int i = 0; i < words.size(); i++) {
        if (i > 0) {
          sb.append(gaps.get(i - 1));
        }
        sb.append(words.get(i));
      }
      return sb.append(trail).toString();
    }
  }
}
