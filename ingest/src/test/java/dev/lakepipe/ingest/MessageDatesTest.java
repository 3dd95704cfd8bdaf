package dev.lakepipe.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MessageDatesTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', nullValues = "NULL", value = {
      "Thu, 22 Aug 2002 18:26:25 +0700|2002-08-22T11:26:25Z",
      "22 Aug 2002 18:26:25 -0000|2002-08-22T18:26:25Z",
      "Thu, 22 Aug 2002 18:26:25 -0700 (PDT)|2002-08-23T01:26:25Z",
      "Mon, 2 Sep 2002 9:05 EDT|2002-09-02T13:05:00Z",
      "Fri, 23 Aug 02 10:00:00 GMT|2002-08-23T10:00:00Z",
      "Sat, 13 Apr 102 18:49:02 +0000|2002-04-13T18:49:02Z",
      "Wed, 18 Sep 2002 01:11:52|NULL",
      "Wed, 17 Jul 2002 15:36:39 -1900|NULL",
      "Tue, 24 Sep 2002 10:39:13 +-0500|NULL",
      "2002/09/14 Sat 02:29:32 CDT|NULL",
      "Sat, 13 Apr 02 18:49:02 Arabian Standard Time|NULL",
      "Thu, 31 Feb 2002 10:00:00 +0000|NULL",
  })
  void parsesRealMailDatesAndRejectsTheRest(String header, String expected) {
    assertThat(MessageDates.toIsoInstant(header)).isEqualTo(expected);
  }
}
