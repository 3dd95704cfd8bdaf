package dev.lakepipe.features;

import dev.lakepipe.core.LakepipeErrors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A synonyms dictionary for {@link Augmentation}: lower-cased word to its synonyms, in file order.
 *
 * <p>File format (UTF-8): one entry per line, {@code word: synonym1, synonym2}; the word is one token (no
 * whitespace), synonyms are non-empty and may hold several words; blank lines and lines whose first non-blank
 * character is {@code #} are ignored; a word on several lines gets the synonyms of all of them (first
 * occurrence order, no repeats). Every bad line is reported at once, by file and line number. The file is read
 * whole on the driver (a dictionary is small) and shipped to executors as a broadcast.
 */
final class Synonyms implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Bad lines listed in one error; more are counted. */
  private static final int MAX_REPORTED = 20;

  static final Synonyms EMPTY = new Synonyms(Map.of());

  private final Map<String, String[]> byWord;

  private Synonyms(Map<String, String[]> byWord) {
    this.byWord = byWord;
  }

  /** Synonyms of a word (matched lower-cased); empty when it has none. */
  String[] of(String word) {
    String[] s = byWord.get(word.toLowerCase(Locale.ROOT));
    return s == null ? new String[0] : s;
  }

  int size() {
    return byWord.size();
  }

  /** Reads and parses a dictionary from any Hadoop path; a missing file or a bad line is a config error. */
  static Synonyms load(Configuration hadoopConf, String file) {
    Path p = new Path(file);
    byte[] content;
    String name = file;
    try {
      FileSystem fs = p.getFileSystem(hadoopConf);
      name = fs.makeQualified(p).toString();
      if (!fs.isFile(p)) {
        throw LakepipeErrors.config(String.format(Locale.ROOT,
            "Cannot read synonyms file %s: no such file. Fix features.augment.text.synonyms-file.", name));
      }
      try (InputStream in = fs.open(p)) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        content = out.toByteArray();
      }
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("read synonyms file " + name,
          e.getMessage() + ". Check that the file is readable, or fix features.augment.text.synonyms-file.", e);
    }
    return parse(name, content);
  }

  /** Parses dictionary text; {@code name} is the file name used in errors. */
  static Synonyms parse(String name, byte[] content) {
    Map<String, LinkedHashSet<String>> words = new HashMap<>();
    List<String> bad = new ArrayList<>();
    int badCount = 0;
    int lineNo = 0;
    int start = 0;
    while (start < content.length) {
      int end = start;
      while (end < content.length && content[end] != '\n') {
        end++;
      }
      lineNo++;
      String problem;
      String line;
      try {
        line = decode(content, start, end);
        problem = add(words, line, lineNo == 1);
      } catch (CharacterCodingException e) {
        line = null;
        problem = "is not valid UTF-8";
      }
      if (problem != null) {
        badCount++;
        if (bad.size() < MAX_REPORTED) {
          bad.add(line == null
              ? String.format(Locale.ROOT, "line %d %s", lineNo, problem)
              : String.format(Locale.ROOT, "line %d ('%s') %s", lineNo, abbreviate(line.strip()), problem));
        }
      }
      start = end + 1;
    }
    if (badCount > 0) {
      String more = badCount > bad.size() ? String.format(Locale.ROOT, "; and %d more", badCount - bad.size()) : "";
      throw LakepipeErrors.config(String.format(Locale.ROOT,
          "Cannot read synonyms file %s: %s%s. Write each line as \"word: synonym1, synonym2\" (one word, "
              + "a colon, comma-separated synonyms; # starts a comment line), or fix "
              + "features.augment.text.synonyms-file.",
          name, String.join("; ", bad), more));
    }
    Map<String, String[]> out = new HashMap<>();
    words.forEach((w, s) -> out.put(w, s.toArray(new String[0])));
    return new Synonyms(out);
  }

  /** Adds one line's entry; returns what is wrong with it, or null. */
  private static String add(Map<String, LinkedHashSet<String>> words, String raw, boolean first) {
    String line = first && raw.startsWith("\uFEFF") ? raw.substring(1) : raw;
    line = line.strip();
    if (line.isEmpty() || line.startsWith("#")) {
      return null;
    }
    int colon = line.indexOf(':');
    if (colon < 0) {
      return "has no ':'";
    }
    String word = line.substring(0, colon).strip();
    if (word.isEmpty()) {
      return "has no word before ':'";
    }
    if (word.codePoints().anyMatch(TextPerturbation::isSpace)) {
      return "has more than one word before ':'";
    }
    String rest = line.substring(colon + 1).strip();
    if (rest.isEmpty()) {
      return "has no synonyms after ':'";
    }
    Set<String> synonyms = new LinkedHashSet<>();
    for (String s : rest.split(",", -1)) {
      String syn = s.strip();
      if (syn.isEmpty()) {
        return "has an empty synonym (two commas in a row or a trailing comma)";
      }
      synonyms.add(syn);
    }
    words.computeIfAbsent(word.toLowerCase(Locale.ROOT), k -> new LinkedHashSet<>()).addAll(synonyms);
    return null;
  }

  private static String decode(byte[] content, int start, int end) throws CharacterCodingException {
    int to = end > start && content[end - 1] == '\r' ? end - 1 : end;
    return StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(content, start, to - start))
        .toString();
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
