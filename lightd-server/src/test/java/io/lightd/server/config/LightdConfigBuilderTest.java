package io.lightd.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The builders of {@link LightdConfig}: documented defaults, ranges checked where a value is set, key named. */
class LightdConfigBuilderTest {

    private static final String TOKEN = "lightd_builder-test-token-0123456789";

    @Test
    void anUntouchedBuilderHoldsEveryDefault() {
        LightdConfig c = LightdConfig.builder().token(TOKEN).build();
        assertThat(c.host()).isEqualTo(ConfigKeys.SERVER_HOST.defaultValue()).isEqualTo("0.0.0.0");
        assertThat(c.port()).isEqualTo(8070);
        assertThat(c.runtime()).isEqualTo(LightdConfig.RuntimeKind.DOCKER);
        assertThat(c.basePath()).isEqualTo(Path.of("data"));
        assertThat(c.tls().enabled()).isFalse();
        assertThat(c.limits().maxConnections()).isEqualTo(10_000);
        assertThat(c.limits().inboundRatePerSecond()).isEqualTo(10.0);
        assertThat(c.stats().idleIntervalMs()).isEqualTo(10_000);
        assertThat(c.console().coalesceMillis()).isEqualTo(16);
        assertThat(c.jwt().keys()).isEmpty();
    }

    @Test
    void aValueOutOfRangeIsRefusedWhereItIsSetWithItsKey() {
        assertThatThrownBy(() -> LightdConfig.builder().port(65_536))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid server.port: must be an integer from 0 to 65535 (got 65536)");
        assertThatThrownBy(() -> LightdConfig.Limits.builder().maxFrameBytes(255))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limits.max_frame_bytes");
        assertThatThrownBy(() -> LightdConfig.Limits.builder().inboundRatePerSecond(0.05))
                .hasMessage("invalid limits.inbound_rate_per_second: must be a number from 0.1 to 100000 (got 0.05)");
        assertThatThrownBy(() -> LightdConfig.Jwt.builder().clockSkewSeconds(601))
                .hasMessageContaining("authorization.jwt.clock_skew_seconds");
        assertThatThrownBy(() -> new LightdConfig.StatsSettings(999)).hasMessageContaining("stats.idle_interval_ms");
        assertThatThrownBy(() -> new LightdConfig.ConsoleSettings(1001)).hasMessageContaining("console.coalesce_ms");
        assertThatThrownBy(() -> LightdConfig.builder().dockerNetworkMode(" "))
                .hasMessageContaining("docker.network_mode");
    }

    @Test
    void theTokenIsCheckedAndRequiredWithoutBeingRepeated() {
        assertThatThrownBy(() -> LightdConfig.builder().token("lightd_short"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid authorization.token:")
                .hasMessageNotContaining("lightd_short");
        assertThatThrownBy(() -> LightdConfig.builder().build())
                .isInstanceOf(IllegalStateException.class).hasMessage("authorization.token is missing");
    }

    @Test
    void keysThatDependOnEachOtherAreCheckedAtBuild() {
        assertThatThrownBy(() -> LightdConfig.Limits.builder().writeBufferLowBytes(512 * 1024).build())
                .hasMessage("invalid limits.write_buffer_low_bytes: must be below limits.write_buffer_high_bytes");
        assertThatThrownBy(() -> LightdConfig.Limits.builder().pingIntervalSeconds(61).build())
                .hasMessage("invalid limits.pong_timeout_seconds: must be at least limits.ping_interval_seconds");
        assertThat(LightdConfig.Limits.builder().pingIntervalSeconds(61).pongTimeoutSeconds(61).build()
                .pongTimeoutSeconds()).isEqualTo(61);
    }

    @Test
    void signedTokenKeysNeedAnAudience() throws Exception {
        OctetSequenceKey key = new OctetSequenceKeyGenerator(256).keyID("k1").generate();
        assertThatThrownBy(() -> LightdConfig.Jwt.builder().keys(List.of(key)).build())
                .hasMessageStartingWith("authorization.jwt.audience is missing");
        assertThat(LightdConfig.Jwt.builder().keys(List.of(key)).audience("node-1").build().audience())
                .isEqualTo("node-1");
    }

    @Test
    void theWrittenFormNamesNoSecret() throws Exception {
        OctetSequenceKey key = new OctetSequenceKeyGenerator(256).keyID("k1").generate();
        LightdConfig c = LightdConfig.builder().token(TOKEN)
                .jwt(LightdConfig.Jwt.builder().keys(List.of(key)).audience("node-1").build()).build();
        assertThat(c.toString()).doesNotContain(TOKEN).doesNotContain(key.getKeyValue().toString())
                .contains("token=[redacted]").contains("keys=[k1]").contains("historyLines=1000");
    }

    @Test
    void toBuilderChangesOneValueAndKeepsTheRest() {
        LightdConfig c = LightdConfig.builder().token(TOKEN).host("127.0.0.1")
                .limits(LightdConfig.Limits.builder().historyLines(50).build()).build();
        LightdConfig moved = c.withPort(0);
        assertThat(moved.port()).isZero();
        assertThat(moved).isEqualTo(c.toBuilder().port(0).build());
        assertThat(moved.host()).isEqualTo("127.0.0.1");
        assertThat(moved.limits().historyLines()).isEqualTo(50);
        assertThat(c.limits().toBuilder().build()).isEqualTo(c.limits());
    }
}
