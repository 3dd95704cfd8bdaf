package dev.lakepipe.core.testing;

import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.config.LakepipeConfig;

/** Builds a validated {@link LakepipeConfig} from HOCON text over the built-in defaults, as the CLI would. */
public final class TestConfigs {

  private TestConfigs() {}

  public static LakepipeConfig of(String hocon) {
    return LakepipeConfig.from(
        ConfigFactory.parseString(hocon)
            .withFallback(ConfigFactory.parseResources(LakepipeConfig.class, "/lakepipe-defaults.conf"))
            .resolve(),
        "test conf", LakepipeConfig.Env.LOCAL);
  }
}
