package dev.lakepipe.ingest;

import java.util.Locale;
import java.util.Set;

/** The kinds of source ingest reads, with the conf keys each accepts besides the common ones. */
public enum SourceFormat {
  CSV(Set.of("path", "include", "delimiter", "quote", "escape", "header", "encoding")),
  JSONL(Set.of("path", "include", "encoding")),
  PARQUET(Set.of("path", "include")),
  JDBC(Set.of("url", "table", "query", "user-env", "password-env", "driver", "key-column", "partition-column",
      "lower-bound", "upper-bound", "num-partitions", "fetch-size")),
  /** A folder of raw RFC-822 messages, one per file; headers become fields. */
  EMAIL(Set.of("path", "include", "encoding")),
  /** A folder of raw text files, one record per file. */
  TEXT(Set.of("path", "include", "encoding"));

  static final Set<String> COMMON_KEYS = Set.of("format", "columns", "timestamp-formats");

  private final Set<String> keys;

  SourceFormat(Set<String> keys) {
    this.keys = keys;
  }

  public Set<String> allowedKeys() {
    Set<String> all = new java.util.HashSet<>(keys);
    all.addAll(COMMON_KEYS);
    return all;
  }

  public boolean isFileBased() {
    return this != JDBC;
  }

  /** Whether each file is one record (email, text) rather than a file of records. */
  public boolean isOneRecordPerFile() {
    return this == EMAIL || this == TEXT;
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  static SourceFormat parse(String text) {
    for (SourceFormat f : values()) {
      if (f.id().equals(text)) {
        return f;
      }
    }
    return null;
  }
}
