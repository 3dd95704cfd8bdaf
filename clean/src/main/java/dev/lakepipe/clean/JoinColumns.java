package dev.lakepipe.clean;

import java.util.List;
import scala.collection.JavaConverters;
import scala.collection.immutable.Seq;

/** Column names for Spark's join-by-name ({@code Dataset.join(other, Seq<String>, type)}) from Java. */
final class JoinColumns {

  private JoinColumns() {}

  static Seq<String> of(String... names) {
    return JavaConverters.asScalaBuffer(List.of(names)).toList();
  }
}
