package dev.lakepipe.clean;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.clean.RowCleaningSettings.LetterCase;
import dev.lakepipe.clean.RowCleaningSettings.Markup;
import dev.lakepipe.core.testing.SparkTestBase;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class TextNormalizerTest extends SparkTestBase {

  private static String plain(String s) {
    return TextNormalizer.normalize(s, LetterCase.KEEP, Markup.KEEP);
  }

  @Test
  void nfkcFoldsCompatibilityForms() {
    assertThat(plain("ＡＢＣ１")).isEqualTo("ABC1");
    assertThat(plain("ﬁle")).isEqualTo("file");
    assertThat(plain("a\u00A0b")).isEqualTo("a b");          // no-break space
    assertThat(plain("e\u0301")).isEqualTo("\u00E9");        // e + combining acute -> é
    assertThat(plain("①")).isEqualTo("1");
  }

  @Test
  void controlCharactersGoExceptNewlineAndTab() {
    assertThat(plain("a\u0000b\u0007c\u001Bd\u007Fe")).isEqualTo("abcde");
    assertThat(plain("a\tb")).isEqualTo("a b");              // tab kept, then collapsed as whitespace
    assertThat(plain("line1\r\nline2\rline3")).isEqualTo("line1\nline2\nline3");
  }

  @Test
  void whitespaceCollapsesButLinesStay() {
    assertThat(plain("  a  \t b   c  ")).isEqualTo("a b c");
    assertThat(plain("a \n b")).isEqualTo("a\nb");
    assertThat(plain("a\n\nb")).isEqualTo("a\n\nb");
    assertThat(plain("a\n\n\n\n\nb")).isEqualTo("a\n\nb");
    assertThat(plain("a\n \n \n b")).isEqualTo("a\n\nb");
    assertThat(plain("\n\n  x \n\n")).isEqualTo("x");
    assertThat(plain("   ")).isEqualTo("");
    assertThat(plain(null)).isNull();
  }

  @Test
  void chineseAndEmojiPassThrough() {
    assertThat(plain("他说你好 🙂")).isEqualTo("他说你好 🙂");
    String family = "👨\u200D👩\u200D👧";                    // joined by zero-width joiners
    assertThat(plain(family)).isEqualTo(family);
    assertThat(plain("中文，标点")).isEqualTo("中文,标点");   // full-width comma is a compatibility form
  }

  @Test
  void lowercaseIsOptional() {
    assertThat(TextNormalizer.normalize("Hello WORLD", LetterCase.LOWER, Markup.KEEP)).isEqualTo("hello world");
    assertThat(plain("Hello WORLD")).isEqualTo("Hello WORLD");
  }

  @Test
  void htmlIsStrippedOnlyWhenAsked() {
    String html = "<html><head><style>p { color: red }</style><script>alert('x')</script></head>"
        + "<body><p>Hello <b>big</b> world</p><!-- note --><p>Price:&nbsp;5 &lt; 6 &amp; &#233;&#x41;</p>"
        + "<table><tr><td>a</td><td>b</td></tr></table></body></html>";
    assertThat(TextNormalizer.normalize(html, LetterCase.KEEP, Markup.STRIP_HTML))
        .isEqualTo("Hello big world\n\nPrice: 5 < 6 & éA\n\na b");
    assertThat(plain("<b>x</b> &amp;")).isEqualTo("<b>x</b> &amp;");
    assertThat(TextNormalizer.normalize("a < b and c > d &unknown;", LetterCase.KEEP, Markup.STRIP_HTML))
        .isEqualTo("a < b and c > d &unknown;");
  }

  @Test
  void columnFormMatchesTheJavaForm() {
    List<String> in = Arrays.asList("ＡＢＣ１  ﬁ", null, "x\u0000\n\n\n\ny");
    List<Row> out = spark.createDataset(in, Encoders.STRING()).toDF("t")
        .select(TextNormalizer.normalize(col("t"), LetterCase.KEEP, Markup.KEEP).as("n"))
        .collectAsList();
    assertThat(out).extracting(r -> r.<String>getAs("n")).containsExactly("ABC1 fi", null, "x\n\ny");
  }
}
