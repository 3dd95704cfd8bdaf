package dev.lakepipe.ingest.init;

import com.typesafe.config.ConfigUtil;
import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.ingest.FieldProfile;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Guesses the role of every field of a source from its profile over a sample ({@link FieldProfile}), and the
 * canonical column name it gets: the pure half of {@code lakepipe init}. No Spark and no I/O; the same profiles
 * give the same guess.
 *
 * <p>Each field gets the first role whose rule it meets ("value" means a non-blank value):
 * <ol>
 *   <li><b>label</b>: the field named by {@code --label}.</li>
 *   <li><b>left out</b> when no sampled record has a value.</li>
 *   <li><b>event time</b>: every value reads with one of {@link #TIMESTAMP_FORMATS} (the first that reads all
 *       of them is the one written to {@code timestamp-formats}), or the field is a Parquet timestamp or date
 *       that ingest's ISO-8601 reading takes. Only the first such field; later ones are left out, since a
 *       dataset has one event time.</li>
 *   <li><b>id</b> (the first such field only): every sampled record has a value, all distinct, at least
 *       {@link #MIN_ID_ROWS} of them, each one token (no whitespace), and not decimal numbers (whole numbers
 *       and strings are identifiers; {@code 12.5} is a measurement).</li>
 *   <li><b>numeric</b>: every value reads as a number (as ingest reads a numeric column).</li>
 *   <li><b>categorical</b>: at most {@link #MAX_CATEGORIES} distinct values or at most 5% of the values,
 *       whichever allows more, and every value seen twice on average (distinct at most half the values), so a
 *       small sample of unique strings is not called a category.</li>
 *   <li><b>text</b>: values of {@link #TEXT_MIN_MEAN_LENGTH} characters or {@link #TEXT_MIN_MEAN_WORDS}
 *       words on average. Text columns are listed longest first; the first is the main text.</li>
 *   <li><b>left out</b>, saying why (short values with too many distinct values: a name, a code, a second
 *       identifier).</li>
 * </ol>
 * A source where no field besides the label becomes numeric, categorical, text or the event time is refused:
 * a conf without features does not validate.
 *
 * <p>Canonical names come from the field's own name: accents dropped, camelCase split, lowercased, every run
 * of other characters folded to one {@code _}, trimmed of {@code _}; a name starting with a digit gets the
 * prefix {@code c_}, an empty one becomes {@code c_<position>}; a name taken already, {@code run_id} or a
 * column a later stage adds to {@code gold.dataset} gets a suffix {@code _2}, {@code _3}, ... So every name
 * matches {@code [a-z][a-z0-9_]*}, as {@code dataset.columns} requires.
 */
public final class ConfGuesser {

  /** What a field becomes in the starter conf. */
  public enum Role {
    LABEL("label"),
    ID("id"),
    EVENT_TIME("event time"),
    NUMERIC("numeric"),
    CATEGORICAL("categorical"),
    TEXT("text"),
    LEFT_OUT("left out");

    private final String description;

    Role(String description) {
      this.description = description;
    }

    /** The role as the conf's comments and init's summary name it. */
    public String description() {
      return description;
    }
  }

  /**
   * One field's guess.
   *
   * @param canonical the canonical column name; null when the field is left out
   * @param reason why this role, in a few words
   */
  public record ColumnGuess(FieldProfile field, Role role, String canonical, String reason) {

    /** The sample's evidence: distinct values, share missing, up to three values. */
    public String evidence() {
      StringBuilder sb = new StringBuilder();
      sb.append(field.distinct()).append(" distinct in ").append(field.rows()).append(" sampled, ")
          .append(percent(field.missing(), field.rows())).append(" null");
      if (!field.samples().isEmpty()) {
        sb.append(", e.g. ").append(field.samples().stream().map(ConfGuesser::quoteSample)
            .collect(Collectors.joining(", ")));
      }
      return sb.toString();
    }
  }

  /**
   * The guess for a whole source.
   *
   * @param columns one per field, in the source's order
   * @param eventTimeFormat the {@code timestamp-formats} entry that reads the event time; empty when there is
   *     no event time or ingest's ISO-8601 reading needs none
   */
  public record Guess(List<ColumnGuess> columns, Optional<String> eventTimeFormat) {

    public Guess {
      columns = List.copyOf(columns);
    }

    public ColumnGuess label() {
      return only(Role.LABEL).orElseThrow();
    }

    public Optional<ColumnGuess> id() {
      return only(Role.ID);
    }

    public Optional<ColumnGuess> eventTime() {
      return only(Role.EVENT_TIME);
    }

    public List<ColumnGuess> numeric() {
      return all(Role.NUMERIC);
    }

    public List<ColumnGuess> categorical() {
      return all(Role.CATEGORICAL);
    }

    /** Text columns, longest mean length first: the first is the main text. */
    public List<ColumnGuess> text() {
      return all(Role.TEXT).stream()
          .sorted(Comparator.comparingDouble((ColumnGuess c) -> -c.field().meanLength()))
          .toList();
    }

    /** Whether there is a numeric, categorical or text column: what the features vector is made of. */
    public boolean hasFeatures() {
      return !numeric().isEmpty() || !categorical().isEmpty() || !text().isEmpty();
    }

    public List<ColumnGuess> leftOut() {
      return all(Role.LEFT_OUT);
    }

    /** The columns rows must have ({@code dataset.required}): the id and the main text when there are, the label. */
    public List<String> required() {
      List<String> out = new ArrayList<>();
      id().ifPresent(c -> out.add(c.canonical()));
      text().stream().findFirst().ifPresent(c -> out.add(c.canonical()));
      out.add(label().canonical());
      return out;
    }

    /** The columns that get a mapping, in the order the conf lists them: by role, then the source's order. */
    public List<ColumnGuess> mapped() {
      List<ColumnGuess> out = new ArrayList<>();
      out.add(label());
      eventTime().ifPresent(out::add);
      id().ifPresent(out::add);
      out.addAll(numeric());
      out.addAll(categorical());
      out.addAll(text());
      return out;
    }

    private Optional<ColumnGuess> only(Role role) {
      return columns.stream().filter(c -> c.role() == role).findFirst();
    }

    private List<ColumnGuess> all(Role role) {
      return columns.stream().filter(c -> c.role() == role).toList();
    }
  }

  /**
   * The {@code timestamp-formats} entries tried, in order, spelled as ingest takes them: Spark datetime
   * patterns, and {@code rfc822} for mail dates. The first that reads every value of a field wins.
   */
  public static final List<String> TIMESTAMP_FORMATS = List.of(
      "yyyy-MM-dd",
      "yyyy-MM-dd HH:mm:ss",
      "yyyy-MM-dd HH:mm",
      "yyyy-MM-dd'T'HH:mm:ss",
      "yyyy-MM-dd'T'HH:mm:ssXXX",
      "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
      "MM/dd/yyyy",
      "MM/dd/yyyy HH:mm",
      "MM/dd/yyyy HH:mm:ss",
      "dd/MM/yyyy",
      "dd/MM/yyyy HH:mm",
      "dd.MM.yyyy",
      "rfc822");

  /** Fewest sampled records before an all-distinct field is taken for an identifier. */
  public static final int MIN_ID_ROWS = 10;
  /** Most distinct values a categorical column has, unless they are at most 5% of the values. */
  public static final int MAX_CATEGORIES = 50;
  public static final int TEXT_MIN_MEAN_LENGTH = 30;
  public static final int TEXT_MIN_MEAN_WORDS = 4;

  /**
   * Names a canonical column may not take: {@code run_id} (lineage) and the columns the features stage adds to
   * {@code gold.dataset}, which a dataset column of the same name would collide with.
   */
  static final Set<String> RESERVED = Set.of("run_id", "split", "fold", "label_index", "weight", "augmented",
      "augmentation", "augmented_from", "features", "text_ids", "merged_from_label");

  private static final Set<String> TIME_TYPES = Set.of("timestamp", "timestamp_ntz", "date");
  private static final Pattern CAMEL = Pattern.compile("([a-z0-9])([A-Z])");
  private static final Pattern NOT_NAME = Pattern.compile("[^a-z0-9]+");
  private static final int SAMPLE_CHARS = 40;

  private ConfGuesser() {}

  /**
   * Guesses every field's role. {@code where} names the sampled file or folder in errors.
   *
   * @throws dev.lakepipe.core.LakepipeException (usage) when {@code labelField} is not a field, or has no value
   *     in the sample
   */
  public static Guess guess(List<FieldProfile> fields, String labelField, String where) {
    FieldProfile label = fields.stream().filter(f -> f.name().equals(labelField)).findFirst()
        .orElseThrow(() -> unknownLabel(fields, labelField, where));
    if (label.present() == 0) {
      throw LakepipeErrors.usage(String.format(Locale.ROOT, "Cannot init: --label '%s' has no value in the %d "
          + "records sampled from %s. Pass the field that holds each record's class.", labelField, label.rows(),
          where));
    }
    List<ColumnGuess> out = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    String eventTime = null;
    Optional<String> eventTimeFormat = Optional.empty();
    String id = null;
    for (int i = 0; i < fields.size(); i++) {
      FieldProfile f = fields.get(i);
      Role role;
      String reason;
      Optional<String> format = timestampFormat(f);
      if (f == label) {
        role = Role.LABEL;
        reason = "--label";
      } else if (f.present() == 0) {
        role = Role.LEFT_OUT;
        reason = "no value in any sampled record";
      } else if (isTimestamp(f)) {
        String readBy = format.map(p -> "every value reads as " + ConfigUtil.quoteString(p))
            .orElse("a Parquet " + f.type() + ", read as ISO-8601");
        if (eventTime == null) {
          role = Role.EVENT_TIME;
          reason = readBy;
          eventTimeFormat = format;
        } else {
          role = Role.LEFT_OUT;
          reason = readBy + ", but the event time is '" + eventTime + "' already; a dataset has one";
        }
      } else if (id == null && isIdentifier(f)) {
        role = Role.ID;
        reason = "every sampled record has a distinct one-word value";
      } else if (f.numeric() == f.present()) {
        role = Role.NUMERIC;
        reason = "every value reads as a number";
      } else if (isCategorical(f)) {
        role = Role.CATEGORICAL;
        reason = "few distinct values, each seen " + ratio(f.present(), f.distinct()) + " times on average";
      } else if (isText(f)) {
        role = Role.TEXT;
        reason = String.format(Locale.ROOT, "long values: %s characters, %s words on average",
            decimal(f.meanLength()), decimal(f.meanWords()));
      } else {
        role = Role.LEFT_OUT;
        reason = leftOutReason(f, id);
      }
      String canonical = role == Role.LEFT_OUT ? null : canonicalName(f.name(), i + 1, taken);
      if (canonical != null && RESERVED.contains(fold(f.name()))) {
        reason += "; named " + canonical + " since " + fold(f.name()) + " is reserved";
      }
      if (role == Role.EVENT_TIME) {
        eventTime = canonical;
      } else if (role == Role.ID) {
        id = canonical;
      }
      out.add(new ColumnGuess(f, role, canonical, reason));
    }
    Guess g = new Guess(out, eventTimeFormat);
    if (!g.hasFeatures() && g.eventTime().isEmpty()) {
      throw LakepipeErrors.usage(String.format(Locale.ROOT, "Cannot init: no field of %s besides the label has "
          + "anything to learn from (a number, a category, a text or a time); %s. Sample more records with "
          + "--sample-rows, or write the conf by hand.", where, g.columns().stream()
          .filter(c -> c.role() != Role.LABEL)
          .map(c -> "'" + c.field().name() + "' " + (c.role() == Role.ID ? "looks like an identifier" : c.reason()))
          .collect(Collectors.joining("; "))));
    }
    return g;
  }

  /**
   * The canonical name for a source field (see the class comment), not in {@code taken}, which it is added to.
   * {@code position} (1-based) names a field whose name has no letter or digit.
   */
  public static String canonicalName(String field, int position, Set<String> taken) {
    String s = fold(field);
    if (s.isEmpty()) {
      s = "c_" + position;
    } else if (Character.isDigit(s.charAt(0))) {
      s = "c_" + s;
    }
    String name = s;
    for (int k = 2; taken.contains(name) || RESERVED.contains(name); k++) {
      name = s + "_" + k;
    }
    taken.add(name);
    return name;
  }

  /**
   * A name folded to lowercase letters, digits and single {@code _}: accents dropped, camelCase split, other
   * characters to {@code _}, no {@code _} at either end. Empty when the name has no letter or digit.
   */
  static String fold(String name) {
    String s = Normalizer.normalize(name, Normalizer.Form.NFKD).replaceAll("\\p{M}", "");
    s = CAMEL.matcher(s).replaceAll("$1_$2").toLowerCase(Locale.ROOT);
    s = NOT_NAME.matcher(s).replaceAll("_");
    return s.replaceAll("^_+|_+$", "");
  }

  /** The first of {@link #TIMESTAMP_FORMATS} that reads every value of the field. */
  private static Optional<String> timestampFormat(FieldProfile f) {
    if (f.present() == 0) {
      return Optional.empty();
    }
    return TIMESTAMP_FORMATS.stream()
        .filter(p -> f.timestampFormats().getOrDefault(p, 0L) == f.present())
        .findFirst();
  }

  private static boolean isTimestamp(FieldProfile f) {
    return timestampFormat(f).isPresent() || (TIME_TYPES.contains(f.type()) && f.iso() == f.present());
  }

  private static boolean isIdentifier(FieldProfile f) {
    boolean decimals = f.numeric() == f.present() && f.integral() < f.present();
    return f.rows() >= MIN_ID_ROWS && f.present() == f.rows() && f.distinct() == f.rows()
        && f.singleToken() == f.present() && !decimals;
  }

  private static boolean isCategorical(FieldProfile f) {
    long limit = Math.max(MAX_CATEGORIES, f.present() / 20);
    return f.distinct() <= limit && f.distinct() * 2 <= f.present();
  }

  private static boolean isText(FieldProfile f) {
    return f.meanLength() >= TEXT_MIN_MEAN_LENGTH || f.meanWords() >= TEXT_MIN_MEAN_WORDS;
  }

  private static String leftOutReason(FieldProfile f, String id) {
    if (f.numeric() * 10 >= f.present() * 9) {
      return String.format(Locale.ROOT, "%d of %d values read as numbers but not all (a missing-value marker?); "
          + "as a numeric column ingest would quarantine the others as BAD_TYPE. Blank them in the source, or map "
          + "it by hand", f.numeric(), f.present());
    }
    String size = String.format(Locale.ROOT, "%d distinct values in %d, %s characters on average",
        f.distinct(), f.present(), decimal(f.meanLength()));
    if (f.distinct() == f.present() && f.present() == f.rows() && id != null) {
      return size + ": unique like the id '" + id + "', too short for text. Map it by hand if it is a feature";
    }
    return size + ": too many for a category, too short for text (a name or a code?). Map it by hand if it "
        + "is a feature";
  }

  private static RuntimeException unknownLabel(List<FieldProfile> fields, String label, String where) {
    List<String> names = fields.stream().map(FieldProfile::name).toList();
    String hint = names.stream().filter(n -> n.equalsIgnoreCase(label.strip())).findFirst()
        .map(n -> " Did you mean '" + n + "'? Names are case-sensitive.").orElse("");
    return LakepipeErrors.usage(String.format(Locale.ROOT,
        "Cannot init: --label '%s' is not a field of %s. Its fields are: %s.%s Pass the field that holds each "
            + "record's class as --label.",
        label, where, names.isEmpty() ? "(none: no record could be read)" : String.join(", ", names), hint));
  }

  /** {@code part} of {@code whole} as a percentage with at most one decimal: 0%, 5%, 1.7%. */
  static String percent(long part, long whole) {
    if (whole == 0 || part == 0) {
      return "0%";
    }
    return decimal(100.0 * part / whole) + "%";
  }

  private static String ratio(long a, long b) {
    return decimal((double) a / b);
  }

  /** One decimal at most, trailing zeros dropped: 2, 2.5. */
  private static String decimal(double v) {
    return BigDecimal.valueOf(v).setScale(1, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
  }

  /** A sample value for a comment: one line, at most {@value #SAMPLE_CHARS} characters, quoted. */
  static String quoteSample(String v) {
    String oneLine = v.replaceAll("\\s+", " ").strip();
    if (oneLine.length() > SAMPLE_CHARS) {
      oneLine = oneLine.substring(0, SAMPLE_CHARS) + "...";
    }
    return ConfigUtil.quoteString(oneLine);
  }
}
