package dev.lakepipe.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lpad;
import static org.apache.spark.sql.functions.to_timestamp;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * The preparation step of the flights-3m benchmark (bare Spark, outside the timed pipeline): the vega-datasets
 * table {@code flights-3m.parquet} has no label column, so this adds one and writes Parquet that ingest reads.
 *
 * <p>Out: {@code flight_time} (timestamp: the source's {@code date}; the file holds flights of 2001, its
 * {@code date} is a timestamp without time zone in vega-datasets 3.2.1, read as UTC; a string or number is read as
 * {@code MMddHHmm} of 2001),
 * {@code delay} and {@code distance} as in the source, {@code origin}, {@code destination}, and
 * {@code label} = {@code "delayed"} when the arrival delay {@code delay} is over 15 minutes, else
 * {@code "on_time"}. The rows are written as {@code files} Parquet files (default 8), so ingest reads them in
 * parallel on any number of cores.
 *
 * <p>Usage: {@code FlightsPrep <flights-3m.parquet> <out-folder> [files=8]}; prints the input schema and the
 * label counts.
 */
public final class FlightsPrep {

  private FlightsPrep() {}

  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: FlightsPrep <flights-3m.parquet> <out-folder> [files=8]");
      System.exit(2);
    }
    int files = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    SparkSession spark = SparkSession.builder().master("local[2]").appName("lakepipe flights prep")
        .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC").getOrCreate();
    try {
      Dataset<Row> in = spark.read().parquet(args[0]);
      System.out.println("input: " + args[0]);
      in.printSchema();
      in.show(3, false);
      var dateType = in.schema().apply("date").dataType();
      var time = dateType == DataTypes.TimestampType || dateType == DataTypes.DateType
          || dateType == DataTypes.TimestampNTZType
          ? col("date").cast(DataTypes.TimestampType)
          : to_timestamp(concat(lit("2001"), lpad(col("date").cast(DataTypes.StringType), 8, "0")), "yyyyMMddHHmm");
      Dataset<Row> out = in.select(time.as("flight_time"), col("delay"), col("distance"), col("origin"),
              col("destination"), when(col("delay").gt(15), lit("delayed")).otherwise(lit("on_time")).as("label"))
          .repartition(files);
      out.write().mode("overwrite").parquet(args[1]);
      Dataset<Row> written = spark.read().parquet(args[1]);
      written.groupBy("label").count().show();
      System.out.println("written: " + args[1] + ", " + written.count() + " rows, null flight_time: "
          + written.filter(col("flight_time").isNull()).count());
    } finally {
      spark.stop();
    }
  }
}
