package io.lightd.benchmarks;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.SynchronizationStrategy;
import io.lightd.server.limit.TokenBucket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One take from a token bucket, as the console throttle does once per console chunk: lightd's
 * {@link TokenBucket} (Bucket4j's local bucket with {@code SynchronizationStrategy.NONE}, time passed
 * in) and Bucket4j's local bucket as its builder makes it under each synchronization strategy. A clock
 * of our own advances 1 ms per take against a refill of 600 tokens per second, so about three takes
 * in five succeed and both the take and the refusal are measured. Run with {@code -prof gc} to see
 * the bytes each take allocates: the strategy was chosen by that figure.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TokenBucketBenchmark {

    private static final long CAPACITY = 600;

    /** {@code lightd}, or Bucket4j with {@code none}, {@code lockFree} or {@code synchronized}. */
    @Param({"lightd", "bucket4jNone", "bucket4jLockFree", "bucket4jSynchronized"})
    public String bucket;

    private long now;
    private TokenBucket lightd;
    private Bucket bucket4j;

    @Setup
    public void setUp() {
        lightd = new TokenBucket(CAPACITY, CAPACITY, 0);
        if (!bucket.equals("lightd")) {
            SynchronizationStrategy strategy = switch (bucket) {
                case "bucket4jNone" -> SynchronizationStrategy.NONE;
                case "bucket4jLockFree" -> SynchronizationStrategy.LOCK_FREE;
                case "bucket4jSynchronized" -> SynchronizationStrategy.SYNCHRONIZED;
                default -> throw new IllegalArgumentException(bucket);
            };
            bucket4j = Bucket.builder()
                    .addLimit(limit -> limit.capacity(CAPACITY).refillGreedy(CAPACITY, Duration.ofSeconds(1)))
                    .withCustomTimePrecision(new TimeMeter() {
                        @Override
                        public long currentTimeNanos() {
                            return now;
                        }

                        @Override
                        public boolean isWallClockBased() {
                            return false;
                        }
                    })
                    .withSynchronizationStrategy(strategy)
                    .build();
        }
    }

    @Benchmark
    public boolean take() {
        now += 1_000_000;
        return bucket4j == null ? lightd.tryTake(1, now) : bucket4j.tryConsume(1);
    }
}
