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
import org.openjdk.jol.info.GraphLayout;

/**
 * One take from a token bucket, as the console throttle does once per console chunk: lightd's
 * {@link TokenBucket} and Bucket4j's local bucket under each of its synchronization strategies. A
 * clock of our own advances 1 ms per take against a refill of 600 tokens per second, so about three
 * takes in five succeed and both the take and the refusal are measured. Run with {@code -prof gc} to
 * see the bytes each take allocates; {@link #main} prints the bytes one bucket of each kind holds.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TokenBucketBenchmark {

    private static final long CAPACITY = 600;

    /** {@code lightd}, or Bucket4j with {@code none}, {@code lockFree} or {@code synchronized}. */
    @Param({"lightd", "bucket4jNone", "bucket4jLockFree", "bucket4jSynchronized"})
    public String bucket;

    private final ManualTime time = new ManualTime();
    private TokenBucket lightd;
    private Bucket bucket4j;

    /** Prints the retained size of one bucket of each kind (JOL), as lightd keeps one per connection. */
    public static void main(String[] args) {
        for (String kind : new String[] {"lightd", "bucket4jNone", "bucket4jLockFree", "bucket4jSynchronized"}) {
            TokenBucketBenchmark b = new TokenBucketBenchmark();
            b.bucket = kind;
            b.setUp();
            b.take();
            Object one = b.bucket4j == null ? b.lightd : b.bucket4j;
            GraphLayout layout = GraphLayout.parseInstance(one);
            System.out.printf("%-22s %5d bytes in %2d objects%n", kind, layout.totalSize(), layout.totalCount());
        }
    }

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
                    .withCustomTimePrecision(time)
                    .withSynchronizationStrategy(strategy)
                    .build();
        }
    }

    @Benchmark
    public boolean take() {
        long now = time.now += 1_000_000;
        return bucket4j == null ? lightd.tryTake(1, now) : bucket4j.tryConsume(1);
    }

    /** Bucket4j's clock in this benchmark: advanced by hand, 1 ms per take. */
    private static final class ManualTime implements TimeMeter {
        long now;

        @Override
        public long currentTimeNanos() {
            return now;
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }
    }
}
