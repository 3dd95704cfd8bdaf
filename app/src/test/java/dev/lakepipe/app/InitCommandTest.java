package dev.lakepipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.lakepipe.app.CliConfigErrorsTest.Result;
import dev.lakepipe.core.testing.SparkTestBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lakepipe init} through the CLI, in-process, on three differently shaped inputs the test writes (a
 * ';'-delimited CSV with symbols in its headers, flat JSON Lines, Parquet written by Spark): every field's role
 * and canonical name, the event time's format, and that {@code validate-conf} accepts the conf unedited. Then a
 * conf init wrote runs ingest, clean and features. Every expected role is worked out by hand from the rows
 * below and {@code ConfGuesser}'s rules.
 */
class InitCommandTest extends SparkTestBase {

  /** A left-out field's comment line in the source's columns block: {@code # "Gate": <reason>; <evidence>}. */
  private static final Pattern LEFT_OUT = Pattern.compile("(?m)^ {6}# \"([^\"]+)\": ");

  @TempDir
  Path dir;

  @Test
  void csvWithSymbolsInHeadersSemicolonsAndTwoTimestamps() throws IOException {
    Path csv = writeFlightsCsv(dir.resolve("flights.csv"));
    Path conf = dir.resolve("conf/flights.conf");

    Result r = CliConfigErrorsTest.cli("init", "--input", csv.toString(), "--label", "Cancelled",
        "--output", conf.toString());

    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("init: sampled 20 records of " + csv + " (csv, 1 file, delimiter ';')")
        .contains("wrote " + conf + " (dataset flights, split policy time)")
        .contains("  ./lakepipe validate-conf --conf " + conf + "\n")
        .contains("  ./lakepipe run --conf " + conf + "\n");
    String text = Files.readString(conf);
    Config c = ConfigFactory.parseFile(conf.toFile());
    assertThat(roles(c, text, "flights")).isEqualTo(Map.ofEntries(
        Map.entry("Flight #", "id flight"),
        Map.entry("Flight Date", "event-time flight_date"),
        Map.entry("Scheduled", "left out"),
        Map.entry("Delay ($)", "numeric delay"),
        Map.entry("Origin Airport", "categorical origin_airport"),
        Map.entry("Cancel Reason", "categorical cancel_reason"),
        Map.entry("Pilot Notes", "text pilot_notes"),
        Map.entry("Gate", "left out"),
        Map.entry("Run ID", "numeric run_id_2"),
        Map.entry("2nd Leg", "categorical c_2nd_leg"),
        Map.entry("Cancelled", "label cancelled")));
    assertThat(c.getStringList("dataset.columns.numeric")).containsExactly("delay", "run_id_2");
    assertThat(c.getStringList("dataset.columns.categorical"))
        .containsExactly("origin_airport", "cancel_reason", "c_2nd_leg");
    assertThat(c.getStringList("dataset.required")).containsExactly("flight", "pilot_notes", "cancelled");
    assertThat(c.getString("ingest.sources.flights.format")).isEqualTo("csv");
    assertThat(c.getString("ingest.sources.flights.path")).isEqualTo(csv.toString());
    assertThat(c.getString("ingest.sources.flights.delimiter")).isEqualTo(";");
    assertThat(c.getStringList("ingest.sources.flights.timestamp-formats")).containsExactly("yyyy-MM-dd");
    assertThat(c.getString("features.split.policy")).isEqualTo("time");
    assertThat(c.getString("features.split.unseen-labels")).isEqualTo("quarantine");
    assertThat(c.getString("tables.mode")).isEqualTo("path");
    assertThat(text)
        .contains("      # event time (every value reads as \"yyyy-MM-dd\"): 20 distinct in 20 sampled, 0% null, "
            + "e.g. \"2024-03-01\", \"2024-03-02\", \"2024-03-03\"\n      flight_date = \"Flight Date\"\n")
        .contains("      # categorical (few distinct values, each seen 4 times on average): 2 distinct in 20 "
            + "sampled, 60% null, e.g. \"Weather\", \"Crew\"\n      cancel_reason = \"Cancel Reason\"\n")
        .contains("      # \"Scheduled\": every value reads as \"yyyy-MM-dd HH:mm:ss\", but the event time is "
            + "'flight_date' already; a dataset has one; 20 distinct in 20 sampled")
        .contains("      # \"Gate\": 15 distinct values in 20, 2.3 characters on average: too many for a category, "
            + "too short for text (a name or a code?). Map it by hand if it is a feature; 15 distinct in 20 "
            + "sampled, 0% null, e.g. \"A1\", \"A2\", \"A3\"\n")
        .contains("  warehouse = \"lakehouse/flights\"\n  warehouse = ${?LAKEPIPE_WAREHOUSE}\n");

    assertValidates(conf, "flights");
  }

  @Test
  void jsonLinesWithFlatRecordsTwoTextsAndNoEventTime() throws IOException {
    // A folder: the first 12 records plain, the last 12 gzipped, and a README that is not data.
    Path folder = Files.createDirectories(dir.resolve("tickets"));
    List<String> lines = ticketsJsonLines().lines().toList();
    Files.writeString(folder.resolve("tickets-1.jsonl"), String.join("\n", lines.subList(0, 12)) + "\n",
        StandardCharsets.UTF_8);
    try (java.io.OutputStream out = new java.util.zip.GZIPOutputStream(
        Files.newOutputStream(folder.resolve("tickets-2.jsonl.gz")))) {
      out.write((String.join("\n", lines.subList(12, 24)) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    Files.writeString(folder.resolve("README.txt"), "Tickets export, one JSON object per line.\n",
        StandardCharsets.UTF_8);
    Path conf = dir.resolve("tickets.conf");

    Result r = CliConfigErrorsTest.cli("init", "--input", folder.toString(), "--label", "category",
        "--output", conf.toString());

    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("init: sampled 24 records of " + folder + " (jsonl, 2 files)");
    String text = Files.readString(conf);
    Config c = ConfigFactory.parseFile(conf.toFile());
    assertThat(roles(c, text, "tickets")).isEqualTo(Map.ofEntries(
        Map.entry("ticketId", "id ticket_id"),
        Map.entry("subject", "categorical subject"),
        Map.entry("summary", "text summary"),
        Map.entry("body", "text body"),
        Map.entry("priority", "numeric priority"),
        Map.entry("queue", "categorical queue"),
        Map.entry("vip", "categorical vip"),
        Map.entry("customer", "left out"),
        Map.entry("rating", "left out"),
        Map.entry("category", "label category"),
        Map.entry("escalated", "categorical escalated")));
    // The longest text first (the main text); fields only later records have come after the first record's.
    assertThat(c.getStringList("dataset.columns.text")).containsExactly("body", "summary");
    assertThat(c.getStringList("dataset.columns.categorical"))
        .containsExactly("subject", "queue", "vip", "escalated");
    assertThat(c.getStringList("dataset.required")).containsExactly("ticket_id", "body", "category");
    assertThat(c.hasPath("dataset.columns.event-time")).isFalse();
    assertThat(c.hasPath("ingest.sources.tickets.timestamp-formats")).isFalse();
    assertThat(c.hasPath("ingest.sources.tickets.delimiter")).isFalse();
    assertThat(c.getString("ingest.sources.tickets.format")).isEqualTo("jsonl");
    assertThat(c.getString("ingest.sources.tickets.include")).isEqualTo("*.{jsonl,jsonl.gz}");
    assertThat(c.getString("features.split.policy")).isEqualTo("stratified");
    assertThat(c.hasPath("features.split.unseen-labels")).isFalse();
    assertThat(text)
        .contains("      # text (long values: 28.6 characters, 5 words on average): 18 distinct in 24 sampled, "
            + "25% null, e.g. \"Customer wrote about issue 0\"")
        .contains("      # \"rating\": no value in any sampled record; 0 distinct in 24 sampled, 100% null\n");

    assertValidates(conf, "tickets");
    // Ingest reads both files (the README is not included) and accepts every record.
    Result ingest = CliConfigErrorsTest.cli("ingest", "--conf", conf.toString(), "--set",
        "tables.warehouse=" + dir.resolve("lake"));
    assertThat(ingest.code()).as(ingest.out() + ingest.err()).isZero();
    assertThat(ingest.out()).containsPattern("(?m)^tickets\\s+jsonl\\s+2\\s+24\\s+24\\s+0\\s+0\\s*$");
  }

  @Test
  void parquetWrittenBySparkWithNoIdAndNoText() {
    Path folder = dir.resolve("payments");
    writePayments(folder);
    Path conf = dir.resolve("payments.conf");

    Result r = CliConfigErrorsTest.cli("init", "--input", folder.toString(), "--label", "isFraud",
        "--output", conf.toString());

    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("init: sampled 20 records of " + folder + " (parquet, 1 file)");
    String text = readString(conf);
    Config c = ConfigFactory.parseFile(conf.toFile());
    assertThat(roles(c, text, "payments")).isEqualTo(Map.ofEntries(
        Map.entry("eventTime", "event-time event_time"),
        Map.entry("bookedOn", "left out"),
        Map.entry("txnAmount", "numeric txn_amount"),
        Map.entry("itemCount", "numeric item_count"),
        Map.entry("weight", "numeric weight_2"),
        Map.entry("channel", "categorical channel"),
        Map.entry("merchant", "left out"),
        Map.entry("note", "left out"),
        Map.entry("isFraud", "label is_fraud")));
    assertThat(c.hasPath("dataset.columns.id")).isFalse();
    assertThat(c.hasPath("dataset.columns.text")).isFalse();
    assertThat(c.getStringList("dataset.required")).containsExactly("is_fraud");
    // A Parquet timestamp with and without fractions: ingest's ISO-8601 reading takes it, no format needed.
    assertThat(c.hasPath("ingest.sources.payments.timestamp-formats")).isFalse();
    assertThat(c.hasPath("ingest.sources.payments.include")).isFalse();
    assertThat(text)
        .contains("      # event time (a Parquet timestamp, read as ISO-8601): 20 distinct in 20 sampled, 0% null, "
            + "e.g. \"2024-01-01 10:00:00\", \"2024-01-01 11:00:00.5\", \"2024-01-01 12:00:00\"\n")
        .contains("      # \"bookedOn\": every value reads as \"yyyy-MM-dd\", but the event time is 'event_time' "
            + "already; a dataset has one;");
    assertThat(c.getString("features.split.policy")).isEqualTo("time");

    assertValidates(conf, "payments");
  }

  @Test
  void unknownLabelNamesTheFileAndItsFieldsAndWritesNothing() throws IOException {
    Path csv = writeFlightsCsv(dir.resolve("flights.csv"));
    Path conf = dir.resolve("flights.conf");

    Result r = CliConfigErrorsTest.cli("init", "--input", csv.toString(), "--label", "cancelled",
        "--output", conf.toString());

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err()).contains("lakepipe: Cannot init: --label 'cancelled' is not a field of " + csv
        + ". Its fields are: Flight #, Flight Date, Scheduled, Delay ($), Origin Airport, Cancel Reason, "
        + "Pilot Notes, Gate, Run ID, 2nd Leg, Cancelled. Did you mean 'Cancelled'? Names are case-sensitive. "
        + "Pass the field that holds each record's class as --label.");
    assertThat(conf).doesNotExist();
  }

  @Test
  void existingOutputIsKeptUnlessForced() throws IOException {
    Path csv = writeFlightsCsv(dir.resolve("flights.csv"));
    Path conf = dir.resolve("flights.conf");
    Files.writeString(conf, "# mine\n", StandardCharsets.UTF_8);

    Result refused = CliConfigErrorsTest.cli("init", "--input", csv.toString(), "--label", "Cancelled",
        "--output", conf.toString());

    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err()).contains("lakepipe: Cannot write " + conf + ": the file exists. Pass --force to "
        + "replace it, or another --output.");
    assertThat(Files.readString(conf)).isEqualTo("# mine\n");

    Result forced = CliConfigErrorsTest.cli("init", "--input", csv.toString(), "--label", "Cancelled",
        "--output", conf.toString(), "--force", "--name", "air", "--sample-rows", "10");

    assertThat(forced.code()).as(forced.out() + forced.err()).isZero();
    assertThat(forced.out()).contains("init: sampled 10 records of");
    Config c = ConfigFactory.parseFile(conf.toFile());
    assertThat(c.getString("dataset.name")).isEqualTo("air");
    assertThat(c.getString("ingest.sources.air.path")).isEqualTo(csv.toString());
    // Ten rows: still an id (10 distinct flights), as MIN_ID_ROWS allows.
    assertThat(c.getString("dataset.columns.id")).isEqualTo("flight");
  }

  @Test
  void anEventTimeAloneGivesItsPartsAsFeatures() throws IOException {
    Path csv = dir.resolve("days.csv");
    StringBuilder sb = new StringBuilder("day,label\n");
    for (int i = 0; i < 12; i++) {
      sb.append(LocalDate.of(2024, 5, 1).plusDays(i)).append(',').append(i % 2 == 0 ? "a" : "b").append('\n');
    }
    Files.writeString(csv, sb.toString(), StandardCharsets.UTF_8);
    Path conf = dir.resolve("days.conf");

    Result r = CliConfigErrorsTest.cli("init", "--input", csv.toString(), "--label", "label",
        "--output", conf.toString());

    assertThat(r.code()).as(r.out() + r.err()).isZero();
    Config c = ConfigFactory.parseFile(conf.toFile());
    assertThat(c.getStringList("features.event-time.parts")).containsExactly("day-of-week", "month");
    assertThat(c.getString("dataset.columns.event-time")).isEqualTo("day");
    assertValidates(conf, "days");
  }

  @Test
  void helpListsInit() {
    Result r = CliConfigErrorsTest.cli("--help");

    assertThat(r.out().lines().map(String::strip)).anyMatch(l -> l.startsWith("init "));
    Result help = CliConfigErrorsTest.cli("init", "--help");
    assertThat(help.out()).contains("--input=FILE|FOLDER", "--label=FIELD", "--output=FILE", "--sample-rows=N",
        "--format=FORMAT", "--name=NAME", "--force");
  }

  /**
   * init on 60 weather rows (a date, two measurements, a station, an outcome: no id, no text), then ingest, clean
   * and features on the conf it wrote, unedited but for the warehouse: every row reaches gold.dataset.
   */
  @Test
  void confWrittenByInitRunsIngestCleanAndFeatures() throws IOException {
    Path csv = dir.resolve("weather.csv");
    StringBuilder sb = new StringBuilder("Day,Temp (C),Rain (mm),Station,Outcome\n");
    for (int i = 0; i < 60; i++) {
      sb.append(LocalDate.of(2024, 1, 1).plusDays(i)).append(',')
          .append(String.format(Locale.ROOT, "%.1f", 10 + (i * 7 % 23) * 0.5)).append(',')
          .append((i * 3) % 11).append(".25,")
          .append(List.of("north", "south", "east").get(i % 3)).append(',')
          .append(i % 4 == 0 ? "rain" : "dry").append('\n');
    }
    Files.writeString(csv, sb.toString(), StandardCharsets.UTF_8);
    Path conf = dir.resolve("weather.conf");
    Path warehouse = dir.resolve("lake");

    Result init = CliConfigErrorsTest.cli("init", "--input", csv.toString(), "--label", "Outcome",
        "--output", conf.toString());
    assertThat(init.code()).as(init.out() + init.err()).isZero();
    Config c = ConfigFactory.parseFile(conf.toFile());
    assertThat(roles(c, Files.readString(conf), "weather")).isEqualTo(Map.of(
        "Day", "event-time day",
        "Temp (C)", "numeric temp_c",
        "Rain (mm)", "numeric rain_mm",
        "Station", "categorical station",
        "Outcome", "label outcome"));

    for (String stage : List.of("ingest", "clean", "features")) {
      Result r = CliConfigErrorsTest.cli(stage, "--conf", conf.toString(), "--set", "tables.warehouse=" + warehouse);
      assertThat(r.code()).as(stage + ": " + r.out() + r.err()).isZero();
    }

    org.apache.spark.sql.Dataset<Row> gold = spark.read().format("delta").load(warehouse.resolve("gold/dataset")
        .toString());
    assertThat(gold.count()).isEqualTo(60);
    // The time policy: the oldest round(60 x 0.8) = 48 days train, then 54 - 48 = 6 validate, the last 6 test.
    Map<String, String> splits = new LinkedHashMap<>();
    gold.groupBy("split").agg(org.apache.spark.sql.functions.count("*"), org.apache.spark.sql.functions.min("day"),
            org.apache.spark.sql.functions.max("day")).orderBy("min(day)").collectAsList()
        .forEach(row -> splits.put(row.getString(0), row.get(1) + " " + row.get(2) + ".." + row.get(3)));
    assertThat(splits).containsExactly(
        Map.entry("train", "48 2024-01-01 00:00:00.0..2024-02-17 00:00:00.0"),
        Map.entry("validation", "6 2024-02-18 00:00:00.0..2024-02-23 00:00:00.0"),
        Map.entry("test", "6 2024-02-24 00:00:00.0..2024-02-29 00:00:00.0"));
  }

  private static void assertValidates(Path conf, String source) {
    Result v = CliConfigErrorsTest.cli("validate-conf", "--conf", conf.toString());
    assertThat(v.code()).as(v.out() + v.err()).isZero();
    assertThat(v.out()).contains("Configuration OK").contains("source " + source + ": ");
  }

  /**
   * Each source field's role as the conf says it: "{@code <role> <canonical>}" for mapped fields (from
   * {@code dataset.columns} and the source's {@code columns}), "left out" for those in the left-out comments.
   */
  private static Map<String, String> roles(Config c, String text, String source) {
    Map<String, String> roleOf = new LinkedHashMap<>();
    Config cols = c.getConfig("dataset.columns");
    for (String role : List.of("id", "label", "event-time")) {
      if (cols.hasPath(role)) {
        roleOf.put(cols.getString(role), role);
      }
    }
    for (String role : List.of("text", "numeric", "categorical")) {
      if (cols.hasPath(role)) {
        cols.getStringList(role).forEach(n -> roleOf.put(n, role));
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    c.getConfig("ingest.sources." + source + ".columns").root().unwrapped()
        .forEach((canonical, field) -> out.put(String.valueOf(field), roleOf.get(canonical) + " " + canonical));
    assertThat(out).hasSize(roleOf.size());
    Matcher m = LEFT_OUT.matcher(text);
    while (m.find()) {
      assertThat(out.put(m.group(1), "left out")).as(m.group(1)).isNull();
    }
    return out;
  }

  /**
   * 20 flights, Excel-style (BOM, CRLF, ';'). Flight # is unique; two timestamp fields (the first is the event
   * time); Delay has 4 decimal values; Cancel Reason is blank in 12 rows; Pilot Notes are long and hold the
   * delimiter (quoted); Gate has 15 short values; Run ID is unique but the id is taken and "run_id" reserved.
   */
  private static Path writeFlightsCsv(Path file) throws IOException {
    StringBuilder sb = new StringBuilder("\uFEFFFlight #;Flight Date;Scheduled;Delay ($);Origin Airport;"
        + "Cancel Reason;Pilot Notes;Gate;Run ID;2nd Leg;Cancelled\r\n");
    String[] delays = {"12.5", "0", "-3", "45.25"};
    String[] origins = {"JFK", "LAX", "ORD", "SFO"};
    for (int i = 0; i < 20; i++) {
      LocalDate day = LocalDate.of(2024, 3, 1).plusDays(i);
      sb.append("AA").append(1001 + i).append(';')
          .append(day).append(';')
          .append(day).append(String.format(Locale.ROOT, " %02d:15:00", 6 + i % 12)).append(';')
          .append(delays[i % 4]).append(';')
          .append(origins[i % 4]).append(';')
          .append(i % 5 == 0 ? "Weather" : i % 5 == 3 ? "Crew" : "").append(';')
          .append("\"Leg ").append(i + 1).append(": smooth departure; light chop over the lakes\"").append(';')
          .append('A').append(i % 15 + 1).append(';')
          .append(100 + i).append(';')
          .append(i % 2 == 0 ? "true" : "false").append(';')
          .append(i % 5 == 0 ? "yes" : "no").append("\r\n");
    }
    Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    return file;
  }

  /**
   * 24 tickets: ticketId unique numbers; subject 3 values; summary (absent from every 4th record) and body long
   * and distinct; priority 1-3; queue and vip few values; customer 18 short values; rating always null;
   * escalated only in the last 12 records.
   */
  private static String ticketsJsonLines() {
    StringBuilder sb = new StringBuilder();
    String[] subjects = {"Refund request", "Login problem", "Broken link"};
    String[] categories = {"billing", "tech", "account"};
    for (int i = 0; i < 24; i++) {
      sb.append("{\"ticketId\": ").append(5001 + i)
          .append(", \"subject\": \"").append(subjects[i % 3]).append('"');
      if (i % 4 != 3) {
        sb.append(", \"summary\": \"Customer wrote about issue ").append(i).append('"');
      }
      sb.append(", \"body\": \"Hello, I have a problem with my account: ticket ").append(i)
          .append(" needs attention because the page keeps failing after login.\"")
          .append(", \"priority\": ").append(1 + i % 3)
          .append(", \"queue\": \"").append(i % 2 == 0 ? "billing" : "tech").append('"')
          .append(", \"vip\": ").append(i % 6 == 0)
          .append(", \"customer\": \"cust-").append(i % 18).append('"')
          .append(", \"rating\": null")
          .append(", \"category\": \"").append(categories[(i / 2) % 3]).append('"');
      if (i >= 12) {
        sb.append(", \"escalated\": \"").append(i % 4 == 0 ? "yes" : "no").append('"');
      }
      sb.append("}\n");
    }
    return sb.toString();
  }

  /**
   * 20 payments as one Parquet file: eventTime hourly, odd hours with half a second (Spark renders those with a
   * fraction); bookedOn a date; decimal amounts; item counts 1-4; weight 0, 0.5, 1; channel 3 values; merchant
   * 14 values; note always null.
   */
  private void writePayments(Path folder) {
    StructType schema = new StructType()
        .add("eventTime", DataTypes.TimestampType)
        .add("bookedOn", DataTypes.DateType)
        .add("txnAmount", DataTypes.DoubleType)
        .add("itemCount", DataTypes.IntegerType)
        .add("weight", DataTypes.DoubleType)
        .add("channel", DataTypes.StringType)
        .add("merchant", DataTypes.StringType)
        .add("note", DataTypes.StringType)
        .add("isFraud", DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    String[] channels = {"web", "app", "store"};
    for (int i = 0; i < 20; i++) {
      Instant t = Instant.parse("2024-01-01T10:00:00Z").plus(i, ChronoUnit.HOURS)
          .plusMillis(i % 2 == 1 ? 500 : 0);
      rows.add(RowFactory.create(Timestamp.from(t), Date.valueOf(LocalDate.of(2024, 1, 1).plusDays(i / 2)),
          10.5 + i * 1.25, 1 + i % 4, 0.5 * (i % 3), channels[i % 3], "m" + i % 14, null,
          i % 4 == 0 ? "yes" : "no"));
    }
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(folder.toString());
  }

  private static String readString(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
