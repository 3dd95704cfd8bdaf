package dev.lakepipe.app;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.security.sasl.AuthenticationException;
import org.apache.hive.service.auth.PasswdAuthenticationProvider;

/**
 * Checks the user name and password of a JDBC login to {@code lakepipe serve-sql} with {@code auth = password}.
 * The Thrift server instantiates this class by name (Hive's {@code CUSTOM} authentication,
 * {@code hive.server2.custom.authentication.class}) with no way to pass it settings, so the expected credentials
 * are installed here by {@link ThriftSqlServer} before it starts and cleared when it stops: one server per JVM,
 * the password held in memory only, read from the environment variable the conf names. Comparisons take the same
 * time whatever the input, so timing does not reveal how much of a guess was right.
 */
public final class SqlPasswordAuthenticator implements PasswdAuthenticationProvider {

  private record Credentials(byte[] user, byte[] password) {}

  private static volatile Credentials expected;

  /** Created by the Thrift server by reflection, once per login. */
  public SqlPasswordAuthenticator() {
    // No state of its own: the credentials are installed with install(...).
  }

  static void install(String user, String password) {
    expected = new Credentials(user.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8));
  }

  static void clear() {
    expected = null;
  }

  @Override
  public void Authenticate(String user, String password) throws AuthenticationException {
    Credentials c = expected;
    boolean userOk = c != null && user != null
        && MessageDigest.isEqual(c.user(), user.getBytes(StandardCharsets.UTF_8));
    boolean passwordOk = c != null && password != null
        && MessageDigest.isEqual(c.password(), password.getBytes(StandardCharsets.UTF_8));
    if (!(userOk && passwordOk)) {
      // The client sees this text; it names neither which part was wrong nor the expected user.
      throw new AuthenticationException("Cannot log in to lakepipe serve-sql: wrong user name or password");
    }
  }
}
