package dev.lakepipe.core;

import java.util.List;
import scala.collection.JavaConverters;
import scala.collection.immutable.Seq;

/** Column names for Spark's join-by-name ({@code Dataset.join(other, Seq<String>, type)}) from Java. */
public final class JoinColumns {

  private JoinColumns() {}

  public static Seq<String> of(String... names) {
    return JavaConverters.asScalaBuffer(List.of(names)).toList();
  }
}
