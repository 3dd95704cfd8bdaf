package dev.lakepipe.ingest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One field of a source, profiled over a sample of its records as ingest reads them ({@link SourceSample}):
 * how many records have a value, how many distinct values there are, whether the values read as numbers and
 * with which timestamp formats, how long they are. {@code lakepipe init} guesses the field's role from this.
 * "Value" means a non-blank value throughout: ingest treats a blank field as missing.
 *
 * @param name the field as the source names it (CSV header, JSON key, Parquet column): what
 *     {@code ingest.sources.<name>.columns} maps
 * @param type the Parquet column's Spark type ({@code bigint}, {@code double}, {@code timestamp}, ...);
 *     {@code string} for the text formats, whose fields are all text
 * @param rows sampled records that were read (the same for every field)
 * @param present records with a value
 * @param distinct distinct values
 * @param numeric values ingest reads as a number (a numeric column's trimmed text cast to double)
 * @param integral values written as whole numbers, without a point or exponent ({@code 42}, {@code -7})
 * @param singleToken values with no whitespace inside
 * @param meanLength mean length of the values, in characters (0 when there are none)
 * @param meanWords mean count of whitespace-separated words per value (0 when there are none)
 * @param iso values ingest's ISO-8601 reading accepts (tried before any {@code timestamp-formats} entry)
 * @param timestampFormats per {@code timestamp-formats} entry tried, in the order tried: the values it reads
 * @param samples up to three distinct values, in the order the sample first has them
 */
public record FieldProfile(
    String name,
    String type,
    long rows,
    long present,
    long distinct,
    long numeric,
    long integral,
    long singleToken,
    double meanLength,
    double meanWords,
    long iso,
    Map<String, Long> timestampFormats,
    List<String> samples) {

  public FieldProfile {
    timestampFormats = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(timestampFormats));
    samples = List.copyOf(samples);
  }

  /** Records without a value (null, absent or blank). */
  public long missing() {
    return rows - present;
  }
}
