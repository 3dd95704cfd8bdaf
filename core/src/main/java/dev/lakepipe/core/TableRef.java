package dev.lakepipe.core;

/**
 * One table of the catalog: its logical key in conf ({@code bronze-records}), its SQL name
 * ({@code bronze.records}) and, in path mode, its location (null in metastore mode).
 */
public record TableRef(String key, String name, String location) {

  public String database() {
    return name.substring(0, name.indexOf('.'));
  }

  public String table() {
    return name.substring(name.indexOf('.') + 1);
  }

  /** How SQL names the table: its name in metastore mode, {@code delta.`<location>`} in path mode. */
  public String sqlTarget() {
    return location == null ? name : "delta.`" + location.replace("`", "``") + "`";
  }

  @Override
  public String toString() {
    return location == null ? name : name + " (" + location + ")";
  }
}
