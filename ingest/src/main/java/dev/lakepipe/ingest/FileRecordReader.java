package dev.lakepipe.ingest;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Reads input files on executors, one task per file, and streams {@link RawRecords} rows with exact line
 * numbers. One task per file is the same parallelism Spark's own CSV reader has for multi-line fields and gzip
 * input (neither can be split); many files give many tasks.
 *
 * <p>Streaming: {@link #call} returns a lazy iterator that opens the file when first asked and parses the next
 * record only when Spark asks for the next row, so a CSV or JSON Lines file of any size is read in bounded
 * memory (the parser's buffers and one record). The file is closed when the iterator is exhausted and, when the
 * iterator runs in a Spark task, when the task completes or fails (a {@code limit} that stops early, a failed
 * task). {@code email} and {@code text} files are one record each and are read whole.
 *
 * <p>Compressed files (any Hadoop codec by extension: .gz, .bz2, ...) are read as-is; a UTF-8 byte order mark
 * is dropped. A file that fails mid-way (a cut or corrupt compressed stream, bytes not valid in the charset)
 * gives the records read before the failure and then one {@code UNREADABLE_FILE} record at the line where it
 * failed, so the quarantine names file and line. A file with a NUL byte in its first 8,000 bytes is binary
 * (an image, an archive) and is one {@code UNREADABLE_FILE} record, never text.
 *
 * <p>Charset: a UTF-8 byte order mark means UTF-8; otherwise a file that is valid UTF-8 is read as UTF-8 and
 * the others with the source's {@code encoding}. With {@code encoding} UTF-8 (the default) each file is read
 * once. With another (ASCII-compatible) {@code encoding}, whether a file is valid UTF-8 is only known at its
 * end, and rows already handed to Spark cannot be taken back: so each CSV or JSON Lines file is first read
 * through in UTF-8 by the same reader, records counted and dropped (bounded memory), up to the first byte that
 * is not valid UTF-8; then it is streamed once in the charset that read gives (UTF-8 when it met no such byte,
 * else {@code encoding}). A valid UTF-8 file is so read twice, a file in {@code encoding} about one and a half
 * times (to its first non-UTF-8 byte, then whole): the same decisions as reading the whole file into memory
 * first, at the cost of one more read of the UTF-8 files of such a source. Decoding is strict: a byte not
 * valid in the charset is a read failure, never a silent U+FFFD. Text is decoded by {@link TextReader}, which
 * loses none of the characters before a failure, and no layer below it reads ahead past one call, so the
 * records before the damage are read whatever the buffer sizes.
 */
final class FileRecordReader implements FlatMapFunction<InputFile, Row> {

  /** How many leading bytes are looked at for a NUL byte (git and grep look at 8,000 to call a file binary). */
  static final int BINARY_PROBE = 8000;

  private final SourceSettings source;
  private final HadoopConf hadoopConf;
  private final long maxRecordsPerFile;
  /** The file this reader's task reads now (one at a time), closed when the task completes. */
  private transient Records current;
  /** The task whose completion closes {@link #current}. */
  private transient TaskContext listening;

  FileRecordReader(SourceSettings source, HadoopConf hadoopConf) {
    this(source, hadoopConf, Long.MAX_VALUE);
  }

  /** A reader that stops each file after {@code maxRecordsPerFile} records (a sample; ingest reads all). */
  FileRecordReader(SourceSettings source, HadoopConf hadoopConf, long maxRecordsPerFile) {
    this.source = source;
    this.hadoopConf = hadoopConf;
    this.maxRecordsPerFile = maxRecordsPerFile;
  }

  /**
   * The file's rows, read lazily. Closing the returned iterator (it is {@link Closeable}) closes the file;
   * inside a Spark task that happens by itself when the task ends, through one completion listener per task
   * (a task reads its files one after the other, so at most one is open).
   */
  @Override
  public Iterator<Row> call(InputFile file) {
    if (current != null) {
      current.close();
    }
    current = new Records(file);
    TaskContext task = TaskContext.get();
    if (task != null && listening != task) {
      listening = task;
      task.addTaskCompletionListener((TaskCompletionListener) context -> {
        if (current != null) {
          current.close();
        }
      });
    }
    return current;
  }

  /** One record source of a file: the next row, or null at the end. */
  interface RecordStream extends Closeable {
    Row next() throws IOException;
  }

  /** The rows of one file: picks the charset on first use, then streams one {@link Pass}. */
  final class Records implements Iterator<Row>, Closeable {
    private final InputFile file;
    private Pass pass;
    private Row next;
    private boolean ended;
    private boolean closed;

    private Records(InputFile file) {
      this.file = file;
    }

    @Override
    public boolean hasNext() {
      if (next == null && !ended) {
        if (pass == null) {
          pass = new Pass(file, charset());
        }
        next = pass.next();
        ended = next == null;
      }
      return next != null;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException("no more records in " + file.path());
      }
      Row row = next;
      next = null;
      return row;
    }

    /**
     * UTF-8 when the file reads as UTF-8 to where the reader stops (see the class comment), else the source's
     * {@code encoding}. A read that stops for another reason (a cut gzip stream) keeps UTF-8: the streamed read
     * stops at the same place and reports it.
     */
    private Charset charset() {
      Charset configured = Charset.forName(source.encoding());
      if (source.format().isOneRecordPerFile() || configured.equals(StandardCharsets.UTF_8)
          || !asciiCompatible(configured)) {
        return configured;
      }
      pass = new Pass(file, StandardCharsets.UTF_8);
      while (!closed && pass.next() != null) {
        // Counted and dropped: only where the UTF-8 read ends matters.
      }
      Exception failure = pass.failure;
      pass.close();
      pass = null;
      return isDecodingFailure(failure) ? configured : StandardCharsets.UTF_8;
    }

    /** Closes the file; no more rows come. Safe to call more than once, from a task completion listener too. */
    @Override
    public void close() {
      closed = true;
      ended = true;
      next = null;
      if (pass != null) {
        pass.close();
      }
    }
  }

  /**
   * One read of a file in one charset: the binary probe, then the format's records one by one, then the
   * {@code UNREADABLE_FILE} row of what stopped the read early, if anything. Closes the file at its end.
   */
  private final class Pass {
    private final InputFile file;
    private final Charset charset;
    private Lookahead in;
    private RecordStream records;
    private boolean finished;
    private boolean emittedAny;
    private long lastRow;
    /** What stopped this read early (null if nothing did); set when the read has finished. */
    private Exception failure;

    Pass(InputFile file, Charset charset) {
      this.file = file;
      this.charset = charset;
    }

    /** The next row, or null once the file (and its failure row, if any) has been read. */
    Row next() {
      if (finished) {
        return null;
      }
      try {
        if (records == null) {
          records = open();
        }
        Row row = records.next();
        if (row != null) {
          emittedAny = true;
          lastRow = row.isNullAt(3) ? 0L : row.getLong(3);
          return row;
        }
        return finish(null);
      } catch (UncheckedIOException e) {
        return finish(e.getCause());
      } catch (IOException | RuntimeException e) {
        return finish(e);
      }
    }

    /** Opens the file and the format's record stream: a single row for a binary file or a message. */
    private RecordStream open() throws IOException {
      in = new Lookahead(FileRecordReader.open(hadoopConf, file.path()), BINARY_PROBE);
      int nul = asciiCompatible(charset) ? in.firstNul() : -1;
      if (nul >= 0) {
        return single(RawRecords.error(file, 1L, RawRecords.UNREADABLE_FILE,
            "Cannot read " + file.path() + ": it is binary (a NUL byte at offset " + nul + "), not "
                + (source.format() == SourceFormat.TEXT ? "text" : source.format().id() + " text")
                + ". Remove it from the source's folder or narrow ingest.sources." + source.name()
                + ".include (e.g. \"" + switch (source.format()) {
                  case TEXT -> "*.txt";
                  case EMAIL -> "*.eml";
                  default -> "*." + source.format().id();
                } + "\").", null));
      }
      return switch (source.format()) {
        case CSV -> CsvRecords.stream(file, source, reader(in, charset), maxRecordsPerFile);
        case JSONL -> JsonLinesRecords.stream(file, new BufferedReader(reader(in, charset)), maxRecordsPerFile);
        case EMAIL -> single(MessageRecords.read(file, in.readAllBytes(), charset, true));
        case TEXT -> single(MessageRecords.read(file, in.readAllBytes(), charset, false));
        default -> throw new IllegalStateException("not a file format: " + source.format());
      };
    }

    /**
     * Ends the read: closes the file (a failure to close counts as the read's failure when nothing else
     * stopped it, as a try-with-resources would) and returns the failure's row, or null.
     */
    private Row finish(Exception stoppedBy) {
      finished = true;
      Exception closing = closeQuietly();
      failure = stoppedBy != null ? stoppedBy : closing;
      return failure == null ? null : failureRow(file, charset, failure, emittedAny ? lastRow + 1 : 1L);
    }

    void close() {
      finished = true;
      closeQuietly();
    }

    private Exception closeQuietly() {
      Exception first = null;
      if (records != null) {
        try {
          records.close();
        } catch (IOException | RuntimeException e) {
          first = e;
        }
        records = null;
      }
      if (in != null) {
        try {
          in.close();
        } catch (IOException | RuntimeException e) {
          first = first == null ? e : first;
        }
        in = null;
      }
      return first;
    }
  }

  private static RecordStream single(Row row) {
    return new RecordStream() {
      private boolean done;

      @Override
      public Row next() {
        if (done) {
          return null;
        }
        done = true;
        return row;
      }

      @Override
      public void close() {
        done = true;
      }
    };
  }

  /**
   * The UNREADABLE_FILE row for {@code failure}, at the line where it happened ({@code nextLine}, the line
   * after the last row read, when the failure does not name one).
   */
  private Row failureRow(InputFile file, Charset charset, Exception failure, long nextLine) {
    long line = failure instanceof ReadFailure f ? f.line : nextLine;
    Throwable cause = failure instanceof ReadFailure f ? f.getCause() : failure;
    String message = isDecodingFailure(failure)
        ? "Cannot read " + file.path() + ": line " + line + " is not valid " + charset.name() + ". Set ingest.sources."
            + source.name() + ".encoding to the file's charset (e.g. \"windows-1252\"; files that are valid UTF-8 "
            + "stay UTF-8), or convert the file to UTF-8; the records before this line were read."
        : "Cannot read " + file.path() + " after line " + (line - 1) + ": " + cause
            + ". Replace or repair the file; the records before this line were read.";
    return RawRecords.error(file, line, RawRecords.UNREADABLE_FILE, message, null);
  }

  /**
   * An I/O failure (a cut gzip stream, bytes not valid in the charset) at a known line, thrown by the text
   * readers so the quarantine row names the line the damage starts on.
   */
  static final class ReadFailure extends IOException {
    final long line;

    ReadFailure(long line, IOException cause) {
      super(cause);
      this.line = line;
    }
  }

  private static boolean isDecodingFailure(Exception e) {
    return e instanceof CharacterCodingException
        || e instanceof ReadFailure f && f.getCause() instanceof CharacterCodingException;
  }

  /**
   * A stream whose first bytes are read ahead (to look for a NUL byte) and then served again before the rest. A
   * failure met while reading ahead (a damaged gzip header, a file cut within its first bytes) is raised once
   * the bytes before it were read. Each read asks the stream below at most once: a {@code BufferedInputStream}
   * loops while {@code available()} is positive, which a decompressing stream always says, and a failure in a
   * later round of its loop throws away the bytes of the earlier rounds.
   */
  static final class Lookahead extends InputStream {
    private final InputStream in;
    private final byte[] head;
    private final int length;
    private int pos;
    private IOException failure;

    Lookahead(InputStream in, int size) {
      this.in = in;
      this.head = new byte[size];
      int n = 0;
      try {
        for (int r; n < size && (r = in.read(head, n, size - n)) >= 0; ) {
          n += r;
        }
      } catch (IOException e) {
        failure = e;
      }
      this.length = n;
    }

    /** Offset of the first NUL byte among the bytes read ahead, or -1. */
    int firstNul() {
      for (int i = 0; i < length; i++) {
        if (head[i] == 0) {
          return i;
        }
      }
      return -1;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (len == 0) {
        return 0;
      }
      if (pos < length) {
        int n = Math.min(len, length - pos);
        System.arraycopy(head, pos, b, off, n);
        pos += n;
        return n;
      }
      if (failure != null) {
        throw failure;
      }
      return in.read(b, off, len);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Whether ASCII text reads the same in {@code charset} (UTF-8, ISO-8859-x, windows-125x; not UTF-16). */
  static boolean asciiCompatible(Charset charset) {
    String ascii = "id,text;\"x\"\n";
    return charset.canEncode() && java.util.Arrays.equals(ascii.getBytes(charset),
        ascii.getBytes(StandardCharsets.US_ASCII));
  }

  /** Opens a file, decompressed when its extension names a Hadoop codec (.gz, .bz2, ...). */
  static InputStream open(HadoopConf hadoopConf, String path) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(hadoopConf.get());
    InputStream raw = fs.open(p);
    CompressionCodec codec = new CompressionCodecFactory(hadoopConf.get()).getCodec(p);
    return codec == null ? raw : codec.createInputStream(raw);
  }

  /** The stream's text, strictly decoded, a leading UTF-8 byte order mark dropped (see {@link TextReader}). */
  static TextReader reader(InputStream in, Charset charset) {
    return new TextReader(in, charset);
  }
}
