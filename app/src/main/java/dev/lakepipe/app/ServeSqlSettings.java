package dev.lakepipe.app;

import com.typesafe.config.Config;
import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The {@code serve-sql} section: where {@code lakepipe serve-sql} listens for JDBC clients and who may log in.
 *
 * <p>Safe by default: it binds {@code 127.0.0.1}, so only this machine reaches it; a host that is not a loopback
 * address is refused unless {@code serve-sql.allow-non-loopback = true}. With {@code auth = password} the client
 * logs in as {@code user} with the password held by the environment variable {@code password-env} names; a
 * password written in the conf itself ({@code serve-sql.password}) is rejected, since conf files are copied,
 * committed and shipped with {@code --files}.
 */
record ServeSqlSettings(String host, int port, boolean allowNonLoopback, Auth auth, String user, String passwordEnv) {

  /** How JDBC clients log in. */
  enum Auth {
    /** Any user name, no password checked (Hive's {@code NONE}). */
    NONE,
    /** {@link ServeSqlSettings#user()} and the password from {@link ServeSqlSettings#passwordEnv()}. */
    PASSWORD
  }

  static final String SECTION = "serve-sql";
  static final String DEFAULT_HOST = "127.0.0.1";
  static final int DEFAULT_PORT = 10000;
  static final String DEFAULT_USER = "lakepipe";
  static final String DEFAULT_PASSWORD_ENV = "LAKEPIPE_SQL_PASSWORD";

  private static final Set<String> KEYS = Set.of("host", "port", "allow-non-loopback", "auth", "user",
      "password-env");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** The section of an already loaded conf, validated (exit 2 listing every problem). */
  static ServeSqlSettings parse(LakepipeConfig config) {
    return config.parseStage(ServeSqlSettings::parse);
  }

  /** Reads and checks {@code serve-sql}; problems go to {@code problems}, defaults stand in for bad values. */
  static ServeSqlSettings parse(Config merged, DatasetSchema dataset, ConfigProblems problems) {
    Config c = problems.section(merged, SECTION, "{ port = 10000 }");
    if (c.hasPath("password")) {
      // Never echo the value: it is a password.
      problems.add("Key serve-sql.password is not allowed: a password in a conf file is readable by everyone who "
          + "can read the file. Remove it, put the password in an environment variable and name that variable in "
          + "serve-sql.password-env (default " + DEFAULT_PASSWORD_ENV + ").");
      c = c.withoutPath("password");
    }
    problems.rejectUnknownKeys(c, SECTION, KEYS);
    String host = problems.optString(c, SECTION, "host").orElse(DEFAULT_HOST);
    if (host.isBlank()) {
      problems.add("Key serve-sql.host is empty. Set it to the address to listen on, e.g. 127.0.0.1.");
      host = DEFAULT_HOST;
    }
    int port = problems.intValue(c, SECTION, "port", 1, DEFAULT_PORT);
    if (port > 65535) {
      problems.add("Key serve-sql.port must be at most 65535, got %d.", port);
      port = DEFAULT_PORT;
    }
    boolean allowNonLoopback = problems.bool(c, SECTION, "allow-non-loopback", false);
    Auth auth = Auth.valueOf(problems.oneOf(c, SECTION, "auth", List.of("none", "password"), "none")
        .toUpperCase(Locale.ROOT));
    String user = problems.optString(c, SECTION, "user").orElse(DEFAULT_USER);
    if (user.isBlank()) {
      problems.add("Key serve-sql.user is empty. Set the user name clients log in with, e.g. lakepipe.");
      user = DEFAULT_USER;
    }
    String passwordEnv = problems.optString(c, SECTION, "password-env").orElse(DEFAULT_PASSWORD_ENV);
    if (!ENV_NAME.matcher(passwordEnv).matches()) {
      problems.add("Key serve-sql.password-env is '%s', not an environment variable name. Name the variable that "
          + "holds the password (letters, digits and _), e.g. %s.", passwordEnv, DEFAULT_PASSWORD_ENV);
      passwordEnv = DEFAULT_PASSWORD_ENV;
    }
    return new ServeSqlSettings(host, port, allowNonLoopback, auth, user, passwordEnv);
  }

  /**
   * The address to bind, refusing one that is not a loopback address unless the conf allows it explicitly.
   * {@code origin} names the conf files in the message.
   */
  InetAddress bindAddress(String origin) {
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw LakepipeErrors.config("Cannot start serve-sql: serve-sql.host '" + host + "' (" + origin
          + ") is not an address of this machine. Set serve-sql.host to one, e.g. 127.0.0.1.");
    }
    if (!address.isLoopbackAddress() && !allowNonLoopback) {
      throw LakepipeErrors.config("Cannot start serve-sql: serve-sql.host is '" + host + "' (" + origin
          + "), not a loopback address, so every machine that reaches this one could read every table"
          + (auth == Auth.NONE ? " without a password" : "") + ". Keep the default 127.0.0.1 (analysts on other "
          + "machines can use an SSH tunnel), or set serve-sql.allow-non-loopback = true in the conf to serve "
          + "other machines" + (auth == Auth.NONE ? ", with serve-sql.auth = password" : "") + ".");
    }
    return address;
  }

  /**
   * The password clients must give, from the environment variable {@link #passwordEnv()} ({@code env} is
   * {@code System::getenv} outside tests); exit 2 naming the variable when it is unset or empty.
   */
  String password(UnaryOperator<String> env) {
    String value = env.apply(passwordEnv);
    if (value == null || value.isEmpty()) {
      throw LakepipeErrors.config("Cannot start serve-sql: serve-sql.auth is password but environment variable "
          + passwordEnv + " (named by serve-sql.password-env) is " + (value == null ? "not set" : "empty")
          + ". Export it before starting (export " + passwordEnv + "=...); passwords are never read from conf "
          + "files.");
    }
    return value;
  }

  /** The URL JDBC clients (DBeaver, beeline) connect to. */
  String jdbcUrl() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return "jdbc:hive2://" + h + ":" + port + "/default";
  }
}
