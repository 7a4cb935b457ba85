package io.lightd.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.protocol.ActionOutcome;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** REST is the one place an action's outcome becomes an HTTP status, as the REST API lists them. */
class ActionStatusTest {

    @Test
    void everyOutcomeHasTheStatusTheRestApiGivesIt() {
        Map<ActionOutcome, Integer> expected = new EnumMap<>(ActionOutcome.class);
        expected.put(ActionOutcome.ACCEPTED, 202);
        expected.put(ActionOutcome.CONFLICT, 409);
        expected.put(ActionOutcome.NOT_FOUND, 404);
        expected.put(ActionOutcome.UNAVAILABLE, 503);
        expected.put(ActionOutcome.FAILED, 500);
        assertThat(expected).as("every outcome is listed here").hasSize(ActionOutcome.values().length);
        expected.forEach((outcome, status) ->
                assertThat(RestHandler.httpStatus(outcome)).as(outcome.name()).isEqualTo(HttpResponseStatus.valueOf(status)));
    }

    @Test
    void metricLabelsAreTheDocumentedOnes() {
        assertThat(ActionOutcome.values()).extracting(ActionOutcome::label)
                .containsExactly("accepted", "conflict", "not_found", "unavailable", "failed");
    }
}
