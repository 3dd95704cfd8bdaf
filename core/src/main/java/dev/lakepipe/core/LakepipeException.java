package dev.lakepipe.core;

/**
 * The one exception type users see. Its {@link Kind} decides the CLI exit code: usage and configuration
 * problems exit 2 (fix the command or the conf and run again), job failures exit 1.
 * Messages follow "Cannot &lt;action&gt;: &lt;reason&gt;. &lt;fix&gt;" and are built in {@link LakepipeErrors}.
 */
public final class LakepipeException extends RuntimeException {

  /** What went wrong, and so which exit code the CLI returns. */
  public enum Kind {
    USAGE(2),
    CONFIG(2),
    JOB(1);

    private final int exitCode;

    Kind(int exitCode) {
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  private final Kind kind;

  LakepipeException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public int exitCode() {
    return kind.exitCode();
  }
}
