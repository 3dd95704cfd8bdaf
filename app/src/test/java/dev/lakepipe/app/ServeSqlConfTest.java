package dev.lakepipe.app;

import static dev.lakepipe.app.CliConfigErrorsTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.app.CliConfigErrorsTest.Result;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve-sql}'s conf and its refusals, through the CLI and before any Spark starts: the defaults (loopback,
 * port 10000, no password) as {@code --dry-run} prints them; a non-loopback bind refused unless
 * {@code serve-sql.allow-non-loopback = true}; a password written into a conf file rejected without echoing it;
 * a missing password variable named; bad values listed at once. Serving itself: {@link ServeSqlIT}.
 */
class ServeSqlConfTest {

  @TempDir
  Path dir;

  private static String conf() {
    return CliSampleDataTest.repoRoot().resolve("conf/application.conf").toString();
  }

  /** The sample conf plus {@code extra}, in a folder of its own (so no local.conf is layered on). */
  private Path confWith(String extra) throws IOException {
    Path c = dir.resolve("serve.conf");
    Files.writeString(c, "include file(\"" + conf() + "\")\n" + extra);
    return c;
  }

  @Test
  void dryRunPrintsTheLoopbackDefaultsAndStartsNothing() {
    boolean sessionBefore = SparkSession.getDefaultSession().isDefined();

    Result r = cli("serve-sql", "--dry-run", "--conf", conf());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(String.join("\n",
        "lakepipe serve-sql --dry-run: the configuration is valid; nothing was started (no Spark session, no port "
            + "opened).",
        "conf:    " + conf() + " + local.conf",
        "env:     local",
        "tables:  path mode: every Delta table that exists at lakehouse/<database>/<table>, registered under its name",
        "serves:  jdbc:hive2://127.0.0.1:10000/default (bind 127.0.0.1, port 10000)",
        "login:   no password (serve-sql.auth = none): any user name is accepted",
        ""));
    assertThat(SparkSession.getDefaultSession().isDefined()).isEqualTo(sessionBefore);
  }

  @Test
  void nonLoopbackBindIsRefusedWithoutTheOptIn() {
    for (String host : new String[] {"0.0.0.0", "192.0.2.10"}) {
      Result r = cli("serve-sql", "--conf", conf(), "--set", "serve-sql.host=" + host);

      assertThat(r.code()).as(r.err()).isEqualTo(2);
      assertThat(r.err()).startsWith("lakepipe: Cannot start serve-sql: serve-sql.host is '" + host + "' ("
          + conf() + " + local.conf + --set), not a loopback address, so every machine that reaches this one could "
          + "read every table without a password. Keep the default 127.0.0.1 (analysts on other machines can use "
          + "an SSH tunnel), or set serve-sql.allow-non-loopback = true in the conf to serve other machines, with "
          + "serve-sql.auth = password.");
      assertThat(r.out()).isEmpty();
    }
  }

  @Test
  void nonLoopbackBindIsAcceptedWithTheOptIn() throws Exception {
    Result r = cli("serve-sql", "--dry-run", "--conf", conf(), "--set", "serve-sql.host=0.0.0.0",
        "--set", "serve-sql.allow-non-loopback=true", "--set", "serve-sql.port=10123");

    assertThat(r.code()).as(r.err()).isZero();
    // A wildcard bind is reached by this machine's name, which is what the URL shows.
    assertThat(r.out()).contains("serves:  jdbc:hive2://" + InetAddress.getLocalHost().getHostName()
        + ":10123/default (bind 0.0.0.0, port 10123)");
  }

  @Test
  void passwordInTheConfFileIsRejectedWithoutEchoingIt() throws IOException {
    Path c = confWith("serve-sql { auth = password, password = \"hunter2-literal\" }\n");

    for (String command : new String[] {"serve-sql", "validate-conf"}) {
      Result r = cli(command, "--conf", c.toString());

      assertThat(r.code()).as(r.err()).isEqualTo(2);
      assertThat(r.err()).contains("has 1 problem:", "  - Key serve-sql.password is not allowed: a password in a "
          + "conf file is readable by everyone who can read the file. Remove it, put the password in an environment "
          + "variable and name that variable in serve-sql.password-env (default LAKEPIPE_SQL_PASSWORD).");
      assertThat(r.err()).doesNotContain("hunter2-literal");
    }
  }

  @Test
  void passwordModeNamesTheMissingVariable() {
    String variable = "LAKEPIPE_TEST_UNSET_PASSWORD_VARIABLE";
    assertThat(System.getenv(variable)).isNull();

    Result r = cli("serve-sql", "--dry-run", "--conf", conf(), "--set", "serve-sql.auth=password",
        "--set", "serve-sql.password-env=" + variable);

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).startsWith("lakepipe: Cannot start serve-sql: serve-sql.auth is password but environment "
        + "variable " + variable + " (named by serve-sql.password-env) is not set. Export it before starting "
        + "(export " + variable + "=...); passwords are never read from conf files.");
  }

  @Test
  void badValuesAreListedAtOnce() throws IOException {
    Path c = confWith("serve-sql { port = 70000, auth = kerberos, prot = 1, password-env = \"not a name\" }\n");

    Result r = cli("serve-sql", "--conf", c.toString());

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("has 4 problems:",
        "  - Unknown key serve-sql.prot. Did you mean 'serve-sql.port'?",
        "  - Key serve-sql.port must be at most 65535, got 70000.",
        "  - Key serve-sql.auth is 'kerberos'. Use one of none, password.",
        "  - Key serve-sql.password-env is 'not a name', not an environment variable name.");
  }
}
